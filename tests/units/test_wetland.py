"""Tests of nexus.units.wetland: P-k-C*, evapotranspiration, the unit type and its map."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import pytest

import nexus
from nexus.components import INDEX, N_COMPONENTS, element_indices
from nexus.district import district_from_dict
from nexus.errors import DistrictError, ParameterError
from nexus.units import wetland as wl

ROOT = Path(__file__).resolve().parents[2]
RATE = wl.PkC(37.0, 5.0, 3.0, 1.06, "test")
# the wetland draws no energy: the prices only complete the optimizer's table
PRICES = {"electricity_import_per_kWh": 0.2, "heat_backup_per_kWh": 0.1, "source": "test values"}


# ------------------------------------------------------------------ the P-k-C* model


@pytest.mark.unit
def test_pkc_tends_to_the_background_at_low_loading_and_to_the_inflow_at_high():
    C = wl.pkc_outflow_mg_L(100.0, np.array([1e-6, 1.0, 10.0, 100.0, 1e7]), 20.0, RATE)
    assert np.all(np.diff(C) > 0)  # more loading, less removal
    assert C[0] == pytest.approx(RATE.C_star_mg_L, abs=1e-9)
    assert C[-1] == pytest.approx(100.0, rel=1e-5)
    assert float(wl.pkc_outflow_mg_L(100.0, 0.0, 20.0, RATE)) == RATE.C_star_mg_L  # no flow


@pytest.mark.unit
def test_pkc_is_the_tanks_in_series_formula_with_arrhenius_correction():
    q, T = 12.0, 8.0
    k = RATE.k_m_yr * RATE.theta ** (T - 20.0)
    expected = RATE.C_star_mg_L + 95.0 * (1.0 + k / (RATE.P * q)) ** -RATE.P
    assert float(wl.pkc_outflow_mg_L(100.0, q, T, RATE)) == pytest.approx(expected, rel=1e-12)
    warm, cold = wl.pkc_outflow_mg_L(100.0, q, np.array([25.0, 5.0]), RATE)
    assert warm < cold  # theta > 1: faster removal when warm
    many = dataclasses.replace(RATE, P=1e5)  # towards plug flow: exp(-k/q)
    plug = RATE.C_star_mg_L + 95.0 * np.exp(-RATE.k_m_yr / q)
    assert float(wl.pkc_outflow_mg_L(100.0, q, 20.0, many)) == pytest.approx(plug, rel=1e-4)


@pytest.mark.unit
def test_pkc_without_a_rate_passes_and_nan_propagates():
    none = wl.PkC(0.0, 0.0, 1.0, 1.0, "not retrieved")
    np.testing.assert_array_equal(wl.pkc_outflow_mg_L([3.0, 7.0], 5.0, 20.0, none), [3.0, 7.0])
    out = wl.pkc_outflow_mg_L(np.array([10.0, np.nan]), 5.0, 20.0, RATE)
    assert np.isfinite(out[0]) and np.isnan(out[1])
    with pytest.raises(ParameterError, match="q_m_yr"):
        wl.pkc_outflow_mg_L(10.0, -1.0, 20.0, RATE)


@pytest.mark.unit
def test_every_rate_is_sourced_and_missing_ones_say_so():
    for kind in wl.KINDS:
        assert set(wl.RATES[kind]) == {"COD", "Norg_N", "NH4_N", "NOx_N", "TN", "TP"}
        assert len(wl.RATES[kind]["COD"]) == len(wl.BOD_BANDS_mg_L) + 1
        for rates in wl.RATES[kind].values():
            for r in rates:
                assert r.source
                assert r.k_m_yr > 0 or "not retrieved" in r.source
        assert wl.LIMITS[kind].source


# ------------------------------------------------------------------ evapotranspiration


@pytest.mark.unit
def test_extraterrestrial_radiation_follows_the_seasons():
    J = np.arange(1.0, 366.0)
    Ra = wl.extraterrestrial_radiation_MJ_m2_d(J, 52.37)
    assert np.all(Ra > 0)
    assert 160 < J[np.argmax(Ra)] < 185  # near the June solstice
    south = wl.extraterrestrial_radiation_MJ_m2_d(J, -52.37)
    assert J[np.argmax(south)] < 10 or J[np.argmax(south)] > 345
    with pytest.raises(ParameterError, match="latitude_deg"):
        wl.extraterrestrial_radiation_MJ_m2_d(1.0, 80.0)


@pytest.mark.unit
def test_hargreaves_grows_with_temperature_range_and_radiation():
    base = float(wl.hargreaves_ET0_mm_d(10.0, 20.0, 30.0))
    assert base > 0
    assert float(wl.hargreaves_ET0_mm_d(15.0, 25.0, 30.0)) > base  # warmer
    assert float(wl.hargreaves_ET0_mm_d(5.0, 25.0, 30.0)) > base  # wider range
    assert float(wl.hargreaves_ET0_mm_d(10.0, 20.0, 15.0)) == pytest.approx(base / 2)
    assert float(wl.hargreaves_ET0_mm_d(12.0, 12.0, 30.0)) == 0.0
    assert float(wl.hargreaves_ET0_mm_d(-40.0, -30.0, 30.0)) == 0.0  # formula's negative branch
    with pytest.raises(ParameterError, match="T_max_C"):
        wl.hargreaves_ET0_mm_d(20.0, 10.0, 30.0)


# ------------------------------------------------------------------ treat


def inflow(days: int = 4, flow_m3_h: float = 0.5, **mg_L: float):
    """An hourly inflow of constant concentrations [mg/L]."""
    n = 24 * days
    flow = np.full(n, flow_m3_h)
    loads = np.zeros((n, N_COMPONENTS))
    for name, c in mg_L.items():
        loads[:, INDEX[name]] = c * flow_m3_h / 1e3
    T = np.tile(np.linspace(12.0, 22.0, 24), days)
    J = np.repeat(np.arange(150.0, 150.0 + days), 24)
    return loads, flow, T, J


@pytest.mark.unit
@pytest.mark.parametrize("kind", wl.KINDS)
def test_treat_closes_water_and_elements_and_concentrates_by_et(kind):
    loads, flow, T, J = inflow(COD_s=300.0, NH4_N=40.0, Norg_N=10.0, NO3_N=5.0, PO4_P=6.0, K=20.0)
    p = wl.WetlandParams(kind=kind, area_m2=400.0)
    r = wl.treat(loads, flow, T, J, params=p)
    np.testing.assert_allclose(r.flow_out_m3_h + r.ET_m3_h, flow, rtol=1e-12)
    assert np.all(r.ET_m3_h > 0) and np.all(r.flow_out_m3_h > 0)
    # potassium is conserved: its concentration rises by exactly the water lost
    K_out = r.out_kg_h[:, INDEX["K"]] / r.flow_out_m3_h * 1e3
    np.testing.assert_allclose(K_out, 20.0 * flow / r.flow_out_m3_h, rtol=1e-12)
    cod = list(element_indices("COD"))
    assert np.all(r.out_kg_h[:, cod].sum(axis=1) < loads[:, cod].sum(axis=1))
    N = list(element_indices("N"))
    assert np.all(r.out_kg_h[:, N].sum(axis=1) <= loads[:, N].sum(axis=1) + 1e-15)
    assert np.all(r.overloaded == 0)


@pytest.mark.unit
def test_nitrogen_moves_from_ammonium_to_nitrate_and_the_air():
    loads, flow, T, J = inflow(NH4_N=40.0)
    r = wl.treat(
        loads, flow, T, J, params=wl.WetlandParams(kind="free_water_surface", area_m2=500.0)
    )
    NH4_in, NH4_out = loads[:, INDEX["NH4_N"]], r.out_kg_h[:, INDEX["NH4_N"]]
    NO3_out = r.out_kg_h[:, INDEX["NO3_N"]]
    assert np.all(NH4_out < NH4_in) and np.all(NO3_out > 0)
    assert np.all(NH4_out + NO3_out < NH4_in)  # part of it denitrified
    # below the TN background the bed forms no more nitrate than the ammonium it loses
    loads, flow, T, J = inflow(NH4_N=0.5)
    r = wl.treat(
        loads, flow, T, J, params=wl.WetlandParams(kind="free_water_surface", area_m2=500.0)
    )
    N = list(element_indices("N"))
    assert np.all(r.out_kg_h[:, N].sum(axis=1) <= loads[:, N].sum(axis=1) * (1 + 1e-12))


@pytest.mark.unit
def test_not_built_passes_everything_and_small_is_overloaded():
    loads, flow, T, J = inflow(COD_s=300.0, NH4_N=40.0)
    r = wl.treat(loads, flow, T, J, params=wl.WetlandParams(area_m2=0.0))
    np.testing.assert_array_equal(r.out_kg_h, loads)
    np.testing.assert_array_equal(r.flow_out_m3_h, flow)
    assert np.all(r.overloaded == 0)  # not built: no loading to exceed
    small = wl.treat(loads, flow, T, J, params=wl.WetlandParams(area_m2=5.0))
    assert np.all(small.overloaded == 1)  # 12 m3/d and 3.6 kg COD/d on 5 m2


@pytest.mark.unit
def test_a_bed_that_evaporates_all_its_inflow_holds_what_it_carried():
    loads, flow, T, J = inflow(flow_m3_h=0.001, COD_s=100.0, K=20.0)
    r = wl.treat(loads, flow, T, J, params=wl.WetlandParams(area_m2=5000.0))
    assert np.all(r.flow_out_m3_h == 0) and np.all(r.out_kg_h == 0)
    np.testing.assert_allclose(r.ET_m3_h, flow)


@pytest.mark.unit
def test_treat_refuses_partial_days_and_bad_parameters():
    loads, flow, T, J = inflow()
    with pytest.raises(ParameterError, match="multiple of 24"):
        wl.treat(loads[:30], flow[:30], T[:30], J[:30], params=wl.WetlandParams(area_m2=10.0))
    with pytest.raises(ParameterError, match="area_m2"):
        wl.WetlandParams(area_m2=-1.0)
    with pytest.raises(ParameterError, match="kind = 'reed_bed'"):
        wl.WetlandParams(kind="reed_bed")


@pytest.mark.unit
def test_area_needed_meets_the_target_and_no_less_area_does():
    loads, flow, T, J = inflow(COD_s=200.0, NH4_N=40.0, Norg_N=5.0)
    p = wl.WetlandParams(kind="horizontal_subsurface_flow", target_TN_mg_L=20.0)
    A = float(wl.area_needed_m2(loads, flow, T, J, params=p).max())
    tn = wl.treat(loads, flow, T, J, params=dataclasses.replace(p, area_m2=A)).outflow_mg_L["TN"]
    assert tn.max() <= 20.0
    less = wl.treat(loads, flow, T, J, params=dataclasses.replace(p, area_m2=0.999 * A))
    assert less.outflow_mg_L["TN"].max() > 20.0
    # below the background (C* = 1 mg/L of TN in HSSF) no area does, without drying the bed
    never = wl.area_needed_m2(loads, flow, T, J, params=dataclasses.replace(p, target_TN_mg_L=0.5))
    assert np.all(np.isinf(never))


# ------------------------------------------------------------------ in a district


def district_data(area_m2: float = 300.0, **unit) -> dict:
    """The small test district with its greywater polished in a wetland for a farm."""
    data = tomllib.loads((ROOT / "tests" / "data" / "small_district.toml").read_text())
    data["connections"] = [c for c in data["connections"] if c != "gw_hp.out -> sewer.in"]
    data["connections"] += ["gw_hp.out -> wetland.in", "wetland.out -> farm.in"]
    data["units"]["wetland"] = {
        "type": "constructed_wetland",
        "kind": "free_water_surface",
        "area_m2": area_m2,
        **unit,
    }
    data["sinks"]["farm"] = {"type": "farm"}
    return data


@pytest.fixture(scope="module")
def wetland_ds():
    return nexus.simulate(district_from_dict(district_data(), file="wetland.toml"))


@pytest.mark.component
def test_balances_close_every_hour_with_the_water_lost(wetland_ds):
    b = nexus.balances(wetland_ds)
    for scope in ("wetland", "district"):
        for quantity, imbalance in b[scope].items():
            assert np.nanmax(np.abs(imbalance)) < 1e-9, (scope, quantity)
    lost = wetland_ds["water_lost_m3_h"].sel(node="wetland")
    assert float(lost.sum()) > 0
    np.testing.assert_allclose(lost, wetland_ds["wetland_ET_m3_h"].sel(node="wetland"))
    others = wetland_ds["water_lost_m3_h"].drop_sel(node="wetland")
    assert float(np.abs(others).max()) == 0.0


@pytest.mark.component
def test_the_farm_receives_the_polished_water_and_its_nutrients(wetland_ds):
    ds, k = wetland_ds, nexus.kpis(wetland_ds)
    stream = "wetland.out -> farm.in"
    assert k["farm: water received [m3/yr]"] == pytest.approx(
        float(ds["flow_m3_h"].sel(stream=stream).sum())
    )
    treated = k["wetland: water treated [m3/yr]"]
    lost = k["wetland: water evapotranspired [m3/yr]"]
    assert k["farm: water received [m3/yr]"] == pytest.approx(treated - lost, rel=1e-12)
    assert 0 < lost < treated
    N_in = float(
        ds["load_kg_h"]
        .sel(stream="gw_hp.out -> wetland.in")
        .isel(component=list(element_indices("N")))
        .sum()
    )
    assert k["farm: nitrogen received [kg/yr]"] == pytest.approx(
        N_in - k["wetland: nitrogen to the air [kg/yr]"], rel=1e-9
    )


@pytest.mark.component
def test_the_water_sankey_shows_what_the_wetland_loses_to_the_air(wetland_ds):
    from nexus.figures import sankey_flows

    water = sankey_flows(wetland_ds, "water")
    lost = water[(water.source == "wetland") & (water.target == "lost to the air")]
    assert float(lost.value.sum()) == pytest.approx(
        float(wetland_ds["water_lost_m3_h"].sel(node="wetland").sum()), rel=1e-9
    )
    into = float(water[water.target == "wetland"].value.sum())
    out = float(water[water.source == "wetland"].value.sum())
    assert out == pytest.approx(into, rel=1e-9)  # what enters leaves, as water or vapour


@pytest.mark.component
def test_the_file_names_a_bad_kind_or_area():
    with pytest.raises(DistrictError, match=r"units\.wetland\.kind"):
        district_from_dict(district_data(kind="reed_bed"), file="wetland.toml")
    with pytest.raises(DistrictError, match=r"units\.wetland\.area_m2"):
        district_from_dict(district_data(area_m2=-3.0), file="wetland.toml")


@pytest.mark.integration
@pytest.mark.slow
def test_optimizer_sizes_the_area_and_the_simulation_verifies_it():
    """The cost optimum is the least area that meets the TN target every day; the
    simulation of that design meets it, and 0.1 % less area does not."""
    from nexus.optimize import solve

    data = district_data(target_TN_mg_L=6.0)
    data["optimize"] = {
        "prices": PRICES,
        "design": {
            "wetland": {
                "area_m2": {
                    "max": 5000.0,
                    "capex_per_unit": 1.82,
                    "lifetime_yr": 20.0,
                    "source": "test value",
                }
            }
        },
    }
    district = district_from_dict(data, file="wetland.toml")
    ds = solve(district)
    A = float(ds["area_m2"].sel(node="wetland")[0])
    assert 0.0 < A < 5000.0
    chosen = nexus.simulate(district.with_sizes({"wetland": {"area_m2": A}}))
    tn = chosen["outflow_TN_mg_L"].sel(node="wetland").to_numpy()
    assert tn.max() <= 6.0
    assert float(chosen["wetland_overloaded"].sel(node="wetland").max()) == 0.0
    smaller = nexus.simulate(district.with_sizes({"wetland": {"area_m2": 0.999 * A}}))
    assert float(smaller["outflow_TN_mg_L"].sel(node="wetland").max()) > 6.0


@pytest.mark.integration
@pytest.mark.slow
def test_optimizer_takes_a_wetland_whose_area_the_file_fixes():
    """A fixed area is not the optimizer's to meet: an unreachable target (below TN's
    background) does not make the design infeasible; the simulation reports the water."""
    from nexus.optimize import solve

    data = district_data(area_m2=50.0, target_TN_mg_L=0.5)
    size = {"max": 10.0, "capex_per_unit": 100.0, "lifetime_yr": 20.0, "source": "test value"}
    data["optimize"] = {"prices": PRICES, "design": {"gw_hp": {"area_m2": size}}}
    ds = solve(district_from_dict(data, file="wetland.toml"))
    assert 0.0 <= float(ds["area_m2"].sel(node="gw_hp")[0]) <= 10.0
    assert float(ds["area_m2"].sel(node="wetland")[0]) == 50.0
