"""Districts and scenarios side by side: their key figures and what changes between them.

:func:`compare_kpis` works on simulated Datasets alone (also ones read back
from netCDF), so saved scenarios compare without running them again;
:func:`compare` loads and simulates files first. The first district is the
reference: each other one gets a column of its change from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pandas as pd
    import xarray as xr

__all__ = ["compare", "compare_designs", "compare_kpis", "design_figures", "labels_for"]


def labels_for(names: Sequence[str], files: Sequence[str | Path]) -> list[str]:
    """Column labels: the district names, or the file names where two names are the same.

    Examples
    --------
    >>> labels_for(["A", "A", "B"], ["x/a.toml", "y/a2.toml", "b.toml"])
    ['a', 'a2', 'B']
    """
    labels = [
        name if list(names).count(name) == 1 else Path(file).stem
        for name, file in zip(names, files, strict=True)
    ]
    if len(set(labels)) < len(labels):  # the same file twice
        labels = [f"{label} ({i + 1})" for i, label in enumerate(labels)]
    return labels


def compare_kpis(results: Mapping[str, xr.Dataset]) -> pd.DataFrame:
    """The key figures of simulated districts side by side, with their changes.

    Parameters
    ----------
    results : mapping of str to xarray.Dataset
        ``{label: simulation}``, the reference first (:func:`nexus.simulate`).

    Returns
    -------
    pandas.DataFrame
        One row per key figure (:func:`nexus.kpis`; names end with their unit), in the
        order they first appear; one column per district, then for each district
        after the first a column ``"<label> - <reference>"`` with its change. A
        node's figure (``"<node>: ..."``) where the district has no such node is NaN,
        and so is its change; a district figure it lacks because none of its units
        has that role (no unit recovers phosphorus) is 0, which is what it recovers.

    Examples
    --------
    >>> import nexus
    >>> base = nexus.load_district("districts/buiksloterham.toml")
    >>> runs = {"plan": nexus.simulate(base), "no struvite": nexus.simulate(base.without("struvite"))}
    >>> table = compare_kpis(runs)
    >>> list(table.columns)
    ['plan', 'no struvite', 'no struvite - plan']
    """
    from nexus.indicators import kpis

    if not results:
        from nexus.errors import ParameterError

        raise ParameterError("compare_kpis: no results given; expected at least one")
    columns = {label: kpis(ds) for label, ds in results.items()}
    rows = list(dict.fromkeys(name for column in columns.values() for name in column.index))
    nodes = {str(n) for ds in results.values() for n in ds["node"].values}
    district_rows = [r for r in rows if r.split(": ", 1)[0] not in nodes]
    for label, column in columns.items():
        full = column.reindex(rows)
        full[district_rows] = full[district_rows].fillna(0.0)
        columns[label] = full
    table = _with_changes(columns)
    table.index.name = "key figure"
    return table


def _with_changes(columns: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Columns side by side (rows in order of first appearance), then each one's change from
    the first."""
    import pandas as pd

    rows = list(dict.fromkeys(name for column in columns.values() for name in column.index))
    table = pd.DataFrame({label: column.reindex(rows) for label, column in columns.items()})
    reference = next(iter(columns))
    for label in list(columns)[1:]:
        table[f"{label} - {reference}"] = table[label] - table[reference]
    return table


def design_figures(ds: xr.Dataset) -> pd.Series:
    """An optimized design's figures and sizes (its first Pareto point), named with units.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`nexus.optimize.solve`.

    Returns
    -------
    pandas.Series
        ``"<figure> [<units>]"`` for each figure (cost, plant cost, energy bill, energy,
        P and N, and their verified values) and ``"<unit>: <size> [<units>]"`` for each
        size chosen.
    """
    import pandas as pd

    point = ds.isel(pareto=0)
    cur = str(ds.attrs.get("currency", "currency"))
    values: dict[str, float] = {}
    for name, var in point.data_vars.items():
        units = str(var.attrs.get("units", "")).format(currency=cur)
        if var.dims == ():
            if name in ("period_hours",):
                continue
            values[f"{name} [{units}]"] = float(var)
        elif var.dims == ("node",) and str(var.attrs.get("long_name", "")).startswith(
            "design size"
        ):
            for node, v in zip(point["node"].values, var.values, strict=True):
                if v == v:
                    values[f"{node}: {name} [{units}]"] = float(v)
    return pd.Series(values, dtype=float)


def compare_designs(results: Mapping[str, xr.Dataset]) -> pd.DataFrame:
    """Optimized designs side by side (:func:`design_figures`), with their changes.

    Parameters
    ----------
    results : mapping of str to xarray.Dataset
        ``{label: optimization}`` (:func:`nexus.optimize.solve`), the reference first.
    """
    if not results:
        from nexus.errors import ParameterError

        raise ParameterError("compare_designs: no results given; expected at least one")
    table = _with_changes({label: design_figures(ds) for label, ds in results.items()})
    table.index.name = "design figure"
    return table


def compare(files: Sequence[str | Path]) -> pd.DataFrame:
    """Load and simulate district or scenario files, and compare their key figures.

    Parameters
    ----------
    files : sequence of str or pathlib.Path
        District or scenario files (:mod:`nexus.scenario`); the first is the reference.

    Returns
    -------
    pandas.DataFrame
        As :func:`compare_kpis`, columns labelled by district name
        (:func:`labels_for`).

    Raises
    ------
    nexus.DistrictError
        A file is invalid (the message names it).
    """
    from nexus.district import load_district
    from nexus.simulation import simulate

    districts = [load_district(f) for f in files]
    labels = labels_for([d.name for d in districts], files)
    return compare_kpis({label: simulate(d) for label, d in zip(labels, districts, strict=True)})
