"""Loading and checking a district file.

``load_district(path)`` reads a TOML file, validates every table with the
models of :mod:`nexus.schema` and the node types of :mod:`nexus.registry`,
then checks the network: every connection names an existing port of the right
kind and direction, every required port is connected, an outlet feeds one
inlet, and there is no loop. Any problem raises :class:`nexus.DistrictError`
naming the file, the key path and what was expected.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import math
import os
import re
import tomllib
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from nexus.errors import DistrictError, NexusError, ParameterError
from nexus.registry import (
    CATEGORIES,
    SINGLE_FEED_KINDS,
    NodeType,
    Port,
    node_type,
    node_types,
)
from nexus.schema import DistrictFile, Emissions, Optimize

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

__all__ = ["Connection", "District", "Node", "check_depth", "district_from_dict", "load_district"]

_CONNECTION = re.compile(r"^\s*(\w+)\.(\w+)\s*->\s*(\w+)\.(\w+)\s*$")
#: Deepest nesting of tables and arrays a district file may have (the schema needs 5).
MAX_DEPTH = 20
#: District-file sections holding nodes, and the role of their nodes.
SECTIONS = {"sources": "source", "units": "unit", "sinks": "sink"}


@dataclass(frozen=True)
class Connection:
    """A connection ``node.port -> node.port`` between two ports of one kind."""

    src: str
    src_port: str
    dst: str
    dst_port: str
    kind: str
    index: int

    @property
    def label(self) -> str:
        """The connection as written in the file."""
        return f"{self.src}.{self.src_port} -> {self.dst}.{self.dst_port}"


@dataclass(frozen=True)
class Node:
    """A source, unit or sink of the district: its name, type and validated parameters.

    Attributes
    ----------
    name : str
    type : nexus.registry.NodeType
    params : Any
        What :meth:`~nexus.registry.NodeType.make_params` built from the file.
    serves : tuple of str or None
        Sinks that take a demand: the sources whose demand they serve (None: all).
    """

    name: str
    type: NodeType
    params: Any
    serves: tuple[str, ...] | None = None

    @property
    def role(self) -> str:
        """``"source"``, ``"unit"`` or ``"sink"``."""
        return self.type.role

    @property
    def section(self) -> str:
        """The district-file section the node is in (``"units"``)."""
        return {v: k for k, v in SECTIONS.items()}[self.role]


@dataclass(frozen=True)
class District:
    """A validated district, ready to simulate.

    Attributes
    ----------
    file : str
        The file it was read from (``"<dict>"`` when built in memory).
    sha256 : str
        Hash of the file's bytes (of the data's repr when built in memory).
    info : nexus.schema.DistrictInfo
        Name, description, year, seed and currency.
    weather_file : pathlib.Path or None
        Hourly weather CSV; None for the packaged Amsterdam typical year.
    sources, units, sinks : dict of str to Node
        The nodes of each section, in file order.
    connections : tuple of Connection
        In file order.
    order : tuple of str
        Sources and units in an order where every node comes after the
        nodes feeding it.
    optimize : nexus.schema.Optimize
    emissions : nexus.schema.Emissions or None
        CO2 factors (``[emissions]``), if the file gives them.
    data : dict
        The validated file content, from which variants are made
        (:meth:`with_values`).
    base_dir : pathlib.Path or None
        Folder relative to which the file's paths are read.
    """

    file: str
    sha256: str
    info: Any
    weather_file: Path | None
    sources: dict[str, Node]
    units: dict[str, Node]
    sinks: dict[str, Node]
    connections: tuple[Connection, ...]
    order: tuple[str, ...]
    optimize: Optimize
    emissions: Emissions | None
    data: dict[str, Any]
    base_dir: Path | None

    @property
    def name(self) -> str:
        """District name."""
        return str(self.info.name)

    @property
    def stated_year(self) -> int | None:
        """``[district] year`` if the file states it (a weather file's year must match), else
        None (the weather file's year, or 2025 for the packaged typical year, is used)."""
        return int(self.info.year) if "year" in self.info.model_fields_set else None

    @property
    def nodes(self) -> dict[str, Node]:
        """Every node by name: sources, units, then sinks."""
        return {**self.sources, **self.units, **self.sinks}

    def with_values(self, values: dict[str, Any]) -> District:
        """The same district with some values of its file replaced, validated again.

        Parameters
        ----------
        values : dict
            ``{dotted key path: value}``, key paths as in the file
            (``"units.gw_hp.exchanger.area_m2"``, ``"optimize.typical_days"``);
            a missing table on the path is created.

        Returns
        -------
        District
            As if the file had said so; errors name the key path.

        Raises
        ------
        nexus.DistrictError
            A path through something that is not a table, or a value the
            file could not hold.
        """
        if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
            raise ParameterError(
                f"with_values: values is a {type(values).__name__}; expected "
                "{dotted key path: value}"
            )
        data = copy.deepcopy(self.data)
        for path, value in values.items():
            *tables, key = path.split(".")
            target = data
            for i, part in enumerate(tables):
                target = target.setdefault(part, {})
                if not isinstance(target, dict):
                    raise DistrictError(
                        f"{'.'.join(tables[: i + 1])} is not a table; expected a key path through "
                        "tables",
                        file=self.file,
                        key=path,
                    )
            target[key] = value
        return district_from_dict(data, file=self.file, base_dir=self.base_dir)

    def without(self, *units: str) -> District:
        """The same district with units taken out, as a scenario's ``disable`` does.

        Parameters
        ----------
        *units : str
            Names of units to take out.

        Returns
        -------
        District
            The water each unit took passes on to where its water went; its heat,
            power and gas links, its design sizes and its route candidacies are gone
            (:func:`nexus.scenario.take_out`), so neither the simulation nor the
            optimizer builds it.

        Raises
        ------
        nexus.DistrictError
            A name that is not a unit, or a district the removal leaves invalid (a
            struvite reactor without its digester: take both out).

        Examples
        --------
        >>> d = load_district("districts/buiksloterham.toml").without("struvite")
        >>> "struvite" in d.units, "digester.out -> sewer.in" in d.data["connections"]
        (False, True)
        """
        from nexus.scenario import rebuilt, take_out

        return rebuilt(self, take_out(self, units, key="without"), units)

    def connection_from(self, outlet: str) -> Connection:
        """The file's connection from a routed outlet ('node.port'): where it is sent now
        (load_district checks each routed outlet has one)."""
        return next(c for c in self.connections if f"{c.src}.{c.src_port}" == outlet)

    @property
    def transport_losses(self) -> dict[tuple[str, str], float]:
        """Share lost on the way from each routed outlet to where it is now connected
        (``[[optimize.routes]]`` ``loss_frac``), by (node, port); outlets without a loss
        are left out."""
        out = {}
        for route in self.optimize.routes:
            c = self.connection_from(route.outlet)
            loss = route.loss_to(f"{c.dst}.{c.dst_port}")
            if loss > 0:
                out[(c.src, c.src_port)] = loss
        return out

    def with_routes(self, routes: dict[str, str]) -> District:
        """The same district with the connection from each routed outlet redirected.

        Parameters
        ----------
        routes : dict
            ``{'node.port' outlet: 'unit.port' inlet}``.
        """
        by_outlet = {f"{c.src}.{c.src_port}": c for c in self.connections}
        values = {}
        connections = list(self.data["connections"])
        for outlet, inlet in routes.items():
            connections[by_outlet[outlet].index] = f"{outlet} -> {inlet}"
        values["connections"] = connections
        return self.with_values(values)

    def with_sizes(self, sizes: dict[str, dict[str, float]]) -> District:
        """The same district with some unit sizes replaced (``{unit: {size name: value}}``)."""
        if not isinstance(sizes, dict):
            raise ParameterError(
                f"with_sizes: sizes is a {type(sizes).__name__}; expected "
                "{unit: {size name: value}}"
            )
        values = {}
        for unit, chosen in sizes.items():
            if unit not in self.units:
                raise ParameterError(
                    f"with_sizes: {unit!r} is not a unit; expected one of: "
                    f"{', '.join(self.units) or '(none)'}"
                )
            declared = {s.name: s for s in self.units[unit].type.sizes}
            if not isinstance(chosen, dict):
                raise ParameterError(
                    f"with_sizes: sizes[{unit!r}] is a {type(chosen).__name__}; expected "
                    f"{{size name: value}} with names from: {', '.join(declared) or '(none)'}"
                )
            for name, value in chosen.items():
                if name not in declared:
                    raise ParameterError(
                        f"with_sizes: {name!r} is not a size of {unit!r}; expected one of: "
                        f"{', '.join(declared) or '(it has none)'}"
                    )
                if (
                    isinstance(value, bool)
                    or not isinstance(value, int | float)
                    or not math.isfinite(value)
                ):
                    raise ParameterError(
                        f"with_sizes: sizes[{unit!r}][{name!r}] = {value!r}; expected a finite "
                        "number"
                    )
                values[f"units.{unit}.{declared[name].key}"] = float(value)
        return self.with_values(values)


def load_district(path: str | Path) -> District:
    """Read and validate a district TOML file.

    Parameters
    ----------
    path : str or pathlib.Path
        The district file.

    Returns
    -------
    District

    Raises
    ------
    nexus.DistrictError
        The file is missing, is not TOML, or any key is wrong; the message
        names the file, the key path, the value and what was expected.

    Notes
    -----
    A file with a ``base`` key is a scenario: the district it names with some values
    changed and some units taken out (:mod:`nexus.scenario`).
    """
    if not isinstance(path, str | os.PathLike) or isinstance(path, bytes):
        raise ParameterError(
            f"load_district: path is a {type(path).__name__}; expected a str or pathlib.Path "
            "naming a district file"
        )
    path = Path(path)
    data, sha256 = read_toml(path)
    if "base" in data:
        from nexus.scenario import load_scenario

        return load_scenario(path, data, sha256)
    return district_from_dict(data, file=str(path), sha256=sha256, base_dir=path.parent)


def read_toml(path: Path, what: str = "district file") -> tuple[dict[str, Any], str]:
    """The parsed content of a district, scenario or sweep file and the SHA-256 of its bytes.

    ``what`` names the file in messages.

    Raises
    ------
    nexus.DistrictError
        The file cannot be read or is not TOML.
    """
    from nexus.io import DISTRICT_FILE_MAX_BYTES, read_regular_file

    raw = read_regular_file(path, what=what, max_bytes=DISTRICT_FILE_MAX_BYTES)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DistrictError(f"not a valid TOML file: {exc}", file=str(path)) from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise DistrictError(
            f"arrays or tables nested too deep to read; expected at most {MAX_DEPTH} levels",
            file=str(path),
        ) from None
    return data, hashlib.sha256(raw).hexdigest()


def district_from_dict(
    data: dict[str, Any],
    *,
    file: str = "<dict>",
    sha256: str | None = None,
    base_dir: Path | None = None,
) -> District:
    """Validate district data already parsed into a dict (same rules as a file).

    Parameters
    ----------
    data : dict
        The content of a district file.
    file : str
        Name used in error messages.
    sha256 : str, optional
        Hash recorded in results; by default a hash of ``repr(data)``.
    base_dir : pathlib.Path, optional
        Folder relative to which a weather file is found.

    Returns
    -------
    District
    """
    check_depth(data, file)
    try:
        model = DistrictFile.model_validate(data)
    except ValidationError as exc:
        raise _district_error(exc, DistrictFile, file, ()) from None
    _check_unique_names(model, file)
    sections = {
        section: {
            name: _node(section, name, table, file)
            for name, table in getattr(model, section).items()
        }
        for section in SECTIONS
    }
    nodes = {name: node for section in sections.values() for name, node in section.items()}
    connections = _connections(model, nodes, file)
    order = _check_network(model, nodes, connections, file)
    _check_design(model.optimize, sections["units"], file)
    _check_routes(model.optimize, sections["units"], connections, file)
    weather_file = None
    if model.weather.file is not None:
        weather_file = (base_dir or Path.cwd()) / model.weather.file
    return District(
        file=file,
        sha256=sha256 or hashlib.sha256(repr(data).encode()).hexdigest(),
        info=model.district,
        weather_file=weather_file,
        sources=sections["sources"],
        units=sections["units"],
        sinks=sections["sinks"],
        connections=connections,
        order=order,
        optimize=model.optimize,
        emissions=model.emissions,
        data=data,
        base_dir=base_dir,
    )


def check_depth(data: Any, file: str) -> None:
    """No table or array nested deeper than :data:`MAX_DEPTH` (checked without recursion,
    before anything recursive sees the data)."""
    if not isinstance(data, dict):
        raise DistrictError(
            f"{type(data).__name__} is not valid; expected the content of a district file (a table)",
            file=file,
        )
    todo: list[tuple[Any, str, int]] = [(data, "", 0)]
    while todo:
        value, key, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise DistrictError(
                f"nested {MAX_DEPTH} levels deep and more; expected at most {MAX_DEPTH} levels "
                "of tables and arrays",
                file=file,
                key=key,
            )
        if isinstance(value, dict):
            todo += [(v, f"{key}.{k}" if key else str(k), depth + 1) for k, v in value.items()]
        elif isinstance(value, (list, tuple)):
            todo += [(v, f"{key}[{i}]", depth + 1) for i, v in enumerate(value)]


def _check_routes(
    opt: Optimize, units: dict[str, Node], connections: tuple[Connection, ...], file: str
) -> None:
    """Each route names a water outlet now connected to one of its candidate inlets, and
    each candidate is an inlet its unit lets routes lead to."""
    for i, route in enumerate(opt.routes):
        key = f"optimize.routes[{i}]"
        if len(route.distance_km) != len(route.to):
            raise DistrictError(
                f"{len(route.distance_km)} distances for {len(route.to)} candidates; expected "
                "one distance per candidate in 'to'",
                file=file,
                key=f"{key}.distance_km",
            )
        if route.loss_frac and len(route.loss_frac) != len(route.to):
            raise DistrictError(
                f"{len(route.loss_frac)} losses for {len(route.to)} candidates; expected one "
                "share lost per candidate in 'to' (or none)",
                file=file,
                key=f"{key}.loss_frac",
            )
        node, port = route.outlet.split(".")
        current = [
            f"{c.dst}.{c.dst_port}" for c in connections if (c.src, c.src_port) == (node, port)
        ]
        if not current or current[0] not in route.to:
            raise DistrictError(
                f"{route.outlet} is connected to {current[0] if current else 'nothing'}; expected "
                f"a connection to one of the candidates {route.to}",
                file=file,
                key=f"{key}.outlet",
            )
        for target in route.to:
            unit, inlet = target.split(".")
            if unit not in units or inlet not in units[unit].type.routable_inlets:
                routable = [f"{u}.{p}" for u, n in units.items() for p in n.type.routable_inlets]
                raise DistrictError(
                    f"{target!r} is not an inlet routes may lead to; expected one of: "
                    f"{', '.join(routable) or '(none in this district)'}",
                    file=file,
                    key=f"{key}.to",
                )
        if route.distance_km and max(route.distance_km) > 0:
            modes = opt.transport
            if modes is None or getattr(modes, route.mode) is None:
                raise DistrictError(
                    f"a {route.mode} route needs [optimize.transport.{route.mode}] "
                    "(cost_per_m3_km, kWh_per_m3_km)",
                    file=file,
                    key=f"optimize.transport.{route.mode}",
                )


def _check_design(opt: Optimize, units: dict[str, Node], file: str) -> None:
    """Each design entry names a unit, one of its sizes, and bounds that agree."""
    for unit, sizes in opt.design.items():
        key = f"optimize.design.{unit}"
        if unit not in units:
            raise DistrictError(
                f"no unit named {unit!r}; expected one of: {', '.join(sorted(units)) or '(none)'}",
                file=file,
                key=key,
            )
        unit_type = units[unit].type
        known = [s.name for s in unit_type.sizes]
        for size, bound in sizes.items():
            if size not in known:
                raise DistrictError(
                    f"{size!r} is not a size the optimizer can choose for a {unit_type.name}; "
                    f"expected one of: {', '.join(known) or '(it has none)'}",
                    file=file,
                    key=f"{key}.{size}",
                )
            if bound.min > bound.max:
                raise DistrictError(
                    f"min = {bound.min:g} is above max = {bound.max:g}; expected min <= max",
                    file=file,
                    key=f"{key}.{size}",
                )
        for size, problem in unit_type.check_design(units[unit].params, set(sizes)).items():
            raise DistrictError(problem, file=file, key=f"{key}.{size}")


def _node(section: str, name: str, table: dict[str, Any], file: str) -> Node:
    """Validate one node's table with its type's model."""
    role = SECTIONS[section]
    key = f"{section}.{name}"
    known = ", ".join(node_types(role))
    type_name = table.get("type")
    if type_name is None:
        raise DistrictError(f"missing key 'type'; expected one of: {known}", file=file, key=key)
    try:
        node_type_ = node_type(type_name) if isinstance(type_name, str) else None
    except NexusError:
        node_type_ = None
    if node_type_ is None or node_type_.role != role:
        what = "" if node_type_ is None else f" (it is a {node_type_.role} type)"
        raise DistrictError(
            f"type = {type_name!r} is not a {role} type{what}; expected one of: {known}",
            file=file,
            key=f"{key}.type",
        )
    params = {k: v for k, v in table.items() if k not in ("type", "serves")}
    serves = table.get("serves")
    takes_demand = node_type_.takes_demand
    if "serves" in table and not (role == "sink" and takes_demand):
        raise DistrictError(
            f"a {node_type_.name} serves no households; expected 'serves' only on a sink that "
            "takes a demand: "
            + ", ".join(n for n, t in node_types("sink").items() if t.takes_demand),
            file=file,
            key=f"{key}.serves",
        )
    if serves is not None and not (
        isinstance(serves, list) and all(isinstance(s, str) for s in serves)
    ):
        raise DistrictError(
            f"{serves!r} is not valid; expected a list of source names",
            file=file,
            key=f"{key}.serves",
        )
    try:
        validated = node_type_.model.model_validate(params)
    except ValidationError as exc:
        raise _district_error(exc, node_type_.model, file, (section, name)) from None
    try:
        built = node_type_.make_params(validated)
    except ParameterError as exc:  # a rule that ties several parameters together
        raise DistrictError(str(exc), file=file, key=key) from None
    return Node(name, node_type_, built, None if serves is None else tuple(serves))


def _check_unique_names(model: DistrictFile, file: str) -> None:
    seen: dict[str, str] = {}
    for section in SECTIONS:
        for name in getattr(model, section):
            if name in seen:
                raise DistrictError(
                    f"name {name!r} is used in both [{seen[name]}] and [{section}]; "
                    "expected each source, unit and sink to have its own name",
                    file=file,
                    key=f"{section}.{name}",
                )
            seen[name] = section


def _connections(model: DistrictFile, nodes: dict[str, Node], file: str) -> tuple[Connection, ...]:
    out: list[Connection] = []
    fed: dict[tuple[str, str], str] = {}
    written: dict[tuple[str, str, str, str], int] = {}
    for i, text in enumerate(model.connections):
        key = f"connections[{i}]"
        match = _CONNECTION.match(text)
        if not match:
            raise DistrictError(
                f"{text!r} is not a connection; expected 'node.port -> node.port'",
                file=file,
                key=key,
            )
        src, src_port, dst, dst_port = match.groups()
        link = (src, src_port, dst, dst_port)
        if link in written:  # a heat or power link counted twice would double its supply
            j = written[link]
            raise DistrictError(
                f"{text!r} repeats connections[{j}] ({model.connections[j]!r}); expected each "
                "link once (delete one of the two lines)",
                file=file,
                key=key,
            )
        written[link] = i
        ends = []
        for node, port_name, direction in ((src, src_port, "out"), (dst, dst_port, "in")):
            if node not in nodes:
                raise DistrictError(
                    f"{text!r}: no source, unit or sink is named {node!r}; "
                    f"expected one of: {', '.join(sorted(nodes))}",
                    file=file,
                    key=key,
                )
            ports = {p.name: p for p in nodes[node].type.ports}
            if port_name not in ports:
                raise DistrictError(
                    f"{text!r}: {node!r} has no port {port_name!r}; "
                    f"expected one of: {', '.join(ports)}",
                    file=file,
                    key=key,
                )
            port = ports[port_name]
            if port.direction != direction:
                side = "left (an outlet)" if direction == "out" else "right (an inlet)"
                raise DistrictError(
                    f"{text!r}: {node}.{port_name} is an {port.direction}let and cannot stand on the "
                    f"{side} of '->'",
                    file=file,
                    key=key,
                )
            ends.append(port)
        outlet, inlet = ends
        if outlet.kind != inlet.kind:
            raise DistrictError(
                f"{text!r}: connects {outlet.kind} to {inlet.kind}; expected two ports of one kind",
                file=file,
                key=key,
            )
        if (src, src_port) in fed and outlet.kind in SINGLE_FEED_KINDS:
            raise DistrictError(
                f"{text!r}: {src}.{src_port} already feeds {fed[(src, src_port)]}; "
                f"expected a {outlet.kind} outlet to feed exactly one inlet (add a splitter "
                "unit to divide a flow)",
                file=file,
                key=key,
            )
        if outlet.kind in ("heat", "electricity"):
            _check_power_link(text, outlet, inlet, out, dst, dst_port, file, key)
        if outlet.temperature is not None and inlet.temperature is not None:
            _check_temperatures(text, nodes[src], outlet, nodes[dst], inlet, file, key)
        fed[(src, src_port)] = f"{dst}.{dst_port}"
        out.append(Connection(src, src_port, dst, dst_port, outlet.kind, i))
    return tuple(out)


def _check_power_link(
    text: str,
    outlet: Port,
    inlet: Port,
    before: list[Connection],
    dst: str,
    port: str,
    file: str,
    key: str,
) -> None:
    """A heat or electricity link serves a category its inlet takes; an inlet that draws
    (takes no category) is fed by one supplier of anything (a grid)."""
    if not inlet.takes:
        if outlet.serves:
            raise DistrictError(
                f"{text!r}: {dst}.{port} draws what it needs from a supplier of any demand "
                f"(a grid); expected '<grid>.out -> {dst}.{port}'",
                file=file,
                key=key,
            )
        if any((c.dst, c.dst_port) == (dst, port) for c in before):
            raise DistrictError(
                f"{text!r}: {dst}.{port} is already fed; expected one supplier for what a unit "
                "draws",
                file=file,
                key=key,
            )
    elif outlet.serves and not set(outlet.serves) & set(inlet.takes):
        raise DistrictError(
            f"{text!r}: the outlet serves {', '.join(outlet.serves)}, the inlet takes "
            f"{', '.join(inlet.takes)}; expected a connection that serves what the inlet takes",
            file=file,
            key=key,
        )


def _check_temperatures(
    text: str, src: Node, outlet: Port, dst: Node, inlet: Port, file: str, key: str
) -> None:
    """A heat link runs from a temperature level at least as high as its inlet needs."""
    assert outlet.temperature is not None and inlet.temperature is not None
    T_out = src.type.size_value(src.params, outlet.temperature)
    T_in = dst.type.size_value(dst.params, inlet.temperature)
    if T_out < T_in:
        raise DistrictError(
            f"{text!r}: {src.name}.{outlet.name} gives heat at {T_out:g} °C "
            f"({outlet.temperature}), {dst.name}.{inlet.name} needs {T_in:g} °C "
            f"({inlet.temperature}); expected a source at least as hot (its "
            f"{outlet.temperature} >= {T_in:g}), or a heat pump between them "
            f"('{src.name}.{outlet.name} -> <heat_pump>.source', "
            f"'<heat_pump>.heat -> {dst.name}.{inlet.name}')",
            file=file,
            key=key,
        )


def _linked(connections: tuple[Connection, ...], *, downstream: bool) -> dict[str, set[str]]:
    """Each node's water neighbours: those it sends to (``downstream``) or receives from."""
    links: dict[str, set[str]] = {}
    for c in connections:
        if c.kind == "water":
            a, b = (c.src, c.dst) if downstream else (c.dst, c.src)
            links.setdefault(a, set()).add(b)
    return links


def _reaches(
    nodes: dict[str, Node], links: dict[str, set[str]], start: str, wanted: tuple[str, ...]
) -> bool:
    """Whether ``start`` is, or leads through ``links`` to, a node of one of the types."""
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if nodes[node].type.name in wanted:
            return True
        todo += [n for n in links.get(node, ()) if n not in seen]
        seen.update(links.get(node, ()))
    return False


def _check_water_paths(
    nodes: dict[str, Node], connections: tuple[Connection, ...], file: str, *, downstream: bool
) -> None:
    """Each inlet a type declares ``fed_by`` receives water that passed one of the types
    (``downstream=False``); each outlet it declares ``leads_to`` sends its water to one of
    them (``downstream=True``), directly or through other units."""
    links = _linked(connections, downstream=downstream)
    for name, node in nodes.items():
        for port, wanted in (node.type.leads_to if downstream else node.type.fed_by).items():
            if downstream:
                direct = {c.dst for c in connections if (c.src, c.src_port) == (name, port)}
            else:
                direct = {c.src for c in connections if (c.dst, c.dst_port) == (name, port)}
            if any(_reaches(nodes, links, d, wanted) for d in direct):
                continue
            types = " or ".join(wanted)
            if downstream:
                problem = (
                    f"outlet {port!r} of a {node.type.name} must send its water to a node of "
                    f"type {types} (directly or through other units); expected a connection "
                    f"such as '{name}.{port} -> <{wanted[0]}>.in'"
                )
            else:
                problem = (
                    f"inlet {port!r} of a {node.type.name} needs water that has passed a node "
                    f"of type {types} (directly or through other units); expected a connection "
                    f"from one, e.g. '<{wanted[0]}>.out -> {name}.{port}'"
                )
            raise DistrictError(problem, file=file, key=f"{node.section}.{name}")


def _check_network(
    model: DistrictFile,
    nodes: dict[str, Node],
    connections: tuple[Connection, ...],
    file: str,
) -> tuple[str, ...]:
    connected: set[tuple[str, ...]] = {(c.src, c.src_port) for c in connections} | {
        (c.dst, c.dst_port) for c in connections
    }
    # an inlet a route may lead to counts as connected: the optimizer may send water there
    connected |= {tuple(to.split(".")) for r in model.optimize.routes for to in r.to}
    for name, node in nodes.items():
        for port in node.type.ports:
            if port.required and (name, port.name) not in connected:
                example = (
                    f"'{name}.{port.name} -> <node>.<port>'"
                    if port.direction == "out"
                    else f"'<node>.<port> -> {name}.{port.name}'"
                )
                raise DistrictError(
                    f"{port.kind} {port.direction}let {port.name!r} is not connected; "
                    f"expected a connection {example}",
                    file=file,
                    key=f"{node.section}.{name}",
                )
    sources = [n for n, node in nodes.items() if node.role == "source"]
    served_by: dict[tuple[str, str], str] = {}
    for name, node in nodes.items():
        for served in node.serves or ():
            if served not in sources:
                raise DistrictError(
                    f"{served!r} is not a source; expected one of: {', '.join(sources)}",
                    file=file,
                    key=f"sinks.{name}.serves",
                )
        if node.role != "sink" or not node.type.takes_demand:
            continue
        categories = [c for p in node.type.ports for c in p.takes if not CATEGORIES[c].unlimited]
        for served in sources if node.serves is None else node.serves:
            for category in categories:
                if (category, served) in served_by:
                    raise DistrictError(
                        f"the {CATEGORIES[category].plain} demand of {served!r} is already "
                        f"served by {served_by[(category, served)]!r}; expected each source's "
                        "demand served by at most one sink",
                        file=file,
                        key=f"sinks.{name}.serves",
                    )
                served_by[(category, served)] = name
    # Matter (water, gas) flows downstream; demand (heat, electricity) flows upstream:
    # a unit that takes heat from another unit states its demand before the supplier runs.
    # Units supplying one power inlet serve it in the order of their connections, so the
    # earlier one runs first, unless the water's path runs the other way.
    graph: dict[str, set[str]] = {
        n: set() for n, node in nodes.items() if node.role in ("source", "unit")
    }
    units = {n for n, node in nodes.items() if node.role == "unit"}
    suppliers: dict[tuple[str, str], list[str]] = {}
    for c in connections:
        if c.src in graph and c.dst in graph:
            if c.kind in SINGLE_FEED_KINDS:
                graph[c.dst].add(c.src)
            else:
                graph[c.src].add(c.dst)
        if c.kind not in SINGLE_FEED_KINDS and c.src in units:
            suppliers.setdefault((c.dst, c.dst_port), []).append(c.src)
    _check_water_paths(nodes, connections, file, downstream=False)
    _check_water_paths(nodes, connections, file, downstream=True)
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1][::-1])
        raise DistrictError(
            f"the connections form a loop ({cycle}); expected flows that run from sources to "
            "sinks without returning",
            file=file,
            key="connections",
        ) from None
    for chain in suppliers.values():  # a preference: kept where the water's path allows it
        for earlier, later in itertools.pairwise(chain):
            if earlier != later and earlier not in graph[later]:
                graph[later].add(earlier)
                try:
                    TopologicalSorter(graph).prepare()
                except CycleError:
                    graph[later].discard(earlier)
    return tuple(TopologicalSorter(graph).static_order())


# ---------------------------------------------------------------- messages


def _district_error(
    exc: ValidationError, root: type[BaseModel], file: str, prefix: tuple[str, ...]
) -> DistrictError:
    problems = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        problems.append((_dotted(prefix + loc), _explain(err, root, loc)))
    if len(problems) == 1:
        key, reason = problems[0]
        return DistrictError(reason, file=file, key=key)
    lines = "\n".join(f"  {key}: {reason}" for key, reason in problems)
    error = DistrictError(f"{len(problems)} problems:\n{lines}", file=file)
    error.key = problems[0][0]
    return error


def _dotted(loc: tuple[str, ...]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for a bad table name: the key path ends at it
            continue
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


def _explain(err: ErrorDetails, root: type[BaseModel], loc: tuple[str, ...]) -> str:
    kind = err["type"]
    ctx = err.get("ctx", {})
    value = err.get("input")
    if kind == "missing":
        return f"missing; expected {_describe(root, loc)}"
    if kind == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        allowed = ", ".join(parent.model_fields) if parent else "no other key"
        return f"unknown key; expected one of: {allowed}"
    bounds = {
        "greater_than_equal": ">= {ge}",
        "greater_than": "> {gt}",
        "less_than_equal": "<= {le}",
        "less_than": "< {lt}",
    }
    if kind == "string_pattern_mismatch" and "\\." in str(ctx.get("pattern", "")):
        return f"{value!r} is not valid; expected 'node.port' (names joined by a dot)"
    if kind == "string_pattern_mismatch" and "[A-Z]{3}" in str(ctx.get("pattern", "")):
        return f"{value!r} is not valid; expected a three-letter ISO 4217 code in capitals (EUR)"
    if kind == "string_pattern_mismatch":
        return (
            f"{value!r} is not a valid name; expected letters, digits and underscores, "
            "not starting with a digit"
        )
    if kind in bounds:
        return f"{value!r} is out of range; expected a number {bounds[kind].format(**ctx)}"
    expected = {
        "float_type": "a number",
        "int_type": "an integer",
        "string_type": "a text string",
        "bool_type": "true or false",
        "finite_number": "a finite number",
        "dict_type": "a table",
        "model_type": "a table",
        "list_type": "a list",
    }.get(kind)
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        expected = "at least one entry" if n == 1 else f"at least {n} entries"
    if expected:
        return f"{value!r} is not valid; expected {expected}"
    return f"{value!r} is not valid; expected: {err['msg'].removeprefix('Input should be ')}"


def _model_at(root: type[BaseModel], loc: tuple[str, ...]) -> type[BaseModel] | None:
    current: Any = root
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        elif get_origin(current) is list:
            current = get_args(current)[0]
        else:
            return None
        while get_args(current) and get_origin(current) not in (dict, list):
            current = get_args(current)[0]  # Annotated[...] / Optional[...]
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _describe(root: type[BaseModel], loc: tuple[str, ...]) -> str:
    parent = _model_at(root, loc[:-1])
    if parent is None or loc[-1] not in parent.model_fields:
        return "a value"
    field = parent.model_fields[loc[-1]]
    if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
        return f"a table [{_dotted(loc)}] with keys: {', '.join(field.annotation.model_fields)}"
    return field.description or "a value"
