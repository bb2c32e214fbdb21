"""Annual key performance indicators of a simulated district.

``kpis(ds)`` works on the Dataset alone (also one read back from netCDF), so
a policy team can compare saved scenarios without re-running them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nexus.components import ELEMENTS, element_matrix

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

__all__ = ["kpis"]

#: Elements reported as sent downstream, with their plain names.
DOWNSTREAM_ELEMENTS: dict[str, str] = {
    "COD": "COD",
    "N": "nitrogen",
    "P": "phosphorus",
    "K": "potassium",
}


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

        - heat recovered (shower drain-water and greywater heat recovery),
          heat delivered to the heat networks, heat-pump electricity, the
          heat pumps' seasonal performance factor;
        - space-heating and hot-water demand and the share of it covered;
        - electric-vehicle charging demand;
        - water [m3/yr], COD, N, P and K [kg/yr] sent to each sink.
    """
    import pandas as pd

    hours = ds["time"].size
    scale_to_year = 8760.0 / hours  # the run is one year; kept explicit for shorter test runs
    roles = dict(item.split(":") for item in ds.attrs["node_roles"].split())

    def annual_MWh(names: list[str]) -> float:
        return float(sum(ds[n].sum().item() for n in names)) * scale_to_year / 1000.0

    units = [n for n, r in roles.items() if r == "unit"]
    sinks = [n for n, r in roles.items() if r == "sink"]
    recovered = [f"{u}.heat_recovered_kW" for u in units if f"{u}.heat_recovered_kW" in ds]
    heat_pumps = [u for u in units if f"{u}.heat_output_kW" in ds]
    demand_vars = [
        f"{s}.{c}_demand_kW"
        for s in sinks
        for c in ("space_heating", "dhw")
        if f"{s}.{c}_demand_kW" in ds
    ]
    sources = [n for n, r in roles.items() if r == "source"]

    heat_to_sinks = ds["heat_kW"].where(ds["heat_link_to_role"] == "sink").sum().item()
    delivered = float(heat_to_sinks) * scale_to_year / 1000.0
    hp_electricity = annual_MWh([f"{u}.electricity_kW" for u in heat_pumps])
    hp_output = annual_MWh([f"{u}.heat_output_kW" for u in heat_pumps])
    demand = annual_MWh(demand_vars)

    values: dict[str, float] = {
        "heat recovered [MWh/yr]": annual_MWh(recovered),
        "heat delivered [MWh/yr]": delivered,
        "heat-pump electricity [MWh/yr]": hp_electricity,
        "space heating and hot water demand [MWh/yr]": demand,
        "electric-vehicle charging demand [MWh/yr]": annual_MWh([f"{s}.ev_kW" for s in sources]),
    }
    # Ratios only where they are defined (no heat pump or no demand: left out, not NaN).
    if hp_electricity > 0:
        values["heat-pump seasonal performance factor [-]"] = hp_output / hp_electricity
    if demand > 0:
        values["space heating and hot water covered [%]"] = 100.0 * delivered / demand
    to_role = ds["stream_to_role"].to_numpy().astype(str)
    to_node = ds["stream_to"].to_numpy().astype(str)
    loads = ds["load_kg_h"].to_numpy().sum(axis=0) @ element_matrix().T  # (stream, element)
    flow = ds["flow_m3_h"].to_numpy().sum(axis=0)
    for sink in sinks:
        mask = (to_role == "sink") & (to_node == sink)
        if not mask.any():
            continue
        values[f"water to {sink} [m3/yr]"] = float(flow[mask].sum()) * scale_to_year
        for element, plain in DOWNSTREAM_ELEMENTS.items():
            k = ELEMENTS.index(element)
            values[f"{plain} to {sink} [kg/yr]"] = float(loads[mask, k].sum()) * scale_to_year
    return pd.Series(values, name=ds.attrs.get("district_name", "district"), dtype=float)
