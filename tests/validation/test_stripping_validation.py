"""Validation of nexus.units.stripping against published data.

1. The free-ammonia fraction: the NH4+ dissociation constant nexus takes from phreeqc.dat,
   against the temperature functions of Emerson et al. (1975) and Anthonisen et al. (1976)
   (tests/validation/data/stripping_free_ammonia.csv, provenance and tolerance in its header).
2. The full-scale plant of Kloten/Opfikon (tests/validation/data/stripping_kloten_opfikon.csv):
   the share of N removed at the plant's pH. Only the figures that could be retrieved are
   compared; the header lists those that could not (chemicals, energy, product strength).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

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
