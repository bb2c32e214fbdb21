"""Balance closure of a simulated district, computed from its Dataset alone.

For every unit and for the district as a whole, every hour:

- water and each conserved element of :data:`nexus.components.ELEMENTS`:
  in + what units dose = out + what units report as removed (to a product or
  a gas) or held;
- energy: sensible heat of water in + heat and electricity received + fuel
  burnt + backup heat = sensible heat of water out + heat and electricity
  supplied + heat lost + heat accumulated.

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
    units = [node for node, r in _roles(ds).items() if r == "unit"]

    def ends(dim: str, end: str) -> np.ndarray:
        return ds[f"{dim}_{end}"].to_numpy().astype(str)

    def role_of(dim: str, end: str) -> np.ndarray:
        return ds[f"{dim}_{end}_role"].to_numpy().astype(str)

    def name(dim: str, side: str) -> np.ndarray:
        return ds[f"{dim}_{side}"].to_numpy().astype(str)

    def role(dim: str, side: str) -> np.ndarray:
        return ds[f"{dim}_{side}_role"].to_numpy().astype(str)

    result = {
        u: _closure(
            ds,
            water_in=name("stream", "to") == u,
            water_out=name("stream", "from") == u,
            power_in={dim: name(dim, "to") == u for dim in _POWER},
            power_out={dim: name(dim, "from") == u for dim in _POWER},
            holders=[u],
        )
        for u in units
    }
    # The district: what the sources release, the power bought and the fuel burnt
    # reach the sinks as water and power, or are lost or held in the units.
    result["district"] = _closure(
        ds,
        water_in=role("stream", "from") == "source",
        water_out=role("stream", "to") == "sink",
        power_in={
            dim: (role(dim, "from") == "sink") & (role(dim, "to") == "unit") for dim in _POWER
        },
        power_out={
            dim: (role(dim, "from") == "unit") & (role(dim, "to") == "sink") for dim in _POWER
        },
        holders=units,
    )
    return result


_POWER = {"power_link": "electricity_kW", "heat_link": "heat_kW"}


def _unit_terms(ds, holders: list[str], name: str) -> list[np.ndarray]:
    """Columns of a per-unit quantity (absent for a unit = no column)."""
    return [ds[f"{u}.{name}"].to_numpy()[:, None] for u in holders if f"{u}.{name}" in ds]


def _closure(ds, *, water_in, water_out, power_in, power_out, holders) -> dict[str, np.ndarray]:
    flow = ds["flow_m3_h"].to_numpy()
    heat_in_water = CV_WATER_kWh_m3K * flow * ds["T_C"].to_numpy()
    elements = np.einsum("tsc,ec->tse", ds["load_kg_h"].to_numpy(), element_matrix())
    energy_in = [heat_in_water[:, water_in]]
    energy_in += [ds[_POWER[dim]].to_numpy()[:, mask] for dim, mask in power_in.items()]
    energy_in += _unit_terms(ds, holders, "fuel_kW") + _unit_terms(ds, holders, "heat_backup_kW")
    energy_out = [heat_in_water[:, water_out]]
    energy_out += [ds[_POWER[dim]].to_numpy()[:, mask] for dim, mask in power_out.items()]
    energy_out += _unit_terms(ds, holders, "heat_loss_kW")
    energy_out += _unit_terms(ds, holders, "heat_accumulation_kW")
    out = {"water": _relative(flow[:, water_in], flow[:, water_out])}
    for k, element in enumerate(ELEMENTS):
        kept = _unit_terms(ds, holders, f"{element}_removed_kg_h")
        kept += _unit_terms(ds, holders, f"{element}_accumulation_kg_h")
        dosed = _unit_terms(ds, holders, f"{element}_dosed_kg_h")
        out[element] = _relative(
            np.hstack([elements[:, water_in, k], *dosed]),
            np.hstack([elements[:, water_out, k], *kept]),
        )
    # Energy held in stores sets the rounding scale of their accumulation (a loss
    # far below the last digit of the content cannot show in the content).
    held = _unit_terms(ds, holders, "heat_held_kWh")
    out["energy"] = _relative(
        np.hstack(energy_in), np.hstack(energy_out), np.hstack(held).sum(axis=1) if held else 0.0
    )
    return out


def _relative(terms_in: np.ndarray, terms_out: np.ndarray, held=0.0) -> np.ndarray:
    """(sum in - sum out) / (sum of |every term| + |held|), per hour; 0 where nothing flows.

    Scaling by the gross flow (not the net) keeps a unit whose terms cancel,
    such as a store discharging what it delivers, from reading as 100 % off.
    """
    net = terms_in.sum(axis=1) - terms_out.sum(axis=1)
    gross = np.abs(terms_in).sum(axis=1) + np.abs(terms_out).sum(axis=1) + np.abs(held)
    return np.divide(net, gross, out=np.zeros_like(gross), where=gross != 0)  # NaN stays NaN


def _roles(ds: xr.Dataset) -> dict[str, str]:
    return dict(item.split(":") for item in ds.attrs["node_roles"].split())
