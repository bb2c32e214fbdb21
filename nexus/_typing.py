"""Type aliases of nexus's annotations, in one place.

Imported under ``typing.TYPE_CHECKING`` only: annotations are strings at run
time (``from __future__ import annotations``), so this module costs nothing
to ``import nexus``.
"""

from __future__ import annotations

from types import EllipsisType
from typing import SupportsIndex, TypeAlias

import numpy as np
from numpy.typing import NDArray

__all__ = ["BoolArray", "FloatArray", "Floats", "IntArray", "Key"]

#: An array of floats: an hourly series, a state vector, component loads.
FloatArray: TypeAlias = NDArray[np.float64]
#: A float or an array of floats: a value that broadcasts against a series.
Floats: TypeAlias = FloatArray | float
#: An array of integers (positions, counts).
IntArray: TypeAlias = NDArray[np.int64]
#: An array of booleans (a mask).
BoolArray: TypeAlias = NDArray[np.bool_]

#: What numpy takes between square brackets: positions, slices, masks, index arrays.
Key: TypeAlias = (
    SupportsIndex
    | slice
    | EllipsisType
    | IntArray
    | BoolArray
    | tuple[SupportsIndex | slice | EllipsisType | IntArray | BoolArray | None, ...]
    | None
)
