"""The district design and operation model in Pyomo.

:func:`build_model` turns a district and its sampled unit maps
(:mod:`nexus.optimize.maps`) into one linear (mixed-integer where a unit has
a fixed cost) program over a time grid. The model is assembled from the node
types (:mod:`nexus.registry`): the network part here is the same for every
district, and each node type adds its own part through a
:class:`BuildContext`. Each balance is written once, as arrays over the whole
horizon (:mod:`nexus.optimize.linear`, the way PyPSA writes its store
constraints with linopy); the Pyomo constraints are made from those arrays,
and HiGHS receives the same arrays (:mod:`nexus.optimize.highs`,
``docs/optimizer_arrays.md``).

Symbols (sets, variables and constraints of the model)
-------------------------------------------------------
Sets
    ``TIME`` time steps; ``ROUTE`` (route, inlet) choices; per node Block
    ``SAMPLE`` its sampled runs (columns).
Network (block ``network``, and the nodes' Blocks)
    The flow on each heat, electricity and gas connection [kW, Nm3/h]. Where
    a port has one connection and its node says exactly what passes (a
    supply, a draw), the flow *is* that expression; otherwise it is a
    variable ``network.flow_<src>_<port>__<dst>_<port>[t]``, one per
    connection, or one per connection and demand category where an inlet's
    categories cannot share flows. An inlet that takes several categories
    with one backup price, from connections whose category sets nest, pools
    them (exact by Hall's condition): ``<port>_balance[t]`` (connections plus
    ``backup_<port>[t]`` meet the sum of the demands) and
    ``<port>_<categories>_at_most[t]`` (connections serving only some
    categories give at most their demand); the unmet demand of each category
    is recovered after the solve. Otherwise ``<port>_<category>_balance[t]``
    with ``backup_<port>_<category>[t]``. ``<port>_supply[t]``: the flows
    leaving an outlet equal (or are at most) what the node supplies;
    ``<port>_nonneg[t]``: a flow defined by an expression stays >= 0.
    ``route[r, inlet]`` [binary] where a routed outlet is sent;
    ``slack_<target>[side]`` shortfall of a target, in its unit.
Per node (one Block per node type, indexed by the nodes of that type)
    ``size_<name>`` a design size (fixed where the file fixes it), with
    ``built_<name>`` [binary] where it has a fixed cost or a minimum;
    ``lam[k]`` [1] weight of sampled run k (sum 1; ``size = sum lam_k
    size_k``; ``<route>_routed``: a route is chosen exactly when the runs fed
    by it are); the network rows of its ports (above); and what the node
    type adds (see its ``build``).
Objectives (Expressions, one active at a time)
    ``energy_kWh_yr`` net energy yield [kWh/yr]: heat and electricity the
    units deliver through connections less the electricity they draw;
    ``P_kg_yr`` and ``N_kg_yr``: phosphorus and nitrogen recovered for farms
    (outputs with the roles ``P_recovered``, ``N_recovered``);
    ``cost_per_yr`` annualized capital (``capex_per_yr``) plus operation
    (``opex_per_yr``: electricity bought less sold, backup, chemicals,
    transport) [currency/yr].

Prices, transport costs, the eps-constraint bounds and the demand scale are
mutable Params named as the keys of :data:`nexus.optimize.solve.SETTABLE`, so
a sweep changes them and re-solves without rebuilding. Every variable and
Param has a ``doc`` with its unit; built with ``units=True`` they (and every
coefficient) carry Pyomo units, and the suite checks the model with
``assert_units_consistent``.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nexus.costs import annuity_factor
from nexus.errors import DistrictError
from nexus.optimize.linear import Affine, Relation, gc_paused, stack
from nexus.optimize.maps import Maps
from nexus.registry import CATEGORIES, ROLES
from nexus.results import NODE_TERMS
from nexus.schema import OBJECTIVES, Prices, priced_per

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Sequence

    import pyomo.environ as pyo
    from numpy.typing import ArrayLike
    from pyomo.core.base.block import BlockData
    from pyomo.core.base.var import VarData

    from nexus._typing import FloatArray, Floats
    from nexus.district import Connection, District, Node
    from nexus.registry import Port, Size

__all__ = ["BuildContext", "build_model", "interchangeable", "pyomo_units"]

#: Penalty on target slack [objective units per unit of slack]: large enough that a
#: target is missed only if it cannot be met (slack is then reported as infeasibility).
SLACK_PENALTY = 1e6

#: The value of a target's Param that leaves it without effect: ``min_<objective>`` starts
#: at -NO_TARGET, ``max_<objective>`` at +NO_TARGET.
NO_TARGET = 1e30


def pyomo_units(udunits: str) -> str:
    """A UDUNITS unit string as the Pyomo unit expression nexus writes (``"m3"`` ->
    ``"m**3"``, ``"kg h-1"`` -> ``"kg*h**-1"``).

    Examples
    --------
    >>> pyomo_units("kg h-1"), pyomo_units("m2"), pyomo_units("1")
    ('kg*h**-1', 'm**2', '')
    """
    import re

    if udunits == "1":
        return ""
    parts = [re.sub(r"^([A-Za-z_]+)(-?\d+)$", r"\1**\2", p) for p in udunits.split()]
    return "*".join(parts)


def build_model(
    district: District, maps: Maps | None = None, *, units: bool = False
) -> pyo.ConcreteModel:
    """The Pyomo model of a district's design and operation.

    Parameters
    ----------
    district : District
        A loaded district; its ``[optimize]`` table says which sizes are
        chosen, their costs and the prices.
    maps : Maps, optional
        Sampled unit maps (:func:`nexus.optimize.maps.sample_maps`, possibly
        aggregated to representative periods); if not given, sampled here and
        aggregated to the file's ``typical_days``
        (:func:`nexus.optimize.maps.prepare_maps`), as :func:`nexus.optimize.solve` does.
    units : bool
        Give every variable, Param and coefficient its Pyomo unit, so that
        ``pyomo.util.check_units.assert_units_consistent`` checks the model
        (the first use of Pyomo units loads pint's registry, about 2.3 s, so
        it is off by default; the units are declared either way and printed
        in each variable's ``doc``).

    Returns
    -------
    pyomo.environ.ConcreteModel
        With the objective Expressions and no active objective; researchers
        may add constraints, then solve it with
        ``nexus.optimize.solve(district, model=model)`` or
        ``Optimizer(district, model=model)``. A node's Block is
        ``model.<type name>[<node>]`` (``model.greywater_heat_pump["gw_hp"]``).

    Raises
    ------
    nexus.DistrictError
        A node type whose model leaves a connection it has undefined.
    """
    from nexus.optimize.maps import prepare_maps

    maps = prepare_maps(district) if maps is None else maps
    with gc_paused():
        model = _Builder(district, maps, units).build()
    model.nexus_district_sha256 = district.sha256
    return model


class BuildContext:
    """What a node type's :meth:`~nexus.registry.NodeType.build` works with.

    Attributes
    ----------
    name : str
        The node.
    params : Any
        Its parameters, as in the file.
    block : pyomo.core.Block
        Its Block (``model.<type name>[<node>]``).
    TIME : pyomo.core.Set
        The time steps.
    n_time : int
    prev : numpy.ndarray of int
        The step before each step, cyclic within each period (for stores).
    lam : Affine or None
        Weights of the node's sampled runs (columns), None if it has one.
    currency : str
        The currency as a unit name.
    """

    def __init__(self, builder: _Builder, name: str, node: Node, block: BlockData) -> None:
        self._b = builder
        self.name = name
        self.node = node
        self.params = node.params
        self.block = block
        self.TIME = builder.m.TIME
        self.n_time = builder.maps.n_time
        self.prev = builder.prev
        self.currency = builder.cur
        self._map = builder.maps.nodes.get(name)
        self.lam: Affine | None = None
        self._sizes: dict[str, Affine] = {}
        self._built: dict[str, Affine] = {}
        self._fixed: dict[str, float] = {}

    # ------------------------------------------------------------ variables
    def var(
        self,
        name: str,
        *sets: Collection[object],
        units: str,
        doc: str,
        lb: Floats | None = 0.0,
        ub: Floats | None = None,
        binary: bool = False,
    ) -> Affine:
        """A variable over ``sets`` (Pyomo Sets, e.g. ``ctx.TIME``) in the node's Block.

        ``lb`` (default 0) and ``ub`` may be numbers or arrays over the sets;
        ``lb=None`` for a free variable. Returns its columns as an Affine.
        """
        pyo = self._b.pyo
        domain = pyo.Binary if binary else pyo.Reals
        return self._b.X.var(
            self.block,
            name,
            sets,
            unit=units,
            doc=doc,
            domain=domain,
            lb=None if binary else lb,
            ub=None if binary else ub,
        )

    def set(self, name: str, values: Iterable[object], *, doc: str) -> pyo.Set:
        """An ordered Pyomo Set in the node's Block."""
        s = self._b.pyo.Set(initialize=list(values), ordered=True, doc=doc)
        self.block.add_component(name, s)
        return s

    def constrain(
        self,
        name: str,
        relation: Relation,
        doc: str,
        *,
        sets: Sequence[Collection[object]] | None = None,
    ) -> None:
        """Add ``relation`` to the node's Block; ``sets`` default to none (one row) or
        ``(TIME,)`` by the relation's shape."""
        if sets is None:
            shape = relation.shape
            if shape == ():
                sets = ()
            elif shape == (self.n_time,):
                sets = (self.TIME,)
            else:
                raise ValueError(f"{name}: give the sets of a relation of shape {shape}")
        self._b.X.constraint(self.block, name, sets, relation, doc=doc)

    @staticmethod
    def const(values: ArrayLike, units: str = "") -> Affine:
        """Constant rows [units]."""
        return Affine.constant(values, units)

    # ------------------------------------------------------------ sizes and maps
    def size(self, key: str) -> Affine:
        """A design size (parameter path as declared in the type's ``sizes``): the chosen
        size, or the file's value fixed."""
        return self._sizes[key]

    def built(self, key: str) -> Affine | None:
        """The binary "built" of a size with a fixed cost or a minimum (None otherwise)."""
        return self._built.get(key)

    def fixed(self, key: str) -> float | None:
        """The value the file fixes a size at (None if the optimizer chooses it)."""
        return self._fixed.get(key)

    def takes_offer(
        self,
        x: Affine,
        offered: Affine,
        offered_max: FloatArray,
        key: str,
        per_size: FloatArray,
        *,
        units: str,
        per_size_units: str,
    ) -> None:
        """A unit that processes all it is offered, up to what its size ``key`` holds.

        ``x`` [kg/h] is what it takes of ``offered`` (an upstream series mixed by its
        weights; ``offered_max`` its largest sampled value per step), ``per_size`` what
        one unit of the size holds per step [kg/h per size unit]. A chosen size is sized
        for the peak of what it takes (``volume``: offered <= per_size * size, all taken,
        ``take_all``); a built-or-not size (binary ``built``) takes all only if built
        (``take_if_built``); a fixed size takes ``min(offered, what it holds)``, which is
        not convex in the offer: it is bounded below by the offer less the most any
        sampled run exceeds the size by (exact where none does), ``take_max``. ``units``
        are those of ``x`` (Pyomo spelling), ``per_size_units`` those of ``per_size``.
        """
        size = self.size(key)
        built, fixed = self.built(key), self.fixed(key)
        unit = units
        holds = (size * per_size).scaled(unit=per_size_units)
        if fixed is not None:
            cap = per_size * fixed
            short = np.maximum(offered_max - cap, 0.0)
            self.constrain("take_max", x <= offered, "at most what is offered")
            self.constrain("volume", x <= self.const(cap, unit), "at most what the size holds")
            self.constrain(
                "take_all",
                x >= offered - self.const(short, unit),
                "all taken, less what may not fit in the size",
            )
        elif built is None:  # no fixed cost: always built, sized for the peak
            self.constrain("take_all", x == offered, "all taken")
            self.constrain("volume", offered <= holds, "the size holds the offer")
        else:  # built or not (binary), sized for the peak if built
            unbuilt = self.const(offered_max, unit) - built.scaled(unit=unit) * offered_max
            self.constrain("take_max", x <= offered, "at most what is offered")
            self.constrain(
                "take_if_built", x <= built.scaled(unit=unit) * offered_max, "none unless built"
            )
            self.constrain("take_all", x >= offered - unbuilt, "all taken if built")
            self.constrain("volume", offered - unbuilt <= holds, "the size holds it, if built")

    def series(self, name: str) -> FloatArray:
        """A series of the node's map, (columns, time) or (time,)."""
        if self._map is None or name not in self._map.series:
            raise KeyError(f"{self.name}: no sampled series {name!r}")
        return self._map.series[name]

    def weighted(self, name: str, units: str) -> Affine:
        """A sampled series, each column times its weight: (columns, time) [units]."""
        table = np.atleast_2d(self.series(name))
        if self.lam is None:
            return Affine.constant(table, units)
        return (self.lam.reshape((self.lam.size, 1)) * table).scaled(unit=units)

    def mixed(self, name: str, units: str) -> Affine:
        """A sampled series mixed over the columns by their weights: (time,) [units]."""
        return self.weighted(name, units).sum(axis=0)

    def upstream_mixed(self, port: str, name: str, units: str) -> Affine:
        """A series sampled per column of the unit upstream of a water inlet, mixed by
        that unit's weights (or the one row where the water does not change)."""
        table = np.atleast_2d(self.series(name))
        owner = None if self._map is None else self._map.upstream.get(port)
        lam = None if owner is None else self._b.lam.get(owner)
        if lam is None:
            return Affine.constant(table[0], units)
        return (lam.reshape((lam.size, 1)) * table).scaled(unit=units).sum(axis=0)

    # ------------------------------------------------------------ network
    def inflow(self, port: str) -> Affine:
        """What reaches an inlet through its connections, per step [kW or Nm3/h]."""
        self._b.consumed.add((self.name, port))
        return self._b.port_flow(self.name, port, "in")

    def outflow(self, port: str) -> Affine:
        """What leaves an outlet through its connections, per step [kW or Nm3/h]."""
        self._b.supplied.add((self.name, port))
        return self._b.port_flow(self.name, port, "out")

    def supply(self, port: str, expr: Affine, *, at_most: bool = False) -> None:
        """The node supplies ``expr`` through an outlet: its connections carry it all
        (``at_most``: at most it, the rest is lost; where a connection leads to an
        inlet that takes any amount, such as a grid's export, nothing need be lost, and
        the connections carry it all: an LP that could also lose it would be degenerate)."""
        if at_most and self._b.to_unlimited(self.name, port):
            at_most = False
        self._b.supplied.add((self.name, port))
        if not at_most and self._b.define(self, port, "out", expr):
            return
        flows = self.outflow(port)
        relation = flows <= expr if at_most else flows == expr
        self.constrain(f"{port}_supply", relation, f"what leaves {port} is what is supplied")

    def demand(
        self,
        port: str,
        expr: Affine,
        *,
        category: str | None = None,
        unmet: str | None = None,
    ) -> None:
        """The node needs ``expr`` through an inlet; its connections give it, and a
        category with a backup price buys what they do not.

        Parameters
        ----------
        port : str
            A heat or electricity inlet.
        expr : Affine
            The demand per step [kW].
        category : str, optional
            The demand category; default the inlet's one category (none for an
            electricity draw, which its grid meets in full).
        unmet : str, optional
            The output (declared by the node's type, or ``heat_backup_kW``)
            under which the results report the demand the connections do not
            meet, per step [kW].

        Notes
        -----
        An inlet that holds heat (``Port.within_h``) is balanced over each period
        of that many hours rather than each step, as the simulation balances it.
        """
        takes = self.node.type.port(port).takes
        category = category or (takes[0] if len(takes) == 1 else None)
        self._b.consumed.add((self.name, port))
        if unmet is not None and unmet not in NODE_TERMS:
            self.node.type.output(unmet)  # KeyError if not declared
        if (self.name, port) in self._b.pooled:  # balanced with the inlet's other categories
            assert category is not None and not self.node.type.port(port).within_h
            self._b.pending[(self.name, port)][category] = (expr, unmet)
            return
        if category is None and self._b.define(self, port, "in", expr):
            return  # a draw its grid meets in full: the flow is the demand
        flows = self._b.port_flow(self.name, port, "in", category)
        tag = f"{port}_{category}" if category else port
        if category is not None and CATEGORIES[category].backup is not None:
            backup = self._backup(port, category, tag)
            flows = flows + backup
            if unmet is not None:
                self.report(unmet, backup)
        within_h = self.node.type.port(port).within_h
        if not within_h:
            self.constrain(
                f"{tag}_balance", flows == expr, f"{tag}: connections (and backup) meet the demand"
            )
            return
        periods = self.n_time // within_h  # typical days and the year are whole days
        self.constrain(
            f"{tag}_balance",
            (flows - expr).reshape((periods, within_h)).sum(axis=1) == 0.0,
            f"{tag}: connections (and backup) meet the demand of each {within_h} h "
            "(the unit holds heat within the period)",
            sets=(range(periods),),
        )

    def _backup(self, port: str, category: str, tag: str) -> Affine:
        """A backup variable for an inlet, bought at the category's price [kW]."""
        price = CATEGORIES[category].backup
        assert price is not None
        backup = self.var(
            f"backup_{tag}", self.TIME, units="kW", doc=f"{CATEGORIES[category].plain} from backup"
        )
        item = "ev_backup" if CATEGORIES[category].kind == "electricity" else "heat_backup"
        self.cost(item, backup, price=price)
        return backup

    def scaled_demand(self, name: str) -> Affine:
        """A sampled demand series times the model's demand scale [kW]."""
        return Affine.constant(self.series(name), "kW", param=self._b.m.demand_scale)

    # ------------------------------------------------------------ objectives and results
    def role(self, role: str, expr: Affine) -> None:
        """What the node adds per step to a district total (:data:`~nexus.registry.ROLES`)."""
        if role not in ROLES:
            raise KeyError(f"{role!r} is not a role; expected one of {list(ROLES)}")
        self._b.roles[role].append(expr)

    def cost(self, item: str, expr: Affine, *, price: str | None = None) -> None:
        """An operating cost per step: ``expr`` [currency/h], or ``expr`` [kW or t/h] times
        the price ``price`` (a key of ``[optimize.prices]``) [currency/kWh or currency/t];
        a revenue is a negative ``expr``."""
        if price is not None:
            expr = expr.scaled(param=getattr(self._b.m, price))  # the Param carries its unit
        self._b.costs[item].append(expr)

    def report(self, output: str, expr: Affine) -> None:
        """Keep a per-step quantity for the results under a declared output's name (or a
        node balance term such as ``heat_held_kWh``)."""
        if output not in NODE_TERMS:
            self.node.type.output(output)  # KeyError if not declared
        self._b.series[(output, self.name)] = expr


class _Builder:
    """Assembles the model: network, nodes (each through its type's build), objectives."""

    def __init__(self, district: District, maps: Maps, units: bool) -> None:
        import pyomo.environ as pyo

        from nexus.optimize.linear import Columns

        self.pyo = pyo
        self.district = district
        self.maps = maps
        self.X = Columns(units)
        self.cur = _currency_unit(district.info.currency, units)
        self.capex: list[Affine] = []
        self.costs: dict[str, list[Affine]] = defaultdict(list)
        self.roles: dict[str, list[Affine]] = defaultdict(list)
        self.series: dict[tuple[str, str], Affine] = {}
        self.lam: dict[str, Affine | None] = {}
        self.size_vars: dict[tuple[str, str], pyo.Var] = {}
        self.consumed: set[tuple[str, str]] = set()
        self.supplied: set[tuple[str, str]] = set()
        self.pooled: dict[tuple[str, str], dict[Connection, tuple[str, ...]]] = {}
        #: demands of pooled inlets by category: (demand, output reporting what is unmet)
        self.pending: dict[tuple[str, str], dict[str, tuple[Affine, str | None]]] = defaultdict(
            dict
        )
        self.allocations: list[Allocation] = []
        n, P = maps.n_time, maps.period_hours
        t = np.arange(n)
        self.prev = np.where(t % P > 0, t - 1, t + P - 1)  # the step before, cyclic per period

    # ------------------------------------------------------------------ network
    def flows(self, m: pyo.ConcreteModel) -> None:
        """Flow variables over the steps [kW; Nm3/h on gas connections].

        One per connection, except where an inlet takes several demand
        categories whose connections cannot be pooled (:func:`_pooled`): one
        per connection and category there.
        """
        pyo, nodes = self.pyo, self.district.nodes
        into: dict[tuple[str, str], dict[Connection, tuple[str, ...]]] = defaultdict(dict)
        for c in self.district.connections:
            if c.kind in ("heat", "electricity"):
                src, dst = nodes[c.src].type.port(c.src_port), nodes[c.dst].type.port(c.dst_port)
                into[(c.dst, c.dst_port)][c] = tuple(k for k in _categories(src, dst) if k)
        self.pooled = {
            inlet: links
            for inlet, links in into.items()
            if _pooled(nodes[inlet[0]].type.port(inlet[1]).takes, list(links.values()))
        }
        self.flow_keys: list[tuple[Connection, str | None]] = []
        for c in self.district.connections:
            if c.kind == "gas":
                self.flow_keys.append((c, None))
            elif c.kind != "water":
                cats = into[(c.dst, c.dst_port)][c]
                if (c.dst, c.dst_port) in self.pooled or not cats:
                    self.flow_keys.append((c, "+".join(cats) or None))
                else:
                    self.flow_keys += [(c, k) for k in cats]
        # the flows by connection and by port, so that finding a port's flows is a look-up
        # (the model's assembly stays linear in the number of nodes: a city's neighbourhoods)
        self.by_connection: dict[Connection, list[tuple[Connection, str | None]]] = defaultdict(
            list
        )
        self.by_port: dict[tuple[str, str, str], list[tuple[Connection, str | None]]] = defaultdict(
            list
        )
        for key in self.flow_keys:
            c = key[0]
            self.by_connection[c].append(key)
            self.by_port[(c.dst, c.dst_port, "in")].append(key)
            self.by_port[(c.src, c.src_port, "out")].append(key)
        self.leaving: dict[tuple[str, str], list[Connection]] = defaultdict(list)
        for c in self.district.connections:
            self.leaving[(c.src, c.src_port)].append(c)
        self.flow_rows: dict[tuple[Connection, str | None], Affine] = {}
        m.network = pyo.Block(doc="flows on the heat, electricity and gas connections")

    def _flow(self, key: tuple[Connection, str | None]) -> Affine:
        """The flow of a connection (and category): a variable made when first needed, or
        the expression its supplier defined it by."""
        if key not in self.flow_rows:
            c, k = key
            split = len(self.by_connection[c]) > 1
            name = f"flow_{c.src}_{c.src_port}__{c.dst}_{c.dst_port}" + (f"__{k}" if split else "")
            gas = c.kind == "gas"
            self.flow_rows[key] = self.X.var(
                self.m.network,
                name,
                (self.m.TIME,),
                unit="m**3/h" if gas else "kW",
                domain=self.pyo.NonNegativeReals,
                doc=f"{'methane (Nm3)' if gas else 'flow'} on {c.label}"
                + (f", serving {k}" if k else ""),
            )
        return self.flow_rows[key]

    def _keys(
        self, node: str, port: str, side: str, category: str | None = None
    ) -> list[tuple[Connection, str | None]]:
        keys = self.by_port.get((node, port, side), [])
        return keys if category is None else [key for key in keys if key[1] == category]

    def define(self, ctx: BuildContext, port: str, side: str, expr: Affine) -> bool:
        """Let the one flow at a port be ``expr`` itself (no variable, no balance row), if
        the port has one flow and nothing has used it yet; a row keeps the flow >= 0 where
        ``expr`` is not so by construction. Returns whether it did."""
        keys = self._keys(ctx.name, port, side)
        if len(keys) != 1 or keys[0] in self.flow_rows:
            return False
        self.flow_rows[keys[0]] = expr
        if not _nonneg(expr, self.X.data):
            ctx.constrain(f"{port}_nonneg", expr >= 0.0, f"what flows through {port} is >= 0")
        return True

    def port_flow(self, node: str, port: str, side: str, category: str | None = None) -> Affine:
        """Sum of the flows at a port (``side`` "in" or "out"), of one category or all."""
        rows = [self._flow(key) for key in self._keys(node, port, side, category)]
        if not rows:
            kind = self.district.nodes[node].type.port(port).kind
            return Affine.constant(np.zeros(self.maps.n_time), "m**3/h" if kind == "gas" else "kW")
        return sum(rows[1:], rows[0])

    def to_unlimited(self, node: str, port: str) -> bool:
        """Whether an outlet has a connection to an inlet taking an unlimited category."""
        nodes = self.district.nodes
        return any(
            CATEGORIES[k].unlimited
            for c in self.leaving.get((node, port), [])
            for k in nodes[c.dst].type.port(c.dst_port).takes
        )

    def link_flow(self, c: Connection) -> Affine:
        """Total flow on a connection over its categories, per step."""
        rows = [self._flow(key) for key in self.by_connection[c]]
        return sum(rows[1:], rows[0])

    # ------------------------------------------------------------------ sizes
    def design(self, ctx: BuildContext, size: Size) -> None:
        """A size variable: fixed by the file, or chosen with its annualized cost."""
        cur = self.cur
        node = ctx.node
        units = pyomo_units(node.type.size_units(size))
        bound = self.district.optimize.design.get(ctx.name, {}).get(size.name)
        var_name = f"size_{size.name}"
        if bound is None:
            value = node.type.size_value(node.params, size.key)
            var = ctx.var(var_name, units=units, doc=f"{size.name}, fixed by the file", lb=None)
            getattr(ctx.block, var_name).fix(value)
            ctx._fixed[size.key] = value
        else:
            opt = self.district.optimize
            var = ctx.var(var_name, units=units, doc=f"{size.name} chosen", ub=bound.max)
            a = annuity_factor(opt.discount_rate_frac, bound.lifetime_yr)
            per_size = (a * bound.capex_per_unit * var).scaled(unit=f"{cur}/yr/({units})")
            if bound.capex_fixed > 0 or bound.min > 0:
                built = ctx.var(
                    f"built_{size.name}", units="", doc=f"{size.name} built", binary=True
                )
                ctx._built[size.key] = built
                ctx.constrain(
                    f"{size.name}_max",
                    var <= bound.max * built.scaled(unit=units),
                    "size at most its maximum, if built",
                )
                ctx.constrain(
                    f"{size.name}_min",
                    var >= bound.min * built.scaled(unit=units),
                    "size at least its minimum, if built",
                )
                per_size = per_size + (a * bound.capex_fixed * built).scaled(unit=f"{cur}/yr")
            self.capex.append(per_size)
        ctx._sizes[size.key] = var
        self.size_vars[(ctx.name, size.name)] = getattr(ctx.block, var_name)

    def columns(self, ctx: BuildContext) -> None:
        """Weights of a node's sampled runs, tied to its sampled sizes and its routes."""
        the_map = ctx._map
        if the_map is None or the_map.n_columns == 1:
            return
        SAMPLE = ctx.set("SAMPLE", range(the_map.n_columns), doc="sampled runs")
        lam = ctx.var("lam", SAMPLE, units="", doc="weight of each sampled run", ub=1.0)
        ctx.lam = self.lam[ctx.name] = lam
        ctx.constrain("lam_sum", lam.sum() == 1.0, "weights sum to 1")
        for key, samples in the_map.sizes.items():
            size = next(s for s in ctx.node.type.sizes if s.key == key)
            units = pyomo_units(ctx.node.type.size_units(size))
            ctx.constrain(
                f"{size.name}_from_samples",
                ctx.size(key) == (lam * samples).scaled(unit=units).sum(),
                "size = weighted sampled sizes",
            )
            built = ctx.built(key)
            if built is not None:  # size-0 runs are "not built"; a built unit mixes the others
                empty = np.flatnonzero(samples == 0.0)
                ctx.constrain(
                    f"{size.name}_not_built",
                    lam[empty].sum() + built == 1.0,
                    "the size-0 runs carry the weight of not building",
                )
        routed = [r for r in range(the_map.routes.shape[0]) if the_map.routes[r].any()]
        if routed:
            port = next(iter(ctx.node.type.routable_inlets))
            rows = [
                lam[np.flatnonzero(the_map.routes[r])].sum() - self.route[(r, f"{ctx.name}.{port}")]
                for r in routed
            ]
            ctx.constrain(
                "routed",
                Relation(stack(rows), "=="),
                "a route chosen <=> the runs fed by it",
                sets=(routed,),
            )

    def routes(self, m: pyo.ConcreteModel) -> Affine:
        """Route choices: each routed outlet goes to exactly one of its candidates.

        Returns the transport cost per year; the transport energy per year is
        kept in ``self.transport_kWh``.
        """
        pyo = self.pyo
        routes = self.district.optimize.routes
        pairs = [(r, to) for r, route in enumerate(routes) for to in route.to]
        m.ROUTE = pyo.Set(initialize=pairs, dimen=2, ordered=True, doc="route choices")
        route = self.X.var(
            m, "route", (m.ROUTE,), unit="", doc="outlet r sent to this inlet", domain=pyo.Binary
        )
        self.route = {pair: route[i] for i, pair in enumerate(pairs)}
        # transport per year: annual volume x distance x (cost or energy) per m3 km; the
        # cost per m3 km of each mode is a mutable Param (a sweep over it is a sweep over
        # distance too)
        w = self.maps.weights
        cost = Affine.constant(0.0, f"{self.cur}/yr")
        energy = Affine.constant(0.0, "kWh/yr")
        for r, rt in enumerate(routes):
            m3_yr = float(w @ self.maps.route_flow_m3_h[r])
            mode = getattr(self.district.optimize.transport, rt.mode, None)
            price = getattr(m, f"{rt.mode}_cost_per_m3_km")
            for to, km in zip(rt.to, rt.distance_km, strict=True):
                if km > 0:
                    assert mode is not None  # load_district: a route with a distance has its mode
                    x = self.route[(r, to)]
                    cost = cost + (m3_yr * km * x).scaled(param=price, unit="m**3*km/yr")
                    energy = energy + (m3_yr * km * mode.kWh_per_m3_km * x).scaled(unit="kWh/yr")
        if routes:
            rows = [
                sum((self.route[(r, to)] for to in rt.to[1:]), self.route[(r, rt.to[0])])
                for r, rt in enumerate(routes)
            ]
            self.X.constraint(
                m,
                "route_one",
                (list(range(len(routes))),),
                stack(rows) == 1.0,
                doc="each routed outlet goes to one place",
            )
        self.transport_kWh = energy
        return cost

    # ------------------------------------------------------------------ model
    def build(self) -> pyo.ConcreteModel:
        pyo, maps, district = self.pyo, self.maps, self.district
        m = self.m = pyo.ConcreteModel(name=district.name)
        m.maps = maps  # kept for the results
        m.TIME = pyo.Set(initialize=range(maps.n_time), ordered=True, doc="time steps")
        self.params(m)
        transport_cost = self.routes(m)
        self.flows(m)
        by_type: dict[str, list[str]] = defaultdict(list)
        order = (*district.order, *district.sinks)
        for name in order:
            by_type[district.nodes[name].type.name].append(name)
        for type_name, names in by_type.items():
            m.add_component(type_name, pyo.Block(names, doc=f"{type_name} nodes"))
        contexts: dict[str, BuildContext] = {}
        for name in order:
            node = district.nodes[name]
            ctx = BuildContext(self, name, node, getattr(m, node.type.name)[name])
            for size in node.type.sizes:
                self.design(ctx, size)
            self.columns(ctx)
            node.type.build(ctx)
            contexts[name] = ctx
        self.close_pooled(contexts)
        self.break_symmetry(m, contexts)
        self.check_ports()
        m.nexus_links = {c: self.link_flow(c) for c in district.connections if c.kind != "water"}
        self.objectives(m, transport_cost)
        m.nexus_series = self.series
        m.nexus_allocations = self.allocations
        m.nexus_routes = list(district.optimize.routes)
        m.nexus_sizes = self.size_vars
        m.nexus_columns = self.X.data
        m.nexus_rows = self.X.rows
        return m

    def params(self, m: pyo.ConcreteModel) -> None:
        """Mutable Params: prices, transport costs, demand scale, target bounds."""
        pyo, cur = self.pyo, self.cur
        opt = self.district.optimize

        def param(name: str, value: float, unit: str, doc: str) -> None:
            m.add_component(
                name,
                pyo.Param(
                    mutable=True,
                    initialize=value,
                    units=self.X.unit(unit),
                    doc=f"{doc} [{unit or '1'}]",
                ),
            )

        for key, info in Prices.model_fields.items():
            if key != "source":
                value = 0.0 if opt.prices is None else float(getattr(opt.prices, key))
                param(key, value, f"{cur}/{priced_per(key)}", info.description or key)
        param("demand_scale", 1.0, "", "multiplies every demand")
        for mode in ("truck", "pipe"):
            cited = getattr(opt.transport, mode, None) if opt.transport is not None else None
            param(
                f"{mode}_cost_per_m3_km",
                0.0 if cited is None else cited.cost_per_m3_km,
                f"{cur}/(m**3*km)",
                f"cost of moving water by {mode}",
            )
        for spec in OBJECTIVES.values():
            unit = spec.units.replace("{currency}", cur)
            param(f"min_{spec.expression}", -NO_TARGET, unit, f"target: least {spec.plain}")
            param(f"max_{spec.expression}", NO_TARGET, unit, f"target: most {spec.plain}")

    def break_symmetry(self, m: pyo.ConcreteModel, contexts: dict[str, BuildContext]) -> None:
        """Order interchangeable units (:func:`interchangeable`) by their first chosen size:
        of two designs that only swap them, the branch and bound sees one."""
        groups = interchangeable(self.district)
        m.nexus_interchangeable = groups
        for group in groups:
            for a, b in itertools.pairwise(group):
                first, second = contexts[a], contexts[b]
                size = next(
                    s for s in first.node.type.sizes if first.fixed(s.key) is None
                )  # interchangeable() keeps only units with a chosen size
                second.constrain(
                    f"{size.name}_at_most_{a}",
                    second.size(size.key) <= first.size(size.key),
                    f"interchangeable with {a}: no larger (symmetry broken)",
                )
                built_a, built_b = first.built(size.key), second.built(size.key)
                if built_a is not None and built_b is not None:
                    second.constrain(
                        f"built_{size.name}_at_most_{a}",
                        built_b <= built_a,
                        f"interchangeable with {a}: built only if it is (symmetry broken)",
                    )

    def close_pooled(self, contexts: dict[str, BuildContext]) -> None:
        """Balance each pooled inlet: its connections plus one backup meet the sum of its
        categories' demands, and the connections that serve only some categories give no
        more than those categories ask (Hall's condition: the flows can be split over the
        categories exactly as the per-category balances would)."""
        for (name, port), demands in self.pending.items():
            ctx = contexts[name]
            links = self.pooled[(name, port)]
            zero = Affine.constant(np.zeros(self.maps.n_time), "kW")
            flows = {c: self.link_flow(c) for c in links}
            category = next(iter(demands))
            backup = ctx._backup(port, category, port)
            total = sum((expr for expr, _ in demands.values()), zero)
            ctx.constrain(
                f"{port}_balance",
                sum(flows.values(), zero) + backup == total,
                f"{port}: connections and backup meet the demand of its categories",
            )
            for subset in _unions(list(links.values())):
                if set(subset) >= set(demands):
                    continue
                served = [flows[c] for c, cats in links.items() if set(cats) <= set(subset)]
                asked = [demands[k][0] for k in subset if k in demands]
                ctx.constrain(
                    f"{port}_{'_'.join(subset)}_at_most",
                    sum(served, zero) <= sum(asked, zero),
                    f"{port}: connections serving only {', '.join(subset)} give at most its demand",
                )
            self.allocations.append(
                Allocation(name, [(links[c], flows[c]) for c in links], dict(demands), backup)
            )

    def check_ports(self) -> None:
        """Every heat, electricity and gas connection is defined at both ends by the
        models of its nodes (else a flow could appear from nothing)."""
        nodes = self.district.nodes
        for c in self.district.connections:
            if c.kind == "water":
                continue
            ends = ((c.src, c.src_port, self.supplied), (c.dst, c.dst_port, self.consumed))
            for name, port, seen in ends:
                node = nodes[name]
                p = node.type.port(port)
                free = node.role == "sink" and (
                    p.direction == "out" or all(CATEGORIES[k].unlimited for k in p.takes)
                )
                if (name, port) not in seen and not free:
                    raise DistrictError(
                        f"the optimizer model of {node.type.name!r} leaves its port {port!r} "
                        f"undefined, so {c.label!r} cannot be modelled; expected its build to "
                        "call ctx.supply, ctx.demand or ctx.inflow for the port",
                        file=self.district.file,
                        key=f"{node.section}.{name}",
                    )

    def objectives(self, m: pyo.ConcreteModel, transport_cost: Affine) -> None:
        """Objective Expressions and their eps-constraint targets with elastic slack."""
        pyo, X, cur = self.pyo, self.X, self.cur
        w = self.maps.weights
        zero = Affine.constant(0.0)

        def yearly(per_step: list[Affine], unit: str = "h/yr") -> Affine:
            if not per_step:
                return zero
            total = sum(per_step[1:], per_step[0])
            return (total * w).scaled(unit=unit).sum()

        nodes = self.district.nodes
        delivered, drawn = [], []
        for c, flow in m.nexus_links.items():
            if c.kind == "gas":
                continue
            if nodes[c.src].role == "unit":
                delivered.append(flow)
            if nodes[c.dst].role == "unit" and c.kind == "electricity":
                drawn.append(-flow)
        energy = yearly(delivered + drawn)
        opex_items = {item: yearly(exprs) for item, exprs in self.costs.items()}
        opex_items["transport"] = transport_cost
        opex = sum(opex_items.values(), zero)
        capex = sum(self.capex, zero)
        kpi = {
            "energy_kWh_yr": energy,
            "P_kg_yr": yearly(self.roles["P_recovered"]),
            "N_kg_yr": yearly(self.roles["N_recovered"]),
            "capex_per_yr": capex,
            "opex_per_yr": opex,
            "cost_per_yr": capex + opex,
            "transport_kWh_yr": self.transport_kWh,
            **{f"opex_{item}_per_yr": expr for item, expr in opex_items.items()},
        }
        slack = {}
        for spec in OBJECTIVES.values():
            unit = spec.units.replace("{currency}", cur)
            slack[spec.expression] = X.var(
                m,
                f"slack_{spec.expression}",
                (["min", "max"],),
                unit=unit,
                doc=f"shortfall of the {spec.plain} targets",
                domain=pyo.NonNegativeReals,
            )
        # slack counted in each target's own unit, as a plain number in the penalty
        kpi["slack_total"] = sum(
            (
                s.scaled(unit=f"1/({spec.units.replace('{currency}', cur)})").sum()
                for spec, s in zip(OBJECTIVES.values(), slack.values(), strict=True)
            ),
            zero,
        )
        for name, expr in kpi.items():
            m.add_component(name, pyo.Expression(expr=X.expression(expr)))
        for spec in OBJECTIVES.values():
            e = spec.expression
            low = Affine.constant(1.0, param=getattr(m, f"min_{e}"))
            high = Affine.constant(1.0, param=getattr(m, f"max_{e}"))
            X.constraint(
                m,
                f"{e}_min_target",
                (),
                kpi[e] + slack[e][0] >= low,
                doc=f"{spec.plain} at least its target (or short by the slack)",
            )
            X.constraint(
                m,
                f"{e}_max_target",
                (),
                kpi[e] - slack[e][1] <= high,
                doc=f"{spec.plain} at most its target (or over by the slack)",
            )
        m.nexus_kpi = kpi
        m.nexus_cost_items = list(opex_items)


@dataclass(frozen=True)
class Allocation:
    """A pooled inlet's flows, to be split over its categories after the solve (for the
    unmet demand each category reports)."""

    node: str
    links: list[tuple[tuple[str, ...], Affine]]  #: (categories served, flow) per connection
    demands: dict[str, tuple[Affine, str | None]]  #: by category: demand, its unmet output
    backup: Affine

    def unmet(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Unmet demand per output name at column values ``x`` [kW]: each connection's flow
        given to its categories, the most restricted connections first (exact where their
        category sets nest, which :func:`_pooled` requires), in the inlet's order."""
        left = {k: np.maximum(d.value(x), 0.0) for k, (d, _) in self.demands.items()}
        for cats, flow in sorted(self.links, key=lambda link: len(link[0])):
            rest = flow.value(x)
            for k in cats:
                given = np.minimum(rest, left.get(k, 0.0))
                if k in left:
                    left[k] = left[k] - given
                rest = rest - given
        return {out: left[k] for k, (_, out) in self.demands.items() if out is not None}


def interchangeable(district: District) -> list[list[str]]:
    """Groups of units the optimizer may swap without changing anything (file order).

    Two units are interchangeable when they have the same type, the same parameters,
    the same ``[optimize.design]`` bounds and costs (with at least one size chosen), the
    same connections with their own name taken out, and the same distance and loss on
    every route that may lead to them: any design then has a twin with the two swapped, of
    the same cost and operation. A city of neighbourhoods has none (each unit serves
    its own homes); candidate plants offered side by side do.
    """
    design = district.optimize.design
    signatures: dict[str, list[str]] = defaultdict(list)
    for name, node in district.units.items():
        if name not in design:
            continue

        def mine(node_name: str, port: str, name: str = name) -> str:
            return f"*.{port}" if node_name == name else f"{node_name}.{port}"

        links = sorted(
            (mine(c.src, c.src_port), mine(c.dst, c.dst_port), c.kind)
            for c in district.connections
            if name in (c.src, c.dst)
        )
        routes = tuple(  # the candidates a route offers here: port, distance and loss
            tuple(
                sorted(
                    (to.split(".")[1], r.km_to(to), r.loss_to(to))
                    for to in r.to
                    if to.split(".")[0] == name
                )
            )
            for r in district.optimize.routes
        )
        key = repr((node.type.name, node.params, design[name], links, routes))
        signatures[key].append(name)
    return [group for group in signatures.values() if len(group) > 1]


def _nonneg(expr: Affine, columns: list[VarData]) -> bool:
    """Whether ``expr`` is >= 0 by construction: nonnegative coefficients (no Param) on
    variables bounded below by 0, and nonnegative constants."""
    if any(param is not None for param, _ in expr.groups) or any(
        param is not None for param, _ in expr.const
    ):
        return False
    if np.any(expr.val < 0) or np.any(expr.constant_value() < 0):
        return False
    lower = [columns[j].lb for j in set(expr.col.tolist())]
    return all(lb is not None and lb >= 0.0 for lb in lower)


def _pooled(takes: tuple[str, ...], sets: list[tuple[str, ...]]) -> bool:
    """Whether an inlet's connections may share one flow each and the inlet one backup.

    Exact when its categories share one backup price (the backup may then
    serve any of them) and the category sets of its connections nest (a
    laminar family: any two are disjoint or one holds the other), where
    Hall's condition over the unions of the sets is what a split over the
    categories needs, and the split can be recovered greedily
    (:meth:`Allocation.unmet`).
    """
    prices = {CATEGORIES[k].backup for k in takes}
    if len(takes) < 2 or len(prices) != 1 or None in prices:
        return False
    return all(
        set(a) <= set(b) or set(b) <= set(a) or not set(a) & set(b)
        for a, b in itertools.combinations(sets, 2)
    )


def _unions(sets: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Every union of some of ``sets`` (each sorted as the first set lists it)."""
    order = {k: i for i, k in enumerate(k for s in sets for k in s)}
    found: set[frozenset[str]] = set()
    for n in range(1, len(sets) + 1):
        for combo in itertools.combinations(sets, n):
            found.add(frozenset().union(*map(frozenset, combo)))
    return [tuple(sorted(u, key=order.__getitem__)) for u in sorted(found, key=len)]


def _categories(outlet: Port, inlet: Port) -> list[str | None]:
    """The categories a connection's flow is split by: what the outlet serves and the inlet
    takes (one flow, None, for gas and for a unit's draw)."""
    if not inlet.takes:
        return [None]
    return [k for k in inlet.takes if not outlet.serves or k in outlet.serves]


def _currency_unit(code: str, units: bool) -> str:
    """The currency as a Pyomo unit name (defined in Pyomo's registry when units are on).

    A code that pint already knows as another unit (``BTU``, British thermal units) is
    named ``currency_<code>`` instead, so that costs stay money.
    """
    name = code if code.isidentifier() else "currency"
    if units:
        import pyomo.environ as pyo

        for candidate in (name, f"currency_{name}"):
            try:
                unit = getattr(pyo.units, candidate)
            except AttributeError:
                pyo.units.load_definitions_from_strings([f"{candidate} = [currency]"])
                return candidate
            if dict(unit._get_pint_unit().dimensionality) == {"[currency]": 1}:
                return candidate
    return name


def check_prices(district: District, objective: str) -> None:
    """A cost objective needs prices; raise naming the key before any model is built."""
    if objective == "cost" and district.optimize.prices is None:
        raise DistrictError(
            "the cost objective needs [optimize.prices] (electricity_import_per_kWh, "
            "heat_backup_per_kWh, source)",
            file=district.file,
            key="optimize.prices",
        )
