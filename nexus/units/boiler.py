"""Biogas to heat: a boiler that burns the methane of the digesters.

The boiler burns the methane that reaches its gas inlet, up to what its
rated heat output allows, and supplies the heat to process heating (the
digesters), space heating and hot water, in that order. Methane beyond its
capacity is flared; heat the connected demand does not take is dumped (a
dump cooler), as the CHP's is (:mod:`nexus.units.chp`). There is no gas
store and no minimum load: the boiler modulates down to zero within the hour.
The time step is one hour, so a flow in kW is also the energy in kWh of that
hour and a gas flow in Nm3/h the volume in Nm3 of that hour. Fuel energy is
on the lower heating value (LHV) of methane,
:data:`nexus.units.chp.LHV_CH4_kWh_Nm3`.

NaN inputs propagate as NaN (that hour only); negative or infinite flows
raise :class:`~nexus.errors.ParameterError` naming the argument.

Contents
--------
- :class:`BoilerParams`: rated heat output and thermal efficiency;
- :func:`boiler_burn` and :class:`BoilerResult`: methane burnt and flared,
  fuel, heat and losses, hour by hour;
- the unit type ``biogas_boiler`` (:class:`BiogasBoilerType`): ports, size,
  outputs, simulation and optimizer model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nexus.registry import NodeInputs, NodeResult, Port, Size, UnitType, register
from nexus.units.checks import as_float, check_in, check_nonneg
from nexus.units.chp import (
    FLARED,
    HEAT_DUMPED,
    HEAT_GENERATED,
    LHV_CH4_kWh_Nm3,
    build_burn_or_flare,
    delivered,
)
from nexus.units.params import Params, field

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from nexus._typing import FloatArray
    from nexus.optimize.model import BuildContext

__all__ = ["BiogasBoilerType", "BoilerParams", "BoilerResult", "boiler_burn"]

_DIRECTIVE = (
    "Council Directive 92/42/EEC on efficiency requirements for new hot-water boilers "
    "fired with liquid or gaseous fuels, Art. 5(1) table, as transposed in UK SI 2007/2037, "
    "Schedule 2 Part 2 "
    "(https://www.legislation.gov.uk/uksi/2007/2037/schedule/2/part/2/made): a standard "
    "(non-condensing) boiler of rated output Pn [kW] at an average boiler-water temperature "
    "of 70 degC has a useful efficiency >= 84 + 2 log10(Pn) %, 88.0 % at Pn = 100 kW "
    "(85.2-89.2 % over the directive's 4-400 kW); useful efficiency is heat to the water "
    "over fuel on the net calorific value (Art. 2), i.e. the LHV. The directive excludes "
    "boilers designed for biogas (Art. 3): the figure is the requirement a natural-gas "
    "boiler of like build meets, taken for a non-condensing biogas boiler "
    "(tests/validation/data/boiler_efficiency.csv)"
)


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True, kw_only=True)
class BoilerParams(Params):
    """Hot-water boiler burning biogas: rated heat output and a constant efficiency.

    The efficiency is on the LHV of the fuel and held at every load (no
    part-load or standby losses: a boiler modulating within its range loses
    little, and a condensing one gains at part load; neither is modelled).
    """

    capacity_kW: float = field(
        0.0,
        unit="kW",
        low=0.0,
        high=1e5,
        source="design variable (district file or optimizer); 0 = not built",
        doc="rated heat output",
    )
    thermal_efficiency_frac: float = field(
        0.88,
        unit="1",
        low=0.5,
        high=1.1,
        source=_DIRECTIVE,
        doc="useful heat / fuel (LHV), at every load (above 1 only for a condensing boiler)",
    )

    @property
    def methane_max_Nm3_h(self) -> float:
        """Methane the boiler burns at its rated output [Nm3/h]."""
        return self.capacity_kW / (self.thermal_efficiency_frac * LHV_CH4_kWh_Nm3)


# ----------------------------------------------------------------------------- results


class BoilerResult(NamedTuple):
    """Result of :func:`boiler_burn`; flows are hourly means (kW = kWh per hour)."""

    methane_burnt_Nm3_h: FloatArray  #: methane burnt by the boiler [Nm3/h]
    flared_Nm3_h: FloatArray  #: methane beyond the boiler's capacity [Nm3/h]
    fuel_kW: FloatArray  #: fuel input, methane_burnt * LHV [kW]
    heat_kW: FloatArray  #: useful heat output [kW]
    losses_kW: FloatArray  #: fuel - heat (flue gas and casing losses) [kW]


# ---------------------------------------------------------------------------- physics


def boiler_burn(
    methane_Nm3_h: ArrayLike, *, capacity_kW: ArrayLike, thermal_efficiency_frac: ArrayLike
) -> BoilerResult:
    r"""Methane burnt in a boiler up to its rated output, the rest flared.

    Parameters
    ----------
    methane_Nm3_h : array_like
        Methane reaching the boiler each hour, >= 0 [Nm3 h-1].
    capacity_kW : array_like
        Rated heat output, >= 0 [kW]; 0: not built, all methane flared.
    thermal_efficiency_frac : array_like
        Useful heat / fuel on the LHV, in (0, 1.1] [1]; default of
        :class:`BoilerParams` 0.88 (Council Directive 92/42/EEC).

    Returns
    -------
    BoilerResult
        Hourly ``methane_burnt_Nm3_h``, ``flared_Nm3_h`` [Nm3/h], ``fuel_kW``,
        ``heat_kW``, ``losses_kW`` [kW], of the broadcast shape of the inputs.

    Notes
    -----
    With :math:`q` the methane received, :math:`H_i` its LHV
    (:data:`~nexus.units.chp.LHV_CH4_kWh_Nm3`), :math:`\eta` the efficiency
    and :math:`Q_{max}` the rated output:

    .. math:: b = \min\left(q, \frac{Q_{max}}{\eta H_i}\right), \quad
              flared = q - b, \quad F = b H_i, \quad Q = \eta F, \quad
              losses = F - Q

    Balances, exact every hour: :math:`q = b + flared` and
    :math:`F = Q + losses`. NaN in an hour makes that hour NaN (there is no
    store to carry it on).

    References
    ----------
    .. [1] Council Directive 92/42/EEC of 21 May 1992 on efficiency
       requirements for new hot-water boilers fired with liquid or gaseous
       fuels, OJ L 167, 22.6.1992, p. 17, Art. 5(1).

    Examples
    --------
    A 50 kW boiler (it burns 50 / (0.88 x 9.97) = 5.70 Nm3/h at full output):

    >>> r = boiler_burn([0.0, 2.0, 8.0, float("nan")], capacity_kW=50.0,
    ...     thermal_efficiency_frac=0.88)
    >>> print(r.heat_kW.round(2), r.flared_Nm3_h.round(2))
    [ 0.   17.55 50.     nan] [0.   0.   2.3   nan]
    """
    q = as_float(methane_Nm3_h)
    cap = as_float(capacity_kW)
    eta = as_float(thermal_efficiency_frac)
    check_nonneg("methane_Nm3_h", q)
    check_nonneg("capacity_kW", cap)
    check_in("thermal_efficiency_frac", eta, 1e-9, 1.1)
    burnt = np.minimum(q, cap / (eta * LHV_CH4_kWh_Nm3))
    fuel = burnt * LHV_CH4_kWh_Nm3
    heat = eta * fuel
    return BoilerResult(
        methane_burnt_Nm3_h=burnt,
        flared_Nm3_h=q - burnt,
        fuel_kW=fuel,
        heat_kW=heat,
        losses_kW=fuel - heat,
    )


# ----------------------------------------------------------------------------- unit type


class BiogasBoilerType(UnitType):
    """A boiler burning biogas: heat for digesters and the heat network."""

    name = "biogas_boiler"
    description = "hot-water boiler burning biogas (no gas store), surplus methane flared"
    ports = (
        Port("biogas", "gas", "in"),
        Port("heat", "heat", "out", serves=("process", "space_heating", "dhw")),
    )
    params = BoilerParams
    sizes = (Size("capacity_kW"),)
    outputs = (HEAT_GENERATED, HEAT_DUMPED, FLARED)

    def run(self, params: BoilerParams, inputs: NodeInputs) -> NodeResult:
        """:func:`boiler_burn` of the methane received; heat no inlet takes is dumped."""
        r = boiler_burn(
            inputs.gas_Nm3_h["biogas"],
            capacity_kW=params.capacity_kW,
            thermal_efficiency_frac=params.thermal_efficiency_frac,
        )
        heat, dumped = delivered(r.heat_kW, inputs.open_demand_kW["heat"])
        return NodeResult(
            supply_kW={"heat": heat},
            fuel_kW=r.fuel_kW,
            heat_loss_kW=r.losses_kW + dumped,
            outputs={
                "heat_generated_kW": r.heat_kW,
                "heat_dumped_kW": dumped,
                "flared_Nm3_h": r.flared_Nm3_h,
            },
        )

    def build(self, ctx: BuildContext) -> None:
        r"""Burns the methane received at a constant efficiency, within the capacity.

        Symbols: ``burn[t]``, ``flare[t]`` [Nm3/h] and ``gas_balance`` of
        :func:`~nexus.units.chp.build_burn_or_flare` (no store); the heat
        :math:`Q_t = \eta H_i\, burn_t` [kW]; ``capacity``:
        :math:`Q_t \le` ``size_capacity_kW``; the heat outlet supplies at most
        :math:`Q_t` (the rest is dumped).
        """
        p: BoilerParams = ctx.params
        eta_h = float(p.thermal_efficiency_frac) * LHV_CH4_kWh_Nm3
        capacity = ctx.size("capacity_kW")
        burn, flare, _ = build_burn_or_flare(ctx)
        heat = (eta_h * burn).scaled(unit="kWh/m**3")
        ctx.constrain("capacity", heat <= capacity, "heat at most the capacity")
        ctx.supply("heat", heat, at_most=True)
        ctx.report("heat_generated_kW", heat)
        ctx.report("flared_Nm3_h", flare)


register(BiogasBoilerType())
