"""Costs by unit, the plant against the energy bill, and CO2 (nexus.costs)."""

from __future__ import annotations

import math

import pytest

import nexus
from nexus.costs import annuity_factor, capital_per_yr, cost_table
from nexus.district import district_from_dict

CUR = "EUR"


def kpi(table, name: str) -> float:
    return float(table[name])


@pytest.mark.unit
def test_capital_is_the_annuity_of_the_cost_lines_at_the_files_sizes(buiksloterham):
    d = buiksloterham
    rate = d.optimize.discount_rate_frac
    lines = d.optimize.design["gw_hp"]
    params = d.units["gw_hp"].params
    sizes = {
        "area_m2": params["exchanger"].area_m2,
        "capacity_kW": params["heat_pump"].capacity_kW,
        "capacity_kWh": params["store"].capacity_kWh,
    }
    by_hand = sum(
        annuity_factor(rate, lines[k].lifetime_yr)
        * (lines[k].capex_per_unit * v + (lines[k].capex_fixed if v > 0 else 0.0))
        for k, v in sizes.items()
    )
    assert capital_per_yr(d, "gw_hp") == pytest.approx(by_hand, rel=1e-12)
    # a unit without cost lines is not priced, not free
    assert "struvite" not in d.optimize.design
    assert math.isnan(capital_per_yr(d, "struvite"))
    assert math.isnan(capital_per_yr(d, "dwhr"))


@pytest.mark.integration
def test_the_energy_bill_is_what_the_grid_and_the_backup_sell_at_the_files_prices(
    buiksloterham, buiksloterham_ds
):
    prices = buiksloterham.optimize.prices
    k = nexus.kpis(buiksloterham_ds)
    bought = kpi(k, "grid: electricity bought [MWh/yr]") * 1000.0
    sold = kpi(k, "grid: electricity sold [MWh/yr]") * 1000.0
    heat_backup = (
        kpi(k, "space heating and hot water demand [MWh/yr]") - kpi(k, "heat delivered [MWh/yr]")
    ) * 1000.0
    ev_backup = (
        kpi(k, "electric-vehicle charging demand [MWh/yr]")
        - kpi(k, "ev: charged by district units [MWh/yr]")
    ) * 1000.0
    digester_backup = float(buiksloterham_ds["heat_backup_kW"].sel(node="digester").sum())
    expected = (
        bought * prices.electricity_import_per_kWh
        - sold * prices.electricity_export_per_kWh
        + (heat_backup + digester_backup) * prices.heat_backup_per_kWh
        + ev_backup * prices.electricity_import_per_kWh
    )
    assert kpi(k, f"district energy bill [{CUR}/yr]") == pytest.approx(expected, rel=1e-9)
    chemicals = kpi(k, f"struvite: chemicals cost [{CUR}/yr]")
    assert kpi(k, f"plant cost: chemicals [{CUR}/yr]") == pytest.approx(chemicals, rel=1e-12)
    capital = sum(capital_per_yr(buiksloterham, u) for u in ("gw_hp", "digester", "chp"))
    assert kpi(k, f"plant cost: annualized capital [{CUR}/yr]") == pytest.approx(capital)
    assert kpi(k, f"cost, plant and energy bill [{CUR}/yr]") == pytest.approx(
        expected + chemicals + capital, rel=1e-9
    )


@pytest.mark.integration
def test_cost_table_rows_add_up_by_unit(buiksloterham_ds):
    table = cost_table(buiksloterham_ds)
    assert {"gw_hp", "digester", "chp", "struvite", "grid", "heat_network", "ev"} <= set(
        table.index
    )
    assert table.loc["struvite", "plant"] == pytest.approx(table.loc["struvite", "chemicals"])
    assert math.isnan(table.loc["struvite", "capital"])  # not priced, shown as such
    assert table.loc["dwhr"].drop(["plant", "energy bill", "total"]).isna().all()
    assert table["total"].sum() == pytest.approx(
        table["plant"].sum() + table["energy bill"].sum(), rel=1e-12
    )


@pytest.mark.integration
def test_co2_is_the_energy_bought_and_displaced_times_the_files_factors(
    buiksloterham, buiksloterham_ds
):
    f = buiksloterham.emissions
    k = nexus.kpis(buiksloterham_ds)
    el_bought = kpi(k, "grid: electricity bought [MWh/yr]") + (
        kpi(k, "electric-vehicle charging demand [MWh/yr]")
        - kpi(k, "ev: charged by district units [MWh/yr]")
    )
    heat_bought = (
        kpi(k, "space heating and hot water demand [MWh/yr]") - kpi(k, "heat delivered [MWh/yr]")
    ) + float(buiksloterham_ds["heat_backup_kW"].sel(node="digester").sum()) / 1000.0
    emitted = el_bought * f.electricity_kg_per_kWh + heat_bought * f.heat_kg_per_kWh
    assert kpi(k, "CO2 emitted by the energy bought [t/yr]") == pytest.approx(emitted, rel=1e-9)
    avoided = (
        kpi(k, "grid: electricity sold [MWh/yr]") * f.electricity_kg_per_kWh
        + kpi(k, "heat delivered [MWh/yr]") * f.heat_kg_per_kWh
    )
    assert kpi(k, "CO2 avoided by the heat delivered and electricity sold [t/yr]") == (
        pytest.approx(avoided, rel=1e-9)
    )


@pytest.mark.integration
def test_without_prices_or_factors_nothing_is_made_up(buiksloterham):
    data = dict(buiksloterham.data)
    data["optimize"] = {k: v for k, v in data["optimize"].items() if k != "prices"}
    data.pop("emissions")
    bare = district_from_dict(data, file="bare.toml")
    k = nexus.kpis(nexus.simulate(bare))
    assert f"district energy bill [{CUR}/yr]" not in k
    assert not any("CO2" in name for name in k.index)
    assert kpi(k, f"plant cost, priced units [{CUR}/yr]") > 0  # capital and chemicals stay
