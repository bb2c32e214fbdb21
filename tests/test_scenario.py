"""Scenarios: scenario files, District.without, and comparing districts side by side."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nexus
from nexus.compare import compare_kpis
from nexus.errors import DistrictError

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "districts" / "scenarios"
P_RECOVERED = "phosphorus recovered for farms [kg/yr]"


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def base_line(tmp_path: Path) -> str:
    """A base key pointing at Buiksloterham from tmp_path."""
    return f'base = "{(ROOT / "districts" / "buiksloterham.toml").as_posix()}"\n'


@pytest.mark.unit
def test_taking_out_a_unit_passes_its_water_on_and_drops_its_links(buiksloterham):
    d = buiksloterham.without("struvite")
    assert "struvite" not in d.units
    lines = d.data["connections"]
    assert "digester.out -> sewer.in" in lines
    assert not any("struvite" in line for line in lines)
    # the other lines keep their order
    kept = [line for line in buiksloterham.data["connections"] if "struvite" not in line]
    assert [line for line in lines if line != "digester.out -> sewer.in"] == kept


@pytest.mark.unit
def test_taking_out_heat_recovery_removes_its_design_so_the_optimizer_cannot_rebuild_it(
    buiksloterham,
):
    assert "gw_hp" in buiksloterham.optimize.design
    d = buiksloterham.without("dwhr", "gw_hp")
    assert "gw_hp" not in d.optimize.design
    assert set(d.optimize.design) == set(buiksloterham.optimize.design) - {"gw_hp"}
    # the shower water passes both on to the sewer; the heat links are gone
    assert "homes.shower -> sewer.in" in d.data["connections"]
    assert not any(c.src in ("dwhr", "gw_hp") or c.dst in ("dwhr", "gw_hp") for c in d.connections)


@pytest.mark.unit
def test_taking_out_a_unit_others_depend_on_says_what_to_take_out_too(buiksloterham):
    with pytest.raises(DistrictError, match="after taking out digester") as err:
        buiksloterham.without("digester")
    assert "chp" in str(err.value)
    with pytest.raises(DistrictError, match="'boiler' is not a unit") as err:
        buiksloterham.without("boiler")
    assert err.value.key == "without"


@pytest.mark.integration
def test_a_scenario_file_is_its_base_with_units_taken_out_and_it_balances(buiksloterham):
    d = nexus.load_district(SCENARIOS / "buiksloterham_no_struvite.toml")
    assert d.name == "Buiksloterham without struvite recovery"
    assert d.file.endswith("buiksloterham_no_struvite.toml")
    assert d.connections == buiksloterham.without("struvite").connections
    ds = nexus.simulate(d)
    worst = max(float(np.abs(v).max()) for q in nexus.balances(ds).values() for v in q.values())
    assert worst < 1e-9


@pytest.mark.unit
def test_a_scenario_overrides_values_key_by_key(tmp_path, buiksloterham):
    path = write(
        tmp_path,
        base_line(tmp_path)
        + "[units.gw_hp.exchanger]\narea_m2 = 60.0\n[optimize]\ntypical_days = 4\n",
    )
    d = nexus.load_district(path)
    assert d.units["gw_hp"].params["exchanger"].area_m2 == 60.0
    assert d.optimize.typical_days == 4
    # what the scenario does not say is the base's
    assert d.units["gw_hp"].params["heat_pump"] == buiksloterham.units["gw_hp"].params["heat_pump"]
    assert d.optimize.prices == buiksloterham.optimize.prices
    assert d.weather_file == buiksloterham.weather_file
    assert d.sha256 != buiksloterham.sha256


@pytest.mark.unit
def test_a_scenario_can_chain_on_another(tmp_path):
    first = write(tmp_path, base_line(tmp_path) + 'disable = ["struvite"]\n', "first.toml")
    second = write(tmp_path, f'base = "{first.name}"\n[district]\nname = "second"\n', "s.toml")
    d = nexus.load_district(second)
    assert d.name == "second" and "struvite" not in d.units


@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ('base = "nowhere.toml"\n', "base", "does not exist"),
        ("base = 3\n", "base", "expected the path"),
        ("{base}disable = 'struvite'\n", "disable", "expected a list of unit names"),
        ("{base}disable = ['boiler']\n", "disable", "'boiler' is not a unit"),
        ("{base}disconnect = ['a.out -> b.in']\n", "disconnect[0]", "not a connection of the base"),
        ("{base}connect = [1]\n", "connect", "expected a list of connection lines"),
        (
            "{base}[units.gw_hp.exchanger]\narea_m3 = 1.0\n",
            "units.gw_hp.exchanger.area_m3",
            "area_m3",
        ),
    ],
)
def test_a_bad_scenario_names_the_scenario_file_and_the_key(tmp_path, text, key, expected):
    path = write(tmp_path, text.format(base=base_line(tmp_path)))
    with pytest.raises(DistrictError, match=expected) as err:
        nexus.load_district(path)
    assert err.value.file == str(path)
    assert err.value.key == key


@pytest.mark.unit
def test_scenarios_in_a_loop_are_refused(tmp_path):
    write(tmp_path, 'base = "b.toml"\n', "a.toml")
    write(tmp_path, 'base = "a.toml"\n', "b.toml")
    with pytest.raises(DistrictError, match="leads back to this scenario"):
        nexus.load_district(tmp_path / "a.toml")


@pytest.mark.unit
def test_a_scenario_wires_a_unit_in_with_connect_and_disconnect(tmp_path, buiksloterham):
    path = write(
        tmp_path,
        base_line(tmp_path)
        + 'disconnect = ["struvite.out -> sewer.in"]\n'
        + 'connect = ["struvite.out -> farm.in"]\n'
        + '[sinks.farm]\ntype = "farm"\n',
    )
    d = nexus.load_district(path)
    assert "struvite.out -> farm.in" in d.data["connections"]
    assert "struvite.out -> sewer.in" not in d.data["connections"]
    assert len(d.connections) == len(buiksloterham.connections)


@pytest.mark.integration
def test_compare_puts_figures_side_by_side_with_their_changes(buiksloterham, buiksloterham_ds):
    other = nexus.simulate(buiksloterham.without("struvite"))
    table = compare_kpis({"plan": buiksloterham_ds, "no struvite": other})
    assert list(table.columns) == ["plan", "no struvite", "no struvite - plan"]
    reference = nexus.kpis(buiksloterham_ds)
    assert list(table.index[: len(reference)]) == list(reference.index)  # the plan's order
    pd.testing.assert_series_equal(
        table["no struvite - plan"], table["no struvite"] - table["plan"], check_names=False
    )
    # no unit recovers P: the district recovers 0, and the reactor's own figures are absent
    assert table.loc[P_RECOVERED, "no struvite"] == 0.0
    assert table.loc[P_RECOVERED, "plan"] > 0.0
    assert (
        table.loc["struvite: phosphorus recovered [kg/yr]", "no struvite"]
        != (table.loc["struvite: phosphorus recovered [kg/yr]", "no struvite"])
    )  # NaN


@pytest.mark.integration
def test_nexus_compare_prints_and_writes_csv(tmp_path):
    out = tmp_path / "kpis.csv"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "nexus",
            "compare",
            "districts/buiksloterham.toml",
            "districts/scenarios/buiksloterham_no_struvite.toml",
            "--csv",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    assert "Buiksloterham without struvite recovery" in run.stdout
    table = pd.read_csv(out, index_col=0)
    assert table.loc[P_RECOVERED, "Buiksloterham without struvite recovery"] == 0.0
    assert table.shape[1] == 3


@pytest.mark.integration
def test_nexus_compare_with_a_bad_file_says_which_without_a_traceback(tmp_path):
    bad = write(tmp_path, 'base = "missing.toml"\n')
    run = subprocess.run(
        [sys.executable, "-m", "nexus", "compare", "districts/buiksloterham.toml", str(bad)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert str(bad) in run.stderr.replace("\n", "") and "base" in run.stderr


@pytest.mark.component
def test_taking_out_a_route_candidate_sends_its_water_to_the_next_one():
    from tests.test_optimize import two_neighbourhoods

    d = two_neighbourhoods(2.0)
    # north's blackwater leads to dig_north; with it gone, to the joint plant, and
    # the route, left with one candidate, is a plain connection
    out = d.without("dig_north")
    assert "north.blackwater -> dig_joint.in" in out.data["connections"]
    assert [r.outlet for r in out.optimize.routes] == ["south.blackwater"]
    assert "dig_north" not in out.optimize.design
    # the joint plant gone: each neighbourhood keeps its own, no route left
    alone = d.without("dig_joint")
    assert alone.optimize.routes == []
    assert "north.blackwater -> dig_north.in" in alone.data["connections"]


@pytest.mark.integration
def test_compare_designs_lines_up_figures_and_sizes_of_optimized_designs():
    from nexus.compare import compare_designs
    from nexus.optimize import solve
    from tests.test_optimize import small

    cheap = solve(small(), objective="cost", verify=False)
    rich = solve(small(), objective="energy", verify=False)
    table = compare_designs({"cost": cheap, "energy": rich})
    assert list(table.columns) == ["cost", "energy", "energy - cost"]
    cost_row = "cost_per_yr [EUR yr-1]"
    assert table.loc[cost_row, "cost"] == pytest.approx(float(cheap["cost_per_yr"][0]))
    assert table.loc[cost_row, "energy - cost"] >= 0.0  # the energy design costs more
    sizes = [r for r in table.index if ": " in r]
    assert sizes and all(r.split(": ")[0] in cheap["node"].values for r in sizes)


@pytest.mark.integration
def test_buiksloterham_with_nitrogen_recovery_returns_the_nitrate_to_farms(buiksloterham_ds):
    d = nexus.load_district(SCENARIOS / "buiksloterham_n_recovery.toml")
    assert "struvite.out -> nitrification.in" in d.data["connections"]
    ds = nexus.simulate(d)
    worst = max(float(np.abs(v).max()) for q in nexus.balances(ds).values() for v in q.values())
    assert worst < 1e-9
    plan, variant = nexus.kpis(buiksloterham_ds), nexus.kpis(ds)
    N = "nitrogen recovered for farms [kg/yr]"
    nitrate = float(ds["NO3_N_kg_h"].sel(node="nitrification").sum())
    assert variant[N] == pytest.approx(plan[N] + nitrate, rel=1e-9)
    # without base the effluent's alkalinity, not its ammonium, limits nitrification every
    # hour (1.98 mol HCO3- per mol NH4+, US EPA 1975): at that bound where it is the limit,
    # below it where the reactor's volume is (its peak hours)
    from nexus.constants import MOLAR_MASS_g_mol as M
    from nexus.units.nitrification import ALK_PER_NH4, NO3_PER_NH4

    unit = ds.sel(node="nitrification")
    stream = ds["load_kg_h"].sel(stream="struvite.out -> nitrification.in")
    bound_N_kmol = stream.sel(component="Alk_HCO3").to_numpy() / M["HCO3"] / ALK_PER_NH4
    nitrate_kmol = unit["NO3_N_kg_h"].to_numpy() / M["N"] / NO3_PER_NH4
    limit = unit["nitrification_limit"].to_numpy()
    assert set(np.unique(limit)) <= {1.0, 2.0}  # alkalinity or volume, never all ammonium
    at_bound = limit == 1.0
    assert at_bound.sum() > 0.5 * limit.size
    np.testing.assert_allclose(nitrate_kmol[at_bound], bound_N_kmol[at_bound], rtol=1e-9)
    assert np.all(nitrate_kmol <= bound_N_kmol * (1 + 1e-9))
    ammonium_in = float(unit["NH4_N_in_kg_h"].sum())
    assert nitrate / ammonium_in < 0.5  # about half at most, as VUNA without base
    assert variant[P_RECOVERED] == pytest.approx(plan[P_RECOVERED], rel=1e-9)


@pytest.mark.integration
@pytest.mark.slow
def test_buiksloterham_with_a_wetland_polishes_for_irrigation_and_closes_its_balances():
    d = nexus.load_district(SCENARIOS / "buiksloterham_wetland.toml")
    assert "struvite.out -> wetland.in" in d.data["connections"]
    assert "struvite.out -> sewer.in" not in d.data["connections"]
    ds = nexus.simulate(d)
    worst = max(float(np.abs(v).max()) for q in nexus.balances(ds).values() for v in q.values())
    assert worst < 1e-9
    k = nexus.kpis(ds)
    into = ds["flow_m3_h"].sel(stream="struvite.out -> wetland.in").sum()
    lost = float(ds["water_lost_m3_h"].sel(node="wetland").sum())
    assert k["farm: water received [m3/yr]"] == pytest.approx(float(into) - lost, rel=1e-9)
    assert 0 < lost < float(into)
    # the file's area is not overloaded on any day (the FWS COD loading limit)
    assert float(ds["wetland_overloaded"].sel(node="wetland").max()) == 0.0
    assert k["wetland: COD removed [kg/yr]"] > 0
    assert k["wetland: nitrogen to the air [kg/yr]"] > 0
    assert k["farm: potassium received [kg/yr]"] > 0  # K passes the wetland to the farm
