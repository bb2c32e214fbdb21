"""Hourly weather of a district: outdoor air and cold drinking-water temperature.

The default is a deterministic typical year for Amsterdam built from monthly
climate normals shipped in ``nexus/data/amsterdam_climate_normals.csv`` (see
``nexus/data/README.md`` for their provenance and caveats):

1. daily mean temperatures follow a periodic cubic spline through one node per
   month whose node values are solved so that every calendar month keeps its
   normal mean exactly (a mean-preserving interpolation in the sense of Rymes &
   Myers 2001 [3]_);
2. the daily range (T_max - T_min) is interpolated the same way;
3. each day gets the ASHRAE diurnal profile [1]_: the fraction of the daily range
   below the daily maximum, hour by hour (minimum near 05:00, maximum near
   15:00), shifted so that every day keeps its daily mean;
4. the cold drinking-water temperature at the tap follows the Burch &
   Christensen (2007) [2]_ correlation used by EnergyPlus and DOE-2, held at
   0 °C where a very cold year takes it below freezing: the water in a main is
   liquid (``MAINS_MIN_T_C``; a warning names the file).

Annual heat demand follows the weather through :func:`degree_days` against a
*reference climate* (:func:`reference_climates`, the De Bilt normals of CBS
StatLine 80182NED [4]_): the climate a district's demand figures were given
for. :func:`check_climate` rejects a weather year that cannot belong to that
climate.

There is no randomness in the weather.

Time convention: the index is naive local standard time (CET = UTC+1 all
year, no daylight saving), hourly, 8760 steps. A leap year drops 29 February,
so every year has 365 days and day-of-year ``d`` is the same calendar date in
every year (``nexus validate`` says so for a leap-year file).

Which year: a weather file's timestamps give the year. A district file that
states ``[district] year`` as well must state the same year, or loading the
weather is an error; a district file that leaves ``year`` out takes the
weather file's. The packaged typical year is laid on ``year`` (2025 when not
stated).

A weather file is read only if it is a regular file of at most
``nexus.io.WEATHER_FILE_MAX_BYTES`` (a folder, a device or a FIFO is refused
without being opened); a relative path is read from the district file's folder.
Messages quote no content of the file but shortened column names and single
values.

References
----------
.. [1] ASHRAE (2009). *Handbook - Fundamentals*, ch. 14 "Climatic design
   information", Table 6 "Fraction of daily temperature range" (p. 14.11;
   Table 6 on p. 14.13 of the 2021 edition). The same multipliers are the
   EnergyPlus default design-day profile (EnergyPlus Engineering Reference,
   "EnergyPlus Design Day Temperature Calculations").
.. [2] Burch, J. & Christensen, C. (2007). "Towards development of an
   algorithm for mains water temperature". Proceedings of the ASES Annual
   Conference, Cleveland OH. As implemented in EnergyPlus
   (``Site:WaterMainsTemperature``, method ``Correlation``) and in NREL
   ResStock/OpenStudio-HPXML ``calc_mains_temperatures``.
.. [3] Rymes, M. D. & Myers, D. R. (2001). "Mean preserving algorithm for
   smoothly interpolating averaged data". *Solar Energy* 71(4), 225-231.
   doi:10.1016/S0038-092X(01)00052-4
.. [4] CBS StatLine, table 80182NED "Klimaatgegevens; De Bilt temperatuur,
   neerslag en zonneschijn 1800-2014" (data KNMI), rows "Langjarige
   gemiddelden 1971 tot 2000" and "1981 tot 2010"; degree days as defined in
   CBS, "Definitie graaddagen" (18 °C minus the daily mean temperature).
"""

from __future__ import annotations

import calendar
import csv
import functools
import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nexus.constants import DAYS_PER_YEAR, HOURS_PER_YEAR
from nexus.errors import DistrictError, ParameterError

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

    from nexus._typing import FloatArray

__all__ = [
    "ASHRAE_DAILY_RANGE_FRACTION",
    "CLIMATE_BAND_K",
    "NORMALS_FILE",
    "REFERENCE_CLIMATES_FILE",
    "ReferenceClimate",
    "check_climate",
    "degree_days",
    "diurnal_temperature",
    "load_weather",
    "mains_annual_mean_C",
    "mean_preserving_daily",
    "read_climate_normals",
    "reference_climates",
    "typical_year_index",
    "water_mains_temperature",
]

#: The packaged monthly normals for Amsterdam Schiphol.
NORMALS_FILE: Path = Path(__file__).resolve().parent / "data" / "amsterdam_climate_normals.csv"

#: The packaged reference climates (De Bilt normals, CBS StatLine 80182NED).
REFERENCE_CLIMATES_FILE: Path = Path(__file__).resolve().parent / "data" / "reference_climates.csv"

#: Half-width of the band of annual mean air temperature around a reference
#: climate's normal inside which a weather year is accepted as that climate
#: [K]. CHOSEN, not taken from a source: every single year of CBS 80182NED
#: (2009-2014: 9.1-11.7 °C at De Bilt, normal 10.1 °C) lies inside it with at
#: least 1.4 K to spare, while a file in °F (an annual mean near 50), a
#: tropical or a polar year lies far outside.
CLIMATE_BAND_K: float = 3.0

#: Fraction of the daily temperature range below the daily maximum, for the
#: hours ending 01:00 ... 24:00 (index 0 is the hour 00:00-01:00). ASHRAE
#: Handbook - Fundamentals 2009, ch. 14, Table 6; T = T_max - fraction * range.
ASHRAE_DAILY_RANGE_FRACTION: FloatArray = np.array(
    [0.88, 0.92, 0.95, 0.98, 1.00, 0.98, 0.91, 0.74, 0.55, 0.38, 0.23, 0.13,
     0.05, 0.00, 0.00, 0.06, 0.14, 0.24, 0.39, 0.50, 0.59, 0.68, 0.75, 0.82]
)  # fmt: skip
ASHRAE_DAILY_RANGE_FRACTION.setflags(write=False)

#: Days per month in the 365-day convention of nexus.
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_T_LIMITS_C = (-50.0, 50.0)
#: Lowest mains-water temperature [°C]: the freezing point of water. Water in a main is
#: liquid; the mains pressure (1-6 bar) lowers the freezing point by under 0.05 K
#: (Clausius-Clapeyron, -0.0074 K/bar), which is neglected. Below it the correlation of
#: Burch & Christensen 2007, fitted to US climates, has left its data.
MAINS_MIN_T_C = 0.0

log = logging.getLogger(__name__)


def typical_year_index(year: int = 2025) -> pd.DatetimeIndex:
    """Hourly index of a 365-day year, named ``time``.

    Parameters
    ----------
    year : int, default 2025
        Calendar year. For a leap year, 29 February is dropped.

    Returns
    -------
    pandas.DatetimeIndex
        8760 naive hourly timestamps (local standard time) from
        ``year-01-01 00:00``.

    Examples
    --------
    >>> idx = typical_year_index(2024)
    >>> len(idx), str(idx[0]), str(idx[-1])
    (8760, '2024-01-01 00:00:00', '2024-12-31 23:00:00')
    >>> bool(((idx.month == 2) & (idx.day == 29)).any())
    False
    """
    import pandas as pd

    if isinstance(year, bool) or not isinstance(year, (int, np.integer)) or not 1 <= year <= 9999:
        raise ParameterError(f"year: got {year!r}; expected an integer year 1..9999")
    hours = 8784 if calendar.isleap(int(year)) else HOURS_PER_YEAR
    idx = pd.date_range(f"{int(year):04d}-01-01", periods=hours, freq="h", name="time")
    return idx[~((idx.month == 2) & (idx.day == 29))]


def mean_preserving_daily(monthly: FloatArray) -> FloatArray:
    """Smooth daily values whose calendar-month means equal ``monthly``.

    A periodic cubic spline runs through one node at the middle of each month
    (365-day year). The 12 node values are not the monthly means themselves:
    they are the solution of the 12 x 12 linear system "mean over the days of
    month m of the spline = monthly[m]", so the means are kept to round-off.
    This is the aim of Rymes & Myers (2001) reached with a spline basis.

    Parameters
    ----------
    monthly : array_like, shape (12,)
        Monthly means, January first. Must be finite.

    Returns
    -------
    numpy.ndarray, shape (365,)
        Daily values, 1 January first; same unit as ``monthly``.

    Examples
    --------
    >>> m = np.array([3.0, 3.1, 5.8, 8.2, 12.4, 14.8, 17.0, 17.0, 14.3, 10.6, 6.6, 4.2])
    >>> d = mean_preserving_daily(m)
    >>> d.shape
    (365,)
    >>> bool(np.allclose(d[:31].mean(), 3.0, rtol=0, atol=1e-12))
    True
    """
    monthly = np.asarray(monthly, dtype=float)
    if monthly.shape != (12,):
        raise ParameterError(f"monthly: got shape {monthly.shape}; expected 12 monthly values")
    if not np.all(np.isfinite(monthly)):
        raise ParameterError(f"monthly: got {monthly.tolist()}; expected 12 finite values")
    basis = _spline_basis()
    month_mean = _month_mean_matrix()
    nodes = np.linalg.solve(month_mean @ basis, monthly)
    return basis @ nodes


def _spline_basis() -> FloatArray:
    """Daily values (365 x 12) of the periodic cubic spline of each unit node vector.

    Nodes at mid-month; the interpolating cubic spline with continuous first
    and second derivatives around the year (period 365 d). Its second
    derivatives M solve the cyclic system
    ``h[i-1] M[i-1] + 2 (h[i-1] + h[i]) M[i] + h[i] M[i+1] = 6 (d[i] - d[i-1])``
    with ``d[i] = (y[i+1] - y[i]) / h[i]`` (de Boor, A Practical Guide to
    Splines, ch. IV); the same spline as scipy's ``CubicSpline(...,
    bc_type="periodic")`` (tested), without importing scipy.interpolate
    (0.2 s, a fifth of a year's simulation).
    """
    starts = np.concatenate(([0], np.cumsum(_DAYS_IN_MONTH)[:-1]))
    x = starts + _DAYS_IN_MONTH / 2.0  # node positions [d]
    n = x.size
    h = np.diff(np.append(x, x[0] + DAYS_PER_YEAR))  # interval i: node i to node i+1
    nxt, prv = (np.arange(n) + 1) % n, (np.arange(n) - 1) % n
    A = np.zeros((n, n))
    A[np.arange(n), prv] += h[prv]
    A[np.arange(n), np.arange(n)] += 2.0 * (h[prv] + h)
    A[np.arange(n), nxt] += h
    Y = np.eye(n)  # node values: one unit vector per basis function
    D = (Y[nxt] - Y) / h[:, None]  # slope of interval i
    M = np.linalg.solve(A, 6.0 * (D - D[prv]))
    t = np.arange(DAYS_PER_YEAR) + 0.5
    t = np.where(t < x[0], t + DAYS_PER_YEAR, t)  # before the first node: the last interval
    i = np.clip(np.searchsorted(x, t, side="right") - 1, 0, n - 1)
    j, hi = nxt[i], h[i][:, None]
    a = (x[i] + h[i] - t)[:, None]  # distance to the interval's right node
    b = (t - x[i])[:, None]  # distance to its left node
    return (
        M[i] * a**3 / (6 * hi)
        + M[j] * b**3 / (6 * hi)
        + (Y[i] / hi - M[i] * hi / 6) * a
        + (Y[j] / hi - M[j] * hi / 6) * b
    )


def _month_mean_matrix() -> FloatArray:
    """(12 x 365) matrix whose row m averages the days of month m."""
    month_of_day = np.repeat(np.arange(12), _DAYS_IN_MONTH)
    m = (month_of_day[None, :] == np.arange(12)[:, None]).astype(float)
    return m / _DAYS_IN_MONTH[:, None]


def diurnal_temperature(T_daily_mean_C: ArrayLike, T_daily_range_K: ArrayLike) -> FloatArray:
    """Hourly temperatures from daily means and ranges (ASHRAE profile).

    .. math::  T_{d,h} = \\bar T_d + R_d\\,(\\bar f - f_h)

    where :math:`f_h` is :data:`ASHRAE_DAILY_RANGE_FRACTION` and
    :math:`\\bar f` its 24-hour mean (0.53625): the ASHRAE shape
    ``T_max - f_h R`` shifted so that every day keeps its mean exactly.

    Parameters
    ----------
    T_daily_mean_C : array_like, shape (n_days,)
        Daily mean air temperature [°C].
    T_daily_range_K : array_like, shape (n_days,)
        Daily range T_max - T_min [K]; must be >= 0 where finite.

    Returns
    -------
    numpy.ndarray, shape (24 * n_days,)
        Hourly air temperature [°C], hour 00:00-01:00 of day 0 first. NaN in
        an input gives NaN in that day's hours.

    Examples
    --------
    >>> T = diurnal_temperature([10.0], [8.0])
    >>> float(T.mean()), int(T.argmin()), int(T.argmax())
    (10.0, 4, 13)
    """
    mean = np.asarray(T_daily_mean_C, dtype=float)
    rng = np.asarray(T_daily_range_K, dtype=float)
    if mean.ndim != 1 or mean.shape != rng.shape:
        raise ParameterError(
            f"T_daily_mean_C, T_daily_range_K: got shapes {mean.shape} and {rng.shape}; "
            "expected two 1-D arrays of the same length"
        )
    if np.any(rng < 0):
        raise ParameterError("T_daily_range_K: got a negative daily range; expected >= 0 K")
    f = ASHRAE_DAILY_RANGE_FRACTION
    return (mean[:, None] + rng[:, None] * (f.mean() - f[None, :])).ravel()


def water_mains_temperature(T_out_C: ArrayLike, time: pd.DatetimeIndex) -> FloatArray:
    """Cold drinking-water temperature at the tap (Burch & Christensen 2007).

    With the annual mean outdoor temperature :math:`\\bar T` and the largest
    difference between monthly mean outdoor temperatures :math:`\\Delta T`,
    both in °F, and the day of year :math:`d` (1..365):

    .. math::

        T_{mains} = \\bar T + 6 + r \\frac{\\Delta T}{2}
                    \\sin\\left(0.986\\,(d - 15 - \\mathrm{lag}) - 90\\right)

        r = 0.4 + 0.01 (\\bar T - 44), \\qquad \\mathrm{lag} = 35 - (\\bar T - 44)

    (angles in degrees; northern hemisphere). The daily value applies to all
    hours of that day. The constants are those of the source, unchanged; they
    were fitted to US utility data, so for a Dutch network they are an
    approximation.

    Parameters
    ----------
    T_out_C : array_like, shape (n,)
        Hourly outdoor air temperature [°C] over one 365-day year.
    time : pandas.DatetimeIndex, shape (n,)
        The hours of ``T_out_C`` (no 29 February).

    Returns
    -------
    numpy.ndarray, shape (n,)
        Mains water temperature [°C], not below ``MAINS_MIN_T_C`` (0 °C): water in
        a main is liquid, so a very cold weather year (where the correlation, fitted to
        US climates, gives less) is held at the freezing point.

    Examples
    --------
    >>> idx = typical_year_index(2025)
    >>> T_out = 10.0 - 7.0 * np.cos(2 * np.pi * (idx.day_of_year.to_numpy() - 15) / 365)
    >>> Tm = water_mains_temperature(T_out, idx)
    >>> bool(Tm[:24 * 31].mean() < Tm.mean() < Tm[24 * 212:24 * 243].mean())
    True
    """
    T = np.asarray(T_out_C, dtype=float)
    if T.shape != (len(time),):
        raise ParameterError(f"T_out_C: got shape {T.shape}; expected ({len(time)},) like time")
    monthly = np.array([T[time.month == m].mean() for m in range(1, 13)])
    T_avg_F = T.mean() * 1.8 + 32.0
    dT_F = (monthly.max() - monthly.min()) * 1.8
    ratio = 0.4 + 0.01 * (T_avg_F - 44.0)
    lag = 35.0 - (T_avg_F - 44.0)
    day = _day_of_year_365(time)
    T_F = T_avg_F + 6.0 + ratio * dT_F / 2.0 * np.sin(np.deg2rad(0.986 * (day - 15.0 - lag) - 90.0))
    return np.maximum((T_F - 32.0) / 1.8, MAINS_MIN_T_C)


def _day_of_year_365(time: pd.DatetimeIndex) -> FloatArray:
    """Day of year 1..365 in the 365-day convention (leap years skip 29 February)."""
    doy = time.day_of_year.to_numpy()
    leap_shift = time.is_leap_year & (time.month > 2)
    return (doy - np.asarray(leap_shift, dtype=int)).astype(float)


@dataclass(frozen=True)
class ReferenceClimate:
    """A climate that annual demand figures are given for.

    Attributes
    ----------
    name : str
        Key in :func:`reference_climates`.
    T_mean_C : float
        Annual mean air temperature of the climate normal [°C].
    degree_days_K_d : float
        Annual heating degree days of the normal, base ``base_T_C`` [K d].
    base_T_C : float
        Base temperature of the degree days [°C].
    """

    name: str
    T_mean_C: float
    degree_days_K_d: float
    base_T_C: float


@functools.cache
def reference_climates() -> dict[str, ReferenceClimate]:
    """The packaged reference climates, by name (:data:`REFERENCE_CLIMATES_FILE`).

    Read with the standard library (no pandas), so the district schema can list
    the names cheaply.

    Returns
    -------
    dict of str to ReferenceClimate
        ``de_bilt_1971_2000`` (9.8 °C, 3,075 K d) and ``de_bilt_1981_2010``
        (10.1 °C, 2,884 K d), base 18 °C: CBS StatLine 80182NED.

    Examples
    --------
    >>> c = reference_climates()["de_bilt_1981_2010"]
    >>> c.T_mean_C, c.degree_days_K_d, c.base_T_C
    (10.1, 2884.0, 18.0)
    """
    with REFERENCE_CLIMATES_FILE.open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {
            r["name"]: ReferenceClimate(
                name=r["name"],
                T_mean_C=float(r["T_mean_C"]),
                degree_days_K_d=float(r["degree_days_K_d"]),
                base_T_C=float(r["base_T_C"]),
            )
            for r in rows
        }


def degree_days(T_out_C: ArrayLike, base_T_C: float = 18.0) -> float:
    """Annual heating degree days from hourly air temperatures (CBS definition).

    .. math::  HDD = \\sum_d \\max(0,\\; T_{base} - \\bar T_d)

    over the days d of the year, with :math:`\\bar T_d` the mean of the day's
    24 hourly values: CBS, "Definitie graaddagen" (base 18 °C, daily mean
    temperature), the definition of the reference climates' degree days.

    Parameters
    ----------
    T_out_C : array_like, shape (24 * n_days,)
        Hourly outdoor air temperature, first hour 00:00-01:00 of day 1 [°C].
    base_T_C : float, default 18.0
        Base temperature [°C].

    Returns
    -------
    float
        Degree days [K d]; NaN if a temperature is NaN.

    Examples
    --------
    >>> degree_days(np.r_[np.full(24, 10.0), np.full(24, 20.0)])
    8.0
    """
    T = np.asarray(T_out_C, dtype=float)
    if T.ndim != 1 or T.size % 24:
        raise ParameterError(f"T_out_C: got shape {T.shape}; expected whole days of 24 hours")
    daily = T.reshape(-1, 24).mean(axis=1)
    return float(np.maximum(0.0, base_T_C - daily).sum())


def mains_annual_mean_C(T_mean_C: float) -> float:
    """Annual mean mains-water temperature of a climate (Burch & Christensen 2007).

    The annual mean of :func:`water_mains_temperature`: the sine term averages
    out over the year, leaving :math:`\\bar T + 6` °F, i.e. ``T_mean_C + 10/3`` K.

    Parameters
    ----------
    T_mean_C : float
        Annual mean outdoor air temperature [°C].

    Returns
    -------
    float
        Annual mean mains temperature [°C].

    Examples
    --------
    >>> round(mains_annual_mean_C(10.1), 3)
    13.433
    """
    return float(T_mean_C) + 6.0 / 1.8


def check_climate(
    T_out_C: ArrayLike, time: pd.DatetimeIndex, climate: ReferenceClimate, *, key: str
) -> None:
    """Raise if an hourly weather year cannot belong to a reference climate.

    Two checks, both on the air temperature:

    1. the annual mean lies within :data:`CLIMATE_BAND_K` of the climate's
       normal (a chosen band; see there);
    2. the coldest calendar month is December, January or February and the
       warmest June, July or August: a northern-hemisphere temperate year, as
       the De Bilt climates are, and as :func:`water_mains_temperature`
       assumes (its phase is the northern one). A southern-hemisphere file,
       or one whose timestamps are shifted by half a year, fails here.

    Parameters
    ----------
    T_out_C : array_like, shape (n,)
        Hourly outdoor air temperature [°C].
    time : pandas.DatetimeIndex, shape (n,)
        Its hours.
    climate : ReferenceClimate
        The climate the weather must match.
    key : str
        Name of the setting that chose the climate, for the message.

    Raises
    ------
    nexus.ParameterError
        A check fails; the message names ``key``, the climate, the value found
        and the range expected.

    Examples
    --------
    >>> w = load_weather()
    >>> check_climate(w["T_out_C"], w.index, reference_climates()["de_bilt_1981_2010"],
    ...               key="reference_climate")
    >>> check_climate(w["T_out_C"] + 20.0, w.index,
    ...               reference_climates()["de_bilt_1981_2010"], key="reference_climate")
    Traceback (most recent call last):
    ...
    nexus.errors.ParameterError: reference_climate = 'de_bilt_1981_2010': the weather's annual mean air temperature is 29.8 °C; expected 7.1..13.1 °C (the climate's normal 10.1 °C +- 3 K): a weather year of another climate (or in another unit)
    """
    T = np.asarray(T_out_C, dtype=float)
    mean = float(T.mean())
    lo, hi = climate.T_mean_C - CLIMATE_BAND_K, climate.T_mean_C + CLIMATE_BAND_K
    where = f"{key} = {climate.name!r}"
    if not lo <= mean <= hi:
        raise ParameterError(
            f"{where}: the weather's annual mean air temperature is {mean:.1f} °C; expected "
            f"{lo:.1f}..{hi:.1f} °C (the climate's normal {climate.T_mean_C:g} °C +- "
            f"{CLIMATE_BAND_K:g} K): a weather year of another climate (or in another unit)"
        )
    month = np.asarray(time.month)
    monthly = np.array([T[month == m].mean() for m in range(1, 13)])
    coldest, warmest = int(np.argmin(monthly)) + 1, int(np.argmax(monthly)) + 1
    if coldest not in (12, 1, 2) or warmest not in (6, 7, 8):
        raise ParameterError(
            f"{where}: the weather's coldest month is month {coldest} and its warmest month "
            f"{warmest}; expected the coldest in December-February and the warmest in June-August "
            "(a northern-hemisphere year; check the timestamps)"
        )


def read_climate_normals(path: str | Path | None = None) -> pd.DataFrame:
    """Monthly normals: ``T_mean_C``, ``T_max_C``, ``T_min_C`` indexed by ``month``.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A CSV with columns ``month``, ``T_mean_C``, ``T_max_C``, ``T_min_C``
        (lines starting with ``#`` are comments). Default: the packaged
        Amsterdam Schiphol normals, :data:`NORMALS_FILE`.

    Returns
    -------
    pandas.DataFrame
        12 rows, months 1..12, temperatures [°C].

    Raises
    ------
    nexus.DistrictError
        The file is missing, malformed, or a value is out of range.

    Examples
    --------
    >>> n = read_climate_normals()
    >>> list(n.columns), len(n)
    (['T_mean_C', 'T_max_C', 'T_min_C'], 12)
    """
    import pandas as pd

    path = NORMALS_FILE if path is None else Path(path)
    raw = _read_csv(path)
    cols = ("month", "T_mean_C", "T_max_C", "T_min_C")
    for c in cols:
        if c not in raw.columns:
            raise DistrictError(
                f"missing column {c!r}; expected columns {list(cols)}", file=str(path), key=c
            )
    if len(raw) != 12:
        raise DistrictError(
            f"got {len(raw)} data rows; expected 12 (one per month)", file=str(path)
        )
    out = {c: _numeric_column(raw, c, path) for c in cols}
    if not np.array_equal(out["month"], np.arange(1, 13)):
        raise DistrictError("expected months 1..12 in order", file=str(path), key="month")
    if np.any(out["T_max_C"] < out["T_min_C"]):
        bad = int(np.argmax(out["T_max_C"] < out["T_min_C"])) + 1
        raise DistrictError(f"month {bad}: T_max_C is below T_min_C", file=str(path), key="T_max_C")
    df = pd.DataFrame({c: out[c] for c in cols[1:]}, index=pd.Index(np.arange(1, 13), name="month"))
    return df


def load_weather(path: str | Path | None = None, *, year: int | None = None) -> pd.DataFrame:
    """Hourly outdoor-air and mains-water temperature for one year.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        An hourly weather CSV with columns ``time`` (ISO 8601 timestamps, local
        standard time) and ``T_out_C`` [°C]: a full year from ``YYYY-01-01
        00:00``, 8760 rows, or 8784 rows for a leap year (29 February is then
        dropped). Other columns are ignored; lines starting with ``#`` are
        comments. Default (None): the packaged typical year for Amsterdam.
    year : int, optional
        Year of the index of the packaged typical year (default 2025). With
        ``path``, the file's own timestamps set the year; a ``year`` given as
        well must be the same (the district's ``year`` is never silently
        replaced by the weather's).

    Returns
    -------
    pandas.DataFrame
        Index ``time`` (``DatetimeIndex``, 8760 hours, naive local standard
        time, no 29 February). Columns ``T_out_C`` (outdoor air [°C]) and
        ``T_mains_C`` (cold drinking water at the tap [°C], Burch &
        Christensen 2007 from ``T_out_C``).

    Raises
    ------
    nexus.DistrictError
        The file is missing or unreadable, a column is missing, the row count
        is wrong, a value is not a number, missing or outside -50..50 °C, or
        the timestamps are not one hourly year, or they are of another year
        than ``year``. The message names the file, the column and the row.
    nexus.ParameterError
        ``year`` is not a valid year.

    Notes
    -----
    The packaged year: daily means from :func:`mean_preserving_daily` of the
    monthly normal means (each month's mean is the normal to round-off),
    daily ranges likewise from the normal T_max - T_min, hours from
    :func:`diurnal_temperature` (ASHRAE 2009 HOF ch. 14 Table 6), mains from
    :func:`water_mains_temperature`.

    Examples
    --------
    >>> w = load_weather()
    >>> w.shape, list(w.columns), w.index.name
    ((8760, 2), ['T_out_C', 'T_mains_C'], 'time')
    >>> jan = w.index.month == 1
    >>> round(float(w.loc[jan, "T_out_C"].mean()), 6)
    2.95
    """
    import pandas as pd

    if path is None:
        idx = typical_year_index(2025 if year is None else year)
        normals = read_climate_normals()
        mean_d = mean_preserving_daily(normals["T_mean_C"].to_numpy())
        range_d = mean_preserving_daily((normals["T_max_C"] - normals["T_min_C"]).to_numpy())
        T_out = diurnal_temperature(mean_d, np.maximum(range_d, 0.0))
    else:
        idx, T_out = _read_weather_file(Path(path))
        if year is not None and int(idx[0].year) != year:
            raise DistrictError(
                f"the timestamps are of {idx[0].year}, the district's year = {year}; expected "
                "the same year (or leave 'year' out of [district] to use the weather file's)",
                file=str(path),
                key="time",
            )
    T_mains = water_mains_temperature(T_out, idx)
    held = T_mains <= MAINS_MIN_T_C
    if held.any():
        log.warning(
            "%s: the mains-water correlation (Burch & Christensen 2007) falls below "
            "%g °C on %d of 365 days of this weather; mains water is held at %g °C there, the "
            "freezing point of the water in a main",
            path or "the packaged typical year",
            MAINS_MIN_T_C,
            int(held.sum()) // 24,
            MAINS_MIN_T_C,
        )
    return pd.DataFrame({"T_out_C": T_out, "T_mains_C": T_mains}, index=idx)


def _read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV as strings; any failure becomes a DistrictError naming the file.

    Only a regular file under ``WEATHER_FILE_MAX_BYTES`` is read
    (:func:`nexus.io.read_regular_file`); messages quote none of its content but
    shortened column names and single values.
    """
    import io

    import pandas as pd

    from nexus.io import WEATHER_FILE_MAX_BYTES, read_regular_file

    raw = read_regular_file(path, what="weather file (CSV)", max_bytes=WEATHER_FILE_MAX_BYTES)
    try:
        return pd.read_csv(
            io.BytesIO(raw),
            dtype=str,
            comment="#",
            skipinitialspace=True,
            keep_default_na=False,
            encoding="utf-8",
        )
    except (
        OSError,
        UnicodeDecodeError,
        ValueError,
    ) as exc:  # pandas' parser errors are ValueErrors
        raise DistrictError(
            f"cannot be read as CSV ({type(exc).__name__}: {_short(str(exc), 120)})",
            file=str(path),
        ) from None


def _short(text: str, n: int = 24) -> str:
    """``text`` cut to ``n`` characters, with control characters shown as escapes."""
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= n else text[: n - 1] + "…"


def _columns(raw: pd.DataFrame) -> str:
    """The first column names of a CSV, each shortened, for a message."""
    names = [repr(_short(str(c))) for c in raw.columns[:5]]
    more = f" and {len(raw.columns) - 5} more" if len(raw.columns) > 5 else ""
    return f"[{', '.join(names)}{more}]"


def _to_float(text: str) -> float:
    """The number a text says, or NaN (also for Python's ``1_0``, which no CSV means as 10)."""
    if "_" in text:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return math.nan


def _numeric_column(raw: pd.DataFrame, col: str, path: Path) -> FloatArray:
    """A column as floats; a blank, non-numeric or out-of-range entry is a DistrictError."""
    text = raw[col].astype(str).str.strip()
    # Python's float() reads every digit exactly (pandas' fast parser may round the last one)
    values = np.fromiter((_to_float(x) for x in text), dtype=float, count=len(text))
    blank = text.isin(["", "nan", "NaN", "NA", "null"]).to_numpy()
    for mask, what in (
        (blank, "is missing (NaN)"),
        (~np.isfinite(values) & ~blank, "is not a number"),
    ):
        if mask.any():
            i = int(np.argmax(mask))
            raise DistrictError(
                f"row {i + 1} (value {_short(text.iloc[i])!r}) {what}; expected a number in °C",
                file=str(path),
                key=col,
            )
    if col != "month":
        lo, hi = _T_LIMITS_C
        out = (values < lo) | (values > hi)
        if out.any():
            i = int(np.argmax(out))
            raise DistrictError(
                f"row {i + 1}: {values[i]} °C is outside {lo:g}..{hi:g} °C", file=str(path), key=col
            )
    return values


def _read_weather_file(path: Path) -> tuple[pd.DatetimeIndex, FloatArray]:
    import pandas as pd

    raw = _read_csv(path)
    for c in ("time", "T_out_C"):
        if c not in raw.columns:
            raise DistrictError(
                f"missing column {c!r}; found {_columns(raw)}, expected 'time' and 'T_out_C'",
                file=str(path),
                key=c,
            )
    n = len(raw)
    if n not in (HOURS_PER_YEAR, HOURS_PER_YEAR + 24):
        raise DistrictError(
            f"got {n} data rows; expected 8760 hourly rows (8784 for a leap year)",
            file=str(path),
            key="time",
        )
    text = raw["time"].astype(str).str.strip()
    try:
        with warnings.catch_warnings():  # odd formats are reported below as unparsable rows
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except (ValueError, TypeError) as exc:  # e.g. mixed UTC offsets
        raise DistrictError(
            f"timestamps could not be parsed ({_short(str(exc), 120)}); expected ISO 8601",
            file=str(path),
            key="time",
        ) from None
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        raise DistrictError(
            "timestamps could not be parsed; expected ISO 8601", file=str(path), key="time"
        )
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_convert("Etc/GMT-1").dt.tz_localize(None)  # to CET, UTC+1
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DistrictError(
            f"row {i + 1} (value {_short(text.iloc[i])!r}) is not an ISO 8601 timestamp",
            file=str(path),
            key="time",
        )
    times = pd.DatetimeIndex(parsed)
    T = _numeric_column(raw, "T_out_C", path)
    year = int(times[0].year)
    expected_full = pd.date_range(
        f"{year:04d}-01-01", periods=8784 if calendar.isleap(year) else 8760, freq="h"
    )
    if len(times) == len(expected_full):
        mismatch = times != expected_full
    elif len(times) == HOURS_PER_YEAR and calendar.isleap(year):  # leap year given without 29 Feb
        mismatch = times != typical_year_index(year)
    else:
        raise DistrictError(
            f"got {n} rows for year {year}; expected {len(expected_full)} hourly rows",
            file=str(path),
            key="time",
        )
    if mismatch.any():
        i = int(np.argmax(mismatch))
        raise DistrictError(
            f"row {i + 1}: {times[i]} breaks the hourly sequence; expected one row per hour from "
            f"{year}-01-01 00:00 to {year}-12-31 23:00",
            file=str(path),
            key="time",
        )
    keep = ~((times.month == 2) & (times.day == 29))
    return pd.DatetimeIndex(times[keep], name="time"), T[np.asarray(keep)]
