"""Tests of nexus.units.waste_to_energy and nexus.buildings: the WtE CHP, industrial waste
heat, the heat pump, heat-port temperature levels, the heat network's losses, and the
Chaoyang district run, balanced and optimized."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nexus
from nexus.buildings import BuildingsParams, in_season, season_heating_kW
from nexus.district import district_from_dict
from nexus.errors import DistrictError, ParameterError
from nexus.registry import Port, UnitType, register
from nexus.units import waste_to_energy as wte
from nexus.units.heat_recovery import carnot_cop
from nexus.weather import load_weather

ROOT = Path(__file__).resolve().parents[2]
CHAOYANG = ROOT / "districts" / "chaoyang.toml"


# ------------------------------------------------------------------ the WtE plant


@pytest.mark.unit
def test_wte_energy_closes_and_heat_costs_electricity_at_the_power_loss_ratio():
    p = wte.WasteToEnergyParams(throughput_t_d=1000.0)
    demand = np.array([0.0, 1e4, 3e4, 1e9])
    r = wte.wte_chp(demand, p)
    np.testing.assert_allclose(r.fuel_kW, r.electricity_net_kW + r.heat_kW + r.losses_kW)
    assert np.all(r.losses_kW > 0)
    np.testing.assert_allclose(r.heat_kW[:3], demand[:3])
    assert r.heat_kW[3] == pytest.approx(p.heat_max_frac * p.fuel_kW)
    # each kWh of heat costs beta (1 - u) kWh of net electricity
    slope = np.diff(r.electricity_net_kW) / np.diff(r.heat_kW)
    np.testing.assert_allclose(slope, -p.power_loss_ratio * (1 - p.own_use_frac))
    np.testing.assert_allclose(r.own_use_kW, p.own_use_frac * r.electricity_gross_kW)


@pytest.mark.unit
def test_wte_fuel_is_throughput_times_lhv_and_nan_propagates():
    p = wte.WasteToEnergyParams(throughput_t_d=24.0, LHV_MJ_kg=3.6)  # 1 t/h of 1 kWh/kg
    assert p.fuel_kW == pytest.approx(1000.0)
    r = wte.wte_chp([0.0, np.nan], p)
    assert np.isfinite(r.electricity_net_kW[0]) and np.isnan(r.electricity_net_kW[1])
    with pytest.raises(ParameterError, match="heat_demand_kW"):
        wte.wte_chp([-1.0], p)


@pytest.mark.unit
def test_wte_parameters_refuse_negative_throughput_and_more_energy_than_the_fuel():
    with pytest.raises(ParameterError, match="throughput_t_d"):
        wte.WasteToEnergyParams(throughput_t_d=-1.0)
    with pytest.raises(ParameterError, match="more energy than the fuel"):
        wte.WasteToEnergyParams(
            electrical_efficiency_frac=0.3, heat_max_frac=0.9, power_loss_ratio=0.0
        )


# ------------------------------------------------------------------ waste heat and heat pump


@pytest.mark.unit
def test_shift_profile_follows_shifts_weekends_and_a_night_shift():
    t = pd.date_range("2025-01-03 00:00", periods=72, freq="h")  # Friday to Sunday
    p = wte.WasteHeatParams(available_kW=100.0)
    a = wte.shift_profile(t, p)
    assert a[7] == pytest.approx(30.0) and a[8] == 100.0 and a[19] == 100.0 and a[20] == 30.0
    assert a[24 + 10] == pytest.approx(50.0) and a[48 + 3] == pytest.approx(15.0)  # weekend
    night = wte.shift_profile(t, dataclasses.replace(p, shift_start_h=22.0, shift_end_h=6.0))
    assert night[23] == 100.0 and night[5] == 100.0 and night[12] == pytest.approx(30.0)


@pytest.mark.unit
def test_heat_pump_balances_uses_the_carnot_cop_and_stays_within_its_source():
    p = wte.LiftHeatPumpParams(
        capacity_kW=100.0, source_T_C=30.0, supply_T_C=80.0, min_part_load_frac=0.0
    )
    r = wte.lift_heat_pump([50.0, 100.0, 400.0], p)
    np.testing.assert_allclose(r.source_heat_kW + r.electricity_kW, r.heat_kW)
    np.testing.assert_allclose(r.heat_kW, [50.0, 100.0, 100.0])
    cop = float(carnot_cop(30.0, 80.0, p.carnot_frac, p.approach_K))
    np.testing.assert_allclose(r.cop, cop)  # one COP model, shared with the greywater pump
    limited = wte.lift_heat_pump([100.0, 100.0], p, source_kW=[10.0, 0.0])
    assert limited.source_heat_kW[0] == pytest.approx(10.0) and limited.heat_kW[1] == 0.0
    cycling = wte.lift_heat_pump([30.0], dataclasses.replace(p, min_part_load_frac=1.0))
    assert cycling.cop[0] < cop  # EN 14825 cycling below the lowest modulation
    too_hot = dataclasses.replace(p, source_T_C=-10.0, supply_T_C=100.0, carnot_frac=0.2)
    assert wte.lift_heat_pump([10.0], too_hot).heat_kW[0] == 0.0  # COP <= 1: it does not run


# ------------------------------------------------------------------ buildings


@pytest.mark.unit
def test_buildings_heat_only_in_the_season_and_sum_to_area_times_intensity():
    w = load_weather(ROOT / "districts" / "weather" / "beijing_typical_year.csv")
    p = BuildingsParams(floor_area_m2=1000.0)
    q = season_heating_kW(w["T_out_C"].to_numpy(), w.index, p)
    assert q.sum() == pytest.approx(1000.0 * p.space_heating_kWh_m2)
    s = in_season(w.index, p.season_start_day, p.season_end_day)
    assert np.all(q[s == 0] == 0) and np.all(q >= 0)
    jan, mar = w.index.month == 1, (w.index.month == 3) & (w.index.day < 15)
    assert q[jan].mean() > q[mar].mean()  # colder, more heat


# ------------------------------------------------------------------ registry and loading


@pytest.mark.unit
def test_a_temperature_on_a_port_must_be_a_heat_port_and_name_a_parameter():
    class Bad(UnitType):
        name = "bad_temperature_unit"
        ports = (Port("power", "electricity", "out", serves=("export",), temperature="T_C"),)

    with pytest.raises(ParameterError, match="temperature 'T_C' belongs to a heat port"):
        register(Bad())


def _chaoyang() -> dict:
    return tomllib.loads(CHAOYANG.read_text())


def _load(data: dict, file: str = "chaoyang_test.toml") -> nexus.District:
    data["weather"] = {"file": str(ROOT / "districts" / "weather" / "beijing_typical_year.csv")}
    return district_from_dict(data, file=file)


@pytest.mark.unit
def test_a_cold_source_straight_to_the_hotter_network_is_refused_naming_the_link():
    data = _chaoyang()
    data["connections"] = [
        c if c != "industry_heat.heat -> hp.source" else "industry_heat.heat -> heat_network.in"
        for c in data["connections"]
    ]
    data["connections"].remove("hp.heat -> heat_network.in")
    del data["units"]["hp"]
    del data["optimize"]
    data["connections"].remove("grid.out -> hp.power")
    with pytest.raises(DistrictError, match=r"connections\[0\].*35 °C \(T_C\).*needs 80 °C"):
        _load(data)


@pytest.mark.unit
def test_a_hot_source_feeds_the_network_without_a_heat_pump():
    data = _chaoyang()
    data["units"]["industry_heat"]["T_C"] = 95.0  # hot waste heat (flue gas, say)
    data["connections"] = [
        "industry_heat.heat -> heat_network.in",
        "wte.heat -> heat_network.in",
        "wte.power -> grid.in",
    ]
    del data["units"]["hp"]
    del data["optimize"]
    ds = nexus.simulate(_load(data), check_balances=True)
    used = float(ds["waste_heat_used_kW"].sel(node="industry_heat").sum())
    assert used > 0


# ------------------------------------------------------------------ the district


@pytest.fixture(scope="module")
def chaoyang_ds():
    return nexus.simulate(nexus.load_district(CHAOYANG))


@pytest.mark.component
def test_chaoyang_balances_close_for_every_new_unit(chaoyang_ds):
    # the simulation's own check (check_balances) is off in the fixture: this test is it,
    # and a NaN imbalance fails it as much as a leak does
    b = nexus.balances(chaoyang_ds)
    for unit in ("wte", "industry_heat", "hp"):
        for quantity, imbalance in b[unit].items():
            assert np.max(np.abs(imbalance)) < 1e-9, (unit, quantity)
    assert np.max(np.abs(b["district"]["energy"])) < 1e-9


@pytest.mark.component
def test_chaoyang_network_losses_and_heat_pump_within_its_waste_heat(chaoyang_ds):
    ds = chaoyang_ds
    net = ds.sel(node="heat_network")
    demand = ds["space_heating_kW"].sel(node="park_buildings")
    f = nexus.load_district(CHAOYANG).sinks["heat_network"].params.distribution_loss_frac
    np.testing.assert_allclose(net["space_heating_demand_kW"], demand / (1 - f))
    delivered = net["space_heating_demand_kW"] - net["space_heating_unmet_kW"]
    np.testing.assert_allclose(net["distribution_loss_kW"], f * delivered)
    hp, wh = ds.sel(node="hp"), ds.sel(node="industry_heat")
    np.testing.assert_allclose(hp["source_heat_kW"], wh["waste_heat_used_kW"], atol=1e-9)
    assert np.all(wh["waste_heat_used_kW"] <= wh["waste_heat_available_kW"] + 1e-9)
    assert float(ds["heat_backup_kW"].sel(node="hp").sum()) == pytest.approx(0.0, abs=1e-6)
    k = nexus.kpis(ds)
    lost_MWh = float(net["distribution_loss_kW"].sum()) * 8760.0 / ds.sizes["time"] / 1000.0
    assert k["heat_network: distribution losses [MWh/yr]"] == pytest.approx(lost_MWh, rel=1e-12)
    assert k["heat lost by heat networks [MWh/yr]"] == pytest.approx(lost_MWh, rel=1e-12)


@pytest.mark.integration
def test_a_network_without_modelled_losses_reports_none_not_zero():
    """distribution_loss_frac = 0 (the default) means losses are not modelled: no loss
    figure, rather than a loss of 0 a reader would take for a measured one."""
    k = nexus.kpis(nexus.simulate(nexus.load_district(ROOT / "districts/buiksloterham.toml")))
    assert not [name for name in k.index if "loss" in name and "heat" in name]
    assert "heat delivered [MWh/yr]" in k.index


@pytest.mark.integration
@pytest.mark.slow
def test_optimizer_lifts_waste_heat_only_where_no_wte_steam_is_at_hand():
    """With the WtE plant's steam connected, each kWh of heat costs beta (1 - u) = 0.135 kWh
    of electricity, less than a heat pump's 1/COP (~0.3) and no capital: no heat pump, no
    waste heat. Without it, and backup heat dear, the optimizer builds both; the simulation
    of that design meets the demand with less backup heat than without them."""
    from nexus.optimize import solve

    chosen = solve(nexus.load_district(CHAOYANG))
    assert float(chosen["capacity_kW"].sel(node="hp")[0]) == pytest.approx(0.0, abs=1e-6)
    data = _chaoyang()
    data["connections"].remove("wte.heat -> heat_network.in")
    data["optimize"]["prices"]["heat_backup_per_kWh"] = 0.5
    district = _load(data)
    ds = solve(district)
    hp = float(ds["capacity_kW"].sel(node="hp")[0])
    recovered = float(ds["capacity_kW"].sel(node="industry_heat")[0])
    assert hp > 0 and recovered > 0
    built = nexus.simulate(
        district.with_sizes(
            {"hp": {"capacity_kW": hp}, "industry_heat": {"capacity_kW": recovered}}
        )
    )
    none = nexus.simulate(
        district.with_sizes({"hp": {"capacity_kW": 0.0}, "industry_heat": {"capacity_kW": 0.0}})
    )
    unmet = "space_heating_unmet_kW"
    assert float(built[unmet].sel(node="heat_network").sum()) < float(
        none[unmet].sel(node="heat_network").sum()
    )


@pytest.mark.integration
def test_optimizer_model_units_are_consistent():
    from pyomo.util.check_units import assert_units_consistent

    from nexus.optimize.model import build_model

    model = build_model(nexus.load_district(CHAOYANG), units=True)
    assert_units_consistent(model)
    assert str(model.heat_pump["hp"].size_capacity_kW.get_units()) == "kW"
