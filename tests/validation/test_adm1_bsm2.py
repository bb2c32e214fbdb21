"""Validation of nexus.units.adm1 against the BSM2 steady state (Rosen & Jeppsson 2006).

The data file tests/validation/data/adm1_bsm2_steady_state.csv states its provenance
and the reason for each tolerance in its header.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from nexus.units import adm1

pytestmark = pytest.mark.component

DATA = Path(__file__).parent / "data"

BSM2_CASE = adm1.BSM2_DIGESTER
BSM2_INFLUENT = adm1.BSM2_INFLUENT
#: The states of BSM2: all of nexus's but S_IP (the ADM1 phosphorus extension's inorganic P,
#: which BSM2 does not carry and which is 0 when an influent leaves it out).
BSM2_STATES = tuple(n for n in adm1.STATES if n not in adm1.params.OPTIONAL_STATES)


def table() -> list[dict[str, str]]:
    with open(DATA / "adm1_bsm2_steady_state.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@pytest.fixture(scope="module")
def bsm2():
    return adm1.steady_state(BSM2_INFLUENT, **BSM2_CASE)


def test_table_covers_every_state():
    names = {row["state"] for row in table()}
    assert set(BSM2_STATES) <= names and "S_IP" not in names
    assert {"pH", "q_gas_m3_d", "S_ac_ion", "S_hco3_ion", "S_nh3"} <= names


def test_bsm2_steady_state_reproduces_the_table(bsm2):
    assert bsm2.attrs["solver_status"] == "converged"
    errors = {}
    for row in table():
        got, ref, tol = float(bsm2[row["state"]]), float(row["value"]), float(row["tol"])
        err = abs(got - ref) if row["state"] == "pH" else abs(got - ref) / abs(ref)
        errors[row["state"]] = err
        assert err <= tol, (row["state"], got, ref, err, tol)
    # the brief asks for 1 % on states and gas flow and 0.01 on pH; reached:
    assert max(errors[n] for n in BSM2_STATES) < 1e-6  # S_h2, 7 printed digits
    assert max(errors[n] for n in BSM2_STATES if n not in ("S_h2", "S_gas_h2")) < 1e-11
    assert errors["q_gas_m3_d"] < 1e-11
    assert errors["pH"] < 1e-10


def test_phosphorus_absent_leaves_bsm2_unchanged(bsm2):
    """The ADM1 phosphorus extension's S_IP: absent (BSM2) or 0, the BSM2 steady state is
    the same to the last bit, and S_IP stays exactly 0; present, it is a weak acid in the
    charge balance (lower pH) and passes through (steady state = influent)."""
    assert float(bsm2["S_IP"]) == 0.0
    zero = adm1.steady_state(dict(BSM2_INFLUENT, S_IP=0.0), **BSM2_CASE)
    for n in (*adm1.STATES, "pH", "q_gas_m3_d"):
        assert float(zero[n]) == float(bsm2[n]), n
    with_p = adm1.steady_state(dict(BSM2_INFLUENT, S_IP=0.005), **BSM2_CASE)
    assert float(with_p["S_IP"]) == pytest.approx(0.005, rel=1e-12)
    assert float(with_p.pH) < float(bsm2.pH) - 0.01


def test_bsm2_methane_flow_is_consistent(bsm2):
    # q_ch4 at normal conditions from the headspace outflow k_p (P_gas - P_atm)
    p = adm1.ADM1Params()
    q_head = p.k_p * (float(bsm2.p_gas_Pa) / 1e5 - p.P_atm_bar)
    kmol_d = q_head * float(bsm2.S_gas_ch4) / 64.0
    assert float(bsm2.q_ch4_Nm3_d) == pytest.approx(kmol_d * 22.414, rel=1e-4)
    assert float(bsm2.q_gas_m3_d) == pytest.approx(
        q_head * float(bsm2.p_gas_Pa) / 1.013e5, rel=1e-12
    )


def test_dynamic_run_approaches_the_same_steady_state(bsm2):
    start = {n: float(bsm2[n]) for n in adm1.STATES}
    # a different start: biomass down 30 %, acids up 3x, headspace half full
    for n in ("X_su", "X_aa", "X_fa", "X_c4", "X_pro", "X_ac", "X_h2"):
        start[n] *= 0.7
    for n in ("S_va", "S_bu", "S_pro", "S_ac"):
        start[n] *= 3.0
    for n in adm1.GAS_STATES:
        start[n] *= 0.5
    ds = adm1.simulate(BSM2_INFLUENT, t_d=[0.0, 20.0, 400.0], initial=start, rtol=1e-9,
                       atol=1e-13, **BSM2_CASE)  # fmt: skip
    far = max(abs(float(ds[n][1]) / float(bsm2[n]) - 1.0) for n in BSM2_STATES)
    near = max(abs(float(ds[n][-1]) / float(bsm2[n]) - 1.0) for n in BSM2_STATES)
    assert np.max(np.abs(ds["S_IP"].values)) < 1e-15  # absent from BSM2: 0 to rounding
    assert far > 1e-3  # it did move
    # the slowest mode decays as exp(-(q/V) t) = exp(-20): 2e-9 of a 30 % offset
    assert near < 1e-6, near
    assert float(ds.pH[-1]) == pytest.approx(float(bsm2.pH), abs=1e-6)


def test_short_hrt_washes_out():
    case = dict(BSM2_CASE, flow_m3_d=3400.0 / 2.0)  # HRT 2 d
    with pytest.raises(adm1.WashoutError, match=r"row\(s\) \[0\]") as info:
        adm1.steady_state(BSM2_INFLUENT, **case)
    assert info.value.rows == [0]


def test_washout_names_the_batch_row():
    flows = np.array([170.0, 3400.0 / 2.0, 150.0])
    with pytest.raises(adm1.WashoutError) as info:
        adm1.steady_state(BSM2_INFLUENT, **dict(BSM2_CASE, flow_m3_d=flows))
    assert info.value.rows == [1]
    ds = adm1.steady_state(BSM2_INFLUENT, allow_washout=True, **dict(BSM2_CASE, flow_m3_d=flows))
    assert ds.washout.values.tolist() == [0.0, 1.0, 0.0]
    assert float(ds.X_ac[1]) < 0.05 * float(ds.X_ac[0])
