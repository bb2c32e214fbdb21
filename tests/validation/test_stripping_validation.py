"""Validation of nexus.units.stripping against published data.

1. The free-ammonia fraction: the NH4+ dissociation constant nexus takes from phreeqc.dat,
   against the temperature functions of Emerson et al. (1975) and Anthonisen et al. (1976)
   (tests/validation/data/stripping_free_ammonia.csv, provenance and tolerance in its header).
2. The NaOH a water takes to reach the column's pH (the closed-system titration of
   :func:`base_dose_mol_m3`) against PHREEQC 3.7.3 (phreeqpython, test-only) with phreeqc.dat
   and its full activity model and ion pairs, ammonium as the struvite validation defines it.
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


def test_kloten_opfikon_share_of_N_removed_at_the_plants_pH():
    """The default column at the plant's pH 9.3 (25 degC, the design temperature of the
    defaults: the plant's own temperature and air-to-water ratio could not be retrieved)."""
    pH = float(KLOTEN["pH_column"]["published"])
    p = st.StripperParams(air_flow_m3_h=1e4, pH_target=pH)
    # a centrate-like water well below the set point (its composition was not retrieved;
    # the share stripped at a held pH does not depend on it)
    r = st.ammonia_stripper(
        1.0,
        params=p,
        T_C=25.0,
        pH=7.8,
        NH4_N_mg_L=800.0,
        PO4_P_mg_L=20.0,
        alkalinity_mg_L_HCO3=4000.0,
    )
    ref = KLOTEN["N_removed_frac"]
    assert float(r.pH_column) == pytest.approx(pH)
    assert float(ref["low"]) <= float(r.stripped_frac) <= float(ref["high"])


# -------------------------------------------------------- the titration against PHREEQC


@pytest.fixture(scope="module")
def phreeqc():
    from test_struvite_phreeqc import AMM_DEFS  # ammonium without redox, as phreeqc.dat's

    pp = phreeqpython.PhreeqPython()
    pp.ip.run_string(AMM_DEFS)
    return pp


def phreeqc_NaOH_mmol_L(pp, T_C, pH, N_mg_L, P_mg_L, alk_mg_L_HCO3, pH_target):
    """NaOH PHREEQC adds to bring the water to pH_target (Fix_H+ with NaOH), mmol/kgw."""
    pp.ip.run_string(f"""
SOLUTION 1
 temp {T_C!r}
 units mg/kgw
 pH {pH!r}
 P {P_mg_L!r}
 Amm {N_mg_L / 14.0067!r} mmol/kgw
 Alkalinity {alk_mg_L_HCO3!r} as HCO3
 Na 1 charge
SELECTED_OUTPUT
 -reset false
 -high_precision true
USER_PUNCH
 -headings fix
 10 PUNCH EQUI("Fix_H+")
END
USE SOLUTION 1
EQUILIBRIUM_PHASES 1
 Fix_H+ {-pH_target!r} NaOH 10
END
""")
    return (10.0 - float(pp.ip.get_selected_output_array()[-1][0])) * 1e3


def nexus_NaOH_mmol_L(T_C, pH, N_mg_L, P_mg_L, alk_mg_L_HCO3, pH_target):
    return float(
        st.base_dose_mol_m3(
            pH_in=pH,
            T_in_C=T_C,
            pH_column=pH_target,
            T_column_C=T_C,
            alkalinity_mol_m3=alk_mg_L_HCO3 / M["HCO3"],
            NH4_N_mol_m3=N_mg_L / M["N"],
            PO4_P_mol_m3=P_mg_L / M["P"],
            stripped_N_mol_m3=0.0,
        )
    )


#: Waters (T_C, pH, NH4-N, PO4-P mg/L, alkalinity mg/L as HCO3) titrated to pH 9.3. The
#: dilute ones (ionic strength 0.007-0.013 mol/kgw in PHREEQC) must agree within 2 %, set
#: here: nexus's titration is ideal-solution and activity coefficients there are >= 0.89
#: for monovalent and >= 0.63 for divalent ions (Davies). The digester centrate (ionic
#: strength 0.08) is where the ideal solution fails: measured -7 % at 25 degC, -17 % at 40.
_CENTRATE_CAUSE = (
    "ideal solution: at the ionic strength of digester centrate (~0.08 mol/kgw) the activity "
    "coefficient of CO3-2 is ~0.4 (Davies), so PHREEQC turns more HCO3- into CO3-2 at pH 9.3 "
    "(and Na+ pairs with carbonate): nexus under-doses NaOH by ~7 % at 25 degC and ~17 % at "
    "40 degC, where the carbonate buffer's pK2 is nearer the target pH"
)
TITRATIONS = [
    pytest.param(25.0, 7.8, 50.0, 10.0, 300.0, id="dilute 25 degC"),
    pytest.param(15.0, 7.8, 100.0, 10.0, 600.0, id="dilute 15 degC"),
    pytest.param(
        25.0,
        7.8,
        800.0,
        20.0,
        4000.0,
        id="centrate 25 degC",
        marks=pytest.mark.xfail(strict=True, reason=_CENTRATE_CAUSE),
    ),
    pytest.param(
        40.0,
        7.8,
        800.0,
        20.0,
        4000.0,
        id="centrate 40 degC",
        marks=pytest.mark.xfail(strict=True, reason=_CENTRATE_CAUSE),
    ),
]


@pytest.mark.parametrize(("T_C", "pH", "N", "P", "alk"), TITRATIONS)
def test_NaOH_to_reach_the_column_pH_against_phreeqc(phreeqc, T_C, pH, N, P, alk):
    reference = phreeqc_NaOH_mmol_L(phreeqc, T_C, pH, N, P, alk, 9.3)
    assert nexus_NaOH_mmol_L(T_C, pH, N, P, alk, 9.3) == pytest.approx(reference, rel=0.02)


def test_scrubber_acid_per_kg_N_against_the_finzi_2024_pilot():
    ref = rows("stripping_finzi2024.csv")[0]
    p = st.StripperParams(air_flow_m3_h=1e4)
    r = st.ammonia_stripper(
        1.0,
        params=p,
        T_C=25.0,
        pH=7.8,
        NH4_N_mg_L=800.0,
        PO4_P_mg_L=20.0,
        alkalinity_mg_L_HCO3=4000.0,
    )
    acid_per_N = float(r.H2SO4_kg_h / r.N_kg_h)
    assert float(ref["low"]) <= acid_per_N <= float(ref["high"])
