"""Fuzzing the district loader (hypothesis): whatever the data, only nexus's own errors.

Buiksloterham's and Chaoyang's files are mutated at random (a value replaced by any TOML-ish value, a key
deleted or added, a connection line rewritten) and random TOML-ish tables are loaded as
districts; :func:`nexus.district.district_from_dict` must return a district or raise a
:class:`nexus.NexusError`, never another exception.
"""

from __future__ import annotations

import copy
import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nexus
from nexus.district import district_from_dict

ROOT = Path(__file__).resolve().parents[1]
BUIKSLOTERHAM = tomllib.loads((ROOT / "districts" / "buiksloterham.toml").read_text())


def _nest(depth: int, table: bool) -> object:
    value: object = 1.0
    for _ in range(depth):
        value = {"a": value} if table else [value]
    return value


deep = st.builds(_nest, st.integers(0, 3000), st.booleans())  # 3,000 deep: RecursionError before
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e-300, 1e308, math.nan, "", "1_0", "nan", "[/bold]", "\x1b[31m"]),
    st.text(max_size=20),
    deep,
)


values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(data, prefix=()):
    """Every key path to a value of the data (tables and arrays included)."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


CHAOYANG = tomllib.loads((ROOT / "districts" / "chaoyang.toml").read_text())
PORTS = ["in", "out", "heat", "power", "gas", "sludge", "source", "x"]


@st.composite
def mutated(draw, base=BUIKSLOTERHAM):
    data = copy.deepcopy(base)
    paths = list(_paths(base))
    names = sorted({*base["sources"], *base["units"], *base["sinks"]})
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        parent = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = draw(st.sampled_from(["replace", "delete", "add", "line"]))
            if action == "replace":
                parent[path[-1]] = draw(values)
            elif action == "delete":
                del parent[path[-1]]
            elif action == "add" and isinstance(parent, dict):
                parent[draw(st.text(max_size=8))] = draw(values)
            elif action == "line":
                a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
                p, q = draw(st.sampled_from(PORTS)), draw(st.sampled_from(PORTS))
                data["connections"] = [*base["connections"], f"{a}.{p} -> {b}.{q}"]
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed the path: the data are mutated anyway
    return data


def _load(data):
    try:
        district_from_dict(data, file="fuzz.toml")
    except nexus.NexusError:
        pass


@pytest.mark.component
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_buiksloterham_raises_only_nexus_errors(data):
    _load(data)


@pytest.mark.component
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(CHAOYANG))
def test_mutated_chaoyang_raises_only_nexus_errors(data):
    """Heat ports with temperature levels, links-only heat and sink parameters, mutated."""
    _load(data)


@pytest.mark.unit
@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "district",
                "sources",
                "units",
                "sinks",
                "connections",
                "weather",
                "optimize",
                "emissions",
                "x",
            ]
        ),
        values,
        max_size=6,
    )
)
def test_random_tables_raise_only_nexus_errors(data):
    _load(data)


@pytest.mark.unit
@given(values)
@settings(max_examples=50, deadline=None)
def test_data_that_is_not_a_table_raises_a_nexus_error(data):
    _load(data)
