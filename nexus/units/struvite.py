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

import ctypes
import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nexus.components import INDEX
from nexus.errors import ParameterError, SolverError
from nexus.registry import NodeInputs, NodeResult, Output, Port, Size, UnitType, register
from nexus.streams import Stream
from nexus.units.params import Params, field

if TYPE_CHECKING:
    from nexus.indicators import NodeView
    from nexus.optimize.maps import Column, SampleContext
    from nexus.optimize.model import BuildContext
    import xarray as xr

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
# "neutral" (log gamma = 0.1 I, PHREEQC's default for uncharged species). Grouped by
# the cation each holds (at most one, once: the speciation eliminates them, _ELIM).
_SPECIES_TABLE: tuple[tuple, ...] = (
    # of H+, PO4-3 and CO3-2 only
    ("H+", 1, {"H+": 1}, 0, (), (9.0, 0.0)),
    ("OH-", -1, {"H+": -1}, 1, ("OH-",), (3.5, 0.0)),
    ("PO4-3", -3, {"PO4-3": 1}, 0, (), (4.0, 0.0)),
    ("CO3-2", -2, {"CO3-2": 1}, 0, (), (5.4, 0.0)),
    ("HCO3-", -1, {"CO3-2": 1, "H+": 1}, 0, ("HCO3-",), (5.4, 0.0)),
    ("CO2", 0, {"CO3-2": 1, "H+": 2}, -1, ("CO2",), "neutral"),
    ("(CO2)2", 0, {"CO3-2": 2, "H+": 4}, -2, ("CO2", "CO2", "(CO2)2"), "neutral"),
    ("HPO4-2", -2, {"PO4-3": 1, "H+": 1}, 0, ("HPO4-2",), (5.0, 0.0)),
    ("H2PO4-", -1, {"PO4-3": 1, "H+": 2}, 0, ("H2PO4-",), (5.4, 0.0)),
    ("H3PO4", 0, {"PO4-3": 1, "H+": 3}, 0, ("H3PO4",), "neutral"),
    # of Na+
    ("Na+", 1, {"Na+": 1}, 0, (), (4.08, 0.082)),  # halite solubility
    ("NaOH", 0, {"Na+": 1, "H+": -1}, 1, ("NaOH", "OH-"), "neutral"),
    ("NaCO3-", -1, {"Na+": 1, "CO3-2": 1}, 0, ("NaCO3-",), "davies"),
    ("NaHCO3", 0, {"Na+": 1, "CO3-2": 1, "H+": 1}, 0, ("NaHCO3", "HCO3-"), "neutral"),
    ("NaHPO4-", -1, {"Na+": 1, "PO4-3": 1, "H+": 1}, 0, ("NaHPO4-", "HPO4-2"), (5.4, 0.0)),
    # of K+
    ("K+", 1, {"K+": 1}, 0, (), (3.5, 0.015)),
    ("KHPO4-", -1, {"K+": 1, "PO4-3": 1, "H+": 1}, 0, ("KHPO4-", "HPO4-2"), (5.4, 0.0)),
    # of Ca+2
    ("Ca+2", 2, {"Ca+2": 1}, 0, (), (5.0, 0.1650)),
    ("CaOH+", 1, {"Ca+2": 1, "H+": -1}, 1, ("CaOH+",), "davies"),
    ("CaCO3", 0, {"Ca+2": 1, "CO3-2": 1}, 0, ("CaCO3",), "neutral"),
    ("CaHCO3+", 1, {"Ca+2": 1, "CO3-2": 1, "H+": 1}, 0, ("CaHCO3+",), (6.0, 0.0)),
    ("CaPO4-", -1, {"Ca+2": 1, "PO4-3": 1}, 0, ("CaPO4-",), (5.4, 0.0)),
    ("CaHPO4", 0, {"Ca+2": 1, "PO4-3": 1, "H+": 1}, 0, ("CaHPO4", "HPO4-2"), "neutral"),
    ("CaH2PO4+", 1, {"Ca+2": 1, "PO4-3": 1, "H+": 2}, 0, ("CaH2PO4+", "H2PO4-"), (5.4, 0.0)),
    # of Mg+2
    ("Mg+2", 2, {"Mg+2": 1}, 0, (), (5.5, 0.20)),
    ("MgOH+", 1, {"Mg+2": 1, "H+": -1}, 1, ("MgOH+",), (6.5, 0.0)),
    ("MgCO3", 0, {"Mg+2": 1, "CO3-2": 1}, 0, ("MgCO3",), "neutral"),
    ("MgHCO3+", 1, {"Mg+2": 1, "CO3-2": 1, "H+": 1}, 0, ("MgHCO3+",), (4.0, 0.0)),
    ("MgPO4-", -1, {"Mg+2": 1, "PO4-3": 1}, 0, ("MgPO4-",), (5.4, 0.0)),
    ("MgHPO4", 0, {"Mg+2": 1, "PO4-3": 1, "H+": 1}, 0, ("MgHPO4", "HPO4-2"), "neutral"),
    ("MgH2PO4+", 1, {"Mg+2": 1, "PO4-3": 1, "H+": 2}, 0, ("MgH2PO4+", "H2PO4-"), (5.4, 0.0)),
    # of NH4+
    ("NH4+", 1, {"NH4+": 1}, 0, (), (2.5, 0.0)),
    ("NH3", 0, {"NH4+": 1, "H+": -1}, 0, ("NH3",), "neutral"),
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
_MASTER_ROW = np.array([SPECIES.index(c) for c in COMPONENTS])


def _gamma_law(row: tuple) -> tuple:
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


def _log_k_coef(name: str) -> np.ndarray:
    """A1..A6 of log10 K(T) of a reaction of _RXN; van 't Hoff is linear in 1/T (A1, A3)."""
    lk, dh, an = _RXN[name]
    if an is not None:
        return np.array((tuple(an) + (0.0,) * 6)[:6])
    b = dh / (_LN10 * _R_kJ)
    return np.array([lk + b / 298.15, 0.0, -b, 0.0, 0.0, 0.0])


#: A1..A6 of log10 K of formation of each species, summed over its reactions.
_LOG_K_COEF = np.array([sum(map(_log_k_coef, row[4]), np.zeros(6)) for row in _SPECIES_TABLE])


def _t_terms(T_K: np.ndarray) -> np.ndarray:
    """The terms (..., 6) that multiply A1..A6: 1, T, 1/T, log10 T, 1/T^2, T^2."""
    return np.stack([np.ones_like(T_K), T_K, 1 / T_K, np.log10(T_K), T_K**-2, T_K**2], axis=-1)


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
    :math:`\log K(T) = \log K_{298} - \Delta H (298.15 - T)/(\ln 10\,R\,298.15\,T)`,
    which is the same expression with :math:`A_1 = \log K_{298} + \Delta H/(\ln 10\,R\,298.15)`,
    :math:`A_3 = -\Delta H/(\ln 10\,R)`.
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
        return _t_terms(T_K) @ _log_k_coef(name)
    return _t_terms(T_K) @ _LOG_K_COEF[SPECIES.index(name)]


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
#: The forms that _revise updates (charge, alkalinity, ionic strength, sum, oxygen)
#: over the species of PO4-3, then over those of CO3-2 (none holds both).
_REVISED = [_LZ, _LALK, _LI, _LSUM, _LO]
_SUMS_PC = np.vstack([_FORMS[_REVISED] * (_NU[:, c] > 0) for c in (_PO4, _CO3)])
_PHOSPHATES = ("HPO4-2", "H2PO4-", "H3PO4")  # PO4-3 + k H+


#: The two solves (the influent; the reaction after dosing) and what each iterates on:
#: equations and unknowns, in the order of elimination of the linear solve (see
#: _solve_small); the column _XH stands for q where the pH is held. In the reaction,
#: where struvite may not form (_Batch.precip), its equation and unknown are pinned.
_INFLUENT, _REACTION = 0, 1
_SYSTEM = {
    _INFLUENT: ((_FP, _FC, _FI, _FAW, _FZ), (_XP, _XC, _XI, _XAW, _XH)),
    _REACTION: ((_FP, _FC, _FI, _FAW, _FO, _FZ, _FSI), (_XP, _XC, _XI, _XAW, _XW, _XH, _XS)),
}


def _jacobian_forms(mode: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
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


_JACOBIAN_FORMS = {mode: _jacobian_forms(mode) for mode in _SYSTEM}

#: ln m of an absent PO4-3 or CO3-2: its species are exactly 0 (exp underflows).
_PINNED = -1000.0
_O_STRUVITE = 10.0  # O per MgNH4PO4.6H2O: 4 of the phosphate, 6 of the water


class _Batch(NamedTuple):
    """Constants of a batch of waters for the Newton iteration (the batch last, ``n``)."""

    tterms: np.ndarray  # (6, n) the temperature terms of log K (_t_terms)
    A: np.ndarray  # (n,) Debye-Hückel A
    B: np.ndarray  # (n,) Debye-Hückel B
    tot: np.ndarray  # (8, n) totals of the components [mol]; H+ unused, 0: absent
    cl: np.ndarray  # (n,) Cl [mol]: given (influent, a first guess), or before any HCl
    alk: np.ndarray  # (n,) total alkalinity [eq/kgw] (influent)
    ph_fixed: np.ndarray  # (n,) bool: ln a(H+) is given and q is solved for
    has_pc: np.ndarray  # (2, n) bool: PO4-3, CO3-2 present (else pinned, equation void)
    lnksp: np.ndarray  # (n,) ln Ksp of struvite
    o_tot: np.ndarray  # (n,) mol O of water and solutes, before NaOH and struvite
    precip: np.ndarray  # (n,) bool: struvite forms, its amount solved for with SI = 0

    def take(self, rows) -> _Batch:
        """The waters ``rows`` (an index or a mask)."""
        return _Batch(*(a[..., rows] for a in self))


class _Eval(NamedTuple):
    """The species at ``x`` and what the residuals and the Jacobian reuse (batch last)."""

    m: np.ndarray  # (NS, n) molalities [mol/kgw]
    lgc: np.ndarray  # (classes, n) ln gamma of each class
    sums: np.ndarray  # (9, n) the forms _SUMS of m
    tot_e: np.ndarray  # (5, n) totals of the eliminated components [mol]
    s: np.ndarray  # (n,) struvite precipitated [mol]
    rem_p: np.ndarray  # (n,) PO4 left in solution [mol]
    W: np.ndarray  # (n,) mass of water [kg]
    cz: np.ndarray  # (n,) Cl molality
    dcl: np.ndarray  # (n,) d Cl [mol] / d q
    dna: np.ndarray  # (n,) d Na [mol] / d q
    om: np.ndarray  # (n,) a_H2O = 1 - 0.017 sum m (at least 1e-3)

    def take(self, rows) -> _Eval:
        """The waters ``rows`` (an index or a mask)."""
        return _Eval(*(a[..., rows] for a in self))


#: OpenBLAS runs a product of m x n x k <= 4 x 65536 on one thread (interface/gemm.c,
#: GEMM_MULTITHREAD_THRESHOLD x SMP_THRESHOLD_MIN) and a matrix-vector product of
#: m x n < 4 x 2304 (interface/gemv.c); beyond, it starts threads, which only contend
#: (on a loaded 2-core machine, 20x slower). _mm keeps every product below.
_BLAS_SERIAL_GEMM = 4 * 65536
_BLAS_SERIAL_GEMV = 4 * 2304


def _mm(P: np.ndarray, X: np.ndarray) -> np.ndarray:
    """P @ X for a constant ``P`` (M, K) or (K,) and a wide ``X`` (K, n), in column blocks."""
    K, n = X.shape
    M = P.shape[0] if P.ndim == 2 else 1
    block = max(16, _BLAS_SERIAL_GEMM // (M * K) if M > 1 else (_BLAS_SERIAL_GEMV - 1) // K)
    if n <= block:
        return P @ X
    out = np.empty((*P.shape[:-1], n))
    for i in range(0, n, block):
        np.matmul(P, X[:, i : i + block], out=out[..., i : i + block])
    return out


def _gammas(lnI: np.ndarray, A: np.ndarray, B: np.ndarray, derivative: bool = False):
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


def _removed(x: np.ndarray, b: _Batch) -> tuple[np.ndarray, np.ndarray]:
    """Struvite s [mol] (0 where it does not form) and what is left of Mg, NH4, PO4 (3, n)."""
    tot3 = b.tot[_STRUVITE_COMPONENTS]
    if not b.precip.any():
        return np.zeros(x.shape[1]), tot3
    room = np.exp(np.where(b.precip, x[_XS], 0.0))
    smax = tot3.min(axis=0)
    return np.where(b.precip, smax - room, 0.0), np.where(b.precip, (tot3 - smax) + room, tot3)


def _evaluate(x: np.ndarray, b: _Batch, mode: int) -> _Eval:
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


def _residuals(x: np.ndarray, b: _Batch, ev: _Eval, mode: int) -> np.ndarray:
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


def _ln_activities(x: np.ndarray, m: np.ndarray, lgc: np.ndarray) -> np.ndarray:
    """ln a of the components (8, n), -inf where absent."""
    with np.errstate(divide="ignore"):
        lna = np.log(m[_MASTER_ROW]) + lgc[_MASTER_CLASS]
    lna[_H] = x[_XH]
    return lna


def _ln_iap(x: np.ndarray, m: np.ndarray, lgc: np.ndarray) -> np.ndarray:
    """ln of the ion activity product of struvite, MgNH4PO4:6H2O = Mg+2 + NH4+ + PO4-3 + 6 H2O."""
    c = _STRUVITE_COMPONENTS
    with np.errstate(divide="ignore"):
        lna = np.log(m[_MASTER_ROW[c]]) + lgc[_MASTER_CLASS[c]]
    return lna.sum(axis=0) + 6.0 * x[_XAW]


def _jacobian(x: np.ndarray, b: _Batch, ev: _Eval, mode: int) -> np.ndarray:
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
    J[ne:] = 0.0  # equations that _SYSTEM[mode] leaves out, or filled below
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


def _solve_small(M: np.ndarray) -> np.ndarray:
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


def _linear_system(J: np.ndarray, F: np.ndarray, scale, b: _Batch, mode: int) -> np.ndarray:
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


def _step(x: np.ndarray, b: _Batch, ev: _Eval, F: np.ndarray, scale: np.ndarray, mode: int):
    """x after one damped Newton step on the equations and unknowns of ``mode``.

    A water whose elimination breaks down takes the minimum-norm least-squares
    step (LAPACK), none where its system is not finite.
    """
    cols = list(_SYSTEM[mode][1])
    J = _jacobian(x, b, ev, mode)
    J[:, _XH] = np.where(b.ph_fixed, J[:, _XQ], J[:, _XH])
    d = np.zeros_like(x)
    d[cols] = _solve_small(_linear_system(J, F, scale, b, mode))
    bad = ~np.isfinite(d).all(axis=0)
    if bad.any():
        M = _linear_system(J[:, :, bad], F[:, bad], scale[:, bad], b.take(bad), mode)
        M = M.transpose(2, 0, 1)
        finite = np.isfinite(M).all(axis=(1, 2))
        d[:, bad] = 0.0
        if finite.any():
            A, r = M[finite, :, :-1], M[finite, :, -1]
            d[np.ix_(cols, np.flatnonzero(bad)[finite])] = np.einsum(
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


def _newton(x: np.ndarray, b: _Batch, mode: int):
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


def _revise(x: np.ndarray, b: _Batch, mode: int) -> tuple[np.ndarray, np.ndarray]:
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


def _start_influent(b: _Batch, pH: np.ndarray) -> np.ndarray:
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


def _ln_room_guess(lnsi: np.ndarray, tot3: np.ndarray) -> np.ndarray:
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


def _with_struvite(x: np.ndarray, b: _Batch, room: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x with ln(s_max - s) = ``room`` for the waters ``w``, free PO4-3 scaled alike."""
    rem_p = _removed(x, b)[1][2, w]
    x[_XS, w] = room
    x[_XP, w] += np.log(_removed(x, b)[1][2, w] / rem_p)
    return x


def _precipitate(x: np.ndarray, lnsi: np.ndarray, b: _Batch, rows: np.ndarray, shape: tuple):
    """Struvite to equilibrium after dosing: x, molalities, ln gamma and struvite [mol].

    Where the first guess ``x`` of the dosed water is supersaturated (ln(IAP/Ksp)
    ``lnsi`` > 0) the struvite is an unknown of the Newton iteration and SI = 0 its
    equation, elsewhere it is 0. A water that ends with none, or without and
    supersaturated, is solved again the other way (SI falls as struvite forms, so
    one exchange settles each water).
    """
    can = np.all(b.tot[_STRUVITE_COMPONENTS] > 0, axis=0)

    def solve(x, b, lnsi):
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


def _si(lna: np.ndarray, lnaw: np.ndarray, T_C: np.ndarray, phase: str) -> np.ndarray:
    """Saturation index log10(IAP/K) of a phase as written in phreeqc.dat (-inf if absent)."""
    if phase == "Struvite":  # MgNH4PO4:6H2O = Mg+2 + NH4+ + PO4-3 + 6 H2O
        v = lna[_MG] + lna[_NH4] + lna[_PO4] + 6.0 * lnaw
    elif phase == "Calcite":  # CaCO3 = CO3-2 + Ca+2
        v = lna[_CA] + lna[_CO3]
    else:  # Ca5(PO4)3OH + 4 H+ = H2O + 3 HPO4-2 + 5 Ca+2, HPO4-2 = PO4-3 + H+
        lna_hpo4 = lna[_PO4] + lna[_H] + log_k("HPO4-2", T_C) * _LN10
        v = 5.0 * lna[_CA] + 3.0 * lna_hpo4 + lnaw - 4.0 * lna[_H]
    return v / _LN10 - log_k(phase, T_C)


def _raise_rows(what: str, rows: np.ndarray, shape: tuple) -> None:
    where = [np.unravel_index(int(r), shape) if shape else () for r in rows[:20]]
    raise SolverError(
        f"struvite.equilibrate: the {what} did not converge to {_TOL:g} in {_MAX_ITER} Newton "
        f"iterations for water row(s) {[tuple(int(i) for i in w) for w in where]}"
    )


#: Waters solved together: bounds the memory a call takes (about 4 kB per water).
_TILE = 10000


@functools.cache
def _keep_freed_memory() -> bool:
    """Let glibc's malloc keep freed memory for reuse (once per process); True if it did.

    Each Newton step allocates and frees tens of MB of arrays for 10,000 waters. By
    default glibc gives back to the system what is free above twice its largest
    freed block (a few MB here), and the next step faults the pages in again, zeroed
    by the kernel: a third of the run time (benchmarks/RESULTS.md). mallopt(3) with
    M_TRIM_THRESHOLD 256 MiB and M_MMAP_THRESHOLD 32 MiB keeps that much for reuse
    instead. No-op where the C library has no mallopt (macOS, Windows).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc malloc.h
    return bool(mallopt(m_mmap_threshold, 32 << 20)) & bool(mallopt(m_trim_threshold, 256 << 20))


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
    _keep_freed_memory()
    for start in range(0, ok.size, _TILE):
        tile = ok[start : start + _TILE]
        res = _solve({k: a[tile] for k, a in v.items()}, tile, shape)
        for k in _OUT:
            out[k][tile] = res[k]
    dims = ("water",) if shape else ()
    import xarray as xr  # imported when used: loading a district stays light

    ds = xr.Dataset(
        {
            k: (dims, out[k] if shape else out[k].reshape(()), {"units": u, "long_name": ln})
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


def _rows_of(mask: np.ndarray, ok: np.ndarray, shape: tuple) -> list:
    return [
        tuple(int(k) for k in np.unravel_index(int(r), shape)) if shape else ()
        for r in ok[mask][:20]
    ]


def _influent_failed(x0: np.ndarray, b0: _Batch, failed: np.ndarray, ok, shape) -> None:
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


def _influent_batch(v: dict) -> _Batch:
    """The influents of the waters ``v`` (1-d arrays of the arguments of equilibrate)."""
    g, n = _GFW, v["T_C"].size
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


def _dosed_batch(v: dict, b0: _Batch, x0: np.ndarray, m0: np.ndarray):
    """The waters after MgCl2 dosing (closed system) and a first guess: (batch, x)."""
    dose = v["Mg_to_P_dose"] * b0.tot[_PO4]
    tot = b0.tot.copy()
    tot[_MG] += dose
    c_tot = _mm(_NU[:, _CO3], m0)
    tot[_CO3] = np.where(c_tot > _MIN_TOTAL, c_tot, 0.0)
    fixed = ~np.isnan(v["pH_target"])
    b1 = b0._replace(
        tot=tot,
        cl=x0[_XQ] + 2.0 * dose,
        ph_fixed=fixed,
        has_pc=tot[[_PO4, _CO3]] > 0,
        # oxygen of the influent's 1 kg of water and solutes (MgCl2 brings none)
        o_tot=1.0 / _M_H2O_kg + _mm(_OXY, m0),
    )
    x1 = x0.copy()
    x1[_XH] = np.where(fixed, -v["pH_target"] * _LN10, x0[_XH])
    x1[_XC] = np.where(b1.has_pc[1], x0[_XC], _PINNED)
    x1[[_XW, _XS, _XQ]] = 0.0
    return b1, x1


def _solve(v: dict, ok: np.ndarray, shape: tuple) -> dict:
    """Solve the waters ``v`` (1-d arrays, no NaN except pH_target); ``ok`` maps to batch rows."""
    T_C, g = v["T_C"], _GFW

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
    xf, mf, lgf, s = _precipitate(*_revise(x1, b1, _REACTION), b1, ok, shape)
    W = np.exp(xf[_XW])
    base = np.where(b1.ph_fixed, xf[_XQ], 0.0)
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
        "NaOH_mmol_L": base * 1e3,
        "residual_PO4_P_mg_L": W * _mm(_NU[:, _PO4], mf) * g["P"] * 1e3,
        "residual_NH4_N_mg_L": W * _mm(_NU[:, _NH4], mf) * g["N"] * 1e3,
        "residual_Mg_mg_L": W * _mm(_NU[:, _MG], mf) * g["Mg"] * 1e3,
        "SI_struvite_final": _si(_ln_activities(xf, mf, lgf), xf[_XAW], T_C, "Struvite"),
        "SI_hydroxyapatite_initial": _si(lna0, x0[_XAW], T_C, "Hydroxyapatite"),
        "SI_calcite_initial": _si(lna0, x0[_XAW], T_C, "Calcite"),
        "Cl_balanced_mg_L": cl_bal * g["Cl"] * 1e3,
        # diagnostics (not in the Dataset): charge balance / sum |z| m after precipitation
        "_charge_imbalance_frac": (_mm(_Z, mf) - cl_f) / (_mm(np.abs(_Z), mf) + cl_f),
        "_water_kg": W,
    }


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
        unit="currency kg-1",
        low=0.0,
        high=100.0,
        source="market price of MgCl2.6H2O, 0.12 USD/kg, Table 1 of "
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC4642316/table/t1 (price year not stated); "
        "give it in the district's currency",
        doc="price of the magnesium chloride hexahydrate dosed",
    )
    NaOH_price_per_kg: float = field(
        0.46,
        unit="currency kg-1",
        low=0.0,
        high=100.0,
        source="market price of NaOH, 0.46 USD/kg, Table 1 of "
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC4642316/table/t1 (price year not stated); "
        "give it in the district's currency",
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
        doc="P2O5 a tonne of the food crop takes from the soil (the crop the struvite fertilizes)",
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
    chemicals_cost_d: np.ndarray  #: MgCl2.6H2O and NaOH bought [currency d-1] (HCl not priced)
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
        Daily rates [kg d-1, mol d-1, currency d-1, t d-1], ``P_recovered_frac`` of
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


# ------------------------------------------------------------------ unit type

#: Stream components read as the struvite model's water arguments [kg/h -> mg/L].
STREAM_WATER = {
    "NH4_N_mg_L": "NH4_N",
    "PO4_P_mg_L": "PO4_P",
    "Mg_mg_L": "Mg",
    "Ca_mg_L": "Ca",
    "K_mg_L": "K",
    "Na_mg_L": "Na",
    "Cl_mg_L": "Cl",
    "alkalinity_mg_L_HCO3": "Alk_HCO3",
}


class StruviteReactorType(UnitType):
    """Struvite precipitation from digester effluent; the harvest leaves as a product."""

    name = "struvite_reactor"
    description = (
        "struvite (MgNH4PO4.6H2O) precipitation from digester effluent with MgCl2 and NaOH"
    )
    ports = (Port("in", "water", "in"), Port("out", "water", "out"))
    params = StruviteReactorParams
    sizes = (Size("V_m3"),)
    outputs = (
        Output("struvite_kg_h", "kg h-1", "struvite harvested", annual="struvite harvested"),
        Output(
            "P_recovered_kg_h",
            "kg h-1",
            "phosphorus recovered for farms",
            role="P_recovered",
            annual="phosphorus recovered",
        ),
        Output(
            "N_recovered_kg_h",
            "kg h-1",
            "nitrogen recovered for farms",
            role="N_recovered",
            annual="nitrogen recovered",
        ),
        Output(
            "P2O5_kg_h",
            "kg h-1",
            "fertilizer value of the harvest as P2O5",
            annual="fertilizer value as P2O5",
        ),
        Output("PO4_P_in_kg_h", "kg h-1", "phosphate-P reaching the reactor"),
        Output("treated_m3_h", "m3 h-1", "flow through the reactor (the rest bypasses)"),
        Output("MgCl2_kg_h", "kg h-1", "MgCl2 dosed (anhydrous)", annual="MgCl2 dosed"),
        Output("NaOH_kg_h", "kg h-1", "NaOH dosed to hold the pH", annual="NaOH dosed"),
        Output("HCl_kg_h", "kg h-1", "HCl dosed to hold the pH"),
        Output(
            "chemicals_cost_h",
            "currency h-1",
            "MgCl2.6H2O and NaOH bought",
            annual="chemicals cost",
        ),
        Output(
            "crop_t_h",
            "t h-1",
            "crop whose phosphorus the harvest replaces",
            annual="crop the recovered P can fertilize",
        ),
        Output(
            "SI_hydroxyapatite_in",
            "1",
            "hydroxyapatite saturation index of the inlet water (> 0: Ca phosphate can form)",
        ),
        Output("pH_in", "1", "pH of the water reaching the reactor", optional=True),
        Output("pH_final", "1", "equilibrium pH of the treated water", optional=True),
    )

    def run(self, params: StruviteReactorParams, inputs: NodeInputs) -> NodeResult:
        """:func:`struvite_reactor` on the inlet water, hour by hour (rates per hour)."""
        water = inputs.inlets["in"]
        flow = water.flow_m3_h
        n = flow.size
        built = params.V_m3 > 0  # a reactor not built (volume 0) passes all water by
        if water.pH is None and built:
            raise ParameterError(
                "the struvite reactor needs the pH of its inlet water, which only an "
                "anaerobic_digester outlet carries (directly, or through units that keep it); "
                "connect its 'in' port to a digester's 'out'"
            )
        wet = flow > 0
        r = None
        if wet.any() and built:
            # Hours without flow take the water of the first hour with flow: their rates are 0.
            fill = np.where(wet, np.arange(n), int(np.flatnonzero(wet)[0]))
            conc = {
                arg: (water.loads_kg_h[fill, INDEX[c]] / flow[fill] * 1e3)
                for arg, c in STREAM_WATER.items()
            }
            r = struvite_reactor(
                flow * 24.0, params=params, T_C=water.T_C[fill], pH=water.pH[fill], **conc
            )
        zero = np.zeros(n)

        def hourly(name: str) -> np.ndarray:
            return zero if r is None else getattr(r, name) / 24.0

        M = M_g_mol
        mol_h = hourly("struvite_mol_d")
        NaOH_mol_h = hourly("NaOH_kg_d") * 1e3 / M["NaOH"]
        HCl_mol_h = hourly("HCl_kg_d") * 1e3 / M["HCl"]
        removed = {p: mol_h * M[p] / 1e3 for p in ("P", "N", "Mg")}
        dosed = {
            "Mg": hourly("Mg_kg_d"),
            "Cl": hourly("MgCl2_kg_d") - hourly("Mg_kg_d") + HCl_mol_h * M["Cl"] / 1e3,
            "Na": NaOH_mol_h * M["Na"] / 1e3,
        }
        loads = water.loads_kg_h.copy()
        loads[:, INDEX["PO4_P"]] -= removed["P"]
        loads[:, INDEX["NH4_N"]] -= removed["N"]
        loads[:, INDEX["Mg"]] += dosed["Mg"] - removed["Mg"]
        loads[:, INDEX["Cl"]] += dosed["Cl"]
        loads[:, INDEX["Na"]] += dosed["Na"]
        # PHREEQC alkalinity: +1 eq per NaOH, -1 per HCl, -2 per struvite (PO4-3 counts 2)
        loads[:, INDEX["Alk_HCO3"]] += (NaOH_mol_h - HCl_mol_h - 2.0 * mol_h) * M["HCO3"] / 1e3
        outputs = {
            "struvite_kg_h": hourly("struvite_kg_d"),
            "P_recovered_kg_h": removed["P"],
            "N_recovered_kg_h": removed["N"],
            "P2O5_kg_h": hourly("P2O5_kg_d"),
            "PO4_P_in_kg_h": water.loads_kg_h[:, INDEX["PO4_P"]],
            "treated_m3_h": hourly("treated_m3_d"),
            "MgCl2_kg_h": hourly("MgCl2_kg_d"),
            "NaOH_kg_h": hourly("NaOH_kg_d"),
            "HCl_kg_h": hourly("HCl_kg_d"),
            "chemicals_cost_h": hourly("chemicals_cost_d"),
            "crop_t_h": hourly("crop_t_d"),
            "SI_hydroxyapatite_in": zero if r is None else r.SI_hydroxyapatite_initial,
        }
        if water.pH is not None:  # unknown upstream of a digester not built
            outputs["pH_in"] = water.pH
            outputs["pH_final"] = water.pH if r is None else r.pH_final
        return NodeResult(
            outlets={"out": Stream(flow, water.T_C, loads)},
            removed_kg_h=removed,
            dosed_kg_h=dosed,
            outputs=outputs,
        )

    def sample(self, ctx: SampleContext, columns: list[Column]) -> dict[str, np.ndarray]:
        """P harvestable from each sampled upstream effluent, per m3 of reactor, and its cost.

        Returns ``P_kg_h`` (upstream columns, time): the P the reactor harvests
        if it treats all the effluent [kg h-1]; ``P_kg_h_per_m3`` (time): P
        harvested per m3 of reactor when the flow exceeds what it can treat
        [kg h-1 m-3], and ``cost_per_kg_P`` (time): chemicals per kg P
        [currency kg-1], both from the last upstream run that carries a pH.
        """
        big = dataclasses.replace(ctx.params, V_m3=1e4)  # treats every flow
        harvest = []
        last = None
        for water in ctx.upstream("in"):
            if water.pH is None:  # an upstream digester not built: its water has no pH
                harvest.append(np.zeros(water.flow_m3_h.size))
                continue
            last = self.run(big, dataclasses.replace(ctx.inputs, inlets={"in": water}))
            harvest.append(last.removed_kg_h["P"])
        n = harvest[0].size
        if last is None:
            return {
                "P_kg_h": np.stack(harvest),
                "P_kg_h_per_m3": np.zeros(n),
                "cost_per_kg_P": np.zeros(n),
            }
        P = last.removed_kg_h["P"]
        treated = last.outputs["treated_m3_h"]
        per_m3_treated = np.divide(P, treated, out=np.zeros(n), where=treated > 0)
        cost = np.divide(last.outputs["chemicals_cost_h"], P, out=np.zeros(n), where=P > 0)
        return {
            "P_kg_h": np.stack(harvest),
            "P_kg_h_per_m3": per_m3_treated / ctx.params.residence_h,
            "cost_per_kg_P": cost,
        }

    def build(self, ctx: BuildContext) -> None:
        """Harvests what the upstream effluent offers, if the volume holds the hour's flow
        (a reactor the optimizer sizes is sized for the peak hour)."""
        volume = ctx.size("V_m3")
        harvest, per_m3 = ctx.series("P_kg_h"), ctx.series("P_kg_h_per_m3")
        H_max = harvest.max(axis=0)
        P = ctx.var("P", ctx.TIME, units="kg/h", doc="P harvested")
        offered = ctx.upstream_mixed("in", "P_kg_h", "kg/h")
        built = ctx.built("V_m3")
        holds = (volume * per_m3).scaled(unit="kg/h/m**3")
        if ctx.fixed("V_m3") is not None:  # a fixed volume harvests what it holds
            cap = per_m3 * ctx.fixed("V_m3")
            # the simulation harvests min(offered, what the volume holds); that is not
            # convex in the offer, so the harvest is bounded below by the offer less the
            # most any sampled run can exceed the volume by (exact where none exceeds it)
            short = np.maximum(H_max - cap, 0.0)
            ctx.constrain("harvest_max", P <= offered, "harvest at most what is offered")
            ctx.constrain(
                "volume", P <= ctx.const(cap, "kg/h"), "harvest at most what the volume holds"
            )
            ctx.constrain(
                "harvest_all",
                P >= offered - ctx.const(short, "kg/h"),
                "all harvested, less what may not fit in the volume",
            )
        elif built is None:  # no fixed cost: always built, sized for the peak
            ctx.constrain("harvest_all", P == offered, "all harvested")
            ctx.constrain("volume", offered <= holds, "the volume holds the flow")
        else:  # built or not (binary), sized for the peak if built
            unbuilt = ctx.const(H_max, "kg/h") - built.scaled(unit="kg/h") * H_max
            ctx.constrain("harvest_max", P <= offered, "harvest at most what is offered")
            ctx.constrain(
                "harvest_if_built",
                P <= built.scaled(unit="kg/h") * H_max,
                "no harvest unless built",
            )
            ctx.constrain("harvest_all", P >= offered - unbuilt, "all harvested if built")
            ctx.constrain(
                "volume", offered - unbuilt <= holds, "the volume holds the flow, if built"
            )
        N = P * (M_g_mol["N"] / M_g_mol["P"])  # struvite carries one N per P
        ctx.role("P_recovered", P)
        ctx.role("N_recovered", N)
        ctx.cost("chemicals", (P * ctx.series("cost_per_kg_P")).scaled(unit=f"{ctx.currency}/kg"))
        ctx.report("P_recovered_kg_h", P)
        ctx.report("N_recovered_kg_h", N)

    def kpis(self, node: NodeView) -> dict[str, float]:
        """Adds the phosphorus recovered as a share of the phosphate reaching the reactor."""
        out = super().kpis(node)
        offered = node.total("PO4_P_in_kg_h")
        if offered > 0:
            out[node.label("phosphate-P recovered, share of what reaches it", "%")] = (
                100.0 * node.total("P_recovered_kg_h") / offered
            )
        return out


register(StruviteReactorType())
