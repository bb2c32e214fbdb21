"""Unit and component tests of nexus.units.chp (methane store, CHP engine, EV km)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus.errors import ParameterError
from nexus.units import chp

REL = 1e-9
LHV = chp.LHV_CH4_kWh_Nm3
CHP50 = chp.CHPParams(capacity_kWe=50.0)
V1 = CHP50.fuel_full_kW / LHV  # methane of one full-load hour of CHP50 [Nm3]
A50 = CHP50.idle_fuel_frac
VMIN = V1 * (A50 + (1 - A50) * CHP50.min_part_load_frac)


def assert_balance(lhs, rhs) -> None:
    """lhs == rhs to 1e-9 relative to the size of the series (NaN-free)."""
    lhs, rhs = np.asarray(lhs, float), np.asarray(rhs, float)
    scale = max(1.0, float(np.max(np.abs(lhs))), float(np.max(np.abs(rhs))))
    np.testing.assert_allclose(lhs, rhs, rtol=0.0, atol=REL * scale)


def check_balances(q, store: chp.BiogasStoreParams, p: chp.CHPParams, r: chp.CHPResult) -> None:
    """Methane and energy balances, bounds and the operating rule, hour by hour."""
    q = np.asarray(q, float)
    s0 = store.initial_frac * store.capacity_Nm3
    prev = np.concatenate([np.full((*q.shape[:-1], 1), s0), r.stored_Nm3[..., :-1]], axis=-1)
    assert_balance(q, r.methane_burnt_Nm3_h + r.flared_Nm3_h + r.stored_Nm3 - prev)
    assert_balance(r.fuel_kW, r.electricity_kW + r.heat_kW + r.losses_kW)
    assert_balance(r.fuel_kW, r.methane_burnt_Nm3_h * LHV)
    tol = REL * max(1.0, float(np.max(r.fuel_kW)), store.capacity_Nm3)
    for a in (r.methane_burnt_Nm3_h, r.flared_Nm3_h, r.stored_Nm3, r.losses_kW, r.heat_kW):
        assert np.all(a >= -tol)
    assert np.all(r.stored_Nm3 <= store.capacity_Nm3 + tol)
    on = r.load_frac > 0
    np.testing.assert_array_equal(on, r.fuel_kW > 0)  # no idling: fuel only under load
    assert np.all(r.load_frac <= 1.0 + 1e-12)
    assert np.all(r.load_frac[on] >= p.min_part_load_frac - 1e-12)
    assert np.all(r.electricity_kW <= p.capacity_kWe * (1 + 1e-12))
    # gas is flared only when the engine is at full load or cannot run
    flaring = r.flared_Nm3_h > tol
    assert np.all((r.load_frac[flaring] == 1.0) | (r.load_frac[flaring] == 0.0))


# --------------------------------------------------------------------------- parameters


@pytest.mark.unit
@pytest.mark.parametrize(
    ("cls", "name", "value"),
    [
        (chp.BiogasStoreParams, "capacity_Nm3", -1.0),
        (chp.BiogasStoreParams, "initial_frac", 1.5),
        (chp.CHPParams, "capacity_kWe", float("nan")),
        (chp.CHPParams, "electrical_efficiency_frac", 0.0),
        (chp.CHPParams, "min_part_load_frac", 0.05),
        (chp.CHPParams, "half_load_ratio_frac", 0.5),
        (chp.EVParams, "kWh_per_km", 0.0),
        (chp.EVParams, "charger_efficiency_frac", float("inf")),
    ],
)
def test_params_range_error_names_field(cls, name, value):
    with pytest.raises(ParameterError, match=rf"{cls.__name__}\.{name} = .*\[.*\]"):
        cls(**{name: value})


@pytest.mark.unit
def test_params_reject_non_numbers():
    with pytest.raises(ParameterError, match=r"CHPParams\.capacity_kWe"):
        chp.CHPParams(capacity_kWe="50")
    with pytest.raises(ParameterError, match=r"BiogasStoreParams\.capacity_Nm3"):
        chp.BiogasStoreParams(capacity_Nm3=True)


@pytest.mark.unit
def test_chp_params_efficiencies_cannot_exceed_fuel():
    with pytest.raises(ParameterError, match=r"electrical_efficiency_frac \+ thermal"):
        chp.CHPParams(electrical_efficiency_frac=0.45, thermal_efficiency_frac=0.6)
    assert chp.CHPParams(electrical_efficiency_frac=0.4, thermal_efficiency_frac=0.6)


@pytest.mark.unit
def test_derived_properties():
    p = chp.CHPParams(capacity_kWe=33.5)
    assert p.fuel_full_kW == pytest.approx(100.0, rel=1e-14)
    assert p.idle_fuel_frac == pytest.approx(1 / 0.891 - 1, rel=1e-14)
    assert chp.CHPParams(half_load_ratio_frac=1.0).idle_fuel_frac == 0.0
    ev = chp.EVParams(kWh_per_km=0.2, charger_efficiency_frac=0.9)
    assert ev.battery_kWh_per_km == pytest.approx(0.18, rel=1e-14)


@pytest.mark.unit
def test_constants():
    assert chp.LHV_CH4_kWh_Nm3 == 9.97
    assert chp.T_NORMAL_C == 0.0
    assert chp.P_NORMAL_bar == 1.01325


# ------------------------------------------------------------------------- efficiency


def eff(load, *, eta=0.335, r=0.891):
    return chp.electrical_efficiency(load, electrical_efficiency_frac=eta, half_load_ratio_frac=r)


@pytest.mark.unit
def test_efficiency_anchor_points():
    assert eff(1.0) == pytest.approx(0.335, rel=1e-14)
    assert eff(0.5) == pytest.approx(0.891 * 0.335, rel=1e-14)
    assert eff(0.0) == 0.0
    np.testing.assert_allclose(eff([0.2, 0.5, 1.0], r=1.0), [0.335, 0.335, 0.335], rtol=1e-14)


@pytest.mark.unit
def test_efficiency_is_a_straight_fuel_line():
    L = np.linspace(0.05, 1.0, 20)
    fuel = L / eff(L)  # fuel per unit of rated output
    np.testing.assert_allclose(np.diff(fuel, 2), 0.0, atol=1e-12)
    a = 1 / 0.891 - 1
    np.testing.assert_allclose(fuel, (a + (1 - a) * L) / 0.335, rtol=1e-12)


@pytest.mark.unit
def test_efficiency_monotone_and_bounded():
    L = np.linspace(0.0, 1.0, 101)
    e = eff(L)
    assert np.all(np.diff(e) > 0)
    assert np.all((e >= 0) & (e <= 0.335 + 1e-15))


@pytest.mark.unit
def test_efficiency_broadcast_scalar_nan():
    out = eff(np.array([[0.5], [1.0]]), eta=np.array([0.3, 0.35]))
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out[1], [0.3, 0.35])
    assert np.ndim(eff(0.7)) == 0
    assert np.isnan(eff([np.nan, 0.5])[0]) and not np.isnan(eff([np.nan, 0.5])[1])
    assert np.isnan(eff(0.5, eta=np.nan))


@pytest.mark.unit
@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"load": 1.2}, "load_frac"),
        ({"load": -0.1}, "load_frac"),
        ({"load": 0.5, "eta": 0.0}, "electrical_efficiency_frac"),
        ({"load": 0.5, "r": 0.5}, "half_load_ratio_frac"),
        ({"load": 0.5, "r": 1.1}, "half_load_ratio_frac"),
    ],
)
def test_efficiency_errors(kw, name):
    load = kw.pop("load")
    with pytest.raises(ParameterError, match=name):
        eff(load, **kw)


# ---------------------------------------------------------------------------- dispatch


@pytest.mark.unit
def test_dispatch_hand_case():
    store = chp.BiogasStoreParams(capacity_Nm3=5.0)
    r = chp.chp_dispatch([2.0, 10.0, 10.0, 10.0, 30.0], store=store, chp=CHP50)
    # h1: 2 < V1 and fits the store -> off; h2: 12 > 5 -> part load at V_min;
    # h3: the store would overflow by 22 - V_min - 5 > V_min -> burns that; h4: 15.0 >= V1
    # -> full load; h5: full load and flare
    b3 = 17.0 - VMIN
    assert b3 > VMIN
    np.testing.assert_allclose(r.methane_burnt_Nm3_h, [0.0, VMIN, b3, V1, V1], rtol=1e-12)
    np.testing.assert_allclose(r.stored_Nm3, [2.0, 12 - VMIN, 5.0, 15 - V1, 5.0], rtol=1e-12)
    np.testing.assert_allclose(r.flared_Nm3_h, [0, 0, 0, 0, 15 - V1 + 30 - V1 - 5], atol=1e-12)
    L3 = (b3 / V1 - A50) / (1 - A50)
    np.testing.assert_allclose(r.load_frac, [0.0, 0.5, L3, 1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(r.electricity_kW, 50.0 * r.load_frac, rtol=1e-14)
    np.testing.assert_allclose(r.heat_kW, 0.515 * r.fuel_kW, rtol=1e-14)
    on = r.load_frac > 0
    np.testing.assert_allclose(
        r.electricity_kW[on] / r.fuel_kW[on], eff(r.load_frac[on]), rtol=1e-12
    )
    check_balances([2.0, 10.0, 10.0, 10.0, 30.0], store, CHP50, r)


@pytest.mark.unit
def test_dispatch_full_load_from_store():
    """Steady gas below the full-load flow: the engine waits, then runs an hour at full load."""
    store = chp.BiogasStoreParams(capacity_Nm3=100.0)
    q = np.full(48, 5.0)
    r = chp.chp_dispatch(q, store=store, chp=CHP50)
    assert set(np.unique(r.load_frac)) == {0.0, 1.0}
    assert r.flared_Nm3_h.sum() == 0.0
    assert r.methane_burnt_Nm3_h.sum() == pytest.approx(V1 * np.sum(r.load_frac == 1.0))
    check_balances(q, store, CHP50, r)


@pytest.mark.unit
def test_dispatch_initial_fill():
    store = chp.BiogasStoreParams(capacity_Nm3=2 * V1, initial_frac=1.0)
    r = chp.chp_dispatch([0.0, 0.0, 0.0], store=store, chp=CHP50)
    np.testing.assert_allclose(r.load_frac, [1.0, 1.0, 0.0])
    np.testing.assert_allclose(r.stored_Nm3, [V1, 0.0, 0.0], atol=1e-12)


@pytest.mark.unit
def test_dispatch_no_store_follows_production():
    none = chp.BiogasStoreParams()
    q = [0.0, 0.5 * VMIN, VMIN, 0.5 * (VMIN + V1), V1, 2 * V1]
    r = chp.chp_dispatch(q, store=none, chp=CHP50)
    np.testing.assert_allclose(r.methane_burnt_Nm3_h, [0, 0, VMIN, q[3], V1, V1], rtol=1e-12)
    np.testing.assert_allclose(r.flared_Nm3_h, [0, 0.5 * VMIN, 0, 0, 0, V1], atol=1e-12)
    assert np.all(r.stored_Nm3 == 0.0)
    check_balances(q, none, CHP50, r)


@pytest.mark.unit
def test_dispatch_zero_sizes():
    q = [3.0, 0.0, 20.0]
    r = chp.chp_dispatch(q, store=chp.BiogasStoreParams(), chp=chp.CHPParams())
    np.testing.assert_array_equal(r.flared_Nm3_h, q)
    for a in (r.methane_burnt_Nm3_h, r.electricity_kW, r.heat_kW, r.fuel_kW, r.load_frac):
        np.testing.assert_array_equal(a, 0.0)
    # no engine, a store: it fills, then the gas is flared
    store = chp.BiogasStoreParams(capacity_Nm3=10.0)
    r = chp.chp_dispatch(q, store=store, chp=chp.CHPParams())
    np.testing.assert_allclose(r.stored_Nm3, [3.0, 3.0, 10.0])
    np.testing.assert_allclose(r.flared_Nm3_h, [0.0, 0.0, 13.0])
    assert np.all(r.electricity_kW == 0.0)


@pytest.mark.unit
def test_dispatch_nan_poisons_later_hours_with_store():
    store = chp.BiogasStoreParams(capacity_Nm3=10.0)
    r = chp.chp_dispatch([5.0, np.nan, 5.0, 30.0], store=store, chp=CHP50)
    assert not np.isnan(r.stored_Nm3[0])
    for a in r:
        assert np.all(np.isnan(a[1:]))


@pytest.mark.unit
def test_dispatch_nan_only_its_hour_without_store():
    r = chp.chp_dispatch([20.0, np.nan, 20.0], store=chp.BiogasStoreParams(), chp=CHP50)
    for a in r:
        assert np.isnan(a[1]) and not np.isnan(a[0]) and not np.isnan(a[2])
    assert r.electricity_kW[2] == 50.0


@pytest.mark.unit
@pytest.mark.parametrize("bad", [-1.0, -1e-300, np.inf])
def test_dispatch_rejects_negative_or_infinite(bad):
    with pytest.raises(ParameterError, match=r"methane_Nm3_h = .*expected a finite number >= 0"):
        chp.chp_dispatch([1.0, bad], store=chp.BiogasStoreParams(), chp=CHP50)


@pytest.mark.unit
def test_dispatch_scalar_and_broadcast_rows():
    store = chp.BiogasStoreParams(capacity_Nm3=20.0)
    s = chp.chp_dispatch(20.0, store=store, chp=CHP50)
    assert s.electricity_kW.shape == () and float(s.electricity_kW) == 50.0
    rng = np.random.default_rng(3)
    q = rng.uniform(0, 25, (3, 2, 24))
    r = chp.chp_dispatch(q, store=store, chp=CHP50)
    assert r.stored_Nm3.shape == (3, 2, 24)
    one = chp.chp_dispatch(q[2, 1], store=store, chp=CHP50)
    for a, b in zip(r, one, strict=True):
        np.testing.assert_array_equal(a[2, 1], b)


@pytest.mark.unit
def test_dispatch_does_not_mutate_input():
    q = np.array([5.0, 25.0, 1.0])
    before = q.copy()
    chp.chp_dispatch(q, store=chp.BiogasStoreParams(capacity_Nm3=4.0), chp=CHP50)
    np.testing.assert_array_equal(q, before)


@pytest.mark.unit
def test_dispatch_speed_one_year():
    rng = np.random.default_rng(7)
    q = rng.uniform(0, 30, 8760)
    store = chp.BiogasStoreParams(capacity_Nm3=60.0)
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        chp.chp_dispatch(q, store=store, chp=CHP50)
        best = min(best, time.perf_counter() - t0)
    assert best < 0.020


@pytest.mark.component
@pytest.mark.parametrize(
    ("cap", "init", "kwe", "lmin", "r"),
    [
        (60.0, 0.5, 50.0, 0.5, 0.891),
        (0.0, 0.0, 50.0, 0.5, 0.891),
        (500.0, 1.0, 20.0, 0.1, 0.7),
        (5.0, 0.0, 200.0, 1.0, 1.0),
        (40.0, 0.2, 0.0, 0.5, 0.891),
    ],
)
def test_dispatch_balances_year_of_random_hours(cap, init, kwe, lmin, r):
    rng = np.random.default_rng(11)
    q = rng.uniform(0, 30, 8760) * (rng.uniform(size=8760) > 0.2)
    store = chp.BiogasStoreParams(capacity_Nm3=cap, initial_frac=init)
    p = chp.CHPParams(capacity_kWe=kwe, min_part_load_frac=lmin, half_load_ratio_frac=r)
    res = chp.chp_dispatch(q, store=store, chp=p)
    check_balances(q, store, p, res)
    assert not any(np.isnan(a).any() for a in res)


@pytest.mark.unit
@settings(max_examples=200, deadline=None)
@given(  # subnormal floats (< 2.2e-308) are no physical size: left out
    st.lists(st.floats(0, 1e3, allow_subnormal=False), min_size=1, max_size=60),
    st.floats(0.0, 1e3, allow_subnormal=False),
    st.floats(0.0, 1.0, allow_subnormal=False),
    st.floats(0.0, 500.0, allow_subnormal=False),
    st.floats(0.1, 1.0),
    st.floats(0.6, 1.0),
)
def test_dispatch_balance_property(hours, cap, init, kwe, lmin, r):
    store = chp.BiogasStoreParams(capacity_Nm3=cap, initial_frac=init)
    p = chp.CHPParams(capacity_kWe=kwe, min_part_load_frac=lmin, half_load_ratio_frac=r)
    check_balances(hours, store, p, chp.chp_dispatch(hours, store=store, chp=p))


# --------------------------------------------------------------------------------- EVs


@pytest.mark.unit
def test_ev_km_values_broadcast_nan():
    np.testing.assert_allclose(chp.ev_km([0.0, 19.0, 100.0], kWh_per_km=0.19), [0, 100, 100 / 0.19])
    out = chp.ev_km(np.array([[10.0], [20.0]]), kWh_per_km=[0.1, 0.2])
    np.testing.assert_allclose(out, [[100, 50], [200, 100]])
    assert np.isnan(chp.ev_km([np.nan, 1.0], kWh_per_km=0.2)).tolist() == [True, False]
    assert np.isnan(chp.ev_km(1.0, kWh_per_km=np.nan))


@pytest.mark.unit
def test_ev_km_battery_basis_via_charger_efficiency():
    ev = chp.EVParams()
    battery = ev.battery_kWh_per_km
    plug = battery / ev.charger_efficiency_frac
    assert chp.ev_km(50.0, kWh_per_km=plug) == pytest.approx(50.0 / ev.kWh_per_km, rel=1e-14)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("E", "c", "match"),
    [
        (-1.0, 0.2, "electricity_kWh"),
        (np.inf, 0.2, "electricity_kWh"),
        (1.0, 0.0, "kWh_per_km"),
        (1.0, -0.2, "kWh_per_km"),
        (1.0, np.inf, "kWh_per_km"),
    ],
)
def test_ev_km_errors(E, c, match):
    with pytest.raises(ParameterError, match=match):
        chp.ev_km(E, kWh_per_km=c)


@pytest.mark.unit
def test_dispatch_empty_series():
    r = chp.chp_dispatch(np.zeros(0), store=chp.BiogasStoreParams(capacity_Nm3=5.0), chp=CHP50)
    assert all(a.shape == (0,) for a in r)
