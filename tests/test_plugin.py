"""A unit type of one's own, defined here and nowhere under ``nexus/``.

The gas boiler below is the worked example of ``docs/adding_a_unit.md`` (the
doc's code blocks are checked to be this file's code). Registered for the
tests of this module only, it runs in ``simulate``, appears in ``kpis`` and
``balances``, and is sized by ``solve`` and verified by simulation, without
any per-type code in nexus.
"""

from __future__ import annotations

import copy
import pickle
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import nexus
from nexus.district import district_from_dict
from nexus.optimize.model import BuildContext
from nexus.units.params import Params, field

ROOT = Path(__file__).resolve().parent.parent


# --- the example: parameters -------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class BoilerParams(Params):
    """A gas boiler: a capacity and a constant efficiency."""

    capacity_kW: float = field(
        0.0,
        unit="kW",
        low=0.0,
        high=1e5,
        source="design variable (district file or optimizer)",
        doc="heat output at full load",
    )
    efficiency_frac: float = field(
        0.9,
        unit="1",
        low=0.5,
        high=1.1,
        source="test value (a condensing boiler on its lower heating value)",
        doc="useful heat per unit of gas burnt",
    )
    gas_price_per_kWh: float = field(
        0.08,
        unit="currency kWh-1",
        low=0.0,
        high=10.0,
        source="test value",
        doc="price of the gas burnt (lower heating value)",
    )


# --- the example: the unit type ----------------------------------------------------------
class GasBoilerType(nexus.UnitType):
    """A gas boiler serving space heating and hot water up to its capacity."""

    name = "gas_boiler"
    description = "gas boiler with a constant efficiency"
    ports = (nexus.Port("heat", "heat", "out", serves=("space_heating", "dhw")),)
    params = BoilerParams
    sizes = (nexus.Size("capacity_kW"),)
    outputs = (
        nexus.Output("boiler_heat_kW", "kW", "heat from the gas boiler", annual="heat from gas"),
        nexus.Output("gas_cost_h", "currency h-1", "gas bought", annual="gas cost"),
    )

    def run(self, params: BoilerParams, inputs: nexus.NodeInputs) -> nexus.NodeResult:
        heat = np.minimum(inputs.open_demand_kW["heat"], params.capacity_kW)
        gas = heat / params.efficiency_frac
        return nexus.NodeResult(
            supply_kW={"heat": heat},
            fuel_kW=gas,
            heat_loss_kW=gas - heat,
            outputs={"boiler_heat_kW": heat, "gas_cost_h": gas * params.gas_price_per_kWh},
        )

    def build(self, ctx: BuildContext) -> None:
        p = ctx.params
        heat = ctx.var("heat", ctx.TIME, units="kW", doc="heat from the boiler")
        ctx.constrain("capacity", heat <= ctx.size("capacity_kW"), "heat at most the capacity")
        ctx.supply("heat", heat)
        price = p.gas_price_per_kWh / p.efficiency_frac  # per kWh of heat
        ctx.cost("gas", (price * heat).scaled(unit=f"{ctx.currency}/kWh"))
        ctx.report("boiler_heat_kW", heat)


# --- the example: a district with the boiler ---------------------------------------------
def boiler_district(**optimize) -> nexus.District:
    data = tomllib.loads((ROOT / "tests" / "data" / "small_district.toml").read_text())
    data["units"]["boiler"] = {"type": "gas_boiler", "capacity_kW": 5.0, "gas_price_per_kWh": 0.12}
    data["connections"].append("boiler.heat -> heat_network.in")
    # no heat store: its dispatch is where a simulation (a fixed rule) and an optimizer
    # (perfect foresight) differ; without it the two must agree to round-off
    data["units"]["gw_hp"]["store"] = {"capacity_kWh": 0.0, "max_power_kW": 0.0}
    data["optimize"] = {
        "prices": {
            "electricity_import_per_kWh": 0.25,
            "heat_backup_per_kWh": 0.15,
            "source": "test values",
        },
        "design": {
            "boiler": {
                "capacity_kW": {
                    "max": 40.0,
                    "capex_per_unit": 150.0,
                    "lifetime_yr": 20.0,
                    "source": "test value",
                }
            }
        },
        **optimize,
    }
    return district_from_dict(data, file="boiler.toml")


# -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def boiler():
    """The type registered for this module's tests, then removed."""
    registered = nexus.register(GasBoilerType())
    yield registered
    nexus.unregister("gas_boiler")


@pytest.mark.integration
def test_a_unit_type_of_ones_own_simulates_reports_and_balances(boiler):
    ds = nexus.simulate(boiler_district())
    heat = ds["boiler_heat_kW"].sel(node="boiler")
    assert ds["node_type"].sel(node="boiler") == "gas_boiler"
    assert 0.0 < float(heat.max()) <= 5.0 + 1e-12  # it runs, within its capacity
    # it serves what the heat pump leaves: the heat network's demand is met by the two
    delivered = ds["heat_kW"].where(ds["heat_link_to"] == "heat_network", 0.0).sum("heat_link")
    network = ds.sel(node="heat_network")
    demand = network["space_heating_demand_kW"] + network["dhw_demand_kW"]
    unmet = network["space_heating_unmet_kW"] + network["dhw_unmet_kW"]
    np.testing.assert_allclose(delivered + unmet, demand, rtol=1e-12, atol=1e-9)
    table = nexus.kpis(ds)
    assert table["boiler: heat from gas [MWh/yr]"] == pytest.approx(float(heat.sum()) / 1000)
    assert table["boiler: gas cost [EUR/yr]"] > 0
    result = nexus.balances(ds)
    assert "boiler" in result
    for quantity, imbalance in result["boiler"].items():
        assert np.abs(imbalance).max() <= 1e-9, quantity
    assert np.abs(result["district"]["energy"]).max() <= 1e-9


@pytest.mark.integration
def test_a_unit_type_of_ones_own_is_sized_and_verified(boiler):
    from nexus.optimize import solve

    ds = solve(boiler_district(), typical_days=0)
    size = float(ds["capacity_kW"].sel(node="boiler")[0])
    assert 0.0 < size < 40.0  # neither nothing nor the most allowed
    # gas heat (0.12 / 0.9 per kWh) is cheaper than backup (0.15) but dearer than the heat
    # pump's: the boiler takes what the heat pump leaves, up to where a kW of capacity no
    # longer earns its annual cost (7.5 per kW and year)
    assert float(ds["opex_gas_per_yr"][0]) > 0
    op = ds["boiler_heat_kW"].sel(node="boiler")
    assert float(op.max()) <= size * (1 + 1e-9)
    # the same dispatch rule in both (heat pump first, then the boiler): the simulation of
    # the chosen design agrees with the optimizer to round-off
    assert abs(float(ds["gap_energy_frac"][0])) < 1e-9
    # the verification simulated the chosen size
    variant = boiler_district().with_sizes({"boiler": {"capacity_kW": size}})
    assert variant.units["boiler"].params.capacity_kW == pytest.approx(size)


@pytest.mark.component
def test_a_type_the_optimizer_cannot_model_is_named(boiler):
    class Passive(GasBoilerType):  # runs in a simulation, but says nothing to the optimizer
        name = "passive_boiler"
        sizes = ()
        build = nexus.UnitType.build

    nexus.register(Passive())
    try:
        data = copy.deepcopy(boiler_district().data)
        data["units"]["boiler"]["type"] = "passive_boiler"
        hp = {"max": 20.0, "capex_per_unit": 700.0, "lifetime_yr": 20.0, "source": "test"}
        data["optimize"]["design"] = {"gw_hp": {"capacity_kW": hp}}
        district = district_from_dict(data, file="passive.toml")
        nexus.simulate(district)  # simulates
        from nexus.optimize import solve

        with pytest.raises(nexus.DistrictError) as err:
            solve(district)
        assert "units.boiler" in str(err.value) and "passive_boiler" in str(err.value)
        assert "no optimizer model" in str(err.value)
    finally:
        nexus.unregister("passive_boiler")


@pytest.mark.component
def test_a_build_that_leaves_a_port_undefined_is_refused(boiler):
    """A model that says nothing of a connected heat outlet would let heat appear from
    nothing: building it is an error naming the type, the port and the unit."""
    from nexus.optimize import build_model

    class Leaky(GasBoilerType):
        name = "leaky_boiler"

        def build(self, ctx: BuildContext) -> None:
            ctx.var("heat", ctx.TIME, units="kW", doc="heat made, never supplied")

    nexus.register(Leaky())
    try:
        data = copy.deepcopy(boiler_district().data)
        data["units"]["boiler"]["type"] = "leaky_boiler"
        with pytest.raises(nexus.DistrictError) as err:
            build_model(district_from_dict(data, file="leaky.toml"))
        message = str(err.value)
        assert "units.boiler" in message and "'leaky_boiler'" in message
        assert "port 'heat'" in message and "boiler.heat -> heat_network.in" in message
    finally:
        nexus.unregister("leaky_boiler")


@pytest.mark.unit
def test_declarations_that_contradict_themselves_are_refused(boiler):
    class NoBuild(GasBoilerType):
        name = "sized_but_not_modelled"
        build = nexus.UnitType.build

    with pytest.raises(nexus.ParameterError, match="declares sizes but no build"):
        nexus.register(NoBuild())

    class Clash(GasBoilerType):  # the same output name with another meaning
        name = "clashing_boiler"
        outputs = (nexus.Output("cop", "kW", "not a coefficient of performance"),)

    with pytest.raises(nexus.ParameterError, match="'cop' is declared as"):
        nexus.register(Clash())

    class Reserved(GasBoilerType):
        name = "reserved_boiler"
        outputs = (nexus.Output("heat_kW", "kW", "a name results use for links"),)

    with pytest.raises(nexus.ParameterError, match="reserved name"):
        nexus.register(Reserved())

    class Passive(GasBoilerType):  # a sized unit cannot be passive: islands would drop it
        name = "passive_sized_boiler"
        passive = True

    with pytest.raises(nexus.ParameterError, match="passive type takes what arrives"):
        nexus.register(Passive())

    class WrongCategory(GasBoilerType):
        name = "wrong_category"
        ports = (nexus.Port("heat", "heat", "out", serves=("ev",)),)

    with pytest.raises(nexus.ParameterError, match="'ev' is not a heat demand category"):
        nexus.register(WrongCategory())
    with pytest.raises(nexus.ParameterError, match="registered already"):
        nexus.register(GasBoilerType())
    assert set(nexus.node_types()) >= {"gas_boiler"}
    assert "sized_but_not_modelled" not in nexus.node_types()


@pytest.mark.component
def test_a_district_and_its_types_pickle(boiler):
    district = boiler_district()
    back = pickle.loads(pickle.dumps(district))
    assert back.units["boiler"].type is boiler  # by name, through the registry
    assert back.units["boiler"].params == district.units["boiler"].params
    assert nexus.kpis(nexus.simulate(back)).equals(nexus.kpis(nexus.simulate(district)))


@pytest.mark.unit
def test_the_guide_shows_this_files_code():
    """docs/adding_a_unit.md walks through the code above: each of its Python blocks is in
    this file as written, so the guide cannot drift from code that runs."""
    guide = (ROOT / "docs" / "adding_a_unit.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", guide, re.S)
    source = Path(__file__).read_text()
    assert len(blocks) >= 4
    for block in blocks:
        assert block in source, block[:80]
