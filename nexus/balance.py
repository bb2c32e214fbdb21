"""Balance closure of a simulated district, computed from its Dataset alone.

For every unit and for the district as a whole, every hour:

- water: in = out + what units lose to the air (evapotranspiration) + what
  is lost on the way to them (route losses, ``transport_lost_m3_h``);
- each conserved element of :data:`nexus.components.ELEMENTS`:
  in + what units dose = out + what units report as removed (to a product or
  a gas) or held + what is lost on the way to them;
- energy: sensible heat of water in + heat and electricity received + fuel
  burnt + backup heat = sensible heat of water out + heat and electricity
  supplied + heat lost + heat accumulated + sensible heat of the water lost on
  the way.

Water sent along a route with a loss is counted in at the node it reaches,
as it left its outlet; the share lost is a term of that node.

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
    from numpy.typing import NDArray

    from nexus._typing import BoolArray, FloatArray, Floats

__all__ = ["balances"]


def balances(ds: xr.Dataset) -> dict[str, dict[str, FloatArray]]:
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

    Raises
    ------
    nexus.ParameterError
        ``ds`` is not a simulation's Dataset.
    """
    from nexus.results import check_simulated

    check_simulated(ds, function="balances")
    node_role = dict(zip(ds["node"].values, ds["node_role"].values, strict=True))
    units = [node for node, role in node_role.items() if role == "unit"]

    def name(dim: str, side: str) -> NDArray[np.str_]:
        return ds[f"{dim}_{side}"].to_numpy().astype(str)

    def role(dim: str, side: str) -> NDArray[np.str_]:
        return ds[f"{dim}_{side}_role"].to_numpy().astype(str)

    result = {
        u: _closure(
            ds,
            water_in=name("stream", "to") == u,
            water_out=name("stream", "from") == u,
            power_in={dim: name(dim, "to") == u for dim in _POWER},
            power_out={dim: name(dim, "from") == u for dim in _POWER},
            holders=ds["node"].to_numpy() == u,
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
        holders=ds["node_role"].to_numpy() == "unit",
    )
    return result


_POWER = {"power_link": "electricity_kW", "heat_link": "heat_kW"}


def _closure(
    ds: xr.Dataset,
    *,
    water_in: BoolArray,
    water_out: BoolArray,
    power_in: dict[str, BoolArray],
    power_out: dict[str, BoolArray],
    holders: BoolArray,
) -> dict[str, FloatArray]:
    """Imbalances of the nodes ``holders`` (a mask over ``node``) with the given links."""
    flow = ds["flow_m3_h"].to_numpy()
    heat_in_water = CV_WATER_kWh_m3K * flow * ds["T_C"].to_numpy()
    elements = np.einsum("tsc,ec->tse", ds["load_kg_h"].to_numpy(), element_matrix())

    def term(name: str) -> FloatArray:  # (time, holders[, element])
        return ds[name].to_numpy()[:, holders]

    energy_in = [heat_in_water[:, water_in], term("fuel_kW"), term("heat_backup_kW")]
    energy_in += [ds[_POWER[dim]].to_numpy()[:, mask] for dim, mask in power_in.items()]
    energy_out = [heat_in_water[:, water_out], term("heat_loss_kW"), term("heat_accumulation_kW")]
    energy_out.append(term("transport_lost_kW"))
    energy_out += [ds[_POWER[dim]].to_numpy()[:, mask] for dim, mask in power_out.items()]
    out = {
        "water": _relative(
            flow[:, water_in],
            np.hstack([flow[:, water_out], term("water_lost_m3_h"), term("transport_lost_m3_h")]),
        )
    }
    kept = term("removed_kg_h") + term("accumulation_kg_h") + term("transport_lost_kg_h")
    dosed = term("dosed_kg_h")
    for k, element in enumerate(ELEMENTS):
        out[element] = _relative(
            np.hstack([elements[:, water_in, k], dosed[..., k]]),
            np.hstack([elements[:, water_out, k], kept[..., k]]),
        )
    # Energy held in stores sets the rounding scale of their accumulation (a loss
    # far below the last digit of the content cannot show in the content).
    out["energy"] = _relative(
        np.hstack(energy_in), np.hstack(energy_out), term("heat_held_kWh").sum(axis=1)
    )
    return out


def _relative(terms_in: FloatArray, terms_out: FloatArray, held: Floats = 0.0) -> FloatArray:
    """(sum in - sum out) / (sum of |every term| + |held|), per hour; 0 where nothing flows.

    Scaling by the gross flow (not the net) keeps a unit whose terms cancel,
    such as a store discharging what it delivers, from reading as 100 % off.
    """
    net = terms_in.sum(axis=1) - terms_out.sum(axis=1)
    gross = np.abs(terms_in).sum(axis=1) + np.abs(terms_out).sum(axis=1) + np.abs(held)
    return np.divide(net, gross, out=np.zeros_like(gross), where=gross != 0)  # NaN stays NaN
