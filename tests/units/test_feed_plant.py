"""Feed plant and egg farm: physics, balances, bad input (nexus.units.feed_plant)."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import nexus
from nexus.balance import balances
from nexus.components import INDEX
from nexus.constants import CP_WATER_J_kgK, RHO_WATER_kg_m3
from nexus.cosubstrates import PRESETS, CosubstrateParams, cosubstrate_stream
from nexus.district import district_from_dict
from nexus.units.feed_plant import (
    EggFarmParams,
    FeedPlantParams,
    LATENT_HEAT_kJ_kg,
    drying_water_evaporated_kg_h,
    eggs_kg_h,
    make_feed,
    sterilization_heat_kW,
)

ROOT = Path(__file__).resolve().parents[2]
YAMAGUCHI = ROOT / "districts" / "yamaguchi.toml"


def _waste(amount_t_yr: float = 365.0, T_C: float = 15.0) -> nexus.streams.Stream:
    params = CosubstrateParams(
        amount_kg_yr=amount_t_yr * 1e3,
        delivery="weekdays",
        T_C=T_C,
        density_kg_m3=1000.0,
        composition=PRESETS["catering_food_waste"],
    )
    return cosubstrate_stream(params, pd.date_range("2025-01-01", periods=24 * 14, freq="h"))


@pytest.mark.unit
def test_drying_evaporates_down_to_the_feed_moisture():
    wet = np.array([1000.0, 0.0, 100.0, np.nan])
    DM = np.array([300.0, 0.0, 95.0, 1.0])
    out = drying_water_evaporated_kg_h(wet, DM, 0.12)
    assert out[0] == pytest.approx(1000.0 - 300.0 / 0.88)
    assert out[1] == 0.0
    assert out[2] == 0.0  # drier than the feed already: nothing to evaporate
    assert np.isnan(out[3])  # NaN propagates
    # broadcasts a scalar
    assert float(drying_water_evaporated_kg_h(np.float64(10.0), np.float64(5.0), 0.5)) == 0.0


@pytest.mark.unit
def test_sterilization_heat_is_the_sensible_heat_to_the_set_temperature():
    heat = sterilization_heat_kW(np.array([3600.0, 3600.0]), np.array([20.0, 95.0]), 90.0)
    assert heat[0] == pytest.approx(3600.0 * CP_WATER_J_kgK * 70.0 / 3.6e6)
    assert heat[1] == 0.0  # already hotter: no heat


@pytest.mark.component
@pytest.mark.parametrize("process", ["drying", "liquid"])
def test_feed_plant_closes_water_mass_and_elements(process):
    waste = _waste()
    r = make_feed(waste, FeedPlantParams(process=process, capacity_t_d=2.0))
    wet_in = waste.flow_m3_h * RHO_WATER_kg_m3
    wet_out = r.feed.flow_m3_h * RHO_WATER_kg_m3
    np.testing.assert_allclose(wet_in, wet_out + r.evaporated_kg_h, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(r.feed.loads_kg_h, waste.loads_kg_h)  # every element kept
    fed = wet_in > 0
    if process == "drying":
        DM = r.feed.loads_kg_h[fed, INDEX["TSS"]] / wet_out[fed]
        np.testing.assert_allclose(DM, 0.88)
        np.testing.assert_allclose(r.heat_kW, r.evaporated_kg_h * LATENT_HEAT_kJ_kg / 0.45 / 3600.0)
    else:
        assert not r.evaporated_kg_h.any()
        assert (r.heat_kW[fed] > 0).all()
    assert (r.crude_protein_kg_h[fed] > 0).all() and (r.ME_kW[fed] > 0).all()


@pytest.mark.component
def test_an_unknown_feed_process_is_refused_naming_the_key():
    with pytest.raises(nexus.ParameterError, match="process"):
        FeedPlantParams(process="boiling")
    # nor can a variant made from valid parameters (as the optimizer's samples are) carry it
    with pytest.raises(nexus.ParameterError, match="process"):
        dataclasses.replace(FeedPlantParams(), process="boiling")


@pytest.mark.unit
def test_eggs_follow_the_feed_conversion_ratio():
    p = EggFarmParams(FCR_kg_kg=2.0, feed_DM_frac=0.88)
    np.testing.assert_allclose(eggs_kg_h(np.array([0.0, 88.0, 176.0]), p), [0.0, 50.0, 100.0])


def _yamaguchi(**changes: object) -> dict:
    data = tomllib.loads(YAMAGUCHI.read_text())
    for unit in ("plant_ube", "plant_hofu", "plant_yamaguchi"):
        data["units"][unit].update(changes)
    return data


@pytest.mark.integration
@pytest.mark.parametrize("process", ["drying", "liquid"])
def test_yamaguchi_balances_close_for_each_plant_and_the_district(process):
    data = _yamaguchi(process=process)
    if process == "liquid":  # hens take no liquid feed: the feed goes to a farm sink
        data["sinks"]["hens"] = {"type": "farm"}
    ds = nexus.simulate(district_from_dict(data, file="yamaguchi.toml"))
    closure = balances(ds)
    for scope in ("plant_ube", "plant_hofu", "plant_yamaguchi", "district"):
        for quantity in ("water", "COD", "N", "P", "K", "energy"):
            assert np.abs(closure[scope][quantity]).max() <= 1e-9, (scope, quantity)
    evaporated = float(ds["water_evaporated_kg_h"].sel(node="plant_ube").sum())
    assert (evaporated > 0) == (process == "drying")


@pytest.mark.integration
def test_hens_refuse_liquid_feed():
    data = _yamaguchi(process="liquid")
    with pytest.raises(nexus.NexusError, match="liquid feed"):
        nexus.simulate(district_from_dict(data, file="yamaguchi.toml"))


@pytest.mark.integration
def test_eggs_supply_people_at_the_cited_consumption():
    ds = nexus.simulate(nexus.load_district(YAMAGUCHI))
    k = nexus.kpis(ds)
    eggs = k["hens: eggs [kg/yr]"]
    feed = sum(k[f"plant_{c}: feed made [kg/yr]"] for c in ("ube", "hofu", "yamaguchi"))
    assert eggs == pytest.approx(feed * (1.0 - 0.12) / 0.88 / 2.108, rel=1e-9)  # 12 % moisture
    people = k["hens: people's egg consumption supplied [people]"]
    assert people == pytest.approx(eggs / 17.5, rel=1e-9)


@pytest.mark.integration
def test_route_losses_are_a_balance_term_and_the_optimizer_sizes_for_what_arrives():
    from nexus.optimize import solve

    data = _yamaguchi()
    data["connections"][1] = "hofu_waste.out -> plant_yamaguchi.in"  # Hofu's waste travels
    for route in data["optimize"]["routes"][:2]:  # Ube's and Hofu's: 5 % lost to other cities
        route["loss_frac"] = [0.0, 0.05, 0.05]
    district = district_from_dict(data, file="yamaguchi.toml")
    ds = nexus.simulate(district)
    closure = balances(ds)
    for scope in ("plant_yamaguchi", "district"):
        for quantity in ("water", "COD", "N", "P", "energy"):
            assert np.abs(closure[scope][quantity]).max() <= 1e-9, (scope, quantity)
    lost_m3 = float(ds["transport_lost_m3_h"].sel(node="plant_yamaguchi").sum())  # m3/yr = t/yr
    lost_t = lost_m3 * 8760 / ds.sizes["time"]
    assert lost_t == pytest.approx(0.05 * 825.2, rel=1e-9)
    assert not float(ds["transport_lost_m3_h"].sel(node="plant_ube").sum())  # no route loss
    # the optimizer's joint plant holds what arrives, not what was sent
    result = solve(district)
    sent = {"ube": 1205.9, "hofu": 825.2, "yamaguchi": 1405.1}
    loss = {"ube": 0.05, "hofu": 0.05, "yamaguchi": 0.0}  # to another city's plant
    arriving = 0.0
    for route, to in zip(result["route"].values, result["route_to"][0].values, strict=True):
        city = str(route).split("_")[0]
        if str(to) == "plant_yamaguchi.in":
            arriving += sent[city] * (1.0 - (loss[city] if city != "yamaguchi" else 0.0))
    built = float(result["capacity_t_d"].sel(node="plant_yamaguchi")[0])
    assert built == pytest.approx(arriving / 365.0, rel=1e-6)
    assert abs(float(result["gap_energy_frac"][0])) <= 1e-6  # verified by simulation


@pytest.mark.integration
def test_food_waste_to_biogas_instead_trades_eggs_for_energy():
    feed = nexus.simulate(nexus.load_district(YAMAGUCHI))
    biogas_district = nexus.load_district(
        ROOT / "districts" / "scenarios" / "yamaguchi_biogas.toml"
    )
    biogas = nexus.simulate(biogas_district)
    for scope, closure in balances(biogas).items():
        for quantity in ("water", "COD", "N", "P", "energy"):
            assert np.abs(closure[quantity]).max() <= 1e-9, (scope, quantity)
    k_feed, k_gas = nexus.kpis(feed), nexus.kpis(biogas)
    eggs = "hens: eggs [kg/yr]"
    # Ube's waste (1,205.9 of 3,436.2 t/yr) no longer feeds hens ...
    assert k_gas[eggs] == pytest.approx(k_feed[eggs] * (1 - 1205.9 / 3436.2), rel=1e-9)
    # ... and makes electricity instead, its N and P leaving in the digestate
    assert k_gas["chp: electricity from biogas [MWh/yr]"] > 0
    sent_N = k_gas["sewer: nitrogen received [kg/yr]"]
    preset = PRESETS["catering_food_waste"]
    waste_kg = biogas_district.nodes["ube_waste"].params.amount_kg_yr
    assert sent_N == pytest.approx(waste_kg * preset.DM_frac * preset.N_frac_DM, rel=1e-6)


# ----------------------------------------------------------------- feed or biogas
BIOGAS = ROOT / "districts" / "scenarios" / "yamaguchi_biogas.toml"
CITIES = ("ube", "hofu", "yamaguchi")


def _feed_t_yr(district: nexus.District) -> float:
    """Feed the three cities' waste makes a year, by hand: the dry matter of the cited
    preset kept, brought to the plant's feed moisture [t/yr]."""
    DM_frac = PRESETS["catering_food_waste"].DM_frac
    moisture = FeedPlantParams().feed_moisture_frac
    waste_kg = sum(district.nodes[f"{c}_waste"].params.amount_kg_yr for c in CITIES)
    return waste_kg * 1e-3 * DM_frac / (1.0 - moisture)


@pytest.mark.integration
def test_the_feed_sold_is_a_revenue_at_the_feed_price():
    data = _yamaguchi()
    data["optimize"]["prices"]["feed_per_t"] = 50000.0
    ds = nexus.simulate(district_from_dict(data, file="yamaguchi.toml"))
    k = nexus.kpis(ds)
    for city in CITIES:
        feed_t = k[f"plant_{city}: feed made [kg/yr]"] / 1e3
        sold = float(ds["cost_per_yr"].sel(node=f"plant_{city}", cost_item="products_sold"))
        assert sold == pytest.approx(-50000.0 * feed_t, rel=1e-9)
    assert np.isnan(ds["cost_per_yr"].sel(node="hens", cost_item="products_sold"))


@pytest.mark.unit
def test_a_negative_feed_price_is_refused_naming_the_key():
    from nexus.optimize.solve import check_settings

    with pytest.raises(nexus.ParameterError, match=r"feed_per_t = -1\.0; expected a price >= 0"):
        check_settings({"feed_per_t": -1.0})


@pytest.mark.integration
@pytest.mark.slow
def test_feed_or_biogas_switches_at_the_break_even_feed_price():
    """Every city's waste goes to biogas below the break-even feed price and to feed above
    it; the break-even is where the feed's revenue (the tonnes of feed by hand, times the
    price) closes the gap between the two designs' costs at no feed price."""
    from nexus.optimize.solve import Optimizer

    district = nexus.load_district(BIOGAS)
    feed_t = _feed_t_yr(district)
    study = Optimizer(district)

    def answer(price: float) -> tuple[set[str], float, xr.Dataset]:
        study.set(feed_per_t=price)
        ds = study.solve("cost")
        to = {str(t).split(".")[0] for t in ds["route_to"][0].values}
        return to, float(ds["cost_per_yr"][0]), ds

    to_gas, cost_gas, _ = answer(0.0)
    assert to_gas == {"digester"}  # nothing values the feed: all to biogas
    cited = district.optimize.prices.feed_per_t
    to_feed, cost_feed, ds = answer(cited)
    assert "digester" not in to_feed
    sold = float(ds["opex_products_sold_per_yr"][0])
    assert sold == pytest.approx(-cited * feed_t, rel=1e-6)  # the feed the plants make
    break_even = (cost_feed + cited * feed_t - cost_gas) / feed_t
    assert 0.0 < break_even < cited
    below, _, ds_below = answer(0.98 * break_even)
    above, _, _ = answer(1.02 * break_even)
    assert below == {"digester"}
    assert "digester" not in above
    # the biogas design, simulated, still closes its balances
    routes = dict(zip(ds_below["route"].values, ds_below["route_to"][0].values, strict=True))
    simulated = nexus.simulate(district.with_routes({str(k): str(v) for k, v in routes.items()}))
    closure = balances(simulated)
    for scope in ("digester", "chp", "district"):
        for quantity in ("water", "COD", "N", "P", "energy"):
            assert np.abs(closure[scope][quantity]).max() <= 1e-9, (scope, quantity)


@pytest.mark.integration
def test_a_simulated_plan_pays_for_its_trucks_as_the_optimizer_counts_them():
    """The prefecture's plan trucks Hofu's waste to Yamaguchi City: the simulation books
    volume x distance x cost per m3 km on Hofu's waste, and a design the optimizer
    verifies has the same plant cost simulated as optimized (transport included)."""
    plan = nexus.load_district(ROOT / "districts/scenarios/yamaguchi_prefecture_plan.toml")
    ds = nexus.simulate(plan)
    costs = ds["cost_per_yr"].sel(cost_item="transport")
    (route,) = [r for r in plan.optimize.routes if r.outlet == "hofu_waste.out"]
    c = plan.connection_from(route.outlet)
    km = route.distance_km[route.to.index(f"{c.dst}.{c.dst_port}")]
    assert km > 0 and c.dst == "plant_yamaguchi"
    m3_yr = float(ds["flow_m3_h"].sel(stream=c.label).sum()) * 8760.0 / ds.sizes["time"]
    expected = m3_yr * km * plan.optimize.transport.truck.cost_per_m3_km
    assert float(costs.sel(node="hofu_waste")) == pytest.approx(expected, rel=1e-12)
    assert float(costs.sum()) == pytest.approx(expected, rel=1e-12)  # Ube's plant is its own
    from nexus.optimize import solve

    opt = solve(nexus.load_district(YAMAGUCHI))
    sent = dict(zip(opt["route"].values, opt["route_to"][0].values, strict=True))
    moved = [r for r, to in sent.items() if str(r).split("_")[0] not in str(to)]
    assert moved  # a joint plant: some city's waste is trucked to another's plant
    assert float(opt["verified_plant_cost_per_yr"][0]) == pytest.approx(
        float(opt["plant_cost_per_yr"][0]), rel=1e-3
    )
