"""`import nexus` stays light: heavy libraries load on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = (
    "pyomo",
    "pandas",
    "xarray",
    "pydantic",
    "matplotlib",
    "scipy",
    "highspy",
    "dask",
    "distributed",
    "SALib",
)


@pytest.mark.integration
def test_import_nexus_loads_no_heavy_library():
    code = f"import sys, nexus; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == ""


@pytest.mark.unit
def test_public_api_is_reachable():
    import nexus

    for name in nexus.__all__:
        assert getattr(nexus, name) is not None
    with pytest.raises(AttributeError):
        _ = nexus.no_such_thing


#: What a simulation of the default district does not need (the design, the reports, the
#: sweeps, the optimizer's typical days): none of it may load during `nexus run`.
NOT_FOR_A_RUN = (
    "tsam",
    "sklearn",
    "scipy.stats",
    "plotly",
    "distributed",
    "dask",
    "pint",
    "SALib",
    "pyomo",
    "matplotlib",
    "highspy",
    "numba",
)


@pytest.mark.integration
@pytest.mark.slow
def test_a_simulation_loads_only_what_it_needs(buiksloterham_path):
    # xarray probes every array it wraps for dask and pint; nexus answers "not loaded" for it
    # (nexus._xarray), so a year's run, with its KPIs, loads neither, nor the optimizer's or
    # the reports' libraries
    code = (
        "import sys, nexus\n"
        f"ds = nexus.simulate(nexus.load_district({str(buiksloterham_path)!r}))\n"
        "nexus.kpis(ds)\n"
        f"print(' '.join(m for m in {NOT_FOR_A_RUN!r} if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == ""


@pytest.mark.integration
def test_xarray_still_recognises_dask_and_pint_arrays_once_loaded():
    # the probes stand in only until the library is imported; from then on xarray's own
    # answer holds (a dask array stays lazy and chunked, a pint quantity keeps its units)
    pytest.importorskip("pint")
    code = """
import sys
import numpy as np
from nexus._xarray import xr
from xarray.namedarray.pycompat import array_type
from xarray.namedarray.utils import is_duck_dask_array

plain = xr.DataArray(np.arange(4.0), dims="x", coords={"x": np.arange(4)})
assert float(plain.sum()) == 6.0
assert "dask" not in sys.modules and "pint" not in sys.modules
assert array_type("dask") == () and array_type("pint") == ()

import dask.array as da
import pint

lazy = xr.DataArray(da.arange(4.0, chunks=2), dims="x")
assert is_duck_dask_array(lazy.data) and lazy.chunks == ((2, 2),)
assert float((lazy * 2).sum().compute()) == 12.0
assert array_type("dask") == (da.Array,)
quantity = pint.UnitRegistry().Quantity(np.arange(3.0), "m")
withunits = xr.DataArray(quantity, dims="y")
assert isinstance(withunits.data, pint.Quantity) and str(withunits.data.units) == "meter"
print("ok")
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


@pytest.mark.unit
def test_xarray_is_imported_at_run_time_only_through_nexus_xarray():
    """``nexus._xarray`` keeps xarray from loading dask and pint only if nexus's first use
    of xarray goes through it: a plain ``import xarray`` that runs (outside a
    ``TYPE_CHECKING`` block) anywhere else in nexus undoes that."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "nexus"
    plain = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "_xarray.py":
            continue
        tree = ast.parse(path.read_text())
        typing_only = {
            id(n)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for n in ast.walk(block)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == "xarray" or n.startswith("xarray.") for n in names):
                plain.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    assert not plain, plain
