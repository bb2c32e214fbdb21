"""Solve the district model with HiGHS, verify the design by simulation, trace a Pareto front."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from nexus.district import District, with_sizes
from nexus.errors import InfeasibleError, ParameterError
from nexus.schema import OBJECTIVES

__all__ = ["SETTABLE", "Optimizer", "net_energy_kWh", "solve"]

#: Sense and Expression of each objective.
_OBJECTIVE = {
    "energy": ("max", "energy_kWh_yr"),
    "nutrients": ("max", "P_kg_yr"),
    "cost": ("min", "cost_yr"),
}
#: The objective a Pareto front trades against each objective.
_TRADE_OFF = {"energy": "cost", "nutrients": "cost", "cost": "energy"}
#: Target Params of each objective.
_TARGET = {"energy": "energy", "nutrients": "P", "cost": "cost"}
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


def _check(district: District, objective: str | None, pareto: int | None) -> str:
    """Objective and options, checked before anything is built."""
    objective = district.optimize.objective if objective is None else objective
    if objective not in OBJECTIVES:
        raise ParameterError(
            f"objective = {objective!r} is not an objective; expected one of: "
            f"{', '.join(OBJECTIVES)}"
        )
    if pareto is not None and not (isinstance(pareto, int) and pareto >= 2):
        raise ParameterError(f"pareto = {pareto!r}; expected an integer >= 2 (points on the front)")
    from nexus.optimize.model import check_prices

    check_prices(district, objective)
    if pareto is not None:
        check_prices(district, _TRADE_OFF[objective])
    if not district.optimize.design:
        from nexus.errors import DistrictError

        raise DistrictError(
            "nothing to optimize: [optimize.design] names no unit size to choose",
            file=district.file,
            key="optimize.design",
        )
    return objective


def _solver(time_limit_s: float | None, branching: str = "auto"):
    """HiGHS, fed with the model's standard form (:class:`nexus.optimize.highs.ArrayHighs`)."""
    from nexus.optimize.highs import ArrayHighs

    return ArrayHighs(time_limit_s, branching=branching)


def _run(opt, model, objective: str) -> str:
    """Solve with one objective active (plus the penalty on target slack); load the solution.

    Returns HiGHS's model status; raises SolverError without a feasible solution (the
    elastic targets keep the model feasible, so that is a numerical or time-limit failure).
    """
    import pyomo.environ as pyo

    from nexus.optimize.model import SLACK_PENALTY

    name = _OBJECTIVE[objective][1]
    if hasattr(model, "obj"):
        model.del_component(model.obj)
    scale = 1.0 if objective == "cost" else -1.0
    model.obj = pyo.Objective(
        expr=scale * getattr(model, name) + SLACK_PENALTY * model.slack_total, sense=pyo.minimize
    )
    kpi = model.nexus_kpi  # the same objective as arrays, for the solver
    model.nexus_objective = (model.obj, scale * kpi[name] + SLACK_PENALTY * kpi["slack_total"])
    return opt.solve(model)


def _explain_slack(model) -> None:
    """Targets that could not be met, in words, with the shortfall."""
    import pyomo.environ as pyo

    words = {
        "energy": ("net energy", "kWh/yr"),
        "P": ("phosphorus returned", "kg/yr"),
        "cost": ("cost", "/yr"),
    }
    problems = []
    for name in words:
        for side, var in getattr(model, f"slack_{name}").items():
            v = pyo.value(var)
            bound = pyo.value(getattr(model, f"{side}_{name}"))
            if v > _SLACK_TOL * max(1.0, abs(bound)):
                plain, unit = words[name]
                relation = "at least" if side == "min" else "at most"
                problems.append(
                    f"{plain} cannot be {relation} {bound:,.4g} {unit}: the best design misses "
                    f"it by {v:,.4g} {unit}"
                )
    if problems:
        raise InfeasibleError("; ".join(problems))


def _design(model) -> dict[str, dict[str, float]]:
    """Chosen sizes by unit (the sizes the file fixes left out)."""
    import pyomo.environ as pyo

    from nexus.optimize.model import UNIT_BLOCKS

    out: dict[str, dict[str, float]] = {}
    for block_name, _ in UNIT_BLOCKS:
        block = getattr(model, block_name)
        for unit in block:
            for var in block[unit].component_objects(pyo.Var, descend_into=False):
                local = var.local_name
                if local.startswith("size_") and not var.fixed:
                    out.setdefault(unit, {})[local[5:]] = max(0.0, float(pyo.value(var)))
    return {u: v for u, v in out.items() if v}


def net_energy_kWh(ds) -> float:
    """Net energy a simulated district's units yield over the run [kWh].

    Heat the units deliver through heat links (to sinks or to other units)
    plus electricity they supply through power links, minus electricity
    they draw; the same quantity as the optimizer's ``energy_kWh_yr``.
    """
    from_unit = ds["heat_link_from_role"] == "unit"
    heat = float(ds["heat_kW"].where(from_unit, 0.0).sum())
    roles_from = ds["power_link_from_role"]
    roles_to = ds["power_link_to_role"]
    supplied = float(ds["electricity_kW"].where(roles_from == "unit", 0.0).sum())
    drawn = float(ds["electricity_kW"].where(roles_to == "unit", 0.0).sum())
    return heat + supplied - drawn


def _routes(model) -> dict[str, str]:
    """The inlet each routed outlet was sent to."""
    import pyomo.environ as pyo

    routes = model.maps.params.get("routes", [])
    return {
        route.outlet: max(route.to, key=lambda to, r=r: pyo.value(model.route[r, to]))
        for r, route in enumerate(routes)
    }


def _verify(district: District, design: dict, routes: dict[str, str]) -> dict[str, float]:
    """Simulate the chosen design with the full unit models; its energy and P per year."""
    from nexus.simulation import simulate

    ds = simulate(with_sizes(district, design, routes))
    scale = 8760.0 / ds.sizes["time"]
    reactors = [u for u, x in district.units.items() if x.type.name == "struvite_reactor"]

    def harvested(element: str) -> float:
        return sum(float(ds[f"{u}.{element}_removed_kg_h"].sum()) for u in reactors) * scale

    return {
        "energy_kWh_yr": net_energy_kWh(ds) * scale,
        "P_kg_yr": harvested("P"),
        "N_kg_yr": harvested("N"),
    }


def solve(
    district: District,
    *,
    objective: str | None = None,
    pareto: int | None = None,
    time_limit_s: float | None = None,
    typical_days: int | None = None,
    verify: bool = True,
    progress: Progress | None = None,
    model=None,
    branching: str = "auto",
):
    """Optimize a district's design and operation, then verify it by simulation.

    Parameters
    ----------
    district : District
        With ``[optimize]``: the sizes to choose (``design``), their costs,
        the prices and the default objective.
    objective : {"energy", "nutrients", "cost"}, optional
        Maximize net energy yield [kWh/yr], maximize phosphorus harvested
        for farms [kg/yr], or minimize annualized cost [currency/yr];
        default the file's.
    pareto : int, optional
        Points of an epsilon-constraint front between the objective and the
        one it trades against (energy and nutrients against cost, cost
        against energy), both ends included.
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
        Dimension ``pareto`` (length 1 without a front). Variables: each
        chosen size ``<unit>.<size>``; ``energy_kWh_yr``, ``P_kg_yr``,
        ``N_kg_yr``, ``cost_per_yr``, ``capex_per_yr``, ``opex_per_yr`` as
        the optimizer sees them; with ``verify``, ``verified_energy_kWh_yr``,
        ``verified_P_kg_yr``, ``verified_N_kg_yr`` and the relative gaps
        ``gap_energy_frac``, ``gap_P_frac``, ``gap_N_frac``. The operation
        per time step, dims (``pareto``, ``step``):
        ``operation.<unit>.heat_kW``, ``.electricity_kW``, ``.store_kWh``,
        ``.gas_Nm3``, ``.methane_Nm3_h``, ``.P_kg_h``,
        ``operation.backup_heat_kW``, ``operation.grid_ev_kW``, with
        ``weight_h`` (hours of the year each step stands for) and
        ``period_hours``. Attributes: objective, solver, timings, map
        fitting errors, aggregation errors.

    Raises
    ------
    nexus.ParameterError
        Unknown objective or bad option (before anything is built).
    nexus.DistrictError
        Missing prices for a cost objective, or nothing to optimize.
    nexus.InfeasibleError
        A target cannot be met; says which and by how much.
    """
    import pyomo.environ as pyo

    objective = _check(district, objective, pareto)
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
        other = _TRADE_OFF[objective]
        target = _TARGET[objective]
        best = pyo.value(getattr(model, _OBJECTIVE[objective][1]))
        say(f"front: {other} optimum (the other end)")
        study.run(other)
        anchor = pyo.value(getattr(model, _OBJECTIVE[objective][1]))
        points = [_point(model)]
        side = "min" if _OBJECTIVE[objective][0] == "max" else "max"
        kept = pyo.value(getattr(model, f"{side}_{target}"))
        for eps in np.linspace(anchor, best, pareto)[1:]:
            say(f"front: {objective} {side} {eps:,.6g}")
            getattr(model, f"{side}_{target}").set_value(float(eps))
            study.run(other)
            points.append(_point(model))
        getattr(model, f"{side}_{target}").set_value(kept)
    study.timings["solve_s"] = time.perf_counter() - t0
    if verify:
        t0 = time.perf_counter()
        for i, p in enumerate(points):
            say(f"verifying design {i + 1} of {len(points)} by simulation")
            p["verified"] = _verify(district, p["design"], p["routes"])
        study.timings["verify_s"] = time.perf_counter() - t0
    say.finish()
    return _dataset(
        district, objective, points, study.maps, study.timings, verify, model.nexus_series
    )


#: What :meth:`Optimizer.set` may change: name -> (model Param, meaning).
SETTABLE = {
    "electricity_import_per_kWh": ("price_import", "price of electricity bought"),
    "electricity_export_per_kWh": ("price_export", "price of electricity sold"),
    "heat_backup_per_kWh": ("price_heat", "price of backup heat"),
    "truck_cost_per_m3_km": ("price_truck", "cost of trucking water per m3 and km"),
    "pipe_cost_per_m3_km": ("price_pipe", "cost of piping water per m3 and km"),
    "demand_scale": ("demand_scale", "factor on every heat and EV demand"),
    "min_energy_kWh_yr": ("min_energy", "target: least net energy yield"),
    "min_P_kg_yr": ("min_P", "target: least P harvested"),
    "max_cost_per_yr": ("max_cost", "target: largest annualized cost"),
}


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
        model=None,
        branching: str = "auto",
        _say: _Stages | None = None,
    ) -> None:
        from nexus.optimize.maps import prepare_maps
        from nexus.optimize.model import build_model

        if branching not in BRANCHING:  # before anything is built
            raise ParameterError(
                f"branching = {branching!r}; expected one of: {', '.join(BRANCHING)}"
            )
        self.district = district
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
                    ("max_cost_per_yr", opt.max_cost_per_yr),
                )
                if v is not None
            }
        )
        self._opt = _solver(time_limit_s, branching)
        if _say is None:
            say.finish()

    @staticmethod
    def stages(district: District, typical_days: int | None = None, model=None) -> int:
        """Stages of building: sampling, aggregating (with typical days), building
        (none for a model given)."""
        if model is not None:
            return 0
        days = district.optimize.typical_days if typical_days is None else typical_days
        return 3 if days else 2

    def set(self, **values: float) -> None:
        """Change prices, the demand scale or targets (names in :data:`SETTABLE`)."""
        for name, value in values.items():
            if name not in SETTABLE:
                raise ParameterError(
                    f"{name!r} cannot be set; expected one of: {', '.join(SETTABLE)}"
                )
            if not isinstance(value, int | float) or not np.isfinite(value):
                raise ParameterError(f"{name} = {value!r}; expected a finite number")
            getattr(self.model, SETTABLE[name][0]).set_value(float(value))

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
        _run(self._opt, model, objective)
        _explain_slack(model)
        if objective == "cost" or self.district.optimize.prices is None:
            return
        best = pyo.value(getattr(model, _OBJECTIVE[objective][1]))
        low = getattr(model, f"min_{_TARGET[objective]}")
        kept = pyo.value(low)
        low.set_value(max(kept, best - TIE_TOL * max(1.0, abs(best))))
        try:
            _run(self._opt, model, "cost")
        finally:
            low.set_value(kept)
        _explain_slack(model)

    def solve(self, objective: str | None = None, *, verify: bool = False):
        """Solve for an objective; the result as :func:`solve` returns it (one point)."""
        objective = _check(self.district, objective, None)
        self.run(objective)
        point = _point(self.model)
        if verify:
            point["verified"] = _verify(self.district, point["design"], point["routes"])
        return _dataset(
            self.district, objective, [point], self.maps, dict(self.timings), verify,
            self.model.nexus_series,
        )  # fmt: skip


def _point(model) -> dict:
    import pyomo.environ as pyo

    x = np.array([np.nan if v.value is None else v.value for v in model.nexus_columns])
    return {
        "operation": {name: expr.value(x) for name, (expr, _, _) in model.nexus_series.items()},
        "design": _design(model),
        "routes": _routes(model),
        "energy_kWh_yr": pyo.value(model.energy_kWh_yr),
        "P_kg_yr": pyo.value(model.P_kg_yr),
        "N_kg_yr": pyo.value(model.N_kg_yr),
        "cost_per_yr": pyo.value(model.cost_yr),
        "capex_per_yr": pyo.value(model.capex_yr),
        "opex_per_yr": pyo.value(model.opex_yr),
    }


_SIZE_UNITS = {"V_liq_m3": "m3", "V_m3": "m3", "area_m2": "m2", "capacity_kW": "kW",
               "capacity_kWh": "kWh", "capacity_kWe": "kW", "capacity_Nm3": "m3"}  # fmt: skip


def _dataset(district, objective, points, maps, timings, verify, model_series):
    import xarray as xr

    from nexus import __version__

    n = len(points)
    cur = district.info.currency
    ds = xr.Dataset(coords={"pareto": np.arange(n), "step": np.arange(maps.n_time)})
    ds["pareto"].attrs.update(
        long_name="point on the Pareto front (0: the single optimum)", units="1"
    )
    ds["step"].attrs.update(
        long_name="time step (an hour of the year, or of a representative day)", units="1"
    )
    ds["weight_h"] = ("step", maps.weights)
    ds["weight_h"].attrs.update(units="h yr-1", long_name="hours of the year each step stands for")
    ds["period_hours"] = maps.period_hours
    ds["period_hours"].attrs.update(
        units="h", long_name="length of the periods storage is cyclic over"
    )
    keys = sorted({(u, s) for p in points for u, sizes in p["design"].items() for s in sizes})
    for unit, size in keys:
        ds[f"{unit}.{size}"] = (
            "pareto",
            [p["design"].get(unit, {}).get(size, 0.0) for p in points],
        )
        ds[f"{unit}.{size}"].attrs.update(
            units=_SIZE_UNITS.get(size, "1"), long_name=f"{unit}: {size} chosen"
        )
    for route in district.optimize.routes:
        chosen = [route.to.index(p["routes"][route.outlet]) for p in points]
        ds[f"route.{route.outlet}"] = ("pareto", chosen)
        ds[f"route.{route.outlet}"].attrs.update(
            units="1",
            long_name=f"where {route.outlet} is sent: "
            + ", ".join(f"{k} = {to}" for k, to in enumerate(route.to)),
        )
    for name, (_, units, long_name) in model_series.items():
        ds[f"operation.{name}"] = (("pareto", "step"), [p["operation"][name] for p in points])
        ds[f"operation.{name}"].attrs.update(units=units, long_name=f"{long_name}, as optimized")
    meta = {
        "energy_kWh_yr": ("kWh yr-1", "net energy yield (heat and electricity from the units, less electricity they draw)"),
        "P_kg_yr": ("kg yr-1", "phosphorus harvested as struvite for farms"),
        "N_kg_yr": ("kg yr-1", "nitrogen harvested in the struvite for farms"),
        "cost_per_yr": (f"{cur} yr-1", "annualized capital cost plus operating cost"),
        "capex_per_yr": (f"{cur} yr-1", "annualized capital cost"),
        "opex_per_yr": (f"{cur} yr-1", "operating cost (electricity, backup heat, chemicals, less export)"),
    }  # fmt: skip
    for name, (units, long_name) in meta.items():
        ds[name] = ("pareto", [p[name] for p in points])
        ds[name].attrs.update(units=units, long_name=f"{long_name}, as optimized")
    if verify:
        for name, plain in (("energy_kWh_yr", "energy"), ("P_kg_yr", "P"), ("N_kg_yr", "N")):
            sim = np.array([p["verified"][name] for p in points])
            opt = np.array([p[name] for p in points])
            ds[f"verified_{name}"] = ("pareto", sim)
            ds[f"verified_{name}"].attrs.update(
                units=meta[name][0],
                long_name=f"{meta[name][1]}, simulated with the full unit models",
            )
            gap = np.divide(opt - sim, np.abs(sim), out=np.zeros(n), where=np.abs(sim) > 0)
            ds[f"gap_{plain}_frac"] = ("pareto", gap)
            ds[f"gap_{plain}_frac"].attrs.update(
                units="1", long_name=f"(optimizer - simulation) / simulation, {plain}"
            )
    ds.attrs.update(
        nexus_version=__version__,
        district_name=district.name,
        district_sha256=district.sha256,
        objective=objective,
        currency=cur,
        solver="HiGHS (highspy), fed with Pyomo's linear standard form",
        time_steps=maps.n_time,
        fit_error=";".join(f"{k}={v:.3g}" for k, v in maps.fit_error.items()),
        aggregation_error_max=max(maps.aggregation_error.values(), default=0.0),
        **{f"time_{k}": v for k, v in timings.items()},
    )
    return ds
