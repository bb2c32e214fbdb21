"""Suite-wide rules: every test carries exactly one level marker.

The levels are ``unit``, ``component`` and ``integration`` (as IDAES
enforces); ``slow`` may be added on top. Doctests count as unit tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run, so CI cannot fail by chance;
# `pytest --hypothesis-profile=explore` draws new ones to hunt for bugs.
settings.register_profile(
    "default", derandomize=True, deadline=None, database=None, print_blob=True
)
settings.register_profile("explore", derandomize=False, max_examples=500, deadline=None)
settings.load_profile("default")

LEVELS = ("unit", "component", "integration")
ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config, items):
    problems = []
    for item in items:
        if isinstance(item, pytest.DoctestItem):
            item.add_marker(pytest.mark.unit)
            continue
        levels = [m.name for m in item.iter_markers() if m.name in LEVELS]
        if len(levels) != 1:
            problems.append(
                f"{item.nodeid}: has {levels or 'no level marker'}; expected exactly one of {LEVELS}"
            )
    if problems:
        raise pytest.UsageError("\n".join(problems))


@pytest.fixture(scope="session")
def buiksloterham_path() -> Path:
    """The default district file."""
    return ROOT / "districts" / "buiksloterham.toml"


@pytest.fixture(scope="session")
def buiksloterham(buiksloterham_path):
    """The default district, loaded once."""
    import nexus

    return nexus.load_district(buiksloterham_path)


@pytest.fixture(scope="session")
def buiksloterham_ds(buiksloterham):
    """The default district simulated over a year, once per session."""
    import nexus

    return nexus.simulate(buiksloterham)
