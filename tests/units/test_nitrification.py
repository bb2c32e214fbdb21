"""Tests of nexus.units.nitrification: the stoichiometric MBBR, its unit type, its map."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

import nexus
from nexus.components import INDEX
from nexus.constants import MOLAR_MASS_g_mol
from nexus.district import district_from_dict
from nexus.errors import DistrictError, ParameterError
from nexus.units import nitrification as nit

ROOT = Path(__file__).resolve().parents[2]
M = MOLAR_MASS_g_mol


def urine_like(N_kg_h, alk_per_N=1.0):
    """Ammonium and as many mol (times alk_per_N) of bicarbonate alkalinity [kg/h]."""
    N = np.asarray(N_kg_h, dtype=float)
    return N, N / M["N"] * alk_per_N * M["HCO3"]


@pytest.mark.unit
def test_alkalinity_limits_to_about_half():
    r = nit.nitrify(*urine_like(1.7), params=nit.NitrificationParams(V_m3=1e3))
    assert float(r.NH4_oxidized_kmol_h) * M["N"] / 1.7 == pytest.approx(1 / 1.98, rel=1e-12)
    assert float(r.limit) == 1.0


@pytest.mark.unit
def test_base_raises_conversion_until_all_ammonium():
    conv = []
    for dose in (0.0, 0.5, 1.0):
        p = nit.NitrificationParams(V_m3=1e3, NaOH_to_N_dose=dose)
        r = nit.nitrify(*urine_like(1.7), params=p)
        conv.append(float(r.NH4_oxidized_kmol_h) * M["N"] / 1.7)
        assert float(r.NaOH_kg_h) == pytest.approx(dose * 1.7 / M["N"] * M["NaOH"])
    assert conv[0] < conv[1] < conv[2] == pytest.approx(1.0)


@pytest.mark.unit
def test_volume_limits_at_the_rate():
    p = nit.NitrificationParams(V_m3=1.0, rate_gN_m3_d=640.0)
    r = nit.nitrify(*urine_like(10.0), params=p)
    assert float(r.NO3_N_kg_h) == pytest.approx(0.640 / 24.0, rel=1e-12)
    assert float(r.limit) == 2.0
    r0 = nit.nitrify(*urine_like(10.0), params=nit.NitrificationParams())
    assert float(r0.NO3_N_kg_h) == 0.0  # not built


@pytest.mark.unit
def test_oxygen_and_electricity_per_N():
    r = nit.nitrify(*urine_like(1.0), params=nit.NitrificationParams(V_m3=1e3))
    O2_per_N = float(r.O2_kg_h / r.NO3_N_kg_h)
    assert O2_per_N == pytest.approx(1.83 * 32.0 / (0.979 * M["N"]), rel=1e-12)
    assert 4.18 < O2_per_N < 4.57  # growth takes some electrons: below 4.57 g O2/g N
    assert float(r.electricity_kW) == pytest.approx(float(r.O2_kg_h) / 3.95)


@pytest.mark.unit
def test_arrays_broadcast_and_nan_propagates():
    N = np.array([0.0, 1.0, np.nan])
    r = nit.nitrify(N, N / M["N"] * M["HCO3"], params=nit.NitrificationParams(V_m3=10.0))
    assert r.NO3_N_kg_h.shape == (3,)
    assert r.NO3_N_kg_h[0] == 0.0 and r.NO3_N_kg_h[1] > 0 and np.isnan(r.NO3_N_kg_h[2])
    assert np.isnan(r.limit[2])


@pytest.mark.unit
@pytest.mark.parametrize(("arg", "value"), [("NH4_N_kg_h", -1.0), ("alkalinity_HCO3_kg_h", np.inf)])
def test_bad_input_names_the_argument(arg, value):
    kw = {"NH4_N_kg_h": 1.0, "alkalinity_HCO3_kg_h": 1.0, arg: value}
    with pytest.raises(ParameterError, match=arg):
        nit.nitrify(kw["NH4_N_kg_h"], kw["alkalinity_HCO3_kg_h"], params=nit.NitrificationParams())


@pytest.mark.unit
def test_params_checked_and_sourced():
    with pytest.raises(ParameterError, match="NaOH_to_N_dose"):
        nit.NitrificationParams(NaOH_to_N_dose=-1.0)
    with pytest.raises((ParameterError, TypeError)):
        nit.NitrificationParams(volume=1.0)  # type: ignore[call-arg]


@pytest.mark.unit
def test_free_ammonia_rises_with_pH_and_temperature():
    fa = nit.free_ammonia_N_mg_L(1700.0, np.array([6.0, 7.0, 8.0]), 25.0)
    assert np.all(np.diff(fa) > 0)
    assert nit.free_ammonia_N_mg_L(1700.0, 8.0, 35.0) > nit.free_ammonia_N_mg_L(1700.0, 8.0, 25.0)
    with pytest.raises(ParameterError, match="pH"):
        nit.free_ammonia_N_mg_L(1.0, 15.0, 20.0)


# ------------------------------------------------------------------ in a district


def district_data(V_m3: float = 5.0, *, after: str = "struvite", **unit) -> dict:
    """Buiksloterham's network with the struvite reactor's (or, without that reactor, the
    digester's) effluent nitrified for a farm (a test fixture: the lead's N-recovery
    variant of the preset is its own)."""
    data = tomllib.loads((ROOT / "districts" / "buiksloterham.toml").read_text())
    if after == "digester":
        del data["units"]["struvite"]
        data["optimize"]["design"].pop("struvite", None)
    gone = {"struvite.out -> sewer.in", "digester.out -> struvite.in"}
    data["connections"] = [c for c in data["connections"] if c not in gone]
    data["connections"] += [
        f"{after}.out -> nitri.in",
        "nitri.out -> farm.in",
        "grid.out -> nitri.power",
    ]
    if after == "struvite":
        data["connections"].append("digester.out -> struvite.in")
    data["units"]["nitri"] = {"type": "nitrification", "V_m3": V_m3, **unit}
    data["sinks"]["farm"] = {"type": "farm"}
    return data


@pytest.fixture(scope="module")
def nitri_ds():
    return nexus.simulate(district_from_dict(district_data(), file="nitri.toml"))


@pytest.mark.component
def test_balances_close_every_hour(nitri_ds):
    from nexus.balance import balances

    b = balances(nitri_ds)
    for scope in ("nitri", "district"):
        for quantity, imbalance in b[scope].items():
            assert np.nanmax(np.abs(imbalance)) < 1e-9, (scope, quantity)


@pytest.mark.component
def test_nitrate_reaches_the_farm_and_counts_as_N_recovered(nitri_ds):
    ds = nitri_ds
    stream = ds["load_kg_h"].sel(stream="nitri.out -> farm.in")
    NO3 = stream.sel(component="NO3_N") if "component" in stream.dims else None
    made = ds["NO3_N_kg_h"].sel(node="nitri")
    assert float(made.sum()) > 0
    if NO3 is not None:
        np.testing.assert_allclose(NO3, made, rtol=1e-12, atol=1e-15)
    oxidized = ds["NH4_N_in_kg_h"].sel(node="nitri") - stream.isel(component=INDEX["NH4_N"])
    assert np.all(oxidized.to_numpy() >= made.to_numpy() - 1e-12)
    k = nexus.kpis(ds)
    assert k["nitri: nitrate nitrogen recovered [kg/yr]"] == pytest.approx(float(made.sum()))
    # the aeration draws from the grid: its electricity is in the district's purchase
    assert float(ds["aeration_kW"].sel(node="nitri").sum()) > 0


@pytest.mark.component
def test_product_must_reach_a_farm():
    data = district_data()
    data["connections"] = [c for c in data["connections"] if c != "nitri.out -> farm.in"]
    data["connections"].append("nitri.out -> sewer.in")
    with pytest.raises(DistrictError, match="must send its water to a node of type farm"):
        district_from_dict(data, file="nitri.toml")


@pytest.mark.unit
def test_digester_refuses_nitrate():
    from nexus.units.digester import feed_to_adm1

    loads = np.zeros((2, len(INDEX)))
    loads[:, INDEX["COD_s"]] = 1.0
    loads[1, INDEX["NO3_N"]] = 0.1
    with pytest.raises(ParameterError, match="NO3_N and NO2_N"):
        feed_to_adm1(loads, np.ones(2))


@pytest.mark.integration
@pytest.mark.slow
def test_optimizer_sizes_the_reactor_and_verification_agrees():
    """The nitrogen optimum builds the reactor for the nitrate it can make; the
    verifying simulation of that design recovers the N the model counted."""
    from nexus.optimize import solve

    data = district_data(V_m3=5.0, after="digester")  # a sampled unit upstream
    data["optimize"]["typical_days"] = 3
    data["optimize"]["design"]["nitri"] = {
        "V_m3": {"max": 50.0, "capex_per_unit": 1.0, "lifetime_yr": 20.0, "source": "test value"}
    }
    ds = solve(district_from_dict(data, file="nitri.toml"), objective="nitrogen")
    V = float(ds["V_m3"].sel(node="nitri")[0])
    assert 0.0 < V <= 50.0 + 1e-9
    assert abs(float(ds["gap_N_frac"][0])) <= 0.05
