"""Digester feed and effluent mapping: COD, N and P conserved exactly."""

from __future__ import annotations

import numpy as np
import pytest

from nexus.components import COMPONENTS, INDEX, N_COMPONENTS, element_indices
from nexus.cosubstrates import PRESETS, loads_per_kg
from nexus.errors import ParameterError
from nexus.units import adm1
from nexus.units import digester as dg
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
def test_feed_with_no_flow_is_all_zero_and_no_nitrogen_reads_n_free():
    loads, flow = black_water_loads(3)
    flow[1] = 0.0
    x = feed_to_adm1(loads, flow)
    assert all(v[1] == 0.0 for v in x.values())
    loads[:, INDEX["NH4_N"]] = 0.0
    loads[:, INDEX["Norg_N"]] = 0.0
    x = feed_to_adm1(loads, np.ones(3))  # no error: the COD is read N-free
    np.testing.assert_array_equal(x["S_IN"], 0.0)
    np.testing.assert_array_equal(x["X_c"], 0.0)  # composites hold N: none are left
    assert (x["X_ch"] > 0).all() and (x["X_li"] > 0).all()


def _totals(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return adm1.conserved_totals(np.stack([x[n] for n in adm1.LIQUID_STATES], axis=-1))


def _cod(loads: np.ndarray) -> np.ndarray:
    return loads[:, list(element_indices("COD"))].sum(axis=1)


def _n(loads: np.ndarray) -> np.ndarray:
    return loads[:, INDEX["NH4_N"]] + loads[:, INDEX["Norg_N"]]


def co_digestion_loads(n: int = 6, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Black water plus grease-trap residue in varying shares, down to grease alone."""
    loads, flow = black_water_loads(n, seed)
    grease = loads_per_kg(PRESETS["grease_trap"])  # kg per kg wet
    kg = np.linspace(0.0, 2000.0, n)  # kg/h of residue
    share = np.linspace(1.0, 0.0, n)  # black water left
    return loads * share[:, None] + np.outer(kg, grease), flow * share + kg / 1000.0


@pytest.mark.unit
def test_known_make_up_maps_to_adm1_states_one_to_one():
    loads = np.zeros((1, N_COMPONENTS))
    for name, value in {"COD_ch": 1.0, "COD_pr": 2.0, "COD_li": 3.0, "COD_xI": 4.0}.items():
        loads[0, INDEX[name]] = value
    p = adm1.ADM1Params()
    loads[0, INDEX["Norg_N"]] = (2.0 * p.N_aa + 4.0 * p.N_I) * M_N  # protein and inerts: their N
    x = feed_to_adm1(loads, np.array([1.0]))
    assert [float(x[s][0]) for s in ("X_ch", "X_pr", "X_li", "X_I", "X_c")] == pytest.approx(
        [1.0, 2.0, 3.0, 4.0, 0.0], rel=1e-12
    )
    assert float(x["S_IN"][0]) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.unit
@pytest.mark.parametrize("feed", ["black_water", "co_digestion", "n_free"])
def test_fractionation_conserves_cod_and_nitrogen_exactly(feed):
    if feed == "black_water":
        loads, flow = black_water_loads()
    else:
        loads, flow = co_digestion_loads()
    if feed == "n_free":
        loads[:, [INDEX["NH4_N"], INDEX["Norg_N"]]] = 0.0
    x = feed_to_adm1(loads, flow)
    totals = _totals(x)
    np.testing.assert_allclose(totals["COD_kg_m3"], _cod(loads) / flow, rtol=1e-12)
    # ADM1's fixed N_I may count N in inerts that an N-free feed lacks: that is all
    short = dg._fractionate(dg._concentrations(loads, flow), dg.FeedParams(), adm1.ADM1Params())
    N_in = _n(loads) / flow / M_N
    np.testing.assert_allclose(
        totals["N_kmol_m3"] - short.inert_N_short, N_in, rtol=1e-12, atol=1e-15
    )
    if feed != "n_free":
        np.testing.assert_array_equal(short.inert_N_short, 0.0)
    assert all((v >= 0).all() for v in x.values())


@pytest.mark.unit
def test_low_nitrogen_reads_composites_then_proteins_as_n_free():
    p = adm1.ADM1Params()
    loads = np.zeros((3, N_COMPONENTS))
    loads[:, INDEX["COD_x"]] = 10.0
    loads[:, INDEX["COD_pr"]] = 5.0
    need_c, need_pr = p.N_xc * 10.0 * M_N, p.N_aa * 5.0 * M_N  # kg N/m3
    loads[:, INDEX["NH4_N"]] = [need_c + need_pr, need_pr + 0.5 * need_c, 0.5 * need_pr]
    x = feed_to_adm1(loads, np.ones(3))
    # enough N: unchanged; half the composites' N: half of them N-free; little N: no composites
    np.testing.assert_allclose(x["X_c"], [10.0, 5.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(x["X_pr"], [5.0, 5.0, 2.5], atol=1e-12)
    ratio = p.f_ch_xc / (p.f_ch_xc + p.f_li_xc)
    np.testing.assert_allclose(x["X_ch"], [0.0, 5.0 * ratio, 10.0 * ratio + 2.5], atol=1e-12)
    np.testing.assert_allclose(x["X_li"], [0.0, 5.0 * (1 - ratio), 10.0 * (1 - ratio)], atol=1e-12)
    np.testing.assert_allclose(x["S_IN"], 0.0, atol=1e-15)


@pytest.mark.unit
@pytest.mark.parametrize("feed", ["black_water", "co_digestion"])
def test_effluent_of_an_unreacted_feed_returns_every_component(feed):
    """Composition round trip: contents equal to the feed give the feed's loads back."""
    loads, flow = black_water_loads() if feed == "black_water" else co_digestion_loads()
    x = feed_to_adm1(loads, flow)
    out = effluent_loads(x, flow, loads, T_K=308.15)
    for c in COMPONENTS:
        if c.conserved and c.name not in ("NH4_N", "Norg_N"):
            np.testing.assert_allclose(
                out[:, INDEX[c.name]], loads[:, INDEX[c.name]], rtol=1e-12, atol=1e-12
            )
    np.testing.assert_allclose(_n(out), _n(loads), rtol=1e-12)


@pytest.mark.unit
def test_n_short_inerts_leave_the_effluent_with_the_n_they_came_with():
    loads = np.zeros((1, N_COMPONENTS))
    loads[0, INDEX["COD_xI"]] = 5.0
    loads[0, INDEX["COD_li"]] = 5.0
    loads[0, INDEX["Norg_N"]] = 0.01  # far less than N_I x 5 kg COD
    flow = np.array([1.0])
    x = feed_to_adm1(loads, flow)
    out = effluent_loads(x, flow, loads, T_K=308.15)
    assert float(_n(out)[0]) == pytest.approx(0.01, rel=1e-12)
    assert float(x["S_IN"][0]) == 0.0


@pytest.mark.unit
def test_household_effluent_keeps_its_particulate_cod_as_composites():
    """A feed of composites only leaves all its particulate COD as COD_x, as before co-substrates."""
    loads, flow = black_water_loads()
    x = feed_to_adm1(loads, flow)
    digested = dict(
        x, X_c=0.3 * x["X_c"], X_ch=0.1 * x["X_c"], X_li=0.2 * x["X_c"], X_I=0.2 * x["X_c"]
    )
    out = effluent_loads(digested, flow, loads, T_K=308.15)
    for name in ("COD_ch", "COD_pr", "COD_li", "COD_xI"):
        np.testing.assert_array_equal(out[:, INDEX[name]], 0.0)
    np.testing.assert_allclose(out[:, INDEX["COD_x"]], 0.8 * x["X_c"] * flow, rtol=1e-12)


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


# ------------------------------------------------------------ washout, detected early


@pytest.mark.unit
def test_a_digester_whose_dilution_outruns_methanogen_growth_is_refused_at_once():
    """A CSTR at 35 degC: acetoclastic methanogens grow at most k_m Y - k_dec = 0.38 d-1
    (BSM2 values), so an HRT under ~2.6 d washes them out; refused from the feed alone,
    with the volume it needs."""
    import time

    reactor = dg.ReactorParams(V_liq_m3=10.0, T_C=35.0, solids_retention_d=0.0)
    q, cod = np.array([5.0, 8.0, 6.0]), np.array([60.0, 100.0, 70.0])  # m3/d, kg/d
    t0 = time.perf_counter()
    with pytest.raises(dg.WashoutError, match="acetoclastic methanogens wash out") as info:
        dg.check_washout(q, cod, reactor)
    assert time.perf_counter() - t0 < 0.5
    mu = dg.methanogen_growth_d(35.0, cod / q)["ac"]
    assert info.value.min_V_liq_m3 == pytest.approx(np.max(q / mu))
    assert "(fed day 2: " in str(info.value) and "reactor.V_liq_m3 above" in str(info.value)
    # just above that volume the bound passes; a sludge bed that keeps solids 100 d passes
    dg.check_washout(q, cod, dg.ReactorParams(V_liq_m3=info.value.min_V_liq_m3 * 1.001))
    dg.check_washout(q, cod, dg.ReactorParams(V_liq_m3=10.0, solids_retention_d=100.0))


@pytest.mark.unit
def test_the_early_washout_bound_never_refuses_a_digester_adm1_runs():
    """The bound is certain: below it ADM1's own steady state washes out too."""
    loads, flow = black_water_loads(n=1)
    q = flow * 24.0
    x = feed_to_adm1(loads, flow)
    cod = _cod(loads) * 24.0
    mu = dg.methanogen_growth_d(35.0, cod / q)["ac"]
    V = 0.95 * float(q[0] / mu[0])
    with pytest.raises(dg.WashoutError):
        dg.check_washout(q, cod, dg.ReactorParams(V_liq_m3=V))
    with pytest.raises(adm1.WashoutError):
        adm1.steady_states(
            {k: v[0] for k, v in x.items()},
            flow_m3_d=float(q[0]),
            V_liq_m3=V,
            V_gas_m3=0.1 * V,
            T_K=308.15,
        )


@pytest.mark.unit
def test_a_sludge_bed_loaded_beyond_any_full_scale_reactor_is_refused_at_once():
    """A UASB keeps its biomass at any volume, but 1e-9 m3 for a day's black water (once
    a start-up that hung) is refused from the loading, with the volume it needs."""
    reactor = dg.ReactorParams(V_liq_m3=1e-9, solids_retention_d=100.0, T_C=25.0)
    with pytest.raises(dg.WashoutError, match="overloaded") as info:
        dg.check_washout([0.3], [6.5], reactor)
    assert info.value.min_V_liq_m3 == pytest.approx(6.5 / dg.MAX_OLR_kgCOD_m3_d)
    dg.check_washout([0.3], [6.5], dg.ReactorParams(V_liq_m3=0.2, solids_retention_d=100.0))


@pytest.mark.integration
def test_an_overloaded_digester_is_refused_in_seconds_with_the_volume_it_needs():
    """Hamburg's CSTR at 200 of its 855 m3: the grease-trap residue sours it. ADM1 finds
    it on the first day whose start-up washes out (not after a start-up of every day,
    once 106 s) and names a volume that day holds."""
    import time
    from pathlib import Path

    import nexus

    root = Path(__file__).resolve().parents[2]
    district = nexus.load_district(root / "districts" / "hamburg_jenfelder_au.toml")
    t0 = time.perf_counter()
    with pytest.raises(nexus.DistrictError) as info:
        nexus.simulate(district.with_sizes({"digester": {"V_liq_m3": 200.0}}))
    assert time.perf_counter() - t0 < 40.0
    assert info.value.key == "units.digester"
    assert "overloaded" in info.value.reason
    assert "expected reactor.V_liq_m3 of at least" in info.value.reason
    assert "allow_washout" not in info.value.reason  # an API hint, not for a district file
