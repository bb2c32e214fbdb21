"""Islands of a district: groups of nodes that do not affect one another.

A city file holds several neighbourhoods side by side, each with its own
households, units and demand sinks, sharing only the public grid and the
sewer. The grid and the sewer take or give any amount, whatever arrives
(``passive`` node types, :class:`nexus.registry.NodeType`): what one neighbourhood sends them
changes nothing in another. So each neighbourhood is an *island*: simulated on
its own (with the passive sinks it is connected to) it gives the same flows
as in the whole district, and the district's yearly totals (net energy,
nutrients recovered, costs) are the sums of its islands'.

Two nodes are on one island when a connection joins them (other than through
a passive node), when a sink serves a source's households (``serves``; a sink
without ``serves`` serves all of them), or when a route may send one's water
to the other (``[[optimize.routes]]``: a joint plant and the neighbourhoods it
may take water from are one island).

Why: the optimizer verifies a city's design by simulating it, and one
simulation of fifty neighbourhoods holds every node's hourly outputs at once
(4.7 GB, benchmarks/RESULTS.md); island by island it holds one at a time.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from nexus.district import District

__all__ = ["island", "island_parts", "islands"]


def islands(district: District) -> list[tuple[str, ...]]:
    """The district's islands: its non-passive nodes grouped by what ties them.

    Parameters
    ----------
    district : District

    Returns
    -------
    list of tuple of str
        Node names of each island, in file order; islands in the order of their
        first node. Passive nodes (grid, sewer ...) belong to none.
    """
    names = [n for n, node in district.nodes.items() if not node.type.passive]
    parent = {n: n for n in names}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    def join(a: str, b: str) -> None:
        if a in parent and b in parent:
            parent[root(a)] = root(b)

    for c in district.connections:
        join(c.src, c.dst)
    for name, node in district.sinks.items():
        takes = node.type.takes_demand
        for served in district.sources if node.serves is None and takes else node.serves or ():
            join(name, served)
    for route in district.optimize.routes:
        outlet = route.outlet.split(".")[0]
        for to in route.to:
            join(outlet, to.split(".")[0])
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(root(n), []).append(n)
    return [tuple(g) for g in groups.values()]


def island(district: District, names: tuple[str, ...]) -> District:
    """The district cut down to one island: its nodes, the passive nodes they are connected
    to, the connections among them, and their design and route entries.

    Parameters
    ----------
    district : District
    names : tuple of str
        An island of :func:`islands`.

    Returns
    -------
    District
        Validated as a file is; its name and file are the district's.
    """
    from nexus.district import district_from_dict

    keep = set(names)
    for c in district.connections:
        for a, b in ((c.src, c.dst), (c.dst, c.src)):
            if a in names and district.nodes[b].type.passive:
                keep.add(b)
    # the island's own tables are copied, not the whole city's (fifty islands of fifty
    # neighbourhoods would copy it fifty times)
    data = {k: v for k, v in district.data.items() if k not in ("sources", "units", "sinks")}
    data = copy.deepcopy(data)
    for section in ("sources", "units", "sinks"):
        tables = district.data.get(section, {})
        data[section] = {k: copy.deepcopy(v) for k, v in tables.items() if k in keep}
    data["connections"] = [
        district.data["connections"][c.index]
        for c in district.connections
        if c.src in keep and c.dst in keep
    ]
    optimize = data.get("optimize")
    if optimize is not None:
        if "design" in optimize:
            optimize["design"] = {k: v for k, v in optimize["design"].items() if k in keep}
        if "routes" in optimize:
            optimize["routes"] = [
                r for r in optimize["routes"] if r["outlet"].split(".")[0] in keep
            ]
    return district_from_dict(data, file=district.file, base_dir=district.base_dir)


def island_parts(district: District) -> Iterator[District]:
    """The district one island at a time (:func:`island`), or the district itself if it is
    one island; the C library's free memory is given back after each (a simulation of
    one is freed before the next is made)."""
    from nexus._memory import release_free_memory

    groups = islands(district)
    if len(groups) < 2:
        yield district
        return
    for group in groups:
        yield island(district, group)
        release_free_memory()
