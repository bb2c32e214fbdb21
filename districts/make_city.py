"""Write ``city_ten.toml``: ten Buiksloterham-like neighbourhoods of different sizes.

Run from the repository root (the committed file is its output)::

    python districts/make_city.py            # districts/city_ten.toml
    python districts/make_city.py 50 /tmp/city_50.toml

A district expresses several neighbourhoods as several sources, each with its
own units and its own demand sinks: node names carry the neighbourhood
(``n03_homes``, ``n03_digester``, ``n03_heat_network``), each heat network and
EV sink ``serves`` its own homes only, and the public grid and the sewer are
shared. Every neighbourhood is Buiksloterham (``districts/buiksloterham.toml``,
where each figure is cited) scaled by a factor ``k`` on its number of homes:

- homes = 550 k (rounded); residents = homes x 2.1 persons per household (CBS,
  as in Buiksloterham's file); per-capita water, loads, temperatures and
  energy per home are Buiksloterham's cited figures, unchanged;
- the UASB volume and its design minimum = residents x 63 L (de Graaff et al.
  2010, as in Buiksloterham's file); every other size of the file (exchanger
  area and loop flow, heat-pump and store capacities, CHP and its gas store,
  the struvite reactor) and every design maximum are Buiksloterham's times k;
- costs, prices, lifetimes and the discount rate are Buiksloterham's. Its
  digester and CHP costs are linear fits over 73-200 m3 and 5-50 kWe: for
  k > 1 (digester) and k > 1.67 (CHP maximum) the optimizer extrapolates
  them, which is stated, not corrected.

Nothing physical is invented: the neighbourhoods differ only in scale, and in
the random hour-to-hour noise of their households (each source draws its own,
seeded by the district's seed and its name). So the optimizer samples each
neighbourhood's unit maps: none is an exact per-capita copy of another (the
noise differs; a digester's wall losses go with V^(2/3); see
``benchmarks/RESULTS.md``, city section).
"""

from __future__ import annotations

import copy
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BASE = HERE / "buiksloterham.toml"

#: Scale of each neighbourhood on Buiksloterham's 550 homes (the first is Buiksloterham's
#: size, so one neighbourhood is the file's district with renamed nodes).
FACTORS = (1.0, 0.5, 1.5, 0.75, 2.0, 0.6, 1.25, 0.9, 1.75, 1.1)
HOMES = 550
PERSONS_PER_HOME = 2.1  # CBS StatLine, as in buiksloterham.toml
UASB_L_PER_PERSON = 63.0  # de Graaff et al. 2010, as in buiksloterham.toml

#: Sizes of the file scaled by k (table path inside the unit).
_SCALED = {
    "gw_hp": [
        ("exchanger", "area_m2"),
        ("exchanger", "loop_flow_m3_h"),
        ("heat_pump", "capacity_kW"),
        ("store", "capacity_kWh"),
        ("store", "max_power_kW"),
    ],
    "chp": [("store", "capacity_Nm3"), ("chp", "capacity_kWe")],
    "struvite": [("V_m3",)],
}
_SHARED_SINKS = ("sewer", "grid")


def factors(n: int) -> list[float]:
    """Scale of each of ``n`` neighbourhoods: the ten factors, repeated."""
    return [FACTORS[i % len(FACTORS)] for i in range(n)]


def scaled(base: dict[str, Any], k: float) -> dict[str, Any]:
    """Buiksloterham's data scaled by ``k`` on its homes (see the module docstring)."""
    out = copy.deepcopy(base)
    homes = round(HOMES * k)
    residents = round(homes * PERSONS_PER_HOME)
    uasb = round(residents * UASB_L_PER_PERSON / 1000.0, 1)
    out["sources"]["homes"]["homes"] = homes
    out["sources"]["homes"]["residents"] = residents
    for unit, table in out["units"].items():
        for path in _SCALED.get(unit, []):
            holder = table
            for key in path[:-1]:
                holder = holder[key]
            holder[path[-1]] = round(float(holder[path[-1]]) * k, 3)
    out["units"]["digester"]["reactor"]["V_liq_m3"] = uasb
    for unit, sizes in out["optimize"]["design"].items():
        for size, bound in sizes.items():
            bound["max"] = round(float(bound["max"]) * k, 3)
            if unit == "digester" and size == "V_liq_m3":
                bound["min"] = uasb
            elif "min" in bound:
                bound["min"] = round(float(bound["min"]) * k, 3)
    return out


def join(
    parts: dict[str, dict[str, Any]],
    shared: tuple[str, ...] = _SHARED_SINKS,
    **top: Any,
) -> dict[str, Any]:
    """One district of several neighbourhoods: ``parts`` maps a name prefix (``"n01_"``) to
    a district's data. Every node but the ``shared`` sinks is renamed with its prefix; a
    renamed sink that takes a demand serves its own neighbourhood's sources only; the
    ``[optimize]`` table (but its design and routes, each part's renamed) and the other
    tables are the first part's, with ``top`` tables replacing them."""
    first = next(iter(parts.values()))
    out: dict[str, Any] = {
        **{k: copy.deepcopy(v) for k, v in first.items() if k not in ("optimize",)},
        "sources": {},
        "units": {},
        "sinks": {},
        "connections": [],
    }
    if "optimize" in first:
        out["optimize"] = {
            k: v for k, v in first["optimize"].items() if k not in ("design", "routes")
        }
        out["optimize"]["design"] = {}
    for tag, data in parts.items():
        local = (set(data["sources"]) | set(data["units"]) | set(data["sinks"])) - set(shared)

        def name(node: str, tag: str = tag, local: set[str] = local) -> str:
            return tag + node if node in local else node

        for section in ("sources", "units", "sinks"):
            for node, table in data[section].items():
                t = copy.deepcopy(table)
                if section == "sinks" and node in local and "serves" not in t and _takes(t):
                    t["serves"] = [name(s) for s in data["sources"]]
                out[section].setdefault(name(node), t)
        for c in data["connections"]:
            (a, pa), (b, pb) = (side.strip().split(".") for side in c.split("->"))
            out["connections"].append(f"{name(a)}.{pa} -> {name(b)}.{pb}")
        for unit, sizes in data.get("optimize", {}).get("design", {}).items():
            out["optimize"]["design"][name(unit)] = copy.deepcopy(sizes)

        def port(path: str, name: Callable[[str], str] = name) -> str:
            node, p = path.split(".")
            return f"{name(node)}.{p}"

        for route in data.get("optimize", {}).get("routes", []):
            renamed = {**copy.deepcopy(route), "outlet": port(route["outlet"])}
            renamed["to"] = [port(t) for t in route["to"]]
            out["optimize"].setdefault("routes", []).append(renamed)
    out.update(top)
    return out


def _takes(sink: dict[str, Any]) -> bool:
    """Whether a sink's type takes a demand (then it ``serves`` sources)."""
    from nexus.registry import node_type

    return node_type(sink["type"]).takes_demand


def city(n: int = 10, scales: list[float] | None = None) -> dict[str, Any]:
    """The district data of ``n`` neighbourhoods (``n01_`` ... ), as ``district_from_dict``
    takes it; ``scales`` default :func:`factors`."""
    base = tomllib.loads(BASE.read_text())
    width = max(2, len(str(n)))
    ks = factors(n) if scales is None else list(scales)
    parts = {f"n{i + 1:0{width}d}_": scaled(base, k) for i, k in enumerate(ks)}
    info = {
        **base["district"],
        "name": f"City of {n} neighbourhoods",
        "description": (
            f"{n} Buiksloterham-like neighbourhoods of {', '.join(f'{k:g}' for k in ks)}"
            " x its 550 homes (districts/make_city.py)"
        ),
    }
    return join(parts, district=info)


# ----------------------------------------------------------------------------- TOML
def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _table(lines: list[str], path: list[str], table: dict[str, Any]) -> None:
    plain = {k: v for k, v in table.items() if not isinstance(v, dict)}
    nested = {k: v for k, v in table.items() if isinstance(v, dict)}
    if path and (plain or not nested):
        lines.append("")
        lines.append(f"[{'.'.join(path)}]")
    for k, v in plain.items():
        if isinstance(v, list) and v and isinstance(v[0], str) and len(v) > 3:
            lines.append(f"{k} = [")
            lines += [f"    {_value(x)}," for x in v]
            lines.append("]")
        else:
            lines.append(f"{k} = {_value(v)}")
    for k, v in nested.items():
        _table(lines, [*path, k], v)


def to_toml(data: dict[str, Any], header: str) -> str:
    """``data`` as TOML (top-level lists first), after a comment ``header``."""
    lines = [f"# {line}".rstrip() for line in header.strip().splitlines()]
    top = {k: v for k, v in data.items() if not isinstance(v, dict)}
    _table(lines, [], top)
    for k, v in data.items():
        if isinstance(v, dict):
            _table(lines, [k], v)
    return "\n".join(lines) + "\n"


def write(n: int = 10, path: Path | None = None) -> Path:
    """Write the city of ``n`` neighbourhoods (default ``districts/city_ten.toml``)."""
    path = HERE / "city_ten.toml" if path is None else Path(path)
    sizes = ", ".join(f"n{i + 1:02d} {round(HOMES * k)} homes" for i, k in enumerate(factors(n)))
    header = (
        f"Generated by districts/make_city.py ({n} neighbourhoods); edit that script, not this "
        "file.\n"
        "Each neighbourhood is Buiksloterham (districts/buiksloterham.toml, every figure cited "
        "there)\nscaled on its number of homes: residents = homes x 2.1, UASB = residents x "
        "63 L,\nthe other sizes and design maxima x k; costs and prices unchanged (see the "
        "script's docstring).\n" + "Neighbourhoods: " + sizes + "."
    )
    text = to_toml(city(n), "\n".join(_wrap(header)))
    path.write_text(text)
    return path


def _wrap(text: str, width: int = 92) -> list[str]:
    import textwrap

    return [w for line in text.splitlines() for w in (textwrap.wrap(line, width) or [""])]


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    out = write(n, Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    print(out)
