"""Validation of nexus.units.nitrification against published urine nitrification.

tests/validation/data/nitrification_urine.csv states the provenance of each figure
and the reason for each tolerance in its header. Stored urine: urea hydrolysis
(CO(NH2)2 + 3 H2O -> 2 NH4+ + HCO3- + OH-) gives one mol of alkalinity per mol
of ammonium-N, the influent the model is run on.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nexus.constants import MOLAR_MASS_g_mol
from nexus.units import nitrification as nit

pytestmark = pytest.mark.component

DATA = Path(__file__).parent / "data"
M = MOLAR_MASS_g_mol


def published() -> dict[str, dict[str, str]]:
    with open(DATA / "nitrification_urine.csv", newline="", encoding="utf-8") as fh:
        return {r["quantity"]: r for r in csv.DictReader(x for x in fh if not x.startswith("#"))}


def stored_urine(NH4_N_mg_L: float, *, dose: float = 0.0) -> nit.NitrificationResult:
    """1 m3/h of hydrolysed urine (alkalinity = ammonium, mol) in a reactor that the
    volume does not limit."""
    N = NH4_N_mg_L / 1e3
    p = nit.NitrificationParams(V_m3=1e4, NaOH_to_N_dose=dose)
    return nit.nitrify(N, N / M["N"] * M["HCO3"], params=p)


def within(row: dict[str, str], value: float) -> bool:
    return float(row["low"]) <= value <= float(row["high"])


def test_half_of_the_ammonium_is_nitrified_without_base():
    rows = published()
    N = float(rows["influent_NH4_N_mg_L"]["published"]) / 1e3
    r = stored_urine(N * 1e3)
    share = float(r.NH4_oxidized_kmol_h) * M["N"] / N
    assert share == pytest.approx(0.505, abs=5e-4)  # 1 / 1.98
    assert within(rows["share_nitrified_no_base"], share), share
    ratio = (N - float(r.NH4_oxidized_kmol_h) * M["N"]) / float(r.NO3_N_kg_h)
    assert within(rows["NH4_to_NO3_ratio_no_base"], ratio), ratio


def test_base_is_what_lets_more_be_nitrified():
    """Udert et al. 2003: 'without pH control' at most half; with one more mol of base
    per mol N all of it."""
    r = stored_urine(1790.0, dose=1.0)
    assert float(r.NH4_oxidized_kmol_h) * M["N"] == pytest.approx(1.79, rel=1e-12)


def test_default_rate_within_the_published_rates():
    rows = published()
    rate = nit.NitrificationParams().rate_gN_m3_d
    assert within(rows["rate_max_gN_m3_d"], rate)
    assert within(rows["rate_max_gN_m3_d"], float(rows["rate_lab_gN_m3_d"]["published"]))


@pytest.mark.xfail(
    strict=True,
    reason="the pilot's 13 W/cap is the primary energy of the whole nitrification stage "
    "(pumps, mixing, control and a small blower in a shallow reactor, whose oxygen "
    "transfer is far below a clean-water fine-bubble rating); the model counts only the "
    "blowers' electricity at 3.95 kg O2/kWh, about 0.2 W/cap",
)
def test_aeration_energy_per_capita_as_the_pilot():
    rows = published()
    N_cap_kg_d = float(rows["N_production_g_cap_d"]["published"]) / 1e3
    r = stored_urine(float(rows["influent_NH4_N_mg_L"]["published"]))
    kWh_per_kg = float(r.electricity_kW / r.NO3_N_kg_h)
    share = float(r.NH4_oxidized_kmol_h) * M["N"] / 1.79
    W_cap = kWh_per_kg * N_cap_kg_d * share * 1e3 / 24.0
    assert within(rows["nitrification_primary_W_cap"], W_cap), W_cap
