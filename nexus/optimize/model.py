"""The district design and operation model in Pyomo.

:func:`build_model` turns a district and its sampled unit maps
(:mod:`nexus.optimize.maps`) into one linear (mixed-integer where a unit has
a fixed cost) program over a time grid. Each balance is written once, as
arrays over the whole horizon (:mod:`nexus.optimize.linear`, the way PyPSA
writes its store constraints with linopy); the Pyomo constraints are made
from those arrays, and HiGHS receives the same arrays
(:mod:`nexus.optimize.highs`).

Symbols (sets, variables and constraints of the model)
-------------------------------------------------------
Sets
    ``TIME`` time steps; ``<unit>.SAMPLE`` sampled runs of a unit;
    ``<heat pump>.SOURCE`` exchanger samples; ``ROUTE`` (outlet, inlet) choices.
Design variables (one Block per unit type, indexed by the units of that type)
    ``lam[k]`` [1] weight of sampled run k (sum 1; size = sum lam_k size_k);
    ``size_<name>`` a size (fixed where the file fixes it);
    ``built_<name>`` [binary] where the size has a fixed cost or a minimum;
    ``route[r, inlet]`` [binary] where a routed outlet is sent.
Operation variables (per ``TIME``)
    greywater heat pump: ``out[k, t]`` condenser output from sample k [kW],
    ``charge[t]``, ``discharge[t]`` [kW], ``soc[t]`` [kWh];
    shower DWHR: ``heat[t]`` [kW];
    digester: ``heat_received[t]``, ``backup[t]`` [kW] (methane and heat
    demand follow the sampled runs);
    CHP: ``burn[t]``, ``flare[t]`` [Nm3/h], ``gas[t]`` [Nm3] in store,
    ``to_ev[t]``, ``export[t]``, ``to_network[t]`` [kW];
    struvite reactor: ``P[t]`` [kg/h] harvested;
    district: ``backup[t]`` heat, ``grid_ev[t]`` [kW];
    ``slack_<target>[side]`` shortfall of a target, in its unit.
Constraints
    ``heat_network_balance[t]``: DWHR + heat pumps (store in/out) + CHP heat +
    backup = space heating + hot water; ``dwhr_dhw[t]``: DWHR heat <= hot water;
    ``ev_balance[t]``; ``<unit>.store_balance[t]`` (cyclic per period);
    ``<unit>.gas_balance[t]`` (cyclic per period); ``capacity[t]`` of heat
    pumps and CHPs; ``<digester>.heat_balance[t]``: CHP heat + backup = its
    demand; ``<reactor>.volume[t]``, ``harvest_*[t]``; ``route_one[r]``,
    ``<digester>.routed[r]``; ``<target>_min_target``, ``<target>_max_target``.
Objectives (Expressions, one active at a time)
    ``energy_kWh_yr`` net energy yield [kWh/yr], ``P_kg_yr`` phosphorus
    harvested for farms [kg/yr] (``N_kg_yr``, the nitrogen the struvite
    carries, follows it: one N per P), ``cost_yr`` annualized capital plus
    operation [currency/yr] (``capex_yr`` + ``opex_yr``).

Prices (energy, backup heat, transport per m3 km), the eps-constraint bounds
and the demand scale are mutable Params, so a sweep changes them and
re-solves without rebuilding. Every variable
and Param has a ``doc`` with its unit; built with ``units=True`` they (and
every coefficient) carry Pyomo units, and the suite checks the model with
``assert_units_consistent``.
"""

from __future__ import annotations

import numpy as np

from nexus.district import District
from nexus.errors import DistrictError
from nexus.optimize.linear import Affine, gc_paused, stack
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


def build_model(district: District, maps: Maps | None = None, *, units: bool = False):
    """The Pyomo model of a district's design and operation.

    Parameters
    ----------
    district : District
        A loaded district; its ``[optimize]`` table says which sizes are
        chosen, their costs and the prices.
    maps : Maps, optional
        Sampled unit maps (:func:`nexus.optimize.maps.sample_maps`, possibly
        aggregated to representative periods); if not given, sampled here and
        aggregated to the file's ``typical_days``
        (:func:`nexus.optimize.maps.prepare_maps`), as :func:`nexus.optimize.solve` does.
    units : bool
        Give every variable, Param and coefficient its Pyomo unit, so that
        ``pyomo.util.check_units.assert_units_consistent`` checks the model
        (the first use of Pyomo units loads pint's registry, about 2.3 s, so
        it is off by default; the units are declared either way and printed
        in each variable's ``doc``).

    Returns
    -------
    pyomo.environ.ConcreteModel
        With the objective Expressions and no active objective; researchers
        may add constraints, then solve it with
        ``nexus.optimize.solve(district, model=model)`` or
        ``Optimizer(district, model=model)``.
    """
    from nexus.optimize.maps import prepare_maps

    maps = prepare_maps(district) if maps is None else maps
    with gc_paused():
        model = _Builder(district, maps, units).build()
    model.nexus_district_sha256 = district.sha256
    return model


#: Unit of each size a design may choose.
SIZE_UNITS = {"V_liq_m3": "m**3", "V_m3": "m**3", "area_m2": "m**2", "capacity_kW": "kW",
              "capacity_kWh": "kWh", "capacity_kWe": "kW", "capacity_Nm3": "m**3"}  # fmt: skip


class _Builder:
    """Builds the model: one method per unit type, each filling that unit's Block.

    Every balance is written once, as arrays over the whole horizon
    (:class:`nexus.optimize.linear.Affine`); :class:`~nexus.optimize.linear.Columns`
    turns them into Pyomo constraints and keeps the arrays for HiGHS.
    """

    def __init__(self, district: District, maps: Maps, units: bool) -> None:
        import pyomo.environ as pyo

        from nexus.optimize.linear import Columns

        self.pyo = pyo
        self.district = district
        self.maps = maps
        self.s = maps.series
        self.X = Columns(units)
        self.cur = _currency_unit(district.info.currency, units)
        self.capex: list[Affine] = []
        self.heat_in: list[Affine] = []  # heat added to the network [kW], per step
        self.energy: list[Affine] = []  # terms of the net energy yield [kW], per step
        self.a: dict[tuple[str, str], Affine] = {}  # unit quantities other units use
        self.series: dict[str, tuple[Affine, str, str]] = {}  # operation reported per step
        self.kinds = {u: x.type.name for u, x in district.units.items()}
        n, P = maps.n_time, maps.period_hours
        t = np.arange(n)
        self.prev = np.where(t % P > 0, t - 1, t + P - 1)  # the step before, cyclic per period

    def units(self, kind: str) -> list[str]:
        return [u for u, k in self.kinds.items() if k == kind]

    def var(self, b, name, sets=(), **kw) -> Affine:
        return self.X.var(b, name, sets, **kw)

    def con(self, b, name, sets, expr: Affine, sense: str, doc: str) -> None:
        self.X.constrain(b, name, sets, expr, sense, doc)

    def report(self, name: str, expr: Affine, units: str, long_name: str) -> None:
        """Keep a per-step quantity for the results (CF ``units``, ``long_name``)."""
        self.series[name] = (expr, units, long_name)

    # ------------------------------------------------------------------ sizes
    def design(self, b, unit: str, size: str) -> Affine:
        """A size variable of a block: fixed by the file, or chosen with its cost."""
        pyo, cur = self.pyo, self.cur
        u = SIZE_UNITS.get(size, "")
        key = (unit, size)
        if key in self.maps.fixed:
            var = self.var(b, f"size_{size}", unit=u, doc=f"{size}, fixed by the file")
            getattr(b, f"size_{size}").fix(self.maps.fixed[key])
            return var
        opt = self.district.optimize
        bound = opt.design[unit][size]
        var = self.var(b, f"size_{size}", unit=u, doc=f"{size} chosen", lb=0.0, ub=bound.max)
        a = annuity_factor(opt.discount_rate_frac, bound.lifetime_yr)
        per_size = (a * bound.capex_per_unit * var).scaled(unit=f"{cur}/yr/({u})")
        if bound.capex_fixed > 0 or bound.min > 0:
            built = self.var(b, f"built_{size}", unit="", doc=f"{size} built", domain=pyo.Binary)
            self.a[(unit, f"built_{size}")] = built
            self.con(b, f"{size}_max", (), var - bound.max * built.scaled(unit=u), "<=",
                     "size at most its maximum, if built")  # fmt: skip
            self.con(b, f"{size}_min", (), var - bound.min * built.scaled(unit=u), ">=",
                     "size at least its minimum, if built")  # fmt: skip
            self.capex.append((a * bound.capex_fixed * built).scaled(unit=f"{cur}/yr") + per_size)
        else:
            self.capex.append(per_size)
        return var

    def sampled(self, b, unit: str, size: str, n_columns: int = 1) -> Affine | None:
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
        b.SAMPLE = pyo.Set(initialize=range(n), ordered=True, doc="sampled runs")
        lam = self.var(b, "lam", (b.SAMPLE,), unit="", doc="weight of each sampled run",
                       lb=0.0, ub=1.0)  # fmt: skip
        self.con(b, "lam_sum", (), lam.sum() - 1.0, "==", "weights sum to 1")
        if samples is None:
            return lam
        u = SIZE_UNITS.get(size, "")
        self.con(b, "size_from_samples", (), var - (lam * samples).scaled(unit=u).sum(), "==",
                 "size = weighted sampled sizes")  # fmt: skip
        built = self.a.get((unit, f"built_{size}"))
        if built is not None:  # size-0 runs are "not built"; a built unit mixes the others
            empty = np.flatnonzero(samples == 0.0)
            self.con(b, "not_built", (), lam[empty].sum() + built - 1.0, "==",
                     "the size-0 runs carry the weight of not building")  # fmt: skip
        return lam

    def mix(self, lam: Affine | None, table: np.ndarray, unit: str) -> Affine:
        """A sampled series over the steps: the samples' weighted sum (or the one sample)."""
        if lam is None:
            return Affine.constant(table[0], unit)
        return (lam.reshape((lam.size, 1)) * table).scaled(unit=unit).sum(axis=0)

    # ------------------------------------------------------------------ units
    def dwhr(self, b, u: str) -> None:
        """Shower DWHR: heat up to what its rating gives each hour."""
        heat = self.var(b, "heat", (self.m.TIME,), unit="kW", doc="heat recovered",
                        lb=0.0, ub=self.s[f"{u}.heat_kW"])  # fmt: skip
        self.a[(u, "heat")] = heat
        self.report(f"{u}.heat_kW", heat, "kW", f"{u}: heat recovered")
        self.heat_in.append(heat)
        self.energy.append(heat)

    def heat_pump(self, b, u: str) -> None:
        """Greywater heat-pump station: sampled exchanger, heat pump, heat store."""
        pyo, TIME = self.pyo, self.m.TIME
        lam = self.sampled(b, u, "area_m2")
        cap = self.design(b, u, "capacity_kW")
        store_cap = self.design(b, u, "capacity_kWh")
        store = self.maps.params[u]["store"]
        out_k, cop_k = self.s[f"{u}.output_kW"], self.s[f"{u}.cop"]
        K = out_k.shape[0]
        b.SOURCE = pyo.Set(initialize=range(K), ordered=True, doc="exchanger samples")
        nonneg = pyo.NonNegativeReals
        out = self.var(b, "out", (b.SOURCE, TIME), unit="kW", doc="condenser output",
                       domain=nonneg)  # fmt: skip
        potential = (
            Affine.constant(out_k, "kW")
            if lam is None
            else (lam.reshape((K, 1)) * out_k).scaled(unit="kW")
        )
        self.con(b, "out_potential", (b.SOURCE, TIME), out - potential, "<=",
                 "output at most what the sampled exchanger gives")  # fmt: skip
        total = out.sum(axis=0)
        self.con(b, "capacity", (TIME,), total - cap, "<=", "output at most the capacity")
        elec = (out * (1.0 / cop_k)).sum(axis=0)
        p_max, loss = float(store.max_power_kW), float(store.loss_frac_h)
        charge = self.var(b, "charge", (TIME,), unit="kW", doc="store charging", lb=0.0,
                          ub=p_max)  # fmt: skip
        discharge = self.var(b, "discharge", (TIME,), unit="kW", doc="store discharging",
                             lb=0.0, ub=p_max)  # fmt: skip
        soc = self.var(b, "soc", (TIME,), unit="kWh", doc="heat in store", domain=nonneg)
        self.con(b, "soc_max", (TIME,), soc - store_cap, "<=", "store at most its capacity")
        self.con(b, "store_balance", (TIME,),
                 soc - (1.0 - loss) * soc.take(self.prev) - (charge - discharge).scaled(unit="h"),
                 "==", "heat in store: kept from the step before, plus charge, less discharge")  # fmt: skip
        self.con(b, "charge_from_output", (TIME,), charge - total, "<=",
                 "the store charges from the heat pump")  # fmt: skip
        delivered = total - charge + discharge
        self.a[(u, "elec")] = elec
        self.report(f"{u}.heat_kW", delivered, "kW", f"{u}: heat delivered (store in and out)")
        self.report(f"{u}.electricity_kW", elec, "kW", f"{u}: electricity drawn")
        self.report(f"{u}.store_kWh", soc, "kWh", f"{u}: heat in store")
        self.heat_in.append(delivered)
        self.energy += [delivered, -elec]

    def digester(self, b, u: str) -> None:
        """Digester: methane, heat demand and effluent follow the sampled ADM1 runs."""
        pyo, TIME = self.pyo, self.m.TIME
        volumes, members = self.maps.params[f"{u}.columns"]
        lam = self.sampled(b, u, "V_liq_m3", n_columns=volumes.size)
        self.a[(u, "lam")] = lam
        # a route sends its water here exactly when the runs that include it are chosen
        routed = [r for r in range(members.shape[0]) if members[r].any()]
        if routed:
            rows = [lam[np.flatnonzero(members[r])].sum() - self.route[(r, f"{u}.in")]
                    for r in routed]  # fmt: skip
            self.con(b, "routed", (routed,), stack(rows), "==",
                     "a route chosen <=> the runs fed by it")  # fmt: skip
        self.a[(u, "methane")] = self.mix(lam, self.s[f"{u}.methane_Nm3_h"], "m**3/h")
        demand = self.mix(lam, self.s[f"{u}.heat_demand_kW"], "kW")
        nonneg = pyo.NonNegativeReals
        received = self.var(b, "heat_received", (TIME,), unit="kW", doc="heat from CHPs",
                            domain=nonneg)  # fmt: skip
        backup = self.var(b, "backup", (TIME,), unit="kW", doc="backup process heat",
                          domain=nonneg)  # fmt: skip
        self.con(b, "heat_balance", (TIME,), received + backup - demand, "==",
                 "process heat: CHP heat plus backup meets the demand")  # fmt: skip
        self.a[(u, "heat_received")] = received
        self.report(f"{u}.methane_Nm3_h", self.a[(u, "methane")], "m3 h-1",
                    f"{u}: methane made (normal m3)")  # fmt: skip
        self.report(f"{u}.backup_heat_kW", backup, "kW", f"{u}: process heat from backup")
        self.a[(u, "backup")] = backup

    def chp(self, b, u: str) -> None:
        """CHP: burns methane from a store; electricity to EVs or export, heat to digesters
        it is connected to and to the network."""
        from nexus.units.chp import LHV_CH4_kWh_Nm3

        pyo, TIME = self.pyo, self.m.TIME
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
        nonneg = pyo.NonNegativeReals

        def v(name, unit, doc):
            return self.var(b, name, (TIME,), unit=unit, doc=doc, domain=nonneg)

        burn = v("burn", "m**3/h", "methane burnt (Nm3)")
        flare = v("flare", "m**3/h", "methane flared (Nm3)")
        gas = v("gas", "m**3", "methane in store (Nm3)")
        self.con(b, "gas_max", (TIME,), gas - store_cap, "<=", "store at most its capacity")
        made = sum(
            (self.a[(d, "methane")] for d in feeders), Affine.constant(np.zeros(self.maps.n_time))
        )
        self.con(b, "gas_balance", (TIME,),
                 gas - gas.take(self.prev) - (made - burn - flare).scaled(unit="h"), "==",
                 "methane in store: kept, plus made, less burnt and flared")  # fmt: skip
        electricity = (eta_e * burn).scaled(unit="kWh/m**3")
        self.con(b, "capacity", (TIME,), electricity - cap, "<=", "power at most the capacity")
        to_ev = v("to_ev", "kW", "electricity to the EV chargers")
        export = v("export", "kW", "electricity exported")
        self.con(b, "power_split", (TIME,), to_ev + export - electricity, "==",
                 "electricity goes to EVs or export")  # fmt: skip
        to_network = v("to_network", "kW", "heat to the heat network")
        to_digesters = [self.a[(d, "heat_received")] for d in served]
        heat = (eta_h * burn).scaled(unit="kWh/m**3")
        self.con(b, "heat_split", (TIME,), sum(to_digesters, to_network) - heat, "<=",
                 "heat to the network and digesters at most the heat made")  # fmt: skip
        self.a[(u, "to_ev")], self.a[(u, "export")] = to_ev, export
        self.report(f"{u}.electricity_kW", electricity, "kW", f"{u}: electricity generated")
        self.report(f"{u}.heat_kW", to_network, "kW", f"{u}: heat to the network")
        self.report(f"{u}.gas_Nm3", gas, "m3", f"{u}: methane in store (normal m3)")
        self.heat_in.append(to_network)
        self.energy += [to_network, electricity, *to_digesters]

    def struvite(self, b, u: str) -> None:
        """Struvite reactor: harvests what its digester's effluent offers, if the volume
        holds the hour's flow (a reactor the optimizer sizes is sized for the peak hour)."""
        pyo, TIME = self.pyo, self.m.TIME
        vol = self.design(b, u, "V_m3")
        lam = self.a[(self.maps.params[f"{u}.feeder"], "lam")]
        harvest, per_m3 = self.s[f"{u}.P_kg_h"], self.s[f"{u}.P_kg_h_per_m3"]
        H_max = harvest.max(axis=0)
        P = self.var(b, "P", (TIME,), unit="kg/h", doc="P harvested",
                     domain=pyo.NonNegativeReals)  # fmt: skip
        available = self.mix(lam, harvest, "kg/h")
        built = self.a.get((u, "built_V_m3"))
        c = self.con
        if (u, "V_m3") in self.maps.fixed:  # a fixed volume harvests what it holds
            cap = per_m3 * self.maps.fixed[(u, "V_m3")]
            # the simulation harvests min(offered, what the volume holds); that is not
            # convex in the offer, so the harvest is bounded below by the offer less the
            # most any sampled run can exceed the volume by (exact where none exceeds it)
            short = np.maximum(H_max - cap, 0.0)
            c(b, "harvest_max", (TIME,), P - available, "<=", "harvest at most what is offered")
            c(b, "volume", (TIME,), P - Affine.constant(cap, "kg/h"), "<=",
              "harvest at most what the volume holds")  # fmt: skip
            c(b, "harvest_all", (TIME,), P - available + Affine.constant(short, "kg/h"), ">=",
              "all harvested, less what may not fit in the volume")  # fmt: skip
        elif built is None:  # no fixed cost: always built, sized for the peak
            c(b, "harvest_all", (TIME,), P - available, "==", "all harvested")
            c(b, "volume", (TIME,), available - (vol * per_m3).scaled(unit="kg/h/m**3"), "<=",
              "the volume holds the flow")  # fmt: skip
        else:  # built or not (binary), sized for the peak if built
            built = built.scaled(unit="kg/h")
            c(b, "harvest_max", (TIME,), P - available, "<=", "harvest at most what is offered")
            c(b, "harvest_if_built", (TIME,), P - built * H_max, "<=", "no harvest unless built")
            c(b, "harvest_all", (TIME,), P - available + Affine.constant(H_max, "kg/h")
              - built * H_max, ">=", "all harvested if built")  # fmt: skip
            c(b, "volume", (TIME,), available - Affine.constant(H_max, "kg/h") + built * H_max
              - (vol * per_m3).scaled(unit="kg/h/m**3"), "<=",
              "the volume holds the flow, if built")  # fmt: skip
        self.a[(u, "P")] = P
        self.report(f"{u}.P_kg_h", P, "kg h-1", f"{u}: phosphorus harvested as struvite")

    def routes(self, m) -> Affine:
        """Route choices: each routed outlet goes to exactly one of its candidates.

        Returns the transport cost per year; the transport energy per year is
        kept in ``self.transport_kWh``.
        """
        pyo = self.pyo
        routes = self.district.optimize.routes
        pairs = [(r, to) for r, route in enumerate(routes) for to in route.to]
        m.ROUTE = pyo.Set(initialize=pairs, dimen=2, ordered=True, doc="route choices")
        route = self.var(m, "route", (m.ROUTE,), unit="", doc="outlet r sent to this inlet",
                         domain=pyo.Binary)  # fmt: skip
        self.route = {pair: route[i] for i, pair in enumerate(pairs)}
        # transport per year: annual volume x distance x (cost or energy) per m3 km; the
        # cost per m3 km of each mode is a mutable Param (a sweep over it is a sweep over
        # distance too)
        w = self.maps.weights
        cost = Affine.constant(0.0, f"{self.cur}/yr")
        energy = Affine.constant(0.0, "kWh/yr")
        for r, rt in enumerate(routes):
            m3_yr = float(w @ self.s[f"route{r}.flow_m3_h"])
            mode = getattr(self.district.optimize.transport, rt.mode, None)
            price = getattr(m, f"price_{rt.mode}")
            for to, km in zip(rt.to, rt.distance_km, strict=True):
                if km > 0:
                    x = self.route[(r, to)]
                    cost = cost + (m3_yr * km * x).scaled(param=price, unit="m**3*km/yr")
                    energy = energy + (m3_yr * km * mode.kWh_per_m3_km * x).scaled(unit="kWh/yr")
        if routes:
            rows = [sum((self.route[(r, to)] for to in rt.to[1:]), self.route[(r, rt.to[0])]) - 1.0
                    for r, rt in enumerate(routes)]  # fmt: skip
            self.con(m, "route_one", (list(range(len(routes))),), stack(rows), "==",
                     "each routed outlet goes to one place")  # fmt: skip
        self.transport_kWh = energy
        return cost

    # ------------------------------------------------------------------ model
    def build(self):
        pyo, maps, district = self.pyo, self.maps, self.district
        X, cur = self.X, self.cur
        m = self.m = pyo.ConcreteModel(name=district.name)
        m.maps = maps  # kept for the results
        m.TIME = pyo.Set(initialize=range(maps.n_time), ordered=True, doc="time steps")
        prices = district.optimize.prices

        def param(name, value, unit, doc):
            m.add_component(
                name,
                pyo.Param(mutable=True, initialize=value, units=X.unit(unit),
                          doc=f"{doc} [{unit or '1'}]"),
            )  # fmt: skip
            return getattr(m, name)

        def price(name: str) -> float:
            return 0.0 if prices is None else float(getattr(prices, name))

        param("price_import", price("electricity_import_per_kWh"), f"{cur}/kWh",
                         "price of electricity bought")  # fmt: skip
        param("price_export", price("electricity_export_per_kWh"), f"{cur}/kWh",
                         "price of electricity sold")  # fmt: skip
        param("price_heat", price("heat_backup_per_kWh"), f"{cur}/kWh",
                       "price of backup heat")  # fmt: skip
        scale = param("demand_scale", 1.0, "", "multiplies every demand")
        transport = district.optimize.transport
        for mode in ("truck", "pipe"):
            cited = getattr(transport, mode, None) if transport is not None else None
            param(f"price_{mode}", 0.0 if cited is None else cited.cost_per_m3_km,
                  f"{cur}/(m**3*km)", f"cost of moving water by {mode}")  # fmt: skip
        target_units = {"energy": "kWh/yr", "P": "kg/yr", "cost": f"{cur}/yr"}
        for target, unit in target_units.items():
            param(f"min_{target}", -1e30, unit, f"target: least {target}")
            param(f"max_{target}", 1e30, unit, f"target: most {target}")
        transport_cost = self.routes(m)
        for block, kind in UNIT_BLOCKS:
            names = self.units(kind)
            m.add_component(block, pyo.Block(names))
            build = getattr(self, block)  # the builder method of that unit type
            for u in names:
                build(getattr(m, block)[u], u)
        s, TIME, zero = self.s, m.TIME, Affine.constant(np.zeros(maps.n_time), "kW")
        nonneg = pyo.NonNegativeReals
        backup = self.var(m, "backup", (TIME,), unit="kW", doc="backup heat", domain=nonneg)
        grid_ev = self.var(m, "grid_ev", (TIME,), unit="kW", doc="grid to EVs", domain=nonneg)

        def demand(series):
            return Affine.constant(series, "kW", param=scale)

        self.con(m, "heat_network_balance", (TIME,),
                 sum(self.heat_in, backup) - demand(s["space_heating_kW"] + s["dhw_kW"]), "==",
                 "heat supplied = space heating + hot water")  # fmt: skip
        dwhr = [self.a[(u, "heat")] for u in self.units("shower_dwhr")]
        if dwhr:
            self.con(m, "dwhr_dhw", (TIME,), sum(dwhr, zero) - demand(s["dhw_kW"]), "<=",
                     "shower heat recovery serves hot water only")  # fmt: skip
        to_ev = [self.a[(u, "to_ev")] for u in self.units("chp")]
        self.con(m, "ev_balance", (TIME,), sum(to_ev, grid_ev) - demand(s["ev_kW"]), "==",
                 "EV charging = CHP electricity + grid")  # fmt: skip
        self.objectives(m, transport_cost, backup, grid_ev)
        self.report("backup_heat_kW", backup, "kW", "network heat from backup")
        self.report("grid_ev_kW", grid_ev, "kW", "EV charging from the grid")
        m.nexus_series = self.series
        m.nexus_columns = X.data
        m.nexus_rows = X.rows
        return m

    def objectives(self, m, transport_cost: Affine, backup: Affine, grid_ev: Affine) -> None:
        """Objective Expressions and their eps-constraint targets with elastic slack."""
        pyo, X, cur, a = self.pyo, self.X, self.cur, self.a
        w = self.maps.weights

        def yearly(per_step: list[Affine]) -> Affine:
            total = sum(per_step[1:], per_step[0]) if per_step else Affine.constant(0.0)
            return (total * w).scaled(unit="h/yr").sum() if total.shape else total

        def each(kind, name):
            return [a[(u, name)] for u in self.units(kind)]

        from nexus.units.struvite import M_g_mol

        energy = yearly(self.energy)
        P = yearly(each("struvite_reactor", "P"))
        # struvite (MgNH4PO4.6H2O) carries one N per P
        N = P * (M_g_mol["N"] / M_g_mol["P"])
        chemicals = [
            a[(u, "P")] * self.s[f"{u}.cost_per_kg_P"] for u in self.units("struvite_reactor")
        ]
        opex = (
            yearly([grid_ev, *each("greywater_heat_pump", "elec")]).scaled(param=m.price_import)
            - yearly(each("chp", "export")).scaled(param=m.price_export)
            + yearly([backup, *each("anaerobic_digester", "backup")]).scaled(param=m.price_heat)
            + (yearly(chemicals).scaled(unit=f"{cur}/kg") if chemicals else 0.0)
            + transport_cost
        )
        capex = sum(self.capex[1:], self.capex[0]) if self.capex else Affine.constant(0.0)
        slack = {}
        for target, unit in (("energy", "kWh/yr"), ("P", "kg/yr"), ("cost", f"{cur}/yr")):
            slack[target] = self.var(m, f"slack_{target}", (["min", "max"],), unit=unit,
                                     doc=f"shortfall of the {target} targets", domain=pyo.NonNegativeReals)  # fmt: skip
        kpi = {
            "energy_kWh_yr": energy,
            "P_kg_yr": P,
            "N_kg_yr": N,
            "capex_yr": capex,
            "opex_yr": opex,
            "transport_cost_yr": transport_cost,
            "transport_kWh_yr": self.transport_kWh,
        }
        kpi["cost_yr"] = capex + opex
        # slack counted in each target's own unit, as a plain number in the penalty
        kpi["slack_total"] = sum(
            (slack[t].scaled(unit=f"1/({u})").sum() for t, u in
             (("energy", "kWh/yr"), ("P", "kg/yr"), ("cost", f"{cur}/yr"))),
            Affine.constant(0.0),
        )  # fmt: skip
        for name, expr in kpi.items():
            m.add_component(name, pyo.Expression(expr=X.expression(expr)))
        for target, name in (("energy", "energy_kWh_yr"), ("P", "P_kg_yr"), ("cost", "cost_yr")):
            low = Affine.constant(1.0, param=getattr(m, f"min_{target}"))
            high = Affine.constant(1.0, param=getattr(m, f"max_{target}"))
            self.con(m, f"{target}_min_target", (), kpi[name] + slack[target][0] - low, ">=",
                     f"{target} at least its target (or short by the slack)")  # fmt: skip
            self.con(m, f"{target}_max_target", (), kpi[name] - slack[target][1] - high, "<=",
                     f"{target} at most its target (or over by the slack)")  # fmt: skip
        m.nexus_kpi = kpi


def _currency_unit(code: str, units: bool) -> str:
    """The currency as a Pyomo unit name (defined in Pyomo's registry when units are on)."""
    name = code if code.isidentifier() else "currency"
    if units:
        import pyomo.environ as pyo

        try:
            getattr(pyo.units, name)
        except AttributeError:
            pyo.units.load_definitions_from_strings([f"{name} = [currency]"])
    return name


def check_prices(district: District, objective: str) -> None:
    """A cost objective needs prices; raise naming the key before any model is built."""
    if objective == "cost" and district.optimize.prices is None:
        raise DistrictError(
            "the cost objective needs [optimize.prices] (electricity_import_per_kWh, "
            "heat_backup_per_kWh, source)",
            file=district.file,
            key="optimize.prices",
        )
