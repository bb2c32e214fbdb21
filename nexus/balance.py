"""Balance closure of a simulated district, computed from its Dataset alone.

For every unit and for the district as a whole, every hour:

- water and each conserved element of :data:`nexus.components.ELEMENTS`:
  in = out + what units report as removed (to a product or a gas);
- energy: sensible heat of water in + electricity in =
  sensible heat of water out + heat delivered + heat lost + heat accumulated.

The same harness serves every unit and the whole network (as WaterTAP's unit
test harness and QSDsan's junction balance tests do), so a new unit type is
checked by the same code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nexus.components import ELEMENTS, element_matrix
from nexus.constants import CV_WATER_kWh_m3K

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["balances"]


def balances(ds: xr.Dataset) -> dict[str, dict[str, np.ndarray]]:
    """Hourly imbalances of every unit and of the whole district.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`nexus.simulate`.

    Returns
    -------
    dict
        ``{scope: {quantity: relative_imbalance}}`` where scope is a unit name
        or ``"district"``, quantity is ``water``, an element name or
        ``energy``, and each value is an array over time of
        (in - out) / (sum of the magnitudes of all terms) [-], 0 where
        nothing flows.
    """
    roles = _roles(ds)
    units = [name for name, role in roles.items() if role == "unit"]

    def ends(dim: str, end: str) -> np.ndarray:
        return ds[f"{dim}_{end}"].to_numpy().astype(str)

    def role_of(dim: str, end: str) -> np.ndarray:
        return ds[f"{dim}_{end}_role"].to_numpy().astype(str)

    result = {
        u: _closure(
            ds,
            water_in=ends("stream", "to") == u,
            water_out=ends("stream", "from") == u,
            power_in=ends("power_link", "to") == u,
            heat_out=ends("heat_link", "from") == u,
            holders=[u],
        )
        for u in units
    }
    # The district: what the sources release (plus electricity bought) reaches
    # the sinks as water, is delivered as heat, or is lost or held in units.
    result["district"] = _closure(
        ds,
        water_in=role_of("stream", "from") == "source",
        water_out=role_of("stream", "to") == "sink",
        power_in=role_of("power_link", "to") == "unit",
        heat_out=role_of("heat_link", "to") == "sink",
        holders=units,
    )
    return result


def _closure(ds, *, water_in, water_out, power_in, heat_out, holders) -> dict[str, np.ndarray]:
    flow = ds["flow_m3_h"].to_numpy()
    heat_in_water = CV_WATER_kWh_m3K * flow * ds["T_C"].to_numpy()
    elements = np.einsum("tsc,ec->tse", ds["load_kg_h"].to_numpy(), element_matrix())
    held = [
        ds[f"{u}.heat_{kind}_kW"].to_numpy() for u in holders for kind in ("loss", "accumulation")
    ]
    energy_in = (heat_in_water[:, water_in], ds["electricity_kW"].to_numpy()[:, power_in])
    energy_out = (
        heat_in_water[:, water_out],
        ds["heat_kW"].to_numpy()[:, heat_out],
        np.stack(held, axis=1) if held else np.zeros((ds.sizes["time"], 0)),
    )
    out = {"water": _relative(flow[:, water_in], flow[:, water_out])}
    for k, element in enumerate(ELEMENTS):
        removed = [
            ds[f"{u}.{element}_removed_kg_h"].to_numpy()[:, None]
            for u in holders
            if f"{u}.{element}_removed_kg_h" in ds
        ]
        out[element] = _relative(
            elements[:, water_in, k], np.hstack([elements[:, water_out, k], *removed])
        )
    out["energy"] = _relative(np.hstack(energy_in), np.hstack(energy_out))
    return out


def _relative(terms_in: np.ndarray, terms_out: np.ndarray) -> np.ndarray:
    """(sum in - sum out) / (sum of |every term|), per hour; 0 where nothing flows.

    Scaling by the gross flow (not the net) keeps a unit whose terms cancel,
    such as a store discharging what it delivers, from reading as 100 % off.
    """
    net = terms_in.sum(axis=1) - terms_out.sum(axis=1)
    gross = np.abs(terms_in).sum(axis=1) + np.abs(terms_out).sum(axis=1)
    return np.divide(net, gross, out=np.zeros_like(gross), where=gross != 0)  # NaN stays NaN


def _roles(ds: xr.Dataset) -> dict[str, str]:
    return dict(item.split(":") for item in ds.attrs["node_roles"].split())
