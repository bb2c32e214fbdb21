"""Solve the district model with HiGHS, verify the design by simulation, trace a Pareto front."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from nexus.district import District
from nexus.errors import InfeasibleError, NexusError, ParameterError, VerificationError
from nexus.schema import OBJECTIVES, Prices

if TYPE_CHECKING:
    import pyomo.environ as pyo
    import xarray as xr
    from numpy.typing import ArrayLike

    from nexus._typing import FloatArray
    from nexus.optimize.highs import ArrayHighs
    from nexus.optimize.maps import Maps

__all__ = [
    "SETTABLE",
    "Optimizer",
    "check_settings",
    "design_figures",
    "idle_units",
    "net_energy_kWh",
    "solve",
]

_SLACK_TOL = 1e-6
#: Who branches on integer columns (:class:`nexus.optimize.highs.ArrayHighs`).
BRANCHING = ("auto", "nexus", "highs")
#: How much of an energy or nutrient optimum the cheapest design reaching it may give up
#: (relative): the tie-break solve's tolerance.
TIE_TOL = 1e-7

#: A progress callback: ``progress(stage, done, total)`` is called as each stage starts,
#: with the number of stages done and the number in all (the CLI draws a bar from them).
Progress = Callable[[str, int, int], Any]


class _Stages:
    """Counts stages for a progress callback (or does nothing without one)."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self, stage: str) -> None:
        if self.progress is not None:
            self.progress(stage, self.done, self.total)
        self.done += 1

    def finish(self) -> None:
        if self.progress is not None:
            self.progress("done", self.total, self.total)


#: Most points of a Pareto front: each is a solve and a verification by a year's
#: simulation (tens of seconds for Buiksloterham), so 50 points take half an hour or more.
PARETO_MAX = 50


def check_options(
    typical_days: object = None, time_limit_s: object = None, pareto: object = None
) -> None:
    """Typical days, the time limit and the points of a front, checked before anything
    is built.

    Raises
    ------
    nexus.ParameterError
        ``typical_days`` not an integer 0..365, ``time_limit_s`` not a number > 0
        (NaN and infinity included), or ``pareto`` not an integer 2..``PARETO_MAX``,
        naming the option.
    """
    if pareto is not None and not (
        isinstance(pareto, int) and not isinstance(pareto, bool) and 2 <= pareto <= PARETO_MAX
    ):
        raise ParameterError(
            f"pareto = {pareto!r}; expected an integer 2..{PARETO_MAX} (points on the front; "
            "each is a solve and a year's simulation, tens of seconds or more)"
        )
    if typical_days is not None and (
        isinstance(typical_days, bool)
        or not isinstance(typical_days, int | np.integer)
        or not 0 <= typical_days <= 365
    ):
        raise ParameterError(
            f"typical_days = {typical_days!r}; expected an integer 0..365 (representative days; "
            "0 = the full year of hours)"
        )
    if time_limit_s is not None and (
        isinstance(time_limit_s, bool)
        or not isinstance(time_limit_s, int | float | np.number)
        or not np.isfinite(time_limit_s)
        or time_limit_s <= 0
    ):
        raise ParameterError(
            f"time_limit_s = {time_limit_s!r}; expected a finite number of seconds > 0 "
            "(or none for no limit)"
        )


def _check(
    district: District, objective: str | None, pareto: int | None, trade_off: str | None = None
) -> tuple[str, str]:
    """Objective, the objective a front trades it against, and options, checked before
    anything is built."""
    objective = district.optimize.objective if objective is None else objective
    for key, name in (("objective", objective), ("trade_off", trade_off)):
        if name is not None and name not in OBJECTIVES:
            raise ParameterError(
                f"{key} = {name!r} is not an objective; expected one of: {', '.join(OBJECTIVES)}"
            )
    other = OBJECTIVES[objective].trade_off if trade_off is None else trade_off
    if other == objective:
        raise ParameterError(
            f"trade_off = {other!r} is the objective itself; expected another objective to trade "
            "it against"
        )
    check_options(pareto=pareto)
    from nexus.optimize.model import check_prices

    check_prices(district, objective)
    if pareto is not None:
        check_prices(district, other)
    if not district.optimize.design:
        from nexus.errors import DistrictError

        raise DistrictError(
            "nothing to optimize: [optimize.design] names no unit size to choose",
            file=district.file,
            key="optimize.design",
        )
    return objective, other


def _solver(time_limit_s: float | None, branching: str = "auto") -> ArrayHighs:
    """HiGHS, fed with the model's standard form (:class:`nexus.optimize.highs.ArrayHighs`)."""
    from nexus.optimize.highs import ArrayHighs

    return ArrayHighs(time_limit_s, branching=branching)


def _run(opt: ArrayHighs, model: pyo.ConcreteModel, objective: str) -> str:
    """Solve with one objective active (plus the penalty on target slack); load the solution.

    Returns HiGHS's model status; raises SolverError without a feasible solution (the
    elastic targets keep the model feasible, so that is a numerical or time-limit failure).
    """
    import pyomo.environ as pyo

    from nexus.optimize.model import SLACK_PENALTY

    name = OBJECTIVES[objective].expression
    if hasattr(model, "obj"):
        model.del_component(model.obj)
    scale = 1.0 if OBJECTIVES[objective].sense == "min" else -1.0
    model.obj = pyo.Objective(
        expr=scale * getattr(model, name) + SLACK_PENALTY * model.slack_total, sense=pyo.minimize
    )
    kpi = model.nexus_kpi  # the same objective as arrays, for the solver
    model.nexus_objective = (model.obj, scale * kpi[name] + SLACK_PENALTY * kpi["slack_total"])
    return opt.solve(model)


def _explain_slack(model: pyo.ConcreteModel, currency: str) -> None:
    """Targets that could not be met, in words, with the shortfall."""
    import pyomo.environ as pyo

    problems = []
    for spec in OBJECTIVES.values():
        unit = spec.units.format(currency=currency)
        for side, var in getattr(model, f"slack_{spec.expression}").items():
            v = pyo.value(var)
            bound = pyo.value(getattr(model, f"{side}_{spec.expression}"))
            if v > _SLACK_TOL * max(1.0, abs(bound)):
                relation = "at least" if side == "min" else "at most"
                problems.append(
                    f"{spec.plain} cannot be {relation} {bound:,.4g} {unit} (target "
                    f"{side}_{spec.expression}): the best design misses it by {v:,.4g} {unit}"
                )
    if problems:
        raise InfeasibleError("; ".join(problems))


def _design(model: pyo.ConcreteModel) -> dict[str, dict[str, float]]:
    """Chosen sizes by unit (the sizes the file fixes left out)."""
    import pyomo.environ as pyo

    out: dict[str, dict[str, float]] = {}
    for (unit, size), var in model.nexus_sizes.items():
        if not var.fixed:
            out.setdefault(unit, {})[size] = max(0.0, float(pyo.value(var)))
    return out


def net_energy_kWh(ds: xr.Dataset) -> float:
    """Net energy a simulated district's units yield over the run [kWh].

    Heat the units deliver through heat links (to sinks or to other units)
    plus electricity they supply through power links, minus electricity
    they draw; the same quantity as the optimizer's ``energy_kWh_yr``.
    """
    heat = float(ds["heat_kW"].where(ds["heat_link_from_role"] == "unit", 0.0).sum())
    supplied = float(ds["electricity_kW"].where(ds["power_link_from_role"] == "unit", 0.0).sum())
    drawn = float(ds["electricity_kW"].where(ds["power_link_to_role"] == "unit", 0.0).sum())
    return heat + supplied - drawn


def _routes(model: pyo.ConcreteModel) -> dict[str, str]:
    """The inlet each routed outlet was sent to."""
    import pyomo.environ as pyo

    chosen: dict[str, str] = {}
    for r, route in enumerate(model.nexus_routes):
        value = {to: pyo.value(model.route[r, to]) for to in route.to}
        chosen[route.outlet] = max(route.to, key=value.__getitem__)
    return chosen


def _verify(
    district: District, design: dict[str, dict[str, float]], routes: dict[str, str]
) -> dict[str, float]:
    """Simulate the chosen design with the full unit models; its energy, P and N, plant
    cost and energy bill per year (the bill at the file's prices, :mod:`nexus.costs`).

    A district of several islands (:mod:`nexus.islands`: a city's neighbourhoods that
    share only the grid and the sewer) is simulated one island at a time and its figures
    added up: the same figures, with one island's hourly results in memory at a time.
    """
    from nexus.islands import island_parts
    from nexus.simulation import simulate

    try:
        variant = district.with_sizes(design)
        if routes:
            variant = variant.with_routes(routes)
        figures = [design_figures(simulate(part)) for part in island_parts(variant)]
    except NexusError as error:
        raise _unverified(district, design, routes, error) from error
    return {k: sum(f[k] for f in figures) for k in figures[0]}


def design_figures(ds: xr.Dataset) -> dict[str, float]:
    """A simulated district's figures the optimizer's are compared with, per year: net
    energy [kWh], P and N recovered for farms [kg], plant cost and energy bill [currency]."""
    from nexus.costs import BILL_ITEMS, PLANT_ITEMS
    from nexus.indicators import role_total

    scale = 8760.0 / ds.sizes["time"]
    costs = ds["cost_per_yr"]
    return {
        "energy_kWh_yr": net_energy_kWh(ds) * scale,
        "P_kg_yr": role_total(ds, "P_recovered") or 0.0,
        "N_kg_yr": role_total(ds, "N_recovered") or 0.0,
        "plant_cost_per_yr": float(
            costs.sel(cost_item=[i for i in PLANT_ITEMS if i in costs.cost_item]).sum()
        ),
        "energy_bill_per_yr": float(costs.sel(cost_item=list(BILL_ITEMS)).sum()),
    }


def idle_units(district: District, sizes: dict[tuple[str, str], float]) -> dict[str, str]:
    """Units a design keeps (the file fixes their size) although every unit that must feed
    them (their type's ``fed_by``) is not built: they receive water they cannot treat and
    do nothing (a struvite reactor behind no digester harvests nothing).

    Returns ``{unit: reason}``.
    """
    from nexus.district import _linked

    built: dict[str, bool] = {}
    for (unit, _), value in sizes.items():
        built[unit] = built.get(unit, False) or value > 0
    upstream = _linked(district.connections, downstream=False)
    idle: dict[str, str] = {}
    for name, node in district.units.items():
        if not built.get(name, True):
            continue
        for port, types in node.type.fed_by.items():
            starts = [c.src for c in district.connections if (c.dst, c.dst_port) == (name, port)]
            feeders = _nearest_upstream(district, upstream, starts, types)
            if feeders and not any(built.get(f, True) for f in feeders):
                idle[name] = (
                    f"kept by the file, but {', '.join(feeders)} upstream is not built: it "
                    "receives water it cannot treat and does nothing"
                )
    return idle


def _nearest_upstream(
    district: District, upstream: dict[str, set[str]], starts: list[str], types: tuple[str, ...]
) -> list[str]:
    """The nodes of the given types the water from ``starts`` has passed, directly or
    through other units (as ``fed_by`` means it), the nearest on each path, in file order."""
    found, seen, todo = set(), set(starts), list(starts)
    while todo:
        node = todo.pop()
        if district.nodes[node].type.name in types:
            found.add(node)
            continue
        todo += [n for n in upstream.get(node, ()) if n not in seen]
        seen.update(upstream.get(node, ()))
    return [n for n in district.nodes if n in found]


def _say_idle(ds: xr.Dataset, district: District, points: list[dict[str, Any]]) -> None:
    """State, in the result's ``idle_units`` attribute and a warning, the units a design
    keeps that do nothing because what must feed them is not built."""
    import logging

    said = []
    for k, p in enumerate(points):
        for unit, reason in idle_units(district, p["sizes"]).items():
            said.append(f"{'' if len(points) == 1 else f'point {k}: '}{unit}: {reason}")
    if said:
        ds.attrs["idle_units"] = "; ".join(said)
        logging.getLogger(__name__).warning("the design leaves units idle: %s", "; ".join(said))


def _unverified(
    district: District,
    design: dict[str, dict[str, float]],
    routes: dict[str, str],
    error: NexusError,
) -> VerificationError:
    """A design that does not simulate, reported as the optimizer's failure (with the
    design and the unit whose model failed), not as an error in the user's file."""
    key = getattr(error, "key", None) or ""
    parts = key.split(".")
    unit = parts[1] if len(parts) > 1 and parts[1] in district.nodes else None
    reason = getattr(error, "reason", None) or str(error)
    sizes = "; ".join(
        f"{u}: " + ", ".join(f"{k} = {v:.6g}" for k, v in s.items()) for u, s in design.items()
    )
    sent = "; ".join(f"{o} -> {to}" for o, to in routes.items())
    return VerificationError(
        f"{district.file}: the optimizer proposed a design that nexus cannot simulate "
        f"({sizes or 'the sizes the file fixes'}{'; routes ' + sent if sent else ''}): "
        + (f"unit {unit!r} failed: " if unit else "")
        + f"{reason}. This is a defect or limitation of nexus's optimizer (every design it "
        "proposes should run), not an error in the district file; please report it with "
        "the file",
        design=design,
        routes=routes,
        unit=unit,
    )


def solve(
    district: District,
    *,
    objective: str | None = None,
    pareto: int | None = None,
    trade_off: str | None = None,
    time_limit_s: float | None = None,
    typical_days: int | None = None,
    verify: bool = True,
    progress: Progress | None = None,
    model: pyo.ConcreteModel | None = None,
    branching: str = "auto",
) -> xr.Dataset:
    """Optimize a district's design and operation, then verify it by simulation.

    Parameters
    ----------
    district : District
        With ``[optimize]``: the sizes to choose (``design``), their costs,
        the prices and the default objective.
    objective : {"energy", "nutrients", "nitrogen", "cost"}, optional
        Maximize net energy yield [kWh/yr], maximize phosphorus recovered
        for farms [kg/yr], maximize nitrogen recovered for farms [kg/yr], or
        minimize annualized cost [currency/yr]; default the file's. P and N
        are separate objectives (why: :data:`nexus.schema.OBJECTIVES`): hold
        one to its target (``min_P_kg_yr``, ``min_N_kg_yr``) while the other
        is maximized or traded against cost.
    pareto : int, optional
        Points of an epsilon-constraint front between the objective and the
        one it trades against, both ends included. The result's attributes
        ``pareto_objectives`` (``"objective,trade_off"``) and ``pareto_ends`` name them.
    trade_off : {"energy", "nutrients", "nitrogen", "cost"}, optional
        The objective a front trades ``objective`` against; default the objective's
        own (:data:`nexus.schema.OBJECTIVES`: energy, nutrients and nitrogen against
        cost, cost against energy).
    time_limit_s : float, optional
        HiGHS time limit per solve [s].
    typical_days : int, optional
        Representative days (tsam) instead of the full year of hours;
        default the file's ``typical_days`` (0 = full year).
    verify : bool
        Simulate each design with the full unit models and report the gap.
    progress : callable, optional
        ``progress(stage, done, total)``, called as each stage starts
        (sampling, aggregating, building, each solve, each verification)
        with the stages done so far and their total; the CLI draws a bar.
    model : pyomo.environ.ConcreteModel, optional
        A model :func:`nexus.optimize.build_model` built for this district,
        perhaps with constraints a researcher added; solved instead of a
        new one (``typical_days`` then has no effect).
    branching : {"auto", "nexus", "highs"}
        Who branches on build and route decisions: nexus over HiGHS's
        warm-started LP (fast re-solves), or HiGHS's MIP solver (faster on a
        single full-year solve); ``"auto"``: nexus up to 6 binaries.

    Returns
    -------
    xarray.Dataset
        In the layout of a simulation (:mod:`nexus.results`), with dimension
        ``pareto`` (length 1 without a front) and ``step`` for time:

        - the design: one variable per size name over ``node``
          (``capacity_kW``, ``V_liq_m3`` ...; chosen, or as the file fixes
          it; NaN for nodes without that size), and ``route_to`` over
          ``route`` (the inlet each routed outlet is sent to);
        - the figures as the optimizer sees them: ``energy_kWh_yr``,
          ``P_kg_yr``, ``N_kg_yr``, ``cost_per_yr``, ``capex_per_yr``,
          ``opex_per_yr`` and each operating-cost item
          ``opex_<item>_per_yr``; with ``verify``, ``verified_energy_kWh_yr``,
          ``verified_P_kg_yr``, ``verified_N_kg_yr`` and the relative gaps
          ``gap_energy_frac``, ``gap_P_frac``, ``gap_N_frac``; ``plant_cost_per_yr``
          and ``energy_bill_per_yr`` (the split of :mod:`nexus.costs`) and, with
          ``verify``, the same from the simulation (``verified_*``);
        - the operation per step: the flow on every connection
          (``heat_kW``, ``electricity_kW``, ``methane_Nm3_h`` over
          ``heat_link``, ``power_link``, ``gas_link``) and what the node
          types report over ``node`` (``heat_delivered_kW``,
          ``heat_held_kWh``, ``P_recovered_kg_h``, ``space_heating_unmet_kW``
          ...), with ``weight_h`` (hours of the year each step stands for),
          ``period_hours`` and the coordinate ``date`` over ``step``: the hour of the
          calendar year each step stands for (with representative days, an hour of the
          real day each is), so a plot can place them in the year;
        - ``map_fit_error`` over ``map_series``: how well each sampled map
          interpolates its unit model. Attributes: objective, solver,
          timings, the largest aggregation error.

    Raises
    ------
    nexus.ParameterError
        Unknown objective or bad option (before anything is built).
    nexus.DistrictError
        Missing prices for a cost objective, or nothing to optimize.
    nexus.InfeasibleError
        A target cannot be met; says which (its key, ``min_N_kg_yr`` ...) and by how
        much.
    """
    from nexus.optimize.maps import warnings_once

    check_options(typical_days, time_limit_s)
    objective, other = _check(district, objective, pareto, trade_off)
    with warnings_once():
        return _solve(
            district,
            objective,
            other,
            pareto,
            time_limit_s,
            typical_days,
            verify,
            progress,
            model,
            branching,
        )


def _solve(
    district: District,
    objective: str,
    other: str,
    pareto: int | None,
    time_limit_s: float | None,
    typical_days: int | None,
    verify: bool,
    progress: Progress | None,
    model: pyo.ConcreteModel | None,
    branching: str,
) -> xr.Dataset:
    """:func:`solve` after its options are checked."""
    import pyomo.environ as pyo

    solves = 1 if pareto is None else pareto + 1  # the optimum, the anchor, eps points
    verifies = (1 if pareto is None else pareto) if verify else 0
    say = _Stages(progress, Optimizer.stages(district, typical_days, model) + solves + verifies)
    study = Optimizer(
        district,
        typical_days=typical_days,
        time_limit_s=time_limit_s,
        model=model,
        branching=branching,
        _say=say,
    )
    model = study.model
    t0 = time.perf_counter()
    say(f"solving for {objective}")
    study.run(objective)
    points = [_point(model)]
    if pareto is not None:
        spec = OBJECTIVES[objective]
        best = pyo.value(getattr(model, spec.expression))
        say(f"front: {other} optimum (the other end)")
        study.run(other)
        anchor = pyo.value(getattr(model, spec.expression))
        points = [_point(model)]
        side = "min" if spec.sense == "max" else "max"
        bound = getattr(model, f"{side}_{spec.expression}")
        kept = pyo.value(bound)
        for eps in np.linspace(anchor, best, pareto)[1:]:
            say(f"front: {objective} {side} {eps:,.6g}")
            bound.set_value(float(eps))
            study.run(other)
            points.append(_point(model))
        bound.set_value(kept)
    study.timings["solve_s"] = time.perf_counter() - t0
    if verify:
        t0 = time.perf_counter()
        for i, p in enumerate(points):
            say(f"verifying design {i + 1} of {len(points)} by simulation")
            p["verified"] = _verify(district, p["design"], p["routes"])
        study.timings["verify_s"] = time.perf_counter() - t0
    say.finish()
    ds = _with_status(
        _dataset(district, objective, points, study.maps, study.timings, verify),
        study.statuses,
        study.blocks,
    )
    _say_idle(ds, district, points)
    if pareto is not None:
        _label_front(ds, objective, other)
    return ds


def _label_front(ds: xr.Dataset, objective: str, other: str) -> None:
    """Name a front's two objectives and its ends in the result's attributes."""
    last = ds.sizes["pareto"] - 1
    ds.attrs["pareto_objectives"] = f"{objective},{other}"
    ds.attrs["pareto_ends"] = (
        f"point 0: best {OBJECTIVES[other].plain}; point {last}: best "
        f"{OBJECTIVES[objective].plain} (each point the best {OBJECTIVES[other].plain} at "
        f"its {OBJECTIVES[objective].plain})"
    )
    ds["pareto"].attrs["long_name"] = (
        f"point on the Pareto front of {OBJECTIVES[objective].plain} against "
        f"{OBJECTIVES[other].plain} (0: best {OBJECTIVES[other].plain})"
    )


#: The eps-constraint targets, by Param name (``min_P_kg_yr`` ...): the objective each bounds.
_TARGETS = {
    f"{side}_{spec.expression}": spec for spec in OBJECTIVES.values() for side in ("min", "max")
}

#: What :meth:`~nexus.optimize.Optimizer.set` may change (each a mutable Param of the model
#: of that name).
SETTABLE: dict[str, str] = {
    **{k: f.description or k for k, f in Prices.model_fields.items() if k != "source"},
    "truck_cost_per_m3_km": "cost of trucking water per m3 and km",
    "pipe_cost_per_m3_km": "cost of piping water per m3 and km",
    "demand_scale": "factor on every heat and EV demand",
    **{
        f"{side}_{spec.expression}": f"target: {'least' if side == 'min' else 'most'} {spec.plain}"
        for spec in OBJECTIVES.values()
        for side in ("min", "max")
    },
}


def check_settings(values: dict[str, float | None]) -> dict[str, float]:
    """Settings of :meth:`Optimizer.set` checked, as the values its Params take.

    A target set to None is lifted (its Param takes a bound no design reaches).

    Raises
    ------
    nexus.ParameterError
        An unknown name, a value that is not a finite number (booleans included), a
        negative price or a negative nutrient target, naming the key.
    """
    from nexus.optimize.model import NO_TARGET

    checked: dict[str, float] = {}
    for name, value in values.items():
        if name not in SETTABLE:
            raise ParameterError(f"{name!r} cannot be set; expected one of: {', '.join(SETTABLE)}")
        target = _TARGETS.get(name)
        if value is None and target is not None:
            checked[name] = -NO_TARGET if name.startswith("min_") else NO_TARGET
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
            raise ParameterError(f"{name} = {value!r}; expected a finite number")
        if name in Prices.model_fields and value < 0:
            raise ParameterError(
                f"{name} = {value!r}; expected a price >= 0 (as in [optimize.prices])"
            )
        if target is not None and target.nonnegative and value < 0:
            raise ParameterError(
                f"{name} = {value!r}; expected >= 0 {target.units} ({target.plain} "
                "cannot be negative), or None to lift the target"
            )
        checked[name] = float(value)
    return checked


class Optimizer:
    """A district's model, built once and solved as often as a sweep needs.

    Prices, the demand scale and the targets are mutable Params of the
    model: :meth:`set` changes them and :meth:`solve` re-solves the same
    model with the same HiGHS instance, which only updates what changed.

    Parameters
    ----------
    district : District
        With an ``[optimize]`` table.
    typical_days : int, optional
        Representative days; default the file's (0 = the full year).
    time_limit_s : float, optional
        HiGHS time limit per solve [s].
    progress : callable, optional
        ``progress(stage, done, total)`` as each building stage starts.
    model : pyomo.environ.ConcreteModel, optional
        A model :func:`nexus.optimize.build_model` built for this district
        (perhaps extended); used instead of building one.
    branching : {"auto", "nexus", "highs"}
        Who branches on integer columns (see :func:`solve`).

    Attributes
    ----------
    model : pyomo.environ.ConcreteModel
        The model (:func:`nexus.optimize.build_model`); add constraints before solving.
    maps : Maps
        The sampled unit maps it was built from.
    timings : dict of str to float
        Seconds spent sampling (``maps_s``) and building (``build_s``).

    Examples
    --------
    A price sweep re-solves without rebuilding::

        study = Optimizer(nexus.load_district("districts/buiksloterham.toml"))
        for price in (0.08, 0.10, 0.12):
            study.set(heat_backup_per_kWh=price)
            print(price, float(study.solve("cost")["cost_per_yr"][0]))
    """

    def __init__(
        self,
        district: District,
        *,
        typical_days: int | None = None,
        time_limit_s: float | None = None,
        progress: Progress | None = None,
        model: pyo.ConcreteModel | None = None,
        branching: str = "auto",
        _say: _Stages | None = None,
    ) -> None:
        from nexus.optimize.maps import prepare_maps
        from nexus.optimize.model import build_model

        check_options(typical_days, time_limit_s)
        if branching not in BRANCHING:  # before anything is built
            raise ParameterError(
                f"branching = {branching!r}; expected one of: {', '.join(BRANCHING)}"
            )
        self.district = district
        #: HiGHS's status of each solve so far ("Optimal", "Time limit reached").
        self.statuses: list[str] = []
        #: Most independent blocks a solve was split into (0: always solved whole).
        self.blocks = 0
        say = _say or _Stages(progress, self.stages(district, typical_days, model))
        self.timings: dict[str, float] = {}
        if model is not None:
            if getattr(model, "nexus_district_sha256", None) != district.sha256:
                raise ParameterError(
                    "model was not built by nexus.optimize.build_model for this district "
                    f"({district.name!r}, {district.file}); build it with "
                    "build_model(district)"
                )
            self.maps, self.model = model.maps, model
        else:
            t0 = time.perf_counter()
            self.maps = maps = prepare_maps(district, typical_days, say)
            self.timings["maps_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            say(f"building the model ({maps.n_time} time steps)")
            self.model = build_model(district, maps)
            self.timings["build_s"] = time.perf_counter() - t0
        opt = district.optimize
        self.set(
            **{
                k: v
                for k, v in (
                    ("min_energy_kWh_yr", opt.min_energy_kWh_yr),
                    ("min_P_kg_yr", opt.min_P_kg_yr),
                    ("min_N_kg_yr", opt.min_N_kg_yr),
                    ("max_cost_per_yr", opt.max_cost_per_yr),
                )
                if v is not None
            }
        )
        self._opt = _solver(time_limit_s, branching)
        if _say is None:
            say.finish()

    @staticmethod
    def stages(
        district: District, typical_days: int | None = None, model: pyo.ConcreteModel | None = None
    ) -> int:
        """Stages of building: sampling, aggregating (with typical days), building
        (none for a model given)."""
        if model is not None:
            return 0
        days = district.optimize.typical_days if typical_days is None else typical_days
        return 3 if days else 2

    def set(self, **values: float | None) -> None:
        """Change prices, the demand scale or targets (:data:`~nexus.optimize.solve.SETTABLE`).

        A target set to None is lifted (``set(min_N_kg_yr=None)``). Targets on a mass
        recovered (``min_P_kg_yr``, ``min_N_kg_yr`` and their ``max_``) are >= 0.

        Raises
        ------
        nexus.ParameterError
            An unknown name, a value that is not a finite number, or a negative
            nutrient target, naming the key; nothing is changed then.
        """
        for name, value in check_settings(values).items():
            getattr(self.model, name).set_value(value)

    def run(self, objective: str) -> None:
        """Solve for one objective and load the solution into :attr:`model`.

        Energy and nutrient optima are rarely unique (a larger heat store
        does not add phosphorus), so, where the file has prices, a second
        solve keeps that optimum (to ``TIE_TOL`` relative) and takes the
        cheapest design reaching it: a lexicographic optimum.

        Raises
        ------
        nexus.InfeasibleError
            A target cannot be met (which, by how much).
        """
        import pyomo.environ as pyo

        model = self.model
        currency = self.district.info.currency
        self.statuses.append(_run(self._opt, model, objective))
        self.blocks = max(self.blocks, self._opt.blocks)
        _explain_slack(model, currency)
        spec = OBJECTIVES[objective]
        if spec.sense == "min" or self.district.optimize.prices is None:
            return
        best = pyo.value(getattr(model, spec.expression))
        low = getattr(model, f"min_{spec.expression}")
        kept = pyo.value(low)
        low.set_value(max(kept, best - TIE_TOL * max(1.0, abs(best))))
        try:
            self.statuses.append(_run(self._opt, model, "cost"))
            self.blocks = max(self.blocks, self._opt.blocks)
        finally:
            low.set_value(kept)
        _explain_slack(model, currency)

    def solve(self, objective: str | None = None, *, verify: bool = False) -> xr.Dataset:
        """Solve for an objective; the result as :func:`solve` returns it (one point)."""
        objective, _ = _check(self.district, objective, None)
        self.run(objective)
        point = _point(self.model)
        if verify:
            point["verified"] = _verify(self.district, point["design"], point["routes"])
        ds = _dataset(self.district, objective, [point], self.maps, dict(self.timings), verify)
        ds = _with_status(ds, self.statuses, self.blocks)
        _say_idle(ds, self.district, [point])
        return ds


#: Figures of a design as the optimizer sees them: name -> (units, long_name).
_FIGURES = {
    "energy_kWh_yr": (
        "kWh yr-1",
        "net energy yield (heat and electricity from the units, less electricity they draw)",
    ),
    "P_kg_yr": ("kg yr-1", "phosphorus recovered for farms"),
    "N_kg_yr": ("kg yr-1", "nitrogen recovered for farms"),
    "cost_per_yr": ("{currency} yr-1", "annualized capital cost plus operating cost"),
    "capex_per_yr": ("{currency} yr-1", "annualized capital cost"),
    "opex_per_yr": ("{currency} yr-1", "operating cost"),
}


def _with_status(ds: xr.Dataset, statuses: list[str], blocks: int) -> xr.Dataset:
    """The result's ``solver_status``: "optimal", or, where a time limit stopped a solve,
    the best design found within it (said as a warning too); and ``solver_blocks``: the
    most independent blocks a solve was split into (:mod:`nexus.optimize.blocks`; 0 if
    every solve was whole)."""
    import logging

    ds.attrs["solver_blocks"] = int(blocks)
    if any(s != "Optimal" for s in statuses):
        stopped = sorted({s for s in statuses if s != "Optimal"})
        ds.attrs["solver_status"] = (
            f"{', '.join(stopped).lower()}: the best design found within it, not proven optimal"
        )
        logging.getLogger(__name__).warning(
            "the solver stopped early (%s): the design shown is the best found, not proven "
            "optimal; expected a longer time limit (--time-limit) for an optimum",
            ", ".join(stopped).lower(),
        )
    return ds


def _point(model: pyo.ConcreteModel) -> dict[str, Any]:
    """What a solved model says: operation, link flows, design, routes and figures."""
    import pyomo.environ as pyo

    x = np.array([np.nan if v.value is None else v.value for v in model.nexus_columns])
    figures = {name: pyo.value(getattr(model, name)) for name in _FIGURES}
    figures["opex_items"] = {
        item: pyo.value(getattr(model, f"opex_{item}_per_yr")) for item in model.nexus_cost_items
    }
    operation = {key: expr.value(x) for key, expr in model.nexus_series.items()}
    for pool in model.nexus_allocations:  # inlets whose categories share their flows
        operation.update({(out, pool.node): v for out, v in pool.unmet(x).items()})
    return {
        "operation": operation,
        "links": {c: expr.value(x) for c, expr in model.nexus_links.items()},
        "sizes": {key: float(pyo.value(var)) for key, var in model.nexus_sizes.items()},
        "design": _design(model),
        "routes": _routes(model),
        **figures,
    }


def _dataset(
    district: District,
    objective: str,
    points: list[dict[str, Any]],
    maps: Maps,
    timings: dict[str, float],
    verify: bool,
) -> xr.Dataset:
    """The result Dataset (:mod:`nexus.results` layout, dims ``pareto`` and ``step``)."""
    from collections import defaultdict

    from nexus._xarray import xr
    from nexus.costs import COST_ITEMS, PLANT_ITEMS
    from nexus.results import dataset, link_variables, node_variables

    n, T = len(points), maps.n_time
    cur = district.info.currency
    lead = ("pareto", "step")
    values: dict[str, dict[str, FloatArray]] = defaultdict(dict)
    for name, node in points[0]["operation"]:
        values[name][node] = np.stack([p["operation"][(name, node)] for p in points])
    node_c, node_v = node_variables(district, dict(values), lead, (n, T))
    flows = {c: np.stack([p["links"][c] for p in points]) for c in points[0]["links"]}
    link_c, link_v = link_variables(district, flows, lead, (n, T))

    def var(dims: tuple[str, ...], data: ArrayLike, units: str, long_name: str) -> xr.Variable:
        return xr.Variable(
            dims, data, {"units": units.format(currency=cur), "long_name": long_name}
        )

    variables = {**node_v, **link_v}
    nodes = list(district.nodes)
    for (unit, size), _ in sorted(points[0]["sizes"].items()):
        if size in variables:
            continue
        data = np.full((n, len(nodes)), np.nan)
        for (u, s), _ in points[0]["sizes"].items():
            if s == size:
                data[:, nodes.index(u)] = [p["sizes"][(u, s)] for p in points]
        declared = next(x for x in district.units[unit].type.sizes if x.name == size)
        variables[size] = var(
            ("pareto", "node"),
            data,
            district.units[unit].type.size_units(declared),
            f"design size {size} (chosen, or as the file fixes it)",
        )
    routes = district.optimize.routes
    if routes:
        variables["route_to"] = var(
            ("pareto", "route"),
            np.array([[p["routes"][r.outlet] for r in routes] for p in points]),
            "1",
            "inlet each routed outlet is sent to",
        )
    for name, (units, long_name) in _FIGURES.items():
        variables[name] = var(
            ("pareto",), [p[name] for p in points], units, f"{long_name}, as optimized"
        )
    for item in points[0]["opex_items"]:
        variables[f"opex_{item}_per_yr"] = var(
            ("pareto",),
            [p["opex_items"][item] for p in points],
            "{currency} yr-1",
            f"operating cost: {COST_ITEMS.get(item, item)}, as optimized",
        )
    # the same split as a simulation's key figures (nexus.costs): the plant, the energy bill
    plant = [p["capex_per_yr"] for p in points]
    bill = [0.0] * n
    for k, p in enumerate(points):
        for item, value in p["opex_items"].items():
            if item in PLANT_ITEMS:
                plant[k] += value
            else:
                bill[k] += value
    variables["plant_cost_per_yr"] = var(
        ("pareto",),
        plant,
        "{currency} yr-1",
        "plant cost (capital, chemicals, transport, products sold)",
    )
    variables["energy_bill_per_yr"] = var(
        ("pareto",),
        bill,
        "{currency} yr-1",
        "district energy bill (electricity bought less sold, backup heat and EV charging)",
    )
    if verify:
        for name, plain in (("energy_kWh_yr", "energy"), ("P_kg_yr", "P"), ("N_kg_yr", "N")):
            sim = np.array([p["verified"][name] for p in points])
            opt = np.array([p[name] for p in points])
            variables[f"verified_{name}"] = var(
                ("pareto",),
                sim,
                _FIGURES[name][0],
                f"{_FIGURES[name][1]}, simulated with the full unit models",
            )
            gap = np.divide(opt - sim, np.abs(sim), out=np.zeros(n), where=np.abs(sim) > 0)
            variables[f"gap_{plain}_frac"] = var(
                ("pareto",), gap, "1", f"(optimizer - simulation) / simulation, {plain}"
            )
        for name in ("plant_cost_per_yr", "energy_bill_per_yr"):
            variables[f"verified_{name}"] = var(
                ("pareto",),
                [p["verified"][name] for p in points],
                "{currency} yr-1",
                f"{variables[name].attrs['long_name']}, simulated with the full unit models",
            )
    fit = maps.fit_error
    variables["map_fit_error"] = var(
        ("map_series",),
        np.array(list(fit.values()), float),
        "1",
        "largest relative gap of a sampled map at its midpoints (or the map's note)",
    )
    variables["weight_h"] = var(
        ("step",), maps.weights, "h yr-1", "hours of the year each step stands for"
    )
    variables["period_hours"] = var(
        (), maps.period_hours, "h", "length of the periods storage is cyclic over"
    )
    coords = {
        "pareto": np.arange(n),
        "step": np.arange(T),
        **({"date": ("step", maps.hours)} if maps.hours is not None else {}),
        "map_series": list(fit),
        **({"route": [r.outlet for r in routes]} if routes else {}),
        **node_c,
        **link_c,
    }
    ds = dataset(
        district,
        variables,
        coords,
        title=f"nexus optimization of {district.name}",
        solver_status="optimal",
        objective=objective,
        solver="HiGHS (highspy), fed with the model's arrays",
        time_steps=T,
        aggregation_error_max=max(maps.aggregation_error.values(), default=0.0),
        **{f"time_{k}": v for k, v in timings.items()},
    )
    ds["pareto"].attrs.update(
        long_name="point on the Pareto front (0: the single optimum)", units="1"
    )
    ds["step"].attrs.update(
        long_name="time step (an hour of the year, or of a representative day)", units="1"
    )
    if "date" in ds.coords:
        ds["date"].attrs.update(
            long_name="the hour of the calendar year the step stands for (with representative "
            "days: an hour of the real day each is, its medoid; weight_h says how many hours "
            "of the year it stands for)"
        )
    return ds
