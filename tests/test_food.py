"""Food grown with the recovered nutrients (nexus.food) and its key figures.

Hand-computed cases use the offtakes of nexus.food.CROPS (their sources are validated in
tests/validation/test_food_validation.py): potatoes take 2.735 kg N, 1.0 kg P2O5 and
5.8 kg K2O per tonne of tubers, that is 1.0 / 2.29141 = 0.436412 kg P and
5.8 / 1.20459 = 4.81493 kg K (nexus's molar masses: P 30.9738, K 39.102, O 16.0 g/mol).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import nexus
from nexus import food
from nexus.constants import MOLAR_MASS_g_mol

POTATOES = food.crop("potatoes")
WHEAT = food.crop("winter_wheat")
P_PER_T = 2 * 30.9738 / (2 * 30.9738 + 5 * 16.0)  # kg P per t of potatoes: 1 kg P2O5
K_PER_T = 5.8 * 2 * 39.102 / (2 * 39.102 + 16.0)  # kg K per t of potatoes: 5.8 kg K2O


@pytest.mark.unit
def test_conversion_factors_are_the_fertilizer_label_convention():
    assert food.P2O5_PER_P == pytest.approx(2.2914, abs=5e-5)
    assert food.K2O_PER_K == pytest.approx(1.2046, abs=5e-5)
    assert POTATOES.offtake_kg_t("P") == pytest.approx(P_PER_T, rel=1e-5)
    assert POTATOES.offtake_kg_t("K") == pytest.approx(K_PER_T, rel=1e-5)
    assert POTATOES.offtake_kg_t("N") == 2.735
    with pytest.raises(nexus.ParameterError, match=r"element = 'Mg'.*N, P, K"):
        POTATOES.offtake_kg_t("Mg")


@pytest.mark.unit
def test_every_crop_figure_has_a_source():
    assert set(food.CROPS) == {"potatoes", "winter_wheat", "onions", "cabbage"}
    for c in food.CROPS.values():
        for key in ("N_offtake_kg_t", "P2O5_offtake_kg_t", "K2O_offtake_kg_t", "energy_kcal_kg"):
            assert getattr(c, key) > 0 and c.sources[key], (c.name, key)
    with pytest.raises(nexus.ParameterError, match="has no source"):
        food.Crop(
            name="x",
            plain="x",
            product="x",
            N_offtake_kg_t=1.0,
            P2O5_offtake_kg_t=1.0,
            K2O_offtake_kg_t=1.0,
            energy_kcal_kg=1.0,
            sources={},
        )


@pytest.mark.unit
def test_the_limiting_nutrient_decides_the_harvest():
    # 27.35 kg N covers 10 t, 20 t worth of P covers 20 t, K not recovered: 10 t, N limits
    P_kg = 20.0 * P_PER_T
    assert float(food.harvest_t(27.35, P_kg, None, crop=POTATOES)) == pytest.approx(10.0)
    assert str(food.limiting_nutrient(27.35, P_kg, None, crop=POTATOES)) == "N"
    by = food.harvest_by_nutrient_t(27.35, P_kg, None, crop=POTATOES)
    assert set(by) == {"N", "P"}
    assert float(by["P"]) == pytest.approx(20.0)
    # more N: phosphorus limits
    assert float(food.harvest_t(273.5, P_kg, None, crop=POTATOES)) == pytest.approx(20.0)
    assert str(food.limiting_nutrient(273.5, P_kg, None, crop=POTATOES)) == "P"
    # K recovered, and scarcer than both: 5 t, K limits
    K_kg = 5.0 * K_PER_T
    assert float(food.harvest_t(273.5, P_kg, K_kg, crop=POTATOES)) == pytest.approx(5.0)
    assert str(food.limiting_nutrient(273.5, P_kg, K_kg, crop=POTATOES)) == "K"


@pytest.mark.unit
def test_a_nutrient_not_recovered_differs_from_one_recovered_at_zero():
    """None: no unit recovers it, mineral fertilizer supplies it, it does not limit;
    0: a unit recovers nothing of it (a reactor not built), the harvest is 0."""
    P_kg = 20.0 * P_PER_T
    assert float(food.harvest_t(None, P_kg, None, crop=POTATOES)) == pytest.approx(20.0)
    assert float(food.harvest_t(0.0, P_kg, None, crop=POTATOES)) == 0.0
    assert str(food.limiting_nutrient(0.0, P_kg, None, crop=POTATOES)) == "N"
    with pytest.raises(nexus.ParameterError, match="no nutrient recovered"):
        food.harvest_t(None, None, None, crop=POTATOES)
    with pytest.raises(nexus.ParameterError, match="no nutrient recovered"):
        food.limiting_nutrient(None, None, crop=POTATOES)


@pytest.mark.unit
def test_harvest_broadcasts_and_propagates_nan():
    N = np.array([27.35, 54.0, np.nan])
    h = food.harvest_t(N, 20.0 * P_PER_T, crop=POTATOES)
    np.testing.assert_allclose(h[:2], [10.0, 54.0 / 2.735])
    assert np.isnan(h[2])
    assert list(food.limiting_nutrient(N, 20.0 * P_PER_T, crop=POTATOES)) == ["N", "N", ""]
    grid = food.harvest_t(np.array([[27.35], [54.7]]), np.array([1.0, 100.0]), crop=WHEAT)
    assert grid.shape == (2, 2)


@pytest.mark.unit
@pytest.mark.parametrize("argument", ["N_kg", "P_kg", "K_kg"])
def test_a_negative_amount_names_its_argument(argument):
    amounts = {"N_kg": 1.0, "P_kg": 1.0, "K_kg": 1.0, argument: -1.0}
    with pytest.raises(nexus.ParameterError, match=rf"{argument} has a negative value"):
        food.harvest_t(**amounts, crop=POTATOES)
    with pytest.raises(nexus.ParameterError, match=rf"{argument} has a negative value"):
        food.fertilizer_value(**amounts)


@pytest.mark.unit
def test_an_unknown_crop_names_the_known_ones():
    with pytest.raises(nexus.ParameterError) as err:
        food.crop("bananas")
    message = str(err.value)
    assert "crop = 'bananas'" in message
    assert "potatoes, winter_wheat, onions, cabbage" in message


@pytest.mark.unit
def test_people_fed_by_food_energy():
    # 1 t of wheat grain: 3,340,000 kcal over 2,700 kcal x 365 d = 3.3892 people
    assert float(food.people_fed(1000.0, crop=WHEAT)) == pytest.approx(
        3_340_000 / (2700 * 365), rel=1e-12
    )
    assert float(food.people_fed(1000.0, crop=WHEAT, food_energy_kcal_p_d=2000.0)) == (
        pytest.approx(3_340_000 / (2000 * 365), rel=1e-12)
    )
    with pytest.raises(nexus.ParameterError, match="harvest_kg has a negative value"):
        food.people_fed(-1.0, crop=WHEAT)
    with pytest.raises(nexus.ParameterError, match="food_energy_kcal_p_d"):
        food.people_fed(1.0, crop=WHEAT, food_energy_kcal_p_d=0.0)


@pytest.mark.unit
def test_fertilizer_value_at_the_cited_prices():
    # 100 kg N x 1.00 + 10 kg P x 2.29141 x 0.78 + 10 kg K x 1.20459 x 0.475 EUR/kg
    M = MOLAR_MASS_g_mol
    P2O5 = M["P2O5"] / (2 * M["P"])
    K2O = M["K2O"] / (2 * M["K"])
    expected = 100.0 * 1.00 + 10.0 * P2O5 * 0.78 + 10.0 * K2O * 0.475
    assert expected == pytest.approx(123.595, abs=1e-3)
    assert float(food.fertilizer_value(100.0, 10.0, 10.0)) == pytest.approx(expected, rel=1e-12)
    assert float(food.fertilizer_value(100.0, 10.0, None)) == pytest.approx(
        100.0 + 10.0 * P2O5 * 0.78, rel=1e-12
    )
    dear = food.FertilizerPrices(N_per_kg=2.0, P2O5_per_kg=0.0, K2O_per_kg=0.0)
    assert float(food.fertilizer_value(100.0, 10.0, 10.0, prices=dear)) == 200.0
    with pytest.raises(nexus.ParameterError, match=r"FertilizerPrices.N_per_kg = -1.0"):
        food.FertilizerPrices(N_per_kg=-1.0)


@pytest.mark.unit
def test_food_kpis_say_which_nutrients_mineral_fertilizer_supplies():
    assert food.food_kpis({}) == {}
    assert food.food_kpis({"N": None, "P": None}) == {}
    struvite = food.food_kpis({"N": 27.35, "P": 20.0 * P_PER_T}, crops=[POTATOES])
    harvest = (
        "food grown: potatoes, fully fertilized by the recovered N and P "
        "(K from mineral fertilizer) [kg/yr]"
    )
    people = "food grown: potatoes, people fed (food energy at 2,700 kcal a day) [people]"
    value = (
        "fertilizer value of the recovered nutrients, at Dutch mineral-fertilizer prices [EUR/yr]"
    )
    assert list(struvite) == [value, harvest, people]
    assert struvite[harvest] == pytest.approx(10_000.0)
    assert struvite[people] == pytest.approx(10_000.0 * 670.0 / (2700 * 365))
    everything = food.food_kpis({"N": 1.0, "P": 1.0, "K": 1.0}, crops=[POTATOES])
    assert (
        "food grown: potatoes, fully fertilized by the recovered N, P and K [kg/yr]" in everything
    )
    p_only = food.food_kpis({"P": 1.0}, crops=[POTATOES])
    assert any("recovered P (N and K from mineral fertilizer)" in k for k in p_only)
    assert len(food.food_kpis({"N": 1.0, "P": 1.0})) == 1 + 2 * len(food.CROPS)


@pytest.mark.unit
def test_harvest_table_names_the_limiting_nutrient():
    table = food.harvest_table({"N": 27.35, "P": 20.0 * P_PER_T})
    assert list(table.index) == list(food.CROPS)
    row = table.loc["potatoes"]
    assert row["limiting_nutrient"] == "N"
    assert row["harvest_kg_yr"] == pytest.approx(10_000.0)
    assert row["by_P_kg_yr"] == pytest.approx(20_000.0)
    assert math.isnan(row["by_K_kg_yr"])


@pytest.mark.integration
def test_buiksloterham_food_follows_its_recovered_n_and_p(buiksloterham_ds):
    """The struvite carries N and P, no unit recovers K: each crop is fully fertilized
    up to its limiting nutrient (N: struvite has 0.45 kg N per kg P, every crop asks more),
    K comes from mineral fertilizer, and no unit reports a crop of its own."""
    table = nexus.kpis(buiksloterham_ds)
    N = table["nitrogen recovered for farms [kg/yr]"]
    P = table["phosphorus recovered for farms [kg/yr]"]
    assert N > 0 and P > 0
    assert "potassium recovered for farms [kg/yr]" not in table
    value = table[
        "fertilizer value of the recovered nutrients, at Dutch mineral-fertilizer prices [EUR/yr]"
    ]
    assert value == pytest.approx(N * 1.00 + P * food.P2O5_PER_P * 0.78, rel=1e-12)
    for c in food.CROPS.values():
        harvest = table[
            f"food grown: {c.plain}, fully fertilized by the recovered N and P "
            "(K from mineral fertilizer) [kg/yr]"
        ]
        by_N, by_P = N / c.N_offtake_kg_t, P * food.P2O5_PER_P / c.P2O5_offtake_kg_t
        assert harvest == pytest.approx(1000.0 * min(by_N, by_P), rel=1e-12)
        assert by_N < by_P  # nitrogen limits
        people = table[
            f"food grown: {c.plain}, people fed (food energy at 2,700 kcal a day) [people]"
        ]
        assert people == pytest.approx(harvest * c.energy_kcal_kg / (2700 * 365), rel=1e-12)
    assert not [k for k in table.index if k.startswith("struvite: crop")]
