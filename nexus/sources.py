"""Household flows of a district over one year, hour by hour.

:func:`household_profiles` turns per-capita figures and the weather into
hourly series of the five wastewater streams (shower, washbasin, kitchen,
laundry, vacuum-toilet black water), ground kitchen waste, the stream
temperatures, and the space-heating, domestic hot-water (DHW) and
electric-vehicle (EV) demands. Every annual total is set exactly by its
argument and, for the two heat demands, by the weather (below); the shapes
say only *when* it happens.

Defaults for a Dutch district
-----------------------------
:data:`DUTCH_DEFAULTS` holds, for every figure argument, a value and where it
comes from. Figures marked ASSUMPTION or "not verified" are flagged so; none
is a made-up number presented as a published one.

============================= ================= ============================================================
argument                      default           source (short; full text in ``DUTCH_DEFAULTS``)
============================= ================= ============================================================
shower_L_p_d                  46.2              Vewin WGT 2021 via Waternet "Average water use" [2]_: shower
washbasin_L_p_d               8.7               same table: sink (washbasin)
kitchen_L_p_d                 3.9               same table: washing up by hand 1.0 + dishwasher 2.9
laundry_L_p_d                 17.5              same table: washing machine 16.9 + washing by hand 0.6
blackwater_L_p_d              6.0               Zeeman (2012): vacuum toilets, at most 6 L per day (Sneek)
kitchen_waste_kg_p_d          0.15              midpoint of 0.1-0.2 kg (project reference sheet; not verified)
shower_use_T_C                38.0              midpoint of 35.5-40.4 °C shower means (Marszal-Pomianowska 2021 [4]_)
shower_drain_loss_frac        0.17              NEN 7120 A1 loss before the shower heat exchanger (via bureau Kent)
washbasin_use_T_C             23.5              midpoint of 20.5-26.5 °C hand washing (Marszal-Pomianowska 2021 [4]_)
kitchen_drain_T_C             28.0              mean greywater temperature ~28 °C (J. Water Reuse Desal. 14:564)
laundry_drain_T_C             28.0              same (per-tap means not read)
blackwater_T_C                20.0              ASSUMPTION (no published figure found)
reference_climate             de_bilt_1981_2010 CBS StatLine 80182NED: 10.1 °C, 2,884 degree days (base 18 °C)
space_heating_ref_kWh_home_yr 2770              < 350 m3 gas/yr (RVO) x 8.79 kWh/m3 x 0.9
heating_base_T_C              18.0              CBS definition of degree days (stookgrens 18 °C)
dhw_ref_kWh_p_yr              1079.0            300 m3 gas/household (Milieu Centraal) x 8.79 x 0.9 / 2.2
ev_kWh_home_yr                1945.62           10,809 km (CBS 2022, private car) x 0.18 kWh/km
============================= ================= ============================================================

The greywater defaults add up to 76.3 L per person per day, inside the
68-85 L reported by Kujawa-Roeleveld & Zeeman (2006) [3]_.

Patterns
--------
*Diurnal.* No table of published hourly fractions per end use was at hand,
so the shapes are **built by us from cited facts**, not taken from SIMDEUM
(Blokker, Vreeburg & van Dijk 2010 [1]_), whose stochastic end-use structure they
only follow in spirit (one pattern per end use, different on weekdays and
weekends): Dutch water companies name 07:00-09:00 and 18:00-22:00 as the
peak hours of household use (Volkskrant 2018; Vitens and PWN in NU.nl
2018), with a morning peak before work and an evening peak around 20:00
(Vewin press release on the June 2005 heat wave, emea.nl); KWR (BTO 2016.004)
finds distinct weekday and weekend patterns. Each shape is a sum of
circular Gaussian bumps on a small night floor:

- shower: morning peak 07:30 on weekdays (09:30 at weekends, a 2-hour shift
  that is our assumption), evening peak 21:00;
- washbasin: morning and late-evening peaks over a daytime plateau;
- black water (toilet): plateau through the waking day 07:00-23:00 plus a
  morning peak;
- kitchen: meals at 08:00, 12:30 and 18:30 (weekends 10:00, 13:00, 18:30)
  and washing up after dinner;
- laundry: daytime, centred at 13:00 on weekdays and 11:00 at weekends.

Kitchen waste follows the kitchen pattern. The 24 hourly fractions of every
pattern are in :data:`DIURNAL_PATTERNS`.

*Seasonal.* Shower and washbasin use is scaled by
``1 + 0.05 cos(2 pi (d - 196) / 365)`` (highest in mid July). The direction,
more showering in warm weather, is reported by CBS/CLO (household water use
indicator 1995-2016) and by Vewin (30-50 % more per customer on the hottest
day of the June 2005 heat wave, partly for more showers); the amplitude of 5 % is
**our assumption**. Other water uses have no seasonal term.

*EV.* ElaadNL describes home charging as plugging in on return from work
"between five and seven" at 3.7 to 11 kW (ElaadNL, "Thuisladen"); cars are
used again in the morning. Weekday arrivals are spread evenly over
17:00-19:00, weekend arrivals over 12:00-20:00 (our assumption), each car
charges at 3.7 kW until the day's mean energy is delivered. No seasonal term.

*Space heating* follows degree hours, ``max(0, heating_base_T_C - T_out_C)``,
hour by hour; its **annual total follows the weather's degree days**:
``space_heating_ref_kWh_home_yr`` is the demand in a year of the reference
climate (a De Bilt normal of CBS, :func:`nexus.weather.reference_climates`),
and a weather year with more degree days (CBS definition, 18 °C minus the
daily mean) needs proportionally more: total = reference x HDD(weather) /
HDD(reference). Degree days rather than a building model, because the one
cited figure for new Dutch homes (RVO) is an annual total with no heat-loss
coefficient or gains behind it in the sources read, and degree days are how
CBS and the Dutch energy companies correct heating gas for the weather.

*DHW* follows ``sum_s V_s(t) max(0, T_use,s - T_mains(t))`` over shower,
washbasin and kitchen: by the mixing balance, the hot fraction of a draw
times (T_hot - T_mains) equals the draw times (T_use - T_mains). Its **annual
total follows the mains temperature**: ``dhw_ref_kWh_p_yr`` holds at the
reference climate's annual mean mains temperature (the Burch & Christensen
correlation of :mod:`nexus.weather` at the climate's normal, 13.4 °C for De
Bilt 1981-2010), and the year's total is that reference times the ratio of
the year's tap heat to the tap heat at that mains temperature; colder mains,
more energy. Use temperatures: the shower and washbasin temperatures; the
kitchen sink's drain temperature stands in for its use temperature. Laundry
and dishwashers take cold water and heat it electrically in the Netherlands,
so they are not DHW.

*Noise.* Each hourly value of each flow is multiplied by an independent
lognormal factor of mean 1 and coefficient of variation ``noise_frac``, drawn
from ``numpy.random.default_rng(seed)`` in a fixed order; the annual totals
are then restored exactly.

*Temperatures* at the drain. People choose the shower temperature
(``shower_use_T_C``) whatever the season; on its way to the drain the water
loses ``shower_drain_loss_frac`` of its heat above the mains (NEN 7120 A1
accounting), so the shower drain runs at 33.2 °C in winter and 34.3 °C in
summer with the packaged mains: the shower heat exchanger sees shower water,
not mixed greywater. Washbasin water drains at its use temperature. The
kitchen sink and the washing machine keep the measured overall greywater mean
(28 °C) all year: no per-tap or seasonal measurement of them was retrieved.

References
----------
.. [1] Blokker, E. J. M., Vreeburg, J. H. G. & van Dijk, J. C. (2010).
   Simulating residential water demand with a stochastic end-use model.
   J. Water Resour. Plann. Manage. 136(1), 19-26.
   doi:10.1061/(ASCE)WR.1943-5452.0000002
.. [2] Waternet, "Average water use" (waternet.nl/en/service-and-contact/
   tap-water/average-water-use), table "Average tap water use 2021 (per
   person)", source Vewin kerngegevens drinkwater (Watergebruik Thuis 2021,
   CBS for Vewin).
.. [3] Kujawa-Roeleveld, K. & Zeeman, G. (2006). Anaerobic treatment in
   decentralised and source-separation-based sanitation concepts. Rev.
   Environ. Sci. Biotechnol. 5, 115-139. doi:10.1007/s11157-005-5789-9
.. [4] Marszal-Pomianowska, A., Jensen, R. L., Pomianowski, M., Larsen,
   O. K., Jørgensen, J. S. & Knudsen, S. S. (2021). Comfort of domestic
   water in residential buildings: flow, temperature and energy in draw-off
   points: field study in two Danish detached houses. Energies 14(11), 3314.
   doi:10.3390/en14113314
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from numbers import Real
from typing import TYPE_CHECKING, cast

import numpy as np

from nexus.components import INDEX, N_COMPONENTS
from nexus.constants import DAYS_PER_YEAR, HOURS_PER_YEAR, CV_WATER_kWh_m3K
from nexus.errors import ParameterError
from nexus.registry import NodeInputs, NodeResult, Output, Port, SourceType, register
from nexus.streams import Stream

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pandas as pd
    from numpy.typing import ArrayLike
    from pydantic import BaseModel

    from nexus._typing import BoolArray, FloatArray
    from nexus.schema import Households, LoadsPerCapita
    from nexus.weather import ReferenceClimate

__all__ = [
    "DIURNAL_PATTERNS",
    "DUTCH_DEFAULTS",
    "HouseholdProfiles",
    "HouseholdsType",
    "household_profiles",
    "household_streams",
    "in_window",
    "shower_drain_temperature",
]

_WGT = (
    "Waternet, 'Average water use', table 'Average tap water use 2021 (per person)' "
    "(source: Vewin kerngegevens drinkwater, Watergebruik Thuis 2021)"
)
_GREY_T = (
    "overall mean of about 28 °C (tap-specific ranges 16-50 °C) of greywater measured at a "
    "house-central collection point with 3-s resolution: 'Measurement and thermal "
    "characterization of graywater ...', J. Water Reuse Desal. 14(4), 564 (IWA Publishing); "
    "per-tap means were not read, so the kitchen sink and the washing machine, which have no "
    "figure of their own here, get the overall mean, constant through the year"
)

#: Default figures for a Dutch district: argument name -> (value, source).
DUTCH_DEFAULTS: dict[str, tuple[float | str, str]] = {
    "shower_L_p_d": (
        46.2,
        f"{_WGT}: 'Shower' 46.2 L per person per day (bathing, 5.3 L, not included)",
    ),
    "washbasin_L_p_d": (8.7, f"{_WGT}: 'Sink' 8.7 L per person per day (4.6 L per use)"),
    "kitchen_L_p_d": (
        3.9,
        f"{_WGT}: 'Washing up (by hand)' 1.0 + dishwasher 2.9 L per person per day (the dishwasher "
        "row is printed as 'Washing machine' a second time; 11.7 L per use identifies it); "
        "'Consumption' 2.6 L and 'Other' 12.8 L are not counted",
    ),
    "laundry_L_p_d": (17.5, f"{_WGT}: 'Washing machine' 16.9 + 'Washing clothes (by hand)' 0.6 L"),
    "blackwater_L_p_d": (
        6.0,
        "G. Zeeman, inaugural lecture 'Nieuwe publieke sanitatie', Wageningen University, 13 Sept "
        "2012, as reported by waterwonderen.nl: vacuum toilets (1 L per flush, Sneek) cut toilet "
        "water from about 36 to at most 6 L per person per day; within the 5-7.5 L of "
        "Kujawa-Roeleveld & Zeeman (2006)",
    ),
    "kitchen_waste_kg_p_d": (
        0.15,
        "midpoint of the 0.1-0.2 kg wet per person per day listed in the project's reference "
        "sheet (shared/reference/loads_and_units.md, citing Wendland 2008 and the Sneek reports); "
        "NOT verified against those originals",
    ),
    "shower_use_T_C": (
        38.0,
        "mixed water at the shower head: 38 °C, the midpoint of the 35.5-40.4 °C that the shower "
        "units of two Danish homes drew on average (Marszal-Pomianowska et al. 2021, Energies "
        "14(11):3314, abstract); 38 °C is also the 'gewenste douchetemperatuur' of the Dutch "
        "trade press on shower heat recovery (EW Installatietechniek, May 2016, 'Water... daar zit "
        "wat in!')",
    ),
    "shower_drain_loss_frac": (
        0.17,
        "share of the shower water's heat above the cold water that is lost between the shower "
        "head and the drain-water heat exchanger inlet: 17 % in NEN 7120 amendment A1 (up from "
        "10 %), as reported by bureau Kent, 'Gewijzigd in EPC: douchewater-wtw's'; NEN 7120 itself "
        "was not read. For comparison, California's CSE engine assumes a drop of 4.6 °F (2.6 K) "
        "to the heat-recovery drain inlet (cse-sim/cse, DHWHEATREC wrTDInDiff), close to the old "
        "10 % at Dutch mains temperatures",
    ),
    "washbasin_use_T_C": (
        23.5,
        "hand washing at the washbasin: 23.5 °C, the midpoint of the 20.5-26.5 °C average draw "
        "temperatures measured in two Danish homes (Marszal-Pomianowska et al. 2021, Energies "
        "14(11):3314, abstract); the water reaches the drain within seconds, so its loss on the "
        "way is neglected (ASSUMPTION)",
    ),
    "kitchen_drain_T_C": (28.0, _GREY_T),
    "laundry_drain_T_C": (28.0, _GREY_T),
    "blackwater_T_C": (
        20.0,
        "ASSUMPTION, no published figure found: flush water from the mains (10-16 °C in the "
        "packaged Amsterdam year) warmed by urine and faeces at body temperature and by the "
        "indoor vacuum collection",
    ),
    "reference_climate": (
        "de_bilt_1981_2010",
        "the climate the two reference demands below are given for: the De Bilt normal "
        "1981-2010 (10.1 °C, 2,884 degree days base 18 °C; CBS StatLine 80182NED). RVO and "
        "Milieu Centraal do not state the climate year of their figures in the sources read; "
        "the most recent normal of the CBS table is taken (ASSUMPTION)",
    ),
    "space_heating_ref_kWh_home_yr": (
        2770.0,
        "in a year of the reference climate: new Dutch homes need less than 350 m3 natural gas a "
        "year for heating (RVO calculations, as reported by van de Griendt & de Vries, "
        "'Energieprestaties nieuwbouwwoningen deel 1') x 8.79 kWh/m3 (31.65 MJ/m3, lower heating "
        "value of Groningen-quality gas) x 0.9 (boiler efficiency, ASSUMPTION) = 2769 kWh of "
        "heat; an upper bound for homes built after 2018. (The 2018 concept BENG 1 limit of "
        "70 kWh/m2 x 80 m2 would give 5600, a limit rather than a typical value.)",
    ),
    "heating_base_T_C": (
        18.0,
        "CBS, 'Definitie graaddagen': degree days count below a heating threshold (stookgrens) "
        "of 18 °C",
    ),
    "dhw_ref_kWh_p_yr": (
        1079.0,
        "at the reference climate's mains temperature: 300 m3 natural gas a year for hot water "
        "in an average household (Milieu Centraal, in NU.nl 2023) x 8.79 kWh/m3 (31.65 MJ/m3, "
        "lower heating value of Groningen-quality gas) x 0.9 (boiler efficiency, ASSUMPTION) / "
        "2.2 persons per average household (milieucentraal.nl, 2013/2014)",
    ),
    "ev_kWh_home_yr": (
        1945.62,
        "10,809 km a year, average of privately owned passenger cars in 2022 (CBS StatLine "
        "85404NED, provisional) x 0.18 kWh/km, the midpoint of 0.15-0.21 kWh/km (EV Database "
        "averages as listed in shared/reference/loads_and_units.md; not verified). Assumes one "
        "private, fully electric car per home",
    ),
}


def _bumps(spec: Iterable[tuple[float, float, float]], floor: float) -> FloatArray:
    """24 hourly fractions (sum 1): circular Gaussian bumps (centre h, width h, weight) + floor."""
    t = np.arange(24) + 0.5
    y = np.full(24, floor, dtype=float)
    for centre, width, weight in spec:
        d = (t - centre + 12.0) % 24.0 - 12.0
        y += weight * np.exp(-0.5 * (d / width) ** 2)
    return y / y.sum()


def _plateau(start: float, end: float, weight: float) -> list[tuple[float, float, float]]:
    """A near-flat plateau from ``start`` to ``end`` made of overlapping bumps."""
    centres = np.arange(start + 0.5, end, 1.0)
    return [(float(c), 0.8, weight / len(centres)) for c in centres]


def _diurnal_patterns() -> dict[str, FloatArray]:
    night = 0.005
    pats = {
        "shower": (
            [(7.5, 1.0, 0.55), (21.0, 1.5, 0.35)],
            [(9.5, 1.5, 0.55), (21.0, 1.5, 0.35)],
        ),
        "washbasin": (
            [(7.5, 1.0, 0.3), (22.0, 1.0, 0.25), *_plateau(8, 22, 0.45)],
            [(9.5, 1.5, 0.3), (22.5, 1.0, 0.25), *_plateau(10, 22, 0.45)],
        ),
        "blackwater": (
            [(7.5, 1.0, 0.2), *_plateau(7, 23, 0.8)],
            [(9.5, 1.5, 0.2), *_plateau(8, 24, 0.8)],
        ),
        "kitchen": (
            [(8.0, 0.8, 0.15), (12.5, 0.8, 0.2), (18.5, 1.0, 0.45), (20.5, 1.0, 0.2)],
            [(10.0, 1.0, 0.2), (13.0, 1.0, 0.2), (18.5, 1.0, 0.4), (20.5, 1.0, 0.2)],
        ),
        "laundry": (
            [(13.0, 3.0, 1.0), (20.0, 1.5, 0.25)],
            [(11.0, 2.5, 1.0), (15.0, 2.0, 0.5)],
        ),
    }
    out = {}
    for name, (weekday, weekend) in pats.items():
        table = np.vstack([_bumps(weekday, night), _bumps(weekend, night)])
        table.setflags(write=False)
        out[name] = table
    return out


#: Hourly fractions of a day's volume, ``[0]`` weekdays, ``[1]`` weekends
#: (Saturday, Sunday); columns are the hours 00:00-01:00 ... 23:00-24:00.
DIURNAL_PATTERNS: dict[str, FloatArray] = _diurnal_patterns()

_SEASONAL_AMP = 0.05  # shower and washbasin, our assumption (see module docstring)
_EV_ARRIVAL_H = ((17.0, 19.0), (12.0, 20.0))  # weekday (ElaadNL), weekend (assumption)
_EV_POWER_kW = 3.7  # lower end of 3.7-11 kW home charging (ElaadNL)


def _ev_pattern(daily_kWh: float) -> FloatArray:
    """(2, 24) hourly fractions of EV charging for weekdays and weekends (circular day)."""
    # At least a minute of charging: a vanishing duration would leave no hour to place the energy in
    # (the annual total is rescaled afterwards, so the floor changes only the shape of tiny loads).
    duration = min(max(daily_kWh / _EV_POWER_kW, 1.0 / 60.0), 23.0)
    out = np.empty((2, 24))
    h = np.arange(24.0)
    for k, (a0, a1) in enumerate(_EV_ARRIVAL_H):
        starts = np.linspace(a0, a1, 241)[:-1] + (a1 - a0) / 480.0  # midpoints of 240 slices
        ends = starts + duration
        frac = np.zeros(24)
        for shift in (0.0, 24.0):  # charging past midnight wraps to the early hours
            lo = np.maximum(starts[:, None] - shift, h[None, :])
            hi = np.minimum(ends[:, None] - shift, h[None, :] + 1.0)
            frac += np.clip(hi - lo, 0.0, None).sum(axis=0)
        out[k] = frac / frac.sum()
    return out


@dataclass(frozen=True)
class HouseholdProfiles:
    """Hourly household flows over one year (each array: 8760 hourly means, read-only).

    Attributes
    ----------
    time : pandas.DatetimeIndex
        The hours (the weather's index).
    shower_m3_h, washbasin_m3_h, kitchen_m3_h, laundry_m3_h : numpy.ndarray
        Greywater from each end use [m3/h].
    blackwater_m3_h : numpy.ndarray
        Vacuum-toilet black water [m3/h].
    kitchen_waste_kg_h : numpy.ndarray
        Ground kitchen waste, wet mass [kg/h].
    shower_T_C, washbasin_T_C, kitchen_T_C, laundry_T_C, blackwater_T_C : numpy.ndarray
        Temperature of each stream at the drain [°C].
    space_heating_kW, dhw_kW, ev_kW : numpy.ndarray
        Space-heating heat, hot-water heat and EV charging demand [kW = kWh/h].
    """

    time: pd.DatetimeIndex
    shower_m3_h: FloatArray
    washbasin_m3_h: FloatArray
    kitchen_m3_h: FloatArray
    laundry_m3_h: FloatArray
    blackwater_m3_h: FloatArray
    kitchen_waste_kg_h: FloatArray
    shower_T_C: FloatArray
    washbasin_T_C: FloatArray
    kitchen_T_C: FloatArray
    laundry_T_C: FloatArray
    blackwater_T_C: FloatArray
    space_heating_kW: FloatArray
    dhw_kW: FloatArray
    ev_kW: FloatArray

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)


def _check_number(name: str, value: object, *, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ParameterError(f"{name}: got {value!r}; expected a number")
    v = float(value)
    if not math.isfinite(v) or v < 0 or (upper is not None and v > upper):
        rng = f"0..{upper:g}" if upper is not None else ">= 0"
        raise ParameterError(f"{name}: got {v!r}; expected a finite number {rng}")
    return v


def _check_weather(weather: object) -> tuple[pd.DatetimeIndex, FloatArray, FloatArray]:
    import pandas as pd

    if not isinstance(weather, pd.DataFrame) or not isinstance(weather.index, pd.DatetimeIndex):
        raise ParameterError(
            "weather: expected a pandas.DataFrame with a DatetimeIndex (see load_weather)"
        )
    for col in ("T_out_C", "T_mains_C"):
        if col not in weather.columns:
            raise ParameterError(
                f"weather: missing column {col!r}; expected 'T_out_C' and 'T_mains_C'"
            )
    if len(weather) != HOURS_PER_YEAR:
        raise ParameterError(f"weather: got {len(weather)} rows; expected {HOURS_PER_YEAR} hours")
    T_out = weather["T_out_C"].to_numpy(dtype=float)
    T_mains = weather["T_mains_C"].to_numpy(dtype=float)
    for col, arr in (("T_out_C", T_out), ("T_mains_C", T_mains)):
        if not np.all(np.isfinite(arr)):
            raise ParameterError(
                f"weather: column {col!r} has NaN or infinite values; expected finite °C"
            )
    return weather.index, T_out, T_mains


def _check_climate_name(name: object) -> ReferenceClimate:
    from nexus.weather import reference_climates

    known = reference_climates()
    if not isinstance(name, str) or name not in known:
        raise ParameterError(
            f"reference_climate: got {name!r}; expected one of: {', '.join(sorted(known))}"
        )
    return known[name]


def shower_drain_temperature(
    shower_use_T_C: ArrayLike, T_mains_C: ArrayLike, shower_drain_loss_frac: ArrayLike
) -> FloatArray:
    """Temperature of shower water reaching the drain (the heat exchanger's drain inlet).

    .. math::  T_{drain} = T_{use} - f_{loss}\\,\\max(0,\\; T_{use} - T_{mains})

    The loss is a share of the heat the shower water carries above the cold
    water, as NEN 7120 (amendment A1: 17 %) accounts for the heat lost between
    the shower and the inlet of a shower heat exchanger.

    Parameters
    ----------
    shower_use_T_C : array_like
        Mixed water temperature at the shower head [°C].
    T_mains_C : array_like
        Cold (mains) water temperature [°C].
    shower_drain_loss_frac : array_like
        Share of the heat above the mains lost before the drain [-], 0..1.

    Returns
    -------
    numpy.ndarray
        Drain temperature [°C], broadcast shape; NaN where an input is NaN.

    Examples
    --------
    >>> float(shower_drain_temperature(38.0, 10.0, 0.17))
    33.24
    """
    T_use, T_cold, f = (
        np.asarray(x, dtype=float) for x in (shower_use_T_C, T_mains_C, shower_drain_loss_frac)
    )
    return np.asarray(T_use - f * np.maximum(0.0, T_use - T_cold), dtype=float)


def in_window(x: FloatArray, start: float, end: float, *, end_included: bool) -> BoolArray:
    """Whether each ``x`` (an hour of the day, a day of the year) lies from ``start`` to
    ``end``, a window that wraps around (the night shift 22-6, the heating season from
    November to March) where ``start`` > ``end``.

    Examples
    --------
    >>> print(in_window(np.array([1.0, 12.0, 23.0]), 22.0, 6.0, end_included=False))
    [ True False  True]
    """
    before_end = x <= end if end_included else x < end
    return (x >= start) & before_end if start <= end else (x >= start) | before_end


def _scaled(shape: FloatArray, total: float, name: str) -> FloatArray:
    """``shape`` scaled so that its sum is ``total`` (zeros when ``total`` is 0)."""
    if total == 0.0:
        return np.zeros_like(shape)
    s = shape.sum()
    if not s > 0.0:
        raise ParameterError(
            f"{name}: the hourly pattern is zero all year, so a total of {total:g} cannot be placed"
        )
    return shape * (total / s)


def household_profiles(
    *,
    weather: pd.DataFrame,
    residents: float,
    homes: float,
    shower_L_p_d: float,
    washbasin_L_p_d: float,
    kitchen_L_p_d: float,
    laundry_L_p_d: float,
    blackwater_L_p_d: float,
    kitchen_waste_kg_p_d: float,
    shower_use_T_C: float,
    shower_drain_loss_frac: float,
    washbasin_use_T_C: float,
    kitchen_drain_T_C: float,
    laundry_drain_T_C: float,
    blackwater_T_C: float,
    reference_climate: str,
    space_heating_ref_kWh_home_yr: float,
    heating_base_T_C: float,
    dhw_ref_kWh_p_yr: float,
    ev_kWh_home_yr: float,
    noise_frac: float,
    seed: int,
) -> HouseholdProfiles:
    """Hourly water, kitchen-waste, heat and EV profiles of a group of homes for one year.

    Parameters
    ----------
    weather : pandas.DataFrame
        Output of :func:`nexus.weather.load_weather`: 8760 hours, columns
        ``T_out_C`` and ``T_mains_C`` [°C].
    residents : float
        Number of residents [-], >= 0 (0 gives all-zero flows).
    homes : float
        Number of homes [-], >= 0; scales space heating and EV charging.
    shower_L_p_d, washbasin_L_p_d, kitchen_L_p_d, laundry_L_p_d : float
        Greywater volume per person per day of each end use [L/(person d)].
    blackwater_L_p_d : float
        Vacuum-toilet black water per person per day [L/(person d)].
    kitchen_waste_kg_p_d : float
        Ground kitchen waste per person per day, wet [kg/(person d)].
    shower_use_T_C : float
        Mixed water temperature at the shower head [°C], 0..100.
    shower_drain_loss_frac : float
        Share of the shower water's heat above the mains that is lost before the
        drain (to the body, the air and the tray) [-], 0..1.
    washbasin_use_T_C : float
        Temperature of washbasin water at the tap and at the drain [°C], 0..100.
    kitchen_drain_T_C, laundry_drain_T_C : float
        Temperature of kitchen-sink and washing-machine water at the drain [°C], 0..100.
    blackwater_T_C : float
        Black-water temperature [°C], 0..100.
    reference_climate : str
        Name of the climate the two reference demands are given for, a key of
        :func:`nexus.weather.reference_climates`; the weather must be a year
        of that climate (:func:`nexus.weather.check_climate`).
    space_heating_ref_kWh_home_yr : float
        Space-heating heat demand per home in a year of the reference climate
        [kWh/(home yr)].
    heating_base_T_C : float
        Outdoor temperature above which no space heating is needed [°C], 0..100;
        it sets the hourly shape only.
    dhw_ref_kWh_p_yr : float
        Domestic hot-water heat demand per person at the reference climate's
        mains temperature [kWh/(person yr)].
    ev_kWh_home_yr : float
        EV charging energy per home per year [kWh/(home yr)].
    noise_frac : float
        Coefficient of variation of the hourly multiplicative lognormal noise
        [-], 0..1; 0 gives smooth deterministic profiles.
    seed : int
        Seed of ``numpy.random.default_rng``, >= 0. Same seed, same arrays.

    Returns
    -------
    HouseholdProfiles
        Hourly means over the weather's 8760 hours; volumes [m3/h], kitchen
        waste [kg/h], temperatures [°C], heat and electricity [kW].

    Raises
    ------
    nexus.ParameterError
        An argument is negative, non-finite, of the wrong type or out of
        range (the message names it); ``weather`` is malformed or not a year
        of ``reference_climate``; or a non-zero total has nowhere to go (for
        example space heating when the outdoor air never falls below
        ``heating_base_T_C``).

    Notes
    -----
    Annual totals, exact to round-off (365-day year):

    .. math::

        \\sum_t V_s(t) = v_s \\cdot N_{res} \\cdot 365 / 1000, \\quad
        \\sum_t P_{ev}(t) = e_{ev} N_{homes}

        \\sum_t Q_{sh}(t) = q_{sh,ref} N_{homes}\\,
            \\frac{HDD(T_{out})}{HDD_{ref}}, \\qquad
        \\sum_t Q_{dhw}(t) = q_{dhw,ref} N_{res}\\,
            \\frac{\\sum_t \\sum_s V_s(t) \\max(0, T_{use,s} - T_{mains}(t))}
                 {\\sum_t \\sum_s V_s(t) \\max(0, T_{use,s} - \\bar T_{mains,ref})}

    where HDD are the degree days of :func:`nexus.weather.degree_days` at the
    reference climate's base (CBS definition), :math:`HDD_{ref}` those of the
    climate's normal, :math:`\\bar T_{mains,ref}` the annual mean mains
    temperature of the climate (:func:`nexus.weather.mains_annual_mean_C`,
    the same Burch & Christensen correlation that gives :math:`T_{mains}(t)`,
    so a normal year gives a ratio near 1), and s runs over shower, washbasin
    and kitchen with use temperatures ``shower_use_T_C``,
    ``washbasin_use_T_C`` and ``kitchen_drain_T_C``.
    Hourly shapes :math:`V_s \\propto p_s(\\text{day type}, h)\\,
    \\sigma_s(d)\\,\\varepsilon_s(t)`, :math:`Q_{sh} \\propto
    \\max(0, T_{base} - T_{out})\\,\\varepsilon`, :math:`Q_{dhw} \\propto
    \\sum_s V_s \\max(0, T_{use,s} - T_{mains})`, where :math:`p_s` are
    :data:`DIURNAL_PATTERNS`, :math:`\\sigma_s` the seasonal factor and
    :math:`\\varepsilon` the lognormal noise.

    Drain temperatures: the shower drain water is
    :math:`T_{use} - f_{loss} \\max(0, T_{use} - T_{mains}(t))` (NEN 7120 A1
    accounting of the loss before the heat exchanger), so it is cooler in
    winter; washbasin water drains at its use temperature; kitchen, laundry
    and black water are constant. See the module docstring for the sources.

    Examples
    --------
    >>> from nexus.weather import load_weather
    >>> args = {k: v for k, (v, _) in DUTCH_DEFAULTS.items()}
    >>> p = household_profiles(weather=load_weather(), residents=100, homes=50,
    ...                        noise_frac=0.1, seed=1, **args)
    >>> round(float(p.shower_m3_h.sum()), 6)  # 46.2 L x 100 residents x 365 d
    1686.3
    >>> from nexus.weather import degree_days
    >>> hdd = degree_days(load_weather()["T_out_C"])  # packaged Amsterdam year: 2,999 K d
    >>> round(float(p.space_heating_kW.sum()) / (2770.0 * 50 * hdd / 2884.0), 12)
    1.0
    """
    time, T_out, T_mains = _check_weather(weather)
    residents = _check_number("residents", residents)
    homes = _check_number("homes", homes)
    volumes = {
        "shower": _check_number("shower_L_p_d", shower_L_p_d),
        "washbasin": _check_number("washbasin_L_p_d", washbasin_L_p_d),
        "kitchen": _check_number("kitchen_L_p_d", kitchen_L_p_d),
        "laundry": _check_number("laundry_L_p_d", laundry_L_p_d),
        "blackwater": _check_number("blackwater_L_p_d", blackwater_L_p_d),
    }
    waste_kg_p_d = _check_number("kitchen_waste_kg_p_d", kitchen_waste_kg_p_d)
    use_T = {  # temperature at the point of use of the hot-water draws
        "shower": _check_number("shower_use_T_C", shower_use_T_C, upper=100.0),
        "washbasin": _check_number("washbasin_use_T_C", washbasin_use_T_C, upper=100.0),
        "kitchen": _check_number("kitchen_drain_T_C", kitchen_drain_T_C, upper=100.0),
    }
    loss = _check_number("shower_drain_loss_frac", shower_drain_loss_frac, upper=1.0)
    T_laundry = _check_number("laundry_drain_T_C", laundry_drain_T_C, upper=100.0)
    T_black = _check_number("blackwater_T_C", blackwater_T_C, upper=100.0)
    climate = _check_climate_name(reference_climate)
    q_sh = _check_number("space_heating_ref_kWh_home_yr", space_heating_ref_kWh_home_yr)
    T_base = _check_number("heating_base_T_C", heating_base_T_C, upper=100.0)
    q_dhw = _check_number("dhw_ref_kWh_p_yr", dhw_ref_kWh_p_yr)
    e_ev = _check_number("ev_kWh_home_yr", ev_kWh_home_yr)
    cv = _check_number("noise_frac", noise_frac, upper=1.0)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed: got {seed!r}; expected an integer >= 0")

    rng = np.random.default_rng(int(seed))
    sigma2 = math.log1p(cv * cv)

    def noise() -> FloatArray:
        if cv == 0.0:
            return np.ones(HOURS_PER_YEAR)
        return rng.lognormal(mean=-sigma2 / 2.0, sigma=math.sqrt(sigma2), size=HOURS_PER_YEAR)

    weekend = np.asarray(time.day_of_week >= 5, dtype=int)
    hour = np.asarray(time.hour)
    day = np.arange(HOURS_PER_YEAR) // 24  # 0..364, the 365-day year of the weather
    seasonal = 1.0 + _SEASONAL_AMP * np.cos(2.0 * np.pi * (day + 1 - 196) / 365.0)
    days = HOURS_PER_YEAR / 24

    flows = {}
    for (
        name,
        v_L,
    ) in volumes.items():  # fixed order: shower, washbasin, kitchen, laundry, blackwater
        shape = DIURNAL_PATTERNS[name][weekend, hour] * noise()
        if name in ("shower", "washbasin"):
            shape = shape * seasonal
        flows[name] = _scaled(shape, v_L * residents * days / 1000.0, f"{name} volume")
    waste = _scaled(
        DIURNAL_PATTERNS["kitchen"][weekend, hour] * noise(),
        waste_kg_p_d * residents * days,
        "kitchen waste",
    )

    from nexus.weather import check_climate, degree_days, mains_annual_mean_C

    check_climate(T_out, time, climate, key="reference_climate")
    degree_hours = np.maximum(0.0, T_base - T_out) * noise()
    hdd_ratio = degree_days(T_out, climate.base_T_C) / climate.degree_days_K_d
    space = _scaled(
        degree_hours, q_sh * homes * hdd_ratio, "heating_base_T_C (no hour is below it)"
    )

    def tap_heat(T_cold: FloatArray | float) -> FloatArray:
        """Volume x (use - cold) of the hot-water draws each hour [m3 K]."""
        return cast(  # an array: sum() is 0 only for no terms, and there are three
            "FloatArray",
            sum(flows[s] * np.maximum(0.0, use_T[s] - T_cold) for s in use_T),
        )

    dhw_weight = tap_heat(T_mains)
    dhw_total = q_dhw * residents
    if dhw_total > 0.0:
        T_mains_ref = mains_annual_mean_C(climate.T_mean_C)
        at_reference = float(tap_heat(T_mains_ref).sum())
        if not at_reference > 0.0:
            raise ParameterError(
                f"dhw_ref_kWh_p_yr: got {q_dhw:g}, but no shower, washbasin or kitchen draw is "
                f"warmer than the reference climate's mains ({T_mains_ref:.1f} °C), so there is "
                "no hot water to scale it by; expected a use temperature above it"
            )
        dhw_total *= float(dhw_weight.sum()) / at_reference
    dhw = _scaled(CV_WATER_kWh_m3K * dhw_weight, dhw_total, "dhw_ref_kWh_p_yr")

    ev_shape = (
        _ev_pattern(e_ev / days)[weekend, hour] * noise() if e_ev > 0 else np.zeros(HOURS_PER_YEAR)
    )
    ev = _scaled(ev_shape, e_ev * homes, "ev_kWh_home_yr")

    return HouseholdProfiles(
        time=time,
        shower_m3_h=flows["shower"],
        washbasin_m3_h=flows["washbasin"],
        kitchen_m3_h=flows["kitchen"],
        laundry_m3_h=flows["laundry"],
        blackwater_m3_h=flows["blackwater"],
        kitchen_waste_kg_h=waste,
        shower_T_C=shower_drain_temperature(use_T["shower"], T_mains, loss),
        washbasin_T_C=np.full(HOURS_PER_YEAR, use_T["washbasin"]),
        kitchen_T_C=np.full(HOURS_PER_YEAR, use_T["kitchen"]),
        laundry_T_C=np.full(HOURS_PER_YEAR, T_laundry),
        blackwater_T_C=np.full(HOURS_PER_YEAR, T_black),
        space_heating_kW=space,
        dhw_kW=dhw,
        ev_kW=ev,
    )


# ------------------------------------------------------------ stream composition

#: Per-capita load fields of a household stream that map one to one onto a component.
LOAD_FIELDS = {
    "K": "K_g_p_d",
    "Mg": "Mg_g_p_d",
    "Ca": "Ca_g_p_d",
    "Na": "Na_g_p_d",
    "Cl": "Cl_g_p_d",
    "Alk_HCO3": "alkalinity_g_HCO3_p_d",
    "TSS": "TSS_g_p_d",
}
#: Per-capita totals split over two components by a fraction: (first, second, total, first_frac).
SPLIT_FIELDS = (
    ("COD_s", "COD_x", "COD_g_p_d", "COD_soluble_frac"),
    ("NH4_N", "Norg_N", "N_g_p_d", "NH4_N_frac"),
    ("PO4_P", "Porg_P", "P_g_p_d", "PO4_P_frac"),
)
#: Tap-water fields [mg/L] by component.
TAP_FIELDS = {
    "K": "K_mg_L",
    "Mg": "Mg_mg_L",
    "Ca": "Ca_mg_L",
    "Na": "Na_mg_L",
    "Cl": "Cl_mg_L",
    "Alk_HCO3": "alkalinity_mg_L_HCO3",
}


def household_streams(spec: Households, profiles: HouseholdProfiles) -> dict[str, Stream]:
    """The four water streams of a household source.

    Parameters
    ----------
    spec : nexus.schema.Households
        Residents, per-capita loads and tap-water composition.
    profiles : HouseholdProfiles
        Hourly volumes [m3/h], kitchen waste [kg/h] and temperatures [°C].

    Returns
    -------
    dict of str to Stream
        ``shower``, ``greywater`` (washbasin, kitchen sink and laundry),
        ``blackwater`` and ``kitchen_waste``.

    Notes
    -----
    The per-capita greywater loads are spread over the greywater end uses in
    proportion to their volume (one concentration for all greywater: end-use
    resolved loads are not reported for the Netherlands). Each stream's annual
    load equals the per-capita load x residents x 365 d exactly. Tap-water
    minerals are added to household water in proportion to its volume;
    ground kitchen waste carries none. Kitchen waste is carried as a flow of
    1 m3 per 1000 kg (density of water).
    """
    p = profiles
    residents = spec.residents
    grey_parts = (p.washbasin_m3_h, p.kitchen_m3_h, p.laundry_m3_h)
    grey_flow = cast("FloatArray", sum(grey_parts))  # an array: there are three terms
    grey_T = np.divide(
        sum(
            f * T
            for f, T in zip(
                grey_parts, (p.washbasin_T_C, p.kitchen_T_C, p.laundry_T_C), strict=True
            )
        ),
        grey_flow,
        out=np.full_like(grey_flow, spec.temperatures.washbasin_use_T_C),
        where=grey_flow > 0,
    )
    all_grey_m3 = float((p.shower_m3_h + grey_flow).sum())
    tap = _component_vector(spec.tap_water, TAP_FIELDS) / 1000.0  # mg/L = g/m3 -> kg/m3
    kw_flow = p.kitchen_waste_kg_h / 1000.0
    grey = _annual_loads_kg(spec.greywater, residents)

    def loads(
        flow: FloatArray, basis_m3: float, annual: FloatArray, tap_kg_m3: FloatArray
    ) -> FloatArray:
        weights = flow / basis_m3 if basis_m3 > 0 else np.zeros_like(flow)
        return np.outer(weights, annual) + np.outer(flow, tap_kg_m3)

    return {
        "shower": Stream(p.shower_m3_h, p.shower_T_C, loads(p.shower_m3_h, all_grey_m3, grey, tap)),
        "greywater": Stream(grey_flow, grey_T, loads(grey_flow, all_grey_m3, grey, tap)),
        "blackwater": Stream(
            p.blackwater_m3_h,
            p.blackwater_T_C,
            loads(
                p.blackwater_m3_h,
                float(p.blackwater_m3_h.sum()),
                _annual_loads_kg(spec.blackwater, residents),
                tap,
            ),
        ),
        "kitchen_waste": Stream(
            kw_flow,
            p.kitchen_T_C,
            loads(
                kw_flow,
                float(kw_flow.sum()),
                _annual_loads_kg(spec.kitchen_waste, residents),
                np.zeros(N_COMPONENTS),
            ),
        ),
    }


def _component_vector(table: BaseModel, fields: dict[str, str]) -> FloatArray:
    """Values of a file table laid out on the component axis (others zero)."""
    out = np.zeros(N_COMPONENTS)
    for component, name in fields.items():
        out[INDEX[component]] = getattr(table, name)
    return out


def _annual_loads_kg(loads: LoadsPerCapita, residents: float) -> FloatArray:
    """Annual component loads [kg/yr] from per-capita daily loads [g/(p d)]."""
    per_capita = _component_vector(loads, LOAD_FIELDS)
    for first, second, total, frac in SPLIT_FIELDS:
        per_capita[INDEX[first]] = getattr(loads, total) * getattr(loads, frac)
        per_capita[INDEX[second]] = getattr(loads, total) * (1.0 - getattr(loads, frac))
    return per_capita * residents * DAYS_PER_YEAR / 1000.0


# ------------------------------------------------------------ node type


class HouseholdsType(SourceType):
    """Households: their greywater, black water and kitchen waste, and their heat and
    charging demand (``[sources.NAME]`` with ``type = "households"``)."""

    name = "households"
    description = "homes and residents: greywater, black water, kitchen waste, heat and EV demand"
    ports = tuple(
        Port(name, "water", "out")
        for name in ("shower", "greywater", "blackwater", "kitchen_waste")
    )
    outputs = (
        Output("space_heating_kW", "kW", "space-heating demand", role="heat_demand"),
        Output("dhw_kW", "kW", "domestic hot-water heat demand", role="heat_demand"),
        Output("ev_kW", "kW", "electric-vehicle charging demand", role="ev_demand"),
    )

    @property
    def model(self) -> type[BaseModel]:
        """The table is :class:`nexus.schema.Households` (nested per-capita tables)."""
        from nexus.schema import Households

        return Households

    def make_params(self, validated: BaseModel) -> BaseModel:
        return validated

    def run(self, params: Households, inputs: NodeInputs) -> NodeResult:
        """Hourly profiles (:func:`household_profiles`) and streams (:func:`household_streams`)."""
        import pandas as pd

        weather = pd.DataFrame(
            {"T_out_C": inputs.T_out_C, "T_mains_C": inputs.T_mains_C}, index=inputs.time
        )
        tables: dict[str, BaseModel] = {
            "water": params.water,
            "temperatures": params.temperatures,
            "energy": params.energy,
        }
        try:
            profiles = household_profiles(
                weather=weather,
                seed=inputs.seed,
                residents=params.residents,
                homes=params.homes,
                noise_frac=params.noise_frac,
                **{k: v for t in tables.values() for k, v in t.model_dump().items()},
            )
        except ParameterError as exc:  # name the key by its table: "energy.reference_climate"
            text = str(exc)
            table = next(
                (t for t, m in tables.items() for f in type(m).model_fields if text.startswith(f)),
                None,
            )
            if table is None:
                raise
            raise ParameterError(f"{table}.{text}") from None
        demand = {
            "space_heating": profiles.space_heating_kW,
            "dhw": profiles.dhw_kW,
            "ev": profiles.ev_kW,
        }
        return NodeResult(
            outlets=household_streams(params, profiles),
            source_demand_kW=demand,
            outputs={
                "space_heating_kW": profiles.space_heating_kW,
                "dhw_kW": profiles.dhw_kW,
                "ev_kW": profiles.ev_kW,
            },
        )


register(HouseholdsType())
