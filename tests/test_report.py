"""Reports: the flows the Sankey diagrams draw, escaping, figures, and the HTML in a real browser.

The browser tests open each report in headless Chromium (Debian's ``chromium``,
which ``make test`` installs when missing): no console message, the key figures
the page shows after its scripts ran equal the Dataset's, every figure drawn, and
a screenshot that is not blank. Without Chromium they fail, they do not skip.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import nexus
from nexus.errors import NexusError, ParameterError
from nexus.figures import CARRIERS, pareto_figure, sankey_flows, write_figures
from nexus.report import _notes, write_report

ROOT = Path(__file__).resolve().parent.parent
NO_STRUVITE = ROOT / "districts" / "scenarios" / "buiksloterham_no_struvite.toml"


def _nexus(*args: str) -> subprocess.CompletedProcess:
    """The command line, run as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "nexus", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


HOSTILE = "<script>alert('district')</script> & <b>co</b>"


# ---------------------------------------------------------------- the flows


@pytest.mark.component
@pytest.mark.parametrize("carrier", ["water", "N", "P"])
def test_sankey_flows_balance_at_every_unit(buiksloterham_ds, carrier):
    """What enters a unit in the diagram leaves it (water, and N and P with what is
    recovered, removed, dosed or held): the diagram draws the balance the model closes."""
    flows = sankey_flows(buiksloterham_ds, carrier)
    units = buiksloterham_ds["node"].values[buiksloterham_ds["node_role"].values == "unit"]
    for unit in map(str, units):
        into = flows.loc[flows.target == unit, "value"].sum()
        out = flows.loc[flows.source == unit, "value"].sum()
        assert out == pytest.approx(into, rel=1e-6, abs=1e-6), (carrier, unit)


@pytest.mark.component
def test_sankey_flows_read_the_dataset(buiksloterham_ds):
    ds = buiksloterham_ds
    kpis = nexus.kpis(ds)
    phosphorus = sankey_flows(ds, "P")
    recovered = phosphorus.loc[phosphorus.target == "recovered for farms", "value"].sum()
    assert recovered == pytest.approx(kpis["phosphorus recovered for farms [kg/yr]"])
    energy = sankey_flows(ds, "energy")
    heat = energy[energy.kind == "heat"]
    assert heat.value.sum() * 1000 == pytest.approx(float(ds["heat_kW"].sum()))
    assert set(energy.kind) >= {"heat", "electricity", "biogas", "wastewater heat"}
    water = sankey_flows(ds, "water")
    assert set(water.source) | set(water.target) <= set(map(str, ds["node"].values))
    assert (water.value > 0).all()


@pytest.mark.unit
def test_an_unknown_carrier_is_refused(buiksloterham_ds):
    with pytest.raises(ParameterError, match=r"carrier = 'gold'.*water, energy, N, P"):
        sankey_flows(buiksloterham_ds, "gold")


# ---------------------------------------------------------------- assumptions


@pytest.mark.unit
def test_the_comments_beside_values_are_read_through_a_scenarios_base(tmp_path):
    (tmp_path / "base.toml").write_text(
        '[units.hp]  # the heat pump\n# as built in 2019\ntype = "x"\n'
        'area_m2 = 40.0   # Towler 2012\nname = "a # b"  # quoted hash\n'
    )
    (tmp_path / "s.toml").write_text('base = "base.toml"\n[units.hp]\narea_m2 = 60.0 # larger\n')
    notes = _notes(tmp_path / "s.toml")
    assert notes["units.hp"] == "the heat pump as built in 2019"
    assert notes["units.hp.area_m2"] == "larger"
    assert notes["units.hp.name"] == "quoted hash"


@pytest.mark.component
def test_the_report_lists_every_parameter_with_its_source(
    tmp_path, buiksloterham, buiksloterham_ds
):
    page = write_report(buiksloterham_ds, tmp_path / "r.html", districts=buiksloterham).read_text()
    assumptions = page[page.index('id="assumptions"') :]
    # a value the file sets: the file and the comment beside it
    assert "district file: 1 h of residence (Etter et al. 2011)" in assumptions
    # a default: the parameter's own cited source
    exchanger = nexus.registry.node_type("greywater_heat_pump").tables["exchanger"]
    import dataclasses

    for f in dataclasses.fields(exchanger):
        assert f.name in assumptions
    # the [optimize] source strings
    assert "Rapport Werkgroep discontovoet 2020" in assumptions
    assert "optimize.design.chp.capacity_kWe.source" in assumptions


# ---------------------------------------------------------------- escaping


@pytest.mark.component
def test_names_from_a_file_are_shown_as_text(tmp_path, buiksloterham, buiksloterham_ds):
    hostile = buiksloterham.with_values({"district.name": HOSTILE})
    ds = buiksloterham_ds.assign_attrs(district_name=HOSTILE)
    page = write_report(ds, tmp_path / "r.html", districts=hostile).read_text()
    body = page[page.index("</head>") :]  # plotly.js itself holds the word <script>
    assert "<script>alert" not in body and "<b>co" not in body
    assert "&lt;script&gt;alert(&#x27;district&#x27;)&lt;/script&gt; &amp; &lt;b&gt;co" in body
    compared = write_report({HOSTILE: ds, "plain": ds}, tmp_path / "c.html").read_text()
    body = compared[compared.index("</head>") :]
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body


# ---------------------------------------------------------------- Pareto, figures, errors


def _front() -> xr.Dataset:
    """An optimizer result's front, as nexus.optimize.solve lays it out."""
    return xr.Dataset(
        {
            "cost_per_yr": ("pareto", [1000.0, 1500.0, 3000.0], {"units": "EUR yr-1"}),
            "energy_kWh_yr": ("pareto", [1e5, 3e5, 4e5], {"units": "kWh yr-1"}),
        },
        coords={"pareto": [0, 1, 2]},
        attrs={"objective": "cost", "currency": "EUR", "district_name": "B"},
    )


@pytest.mark.component
def test_the_pareto_front_names_its_objectives_and_labels_its_ends():
    figure = pareto_figure(_front())
    assert figure.layout.xaxis.title.text == "net energy [kWh/yr]"
    assert figure.layout.yaxis.title.text == "cost [EUR/yr]"
    ends = {(a.text, a.x, a.y) for a in figure.layout.annotations}
    assert ends == {("best cost", 1e5, 1000.0), ("best net energy", 4e5, 3000.0)}
    named = _front().assign_attrs(pareto_objectives="cost,nutrients")
    with pytest.raises(KeyError):  # the result holds no P_kg_yr: the names are read
        pareto_figure(named)
    with pytest.raises(ParameterError, match="objectives"):
        pareto_figure(_front().assign_attrs(objective="beauty"))


@pytest.mark.integration
def test_a_real_front_is_drawn_with_its_objectives_and_ends(tmp_path):
    from test_optimize import small  # the small district with an [optimize] table

    from nexus.optimize import solve

    district = small()
    result = solve(district, pareto=3, verify=False)
    figure = pareto_figure(result)
    assert figure.layout.xaxis.title.text == "net energy [kWh/yr]"
    assert figure.layout.yaxis.title.text == f"cost [{district.info.currency}/yr]"
    cheapest = int(np.argmin(result["cost_per_yr"].values))
    ends = {a.text: a.x for a in figure.layout.annotations}
    assert ends["best cost"] == result["energy_kWh_yr"].values[cheapest]
    assert ends["best net energy"] == result["energy_kWh_yr"].values.max()


@pytest.mark.component
def test_a_report_with_an_optimizer_result_shows_its_front(tmp_path, buiksloterham_ds):
    page = write_report(buiksloterham_ds, tmp_path / "r.html", optimization=_front()).read_text()
    assert 'id="pareto"' in page and "best net energy" in page
    ids = re.findall(r'<[a-z]+ id="([^"]+)"', page[page.index("</head>") :])
    assert len(ids) == len(set(ids)), "a figure's id is also a section's: plotly draws in it"
    with pytest.raises(ParameterError, match="one Dataset"):
        write_report({"a": buiksloterham_ds}, tmp_path / "c.html", optimization=_front())


@pytest.mark.component
def test_a_report_into_a_missing_folder_names_it(tmp_path, buiksloterham_ds):
    with pytest.raises(NexusError, match="missing"):
        write_report(buiksloterham_ds, tmp_path / "missing" / "r.html")
    assert not list(tmp_path.iterdir())


@pytest.mark.component
def test_a_report_gets_the_permissions_of_a_new_file(tmp_path, buiksloterham_ds):
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    path = write_report(buiksloterham_ds, tmp_path / "r.html")
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # not the temporary file's 0o600


@pytest.mark.component
@pytest.mark.slow
def test_figures_are_written_as_png_and_svg(tmp_path):
    written = write_figures({"front of <B>": pareto_figure(_front())}, tmp_path)
    assert [p.name for p in written] == ["front_of_b.png", "front_of_b.svg"]
    assert written[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in written[1].read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["front_of_b.png", "front_of_b.svg"]


# ---------------------------------------------------------------- in the browser


class _Shown(HTMLParser):
    """The values a page shows: {(key figure, column): text}, and its plotly figures."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}
        self.plots = 0
        self.title = ""
        self._open: tuple[str, str] | None = None
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "data-kpi" in a:
            self._open = (str(a["data-kpi"]), str(a["data-column"]))
            self.values[self._open] = ""
        if "js-plotly-plot" in (a.get("class") or "").split():  # a figure plotly drew
            self.plots += 1
        self._in_h1 = tag == "h1"

    def handle_endtag(self, tag: str) -> None:
        self._open = None
        self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.values[self._open] += data
        if self._in_h1:
            self.title += data


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    browser = shutil.which("chromium")
    if browser is None:
        pytest.fail("chromium is not on PATH: `make test` installs Debian's chromium package")
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            "--window-size=1280,2000",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def _open(report: Path, tmp_path: Path) -> _Shown:
    """Open a report: no console message, a screenshot that is not blank; what it shows."""
    url = report.resolve().as_uri()
    dom = _chromium("--dump-dom", url, profile=tmp_path / "profile")
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, "\n".join(console)
    shot = tmp_path / f"{report.stem}.png"
    _chromium(f"--screenshot={shot}", url, profile=tmp_path / "profile")
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2000, 1280) and pixels.std() > 0.05  # not blank
    shown = _Shown()
    shown.feed(dom.stdout)
    return shown


def _number(text: str) -> float:
    return float("nan") if text == "–" else float(text.replace(",", ""))


def _check(shown: dict[tuple[str, str], str], expected: pd.DataFrame) -> None:
    """Every value the page shows is the expected one to its last decimal shown."""
    assert len(shown) >= expected.notna().sum().sum()
    for (key, column), text in shown.items():
        want = float(expected.loc[key, column])
        decimals = len(text.partition(".")[2])
        if np.isnan(want):
            assert text == "–", (key, column)
        else:
            assert abs(_number(text) - want) <= 0.5 * 10.0**-decimals + 1e-9, (key, column, text)


@pytest.mark.integration
@pytest.mark.slow
def test_the_run_report_opens_in_chromium_and_shows_the_datasets_figures(tmp_path):
    report, out = tmp_path / "report.html", tmp_path / "run.nc"
    run = _nexus("run", "districts/buiksloterham.toml", "--report", str(report), "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert f"report written to {report}" in run.stdout.replace("\n", "")
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        expected = nexus.kpis(ds.load())
    shown = _open(report, tmp_path)
    assert shown.plots == len(CARRIERS) + 3  # the Sankeys, monthly profiles (2), costs
    assert shown.title == "Buiksloterham: annual report"
    _check(shown.values, expected.to_frame("Buiksloterham"))
    cards = {k for k, c in shown.values}
    assert "heat recovered [MWh/yr]" in cards and "struvite: chemicals cost [EUR/yr]" in cards


@pytest.mark.integration
@pytest.mark.slow
def test_the_comparison_report_opens_in_chromium_and_shows_the_kpis_side_by_side(
    tmp_path, buiksloterham_ds
):
    report, csv = tmp_path / "compare.html", tmp_path / "kpis.csv"
    run = _nexus(
        "compare",
        "districts/buiksloterham.toml",
        str(NO_STRUVITE),
        "--report",
        str(report),
        "--csv",
        str(csv),
    )
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(csv, index_col=0)
    shown = _open(report, tmp_path)
    assert shown.plots == 2 * len(CARRIERS) + 1  # one set of Sankeys per scenario, the costs
    _check(shown.values, table)
    # against the Dataset itself: the reference's column
    reference = nexus.kpis(buiksloterham_ds)
    for key, value in reference.items():
        assert _number(shown.values[(str(key), "Buiksloterham")]) == pytest.approx(
            value, rel=0.01, abs=0.01
        )
    assert {c for _, c in shown.values} == set(table.columns)


@pytest.mark.integration
@pytest.mark.slow
def test_a_hostile_name_stays_text_in_the_browser(tmp_path, buiksloterham_ds):
    ds = buiksloterham_ds.assign_attrs(district_name=HOSTILE)
    shown = _open(write_report(ds, tmp_path / "hostile.html"), tmp_path)
    assert shown.title == f"{HOSTILE}: annual report"  # the text, not a script that ran
    assert re.search(r"alert", shown.title)


@pytest.mark.integration
def test_a_bad_optimizer_result_is_named_without_a_traceback(tmp_path):
    bad = tmp_path / "front.nc"
    bad.write_text("not netCDF")
    run = _nexus(
        "run",
        "tests/data/small_district.toml",
        "--report",
        str(tmp_path / "r.html"),
        "--optimized",
        str(bad),
    )
    assert run.returncode == 1, run.stdout
    assert "Traceback" not in run.stderr
    assert f"--optimized {bad}" in run.stderr.replace("\n", "")


@pytest.mark.unit
def test_a_figure_the_renderer_skips_is_rendered_again_or_refused(tmp_path, monkeypatch):
    import plotly.graph_objects as go
    import plotly.io as pio

    calls: list[int] = []

    def flaky(figs, paths, **kwargs):  # kaleido returning without writing, the first time
        calls.append(len(paths))
        if len(calls) > 1:
            for path in paths:
                Path(path).write_bytes(b"image")

    monkeypatch.setattr(pio, "write_images", flaky)
    written = write_figures({"a": go.Figure()}, tmp_path / "figs")
    assert calls == [2, 2] and all(p.read_bytes() == b"image" for p in written)

    monkeypatch.setattr(pio, "write_images", lambda figs, paths, **kwargs: None)
    with pytest.raises(NexusError, match=r"did not write a\.png, a\.svg in 3 attempts"):
        write_figures({"a": go.Figure()}, tmp_path / "none")
    assert not list((tmp_path / "none").iterdir())  # nothing half-written
