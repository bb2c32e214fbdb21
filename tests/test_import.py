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
