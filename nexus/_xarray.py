"""xarray as nexus uses it, without loading the array libraries it merely probes.

xarray asks, for every array it wraps, whether the array is a dask array or a pint
quantity (``xarray.namedarray.pycompat.array_type``, ``is_dask_collection``), and answers
by importing ``dask.array`` and ``pint`` whenever they are installed: about 0.7 s and 0.3 s
of a fresh process (``dask.array`` pulls in ``scipy.sparse`` and ``scipy.fft``), 30-40 % of a
cold ``nexus.simulate`` whose arrays are all numpy. No object can be an instance of a class
whose module was never imported, so the answer is "no" until the library is loaded; the
probes below give that answer without loading it, and hand over to xarray's own probe (which
then caches the library's real types) from the moment the library is in ``sys.modules``.
Nothing else of xarray changes, and where its internals differ from what is expected here
(another version), nothing is patched at all.

Import it where nexus first uses xarray: ``from nexus._xarray import xr``.
"""

from __future__ import annotations

import sys
from typing import Any

import xarray as xr

__all__ = ["xr"]

#: The module that defines each probed library's array type; until it is imported no such
#: array exists.
_TYPE_MODULE = {"dask": "dask.array", "pint": "pint"}


class _NotLoadedYet:
    """Stands in xarray's cache of duck-array libraries for one that is not imported yet."""

    def __init__(self, pycompat: Any, mod: str) -> None:
        self._pycompat = pycompat
        self._mod = mod

    def _loaded(self) -> Any:
        # xarray's own record from now on (it imports the library, already loaded: cheap);
        # kept only once it found the library, so that a library caught half-imported is
        # looked at again on the next probe
        real = self._pycompat.DuckArrayModule(self._mod)
        if real.available:
            self._pycompat._cached_duck_array_modules[self._mod] = real
        return real

    @property
    def type(self) -> tuple[type[Any], ...]:
        if _TYPE_MODULE[self._mod] not in sys.modules:
            return ()
        return self._loaded().type

    def __getattr__(self, name: str) -> Any:  # version, module, available: xarray's answer
        return getattr(self._loaded(), name)


def _install() -> None:
    try:
        from xarray.namedarray import pycompat
        from xarray.namedarray import utils as named_utils

        cache: dict[str, Any] = pycompat._cached_duck_array_modules  # type: ignore[assignment]
        original = named_utils.is_dask_collection
        pycompat.DuckArrayModule  # noqa: B018 - present in the versions this was written for
    except (ImportError, AttributeError):  # another xarray: leave it as it is
        return
    if not isinstance(cache, dict) or getattr(original, "_nexus_lazy", False):
        return
    for mod, module in _TYPE_MODULE.items():
        if mod not in cache and module not in sys.modules:
            cache[mod] = _NotLoadedYet(pycompat, mod)

    def is_dask_collection(x: object) -> bool:
        # dask's own test is whether x has a __dask_graph__; without dask loaded, an object
        # without one is no dask collection (one with it goes to dask, as before)
        if "dask" not in sys.modules and not hasattr(x, "__dask_graph__"):
            return False
        return original(x)

    is_dask_collection._nexus_lazy = True  # type: ignore[attr-defined]
    named_utils.is_dask_collection = is_dask_collection  # type: ignore[assignment]


_install()
