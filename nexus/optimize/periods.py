"""Representative days for the optimizer (time-series aggregation with tsam).

tsam (Hoffmann et al. 2022, https://github.com/FZJ-IEK3-VSA/tsam) is used
rather than our own clustering: it is the well-kept library energy-system
models use for this, with medoid representatives, column-mean preservation
and accuracy metrics built in.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from nexus.optimize.maps import Maps

if TYPE_CHECKING:
    from nexus._typing import FloatArray

__all__ = ["typical_days"]


def typical_days(maps: Maps, n_days: int, *, year: int = 2025) -> Maps:
    """Aggregate a year of hourly maps to representative days.

    Parameters
    ----------
    maps : Maps
        Full-year maps (8760 hourly steps).
    n_days : int
        Number of representative days (1-365).
    year : int
        Calendar year of the hourly axis (for tsam's datetime index).

    Returns
    -------
    Maps
        ``n_days x 24`` steps; ``weights`` the number of days each represents
        (they sum to 365 days of hours); storage is cyclic within each day
        (``period_hours = 24``); ``aggregation_error`` the RMSE of each
        series' reconstruction, relative to its mean over the year; ``hours``
        the calendar hours of the real day each representative day is (its
        medoid), so results can be placed in the year.

    Notes
    -----
    Medoid days (real days of the year, so the series of a day stay
    consistent with each other), hierarchical clustering, every column
    rescaled to keep its annual mean. All series and samples are clustered
    together, each scaled by its own maximum so they weigh alike.
    """
    import pandas as pd
    import tsam

    series = {
        f"{node}.{name}": arr for node, m in maps.nodes.items() for name, arr in m.series.items()
    }
    series |= {f"route{r}.flow_m3_h": flow for r, flow in enumerate(maps.route_flow_m3_h)}
    names, rows = [], []
    for name, arr in series.items():
        a = np.atleast_2d(arr)
        for k in range(a.shape[0]):
            names.append(f"{name}[{k}]")
            rows.append(a[k])
    data = np.stack(rows, axis=1)
    hours = data.shape[0]
    scale = np.max(np.abs(data), axis=0)
    scale[scale == 0] = 1.0
    index = pd.date_range(f"{year}-01-01", periods=hours, freq="h")
    frame = pd.DataFrame(data / scale, index=index, columns=names)
    result = tsam.aggregate(frame, n_days, period_duration=24)
    reps = result.cluster_representatives.to_numpy() * scale  # (n_days * 24, columns)
    counts = result.cluster_counts
    days = sorted(counts)
    weights = np.repeat([float(counts[d]) for d in days], 24)
    hours = None
    if maps.hours is not None:  # the calendar hours each representative day stands for
        medoids = _medoid_days(result, data / scale, days)
        hours = maps.hours.reshape(-1, 24)[medoids].ravel()
    aggregated = {}
    col = 0
    for name, arr in series.items():
        k = np.atleast_2d(arr).shape[0]
        block = reps[:, col : col + k].T
        aggregated[name] = block if np.ndim(arr) == 2 else block[0]
        col += k
    reconstructed = result.reconstructed.to_numpy() * scale
    error = {}
    for j, name in enumerate(names):
        mean = np.mean(np.abs(data[:, j]))
        if mean > 0:
            error[name] = float(np.sqrt(np.mean((reconstructed[:, j] - data[:, j]) ** 2)) / mean)
    nodes = {
        node: dataclasses.replace(m, series={k: aggregated[f"{node}.{k}"] for k in m.series})
        for node, m in maps.nodes.items()
    }
    flows = [aggregated[f"route{r}.flow_m3_h"] for r in range(len(maps.route_flow_m3_h))]
    return dataclasses.replace(
        maps,
        nodes=nodes,
        route_flow_m3_h=flows,
        weights=weights,
        period_hours=24,
        aggregation_error=error,
        hours=hours,
    )


def _medoid_days(result: Any, scaled: FloatArray, days: list[int]) -> list[int]:
    """The day of the year (0-based) each representative day is: tsam's cluster centre
    (the medoid), or, where tsam does not say, the day of the cluster nearest to the
    representative (the medoid before the means were rescaled)."""
    centers = getattr(getattr(result, "clustering", None), "cluster_centers", None)
    if centers is not None and len(centers) >= len(days):
        return [int(centers[d]) for d in days]
    assigned = np.asarray(result.cluster_assignments)
    by_day = scaled.reshape(-1, 24, scaled.shape[1])
    reps = result.cluster_representatives.to_numpy().reshape(len(days), 24, -1)
    out = []
    for k, d in enumerate(days):
        members = np.flatnonzero(assigned == d)
        gaps = ((by_day[members] - reps[k]) ** 2).sum(axis=(1, 2))
        out.append(int(members[np.argmin(gaps)]))
    return out
