"""Give back to the system the memory the C library holds free.

glibc's malloc raises its threshold for mapping large blocks as they are freed,
so the arrays of a year's simulation end up on its heap, and memory freed there
stays resident while anything above it is still in use. A city's map sampling
simulates one neighbourhood after another: at ten neighbourhoods the process
held 785 MB after sampling, of which malloc_trim(3) gave 556 MB back (229 MB
left), and at fifty the retained memory put the design's peak above 4 GB
(benchmarks/RESULTS.md, city section).

Unlike :func:`nexus.units.struvite.tune_for_throughput`, this changes no setting
of the allocator: it releases what is free at the time of the call, so nexus may
call it where a large piece of work has just ended.
"""

from __future__ import annotations

import ctypes

__all__ = ["release_free_memory"]


def release_free_memory() -> bool:
    """Return the C library's free memory to the system (glibc ``malloc_trim(0)``).

    Returns
    -------
    bool
        True if memory was released; False where nothing was, or the C library has
        no ``malloc_trim`` (macOS, Windows, musl).
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    return bool(trim(0))
