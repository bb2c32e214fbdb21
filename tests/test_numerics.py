"""Tests of nexus.numerics: the Radau IIA integrator on problems with known solutions."""

from __future__ import annotations

import numpy as np
import pytest

from nexus import numerics
from nexus.errors import ParameterError, SolverError
from nexus.numerics import radau5_grid


@pytest.mark.unit
def test_radau_constants_are_those_of_hairer_and_wanner():
    s6 = np.sqrt(6.0)
    A = numerics._RADAU_A
    np.testing.assert_allclose(A.sum(axis=1), numerics._RADAU_C, rtol=1e-15)  # collocation
    np.testing.assert_allclose(A[2] @ numerics._RADAU_C**4, 1.0 / 5.0, rtol=1e-14)  # order 5
    # the transformed A^-1: gamma and the block [[alpha, beta], [-beta, alpha]]
    L = numerics._RADAU_TI @ np.linalg.inv(A) @ numerics._RADAU_T
    mu = numerics._RADAU_MU
    expected = [[numerics._RADAU_GAMMA, 0, 0], [0, mu.real, -mu.imag], [0, mu.imag, mu.real]]
    np.testing.assert_allclose(L, expected, atol=1e-13)
    assert numerics._RADAU_GAMMA == pytest.approx(3.0 + 3.0 ** (2 / 3) - 3.0 ** (1 / 3), rel=1e-14)
    # Hairer & Wanner (1996), eqs. 8.19-8.20
    np.testing.assert_allclose(numerics._RADAU_E, np.array([-13 - 7 * s6, -13 + 7 * s6, -1]) / 3)
    # the extrapolated collocation polynomial of a step reproduces a cubic
    Z = np.array([numerics._RADAU_C**k for k in (1, 2, 3)]).T  # u(x) = (x, x^2, x^3)
    x = 1.0 + numerics._RADAU_C * 0.7
    np.testing.assert_allclose(
        numerics._extrapolation(0.7) @ Z - Z[2], np.array([x, x**2, x**3]).T - 1.0
    )


@pytest.mark.unit
def test_radau5_grid_on_a_stiff_linear_problem():
    # y0' = -1e4 (y0 - cos t) - sin t (solution cos t after a fast transient), y1' = -y1,
    # y2' = y0 (a quadrature, outside the error norm): exact solutions known
    def fun(t, y):
        return np.array([-1e4 * (y[0] - np.cos(t)) - np.sin(t), -y[1], y[0]])

    def jac(t, y):
        return np.array([[-1e4, 0.0, 0.0], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0]])

    t = np.linspace(0.0, 10.0, 6)
    errors = []
    for rtol in (1e-3, 1e-6):
        sol = radau5_grid(fun, jac, t, np.array([2.0, 1.0, 0.0]), rtol=rtol,
                          atol=np.full(3, 1e-9), n_err=2)  # fmt: skip
        exact = np.array([np.cos(t), np.exp(-t), np.sin(t) + 1e-4 * (1.0 - np.exp(-1e4 * t))])
        errors.append(np.abs(sol.y - exact)[:, 1:].max())
        assert "0 Newton failures" in sol.message
    assert errors[0] < 1e-3 and errors[1] < 1e-6 and errors[1] < errors[0] / 100


@pytest.mark.unit
def test_radau5_grid_failure_raises_solver_error():
    def fun(t, y):  # the right-hand side breaks down at t = 0.5
        return -y if t < 0.5 else np.full_like(y, np.nan)

    with pytest.raises(SolverError, match=r"step size underflow at t = 0\.4999999"):
        radau5_grid(fun, lambda t, y: -np.eye(2), np.array([0.0, 1.0]), np.ones(2),
                    rtol=1e-3, atol=np.full(2, 1e-9), n_err=2)  # fmt: skip


#: A first-order reaction network A <-> B <-> C (columns sum to 0, so A + B + C is
#: conserved), with time scales from 1e-4 to 2: eigenvalues 0, about -0.55 and -1.1e4.
KINETICS = np.array([[-1.0, 1e4, 0.0], [1.0, -1.1e4, 0.5], [0.0, 1e3, -0.5]])


@pytest.mark.unit
def test_linear_stiff_system_matches_the_matrix_exponential():
    from scipy.linalg import expm

    y0 = np.array([1.0, 0.0, 0.0])
    t = np.array([0.0, 1e-4, 1e-3, 0.1, 1.0, 10.0, 100.0])
    exact = np.array([expm(KINETICS * ti) @ y0 for ti in t]).T
    errors = []
    for rtol in (1e-5, 1e-8):
        sol = radau5_grid(lambda t, y: KINETICS @ y, lambda t, y: KINETICS, t, y0, rtol=rtol,
                          atol=1e-12)  # fmt: skip
        err = np.abs(sol.y - exact).max()
        # the global error stays below the local tolerance (observed 8e-4 and 2e-3 of rtol;
        # A + B + C = 1, so absolute = relative)
        assert err < rtol / 10, (rtol, err)
        errors.append(err)
        # a linear invariant is kept to rounding (each step a combination of f-values)
        np.testing.assert_allclose(sol.y.sum(axis=0), 1.0, rtol=0, atol=1e-14)
        assert sol.nfailed == 0 and sol.njev == 1  # linear: one Jacobian, Newton exact
    assert errors[1] < errors[0] / 100  # error control: 1000x tighter, >= 100x smaller


def robertson(t, y):
    """The Robertson (1966) chemical kinetics, the classic stiff test (Hairer & Wanner, IV.1)."""
    a, b, c = y
    return np.array([-0.04 * a + 1e4 * b * c, 0.04 * a - 1e4 * b * c - 3e7 * b * b, 3e7 * b * b])


def robertson_jac(t, y):
    _, b, c = y
    return np.array(
        [[-0.04, 1e4 * c, 1e4 * b], [0.04, -1e4 * c - 6e7 * b, -1e4 * b], [0.0, 6e7 * b, 0.0]]
    )


@pytest.mark.unit
def test_robertson_matches_scipy_radau_at_tight_tolerance():
    from scipy.integrate import solve_ivp

    t = np.array([0.0, 0.4, 4.0, 40.0, 400.0, 4e3, 4e4, 4e5])
    atol = np.array([1e-14, 1e-18, 1e-14])  # y_B stays below 4e-5
    y0 = np.array([1.0, 0.0, 0.0])
    ref = solve_ivp(robertson, (0.0, t[-1]), y0, method="Radau", t_eval=t, jac=robertson_jac,
                    rtol=1e-11, atol=atol / 100)  # fmt: skip
    assert ref.success
    sol = radau5_grid(robertson, robertson_jac, t, y0, rtol=1e-8, atol=atol)
    rel = np.abs(sol.y - ref.y)[:, 1:] / ref.y[:, 1:]
    # each component within a tenth of rtol of the reference at every output time
    # (observed 5e-11: Hairer's controller keeps the global error below the tolerance here)
    assert rel.max() < 1e-9, rel.max()
    # y_A + y_B + y_C = 1 is linear, so kept to rounding
    np.testing.assert_allclose(sol.y.sum(axis=0), 1.0, rtol=0, atol=1e-14)


@pytest.mark.unit
def test_observed_order_is_five():
    """On a smooth problem, steps of the grid's spacing h: the error falls as h^5.

    y' = A y + g(t) with g chosen so that y = (sin t + exp(-t/2), cos 2t). Linear in y
    with a constant Jacobian, simplified Newton solves the stage equations exactly, so
    the error is the method's own; a loose tolerance lets the controller propose steps
    longer than the grid spacing, so every interval after the first is one step.
    """
    A = np.array([[0.0, 1.0], [-1.0, -0.2]])

    def exact(t):
        return np.array([np.sin(t) + np.exp(-t / 2), np.cos(2 * t)])

    def d_exact(t):
        return np.array([np.cos(t) - np.exp(-t / 2) / 2, -2 * np.sin(2 * t)])

    def fun(t, y):
        return A @ y + d_exact(t) - A @ exact(t)

    errors = []
    for m in (16, 32, 64, 128):
        t = np.linspace(0.0, 4.0, m + 1)
        sol = radau5_grid(fun, lambda t, y: A, t, exact(0.0), rtol=0.9, atol=0.9)
        assert sol.nsteps <= m + 3 and sol.nrejected == 0, sol.message
        errors.append(np.abs(sol.y - exact(t)).max())
    order = np.log2(np.array(errors[:-1]) / errors[1:])
    assert np.all((order > 4.6) & (order < 5.4)), order


@pytest.mark.unit
@pytest.mark.parametrize(
    ("change", "match"),
    [
        (dict(t_grid=[0.0]), "t_grid"),
        (dict(t_grid=[0.0, 1.0, 1.0]), "t_grid"),
        (dict(y0=np.ones((2, 1))), "y0"),
        (dict(rtol=0.0), "rtol"),
        (dict(rtol=1.0), "rtol"),
        (dict(atol=np.array([1e-9, 0.0])), "atol"),
        (dict(atol=np.nan), "atol"),
    ],
)
def test_bad_input_raises_parameter_error(change, match):
    kwargs = dict(t_grid=[0.0, 1.0], y0=np.ones(2), rtol=1e-3, atol=1e-9)
    kwargs.update(change)
    with pytest.raises(ParameterError, match=match):
        radau5_grid(lambda t, y: -y, lambda t, y: -np.eye(2), **kwargs)
