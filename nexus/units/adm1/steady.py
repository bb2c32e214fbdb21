"""ADM1 steady states: :func:`~nexus.units.adm1.steady_state` of one digester or a batch.

- input checking and the result :class:`xarray.Dataset`, shared with
  :func:`nexus.units.adm1.simulate`;
- the chemostat-theory initial guess (also the default start of a dynamic run);
- pseudo-transient continuation (damped Newton with the exact Jacobian, vectorized
  over the batch), the stability and washout tests, continuation from neighbouring
  rows and a dynamic start-up with scipy's BDF where Newton fails;
- :class:`WashoutError`, raised when the methanogens wash out.

See :mod:`nexus.units.adm1` for the model and its references.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from nexus.errors import ParameterError, SolverError
from nexus.units.adm1.kinetics import (
    _BU_AC,
    _BU_H2,
    _COD_CH4,
    _COD_H2,
    _FA_AC,
    _FA_H2,
    _PRO_AC,
    _PRO_H2,
    _VA_AC,
    _VA_H2,
    _VA_PRO,
    GasPhase,
    Speciation,
    _constants,
    _core,
    _ion_args,
    _jac,
    _jac_any,
    _particulate_dilution,
    _solve_h_array,
    conserved_totals,
    gas_phase,
    speciation,
)
from nexus.units.adm1.params import (
    _UNITS,
    LIQUID_STATES,
    N_LIQ,
    N_STATES,
    OPTIONAL_STATES,
    STATES,
    ADM1Params,
    Ix,
    params_or_default,
)

# ------------------------------------------------------------------ input checking

if TYPE_CHECKING:
    import xarray as xr
    from numpy.typing import ArrayLike

    from nexus._typing import BoolArray, FloatArray

#: The validated temperature range of the biochemistry [degC]: the temperature correction
#: of the rate constants (:func:`~nexus.units.adm1.kinetics.rate_factors`) matches the
#: published data of ``tests/validation/test_adm1_temperature.py`` from 20 to 35 degC
#: (Yang et al. 2016, swine wastewater at 20-35 degC; de Graaff et al. 2010 at 25 degC;
#: Wendland et al. 2007 and BSM2 at 35 degC) and misses them below (15 degC: Yang et al.
#: 2016; 13 degC: Uemura & Harada 2000); above 35 degC no data were at hand. Outside it
#: :func:`steady_states` and :func:`~nexus.units.adm1.simulate` raise ParameterError.
T_C_MIN, T_C_MAX = 20.0, 35.0
#: The same range in kelvin (293.15, 308.15).
T_K_MIN, T_K_MAX = T_C_MIN + 273.15, T_C_MAX + 273.15


class WashoutError(SolverError):
    """The methanogens wash out (or pH collapses): no productive steady state.

    ``rows`` lists the batch rows concerned (``[0]`` for a single case); ``detail`` says
    which, with their HRT and pH, without the advice on ``allow_washout`` (for a caller
    that words its own).
    """

    def __init__(self, detail: str, rows: list[int]):
        self.rows = rows
        self.detail = detail
        super().__init__(f"{detail}; pass allow_washout=True to get the state")


def _washout(rows: list[int], D: FloatArray, pH: FloatArray, note: str = "") -> WashoutError:
    """The error for batch rows that wash out; ``D`` [d-1] and ``pH`` are those rows'
    (their HRT and pH are said, the first five)."""
    return WashoutError(
        f"ADM1 steady state: methanogens wash out or pH collapses in batch row(s) {rows} "
        f"(HRT {[round(float(1 / d), 3) for d in D[:5]]} d, pH "
        f"{[round(float(x), 2) for x in pH[:5]]}{note})",
        rows,
    )


def _row(a: FloatArray, bad: BoolArray, batch: bool) -> str:
    i = int(np.flatnonzero(np.broadcast_to(bad, np.shape(a)) if np.ndim(a) else [bad])[0])
    value = a[i] if np.ndim(a) else a[()]
    return (f"[case {i}] " if batch and np.ndim(a) else "") + f"= {float(value)!r}"


def _check_operating(args: dict[str, Any]) -> tuple[dict[str, FloatArray], set[int]]:
    """Check flow, volumes and temperature; return float arrays and the batch size."""
    out = {}
    sizes = set()
    for name, value in args.items():
        try:
            a = np.asarray(value, dtype=float)
        except (TypeError, ValueError) as err:
            raise ParameterError(f"{name} = {value!r} is not a number") from err
        if a.ndim > 1:
            raise ParameterError(f"{name} has shape {a.shape}; expected a scalar or 1-d batch")
        if a.ndim == 1:
            sizes.add(a.shape[0])
        out[name] = a
    return out, sizes


def _check_inputs(
    influent: object, operating: dict[str, Any], *, time_len: int | None = None
) -> tuple[FloatArray, dict[str, FloatArray], int | None]:
    """Validate influent and operating values; return arrays (27, ...) and the batch size.

    Without ``time_len`` 1-d inputs are a batch (``case``); with it, they are
    series over time of that length.
    """
    if not isinstance(influent, Mapping):
        raise ParameterError(
            f"influent is a {type(influent).__name__}; expected a mapping of the 27 ADM1 "
            "liquid state names to concentrations"
        )
    unknown = sorted(set(influent) - set(LIQUID_STATES))
    if unknown:
        raise ParameterError(
            f"influent has unknown state(s) {unknown}; expected the names {list(LIQUID_STATES)}"
        )
    missing = [n for n in LIQUID_STATES if n not in influent and n not in OPTIONAL_STATES]
    if missing:
        raise ParameterError(f"influent lacks state(s) {missing}")
    ops, sizes = _check_operating(operating)
    conc, sz2 = _check_operating({f"influent[{n!r}]": influent.get(n, 0.0) for n in LIQUID_STATES})
    sizes |= sz2
    if len(sizes) > 1:
        raise ParameterError(f"batch inputs have different lengths {sorted(sizes)}")
    n = sizes.pop() if sizes else None
    if time_len is not None and n is not None and n != time_len:
        raise ParameterError(f"time series inputs have length {n}; expected len(t_d) = {time_len}")
    batch = n is not None and time_len is None
    for name, a in conc.items():
        bad = ~np.isfinite(a) | (a < 0)
        if np.any(bad):
            raise ParameterError(
                f"{name} {_row(a, bad, batch)} kmol or kg COD m-3 is negative or not finite; "
                "expected a finite value >= 0"
            )
    for name in ("flow_m3_d", "V_liq_m3", "V_gas_m3"):
        if name not in ops:
            continue
        a = ops[name]
        bad = ~np.isfinite(a) | (a <= 0)
        if np.any(bad):
            raise ParameterError(
                f"{name} {_row(a, bad, batch)} is not > 0; expected a finite value > 0"
            )
    a = ops["T_K"]
    bad = ~np.isfinite(a) | (a < T_K_MIN) | (a > T_K_MAX)
    if np.any(bad):
        raise ParameterError(
            f"T_K {_row(a, bad, batch)} K is outside [{T_K_MIN}, {T_K_MAX}] K "
            f"({T_C_MIN:g}-{T_C_MAX:g} degC), the range over which ADM1's temperature "
            "correction of the biological rates is validated (tests/validation/"
            "test_adm1_temperature.py); no extrapolation"
        )
    xin = np.stack(
        [
            np.broadcast_to(conc[f"influent[{k!r}]"], () if n is None else (n,))
            for k in LIQUID_STATES
        ]
    )
    return xin, ops, n


def _retention(t_res_X_d: ArrayLike, n: int | None) -> FloatArray | float:
    """Checked extra solids residence time [d], per case (or a float for one run)."""
    t = np.asarray(t_res_X_d, dtype=float)
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        raise ParameterError(
            f"t_res_X_d = {t[bad].flat[0] if t.ndim else float(t)!r}; expected a finite number >= 0 [d]"
        )
    return float(t) if n is None else np.broadcast_to(t, (n,)).astype(float)


# -------------------------------------------------------------------- initial guess


def _initial_guess(c, xin, D):
    """A rough steady state from CSTR theory, arrays (30, n); every value > 0.

    Particulates from first-order disintegration and hydrolysis; each substrate
    at the Monod level of a chemostat, :math:`S = K_S (D+b)/(Y k_m - D - b)`
    (uninhibited), its degraders from the yield; S_IN from the nitrogen
    balance; S_IC, the gas phase and pH from a few fixed-point passes of the
    carbon balance with the gas at equilibrium.
    """
    p = c.p
    ix = Ix
    x = [np.array(a, dtype=float) for a in xin]
    n = x[0].shape
    b = {k: getattr(c, f"k_dec_X_{k}") for k in ("su", "aa", "fa", "c4", "pro", "ac", "h2")}

    def monod(F, S_in_D, km, Ks, Y, bb, X_in):
        """Substrate and degraders of one group fed F [kg COD m-3 d-1]."""
        mu = Y * km - D - bb
        S_max = F / D
        S = np.where(mu > 0, Ks * (D + bb) / np.where(mu > 0, mu, 1.0), S_max)
        S = np.minimum(S, S_max)
        upt = np.maximum(F - D * S, 0.0)
        X = (D * X_in + Y * upt) / (D + bb)
        return S, upt, X

    y = [np.zeros(n) for _ in range(N_STATES)]
    X_bio = 0.0
    for _ in range(3):
        X_c = (D * x[ix.X_c] + X_bio) / (D + c.k_dis)
        dis = c.k_dis * X_c
        X_ch = (D * x[ix.X_ch] + p.f_ch_xc * dis) / (D + c.k_hyd_ch)
        X_pr = (D * x[ix.X_pr] + p.f_pr_xc * dis) / (D + c.k_hyd_pr)
        X_li = (D * x[ix.X_li] + p.f_li_xc * dis) / (D + c.k_hyd_li)
        h_ch, h_pr, h_li = c.k_hyd_ch * X_ch, c.k_hyd_pr * X_pr, c.k_hyd_li * X_li
        S_su, u_su, X_su = monod(D * x[ix.S_su] + h_ch + (1 - p.f_fa_li) * h_li, 0, c.k_m_su,
                                 p.K_S_su, p.Y_su, b["su"], x[ix.X_su])  # fmt: skip
        S_aa, u_aa, X_aa = monod(
            D * x[ix.S_aa] + h_pr, 0, c.k_m_aa, p.K_S_aa, p.Y_aa, b["aa"], x[ix.X_aa]
        )
        S_fa, u_fa, X_fa = monod(D * x[ix.S_fa] + p.f_fa_li * h_li, 0, c.k_m_fa, p.K_S_fa, p.Y_fa,
                                 b["fa"], x[ix.X_fa])  # fmt: skip
        F_va = D * x[ix.S_va] + (1 - p.Y_aa) * p.f_va_aa * u_aa
        F_bu = D * x[ix.S_bu] + (1 - p.Y_su) * p.f_bu_su * u_su + (1 - p.Y_aa) * p.f_bu_aa * u_aa
        S_c4, u_c4, X_c4 = monod(F_va + F_bu, 0, c.k_m_c4, p.K_S_c4, p.Y_c4, b["c4"], x[ix.X_c4])
        w_va = F_va / (F_va + F_bu + 1e-30)
        S_va, S_bu, u_va, u_bu = S_c4 * w_va, S_c4 * (1 - w_va), u_c4 * w_va, u_c4 * (1 - w_va)
        F_pro = (D * x[ix.S_pro] + (1 - p.Y_su) * p.f_pro_su * u_su + (1 - p.Y_aa) * p.f_pro_aa * u_aa
                 + (1 - p.Y_c4) * _VA_PRO * u_va)  # fmt: skip
        S_pro, u_pro, X_pro = monod(F_pro, 0, c.k_m_pro, p.K_S_pro, p.Y_pro, b["pro"], x[ix.X_pro])
        F_ac = (D * x[ix.S_ac] + (1 - p.Y_su) * p.f_ac_su * u_su + (1 - p.Y_aa) * p.f_ac_aa * u_aa
                + (1 - p.Y_fa) * _FA_AC * u_fa + (1 - p.Y_c4) * (_VA_AC * u_va + _BU_AC * u_bu)
                + (1 - p.Y_pro) * _PRO_AC * u_pro)  # fmt: skip
        S_ac, u_ac, X_ac = monod(F_ac, 0, c.k_m_ac, p.K_S_ac, p.Y_ac, b["ac"], x[ix.X_ac])
        F_h2 = (D * x[ix.S_h2] + (1 - p.Y_su) * p.f_h2_su * u_su + (1 - p.Y_aa) * p.f_h2_aa * u_aa
                + (1 - p.Y_fa) * _FA_H2 * u_fa + (1 - p.Y_c4) * (_VA_H2 * u_va + _BU_H2 * u_bu)
                + (1 - p.Y_pro) * _PRO_H2 * u_pro)  # fmt: skip
        S_h2, u_h2, X_h2 = monod(F_h2, 0, c.k_m_h2, p.K_S_h2, p.Y_h2, b["h2"], x[ix.X_h2])
        X_bio = (b["su"] * X_su + b["aa"] * X_aa + b["fa"] * X_fa + b["c4"] * X_c4
                 + b["pro"] * X_pro + b["ac"] * X_ac + b["h2"] * X_h2)  # fmt: skip
    vals = dict(S_su=S_su, S_aa=S_aa, S_fa=S_fa, S_va=S_va, S_bu=S_bu, S_pro=S_pro, S_ac=S_ac,
                S_h2=S_h2, X_c=X_c, X_ch=X_ch, X_pr=X_pr, X_li=X_li, X_su=X_su, X_aa=X_aa,
                X_fa=X_fa, X_c4=X_c4, X_pro=X_pro, X_ac=X_ac, X_h2=X_h2)  # fmt: skip
    for k, v in vals.items():
        y[ix[k]] = v
    y[ix.S_I] = x[ix.S_I] + p.f_sI_xc * dis / D
    y[ix.X_I] = x[ix.X_I] + p.f_xI_xc * dis / D
    y[ix.S_cat], y[ix.S_an], y[ix.S_IP] = x[ix.S_cat], x[ix.S_an], x[ix.S_IP]
    # nitrogen: none leaves in the gas, so total N equals the influent's
    y[ix.S_IN] = np.zeros(n)
    tot_in = conserved_totals(np.stack(x, axis=-1), params=p)
    tot = conserved_totals(np.stack(y[:N_LIQ], axis=-1), params=p)
    y[ix.S_IN] = np.maximum(tot_in["N_kmol_m3"] - tot["N_kmol_m3"], 1e-4)
    # methane and carbon: the gas carries CH4 and CO2 at equilibrium partial pressures
    ch4 = (1 - p.Y_ac) * u_ac + (1 - p.Y_h2) * u_h2  # kg COD m-3 d-1
    C_org = tot["C_kmol_m3"]
    P_dry = p.P_atm_bar - c.p_h2o
    ch4_kmol = ch4 / _COD_CH4  # kmol m-3 d-1 of liquid
    ions = (y[ix.S_IN], S_va, S_bu, S_pro, S_ac, x[ix.S_cat], x[ix.S_an], x[ix.S_IP])

    def co2_out(S_IC, h0):
        h = _solve_h_array(c, (S_IC, *ions), h0)
        p_co2 = np.minimum(S_IC * h / (c.K_a_co2 + h) / c.K_H_co2, 0.9 * P_dry)
        return p_co2, ch4_kmol * p_co2 / (P_dry - p_co2), h

    # carbon balance D (C_in - C_org - S_IC) = C_ch4 ch4 + CO2 out, increasing in S_IC:
    # bisection between 0 and the carbon that is left without any CO2 in the gas
    hi = np.maximum(tot_in["C_kmol_m3"] - C_org - p.C_ch4 * ch4 / D, 1e-3)
    lo = np.zeros(n)
    h = None
    for _ in range(30):
        S_IC = 0.5 * (lo + hi)
        p_co2, co2, h = co2_out(S_IC, h)
        excess = S_IC - (tot_in["C_kmol_m3"] - C_org - (p.C_ch4 * ch4 + co2) / D)
        hi = np.where(excess > 0, S_IC, hi)
        lo = np.where(excess > 0, lo, S_IC)
    p_co2 = np.maximum(p_co2, 1e-4)
    p_ch4 = P_dry - p_co2
    y[ix.S_IC] = S_IC
    y[ix.S_ch4] = _COD_CH4 * c.K_H_ch4 * p_ch4 + ch4 / p.k_L_a
    y[ix.S_gas_ch4] = p_ch4 * _COD_CH4 / c.RT
    y[ix.S_gas_co2] = p_co2 / c.RT
    y[ix.S_gas_h2] = S_h2 / (_COD_H2 * c.K_H_h2) * _COD_H2 / c.RT
    y0 = np.maximum(np.stack([np.broadcast_to(a, n) for a in y]), 1e-12)
    # S_IP takes part in no reaction: its steady state is its influent, exactly (0 if absent)
    y0[ix.S_IP] = x[ix.S_IP]
    return y0


# ------------------------------------------------------------------- steady state

_FLOOR = 1e-14  # absolute floor of the step test [state units]
_NEGLIGIBLE = 1e-12  # a state this small may be stepped to 0 [state units]


def _ptc(c, y, xin, D, Vl_Vg, inv_Vg, *, rtol=1e-12, maxiter=200, dt0=0.1, grow=10.0):
    """Pseudo-transient continuation to the steady state, vectorized over n cases.

    Implicit Euler steps (I/dt - J) dy = f with the exact Jacobian, dt growing
    by ``grow`` on each full step and cut by 4 when a step has to be damped to keep
    every state positive (a step never removes more than 90 % of a state
    above 1e-12; smaller ones may drop to 0).
    Returns y (n, 30), converged (n,), S_H (n,) and the iteration count.
    """
    n = y.shape[0]
    dt = np.full(n, dt0)
    conv = np.zeros(n, dtype=bool)
    h = np.full(n, 1e-7)
    eye = np.eye(N_STATES)
    it = 0
    for it in range(1, maxiter + 1):  # noqa: B007
        a = np.flatnonzero(~conv)
        if a.size == 0:
            break
        ca = _take(c, a)
        f, J, h[a] = _jac_any(ca, y[a], [v[a] for v in xin], D[a], Vl_Vg[a], inv_Vg[a], h[a])
        s = np.abs(y[a]) + _FLOOR  # column scaling
        A = (eye / dt[a, None, None] - J) * s[:, None, :]
        rs = np.abs(A).max(axis=2)  # row scaling
        z = np.linalg.solve(A / rs[:, :, None], (f / rs)[..., None])[..., 0]
        dy = z * s
        # fraction to the boundary on the states that matter; a state of 1e-12 or
        # less (absent from feed and washed out, e.g. S_cat = 0) may drop to 0
        big = y[a] > _NEGLIGIBLE
        with np.errstate(divide="ignore", invalid="ignore"):
            shrink = np.where((dy < 0) & big, -dy / y[a], 0.0).max(axis=1)
        lam = np.minimum(1.0, 0.9 / np.maximum(shrink, 1e-300))
        ok = np.isfinite(dy).all(axis=1)
        lam = np.where(ok, lam, 0.0)
        y_new = np.maximum(y[a] + lam[:, None] * np.where(np.isfinite(dy), dy, 0.0), 0.0)
        step = y_new - y[a]
        y[a] = y_new
        rel = (np.abs(step) / (np.abs(y[a]) + _FLOOR)).max(axis=1)
        full = lam == 1.0
        dt[a] = np.where(full, np.minimum(dt[a] * grow, 1e20), np.maximum(dt[a] / 4.0, 1e-8))
        conv[a] = full & (dt[a] >= 1e6) & (rel < rtol)
    return y, conv, h, it


def _stable(c, y, xin, D, Vl_Vg, inv_Vg, h):
    """Rows whose Jacobian has no eigenvalue with a positive real part (a stable steady state).

    Newton can converge to an unstable (saddle) steady state where ADM1 has
    several; those rows are redone dynamically.
    """
    _, J, _ = _jac_any(c, y, xin, D, Vl_Vg, inv_Vg, h)
    ok = np.isfinite(J).all(axis=(1, 2))
    lam = np.full(y.shape[0], np.inf)
    lam[ok] = np.linalg.eigvals(J[ok]).real.max(axis=1)
    return lam < 1e-6


def _take(c, a):
    """Constants of the cases ``a`` (array-valued constants are indexed)."""
    out = SimpleNamespace(**vars(c))
    for k, v in vars(c).items():
        if isinstance(v, np.ndarray) and v.ndim == 1:
            setattr(out, k, v[a])
    return out


#: Methanogen concentration below which a digester counts as washed out [kg COD m-3].
_X_WASHED_OUT = 1e-6


def _washout_mask(c, y, xin, D, pH):
    """Rows whose methanogens (X_ac or X_h2) hold less than half their mass by growth or
    fall below 1e-6 kg COD m-3, or whose pH is below pH_LL_ac."""
    p = c.p
    bad = pH < p.pH_LL_ac
    for k in ("ac", "h2"):
        X = y[:, Ix[f"X_{k}"]]
        b = getattr(c, f"k_dec_X_{k}")
        inflow_only = D * xin[Ix[f"X_{k}"]] / (_particulate_dilution(c, D) + b)
        with np.errstate(divide="ignore", invalid="ignore"):
            grown = 1.0 - inflow_only / X
        bad |= ~(grown >= 0.5) | (X < _X_WASHED_OUT)
    return bad


def _settle(c, y_start, rows, xin, D, Vl_Vg, inv_Vg, dt0=0.1):
    """Pseudo-transient continuation of the cases ``rows`` from ``y_start`` (len(rows), 30).

    Returns their states, S_H and whether each reached a stable steady state that keeps
    its methanogens (:func:`_ptc`, :func:`_stable`, :func:`_washout_mask`).
    """
    ca, xa = _take(c, rows), [v[rows] for v in xin]
    Da, la, ga = D[rows], Vl_Vg[rows], inv_Vg[rows]
    ya, ok, ha, _ = _ptc(ca, y_start, xa, Da, la, ga, dt0=dt0)
    ok &= _stable(ca, ya, xa, Da, la, ga, ha)
    ok &= ~_washout_mask(ca, ya, xa, Da, -np.log10(ha))
    return ya, ha, ok


def _bdf_case(c, y0, xin, D, Vl_Vg, inv_Vg, t_end_d):
    """Integrate one case (floats) with BDF to t_end_d; returns the end state or None."""
    from scipy.integrate import solve_ivp

    fun, jac = _scalar_fun_jac(c, lambda t: (xin, D), Vl_Vg, inv_Vg)
    sol = solve_ivp(fun, (0.0, t_end_d), y0, method="BDF", jac=jac, rtol=1e-8, atol=1e-12)
    return sol.y[:, -1] if sol.success else None


def _scalar_fun_jac(c, inflow, Vl_Vg, inv_Vg):
    """RHS and Jacobian of one case for scipy, with ``inflow(t) -> (xin list, D)``."""
    cs = SimpleNamespace(
        **{
            k: (float(np.ravel(v)[0]) if isinstance(v, np.ndarray) else v)
            for k, v in vars(c).items()
        }
    )
    cs.scalar = True
    ca = SimpleNamespace(**vars(cs))
    ca.scalar = False
    vl, ig = float(Vl_Vg), float(inv_Vg)
    last = {"h": 1e-7}  # warm start of the pH solve, local to this integration

    def fun(t, y):
        xin, D = inflow(t)
        out, last["h"] = _core(cs, y.tolist(), xin, D, vl, ig, last["h"])
        return np.array(out)

    def jac(t, y):
        xin, D = inflow(t)
        _, J, _ = _jac(ca, y[None, :], [np.array([v]) for v in xin], np.array([D]),
                       np.array([vl]), np.array([ig]))  # fmt: skip
        return J[0]

    return fun, jac


def _dataset(
    y: ArrayLike,
    ions: Speciation,
    gas: GasPhase,
    *,
    status: str,
    extra: Mapping[str, ArrayLike] | None = None,
    dim: str | None = None,
    coord: ArrayLike | None = None,
) -> xr.Dataset:
    """An xarray.Dataset of states, ions, pH and gas, with CF attributes: the public edge of
    the array results (:class:`SteadyState`, and the dynamic run's)."""
    import nexus
    from nexus._xarray import xr

    y = np.asarray(y)
    data: dict[str, ArrayLike] = {name: y[..., i] for i, name in enumerate(STATES)}
    data.update({k: getattr(ions, k) for k in Speciation._fields})
    data["p_gas_Pa"] = gas.p_gas_bar * 1e5
    data["q_gas_m3_d"] = gas.q_gas_m3_d
    data["q_ch4_Nm3_d"] = gas.q_ch4_Nm3_d
    data.update(extra or {})
    dims = () if dim is None else (dim,)
    ds = xr.Dataset(
        {
            k: (
                dims,
                np.asarray(v, dtype=float),
                {"units": _UNITS[k][0], "long_name": _UNITS[k][1]},
            )
            for k, v in data.items()
        }
    )
    if dim is not None and coord is not None:
        ds = ds.assign_coords({dim: coord})
    ds.attrs.update(
        {
            "nexus_version": nexus.__version__,
            "model": "ADM1 (Batstone et al. 2002) as in BSM2 (Rosen & Jeppsson 2006)",
            "solver_status": status,
        }
    )
    return ds


class SteadyState(NamedTuple):
    """Result of :func:`steady_states`: arrays, with a leading axis over the batch rows (none
    for one case)."""

    #: the 30 states in :data:`~nexus.units.adm1.params.STATES` order, shape (rows, 30)
    #: [BSM2 units]
    y: np.ndarray
    ions: Speciation  #: pH and ions of each row
    gas: GasPhase  #: headspace of each row
    washout: np.ndarray  #: whether each row's methanogens washed out [bool]
    status: str  #: "converged", or "washout states returned unconverged"

    def state(self, name: str) -> np.ndarray:
        """One state by name, per row [its BSM2 unit]."""
        return self.y[..., Ix[name]]


def steady_state(
    influent: Mapping[str, Any],
    *,
    flow_m3_d: ArrayLike,
    V_liq_m3: ArrayLike,
    V_gas_m3: ArrayLike,
    T_K: ArrayLike,
    params: ADM1Params | None = None,
    allow_washout: bool = False,
    t_res_X_d: ArrayLike = 0.0,
) -> xr.Dataset:
    """:func:`steady_states` as an ``xarray.Dataset`` (the public edge), for one case or a
    batch: the same keywords.

    Returns
    -------
    xarray.Dataset
        Every state under its name (BSM2 units), the ions (``S_ac_ion``,
        ``S_hco3_ion``, ``S_nh3``, ...), ``pH``, ``p_gas_Pa``, ``q_gas_m3_d``
        (BSM2 convention, normalised to P_atm), ``q_ch4_Nm3_d`` and ``washout``
        (1 where the methanogens washed out); dimension ``case`` for a batch.

    Examples
    --------
    >>> bsm2 = dict(S_su=0.01, S_aa=0.001, S_fa=0.001, S_va=0.001, S_bu=0.001,
    ...     S_pro=0.001, S_ac=0.001, S_h2=1e-8, S_ch4=1e-5, S_IC=0.04, S_IN=0.01,
    ...     S_I=0.02, X_c=2.0, X_ch=5.0, X_pr=20.0, X_li=5.0, X_su=0.0, X_aa=0.01,
    ...     X_fa=0.01, X_c4=0.01, X_pro=0.01, X_ac=0.01, X_h2=0.01, X_I=25.0,
    ...     S_cat=0.04, S_an=0.02)
    >>> ds = steady_state(bsm2, flow_m3_d=170.0, V_liq_m3=3400.0, V_gas_m3=300.0,
    ...                   T_K=308.15)
    >>> print(round(float(ds.pH), 4), round(float(ds.q_gas_m3_d), 1))
    7.4655 2955.7
    """
    r = steady_states(
        influent,
        flow_m3_d=flow_m3_d,
        V_liq_m3=V_liq_m3,
        V_gas_m3=V_gas_m3,
        T_K=T_K,
        params=params,
        allow_washout=allow_washout,
        t_res_X_d=t_res_X_d,
    )
    batch = r.y.ndim == 2
    return _dataset(
        r.y,
        r.ions,
        r.gas,
        status=r.status,
        extra={"washout": r.washout.astype(float)},
        dim="case" if batch else None,
        coord=np.arange(r.y.shape[0]) if batch else None,
    )


def steady_states(
    influent: Mapping[str, Any],
    *,
    flow_m3_d: ArrayLike,
    V_liq_m3: ArrayLike,
    V_gas_m3: ArrayLike,
    T_K: ArrayLike,
    params: ADM1Params | None = None,
    allow_washout: bool = False,
    t_res_X_d: ArrayLike = 0.0,
    start: ArrayLike | None = None,
) -> SteadyState:
    """Steady states of a continuously fed digester, for one case or a batch, as arrays.

    Parameters
    ----------
    influent : mapping of str to float or array_like
        Concentration of each of the 26 liquid states
        (:data:`~nexus.units.adm1.params.LIQUID_STATES`, BSM2 units: kg COD m-3, kmol C
        m-3 for S_IC, kmol N m-3 for S_IN, kmol m-3 for S_cat, S_an); all 26 are
        required, each >= 0.
    flow_m3_d : float or array_like
        Influent flow [m3 d-1], > 0.
    V_liq_m3, V_gas_m3 : float or array_like
        Liquid and headspace volumes [m3], > 0.
    T_K : float or array_like
        Digester temperature [K], in [293.15, 308.15] (20-35 degC, the validated range of
        the temperature correction of the biochemical rates; ``T_C_MIN``,
        ``T_C_MAX``).
    params : ADM1Params, optional
        Parameters; default the BSM2 set.
    allow_washout : bool, default False
        Return washed-out cases (flagged in ``washout``) instead of raising.
    t_res_X_d : float or array_like, default 0
        Extra residence time of particulates and biomass beyond the HRT [d]
        (ADM1's t_res,X, Batstone et al. 2002, section 7.2): 0 is a CSTR; a
        UASB reactor that keeps its sludge bed has a large value. The
        reported states are the reactor contents; particulates leave at
        ``X / (V/q + t_res_X_d)``.
    start : array_like, shape (rows, 30) or (30,), optional
        A first guess of each row's state (e.g. the steady state of a nearby influent,
        :attr:`SteadyState.y`): the pseudo-transient continuation starts there, which
        saves most of its steps; rows that do not reach a productive steady state from it
        start again from the chemostat-theory guess. Default: that guess.

    Any of the inputs may be a 1-d array: the cases form a batch along the
    dimension ``case`` and are solved together.

    Returns
    -------
    SteadyState
        The states, ions and gas of each case (a leading row axis for a
        batch), which cases washed out, and the solver status;
        :func:`steady_state` gives the same as an ``xarray.Dataset``.

    Raises
    ------
    ParameterError
        A concentration is negative or missing or a state name unknown, a
        volume or flow is not positive, or T_K is outside the validated 20-35 degC.
    WashoutError
        The steady state of some row(s) has washed-out methanogens (less than
        half of X_ac or X_h2 sustained by growth, or below 1e-6 kg COD m-3) or
        pH below pH_LL_ac; ``rows`` lists them.
    SolverError
        No steady state found.

    Notes
    -----
    Solved directly: pseudo-transient continuation (implicit Euler steps
    with a growing step, i.e. damped Newton that ends as Newton) on the full
    30-state right-hand side with its exact Jacobian (the complex step of
    :func:`jacobian` for a few cases, forward differentiation of the same arithmetic,
    equal to it to 1e-12, for batches of 24 and more), all cases
    of a batch in one vectorized block-diagonal solve, from a chemostat-theory
    initial guess; converged when the last Newton step is below 1e-12
    relative. ADM1 can have several steady states (a productive one, a sour
    one with accumulated acids, unstable ones between): a converged state
    whose Jacobian has an eigenvalue with a positive real part, a washed-out
    state, or a case that does not converge in 200 iterations is solved again
    (continuation) from the stable productive state of the nearest row of the
    batch (e.g. the neighbouring day of a daily series), all such cases in one
    batch; those that still fail are integrated with BDF from the initial guess
    (a start-up) over 400 (then 4000) days and solved again from there, one
    case at a time, and every productive state a start-up finds is continued
    to the cases left. So a stable productive state found by Newton is
    returned; otherwise the stable state that the start-up reaches, and a
    washout is only reported when the start-up washes out too.

    Examples
    --------
    >>> bsm2 = dict(S_su=0.01, S_aa=0.001, S_fa=0.001, S_va=0.001, S_bu=0.001,
    ...     S_pro=0.001, S_ac=0.001, S_h2=1e-8, S_ch4=1e-5, S_IC=0.04, S_IN=0.01,
    ...     S_I=0.02, X_c=2.0, X_ch=5.0, X_pr=20.0, X_li=5.0, X_su=0.0, X_aa=0.01,
    ...     X_fa=0.01, X_c4=0.01, X_pro=0.01, X_ac=0.01, X_h2=0.01, X_I=25.0,
    ...     S_cat=0.04, S_an=0.02)
    >>> r = steady_states(bsm2, flow_m3_d=170.0, V_liq_m3=3400.0, V_gas_m3=300.0,
    ...                   T_K=308.15)
    >>> print(round(float(r.ions.pH), 4), round(float(r.gas.q_gas_m3_d), 1))
    7.4655 2955.7
    """
    p = params_or_default(params, "steady_states")
    x_in, ops, nb = _check_inputs(
        influent, dict(flow_m3_d=flow_m3_d, V_liq_m3=V_liq_m3, V_gas_m3=V_gas_m3, T_K=T_K)
    )
    n = 1 if nb is None else nb
    xin = [np.broadcast_to(v, (n,)).astype(float) for v in x_in]
    q, Vl, Vg, T = (
        np.broadcast_to(ops[k], (n,)).astype(float)
        for k in ("flow_m3_d", "V_liq_m3", "V_gas_m3", "T_K")
    )
    D, Vl_Vg, inv_Vg = q / Vl, Vl / Vg, 1.0 / Vg
    c = _constants(p, T)
    c.t_res_X = _retention(t_res_X_d, n)
    y0 = _initial_guess(c, xin, _particulate_dilution(c, D)).T.copy()  # (n, 30)
    if start is None:
        y, h, good = _settle(c, y0.copy(), np.arange(n), xin, D, Vl_Vg, inv_Vg)
    else:
        ys = np.array(np.broadcast_to(np.asarray(start, dtype=float), (n, N_STATES)))
        if not np.all(np.isfinite(ys) & (ys >= 0)):
            raise ParameterError("steady_states: start must be finite and >= 0")
        # near the solution: large pseudo-time steps from the first (Newton, damped if need be)
        y, h, good = _settle(c, ys, np.arange(n), xin, D, Vl_Vg, inv_Vg, dt0=1e6)
        if not good.all():  # those rows from the chemostat guess, as without a start
            bad = np.flatnonzero(~good)
            yb, hb, okb = _settle(c, y0[bad].copy(), bad, xin, D, Vl_Vg, inv_Vg)
            y[bad], h[bad], good[bad] = yb, hb, okb
    conv = good.copy()
    todo = [int(i) for i in np.flatnonzero(~good)]
    fresh = good.any()  # a productive state not yet continued from
    while todo:
        if fresh:  # continuation: the rest from the nearest (by row) productive state
            a = np.array(todo)
            src = np.flatnonzero(good)
            near = src[np.abs(src[None, :] - a[:, None]).argmin(axis=1)]
            ya, ha, ok = _settle(c, y[near].copy(), a, xin, D, Vl_Vg, inv_Vg)
            y[a[ok]], h[a[ok]] = ya[ok], ha[ok]
            good[a[ok]] = conv[a[ok]] = True
            todo = [i for i in todo if not good[i]]
            fresh = False
            if not todo:
                break
        i = todo.pop(0)  # dynamic start-up of one case
        ci = _take(c, np.array([i]))
        sl = slice(i, i + 1)
        xi = [v[sl] for v in xin]
        for t_end in (400.0, 4000.0):
            ye = _bdf_case(
                ci, y0[i], [float(v[i]) for v in xin], float(D[i]), Vl_Vg[i], inv_Vg[i], t_end
            )
            if ye is None or not np.all(np.isfinite(ye)):
                break
            # states that vanish (washed-out biomass) may end a hair below 0
            ye = np.maximum(ye, 1e-30)
            yi, ok, hi, _ = _ptc(
                ci, ye[None, :].copy(), xi, D[sl], Vl_Vg[sl], inv_Vg[sl], dt0=t_end
            )
            if ok[0] and _stable(ci, yi, xi, D[sl], Vl_Vg[sl], inv_Vg[sl], hi)[0]:
                y[i], conv[i], h[i] = yi[0], True, hi[0]
                good[i] = fresh = not _washout_mask(ci, yi, xi, D[sl], -np.log10(hi))[0]
                break
            # not converged: keep the end of the start-up, so a washout is still seen
            y[i] = ye
            h[i] = _solve_h_array(ci, _ion_args(ye[:, None]))[0]
        if not good[i] and not allow_washout:
            # Its start-up washed out too: the batch fails whatever the other rows do, so
            # say so now rather than after a start-up of each (a minute or more for a year
            # of days in an undersized digester).
            pH_i = -np.log10(h[i : i + 1])
            if _washout_mask(ci, y[sl], xi, D[sl], pH_i)[0]:
                left = f"; the first row whose start-up washed out, of {len(todo) + 1} left"
                raise _washout([i], D[sl], pH_i, left)
    pH = -np.log10(h)
    wash = _washout_mask(c, y, xin, D, pH)
    rows = lambda m: [int(i) for i in np.flatnonzero(m)]  # noqa: E731
    if not allow_washout and np.any(wash):
        raise _washout(rows(wash), D[wash], pH[wash])
    if not np.all(conv | wash):
        raise SolverError(f"ADM1 steady state did not converge in batch row(s) {rows(~conv)}")
    status = "converged" if conv.all() else "washout states returned unconverged"
    if nb is None:
        y, T, wash = y[0], T[0], wash[0]
    return SteadyState(
        y,
        speciation(y, T_K=T, params=p),
        gas_phase(y, T_K=T, params=p),
        np.asarray(wash, dtype=bool),
        status,
    )
