"""The contract of every unit parameter class, checked in one place.

Each ``Params`` dataclass of :mod:`nexus.units` is frozen and keyword-only,
every field has a unit, a range holding its default, a meaning and a source
(STYLE.md, conventions 3), and its defaults are valid.
"""

from __future__ import annotations

import dataclasses

import pytest

import nexus
from nexus.units import adm1  # a model other units build on, with its own parameters
from nexus.units.params import Params, describe


def _subclasses(cls: type) -> set[type]:
    return {c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))}


nexus.node_types()  # imports every registered type's module
PARAM_CLASSES = sorted(
    (c for c in _subclasses(Params) if c.__module__.startswith("nexus.")),
    key=lambda c: c.__qualname__,
)


@pytest.mark.unit
def test_every_node_type_table_is_a_checked_parameter_class():
    """Found by the registry, not by a list kept by hand: a new unit type's parameters are
    checked here without editing this file."""
    tables = {cls for t in nexus.node_types().values() for cls in t.tables.values()}
    assert tables <= set(PARAM_CLASSES)
    assert adm1.ADM1Params in PARAM_CLASSES
    assert len(tables) >= 8


@pytest.mark.unit
@pytest.mark.parametrize("cls", PARAM_CLASSES, ids=lambda c: c.__name__)
def test_params_defaults_sourced_and_described(cls):
    rows = describe(cls)
    assert [r["name"] for r in rows] == [f.name for f in dataclasses.fields(cls)]
    for row in rows:
        assert row["source"] and row["doc"] and row["unit"], row["name"]
        if row["low"] is not None:  # optional fields (default None) check themselves
            assert row["low"] <= row["default"] <= row["high"], row["name"]
        elif row["choices"] is not None:
            assert row["default"] in row["choices"], row["name"]
        else:
            assert row["default"] is None, row["name"]
    cls()  # defaults are valid


@pytest.mark.unit
@pytest.mark.parametrize("cls", PARAM_CLASSES, ids=lambda c: c.__name__)
def test_params_frozen_and_keyword_only(cls):
    p = cls()
    name = dataclasses.fields(cls)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(p, name, 1.0)
    with pytest.raises(TypeError):
        cls(not_a_parameter=1.0)
    with pytest.raises(TypeError):
        cls(1.0)
