"""ADM1's right-hand side for one state, compiled with numba when it is installed.

A dynamic run (:func:`nexus.units.adm1.simulate`) evaluates the right-hand side of one
state some 45,000 times a simulated year; in Python floats (:func:`kinetics._core`) each
evaluation costs 30-50 us of interpreter time against well under 1 us of arithmetic.
:func:`core` here is the same model, written out for numba: the same formulas in the same
order (``tests/units/test_adm1.py`` holds it to 1e-12 of :func:`kinetics._core`, the
reference), on a flat array of the temperature-corrected constants (:func:`pack`).

numba is optional: without it (or with ``NEXUS_NUMBA=0`` in the environment) :func:`kernel`
returns None and the dynamic run uses the Python reference. The compiled code is cached
on disk by numba (``cache=True``), so only the first run on a machine compiles (a few
seconds); later processes load it.
"""

from __future__ import annotations

import math
import os
from functools import cache
from typing import Any

import numpy as np

from nexus.units.adm1.kinetics import _COD_CH4, _COD_H2, _H_STEP, _LN_H_HI, _LN_H_LO, charge_balance
from nexus.units.adm1.params import _X0, _X1, N_LIQ, N_STATES

#: The constants :func:`pack` lays out, in the order :func:`_core_nb` reads them: those of
#: ``kinetics._constants`` (temperature-corrected), then the parameters it reads directly.
CONSTANTS = (
    # c.*: rate constants at T
    "k_dis", "k_hyd_ch", "k_hyd_pr", "k_hyd_li", "k_m_su", "k_m_aa", "k_m_fa", "k_m_c4",
    "k_m_pro", "k_m_ac", "k_m_h2", "k_dec_X_su", "k_dec_X_aa", "k_dec_X_fa", "k_dec_X_c4",
    "k_dec_X_pro", "k_dec_X_ac", "k_dec_X_h2",
    # c.*: physico-chemical constants at T, pH inhibition, solids retention
    "RT", "K_w", "K_a_va", "K_a_bu", "K_a_pro", "K_a_ac", "K_a_co2", "K_a_IN", "K_a_IP",
    "K_H_h2", "K_H_ch4", "K_H_co2", "p_h2o", "n_aa", "KpHn_aa", "n_ac", "KpHn_ac", "n_h2",
    "KpHn_h2", "t_res_X",
    # p.*: parameters
    "K_S_IN", "K_I_h2_fa", "K_I_h2_c4", "K_I_h2_pro", "K_I_nh3", "K_S_su", "K_S_aa",
    "K_S_fa", "K_S_c4", "eps_c4", "K_S_pro", "K_S_ac", "K_S_h2", "k_L_a", "k_p",
    "P_atm_bar", "f_sI_xc", "f_ch_xc", "f_pr_xc", "f_li_xc", "f_xI_xc", "Y_su", "Y_aa",
    "Y_fa", "Y_c4", "Y_pro", "Y_ac", "Y_h2",
)  # fmt: skip
_N_C = 38  # how many of CONSTANTS come from the constants namespace (the rest: parameters)


def pack(c: Any) -> tuple[np.ndarray, np.ndarray]:
    """The constants of a scalar ``kinetics._constants`` namespace as (values, c.nu)."""
    # t_res_X is set only with a solids retention (kinetics._core reads it as 0 otherwise);
    # every other name must be there
    values = [
        float(getattr(c, k) if k != "t_res_X" else getattr(c, k, 0.0))
        if i < _N_C
        else float(getattr(c.p, k))
        for i, k in enumerate(CONSTANTS)
    ]
    return np.array(values), np.array(c.nu, dtype=float)


def _charge_nb(K, h, S_IC, S_IN, S_va, S_bu, S_pro, S_ac, S_cat, S_an, S_IP):  # pragma: no cover
    """kinetics._charge for floats (K: the constants array): the same function compiled."""
    return charge_balance(
        K[19], K[20], K[21], K[22], K[23], K[24], K[25], K[26],
        h, S_IC, S_IN, S_va, S_bu, S_pro, S_ac, S_cat, S_an, S_IP,
    )  # fmt: skip


def _solve_h_nb(K, S_IC, S_IN, S_va, S_bu, S_pro, S_ac, S_cat, S_an, S_IP, h0):  # pragma: no cover
    """kinetics._solve_h_scalar."""
    if math.isnan(S_IC + S_IN + S_va + S_bu + S_pro + S_ac + S_cat + S_an + S_IP):
        return math.nan
    lo, hi = _LN_H_LO, _LN_H_HI
    u = math.log(h0) if 1e-16 < h0 < 10.0 else math.log(1e-7)
    for _ in range(100):
        h = math.exp(u)
        g, dg = _charge_nb(K, h, S_IC, S_IN, S_va, S_bu, S_pro, S_ac, S_cat, S_an, S_IP)
        step = g / dg
        if abs(step) < _H_STEP:
            h = h * (1.0 - step)
            g, dg = _charge_nb(K, h, S_IC, S_IN, S_va, S_bu, S_pro, S_ac, S_cat, S_an, S_IP)
            return h * (1.0 - g / dg)
        if g > 0.0:
            hi = u
        else:
            lo = u
        un = u - step
        u = un if lo <= un <= hi else 0.5 * (lo + hi)
    return math.exp(u)


def _core_nb(K, nu, x, xin, D, Vl_Vg, inv_Vg, h0, out):  # pragma: no cover
    """kinetics._core for one state: dy/dt into ``out`` (30); returns (S_H, q_head)."""
    (k_dis, k_hyd_ch, k_hyd_pr, k_hyd_li, k_m_su, k_m_aa, k_m_fa, k_m_c4, k_m_pro, k_m_ac,
     k_m_h2, k_dec_X_su, k_dec_X_aa, k_dec_X_fa, k_dec_X_c4, k_dec_X_pro, k_dec_X_ac,
     k_dec_X_h2) = (K[0], K[1], K[2], K[3], K[4], K[5], K[6], K[7], K[8], K[9], K[10],
                    K[11], K[12], K[13], K[14], K[15], K[16], K[17])  # fmt: skip
    RT, K_a_IN, K_a_co2 = K[18], K[25], K[24]
    K_H_h2, K_H_ch4, K_H_co2, p_h2o = K[27], K[28], K[29], K[30]
    n_aa, KpHn_aa, n_ac, KpHn_ac, n_h2, KpHn_h2, t_res_X = (
        K[31], K[32], K[33], K[34], K[35], K[36], K[37])  # fmt: skip
    (K_S_IN, K_I_h2_fa, K_I_h2_c4, K_I_h2_pro, K_I_nh3, K_S_su, K_S_aa, K_S_fa, K_S_c4,
     eps_c4, K_S_pro, K_S_ac, K_S_h2, k_L_a, k_p, P_atm_bar, f_sI_xc, f_ch_xc, f_pr_xc,
     f_li_xc, f_xI_xc, Y_su, Y_aa, Y_fa, Y_c4, Y_pro, Y_ac, Y_h2) = (
        K[38], K[39], K[40], K[41], K[42], K[43], K[44], K[45], K[46], K[47], K[48], K[49],
        K[50], K[51], K[52], K[53], K[54], K[55], K[56], K[57], K[58], K[59], K[60], K[61],
        K[62], K[63], K[64], K[65])  # fmt: skip
    S_su, S_aa, S_fa, S_va, S_bu, S_pro, S_ac, S_h2 = x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]
    S_ch4, S_IC, S_IN = x[8], x[9], x[10]
    X_c, X_ch, X_pr, X_li, X_su, X_aa, X_fa = x[12], x[13], x[14], x[15], x[16], x[17], x[18]
    X_c4, X_pro, X_ac, X_h2 = x[19], x[20], x[21], x[22]
    S_cat, S_an, S_IP, Sg_h2, Sg_ch4, Sg_co2 = x[24], x[25], x[26], x[27], x[28], x[29]
    (su_li, fa_li, va_6, bu_5, bu_6, pro_5, pro_6, pro_8, ac_5, ac_6, ac_7, ac_8, ac_9, ac_10,
     h2_5, h2_6, h2_7, h2_8, h2_9, h2_10, ch4_11, ch4_12, s1, s2, s3, s4, s5, s6, s7, s8, s9,
     s10, s11, s12, s13, n5, n6, n7, n89, n10, n11, n12, n_dec, n1) = (
        nu[0], nu[1], nu[2], nu[3], nu[4], nu[5], nu[6], nu[7], nu[8], nu[9], nu[10], nu[11],
        nu[12], nu[13], nu[14], nu[15], nu[16], nu[17], nu[18], nu[19], nu[20], nu[21],
        nu[22], nu[23], nu[24], nu[25], nu[26], nu[27], nu[28], nu[29], nu[30], nu[31],
        nu[32], nu[33], nu[34], nu[35], nu[36], nu[37], nu[38], nu[39], nu[40], nu[41],
        nu[42], nu[43])  # fmt: skip
    h = _solve_h_nb(K, S_IC, S_IN, S_va, S_bu, S_pro, S_ac, S_cat, S_an, S_IP, h0)
    S_nh3 = K_a_IN * S_IN / (K_a_IN + h)
    S_co2 = S_IC * h / (K_a_co2 + h)

    I_pH_aa = KpHn_aa / (h**n_aa + KpHn_aa)
    I_pH_ac = KpHn_ac / (h**n_ac + KpHn_ac)
    I_pH_h2 = KpHn_h2 / (h**n_h2 + KpHn_h2)
    I_IN = S_IN / (S_IN + K_S_IN)
    I_5 = I_pH_aa * I_IN
    I_7 = I_5 * K_I_h2_fa / (K_I_h2_fa + S_h2)
    I_8 = I_5 * K_I_h2_c4 / (K_I_h2_c4 + S_h2)
    I_10 = I_5 * K_I_h2_pro / (K_I_h2_pro + S_h2)
    I_11 = I_pH_ac * I_IN * K_I_nh3 / (K_I_nh3 + S_nh3)
    I_12 = I_pH_h2 * I_IN

    r1 = k_dis * X_c
    r2 = k_hyd_ch * X_ch
    r3 = k_hyd_pr * X_pr
    r4 = k_hyd_li * X_li
    r5 = k_m_su * S_su / (K_S_su + S_su) * X_su * I_5
    r6 = k_m_aa * S_aa / (K_S_aa + S_aa) * X_aa * I_5
    r7 = k_m_fa * S_fa / (K_S_fa + S_fa) * X_fa * I_7
    c4 = k_m_c4 * X_c4 * I_8 / (S_va + S_bu + eps_c4)
    r8 = c4 * S_va / (K_S_c4 + S_va) * S_va
    r9 = c4 * S_bu / (K_S_c4 + S_bu) * S_bu
    r10 = k_m_pro * S_pro / (K_S_pro + S_pro) * X_pro * I_10
    r11 = k_m_ac * S_ac / (K_S_ac + S_ac) * X_ac * I_11
    r12 = k_m_h2 * S_h2 / (K_S_h2 + S_h2) * X_h2 * I_12
    r13 = k_dec_X_su * X_su
    r14 = k_dec_X_aa * X_aa
    r15 = k_dec_X_fa * X_fa
    r16 = k_dec_X_c4 * X_c4
    r17 = k_dec_X_pro * X_pro
    r18 = k_dec_X_ac * X_ac
    r19 = k_dec_X_h2 * X_h2
    r_dec = r13 + r14 + r15 + r16 + r17 + r18 + r19

    p_h2 = Sg_h2 * RT / _COD_H2
    p_ch4 = Sg_ch4 * RT / _COD_CH4
    p_co2 = Sg_co2 * RT
    P = p_h2 + p_ch4 + p_co2 + p_h2o
    q_head = k_p * (P - P_atm_bar)
    q_head = q_head if q_head > 0.0 else 0.0 * q_head
    rT8 = k_L_a * (S_h2 - _COD_H2 * K_H_h2 * p_h2)
    rT9 = k_L_a * (S_ch4 - _COD_CH4 * K_H_ch4 * p_ch4)
    rT10 = k_L_a * (S_co2 - K_H_co2 * p_co2)

    reac = (
        r2 + su_li * r4 - r5,
        r3 - r6,
        fa_li * r4 - r7,
        va_6 * r6 - r8,
        bu_5 * r5 + bu_6 * r6 - r9,
        pro_5 * r5 + pro_6 * r6 + pro_8 * r8 - r10,
        ac_5 * r5 + ac_6 * r6 + ac_7 * r7 + ac_8 * r8 + ac_9 * r9 + ac_10 * r10 - r11,
        h2_5 * r5 + h2_6 * r6 + h2_7 * r7 + h2_8 * r8 + h2_9 * r9 + h2_10 * r10 - r12 - rT8,
        ch4_11 * r11 + ch4_12 * r12 - rT9,
        -(s1 * r1 + s2 * r2 + s3 * r3 + s4 * r4 + s5 * r5 + s6 * r6 + s7 * r7 + s8 * r8
          + s9 * r9 + s10 * r10 + s11 * r11 + s12 * r12 + s13 * r_dec) - rT10,
        (n5 * r5 + n6 * r6 + n7 * r7 + n89 * (r8 + r9) + n10 * r10 + n11 * r11 + n12 * r12
         + n_dec * r_dec + n1 * r1),
        f_sI_xc * r1,
        -r1 + r_dec,
        f_ch_xc * r1 - r2,
        f_pr_xc * r1 - r3,
        f_li_xc * r1 - r4,
        Y_su * r5 - r13,
        Y_aa * r6 - r14,
        Y_fa * r7 - r15,
        Y_c4 * (r8 + r9) - r16,
        Y_pro * r10 - r17,
        Y_ac * r11 - r18,
        Y_h2 * r12 - r19,
        f_xI_xc * r1,
    )  # fmt: skip
    held = D - D / (1.0 + D * t_res_X)
    for i in range(_X0):
        out[i] = D * (xin[i] - x[i]) + reac[i]
    for i in range(_X0, _X1):
        out[i] = D * (xin[i] - x[i]) + held * x[i] + reac[i]
    for i in range(_X1, N_LIQ):
        out[i] = D * (xin[i] - x[i])
    qg = q_head * inv_Vg
    out[N_LIQ] = -Sg_h2 * qg + rT8 * Vl_Vg
    out[N_LIQ + 1] = -Sg_ch4 * qg + rT9 * Vl_Vg
    out[N_LIQ + 2] = -Sg_co2 * qg + rT10 * Vl_Vg
    return h, q_head


assert N_STATES == N_LIQ + 3


def _fun_nb(K, nu, W, ya, xin, f_in, q, Vl, Vl_Vg, inv_Vg, h0, out):  # pragma: no cover
    """The dynamic run's whole right-hand side (``dynamic.simulate``'s ``fun``) into ``out``:
    the 30 states, the 4 flows in ``f_in``, the 4 flows out (``dynamic._out_flows`` of
    ``W @ y``); returns S_H."""
    h, q_head = _core_nb(K, nu, ya, xin, q / Vl, Vl_Vg, inv_Vg, h0, out)
    nb = f_in.shape[0]
    t = np.zeros(W.shape[0])
    for r in range(W.shape[0]):
        acc = 0.0
        for j in range(N_STATES):
            acc += W[r, j] * ya[j]
        t[r] = acc
    for k in range(nb):
        out[N_STATES + k] = f_in[k]
    out[N_STATES + nb] = q * t[0] + q_head * t[4]
    out[N_STATES + nb + 1] = q * t[1]
    out[N_STATES + nb + 2] = q * t[2] + q_head * t[6]
    out[N_STATES + nb + 3] = q * t[3]
    return h


@cache
def kernel() -> Any:
    """The compiled :func:`_fun_nb`, or None without numba (or with ``NEXUS_NUMBA=0``)."""
    if os.environ.get("NEXUS_NUMBA", "1") == "0":
        return None
    try:
        import numba
    except ImportError:
        return None
    jit = numba.njit(cache=True, error_model="numpy")
    # the kernel calls its helpers as globals: compiled, they are what numba sees
    globals()["charge_balance"] = jit(charge_balance)
    globals()["_charge_nb"] = jit(_charge_nb)
    globals()["_solve_h_nb"] = jit(_solve_h_nb)
    globals()["_core_nb"] = jit(_core_nb)
    return jit(_fun_nb)
