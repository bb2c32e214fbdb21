"""Run a district over a year of hourly steps.

``simulate(district)`` makes the household flows, runs every unit in network
order and returns one :class:`xarray.Dataset` holding every flow of the
district with CF ``units`` and ``long_name`` attributes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nexus.components import COMPONENTS, INDEX, N_COMPONENTS
from nexus.errors import DistrictError, NexusError, ParameterError
from nexus.streams import Stream, mix
from nexus.unit_types import UnitInputs, UnitResult, Variable

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from nexus.district import Connection, District
    from nexus.schema import Households, LoadsPerCapita

__all__ = ["NetworkRun", "household_streams", "run_network", "simulate"]

DAYS_PER_YEAR = 365.0


def simulate(district: District) -> xr.Dataset:
    """Simulate a district over one year of hourly steps.

    Parameters
    ----------
    district : District
        From :func:`nexus.load_district`.

    Returns
    -------
    xarray.Dataset
        Dimensions ``time`` (8760 hourly steps), ``stream`` (water
        connections), ``heat_link``, ``power_link`` and ``component``.
        Variables: ``flow_m3_h``, ``T_C``, ``load_kg_h`` per stream,
        ``heat_kW`` per heat link, ``electricity_kW`` per power link, the
        weather, and ``<node>.<quantity>`` series of every source, unit and
        sink. Every variable has ``units`` and ``long_name``.

    Raises
    ------
    nexus.DistrictError
        The weather file named by the district is invalid.
    """
    return run_network(district).ds


class NetworkRun(NamedTuple):
    """A simulated district with what each unit received (see :func:`run_network`)."""

    ds: xr.Dataset  #: as :func:`simulate` returns it
    received: dict[str, UnitInputs]  #: the inputs each unit was run with, by unit
    outlets: dict[tuple[str, str], Stream]  #: every water outlet's stream, by (node, port)


def run_network(district: District) -> NetworkRun:
    """Simulate a district and keep what each unit received and every outlet's water.

    Parameters
    ----------
    district : District
        From :func:`nexus.load_district`.

    Returns
    -------
    NetworkRun
        The optimizer samples unit models on these inputs.
    """
    from nexus.weather import load_weather

    weather = load_weather(district.weather_file, year=district.info.year)
    n = len(weather)
    node_vars: dict[str, dict[str, Variable]] = defaultdict(dict)
    outlets: dict[tuple[str, str], Stream] = {}
    profiles = {}
    for name, spec in district.sources.items():
        profiles[name] = _household_profiles(district, name, spec, weather)
        outlets.update(
            {(name, port): s for port, s in household_streams(spec, profiles[name]).items()}
        )
        node_vars[name].update(
            space_heating_kW=Variable(
                profiles[name].space_heating_kW, "kW", "space-heating demand"
            ),
            dhw_kW=Variable(profiles[name].dhw_kW, "kW", "domestic hot-water heat demand"),
            ev_kW=Variable(profiles[name].ev_kW, "kW", "electric-vehicle charging demand"),
        )
    ledger = _sink_demands(district, profiles, n, node_vars)
    received: dict[str, UnitInputs] = {}
    flows = _run_units(district, outlets, ledger, weather, node_vars, received)
    for (node, _port), categories in ledger.items():
        if node in district.sinks:
            for category, remaining in categories.items():
                if np.isfinite(remaining).all():
                    node_vars[node][f"{category}_unmet_kW"] = Variable(
                        remaining, "kW", f"{_PLAIN[category]} demand not met in the district"
                    )
    ds = _check_finite(_dataset(district, weather, outlets, flows, node_vars), district)
    return NetworkRun(ds, received, outlets)


#: Demand categories of sinks (by sink type) and their plain names.
SINK_DEMANDS = {
    "heat_network": ("space_heating", "dhw"),
    "ev_charging": ("ev",),
    "grid": ("export",),
}
_PLAIN = {
    "space_heating": "space-heating",
    "dhw": "hot-water",
    "ev": "electric-vehicle charging",
    "export": "grid export",
    "process": "process heat",
}
_PROFILE_OF = {"space_heating": "space_heating_kW", "dhw": "dhw_kW", "ev": "ev_kW"}


def _household_profiles(district: District, name: str, spec: Households, weather):
    from nexus.sources import household_profiles

    try:
        return household_profiles(
            weather=weather,
            seed=district.info.seed + _stable_offset(name),
            residents=spec.residents,
            homes=spec.homes,
            noise_frac=spec.noise_frac,
            **spec.water.model_dump(),
            **spec.temperatures.model_dump(),
            **spec.energy.model_dump(),
        )
    except ParameterError as exc:  # figures that contradict each other
        raise DistrictError(str(exc), file=district.file, key=f"sources.{name}") from None


def _sink_demands(district: District, profiles, n: int, node_vars) -> dict:
    """Open demand of each sink inlet that takes power, by category [kW].

    Heat networks and EV charging points serve their households' demand; a
    grid takes any export (infinite demand).
    """
    ledger: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    for name, sink in district.sinks.items():
        if sink.type not in SINK_DEMANDS:
            continue
        served = list(district.sources) if sink.serves is None else sink.serves
        categories = {}
        for category in SINK_DEMANDS[sink.type]:
            if category == "export":
                categories[category] = np.full(n, np.inf)
                continue
            total = sum((getattr(profiles[s], _PROFILE_OF[category]) for s in served), np.zeros(n))
            categories[category] = total.copy()
            node_vars[name][f"{category}_demand_kW"] = Variable(
                total, "kW", f"{_PLAIN[category]} demand served by this sink"
            )
        ledger[(name, "in")] = categories
    return ledger


def _run_units(district: District, outlets, ledger, weather, node_vars, received) -> dict:
    """Run every unit in network order; fill ``outlets`` and ``received`` (each unit's inputs)
    and return the power and gas by link."""
    T_mains_C = weather["T_mains_C"].to_numpy()
    T_out_C = weather["T_out_C"].to_numpy()
    n = len(T_mains_C)
    incoming = defaultdict(list)
    outgoing = defaultdict(list)
    for c in district.connections:
        incoming[(c.dst, c.dst_port)].append(c)
        outgoing[(c.src, c.src_port)].append(c)
    link: dict[Connection, np.ndarray] = {}  # power [kW] or methane [Nm3/h] on each link
    unit_demand: dict[tuple[str, str], np.ndarray] = {}
    for node in district.order:
        if node in district.sources:
            continue
        unit = district.units[node]
        ports = unit.type.ports
        inputs = UnitInputs(
            inlets={
                p.name: _mix_or_dry(
                    [outlets[(c.src, c.src_port)] for c in incoming[(node, p.name)]], n
                )
                for p in ports
                if p.kind == "water" and p.direction == "in"
            },
            gas_Nm3_h={
                p.name: sum((link[c] for c in incoming[(node, p.name)]), np.zeros(n))
                for p in ports
                if p.kind == "gas" and p.direction == "in"
            },
            open_demand_kW={
                p.name: sum(
                    (_open(ledger, c, p.serves, n) for c in outgoing[(node, p.name)]), np.zeros(n)
                )
                for p in ports
                if p.kind in ("heat", "electricity") and p.direction == "out"
            },
            T_mains_C=T_mains_C,
            T_out_C=T_out_C,
        )
        received[node] = inputs
        try:
            result: UnitResult = unit.type.run(unit.params, inputs)
        except NexusError as exc:
            raise DistrictError(str(exc), file=district.file, key=f"units.{node}") from None
        for port, amount in result.supply_kW.items():
            port_serves = next(p.serves for p in ports if p.name == port)
            left = np.asarray(amount, dtype=float)
            for c in outgoing[(node, port)]:
                link[c] = _take(ledger, c, port_serves, left)
                left = left - link[c]
        for port, demand_kW in result.demand_kW.items():
            ledger[(node, port)] = {"process": np.asarray(demand_kW, dtype=float).copy()}
            unit_demand[(node, port)] = np.asarray(demand_kW, dtype=float)
        for port, drawn in result.draw_kW.items():
            for c in incoming[(node, port)]:  # one grid connection (checked on loading)
                link[c] = np.asarray(drawn, dtype=float)
        for port, methane in result.gas_Nm3_h.items():
            for c in outgoing[(node, port)]:
                link[c] = np.asarray(methane, dtype=float)
        outlets.update({(node, port): s for port, s in result.outlets.items()})
        _record(node_vars[node], result, n)
    for (node, port), needed in unit_demand.items():
        received = sum((link.get(c, np.zeros(n)) for c in incoming[(node, port)]), np.zeros(n))
        node_vars[node]["heat_backup_kW"] = Variable(
            needed - received, "kW", "heat the unit needed but no connected supplier gave (backup)"
        )
    for c in district.connections:  # links nothing flowed on (a supplier with no output)
        link.setdefault(c, np.zeros(n))
    return link


def _mix_or_dry(streams: list[Stream], n: int) -> Stream:
    """The mix of what reaches an inlet; a stream of no water where nothing does (an inlet
    only an optimizer route may feed)."""
    if streams:
        return mix(streams)
    return Stream(np.zeros(n), np.full(n, 20.0), np.zeros((n, N_COMPONENTS)))


def _record(variables: dict[str, Variable], result: UnitResult, n: int) -> None:
    """Store a unit's results and the terms of its balances."""
    variables.update(result.variables)

    def series(x) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, dtype=float), (n,)).astype(float)

    variables["heat_loss_kW"] = Variable(
        series(result.heat_loss_kW), "kW", "heat lost to the surroundings"
    )
    variables["heat_accumulation_kW"] = Variable(
        series(result.heat_accumulation_kW), "kW", "rate of change of heat held in the unit"
    )
    if np.any(np.asarray(result.fuel_kW) != 0):
        variables["fuel_kW"] = Variable(
            series(result.fuel_kW), "kW", "fuel burnt (lower heating value)"
        )
    for element, removed in result.removed_kg_h.items():
        variables[f"{element}_removed_kg_h"] = Variable(
            series(removed), "kg h-1", f"{element} leaving the water as a product or gas"
        )
    for element, dosed in result.dosed_kg_h.items():
        variables[f"{element}_dosed_kg_h"] = Variable(
            series(dosed), "kg h-1", f"{element} added to the water in dosed chemicals"
        )
    for element, held in result.accumulation_kg_h.items():
        variables[f"{element}_accumulation_kg_h"] = Variable(
            series(held), "kg h-1", f"{element} held back in the unit (negative: released)"
        )


def household_streams(spec: Households, profiles) -> dict[str, Stream]:
    """The four water streams of a household source.

    Parameters
    ----------
    spec : nexus.schema.Households
        Residents, per-capita loads and tap-water composition.
    profiles : nexus.sources.HouseholdProfiles
        Hourly volumes [m3/h], kitchen waste [kg/h] and temperatures [°C].

    Returns
    -------
    dict of str to Stream
        ``shower``, ``greywater`` (washbasin, kitchen sink and laundry),
        ``blackwater`` and ``kitchen_waste``.

    Notes
    -----
    The per-capita greywater loads are spread over the greywater end uses in
    proportion to their volume (one concentration for all greywater: end-use
    resolved loads are not reported for the Netherlands). Each stream's annual
    load equals the per-capita load x residents x 365 d exactly. Tap-water
    minerals are added to household water in proportion to its volume;
    ground kitchen waste carries none. Kitchen waste is carried as a flow of
    1 m3 per 1000 kg (density of water).
    """
    p = profiles
    residents = spec.residents
    grey_parts = (p.washbasin_m3_h, p.kitchen_m3_h, p.laundry_m3_h)
    grey_flow = sum(grey_parts)
    grey_T = np.divide(
        sum(
            f * T
            for f, T in zip(
                grey_parts, (p.washbasin_T_C, p.kitchen_T_C, p.laundry_T_C), strict=True
            )
        ),
        grey_flow,
        out=np.full_like(grey_flow, spec.temperatures.washbasin_drain_T_C),
        where=grey_flow > 0,
    )
    all_grey_m3 = float((p.shower_m3_h + grey_flow).sum())
    tap = _tap_water_kg_m3(spec)
    kw_flow = p.kitchen_waste_kg_h / 1000.0
    grey = _annual_loads_kg(spec.greywater, residents)

    def loads(flow, basis_m3, annual, tap_kg_m3) -> np.ndarray:
        weights = flow / basis_m3 if basis_m3 > 0 else np.zeros_like(flow)
        return np.outer(weights, annual) + np.outer(flow, tap_kg_m3)

    return {
        "shower": Stream(p.shower_m3_h, p.shower_T_C, loads(p.shower_m3_h, all_grey_m3, grey, tap)),
        "greywater": Stream(grey_flow, grey_T, loads(grey_flow, all_grey_m3, grey, tap)),
        "blackwater": Stream(
            p.blackwater_m3_h,
            p.blackwater_T_C,
            loads(
                p.blackwater_m3_h,
                float(p.blackwater_m3_h.sum()),
                _annual_loads_kg(spec.blackwater, residents),
                tap,
            ),
        ),
        "kitchen_waste": Stream(
            kw_flow,
            p.kitchen_T_C,
            loads(
                kw_flow,
                float(kw_flow.sum()),
                _annual_loads_kg(spec.kitchen_waste, residents),
                np.zeros(N_COMPONENTS),
            ),
        ),
    }


#: Per-capita load fields of a household stream that map one to one onto a component.
_LOAD_FIELDS = {
    "K": "K_g_p_d",
    "Mg": "Mg_g_p_d",
    "Ca": "Ca_g_p_d",
    "Na": "Na_g_p_d",
    "Cl": "Cl_g_p_d",
    "Alk_HCO3": "alkalinity_g_HCO3_p_d",
    "TSS": "TSS_g_p_d",
}
#: Per-capita totals split over two components by a fraction: (first, second, total, first_frac).
_SPLIT_FIELDS = (
    ("COD_s", "COD_x", "COD_g_p_d", "COD_soluble_frac"),
    ("NH4_N", "Norg_N", "N_g_p_d", "NH4_N_frac"),
    ("PO4_P", "Porg_P", "P_g_p_d", "PO4_P_frac"),
)
#: Tap-water fields [mg/L] by component.
_TAP_FIELDS = {
    "K": "K_mg_L",
    "Mg": "Mg_mg_L",
    "Ca": "Ca_mg_L",
    "Na": "Na_mg_L",
    "Cl": "Cl_mg_L",
    "Alk_HCO3": "alkalinity_mg_L_HCO3",
}


def _component_vector(table, fields: dict[str, str]) -> np.ndarray:
    """Values of a file table laid out on the component axis (others zero)."""
    out = np.zeros(N_COMPONENTS)
    for component, field in fields.items():
        out[INDEX[component]] = getattr(table, field)
    return out


def _annual_loads_kg(loads: LoadsPerCapita, residents: float) -> np.ndarray:
    """Annual component loads [kg/yr] from per-capita daily loads [g/(p d)]."""
    per_capita = _component_vector(loads, _LOAD_FIELDS)
    for first, second, total, frac in _SPLIT_FIELDS:
        per_capita[INDEX[first]] = getattr(loads, total) * getattr(loads, frac)
        per_capita[INDEX[second]] = getattr(loads, total) * (1.0 - getattr(loads, frac))
    return per_capita * residents * DAYS_PER_YEAR / 1000.0


def _tap_water_kg_m3(spec: Households) -> np.ndarray:
    """Tap-water component concentrations [kg/m3] (mg/L = g/m3)."""
    return _component_vector(spec.tap_water, _TAP_FIELDS) / 1000.0


def _stable_offset(name: str) -> int:
    """A seed offset per source name that does not change between runs."""
    return sum(ord(ch) * (i + 1) for i, ch in enumerate(name))


def _open(ledger, c: Connection, serves: tuple[str, ...], n: int) -> np.ndarray:
    """Open demand at the inlet of connection ``c`` in the categories ``serves`` [kW]."""
    categories = ledger.get((c.dst, c.dst_port), {})
    return sum((categories[cat] for cat in serves if cat in categories), np.zeros(n))


def _take(ledger, c: Connection, serves: tuple[str, ...], amount_kW: np.ndarray) -> np.ndarray:
    """Serve the inlet of ``c`` from ``amount_kW``, category by category; return what it took."""
    categories = ledger.get((c.dst, c.dst_port), {})
    left = np.asarray(amount_kW, dtype=float)
    taken_total = np.zeros_like(left)
    for category in serves:
        if category in categories:
            taken = np.minimum(categories[category], left)
            categories[category] = categories[category] - taken
            left = left - taken
            taken_total = taken_total + taken
    return taken_total


def _dataset(district, weather: pd.DataFrame, outlets, link, node_vars) -> xr.Dataset:
    import xarray as xr

    from nexus import __version__

    roles = {
        **{s: "source" for s in district.sources},
        **{u: "unit" for u in district.units},
        **{k: "sink" for k in district.sinks},
    }
    by_kind = defaultdict(list)
    for c in district.connections:
        by_kind[c.kind].append(c)

    def link_coords(dim, conns):
        return {
            dim: [c.label for c in conns],
            f"{dim}_from": (dim, [c.src for c in conns]),
            f"{dim}_to": (dim, [c.dst for c in conns]),
            f"{dim}_from_role": (dim, [roles[c.src] for c in conns]),
            f"{dim}_to_role": (dim, [roles[c.dst] for c in conns]),
        }

    water = by_kind["water"]
    streams = [outlets[(c.src, c.src_port)] for c in water]
    n = len(weather)
    coords = {
        "time": weather.index.to_numpy(),
        "component": [c.name for c in COMPONENTS],
        **link_coords("stream", water),
        **link_coords("heat_link", by_kind["heat"]),
        **link_coords("power_link", by_kind["electricity"]),
        **link_coords("gas_link", by_kind["gas"]),
    }
    data = {
        "flow_m3_h": (
            ("time", "stream"),
            _stack([s.flow_m3_h for s in streams], n),
            "m3 h-1",
            "volumetric flow",
        ),
        "T_C": (
            ("time", "stream"),
            _stack([s.T_C for s in streams], n),
            "degC",
            "water temperature",
        ),
        "load_kg_h": (
            ("time", "stream", "component"),
            np.stack([s.loads_kg_h for s in streams], axis=1)
            if streams
            else np.zeros((n, 0, N_COMPONENTS)),
            "kg h-1",
            "component load",
        ),
        "heat_kW": (
            ("time", "heat_link"),
            _stack([link[c] for c in by_kind["heat"]], n),
            "kW",
            "heat delivered",
        ),
        "electricity_kW": (
            ("time", "power_link"),
            _stack([link[c] for c in by_kind["electricity"]], n),
            "kW",
            "electric power",
        ),
        "methane_Nm3_h": (
            ("time", "gas_link"),
            _stack([link[c] for c in by_kind["gas"]], n),
            "m3 h-1",
            "methane flow (normal m3, 0 degC, 1.01325 bar)",
        ),
        "T_out_C": (("time",), weather["T_out_C"].to_numpy(), "degC", "outdoor air temperature"),
        "T_mains_C": (
            ("time",),
            weather["T_mains_C"].to_numpy(),
            "degC",
            "cold drinking-water temperature",
        ),
    }
    variables = {
        name: xr.Variable(dims, values, {"units": units, "long_name": long_name})
        for name, (dims, values, units, long_name) in data.items()
    }
    for node, quantities in node_vars.items():
        for quantity, v in quantities.items():
            variables[f"{node}.{quantity}"] = xr.Variable(
                ("time",),
                np.asarray(v.values, dtype=float),
                {"units": v.units, "long_name": v.long_name},
            )
    ds = xr.Dataset(variables, coords=coords)
    ds["component"].attrs["long_name"] = "stream component"
    ds["time"].attrs["long_name"] = "start of the hourly step"
    ds.attrs.update(
        title=f"nexus simulation of {district.name}",
        Conventions="CF-1.10",
        nexus_version=__version__,
        district_name=district.name,
        district_file=district.file,
        district_sha256=district.sha256,
        currency=district.info.currency,
        solver_status="not applicable (simulation)",
        node_roles=" ".join(f"{k}:{v}" for k, v in roles.items()),
    )
    return ds


def _check_finite(ds: xr.Dataset, district: District) -> xr.Dataset:
    """Refuse to hand out NaN or infinity: name the first variable and hour that has one."""
    for name, var in ds.data_vars.items():
        bad = ~np.isfinite(var.to_numpy())
        if bad.any():
            where = np.argwhere(bad)[0]
            hour = str(ds["time"].to_numpy()[where[0]])[:16]
            raise NexusError(
                f"{district.file}: the simulation produced a non-finite value in {name!r} at "
                f"{hour} ({bad.sum()} values in all); please report this with the district file"
            )
    return ds


def _stack(arrays: list[np.ndarray], n: int) -> np.ndarray:
    return np.stack(arrays, axis=1) if arrays else np.zeros((n, 0))
