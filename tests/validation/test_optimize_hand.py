"""Optimizer against optima derived by hand.

A heat pump sized against a two-level heat demand (the load-duration
argument of screening curves, e.g. Stoft 2002, Power System Economics,
ch. 3-4): each kW of capacity earns (backup heat price - electricity price /
COP) in every hour the demand exceeds it, and costs its annualized capital
cost. With demand D_low for all hours and D_high for h_high of them, the
optimal capacity is D_low if the value per kWh times h_high is below the
annual cost of a kW, and D_high if above.

The district is the small test district; its sampled maps are replaced by two
time steps with weights (8760 - h_high and h_high hours), an unlimited heat
source and a constant COP, so the optimum and its cost follow in closed form.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import pytest

from nexus.district import district_from_dict

DATA = Path(__file__).parents[1] / "data"

COP = 4.0
PRICE_ELECTRICITY = 0.2  # per kWh
PRICE_HEAT = 0.1  # per kWh
CAPEX_PER_KW = 700.0
LIFETIME_YR = 20.0  # at a zero discount rate: 35 per kW and year
D_LOW, D_HIGH = 5.0, 8.0  # kW


def _optimum(h_high: float):
    import pyomo.environ as pyo

    from nexus.optimize.maps import sample_maps
    from nexus.optimize.model import build_model
    from nexus.optimize.solve import _run, _solver

    data = tomllib.loads((DATA / "small_district.toml").read_text())
    data["units"]["gw_hp"]["store"] = {"capacity_kWh": 0.0, "max_power_kW": 0.0}
    data["optimize"] = {
        "prices": {
            "electricity_import_per_kWh": PRICE_ELECTRICITY,
            "heat_backup_per_kWh": PRICE_HEAT,
            "source": "test",
        },
        "design": {
            "gw_hp": {
                "capacity_kW": {
                    "max": 20.0,
                    "capex_per_unit": CAPEX_PER_KW,
                    "lifetime_yr": LIFETIME_YR,
                    "source": "test",
                }
            }
        },
    }
    district = district_from_dict(data, file="hand.toml")
    maps = sample_maps(district)
    two = {
        "heat_network": {"space_heating": np.array([D_LOW, D_HIGH]), "dhw": np.zeros(2)},
        "dwhr": {"heat_kW": np.zeros(2)},
        "gw_hp": {
            "output_kW": np.full((1, 2), 1e4),  # the source never limits
            "cop": np.full((1, 2), COP),
        },
    }
    assert {k: set(v) for k, v in two.items()} == {
        k: set(m.series) for k, m in maps.nodes.items()
    }  # every series the model reads is replaced
    nodes = {k: dataclasses.replace(m, series=two[k]) for k, m in maps.nodes.items()}
    maps = dataclasses.replace(
        maps, nodes=nodes, weights=np.array([8760.0 - h_high, h_high]), period_hours=1
    )
    model = build_model(district, maps)
    _run(_solver(None), model, "cost")
    return model, pyo.value


@pytest.mark.component
@pytest.mark.parametrize("h_high", [300.0, 1000.0])
def test_heat_pump_capacity_follows_the_screening_curve(h_high):
    model, value = _optimum(h_high)
    worth_per_kWh = PRICE_HEAT - PRICE_ELECTRICITY / COP  # 0.05
    cost_per_kW_yr = CAPEX_PER_KW / LIFETIME_YR  # 35
    expected = D_HIGH if worth_per_kWh * h_high > cost_per_kW_yr else D_LOW
    capacity = value(model.greywater_heat_pump["gw_hp"].size_capacity_kW)
    assert capacity == pytest.approx(expected, abs=1e-6)
    # the cost in closed form: capital, electricity for the heat pump, backup for the rest
    hours = np.array([8760.0 - h_high, h_high])
    served = np.minimum([D_LOW, D_HIGH], expected)
    cost = (
        cost_per_kW_yr * expected
        + PRICE_ELECTRICITY * float(hours @ served) / COP
        + PRICE_HEAT * float(hours @ (np.array([D_LOW, D_HIGH]) - served))
    )
    assert value(model.cost_per_yr) == pytest.approx(cost, rel=1e-9)
    # net energy: heat delivered less the electricity it took
    assert value(model.energy_kWh_yr) == pytest.approx(
        float(hours @ served) * (1.0 - 1.0 / COP), rel=1e-9
    )
