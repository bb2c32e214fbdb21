"""Tests of nexus.sources: household profiles over a year."""

from __future__ import annotations

import inspect
import math
import time

import numpy as np
import pandas as pd
import pytest

from nexus.errors import ParameterError
from nexus.sources import (
    DIURNAL_PATTERNS,
    DUTCH_DEFAULTS,
    HouseholdProfiles,
    household_profiles,
    shower_drain_temperature,
)
from nexus.weather import (
    degree_days,
    load_weather,
    mains_annual_mean_C,
    reference_climates,
    water_mains_temperature,
)

FIGURES = {k: v for k, (v, _) in DUTCH_DEFAULTS.items()}
CLIMATE = reference_climates()[FIGURES["reference_climate"]]
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


def _shifted(weather, dT_K: float) -> pd.DataFrame:
    """The weather with the air dT_K warmer every hour and its mains recomputed."""
    T_out = weather["T_out_C"].to_numpy() + dT_K
    T_mains = water_mains_temperature(T_out, weather.index)
    return pd.DataFrame({"T_out_C": T_out, "T_mains_C": T_mains}, index=weather.index)


def _dhw_expected(p, T_mains, per_person: float, residents: float) -> float:
    """Reference DHW scaled by the tap heat at T_mains over that at the reference mains."""
    T_ref = mains_annual_mean_C(CLIMATE.T_mean_C)
    draws = (
        (p.shower_m3_h, FIGURES["shower_use_T_C"]),
        (p.washbasin_m3_h, FIGURES["washbasin_use_T_C"]),
        (p.kitchen_m3_h, FIGURES["kitchen_drain_T_C"]),
    )
    now = sum((V * np.maximum(0.0, T - T_mains)).sum() for V, T in draws)
    ref = sum((V * np.maximum(0.0, T - T_ref)).sum() for V, T in draws)
    return per_person * residents * now / ref


@pytest.mark.component
def test_annual_totals_are_exact(weather):
    p = _run(weather)
    for out, arg in WATER.items():
        expected = FIGURES[arg] * 1500 * 365 / 1000
        assert math.isclose(getattr(p, out).sum(), expected, rel_tol=1e-12), out
    assert math.isclose(
        p.kitchen_waste_kg_h.sum(), FIGURES["kitchen_waste_kg_p_d"] * 1500 * 365, rel_tol=1e-12
    )
    hdd = degree_days(weather["T_out_C"].to_numpy(), 18.0)
    assert math.isclose(
        p.space_heating_kW.sum(),
        FIGURES["space_heating_ref_kWh_home_yr"] * 600 * hdd / 2884.0,
        rel_tol=1e-12,
    )
    dhw = _dhw_expected(p, weather["T_mains_C"].to_numpy(), FIGURES["dhw_ref_kWh_p_yr"], 1500)
    assert math.isclose(p.dhw_kW.sum(), dhw, rel_tol=1e-12)
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
    np.testing.assert_array_equal(
        p.shower_T_C,
        shower_drain_temperature(
            FIGURES["shower_use_T_C"], weather["T_mains_C"], FIGURES["shower_drain_loss_frac"]
        ),
    )
    np.testing.assert_array_equal(p.washbasin_T_C, FIGURES["washbasin_use_T_C"])


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
    annual = p.space_heating_kW.sum()
    np.testing.assert_allclose(p.space_heating_kW, dh / dh.sum() * annual)


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


NUMERIC_ARGS = ["residents", "homes", "noise_frac", *FIGURES]  # reference_climate too: a name


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
@pytest.mark.parametrize(
    "name, bad",
    [
        ("noise_frac", 1.5),
        ("shower_use_T_C", 120.0),
        ("shower_drain_loss_frac", 1.2),
        ("reference_climate", "amsterdam"),
    ],
)
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
    p = _run(weather, heating_base_T_C=0.0, space_heating_ref_kWh_home_yr=0.0)
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
        if name == "reference_climate":
            assert value in reference_climates(), name
        else:
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


# ---------------------------------------------------------------- demand from the weather


@pytest.mark.component
def test_space_heating_scales_with_degree_days(weather):
    """Annual heating = reference x HDD(weather) / HDD(reference), base 18 °C (CBS)."""
    for dT in (-2.0, 0.0, 2.0):
        w = _shifted(weather, dT)
        p = _run(w)
        hdd = degree_days(w["T_out_C"].to_numpy(), CLIMATE.base_T_C)
        expected = FIGURES["space_heating_ref_kWh_home_yr"] * 600 * hdd / CLIMATE.degree_days_K_d
        assert math.isclose(p.space_heating_kW.sum(), expected, rel_tol=1e-12), dT
    # the packaged Amsterdam year (9.8 °C, 2,999 K d) is colder than the 1981-2010 normal
    ratio = _run(weather).space_heating_kW.sum() / (FIGURES["space_heating_ref_kWh_home_yr"] * 600)
    assert 1.03 < ratio < 1.05


@pytest.mark.component
def test_reference_year_gives_the_reference_demands(weather):
    """A year with the reference degree days and mains gives the reference totals exactly."""
    T_ref = mains_annual_mean_C(CLIMATE.T_mean_C)
    w = weather.assign(T_mains_C=T_ref)
    hdd = degree_days(w["T_out_C"].to_numpy(), 18.0)
    p = _run(w, space_heating_ref_kWh_home_yr=FIGURES["space_heating_ref_kWh_home_yr"])
    assert math.isclose(p.dhw_kW.sum(), FIGURES["dhw_ref_kWh_p_yr"] * 1500, rel_tol=1e-12)
    scale = CLIMATE.degree_days_K_d / hdd
    q = _run(w, space_heating_ref_kWh_home_yr=FIGURES["space_heating_ref_kWh_home_yr"] * scale)
    assert math.isclose(
        q.space_heating_kW.sum(),
        FIGURES["space_heating_ref_kWh_home_yr"] * scale * 600 * hdd / CLIMATE.degree_days_K_d,
        rel_tol=1e-12,
    )


@pytest.mark.component
def test_colder_weather_needs_more_heating_and_hot_water(weather):
    cold, normal, warm = (_run(_shifted(weather, dT)) for dT in (-2.0, 0.0, 2.0))
    assert cold.space_heating_kW.sum() > 1.15 * normal.space_heating_kW.sum()
    assert warm.space_heating_kW.sum() < 0.85 * normal.space_heating_kW.sum()
    # mains 2 K colder: DHW up by about 2 / (38 - 13) ~ 8 % (shower-weighted)
    assert 1.04 < cold.dhw_kW.sum() / normal.dhw_kW.sum() < 1.12
    assert warm.dhw_kW.sum() < normal.dhw_kW.sum()
    # water volumes do not depend on the weather
    np.testing.assert_array_equal(cold.shower_m3_h, normal.shower_m3_h)


@pytest.mark.component
def test_drain_temperatures_by_end_use_and_season(weather):
    p = _run(weather)
    month = weather.index.month
    winter, summer = np.isin(month, [12, 1, 2]), np.isin(month, [6, 7, 8])
    # shower: 38 °C at the head, 17 % of the heat above 10-16 °C mains lost: 33.2-34.3 °C
    assert 32.5 < p.shower_T_C.min() and p.shower_T_C.max() < 35.0
    assert p.shower_T_C[winter].mean() < p.shower_T_C[summer].mean() - 0.5
    assert (p.shower_T_C > weather["T_mains_C"].to_numpy()).all()
    # below the 38 °C chosen at the head, above the measured 28 °C greywater mean
    assert (p.shower_T_C < FIGURES["shower_use_T_C"]).all() and (p.shower_T_C > 28.0).all()
    for name in ("washbasin_T_C", "kitchen_T_C", "laundry_T_C"):
        assert 16.0 <= getattr(p, name).min() and getattr(p, name).max() <= 50.0, name


@pytest.mark.unit
def test_shower_drain_temperature_edges():
    np.testing.assert_allclose(
        shower_drain_temperature(38.0, [10.0, 38.0, 40.0], 0.17), [38.0 - 0.17 * 28.0, 38.0, 38.0]
    )
    assert shower_drain_temperature(38.0, 10.0, 0.0) == 38.0
    assert shower_drain_temperature(38.0, 10.0, 1.0) == 10.0
    assert np.isnan(shower_drain_temperature(38.0, math.nan, 0.17))


@pytest.mark.unit
def test_weather_of_another_climate_raises_naming_the_key(weather):
    with pytest.raises(ParameterError, match=r"reference_climate = 'de_bilt_1981_2010'.*30\.8 °C"):
        _run(_shifted(weather, 21.0))
    with pytest.raises(ParameterError, match="annual mean"):
        _run(_shifted(weather, -4.0))
    south = weather.copy()
    south[:] = np.roll(weather.to_numpy(), 24 * 182, axis=0)  # timestamps off by half a year
    with pytest.raises(ParameterError, match=r"reference_climate.*coldest month is month [678]"):
        _run(south)
    _run(_shifted(weather, 2.9))  # inside the band of 10.1 +- 3 K


@pytest.mark.unit
def test_dhw_with_no_hot_draw_at_the_reference_raises(weather):
    with pytest.raises(ParameterError, match="dhw_ref_kWh_p_yr"):
        _run(weather, shower_use_T_C=10.0, washbasin_use_T_C=10.0, kitchen_drain_T_C=10.0)
    p = _run(
        weather,
        shower_use_T_C=10.0,
        washbasin_use_T_C=10.0,
        kitchen_drain_T_C=10.0,
        dhw_ref_kWh_p_yr=0.0,
    )
    assert (p.dhw_kW == 0).all()


@pytest.mark.component
def test_households_node_names_the_table_of_a_bad_setting(weather):
    import tomllib
    from pathlib import Path

    from nexus.registry import NodeInputs, node_type
    from nexus.schema import Households

    data = tomllib.loads((Path(__file__).parents[1] / "data" / "small_district.toml").read_text())
    spec = Households.model_validate(
        {k: v for k, v in data["sources"]["homes"].items() if k != "type"}
    )
    hot = _shifted(weather, 21.0)
    inputs = NodeInputs(
        inlets={},
        gas_Nm3_h={},
        open_demand_kW={},
        T_mains_C=hot["T_mains_C"].to_numpy(),
        T_out_C=hot["T_out_C"].to_numpy(),
        time=hot.index,
    )
    with pytest.raises(ParameterError, match=r"^energy\.reference_climate = 'de_bilt_1981_2010'"):
        node_type("households").run(spec, inputs)
