"""The district design and operation model in Pyomo.

:func:`build_model` turns a district and its sampled unit maps
(:mod:`nexus.optimize.maps`) into one linear (mixed-integer where a unit has
a fixed cost) program over a time grid.

Symbols (sets, variables and constraints of the model)
-------------------------------------------------------
Sets
    ``TIME`` time steps; ``<unit>.SAMPLE`` sizes sampled for a unit.
Design variables (one Block per unit, named after the unit)
    ``lam[k]`` [1] weight of sample k (sum 1; size = sum lam_k size_k);
    ``size_<name>`` a size the file lets the optimizer choose;
    ``built`` [binary] where the size has a fixed cost.
Operation variables (per ``TIME``)
    greywater heat pump: ``out[k, t]`` condenser output from sample k [kW],
    ``elec[t]`` [kW], ``charge[t]``, ``discharge[t]`` [kW], ``soc[t]`` [kWh];
    shower DWHR: ``heat[t]`` [kW];
    digester: methane and heat demand follow the samples (expressions);
    CHP: ``burn[t]`` [Nm3/h], ``flare[t]`` [Nm3/h], ``gas[t]`` [Nm3] in store,
    ``to_ev[t]``, ``export[t]`` [kW], ``to_digester[t]``, ``to_network[t]`` [kW];
    struvite reactor: ``P[t]`` [kg/h] harvested;
    district: ``backup[t]`` heat [kW], ``backup_process[t]`` [kW], ``grid_ev[t]`` [kW].
Constraints
    ``heat_network_balance[t]``: DWHR + heat pumps (store in/out) + CHP heat +
    backup = space heating + hot water; ``dwhr_dhw[t]``: DWHR heat <= hot water;
    ``ev_balance[t]``; ``<unit>.store_balance[t]`` (cyclic per period);
    ``<unit>.gas_balance[t]`` (cyclic per period); CHP and reactor capacities;
    ``<digester>.heat_balance[t]``: CHP heat to it + backup = its demand.
Objectives (Expressions, one active at a time)
    ``energy_kWh_yr`` net energy yield, ``P_kg_yr`` phosphorus harvested for
    farms, ``cost_yr`` annualized capital plus operation.

Prices, the eps-constraint bounds and the demand scale are mutable Params,
so a sweep changes them and re-solves without rebuilding.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

import numpy as np

from nexus.district import District
from nexus.errors import DistrictError
from nexus.optimize.maps import Maps

__all__ = ["build_model"]

#: Model Block of each unit type, in build order (a CHP needs its digesters' methane, a
#: struvite reactor its digester's samples); each has a builder method of the same name.
UNIT_BLOCKS = (
    ("dwhr", "shower_dwhr"),
    ("heat_pump", "greywater_heat_pump"),
    ("digester", "anaerobic_digester"),
    ("chp", "chp"),
    ("struvite", "struvite_reactor"),
)

#: Penalty on target slack [objective units per unit of slack]: large enough that a
#: target is missed only if it cannot be met (slack is then reported as infeasibility).
SLACK_PENALTY = 1e6


@contextmanager
def _gc_paused():
    """Pyomo builds many small objects; the cyclic collector only slows that down."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def annuity_factor(rate_frac: float, lifetime_yr: float) -> float:
    """Capital recovery factor [1/yr]: r / (1 - (1 + r)^-n), or 1/n at r = 0.

    Examples
    --------
    >>> round(annuity_factor(0.04, 20), 5)
    0.07358
    """
    if rate_frac == 0.0:
        return 1.0 / lifetime_yr
    return rate_frac / (1.0 - (1.0 + rate_frac) ** -lifetime_yr)


def build_model(district: District, maps: Maps | None = None):
    """The Pyomo model of a district's design and operation.

    Parameters
    ----------
    district : District
        A loaded district; its ``[optimize]`` table says which sizes are
        chosen, their costs and the prices.
    maps : Maps, optional
        Sampled unit maps (:func:`nexus.optimize.maps.sample_maps`, possibly
        aggregated to representative periods); sampled here if not given.

    Returns
    -------
    pyomo.environ.ConcreteModel
        With the three objective Expressions and no active objective (see
        :func:`nexus.optimize.solve`); researchers may add constraints.
    """
    from nexus.optimize.maps import sample_maps

    maps = sample_maps(district) if maps is None else maps
    with _gc_paused():
        return _Builder(district, maps).build()


class _Builder:
    """Builds the model: one method per unit type, each filling that unit's Block."""

    def __init__(self, district: District, maps: Maps) -> None:
        import pyomo.environ as pyo

        self.pyo = pyo
        self.district = district
        self.maps = maps
        self.s = maps.series
        self.capex: list = []
        self.heat_in: list = []  # indexed components adding heat to the network
        self.energy: list = []  # indexed components adding to the net energy yield
        self.kinds = {u: x.type.name for u, x in district.units.items()}

    def units(self, kind: str) -> list[str]:
        return [u for u, k in self.kinds.items() if k == kind]

    def prev(self, t: int) -> int:
        """The step before t, cyclic within its period."""
        P = self.maps.period_hours
        return t - 1 if t % P else t + P - 1

    # ------------------------------------------------------------------ sizes
    def design(self, b, unit: str, size: str):
        """A size variable of a block: fixed by the file, or chosen with its cost."""
        pyo = self.pyo
        key = (unit, size)
        if key in self.maps.fixed:
            value = self.maps.fixed[key]
            b.add_component(f"size_{size}", pyo.Var(initialize=value))
            var = getattr(b, f"size_{size}")
            var.fix(value)
            return var
        opt = self.district.optimize
        bound = opt.design[unit][size]
        var = pyo.Var(bounds=(0.0, bound.max), doc=f"{size} chosen")
        b.add_component(f"size_{size}", var)
        a = annuity_factor(opt.discount_rate_frac, bound.lifetime_yr)
        if bound.capex_fixed > 0 or bound.min > 0:
            built = pyo.Var(domain=pyo.Binary, doc=f"{size} built")
            b.add_component(f"built_{size}", built)
            b.add_component(f"{size}_max", pyo.Constraint(expr=var <= bound.max * built))
            b.add_component(f"{size}_min", pyo.Constraint(expr=var >= bound.min * built))
            self.capex.append(a * (bound.capex_fixed * built + bound.capex_per_unit * var))
        else:
            self.capex.append(a * bound.capex_per_unit * var)
        return var

    def sampled(self, b, unit: str, size: str, n_columns: int = 1):
        """Weights ``lam`` of a unit's sampled runs (None if there is only one run).

        Runs differ by size (when the size is chosen) and, for a digester that
        routes may feed, by feed (``n_columns`` runs in all).
        """
        pyo = self.pyo
        var = self.design(b, unit, size)
        samples = self.maps.sizes.get((unit, size))
        n = samples.size if samples is not None else n_columns
        if n == 1:
            return None
        b.SAMPLE = pyo.Set(initialize=range(n), ordered=True)
        b.lam = pyo.Var(b.SAMPLE, bounds=(0.0, 1.0), doc="weight of each sampled run")
        b.lam_sum = pyo.Constraint(expr=sum(b.lam[k] for k in b.SAMPLE) == 1.0)
        if samples is None:
            return b.lam
        b.size_from_samples = pyo.Constraint(
            expr=var == sum(float(samples[k]) * b.lam[k] for k in b.SAMPLE)
        )
        built = getattr(b, f"built_{size}", None)
        if built is not None:  # size-0 runs are "not built"; a built unit mixes the others
            empty = [k for k in b.SAMPLE if samples[k] == 0.0]
            b.not_built = pyo.Constraint(expr=sum(b.lam[k] for k in empty) == 1.0 - built)
        return b.lam

    def mix(self, lam, table: np.ndarray, t: int):
        """Value at step t of a sampled series: the samples' weighted sum (or the one sample)."""
        if lam is None:
            return float(table[0, t])
        return sum(float(table[k, t]) * lam[k] for k in lam.index_set())

    # ------------------------------------------------------------------ units
    def dwhr(self, b, u: str) -> None:
        """Shower DWHR: heat up to what its rating gives each hour."""
        heat = self.s[f"{u}.heat_kW"]
        b.heat = self.pyo.Var(self.m.TIME, bounds=lambda _b, t: (0.0, float(heat[t])))
        self.heat_in.append(b.heat)
        self.energy.append(b.heat)

    def heat_pump(self, b, u: str) -> None:
        """Greywater heat-pump station: sampled exchanger, heat pump, heat store."""
        pyo, TIME = self.pyo, self.m.TIME
        lam = self.sampled(b, u, "area_m2")
        cap = self.design(b, u, "capacity_kW")
        store_cap = self.design(b, u, "capacity_kWh")
        store = self.maps.params[u]["store"]
        out_k, cop_k = self.s[f"{u}.output_kW"], self.s[f"{u}.cop"]
        b.SOURCE = pyo.Set(initialize=range(out_k.shape[0]), ordered=True)
        K = b.SOURCE
        b.out = pyo.Var(K, TIME, domain=pyo.NonNegativeReals, doc="condenser output [kW]")
        b.out_potential = pyo.Constraint(
            K,
            TIME,
            rule=lambda _b, k, t: (
                _b.out[k, t] <= float(out_k[k, t]) * (1.0 if lam is None else lam[k])
            ),
        )
        b.capacity = pyo.Constraint(TIME, rule=lambda _b, t: sum(_b.out[k, t] for k in K) <= cap)
        b.elec = pyo.Expression(
            TIME, rule=lambda _b, t: sum(_b.out[k, t] / float(cop_k[k, t]) for k in K)
        )
        p_max, loss = float(store.max_power_kW), float(store.loss_frac_h)
        b.charge = pyo.Var(TIME, bounds=(0.0, p_max))
        b.discharge = pyo.Var(TIME, bounds=(0.0, p_max))
        b.soc = pyo.Var(TIME, domain=pyo.NonNegativeReals, doc="heat in store [kWh]")
        b.soc_max = pyo.Constraint(TIME, rule=lambda _b, t: _b.soc[t] <= store_cap)
        b.store_balance = pyo.Constraint(
            TIME,
            rule=lambda _b, t: (
                _b.soc[t] == (1.0 - loss) * _b.soc[self.prev(t)] + _b.charge[t] - _b.discharge[t]
            ),
        )
        b.charge_from_output = pyo.Constraint(
            TIME, rule=lambda _b, t: _b.charge[t] <= sum(_b.out[k, t] for k in K)
        )
        b.delivered = pyo.Expression(
            TIME,
            rule=lambda _b, t: sum(_b.out[k, t] for k in K) - _b.charge[t] + _b.discharge[t],
        )
        b.minus_elec = pyo.Expression(TIME, rule=lambda _b, t: -_b.elec[t])
        self.heat_in.append(b.delivered)
        self.energy += [b.delivered, b.minus_elec]

    def digester(self, b, u: str) -> None:
        """Digester: methane, heat demand and effluent follow the sampled ADM1 runs."""
        pyo, TIME = self.pyo, self.m.TIME
        volumes, members = self.maps.params[f"{u}.columns"]
        lam = self.sampled(b, u, "V_liq_m3", n_columns=volumes.size)
        meth, dem = self.s[f"{u}.methane_Nm3_h"], self.s[f"{u}.heat_demand_kW"]
        # a route sends its water here exactly when the runs that include it are chosen
        routed = [r for r in range(members.shape[0]) if members[r].any()]
        b.routed = pyo.Constraint(
            routed,
            rule=lambda _b, r: (
                sum(_b.lam[k] for k in _b.SAMPLE if members[r, k]) == self.m.route[r, f"{u}.in"]
            ),
        )
        b.methane = pyo.Expression(TIME, rule=lambda _b, t: self.mix(lam, meth, t))
        b.heat_demand = pyo.Expression(TIME, rule=lambda _b, t: self.mix(lam, dem, t))
        b.heat_received = pyo.Var(TIME, domain=pyo.NonNegativeReals)
        b.backup = pyo.Var(TIME, domain=pyo.NonNegativeReals, doc="backup process heat [kW]")
        b.heat_balance = pyo.Constraint(
            TIME, rule=lambda _b, t: _b.heat_received[t] + _b.backup[t] == _b.heat_demand[t]
        )

    def chp(self, b, u: str) -> None:
        """CHP: burns methane from a store; electricity to EVs or export, heat to digesters
        it is connected to and to the network."""
        from nexus.units.chp import LHV_CH4_kWh_Nm3

        pyo, TIME, m = self.pyo, self.m.TIME, self.m
        conns = self.district.connections
        feeders = [c.src for c in conns if c.dst == u and c.dst_port == "biogas"]
        served = [
            c.dst for c in conns if c.src == u and self.kinds.get(c.dst) == "anaerobic_digester"
        ]
        p = self.maps.params[u]["chp"]
        eta_e = float(p.electrical_efficiency_frac) * LHV_CH4_kWh_Nm3
        eta_h = float(p.thermal_efficiency_frac) * LHV_CH4_kWh_Nm3
        cap = self.design(b, u, "capacity_kWe")
        store_cap = self.design(b, u, "capacity_Nm3")
        b.burn = pyo.Var(TIME, domain=pyo.NonNegativeReals, doc="methane burnt [Nm3/h]")
        b.flare = pyo.Var(TIME, domain=pyo.NonNegativeReals, doc="methane flared [Nm3/h]")
        b.gas = pyo.Var(TIME, domain=pyo.NonNegativeReals, doc="methane stored [Nm3]")
        b.gas_max = pyo.Constraint(TIME, rule=lambda _b, t: _b.gas[t] <= store_cap)
        b.gas_balance = pyo.Constraint(
            TIME,
            rule=lambda _b, t: (
                _b.gas[t]
                == _b.gas[self.prev(t)]
                + sum(m.digester[d].methane[t] for d in feeders)
                - _b.burn[t]
                - _b.flare[t]
            ),
        )
        b.electricity = pyo.Expression(TIME, rule=lambda _b, t: eta_e * _b.burn[t])
        b.capacity = pyo.Constraint(TIME, rule=lambda _b, t: _b.electricity[t] <= cap)
        b.to_ev = pyo.Var(TIME, domain=pyo.NonNegativeReals)
        b.export = pyo.Var(TIME, domain=pyo.NonNegativeReals)
        b.power_split = pyo.Constraint(
            TIME, rule=lambda _b, t: _b.to_ev[t] + _b.export[t] == _b.electricity[t]
        )
        b.to_network = pyo.Var(TIME, domain=pyo.NonNegativeReals)
        b.heat_split = pyo.Constraint(
            TIME,
            rule=lambda _b, t: (
                _b.to_network[t] + sum(m.digester[d].heat_received[t] for d in served)
                <= eta_h * _b.burn[t]
            ),
        )
        self.heat_in.append(b.to_network)
        self.energy += [b.to_network, b.electricity]
        self.energy += [m.digester[d].heat_received for d in served]

    def struvite(self, b, u: str) -> None:
        """Struvite reactor: harvests what its digester's effluent offers, if the volume
        holds the hour's flow (a reactor the optimizer sizes is sized for the peak hour)."""
        pyo, TIME, T = self.pyo, self.m.TIME, range(self.maps.n_time)
        vol = self.design(b, u, "V_m3")
        d = self.m.digester[self.maps.params[f"{u}.feeder"]]
        lam = getattr(d, "lam", None)
        harvest, per_m3 = self.s[f"{u}.P_kg_h"], self.s[f"{u}.P_kg_h_per_m3"]
        H_max = harvest.max(axis=0)
        b.P = pyo.Var(TIME, domain=pyo.NonNegativeReals, doc="P harvested [kg/h]")
        b.available = pyo.Expression(TIME, rule=lambda _b, t: self.mix(lam, harvest, t))
        built = getattr(b, "built_V_m3", None)
        if (u, "V_m3") in self.maps.fixed:  # harvest all where the fixed volume holds the flow
            v = self.maps.fixed[(u, "V_m3")]
            b.harvest_max = pyo.Constraint(TIME, rule=lambda _b, t: _b.P[t] <= _b.available[t])
            b.volume = pyo.Constraint(TIME, rule=lambda _b, t: _b.P[t] <= float(per_m3[t]) * v)
            holds = [t for t in T if float(per_m3[t]) * v >= float(H_max[t])]
            b.harvest_all = pyo.Constraint(holds, rule=lambda _b, t: _b.P[t] >= _b.available[t])
        elif built is None:  # no fixed cost: always built, sized for the peak
            b.harvest_all = pyo.Constraint(TIME, rule=lambda _b, t: _b.P[t] == _b.available[t])
            b.volume = pyo.Constraint(
                TIME, rule=lambda _b, t: _b.available[t] <= float(per_m3[t]) * vol
            )
        else:  # built or not (binary), sized for the peak if built
            b.harvest_max = pyo.Constraint(TIME, rule=lambda _b, t: _b.P[t] <= _b.available[t])
            b.harvest_if_built = pyo.Constraint(
                TIME, rule=lambda _b, t: _b.P[t] <= float(H_max[t]) * built
            )
            b.harvest_all = pyo.Constraint(
                TIME, rule=lambda _b, t: _b.P[t] >= _b.available[t] - float(H_max[t]) * (1 - built)
            )
            b.volume = pyo.Constraint(
                TIME,
                rule=lambda _b, t: (
                    _b.available[t] - float(H_max[t]) * (1 - built) <= float(per_m3[t]) * vol
                ),
            )

    def routes(self, m) -> None:
        """Route choices: each routed outlet goes to exactly one of its candidates."""
        pyo = self.pyo
        routes = self.district.optimize.routes
        pairs = [(r, to) for r, route in enumerate(routes) for to in route.to]
        m.ROUTE = pyo.Set(initialize=pairs, dimen=2, ordered=True)
        m.route = pyo.Var(m.ROUTE, domain=pyo.Binary, doc="outlet r sent to this inlet")
        m.route_one = pyo.Constraint(
            range(len(routes)), rule=lambda _m, r: sum(_m.route[r, to] for to in routes[r].to) == 1
        )
        # transport per year: annual volume x distance x (cost or energy) per m3 km
        w = self.maps.weights
        cost, energy = 0.0, 0.0
        for r, route in enumerate(routes):
            m3_yr = float(w @ self.s[f"route{r}.flow_m3_h"])
            mode = getattr(self.district.optimize.transport, route.mode, None)
            for to, km in zip(route.to, route.distance_km, strict=True):
                if km > 0:
                    cost = cost + m3_yr * km * mode.cost_per_m3_km * m.route[r, to]
                    energy = energy + m3_yr * km * mode.kWh_per_m3_km * m.route[r, to]
        m.transport_cost_yr = pyo.Expression(expr=cost)
        m.transport_kWh_yr = pyo.Expression(expr=energy)

    # ------------------------------------------------------------------ model
    def build(self):
        pyo, maps, district = self.pyo, self.maps, self.district
        m = self.m = pyo.ConcreteModel(name=district.name)
        m.maps = maps  # kept for the results
        T = range(maps.n_time)
        m.TIME = pyo.Set(initialize=T, ordered=True)
        prices = district.optimize.prices

        def price(name: str) -> float:
            return 0.0 if prices is None else float(getattr(prices, name))

        m.price_import = pyo.Param(mutable=True, initialize=price("electricity_import_per_kWh"))
        m.price_export = pyo.Param(mutable=True, initialize=price("electricity_export_per_kWh"))
        m.price_heat = pyo.Param(mutable=True, initialize=price("heat_backup_per_kWh"))
        m.demand_scale = pyo.Param(mutable=True, initialize=1.0, doc="multiplies every demand")
        for target in ("energy", "P", "cost"):
            m.add_component(f"min_{target}", pyo.Param(mutable=True, initialize=-1e30))
            m.add_component(f"max_{target}", pyo.Param(mutable=True, initialize=1e30))
        self.routes(m)
        for block, kind in UNIT_BLOCKS:
            names = self.units(kind)
            m.add_component(block, pyo.Block(names))
            build = getattr(self, block)  # the builder method of that unit type
            for u in names:
                build(getattr(m, block)[u], u)
        s = self.s
        sh, dhw, ev = s["space_heating_kW"], s["dhw_kW"], s["ev_kW"]
        m.backup = pyo.Var(m.TIME, domain=pyo.NonNegativeReals, doc="backup heat [kW]")
        m.grid_ev = pyo.Var(m.TIME, domain=pyo.NonNegativeReals, doc="grid to EVs [kW]")
        m.heat_network_balance = pyo.Constraint(
            m.TIME,
            rule=lambda _m, t: (
                sum(x[t] for x in self.heat_in) + _m.backup[t]
                == _m.demand_scale * float(sh[t] + dhw[t])
            ),
        )
        m.dwhr_dhw = pyo.Constraint(
            m.TIME,
            rule=lambda _m, t: (
                sum(_m.dwhr[u].heat[t] for u in _m.dwhr) <= _m.demand_scale * float(dhw[t])
            ),
        )
        m.ev_balance = pyo.Constraint(
            m.TIME,
            rule=lambda _m, t: (
                sum(_m.chp[u].to_ev[t] for u in _m.chp) + _m.grid_ev[t]
                == _m.demand_scale * float(ev[t])
            ),
        )
        self.objectives(m, T)
        return m

    def objectives(self, m, T) -> None:
        """Objective Expressions and their eps-constraint targets with elastic slack."""
        pyo = self.pyo
        w = [float(x) for x in self.maps.weights]
        chem = {u: self.s[f"{u}.cost_per_kg_P"] for u in m.struvite}
        m.energy_kWh_yr = pyo.Expression(expr=sum(w[t] * sum(x[t] for x in self.energy) for t in T))
        m.P_kg_yr = pyo.Expression(
            expr=sum(w[t] * sum(m.struvite[u].P[t] for u in m.struvite) for t in T)
        )
        m.opex_yr = pyo.Expression(
            expr=sum(
                w[t]
                * (
                    m.price_import
                    * (m.grid_ev[t] + sum(m.heat_pump[u].elec[t] for u in m.heat_pump))
                    - m.price_export * sum(m.chp[u].export[t] for u in m.chp)
                    + m.price_heat
                    * (m.backup[t] + sum(m.digester[u].backup[t] for u in m.digester))
                    + sum(float(chem[u][t]) * m.struvite[u].P[t] for u in m.struvite)
                )
                for t in T
            )
            + m.transport_cost_yr
        )
        m.capex_yr = pyo.Expression(expr=sum(self.capex))
        m.cost_yr = pyo.Expression(expr=m.capex_yr + m.opex_yr)
        m.slack = pyo.Var(["energy", "P", "cost"], ["min", "max"], domain=pyo.NonNegativeReals)
        for name, expr in (("energy", m.energy_kWh_yr), ("P", m.P_kg_yr), ("cost", m.cost_yr)):
            low, high = getattr(m, f"min_{name}"), getattr(m, f"max_{name}")
            m.add_component(
                f"{name}_min_target", pyo.Constraint(expr=expr + m.slack[name, "min"] >= low)
            )
            m.add_component(
                f"{name}_max_target", pyo.Constraint(expr=expr - m.slack[name, "max"] <= high)
            )
        m.slack_total = pyo.Expression(expr=sum(m.slack[i] for i in m.slack))
        # For re-solving without recompiling (nexus.optimize.highs.ArrayHighs): the rows
        # whose bounds hold mutable Params (demand scale, targets), the rows whose
        # coefficients do (cost holds the prices), and every constraint the model was built
        # with (a constraint added later is checked for mutable Params itself).
        m.nexus_bound_rows = [m.heat_network_balance, m.dwhr_dhw, m.ev_balance] + [
            getattr(m, f"{n}_{side}_target") for n in ("energy", "P") for side in ("min", "max")
        ]
        m.nexus_coefficient_rows = [m.cost_min_target, m.cost_max_target]
        m.nexus_own_constraints = {id(c) for c in m.component_objects(pyo.Constraint)}


def check_prices(district: District, objective: str) -> None:
    """A cost objective needs prices; raise naming the key before any model is built."""
    if objective == "cost" and district.optimize.prices is None:
        raise DistrictError(
            "the cost objective needs [optimize.prices] (electricity_import_per_kWh, "
            "heat_backup_per_kWh, source)",
            file=district.file,
            key="optimize.prices",
        )
