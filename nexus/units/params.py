"""Shared helper for the parameter dataclasses of the unit modules.

Every unit parameter class is a ``@dataclass(frozen=True, kw_only=True)``
that inherits :class:`Params` and declares each field with :func:`field`,
which stores its unit, plausible range, source and meaning in the field
metadata (as QSDsan's parameter tables and PyPSA's attribute tables do).
Ranges are checked on construction; an unknown keyword raises ``TypeError``
(Python itself does that for a keyword-only dataclass).

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True, kw_only=True)
... class PipeParams(Params):
...     length_m: float = field(10.0, unit="m", low=0.0, high=1e4,
...                             source="design value", doc="pipe length")
>>> PipeParams(length_m=5.0).length_m
5.0
>>> PipeParams(length_m=-1.0)
Traceback (most recent call last):
...
nexus.errors.ParameterError: PipeParams.length_m = -1.0 is outside [0.0, 10000.0] m
>>> describe(PipeParams)[0]["unit"]
'm'
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from nexus.errors import ParameterError

__all__ = ["Params", "check_ranges", "choice", "describe", "field"]

_KEYS = ("unit", "low", "high", "choices", "source", "doc")


def field(default: float, *, unit: str, low: float, high: float, source: str, doc: str) -> Any:
    """Return a dataclass field carrying unit, range, source and meaning.

    Parameters
    ----------
    default : float
        Default value, taken from ``source``.
    unit : str
        Unit of the value (UDUNITS spelling, ``"1"`` for a fraction).
    low, high : float
        Plausible range, inclusive; :func:`check_ranges` enforces it.
    source : str
        Publication, table or equation the default comes from.
    doc : str
        One-line meaning of the parameter.
    """
    if not low <= default <= high:
        raise ValueError(f"default {default!r} outside [{low}, {high}] {unit}")
    meta = {"unit": unit, "low": low, "high": high, "source": source, "doc": doc}
    return dataclasses.field(default=default, metadata=meta)


def choice(default: str, *, choices: tuple[str, ...], source: str, doc: str) -> Any:
    """Return a dataclass field that takes one of ``choices`` (a kind, not a number).

    Parameters
    ----------
    default : str
        Default choice, one of ``choices``.
    choices : tuple of str
        The values the field may take; :func:`check_ranges` enforces them.
    source, doc : str
        As for :func:`field`.
    """
    if default not in choices:
        raise ValueError(f"default {default!r} is not one of {choices}")
    meta = {"unit": "-", "choices": tuple(choices), "source": source, "doc": doc}
    return dataclasses.field(default=default, metadata=meta)


def check_ranges(obj: Any) -> None:
    """Raise :class:`~nexus.ParameterError` if a field of ``obj`` is not finite or out of range,
    or not one of its choices.

    The message names ``ClassName.field_name``, the value and ``[low, high] unit`` (or the
    choices).
    Fields declared without :func:`field` metadata are not checked.
    """
    cls = type(obj).__name__
    for f in dataclasses.fields(obj):
        meta = f.metadata
        value = getattr(obj, f.name)
        where = f"{cls}.{f.name} = {value!r}"
        if "choices" in meta and value not in meta["choices"]:
            raise ParameterError(
                f"{where} is not valid; expected one of {', '.join(map(repr, meta['choices']))}"
            )
        if "low" not in meta:
            continue
        expected = f"[{meta['low']}, {meta['high']}] {meta['unit']}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(f"{where} is not a number; expected {expected}")
        if not math.isfinite(value) or not meta["low"] <= value <= meta["high"]:
            raise ParameterError(f"{where} is outside {expected}")


class Params:
    """Mixin for parameter dataclasses: checks ranges after ``__init__``."""

    def __post_init__(self) -> None:
        check_ranges(self)


def describe(cls: type) -> list[dict[str, Any]]:
    """List name, default, unit, low, high, source and doc of each field of ``cls``."""
    rows = []
    for f in dataclasses.fields(cls):
        row: dict[str, Any] = {"name": f.name, "default": f.default}
        row.update({k: f.metadata.get(k) for k in _KEYS})
        rows.append(row)
    return rows
