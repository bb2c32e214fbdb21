"""Validation of the weather-driven household heat demand and the shower DWHR saving.

The saving of a vertical shower heat exchanger in an average Dutch household, computed
from nexus's shower drain temperature (:func:`nexus.sources.shower_drain_temperature`)
and its DWHR model (:func:`nexus.units.heat_recovery.dwhr_heat_kW`), against Milieu
Centraal's published figure. Provenance and tolerances are in the header of
``tests/validation/data/heat_recovery_dwhr_saving_nl.csv``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from nexus.constants import CV_WATER_kWh_m3K
from nexus.sources import DUTCH_DEFAULTS, household_profiles
from nexus.units import heat_recovery as hr
from nexus.weather import load_weather

pytestmark = pytest.mark.component

DATA = Path(__file__).parent / "data"


def figures() -> dict[str, float]:
    with open(DATA / "heat_recovery_dwhr_saving_nl.csv", newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {r["quantity"]: float(r["value"]) for r in rows}


def household_year(fig: dict[str, float], rated: float) -> tuple[float, float]:
    """(shower heat, DWHR saving) of Milieu Centraal's household over the packaged year [kWh]."""
    args = {k: v for k, (v, _) in DUTCH_DEFAULTS.items()}
    args["shower_L_p_d"] = fig["shower_water_L_household_d"] / fig["persons"]
    weather = load_weather()
    p = household_profiles(
        weather=weather, residents=fig["persons"], homes=1.0, noise_frac=0.0, seed=0, **args
    )
    T_mains = weather["T_mains_C"].to_numpy()
    shower_heat = float(
        (CV_WATER_kWh_m3K * p.shower_m3_h * (args["shower_use_T_C"] - T_mains)).sum()
    )
    params = hr.DWHRParams(
        rated_effectiveness_frac=rated,
        rated_flow_L_min=fig["shower_flow_L_min"],  # an in-use rating: no flow correction
        shower_flow_L_min=fig["shower_flow_L_min"],
    )
    saving = float(hr.dwhr_heat_kW(p.shower_m3_h, p.shower_T_C, T_mains, params).heat_kW.sum())
    return shower_heat, saving


def test_published_saving_lies_between_the_lowest_and_highest_vertical_ratings():
    fig = figures()
    published = fig["dwhr_saving_gas_m3_yr"] / fig["shower_gas_m3_yr"]  # 0.476 of shower gas
    heat, low = household_year(fig, fig["vertical_rated_effectiveness_low"])
    _, high = household_year(fig, fig["vertical_rated_effectiveness_high"])
    assert low / heat < published < high / heat
    # the default class gives 0.40 x (1 - 0.17) = 33 % of the shower heat: 30 % below the
    # published 48 %, as a default for unrated units is meant to be conservative
    assert low / heat == pytest.approx(0.40 * (1 - 0.17), rel=0.01)
    # kWh per household and year, for the report: published saving in heat (share x nexus's
    # shower heat) 551 kWh; nexus 384 kWh with the default, 701 kWh with the best unit
    assert 500 < published * heat < 600 and 350 < low < 420 and 650 < high < 760


def test_shower_heat_is_consistent_with_the_published_gas_use():
    fig = figures()
    heat, _ = household_year(fig, 0.4)
    efficiency = heat / (fig["shower_gas_m3_yr"] * fig["gas_lhv_kWh_m3"])
    assert 0.5 < efficiency < 1.0  # 0.63: a combi boiler's tap efficiency, losses included


def test_saving_share_of_the_district_default_class():
    """Buiksloterham's class (NEN 7120 vertical default) recovers eps x (1 - loss) of the
    shower heat in every hour, whatever the mains temperature."""
    fig = figures()
    args = {k: v for k, (v, _) in DUTCH_DEFAULTS.items()}
    weather = load_weather()
    p = household_profiles(
        weather=weather, residents=100.0, homes=50.0, noise_frac=0.2, seed=3, **args
    )
    T_mains = weather["T_mains_C"].to_numpy()
    cls = hr.DWHR_CLASSES["nen7120_vertical_default"]
    params = hr.DWHRParams(
        rated_effectiveness_frac=cls.rated_effectiveness_frac,
        rated_flow_L_min=fig["shower_flow_L_min"],
        shower_flow_L_min=fig["shower_flow_L_min"],
    )
    saving = hr.dwhr_heat_kW(p.shower_m3_h, p.shower_T_C, T_mains, params).heat_kW
    shower_heat = CV_WATER_kWh_m3K * p.shower_m3_h * (args["shower_use_T_C"] - T_mains)
    np.testing.assert_allclose(saving, 0.40 * 0.83 * shower_heat, rtol=1e-12)
