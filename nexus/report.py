"""Reports that open in a browser: one self-contained HTML file per run or comparison.

:func:`write_report` writes the report of one simulated district, or of several
side by side (the first the reference, as :func:`nexus.compare.compare_kpis`):

- the key figures as cards, in plain words with their units (:func:`nexus.kpis`);
- Sankey diagrams of water, energy (heat, electricity, biogas), nitrogen and
  phosphorus through the district, nodes named as in the file
  (:func:`nexus.figures.sankey_figure`); one set per scenario in a comparison;
- monthly profiles of the district totals (heat recovered against demand,
  nutrients recovered);
- costs by unit: what each unit's capital and chemicals cost and the energy bill, by node
  and item (:func:`nexus.costs.cost_table`), as stacked bars and tables;
- the Pareto front of an optimizer result, when one is given;
- every assumption with its source: each node's parameters with value, unit,
  meaning and source (the parameter's cited source, or the district file and the
  comment beside the value where the file sets it), and the ``source`` strings of
  the file's ``[optimize]`` tables.

The figures are interactive (plotly); plotly.js is embedded once, inline, so the
file opens without a network. Every string that comes from a file (district,
node and scenario names, comments, sources) is HTML-escaped. The file is
written atomically (:func:`nexus.io.atomic_write`).
"""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nexus.errors import NexusError, ParameterError

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go
    import xarray as xr

    from nexus.district import District, Node

__all__ = ["shown", "write_report"]

_NAME_UNITS = re.compile(r"^(?P<plain>.*) \[(?P<units>[^\]]*)\]$")
_HEADER = re.compile(r"^\s*\[(?P<table>[^\[\]]+)\]\s*(?:#\s*(?P<note>.*))?$")
_KEY = re.compile(
    r"""^\s*(?P<key>[A-Za-z0-9_]+)\s*=\s*(?:"[^"]*"|'[^']*'|[^#"']*?)\s*#\s*(?P<note>.*)$"""
)
_COMMENT = re.compile(r"^\s*#\s*(?P<note>.*)$")
#: How deep a chain of scenario files (``base = ...``) is followed for the file's comments.
_MAX_BASES = 10

_CSS = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#222}
h1{margin-bottom:.2em}.meta{color:#666;font-size:.9em}
.cards{display:flex;flex-wrap:wrap;gap:.8em}
.kpi{border:1px solid #ddd;border-radius:8px;padding:.6em .9em;min-width:12em;max-width:18em}
.kpi .value{font-size:1.6em;font-weight:600}.kpi .units{color:#555;margin-left:.3em}
.kpi .plain{font-size:.85em;color:#444}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:1em}
@media (max-width:900px){.grid{grid-template-columns:minmax(0,1fr)}}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border-bottom:1px solid #eee;padding:.25em .6em;text-align:left;vertical-align:top}
td.value{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.change{color:#555}details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
"""


def _e(text: object) -> str:
    """Text as HTML: every string from a file goes through here."""
    return html.escape(str(text), quote=True)


def shown(value: float, *, signed: bool = False) -> str:
    """A key figure as the report (and the command line) shows it: thousands separated,
    three significant digits, none dropped left of the point; NaN a dash.

    Values of 100 and more show no decimals, of 10 and more one, of 1 and more two,
    smaller ones three significant digits (at most six decimals); 0 is ``0`` (no change),
    and so is a value that rounds to 0.

    Examples
    --------
    >>> shown(1264.72), shown(33.63), shown(3.267), shown(float("nan")), shown(-2.5, signed=True)
    ('1,265', '33.6', '3.27', '–', '-2.50')
    >>> shown(0.012345), shown(421100.4), shown(-1e-9)
    ('0.0123', '421,100', '0')
    """
    if not np.isfinite(value):
        return "–"
    size = abs(value)
    if size >= 1:
        digits = 0 if size >= 100 else 1 if size >= 10 else 2
    elif size > 0:
        digits = min(6, 2 - int(np.floor(np.log10(size))))
    else:
        return "0"
    text = f"{value:{'+' if signed else ''},.{digits}f}"
    return "0" if not text.strip("+-0.,") else text


def _split(name: str) -> tuple[str, str]:
    """A key figure's name as (plain words, units): ``"heat recovered [MWh/yr]"``."""
    match = _NAME_UNITS.match(name)
    return (match["plain"], match["units"]) if match else (name, "")


def _node_of(name: str, nodes: set[str]) -> str | None:
    head, sep, _ = name.partition(": ")
    return head if sep and head in nodes else None


def _nodes(results: Mapping[str, xr.Dataset]) -> set[str]:
    return {str(n) for ds in results.values() for n in ds["node"].values}


# ---------------------------------------------------------------- sections


def _cards(kpis: pd.Series, nodes: set[str], label: str) -> str:
    """The district's key figures (not a node's own) as cards."""
    cards = []
    for name, value in kpis.items():
        if _node_of(str(name), nodes) is not None:
            continue
        plain, units = _split(str(name))
        cards.append(
            f'<div class="kpi"><span class="value" data-kpi="{_e(name)}" data-column="{_e(label)}">'
            f'{shown(float(value))}</span><span class="units">{_e(units)}</span>'
            f'<div class="plain">{_e(plain)}</div></div>'
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _kpi_table(table: pd.DataFrame, scenarios: int) -> str:
    """Key figures, a column per scenario (the first ``scenarios``), then their changes."""
    head = "".join(f"<th>{_e(c)}</th>" for c in ["key figure", *table.columns])
    rows = []
    for name, row in table.iterrows():
        cells = [
            f'<td class="value{" change" if i >= scenarios else ""}" data-kpi="{_e(name)}" '
            f'data-column="{_e(column)}">{shown(float(v), signed=i >= scenarios)}</td>'
            for i, (column, v) in enumerate(row.items())
        ]
        rows.append(f"<tr><td>{_e(name)}</td>{''.join(cells)}</tr>")
    return f'<table class="kpis"><tr>{head}</tr>{"".join(rows)}</table>'


def _costs_section(results: Mapping[str, xr.Dataset]) -> tuple[str, dict[str, go.Figure]]:
    """The costs by unit of each district (:func:`nexus.costs.cost_table`) and their figure."""
    from nexus.costs import cost_table
    from nexus.figures import costs_figure

    tables = {label: cost_table(ds) for label, ds in results.items() if "cost_per_yr" in ds}
    if not tables:
        return "<p>No costs in these results.</p>", {}
    currency = str(next(iter(results.values())).attrs.get("currency", ""))
    figure = costs_figure(tables, currency)
    note = (
        '<p class="meta">Per year, in the district\'s currency. The plant: annualized '
        "capital of the units with a cited cost line and the chemicals they dose; the energy "
        "bill: electricity bought less sold, backup heat and EV charging the units did not "
        "supply. A dash: not priced (no cost line), not free.</p>"
    )
    blocks = "".join(
        f"<details{' open' if i == 0 else ''}><summary>{_e(label)}</summary>"
        f"{_cost_table_html(table)}</details>"
        for i, (label, table) in enumerate(tables.items())
    )
    return note + _figure(figure, "costs-figure") + blocks, {"costs": figure}


def _cost_table_html(table: pd.DataFrame) -> str:
    """A cost table as HTML, numbers as the report shows them (:func:`shown`), NaN a dash."""
    head = "".join(f"<th>{_e(str(c).replace('_', ' '))}</th>" for c in ["unit", *table.columns])
    rows = []
    for node, row in table.iterrows():
        cells = "".join(f'<td class="value">{shown(v)}</td>' for v in row.to_numpy())
        rows.append(f"<tr><td>{_e(str(node))}</td>{cells}</tr>")
    return f'<table class="kpis"><tr>{head}</tr>{"".join(rows)}</table>'


def _figure(figure: go.Figure, div_id: str) -> str:
    import plotly.io as pio

    return str(
        pio.to_html(
            figure,
            full_html=False,
            include_plotlyjs=False,
            div_id=f"figure-{div_id}",  # apart from the sections' ids
            config={"displaylogo": False, "responsive": True},
        )
    )


def _grid(figures: Mapping[str, go.Figure], prefix: str) -> str:
    """Figures two by two, each in its own ``<div id="<prefix>-<name>">``.

    The columns are fixed before the figures are drawn (a grid that fits its columns
    to its children would give the first figure the whole width while the page loads,
    and plotly would lay it out so)."""
    return f'<div class="grid">{"".join(_figure(f, f"{prefix}-{n}") for n, f in figures.items())}</div>'


def _sankeys(ds: xr.Dataset) -> dict[str, go.Figure]:
    from nexus.figures import CARRIERS, sankey_figure

    return {f"sankey_{c}": sankey_figure(ds, c) for c in CARRIERS}


# ---------------------------------------------------------------- assumptions


def _notes(path: Path, depth: int = 0) -> dict[str, str]:
    """The comments beside the values of a district or scenario file, by dotted key path.

    A table's own note (beside its header and on the comment lines right below it) is
    under the table's path. A scenario file's notes extend those of its base.
    """
    try:
        text = path.read_text(encoding="utf-8")
        base = tomllib.loads(text).get("base")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    notes: dict[str, str] = {}
    if isinstance(base, str) and depth < _MAX_BASES:
        notes.update(_notes(path.parent / base, depth + 1))
    table, heading = "", False
    for line in text.splitlines():
        if header := _HEADER.match(line):
            table, heading = header["table"].strip(), True
            if header["note"]:
                notes[table] = header["note"]
        elif heading and (comment := _COMMENT.match(line)):
            notes[table] = f"{notes.get(table, '')} {comment['note']}".strip()
        elif key := _KEY.match(line):
            notes[f"{table}.{key['key']}" if table else key["key"]] = key["note"]
            heading = False
        elif line.strip():
            heading = False
    return notes


def _value(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value)


def _parameter_rows(node: Node, notes: Mapping[str, str]) -> list[str]:
    """Rows of a node's parameters: key, value, unit, meaning, source."""
    rows = []
    for table, cls in node.type.tables.items():
        params = node.params[table] if table else node.params
        path = ".".join(p for p in (node.section, node.name, table) if p)
        if notes.get(path):
            rows.append(f'<tr><td colspan="5"><i>[{_e(path)}]: {_e(notes[path])}</i></td></tr>')
        for f in fields(cls):
            value = getattr(params, f.name)
            meta = f.metadata
            if value == f.default:
                source = str(meta.get("source", ""))
            else:
                note = notes.get(f"{path}.{f.name}")
                source = f"district file: {note}" if note else "district file"
            key = f"{table}.{f.name}" if table else f.name
            rows.append(
                f"<tr><td>{_e(key)}</td><td class='value'>{_e(_value(value))}</td>"
                f"<td>{_e(meta.get('unit', ''))}</td><td>{_e(meta.get('doc', ''))}</td>"
                f"<td>{_e(source)}</td></tr>"
            )
    return rows


def _declared_sources(data: Mapping[str, Any], path: str = "") -> list[tuple[str, str]]:
    """Every ``source`` (or ``*_source``) string of a district's tables: (table, text)."""
    out = []
    for key, value in data.items():
        where = f"{path}.{key}" if path else str(key)
        if isinstance(value, Mapping):
            out += _declared_sources(value, where)
        elif isinstance(value, str) and (key == "source" or str(key).endswith("_source")):
            out.append((where, value))
    return out


def _assumptions(district: District | None) -> str:
    if district is None:
        return (
            "<p>The district file was not given and the one the results name is missing "
            "or has changed since: its parameters cannot be listed.</p>"
        )
    notes = _notes(Path(district.file)) if district.file != "<dict>" else {}
    weather = district.weather_file or "the packaged typical Amsterdam year (nexus/data/README.md)"
    parts = [
        f'<p class="meta">district file {_e(district.file)}; weather: {_e(weather)}</p>',
        "<table><tr><th>table</th><th>source</th></tr>",
        *(
            f"<tr><td>{_e(w)}</td><td>{_e(s)}</td></tr>"
            for w, s in _declared_sources(district.data)
        ),
        "</table>",
    ]
    head = "<tr><th>parameter</th><th>value</th><th>unit</th><th>meaning</th><th>source</th></tr>"
    for node in district.nodes.values():
        rows = _parameter_rows(node, notes)
        title = f"{node.name} ({node.role}, type {node.type.name}): {node.type.description}"
        body = f"<table>{head}{''.join(rows)}</table>" if rows else "<p>No parameters.</p>"
        parts.append(f"<details><summary>{_e(title)}</summary>{body}</details>")
    return "".join(parts)


def _district_of(ds: xr.Dataset) -> District | None:
    """The district a result was simulated from, if its file is still what was simulated."""
    from nexus.district import load_district

    file = str(ds.attrs.get("district_file", ""))
    if not file or not Path(file).is_file():
        return None
    try:
        district = load_district(file)
    except NexusError:
        return None
    return district if district.sha256 == ds.attrs.get("district_sha256") else None


# ---------------------------------------------------------------- page


def _section(title: str, body: str, anchor: str) -> str:
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{body}</section>'


def _page(title: str, meta: str, sections: list[str]) -> str:
    from plotly.offline import get_plotlyjs

    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        f'<h1>{_e(title)}</h1><p class="meta">{_e(meta)}</p>{"".join(sections)}</body></html>'
    )


def _meta(ds: xr.Dataset) -> str:
    return (
        f"nexus {ds.attrs.get('nexus_version', '?')}; district file "
        f"{ds.attrs.get('district_file', '?')} (SHA-256 {str(ds.attrs.get('district_sha256', '?'))[:12]}); "
        f"{ds.sizes['time']} hourly steps; key figures per year"
    )


def _run_page(
    ds: xr.Dataset, district: District | None, optimization: xr.Dataset | None
) -> tuple[str, dict[str, go.Figure]]:
    from nexus.figures import monthly_figures, pareto_figure
    from nexus.indicators import kpis

    sankeys, monthly = _sankeys(ds), monthly_figures(ds)
    nodes = _nodes({"": ds})
    values = kpis(ds)
    label = str(ds.attrs.get("district_name", "district"))
    table = values.to_frame(label)
    sections = [
        _section("Key figures", _cards(values, nodes, label), "kpis"),
        _section("Flows through the district", _grid(sankeys, "run"), "sankeys"),
        _section("Monthly profiles", _grid(monthly, "run"), "monthly"),
    ]
    costs, costs_figures = _costs_section({label: ds})
    sections.append(_section("Costs by unit", costs, "costs"))
    figures = {**sankeys, **monthly, **costs_figures}
    if optimization is not None:
        figures["pareto"] = pareto_figure(optimization)
        where = f"optimizer result of {optimization.attrs.get('district_name', '?')}"
        body = f'<p class="meta">{_e(where)}</p>{_figure(figures["pareto"], "pareto")}'
        sections.append(_section("Pareto front", body, "pareto"))
    sections += [
        _section("All key figures", _kpi_table(table, 1), "all-kpis"),
        _section("Assumptions and their sources", _assumptions(district), "assumptions"),
    ]
    return _page(f"{label}: annual report", _meta(ds), sections), figures


def _compare_page(
    results: Mapping[str, xr.Dataset], districts: Mapping[str, District | None]
) -> tuple[str, dict[str, go.Figure]]:
    from nexus.compare import compare_kpis

    table = compare_kpis(results)
    nodes = _nodes(results)
    first = next(iter(results.values()))
    n = len(results)
    costs, figures = _costs_section(results)
    of_units = [_node_of(str(name), nodes) is not None for name in table.index]
    units_table = _kpi_table(table[of_units], n)
    sections = [
        _section(
            "Key figures side by side", _kpi_table(table[np.logical_not(of_units)], n), "kpis"
        ),
        _section("Costs by unit", costs, "costs"),
    ]
    for i, (label, ds) in enumerate(results.items()):
        sankeys = _sankeys(ds)
        figures.update({f"{name}_{label}": f for name, f in sankeys.items()})
        sections.append(_section(f"Flows: {label}", _grid(sankeys, f"s{i}"), f"sankeys-{i}"))
    units = f"<details><summary>every unit's key figures</summary>{units_table}</details>"
    sections.append(_section("Key figures of each unit", units, "unit-kpis"))
    assumptions = "".join(
        f"<details><summary>{_e(label)}</summary>{_assumptions(districts.get(label))}</details>"
        for label in results
    )
    sections.append(_section("Assumptions and their sources", assumptions, "assumptions"))
    title = "Scenarios compared: " + ", ".join(results)
    meta = f"reference: {next(iter(results))}; changes are each scenario minus the reference. "
    return _page(title, meta + _meta(first), sections), figures


def write_report(
    results: xr.Dataset | Mapping[str, xr.Dataset],
    path: str | Path,
    *,
    districts: District | Mapping[str, District] | None = None,
    optimization: xr.Dataset | None = None,
    figures_dir: str | Path | None = None,
) -> Path:
    """Write a self-contained HTML report of a simulated district, or of several compared.

    Parameters
    ----------
    results : xarray.Dataset or mapping of str to xarray.Dataset
        One simulation (:func:`nexus.simulate`): the report of a run; or
        ``{label: simulation}``, the reference first: a comparison (key figures side
        by side with their changes, :func:`nexus.compare.compare_kpis`, and one set of
        Sankey diagrams per scenario).
    path : str or pathlib.Path
        The HTML file to write (its folder must exist); replaced whole or not at all.
    districts : District or mapping of str to District, optional
        The district (or ``{label: district}``) the results were simulated from, whose
        parameters and sources the report lists. Default: each result's
        ``district_file``, if it still has the SHA-256 the result records.
    optimization : xarray.Dataset, optional
        An optimizer result (:func:`nexus.optimize.solve`) whose Pareto front the report
        of a run shows, its two objectives on the axes and its ends labelled.
    figures_dir : str or pathlib.Path, optional
        A folder (made if its parent exists) to write every figure to as PNG and SVG as well
        (:func:`nexus.figures.write_figures`; needs Chrome or Chromium installed).

    Returns
    -------
    pathlib.Path
        The report written.

    Raises
    ------
    nexus.ParameterError
        No results, an optimization given with a comparison, or a districts mapping
        that lacks a label.
    nexus.NexusError
        A folder that does not exist (the message names it).

    Examples
    --------
    >>> import nexus
    >>> from nexus.report import write_report
    >>> district = nexus.load_district("districts/buiksloterham.toml")
    >>> ds = nexus.simulate(district)
    >>> path = write_report(ds, getfixture("tmp_path") / "report.html", districts=district)
    >>> "Sankey" in path.read_text() or "sankey" in path.read_text()
    True
    """
    from nexus._xarray import xr
    from nexus.figures import write_figures
    from nexus.io import atomic_write

    if isinstance(results, xr.Dataset):
        district = None if isinstance(districts, Mapping) else districts
        page, figures = _run_page(results, district or _district_of(results), optimization)
    else:
        if not results:
            raise ParameterError("write_report: no results given; expected at least one")
        if optimization is not None:
            raise ParameterError(
                "write_report: optimization is shown in the report of one run; "
                "expected results to be one Dataset"
            )
        given = districts if isinstance(districts, Mapping) else {}
        chosen = {label: given.get(label) or _district_of(ds) for label, ds in results.items()}
        page, figures = _compare_page(results, chosen)
    written = atomic_write(path, lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
    if figures_dir is not None:
        write_figures(figures, figures_dir)
    return written
