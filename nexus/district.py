"""Loading and checking a district file.

``load_district(path)`` reads a TOML file, validates every table with the
models of :mod:`nexus.schema` and the unit types of :mod:`nexus.unit_types`,
then checks the network: every connection names an existing port of the right
kind and direction, every required port is connected, an outlet feeds one
inlet, and there is no loop. Any problem raises :class:`nexus.DistrictError`
naming the file, the key path and what was expected.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
import tomllib
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from nexus.errors import DistrictError, ParameterError
from nexus.schema import DistrictFile, Households, Optimize, Sink
from nexus.unit_types import (
    SERVING_SINKS,
    SINGLE_FEED_KINDS,
    SINK_PORTS,
    SOURCE_PORTS,
    UNIT_TYPES,
    Port,
    UnitType,
)

__all__ = ["Connection", "District", "UnitInstance", "district_from_dict", "load_district"]

_CONNECTION = re.compile(r"^\s*(\w+)\.(\w+)\s*->\s*(\w+)\.(\w+)\s*$")


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
class UnitInstance:
    """A unit of the district: its type and validated parameters."""

    name: str
    type: UnitType
    params: Any


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
        Name, description, year and seed.
    weather_file : pathlib.Path or None
        Hourly weather CSV; None for the packaged Amsterdam typical year.
    sources, units, sinks : dict
        Validated tables by name.
    connections : tuple of Connection
        In file order.
    order : tuple of str
        Sources and units in an order where every node comes after the
        nodes feeding it.
    """

    file: str
    sha256: str
    info: Any
    weather_file: Path | None
    sources: dict[str, Households]
    units: dict[str, UnitInstance]
    sinks: dict[str, Sink]
    connections: tuple[Connection, ...]
    order: tuple[str, ...]
    optimize: Optimize
    #: The validated file content, from which a variant with other sizes is made.
    data: dict[str, Any]
    #: Folder relative to which the file's paths are read.
    base_dir: Path | None

    @property
    def name(self) -> str:
        """District name."""
        return self.info.name


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
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DistrictError(
            f"cannot read the district file ({exc.strerror})", file=str(path)
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DistrictError(f"not a valid TOML file: {exc}", file=str(path)) from None
    return district_from_dict(
        data, file=str(path), sha256=hashlib.sha256(raw).hexdigest(), base_dir=path.parent
    )


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
    try:
        model = DistrictFile.model_validate(data)
    except ValidationError as exc:
        raise _district_error(exc, DistrictFile, file, ()) from None
    units = {name: _unit(name, table, file) for name, table in model.units.items()}
    _check_unique_names(model, file)
    connections = _connections(model, units, file)
    order = _check_network(model, units, connections, file)
    _check_design(model.optimize, units, file)
    _check_routes(model.optimize, units, connections, file)
    weather_file = None
    if model.weather.file is not None:
        weather_file = (base_dir or Path.cwd()) / model.weather.file
    return District(
        file=file,
        sha256=sha256 or hashlib.sha256(repr(data).encode()).hexdigest(),
        info=model.district,
        weather_file=weather_file,
        sources=dict(model.sources),
        units=units,
        sinks=dict(model.sinks),
        connections=connections,
        order=order,
        optimize=model.optimize,
        data=data,
        base_dir=base_dir,
    )


def with_sizes(
    district: District,
    sizes: dict[str, dict[str, float]],
    routes: dict[str, str] | None = None,
) -> District:
    """The same district with some unit sizes and routes replaced.

    Parameters
    ----------
    district : District
        A loaded district.
    sizes : dict
        ``{unit: {size name: value}}``, size names as in
        :attr:`nexus.unit_types.UnitType.sizes`.
    routes : dict, optional
        ``{'node.port' outlet: 'unit.port' inlet}``: the connection from each
        outlet is redirected there.

    Returns
    -------
    District
        Validated again, as if the file had said so.
    """
    data = copy.deepcopy(district.data)
    for outlet, inlet in (routes or {}).items():
        for i, text in enumerate(data["connections"]):
            match = _CONNECTION.match(text)
            if match and f"{match.group(1)}.{match.group(2)}" == outlet:
                data["connections"][i] = f"{outlet} -> {inlet}"
    for unit, values in sizes.items():
        unit_type = district.units[unit].type
        for size, value in values.items():
            table, key = unit_type.sizes[size]
            target = data["units"][unit]
            if table:
                target = target.setdefault(table, {})
            target[key] = float(value)
    return district_from_dict(data, file=district.file, base_dir=district.base_dir)


def _check_routes(
    opt: Optimize, units: dict[str, UnitInstance], connections: tuple, file: str
) -> None:
    """Each route names a water outlet now connected to one of its candidate digesters."""
    for i, route in enumerate(opt.routes):
        key = f"optimize.routes[{i}]"
        if len(route.distance_km) != len(route.to):
            raise DistrictError(
                f"{len(route.distance_km)} distances for {len(route.to)} candidates; expected "
                "one distance per candidate in 'to'",
                file=file,
                key=f"{key}.distance_km",
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
            if unit not in units or units[unit].type.name != "anaerobic_digester" or inlet != "in":
                raise DistrictError(
                    f"{target!r} is not the 'in' port of an anaerobic_digester; routes may lead "
                    "to digesters",
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


def _check_design(opt: Optimize, units: dict[str, UnitInstance], file: str) -> None:
    """Each design entry names a unit, one of its sizes, and bounds that agree."""
    for unit, sizes in opt.design.items():
        key = f"optimize.design.{unit}"
        if unit not in units:
            raise DistrictError(
                f"no unit named {unit!r}; expected one of: {', '.join(sorted(units)) or '(none)'}",
                file=file,
                key=key,
            )
        known = units[unit].type.sizes
        for size, bound in sizes.items():
            if size not in known:
                raise DistrictError(
                    f"{size!r} is not a size of a {units[unit].type.name}; expected one of: "
                    f"{', '.join(known) or '(it has none)'}",
                    file=file,
                    key=f"{key}.{size}",
                )
            if bound.min > bound.max:
                raise DistrictError(
                    f"min = {bound.min:g} is above max = {bound.max:g}; expected min <= max",
                    file=file,
                    key=f"{key}.{size}",
                )
            store = (
                units[unit].params.get("store") if isinstance(units[unit].params, dict) else None
            )
            if size == "capacity_kWh" and store is not None and store.max_power_kW == 0:
                raise DistrictError(
                    f"a store the optimizer sizes needs a charge power: units.{unit}.store."
                    "max_power_kW is 0; expected a power > 0",
                    file=file,
                    key=f"{key}.{size}",
                )


def _unit(name: str, table: dict[str, Any], file: str) -> UnitInstance:
    key = f"units.{name}"
    type_name = table.get("type")
    if type_name not in UNIT_TYPES:
        known = ", ".join(sorted(UNIT_TYPES))
        if type_name is None:
            raise DistrictError(f"missing key 'type'; expected one of: {known}", file=file, key=key)
        raise DistrictError(
            f"type = {type_name!r} is not a unit type; expected one of: {known}",
            file=file,
            key=key + ".type",
        )
    unit_type = UNIT_TYPES[type_name]
    params = {k: v for k, v in table.items() if k != "type"}
    try:
        validated = unit_type.model.model_validate(params)
    except ValidationError as exc:
        raise _district_error(exc, unit_type.model, file, ("units", name)) from None
    try:
        params = unit_type.build(validated)
    except ParameterError as exc:  # a rule that ties several parameters together
        raise DistrictError(str(exc), file=file, key=key) from None
    return UnitInstance(name=name, type=unit_type, params=params)


def _check_unique_names(model: DistrictFile, file: str) -> None:
    seen: dict[str, str] = {}
    for section in ("sources", "units", "sinks"):
        for name in getattr(model, section):
            if name in seen:
                raise DistrictError(
                    f"name {name!r} is used in both [{seen[name]}] and [{section}]; "
                    "expected each source, unit and sink to have its own name",
                    file=file,
                    key=f"{section}.{name}",
                )
            seen[name] = section


def _ports_of(node: str, model: DistrictFile, units: dict[str, UnitInstance]) -> dict[str, Port]:
    if node in model.sources:
        return SOURCE_PORTS
    if node in units:
        return {p.name: p for p in units[node].type.ports}
    return SINK_PORTS[model.sinks[node].type]


def _connections(
    model: DistrictFile, units: dict[str, UnitInstance], file: str
) -> tuple[Connection, ...]:
    nodes = set(model.sources) | set(units) | set(model.sinks)
    out: list[Connection] = []
    fed: dict[tuple[str, str], str] = {}
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
        ends = []
        for node, port_name, direction in ((src, src_port, "out"), (dst, dst_port, "in")):
            if node not in nodes:
                raise DistrictError(
                    f"{text!r}: no source, unit or sink is named {node!r}; "
                    f"expected one of: {', '.join(sorted(nodes))}",
                    file=file,
                    key=key,
                )
            ports = _ports_of(node, model, units)
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
        if ends[0].kind != ends[1].kind:
            raise DistrictError(
                f"{text!r}: connects {ends[0].kind} to {ends[1].kind}; expected two ports of one kind",
                file=file,
                key=key,
            )
        if (src, src_port) in fed and ends[0].kind in SINGLE_FEED_KINDS:
            raise DistrictError(
                f"{text!r}: {src}.{src_port} already feeds {fed[(src, src_port)]}; "
                f"expected a {ends[0].kind} outlet to feed exactly one inlet (add a splitter "
                "unit to divide a flow)",
                file=file,
                key=key,
            )
        if (
            ends[1].kind == "electricity"
            and dst in units
            and not (src in model.sinks and model.sinks[src].type == "grid")
        ):
            raise DistrictError(
                f"{text!r}: a unit draws its electricity from a grid; expected "
                f"'<grid>.out -> {dst}.{dst_port}'",
                file=file,
                key=key,
            )
        fed[(src, src_port)] = f"{dst}.{dst_port}"
        out.append(Connection(src, src_port, dst, dst_port, ends[0].kind, i))
    return tuple(out)


def _check_network(
    model: DistrictFile,
    units: dict[str, UnitInstance],
    connections: tuple[Connection, ...],
    file: str,
) -> tuple[str, ...]:
    connected = {(c.src, c.src_port) for c in connections} | {
        (c.dst, c.dst_port) for c in connections
    }
    # an inlet a route may lead to counts as connected: the optimizer may send water there
    connected |= {tuple(to.split(".")) for r in model.optimize.routes for to in r.to}
    for section, names in (("sources", model.sources), ("units", units)):
        for node in names:
            for port in _ports_of(node, model, units).values():
                if port.required and (node, port.name) not in connected:
                    example = (
                        f"'{node}.{port.name} -> <node>.<port>'"
                        if port.direction == "out"
                        else f"'<node>.<port> -> {node}.{port.name}'"
                    )
                    raise DistrictError(
                        f"{port.kind} {port.direction}let {port.name!r} is not connected; "
                        f"expected a connection {example}",
                        file=file,
                        key=f"{section}.{node}",
                    )
    served_by: dict[tuple[str, str], str] = {}
    for name, sink in model.sinks.items():
        if sink.serves is not None and sink.type not in SERVING_SINKS:
            raise DistrictError(
                f"a {sink.type} sink serves no households; expected 'serves' only on a "
                f"{' or '.join(SERVING_SINKS)}",
                file=file,
                key=f"sinks.{name}.serves",
            )
        if sink.type in SERVING_SINKS:
            for served in model.sources if sink.serves is None else sink.serves:
                if (sink.type, served) in served_by:
                    raise DistrictError(
                        f"{served!r} is already served by {sink.type} "
                        f"{served_by[(sink.type, served)]!r}; expected each household source "
                        f"in at most one {sink.type}",
                        file=file,
                        key=f"sinks.{name}.serves",
                    )
                served_by[(sink.type, served)] = name
        for served in sink.serves or ():
            if served not in model.sources:
                raise DistrictError(
                    f"{served!r} is not a household source; expected one of: "
                    f"{', '.join(model.sources)}",
                    file=file,
                    key=f"sinks.{name}.serves",
                )
    # Matter (water, gas) flows downstream; demand (heat, electricity) flows upstream:
    # a unit that takes heat from another unit states its demand before the supplier runs.
    # Units supplying one power inlet serve it in the order of their connections, so the
    # earlier one runs first, unless the water's path runs the other way.
    graph: dict[str, set[str]] = {node: set() for node in (*model.sources, *units)}
    suppliers: dict[tuple[str, str], list[str]] = {}
    for c in connections:
        if c.src in graph and c.dst in graph:
            if c.kind in SINGLE_FEED_KINDS:
                graph[c.dst].add(c.src)
            else:
                graph[c.src].add(c.dst)
        if c.kind not in SINGLE_FEED_KINDS and c.src in units:
            suppliers.setdefault((c.dst, c.dst_port), []).append(c.src)
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


def _explain(err: dict[str, Any], root: type[BaseModel], loc: tuple[str, ...]) -> str:
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
