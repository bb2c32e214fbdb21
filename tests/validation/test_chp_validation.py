"""Validation of nexus.units.chp against published figures.

Each data file in tests/validation/data/chp_*.csv states its provenance and the
reason for each tolerance in its header.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from nexus.units import chp

pytestmark = pytest.mark.component

DATA = Path(__file__).parent / "data"


def read(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def rows_by_name(name: str) -> dict[str, dict[str, str]]:
    return {row["name"]: row for row in read(name)}


def full_load_kWh_el(methane_Nm3: float, eta: float) -> float:
    """Electricity from burning methane_Nm3 in ten full-load hours, through chp_dispatch."""
    v1 = methane_Nm3 / 10.0
    p = chp.CHPParams(capacity_kWe=v1 * chp.LHV_CH4_kWh_Nm3 * eta, electrical_efficiency_frac=eta)
    r = chp.chp_dispatch(np.full(10, v1), store=chp.BiogasStoreParams(), chp=p)
    np.testing.assert_allclose(r.load_frac, 1.0, atol=1e-12)  # flare: round-off only
    assert r.methane_burnt_Nm3_h.sum() == pytest.approx(methane_Nm3, rel=1e-12)
    return float(r.electricity_kW.sum())


# ----------------------------------------------------------------------- methane LHV


def janaf_lhv_kWh_Nm3() -> float:
    """Ideal-gas LHV of methane per Nm3 from NIST-JANAF enthalpies of formation."""
    dHf = {"CH4": -74.87, "CO2": -393.52, "H2O_g": -241.826}  # kJ/mol, 298.15 K
    lhv_kJ_mol = -(dHf["CO2"] + 2 * dHf["H2O_g"] - dHf["CH4"])
    R = 8.314462618  # J/(mol K)
    T_K = 273.15 + chp.T_NORMAL_C
    V_m3_mol = R * T_K / (chp.P_NORMAL_bar * 1e5)
    return lhv_kJ_mol / V_m3_mol / 3600.0  # kJ/m3 -> kWh/m3


def test_methane_lhv_against_fnr_and_janaf():
    rows = rows_by_name("chp_methane_lhv.csv")
    assert chp.LHV_CH4_kWh_Nm3 == float(rows["fnr_kwh"]["value"])
    assert chp.LHV_CH4_kWh_Nm3 * 3.6 == pytest.approx(
        float(rows["fnr_mj"]["value"]), rel=float(rows["fnr_mj"]["rel_tol"])
    )
    janaf = janaf_lhv_kWh_Nm3()
    assert janaf == pytest.approx(9.943, abs=5e-4)  # the value stated in the CSV header
    assert chp.LHV_CH4_kWh_Nm3 == pytest.approx(
        janaf, rel=float(rows["janaf_ideal_gas"]["rel_tol"])
    )
    assert chp.LHV_CH4_kWh_Nm3 > janaf  # real gas: more molecules per Nm3 than ideal


def test_one_Nm3_methane_is_fuel_of_lhv():
    p = chp.CHPParams(capacity_kWe=1.0)
    v1 = p.fuel_full_kW / chp.LHV_CH4_kWh_Nm3
    r = chp.chp_dispatch([v1], store=chp.BiogasStoreParams(), chp=p)
    assert r.fuel_kW[0] / r.methane_burnt_Nm3_h[0] == pytest.approx(9.97, rel=1e-14)


# ------------------------------------------------------------- methane to electricity


def test_fnr_methane_to_electricity_at_38_percent():
    rows = [r for r in read("chp_biogas_electricity.csv") if r["kind"] == "fnr_yield"]
    used = [r for r in rows if r["use"] == "1"]
    assert len(used) >= 10 and [r["name"] for r in rows if r["use"] == "0"] == ["Mastrind"]
    for row in used:
        m, e = float(row["methane_Nm3"]), float(row["value"])
        tol = 0.5 / m + 0.5 / e + 5e-4  # rounding of the integers; FNR's own factor
        assert full_load_kWh_el(m, 0.38) == pytest.approx(e, rel=tol), row


def test_biogas_energy_per_m3():
    rows = [r for r in read("chp_biogas_electricity.csv") if r["kind"] == "biogas_energy"]
    assert len(rows) == 2
    for row in rows:
        methane = float(row["methane_frac"]) * float(row["methane_Nm3"])  # in 1 m3 of biogas
        # an engine whose full load burns exactly this methane in the hour
        p = chp.CHPParams(capacity_kWe=methane * chp.LHV_CH4_kWh_Nm3 * 0.335)
        r = chp.chp_dispatch([methane], store=chp.BiogasStoreParams(), chp=p)
        assert r.load_frac[0] == pytest.approx(1.0, abs=1e-12)
        assert r.fuel_kW[0] == pytest.approx(float(row["value"]), rel=float(row["rel_tol"])), row


# -------------------------------------------------------------------------- full load


def test_full_load_defaults_against_published_units():
    rows = read("chp_full_load.csv")
    p = chp.CHPParams()
    overall = p.electrical_efficiency_frac + p.thermal_efficiency_frac
    checked = 0
    for row in rows:
        for key, model, tol in (
            ("electrical_efficiency_frac", p.electrical_efficiency_frac, "tol_efficiency"),
            ("thermal_efficiency_frac", p.thermal_efficiency_frac, "tol_efficiency"),
            ("overall_frac", overall, "tol_overall"),
        ):
            if not row[key]:
                continue
            err = abs(model - float(row[key]))
            assert err <= float(row[tol]) + 1e-12, (row["name"], key, model)
            checked += 1
    assert checked == 12


def test_full_load_dispatch_reproduces_the_rating():
    p = chp.CHPParams(capacity_kWe=25.0)
    v1 = p.fuel_full_kW / chp.LHV_CH4_kWh_Nm3
    r = chp.chp_dispatch(np.full(24, v1), store=chp.BiogasStoreParams(), chp=p)
    np.testing.assert_allclose(r.electricity_kW / r.fuel_kW, 0.335, rtol=1e-12)
    np.testing.assert_allclose(r.heat_kW / r.fuel_kW, 0.515, rtol=1e-12)
    np.testing.assert_allclose(r.losses_kW / r.fuel_kW, 0.15, rtol=1e-9)


# -------------------------------------------------------------------------- part load


def test_part_load_shape_against_epa_catalog():
    rows = [r for r in read("chp_part_load.csv") if r["source"] == "epa_wartsila"]
    full = next(float(r["electrical_efficiency_frac"]) for r in rows if r["load_frac"] == "1.0")
    p = chp.CHPParams()
    assert len(rows) == 8
    for row in rows:
        L = float(row["load_frac"])
        ref = float(row["electrical_efficiency_frac"]) / full
        model = chp.electrical_efficiency(
            L, electrical_efficiency_frac=1.0, half_load_ratio_frac=p.half_load_ratio_frac
        )
        assert model == pytest.approx(ref, rel=float(row["rel_tol"])), row


@pytest.mark.parametrize("eta_full", [0.39, 0.42])
def test_part_load_drop_against_re2017(eta_full):
    rows = [r for r in read("chp_part_load.csv") if r["source"] == "re2017"]
    assert len(rows) == 2
    p = chp.CHPParams()
    for row in rows:
        L = float(row["load_frac"])
        eta = chp.electrical_efficiency(
            L, electrical_efficiency_frac=eta_full, half_load_ratio_frac=p.half_load_ratio_frac
        )
        drop_pt = 100.0 * (eta_full - eta)
        assert float(row["drop_low_pt"]) <= drop_pt <= float(row["drop_high_pt"]), (row, drop_pt)


def test_part_load_dispatch_follows_the_curve():
    """A part-load hour of chp_dispatch has the efficiency of the validated curve."""
    p = chp.CHPParams(capacity_kWe=50.0)
    v1 = p.fuel_full_kW / chp.LHV_CH4_kWh_Nm3
    q = np.linspace(0.6, 0.95, 8) * v1  # between V_min and V1, no store: part load
    r = chp.chp_dispatch(q, store=chp.BiogasStoreParams(), chp=p)
    assert np.all((r.load_frac > 0.5) & (r.load_frac < 1.0))
    np.testing.assert_allclose(
        r.electricity_kW / r.fuel_kW,
        chp.electrical_efficiency(
            r.load_frac, electrical_efficiency_frac=0.335, half_load_ratio_frac=0.891
        ),
        rtol=1e-12,
    )


# -------------------------------------------------------------------------------- EVs


def test_ev_consumption_and_charging_against_sources():
    rows = read("chp_ev.csv")
    ev = chp.EVParams()
    for row in rows:
        value = ev.kWh_per_km if row["quantity"] == "kWh_per_km" else ev.charger_efficiency_frac
        assert float(row["low"]) <= value <= float(row["high"]), row
    certified = next(r for r in rows if r["name"] == "weiss2024_certified")
    assert ev.kWh_per_km == float(certified["value"])


def test_ev_km_per_kWh_consistent_with_consumption():
    ev = chp.EVParams()
    # 100 kWh at the plug drive 100 / 0.19 = 526 km: 19 kWh per 100 km
    km = chp.ev_km(100.0, kWh_per_km=ev.kWh_per_km)
    assert 100.0 * 100.0 / km == pytest.approx(19.0, rel=1e-12)
    # at the battery the same car uses 0.19 * 0.88 = 0.167 kWh/km
    assert ev.battery_kWh_per_km == pytest.approx(0.1672, rel=1e-12)
    # reference-sheet range 0.15-0.21 kWh/km: 4.8-6.7 km per kWh
    lo, hi = chp.ev_km(1.0, kWh_per_km=[0.21, 0.15])
    assert lo <= chp.ev_km(1.0, kWh_per_km=ev.kWh_per_km) <= hi


def test_biogas_to_ev_km_chain():
    """1 Nm3 of methane at full load drives 9.97 * 0.335 / 0.19 = 17.6 km."""
    p = chp.CHPParams(capacity_kWe=1.0)
    v1 = p.fuel_full_kW / chp.LHV_CH4_kWh_Nm3
    r = chp.chp_dispatch([v1], store=chp.BiogasStoreParams(), chp=p)
    km_per_Nm3 = chp.ev_km(r.electricity_kW[0], kWh_per_km=0.19) / r.methane_burnt_Nm3_h[0]
    assert km_per_Nm3 == pytest.approx(9.97 * 0.335 / 0.19, rel=1e-12)
