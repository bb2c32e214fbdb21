"""Validation of nexus.food's crop offtakes against their published tables.

Two checks, data in tests/validation/data/ with provenance and tolerances in their headers:

- food_offtakes.csv: every figure of nexus.food.CROPS is the one its source publishes
  (RB209 for P2O5 and K2O, the FAO Cropland Nutrient Budget coefficients for N, FAO's food
  balance sheets for food energy);
- food_offtakes_europe.csv: independent European figures (the EU Nitrogen Expert Panel's N,
  Panagos et al.'s P concentrations from EU and UK samples) agree with those offtakes
  within the stated tolerance, so that UK and world-mean tables can stand for Dutch fields.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nexus import food

pytestmark = pytest.mark.component

DATA = Path(__file__).parent / "data"


def read(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


PUBLISHED = read("food_offtakes.csv")
EUROPE = read("food_offtakes_europe.csv")


@pytest.mark.parametrize("row", PUBLISHED, ids=lambda r: f"{r['crop']}-{r['quantity']}")
def test_crop_figure_is_the_published_one(row):
    value = getattr(food.crop(row["crop"]), row["quantity"])
    assert value == pytest.approx(float(row["value"]), rel=float(row["rel_tol"]), abs=0.0)


def test_every_crop_figure_is_in_the_published_table():
    listed = {(r["crop"], r["quantity"]) for r in PUBLISHED}
    quantities = ("N_offtake_kg_t", "P2O5_offtake_kg_t", "K2O_offtake_kg_t", "energy_kcal_kg")
    assert listed == {(c, q) for c in food.CROPS for q in quantities}


@pytest.mark.parametrize(
    "row", [r for r in EUROPE if r["nutrient"] == "N"], ids=lambda r: r["crop"]
)
def test_nitrogen_offtake_agrees_with_the_eu_nitrogen_expert_panel(row):
    ours = food.crop(row["crop"]).N_offtake_kg_t
    theirs = float(row["N_kg_t"])
    assert abs(ours - theirs) / theirs <= float(row["rel_tol"]), (ours, theirs)


@pytest.mark.parametrize(
    "row", [r for r in EUROPE if r["nutrient"] == "P"], ids=lambda r: r["crop"]
)
def test_phosphate_offtake_lies_within_the_european_spread(row):
    """RB209's P2O5 per tonne against the mean +- one standard deviation of European samples."""
    dry = float(row["DM_pc"]) / 100.0
    mean = float(row["P_pc_DM"]) / 100.0 * dry * 1000.0 * food.P2O5_PER_P  # kg P2O5/t fresh
    sd = float(row["sd_P_pc_DM"]) / 100.0 * dry * 1000.0 * food.P2O5_PER_P
    ours = food.crop(row["crop"]).P2O5_offtake_kg_t
    assert abs(ours - mean) <= sd, (ours, mean, sd)
