"""Tests of nexus.weather: the packaged typical year, its pieces, and weather-file errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nexus.errors import DistrictError, ParameterError
from nexus.weather import (
    ASHRAE_DAILY_RANGE_FRACTION,
    diurnal_temperature,
    load_weather,
    mean_preserving_daily,
    read_climate_normals,
    typical_year_index,
    water_mains_temperature,
)

DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


@pytest.fixture(scope="module")
def weather():
    return load_weather()


# --- pieces -------------------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize("year, first_mar", [(2025, 59 * 24), (2024, 59 * 24)])
def test_typical_year_index_has_365_days(year, first_mar):
    idx = typical_year_index(year)
    assert len(idx) == 8760 and idx.name == "time"
    assert idx[0] == pd.Timestamp(f"{year}-01-01 00:00")
    assert not ((idx.month == 2) & (idx.day == 29)).any()
    assert idx[first_mar] == pd.Timestamp(f"{year}-03-01 00:00")
    assert (idx[1:first_mar] - idx[: first_mar - 1] == pd.Timedelta(hours=1)).all()


@pytest.mark.unit
@pytest.mark.parametrize("year", [0, 10000, 2025.0, True, "2025"])
def test_typical_year_index_rejects_bad_year(year):
    with pytest.raises(ParameterError, match="year"):
        typical_year_index(year)


@pytest.mark.unit
def test_mean_preserving_daily_keeps_every_month_mean():
    rng = np.random.default_rng(0)
    monthly = rng.normal(10.0, 6.0, 12)
    daily = mean_preserving_daily(monthly)
    ends = np.cumsum(DAYS_IN_MONTH)
    starts = ends - DAYS_IN_MONTH
    means = np.array([daily[a:b].mean() for a, b in zip(starts, ends, strict=True)])
    np.testing.assert_allclose(means, monthly, rtol=0, atol=1e-12)


@pytest.mark.unit
def test_mean_preserving_daily_is_smooth_and_periodic():
    normals = read_climate_normals()["T_mean_C"].to_numpy()
    daily = mean_preserving_daily(normals)
    steps = np.abs(np.diff(np.append(daily, daily[0])))  # includes 31 Dec -> 1 Jan
    assert steps.max() < 0.3  # K per day: no jumps at month boundaries or at the year's end


@pytest.mark.unit
def test_mean_preserving_daily_of_a_constant_is_that_constant():
    np.testing.assert_allclose(mean_preserving_daily(np.full(12, 7.5)), 7.5, rtol=0, atol=1e-12)


@pytest.mark.unit
@pytest.mark.parametrize("bad", [np.ones(11), np.array([*np.ones(11), np.nan])])
def test_mean_preserving_daily_rejects_bad_input(bad):
    with pytest.raises(ParameterError, match="monthly"):
        mean_preserving_daily(bad)


@pytest.mark.unit
def test_diurnal_profile_keeps_daily_mean_and_follows_ashrae():
    T = diurnal_temperature([5.0, 15.0], [6.0, 10.0]).reshape(2, 24)
    np.testing.assert_allclose(T.mean(axis=1), [5.0, 15.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(T.max(axis=1) - T.min(axis=1), [6.0, 10.0], rtol=0, atol=1e-12)
    assert (T.argmin(axis=1) == 4).all()  # hour 04:00-05:00
    assert (T.argmax(axis=1) == 13).all()  # 13:00-14:00 (and 14:00-15:00, the same fraction)
    np.testing.assert_allclose(T[0], T[0].max() - 6.0 * ASHRAE_DAILY_RANGE_FRACTION, atol=1e-12)


@pytest.mark.unit
def test_diurnal_profile_nan_propagates_and_negative_range_raises():
    T = diurnal_temperature([np.nan, 1.0], [3.0, 3.0]).reshape(2, 24)
    assert np.isnan(T[0]).all() and np.isfinite(T[1]).all()
    with pytest.raises(ParameterError, match="T_daily_range_K"):
        diurnal_temperature([1.0], [-1.0])


@pytest.mark.unit
def test_mains_temperature_matches_burch_christensen_by_hand():
    idx = typical_year_index(2025)
    doy = idx.day_of_year.to_numpy()
    T_out = 10.0 - 7.0 * np.cos(2 * np.pi * (doy - 15) / 365)
    Tm = water_mains_temperature(T_out, idx)
    monthly = np.array([T_out[idx.month == m].mean() for m in range(1, 13)])
    t_avg_f = T_out.mean() * 1.8 + 32
    dt_f = (monthly.max() - monthly.min()) * 1.8
    ratio, lag = 0.4 + 0.01 * (t_avg_f - 44), 35 - (t_avg_f - 44)
    d = 200  # 19 July
    by_hand_f = t_avg_f + 6 + ratio * dt_f / 2 * np.sin(np.radians(0.986 * (d - 15 - lag) - 90))
    np.testing.assert_allclose(
        Tm[(d - 1) * 24 : d * 24], (by_hand_f - 32) / 1.8, rtol=0, atol=1e-12
    )


# --- the packaged typical year ------------------------------------------------------------------


@pytest.mark.component
def test_default_weather_shape_and_index(weather):
    assert weather.shape == (8760, 2)
    assert list(weather.columns) == ["T_out_C", "T_mains_C"]
    assert isinstance(weather.index, pd.DatetimeIndex) and weather.index.name == "time"
    assert weather.index[0] == pd.Timestamp("2025-01-01 00:00")
    assert np.isfinite(weather.to_numpy()).all()


@pytest.mark.component
@pytest.mark.parametrize("year", [2025, 2024])
def test_each_month_mean_equals_the_normal(year):
    w = load_weather(year=year)
    normals = read_climate_normals()
    means = w["T_out_C"].groupby(w.index.month).mean()
    np.testing.assert_allclose(means.to_numpy(), normals["T_mean_C"].to_numpy(), rtol=0, atol=1e-9)


@pytest.mark.component
def test_default_weather_is_deterministic_and_plausible(weather):
    pd.testing.assert_frame_equal(weather, load_weather())
    T, Tm = weather["T_out_C"], weather["T_mains_C"]
    assert -15 < T.min() and T.max() < 35
    feb, aug = weather.index.month == 2, weather.index.month == 8
    assert Tm[feb].mean() < Tm[aug].mean()  # the mains follow the seasons, with a lag
    assert Tm.max() - Tm.min() < T.max() - T.min()  # damped by the ground
    daily = T.to_numpy().reshape(365, 24)
    assert (daily.argmin(axis=1) == 4).all()


# --- weather files ------------------------------------------------------------------------------


def _write(
    tmp_path, *, year=2025, rows=None, T=None, name="weather.csv", time_col="time", t_col="T_out_C"
):
    n = 8784 if year % 4 == 0 else 8760
    times = pd.date_range(f"{year}-01-01", periods=n, freq="h")
    T = np.linspace(0.0, 20.0, n) if T is None else T
    df = pd.DataFrame({time_col: times.strftime("%Y-%m-%dT%H:%M"), t_col: T})
    if rows is not None:
        df = df.iloc[rows]
    path = tmp_path / name
    df.to_csv(
        path, index=False, float_format="%.17g"
    )  # every digit, so the reader is tested exactly
    return path, df


@pytest.mark.component
def test_weather_file_round_trip(tmp_path):
    path, df = _write(tmp_path)
    w = load_weather(path)
    assert w.shape == (8760, 2) and w.index.name == "time"
    np.testing.assert_array_equal(w["T_out_C"].to_numpy(), df["T_out_C"].to_numpy())


@pytest.mark.component
def test_weather_file_leap_year_drops_29_february(tmp_path):
    path, df = _write(tmp_path, year=2024)
    w = load_weather(str(path))
    assert len(w) == 8760
    assert not ((w.index.month == 2) & (w.index.day == 29)).any()
    keep = ~pd.to_datetime(df["time"]).dt.strftime("%m-%d").eq("02-29")
    np.testing.assert_array_equal(w["T_out_C"].to_numpy(), df.loc[keep, "T_out_C"].to_numpy())


def _assert_district_error(path, *words):
    with pytest.raises(DistrictError) as err:
        load_weather(path)
    message = str(err.value)
    assert path.name in message
    for word in words:
        assert word in message, message
    assert err.value.__cause__ is None  # a clear message, not a chained pandas traceback
    return message


@pytest.mark.component
def test_weather_file_missing(tmp_path):
    _assert_district_error(tmp_path / "nowhere.csv", "not found")


@pytest.mark.component
def test_weather_file_missing_column(tmp_path):
    path, _ = _write(tmp_path, t_col="temperature")
    _assert_district_error(path, "T_out_C", "missing column")


@pytest.mark.component
@pytest.mark.parametrize("rows", [slice(0, 8759), slice(0, 100)])
def test_weather_file_wrong_length(tmp_path, rows):
    path, _ = _write(tmp_path, rows=rows)
    _assert_district_error(path, "time", "8760")


@pytest.mark.component
def test_weather_file_nan(tmp_path):
    T = np.linspace(0.0, 20.0, 8760)
    T[41] = np.nan
    path, _ = _write(tmp_path, T=T)
    _assert_district_error(path, "T_out_C", "row 42", "NaN")


@pytest.mark.component
def test_weather_file_non_numeric(tmp_path):
    T = np.linspace(0.0, 20.0, 8760).astype(object)
    T[7] = "warm"
    path, _ = _write(tmp_path, T=T)
    _assert_district_error(path, "T_out_C", "row 8", "not a number")


@pytest.mark.component
@pytest.mark.parametrize("text", ["1_0", "-1_5.0"])
def test_weather_file_underscore_number_is_not_a_number(tmp_path, text):
    # Python's float() reads "1_0" as 10.0; a CSV writer never means that
    T = np.linspace(0.0, 20.0, 8760).astype(object)
    T[7] = text
    path, _ = _write(tmp_path, T=T)
    _assert_district_error(path, "T_out_C", "row 8", repr(text), "not a number")


@pytest.mark.component
def test_weather_file_year_must_match_a_stated_year(tmp_path):
    path, _ = _write(tmp_path, year=2024)
    assert load_weather(path, year=2024).index[0].year == 2024
    assert load_weather(path).index[0].year == 2024  # no year stated: the file's
    with pytest.raises(DistrictError) as info:
        load_weather(path, year=2025)
    assert "weather.csv: time: the timestamps are of 2024, the district's year = 2025" in str(
        info.value
    )


@pytest.mark.component
@pytest.mark.parametrize("value", [-60.0, 55.5])
def test_weather_file_out_of_range(tmp_path, value):
    T = np.linspace(0.0, 20.0, 8760)
    T[100] = value
    path, _ = _write(tmp_path, T=T)
    _assert_district_error(path, "T_out_C", "row 101", "-50..50")


@pytest.mark.component
def test_weather_file_not_hourly(tmp_path):
    path, df = _write(tmp_path)
    df.loc[500, "time"] = "2025-01-21T20:30"
    df.to_csv(path, index=False)
    _assert_district_error(path, "time", "row 501", "hourly")


@pytest.mark.component
def test_weather_file_unparsable_time(tmp_path):
    path, df = _write(tmp_path)
    df.loc[3, "time"] = "yesterday"
    df.to_csv(path, index=False)
    _assert_district_error(path, "time", "row 4")


@pytest.mark.component
def test_weather_file_not_csv(tmp_path):
    path = tmp_path / "weather.csv"
    path.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(DistrictError, match=r"weather\.csv"):
        load_weather(path)


@pytest.mark.unit
def test_spline_basis_is_scipys_periodic_cubic_spline():
    """nexus's own periodic spline (no scipy.interpolate import) equals scipy's CubicSpline."""
    from scipy.interpolate import CubicSpline

    from nexus.weather import _DAYS_IN_MONTH, _spline_basis

    starts = np.concatenate(([0], np.cumsum(_DAYS_IN_MONTH)[:-1]))
    nodes = np.append(starts + _DAYS_IN_MONTH / 2.0, starts[0] + _DAYS_IN_MONTH[0] / 2.0 + 365)
    values = np.vstack([np.eye(12), np.eye(12)[:1]])
    spline = CubicSpline(nodes, values, bc_type="periodic", extrapolate="periodic")
    np.testing.assert_allclose(_spline_basis(), spline(np.arange(365) + 0.5), rtol=0, atol=1e-13)


# ------------------------------------------------------------ reference climates


@pytest.mark.unit
def test_reference_climates_are_the_cbs_de_bilt_normals():
    from nexus.weather import reference_climates

    c = reference_climates()
    assert set(c) == {"de_bilt_1971_2000", "de_bilt_1981_2010"}
    # CBS StatLine 80182NED, "Langjarige gemiddelden": annual mean and degree days
    assert (c["de_bilt_1971_2000"].T_mean_C, c["de_bilt_1971_2000"].degree_days_K_d) == (9.8, 3075)
    assert (c["de_bilt_1981_2010"].T_mean_C, c["de_bilt_1981_2010"].degree_days_K_d) == (10.1, 2884)
    assert all(x.base_T_C == 18.0 for x in c.values())


@pytest.mark.unit
def test_degree_days_cbs_definition():
    from nexus.weather import degree_days

    # CBS, "Definitie graaddagen": 10 °C -> 8, -4 °C -> 22, 20 °C -> 0; the sum over the days
    days = np.repeat([10.0, -4.0, 20.0], 24)
    assert degree_days(days) == 30.0
    # the daily mean counts, not the hours: a day of 16 and 20 °C halves is 0 degree days
    assert degree_days(np.r_[np.full(12, 16.0), np.full(12, 20.0)]) == 0.0
    assert degree_days(np.full(24, 10.0), base_T_C=15.5) == 5.5
    assert np.isnan(degree_days(np.r_[np.nan, np.full(23, 10.0)]))
    with pytest.raises(ParameterError, match="T_out_C"):
        degree_days(np.zeros(25))


@pytest.mark.unit
def test_packaged_year_degree_days_near_the_de_bilt_normals():
    from nexus.weather import degree_days

    hdd = degree_days(load_weather()["T_out_C"].to_numpy())
    # Schiphol normals of the packaged year (9.8 °C) against De Bilt 2,884-3,075 K d
    assert 2884 < hdd < 3075 and round(hdd) == 2999


@pytest.mark.unit
def test_mains_annual_mean_is_the_mean_of_the_correlation():
    from nexus.weather import mains_annual_mean_C

    w = load_weather()
    assert mains_annual_mean_C(float(w["T_out_C"].mean())) == pytest.approx(
        float(w["T_mains_C"].mean()), abs=0.02
    )


@pytest.mark.unit
def test_check_climate_accepts_dutch_years_and_rejects_others():
    from nexus.weather import check_climate, reference_climates

    w = load_weather()
    T, idx = w["T_out_C"].to_numpy(), w.index
    climate = reference_climates()["de_bilt_1981_2010"]
    for dT in (-0.6, 0.0, 1.9, 3.3):  # the packaged year is 9.8 °C; 2010 was 9.1, 2014 11.7
        check_climate(T + dT, idx, climate, key="k")
    with pytest.raises(ParameterError, match=r"^k = 'de_bilt_1981_2010': .* 49\.6 °C"):
        check_climate(T * 1.8 + 32.0, idx, climate, key="k")  # a file in °F
    with pytest.raises(ParameterError, match=r"expected 7\.1\.\.13\.1 °C"):
        check_climate(T - 3.0, idx, climate, key="k")
    with pytest.raises(ParameterError, match="coldest month is month 7"):
        check_climate(np.roll(T, 24 * 182), idx, climate, key="k")  # southern hemisphere


@pytest.mark.component
def test_mains_water_never_below_freezing_and_the_hold_is_said(tmp_path, caplog):
    # a polar year: -50 °C all winter; before, mains water followed it to -46.7 °C
    times = pd.date_range("2025-01-01", periods=8760, freq="h")
    T = -20.0 - 30.0 * np.cos(2 * np.pi * (times.day_of_year.to_numpy() - 15) / 365)
    path, _ = _write(tmp_path, T=T)
    with caplog.at_level("WARNING", logger="nexus.weather"):
        w = load_weather(path)
    assert float(w["T_mains_C"].min()) == 0.0
    assert "mains water is held at 0 °C" in caplog.text
    assert "weather.csv" in caplog.text
    mild = water_mains_temperature(np.full(8760, 10.0), times)
    assert mild.min() > 0.0  # a temperate year is not touched
