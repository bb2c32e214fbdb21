"""Speciation of the struvite model: activity coefficients, species, balances, Jacobian.

The ion-association model of PHREEQC with phreeqc.dat
(:mod:`nexus.units.struvite.database`), evaluated for a batch of waters at
once (the waters last in every array):

- activity coefficients (WATEQ Debye-Hückel, Davies, uncharged) by classes of
  species that share a law (``_gammas``);
- species molalities at a point of the Newton unknowns, with Na, K, Ca, Mg and
  NH4 eliminated in closed form from their mass balances (``_evaluate``);
- the residuals of the charge, mass, ionic-strength, water-activity, oxygen and
  struvite-saturation equations (``_residuals``) and their exact Jacobian
  (``_jacobian``).

The Newton iteration that uses them is in :mod:`nexus.units.struvite.equilibrium`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nexus.units.struvite.database import (
    _AH2O_FACTOR,
    _ALK,
    _CA,
    _CO3,
    _H,
    _K,
    _LN10,
    _LOG_K_COEF,
    _MASTER_ROW,
    _MG,
    _NA,
    _NH4,
    _NS,
    _NU,
    _NW,
    _PO4,
    _SPECIES_TABLE,
    _Z,
    _M_H2O_kg,
)

if TYPE_CHECKING:
    from nexus._typing import BoolArray, FloatArray, IntArray
    from nexus.units.struvite.database import Species


def _gamma_law(row: Species) -> tuple[str, float, float, float]:
    """(law, z^2, a0, b0) of a species: WATEQ Debye-Hückel, Davies or uncharged."""
    z2, g = float(row[1]) ** 2, row[5]
    if isinstance(g, tuple):
        return ("dh", z2, *g)
    if g == "davies":
        return ("davies", z2, 0.0, 0.0)
    return ("neutral", 0.0, 0.0, 0.1)


# Classes of activity coefficients: the species of a class share (law, z^2, a0, b0);
# the WATEQ Debye-Hückel classes first, then Davies, then uncharged. Cl- (-gamma 3.63
# 0.017) enters no mass action law here: its activity coefficient is not needed; it
# counts in the charge balance, I and a_H2O by its molality.
_LAWS = sorted(
    {_gamma_law(row) for row in _SPECIES_TABLE},
    key=lambda law: (("dh", "davies", "neutral").index(law[0]), law[1:]),
)
_CLASS = np.array([_LAWS.index(_gamma_law(row)) for row in _SPECIES_TABLE])
_N_DH = sum(law[0] == "dh" for law in _LAWS)
_DAVIES = [k for k, law in enumerate(_LAWS) if law[0] == "davies"]
_NEUTRAL = _LAWS.index(("neutral", 0.0, 0.0, 0.1))
_DH_Z2, _DH_A0, _DH_B0 = (np.array([law[k] for law in _LAWS[:_N_DH]])[:, None] for k in (1, 2, 3))
_DAVIES_Z2 = np.array([_LAWS[k][1] for k in _DAVIES])[:, None]
#: Class of the activity coefficient of each component's master species.
_MASTER_CLASS = _CLASS[_MASTER_ROW]
#: Oxygen atoms of each species (3 per carbonate, 4 per phosphate, plus the H2O of
#: its formation reaction): the oxygen balance gives the mass of water.
_OXY = 3.0 * _NU[:, _CO3] + 4.0 * _NU[:, _PO4] + _NW


# --------------------------------------------------------------------- the speciation
#
# Na, K, Ca, Mg and NH4 (_ELIM) are eliminated from the Newton iteration: each species
# holds at most one of them, once, so that for given activities of the other components
# the mass balance of each gives its free molality in closed form, m_c = T_c / (W S_c)
# with S_c = sum_j nu_jc m_j / m_c. The unknowns left (rows of x) are ln a(H+),
# ln m(PO4-3) and ln m(CO3-2) (free), ln a(H2O), ln I, ln W (mass of water [kg]), where
# struvite forms ln(s_max - s) (s struvite precipitated [mol], s_max the smallest total
# of Mg, NH4 and PO4: what remains of the limiting one, free of cancellation), and q (Cl
# [mol] in the influent; NaOH (> 0) or HCl (< 0) [mol] added where the pH is held). The
# equations (rows of F): charge, P balance, C balance (alkalinity in the influent),
# ionic strength, activity of water, oxygen balance (which sets W), SI(struvite) = 0.
#
# Arrays put the batch of waters last (species x waters): every operation on a species,
# an unknown or an equation then runs over contiguous memory.
_XH, _XP, _XC, _XAW, _XI, _XW, _XS, _XQ = range(8)
_FZ, _FP, _FC, _FI, _FAW, _FO, _FSI = range(7)
_ELIM = (_NA, _K, _CA, _MG, _NH4)
_NU_E = _NU[:, _ELIM]
#: The species that hold each eliminated component (contiguous in _SPECIES_TABLE).
_GROUP_SPECIES = [slice(int(j[0]), int(j[-1]) + 1) for j in map(np.flatnonzero, _NU_E.T)]
_E_NA, _E_MG, _E_NH4 = _ELIM.index(_NA), _ELIM.index(_MG), _ELIM.index(_NH4)
_STRUVITE_COMPONENTS = [_MG, _NH4, _PO4]
#: ln m_j - ln K_j of the species at unit free molality of the eliminated components is
#: linear in ln a(H+), ln m(PO4-3), ln m(CO3-2), ln a(H2O) (_D_CONST, also the derivatives
#: of ln m_j that are constant) and the ln gamma of the classes (_GAMMA_TO_LNM: + nu_jc for
#: the master species c of the class but H+, whose activity is the unknown, - 1 for the
#: class of species j itself).
_D_CONST = np.stack([_NU[:, _H], _NU[:, _PO4], _NU[:, _CO3], _NW])
_IN_CLASS = (_CLASS[:, None] == np.arange(len(_LAWS))).astype(float)  # (NS, classes)
_GAMMA_TO_LNM = (_NU[:, 1:] @ _IN_CLASS[_MASTER_ROW[1:]] - _IN_CLASS).T
#: ln m_j - ln K_j as a product: (NS, 6 + 4 + classes) on the temperature terms (ln K),
#: ln a(H+), ln m(PO4-3), ln m(CO3-2), ln a(H2O) and ln gamma of the classes.
_LNM_MATRIX = np.hstack([_LOG_K_COEF * _LN10, _D_CONST.T, _GAMMA_TO_LNM.T])
#: Linear forms in the species molalities: charge, P, C, alkalinity, ionic strength,
#: sum (for a_H2O) and oxygen atoms.
_FORMS = np.vstack([_Z, _NU[:, _PO4], _NU[:, _CO3], _ALK, 0.5 * _Z**2, np.ones(_NS), _OXY])
_LZ, _LP, _LC, _LALK, _LI, _LSUM, _LO = range(7)
#: Forms summed for the residuals: these, |z| and |alk| (for the scales).
_SUMS = np.vstack([_FORMS, np.abs(_Z), np.abs(_ALK)])
_LZABS, _LALKABS = 7, 8
#: The forms that equilibrium._revise updates (charge, alkalinity, ionic strength, sum, oxygen)
#: over the species of PO4-3, then over those of CO3-2 (none holds both).
_REVISED = [_LZ, _LALK, _LI, _LSUM, _LO]
_SUMS_PC = np.vstack([_FORMS[_REVISED] * (_NU[:, c] > 0) for c in (_PO4, _CO3)])


#: The two solves: the influent (pH and alkalinity given, Cl from the charge balance)
#: and the reaction after dosing (closed system, struvite may form).
_INFLUENT, _REACTION = 0, 1


def _jacobian_forms(mode: int) -> tuple[FloatArray, FloatArray, list[FloatArray]]:
    """The forms of the equations of ``mode`` and the matrices of the Jacobian's products.

    The forms: charge, P, C (alkalinity in the influent), I, a_H2O and oxygen (not
    in the influent). The product of the second with m gives sum_j L_rj m_j D_jk
    (form r, constant derivative k); that of the third's matrix c with the species
    of eliminated component c gives sum_j m_j D_jk, then sum_j L_rj m_j (over the
    species of c): each product only over the species where it is not 0.
    """
    eq = [_LZ, _LP, _LALK if mode == _INFLUENT else _LC, _LI, _LSUM]
    forms = _FORMS[eq if mode == _INFLUENT else [*eq, _LO]]
    product = (forms[:, None, :] * _D_CONST[None]).reshape(-1, _NS)
    groups = [np.vstack([_D_CONST[:, sp], forms[:, sp]]) for sp in _GROUP_SPECIES]
    return forms, product, groups


_JACOBIAN_FORMS = {mode: _jacobian_forms(mode) for mode in (_INFLUENT, _REACTION)}

_O_STRUVITE = 10.0  # O per MgNH4PO4.6H2O: 4 of the phosphate, 6 of the water


class _Batch(NamedTuple):
    """Constants of a batch of waters for the Newton iteration (the batch last, ``n``)."""

    tterms: FloatArray  # (6, n) the temperature terms of log K (_t_terms)
    A: FloatArray  # (n,) Debye-Hückel A
    B: FloatArray  # (n,) Debye-Hückel B
    tot: FloatArray  # (8, n) totals of the components [mol]; H+ unused, 0: absent
    cl: FloatArray  # (n,) Cl [mol]: given (influent, a first guess), or before any HCl
    alk: FloatArray  # (n,) total alkalinity [eq/kgw] (influent)
    ph_fixed: BoolArray  # (n,) bool: ln a(H+) is given and q is solved for
    has_pc: BoolArray  # (2, n) bool: PO4-3, CO3-2 present (else pinned, equation void)
    lnksp: FloatArray  # (n,) ln Ksp of struvite
    o_tot: FloatArray  # (n,) mol O of water and solutes, before NaOH and struvite
    precip: BoolArray  # (n,) bool: struvite forms, its amount solved for with SI = 0

    def take(self, rows: IntArray | BoolArray) -> _Batch:
        """The waters ``rows`` (an index or a mask)."""
        return _Batch._make(a[..., rows] for a in self)


class _Eval(NamedTuple):
    """The species at ``x`` and what the residuals and the Jacobian reuse (batch last)."""

    m: FloatArray  # (NS, n) molalities [mol/kgw]
    lgc: FloatArray  # (classes, n) ln gamma of each class
    sums: FloatArray  # (9, n) the forms _SUMS of m
    tot_e: FloatArray  # (5, n) totals of the eliminated components [mol]
    s: FloatArray  # (n,) struvite precipitated [mol]
    rem_p: FloatArray  # (n,) PO4 left in solution [mol]
    W: FloatArray  # (n,) mass of water [kg]
    cz: FloatArray  # (n,) Cl molality
    dcl: FloatArray  # (n,) d Cl [mol] / d q
    dna: FloatArray  # (n,) d Na [mol] / d q
    om: FloatArray  # (n,) a_H2O = 1 - 0.017 sum m (at least 1e-3)

    def take(self, rows: IntArray | BoolArray) -> _Eval:
        """The waters ``rows`` (an index or a mask)."""
        return _Eval(*(a[..., rows] for a in self))


#: OpenBLAS runs a product of m x n x k <= 4 x 65536 on one thread (interface/gemm.c,
#: GEMM_MULTITHREAD_THRESHOLD x SMP_THRESHOLD_MIN) and a matrix-vector product of
#: m x n < 4 x 2304 (interface/gemv.c); beyond, it starts threads, which only contend
#: on products this thin (on a loaded 2-core machine, 20x slower). _mm keeps every
#: product below.
_BLAS_SERIAL_GEMM = 4 * 65536
_BLAS_SERIAL_GEMV = 4 * 2304


def _mm(P: FloatArray, X: FloatArray) -> FloatArray:
    """P @ X for a constant ``P`` (M, K) or (K,) and a wide ``X`` (K, n), in column blocks.

    Blocks of at most _BLAS_SERIAL_GEMM (matrix) or _BLAS_SERIAL_GEMV (vector)
    multiply-adds, which OpenBLAS runs on the calling thread. This is how this
    call multiplies, not a setting: nothing in BLAS or in the process changes
    (BLAS's thread count stays as it is for all other code), and with another
    BLAS (MKL, Accelerate) the blocks are just smaller products.
    """
    K, n = X.shape
    M = P.shape[0] if P.ndim == 2 else 1
    block = max(16, _BLAS_SERIAL_GEMM // (M * K) if M > 1 else (_BLAS_SERIAL_GEMV - 1) // K)
    if n <= block:
        return P @ X
    out = np.empty((*P.shape[:-1], n))
    for i in range(0, n, block):
        np.matmul(P, X[:, i : i + block], out=out[..., i : i + block])
    return out


def _gammas(lnI: FloatArray, A: FloatArray, B: FloatArray, derivative: bool = False) -> FloatArray:
    """ln gamma of each class (classes, n), or its derivative d ln gamma / d ln I.

    WATEQ Debye-Hückel -ln10 A z^2 sqrt(I) / (1 + a0 B sqrt(I)) + ln10 b0 I, Davies
    -ln10 A z^2 (sqrt(I) / (1 + sqrt(I)) - 0.3 I), uncharged 0.1 ln10 I; d/d ln I
    = I d/dI.
    """
    mu = np.exp(lnI)
    sI = np.sqrt(mu)
    lg = np.empty((len(_LAWS), mu.size))
    den = _DH_A0 * (B * sI)
    den += 1.0
    dh = np.multiply(-_LN10 * _DH_Z2, A * sI, out=lg[:_N_DH])
    dh /= den
    davies = sI / (1.0 + sI)
    if derivative:
        dh *= 0.5
        dh /= den
        davies *= 0.5 / (1.0 + sI)
    dh += (_LN10 * _DH_B0) * mu
    lg[_DAVIES] = (-_LN10 * _DAVIES_Z2) * (A * (davies - 0.3 * mu))
    lg[_NEUTRAL] = 0.1 * _LN10 * mu
    return lg


def _removed(x: FloatArray, b: _Batch) -> tuple[FloatArray, FloatArray]:
    """Struvite s [mol] (0 where it does not form) and what is left of Mg, NH4, PO4 (3, n)."""
    tot3 = b.tot[_STRUVITE_COMPONENTS]
    if not b.precip.any():
        return np.zeros(x.shape[1]), tot3
    room = np.exp(np.where(b.precip, x[_XS], 0.0))
    smax = tot3.min(axis=0)
    return np.where(b.precip, smax - room, 0.0), np.where(b.precip, (tot3 - smax) + room, tot3)


def _evaluate(x: FloatArray, b: _Batch, mode: int) -> _Eval:
    """Species molalities at ``x``, the eliminated components from their balances."""
    n = x.shape[1]
    lgc = _gammas(x[_XI], b.A, b.B)
    m = _mm(_LNM_MATRIX, np.concatenate([b.tterms, x[: _XAW + 1], lgc]))
    np.exp(np.minimum(m, 700.0, out=m), out=m)
    W = np.exp(x[_XW])
    q = x[_XQ]
    tot_e = b.tot[list(_ELIM)]
    if mode == _INFLUENT:  # q is the Cl of the influent
        cl, dcl, dna = q, np.ones(n), np.zeros(n)
    else:  # q is NaOH (> 0) or HCl (< 0) where the pH is held
        base = np.where(b.ph_fixed, q, 0.0)
        cl = b.cl + np.maximum(-base, 0.0)
        dcl = np.where(b.ph_fixed & (q < 0), -1.0, 0.0)
        dna = np.where(b.ph_fixed & (q >= 0), 1.0, 0.0)
        tot_e[_E_NA] += np.maximum(base, 0.0)
    s, rem = _removed(x, b)
    tot_e[[_E_MG, _E_NH4]] = rem[:2]
    m_e = _mm(_NU_E.T, m)
    m_e *= W
    np.divide(tot_e, m_e, out=m_e)
    for c, species in enumerate(_GROUP_SPECIES):
        m[species] *= m_e[c]
    sums = _mm(_SUMS, m)
    cz = cl / W
    om = np.maximum(1.0 - _AH2O_FACTOR * (sums[_LSUM] + cz), 1e-3)
    return _Eval(m, lgc, sums, tot_e, s, rem[2], W, cz, dcl, dna, om)


def _residuals(x: FloatArray, b: _Batch, ev: _Eval, mode: int) -> tuple[FloatArray, FloatArray]:
    """The residuals F (7, n), each divided by its scale (mass balances by their total)."""
    W, sums = ev.W, ev.sums
    F = np.empty((7, x.shape[1]))
    scale = np.ones_like(F)
    F[_FZ] = sums[_LZ] - ev.cz
    scale[_FZ] = sums[_LZABS] + np.abs(ev.cz)  # Cl < 0 is solved for, then rejected
    F[_FP] = W * sums[_LP] - ev.rem_p
    scale[_FP] = b.tot[_PO4]
    if mode == _INFLUENT:
        F[_FC] = sums[_LALK] - b.alk
        scale[_FC] = np.maximum(sums[_LALKABS], np.abs(b.alk))
        F[_FO] = 0.0
    else:
        F[_FC] = W * sums[_LC] - b.tot[_CO3]
        scale[_FC] = b.tot[_CO3]
        o_avail = b.o_tot + ev.dna * x[_XQ] - _O_STRUVITE * ev.s
        F[_FO] = W * (1.0 / _M_H2O_kg + sums[_LO]) - o_avail
        scale[_FO] = o_avail
    mu = np.exp(x[_XI])
    F[_FI] = mu - sums[_LI] - 0.5 * ev.cz
    scale[_FI] = sums[_LI] + 0.5 * np.abs(ev.cz)
    F[_FAW] = x[_XAW] - np.log(ev.om)
    F[_FSI] = 0.0
    if mode == _REACTION:
        F[_FSI] = np.where(b.precip, _ln_iap(x, ev.m, ev.lgc) - b.lnksp, 0.0)
    for c, f in enumerate((_FP, _FC)):  # an absent PO4-3 or CO3-2: no equation
        F[f] = np.where(b.has_pc[c], F[f], 0.0)
        scale[f] = np.where(b.has_pc[c], scale[f], 1.0)
    return F / scale, scale


def _ln_activities(x: FloatArray, m: FloatArray, lgc: FloatArray) -> FloatArray:
    """ln a of the components (8, n), -inf where absent."""
    with np.errstate(divide="ignore"):
        lna = np.log(m[_MASTER_ROW]) + lgc[_MASTER_CLASS]
    lna[_H] = x[_XH]
    return lna


def _ln_iap(x: FloatArray, m: FloatArray, lgc: FloatArray) -> FloatArray:
    """ln of the ion activity product of struvite, MgNH4PO4:6H2O = Mg+2 + NH4+ + PO4-3 + 6 H2O."""
    c = _STRUVITE_COMPONENTS
    with np.errstate(divide="ignore"):
        lna = np.log(m[_MASTER_ROW[c]]) + lgc[_MASTER_CLASS[c]]
    return lna.sum(axis=0) + 6.0 * x[_XAW]


def _jacobian(x: FloatArray, b: _Batch, ev: _Eval, mode: int) -> FloatArray:
    """d F / d x (7, 8, n), unscaled, with the eliminated components' dependence on x.

    sum_j L_rj m_j d ln m_j / d x_k for the forms L: with the species taken at unit
    free molality of their eliminated component c (derivatives D_jk), plus
    sum_j L_rj nu_jc m_j d ln m_c / d x_k, where from m_c = T_c / (W S_c):
    d ln m_c / d x_k = d ln T_c / d x_k - [k = ln W] - (W / T_c) sum_j nu_jc m_j D_jk.
    """
    n = x.shape[1]
    W, sums = ev.W, ev.sums
    forms, product, groups = _JACOBIAN_FORMS[mode]
    ne, nd = forms.shape[0], len(_D_CONST)  # the equations but SI: _FZ, _FP, ...
    B = _mm(product, ev.m).reshape(ne, nd, n)  # sum_j L_rj m_j D_jk, k to ln a_H2O
    dlgc = _gammas(x[_XI], b.A, b.B, derivative=True)
    D_I = _mm(_GAMMA_TO_LNM.T, dlgc)  # d ln m_j / d ln I (before elimination)
    D_I *= ev.m
    B_I = _mm(forms, D_I)  # k = ln I
    avg = np.empty((len(_ELIM), nd + 1, n))  # W / T_c sum_j nu_jc m_j D_jk
    G = np.empty((ne, len(_ELIM), n))  # sum_j L_rj nu_jc m_j
    for c, (species, matrix) in enumerate(zip(_GROUP_SPECIES, groups, strict=True)):
        sums_c = _mm(matrix, ev.m[species])
        avg[c, :nd] = sums_c[:nd]
        G[:, c] = sums_c[nd:]
        avg[c, _XI] = D_I[species].sum(axis=0)
    with np.errstate(divide="ignore"):
        inv_t = np.where(ev.tot_e > 0, 1.0 / ev.tot_e, 0.0)  # 1 / T_c [mol-1]
    avg *= W * inv_t[:, None]
    J = np.empty((7, 8, n))
    J[ne:] = 0.0  # equations that equilibrium._SYSTEM[mode] leaves out, or filled below
    V = J[:ne]  # first sum_j L_rj m_j d ln m_j / d x_k of the form of each equation
    np.einsum("rcn,ckn->rkn", G, avg, out=V[:, : _XI + 1])
    np.subtract(B[:ne], V[:, :nd], out=V[:, :nd])
    np.subtract(B_I[:ne], V[:, _XI], out=V[:, _XI])
    V[:, _XW] = -G.sum(axis=1)
    V[:, _XS] = -(G[:, _E_MG] * inv_t[_E_MG] + G[:, _E_NH4] * inv_t[_E_NH4])
    V[:, _XQ] = G[:, _E_NA] * (ev.dna * inv_t[_E_NA])
    dcz = np.zeros((8, n))  # d (Cl molality) / d x
    dcz[_XW] = -ev.cz
    dcz[_XQ] = ev.dcl / W
    J[_FZ] -= dcz
    if mode == _REACTION:  # balances in mol: times W, and d/d ln W
        J[[_FP, _FC, _FO]] *= W
        J[_FC, _XW] += W * sums[_LC]
        J[_FO, _XW] += W * (1.0 / _M_H2O_kg + sums[_LO])
        J[_FO, _XQ] -= ev.dna
        J[_FO, _XS] += _O_STRUVITE
    J[_FP, _XW] += W * sums[_LP]
    J[_FP, _XS] += 1.0
    J[_FI] += 0.5 * dcz
    J[_FI] *= -1.0
    J[_FI, _XI] += np.exp(x[_XI])
    J[_FAW] += dcz
    J[_FAW] *= _AH2O_FACTOR / ev.om
    J[_FAW, _XAW] += 1.0
    if mode == _REACTION:
        # SI: ln m of Mg and NH4 as the eliminated components, ln m(PO4), ln gamma, a_H2O
        J[_FSI] = 0.0
        J[_FSI, : _XI + 1] = -(avg[_E_MG] + avg[_E_NH4])
        J[_FSI, _XW] = -2.0
        J[_FSI, _XS] = -(inv_t[_E_MG] + inv_t[_E_NH4])
        J[_FSI, _XP] += 1.0
        J[_FSI, _XAW] += 6.0
        J[_FSI, _XI] += dlgc[_MASTER_CLASS[_STRUVITE_COMPONENTS]].sum(axis=0)
        J[_FSI] *= b.precip
        # the unknown is ln(s_max - s): d s = -(s_max - s) d x (none where s = 0)
        J[:, _XS] *= np.where(b.precip, -np.exp(np.where(b.precip, x[_XS], 0.0)), 0.0)
    return J
