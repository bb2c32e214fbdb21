"""The walkthrough notebooks run top to bottom."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

#: What a plotting call returns, shown when a cell ends with it: Text(...), <matplotlib...>
REPR = re.compile(r"^\[?(Text\(|<matplotlib|<Figure|<Axes|\[<matplotlib)")

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors
    # no stray reprs of what a plotting call returns (a cell ends with plt.show() or ';')
    stray = [
        (i, text)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type in ("execute_result", "display_data")
        and "image/png" not in o["data"]  # a figure shown is not a stray repr
        and REPR.search(text := o["data"].get("text/plain", ""))
    ]
    assert not stray, stray


@pytest.mark.unit
def test_notebooks_are_generated_from_their_source():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_notebooks", NOTEBOOKS[0].parent / "make_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert sorted(module.NOTEBOOKS) == [p.name for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert [c.source for c in nb.cells] == [c.source for c in module.NOTEBOOKS[path.name]]
