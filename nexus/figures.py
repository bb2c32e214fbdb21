"""Figures of a simulated district: Sankey diagrams, monthly profiles, costs, Pareto fronts.

What flows where is read from the Dataset alone (:func:`nexus.simulate`, also one
read back from netCDF), from what every result holds (:mod:`nexus.results`) and
what the node types declare (:mod:`nexus.registry`): no figure branches on a
type's name.

- :func:`sankey_flows`: the annual flows of one carrier (water, energy, N, P)
  between the nodes, as a table;
- :func:`sankey_figure`, :func:`monthly_figures`, :func:`costs_figure`,
  :func:`pareto_figure`: interactive plotly figures;
- :func:`write_figures`: the same figures as PNG and SVG files.

Every text that comes from a district file (node and district names) is
HTML-escaped before it goes into a figure: plotly renders a few HTML tags in
its labels, and shows an escaped ``<script>`` as the text it is.

plotly and kaleido are imported where they are used (``import nexus`` stays fast).
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nexus.components import ELEMENTS, element_matrix
from nexus.constants import HOURS_PER_YEAR
from nexus.errors import NexusError, ParameterError
from nexus.registry import ROLES

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd
    import plotly.graph_objects as go
    import xarray as xr

    from nexus.schema import Objective

__all__ = [
    "CARRIERS",
    "costs_figure",
    "link_label",
    "monthly_figures",
    "pareto_figure",
    "sankey_figure",
    "sankey_flows",
    "write_figures",
]


def link_label(link: str) -> str:
    """A connection of the district file as a plot's legend says it: the nodes by their
    names in the file, and the outlet where its name says what flows.

    Parameters
    ----------
    link : str
        A connection, ``"node.port -> node.port"`` (the ``stream``, ``heat_link``,
        ``power_link`` and ``gas_link`` coordinates of a result).

    Returns
    -------
    str

    Examples
    --------
    >>> link_label("homes.greywater -> gw_hp.in")
    'greywater: homes to gw_hp'
    >>> link_label("gw_hp.out -> sewer.in")
    'gw_hp to sewer'
    """
    source, _, target = (part.strip() for part in str(link).partition("->"))
    node, _, port = source.partition(".")
    to = target.partition(".")[0]
    return f"{port}: {node} to {to}" if port not in ("", "out") else f"{node} to {to}"


#: Carriers a Sankey diagram can show: plain title and units of its annual flows.
CARRIERS: dict[str, tuple[str, str]] = {
    "water": ("water", "m3/yr"),
    "energy": ("energy: heat, electricity and biogas", "MWh/yr"),
    "N": ("nitrogen", "kg/yr"),
    "P": ("phosphorus", "kg/yr"),
}
#: Colour of each kind of flow in the Sankey diagrams (links drawn half transparent).
FLOW_COLOURS: dict[str, str] = {
    "water": "#1f77b4",
    "heat": "#d62728",
    "electricity": "#e6a700",
    "biogas": "#2ca02c",
    "wastewater heat": "#9467bd",
    "backup heat": "#7f7f7f",
    "lost": "#bcbd22",
    "N": "#17becf",
    "P": "#8c564b",
    "recovered": "#2ca02c",
    "dosed": "#7f7f7f",
}
#: Flows smaller than this share of a diagram's largest flow are left out (rounding).
TINY_FRAC = 1e-9


def _scale(ds: xr.Dataset) -> float:
    """Hours per year over the hours simulated: totals of a shorter run are scaled to a year."""
    return HOURS_PER_YEAR / ds.sizes["time"]


def _ends(ds: xr.Dataset, dim: str) -> tuple[list[str], list[str]]:
    return [str(v) for v in ds[f"{dim}_from"].values], [str(v) for v in ds[f"{dim}_to"].values]


def _annual_by(ds: xr.Dataset, name: str, dim: str) -> np.ndarray:
    """A variable over ``time`` and ``dim`` summed over the year [its units x h]."""
    return np.asarray(ds[name].sum("time").to_numpy(), dtype=float) * _scale(ds)


def _link_rows(
    sources: list[str], targets: list[str], values: np.ndarray, kind: str
) -> list[tuple[str, str, float, str]]:
    return [(s, t, float(v), kind) for s, t, v in zip(sources, targets, values, strict=True)]


def _node_rows(
    ds: xr.Dataset, values: np.ndarray, other: str, kind: str, *, into: bool
) -> list[tuple[str, str, float, str]]:
    """Flows between each node and a label that is not a node (``values`` over ``node``)."""
    nodes = [str(n) for n in ds["node"].values]
    return [
        (other, node, float(v), kind) if into else (node, other, float(v), kind)
        for node, v in zip(nodes, values, strict=True)
    ]


def _role_by_node(ds: xr.Dataset, roles: set[str]) -> np.ndarray:
    """Annual sum by node of the outputs with one of ``roles`` [their units x h]."""
    total = np.zeros(ds.sizes["node"])
    for name, var in ds.data_vars.items():
        if var.attrs.get("role") in roles:
            total += np.nan_to_num(_annual_by(ds, str(name), "node"))
    return total


def _water_flows(ds: xr.Dataset) -> list[tuple[str, str, float, str]]:
    rows = _link_rows(*_ends(ds, "stream"), _annual_by(ds, "flow_m3_h", "stream"), "water")
    lost = _annual_by(ds, "water_lost_m3_h", "node")
    return rows + _node_rows(ds, lost, "lost to the air", "lost", into=False)


def _energy_flows(ds: xr.Dataset) -> list[tuple[str, str, float, str]]:
    from nexus.units.chp import LHV_CH4_kWh_Nm3

    rows = _link_rows(*_ends(ds, "heat_link"), _annual_by(ds, "heat_kW", "heat_link"), "heat")
    rows += _link_rows(
        *_ends(ds, "power_link"), _annual_by(ds, "electricity_kW", "power_link"), "electricity"
    )
    methane_kWh = _annual_by(ds, "methane_Nm3_h", "gas_link") * LHV_CH4_kWh_Nm3
    rows += _link_rows(*_ends(ds, "gas_link"), methane_kWh, "biogas")
    recovered = _role_by_node(ds, {"heat_recovered"})
    rows += _node_rows(ds, recovered, "heat in wastewater", "wastewater heat", into=True)
    backup = _annual_by(ds, "heat_backup_kW", "node")
    rows += _node_rows(ds, backup, "backup heat (bought)", "backup heat", into=True)
    rows += _node_rows(ds, _annual_by(ds, "heat_loss_kW", "node"), "heat lost", "lost", into=False)
    return [(s, t, v / 1000.0, kind) for s, t, v, kind in rows]  # kWh -> MWh


def _element_flows(ds: xr.Dataset, element: str) -> list[tuple[str, str, float, str]]:
    k = ELEMENTS.index(element)
    loads = ds["load_kg_h"].sum("time").to_numpy() * _scale(ds)  # (stream, component)
    rows = _link_rows(*_ends(ds, "stream"), loads @ element_matrix()[k], element)
    recovered = _role_by_node(ds, {r for r, spec in ROLES.items() if spec.element == element})
    removed = _annual_by(ds, "removed_kg_h", "node")[:, k]
    dosed = _annual_by(ds, "dosed_kg_h", "node")[:, k]
    held = _annual_by(ds, "accumulation_kg_h", "node")[:, k]
    rows += _node_rows(ds, recovered, "recovered for farms", "recovered", into=False)
    rows += _node_rows(
        ds, removed - recovered, "removed as gas or other product", "lost", into=False
    )
    rows += _node_rows(ds, dosed, "dosed in chemicals", "dosed", into=True)
    rows += _node_rows(ds, np.maximum(held, 0.0), "held in the unit", element, into=False)
    rows += _node_rows(ds, np.maximum(-held, 0.0), "released from store", element, into=True)
    return rows


def sankey_flows(ds: xr.Dataset, carrier: str) -> pd.DataFrame:
    """The annual flows of one carrier through a simulated district.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`nexus.simulate`.
    carrier : {"water", "energy", "N", "P"}
        Water in its streams and lost to the air (evapotranspiration) [m3/yr]; energy [MWh/yr]: heat and electricity on the
        district's links, methane on its gas links (at its lower heating value),
        wastewater heat the units recover (outputs with the role ``heat_recovered``),
        backup heat bought and heat lost; nitrogen or phosphorus [kg/yr]: in the
        streams, recovered for farms (outputs whose role recovers the element), removed
        otherwise (as a gas), dosed, held in or released by units.

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``target`` (node names, or plain labels such as
        ``"recovered for farms"`` for what is not a node), ``value`` and ``kind``
        (what flows: ``"heat"``, ``"electricity"`` ...); flows of 0 are left out.

    Raises
    ------
    nexus.ParameterError
        An unknown carrier.

    Examples
    --------
    >>> import nexus
    >>> ds = nexus.simulate(nexus.load_district("districts/buiksloterham.toml"))
    >>> water = sankey_flows(ds, "water")
    >>> list(water.columns)
    ['source', 'target', 'value', 'kind']
    >>> round(float(water[water.target == "sewer"].value.sum()), -3)  # m3/yr
    35000.0
    """
    import pandas as pd

    flows = {
        "water": _water_flows,
        "energy": _energy_flows,
        "N": lambda d: _element_flows(d, "N"),
        "P": lambda d: _element_flows(d, "P"),
    }
    if carrier not in flows:
        raise ParameterError(f"carrier = {carrier!r}; expected one of: {', '.join(CARRIERS)}")
    table = pd.DataFrame(flows[carrier](ds), columns=["source", "target", "value", "kind"])
    largest = float(table["value"].abs().max()) if len(table) else 0.0
    return table[table["value"] > TINY_FRAC * largest].reset_index(drop=True)


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def sankey_figure(ds: xr.Dataset, carrier: str, *, title: str | None = None) -> go.Figure:
    """A Sankey diagram of one carrier's annual flows (:func:`sankey_flows`).

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`nexus.simulate`.
    carrier : {"water", "energy", "N", "P"}
    title : str, optional
        Plain text (escaped here); default the carrier and its units.

    Returns
    -------
    plotly.graph_objects.Figure
        Nodes labelled by their names in the district file; links coloured by what
        flows, their values in the hover text.
    """
    import plotly.graph_objects as go

    flows = sankey_flows(ds, carrier)
    plain, units = CARRIERS[carrier]
    labels = list(dict.fromkeys([*flows["source"], *flows["target"]]))
    index = {label: i for i, label in enumerate(labels)}
    link = {
        "source": [index[s] for s in flows["source"]],
        "target": [index[t] for t in flows["target"]],
        "value": flows["value"].tolist(),
        "color": [_rgba(FLOW_COLOURS[k], 0.45) for k in flows["kind"]],
        "customdata": flows["kind"].tolist(),
        "hovertemplate": "%{source.label} → %{target.label}<br>%{customdata}: %{value}<extra></extra>",
    }
    figure = go.Figure(
        go.Sankey(
            node={"label": [html.escape(label) for label in labels], "pad": 18},
            link=link,
            valueformat=",.3~r",
            valuesuffix=f" {units}",
        )
    )
    heading = title if title is not None else f"{plain} [{units}]"
    figure.update_layout(title=html.escape(heading), template="plotly_white", height=420)
    return figure


def _monthly(ds: xr.Dataset, role: str, factor: float) -> pd.Series:
    """A role's district total by month [units x h x factor]."""
    names = [n for n, v in ds.data_vars.items() if v.attrs.get("role") == role]
    hourly = sum(ds[n].sum("node", skipna=True) for n in names)
    series = hourly.to_series() * factor  # type: ignore[union-attr]
    return series.resample("MS").sum()


def monthly_figures(ds: xr.Dataset) -> dict[str, go.Figure]:
    """Monthly district totals of the declared roles: energy and nutrients.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`nexus.simulate`.

    Returns
    -------
    dict of str to plotly.graph_objects.Figure
        ``"monthly_energy"``: each role in kW (heat recovered, heat demand, EV charging)
        by month [MWh]; ``"monthly_nutrients"``: each role that recovers an element
        (phosphorus, nitrogen ...) by month [kg]. A figure whose roles no output has is
        left out.
    """
    import plotly.graph_objects as go

    present = {str(v.attrs["role"]) for v in ds.data_vars.values() if "role" in v.attrs}
    groups = {
        "monthly_energy": ("heat and electricity by month", "MWh", "kW", 1e-3),
        "monthly_nutrients": ("nutrients recovered for farms by month", "kg", "kg h-1", 1.0),
    }
    out = {}
    for key, (title, units, role_units, factor) in groups.items():
        roles = [r for r, spec in ROLES.items() if spec.units == role_units and r in present]
        if not roles:
            continue
        figure = go.Figure()
        for role in roles:
            series = _monthly(ds, role, factor)
            months = [month.strftime("%b") for month in series.index]
            figure.add_bar(x=months, y=series.to_numpy(), name=ROLES[role].plain)
        figure.update_layout(
            title=title,
            yaxis_title=units,
            barmode="group",
            template="plotly_white",
            height=380,
            legend={"orientation": "h", "y": -0.15},
        )
        out[key] = figure
    return out


def costs_figure(tables: Mapping[str, pd.DataFrame], currency: str) -> go.Figure:
    """What each district or scenario pays per year, by unit and item, as stacked bars.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        ``{label: nexus.costs.cost_table(ds)}``: nodes by cost items [currency/yr].
    currency : str
        The district's currency (axis title).

    Returns
    -------
    plotly.graph_objects.Figure
        One bar per district, one segment per node and item (the plant's first, then the
        energy bill); items not priced are left out (the cost table shows them).
    """
    import plotly.graph_objects as go

    from nexus.costs import COST_ITEMS, PLANT_ITEMS

    labels = list(tables)
    segments: dict[tuple[str, str], list[float]] = {}
    for k, table in enumerate(tables.values()):
        for node in table.index:
            for item in COST_ITEMS:
                if item in table.columns and table.loc[node, item] == table.loc[node, item]:
                    values = segments.setdefault((str(node), item), [0.0] * len(labels))
                    values[k] = float(table.loc[node, item])
    figure = go.Figure()
    order = sorted(segments, key=lambda key: (key[1] not in PLANT_ITEMS, key[1], key[0]))
    for node, item in order:
        part = "plant" if item in PLANT_ITEMS else "energy bill"
        figure.add_bar(
            y=[html.escape(label) for label in labels],
            x=segments[(node, item)],
            name=html.escape(f"{part}: {node}, {COST_ITEMS[item]}"),
            orientation="h",
        )
    figure.update_layout(
        title="what the plant costs and what the district buys, per year",
        xaxis_title=html.escape(f"{currency}/yr"),
        barmode="relative",
        template="plotly_white",
        height=260 + 60 * len(labels),
        yaxis={"automargin": True, "autorange": "reversed"},
        legend={"font": {"size": 10}},
    )
    return figure


def pareto_objectives(result: xr.Dataset) -> tuple[str, str]:
    """The two objectives of an optimizer result's Pareto front: (objective, trade-off).

    Read from the result's ``pareto_objectives`` attribute (``"cost,nutrients"``)
    where it has one, else its ``objective`` and that objective's trade-off
    (:data:`nexus.schema.OBJECTIVES`).

    Raises
    ------
    nexus.ParameterError
        The result names no objective nexus knows.
    """
    from nexus.schema import OBJECTIVES

    named = str(result.attrs.get("pareto_objectives", ""))
    if named:
        first, _, second = named.partition(",")
        pair = (first.strip(), second.strip())
    else:
        objective = str(result.attrs.get("objective", ""))
        pair = (objective, OBJECTIVES[objective].trade_off if objective in OBJECTIVES else "")
    if not all(p in OBJECTIVES for p in pair):
        raise ParameterError(
            f"optimizer result of {result.attrs.get('district_name', '?')!r}: objectives "
            f"{pair!r}; expected two of: {', '.join(OBJECTIVES)} (a result of nexus.optimize)"
        )
    return pair


def pareto_figure(result: xr.Dataset) -> go.Figure:
    """The Pareto front of an optimizer result, its two objectives on the axes.

    Parameters
    ----------
    result : xarray.Dataset
        From :func:`nexus.optimize.solve` (with ``pareto``, or a single optimum).

    Returns
    -------
    plotly.graph_objects.Figure
        The trade-off objective on x, the objective on y (plain names and units),
        each point's number in the hover text; the two ends labelled by the
        objective they are best at.
    """
    import plotly.graph_objects as go

    from nexus.schema import OBJECTIVES

    currency = str(result.attrs.get("currency", "currency"))
    specs = [OBJECTIVES[name] for name in pareto_objectives(result)]
    y_spec, x_spec = specs
    x = result[x_spec.expression].to_numpy()
    y = result[y_spec.expression].to_numpy()

    def axis(spec: Objective) -> str:
        return html.escape(f"{spec.plain} [{spec.units.format(currency=currency)}]")

    figure = go.Figure(
        go.Scatter(
            x=x,
            y=y,
            mode="lines+markers",
            text=[f"point {p}" for p in result["pareto"].values],
            hovertemplate="%{text}<br>x %{x:,.4~g}<br>y %{y:,.4~g}<extra></extra>",
            name="Pareto front",
        )
    )
    for spec, values in ((y_spec, y), (x_spec, x)):
        best = int(np.nanargmax(values) if spec.sense == "max" else np.nanargmin(values))
        figure.add_annotation(
            x=x[best], y=y[best], text=html.escape(f"best {spec.plain}"), showarrow=True
        )
    figure.update_layout(
        title=html.escape(f"Pareto front: {y_spec.plain} against {x_spec.plain}"),
        xaxis_title=axis(x_spec),
        yaxis_title=axis(y_spec),
        template="plotly_white",
        height=420,
    )
    return figure


def _slug(name: str) -> str:
    """A file-name-safe form of a figure's name (``"sankey_water_no struvite"`` -> ...)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() or "figure"


#: Renderings of a figure kaleido may try before nexus gives up: kaleido returns without
#: writing a file when its browser times out (seen on a loaded 2-core machine), and a
#: second attempt then succeeds.
_RENDER_ATTEMPTS = 3


def write_figures(
    figures: Mapping[str, go.Figure],
    folder: str | Path,
    *,
    formats: tuple[str, ...] = ("png", "svg"),
) -> list[Path]:
    """Write figures as static images (PNG and SVG), each file whole or not at all.

    The images are rendered by kaleido with the Chrome or Chromium installed on the
    machine (Debian: ``apt-get install chromium``); nothing is downloaded.

    Parameters
    ----------
    figures : mapping of str to plotly.graph_objects.Figure
        By name; a file is named after its figure (letters, digits and ``_``).
    folder : str or pathlib.Path
        The folder to write to; made if its parent exists.
    formats : tuple of str
        Image formats kaleido writes (``"png"``, ``"svg"``, ``"pdf"``).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    nexus.NexusError
        The folder's parent does not exist, or no Chrome or Chromium was found.
    """
    import choreographer.errors
    import plotly.io as pio

    folder = Path(folder)
    if not folder.parent.is_dir():
        raise NexusError(f"{folder}: cannot write figures: folder {folder.parent} does not exist")
    folder.mkdir(exist_ok=True)
    names = [f"{_slug(name)}.{fmt}" for name in figures for fmt in formats]
    with tempfile.TemporaryDirectory(prefix=".figures.", dir=folder) as tmp:
        staged = [str(Path(tmp) / name) for name in names]
        drawn = [fig for fig in figures.values() for _ in formats]
        todo = list(range(len(names)))
        for _ in range(_RENDER_ATTEMPTS):
            try:
                pio.write_images(
                    [drawn[i] for i in todo], [staged[i] for i in todo], width=1000, scale=1.5
                )
            except choreographer.errors.ChromeNotFoundError as exc:
                raise NexusError(
                    f"{folder}: static figures need Chrome or Chromium, which was not found "
                    "(Debian: apt-get install chromium); the HTML report needs neither"
                ) from exc
            todo = [i for i in todo if not Path(staged[i]).is_file()]
            if not todo:
                break
        if todo:
            raise NexusError(
                f"{folder}: the browser rendering the figures did not write "
                f"{', '.join(names[i] for i in todo)} in {_RENDER_ATTEMPTS} attempts (a browser "
                "that starts too slowly on a loaded machine); nothing was written"
            )
        for name, path in zip(names, staged, strict=True):
            os.replace(path, folder / name)
    return [folder / name for name in names]
