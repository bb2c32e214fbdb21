"""Districts whose biogas goes to a boiler or to the public gas grid: simulated, balanced,
reported and optimized (the node types ``biogas_boiler`` and ``gas_grid``)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

import nexus
from nexus.district import district_from_dict
from nexus.units.chp import LHV_CH4_kWh_Nm3

if TYPE_CHECKING:
    import xarray as xr

DATA = Path(__file__).parent / "data"
ETA = 0.88  # BoilerParams' default efficiency (Council Directive 92/42/EEC)
#: The boiler's design entry (costs are test values).
BOILER_DESIGN = {"max": 5.0, "capex_per_unit": 50.0, "lifetime_yr": 20.0, "source": "test value"}
HP_DESIGN = {"max": 20.0, "capex_per_unit": 700.0, "lifetime_yr": 20.0, "source": "test value"}
PRICES = {"electricity_import_per_kWh": 0.2, "heat_backup_per_kWh": 0.1, "source": "test values"}


def digester_district(outlet: str, **optimize) -> nexus.District:
    """The small test district (20 homes) with its black water and kitchen waste digested.

    ``outlet`` "boiler": the biogas goes to a boiler that heats the digester and then the
    homes (after the shower heat exchanger and the heat pump); "gas_grid": it is exported.
    """
    data = tomllib.loads((DATA / "small_district.toml").read_text())
    data["connections"] = [
        c for c in data["connections"] if not c.startswith(("homes.blackwater", "homes.kitchen"))
    ]
    data["units"]["digester"] = {
        "type": "anaerobic_digester",
        "reactor": {"V_liq_m3": 8.0, "T_C": 25.0, "solids_retention_d": 100.0},
    }
    data["connections"] += [
        "homes.blackwater -> digester.in",
        "homes.kitchen_waste -> digester.in",
        "digester.out -> sewer.in",
    ]
    if outlet == "boiler":
        data["units"]["boiler"] = {"type": "biogas_boiler", "capacity_kW": 0.3}
        data["connections"] += [
            "digester.biogas -> boiler.biogas",
            "boiler.heat -> digester.heat",  # the digester first ...
            "boiler.heat -> heat_network.in",  # ... then the homes
        ]
    else:
        data["sinks"]["gas_grid"] = {"type": "gas_grid"}
        data["connections"].append("digester.biogas -> gas_grid.in")
    if optimize:
        data["optimize"] = {"prices": dict(PRICES), "typical_days": 2, **optimize}
    return district_from_dict(data, file=f"{outlet}.toml")


@pytest.fixture(scope="module")
def boiler_run() -> xr.Dataset:
    return nexus.simulate(digester_district("boiler"))


@pytest.fixture(scope="module")
def grid_run() -> xr.Dataset:
    return nexus.simulate(digester_district("gas_grid"))


def assert_balanced(ds: xr.Dataset) -> None:
    for scope, quantities in nexus.balances(ds).items():
        for quantity, imbalance in quantities.items():
            assert not np.isnan(imbalance).any(), (scope, quantity)
            assert np.abs(imbalance).max() < 1e-9, (scope, quantity)


@pytest.mark.integration
def test_boiler_district_balances_every_hour(boiler_run):
    assert "boiler" in nexus.balances(boiler_run)
    assert_balanced(boiler_run)


@pytest.mark.integration
def test_boiler_burns_the_digesters_methane_within_its_capacity(boiler_run):
    ds = boiler_run
    node = ds.sel(node="boiler")
    methane = ds["methane_Nm3_h"].sel(gas_link="digester.biogas -> boiler.biogas")
    made = node["heat_generated_kW"]
    assert float(made.max()) <= 0.3 * (1 + 1e-12)
    # what it does not burn it flares; what it burns makes heat at 88 % of the LHV
    burnt = methane - node["flared_Nm3_h"]
    np.testing.assert_allclose(made, ETA * LHV_CH4_kWh_Nm3 * burnt, rtol=1e-12, atol=1e-12)
    assert float(node["flared_Nm3_h"].sum()) > 0  # the capacity binds in some hours
    np.testing.assert_allclose(node["fuel_kW"], LHV_CH4_kWh_Nm3 * burnt, rtol=1e-12, atol=1e-12)
    # its heat goes to the digester and the homes, or is dumped
    links = ds["heat_kW"].where(ds["heat_link_from"] == "boiler", 0.0).sum("heat_link")
    np.testing.assert_allclose(links + node["heat_dumped_kW"], made, rtol=1e-12, atol=1e-12)


@pytest.mark.integration
def test_boiler_heats_the_digester_over_each_day_and_dumps_what_no_one_takes(boiler_run):
    """The digester holds heat over the day: offered all its day still needs in every hour,
    the boiler gives more than the day takes when the homes need nothing more; it then
    supplies what its links take and dumps the rest (the network runs it again)."""
    ds = boiler_run
    got = ds["heat_kW"].sel(heat_link="boiler.heat -> digester.heat").to_numpy()
    backup = ds["heat_backup_kW"].sel(node="digester").to_numpy()
    demand = ds["heat_demand_kW"].sel(node="digester").to_numpy()
    np.testing.assert_allclose(
        (got + backup).reshape(-1, 24).sum(axis=1),
        demand.reshape(-1, 24).sum(axis=1),
        rtol=1e-9,
    )
    dumped = ds["heat_dumped_kW"].sel(node="boiler").to_numpy()
    assert (dumped > 1e-6).sum() > 100  # summer hours: the homes' heat is covered otherwise


@pytest.mark.integration
def test_boiler_key_figures(boiler_run):
    table = nexus.kpis(boiler_run)
    node = boiler_run.sel(node="boiler")
    assert table["boiler: heat from biogas [MWh/yr]"] == pytest.approx(
        float(node["heat_generated_kW"].sum()) / 1000.0, rel=1e-12
    )
    assert table["boiler: methane flared [Nm3/yr]"] == pytest.approx(
        float(node["flared_Nm3_h"].sum()), rel=1e-12
    )
    assert table["boiler: heat from biogas [MWh/yr]"] > 0
    units = {k: boiler_run[k].attrs["units"] for k in ("heat_dumped_kW", "flared_Nm3_h")}
    assert units == {"heat_dumped_kW": "kW", "flared_Nm3_h": "m3 h-1"}


@pytest.mark.integration
def test_gas_grid_district_exports_the_methane(grid_run):
    ds = grid_run
    assert_balanced(ds)
    exported = ds["methane_exported_Nm3_h"].sel(node="gas_grid")
    produced = ds["methane_produced_Nm3_h"].sel(node="digester")
    np.testing.assert_array_equal(exported, produced)
    np.testing.assert_allclose(
        ds["methane_exported_kW"].sel(node="gas_grid"), LHV_CH4_kWh_Nm3 * exported, rtol=1e-15
    )
    table = nexus.kpis(ds)
    assert table["gas_grid: methane exported [Nm3/yr]"] == pytest.approx(float(produced.sum()))
    assert table["gas_grid: methane energy exported [MWh/yr]"] == pytest.approx(
        float(produced.sum()) * LHV_CH4_kWh_Nm3 / 1000.0
    )
    assert table["gas_grid: methane exported [Nm3/yr]"] > 100  # 42 residents' black water
    assert ds["methane_exported_Nm3_h"].attrs["units"] == "m3 h-1"


@pytest.mark.integration
def test_the_optimizer_sizes_the_boiler():
    from nexus.optimize import solve

    district = digester_district("boiler", design={"boiler": {"capacity_kW": BOILER_DESIGN}})
    ds = solve(district, objective="cost")
    size = float(ds["capacity_kW"].sel(node="boiler")[0])
    methane = ds["methane_Nm3_h"].sel(gas_link="digester.biogas -> boiler.biogas")[0]
    most = ETA * LHV_CH4_kWh_Nm3 * float(methane.max())
    # biogas heat is free and backup heat costs 0.1 per kWh: a kW of boiler earns more than
    # its 3.7 per year, so it is built, and no larger than all the methane can fire
    assert 0.0 < size <= most * (1 + 1e-9)
    made = ds["heat_generated_kW"].sel(node="boiler")[0]
    assert float(made.max()) <= size * (1 + 1e-9)
    burnt = methane - ds["flared_Nm3_h"].sel(node="boiler")[0]
    np.testing.assert_allclose(made, ETA * LHV_CH4_kWh_Nm3 * burnt, rtol=1e-9, atol=1e-9)
    assert np.isfinite(float(ds["gap_energy_frac"][0]))  # the chosen design was simulated


@pytest.mark.integration
def test_the_optimizer_takes_the_gas_grids_methane():
    from nexus.optimize import solve

    ds = solve(digester_district("gas_grid", design={"gw_hp": {"capacity_kW": HP_DESIGN}}))
    methane = ds["methane_Nm3_h"].sel(gas_link="digester.biogas -> gas_grid.in")[0]
    exported = ds["methane_exported_Nm3_h"].sel(node="gas_grid")[0]
    np.testing.assert_allclose(exported, methane, rtol=1e-12)
    np.testing.assert_allclose(
        ds["methane_exported_kW"].sel(node="gas_grid")[0],
        LHV_CH4_kWh_Nm3 * methane,
        rtol=1e-12,
    )
    assert float(exported.sum()) > 0


@pytest.mark.integration
def test_optimizer_model_units_are_consistent():
    from pyomo.util.check_units import assert_units_consistent

    from nexus.optimize.model import build_model

    design = {"boiler": {"capacity_kW": BOILER_DESIGN}}
    model = build_model(digester_district("boiler", design=design), units=True)
    assert_units_consistent(model)
    assert str(model.biogas_boiler["boiler"].size_capacity_kW.get_units()) == "kW"
    grid = digester_district("gas_grid", design={"gw_hp": {"capacity_kW": HP_DESIGN}})
    assert_units_consistent(build_model(grid, units=True))
