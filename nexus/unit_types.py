"""Unit types a district file can use, with their ports and parameters.

This module adapts the pure functions of each unit-process module
(:mod:`nexus.units.heat_recovery`, ...) to the district network: which ports a
unit has, which parameter tables its file entry takes, and how its outlets
follow from its inlets. The physics stays in the unit modules.

A port has a kind (``water``, ``heat`` or ``electricity``) and a direction.
Water ports carry :class:`nexus.streams.Stream`; heat ports carry heat
delivered to a heat network [kW]; electricity inlets carry the power a unit
draws [kW]. A heat outlet says which demand it can serve (``dhw`` domestic
hot water, ``space_heating``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from pydantic import BaseModel, create_model

from nexus.constants import CV_WATER_kWh_m3K
from nexus.schema import CONFIG, params_model
from nexus.streams import Stream
from nexus.units import heat_recovery as hr

__all__ = [
    "SINK_PORTS",
    "SOURCE_PORTS",
    "UNIT_TYPES",
    "Port",
    "UnitInputs",
    "UnitResult",
    "UnitType",
]


@dataclass(frozen=True)
class Port:
    """A port of a source, unit or sink."""

    name: str
    kind: str  # "water" | "heat" | "electricity"
    direction: str  # "in" | "out"
    required: bool = True
    serves: tuple[str, ...] = ()  # heat outlets: demand categories, in order of priority


class Variable(NamedTuple):
    """A result series with its CF attributes."""

    values: np.ndarray
    units: str
    long_name: str


@dataclass(frozen=True)
class UnitInputs:
    """What a unit receives when the network runs it.

    Attributes
    ----------
    inlets : dict of str to Stream
        Mixed inflow of each water inlet.
    heat_demand_kW : dict of str to numpy.ndarray
        For each heat outlet, the demand still open at the heat network it
        feeds, in the categories the port serves [kW].
    T_mains_C : numpy.ndarray
        Cold drinking-water temperature [°C].
    """

    inlets: dict[str, Stream]
    heat_demand_kW: dict[str, np.ndarray]
    T_mains_C: np.ndarray


@dataclass
class UnitResult:
    """What a unit returns to the network.

    ``heat_loss_kW`` and ``heat_accumulation_kW`` close the unit's energy
    balance: heat in water + electricity = heat in water out + heat delivered
    + loss + accumulation, every hour. ``removed_kg_h`` closes its element
    balances: element in water = element in water out + removed.
    """

    outlets: dict[str, Stream]
    heat_kW: dict[str, np.ndarray] = field(default_factory=dict)
    electricity_kW: dict[str, np.ndarray] = field(default_factory=dict)
    variables: dict[str, Variable] = field(default_factory=dict)
    heat_loss_kW: np.ndarray | float = 0.0
    heat_accumulation_kW: np.ndarray | float = 0.0
    #: Element mass leaving the water as a product or a gas [kg/h], by element.
    removed_kg_h: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitType:
    """A unit type: ports, the model of its file table, and how it runs."""

    name: str
    description: str
    ports: tuple[Port, ...]
    model: type[BaseModel]
    build: Callable[[BaseModel], Any]
    run: Callable[[Any, UnitInputs], UnitResult]
    #: Parameter dataclass of each table of the unit ("" for the unit's own table).
    tables: dict[str, type] = field(default_factory=dict)


def _cooled(stream: Stream, heat_kW: np.ndarray) -> Stream:
    """The stream after giving up ``heat_kW`` [kW]; zero flow keeps its temperature."""
    flow = stream.flow_m3_h
    drop = np.divide(heat_kW, CV_WATER_kWh_m3K * flow, out=np.zeros_like(flow), where=flow > 0)
    return stream.at_temperature(stream.T_C - drop)


# ------------------------------------------------------------ shower DWHR


def _run_dwhr(params: hr.DWHRParams, inputs: UnitInputs) -> UnitResult:
    water = inputs.inlets["in"]
    possible = hr.dwhr_heat_kW(water.flow_m3_h, water.T_C, inputs.T_mains_C, params).heat_kW
    delivered = np.minimum(possible, inputs.heat_demand_kW["heat"])
    return UnitResult(
        outlets={"out": _cooled(water, delivered)},
        heat_kW={"heat": delivered},
        variables={
            "heat_recovered_kW": Variable(
                delivered, "kW", "heat recovered from shower drain water"
            ),
            "heat_unused_kW": Variable(
                possible - delivered, "kW", "drain heat the hot-water demand could not take"
            ),
        },
    )


# ------------------------------------------------- greywater heat pump station

_HX_MODEL = params_model(hr.ExchangerParams, frozenset({"area_m2"}))
_HP_MODEL = params_model(hr.HeatPumpParams, frozenset({"capacity_kW"}))
_STORE_MODEL = params_model(hr.StoreParams, frozenset({"capacity_kWh"}))
_STATION_MODEL = create_model(
    "GreywaterHeatPumpModel",
    __config__=CONFIG,
    exchanger=(_HX_MODEL, ...),
    heat_pump=(_HP_MODEL, ...),
    store=(_STORE_MODEL, ...),
)


class StationParams(NamedTuple):
    """Parameters of a greywater heat-pump station."""

    exchanger: hr.ExchangerParams
    heat_pump: hr.HeatPumpParams
    store: hr.StoreParams


def _build_station(m: Any) -> StationParams:
    return StationParams(
        hr.ExchangerParams(**m.exchanger.model_dump()),
        hr.HeatPumpParams(**m.heat_pump.model_dump()),
        hr.StoreParams(**m.store.model_dump()),
    )


def _run_station(params: StationParams, inputs: UnitInputs) -> UnitResult:
    water = inputs.inlets["in"]
    r = hr.greywater_heat_pump(
        water.flow_m3_h,
        water.T_C,
        inputs.heat_demand_kW["heat"],
        exchanger=params.exchanger,
        heat_pump=params.heat_pump,
        store=params.store,
    )
    accumulation = np.diff(
        r.stored_kWh, prepend=params.store.initial_frac * params.store.capacity_kWh
    )
    return UnitResult(
        outlets={"out": water.at_temperature(r.gw_T_out_C)},
        heat_kW={"heat": r.delivered_kW},
        electricity_kW={"power": r.electricity_kW},
        heat_loss_kW=r.store_loss_kW,
        heat_accumulation_kW=accumulation,
        variables={
            "heat_recovered_kW": Variable(
                r.heat_extracted_kW, "kW", "heat recovered from greywater"
            ),
            "electricity_kW": Variable(r.electricity_kW, "kW", "heat-pump electricity use"),
            "heat_output_kW": Variable(r.heat_output_kW, "kW", "heat-pump condenser output"),
            "heat_delivered_kW": Variable(
                r.delivered_kW, "kW", "heat delivered to the heat network"
            ),
            "store_charge_kW": Variable(r.store_charge_kW, "kW", "heat store charging"),
            "store_discharge_kW": Variable(r.store_discharge_kW, "kW", "heat store discharging"),
            "stored_kWh": Variable(r.stored_kWh, "kWh", "heat in store at the end of the hour"),
            "heat_loss_kW": Variable(r.store_loss_kW, "kW", "heat store standing loss"),
            "cop": Variable(r.cop, "1", "heat-pump coefficient of performance"),
            "heat_curtailed_kW": Variable(
                r.curtailed_kW, "kW", "heat-pump output not produced for lack of demand or storage"
            ),
        },
    )


_WATER_IN = Port("in", "water", "in")
_WATER_OUT = Port("out", "water", "out")

UNIT_TYPES: dict[str, UnitType] = {
    "shower_dwhr": UnitType(
        name="shower_dwhr",
        description="drain-water heat recovery at the showers (preheats their cold water)",
        ports=(_WATER_IN, _WATER_OUT, Port("heat", "heat", "out", serves=("dhw",))),
        model=params_model(hr.DWHRParams),
        build=lambda m: hr.DWHRParams(**m.model_dump()),
        run=_run_dwhr,
        tables={"": hr.DWHRParams},
    ),
    "greywater_heat_pump": UnitType(
        name="greywater_heat_pump",
        description="central greywater heat exchanger, heat pump and heat store",
        ports=(
            _WATER_IN,
            _WATER_OUT,
            Port("heat", "heat", "out", serves=("space_heating", "dhw")),
            Port("power", "electricity", "in"),
        ),
        model=_STATION_MODEL,
        build=_build_station,
        run=_run_station,
        tables={
            "exchanger": hr.ExchangerParams,
            "heat_pump": hr.HeatPumpParams,
            "store": hr.StoreParams,
        },
    ),
}

#: Ports of a household source.
SOURCE_PORTS: dict[str, Port] = {
    name: Port(name, "water", "out")
    for name in ("shower", "greywater", "blackwater", "kitchen_waste")
}

#: Ports of each sink type (none required: a sink may receive nothing).
SINK_PORTS: dict[str, dict[str, Port]] = {
    "sewer": {"in": Port("in", "water", "in", required=False)},
    "farm": {"in": Port("in", "water", "in", required=False)},
    "heat_network": {"in": Port("in", "heat", "in", required=False)},
    "grid": {
        "in": Port("in", "electricity", "in", required=False),
        "out": Port("out", "electricity", "out", required=False),
    },
}
