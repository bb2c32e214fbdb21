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
                    if markdown:  # the sources: in the Markdown reference (the docs)
                        assert f.metadata["source"].split()[0] in text, (name, f.name)
            for size in t.sizes:
                assert size.name in text
            for output in t.outputs:
                assert output.name in text
                if markdown:
                    assert output.long_name in text


def _keys(model, path=""):
    """Every key of a pydantic table and the tables nested in it, as dotted paths."""
    from pydantic import BaseModel

    for key, field in model.model_fields.items():
        inner = field.annotation
        inner = next(
            (a for a in (inner, *getattr(inner, "__args__", ())) if isinstance(a, type)),
            None,
        )
        if inner is not None and issubclass(inner, BaseModel):
            yield from _keys(inner, f"{path}{key}.")
        else:
            yield f"{path}{key}"


@pytest.mark.unit
@pytest.mark.parametrize("name", ["households", "cosubstrate"])
def test_sources_without_parameter_classes_list_every_key_under_its_table(name):
    """Households and co-substrates are read by a pydantic model of their table: every key
    of it, nested tables titled by where they go in the file ([sources.NAME.water])."""
    t = nexus.node_types()[name]
    md = type_reference(t)
    text = type_reference(t, markdown=False, width=80)
    for key in _keys(t.model):
        table, _, leaf = key.rpartition(".")
        assert f"`[sources.NAME{'.' + table if table else ''}]`" in md, key
        assert f"| `{leaf}` |" in md, key
        assert f"[sources.NAME{'.' + table if table else ''}]" in text, key
        assert leaf in text, key


@pytest.mark.unit
def test_each_type_fits_one_screen_at_80_columns():
    """`nexus units TYPE`: at most 60 lines of at most 80 characters (titled sub-tables,
    one line per key where its words fit; the sources in --format md)."""
    for name, t in nexus.node_types().items():
        lines = type_reference(t, markdown=False, width=80).splitlines()
        assert len(lines) <= 60, (name, len(lines))
        assert max(map(len, lines)) <= 80, name
        for table in t.tables:  # each table of keys under its title
            assert f"[{t.role}s.NAME{'.' + table if table else ''}]" in "\n".join(lines)


@pytest.mark.unit
def test_a_readme_without_markers_is_refused():
    with pytest.raises(ValueError, match="no markers"):
        readme_with_types("# a README without the table\n")
