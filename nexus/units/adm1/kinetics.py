"""ADM1 kinetics: the pure right-hand side of the BSM2 implementation and what it needs.

- temperature-corrected constants: the physico-chemical ones by van 't Hoff, as BSM2; the
  biochemical rate constants by an exponential factor per process group
  (``RATE_GROUPS``, Siegrist et al. 2002 as in ADM1da); and the stoichiometry;
- :func:`~nexus.units.adm1.speciation`: the charge balance solved for S_H+ and the ions
  (the acid-base equilibria are algebraic: pH is never fixed and never a state);
- :func:`~nexus.units.adm1.gas_phase`: partial pressures and gas outflow of the headspace;
- :func:`~nexus.units.adm1.rhs`: dy/dt on a batch of state vectors, and
  :func:`~nexus.units.adm1.jacobian`, its exact complex-step Jacobian;
- :func:`~nexus.units.adm1.conserved_totals`: COD, N, C and strong-ion charge of a state.

All are pure functions on numpy arrays (results are arrays or NamedTuples). See
:mod:`nexus.units.adm1` for the model and its references.

Temperature and the biochemistry
--------------------------------
BSM2 (Rosen & Jeppsson 2006) corrects only the physico-chemical constants for
temperature; its biochemical parameters are those of a digester at 35 degC. Here every
first-order and maximum-uptake rate constant k of process group g is

.. math:: k(T) = k(T_{ref}) \\exp(\\theta_g (T - T_{ref}))

with :math:`T_{ref}` = ``T_bio_ref_K`` = 308.15 K, the form and the coefficients of
Siegrist et al. (2002, Environ. Sci. Technol. 36:1113-1123) as carried into ADM1da
(Schlattmann 2011; SIMBA# biogas 4.2, Table 6): :math:`\\theta` = 0.024 K-1 for
disintegration and hydrolysis, 0.069 K-1 for the sugar and amino-acid degraders and the
hydrogenotrophic methanogens, 0.055 K-1 for the LCFA, valerate/butyrate and propionate
degraders and the acetoclastic methanogens, each applied to uptake and decay alike (the
values were read in the public ADM1da implementation dgaida/PyADM1ODE; Siegrist et al.
2002 itself was not retrieved). At :math:`T = T_{ref}` the factor is exactly 1, so the
BSM2 results are unchanged to the last bit. Half-saturation and inhibition constants and
yields keep their 35 degC values. The correction is validated for 20-35 degC
(``tests/validation/test_adm1_temperature.py``); the public solvers refuse other
temperatures (``nexus.units.adm1.steady.T_C_MIN``, ``T_C_MAX``).
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from nexus.units.adm1.params import _X0, _X1, LIQUID_STATES, N_LIQ, N_STATES, ADM1Params, Ix

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

    from nexus._typing import FloatArray, Floats

# ---------------------------------------------------------------- stoichiometric data

#: Fixed product fractions of the ADM1 stoichiometry (Batstone et al. 2002, Table 3.1):
#: LCFA -> 0.7 acetate + 0.3 H2; valerate -> 0.54 propionate + 0.31 acetate + 0.15 H2;
#: butyrate -> 0.8 acetate + 0.2 H2; propionate -> 0.57 acetate + 0.43 H2.
_FA_AC, _FA_H2 = 0.7, 0.3
_VA_PRO, _VA_AC, _VA_H2 = 0.54, 0.31, 0.15
_BU_AC, _BU_H2 = 0.8, 0.2
_PRO_AC, _PRO_H2 = 0.57, 0.43

#: kg COD per kmol of each acid and gas (Batstone et al. 2002; the BSM2 code).
_COD_VA, _COD_BU, _COD_PRO, _COD_AC = 208.0, 160.0, 112.0, 64.0
_COD_H2, _COD_CH4 = 16.0, 64.0

#: Molar volume of an ideal gas at 0 degC and 101325 Pa [m3 kmol-1].
_NM3_PER_KMOL = 8.314462618 * 273.15 / 101.325

#: COD of one normal cubic metre of methane: 64 kg COD/kmol over the molar volume
#: [kg COD Nm-3] (2.855).
COD_kg_per_Nm3_CH4 = _COD_CH4 / _NM3_PER_KMOL


# ------------------------------------------------------------------ derived constants

#: The biochemical rate constants of each temperature group: ``theta_<group>`` of
#: :class:`ADM1Params` scales the rate constants listed (uptake and decay of one group of
#: organisms, or disintegration and hydrolysis).
RATE_GROUPS: dict[str, tuple[str, ...]] = {
    "hyd": ("k_dis", "k_hyd_ch", "k_hyd_pr", "k_hyd_li"),
    "su_aa": ("k_m_su", "k_m_aa", "k_dec_X_su", "k_dec_X_aa"),
    "fa_c4_pro": ("k_m_fa", "k_m_c4", "k_m_pro", "k_dec_X_fa", "k_dec_X_c4", "k_dec_X_pro"),
    "ac": ("k_m_ac", "k_dec_X_ac"),
    "h2": ("k_m_h2", "k_dec_X_h2"),
}


def rate_factors(T_K: ArrayLike, params: ADM1Params | None = None) -> dict[str, FloatArray]:
    """Temperature factor of the biochemical rate constants of each group.

    Parameters
    ----------
    T_K : float or array_like
        Digester temperature [K].
    params : ADM1Params, optional
        Parameters (``T_bio_ref_K`` and the ``theta_*``); default the BSM2 set.

    Returns
    -------
    dict of str to numpy.ndarray
        For each group of ``RATE_GROUPS``, :math:`\\exp(\\theta_g (T - T_{ref}))` [1],
        the shape of ``T_K``; exactly 1 at ``T_bio_ref_K``.

    Notes
    -----
    Exponential temperature dependence of Siegrist et al. (2002) with the ADM1da
    coefficients (see the module notes). Each rate constant k of group g is
    :math:`k(T) = k(T_{ref}) \\exp(\\theta_g (T - T_{ref}))`.

    Examples
    --------
    >>> f = rate_factors([298.15, 308.15])
    >>> [round(float(v), 4) for v in f["ac"]]
    [0.5769, 1.0]
    """
    p = ADM1Params() if params is None else params
    dT = np.asarray(T_K, dtype=float) - p.T_bio_ref_K
    return {g: np.exp(getattr(p, f"theta_{g}") * dT) for g in RATE_GROUPS}


def _constants(p: ADM1Params, T_K: Floats) -> SimpleNamespace:
    """Temperature-corrected constants and shorthands.

    Physico-chemical constants by BSM2's van 't Hoff relations; the biochemical rate
    constants of ``RATE_GROUPS`` (``c.k_m_ac``, ``c.k_dis``, ...) multiplied by
    :math:`\\exp(\\theta_g (T - T_{ref}))` (module notes). ``T_K`` may be a float (then
    every constant is a float) or an array (one temperature per batch row).
    """
    scalar = np.ndim(T_K) == 0
    T = float(T_K) if scalar else np.asarray(T_K, dtype=float)
    exp = math.exp if scalar else np.exp
    R100 = 100.0 * p.R  # J mol-1 K-1, as BSM2 writes it
    dT = 1.0 / p.T_base_K - 1.0 / T
    c = SimpleNamespace(p=p)
    # biochemical rate constants at T; the factor is exactly 1.0 at T_bio_ref_K
    dT_bio = T - p.T_bio_ref_K
    for g, names in RATE_GROUPS.items():
        f = exp(getattr(p, f"theta_{g}") * dT_bio)
        for name in names:
            setattr(c, name, getattr(p, name) * f)
    c.RT = p.R * T
    c.K_w = 10.0**-p.pK_w_base * exp(p.dH_w / R100 * dT)
    c.K_a_va = 10.0**-p.pK_a_va
    c.K_a_bu = 10.0**-p.pK_a_bu
    c.K_a_pro = 10.0**-p.pK_a_pro
    c.K_a_ac = 10.0**-p.pK_a_ac
    c.K_a_co2 = 10.0**-p.pK_a_co2_base * exp(p.dH_a_co2 / R100 * dT)
    c.K_a_IN = 10.0**-p.pK_a_IN_base * exp(p.dH_a_IN / R100 * dT)
    c.K_a_IP = 10.0**-p.pK_a_IP_base * exp(p.dH_a_IP / R100 * dT)
    c.K_H_h2 = p.K_H_h2_base * exp(p.dH_H_h2 / R100 * dT)
    c.K_H_ch4 = p.K_H_ch4_base * exp(p.dH_H_ch4 / R100 * dT)
    c.K_H_co2 = p.K_H_co2_base * exp(p.dH_H_co2 / R100 * dT)
    c.p_h2o = p.p_h2o_base_bar * exp(p.T_h2o_K * dT)
    # Hill-type pH inhibition of BSM2 (R&J 2006): n = 3 / (UL - LL),
    # K_pH = 10^-(UL + LL)/2, I = K_pH^n / (S_H^n + K_pH^n).
    for g in ("aa", "ac", "h2"):
        ul, ll = getattr(p, f"pH_UL_{g}"), getattr(p, f"pH_LL_{g}")
        n = 3.0 / (ul - ll)
        setattr(c, f"n_{g}", n)
        setattr(c, f"KpHn_{g}", (10.0 ** (-(ul + ll) / 2.0)) ** n)
    c.nu = _stoichiometry(p)
    c.scalar = scalar
    return c


# ------------------------------------------------------- forward derivatives (duals)


def _scaled(d, s):
    return {k: g * s for k, g in d.items()}


def _combined(d1, s1, d2, s2):
    """s1 d1 + s2 d2 of two sparse gradients (s None: 1)."""
    out = d1.copy() if s1 is None else {k: g * s1 for k, g in d1.items()}
    for k, g in d2.items():
        t = g if s2 is None else g * s2
        out[k] = out[k] + t if k in out else t
    return out


class _Dual:
    """A value with its exact first derivatives with respect to the state columns.

    ``v`` is the value (an array over the cases), ``d`` the non-zero derivatives as
    ``{state index: array or float}``. The arithmetic of :func:`_core` runs on these
    unchanged (forward-mode differentiation), so one pass gives dy/dt and its Jacobian
    with no perturbation: each quantity carries only the states it depends on (a rate
    a few, the carbon balance most), which is what makes it several times cheaper than
    the complex step over all 30 columns (:func:`_jac`, kept as the reference).
    """

    __slots__ = ("d", "v")
    __array_ufunc__ = None  # numpy defers to the reflected operators below

    def __init__(self, v, d):
        self.v = v
        self.d = d

    def __add__(self, o):
        if isinstance(o, _Dual):
            return _Dual(self.v + o.v, _combined(self.d, None, o.d, None))
        return _Dual(self.v + o, self.d)

    __radd__ = __add__

    def __sub__(self, o):
        if isinstance(o, _Dual):
            return _Dual(self.v - o.v, _combined(self.d, None, o.d, -1.0))
        return _Dual(self.v - o, self.d)

    def __rsub__(self, o):
        return _Dual(o - self.v, _scaled(self.d, -1.0))

    def __neg__(self):
        return _Dual(-self.v, _scaled(self.d, -1.0))

    def __mul__(self, o):
        if isinstance(o, _Dual):
            return _Dual(self.v * o.v, _combined(self.d, o.v, o.d, self.v))
        return _Dual(self.v * o, _scaled(self.d, o))

    __rmul__ = __mul__

    def __truediv__(self, o):
        if isinstance(o, _Dual):
            q = self.v / o.v
            return _Dual(q, _combined(self.d, 1.0 / o.v, o.d, -q / o.v))
        return _Dual(self.v / o, _scaled(self.d, 1.0 / o))

    def __rtruediv__(self, o):
        q = o / self.v
        return _Dual(q, _scaled(self.d, -q / self.v))

    def __pow__(self, e):  # a constant exponent
        return _Dual(self.v**e, _scaled(self.d, e * self.v ** (e - 1.0)))

    def positive_part(self):
        """max(x, 0), derivative 0 where x <= 0 (BSM2's closed gas outlet)."""
        on = self.v > 0.0
        return _Dual(
            np.where(on, self.v, 0.0), {k: np.where(on, g, 0.0) for k, g in self.d.items()}
        )


# -------------------------------------------------------------------- charge balance


class Speciation(NamedTuple):
    """Result of :func:`speciation` (BSM2 units)."""

    S_H_ion: FloatArray  #: hydrogen ion [kmol m-3]
    pH: FloatArray  #: -log10 S_H_ion [1]
    S_va_ion: FloatArray  #: valerate ion [kg COD m-3]
    S_bu_ion: FloatArray  #: butyrate ion [kg COD m-3]
    S_pro_ion: FloatArray  #: propionate ion [kg COD m-3]
    S_ac_ion: FloatArray  #: acetate ion [kg COD m-3]
    S_hco3_ion: FloatArray  #: bicarbonate [kmol C m-3]
    S_co2: FloatArray  #: dissolved CO2 [kmol C m-3]
    S_nh3: FloatArray  #: free ammonia [kmol N m-3]
    S_nh4_ion: FloatArray  #: ammonium [kmol N m-3]
    S_hpo4_ion: FloatArray  #: hydrogen phosphate HPO4-2 [kmol P m-3] (the rest of S_IP is H2PO4-)


def _charge(c, h, S_IC, S_IN, S_va, S_bu, S_pro, S_ac, S_cat, S_an, S_IP):
    """Charge balance g(S_H) [kmol m-3] and h dg/dh (g is increasing in S_H).

    Inorganic phosphorus counts as H2PO4- and HPO4-2 (one acid-base pair, pKa2; at
    pH 4-10 H3PO4 and PO4-3 are below 1 % of it), as in the ADM1 phosphorus extension.
    """
    return charge_balance(
        *(c.K_w, c.K_a_va, c.K_a_bu, c.K_a_pro, c.K_a_ac, c.K_a_co2, c.K_a_IN, c.K_a_IP),
        *(h, S_IC, S_IN, S_va, S_bu, S_pro, S_ac, S_cat, S_an, S_IP),
    )


def charge_balance(
    K_w, K_a_va, K_a_bu, K_a_pro, K_a_ac, K_a_co2, K_a_IN, K_a_IP,
    h, S_IC, S_IN, S_va, S_bu, S_pro, S_ac, S_cat, S_an, S_IP,
):  # fmt: skip
    """:func:`_charge` on the acid constants themselves, so that the numpy path and the
    compiled one (:mod:`nexus.units.adm1._compiled`, which compiles this very function)
    share one formula; arithmetic only, on floats, complex numbers or arrays."""
    a_va = K_a_va / (K_a_va + h)
    a_bu = K_a_bu / (K_a_bu + h)
    a_pro = K_a_pro / (K_a_pro + h)
    a_ac = K_a_ac / (K_a_ac + h)
    a_co2 = K_a_co2 / (K_a_co2 + h)
    a_IN = K_a_IN / (K_a_IN + h)
    a_IP = K_a_IP / (K_a_IP + h)
    kw_h = K_w / h
    g = (
        S_cat
        + S_IN * (1.0 - a_IN)
        + h
        - S_IC * a_co2
        - S_ac * a_ac / _COD_AC
        - S_pro * a_pro / _COD_PRO
        - S_bu * a_bu / _COD_BU
        - S_va * a_va / _COD_VA
        - kw_h
        - S_an
        - S_IP * (1.0 + a_IP)
    )
    # d/dln(h) of each term: d(K/(K+h))/dh * h = -a (1 - a)
    dg = (
        S_IN * a_IN * (1.0 - a_IN)
        + h
        + S_IC * a_co2 * (1.0 - a_co2)
        + S_ac * a_ac * (1.0 - a_ac) / _COD_AC
        + S_pro * a_pro * (1.0 - a_pro) / _COD_PRO
        + S_bu * a_bu * (1.0 - a_bu) / _COD_BU
        + S_va * a_va * (1.0 - a_va) / _COD_VA
        + kw_h
        + S_IP * a_IP * (1.0 - a_IP)
    )
    return g, dg


_LN_H_LO, _LN_H_HI = math.log(1e-16), math.log(10.0)  # pH 16 .. -1
#: Newton on ln S_H stops once its step is below this, then takes one more step in S_H:
#: convergence is quadratic, so that last step leaves an error of order _H_STEP^4 (rounding).
_H_STEP = 1e-7


def _solve_h_scalar(c, args, h0=1e-7):
    """Safeguarded Newton on ln S_H for one state of Python floats."""
    if math.isnan(sum(args)):
        return math.nan
    lo, hi = _LN_H_LO, _LN_H_HI
    u = math.log(h0) if 1e-16 < h0 < 10.0 else math.log(1e-7)
    for _ in range(100):
        h = math.exp(u)
        g, dg = _charge(c, h, *args)
        step = g / dg
        if abs(step) < _H_STEP:
            # quadratic convergence: one more step, taken in h (ln h has a coarser grid)
            h = h * (1.0 - step)
            g, dg = _charge(c, h, *args)
            return h * (1.0 - g / dg)
        if g > 0.0:
            hi = u
        else:
            lo = u
        un = u - step
        u = un if lo <= un <= hi else 0.5 * (lo + hi)
    return math.exp(u)


def _solve_h_array(c, args, h0=None):
    """Safeguarded Newton on ln S_H, vectorized over any array shape."""
    args = [np.asarray(a) for a in args]
    shape = np.broadcast_shapes(*(a.shape for a in args), np.shape(c.K_w))
    lo = np.full(shape, _LN_H_LO)
    hi = np.full(shape, _LN_H_HI)
    u = np.full(shape, math.log(1e-7)) if h0 is None else np.log(np.broadcast_to(h0, shape))
    u = np.clip(u, _LN_H_LO + 1.0, _LN_H_HI - 1.0)
    nan = np.isnan(sum(args))
    if nan.any():  # NaN in, NaN out (and no iterations spent on it)
        u = np.where(nan, np.nan, u)
    for _ in range(100):
        h = np.exp(u)
        g, dg = _charge(c, h, *args)
        step = g / dg
        done = (np.abs(step) < _H_STEP) | nan
        if done.all():
            # quadratic convergence: one more step, taken in h (ln h has a coarser grid)
            h = h * (1.0 - step)
            g, dg = _charge(c, h, *args)
            return h * (1.0 - g / dg)
        pos = g > 0.0
        hi = np.where(pos, u, hi)
        lo = np.where(pos, lo, u)
        un = u - step
        u = np.where(done | ((un >= lo) & (un <= hi)), un, 0.5 * (lo + hi))
    return np.exp(u)


def _solve_h(c, args, h0=None):
    """S_H+ from the charge balance; exact complex-step derivative for complex input."""
    if c.scalar and all(type(a) is float for a in args):
        return _solve_h_scalar(c, args, 1e-7 if h0 is None else h0)
    if type(args[0]) is _Dual:  # (_jac_dual: every state is one)
        # the root of the values, then one Newton step on the duals carries the exact
        # derivative dh/dx = -(dg/dx) / (dg/dh), as the complex step does below
        h = _solve_h_array(c, [a.v if isinstance(a, _Dual) else a for a in args], h0)
        g, dg = _charge(c, h, *args)
        return h - h * g / dg
    if any(np.iscomplexobj(a) for a in args):
        h = _solve_h_array(c, [np.real(a) for a in args], h0)
        with np.errstate(invalid="ignore"):  # complex NaN in, NaN out, silently
            g, dg = _charge(c, h + 0j, *args)  # one Newton step carries the complex part
            return h - h * g / dg
    return _solve_h_array(c, args, h0)


def _ion_args(x):
    ix = Ix
    return (
        x[ix.S_IC],
        x[ix.S_IN],
        x[ix.S_va],
        x[ix.S_bu],
        x[ix.S_pro],
        x[ix.S_ac],
        x[ix.S_cat],
        x[ix.S_an],
        x[ix.S_IP],
    )


def speciation(y: ArrayLike, *, T_K: ArrayLike, params: ADM1Params | None = None) -> Speciation:
    """Solve the charge balance of a liquid state for S_H+ and the ion states.

    Parameters
    ----------
    y : array_like, shape (..., 27) or (..., 30)
        State vector(s) in :data:`~nexus.units.adm1.params.STATES` order (gas states are
        ignored).
    T_K : float or array_like
        Temperature [K], broadcast against ``y[..., 0]``.
    params : ADM1Params, optional
        Parameters; default the BSM2 set.

    Returns
    -------
    Speciation
        S_H+, pH and the ions (BSM2 units).

    Notes
    -----
    Charge balance of ADM1 (Batstone et al. 2002) with the equilibria
    written algebraically, as R&J (2006) propose for BSM2:

    .. math:: S_{cat} + S_{NH_4^+} + S_{H^+} - S_{HCO_3^-} - \\frac{S_{ac^-}}{64}
              - \\frac{S_{pro^-}}{112} - \\frac{S_{bu^-}}{160} - \\frac{S_{va^-}}{208}
              - \\frac{K_w}{S_{H^+}} - S_{an} = 0

    with :math:`S_{ac^-} = K_{a,ac} S_{ac} / (K_{a,ac} + S_{H^+})` etc. The left
    side increases strictly with :math:`S_{H^+}`, so the root is unique; it is
    found by Newton on :math:`\\ln S_{H^+}` inside a bisection bracket
    (pH -1 .. 16) and polished by two Newton steps on :math:`S_{H^+}` itself,
    to rounding.

    Examples
    --------
    >>> y = np.zeros(27); y[Ix.S_IC] = 0.15; y[Ix.S_IN] = 0.13
    >>> y[Ix.S_cat], y[Ix.S_an] = 0.04, 0.02
    >>> print(round(float(speciation(y, T_K=308.15).pH), 2))
    7.66
    """
    p = ADM1Params() if params is None else params
    y = np.asarray(y, dtype=float)
    x = np.moveaxis(y, -1, 0)
    c = _constants(p, np.asarray(T_K, dtype=float))
    S_IC, S_IN, S_va, S_bu, S_pro, S_ac, _, _, S_IP = args = _ion_args(x)
    h = _solve_h_array(c, args)
    hco3 = c.K_a_co2 * S_IC / (c.K_a_co2 + h)
    nh3 = c.K_a_IN * S_IN / (c.K_a_IN + h)
    return Speciation(
        S_H_ion=h,
        pH=-np.log10(h),
        S_va_ion=c.K_a_va * S_va / (c.K_a_va + h),
        S_bu_ion=c.K_a_bu * S_bu / (c.K_a_bu + h),
        S_pro_ion=c.K_a_pro * S_pro / (c.K_a_pro + h),
        S_ac_ion=c.K_a_ac * S_ac / (c.K_a_ac + h),
        S_hco3_ion=hco3,
        S_co2=S_IC * h / (c.K_a_co2 + h),
        S_nh3=nh3,
        S_nh4_ion=S_IN * h / (c.K_a_IN + h),
        S_hpo4_ion=c.K_a_IP * S_IP / (c.K_a_IP + h),
    )


# ----------------------------------------------------------------------------- gas


def _gas(c, Sg_h2, Sg_ch4, Sg_co2):
    """Partial pressures [bar] and the outflow at headspace pressure [m3 d-1]."""
    p_h2 = Sg_h2 * c.RT / _COD_H2
    p_ch4 = Sg_ch4 * c.RT / _COD_CH4
    p_co2 = Sg_co2 * c.RT
    P = p_h2 + p_ch4 + p_co2 + c.p_h2o
    q = c.p.k_p * (P - c.p.P_atm_bar)
    # BSM2 closes the gas outlet when the headspace is below atmospheric pressure.
    if isinstance(q, _Dual):
        q = q.positive_part()
    elif c.scalar and not isinstance(q, np.ndarray):
        q = q if q.real > 0.0 else 0.0 * q
    else:
        q = np.where(np.real(q) > 0.0, q, 0.0 * q)
    return p_h2, p_ch4, p_co2, P, q


class GasPhase(NamedTuple):
    """Result of :func:`gas_phase`."""

    p_h2_bar: FloatArray  #: hydrogen partial pressure [bar]
    p_ch4_bar: FloatArray  #: methane partial pressure [bar]
    p_co2_bar: FloatArray  #: carbon dioxide partial pressure [bar]
    p_gas_bar: FloatArray  #: headspace pressure incl. water vapour [bar]
    q_head_m3_d: FloatArray  #: gas outflow at headspace pressure, k_p (P_gas - P_atm) [m3 d-1]
    q_gas_m3_d: FloatArray  #: gas flow, BSM2 convention [m3 d-1]
    q_ch4_Nm3_d: FloatArray  #: methane leaving the headspace at 0 degC, 101325 Pa [m3 d-1]


def methane_solubility_kgCOD_m3_bar(T_K: ArrayLike, params: ADM1Params | None = None) -> Floats:
    """Dissolved methane in equilibrium with 1 bar of methane [kg COD m-3 bar-1].

    Henry's law with ADM1's constant, K_H,ch4 = 0.0014 kmol m-3 bar-1 at 298.15 K
    and van 't Hoff enthalpy -14,240 J/mol (Batstone et al. 2002; Rosen &
    Jeppsson 2006), times 64 kg COD/kmol.

    Examples
    --------
    >>> round(float(methane_solubility_kgCOD_m3_bar(298.15)), 4)
    0.0896
    """
    return _COD_CH4 * _constants(params or ADM1Params(), np.asarray(T_K, dtype=float)).K_H_ch4


def gas_phase(y: ArrayLike, *, T_K: ArrayLike, params: ADM1Params | None = None) -> GasPhase:
    """Partial pressures and gas outflow of a state (BSM2 convention).

    Parameters
    ----------
    y : array_like, shape (..., 30)
        State vector(s).
    T_K : float or array_like
        Temperature [K].
    params : ADM1Params, optional
        Parameters; default the BSM2 set.

    Returns
    -------
    GasPhase
        Pressures [bar] and flows [m3 d-1].

    Notes
    -----
    R&J (2006): :math:`p_{h2} = S_{gas,h2} R T / 16`,
    :math:`p_{ch4} = S_{gas,ch4} R T / 64`, :math:`p_{co2} = S_{gas,co2} R T`,
    :math:`P_{gas} = p_{h2} + p_{ch4} + p_{co2} + p_{h2o}` with
    :math:`p_{h2o} = 0.0313 \\exp(5290 (1/298.15 - 1/T))` bar, and
    the outflow at headspace pressure :math:`q_{head} = k_p (P_{gas} - P_{atm})`
    (0 below atmospheric pressure), which takes :math:`q_{head} S_{gas,i}` out of
    the headspace, and the reported flow normalised to atmospheric pressure
    :math:`q_{gas} = q_{head} P_{gas} / P_{atm}` (R&J's 2955.7 m3/d for the BSM2
    case). The methane flow :math:`q_{head} S_{gas,ch4} / 64` kmol/d is reported
    at 0 degC and 101325 Pa.

    Examples
    --------
    >>> y = np.zeros(30); y[Ix.S_gas_ch4] = 1.6256; y[Ix.S_gas_co2] = 0.01415
    >>> print(round(float(gas_phase(y, T_K=308.15).q_gas_m3_d)))
    2954
    """
    p = ADM1Params() if params is None else params
    x = np.moveaxis(np.asarray(y, dtype=float), -1, 0)
    c = _constants(p, np.asarray(T_K, dtype=float))
    p_h2, p_ch4, p_co2, P, q = _gas(c, x[Ix.S_gas_h2], x[Ix.S_gas_ch4], x[Ix.S_gas_co2])
    q_ch4 = q * x[Ix.S_gas_ch4] / _COD_CH4 * _NM3_PER_KMOL
    return GasPhase(p_h2, p_ch4, p_co2, P, q, q * P / p.P_atm_bar, q_ch4)


# ------------------------------------------------------------------------ the kinetics


def _stoichiometry(p: ADM1Params) -> tuple[float, ...]:
    """Constant yield products of the ADM1 reaction terms, in the order :func:`_core` reads them.

    ``p`` is an :class:`ADM1Params`. Returns a tuple of 44 floats: 22 product yields
    [kg COD per kg COD of the process rate], the carbon coefficients s_1 .. s_13
    [kmol C per kg COD] and 9 nitrogen coefficients [kmol N per kg COD]
    (Batstone et al. 2002, Tables 3.1-3.2; carbon and nitrogen as in R&J 2006 and the
    BSM2 code). They depend on the parameters only, so they are formed once per call
    of :func:`_constants`, not at every right-hand side.
    """
    u = {k: 1.0 - getattr(p, f"Y_{k}") for k in ("su", "aa", "fa", "c4", "pro", "ac", "h2")}
    carbon = (
        (-p.C_xc + p.f_sI_xc * p.C_sI + p.f_ch_xc * p.C_ch + p.f_pr_xc * p.C_pr
         + p.f_li_xc * p.C_li + p.f_xI_xc * p.C_xI),
        -p.C_ch + p.C_su,
        -p.C_pr + p.C_aa,
        -p.C_li + (1.0 - p.f_fa_li) * p.C_su + p.f_fa_li * p.C_fa,
        (-p.C_su + u["su"] * (p.f_bu_su * p.C_bu + p.f_pro_su * p.C_pro + p.f_ac_su * p.C_ac)
         + p.Y_su * p.C_bac),
        (-p.C_aa + u["aa"] * (p.f_va_aa * p.C_va + p.f_bu_aa * p.C_bu + p.f_pro_aa * p.C_pro
                              + p.f_ac_aa * p.C_ac) + p.Y_aa * p.C_bac),
        -p.C_fa + u["fa"] * _FA_AC * p.C_ac + p.Y_fa * p.C_bac,
        (-p.C_va + u["c4"] * _VA_PRO * p.C_pro + u["c4"] * _VA_AC * p.C_ac
         + p.Y_c4 * p.C_bac),
        -p.C_bu + u["c4"] * _BU_AC * p.C_ac + p.Y_c4 * p.C_bac,
        -p.C_pro + u["pro"] * _PRO_AC * p.C_ac + p.Y_pro * p.C_bac,
        -p.C_ac + u["ac"] * p.C_ch4 + p.Y_ac * p.C_bac,
        u["h2"] * p.C_ch4 + p.Y_h2 * p.C_bac,
        -p.C_bac + p.C_xc,
    )  # fmt: skip
    return (
        1.0 - p.f_fa_li, p.f_fa_li,
        u["aa"] * p.f_va_aa,  # valerate from amino acids
        u["su"] * p.f_bu_su, u["aa"] * p.f_bu_aa,  # butyrate
        u["su"] * p.f_pro_su, u["aa"] * p.f_pro_aa, u["c4"] * _VA_PRO,  # propionate
        u["su"] * p.f_ac_su, u["aa"] * p.f_ac_aa, u["fa"] * _FA_AC, u["c4"] * _VA_AC,
        u["c4"] * _BU_AC, u["pro"] * _PRO_AC,  # acetate
        u["su"] * p.f_h2_su, u["aa"] * p.f_h2_aa, u["fa"] * _FA_H2, u["c4"] * _VA_H2,
        u["c4"] * _BU_H2, u["pro"] * _PRO_H2,  # hydrogen
        u["ac"], u["h2"],  # methane
        *carbon,
        -p.Y_su * p.N_bac, p.N_aa - p.Y_aa * p.N_bac, -p.Y_fa * p.N_bac, -p.Y_c4 * p.N_bac,
        -p.Y_pro * p.N_bac, -p.Y_ac * p.N_bac, -p.Y_h2 * p.N_bac, p.N_bac - p.N_xc,
        p.N_xc - p.f_xI_xc * p.N_I - p.f_sI_xc * p.N_I - p.f_pr_xc * p.N_aa,  # nitrogen
    )  # fmt: skip


def _core(c, x, xin, D, Vl_Vg, inv_Vg, h0=None):
    """dy/dt of ADM1 (BSM2) on columns ``x`` (30 scalars or arrays); returns (list, S_H).

    ``xin`` are the 27 influent columns, ``D = q / V_liq`` [d-1],
    ``Vl_Vg = V_liq / V_gas`` and ``inv_Vg = 1 / V_gas`` [m-3].
    """
    p = c.p
    (S_su, S_aa, S_fa, S_va, S_bu, S_pro, S_ac, S_h2, S_ch4, S_IC, S_IN, _S_I,
     X_c, X_ch, X_pr, X_li, X_su, X_aa, X_fa, X_c4, X_pro, X_ac, X_h2, _X_I,
     S_cat, S_an, S_IP, Sg_h2, Sg_ch4, Sg_co2) = x  # fmt: skip
    (su_li, fa_li, va_6, bu_5, bu_6, pro_5, pro_6, pro_8, ac_5, ac_6, ac_7, ac_8, ac_9, ac_10,
     h2_5, h2_6, h2_7, h2_8, h2_9, h2_10, ch4_11, ch4_12, s1, s2, s3, s4, s5, s6, s7, s8, s9,
     s10, s11, s12, s13, n5, n6, n7, n89, n10, n11, n12, n_dec, n1) = c.nu  # fmt: skip
    h = _solve_h(c, (S_IC, S_IN, S_va, S_bu, S_pro, S_ac, S_cat, S_an, S_IP), h0)
    S_nh3 = c.K_a_IN * S_IN / (c.K_a_IN + h)
    # S_co2 = S_IC - S_hco3, written without the cancellation (rounding x k_L_a V_liq/V_gas
    # would otherwise put 1e-13 d-1 of noise on dS_gas_co2/dt)
    S_co2 = S_IC * h / (c.K_a_co2 + h)

    # inhibition (R&J 2006; Batstone et al. 2002, Table 3.1)
    I_pH_aa = c.KpHn_aa / (h**c.n_aa + c.KpHn_aa)
    I_pH_ac = c.KpHn_ac / (h**c.n_ac + c.KpHn_ac)
    I_pH_h2 = c.KpHn_h2 / (h**c.n_h2 + c.KpHn_h2)
    I_IN = S_IN / (S_IN + p.K_S_IN)
    I_5 = I_pH_aa * I_IN
    I_7 = I_5 * p.K_I_h2_fa / (p.K_I_h2_fa + S_h2)
    I_8 = I_5 * p.K_I_h2_c4 / (p.K_I_h2_c4 + S_h2)
    I_10 = I_5 * p.K_I_h2_pro / (p.K_I_h2_pro + S_h2)
    I_11 = I_pH_ac * I_IN * p.K_I_nh3 / (p.K_I_nh3 + S_nh3)
    I_12 = I_pH_h2 * I_IN

    # process rates rho_1 .. rho_19 [kg COD m-3 d-1], rate constants at T (c.k_*)
    r1 = c.k_dis * X_c
    r2 = c.k_hyd_ch * X_ch
    r3 = c.k_hyd_pr * X_pr
    r4 = c.k_hyd_li * X_li
    r5 = c.k_m_su * S_su / (p.K_S_su + S_su) * X_su * I_5
    r6 = c.k_m_aa * S_aa / (p.K_S_aa + S_aa) * X_aa * I_5
    r7 = c.k_m_fa * S_fa / (p.K_S_fa + S_fa) * X_fa * I_7
    c4 = c.k_m_c4 * X_c4 * I_8 / (S_va + S_bu + p.eps_c4)
    r8 = c4 * S_va / (p.K_S_c4 + S_va) * S_va
    r9 = c4 * S_bu / (p.K_S_c4 + S_bu) * S_bu
    r10 = c.k_m_pro * S_pro / (p.K_S_pro + S_pro) * X_pro * I_10
    r11 = c.k_m_ac * S_ac / (p.K_S_ac + S_ac) * X_ac * I_11
    r12 = c.k_m_h2 * S_h2 / (p.K_S_h2 + S_h2) * X_h2 * I_12
    r13 = c.k_dec_X_su * X_su
    r14 = c.k_dec_X_aa * X_aa
    r15 = c.k_dec_X_fa * X_fa
    r16 = c.k_dec_X_c4 * X_c4
    r17 = c.k_dec_X_pro * X_pro
    r18 = c.k_dec_X_ac * X_ac
    r19 = c.k_dec_X_h2 * X_h2
    r_dec = r13 + r14 + r15 + r16 + r17 + r18 + r19

    # gas-liquid transfer [per m3 liquid]
    p_h2, p_ch4, p_co2, _, q_head = _gas(c, Sg_h2, Sg_ch4, Sg_co2)
    rT8 = p.k_L_a * (S_h2 - _COD_H2 * c.K_H_h2 * p_h2)
    rT9 = p.k_L_a * (S_ch4 - _COD_CH4 * c.K_H_ch4 * p_ch4)
    rT10 = p.k_L_a * (S_co2 - c.K_H_co2 * p_co2)

    # reaction terms: the stoichiometry of c.nu times the rates
    reac = (
        r2 + su_li * r4 - r5,  # S_su
        r3 - r6,  # S_aa
        fa_li * r4 - r7,  # S_fa
        va_6 * r6 - r8,  # S_va
        bu_5 * r5 + bu_6 * r6 - r9,  # S_bu
        pro_5 * r5 + pro_6 * r6 + pro_8 * r8 - r10,  # S_pro
        ac_5 * r5 + ac_6 * r6 + ac_7 * r7 + ac_8 * r8 + ac_9 * r9 + ac_10 * r10 - r11,  # S_ac
        h2_5 * r5 + h2_6 * r6 + h2_7 * r7 + h2_8 * r8 + h2_9 * r9 + h2_10 * r10 - r12 - rT8,
        ch4_11 * r11 + ch4_12 * r12 - rT9,  # S_ch4
        -(s1 * r1 + s2 * r2 + s3 * r3 + s4 * r4 + s5 * r5 + s6 * r6 + s7 * r7 + s8 * r8
          + s9 * r9 + s10 * r10 + s11 * r11 + s12 * r12 + s13 * r_dec) - rT10,  # S_IC
        (n5 * r5 + n6 * r6 + n7 * r7 + n89 * (r8 + r9) + n10 * r10 + n11 * r11 + n12 * r12
         + n_dec * r_dec + n1 * r1),  # S_IN
        p.f_sI_xc * r1,  # S_I
        -r1 + r_dec,  # X_c
        p.f_ch_xc * r1 - r2,  # X_ch
        p.f_pr_xc * r1 - r3,  # X_pr
        p.f_li_xc * r1 - r4,  # X_li
        p.Y_su * r5 - r13,  # X_su
        p.Y_aa * r6 - r14,  # X_aa
        p.Y_fa * r7 - r15,  # X_fa
        p.Y_c4 * (r8 + r9) - r16,  # X_c4
        p.Y_pro * r10 - r17,  # X_pro
        p.Y_ac * r11 - r18,  # X_ac
        p.Y_h2 * r12 - r19,  # X_h2
        p.f_xI_xc * r1,  # X_I
    )  # fmt: skip
    # Particulates (X_c .. X_I) leave at D_X = 1 / (V/q + t_res,X): ADM1's extra solids
    # residence time (Batstone et al. 2002, section 7.2), 0 for a CSTR.
    # Written as D (x_in - x) + (D - D_X) x: the difference of in and out is formed
    # first, which keeps the rounding noise of a steady state small for the stiff
    # solvers (D x_in - D_X x loses digits and slows BDF several-fold).
    held = D - _particulate_dilution(c, D)
    out = [D * (xin[i] - x[i]) + reac[i] for i in range(_X0)]
    out += [D * (xin[i] - x[i]) + held * x[i] + reac[i] for i in range(_X0, _X1)]
    out += [D * (xin[i] - x[i]) for i in range(_X1, N_LIQ)]  # S_cat, S_an, S_IP: none
    qg = q_head * inv_Vg
    out.append(-Sg_h2 * qg + rT8 * Vl_Vg)
    out.append(-Sg_ch4 * qg + rT9 * Vl_Vg)
    out.append(-Sg_co2 * qg + rT10 * Vl_Vg)
    return out, h


# ------------------------------------------------------------ right-hand side, Jacobian


def _particulate_dilution(c, D):
    """Dilution rate of particulates [d-1]: D / (1 + D t_res,X) (D for a CSTR)."""
    t_res = getattr(c, "t_res_X", 0.0)
    return D / (1.0 + D * t_res)


def _operating(
    flow_m3_d: ArrayLike, V_liq_m3: ArrayLike, V_gas_m3: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    D = np.asarray(flow_m3_d, dtype=float) / np.asarray(V_liq_m3, dtype=float)
    Vl_Vg = np.asarray(V_liq_m3, dtype=float) / np.asarray(V_gas_m3, dtype=float)
    inv_Vg = 1.0 / np.asarray(V_gas_m3, dtype=float)
    return D, Vl_Vg, inv_Vg


def rhs(
    y: ArrayLike,
    influent: ArrayLike,
    *,
    flow_m3_d: ArrayLike,
    V_liq_m3: ArrayLike,
    V_gas_m3: ArrayLike,
    T_K: ArrayLike,
    params: ADM1Params | None = None,
) -> NDArray[np.inexact[Any]]:
    """Right-hand side dy/dt of ADM1 (BSM2) on one state or a batch of states.

    Parameters
    ----------
    y : array_like, shape (..., 30)
        State vector(s) in :data:`~nexus.units.adm1.params.STATES` order (BSM2 units); may
        be complex (complex-step derivatives go through exactly).
    influent : array_like, shape (..., 27)
        Influent concentrations in :data:`~nexus.units.adm1.params.LIQUID_STATES` order.
    flow_m3_d : float or array_like
        Influent (= effluent) flow [m3 d-1], broadcast against ``y[..., 0]``.
    V_liq_m3, V_gas_m3 : float or array_like
        Liquid and headspace volumes [m3].
    T_K : float or array_like
        Temperature [K].
    params : ADM1Params, optional
        Parameters; default the BSM2 set.

    Returns
    -------
    numpy.ndarray, shape of ``y``
        dy/dt [unit of the state per day].

    Notes
    -----
    Liquid: :math:`dS_i/dt = q/V_{liq} (S_{i,in} - S_i) + \\sum_j \\nu_{ij}\\rho_j`
    (R&J 2006; Batstone et al. 2002, Tables 3.1-3.2);
    gas: :math:`dS_{gas,i}/dt = -S_{gas,i} q_{head}/V_{gas} + \\rho_{T,i} V_{liq}/V_{gas}`
    with :math:`q_{head} = k_p (P_{gas} - P_{atm})` (:func:`gas_phase`).
    S_H+ comes from the charge balance (:func:`speciation`) at every call. No
    argument is checked here (this is the inner loop); the public solvers check.

    Examples
    --------
    >>> y = np.full(30, 0.1); x_in = np.full(27, 0.1)
    >>> f = rhs(y, x_in, flow_m3_d=170.0, V_liq_m3=3400.0, V_gas_m3=300.0, T_K=308.15)
    >>> f.shape
    (30,)
    """
    p = ADM1Params() if params is None else params
    y = np.asarray(y)
    xin = np.moveaxis(np.asarray(influent, dtype=float), -1, 0)
    D, Vl_Vg, inv_Vg = _operating(flow_m3_d, V_liq_m3, V_gas_m3)
    c = _constants(p, np.asarray(T_K, dtype=float))
    c.scalar = False
    out, _ = _core(c, np.moveaxis(y, -1, 0), xin, D, Vl_Vg, inv_Vg)
    shape = np.broadcast_shapes(*(np.shape(o) for o in out), y.shape[:-1])
    return np.stack([np.broadcast_to(o, shape) for o in out], axis=-1)


_CSTEP = 1e-20


def _jac(c, y, xin, D, Vl_Vg, inv_Vg, h0=None):
    """Exact Jacobian by complex step, y (n, 30) -> (n, 30, 30); also f and S_H."""
    n = y.shape[0]
    yc = np.repeat(y[:, None, :].astype(complex), N_STATES + 1, axis=1)
    idx = np.arange(N_STATES)
    yc[:, idx, idx] += 1j * _CSTEP
    x = np.moveaxis(yc, -1, 0)  # (30, n, 31)
    xin_b = [a[..., None] for a in xin]
    ex = lambda a: np.asarray(a)[..., None] if np.ndim(a) else a  # noqa: E731
    cc = SimpleNamespace(**{k: ex(v) for k, v in vars(c).items() if k not in ("p", "nu", "scalar")})
    cc.p, cc.nu, cc.scalar = c.p, c.nu, False
    h0b = None if h0 is None else np.asarray(h0)[:, None]
    with np.errstate(invalid="ignore"):  # complex arithmetic on NaN input warns; NaN stays
        out, h = _core(cc, x, xin_b, ex(D), ex(Vl_Vg), ex(inv_Vg), h0b)
    F = np.stack([np.broadcast_to(o, (n, N_STATES + 1)) for o in out], axis=-1)
    J = np.swapaxes(F[:, :N_STATES, :].imag, 1, 2) / _CSTEP
    return F[:, N_STATES, :].real, J, np.real(h[:, N_STATES])


def _jac_dual(c, y, xin, D, Vl_Vg, inv_Vg, h0=None):
    """Exact Jacobian by forward differentiation (:class:`_Dual`), as :func:`_jac` returns it.

    y (n, 30) -> f (n, 30), J (n, 30, 30), S_H (n,). The same arithmetic as the complex
    step of :func:`_jac` (the reference, which tests hold this to 1e-12), in one real pass.
    """
    n = y.shape[0]
    x = [_Dual(y[:, j], {j: 1.0}) for j in range(N_STATES)]
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN in, NaN out (as _jac)
        out, h = _core(c, x, xin, D, Vl_Vg, inv_Vg, h0)
    f = np.empty((n, N_STATES))
    J = np.zeros((n, N_STATES, N_STATES))
    for i, o in enumerate(out):
        f[:, i] = o.v
        for j, g in o.d.items():
            J[:, i, j] = g
    return f, J, np.broadcast_to(h.v, (n,))


#: From this many states on, :func:`_jac_dual` is the cheaper (its Python overhead is per
#: operation, the complex step's cost per state times 31 columns): measured 2.5 against
#: 1.6 ms for one state, 2.6 against 7.0 ms for 64 (2 cores, numpy 2.4).
_DUAL_FROM = 24


def _jac_any(c, y, xin, D, Vl_Vg, inv_Vg, h0=None):
    """:func:`_jac` or :func:`_jac_dual`, whichever is the cheaper for ``len(y)`` states."""
    jac = _jac_dual if y.shape[0] >= _DUAL_FROM else _jac
    return jac(c, y, xin, D, Vl_Vg, inv_Vg, h0)


def jacobian(
    y: ArrayLike,
    influent: ArrayLike,
    *,
    flow_m3_d: ArrayLike,
    V_liq_m3: ArrayLike,
    V_gas_m3: ArrayLike,
    T_K: ArrayLike,
    params: ADM1Params | None = None,
) -> FloatArray:
    """Exact Jacobian d(dy/dt)/dy of :func:`rhs` by the complex step.

    Parameters
    ----------
    y : array_like, shape (n, 30) or (30,)
        State vector(s).
    influent, flow_m3_d, V_liq_m3, V_gas_m3, T_K, params
        As in :func:`rhs`; the operating values broadcast over ``n``.

    Returns
    -------
    numpy.ndarray, shape (n, 30, 30) or (30, 30)
        ``J[k, i, j] = d f_i / d y_j`` [d-1 in state units].

    Notes
    -----
    Complex-step differentiation (Squire & Trapp 1998, SIAM Rev. 40:110,
    doi:10.1137/S003614459631241X): :math:`f'(y) e_j = \\mathrm{Im} f(y + i h e_j)/h`
    with :math:`h = 10^{-20}`, exact to rounding because no difference is taken.
    The implicit S_H+ is differentiated by one complex Newton step on the charge
    balance at its real root. All 30 columns of all n cases are one vectorized
    evaluation of the right-hand side.

    Examples
    --------
    >>> y = np.full(30, 0.1); x_in = np.full(27, 0.1)
    >>> J = jacobian(y, x_in, flow_m3_d=170.0, V_liq_m3=3400.0, V_gas_m3=300.0, T_K=308.15)
    >>> J.shape, float(J[Ix.S_cat, Ix.S_cat])
    ((30, 30), -0.05)
    """
    p = ADM1Params() if params is None else params
    y = np.asarray(y, dtype=float)
    one = y.ndim == 1
    y2 = np.atleast_2d(y)
    n = y2.shape[0]
    xin = np.broadcast_to(np.asarray(influent, dtype=float), (n, N_LIQ))
    D, Vl_Vg, inv_Vg = (np.broadcast_to(a, (n,)) for a in _operating(flow_m3_d, V_liq_m3, V_gas_m3))
    c = _constants(p, np.broadcast_to(np.asarray(T_K, dtype=float), (n,)))
    _, J, _ = _jac(c, y2, list(xin.T), D, Vl_Vg, inv_Vg)
    return J[0] if one else J


# ------------------------------------------------------------------------- totals


def conserved_totals(y: ArrayLike, *, params: ADM1Params | None = None) -> dict[str, FloatArray]:
    """COD, nitrogen, carbon and strong-ion charge of liquid and gas states.

    Parameters
    ----------
    y : array_like, shape (..., 27) or (..., 30)
        Liquid state(s) (an influent, a digester content, dy/dt) or full states.
    params : ADM1Params, optional
        Parameters (contents N_*, C_*); default the BSM2 set.

    Returns
    -------
    dict of numpy.ndarray
        ``COD_kg_m3``, ``N_kmol_m3``, ``C_kmol_m3``, ``P_kmol_m3`` (inorganic P,
        the only P ADM1 carries), ``charge_kmol_m3`` of the liquid part, and for
        full states (30 columns) also ``gas_COD_kg_m3`` and ``gas_C_kmol_m3`` of the
        headspace (per m3 of headspace).

    Notes
    -----
    The contents are those of the stoichiometry (R&J 2006), so the
    ADM1 reactions conserve COD, N and C exactly with these weights: methane
    carries C_ch4 kmol C per kg COD in liquid and gas alike. ADM1 does not
    track protons, so the only conserved charge is that of the strong ions,
    S_cat - S_an; electroneutrality of the weak acids holds at every
    evaluation because S_H+ solves the charge balance.

    Examples
    --------
    >>> x = np.zeros(27); x[Ix.X_pr] = 1.0
    >>> round(float(conserved_totals(x)["N_kmol_m3"]), 4)
    0.007
    """
    p = ADM1Params() if params is None else params
    x = np.moveaxis(np.asarray(y, dtype=float), -1, 0)
    cod, N, C, charge = _totals(p, x)
    out = {"COD_kg_m3": cod, "N_kmol_m3": N, "C_kmol_m3": C, "P_kmol_m3": x[Ix.S_IP]}
    out["charge_kmol_m3"] = charge
    if x.shape[0] == N_STATES:
        out["gas_COD_kg_m3"], out["gas_C_kmol_m3"] = _gas_totals(p, x)
    return out


_BIO = ("X_su", "X_aa", "X_fa", "X_c4", "X_pro", "X_ac", "X_h2")
_COD_STATES = tuple(n for n in LIQUID_STATES if n not in ("S_IC", "S_IN", "S_IP", "S_cat", "S_an"))


def _totals(p, x):
    """COD, N, C and strong-ion charge of liquid columns ``x`` (floats, arrays, complex)."""
    ix = Ix
    cod = sum(x[ix[n]] for n in _COD_STATES)
    bio = sum(x[ix[b]] for b in _BIO)
    N = (
        x[ix.S_IN]
        + p.N_aa * (x[ix.S_aa] + x[ix.X_pr])
        + p.N_I * (x[ix.S_I] + x[ix.X_I])
        + p.N_xc * x[ix.X_c]
        + p.N_bac * bio
    )
    C = (
        x[ix.S_IC]
        + p.C_su * x[ix.S_su]
        + p.C_aa * x[ix.S_aa]
        + p.C_fa * x[ix.S_fa]
        + p.C_va * x[ix.S_va]
        + p.C_bu * x[ix.S_bu]
        + p.C_pro * x[ix.S_pro]
        + p.C_ac * x[ix.S_ac]
        + p.C_ch4 * x[ix.S_ch4]
        + p.C_sI * x[ix.S_I]
        + p.C_xc * x[ix.X_c]
        + p.C_ch * x[ix.X_ch]
        + p.C_pr * x[ix.X_pr]
        + p.C_li * x[ix.X_li]
        + p.C_bac * bio
        + p.C_xI * x[ix.X_I]
    )
    return cod, N, C, x[ix.S_cat] - x[ix.S_an]


def _gas_totals(p, x):
    """COD and C of the gas columns of ``x`` (per m3 of headspace)."""
    return x[Ix.S_gas_h2] + x[Ix.S_gas_ch4], p.C_ch4 * x[Ix.S_gas_ch4] + x[Ix.S_gas_co2]
