"""Unit tests of nexus.units.heat_recovery and nexus.units.params."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from nexus.constants import CV_WATER_kWh_m3K
from nexus.errors import ParameterError
from nexus.units import heat_recovery as hr

REL = 1e-9


def assert_balance(lhs, rhs) -> None:
    """lhs == rhs to 1e-9 relative to the size of the series (NaN-free)."""
    lhs, rhs = np.asarray(lhs, float), np.asarray(rhs, float)
    scale = max(1.0, float(np.max(np.abs(lhs))), float(np.max(np.abs(rhs))))
    np.testing.assert_allclose(lhs, rhs, rtol=0.0, atol=REL * scale)


# --------------------------------------------------------------------------- parameters


@pytest.mark.unit
@pytest.mark.parametrize(
    ("cls", "name", "value"),
    [
        (hr.DWHRParams, "rated_effectiveness_frac", 0.95),
        (hr.DWHRParams, "shower_flow_L_min", float("nan")),
        (hr.ExchangerParams, "area_m2", -1.0),
        (hr.ExchangerParams, "fouling_m2K_W", float("inf")),
        (hr.HeatPumpParams, "degradation_coef", 1.5),
        (hr.StoreParams, "loss_frac_h", -0.1),
    ],
)
def test_params_range_error_names_field(cls, name, value):
    with pytest.raises(ParameterError, match=rf"{cls.__name__}\.{name} = .*\[.*\]"):
        cls(**{name: value})


@pytest.mark.unit
def test_params_reject_non_numbers():
    with pytest.raises(ParameterError, match=r"HeatPumpParams\.capacity_kW"):
        hr.HeatPumpParams(capacity_kW="10")
    with pytest.raises(ParameterError, match=r"HeatPumpParams\.capacity_kW"):
        hr.HeatPumpParams(capacity_kW=True)


@pytest.mark.unit
def test_store_params_power_required_with_capacity():
    with pytest.raises(ParameterError, match=r"StoreParams\.max_power_kW"):
        hr.StoreParams(capacity_kWh=10.0)
    assert hr.StoreParams(capacity_kWh=10.0, max_power_kW=1.0).capacity_kWh == 10.0


@pytest.mark.unit
def test_parameter_error_is_value_error():
    with pytest.raises(ValueError):
        hr.ExchangerParams(area_m2=-1.0)


# ----------------------------------------------------------------- counterflow epsilon


@pytest.mark.unit
def test_counterflow_limits():
    N = np.array([0.0, 0.5, 1.0, 3.0, 10.0])
    np.testing.assert_allclose(hr.counterflow_effectiveness(N, 0.0), -np.expm1(-N), rtol=1e-14)
    np.testing.assert_allclose(hr.counterflow_effectiveness(N, 1.0), N / (1 + N), rtol=1e-14)
    assert hr.counterflow_effectiveness(0.0, 0.3) == 0.0
    assert hr.counterflow_effectiveness(50.0, 0.5) == pytest.approx(1 - 0.5 * math.exp(-25))
    assert hr.counterflow_effectiveness(1e4, 0.5) == 1.0


@pytest.mark.unit
@pytest.mark.parametrize("N", [1e-6, 0.1, 1.0, 5.0, 100.0])
@pytest.mark.parametrize("dCr", [1e-12, 1e-9, 1e-7, 1e-5])
def test_counterflow_continuous_at_cr_one(N, dCr):
    at_one = hr.counterflow_effectiveness(N, 1.0)
    near = hr.counterflow_effectiveness(N, 1.0 - dCr)
    # d(eps)/d(Cr) is finite at Cr = 1, so the change is O(dCr)
    assert abs(near - at_one) <= 10 * dCr * max(1.0, N) + 1e-15
    assert near >= at_one  # effectiveness falls as Cr rises


@pytest.mark.unit
def test_counterflow_broadcast_and_nan():
    N = np.linspace(0.0, 5.0, 3)[:, None]
    Cr = np.array([0.0, 0.25, 0.5, 1.0])
    eps = hr.counterflow_effectiveness(N, Cr)
    assert eps.shape == (3, 4)
    out = hr.counterflow_effectiveness([np.nan, 1.0], [0.5, np.nan])
    assert np.isnan(out).all()


@pytest.mark.unit
def test_counterflow_monotone():
    N = np.linspace(0.0, 20.0, 201)
    for cr in (0.0, 0.3, 0.7, 1.0):
        assert np.all(np.diff(hr.counterflow_effectiveness(N, cr)) > 0)
    Cr = np.linspace(0.0, 1.0, 101)
    assert np.all(np.diff(hr.counterflow_effectiveness(2.0, Cr)) < 0)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("N", "Cr", "name"),
    [(-1.0, 0.5, "NTU"), (1.0, 1.2, "Cr"), (1.0, -0.1, "Cr"), (np.inf, 0.5, "NTU")],
)
def test_counterflow_range_errors(N, Cr, name):
    with pytest.raises(ParameterError, match=name):
        hr.counterflow_effectiveness(N, Cr)


@pytest.mark.unit
@settings(max_examples=300, deadline=None)
@given(st.floats(0.0, 1e4), st.floats(0.0, 1.0))
def test_counterflow_bounds_property(N, Cr):
    eps = float(hr.counterflow_effectiveness(N, Cr))
    assert 0.0 <= eps <= 1.0
    assert eps <= float(hr.counterflow_effectiveness(N, 0.0)) + 1e-12  # Cr = 0 is the best
    assert eps >= float(hr.counterflow_effectiveness(N, 1.0)) - 1e-12  # Cr = 1 the worst


# ----------------------------------------------------------------------- UA and duty


@pytest.mark.unit
def test_ua():
    assert hr.ua_W_K(10.0, 500.0, 0.0) == 5000.0
    assert hr.ua_W_K(10.0, 500.0, 0.001) == pytest.approx(10.0 / (1 / 500.0 + 0.001))
    assert hr.ua_W_K(0.0, 500.0, 0.001) == 0.0
    assert np.isnan(hr.ua_W_K(np.nan, 500.0, 0.001))
    with pytest.raises(ParameterError, match="area_m2"):
        hr.ua_W_K(-1.0, 500.0, 0.0)


@pytest.mark.unit
def test_exchanger_energy_balance_and_second_law():
    rng = np.random.default_rng(1)
    Vh, Vc = rng.uniform(0.01, 5.0, 1000), rng.uniform(0.01, 5.0, 1000)
    Th, Tc = rng.uniform(15.0, 40.0, 1000), rng.uniform(0.0, 20.0, 1000)
    UA = rng.uniform(0.0, 2e4, 1000)
    r = hr.exchanger_duty(Vh, Th, Vc, Tc, UA)
    hot_side = CV_WATER_kWh_m3K * Vh * (Th - r.hot_T_out_C)
    cold_side = CV_WATER_kWh_m3K * Vc * (r.cold_T_out_C - Tc)
    assert_balance(hot_side, r.heat_kW)
    assert_balance(cold_side, r.heat_kW)
    hot = Th > Tc
    assert np.all(r.heat_kW[~hot] == 0.0)
    assert np.all(r.hot_T_out_C[hot] >= Tc[hot] - 1e-9)
    assert np.all(r.cold_T_out_C[hot] <= Th[hot] + 1e-9)
    assert np.all((r.effectiveness_frac >= 0) & (r.effectiveness_frac <= 1))


@pytest.mark.unit
def test_exchanger_zero_flow_zero_area():
    r = hr.exchanger_duty([0.0, 2.0, 2.0], 30.0, [2.0, 0.0, 2.0], 10.0, [1e4, 1e4, 0.0])
    np.testing.assert_array_equal(r.heat_kW, 0.0)
    np.testing.assert_array_equal(r.hot_T_out_C, 30.0)
    np.testing.assert_array_equal(r.cold_T_out_C, 10.0)
    np.testing.assert_array_equal(r.effectiveness_frac, 0.0)


@pytest.mark.unit
def test_exchanger_scalar_broadcast_nan():
    r = hr.exchanger_duty(1.0, 30.0, 1.0, 10.0, 1e3)
    assert np.ndim(r.heat_kW) == 0 and r.heat_kW > 0
    r = hr.exchanger_duty(np.ones((4, 1)), np.array([25.0, np.nan, 30.0]), 1.0, 10.0, 1e3)
    assert r.heat_kW.shape == (4, 3)
    assert np.isnan(r.heat_kW[:, 1]).all() and np.isnan(r.hot_T_out_C[:, 1]).all()
    assert np.isfinite(r.heat_kW[:, [0, 2]]).all()
    for args in (
        [np.nan, 30.0, 1.0, 10.0, 1e3],
        [1.0, 30.0, 0.0, np.nan, 1e3],
        [1.0, 30.0, 1.0, 10.0, np.nan],
    ):
        out = hr.exchanger_duty(*args)
        assert all(np.isnan(v) for v in out)


@pytest.mark.unit
def test_exchanger_negative_flow_raises():
    with pytest.raises(ParameterError, match="cold_flow_m3_h"):
        hr.exchanger_duty(1.0, 30.0, -1.0, 10.0, 1e3)


# --------------------------------------------------------------------------------- DWHR

KW = {"rated_effectiveness_frac": 0.5, "rated_flow_L_min": 9.5, "film_exponent": 0.8}


@pytest.mark.unit
def test_dwhr_effectiveness_rating_point_and_monotone():
    assert hr.dwhr_effectiveness(9.5, **KW) == pytest.approx(0.5, rel=1e-14)
    e = hr.dwhr_effectiveness(np.linspace(0.5, 30.0, 60), **KW)
    assert np.all(np.diff(e) < 0)
    flat = hr.dwhr_effectiveness([2.0, 20.0], **{**KW, "film_exponent": 1.0})
    np.testing.assert_allclose(flat, 0.5, rtol=1e-14)
    assert hr.dwhr_effectiveness(0.0, **KW) == 1.0  # NTU -> infinity as flow -> 0
    assert hr.dwhr_effectiveness(0.0, **{**KW, "rated_effectiveness_frac": 0.0}) == 0.0


@pytest.mark.unit
def test_dwhr_effectiveness_equals_ntu_form():
    q = np.array([3.0, 7.0, 15.0])
    ntu_r = 0.5 / (1 - 0.5)
    ntu = ntu_r * (q / 9.5) ** (0.8 - 1)
    np.testing.assert_allclose(hr.dwhr_effectiveness(q, **KW), ntu / (1 + ntu), rtol=1e-13)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"rated_effectiveness_frac": 1.0}, "rated_eff"),
        ({"rated_flow_L_min": 0.0}, "rated_flow"),
        ({"film_exponent": 1.2}, "film_exponent"),
    ],
)
def test_dwhr_effectiveness_errors(kw, name):
    with pytest.raises(ParameterError, match=name):
        hr.dwhr_effectiveness(5.0, **{**KW, **kw})
    with pytest.raises(ParameterError, match="flow_L_min"):
        hr.dwhr_effectiveness(-5.0, **KW)


@pytest.mark.unit
def test_dwhr_heat():
    p = hr.DWHRParams()
    eps = hr.dwhr_effectiveness(
        p.shower_flow_L_min,
        rated_effectiveness_frac=p.rated_effectiveness_frac,
        rated_flow_L_min=9.5,
        film_exponent=p.film_exponent,
    )
    V = np.array([0.0, 0.05, 0.2, 0.2, np.nan])
    Td = np.array([38.0, 38.0, 30.0, 5.0, 38.0])
    r = hr.dwhr_heat_kW(V, Td, 10.0, p)
    expected = eps * CV_WATER_kWh_m3K * V[:4] * np.maximum(Td[:4] - 10.0, 0.0)
    np.testing.assert_allclose(r.heat_kW[:4], expected, rtol=1e-14)
    assert_balance(CV_WATER_kWh_m3K * V[:4] * (Td[:4] - r.drain_T_out_C[:4]), r.heat_kW[:4])
    assert r.drain_T_out_C[0] == 38.0 and r.heat_kW[3] == 0.0 and r.drain_T_out_C[3] == 5.0
    assert np.isnan(r.heat_kW[4]) and np.isnan(r.drain_T_out_C[4])
    assert np.isnan(hr.dwhr_heat_kW(0.1, 38.0, np.nan, p).heat_kW)
    assert hr.dwhr_heat_kW(0.1, 38.0, 10.0, p).heat_kW.shape == ()
    with pytest.raises(ParameterError, match="drain_flow_m3_h"):
        hr.dwhr_heat_kW(-0.1, 38.0, 10.0, p)


# --------------------------------------------------------------------------- heat pump


@pytest.mark.unit
def test_carnot_cop_value_floor_monotone():
    T_cond, T_evap = 62.5 + 273.15, 14.5 + 273.15
    assert hr.carnot_cop(17.0, 60.0, 0.5, 2.5) == pytest.approx(0.5 * T_cond / (T_cond - T_evap))
    # lift floored at MIN_LIFT_K: a source warmer than the sink gives a finite COP
    top = 0.5 * (60.0 + 2.5 + 273.15) / hr.MIN_LIFT_K
    assert hr.carnot_cop([58.0, 80.0], 60.0, 0.5, 2.5) == pytest.approx([top, top])
    src = np.linspace(-5.0, 40.0, 46)
    assert np.all(np.diff(hr.carnot_cop(src, 60.0, 0.5, 2.5)) > 0)
    assert np.all(np.diff(hr.carnot_cop(10.0, np.linspace(30, 90, 61), 0.5, 2.5)) < 0)
    assert np.isnan(hr.carnot_cop([np.nan], 60.0, 0.5, 2.5)).all()
    assert hr.carnot_cop(np.zeros((2, 3)), np.zeros(3) + 50.0, 0.5, 2.5).shape == (2, 3)
    with pytest.raises(ParameterError, match="carnot_frac"):
        hr.carnot_cop(10.0, 60.0, 0.0, 2.5)
    with pytest.raises(ParameterError, match="approach_K"):
        hr.carnot_cop(10.0, 60.0, 0.5, -1.0)


@pytest.mark.unit
def test_part_load_cop():
    cr = np.linspace(0.0, 1.0, 11)
    pl = hr.part_load_cop(4.0, cr, 0.9)
    np.testing.assert_allclose(pl, 4.0 * cr / (0.9 * cr + 0.1))
    assert pl[0] == 0.0 and pl[-1] == 4.0 and np.all(np.diff(pl) > 0)
    np.testing.assert_allclose(hr.part_load_cop(4.0, cr, 1.0), 4.0)  # no cycling loss
    assert np.isnan(hr.part_load_cop(4.0, np.nan, 0.9))
    assert np.isnan(hr.part_load_cop(np.nan, 0.5, 0.9))
    with pytest.raises(ParameterError, match="part_load_frac"):
        hr.part_load_cop(4.0, 1.5, 0.9)
    with pytest.raises(ParameterError, match="degradation_coef"):
        hr.part_load_cop(4.0, 0.5, -0.1)


# ------------------------------------------------------------------------------- store

STORE = hr.StoreParams(capacity_kWh=40.0, max_power_kW=15.0, loss_frac_h=0.01, initial_frac=0.5)


def check_store(supply, demand, p: hr.StoreParams, r: hr.StoreResult) -> None:
    supply, demand = np.broadcast_arrays(np.asarray(supply, float), np.asarray(demand, float))
    start = np.concatenate(
        [np.full((*supply.shape[:-1], 1), p.initial_frac * p.capacity_kWh), r.stored_kWh[..., :-1]],
        axis=-1,
    )
    assert_balance(supply - r.curtailed_kW, r.delivered_kW + r.loss_kW + r.stored_kWh - start)
    assert_balance(r.loss_kW, p.loss_frac_h * start)
    tol = REL * max(1.0, p.capacity_kWh, float(supply.max()), float(demand.max()))
    assert np.all(r.stored_kWh >= -tol) and np.all(r.stored_kWh <= p.capacity_kWh + tol)
    for x in (r.charge_kW, r.discharge_kW):
        assert np.all(x >= 0) and np.all(x <= p.max_power_kW + tol)
    assert np.all(r.charge_kW * r.discharge_kW == 0)
    assert np.all(r.curtailed_kW >= -tol) and np.all(r.delivered_kW <= demand + tol)


@pytest.mark.unit
def test_store_hand_case():
    p = hr.StoreParams(capacity_kWh=10.0, max_power_kW=4.0, loss_frac_h=0.1)
    r = hr.store_dispatch([10.0, 0.0, 0.0, 3.0], [2.0, 1.0, 6.0, 3.0], p)
    np.testing.assert_allclose(r.charge_kW, [4.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(r.curtailed_kW, [4.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(r.loss_kW, [0.0, 0.4, 0.26, 0.0])
    np.testing.assert_allclose(r.discharge_kW, [0.0, 1.0, 2.34, 0.0])
    np.testing.assert_allclose(r.stored_kWh, [4.0, 2.6, 0.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(r.delivered_kW, [2.0, 1.0, 2.34, 3.0])
    check_store([10.0, 0.0, 0.0, 3.0], [2.0, 1.0, 6.0, 3.0], p, r)


@pytest.mark.unit
def test_store_capacity_limit_and_full_start():
    p = hr.StoreParams(capacity_kWh=5.0, max_power_kW=100.0, initial_frac=1.0)
    r = hr.store_dispatch([50.0, 50.0], [0.0, 0.0], p)
    np.testing.assert_array_equal(r.stored_kWh, 5.0)  # loss made up, never above capacity
    check_store([50.0, 50.0], [0.0, 0.0], p, r)


@pytest.mark.unit
def test_store_zero_capacity_shortcut():
    r = hr.store_dispatch([3.0, 1.0, np.nan], [2.0, 2.0, 1.0], hr.StoreParams())
    np.testing.assert_array_equal(r.delivered_kW[:2], [2.0, 1.0])
    np.testing.assert_array_equal(r.curtailed_kW[:2], [1.0, 0.0])
    np.testing.assert_array_equal(r.stored_kWh[:2], 0.0)
    assert all(np.isnan(v[2]) for v in r)


@pytest.mark.unit
def test_store_nan_poisons_later_hours():
    r = hr.store_dispatch([3.0, np.nan, 3.0], [1.0, 1.0, 1.0], STORE)
    assert all(np.isfinite(v[0]) for v in r)
    assert all(np.isnan(v[1]) and np.isnan(v[2]) for v in r)


@pytest.mark.unit
def test_store_broadcast_rows_independent_and_scalar():
    sup = np.array([[5.0, 0.0, 5.0], [0.0, 0.0, 0.0]])
    r = hr.store_dispatch(sup, 2.0, STORE)
    assert r.stored_kWh.shape == (2, 3)
    for i in range(2):
        ri = hr.store_dispatch(sup[i], 2.0, STORE)
        for a, b in zip(r, ri, strict=True):
            np.testing.assert_array_equal(a[i], b)
    r0 = hr.store_dispatch(5.0, 2.0, STORE)
    assert np.ndim(r0.stored_kWh) == 0
    with pytest.raises(ParameterError, match="demand_kW"):
        hr.store_dispatch([1.0], [-1.0], STORE)
    # one rule for every unit function (nexus.units.checks): infinity is refused too,
    # as in the CHP's functions, and NaN propagates
    with pytest.raises(ParameterError, match=r"supply_kW = inf is outside \[0, inf\)"):
        hr.store_dispatch([np.inf], [1.0], STORE)
    assert np.isnan(hr.store_dispatch([np.nan], [1.0], STORE).delivered_kW[0])


@pytest.mark.unit
def test_store_speed_one_year():
    rng = np.random.default_rng(7)
    s, d = rng.uniform(0, 30, 8760), rng.uniform(0, 30, 8760)
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        hr.store_dispatch(s, d, STORE)
        best = min(best, time.perf_counter() - t0)
    assert best < 0.020


@pytest.mark.unit
@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1e3), st.floats(0, 1e3)), min_size=1, max_size=60),
    st.floats(0.0, 1e3),
    st.floats(0.01, 1e3),
    st.floats(0.0, 0.5),
    st.floats(0.0, 1.0),
)
def test_store_balance_property(hours, cap, pmax, loss, init):
    sup, dem = np.array(hours).T
    p = hr.StoreParams(capacity_kWh=cap, max_power_kW=pmax, loss_frac_h=loss, initial_frac=init)
    check_store(sup, dem, p, hr.store_dispatch(sup, dem, p))


# ----------------------------------------------------------------------------- station

EXCH = hr.ExchangerParams(area_m2=60.0, loop_flow_m3_h=6.0)
HP = hr.HeatPumpParams(capacity_kW=60.0)


def synthetic_year(seed: int = 42):
    rng = np.random.default_rng(seed)
    t = np.arange(8760)
    daily = 1.0 + 0.8 * np.sin(2 * np.pi * (t % 24 - 7) / 24)
    flow = rng.uniform(0.05, 1.0, 8760) * daily * 4.0  # m3/h, all positive
    gw_T = 24.0 + 4.0 * np.sin(2 * np.pi * t / 8760) + rng.normal(0.0, 1.0, 8760)
    demand = rng.uniform(5.0, 90.0, 8760)
    return flow, gw_T, demand


def check_station(flow, gw_T, r: hr.StationResult, store: hr.StoreParams, exch, hp) -> None:
    assert_balance(r.heat_extracted_kW + r.electricity_kW, r.heat_output_kW)
    start = np.concatenate([[store.initial_frac * store.capacity_kWh], r.stored_kWh[:-1]])
    assert_balance(r.heat_output_kW, r.delivered_kW + r.store_loss_kW + r.stored_kWh - start)
    assert_balance(CV_WATER_kWh_m3K * flow * (gw_T - r.gw_T_out_C), r.heat_extracted_kW)
    ua = hr.ua_W_K(exch.area_m2, exch.U_clean_W_m2K, exch.fouling_m2K_W)
    q_av = hr.exchanger_duty(flow, gw_T, exch.loop_flow_m3_h, exch.loop_T_in_C, ua).heat_kW
    tol = REL * max(1.0, float(np.max(q_av)))
    assert np.all(r.heat_extracted_kW >= -tol)
    assert np.all(r.heat_extracted_kW <= q_av + tol)
    assert np.all(r.heat_output_kW <= hp.capacity_kW + tol)
    assert np.all(r.electricity_kW >= 0) and np.all(r.curtailed_kW >= -tol)


@pytest.mark.component
@pytest.mark.parametrize(
    "store",
    [hr.StoreParams(), hr.StoreParams(capacity_kWh=300.0, max_power_kW=60.0, initial_frac=0.3)],
)
@pytest.mark.parametrize(
    "hp",
    [
        HP,
        hr.HeatPumpParams(capacity_kW=60.0, min_part_load_frac=0.3),
        hr.HeatPumpParams(capacity_kW=60.0, min_part_load_frac=0.0),
    ],
)
def test_station_balances_synthetic_year(store, hp):
    flow, gw_T, demand = synthetic_year()
    r = hr.greywater_heat_pump(flow, gw_T, demand, exchanger=EXCH, heat_pump=hp, store=store)
    assert r.heat_output_kW.shape == (8760,)
    assert all(np.isfinite(v).all() for v in r)
    check_station(flow, gw_T, r, store, EXCH, hp)
    full = hr.carnot_cop(
        hr.exchanger_duty(
            flow, gw_T, EXCH.loop_flow_m3_h, EXCH.loop_T_in_C, hr.ua_W_K(60.0, 534.0, 0.000528)
        ).cold_T_out_C,
        hp.supply_T_C,
        hp.carnot_frac,
        hp.approach_K,
    )
    assert np.all(r.cop <= full * (1 + 1e-12)) and np.all(r.cop >= 1.0)
    assert r.heat_output_kW.sum() > 0


@pytest.mark.component
def test_station_not_built_gives_zero():
    flow, gw_T, demand = synthetic_year(3)
    for exch, hp in (
        (hr.ExchangerParams(), HP),
        (EXCH, hr.HeatPumpParams()),
        (hr.ExchangerParams(area_m2=60.0), HP),
    ):
        r = hr.greywater_heat_pump(
            flow, gw_T, demand, exchanger=exch, heat_pump=hp, store=hr.StoreParams()
        )
        for name in ("heat_extracted_kW", "electricity_kW", "heat_output_kW", "delivered_kW"):
            np.testing.assert_array_equal(getattr(r, name), 0.0)
        np.testing.assert_array_equal(r.gw_T_out_C, gw_T)
        assert np.isfinite(r.cop).all()


@pytest.mark.component
def test_station_zero_flow_nan_and_scalar():
    flow = np.array([1.0, 0.0, np.nan, 1.0])
    gw_T = np.array([25.0, 25.0, 25.0, 25.0])
    store = hr.StoreParams(capacity_kWh=50.0, max_power_kW=20.0)
    r = hr.greywater_heat_pump(flow, gw_T, 10.0, exchanger=EXCH, heat_pump=HP, store=store)
    assert r.heat_extracted_kW[1] == 0.0 and r.gw_T_out_C[1] == 25.0
    assert r.delivered_kW[1] == pytest.approx(10.0)  # from the store
    assert np.isnan(r.gw_T_out_C[2]) and np.isnan(r.heat_output_kW[2]) and np.isnan(r.cop[2])
    assert np.isnan(r.stored_kWh[3])  # store state unknown after a NaN hour
    r0 = hr.greywater_heat_pump(
        1.0, 25.0, 10.0, exchanger=EXCH, heat_pump=HP, store=hr.StoreParams()
    )
    assert np.ndim(r0.heat_output_kW) == 0 and r0.heat_output_kW == pytest.approx(10.0)


@pytest.mark.component
def test_station_part_load_costs_electricity():
    kw = {"exchanger": EXCH, "store": hr.StoreParams()}
    on_off = hr.greywater_heat_pump(2.0, 25.0, 6.0, heat_pump=HP, **kw)
    modulating = hr.greywater_heat_pump(
        2.0, 25.0, 6.0, **kw, heat_pump=hr.HeatPumpParams(capacity_kW=60.0, min_part_load_frac=0.0)
    )
    assert on_off.heat_output_kW == pytest.approx(modulating.heat_output_kW)
    assert on_off.electricity_kW > modulating.electricity_kW
    assert on_off.heat_extracted_kW < modulating.heat_extracted_kW


# ------------------------------------------------------------------ DWHR product classes


@pytest.mark.unit
def test_dwhr_classes_are_sourced_and_in_range():
    assert {"csa_b55_listed", "nen7120_vertical_default", "nen7120_horizontal_default"} <= set(
        hr.DWHR_CLASSES
    )
    for name, c in hr.DWHR_CLASSES.items():
        assert 0.0 < c.rated_effectiveness_frac < 0.8, name
        assert len(c.source) > 40 and len(c.description) > 20, name
    # NEN 7120 A1 halved the horizontal default: 40 % vertical, 20 % horizontal
    assert hr.DWHR_CLASSES["nen7120_vertical_default"].rated_effectiveness_frac == 0.40
    assert hr.DWHR_CLASSES["nen7120_horizontal_default"].rated_effectiveness_frac == 0.20
    assert hr.DWHR_CLASSES["csa_b55_listed"].rated_effectiveness_frac == (
        hr.DWHRParams().rated_effectiveness_frac
    )


def _dwhr_params(table: dict):
    t = hr.ShowerDWHRType()
    return t.make_params(t.model.model_validate(table))


@pytest.mark.unit
def test_dwhr_product_class_sets_the_rating():
    p = _dwhr_params({"product_class": "nen7120_horizontal_default", "shower_flow_L_min": 8.0})
    assert (p.rated_effectiveness_frac, p.rated_flow_L_min) == (0.20, 8.0)
    # an in-use (Dutch) rating applies at the shower flow: no flow correction
    r = hr.dwhr_heat_kW(0.6, 35.0, 10.0, p)
    assert float(r.heat_kW) == pytest.approx(0.20 * CV_WATER_kWh_m3K * 0.6 * 25.0, rel=1e-12)
    q = _dwhr_params({"product_class": "csa_b55_listed"})
    assert (q.rated_effectiveness_frac, q.rated_flow_L_min) == (0.4207, 9.5)
    assert _dwhr_params({}) == hr.DWHRParams()
    assert _dwhr_params({"rated_effectiveness_frac": 0.55}).rated_effectiveness_frac == 0.55


@pytest.mark.unit
def test_dwhr_product_class_and_own_rating_conflict():
    with pytest.raises(ParameterError, match="two ratings for one unit"):
        _dwhr_params({"product_class": "csa_b55_listed", "rated_effectiveness_frac": 0.5})
    with pytest.raises(ParameterError, match="rated_flow_L_min"):
        _dwhr_params({"product_class": "csa_b55_listed", "rated_flow_L_min": 12.0})
    with pytest.raises(ValidationError):
        _dwhr_params({"product_class": "diagonal"})
