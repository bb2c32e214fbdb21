"""The documentation site builds with warnings as errors, as ``make docs`` builds it.

The build runs on a copy of ``docs/`` in a temporary folder, so it starts from no
generated file and leaves nothing behind; ``docs/conf.py`` writes the node-type
reference from the registry when the build starts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nexus

DOCS = Path(__file__).resolve().parent.parent / "docs"
#: The build of ``make docs``: HTML, warnings as errors, every reference checked.
BUILD = ("-b", "html", "-W", "--keep-going", "-n", "-q")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The HTML site, built once for this module; the build's errors fail every test."""
    tmp = tmp_path_factory.mktemp("docs")
    src, html = tmp / "docs", tmp / "html"
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns("_build", "_generated"))
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", *BUILD, "-d", str(tmp / "doctrees"), str(src), str(html)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    return html


@pytest.mark.integration
@pytest.mark.slow
def test_node_type_reference_has_every_registered_type(site):
    text = re.sub(r"<[^>]+>", "", (site / "_generated" / "node_types.html").read_text())
    missing = [n for n, t in nexus.node_types().items() if f"{n} ({t.role})" not in text]
    assert not missing, f"no section for {missing} in the node-type reference"


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize(
    ("page", "anchor"),
    [
        ("api/nexus.html", "nexus.load_district"),
        ("api/nexus.html", "nexus.DistrictError"),
        ("api/registry.html", "nexus.registry.register"),
        ("api/optimize.html", "nexus.optimize.solve"),
        ("api/optimize.html", "nexus.optimize.model.BuildContext"),
        ("api/io.html", "nexus.io.write_netcdf"),
        ("api/sweeps.html", "nexus.sweeps.sweep"),
        ("api/sweeps.html", "nexus.sweeps.sensitivity"),
        ("api/report.html", "nexus.report.write_report"),
        ("api/figures.html", "nexus.figures.sankey_flows"),
        ("api/heat_recovery.html", "nexus.units.heat_recovery.greywater_heat_pump"),
        ("api/adm1.html", "nexus.units.adm1.steady_state"),
        ("api/struvite.html", "nexus.units.struvite.equilibrate"),
        ("optimizer_arrays.html", "a-worked-example"),
    ],
)
def test_api_pages_document_the_public_api(site, page, anchor):
    assert f'id="{anchor}"' in (site / page).read_text()
