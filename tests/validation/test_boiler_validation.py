"""Validation of nexus.units.boiler against Council Directive 92/42/EEC.

tests/validation/data/boiler_efficiency.csv states the provenance of the
efficiency requirements and the reason for each tolerance in its header.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from nexus.units import boiler, chp

pytestmark = pytest.mark.component

DATA = Path(__file__).parent / "data"
#: Rated output at which the default efficiency is read off the directive [kW].
DEFAULT_PN_kW = 100.0
#: Rated outputs of a district's biogas boiler for the part-load check [kW].
DISTRICT_PN_kW = np.array([50.0, 100.0, 200.0, 400.0])


def requirements() -> dict[str, dict[str, str]]:
    with open(DATA / "boiler_efficiency.csv", newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {row["name"]: row for row in rows}


def required_frac(row: dict[str, str], Pn_kW: float | np.ndarray) -> np.ndarray:
    """The directive's minimum useful efficiency of a boiler of rated output Pn [1]."""
    lo, hi = float(row["Pn_low_kW"]), float(row["Pn_high_kW"])
    Pn = np.asarray(Pn_kW, dtype=float)
    assert np.all((Pn >= lo) & (Pn <= hi)), "outside the directive's 4-400 kW"
    return (float(row["a_pct"]) + float(row["b_pct"]) * np.log10(Pn)) / 100.0


def test_the_table_is_the_directives():
    rows = requirements()
    assert len(rows) == 6
    # spot values a reader can check against the published table
    assert required_frac(rows["standard_rated"], 4.0) == pytest.approx(0.8520, abs=5e-5)
    assert required_frac(rows["standard_rated"], 400.0) == pytest.approx(0.8920, abs=5e-5)
    assert required_frac(rows["condensing_part"], 100.0) == pytest.approx(0.99, abs=1e-12)
    assert {r["avg_water_T_C"] for r in rows.values() if r["load"] == "rated"} == {"70"}


def test_default_efficiency_is_a_standard_boiler_at_rated_output():
    rows = requirements()
    eta = boiler.BoilerParams().thermal_efficiency_frac
    assert eta == pytest.approx(float(required_frac(rows["standard_rated"], DEFAULT_PN_kW)), abs=0)
    # within what the directive asks of standard boilers of any size it covers ...
    band = required_frac(rows["standard_rated"], np.array([4.0, 400.0]))
    assert band[0] <= eta <= band[1]
    # ... and below what any condensing or low-temperature boiler must reach at rated output
    for name in ("condensing_rated", "low_temperature_rated"):
        assert eta < float(required_frac(rows[name], 4.0)), name


def test_constant_efficiency_within_the_part_load_requirement():
    """The model holds its efficiency at every load; at 30 % load the directive lets a
    standard boiler of a district's size fall at most 3 points below it (CSV header)."""
    rows = requirements()
    eta = boiler.BoilerParams().thermal_efficiency_frac
    part = required_frac(rows["standard_part"], DISTRICT_PN_kW)
    gap_pt = 100.0 * (eta - part)
    assert np.all(gap_pt >= 0.0) and np.all(gap_pt <= 3.0), gap_pt


def test_boiler_delivers_the_rated_efficiency():
    """At and below its rated output the unit turns each Nm3 of methane into eta x LHV of
    heat: 0.88 x 9.97 = 8.774 kWh."""
    p = boiler.BoilerParams(capacity_kW=DEFAULT_PN_kW)
    q = np.array([0.25, 0.5, 1.0]) * p.methane_max_Nm3_h
    r = boiler.boiler_burn(
        q, capacity_kW=p.capacity_kW, thermal_efficiency_frac=p.thermal_efficiency_frac
    )
    np.testing.assert_allclose(r.heat_kW / r.fuel_kW, 0.88, rtol=1e-14)
    np.testing.assert_allclose(r.heat_kW / q, 0.88 * chp.LHV_CH4_kWh_Nm3, rtol=1e-14)
    assert r.heat_kW[-1] == pytest.approx(DEFAULT_PN_kW, rel=1e-14)
