"""Run a district over a year of hourly steps.

``simulate(district)`` runs every source, then every unit in network order,
then every sink, each with the ``run`` of its type (:mod:`nexus.registry`),
and returns one :class:`xarray.Dataset` (:mod:`nexus.results`) holding every
flow of the district with CF ``units`` and ``long_name`` attributes.

Heat and electricity are dispatched by demand: a sink that takes a demand
category asks for the demand of the sources it serves; a unit's outlet is
told the demand still open at the inlets it feeds, in the categories it
serves, and takes from it what it supplies, connection by connection in the
file's order; what no supplier gives is reported as unmet (sinks) or backup
heat (units). A unit inlet that holds heat over a period (``Port.within_h``,
a digester's thermal mass over a day) is balanced over the period: a
supplier's heat of any hour of it counts towards the period's demand, the
backup it needs is spread over the period in proportion to the hourly
demand, and the difference between heat received and the hourly demand is
the unit's ``heat_accumulation_kW``. Such an inlet is offered, in every hour,
what its period still needs; a supplier that gives more over the period than
its links take is run once more on what they took, hour by hour, so that it
supplies exactly that and counts the rest as lost (its balance closes).

Methane goes downstream: each gas inlet, of a unit or a sink, receives the
methane of the links that reach it.
"""

from __future__ import annotations

import dataclasses
import os
from collections import defaultdict
from typing import TYPE_CHECKING, NamedTuple, cast

import numpy as np

from nexus import costs
from nexus.components import ELEMENTS, element_matrix
from nexus.errors import DistrictError, NexusError, ParameterError
from nexus.registry import CATEGORIES, NodeInputs, NodeResult
from nexus.results import ELEMENT_TERMS, NODE_TERMS
from nexus.streams import Stream, mix

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd
    import xarray as xr

    from nexus._typing import FloatArray, Floats
    from nexus.district import Connection, District, Node

    #: Open demand [kW] by category, at each (node, inlet).
    Ledger = dict[tuple[str, str], dict[str, FloatArray]]

__all__ = [
    "BALANCE_TOL",
    "NetworkRun",
    "check_balance_closure",
    "preflight",
    "run_network",
    "simulate",
]


#: Largest relative hourly imbalance the debug-mode balance check accepts (the suite holds
#: every balance to it).
BALANCE_TOL = 1e-9

#: The environment variable that turns the balance check on for every simulation
#: (``NEXUS_DEBUG=1``).
DEBUG_ENV = "NEXUS_DEBUG"


def debug_mode() -> bool:
    """Whether ``NEXUS_DEBUG`` asks for the checks of debug mode (``1``, ``true``, ``yes``,
    ``on``, in any case)."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def simulate(district: District, *, check_balances: bool | None = None) -> xr.Dataset:
    """Simulate a district over one year of hourly steps.

    Parameters
    ----------
    district : District
        From :func:`nexus.load_district`.
    check_balances : bool, optional
        Debug mode: compute every balance of :func:`nexus.balances` after the run and
        raise :class:`nexus.BalanceError` on the first that does not close to
        ``BALANCE_TOL`` (relative), naming the quantity, the node and the hour. Default:
        on where the environment sets ``NEXUS_DEBUG=1``, else off (it adds about a
        tenth to a run).

    Returns
    -------
    xarray.Dataset
        Dimensions ``time`` (8760 hourly steps), ``stream`` (water
        connections), ``heat_link``, ``power_link``, ``gas_link``, ``node``,
        ``component`` and ``element``. Variables: ``flow_m3_h``, ``T_C``,
        ``load_kg_h`` per stream; ``heat_kW``, ``electricity_kW``,
        ``methane_Nm3_h`` per link; the weather; each declared output of the
        nodes (over ``node``, NaN for nodes without it) and their balance
        terms (see :mod:`nexus.results`). Every variable has ``units`` and
        ``long_name``.

    Raises
    ------
    nexus.DistrictError
        The weather file named by the district is invalid, or a node cannot
        run on what it receives (the message names it).
    The Dataset also carries ``cost_per_yr`` (node, cost_item) and, with
    ``[emissions]``, ``co2_kg_per_yr`` (node, co2_item): :mod:`nexus.costs`.
    """
    _check_district(district, "simulate")
    if check_balances is not None and not isinstance(check_balances, bool):
        raise ParameterError(
            f"simulate: check_balances is a {type(check_balances).__name__}; expected True, "
            "False or None (None: on where NEXUS_DEBUG=1)"
        )
    ds = run_network(district).ds
    if debug_mode() if check_balances is None else check_balances:
        check_balance_closure(ds, file=district.file)
    return ds


def check_balance_closure(ds: xr.Dataset, *, file: str | None = None) -> None:
    """Raise :class:`nexus.BalanceError` on the first hour a balance does not close.

    The first hour any balance is off by more than ``BALANCE_TOL`` (relative) or is not a
    number; at that hour, the first unit (then the district) and quantity that is.
    """
    from nexus.balance import balances
    from nexus.errors import BalanceError

    first: tuple[int, str, str, float] | None = None
    for node, quantities in balances(ds).items():
        for quantity, imbalance in quantities.items():
            bad = ~(np.abs(imbalance) <= BALANCE_TOL)  # NaN is bad
            if bad.any():
                t = int(np.argmax(bad))
                if first is None or t < first[0]:
                    first = (t, str(node), str(quantity), float(imbalance[t]))
    if first is None:
        return
    t, node, quantity, value = first
    hour = str(ds["time"].to_numpy()[t])[:16]
    where = "the district as a whole" if node == "district" else f"unit {node!r}"
    raise BalanceError(
        f"{file + ': ' if file else ''}the {quantity} balance of {where} does not close at "
        f"{hour}: relative imbalance {value:.3g} (accepted: {BALANCE_TOL:g}); nexus promises "
        "balances that close every hour, so this is a defect of nexus (or of a plug-in unit "
        "type): please report it with the district file",
        quantity=quantity,
        node=node,
        hour=hour,
        imbalance=value,
    )


def _check_district(district: object, function: str) -> None:
    """Raise a ParameterError naming the argument unless it is a District."""
    from nexus.district import District

    if not isinstance(district, District):
        hint = (
            " (load it first: nexus.load_district(path))"
            if isinstance(district, str | os.PathLike)
            else ""
        )
        raise ParameterError(
            f"{function}: district is a {type(district).__name__}; expected a District from "
            f"nexus.load_district{hint}"
        )


def preflight(district: District) -> pd.DataFrame:
    """What can be checked of a district's units before they run, in about a second.

    The sources are run (as :func:`simulate` runs them); each unit whose water inlets
    are all fed straight by sources is checked on that water by its type's
    :meth:`~nexus.registry.NodeType.check_feed` at the file's sizes and, where
    ``[optimize.design]`` lets the optimizer choose a size, at the smallest size it
    offers. ``nexus validate`` calls it, so that it accepts no file that ``run`` or
    ``optimize`` then refuses for a reason it could have seen (a digester too small for
    its feed).

    Returns
    -------
    pandas.DataFrame
        The hourly weather the district is run on (as :func:`simulate` reads it).

    Raises
    ------
    nexus.DistrictError
        Naming the unit (``units.<name>``) or the design entry
        (``optimize.design.<name>.<size>``) and what it needs.
    """
    weather, base = _weather_inputs(district)
    n = len(weather)
    outlets: dict[tuple[str, str], Stream] = {}
    for name, node in district.sources.items():
        inputs = dataclasses.replace(base, seed=district.info.seed + _stable_offset(name))
        result = _run_node(district, name, node, inputs)
        outlets.update({(name, port): s for port, s in result.outlets.items()})
    for name, node in district.units.items():
        inlets = {}
        for port in node.type.ports:
            if port.kind != "water" or port.direction != "in":
                continue
            feeders = [c for c in district.connections if (c.dst, c.dst_port) == (name, port.name)]
            if any((c.src, c.src_port) not in outlets for c in feeders):
                break
            inlets[port.name] = mix([outlets[(c.src, c.src_port)] for c in feeders], n)
        else:
            if not inlets:
                continue
            inputs = dataclasses.replace(base, inlets=inlets)
            try:
                node.type.check_feed(node.params, inputs)
            except NexusError as exc:
                raise DistrictError(str(exc), file=district.file, key=f"units.{name}") from None
            for size in node.type.sizes:
                bound = district.optimize.design.get(name, {}).get(size.name)
                if bound is None:
                    continue
                smallest = bound.smallest
                params = node.type.with_values(node.params, {size.key: smallest})
                try:
                    node.type.check_feed(params, inputs)
                except NexusError as exc:
                    raise DistrictError(
                        f"the optimizer may choose {size.name} = {smallest:.4g}, the smallest it "
                        f"offers, where the unit cannot run: {exc}",
                        file=district.file,
                        key=f"optimize.design.{name}.{size.name}",
                    ) from None
    return weather


class NetworkRun(NamedTuple):
    """A simulated district with what each node received and returned (:func:`run_network`)."""

    ds: xr.Dataset  #: as :func:`simulate` returns it
    received: dict[str, NodeInputs]  #: the inputs each node was run with, by node
    results: dict[str, NodeResult]  #: what each node returned, by node
    outlets: dict[tuple[str, str], Stream]  #: every water outlet's stream, by (node, port)


def run_islands(district: District) -> NetworkRun:
    """:func:`run_network`, one island of the district at a time (:mod:`nexus.islands`).

    A city of neighbourhoods that share only the grid and the sewer is simulated one
    neighbourhood at a time, and only what each non-passive node received and returned is
    kept: the same inputs and results as :func:`run_network` gives them, without the
    whole district's result Dataset (fifty neighbourhoods: 4.7 GB, benchmarks/RESULTS.md).

    Returns
    -------
    NetworkRun
        ``received``, ``results`` and ``outlets`` of every node that is not passive
        (``passive`` types of :class:`nexus.registry.NodeType`: the grid, the sewer); ``ds`` holds
        only the ``time`` coordinate.
    """
    from nexus._xarray import xr
    from nexus.islands import island_parts

    received: dict[str, NodeInputs] = {}
    results: dict[str, NodeResult] = {}
    outlets: dict[tuple[str, str], Stream] = {}
    for part in island_parts(district):
        run = run_network(part)
        own = {name for name, node in part.nodes.items() if not node.type.passive}
        received.update({k: v for k, v in run.received.items() if k in own})
        results.update({k: v for k, v in run.results.items() if k in own})
        outlets.update({k: v for k, v in run.outlets.items() if k[0] in own})
        time = run.ds["time"]
        del run  # the island's Dataset, freed before the next island
    return NetworkRun(xr.Dataset(coords={"time": time}), received, results, outlets)


def run_network(
    district: District, *, received_kW: dict[str, dict[str, FloatArray]] | None = None
) -> NetworkRun:
    """Simulate a district and keep what each node received and returned.

    A unit inlet of a category that only its connections meet
    (:attr:`nexus.registry.Category.links_only`: a heat pump's low-temperature
    source) asks before its suppliers run, so it may ask for more than they
    can give. Where they leave it short, the network is run once more with
    what they gave (``NodeInputs.received_kW``), within which the unit then
    runs; what is still short is reported as the unit's backup heat.

    Parameters
    ----------
    district : District
        From :func:`nexus.load_district`.
    received_kW : dict, optional
        The second run: by unit and links-only inlet, what the first run's
        suppliers gave [kW].

    Returns
    -------
    NetworkRun
        The optimizer samples unit models on these inputs.
    """
    weather, base = _weather_inputs(district)
    n = len(weather)
    incoming: dict[tuple[str, str], list[Connection]] = defaultdict(list)
    outgoing: dict[tuple[str, str], list[Connection]] = defaultdict(list)
    for c in district.connections:
        incoming[(c.dst, c.dst_port)].append(c)
        outgoing[(c.src, c.src_port)].append(c)
    results: dict[str, NodeResult] = {}
    received: dict[str, NodeInputs] = {}
    outlets: dict[tuple[str, str], Stream] = {}
    link: dict[Connection, FloatArray] = {}  # power [kW] or methane [Nm3/h] on each link
    losses = district.transport_losses
    lost: dict[str, list[Stream]] = defaultdict(list)  # water lost on the way to each node

    def arriving(name: str, c: Connection) -> Stream:
        """What reaches ``name`` through ``c``: the outlet's water less the route's loss."""
        sent = outlets[(c.src, c.src_port)]
        share = losses.get((c.src, c.src_port), 0.0)
        if not share:
            return sent
        lost[name].append(sent.scaled(share))
        return sent.scaled(1.0 - share)

    def water_in(name: str, node: Node) -> dict[str, Stream]:
        return {
            p.name: mix([arriving(name, c) for c in incoming[(name, p.name)]], n)
            for p in node.type.ports
            if p.kind == "water" and p.direction == "in"
        }

    def gas_in(name: str, node: Node) -> dict[str, FloatArray]:
        return {
            p.name: sum((link[c] for c in incoming[(name, p.name)]), np.zeros(n))
            for p in node.type.ports
            if p.kind == "gas" and p.direction == "in"
        }

    def serve(name: str, node: Node, result: NodeResult) -> dict[str, FloatArray]:
        """Give each outlet's supply to its links in the file's order; what each took."""
        taken = {}
        for port, amount in result.supply_kW.items():
            left = np.asarray(amount, dtype=float)
            for c in outgoing[(name, port)]:
                link[c] = _take(ledger, c, node.type.port(port).serves, left, _within(district, c))
                left = left - link[c]
            taken[port] = np.asarray(amount, dtype=float) - left
        return taken

    connected: dict[str, set[str]] = defaultdict(set)
    for c in district.connections:
        connected[c.src].add(c.src_port)
        connected[c.dst].add(c.dst_port)

    def run(name: str, node: Node, inputs: NodeInputs) -> NodeResult:
        inputs = dataclasses.replace(inputs, connected=frozenset(connected[name]))
        received[name] = inputs
        result = _run_node(district, name, node, inputs)
        results[name] = _checked(result, node, n, district)
        outlets.update({(name, port): s for port, s in result.outlets.items()})
        return result

    for name, node in district.sources.items():
        run(name, node, dataclasses.replace(base, seed=district.info.seed + _stable_offset(name)))
    ledger = _sink_demands(district, results, n)
    asked = {key: {c: v.copy() for c, v in cats.items()} for key, cats in ledger.items()}
    unit_demand: dict[tuple[str, str], FloatArray] = {}
    for name in (x for x in district.order if x in district.units):
        node = district.units[name]
        ports = node.type.ports
        inputs = dataclasses.replace(
            base,
            inlets=water_in(name, node),
            gas_Nm3_h=gas_in(name, node),
            received_kW=(received_kW or {}).get(name, {}),
            open_demand_kW={
                p.name: sum(
                    (
                        _open(ledger, c, p.serves, n, _within(district, c))
                        for c in outgoing[(name, p.name)]
                    ),
                    np.zeros(n),
                )
                for p in ports
                if p.kind in ("heat", "electricity") and p.direction == "out"
            },
        )
        result = run(name, node, inputs)
        before = {key: dict(ledger[key]) for key in ledger}
        taken = serve(name, node, result)
        if any(_untaken(result.supply_kW[port], got) for port, got in taken.items()):
            # An inlet that holds heat over a period was offered, in each hour, what its
            # period still needs; the supplier gave more in all than the period took.
            # Run the supplier again on what its links did take, hour by hour: it then
            # supplies exactly that, and dumps (or does not make) the rest.
            ledger.update(before)
            open_kW = {p: taken.get(p, np.zeros(n)) for p in inputs.open_demand_kW}
            result = run(name, node, dataclasses.replace(inputs, open_demand_kW=open_kW))
            taken = serve(name, node, result)
        for port, demand_kW in result.demand_kW.items():
            (category,) = node.type.port(port).takes
            ledger[(name, port)] = {category: np.asarray(demand_kW, dtype=float).copy()}
            unit_demand[(name, port)] = np.asarray(demand_kW, dtype=float)
        for port, drawn in result.draw_kW.items():
            for c in incoming[(name, port)]:  # one supplier (checked on loading)
                link[c] = np.asarray(drawn, dtype=float)
        for port, methane in result.gas_Nm3_h.items():
            for c in outgoing[(name, port)]:
                link[c] = np.asarray(methane, dtype=float)
    # what suppliers gave each links-only inlet; short of its demand: run again within it
    gave: dict[str, dict[str, FloatArray]] = defaultdict(dict)
    short = False
    for (name, port), needed in unit_demand.items():
        (category,) = district.units[name].type.port(port).takes
        if CATEGORIES[category].links_only:
            got = sum((link.get(c, np.zeros(n)) for c in incoming[(name, port)]), np.zeros(n))
            gave[name][port] = got
            short = short or _untaken(needed, got)
    if short and received_kW is None:
        return run_network(district, received_kW=dict(gave))
    backup: dict[str, FloatArray] = defaultdict(lambda: np.zeros(n))
    held: dict[str, FloatArray] = defaultdict(lambda: np.zeros(n))
    for (name, port), needed in unit_demand.items():
        got = sum((link.get(c, np.zeros(n)) for c in incoming[(name, port)]), np.zeros(n))
        within_h = district.units[name].type.port(port).within_h
        bought = _backup_within(needed, got, within_h) if within_h else needed - got
        backup[name] = backup[name] + bought
        held[name] = held[name] + got + bought - needed
    for c in district.connections:  # links nothing flowed on (a supplier with no output)
        link.setdefault(c, np.zeros(n))
    for name, node in district.sinks.items():
        demand = {p: cats for (s, p), cats in asked.items() if s == name}
        unmet = {p: cats for (s, p), cats in ledger.items() if s == name}
        inputs = dataclasses.replace(
            base,
            inlets=water_in(name, node),
            gas_Nm3_h=gas_in(name, node),
            demand_kW=demand,
            unmet_kW=unmet,
        )
        run(name, node, inputs)
    ds = _check_finite(
        _dataset(district, weather, outlets, link, results, dict(backup), dict(held), dict(lost)),
        district,
        results,
    )
    ds = ds.assign(costs.dataset_variables(district, ds))
    return NetworkRun(ds, received, results, outlets)


def _weather_inputs(district: District) -> tuple[pd.DataFrame, NodeInputs]:
    """The district's hourly weather, and a node's inputs with it and no streams yet."""
    from nexus.weather import load_weather

    weather = load_weather(district.weather_file, year=district.stated_year)
    return weather, NodeInputs(
        inlets={},
        gas_Nm3_h={},
        open_demand_kW={},
        T_mains_C=weather["T_mains_C"].to_numpy(),
        T_out_C=weather["T_out_C"].to_numpy(),
        time=cast("pd.DatetimeIndex", weather.index),
    )


def _run_node(district: District, name: str, node: Node, inputs: NodeInputs) -> NodeResult:
    """A node's run; nexus's errors in it named by the node's key in the file."""
    try:
        return node.type.run(node.params, inputs)
    except NexusError as exc:
        raise DistrictError(str(exc), file=district.file, key=f"{node.section}.{name}") from None


def _checked(result: NodeResult, node: Node, n: int, district: District) -> NodeResult:
    """A node's result with its outputs as the declared ones, each ``n`` finite-or-NaN floats.

    Raises
    ------
    nexus.NexusError
        The type returned an output it did not declare, left one out, or gave
        one of the wrong length: a fault of the type, named.
    """
    declared = {o.name: o for o in node.type.outputs}
    missing = [k for k, o in declared.items() if not o.optional and k not in result.outputs]
    extra = [k for k in result.outputs if k not in declared]
    if missing or extra:
        raise NexusError(
            f"{district.file}: node type {node.type.name!r} of {node.name!r} returned outputs "
            f"that differ from its declaration (missing: {missing or 'none'}, undeclared: "
            f"{extra or 'none'}); expected exactly its declared outputs"
        )
    for key, value in result.outputs.items():
        array = np.broadcast_to(np.asarray(value, dtype=float), (n,))
        result.outputs[key] = array
    return result


def _sink_demands(district: District, results: dict[str, NodeResult], n: int) -> Ledger:
    """Open demand of each sink inlet that takes a category [kW].

    A sink serves its sources' demand in the categories its inlet takes (as its
    type's ``inlet_demand_kW`` asks for it: with a heat network's distribution
    losses); an unlimited category (grid export) takes any amount (infinite demand).
    """
    ledger: Ledger = {}
    for name, node in district.sinks.items():
        served = list(district.sources) if node.serves is None else node.serves
        for port in node.type.ports:
            if port.direction != "in" or not port.takes:
                continue
            ledger[(name, port.name)] = {
                c: np.full(n, np.inf)
                if CATEGORIES[c].unlimited
                else node.type.inlet_demand_kW(
                    node.params,
                    sum(
                        (results[s].source_demand_kW.get(c, np.zeros(n)) for s in served),
                        np.zeros(n),
                    ),
                )
                for c in port.takes
            }
    return ledger


def _stable_offset(name: str) -> int:
    """A seed offset per source name that does not change between runs."""
    return sum(ord(ch) * (i + 1) for i, ch in enumerate(name))


def _untaken(supplied_kW: Floats, taken_kW: FloatArray) -> bool:
    """Whether the links of an outlet took less than it supplied (beyond round-off)."""
    supplied = np.asarray(supplied_kW, dtype=float)
    return bool(np.any(supplied - taken_kW > 1e-12 * np.maximum(np.abs(supplied), 1.0)))


def _within(district: District, c: Connection) -> int:
    """The period [h] over which the inlet of ``c`` holds heat (0: hour by hour)."""
    return district.nodes[c.dst].type.port(c.dst_port).within_h


def _per_period(x: FloatArray, within_h: int) -> FloatArray:
    """Hourly values summed over each period of ``within_h`` hours, repeated over its hours."""
    return np.repeat(x.reshape(-1, within_h).sum(axis=1), within_h)


def _open(
    ledger: Ledger, c: Connection, serves: tuple[str, ...], n: int, within_h: int = 0
) -> FloatArray:
    """Open demand at the inlet of connection ``c`` in the categories ``serves`` (all if
    empty) [kW]; an inlet that holds heat over periods may take, in any hour, what its
    period still needs."""
    categories = ledger.get((c.dst, c.dst_port), {})
    wanted = serves or tuple(categories)
    open_kW = sum((categories[cat] for cat in wanted if cat in categories), np.zeros(n))
    return np.maximum(_per_period(open_kW, within_h), 0.0) if within_h else open_kW


def _take(
    ledger: Ledger,
    c: Connection,
    serves: tuple[str, ...],
    amount_kW: Floats,
    within_h: int = 0,
) -> FloatArray:
    """Serve the inlet of ``c`` from ``amount_kW``, category by category; return what it took.

    An inlet that holds heat over periods takes the supply hour by hour until its
    period's demand is met (cumulative within the period): its open demand may go
    negative in an hour (heat held for later hours), never over a period.
    """
    categories = ledger.get((c.dst, c.dst_port), {})
    left = np.asarray(amount_kW, dtype=float)
    taken_total = np.zeros_like(left)
    for category in serves or tuple(categories):
        if category in categories:
            open_kW = categories[category]
            if within_h:
                need = np.maximum(open_kW.reshape(-1, within_h).sum(axis=1), 0.0)
                got = np.minimum(np.cumsum(left.reshape(-1, within_h), axis=1), need[:, None])
                taken = np.diff(got, axis=1, prepend=0.0).ravel()
            else:
                taken = np.minimum(open_kW, left)
            categories[category] = open_kW - taken
            left = left - taken
            taken_total = taken_total + taken
    return taken_total


def _backup_within(needed_kW: FloatArray, got_kW: FloatArray, within_h: int) -> FloatArray:
    """Backup heat of an inlet balanced over periods: what each period's suppliers left
    short, spread in proportion to the hourly demand [kW]."""
    need = _per_period(needed_kW, within_h)
    short = np.maximum(need - _per_period(got_kW, within_h), 0.0)
    return needed_kW * np.divide(short, need, out=np.zeros_like(need), where=need > 0)


def _dataset(
    district: District,
    weather: pd.DataFrame,
    outlets: dict[tuple[str, str], Stream],
    link: dict[Connection, FloatArray],
    results: dict[str, NodeResult],
    backup: dict[str, FloatArray],
    held: dict[str, FloatArray],
    lost: dict[str, list[Stream]],
) -> xr.Dataset:
    from nexus.components import COMPONENTS, N_COMPONENTS
    from nexus.results import dataset, link_coords, link_variables, node_variables

    n = len(weather)
    water = [c for c in district.connections if c.kind == "water"]
    streams = [outlets[(c.src, c.src_port)] for c in water]

    def per_stream(values: list[FloatArray], tail: tuple[int, ...] = ()) -> FloatArray:
        return np.stack(values, axis=1) if values else np.zeros((n, 0, *tail))

    from nexus._xarray import xr

    table = {  # name: (dims, values, units, long_name)
        "flow_m3_h": (
            ("time", "stream"),
            per_stream([s.flow_m3_h for s in streams]),
            "m3 h-1",
            "volumetric flow",
        ),
        "T_C": (
            ("time", "stream"),
            per_stream([s.T_C for s in streams]),
            "degC",
            "water temperature",
        ),
        "load_kg_h": (
            ("time", "stream", "component"),
            per_stream([s.loads_kg_h for s in streams], (N_COMPONENTS,)),
            "kg h-1",
            "component load",
        ),
        "T_out_C": (("time",), weather["T_out_C"].to_numpy(), "degC", "outdoor air temperature"),
        "T_mains_C": (
            ("time",),
            weather["T_mains_C"].to_numpy(),
            "degC",
            "cold drinking-water temperature",
        ),
    }
    variables = {
        name: xr.Variable(dims, values, {"units": units, "long_name": long_name})
        for name, (dims, values, units, long_name) in table.items()
    }
    coords = {
        "time": weather.index.to_numpy(),
        "component": [c.name for c in COMPONENTS],
        **link_coords(district, "stream", water),
    }
    link_c, link_v = link_variables(district, link, ("time",), (n,))
    outputs: dict[str, dict[str, Floats]] = defaultdict(dict)
    for name, r in results.items():
        for key, value in r.outputs.items():
            outputs[key][name] = value
    terms = _balance_terms(results, backup, held, lost, n)
    node_c, node_v = node_variables(district, dict(outputs), ("time",), (n,), terms=terms)
    ds = dataset(
        district,
        {**variables, **link_v, **node_v},
        {**coords, **link_c, **node_c},
        title=f"nexus simulation of {district.name}",
        solver_status="not applicable (simulation)",
    )
    ds["component"].attrs["long_name"] = "stream component"
    ds["time"].attrs["long_name"] = "start of the hourly step"
    return ds


def _balance_terms(
    results: dict[str, NodeResult],
    backup: dict[str, FloatArray],
    held: dict[str, FloatArray],
    lost: dict[str, list[Stream]],
    n: int,
) -> dict[str, dict[str, FloatArray]]:
    """The balance terms of every node, by term and node (elements on the last axis);
    ``held``: heat a unit holds from what it received for a later hour of the period
    [kW]; ``lost``: the water lost on the way to a node (route losses)."""

    def series(x: Floats) -> FloatArray:
        return np.broadcast_to(np.asarray(x, dtype=float), (n,))

    def by_element(d: Mapping[str, Floats]) -> FloatArray:
        return np.stack([series(d.get(e, 0.0)) for e in ELEMENTS], axis=-1)

    terms: dict[str, dict[str, FloatArray]] = defaultdict(dict)
    for name, r in results.items():
        terms["fuel_kW"][name] = series(r.fuel_kW)
        terms["heat_backup_kW"][name] = series(backup.get(name, 0.0))
        terms["heat_loss_kW"][name] = series(r.heat_loss_kW)
        terms["water_lost_m3_h"][name] = series(r.water_lost_m3_h)
        terms["heat_accumulation_kW"][name] = series(r.heat_accumulation_kW) + held.get(name, 0.0)
        terms["heat_held_kWh"][name] = series(r.heat_held_kWh)
        terms["removed_kg_h"][name] = by_element(r.removed_kg_h)
        terms["dosed_kg_h"][name] = by_element(r.dosed_kg_h)
        terms["accumulation_kg_h"][name] = by_element(r.accumulation_kg_h)
        gone = mix(lost.get(name, []), n)
        terms["transport_lost_m3_h"][name] = gone.flow_m3_h
        terms["transport_lost_kW"][name] = gone.heat_kW
        terms["transport_lost_kg_h"][name] = gone.loads_kg_h @ element_matrix().T
    return dict(terms)


def _check_finite(ds: xr.Dataset, district: District, results: dict[str, NodeResult]) -> xr.Dataset:
    """Refuse to hand out NaN or infinity where a value is defined: name the first variable
    and hour that has one (NaN marks only outputs a node does not have)."""
    given = {(key, name) for name, r in results.items() for key in r.outputs}
    nodes = list(ds["node"].values)
    for name, var in ds.data_vars.items():
        values = var.to_numpy()
        if "node" in var.dims and name not in NODE_TERMS and name not in ELEMENT_TERMS:
            axis = var.dims.index("node")
            keep = [i for i, node in enumerate(nodes) if (name, node) in given]
            values = np.take(values, keep, axis=axis)
        bad = ~np.isfinite(values)
        if bad.any():
            where = np.argwhere(bad)[0]
            hour = str(ds["time"].to_numpy()[where[0]])[:16]
            raise NexusError(
                f"{district.file}: the simulation produced a non-finite value in {name!r} at "
                f"{hour} ({bad.sum()} values in all); please report this with the district file"
            )
    return ds
