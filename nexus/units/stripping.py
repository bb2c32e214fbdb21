"""Ammonia stripping with an acid scrubber: nitrogen recovered as ammonium sulfate.

Digester (or struvite-reactor) effluent is brought to a high pH with NaOH and,
optionally, warmed; in a packed column air carries the free ammonia (NH3) out
of the water, and in an acid scrubber sulfuric acid binds it as ammonium
sulfate solution, a liquid fertilizer. The air circulates in a closed loop
between the stripping column and the scrubber, as in the full-scale plant of
Kloten/Opfikon (Switzerland, see References).

The model, hour by hour (all arrays over the year at once):

1. **Free ammonia** (:func:`free_ammonia_frac`): the share of total ammonia
   present as NH3 at the column's pH and temperature, with the dissociation
   constant of NH4+ and its temperature dependence from phreeqc.dat, the one
   the struvite model uses (:func:`pKa_NH4`).
2. **Base dose** (:func:`base_dose_mol_m3`): a closed-system titration on the
   alkalinity carried by the stream (``Alk_HCO3``, PHREEQC's definition). The
   inlet's total carbonate follows from its pH and alkalinity; NaOH raises
   the pH to ``pH_target`` and holds it there while ammonia leaves the water
   (each mol of NH3 stripped takes one equivalent of alkalinity with it).
3. **Gas-liquid transfer** (:func:`kremser_remaining_frac`): a
   counter-current packed column with clean inlet air (the scrubber returns
   it free of ammonia) at a stated air-to-water ratio; Henry's law for NH3
   (:func:`henry_NH3_cc`) times the free fraction gives the column's
   stripping factor, and the Kremser equation for a packed column with a
   number of transfer units gives the ammonium-N left in the water.
4. **Scrubber and product**: 1 mol H2SO4 per 2 mol N (stoichiometry of
   2 NH3 + H2SO4 = (NH4)2SO4), ammonium sulfate product mass and solution
   volume at a stated concentration.
5. **Energy**: heat to warm the water to the column temperature (a
   feed/effluent exchanger recovering a share of it), and electricity per kg
   of N recovered.

Scope, stated once: ideal solution (activity coefficients 1; pH is read as
-log10 of the H+ activity): against PHREEQC the NaOH dose is within 2 % in
dilute water but 7 % (25 degC) to 17 % (40 degC) low in digester centrate,
whose ionic strength lowers the carbonate ion's activity
(``tests/validation/test_stripping_validation.py``); ion pairs and
precipitation (calcite scaling) are left out; the closed air loop exchanges no CO2, water vapour or heat with the
atmosphere (its air is saturated and CO2 in it is at equilibrium with the
water, so carbonate is conserved; an open CO2 pre-stripper, which Kloten/Opfikon
reports halves the NaOH, is not modelled); only ammonium-N is stripped;
NaOH is the base (lime would add calcium that precipitates as calcite on the
packing, which the model cannot represent).

NaN inputs propagate (that hour only); negative flows or concentrations,
temperatures or pH out of range raise :class:`~nexus.errors.ParameterError`
naming the argument.

Contents
--------
- :func:`pKa_NH4`, :func:`free_ammonia_frac`, :func:`henry_NH3_cc`:
  the equilibria;
- :func:`carbonate_mol_m3`, :func:`pH_from_alkalinity`: the closed-system
  carbonate-ammonia-phosphate speciation;
- :func:`kremser_remaining_frac`: the column;
- :func:`base_dose_mol_m3`: the NaOH held pH needs;
- :class:`StripperParams`, :func:`ammonia_stripper` and :class:`StripperResult`:
  the unit process on a flow;
- the unit type ``ammonia_stripper`` (:class:`AmmoniaStripperType`): ports,
  size, outputs, simulation, sampled map and optimizer model.

References
----------
- Parkhurst, D.L., Appelo, C.A.J. (2013), Description of input and examples
  for PHREEQC version 3, USGS Techniques and Methods 6-A43, doi:10.3133/tm6A43
  (phreeqc.dat: NH4+ = NH3 + H+, ``-analytic 0.6322 -0.001225 -2835.76``).
- Sander, R. (2023), Compilation of Henry's law constants (version 5.0.0)
  for water as solvent, Atmos. Chem. Phys. 23:10901-12440,
  doi:10.5194/acp-23-10901-2023 (ammonia: Hscp 5.9e-1 mol m-3 Pa-1,
  d ln H / d(1/T) 4200 K, Burkholder et al. 2019).
- Morales, N., Boehler, M.A., Buettner, S., Liebi, C., Siegrist, H. (2013),
  Recovery of N and P from urine by struvite precipitation followed by
  combined stripping with digester sludge liquid at full scale, Water
  5:1262-1278, doi:10.3390/w5031262 (the plant of Kloten/Opfikon; with the
  Eawag news of 18 January 2012 and klaeranlage.ch for the figures compared
  in ``tests/validation/test_stripping_validation.py``).
- U.S. Army Corps of Engineers (2001), Design Guide DG 1110-1-3, Air
  Stripping, Appendix D (packed column example).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, cast

import numpy as np

from nexus.components import INDEX
from nexus.constants import CV_WATER_kWh_m3K, MOLAR_MASS_g_mol
from nexus.errors import ParameterError
from nexus.registry import (
    NodeInputs,
    NodeResult,
    Output,
    Port,
    Ratio,
    Size,
    UnitType,
    register,
)
from nexus.streams import Stream
from nexus.units.checks import as_float, check_in, check_nonneg
from nexus.units.params import Params, field
from nexus.units.struvite.database import log_k

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from nexus._typing import FloatArray, Floats
    from nexus.optimize.maps import Column, SampleContext
    from nexus.optimize.model import BuildContext

__all__ = [
    "H2SO4_PER_N",
    "SULFATE_PER_N",
    "AmmoniaStripperType",
    "StripperParams",
    "StripperResult",
    "ammonia_stripper",
    "base_dose_mol_m3",
    "carbonate_mol_m3",
    "free_ammonia_frac",
    "henry_NH3_cc",
    "kremser_remaining_frac",
    "pH_from_alkalinity",
    "pKa_NH4",
]

log = logging.getLogger(__name__)

_M = MOLAR_MASS_g_mol
#: kg H2SO4 per kg N scrubbed (3.501): 2 NH3 + H2SO4 = (NH4)2SO4.
H2SO4_PER_N: float = _M["H2SO4"] / (2.0 * _M["N"])
#: kg (NH4)2SO4 per kg N scrubbed (4.717).
SULFATE_PER_N: float = _M["(NH4)2SO4"] / (2.0 * _M["N"])

#: Henry's law solubility of NH3 at 298.15 K [mol m-3 Pa-1] and its temperature
#: dependence d ln H / d(1/T) [K]: Sander (2023), the value recommended by
#: Burkholder et al. (2019).
HENRY_NH3_298_mol_m3Pa: float = 0.59
HENRY_NH3_dlnH_K: float = 4200.0
_R_J_molK = 8.314462618  # molar gas constant, CODATA 2018
_T0 = 273.15


# ---------------------------------------------------------------------------- equilibria


def pKa_NH4(T_C: ArrayLike) -> FloatArray:
    r"""Acidity constant of NH4+ (NH4+ = NH3 + H+) as pKa, at temperature.

    Parameters
    ----------
    T_C : array_like
        Temperature [degC].

    Returns
    -------
    numpy.ndarray
        pKa [1].

    Notes
    -----
    :math:`pK_a = -\log_{10} K`, with :math:`\log_{10} K = 0.6322 - 0.001225\,T
    - 2835.76/T` (T in K), phreeqc.dat's analytical expression, as
    :func:`nexus.units.struvite.log_k` evaluates it for the struvite model:
    one constant for both units. It gives 9.244 at 25 degC. ADM1's
    :math:`K_{a,IN}` (BSM2: pKa 9.25 at 25 degC, van 't Hoff with 51965 J/mol)
    agrees within 0.01 from 0 to 60 degC (``tests/units/test_stripping.py``);
    Emerson et al. (1975) and Anthonisen et al. (1976) within 0.01 from 0 to
    40 degC (``tests/validation/test_stripping_validation.py``).

    Examples
    --------
    >>> print(pKa_NH4([0.0, 25.0, 35.0]).round(3))
    [10.084  9.244  8.948]
    """
    return -log_k("NH3", T_C)


def free_ammonia_frac(pH: ArrayLike, T_C: ArrayLike) -> FloatArray:
    r"""Share of total ammonia present as free NH3.

    Parameters
    ----------
    pH : array_like
        pH, 0-14 [1].
    T_C : array_like
        Temperature, 0-100 [degC].

    Returns
    -------
    numpy.ndarray
        :math:`[NH_3] / ([NH_3] + [NH_4^+]) = 1 / (1 + 10^{pK_a - pH})` [1],
        pKa from :func:`pKa_NH4`; ideal solution.

    Examples
    --------
    >>> print(free_ammonia_frac([7.0, 9.3, 11.0], 25.0).round(4))
    [0.0057 0.5321 0.9828]
    """
    ph, t = as_float(pH), as_float(T_C)
    check_in("pH", ph, 0.0, 14.0)
    check_in("T_C", t, 0.0, 100.0)
    return 1.0 / (1.0 + 10.0 ** (pKa_NH4(t) - ph))


def henry_NH3_cc(T_C: ArrayLike) -> FloatArray:
    r"""Henry's law constant of NH3 as the dimensionless gas/liquid concentration ratio.

    Parameters
    ----------
    T_C : array_like
        Temperature, 0-100 [degC].

    Returns
    -------
    numpy.ndarray
        :math:`H_{cc} = c_{gas}/c_{aq}` of free NH3 [1].

    Notes
    -----
    :math:`H^{cp}(T) = H^{cp}_{298} \exp(4200 (1/T - 1/298.15))` with
    :math:`H^{cp}_{298}` = 0.59 mol m-3 Pa-1 (Sander 2023, recommended value),
    and :math:`H_{cc} = 1/(H^{cp} R T)`. ADM1 uses the same van 't Hoff form for
    its gases (K_H of H2, CH4, CO2, :mod:`nexus.units.adm1`); it carries no NH3
    gas.

    Examples
    --------
    >>> print((henry_NH3_cc([25.0, 35.0]) * 1e4).round(2))
    [ 6.84 10.45]
    """
    t = as_float(T_C)
    check_in("T_C", t, 0.0, 100.0)
    T_K = t + _T0
    hcp = HENRY_NH3_298_mol_m3Pa * np.exp(HENRY_NH3_dlnH_K * (1.0 / T_K - 1.0 / 298.15))
    return 1.0 / (hcp * _R_J_molK * T_K)


def _fractions(pH: FloatArray, T_C: FloatArray) -> dict[str, FloatArray]:
    """Ideal-solution distribution of carbonate, phosphate and ammonia, and H+, OH- [mol m-3].

    The constants are phreeqc.dat's (:func:`nexus.units.struvite.log_k`), for the
    formation of each species from the master species CO3-2, PO4-3, NH4+ and H+.
    """
    h = 10.0**-pH
    k = {s: 10.0 ** log_k(s, T_C) for s in ("HCO3-", "CO2", "HPO4-2", "H2PO4-", "H3PO4")}
    c = 1.0 + k["HCO3-"] * h + k["CO2"] * h * h  # CO3, HCO3, CO2 relative to CO3
    p = 1.0 + k["HPO4-2"] * h + k["H2PO4-"] * h**2 + k["H3PO4"] * h**3
    kw = 10.0 ** log_k("OH-", T_C)
    return {
        "C_alk": (k["HCO3-"] * h + 2.0) / c,  # alkalinity per mol carbonate: HCO3- + 2 CO3-2
        "P_alk": (2.0 + k["HPO4-2"] * h - k["H3PO4"] * h**3) / p,  # 2 PO4 + HPO4 - H3PO4
        "N_alk": 1.0 / (1.0 + 10.0 ** (pKa_NH4(T_C) - pH)),  # NH3 counts 1
        "water": 1e3 * (kw / h - h),  # OH- - H+ [mol m-3]
    }


def _alkalinity(
    pH: ArrayLike, T_C: ArrayLike, C_T: ArrayLike, N: ArrayLike, P: ArrayLike
) -> FloatArray:
    r"""Total alkalinity as PHREEQC defines it, ideal solution [eq m-3 = mmol L-1].

    :math:`[HCO_3^-] + 2[CO_3^{2-}] + [NH_3] + [HPO_4^{2-}] + 2[PO_4^{3-}] - [H_3PO_4]
    + [OH^-] - [H^+]` for totals ``C_T``, ``N``, ``P`` [mol m-3]: the master species'
    ``alk`` of phreeqc.dat (H+ -1, CO3-2 2, PO4-3 2, NH4+ 0), the alkalinity nexus
    carries as ``Alk_HCO3``. Increasing in pH at fixed totals.
    """
    f = _fractions(as_float(pH), as_float(T_C))
    return (
        as_float(C_T) * f["C_alk"]
        + as_float(N) * f["N_alk"]
        + as_float(P) * f["P_alk"]
        + f["water"]
    )


def carbonate_mol_m3(
    pH: ArrayLike,
    T_C: ArrayLike,
    alkalinity_mol_m3: ArrayLike,
    NH4_N_mol_m3: ArrayLike,
    PO4_P_mol_m3: ArrayLike,
) -> FloatArray:
    """Total inorganic carbon of a water from its pH and alkalinity (ideal solution).

    Parameters
    ----------
    pH, T_C : array_like
        pH [1] and temperature [degC] at which the pH was measured.
    alkalinity_mol_m3 : array_like
        Total alkalinity (PHREEQC's definition: carbonate, NH3, phosphate and
        OH- less H+) [eq m-3].
    NH4_N_mol_m3, PO4_P_mol_m3 : array_like
        Total ammonia N, orthophosphate P, >= 0 [mol m-3].

    Returns
    -------
    numpy.ndarray
        Total inorganic carbon [mol m-3] that gives the water the given
        alkalinity at its pH.

    Raises
    ------
    nexus.ParameterError
        The alkalinity is below what ammonia, phosphate and OH- carry at that pH
        (negative carbonate): pH and alkalinity do not describe one water.

    Examples
    --------
    >>> print(round(float(carbonate_mol_m3(8.0, 25.0, 107.97, 100.0, 5.0)), 1))
    100.0
    """
    ph, t = as_float(pH), as_float(T_C)
    alk = as_float(alkalinity_mol_m3)
    non_carbonate = _alkalinity(ph, t, 0.0, NH4_N_mol_m3, PO4_P_mol_m3)
    per_C = _fractions(ph, t)["C_alk"]
    C = (alk - non_carbonate) / per_C
    bad = C < -1e-9 * np.maximum(np.abs(alk), 1.0)
    if np.any(bad):
        i = int(np.flatnonzero(np.broadcast_to(bad, C.shape).reshape(-1))[0])
        raise ParameterError(
            f"alkalinity_mol_m3 = {np.broadcast_to(alk, C.shape).reshape(-1)[i]!r} is below the "
            f"{np.broadcast_to(non_carbonate, C.shape).reshape(-1)[i]!r} eq/m3 that ammonia, "
            "phosphate and OH- carry at the given pH; expected the alkalinity of the water at "
            "that pH (as PHREEQC defines it: carbonate, NH3, phosphate, OH- less H+)"
        )
    return np.maximum(C, 0.0)


def pH_from_alkalinity(
    alkalinity_mol_m3: ArrayLike,
    T_C: ArrayLike,
    carbonate_mol_m3: ArrayLike,
    NH4_N_mol_m3: ArrayLike,
    PO4_P_mol_m3: ArrayLike,
) -> FloatArray:
    """The pH at which a water of given totals has a given alkalinity (ideal solution).

    Parameters
    ----------
    alkalinity_mol_m3 : array_like
        Total alkalinity [eq m-3].
    T_C : array_like
        Temperature, 0-100 [degC].
    carbonate_mol_m3, NH4_N_mol_m3, PO4_P_mol_m3 : array_like
        Totals, >= 0 [mol m-3].

    Returns
    -------
    numpy.ndarray
        pH [1], by bisection on [0, 14] to 1e-12 (the alkalinity is
        increasing in pH); NaN where an input is NaN.

    Examples
    --------
    >>> print(round(float(pH_from_alkalinity(107.97, 25.0, 100.0, 100.0, 5.0)), 3))
    8.0
    """
    args = np.broadcast_arrays(
        *(
            as_float(a)
            for a in (alkalinity_mol_m3, T_C, carbonate_mol_m3, NH4_N_mol_m3, PO4_P_mol_m3)
        )
    )
    alk, t, C, N, P = args
    missing = np.zeros(alk.shape, dtype=bool)
    for a in args:
        missing |= np.isnan(a)
    ok = ~missing
    lo, hi = np.zeros(alk.shape), np.full(alk.shape, 14.0)
    t0 = np.where(ok, t, 25.0)
    C0, N0, P0, alk0 = (np.where(ok, a, 0.0) for a in (C, N, P, alk))
    for _ in range(48):  # 14 / 2**48 < 1e-13
        mid = 0.5 * (lo + hi)
        above = _alkalinity(mid, t0, C0, N0, P0) > alk0
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return np.where(ok, 0.5 * (lo + hi), np.nan)


# --------------------------------------------------------------------------- the column


def kremser_remaining_frac(stripping_factor: ArrayLike, transfer_units: ArrayLike) -> FloatArray:
    r"""Share of a volatile solute left in the water of a counter-current packed column.

    Parameters
    ----------
    stripping_factor : array_like
        :math:`S = H\,G/L`, >= 0 [1]: the Henry constant of the strippable form
        (gas/liquid concentrations) times the air-to-water volume ratio.
    transfer_units : array_like
        NTU of the packing (overall liquid-phase basis), >= 0 [1].

    Returns
    -------
    numpy.ndarray
        :math:`C_{out}/C_{in}` [1] for air entering free of the solute.

    Notes
    -----
    The packed-column form of the Kremser equation (USACE DG 1110-1-3;
    Crittenden et al., MWH Water Treatment, 3rd ed., 2012, Ch. 14):
    :math:`NTU = \frac{S}{S-1}\ln\frac{(C_{in}/C_{out})(S-1)+1}{S}`, solved for
    the outlet and written without cancellation near S = 1:

    .. math:: \frac{C_{out}}{C_{in}} = \frac{1}{1 + NTU\,\varphi(x)},\quad
              x = NTU\frac{S-1}{S},\quad \varphi(x) = \frac{e^x - 1}{x}

    (:math:`1/(1 + NTU)` at S = 1; :math:`e^{-NTU}` as S grows without bound;
    1 at S = 0).

    Examples
    --------
    A column of 4.518 transfer units at S = 3 leaves 1/30 of the solute:

    >>> print(kremser_remaining_frac([0.0, 1.0, 3.0], [2.0, 2.0, 4.518]).round(4))
    [1.     0.3333 0.0333]
    """
    S, ntu = np.broadcast_arrays(as_float(stripping_factor), as_float(transfer_units))
    check_nonneg("stripping_factor", S)
    check_nonneg("transfer_units", ntu)
    positive = S > 0
    x = np.where(positive, ntu * (S - 1.0) / np.where(positive, S, 1.0), 0.0)
    small = np.abs(x) < 1e-8
    phi = np.where(small, 1.0 + 0.5 * x, np.expm1(x) / np.where(small, 1.0, x))
    out = np.where(positive, 1.0 / (1.0 + ntu * phi), 1.0)
    return np.where(np.isnan(S) | np.isnan(ntu), np.nan, out)


def base_dose_mol_m3(
    *,
    pH_in: ArrayLike,
    T_in_C: ArrayLike,
    pH_column: ArrayLike,
    T_column_C: ArrayLike,
    alkalinity_mol_m3: ArrayLike,
    NH4_N_mol_m3: ArrayLike,
    PO4_P_mol_m3: ArrayLike,
    stripped_N_mol_m3: ArrayLike,
) -> FloatArray:
    r"""NaOH a water needs to reach a pH and hold it while ammonia is stripped from it.

    Parameters
    ----------
    pH_in, T_in_C : array_like
        pH [1] and temperature [degC] of the water as it arrives.
    pH_column, T_column_C : array_like
        pH held in the column [1], at the column's temperature [degC].
    alkalinity_mol_m3 : array_like
        Alkalinity of the arriving water [eq m-3].
    NH4_N_mol_m3, PO4_P_mol_m3 : array_like
        Total ammonia N and orthophosphate P of the arriving water [mol m-3].
    stripped_N_mol_m3 : array_like
        Ammonia N the column strips [mol m-3].

    Returns
    -------
    numpy.ndarray
        NaOH [mol m-3 of water].

    Notes
    -----
    A closed-system titration (Stumm and Morgan, Aquatic Chemistry, 3rd ed.,
    1996, Ch. 4: alkalinity is conserved by every reaction but the addition of
    base or acid and the loss of a species that carries it; carbonate is
    conserved in a closed system). Total carbonate :math:`C_T` follows from
    the inlet's pH and alkalinity (:func:`carbonate_mol_m3`). Alkalinity then
    balances as :math:`Alk_{in} + NaOH - N_{stripped} = Alk(pH_{col}, T_{col};
    C_T, N_{in} - N_{stripped}, P)`: each mol of NH3 leaving takes one
    equivalent with it (NH4+ = NH3 + H+ leaves the proton behind), so holding
    the pH costs :math:`(1 - f_{NH_3})` mol NaOH per mol N stripped on top of
    raising it. A water already above ``pH_column``'s target runs at its own
    pH (:func:`ammonia_stripper`), and holding that costs the same
    :math:`(1 - f_{NH_3})` per mol N; the dose is clipped at 0 (no acid is dosed).

    Examples
    --------
    >>> d = base_dose_mol_m3(pH_in=7.5, T_in_C=25.0, pH_column=9.3, T_column_C=25.0,
    ...     alkalinity_mol_m3=100.0, NH4_N_mol_m3=100.0, PO4_P_mol_m3=5.0,
    ...     stripped_N_mol_m3=90.0)
    >>> print(round(float(d), 1))
    110.4
    """
    C_T = carbonate_mol_m3(pH_in, T_in_C, alkalinity_mol_m3, NH4_N_mol_m3, PO4_P_mol_m3)
    N_out = as_float(NH4_N_mol_m3) - as_float(stripped_N_mol_m3)
    after = _alkalinity(pH_column, T_column_C, C_T, np.maximum(N_out, 0.0), PO4_P_mol_m3)
    dose = after + as_float(stripped_N_mol_m3) - as_float(alkalinity_mol_m3)
    return np.maximum(dose, 0.0)


# --------------------------------------------------------------------------- parameters

_KLOTEN = (
    "full-scale plant of Kloten/Opfikon (Switzerland), air stripping of digester "
    "supernatant with acid scrubbing: "
)


@dataclass(frozen=True, kw_only=True)
class StripperParams(Params):
    """An air stripping column with an acid scrubber in a closed air loop.

    The column treats up to ``air_flow_m3_h / air_to_water_m3_m3`` of water;
    more bypasses it. ``T_C`` is None (the column runs at the water's own
    temperature) or the temperature the water is warmed to.
    """

    air_flow_m3_h: float = field(
        0.0,
        unit="m3 h-1",
        low=0.0,
        high=1e8,
        source="design variable (district file or optimizer); 0 = not built",
        doc="design air flow of the fan in the closed stripping-scrubbing loop",
    )
    air_to_water_m3_m3: float = field(
        9600.0,
        unit="1",
        low=100.0,
        high=5e4,
        source="derived: the stripping factor 3.5 of the packed-column design example of "
        "USACE Design Guide DG 1110-1-3 (2001), Appendix D (range 2-5 in the guide, as "
        "documented with the cran/iemisc air_stripper function), at the Kloten/Opfikon "
        "set point pH 9.3 and 25 degC (the black-water UASB of de Graaff et al. 2010, "
        "doi:10.3390/w2010101): 3.5 / (free NH3 share 0.532 x Henry constant 6.84e-4) "
        "= 9,600 m3 of air per m3 of water",
        doc="air-to-water volume ratio the column is run at (air at column conditions)",
    )
    transfer_units: float = field(
        2.81,
        unit="1",
        low=0.1,
        high=30.0,
        source="derived: the packing that strips 90 % of the ammonia at the design stripping "
        "factor 3.5 (the Kremser equation solved for NTU at 10 % left: 2.807); about 90 % of the nitrogen is "
        "removed at Kloten/Opfikon (Eawag news, 18 Jan 2012, 'Anerkennungspreis fuer Eawag "
        "und Klaeranlage Opfikon': 'Rund 90 Prozent des Stickstoffs')",
        doc="number of transfer units of the column's packing (Kremser equation)",
    )
    pH_target: float = field(
        9.3,
        unit="1",
        low=7.0,
        high=12.5,
        source=_KLOTEN + "'the pH must be held at 9.3 with NaOH' (klaeranlage.ch, "
        "Stickstoffrueckgewinnung, Stripper untere Etage)",
        doc="pH held in the column with NaOH (a water above it runs at its own pH)",
    )
    T_C: float | None = dataclasses.field(
        default=None,
        metadata={
            "unit": "degC",
            "source": "design choice: None, the column runs at the temperature of the water "
            "it receives (a UASB effluent at 25 degC, de Graaff et al. 2010); set 5-80 degC to "
            "warm the water with process heat, as Kloten/Opfikon does with surplus heat "
            "(klaeranlage.ch)",
            "doc": "temperature the water is warmed to in the column, or None",
        },
    )
    heat_recovery_frac: float = field(
        0.0,
        unit="1",
        low=0.0,
        high=0.95,
        source="design choice: 0, no feed/effluent heat exchanger; set the effectiveness of "
        "one where the column is heated",
        doc="share of the warming heat a feed/effluent exchanger recovers from the effluent",
    )
    electricity_kWh_kgN: float = field(
        0.52,
        unit="kWh kg-1",
        low=0.0,
        high=50.0,
        source="0.52 kWh per kg N recovered by an optimized stripping-scrubbing system "
        "(pilot with headspace aeration and an H2SO4 scrubber; Finzi, Ferrari, Riva and "
        "Provolo, Front. Sustain. Food Syst. 2024, doi:10.3389/fsufs.2024.1406962, "
        "abstract); the only electricity figure of a "
        "stripping-scrubbing plant that could be retrieved: a packed column at a high "
        "air-to-water ratio needs more fan power, so read it as a lower bound",
        doc="electricity (fans, pumps) per kg of N recovered",
    )
    N_product_g_L: float = field(
        80.0,
        unit="g L-1",
        low=1.0,
        high=120.0,
        source="80 g N/L of ammonium sulfate fertilizer from the centrate of Swiss "
        "wastewater treatment plants (Membratec / Alpha Wassertechnik, 'Herstellung von "
        "stickstoffreichem Duenger'); the pilot of doi:10.3389/fsufs.2024.1406962 reached "
        "85.9 g N/kg",
        doc="nitrogen concentration of the ammonium sulfate solution sold",
    )
    NaOH_price_per_kg: float = field(
        0.46,
        unit="currency kg-1",
        low=0.0,
        high=100.0,
        source="market price of NaOH, 0.46 USD/kg, Table 1 of "
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC4642316/table/t1 (price year not stated), "
        "as the struvite reactor; give it in the district's currency",
        doc="price of the sodium hydroxide dosed",
    )
    H2SO4_price_per_kg: float = field(
        0.0,
        unit="currency kg-1",
        low=0.0,
        high=100.0,
        source="not priced: no cited market price could be retrieved; give it in the "
        "district's currency (the acid is reported in kg either way)",
        doc="price of the sulfuric acid (as 100 % H2SO4) the scrubber uses",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        v = self.T_C
        if v is not None and (
            isinstance(v, bool) or not isinstance(v, int | float) or not 5.0 <= v <= 80.0
        ):
            raise ParameterError(
                f"StripperParams.T_C = {v!r} is outside [5.0, 80.0] degC (or None)"
            )

    @property
    def water_capacity_m3_h(self) -> float:
        """Water the column can treat at its design air flow [m3/h]."""
        return self.air_flow_m3_h / self.air_to_water_m3_m3


# ------------------------------------------------------------------------------ results


class StripperResult(NamedTuple):
    """Result of :func:`ammonia_stripper`: hourly rates, arrays of the broadcast shape."""

    treated_m3_h: FloatArray  #: water through the column; the rest bypasses it [m3 h-1]
    air_m3_h: FloatArray  #: air circulated [m3 h-1]
    T_column_C: FloatArray  #: temperature in the column [degC]
    pH_column: FloatArray  #: pH held in the column [1]
    free_NH3_frac: FloatArray  #: share of ammonia as NH3 in the column [1]
    stripping_factor: FloatArray  #: H_cc f_NH3 G/L [1]
    stripped_frac: FloatArray  #: share of the treated water's ammonium-N stripped [1]
    N_kg_h: FloatArray  #: nitrogen recovered in the scrubber [kg h-1]
    NaOH_kg_h: FloatArray  #: NaOH dosed [kg h-1]
    H2SO4_kg_h: FloatArray  #: H2SO4 (100 %) used by the scrubber [kg h-1]
    ammonium_sulfate_kg_h: FloatArray  #: (NH4)2SO4 produced [kg h-1]
    product_m3_h: FloatArray  #: ammonium sulfate solution at N_product_g_L [m3 h-1]
    heat_kW: FloatArray  #: heat to warm the treated water [kW]
    electricity_kW: FloatArray  #: electricity drawn [kW]
    chemicals_cost_h: FloatArray  #: NaOH and H2SO4 bought [currency h-1]
    alkalinity_change_mol_h: FloatArray  #: NaOH dosed less NH3 stripped [eq h-1]
    T_out_C: FloatArray  #: temperature of the water leaving (bypass mixed in) [degC]
    pH_out: FloatArray  #: pH of the water leaving (bypass mixed in) at T_out_C [1]


def ammonia_stripper(
    flow_m3_h: ArrayLike,
    *,
    params: StripperParams,
    T_C: ArrayLike,
    pH: ArrayLike,
    NH4_N_mg_L: ArrayLike,
    PO4_P_mg_L: ArrayLike,
    alkalinity_mg_L_HCO3: ArrayLike,
) -> StripperResult:
    r"""Ammonia stripped from a flow, the chemicals, heat and electricity it takes.

    Parameters
    ----------
    flow_m3_h : array_like
        Flow reaching the stripper, >= 0 [m3 h-1].
    params : StripperParams
        Design air flow, air-to-water ratio, packing, pH, temperature, prices.
    T_C, pH : array_like
        Temperature [degC] and pH [1] of the water as it arrives.
    NH4_N_mg_L, PO4_P_mg_L : array_like
        Total ammonia N and orthophosphate P [mg L-1].
    alkalinity_mg_L_HCO3 : array_like
        Total alkalinity (PHREEQC's definition) as HCO3- [mg L-1].

    Returns
    -------
    StripperResult
        Hourly rates [kg h-1, m3 h-1, kW, currency h-1], column conditions,
        and the outlet's temperature and pH.

    Notes
    -----
    The column treats :math:`Q_t = \min(Q, G_{design}/(G/L))`; the rest
    bypasses it. Its temperature is :math:`T_{col} = \max(T, T_C)` (``T_C``
    None: the water's own); its pH is ``pH_target``, or the water's own at
    :math:`T_{col}` where that is higher. With the free share
    :math:`f` (:func:`free_ammonia_frac`) and :math:`H_{cc}`
    (:func:`henry_NH3_cc`), the stripping factor is :math:`S = f H_{cc}\,G/L`
    and the column leaves :math:`r` = :func:`kremser_remaining_frac`
    (S, NTU) of the ammonium-N: :math:`N = (1 - r)\,N_{in} Q_t`. NaOH from
    :func:`base_dose_mol_m3`; H2SO4 = N/2 mol; (NH4)2SO4 = N/2 mol; product
    solution N / ``N_product_g_L``. Heat :math:`c_v Q_t (T_{col} - T)(1 -
    \eta_{HX})`; the treated water leaves at :math:`T_{col} - \eta_{HX}(T_{col}
    - T)`. Electricity ``electricity_kWh_kgN`` times N. The outlet's pH is
    that of the mixed treated and bypassed water (alkalinity and carbonate
    mix by flow) at its temperature (:func:`pH_from_alkalinity`).

    Examples
    --------
    Digested black water (1,500 mg/L NH4-N, alkalinity 6,000 mg/L as HCO3-) at
    pH 7.8 and 25 degC, 1 m3/h through a column of the default design:

    >>> p = StripperParams(air_flow_m3_h=2e4)
    >>> r = ammonia_stripper(1.0, params=p, T_C=25.0, pH=7.8, NH4_N_mg_L=1500.0,
    ...     PO4_P_mg_L=100.0, alkalinity_mg_L_HCO3=6000.0)
    >>> print(round(float(r.N_kg_h), 3), round(float(r.NaOH_kg_h), 2),
    ...     round(float(r.H2SO4_kg_h), 2), round(float(r.pH_out), 2))
    1.35 4.4 4.73 9.3
    """
    Q = as_float(flow_m3_h)
    check_nonneg("flow_m3_h", Q)
    T_in = as_float(T_C)
    check_in("T_C", T_in, 0.0, 100.0)
    ph_in = as_float(pH)
    check_in("pH", ph_in, 0.0, 14.0)
    conc = {"NH4_N_mg_L": NH4_N_mg_L, "PO4_P_mg_L": PO4_P_mg_L}
    conc["alkalinity_mg_L_HCO3"] = alkalinity_mg_L_HCO3
    for name, value in conc.items():
        check_nonneg(name, as_float(value))
    N_in = as_float(NH4_N_mg_L) / _M["N"]  # mol m-3
    P_in = as_float(PO4_P_mg_L) / _M["P"]
    alk_in = as_float(alkalinity_mg_L_HCO3) / _M["HCO3"]  # eq m-3
    Q, T_in, ph_in, N_in, P_in, alk_in = np.broadcast_arrays(Q, T_in, ph_in, N_in, P_in, alk_in)
    p = params
    treated = np.minimum(Q, p.water_capacity_m3_h)
    T_col = T_in if p.T_C is None else np.maximum(T_in, p.T_C)
    C_T = carbonate_mol_m3(ph_in, T_in, alk_in, N_in, P_in)
    own = pH_from_alkalinity(alk_in, T_col, C_T, N_in, P_in) if p.T_C is not None else ph_in
    ph_col = np.maximum(own, p.pH_target)
    f = free_ammonia_frac(ph_col, T_col)
    S = f * henry_NH3_cc(T_col) * p.air_to_water_m3_m3
    remaining = kremser_remaining_frac(S, p.transfer_units)
    stripped = N_in * (1.0 - remaining)  # mol m-3 of treated water
    dose = base_dose_mol_m3(
        pH_in=ph_in,
        T_in_C=T_in,
        pH_column=ph_col,
        T_column_C=T_col,
        alkalinity_mol_m3=alk_in,
        NH4_N_mol_m3=N_in,
        PO4_P_mol_m3=P_in,
        stripped_N_mol_m3=stripped,
    )
    N_mol_h = stripped * treated
    NaOH_mol_h = dose * treated
    N_kg_h = N_mol_h * _M["N"] / 1e3
    NaOH_kg_h = NaOH_mol_h * _M["NaOH"] / 1e3
    H2SO4_kg_h = N_kg_h * H2SO4_PER_N
    eta = p.heat_recovery_frac
    warming = T_col - T_in
    heat_kW = CV_WATER_kWh_m3K * treated * warming * (1.0 - eta)
    T_treated = T_col - eta * warming
    bypass = Q - treated
    wet = Q > 0
    T_out = np.where(wet, (treated * T_treated + bypass * T_in) / np.where(wet, Q, 1.0), T_in)
    # the outlet: alkalinity and carbonate mix by flow (carbonate is conserved in the loop)
    share = np.where(wet, treated / np.where(wet, Q, 1.0), 0.0)
    alk_out = alk_in + share * (dose - stripped)
    N_out = N_in - share * stripped
    ph_out = np.where(
        share > 0,
        pH_from_alkalinity(alk_out, T_out, C_T, np.maximum(N_out, 0.0), P_in),
        ph_in,
    )
    return StripperResult(
        treated_m3_h=treated,
        air_m3_h=treated * p.air_to_water_m3_m3,
        T_column_C=T_col,
        pH_column=ph_col,
        free_NH3_frac=f,
        stripping_factor=S,
        stripped_frac=1.0 - remaining,
        N_kg_h=N_kg_h,
        NaOH_kg_h=NaOH_kg_h,
        H2SO4_kg_h=H2SO4_kg_h,
        ammonium_sulfate_kg_h=N_kg_h * SULFATE_PER_N,
        product_m3_h=N_kg_h / p.N_product_g_L,
        heat_kW=heat_kW,
        electricity_kW=N_kg_h * p.electricity_kWh_kgN,
        chemicals_cost_h=NaOH_kg_h * p.NaOH_price_per_kg + H2SO4_kg_h * p.H2SO4_price_per_kg,
        alkalinity_change_mol_h=NaOH_mol_h - N_mol_h,
        T_out_C=T_out,
        pH_out=ph_out,
    )


# ----------------------------------------------------------------------------- unit type

#: Stream components read as the stripper's water arguments [kg/h -> mg/L].
STREAM_WATER = {
    "NH4_N_mg_L": "NH4_N",
    "PO4_P_mg_L": "PO4_P",
    "alkalinity_mg_L_HCO3": "Alk_HCO3",
}

_OUTPUTS = (
    # declared as the struvite reactor and the heat pump declare them: one name, one meaning
    Output(
        "N_recovered_kg_h",
        "kg h-1",
        "nitrogen recovered for farms",
        role="N_recovered",
        annual="nitrogen recovered",
    ),
    Output("NaOH_kg_h", "kg h-1", "NaOH dosed to hold the pH", annual="NaOH dosed"),
    Output("treated_m3_h", "m3 h-1", "flow through the reactor (the rest bypasses)"),
    Output("electricity_use_kW", "kW", "electricity drawn", annual="electricity used"),
    Output("pH_in", "1", "pH of the water reaching the reactor", optional=True),
    # the stripper's own
    Output("NH4_N_in_kg_h", "kg h-1", "ammonium nitrogen reaching the unit"),
    Output(
        "H2SO4_kg_h",
        "kg h-1",
        "sulfuric acid (100 %) used by the scrubber",
        annual="sulfuric acid used",
    ),
    Output(
        "ammonium_sulfate_kg_h",
        "kg h-1",
        "ammonium sulfate produced",
        annual="ammonium sulfate produced",
    ),
    Output(
        "ammonium_sulfate_solution_m3_h",
        "m3 h-1",
        "ammonium sulfate solution produced at the stated N concentration",
        annual="ammonium sulfate solution",
    ),
    Output("air_m3_h", "m3 h-1", "air circulated through the column and the scrubber"),
    Output(
        "heating_kW",
        "kW",
        "heat to warm the water to the column temperature",
        annual="heat to warm the water",
    ),
    Output(
        "acid_base_cost_h",
        "currency h-1",
        "NaOH and H2SO4 bought",
        annual="NaOH and H2SO4 cost",
    ),
    Output("T_column_C", "degC", "temperature in the stripping column", optional=True),
    Output("pH_column", "1", "pH held in the stripping column", optional=True),
    Output("pH_out", "1", "pH of the water leaving the stripper", optional=True),
)


class AmmoniaStripperType(UnitType):
    """Ammonia stripping and acid scrubbing of digester effluent; the ammonium sulfate leaves
    as a product."""

    name = "ammonia_stripper"
    description = (
        "ammonia air stripping (NaOH, optional heating) with an H2SO4 scrubber: "
        "ammonium sulfate fertilizer from digester effluent"
    )
    ports = (
        Port("in", "water", "in"),
        Port("out", "water", "out"),
        Port("power", "electricity", "in"),
        Port("heat", "heat", "in", required=False, takes=("process",)),
    )
    fed_by = {"in": ("anaerobic_digester",)}  # the water's pH comes from a digester
    params = StripperParams
    sizes = (Size("air_flow_m3_h"),)
    outputs = _OUTPUTS
    ratios = (
        Ratio(
            "ammonium-N recovered, share of what reaches it",
            "%",
            "N_recovered_kg_h",
            "NH4_N_in_kg_h",
            factor=100.0,
        ),
        Ratio("NaOH per kg N recovered", "kg/kg", "NaOH_kg_h", "N_recovered_kg_h"),
        Ratio("electricity per kg N recovered", "kWh/kg", "electricity_use_kW", "N_recovered_kg_h"),
        Ratio("heat per kg N recovered", "kWh/kg", "heating_kW", "N_recovered_kg_h"),
    )

    def run(self, params: StripperParams, inputs: NodeInputs) -> NodeResult:
        """:func:`ammonia_stripper` on the inlet water, hour by hour."""
        water = inputs.inlets["in"]
        flow = water.flow_m3_h
        n = flow.size
        built = params.air_flow_m3_h > 0  # a stripper not built (air flow 0) passes water by
        if water.pH is None and built and (flow > 0).any():
            # As the optimizer models it (sample): without a digester upstream the water
            # carries no pH, and the stripper recovers nothing.
            log.warning(
                "an ammonia stripper receives water without a pH (the digester upstream is not "
                "built): it recovers nothing and passes the water by"
            )
            built = False
        wet = flow > 0
        zero = np.zeros(n)
        r = None
        if wet.any() and built:
            assert water.pH is not None  # checked above for a built stripper
            # Hours without flow take the water of the first hour with flow: their rates are 0.
            fill = np.where(wet, np.arange(n), int(np.flatnonzero(wet)[0]))
            conc = {
                arg: water.loads_kg_h[fill, INDEX[c]] / flow[fill] * 1e3
                for arg, c in STREAM_WATER.items()
            }
            r = ammonia_stripper(
                flow, params=params, T_C=water.T_C[fill], pH=water.pH[fill], **conc
            )

        def rate(name: str) -> FloatArray:
            return zero if r is None else cast("FloatArray", getattr(r, name))

        N = rate("N_kg_h")
        Na = rate("NaOH_kg_h") * _M["Na"] / _M["NaOH"]
        loads = water.loads_kg_h.copy()
        loads[:, INDEX["NH4_N"]] -= N
        loads[:, INDEX["Na"]] += Na
        # PHREEQC alkalinity: +1 eq per NaOH, -1 per NH3 stripped
        loads[:, INDEX["Alk_HCO3"]] += rate("alkalinity_change_mol_h") * _M["HCO3"] / 1e3
        T_out = water.T_C if r is None else np.where(wet, r.T_out_C, water.T_C)
        pH_out = water.pH
        if r is not None and water.pH is not None:
            pH_out = np.where(wet, r.pH_out, water.pH)
        electricity = rate("electricity_kW")
        outputs: dict[str, Floats] = {
            "N_recovered_kg_h": N,
            "NaOH_kg_h": rate("NaOH_kg_h"),
            "treated_m3_h": rate("treated_m3_h"),
            "electricity_use_kW": electricity,
            "NH4_N_in_kg_h": water.loads_kg_h[:, INDEX["NH4_N"]],
            "H2SO4_kg_h": rate("H2SO4_kg_h"),
            "ammonium_sulfate_kg_h": rate("ammonium_sulfate_kg_h"),
            "ammonium_sulfate_solution_m3_h": rate("product_m3_h"),
            "air_m3_h": rate("air_m3_h"),
            "heating_kW": rate("heat_kW"),
            "acid_base_cost_h": rate("chemicals_cost_h"),
        }
        if water.pH is not None:  # unknown upstream of a digester not built
            outputs["pH_in"] = water.pH
            outputs["pH_out"] = water.pH if pH_out is None else pH_out
        if r is not None:
            outputs["T_column_C"] = np.where(wet, r.T_column_C, np.nan)
            outputs["pH_column"] = np.where(wet, r.pH_column, np.nan)
        return NodeResult(
            outlets={"out": Stream(flow, np.asarray(T_out, dtype=float), loads, pH_out)},
            removed_kg_h={"N": N},
            dosed_kg_h={"Na": Na},
            draw_kW={"power": electricity},
            demand_kW={"heat": rate("heat_kW")},
            heat_loss_kW=electricity,  # the fans' and pumps' work ends as heat in the air
            outputs=outputs,
        )

    def sample(self, ctx: SampleContext, columns: list[Column]) -> dict[str, FloatArray]:
        """N recoverable from each sampled upstream water, per m3/h of air, and its costs.

        Returns ``N_kg_h`` (upstream columns, time): the N the stripper recovers if
        it treats all the water [kg h-1]; ``N_kg_per_m3_air`` (time): N per m3 of
        air when the flow exceeds what the air flow treats [kg m-3];
        ``cost_per_kg_N`` (currency kg-1) and ``heat_kWh_per_kg_N`` (kWh kg-1)
        (time), from the last upstream run that carries a pH.
        """
        waters = ctx.upstream("in")
        peak = max(float(np.max(w.flow_m3_h, initial=0.0)) for w in waters)
        # an air flow that treats every hour's water (within the parameter's range)
        big = dataclasses.replace(
            ctx.params, air_flow_m3_h=min(2.0 * peak * ctx.params.air_to_water_m3_m3 + 1.0, 1e8)
        )
        recovered = []
        last = None
        for water in waters:
            if water.pH is None:  # an upstream digester not built: its water has no pH
                recovered.append(np.zeros(water.flow_m3_h.size))
                continue
            last = self.run(big, dataclasses.replace(ctx.inputs, inlets={"in": water}))
            recovered.append(cast("FloatArray", last.removed_kg_h["N"]))
        n = recovered[0].size
        if last is None:
            return {
                "N_kg_h": np.stack(recovered),
                "N_kg_per_m3_air": np.zeros(n),
                "cost_per_kg_N": np.zeros(n),
                "heat_kWh_per_kg_N": np.zeros(n),
            }
        N = cast("FloatArray", last.removed_kg_h["N"])
        air = cast("FloatArray", last.outputs["air_m3_h"])
        per_air = np.divide(N, air, out=np.zeros(n), where=air > 0)
        cost = cast("FloatArray", last.outputs["acid_base_cost_h"])
        heat = cast("FloatArray", last.outputs["heating_kW"])
        return {
            "N_kg_h": np.stack(recovered),
            "N_kg_per_m3_air": per_air,
            "cost_per_kg_N": np.divide(cost, N, out=np.zeros(n), where=N > 0),
            "heat_kWh_per_kg_N": np.divide(heat, N, out=np.zeros(n), where=N > 0),
        }

    def build(self, ctx: BuildContext) -> None:
        r"""Recovers the ammonium-N the upstream water offers, if the air flow treats the
        hour's water (a stripper the optimizer sizes is sized for the peak hour).

        Symbols: ``N[t]`` [kg/h] recovered; ``size_air_flow_m3_h`` [m3/h];
        ``offered`` the N recovered if all water is treated (mixed over the
        upstream unit's columns); ``per_air[t]`` N per m3 of air [kg/m3].
        Constraints as the struvite reactor's (``harvest_*``, ``capacity``):
        :math:`N_t \le offered_t`, :math:`N_t \le per\_air_t \cdot size`, all
        offered recovered where the capacity allows. Electricity
        :math:`e N_t` through ``power`` (grid), heat :math:`h_t N_t` through
        ``heat`` (backup heat where no supplier gives it), chemicals
        :math:`c_t N_t`.
        """
        p: StripperParams = ctx.params
        air = ctx.size("air_flow_m3_h")
        per_air = ctx.series("N_kg_per_m3_air")
        H_max = ctx.series("N_kg_h").max(axis=0)
        N = ctx.var("N", ctx.TIME, units="kg/h", doc="N recovered")
        offered = ctx.upstream_mixed("in", "N_kg_h", "kg/h")
        built = ctx.built("air_flow_m3_h")
        holds = (air * per_air).scaled(unit="kg/m**3")
        fixed = ctx.fixed("air_flow_m3_h")
        if fixed is not None:  # a fixed air flow recovers what it treats
            cap = per_air * fixed
            short = np.maximum(H_max - cap, 0.0)
            ctx.constrain("harvest_max", N <= offered, "recover at most what is offered")
            ctx.constrain(
                "capacity", N <= ctx.const(cap, "kg/h"), "recover at most what the air treats"
            )
            ctx.constrain(
                "harvest_all",
                N >= offered - ctx.const(short, "kg/h"),
                "all recovered, less what the air flow may not treat",
            )
        elif built is None:  # no fixed cost: always built, sized for the peak
            ctx.constrain("harvest_all", N == offered, "all recovered")
            ctx.constrain("capacity", offered <= holds, "the air flow treats the water")
        else:  # built or not (binary), sized for the peak if built
            unbuilt = ctx.const(H_max, "kg/h") - built.scaled(unit="kg/h") * H_max
            ctx.constrain("harvest_max", N <= offered, "recover at most what is offered")
            ctx.constrain(
                "harvest_if_built",
                N <= built.scaled(unit="kg/h") * H_max,
                "no recovery unless built",
            )
            ctx.constrain("harvest_all", N >= offered - unbuilt, "all recovered if built")
            ctx.constrain(
                "capacity", offered - unbuilt <= holds, "the air flow treats the water, if built"
            )
        electricity = (float(p.electricity_kWh_kgN) * N).scaled(unit="kWh/kg")
        heat = (N * ctx.series("heat_kWh_per_kg_N")).scaled(unit="kWh/kg")
        ctx.demand("power", electricity)
        ctx.demand("heat", heat, unmet="heat_backup_kW")
        ctx.role("N_recovered", N)
        ctx.cost("chemicals", (N * ctx.series("cost_per_kg_N")).scaled(unit=f"{ctx.currency}/kg"))
        ctx.report("N_recovered_kg_h", N)
        ctx.report("electricity_use_kW", electricity)
        ctx.report("heating_kW", heat)


register(AmmoniaStripperType())
