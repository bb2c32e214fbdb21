"""Node types: the one extension point of nexus.

Every source, unit and sink of a district has a *type* (``households``,
``greywater_heat_pump``, ``sewer`` ...). A type is a subclass of
:class:`SourceType`, :class:`UnitType` or :class:`SinkType` that declares,
in one place next to its physics:

- its **ports** (:class:`Port`): kind (water, gas, heat, electricity),
  direction, and for heat and electricity what demand it serves or takes;
- its **parameters**: one frozen parameter dataclass for its file table, or
  one per sub-table (``[units.NAME.exchanger]``); the district-file schema is
  derived from them;
- its **design sizes** (:class:`Size`): which parameters an optimizer may
  choose, and whether the unit's performance is sampled at several sizes or
  linear in the size;
- its **outputs** (:class:`Output`): hourly series with CF ``units`` and
  ``long_name``, the role each plays in district totals (:data:`ROLES`) and
  the annual key figure it gives;
- how it **runs** in a simulation (:meth:`NodeType.run`), how the optimizer
  **samples** its performance (:meth:`NodeType.sample`) and **builds** its
  part of the model (:meth:`NodeType.build`), and derived key figures
  (:meth:`NodeType.kpis`).

Loading, simulation, key figures, balances, performance maps, the model,
solving and verification iterate over these declarations; none of them
branches on a type's name. :func:`register` adds a type (nexus registers its
own on first use; a package may offer more through the ``nexus.node_types``
entry-point group); ``docs/adding_a_unit.md`` walks through a complete example.

Demand categories (:data:`CATEGORIES`) say what a heat or electricity inlet
asks for and what buys it when no connected supplier gives it (backup heat,
electricity from the grid). Roles (:data:`ROLES`) say what an output counts
towards across the district (heat recovered, phosphorus returned to farms ...).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from nexus.errors import NexusError, ParameterError

if TYPE_CHECKING:
    import pandas as pd
    from pydantic import BaseModel

    from nexus._typing import FloatArray, Floats
    from nexus.indicators import NodeView
    from nexus.optimize.maps import Column, SampleContext
    from nexus.optimize.model import BuildContext
    from nexus.streams import Stream

__all__ = [
    "ANNUAL",
    "CATEGORIES",
    "KINDS",
    "RESERVED_NAMES",
    "ROLES",
    "Category",
    "NodeInputs",
    "NodeResult",
    "NodeType",
    "Output",
    "Port",
    "Ratio",
    "Role",
    "SinkType",
    "Size",
    "SourceType",
    "UnitType",
    "node_type",
    "node_types",
    "register",
    "unregister",
]

log = logging.getLogger(__name__)

#: Port kinds: what a connection carries.
KINDS = ("water", "gas", "heat", "electricity")
#: Port kinds whose outlet feeds exactly one inlet (matter, not power).
SINGLE_FEED_KINDS = ("water", "gas")


@dataclass(frozen=True)
class Category:
    """A demand category of heat or electricity inlets.

    Attributes
    ----------
    kind : str
        ``"heat"`` or ``"electricity"``.
    plain : str
        Plain-language name for messages and key figures.
    backup : str or None
        Price key of ``[optimize.prices]`` at which demand no connected
        supplier meets is bought (backup heat, grid electricity); None for a
        demand that nothing buys: without a limit (grid export) or, with
        ``links_only``, met by its connections alone.
    links_only : bool
        A limited demand that only connected suppliers meet (the low-temperature
        heat a heat pump lifts: no backup can stand in for a waste-heat source).
        The optimizer balances it with the connections alone; a simulation
        runs the unit within what they give (``NodeInputs.received_kW``).
    """

    kind: str
    plain: str
    backup: str | None
    links_only: bool = False

    @property
    def unlimited(self) -> bool:
        """Whether the category takes any amount (no demand to meet)."""
        return self.backup is None and not self.links_only


#: Demand categories, in the order a supplier's ``serves`` usually lists them.
CATEGORIES: dict[str, Category] = {
    "process": Category("heat", "process heat", "heat_backup_per_kWh"),
    "space_heating": Category("heat", "space-heating", "heat_backup_per_kWh"),
    "dhw": Category("heat", "hot-water", "heat_backup_per_kWh"),
    "low_grade": Category("heat", "low-temperature source heat", None, links_only=True),
    "ev": Category("electricity", "electric-vehicle charging", "electricity_import_per_kWh"),
    "export": Category("electricity", "grid export", None),
}


@dataclass(frozen=True)
class Role:
    """What an output counts towards across the district.

    Attributes
    ----------
    units : str
        Units every output with this role must have (UDUNITS).
    plain : str
        Plain name of the district total (a key figure), e.g. ``"heat recovered"``.
    element : str, optional
        The balance element the role recovers (``"P"``), whose share of what the
        district's sources release is a key figure too.
    """

    units: str
    plain: str
    element: str | None = None


#: Roles of outputs: outputs with a role are summed over the district (key figures,
#: the optimizer's objectives and the verification of its designs read them).
ROLES: dict[str, Role] = {
    "heat_recovered": Role("kW", "heat recovered"),
    "heat_demand": Role("kW", "space heating and hot water demand"),
    "heat_network_loss": Role("kW", "heat lost by heat networks"),
    "ev_demand": Role("kW", "electric-vehicle charging demand"),
    "P_recovered": Role("kg h-1", "phosphorus recovered for farms", element="P"),
    "N_recovered": Role("kg h-1", "nitrogen recovered for farms", element="N"),
    "K_recovered": Role("kg h-1", "potassium recovered for farms", element="K"),
}

#: How an hourly output becomes an annual key figure: units -> (label units, factor).
ANNUAL: dict[str, tuple[str, float]] = {
    "kW": ("MWh/yr", 1e-3),
    "kg h-1": ("kg/yr", 1.0),
    "t h-1": ("t/yr", 1.0),
    "m3 h-1": ("m3/yr", 1.0),
    "currency h-1": ("{currency}/yr", 1.0),
}

#: Names of the district-wide variables of a result: no output or size may take them.
RESERVED_NAMES = frozenset(
    {
        "flow_m3_h",
        "T_C",
        "load_kg_h",
        "heat_kW",
        "electricity_kW",
        "methane_Nm3_h",
        "T_out_C",
        "T_mains_C",
        "removed_kg_h",
        "dosed_kg_h",
        "accumulation_kg_h",
        "heat_loss_kW",
        "water_lost_m3_h",
        "heat_accumulation_kW",
        "heat_held_kWh",
        "fuel_kW",
        "heat_backup_kW",
        "weight_h",
        "period_hours",
    }
)


@dataclass(frozen=True)
class Port:
    """A port of a node.

    Attributes
    ----------
    name : str
        Name used in connections (``node.port``).
    kind : str
        One of :data:`KINDS`.
    direction : str
        ``"in"`` or ``"out"``.
    required : bool
        Whether the district file must connect it.
    serves : tuple of str
        Heat and electricity outlets: the demand categories (:data:`CATEGORIES`)
        they serve, in priority order; empty: any (a grid).
    takes : tuple of str
        Heat and electricity inlets: the demand categories they take; empty:
        the unit's own use (an electricity draw, met in full by its grid).
    within_h : int
        Heat inlets: 0 (default), the demand is met hour by hour; a divisor of
        24, the unit holds the heat (its thermal mass) so that the demand of
        each period of ``within_h`` hours may be met at any hour of it. The
        network then balances the period, and reports the heat the unit holds
        as its ``heat_accumulation_kW`` (summing to 0 over each period).
    temperature : str or None
        Heat ports: the parameter path (``"supply_T_C"``) holding the port's
        temperature level [degC], the level an outlet delivers at or an inlet
        needs. A heat connection between two ports that both state one must
        run from a level at least as high as the inlet's (a loading error
        otherwise: a colder source needs a heat pump between them); None:
        not stated, not checked (every port of nexus's older types).
    """

    name: str
    kind: str
    direction: str
    required: bool = True
    serves: tuple[str, ...] = ()
    takes: tuple[str, ...] = ()
    within_h: int = 0
    temperature: str | None = None


@dataclass(frozen=True)
class Output:
    """An hourly result series of a node type.

    An output name means one thing across every type: two types declaring
    the same name must declare it alike (checked by :func:`register`).

    Attributes
    ----------
    name : str
        Variable name in results, unit last (``heat_recovered_kW``).
    units : str
        CF ``units`` (UDUNITS spelling).
    long_name : str
        CF ``long_name``.
    role : str, optional
        Key of :data:`ROLES`: what the output counts towards across the district.
    annual : str, optional
        Plain label of the node's annual key figure (the output summed over
        the year), e.g. ``"biogas"``; None if the output is not a key figure.
    annual_units : str, optional
        Units in the key figure's label where they differ from the
        :data:`ANNUAL` default (``"Nm3/yr"`` for normal cubic metres).
    optional : bool
        A run may leave it out (e.g. a pH that is unknown); it is then
        missing (NaN) for that node in the results.
    """

    name: str
    units: str
    long_name: str
    role: str | None = None
    annual: str | None = None
    annual_units: str | None = None
    optional: bool = False


@dataclass(frozen=True)
class Ratio:
    """A key figure of a node that is a ratio of two of its outputs over the year.

    Attributes
    ----------
    plain : str
        Plain label (``"seasonal performance factor"``).
    units : str
        Units in the label (``"-"``, ``"%"``).
    numerator, denominator : str
        Output names; the figure is left out where the denominator's total is 0.
    factor : float
        Multiplies the ratio (100 for a percentage).
    """

    plain: str
    units: str
    numerator: str
    denominator: str
    factor: float = 1.0


@dataclass(frozen=True)
class Size:
    """A design size of a unit type: a parameter the optimizer may choose.

    Attributes
    ----------
    key : str
        Parameter path in the unit's table: ``"V_m3"`` or ``"exchanger.area_m2"``;
        its last part is the size's name in ``[optimize.design.UNIT]``.
    sampled : bool
        True if the unit's performance is sampled at several sizes and
        interpolated (a digester's volume); False if the model is linear in
        the size (a capacity bound).
    """

    key: str
    sampled: bool = False

    @property
    def name(self) -> str:
        """Name of the size in ``[optimize.design.UNIT]`` and in results."""
        return self.key.rpartition(".")[2]

    @property
    def table(self) -> str:
        """Sub-table holding the parameter (``""`` for the unit's own table)."""
        return self.key.rpartition(".")[0]


@dataclass(frozen=True)
class NodeInputs:
    """What a node receives when the network runs it.

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
    time : pandas.DatetimeIndex
        Start of each hourly step.
    seed : int
        Seed for random profiles (sources): the district's seed plus a
        stable offset per node.
    demand_kW : dict of str to dict of str to numpy.ndarray
        Sinks: for each inlet, the demand by category it was asked to meet [kW].
    unmet_kW : dict of str to dict of str to numpy.ndarray
        Sinks: for each inlet, the demand by category no supplier met [kW].
    connected : frozenset of str
        The node's ports the district connects (an optional outlet left
        unconnected may change what the node does, e.g. a digester without a
        sludge outlet keeps its solids in the effluent).
    received_kW : dict of str to numpy.ndarray
        Units, heat inlets of a links-only category (a heat pump's source):
        what the connected suppliers gave in a first run of the network that
        left the inlet short [kW]; the unit then runs within it. Empty on a
        first run (``nexus.simulation.run_network``).
    """

    inlets: dict[str, Stream]
    gas_Nm3_h: dict[str, FloatArray]
    open_demand_kW: dict[str, FloatArray]
    T_mains_C: FloatArray
    T_out_C: FloatArray
    time: pd.DatetimeIndex
    seed: int = 0
    demand_kW: dict[str, dict[str, FloatArray]] = field(default_factory=dict)
    unmet_kW: dict[str, dict[str, FloatArray]] = field(default_factory=dict)
    connected: frozenset[str] = frozenset()
    received_kW: dict[str, FloatArray] = field(default_factory=dict)


@dataclass
class NodeResult:
    """What a node returns to the network.

    Its balances, every hour: water in = water out + ``water_lost_m3_h``;
    element in water + ``dosed_kg_h`` = element in
    water out + ``removed_kg_h`` + ``accumulation_kg_h``; energy: sensible
    heat of water in + electricity drawn + heat received + ``fuel_kW`` =
    sensible heat of water out + power supplied + ``heat_loss_kW`` +
    ``heat_accumulation_kW``. Heat a unit needs but does not receive is
    counted by the network as backup heat. Sources release water and
    demands; their balances are not checked.
    """

    #: Water leaving through each water outlet.
    outlets: dict[str, Stream] = field(default_factory=dict)
    #: Power supplied through each heat or electricity outlet [kW].
    supply_kW: Mapping[str, Floats] = field(default_factory=dict)
    #: Electricity drawn through each electricity inlet [kW].
    draw_kW: Mapping[str, Floats] = field(default_factory=dict)
    #: Heat or electricity the unit asks for through each inlet that takes a category [kW].
    demand_kW: Mapping[str, Floats] = field(default_factory=dict)
    #: Sources: demand by category, for the sinks that serve them [kW].
    source_demand_kW: Mapping[str, FloatArray] = field(default_factory=dict)
    #: Methane leaving through each gas outlet [Nm3/h].
    gas_Nm3_h: Mapping[str, Floats] = field(default_factory=dict)
    #: Declared outputs, by name [their declared units].
    outputs: dict[str, Floats] = field(default_factory=dict)
    fuel_kW: Floats = 0.0
    #: Water leaving the unit to the air (evapotranspiration), pure [m3/h].
    water_lost_m3_h: Floats = 0.0
    heat_loss_kW: Floats = 0.0
    heat_accumulation_kW: Floats = 0.0
    #: Heat held in the unit at the end of the step [kWh] (sets the rounding scale of
    #: its energy balance).
    heat_held_kWh: Floats = 0.0
    #: Element mass leaving the water as a product or a gas [kg/h], by element.
    removed_kg_h: Mapping[str, Floats] = field(default_factory=dict)
    #: Element mass held back in the unit (positive) or released (negative) [kg/h].
    accumulation_kg_h: Mapping[str, Floats] = field(default_factory=dict)
    #: Element mass added to the water by dosing chemicals [kg/h], by element.
    dosed_kg_h: Mapping[str, Floats] = field(default_factory=dict)


class NodeType:
    """Base of every source, unit and sink type (see the module docstring).

    Subclasses set the class attributes and implement :meth:`run`; a type
    the optimizer can model implements :meth:`build` (and :meth:`sample` if
    it needs hourly series from its unit model). Instances are registered
    with :func:`register` and pickle by name.

    Attributes
    ----------
    role : {"source", "unit", "sink"}
        Set by the three base classes.
    name : str
        The ``type`` a district file gives.
    description : str
        One line, for ``nexus units`` and the docs.
    ports : tuple of Port
    params : type, dict of str to type, or None
        Frozen parameter dataclass of the node's table, one per sub-table, or
        None for a node without parameters.
    sizes : tuple of Size
        Parameters an optimizer may choose; a size is required in the file.
    outputs : tuple of Output
    ratios : tuple of Ratio
        Key figures that are ratios of two outputs over the year.
    routable_inlets : tuple of str
        Water inlets an ``[[optimize.routes]]`` entry may lead to (the unit's
        :meth:`sample` runs each column with the feed it receives).
    fed_by : dict of str to tuple of str
        Water inlets that need water which has passed a node of one of the
        given types (directly or through other units), e.g. a struvite reactor
        needs a digester's water (its pH); checked when a district is loaded.
    leads_to : dict of str to tuple of str
        Water outlets whose water must reach a node of one of the given types
        (directly or through other units), e.g. a nitrification unit's product
        must reach a farm, as it counts the product's nitrogen as recovered for
        farms; checked when a district is loaded.
    heavy_sample : bool
        Whether each run of :meth:`sample` is expensive (a digester's ADM1 steady
        states: seconds per sampled size): with two or more such units whose sizes
        are chosen, the optimizer samples them in worker processes, in parallel
        (:func:`nexus.optimize.maps.sample_maps`).
    passive : bool
        Whether the node takes or gives any amount, whatever arrives, with no limit
        and nothing it returns depending on another node (the grid, the sewer): nodes
        joined only through it do not affect one another, so a district falls into
        islands simulated one at a time (:mod:`nexus.islands`).
    """

    role: ClassVar[str] = ""
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    ports: ClassVar[tuple[Port, ...]] = ()
    params: ClassVar[type | Mapping[str, type] | None] = None
    sizes: ClassVar[tuple[Size, ...]] = ()
    outputs: ClassVar[tuple[Output, ...]] = ()
    ratios: ClassVar[tuple[Ratio, ...]] = ()
    routable_inlets: ClassVar[tuple[str, ...]] = ()
    fed_by: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    leads_to: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    heavy_sample: ClassVar[bool] = False
    passive: ClassVar[bool] = False

    # ------------------------------------------------------------ simulation
    def run(self, params: Any, inputs: NodeInputs) -> NodeResult:
        """Run the node over the hours of ``inputs``.

        Parameters
        ----------
        params : Any
            As :meth:`make_params` built them from the file.
        inputs : NodeInputs

        Returns
        -------
        NodeResult
        """
        raise NotImplementedError(f"node type {self.name!r} does not say how it runs")

    def check_feed(self, params: Any, inputs: NodeInputs) -> None:
        """Refuse, in a moment and before anything runs, parameters that cannot run on a
        feed (``nexus validate`` calls it on what the sources give a unit fed by them
        straight: ``nexus.simulation.preflight``). The default checks nothing.

        Raises
        ------
        nexus.NexusError
            Saying what is wrong and what is expected.
        """

    def inlet_demand_kW(self, params: Any, demand_kW: FloatArray) -> FloatArray:
        """The demand a sink's inlet asks its suppliers for, given the demand of the
        sources it serves [kW]; the default asks for that demand itself (a network
        with distribution losses asks for more: :class:`nexus.sinks.HeatNetworkType`)."""
        return demand_kW

    # ------------------------------------------------------------ optimizer
    def sample(self, ctx: SampleContext, columns: list[Column]) -> dict[str, FloatArray]:
        """Hourly series the optimizer needs, one row per sampled column.

        Parameters
        ----------
        ctx : nexus.optimize.maps.SampleContext
            The node's parameters, what it received and its outputs in the
            simulation with the file's sizes, and the sampled water of the
            units upstream.
        columns : list of nexus.optimize.maps.Column
            The runs to make: each with parameters at sampled sizes and the
            inputs with one feed (routes).

        Returns
        -------
        dict of str to numpy.ndarray
            Series by name, shape (columns, time) or (time,) where the same
            for every column. Empty by default: nothing to sample.
        """
        return {}

    def build(self, ctx: BuildContext) -> None:
        """Add the node's variables and constraints to the optimizer's model.

        Parameters
        ----------
        ctx : nexus.optimize.model.BuildContext
            The node's Block, its sizes, its sampled series, the flows at its
            ports and the prices; see ``docs/adding_a_unit.md``.

        The default adds nothing: right for a node that only passes water
        (:attr:`optimizable` says whether a type without its own ``build``
        can be modelled).
        """

    def check_design(self, params: Any, chosen: set[str]) -> dict[str, str]:
        """Problems with letting the optimizer choose the sizes ``chosen`` of a unit whose
        other parameters are ``params``: ``{size name: what is wrong and what was
        expected}``, empty if none (the default)."""
        return {}

    @property
    def takes_demand(self) -> bool:
        """Whether an inlet of the type takes a limited demand category (a sink that then
        ``serves`` households: heat network, EV charging; not the grid's export)."""
        return any(not CATEGORIES[c].unlimited for p in self.ports for c in p.takes)

    @property
    def optimizable(self) -> bool:
        """Whether the optimizer can model a node of this type.

        True if the type implements :meth:`build`, or if its only ports
        carry water and it has no sizes (the water it passes is what the
        simulation with the file's sizes gives).
        """
        if type(self).build is not NodeType.build:
            return True
        return not self.sizes and all(p.kind == "water" for p in self.ports)

    # ------------------------------------------------------------ key figures
    def kpis(self, node: NodeView) -> dict[str, float]:
        """Annual key figures of one node, by plain label with units in brackets.

        The default gives each output declared with ``annual`` (an optional one only
        where the node gave it) and each of the type's ``ratios`` whose denominator is
        not 0; override to add figures that need more (and call ``super().kpis(node)``).
        """
        out = {
            node.label(o.annual, annual_units(o)): node.annual(o.name)
            for o in self.outputs
            if o.annual is not None and (not o.optional or node.has(o.name))
        }
        for r in self.ratios:
            below = node.total(r.denominator)
            if below > 0:
                out[node.label(r.plain, r.units)] = r.factor * node.total(r.numerator) / below
        return out

    # ------------------------------------------------------------ parameters
    @functools.cached_property
    def model(self) -> type[BaseModel]:
        """The pydantic model of the node's table in a district file."""
        from pydantic import Field, create_model

        from nexus.schema import CONFIG, params_model

        required = {size.key for size in self.sizes}
        tables = self.tables
        if set(tables) == {""}:
            return params_model(tables[""], frozenset(required))
        fields: dict[str, Any] = {}
        for key, cls in tables.items():
            sizes = frozenset(r.name for r in self.sizes if r.table == key)
            table = params_model(cls, sizes)
            # a table without a size may be left out: its defaults hold
            fields[key] = (table, ...) if sizes else (table, Field(default_factory=table))
        title = "".join(part.title() for part in self.name.split("_")) + "Model"
        return create_model(title, __config__=CONFIG, **fields)

    @property
    def tables(self) -> dict[str, type]:
        """Parameter dataclass of each table (``""`` for the node's own table)."""
        if self.params is None:
            return {}
        if isinstance(self.params, Mapping):
            return dict(self.params)
        return {"": self.params}

    def make_params(self, validated: BaseModel) -> Any:
        """The parameters the node runs with, from its validated file table."""
        tables = self.tables
        if not tables:
            return None
        if set(tables) == {""}:
            return tables[""](**validated.model_dump())
        return {key: cls(**getattr(validated, key).model_dump()) for key, cls in tables.items()}

    def size_value(self, params: Any, key: str) -> float:
        """The value of a parameter path (``"exchanger.area_m2"``) in ``params``."""
        table, _, name = key.rpartition(".")
        return float(getattr(params[table] if table else params, name))

    def with_values(self, params: Any, values: Mapping[str, float]) -> Any:
        """``params`` with some parameter paths replaced (ranges checked again).

        Raises
        ------
        nexus.ParameterError
            A value out of its parameter's range.
        """
        out: Any = dict(params) if isinstance(params, dict) else params
        for key, value in values.items():
            table, _, name = key.rpartition(".")
            if table:
                out[table] = dataclasses.replace(out[table], **{name: value})
            else:
                out = dataclasses.replace(out, **{name: value})
        return out

    def size_units(self, size: Size) -> str:
        """Units of a size (UDUNITS), from its parameter's metadata."""
        table = self.tables[size.table]
        for f in dataclasses.fields(table):
            if f.name == size.name:
                return str(f.metadata["unit"])
        raise KeyError(size.key)

    # ------------------------------------------------------------ ports
    def port(self, name: str) -> Port:
        """The port called ``name`` (KeyError if none)."""
        for p in self.ports:
            if p.name == name:
                return p
        raise KeyError(name)

    def output(self, name: str) -> Output:
        """The declared output called ``name`` (KeyError if none)."""
        for o in self.outputs:
            if o.name == name:
                return o
        raise KeyError(name)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return node_type, (self.name,)

    def __repr__(self) -> str:
        return f"<{self.role} type {self.name!r}>"


class SourceType(NodeType):
    """A source: releases water (and demands heat, hot water, charging) into the district."""

    role = "source"

    def build(self, ctx: BuildContext) -> None:
        """Nothing to add: a source's demands reach the model through the sinks serving it."""


class UnitType(NodeType):
    """A unit process: takes water, gas, heat or electricity in and gives them out."""

    role = "unit"


class SinkType(NodeType):
    """A sink: where flows leave the district (sewer, farm, grid, heat network ...)."""

    role = "sink"


def _has_param(node: NodeType, key: str) -> bool:
    """Whether a parameter path (``"heat_pump.supply_T_C"``) names a field of the type."""
    table, _, name = key.rpartition(".")
    tables = node.tables
    return table in tables and name in {f.name for f in dataclasses.fields(tables[table])}


def annual_units(output: Output) -> str:
    """Units in the label of an output's annual key figure (``"MWh/yr"``)."""
    return output.annual_units or ANNUAL[output.units][0]


# ---------------------------------------------------------------- registry

#: Modules that register nexus's own node types when imported.
BUILTIN_MODULES = (
    "nexus.sources",
    "nexus.cosubstrates",
    "nexus.sinks",
    "nexus.units.heat_recovery",
    "nexus.units.digester",
    "nexus.units.chp",
    "nexus.units.boiler",
    "nexus.units.struvite",
    "nexus.units.stripping",
    "nexus.units.nitrification",
    "nexus.units.wetland",
    "nexus.units.feed_plant",
    "nexus.units.waste_to_energy",
    "nexus.buildings",
)
#: Entry-point group through which other packages offer node types.
ENTRY_POINT_GROUP = "nexus.node_types"

_REGISTRY: dict[str, NodeType] = {}
_loaded = False


def _load_builtin() -> None:
    """Import nexus's own node types and those other packages offer, once."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry.load()
        except Exception as exc:  # a broken plug-in must not stop nexus's own types
            log.warning("node types from %s could not be loaded: %s", entry.value, exc)


def register(node: NodeType, *, replace: bool = False) -> NodeType:
    """Add a node type to the registry, after checking its declarations.

    Parameters
    ----------
    node : NodeType
        An instance of a :class:`SourceType`, :class:`UnitType` or
        :class:`SinkType` subclass.
    replace : bool
        Replace a registered type of the same name (otherwise an error).

    Returns
    -------
    NodeType
        ``node``, so that ``register`` can wrap an instantiation.

    Raises
    ------
    nexus.ParameterError
        A declaration that contradicts itself or another registered type,
        with what was expected.
    """
    if not isinstance(node, NodeType) or node.role not in ("source", "unit", "sink"):
        raise ParameterError(
            f"{node!r} is not a node type; expected an instance of a SourceType, UnitType or "
            "SinkType subclass"
        )
    if not replace:
        _load_builtin()
    if node.name in _REGISTRY and not replace and _REGISTRY[node.name] is not node:
        raise ParameterError(
            f"a node type named {node.name!r} is registered already; expected a new name "
            "(or register(..., replace=True))"
        )
    _check_declarations(node)
    _REGISTRY[node.name] = node
    return node


def unregister(name: str) -> None:
    """Remove a node type from the registry (a test's type, say); KeyError if absent."""
    del _REGISTRY[name]


def node_type(name: str) -> NodeType:
    """The registered node type called ``name``.

    Raises
    ------
    nexus.NexusError
        No type of that name, naming the registered ones.
    """
    _load_builtin()
    if name not in _REGISTRY:
        raise NexusError(
            f"no node type {name!r} is registered; expected one of: {', '.join(sorted(_REGISTRY))}"
        )
    return _REGISTRY[name]


def node_types(role: str | None = None) -> dict[str, NodeType]:
    """Registered node types by name, all or those of one role (sorted by name)."""
    _load_builtin()
    return {k: v for k, v in sorted(_REGISTRY.items()) if role is None or v.role == role}


def _check_declarations(node: NodeType) -> None:
    """Raise ParameterError where a type's declarations contradict each other or others."""
    import re

    def fail(what: str) -> NoReturn:
        raise ParameterError(f"node type {node.name!r}: {what}")

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", node.name or ""):
        fail("name must be lower-case letters, digits and underscores")
    names = [p.name for p in node.ports]
    if len(set(names)) != len(names):
        fail(f"port names repeat: {names}")
    for p in node.ports:
        if p.kind not in KINDS or p.direction not in ("in", "out"):
            fail(
                f"port {p.name!r}: kind {p.kind!r}, direction {p.direction!r}; expected a kind "
                f"in {KINDS} and 'in' or 'out'"
            )
        for c in (*p.serves, *p.takes):
            if c not in CATEGORIES or CATEGORIES[c].kind != p.kind:
                fail(
                    f"port {p.name!r}: {c!r} is not a {p.kind} demand category; expected one "
                    f"of {[k for k, v in CATEGORIES.items() if v.kind == p.kind]}"
                )
        if (p.serves and p.direction != "out") or (p.takes and p.direction != "in"):
            fail(f"port {p.name!r}: 'serves' belongs to outlets, 'takes' to inlets")
        if p.kind == "heat" and p.direction == "in" and not p.takes:
            fail(f"heat inlet {p.name!r} takes no demand category; expected takes=('process',)")
        if p.temperature is not None and (p.kind != "heat" or not _has_param(node, p.temperature)):
            fail(
                f"port {p.name!r}: temperature {p.temperature!r} belongs to a heat port and "
                "must name a parameter of the type's tables"
            )
        if p.within_h and not (
            p.kind == "heat" and p.direction == "in" and len(p.takes) == 1 and 24 % p.within_h == 0
        ):
            fail(
                f"port {p.name!r}: within_h={p.within_h} belongs to a heat inlet of one category "
                "and must divide 24 (the optimizer's typical days)"
            )
    for inlet in node.routable_inlets:
        if inlet not in names or node.port(inlet).kind != "water":
            fail(f"routable inlet {inlet!r} is not a water inlet of the type")
    if node.passive and (node.sizes or type(node).sample is not NodeType.sample):
        fail("a passive type takes what arrives: it has no sizes and nothing to sample")
    for outlet in node.leads_to:
        if outlet not in names or (node.port(outlet).kind, node.port(outlet).direction) != (
            "water",
            "out",
        ):
            fail(f"leads_to names {outlet!r}, which is not a water outlet of the type")
    seen: set[str] = set()
    for o in node.outputs:
        if o.name in seen or o.name in RESERVED_NAMES:
            fail(f"output {o.name!r} repeats or takes a reserved name ({sorted(RESERVED_NAMES)})")
        seen.add(o.name)
        if o.role is not None and (o.role not in ROLES or ROLES[o.role].units != o.units):
            fail(f"output {o.name!r}: role {o.role!r} needs a key of ROLES and its units")
        if o.annual is not None and o.units not in ANNUAL:
            fail(
                f"output {o.name!r} has an annual key figure but units {o.units!r}; expected "
                f"one of {list(ANNUAL)} (hourly flows)"
            )
        for other in _REGISTRY.values():
            if other.name == node.name:
                continue
            for theirs in other.outputs:
                if theirs.name == o.name and theirs != o:
                    fail(
                        f"output {o.name!r} is declared as {theirs} by {other.name!r}; expected "
                        "the same declaration (one name, one meaning) or another name"
                    )
    for r in node.ratios:
        if not {r.numerator, r.denominator} <= seen:
            fail(f"ratio {r.plain!r} refers to outputs the type does not declare")
    for size in node.sizes:
        if not _has_param(node, size.key):
            fail(f"size {size.key!r} is not a parameter of the type's tables")
        if size.name in seen or size.name in RESERVED_NAMES:
            fail(f"size {size.name!r} takes the name of an output or a reserved name")
        seen.add(size.name)
        for other in _REGISTRY.values():
            units = {s.name: other.size_units(s) for s in other.sizes if other.name != node.name}
            if size.name in units and units[size.name] != node.size_units(size):
                fail(
                    f"size {size.name!r} has units {node.size_units(size)!r} where "
                    f"{other.name!r} has {units[size.name]!r}; expected one unit per size name"
                )
    if node.sizes and not node.optimizable:
        fail("declares sizes but no build(); the optimizer could not choose them")
