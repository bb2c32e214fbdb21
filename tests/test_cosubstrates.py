"""The co-substrate source: presets, compositions, delivery and annual totals, file errors."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nexus
from nexus.components import INDEX, element_indices
from nexus.cosubstrates import (
    COD_PER_G,
    PRESET_SOURCES,
    PRESETS,
    Composition,
    CosubstrateParams,
    composition_from_mass,
    cosubstrate_stream,
    loads_per_kg,
)
from nexus.district import district_from_dict
from nexus.errors import ParameterError

ROOT = Path(__file__).resolve().parent.parent
YEAR = pd.date_range("2025-01-01", periods=8760, freq="h")
COD = list(element_indices("COD"))
FRACTIONS = ("carbohydrate_frac", "protein_frac", "lipid_frac", "inert_frac")


@pytest.mark.unit
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_are_consistent_with_their_sources(name):
    c = PRESETS[name]
    figures = {k: v for k, (v, _) in PRESET_SOURCES[name].items()}
    assert sum(getattr(c, f) for f in FRACTIONS) == pytest.approx(1.0, abs=1e-12)
    assert c.DM_frac == figures["DM_frac"]
    assert c.VS_frac_DM == pytest.approx(figures["VS_frac_DM"], rel=1e-12)
    assert c.P_frac_DM == figures["P_frac_DM"]
    if "N_frac_DM" in figures:
        assert c.N_frac_DM == figures["N_frac_DM"]
    # every figure names a source (or says it is an assumption)
    assert all(len(source) > 20 for _, source in PRESET_SOURCES[name].values())
    # one kg wet carries the composition's COD, N, P and dry matter
    v = loads_per_kg(c)
    assert v[COD].sum() == pytest.approx(c.DM_frac * c.VS_frac_DM * c.COD_per_VS_kg_kg, rel=1e-12)
    assert v[INDEX["Norg_N"]] + v[INDEX["NH4_N"]] == pytest.approx(c.DM_frac * c.N_frac_DM)
    assert v[INDEX["Porg_P"]] == pytest.approx(c.DM_frac * c.P_frac_DM)
    assert v[INDEX["COD_x"]] == 0.0 and v[INDEX["COD_s"]] == 0.0


@pytest.mark.unit
def test_presets_hold_exactly_the_nitrogen_adm1_reads_in_protein_and_inerts():
    """Derived presets need no N-free reading: their protein carries N_aa, their inerts N_I."""
    from nexus.units import adm1
    from nexus.units.digester import M_N, feed_to_adm1

    for name, c in PRESETS.items():
        v = loads_per_kg(c)[None, :] * 1000.0
        x = feed_to_adm1(v, np.array([1.0]))
        assert float(x["X_pr"][0]) == pytest.approx(v[0, INDEX["COD_pr"]], rel=1e-12), name
        p = adm1.ADM1Params()
        held = (p.N_aa * v[0, INDEX["COD_pr"]] + p.N_I * v[0, INDEX["COD_xI"]]) * M_N
        assert held == pytest.approx(v[0, INDEX["Norg_N"]], rel=1e-9), name


@pytest.mark.unit
def test_grease_trap_is_mostly_lipid_and_food_waste_mixed():
    g, f = PRESETS["grease_trap"], PRESETS["catering_food_waste"]
    assert g.lipid_frac > 0.8 and g.carbohydrate_frac == 0.0
    assert 0.1 < f.carbohydrate_frac < f.lipid_frac and f.protein_frac > 0.1
    # COD per VS between that of carbohydrate and of lipid
    for c in PRESETS.values():
        assert COD_PER_G["carbohydrate"] < c.COD_per_VS_kg_kg < COD_PER_G["lipid"]


@pytest.mark.unit
def test_composition_from_mass_checks_its_arguments():
    with pytest.raises(ParameterError, match="exactly one of N_frac_DM and protein_frac_DM"):
        composition_from_mass(
            DM_frac=0.1, VS_frac_DM=0.9, inert_frac_DM=0.0, P_frac_DM=0.0, lipid_frac_DM=0.5
        )
    with pytest.raises(ParameterError, match="do not fit in the volatile solids"):
        composition_from_mass(
            DM_frac=0.1,
            VS_frac_DM=0.5,
            inert_frac_DM=0.0,
            P_frac_DM=0.0,
            protein_frac_DM=0.3,
            lipid_frac_DM=0.4,
        )


@pytest.mark.unit
def test_composition_rejects_fractions_that_do_not_sum_to_one_and_bad_values():
    good = dataclasses.asdict(PRESETS["grease_trap"])
    with pytest.raises(ParameterError, match="expected the COD fractions to sum to 1"):
        Composition(**{**good, "inert_frac": good["inert_frac"] + 0.1})
    with pytest.raises(ParameterError, match=r"DM_frac = 0\.0; expected a number > 0"):
        Composition(**{**good, "DM_frac": 0.0})
    with pytest.raises(ParameterError, match=r"lipid_frac = nan; expected a number in 0..1"):
        Composition(**{**good, "lipid_frac": float("nan")})


def _params(**kw) -> CosubstrateParams:
    base = dict(
        amount_kg_yr=365_000.0,
        delivery="constant",
        T_C=12.0,
        density_kg_m3=1000.0,
        composition=PRESETS["grease_trap"],
    )
    return CosubstrateParams(**{**base, **kw})


@pytest.mark.unit
@pytest.mark.parametrize("delivery", ["constant", "weekdays"])
def test_annual_totals_are_exact(delivery):
    p = _params(delivery=delivery)
    s = cosubstrate_stream(p, YEAR)
    wet = s.flow_m3_h * p.density_kg_m3
    assert wet.sum() == pytest.approx(365_000.0, rel=1e-12)
    per_kg = loads_per_kg(p.composition)
    np.testing.assert_allclose(s.loads_kg_h.sum(axis=0), per_kg * 365_000.0, rtol=1e-12)
    weekend = np.asarray(YEAR.day_of_week >= 5)
    if delivery == "weekdays":
        assert (wet[weekend] == 0).all() and (wet[~weekend] > 0).all()
    else:
        np.testing.assert_allclose(wet, 365_000.0 / 8760)
    assert (s.T_C == 12.0).all()


@pytest.mark.unit
def test_density_sets_the_volume_and_nothing_delivered_is_zero():
    s = cosubstrate_stream(_params(density_kg_m3=950.0), YEAR)
    assert s.flow_m3_h.sum() == pytest.approx(365_000.0 / 950.0, rel=1e-12)
    z = cosubstrate_stream(_params(amount_kg_yr=0.0, delivery="weekdays"), YEAR[-48:])
    assert (z.flow_m3_h == 0).all() and (z.loads_kg_h == 0).all()
    with pytest.raises(ParameterError, match="has no hour on this time axis"):
        cosubstrate_stream(_params(delivery="weekdays"), YEAR[72:120])  # a Saturday and Sunday


def _small_with_grease(**grease) -> dict:
    data = tomllib.loads((ROOT / "tests" / "data" / "small_district.toml").read_text())
    data["sources"]["grease"] = {"type": "cosubstrate", "T_C": 12.0, **grease}
    data["connections"].append("grease.out -> sewer.in")
    return data


@pytest.mark.component
def test_a_file_with_amount_per_day_and_a_composition_table_runs_and_totals_are_exact():
    comp = {k: v for k, v in dataclasses.asdict(PRESETS["catering_food_waste"]).items()}
    data = _small_with_grease(amount_kg_d=100.0, delivery="weekdays", composition=comp)
    district = district_from_dict(data, file="mem.toml")
    params = district.sources["grease"].params
    assert params.amount_kg_yr == pytest.approx(36_500.0)
    assert params.composition == PRESETS["catering_food_waste"]
    ds = nexus.simulate(district)
    delivered = ds["cosubstrate_delivered_kg_h"].sel(node="grease")
    assert float(delivered.sum()) == pytest.approx(36_500.0, rel=1e-12)
    stream = (ds["stream_from"] == "grease").values
    cod = ds["load_kg_h"].values[:, stream][..., COD].sum()
    per_kg = loads_per_kg(PRESETS["catering_food_waste"])[COD].sum()
    assert cod == pytest.approx(36_500.0 * per_kg, rel=1e-12)
    result = nexus.balances(ds)
    assert max(np.abs(v).max() for v in result["district"].values()) <= 1e-9
    kpis = nexus.kpis(ds)
    assert kpis["grease: co-substrate delivered [kg/yr]"] == pytest.approx(36_500.0, rel=1e-12)


@pytest.mark.component
@pytest.mark.parametrize(
    ("grease", "key", "text"),
    [
        (
            {
                "amount_t_yr": 1.0,
                "preset": "grease_trap",
                "composition": dataclasses.asdict(PRESETS["grease_trap"]),
            },
            "sources.grease",
            "expected exactly one of preset",
        ),
        ({"amount_t_yr": 1.0}, "sources.grease", "expected exactly one of preset"),
        (
            {"amount_t_yr": 1.0, "amount_kg_d": 1.0, "preset": "grease_trap"},
            "sources.grease",
            "expected exactly one of amount_t_yr",
        ),
        (
            {"amount_t_yr": 1.0, "preset": "supermarket"},
            "sources.grease.preset",
            "'grease_trap', 'catering_food_waste' or 'kitchen_waste'",
        ),
        (
            {
                "amount_t_yr": 1.0,
                "composition": {
                    **dataclasses.asdict(PRESETS["grease_trap"]),
                    "carbohydrate_frac": 0.3,
                },
            },
            "sources.grease.composition.inert_frac",
            "expected: the COD fractions to sum to 1, but carbohydrate_frac 0.3 + protein_frac",
        ),
    ],
)
def test_bad_tables_name_the_key(grease, key, text):
    with pytest.raises(nexus.DistrictError) as info:
        district_from_dict(_small_with_grease(**grease), file="mem.toml")
    assert info.value.key == key, str(info.value)
    assert text in str(info.value)
    assert str(info.value).startswith("mem.toml: ")
