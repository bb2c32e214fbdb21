"""Waste to energy and industrial waste heat: an incinerator CHP, a waste-heat source
and a heat pump that lifts low-temperature heat to a heat network.

A **waste-to-energy plant** burns municipal solid waste (MSW) on a grate and
raises steam for an extraction-condensing turbine: electricity to the grid or
to electric-vehicle charging, extraction steam to a heat network. Heat is
extracted only as the network asks for it; steam not extracted expands to the
condenser and makes more electricity, so each kWh of heat costs
``power_loss_ratio`` kWh of electricity (:func:`wte_chp`).

An **industrial waste-heat source** offers heat at a temperature level with
a shift profile (day shift, night shift, weekends): a plant's cooling water
or flue gas (:func:`shift_profile`). What the district takes of it is
recovered through an exchanger whose capacity the optimizer may choose (0:
the waste heat is not used).

A **heat pump** takes low-temperature heat (the ``low_grade`` demand
category: only connected suppliers give it) and electricity, and delivers at
its supply temperature, with the COP of :func:`~nexus.units.heat_recovery.carnot_cop`
(a second-law fraction of the Carnot COP, Jesper et al. 2021) and the
cycling penalty of :func:`~nexus.units.heat_recovery.cycling_cop`.

Temperature levels (``Port.temperature`` (:class:`nexus.registry.Port`)): the plant's heat
outlet delivers at ``heat_T_C``, the waste-heat outlet at ``T_C``, the heat
pump needs ``source_T_C`` and delivers at ``supply_T_C``; a heat network needs
its ``supply_T_C``. Loading a district refuses a connection from a colder
outlet to a hotter inlet, naming it.

The time step is one hour, so a flow in kW is also the energy in kWh of that
hour. Fuel energy is on the lower heating value (LHV) of the waste as fired.

Flue-gas limits (GB 18485-2014, the Chinese standard for MSW incineration)
are not a constraint here: the limits are concentrations in the flue gas
(mg/Nm3 at 11 % O2) and the furnace conditions (850 degC for 2 s), none of
which this model computes (it has no flue-gas volume, composition or furnace
temperature); a constraint on a quantity the model does not compute would
constrain nothing. ``docs/waste_heat.md`` says so.

Contents
--------
- :class:`WasteToEnergyParams`, :func:`wte_chp`, :class:`WtEResult`;
- :class:`WasteHeatParams`, :func:`shift_profile`;
- :class:`LiftHeatPumpParams`, :func:`lift_heat_pump`, :class:`LiftResult`;
- the unit types ``waste_to_energy``, ``industrial_waste_heat`` and ``heat_pump``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nexus.constants import MJ_PER_kWh
from nexus.errors import ParameterError
from nexus.registry import NodeInputs, NodeResult, Output, Port, Ratio, Size, UnitType, register
from nexus.sources import in_window
from nexus.units.checks import as_float, check_nonneg
from nexus.units.chp import delivered
from nexus.units.heat_recovery import (
    HEAT_PUMP_OUTPUTS,
    SEASONAL_PERFORMANCE,
    HeatPumpParams,
    carnot_cop,
    cycling_cop,
)
from nexus.units.params import Params, field

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

    from nexus._typing import FloatArray
    from nexus.optimize.maps import Column, SampleContext
    from nexus.optimize.model import BuildContext

__all__ = [
    "HeatPumpUnitType",
    "IndustrialWasteHeatType",
    "LiftHeatPumpParams",
    "LiftResult",
    "WasteHeatParams",
    "WasteToEnergyParams",
    "WasteToEnergyType",
    "WtEResult",
    "lift_heat_pump",
    "shift_profile",
    "wte_chp",
]

_KALOGIROU = (
    "Kalogirou (Earth Engineering Center, Columbia University / WtERT), 'Technical Report "
    "from China Visit' (wtert.eu): Chinese MSW has 50-55 % moisture and 'the average "
    "calorific value is around 5-6 MJ/kg'; midpoint 5.5"
)
_SANGTE = (
    "Sangte Power, 'Municipal Solid Waste Incineration Power Generation Project' (case "
    "page, sangtepower.com): a Chinese grate plant of about 2,000 t/d, steam 450 degC / "
    "6 MPa, a 25 MW condensing turbine, about 10 % of the electricity for own use"
)
_HZI = (
    "Hitachi Zosen Inova, EfW CHP product page (directindustry): 'at maximum heat "
    "extraction these plants run at a net efficiency between 70 % and 90 %'"
)


# --------------------------------------------------------------------------- WtE plant


@dataclass(frozen=True, kw_only=True)
class WasteToEnergyParams(Params):
    """Grate incinerator with an extraction-condensing steam turbine (CHP).

    Electricity in condensing mode is ``electrical_efficiency_frac`` of the
    fuel; extracting heat :math:`Q` costs ``power_loss_ratio`` x :math:`Q` of
    it; ``own_use_frac`` of the gross electricity runs the plant (fans, pumps,
    flue-gas cleaning). The plant burns ``throughput_t_d`` every day of the
    year (an annual mean: t/yr / 365).
    """

    throughput_t_d: float = field(
        0.0,
        unit="t d-1",
        low=0.0,
        high=2e4,
        source="district file (annual tonnage / 365); 0 = not built",
        doc="municipal solid waste burnt, annual mean per day",
    )
    LHV_MJ_kg: float = field(
        5.5,
        unit="MJ kg-1",
        low=2.0,
        high=20.0,
        source=_KALOGIROU,
        doc="lower heating value of the waste as fired",
    )
    electrical_efficiency_frac: float = field(
        0.196,
        unit="1",
        low=0.05,
        high=0.35,
        source=f"{_SANGTE}: 25 MW / (2,000 t/d x 5.5 MJ/kg) = 25 / 127.3 MW = 0.196 (gross, "
        "condensing, at rated output; LHV of _KALOGIROU)",
        doc="gross electricity / fuel (LHV) in condensing mode",
    )
    own_use_frac: float = field(
        0.10,
        unit="1",
        low=0.0,
        high=0.3,
        source=f"{_SANGTE}: 'the proportion of self use electricity is about 10%'",
        doc="share of the gross electricity the plant uses itself",
    )
    heat_max_frac: float = field(
        0.71,
        unit="1",
        low=0.0,
        high=0.9,
        source=f"{_HZI}: midpoint 80 % total at maximum extraction, so "
        "(0.80 - 0.196) / (1 - 0.15) = 0.71 of the fuel as heat with the default "
        "electrical efficiency and power-loss ratio",
        doc="heat extracted at most, per unit of fuel",
    )
    power_loss_ratio: float = field(
        0.15,
        unit="1",
        low=0.0,
        high=0.3,
        source="ASSUMPTION (no published figure retrieved): below the Carnot factor "
        "1 - 313/393 = 0.20 of heat extracted at 120 degC against a 40 degC condenser",
        doc="electricity lost per unit of heat extracted",
    )
    heat_T_C: float = field(
        120.0,
        unit="degC",
        low=60.0,
        high=200.0,
        source="ASSUMPTION: condensing level of the extraction steam for a hot-water "
        f"network; far below the live steam of {_SANGTE}",
        doc="temperature level of the heat delivered",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.electrical_efficiency_frac + self.heat_max_frac * (1.0 - self.power_loss_ratio) > 1:
            raise ParameterError(
                f"electrical_efficiency_frac = {self.electrical_efficiency_frac:g} and "
                f"heat_max_frac = {self.heat_max_frac:g} (power_loss_ratio = "
                f"{self.power_loss_ratio:g}) make more energy than the fuel at full "
                "extraction; expected electricity + heat <= fuel"
            )

    @property
    def fuel_kW(self) -> float:
        """Fuel power of the waste burnt (LHV) [kW]."""
        return self.throughput_t_d / 24.0 * 1000.0 * self.LHV_MJ_kg / MJ_PER_kWh


class WtEResult(NamedTuple):
    """Result of :func:`wte_chp`; flows are hourly means (kW = kWh per hour)."""

    fuel_kW: FloatArray  #: fuel burnt (LHV) [kW]
    heat_kW: FloatArray  #: heat extracted and delivered [kW]
    electricity_gross_kW: FloatArray  #: generator output [kW]
    own_use_kW: FloatArray  #: electricity the plant uses [kW]
    electricity_net_kW: FloatArray  #: electricity leaving the plant [kW]
    losses_kW: FloatArray  #: condenser, flue-gas and other losses (own use included) [kW]


def wte_chp(heat_demand_kW: ArrayLike, params: WasteToEnergyParams) -> WtEResult:
    r"""Electricity and heat of a waste-to-energy CHP, hour by hour.

    Parameters
    ----------
    heat_demand_kW : array_like
        Heat the connected network asks for, finite and >= 0 [kW].
    params : WasteToEnergyParams
        Throughput, LHV and efficiencies.

    Returns
    -------
    WtEResult
        Hourly series [kW] of the shape of ``heat_demand_kW``.

    Notes
    -----
    With :math:`F` the fuel power (throughput x LHV), :math:`\eta_e` the
    condensing electrical efficiency, :math:`\beta` the power-loss ratio,
    :math:`h` the largest heat share and :math:`u` the own-use share:

    .. math:: Q = \min(D, h F), \quad E_g = \eta_e F - \beta Q, \quad
              E_n = (1 - u) E_g, \quad L = F - Q - E_n

    so that :math:`F = E_n + Q + L` every hour (own use ends as heat, in
    :math:`L`). NaN in the demand makes that hour NaN.

    Examples
    --------
    A 1,000 t/d plant at 5.5 MJ/kg (63.7 MW of fuel), with no heat demand and
    with more demand than it can give:

    >>> p = WasteToEnergyParams(throughput_t_d=1000.0)
    >>> r = wte_chp([0.0, 1e9], p)
    >>> print((r.electricity_net_kW / 1000).round(2), (r.heat_kW / 1000).round(2))
    [11.23  5.13] [ 0.  45.2]
    """
    D = as_float(heat_demand_kW)
    check_nonneg("heat_demand_kW", D)
    F = np.full(D.shape, params.fuel_kW)
    F = np.where(np.isnan(D), np.nan, F)
    Q = np.minimum(D, params.heat_max_frac * F)
    gross = params.electrical_efficiency_frac * F - params.power_loss_ratio * Q
    own = params.own_use_frac * gross
    net = gross - own
    return WtEResult(
        fuel_kW=F,
        heat_kW=Q,
        electricity_gross_kW=gross,
        own_use_kW=own,
        electricity_net_kW=net,
        losses_kW=F - Q - net,
    )


class WasteToEnergyType(UnitType):
    """A waste-to-energy CHP: electricity for the grid and EV charging, heat for a network."""

    name = "waste_to_energy"
    description = "MSW grate incinerator with an extraction-condensing steam turbine (CHP)"
    ports = (
        Port("power", "electricity", "out", required=False, serves=("ev", "export")),
        Port(
            "heat",
            "heat",
            "out",
            required=False,
            serves=("space_heating", "dhw", "low_grade"),
            temperature="heat_T_C",
        ),
    )
    params = WasteToEnergyParams
    outputs = (
        Output("waste_fuel_kW", "kW", "fuel power of the waste burnt (LHV)", annual="waste fuel"),
        Output(
            "wte_electricity_net_kW",
            "kW",
            "net electricity of the WtE plant",
            annual="net electricity",
        ),
        Output("wte_own_use_kW", "kW", "electricity the WtE plant uses itself"),
        Output("wte_heat_kW", "kW", "heat the WtE plant delivers", annual="heat delivered"),
        Output("electricity_curtailed_kW", "kW", "electricity no inlet could take"),
    )
    ratios = (
        Ratio(
            "net electricity per fuel", "%", "wte_electricity_net_kW", "waste_fuel_kW", factor=100.0
        ),
    )

    def run(self, params: WasteToEnergyParams, inputs: NodeInputs) -> NodeResult:
        """:func:`wte_chp` on the heat demand open downstream; the rest is condensed."""
        r = wte_chp(inputs.open_demand_kW["heat"], params)
        power, curtailed = delivered(r.electricity_net_kW, inputs.open_demand_kW["power"])
        return NodeResult(
            supply_kW={"heat": r.heat_kW, "power": power},
            fuel_kW=r.fuel_kW,
            heat_loss_kW=r.losses_kW + curtailed,
            outputs={
                "waste_fuel_kW": r.fuel_kW,
                "wte_electricity_net_kW": r.electricity_net_kW,
                "wte_own_use_kW": r.own_use_kW,
                "wte_heat_kW": r.heat_kW,
                "electricity_curtailed_kW": curtailed,
            },
        )

    def build(self, ctx: BuildContext) -> None:
        r"""Heat up to the extraction limit; each kWh of it costs :math:`\beta (1-u)` kWh of
        net electricity.

        Symbols: ``heat[t]`` [kW], bounded by :math:`h F` (its upper bound, no row);
        net electricity :math:`E_t = (1-u)(\eta_e F - \beta Q_t)`, supplied at most
        (what the grid or chargers cannot take is curtailed).
        """
        p: WasteToEnergyParams = ctx.params
        F = p.fuel_kW
        heat = ctx.var("heat", ctx.TIME, units="kW", doc="heat extracted", ub=p.heat_max_frac * F)
        keep = 1.0 - p.own_use_frac
        electricity = (
            ctx.const(np.full(ctx.n_time, keep * p.electrical_efficiency_frac * F), "kW")
            - (keep * p.power_loss_ratio) * heat
        )
        ctx.supply("heat", heat)
        ctx.supply("power", electricity, at_most=True)
        ctx.report("wte_heat_kW", heat)
        ctx.report("wte_electricity_net_kW", electricity)


# --------------------------------------------------------------------- waste heat source


@dataclass(frozen=True, kw_only=True)
class WasteHeatParams(Params):
    """Industrial waste heat: what a plant rejects, by shift, and what is recovered of it."""

    available_kW: float = field(
        0.0,
        unit="kW",
        low=0.0,
        high=1e6,
        source="district file: heat rejected during the day shift",
        doc="waste heat available in the day shift",
    )
    T_C: float = field(
        35.0,
        unit="degC",
        low=10.0,
        high=300.0,
        source="ASSUMPTION: cooling water of an industrial process (district file)",
        doc="temperature level at which the heat is offered",
    )
    capacity_kW: float = field(
        0.0,
        unit="kW",
        low=0.0,
        high=1e6,
        source="design variable (district file or optimizer); 0 = waste heat not used",
        doc="capacity of the recovery exchanger",
    )
    shift_start_h: float = field(
        8.0,
        unit="h",
        low=0.0,
        high=24.0,
        source="ASSUMPTION: a day shift from 08:00",
        doc="hour the day shift starts",
    )
    shift_end_h: float = field(
        20.0,
        unit="h",
        low=0.0,
        high=24.0,
        source="ASSUMPTION: a day shift to 20:00",
        doc="hour the day shift ends",
    )
    off_shift_frac: float = field(
        0.3,
        unit="1",
        low=0.0,
        high=1.0,
        source="ASSUMPTION: a reduced night shift",
        doc="share of the day-shift heat available outside the shift",
    )
    weekend_frac: float = field(
        0.5,
        unit="1",
        low=0.0,
        high=1.0,
        source="ASSUMPTION: reduced weekend production",
        doc="share of the weekday heat available on Saturdays and Sundays",
    )


def shift_profile(time: pd.DatetimeIndex, params: WasteHeatParams) -> FloatArray:
    r"""Waste heat available each hour [kW].

    Parameters
    ----------
    time : pandas.DatetimeIndex
        Start of each hourly step.
    params : WasteHeatParams
        Day-shift heat, shift hours, night and weekend shares.

    Returns
    -------
    numpy.ndarray
        :math:`A \cdot s(h) \cdot w(d)` [kW], with :math:`s = 1` in the shift
        (``shift_start_h`` <= hour < ``shift_end_h``; a shift across midnight
        when the start is later than the end) and ``off_shift_frac`` outside,
        :math:`w` = ``weekend_frac`` on Saturdays and Sundays and 1 otherwise.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.date_range("2025-01-03 07:00", periods=3, freq="h")  # a Friday
    >>> print(shift_profile(t, WasteHeatParams(available_kW=100.0)))
    [ 30. 100. 100.]
    """
    hour = np.asarray(time.hour, dtype=float)
    a, b = params.shift_start_h, params.shift_end_h
    s = np.where(in_window(hour, a, b, end_included=False), 1.0, params.off_shift_frac)
    w = np.where(np.asarray(time.dayofweek) >= 5, params.weekend_frac, 1.0)
    return params.available_kW * s * w


class IndustrialWasteHeatType(UnitType):
    """Waste heat of an industrial plant, recovered up to an exchanger capacity."""

    name = "industrial_waste_heat"
    description = "industrial waste heat with a shift profile, at a temperature level"
    ports = (
        Port(
            "heat",
            "heat",
            "out",
            serves=("low_grade", "space_heating", "dhw"),
            temperature="T_C",
        ),
    )
    params = WasteHeatParams
    sizes = (Size("capacity_kW"),)
    outputs = (
        Output(
            "waste_heat_available_kW",
            "kW",
            "industrial waste heat available",
            annual="waste heat available",
        ),
        Output(
            "waste_heat_used_kW",
            "kW",
            "industrial waste heat recovered",
            role="heat_recovered",
            annual="waste heat recovered",
        ),
    )

    def run(self, params: WasteHeatParams, inputs: NodeInputs) -> NodeResult:
        """Recovers what the connected inlets ask for, up to availability and capacity.

        The heat available is counted as the unit's fuel (it enters the district's
        energy balance here); what is not recovered is rejected as before (a loss).
        """
        available = shift_profile(inputs.time, params)
        used = np.minimum(np.minimum(available, params.capacity_kW), inputs.open_demand_kW["heat"])
        return NodeResult(
            supply_kW={"heat": used},
            fuel_kW=available,
            heat_loss_kW=available - used,
            outputs={"waste_heat_available_kW": available, "waste_heat_used_kW": used},
        )

    def sample(self, ctx: SampleContext, columns: list[Column]) -> dict[str, FloatArray]:
        """The heat available each hour (it does not depend on the size)."""
        return {"available_kW": ctx.outputs["waste_heat_available_kW"]}

    def build(self, ctx: BuildContext) -> None:
        """Recovered heat: at most what is available and at most the exchanger capacity."""
        used = ctx.var(
            "used", ctx.TIME, units="kW", doc="waste heat recovered", ub=ctx.series("available_kW")
        )
        ctx.constrain("capacity", used <= ctx.size("capacity_kW"), "at most the capacity")
        ctx.supply("heat", used)
        ctx.report("waste_heat_used_kW", used)
        ctx.role("heat_recovered", used)


# ---------------------------------------------------------------------------- heat pump


@dataclass(frozen=True, kw_only=True)
class LiftHeatPumpParams(HeatPumpParams):
    """A heat pump lifting low-temperature heat from a connected source to a network."""

    source_T_C: float = field(
        30.0,
        unit="degC",
        low=-10.0,
        high=90.0,
        source="district file: the temperature of the heat source connected (it must "
        "deliver at least this warm); default a typical industrial cooling-water level "
        "(ASSUMPTION)",
        doc="source fluid temperature entering the evaporator",
    )


class LiftResult(NamedTuple):
    """Result of :func:`lift_heat_pump`; flows are hourly means [kW]."""

    heat_kW: FloatArray  #: condenser output delivered [kW]
    electricity_kW: FloatArray  #: electricity drawn [kW]
    source_heat_kW: FloatArray  #: heat taken from the source (evaporator) [kW]
    cop: FloatArray  #: COP at the hour's load [1]


def lift_heat_pump(
    demand_kW: ArrayLike, params: LiftHeatPumpParams, source_kW: ArrayLike = np.inf
) -> LiftResult:
    r"""A heat pump meeting a demand from a low-temperature source, hour by hour.

    Parameters
    ----------
    demand_kW : array_like
        Heat demand at ``supply_T_C``, >= 0 [kW].
    params : LiftHeatPumpParams
        Capacity, source and supply temperatures, COP model.
    source_kW : array_like
        Low-temperature heat the source can give, >= 0 [kW]; default (inf) unlimited.

    Returns
    -------
    LiftResult
        Hourly output, electricity, source heat [kW] and COP [1].

    Notes
    -----
    :math:`COP` = :func:`~nexus.units.heat_recovery.carnot_cop` (source and
    supply temperatures, ``carnot_frac``, ``approach_K``); a COP <= 1 runs
    nothing. Output :math:`P = \min(D, P_{cap}, S\,COP/(COP-1))` with :math:`S`
    the source heat available, COP at part load
    :func:`~nexus.units.heat_recovery.cycling_cop`, electricity
    :math:`E = P/COP_{PL}`, source heat :math:`Q = P - E \le S` (as
    :math:`COP_{PL} \le COP`), so that :math:`Q + E = P` every hour.

    Examples
    --------
    >>> p = LiftHeatPumpParams(capacity_kW=100.0, source_T_C=30.0, supply_T_C=80.0)
    >>> r = lift_heat_pump([100.0, 200.0], p)
    >>> print(r.heat_kW, r.cop.round(3))
    [100. 100.] [3.233 3.233]
    """
    D, S = np.broadcast_arrays(as_float(demand_kW), as_float(source_kW))
    check_nonneg("demand_kW", D)
    check_nonneg("source_kW", np.where(S == np.inf, 0.0, S))  # inf: no limit
    cop = float(
        carnot_cop(params.source_T_C, params.supply_T_C, params.carnot_frac, params.approach_K)
    )
    cap = params.capacity_kW if cop > 1.0 else 0.0
    out = np.minimum(np.minimum(D, cap), S * cop / (cop - 1.0) if cop > 1.0 else 0.0)
    cop_pl = cycling_cop(out, cop, params) if cap > 0 else np.ones_like(out)
    elec = out / cop_pl
    return LiftResult(heat_kW=out, electricity_kW=elec, source_heat_kW=out - elec, cop=cop_pl)


class HeatPumpUnitType(UnitType):
    """A generic heat pump: low-temperature heat and electricity in, network heat out."""

    name = "heat_pump"
    description = "heat pump lifting low-temperature heat (waste heat) to a heat network"
    ports = (
        Port("source", "heat", "in", takes=("low_grade",), temperature="source_T_C"),
        Port("power", "electricity", "in"),
        Port("heat", "heat", "out", serves=("space_heating", "dhw"), temperature="supply_T_C"),
    )
    params = LiftHeatPumpParams
    sizes = (Size("capacity_kW"),)
    outputs = (
        *HEAT_PUMP_OUTPUTS,
        Output(
            "source_heat_kW",
            "kW",
            "low-temperature heat taken from the source",
            annual="source heat used",
        ),
    )
    ratios = (SEASONAL_PERFORMANCE,)

    def run(self, params: LiftHeatPumpParams, inputs: NodeInputs) -> NodeResult:
        """:func:`lift_heat_pump` on the demand open downstream, within what its source
        gave (a second run of the network); it asks its source for the evaporator heat."""
        r = lift_heat_pump(
            inputs.open_demand_kW["heat"], params, inputs.received_kW.get("source", np.inf)
        )
        return NodeResult(
            supply_kW={"heat": r.heat_kW},
            draw_kW={"power": r.electricity_kW},
            demand_kW={"source": r.source_heat_kW},
            outputs={
                "electricity_use_kW": r.electricity_kW,
                "heat_output_kW": r.heat_kW,
                "heat_delivered_kW": r.heat_kW,
                "source_heat_kW": r.source_heat_kW,
                "cop": r.cop,
            },
        )

    def build(self, ctx: BuildContext) -> None:
        r"""Output within the capacity at the full-load COP; the source gives
        :math:`P (1 - 1/COP)` through its connections alone.

        Symbols: ``out[t]`` [kW]; ``capacity``: :math:`P_t \le P_{cap}`;
        electricity :math:`P_t / COP`; the ``source`` inlet's demand
        :math:`P_t (1 - 1/COP)` (``low_grade``: no backup).
        """
        p: LiftHeatPumpParams = ctx.params
        cop = float(carnot_cop(p.source_T_C, p.supply_T_C, p.carnot_frac, p.approach_K))
        out = ctx.var(
            "out", ctx.TIME, units="kW", doc="condenser output", ub=None if cop > 1.0 else 0.0
        )
        ctx.constrain("capacity", out <= ctx.size("capacity_kW"), "output at most the capacity")
        lift = 1.0 / cop if cop > 1.0 else 1.0
        ctx.supply("heat", out)
        ctx.demand("power", lift * out)
        ctx.demand("source", (1.0 - lift) * out)
        ctx.report("heat_output_kW", out)
        ctx.report("heat_delivered_kW", out)
        ctx.report("electricity_use_kW", lift * out)


register(WasteToEnergyType())
register(IndustrialWasteHeatType())
register(HeatPumpUnitType())
