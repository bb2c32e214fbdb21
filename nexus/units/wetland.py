"""Constructed wetlands: first-order P-k-C* treatment, evapotranspiration, irrigation reuse.

A constructed (treatment) wetland polishes the effluent of a digester or a
struvite reactor, or treats greywater, on an area of planted bed: horizontal
subsurface flow (HSSF), vertical subsurface flow (VF) or free water surface
(FWS). Its water can be reused for irrigation (a ``farm`` sink counts the
nutrients it carries).

Model form
----------
The **P-k-C\\* model** of Kadlec & Wallace (2009) [1]_, the relaxed
tanks-in-series form of the first-order areal model, for each pollutant:

.. math:: \\frac{C_o - C^*}{C_i - C^*} = \\left(1 + \\frac{k_T}{P q}\\right)^{-P},
          \\qquad k_T = k_{20}\\, \\theta^{(T - 20)}

with :math:`q = Q_i / A` the hydraulic loading rate [m/yr], :math:`k` the
areal rate constant [m/yr], :math:`C^*` the background concentration
[mg/L], :math:`P` the apparent number of tanks in series and :math:`\\theta`
the Arrhenius temperature factor. The values of :math:`k` (the 50th
percentile), :math:`C^*` and :math:`P` are those of Kadlec & Wallace 2009's
tables of rate constants as transcribed in the open-source design code
``njdavis/EWBVT-GuatemalaConstructedWetland`` (``code/wetlandCalc.py``,
commit 04bfa6831ea5ff71010a18ee86afa8e7175c0c23, class ``Kadlec2009SSF``);
the book itself could not be retrieved. :math:`\\theta` is that code's set for
subsurface flow (class ``Kadlec1996SSF``, Kadlec & Knight 1996 [2]_), used for
every kind. Values that could **not be retrieved** are not guessed: the TP
of HSSF and VF wetlands and the nitrogen of VF wetlands get no removal
(:math:`k = 0`, the species passes), stated in :data:`RATES`.

How the species are carried (the components of :mod:`nexus.components`):

- **COD** (all COD components in proportion) is removed with the constants
  of **BOD** (the tables give BOD; COD is what nexus streams carry; an
  assumption, which overstates the removal of the refractory COD a BOD test
  does not see). :math:`C^*` and :math:`k` depend on the band of the inflow
  concentration (0-30, 30-100, 100-200, > 200 mg/L), as in the tables.
- **Nitrogen**: organic N and ammonium each decay by their own constants;
  incoming nitrate (and nitrite) by those of NOx-N (denitrification). The N
  leaving the organic and ammonium pools is nitrified; how much of the
  reduced N (organic + ammonium) leaves the wetland at all follows the
  constants of **TN**, so the nitrate formed and not denitrified is the TN
  left less the organic N and ammonium left (at least 0, at most what those
  pools lost). The N removed
  leaves as N2 to the air (``removed_kg_h["N"]``; plant uptake is not
  separated from it); N released above the inflow (background :math:`C^*`)
  comes from the bed (``accumulation_kg_h``, negative).
- **TP** (orthophosphate and organic P in proportion): held in the bed and
  the plants (``accumulation_kg_h["P"]``).
- K, Mg, Ca, Na, Cl, alkalinity and suspended solids pass (concentrated by
  the water lost).

Time: the wetland's residence time is days, so the model runs on **daily
means**: each day's removal fraction of each species applies to every hour
of that day, and each hour's outflow is its inflow less the day's share of
evapotranspiration; balances close every hour.

Water: evapotranspiration :math:`ET = K_c\\, ET_0\\, A` with :math:`ET_0` by
the Hargreaves equation (FAO-56 eq. 52, Allen et al. 1998 [3]_) from the
day's minimum, maximum and mean air temperature of the district's weather and
the extraterrestrial radiation at the site's latitude (FAO-56 eqs. 21-25):
the weather nexus reads has air temperature only, no radiation, humidity or
wind for Penman-Monteith. The water lost leaves pure (``water_lost_m3_h``),
so the outflow is concentrated; the loads removed are the P-k-C* loads on
the inflow (the model's mass form: the mass a wetland removes does not depend
on the water it loses). Rain on the wetland is not modelled (the weather has
no precipitation). Where the day's ET would exceed the inflow, the bed dries:
no water leaves and what the water carried is held in the bed. Water
temperature: the day's mean air temperature, at least 0 °C (liquid water);
the heat the water gives up or gains reaching it is ``heat_loss_kW``.

Loading limits: a day whose hydraulic loading or COD areal loading exceeds
the kind's limit (:data:`LIMITS`) is flagged (output ``wetland_overloaded``,
and a warning names the unit); the optimizer sizes the area so that no day
is overloaded and every target concentration is met.

References
----------
.. [1] Kadlec, R. H. & Wallace, S. D. (2009). *Treatment Wetlands*, 2nd ed.
   CRC Press, Boca Raton, doi:10.1201/9781420012514 (tables of P-k-C* rate
   constants, as transcribed in the code cited above).
.. [2] Kadlec, R. H. & Knight, R. L. (1996). *Treatment Wetlands*. CRC/Lewis,
   Boca Raton.
.. [3] Allen, R. G., Pereira, L. S., Raes, D. & Smith, M. (1998). *Crop
   evapotranspiration*. FAO Irrigation and Drainage Paper 56, Rome
   (https://www.fao.org/3/x0490E/x0490e00.htm): eqs. 21-25
   (extraterrestrial radiation) and 52 (Hargreaves ET0).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from nexus.components import INDEX, element_indices
from nexus.errors import InfeasibleError, ParameterError
from nexus.registry import NodeInputs, NodeResult, Output, Port, Ratio, Size, UnitType, register
from nexus.streams import Stream
from nexus.units.checks import as_float, check_in, check_nonneg
from nexus.units.params import Params, choice, field

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from nexus._typing import BoolArray, FloatArray
    from nexus.optimize.maps import Column, SampleContext
    from nexus.optimize.model import BuildContext

__all__ = [
    "KINDS",
    "LIMITS",
    "RATES",
    "BOD_BANDS_mg_L",
    "Limits",
    "NO_TARGET_mg_L",
    "PkC",
    "WetlandParams",
    "WetlandResult",
    "WetlandType",
    "area_needed_m2",
    "extraterrestrial_radiation_MJ_m2_d",
    "hargreaves_ET0_mm_d",
    "pkc_outflow_mg_L",
    "treat",
]

log = logging.getLogger(__name__)

#: The kinds of wetland, as a district file names them.
KINDS: tuple[str, ...] = (
    "horizontal_subsurface_flow",
    "vertical_subsurface_flow",
    "free_water_surface",
)

_KW = (
    "Kadlec & Wallace 2009, Treatment Wetlands 2nd ed., tables of P-k-C* rate constants "
    "(50th percentile k), as transcribed in github.com/njdavis/EWBVT-GuatemalaConstructedWetland "
    "code/wetlandCalc.py (commit 04bfa68), class Kadlec2009SSF"
)
_THETA = (
    "Kadlec & Knight 1996, Treatment Wetlands, theta for subsurface flow, as transcribed in the "
    "same file, class Kadlec1996SSF (used for every kind)"
)
_NOT_RETRIEVED = "not retrieved (the transcription gives none): no removal modelled (k = 0)"


@dataclass(frozen=True)
class PkC:
    """First-order P-k-C* constants of one species in one kind of wetland.

    Attributes
    ----------
    k_m_yr : float
        Areal rate constant at 20 °C [m/yr] (0: no removal modelled).
    C_star_mg_L : float
        Background concentration [mg/L].
    P : float
        Apparent number of tanks in series [-].
    theta : float
        Arrhenius temperature factor [-].
    source : str
        Where the values come from.
    """

    k_m_yr: float
    C_star_mg_L: float
    P: float
    theta: float
    source: str


def _pkc(k: float, C: float, P: float, theta: float, source: str = _KW) -> PkC:
    return PkC(k, C, P, theta, f"{source}; theta: {_THETA}")


#: Upper edges of the inflow BOD bands of the tables [mg/L] (0-30, 30-100, 100-200, >200).
BOD_BANDS_mg_L: tuple[float, ...] = (30.0, 100.0, 200.0)

#: P-k-C* constants by kind and species; ``COD`` holds one PkC per BOD band.
RATES: dict[str, dict[str, tuple[PkC, ...]]] = {
    "free_water_surface": {
        "COD": tuple(_pkc(k, C, 1.0, 1.0) for k, C in ((33, 2), (41, 5), (36, 10), (189, 20))),
        "Norg_N": (_pkc(17.3, 1.5, 3.0, 1.05),),
        "NH4_N": (_pkc(14.7, 0.0, 3.0, 1.04),),
        "NOx_N": (_pkc(26.5, 0.0, 3.0, 1.09),),
        "TN": (_pkc(12.6, 1.5, 3.0, 1.05),),
        "TP": (_pkc(10.0, 0.002, 3.4, 1.0),),
    },
    "horizontal_subsurface_flow": {
        "COD": tuple(_pkc(k, C, 3.0, 1.0) for k, C in ((86, 1), (37, 5), (25, 10), (66, 15))),
        "Norg_N": (_pkc(19.6, 1.0, 6.0, 1.05),),
        "NH4_N": (_pkc(11.4, 0.0, 6.0, 1.04),),
        "NOx_N": (_pkc(42.0, 0.0, 8.0, 1.09),),
        "TN": (_pkc(8.4, 1.0, 6.0, 1.05),),
        "TP": (PkC(0.0, 0.0, 1.0, 1.0, f"HSSF TP {_NOT_RETRIEVED}"),),
    },
    "vertical_subsurface_flow": {
        "COD": tuple(_pkc(k, 0.0, 6.0, 1.0) for k in (63, 56, 76, 71)),
        **{
            species: (PkC(0.0, 0.0, 1.0, 1.0, f"VF {species} {_NOT_RETRIEVED}"),)
            for species in ("Norg_N", "NH4_N", "NOx_N", "TN", "TP")
        },
    },
}


@dataclass(frozen=True)
class Limits:
    """Loading limits of one kind of wetland (``inf``: none retrieved).

    Attributes
    ----------
    HLR_m_d : float
        Largest daily hydraulic loading rate, inflow per area [m/d].
    COD_kg_ha_d : float
        Largest daily areal loading of COD (taken as the BOD limit) [kg/ha/d].
    source : str
    """

    HLR_m_d: float
    COD_kg_ha_d: float
    source: str


#: Loading limits by kind.
LIMITS: dict[str, Limits] = {
    "free_water_surface": Limits(
        0.3 / 7.0,
        100.0,
        "design of a FWS wetland receiving primary or secondary effluent: detention time "
        "7 d at 0.3 m depth (HLR 0.043 m/d), organic loading < 100 kg/ha/d "
        "(https://www.climate-policy-watcher.org/constructed-wetlands/"
        "free-water-surface-constructed-wetlands.html)",
    ),
    "horizontal_subsurface_flow": Limits(
        float("inf"),
        99.6,
        "Vymazal 1999, Water Sci. Technol. 40(3):113, doi:10.2166/wst.1999.0146 (abstract): the "
        "BOD5 loading of the Czech HSSF wetlands ranged 2.6-99.6 kg/ha/d (the highest operated "
        "taken as the limit); no hydraulic limit retrieved",
    ),
    "vertical_subsurface_flow": Limits(
        0.5,
        float("inf"),
        "Liang et al. 2016, J. Lake Sci. 28(1):114, doi:10.18307/2016.0113 (abstract): VF "
        "wetland operated at 125-500 mm/d (the highest taken as the limit); no organic "
        "loading limit retrieved",
    ),
}

#: No target concentration (the default of the ``target_*`` parameters) [mg/L].
NO_TARGET_mg_L = 1e6


def _target(name: str) -> Any:
    return field(
        NO_TARGET_mg_L,
        unit="mg L-1",
        low=0.0,
        high=NO_TARGET_mg_L,
        source=f"design choice (e.g. an irrigation-reuse standard); {NO_TARGET_mg_L:g} = none",
        doc=f"{name} the optimizer's area must reach in the outflow every day",
    )


@dataclass(frozen=True, kw_only=True)
class WetlandParams(Params):
    """A constructed wetland: kind, area, site, crop coefficient and design targets."""

    area_m2: float = field(
        0.0,
        unit="m2",
        low=0.0,
        high=1e7,
        source="design variable (district file or optimizer); 0 = not built",
        doc="planted bed area",
    )
    latitude_deg: float = field(
        52.37,
        unit="degree_north",
        low=-66.5,
        high=66.5,
        source="Amsterdam, 52.3702 N (https://stevenmoliver.com/where-is-amsterdam); beyond "
        "66.5 degrees polar days and nights leave the Hargreaves ET0 undefined",
        doc="latitude of the site (extraterrestrial radiation)",
    )
    crop_coefficient: float = field(
        1.0,
        unit="1",
        low=0.0,
        high=2.0,
        source="FAO-56 (Allen et al. 1998) Table 12, group 'Wetlands - temperate climate', "
        "reed swamp with standing water: Kc 1.00 at the start and end of the season, 1.20 "
        "mid-season (https://www.fao.org/4/x0490e/x0490e0b.htm, read through a transcription "
        "of the table; the FAO page itself was not retrieved here); 1.00 taken for the whole "
        "year, so mid-season ET is understated by up to a sixth",
        doc="wetland evapotranspiration per reference evapotranspiration",
    )
    target_COD_mg_L: float = _target("COD")
    target_TN_mg_L: float = _target("total nitrogen")
    target_TP_mg_L: float = _target("total phosphorus")
    kind: str = choice(
        "horizontal_subsurface_flow",
        choices=KINDS,
        source="design choice",
        doc=f"one of {', '.join(KINDS)}",
    )


# ------------------------------------------------------------------------- physics


def pkc_outflow_mg_L(
    C_in_mg_L: ArrayLike, q_m_yr: ArrayLike, T_C: ArrayLike, rate: PkC
) -> FloatArray:
    r"""Outflow concentration of the P-k-C* model [mg/L].

    Parameters
    ----------
    C_in_mg_L : array_like
        Inflow concentration, >= 0 [mg/L].
    q_m_yr : array_like
        Hydraulic loading rate, inflow per area, >= 0 [m/yr] (0: no flow, the
        outflow is the background).
    T_C : array_like
        Water temperature [°C].
    rate : PkC
        The species' constants.

    Returns
    -------
    numpy.ndarray
        :math:`C^* + (C_i - C^*)(1 + k_T/(P q))^{-P}`, broadcast [mg/L]
        (Kadlec & Wallace 2009, the relaxed tanks-in-series model); with
        :math:`k = 0` the inflow.

    Examples
    --------
    >>> r = PkC(37.0, 5.0, 3.0, 1.0, "test")
    >>> round(float(pkc_outflow_mg_L(100.0, 12.4, 20.0, r)), 2)
    16.97
    """
    C = as_float(C_in_mg_L)
    q = as_float(q_m_yr)
    check_nonneg("C_in_mg_L", C)
    check_nonneg("q_m_yr", q)
    if rate.k_m_yr == 0.0:
        return np.broadcast_to(C, np.broadcast_shapes(C.shape, q.shape, np.shape(T_C))).copy()
    k = rate.k_m_yr * rate.theta ** (as_float(T_C) - 20.0)
    with np.errstate(divide="ignore"):
        x = np.where(q > 0, k / (rate.P * np.where(q > 0, q, 1.0)), np.inf)
    return rate.C_star_mg_L + (C - rate.C_star_mg_L) * (1.0 + x) ** -rate.P


def extraterrestrial_radiation_MJ_m2_d(day_of_year: ArrayLike, latitude_deg: float) -> FloatArray:
    r"""Daily extraterrestrial radiation [MJ m-2 d-1] (FAO-56 eqs. 21-25).

    .. math:: R_a = \frac{24 \cdot 60}{\pi} G_{sc} d_r
              [\omega_s \sin\varphi \sin\delta + \cos\varphi \cos\delta \sin\omega_s]

    with :math:`G_{sc} = 0.0820` MJ m-2 min-1, :math:`d_r = 1 + 0.033
    \cos(2\pi J/365)`, :math:`\delta = 0.409 \sin(2\pi J/365 - 1.39)` and
    :math:`\omega_s = \arccos(-\tan\varphi \tan\delta)` (Allen et al. 1998).

    Examples
    --------
    >>> round(float(extraterrestrial_radiation_MJ_m2_d(172, 52.37)), 1)
    41.7
    """
    J = as_float(day_of_year)
    check_in("day_of_year", J, 1.0, 366.0)
    check_in("latitude_deg", as_float(latitude_deg), -66.5, 66.5)
    phi = np.radians(latitude_deg)
    dr = 1.0 + 0.033 * np.cos(2.0 * np.pi * J / 365.0)
    delta = 0.409 * np.sin(2.0 * np.pi * J / 365.0 - 1.39)
    ws = np.arccos(np.clip(-np.tan(phi) * np.tan(delta), -1.0, 1.0))
    return (
        24.0
        * 60.0
        / np.pi
        * 0.0820
        * dr
        * (ws * np.sin(phi) * np.sin(delta) + np.cos(phi) * np.cos(delta) * np.sin(ws))
    )


def hargreaves_ET0_mm_d(
    T_min_C: ArrayLike, T_max_C: ArrayLike, Ra_MJ_m2_d: ArrayLike
) -> FloatArray:
    r"""Reference evapotranspiration by the Hargreaves equation [mm/d] (FAO-56 eq. 52).

    .. math:: ET_0 = 0.0023\, (T_{mean} + 17.8) \sqrt{T_{max} - T_{min}}\; 0.408\, R_a

    with :math:`T_{mean} = (T_{max} + T_{min})/2`; 0 where that is below
    -17.8 °C (no evaporation from the formula's negative branch).

    Examples
    --------
    >>> round(float(hargreaves_ET0_mm_d(19.0, 25.0, 32.0)), 2)
    2.93
    """
    lo = as_float(T_min_C)
    hi = as_float(T_max_C)
    Ra = as_float(Ra_MJ_m2_d)
    check_nonneg("Ra_MJ_m2_d", Ra)
    if np.any(hi < lo):
        raise ParameterError("T_max_C is below T_min_C; expected the daily maximum >= the minimum")
    mean = 0.5 * (hi + lo)
    return np.maximum(0.0023 * (mean + 17.8) * np.sqrt(hi - lo) * 0.408 * Ra, 0.0)


class WetlandResult(NamedTuple):
    """Result of :func:`treat`; hourly arrays (loads with a last component axis)."""

    out_kg_h: FloatArray  #: component loads leaving with the water [kg h-1]
    flow_out_m3_h: FloatArray  #: water leaving [m3 h-1]
    ET_m3_h: FloatArray  #: water lost to the air [m3 h-1]
    T_water_C: FloatArray  #: water temperature (day's mean air, >= 0 °C) [°C]
    HLR_m_d: FloatArray  #: the day's hydraulic loading rate [m d-1]
    overloaded: FloatArray  #: 1 on a day over a loading limit, else 0 [-]
    outflow_mg_L: dict[str, FloatArray]  #: the day's outflow COD, TN and TP [mg L-1]


def _daily(x: FloatArray) -> FloatArray:
    """Daily means of an hourly series (first axis), shape (days, ...)."""
    if x.shape[0] % 24:
        raise ParameterError(
            f"a wetland runs on whole days; expected a multiple of 24 hourly steps, got "
            f"{x.shape[0]}"
        )
    return x.reshape(x.shape[0] // 24, 24, *x.shape[1:]).mean(axis=1)


def _hourly(x: FloatArray) -> FloatArray:
    return np.repeat(x, 24, axis=0)


_COD = element_indices("COD")
_NOX = (INDEX["NO3_N"], INDEX["NO2_N"])
_P = element_indices("P")


def _concentration(load_kg_d: FloatArray, flow_m3_d: FloatArray) -> FloatArray:
    return np.divide(load_kg_d * 1e3, flow_m3_d, out=np.zeros_like(load_kg_d), where=flow_m3_d > 0)


def _fraction_left(C_out: FloatArray, C_in: FloatArray) -> FloatArray:
    """Share of a load that leaves (1 where nothing came in)."""
    return np.divide(C_out, C_in, out=np.ones_like(C_in), where=C_in > 0)


def _cod_outflow(C_in: FloatArray, q: FloatArray, T: FloatArray, kind: str) -> FloatArray:
    band = np.searchsorted(BOD_BANDS_mg_L, C_in, side="left")
    out = np.zeros_like(C_in)
    for b, rate in enumerate(RATES[kind]["COD"]):
        out = np.where(band == b, pkc_outflow_mg_L(C_in, q, T, rate), out)
    return out


def treat(
    loads_kg_h: ArrayLike,
    flow_m3_h: ArrayLike,
    T_air_C: ArrayLike,
    day_of_year: ArrayLike,
    *,
    params: WetlandParams,
) -> WetlandResult:
    """A wetland's outflow, hour by hour, from daily P-k-C* removal and ET.

    Parameters
    ----------
    loads_kg_h : array_like
        Component loads of the inflow, shape (hours, components) [kg h-1].
    flow_m3_h : array_like
        Inflow, shape (hours,) [m3 h-1]; hours a multiple of 24 (whole days).
    T_air_C : array_like
        Outdoor air temperature, shape (hours,) [°C].
    day_of_year : array_like
        Day of the year of each hour, shape (hours,) [1-366].
    params : WetlandParams

    Returns
    -------
    WetlandResult

    Notes
    -----
    See the module docstring for the model and how the species are carried.
    """
    loads = as_float(loads_kg_h)
    flow = as_float(flow_m3_h)
    check_nonneg("flow_m3_h", flow)
    check_nonneg("loads_kg_h", loads)
    days = _daily(flow).size
    return _treat(loads, flow, T_air_C, day_of_year, np.full(days, params.area_m2), params)


def _treat(
    loads: FloatArray,
    flow: FloatArray,
    T_air_C: ArrayLike,
    day_of_year: ArrayLike,
    A: FloatArray,
    params: WetlandParams,
) -> WetlandResult:
    """:func:`treat` with an area for each day, ``A`` of shape (days,) [m2]."""
    kind = params.kind
    built = A > 0
    Q = _daily(flow) * 24.0  # m3/d
    L = _daily(loads) * 24.0  # kg/d
    T_air = _daily(as_float(T_air_C))
    hourly_T = as_float(T_air_C).reshape(-1, 24)
    T = np.maximum(T_air, 0.0)
    J = _daily(as_float(day_of_year))
    q_m_d = np.divide(Q, A, out=np.where(Q > 0, np.inf, 0.0), where=built)
    q = np.where(built, q_m_d * 365.0, 0.0)  # not built: nothing is removed (below)
    C = {
        "COD": _concentration(L[:, list(_COD)].sum(axis=1), Q),
        "Norg_N": _concentration(L[:, INDEX["Norg_N"]], Q),
        "NH4_N": _concentration(L[:, INDEX["NH4_N"]], Q),
        "NOx_N": _concentration(L[:, list(_NOX)].sum(axis=1), Q),
        "TP": _concentration(L[:, list(_P)].sum(axis=1), Q),
    }
    rates = RATES[kind]
    out = {s: pkc_outflow_mg_L(C[s], q, T, rates[s][0]) for s in ("Norg_N", "NH4_N", "NOx_N", "TP")}
    out["COD"] = _cod_outflow(C["COD"], q, T, kind)
    reduced_in = C["Norg_N"] + C["NH4_N"]
    reduced_left = pkc_outflow_mg_L(reduced_in, q, T, rates["TN"][0])
    # nitrate comes only from the N the organic and ammonium pools lost
    lost_reduced = np.maximum(reduced_in - out["Norg_N"] - out["NH4_N"], 0.0)
    formed = np.clip(reduced_left - out["Norg_N"] - out["NH4_N"], 0.0, lost_reduced)
    out = {s: np.where(built, out[s], C[s]) for s in out}  # not built: everything passes
    formed = np.where(built, formed, 0.0)
    left = {s: _fraction_left(out[s], C[s]) for s in out}
    Ra = extraterrestrial_radiation_MJ_m2_d(J, params.latitude_deg)
    ET0 = hargreaves_ET0_mm_d(hourly_T.min(axis=1), hourly_T.max(axis=1), Ra)
    ET_d = params.crop_coefficient * ET0 / 1e3 * A  # m3/d
    dry_frac = np.minimum(np.divide(ET_d, Q, out=np.zeros_like(Q), where=Q > 0), 1.0)
    keep = 1.0 - dry_frac  # share of the water that leaves
    share = np.ones((Q.size, loads.shape[1]))
    share[:, list(_COD)] = left["COD"][:, None]
    share[:, INDEX["Norg_N"]] = left["Norg_N"]
    share[:, INDEX["NH4_N"]] = left["NH4_N"]
    share[:, list(_NOX)] = left["NOx_N"][:, None]
    share[:, list(_P)] = left["TP"][:, None]
    out_kg_h = loads * _hourly(share)
    NO3_formed_kg_h = _hourly(
        np.divide(formed, reduced_in, out=np.zeros_like(Q), where=reduced_in > 0)
    )
    out_kg_h[:, INDEX["NO3_N"]] += NO3_formed_kg_h * (
        loads[:, INDEX["Norg_N"]] + loads[:, INDEX["NH4_N"]]
    )
    out_kg_h = np.where(_hourly(keep)[:, None] > 0, out_kg_h, 0.0)  # a dry bed holds it all
    flow_out = flow * _hourly(keep)
    limits = LIMITS[kind]
    cod_load_kg_ha_d = np.divide(
        L[:, list(_COD)].sum(axis=1) * 1e4, A, out=np.full(Q.shape, np.inf), where=built
    )
    over = (q_m_d > limits.HLR_m_d) | (np.where(Q > 0, cod_load_kg_ha_d, 0.0) > limits.COD_kg_ha_d)
    over &= (Q > 0) & built  # a wetland not built passes the water: no loading
    tn_in = C["Norg_N"] + C["NH4_N"] + C["NOx_N"]
    tn_out = out["Norg_N"] + out["NH4_N"] + out["NOx_N"] + formed
    conc = np.where(keep > 0, 1.0 / np.where(keep > 0, keep, 1.0), 0.0)
    return WetlandResult(
        out_kg_h=out_kg_h,
        flow_out_m3_h=flow_out,
        ET_m3_h=flow - flow_out,
        T_water_C=_hourly(T),
        HLR_m_d=_hourly(np.where(np.isfinite(q_m_d), q_m_d, 0.0)),
        overloaded=_hourly(over.astype(float)),
        outflow_mg_L={
            "COD": out["COD"] * conc,
            "TN": np.where(tn_in > 0, tn_out, 0.0) * conc,
            "TP": out["TP"] * conc,
        },
    )


def area_needed_m2(
    loads_kg_h: FloatArray,
    flow_m3_h: FloatArray,
    T_air_C: FloatArray,
    day_of_year: FloatArray,
    *,
    params: WetlandParams,
    n_grid: int = 60,
    n_bisect: int = 40,
) -> FloatArray:
    """Smallest area meeting the loading limits and targets each day, hourly [m2]; ``inf``
    on a day no area meets them. Where a target is set, the bed must not dry that day (a
    target is met by water that leaves); without targets a bed may dry on a hot day (no
    outflow, reported by the simulation).

    Each day's area is bracketed on a geometric grid of ``n_grid`` areas from
    1 m2 to the area loaded at 0.1 mm/d by the day of largest inflow (far
    below any evapotranspiration of a growing season), between the first grid
    point that meets the limits and targets and the one before it, then
    bisected ``n_bisect`` times (relative precision better than 1e-9); the area
    returned meets them. A day may have no such area: a target below the
    background concentration, or a target on a day whose COD loading limit
    needs an area that evapotranspiration dries.
    """
    loads = as_float(loads_kg_h)
    flow = as_float(flow_m3_h)
    Q = _daily(flow) * 24.0
    targets = {
        "COD": params.target_COD_mg_L,
        "TN": params.target_TN_mg_L,
        "TP": params.target_TP_mg_L,
    }

    targeted = any(t < NO_TARGET_mg_L for t in targets.values())

    def meets(A: FloatArray) -> BoolArray:
        r = _treat(loads, flow, T_air_C, day_of_year, A, params)
        fine = _daily(r.overloaded) == 0
        if targeted:  # a target is met by water that leaves, not by drying the bed
            fine &= _daily(r.flow_out_m3_h) > 0
            for name, target in targets.items():
                fine &= r.outflow_mg_L[name] <= target
        return fine | (Q == 0)

    grid = np.geomspace(1.0, max(float(Q.max()) / 1e-4, 10.0), n_grid)
    ok = np.stack([meets(np.full(Q.shape, A)) for A in grid])
    first = np.argmax(ok, axis=0)
    hi = grid[first]
    lo = np.where(first > 0, grid[np.maximum(first - 1, 0)], hi)
    for _ in range(n_bisect):
        mid = np.sqrt(lo * hi)
        fine = meets(mid)
        hi, lo = np.where(fine, mid, hi), np.where(fine, lo, mid)
    needed = np.where(ok.any(axis=0), np.where(Q > 0, hi, 0.0), np.inf)
    return _hourly(needed)


# ------------------------------------------------------------------------- unit type


class WetlandType(UnitType):
    """A constructed wetland polishing water for irrigation reuse or discharge."""

    name = "constructed_wetland"
    description = (
        "constructed wetland (HSSF, VF or FWS): P-k-C* removal of COD, N and P, "
        "evapotranspiration, loading limits"
    )
    ports = (Port("in", "water", "in"), Port("out", "water", "out"))
    params = WetlandParams
    sizes = (Size("area_m2"),)
    outputs = (
        Output(
            "wetland_ET_m3_h",
            "m3 h-1",
            "water evapotranspired by the wetland",
            annual="water evapotranspired",
        ),
        Output(
            "wetland_inflow_m3_h", "m3 h-1", "water reaching the wetland", annual="water treated"
        ),
        Output("COD_degraded_kg_h", "kg h-1", "COD removed in the wetland", annual="COD removed"),
        Output(
            "N_denitrified_kg_h",
            "kg h-1",
            "nitrogen lost to the air (denitrification)",
            annual="nitrogen to the air",
        ),
        Output(
            "P_retained_kg_h",
            "kg h-1",
            "phosphorus held in the bed and plants",
            annual="phosphorus held in the bed",
        ),
        Output("HLR_m_d", "m d-1", "hydraulic loading rate (the day's mean inflow per area)"),
        Output(
            "wetland_overloaded", "1", "1 on a day over the kind's hydraulic or COD loading limit"
        ),
        Output("outflow_COD_mg_L", "mg L-1", "COD of the outflow (the day's mean)"),
        Output("outflow_TN_mg_L", "mg L-1", "total nitrogen of the outflow (the day's mean)"),
        Output("outflow_TP_mg_L", "mg L-1", "total phosphorus of the outflow (the day's mean)"),
    )
    ratios = (
        Ratio(
            "water evapotranspired, share of the inflow",
            "%",
            "wetland_ET_m3_h",
            "wetland_inflow_m3_h",
            factor=100.0,
        ),
    )

    def run(self, params: WetlandParams, inputs: NodeInputs) -> NodeResult:
        """:func:`treat` on the inlet water; balances booked (see the module docstring)."""
        water = inputs.inlets["in"]
        loads = water.loads_kg_h
        r = treat(
            loads,
            water.flow_m3_h,
            inputs.T_out_C,
            np.asarray(inputs.time.dayofyear, dtype=float),
            params=params,
        )
        if r.overloaded.any():
            log.warning(
                "wetland (%s, %g m2) is over its loading limit on %d days of %d (hydraulic "
                "loading up to %.3g m/d); see output wetland_overloaded",
                params.kind,
                params.area_m2,
                int(r.overloaded.sum()) // 24,
                r.overloaded.size // 24,
                float(r.HLR_m_d.max()),
            )
        lost = loads - r.out_kg_h

        def by(idx: tuple[int, ...]) -> FloatArray:
            return lost[:, list(idx)].sum(axis=1)

        N = by(element_indices("N"))
        COD = by(_COD)
        held = {e: by(element_indices(e)) for e in ("P", "K", "Mg", "Ca", "Na", "Cl")}
        dry = r.flow_out_m3_h <= 0
        held["COD"] = np.where(dry, COD, np.minimum(COD, 0.0))
        held["N"] = np.where(dry, N, np.minimum(N, 0.0))
        removed = {
            "COD": np.where(dry, 0.0, np.maximum(COD, 0.0)),
            "N": np.where(dry, 0.0, np.maximum(N, 0.0)),
        }
        out = Stream(r.flow_out_m3_h, r.T_water_C, r.out_kg_h)
        return NodeResult(
            outlets={"out": out},
            water_lost_m3_h=r.ET_m3_h,
            heat_loss_kW=water.heat_kW - out.heat_kW,
            removed_kg_h=removed,
            accumulation_kg_h=held,
            outputs={
                "wetland_ET_m3_h": r.ET_m3_h,
                "wetland_inflow_m3_h": water.flow_m3_h,
                "COD_degraded_kg_h": COD,
                "N_denitrified_kg_h": removed["N"],
                "P_retained_kg_h": held["P"],
                "HLR_m_d": r.HLR_m_d,
                "wetland_overloaded": r.overloaded,
                "outflow_COD_mg_L": _hourly(r.outflow_mg_L["COD"]),
                "outflow_TN_mg_L": _hourly(r.outflow_mg_L["TN"]),
                "outflow_TP_mg_L": _hourly(r.outflow_mg_L["TP"]),
            },
        )

    def sample(self, ctx: SampleContext, columns: list[Column]) -> dict[str, FloatArray]:
        """The area each day's water needs, per column of the unit upstream.

        Returns ``area_needed_m2`` (upstream columns, time): the smallest area
        meeting the loading limits and targets that day (:func:`area_needed_m2`) [m2];
        twice the largest area allowed where none does (that column cannot be chosen).

        Raises
        ------
        nexus.InfeasibleError
            No column's water can be treated every day, naming the unit and targets.
        Nothing where the file fixes the area (the optimizer has nothing to choose; the
        simulation flags a day over the limits).
        """
        p: WetlandParams = ctx.params
        bound = ctx.district.optimize.design.get(ctx.name, {}).get("area_m2")
        if bound is None:
            return {}
        J = np.asarray(ctx.inputs.time.dayofyear, dtype=float)
        needed = np.stack(
            [
                area_needed_m2(w.loads_kg_h, w.flow_m3_h, ctx.inputs.T_out_C, J, params=p)
                for w in ctx.upstream("in")
            ]
        )
        untreatable = ~np.isfinite(needed)
        if untreatable.any(axis=1).all():
            hour = int(np.argmax(untreatable.all(axis=0))) if untreatable.all(axis=0).any() else 0
            raise InfeasibleError(
                f"{ctx.district.file}: units.{ctx.name}: no area meets the {p.kind} wetland's "
                f"loading limits and targets (COD {p.target_COD_mg_L:g}, TN "
                f"{p.target_TN_mg_L:g}, TP {p.target_TP_mg_L:g} mg/L) every day with "
                f"water leaving it, whatever the units upstream do (first at hour {hour}); "
                "expected targets above the background concentrations (C*) and a water "
                "that evapotranspiration does not dry at the COD loading limit"
            )
        # a column whose water no area can treat is priced out: it needs more than may be built
        return {"area_needed_m2": np.where(untreatable, 2.0 * bound.max, needed)}

    def build(self, ctx: BuildContext) -> None:
        r"""The area is at least what each step's water needs.

        Symbols: ``area_m2`` the size; ``needed[t]`` the sampled
        ``area_needed_m2`` of the upstream columns mixed by their weights.
        Constraint ``constructed_wetland_area``: needed[t] <= area_m2 for every t.
        The wetland draws no energy (gravity flow; pumping is not modelled). An area the
        file fixes adds nothing: its water is what the simulation gave.
        """
        if ctx.fixed("area_m2") is not None:
            return
        needed = ctx.upstream_mixed("in", "area_needed_m2", "m**2")
        area = ctx.size("area_m2") * np.ones(ctx.series("area_needed_m2").shape[-1])
        ctx.constrain("area", needed <= area, "the area takes every day's water")


register(WetlandType())
