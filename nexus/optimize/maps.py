"""Performance maps of the unit models, sampled for the optimizer.

The optimizer never carries a second copy of the physics. The district is
simulated once with the file's sizes; then each node whose type samples
(:meth:`nexus.registry.NodeType.sample`) runs its own model over the year in
a few *columns*: one per combination of the sizes it may choose that its
type marks ``sampled`` (0, then evenly in log scale up to the largest size
allowed) and of the feeds routes may bring it. The linear program mixes the
columns (weights ``lam``): a size between two samples performs as the
interpolation of their hourly results. Between samples the interpolation is
checked against runs of the unit model at the midpoints, and the largest gap
of each series is reported as the fitting error of the map.

A unit whose water comes from a sampled unit reads that water per column
(:meth:`SampleContext.upstream`), so that, for instance, the phosphorus a
struvite reactor can harvest follows the digester's volume.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from nexus.errors import DistrictError, ParameterError
from nexus.registry import NodeInputs
from nexus.streams import Stream, mix

if TYPE_CHECKING:
    from collections.abc import Callable

    from distributed import Client
    from numpy.typing import NDArray

    from nexus._typing import BoolArray, FloatArray
    from nexus.district import District, Node
    from nexus.simulation import NetworkRun

log = logging.getLogger(__name__)

#: Fitting error of a map above which the optimizer warns (relative gap at the midpoints).
FIT_WARNING = 0.05

__all__ = ["Column", "Maps", "NodeMap", "SampleContext", "prepare_maps", "sample_maps"]


@dataclass(frozen=True)
class Column:
    """One run of a unit model for its map.

    Attributes
    ----------
    sizes : dict of str to float
        Value of each sampled size, by parameter path (``"reactor.V_liq_m3"``).
    params : Any
        The unit's parameters at those sizes.
    inputs : NodeInputs
        What the unit receives in this run (its routed inlet fed as the routes
        of ``routes`` say).
    routes : frozenset of int
        Routes (indices into ``[[optimize.routes]]``) whose water this run receives.
    """

    sizes: dict[str, float]
    params: Any
    inputs: NodeInputs
    routes: frozenset[int] = frozenset()


@dataclass
class NodeMap:
    """A node's sampled performance.

    Attributes
    ----------
    sizes : dict of str to numpy.ndarray
        Per sampled size (parameter path), its value in each column.
    routes : numpy.ndarray of bool, shape (routes, columns)
        Whether each column receives each route's water.
    series : dict of str to numpy.ndarray
        What the type's ``sample`` returned: (columns, time) or (time,).
    outlets : dict of str to list of Stream
        Water of each outlet in each column (full year), for units downstream;
        emptied once they are all sampled (they are read only while sampling).
    upstream : dict of str to str
        Inlet -> the unit whose columns its water follows.
    notes : dict of str to float
        Fitting errors (``<series>``: largest relative gap at the midpoints)
        and the type's own notes.
    """

    sizes: dict[str, FloatArray]
    routes: BoolArray
    series: dict[str, FloatArray] = field(default_factory=dict)
    outlets: dict[str, list[Stream]] = field(default_factory=dict)
    upstream: dict[str, str] = field(default_factory=dict)
    notes: dict[str, float] = field(default_factory=dict)

    @property
    def n_columns(self) -> int:
        """Number of columns (runs) of the map."""
        return int(self.routes.shape[1])


@dataclass
class Maps:
    """Sampled unit performance and hourly series of a district, for the optimizer.

    Attributes
    ----------
    nodes : dict of str to NodeMap
        By node, the nodes whose types sample.
    route_flow_m3_h : list of numpy.ndarray
        Hourly flow of each route's outlet.
    weights : numpy.ndarray
        Hours each time step stands for (1 for a full year of hours).
    period_hours : int
        Length of the periods storage is cyclic over (8760 for a full year).
    aggregation_error : dict of str to float
        For representative periods: RMSE of each series against the full
        year, relative to its mean (empty for a full year).
    hours : numpy.ndarray or None
        The hour of the calendar year each time step stands for (``datetime64``): the
        hours of the year, or for a representative day the hours of the real day it
        is (its medoid); None where not known.
    """

    nodes: dict[str, NodeMap]
    route_flow_m3_h: list[FloatArray]
    weights: FloatArray
    period_hours: int
    aggregation_error: dict[str, float] = field(default_factory=dict)
    hours: NDArray[np.datetime64] | None = None

    @property
    def n_time(self) -> int:
        """Number of time steps."""
        return int(self.weights.size)

    @property
    def fit_error(self) -> dict[str, float]:
        """Fitting errors and notes of every map, ``"<node>.<name>"``."""
        return {f"{n}.{k}": v for n, m in self.nodes.items() for k, v in m.notes.items()}


class SampleContext:
    """What a node type's :meth:`~nexus.registry.NodeType.sample` sees.

    Attributes
    ----------
    district : District
    name : str
        The node.
    params : Any
        Its parameters, as in the file.
    inputs : NodeInputs
        What it received in the simulation with the file's sizes.
    outputs : dict of str to numpy.ndarray
        Its declared outputs in that simulation.
    """

    def __init__(
        self,
        district: District,
        name: str,
        run: NetworkRun,
        maps: dict[str, NodeMap],
        varying: set[str],
    ) -> None:
        self.district = district
        self.name = name
        self.node: Node = district.nodes[name]
        self.params = self.node.params
        self.inputs = run.received[name]
        # arrays: the simulation made every output one (nexus.simulation._checked)
        self.outputs = cast("dict[str, FloatArray]", run.results[name].outputs)
        self._maps = maps
        self._varying = varying
        self._map: NodeMap | None = None  # set while sampling the map's own columns
        self._read: set[str] = set()
        #: What a type may keep between its ``sample`` calls for this node (the columns,
        #: then the midpoints that check the map): e.g. states that warm-start the next run.
        self.warm: dict[str, Any] = {}

    def upstream(self, port: str) -> list[Stream]:
        """The water reaching a water inlet, one stream per column of the unit it follows.

        Where the water does not change with any choice of the optimizer, one
        stream: what the simulation gave.

        Raises
        ------
        nexus.DistrictError
            The water changes with a choice the optimizer makes but does not
            come straight from one sampled unit's outlet.
        """
        self._read.add(port)
        feeders = [c for c in self.district.connections if (c.dst, c.dst_port) == (self.name, port)]
        varying = [c for c in feeders if c.src in self._varying]
        if not varying:
            return [self.inputs.inlets[port]]
        (c,) = varying
        source = self._maps.get(c.src)
        if len(feeders) == 1 and source is not None and c.src_port in source.outlets:
            if self._map is not None:
                self._map.upstream[port] = _owner(c.src, source, self._maps, c.src_port)
            return source.outlets[c.src_port]
        raise DistrictError(
            f"the optimizer cannot follow the water reaching {self.name}.{port}: it changes "
            f"with the optimizer's choices for {c.src!r} but "
            + ("is mixed with other water" if len(feeders) > 1 else "its type keeps no samples")
            + "; expected it to come straight from one sampled unit's outlet",
            file=self.district.file,
            key=f"units.{self.name}",
        )

    def keep_outlets(self, port: str, streams: list[Stream]) -> None:
        """Keep the water of an outlet in each column, for the units downstream."""
        if self._map is not None:
            self._map.outlets[port] = streams

    def note(self, name: str, value: float) -> None:
        """Record a number about the map (reported with the fitting errors)."""
        if self._map is not None:
            self._map.notes[name] = float(value)


def _owner(name: str, source: NodeMap, maps: dict[str, NodeMap], port: str) -> str:
    """The unit whose weights mix the water of ``name``'s outlet ``port``: ``name``
    itself, or, for a unit of one column that keeps one outlet stream per column of the
    unit upstream of it (a struvite reactor after a digester), that unit."""
    owners = set(source.upstream.values())
    if source.n_columns == 1 and len(owners) == 1:
        (up,) = owners
        if up in maps and len(source.outlets[port]) == maps[up].n_columns:
            return up
    return name


class _Sampled:
    """Lets go of what only the nodes still to be sampled need, as each is sampled.

    The simulation with the file's sizes holds every node's inputs and results, and each
    water outlet's stream; a map holds its water in each column (``NodeMap.outlets``: a
    digester's effluent, tens of MB). A node's inputs and results serve its own map only;
    a stream and a map's water serve the nodes they feed. At fifty neighbourhoods they
    held about 3 GB until the end of the sampling (benchmarks/RESULTS.md, city section).
    The water of a routed outlet is kept: the maps report its flow.
    """

    def __init__(self, district: District, order: tuple[str, ...], run: NetworkRun) -> None:
        sampled = set(order)
        self.run = run
        self.readers: dict[tuple[str, str], set[str]] = {}  # outlet -> nodes it feeds
        self.ends: dict[str, set[tuple[str, str]]] = {n: set() for n in order}
        for c in district.connections:
            if c.kind != "water" or c.src not in sampled:
                continue
            outlet = (c.src, c.src_port)
            self.readers.setdefault(outlet, set())
            self.ends[c.src].add(outlet)
            if c.dst in sampled:
                self.readers[outlet].add(c.dst)
                self.ends[c.dst].add(outlet)
        self.kept = {_port(route.outlet) for route in district.optimize.routes}
        self.done: set[str] = set()

    def __call__(self, name: str, maps: dict[str, NodeMap]) -> None:
        """``name`` is sampled: drop its inputs and results, and the water at its ends
        that no node still to be sampled reads."""
        self.done.add(name)
        self.run.received.pop(name, None)
        self.run.results.pop(name, None)
        for outlet in self.ends[name]:
            if self.readers[outlet] <= self.done:
                if outlet not in self.kept:
                    self.run.outlets.pop(outlet, None)
                node, port = outlet
                if node in maps:
                    maps[node].outlets.pop(port, None)


def _port(path: str) -> tuple[str, str]:
    """``"node.port"`` as ``(node, port)``."""
    node, port = path.split(".")
    return node, port


def _samples(district: District, unit: str, name: str, file_value: float, n: int) -> FloatArray:
    """Sizes at which a unit is sampled: 0 (not built), then evenly in log scale from the
    smallest size offered (``min``, or a tenth of ``max`` if min is 0) up to ``max``.

    Log spacing because performance saturates with size (exchanger NTU, digester HRT):
    on Buiksloterham's exchanger it cut the interpolation error of the annual heat
    output from 10.6 % (even spacing) to 3.9 % with the same five samples.
    """
    bound = district.optimize.design.get(unit, {}).get(name)
    if bound is None:
        return np.array([file_value])
    return np.concatenate([[0.0], np.geomspace(bound.smallest, bound.max, n - 1)])


def _feeds(
    district: District, name: str, run: NetworkRun
) -> list[tuple[frozenset[int], NodeInputs]]:
    """Each feed a unit may get: (routes sent to it, its inputs with that feed).

    Without routes to it, its one feed is what the file connects. With routes,
    one feed per subset of the routes that may lead to it (the outlets the file
    connects there that no route moves are always in); a routed outlet's water
    arrives less the route's loss to this inlet (``loss_frac``).
    """
    node = district.nodes[name]
    inputs = run.received[name]
    routes = district.optimize.routes
    feeds: list[tuple[frozenset[int], NodeInputs]] = [(frozenset(), inputs)]
    for port in node.type.routable_inlets:
        mine = [r for r, route in enumerate(routes) if f"{name}.{port}" in route.to]
        if not mine:
            continue
        routed = {_port(route.outlet) for route in routes}
        always = [
            run.outlets[(c.src, c.src_port)]
            for c in district.connections
            if (c.dst, c.dst_port) == (name, port) and (c.src, c.src_port) not in routed
        ]
        n = inputs.T_out_C.size
        target = f"{name}.{port}"
        arriving = {
            r: run.outlets[_port(routes[r].outlet)].scaled(1.0 - routes[r].loss_to(target))
            for r in mine
        }
        feeds = [
            (
                members | frozenset(subset),
                dataclasses.replace(
                    base,
                    inlets={
                        **base.inlets,
                        port: mix(
                            always + [arriving[r] for r in subset],
                            n,
                        ),
                    },
                ),
            )
            for members, base in feeds
            for k in range(len(mine) + 1)
            for subset in itertools.combinations(mine, k)
        ]
    return feeds


def _midpoints(grid: FloatArray) -> FloatArray:
    """Midpoints of a sampled size's segments, the first (from 0, not built, to the
    smallest size) left out: a size in it is not offered (the model's ``built`` switch
    jumps it), and the unit model may not run there (a digester below its smallest
    volume washes out)."""
    return 0.5 * (grid[2:] + grid[1:-1])


def _gap(samples: FloatArray, midpoints: FloatArray) -> float:
    """Largest relative gap of annual totals: unit model at the midpoints of
    :func:`_midpoints` vs interpolation."""
    interpolated = 0.5 * (samples[2:] + samples[1:-1]).sum(axis=-1)
    model = midpoints.sum(axis=-1)
    scale = np.maximum(np.abs(model), 1e-12)
    return float(np.max(np.abs(model - interpolated) / scale))


def _node_map(
    district: District, name: str, run: NetworkRun, maps: dict[str, NodeMap], varying: set[str]
) -> None:
    """Sample one node and add its map to ``maps`` (nothing if its type samples nothing);
    add it to ``varying`` if its water changes with the optimizer's choices."""
    node = district.nodes[name]
    n_samples = district.optimize.samples
    sampled = [s for s in node.type.sizes if s.sampled]
    grids = [
        _samples(district, name, s.name, node.type.size_value(node.params, s.key), n_samples)
        for s in sampled
    ]
    feeds = _feeds(district, name, run)

    def columns(
        grid_values: list[FloatArray], feed_list: list[tuple[frozenset[int], NodeInputs]]
    ) -> list[Column]:
        out = []
        for routes, inputs in feed_list:
            for values in itertools.product(*grid_values):
                sizes = {s.key: float(v) for s, v in zip(sampled, values, strict=True)}
                params = node.type.with_values(node.params, sizes) if sizes else node.params
                out.append(Column(sizes, params, inputs, routes))
        return out

    cols = columns(grids, feeds)
    ctx = SampleContext(district, name, run, maps, varying)
    n_routes = len(district.optimize.routes)
    the_map = NodeMap(
        sizes={s.key: np.array([c.sizes[s.key] for c in cols]) for s in sampled},
        routes=np.array([[r in c.routes for c in cols] for r in range(n_routes)], bool).reshape(
            n_routes, len(cols)
        ),
    )
    ctx._map = the_map
    the_map.series = node.type.sample(ctx, cols)
    ctx._map = None
    fed = [c.src for c in district.connections if c.dst == name and c.kind == "water"]
    if the_map.n_columns > 1 or any(f in varying for f in fed):
        varying.add(name)
    if the_map.series:
        _check_water_read(district, name, ctx, varying)
    if not the_map.series and the_map.n_columns == 1:
        return
    for j, (s, grid) in enumerate(zip(sampled, grids, strict=True)):
        if grid.size <= 2:
            continue
        mid_grids = [g[-1:] for g in grids]
        mid_grids[j] = _midpoints(grid)
        along = [
            i
            for i, c in enumerate(cols)
            if c.routes == cols[-1].routes
            and all(c.sizes[t.key] == grids[k][-1] for k, t in enumerate(sampled) if k != j)
        ]
        mid = node.type.sample(ctx, columns(mid_grids, feeds[-1:]))
        for key, table in the_map.series.items():
            if np.ndim(table) == 2 and table.shape[0] == len(cols):
                gap = _gap(table[along], mid[key])
                the_map.notes[key if len(sampled) == 1 else f"{key}({s.name})"] = gap
                if gap > FIT_WARNING:
                    log.warning(
                        "the optimizer's map of %s interpolates %s between sampled %s within "
                        "%.1f %% only; more samples ([optimize] samples) would tighten it",
                        name,
                        key,
                        s.name,
                        100 * gap,
                    )
    maps[name] = the_map


def _check_water_read(district: District, name: str, ctx: SampleContext, varying: set[str]) -> None:
    """A node that samples must read water that changes with the optimizer's choices through
    :meth:`SampleContext.upstream`; otherwise its map would silently hold one feed."""
    node = district.nodes[name]
    for port in node.type.ports:
        if port.kind != "water" or port.direction != "in" or port.name in ctx._read:
            continue
        if port.name in node.type.routable_inlets:
            continue  # its columns carry the feeds
        feeders = [c for c in district.connections if (c.dst, c.dst_port) == (name, port.name)]
        if any(c.src in varying for c in feeders):
            raise DistrictError(
                f"the map of {name} ({node.type.name}) is sampled on the water reaching "
                f"{name}.{port.name}, which changes with the optimizer's choices upstream; its "
                "type must read that water with ctx.upstream(port)",
                file=district.file,
                key=f"units.{name}",
            )


#: Environment variable: worker processes of :func:`sample_maps` (1 = one unit after another).
WORKERS_ENV = "NEXUS_MAP_WORKERS"


def _sampled_sizes(district: District, name: str) -> bool:
    """Whether the optimizer chooses a sampled size of the node: its map is several runs
    of its model over the year (the expensive maps, sampled in parallel)."""
    node = district.nodes[name]
    design = district.optimize.design.get(name, {})
    return district.optimize.samples > 1 and any(
        s.sampled and design.get(s.name) is not None for s in node.type.sizes
    )


def _heavy(district: District, order: tuple[str, ...]) -> set[str]:
    """The nodes sampled in workers: those of expensive runs (``heavy_sample``) and sampled
    sizes, and the units (not sinks) whose water comes from one of them (a struvite reactor
    runs once per digester column)."""
    heavy: set[str] = set()
    sinks = set(district.sinks)
    for name in order:
        fed = {c.src for c in district.connections if c.dst == name and c.kind == "water"}
        own = district.nodes[name].type.heavy_sample and _sampled_sizes(district, name)
        if own or (name not in sinks and fed & heavy):
            heavy.add(name)
    return heavy


def _map_workers(workers: int | None, heavy: int) -> int:
    """Worker processes for ``heavy`` expensive maps (1: sample in this process).

    By default one per core, except in a daemonic process (a sweep's Dask worker, which
    is itself one of the cores' workers and may not start processes): 1 there.
    """
    import multiprocessing
    import os

    if workers is None and multiprocessing.current_process().daemon:
        workers = 1
    if workers is None:
        env = os.environ.get(WORKERS_ENV, "").strip()
        if env:
            try:
                workers = int(env)
            except ValueError:
                raise ParameterError(
                    f"{WORKERS_ENV}={env!r}; expected a positive integer (1 samples the "
                    "unit maps one after another)"
                ) from None
        else:
            workers = os.cpu_count() or 1
    if workers < 1:
        raise ParameterError(f"workers = {workers!r}; expected a positive integer")
    return min(workers, heavy) if heavy >= 2 else 1


def _remote_map(
    district: District,
    name: str,
    run: NetworkRun,
    maps: dict[str, NodeMap],
    varying: set[str],
) -> tuple[NodeMap | None, bool, list[logging.LogRecord]]:
    """:func:`_node_map` in a worker: the node's map (None if it keeps none), whether its
    water varies, and the warnings it logged (for the parent to show)."""
    from nexus._memory import release_free_memory

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            record.exc_info = None
            records.append(record)

    logger = logging.getLogger("nexus")
    keep, propagate = Keep(logging.WARNING), logger.propagate
    logger.addHandler(keep)
    logger.propagate = False
    try:
        _node_map(district, name, run, maps, varying)
    finally:
        logger.removeHandler(keep)
        logger.propagate = propagate
        release_free_memory()  # the runs' arrays, freed on the worker's C heap
    return maps.get(name), name in varying, records


def _parallel_maps(
    district: District,
    run: NetworkRun,
    order: tuple[str, ...],
    heavy: set[str],
    maps: dict[str, NodeMap],
    varying: set[str],
    client: Client,
) -> None:
    """:func:`_node_map` of every node, the ``heavy`` ones in Dask worker processes.

    A node is sampled once every node whose water it receives is done (its map reads
    only theirs: :meth:`SampleContext.upstream`, ``varying``; in the serial path those
    are the ones before it in network order). A worker gets what the node
    needs: its inputs and outputs in the simulation, the outlets its routes may bring,
    and its feeders' maps; it keeps its own warm starts; the parent adds the map and
    ``varying`` as the serial path would. A node that fails in a worker is sampled again
    here, to raise its error as the serial path does."""
    from distributed import as_completed

    from nexus.simulation import NetworkRun

    rank = {name: i for i, name in enumerate(order)}
    feeders = {  # water only: a digester's heat from its CHP is no map it reads
        n: {
            c.src
            for c in district.connections
            if c.dst == n and c.kind == "water" and rank.get(c.src, len(order)) < rank[n]
        }
        for n in order
    }
    routed = [_port(route.outlet) for route in district.optimize.routes]
    into = {n: [(c.src, c.src_port) for c in district.connections if c.dst == n] for n in order}
    pending = list(order)
    done: set[str] = set()
    sampled = _Sampled(district, order, run)
    shared = client.scatter(district, broadcast=True, hash=False)
    running = as_completed(loop=client.loop)
    sent: dict[Any, str] = {}

    def dispatch() -> None:
        """The cheap nodes here, as soon as they can be sampled; the heavy ones sent."""
        ready = True
        while ready:
            ready = False
            for name in [n for n in pending if feeders[n] <= done]:
                pending.remove(name)
                if name not in heavy:
                    _node_map(district, name, run, maps, varying)
                    done.add(name)
                    sampled(name, maps)
                    ready = True
                    continue
                part = NetworkRun(
                    ds=cast("Any", None),
                    received={name: run.received[name]},
                    results={name: run.results[name]},
                    outlets={k: run.outlets[k] for k in (*routed, *into[name]) if k in run.outlets},
                )
                near = {f for f in feeders[name] if f in maps}
                near |= {u for f in near for u in maps[f].upstream.values() if u in maps}
                # the feeders' maps and the node's inputs as data, not in the task graph
                # (a digester's map holds its effluent in each column: tens of MB)
                data = client.scatter([part, {f: maps[f] for f in near}], hash=False)
                future = client.submit(_remote_map, shared, name, *data, set(varying), pure=False)
                sent[future] = name
                running.add(future)

    dispatch()
    for future in running:
        name = sent.pop(future)
        try:
            the_map, varies, records = future.result()
        except Exception as error:  # its error, raised here as in the serial path
            log.debug("sampling %s in a worker failed (%r); sampling it here", name, error)
            _node_map(district, name, run, maps, varying)
        else:
            for record in records:
                logging.getLogger(record.name).handle(record)
            if the_map is not None:
                maps[name] = the_map
            if varies:
                varying.add(name)
        done.add(name)
        sampled(name, maps)
        future.release()
        dispatch()
    for name in pending:  # a cycle through connections: not in a valid district
        _node_map(district, name, run, maps, varying)
    client.cancel([shared])


class _Once(logging.Filter):
    """Let each warning through once."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        key = f"{record.name}:{record.msg}"
        new = key not in self.seen
        self.seen.add(key)
        return new


@contextmanager
def warnings_once() -> Iterator[None]:
    """Within the block, each of nexus's log messages is shown once: the optimizer runs the
    unit models many times (sampling, verifying), and one warning says it for all."""
    once = _Once()  # a logger's filters see only its own records: give it to each of nexus's
    loggers = [
        logging.getLogger(name)
        for name in list(logging.root.manager.loggerDict)
        if name == "nexus" or name.startswith("nexus.")
    ]
    for logger in loggers:
        logger.addFilter(once)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(once)


def _workers(stack: contextlib.ExitStack, n: int) -> Client | None:
    """A local cluster of ``n`` worker processes, closed with ``stack``; None, with a
    warning, where worker processes cannot start: a script run as ``python script.py``
    without an ``if __name__ == "__main__":`` block, whose worker processes import it
    again and stop (Python's rule for processes it starts by spawning). The maps are
    then sampled in this process, the same maps more slowly."""
    import multiprocessing

    from nexus.sweeps import local_client

    try:
        return stack.enter_context(local_client(n))
    except (RuntimeError, OSError) as error:
        if multiprocessing.parent_process() is not None:
            raise  # a worker importing the script again: it must stop, not sample
        log.warning(
            "the unit maps are sampled in this process, one after another: %d worker "
            "processes could not start (%s). A script that optimizes must do so under "
            "'if __name__ == \"__main__\":' for worker processes to start; "
            "NEXUS_MAP_WORKERS=1 samples in this process without trying",
            n,
            error,
        )
        return None


def sample_maps(district: District, workers: int | None = None) -> Maps:
    """Run the unit models of a district at sampled sizes over its year.

    Units of expensive runs whose sizes are sampled (``NodeType.heavy_sample``: a
    digester's volume, ADM1 steady states over the year at each) are sampled in
    worker processes (a Dask ``LocalCluster``, as sweeps use), with the units their
    water feeds, when there are two or more of them and more than one core: each as
    soon as the units feeding it are done, the others in this process. The maps are
    the same as one unit after another.

    Parameters
    ----------
    district : District
        With an ``[optimize]`` table (its ``design`` entries say which sizes
        are chosen and up to what size; ``samples`` how many runs per size).
    workers : int, optional
        Worker processes; 1 samples one unit after another in this process.
        Default: the environment variable ``NEXUS_MAP_WORKERS`` if set, else
        one per core, at most one per unit of sampled sizes.

    Returns
    -------
    Maps
        Hourly series for the full year (8760 steps).

    Raises
    ------
    nexus.DistrictError
        A node the optimizer cannot model (its type has no optimizer model),
        or water it cannot follow.
    """
    from nexus._memory import release_free_memory
    from nexus.simulation import run_islands

    for name, node in district.nodes.items():
        if not node.type.optimizable:
            raise DistrictError(
                f"the optimizer cannot model {name!r}: its type {node.type.name!r} has no "
                "optimizer model (build); expected a district of types the optimizer knows",
                file=district.file,
                key=f"{node.section}.{name}",
            )
    # network order, upstream first; passive nodes (the grid, the sewer) have no map
    order = tuple(
        n for n in (*district.order, *district.sinks) if not district.nodes[n].type.passive
    )
    heavy = _heavy(district, order)
    n = _map_workers(workers, sum(_sampled_sizes(district, name) for name in heavy))
    with warnings_once(), contextlib.ExitStack() as stack:
        # the workers start while the district is simulated
        client = _workers(stack, n) if n > 1 else None
        run = run_islands(district)  # a city one neighbourhood at a time
        maps: dict[str, NodeMap] = {}
        varying: set[str] = set()
        if client is not None:
            _parallel_maps(district, run, order, heavy, maps, varying, client)
            maps = {name: maps[name] for name in order if name in maps}  # as the serial path
        else:
            sampled = _Sampled(district, order, run)
            for name in order:
                _node_map(district, name, run, maps, varying)
                sampled(name, maps)
    flows = [run.outlets[_port(route.outlet)].flow_m3_h for route in district.optimize.routes]
    n = run.ds.sizes["time"]
    hours = run.ds["time"].to_numpy()
    del run
    release_free_memory()  # what the simulation and the samples left on the C heap
    return Maps(
        nodes=maps,
        route_flow_m3_h=flows,
        weights=np.ones(n),
        period_hours=n,
        hours=hours,
    )


def prepare_maps(
    district: District,
    typical_days: int | None = None,
    say: Callable[[str], object] | None = None,
    workers: int | None = None,
) -> Maps:
    """The maps the optimizer builds on: sampled, then aggregated to representative days.

    Parameters
    ----------
    district : District
        With an ``[optimize]`` table.
    typical_days : int, optional
        Representative days; default the file's ``typical_days`` (0 = the full year).
    say : callable, optional
        Called with the name of each stage as it starts.
    workers : int, optional
        Worker processes for the sampling (:func:`sample_maps`).
    """
    from nexus._memory import release_free_memory
    from nexus.optimize.periods import typical_days as aggregate

    say = say or (lambda _stage: None)
    days = district.optimize.typical_days if typical_days is None else typical_days
    say("sampling unit models")
    maps = sample_maps(district, workers)
    if not days:
        return maps
    say(f"aggregating the year to {days} representative days")
    aggregated = aggregate(maps, days, year=district.info.year)
    del maps
    release_free_memory()  # the year of hourly maps, and the aggregation's copies
    return aggregated
