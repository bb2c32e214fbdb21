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
        - digesters, CHPs and EV charging from biogas (see ``_digestion``);
        - struvite reactors: struvite, P and N harvested, P recovered as a
          share of the P in black water, P2O5 fertilizer value, MgCl2 and NaOH
          dosed and their cost, the crop the harvest can fertilize;
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
    _digestion(ds, units, sinks, values, annual_MWh, scale_to_year)
    _phosphorus_recovery(ds, units, sources, values, scale_to_year)
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


def _digestion(
    ds, units, sinks, values: dict[str, float], annual_MWh, scale_to_year: float
) -> None:
    """KPIs of digesters, CHPs and EV charging, where the district has them."""
    from nexus.units.chp import EVParams

    def total(name: str) -> float:
        return float(ds[name].sum().item()) * scale_to_year

    digesters = [u for u in units if f"{u}.methane_Nm3_h" in ds]
    chps = [u for u in units if f"{u}.flared_Nm3_h" in ds]
    for u in digesters:
        fed = total(f"{u}.COD_in_kg_h")
        values[f"{u}: biogas [Nm3/yr]"] = total(f"{u}.biogas_Nm3_h")
        values[f"{u}: methane [Nm3/yr]"] = total(f"{u}.methane_Nm3_h")
        if fed > 0:
            values[f"{u}: COD removal [%]"] = 100.0 * total(f"{u}.COD_to_biogas_kg_h") / fed
        values[f"{u}: ammonium-N sent on [kg/yr]"] = total(f"{u}.NH4_N_out_kg_h")
        values[f"{u}: phosphate-P sent on [kg/yr]"] = total(f"{u}.PO4_P_out_kg_h")
    for u in chps:
        values[f"{u}: electricity from biogas [MWh/yr]"] = annual_MWh([f"{u}.electricity_kW"])
        values[f"{u}: heat from biogas [MWh/yr]"] = annual_MWh([f"{u}.heat_kW"])
        values[f"{u}: methane flared [Nm3/yr]"] = total(f"{u}.flared_Nm3_h")
    ev_sinks = [s for s in sinks if f"{s}.ev_demand_kW" in ds]
    if ev_sinks:
        to_ev = ds["electricity_kW"].where(ds["power_link_to"].isin(ev_sinks), 0.0).sum().item()
        kWh = float(to_ev) * scale_to_year
        values["electric vehicles charged from biogas [MWh/yr]"] = kWh / 1000.0
        # EV consumption at the plug (EVParams default, Weiss et al. 2024).
        values["electric-vehicle km from biogas [km/yr]"] = kWh / EVParams().kWh_per_km


def _phosphorus_recovery(ds, units, sources, values: dict[str, float], scale_to_year) -> None:
    """KPIs of struvite reactors, where the district has them."""

    def total(name: str) -> float:
        return float(ds[name].sum().item()) * scale_to_year

    reactors = [u for u in units if f"{u}.struvite_kg_h" in ds]
    if not reactors:
        return
    names = ds["stream"].to_numpy().astype(str)
    black = [any(s.startswith(f"{src}.blackwater ->") for src in sources) for s in names]
    P = ELEMENTS.index("P")
    P_black = float((ds["load_kg_h"].to_numpy()[:, black, :] @ element_matrix()[P]).sum())
    P_black *= scale_to_year
    for u in reactors:
        recovered = total(f"{u}.P_removed_kg_h")
        values[f"{u}: struvite harvested [kg/yr]"] = total(f"{u}.struvite_kg_h")
        values[f"{u}: phosphorus recovered [kg/yr]"] = recovered
        if P_black > 0:
            values[f"{u}: phosphorus recovered, share of black-water P [%]"] = (
                100.0 * recovered / P_black
            )
        values[f"{u}: nitrogen recovered [kg/yr]"] = total(f"{u}.N_removed_kg_h")
        values[f"{u}: fertilizer value as P2O5 [kg/yr]"] = total(f"{u}.P2O5_kg_h")
        values[f"{u}: MgCl2 dosed [kg/yr]"] = total(f"{u}.MgCl2_kg_h")
        values[f"{u}: NaOH dosed [kg/yr]"] = total(f"{u}.NaOH_kg_h")
        currency = ds.attrs.get("currency", "currency")
        values[f"{u}: chemicals cost [{currency}/yr]"] = total(f"{u}.chemicals_cost_h")
        values[f"{u}: crop the recovered P can fertilize [t/yr]"] = total(f"{u}.crop_t_h")
