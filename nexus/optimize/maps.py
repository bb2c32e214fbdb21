"""Performance maps of the unit models, sampled for the optimizer.

The optimizer never carries a second copy of the physics. For every size it
may choose, the unit's own model is run over the year at a few sizes
("samples": 0, then evenly in log scale up to the largest size allowed), and
the linear program mixes those runs: a size between two samples performs as
the linear interpolation of their hourly results. Between samples the interpolation
is checked against a run of the unit model at the midpoint, and the largest
gap is reported as the fitting error of the map.

What is sampled, by unit type (models in :mod:`nexus.units`):

- ``greywater_heat_pump``: exchanger area -> hourly extractable heat and the
  full-load COP at the loop temperature it gives
  (:func:`~nexus.units.heat_recovery.exchanger_duty`,
  :func:`~nexus.units.heat_recovery.carnot_cop`), hence the condenser output
  available per hour;
- ``anaerobic_digester``: liquid volume -> hourly methane, heat demand and
  effluent (ADM1 steady states, day by day, as in the simulation);
- ``struvite_reactor``: for each digester sample, the phosphorus harvestable
  from its effluent and the chemicals cost per kg of P (activity-corrected
  equilibrium);
- ``shower_dwhr``: the heat its rating gives each hour (no size to choose).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from nexus.district import District
from nexus.errors import DistrictError
from nexus.unit_types import UnitInputs

__all__ = ["Maps", "sample_maps"]


@dataclass
class Maps:
    """Hourly series and sampled unit performance of a district, for the optimizer.

    Attributes
    ----------
    series : dict of str to numpy.ndarray
        Hourly series (last axis time) by name: demands, and per unit its
        sampled performance, shape (samples, time) for sampled quantities.
    sizes : dict of (str, str) to numpy.ndarray
        ``(unit, size) -> sample sizes`` of each sized quantity.
    fixed : dict of (str, str) to float
        ``(unit, size) -> value`` of sizes the file fixes (not chosen).
    fit_error : dict of str to float
        Largest relative gap between the interpolated map and the unit model
        at the midpoints between samples, by map name.
    params : dict of str to Any
        Parameters of each unit, as in the district.
    weights : numpy.ndarray
        Hours each time step stands for (1 for a full year of hours).
    period_hours : int
        Length of the periods storage is cyclic over (8760 for a full year).
    aggregation_error : dict of str to float
        For representative periods: RMSE of each series against the full
        year, relative to its mean (empty for a full year).
    """

    series: dict[str, np.ndarray]
    sizes: dict[tuple[str, str], np.ndarray]
    fixed: dict[tuple[str, str], float]
    fit_error: dict[str, float]
    params: dict[str, object]
    weights: np.ndarray
    period_hours: int
    aggregation_error: dict[str, float] = field(default_factory=dict)

    @property
    def n_time(self) -> int:
        """Number of time steps."""
        return int(self.weights.size)


def _samples(district: District, unit: str, size: str, file_value: float, n: int) -> np.ndarray:
    """Sizes at which a unit is sampled: 0 (not built), then evenly in log scale from the
    smallest size offered (``min``, or a tenth of ``max`` if min is 0) up to ``max``.

    Log spacing because performance saturates with size (exchanger NTU, digester HRT):
    on Buiksloterham's exchanger it cut the interpolation error of the annual heat
    output from 10.6 % (even spacing) to 3.9 % with the same five samples.
    """
    bound = district.optimize.design.get(unit, {}).get(size)
    if bound is None:
        return np.array([file_value])
    low = bound.min if bound.min > 0 else bound.max / 10.0
    return np.concatenate([[0.0], np.geomspace(low, bound.max, n - 1)])


def _linear(district: District, unit: str, size: str, file_value: float, sizes, fixed) -> None:
    """Record a size the model uses linearly: chosen in [0, max], or fixed by the file."""
    bound = district.optimize.design.get(unit, {}).get(size)
    if bound is None:
        fixed[(unit, size)] = file_value
    else:
        sizes[(unit, size)] = np.array([0.0, bound.max])


def _with(params, table: str, **changes):
    """Unit parameters with some fields of one table replaced."""
    if table == "":
        return dataclasses.replace(params, **changes)
    out = dict(params)
    out[table] = dataclasses.replace(params[table], **changes)
    return out


def sample_maps(district: District) -> Maps:
    """Run the unit models of a district at sampled sizes over its year.

    Parameters
    ----------
    district : District
        With an ``[optimize]`` table (its ``design`` entries say which sizes
        are chosen and up to what size; ``samples`` how many runs per size).

    Returns
    -------
    Maps
        Hourly series for the full year (8760 steps).

    Raises
    ------
    nexus.DistrictError
        A unit the optimizer cannot place in the network (e.g. a struvite
        reactor not fed directly by a digester).
    """
    from nexus.simulation import run_network

    run = run_network(district)
    ds, received = run.ds, run.received
    n_samples = district.optimize.samples
    series: dict[str, np.ndarray] = {}
    sizes: dict[tuple[str, str], np.ndarray] = {}
    fixed: dict[tuple[str, str], float] = {}
    fit: dict[str, float] = {}
    params: dict[str, object] = {}
    sinks = district.sinks
    heat_sinks = [s for s, v in sinks.items() if v.type == "heat_network"]
    ev_sinks = [s for s, v in sinks.items() if v.type == "ev_charging"]
    zero = np.zeros(ds.sizes["time"])

    def total(names: list[str]) -> np.ndarray:
        return sum((ds[x].to_numpy() for x in names if x in ds), zero.copy())

    series["space_heating_kW"] = total([f"{s}.space_heating_demand_kW" for s in heat_sinks])
    series["dhw_kW"] = total([f"{s}.dhw_demand_kW" for s in heat_sinks])
    series["ev_kW"] = total([f"{s}.ev_demand_kW" for s in ev_sinks])
    n_routes = len(district.optimize.routes)
    params["routes"] = list(district.optimize.routes)
    for r, route in enumerate(district.optimize.routes):
        series[f"route{r}.flow_m3_h"] = run.outlets[tuple(route.outlet.split("."))].flow_m3_h
    digester_outlets: dict[str, list] = {}
    for name in (node for node in district.order if node in district.units):
        unit = district.units[name]  # network order: a digester before the reactor it feeds
        kind = unit.type.name
        p = unit.params
        params[name] = p
        inputs = received[name]
        if kind == "shower_dwhr":
            series[f"{name}.heat_kW"] = _dwhr_heat(p, inputs)
        elif kind == "greywater_heat_pump":
            for size, (table, key) in unit.type.sizes.items():
                value = float(getattr(p[table], key))
                if size == "area_m2":  # the exchanger's duty is sampled
                    s = _samples(district, name, size, value, n_samples)
                    if s.size == 1:
                        fixed[(name, size)] = value
                    else:
                        sizes[(name, size)] = s
                else:  # heat-pump and store capacities enter the model linearly
                    _linear(district, name, size, value, sizes, fixed)
            areas = sizes.get((name, "area_m2"), np.array([fixed.get((name, "area_m2"), 0.0)]))
            out, cop = _heat_pump_potential(p, inputs, areas)
            # Part load: the map's COP is the full-load COP; the year simulated with the
            # file's sizes says how much more electricity part load takes (EN 14825 cycling).
            _, cop_file = _heat_pump_potential(p, inputs, np.array([p["exchanger"].area_m2]))
            factor = _part_load_factor(ds, name, cop_file[0])
            fit[f"{name}.part_load_electricity_factor"] = factor
            series[f"{name}.output_kW"], series[f"{name}.cop"] = out, cop / factor
            if areas.size > 1:
                mid = 0.5 * (areas[1:] + areas[:-1])
                out_mid, _ = _heat_pump_potential(p, inputs, mid)
                fit[f"{name}.output_kW"] = _gap(out, out_mid)
        elif kind == "anaerobic_digester":
            value = float(p["reactor"].V_liq_m3)
            volumes = _samples(district, name, "V_liq_m3", value, n_samples)
            if volumes.size == 1:
                fixed[(name, "V_liq_m3")] = value
            feeds = _feeds(district, name, run.outlets, inputs)
            columns = [(members, v) for members, _ in feeds for v in volumes]
            runs = [
                unit.type.run(
                    _with(p, "reactor", V_liq_m3=v),
                    dataclasses.replace(inputs, inlets={"in": stream}),
                )
                for _, stream in feeds
                for v in volumes
            ]
            if volumes.size > 1:
                sizes[(name, "V_liq_m3")] = np.array([v for _, v in columns])
            params[f"{name}.columns"] = (
                np.array([v for _, v in columns]),
                np.array([[r in members for members, _ in columns] for r in range(n_routes)]),
            )
            series[f"{name}.methane_Nm3_h"] = np.stack([r.gas_Nm3_h["biogas"] for r in runs])
            series[f"{name}.heat_demand_kW"] = np.stack([r.demand_kW["heat"] for r in runs])
            digester_outlets[name] = [r.outlets["out"] for r in runs]
            if volumes.size > 2:
                mid = 0.5 * (volumes[1:] + volumes[:-1])
                feed = dataclasses.replace(inputs, inlets={"in": feeds[-1][1]})
                runs_mid = [unit.type.run(_with(p, "reactor", V_liq_m3=v), feed) for v in mid]
                fit[f"{name}.methane_Nm3_h"] = _gap(
                    series[f"{name}.methane_Nm3_h"][-volumes.size :],
                    np.stack([r.gas_Nm3_h["biogas"] for r in runs_mid]),
                )
        elif kind == "chp":
            for size, (table, key) in unit.type.sizes.items():
                _linear(district, name, size, float(getattr(p[table], key)), sizes, fixed)
        elif kind == "struvite_reactor":
            _linear(district, name, "V_m3", float(p.V_m3), sizes, fixed)
            feeder = _feeding_digester(district, name)
            harvest, per_m3, cost = _struvite_potential(unit, p, inputs, digester_outlets[feeder])
            series[f"{name}.P_kg_h"] = harvest
            series[f"{name}.P_kg_h_per_m3"] = per_m3
            series[f"{name}.cost_per_kg_P"] = cost
            params[f"{name}.feeder"] = feeder
    return Maps(
        series=series,
        sizes=sizes,
        fixed=fixed,
        fit_error=fit,
        params=params,
        weights=np.ones(ds.sizes["time"]),
        period_hours=int(ds.sizes["time"]),
    )


def _feeds(district: District, unit: str, outlets, inputs: UnitInputs) -> list:
    """Each feed a digester may get: (routes sent to it, the mixed stream).

    Without routes to it, its one feed is what the file connects. With routes,
    one feed per subset of the routes that may lead to it (the outlets the file
    connects and no route moves are always in).
    """
    from itertools import combinations

    from nexus.simulation import _mix_or_dry

    routes = district.optimize.routes
    mine = [r for r, route in enumerate(routes) if f"{unit}.in" in route.to]
    if not mine:
        return [(frozenset(), inputs.inlets["in"])]
    routed = {tuple(route.outlet.split(".")) for route in routes}
    always = [
        outlets[(c.src, c.src_port)]
        for c in district.connections
        if c.dst == unit and c.dst_port == "in" and (c.src, c.src_port) not in routed
    ]
    n = inputs.inlets["in"].flow_m3_h.size
    feeds = []
    for k in range(len(mine) + 1):
        for members in combinations(mine, k):
            streams = always + [outlets[tuple(routes[r].outlet.split("."))] for r in members]
            feeds.append((frozenset(members), _mix_or_dry(streams, n)))
    return feeds


def _gap(samples: np.ndarray, midpoints: np.ndarray) -> float:
    """Largest relative gap of annual totals: unit model at midpoints vs interpolation.

    The first segment (from 0, not built, to the smallest size) is left out:
    a size in it is not offered (the model's ``built`` switch jumps it).
    """
    interpolated = 0.5 * (samples[2:] + samples[1:-1]).sum(axis=-1)
    model = midpoints[1:].sum(axis=-1)
    scale = np.maximum(np.abs(model), 1e-12)
    return float(np.max(np.abs(model - interpolated) / scale))


def _part_load_factor(ds, unit: str, cop: np.ndarray) -> float:
    """Electricity a heat pump used over the simulated year / what its full-load COP
    ``cop`` (hourly) implies [-]; 1 if it did not run."""
    out = ds[f"{unit}.heat_output_kW"].to_numpy()
    full_load = float(np.sum(np.divide(out, cop, out=np.zeros_like(out), where=cop > 0)))
    used = float(ds[f"{unit}.electricity_kW"].sum())
    return used / full_load if full_load > 0 else 1.0


def _dwhr_heat(params, inputs: UnitInputs) -> np.ndarray:
    """Hourly heat a shower DWHR recovers, before any demand limit [kW]."""
    from nexus.units import heat_recovery as hr

    water = inputs.inlets["in"]
    return hr.dwhr_heat_kW(water.flow_m3_h, water.T_C, inputs.T_mains_C, params).heat_kW


def _heat_pump_potential(params, inputs: UnitInputs, areas: np.ndarray):
    """Condenser output available at full load [kW] and full-load COP, per exchanger area.

    Steps 1-3 of :func:`nexus.units.heat_recovery.greywater_heat_pump` with
    an unlimited heat-pump capacity: the exchanger duty at full loop flow,
    the Carnot-fraction COP at the loop outlet, and Q COP / (COP - 1).
    """
    from nexus.units import heat_recovery as hr

    water = inputs.inlets["in"]
    ex, hp = params["exchanger"], params["heat_pump"]
    UA = hr.ua_W_K(areas[:, None], ex.U_clean_W_m2K, ex.fouling_m2K_W)
    duty = hr.exchanger_duty(water.flow_m3_h, water.T_C, ex.loop_flow_m3_h, ex.loop_T_in_C, UA)
    cop = hr.carnot_cop(duty.cold_T_out_C, hp.supply_T_C, hp.carnot_frac, hp.approach_K)
    cop = np.where(np.isfinite(cop), cop, 0.0)
    runs = cop > 1.0
    output = np.where(runs, duty.heat_kW * cop / np.where(runs, cop - 1.0, 1.0), 0.0)
    return output, np.where(runs, cop, 1.0)


def _feeding_digester(district: District, unit: str) -> str:
    """The digester whose outlet feeds a struvite reactor, which the optimizer needs."""
    feeders = [c.src for c in district.connections if c.dst == unit and c.dst_port == "in"]
    kinds = [district.units[f].type.name if f in district.units else "" for f in feeders]
    if feeders and all(k == "anaerobic_digester" for k in kinds) and len(set(feeders)) == 1:
        return feeders[0]
    raise DistrictError(
        f"the optimizer needs the struvite reactor {unit!r} fed by one anaerobic_digester "
        f"only; it is fed by {', '.join(feeders) or 'nothing'}",
        file=district.file,
        key=f"units.{unit}",
    )


def _struvite_potential(unit, params, inputs: UnitInputs, effluents: list):
    """P harvestable from each digester sample's effluent, per m3 of reactor, and its cost.

    Returns
    -------
    harvest : numpy.ndarray, shape (samples, time)
        P the reactor harvests if it treats all the effluent [kg h-1].
    per_m3 : numpy.ndarray, shape (time,)
        P harvested per m3 of reactor volume when the flow exceeds what it can
        treat [kg h-1 m-3], from the largest digester sample.
    cost : numpy.ndarray, shape (time,)
        Chemicals cost per kg of P harvested [currency kg-1], same sample.
    """
    big = dataclasses.replace(params, V_m3=1e4)  # treats every flow
    harvest = []
    last = None
    for water in effluents:
        if water.pH is None:  # a digester sample not built: its water carries no pH
            harvest.append(np.zeros(water.flow_m3_h.size))
            continue
        run = unit.type.run(big, dataclasses.replace(inputs, inlets={"in": water}))
        harvest.append(run.removed_kg_h["P"])
        last = (water, run)
    harvest = np.stack(harvest)
    n = harvest.shape[1]
    if last is None:
        return harvest, np.zeros(n), np.zeros(n)
    water, run = last
    P = run.removed_kg_h["P"]
    treated = run.variables["treated_m3_h"].values
    per_m3_treated = np.divide(P, treated, out=np.zeros(n), where=treated > 0)
    per_m3 = per_m3_treated / params.residence_h
    cost = np.divide(run.variables["chemicals_cost_h"].values, P, out=np.zeros(n), where=P > 0)
    return harvest, per_m3, cost


def prepare_maps(district: District, typical_days: int | None = None, say=None) -> Maps:
    """The maps the optimizer builds on: sampled, then aggregated to representative days.

    Parameters
    ----------
    district : District
        With an ``[optimize]`` table.
    typical_days : int, optional
        Representative days; default the file's ``typical_days`` (0 = the full year).
    say : callable, optional
        Called with the name of each stage as it starts.
    """
    from nexus.optimize.periods import typical_days as aggregate

    say = say or (lambda _stage: None)
    days = district.optimize.typical_days if typical_days is None else typical_days
    say("sampling unit models")
    maps = sample_maps(district)
    if not days:
        return maps
    say(f"aggregating the year to {days} representative days")
    return aggregate(maps, days, year=district.info.year)
