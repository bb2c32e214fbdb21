"""Argument checks shared by the unit-process functions.

One rule everywhere: a value out of range (or infinite) raises
:class:`~nexus.errors.ParameterError` naming the argument, its first bad value
and the range expected; NaN passes and propagates (a missing value stays
missing, it never silently becomes a number).

Examples
--------
>>> check_nonneg("flow_m3_h", as_float([1.0, float("nan")]))  # NaN passes
>>> check_nonneg("flow_m3_h", as_float([1.0, -2.0]))
Traceback (most recent call last):
...
nexus.errors.ParameterError: flow_m3_h = -2.0 is outside [0, inf); expected a finite number >= 0
>>> check_in("NTU", as_float(float("inf")), 0.0, float("inf"), open_high=True)
Traceback (most recent call last):
...
nexus.errors.ParameterError: NTU = inf is outside [0.0, inf); expected a finite number
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nexus.errors import ParameterError

__all__ = ["as_float", "check_in", "check_nonneg"]


def as_float(x: ArrayLike) -> NDArray[np.float64]:
    """``x`` as a float array (no copy where it already is one)."""
    return np.asarray(x, dtype=float)


def _first(a: NDArray[np.float64], bad: NDArray[np.bool_]) -> float:
    return float(a[bad].flat[0] if a.ndim else a[()])


def check_nonneg(name: str, a: NDArray[np.float64]) -> None:
    """Raise :class:`ParameterError` unless every value of ``a`` is finite and >= 0 (or NaN)."""
    bad = (a < 0) | np.isinf(a)
    if np.any(bad):
        raise ParameterError(
            f"{name} = {_first(a, bad)!r} is outside [0, inf); expected a finite number >= 0"
        )


def check_in(
    name: str, a: NDArray[np.float64], low: float, high: float, *, open_high: bool = False
) -> None:
    """Raise :class:`ParameterError` unless every value of ``a`` is finite and in
    ``[low, high]`` (``[low, high)`` with ``open_high``), or NaN."""
    bad = (a < low) | (a >= high if open_high else a > high) | np.isinf(a)
    if np.any(bad):
        right = ")" if open_high else "]"
        raise ParameterError(
            f"{name} = {_first(a, bad)!r} is outside [{low}, {high}{right}; expected a finite "
            "number"
        )
