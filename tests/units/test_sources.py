"""Tests of nexus.sources: household profiles over a year."""

from __future__ import annotations

import inspect
import math
import time

import numpy as np
import pandas as pd
import pytest

from nexus.errors import ParameterError
from nexus.sources import DIURNAL_PATTERNS, DUTCH_DEFAULTS, HouseholdProfiles, household_profiles
from nexus.weather import load_weather

FIGURES = {k: v for k, (v, _) in DUTCH_DEFAULTS.items()}
WATER = {  # output array -> (argument, per residents per day, unit factor)
    "shower_m3_h": "shower_L_p_d",
    "washbasin_m3_h": "washbasin_L_p_d",
    "kitchen_m3_h": "kitchen_L_p_d",
    "laundry_m3_h": "laundry_L_p_d",
    "blackwater_m3_h": "blackwater_L_p_d",
}
ARRAYS = [f.name for f in HouseholdProfiles.__dataclass_fields__.values() if f.name != "time"]


@pytest.fixture(scope="module")
def weather():
    return load_weather()


def _run(weather, **over):
    kw = {"residents": 1500.0, "homes": 600.0, "noise_frac": 0.3, "seed": 7, **FIGURES}
    kw.update(over)
    return household_profiles(weather=weather, **kw)


@pytest.mark.component
def test_annual_totals_are_exact(weather):
    p = _run(weather)
    for out, arg in WATER.items():
        expected = FIGURES[arg] * 1500 * 365 / 1000
        assert math.isclose(getattr(p, out).sum(), expected, rel_tol=1e-12), out
    assert math.isclose(
        p.kitchen_waste_kg_h.sum(), FIGURES["kitchen_waste_kg_p_d"] * 1500 * 365, rel_tol=1e-12
    )
    assert math.isclose(
        p.space_heating_kW.sum(), FIGURES["space_heating_kWh_home_yr"] * 600, rel_tol=1e-12
    )
    assert math.isclose(p.dhw_kW.sum(), FIGURES["dhw_kWh_p_yr"] * 1500, rel_tol=1e-12)
    assert math.isclose(p.ev_kW.sum(), FIGURES["ev_kWh_home_yr"] * 600, rel_tol=1e-12)


@pytest.mark.component
def test_shapes_types_and_read_only(weather):
    p = _run(weather)
    assert p.time.equals(weather.index)
    for name in ARRAYS:
        a = getattr(p, name)
        assert (
            a.shape == (8760,) and a.dtype == float and np.isfinite(a).all() and (a >= 0).all()
        ), name
        with pytest.raises(ValueError):
            a[0] = 1.0
    np.testing.assert_array_equal(p.shower_T_C, FIGURES["shower_drain_T_C"])


@pytest.mark.component
def test_same_seed_same_arrays_other_seed_differs(weather):
    a, b, c = _run(weather, seed=11), _run(weather, seed=11), _run(weather, seed=12)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.shower_m3_h, c.shower_m3_h)
    assert not np.array_equal(a.ev_kW, c.ev_kW)


@pytest.mark.component
def test_zero_noise_is_smooth_and_seed_free(weather):
    a, b = _run(weather, noise_frac=0.0, seed=1), _run(weather, noise_frac=0.0, seed=2)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    days = a.blackwater_m3_h.reshape(365, 24)
    weekday = np.asarray(weather.index.day_of_week[::24] < 5)
    # Without noise, every weekday has the same shape (no seasonal term on black water).
    np.testing.assert_allclose(
        days[weekday] / days[weekday].sum(axis=1, keepdims=True),
        DIURNAL_PATTERNS["blackwater"][0][None, :].repeat(weekday.sum(), 0),
        atol=1e-12,
    )


@pytest.mark.component
def test_noise_has_the_requested_spread(weather):
    smooth, noisy = _run(weather, noise_frac=0.0), _run(weather, noise_frac=0.2)
    ratio = noisy.blackwater_m3_h / smooth.blackwater_m3_h
    assert 0.15 < ratio.std() / ratio.mean() < 0.25


@pytest.mark.component
def test_weekdays_and_weekends_differ(weather):
    p = _run(weather, noise_frac=0.0)
    weekend = np.asarray(weather.index.day_of_week >= 5)
    hour = np.asarray(weather.index.hour)
    for name in ("shower_m3_h", "kitchen_m3_h", "blackwater_m3_h", "laundry_m3_h", "ev_kW"):
        a = getattr(p, name)
        wd = np.bincount(hour[~weekend], weights=a[~weekend], minlength=24)
        we = np.bincount(hour[weekend], weights=a[weekend], minlength=24)
        assert np.abs(wd / wd.sum() - we / we.sum()).max() > 0.02, name
    # the weekday shower peak is in the morning before 09:00, the weekend one later
    wd = np.bincount(hour[~weekend], weights=p.shower_m3_h[~weekend], minlength=24)
    we = np.bincount(hour[weekend], weights=p.shower_m3_h[weekend], minlength=24)
    assert wd.argmax() < 9 <= we.argmax()


@pytest.mark.component
def test_winter_heating_and_hot_water_exceed_summer(weather):
    p = _run(weather)
    month = weather.index.month
    winter, summer = np.isin(month, [12, 1, 2]), np.isin(month, [6, 7, 8])
    assert p.space_heating_kW[winter].mean() > 3 * p.space_heating_kW[summer].mean()
    assert p.dhw_kW[winter].mean() > 1.1 * p.dhw_kW[summer].mean()
    assert p.shower_m3_h[summer].mean() > p.shower_m3_h[winter].mean()  # +5 % in July


@pytest.mark.component
def test_space_heating_follows_degree_hours(weather):
    p = _run(weather, noise_frac=0.0)
    dh = np.maximum(0.0, FIGURES["heating_base_T_C"] - weather["T_out_C"].to_numpy())
    np.testing.assert_allclose(
        p.space_heating_kW, dh / dh.sum() * FIGURES["space_heating_kWh_home_yr"] * 600
    )


@pytest.mark.component
def test_ev_charging_is_mostly_in_the_evening(weather):
    p = _run(weather, noise_frac=0.0)
    weekday = np.asarray(weather.index.day_of_week < 5)
    hour = np.asarray(weather.index.hour)
    evening = weekday & (hour >= 17) & (hour < 23)
    assert p.ev_kW[evening].sum() > 0.95 * p.ev_kW[weekday].sum()


@pytest.mark.component
def test_zero_residents_gives_zero_flows(weather):
    p = _run(weather, residents=0)
    for name in (*WATER, "kitchen_waste_kg_h", "dhw_kW"):
        assert (getattr(p, name) == 0).all(), name
    assert p.space_heating_kW.sum() > 0 and p.ev_kW.sum() > 0  # still set by homes
    q = _run(weather, residents=0, homes=0)
    for name in ("space_heating_kW", "ev_kW"):
        assert (getattr(q, name) == 0).all()


NUMERIC_ARGS = ["residents", "homes", "noise_frac", *FIGURES]


@pytest.mark.unit
@pytest.mark.parametrize("name", NUMERIC_ARGS)
@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, "3", None])
def test_bad_argument_raises_parameter_error_naming_it(weather, name, bad):
    with pytest.raises(ParameterError, match=name):
        _run(weather, **{name: bad})


@pytest.mark.unit
@pytest.mark.parametrize("bad", [-1, 1.5, True, None])
def test_bad_seed_raises(weather, bad):
    with pytest.raises(ParameterError, match="seed"):
        _run(weather, seed=bad)


@pytest.mark.unit
@pytest.mark.parametrize("name, bad", [("noise_frac", 1.5), ("shower_drain_T_C", 120.0)])
def test_out_of_range_raises(weather, name, bad):
    with pytest.raises(ParameterError, match=name):
        _run(weather, **{name: bad})


@pytest.mark.unit
def test_bad_weather_raises(weather):
    with pytest.raises(ParameterError, match="weather"):
        _run(weather.iloc[:100])
    with pytest.raises(ParameterError, match="T_mains_C"):
        _run(weather.drop(columns="T_mains_C"))
    w = weather.copy()
    w.iloc[5, 0] = np.nan
    with pytest.raises(ParameterError, match="T_out_C"):
        _run(w)
    with pytest.raises(ParameterError, match="weather"):
        _run(pd.DataFrame(weather.to_numpy(), columns=weather.columns))


@pytest.mark.unit
def test_heating_with_no_cold_hour_raises(weather):
    with pytest.raises(ParameterError, match="heating_base_T_C"):
        _run(weather, heating_base_T_C=0.0)
    p = _run(weather, heating_base_T_C=0.0, space_heating_kWh_home_yr=0.0)
    assert (p.space_heating_kW == 0).all()


@pytest.mark.unit
def test_diurnal_patterns_are_fractions():
    for name, table in DIURNAL_PATTERNS.items():
        assert table.shape == (2, 24), name
        np.testing.assert_allclose(table.sum(axis=1), 1.0, atol=1e-12)
        assert (table > 0).all()


@pytest.mark.unit
def test_dutch_defaults_cover_every_figure_argument_with_a_source():
    params = inspect.signature(household_profiles).parameters
    figures = set(params) - {"weather", "residents", "homes", "noise_frac", "seed"}
    assert set(DUTCH_DEFAULTS) == figures
    for name, (value, source) in DUTCH_DEFAULTS.items():
        assert isinstance(value, float) and value >= 0, name
        assert len(source) > 20, name
    grey = sum(
        FIGURES[k] for k in ("shower_L_p_d", "washbasin_L_p_d", "kitchen_L_p_d", "laundry_L_p_d")
    )
    assert 68 <= grey <= 85  # Kujawa-Roeleveld & Zeeman (2006)


@pytest.mark.component
def test_fast_enough(weather):
    best = min(_timed(lambda: _run(weather)) for _ in range(3))
    assert best < 0.1


def _timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0
