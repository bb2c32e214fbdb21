"""ADM1 dynamics: :func:`~nexus.units.adm1.simulate` under time-varying influent; balance flows.

- :func:`~nexus.units.adm1.simulate`: a dynamic run of a digester (by default the
  error-controlled Radau IIA of :func:`nexus.numerics.radau5_grid`, steps ending on the
  influent's time grid; or scipy's BDF, LSODA or Radau), with the cumulative flows of
  COD, N, C and charge integrated alongside, so the balances close to rounding;
- :func:`~nexus.units.adm1.balance_flows`: the flows of COD, N, C and strong-ion charge
  into and out of a digester (effluent plus gas).

See :mod:`nexus.units.adm1` for the model and its references.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from nexus.errors import ParameterError, SolverError
from nexus.numerics import radau5_grid
from nexus.units.adm1 import _compiled
from nexus.units.adm1.kinetics import (
    _CSTEP,
    _constants,
    _core,
    _gas,
    _gas_totals,
    _totals,
    gas_phase,
    speciation,
)
from nexus.units.adm1.params import (
    _BAL_UNITS,
    _BALANCES,
    N_LIQ,
    N_STATES,
    OPTIONAL_STATES,
    STATES,
    ADM1Params,
    Ix,
    params_or_default,
)
from nexus.units.adm1.steady import _check_inputs, _dataset, _initial_guess

if TYPE_CHECKING:
    import xarray as xr
    from numpy.typing import ArrayLike
    from scipy.integrate._ivp.ivp import OdeResult

    from nexus._typing import FloatArray
    from nexus.numerics import RadauResult

# ------------------------------------------------------------------------- dynamics

#: Integrators of :func:`simulate`; the first is the default.
_METHODS = ("Radau5-grid", "BDF", "LSODA", "Radau")
#: Default (rtol, atol) of each integrator when :func:`simulate` is given none.
_DEFAULT_TOL = {"Radau5-grid": (1e-3, 1e-9), "BDF": (1e-5, 1e-9), "LSODA": (1e-5, 1e-9),
                "Radau": (1e-5, 1e-9)}  # fmt: skip

#: Length of the state of a dynamic run: the states, the cumulative flows in and out.
N_AUG = N_STATES + 2 * len(_BALANCES)


def _weights(p):
    """Weights (8, 30): COD, N, C, charge per m3 of the liquid (rows 0-3) and the gas (4-7)."""
    eye = np.eye(N_STATES)
    W = np.zeros((8, N_STATES))
    W[:4, :N_LIQ] = np.array(_totals(p, eye))[:, :N_LIQ]
    g_cod, g_c = _gas_totals(p, eye)
    W[4, N_LIQ:], W[6, N_LIQ:] = g_cod[N_LIQ:], g_c[N_LIQ:]
    return W


def _out_flows(t, q_in, q_head):
    """Flows of COD, N, C, charge out (effluent plus gas) [kg d-1 or kmol d-1].

    ``t`` = ``W @ y`` with ``W`` from :func:`_weights` (a list of floats, or arrays
    for a stack of states), ``q_in`` the flow [m3 d-1], ``q_head`` the gas flow at
    headspace pressure [m3 d-1] (:func:`_gas`).
    """
    return [q_in * t[0] + q_head * t[4], q_in * t[1], q_in * t[2] + q_head * t[6], q_in * t[3]]


def balance_flows(
    y: ArrayLike,
    influent: ArrayLike,
    *,
    flow_m3_d: ArrayLike,
    T_K: ArrayLike,
    params: ADM1Params | None = None,
) -> dict[str, FloatArray]:
    """Flows of COD, N, C and strong-ion charge into and out of a digester.

    Parameters
    ----------
    y : array_like, shape (..., 30)
        Digester state(s).
    influent : array_like, shape (..., 27)
        Influent concentrations in :data:`~nexus.units.adm1.params.LIQUID_STATES` order.
    flow_m3_d : float or array_like
        Influent (= effluent) flow [m3 d-1].
    T_K : float or array_like
        Temperature [K] (for the gas pressure).
    params : ADM1Params, optional
        Parameters; default the BSM2 set.

    Returns
    -------
    dict of numpy.ndarray
        ``COD_in_kg_d``, ``COD_out_kg_d``, ``N_in_kmol_d``, ``N_out_kmol_d``,
        ``C_in_kmol_d``, ``C_out_kmol_d``, ``charge_in_kmol_d``,
        ``charge_out_kmol_d``; "out" is the effluent plus the gas leaving the
        headspace (:func:`gas_phase`, ``q_head_m3_d``).

    Notes
    -----
    With :func:`conserved_totals` this closes the balance of a digester:
    :math:`V_{liq} dT/dt + V_{gas} dT_{gas}/dt = in - out` for T = COD, N, C
    and charge, at any state (the ADM1 reactions neither create nor destroy
    them).

    Examples
    --------
    >>> y = np.zeros(30); y[Ix.S_gas_ch4] = 1.6256; y[Ix.S_gas_co2] = 0.01415
    >>> x_in = np.zeros(27); x_in[Ix.X_ch] = 5.0
    >>> f = balance_flows(y, x_in, flow_m3_d=170.0, T_K=308.15)
    >>> round(float(f["COD_in_kg_d"])), round(float(f["COD_out_kg_d"]))
    (850, 4550)
    """
    p = ADM1Params() if params is None else params
    y = np.asarray(y, dtype=float)
    x = np.moveaxis(y, -1, 0)
    xin = np.moveaxis(np.asarray(influent, dtype=float), -1, 0)
    q = np.asarray(flow_m3_d, dtype=float)
    c = _constants(p, np.asarray(T_K, dtype=float))
    *_, q_head = _gas(c, x[Ix.S_gas_h2], x[Ix.S_gas_ch4], x[Ix.S_gas_co2])
    t_in = _totals(p, xin)
    g_cod, g_c = _gas_totals(p, x)
    t_out = _out_flows([*_totals(p, x), g_cod, 0.0, g_c, 0.0], q, q_head)
    out = {}
    for k, b in enumerate(_BALANCES):
        u = _BAL_UNITS[b]
        out[f"{b}_in_{u}_d"] = q * t_in[k]
        out[f"{b}_out_{u}_d"] = t_out[k]
    return out


def _stored(p, y, V_liq, V_gas):
    """COD, N, C, charge held in the digester [kg or kmol], y (..., 30)."""
    x = np.moveaxis(np.asarray(y, dtype=float), -1, 0)
    t = [V_liq * v for v in _totals(p, x)]
    g_cod, g_c = _gas_totals(p, x)
    t[0] = t[0] + V_gas * g_cod
    t[2] = t[2] + V_gas * g_c
    return t


def simulate(
    influent: Mapping[str, Any],
    *,
    t_d: ArrayLike,
    flow_m3_d: ArrayLike,
    V_liq_m3: ArrayLike,
    V_gas_m3: ArrayLike,
    T_K: ArrayLike,
    initial: Mapping[str, Any] | None = None,
    params: ADM1Params | None = None,
    method: Literal["Radau5-grid", "BDF", "LSODA", "Radau"] = "Radau5-grid",
    rtol: float | None = None,
    atol: float | None = None,
) -> xr.Dataset:
    """Dynamic run of a digester under time-varying influent and flow.

    Parameters
    ----------
    influent : mapping of str to float or array_like
        Each of the 27 liquid states (``S_IP`` may be left out, then 0): a constant or a
        series over ``t_d``
        (BSM2 units, >= 0), interpolated in time by a shape-preserving cubic
        (PCHIP: never below the smaller neighbour, so never negative).
    t_d : array_like, shape (nt,)
        Increasing times [d]; the run starts at ``t_d[0]`` and reports at each.
    flow_m3_d : float or array_like of shape (nt,)
        Influent flow [m3 d-1], > 0, interpolated like the influent.
    V_liq_m3, V_gas_m3 : float
        Liquid and headspace volumes [m3], > 0.
    T_K : float
        Digester temperature [K], in [293.15, 308.15] (20-35 degC, the validated range of
        the temperature correction of the biochemical rates, as :func:`steady_state`).
    initial : mapping of str to float, optional
        The 30 states at ``t_d[0]`` (e.g. a :func:`steady_state` result).
        Default: the chemostat-theory estimate of the steady state for the
        influent at ``t_d[0]`` (the same start as :func:`steady_state`).
    params : ADM1Params, optional
        Parameters; default the BSM2 set.
    method : {"Radau5-grid", "BDF", "LSODA", "Radau"}, default "Radau5-grid"
        "Radau5-grid": Radau IIA of order 5 with error and step-size control
        (:func:`nexus.numerics.radau5_grid`) whose steps end on every time of ``t_d``, where
        the interpolated influent changes its cubic piece. A year of hourly
        BSM2-like influent takes 9,100-10,200 steps, 1.3-1.7 s on the 2-core
        development machine (``benchmarks/bench_adm1.py``). "BDF", "LSODA",
        "Radau": the adaptive implicit integrators of
        :func:`scipy.integrate.solve_ivp`, whose steps cross the influent's
        breakpoints (the same year with "BDF": 7.3-9.7 s).
    rtol, atol : float, optional
        Tolerances of the local error per step (atol in state units), each > 0,
        rtol < 1. Default (1e-3, 1e-9) for "Radau5-grid" (rtol 1e-3 is also
        solve_ivp's default), (1e-5, 1e-9) for scipy's integrators. With these
        defaults, 30 days of the hourly influent of ``benchmarks/bench_adm1.py``
        (BSM2 +-20 % daily, +-5 % weekly, 5 % random from hour to hour, flow
        +-30 %) stay within 2.7e-4 to 3.4e-4 ("Radau5-grid") and 3.6e-4 to
        5.1e-4 ("BDF") of a run of "BDF" at rtol 1e-8 (worst state, relative to
        its range over the run); pH within 7e-7 and 8e-6, gas flow within 2e-5
        and 7e-5 of its largest value.

    Returns
    -------
    xarray.Dataset
        Dimension ``time`` [d]: the 30 states, the ions, ``pH``, ``p_gas_Pa``,
        ``q_gas_m3_d``, ``q_ch4_Nm3_d``, and for COD [kg], N, C and strong-ion
        charge [kmol] the cumulative ``*_in_*`` and ``*_out_*`` (effluent plus
        gas) since ``t_d[0]`` and the ``*_stored_*`` content of the digester,
        so that stored(t) - stored(0) = in(t) - out(t).

    Raises
    ------
    ParameterError
        Bad input (as for :func:`steady_state`), ``t_d`` not increasing, a
        series whose length differs from ``t_d``, an unknown ``method`` or a
        tolerance out of range.
    SolverError
        The integrator fails.

    Notes
    -----
    Every integrator gets the exact complex-step Jacobian of :func:`jacobian`;
    S_H+ is solved from the charge balance at every evaluation. Where numba is
    installed, the right-hand side is its compiled copy
    (``nexus/units/adm1/_compiled.py``, equal to the Python one to 1e-12; set
    ``NEXUS_NUMBA=0`` for the Python one). The cumulative
    flows are integrated as extra states of the same ODE, so the balances close
    to the integrator's rounding (the invariant V_liq T(y) + V_gas T_gas(y) -
    in + out is linear, and Runge-Kutta and BDF methods keep linear invariants).

    Examples
    --------
    >>> bsm2 = dict(S_su=0.01, S_aa=0.001, S_fa=0.001, S_va=0.001, S_bu=0.001,
    ...     S_pro=0.001, S_ac=0.001, S_h2=1e-8, S_ch4=1e-5, S_IC=0.04, S_IN=0.01,
    ...     S_I=0.02, X_c=2.0, X_ch=5.0, X_pr=20.0, X_li=5.0, X_su=0.0, X_aa=0.01,
    ...     X_fa=0.01, X_c4=0.01, X_pro=0.01, X_ac=0.01, X_h2=0.01, X_I=25.0,
    ...     S_cat=0.04, S_an=0.02)
    >>> ds = simulate(bsm2, t_d=[0.0, 1.0, 2.0], flow_m3_d=[170.0, 200.0, 170.0],
    ...               V_liq_m3=3400.0, V_gas_m3=300.0, T_K=308.15)
    >>> ds.pH.dims, ds.sizes["time"]
    (('time',), 3)
    """
    p = params_or_default(params, "simulate")
    if method not in _METHODS:
        raise ParameterError(f"method = {method!r}; expected one of {_METHODS}")
    rtol = _DEFAULT_TOL[method][0] if rtol is None else rtol
    atol = _DEFAULT_TOL[method][1] if atol is None else atol
    for name, v, top in (("rtol", rtol, 1.0), ("atol", atol, math.inf)):
        if not (isinstance(v, int | float) and 0.0 < v < top):
            raise ParameterError(f"{name} = {v!r}; expected a number in (0, {top})")
    try:
        t = np.asarray(t_d, dtype=float)
    except (TypeError, ValueError) as err:
        raise ParameterError(f"t_d = {t_d!r} is not an array of times") from err
    if t.ndim != 1 or t.size < 2 or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise ParameterError("t_d must be a 1-d array of at least 2 finite, increasing times [d]")
    for name, value in (("V_liq_m3", V_liq_m3), ("V_gas_m3", V_gas_m3), ("T_K", T_K)):
        if np.ndim(value) != 0:
            raise ParameterError(
                f"{name} must be a scalar in simulate; got shape {np.shape(value)}"
            )
    xin, ops, nser = _check_inputs(
        influent,
        dict(flow_m3_d=flow_m3_d, V_liq_m3=V_liq_m3, V_gas_m3=V_gas_m3, T_K=T_K),
        time_len=t.size,
    )
    nt = t.size
    q = np.broadcast_to(ops["flow_m3_d"], (nt,)).astype(float)
    table = np.column_stack([np.broadcast_to(v, (nt,)) for v in xin] + [q])  # (nt, 28)
    Vl, Vg, T = float(ops["V_liq_m3"]), float(ops["V_gas_m3"]), float(ops["T_K"])
    c = _constants(p, T)
    if initial is None:
        ca = _constants(p, np.array([T]))
        y0 = _initial_guess(ca, [table[:1, k] for k in range(N_LIQ)], q[:1] / Vl)[:, 0]
    else:
        if not isinstance(initial, Mapping):
            raise ParameterError("initial must be a mapping of the 30 ADM1 state names to values")
        missing = [n for n in STATES if n not in initial and n not in OPTIONAL_STATES]
        if missing:
            raise ParameterError(f"initial lacks state(s) {missing}")
        y0 = np.array([float(np.asarray(initial.get(n, 0.0))) for n in STATES])
        bad = ~np.isfinite(y0) | (y0 < 0)
        if np.any(bad):
            k = int(np.flatnonzero(bad)[0])
            raise ParameterError(f"initial[{STATES[k]!r}] = {y0[k]!r} is negative or not finite")
    constant = nser is None
    tl = t.tolist()
    row0 = table[0]
    if not constant:
        from scipy.interpolate import PchipInterpolator

        # piecewise cubic, shape preserving: coefficients (nt-1, 4, 28), highest power first
        coef = np.ascontiguousarray(np.moveaxis(PchipInterpolator(t, table, axis=0).c, 0, 1))

    def inflow(tt):
        """Influent columns (27) and flow at time tt (PCHIP in time), an array (28,)."""
        if constant:
            return row0
        i = min(max(bisect_right(tl, tt) - 1, 0), nt - 2)
        w = tt - tl[i]
        return np.dot((w * w * w, w * w, w, 1.0), coef[i])

    cs = SimpleNamespace(**vars(c))
    cs.scalar = True
    ca = _constants(p, np.array([T]))
    Vl_Vg, inv_Vg = Vl / Vg, 1.0 / Vg
    last = {"h": 1e-7}
    nb = len(_BALANCES)
    W = _weights(p)
    W_in = W[:4, :N_LIQ]
    # The stage times of a step recur in each Newton iteration: their influent, inflows
    # and S_H (the warm start of the pH solve) are kept, for the last few times.
    seen: dict[float, list] = {}
    kernel = _compiled.kernel()

    def stage(tt: float) -> list:
        """[influent, inflow, flows in, last S_H] at time tt (as lists for the Python
        right-hand side, arrays for the compiled one)."""
        e = seen.get(tt)
        if e is None:
            if len(seen) > 7:
                seen.clear()
            r = inflow(tt)
            q = float(r[N_LIQ])
            xl, f_in = r[:N_LIQ], q * (W_in @ r[:N_LIQ])
            if kernel is None:
                xl, f_in = xl.tolist(), f_in.tolist()
            e = seen[tt] = [xl, q, f_in, last["h"]]
        return e

    if kernel is None:

        def fun(tt, ya):
            """d/dt [d-1] of the 30 states and the 8 cumulative flows in and out at tt."""
            e = stage(tt)
            xl, qi, f_in, h0 = e
            yl = ya[:N_STATES].tolist()
            out, e[3] = _core(cs, yl, xl, qi / Vl, Vl_Vg, inv_Vg, h0)
            last["h"] = e[3]
            f_out = _out_flows((W @ ya[:N_STATES]).tolist(), qi, _gas(cs, *yl[N_LIQ:])[4])
            return np.array(out + f_in + f_out)

    else:  # the same right-hand side, compiled (numba installed)
        consts, nu = _compiled.pack(cs)

        def fun(tt, ya):
            e = stage(tt)
            out = np.empty(N_AUG)
            xl, qi, f_in, h0 = e
            e[3] = last["h"] = kernel(consts, nu, W, ya, xl, f_in, qi, Vl, Vl_Vg, inv_Vg, h0, out)
            return out

    def jac(tt, ya):
        r = inflow(tt)
        xi, qi = r[:N_LIQ], float(r[N_LIQ])
        y1 = ya[None, :N_STATES].astype(complex)
        yc = np.repeat(y1, N_STATES + 1, axis=0)
        idx = np.arange(N_STATES)
        yc[idx, idx] += 1j * _CSTEP
        out, _ = _core(ca, list(yc.T), xi.tolist(), qi / Vl, Vl_Vg, inv_Vg, last["h"])
        f_out = np.array(_out_flows(W @ yc.T, qi, _gas(ca, *yc.T[N_LIQ:])[4]))
        J = np.zeros((N_AUG, N_AUG))
        rows_ = np.array([np.broadcast_to(o, (N_STATES + 1,)) for o in out])
        J[:N_STATES, :N_STATES] = rows_[:, :N_STATES].imag / _CSTEP
        J[N_STATES + nb :, :N_STATES] = f_out[:, :N_STATES].imag / _CSTEP
        return J

    ya0 = np.concatenate([y0, np.zeros(2 * nb)])
    atol_v = np.concatenate([np.full(N_STATES, atol), np.full(2 * nb, 1e3)])
    sol: RadauResult | OdeResult[np.float64]
    if method == "Radau5-grid":
        try:
            sol = radau5_grid(fun, jac, t, ya0, rtol=rtol, atol=atol_v, n_err=N_STATES)
        except SolverError as err:
            raise SolverError(f"ADM1 simulate: {err}") from err
    else:
        from scipy.integrate import solve_ivp

        sol = ivp = solve_ivp(fun, (t[0], t[-1]), ya0, method=method, t_eval=t, jac=jac,
                              rtol=rtol, atol=atol_v)  # fmt: skip
        if not ivp.success:
            raise SolverError(
                f"ADM1 simulate: {method} failed at t = {ivp.t[-1]!r} d: {ivp.message}"
            )
    y = sol.y[:N_STATES].T
    stored = _stored(p, y, Vl, Vg)
    extra = {}
    for k, b in enumerate(_BALANCES):
        u = _BAL_UNITS[b]
        extra[f"{b}_in_{u}"] = sol.y[N_STATES + k]
        extra[f"{b}_out_{u}"] = sol.y[N_STATES + nb + k]
        extra[f"{b}_stored_{u}"] = stored[k]
    ds = _dataset(
        y,
        speciation(y, T_K=T, params=p),
        gas_phase(y, T_K=T, params=p),
        status=f"{method}: {sol.message}",
        extra=extra,
        dim="time",
        coord=t,
    )
    ds["time"].attrs.update({"units": "d", "long_name": "time since the start of the run"})
    ds.attrs["solver_nfev"] = int(sol.nfev)
    ds.attrs["solver_njev"] = int(sol.njev)
    return ds
