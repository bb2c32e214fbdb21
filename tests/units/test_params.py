"""The contract of every unit parameter class, checked in one place.

Each ``Params`` dataclass of :mod:`nexus.units` is frozen and keyword-only,
every field has a unit, a range holding its default, a meaning and a source
(STYLE.md, conventions 3), and its defaults are valid.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import pytest

from nexus.units.params import Params, describe

MODULES = ("heat_recovery", "chp", "digester", "adm1.params", "struvite")
PARAM_CLASSES = sorted(
    {
        cls
        for name in MODULES
        for _, cls in inspect.getmembers(
            importlib.import_module(f"nexus.units.{name}"), inspect.isclass
        )
        if issubclass(cls, Params) and cls is not Params
    },
    key=lambda c: c.__qualname__,
)


@pytest.mark.unit
def test_every_module_has_parameter_classes():
    assert {c.__module__.removeprefix("nexus.units.") for c in PARAM_CLASSES} == set(MODULES)


@pytest.mark.unit
@pytest.mark.parametrize("cls", PARAM_CLASSES, ids=lambda c: c.__name__)
def test_params_defaults_sourced_and_described(cls):
    rows = describe(cls)
    assert [r["name"] for r in rows] == [f.name for f in dataclasses.fields(cls)]
    for row in rows:
        assert row["source"] and row["doc"] and row["unit"], row["name"]
        if row["low"] is not None:  # optional fields (default None) check themselves
            assert row["low"] <= row["default"] <= row["high"], row["name"]
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
