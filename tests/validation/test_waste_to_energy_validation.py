"""Validation of nexus.units.waste_to_energy against Beijing plants, and the Chaoyang
brochure's waste-heat saving checked for plausibility with the model.

tests/validation/data/wte_beijing_plants.csv states the provenance of the plant figures
and the reason for the tolerance in its header. The heat pump's COP is
:func:`nexus.units.heat_recovery.carnot_cop`, validated in
``test_heat_recovery_validation.py`` (no new COP model here).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import nexus
from nexus.units import waste_to_energy as wte

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
#: Beijing's metered heat price, 0.16 CNY/kWh (44.45 CNY/GJ): Beijing Municipal Government,
#: "Home heating" (english.beijing.gov.cn, 2020).
HEAT_PRICE_CNY_kWh = 0.16
#: The brochure's waste-heat saving, English text and Chinese text (233万元) [CNY/yr]:
#: Party School of Beijing Chaoyang District (2016), via the ICLEI brochure.
SAVING_EN_CNY, SAVING_ZH_CNY = 233e6, 2.33e6


def plants() -> dict[str, float]:
    with open(DATA / "wte_beijing_plants.csv", newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {r["name"]: float(r["electricity_kWh_t"]) for r in rows}


@pytest.mark.component
def test_electricity_per_tonne_lies_between_the_beijing_plants():
    """Gross electricity per tonne in condensing mode (no heat taken), nexus defaults."""
    p = wte.WasteToEnergyParams(throughput_t_d=1000.0)
    r = wte.wte_chp([0.0], p)
    tonnes_h = p.throughput_t_d / 24.0
    gross_kWh_t = float(r.electricity_gross_kW[0]) / tonnes_h
    net_kWh_t = float(r.electricity_net_kW[0]) / tonnes_h
    low, high = plants()["tongzhou"], plants()["gaoantun"]
    assert low <= gross_kWh_t <= high
    # all the heat it can give: net electricity plus heat within the 70-90 % a vendor states
    # for such plants at maximum extraction (_HZI), through the extraction's power loss
    at_most = wte.wte_chp([1e12], p)  # far above what it can give
    fuel = float(at_most.fuel_kW[0])
    total = float(at_most.electricity_net_kW[0] + at_most.heat_kW[0]) / fuel
    assert 0.70 <= total <= 0.90, total
    assert float(at_most.electricity_net_kW[0]) / tonnes_h < net_kWh_t  # heat costs power


@pytest.fixture(scope="module")
def chaoyang():
    district = nexus.load_district(ROOT / "districts" / "chaoyang.toml")
    return district, nexus.simulate(district)


@pytest.mark.integration
def test_the_english_saving_exceeds_all_the_plants_fuel_sold_as_heat(chaoyang):
    """RMB 233 million a year would be more than every kWh of the waste burnt, sold as heat
    at Beijing's metered price: impossible for waste heat alone."""
    _, ds = chaoyang
    fuel_kWh = float(ds["waste_fuel_kW"].sel(node="wte").sum())
    assert SAVING_EN_CNY > fuel_kWh * HEAT_PRICE_CNY_kWh


@pytest.mark.integration
def test_the_chinese_saving_fits_the_heat_of_a_heating_season(chaoyang):
    """RMB 2.33 million a year is heat the plant can give in one heating season (its
    extraction limit over the season's hours, at Beijing's price), and of the order of what
    the park's network takes (within a factor 3; the floor area is an ASSUMPTION of the
    district file, so this order is all the check claims)."""
    from nexus.buildings import in_season

    district, ds = chaoyang
    season = in_season(ds.indexes["time"], 319, 74)
    p = district.units["wte"].params
    fuel = ds["waste_fuel_kW"].sel(node="wte").to_numpy()
    can_give_CNY = float((p.heat_max_frac * fuel * season).sum()) * HEAT_PRICE_CNY_kWh
    assert can_give_CNY > SAVING_ZH_CNY
    net = ds.sel(node="heat_network")
    taken_kWh = float((net["space_heating_demand_kW"] - net["space_heating_unmet_kW"]).sum())
    value = taken_kWh * HEAT_PRICE_CNY_kWh
    assert SAVING_ZH_CNY / 3 < value < 3 * SAVING_ZH_CNY
