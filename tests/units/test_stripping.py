"""Unit, component and integration tests of nexus.units.stripping (ammonia stripping with an
acid scrubber).

Sections follow the module: the equilibria, the base dose (nexus's speciation), the column (Kremser),
the parameters, the unit process on a flow, the unit type on a stream, a district (balances,
key figures) and the optimizer. Validation against published data is in
tests/validation/test_stripping_validation.py.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nexus
from nexus.components import INDEX, N_COMPONENTS
from nexus.constants import CV_WATER_kWh_m3K, MOLAR_MASS_g_mol
from nexus.district import district_from_dict
from nexus.errors import ParameterError
from nexus.indicators import role_total
from nexus.registry import NodeInputs
from nexus.streams import Stream
from nexus.units import stripping as st
from nexus.units import struvite as sv
from nexus.units.adm1 import ADM1Params
from nexus.units.struvite import log_k

M = MOLAR_MASS_g_mol
DATA = Path(__file__).parents[1] / "data"
#: A digested black water (the example of :func:`ammonia_stripper`'s docstring).
WATER = dict(
    T_C=25.0,
    pH=7.8,
    NH4_N_mg_L=1500.0,
    PO4_P_mg_L=100.0,
    Mg_mg_L=20.0,
    Ca_mg_L=40.0,
    K_mg_L=300.0,
    Na_mg_L=250.0,
    Cl_mg_L=300.0,
    alkalinity_mg_L_HCO3=6000.0,
)


# ------------------------------------------------------------------------------ equilibria


@pytest.mark.unit
def test_pKa_is_phreeqc_dats_constant():
    T = np.array([0.0, 25.0, 60.0])
    np.testing.assert_allclose(st.pKa_NH4(T), -log_k("NH3", T), rtol=0, atol=1e-14)
    # phreeqc.dat's log_k -9.252 at 25 degC; its analytical expression gives 9.244
    assert float(st.pKa_NH4(25.0)) == pytest.approx(9.252, abs=0.01)


@pytest.mark.unit
def test_pKa_agrees_with_the_digesters_ADM1_constant():
    """One ammonium constant in nexus: the digester's BSM2 K_a,IN (pKa 9.25 at 25 degC,
    van 't Hoff with 51965 J/mol) and phreeqc.dat's agree within 0.01 from 0 to 60 degC."""
    p = ADM1Params()
    T_C = np.linspace(0.0, 60.0, 61)
    T_K = T_C + 273.15
    ln_K = -p.pK_a_IN_base * math.log(10) + p.dH_a_IN / (100.0 * p.R) * (1 / p.T_base_K - 1 / T_K)
    np.testing.assert_allclose(st.pKa_NH4(T_C), -ln_K / math.log(10), rtol=0, atol=0.01)


@pytest.mark.unit
def test_free_ammonia_fraction_in_pH_and_temperature():
    f = st.free_ammonia_frac([[7.0], [9.244], [12.0]], [10.0, 25.0, 40.0])
    assert f.shape == (3, 3)
    assert f[1, 1] == pytest.approx(0.5, abs=2e-4)  # pH = pKa at 25 degC
    assert np.all(np.diff(f, axis=0) > 0)  # rises with pH
    assert np.all(np.diff(f, axis=1) > 0)  # and with temperature
    assert np.all((f > 0) & (f < 1))
    # the definition: NH3 / (NH3 + NH4+) = 1 / (1 + 10^(pKa - pH))
    assert float(st.free_ammonia_frac(8.0, 30.0)) == pytest.approx(
        1.0 / (1.0 + 10.0 ** (float(st.pKa_NH4(30.0)) - 8.0)), rel=1e-14
    )


@pytest.mark.unit
def test_free_ammonia_fraction_NaN_propagates_and_bad_input_is_named():
    f = st.free_ammonia_frac([8.0, np.nan], 25.0)
    assert np.isfinite(f[0]) and np.isnan(f[1])
    with pytest.raises(ParameterError, match="pH"):
        st.free_ammonia_frac(15.0, 25.0)
    with pytest.raises(ParameterError, match="T_C"):
        st.free_ammonia_frac(9.0, -5.0)


@pytest.mark.unit
def test_henry_constant_of_ammonia():
    # Sander (2023): Hcp 0.59 mol m-3 Pa-1 at 298.15 K, so Hcc = 1 / (Hcp R T) = 6.84e-4
    assert float(st.henry_NH3_cc(25.0)) == pytest.approx(
        1.0 / (0.59 * 8.314462618 * 298.15), rel=1e-12
    )
    H = st.henry_NH3_cc([10.0, 25.0, 40.0, 60.0])
    assert np.all(np.diff(H) > 0)  # ammonia is less soluble in warm water
    with pytest.raises(ParameterError, match="T_C"):
        st.henry_NH3_cc(120.0)


# --------------------------------------------------------- the base dose (nexus's speciation)


@pytest.mark.component
def test_base_dose_raises_the_pH_then_holds_it_while_NH3_leaves():
    """The NaOH is nexus's speciation: the dose that brings the water to the column's pH (a
    titration, no N leaving), plus what holding it costs while NH3 leaves (its proton stays):
    less than 1 mol per mol N, the NH3 share of what stays giving some back."""
    p = st.StripperParams(air_flow_m3_h=2e4)
    r = st.ammonia_stripper(1.0, params=p, **WATER)
    titration = sv.struvite_equilibrium(**WATER, pH_target=9.3, precipitate=False)
    raise_mol = float(titration.NaOH_mmol_L)  # mol m-3
    N_mol = float(r.N_kg_h) / M["N"] * 1e3
    hold = float(r.NaOH_kg_h) / M["NaOH"] * 1e3 - raise_mol
    f = float(st.free_ammonia_frac(9.3, 25.0))
    assert raise_mol > 0.0
    assert 0.7 * (1.0 - f) * N_mol < hold < N_mol
    # the water after the dose, with the N gone as NH3, floats at the column's pH
    after = sv.struvite_equilibrium(
        **WATER,
        NH3_removed_mg_L=float(r.N_kg_h) * 1e3,
        NaOH_added_mmol_L=float(r.NaOH_kg_h) / M["NaOH"] * 1e3,
        precipitate=False,
    )
    assert float(after.pH_final) == pytest.approx(9.3, abs=1e-9)
    # a water already above the set point runs at its own pH and takes base only to hold it
    high = st.ammonia_stripper(1.0, params=dataclasses.replace(p, pH_target=7.0), **WATER)
    assert float(high.pH_column) == pytest.approx(7.8)
    assert 0.0 < float(high.NaOH_kg_h) / M["NaOH"] < float(high.N_kg_h) / M["N"]


@pytest.mark.component
def test_warming_lowers_a_closed_waters_pH():
    """What the stripper relies on to speciate warmed only the waters above the set point:
    digester effluents and urine, 10 -> 40 and 25 -> 60 degC."""
    waters = {
        **{k: np.full(4, v) for k, v in WATER.items()},
        "pH": np.array([7.0, 7.8, 8.6, 9.2]),
    }
    for T_in, T_col in ((10.0, 40.0), (25.0, 60.0)):
        w = {**waters, "T_C": T_in}
        own = sv.struvite_equilibrium(**w, T_reaction_C=T_col, precipitate=False).pH_final
        assert np.all(own < waters["pH"] - 0.1)
    # and a water above the set point runs at its own pH at the column's temperature
    p = st.StripperParams(air_flow_m3_h=2e4, pH_target=7.0, T_C=40.0)
    r = st.ammonia_stripper(1.0, params=p, **WATER)
    own = sv.struvite_equilibrium(**WATER, T_reaction_C=40.0, precipitate=False).pH_final
    assert float(r.pH_column) == pytest.approx(float(own))


@pytest.mark.component
def test_no_mineral_precipitates_in_the_column_its_saturation_is_reported():
    p = st.StripperParams(air_flow_m3_h=2e4)
    r = st.ammonia_stripper(1.0, params=p, **WATER)
    # the column's water: struvite and calcite supersaturated at pH 9.3 (they would scale)
    assert float(r.SI_struvite_column) > 0.0 and float(r.SI_calcite_column) > 0.0
    # without Ca or Mg the mineral is absent (-inf)
    bare = st.ammonia_stripper(1.0, params=p, **{**WATER, "Ca_mg_L": 0.0, "Mg_mg_L": 0.0})
    assert float(bare.SI_calcite_column) == -np.inf and float(bare.SI_struvite_column) == -np.inf


@pytest.mark.component
def test_unit_type_reports_the_columns_saturation_and_logs_the_scaling_risk(caplog):
    water = stream([1.0, 2.0])
    water.loads_kg_h[:, INDEX["Ca"]] = water.flow_m3_h * 0.04  # 40 mg/L
    with caplog.at_level(logging.WARNING, logger="nexus.units.stripping"):
        r = run(water, air_flow_m3_h=2e4)
    assert np.all(r.outputs["SI_calcite_column"] > 0)
    assert np.all(r.outputs["SI_struvite_column"] == -np.inf)  # no Mg in this water
    assert "supersaturated with calcite" in caplog.text and "struvite" not in caplog.text
    # P, Mg and Ca pass through: nothing precipitates
    for c in ("PO4_P", "Ca", "Mg"):
        np.testing.assert_array_equal(
            r.outlets["out"].loads_kg_h[:, INDEX[c]], water.loads_kg_h[:, INDEX[c]]
        )


@pytest.mark.component
def test_a_water_the_speciation_refuses_is_named():
    # at pH 10 most of 1,500 mg/L ammonia-N is NH3, which is alkalinity: 600 mg/L cannot be
    bad = {**WATER, "pH": 10.0, "alkalinity_mg_L_HCO3": 600.0}
    with pytest.raises(ParameterError, match="alkalinity_mg_L_HCO3"):
        st.ammonia_stripper(1.0, params=st.StripperParams(air_flow_m3_h=2e4), **bad)


# -------------------------------------------------------------------------- the column


@pytest.mark.unit
def test_kremser_limits():
    r = st.kremser_remaining_frac
    assert float(r(0.0, 5.0)) == 1.0  # no air, nothing stripped
    assert float(r(3.0, 0.0)) == pytest.approx(1.0)  # no packing
    assert float(r(1.0, 4.0)) == pytest.approx(1.0 / 5.0, rel=1e-12)  # S = 1: 1 / (1 + NTU)
    assert float(r(1e9, 3.0)) == pytest.approx(math.exp(-3.0), rel=1e-6)  # S -> inf: e^-NTU
    assert float(r(0.4, 200.0)) == pytest.approx(0.6, rel=1e-9)  # S < 1, deep: 1 - S left
    # continuous through S = 1 (the form without cancellation)
    near = r([1.0 - 1e-9, 1.0, 1.0 + 1e-9], 4.0)
    np.testing.assert_allclose(near, 0.2, rtol=1e-8)
    # the textbook form NTU = S/(S-1) ln(((C_in/C_out)(S-1) + 1)/S), solved for the outlet
    S, ntu = 3.5, 2.0
    x = ntu * (S - 1) / S
    assert float(r(S, ntu)) == pytest.approx((S - 1) / (S * math.exp(x) - 1), rel=1e-12)


@pytest.mark.unit
def test_kremser_broadcasts_propagates_NaN_and_names_bad_input():
    out = st.kremser_remaining_frac([[0.5], [2.0], [np.nan]], [1.0, 3.0])
    assert out.shape == (3, 2)
    assert np.all(np.diff(out[:2], axis=0) < 0) and np.all(np.diff(out[:2], axis=1) < 0)
    assert np.isnan(out[2]).all()
    with pytest.raises(ParameterError, match="stripping_factor"):
        st.kremser_remaining_frac(-1.0, 2.0)
    with pytest.raises(ParameterError, match="transfer_units"):
        st.kremser_remaining_frac(2.0, -1.0)


@pytest.mark.unit
def test_default_column_strips_90_percent_at_the_design_point():
    """The defaults' derivation: S = 3.5 at pH 9.3 and 25 degC, NTU for 10 % left."""
    p = st.StripperParams()
    S = float(st.free_ammonia_frac(9.3, 25.0) * st.henry_NH3_cc(25.0)) * p.air_to_water_m3_m3
    assert S == pytest.approx(3.5, rel=0.01)
    assert float(st.kremser_remaining_frac(3.5, p.transfer_units)) == pytest.approx(0.1, abs=1e-3)


# -------------------------------------------------------------------------- the scrubber


@pytest.mark.unit
def test_acid_and_product_per_kg_N_are_stoichiometric():
    # 2 NH3 + H2SO4 = (NH4)2SO4: 98.08 / 28.01 = 3.5 kg acid and 4.72 kg salt per kg N
    assert st.H2SO4_PER_N == pytest.approx(3.5, abs=0.005)
    assert st.H2SO4_PER_N == pytest.approx(M["H2SO4"] / (2 * M["N"]), rel=1e-15)
    assert st.SULFATE_PER_N == pytest.approx(4.717, abs=0.001)
    # the product carries the N and the acid: mass conserved
    assert st.SULFATE_PER_N == pytest.approx(
        st.H2SO4_PER_N + (M["N"] + 3 * M["H"]) / M["N"], rel=1e-3
    )


# -------------------------------------------------------------------------- parameters


@pytest.mark.unit
@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"air_to_water_m3_m3": 1.0}, "air_to_water_m3_m3"),
        ({"transfer_units": -1.0}, "transfer_units"),
        ({"pH_target": 13.5}, "pH_target"),
        ({"heat_recovery_frac": 1.0}, "heat_recovery_frac"),
        ({"N_product_g_L": 0.0}, "N_product_g_L"),
        ({"T_C": 100.0}, "T_C"),
        ({"T_C": "warm"}, "T_C"),
        ({"air_flow_m3_h": -1.0}, "air_flow_m3_h"),
    ],
)
def test_bad_parameters_name_the_key(kwargs, key):
    with pytest.raises(ParameterError, match=key):
        st.StripperParams(**kwargs)


@pytest.mark.unit
def test_unknown_parameter_is_refused():
    with pytest.raises((ParameterError, TypeError), match="air_flow"):
        st.StripperParams(air_flow=10.0)


@pytest.mark.unit
def test_every_default_has_a_source():
    for f in dataclasses.fields(st.StripperParams):
        assert f.metadata.get("source"), f.name


# ------------------------------------------------------------------ the unit process


@pytest.mark.component
def test_stripper_on_a_flow_closes_N_and_the_chemicals():
    p = st.StripperParams(air_flow_m3_h=2e4)  # treats 2.08 m3/h at the default ratio
    Q = np.array([0.0, 1.0, 4.0])
    r = st.ammonia_stripper(Q, params=p, **WATER)
    np.testing.assert_allclose(r.treated_m3_h, np.minimum(Q, p.water_capacity_m3_h))
    N_in = Q * WATER["NH4_N_mg_L"] / 1e3
    assert np.all(r.N_kg_h <= N_in)
    np.testing.assert_allclose(r.N_kg_h, r.treated_m3_h * 1.5 * r.stripped_frac, rtol=1e-12)
    np.testing.assert_allclose(r.H2SO4_kg_h, st.H2SO4_PER_N * r.N_kg_h, rtol=1e-15)
    np.testing.assert_allclose(r.ammonium_sulfate_kg_h, st.SULFATE_PER_N * r.N_kg_h, rtol=1e-15)
    np.testing.assert_allclose(r.product_m3_h, r.N_kg_h / 80.0, rtol=1e-15)  # 80 g N/L
    np.testing.assert_allclose(r.electricity_kW, 0.52 * r.N_kg_h, rtol=1e-15)
    assert r.N_kg_h[0] == 0.0 and r.NaOH_kg_h[0] == 0.0
    assert np.all(r.pH_column == pytest.approx(9.3))
    # the bypass dilutes the outlet: its pH lies between the inlet's and the column's
    assert r.pH_out[1] == pytest.approx(9.3, abs=1e-6)
    assert 7.8 < r.pH_out[2] < 9.3


@pytest.mark.component
def test_warming_the_column_strips_more_and_costs_heat():
    cold = st.StripperParams(air_flow_m3_h=2e4)
    warm = st.StripperParams(air_flow_m3_h=2e4, T_C=40.0, heat_recovery_frac=0.5)
    a = st.ammonia_stripper(1.0, params=cold, **WATER)
    b = st.ammonia_stripper(1.0, params=warm, **WATER)
    assert float(b.stripped_frac) > float(a.stripped_frac)
    assert float(a.heat_kW) == 0.0
    # heat: c_v Q (T_col - T_in)(1 - eta); the water leaves half-way warmed
    assert float(b.heat_kW) == pytest.approx(CV_WATER_kWh_m3K * 15.0 * 0.5, rel=1e-12)
    assert float(b.T_out_C) == pytest.approx(32.5, rel=1e-12)


@pytest.mark.component
def test_stripper_NaN_stays_in_its_hour_and_bad_water_is_named():
    p = st.StripperParams(air_flow_m3_h=2e4)
    r = st.ammonia_stripper(1.0, params=p, **{**WATER, "NH4_N_mg_L": np.array([1500.0, np.nan])})
    assert np.isfinite(r.N_kg_h[0]) and np.isnan(r.N_kg_h[1])
    with pytest.raises(ParameterError, match="NH4_N_mg_L"):
        st.ammonia_stripper(1.0, params=p, **{**WATER, "NH4_N_mg_L": -1.0})
    with pytest.raises(ParameterError, match="flow_m3_h"):
        st.ammonia_stripper(-1.0, params=p, **WATER)


# ------------------------------------------------------------------ the unit type


def stream(flow, pH=7.8) -> Stream:
    flow = np.asarray(flow, float)
    loads = np.zeros((flow.size, N_COMPONENTS))
    loads[:, INDEX["NH4_N"]] = flow * 1.5  # kg/m3
    loads[:, INDEX["PO4_P"]] = flow * 0.1
    loads[:, INDEX["Alk_HCO3"]] = flow * 6.0
    loads[:, INDEX["Na"]] = flow * 0.2
    ph = None if pH is None else np.full(flow.size, pH)
    return Stream(flow, np.full(flow.size, 25.0), loads, ph)


def run(water: Stream, **params) -> nexus.NodeResult:
    n = water.flow_m3_h.size
    inputs = NodeInputs(
        inlets={"in": water},
        gas_Nm3_h={},
        open_demand_kW={},
        T_mains_C=np.full(n, 10.0),
        T_out_C=np.full(n, 5.0),
        time=pd.date_range("2025-01-01", periods=n, freq="h"),
    )
    return st.AmmoniaStripperType().run(st.StripperParams(**params), inputs)


@pytest.mark.component
def test_unit_type_takes_the_N_from_the_water_and_doses_Na():
    water = stream([0.0, 1.0, 3.0])
    r = run(water, air_flow_m3_h=2e4)
    out = r.outlets["out"]
    N = r.outputs["N_recovered_kg_h"]
    np.testing.assert_allclose(r.removed_kg_h["N"], N)
    np.testing.assert_allclose(
        out.loads_kg_h[:, INDEX["NH4_N"]], water.loads_kg_h[:, INDEX["NH4_N"]] - N, atol=1e-12
    )
    Na = r.outputs["NaOH_kg_h"] * M["Na"] / M["NaOH"]
    np.testing.assert_allclose(r.dosed_kg_h["Na"], Na)
    np.testing.assert_allclose(
        out.loads_kg_h[:, INDEX["Na"]], water.loads_kg_h[:, INDEX["Na"]] + Na, atol=1e-12
    )
    np.testing.assert_array_equal(out.flow_m3_h, water.flow_m3_h)  # water passes through
    np.testing.assert_allclose(r.draw_kW["power"], r.outputs["electricity_use_kW"])
    assert N[0] == 0.0 and N[1] > 0.0
    assert np.isnan(r.outputs["pH_column"][0]) and r.outputs["pH_column"][1] == pytest.approx(9.3)
    assert out.pH is not None and out.pH[1] == pytest.approx(9.3, abs=1e-6)


@pytest.mark.component
def test_unit_type_not_built_or_without_pH_passes_the_water_by(caplog):
    water = stream([1.0, 2.0])
    r = run(water, air_flow_m3_h=0.0)
    assert not r.outputs["N_recovered_kg_h"].any()
    np.testing.assert_array_equal(r.outlets["out"].loads_kg_h, water.loads_kg_h)
    with caplog.at_level(logging.WARNING, logger="nexus.units.stripping"):
        r = run(stream([1.0, 2.0], pH=None), air_flow_m3_h=2e4)
    assert "without a pH" in caplog.text
    assert not r.outputs["N_recovered_kg_h"].any()
    assert r.outlets["out"].pH is None


# ------------------------------------------------------------------------- a district

#: The air flow's cost entry (test values).
AIR_DESIGN = {"max": 5000.0, "capex_per_unit": 1.0, "lifetime_yr": 20.0, "source": "test value"}
PRICES = {"electricity_import_per_kWh": 0.2, "heat_backup_per_kWh": 0.1, "source": "test values"}


def stripper_district(air_flow_m3_h: float = 2000.0, **optimize) -> nexus.District:
    """The small test district (20 homes): black water and kitchen waste digested, the
    digester's effluent stripped before the sewer, its methane exported."""
    data = tomllib.loads((DATA / "small_district.toml").read_text())
    data["connections"] = [
        c for c in data["connections"] if not c.startswith(("homes.blackwater", "homes.kitchen"))
    ]
    data["units"]["digester"] = {
        "type": "anaerobic_digester",
        "reactor": {"V_liq_m3": 8.0, "T_C": 25.0, "solids_retention_d": 100.0},
    }
    data["units"]["stripper"] = {"type": "ammonia_stripper", "air_flow_m3_h": air_flow_m3_h}
    data["sinks"]["gas_grid"] = {"type": "gas_grid"}
    data["connections"] += [
        "homes.blackwater -> digester.in",
        "homes.kitchen_waste -> digester.in",
        "digester.biogas -> gas_grid.in",
        "digester.out -> stripper.in",
        "grid.out -> stripper.power",
        "stripper.out -> sewer.in",
    ]
    if optimize:
        data["optimize"] = {"prices": dict(PRICES), **optimize}
    return district_from_dict(data, file="stripper.toml")


@pytest.fixture(scope="module")
def district_run():
    return nexus.simulate(stripper_district())


@pytest.mark.integration
def test_district_with_a_stripper_balances_every_hour(district_run):
    result = nexus.balances(district_run)
    assert {"N", "Na", "water", "energy"} <= set(result["stripper"])
    for scope, quantities in result.items():
        for quantity, imbalance in quantities.items():
            assert not np.isnan(imbalance).any(), (scope, quantity)
            assert np.abs(imbalance).max() < 1e-9, (scope, quantity)


@pytest.mark.integration
def test_district_key_figures_of_the_stripper(district_run):
    ds = district_run
    node = ds.sel(node="stripper")
    table = nexus.kpis(ds)
    N = float(node["N_recovered_kg_h"].sum())
    assert N > 100.0  # 42 residents' black water: ~4 kg N/yr each
    assert table["stripper: nitrogen recovered [kg/yr]"] == pytest.approx(N)
    assert table["stripper: sulfuric acid used [kg/yr]"] == pytest.approx(st.H2SO4_PER_N * N)
    share = table["stripper: ammonium-N recovered, share of what reaches it [%]"]
    assert 80.0 < share < 100.0  # the default column: about 90 % at pH 9.3, 25 degC
    assert role_total(ds, "N_recovered") == pytest.approx(N)  # N for farms
    assert ds["N_recovered_kg_h"].attrs["units"] == "kg h-1"


@pytest.mark.integration
def test_the_optimizer_sizes_the_stripper_and_the_simulation_agrees():
    from nexus.optimize import solve

    district = stripper_district(design={"stripper": {"air_flow_m3_h": AIR_DESIGN}})
    ds = solve(district, objective="cost", typical_days=0)
    air = float(ds["air_flow_m3_h"].sel(node="stripper")[0])
    # no fixed cost: it is always built, and the cheapest air flow treats the peak hour
    peak = float(
        nexus.simulate(district)["flow_m3_h"].sel(stream="digester.out -> stripper.in").max()
    )
    assert air == pytest.approx(peak * st.StripperParams().air_to_water_m3_m3, rel=1e-6)
    # the simulation of the chosen design recovers what the optimizer counted
    assert float(ds["verified_N_kg_yr"][0]) > 100.0
    assert abs(float(ds["gap_N_frac"][0])) < 1e-6


@pytest.mark.integration
def test_optimizer_model_units_are_consistent():
    from pyomo.util.check_units import assert_units_consistent

    from nexus.optimize.model import build_model

    design = {"stripper": {"air_flow_m3_h": AIR_DESIGN}}
    model = build_model(stripper_district(design=design, typical_days=2), units=True)
    assert_units_consistent(model)


@pytest.mark.integration
def test_the_ammonium_sulfate_N_counts_as_N_recovered_for_farms(district_run):
    """The stripper's N feeds the district's food figures as any N_recovered output does."""
    from nexus.food import food_kpis
    from nexus.indicators import recovered_for_farms_kg

    N = float(district_run["N_recovered_kg_h"].sel(node="stripper").sum())
    recovered = recovered_for_farms_kg(district_run)
    assert recovered == {"N": pytest.approx(N), "P": None, "K": None}
    table = nexus.kpis(district_run)
    for name, value in food_kpis(recovered).items():
        assert table[name] == pytest.approx(value), name


@pytest.mark.integration
@pytest.mark.slow
def test_the_optimizer_builds_the_stripper_for_nitrogen_not_for_cost():
    """With a fixed cost the stripper is a yes/no choice: the cost optimum leaves it out
    (it recovers N no price rewards), the nitrogen optimum builds it; both verified by
    simulating the chosen design."""
    from nexus.optimize import solve

    design = {"stripper": {"air_flow_m3_h": {**AIR_DESIGN, "capex_fixed": 1000.0}}}
    cheap = solve(stripper_district(design=design), objective="cost", typical_days=0)
    assert float(cheap["air_flow_m3_h"].sel(node="stripper")[0]) == 0.0
    assert float(cheap["N_kg_yr"][0]) == 0.0
    most = solve(stripper_district(design=design), objective="nitrogen", typical_days=0)
    assert float(most["air_flow_m3_h"].sel(node="stripper")[0]) > 0.0
    assert float(most["N_kg_yr"][0]) > 100.0
    assert abs(float(most["gap_N_frac"][0])) < 1e-6
