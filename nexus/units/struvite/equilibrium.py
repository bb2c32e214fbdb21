"""Struvite equilibrium: the Newton solver, batching and :func:`~nexus.units.struvite.equilibrate`.

:func:`~nexus.units.struvite.equilibrate` speciates the influent (carbon from the
alkalinity, Cl from the charge balance), doses MgCl2 and precipitates struvite to
equilibrium in a closed system, with the pH floating or held with NaOH (or HCl). All
waters of a call are solved together, in tiles of ``_TILE``, by a damped
Newton iteration on the equations of :mod:`nexus.units.struvite.speciation`:
first guesses revised as PHREEQC's ``revise_guesses`` does, small linear
systems solved by batched Gaussian elimination, waters leaving the batch as
they converge. Inputs are checked at the boundary
(:class:`~nexus.errors.ParameterError` naming the argument and the row); a water that
does not converge raises :class:`~nexus.errors.SolverError` naming its row.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
from numpy.typing import ArrayLike

from nexus.constants import MOLAR_MASS_g_mol
from nexus.errors import ParameterError, SolverError
from nexus.units.struvite.database import (
    _AH2O_FACTOR,
    _ALK,
    _CA,
    _CO3,
    _H,
    _K,
    _LN10,
    _LOG_K_COEF,
    _MG,
    _NA,
    _NH4,
    _NS,
    _NU,
    _PO4,
    _Z,
    DATABASE,
    SPECIES,
    STRUVITE_g_mol,
    _M_H2O_kg,
    _t_terms,
    debye_huckel_A_B,
    log_k,
)
from nexus.units.struvite.speciation import (
    _FAW,
    _FC,
    _FI,
    _FO,
    _FP,
    _FSI,
    _FZ,
    _INFLUENT,
    _LALK,
    _LAWS,
    _LC,
    _LP,
    _O_STRUVITE,
    _OXY,
    _REACTION,
    _REVISED,
    _STRUVITE_COMPONENTS,
    _SUMS_PC,
    _XAW,
    _XC,
    _XH,
    _XI,
    _XP,
    _XQ,
    _XS,
    _XW,
    _Batch,
    _Eval,
    _evaluate,
    _jacobian,
    _ln_activities,
    _ln_iap,
    _mm,
    _removed,
    _residuals,
)

if TYPE_CHECKING:
    import xarray as xr
    from numpy.typing import ArrayLike

    from nexus._typing import BoolArray, FloatArray, IntArray

#: The two solves and what each iterates on: equations and unknowns, in the order of
#: elimination of the linear solve (see _solve_small); the column _XH stands for q
#: where the pH is held. In the reaction, where struvite may not form (_Batch.precip),
#: its equation and unknown are pinned.
_SYSTEM = {
    _INFLUENT: ((_FP, _FC, _FI, _FAW, _FZ), (_XP, _XC, _XI, _XAW, _XH)),
    _REACTION: ((_FP, _FC, _FI, _FAW, _FO, _FZ, _FSI), (_XP, _XC, _XI, _XAW, _XW, _XH, _XS)),
}
#: ln m of an absent PO4-3 or CO3-2: its species are exactly 0 (exp underflows).
_PINNED = -1000.0
_PHOSPHATES = ("HPO4-2", "H2PO4-", "H3PO4")  # PO4-3 + k H+


def _solve_small(M: FloatArray) -> FloatArray:
    """Solve the small systems A d = r of a batch, ``M`` (k, k + 1, n) = [A | r]: d (k, n).

    Gaussian elimination without pivoting, vectorized over the batch (stored last,
    so that each row operation runs on contiguous memory; ``M`` is overwritten):
    5-7x faster than LAPACK on 10,000 systems of 5-7 unknowns. The order of
    _SYSTEM puts first the equations dominated by their own unknown (a balance by
    its free component, ionic strength, water activity, oxygen by the mass of
    water). Where a pivot still vanishes, d is not finite (see _step).
    """
    k = M.shape[0]
    d = np.empty((k, M.shape[2]))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i in range(k - 1):
            for j in range(i + 1, k):
                M[j, i + 1 :] -= (M[j, i] / M[i, i]) * M[i, i + 1 :]
        for i in range(k - 1, -1, -1):
            d[i] = (M[i, k] - np.einsum("jn,jn->n", M[i, i + 1 : k], d[i + 1 :])) / M[i, i]
    return d


#: A component with a smaller total [mol/kgw] is treated as absent (its species
#: are zero): below double precision's reach for the relative mass balance.
_MIN_TOTAL = 1e-20
_TOL = 1e-10  # scaled residual at convergence (mass balances relative to their total)
_MAX_ITER = 80
_MAX_STEP_LN = 2.0  # largest change of a log unknown per Newton step
_LEAVE = 0.2  # fraction of converged waters at which they leave the batch
_LEAVE_REVISE = 0.3  # the same for _revise
_REVISE_MAX = 12  # passes of _revise at most
_REVISE_TOL = 0.05  # [ln units] a water is revised until its guess changes less


def _linear_system(
    J: FloatArray, F: FloatArray, scale: FloatArray, b: _Batch, mode: int
) -> FloatArray:
    """[A | r] (k, k + 1, n) of the Newton step of ``mode``, each equation over its scale.

    ``J`` with the column _XH holding q where the pH is held. An absent PO4-3 or
    CO3-2, and the struvite where it does not form, are pinned (a unit row, r 0).
    """
    rows, cols = _SYSTEM[mode]
    k = len(rows)
    M = np.empty((k, k + 1, F.shape[1]))
    for i, f in enumerate(rows):
        M[i, :k] = J[f, cols]
        M[i, :k] /= scale[f]
        M[i, k] = -F[f]
    pins = [(b.has_pc[0], _FP, _XP), (b.has_pc[1], _FC, _XC)]
    if mode == _REACTION:
        pins.append((b.precip, _FSI, _XS))
    for free, f, u in pins:
        pinned = ~free
        if pinned.any():
            i = rows.index(f)
            M[i][:, pinned] = 0.0
            M[i, cols.index(u), pinned] = 1.0
    return M


def _step(
    x: FloatArray, b: _Batch, ev: _Eval, F: FloatArray, scale: FloatArray, mode: int
) -> FloatArray:
    """x after one damped Newton step on the equations and unknowns of ``mode``.

    A water whose elimination breaks down takes the minimum-norm least-squares
    step (LAPACK), none where its system is not finite.
    """
    cols = list(_SYSTEM[mode][1])
    J = _jacobian(x, b, ev, mode)
    J[:, _XH] = np.where(b.ph_fixed, J[:, _XQ], J[:, _XH])
    d = np.zeros_like(x)
    d[cols] = _solve_small(_linear_system(J, F, scale, b, mode))
    # cast: numpy types all(axis=0) as possibly a scalar; d is 2-d, so this is an array
    bad = cast("BoolArray", ~np.isfinite(d).all(axis=0))
    if bad.any():
        M = _linear_system(J[:, :, bad], F[:, bad], scale[:, bad], b.take(bad), mode)
        M = M.transpose(2, 0, 1)
        finite = np.isfinite(M).all(axis=(1, 2))
        d[:, bad] = 0.0
        if finite.any():
            A, r = M[finite, :, :-1], M[finite, :, -1]
            # ignore: numpy's stub of ix_ takes arrays only; it takes any 1-d sequences
            d[np.ix_(cols, np.flatnonzero(bad)[finite])] = np.einsum(  # type: ignore[arg-type]
                "nij,nj->in", np.linalg.pinv(A), r
            )
    d[_XQ] = np.where(b.ph_fixed, d[_XH], 0.0)
    d[_XH] = np.where(b.ph_fixed, 0.0, d[_XH])
    # the log unknowns of the water limit the whole step; that of the struvite is
    # clipped on its own, so that a poor guess of it does not stall the others
    big = np.abs(d[:_XS]).max(axis=0)
    d *= np.minimum(1.0, _MAX_STEP_LN / np.maximum(big, 1e-300))
    d[_XS] = np.clip(d[_XS], -_MAX_STEP_LN, _MAX_STEP_LN)
    return x + d


def _newton(
    x: FloatArray, b: _Batch, mode: int
) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray]:
    """Damped Newton iteration on all waters at once; converged waters leave the batch.

    A water's result is kept when it first converges; it leaves the batch together
    with others, once they make up _LEAVE of it (a further step leaves a converged
    water converged, and copying the batch costs more than a few extra columns).
    Returns x, the molalities and ln gamma (of the classes) at the solution, and the
    mask of the waters that did not converge in _MAX_ITER iterations.
    """
    n = x.shape[1]
    rows = list(_SYSTEM[mode][0])
    x = x.copy()
    m, lgc = np.full((_NS, n), np.nan), np.full((len(_LAWS), n), np.nan)
    done = np.zeros(n, dtype=bool)
    idx, xa, ba = np.arange(n), x, b
    for _ in range(_MAX_ITER if n else 0):
        ev = _evaluate(xa, ba, mode)
        F, scale = _residuals(xa, ba, ev, mode)
        new = (np.abs(F[rows]).max(axis=0) < _TOL) & ~done[idx]
        if new.any():
            w = idx[new]
            x[:, w], m[:, w], lgc[:, w] = xa[:, new], ev.m[:, new], ev.lgc[:, new]
            done[w] = True
            left = done[idx]
            if left.all():
                break
            if left.mean() >= _LEAVE:
                keep = ~left
                idx, xa, ba, ev = idx[keep], xa[:, keep], ba.take(keep), ev.take(keep)
                F, scale = F[:, keep], scale[:, keep]
        xa = _step(xa, ba, ev, F, scale, mode)
    failed = ~done
    x[:, failed] = xa[:, failed[idx]]
    return x, m, lgc, failed


def _revise(x: FloatArray, b: _Batch, mode: int) -> tuple[FloatArray, FloatArray]:
    """Improve a first guess as PHREEQC's ``revise_guesses`` does; x and ln(IAP/Ksp).

    Free PO4-3 and CO3-2 are scaled to their own balance (carbonate to the
    alkalinity left to it in the influent); with the species of each scaled alike,
    the charge gives q (Cl in the influent, else the base dose), the oxygen the
    mass of water, and the ionic strength and water activity follow. Repeated
    (at most _REVISE_MAX times) on the waters where a scaling or the ionic strength
    changed by more than _REVISE_TOL [ln units]. The cations are exact at any guess
    (eliminated), so Newton then starts close to the solution. Where struvite forms,
    its amount is revised too, by _ln_room_guess. ln(IAP/Ksp) of struvite is that of
    the last evaluation of each water (NaN in the influent).
    """
    x = x.copy()
    lnsi = np.full(x.shape[1], np.nan)
    idx, xa, ba = np.arange(x.shape[1]), x, b
    for _ in range(_REVISE_MAX if idx.size else 0):
        n = idx.size
        ev = _evaluate(xa, ba, mode)
        if mode == _REACTION:
            lnsi_a = _ln_iap(xa, ev.m, ev.lgc) - ba.lnksp
        sums_p, sums_c = _mm(_SUMS_PC, ev.m).reshape(2, len(_REVISED), n)
        with np.errstate(divide="ignore", invalid="ignore"):
            r_p = np.log(ev.rem_p / (ev.W * ev.sums[_LP]))
            if mode == _INFLUENT:  # the alkalinity left to carbonate, phosphate scaled
                alk_p, alk_c = sums_p[1], sums_c[1]
                alk_nc = ev.sums[_LALK] - alk_c + (np.exp(r_p) - 1.0) * alk_p
                r_c = np.log((ba.alk - alk_nc) / alk_c)
            else:
                r_c = np.log(ba.tot[_CO3] / (ev.W * ev.sums[_LC]))
        r = np.clip(np.nan_to_num(np.stack([r_p, r_c]), nan=-5.0), -50.0, 50.0)
        r = np.where(ba.has_pc, r, 0.0)  # ln of the scaling of PO4-3, CO3-2
        xa[[_XP, _XC]] += r
        if mode == _REACTION:  # the PO4-3 scaled: ln m(PO4-3) is a term of ln IAP
            lnsi_a += r[0]
            lnsi[idx] = lnsi_a
        z, _, mu, total, oxy = ev.sums[_REVISED] + np.expm1(r[0]) * sums_p + np.expm1(r[1]) * sums_c
        change = np.abs(r).max(axis=0)
        charge = ev.W * (z - ev.cz)  # [mol]
        if mode == _INFLUENT:
            xa[_XQ] = np.maximum(xa[_XQ] + charge, 0.0)
            cz = xa[_XQ]
        else:
            xa[_XQ] = np.where(ba.ph_fixed, xa[_XQ] - charge, 0.0)
            base = np.where(ba.ph_fixed, xa[_XQ], 0.0)
            o_avail = ba.o_tot + np.maximum(base, 0.0) - _O_STRUVITE * ev.s
            xa[_XW] = np.log(o_avail / (1.0 / _M_H2O_kg + oxy))
            cz = (ba.cl + np.maximum(-base, 0.0)) / np.exp(xa[_XW])
        p = np.flatnonzero(ba.precip)
        if p.size:  # the struvite that brings SI to 0, speciation held
            room = _ln_room_guess(lnsi_a[p], _removed(xa, ba)[1][:, p])
            change[p] = np.maximum(change[p], np.abs(room - xa[_XS, p]))
            xa = _with_struvite(xa, ba, room, p)
        lnI = np.log(np.clip(mu + 0.5 * cz, 1e-10, 20.0))
        change = np.maximum(change, np.abs(lnI - xa[_XI]))
        xa[_XI] = lnI
        xa[_XAW] = np.log(np.maximum(1.0 - _AH2O_FACTOR * (total + cz), 1e-3))
        if xa is not x:
            x[:, idx] = xa
        far = change > _REVISE_TOL
        if not far.any():
            break
        if far.mean() <= 1.0 - _LEAVE_REVISE:  # the others leave (see _newton)
            idx, xa, ba = idx[far], xa[:, far], ba.take(far)
    return x, lnsi


def _start_influent(b: _Batch, pH: FloatArray) -> FloatArray:
    """First guess of x in the influent, revised: phosphate as PO4-3, HPO4-2, H2PO4-
    and H3PO4 at the pH, carbonate as CO3-2 and HCO3- from the alkalinity."""
    x = np.zeros((8, pH.shape[0]))
    x[_XH] = -pH * _LN10
    lnK = _LN10 * _mm(_LOG_K_COEF, b.tterms)
    acids = [lnK[SPECIES.index(sp)] + k * x[_XH] for k, sp in enumerate(_PHOSPHATES, 1)]
    with np.errstate(divide="ignore"):
        lnp = np.log(b.tot[_PO4]) - np.logaddexp.reduce([np.zeros_like(pH), *acids])
    x[_XP] = np.where(b.has_pc[0], lnp, _PINNED)
    k_hco3 = np.exp(lnK[SPECIES.index("HCO3-")])
    lnc = np.log(np.maximum(b.alk, 1e-9) / (k_hco3 * np.exp(x[_XH]) + 2.0))
    x[_XC] = np.where(b.has_pc[1], lnc, _PINNED)
    I0 = 0.5 * (np.array([1, 1, 4, 4, 1, 9.0]) @ b.tot[1:7] + b.cl + b.alk)
    x[_XI] = np.log(np.maximum(I0, 1e-6))
    x[_XQ] = b.cl
    return _revise(x, b, _INFLUENT)[0]


def _ln_room_guess(lnsi: FloatArray, tot3: FloatArray) -> FloatArray:
    """ln(s_max - s) of the struvite s that brings ln(IAP/Ksp) = ``lnsi`` > 0 to 0.

    The free fractions of Mg, NH4 and PO4 held (a conditional solubility product):
    sum_c ln(T_c - s) = sum_c ln T_c - lnsi, T_c the totals ``tot3`` (3, n). In
    u = ln(s_max - s), s_max the smallest total, the left side is convex and
    increasing: Newton from s = 0 converges monotonically from above.
    """
    t = np.sort(tot3, axis=0)
    d2, d3 = t[1] - t[0], t[2] - t[0]
    target = np.log(t).sum(axis=0) - lnsi
    u = np.log(t[0])
    for _ in range(50):
        e = np.exp(u)
        a, c = d2 + e, d3 + e
        h = u + np.log(a * c) - target
        u -= h / (1.0 + e * (a + c) / (a * c))
        if np.all(np.abs(h) < 1e-12):
            break
    return u


def _with_struvite(x: FloatArray, b: _Batch, room: FloatArray, w: IntArray) -> FloatArray:
    """x with ln(s_max - s) = ``room`` for the waters ``w``, free PO4-3 scaled alike."""
    rem_p = _removed(x, b)[1][2, w]
    x[_XS, w] = room
    x[_XP, w] += np.log(_removed(x, b)[1][2, w] / rem_p)
    return x


def _precipitate(
    x: FloatArray,
    lnsi: FloatArray,
    b: _Batch,
    rows: IntArray,
    shape: tuple[int, ...],
    allowed: bool = True,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Struvite to equilibrium after dosing: x, molalities, ln gamma and struvite [mol].

    Where the first guess ``x`` of the dosed water is supersaturated (ln(IAP/Ksp)
    ``lnsi`` > 0) the struvite is an unknown of the Newton iteration and SI = 0 its
    equation, elsewhere it is 0. A water that ends with none, or without and
    supersaturated, is solved again the other way (SI falls as struvite forms, so
    one exchange settles each water). With ``allowed`` False none forms.
    """
    can = np.all(b.tot[_STRUVITE_COMPONENTS] > 0, axis=0) & allowed

    def solve(
        x: FloatArray, b: _Batch, lnsi: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Newton from x, the struvite guessed from ``lnsi`` and revised where it forms."""
        p = np.flatnonzero(b.precip)
        tot3 = b.tot[_STRUVITE_COMPONENTS][:, p]
        x = _with_struvite(x.copy(), b, _ln_room_guess(lnsi[p], tot3), p)
        x[:, p] = _revise(x[:, p], b.take(p), _REACTION)[0]
        x, m, lgc, failed = _newton(x, b, _REACTION)
        if failed.any():
            _raise_rows("reaction (struvite precipitation)", rows[failed], shape)
        return x, m, lgc

    b = b._replace(precip=can & (lnsi > 0))
    x, m, lgc = solve(x, b, lnsi)
    s = _removed(x, b)[0]
    lnsi = _ln_iap(x, m, lgc) - b.lnksp
    wrong = np.flatnonzero(np.where(b.precip, s <= 0, can & (lnsi > 0)))
    if wrong.size:
        bw = b.take(wrong)
        bw = bw._replace(precip=~bw.precip)
        xw, mw, lgw = solve(x[:, wrong], bw, lnsi[wrong])
        keep = ~bw.precip | (_removed(xw, bw)[0] > 0)  # SI = 0 at s = 0: either
        w = wrong[keep]
        x[:, w], m[:, w], lgc[:, w] = xw[:, keep], mw[:, keep], lgw[:, keep]
        b.precip[w] = bw.precip[keep]
        s = _removed(x, b)[0]
    return x, m, lgc, s


def _si(lna: FloatArray, lnaw: FloatArray, T_C: FloatArray, phase: str) -> FloatArray:
    """Saturation index log10(IAP/K) of a phase as written in phreeqc.dat (-inf if absent)."""
    if phase == "Struvite":  # MgNH4PO4:6H2O = Mg+2 + NH4+ + PO4-3 + 6 H2O
        v = lna[_MG] + lna[_NH4] + lna[_PO4] + 6.0 * lnaw
    elif phase == "Calcite":  # CaCO3 = CO3-2 + Ca+2
        v = lna[_CA] + lna[_CO3]
    else:  # Ca5(PO4)3OH + 4 H+ = H2O + 3 HPO4-2 + 5 Ca+2, HPO4-2 = PO4-3 + H+
        lna_hpo4 = lna[_PO4] + lna[_H] + log_k("HPO4-2", T_C) * _LN10
        v = 5.0 * lna[_CA] + 3.0 * lna_hpo4 + lnaw - 4.0 * lna[_H]
    return v / _LN10 - log_k(phase, T_C)


def _raise_rows(what: str, rows: IntArray, shape: tuple[int, ...]) -> None:
    where = [np.unravel_index(int(r), shape) if shape else () for r in rows[:20]]
    raise SolverError(
        f"struvite.equilibrate: the {what} did not converge to {_TOL:g} in {_MAX_ITER} Newton "
        f"iterations for water row(s) {[tuple(int(i) for i in w) for w in where]}"
    )


#: Waters solved together: bounds the memory a call takes (about 4 kB per water). 5,000
#: rather than 10,000 keeps the Newton's (species x waters) arrays nearer the cache: 10,000
#: waters in 0.126 s against 0.159 s a call (2,500: 0.135 s), results within 1.2e-10
#: (``benchmarks/bench_struvite_tiles.py``, idle machine, 2026-12-05; benchmarks/RESULTS.md).
_TILE = 5000


#: The arguments of :func:`~nexus.units.struvite.equilibrate` that describe the water
#: (before dosing).
WATER_ARGS = (
    "T_C",
    "pH",
    "NH4_N_mg_L",
    "PO4_P_mg_L",
    "Mg_mg_L",
    "Ca_mg_L",
    "K_mg_L",
    "Na_mg_L",
    "Cl_mg_L",
    "alkalinity_mg_L_HCO3",
)
#: What happens to the water in the closed reaction: amounts per litre of influent, then the
#: two arguments for which NaN means "as the influent" / "floating" (they come last).
_REACTION_ARGS = ("Mg_to_P_dose", "NH3_removed_mg_L", "NaOH_added_mmol_L")
_ARGS = (*WATER_ARGS, *_REACTION_ARGS, "T_reaction_C", "pH_target")
_UNITS = {
    "Mg_to_P_dose": "mol mol-1",
    "NH3_removed_mg_L": "mg L-1",
    "NaOH_added_mmol_L": "mmol L-1",
}

_OUT = {  # name: (units, long_name)
    "SI_struvite_initial": ("1", "saturation index of struvite in the influent, log10(IAP/Ksp)"),
    "ionic_strength_initial": ("mol kg-1", "ionic strength of the influent"),
    "struvite_mol_L": ("mol L-1", "struvite precipitated per litre of influent"),
    "struvite_kg_m3": ("kg m-3", "struvite (MgNH4PO4.6H2O) precipitated per m3 of influent"),
    "P_recovered_fraction": ("1", "fraction of the influent phosphate-P precipitated as struvite"),
    "pH_final": ("1", "pH after precipitation"),
    "NaOH_mmol_L": ("mmol L-1", "NaOH added to hold the pH per litre of influent (negative: HCl)"),
    "residual_PO4_P_mg_L": ("mg L-1", "phosphate-P left dissolved, per litre of influent"),
    "residual_NH4_N_mg_L": ("mg L-1", "ammonium + ammonia N left dissolved, per litre of influent"),
    "residual_Mg_mg_L": ("mg L-1", "Mg left dissolved, per litre of influent"),
    "SI_struvite_final": ("1", "saturation index of struvite after precipitation"),
    "SI_hydroxyapatite_initial": ("1", "saturation index of hydroxyapatite in the influent"),
    "SI_calcite_initial": ("1", "saturation index of calcite in the influent"),
    "SI_calcite_final": ("1", "saturation index of calcite after the reaction (not precipitated)"),
    "Cl_balanced_mg_L": ("mg L-1", "Cl of the influent after charge balance"),
}


class Equilibrium(NamedTuple):
    """Result of :func:`struvite_equilibrium`: arrays of the broadcast input shape, per litre of
    influent (units and meanings in ``_OUT``, as :func:`equilibrate` labels them)."""

    SI_struvite_initial: FloatArray  #: log10(IAP/Ksp) of struvite in the influent [1]
    ionic_strength_initial: FloatArray  #: of the influent [mol kg-1]
    struvite_mol_L: FloatArray  #: struvite precipitated [mol L-1]
    struvite_kg_m3: FloatArray  #: struvite precipitated [kg m-3]
    P_recovered_fraction: FloatArray  #: influent phosphate-P precipitated [1]
    pH_final: FloatArray  #: after precipitation [1]
    NaOH_mmol_L: FloatArray  #: NaOH added to hold the pH, negative for HCl [mmol L-1]
    residual_PO4_P_mg_L: FloatArray  #: phosphate-P left dissolved [mg L-1]
    residual_NH4_N_mg_L: FloatArray  #: ammonium + ammonia N left dissolved [mg L-1]
    residual_Mg_mg_L: FloatArray  #: Mg left dissolved [mg L-1]
    SI_struvite_final: FloatArray  #: after precipitation [1]
    SI_hydroxyapatite_initial: FloatArray  #: of the influent [1]
    SI_calcite_initial: FloatArray  #: of the influent [1]
    SI_calcite_final: FloatArray  #: after the reaction; calcite never precipitates [1]
    Cl_balanced_mg_L: FloatArray  #: Cl of the influent after charge balance [mg L-1]


def _check(
    name: str, a: FloatArray, low: float, high: float | None, unit: str, shape: tuple[int, ...]
) -> None:
    with np.errstate(invalid="ignore"):
        bad = (a < low) | ((a > high) if high is not None else False)
    if np.any(bad):
        i = int(np.flatnonzero(bad.reshape(-1))[0])
        row = tuple(int(k) for k in np.unravel_index(i, shape)) if shape else ()
        rng = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise ParameterError(
            f"struvite.equilibrate: {name} = {a.reshape(-1)[i]!r} at water row {row} is "
            f"outside {rng} {unit}"
        )


def struvite_equilibrium(
    *,
    T_C: ArrayLike,
    pH: ArrayLike,
    NH4_N_mg_L: ArrayLike,
    PO4_P_mg_L: ArrayLike,
    Mg_mg_L: ArrayLike,
    Ca_mg_L: ArrayLike,
    K_mg_L: ArrayLike,
    Na_mg_L: ArrayLike,
    Cl_mg_L: ArrayLike,
    alkalinity_mg_L_HCO3: ArrayLike,
    Mg_to_P_dose: ArrayLike = 0.0,
    pH_target: ArrayLike | None = None,
    NH3_removed_mg_L: ArrayLike = 0.0,
    NaOH_added_mmol_L: ArrayLike = 0.0,
    T_reaction_C: ArrayLike | None = None,
    precipitate: bool = True,
) -> Equilibrium:
    r"""Speciate waters, dose MgCl2 and precipitate struvite to equilibrium.

    Every argument is a scalar or an array; all are broadcast together and the
    waters are solved at once.

    Parameters
    ----------
    T_C : array_like
        Temperature, 0-100 [degC].
    pH : array_like
        pH of the influent, 0-14 [1].
    NH4_N_mg_L : array_like
        Total ammonia nitrogen (NH4+ + NH3) as N [mg L-1].
    PO4_P_mg_L : array_like
        Orthophosphate as P [mg L-1].
    Mg_mg_L, Ca_mg_L, K_mg_L, Na_mg_L : array_like
        Total Mg, Ca, K, Na [mg L-1].
    Cl_mg_L : array_like
        Chloride [mg L-1]; only a first estimate: Cl is adjusted to balance the
        charge of the influent (as PHREEQC's ``Cl ... charge``), see
        ``Cl_balanced_mg_L``.
    alkalinity_mg_L_HCO3 : array_like
        Total alkalinity as PHREEQC defines it, expressed as HCO3-
        [mg L-1 as HCO3-]; total inorganic carbon is solved from it and the pH.
    Mg_to_P_dose : array_like, default 0.0
        Mg added as MgCl2 per mol of influent phosphate-P [mol mol-1].
    pH_target : array_like or None, default None
        pH held during precipitation by dosing NaOH where the water needs base,
        HCl where it needs acid (a target below the influent pH, with little
        struvite forming); None or NaN: the pH floats [1].
    NH3_removed_mg_L : array_like, default 0.0
        Ammonia-N that leaves the water as NH3 gas during the reaction (an
        air-stripping column), at most ``NH4_N_mg_L`` [mg L-1 of influent].
        NH3 carries no charge: the proton of each NH4+ stays, so a held pH
        costs base for it.
    NaOH_added_mmol_L : array_like, default 0.0
        NaOH added before the reaction [mmol L-1 of influent]: with a floating
        pH, the water's pH after a known dose; with a held pH, ``NaOH_mmol_L``
        includes it.
    T_reaction_C : array_like or None, default None
        Temperature of the reaction, 0-100 [degC] (the influent is speciated at
        ``T_C``; a closed system warmed or cooled); None or NaN: ``T_C``.
    precipitate : bool, default True
        False: struvite does not form either (the saturation indices after the
        reaction report the supersaturation), as in a unit that only doses base.

    Returns
    -------
    Equilibrium
        Amounts per litre of influent, arrays of the broadcast input shape
        (:func:`equilibrate` gives them as an ``xarray.Dataset``):
        ``SI_struvite_initial``,
        ``ionic_strength_initial`` [mol kg-1], ``struvite_mol_L`` [mol L-1],
        ``struvite_kg_m3`` [kg m-3], ``P_recovered_fraction`` [1], ``pH_final``,
        ``NaOH_mmol_L`` [mmol L-1, negative for HCl], ``residual_PO4_P_mg_L``,
        ``residual_NH4_N_mg_L``, ``residual_Mg_mg_L`` [mg L-1],
        ``SI_struvite_final`` (0 where struvite formed, else the saturation
        after the reaction: below 0, or above with ``precipitate`` False),
        ``SI_hydroxyapatite_initial``, ``SI_calcite_initial``,
        ``SI_calcite_final`` [1],
        ``Cl_balanced_mg_L`` [mg L-1]. A saturation index is -inf when a
        component of the phase is absent. A water with NaN in an input has NaN
        in every output.

    Raises
    ------
    ParameterError
        A negative concentration or dose, pH or ``pH_target`` outside 0-14, T
        outside 0-100 degC, a water whose charge balance needs negative Cl, whose
        non-carbonate alkalinity exceeds the total alkalinity, or whose
        alkalinity carbonate cannot supply at its pH; the message names the
        argument and the batch row.
    SolverError
        The Newton iteration did not converge; the message names the rows.

    Notes
    -----
    *Speciation* (PHREEQC's ion-association model with phreeqc.dat): the
    species of :data:`~nexus.units.struvite.database.SPECIES` plus Cl-, each with
    :math:`m_j = K_j \prod_c a_c^{\nu_{jc}} a_{H_2O}^{n_j} / \gamma_j`, log K from
    :func:`log_k`; activity coefficients by the WATEQ Debye-Hückel equation
    :math:`\log\gamma = -A z^2 \sqrt I/(1 + a B \sqrt I) + b I` where phreeqc.dat
    gives ``-gamma a b``, by Davies
    :math:`\log\gamma = -A z^2(\sqrt I/(1+\sqrt I) - 0.3 I)` for other ions and
    :math:`\log\gamma = 0.1 I` for uncharged species; A and B from
    :func:`debye_huckel_A_B`; :math:`a_{H_2O} = 1 - 0.017 \sum_i m_i`.

    *Influent*: pH and alkalinity :math:`\sum_j alk_j m_j` are given (alk from
    the master species: H+ -1, CO3-2 2, PO4-3 2, so NH3, OH-, HPO4-2 count); the
    carbon total follows, and Cl from the charge balance.

    *Precipitation*: MgCl2 is added, then struvite
    (:math:`MgNH_4PO_4{\cdot}6H_2O = Mg^{2+} + NH_4^+ + PO_4^{3-} + 6 H_2O`,
    :data:`~nexus.units.struvite.database.STRUVITE_LOG_KSP_25C`,
    :data:`~nexus.units.struvite.database.STRUVITE_DELTA_H_kJ_mol`) precipitates
    until its saturation index is 0, in a closed system (carbon is conserved,
    no CO2 exchange); the mass of water follows from the oxygen balance (water,
    carbonate, phosphate and hydroxide O; 10 O leave per mol of struvite, 1 O
    comes with each mol of NaOH), as PHREEQC computes it; molalities are moles per
    kg of that water. With a floating pH the charge balance sets the pH; with a
    held pH it sets the base dose: NaOH (Na added) where the water needs base,
    HCl (Cl added) where it needs acid, as when the target is below the
    influent pH and little struvite forms. Nothing else precipitates; the
    saturation indices of hydroxyapatite and calcite are those of the influent,
    and calcite's also after the reaction (a positive value flags a risk the
    model does not take into account). In the same closed reaction the water
    may lose ammonia as NH3 gas (``NH3_removed_mg_L``: the N total falls, the
    charge balance keeps its proton), take a given NaOH (``NaOH_added_mmol_L``:
    Na and its O added) and be warmed or cooled (``T_reaction_C``: the
    constants, A and B of the reaction at that temperature), as in an ammonia
    stripping column (:mod:`nexus.units.stripping`).
    Struvite's log Ksp was fitted by Ronteltap et al. (2007) with Davies activity
    coefficients (A 0.509, B 0.3); used with phreeqc.dat's coefficients, as here
    and in the PHREEQC reference, the conditional solubility product of a
    hydrolysed urine at pH 9 and I 0.4 M comes out 10^-7.81 M3 against their
    10^-7.57 M3 (tests/validation/data/struvite_ronteltap2007.csv).

    *Shapes*: the inputs broadcast together, and so do the outputs. A
    component with a total below 1e-20 mol/kg is absent.

    *Numerics*: Newton iteration on all waters at once. Na, K, Ca, Mg and NH4
    are eliminated (each species holds at most one of them, once, so their
    mass balances give their free molalities in closed form); the unknowns
    left are ln a(H+) or the base dose, ln m of free PO4-3 and CO3-2, ln I,
    ln a(H2O), ln of the mass of water and, where struvite forms,
    ln(min(Mg, N, P) - struvite) with SI = 0 as its equation. The exact
    Jacobian (including d ln gamma/d I and the eliminated components) is
    solved by batched Gaussian elimination; a step changes a log unknown by at
    most a factor e^2. Residuals converge to 1e-10 (mass balances and charge
    relative to their totals, ln(IAP/Ksp) absolute). The first guess is
    revised as PHREEQC's ``revise_guesses`` does (PO4-3 and CO3-2 scaled to
    their own balances), the struvite's from a conditional solubility product
    (the speciation of the dosed water held); whether struvite forms is
    predicted from the revised dosed water and checked after convergence.
    Waters leave the batch as they converge.

    References
    ----------
    .. [1] Parkhurst, D.L., Appelo, C.A.J. (2013), Description of input and examples
       for PHREEQC version 3, USGS Techniques and Methods 6-A43, doi:10.3133/tm6A43.
    .. [2] Ohlinger, K.N., Young, T.M., Schroeder, E.D. (1998), Predicting struvite
       formation in digestion, Water Res. 32:3607, doi:10.1016/S0043-1354(98)00123-6.
    .. [3] Ronteltap, M., Maurer, M., Gujer, W. (2007), Struvite precipitation
       thermodynamics in source-separated urine, Water Res. 41:977,
       doi:10.1016/j.watres.2006.11.046.

    Examples
    --------
    >>> r = struvite_equilibrium(T_C=25.0, pH=8.0, NH4_N_mg_L=1000.0, PO4_P_mg_L=100.0,
    ...                 Mg_mg_L=10.0, Ca_mg_L=40.0, K_mg_L=300.0, Na_mg_L=200.0,
    ...                 Cl_mg_L=500.0, alkalinity_mg_L_HCO3=4000.0,
    ...                 Mg_to_P_dose=1.2, pH_target=[float("nan"), 8.5])
    >>> print(r.P_recovered_fraction.round(3), r.pH_final.round(2))
    [0.873 0.97 ] [7.68 8.5 ]
    """
    raw = [T_C, pH, NH4_N_mg_L, PO4_P_mg_L, Mg_mg_L, Ca_mg_L, K_mg_L, Na_mg_L, Cl_mg_L]
    raw += [alkalinity_mg_L_HCO3, Mg_to_P_dose, NH3_removed_mg_L, NaOH_added_mmol_L]
    raw += [np.nan if x is None else x for x in (T_reaction_C, pH_target)]
    arrs = dict(
        zip(_ARGS, np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in raw)), strict=True)
    )
    shape = arrs["T_C"].shape
    v = {name: a.reshape(-1) for name, a in arrs.items()}
    for name in ("T_C", "T_reaction_C"):
        _check(name, arrs[name], 0.0, 100.0, "degC", shape)
    _check("pH", arrs["pH"], 0.0, 14.0, "", shape)
    for name in (*WATER_ARGS[2:], *_REACTION_ARGS):
        _check(name, arrs[name], 0.0, None, _UNITS.get(name, "mg L-1"), shape)
    _check("pH_target", arrs["pH_target"], 0.0, 14.0, "", shape)
    with np.errstate(invalid="ignore"):
        over = arrs["NH3_removed_mg_L"] > arrs["NH4_N_mg_L"] * (1.0 + 1e-12)
    if np.any(over):
        i = int(np.flatnonzero(over.reshape(-1))[0])
        raise ParameterError(
            f"struvite.equilibrate: NH3_removed_mg_L = {v['NH3_removed_mg_L'][i]!r} at water "
            f"row {_rows_of(over.reshape(-1), np.arange(over.size), shape)[0]} exceeds the "
            f"ammonia-N of the water, NH4_N_mg_L = {v['NH4_N_mg_L'][i]!r}"
        )
    n_all = v["T_C"].size
    nan_row = np.zeros(n_all, dtype=bool)
    for name in (*WATER_ARGS, *_REACTION_ARGS):  # NaN in the last two has a meaning
        nan_row |= np.isnan(v[name])
    ok = np.flatnonzero(~nan_row)
    out = {name: np.full(n_all, np.nan) for name in _OUT}
    for start in range(0, ok.size, _TILE):
        tile = ok[start : start + _TILE]
        res = _solve({arg: a[tile] for arg, a in v.items()}, tile, shape, precipitate)
        for name in _OUT:
            out[name][tile] = res[name]
    return Equilibrium(**{name: out[name].reshape(shape) for name in _OUT})


class Activities(NamedTuple):
    """Result of :func:`activity_factors`: the water's speciation as activities per total,
    each of shape (n,) (components in the order of ``COMPONENTS``, rows of ``ln_factor``)."""

    #: ln(a_c / T_c) [ln(kg mol-1) ... dimensionless per molal total], shape (8, n): the
    #: free activity of each component's master species per its total molality T_c
    #: (Ca+2, Mg+2, NH4+, PO4-3 over their totals, CO3-2 over total inorganic carbon;
    #: H+ is ln a(H+)); -inf where the component is absent
    ln_factor: FloatArray
    ln_a_H2O: FloatArray  #: ln of the activity of water
    ionic_strength: FloatArray  #: [mol kg-1]
    C_total_mol_kg: FloatArray  #: inorganic carbon from the alkalinity and pH [mol kg-1]


def activity_factors(
    *,
    T_C: ArrayLike,
    pH: ArrayLike,
    NH4_N_mg_L: ArrayLike,
    PO4_P_mg_L: ArrayLike,
    Mg_mg_L: ArrayLike,
    Ca_mg_L: ArrayLike,
    K_mg_L: ArrayLike,
    Na_mg_L: ArrayLike,
    Cl_mg_L: ArrayLike,
    alkalinity_mg_L_HCO3: ArrayLike,
    strict: bool = True,
) -> Activities:
    """Speciate waters (as :func:`~nexus.units.struvite.struvite_equilibrium` speciates its influent) and give each
    component's free activity per its total.

    The speciation of the influent of :func:`~nexus.units.struvite.struvite_equilibrium` (phreeqc.dat's ion
    association model, activity coefficients, ion pairs; carbon from the pH and
    alkalinity, Cl from the charge balance), without dosing or precipitation. The factors
    ``a_c / T_c`` are what a mineral's ion activity product needs from the speciation:
    ``IAP = prod_c (f_c T_c)^nu_c a_H2O^n_w``. They change slowly with the totals at a
    given pH, so a kinetic or equilibrium precipitation model can hold them while its
    totals move (the digester's mineral precipitation does, see
    :func:`nexus.units.adm1.minerals.precipitate_steady`).

    Parameters
    ----------
    T_C, pH, NH4_N_mg_L, PO4_P_mg_L, Mg_mg_L, Ca_mg_L, K_mg_L, Na_mg_L, Cl_mg_L, \
alkalinity_mg_L_HCO3 : array_like
        As :func:`~nexus.units.struvite.struvite_equilibrium`, broadcast to one dimension. Unlike there, a charge
        balance that needs negative Cl is not rejected (a digester's water holds anions,
        volatile fatty acids, that the database does not carry; Cl stands for them).
    strict : bool, default True
        Raise where the speciation does not converge; False: those waters get factors
        -inf (every component absent: nothing can precipitate from them) and NaN.

    Returns
    -------
    Activities

    Raises
    ------
    SolverError
        The Newton iteration did not converge.

    Examples
    --------
    >>> a = activity_factors(T_C=25.0, pH=7.5, NH4_N_mg_L=1000.0, PO4_P_mg_L=100.0,
    ...                      Mg_mg_L=10.0, Ca_mg_L=40.0, K_mg_L=300.0, Na_mg_L=200.0,
    ...                      Cl_mg_L=500.0, alkalinity_mg_L_HCO3=4000.0)
    >>> from nexus.units.struvite.database import COMPONENTS
    >>> f_ca = float(np.exp(a.ln_factor[COMPONENTS.index("Ca+2")][0]))
    >>> 0.2 < f_ca < 0.7, 0.0 < float(a.ionic_strength[0]) < 0.2
    (True, True)
    """
    raw = [T_C, pH, NH4_N_mg_L, PO4_P_mg_L, Mg_mg_L, Ca_mg_L, K_mg_L, Na_mg_L, Cl_mg_L]
    raw.append(alkalinity_mg_L_HCO3)
    arrs = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float)) for v in raw))
    v = dict(zip(WATER_ARGS, (a.reshape(-1) for a in arrs), strict=True))
    b0 = _influent_batch(v)
    with np.errstate(all="ignore"):
        x0, m0, lg0, failed = _newton(_start_influent(b0, v["pH"]), b0, _INFLUENT)
    failed |= ~np.all(np.isfinite(x0), axis=0)
    if failed.any() and strict:
        _raise_rows("speciation", np.flatnonzero(failed), (v["T_C"].size,))
    lna = _ln_activities(x0, m0, lg0)
    c_tot = _mm(_NU[:, _CO3], m0)
    tot = b0.tot.copy()
    tot[_CO3] = c_tot
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_f = np.where(tot > 0, lna - np.log(np.where(tot > 0, tot, 1.0)), -np.inf)
    ln_f[_H] = lna[_H]
    if failed.any():
        ln_f[:, failed] = -np.inf
        x0[:, failed] = np.nan
        c_tot = np.where(failed, np.nan, c_tot)
    return Activities(ln_f, x0[_XAW], np.exp(x0[_XI]), c_tot)


def equilibrate_distinct(**args: ArrayLike | None) -> Equilibrium:
    """:func:`struvite_equilibrium` of each distinct water once; results in the broadcast shape.

    Parameters
    ----------
    **args
        The keyword arguments of :func:`struvite_equilibrium` (None: its default;
        ``precipitate`` a bool, the others arrays).

    Returns
    -------
    Equilibrium
        As :func:`struvite_equilibrium` returns it for ``args``; each distinct
        row of the broadcast arguments is solved once, so the result is exact.

    Notes
    -----
    A digester's effluent is the same all day: a year of hours holds 365
    distinct waters, and the struvite reactor and the ammonia stripper
    (:mod:`nexus.units.stripping`) each equilibrate it through this function.
    """
    precipitate = bool(args.pop("precipitate", True))
    given = {k: np.asarray(a, dtype=float) for k, a in args.items() if a is not None}
    arrays = np.broadcast_arrays(*given.values())
    shape = arrays[0].shape
    table = np.stack([a.ravel() for a in arrays], axis=1)
    # NaN (a floating pH, the influent's temperature) is one value here (np.unique takes
    # no two NaN as equal): keyed as 0 and flagged
    nan = np.isnan(table)
    keys = np.hstack([np.where(nan, 0.0, table), nan])
    _, first, back = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    unique = table[first]
    r = struvite_equilibrium(
        **{k: unique[:, j] for j, k in enumerate(given)},
        precipitate=precipitate,
    )
    return Equilibrium(*(a[back.ravel()].reshape(shape) for a in r))


def equilibrate(**water: Any) -> xr.Dataset:
    """:func:`struvite_equilibrium` as an ``xarray.Dataset``: the public edge, with CF attributes.

    Parameters
    ----------
    **water
        The keyword arguments of :func:`struvite_equilibrium` (the influent, the dose
        and the pH target).

    Returns
    -------
    xarray.Dataset
        The fields of :class:`Equilibrium`, each with ``units`` and
        ``long_name``, over dimension ``water`` (0-d for all-scalar input; an
        N-d broadcast shape is flattened, C order, and kept in the attribute
        ``input_shape``); attributes: the nexus version, the database and the
        solver status.

    Examples
    --------
    >>> ds = equilibrate(T_C=25.0, pH=8.0, NH4_N_mg_L=1000.0, PO4_P_mg_L=100.0,
    ...                  Mg_mg_L=10.0, Ca_mg_L=40.0, K_mg_L=300.0, Na_mg_L=200.0,
    ...                  Cl_mg_L=500.0, alkalinity_mg_L_HCO3=4000.0,
    ...                  Mg_to_P_dose=1.2, pH_target=[float("nan"), 8.5])
    >>> print(ds.P_recovered_fraction.values.round(3), ds.pH_final.values.round(2))
    [0.873 0.97 ] [7.68 8.5 ]
    """
    import inspect

    from nexus._xarray import xr

    accepted = inspect.signature(struvite_equilibrium).parameters
    unknown = [k for k in water if k not in accepted]
    missing = [
        k for k, p in accepted.items() if p.default is inspect.Parameter.empty and k not in water
    ]
    if unknown or missing:
        problem = (
            f"unknown argument(s) {', '.join(unknown)}"
            if unknown
            else f"missing argument(s) {', '.join(missing)}"
        )
        raise ParameterError(f"equilibrate: {problem}; expected: {', '.join(accepted)}")
    r = struvite_equilibrium(**water)
    shape = r.pH_final.shape
    dims = ("water",) if shape else ()
    ds = xr.Dataset(
        {
            k: (
                dims,
                getattr(r, k).reshape(-1) if shape else getattr(r, k),
                {"units": u, "long_name": ln},
            )
            for k, (u, ln) in _OUT.items()
        }
    )
    from nexus import __version__

    ds.attrs["nexus_version"] = __version__
    ds.attrs["database"] = DATABASE
    ds.attrs["solver_status"] = (
        f"converged: mass balances to {_TOL:g} of each total, |SI| of precipitated "
        f"struvite to {_TOL / _LN10:.1g}"
    )
    if shape:  # the broadcast shape of the input, flattened (C order) into `water`
        ds.attrs["input_shape"] = ",".join(str(k) for k in shape)
    return ds


def tune_for_throughput() -> bool:
    """Let the C library keep freed memory for reuse, for the whole process (opt-in).

    Each Newton step of :func:`equilibrate` allocates and frees tens of MB of
    arrays per 10,000 waters. By default glibc's malloc gives back to the system
    what is free above twice its largest freed block (a few MB here), and the
    next step faults the pages in again, zeroed by the kernel. This function
    calls mallopt(3) with ``M_MMAP_THRESHOLD`` 32 MiB and ``M_TRIM_THRESHOLD``
    256 MiB, so that freed memory up to that much stays in the process for
    reuse: :func:`equilibrate` on 10,000 waters then takes 0.112 s instead of
    0.146 s (medians, ``benchmarks/RESULTS.md``), with the same results. nexus
    never calls it itself.

    Returns
    -------
    bool
        True if the C library took both settings (glibc); False where it has no
        ``mallopt`` (macOS, Windows: nothing changed) or refused one.

    Notes
    -----
    Why a function to call once rather than a keyword of :func:`equilibrate`: the
    settings are process-wide and last as long as the process, for every
    allocation of every library and thread in it; glibc has no call that reads
    them back, and once ``M_MMAP_THRESHOLD`` is set its dynamic adjustment
    stays off, so the change cannot be undone. That is the decision of whoever
    owns the process (a script, a benchmark, a sweep worker), taken once at its
    start; a keyword would make a process-wide change look like a per-call option.
    The price: the process keeps up to 256 MiB of freed memory resident.

    Examples
    --------
    >>> from nexus.units import struvite
    >>> struvite.tune_for_throughput()  # doctest: +SKIP
    True
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc malloc.h
    return bool(mallopt(m_mmap_threshold, 32 << 20)) & bool(mallopt(m_trim_threshold, 256 << 20))


def _rows_of(mask: BoolArray, ok: IntArray, shape: tuple[int, ...]) -> list[object]:
    return [
        tuple(int(k) for k in np.unravel_index(int(r), shape)) if shape else ()
        for r in ok[mask][:20]
    ]


def _influent_failed(
    x0: FloatArray, b0: _Batch, failed: BoolArray, ok: IntArray, shape: tuple[int, ...]
) -> None:
    """Raise the error that explains why the speciation of the influent failed."""
    # alkalinity below the non-carbonate alkalinity (that of the water without carbon)?
    sub = b0.take(failed)
    sub = sub._replace(has_pc=sub.has_pc & np.array([[True], [False]]))
    xc = x0[:, failed].copy()
    xc[_XC] = _PINNED
    xc, mc, _, failed_c = _newton(_revise(xc, sub, _INFLUENT)[0], sub, _INFLUENT)
    low_c = np.zeros(failed.size, dtype=bool)
    low_c[failed] = (_ALK @ mc >= sub.alk) & ~failed_c
    if low_c.any():
        raise ParameterError(
            "struvite.equilibrate: alkalinity_mg_L_HCO3 is below the non-carbonate "
            "alkalinity (OH-, NH3, HPO4-2, PO4-3) at this pH, so total carbon would be "
            f"negative, at water row(s) {_rows_of(low_c, ok, shape)}"
        )
    m_f = _evaluate(x0[:, failed], b0.take(failed), _INFLUENT).m
    high_c = np.zeros(failed.size, dtype=bool)
    high_c[failed] = (_NU[:, _CO3] @ m_f > 5.0) | ~np.isfinite(x0[_XC, failed])
    if high_c.any():
        raise ParameterError(
            "struvite.equilibrate: alkalinity_mg_L_HCO3 cannot be reached with carbonate "
            "at this pH (it would need more than 5 mol/kg of carbon) at water row(s) "
            f"{_rows_of(high_c, ok, shape)}"
        )
    _raise_rows("influent speciation", ok[failed], shape)


def _influent_batch(v: dict[str, FloatArray]) -> _Batch:
    """The influents of the waters ``v`` (1-d arrays of the arguments of equilibrate)."""
    g, n = MOLAR_MASS_g_mol, v["T_C"].size
    A, B = debye_huckel_A_B(v["T_C"])
    tot = np.zeros((8, n))
    tot[_NA] = v["Na_mg_L"] / g["Na"] / 1e3
    tot[_K] = v["K_mg_L"] / g["K"] / 1e3
    tot[_CA] = v["Ca_mg_L"] / g["Ca"] / 1e3
    tot[_MG] = v["Mg_mg_L"] / g["Mg"] / 1e3
    tot[_NH4] = v["NH4_N_mg_L"] / g["N"] / 1e3
    tot[_PO4] = v["PO4_P_mg_L"] / g["P"] / 1e3
    tot = np.where(tot > _MIN_TOTAL, tot, 0.0)
    every = np.ones(n, dtype=bool)
    return _Batch(
        tterms=_t_terms(v["T_C"] + 273.15).T,
        A=A,
        B=B,
        tot=tot,
        cl=v["Cl_mg_L"] / g["Cl"] / 1e3,  # a first guess: Cl balances the charge
        alk=v["alkalinity_mg_L_HCO3"] / g["HCO3"] / 1e3,
        ph_fixed=every,
        has_pc=np.stack([tot[_PO4] > 0, every]),
        lnksp=log_k("Struvite", v["T_C"]) * _LN10,
        o_tot=np.zeros(n),
        precip=np.zeros(n, dtype=bool),
    )


def _dosed_batch(
    v: dict[str, FloatArray], b0: _Batch, x0: FloatArray, m0: FloatArray
) -> tuple[_Batch, FloatArray]:
    """The waters after MgCl2 and NaOH dosing and NH3 removal (closed system) at the
    reaction's temperature, and a first guess: (batch, x)."""
    dose = v["Mg_to_P_dose"] * b0.tot[_PO4]
    base = v["NaOH_added_mmol_L"] / 1e3
    tot = b0.tot.copy()
    tot[_MG] += dose
    tot[_NA] += base
    nh4 = tot[_NH4] - v["NH3_removed_mg_L"] / MOLAR_MASS_g_mol["N"] / 1e3
    tot[_NH4] = np.where(nh4 > _MIN_TOTAL, nh4, 0.0)  # NH3 leaves, its proton stays
    c_tot = _mm(_NU[:, _CO3], m0)
    tot[_CO3] = np.where(c_tot > _MIN_TOTAL, c_tot, 0.0)
    fixed = ~np.isnan(v["pH_target"])
    T_r = _T_reaction(v)
    A, B = debye_huckel_A_B(T_r)
    b1 = b0._replace(
        tterms=_t_terms(T_r + 273.15).T,
        A=A,
        B=B,
        lnksp=log_k("Struvite", T_r) * _LN10,
        tot=tot,
        cl=x0[_XQ] + 2.0 * dose,
        ph_fixed=fixed,
        has_pc=tot[[_PO4, _CO3]] > 0,
        # oxygen of the influent's 1 kg of water and solutes (MgCl2 and NH3 bring none,
        # NaOH one per mol)
        o_tot=1.0 / _M_H2O_kg + _mm(_OXY, m0) + base,
    )
    x1 = x0.copy()
    x1[_XH] = np.where(fixed, -v["pH_target"] * _LN10, x0[_XH])
    x1[_XC] = np.where(b1.has_pc[1], x0[_XC], _PINNED)
    x1[[_XW, _XS, _XQ]] = 0.0
    return b1, x1


def _T_reaction(v: dict[str, FloatArray]) -> FloatArray:
    """Temperature of the reaction [degC]: ``T_reaction_C``, the influent's where NaN."""
    return np.where(np.isnan(v["T_reaction_C"]), v["T_C"], v["T_reaction_C"])


def _solve(
    v: dict[str, FloatArray], ok: IntArray, shape: tuple[int, ...], precipitate: bool = True
) -> dict[str, FloatArray]:
    """Solve the waters ``v`` (1-d arrays, no NaN except T_reaction_C and pH_target); ``ok``
    maps to batch rows; struvite forms where supersaturated if ``precipitate``."""
    T_C, g = v["T_C"], MOLAR_MASS_g_mol
    T_r = _T_reaction(v)

    # 1. influent: carbon from alkalinity, Cl from the charge balance
    b0 = _influent_batch(v)
    x0, m0, lg0, failed = _newton(_start_influent(b0, v["pH"]), b0, _INFLUENT)
    if failed.any():
        _influent_failed(x0, b0, failed, ok, shape)
    cl_bal = x0[_XQ]
    if np.any(cl_bal < 0):
        raise ParameterError(
            "struvite.equilibrate: Cl_mg_L: the charge balance of the influent needs "
            "negative Cl (cations short of the anions given by alkalinity and phosphate) at "
            f"water row(s) {_rows_of(cl_bal < 0, ok, shape)}; expected Cl_balanced >= 0"
        )
    lna0 = _ln_activities(x0, m0, lg0)

    # 2. dose MgCl2, precipitate struvite in the closed system
    b1, x1 = _dosed_batch(v, b0, x0, m0)
    xf, mf, lgf, s = _precipitate(*_revise(x1, b1, _REACTION), b1, ok, shape, precipitate)
    W = np.exp(xf[_XW])
    base = np.where(b1.ph_fixed, xf[_XQ], 0.0)
    lnaf = _ln_activities(xf, mf, lgf)
    cl_f = (b1.cl + np.maximum(-base, 0.0)) / W
    p0 = b0.tot[_PO4]
    p_frac = np.divide(s, p0, out=np.zeros_like(s), where=p0 > 0)
    return {
        "SI_struvite_initial": _si(lna0, x0[_XAW], T_C, "Struvite"),
        "ionic_strength_initial": np.exp(x0[_XI]),
        "struvite_mol_L": s,
        "struvite_kg_m3": s * STRUVITE_g_mol,
        "P_recovered_fraction": p_frac,
        "pH_final": -xf[_XH] / _LN10,
        "NaOH_mmol_L": base * 1e3 + v["NaOH_added_mmol_L"],
        "residual_PO4_P_mg_L": W * _mm(_NU[:, _PO4], mf) * g["P"] * 1e3,
        "residual_NH4_N_mg_L": W * _mm(_NU[:, _NH4], mf) * g["N"] * 1e3,
        "residual_Mg_mg_L": W * _mm(_NU[:, _MG], mf) * g["Mg"] * 1e3,
        "SI_struvite_final": _si(lnaf, xf[_XAW], T_r, "Struvite"),
        "SI_hydroxyapatite_initial": _si(lna0, x0[_XAW], T_C, "Hydroxyapatite"),
        "SI_calcite_initial": _si(lna0, x0[_XAW], T_C, "Calcite"),
        "SI_calcite_final": _si(lnaf, xf[_XAW], T_r, "Calcite"),
        "Cl_balanced_mg_L": cl_bal * g["Cl"] * 1e3,
        # diagnostics (not in the Dataset): charge balance / sum |z| m after precipitation
        "_charge_imbalance_frac": (_mm(_Z, mf) - cl_f) / (_mm(np.abs(_Z), mf) + cl_f),
        "_water_kg": W,
    }
