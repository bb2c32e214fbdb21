"""Biogas to electricity for electric vehicles: a methane store, a gas-engine CHP
and the vehicle-kilometres its electricity drives.

Methane from the digesters goes to a gas store (a low-pressure gas holder);
the CHP engine burns it and makes electricity and heat; methane that can be
neither stored nor burnt is flared. The electricity charges electric
vehicles. The time step is one hour, so a flow in kW is also the energy in
kWh of that hour and a gas flow in Nm3/h the volume in Nm3 of that hour.
Gas volumes are at normal conditions, 0 degC and 1.01325 bar
(:data:`T_NORMAL_C`, :data:`P_NORMAL_bar`); fuel energy is on the lower
heating value (LHV) of methane, :data:`LHV_CH4_kWh_Nm3`.

NaN inputs propagate as NaN; negative flows or consumptions raise
:class:`~nexus.errors.ParameterError` naming the argument.

Contents
--------
- :data:`LHV_CH4_kWh_Nm3`, :data:`T_NORMAL_C`, :data:`P_NORMAL_bar`;
- :class:`BiogasStoreParams`, :class:`CHPParams`;
- :func:`electrical_efficiency`: part-load electrical efficiency (Willans line);
- :func:`chp_dispatch` and :class:`CHPResult`: store and engine, hour by hour;
- :func:`delivered`: what an outlet delivers of what a unit makes, and what is lost;
- :func:`build_burn_or_flare`: the optimizer's rows of methane burnt or flared,
  shared with the biogas boiler (:mod:`nexus.units.boiler`), as are the outputs
  :data:`HEAT_GENERATED`, :data:`HEAT_DUMPED` and :data:`FLARED`;
- :class:`EVParams`, :func:`ev_km`: vehicle-kilometres from electricity;
- the unit type ``chp`` (:class:`CHPType`): ports, sizes, outputs,
  simulation and optimizer model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from nexus.errors import ParameterError
from nexus.registry import NodeInputs, NodeResult, Output, Port, Size, UnitType, register
from nexus.units.checks import as_float, check_in, check_nonneg
from nexus.units.params import Params, field

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from nexus._typing import FloatArray
    from nexus.optimize.linear import Affine
    from nexus.optimize.model import BuildContext

__all__ = [
    "FLARED",
    "HEAT_DUMPED",
    "HEAT_GENERATED",
    "T_NORMAL_C",
    "BiogasStoreParams",
    "CHPParams",
    "CHPResult",
    "CHPType",
    "EVParams",
    "LHV_CH4_kWh_Nm3",
    "P_NORMAL_bar",
    "build_burn_or_flare",
    "chp_dispatch",
    "delivered",
    "electrical_efficiency",
    "ev_km",
]

#: Lower heating value of methane per normal cubic metre [kWh/Nm3]:
#: FNR (Fachagentur Nachwachsende Rohstoffe), "Faustzahlen Biogas",
#: https://biogas.fnr.de/daten-und-fakten/faustzahlen: "1 m3 Methan 9,97 kWh
#: Energiegehalt", "Heizwert 36 MJ/m3" (9.97 kWh = 35.9 MJ). The ideal-gas value
#: from the NIST-JANAF enthalpies of formation (802.3 kJ/mol over 22.414 L/mol at
#: 0 degC and 1.01325 bar) is 9.943 kWh/Nm3 (35.8 MJ/Nm3), 0.27 % lower, as expected
#: of the real gas (tests/validation/data/chp_methane_lhv.csv).
LHV_CH4_kWh_Nm3: float = 9.97

#: Temperature of the normal state of gas volumes (Nm3) [degC] (DIN 1343).
T_NORMAL_C: float = 0.0

#: Pressure of the normal state of gas volumes (Nm3) [bar] (DIN 1343).
P_NORMAL_bar: float = 1.01325

# Outputs every burner of biogas reports alike (the CHP here, the boiler of
# nexus.units.boiler): one declaration, so that a name keeps one meaning.
#: Useful heat a burner makes, taken or not [kW].
HEAT_GENERATED = Output(
    "heat_generated_kW", "kW", "useful heat generated", annual="heat from biogas"
)
#: Heat made that no connected demand takes (counted as heat loss) [kW].
HEAT_DUMPED = Output("heat_dumped_kW", "kW", "heat generated that no demand could take")
#: Methane neither stored nor burnt [Nm3/h].
FLARED = Output(
    "flared_Nm3_h",
    "m3 h-1",
    "methane flared (normal m3)",
    annual="methane flared",
    annual_units="Nm3/yr",
)

_CTCN = (
    "CTC-N technology sheet 'Micro Cogeneration' (METI, Japan; "
    "https://www.ctc-n.org/products/micro-cogeneration): 25 kW gas-engine unit that also "
    "runs on biogas, generation efficiency 'around 33.5%', heat 'around 51.5%' "
    "(its energy saving is stated on LHV; the efficiencies are taken as LHV)"
)
_EPA = (
    "U.S. EPA CHP Partnership, Catalog of CHP Technologies, Sect. 2 (reciprocating "
    "engines): Waertsilae 20V34SG terminal efficiency (LHV) 40.7 % at 50 % load and "
    "45.7 % at 100 %, 40.7/45.7 = 0.891 (tests/validation/data/chp_part_load.csv)"
)


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True, kw_only=True)
class BiogasStoreParams(Params):
    """Methane store (low-pressure gas holder) between the digesters and the CHP.

    The store holds methane only (the CO2 of the biogas is not tracked) and has
    no leakage.
    """

    capacity_Nm3: float = field(
        0.0,
        unit="m3",
        low=0.0,
        high=1e6,
        source="design variable (district file or optimizer); 0 = not built",
        doc="usable methane volume of the store at normal conditions",
    )
    initial_frac: float = field(
        0.0,
        unit="1",
        low=0.0,
        high=1.0,
        source="convention: the store starts empty",
        doc="fill level at the start of the first hour",
    )


@dataclass(frozen=True, kw_only=True)
class CHPParams(Params):
    """Gas-engine CHP (micro or small cogeneration unit) running on biogas.

    Efficiencies are on the LHV of the fuel. The electrical efficiency falls at
    part load along a Willans line (fuel linear in power), see
    :func:`electrical_efficiency`; the thermal efficiency (heat / fuel) is held
    at its full-load value.
    """

    capacity_kWe: float = field(
        0.0,
        unit="kW",
        low=0.0,
        high=1e5,
        source="design variable (district file or optimizer); 0 = not built",
        doc="rated electrical output",
    )
    electrical_efficiency_frac: float = field(
        0.335,
        unit="1",
        low=0.1,
        high=0.5,
        source=_CTCN + "; the DLG test 7043 of a 105 kWe biogas engine (MNW Y105 BG) "
        "measured 32.7-33.7 % (tests/validation/data/chp_full_load.csv)",
        doc="electrical efficiency at full load (LHV)",
    )
    thermal_efficiency_frac: float = field(
        0.515,
        unit="1",
        low=0.0,
        high=0.7,
        source=_CTCN + "; biogas plants of the EU Bio-CHP survey report 47.9-50 % "
        "(tests/validation/data/chp_full_load.csv)",
        doc="useful heat / fuel (LHV), at every load",
    )
    min_part_load_frac: float = field(
        0.5,
        unit="1",
        low=0.1,
        high=1.0,
        source="lowest load of the part-load data the efficiency curve is checked on "
        "within 2 % (" + _EPA + "); REopt.jl allows 0.25 for reciprocating engines "
        "(data/chp/chp_defaults.json, min_turn_down_fraction)",
        doc="lowest electrical load (> 0: no idling); below it the engine is off",
    )
    half_load_ratio_frac: float = field(
        0.891,
        unit="1",
        low=0.6,
        high=1.0,
        source=_EPA + "; for 39-42 % engines its Willans line lies within the 0.9-2.5 / "
        "2.7-5.0 point drops at 80 / 60 % load measured on eight biogas engines (Renewable "
        "Energy 114:857-865, 2017)",
        doc="electrical efficiency at 50 % load / that at full load",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        total = self.electrical_efficiency_frac + self.thermal_efficiency_frac
        if total > 1.0:
            raise ParameterError(
                f"CHPParams.electrical_efficiency_frac + thermal_efficiency_frac = {total!r} "
                "exceeds the fuel input; expected a sum in [0, 1]"
            )

    @property
    def idle_fuel_frac(self) -> float:
        """Fuel at zero load as a fraction of the full-load fuel (Willans intercept) [1]."""
        return 1.0 / self.half_load_ratio_frac - 1.0

    @property
    def fuel_full_kW(self) -> float:
        """Fuel input (LHV) at full load [kW]."""
        return self.capacity_kWe / self.electrical_efficiency_frac


@dataclass(frozen=True, kw_only=True)
class EVParams(Params):
    """Electric passenger cars charged from the CHP.

    ``kWh_per_km`` is the consumption **at the plug**: electricity drawn from
    the supply per km driven, charging losses included (the basis of the EU
    WLTP type-approval value, which divides the energy recharged from the mains
    by the range, Regulation (EU) 2017/1151, Annex XXI, Sub-Annex 8). The consumption **at the battery** is
    ``kWh_per_km * charger_efficiency_frac`` (:attr:`battery_kWh_per_km`).
    """

    kWh_per_km: float = field(
        0.19,
        unit="kWh km-1",
        low=0.05,
        high=0.5,
        source="Weiss, Winbush, Newman & Helmers (2024), Energy consumption of electric "
        "vehicles in Europe, Sustainability 16:7529, doi:10.3390/su16177529: certified "
        "(WLTP) consumption of 342 electric cars, 19 +/- 4 kWh/100 km (real-world 21 +/- 4)",
        doc="electricity at the plug per vehicle-km, charging losses included",
    )
    charger_efficiency_frac: float = field(
        0.88,
        unit="1",
        low=0.5,
        high=1.0,
        source="EPA certification data of the 2021 Tesla Model Y as reported by Car and "
        "Driver, 'EVs Explained: Charging Losses': 77.702 kWh into the battery for 87.868 kWh "
        "from the supply (0.884), Performance version 81.052 / 92.213 (0.879)",
        doc="energy into the battery / energy drawn at the plug (AC charging)",
    )

    @property
    def battery_kWh_per_km(self) -> float:
        """Consumption at the battery (charging losses excluded) [kWh/km]."""
        return self.kWh_per_km * self.charger_efficiency_frac


# ----------------------------------------------------------------------------- results


class CHPResult(NamedTuple):
    """Result of :func:`chp_dispatch`; flows are hourly means (kW = kWh per hour)."""

    methane_burnt_Nm3_h: FloatArray  #: methane burnt by the engine [Nm3/h]
    flared_Nm3_h: FloatArray  #: methane neither stored nor burnt [Nm3/h]
    stored_Nm3: FloatArray  #: methane in the store at the end of the hour [Nm3]
    fuel_kW: FloatArray  #: fuel input, methane_burnt * LHV [kW]
    electricity_kW: FloatArray  #: electrical output [kW]
    heat_kW: FloatArray  #: useful heat output [kW]
    losses_kW: FloatArray  #: fuel - electricity - heat [kW]
    load_frac: FloatArray  #: electrical output / capacity, 0 when off [1]


# ------------------------------------------------------------------------- efficiency


def electrical_efficiency(
    load_frac: ArrayLike, *, electrical_efficiency_frac: float, half_load_ratio_frac: float
) -> FloatArray:
    r"""Electrical efficiency of a gas engine at part load (Willans line).

    Parameters
    ----------
    load_frac : array_like
        Electrical output / rated output, in [0, 1] [1].
    electrical_efficiency_frac : float
        Electrical efficiency at full load, in (0, 1] [1].
    half_load_ratio_frac : float
        Efficiency at 50 % load / efficiency at full load, in (0.5, 1] [1].

    Returns
    -------
    numpy.ndarray
        Electrical efficiency (LHV) [1]; 0 at zero load.

    Notes
    -----
    The fuel input is linear in the output (a Willans line, the fuel curve of
    REopt's ``fuel_slope_and_intercept`` and of oemof-solph's
    ``OffsetConverter``):

    .. math:: F(L) = F_1 \,(a + (1 - a) L), \qquad
              \eta(L) = \frac{L\,P}{F(L)} = \eta_1 \frac{L}{a + (1 - a) L}

    with :math:`F_1 = P/\eta_1` the full-load fuel and :math:`a` the idle fuel
    fraction. The 50 % point fixes it: :math:`r = \eta(0.5)/\eta_1 = 1/(1+a)`, so
    :math:`a = 1/r - 1`. With :math:`r` = 0.891 (EPA catalog, Waertsilae 20V34SG)
    the line is within 2 % of that engine's table over 50-100 % load.

    References
    ----------
    .. [1] U.S. EPA CHP Partnership, Catalog of CHP Technologies, Section 2:
       Reciprocating Internal Combustion Engines.
    .. [2] Lifetime development and load response of
       the electrical efficiency of biogas-driven cogeneration units, Renewable
       Energy 114:857-865.

    Examples
    --------
    >>> print(np.round(electrical_efficiency([1.0, 0.75, 0.5, 0.0],
    ...     electrical_efficiency_frac=0.335, half_load_ratio_frac=0.891), 4))
    [0.335  0.3219 0.2985 0.    ]
    """
    L = as_float(load_frac)
    eta1, r = as_float(electrical_efficiency_frac), as_float(half_load_ratio_frac)
    check_in("load_frac", L, 0.0, 1.0)
    check_in("electrical_efficiency_frac", eta1, 1e-9, 1.0)
    check_in("half_load_ratio_frac", r, 0.5 + 1e-9, 1.0)
    a = 1.0 / r - 1.0
    return eta1 * L / (a + (1.0 - a) * L + (L == 0))  # 0/(a + 1) at L = 0, no 0/0


# ---------------------------------------------------------------------------- dispatch


def chp_dispatch(
    methane_Nm3_h: ArrayLike, *, store: BiogasStoreParams, chp: CHPParams
) -> CHPResult:
    r"""Methane store and CHP engine, hour by hour: full load first, flare the rest.

    Parameters
    ----------
    methane_Nm3_h : array_like
        Methane produced each hour, >= 0; time on the last axis [Nm3 h-1].
    store : BiogasStoreParams
        Methane store.
    chp : CHPParams
        CHP engine.

    Returns
    -------
    CHPResult
        Hourly ``methane_burnt_Nm3_h``, ``flared_Nm3_h`` [Nm3/h], ``stored_Nm3`` at
        the end of the hour [Nm3], ``fuel_kW``, ``electricity_kW``, ``heat_kW``,
        ``losses_kW`` [kW] and ``load_frac`` [1], of the shape of the input.

    Notes
    -----
    Operating strategy ("full load first"), each hour with :math:`S_0` the
    methane stored at its start, :math:`q` the production and
    :math:`A = S_0 + q` the methane available (1 h steps):

    1. if :math:`A \ge V_1`, the methane of one hour at full load
       (:math:`V_1 = F_1/H_i`, :math:`F_1 = P/\eta_1`), the engine runs at full load;
    2. else, if the store would overflow (:math:`A > S_{max}`) and
       :math:`A \ge V_{min}` (the methane at ``min_part_load_frac``), it runs at
       the part load that burns :math:`\max(A - S_{max}, V_{min})`, so nothing
       is flared;
    3. else it stays off and the store fills.

    What the store cannot hold, :math:`\max(A - b - S_{max}, 0)`, is flared.
    The engine thus runs at its best efficiency whenever it can, and at part
    load only to save gas from the flare; below ``min_part_load_frac`` it is
    off (no cycling within the hour). The load of a part-load hour inverts the
    Willans line of :func:`electrical_efficiency`:
    :math:`L = (F/F_1 - a)/(1 - a)`. Outputs: fuel :math:`F = b H_i`,
    electricity :math:`L P`, heat :math:`\eta_{th} F`, losses
    :math:`F - LP - \eta_{th}F \ge 0`. Holding the heat at its full-load
    fraction of the fuel is an assumption (no part-load heat data of small biogas
    engines were found): the whole part-load penalty goes to ``losses_kW``.
    Start-up losses and the store's leakage are neglected.

    Balances, exact every hour: :math:`q = b + flared + (S_1 - S_0)` and
    :math:`F = electricity + heat + losses`. NaN in an hour makes that hour
    NaN and, when the store is built, every later hour (its content is
    unknown); without a store only the NaN hours are NaN. With
    ``capacity_kWe`` = 0 nothing is burnt: the store fills, then the gas is
    flared.

    References
    ----------
    .. [1] FNR, Faustzahlen Biogas, https://biogas.fnr.de/daten-und-fakten/faustzahlen
       (methane LHV 9.97 kWh/m3).

    Examples
    --------
    A 50 kWe engine (full load burns 14.97 Nm3/h, 50 % load 8.40 Nm3/h) behind a
    5 Nm3 store: off while the gas fits the store, part load when it would
    overflow, full load when an hour's worth is there, flaring what is left:

    >>> r = chp_dispatch([2.0, 10.0, 10.0, 10.0, 30.0],
    ...     store=BiogasStoreParams(capacity_Nm3=5.0), chp=CHPParams(capacity_kWe=50.0))
    >>> print(r.load_frac.round(3), r.stored_Nm3.round(2), r.flared_Nm3_h.round(2))
    [0.    0.5   0.515 1.    1.   ] [2.   3.6  5.   0.03 5.  ] [ 0.    0.    0.    0.   10.06]
    >>> print(r.electricity_kW.round(1), r.heat_kW.round(1))
    [ 0.  25.  25.8 50.  50. ] [ 0.  43.1 44.2 76.9 76.9]
    """
    q_all = as_float(methane_Nm3_h)
    check_nonneg("methane_Nm3_h", q_all)
    shape = q_all.shape
    T = shape[-1] if shape else 1
    if q_all.size == 0:  # no hours
        empty = np.zeros(shape)
        return CHPResult(*(empty.copy() for _ in CHPResult._fields))
    rows = q_all.reshape(-1, T).tolist()
    cap = store.capacity_Nm3
    lhv = LHV_CH4_kWh_Nm3
    P, F1 = chp.capacity_kWe, chp.fuel_full_kW
    a = chp.idle_fuel_frac
    lmin = chp.min_part_load_frac
    v1 = F1 / lhv  # methane of one hour at full load [Nm3]
    vmin = F1 * (a + (1.0 - a) * lmin) / lhv  # ... at the minimum part load
    runs = P > 0.0
    nan = math.nan
    out: FloatArray = np.empty((4, len(rows), T))  # burnt, flared, stored, load
    for i, row in enumerate(rows):
        s = store.initial_frac * cap
        res: list[tuple[float, float, float, float]] = []
        append = res.append
        for q in row:
            if q != q or s != s:  # NaN: this hour, and the store's content, unknown
                if cap > 0.0:
                    s = nan
                append((nan, nan, nan, nan))
                continue
            avail = s + q
            if runs and avail >= v1:
                burnt, load = v1, 1.0
            elif runs and avail > cap and avail >= vmin:
                burnt = avail - cap
                if burnt <= vmin:
                    burnt, load = vmin, lmin
                else:
                    load = (burnt / v1 - a) / (1.0 - a)
            else:
                burnt, load = 0.0, 0.0
            s = avail - burnt
            if s > cap:
                flared = s - cap
                s = cap
            else:
                flared = 0.0
            append((burnt, flared, s, load))
        out[:, i, :] = np.array(res).T
    out = out.reshape((4, *shape)) if shape else out.reshape(4)
    burnt_Nm3_h, flared_Nm3_h, stored_Nm3, load_frac = out
    fuel = burnt_Nm3_h * lhv
    elec = load_frac * P
    heat = chp.thermal_efficiency_frac * fuel
    return CHPResult(
        methane_burnt_Nm3_h=burnt_Nm3_h,
        flared_Nm3_h=flared_Nm3_h,
        stored_Nm3=stored_Nm3,
        fuel_kW=fuel,
        electricity_kW=elec,
        heat_kW=heat,
        losses_kW=fuel - elec - heat,
        load_frac=load_frac,
    )


# ------------------------------------------------------------------ delivery to outlets


def delivered(made_kW: ArrayLike, open_kW: ArrayLike) -> tuple[FloatArray, FloatArray]:
    r"""Split what a unit makes into what its outlet delivers and what is lost.

    Parameters
    ----------
    made_kW : array_like
        Heat or electricity made each hour [kW].
    open_kW : array_like
        Demand still open at the inlets the outlet feeds, in the categories it
        serves [kW] (``NodeInputs.open_demand_kW``; infinite for a grid).

    Returns
    -------
    supplied_kW, lost_kW : numpy.ndarray
        :math:`\min(made, open)` and :math:`made - supplied` [kW], broadcast
        shape; NaN propagates.

    Examples
    --------
    >>> s, lost = delivered([5.0, 5.0, 5.0], [0.0, 3.0, np.inf])
    >>> print(s, lost)
    [0. 3. 5.] [5. 2. 0.]
    """
    made = as_float(made_kW)
    supplied = np.minimum(made, as_float(open_kW))
    return supplied, made - supplied


# --------------------------------------------------------------------------------- EVs


def ev_km(electricity_kWh: ArrayLike, *, kWh_per_km: ArrayLike) -> FloatArray:
    r"""Vehicle-kilometres that an amount of electricity drives.

    Parameters
    ----------
    electricity_kWh : array_like
        Electricity delivered to the chargers, >= 0 [kWh].
    kWh_per_km : array_like
        Consumption at the plug (charging losses included), > 0 [kWh km-1];
        e.g. ``EVParams().kWh_per_km``. A consumption measured at the battery
        must first be divided by the charger efficiency
        (``EVParams.charger_efficiency_frac``).

    Returns
    -------
    numpy.ndarray
        Vehicle-kilometres [km], broadcast shape.

    Notes
    -----
    :math:`d = E / c_{plug}`, with :math:`c_{plug} = c_{battery}/\eta_{charger}`
    (:class:`EVParams`).

    Examples
    --------
    >>> print(ev_km([0.0, 19.0, 100.0], kWh_per_km=EVParams().kWh_per_km).round(1))
    [  0.  100.  526.3]
    """
    E, c = np.broadcast_arrays(as_float(electricity_kWh), as_float(kWh_per_km))
    check_nonneg("electricity_kWh", E)
    bad = (c <= 0) | np.isinf(c)
    if np.any(bad):
        raise ParameterError(
            f"kWh_per_km = {c[bad].flat[0]!r} is outside (0, inf); expected a finite "
            "consumption > 0 kWh/km"
        )
    return E / c


# ------------------------------------------------------------------------- optimizer


def build_burn_or_flare(
    ctx: BuildContext, *, store_Nm3: Affine | None = None
) -> tuple[Affine, Affine, Affine | None]:
    r"""The methane a burner of biogas receives, burnt or flared (optimizer rows).

    Shared by every type with a gas inlet ``biogas`` that burns what it
    receives (the CHP, the biogas boiler).

    Parameters
    ----------
    ctx : nexus.optimize.model.BuildContext
        The burner's context.
    store_Nm3 : Affine, optional
        The size of a methane store before the burner [Nm3]; without it the
        methane of each step is burnt or flared in that step.

    Returns
    -------
    burn, flare : Affine
        Methane burnt and flared per step [Nm3/h] (variables ``burn``, ``flare``).
    gas : Affine or None
        Methane in the store at the end of each step [Nm3] (variable
        ``gas``), None without a store.

    Notes
    -----
    Symbols: ``burn[t]``, ``flare[t]`` >= 0 [Nm3/h]; with a store ``gas[t]``
    >= 0 [Nm3]. Constraints, with :math:`q_t` the methane received:

    - without a store, ``gas_balance``: :math:`q_t = burn_t + flare_t`;
    - with a store, ``gas_max``: :math:`gas_t \le S`, and ``gas_balance``:
      :math:`gas_t = gas_{t-1} + (q_t - burn_t - flare_t) \cdot 1\,h`, cyclic
      within each period (``ctx.prev``).
    """
    burn = ctx.var("burn", ctx.TIME, units="m**3/h", doc="methane burnt (Nm3)")
    flare = ctx.var("flare", ctx.TIME, units="m**3/h", doc="methane flared (Nm3)")
    if store_Nm3 is None:
        made = ctx.inflow("biogas")
        ctx.constrain("gas_balance", made == burn + flare, "methane received: burnt or flared")
        return burn, flare, None
    gas = ctx.var("gas", ctx.TIME, units="m**3", doc="methane in store (Nm3)")
    ctx.constrain("gas_max", gas <= store_Nm3, "store at most its capacity")
    made = ctx.inflow("biogas")
    ctx.constrain(
        "gas_balance",
        gas == gas.take(ctx.prev) + (made - burn - flare).scaled(unit="h"),
        "methane in store: kept, plus made, less burnt and flared",
    )
    return burn, flare, gas


# ----------------------------------------------------------------------------- unit type


class CHPType(UnitType):
    """A biogas store and a gas-engine CHP: electricity for EVs or export, heat for
    digesters and the heat network."""

    name = "chp"
    description = "biogas store and combined heat and power engine"
    ports = (
        Port("biogas", "gas", "in"),
        Port("power", "electricity", "out", required=False, serves=("ev", "export")),
        Port("heat", "heat", "out", required=False, serves=("process", "space_heating", "dhw")),
    )
    params = {"store": BiogasStoreParams, "chp": CHPParams}
    sizes = (Size("chp.capacity_kWe"), Size("store.capacity_Nm3"))
    outputs = (
        Output(
            "electricity_generated_kW",
            "kW",
            "electricity generated",
            annual="electricity from biogas",
        ),
        HEAT_GENERATED,
        HEAT_DUMPED,
        Output("electricity_curtailed_kW", "kW", "electricity no inlet could take"),
        FLARED,
        Output("methane_stored_Nm3", "m3", "methane in the gas store (normal m3)"),
        Output("load_frac", "1", "engine load"),
    )

    def run(self, params: dict[str, Any], inputs: NodeInputs) -> NodeResult:
        """:func:`chp_dispatch` of the methane received; what no inlet takes is lost."""
        r = chp_dispatch(inputs.gas_Nm3_h["biogas"], store=params["store"], chp=params["chp"])
        heat, dumped = delivered(r.heat_kW, inputs.open_demand_kW["heat"])
        power, curtailed = delivered(r.electricity_kW, inputs.open_demand_kW["power"])
        return NodeResult(
            supply_kW={"heat": heat, "power": power},
            fuel_kW=r.fuel_kW,
            heat_loss_kW=r.losses_kW + dumped + curtailed,
            outputs={
                "electricity_generated_kW": r.electricity_kW,
                "heat_generated_kW": r.heat_kW,
                "heat_dumped_kW": dumped,
                "electricity_curtailed_kW": curtailed,
                "flared_Nm3_h": r.flared_Nm3_h,
                "methane_stored_Nm3": r.stored_Nm3,
                "load_frac": r.load_frac,
            },
        )

    def build(self, ctx: BuildContext) -> None:
        """Burns methane from a cyclic store at full-load efficiencies, within the capacity."""
        p = ctx.params["chp"]
        eta_e = float(p.electrical_efficiency_frac) * LHV_CH4_kWh_Nm3
        eta_h = float(p.thermal_efficiency_frac) * LHV_CH4_kWh_Nm3
        capacity = ctx.size("chp.capacity_kWe")
        burn, flare, gas = build_burn_or_flare(ctx, store_Nm3=ctx.size("store.capacity_Nm3"))
        electricity = (eta_e * burn).scaled(unit="kWh/m**3")
        heat = (eta_h * burn).scaled(unit="kWh/m**3")
        ctx.constrain("capacity", electricity <= capacity, "power at most the capacity")
        ctx.supply("power", electricity, at_most=True)
        ctx.supply("heat", heat, at_most=True)
        ctx.report("electricity_generated_kW", electricity)
        ctx.report("heat_generated_kW", heat)
        assert gas is not None
        ctx.report("methane_stored_Nm3", gas)
        ctx.report("flared_Nm3_h", flare)


register(CHPType())
