"""Annual key performance indicators of a simulated district.

``kpis(ds)`` works on the Dataset alone (also one read back from netCDF), so
a policy team can compare saved scenarios without re-running them. It reads
only what the node types declare (:mod:`nexus.registry`): the district totals
of outputs with a role (heat recovered, phosphorus recovered for farms ...),
the heat and electricity that cross the district's connections, and each
node's own key figures (:meth:`~nexus.registry.NodeType.kpis`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nexus.components import ELEMENTS, element_matrix
from nexus.constants import HOURS_PER_YEAR
from nexus.costs import BILL_ITEMS, COST_ITEMS
from nexus.food import NUTRIENTS, food_kpis
from nexus.registry import ANNUAL, ROLES, node_type

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from nexus._typing import BoolArray

__all__ = ["ENERGY_BOUGHT", "NodeView", "kpi_frame", "kpis", "recovered_for_farms_kg", "role_total"]


class NodeView:
    """One node of a simulated district, as its type's :meth:`kpis` sees it.

    Totals are over the year: a run of fewer hours is scaled to 8760.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`nexus.simulate`.
    name : str
        The node.
    """

    def __init__(self, ds: xr.Dataset, name: str) -> None:
        self.ds = ds
        self.name = name
        self.scale = HOURS_PER_YEAR / ds.sizes["time"]
        self.currency = str(ds.attrs.get("currency", "currency"))

    def label(self, plain: str, units: str) -> str:
        """``"<node>: <plain> [<units>]"``, the currency put in for ``{currency}``."""
        return f"{self.name}: {plain} [{units.format(currency=self.currency)}]"

    def has(self, output: str) -> bool:
        """Whether the node gave the output (an optional one may be left out: all NaN)."""
        return output in self.ds and not bool(self.ds[output].sel(node=self.name).isnull().all())

    def total(self, output: str) -> float:
        """An output summed over the year [its units x h]."""
        return float(self.ds[output].sel(node=self.name).sum()) * self.scale

    def annual(self, output: str) -> float:
        """An hourly flow as an annual key figure, in the units of :data:`ANNUAL`."""
        return self.total(output) * ANNUAL[self.ds[output].attrs["units"]][1]

    def _water_mask(self) -> BoolArray:
        return self.ds["stream_to"].to_numpy().astype(str) == self.name

    def has_water_in(self) -> bool:
        """Whether any water connection leads to the node."""
        return bool(self._water_mask().any())

    def water_in_m3(self) -> float:
        """Water received over the year [m3/yr]."""
        return float(self.ds["flow_m3_h"].to_numpy()[:, self._water_mask()].sum()) * self.scale

    def element_in_kg(self, element: str) -> float:
        """An element received in water over the year [kg/yr]."""
        loads = self.ds["load_kg_h"].to_numpy()[:, self._water_mask(), :]
        k = ELEMENTS.index(element)
        return float((loads @ element_matrix()[k]).sum()) * self.scale

    def _links(self, end: str, other: str, other_role: str | None) -> float:
        total = 0.0
        for dim, name in (("heat_link", "heat_kW"), ("power_link", "electricity_kW")):
            mask = self.ds[f"{dim}_{end}"] == self.name
            if other_role is not None:
                mask = mask & (self.ds[f"{dim}_{other}_role"] == other_role)
            total += float(self.ds[name].where(mask, 0.0).sum())
        return total * self.scale

    def link_in_kWh(self, from_role: str | None = None) -> float:
        """Heat and electricity received through connections over the year [kWh/yr]."""
        return self._links("to", "from", from_role)

    def link_out_kWh(self, to_role: str | None = None) -> float:
        """Heat and electricity given through connections over the year [kWh/yr]."""
        return self._links("from", "to", to_role)


def role_total(ds: xr.Dataset, role: str) -> float | None:
    """A role's district total over the year [its units x h], None if no output has it.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`nexus.simulate`.
    role : str
        A key of :data:`nexus.registry.ROLES`.
    """
    names = [n for n, v in ds.data_vars.items() if v.attrs.get("role") == role]
    if not names:
        return None
    scale = HOURS_PER_YEAR / ds.sizes["time"]
    return sum(float(ds[n].sum()) for n in names) * scale  # NaN (no such output) skipped


def recovered_for_farms_kg(ds: xr.Dataset) -> dict[str, float | None]:
    """Each nutrient recovered for farms over the year, by element [kg/yr].

    The district totals of the roles whose :attr:`~nexus.registry.Role.element` is N,
    P or K (``N_recovered``, ``P_recovered``, ``K_recovered``); None for an element no
    output of the district recovers (then :mod:`nexus.food` counts it as bought).
    """
    out: dict[str, float | None] = dict.fromkeys(NUTRIENTS)
    for role, spec in ROLES.items():
        if spec.element in NUTRIENTS:
            total = role_total(ds, role)
            if total is not None:
                out[spec.element] = (out[spec.element] or 0.0) + total
    return out


def _released_by_sources_kg(ds: xr.Dataset) -> dict[str, float]:
    """Each element the sources release in water over the year [kg/yr]."""
    from_source = ds["stream_from_role"].to_numpy().astype(str) == "source"
    loads = ds["load_kg_h"].to_numpy()[:, from_source, :].sum(axis=(0, 1))
    scale = HOURS_PER_YEAR / ds.sizes["time"]
    return {e: float(element_matrix()[k] @ loads) * scale for k, e in enumerate(ELEMENTS)}


#: Energy the district buys or sells: item of :func:`nexus.costs.costs_by_node` -> plain name
#: (the energy bill's items, named as :data:`nexus.costs.COST_ITEMS` names them).
ENERGY_BOUGHT = {item: COST_ITEMS[item].removesuffix(" (negative)") for item in BILL_ITEMS}


def _energy_kpis(ds: xr.Dataset) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """The energy the district buys and sells over the year [MWh/yr]: district totals of
    every item that costs (or earns) money, and by node the backup heat and EV charging
    each node buys (the grid's own figures give the electricity)."""
    from nexus.costs import energy_by_node

    energy = energy_by_node(ds)
    totals: dict[str, float] = {}
    for item, plain in ENERGY_BOUGHT.items():
        kWh = [items[item] for items in energy.values() if item in items]
        if kWh:
            totals[f"{plain} [MWh/yr]"] = abs(sum(kWh)) / 1000.0
    by_node = {
        node: {
            f"{ENERGY_BOUGHT[item]} [MWh/yr]": kWh / 1000.0
            for item, kWh in items.items()
            if item in ("heat_backup", "ev_backup")
        }
        for node, items in energy.items()
    }
    return totals, by_node


def _cost_kpis(ds: xr.Dataset) -> dict[str, float]:
    """The plant's cost, the energy bill and CO2 over the year (:mod:`nexus.costs`)."""
    from nexus.costs import BILL_ITEMS, COST_ITEMS, PLANT_ITEMS

    if "cost_per_yr" not in ds:  # a result from before costs were reported
        return {}
    cur = str(ds.attrs.get("currency", "currency"))
    costs = ds["cost_per_yr"].sum("node", min_count=1).to_series()
    values = {}
    for item in PLANT_ITEMS:
        if item in costs and costs[item] == costs[item]:  # not NaN: some unit priced
            values[f"plant cost: {COST_ITEMS[item]} [{cur}/yr]"] = float(costs[item])
    plant = [costs[i] for i in PLANT_ITEMS if i in costs and costs[i] == costs[i]]
    bill = [costs[i] for i in BILL_ITEMS if i in costs and costs[i] == costs[i]]
    if plant:
        values[f"plant cost, priced units [{cur}/yr]"] = float(sum(plant))
    for item in BILL_ITEMS:
        if item in costs and costs[item] == costs[item]:  # not NaN: priced
            values[f"energy bill: {COST_ITEMS[item]} [{cur}/yr]"] = float(costs[item])
    if bill:
        values[f"district energy bill [{cur}/yr]"] = float(sum(bill))
    if plant or bill:
        values[f"cost, plant and energy bill [{cur}/yr]"] = float(sum(plant) + sum(bill))
    if "co2_kg_per_yr" in ds:
        co2 = ds["co2_kg_per_yr"].to_numpy()
        emitted = float(co2[co2 > 0].sum()) / 1000.0
        avoided = -float(co2[co2 < 0].sum()) / 1000.0
        values["CO2 emitted by the energy bought [t/yr]"] = emitted
        values["CO2 avoided by the heat delivered and electricity sold [t/yr]"] = avoided
    return values


def kpis(ds: xr.Dataset) -> pd.Series:
    """Annual KPIs of a simulated district.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`nexus.simulate` (hourly steps over one year).

    Returns
    -------
    pandas.Series
        Float values indexed by plain-language names that end with their unit
        in brackets, e.g. ``"heat recovered [MWh/yr]"``:

        - the district totals of each role (:data:`nexus.registry.ROLES`)
          some output has: heat recovered, space-heating and hot-water
          demand, EV charging demand, phosphorus and nitrogen recovered for
          farms (and as a share of what the district's sources release);
        - heat delivered to sinks (less what heat networks lose), the share of the heat
          demand it covers,
          and the electricity units draw;
        - every energy flow that costs or earns money, over the year: electricity
          bought and sold, backup heat bought (for the homes and for units such as a
          digester whose own supply falls short), EV charging bought from the grid;
        - where the district recovers N, P or K for farms: the fertilizer value
          of what it recovers and, for each crop of :data:`nexus.food.CROPS`, the
          harvest the recovered nutrients fully fertilize (its limiting nutrient
          decides; the name says which nutrients mineral fertilizer supplies) and
          the people whose food energy it supplies (:func:`nexus.food.food_kpis`);
        - the plant's cost (annualized capital of the units with cost lines, chemicals)
          and the district's energy bill (electricity bought less sold, backup heat and
          EV charging bought, each also on its own line), separately and together, and with ``[emissions]`` the
          CO2 emitted and avoided (:mod:`nexus.costs`);
        - each node's own figures, ``"<node>: <figure> [<unit>]"``, in the
          order of the file: what its type declares (biogas, struvite
          harvested, water and nutrients received ...), and the backup heat or EV
          charging the node bought.

        Ratios appear only where they are defined (no NaN).

    Raises
    ------
    nexus.NexusError
        A node's type is not registered (register it before reading results
        that use it).
    nexus.ParameterError
        ``ds`` is not a simulation's Dataset.
    """
    import pandas as pd

    from nexus.results import check_simulated

    check_simulated(ds, function="kpis")
    scale = HOURS_PER_YEAR / ds.sizes["time"]
    values: dict[str, float] = {}
    released = _released_by_sources_kg(ds)
    for role, spec in ROLES.items():
        total = role_total(ds, role)
        if total is None:
            continue
        units, factor = ANNUAL[spec.units]
        values[f"{spec.plain} [{units}]"] = total * factor
        if spec.element is not None and released[spec.element] > 0:
            values[f"{spec.plain}, share of what the sources release [%]"] = (
                100.0 * total / released[spec.element]
            )

    def link_total(dim: str, name: str, end: str, role: str) -> float:
        return float(ds[name].where(ds[f"{dim}_{end}_role"] == role, 0.0).sum()) * scale

    # to the buildings: what heat networks take less what their pipes lose
    lost = role_total(ds, "heat_network_loss") or 0.0
    delivered = (link_total("heat_link", "heat_kW", "to", "sink") - lost) / 1000.0
    values["heat delivered [MWh/yr]"] = delivered
    demand = values.get(f"{ROLES['heat_demand'].plain} [MWh/yr]", 0.0)
    if demand > 0:
        values["space heating and hot water covered [%]"] = 100.0 * delivered / demand
    values["electricity drawn by units [MWh/yr]"] = (
        link_total("power_link", "electricity_kW", "to", "unit") / 1000.0
    )
    energy, bought_by_node = _energy_kpis(ds)
    values.update(energy)
    values.update(food_kpis(recovered_for_farms_kg(ds)))
    values.update(_cost_kpis(ds))
    for name, type_name in zip(ds["node"].values, ds["node_type"].values, strict=True):
        view = NodeView(ds, str(name))
        values.update(node_type(str(type_name)).kpis(view))
        for plain, value in bought_by_node.get(str(name), {}).items():
            values[f"{name}: {plain}"] = value
    return pd.Series(values, name=ds.attrs.get("district_name", "district"), dtype=float)


def kpi_frame(table: pd.Series) -> pd.DataFrame:
    """KPIs for files and programs: machine names, values, units and words.

    Parameters
    ----------
    table : pandas.Series
        From :func:`kpis` (names in words ending with their unit in brackets).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``name``, the machine name (:func:`nexus.sweeps.kpi_name`, as a sweep
        names its variables), with columns ``value``, ``units`` (UDUNITS,
        :func:`nexus.sweeps.kpi_units`) and ``description`` (the words, without the
        unit).

    Examples
    --------
    >>> import pandas as pd
    >>> print(kpi_frame(pd.Series({"heat recovered [MWh/yr]": 696.1})).to_csv(), end="")
    name,value,units,description
    heat_recovered_MWh_yr,696.1,MWh yr-1,heat recovered
    """
    import pandas as pd

    from nexus.sweeps import kpi_name, kpi_parts, kpi_units

    names = [str(n) for n in table.index]
    frame = pd.DataFrame(
        {
            "value": table.to_numpy(dtype=float),
            "units": [kpi_units(n) for n in names],
            "description": [kpi_parts(n)[0] for n in names],
        },
        index=pd.Index([kpi_name(n) for n in names], name="name"),
    )
    if not frame.index.is_unique:  # two figures whose words differ only in punctuation
        dup = sorted(set(frame.index[frame.index.duplicated()]))
        raise ValueError(f"KPIs with the same machine name: {dup}")
    return frame
