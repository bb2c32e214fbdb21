"""What a district's units cost and what its energy bill is, by node, and its CO2.

A simulation reports costs the way the optimizer counts them
(:mod:`nexus.optimize.model`), so that a simulated and an optimized design read
alike. By node and item, per year:

- ``capital``: the annuity of each unit's capital cost at its size, from the cited
  cost lines of ``[optimize.design.UNIT.SIZE]`` (``capex_fixed`` if built plus
  ``capex_per_unit`` x size, over ``lifetime_yr`` at ``[optimize]
  discount_rate_frac``); NaN for a unit whose sizes carry no cost line (not priced);
- ``chemicals``: what a unit pays per hour for what it doses (its outputs in
  ``currency h-1``, e.g. the struvite reactor's MgCl2 and NaOH);
- ``electricity_import`` and ``electricity_export`` (negative): the grid's links at
  ``[optimize.prices]``;
- ``heat_backup`` and ``ev_backup``: heat and EV charging no district unit
  supplied, bought at the price of its demand category
  (:data:`nexus.registry.CATEGORIES`); NaN without ``[optimize.prices]``;
- ``products_sold`` (negative): what units make and sell by the tonne
  (:data:`SOLD_PER_T`: the feed of a feed plant, at ``[optimize.prices] feed_per_t``);
- ``transport``: the water each ``[[optimize.routes]]`` outlet sends to the candidate
  it is connected to, trucked or piped that candidate's distance, at
  ``[optimize.transport]`` (booked on the outlet's node), as the optimizer counts it.

The *plant cost* is capital, chemicals, transport and products sold; the *energy
bill* is the rest. The optimizer's ``cost_per_yr`` is their sum.

CO2 (``[emissions]`` of the district file, each factor with its source): the
electricity bought and the backup heat emit; electricity sold and heat the
district's units deliver avoid what the grid and the backup would have emitted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from nexus.constants import HOURS_PER_YEAR
from nexus.registry import CATEGORIES

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from nexus._typing import FloatArray
    from nexus.district import District
    from nexus.schema import Prices

__all__ = [
    "BILL_ITEMS",
    "COST_ITEMS",
    "PLANT_ITEMS",
    "SOLD_PER_T",
    "annuity_factor",
    "capital_per_yr",
    "co2_by_node",
    "cost_table",
    "costs_by_node",
    "energy_by_node",
]

#: Cost items: name -> plain name. The optimizer counts the same.
COST_ITEMS = {
    "capital": "annualized capital",
    "chemicals": "chemicals",
    "electricity_import": "electricity bought",
    "electricity_export": "electricity sold (negative)",
    "heat_backup": "backup heat bought",
    "ev_backup": "EV charging bought from the grid",
    "transport": "transport along routes",
    "products_sold": "products sold (negative)",
}
#: Items of the plant's cost; the others are the district's energy bill.
PLANT_ITEMS = ("capital", "chemicals", "transport", "products_sold")
BILL_ITEMS = tuple(item for item in COST_ITEMS if item not in PLANT_ITEMS)


#: Outputs [kg h-1] that units sell by the tonne -> the key of ``[optimize.prices]``
#: [currency/t] they sell at (item ``products_sold``).
SOLD_PER_T = {"feed_out_kg_h": "feed_per_t"}


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


def capital_per_yr(district: District, unit: str) -> float:
    """Annualized capital cost of a unit at the size its file gives [currency/yr].

    Parameters
    ----------
    district : nexus.District
    unit : str
        A unit of the district.

    Returns
    -------
    float
        Sum over the unit's sizes that have a cost line in ``[optimize.design]``
        (``capex_fixed`` counts when the size is above 0); NaN when none has one, or
        the type has no sizes (the unit is not priced).
    """
    node = district.units[unit]
    sizes = node.type.sizes
    lines = district.optimize.design.get(unit, {})
    if not any(s.name in lines for s in sizes):
        return float("nan")
    total = 0.0
    for size in sizes:
        line = lines.get(size.name)
        if line is None:
            continue
        value = float(node.type.size_value(node.params, size.key))
        a = annuity_factor(district.optimize.discount_rate_frac, line.lifetime_yr)
        total += a * (line.capex_per_unit * value + (line.capex_fixed if value > 0 else 0.0))
    return total


def _annual(x: FloatArray, n_hours: int) -> float:
    """An hourly series [per h] summed and scaled to a year [per yr]."""
    return float(np.sum(x)) * HOURS_PER_YEAR / n_hours


def energy_by_node(ds: xr.Dataset) -> dict[str, dict[str, float]]:
    """kWh/yr by node: bought and sold at the grid, backup heat, backup EV charging,
    and heat the district's units delivered to sinks.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`nexus.simulate`.

    Returns
    -------
    dict
        ``{node: {item: kWh/yr}}``, items ``electricity_import``, ``electricity_export``
        (negative), ``heat_backup``, ``ev_backup`` and ``heat_delivered``, only those a
        node has.
    """
    n = ds.sizes["time"]
    nodes = [str(x) for x in ds["node"].values]
    out: dict[str, dict[str, float]] = {node: {} for node in nodes}
    types = dict(zip(nodes, ds["node_type"].values.astype(str), strict=True))
    power = ds["electricity_kW"]
    for node in nodes:
        if types[node] == "grid":
            frm = (ds["power_link_from"] == node).to_numpy()
            to = (ds["power_link_to"] == node).to_numpy()
            out[node]["electricity_import"] = _annual(power.to_numpy()[:, frm], n)
            out[node]["electricity_export"] = -_annual(power.to_numpy()[:, to], n)
    backup = ds["heat_backup_kW"]
    for k, node in enumerate(nodes):
        bought = _annual(backup.to_numpy()[:, k], n)
        if bought:
            out[node]["heat_backup"] = bought
    for category, spec in CATEGORIES.items():
        name = f"{category}_unmet_kW"
        if spec.unlimited or name not in ds:
            continue
        item = "ev_backup" if spec.kind == "electricity" else "heat_backup"
        for k, node in enumerate(nodes):
            series = ds[name].to_numpy()[:, k]
            if not np.isnan(series).all():
                out[node][item] = out[node].get(item, 0.0) + _annual(series, n)
    heat = ds["heat_kW"]
    from_unit = (ds["heat_link_from_role"] == "unit").to_numpy()
    for node in nodes:
        to = (ds["heat_link_to"] == node).to_numpy() & from_unit
        if to.any() and ds["node_role"].sel(node=node) == "sink":
            out[node]["heat_delivered"] = _annual(heat.to_numpy()[:, to], n)
    return out


def costs_by_node(district: District, ds: xr.Dataset) -> dict[str, dict[str, float]]:
    """Costs per year by node and item (:data:`COST_ITEMS`), as this module describes.

    Parameters
    ----------
    district : nexus.District
        The district simulated (its design cost lines and prices).
    ds : xarray.Dataset
        Its simulation (:func:`nexus.simulate`).

    Returns
    -------
    dict
        ``{node: {item: currency/yr}}``, only the items a node has; NaN where an
        item is not priced (no ``[optimize.prices]``, no cost line).
    """
    return _costs(district, ds, energy_by_node(ds))


def _costs(
    district: District, ds: xr.Dataset, energy: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """:func:`costs_by_node` from the energy by node (:func:`energy_by_node`)."""
    prices = district.optimize.prices
    n = ds.sizes["time"]
    paid = [  # what units pay per hour: chemicals
        v
        for v in ds.data_vars.values()
        if "node" in v.dims and v.attrs.get("units") == "currency h-1"
    ]
    price_of = {
        "electricity_import": "electricity_import_per_kWh",
        "electricity_export": "electricity_export_per_kWh",
        "heat_backup": "heat_backup_per_kWh",
        "ev_backup": "electricity_import_per_kWh",
    }
    trucked = _transport(district, ds)
    out: dict[str, dict[str, float]] = {}
    for node in (str(x) for x in ds["node"].values):
        items: dict[str, float] = {}
        if node in district.units:
            items["capital"] = capital_per_yr(district, node)
            chemicals = [v.sel(node=node).to_numpy() for v in paid]
            spent = [_annual(x, n) for x in chemicals if not np.isnan(x).all()]
            if spent:
                items["chemicals"] = sum(spent)
            sold = _sold(ds, node, prices)
            if sold is not None:
                items["products_sold"] = -sold
        if node in trucked:
            items["transport"] = trucked[node]
        for item, kWh in energy[node].items():
            if item in price_of:
                price = np.nan if prices is None else getattr(prices, price_of[item])
                items[item] = kWh * price
        if items:
            out[node] = items
    return out


def _transport(district: District, ds: xr.Dataset) -> dict[str, float]:
    """What moving each routed outlet's water to where it is connected costs a year
    [currency/yr], by the outlet's node: its volume a year times the distance to that
    candidate times the mode's cost per m3 km (``[optimize.transport]``), as
    :mod:`nexus.optimize.model` counts it; routes of distance 0 cost nothing."""
    out: dict[str, float] = {}
    n = ds.sizes["time"]
    for route in district.optimize.routes:
        c = district.connection_from(route.outlet)
        km = route.km_to(f"{c.dst}.{c.dst_port}")
        if km <= 0:
            continue
        mode = getattr(district.optimize.transport, route.mode)  # checked on loading
        m3_yr = _annual(ds["flow_m3_h"].sel(stream=c.label).to_numpy(), n)
        out[c.src] = out.get(c.src, 0.0) + m3_yr * km * mode.cost_per_m3_km
    return out


def _sold(ds: xr.Dataset, node: str, prices: Prices | None) -> float | None:
    """What a unit sells a year [currency/yr] (:data:`SOLD_PER_T`); None if it sells
    nothing, NaN without ``[optimize.prices]``."""
    made = [
        (ds[name].sel(node=node).to_numpy(), key) for name, key in SOLD_PER_T.items() if name in ds
    ]
    made = [(kg_h, key) for kg_h, key in made if not np.isnan(kg_h).all()]
    if not made:
        return None
    n = ds.sizes["time"]
    return sum(
        _annual(kg_h, n) * 1e-3 * (np.nan if prices is None else getattr(prices, key))
        for kg_h, key in made
    )


def co2_by_node(district: District, ds: xr.Dataset) -> dict[str, dict[str, float]]:
    """CO2 per year by node [kg/yr]: emitted (positive) and avoided (negative).

    Electricity bought and EV charging from the grid emit at the grid factor, backup
    heat at the heat factor; electricity sold avoids the grid's, heat the units
    deliver to sinks avoids the backup's (``[emissions]``). Empty without
    ``[emissions]``.
    """
    return _co2(district, energy_by_node(ds))


#: CO2 items: what the district buys (emits), what it sells or its units deliver (avoids).
CO2_ITEMS = (
    "electricity_import",
    "electricity_export",
    "ev_backup",
    "heat_backup",
    "heat_delivered",
)


def _co2(district: District, energy: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """:func:`co2_by_node` from the energy by node (:func:`energy_by_node`)."""
    factors = district.emissions
    if factors is None:
        return {}
    per_kWh = {
        "electricity_import": factors.electricity_kg_per_kWh,
        "electricity_export": factors.electricity_kg_per_kWh,
        "ev_backup": factors.electricity_kg_per_kWh,
        "heat_backup": factors.heat_kg_per_kWh,
        "heat_delivered": -factors.heat_kg_per_kWh,
    }
    out: dict[str, dict[str, float]] = {}
    for node, items in energy.items():
        emitted = {item: kWh * per_kWh[item] for item, kWh in items.items() if item in per_kWh}
        if emitted:
            out[node] = emitted
    return out


def cost_table(ds: xr.Dataset) -> pd.DataFrame:
    """The costs of a simulation as a table: nodes by items, with totals.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`nexus.simulate` (its ``cost_per_yr`` variable).

    Returns
    -------
    pandas.DataFrame
        Rows: every unit (all NaN: not priced at all) and the other nodes with a cost;
        columns: the items they have, then ``plant``
        (capital and chemicals), ``energy bill`` and ``total`` [currency/yr]. NaN
        marks an item not priced; totals add the priced items (NaN only if none is).
    """
    import pandas as pd

    table = pd.DataFrame(ds["cost_per_yr"].to_pandas())
    unit = ds["node_role"].to_numpy() == "unit"
    costs = table[unit | table.notna().any(axis=1).to_numpy()]  # every unit, priced or not
    costs = costs[[c for c in costs.columns if costs[c].notna().any()]]
    plant = [c for c in costs.columns if c in PLANT_ITEMS]
    bill = [c for c in costs.columns if c in BILL_ITEMS]
    costs["plant"] = costs[plant].sum(axis=1, min_count=1) if plant else 0.0
    costs["energy bill"] = costs[bill].sum(axis=1, min_count=1) if bill else 0.0
    costs["total"] = costs[["plant", "energy bill"]].sum(axis=1, min_count=1)
    return costs


def dataset_variables(district: District, ds: xr.Dataset) -> dict[str, Any]:
    """The cost and CO2 variables a simulation carries (``cost_per_yr``, ``co2_kg_per_yr``)."""
    from nexus._xarray import xr

    nodes = [str(x) for x in ds["node"].values]
    currency = district.info.currency

    def table(by_node: dict[str, dict[str, float]], items: tuple[str, ...]) -> np.ndarray:
        values = np.full((len(nodes), len(items)), np.nan)
        for i, node in enumerate(nodes):
            for j, item in enumerate(items):
                values[i, j] = by_node.get(node, {}).get(item, np.nan)
        return values

    energy = energy_by_node(ds)  # once, for the costs and the CO2
    out: dict[str, Any] = {
        "cost_per_yr": xr.DataArray(
            table(_costs(district, ds, energy), tuple(COST_ITEMS)),
            dims=("node", "cost_item"),
            coords={"cost_item": list(COST_ITEMS)},
            attrs={"units": f"{currency} yr-1", "long_name": "cost per year by node and item"},
        )
    }
    co2 = _co2(district, energy)
    if co2:
        out["co2_kg_per_yr"] = xr.DataArray(
            table(co2, CO2_ITEMS),
            dims=("node", "co2_item"),
            coords={"co2_item": list(CO2_ITEMS)},
            attrs={
                "units": "kg yr-1",
                "long_name": "CO2 emitted (positive) or avoided (negative) per year",
                "source": district.emissions.source if district.emissions else "",
            },
        )
    return out
