"""Mineral precipitation in the digester: the ADM1 phosphorus extension's rate form.

Inorganic phosphorus (``S_IP``, a state of ADM1 here), calcium, magnesium and
ammonium precipitate as amorphous calcium phosphate (ACP, Ca3(PO4)2), struvite
(MgNH4PO4·6H2O) and calcite (CaCO3), with the rate form of the multiple-minerals
precipitation model of Kazadi Mbamba et al. (2015) [1]_ as the ADM1 phosphorus extension
of Flores-Alsina et al. (2016) [2]_ uses it:

.. math::

    r_m = k_m X_m \\sigma_m^{n_m}, \\qquad
    \\sigma_m = \\left(\\frac{IAP_m}{K_{sp,m}}\\right)^{1/\\nu_m} - 1 \\quad (\\sigma_m > 0),

with :math:`X_m` the mineral present [kg m-3], :math:`\\nu_m` the number of ions in
its formula (ACP 5, struvite 3, calcite 2), :math:`k_m` and :math:`n_m` the rate
constant and order (:class:`MineralParams`). The ion activity product is computed by
nexus's own aqueous speciation (:mod:`nexus.units.struvite`: phreeqc.dat's ion
association model, activity coefficients and ion pairs), and the solubility products
are those of the same database module (:func:`nexus.units.struvite.log_k`:
``"Ca3(PO4)2(beta)"``, ``"Struvite"``, ``"Calcite"``), so that the digester and the
struvite reactor speak one chemistry.

Contents
--------
- :data:`MINERALS`, :data:`STOICHIOMETRY`, :data:`MOLAR_MASS_g_mol`: the minerals;
- :class:`MineralParams`: rate constants and orders, each with its source;
- :func:`precipitation_rate`: the rate form above;
- :func:`steady_log_omega`: the saturation ratio at which a mineral that is present in a
  steady-state reactor grows as fast as it is washed out;
- :func:`precipitate_steady`: the amounts precipitated in a steady-state reactor, every
  mineral at that saturation or below it and absent, for held activity factors;

The digester (:func:`nexus.units.digester.digest_by_day`) runs ADM1 quasi-steady day by
day and so uses the steady state of the rate form; see :func:`precipitate_steady`.

References
----------
.. [1] Kazadi Mbamba, C., Batstone, D.J., Flores-Alsina, X., Tait, S. (2015), A
   systematic study of multiple minerals precipitation modelling in wastewater
   treatment, Water Res. 85:359-370, doi:10.1016/j.watres.2015.08.041.
.. [2] Flores-Alsina, X., Solon, K., Kazadi Mbamba, C., Tait, S., Gernaey, K.V.,
   Jeppsson, U., Batstone, D.J. (2016), Modelling phosphorus (P), sulfur (S) and iron
   (Fe) interactions for dynamic simulations of anaerobic digestion processes, Water
   Res. 95:370-382, doi:10.1016/j.watres.2016.03.012.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nexus.constants import MOLAR_MASS_g_mol as _G
from nexus.units.params import Params, field

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from nexus._typing import BoolArray, FloatArray

__all__ = [
    "ION_COMPONENTS",
    "MINERALS",
    "PHASE_OF",
    "STOICHIOMETRY",
    "MOLAR_MASS_g_mol",
    "MineralParams",
    "precipitate_steady",
    "precipitation_rate",
    "steady_log_omega",
]

#: The minerals, in the order of every mineral axis.
MINERALS: tuple[str, ...] = ("ACP", "struvite", "calcite")
#: Their phase in :mod:`nexus.units.struvite.database` (its solubility product).
PHASE_OF: dict[str, str] = {
    "ACP": "Ca3(PO4)2(beta)",
    "struvite": "Struvite",
    "calcite": "Calcite",
}
#: The dissolved components a mineral is made of, in the order of every component axis:
#: total Ca, Mg, ammonium N (NH4+ + NH3), inorganic P and inorganic C.
ION_COMPONENTS: tuple[str, ...] = ("Ca", "Mg", "NH4", "PO4", "CO3")
#: Moles of each component per mole of mineral (rows: MINERALS, columns: ION_COMPONENTS);
#: the ions of its dissolution reaction as :mod:`nexus.units.struvite.database` writes it.
STOICHIOMETRY: FloatArray = np.array(
    [
        [3.0, 0.0, 0.0, 2.0, 0.0],  # Ca3(PO4)2 = 3 Ca+2 + 2 PO4-3
        [0.0, 1.0, 1.0, 1.0, 0.0],  # MgNH4PO4:6H2O = Mg+2 + NH4+ + PO4-3 + 6 H2O
        [1.0, 0.0, 0.0, 0.0, 1.0],  # CaCO3 = Ca+2 + CO3-2
    ]
)
#: H2O released by the dissolution of a mole of each mineral (struvite's 6).
_WATER = np.array([0.0, 6.0, 0.0])
#: Ions per formula unit, nu of the rate form (ACP 5, struvite 3, calcite 2).
N_IONS: FloatArray = STOICHIOMETRY.sum(axis=1)
#: Molar mass of each mineral [g/mol], from nexus's table of element masses.
MOLAR_MASS_g_mol: dict[str, float] = {
    "ACP": 3 * _G["Ca"] + 2 * (_G["P"] + 4 * _G["O"]),
    "struvite": _G["MgNH4PO4.6H2O"],
    "calcite": _G["Ca"] + _G["C"] + 3 * _G["O"],
}

_QSDSAN = (
    "Flores-Alsina et al. 2016 (Water Res. 95:370) after Kazadi Mbamba et al. 2015 (Water Res. "
    "85:359); the papers were not retrieved here: transcribed from QSDsan's ModifiedADM1 "
    "(qsdsan/processes/_madm1.py, defaults k_cryst [h-1] and n_cryst, in the order X_CCM, "
    "X_ACC, X_ACP, X_HAP, X_DCPD, X_OCP, X_struv, ...), which carries them as the paper's"
)


@dataclass(frozen=True, kw_only=True)
class MineralParams(Params):
    """Precipitation kinetics of the ADM1 phosphorus extension
    (:func:`~nexus.units.adm1.minerals.precipitation_rate`)."""

    k_ACP_h: float = field(
        3.0, unit="h-1", low=1e-6, high=1e4, source=_QSDSAN + ": X_ACP k_cryst 3.0",
        doc="precipitation rate constant of amorphous calcium phosphate")  # fmt: skip
    k_struvite_h: float = field(
        5.0, unit="h-1", low=1e-6, high=1e4, source=_QSDSAN + ": X_struv k_cryst 5.0",
        doc="precipitation rate constant of struvite")  # fmt: skip
    k_calcite_h: float = field(
        0.35, unit="h-1", low=1e-6, high=1e4, source=_QSDSAN + ": X_CCM k_cryst 0.35",
        doc="precipitation rate constant of calcite")  # fmt: skip
    n_ACP: float = field(
        2.0, unit="1", low=1.0, high=4.0, source=_QSDSAN + ": X_ACP n_cryst 2",
        doc="order of the ACP precipitation rate in the supersaturation")  # fmt: skip
    n_struvite: float = field(
        3.0, unit="1", low=1.0, high=4.0, source=_QSDSAN + ": X_struv n_cryst 3",
        doc="order of the struvite precipitation rate in the supersaturation")  # fmt: skip
    n_calcite: float = field(
        2.0, unit="1", low=1.0, high=4.0, source=_QSDSAN + ": X_CCM n_cryst 2",
        doc="order of the calcite precipitation rate in the supersaturation")  # fmt: skip

    def rate_constants_d(self) -> FloatArray:
        """k of :data:`~nexus.units.adm1.minerals.MINERALS` [d-1]."""
        return 24.0 * np.array([self.k_ACP_h, self.k_struvite_h, self.k_calcite_h])

    def orders(self) -> FloatArray:
        """n of :data:`~nexus.units.adm1.minerals.MINERALS` [1]."""
        return np.array([self.n_ACP, self.n_struvite, self.n_calcite])


def precipitation_rate(
    X_kg_m3: ArrayLike, log_omega: ArrayLike, k_d: ArrayLike, n: ArrayLike, nu: ArrayLike
) -> FloatArray:
    """Precipitation rate of a mineral [kg m-3 d-1], ``k X sigma^n`` (Kazadi Mbamba et al. 2015).

    Parameters
    ----------
    X_kg_m3 : array_like
        Mineral present [kg m-3].
    log_omega : array_like
        Saturation index log10(IAP/Ksp) [1].
    k_d, n, nu : array_like
        Rate constant [d-1], order [1], ions per formula unit [1].

    Returns
    -------
    numpy.ndarray
        ``k X sigma^n`` with ``sigma = (IAP/Ksp)^(1/nu) - 1`` where supersaturated, else 0
        (the extension's rate form precipitates only).

    Examples
    --------
    >>> round(float(precipitation_rate(1.0, 5 * np.log10(1.1), 72.0, 2.0, 5.0)), 6)
    0.72
    """
    sigma = 10.0 ** (np.asarray(log_omega, dtype=float) / np.asarray(nu, dtype=float)) - 1.0
    sigma = np.maximum(sigma, 0.0)
    return np.asarray(k_d, dtype=float) * np.asarray(X_kg_m3, dtype=float) * sigma ** np.asarray(n)


def steady_log_omega(
    removal_d: ArrayLike, k_d: ArrayLike, n: ArrayLike, nu: ArrayLike
) -> FloatArray:
    """Saturation index at which a mineral present in a steady-state reactor stays so.

    A mineral present leaves with the solids at ``removal_d x X`` (``removal_d`` =
    1 / (HRT + extra solids retention)) and grows at ``k X sigma^n``; a steady state with
    ``X > 0`` has ``k sigma^n = removal_d``, whatever ``X``:
    ``log10(IAP/Ksp) = nu log10(1 + (removal_d / k)^(1/n))``.

    Examples
    --------
    >>> round(float(steady_log_omega(1.0 / 30.0, 72.0, 2.0, 5.0)), 4)
    0.0462
    """
    ratio = np.asarray(removal_d, dtype=float) / np.asarray(k_d, dtype=float)
    return np.asarray(nu, dtype=float) * np.log10(1.0 + ratio ** (1.0 / np.asarray(n, dtype=float)))


def _phi(
    xi: FloatArray, T: FloatArray, ln_f: FloatArray, c_m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """The convex potential whose minimum over xi >= 0 is the steady state (rows last)."""
    Tp = T - STOICHIOMETRY.T @ xi
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(Tp > 0, Tp * (np.log(np.where(Tp > 0, Tp, 1.0)) - 1.0 + ln_f), 0.0)
    terms = np.where(np.isfinite(ln_f), terms, 0.0)
    return terms.sum(axis=0) + (c_m * xi).sum(axis=0), Tp


def precipitate_steady(
    totals_mol_kg: ArrayLike,
    ln_factor: ArrayLike,
    ln_a_H2O: ArrayLike,
    log_omega_steady: ArrayLike,
    ln_K: ArrayLike,
    *,
    tol: float = 1e-10,
    guess: ArrayLike | None = None,
) -> FloatArray:
    """Amounts of each mineral precipitated in a steady-state reactor, activity factors held.

    Parameters
    ----------
    totals_mol_kg : array_like, shape (5, n)
        Dissolved totals of :data:`ION_COMPONENTS` before precipitation [mol kg-1].
    ln_factor : array_like, shape (5, n)
        ln of each component's free activity per its total (the speciation's
        :attr:`nexus.units.struvite.equilibrium.Activities.ln_factor`), held; -inf where
        absent.
    ln_a_H2O : array_like, shape (n,)
        ln of the activity of water, held.
    log_omega_steady : array_like, shape (3, n) or (3, 1)
        The saturation index at which each mineral present stays so
        (:func:`steady_log_omega`).
    ln_K : array_like, shape (3, n) or (3, 1)
        ln of each mineral's solubility product (:func:`nexus.units.struvite.log_k` x ln 10).
    guess : array_like, shape (3, n), optional
        A nearby solution (an earlier iteration's): each row first tries the set of
        minerals formed there, starting from it; a row it does not solve is solved as
        without a guess.
    tol : float
        Convergence of the Newton iteration on the saturation of each mineral that forms
        (``|ln(IAP / (Ksp Omega*))|``), or a Newton step below 1e-14 of the largest total
        (where a component is nearly used up, rounding bounds the first).

    Returns
    -------
    numpy.ndarray, shape (3, n)
        Moles of each mineral of :data:`MINERALS` formed per kg of water.

    Notes
    -----
    With the factors ``f_c = a_c / T_c`` held, ``ln IAP_m = sum_c nu_mc ln(f_c T'_c) +
    n_w ln a_H2O`` with the totals ``T' = T - S^T xi`` left; the steady state (each
    mineral either present at ``log_omega_steady`` or absent and not above it) is the
    minimum over ``xi >= 0`` of the convex function
    ``sum_c T'_c (ln(f_c T'_c) - 1) + sum_m xi_m (ln K_m + ln 10 log_omega_steady_m - n_w
    ln a_H2O)``, whose gradient is ``-(ln IAP_m - ln(K_m Omega*_m))``. It is unique (the
    minerals' stoichiometries are independent), found by Newton's method with a
    backtracking line search on every set of minerals formed (8 sets) and the set that
    satisfies the optimality conditions kept. A mineral whose component is absent does
    not form.

    Examples
    --------
    Calcite alone at a held activity factor of 1 and Ksp 1e-8: what remains is 1e-4 each.

    >>> T = np.array([[2e-4], [0.0], [0.0], [0.0], [2e-4]])
    >>> f = np.where(T > 0, 0.0, -np.inf)
    >>> xi = precipitate_steady(T, f, np.zeros(1), np.zeros((3, 1)),
    ...                         np.log(np.array([[1e-30], [1e-13], [1e-8]])))
    >>> print(np.round(xi[:, 0] * 1e4, 6))
    [0. 0. 1.]
    """
    T = np.asarray(totals_mol_kg, dtype=float)
    n = T.shape[1]
    ln_f = np.asarray(ln_factor, dtype=float)
    law = np.broadcast_to(np.asarray(ln_a_H2O, dtype=float), (n,))
    ln_target = np.broadcast_to(
        np.asarray(ln_K, dtype=float) + np.log(10.0) * np.asarray(log_omega_steady, dtype=float),
        (3, n),
    )
    c_m = ln_target - _WATER[:, None] * law  # d phi / d xi_m = -(ln IAP_m - ln target_m)
    S = STOICHIOMETRY
    uses = S > 0
    possible = np.all(np.isfinite(ln_f)[None, :, :] | ~uses[:, :, None], axis=1)  # (3, n)
    possible &= np.all((T[None, :, :] > 0) | ~uses[:, :, None], axis=1)

    def g(xi: FloatArray) -> tuple[FloatArray, FloatArray]:
        """ln IAP - ln target of each mineral (3, n), -inf where impossible."""
        Tp = T - S.T @ xi
        with np.errstate(divide="ignore", invalid="ignore"):
            lnT = np.log(np.where(Tp > 0, Tp, 0.0)) + np.where(np.isfinite(ln_f), ln_f, 0.0)
        val = (S[:, :, None] * np.where(uses[:, :, None], lnT[None, :, :], 0.0)).sum(axis=1)
        return np.where(possible, val - c_m, -np.inf), Tp

    best = np.zeros((3, n))
    found = np.zeros(n, dtype=bool)
    g0, _ = g(best)
    found |= np.all(g0 <= 1e-12, axis=0)  # nothing supersaturated beyond its target
    sets = [np.array(s, dtype=bool) for s in np.ndindex(2, 2, 2) if any(s)]
    sets.sort(key=lambda s: s.sum())
    tries: list[tuple[BoolArray, BoolArray | None]] = [(a, None) for a in sets]
    start_xi = np.zeros((3, n))
    if guess is not None:
        g_xi = np.broadcast_to(np.asarray(guess, dtype=float), (3, n))
        g_set = g_xi > 0
        feasible = np.all(T - S.T @ np.where(g_set, g_xi, 0.0) > 0, axis=0)
        start_xi = np.where(g_set & feasible, g_xi, 0.0)
        tries = [(a, np.all(g_set == a[:, None], axis=0)) for a in sets] + tries
    for active, only in tries:
        rows = (~found) & np.all(possible[active], axis=0)
        if only is not None:
            rows &= only
        if not rows.any():
            continue
        idx = np.flatnonzero(rows)
        Ti, fi, ci = T[:, idx], ln_f[:, idx], c_m[:, idx]
        Sa = S[active]  # (k, 5)
        xi = np.zeros((3, idx.size))
        if only is not None:  # from the guess
            xi[active] = start_xi[active][:, idx]
        ok = np.zeros(idx.size, dtype=bool)
        for _ in range(200):
            Tp = Ti - S.T @ xi
            with np.errstate(divide="ignore", invalid="ignore"):
                lnT = np.log(np.where(Tp > 0, Tp, 1.0)) + np.where(np.isfinite(fi), fi, 0.0)
            resid = (Sa[:, :, None] * np.where(Sa[:, :, None] > 0, lnT[None], 0.0)).sum(1) - ci[
                active
            ]
            ok = np.all(np.abs(resid) < tol, axis=0)
            if ok.all():
                break
            inv = np.where(Tp > 0, 1.0 / np.where(Tp > 0, Tp, 1.0), 0.0)  # (5, m)
            H = np.einsum("ac,bc,cm->mab", Sa, Sa, inv)  # d(-resid)/d xi_active
            step = np.linalg.solve(H, resid.T[..., None])[..., 0].T  # Newton on grad phi = -resid
            # converged to rounding: a component nearly used up holds ln T' to eps T / T' only
            ok |= np.all(np.abs(step) <= 1e-14 * Ti.max(axis=0), axis=0)
            if ok.all():
                break
            phi0, _ = _phi(xi, Ti, fi, ci)
            t = np.ones(idx.size)
            for _ in range(60):
                trial = xi.copy()
                trial[active] = xi[active] + t * step
                phi1, Tt = _phi(trial, Ti, fi, ci)
                with np.errstate(divide="ignore", invalid="ignore"):
                    lnTt = np.log(np.where(Tt > 0, Tt, 1.0)) + np.where(np.isfinite(fi), fi, 0.0)
                r1 = (Sa[:, :, None] * np.where(Sa[:, :, None] > 0, lnTt[None], 0.0)).sum(1)
                r1 = np.abs(r1 - ci[active]).max(axis=0)
                # Armijo on phi, or (where phi's change is below its rounding) a smaller residual
                better = (phi1 <= phi0 + 1e-4 * t * -(resid * step).sum(0)) | (
                    r1 < 0.9 * np.abs(resid).max(axis=0)
                )
                bad = np.any((Tt <= 0) & (Ti > 0), axis=0) | ~better
                bad &= ~ok
                if not bad.any():
                    break
                t = np.where(bad, 0.5 * t, t)
            xi[active] = np.where(ok, xi[active], xi[active] + t * step)
        # optimal: every formed mineral >= 0 (converged) and the others not above target
        Tp = Ti - S.T @ xi
        with np.errstate(divide="ignore", invalid="ignore"):
            lnT = np.log(np.where(Tp > 0, Tp, 0.0)) + np.where(np.isfinite(fi), fi, 0.0)
        gall = (S[:, :, None] * np.where(uses[:, :, None], lnT[None], 0.0)).sum(1) - ci
        gall = np.where(possible[:, idx], gall, -np.inf)
        good = ok & np.all(xi[active] >= 0.0, axis=0) & np.all(gall[~active] <= 1e-9, axis=0)
        best[:, idx[good]] = xi[:, good]
        found[idx[good]] = True
    if not found.all():
        from nexus.errors import SolverError

        raise SolverError(
            f"precipitate_steady: no set of minerals satisfies the steady state for rows "
            f"{np.flatnonzero(~found)[:20].tolist()}"
        )
    return best
