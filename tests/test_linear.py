"""Linear expressions as arrays (nexus.optimize.linear) against dense numpy algebra."""

from __future__ import annotations

import numpy as np
import pytest

from nexus.optimize.linear import Affine, stack, summed

N_COL = 12


def dense(a: Affine) -> tuple[np.ndarray, np.ndarray]:
    """The block as a dense matrix (rows x columns) and a constant vector, Params at 1."""
    M = np.zeros((a.size, N_COL))
    np.add.at(M, (a.row, a.col), a.val * a.factors()[a.grp])
    return M.reshape((*a.shape, N_COL)), a.constant_value().reshape(a.shape)


@pytest.fixture
def x():
    return np.random.default_rng(7).normal(size=N_COL)


def block(shape, seed=0) -> Affine:
    """A block of rows, each with two variables and a constant."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    a = Affine.of_columns(rng.integers(0, N_COL, n).reshape(shape)) * rng.normal(size=shape)
    b = Affine.of_columns(rng.integers(0, N_COL, n).reshape(shape)) * rng.normal(size=shape)
    return a + b + rng.normal(size=shape)


@pytest.mark.unit
def test_arithmetic_matches_dense_algebra(x):
    a, b = block((3, 4), 1), block((3, 4), 2)
    (Ma, ca), (Mb, cb) = dense(a), dense(b)
    for expr, M, c in (
        (a + b, Ma + Mb, ca + cb),
        (a - b, Ma - Mb, ca - cb),
        (-a, -Ma, -ca),
        (a * 2.5, 2.5 * Ma, 2.5 * ca),
        (a * np.arange(4.0), Ma * np.arange(4.0)[:, None], ca * np.arange(4.0)),
        (a + 1.0, Ma, ca + 1.0),
        (1.0 - a, -Ma, 1.0 - ca),
    ):
        got_M, got_c = dense(expr)
        np.testing.assert_allclose(got_M, M, atol=1e-12)
        np.testing.assert_allclose(got_c, c, atol=1e-12)
        np.testing.assert_allclose(expr.value(x), M @ x + c, atol=1e-12)


@pytest.mark.unit
def test_reshaping_matches_dense_algebra(x):
    a = block((3, 4), 3)
    M, c = dense(a)
    v = M @ x + c
    np.testing.assert_allclose(a.sum(axis=0).value(x), v.sum(axis=0), atol=1e-12)
    np.testing.assert_allclose(a.sum(axis=1).value(x), v.sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(a.sum().value(x), v.sum(), atol=1e-12)
    prev = np.array([3, 0, 1, 2])  # cyclic: the step before each step
    np.testing.assert_allclose(a.take(prev).value(x), v[:, prev], atol=1e-12)
    np.testing.assert_allclose(a[1].value(x), v[1], atol=1e-12)
    np.testing.assert_allclose(a[:, [0, 2]].value(x), v[:, [0, 2]], atol=1e-12)
    row = block((4,), 4)
    np.testing.assert_allclose(
        (a + row).value(x), v + row.value(x)[None, :], atol=1e-12
    )  # broadcast
    s = stack([a[0], a[2], row])
    np.testing.assert_allclose(s.value(x), np.stack([v[0], v[2], row.value(x)]), atol=1e-12)


@pytest.mark.unit
def test_params_scale_coefficients_and_constants_at_their_current_value(x):
    import pyomo.environ as pyo

    m = pyo.ConcreteModel()
    m.p = pyo.Param(mutable=True, initialize=2.0)
    a = block((5,), 5)
    scaled = a.scaled(param=m.p)
    np.testing.assert_allclose(scaled.value(x), 2.0 * a.value(x), atol=1e-12)
    m.p.set_value(-3.0)
    np.testing.assert_allclose(scaled.value(x), -3.0 * a.value(x), atol=1e-12)
    assert scaled.has_params() == (True, True)
    with pytest.raises(ValueError, match="only one Param"):
        scaled.scaled(param=m.p)


@pytest.mark.unit
def test_coo_sums_duplicates_in_row_then_column_order():
    row = np.array([1, 0, 1, 0, 1])
    col = np.array([2, 5, 2, 1, 0])
    r, c, v = summed(row, col, np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert r.tolist() == [0, 0, 1, 1]
    assert c.tolist() == [1, 5, 0, 2]
    assert v.tolist() == [4.0, 2.0, 5.0, 4.0]
