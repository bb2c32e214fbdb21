"""Unit and component tests of nexus.units.struvite (speciation, precipitation, reactor).

The sections follow the package's modules: ``database`` (constants), ``equilibrium``
(shapes, errors, chemistry and balances of :func:`equilibrate`), ``reactor``, then
the numerics of ``speciation`` (Jacobian) and ``equilibrium`` (Newton solver). The
comparison with PHREEQC itself is in tests/validation/test_struvite_phreeqc.py.
"""

from __future__ import annotations

import dataclasses
import math
import platform
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus.constants import MOLAR_MASS_g_mol
from nexus.errors import ParameterError, SolverError
from nexus.units import struvite as sv
from nexus.units.params import describe
from nexus.units.struvite import database as db
from nexus.units.struvite import equilibrium as eq
from nexus.units.struvite import speciation as sp

#: A hydrolysed urine (N and P of Jönsson et al. 1997, WST 35(9):145: 4.9 g N and
#: 0.42 g P in 1.34 L per person and day) and an anaerobic black-water effluent.
URINE = dict(
    T_C=20.0,
    pH=9.0,
    NH4_N_mg_L=3657.0,
    PO4_P_mg_L=313.0,
    Mg_mg_L=0.0,
    Ca_mg_L=0.0,
    K_mg_L=1500.0,
    Na_mg_L=2500.0,
    Cl_mg_L=3000.0,
    alkalinity_mg_L_HCO3=15000.0,
)
BLACK = dict(
    T_C=25.0,
    pH=7.6,
    NH4_N_mg_L=1000.0,
    PO4_P_mg_L=100.0,
    Mg_mg_L=10.0,
    Ca_mg_L=40.0,
    K_mg_L=300.0,
    Na_mg_L=200.0,
    Cl_mg_L=500.0,
    alkalinity_mg_L_HCO3=4000.0,
)
G = MOLAR_MASS_g_mol  # molar masses of the mg/L inputs (phreeqc.dat's)


def mol(mg, element):
    return np.asarray(mg, dtype=float) / G[element] / 1e3


# ------------------------------------------------------------------ database: constants


@pytest.mark.unit
def test_log_k_reproduces_phreeqc_dat_at_25C():
    # -log_k of phreeqc.dat; analytical expressions agree with them to < 2e-3 there
    assert float(sv.log_k("HPO4-2", 25.0)) == pytest.approx(12.346, abs=1e-12)
    assert float(sv.log_k("CaHPO4", 25.0)) == pytest.approx(2.739 + 12.346, abs=1e-12)
    assert float(sv.log_k("NaHCO3", 25.0)) == pytest.approx(-0.25 + 10.329, abs=2e-3)
    assert float(sv.log_k("HCO3-", 25.0)) == pytest.approx(10.329, abs=2e-3)
    assert float(sv.log_k("NH3", 25.0)) == pytest.approx(-9.252, abs=1e-2)
    assert float(sv.log_k("MgCO3", 25.0)) == pytest.approx(2.98, abs=1e-3)
    assert float(sv.log_k("Struvite", 25.0)) == pytest.approx(-13.26, abs=1e-12)
    assert float(sv.log_k("Calcite", 25.0)) == pytest.approx(-8.48, abs=2e-3)
    assert float(sv.log_k("OH-", 25.0)) == pytest.approx(-14.0, abs=1e-2)


@pytest.mark.unit
def test_log_k_van_t_hoff_and_broadcast():
    T = np.array([10.0, 25.0, 35.0])
    lk = sv.log_k("Struvite", T)
    expect = -13.26 - 22.6 * (298.15 - (T + 273.15)) / (
        math.log(10) * 0.0083147 * (T + 273.15) * 298.15
    )
    np.testing.assert_allclose(lk, expect, rtol=0, atol=1e-12)
    assert lk[0] < lk[1] < lk[2]  # endothermic dissolution: more soluble when warm


@pytest.mark.unit
def test_debye_huckel_constants_as_phreeqc():
    # PHREEQC 3.7.3 gives log gamma(CaOH+) = -0.11741776 (Davies) at I = 0.13983817, 25 degC
    A, B = sv.debye_huckel_A_B(25.0)
    sI = math.sqrt(0.13983817178156144)
    assert -float(A) * (sI / (1 + sI) - 0.3 * 0.13983817178156144) == pytest.approx(
        -0.11741776447821599, abs=1e-9
    )
    assert float(B) == pytest.approx(0.3285, abs=5e-4)
    A2, _ = sv.debye_huckel_A_B([5.0, 40.0])
    assert A2[0] < float(A) < A2[1]


@pytest.mark.unit
def test_species_table_is_consistent():
    assert len(set(sv.SPECIES)) == len(sv.SPECIES)
    # every species is charge balanced in its formation reaction
    charges = np.array([1, 1, 1, 2, 2, 1, -3, -2])
    np.testing.assert_allclose(db._NU @ charges, db._Z)
    assert db._ALK[sv.SPECIES.index("HCO3-")] == 1
    assert db._ALK[sv.SPECIES.index("NH3")] == 1
    assert db._ALK[sv.SPECIES.index("CO2")] == 0
    # the species of each eliminated cation are contiguous (the solver takes slices)
    for c, group in zip(sp._ELIM, sp._GROUP_SPECIES, strict=True):
        held = np.flatnonzero(db._NU[:, c])
        np.testing.assert_array_equal(held, np.arange(group.start, group.stop))
        assert np.all(db._NU[held, c] == 1)
    assert np.all((db._NU[:, list(sp._ELIM)] != 0).sum(axis=1) <= 1)


# ------------------------------------------------------------- equilibrium: shapes, NaN


@pytest.mark.unit
def test_the_array_core_and_the_dataset_edge_agree():
    """Physics cores return arrays (a NamedTuple in the input's shape); xarray only at the
    public edge: equilibrate is struvite_equilibrium labelled, value for value."""
    pH = np.array([[7.0, 7.5, np.nan], [8.0, 8.5, 9.0]])
    r = sv.struvite_equilibrium(**{**BLACK, "pH": pH}, Mg_to_P_dose=1.2)
    ds = sv.equilibrate(**{**BLACK, "pH": pH}, Mg_to_P_dose=1.2)
    assert set(r._fields) == set(eq._OUT) == set(ds.data_vars)
    for name in r._fields:
        value = getattr(r, name)
        assert isinstance(value, np.ndarray) and value.shape == pH.shape, name
        np.testing.assert_array_equal(value.ravel(), ds[name].values, err_msg=name)
    assert ds.attrs["input_shape"] == "2,3"


@pytest.mark.unit
def test_scalar_input_gives_0d_dataset_with_cf_attributes():
    ds = sv.equilibrate(**BLACK, Mg_to_P_dose=1.2)
    assert isinstance(ds, xr.Dataset)
    assert set(ds.data_vars) == set(eq._OUT)
    for name, var in ds.data_vars.items():
        assert var.dims == (), name
        assert var.attrs["units"] and var.attrs["long_name"], name
    assert float(ds.struvite_mol_L) > 0


@pytest.mark.unit
def test_array_and_broadcast():
    ds = sv.equilibrate(**{**BLACK, "pH": [7.2, 7.6, 8.0]}, Mg_to_P_dose=[[1.0], [2.0]])
    assert ds.sizes == {"water": 6}
    assert ds.attrs["input_shape"] == "2,3"
    one = sv.equilibrate(**{**BLACK, "pH": 8.0}, Mg_to_P_dose=2.0)
    assert float(ds.P_recovered_fraction[5]) == pytest.approx(
        float(one.P_recovered_fraction), abs=1e-12
    )


@pytest.mark.unit
def test_nan_propagates_to_its_row_only():
    ds = sv.equilibrate(**{**BLACK, "Ca_mg_L": [40.0, np.nan]}, Mg_to_P_dose=1.2)
    for name in ds.data_vars:
        assert np.isfinite(ds[name].values[0]) or ds[name].values[0] == -np.inf, name
        assert np.isnan(ds[name].values[1]), name


@pytest.mark.unit
def test_nan_pH_target_means_floating():
    ds = sv.equilibrate(**BLACK, Mg_to_P_dose=1.2, pH_target=[np.nan, 8.5])
    free = sv.equilibrate(**BLACK, Mg_to_P_dose=1.2)
    assert float(ds.pH_final[0]) == pytest.approx(float(free.pH_final), abs=1e-12)
    assert float(ds.NaOH_mmol_L[0]) == 0.0
    assert float(ds.pH_final[1]) == pytest.approx(8.5, abs=1e-12)


# ------------------------------------------------------------------ equilibrium: errors


@pytest.mark.unit
@pytest.mark.parametrize(
    ("arg", "value"),
    [
        ("NH4_N_mg_L", -1.0),
        ("PO4_P_mg_L", -0.1),
        ("Mg_mg_L", -5.0),
        ("Ca_mg_L", -5.0),
        ("K_mg_L", -5.0),
        ("Na_mg_L", -5.0),
        ("Cl_mg_L", -5.0),
        ("alkalinity_mg_L_HCO3", -5.0),
        ("pH", 14.5),
        ("pH", -0.5),
        ("T_C", 120.0),
        ("T_C", -1.0),
    ],
)
def test_bad_input_names_argument_and_row(arg, value):
    water = {**BLACK, arg: [BLACK[arg], value]}
    with pytest.raises(ParameterError, match=rf"{arg}.*row \(1,\)"):
        sv.equilibrate(**water)


@pytest.mark.unit
def test_bad_dose_and_target():
    with pytest.raises(ParameterError, match=r"Mg_to_P_dose"):
        sv.equilibrate(**BLACK, Mg_to_P_dose=-1.0)
    with pytest.raises(ParameterError, match=r"pH_target.*row \(2,\)"):
        sv.equilibrate(**BLACK, pH_target=[8.0, np.nan, 15.0])


@pytest.mark.unit
def test_charge_balance_needing_negative_cl_raises():
    # cations far short of the alkalinity: Cl would have to be negative
    water = {**BLACK, "Na_mg_L": [200.0, 0.0], "K_mg_L": 0.0, "NH4_N_mg_L": [1000.0, 10.0]}
    with pytest.raises(ParameterError, match=r"Cl_mg_L.*row.*\(1,\)"):
        sv.equilibrate(**water)


@pytest.mark.unit
def test_alkalinity_below_non_carbonate_alkalinity_raises():
    # at pH 9.5 and 25 degC, 3000 mg/L NH4-N carries ~140 meq/L of NH3 alkalinity
    water = {**URINE, "pH": 9.5, "NH4_N_mg_L": 3000.0, "alkalinity_mg_L_HCO3": 100.0}
    with pytest.raises(ParameterError, match=r"alkalinity_mg_L_HCO3"):
        sv.equilibrate(**water)


@pytest.mark.unit
def test_alkalinity_out_of_reach_of_carbonate_raises():
    # at pH 3 carbonate is CO2: 82 meq/L of alkalinity would need molar carbon
    water = {**BLACK, "pH": [7.6, 3.0], "alkalinity_mg_L_HCO3": 5000.0}
    with pytest.raises(ParameterError, match=r"alkalinity_mg_L_HCO3 cannot.*\(1,\)"):
        sv.equilibrate(**water)


@pytest.mark.unit
def test_non_convergence_raises_solver_error_naming_rows(monkeypatch):
    monkeypatch.setattr(eq, "_MAX_ITER", 1)
    with pytest.raises(SolverError, match=r"row\(s\) \[\(0,\), \(1,\)\]"):
        sv.equilibrate(**{**BLACK, "pH": [7.0, 8.0]})


# ----------------------------------------------------- equilibrium: chemistry, balances


def solve_internal(water: dict, **kw):
    """Run the solver on 1-d arrays and return its dict (with the diagnostics)."""
    raw = {**water, "Mg_to_P_dose": kw.get("Mg_to_P_dose", 0.0)}
    raw["NH3_removed_mg_L"] = kw.get("NH3_removed_mg_L", 0.0)
    raw["NaOH_added_mmol_L"] = kw.get("NaOH_added_mmol_L", 0.0)
    raw["T_reaction_C"] = kw.get("T_reaction_C", np.nan)
    raw["pH_target"] = kw.get("pH_target", np.nan)
    arrs = np.broadcast_arrays(*(np.asarray(raw[k], float) for k in eq._ARGS))
    v = {k: a.reshape(-1) for k, a in zip(eq._ARGS, arrs, strict=True)}
    return v, eq._solve(v, np.arange(v["T_C"].size), arrs[0].shape, kw.get("precipitate", True))


def assert_balances(v, r):
    s = r["struvite_mol_L"]
    P0, N0 = mol(v["PO4_P_mg_L"], "P"), mol(v["NH4_N_mg_L"] - v["NH3_removed_mg_L"], "N")
    Mg0 = mol(v["Mg_mg_L"], "Mg") + v["Mg_to_P_dose"] * P0
    for resid, el, total in (
        ("residual_PO4_P_mg_L", "P", P0),
        ("residual_NH4_N_mg_L", "N", N0),
        ("residual_Mg_mg_L", "Mg", Mg0),
    ):
        np.testing.assert_allclose(mol(r[resid], el) + s, total, rtol=1e-9, atol=1e-15)
    assert np.all(np.abs(r["_charge_imbalance_frac"]) < 1e-9)


@pytest.mark.component
def test_balances_close_floating_and_held_pH():
    water = {**BLACK, "pH": [7.0, 7.6, 8.2, 8.8]}
    for target in (np.nan, 9.0, 6.8):
        v, r = solve_internal(water, Mg_to_P_dose=1.5, pH_target=target)
        assert_balances(v, r)
        assert np.all(r["struvite_mol_L"] >= 0)


@pytest.mark.component
def test_NH3_removed_NaOH_added_and_reaction_temperature_without_struvite():
    """A stripping column's water: NH3 leaves at a held pH, warmed; no struvite forms."""
    water = {**BLACK, "pH": [7.0, 7.6, 8.2]}
    removed = [0.0, 500.0, 900.0]
    v, r = solve_internal(
        water, NH3_removed_mg_L=removed, T_reaction_C=40.0, pH_target=9.3, precipitate=False
    )
    assert_balances(v, r)  # N: what stays and what left as NH3
    np.testing.assert_allclose(r["struvite_mol_L"], 0.0)
    assert r["SI_struvite_final"][0] > 0  # supersaturated, held off: it would form
    _, formed = solve_internal(water, NH3_removed_mg_L=removed, T_reaction_C=40.0, pH_target=9.3)
    assert formed["struvite_mol_L"][0] > 0
    assert np.all(r["SI_calcite_final"] > r["SI_calcite_initial"])  # pH up, warmed
    np.testing.assert_allclose(r["pH_final"], 9.3)
    # the NH3 leaving leaves its proton: holding the pH costs base for it, less than 1 mol
    # per mol N (the NH3 share of what stays gives some back)
    _, r0 = solve_internal(water, T_reaction_C=40.0, pH_target=9.3, precipitate=False)
    extra = r["NaOH_mmol_L"] - r0["NaOH_mmol_L"]
    left = mol(np.array(removed), "N") * 1e3
    assert extra[0] == pytest.approx(0.0, abs=1e-9)
    assert np.all((0.3 * left[1:] < extra[1:]) & (extra[1:] < left[1:]))
    # the same dose given with the pH floating gives the held pH back (mutual inverses)
    _, r2 = solve_internal(
        water,
        NH3_removed_mg_L=removed,
        T_reaction_C=40.0,
        NaOH_added_mmol_L=r["NaOH_mmol_L"],
        precipitate=False,
    )
    np.testing.assert_allclose(r2["pH_final"], 9.3, atol=1e-9)
    np.testing.assert_allclose(r2["NaOH_mmol_L"], r["NaOH_mmol_L"])
    # T_reaction_C NaN is the influent's temperature; no removal, no dose: the influent
    _, r3 = solve_internal(water, T_reaction_C=np.nan, precipitate=False)
    np.testing.assert_allclose(r3["pH_final"], water["pH"], atol=1e-9)
    with pytest.raises(ParameterError, match=r"NH3_removed_mg_L.*exceeds"):
        sv.equilibrate(**BLACK, NH3_removed_mg_L=BLACK["NH4_N_mg_L"] * 1.01)
    with pytest.raises(ParameterError, match="T_reaction_C"):
        sv.equilibrate(**BLACK, T_reaction_C=101.0)
    with pytest.raises(ParameterError, match="NaOH_added_mmol_L"):
        sv.equilibrate(**BLACK, NaOH_added_mmol_L=-1.0)


@pytest.mark.component
def test_distinct_waters_are_solved_once_and_NaN_is_one_value():
    many = {k: np.full(6, v) for k, v in BLACK.items()}
    rows = sv.equilibrate_distinct(**many, Mg_to_P_dose=1.0, pH_target=np.nan)
    one = sv.struvite_equilibrium(**BLACK, Mg_to_P_dose=1.0)
    for a, b in zip(rows, one, strict=True):
        np.testing.assert_array_equal(a, np.full(6, b))  # one row solved: bit for bit


@pytest.mark.component
@settings(max_examples=25, deadline=None)
@given(
    T=st.floats(5.0, 40.0),
    pH=st.floats(6.5, 9.3),
    N=st.floats(20.0, 6000.0),
    P=st.floats(1.0, 400.0),
    Mg=st.floats(0.0, 200.0),
    Ca=st.floats(0.0, 300.0),
    dose=st.floats(0.0, 3.0),
    target=st.one_of(st.just(math.nan), st.floats(6.5, 10.0)),
)
def test_balances_property(T, pH, N, P, Mg, Ca, dose, target):
    # rounded molar masses (N, P, HCO3, Na) that only shape the drawn waters: not a check
    alk = (N / 14.0067 + P / 30.97 * 2 + 5.0) * 61.02  # > any NH3 + phosphate alkalinity
    water = dict(
        T_C=T,
        pH=pH,
        NH4_N_mg_L=N,
        PO4_P_mg_L=P,
        Mg_mg_L=Mg,
        Ca_mg_L=Ca,
        K_mg_L=200.0,
        Na_mg_L=(alk / 61.02 + P / 30.97 * 3) * 22.99 + 100.0,
        Cl_mg_L=100.0,
        alkalinity_mg_L_HCO3=alk,
    )
    v, r = solve_internal(water, Mg_to_P_dose=dose, pH_target=target)
    assert_balances(v, r)
    if r["struvite_mol_L"][0] > 0:
        assert abs(r["SI_struvite_final"][0]) < 1e-9
    else:
        assert r["SI_struvite_final"][0] <= 1e-9


@pytest.mark.component
def test_no_mg_no_struvite():
    ds = sv.equilibrate(**URINE)
    assert float(ds.struvite_mol_L) == 0.0
    assert float(ds.P_recovered_fraction) == 0.0
    assert float(ds.SI_struvite_initial) == -np.inf
    assert float(ds.residual_PO4_P_mg_L) == pytest.approx(313.0, rel=1e-12)


@pytest.mark.component
def test_precipitation_releases_acid_and_more_mg_recovers_more():
    ds = sv.equilibrate(**BLACK, Mg_to_P_dose=[0.5, 1.0, 1.5, 3.0])
    rec = ds.P_recovered_fraction.values
    assert np.all(np.diff(rec) > 0) and rec[0] > 0
    assert np.all(ds.pH_final.values < BLACK["pH"])
    assert np.all(np.abs(ds.SI_struvite_final.values) < 1e-9)


@pytest.mark.component
def test_pH_held_with_base_or_acid():
    ds = sv.equilibrate(**BLACK, Mg_to_P_dose=1.5, pH_target=[9.0, 6.5])
    np.testing.assert_allclose(ds.pH_final.values, [9.0, 6.5], rtol=0, atol=1e-12)
    assert float(ds.NaOH_mmol_L[0]) > 0 > float(ds.NaOH_mmol_L[1])  # HCl below the pH
    assert float(ds.P_recovered_fraction[0]) > 0.95
    assert float(ds.struvite_mol_L[1]) == 0.0  # too acid: undersaturated


@pytest.mark.component
def test_warm_water_dissolves_more_struvite():
    ds = sv.equilibrate(**{**BLACK, "T_C": [10.0, 35.0]}, Mg_to_P_dose=1.2)
    assert ds.SI_struvite_initial.values[0] > ds.SI_struvite_initial.values[1]


@pytest.mark.component
def test_units_of_outputs_agree():
    ds = sv.equilibrate(**URINE, Mg_to_P_dose=1.2)
    s = float(ds.struvite_mol_L)
    assert float(ds.struvite_kg_m3) == pytest.approx(s * G["MgNH4PO4.6H2O"], rel=1e-12)
    assert float(ds.P_recovered_fraction) == pytest.approx(s / mol(313.0, "P"), rel=1e-12)


@pytest.mark.component
def test_many_waters_in_one_call():
    rng = np.random.default_rng(7)
    n = 1000
    pH = rng.uniform(6.8, 9.2, n)
    ds = sv.equilibrate(**{**BLACK, "pH": pH}, Mg_to_P_dose=rng.uniform(0, 2, n))
    assert ds.sizes["water"] == n
    assert np.all(np.isfinite(ds.pH_final.values))


@pytest.mark.component
def test_dataset_round_trips_netcdf(tmp_path):
    ds = sv.equilibrate(**{**BLACK, "pH": [7.0, 8.0]}, Mg_to_P_dose=1.0)
    path = tmp_path / "struvite.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    back = xr.load_dataset(path, engine="h5netcdf")
    xr.testing.assert_identical(ds, back)


# ------------------------------------------------------------------------------ reactor


@pytest.mark.unit
def test_reactor_params_described_and_checked():
    rows = describe(sv.StruviteReactorParams)
    assert [r["name"] for r in rows] == [
        "V_m3",
        "residence_h",
        "Mg_to_P_dose",
        "capture_frac",
        "pH_target",
        "MgCl2_6H2O_price_per_kg",
        "NaOH_price_per_kg",
    ]
    for row in rows:
        assert row["source"] and row["doc"] and row["unit"]
    p = sv.StruviteReactorParams()
    assert p.pH_target is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.capture_frac = 0.5  # type: ignore[misc]
    with pytest.raises(TypeError):
        sv.StruviteReactorParams(bogus=1.0)
    with pytest.raises(ParameterError, match="capture_frac"):
        sv.StruviteReactorParams(capture_frac=1.5)
    with pytest.raises(ParameterError, match="pH_target"):
        sv.StruviteReactorParams(pH_target=15.0)


@pytest.mark.component
def test_reactor_fertilizer_value_and_chemicals():
    # 1 m3 for 1 h of residence treats up to 24 m3/d: the first flow fully, the second in part
    p = sv.StruviteReactorParams(V_m3=1.0, Mg_to_P_dose=1.3, capture_frac=0.8, pH_target=9.2)
    flow = np.array([12.0, 48.0])
    r = sv.struvite_reactor(flow, params=p, **URINE)
    treated = np.array([12.0, 24.0])
    np.testing.assert_array_equal(r.treated_m3_d, treated)
    ds = sv.equilibrate(**URINE, Mg_to_P_dose=1.3, pH_target=9.2)
    mol_d = float(ds.struvite_mol_L) * 0.8 * 1e3 * treated
    np.testing.assert_allclose(r.struvite_mol_d, mol_d, rtol=1e-12)
    np.testing.assert_allclose(r.struvite_kg_d, mol_d * G["MgNH4PO4.6H2O"] / 1e3, rtol=1e-12)
    np.testing.assert_allclose(r.P_kg_d, mol_d * G["P"] / 1e3, rtol=1e-12)
    np.testing.assert_allclose(r.P2O5_kg_d, r.P_kg_d * G["P2O5"] / (2 * G["P"]), rtol=1e-12)
    assert sv.P2O5_PER_P == pytest.approx(2.2914, rel=1e-4)  # fertilizer labels' factor
    np.testing.assert_allclose(r.N_kg_d, mol_d * G["N"] / 1e3, rtol=1e-12)
    dose_mol_d = 1.3 * mol(313.0, "P") * 1e3 * treated
    np.testing.assert_allclose(r.Mg_kg_d, dose_mol_d * G["Mg"] / 1e3, rtol=1e-12)
    np.testing.assert_allclose(
        r.chemicals_cost_d,
        dose_mol_d * G["MgCl2.6H2O"] / 1e3 * 0.12 + r.NaOH_kg_d * 0.46,
        rtol=1e-12,
    )
    # recovery counts the bypassed water: half of the second flow was not treated
    np.testing.assert_allclose(
        r.P_recovered_frac, float(ds.P_recovered_fraction) * 0.8 * treated / flow, rtol=1e-9
    )
    assert np.all(r.NaOH_kg_d > 0) and np.all(r.HCl_kg_d == 0)
    np.testing.assert_allclose(r.pH_final, 9.2)
    with pytest.raises(ParameterError, match="flow_m3_d"):
        sv.struvite_reactor(-1.0, params=p, **URINE)
    with pytest.raises(ParameterError, match="Mg_to_P_dose"):
        sv.struvite_reactor(1.0, params=p, Mg_to_P_dose=1.0, **URINE)


@pytest.mark.component
def test_reactor_not_built_harvests_nothing_and_repeated_waters_solved_once():
    none = sv.struvite_reactor(5.0, params=sv.StruviteReactorParams(), **URINE)
    assert float(none.struvite_kg_d) == 0.0 and float(none.chemicals_cost_d) == 0.0
    # a day of identical hours gives the hour's result 24 times (each distinct water solved once)
    p = sv.StruviteReactorParams(V_m3=2.0)
    day = sv.struvite_reactor(
        np.full(24, 1.0), params=p, **{k: np.full(24, v) for k, v in URINE.items()}
    )
    one = sv.struvite_reactor(1.0, params=p, **URINE)
    np.testing.assert_array_equal(day.struvite_mol_d, np.full(24, float(one.struvite_mol_d)))


# ---------------------------------------------------- numerics: speciation, equilibrium


def mixed_waters(n: int = 24, seed: int = 5) -> dict:
    """1-d arrays of the arguments of equilibrate: black water and urine, the pH floating
    or held above or below the influent pH, with and without Mg, some dosed little."""
    rng = np.random.default_rng(seed)
    N = rng.uniform(200.0, 5000.0, n)
    P = rng.uniform(20.0, 350.0, n)
    # rounded molar masses (N, P, HCO3, Na) that only shape the waters: not a check
    alk = (N / 14.0067 + 2 * P / 30.97 + 5.0) * 61.02
    return dict(
        T_C=rng.uniform(8.0, 35.0, n),
        pH=rng.uniform(7.0, 9.2, n),
        NH4_N_mg_L=N,
        PO4_P_mg_L=P,
        Mg_mg_L=np.where(rng.random(n) < 0.3, 0.0, rng.uniform(0.0, 60.0, n)),
        Ca_mg_L=rng.uniform(0.0, 80.0, n),
        K_mg_L=rng.uniform(50.0, 1500.0, n),
        Na_mg_L=(alk / 61.02 + 3 * P / 30.97) * 22.99 + 100.0,
        Cl_mg_L=np.full(n, 300.0),
        alkalinity_mg_L_HCO3=alk,
        Mg_to_P_dose=np.where(rng.random(n) < 0.3, 0.02, 1.0) * rng.uniform(0.0, 2.0, n),
        pH_target=np.where(rng.random(n) < 0.5, np.nan, rng.uniform(6.5, 9.8, n)),
        NH3_removed_mg_L=np.zeros(n),
        NaOH_added_mmol_L=np.zeros(n),
        T_reaction_C=np.full(n, np.nan),
    )


def influent_state(v: dict):
    b0 = eq._influent_batch(v)
    x0, m0, _, failed = eq._newton(eq._start_influent(b0, v["pH"]), b0, sp._INFLUENT)
    assert not failed.any()
    return b0, x0, m0


def states_of_each_mode(v: dict) -> dict:
    """A batch and an unconverged x (a revised first guess) for each solve; in the
    reaction, struvite forms in the waters supersaturated after dosing."""
    b0, x0, m0 = influent_state(v)
    b1, x1 = eq._dosed_batch(v, b0, x0, m0)
    x1, lnsi = eq._revise(x1, b1, sp._REACTION)
    b1 = b1._replace(precip=lnsi > 0)
    p = np.flatnonzero(b1.precip)
    room = eq._ln_room_guess(lnsi[p], b1.tot[sp._STRUVITE_COMPONENTS][:, p])
    return {
        sp._INFLUENT: (b0, eq._start_influent(b0, v["pH"])),
        sp._REACTION: (b1, eq._with_struvite(x1, b1, room, p)),
    }


@pytest.mark.unit
@pytest.mark.parametrize("mode", ["influent", "reaction"])
def test_jacobian_matches_finite_differences(mode):
    mode = {"influent": sp._INFLUENT, "reaction": sp._REACTION}[mode]
    b, x = states_of_each_mode(mixed_waters())[mode]
    assert mode == sp._INFLUENT or 3 <= b.precip.sum() <= x.shape[1] - 3
    ev = sp._evaluate(x, b, mode)
    J = sp._jacobian(x, b, ev, mode)
    scale = sp._residuals(x, b, ev, mode)[1]
    rows, cols = eq._SYSTEM[mode]
    for k in (*cols, sp._XQ):
        h = 1e-6
        F = []
        for sign in (1.0, -1.0):
            xh = x.copy()
            xh[k] += sign * h
            Fh, sh = sp._residuals(xh, b, sp._evaluate(xh, b, mode), mode)
            F.append(Fh * sh)
        fd = (F[0] - F[1]) / (2 * h)
        used = b.ph_fixed if k == sp._XQ else np.ones(x.shape[1], dtype=bool)
        for f in rows:
            err = np.abs(fd[f] - J[f, k])[used]
            assert np.all(err <= 1e-6 * scale[f][used]), (mode, f, k, err.max())


@pytest.mark.unit
def test_batched_elimination_matches_lapack_and_flags_zero_pivots():
    rng = np.random.default_rng(3)
    k, n = 7, 500
    A = rng.standard_normal((n, k, k)) + 4.0 * np.eye(k)
    r = rng.standard_normal((n, k))
    M = np.concatenate([A, r[:, :, None]], axis=2).transpose(1, 2, 0).copy()
    M[0, 0, 7] = 0.0  # a zero pivot in water 7: its step is not finite
    d = eq._solve_small(M)
    ref = np.linalg.solve(A, r[:, :, None])[:, :, 0].T
    ok = np.arange(n) != 7
    np.testing.assert_allclose(d[:, ok], ref[:, ok], rtol=1e-10, atol=1e-12)
    assert not np.isfinite(d[:, 7]).all()


@pytest.mark.unit
def test_newton_step_falls_back_to_least_squares(monkeypatch):
    b, x = states_of_each_mode(mixed_waters())[sp._REACTION]
    ev = sp._evaluate(x, b, sp._REACTION)
    F, scale = sp._residuals(x, b, ev, sp._REACTION)
    expected = eq._step(x, b, ev, F, scale, sp._REACTION)
    solve = eq._solve_small

    def breaking_down(M):
        d = solve(M)
        d[:, ::2] = np.nan  # as if the elimination broke down for every other water
        return d

    monkeypatch.setattr(eq, "_solve_small", breaking_down)
    np.testing.assert_allclose(
        eq._step(x, b, ev, F, scale, sp._REACTION), expected, rtol=1e-9, atol=1e-12
    )


@pytest.mark.component
def test_batch_equals_each_water_alone():
    # waters converge after different numbers of iterations and leave the batch
    v = mixed_waters(30, seed=9)
    ds = sv.equilibrate(**v)
    for i in (0, 3, 7, 12, 21, 29):
        one = sv.equilibrate(**{k: a[i] for k, a in v.items()})
        for name in ("struvite_mol_L", "pH_final", "NaOH_mmol_L", "SI_struvite_final"):
            expected = float(ds[name][i])
            assert float(one[name]) == pytest.approx(expected, rel=1e-9, abs=1e-12), (i, name)


@pytest.mark.component
def test_wrong_supersaturation_guess_is_corrected(monkeypatch):
    # predicted the wrong way, each water is solved again with or without struvite
    v = mixed_waters(40, seed=13)
    v["Mg_mg_L"] *= 0.02  # little Mg: some waters stay undersaturated
    v["Mg_to_P_dose"] *= 0.05
    b0, x0, m0 = influent_state(v)
    b1, x1 = eq._dosed_batch(v, b0, x0, m0)
    x1, lnsi = eq._revise(x1, b1, sp._REACTION)
    rows, shape = np.arange(40), (40,)
    x_ok, _, _, s_ok = eq._precipitate(x1, lnsi, b1, rows, shape)
    assert 5 <= np.sum(s_ok > 0) <= 35
    calls = []
    newton = eq._newton

    def recorded(x, b, mode):
        calls.append(x.shape[1])
        return newton(x, b, mode)

    monkeypatch.setattr(eq, "_newton", recorded)
    x_bad, _, _, s_bad = eq._precipitate(x1, -lnsi, b1, rows, shape)
    # all waters, then again those that can form struvite: all predicted wrong
    assert calls == [40, np.sum(b1.tot[db._MG] > 0)]
    np.testing.assert_allclose(s_bad, s_ok, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(x_bad[sp._XH], x_ok[sp._XH], rtol=0, atol=1e-9)


@pytest.mark.unit
def test_struvite_first_guess_solves_conditional_solubility():
    rng = np.random.default_rng(2)
    tot3 = rng.uniform(1e-4, 0.2, (3, 200))
    lnsi = rng.uniform(0.01, 12.0, 200)
    room = eq._ln_room_guess(lnsi, tot3)
    smax = tot3.min(axis=0)
    left = tot3 - smax + np.exp(room)
    np.testing.assert_allclose(
        np.log(left).sum(axis=0), np.log(tot3).sum(axis=0) - lnsi, rtol=0, atol=1e-9
    )
    assert np.all(np.exp(room) < smax)


@pytest.mark.unit
def test_allocator_settings_untouched_unless_asked(monkeypatch):
    calls = []

    class Libc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(eq.ctypes, "CDLL", lambda name: Libc())
    sv.equilibrate(**BLACK, Mg_to_P_dose=1.2)
    sv.struvite_reactor(1.0, params=sv.StruviteReactorParams(V_m3=1.0), **URINE)
    assert calls == []
    assert sv.tune_for_throughput() is True
    assert calls == [(-3, 32 << 20), (-1, 256 << 20)]  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD


@pytest.mark.unit
def test_tune_for_throughput_takes_where_glibc():
    # in a child process: the suite itself runs with the allocator as users get it
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    code = "from nexus.units.struvite import tune_for_throughput; print(tune_for_throughput())"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == str(glibc)


@pytest.mark.unit
def test_equilibrate_names_unknown_and_missing_arguments():
    with pytest.raises(
        ParameterError, match=r"equilibrate: unknown argument\(s\) NH4; expected: T_C"
    ):
        eq.equilibrate(NH4=1.0)
    with pytest.raises(ParameterError, match=r"equilibrate: missing argument\(s\) T_C, pH, NH4"):
        eq.equilibrate()
