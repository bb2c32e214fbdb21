"""Struvite (MgNH4PO4·6H2O) precipitation from anaerobic effluent and urine.

Aqueous speciation reproduces PHREEQC (Parkhurst & Appelo 2013) with its
``phreeqc.dat`` database for the system H-O-Na-K-Ca-Mg-Cl-N(-3)-P-C(4): the same
species, log K and their temperature dependence, activity coefficients and
activity of water, so that a saturation index computed here is PHREEQC's. On
top of it, struvite precipitates to equilibrium in a closed system after Mg is
dosed as MgCl2, with the pH either floating or held with NaOH (or HCl).

All waters of a call are solved at once by a vectorized Newton method: pure
functions on broadcasting numpy arrays, results in an :class:`xarray.Dataset`
with dimension ``water``.

Contents
--------
- :func:`equilibrate`: speciation of the influent, Mg dosing, struvite
  precipitation; saturation indices of struvite, hydroxyapatite and calcite;
- :class:`StruviteReactorParams`, :func:`struvite_reactor`: a struvite reactor
  on a flow (struvite harvested, fertilizer value, Mg and NaOH use);
- :func:`log_k`, :func:`debye_huckel_A_B`: the constants as phreeqc.dat and
  PHREEQC compute them.

Conventions
-----------
Inputs are in mg/L: N as N, P as P, alkalinity as mg/L HCO3- (1 mmol of
alkalinity = 61.0191 mg HCO3-). 1 L of influent = 1 kg of water. In the
closed reactor the mass of water then changes as in PHREEQC (from the oxygen
balance): struvite takes its 6 H2O out of the solution, neutralisation by NaOH
forms water. Amounts after the reaction (struvite, residual P, N, Mg, NaOH) are
per litre of influent, so that they close the mass balances. Molar masses of the
inputs are phreeqc.dat's element masses (Mg 24.312, K 39.102 g/mol, ...), so
that a mg/L value means the same moles as in PHREEQC.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import xarray as xr

from nexus.errors import ParameterError, SolverError
from nexus.units.params import Params, field

__all__ = [
    "COMPONENTS",
    "DATABASE",
    "P2O5_PER_P",
    "SPECIES",
    "STRUVITE_LOG_KSP_25C",
    "M_g_mol",
    "ReactorResult",
    "STRUVITE_DELTA_H_kJ_mol",
    "STRUVITE_g_mol",
    "StruviteReactorParams",
    "debye_huckel_A_B",
    "equilibrate",
    "log_k",
    "struvite_reactor",
]

#: The database whose constants this module carries.
DATABASE: str = (
    "phreeqc.dat as shipped with phreeqpython 1.6.2 (PHREEQC 3.7.3, IPhreeqc "
    "3.7.3-15968; the pressure-dependent version with molar volumes, Appelo et al. "
    "2014, Geochim. Cosmochim. Acta 125:49, doi:10.1016/j.gca.2013.10.003)"
)

#: log10 of the solubility product of struvite at 25 degC: Ohlinger et al. 1998,
#: Water Res. 32:3607, doi:10.1016/S0043-1354(98)00123-6; Ronteltap et al. 2007,
#: Water Res. 41:977, doi:10.1016/j.watres.2006.11.046 (abstract: 10^(-13.26 +/- 0.057)
#: from hydrolysed urine at I 0.33-0.56 M, fitted with Davies activity coefficients,
#: A 0.509, B 0.3; used here with phreeqc.dat's activity model, see equilibrate Notes).
STRUVITE_LOG_KSP_25C: float = -13.26

#: Dissolution enthalpy of struvite [kJ/mol] for van 't Hoff: Ronteltap et al. 2007
#: (abstract: 22.6 +/- 1.1 kJ/mol).
STRUVITE_DELTA_H_kJ_mol: float = 22.6

#: Molar mass of struvite MgNH4PO4·6H2O [g/mol] (IUPAC 2013 standard atomic weights).
STRUVITE_g_mol: float = 245.41

# ----------------------------------------------------------------- constants of PHREEQC

_LN10 = math.log(10.0)
_R_kJ = 0.00831470  # PHREEQC global_structures.h, R_KJ_DEG_MOL
_KCAL = 4.184  # kJ per kcal, PHREEQC JOULES_PER_CALORIE
_AVOGADRO = 6.02252e23  # PHREEQC global_structures.h
_PI = 3.14159265358979  # PHREEQC global_structures.h
_AH2O_FACTOR = 0.017  # PHREEQC: a_H2O = 1 - 0.017 sum(m_i)

#: Master species (components) of the speciation and their index.
COMPONENTS: tuple[str, ...] = ("H+", "Na+", "K+", "Ca+2", "Mg+2", "NH4+", "PO4-3", "CO3-2")
_H, _NA, _K, _CA, _MG, _NH4, _PO4, _CO3 = range(8)
#: Unknowns of the Newton iteration: the 8 components, ln I, ln a_H2O, ln of the
#: mass of water [kg] and q (Cl total in the influent, base dose at a held pH).
_LNI, _LNW, _KGW, _Q = 8, 9, 10, 11
_NX = 12
_NEQ = 11  # charge, 7 mass balances (or alkalinity), I, a_H2O, oxygen (mass of water)
#: Molar mass of water [kg/mol] from phreeqc.dat's element masses (H 1.008, O 16.0).
_M_H2O_kg = (2 * 1.008 + 16.0) / 1e3

#: Element masses of phreeqc.dat (SOLUTION_MASTER_SPECIES, element_gfw) [g/mol].
_GFW = {
    "Na": 22.9898,
    "K": 39.102,
    "Ca": 40.08,
    "Mg": 24.312,
    "Cl": 35.453,
    "N": 14.0067,
    "P": 30.9738,
    "HCO3": 1.008 + 12.0111 + 3 * 16.0,  # gfw of the formula HCO3 in phreeqc.dat
}

# Reactions of phreeqc.dat (DATABASE, SOLUTION_SPECIES and PHASES) as written there:
# (log_k at 25 degC, delta_h [kJ/mol; kcal x 4.184 where the file gives kcal],
# analytical expression A1..A6 or None). PHREEQC uses the analytical expression
# when one is given, else van 't Hoff with delta_h (select_log_k_expression).
# phreeqc.dat names a primary source only for H3PO4 (minteq.v4.dat, NIST 46.3), for
# the -gamma of Na+ ("halite solubility") and Cl- ("cf. pitzer.dat"); the others
# are the database's own values. Where -gamma is given twice PHREEQC keeps the last.
_RXN: dict[str, tuple[float, float, tuple[float, ...] | None]] = {
    # H2O = OH- + H+ (only an analytical expression is given)
    "OH-": (math.nan, math.nan, (293.29227, 0.1360833, -10576.913, -123.73158, 0.0, -6.996455e-5)),
    # CO3-2 + H+ = HCO3-
    "HCO3-": (10.329, -3.561 * _KCAL, (107.8871, 0.03252849, -5151.79, -38.92561, 563713.9)),
    # CO3-2 + 2 H+ = CO2 + H2O
    "CO2": (16.681, -5.738 * _KCAL, (464.1965, 0.09344813, -26986.16, -165.75951, 2248628.9)),
    # 2 CO2 = (CO2)2
    "(CO2)2": (-1.8, 0.0, (8.68, -0.0103, -2190.0)),
    # NH4+ = NH3 + H+
    "NH3": (-9.252, 12.48 * _KCAL, (0.6322, -0.001225, -2835.76)),
    # PO4-3 + H+ = HPO4-2 ; + 2 H+ = H2PO4- ; + 3 H+ = H3PO4 (minteq.v4, NIST46.3)
    "HPO4-2": (12.346, -3.530 * _KCAL, None),
    "H2PO4-": (19.553, -4.520 * _KCAL, None),
    "H3PO4": (21.721, -10.1, None),
    # Ca+2 + H2O = CaOH+ + H+
    "CaOH+": (-12.78, 0.0, None),
    "CaCO3": (3.224, 3.545 * _KCAL, (-1228.732, -0.299440, 35512.75, 485.818)),
    # Ca+2 + CO3-2 + H+ = CaHCO3+
    "CaHCO3+": (11.435, -0.871 * _KCAL, (1317.0071, 0.34546894, -39916.84, -517.70761, 563713.9)),
    "CaPO4-": (6.459, 3.10 * _KCAL, None),
    # Ca+2 + HPO4-2 = CaHPO4 ; Ca+2 + H2PO4- = CaH2PO4+
    "CaHPO4": (2.739, 3.3 * _KCAL, None),
    "CaH2PO4+": (1.408, 3.4 * _KCAL, None),
    "MgOH+": (-11.44, 15.952 * _KCAL, None),
    "MgCO3": (2.98, 2.713 * _KCAL, (0.9910, 0.00667)),
    "MgHCO3+": (11.399, -2.771 * _KCAL, (48.6721, 0.03252849, -2614.335, -18.00263, 563713.9)),
    "MgPO4-": (6.589, 3.10 * _KCAL, None),
    "MgHPO4": (2.87, 3.3 * _KCAL, None),
    "MgH2PO4+": (1.513, 3.4 * _KCAL, None),
    # Na+ + OH- = NaOH ("remove this complex": log_k -10)
    "NaOH": (-10.0, 0.0, None),
    "NaCO3-": (1.27, 8.91 * _KCAL, None),
    # Na+ + HCO3- = NaHCO3 ; Na+ + HPO4-2 = NaHPO4- ; K+ + HPO4-2 = KHPO4-
    "NaHCO3": (-0.25, -1.0 * _KCAL, None),
    "NaHPO4-": (0.29, 0.0, None),
    "KHPO4-": (0.29, 0.0, None),
    # PHASES
    "Calcite": (-8.48, -2.297 * _KCAL, (-171.9065, -0.077993, 2839.319, 71.595)),
    # Ca5(PO4)3OH + 4 H+ = H2O + 3 HPO4-2 + 5 Ca+2
    "Hydroxyapatite": (-3.421, -36.155 * _KCAL, None),
    # MgNH4PO4:6H2O = Mg+2 + NH4+ + PO4-3 + 6 H2O (this module, see STRUVITE_LOG_KSP_25C)
    "Struvite": (STRUVITE_LOG_KSP_25C, STRUVITE_DELTA_H_kJ_mol, None),
}

# Aqueous species: name, charge, stoichiometry in COMPONENTS, H2O in the formation
# reaction, reactions of _RXN summed into the formation log K, activity coefficient
# (a, b) of -gamma (WATEQ Debye-Hückel), "davies" (charged without -gamma) or
# "neutral" (log gamma = 0.1 I, PHREEQC's default for uncharged species).
_SPECIES_TABLE: tuple[tuple, ...] = (
    ("H+", 1, {"H+": 1}, 0, (), (9.0, 0.0)),
    ("OH-", -1, {"H+": -1}, 1, ("OH-",), (3.5, 0.0)),
    ("Na+", 1, {"Na+": 1}, 0, (), (4.08, 0.082)),  # halite solubility
    ("K+", 1, {"K+": 1}, 0, (), (3.5, 0.015)),
    ("Ca+2", 2, {"Ca+2": 1}, 0, (), (5.0, 0.1650)),
    ("Mg+2", 2, {"Mg+2": 1}, 0, (), (5.5, 0.20)),
    ("NH4+", 1, {"NH4+": 1}, 0, (), (2.5, 0.0)),
    ("PO4-3", -3, {"PO4-3": 1}, 0, (), (4.0, 0.0)),
    ("CO3-2", -2, {"CO3-2": 1}, 0, (), (5.4, 0.0)),
    ("HCO3-", -1, {"CO3-2": 1, "H+": 1}, 0, ("HCO3-",), (5.4, 0.0)),
    ("CO2", 0, {"CO3-2": 1, "H+": 2}, -1, ("CO2",), "neutral"),
    ("(CO2)2", 0, {"CO3-2": 2, "H+": 4}, -2, ("CO2", "CO2", "(CO2)2"), "neutral"),
    ("NH3", 0, {"NH4+": 1, "H+": -1}, 0, ("NH3",), "neutral"),
    ("HPO4-2", -2, {"PO4-3": 1, "H+": 1}, 0, ("HPO4-2",), (5.0, 0.0)),
    ("H2PO4-", -1, {"PO4-3": 1, "H+": 2}, 0, ("H2PO4-",), (5.4, 0.0)),
    ("H3PO4", 0, {"PO4-3": 1, "H+": 3}, 0, ("H3PO4",), "neutral"),
    ("CaOH+", 1, {"Ca+2": 1, "H+": -1}, 1, ("CaOH+",), "davies"),
    ("CaCO3", 0, {"Ca+2": 1, "CO3-2": 1}, 0, ("CaCO3",), "neutral"),
    ("CaHCO3+", 1, {"Ca+2": 1, "CO3-2": 1, "H+": 1}, 0, ("CaHCO3+",), (6.0, 0.0)),
    ("CaPO4-", -1, {"Ca+2": 1, "PO4-3": 1}, 0, ("CaPO4-",), (5.4, 0.0)),
    ("CaHPO4", 0, {"Ca+2": 1, "PO4-3": 1, "H+": 1}, 0, ("CaHPO4", "HPO4-2"), "neutral"),
    ("CaH2PO4+", 1, {"Ca+2": 1, "PO4-3": 1, "H+": 2}, 0, ("CaH2PO4+", "H2PO4-"), (5.4, 0.0)),
    ("MgOH+", 1, {"Mg+2": 1, "H+": -1}, 1, ("MgOH+",), (6.5, 0.0)),
    ("MgCO3", 0, {"Mg+2": 1, "CO3-2": 1}, 0, ("MgCO3",), "neutral"),
    ("MgHCO3+", 1, {"Mg+2": 1, "CO3-2": 1, "H+": 1}, 0, ("MgHCO3+",), (4.0, 0.0)),
    ("MgPO4-", -1, {"Mg+2": 1, "PO4-3": 1}, 0, ("MgPO4-",), (5.4, 0.0)),
    ("MgHPO4", 0, {"Mg+2": 1, "PO4-3": 1, "H+": 1}, 0, ("MgHPO4", "HPO4-2"), "neutral"),
    ("MgH2PO4+", 1, {"Mg+2": 1, "PO4-3": 1, "H+": 2}, 0, ("MgH2PO4+", "H2PO4-"), (5.4, 0.0)),
    ("NaOH", 0, {"Na+": 1, "H+": -1}, 1, ("NaOH", "OH-"), "neutral"),
    ("NaCO3-", -1, {"Na+": 1, "CO3-2": 1}, 0, ("NaCO3-",), "davies"),
    ("NaHCO3", 0, {"Na+": 1, "CO3-2": 1, "H+": 1}, 0, ("NaHCO3", "HCO3-"), "neutral"),
    ("NaHPO4-", -1, {"Na+": 1, "PO4-3": 1, "H+": 1}, 0, ("NaHPO4-", "HPO4-2"), (5.4, 0.0)),
    ("KHPO4-", -1, {"K+": 1, "PO4-3": 1, "H+": 1}, 0, ("KHPO4-", "HPO4-2"), (5.4, 0.0)),
)

#: Names of the aqueous species (Cl- is added as a free ion: phreeqc.dat has no
#: Cl complexes of Na, K, Ca or Mg).
SPECIES: tuple[str, ...] = tuple(row[0] for row in _SPECIES_TABLE)
_NS = len(SPECIES)
_Z = np.array([row[1] for row in _SPECIES_TABLE], dtype=float)
_NU = np.zeros((_NS, 8))
for _j, _row in enumerate(_SPECIES_TABLE):
    for _c, _v in _row[2].items():
        _NU[_j, COMPONENTS.index(_c)] = _v
del _j, _row, _c, _v
_NW = np.array([row[3] for row in _SPECIES_TABLE], dtype=float)
#: Alkalinity of each species [eq/mol] as PHREEQC computes it from the master
#: species' alk (H+ -1, CO3-2 2, PO4-3 2, NH4+ 0, others 0).
_ALK = _NU @ np.array([-1.0, 0, 0, 0, 0, 0, 2.0, 2.0])
_DH_A0 = np.array([r[5][0] if isinstance(r[5], tuple) else 0.0 for r in _SPECIES_TABLE])
_DH_B0 = np.array([r[5][1] if isinstance(r[5], tuple) else 0.0 for r in _SPECIES_TABLE])
_IS_DH = np.array([isinstance(r[5], tuple) for r in _SPECIES_TABLE])
_IS_DAVIES = np.array([r[5] == "davies" for r in _SPECIES_TABLE])
_IS_NEUTRAL = np.array([r[5] == "neutral" for r in _SPECIES_TABLE])
_DH_B0 = np.where(_IS_NEUTRAL, 0.1, _DH_B0)
# Cl- (-gamma 3.63 0.017) enters no mass action law here: its activity coefficient
# is not needed; it counts in the charge balance, I and a_H2O by its molality.
_MASTER_ROW = np.array([SPECIES.index(c) for c in COMPONENTS])
_I_DH, _I_DAV, _I_NEU = (
    np.flatnonzero(_IS_DH),
    np.flatnonzero(_IS_DAVIES),
    np.flatnonzero(_IS_NEUTRAL),
)
_Z2_DH, _A0_DH, _B0_DH = _Z[_I_DH] ** 2, _DH_A0[_I_DH], _DH_B0[_I_DH]
_Z2_DAV = _Z[_I_DAV] ** 2
_USES = (_NU != 0).astype(float)  # species j contains component c
# rows of the equations as linear forms in the species molalities: charge, mass
# balances of Na..CO3 (or alkalinity in the influent), ionic strength, sum for a_H2O
#: Oxygen atoms of each species (3 per carbonate, 4 per phosphate, plus the H2O of
#: its formation reaction): the oxygen balance gives the mass of water.
_OXY = 3.0 * _NU[:, _CO3] + 4.0 * _NU[:, _PO4] + _NW
_ROWS_MB = np.vstack([_Z, _NU[:, 1:8].T, -0.5 * _Z**2, np.ones(_NS), _OXY])
_ROWS_ALK = _ROWS_MB.copy()
_ROWS_ALK[7] = _ALK
# the same rows times nu (for the component columns of the Jacobian) and times n_w
_W_NU_MB = (_ROWS_MB[:, :, None] * _NU[None]).transpose(1, 0, 2).reshape(_NS, -1)
_W_NU_ALK = (_ROWS_ALK[:, :, None] * _NU[None]).transpose(1, 0, 2).reshape(_NS, -1)
_W_NW_MB = (_ROWS_MB * _NW).T
_W_NW_ALK = (_ROWS_ALK * _NW).T


def _log_k_rxn(name: str, T_K: np.ndarray) -> np.ndarray:
    lk, dh, an = _RXN[name]
    if an is not None:
        a = (tuple(an) + (0.0,) * 6)[:6]
        return a[0] + a[1] * T_K + a[2] / T_K + a[3] * np.log10(T_K) + a[4] / T_K**2 + a[5] * T_K**2
    return lk - dh * (298.15 - T_K) / (_LN10 * _R_kJ * T_K * 298.15)


def log_k(name: str, T_C) -> np.ndarray:
    r"""log10 of the formation constant of an aqueous species or of the dissolution of a phase.

    Parameters
    ----------
    name : str
        A name of :data:`SPECIES` (formed from :data:`COMPONENTS` and H2O) or
        ``"Struvite"``, ``"Hydroxyapatite"``, ``"Calcite"``.
    T_C : array_like
        Temperature [degC].

    Returns
    -------
    numpy.ndarray
        log10 K [1].

    Notes
    -----
    As PHREEQC's ``k_calc``: with an analytical expression (``-analytic``)
    :math:`\log K = A_1 + A_2 T + A_3/T + A_4 \log_{10} T + A_5/T^2 + A_6 T^2`,
    else van 't Hoff with ``-delta_h``,
    :math:`\log K(T) = \log K_{298} - \Delta H (298.15 - T)/(\ln 10\,R\,298.15\,T)`.
    A species written in phreeqc.dat from another non-master species (CaHPO4
    from HPO4-2, NaHCO3 from HCO3-, ...) sums the log K of both reactions, as
    PHREEQC does when it rewrites the reaction in master species.

    References
    ----------
    .. [1] Parkhurst, D.L., Appelo, C.A.J. (2013), Description of input and examples
       for PHREEQC version 3, USGS Techniques and Methods 6-A43,
       doi:10.3133/tm6A43.

    Examples
    --------
    >>> print(round(float(log_k("HCO3-", 25.0)), 3), round(float(log_k("Struvite", 25.0)), 2))
    10.329 -13.26
    """
    T_K = np.asarray(T_C, dtype=float) + 273.15
    if name in ("Struvite", "Hydroxyapatite", "Calcite"):
        return _log_k_rxn(name, T_K)
    row = _SPECIES_TABLE[SPECIES.index(name)]
    out = np.zeros_like(T_K)
    for rxn in row[4]:
        out = out + _log_k_rxn(rxn, T_K)
    return out


def debye_huckel_A_B(T_C) -> tuple[np.ndarray, np.ndarray]:
    r"""Debye-Hückel A [kg^0.5 mol^-0.5] and B [Å^-1 kg^0.5 mol^-0.5] at 1 atm, as PHREEQC 3.

    Parameters
    ----------
    T_C : array_like
        Temperature [degC].

    Returns
    -------
    tuple of numpy.ndarray
        ``(A, B)``.

    Notes
    -----
    PHREEQC 3 (``calc_rho_0``, ``calc_dielectrics``): density of pure water
    along saturation (Wagner & Pruss 2002, eq. 2.6) with its pressure
    correction to 1 atm, relative permittivity of Bradley & Pitzer (1979),
    :math:`B = \sqrt{8\pi N_A e^2 \rho_0/(\varepsilon_r k T)}`,
    :math:`A = B e^2/(2 \ln 10\,\varepsilon_r k T)`.

    References
    ----------
    .. [1] Bradley, D.J., Pitzer, K.S. (1979), J. Phys. Chem. 83:1599,
       doi:10.1021/j100475a009.
    .. [2] Wagner, W., Pruss, A. (2002), J. Phys. Chem. Ref. Data 31:387,
       doi:10.1063/1.1461829.

    Examples
    --------
    >>> A, B = debye_huckel_A_B(25.0)
    >>> print(round(float(A), 4), round(float(B), 4))
    0.51 0.3284
    """
    tc = np.asarray(T_C, dtype=float)
    T = tc + 273.15
    th = 1.0 - T / 647.096
    rho_sat = 322.0 * (
        1.0
        + 1.99274064 * th ** (1.0 / 3.0)
        + 1.09965342 * th ** (2.0 / 3.0)
        - 0.510839303 * th ** (5.0 / 3.0)
        - 1.75493479 * th ** (16.0 / 3.0)
        - 45.5170352 * th ** (43.0 / 3.0)
        - 6.7469445e5 * th ** (110.0 / 3.0)
    )
    p0 = 5.1880000e-02 + tc * (
        -4.1885519e-04 + tc * (6.6780748e-06 + tc * (-3.6648699e-08 + tc * 8.3501912e-11))
    )
    p1 = -6.0251348e-06 + tc * (
        3.6696407e-07 + tc * (-9.2056269e-09 + tc * (6.7024182e-11 + tc * -1.5947241e-13))
    )
    p2 = -2.2983596e-09 + tc * (
        -4.0133819e-10 + tc * (1.2619821e-11 + tc * (-9.8952363e-14 + tc * 2.3363281e-16))
    )
    p3 = 7.0517647e-11 + tc * (
        6.8566831e-12 + tc * (-2.2829750e-13 + tc * (1.8113313e-15 + tc * -4.2475324e-18))
    )
    p_sat = np.exp(11.6702 - 3816.44 / (T - 46.13))
    pa = np.maximum(1.0, p_sat) - (p_sat - 1e-6)
    rho0 = rho_sat + pa * (p0 + pa * (p1 + pa * (p2 + np.sqrt(pa) * p3)))
    d1000 = 3.4279e2 * np.exp(T * (-5.0866e-3 + T * 9.469e-7))
    c = -2.0525 + 3.1159e3 / (-1.8289e2 + T)
    b = -8.0325e3 + 4.2142e6 / T + 2.1417 * T
    eps_r = d1000 + c * np.log((b + 1.01325) / (b + 1e3))
    e2_DkT = 1.671008e-3 / (eps_r * T)
    # rho0 [kg m-3] / 1e3 = [g cm-3]; / 1e3 again: mol kg-1 -> mol cm-3
    B = np.sqrt(8 * _PI * _AVOGADRO * e2_DkT * (rho0 / 1e3) / 1e3)
    A = B * e2_DkT / (2.0 * _LN10)
    return A, B / 1e8


# --------------------------------------------------------------------- the speciation


class _Batch(NamedTuple):
    """Constants of a batch of waters for the Newton iteration (arrays over ``n`` rows)."""

    lnK: np.ndarray  # (n, NS) ln K of formation of each species
    A: np.ndarray  # (n,) Debye-Hückel A
    B: np.ndarray  # (n,) Debye-Hückel B
    tot: np.ndarray  # (n, 8) totals of the components [mol/kgw]; H+ unused
    cl: np.ndarray  # (n,) Cl total [mol/kgw] (when not solved for)
    alk: np.ndarray  # (n,) total alkalinity [eq/kgw] (initial solution only)
    ph_fixed: np.ndarray  # (n,) bool: ln a_H+ is given
    present: np.ndarray  # (n, 8) bool: component present (total > 0)
    lnksp: np.ndarray  # (n,) ln Ksp of struvite
    o_tot: np.ndarray  # (n,) moles of O in water and solutes, before any NaOH (reaction)


_CHUNK = 96  # rows per matrix product: below OpenBLAS's threshold for threading


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for a tall ``a``, in blocks of rows.

    One thin product of 10,000 rows would start BLAS threads, which only contend
    (on a loaded 2-core machine, 20x slower); blocks stay single-threaded.
    """
    if b.ndim == 1:
        return a @ b
    out = np.empty((a.shape[0], b.shape[1]))
    for i in range(0, a.shape[0], _CHUNK):
        np.dot(a[i : i + _CHUNK], b, out=out[i : i + _CHUNK])
    return out


def _gammas(lnI: np.ndarray, A: np.ndarray, B: np.ndarray):
    """ln gamma of each species and their derivatives d ln gamma / d ln I."""
    n = lnI.shape[0]
    mu = np.exp(lnI)[:, None]
    sI = np.sqrt(mu)
    Az2 = -_LN10 * A[:, None] * _Z2_DH  # (n, n_dh)
    lg = np.empty((n, _NS))
    dlg = np.empty((n, _NS))
    den = 1.0 + (B[:, None] * sI) * _A0_DH
    t = Az2 * sI / den
    lg[:, _I_DH] = t + _LN10 * _B0_DH * mu
    dlg[:, _I_DH] = t / (2.0 * den) + _LN10 * _B0_DH * mu
    Az2 = -_LN10 * A[:, None] * _Z2_DAV
    lg[:, _I_DAV] = Az2 * (sI / (1.0 + sI) - 0.3 * mu)
    dlg[:, _I_DAV] = Az2 * (sI / (2.0 * (1.0 + sI) ** 2) - 0.3 * mu)
    lg[:, _I_NEU] = _LN10 * 0.1 * mu
    dlg[:, _I_NEU] = lg[:, _I_NEU]
    return lg, dlg


def _state(x: np.ndarray, b: _Batch, cl_mode: int, jacobian: bool = True):
    """Species molalities and the residuals and Jacobian of the equations at ``x``.

    ``cl_mode`` 0: q is the Cl total (influent, charge balance on Cl; alkalinity
    instead of the carbon balance); 1: q is NaOH (> 0) or HCl (< 0) added where
    the pH is held, unused where it floats.
    """
    n = x.shape[0]
    lg, dlg = _gammas(x[:, _LNI], b.A, b.B)
    lg_master = lg[:, _MASTER_ROW]
    dlg_master = dlg[:, _MASTER_ROW]
    # ln a of the components: H+ is carried as ln a, the others as ln m (free)
    lna = x[:, :8] + np.where(np.arange(8) == _H, 0.0, lg_master)
    lnm = b.lnK + _dot(lna, _NU.T) + x[:, _LNW : _LNW + 1] * _NW - lg
    pres = _dot((~b.present).astype(float), _USES.T) == 0.0
    m = np.where(pres, np.exp(np.minimum(lnm, 700.0)), 0.0)
    if not jacobian:
        return m, lg, dlg
    # d ln m_j / d x: nu_jc for the components, dI_j for ln I, n_w,j for ln a_H2O
    dI = _dot(np.where(np.arange(8) == _H, 0.0, dlg_master), _NU.T) - dlg  # (n, NS)
    # totals [mol] that depend on q; the mass of water W [kg] (1 in the influent)
    q = x[:, _Q]
    tot = b.tot.copy()
    W = np.exp(x[:, _KGW])
    if cl_mode == 0:
        cl_mol, dcl, dna, dox = q, np.ones(n), np.zeros(n), np.zeros(n)
    else:
        base = np.where(b.ph_fixed, q, 0.0)
        cl_mol = b.cl + np.maximum(-base, 0.0)
        dcl = np.where(b.ph_fixed & (q < 0), -1.0, 0.0)
        tot[:, _NA] = tot[:, _NA] + np.maximum(base, 0.0)
        dna = np.where(b.ph_fixed & (q >= 0), 1.0, 0.0)
        dox = dna  # NaOH brings its O
    cl = cl_mol / W  # molality
    mu = np.exp(x[:, _LNI])
    S = m.sum(axis=1) + cl
    one_minus = np.maximum(1.0 - _AH2O_FACTOR * S, 1e-3)
    # residuals (unscaled) and their scales
    F = np.empty((n, _NEQ))
    scale = np.empty((n, _NEQ))
    F[:, 0] = _dot(m, _Z) - cl
    scale[:, 0] = _dot(m, np.abs(_Z)) + np.abs(cl)
    F[:, 1:8] = W[:, None] * _dot(m, _NU[:, 1:8]) - tot[:, 1:8]
    scale[:, 1:8] = tot[:, 1:8]
    if cl_mode == 0:
        F[:, 7] = _dot(m, _ALK) - b.alk
        scale[:, 7] = np.maximum(_dot(m, np.abs(_ALK)), np.abs(b.alk))
    F[:, 8] = mu - 0.5 * (_dot(m, _Z**2) + cl)
    scale[:, 8] = mu
    F[:, 9] = x[:, _LNW] - np.log(one_minus)
    scale[:, 9] = 1.0
    if cl_mode == 0:  # the influent is 1 kg of water
        F[:, 10] = x[:, _KGW]
        scale[:, 10] = 1.0
    else:
        o_avail = b.o_tot + np.where(b.ph_fixed, np.maximum(q, 0.0), 0.0)
        F[:, 10] = W * (1.0 / _M_H2O_kg + _dot(m, _OXY)) - o_avail
        scale[:, 10] = o_avail
    # Jacobian: J[r, k] = sum_j rows[r, j] m_j d ln m_j / d x_k, as three matrix
    # products (times W for the balances in moles), then the W and q columns
    rows, w_nu, w_nw = (
        (_ROWS_ALK, _W_NU_ALK, _W_NW_ALK) if cl_mode == 0 else (_ROWS_MB, _W_NU_MB, _W_NW_MB)
    )
    J = np.zeros((n, _NEQ, _NX))
    J[:, :, :8] = _dot(m, w_nu).reshape(n, _NEQ, 8)
    J[:, :, _LNI] = _dot(m * dI, rows.T)
    J[:, :, _LNW] = _dot(m, w_nw)
    if cl_mode == 1:
        J[:, 1:8] *= W[:, None, None]
        J[:, 10] *= W[:, None]
    J[:, 8, _LNI] += mu
    J[:, 9] *= (_AH2O_FACTOR / one_minus)[:, None]
    J[:, 9, _LNW] += 1.0
    J[:, 0, _KGW] = cl
    J[:, 8, _KGW] = 0.5 * cl
    J[:, 9, _KGW] = -_AH2O_FACTOR * cl / one_minus
    J[:, 0, _Q] = -dcl / W
    J[:, 1, _Q] = -dna
    J[:, 8, _Q] = -0.5 * dcl / W
    J[:, 9, _Q] = _AH2O_FACTOR * dcl / W / one_minus
    if cl_mode == 0:
        J[:, 10, :] = 0.0
        J[:, 10, _KGW] = 1.0
    else:
        J[:, 1:8, _KGW] = F[:, 1:8] + tot[:, 1:8]
        J[:, 10, _KGW] = F[:, 10] + o_avail
        J[:, 10, _Q] = -dox
    # absent components: their ln m is pinned and their equation is void
    for c in range(1, 8):
        absent = ~b.present[:, c]
        if absent.any():
            F[absent, c] = 0.0
            J[absent, c, :] = 0.0
            J[absent, c, c] = 1.0
            scale[absent, c] = 1.0
    return m, lg, dlg, F, scale, J, cl_mol, tot


def _revise(x: np.ndarray, b: _Batch, cl_mode: int, n_iter: int = 30) -> np.ndarray:
    """Improve a first guess: scale each free component to its own mass balance.

    The fixed-point step of PHREEQC's ``revise_guesses``: ln m_c += ln(T_c / sum_c)
    (damped by 1/2 after the first pass, as complexes couple the components), the
    ionic strength, water activity and Cl or base dose recomputed, until every sum
    of a row is within a factor 1.5 of its total. Newton then starts inside its
    region of convergence.
    """
    x = x.copy()
    active = np.arange(x.shape[0])
    carb = _NU[:, _CO3] > 0
    alk_c, alk_nc = np.where(carb, _ALK, 0.0), np.where(carb, 0.0, _ALK)
    for it in range(n_iter):
        if active.size == 0:
            break
        sub = _Batch(*(a[active] for a in b))
        xa = x[active]
        m, *_ = _state(xa, sub, cl_mode, jacobian=False)
        W = np.exp(xa[:, _KGW])
        want = sub.tot.copy()
        have = _dot(m, _NU) * W[:, None]
        if cl_mode == 0:  # carbon from the alkalinity left to it
            want[:, _CO3] = sub.alk - _dot(m, alk_nc)
            have[:, _CO3] = _dot(m, alk_c)
        elif cl_mode == 1:
            want[:, _NA] += np.where(sub.ph_fixed, np.maximum(xa[:, _Q], 0.0), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.log(np.maximum(want, 1e-300) / np.maximum(have, 1e-300))
        r = np.where(want > 0, r, -1.0)
        r = np.where(sub.present, np.clip(r, -5.0, 5.0), 0.0)[:, 1:8]
        xa[:, 1:8] += r if it == 0 else 0.5 * r
        m, *_ = _state(xa, sub, cl_mode, jacobian=False)
        if cl_mode == 0:
            xa[:, _Q] = np.maximum(_dot(m, _Z), 0.0)
            cl = xa[:, _Q]
        else:  # the base dose that balances the charge (a salt added: Na or Cl)
            q = xa[:, _Q]
            zW = _dot(m, _Z) * W
            xa[:, _Q] = np.where(sub.ph_fixed, sub.cl - (zW - np.maximum(q, 0.0)), q)
            o_avail = sub.o_tot + np.where(sub.ph_fixed, np.maximum(xa[:, _Q], 0.0), 0.0)
            W = o_avail / (1.0 / _M_H2O_kg + _dot(m, _OXY))
            xa[:, _KGW] = np.log(W)
            cl = (sub.cl + np.where(sub.ph_fixed, np.maximum(-xa[:, _Q], 0.0), 0.0)) / W
        mu = 0.5 * (_dot(m, _Z**2) + cl)
        xa[:, _LNI] = np.log(np.clip(mu, 1e-10, 20.0))
        xa[:, _LNW] = np.log(np.maximum(1.0 - _AH2O_FACTOR * (m.sum(axis=1) + np.abs(cl)), 1e-3))
        x[active] = xa
        active = active[np.max(np.abs(r), axis=1) >= np.log(1.5)]
    return x


def _reduce(J: np.ndarray, ph_fixed: np.ndarray) -> np.ndarray:
    """The square Jacobian: drop the ln a_H+ column where pH is fixed, else the q column."""
    return np.where(ph_fixed[:, None, None], J[:, :, 1:], J[:, :, :_Q])


def _expand(d10: np.ndarray, ph_fixed: np.ndarray) -> np.ndarray:
    d = np.zeros((d10.shape[0], _NX))
    d[:, 1:] = np.where(ph_fixed[:, None], d10, 0.0)
    d[:, :_Q] += np.where(ph_fixed[:, None], 0.0, d10)
    return d


#: A component with a smaller total [mol/kgw] is treated as absent (its species
#: are zero): below double precision's reach for the relative mass balance.
_MIN_TOTAL = 1e-20
_TOL = 1e-13  # scaled residual at convergence (mass balances relative to their total)
_MAX_ITER = 80
_MAX_STEP_LN = 2.0  # largest change of a log unknown per Newton step


def _newton(x: np.ndarray, b: _Batch, cl_mode: int) -> tuple[np.ndarray, np.ndarray]:
    """Damped Newton on all rows at once; return ``x`` and the mask of rows that failed."""
    x = x.copy()
    active = np.ones(x.shape[0], dtype=bool)
    for _ in range(_MAX_ITER):
        sub = _Batch(*(a[active] for a in b))
        xs = x[active]
        _, _, _, F, scale, J, _, _ = _state(xs, sub, cl_mode)
        Fs = F / scale
        ok = np.all(np.abs(Fs) < _TOL, axis=1)
        idx = np.flatnonzero(active)
        active[idx[ok]] = False
        if not active.any():
            return x, active
        keep = ~ok
        Js = _reduce(J[keep] / scale[keep][:, :, None], sub.ph_fixed[keep])
        try:
            d10 = np.linalg.solve(Js, -Fs[keep][:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:  # a singular row: pseudo-inverse step for all
            d10 = np.einsum("nij,nj->ni", np.linalg.pinv(Js), -Fs[keep])
        d10 = np.where(np.isfinite(d10), d10, 0.0)
        d = _expand(d10, sub.ph_fixed[keep])
        big = np.max(np.abs(d[:, :_Q]), axis=1)
        d *= np.minimum(1.0, _MAX_STEP_LN / np.maximum(big, 1e-300))[:, None]
        x[idx[keep]] = xs[keep] + d
    return x, active


def _lnK_table(T_C: np.ndarray) -> np.ndarray:
    return np.stack([log_k(s, T_C) for s in SPECIES], axis=-1) * _LN10


def _si(x: np.ndarray, lg: np.ndarray, T_C: np.ndarray, present: np.ndarray, phase: str):
    """Saturation index log10(IAP/K) of a phase as written in phreeqc.dat (-inf if absent)."""
    lna = x[:, :8] + np.where(np.arange(8) == _H, 0.0, lg[:, _MASTER_ROW])
    lnw = x[:, _LNW]
    if phase == "Struvite":  # MgNH4PO4:6H2O = Mg+2 + NH4+ + PO4-3 + 6 H2O
        v = lna[:, _MG] + lna[:, _NH4] + lna[:, _PO4] + 6.0 * lnw
        need = present[:, _MG] & present[:, _NH4] & present[:, _PO4]
    elif phase == "Calcite":  # CaCO3 = CO3-2 + Ca+2
        v = lna[:, _CA] + lna[:, _CO3]
        need = present[:, _CA] & present[:, _CO3]
    else:  # Ca5(PO4)3OH + 4 H+ = H2O + 3 HPO4-2 + 5 Ca+2, HPO4-2 = PO4-3 + H+
        lna_hpo4 = lna[:, _PO4] + lna[:, _H] + log_k("HPO4-2", T_C) * _LN10
        v = 5.0 * lna[:, _CA] + 3.0 * lna_hpo4 + lnw - 4.0 * lna[:, _H]
        need = present[:, _CA] & present[:, _PO4]
    si = v / _LN10 - log_k(phase, T_C)
    return np.where(need, si, -np.inf)


def _raise_rows(what: str, rows: np.ndarray, shape: tuple) -> None:
    where = [np.unravel_index(int(r), shape) if shape else () for r in rows[:20]]
    raise SolverError(
        f"struvite.equilibrate: the {what} did not converge to {_TOL:g} in {_MAX_ITER} Newton "
        f"iterations for water row(s) {[tuple(int(i) for i in w) for w in where]}"
    )


#: The arguments of :func:`equilibrate` that describe the water (before dosing).
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
_ARGS = (*WATER_ARGS, "Mg_to_P_dose", "pH_target")

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
    "Cl_balanced_mg_L": ("mg L-1", "Cl of the influent after charge balance"),
}


def _check(name: str, a: np.ndarray, low: float, high: float | None, unit: str, shape) -> None:
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


def _speciate_initial(T_C, pH, tot0, cl0, alk):
    """Speciate the influent: C from alkalinity and pH, Cl from the charge balance."""
    n = T_C.shape[0]
    A, B = debye_huckel_A_B(T_C)
    lnK = _lnK_table(T_C)
    present = tot0 > _MIN_TOTAL
    present[:, _CO3] = True
    present[:, _H] = True
    x = np.zeros((n, _NX))
    x[:, _H] = -pH * _LN10
    with np.errstate(divide="ignore"):
        x[:, 1:7] = np.where(
            present[:, 1:7], np.log(np.where(tot0[:, 1:7] > 0, tot0[:, 1:7], 1.0)), -700.0
        )
    k_hco3 = np.exp(lnK[:, SPECIES.index("HCO3-")])
    x[:, _CO3] = np.log(np.maximum(alk, 1e-9) / (k_hco3 * np.exp(x[:, _H]) + 2.0))
    I0 = 0.5 * (tot0[:, 1:7] @ np.array([1, 1, 4, 4, 1, 9.0]) + cl0 + alk)
    x[:, _LNI] = np.log(np.maximum(I0, 1e-6))
    x[:, _Q] = cl0
    lnksp = log_k("Struvite", T_C) * _LN10
    b = _Batch(lnK, A, B, tot0, cl0, alk, np.ones(n, dtype=bool), present, lnksp, np.zeros(n))
    x, failed = _newton(_revise(x, b, 0), b, 0)
    return x, failed, b


def equilibrate(
    *,
    T_C,
    pH,
    NH4_N_mg_L,
    PO4_P_mg_L,
    Mg_mg_L,
    Ca_mg_L,
    K_mg_L,
    Na_mg_L,
    Cl_mg_L,
    alkalinity_mg_L_HCO3,
    Mg_to_P_dose=0.0,
    pH_target=None,
) -> xr.Dataset:
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

    Returns
    -------
    xarray.Dataset
        Amounts per litre of influent. Dimension ``water`` (0-d for all-scalar
        input); variables, each with
        ``units`` and ``long_name``: ``SI_struvite_initial``,
        ``ionic_strength_initial`` [mol kg-1], ``struvite_mol_L`` [mol L-1],
        ``struvite_kg_m3`` [kg m-3], ``P_recovered_fraction`` [1], ``pH_final``,
        ``NaOH_mmol_L`` [mmol L-1, negative for HCl], ``residual_PO4_P_mg_L``,
        ``residual_NH4_N_mg_L``, ``residual_Mg_mg_L`` [mg L-1],
        ``SI_struvite_final`` (0 where struvite formed, else the undersaturation
        after dosing), ``SI_hydroxyapatite_initial``, ``SI_calcite_initial`` [1],
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
    species of :data:`SPECIES` plus Cl-, each with
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
    :data:`STRUVITE_LOG_KSP_25C`, :data:`STRUVITE_DELTA_H_kJ_mol`) precipitates
    until its saturation index is 0, in a closed system (carbon is conserved,
    no CO2 exchange); the mass of water follows from the oxygen balance (water,
    carbonate, phosphate and hydroxide O; 10 O leave per mol of struvite, 1 O
    comes with each mol of NaOH), as PHREEQC computes it; molalities are moles per
    kg of that water. With a floating pH the charge balance sets the pH; with a
    held pH it sets the base dose: NaOH (Na added) where the water needs base,
    HCl (Cl added) where it needs acid, as when the target is below the
    influent pH and little struvite forms. Nothing else precipitates; the
    saturation indices of hydroxyapatite and calcite are those of the influent
    (a positive value flags a risk the model does not take into account).
    Struvite's log Ksp was fitted by Ronteltap et al. (2007) with Davies activity
    coefficients (A 0.509, B 0.3); used with phreeqc.dat's coefficients, as here
    and in the PHREEQC reference, the conditional solubility product of a
    hydrolysed urine at pH 9 and I 0.4 M comes out 10^-7.81 M3 against their
    10^-7.57 M3 (tests/validation/data/struvite_ronteltap2007.csv).

    *Shapes*: the inputs broadcast together; an N-d broadcast shape is
    flattened (C order) into ``water`` and kept in the attribute
    ``input_shape``. A component with a total below 1e-20 mol/kg is absent.

    *Numerics*: a first guess is revised as PHREEQC's ``revise_guesses`` does
    (each free component scaled to its own mass balance); then Newton iteration
    on all waters at once in the unknowns
    ln a(H+) or the base dose, ln m of the free components, ln I, ln a(H2O) and
    ln of the mass of water,
    with the exact Jacobian (including d ln gamma/d I), steps of the log unknowns
    limited to a factor e^2; mass balances converge to 1e-13 of each total.
    The amount precipitated is the root of SI(s) = 0 on the bracket
    [0, min(Mg, N, P)] by Newton steps (dSI/ds from the converged Jacobian,
    implicit function theorem) that fall back to bisection outside the bracket.

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
    >>> ds = equilibrate(T_C=25.0, pH=8.0, NH4_N_mg_L=1000.0, PO4_P_mg_L=100.0,
    ...                  Mg_mg_L=10.0, Ca_mg_L=40.0, K_mg_L=300.0, Na_mg_L=200.0,
    ...                  Cl_mg_L=500.0, alkalinity_mg_L_HCO3=4000.0,
    ...                  Mg_to_P_dose=1.2, pH_target=[float("nan"), 8.5])
    >>> print(ds.P_recovered_fraction.values.round(3), ds.pH_final.values.round(2))
    [0.873 0.97 ] [7.68 8.5 ]
    """
    raw = [T_C, pH, NH4_N_mg_L, PO4_P_mg_L, Mg_mg_L, Ca_mg_L, K_mg_L, Na_mg_L, Cl_mg_L]
    raw += [alkalinity_mg_L_HCO3, Mg_to_P_dose, np.nan if pH_target is None else pH_target]
    arrs = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in raw))
    shape = arrs[0].shape
    v = dict(zip(_ARGS, (a.reshape(-1) for a in arrs), strict=True))
    _check("T_C", arrs[0], 0.0, 100.0, "degC", shape)
    _check("pH", arrs[1], 0.0, 14.0, "", shape)
    for k in range(2, 11):
        _check(
            _ARGS[k], arrs[k], 0.0, None, "mg L-1" if k < len(WATER_ARGS) else "mol mol-1", shape
        )
    _check("pH_target", arrs[11], 0.0, 14.0, "", shape)
    n_all = v["T_C"].size
    nan_row = np.zeros(n_all, dtype=bool)
    for k in _ARGS[:-1]:
        nan_row |= np.isnan(v[k])
    ok = np.flatnonzero(~nan_row)
    out = {k: np.full(n_all, np.nan) for k in _OUT}
    if ok.size:
        res = _solve({k: a[ok] for k, a in v.items()}, ok, shape)
        for k in _OUT:
            out[k][ok] = res[k]
    dims = ("water",) if shape else ()
    ds = xr.Dataset()
    for k, (units, long_name) in _OUT.items():
        data = out[k] if shape else out[k].reshape(())
        ds[k] = xr.DataArray(data, dims=dims, attrs={"units": units, "long_name": long_name})
    from nexus import __version__

    ds.attrs["nexus_version"] = __version__
    ds.attrs["database"] = DATABASE
    ds.attrs["solver_status"] = (
        f"converged: mass balances to {_TOL:g} of each total, |SI| of precipitated "
        f"struvite to {_S_TOL / _LN10:.1g}"
    )
    if shape:  # the broadcast shape of the input, flattened (C order) into `water`
        ds.attrs["input_shape"] = ",".join(str(k) for k in shape)
    return ds


def _rows_of(mask: np.ndarray, ok: np.ndarray, shape: tuple) -> list:
    return [
        tuple(int(k) for k in np.unravel_index(int(r), shape)) if shape else ()
        for r in ok[mask][:20]
    ]


def _solve(v: dict, ok: np.ndarray, shape: tuple) -> dict:
    """Solve the waters ``v`` (1-d arrays, no NaN except pH_target); ``ok`` maps to batch rows."""
    T_C, n = v["T_C"], v["T_C"].size
    g = _GFW
    tot0 = np.zeros((n, 8))
    tot0[:, _NA] = v["Na_mg_L"] / g["Na"] / 1e3
    tot0[:, _K] = v["K_mg_L"] / g["K"] / 1e3
    tot0[:, _CA] = v["Ca_mg_L"] / g["Ca"] / 1e3
    tot0[:, _MG] = v["Mg_mg_L"] / g["Mg"] / 1e3
    tot0[:, _NH4] = v["NH4_N_mg_L"] / g["N"] / 1e3
    tot0[:, _PO4] = v["PO4_P_mg_L"] / g["P"] / 1e3
    alk = v["alkalinity_mg_L_HCO3"] / g["HCO3"] / 1e3
    cl0 = v["Cl_mg_L"] / g["Cl"] / 1e3

    # 1. influent: carbon from alkalinity, Cl from the charge balance
    x0, failed, b0 = _speciate_initial(T_C, v["pH"], tot0, cl0, alk)
    if failed.any():
        # alkalinity below the non-carbonate alkalinity (that of the water without carbon)?
        sub = _Batch(*(a[failed] for a in b0))
        sub = sub._replace(present=sub.present & (np.arange(8) != _CO3))
        xc = x0[failed].copy()
        xc[:, _CO3] = -700.0
        xc, failed_c = _newton(_revise(xc, sub, 0), sub, 0)
        mc, *_ = _state(xc, sub, 0, jacobian=False)
        low_c = np.zeros(n, dtype=bool)
        low_c[failed] = (mc @ _ALK >= alk[failed]) & ~failed_c
        if low_c.any():
            raise ParameterError(
                "struvite.equilibrate: alkalinity_mg_L_HCO3 is below the non-carbonate "
                "alkalinity (OH-, NH3, HPO4-2, PO4-3) at this pH, so total carbon would be "
                f"negative, at water row(s) {_rows_of(low_c, ok, shape)}"
            )
        m_f, *_ = _state(x0, b0, 0, jacobian=False)
        high_c = failed & ((m_f @ _NU[:, _CO3] > 5.0) | ~np.isfinite(x0[:, _CO3]))
        if high_c.any():
            raise ParameterError(
                "struvite.equilibrate: alkalinity_mg_L_HCO3 cannot be reached with carbonate "
                "at this pH (it would need more than 5 mol/kg of carbon) at water row(s) "
                f"{_rows_of(high_c, ok, shape)}"
            )
        _raise_rows("influent speciation", ok[failed], shape)
    cl_bal = x0[:, _Q]
    if np.any(cl_bal < 0):
        raise ParameterError(
            "struvite.equilibrate: Cl_mg_L: the charge balance of the influent needs "
            "negative Cl (cations short of the anions given by alkalinity and phosphate) at "
            f"water row(s) {_rows_of(cl_bal < 0, ok, shape)}; expected Cl_balanced >= 0"
        )
    m0, lg0, *_ = _state(x0, b0, 0)
    c_tot = m0 @ _NU[:, _CO3]
    si_str0 = _si(x0, lg0, T_C, b0.present, "Struvite")
    si_hap0 = _si(x0, lg0, T_C, b0.present, "Hydroxyapatite")
    si_cal0 = _si(x0, lg0, T_C, b0.present, "Calcite")

    # 2. dose MgCl2, speciate the closed system before precipitation
    dose = v["Mg_to_P_dose"] * tot0[:, _PO4]
    tot1 = tot0.copy()
    tot1[:, _MG] += dose
    tot1[:, _CO3] = c_tot
    cl1 = cl_bal + 2.0 * dose
    ph_t = v["pH_target"]
    fixed = ~np.isnan(ph_t)
    present = tot1 > _MIN_TOTAL
    present[:, _H] = True
    x1 = x0.copy()
    x1[:, _H] = np.where(fixed, -np.where(fixed, ph_t, 7.0) * _LN10, x0[:, _H])
    x1[:, _Q] = 0.0
    x1[:, _MG] = np.where(
        present[:, _MG], np.log(np.where(present[:, _MG], tot1[:, _MG], 1.0)) - 1.0, -700.0
    )
    # oxygen of the influent's 1 kg of water and solutes (MgCl2 brings none)
    o_tot = 1.0 / _M_H2O_kg + m0 @ _OXY
    b1 = _Batch(b0.lnK, b0.A, b0.B, tot1, cl1, alk, fixed, present, b0.lnksp, o_tot)
    x1, failed = _newton(_revise(x1, b1, 1), b1, 1)
    if failed.any():
        _raise_rows("speciation after Mg dosing", ok[failed], shape)
    _, lg1, *_ = _state(x1, b1, 1)
    si1 = _si(x1, lg1, T_C, present, "Struvite")

    # 3. precipitate struvite where supersaturated
    s = np.zeros(n)
    xf = x1.copy()
    pr = np.flatnonzero(si1 > 0)
    if pr.size:
        bp = _Batch(*(a[pr] for a in b1))
        sp, xp = _precipitate(x1[pr], bp, ok[pr], shape)
        s[pr] = sp
        xf[pr] = xp
    tot_f = tot1.copy()
    for c in (_MG, _NH4, _PO4):
        tot_f[:, c] -= s
    bf = b1._replace(tot=tot_f, o_tot=o_tot - _O_STRUVITE * s)
    W = np.exp(xf[:, _KGW])
    mf, lgf, _, Ff, scf, *_ = _state(xf, bf, 1)
    si_f = _si(xf, lgf, T_C, present, "Struvite")
    base = np.where(fixed, xf[:, _Q], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_frac = np.where(
            tot0[:, _PO4] > 0, s / np.where(tot0[:, _PO4] > 0, tot0[:, _PO4], 1.0), 0.0
        )
    return {
        "SI_struvite_initial": si_str0,
        "ionic_strength_initial": np.exp(x0[:, _LNI]),
        "struvite_mol_L": s,
        "struvite_kg_m3": s * STRUVITE_g_mol,
        "P_recovered_fraction": p_frac,
        "pH_final": -xf[:, _H] / _LN10,
        "NaOH_mmol_L": base * 1e3,
        "residual_PO4_P_mg_L": W * (mf @ _NU[:, _PO4]) * g["P"] * 1e3,
        "residual_NH4_N_mg_L": W * (mf @ _NU[:, _NH4]) * g["N"] * 1e3,
        "residual_Mg_mg_L": W * (mf @ _NU[:, _MG]) * g["Mg"] * 1e3,
        "SI_struvite_final": si_f,
        "SI_hydroxyapatite_initial": si_hap0,
        "SI_calcite_initial": si_cal0,
        "Cl_balanced_mg_L": cl_bal * g["Cl"] * 1e3,
        # diagnostics (not in the Dataset): charge balance / sum |z| m after precipitation
        "_charge_imbalance_frac": Ff[:, 0] / scf[:, 0],
        "_water_kg": W,
    }


_S_TOL = 1e-12  # |ln IAP - ln Ksp| at the end of the struvite iteration
_O_STRUVITE = 10.0  # O per MgNH4PO4.6H2O: 4 of the phosphate, 6 of the water
_S_MAX_ITER = 100


def _precipitate(x: np.ndarray, b: _Batch, rows: np.ndarray, shape: tuple):
    """Amount of struvite s in (0, s_max) with SI(s) = 0, safeguarded Newton on all rows.

    Newton steps in ln(s_max - s) with dSI/ds from the implicit function theorem;
    a step that leaves the bracket [lo, hi] (SI(lo) > 0 > SI(hi)) bisects it.
    """
    n = x.shape[0]
    smax = np.min(b.tot[:, [_MG, _NH4, _PO4]], axis=1)
    lo, hi = np.zeros(n), smax.copy()
    s = np.zeros(n)
    x = x.copy()
    done = np.zeros(n, dtype=bool)
    for _ in range(_S_MAX_ITER):
        act = np.flatnonzero(~done)
        tot = b.tot[act].copy()
        for c in (_MG, _NH4, _PO4):
            tot[:, c] -= s[act]
        o_tot = b.o_tot[act] - _O_STRUVITE * s[act]
        rest = {k: getattr(b, k)[act] for k in b._fields if k not in ("tot", "o_tot")}
        sub = b._replace(**rest, tot=tot, o_tot=o_tot)
        xa, failed = _newton(x[act], sub, 1)
        if failed.any():
            _raise_rows("speciation during struvite precipitation", rows[act][failed], shape)
        x[act] = xa
        _, lg, dlg, _, _, J, *_ = _state(xa, sub, 1)
        lna = xa[:, :8] + np.where(np.arange(8) == _H, 0.0, lg[:, _MASTER_ROW])
        f = lna[:, _MG] + lna[:, _NH4] + lna[:, _PO4] + 6.0 * xa[:, _LNW] - sub.lnksp
        conv = np.abs(f) < _S_TOL
        # bracket
        lo[act] = np.where(f > 0, s[act], lo[act])
        hi[act] = np.where(f <= 0, s[act], hi[act])
        conv |= (hi[act] - lo[act]) <= 1e-15 * smax[act]
        done[act[conv]] = True
        if done.all():
            return s, x
        # d f / d s by the implicit function theorem: J dx/ds = -dF/ds, with dF/ds = +1
        # for Mg, NH4, PO4 and +10 for oxygen (4 of the phosphate, 6 of the water)
        keep = ~conv
        Jr = _reduce(J[keep], sub.ph_fixed[keep])
        rhs = np.zeros((int(keep.sum()), _NEQ))
        rhs[:, [_MG, _NH4, _PO4]] = -1.0
        rhs[:, 10] = -_O_STRUVITE
        dx = _expand(np.linalg.solve(Jr, rhs[:, :, None])[:, :, 0], sub.ph_fixed[keep])
        dgm = dlg[keep][:, _MASTER_ROW]
        dfds = (
            dx[:, _MG]
            + dx[:, _NH4]
            + dx[:, _PO4]
            + (dgm[:, _MG] + dgm[:, _NH4] + dgm[:, _PO4]) * dx[:, _LNI]
            + 6.0 * dx[:, _LNW]
        )
        # Newton step in u = ln(s_max - s): ln IAP is nearly linear in u when the
        # limiting component runs out, and s stays below s_max
        ak = act[keep]
        room = smax[ak] - s[ak]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            s_new = smax[ak] - room * np.exp(np.clip(f[keep] / (room * dfds), -50.0, 50.0))
        inside = (s_new > lo[ak]) & (s_new < hi[ak]) & np.isfinite(s_new)
        s_new = np.where(inside, s_new, 0.5 * (lo[ak] + hi[ak]))
        # warm start: scale the free Mg, NH4, PO4 with their totals
        for c in (_MG, _NH4, _PO4):
            x[ak, c] += np.log((b.tot[ak, c] - s_new) / (b.tot[ak, c] - s[ak]))
        s[ak] = s_new
    _raise_rows("struvite precipitation (saturation index)", rows[~done], shape)
    return s, x


# ------------------------------------------------------------------------- the reactor

#: kg P2O5 per kg P (141.944 / (2 x 30.974)), the convention of fertilizer labels.
P2O5_PER_P: float = 141.944 / (2 * 30.974)
#: Molar masses [g/mol]: elements and HCO3 as phreeqc.dat's gfw (:data:`_GFW`), so that the
#: mg/L the chemistry reads and the kg the reactor returns convert with the same numbers;
#: the chemicals as sold with IUPAC 2013 standard atomic weights.
M_g_mol: dict[str, float] = {
    **{k: _GFW[k] for k in ("P", "N", "Mg", "Na", "Cl", "HCO3")},
    "MgCl2": 95.211,
    "MgCl2.6H2O": 203.30,
    "NaOH": 39.997,
    "HCl": 36.461,
}


@dataclass(frozen=True, kw_only=True)
class StruviteReactorParams(Params):
    """A struvite reactor dosing MgCl2 into urine or anaerobic black-water effluent.

    ``pH_target`` is None (the pH floats, no base) or the pH held with NaOH/HCl.
    The reactor treats up to ``V_m3 / residence_h`` of flow; more bypasses it.
    """

    V_m3: float = field(
        0.0,
        unit="m3",
        low=0.0,
        high=1e4,
        source="design variable (district file or optimizer); 0 = not built",
        doc="reactor volume",
    )
    residence_h: float = field(
        1.0,
        unit="h",
        low=0.05,
        high=100.0,
        source="Etter et al. 2011, Water Res. 45:852, doi:10.1016/j.watres.2010.10.007: "
        "over 90 % of the phosphate of stored urine removed in 1 h in a stirred reactor "
        "(abstract)",
        doc="residence time the water needs in the reactor",
    )
    Mg_to_P_dose: float = field(
        1.1,
        unit="mol mol-1",
        low=0.0,
        high=5.0,
        source="Etter et al. 2011 (as above): over 90 % of the phosphate of stored urine "
        "removed with 1.1 mol Mg per mol P (abstract)",
        doc="Mg dosed as MgCl2 per mol of phosphate-P in the influent",
    )
    capture_frac: float = field(
        0.9,
        unit="1",
        low=0.0,
        high=1.0,
        source="Etter et al. 2011 (as above): a stirred reactor with an external nylon "
        "filter removed over 90 % of the phosphate in 1 h of treatment, a settling-only "
        "reactor 50 %; the equilibrium recovery at that dose is 0.97-0.99 here, so 0.9 "
        "counts both incomplete precipitation in the residence time and fines lost",
        doc="fraction of the equilibrium struvite that is harvested",
    )
    pH_target: float | None = dataclasses.field(
        default=None,
        metadata={
            "unit": "1",
            "source": "Etter et al. 2011: stored (hydrolysed) urine at its own pH, no base "
            "added; set a value (0-14) to hold the pH with NaOH or HCl",
            "doc": "pH held during precipitation, or None for a floating pH",
        },
    )
    MgCl2_6H2O_price_per_kg: float = field(
        0.12,
        unit="USD kg-1",
        low=0.0,
        high=100.0,
        source="market price of MgCl2.6H2O, Table 1 of "
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC4642316/table/t1 (price year not stated)",
        doc="price of the magnesium chloride hexahydrate dosed",
    )
    NaOH_price_per_kg: float = field(
        0.46,
        unit="USD kg-1",
        low=0.0,
        high=100.0,
        source="market price of NaOH, Table 1 of "
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC4642316/table/t1 (price year not stated)",
        doc="price of the sodium hydroxide dosed",
    )
    crop_P2O5_offtake_kg_t: float = field(
        1.0,
        unit="kg t-1",
        low=0.01,
        high=100.0,
        source="potato tubers, 1.0 kg P2O5 per t of fresh tubers harvested: AHDB Nutrient "
        "Management Guide (RB209) 2020, via PDA leaflet 'Nutrients in crop material' "
        "(https://www.pda.org.uk/pda_leaflets/nutrients-in-crop-material/); wheat grain "
        "6.5, carrots 0.7, cabbage 0.9",
        doc="P2O5 a tonne of the food crop takes from the soil (the crop the struvite "
        "fertilizes)",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        v = self.pH_target
        if v is not None and (
            isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v <= 14.0
        ):
            raise ParameterError(
                f"StruviteReactorParams.pH_target = {v!r} is outside [0.0, 14.0] (or None)"
            )


class ReactorResult(NamedTuple):
    """Result of :func:`struvite_reactor`; rates per day, arrays of the broadcast shape."""

    treated_m3_d: np.ndarray  #: flow through the reactor; the rest bypasses it [m3 d-1]
    struvite_mol_d: np.ndarray  #: struvite harvested [mol d-1]
    struvite_kg_d: np.ndarray  #: struvite harvested [kg d-1]
    P_kg_d: np.ndarray  #: phosphorus in the harvest [kg d-1]
    P2O5_kg_d: np.ndarray  #: fertilizer value of the harvest as P2O5 [kg d-1]
    N_kg_d: np.ndarray  #: nitrogen in the harvest [kg d-1]
    Mg_kg_d: np.ndarray  #: Mg dosed [kg d-1]
    MgCl2_kg_d: np.ndarray  #: MgCl2 (anhydrous) dosed [kg d-1]
    NaOH_kg_d: np.ndarray  #: NaOH dosed to hold the pH [kg d-1]
    HCl_kg_d: np.ndarray  #: HCl dosed to hold the pH [kg d-1]
    chemicals_cost_d: np.ndarray  #: MgCl2.6H2O and NaOH bought [USD d-1] (HCl not priced)
    crop_t_d: np.ndarray  #: crop whose P offtake the harvested P2O5 replaces [t d-1]
    P_recovered_frac: np.ndarray  #: phosphate-P harvested / influent phosphate-P [1]
    pH_final: np.ndarray  #: pH of the treated water at equilibrium [-]
    SI_hydroxyapatite_initial: np.ndarray  #: of the influent: > 0 warns of Ca phosphate [-]


def _equilibrate_unique(water: dict, **dose) -> dict[str, np.ndarray]:
    """:func:`equilibrate` of each distinct water once; results in the broadcast shape.

    A digester's effluent is the same all day: a year of hours holds 365
    distinct waters, and equilibrating each once is exact.
    """
    arrays = np.broadcast_arrays(*(np.asarray(water[k], dtype=float) for k in WATER_ARGS))
    shape = arrays[0].shape
    table = np.stack([a.ravel() for a in arrays], axis=1)
    unique, back = np.unique(table, axis=0, return_inverse=True)
    ds = equilibrate(**{k: unique[:, j] for j, k in enumerate(WATER_ARGS)}, **dose)
    return {k: ds[k].values[back.ravel()].reshape(shape) for k in ds.data_vars}


def struvite_reactor(flow_m3_d, *, params: StruviteReactorParams, **water) -> ReactorResult:
    r"""Struvite harvested from a flow, its fertilizer value and the chemicals used.

    Parameters
    ----------
    flow_m3_d : array_like
        Flow reaching the reactor [m3 d-1], >= 0.
    params : StruviteReactorParams
        Size, dose, pH, harvest efficiency, prices and the crop fertilized.
    **water
        The influent, as the keyword arguments of :func:`equilibrate` (``T_C``,
        ``pH``, ``NH4_N_mg_L``, ``PO4_P_mg_L``, ``Mg_mg_L``, ``Ca_mg_L``,
        ``K_mg_L``, ``Na_mg_L``, ``Cl_mg_L``, ``alkalinity_mg_L_HCO3``) without
        ``Mg_to_P_dose`` and ``pH_target``, which come from ``params``.

    Returns
    -------
    ReactorResult
        Daily rates [kg d-1, mol d-1, USD d-1, t d-1], ``P_recovered_frac`` of
        the whole flow (bypass included) [1], the equilibrium pH of the
        treated water.

    Notes
    -----
    The reactor treats up to ``V_m3 * 24 / residence_h`` m3 per day; the rest
    bypasses it. Equilibrium (:func:`equilibrate`) gives the struvite that can
    form; a fraction ``capture_frac`` of it is harvested. The Mg and the base
    are dosed into all the treated water whatever is harvested. Fertilizer
    value: P2O5 = 2.2914 P and N of the harvested struvite (1 mol P and 1 mol N
    per mol); the crop fertilized is the P2O5 over its offtake per tonne.
    Chemical costs: the Mg as MgCl2.6H2O, and NaOH; HCl is reported in kg but
    not priced. Distinct waters are equilibrated once.

    Examples
    --------
    >>> r = struvite_reactor(1.0, params=StruviteReactorParams(V_m3=1.0), T_C=20.0, pH=9.0,
    ...     NH4_N_mg_L=3000.0, PO4_P_mg_L=200.0, Mg_mg_L=0.0, Ca_mg_L=0.0,
    ...     K_mg_L=1500.0, Na_mg_L=1500.0, Cl_mg_L=2500.0, alkalinity_mg_L_HCO3=13000.0)
    >>> print(round(float(r.struvite_kg_d), 2), round(float(r.P2O5_kg_d), 3))
    1.41 0.409
    """
    for key in ("Mg_to_P_dose", "pH_target"):
        if key in water:
            raise ParameterError(f"struvite_reactor: {key} comes from params, not from the water")
    Q = np.asarray(flow_m3_d, dtype=float)
    if np.any(Q < 0):
        raise ParameterError(
            "struvite_reactor: flow_m3_d has a negative value; expected >= 0 m3 d-1"
        )
    ds = _equilibrate_unique(
        water,
        Mg_to_P_dose=params.Mg_to_P_dose,
        pH_target=np.nan if params.pH_target is None else params.pH_target,
    )
    shape = np.broadcast_shapes(Q.shape, ds["struvite_mol_L"].shape)
    treated = np.broadcast_to(np.minimum(Q, params.V_m3 * 24.0 / params.residence_h), shape)
    s = ds["struvite_mol_L"] * params.capture_frac  # mol L-1 harvested
    mol_d = np.broadcast_to(s * treated * 1e3, shape)
    M = M_g_mol
    P_in = np.asarray(water["PO4_P_mg_L"], dtype=float) / M["P"] / 1e3  # mol L-1
    dose = np.broadcast_to(params.Mg_to_P_dose * P_in * treated * 1e3, shape)  # mol d-1
    base = np.broadcast_to(ds["NaOH_mmol_L"] * treated, shape)  # mol d-1
    NaOH_kg_d = np.maximum(base, 0.0) * M["NaOH"] / 1e3
    P2O5_kg_d = mol_d * M["P"] * P2O5_PER_P / 1e3
    P_fed = P_in * Q * 1e3  # mol d-1
    return ReactorResult(
        treated_m3_d=treated,
        struvite_mol_d=mol_d,
        struvite_kg_d=mol_d * STRUVITE_g_mol / 1e3,
        P_kg_d=mol_d * M["P"] / 1e3,
        P2O5_kg_d=P2O5_kg_d,
        N_kg_d=mol_d * M["N"] / 1e3,
        Mg_kg_d=dose * M["Mg"] / 1e3,
        MgCl2_kg_d=dose * M["MgCl2"] / 1e3,
        NaOH_kg_d=NaOH_kg_d,
        HCl_kg_d=np.maximum(-base, 0.0) * M["HCl"] / 1e3,
        chemicals_cost_d=dose * M["MgCl2.6H2O"] / 1e3 * params.MgCl2_6H2O_price_per_kg
        + NaOH_kg_d * params.NaOH_price_per_kg,
        crop_t_d=P2O5_kg_d / params.crop_P2O5_offtake_kg_t,
        P_recovered_frac=np.divide(
            mol_d, P_fed, out=np.zeros(shape), where=np.broadcast_to(P_fed, shape) > 0
        ),
        pH_final=np.broadcast_to(ds["pH_final"], shape),
        SI_hydroxyapatite_initial=np.broadcast_to(ds["SI_hydroxyapatite_initial"], shape),
    )
