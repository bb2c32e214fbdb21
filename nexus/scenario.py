"""Scenarios: a district with some values changed and some units taken out.

A policy team compares a district as planned with variants of it: without
struvite recovery, without greywater heat recovery, with a larger exchanger.
A *scenario file* says so in a few lines instead of a copy of the district::

    base = "buiksloterham.toml"          # the district it starts from
    disable = ["struvite", "gw_hp"]      # units taken out

    [district]
    name = "Buiksloterham, no heat or phosphorus recovery"

    [units.dwhr]
    area_m2 = 1.2                        # any other key overrides the base's

Tables merge into the base's key by key; any other value (a number, a list
such as ``connections``) replaces the base's. A unit added by a scenario is
wired in with ``disconnect`` (lines of the base's ``connections`` to drop) and
``connect`` (lines to add)::

    [units.nitrification]                # a new unit ...
    type = "nitrification"
    disconnect = ["struvite.out -> sewer.in"]
    connect = ["struvite.out -> nitrification.in", "nitrification.out -> farm.in"]

``disable`` then takes units out with :func:`take_out`, as
:meth:`nexus.District.without` does.

Taking a unit out is not the same as giving it a size of zero: the unit and
its links leave the network, the water it took passes on to where its water
went, and its ``[optimize.design]`` tables and route candidacies go, so the
optimizer cannot put it back. The district is then validated again as a
whole, so what the removal breaks (a struvite reactor left without its
digester, a CHP without biogas) is reported as for a file that said so.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nexus.errors import DistrictError

if TYPE_CHECKING:
    from nexus.district import District, Node

__all__ = ["load_scenario", "merge_tables", "rebuilt", "take_out"]

#: Keys a scenario file has beyond a district's.
SCENARIO_KEYS = ("base", "disable", "connect", "disconnect")


def merge_tables(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with ``changes`` merged in: tables key by key, other values replaced.

    Parameters
    ----------
    base, changes : dict
        Parsed TOML tables.

    Returns
    -------
    dict
        A new dict; neither argument is changed.

    Examples
    --------
    >>> merge_tables({"a": {"x": 1, "y": 2}, "b": [1]}, {"a": {"y": 3}, "b": [2]})
    {'a': {'x': 1, 'y': 3}, 'b': [2]}
    """
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_tables(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _pass_on_port(node: Node) -> str | None:
    """The water outlet a unit's water leaves by when it is taken out (``out``, else its only one)."""
    outlets = [p.name for p in node.type.ports if p.kind == "water" and p.direction == "out"]
    if "out" in outlets:
        return "out"
    return outlets[0] if len(outlets) == 1 else None


def take_out(district: District, names: list[str] | tuple[str, ...], *, key: str) -> dict[str, Any]:
    """The district's data with units taken out of the network.

    Parameters
    ----------
    district : nexus.District
        The district.
    names : sequence of str
        Units to take out.
    key : str
        The key path that asked for it, for error messages (``disable``).

    Returns
    -------
    dict
        District data, to validate again (``nexus.district.district_from_dict``):

        - each water connection into a unit taken out leads instead to where the
          unit's water went (its ``out`` outlet, or its only water outlet); its other
          water outlets (a digester's sludge) are dropped with it;
        - heat, electricity and gas links to or from it are removed;
        - its table, its ``[optimize.design]`` sizes and its route candidacies are
          removed (a route whose outlet led to it leads to its next candidate; a
          route left with one candidate is a plain connection).

    Raises
    ------
    nexus.DistrictError
        A name that is not a unit of the district (naming ``key``), or a unit whose
        water has no single outlet to pass on to.
    """
    units = district.units
    for name in names:
        if name not in units:
            raise DistrictError(
                f"{name!r} is not a unit of {district.file}; expected one of: "
                f"{', '.join(units) or '(none)'}",
                file=district.file,
                key=key,
            )
    gone = set(names)
    data = copy.deepcopy(district.data)
    opt = data.get("optimize", {})
    routes = []
    redirect: dict[tuple[str, ...], str] = {}  # routed outlet -> its next candidate
    for route in opt.get("routes", []):
        keep = [i for i, t in enumerate(route["to"]) if t.split(".")[0] not in gone]
        led_to = next(
            (
                f"{c.dst}.{c.dst_port}"
                for c in district.connections
                if f"{c.src}.{c.src_port}" == route["outlet"]
            ),
            None,
        )
        if led_to is not None and led_to.split(".")[0] in gone and keep:
            redirect[tuple(route["outlet"].split("."))] = route["to"][keep[0]]
        if len(keep) >= 2:
            for field in ("to", "distance_km"):
                route[field] = [route[field][i] for i in keep]
            routes.append(route)
    if "routes" in opt:
        opt["routes"] = routes
    for name in gone:
        data["units"].pop(name, None)
        opt.get("design", {}).pop(name, None)

    def ends(node: str, port: str) -> list[tuple[str, str]]:
        """Where water arriving at node.port ends once the units taken out are passed."""
        if node not in gone:
            return [(node, port)]
        out_port = _pass_on_port(units[node])
        if out_port is None:
            raise DistrictError(
                f"{node!r} cannot be taken out: its water has no single outlet to pass on to "
                "(expected an outlet named 'out')",
                file=district.file,
                key=key,
            )
        downstream = [c for c in district.connections if (c.src, c.src_port) == (node, out_port)]
        return [end for c in downstream for end in ends(c.dst, c.dst_port)]

    connections: list[str] = []
    for c in district.connections:
        if c.src in gone:
            continue
        if (c.src, c.src_port) in redirect:
            node, port = redirect[(c.src, c.src_port)].split(".")
            targets = [(node, port)]
        elif c.dst in gone and c.kind != "water":
            continue
        else:
            targets = ends(c.dst, c.dst_port)
        for dst, dst_port in targets:
            text = f"{c.src}.{c.src_port} -> {dst}.{dst_port}"
            if text not in connections:
                connections.append(text)
    data["connections"] = connections
    return data


def load_scenario(
    path: Path, data: dict[str, Any], sha256: str, chain: tuple[Path, ...] = ()
) -> District:
    """A district from a scenario file: its base with the file's changes and units taken out.

    Parameters
    ----------
    path : pathlib.Path
        The scenario file (for messages and to find the base).
    data : dict
        Its parsed content, with ``base`` (a district or scenario file, relative to the
        scenario's folder) and optionally ``disable`` (units to take out).
    sha256 : str
        Hash of the scenario file's bytes; the result's hash covers its bases' too.
    chain : tuple of pathlib.Path
        Scenario files already on the way to this one (a scenario may start from
        another scenario), to refuse a loop.

    Returns
    -------
    nexus.District
        Its ``file`` is the scenario file; paths in the base (a weather file) are read
        from the base's folder.

    Raises
    ------
    nexus.DistrictError
        A missing or unreadable base, bases in a loop, a ``disable`` that is not a list
        of unit names, or any key the merged district rejects; messages name the
        scenario file.
    """
    from nexus.district import district_from_dict, read_toml

    file = str(path)
    base = data.get("base")
    if not isinstance(base, str) or not base:
        raise DistrictError(
            f"base = {base!r}; expected the path of the district file this scenario starts from",
            file=file,
            key="base",
        )
    disable = data.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(n, str) for n in disable):
        raise DistrictError(
            f"disable = {disable!r}; expected a list of unit names, e.g. ['struvite']",
            file=file,
            key="disable",
        )
    base_path = path.parent / base
    chain = (*chain, path.resolve())
    if base_path.resolve() in chain:
        raise DistrictError(
            f"base {base!r} leads back to this scenario; expected a chain of bases that ends "
            "at a district file",
            file=file,
            key="base",
        )
    if not base_path.is_file():
        raise DistrictError(
            f"base file {str(base_path)!r} does not exist; expected a district file, relative "
            "to the scenario's folder",
            file=file,
            key="base",
        )
    base_data, base_sha = read_toml(base_path)
    digest = hashlib.sha256((base_sha + sha256).encode()).hexdigest()
    if "base" in base_data:
        start = load_scenario(base_path, base_data, base_sha, chain)
    else:
        start = district_from_dict(base_data, file=str(base_path), base_dir=base_path.parent)
    changes = {k: v for k, v in data.items() if k not in SCENARIO_KEYS}
    merged_data = merge_tables(start.data, changes)
    merged_data["connections"] = _rewired(merged_data.get("connections", []), data, file)
    merged = district_from_dict(merged_data, file=file, sha256=digest, base_dir=start.base_dir)
    if not disable:
        return merged
    return rebuilt(merged, take_out(merged, disable, key="disable"), disable, sha256=digest)


def _lines(data: dict[str, Any], key: str, file: str) -> list[str]:
    """The connection lines a scenario lists under ``key`` (a list of strings)."""
    lines = data.get(key, [])
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise DistrictError(
            f"{key} = {lines!r}; expected a list of connection lines such as "
            "['struvite.out -> sewer.in']",
            file=file,
            key=key,
        )
    return [" ".join(line.split()) for line in lines]


def _rewired(connections: list[str], data: dict[str, Any], file: str) -> list[str]:
    """``connections`` without the scenario's ``disconnect`` lines, with its ``connect`` lines."""
    normal = [" ".join(str(line).split()) for line in connections]
    drop = _lines(data, "disconnect", file)
    for i, line in enumerate(drop):
        if line not in normal:
            raise DistrictError(
                f"{line!r} is not a connection of the base; expected one of its lines:\n  "
                + "\n  ".join(normal),
                file=file,
                key=f"disconnect[{i}]",
            )
    return [line for line in normal if line not in drop] + _lines(data, "connect", file)


def rebuilt(
    district: District,
    data: dict[str, Any],
    names: list[str] | tuple[str, ...],
    *,
    sha256: str | None = None,
) -> District:
    """Validate the data :func:`take_out` made; an error says which units were taken out."""
    from nexus.district import district_from_dict

    try:
        return district_from_dict(
            data, file=district.file, sha256=sha256, base_dir=district.base_dir
        )
    except DistrictError as exc:
        raise DistrictError(
            f"{exc.reason} (after taking out {', '.join(names)}: take out what depends on "
            "it too, or connect it otherwise)",
            file=exc.file,
            key=exc.key,
        ) from None
