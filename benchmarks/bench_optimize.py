"""Benchmark: build and solve the Buiksloterham optimizer model; the same LP in highspy and linopy.

Time grids: the first 168 h and the first 2190 h of the full-year maps
(weights 8760/n so totals stay annual, storage cyclic over the horizon), the
full 8760 h, and 12 typical days (tsam, 288 steps). The unit maps are sampled
once (``sample_maps``, not timed here) and handed to every run as a pickle
(without the water sampled per column, which only sampling reads).

Measured per grid, each run in a fresh Python process (so peak resident
memory is that size's and tool's own):

- ``pyomo MILP``: the model as ``nexus.optimize`` builds it (binaries
  ``built_*``), solved through ``nexus.optimize.solve._run`` with the solver
  ``_solver`` gives (``nexus.optimize.highs.ArrayHighs``: the arrays the
  model was built from, then highspy; with two binaries nexus branches
  itself over HiGHS's warm-started LP, ``nexus.optimize.branch``). Build =
  ``build_model``; hand-off = ``compile_s + handoff_s`` of the solver's
  ``timings`` (compiling the model to arrays, passing them to HiGHS); solve =
  ``solve_s + load_s`` (HiGHS, and the solution loaded back into the
  Pyomo variables); the rest of the ``_run`` call (building the objective
  expression) is kept apart as ``objective`` and counted in the total;
  re-solve = ``heat_backup_per_kWh`` x 1.1, then ``_run`` again with the same
  solver, wall time (no recompile; an LP and nexus's branching start from the
  previous basis).
- ``pyomo MILP, HiGHS branching``: the same with ``ArrayHighs(branching=
  "highs")``: HiGHS's MIP solver, whose branch and bound starts over on a
  re-solve.
- ``pyomo LP``: the same, with the binaries fixed at the MILP optimum of that
  grid (domain relaxed to [0, 1], then fixed, so the compiler writes them as
  constants): a pure LP, whose optimum equals the MILP's.
- ``highspy``: that LP, exactly as Pyomo handed it to HiGHS (read back with
  ``opt.highs.getLp()`` in a separate export run), passed as numpy CSR arrays
  with ``Highs.passModel``; re-solve = ``changeColsCost`` on the columns whose
  cost changed, then ``run`` (warm start). Its build is not timed: the arrays
  are given, so its total is a lower bound for any modelling layer.
- ``linopy``: the same LP written again in linopy the way a linopy user would,
  vectorized over ``(period, hour)`` (storage balances with ``roll``; one
  flow variable over the connections and demand categories, summed per
  port), from the same maps: the same rows, columns and nonzeros; hand-off = ``Solver.from_name("highs", io_api="direct",
  track_updates=True)``, solve = ``Solver.solve()``, re-solve = the objective
  rebuilt with the new price and ``Solver.solve(model)`` (in-place update of
  the same HiGHS instance).

Every optimal objective is checked against Pyomo's (1e-6 relative).

Then the design goal: ``nexus.optimize.solve`` with 12 typical days, timed
from a fresh process (imports, loading, sampling, aggregation, build, solve),
with its verification by simulation; and its design checked on the full
year: the 8760 h LP with those sizes fixed, against the full-year MILP optimum.

Run (roughly 15-20 min on 2 cores: the 8760 h LP takes most of it)::

    .venv/bin/python benchmarks/bench_optimize.py
    .venv/bin/python benchmarks/bench_optimize.py --runs 1 --grids 168,td12   # quick look

Needs linopy (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pickle
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DISTRICT = ROOT / "districts" / "buiksloterham.toml"
GRIDS = ("168", "2190", "8760", "td12")
PRICE_FACTOR = 1.1  # re-solve after heat_backup_per_kWh x 1.1
RTOL = 1e-6
# the LPs below have no integers (the MILPs use nexus.optimize.highs.MIP_REL_GAP)
HIGHS_OPTIONS = {"mip_rel_gap": 1e-6}


# ----------------------------------------------------------------------------- helpers
def slice_maps(maps, n: int):
    """The first n hours of full-year maps, weighted to stand for the year, cyclic over n."""
    nodes = {
        name: dataclasses.replace(
            node, series={k: np.ascontiguousarray(v[..., :n]) for k, v in node.series.items()}
        )
        for name, node in maps.nodes.items()
    }
    return dataclasses.replace(
        maps,
        nodes=nodes,
        route_flow_m3_h=[np.ascontiguousarray(f[:n]) for f in maps.route_flow_m3_h],
        weights=np.full(n, 8760.0 / n),
        period_hours=n,
        aggregation_error={},
    )


def without_water(maps):
    """The maps without the sampled water of each column (``NodeMap.outlets``, full-year
    streams kept for sampling the units downstream): the model is built without them, and
    every tool's process loads the same maps, so none carries them into its memory."""
    nodes = {name: dataclasses.replace(node, outlets={}) for name, node in maps.nodes.items()}
    return dataclasses.replace(maps, nodes=nodes)


def _peak_rss_mb() -> float:
    """High-water mark of this process's resident memory [MB] (VmHWM: since exec, unlike
    ru_maxrss, which keeps the forking parent's peak)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _district():
    """Buiksloterham with the greywater exchanger area at the file's 40 m2.

    The file lets the optimizer choose the area (sampled exchanger runs);
    the linopy twin below does not write sampled areas, so every run here
    keeps the area fixed and all tools solve the same LP.
    """
    import copy

    import nexus
    from nexus.district import district_from_dict

    district = nexus.load_district(DISTRICT)
    data = copy.deepcopy(district.data)
    del data["optimize"]["design"]["gw_hp"]["area_m2"]
    return district_from_dict(data, file=district.file, base_dir=district.base_dir)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _load(path: str):
    with open(path, "rb") as f:
        return pickle.load(f)


# ----------------------------------------------------------------------------- pyomo
def _fix(model, fix: dict[str, float]) -> None:
    """Fix variables by Pyomo name; binaries become continuous in [0, 1] first (pure LP)."""
    import pyomo.environ as pyo

    for name, value in fix.items():
        var = model.find_component(name)
        if var.is_binary():
            var.domain = pyo.UnitInterval
        var.fix(float(value))


def worker_pyomo(spec: dict) -> dict:
    """Build + hand-off + solve + re-solve with nexus's Pyomo model (MILP, or LP if fixed)."""
    import importlib

    import pyomo.environ as pyo

    from nexus.optimize.model import build_model

    S = importlib.import_module("nexus.optimize.solve")
    district = _district()
    maps = _load(spec["maps"])
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    model = build_model(district, maps)
    build = time.perf_counter() - t0
    _fix(model, spec.get("fix", {}))
    opt = S._solver(None)
    if spec.get("branching"):
        from nexus.optimize.highs import ArrayHighs

        opt = ArrayHighs(branching=spec["branching"])
    t0 = time.perf_counter()
    status = S._run(opt, model, "cost")
    first = time.perf_counter() - t0
    if status != "Optimal":
        raise RuntimeError(f"pyomo: HiGHS status {status}")
    tm = dict(opt.timings)
    h = opt.highs
    info = h.getInfo()
    mip = len(h.getLp().integrality_) > 0  # HiGHS branched (else an LP, or nexus branched)
    out = {
        "build": build,
        "handoff": tm["compile_s"] + tm["handoff_s"],
        "solve": tm["solve_s"] + tm["load_s"],
        "objective": first - sum(v for k, v in tm.items() if k.endswith("_s")),
        "timings": tm,
        "obj": opt.objective,
        "obj_pyomo": float(pyo.value(model.obj)),
        "bound": float(info.mip_dual_bound) if mip else None,
        "mip": mip,
        "rows": h.getNumRow(),
        "cols": h.getNumCol(),
        "nnz": h.getNumNz(),
        "binaries": {
            v.name: round(float(v.value))
            for v in model.component_data_objects(pyo.Var)
            if v.is_binary() and not v.fixed
        },
        "cost_per_yr": float(pyo.value(model.cost_per_yr)),
    }
    if spec.get("export"):
        lp = h.getLp()
        a = lp.a_matrix_
        import scipy.sparse as sp

        A = sp.csc_matrix(
            (np.array(a.value_), np.array(a.index_), np.array(a.start_)),
            shape=(lp.num_row_, lp.num_col_),
        ).tocsr()
        arrays = {
            "c": np.array(lp.col_cost_),
            "offset": lp.offset_,
            "col_lower": np.array(lp.col_lower_),
            "col_upper": np.array(lp.col_upper_),
            "row_lower": np.array(lp.row_lower_),
            "row_upper": np.array(lp.row_upper_),
            "start": A.indptr.astype(np.int32),
            "index": A.indices.astype(np.int32),
            "value": A.data,
            "integrality": np.array([int(v) for v in lp.integrality_], dtype=np.int32),
        }
    model.heat_backup_per_kWh.set_value(PRICE_FACTOR * pyo.value(model.heat_backup_per_kWh))
    t0 = time.perf_counter()
    status2 = S._run(opt, model, "cost")
    out["resolve"] = time.perf_counter() - t0
    if status2 != "Optimal":
        raise RuntimeError(f"pyomo re-solve: HiGHS status {status2}")
    out["resolve_timings"] = dict(opt.timings)
    out["obj2"] = opt.objective
    if spec.get("export"):
        lp2 = h.getLp()
        a2 = lp2.a_matrix_
        # The LP HiGHS holds after the re-solve (updated in place) has the same columns,
        # rows, bounds and sparsity. Its matrix differs only in the rows of the cost targets
        # (heat_backup_per_kWh is in cost_per_yr), which are free (both bounds infinite):
        # the highspy re-solve changes only the costs.
        v1, v2 = np.array(a.value_), np.array(a2.value_)
        moved = np.unique(np.array(a.index_)[v1 != v2])
        same = (
            lp2.num_col_ == lp.num_col_
            and lp2.num_row_ == lp.num_row_
            and np.array_equal(np.array(a2.start_), np.array(a.start_))
            and np.array_equal(np.array(a2.index_), np.array(a.index_))
            and np.array_equal(np.array(lp2.row_lower_), arrays["row_lower"])
            and np.array_equal(np.array(lp2.row_upper_), arrays["row_upper"])
            and np.array_equal(np.array(lp2.col_lower_), arrays["col_lower"])
            and np.array_equal(np.array(lp2.col_upper_), arrays["col_upper"])
            and np.all(np.isinf(arrays["row_lower"][moved]))
            and np.all(np.isinf(arrays["row_upper"][moved]))
        )
        if not same:
            raise RuntimeError("the re-solved LP differs from the first beyond its costs")
        out["free_rows_changed"] = int(moved.size)
        arrays["c2"] = np.array(lp2.col_cost_)
        arrays["offset2"] = lp2.offset_
        np.savez(spec["export"], **arrays)
    out["rss_inputs"] = rss0
    out["peak_rss"] = _peak_rss_mb()
    return out


# ----------------------------------------------------------------------------- highspy
def worker_highspy(spec: dict) -> dict:
    """The LP Pyomo handed to HiGHS, passed again as numpy CSR arrays; re-solve by cost change."""
    import highspy

    z = dict(np.load(spec["arrays"]))
    rss0 = _rss_mb()
    if np.any(z["integrality"] != 0):
        raise RuntimeError("the exported model is not an LP")
    continuous = np.zeros(z["c"].size, dtype=np.int32)
    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for k, v in HIGHS_OPTIONS.items():
        h.setOptionValue(k, v)
    n, m = z["c"].size, z["row_lower"].size
    h.passModel(
        n, m, z["value"].size, int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize),
        float(z["offset"]), z["c"], z["col_lower"], z["col_upper"], z["row_lower"],
        z["row_upper"], z["start"], z["index"], z["value"], continuous,
    )  # fmt: skip
    handoff = time.perf_counter() - t0
    t0 = time.perf_counter()
    h.run()
    solve = time.perf_counter() - t0
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"highspy: {h.modelStatusToString(h.getModelStatus())}")
    obj = h.getInfo().objective_function_value
    changed = np.flatnonzero(z["c2"] != z["c"]).astype(np.int32)
    t0 = time.perf_counter()
    h.changeColsCost(changed.size, changed, z["c2"][changed])
    h.changeObjectiveOffset(float(z["offset2"]))
    h.run()
    resolve = time.perf_counter() - t0
    return {
        "build": None,
        "handoff": handoff,
        "solve": solve,
        "resolve": resolve,
        "obj": obj,
        "obj2": h.getInfo().objective_function_value,
        "changed_costs": int(changed.size),
        "rss_inputs": rss0,
        "peak_rss": _peak_rss_mb(),
    }


# ----------------------------------------------------------------------------- linopy
def build_linopy(district, maps, fix: dict[tuple[str, str], float]):
    """The district LP of ``nexus.optimize.model`` written in linopy, vectorized over time.

    The network as nexus writes it for any district (``nexus.optimize.model``):
    a flow per heat, electricity or gas connection (per connection and
    category where an inlet's categories cannot share flows), or the
    supplier's own expression where a port has one connection and its node
    says what passes; what leaves an outlet equals what its node supplies (at
    most, where the rest may be lost: the CHP's heat); what reaches an inlet,
    plus backup at the category's price, meets its demand (pooled over the
    categories of the heat network, with the Hall rows of its connections);
    the grid's import and export priced. The nodes are written by type, for the
    types and configurations Buiksloterham uses (shower DWHR, greywater heat
    pump with a fixed exchanger, sampled digester, CHP, struvite reactor of
    fixed volume, heat-network and EV-charging demands, grid). ``fix`` gives
    the value of each ``built_*`` binary, ``(node, size) -> 0/1``, as
    constants (as Pyomo treats fixed variables); missing ones are binaries.

    Returns the model, a function of the heat price giving the objective
    expression, and the objective's constant (linopy objectives carry none).
    """
    import linopy
    import pandas as pd
    import xarray as xr

    from nexus.optimize.model import SLACK_PENALTY, annuity_factor
    from nexus.registry import CATEGORIES
    from nexus.schema import OBJECTIVES
    from nexus.units.chp import LHV_CH4_kWh_Nm3

    written = {"households", "sewer", "farm", "shower_dwhr", "greywater_heat_pump", "chp"}
    written |= {"anaerobic_digester", "struvite_reactor", "heat_network", "ev_charging", "grid"}
    nodes, opt = district.nodes, district.optimize
    unknown = {x.type.name for x in nodes.values()} - written
    if unknown:
        raise NotImplementedError(f"linopy twin: node types {sorted(unknown)} not written")
    m = linopy.Model()
    T, P = maps.n_time, maps.period_hours
    period, hour = pd.RangeIndex(T // P, name="period"), pd.RangeIndex(P, name="hour")
    coords = [period, hour]

    def of_type(kind):
        return [name for name, x in nodes.items() if x.type.name == kind]

    def ts(a):  # (T,) -> (period, hour)
        return xr.DataArray(np.asarray(a, float).reshape(T // P, P), coords=coords)

    def tk(a, dim):  # (K, T) -> (dim, period, hour)
        k = a.shape[0]
        return xr.DataArray(a.reshape(k, T // P, P), coords=[pd.RangeIndex(k, name=dim), *coords])

    def nonneg(name):
        return m.add_variables(lower=0.0, coords=coords, name=name)

    # ------------------------------------------------------------ network
    # The network as nexus.optimize.model writes it: which inlets pool their categories,
    # the unions of category sets (Hall rows) and a connection's categories come from the
    # same helpers, the LP is written here in linopy.
    from nexus.optimize.model import _categories, _pooled, _unions

    into: dict = {}
    for c in district.connections:
        if c.kind in ("heat", "electricity"):
            src, dst = nodes[c.src].type.port(c.src_port), nodes[c.dst].type.port(c.dst_port)
            cats = tuple(k for k in _categories(src, dst) if k)
            into.setdefault((c.dst, c.dst_port), {})[c] = cats
    pooled = {
        inlet: links
        for inlet, links in into.items()
        if _pooled(nodes[inlet[0]].type.port(inlet[1]).takes, list(links.values()))
    }
    keys = []  # (connection, category): one per connection where pooled, None for gas/draws
    for c in district.connections:
        if c.kind == "gas":
            keys.append((c, None))
        elif c.kind != "water":
            cats = into[(c.dst, c.dst_port)][c]
            if (c.dst, c.dst_port) in pooled or not cats:
                keys.append((c, "+".join(cats) or None))
            else:
                keys += [(c, k) for k in cats]
    flows: dict = {}  # key -> a variable made when first needed, or a supplier's expression

    def flow(key):
        if key not in flows:
            c, k = key
            flows[key] = nonneg(f"flow {c.label} {k or ''}".rstrip())
        return flows[key]

    def keys_at(node, port, side, category=None):
        def end(c):
            return (c.dst, c.dst_port) if side == "in" else (c.src, c.src_port)

        return [(c, k) for c, k in keys if end(c) == (node, port) and category in (None, k)]

    def at(node, port, side, category=None):
        """The flows at a port, summed (of one category, or all)."""
        return sum(flow(key) for key in keys_at(node, port, side, category))

    def define(node, port, side, expr, by_construction):
        """The one flow at a port is ``expr`` itself, if nothing used it yet; a row keeps it
        >= 0 unless ``expr`` is so by construction (as nexus decides from its coefficients:
        ``by_construction`` is that decision for the expressions written here)."""
        found = keys_at(node, port, side)
        if len(found) != 1 or found[0] in flows:
            return False
        flows[found[0]] = expr
        if not by_construction:
            m.add_constraints(expr >= 0, name=f"{node}.{port}_nonneg")
        return True

    def to_unlimited(node, port):
        return any(
            CATEGORIES[k].unlimited
            for c in district.connections
            if (c.src, c.src_port) == (node, port)
            for k in nodes[c.dst].type.port(c.dst_port).takes
        )

    def supply(node, port, expr, at_most=False, by_construction=True):
        at_most = at_most and not to_unlimited(node, port)
        if not at_most and define(node, port, "out", expr, by_construction):
            return
        flows_out = at(node, port, "out")
        m.add_constraints(
            flows_out <= expr if at_most else flows_out == expr, name=f"{node}.{port}_supply"
        )

    bought: dict = {}  # price key -> backup variables
    pending: dict = {}  # pooled inlet -> {category: demand}

    def backup_of(node, tag, price):
        backup = nonneg(f"{node}.backup_{tag}")
        bought.setdefault(price, []).append(backup)
        return backup

    def demand(node, port, expr, category=None):
        if (node, port) in pooled:
            pending.setdefault((node, port), {})[category] = expr
            return
        if category is None and define(node, port, "in", expr, True):
            return
        flows_in = at(node, port, "in", category)
        tag = f"{port}_{category}" if category else port
        price = None if category is None else CATEGORIES[category].backup
        if price is not None:
            flows_in = flows_in + backup_of(node, tag, price)
        m.add_constraints(flows_in == expr, name=f"{node}.{tag}_balance")

    def close_pooled():
        for (node, port), demands in pending.items():
            links = pooled[(node, port)]
            price = CATEGORIES[next(iter(demands))].backup
            total = sum(demands.values())
            link_flows = {c: sum(flow((d, k)) for d, k in keys if d == c) for c in links}
            m.add_constraints(
                sum(link_flows.values()) + backup_of(node, port, price) == total,
                name=f"{node}.{port}_balance",
            )
            for subset in _unions(list(links.values())):
                if set(subset) >= set(demands):
                    continue
                served = [link_flows[c] for c, cats in links.items() if set(cats) <= set(subset)]
                asked = sum(demands[k] for k in subset if k in demands)
                m.add_constraints(
                    sum(served) <= asked, name=f"{node}.{port}_{'_'.join(subset)}_at_most"
                )

    # ------------------------------------------------------------ sizes and sampled runs
    capex, built_of, lam_of = [], {}, {}
    offset = 0.0

    def size(unit, key):
        """A design size: the file's value where it fixes it, else a variable with its cost."""
        nonlocal offset
        name = key.rpartition(".")[2]
        bound = opt.design.get(unit, {}).get(name)
        if bound is None:
            return nodes[unit].type.size_value(nodes[unit].params, key)
        var = m.add_variables(lower=0.0, upper=bound.max, name=f"{unit}.size_{name}")
        a = annuity_factor(opt.discount_rate_frac, bound.lifetime_yr)
        capex.append(a * bound.capex_per_unit * var)
        if bound.capex_fixed > 0 or bound.min > 0:
            if (unit, name) in fix:
                built = float(fix[(unit, name)])
                offset += a * bound.capex_fixed * built
            else:
                built = m.add_variables(binary=True, name=f"{unit}.built_{name}")
                capex.append(a * bound.capex_fixed * built)
            m.add_constraints(var - bound.max * built <= 0, name=f"{unit}.{name}_max")
            m.add_constraints(var - bound.min * built >= 0, name=f"{unit}.{name}_min")
            built_of[(unit, key)] = built
        return var

    def weights(unit, sized):
        """Weights of a unit's sampled runs, tied to its sampled sizes (``key -> size``)."""
        the_map = maps.nodes[unit]
        dim = f"{unit}_sample"
        idx = pd.RangeIndex(the_map.n_columns, name=dim)
        lam = m.add_variables(lower=0.0, upper=1.0, coords=[idx], name=f"{unit}.lam")
        m.add_constraints(lam.sum() == 1.0, name=f"{unit}.lam_sum")
        for key, var in sized.items():
            samples = the_map.sizes[key]
            k = xr.DataArray(samples, coords=[idx])
            name = key.rpartition(".")[2]
            m.add_constraints(var - (k * lam).sum() == 0, name=f"{unit}.{name}_from_samples")
            if (unit, key) in built_of:  # size-0 runs carry the weight of not building
                empty = np.flatnonzero(samples == 0.0)
                m.add_constraints(
                    lam.isel({dim: empty}).sum() + built_of[(unit, key)] == 1.0,
                    name=f"{unit}.{name}_not_built",
                )
        lam_of[unit] = lam

    def mix(unit, table):
        """A series sampled per run of ``unit``, mixed by its weights."""
        lam = lam_of[unit]
        dim = lam.dims[0]
        return (tk(table, dim) * lam).sum(dim)

    # ------------------------------------------------------------ units
    for u in of_type("shower_dwhr"):
        heat = m.add_variables(
            lower=0.0, upper=ts(maps.nodes[u].series["heat_kW"]), name=f"{u}.heat"
        )
        supply(u, "heat", heat)
    for u in of_type("greywater_heat_pump"):
        if maps.nodes[u].n_columns > 1:
            raise NotImplementedError("linopy twin: sampled exchanger areas not written")
        s, store = maps.nodes[u].series, nodes[u].params["store"]
        cap, store_cap = size(u, "heat_pump.capacity_kW"), size(u, "store.capacity_kWh")
        out_k, inv_cop = tk(s["output_kW"], "source"), tk(1.0 / s["cop"], "source")
        out = m.add_variables(lower=0.0, coords=out_k.coords, name=f"{u}.out")
        m.add_constraints(out <= out_k, name=f"{u}.out_potential")
        total = out.sum("source")
        m.add_constraints(total - cap <= 0, name=f"{u}.capacity")
        p_max, loss = float(store.max_power_kW), float(store.loss_frac_h)
        charge = m.add_variables(lower=0.0, upper=p_max, coords=coords, name=f"{u}.charge")
        discharge = m.add_variables(lower=0.0, upper=p_max, coords=coords, name=f"{u}.discharge")
        soc = nonneg(f"{u}.soc")
        m.add_constraints(soc - store_cap <= 0, name=f"{u}.soc_max")
        m.add_constraints(
            soc - (1.0 - loss) * soc.roll(hour=1) - charge + discharge == 0,
            name=f"{u}.store_balance",
        )
        m.add_constraints(charge - total <= 0, name=f"{u}.charge_from_output")
        # delivered = total - charge + discharge: not >= 0 by its coefficients (a row keeps it)
        supply(u, "heat", total - charge + discharge, by_construction=False)
        demand(u, "power", (out * inv_cop).sum("source"))
    for u in of_type("anaerobic_digester"):
        weights(u, {"reactor.V_liq_m3": size(u, "reactor.V_liq_m3")})
        s = maps.nodes[u].series
        supply(u, "biogas", mix(u, s["methane_Nm3_h"]))
        demand(u, "heat", mix(u, s["heat_demand_kW"]), "process")
    for u in of_type("chp"):
        p = nodes[u].params["chp"]
        eta_e = float(p.electrical_efficiency_frac) * LHV_CH4_kWh_Nm3
        eta_h = float(p.thermal_efficiency_frac) * LHV_CH4_kWh_Nm3
        cap, store_cap = size(u, "chp.capacity_kWe"), size(u, "store.capacity_Nm3")
        burn, flare, gas = nonneg(f"{u}.burn"), nonneg(f"{u}.flare"), nonneg(f"{u}.gas")
        m.add_constraints(gas - store_cap <= 0, name=f"{u}.gas_max")
        m.add_constraints(
            gas - gas.roll(hour=1) - at(u, "biogas", "in") + burn + flare == 0,
            name=f"{u}.gas_balance",
        )
        m.add_constraints(eta_e * burn - cap <= 0, name=f"{u}.capacity")
        supply(u, "power", eta_e * burn, at_most=True)
        supply(u, "heat", eta_h * burn, at_most=True)
    recovered, chemicals = [], []
    for u in of_type("struvite_reactor"):
        if "V_m3" in opt.design.get(u, {}):
            raise NotImplementedError("linopy twin: only a struvite reactor of fixed volume")
        s = maps.nodes[u].series
        harvest, cap = s["P_kg_h"], s["P_kg_h_per_m3"] * size(u, "V_m3")
        offered = mix(maps.nodes[u].upstream["in"], harvest)
        P_ = nonneg(f"{u}.P")
        m.add_constraints(P_ - offered <= 0, name=f"{u}.harvest_max")
        m.add_constraints(P_ <= ts(cap), name=f"{u}.volume")
        short = ts(np.maximum(harvest.max(axis=0) - cap, 0.0))
        m.add_constraints(P_ - offered >= -short, name=f"{u}.harvest_all")
        recovered.append(P_)
        chemicals.append(ts(s["cost_per_kg_P"]) * P_)

    # ------------------------------------------------------------ sinks
    for u in of_type("heat_network") + of_type("ev_charging"):
        for port in nodes[u].type.ports:
            for k in port.takes:
                demand(u, port.name, ts(maps.nodes[u].series[k]), k)
    close_pooled()
    grids = of_type("grid")
    imported = [at(g, "out", "out") for g in grids]
    exported = [at(g, "in", "in") for g in grids]

    # ------------------------------------------------------------ objectives
    w = ts(maps.weights)
    role = {name: x.role for name, x in nodes.items()}
    delivered = sum(flow(k) for k in keys if k[0].kind != "gas" and role[k[0].src] == "unit")
    drawn = sum(flow(k) for k in keys if k[0].kind == "electricity" and role[k[0].dst] == "unit")
    prices = opt.prices

    def cost_per_yr(p_heat: float):
        price = {key: float(getattr(prices, key)) for key in bought}
        price["heat_backup_per_kWh"] = p_heat
        per_step = (
            float(prices.electricity_import_per_kWh) * sum(imported)
            - float(prices.electricity_export_per_kWh) * sum(exported)
            + sum(price[key] * sum(backups) for key, backups in bought.items())
            + sum(chemicals)
        )
        return sum(capex) + (w * per_step).sum()

    p_heat = float(prices.heat_backup_per_kWh)
    kpi = {
        "energy_kWh_yr": (w * delivered).sum() - (w * drawn).sum(),
        "P_kg_yr": (w * sum(recovered)).sum(),
        "cost_per_yr": cost_per_yr(p_heat),
    }
    targets = [spec.expression for spec in OBJECTIVES.values()]
    slack = m.add_variables(
        lower=0.0,
        coords=[pd.Index(targets, name="target"), pd.Index(["min", "max"], name="side")],
        name="slack",
    )
    for name in targets:  # the Params' defaults: no target
        low, high = slack.sel(target=name, side="min"), slack.sel(target=name, side="max")
        m.add_constraints(kpi[name] + low >= -1e30, name=f"{name}_min_target")
        m.add_constraints(kpi[name] - high <= 1e30, name=f"{name}_max_target")

    def objective(p_heat: float):
        return cost_per_yr(p_heat) + SLACK_PENALTY * slack.sum()

    m.add_objective(objective(p_heat))
    return m, objective, offset


def worker_linopy(spec: dict) -> dict:
    """Build the LP in linopy, hand it to HiGHS directly, solve, re-solve after a price change."""
    import linopy  # noqa: F401  (imported before timing, like pyomo in the pyomo worker)
    from linopy.solvers import Solver

    district = _district()
    maps = _load(spec["maps"])
    fix = {tuple(k.split("/")): v for k, v in spec.get("fix", {}).items()}
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    m, objective, offset = build_linopy(district, maps, fix)
    build = time.perf_counter() - t0
    options = {"output_flag": False, **HIGHS_OPTIONS}
    t0 = time.perf_counter()
    solver = Solver.from_name("highs", m, io_api="direct", options=options, track_updates=True)
    handoff = time.perf_counter() - t0
    h = solver.solver_model
    t0 = time.perf_counter()
    result = solver.solve()
    solve = time.perf_counter() - t0
    if result.status.termination_condition.value != "optimal":
        raise RuntimeError(f"linopy: {result.status}")
    obj = result.solution.objective + offset
    p_heat = float(district.optimize.prices.heat_backup_per_kWh) * PRICE_FACTOR
    t0 = time.perf_counter()
    m.add_objective(objective(p_heat), overwrite=True)
    result2 = solver.solve(m)
    resolve = time.perf_counter() - t0
    return {
        "build": build,
        "handoff": handoff,
        "solve": solve,
        "resolve": resolve,
        "obj": obj,
        "obj2": result2.solution.objective + offset,
        "in_place_updates": solver._in_place_updates,
        "rebuilds": solver._rebuilds,
        "rows": h.getNumRow(),
        "cols": h.getNumCol(),
        "nnz": h.getNumNz(),
        "rss_inputs": rss0,
        "peak_rss": _peak_rss_mb(),
    }


# ----------------------------------------------------------------------------- the design goal
def worker_design(spec: dict) -> dict:
    """nexus.optimize.solve with typical days and its verification, from a fresh process.

    The design is decided at the end of the solve: the wall time from the start of
    this process to the return of ``solve``, less its verification time (attrs).
    """
    t_start = time.perf_counter()
    from nexus.optimize import solve

    district = _district()
    ds = solve(district, typical_days=spec["days"], verify=True)
    wall = time.perf_counter() - t_start
    timings = {
        k: float(v) for k, v in ds.attrs.items() if k.startswith("time_") and k.endswith("_s")
    }
    design = {
        unit: {size: float(ds[size].sel(node=unit)[0]) for size in sizes}
        for unit, sizes in district.optimize.design.items()
    }
    return {
        "decided": wall - timings.get("time_verify_s", 0.0),
        "timings": timings,
        "design": design,
        "cost_per_yr": float(ds["cost_per_yr"][0]),
        "verify": timings.get("time_verify_s"),
        "gap_energy": float(ds["gap_energy_frac"][0]),
        "gap_P": float(ds["gap_P_frac"][0]),
        "peak_rss": _peak_rss_mb(),
    }


def worker_check(spec: dict) -> dict:
    """The full-year (8760 h) LP with a design's sizes fixed: its cost."""
    import importlib

    import pyomo.environ as pyo

    from nexus.optimize.model import build_model

    S = importlib.import_module("nexus.optimize.solve")
    district = _district()
    maps = _load(spec["maps"])
    t0 = time.perf_counter()
    model = build_model(district, maps)
    fix = {}
    for (unit, size), var in model.nexus_sizes.items():  # the sizes the file lets nexus choose
        if not var.fixed:
            value = spec["design"][unit][size]
            fix[var.name] = value
            built = var.parent_block().component(f"built_{size}")
            if built is not None:  # built where the size is chosen
                fix[built.name] = 1.0 if value > 0 else 0.0
    _fix(model, fix)
    status = S._run(S._solver(None), model, "cost")
    if status != "Optimal":
        raise RuntimeError(f"check: HiGHS status {status}")
    return {"cost_per_yr": float(pyo.value(model.cost_per_yr)), "time": time.perf_counter() - t0}


WORKERS = {
    "pyomo": worker_pyomo,
    "highspy": worker_highspy,
    "linopy": worker_linopy,
    "design": worker_design,
    "check": worker_check,
}


# ----------------------------------------------------------------------------- parent
def child(kind: str, spec: dict) -> dict:
    """Run one worker in a fresh Python process; its JSON result."""
    cmd = [sys.executable, __file__, "--worker", kind, json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} {spec}: failed\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median(runs: list[dict], key: str):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def prepare(tmp: Path, grids) -> dict[str, str]:
    """Sample the maps once; write each grid's maps as a pickle."""
    from nexus.optimize.maps import sample_maps
    from nexus.optimize.periods import typical_days

    district = _district()
    t0 = time.perf_counter()
    full = without_water(sample_maps(district))
    print(f"sample_maps: {time.perf_counter() - t0:.1f} s (not in the figures below)", flush=True)
    paths = {}
    for g in grids:
        maps = typical_days(full, int(g[2:]), year=district.info.year) if g.startswith("td") else (
            full if g == "8760" else slice_maps(full, int(g))
        )  # fmt: skip
        paths[g] = str(tmp / f"maps_{g}.pkl")
        with open(paths[g], "wb") as f:
            pickle.dump(maps, f)
    if "8760" not in paths:
        paths["8760"] = str(tmp / "maps_8760.pkl")
        with open(paths["8760"], "wb") as f:
            pickle.dump(full, f)
    return paths


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-12)


def run(args) -> dict:
    grids = args.grids.split(",")
    results: dict = {"grids": {}, "machine": _machine()}
    with tempfile.TemporaryDirectory(prefix="bench_optimize_") as tmp_:
        tmp = Path(tmp_)
        paths = prepare(tmp, grids)
        for g in grids:
            n_runs = 1 if (g == "8760" and not args.full_runs_8760) else args.runs
            say = lambda msg, g=g: print(f"[{g}] {msg}", flush=True)  # noqa: E731
            r: dict = {}
            say("pyomo MILP")
            r["pyomo_milp"] = [child("pyomo", {"maps": paths[g]}) for _ in range(n_runs)]
            say("pyomo MILP, HiGHS branching")
            r["pyomo_milp_highs"] = [
                child("pyomo", {"maps": paths[g], "branching": "highs"}) for _ in range(n_runs)
            ]
            fix_pyomo = r["pyomo_milp"][0]["binaries"]
            fix_linopy = {}
            for name, value in fix_pyomo.items():
                mt = re.fullmatch(r"\w+\[(\w+)\]\.built_(\w+)", name)
                fix_linopy[f"{mt[1]}/{mt[2]}"] = value
            say(f"pyomo LP (binaries fixed: {fix_pyomo})")
            arrays = str(tmp / f"lp_{g}.npz")
            export = child("pyomo", {"maps": paths[g], "fix": fix_pyomo, "export": arrays})
            r["pyomo_lp"] = [child("pyomo", {"maps": paths[g], "fix": fix_pyomo})]
            r["pyomo_lp"] += [
                child("pyomo", {"maps": paths[g], "fix": fix_pyomo}) for _ in range(args.runs - 1)
            ]
            say("highspy")
            r["highspy"] = [child("highspy", {"arrays": arrays}) for _ in range(args.runs)]
            say("linopy")
            r["linopy"] = [
                child("linopy", {"maps": paths[g], "fix": fix_linopy}) for _ in range(args.runs)
            ]
            ref, ref2 = export["obj"], export["obj2"]
            r["objective_check"] = {
                tool: max(max(_rel(x["obj"], ref), _rel(x["obj2"], ref2)) for x in r[tool])
                for tool in ("pyomo_lp", "highspy", "linopy")
            }
            r["objective_check"]["milp_vs_lp"] = _rel(r["pyomo_milp"][0]["obj"], ref)
            r["objective_check"]["milp_highs_vs_lp"] = _rel(r["pyomo_milp_highs"][0]["obj"], ref)
            r["objective_check"]["highs_vs_pyomo_expr"] = max(
                _rel(x["obj"], x["obj_pyomo"]) for x in r["pyomo_milp"] + r["pyomo_lp"]
            )
            r["objectives_agree"] = all(v <= RTOL for v in r["objective_check"].values())
            if not r["objectives_agree"]:
                say(f"OBJECTIVES DISAGREE beyond {RTOL:g}: {r['objective_check']}")
            r["lp_objective"] = ref
            results["grids"][g] = r
            print_grid(g, r)
        if args.design:
            print("[design] 12 typical days, from a fresh process", flush=True)
            d = child("design", {"days": 12})
            c = child("check", {"maps": paths["8760"], "design": d["design"]})
            results["design"] = d
            results["check"] = c
            full = results["grids"].get("8760")
            if full:
                results["check"]["full_year_optimum"] = full["lp_objective"]
                results["check"]["full_year_milp"] = full["pyomo_milp"][0]["obj"]
                results["check"]["full_year_milp_bound"] = full["pyomo_milp_highs"][0]["bound"]
    return results


def _machine() -> dict:
    import platform

    import highspy
    import linopy
    import pyomo

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pyomo": pyomo.__version__,
        "highspy": highspy.Highs().version(),
        "linopy": linopy.__version__,
    }


MEASURES = (
    ("build", "build [s]"),
    ("handoff", "hand-off [s]"),
    ("solve", "solve [s]"),
    ("total", "build + hand-off + solve [s]"),
    ("resolve", "re-solve, heat_backup_per_kWh x 1.1 [s]"),
    ("speedup", "speed-up of re-solve vs build + hand-off + solve"),
    ("peak_rss", "peak RSS [MB]"),
)
TOOLS = (
    ("pyomo_milp", "Pyomo MILP"),
    ("pyomo_milp_highs", "Pyomo MILP, HiGHS branching"),
    ("pyomo_lp", "Pyomo LP"),
    ("highspy", "highspy LP"),
    ("linopy", "linopy LP"),
)


def summary(r: dict) -> dict[str, dict[str, float | None]]:
    out = {}
    for tool, _ in TOOLS:
        runs = r[tool]
        row = {k: median(runs, k) for k in ("build", "handoff", "solve", "resolve", "peak_rss")}
        totals = [
            (x["build"] or 0.0) + x["handoff"] + x["solve"] + x.get("objective", 0.0) for x in runs
        ]
        row["total"] = statistics.median(totals)
        row["speedup"] = statistics.median(
            [t / x["resolve"] for t, x in zip(totals, runs, strict=True)]
        )
        row["n"] = len(runs)
        out[tool] = row
    return out


def _fmt(v, key) -> str:
    if v is None:
        return "-"
    if key == "peak_rss":
        return f"{v:.0f}"
    if key == "speedup":
        return f"{v:.1f}x"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def print_grid(g: str, r: dict) -> None:
    s = summary(r)
    x = r["pyomo_lp"][0]
    print(
        f"\n### {g} ({x['rows']} rows, {x['cols']} columns, {x['nnz']} nonzeros in Pyomo's LP; "
        f"linopy {r['linopy'][0]['rows']} / {r['linopy'][0]['cols']} / {r['linopy'][0]['nnz']})\n"
    )
    print("| measure | " + " | ".join(f"{name} (n={s[t]['n']})" for t, name in TOOLS) + " |")
    print("|---|" + "---:|" * len(TOOLS))
    for key, label in MEASURES:
        print(f"| {label} | " + " | ".join(_fmt(s[t][key], key) for t, _ in TOOLS) + " |")
    for tool in ("pyomo_milp", "pyomo_lp"):
        runs = r[tool]
        first = {k: statistics.median(x["timings"][k] for x in runs) for k in runs[0]["timings"]}
        again = {
            k: statistics.median(x["resolve_timings"][k] for x in runs)
            for k in runs[0]["resolve_timings"]
        }
        obj = statistics.median(x["objective"] for x in runs)
        print(
            f"{tool}: first solve "
            + ", ".join(f"{k} {v:.3f}" for k, v in first.items())
            + f", objective expression {obj:.3f}; re-solve "
            + ", ".join(f"{k} {v:.3f}" for k, v in again.items())
        )
    checks = ", ".join(f"{k} {v:.1e}" for k, v in r["objective_check"].items())
    print(f"\nlargest relative objective difference vs Pyomo's LP: {checks}", flush=True)


def print_combined(results: dict) -> None:
    """All grids in one table: a row per grid and tool, medians over the runs."""
    names = {"168": "168 h", "2190": "2190 h", "8760": "8760 h", "td12": "12 typical days (288 h)"}
    print("\n| time grid | tool | runs | " + " | ".join(label for _, label in MEASURES) + " |")
    print("|---|---|---:|" + "---:|" * len(MEASURES))
    for g, r in results["grids"].items():
        s = summary(r)
        for tool, name in TOOLS:
            cells = " | ".join(_fmt(s[tool][key], key) for key, _ in MEASURES)
            print(f"| {names.get(g, g)} | {name} | {s[tool]['n']} | {cells} |")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        load = os.getloadavg()[0]
        out = WORKERS[sys.argv[2]](json.loads(sys.argv[3]))
        out["load_1min"] = [load, os.getloadavg()[0]]  # other work on the machine, start / end
        print(json.dumps(out))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="fresh processes per measure (median)")
    ap.add_argument("--grids", default=",".join(GRIDS), help="of 168, 2190, 8760, tdN")
    ap.add_argument(
        "--full-runs-8760", action="store_true", help="also --runs MILP runs at 8760 (else 1)"
    )
    ap.add_argument("--no-design", dest="design", action="store_false")
    ap.add_argument("--json", type=Path, help="write all raw results here")
    args = ap.parse_args()
    results = run(args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print_combined(results)
    if "design" in results:
        d, c = results["design"], results["check"]
        print("\n### design through 12 typical days\n")
        print(f"- decided in {d['decided']:.1f} s from a fresh process ({d['timings']})")
        print(f"- verified by simulation in {d['verify']:.1f} s: gap energy "
              f"{d['gap_energy']:+.2%}, P {d['gap_P']:+.2%}")  # fmt: skip
        print(f"- design {d['design']}; cost on its typical days {d['cost_per_yr']:,.0f}/yr")
        line = f"- full-year (8760 h) LP with that design: cost {c['cost_per_yr']:,.0f}/yr"
        if "full_year_optimum" in c:
            opt = c["full_year_optimum"]
            line += (
                f" vs the full-year optimum {opt:,.2f}/yr ({(c['cost_per_yr'] - opt) / opt:+.4%}; "
                f"MILP incumbent {c['full_year_milp']:,.2f}, bound {c['full_year_milp_bound']})"
            )
        print(line + f"; {c['time']:.1f} s", flush=True)


if __name__ == "__main__":
    main()
