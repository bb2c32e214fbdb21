"""Sinks: where flows leave the district.

- ``sewer`` and ``farm`` receive water (the farm: what is applied to land);
- ``heat_network`` takes heat for the space-heating and hot-water demand of
  the households (or buildings) it serves, at its supply temperature and with
  its distribution losses;
- ``ev_charging`` takes electricity for their electric vehicles;
- ``grid`` sells electricity to units that draw it and takes any export;
- ``gas_grid`` takes methane: upgraded biomethane injected into the public
  gas grid (as Helsingborg's RecoLab exports it).

A sink's inlet that takes a demand category (:data:`nexus.registry.CATEGORIES`)
asks the suppliers connected to it for the demand of the households it
``serves`` (all of the district's if the file does not say); what they do not
give is reported as unmet and, in the optimizer, bought at the category's
backup price.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nexus.errors import ParameterError
from nexus.registry import (
    CATEGORIES,
    NodeInputs,
    NodeResult,
    Output,
    Port,
    SinkType,
    register,
)
from nexus.units.chp import EVParams, LHV_CH4_kWh_Nm3
from nexus.units.params import Params, field

if TYPE_CHECKING:
    from nexus._typing import FloatArray, Floats
    from nexus.indicators import NodeView
    from nexus.optimize.maps import Column, SampleContext
    from nexus.optimize.model import BuildContext

__all__ = [
    "DemandSinkType",
    "EVChargingType",
    "GasGridType",
    "GridType",
    "HeatNetworkParams",
    "HeatNetworkType",
    "WaterSinkType",
]

#: Elements reported as sent to a water sink, with their plain names.
WATER_SINK_ELEMENTS: dict[str, str] = {
    "COD": "COD",
    "N": "nitrogen",
    "P": "phosphorus",
    "K": "potassium",
}


class WaterSinkType(SinkType):
    """A sink that receives water and counts what it receives."""

    ports = (Port("in", "water", "in", required=False),)
    passive = True

    def run(self, params: Any, inputs: NodeInputs) -> NodeResult:
        """Nothing happens to the water here; the network records what arrives."""
        return NodeResult()

    def kpis(self, node: NodeView) -> dict[str, float]:
        """Water [m3/yr] and COD, N, P and K [kg/yr] received, if anything arrives."""
        if not node.has_water_in():
            return {}
        out = {node.label("water received", "m3/yr"): node.water_in_m3()}
        for element, plain in WATER_SINK_ELEMENTS.items():
            out[node.label(f"{plain} received", "kg/yr")] = node.element_in_kg(element)
        return out


class SewerType(WaterSinkType):
    name = "sewer"
    description = "the public sewer (water leaves the district's loops)"


class FarmType(WaterSinkType):
    name = "farm"
    description = "farmland the water is applied to"


def demand_outputs(ports: tuple[Port, ...]) -> tuple[Output, ...]:
    """The demand and unmet-demand outputs of a sink's inlets that take limited categories."""
    out = []
    for port in ports:
        for c in port.takes:
            if CATEGORIES[c].unlimited:
                continue
            units = "kW"
            plain = CATEGORIES[c].plain
            out.append(Output(f"{c}_demand_kW", units, f"{plain} demand served by this sink"))
            out.append(Output(f"{c}_unmet_kW", units, f"{plain} demand not met in the district"))
    return tuple(out)


class DemandSinkType(SinkType):
    """A sink whose inlets take demand categories; reports demand and what was not met."""

    def run(self, params: Any, inputs: NodeInputs) -> NodeResult:
        """The demand each inlet asked for and what no supplier gave, by category."""
        outputs: dict[str, Floats] = {}
        for port, categories in inputs.demand_kW.items():
            for c, demand in categories.items():
                if not CATEGORIES[c].unlimited:
                    outputs[f"{c}_demand_kW"] = demand
                    outputs[f"{c}_unmet_kW"] = inputs.unmet_kW[port][c]
        return NodeResult(outputs=outputs)

    def sample(self, ctx: SampleContext, columns: list[Column]) -> dict[str, FloatArray]:
        """The demand of each category, as the simulation asked it of the suppliers."""
        return {
            c: ctx.outputs[f"{c}_demand_kW"]
            for port in self.ports
            for c in port.takes
            if not CATEGORIES[c].unlimited
        }

    def build(self, ctx: BuildContext) -> None:
        """Each category's demand (times the demand scale) is met by links or by backup."""
        for port in self.ports:
            for c in port.takes:
                if CATEGORIES[c].unlimited:
                    continue
                demand = ctx.scaled_demand(c)
                ctx.demand(port.name, demand, category=c, unmet=f"{c}_unmet_kW")
                ctx.report(f"{c}_demand_kW", demand)


_WOODFUEL = (
    "Use Wood Fuel (usewoodfuel.co.uk), 'District Heat Network Efficiency': overall losses "
    "of district heat networks 'from under 15% to well over 30%'; design examples 70/50 "
    "and 80/40 degC (flow/return)"
)


@dataclass(frozen=True, kw_only=True)
class HeatNetworkParams(Params):
    """A district heat network: its supply and return temperatures and its losses.

    The supply temperature is the level every heat supplier that states one
    must reach (``Port.temperature`` (:class:`nexus.registry.Port`)): a colder source
    feeds the network through a heat pump. The loss fraction is the share of
    the heat entering the network that its pipes lose before the buildings.
    """

    supply_T_C: float = field(
        80.0,
        unit="degC",
        low=20.0,
        high=150.0,
        source=_WOODFUEL,
        doc="supply (flow) temperature the network needs from its suppliers",
    )
    return_T_C: float = field(
        40.0,
        unit="degC",
        low=10.0,
        high=100.0,
        source=_WOODFUEL,
        doc="return temperature (below the supply temperature); stated and checked, not yet "
        "used by any calculation (losses are a share, a heat pump delivers at its own "
        "supply_T_C)",
    )
    distribution_loss_frac: float = field(
        0.0,
        unit="1",
        low=0.0,
        high=0.5,
        source=f"0: losses not modelled (the default, as before these parameters); {_WOODFUEL}",
        doc="share of the heat entering the network lost by its pipes",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.return_T_C >= self.supply_T_C:
            raise ParameterError(
                f"return_T_C = {self.return_T_C:g} °C is not below supply_T_C = "
                f"{self.supply_T_C:g} °C; expected a return colder than the supply"
            )


class HeatNetworkType(DemandSinkType):
    """A district heat network: asks its suppliers for the demand of the households it
    serves plus its distribution losses, at its supply temperature."""

    name = "heat_network"
    description = "district heat network serving space heating and hot water"
    ports = (
        Port(
            "in",
            "heat",
            "in",
            required=False,
            takes=("space_heating", "dhw"),
            temperature="supply_T_C",
        ),
    )
    params = HeatNetworkParams
    outputs = (
        *demand_outputs(ports),
        Output(
            "distribution_loss_kW",
            "kW",
            "heat lost by the network's pipes",
            role="heat_network_loss",
            annual="distribution losses",
            optional=True,  # left out of a network whose losses are not modelled (0)
        ),
    )

    def inlet_demand_kW(self, params: HeatNetworkParams, demand_kW: FloatArray) -> FloatArray:
        """The buildings' demand grossed up by the losses: :math:`D / (1 - f)` [kW]."""
        return demand_kW / (1.0 - params.distribution_loss_frac)

    def run(self, params: HeatNetworkParams, inputs: NodeInputs) -> NodeResult:
        """Demand and unmet demand at the inlet, and the losses of the heat delivered (left
        out where ``distribution_loss_frac`` is 0: losses not modelled, not reported as 0)."""
        result = super().run(params, inputs)
        f = params.distribution_loss_frac
        if f == 0:
            return result
        out = result.outputs  # each category's demand and unmet demand (DemandSinkType)
        delivered = sum(
            (out[f"{c}_demand_kW"] - out[f"{c}_unmet_kW"] for p in self.ports for c in p.takes),
            np.zeros(len(inputs.time)),
        )
        result.outputs["distribution_loss_kW"] = f * delivered
        return result


class EVChargingType(DemandSinkType):
    name = "ev_charging"
    description = "charging points of the households' electric vehicles"
    ports = (Port("in", "electricity", "in", required=False, takes=("ev",)),)
    outputs = demand_outputs(ports)

    def kpis(self, node: NodeView) -> dict[str, float]:
        """Electricity from the district's units and the vehicle-km it drives (at the
        consumption of :class:`~nexus.units.chp.EVParams`, Weiss et al. 2024)."""
        kWh = node.link_in_kWh(from_role="unit")
        return {
            **super().kpis(node),
            node.label("charged by district units", "MWh/yr"): kWh / 1000.0,
            node.label("km driven on it", "km/yr"): kWh / EVParams().kWh_per_km,
        }


class GridType(SinkType):
    name = "grid"
    description = "the public electricity grid: sells to units, takes any export"
    passive = True
    ports = (
        Port("in", "electricity", "in", required=False, takes=("export",)),
        Port("out", "electricity", "out", required=False),
    )

    def run(self, params: Any, inputs: NodeInputs) -> NodeResult:
        """The grid takes and gives what its links carry."""
        return NodeResult()

    def build(self, ctx: BuildContext) -> None:
        """Electricity bought at the import price, sold at the export price."""
        ctx.cost("electricity_import", ctx.outflow("out"), price="electricity_import_per_kWh")
        ctx.cost("electricity_export", -ctx.inflow("in"), price="electricity_export_per_kWh")

    def kpis(self, node: NodeView) -> dict[str, float]:
        """Electricity bought from and sold to the grid."""
        return {
            node.label("electricity bought", "MWh/yr"): node.link_out_kWh() / 1000.0,
            node.label("electricity sold", "MWh/yr"): node.link_in_kWh() / 1000.0,
        }


class GasGridType(SinkType):
    """The public gas grid: takes the methane that reaches it (biomethane export).

    What arrives is taken to be grid-quality biomethane: the upgrading step
    (CO2 removal, drying, compression) is not modelled, so its methane slip
    and its electricity use are left out; a unit placed before this sink may
    model them. The energy is reported on the LHV of methane
    (:data:`~nexus.units.chp.LHV_CH4_kWh_Nm3`).
    """

    name = "gas_grid"
    description = "the public gas grid: takes upgraded biomethane (export)"
    passive = True
    ports = (Port("in", "gas", "in", required=False),)
    outputs = (
        Output(
            "methane_exported_Nm3_h",
            "m3 h-1",
            "methane sent to the gas grid (normal m3)",
            annual="methane exported",
            annual_units="Nm3/yr",
        ),
        Output(
            "methane_exported_kW",
            "kW",
            "energy of the methane sent to the gas grid (LHV)",
            annual="methane energy exported",
        ),
    )

    def run(self, params: Any, inputs: NodeInputs) -> NodeResult:
        """The methane its inlet receives, as volume [Nm3/h] and as energy (LHV) [kW]."""
        methane = inputs.gas_Nm3_h["in"]
        return NodeResult(
            outputs={
                "methane_exported_Nm3_h": methane,
                "methane_exported_kW": methane * LHV_CH4_kWh_Nm3,
            }
        )

    def build(self, ctx: BuildContext) -> None:
        """Takes whatever methane its links carry; no price (none is declared for gas)."""
        methane = ctx.inflow("in")
        ctx.report("methane_exported_Nm3_h", methane)
        ctx.report("methane_exported_kW", (LHV_CH4_kWh_Nm3 * methane).scaled(unit="kWh/m**3"))


for _sink in (
    SewerType(),
    FarmType(),
    HeatNetworkType(),
    EVChargingType(),
    GridType(),
    GasGridType(),
):
    register(_sink)
