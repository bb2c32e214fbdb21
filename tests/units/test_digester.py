"""Digester feed and effluent mapping: COD, N and P conserved exactly."""

from __future__ import annotations

import numpy as np
import pytest

from nexus.components import INDEX, N_COMPONENTS
from nexus.errors import ParameterError
from nexus.units import adm1
from nexus.units.digester import M_N, effluent_loads, feed_to_adm1, heating_kW


def black_water_loads(n: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Hourly black water + kitchen waste of ~1000 people (per-capita figures of the district file)."""
    rng = np.random.default_rng(seed)
    flow = rng.uniform(0.1, 0.5, n)  # m3/h
    loads = np.zeros((n, N_COMPONENTS))
    per_m3 = {  # kg/m3, black water of ~6 L/(p d) plus kitchen waste
        "COD_s": 4.0, "COD_x": 12.0, "NH4_N": 1.6, "Norg_N": 0.5, "PO4_P": 0.18, "Porg_P": 0.12,
        "K": 0.6, "Mg": 0.06, "Ca": 0.15, "Na": 0.5, "Cl": 0.8, "Alk_HCO3": 7.0, "TSS": 6.0,
    }  # fmt: skip
    for name, value in per_m3.items():
        loads[:, INDEX[name]] = value * flow * rng.uniform(0.8, 1.2, n)
    return loads, flow


@pytest.mark.unit
def test_feed_conserves_cod_and_nitrogen():
    loads, flow = black_water_loads()
    x = feed_to_adm1(loads, flow)
    liquid = np.stack([x[n] for n in adm1.LIQUID_STATES], axis=-1)
    totals = adm1.conserved_totals(liquid)
    cod_in = (loads[:, INDEX["COD_s"]] + loads[:, INDEX["COD_x"]]) / flow
    N_in = (loads[:, INDEX["NH4_N"]] + loads[:, INDEX["Norg_N"]]) / flow / M_N
    np.testing.assert_allclose(totals["COD_kg_m3"], cod_in, rtol=1e-12)
    np.testing.assert_allclose(totals["N_kmol_m3"], N_in, rtol=1e-12)
    assert all((v >= 0).all() for v in x.values())


@pytest.mark.unit
def test_feed_with_no_flow_is_all_zero_and_too_little_nitrogen_raises():
    loads, flow = black_water_loads(3)
    flow[1] = 0.0
    x = feed_to_adm1(loads, flow)
    assert all(v[1] == 0.0 for v in x.values())
    loads[:, INDEX["NH4_N"]] = 0.0
    loads[:, INDEX["Norg_N"]] = 0.0
    with pytest.raises(ParameterError, match="feed row 0: organic N"):
        feed_to_adm1(loads, np.ones(3))


@pytest.mark.unit
def test_effluent_of_an_unreacted_feed_returns_the_feed():
    """Contents equal to the feed (nothing hydrolysed): every conserved load comes back."""
    loads, flow = black_water_loads()
    x = feed_to_adm1(loads, flow)
    out = effluent_loads(x, flow, loads, T_K=308.15)
    for name in ("COD_s", "COD_x", "K", "Mg", "Ca", "Na", "Cl", "PO4_P", "Porg_P"):
        np.testing.assert_allclose(out[:, INDEX[name]], loads[:, INDEX[name]], rtol=1e-12)
    N_out = out[:, INDEX["NH4_N"]] + out[:, INDEX["Norg_N"]]
    N_in = loads[:, INDEX["NH4_N"]] + loads[:, INDEX["Norg_N"]]
    np.testing.assert_allclose(N_out, N_in, rtol=1e-12)


@pytest.mark.unit
def test_hydrolysis_releases_phosphate_and_keeps_p():
    loads, flow = black_water_loads()
    x = feed_to_adm1(loads, flow)
    digested = dict(x)
    digested["X_c"] = 0.3 * x["X_c"]  # 70 % of composites gone
    out = effluent_loads(digested, flow, loads, T_K=308.15)
    P_in = loads[:, INDEX["PO4_P"]] + loads[:, INDEX["Porg_P"]]
    P_out = out[:, INDEX["PO4_P"]] + out[:, INDEX["Porg_P"]]
    np.testing.assert_allclose(P_out, P_in, rtol=1e-12)
    assert (out[:, INDEX["PO4_P"]] > loads[:, INDEX["PO4_P"]]).all()
    assert (out[:, INDEX["Porg_P"]] >= 0).all()


@pytest.mark.unit
def test_heating_scalar_and_array():
    r = heating_kW(
        np.array([0.0, 1.0]), 20.0, 35.0, wall_area_m2=100.0, U_W_m2K=0.5, ambient_T_C=40.0
    )
    assert r.feed_kW[0] == 0.0 and r.wall_kW[1] == 0.0
    np.testing.assert_allclose(r.total_kW, r.feed_kW + r.wall_kW)


BSM2_CASE = adm1.BSM2_DIGESTER
BSM2_INFLUENT = adm1.BSM2_INFLUENT


@pytest.mark.component
def test_solids_retention_keeps_biomass_and_closes_cod():
    """A UASB (t_res,X > 0) holds more biomass and makes more methane; COD still closes."""
    cstr = adm1.steady_state(BSM2_INFLUENT, **BSM2_CASE)
    same = adm1.steady_state(BSM2_INFLUENT, **BSM2_CASE, t_res_X_d=0.0)
    uasb = adm1.steady_state(BSM2_INFLUENT, **BSM2_CASE, t_res_X_d=100.0)
    assert float(same.X_ac) == float(cstr.X_ac)
    assert float(uasb.X_ac) > 2.0 * float(cstr.X_ac)
    assert float(uasb.q_ch4_Nm3_d) > float(cstr.q_ch4_Nm3_d)
    # COD in = COD out (particulates leave at V/q / (V/q + t_res) of their content) + gas.
    hrt = BSM2_CASE["V_liq_m3"] / BSM2_CASE["flow_m3_d"]
    keep = hrt / (hrt + 100.0)
    soluble = sum(
        float(uasb[n])
        for n in ("S_su", "S_aa", "S_fa", "S_va", "S_bu", "S_pro", "S_ac", "S_h2", "S_ch4", "S_I")
    )
    particulate = sum(float(uasb[n]) for n in adm1.LIQUID_STATES[12:24])
    cod_in = sum(v for k, v in BSM2_INFLUENT.items() if k not in ("S_IC", "S_IN", "S_cat", "S_an"))
    gas = float(uasb.q_ch4_Nm3_d) * 64.0 / 22.414 / BSM2_CASE["flow_m3_d"]  # kg COD per m3 fed
    assert soluble + keep * particulate + gas == pytest.approx(cod_in, rel=2e-3)
    with pytest.raises(ParameterError, match="t_res_X_d"):
        adm1.steady_state(BSM2_INFLUENT, **BSM2_CASE, t_res_X_d=-1.0)
