"""Validation of nexus.units.stripping against published data.

1. The free-ammonia fraction: the NH4+ dissociation constant nexus takes from phreeqc.dat,
   against the temperature functions of Emerson et al. (1975) and Anthonisen et al. (1976)
   (tests/validation/data/stripping_free_ammonia.csv, provenance and tolerance in its header).
2. The NaOH a water takes to reach the column's pH, and the stripper's NaOH to hold it while
   NH3 leaves (nexus's speciation, :func:`nexus.units.struvite.struvite_equilibrium`), against
   PHREEQC 3.7.3 (phreeqpython, test-only) with phreeqc.dat and its full activity model and
   ion pairs, ammonium as the struvite validation defines it; and a column warmed to 40 degC
   with a feed/effluent exchanger: the dose and the outlet's pH (measured: -1.6e-5 and
   5e-7).
3. The scrubber's acid per kg N against the pilot of Finzi et al. (2024)
   (tests/validation/data/stripping_finzi2024.csv).
4. The full-scale plant of Kloten/Opfikon (tests/validation/data/stripping_kloten_opfikon.csv):
   the share of N removed at the plant's pH. Only the figures that could be retrieved are
   compared; the header lists those that could not (chemicals, energy, product strength).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import phreeqpython
import pytest

from nexus.constants import MOLAR_MASS_g_mol as M
from nexus.units import stripping as st
from nexus.units import struvite as sv

pytestmark = pytest.mark.component

DATA = Path(__file__).parent / "data"


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open() as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


@pytest.mark.parametrize("ref", rows("stripping_free_ammonia.csv"), ids=lambda r: r["name"])
def test_pKa_of_ammonium_against_published_temperature_functions(ref):
    T_C = np.linspace(float(ref["T_low_C"]), float(ref["T_high_C"]), 41)
    a, b, c = (float(ref[k]) for k in "abc")
    published = a + b / (T_C + 273.15 + c)
    np.testing.assert_allclose(st.pKa_NH4(T_C), published, rtol=0, atol=float(ref["tol_pKa"]))
    # the same in the quantity the stripper uses, the free share at the Kloten/Opfikon pH
    f_published = 1.0 / (1.0 + 10.0 ** (published - 9.3))
    np.testing.assert_allclose(st.free_ammonia_frac(9.3, T_C), f_published, rtol=0.025)


KLOTEN = {r["figure"]: r for r in rows("stripping_kloten_opfikon.csv")}
#: A centrate-like water (its composition at Kloten/Opfikon was not retrieved): test values.
CENTRATE = dict(
    T_C=25.0,
    pH=7.8,
    NH4_N_mg_L=800.0,
    PO4_P_mg_L=20.0,
    Mg_mg_L=20.0,
    Ca_mg_L=50.0,
    K_mg_L=200.0,
    Na_mg_L=300.0,
    Cl_mg_L=200.0,
    alkalinity_mg_L_HCO3=4000.0,
)


def test_kloten_opfikon_share_of_N_removed_at_the_plants_pH():
    """The default column at the plant's pH 9.3 (25 degC, the design temperature of the
    defaults: the plant's own temperature and air-to-water ratio could not be retrieved)."""
    pH = float(KLOTEN["pH_column"]["published"])
    p = st.StripperParams(air_flow_m3_h=1e4, pH_target=pH)
    # a centrate-like water well below the set point (its composition was not retrieved;
    # the share stripped at a held pH does not depend on it)
    r = st.ammonia_stripper(1.0, params=p, **CENTRATE)
    ref = KLOTEN["N_removed_frac"]
    assert float(r.pH_column) == pytest.approx(pH)
    assert float(ref["low"]) <= float(r.stripped_frac) <= float(ref["high"])


# ------------------------------------------------- the base dose against PHREEQC


@pytest.fixture(scope="module")
def phreeqc():
    from test_struvite_phreeqc import AMM_DEFS  # ammonium without redox, as phreeqc.dat's

    pp = phreeqpython.PhreeqPython()
    pp.ip.run_string(AMM_DEFS)
    return pp


def phreeqc_NaOH_mmol_L(pp, water, pH_target, stripped_N_mmol_L):
    """NaOH PHREEQC adds to hold the water at pH_target (Fix_H+ with NaOH) with
    ``stripped_N_mmol_L`` of ammonia removed as NH3 (REACTION of element Amm, which is
    NH3 in AMM_DEFS), mmol/kgw; and the Na it charge-balanced the water with, mg/kgw."""
    w = water
    pp.ip.run_string(f"""
SOLUTION 1
 temp {w["T_C"]!r}
 units mg/kgw
 pH {w["pH"]!r}
 P {w["PO4_P_mg_L"]!r}
 Amm {w["NH4_N_mg_L"] / M["N"]!r} mmol/kgw
 Mg {w["Mg_mg_L"]!r}
 Ca {w["Ca_mg_L"]!r}
 K {w["K_mg_L"]!r}
 Cl {w["Cl_mg_L"]!r}
 Alkalinity {w["alkalinity_mg_L_HCO3"]!r} as HCO3
 Na 1 charge
SELECTED_OUTPUT
 -reset false
 -high_precision true
USER_PUNCH
 -headings na fix
 10 PUNCH TOT("Na"), EQUI("Fix_H+")
END
USE SOLUTION 1
REACTION 1
 Amm -1.0
 {stripped_N_mmol_L!r} mmol
EQUILIBRIUM_PHASES 1
 Fix_H+ {-pH_target!r} NaOH 10
END
""")
    out = pp.ip.get_selected_output_array()
    Na_mg_L = float(out[1][0]) * M["Na"] * 1e3  # the solution as charge-balanced
    return (10.0 - float(out[-1][1])) * 1e3, Na_mg_L


#: Waters (T_C, pH, NH4-N, PO4-P, Mg, Ca, K, Cl mg/L, alkalinity mg/L as HCO3; Na balances
#: the charge), through the default column at pH 9.3. nexus's base dose is PHREEQC's
#: speciation (phreeqc.dat, the same activity model and ion pairs, transcribed): it must
#: agree within 1e-4, set here (measured: within 2.5e-5 in all eight cases, titration and
#: stripping; PHREEQC's Fix_H+ holds the pH to its own convergence tolerance). Before
#: nexus's own speciation (an ideal-solution titration) the centrate was under-dosed by 7 %
#: at 25 degC and 17 % at 40 degC (the carbonate ion's activity coefficient ~0.4).
TITRATIONS = [
    pytest.param((25.0, 7.8, 50.0, 10.0, 5.0, 20.0, 20.0, 100.0, 300.0), id="dilute 25 degC"),
    pytest.param((15.0, 7.8, 100.0, 10.0, 5.0, 20.0, 20.0, 100.0, 600.0), id="dilute 15 degC"),
    pytest.param((25.0, 7.8, 800.0, 20.0, 20.0, 50.0, 200.0, 200.0, 4000.0), id="centrate 25 degC"),
    pytest.param((40.0, 7.8, 800.0, 20.0, 20.0, 50.0, 200.0, 200.0, 4000.0), id="centrate 40 degC"),
]


def titration_water(T_C, pH, N, P, Mg, Ca, K, Cl, alk):
    return dict(
        T_C=T_C,
        pH=pH,
        NH4_N_mg_L=N,
        PO4_P_mg_L=P,
        Mg_mg_L=Mg,
        Ca_mg_L=Ca,
        K_mg_L=K,
        Cl_mg_L=Cl,
        alkalinity_mg_L_HCO3=alk,
    )


@pytest.mark.parametrize("case", TITRATIONS)
def test_NaOH_to_reach_the_column_pH_against_phreeqc(phreeqc, case):
    """The titration alone (no N leaving): the stripper's speciation call, no mineral
    precipitating (PHREEQC is given none), against Fix_H+ with NaOH."""
    water = titration_water(*case)
    reference, Na = phreeqc_NaOH_mmol_L(phreeqc, water, 9.3, 0.0)
    nexus = sv.struvite_equilibrium(**water, Na_mg_L=Na, pH_target=9.3, precipitate=False)
    assert float(nexus.NaOH_mmol_L) == pytest.approx(reference, rel=1e-4)


@pytest.mark.parametrize("case", TITRATIONS)
def test_stripper_NaOH_while_NH3_leaves_against_phreeqc(phreeqc, case):
    """The stripper's NaOH per m3 (default column, all 1 m3/h treated) against PHREEQC
    holding pH 9.3 in the water with the N the column strips removed as NH3."""
    water = titration_water(*case)
    _, Na = phreeqc_NaOH_mmol_L(phreeqc, water, 9.3, 0.0)
    r = st.ammonia_stripper(1.0, params=st.StripperParams(air_flow_m3_h=1e6), Na_mg_L=Na, **water)
    stripped = float(r.N_kg_h) / M["N"] * 1e3  # mmol/L
    assert stripped > 0.8 * water["NH4_N_mg_L"] / M["N"]
    reference, _ = phreeqc_NaOH_mmol_L(phreeqc, water, 9.3, stripped)
    assert float(r.NaOH_kg_h) / M["NaOH"] * 1e3 == pytest.approx(reference, rel=1e-4)


def test_scrubber_acid_per_kg_N_against_the_finzi_2024_pilot():
    ref = rows("stripping_finzi2024.csv")[0]
    p = st.StripperParams(air_flow_m3_h=1e4)
    r = st.ammonia_stripper(1.0, params=p, **CENTRATE)
    acid_per_N = float(r.H2SO4_kg_h / r.N_kg_h)
    assert float(ref["low"]) <= acid_per_N <= float(ref["high"])


def phreeqc_warmed_column(pp, water, Na_mg_L, T_column_C, stripped_N_mmol_L, T_out_C):
    """PHREEQC on the column warmed to ``T_column_C``: the NaOH that holds pH 9.3 with the N
    removed as NH3 (mmol/kgw), then the pH of that water, dose and all, at ``T_out_C``."""
    w = water
    pp.ip.run_string(f"""
SOLUTION 1
 temp {w["T_C"]!r}
 units mg/kgw
 pH {w["pH"]!r}
 P {w["PO4_P_mg_L"]!r}
 Amm {w["NH4_N_mg_L"] / M["N"]!r} mmol/kgw
 Mg {w["Mg_mg_L"]!r}
 Ca {w["Ca_mg_L"]!r}
 K {w["K_mg_L"]!r}
 Na {Na_mg_L!r}
 Cl {w["Cl_mg_L"]!r} charge
 Alkalinity {w["alkalinity_mg_L_HCO3"]!r} as HCO3
SELECTED_OUTPUT
 -reset false
 -high_precision true
USER_PUNCH
 -headings fix pH
 10 PUNCH EQUI("Fix_H+"), -LA("H+")
END
USE SOLUTION 1
REACTION 1
 Amm -1.0
 {stripped_N_mmol_L!r} mmol
REACTION_TEMPERATURE 1
 {T_column_C!r}
EQUILIBRIUM_PHASES 1
 Fix_H+ -9.3 NaOH 10
END
""")
    dose = (10.0 - float(pp.ip.get_selected_output_array()[-1][0])) * 1e3
    pp.ip.run_string(f"""
USE SOLUTION 1
REACTION 2
 Amm -{stripped_N_mmol_L!r}
 NaOH {dose!r}
 1 mmol
REACTION_TEMPERATURE 2
 {T_out_C!r}
END
""")
    return dose, float(pp.ip.get_selected_output_array()[-1][1])


def test_warmed_stripper_NaOH_and_outlet_pH_against_phreeqc(phreeqc):
    """Centrate at 25 degC warmed to 40 degC in the column, a feed/effluent exchanger of 0.5
    (the water leaves at 32.5 degC): the dose at the column's temperature and the outlet's pH
    after the exchanger, against PHREEQC's REACTION_TEMPERATURE (Cl balancing the charge, as
    nexus does), within 1e-4 in the dose and 1e-6 in the pH (set here, as above)."""
    water = {k: v for k, v in CENTRATE.items() if k != "Na_mg_L"}
    p = st.StripperParams(air_flow_m3_h=1e6, T_C=40.0, heat_recovery_frac=0.5)
    r = st.ammonia_stripper(1.0, params=p, Na_mg_L=CENTRATE["Na_mg_L"], **water)
    stripped = float(r.N_kg_h) / M["N"] * 1e3  # mmol/L
    dose, pH_out = phreeqc_warmed_column(
        phreeqc, water, CENTRATE["Na_mg_L"], 40.0, stripped, float(r.T_out_C)
    )
    assert float(r.T_out_C) == pytest.approx(32.5)
    assert float(r.NaOH_kg_h) / M["NaOH"] * 1e3 == pytest.approx(dose, rel=1e-4)
    assert float(r.pH_out) == pytest.approx(pH_out, abs=1e-6)
