"""The README's key figures of Buiksloterham are what ``make run`` prints, all of them.

``python tests/test_readme_kpis.py`` rewrites the table from a simulation of
``districts/buiksloterham.toml`` (:func:`nexus.kpis`, one decimal); a test checks it is
current, so a change to a unit model that moves a figure, or a new key figure, cannot leave
the README behind.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import nexus
from nexus.reference import readme_section

ROOT = Path(__file__).resolve().parents[1]
README_BEGIN = "<!-- Buiksloterham key figures: begin (python tests/test_readme_kpis.py) -->"
README_END = "<!-- Buiksloterham key figures: end -->"


def kpi_table() -> str:
    """Buiksloterham's key figures as a markdown table, in the order ``make run`` prints."""
    k = nexus.kpis(nexus.simulate(nexus.load_district(ROOT / "districts/buiksloterham.toml")))
    rows = ["| indicator | value |", "|---|---:|"]
    rows += [f"| {name} | {value:,.1f} |" for name, value in k.items()]
    return "\n".join(rows)


def readme_with_kpis(text: str) -> str:
    """The README with its Buiksloterham table replaced by :func:`kpi_table`."""
    return readme_section(text, README_BEGIN, README_END, kpi_table(), "Buiksloterham key figures")


@pytest.mark.integration
def test_readme_key_figures_are_current():
    text = (ROOT / "README.md").read_text()
    assert readme_with_kpis(text) == text, (
        "the README's Buiksloterham key figures are stale: python tests/test_readme_kpis.py"
    )


if __name__ == "__main__":
    path = ROOT / "README.md"
    path.write_text(readme_with_kpis(path.read_text()))
    sys.stdout.write(kpi_table() + "\n")
