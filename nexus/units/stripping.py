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
2. **Base dose and pH**: nexus's aqueous speciation, the one the struvite
   reactor uses (:func:`nexus.units.struvite.struvite_equilibrium`: PHREEQC's
   ion-association model with phreeqc.dat, activity coefficients, ion pairs):
   the inlet water (its pH, alkalinity ``Alk_HCO3`` and ions) is speciated at
   its temperature; in the closed column, warmed to its temperature, NaOH
   holds ``pH_target`` while the stripped ammonia leaves as NH3 (its proton
   stays behind, which costs base). The outlet's pH is that water's, mixed
   with any bypass. Each distinct water is solved once
   (:func:`nexus.units.struvite.equilibrate_distinct`).
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

Scope, stated once: the NaOH dose matches PHREEQC (``Fix_H+`` with NaOH, the
stripped N removed as NH3) within 1e-4 (measured: 2.5e-5) in dilute water and
in digester centrate at 25 and 40 degC
(``tests/validation/test_stripping_validation.py``). **No mineral
precipitates in the column**, a stated choice: at pH 9.3 digester effluent is
supersaturated with calcite and usually struvite, which scale packings, but
nexus's equilibrium can precipitate struvite only, not calcite, the larger
scale in carbonate-rich centrate; precipitating one and not the other would
be neither the equilibrium nor the plant (scale forms on the packing at rates
the model does not know, and is cleaned off, not recovered). So P, Mg and Ca
pass through; the saturation indices of struvite and calcite in the column
(``SI_struvite_column``, ``SI_calcite_column``) are reported and a positive
one is logged as a scaling risk. Calcite forming would take alkalinity
(Ca+2 + HCO3- = CaCO3 + H+) and so more NaOH, up to 2 mol per mol of Ca.
The free NH3 share in the stripping factor is the ideal
:math:`1/(1 + 10^{pK_a - pH})` (the ratio of activities taken as that of
concentrations; in centrate at an ionic strength of 0.08 mol/kg the NH4+
activity coefficient of about 0.76, WATEQ Debye-Hueckel, would lower it from
0.53 to about 0.46 at pH 9.3 and 25 degC), the share the column's
design figures (air-to-water ratio, transfer units) are derived with. The
closed air loop exchanges no CO2, water vapour or heat with the
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
- :func:`kremser_remaining_frac`: the column;
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
from nexus.units.struvite.equilibrium import WATER_ARGS, equilibrate_distinct
from nexus.units.struvite.reactor import STREAM_WATER

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
    "free_ammonia_frac",
    "henry_NH3_cc",
    "kremser_remaining_frac",
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
    SI_struvite_column: FloatArray  #: struvite saturation index in the column [1]
    SI_calcite_column: FloatArray  #: calcite saturation index in the column [1]


def ammonia_stripper(
    flow_m3_h: ArrayLike,
    *,
    params: StripperParams,
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
    Mg_mg_L, Ca_mg_L, K_mg_L, Na_mg_L : array_like
        Total Mg, Ca, K, Na [mg L-1].
    Cl_mg_L : array_like
        Chloride [mg L-1], a first estimate: adjusted to balance the charge, as
        :func:`nexus.units.struvite.struvite_equilibrium` does.
    alkalinity_mg_L_HCO3 : array_like
        Total alkalinity (PHREEQC's definition) as HCO3- [mg L-1].

    Returns
    -------
    StripperResult
        Hourly rates [kg h-1, m3 h-1, kW, currency h-1], column conditions,
        the outlet's temperature and pH, the column's saturation indices.

    Raises
    ------
    nexus.ParameterError
        A negative flow or concentration, pH or temperature out of range, or a
        water the speciation refuses (charge balance needing negative Cl,
        alkalinity below what ammonia and phosphate carry at its pH).

    Notes
    -----
    The column treats :math:`Q_t = \min(Q, G_{design}/(G/L))`; the rest
    bypasses it. Its temperature is :math:`T_{col} = \max(T, T_C)` (``T_C``
    None: the water's own); its pH is ``pH_target``, or the water's own at
    :math:`T_{col}` where that is higher (the closed water warmed, nexus's
    speciation). With the free share :math:`f` (:func:`free_ammonia_frac`) and
    :math:`H_{cc}` (:func:`henry_NH3_cc`), the stripping factor is
    :math:`S = f H_{cc}\,G/L` and the column leaves :math:`r` =
    :func:`kremser_remaining_frac` (S, NTU) of the ammonium-N:
    :math:`N = (1 - r)\,N_{in} Q_t`. NaOH: what holds the column's pH in the
    water the N left as NH3 (:func:`nexus.units.struvite.struvite_equilibrium`
    with ``pH_target``, ``NH3_removed_mg_L``, ``T_reaction_C``, no mineral
    precipitating: see the module's scope), at least 0 (no acid is dosed).
    H2SO4 = N/2 mol; (NH4)2SO4 = N/2 mol; product solution N /
    ``N_product_g_L``. Heat :math:`c_v Q_t (T_{col} - T)(1 - \eta_{HX})`; the
    treated water leaves at :math:`T_{col} - \eta_{HX}(T_{col} - T)`.
    Electricity ``electricity_kWh_kgN`` times N. The outlet's pH: the column's
    where all water is treated and leaves at the column's temperature, else
    that of the inlet water with the treated share's NaOH and stripped NH3, at
    the outlet's temperature (the same speciation, pH floating).

    Examples
    --------
    Digested black water (1,500 mg/L NH4-N, alkalinity 6,000 mg/L as HCO3-) at
    pH 7.8 and 25 degC, 1 m3/h through a column of the default design:

    >>> p = StripperParams(air_flow_m3_h=2e4)
    >>> r = ammonia_stripper(1.0, params=p, T_C=25.0, pH=7.8, NH4_N_mg_L=1500.0,
    ...     PO4_P_mg_L=100.0, Mg_mg_L=20.0, Ca_mg_L=40.0, K_mg_L=300.0, Na_mg_L=250.0,
    ...     Cl_mg_L=300.0, alkalinity_mg_L_HCO3=6000.0)
    >>> print(round(float(r.N_kg_h), 3), round(float(r.NaOH_kg_h), 2),
    ...     round(float(r.H2SO4_kg_h), 2), round(float(r.pH_out), 2))
    1.35 5.06 4.73 9.3
    """
    water_in = {
        "T_C": T_C,
        "pH": pH,
        "NH4_N_mg_L": NH4_N_mg_L,
        "PO4_P_mg_L": PO4_P_mg_L,
        "Mg_mg_L": Mg_mg_L,
        "Ca_mg_L": Ca_mg_L,
        "K_mg_L": K_mg_L,
        "Na_mg_L": Na_mg_L,
        "Cl_mg_L": Cl_mg_L,
        "alkalinity_mg_L_HCO3": alkalinity_mg_L_HCO3,
    }
    Q = as_float(flow_m3_h)
    check_nonneg("flow_m3_h", Q)
    check_in("T_C", as_float(T_C), 0.0, 100.0)
    check_in("pH", as_float(pH), 0.0, 14.0)
    for name in WATER_ARGS[2:]:
        check_nonneg(name, as_float(water_in[name]))
    Q, *arrays = np.broadcast_arrays(Q, *(as_float(water_in[k]) for k in WATER_ARGS))
    water = dict(zip(WATER_ARGS, arrays, strict=True))
    T_in, ph_in = water["T_C"], water["pH"]
    N_in = water["NH4_N_mg_L"] / _M["N"]  # mol m-3
    p = params
    treated = np.minimum(Q, p.water_capacity_m3_h)
    T_col = T_in if p.T_C is None else np.maximum(T_in, p.T_C)
    own = ph_in
    # Warming a closed water lowers its pH (the dissociation of NH4+, HCO3- and water is
    # endothermic), so a water below the set point stays below it in the column: only the
    # others are speciated warmed.
    warmed = (T_col != T_in) & (ph_in > p.pH_target)
    if warmed.any():  # the closed water warmed: its own pH at the column's temperature
        own = ph_in.copy()
        own[warmed] = equilibrate_distinct(
            **{k: a[warmed] for k, a in water.items()},
            T_reaction_C=T_col[warmed],
            precipitate=False,
        ).pH_final
    ph_col = np.maximum(own, p.pH_target)
    f = free_ammonia_frac(ph_col, T_col)
    S = f * henry_NH3_cc(T_col) * p.air_to_water_m3_m3
    remaining = kremser_remaining_frac(S, p.transfer_units)
    stripped = N_in * (1.0 - remaining)  # mol m-3 of treated water
    column = equilibrate_distinct(
        **water,
        pH_target=ph_col,
        NH3_removed_mg_L=stripped * _M["N"],
        T_reaction_C=T_col,
        precipitate=False,
    )
    dose = np.maximum(column.NaOH_mmol_L, 0.0)  # mol m-3 of treated water
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
    share = np.where(wet, treated / np.where(wet, Q, 1.0), 0.0)
    ph_out = np.where(share > 0, ph_col, ph_in)
    mixed = (share > 0) & ((share < 1.0) | (T_out != T_col))
    if mixed.any():  # the inlet water with the treated share's NaOH and NH3 stripped
        ph_out[mixed] = equilibrate_distinct(
            **{k: a[mixed] for k, a in water.items()},
            NH3_removed_mg_L=(share * stripped)[mixed] * _M["N"],
            NaOH_added_mmol_L=(share * dose)[mixed],
            T_reaction_C=T_out[mixed],
            precipitate=False,
        ).pH_final
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
        SI_struvite_column=column.SI_struvite_final,
        SI_calcite_column=column.SI_calcite_final,
    )


# ----------------------------------------------------------------------------- unit type

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
    Output(
        "SI_struvite_column",
        "1",
        "struvite saturation index in the column (> 0: struvite can scale the packing)",
        optional=True,
    ),
    Output(
        "SI_calcite_column",
        "1",
        "calcite saturation index in the column (> 0: calcite can scale the packing)",
        optional=True,
    ),
)


def _warn_of_scale(outputs: dict[str, Floats]) -> None:
    """Log the minerals the column's water is supersaturated with (they are not precipitated)."""
    over = {
        mineral: float(np.nanmax(si, initial=-np.inf))
        for mineral, si in (
            ("struvite", outputs["SI_struvite_column"]),
            ("calcite", outputs["SI_calcite_column"]),
        )
    }
    over = {k: v for k, v in over.items() if v > 0}
    if over:
        log.warning(
            "the water in an ammonia stripper's column is supersaturated with %s: they can "
            "scale the packing, which the model leaves out (P, Mg and Ca pass through; calcite "
            "forming would take more NaOH)",
            ", ".join(f"{k} (saturation index up to {v:.1f})" for k, v in over.items()),
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
            for name in ("T_column_C", "pH_column", "SI_struvite_column", "SI_calcite_column"):
                outputs[name] = np.where(wet, getattr(r, name), np.nan)
            _warn_of_scale(outputs)
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
