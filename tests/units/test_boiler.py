"""Unit and component tests of nexus.units.boiler (biogas boiler)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nexus
from nexus.errors import ParameterError
from nexus.registry import NodeInputs
from nexus.units import boiler, chp

REL = 1e-9
LHV = chp.LHV_CH4_kWh_Nm3


def burn(q, capacity_kW=50.0, eta=0.88) -> boiler.BoilerResult:
    return boiler.boiler_burn(q, capacity_kW=capacity_kW, thermal_efficiency_frac=eta)


def check_balances(q, r: boiler.BoilerResult, capacity_kW: float, eta: float = 0.88) -> None:
    """Methane and energy balances and the capacity bound, hour by hour, to 1e-9."""
    q = np.asarray(q, float)
    scale = max(1.0, float(np.max(np.abs(q))) * LHV)
    np.testing.assert_allclose(r.methane_burnt_Nm3_h + r.flared_Nm3_h, q, rtol=0, atol=REL * scale)
    np.testing.assert_allclose(r.heat_kW + r.losses_kW, r.fuel_kW, rtol=0, atol=REL * scale)
    np.testing.assert_allclose(r.fuel_kW, r.methane_burnt_Nm3_h * LHV, rtol=0, atol=REL * scale)
    for a in (r.methane_burnt_Nm3_h, r.flared_Nm3_h, r.fuel_kW, r.heat_kW):
        assert np.all(a >= -REL * scale)
    if eta <= 1.0:  # a condensing boiler gains the latent heat the LHV leaves out
        assert np.all(r.losses_kW >= -REL * scale)
    assert np.all(r.heat_kW <= capacity_kW * (1 + 1e-12))


def inputs(methane, open_kW) -> NodeInputs:
    n = len(methane)
    return NodeInputs(
        inlets={},
        gas_Nm3_h={"biogas": np.asarray(methane, float)},
        open_demand_kW={"heat": np.asarray(open_kW, float)},
        T_mains_C=np.full(n, 10.0),
        T_out_C=np.full(n, 5.0),
        time=pd.date_range("2025-01-01", periods=n, freq="h"),
    )


# --------------------------------------------------------------------------- parameters


@pytest.mark.unit
def test_defaults_and_derived_property():
    p = boiler.BoilerParams()
    assert p.capacity_kW == 0.0
    assert p.thermal_efficiency_frac == 0.88
    assert boiler.BoilerParams(capacity_kW=87.736).methane_max_Nm3_h == pytest.approx(
        87.736 / (0.88 * 9.97), rel=1e-14
    )


@pytest.mark.unit
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("capacity_kW", -1.0),
        ("capacity_kW", float("nan")),
        ("thermal_efficiency_frac", 0.3),
        ("thermal_efficiency_frac", 1.2),
        ("thermal_efficiency_frac", float("inf")),
    ],
)
def test_params_range_error_names_field(name, value):
    with pytest.raises(ParameterError, match=rf"BoilerParams\.{name} = .*\[.*\]"):
        boiler.BoilerParams(**{name: value})


@pytest.mark.unit
def test_params_reject_unknown_keyword_and_non_numbers():
    with pytest.raises(TypeError):
        boiler.BoilerParams(efficiency_frac=0.9)  # type: ignore[call-arg]
    with pytest.raises(ParameterError, match=r"BoilerParams\.capacity_kW"):
        boiler.BoilerParams(capacity_kW="50")  # type: ignore[arg-type]


@pytest.mark.unit
def test_every_default_cites_its_source():
    from nexus.units.params import describe

    for row in describe(boiler.BoilerParams):
        assert row["source"] and row["unit"] and row["doc"], row
    (eta,) = (r for r in describe(boiler.BoilerParams) if r["name"] == "thermal_efficiency_frac")
    assert "92/42/EEC" in eta["source"] and "net calorific value" in eta["source"]


# -------------------------------------------------------------------------------- burn


@pytest.mark.unit
def test_efficiency_below_capacity():
    """Below its capacity the boiler burns all methane: heat = eta x methane x LHV."""
    r = burn([0.0, 1.0, 3.0])
    np.testing.assert_allclose(r.heat_kW, [0.0, 0.88 * 9.97, 3 * 0.88 * 9.97], rtol=1e-14)
    np.testing.assert_allclose(r.fuel_kW, [0.0, 9.97, 3 * 9.97], rtol=1e-14)
    np.testing.assert_allclose(r.losses_kW, 0.12 * r.fuel_kW, rtol=1e-12)
    assert np.all(r.flared_Nm3_h == 0.0)
    r = burn([2.0], eta=1.05)  # condensing, on the LHV
    assert r.heat_kW[0] == pytest.approx(2 * 1.05 * 9.97, rel=1e-14)
    assert r.losses_kW[0] < 0  # the latent heat the LHV leaves out


@pytest.mark.unit
def test_capacity_limit_and_flaring():
    q_max = 50.0 / (0.88 * LHV)
    r = burn([q_max, q_max + 4.0, 100.0])
    np.testing.assert_allclose(r.heat_kW, 50.0, rtol=1e-14)
    np.testing.assert_allclose(r.methane_burnt_Nm3_h, q_max, rtol=1e-14)
    np.testing.assert_allclose(r.flared_Nm3_h, [0.0, 4.0, 100.0 - q_max], atol=1e-12)


@pytest.mark.unit
def test_not_built_flares_everything():
    r = burn([0.0, 5.0, 12.5], capacity_kW=0.0)
    np.testing.assert_array_equal(r.flared_Nm3_h, [0.0, 5.0, 12.5])
    for a in (r.methane_burnt_Nm3_h, r.fuel_kW, r.heat_kW, r.losses_kW):
        assert np.all(a == 0.0)


@pytest.mark.unit
def test_balances_close_hour_by_hour_over_a_year():
    rng = np.random.default_rng(11)
    q = rng.uniform(0.0, 12.0, 8760) * (rng.random(8760) > 0.1)
    r = burn(q, capacity_kW=60.0)
    check_balances(q, r, 60.0)
    assert r.flared_Nm3_h.sum() > 0 and (r.flared_Nm3_h == 0).sum() > 0  # both regimes


@pytest.mark.unit
@given(
    q=st.lists(st.floats(0.0, 1e4, allow_subnormal=False), min_size=1, max_size=48),
    cap=st.floats(0.0, 1e5),
    eta=st.floats(0.5, 1.1),
)
def test_balances_property(q, cap, eta):
    check_balances(q, burn(q, capacity_kW=cap, eta=eta), cap, eta)


@pytest.mark.unit
def test_nan_only_its_hour():
    r = burn([2.0, np.nan, 20.0])
    for a in r:
        assert np.isnan(a[1]) and not np.isnan(a[0]) and not np.isnan(a[2])
    assert r.heat_kW[2] == pytest.approx(50.0, rel=1e-14)


@pytest.mark.unit
@pytest.mark.parametrize("bad", [-1.0, -1e-300, np.inf])
def test_rejects_negative_or_infinite_methane(bad):
    with pytest.raises(ParameterError, match=r"methane_Nm3_h = .*expected a finite number >= 0"):
        burn([1.0, bad])


@pytest.mark.unit
@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"capacity_kW": -5.0}, "capacity_kW"),
        ({"eta": 0.0}, "thermal_efficiency_frac"),
        ({"eta": 1.5}, "thermal_efficiency_frac"),
    ],
)
def test_rejects_bad_parameters(kw, name):
    with pytest.raises(ParameterError, match=name):
        burn([1.0], **kw)


@pytest.mark.unit
def test_scalar_broadcast_and_no_mutation():
    s = burn(2.0)
    assert s.heat_kW.shape == () and float(s.heat_kW) == pytest.approx(2 * 0.88 * 9.97)
    q = np.array([[1.0, 9.0], [3.0, 0.0]])
    before = q.copy()
    r = burn(q, capacity_kW=np.array([[10.0], [50.0]]))  # one capacity per row
    assert r.heat_kW.shape == (2, 2)
    np.testing.assert_allclose(r.heat_kW[0], [8.7736, 10.0], rtol=1e-12)
    np.testing.assert_array_equal(q, before)


# ------------------------------------------------------------------------ the unit type


@pytest.mark.component
def test_run_serves_open_demand_and_dumps_the_rest():
    kind = nexus.node_types()["biogas_boiler"]
    params = boiler.BoilerParams(capacity_kW=50.0)
    q = [0.0, 2.0, 2.0, 10.0, np.nan]
    open_kW = [5.0, 100.0, 10.0, np.inf, 5.0]
    result = kind.run(params, inputs(q, open_kW))
    made = 2.0 * 0.88 * 9.97
    supplied = np.asarray(result.supply_kW["heat"])
    np.testing.assert_allclose(supplied[:4], [0.0, made, 10.0, 50.0], rtol=1e-14)
    out = result.outputs
    np.testing.assert_allclose(out["heat_dumped_kW"][:4], [0.0, 0.0, made - 10.0, 0.0])
    np.testing.assert_allclose(out["flared_Nm3_h"][:4], [0.0, 0.0, 0.0, 10.0 - 50 / (0.88 * LHV)])
    # energy: fuel = heat supplied + heat lost (flue gas and dumped), every hour
    np.testing.assert_allclose(
        np.asarray(result.fuel_kW)[:4],
        supplied[:4] + np.asarray(result.heat_loss_kW)[:4],
        rtol=1e-14,
    )
    for value in (supplied, result.fuel_kW, result.heat_loss_kW, *out.values()):
        assert np.isnan(np.asarray(value)[4])  # the NaN hour stays NaN


@pytest.mark.component
def test_type_declarations_share_the_chp_outputs():
    kind = nexus.node_types()["biogas_boiler"]
    assert kind.role == "unit"
    assert [p.name for p in kind.ports] == ["biogas", "heat"]
    assert kind.port("heat").serves == nexus.node_types()["chp"].port("heat").serves
    assert [s.key for s in kind.sizes] == ["capacity_kW"]
    assert kind.output("heat_generated_kW") is chp.HEAT_GENERATED
    assert kind.output("flared_Nm3_h").annual == "methane flared"
    assert kind.optimizable
