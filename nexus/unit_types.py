"""Unit types a district file can use, with their ports and parameters.

This module adapts the pure functions of each unit-process module
(:mod:`nexus.units.heat_recovery`, :mod:`nexus.units.digester`,
:mod:`nexus.units.chp`) to the district network: which ports a unit has,
which parameter tables its file entry takes, and how its outlets follow from
its inlets. The physics stays in the unit modules.

A port has a kind and a direction:

- ``water`` ports carry :class:`nexus.streams.Stream`; an outlet feeds one
  inlet, an inlet mixes all that reaches it;
- ``gas`` ports carry methane [Nm3/h]; an outlet feeds one inlet;
- ``heat`` and ``electricity`` ports carry power [kW]. An inlet with a
  demand (a heat network, an EV charging point, a digester that needs heat)
  is served by the outlets connected to it, in the order of the connections
  where the water's path allows (list free heat, such as a CHP's, before a
  heat pump's); an outlet serves
  its inlets in the order of the connections, and within each the demand
  categories it ``serves``, in that order (``process`` heat of units, ``space_heating``,
  ``dhw`` domestic hot water, ``ev`` charging, ``export`` to the grid).
  A unit's electricity inlet draws what the unit needs from a grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from pydantic import BaseModel, create_model

from nexus.components import ELEMENTS, INDEX, element_matrix
from nexus.constants import T0_K, CV_WATER_kWh_m3K
from nexus.errors import ParameterError
from nexus.schema import CONFIG, params_model
from nexus.streams import Stream
from nexus.units import chp as chp_unit
from nexus.units import heat_recovery as hr

__all__ = [
    "SERVING_SINKS",
    "SINGLE_FEED_KINDS",
    "SINK_PORTS",
    "SOURCE_PORTS",
    "UNIT_TYPES",
    "Port",
    "UnitInputs",
    "UnitResult",
    "UnitType",
    "Variable",
]

#: Port kinds whose outlet feeds exactly one inlet (matter, not power).
SINGLE_FEED_KINDS = ("water", "gas")
#: Sink types that serve a demand of household sources (their ``serves`` key).
SERVING_SINKS = ("heat_network", "ev_charging")


@dataclass(frozen=True)
class Port:
    """A port of a source, unit or sink."""

    name: str
    kind: str  # "water" | "gas" | "heat" | "electricity"
    direction: str  # "in" | "out"
    required: bool = True
    serves: tuple[str, ...] = ()  # heat and electricity outlets: categories, in priority order


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
    gas_Nm3_h : dict of str to numpy.ndarray
        Methane reaching each gas inlet [Nm3/h].
    open_demand_kW : dict of str to numpy.ndarray
        For each heat or electricity outlet, the demand still open at the
        inlets it feeds, in the categories it serves [kW] (infinite for a
        grid that takes any export).
    T_mains_C, T_out_C : numpy.ndarray
        Cold drinking-water and outdoor air temperature [°C].
    """

    inlets: dict[str, Stream]
    gas_Nm3_h: dict[str, np.ndarray]
    open_demand_kW: dict[str, np.ndarray]
    T_mains_C: np.ndarray
    T_out_C: np.ndarray


@dataclass
class UnitResult:
    """What a unit returns to the network.

    Its balances, every hour: element in water + ``dosed_kg_h`` = element in
    water out + ``removed_kg_h`` + ``accumulation_kg_h``; energy: sensible heat of water
    in + electricity drawn + heat received + ``fuel_kW`` = sensible heat of
    water out + power supplied + ``heat_loss_kW`` + ``heat_accumulation_kW``.
    Heat a unit needs but does not receive is counted by the network as
    backup heat.
    """

    outlets: dict[str, Stream] = field(default_factory=dict)
    #: Power supplied through each heat or electricity outlet [kW].
    supply_kW: dict[str, np.ndarray] = field(default_factory=dict)
    #: Electricity drawn through each electricity inlet [kW].
    draw_kW: dict[str, np.ndarray] = field(default_factory=dict)
    #: Heat the unit needs through each heat inlet [kW].
    demand_kW: dict[str, np.ndarray] = field(default_factory=dict)
    #: Methane leaving through each gas outlet [Nm3/h].
    gas_Nm3_h: dict[str, np.ndarray] = field(default_factory=dict)
    variables: dict[str, Variable] = field(default_factory=dict)
    fuel_kW: np.ndarray | float = 0.0
    heat_loss_kW: np.ndarray | float = 0.0
    heat_accumulation_kW: np.ndarray | float = 0.0
    #: Element mass leaving the water as a product or a gas [kg/h], by element.
    removed_kg_h: dict[str, np.ndarray] = field(default_factory=dict)
    #: Element mass held back in the unit (positive) or released (negative) [kg/h].
    accumulation_kg_h: dict[str, np.ndarray] = field(default_factory=dict)
    #: Element mass added to the water by dosing chemicals [kg/h], by element.
    dosed_kg_h: dict[str, np.ndarray] = field(default_factory=dict)


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
    #: Sizes an optimizer may choose: name -> (table, parameter).
    sizes: dict[str, tuple[str, str]] = field(default_factory=dict)


def _single(
    name: str, description: str, ports, params_cls, run, required=frozenset(), sizes=()
) -> UnitType:
    """A unit whose file table is one parameter dataclass; ``sizes`` name its size fields."""
    return UnitType(
        name=name,
        description=description,
        ports=ports,
        model=params_model(params_cls, frozenset(required)),
        build=lambda m: params_cls(**m.model_dump()),
        run=run,
        tables={"": params_cls},
        sizes={s: ("", s) for s in sizes},
    )


def _composite(
    name: str,
    description: str,
    ports,
    tables: dict[str, tuple[type, set]],
    run,
    sizes: dict[str, tuple[str, str]] | None = None,
):
    """A unit whose file table has one sub-table per parameter dataclass."""
    models = {
        key: (params_model(cls, frozenset(required)), ...)
        for key, (cls, required) in tables.items()
    }
    model = create_model(f"{name.title().replace('_', '')}Model", __config__=CONFIG, **models)

    def build(m: BaseModel) -> dict[str, Any]:
        return {key: cls(**getattr(m, key).model_dump()) for key, (cls, _) in tables.items()}

    return UnitType(
        name=name,
        description=description,
        ports=ports,
        model=model,
        build=build,
        run=run,
        tables={key: cls for key, (cls, _) in tables.items()},
        sizes=sizes or {},
    )


def _cooled(stream: Stream, heat_kW: np.ndarray) -> Stream:
    """The stream after giving up ``heat_kW`` [kW]; zero flow keeps its temperature."""
    flow = stream.flow_m3_h
    drop = np.divide(heat_kW, CV_WATER_kWh_m3K * flow, out=np.zeros_like(flow), where=flow > 0)
    return stream.at_temperature(stream.T_C - drop)


# ------------------------------------------------------------ shower DWHR


def _run_dwhr(params: hr.DWHRParams, inputs: UnitInputs) -> UnitResult:
    water = inputs.inlets["in"]
    possible = hr.dwhr_heat_kW(water.flow_m3_h, water.T_C, inputs.T_mains_C, params).heat_kW
    delivered = np.minimum(possible, inputs.open_demand_kW["heat"])
    return UnitResult(
        outlets={"out": _cooled(water, delivered)},
        supply_kW={"heat": delivered},
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


def _run_station(params: dict[str, Any], inputs: UnitInputs) -> UnitResult:
    water = inputs.inlets["in"]
    store = params["store"]
    r = hr.greywater_heat_pump(
        water.flow_m3_h,
        water.T_C,
        inputs.open_demand_kW["heat"],
        exchanger=params["exchanger"],
        heat_pump=params["heat_pump"],
        store=store,
    )
    accumulation = np.diff(r.stored_kWh, prepend=store.initial_frac * store.capacity_kWh)
    return UnitResult(
        outlets={"out": water.at_temperature(r.gw_T_out_C)},
        supply_kW={"heat": r.delivered_kW},
        draw_kW={"power": r.electricity_kW},
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
            "heat_held_kWh": Variable(r.stored_kWh, "kWh", "heat in store at the end of the hour"),
            "cop": Variable(r.cop, "1", "heat-pump coefficient of performance"),
            "heat_curtailed_kW": Variable(
                r.curtailed_kW, "kW", "heat-pump output not produced for lack of demand or storage"
            ),
        },
    )


# ------------------------------------------------------------ anaerobic digester


def _run_digester(params: dict[str, Any], inputs: UnitInputs) -> UnitResult:
    """Digester run quasi-steady day by day, buffering the hours within a day."""
    from nexus.units import adm1
    from nexus.units import digester as dg

    reactor: dg.ReactorParams = params["reactor"]
    water = inputs.inlets["in"]
    n = water.flow_m3_h.size
    if n % 24:
        raise ParameterError(f"digester needs whole days of hourly steps; got {n} hours")
    day_flow = water.flow_m3_h.reshape(-1, 24).sum(axis=1)  # m3/d
    day_loads = water.loads_kg_h.reshape(-1, 24, water.loads_kg_h.shape[1]).sum(axis=1)  # kg/d
    running = (day_flow > 0) & (reactor.V_liq_m3 > 0)
    out_day = day_loads.copy()  # a digester not built, or a day without feed, passes through
    methane_day = np.zeros(day_flow.size)
    ch4_frac = np.ones(day_flow.size)
    pH_day = None
    T_K = reactor.T_C + T0_K
    keep = np.ones(day_flow.size)
    if running.any():
        feed = dg.feed_to_adm1(day_loads[running], day_flow[running], feed=params["feed"])
        hrt_d = reactor.V_liq_m3 / day_flow[running]
        ss = adm1.steady_state(
            feed,
            flow_m3_d=day_flow[running],
            V_liq_m3=reactor.V_liq_m3,
            V_gas_m3=reactor.V_liq_m3 * reactor.headspace_frac,
            T_K=T_K,
            t_res_X_d=reactor.solids_retention_d,
        )
        contents = {name: np.atleast_1d(ss[name].to_numpy()) for name in adm1.LIQUID_STATES}
        keep[running] = hrt_d / (hrt_d + reactor.solids_retention_d)
        out_day[running] = dg.effluent_loads(
            contents,
            day_flow[running],
            day_loads[running],
            T_K=T_K,
            particulate_out_frac=keep[running],
        )
        methane_day[running] = np.atleast_1d(ss["q_ch4_Nm3_d"].to_numpy())
        # Dry biogas: methane over its mole fraction among CH4, CO2 and H2 in the headspace.
        moles = (
            np.atleast_1d(ss["S_gas_ch4"].to_numpy()) / 64.0
            + np.atleast_1d(ss["S_gas_co2"].to_numpy())
            + np.atleast_1d(ss["S_gas_h2"].to_numpy()) / 16.0
        )
        ch4_frac[running] = np.atleast_1d(ss["S_gas_ch4"].to_numpy()) / 64.0 / moles
        # Days without feed carry no water: their pH is set to the median so it stays finite.
        pH_run = np.atleast_1d(ss["pH"].to_numpy())
        pH_day = np.full(day_flow.size, float(np.median(pH_run)))
        pH_day[running] = pH_run
    # Hours: the effluent of a day leaves in proportion to that day's hourly flow.
    day = np.repeat(np.arange(day_flow.size), 24)
    share = np.divide(water.flow_m3_h, day_flow[day], out=np.zeros(n), where=day_flow[day] > 0)
    out_loads = out_day[day] * share[:, None]
    in_elements = water.loads_kg_h @ element_matrix().T
    out_elements = out_loads @ element_matrix().T
    cod = ELEMENTS.index("COD")
    removed_cod = (day_loads - out_day)[:, INDEX["COD_s"]] + (day_loads - out_day)[
        :, INDEX["COD_x"]
    ]
    removed = {"COD": np.repeat(removed_cod / 24.0, 24)}
    accumulation = {}
    for k, element in enumerate(ELEMENTS):
        accumulation[element] = (
            in_elements[:, k] - out_elements[:, k] - (removed["COD"] if k == cod else 0.0)
        )
    T_r = np.where(reactor.V_liq_m3 > 0, reactor.T_C, water.T_C)
    heating = dg.heating_kW(
        water.flow_m3_h,
        water.T_C,
        T_r,
        wall_area_m2=float(dg.wall_area_m2(reactor.V_liq_m3)),
        U_W_m2K=reactor.U_W_m2K,
        ambient_T_C=inputs.T_out_C,
    )
    demand = heating.total_kW
    sensible_gain = CV_WATER_kWh_m3K * water.flow_m3_h * (T_r - water.T_C)
    methane_h = np.repeat(methane_day / 24.0, 24)
    cod_in = water.loads_kg_h[:, INDEX["COD_s"]] + water.loads_kg_h[:, INDEX["COD_x"]]
    return UnitResult(
        outlets={
            "out": Stream(
                water.flow_m3_h,
                np.broadcast_to(T_r, (n,)).astype(float),
                out_loads,
                None if pH_day is None else np.repeat(pH_day, 24),
            )
        },
        demand_kW={"heat": demand},
        gas_Nm3_h={"biogas": methane_h},
        heat_loss_kW=demand - sensible_gain,
        removed_kg_h=removed,
        accumulation_kg_h=accumulation,
        variables={
            "methane_Nm3_h": Variable(
                methane_h, "m3 h-1", "methane produced (normal m3, 0 degC, 1 atm)"
            ),
            "biogas_Nm3_h": Variable(
                methane_h / np.repeat(ch4_frac, 24), "m3 h-1", "dry biogas produced (normal m3)"
            ),
            "NH4_N_out_kg_h": Variable(
                out_loads[:, INDEX["NH4_N"]], "kg h-1", "ammonium-N in the effluent"
            ),
            "PO4_P_out_kg_h": Variable(
                out_loads[:, INDEX["PO4_P"]], "kg h-1", "phosphate-P in the effluent"
            ),
            "COD_to_biogas_kg_h": Variable(removed["COD"], "kg h-1", "COD converted to biogas"),
            "heat_demand_kW": Variable(demand, "kW", "heat to warm the feed and cover wall losses"),
            "HRT_d": Variable(
                np.repeat(
                    np.divide(
                        reactor.V_liq_m3, day_flow, out=np.zeros_like(day_flow), where=day_flow > 0
                    ),
                    24,
                ),
                "d",
                "hydraulic retention time (daily)",
            ),
            "COD_in_kg_h": Variable(cod_in, "kg h-1", "COD fed"),
        },
    )


# ------------------------------------------------------------------- CHP


def _run_chp(params: dict[str, Any], inputs: UnitInputs) -> UnitResult:
    r = chp_unit.chp_dispatch(inputs.gas_Nm3_h["biogas"], store=params["store"], chp=params["chp"])
    heat = np.minimum(r.heat_kW, inputs.open_demand_kW["heat"])
    power = np.minimum(r.electricity_kW, inputs.open_demand_kW["power"])
    dumped = r.heat_kW - heat
    curtailed = r.electricity_kW - power
    return UnitResult(
        supply_kW={"heat": heat, "power": power},
        fuel_kW=r.fuel_kW,
        heat_loss_kW=r.losses_kW + dumped + curtailed,
        variables={
            "fuel_kW": Variable(r.fuel_kW, "kW", "methane burnt (lower heating value)"),
            "electricity_kW": Variable(r.electricity_kW, "kW", "electricity generated"),
            "heat_kW": Variable(r.heat_kW, "kW", "useful heat generated"),
            "heat_dumped_kW": Variable(dumped, "kW", "heat generated that no demand could take"),
            "electricity_curtailed_kW": Variable(
                curtailed, "kW", "electricity no inlet could take"
            ),
            "flared_Nm3_h": Variable(r.flared_Nm3_h, "m3 h-1", "methane flared (normal m3)"),
            "stored_Nm3": Variable(r.stored_Nm3, "m3", "methane in the gas store (normal m3)"),
            "load_frac": Variable(r.load_frac, "1", "engine load"),
        },
    )


# ------------------------------------------------------------ struvite reactor

#: Stream components read as the struvite model's water arguments [kg/h -> mg/L].
_STRUVITE_WATER = {
    "NH4_N_mg_L": "NH4_N",
    "PO4_P_mg_L": "PO4_P",
    "Mg_mg_L": "Mg",
    "Ca_mg_L": "Ca",
    "K_mg_L": "K",
    "Na_mg_L": "Na",
    "Cl_mg_L": "Cl",
    "alkalinity_mg_L_HCO3": "Alk_HCO3",
}


def _run_struvite(params, inputs: UnitInputs) -> UnitResult:
    """Struvite precipitation from the inlet water; harvested struvite leaves as a product."""
    from nexus.units import struvite as sv

    water = inputs.inlets["in"]
    flow = water.flow_m3_h
    n = flow.size
    built = params.V_m3 > 0  # a reactor not built (volume 0) passes all water by
    if water.pH is None and built:
        raise ParameterError(
            "the struvite reactor needs the pH of its inlet water, which only an "
            "anaerobic_digester outlet carries (directly, or through units that keep it); "
            "connect its 'in' port to a digester's 'out'"
        )
    wet = flow > 0
    if not wet.any() or not built:
        r = None
    else:
        # Hours without flow take the water of the first hour with flow: their rates are 0.
        fill = np.where(wet, np.arange(n), int(np.flatnonzero(wet)[0]))
        conc = {
            arg: (water.loads_kg_h[fill, INDEX[c]] / flow[fill] * 1e3)
            for arg, c in _STRUVITE_WATER.items()
        }
        r = sv.struvite_reactor(
            flow * 24.0, params=params, T_C=water.T_C[fill], pH=water.pH[fill], **conc
        )
    zero = np.zeros(n)

    def hourly(name: str) -> np.ndarray:
        return zero if r is None else getattr(r, name) / 24.0

    M = sv.M_g_mol
    mol_h = hourly("struvite_mol_d")
    NaOH_mol_h = hourly("NaOH_kg_d") * 1e3 / M["NaOH"]
    HCl_mol_h = hourly("HCl_kg_d") * 1e3 / M["HCl"]
    removed = {"P": mol_h * M["P"] / 1e3, "N": mol_h * M["N"] / 1e3, "Mg": mol_h * M["Mg"] / 1e3}
    dosed = {
        "Mg": hourly("Mg_kg_d"),
        "Cl": hourly("MgCl2_kg_d") - hourly("Mg_kg_d") + HCl_mol_h * M["Cl"] / 1e3,
        "Na": NaOH_mol_h * M["Na"] / 1e3,
    }
    loads = water.loads_kg_h.copy()
    loads[:, INDEX["PO4_P"]] -= removed["P"]
    loads[:, INDEX["NH4_N"]] -= removed["N"]
    loads[:, INDEX["Mg"]] += dosed["Mg"] - removed["Mg"]
    loads[:, INDEX["Cl"]] += dosed["Cl"]
    loads[:, INDEX["Na"]] += dosed["Na"]
    # PHREEQC alkalinity: +1 eq per NaOH, -1 per HCl, -2 per struvite (PO4-3 counts 2)
    loads[:, INDEX["Alk_HCO3"]] += (NaOH_mol_h - HCl_mol_h - 2.0 * mol_h) * M["HCO3"] / 1e3
    result = UnitResult(
        outlets={"out": Stream(flow, water.T_C, loads)},
        removed_kg_h=removed,
        dosed_kg_h=dosed,
        variables={
            "struvite_kg_h": Variable(hourly("struvite_kg_d"), "kg h-1", "struvite harvested"),
            "P2O5_kg_h": Variable(
                hourly("P2O5_kg_d"), "kg h-1", "fertilizer value of the harvest as P2O5"
            ),
            "PO4_P_in_kg_h": Variable(
                water.loads_kg_h[:, INDEX["PO4_P"]], "kg h-1", "phosphate-P reaching the reactor"
            ),
            "treated_m3_h": Variable(
                hourly("treated_m3_d"), "m3 h-1", "flow through the reactor (the rest bypasses)"
            ),
            "MgCl2_kg_h": Variable(hourly("MgCl2_kg_d"), "kg h-1", "MgCl2 dosed (anhydrous)"),
            "NaOH_kg_h": Variable(hourly("NaOH_kg_d"), "kg h-1", "NaOH dosed to hold the pH"),
            "HCl_kg_h": Variable(hourly("HCl_kg_d"), "kg h-1", "HCl dosed to hold the pH"),
            "chemicals_cost_h": Variable(
                hourly("chemicals_cost_d"), "currency h-1", "MgCl2.6H2O and NaOH bought"
            ),
            "crop_t_h": Variable(
                hourly("crop_t_d"), "t h-1", "crop whose phosphorus the harvest replaces"
            ),
            "SI_hydroxyapatite_in": Variable(
                zero if r is None else r.SI_hydroxyapatite_initial,
                "1",
                "hydroxyapatite saturation index of the inlet water (> 0: Ca phosphate can form)",
            ),
        },
    )
    if water.pH is not None:  # unknown upstream of a digester not built
        result.variables["pH_in"] = Variable(water.pH, "1", "pH of the water reaching the reactor")
        result.variables["pH_final"] = Variable(
            water.pH if r is None else r.pH_final, "1", "equilibrium pH of the treated water"
        )
    return result


_WATER_IN = Port("in", "water", "in")
_WATER_OUT = Port("out", "water", "out")


def _unit_types() -> dict[str, UnitType]:
    from nexus.units import digester as dg
    from nexus.units import struvite as sv

    return {
        "shower_dwhr": _single(
            "shower_dwhr",
            "drain-water heat recovery at the showers (preheats their cold water)",
            (_WATER_IN, _WATER_OUT, Port("heat", "heat", "out", serves=("dhw",))),
            hr.DWHRParams,
            _run_dwhr,
        ),
        "greywater_heat_pump": _composite(
            "greywater_heat_pump",
            "central greywater heat exchanger, heat pump and heat store",
            (
                _WATER_IN,
                _WATER_OUT,
                Port("heat", "heat", "out", serves=("space_heating", "dhw")),
                Port("power", "electricity", "in"),
            ),
            {
                "exchanger": (hr.ExchangerParams, {"area_m2"}),
                "heat_pump": (hr.HeatPumpParams, {"capacity_kW"}),
                "store": (hr.StoreParams, {"capacity_kWh"}),
            },
            _run_station,
            sizes={
                "area_m2": ("exchanger", "area_m2"),
                "capacity_kW": ("heat_pump", "capacity_kW"),
                "capacity_kWh": ("store", "capacity_kWh"),
            },
        ),
        "anaerobic_digester": _composite(
            "anaerobic_digester",
            "ADM1 digester of black water and kitchen waste (CSTR, or UASB with solids retention)",
            (
                _WATER_IN,
                _WATER_OUT,
                Port("biogas", "gas", "out"),
                Port("heat", "heat", "in", required=False),
            ),
            {"reactor": (dg.ReactorParams, {"V_liq_m3"}), "feed": (dg.FeedParams, set())},
            _run_digester,
            sizes={"V_liq_m3": ("reactor", "V_liq_m3")},
        ),
        "chp": _composite(
            "chp",
            "biogas store and combined heat and power engine",
            (
                Port("biogas", "gas", "in"),
                Port("power", "electricity", "out", required=False, serves=("ev", "export")),
                Port(
                    "heat",
                    "heat",
                    "out",
                    required=False,
                    serves=("process", "space_heating", "dhw"),
                ),
            ),
            {
                "store": (chp_unit.BiogasStoreParams, {"capacity_Nm3"}),
                "chp": (chp_unit.CHPParams, {"capacity_kWe"}),
            },
            _run_chp,
            sizes={
                "capacity_kWe": ("chp", "capacity_kWe"),
                "capacity_Nm3": ("store", "capacity_Nm3"),
            },
        ),
        "struvite_reactor": _single(
            "struvite_reactor",
            "struvite (MgNH4PO4.6H2O) precipitation from digester effluent with MgCl2 and NaOH",
            (_WATER_IN, _WATER_OUT),
            sv.StruviteReactorParams,
            _run_struvite,
            required={"V_m3"},
            sizes=("V_m3",),
        ),
    }


UNIT_TYPES: dict[str, UnitType] = _unit_types()

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
    "ev_charging": {"in": Port("in", "electricity", "in", required=False)},
    "grid": {
        "in": Port("in", "electricity", "in", required=False),
        "out": Port("out", "electricity", "out", required=False),
    },
}
