"""Non-residential buildings heated in a heating season (a park's offices and halls).

A ``buildings`` source releases the space-heating demand of a floor area: an
annual heat use per square metre, spread over the hours of a fixed heating
season (the dates a city's district heating runs, as Beijing's 15 November
to 15 March) in proportion to the degree hours below a base temperature.
It releases no water and no hot-water or charging demand.

The annual total is set exactly by the floor area and the heat use per
square metre: the figure is given for the weather in use (no correction
between climates, unlike the households' reference climate), and the
weather says only *when* in the season the heat is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nexus.registry import NodeInputs, NodeResult, Output, SourceType, register
from nexus.sources import _scaled, in_window
from nexus.units.params import Params, field

if TYPE_CHECKING:
    import pandas as pd

    from nexus._typing import FloatArray

__all__ = ["BuildingsParams", "BuildingsType", "in_season", "season_heating_kW"]

_BERC = (
    "Building Energy Research Center of Tsinghua University (2024), Decarbonize Urban "
    "Heating System, ch. 3 'Present Situation of Urban Heating in China' (Springer, open "
    "access): northern urban heating area 15.6 billion m2 needs about 5.95 billion GJ of "
    "heat, 0.381 GJ/m2 = 106 kWh/m2 per heating season"
)
_SEASON = (
    "Beijing Municipal Government, 'Home heating' (english.beijing.gov.cn, 2020): the "
    "heating season runs from 15 November to 15 March of the next year"
)


@dataclass(frozen=True, kw_only=True)
class BuildingsParams(Params):
    """Floor area, heat use per square metre and heating season of a group of buildings."""

    floor_area_m2: float = field(
        0.0,
        unit="m2",
        low=0.0,
        high=1e8,
        source="district file",
        doc="heated floor area",
    )
    space_heating_kWh_m2: float = field(
        106.0,
        unit="kWh m-2",
        low=0.0,
        high=500.0,
        source=_BERC,
        doc="space heat per square metre of floor area per heating season",
    )
    season_start_day: float = field(
        319.0,
        unit="d",
        low=1.0,
        high=365.0,
        source=f"{_SEASON}: 15 November is day 319 of a 365-day year",
        doc="first day of the heating season (day of year)",
    )
    season_end_day: float = field(
        74.0,
        unit="d",
        low=1.0,
        high=365.0,
        source=f"{_SEASON}: 15 March is day 74 of a 365-day year",
        doc="last day of the heating season (day of year; before the start: across New Year)",
    )
    heating_base_T_C: float = field(
        18.0,
        unit="degC",
        low=10.0,
        high=25.0,
        source="China Daily (19 March 2010), 'Cost of heating to rely on usage': the "
        "standard indoor temperature of Beijing's heating is 18 C",
        doc="base temperature of the degree hours",
    )


def in_season(time: pd.DatetimeIndex, start_day: float, end_day: float) -> FloatArray:
    """Whether each hour lies in the heating season (1.0) or not (0.0).

    Parameters
    ----------
    time : pandas.DatetimeIndex
        Start of each hourly step (365-day years: ``nexus.weather`` drops 29 February).
    start_day, end_day : float
        First and last day of the season (day of year, 1-365); a start after
        the end is a season across New Year.

    Returns
    -------
    numpy.ndarray
        1.0 in the season, 0.0 outside [1].

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DatetimeIndex(["2025-01-10", "2025-06-01", "2025-12-01"])
    >>> print(in_season(t, 319, 74))
    [1. 0. 1.]
    """
    day = np.asarray(time.dayofyear, dtype=float)
    return in_window(day, start_day, end_day, end_included=True).astype(float)


def season_heating_kW(
    T_out_C: FloatArray, time: pd.DatetimeIndex, params: BuildingsParams
) -> FloatArray:
    r"""Hourly space-heating demand of the buildings [kW].

    Parameters
    ----------
    T_out_C : numpy.ndarray
        Outdoor air temperature [degC].
    time : pandas.DatetimeIndex
        Its hours.
    params : BuildingsParams
        Floor area, heat use per m2, season and base temperature.

    Returns
    -------
    numpy.ndarray
        :math:`A\,q\,w_t/\sum w`, with :math:`w_t = s_t \max(0, T_b - T_t)` the
        degree hours in the season (:math:`s_t` = :func:`in_season`); if the
        season has no degree hour, the heat is spread evenly over its hours.
        Sums to :math:`A\,q` [kWh] over the year.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.date_range("2025-01-01", periods=3, freq="h")
    >>> p = BuildingsParams(floor_area_m2=1.0, space_heating_kWh_m2=6.0)
    >>> print(season_heating_kW(np.array([8.0, 18.0, 16.0]), t, p))
    [5. 0. 1.]
    """
    s = in_season(time, params.season_start_day, params.season_end_day)
    w = s * np.maximum(params.heating_base_T_C - np.asarray(T_out_C, dtype=float), 0.0)
    if not w.sum() > 0.0:  # a season without a cold hour: spread over its hours
        w = s
    if not w.sum() > 0.0:  # no day of the season in the hours run
        return np.zeros_like(w)
    return _scaled(w, params.floor_area_m2 * params.space_heating_kWh_m2, "buildings")


class BuildingsType(SourceType):
    """Buildings heated in a season: their space-heating demand, for a heat network."""

    name = "buildings"
    description = "non-residential buildings: space heating over a heating season"
    params = BuildingsParams
    outputs = (Output("space_heating_kW", "kW", "space-heating demand", role="heat_demand"),)

    def run(self, params: BuildingsParams, inputs: NodeInputs) -> NodeResult:
        """:func:`season_heating_kW` of the weather."""
        heat = season_heating_kW(inputs.T_out_C, inputs.time, params)
        return NodeResult(
            source_demand_kW={"space_heating": heat}, outputs={"space_heating_kW": heat}
        )


register(BuildingsType())
