"""Thermodynamic data of the struvite model, transcribed from PHREEQC's phreeqc.dat.

What PHREEQC 3 (Parkhurst & Appelo 2013) computes from its ``phreeqc.dat``
database for the system H-O-Na-K-Ca-Mg-Cl-N(-3)-P-C(4), written out so that a
saturation index computed by nexus is PHREEQC's:

- :data:`DATABASE`: the database and program version the data are taken from;
- the reactions of phreeqc.dat (``SOLUTION_SPECIES`` and ``PHASES``): log K at
  25 degC, ``-delta_h`` and ``-analytic`` expressions; the struvite solubility
  product from the literature (:data:`STRUVITE_LOG_KSP_25C`,
  :data:`STRUVITE_DELTA_H_kJ_mol`);
- the aqueous species (:data:`SPECIES`) with their charge, formation from the
  master species (:data:`COMPONENTS`) and ``-gamma`` activity parameters;
- PHREEQC's physical constants (``global_structures.h``); the gram formula
  weights of ``SOLUTION_MASTER_SPECIES`` are nexus's one table of molar masses,
  :data:`nexus.constants.MOLAR_MASS_g_mol`, which the conversions from mg/L use;
- :func:`~nexus.units.struvite.log_k` (PHREEQC's ``k_calc``) and
  :func:`~nexus.units.struvite.debye_huckel_A_B` (``calc_rho_0``, ``calc_dielectrics``).

Each value carries its source beside it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from nexus.constants import MOLAR_MASS_g_mol

if TYPE_CHECKING:
    from typing import TypeAlias

    from numpy.typing import ArrayLike

    from nexus._typing import FloatArray

    #: A row of _SPECIES_TABLE: name, charge, stoichiometry, H2O, reactions, activity law.
    Species: TypeAlias = tuple[
        str, int, dict[str, int], int, tuple[str, ...], tuple[float, float] | str
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

#: Molar mass of struvite MgNH4PO4·6H2O [g/mol], from phreeqc.dat's element masses.
STRUVITE_g_mol: float = MOLAR_MASS_g_mol["MgNH4PO4.6H2O"]

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
_M_H2O_kg = MOLAR_MASS_g_mol["H2O"] / 1e3

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
    # Ca3(PO4)2 = 3 Ca+2 + 2 PO4-3: not in phreeqc.dat; PHASES of minteq.v4.dat (see
    # CA_PHOSPHATE_SOURCE), the calcium phosphate of the ADM1 phosphorus extension
    "Ca3(PO4)2(beta)": (-28.92, 54.0, None),
}

#: Where the log K of the calcium phosphate phase ``"Ca3(PO4)2(beta)"`` comes from.
CA_PHOSPHATE_SOURCE: str = (
    "minteq.v4.dat as shipped with PHREEQC 3 (usgs-coupled/phreeqc3, database/minteq.v4.dat, "
    "PHASES 'Ca3(PO4)2(beta)': Ca3(PO4)2 = 3 Ca+2 + 2 PO4-3, log_k -28.92, delta_h 54 kJ; the "
    "MINTEQA2 database, Allison, Brown & Novo-Gradac 1991, EPA/600/3-91/021). The same pKsp "
    "28.92 and 54 kJ/mol are the calcium phosphate ('ACP', Ca3(PO4)2) of the ADM1 phosphorus "
    "extension of Flores-Alsina et al. (2016), Water Res. 95:370, as QSDsan's ModifiedADM1 "
    "carries them (qsdsan/processes/_madm1.py, _pKsp_base and _Ksp_dH); the paper itself was "
    "not retrieved"
)

#: The mineral phases of the database, each as its dissolution in the master species
#: :data:`COMPONENTS` (stoichiometric coefficients, products positive) and H2O, with the
#: log K of :func:`~nexus.units.struvite.log_k` for that reaction as written there. Struvite and calcite are
#: written so in phreeqc.dat; ``"Ca3(PO4)2(beta)"`` so in minteq.v4.dat. Hydroxyapatite is
#: written with HPO4-2 in phreeqc.dat (``Ca5(PO4)3OH + 4 H+ = H2O + 3 HPO4-2 + 5 Ca+2``) and
#: is therefore not in this table (its saturation index is that of equilibrium._si).
PHASE_STOICHIOMETRY: dict[str, tuple[dict[str, int], int]] = {
    "Struvite": ({"Mg+2": 1, "NH4+": 1, "PO4-3": 1}, 6),
    "Calcite": ({"Ca+2": 1, "CO3-2": 1}, 0),
    "Ca3(PO4)2(beta)": ({"Ca+2": 3, "PO4-3": 2}, 0),
}
#: The phases whose log K :func:`~nexus.units.struvite.log_k` gives (dissolution reactions of _RXN).
PHASE_NAMES: tuple[str, ...] = ("Struvite", "Hydroxyapatite", "Calcite", "Ca3(PO4)2(beta)")

# Aqueous species: name, charge, stoichiometry in COMPONENTS, H2O in the formation
# reaction, reactions of _RXN summed into the formation log K, activity coefficient
# (a, b) of -gamma (WATEQ Debye-Hückel), "davies" (charged without -gamma) or
# "neutral" (log gamma = 0.1 I, PHREEQC's default for uncharged species). Grouped by
# the cation each holds (at most one, once: the speciation eliminates them, _ELIM).
_SPECIES_TABLE: tuple[Species, ...] = (
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


def _log_k_coef(name: str) -> FloatArray:
    """A1..A6 of log10 K(T) of a reaction of _RXN; van 't Hoff is linear in 1/T (A1, A3)."""
    lk, dh, an = _RXN[name]
    if an is not None:
        return np.array((tuple(an) + (0.0,) * 6)[:6])
    b = dh / (_LN10 * _R_kJ)
    return np.array([lk + b / 298.15, 0.0, -b, 0.0, 0.0, 0.0])


#: A1..A6 of log10 K of formation of each species, summed over its reactions.
_LOG_K_COEF = np.array([sum(map(_log_k_coef, row[4]), np.zeros(6)) for row in _SPECIES_TABLE])


def _t_terms(T_K: FloatArray) -> FloatArray:
    """The terms (..., 6) that multiply A1..A6: 1, T, 1/T, log10 T, 1/T^2, T^2."""
    return np.stack([np.ones_like(T_K), T_K, 1 / T_K, np.log10(T_K), T_K**-2, T_K**2], axis=-1)


def log_k(name: str, T_C: ArrayLike) -> FloatArray:
    r"""log10 of the formation constant of an aqueous species or of the dissolution of a phase.

    Parameters
    ----------
    name : str
        A name of :data:`~nexus.units.struvite.database.SPECIES` (formed from
        :data:`~nexus.units.struvite.database.COMPONENTS` and H2O) or a phase of
        :data:`~nexus.units.struvite.database.PHASE_NAMES` (``"Struvite"``,
        ``"Hydroxyapatite"``, ``"Calcite"``, ``"Ca3(PO4)2(beta)"``).
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
    if name in PHASE_NAMES:
        return _t_terms(T_K) @ _log_k_coef(name)
    return _t_terms(T_K) @ _LOG_K_COEF[SPECIES.index(name)]


def debye_huckel_A_B(T_C: ArrayLike) -> tuple[FloatArray, FloatArray]:
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
