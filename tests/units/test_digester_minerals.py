"""Mineral precipitation in the digester (issue 13): the ADM1 phosphorus extension's rate form,
its steady state, the speciation it uses, and the digester's P, Ca, Mg, N and COD balances."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from nexus.components import INDEX, element_indices
from nexus.registry import node_type
from nexus.streams import Stream
from nexus.units import digester as dg
from nexus.units.adm1 import minerals as mn
from nexus.units.struvite import database as db
from nexus.units.struvite import struvite_equilibrium
from nexus.units.struvite.equilibrium import activity_factors

#: Black water and kitchen waste of 1,000 people [kg/(p d)], as tests/units/test_digester_fate.py.
PER_PERSON_KG_D = {
    "COD_s": 0.024, "COD_x": 0.056, "NH4_N": 0.0096, "Norg_N": 0.0024, "PO4_P": 0.00108,
    "Porg_P": 0.00072, "K": 0.0035, "Mg": 0.0003, "Ca": 0.0006, "Na": 0.003, "Cl": 0.0045,
    "Alk_HCO3": 0.0418, "TSS": 0.04,
}  # fmt: skip
REACTOR = dg.ReactorParams(V_liq_m3=43.5, T_C=25.0, solids_retention_d=100.0)


def feed(days: int = 3, persons: float = 1000.0) -> Stream:
    """Hourly feed at 5 L/(p d), more in the morning and evening."""
    shape = np.tile(1.0 + 0.8 * np.sin(np.linspace(0.0, 2.0 * np.pi, 24, endpoint=False)), days)
    share = shape / shape.reshape(-1, 24).sum(axis=1).repeat(24)
    loads = np.zeros((24 * days, len(INDEX)))
    for name, kg in PER_PERSON_KG_D.items():
        loads[:, INDEX[name]] = kg * persons * share
    return Stream(0.005 * persons * share, np.full(24 * days, 20.0), loads)


LN10 = np.log(10.0)
COMP = [db.COMPONENTS.index(c) for c in ("Ca+2", "Mg+2", "NH4+", "PO4-3", "CO3-2")]
WATER = dict(
    T_C=25.0, pH=7.4, NH4_N_mg_L=1500.0, PO4_P_mg_L=250.0, Mg_mg_L=60.0, Ca_mg_L=120.0,
    K_mg_L=700.0, Na_mg_L=600.0, Cl_mg_L=900.0, alkalinity_mg_L_HCO3=6000.0,
)  # fmt: skip


def ln_K(T_C: float = 25.0) -> np.ndarray:
    return LN10 * np.array([[float(db.log_k(mn.PHASE_OF[m], T_C))] for m in mn.MINERALS])


@pytest.mark.unit
def test_rate_form_is_k_x_sigma_to_the_n_and_zero_below_saturation():
    k, n, nu = 72.0, 2.0, 5.0
    assert mn.precipitation_rate(2.0, nu * np.log10(1.2), k, n, nu) == pytest.approx(
        k * 2.0 * 0.2**2
    )
    assert mn.precipitation_rate(2.0, -0.5, k, n, nu) == 0.0
    assert mn.precipitation_rate(0.0, 3.0, k, n, nu) == 0.0
    # at the steady saturation the growth balances the removal with the solids
    removal = 1.0 / 108.7
    om = mn.steady_log_omega(removal, k, n, nu)
    assert mn.precipitation_rate(1.0, om, k, n, nu) == pytest.approx(removal, rel=1e-12)


@pytest.mark.unit
def test_activity_factors_give_the_struvite_models_saturation_indices():
    """The factors times the totals are the activities of the struvite model's own speciation:
    its saturation indices of struvite and calcite are recovered."""
    a = activity_factors(**WATER)
    ref = struvite_equilibrium(**WATER)
    from nexus.constants import MOLAR_MASS_g_mol as g

    tot = (
        np.array(
            [
                WATER["Ca_mg_L"] / g["Ca"],
                WATER["Mg_mg_L"] / g["Mg"],
                WATER["NH4_N_mg_L"] / g["N"],
                WATER["PO4_P_mg_L"] / g["P"],
                float(a.C_total_mol_kg[0]) * 1e3,
            ]
        )
        / 1e3
    )
    ln_a = a.ln_factor[COMP, 0] + np.log(tot)
    si_struvite = (ln_a[1] + ln_a[2] + ln_a[3] + 6 * a.ln_a_H2O[0]) / LN10 - db.log_k(
        "Struvite", 25.0
    )
    si_calcite = (ln_a[0] + ln_a[4]) / LN10 - db.log_k("Calcite", 25.0)
    assert si_struvite == pytest.approx(float(ref.SI_struvite_initial), abs=1e-9)
    assert si_calcite == pytest.approx(float(ref.SI_calcite_initial), abs=1e-9)


@pytest.mark.unit
def test_steady_precipitation_meets_the_optimality_conditions():
    """Every mineral formed is at its steady saturation, the others not above it; moles are
    conserved (what is left = totals - minerals)."""
    rng = np.random.default_rng(1)
    n = 200
    T = np.stack(
        [
            rng.uniform(1e-4, 6e-3, n),  # Ca
            rng.uniform(1e-4, 4e-3, n),  # Mg
            rng.uniform(0.02, 0.2, n),  # NH4
            rng.uniform(1e-4, 1e-2, n),  # PO4
            rng.uniform(0.01, 0.2, n),  # C
        ]
    )
    ln_f = np.log(np.stack([rng.uniform(0.2, 0.5, n), rng.uniform(0.2, 0.5, n),
                            rng.uniform(0.9, 1.0, n), rng.uniform(1e-7, 1e-5, n),
                            rng.uniform(1e-4, 1e-2, n)]))  # fmt: skip
    law = np.full(n, -0.006)
    om = mn.steady_log_omega(1.0 / 100.0, mn.MineralParams().rate_constants_d()[:, None],
                             mn.MineralParams().orders()[:, None], mn.N_IONS[:, None])  # fmt: skip
    xi = mn.precipitate_steady(T, ln_f, law, om, ln_K())
    left = T - mn.STOICHIOMETRY.T @ xi
    assert (xi >= 0).all() and (left > 0).all()
    ln_iap = mn.STOICHIOMETRY @ (ln_f + np.log(left)) + np.array([[0.0], [6.0], [0.0]]) * law
    gap = (ln_iap - ln_K()) / LN10 - om
    formed = xi > 0
    assert formed.any(axis=1).all()  # each mineral forms somewhere in the sample
    np.testing.assert_allclose(gap[formed], 0.0, atol=1e-9)
    assert (gap[~formed] <= 1e-9).all()
    # from a nearby guess (an earlier iteration's), the same solution
    again = mn.precipitate_steady(T, ln_f, law, om, ln_K(), guess=xi * 1.05)
    np.testing.assert_allclose(again, xi, rtol=1e-8, atol=1e-15)


@pytest.mark.unit
def test_steady_state_is_where_the_rate_form_ends():
    """A seeded CSTR integrated in time with the rate form (speciation factors held) ends at
    the amounts precipitate_steady gives: one water, the three minerals."""
    a = activity_factors(**WATER)
    ln_f, law = a.ln_factor[COMP, 0], float(a.ln_a_H2O[0])
    from nexus.constants import MOLAR_MASS_g_mol as g

    T_in = np.array([WATER["Ca_mg_L"] / g["Ca"], WATER["Mg_mg_L"] / g["Mg"],
                     WATER["NH4_N_mg_L"] / g["N"], WATER["PO4_P_mg_L"] / g["P"],
                     float(a.C_total_mol_kg[0]) * 1e3]) / 1e3  # fmt: skip
    mp = mn.MineralParams()
    k, nn = mp.rate_constants_d(), mp.orders()
    D = 1.0 / 20.0  # d-1, water and solids together (a CSTR)
    om = mn.steady_log_omega(D, k, nn, mn.N_IONS)
    M = np.array([mn.MOLAR_MASS_g_mol[m] for m in mn.MINERALS])  # kg/kmol = g/mol

    def f(_t, y):
        T, X = y[:5], y[5:]  # mol/kg, kg/m3
        with np.errstate(divide="ignore"):
            ln_iap = mn.STOICHIOMETRY @ (ln_f + np.log(np.maximum(T, 1e-300)))
        ln_iap = ln_iap + np.array([0.0, 6.0, 0.0]) * law
        r = mn.precipitation_rate(X, (ln_iap - ln_K()[:, 0]) / LN10, k, nn, mn.N_IONS)  # kg/m3/d
        return np.concatenate([D * (T_in - T) - mn.STOICHIOMETRY.T @ (r / M), r - D * X])

    y0 = np.concatenate([T_in, np.full(3, 1e-3)])  # seeded
    sol = solve_ivp(f, (0.0, 2000.0), y0, method="LSODA", rtol=1e-10, atol=1e-14)
    X_end = sol.y[5:, -1]
    xi = mn.precipitate_steady(T_in[:, None], ln_f[:, None], np.array([law]), om[:, None],
                               ln_K())[:, 0]  # fmt: skip
    np.testing.assert_allclose(X_end / M, xi, rtol=1e-5, atol=1e-9)


def minerals_run(**kw: object) -> dg.DailyDigestion:
    return dg.digest_by_day(
        feed(), REACTOR, dg.FeedParams(), np.full(72, 10.0), kw.get("sludge"), kw.get("minerals")
    )


@pytest.mark.component
def test_precipitates_leave_with_the_sludge_and_balances_close_every_hour():
    water = feed()
    r = minerals_run(sludge=dg.SludgeParams(capture_frac=1.0))
    # something precipitates in the black-water UASB: struvite and calcite
    assert r.precipitated_kg_h["P_struvite"].sum() > 0.0
    assert r.precipitated_kg_h["Ca_calcite"].sum() > 0.0
    # elements: feed = effluent + sludge + held, hour by hour; held sums to 0 over each day
    for element in ("P", "Ca", "Mg", "N", "K"):
        idx = list(element_indices(element))
        fed = water.loads_kg_h[:, idx].sum(axis=1)
        out = r.effluent.loads_kg_h[:, idx].sum(axis=1) + r.sludge.loads_kg_h[:, idx].sum(axis=1)
        np.testing.assert_allclose(fed - out - r.accumulation_kg_h[element], 0.0, atol=1e-12)
        assert abs(r.accumulation_kg_h[element].reshape(-1, 24).sum(axis=1)).max() < 1e-12
    cod = list(element_indices("COD"))
    held = r.accumulation_kg_h["COD"]
    np.testing.assert_allclose(
        water.loads_kg_h[:, cod].sum(axis=1)
        - r.effluent.loads_kg_h[:, cod].sum(axis=1)
        - r.sludge.loads_kg_h[:, cod].sum(axis=1)
        - r.COD_to_biogas_kg_h
        - held,
        0.0,
        atol=1e-10,
    )
    # all the precipitated Ca and Mg (capture 1) is in the sludge, over what its water holds
    ca_min = r.precipitated_kg_h["Ca_calcite"] + r.precipitated_kg_h["Ca_ACP"]
    assert r.sludge.loads_kg_h[:, INDEX["Ca"]].sum() >= ca_min.sum() * (1 - 1e-12)
    mg_min = r.precipitated_kg_h["Mg_struvite"]
    assert r.sludge.loads_kg_h[:, INDEX["Mg"]].sum() >= mg_min.sum() * (1 - 1e-12)


@pytest.mark.component
def test_precipitation_lowers_the_effluents_phosphate_calcium_and_magnesium():
    slow = mn.MineralParams(k_ACP_h=1e-6, k_struvite_h=1e-6, k_calcite_h=1e-6)
    sludge = dg.SludgeParams()
    with_m = minerals_run(sludge=sludge)
    without = minerals_run(sludge=sludge, minerals=slow)  # washed out before they grow
    for k in with_m.precipitated_kg_h:
        assert without.precipitated_kg_h[k].sum() == 0.0
    for name in ("PO4_P", "Ca", "Mg"):
        a = with_m.effluent.loads_kg_h[:, INDEX[name]].sum()
        b = without.effluent.loads_kg_h[:, INDEX[name]].sum()
        assert a < b, name
    # what the effluent lost of P is what precipitated (less what the sludge water carried)
    lost = (without.effluent.loads_kg_h - with_m.effluent.loads_kg_h)[:, INDEX["PO4_P"]].sum()
    made = (with_m.precipitated_kg_h["P_struvite"] + with_m.precipitated_kg_h["P_ACP"]).sum()
    assert lost == pytest.approx(made, rel=0.1)


@pytest.mark.component
def test_held_speciation_factors_agree_with_a_full_evaluation():
    """At convergence the factors are those of the water left: re-speciating it in full
    gives each formed mineral's steady saturation index (the error of holding them)."""
    water = feed(days=1)
    day = water.loads_kg_h.sum(axis=0)[None, :]
    q = np.array([water.flow_m3_h.sum()])
    pr = dg.precipitate_by_day(dg.feed_to_adm1(day, q), q, day, REACTOR)
    xi = pr.precipitated_kmol_m3[:, 0]
    mp = mn.MineralParams()
    hrt = REACTOR.V_liq_m3 / q[0]
    om = mn.steady_log_omega(1.0 / (hrt + REACTOR.solids_retention_d), mp.rate_constants_d(),
                             mp.orders(), mn.N_IONS)  # fmt: skip
    for i, m in enumerate(mn.MINERALS):
        if xi[i] > 0:
            assert float(pr.saturation_index[m][0]) == pytest.approx(om[i], abs=1e-6), m
        else:
            assert float(pr.saturation_index[m][0]) <= om[i] + 1e-9, m
    # a fresh full speciation of the final water gives the same saturation indices
    from nexus.constants import MOLAR_MASS_g_mol as g

    c = pr.contents
    conc = day[0] / q[0]
    amounts = mn.STOICHIOMETRY.T @ xi
    ions = pr.steady.ions
    h = 10.0 ** -float(np.atleast_1d(ions.pH)[0])
    alk = float(np.atleast_1d(ions.S_hco3_ion + ions.S_nh3 + ions.S_hpo4_ion)[0]) - h
    a = activity_factors(
        T_C=REACTOR.T_C, pH=float(np.atleast_1d(ions.pH)[0]),
        NH4_N_mg_L=c["S_IN"] * g["N"] * 1e3, PO4_P_mg_L=c["S_IP"] * g["P"] * 1e3,
        Mg_mg_L=(conc[INDEX["Mg"]] / g["Mg"] - amounts[1]) * g["Mg"] * 1e3,
        Ca_mg_L=(conc[INDEX["Ca"]] / g["Ca"] - amounts[0]) * g["Ca"] * 1e3,
        K_mg_L=conc[INDEX["K"]] * 1e3, Na_mg_L=conc[INDEX["Na"]] * 1e3,
        Cl_mg_L=conc[INDEX["Cl"]] * 1e3, alkalinity_mg_L_HCO3=alk * g["HCO3"] * 1e3,
    )  # fmt: skip
    left = np.array([conc[INDEX["Ca"]] / g["Ca"] - amounts[0],
                     conc[INDEX["Mg"]] / g["Mg"] - amounts[1],
                     float(c["S_IN"][0]), float(c["S_IP"][0]), float(c["S_IC"][0])])  # fmt: skip
    ln_a = a.ln_factor[COMP, 0] + np.log(left)
    for i, m in enumerate(mn.MINERALS):
        si = (mn.STOICHIOMETRY[i] @ ln_a + (6.0 if m == "struvite" else 0.0) * a.ln_a_H2O[0]) / LN10
        si -= db.log_k(mn.PHASE_OF[m], REACTOR.T_C)
        assert float(si) == pytest.approx(float(pr.saturation_index[m][0]), abs=1e-6), m


@pytest.mark.unit
def test_outputs_name_each_mineral_with_units():
    t = node_type("anaerobic_digester")
    names = {o.name: o.units for o in t.outputs}
    for key in ("P_precipitated_ACP_kg_h", "Ca_precipitated_ACP_kg_h", "P_precipitated_struvite_kg_h",
                "Mg_precipitated_struvite_kg_h", "N_precipitated_struvite_kg_h",
                "Ca_precipitated_calcite_kg_h"):  # fmt: skip
        assert names[key] == "kg h-1"


@pytest.mark.unit
def test_a_water_the_speciation_cannot_solve_raises_or_precipitates_nothing():
    """No alkalinity at pH 9.5 with ammonia (non-carbonate alkalinity above the total):
    strict raises; otherwise its factors are -inf, and no mineral forms from it."""
    from nexus.errors import SolverError

    w = dict(WATER, pH=9.5, alkalinity_mg_L_HCO3=[6000.0, 0.0])
    with pytest.raises(SolverError, match=r"row\(s\) \[\(1,\)\]"):
        activity_factors(**w)
    a = activity_factors(**w, strict=False)
    assert np.isfinite(a.ln_factor[COMP, 0]).all() and np.isneginf(a.ln_factor[:, 1]).all()
    T = np.full((5, 2), 1e-2)
    xi = mn.precipitate_steady(
        T, a.ln_factor[COMP], np.nan_to_num(a.ln_a_H2O), np.zeros((3, 1)), ln_K()
    )
    assert (xi[:, 1] == 0.0).all() and (xi[:, 0] > 0).any()
