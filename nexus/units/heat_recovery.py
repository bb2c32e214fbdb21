"""Heat recovery from greywater: shower drain-water heat recovery, a central
greywater heat exchanger, a water-to-water heat pump and a heat store.

Physics are pure vectorized functions on broadcasting numpy arrays, so a
whole year of 8760 hourly values goes through one call; the time step is
one hour, so a heat flow in kW is also the energy in kWh of that hour.
NaN inputs propagate as NaN; negative flows, powers or sizes raise
:class:`~nexus.errors.ParameterError` naming the argument.

Contents
--------
- :class:`DWHRParams`, :func:`dwhr_effectiveness`, :func:`dwhr_heat_kW`:
  falling-film drain-water heat recovery under the shower, equal-flow
  configuration (the preheated water feeds both the shower mixer and the
  water heater, so potable and drain flows are equal); :data:`DWHR_CLASSES`,
  rated product classes a district file may choose (``product_class``): a
  CSA B55.1-listed unit and the Dutch NEN 7120 defaults for vertical and
  horizontal units;
- :class:`ExchangerParams`, :func:`counterflow_effectiveness`, :func:`ua_W_K`,
  :func:`exchanger_duty`: the central greywater heat exchanger (counterflow,
  greywater on the hot side, the heat-pump source loop on the cold side);
- :class:`HeatPumpParams`, :func:`carnot_cop`, :func:`part_load_cop`;
- :class:`StoreParams`, :func:`store_dispatch`: an hourly heat store;
- :func:`greywater_heat_pump`: the station (exchanger + heat pump + store),
  and :func:`station_potential`, its full-load output per exchanger area;
- the unit types ``shower_dwhr`` (:class:`ShowerDWHRType`) and
  ``greywater_heat_pump`` (:class:`GreywaterHeatPumpType`): ports, sizes,
  outputs, simulation, sampled maps and optimizer model.

Water properties are the constants of :mod:`nexus.constants`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from nexus.constants import T0_K, CP_WATER_J_kgK, CV_WATER_kWh_m3K, RHO_WATER_kg_m3
from nexus.errors import ParameterError
from nexus.registry import (
    NodeInputs,
    NodeResult,
    Output,
    Port,
    Ratio,
    Size,
    UnitType,
    register,
)
from nexus.units.checks import as_float, check_in, check_nonneg
from nexus.units.params import Params, field

if TYPE_CHECKING:
    from numpy.typing import ArrayLike
    from pydantic import BaseModel

    from nexus._typing import FloatArray
    from nexus.optimize.maps import Column, SampleContext
    from nexus.optimize.model import BuildContext

__all__ = [
    "DWHR_CLASSES",
    "HEAT_PUMP_OUTPUTS",
    "MIN_LIFT_K",
    "SEASONAL_PERFORMANCE",
    "DWHRClass",
    "DWHRParams",
    "DWHRResult",
    "ExchangerParams",
    "ExchangerResult",
    "GreywaterHeatPumpType",
    "HeatPumpParams",
    "ShowerDWHRType",
    "StationResult",
    "StoreParams",
    "StoreResult",
    "carnot_cop",
    "counterflow_effectiveness",
    "cycling_cop",
    "dwhr_effectiveness",
    "dwhr_heat_kW",
    "exchanger_duty",
    "greywater_heat_pump",
    "part_load_cop",
    "station_potential",
    "store_dispatch",
    "ua_W_K",
]

#: Heat capacity rate of a water flow of 1 m3/h [W/K].
_C_W_K_PER_M3_H: float = RHO_WATER_kg_m3 * CP_WATER_J_kgK / 3600.0

#: Smallest temperature lift (condensing minus evaporating temperature) used in
#: :func:`carnot_cop` [K]. The Carnot COP diverges as the lift goes to 0; the
#: regression of large heat pumps by Jesper et al. (2021) covers external lifts of
#: 10-78 K only, so below 10 K the COP is held at its 10 K value.
MIN_LIFT_K: float = 10.0

_JESPER = (
    "Jesper et al. 2021, Renew. Sustain. Energy Rev. 137:110646, doi:10.1016/j.rser.2020.110646"
)


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True, kw_only=True)
class DWHRParams(Params):
    """Falling-film drain-water heat recovery unit under a shower (equal flow).

    Only the equal-flow configuration is modelled: the preheated potable water
    goes to both the shower mixer and the water heater, so the potable flow
    equals the drain flow (capacity-rate ratio 1), as in the CSA B55.1 rating.
    """

    rated_effectiveness_frac: float = field(
        0.4207,
        unit="1",
        low=0.0,
        high=0.8,
        source="CSA B55.1 rating of a listed unit (ThermoDrain TDX3350, 42.07 %, "
        "https://ecoinnovation.ca/pages/building-codes); equals the 42 % minimum that "
        "the Ontario Building Code SB-12 sets for DWHR units",
        doc="effectiveness at the rating point (equal flows of rated_flow_L_min)",
    )
    rated_flow_L_min: float = field(
        9.5,
        unit="L/min",
        low=1.0,
        high=30.0,
        source="CSA B55.1 (2015) test method: equal potable and drain flow of 9.5 L/min",
        doc="flow of the rating point",
    )
    film_exponent: float = field(
        0.4,
        unit="1",
        low=0.0,
        high=1.0,
        source="fitted here to the California 2019 Title 24 generic DWHR flow correction "
        "(Statewide CASE Team; as implemented in CEC's CSE engine, DHWCalc.cpp): within 5 % "
        "over 5.7-13.2 L/min; the Dittus-Boelter 0.8 of turbulent tube flow is up to 12 % off "
        "because the drain side is a laminar falling film (tests/validation)",
        doc="exponent n of UA ~ flow^n",
    )
    shower_flow_L_min: float = field(
        7.6,
        unit="L/min",
        low=2.0,
        high=30.0,
        source="CBS Watergebruik Thuis 2021 (NL, as reported by Het Parool 2023): 46.2 L "
        "shower water per person and day, 0.82 showers a day, 7.4 min each: "
        "46.2 / 0.82 / 7.4 = 7.6 L/min",
        doc="flow of a running shower, at which the effectiveness is evaluated",
    )


class DWHRClass(NamedTuple):
    """Rating of a class of shower DWHR products (:data:`DWHR_CLASSES`)."""

    rated_effectiveness_frac: float  #: effectiveness at the rating point [1]
    rated_flow_L_min: float | None  #: flow of the rating point; None: applies at any shower flow
    description: str  #: what the class is
    source: str  #: where the value comes from


#: Product classes a district file may choose for a ``shower_dwhr`` unit
#: (``product_class = "..."``) instead of giving a rated effectiveness.
DWHR_CLASSES: dict[str, DWHRClass] = {
    "csa_b55_listed": DWHRClass(
        0.4207,
        9.5,
        "a vertical falling-film unit listed under CSA B55.1 at the Ontario SB-12 minimum",
        "CSA B55.1 rating of a listed unit (ThermoDrain TDX3350, 42.07 %, "
        "https://ecoinnovation.ca/pages/building-codes); equals the 42 % minimum that the "
        "Ontario Building Code SB-12 sets for DWHR units; rated at 9.5 L/min (CSA B55.1)",
    ),
    "nen7120_vertical_default": DWHRClass(
        0.40,
        None,
        "a vertical unit (douchepijp-wtw) without a quality statement, Dutch default value",
        "NEN 7120 with amendment A1, forfaitair rendement of vertical shower heat recovery units "
        "(40 %), as reported by bureau Kent, 'Gewijzigd in EPC: douchewater-wtw's'; used in the "
        "Dutch calculation as the in-use efficiency with the 17 % drain loss, so it applies at "
        "any shower flow; NEN 7120 and NTA 8800 themselves were not read",
    ),
    "nen7120_horizontal_default": DWHRClass(
        0.20,
        None,
        "a horizontal unit (douchebak-/douchegoot-wtw) without a quality statement, Dutch default",
        "NEN 7120 with amendment A1, forfaitair rendement of horizontal units halved from 40 % "
        "to 20 %, as reported by bureau Kent, 'Gewijzigd in EPC: douchewater-wtw's'",
    ),
}


@dataclass(frozen=True, kw_only=True)
class ExchangerParams(Params):
    """Central greywater heat exchanger (counterflow) feeding a heat-pump source loop."""

    area_m2: float = field(
        0.0,
        unit="m2",
        low=0.0,
        high=1e5,
        source="design variable (district file or optimizer); 0 = not built",
        doc="heat transfer area",
    )
    U_clean_W_m2K: float = field(
        534.0,
        unit="W m-2 K-1",
        low=10.0,
        high=1e4,
        source="KASAG wastewater heat exchanger guide value 2.5 kW/m2 at 12 degC wastewater "
        "and 6 K difference (in service, U = 417 W/m2K; kasag.ch 'General conditions') "
        "less the fouling allowance below: 1 / (1/417 - 0.000528) = 534",
        doc="overall heat transfer coefficient of the clean exchanger",
    )
    fouling_m2K_W: float = field(
        0.000528,
        unit="m2 K W-1",
        low=0.0,
        high=0.01,
        source="TEMA Standards RGP-T-2.4, river water, muddy or silty: 0.003 h ft2 F/Btu "
        "= 0.000528 m2K/W (TEMA lists no greywater; the nearest water service)",
        doc="fouling resistance allowance (biofilm)",
    )
    loop_flow_m3_h: float = field(
        0.0,
        unit="m3 h-1",
        low=0.0,
        high=1e4,
        source="design variable (district file or optimizer); 0 = not built",
        doc="flow of the intermediate water loop on the cold side",
    )
    loop_T_in_C: float = field(
        6.0,
        unit="degC",
        low=1.0,
        high=40.0,
        source="carrier temperature of the KASAG guide case (12 degC wastewater, 6 K "
        "difference); kept above freezing for a water loop",
        doc="loop temperature entering the exchanger (leaving the evaporator)",
    )


@dataclass(frozen=True, kw_only=True)
class HeatPumpParams(Params):
    """Water-to-water heat pump on the greywater loop."""

    capacity_kW: float = field(
        0.0,
        unit="kW",
        low=0.0,
        high=1e5,
        source="design variable (district file or optimizer); 0 = not built",
        doc="maximum condenser (heat) output",
    )
    supply_T_C: float = field(
        60.0,
        unit="degC",
        low=20.0,
        high=100.0,
        source="forward temperature of the Ujpest (Budapest) sewage heat pumps in winter "
        "(EHPA news 'Energy from sewage'); WHO (2007) Legionella guidance stores hot "
        "water at 60 degC or more",
        doc="supply (condenser side) temperature",
    )
    carnot_frac: float = field(
        0.5,
        unit="1",
        low=0.2,
        high=0.8,
        source=f"{_JESPER}: their regression of 33 market heat pumps gives 0.46-0.58 "
        "(mean 0.52) of this module's Carnot COP with approach_K = 2.5 over sink "
        "35-70 degC and lift 20-60 K (tests/validation/data/heat_recovery_hp_jesper2021.csv)",
        doc="second-law efficiency: COP / Carnot COP",
    )
    approach_K: float = field(
        2.5,
        unit="K",
        low=0.0,
        high=15.0,
        source=f"chosen with carnot_frac against the regression of {_JESPER}",
        doc="difference fluid - refrigerant at evaporator and at condenser",
    )
    degradation_coef: float = field(
        0.9,
        unit="1",
        low=0.0,
        high=1.0,
        source="EN 14825:2018, default degradation coefficient Cdh of water/brine-to-water "
        "units that cycle on/off (1 = no cycling loss)",
        doc="EN 14825 part-load degradation coefficient Cd",
    )
    min_part_load_frac: float = field(
        1.0,
        unit="1",
        low=0.0,
        high=1.0,
        source="EN 14825: a fixed-capacity unit cycles at any load below its declared "
        "capacity (1.0); lower it for a modulating unit",
        doc="lowest part load reached by modulation; below it the unit cycles",
    )


@dataclass(frozen=True, kw_only=True)
class StoreParams(Params):
    """Hourly heat store (a hot-water tank) on the heat-pump output."""

    capacity_kWh: float = field(
        0.0,
        unit="kWh",
        low=0.0,
        high=1e7,
        source="design variable (district file or optimizer); 0 = not built",
        doc="usable heat capacity",
    )
    max_power_kW: float = field(
        0.0,
        unit="kW",
        low=0.0,
        high=1e6,
        source="design variable; must be > 0 when capacity_kWh > 0",
        doc="charge and discharge power limit",
    )
    loss_frac_h: float = field(
        0.0018,
        unit="h-1",
        low=0.0,
        high=0.5,
        source="Regulation (EU) 814/2013 limit for tanks <= 2000 L, S <= 16.66 + 8.33 V^0.4 W "
        "at 45 K (EN 12897): 191 W for 2000 L, i.e. 0.18 %/h of the heat stored above "
        "ambient (larger tanks lose less)",
        doc="standing loss as a fraction of the stored heat per hour",
    )
    initial_frac: float = field(
        0.0,
        unit="1",
        low=0.0,
        high=1.0,
        source="convention: the store starts empty",
        doc="state of charge at the start of the first hour",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.capacity_kWh > 0 and self.max_power_kW == 0:
            raise ParameterError(
                f"StoreParams.max_power_kW = 0.0 with capacity_kWh = {self.capacity_kWh}: "
                "the store could never charge; expected max_power_kW in (0, 1e6] kW"
            )


# ----------------------------------------------------------------------------- results


class ExchangerResult(NamedTuple):
    """Result of :func:`exchanger_duty`."""

    heat_kW: FloatArray  #: heat from the hot to the cold side [kW]
    hot_T_out_C: FloatArray  #: hot outlet temperature [degC]
    cold_T_out_C: FloatArray  #: cold outlet temperature [degC]
    effectiveness_frac: FloatArray  #: counterflow effectiveness of the device [1]


class DWHRResult(NamedTuple):
    """Result of :func:`dwhr_heat_kW`."""

    heat_kW: FloatArray  #: heat recovered into the potable water [kW]
    drain_T_out_C: FloatArray  #: drain water temperature leaving the unit [degC]


class StoreResult(NamedTuple):
    """Result of :func:`store_dispatch`; all flows are hourly means [kW = kWh/h]."""

    delivered_kW: FloatArray  #: heat delivered to the demand
    charge_kW: FloatArray  #: heat put into the store
    discharge_kW: FloatArray  #: heat taken from the store
    stored_kWh: FloatArray  #: heat in the store at the end of the hour
    loss_kW: FloatArray  #: standing loss of the store
    curtailed_kW: FloatArray  #: supply neither delivered nor stored (not taken)


class StationResult(NamedTuple):
    """Result of :func:`greywater_heat_pump`; flows are hourly means [kW = kWh/h]."""

    gw_T_out_C: FloatArray  #: greywater temperature leaving the exchanger [degC]
    heat_extracted_kW: FloatArray  #: heat taken from the greywater
    electricity_kW: FloatArray  #: electricity of the compressor
    heat_output_kW: FloatArray  #: condenser output actually produced
    delivered_kW: FloatArray  #: heat delivered to the demand
    store_charge_kW: FloatArray  #: heat put into the store
    store_discharge_kW: FloatArray  #: heat taken from the store
    stored_kWh: FloatArray  #: heat in the store at the end of the hour
    store_loss_kW: FloatArray  #: standing loss of the store
    cop: FloatArray  #: heat_output / electricity; full-load COP in hours the unit is off [1]
    curtailed_kW: FloatArray  #: condenser output that could not be used (never produced)


# ----------------------------------------------------------------------------- helpers


def _div(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """a / b, 0 where b == 0, NaN where a or b is NaN; no floating-point warnings."""
    a, b = np.broadcast_arrays(as_float(a), as_float(b))
    out = np.zeros(a.shape)
    np.divide(a, b, out=out, where=(b != 0))
    return np.where(np.isnan(a) | np.isnan(b), np.nan, out)


# ----------------------------------------------------------------------- heat exchanger


def counterflow_effectiveness(NTU: ArrayLike, Cr: ArrayLike) -> FloatArray:
    r"""Effectiveness of a counterflow heat exchanger.

    Parameters
    ----------
    NTU : array_like
        Number of transfer units UA / C_min, finite, >= 0 [1].
    Cr : array_like
        Capacity-rate ratio C_min / C_max, in [0, 1] [1].

    Returns
    -------
    numpy.ndarray
        Effectiveness Q / (C_min (T_h,in - T_c,in)) in [0, 1] [1]; broadcast shape.

    Notes
    -----
    Counterflow relation of Incropera et al. (2007), Sect. 11.4, Table 11.3:

    .. math:: \varepsilon = \frac{1 - e^{-N(1-C_r)}}{1 - C_r e^{-N(1-C_r)}}

    evaluated in the algebraically equal form
    :math:`\varepsilon = N\phi(x) / (N\phi(x) + e^{-x})` with :math:`x = N(1-C_r)`
    and :math:`\phi(x) = (1-e^{-x})/x` (:math:`\phi(0) = 1`), which has no 0/0 at
    :math:`C_r = 1` and gives the limits :math:`N/(1+N)` at :math:`C_r = 1`
    (same table) and :math:`1-e^{-N}` at :math:`C_r = 0` continuously.

    References
    ----------
    .. [1] Incropera, DeWitt, Bergman & Lavine (2007), Fundamentals of Heat and Mass
       Transfer, 6th ed., Wiley, Sect. 11.4. ISBN 978-0-471-45728-2.
    .. [2] Kays & London (1984), Compact Heat Exchangers, 3rd ed., McGraw-Hill.

    Examples
    --------
    >>> print(np.round(counterflow_effectiveness([1.0, 1.0, 5.0], [0.0, 1.0, 0.7]), 4))
    [0.6321 0.5    0.9207]
    """
    N, C = np.broadcast_arrays(as_float(NTU), as_float(Cr))
    check_in("NTU", N, 0.0, math.inf, open_high=True)
    check_in("Cr", C, 0.0, 1.0)
    x = N * (1.0 - C)
    small = np.abs(x) < 1e-6
    xs = np.where(small, 1.0, x)  # each branch only sees the values it is used for:
    xt = np.where(small, x, 0.0)  # no overflow from the series at huge NTU
    phi = np.where(small, 1.0 - xt / 2.0 + xt * xt / 6.0, -np.expm1(-xs) / xs)
    num = N * phi
    return num / (num + np.exp(-x))


def ua_W_K(area_m2: ArrayLike, U_clean_W_m2K: ArrayLike, fouling_m2K_W: ArrayLike) -> FloatArray:
    r"""Overall conductance UA of a fouled heat exchanger.

    Parameters
    ----------
    area_m2 : array_like
        Heat transfer area [m2].
    U_clean_W_m2K : array_like
        Overall heat transfer coefficient of the clean surface [W m-2 K-1].
    fouling_m2K_W : array_like
        Fouling resistance [m2 K W-1].

    Returns
    -------
    numpy.ndarray
        UA [W K-1].

    Notes
    -----
    Fouling adds a series resistance (Incropera et al. 2007, Sect. 11.2):
    :math:`1/U_f = 1/U_{clean} + R_f`, computed as
    :math:`UA = A\,U_{clean} / (1 + U_{clean} R_f)` (no division by zero).

    References
    ----------
    .. [1] Incropera et al. (2007), Fundamentals of Heat and Mass Transfer, 6th ed.,
       Sect. 11.2, ISBN 978-0-471-45728-2; TEMA Standards, Table RGP-T-2.4.

    Examples
    --------
    >>> print(round(float(ua_W_K(10.0, 534.0, 0.000528)), 1))
    4165.5
    """
    A, U, R = as_float(area_m2), as_float(U_clean_W_m2K), as_float(fouling_m2K_W)
    for name, a in (("area_m2", A), ("U_clean_W_m2K", U), ("fouling_m2K_W", R)):
        check_nonneg(name, a)
    return A * U / (1.0 + U * R)


def exchanger_duty(
    hot_flow_m3_h: ArrayLike,
    hot_T_in_C: ArrayLike,
    cold_flow_m3_h: ArrayLike,
    cold_T_in_C: ArrayLike,
    UA_W_K: ArrayLike,
) -> ExchangerResult:
    r"""Heat recovered by a counterflow water-water heat exchanger.

    Parameters
    ----------
    hot_flow_m3_h : array_like
        Flow on the hot (greywater) side [m3 h-1].
    hot_T_in_C : array_like
        Hot inlet temperature [degC].
    cold_flow_m3_h : array_like
        Flow on the cold (loop) side [m3 h-1].
    cold_T_in_C : array_like
        Cold inlet temperature [degC].
    UA_W_K : array_like
        Overall conductance, e.g. from :func:`ua_W_K` [W K-1].

    Returns
    -------
    ExchangerResult
        ``heat_kW`` [kW], ``hot_T_out_C`` and ``cold_T_out_C`` [degC],
        ``effectiveness_frac`` [1] (that of the device at these flows; 0 when a
        flow is 0), all of the broadcast shape.

    Notes
    -----
    :math:`Q = \varepsilon(NTU, C_r)\,C_{min}\,\max(T_{h,in} - T_{c,in}, 0)` with
    :math:`C = \rho c_p \dot V`, :math:`NTU = UA/C_{min}`, :math:`C_r = C_{min}/C_{max}`
    (Incropera et al. 2007, Sect. 11.4). This is a recovery exchanger:
    when the hot side is not warmer than the cold side no heat flows (no
    reverse flow is modelled). A zero flow on either side gives zero heat and
    outlet = inlet. NaN in any input gives NaN in every output.

    References
    ----------
    .. [1] Incropera et al. (2007), Fundamentals of Heat and Mass Transfer, 6th ed.,
       Sect. 11.4, ISBN 978-0-471-45728-2.

    Examples
    --------
    >>> r = exchanger_duty(1.0, 30.0, 1.0, 10.0, 1161.1)
    >>> print(round(float(r.heat_kW), 2), round(float(r.hot_T_out_C), 2))
    11.61 20.0
    """
    Vh, Th, Vc, Tc, UA = np.broadcast_arrays(
        as_float(hot_flow_m3_h),
        as_float(hot_T_in_C),
        as_float(cold_flow_m3_h),
        as_float(cold_T_in_C),
        as_float(UA_W_K),
    )
    check_nonneg("hot_flow_m3_h", Vh)
    check_nonneg("cold_flow_m3_h", Vc)
    check_nonneg("UA_W_K", UA)
    Ch, Cc = Vh * _C_W_K_PER_M3_H, Vc * _C_W_K_PER_M3_H
    Cmin, Cmax = np.minimum(Ch, Cc), np.maximum(Ch, Cc)
    eff = counterflow_effectiveness(_div(UA, Cmin), _div(Cmin, Cmax))
    eff = np.where(Cmin > 0, eff, np.where(np.isnan(Cmin), np.nan, 0.0))
    heat_W = eff * Cmin * np.maximum(Th - Tc, 0.0)
    nan = np.isnan(Vh) | np.isnan(Th) | np.isnan(Vc) | np.isnan(Tc) | np.isnan(UA)
    heat_W = np.where(nan, np.nan, heat_W)
    return ExchangerResult(
        heat_kW=heat_W / 1000.0,
        hot_T_out_C=Th - _div(heat_W, Ch),
        cold_T_out_C=Tc + _div(heat_W, Cc),
        effectiveness_frac=np.where(nan, np.nan, eff),
    )


# ------------------------------------------------------------ drain-water heat recovery


def dwhr_effectiveness(
    flow_L_min: ArrayLike,
    *,
    rated_effectiveness_frac: float,
    rated_flow_L_min: float,
    film_exponent: float,
) -> FloatArray:
    r"""Effectiveness of an equal-flow DWHR unit at another flow than its rating.

    Parameters
    ----------
    flow_L_min : array_like
        Equal flow on both sides [L min-1].
    rated_effectiveness_frac : float
        Effectiveness at the rating point, in [0, 1) [1].
    rated_flow_L_min : float
        Flow of the rating point, > 0 [L min-1].
    film_exponent : float
        Exponent n of :math:`UA \propto \dot V^n`, in [0, 1] [1].

    Returns
    -------
    numpy.ndarray
        Effectiveness [1].

    Notes
    -----
    At equal flows (:math:`C_r = 1`) the counterflow relation is
    :math:`\varepsilon = NTU/(1+NTU)` (Incropera et al. 2007, Table 11.3). The
    rating gives :math:`NTU_r = \varepsilon_r/(1-\varepsilon_r)`; with
    :math:`UA \propto \dot V^n` and :math:`C \propto \dot V`,
    :math:`NTU = NTU_r (\dot V/\dot V_r)^{n-1}`, evaluated as
    :math:`\varepsilon = \varepsilon_r / (\varepsilon_r + (1-\varepsilon_r)(\dot V/\dot V_r)^{1-n})`.
    Manouchehri & Collins (2020) likewise derive off-rating performance from
    rating data, with more detailed correlations; the single exponent here is a
    simplification whose error is quantified in tests/validation.

    References
    ----------
    .. [1] Manouchehri & Collins (2020), Modelling the steady-state performance of
       coiled falling-film drain water heat recovery systems using rated data,
       Resources 9(6):69, doi:10.3390/resources9060069.
    .. [2] CSA B55.1 (2015), Test method for measuring efficiency and pressure loss of
       drain water heat recovery units, CSA Group.

    Examples
    --------
    >>> e = dwhr_effectiveness([5.7, 9.5, 13.2], rated_effectiveness_frac=0.5,
    ...                        rated_flow_L_min=9.5, film_exponent=0.8)
    >>> print(np.round(e, 4))
    [0.5255 0.5    0.4836]
    """
    q = as_float(flow_L_min)
    check_nonneg("flow_L_min", q)
    er, qr, n = (
        as_float(rated_effectiveness_frac),
        as_float(rated_flow_L_min),
        as_float(film_exponent),
    )
    check_in("rated_effectiveness_frac", er, 0.0, 1.0, open_high=True)
    check_in("rated_flow_L_min", qr, 1e-9, math.inf, open_high=True)
    check_in("film_exponent", n, 0.0, 1.0)
    p = (q / qr) ** (1.0 - n)
    return _div(er * np.ones_like(p), er + (1.0 - er) * p)


def dwhr_heat_kW(
    drain_flow_m3_h: ArrayLike, drain_T_C: ArrayLike, cold_T_C: ArrayLike, params: DWHRParams
) -> DWHRResult:
    r"""Heat recovered by shower DWHR units in equal-flow configuration.

    Parameters
    ----------
    drain_flow_m3_h : array_like
        Shower drain flow through the units (hourly mean) [m3 h-1].
    drain_T_C : array_like
        Drain water temperature entering the units [degC].
    cold_T_C : array_like
        Cold (mains) water temperature [degC].
    params : DWHRParams
        Unit parameters.

    Returns
    -------
    DWHRResult
        ``heat_kW`` recovered into the potable water [kW] and ``drain_T_out_C`` [degC].

    Notes
    -----
    :math:`Q = \varepsilon\,\rho c_p \dot V \max(T_{drain} - T_{cold}, 0)`, equal
    flows on both sides. The hourly volume is taken as many showers running at
    ``params.shower_flow_L_min``, so :math:`\varepsilon` is
    :func:`dwhr_effectiveness` at that flow, not at the (much smaller) hourly
    mean flow. Drain water colder than the mains recovers nothing.
    :math:`T_{drain,out} = T_{drain} - Q/(\rho c_p \dot V)`; zero flow gives zero
    heat and outlet = inlet.

    References
    ----------
    .. [1] Manouchehri & Collins (2020), Resources 9(6):69, doi:10.3390/resources9060069.

    Examples
    --------
    >>> r = dwhr_heat_kW([0.0, 0.1], 38.0, 10.0, DWHRParams(rated_effectiveness_frac=0.5,
    ...                  shower_flow_L_min=9.5))
    >>> print(np.round(r.heat_kW, 3), np.round(r.drain_T_out_C, 2))
    [0.    1.626] [38. 24.]
    """
    V, Td, Tc = np.broadcast_arrays(
        as_float(drain_flow_m3_h), as_float(drain_T_C), as_float(cold_T_C)
    )
    check_nonneg("drain_flow_m3_h", V)
    eps = dwhr_effectiveness(
        params.shower_flow_L_min,
        rated_effectiveness_frac=params.rated_effectiveness_frac,
        rated_flow_L_min=params.rated_flow_L_min,
        film_exponent=params.film_exponent,
    )
    C_kW_K = CV_WATER_kWh_m3K * V
    heat = eps * C_kW_K * np.maximum(Td - Tc, 0.0)
    return DWHRResult(heat_kW=heat, drain_T_out_C=Td - _div(heat, C_kW_K))


# ---------------------------------------------------------------------------- heat pump


def carnot_cop(
    source_T_C: ArrayLike, sink_T_C: ArrayLike, carnot_frac: ArrayLike, approach_K: ArrayLike
) -> FloatArray:
    r"""Heating COP of a heat pump as a fraction of the Carnot COP.

    Parameters
    ----------
    source_T_C : array_like
        Source fluid temperature entering the evaporator [degC].
    sink_T_C : array_like
        Supply temperature on the condenser side [degC].
    carnot_frac : array_like
        Second-law efficiency, in (0, 1] [1].
    approach_K : array_like
        Fluid-refrigerant temperature difference at each of evaporator and
        condenser, >= 0 [K].

    Returns
    -------
    numpy.ndarray
        Heating COP [1].

    Notes
    -----
    :math:`COP = \eta\,T_{cond}/\max(T_{cond} - T_{evap}, \Delta T_{min})` with
    :math:`T_{cond} = T_{sink} + \Delta T_{app}`, :math:`T_{evap} = T_{source} -
    \Delta T_{app}` in kelvin (Carnot COP of heating times a second-law
    efficiency, as in Jesper et al. 2021). The lift is floored at
    :data:`MIN_LIFT_K` = 10 K, the lower end of the regression data of Jesper et
    al. (2021), so the COP stays finite (about 17 at a 60 degC sink) when the
    source is nearly as warm as the sink. The COP may fall below 1 at very high
    lifts; :func:`greywater_heat_pump` then does not run the unit.

    References
    ----------
    .. [1] Jesper, Schlosser, Pag, Walmsley, Schmitt & Vajen (2021), Large-scale heat
       pumps: uptake and performance modelling of market-available devices, Renew.
       Sustain. Energy Rev. 137:110646, doi:10.1016/j.rser.2020.110646.

    Examples
    --------
    >>> print(round(float(carnot_cop(17.0, 60.0, 0.5, 2.5)), 3))
    3.496
    """
    Ts, Tk = np.broadcast_arrays(as_float(source_T_C), as_float(sink_T_C))
    eta, app = as_float(carnot_frac), as_float(approach_K)
    check_in("carnot_frac", eta, 1e-9, 1.0)
    check_nonneg("approach_K", app)
    T_cond = Tk + app + T0_K
    T_evap = Ts - app + T0_K
    return eta * T_cond / np.maximum(T_cond - T_evap, MIN_LIFT_K)


def part_load_cop(
    cop_full: ArrayLike, part_load_frac: ArrayLike, degradation_coef: ArrayLike
) -> FloatArray:
    r"""COP of a heat pump cycling on/off at part load (EN 14825).

    Parameters
    ----------
    cop_full : array_like
        COP at full (declared) capacity [1].
    part_load_frac : array_like
        Capacity ratio CR = load / declared capacity at the cycling step, in [0, 1] [1].
    degradation_coef : array_like
        Degradation coefficient Cd, in [0, 1]; 1 = no cycling loss [1].

    Returns
    -------
    numpy.ndarray
        Part-load COP [1].

    Notes
    -----
    EN 14825:2018, COP of water/brine-to-water units at bins where the unit
    cycles: :math:`COP_{PL} = COP \cdot CR / (C_d\,CR + 1 - C_d)`, default
    :math:`C_d` = 0.9. This is the European convention (:math:`C_d = 1` means no
    loss), not the US one (PLF = 1 - Cd (1 - PLR)). At CR = 0 the result is 0,
    except for :math:`C_d = 1` where it is ``cop_full``.

    References
    ----------
    .. [1] EN 14825:2018, Air conditioners, liquid chilling packages and heat pumps ...
       Testing and rating at part load conditions and calculation of seasonal
       performance, CEN.

    Examples
    --------
    >>> print(np.round(part_load_cop(4.0, [1.0, 0.5, 0.1], 0.9), 4))
    [4.     3.6364 2.1053]
    """
    cop, cr, cd = np.broadcast_arrays(
        as_float(cop_full), as_float(part_load_frac), as_float(degradation_coef)
    )
    check_in("part_load_frac", cr, 0.0, 1.0)
    check_in("degradation_coef", cd, 0.0, 1.0)
    ratio = _div(cr, 1.0 - cd * (1.0 - cr))  # = CR / (Cd CR + 1 - Cd), exact at CR = 1
    ratio = np.where((cd == 1.0) & (cr == 0.0), 1.0, ratio)
    return cop * ratio


def cycling_cop(
    heat_output_kW: ArrayLike, cop_full: ArrayLike, heat_pump: HeatPumpParams
) -> FloatArray:
    r"""COP of a heat pump at its hourly output, cycling below its lowest modulation.

    Parameters
    ----------
    heat_output_kW : array_like
        Condenser output in the hour, in [0, capacity] [kW].
    cop_full : array_like
        Full-load COP (e.g. :func:`carnot_cop`) [1].
    heat_pump : HeatPumpParams
        Its capacity, lowest part load and EN 14825 degradation coefficient.

    Returns
    -------
    numpy.ndarray
        COP at the hour's load [1], floored at 1.

    Notes
    -----
    Part-load ratio :math:`P/P_{cap}`, capacity ratio at the cycling step
    :math:`CR = \min(1, (P/P_{cap})/f_{min})`, :math:`COP_{PL}` =
    :func:`part_load_cop`, floored at 1 (at tiny CR the EN 14825 form falls
    below 1; the unit is then counted no worse than a resistance heater).

    Examples
    --------
    >>> hp = HeatPumpParams(capacity_kW=10.0)
    >>> print(np.round(cycling_cop([10.0, 5.0], 4.0, hp), 4))
    [4.     3.6364]
    """
    hp = heat_pump
    plr = _div(as_float(heat_output_kW), hp.capacity_kW)
    if hp.min_part_load_frac > 0.0:
        cr = np.clip(plr / hp.min_part_load_frac, 0.0, 1.0)
    else:
        cr = np.where(plr > 0.0, 1.0, np.clip(plr, 0.0, 1.0))
    return np.maximum(part_load_cop(cop_full, cr, hp.degradation_coef), 1.0)


# ------------------------------------------------------------------------------- store


def store_dispatch(supply_kW: ArrayLike, demand_kW: ArrayLike, params: StoreParams) -> StoreResult:
    r"""Hour-by-hour dispatch of a heat store between a supply and a demand.

    Parameters
    ----------
    supply_kW : array_like
        Heat that can be supplied each hour, >= 0; time on the last axis [kW].
    demand_kW : array_like
        Heat demand each hour, >= 0; broadcast with ``supply_kW`` [kW].
    params : StoreParams
        Store parameters.

    Returns
    -------
    StoreResult
        Hourly ``delivered_kW``, ``charge_kW``, ``discharge_kW``, ``loss_kW``,
        ``curtailed_kW`` [kW = kWh per hour] and ``stored_kWh`` at the end of
        each hour [kWh]; broadcast shape.

    Notes
    -----
    Each hour, with :math:`S_0` the heat stored at its start: the standing loss
    :math:`L = f S_0` is taken first; the supply serves the demand directly;
    the surplus charges the store up to ``max_power_kW`` and the free capacity
    :math:`S_{max} - (S_0 - L)`; a deficit is met from the store up to
    ``max_power_kW`` and :math:`S_0 - L`. Supply that is neither delivered nor
    stored is curtailed (not taken from the source). Charging and discharging
    have no losses besides the standing loss. The balance
    :math:`supply - curtailed = delivered + L + (S_1 - S_0)` holds every hour.
    NaN in an hour makes that hour NaN and, when the store is built, every
    later hour (its state is unknown); with ``capacity_kWh`` = 0 the store
    stays empty and only NaN hours are NaN.

    Examples
    --------
    >>> r = store_dispatch([5.0, 0.0, 0.0], [2.0, 2.0, 2.0],
    ...                    StoreParams(capacity_kWh=2.5, max_power_kW=10.0))
    >>> print(r.delivered_kW, r.stored_kWh, r.curtailed_kW)
    [2.  2.  0.5] [2.5 0.5 0. ] [0.5 0.  0. ]
    """
    sup, dem = np.broadcast_arrays(as_float(supply_kW), as_float(demand_kW))
    check_nonneg("supply_kW", sup)
    check_nonneg("demand_kW", dem)
    shape = sup.shape
    if params.capacity_kWh == 0.0:
        delivered = np.minimum(sup, dem)
        nan = np.isnan(sup) | np.isnan(dem)
        zero = np.where(nan, np.nan, 0.0)
        return StoreResult(delivered, zero, zero.copy(), zero.copy(), zero.copy(), sup - delivered)
    T = shape[-1] if shape else 1
    rows_s = sup.reshape(-1, T).tolist()
    rows_d = dem.reshape(-1, T).tolist()
    out: FloatArray = np.empty((6, len(rows_s), T))
    cap, pmax, f = params.capacity_kWh, params.max_power_kW, params.loss_frac_h
    nan = math.nan
    for i, (srow, drow) in enumerate(zip(rows_s, rows_d, strict=True)):
        s = params.initial_frac * cap
        res: list[tuple[float, ...]] = []
        append = res.append
        for sp, d in zip(srow, drow, strict=True):
            if sp != sp or d != d or s != s:  # NaN: the state becomes unknown
                s = nan
                append((nan, nan, nan, nan, nan, nan))
                continue
            loss = f * s
            s -= loss
            if sp >= d:  # surplus charges the store
                room = cap - s
                charge = sp - d
                if charge > pmax:
                    charge = pmax
                if charge >= room:  # full: land exactly on the capacity
                    charge = room
                    s = cap
                else:
                    s += charge
                append((d, charge, 0.0, s, loss, sp - d - charge))
            else:  # deficit is met from the store
                discharge = d - sp
                if discharge > pmax:
                    discharge = pmax
                if discharge > s:
                    discharge = s
                s -= discharge
                append((sp + discharge, 0.0, discharge, s, loss, 0.0))
        out[:, i, :] = np.array(res).T
    out = out.reshape((6, *shape)) if shape else out.reshape(6)
    return StoreResult(*out)


# ----------------------------------------------------------------------------- station


def greywater_heat_pump(
    gw_flow_m3_h: ArrayLike,
    gw_T_C: ArrayLike,
    demand_kW: ArrayLike,
    *,
    exchanger: ExchangerParams,
    heat_pump: HeatPumpParams,
    store: StoreParams,
) -> StationResult:
    r"""Greywater heat-pump station: exchanger, heat pump and heat store, hour by hour.

    Parameters
    ----------
    gw_flow_m3_h : array_like
        Greywater flow through the exchanger (hourly mean) [m3 h-1].
    gw_T_C : array_like
        Greywater temperature entering the exchanger [degC].
    demand_kW : array_like
        Heat demand served by the station at ``heat_pump.supply_T_C`` [kW].
    exchanger : ExchangerParams
        Greywater heat exchanger and source loop.
    heat_pump : HeatPumpParams
        Heat pump.
    store : StoreParams
        Heat store on the heat-pump output.

    Returns
    -------
    StationResult
        Hourly values, see :class:`StationResult`.

    Notes
    -----
    Non-iterative algorithm, each hour:

    1. the exchanger at full loop flow gives the available extraction
       :math:`Q_{av}` and the loop outlet temperature (:func:`exchanger_duty`);
    2. the COP source temperature is that loop outlet, the warmest point of the
       loop; :math:`COP` = :func:`carnot_cop` at full load;
    3. available condenser output :math:`P_{av} = \min(P_{cap}, Q_{av}\,COP/(COP-1))`
       (0 where COP <= 1);
    4. :func:`store_dispatch` with supply :math:`P_{av}` and the demand; the
       condenser output is :math:`P = P_{av} - curtailed`;
    5. part-load ratio :math:`P/P_{cap}`, capacity ratio at the cycling step
       :math:`CR = \min(1, (P/P_{cap})/f_{min})`, :math:`COP_{PL}` =
       :func:`part_load_cop`, floored at 1 (at tiny CR the EN 14825 form falls
       below 1; the unit is then counted no worse than a resistance heater and
       extracts nothing); electricity :math:`E = P/COP_{PL}`, extraction
       :math:`Q = P - E`. Since :math:`1 \le COP_{PL} \le COP` and
       :math:`P \le P_{av}`, :math:`0 \le Q \le Q_{av}`;
    6. :math:`T_{gw,out} = T_{gw} - Q/(\rho c_p \dot V)` (zero flow: outlet = inlet).

    Balances, exact every hour: :math:`Q + E = P` and
    :math:`P = delivered + loss + (S_1 - S_0)`; the greywater enthalpy drop
    equals :math:`Q`. Curtailed output is never produced. The loop is assumed
    to run at full flow even at part load (the exchanger duty is not
    re-evaluated), which slightly overstates the COP source temperature.

    References
    ----------
    .. [1] Jesper et al. (2021), Renew. Sustain. Energy Rev. 137:110646,
       doi:10.1016/j.rser.2020.110646.
    .. [2] EN 14825:2018, CEN.

    Examples
    --------
    >>> r = greywater_heat_pump([2.0, 2.0, 0.0], [25.0, 25.0, 25.0], [10.0, 40.0, 5.0],
    ...     exchanger=ExchangerParams(area_m2=20.0, loop_flow_m3_h=3.0),
    ...     heat_pump=HeatPumpParams(capacity_kW=30.0),
    ...     store=StoreParams(capacity_kWh=20.0, max_power_kW=20.0))
    >>> print(r.heat_output_kW.round(2), r.delivered_kW.round(2), r.cop.round(2))
    [30. 30.  0.] [10. 40.  5.] [3.5  3.5  2.84]
    >>> bool(np.allclose(r.heat_extracted_kW + r.electricity_kW, r.heat_output_kW))
    True
    """
    Vg, Tg, dem = np.broadcast_arrays(as_float(gw_flow_m3_h), as_float(gw_T_C), as_float(demand_kW))
    check_nonneg("gw_flow_m3_h", Vg)
    check_nonneg("demand_kW", dem)
    hp = heat_pump
    UA = ua_W_K(exchanger.area_m2, exchanger.U_clean_W_m2K, exchanger.fouling_m2K_W)
    hx = exchanger_duty(Vg, Tg, exchanger.loop_flow_m3_h, exchanger.loop_T_in_C, UA)
    cop = carnot_cop(hx.cold_T_out_C, hp.supply_T_C, hp.carnot_frac, hp.approach_K)
    runs = cop > 1.0
    q_av = hx.heat_kW
    p_hp = _div(q_av * cop, np.where(runs, cop - 1.0, 0.0))
    p_av = np.where(np.isnan(cop), np.nan, np.minimum(hp.capacity_kW, p_hp))
    st = store_dispatch(p_av, dem, store)
    out = p_av - st.curtailed_kW
    cop_pl = cycling_cop(out, cop, hp)
    elec = _div(out, cop_pl)
    extracted = out - elec
    return StationResult(
        gw_T_out_C=Tg - _div(extracted, CV_WATER_kWh_m3K * Vg),
        heat_extracted_kW=extracted,
        electricity_kW=elec,
        heat_output_kW=out,
        delivered_kW=st.delivered_kW,
        store_charge_kW=st.charge_kW,
        store_discharge_kW=st.discharge_kW,
        stored_kWh=st.stored_kWh,
        store_loss_kW=st.loss_kW,
        cop=np.where(np.isnan(out), np.nan, np.where(out > 0.0, cop_pl, cop)),
        curtailed_kW=st.curtailed_kW,
    )


# ------------------------------------------------------------------ unit types


def station_potential(
    gw_flow_m3_h: ArrayLike,
    gw_T_C: ArrayLike,
    exchanger: ExchangerParams,
    heat_pump: HeatPumpParams,
    areas_m2: ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Condenser output a station could give at full load, and its full-load COP, per area.

    Steps 1-3 of :func:`greywater_heat_pump` with an unlimited heat-pump
    capacity: the exchanger duty at full loop flow, the Carnot-fraction COP
    at the loop outlet, and the output :math:`Q\\,COP/(COP - 1)`.

    Parameters
    ----------
    gw_flow_m3_h, gw_T_C : array_like, shape (time,)
        Greywater flow [m3 h-1] and temperature [degC].
    exchanger, heat_pump : ExchangerParams, HeatPumpParams
        The exchanger's area is replaced by each of ``areas_m2``.
    areas_m2 : array_like, shape (areas,)
        Exchanger areas [m2].

    Returns
    -------
    output_kW : numpy.ndarray, shape (areas, time)
        Condenser output available [kW] (0 where the COP is at most 1).
    cop : numpy.ndarray, shape (areas, time)
        Full-load COP [1] (1 where the heat pump cannot run).
    """
    areas = np.asarray(areas_m2, dtype=float)[:, None]
    UA = ua_W_K(areas, exchanger.U_clean_W_m2K, exchanger.fouling_m2K_W)
    duty = exchanger_duty(gw_flow_m3_h, gw_T_C, exchanger.loop_flow_m3_h, exchanger.loop_T_in_C, UA)
    cop = carnot_cop(
        duty.cold_T_out_C, heat_pump.supply_T_C, heat_pump.carnot_frac, heat_pump.approach_K
    )
    cop = np.where(np.isfinite(cop), cop, 0.0)
    runs = cop > 1.0
    output = np.where(runs, duty.heat_kW * cop / np.where(runs, cop - 1.0, 1.0), 0.0)
    return output, np.where(runs, cop, 1.0)


_HEAT_RECOVERED = Output(
    "heat_recovered_kW", "kW", "heat recovered from wastewater", role="heat_recovered"
)
_WATER_IN = Port("in", "water", "in")
_WATER_OUT = Port("out", "water", "out")


@functools.cache
def _dwhr_model() -> type[BaseModel]:
    """Pydantic model of a ``shower_dwhr`` table: DWHRParams plus ``product_class``."""
    from typing import Literal

    from pydantic import Field, create_model

    from nexus.schema import CONFIG, params_model

    choice = Literal[tuple(DWHR_CLASSES)]  # type: ignore[valid-type]
    fields: dict[str, Any] = {
        "product_class": (
            choice | None,
            Field(None, description="rated product class (DWHR_CLASSES); sets the rating"),
        )
    }
    fields.update((n, (f.annotation, f)) for n, f in params_model(DWHRParams).model_fields.items())
    return create_model("ShowerDwhrModel", __config__=CONFIG, **fields)


class ShowerDWHRType(UnitType):
    """Drain-water heat recovery at the showers: preheats their cold water (hot water only)."""

    name = "shower_dwhr"
    description = "drain-water heat recovery at the showers (preheats their cold water)"
    ports = (_WATER_IN, _WATER_OUT, Port("heat", "heat", "out", serves=("dhw",)))
    params = DWHRParams
    outputs = (
        _HEAT_RECOVERED,
        Output("heat_unused_kW", "kW", "drain heat the hot-water demand could not take"),
    )

    @property
    def model(self) -> type[BaseModel]:
        """The parameters of :class:`DWHRParams` and an optional ``product_class``
        (a key of :data:`DWHR_CLASSES`) that sets the rating."""
        return _dwhr_model()

    def make_params(self, validated: BaseModel) -> DWHRParams:
        """:class:`DWHRParams` from the file table; a ``product_class`` sets the rating.

        Raises
        ------
        nexus.ParameterError
            ``product_class`` is given together with ``rated_effectiveness_frac``
            or ``rated_flow_L_min``: two ratings for one unit.
        """
        values = validated.model_dump()
        name = values.pop("product_class")
        if name is None:
            return DWHRParams(**values)
        both = sorted({"rated_effectiveness_frac", "rated_flow_L_min"} & validated.model_fields_set)
        if both:
            raise ParameterError(
                f"product_class = {name!r} and {', '.join(both)} are both given: two ratings for "
                "one unit; expected either a product class or the unit's own rating"
            )
        cls = DWHR_CLASSES[name]
        values["rated_effectiveness_frac"] = cls.rated_effectiveness_frac
        # a class rated in use (no test flow) applies at the shower flow: no flow correction
        values["rated_flow_L_min"] = (
            values["shower_flow_L_min"] if cls.rated_flow_L_min is None else cls.rated_flow_L_min
        )
        return DWHRParams(**values)

    def run(self, params: DWHRParams, inputs: NodeInputs) -> NodeResult:
        """Heat up to the hot-water demand open at the inlets it serves."""
        water = inputs.inlets["in"]
        possible = dwhr_heat_kW(water.flow_m3_h, water.T_C, inputs.T_mains_C, params).heat_kW
        delivered = np.minimum(possible, inputs.open_demand_kW["heat"])
        return NodeResult(
            outlets={"out": water.cooled_by(delivered)},
            supply_kW={"heat": delivered},
            outputs={"heat_recovered_kW": delivered, "heat_unused_kW": possible - delivered},
        )

    def sample(self, ctx: SampleContext, columns: list[Column]) -> dict[str, FloatArray]:
        """The heat its rating gives each hour, before any demand limit."""
        water = ctx.inputs.inlets["in"]
        heat = dwhr_heat_kW(water.flow_m3_h, water.T_C, ctx.inputs.T_mains_C, ctx.params).heat_kW
        return {"heat_kW": heat}

    def build(self, ctx: BuildContext) -> None:
        """Heat up to what the rating gives each step."""
        heat = ctx.var("heat", ctx.TIME, units="kW", doc="heat recovered", ub=ctx.series("heat_kW"))
        ctx.supply("heat", heat)
        ctx.report("heat_recovered_kW", heat)


#: Outputs every heat-pump type reports alike (this module's greywater pump, the heat pump
#: of :mod:`nexus.units.waste_to_energy`): one declaration, so that a name keeps one meaning.
HEAT_PUMP_OUTPUTS = (
    Output("electricity_use_kW", "kW", "electricity drawn", annual="electricity used"),
    Output("heat_output_kW", "kW", "heat-pump condenser output"),
    Output("heat_delivered_kW", "kW", "heat delivered", annual="heat delivered"),
    Output("cop", "1", "heat-pump coefficient of performance"),
)
#: The seasonal performance factor of a heat pump: its output over its electricity.
SEASONAL_PERFORMANCE = Ratio(
    "seasonal performance factor", "-", "heat_output_kW", "electricity_use_kW"
)


class GreywaterHeatPumpType(UnitType):
    """A central greywater heat exchanger feeding a heat pump with a heat store."""

    name = "greywater_heat_pump"
    description = "central greywater heat exchanger, heat pump and heat store"
    ports = (
        _WATER_IN,
        _WATER_OUT,
        Port("heat", "heat", "out", serves=("space_heating", "dhw")),
        Port("power", "electricity", "in"),
    )
    params = {"exchanger": ExchangerParams, "heat_pump": HeatPumpParams, "store": StoreParams}
    sizes = (
        Size("exchanger.area_m2", sampled=True),
        Size("heat_pump.capacity_kW"),
        Size("store.capacity_kWh"),
    )
    outputs = (
        _HEAT_RECOVERED,
        *HEAT_PUMP_OUTPUTS,
        Output("store_charge_kW", "kW", "heat store charging"),
        Output("store_discharge_kW", "kW", "heat store discharging"),
        Output(
            "heat_curtailed_kW",
            "kW",
            "heat-pump output not produced for lack of demand or storage",
        ),
    )
    ratios = (SEASONAL_PERFORMANCE,)

    def run(self, params: dict[str, Any], inputs: NodeInputs) -> NodeResult:
        """:func:`greywater_heat_pump` on the inlet water and the demand open downstream."""
        water = inputs.inlets["in"]
        store = params["store"]
        r = greywater_heat_pump(
            water.flow_m3_h,
            water.T_C,
            inputs.open_demand_kW["heat"],
            exchanger=params["exchanger"],
            heat_pump=params["heat_pump"],
            store=store,
        )
        held_before = store.initial_frac * store.capacity_kWh
        return NodeResult(
            outlets={"out": water.at_temperature(r.gw_T_out_C)},
            supply_kW={"heat": r.delivered_kW},
            draw_kW={"power": r.electricity_kW},
            heat_loss_kW=r.store_loss_kW,
            heat_accumulation_kW=np.diff(r.stored_kWh, prepend=held_before),
            heat_held_kWh=r.stored_kWh,
            outputs={
                "heat_recovered_kW": r.heat_extracted_kW,
                "electricity_use_kW": r.electricity_kW,
                "heat_output_kW": r.heat_output_kW,
                "heat_delivered_kW": r.delivered_kW,
                "store_charge_kW": r.store_charge_kW,
                "store_discharge_kW": r.store_discharge_kW,
                "cop": r.cop,
                "heat_curtailed_kW": r.curtailed_kW,
            },
        )

    def check_design(self, params: dict[str, Any], chosen: set[str]) -> dict[str, str]:
        """A store the optimizer sizes needs a charge power."""
        if "capacity_kWh" in chosen and params["store"].max_power_kW == 0:
            return {
                "capacity_kWh": "a store the optimizer sizes needs a charge power: "
                "store.max_power_kW is 0; expected a power > 0"
            }
        return {}

    def sample(self, ctx: SampleContext, columns: list[Column]) -> dict[str, FloatArray]:
        """Full-load output and COP per exchanger area (:func:`station_potential`).

        The map's COP is the full-load COP divided by the part-load
        electricity factor of the year simulated with the file's sizes
        (EN 14825 cycling): electricity used / what the full-load COP implies.
        """
        p = ctx.params
        water = ctx.inputs.inlets["in"]
        areas = [c.params["exchanger"].area_m2 for c in columns]
        output, cop = station_potential(
            water.flow_m3_h, water.T_C, p["exchanger"], p["heat_pump"], areas
        )
        _, cop_file = station_potential(
            water.flow_m3_h, water.T_C, p["exchanger"], p["heat_pump"], [p["exchanger"].area_m2]
        )
        out_file = ctx.outputs["heat_output_kW"]
        full_load = float(
            np.sum(
                np.divide(out_file, cop_file[0], out=np.zeros_like(out_file), where=cop_file[0] > 0)
            )
        )
        used = float(ctx.outputs["electricity_use_kW"].sum())
        factor = used / full_load if full_load > 0 else 1.0
        ctx.note("part_load_electricity_factor", factor)
        return {"output_kW": output, "cop": cop / factor}

    def build(self, ctx: BuildContext) -> None:
        """Condenser output from each sampled exchanger, within the capacity; a store on it."""
        capacity = ctx.size("heat_pump.capacity_kW")
        store_capacity = ctx.size("store.capacity_kWh")
        store = ctx.params["store"]
        out_k, cop_k = ctx.series("output_kW"), ctx.series("cop")
        SOURCE = ctx.set("SOURCE", range(out_k.shape[0]), doc="exchanger samples")
        out = ctx.var("out", SOURCE, ctx.TIME, units="kW", doc="condenser output")
        ctx.constrain(
            "out_potential",
            out <= ctx.weighted("output_kW", "kW"),
            "output at most what the sampled exchanger gives",
            sets=(SOURCE, ctx.TIME),
        )
        total = out.sum(axis=0)
        ctx.constrain("capacity", total <= capacity, "output at most the capacity")
        electricity = (out * (1.0 / cop_k)).sum(axis=0)
        p_max = float(store.max_power_kW)
        charge = ctx.var("charge", ctx.TIME, units="kW", doc="store charging", ub=p_max)
        discharge = ctx.var("discharge", ctx.TIME, units="kW", doc="store discharging", ub=p_max)
        held = ctx.var("soc", ctx.TIME, units="kWh", doc="heat in store")
        ctx.constrain("soc_max", held <= store_capacity, "store at most its capacity")
        kept = (1.0 - float(store.loss_frac_h)) * held.take(ctx.prev)
        ctx.constrain(
            "store_balance",
            held == kept + (charge - discharge).scaled(unit="h"),
            "heat in store: kept from the step before, plus charge, less discharge",
        )
        ctx.constrain("charge_from_output", charge <= total, "the store charges from the output")
        delivered = total - charge + discharge
        ctx.supply("heat", delivered)
        ctx.demand("power", electricity)
        ctx.report("heat_output_kW", total)
        ctx.report("heat_delivered_kW", delivered)
        ctx.report("electricity_use_kW", electricity)
        ctx.report("heat_held_kWh", held)


register(ShowerDWHRType())
register(GreywaterHeatPumpType())
