"""Phosphorus in the digester (issue 13) against published digesters: the BSM2 digester with the
ADM1 phosphorus extension (Flores-Alsina et al. 2016, Appendix A) and a black-water UASB
(de Graaff et al. 2011). Sources, transcriptions and tolerances in the data files' headers."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from test_digester_validation import BLACK_WATER_G_P_D, BLACK_WATER_TSS_G_P_D

from nexus.components import INDEX, N_COMPONENTS, element_indices
from nexus.constants import MOLAR_MASS_g_mol as G
from nexus.streams import Stream
from nexus.units import adm1
from nexus.units import digester as dg
from nexus.units.adm1 import minerals as mn
from nexus.units.struvite import database as db
from nexus.units.struvite.equilibrium import activity_factors

pytestmark = pytest.mark.component

DATA = Path(__file__).parent / "data"
COMP = [db.COMPONENTS.index(c) for c in ("Ca+2", "Mg+2", "NH4+", "PO4-3", "CO3-2")]


def rows(name: str) -> dict[str, dict[str, str]]:
    with open(DATA / name) as f:
        return {r["quantity"]: r for r in csv.DictReader(x for x in f if not x.startswith("#"))}


# ------------------------------------------------ Flores-Alsina et al. 2016, BSM2 digester


@pytest.fixture(scope="module")
def flores_alsina():
    """The outlet's totals (dissolved + minerals) re-partitioned by nexus's chemistry.

    The table gives no pH: it is ADM1's charge balance of the outlet's own ions (acids, S_IC,
    S_IN, S_IP, Na + K + 2 Ca + 2 Mg as S_cat, Cl as S_an) at 35 degC. With the totals of Ca,
    Mg, N, P and C of the outlet (what is dissolved plus what the minerals hold), nexus's
    steady state of the rate form (removal with the solids = q/V of the CSTR, 170/3400 d-1)
    re-partitions them; the speciation is re-evaluated at the result until it holds.
    """
    v = {k: float(r["value"]) for k, r in rows("digester_p_flores_alsina2016.csv").items()}
    T_C = 35.0
    y = np.zeros(adm1.params.N_LIQ)
    for k in ("S_va", "S_bu", "S_pro", "S_ac", "S_IC", "S_IN", "S_IP"):
        y[adm1.Ix[k]] = v[k]
    y[adm1.Ix.S_cat] = v["S_Na"] + v["S_K"] + 2 * v["S_Ca"] + 2 * v["S_Mg"]
    y[adm1.Ix.S_an] = v["S_Cl"]
    sp = adm1.speciation(y, T_K=T_C + 273.15)
    pH = float(sp.pH)
    alk = float(sp.S_hco3_ion + sp.S_nh3 + sp.S_hpo4_ion) - 10.0**-pH
    T0 = np.array(
        [
            v["S_Ca"] + 3 * v["X_ACP"],
            v["S_Mg"] + v["X_struv"],
            v["S_IN"] + v["X_struv"],
            v["S_IP"] + 2 * v["X_ACP"] + v["X_struv"],
            v["S_IC"],
        ]
    )
    mp = mn.MineralParams()
    om = mn.steady_log_omega(170.0 / 3400.0, mp.rate_constants_d(), mp.orders(), mn.N_IONS)
    lnK = np.log(10.0) * np.array([[float(db.log_k(mn.PHASE_OF[m], T_C))] for m in mn.MINERALS])
    xi = np.zeros(3)
    for _ in range(50):
        left = T0 - mn.STOICHIOMETRY.T @ xi
        a = activity_factors(
            T_C=T_C, pH=pH, NH4_N_mg_L=left[2] * G["N"] * 1e3, PO4_P_mg_L=left[3] * G["P"] * 1e3,
            Mg_mg_L=left[1] * G["Mg"] * 1e3, Ca_mg_L=left[0] * G["Ca"] * 1e3,
            K_mg_L=v["S_K"] * G["K"] * 1e3, Na_mg_L=v["S_Na"] * G["Na"] * 1e3,
            Cl_mg_L=v["S_Cl"] * G["Cl"] * 1e3, alkalinity_mg_L_HCO3=alk * G["HCO3"] * 1e3,
        )  # fmt: skip
        new = mn.precipitate_steady(T0[:, None], a.ln_factor[COMP], a.ln_a_H2O, om[:, None], lnK)
        done = np.abs(new[:, 0] - xi).max() < 1e-12
        xi = new[:, 0]
        if done:
            break
    left = T0 - mn.STOICHIOMETRY.T @ xi
    model = {"S_Ca": left[0], "S_Mg": left[1], "S_IP": left[3], "X_ACP": xi[0],
             "X_struv": xi[1]}  # fmt: skip
    return model, v, pH


#: Misses, each with its physical cause (strict: the test fails when the miss goes away).
_FA_CAUSE = (
    "phreeqc.dat's ion-association speciation (nexus) puts more of the outlet's Ca and "
    "phosphate in free ions than the extension's own speciation: at the published outlet ACP "
    "(Ca3(PO4)2, pKsp 28.92) is at SI +1.7 by nexus's chemistry, not at its steady saturation "
    "(+0.06), so nexus precipitates more ACP from the same totals and leaves less Ca and P "
    "dissolved; no rate constant is changed for the case"
)


@pytest.mark.parametrize(
    "quantity",
    [
        "X_ACP",
        "X_struv",
        "S_Mg",
        pytest.param("S_Ca", marks=pytest.mark.xfail(strict=True, reason=_FA_CAUSE)),
        pytest.param("S_IP", marks=pytest.mark.xfail(strict=True, reason=_FA_CAUSE)),
    ],
)
def test_bsm2_digester_outlet_minerals_flores_alsina_2016(flores_alsina, quantity):
    """Each quantity to the table's printed precision (+/- half a unit of its last digit)."""
    model, ref, _ = flores_alsina
    assert abs(model[quantity] - ref[quantity]) <= 0.0005, (quantity, model[quantity])


def test_flores_alsina_outlet_ph_and_mass(flores_alsina):
    """The outlet's pH from its ions is that of a digester (the table has none), and the
    re-partition conserves each element."""
    model, ref, pH = flores_alsina
    assert 6.8 < pH < 7.4
    assert model["S_Ca"] + 3 * model["X_ACP"] == pytest.approx(ref["S_Ca"] + 3 * ref["X_ACP"])
    assert model["S_IP"] + 2 * model["X_ACP"] + model["X_struv"] == pytest.approx(
        ref["S_IP"] + 2 * ref["X_ACP"] + ref["X_struv"]
    )


# ------------------------------------------------ de Graaff et al. 2011, black-water UASB


@pytest.fixture(scope="module")
def black_water_uasb():
    persons = 1000.0
    flow = 0.005 * persons  # m3/d
    loads = np.zeros((24, N_COMPONENTS))
    for name, g in BLACK_WATER_G_P_D.items():
        loads[:, INDEX[name]] = g * persons / 1000.0 / 24.0
    loads[:, INDEX["TSS"]] = BLACK_WATER_TSS_G_P_D * persons / 1000.0 / 24.0
    water = Stream(np.full(24, flow / 24.0), np.full(24, 20.0), loads)
    reactor = dg.ReactorParams(V_liq_m3=8.7 * flow, T_C=25.0, solids_retention_d=100.0)
    run = dg.digest_by_day(water, reactor, dg.FeedParams(), np.full(24, 10.0), dg.SludgeParams())
    slow = mn.MineralParams(k_ACP_h=1e-6, k_struvite_h=1e-6, k_calcite_h=1e-6)
    bare = dg.digest_by_day(
        water, reactor, dg.FeedParams(), np.full(24, 10.0), dg.SludgeParams(), slow
    )
    return water, run, bare, persons


def test_uasb_minerals_keep_phosphate_in_the_sludge(black_water_uasb):
    """Precipitation moves P from the effluent to the sludge; the minerals cannot hold more P
    than the feed's Ca and Mg can bind (2/3 Ca + Mg, in moles)."""
    water, run, bare, _ = black_water_uasb
    P = list(element_indices("P"))
    p_in = water.loads_kg_h[:, P].sum()
    eff = run.effluent.loads_kg_h[:, INDEX["PO4_P"]].sum()
    assert eff < bare.effluent.loads_kg_h[:, INDEX["PO4_P"]].sum()
    assert run.sludge.loads_kg_h[:, P].sum() > bare.sludge.loads_kg_h[:, P].sum()
    minerals_P = (run.precipitated_kg_h["P_ACP"] + run.precipitated_kg_h["P_struvite"]).sum()
    bound = (water.loads_kg_h[:, INDEX["Ca"]].sum() / G["Ca"] * 2 / 3
             + water.loads_kg_h[:, INDEX["Mg"]].sum() / G["Mg"]) * G["P"]  # fmt: skip
    assert 0.0 < minerals_P <= bound
    assert bound < 0.45 * p_in  # the black water's Ca and Mg bind under half its P


_DG_CAUSE = (
    "the black water's Ca (0.6 g/p/d) and Mg (0.3 g/p/d) can bind at most ~38 % of its P "
    "(1.8 g/p/d) as calcium phosphate and struvite, and calcite takes most of the Ca first "
    "(it is at its steady saturation, ACP below it): struvite holds ~20 % of the P and the "
    "effluent keeps ~65 %; the P the real sludge bed keeps beyond that (P taken up by the "
    "growing biomass, which ADM1's biomass does not carry; phosphate sorbed to and "
    "co-precipitated in the bed; Ca brought by the flush water) is not modelled"
)


def _ref(quantity: str) -> tuple[float, float]:
    r = rows("digester_p_degraaff2011.csv")[quantity]
    return float(r["low"]), float(r["high"])


@pytest.mark.xfail(strict=True, reason=_DG_CAUSE)
def test_uasb_p_share_in_the_effluent_de_graaff_2011(black_water_uasb):
    """The share of the fed P that leaves with the effluent (dissolved and solids not
    captured) against 61 % (de Graaff et al. 2011)."""
    water, run, _, _ = black_water_uasb
    P = list(element_indices("P"))
    share = 100.0 * run.effluent.loads_kg_h[:, P].sum() / water.loads_kg_h[:, P].sum()
    low, high = _ref("P_effluent_share_pct")
    assert low <= share <= high, share


@pytest.mark.xfail(strict=True, reason=_DG_CAUSE)
def test_uasb_struvite_p_per_person_de_graaff_2011(black_water_uasb):
    """The effluent's phosphate (an upper bound of the struvite P recoverable from it) per
    person per year against 0.22 kg P (de Graaff et al. 2011)."""
    _, run, _, persons = black_water_uasb
    per_person = run.effluent.loads_kg_h[:, INDEX["PO4_P"]].sum() / persons * 365.0
    low, high = _ref("struvite_P_kg_p_yr")
    assert low <= per_person <= high, per_person


def test_uasb_p_split_moves_towards_de_graaff_2011(black_water_uasb):
    """With the minerals the effluent's share of P is closer to the measured 61 % than
    without them (the physics point the right way; the rest is the cause above)."""
    water, run, bare, _ = black_water_uasb
    P = list(element_indices("P"))
    fed = water.loads_kg_h[:, P].sum()
    with_m = 100.0 * run.effluent.loads_kg_h[:, P].sum() / fed
    without = 100.0 * bare.effluent.loads_kg_h[:, P].sum() / fed
    assert abs(with_m - 61.0) < abs(without - 61.0)
    assert 61.0 < with_m < without
