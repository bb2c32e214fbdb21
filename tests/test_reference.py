"""The reference of node types is generated from the registry and cannot drift."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import nexus
from nexus.reference import readme_with_types, type_reference, types_table

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.unit
def test_readme_table_of_types_is_current():
    text = (ROOT / "README.md").read_text()
    assert readme_with_types(text) == text, "the README is stale: python -m nexus.reference"


@pytest.mark.unit
def test_every_type_parameter_size_and_output_is_in_its_reference():
    table = types_table()
    for name, t in nexus.node_types().items():
        assert f"| `{name}` | {t.role} |" in table
        for markdown in (True, False):
            text = type_reference(t, markdown=markdown)
            for cls in t.tables.values():
                for f in dataclasses.fields(cls):
                    assert f.name in text, (name, f.name)
                    assert f.metadata["source"].split()[0] in text, (name, f.name)
            for size in t.sizes:
                assert size.name in text
            for output in t.outputs:
                assert output.name in text and output.long_name in text


@pytest.mark.unit
def test_a_readme_without_markers_is_refused():
    with pytest.raises(ValueError, match="no markers"):
        readme_with_types("# a README without the table\n")
