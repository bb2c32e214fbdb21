"""Anaerobic digestion: the IWA ADM1 exactly as implemented in BSM2.

The model is the Anaerobic Digestion Model No. 1 (Batstone et al., 2002) with
the implementation choices of the Benchmark Simulation Model No. 2 (Rosen &
Jeppsson, 2006): 26 liquid states and 3 gas states, the BSM2 parameter set,
van 't Hoff temperature corrections, Hill-type pH inhibition, gas outflow from
the headspace pressure. The acid-base ions (S_va-, S_bu-, S_pro-, S_ac-,
S_hco3-, S_nh3) are algebraic: the charge balance is solved for S_H+ at every
right-hand-side evaluation (vectorized safeguarded Newton), so pH is never
fixed and never a state.

Contents
--------
- :data:`STATES`, :class:`Ix`: the 29 state names in BSM2 order and a named
  index map into a state vector (no magic slices);
- :class:`ADM1Params`: the BSM2 parameter set, every default cited;
- :func:`rhs`: the pure right-hand side dy/dt on a batch of state vectors;
- :func:`speciation`: the charge balance solved for S_H+ and the ions;
- :func:`gas_phase`: partial pressures and gas flow of a state;
- :func:`conserved_totals`: COD, N, C and strong-ion charge of a state;
- :func:`balance_flows`: the flows of COD, N, C and charge in and out
  (effluent plus gas) of a digester;
- :func:`jacobian`: the exact (complex-step) Jacobian of :func:`rhs`;
- :func:`steady_state`: the steady state of one or a batch of digesters
  (pseudo-transient Newton, vectorized over the batch; continuation from
  neighbouring rows and a dynamic start-up where that fails);
- :func:`simulate`: a dynamic run for time-varying influent (by default an
  error-controlled Radau IIA whose steps end on the influent's time grid; or
  scipy's BDF, LSODA or Radau, all with the exact Jacobian);
- :class:`WashoutError`: raised when the methanogens wash out.

Symbols (BSM2 units)
--------------------
====================  ==========================================  ============
state                 meaning                                     unit
====================  ==========================================  ============
S_su .. S_ac          sugars, amino acids, LCFA, valerate,        kg COD m-3
                      butyrate, propionate, acetate (total)
S_h2, S_ch4           dissolved hydrogen, methane                 kg COD m-3
S_IC, S_IN            inorganic carbon, inorganic nitrogen        kmol m-3
S_I                   soluble inerts                              kg COD m-3
X_c                   composite particulates (BSM2's X_xc)        kg COD m-3
X_ch, X_pr, X_li      carbohydrates, proteins, lipids             kg COD m-3
X_su .. X_h2          the seven biomass groups                    kg COD m-3
X_I                   particulate inerts                          kg COD m-3
S_cat, S_an           strong cations, anions                      kmol m-3
S_gas_h2, S_gas_ch4   headspace hydrogen, methane                 kg COD m-3
S_gas_co2             headspace carbon dioxide                    kmol m-3
====================  ==========================================  ============

Units are those of BSM2: concentrations per m3, time in days, pressures in
bar inside the model (results report Pa).

References
----------
.. [1] Batstone, D.J., Keller, J., Angelidaki, I., Kalyuzhnyi, S.V.,
   Pavlostathis, S.G., Rozzi, A., Sanders, W.T.M., Siegrist, H., Vavilin, V.A.
   (2002). Anaerobic Digestion Model No. 1. IWA STR 13, IWA Publishing.
   doi:10.2166/wst.2002.0292
.. [2] Rosen, C., Jeppsson, U. (2006). Aspects on ADM1 implementation within
   the BSM2 framework. Dept. of Industrial Electrical Engineering and
   Automation, Lund University, Sweden.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType, SimpleNamespace
from typing import Any, NamedTuple

import numpy as np

from nexus.errors import ParameterError, SolverError
from nexus.numerics import radau5_grid
from nexus.units.params import Params, field

__all__ = [
    "BSM2_DIGESTER",
    "BSM2_INFLUENT",
    "GAS_STATES",
    "LIQUID_STATES",
    "STATES",
    "ADM1Params",
    "GasPhase",
    "Ix",
    "Speciation",
    "WashoutError",
    "balance_flows",
    "conserved_totals",
    "gas_phase",
    "jacobian",
    "rhs",
    "simulate",
    "speciation",
    "steady_state",
]

# --------------------------------------------------------------------------- index map

#: The BSM2 benchmark influent (Rosen & Jeppsson 2006, Aspects on ADM1 implementation
#: within the BSM2 framework, Lund University), in BSM2 units (kg COD/m3; S_IC, S_IN,
#: S_cat, S_an in kmol/m3): a reference case to validate against and to try the model on.
BSM2_INFLUENT: Mapping[str, float] = MappingProxyType(dict(
    S_su=0.01, S_aa=0.001, S_fa=0.001, S_va=0.001, S_bu=0.001, S_pro=0.001, S_ac=0.001,
    S_h2=1e-8, S_ch4=1e-5, S_IC=0.04, S_IN=0.01, S_I=0.02, X_c=2.0, X_ch=5.0, X_pr=20.0,
    X_li=5.0, X_su=0.0, X_aa=0.01, X_fa=0.01, X_c4=0.01, X_pro=0.01, X_ac=0.01, X_h2=0.01,
    X_I=25.0, S_cat=0.04, S_an=0.02,
))  # fmt: skip
#: The BSM2 digester (same source): flow [m3/d], liquid and gas volumes [m3], temperature [K].
BSM2_DIGESTER: Mapping[str, float] = MappingProxyType(
    dict(flow_m3_d=170.0, V_liq_m3=3400.0, V_gas_m3=300.0, T_K=308.15)
)

#: The 26 liquid states in BSM2 order.
LIQUID_STATES: tuple[str, ...] = (
    "S_su", "S_aa", "S_fa", "S_va", "S_bu", "S_pro", "S_ac", "S_h2", "S_ch4",
    "S_IC", "S_IN", "S_I", "X_c", "X_ch", "X_pr", "X_li", "X_su", "X_aa", "X_fa",
    "X_c4", "X_pro", "X_ac", "X_h2", "X_I", "S_cat", "S_an",
)  # fmt: skip
#: The 3 gas (headspace) states in BSM2 order.
GAS_STATES: tuple[str, ...] = ("S_gas_h2", "S_gas_ch4", "S_gas_co2")
#: All 29 states: the order of the last axis of a state vector.
STATES: tuple[str, ...] = LIQUID_STATES + GAS_STATES

#: Named index of each state in a state vector, ``y[..., Ix.S_ac]``.
Ix = IntEnum("Ix", {name: i for i, name in enumerate(STATES)})
Ix.__doc__ = "Position of each ADM1 state in a state vector (BSM2 order)."

N_LIQ = len(LIQUID_STATES)
N_STATES = len(STATES)
#: The particulate states X_c .. X_I (``_X0:_X1``), which a sludge-retaining reactor holds back.
_X0, _X1 = LIQUID_STATES.index("X_c"), LIQUID_STATES.index("X_I") + 1

_COD = "kg m-3"  # kg COD m-3
_UNITS: dict[str, tuple[str, str]] = {
    "S_su": (_COD, "monosaccharides (kg COD m-3)"),
    "S_aa": (_COD, "amino acids (kg COD m-3)"),
    "S_fa": (_COD, "long chain fatty acids (kg COD m-3)"),
    "S_va": (_COD, "total valerate (kg COD m-3)"),
    "S_bu": (_COD, "total butyrate (kg COD m-3)"),
    "S_pro": (_COD, "total propionate (kg COD m-3)"),
    "S_ac": (_COD, "total acetate (kg COD m-3)"),
    "S_h2": (_COD, "dissolved hydrogen (kg COD m-3)"),
    "S_ch4": (_COD, "dissolved methane (kg COD m-3)"),
    "S_IC": ("kmol m-3", "inorganic carbon (kmol C m-3)"),
    "S_IN": ("kmol m-3", "inorganic nitrogen (kmol N m-3)"),
    "S_I": (_COD, "soluble inerts (kg COD m-3)"),
    "X_c": (_COD, "composites (BSM2 X_xc) (kg COD m-3)"),
    "X_ch": (_COD, "carbohydrates (kg COD m-3)"),
    "X_pr": (_COD, "proteins (kg COD m-3)"),
    "X_li": (_COD, "lipids (kg COD m-3)"),
    "X_su": (_COD, "sugar degraders (kg COD m-3)"),
    "X_aa": (_COD, "amino acid degraders (kg COD m-3)"),
    "X_fa": (_COD, "LCFA degraders (kg COD m-3)"),
    "X_c4": (_COD, "valerate and butyrate degraders (kg COD m-3)"),
    "X_pro": (_COD, "propionate degraders (kg COD m-3)"),
    "X_ac": (_COD, "acetoclastic methanogens (kg COD m-3)"),
    "X_h2": (_COD, "hydrogenotrophic methanogens (kg COD m-3)"),
    "X_I": (_COD, "particulate inerts (kg COD m-3)"),
    "S_cat": ("kmol m-3", "strong cations (kmol m-3)"),
    "S_an": ("kmol m-3", "strong anions (kmol m-3)"),
    "S_gas_h2": (_COD, "hydrogen in the headspace (kg COD m-3)"),
    "S_gas_ch4": (_COD, "methane in the headspace (kg COD m-3)"),
    "S_gas_co2": ("kmol m-3", "carbon dioxide in the headspace (kmol C m-3)"),
    "S_va_ion": (_COD, "valerate ion (kg COD m-3)"),
    "S_bu_ion": (_COD, "butyrate ion (kg COD m-3)"),
    "S_pro_ion": (_COD, "propionate ion (kg COD m-3)"),
    "S_ac_ion": (_COD, "acetate ion (kg COD m-3)"),
    "S_hco3_ion": ("kmol m-3", "bicarbonate (kmol C m-3)"),
    "S_co2": ("kmol m-3", "dissolved carbon dioxide (kmol C m-3)"),
    "S_nh3": ("kmol m-3", "free ammonia (kmol N m-3)"),
    "S_nh4_ion": ("kmol m-3", "ammonium (kmol N m-3)"),
    "S_H_ion": ("kmol m-3", "hydrogen ion"),
    "pH": ("1", "pH"),
    "p_gas_Pa": ("Pa", "headspace pressure (incl. water vapour)"),
    "q_gas_m3_d": (
        "m3 d-1",
        "gas flow, BSM2 convention k_p (P_gas - P_atm) P_gas / P_atm",
    ),
    "q_ch4_Nm3_d": ("m3 d-1", "methane flow at 0 degC and 101325 Pa"),
    "washout": ("1", "methanogens washed out (1) or not (0)"),
}

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

T_K_MIN, T_K_MAX = 278.15, 333.15

# --------------------------------------------------------------------------- parameters

_RJ = "Rosen & Jeppsson (2006), Aspects on ADM1 implementation within the BSM2 framework"
_RJ_STOICH = f"{_RJ}, stoichiometric parameter values (BSM2 set)"
_RJ_BIO = f"{_RJ}, biochemical parameter values (BSM2 set)"
_RJ_PC = f"{_RJ}, physico-chemical parameter values (BSM2 set)"


def _p(default, unit, low, high, source, doc):
    return field(default, unit=unit, low=low, high=high, source=source, doc=doc)


def _frac(default, source, doc):
    return _p(default, "1", 0.0, 1.0, source, doc)


def _C(default, doc):
    return _p(
        default, "kmol kg-1", 0.0, 0.1, _RJ_STOICH, f"carbon content of {doc} (kmol C per kg COD)"
    )


@dataclass(frozen=True, kw_only=True)
class ADM1Params(Params):
    """ADM1 parameters, BSM2 values (Rosen & Jeppsson 2006).

    Names are the standard ADM1 symbols (``k_m_ac``, ``K_S_h2``, ...), as in
    Batstone et al. (2002) and the BSM2 code, so that a reader finds each one
    in the tables; the unit is in each field's metadata (``describe``).
    Rates are per day. The carbon contents are R&J's rounded values (with
    which the BSM2 steady state reproduces to about 1e-6), used for the
    stoichiometry and for the carbon balance alike.
    """

    # --- stoichiometry (R&J 2006, stoichiometric parameter values)
    f_sI_xc: float = _frac(0.1, _RJ_STOICH, "soluble inerts from composites")
    f_xI_xc: float = _frac(0.2, _RJ_STOICH, "particulate inerts from composites")
    f_ch_xc: float = _frac(0.2, _RJ_STOICH, "carbohydrates from composites")
    f_pr_xc: float = _frac(0.2, _RJ_STOICH, "proteins from composites")
    f_li_xc: float = _frac(0.3, _RJ_STOICH, "lipids from composites")
    N_xc: float = _p(0.0376 / 14.0, "kmol kg-1", 0.0, 0.02, _RJ_STOICH, "N content of composites")
    N_I: float = _p(0.06 / 14.0, "kmol kg-1", 0.0, 0.02, _RJ_STOICH, "N content of inerts")
    N_aa: float = _p(0.007, "kmol kg-1", 0.0, 0.02, _RJ_STOICH, "N content of amino acids")
    N_bac: float = _p(0.08 / 14.0, "kmol kg-1", 0.0, 0.02, _RJ_STOICH, "N content of biomass")
    C_xc: float = _C(0.02786, "composites")
    C_sI: float = _C(0.03, "soluble inerts")
    C_ch: float = _C(0.0313, "carbohydrates")
    C_pr: float = _C(0.03, "proteins")
    C_li: float = _C(0.022, "lipids")
    C_xI: float = _C(0.03, "particulate inerts")
    C_su: float = _C(0.0313, "sugars")
    C_aa: float = _C(0.03, "amino acids")
    C_fa: float = _C(0.0217, "LCFA")
    C_va: float = _C(0.024, "valerate")
    C_bu: float = _C(0.025, "butyrate")
    C_pro: float = _C(0.0268, "propionate")
    C_ac: float = _C(0.0313, "acetate")
    C_bac: float = _C(0.0313, "biomass")
    C_ch4: float = _C(0.0156, "methane")
    f_fa_li: float = _frac(0.95, _RJ_STOICH, "LCFA from lipids")
    f_h2_su: float = _frac(0.19, _RJ_STOICH, "hydrogen from sugars")
    f_bu_su: float = _frac(0.13, _RJ_STOICH, "butyrate from sugars")
    f_pro_su: float = _frac(0.27, _RJ_STOICH, "propionate from sugars")
    f_ac_su: float = _frac(0.41, _RJ_STOICH, "acetate from sugars")
    f_h2_aa: float = _frac(0.06, _RJ_STOICH, "hydrogen from amino acids")
    f_va_aa: float = _frac(0.23, _RJ_STOICH, "valerate from amino acids")
    f_bu_aa: float = _frac(0.26, _RJ_STOICH, "butyrate from amino acids")
    f_pro_aa: float = _frac(0.05, _RJ_STOICH, "propionate from amino acids")
    f_ac_aa: float = _frac(0.40, _RJ_STOICH, "acetate from amino acids")
    Y_su: float = _frac(0.1, _RJ_STOICH, "yield of sugar degraders")
    Y_aa: float = _frac(0.08, _RJ_STOICH, "yield of amino acid degraders")
    Y_fa: float = _frac(0.06, _RJ_STOICH, "yield of LCFA degraders")
    Y_c4: float = _frac(0.06, _RJ_STOICH, "yield of valerate and butyrate degraders")
    Y_pro: float = _frac(0.04, _RJ_STOICH, "yield of propionate degraders")
    Y_ac: float = _frac(0.05, _RJ_STOICH, "yield of acetoclastic methanogens")
    Y_h2: float = _frac(0.06, _RJ_STOICH, "yield of hydrogenotrophic methanogens")
    # --- biochemistry (R&J 2006, biochemical parameter values)
    k_dis: float = _p(0.5, "d-1", 0.0, 100.0, _RJ_BIO, "disintegration rate")
    k_hyd_ch: float = _p(10.0, "d-1", 0.0, 1e3, _RJ_BIO, "hydrolysis rate of carbohydrates")
    k_hyd_pr: float = _p(10.0, "d-1", 0.0, 1e3, _RJ_BIO, "hydrolysis rate of proteins")
    k_hyd_li: float = _p(10.0, "d-1", 0.0, 1e3, _RJ_BIO, "hydrolysis rate of lipids")
    K_S_IN: float = _p(1e-4, "kmol m-3", 1e-8, 1.0, _RJ_BIO, "N limitation half-saturation")
    k_m_su: float = _p(30.0, "d-1", 0.0, 1e3, _RJ_BIO, "max uptake rate of sugars")
    K_S_su: float = _p(0.5, "kg m-3", 1e-9, 100.0, _RJ_BIO, "half-saturation of sugars")
    pH_UL_aa: float = _p(5.5, "1", 0.0, 14.0, _RJ_BIO, "upper pH limit of acidogens")
    pH_LL_aa: float = _p(4.0, "1", 0.0, 14.0, _RJ_BIO, "lower pH limit of acidogens")
    k_m_aa: float = _p(50.0, "d-1", 0.0, 1e3, _RJ_BIO, "max uptake rate of amino acids")
    K_S_aa: float = _p(0.3, "kg m-3", 1e-9, 100.0, _RJ_BIO, "half-saturation of amino acids")
    k_m_fa: float = _p(6.0, "d-1", 0.0, 1e3, _RJ_BIO, "max uptake rate of LCFA")
    K_S_fa: float = _p(0.4, "kg m-3", 1e-9, 100.0, _RJ_BIO, "half-saturation of LCFA")
    K_I_h2_fa: float = _p(5e-6, "kg m-3", 1e-12, 1.0, _RJ_BIO, "H2 inhibition of LCFA uptake")
    k_m_c4: float = _p(20.0, "d-1", 0.0, 1e3, _RJ_BIO, "max uptake rate of valerate, butyrate")
    K_S_c4: float = _p(0.2, "kg m-3", 1e-9, 100.0, _RJ_BIO, "half-saturation of valerate, butyrate")
    K_I_h2_c4: float = _p(1e-5, "kg m-3", 1e-12, 1.0, _RJ_BIO, "H2 inhibition of C4 uptake")
    k_m_pro: float = _p(13.0, "d-1", 0.0, 1e3, _RJ_BIO, "max uptake rate of propionate")
    K_S_pro: float = _p(0.1, "kg m-3", 1e-9, 100.0, _RJ_BIO, "half-saturation of propionate")
    K_I_h2_pro: float = _p(
        3.5e-6, "kg m-3", 1e-12, 1.0, _RJ_BIO, "H2 inhibition of propionate uptake"
    )
    k_m_ac: float = _p(8.0, "d-1", 0.0, 1e3, _RJ_BIO, "max uptake rate of acetate")
    K_S_ac: float = _p(0.15, "kg m-3", 1e-9, 100.0, _RJ_BIO, "half-saturation of acetate")
    K_I_nh3: float = _p(
        0.0018, "kmol m-3", 1e-8, 1.0, _RJ_BIO, "free ammonia inhibition of acetate uptake"
    )
    pH_UL_ac: float = _p(7.0, "1", 0.0, 14.0, _RJ_BIO, "upper pH limit of acetoclasts")
    pH_LL_ac: float = _p(6.0, "1", 0.0, 14.0, _RJ_BIO, "lower pH limit of acetoclasts")
    k_m_h2: float = _p(35.0, "d-1", 0.0, 1e3, _RJ_BIO, "max uptake rate of hydrogen")
    K_S_h2: float = _p(7e-6, "kg m-3", 1e-12, 1.0, _RJ_BIO, "half-saturation of hydrogen")
    pH_UL_h2: float = _p(6.0, "1", 0.0, 14.0, _RJ_BIO, "upper pH limit of hydrogenotrophs")
    pH_LL_h2: float = _p(5.0, "1", 0.0, 14.0, _RJ_BIO, "lower pH limit of hydrogenotrophs")
    k_dec_X_su: float = _p(0.02, "d-1", 0.0, 10.0, _RJ_BIO, "decay rate of X_su")
    k_dec_X_aa: float = _p(0.02, "d-1", 0.0, 10.0, _RJ_BIO, "decay rate of X_aa")
    k_dec_X_fa: float = _p(0.02, "d-1", 0.0, 10.0, _RJ_BIO, "decay rate of X_fa")
    k_dec_X_c4: float = _p(0.02, "d-1", 0.0, 10.0, _RJ_BIO, "decay rate of X_c4")
    k_dec_X_pro: float = _p(0.02, "d-1", 0.0, 10.0, _RJ_BIO, "decay rate of X_pro")
    k_dec_X_ac: float = _p(0.02, "d-1", 0.0, 10.0, _RJ_BIO, "decay rate of X_ac")
    k_dec_X_h2: float = _p(0.02, "d-1", 0.0, 10.0, _RJ_BIO, "decay rate of X_h2")
    eps_c4: float = _p(
        1e-6,
        "kg m-3",
        0.0,
        1e-3,
        f"{_RJ} (the small constant in the BSM2 code's valerate and butyrate rates)",
        "guard against 0/0 in S_va / (S_va + S_bu)",
    )
    # --- physico-chemistry (R&J 2006, physico-chemical parameter values)
    R: float = _p(0.083145, "bar m3 kmol-1 K-1", 0.08, 0.09, _RJ_PC, "gas constant")
    T_base_K: float = _p(
        298.15, "K", 273.15, 373.15, _RJ_PC, "reference temperature of the constants"
    )
    pK_w_base: float = _p(14.0, "1", 10.0, 18.0, _RJ_PC, "pKw at T_base")
    pK_a_va: float = _p(4.86, "1", 2.0, 8.0, _RJ_PC, "pKa of valeric acid (no T correction)")
    pK_a_bu: float = _p(4.82, "1", 2.0, 8.0, _RJ_PC, "pKa of butyric acid (no T correction)")
    pK_a_pro: float = _p(4.88, "1", 2.0, 8.0, _RJ_PC, "pKa of propionic acid (no T correction)")
    pK_a_ac: float = _p(4.76, "1", 2.0, 8.0, _RJ_PC, "pKa of acetic acid (no T correction)")
    pK_a_co2_base: float = _p(6.35, "1", 4.0, 9.0, _RJ_PC, "pKa of CO2/HCO3- at T_base")
    pK_a_IN_base: float = _p(9.25, "1", 7.0, 12.0, _RJ_PC, "pKa of NH4+/NH3 at T_base")
    dH_w: float = _p(
        55900.0, "J mol-1", 0.0, 1e5, _RJ_PC, "reaction enthalpy of water (van 't Hoff)"
    )
    dH_a_co2: float = _p(7646.0, "J mol-1", 0.0, 1e5, _RJ_PC, "reaction enthalpy of CO2/HCO3-")
    dH_a_IN: float = _p(51965.0, "J mol-1", 0.0, 1e5, _RJ_PC, "reaction enthalpy of NH4+/NH3")
    K_H_h2_base: float = _p(
        7.8e-4, "kmol m-3 bar-1", 1e-5, 1.0, _RJ_PC, "Henry constant of H2 at T_base"
    )
    K_H_ch4_base: float = _p(
        0.0014, "kmol m-3 bar-1", 1e-5, 1.0, _RJ_PC, "Henry constant of CH4 at T_base"
    )
    K_H_co2_base: float = _p(
        0.035, "kmol m-3 bar-1", 1e-5, 1.0, _RJ_PC, "Henry constant of CO2 at T_base"
    )
    dH_H_h2: float = _p(-4180.0, "J mol-1", -1e5, 0.0, _RJ_PC, "enthalpy of H2 dissolution")
    dH_H_ch4: float = _p(-14240.0, "J mol-1", -1e5, 0.0, _RJ_PC, "enthalpy of CH4 dissolution")
    dH_H_co2: float = _p(-19410.0, "J mol-1", -1e5, 0.0, _RJ_PC, "enthalpy of CO2 dissolution")
    p_h2o_base_bar: float = _p(0.0313, "bar", 0.0, 0.2, _RJ_PC, "water vapour pressure at T_base")
    T_h2o_K: float = _p(
        5290.0, "K", 0.0, 1e4, _RJ_PC, "p_h2o = p_h2o_base exp(T_h2o (1/T_base - 1/T))"
    )
    P_atm_bar: float = _p(1.013, "bar", 0.5, 1.2, _RJ_PC, "atmospheric pressure")
    k_p: float = _p(5e4, "m3 d-1 bar-1", 1.0, 1e8, _RJ_PC, "gas outlet friction coefficient")
    k_L_a: float = _p(200.0, "d-1", 1.0, 1e5, _RJ_PC, "gas-liquid transfer coefficient")

    def __post_init__(self) -> None:
        super().__post_init__()
        sums = {
            "f_sI_xc + f_xI_xc + f_ch_xc + f_pr_xc + f_li_xc": self.f_sI_xc
            + self.f_xI_xc
            + self.f_ch_xc
            + self.f_pr_xc
            + self.f_li_xc,
            "f_h2_su + f_bu_su + f_pro_su + f_ac_su": self.f_h2_su
            + self.f_bu_su
            + self.f_pro_su
            + self.f_ac_su,
            "f_h2_aa + f_va_aa + f_bu_aa + f_pro_aa + f_ac_aa": self.f_h2_aa
            + self.f_va_aa
            + self.f_bu_aa
            + self.f_pro_aa
            + self.f_ac_aa,
        }
        for name, total in sums.items():
            if abs(total - 1.0) > 1e-12:
                raise ParameterError(
                    f"ADM1Params: {name} = {total!r}; expected 1 (COD conservation)"
                )
        for g in ("aa", "ac", "h2"):
            lo, hi = getattr(self, f"pH_LL_{g}"), getattr(self, f"pH_UL_{g}")
            if not lo < hi:
                raise ParameterError(
                    f"ADM1Params.pH_LL_{g} = {lo!r} >= pH_UL_{g} = {hi!r}; expected LL < UL"
                )


# ------------------------------------------------------------------ derived constants


def _constants(p: ADM1Params, T_K: Any) -> SimpleNamespace:
    """Temperature-corrected constants (BSM2 van 't Hoff) and shorthands.

    ``T_K`` may be a float (then every constant is a float) or an array.
    """
    scalar = np.ndim(T_K) == 0
    T = float(T_K) if scalar else np.asarray(T_K, dtype=float)
    exp = math.exp if scalar else np.exp
    R100 = 100.0 * p.R  # J mol-1 K-1, as BSM2 writes it
    dT = 1.0 / p.T_base_K - 1.0 / T
    c = SimpleNamespace(p=p)
    c.RT = p.R * T
    c.K_w = 10.0**-p.pK_w_base * exp(p.dH_w / R100 * dT)
    c.K_a_va = 10.0**-p.pK_a_va
    c.K_a_bu = 10.0**-p.pK_a_bu
    c.K_a_pro = 10.0**-p.pK_a_pro
    c.K_a_ac = 10.0**-p.pK_a_ac
    c.K_a_co2 = 10.0**-p.pK_a_co2_base * exp(p.dH_a_co2 / R100 * dT)
    c.K_a_IN = 10.0**-p.pK_a_IN_base * exp(p.dH_a_IN / R100 * dT)
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


# -------------------------------------------------------------------- charge balance


class Speciation(NamedTuple):
    """Result of :func:`speciation` (BSM2 units)."""

    S_H_ion: np.ndarray  #: hydrogen ion [kmol m-3]
    pH: np.ndarray  #: -log10 S_H_ion [1]
    S_va_ion: np.ndarray  #: valerate ion [kg COD m-3]
    S_bu_ion: np.ndarray  #: butyrate ion [kg COD m-3]
    S_pro_ion: np.ndarray  #: propionate ion [kg COD m-3]
    S_ac_ion: np.ndarray  #: acetate ion [kg COD m-3]
    S_hco3_ion: np.ndarray  #: bicarbonate [kmol C m-3]
    S_co2: np.ndarray  #: dissolved CO2 [kmol C m-3]
    S_nh3: np.ndarray  #: free ammonia [kmol N m-3]
    S_nh4_ion: np.ndarray  #: ammonium [kmol N m-3]


def _charge(c, h, S_IC, S_IN, S_va, S_bu, S_pro, S_ac, S_cat, S_an):
    """Charge balance g(S_H) [kmol m-3] and h dg/dh (g is increasing in S_H)."""
    a_va = c.K_a_va / (c.K_a_va + h)
    a_bu = c.K_a_bu / (c.K_a_bu + h)
    a_pro = c.K_a_pro / (c.K_a_pro + h)
    a_ac = c.K_a_ac / (c.K_a_ac + h)
    a_co2 = c.K_a_co2 / (c.K_a_co2 + h)
    a_IN = c.K_a_IN / (c.K_a_IN + h)
    kw_h = c.K_w / h
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
    )


def speciation(y, *, T_K, params: ADM1Params | None = None) -> Speciation:
    """Solve the charge balance of a liquid state for S_H+ and the ion states.

    Parameters
    ----------
    y : array_like, shape (..., 26) or (..., 29)
        State vector(s) in :data:`STATES` order (gas states are ignored).
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
    >>> y = np.zeros(26); y[Ix.S_IC] = 0.15; y[Ix.S_IN] = 0.13
    >>> y[Ix.S_cat], y[Ix.S_an] = 0.04, 0.02
    >>> print(round(float(speciation(y, T_K=308.15).pH), 2))
    7.66
    """
    p = ADM1Params() if params is None else params
    y = np.asarray(y, dtype=float)
    x = np.moveaxis(y, -1, 0)
    c = _constants(p, np.asarray(T_K, dtype=float))
    S_IC, S_IN, S_va, S_bu, S_pro, S_ac, _, _ = args = _ion_args(x)
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
    if c.scalar and not isinstance(q, np.ndarray):
        q = q if q.real > 0.0 else 0.0 * q
    else:
        q = np.where(np.real(q) > 0.0, q, 0.0 * q)
    return p_h2, p_ch4, p_co2, P, q


class GasPhase(NamedTuple):
    """Result of :func:`gas_phase`."""

    p_h2_bar: np.ndarray  #: hydrogen partial pressure [bar]
    p_ch4_bar: np.ndarray  #: methane partial pressure [bar]
    p_co2_bar: np.ndarray  #: carbon dioxide partial pressure [bar]
    p_gas_bar: np.ndarray  #: headspace pressure incl. water vapour [bar]
    q_head_m3_d: np.ndarray  #: gas outflow at headspace pressure, k_p (P_gas - P_atm) [m3 d-1]
    q_gas_m3_d: np.ndarray  #: gas flow, BSM2 convention [m3 d-1]
    q_ch4_Nm3_d: np.ndarray  #: methane leaving the headspace at 0 degC, 101325 Pa [m3 d-1]


def gas_phase(y, *, T_K, params: ADM1Params | None = None) -> GasPhase:
    """Partial pressures and gas outflow of a state (BSM2 convention).

    Parameters
    ----------
    y : array_like, shape (..., 29)
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
    >>> y = np.zeros(29); y[Ix.S_gas_ch4] = 1.6256; y[Ix.S_gas_co2] = 0.01415
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


def _stoichiometry(p):
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
    """dy/dt of ADM1 (BSM2) on columns ``x`` (29 scalars or arrays); returns (list, S_H).

    ``xin`` are the 26 influent columns, ``D = q / V_liq`` [d-1],
    ``Vl_Vg = V_liq / V_gas`` and ``inv_Vg = 1 / V_gas`` [m-3].
    """
    p = c.p
    (S_su, S_aa, S_fa, S_va, S_bu, S_pro, S_ac, S_h2, S_ch4, S_IC, S_IN, _S_I,
     X_c, X_ch, X_pr, X_li, X_su, X_aa, X_fa, X_c4, X_pro, X_ac, X_h2, _X_I,
     S_cat, S_an, Sg_h2, Sg_ch4, Sg_co2) = x  # fmt: skip
    (su_li, fa_li, va_6, bu_5, bu_6, pro_5, pro_6, pro_8, ac_5, ac_6, ac_7, ac_8, ac_9, ac_10,
     h2_5, h2_6, h2_7, h2_8, h2_9, h2_10, ch4_11, ch4_12, s1, s2, s3, s4, s5, s6, s7, s8, s9,
     s10, s11, s12, s13, n5, n6, n7, n89, n10, n11, n12, n_dec, n1) = c.nu  # fmt: skip
    h = _solve_h(c, (S_IC, S_IN, S_va, S_bu, S_pro, S_ac, S_cat, S_an), h0)
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

    # process rates rho_1 .. rho_19 [kg COD m-3 d-1]
    r1 = p.k_dis * X_c
    r2 = p.k_hyd_ch * X_ch
    r3 = p.k_hyd_pr * X_pr
    r4 = p.k_hyd_li * X_li
    r5 = p.k_m_su * S_su / (p.K_S_su + S_su) * X_su * I_5
    r6 = p.k_m_aa * S_aa / (p.K_S_aa + S_aa) * X_aa * I_5
    r7 = p.k_m_fa * S_fa / (p.K_S_fa + S_fa) * X_fa * I_7
    c4 = p.k_m_c4 * X_c4 * I_8 / (S_va + S_bu + p.eps_c4)
    r8 = c4 * S_va / (p.K_S_c4 + S_va) * S_va
    r9 = c4 * S_bu / (p.K_S_c4 + S_bu) * S_bu
    r10 = p.k_m_pro * S_pro / (p.K_S_pro + S_pro) * X_pro * I_10
    r11 = p.k_m_ac * S_ac / (p.K_S_ac + S_ac) * X_ac * I_11
    r12 = p.k_m_h2 * S_h2 / (p.K_S_h2 + S_h2) * X_h2 * I_12
    r13 = p.k_dec_X_su * X_su
    r14 = p.k_dec_X_aa * X_aa
    r15 = p.k_dec_X_fa * X_fa
    r16 = p.k_dec_X_c4 * X_c4
    r17 = p.k_dec_X_pro * X_pro
    r18 = p.k_dec_X_ac * X_ac
    r19 = p.k_dec_X_h2 * X_h2
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
    out += [D * (xin[i] - x[i]) for i in range(_X1, N_LIQ)]  # S_cat, S_an: no reactions
    qg = q_head * inv_Vg
    out.append(-Sg_h2 * qg + rT8 * Vl_Vg)
    out.append(-Sg_ch4 * qg + rT9 * Vl_Vg)
    out.append(-Sg_co2 * qg + rT10 * Vl_Vg)
    return out, h


# ------------------------------------------------------------------- public functions


def _particulate_dilution(c, D):
    """Dilution rate of particulates [d-1]: D / (1 + D t_res,X) (D for a CSTR)."""
    t_res = getattr(c, "t_res_X", 0.0)
    return D / (1.0 + D * t_res)


def _retention(t_res_X_d, n: int | None) -> np.ndarray | float:
    """Checked extra solids residence time [d], per case (or a float for one run)."""
    t = np.asarray(t_res_X_d, dtype=float)
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        raise ParameterError(
            f"t_res_X_d = {t[bad].flat[0] if t.ndim else float(t)!r}; expected a finite number >= 0 [d]"
        )
    return float(t) if n is None else np.broadcast_to(t, (n,)).astype(float)


def _operating(flow_m3_d, V_liq_m3, V_gas_m3):
    D = np.asarray(flow_m3_d, dtype=float) / np.asarray(V_liq_m3, dtype=float)
    Vl_Vg = np.asarray(V_liq_m3, dtype=float) / np.asarray(V_gas_m3, dtype=float)
    inv_Vg = 1.0 / np.asarray(V_gas_m3, dtype=float)
    return D, Vl_Vg, inv_Vg


def rhs(
    y,
    influent,
    *,
    flow_m3_d,
    V_liq_m3,
    V_gas_m3,
    T_K,
    params: ADM1Params | None = None,
) -> np.ndarray:
    """Right-hand side dy/dt of ADM1 (BSM2) on one state or a batch of states.

    Parameters
    ----------
    y : array_like, shape (..., 29)
        State vector(s) in :data:`STATES` order (BSM2 units); may be complex
        (complex-step derivatives go through exactly).
    influent : array_like, shape (..., 26)
        Influent concentrations in :data:`LIQUID_STATES` order.
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
    >>> y = np.full(29, 0.1); x_in = np.full(26, 0.1)
    >>> f = rhs(y, x_in, flow_m3_d=170.0, V_liq_m3=3400.0, V_gas_m3=300.0, T_K=308.15)
    >>> f.shape
    (29,)
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
    """Exact Jacobian by complex step, y (n, 29) -> (n, 29, 29); also f and S_H."""
    n = y.shape[0]
    yc = np.repeat(y[:, None, :].astype(complex), N_STATES + 1, axis=1)
    idx = np.arange(N_STATES)
    yc[:, idx, idx] += 1j * _CSTEP
    x = np.moveaxis(yc, -1, 0)  # (29, n, 30)
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


def jacobian(
    y,
    influent,
    *,
    flow_m3_d,
    V_liq_m3,
    V_gas_m3,
    T_K,
    params: ADM1Params | None = None,
) -> np.ndarray:
    """Exact Jacobian d(dy/dt)/dy of :func:`rhs` by the complex step.

    Parameters
    ----------
    y : array_like, shape (n, 29) or (29,)
        State vector(s).
    influent, flow_m3_d, V_liq_m3, V_gas_m3, T_K, params
        As in :func:`rhs`; the operating values broadcast over ``n``.

    Returns
    -------
    numpy.ndarray, shape (n, 29, 29) or (29, 29)
        ``J[k, i, j] = d f_i / d y_j`` [d-1 in state units].

    Notes
    -----
    Complex-step differentiation (Squire & Trapp 1998, SIAM Rev. 40:110,
    doi:10.1137/S003614459631241X): :math:`f'(y) e_j = \\mathrm{Im} f(y + i h e_j)/h`
    with :math:`h = 10^{-20}`, exact to rounding because no difference is taken.
    The implicit S_H+ is differentiated by one complex Newton step on the charge
    balance at its real root. All 29 columns of all n cases are one vectorized
    evaluation of the right-hand side.

    Examples
    --------
    >>> y = np.full(29, 0.1); x_in = np.full(26, 0.1)
    >>> J = jacobian(y, x_in, flow_m3_d=170.0, V_liq_m3=3400.0, V_gas_m3=300.0, T_K=308.15)
    >>> J.shape, float(J[Ix.S_cat, Ix.S_cat])
    ((29, 29), -0.05)
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


def conserved_totals(y, *, params: ADM1Params | None = None) -> dict[str, np.ndarray]:
    """COD, nitrogen, carbon and strong-ion charge of liquid and gas states.

    Parameters
    ----------
    y : array_like, shape (..., 26) or (..., 29)
        Liquid state(s) (an influent, a digester content, dy/dt) or full states.
    params : ADM1Params, optional
        Parameters (contents N_*, C_*); default the BSM2 set.

    Returns
    -------
    dict of numpy.ndarray
        ``COD_kg_m3``, ``N_kmol_m3``, ``C_kmol_m3``, ``charge_kmol_m3`` of the
        liquid part, and for 29 columns also ``gas_COD_kg_m3`` and
        ``gas_C_kmol_m3`` of the headspace (per m3 of headspace).

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
    >>> x = np.zeros(26); x[Ix.X_pr] = 1.0
    >>> round(float(conserved_totals(x)["N_kmol_m3"]), 4)
    0.007
    """
    p = ADM1Params() if params is None else params
    x = np.moveaxis(np.asarray(y, dtype=float), -1, 0)
    cod, N, C, charge = _totals(p, x)
    out = {"COD_kg_m3": cod, "N_kmol_m3": N, "C_kmol_m3": C, "charge_kmol_m3": charge}
    if x.shape[0] == N_STATES:
        out["gas_COD_kg_m3"], out["gas_C_kmol_m3"] = _gas_totals(p, x)
    return out


_BIO = ("X_su", "X_aa", "X_fa", "X_c4", "X_pro", "X_ac", "X_h2")
_COD_STATES = tuple(n for n in LIQUID_STATES if n not in ("S_IC", "S_IN", "S_cat", "S_an"))


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


# ------------------------------------------------------------------ input checking


class WashoutError(SolverError):
    """The methanogens wash out (or pH collapses): no productive steady state.

    ``rows`` lists the batch rows concerned (``[0]`` for a single case).
    """

    def __init__(self, message: str, rows: list[int]):
        self.rows = rows
        super().__init__(message)


def _row(a: np.ndarray, bad: np.ndarray, batch: bool) -> str:
    i = int(np.flatnonzero(np.broadcast_to(bad, np.shape(a)) if np.ndim(a) else [bad])[0])
    value = a[i] if np.ndim(a) else a[()]
    return (f"[case {i}] " if batch and np.ndim(a) else "") + f"= {float(value)!r}"


def _check_operating(args: dict[str, Any]) -> tuple[dict[str, np.ndarray], int | None]:
    """Check flow, volumes and temperature; return float arrays and the batch size."""
    out = {}
    sizes = set()
    for name, value in args.items():
        try:
            a = np.asarray(value, dtype=float)
        except (TypeError, ValueError) as err:
            raise ParameterError(f"{name} = {value!r} is not a number") from err
        if a.ndim > 1:
            raise ParameterError(f"{name} has shape {a.shape}; expected a scalar or 1-d batch")
        if a.ndim == 1:
            sizes.add(a.shape[0])
        out[name] = a
    return out, sizes


def _check_inputs(influent, operating: dict[str, Any], *, time_len: int | None = None):
    """Validate influent and operating values; return arrays (26, ...) and the batch size.

    Without ``time_len`` 1-d inputs are a batch (``case``); with it, they are
    series over time of that length.
    """
    if not isinstance(influent, Mapping):
        raise ParameterError(
            f"influent is a {type(influent).__name__}; expected a mapping of the 26 ADM1 "
            "liquid state names to concentrations"
        )
    unknown = sorted(set(influent) - set(LIQUID_STATES))
    if unknown:
        raise ParameterError(
            f"influent has unknown state(s) {unknown}; expected the names {list(LIQUID_STATES)}"
        )
    missing = [n for n in LIQUID_STATES if n not in influent]
    if missing:
        raise ParameterError(f"influent lacks state(s) {missing}")
    ops, sizes = _check_operating(operating)
    conc, sz2 = _check_operating({f"influent[{n!r}]": influent[n] for n in LIQUID_STATES})
    sizes |= sz2
    if len(sizes) > 1:
        raise ParameterError(f"batch inputs have different lengths {sorted(sizes)}")
    n = sizes.pop() if sizes else None
    if time_len is not None and n is not None and n != time_len:
        raise ParameterError(f"time series inputs have length {n}; expected len(t_d) = {time_len}")
    batch = n is not None and time_len is None
    for name, a in conc.items():
        bad = ~np.isfinite(a) | (a < 0)
        if np.any(bad):
            raise ParameterError(
                f"{name} {_row(a, bad, batch)} kmol or kg COD m-3 is negative or not finite; "
                "expected a finite value >= 0"
            )
    for name in ("flow_m3_d", "V_liq_m3", "V_gas_m3"):
        if name not in ops:
            continue
        a = ops[name]
        bad = ~np.isfinite(a) | (a <= 0)
        if np.any(bad):
            raise ParameterError(
                f"{name} {_row(a, bad, batch)} is not > 0; expected a finite value > 0"
            )
    a = ops["T_K"]
    bad = ~np.isfinite(a) | (a < T_K_MIN) | (a > T_K_MAX)
    if np.any(bad):
        raise ParameterError(
            f"T_K {_row(a, bad, batch)} is outside [{T_K_MIN}, {T_K_MAX}] K (5-60 degC)"
        )
    xin = np.stack(
        [
            np.broadcast_to(conc[f"influent[{k!r}]"], () if n is None else (n,))
            for k in LIQUID_STATES
        ]
    )
    return xin, ops, n


# -------------------------------------------------------------------- initial guess


def _initial_guess(c, xin, D):
    """A rough steady state from CSTR theory, arrays (29, n); every value > 0.

    Particulates from first-order disintegration and hydrolysis; each substrate
    at the Monod level of a chemostat, :math:`S = K_S (D+b)/(Y k_m - D - b)`
    (uninhibited), its degraders from the yield; S_IN from the nitrogen
    balance; S_IC, the gas phase and pH from a few fixed-point passes of the
    carbon balance with the gas at equilibrium.
    """
    p = c.p
    ix = Ix
    x = [np.array(a, dtype=float) for a in xin]
    n = x[0].shape
    b = {k: getattr(p, f"k_dec_X_{k}") for k in ("su", "aa", "fa", "c4", "pro", "ac", "h2")}

    def monod(F, S_in_D, km, Ks, Y, bb, X_in):
        """Substrate and degraders of one group fed F [kg COD m-3 d-1]."""
        mu = Y * km - D - bb
        S_max = F / D
        S = np.where(mu > 0, Ks * (D + bb) / np.where(mu > 0, mu, 1.0), S_max)
        S = np.minimum(S, S_max)
        upt = np.maximum(F - D * S, 0.0)
        X = (D * X_in + Y * upt) / (D + bb)
        return S, upt, X

    y = [np.zeros(n) for _ in range(N_STATES)]
    X_bio = 0.0
    for _ in range(3):
        X_c = (D * x[ix.X_c] + X_bio) / (D + p.k_dis)
        dis = p.k_dis * X_c
        X_ch = (D * x[ix.X_ch] + p.f_ch_xc * dis) / (D + p.k_hyd_ch)
        X_pr = (D * x[ix.X_pr] + p.f_pr_xc * dis) / (D + p.k_hyd_pr)
        X_li = (D * x[ix.X_li] + p.f_li_xc * dis) / (D + p.k_hyd_li)
        h_ch, h_pr, h_li = p.k_hyd_ch * X_ch, p.k_hyd_pr * X_pr, p.k_hyd_li * X_li
        S_su, u_su, X_su = monod(D * x[ix.S_su] + h_ch + (1 - p.f_fa_li) * h_li, 0, p.k_m_su,
                                 p.K_S_su, p.Y_su, b["su"], x[ix.X_su])  # fmt: skip
        S_aa, u_aa, X_aa = monod(
            D * x[ix.S_aa] + h_pr, 0, p.k_m_aa, p.K_S_aa, p.Y_aa, b["aa"], x[ix.X_aa]
        )
        S_fa, u_fa, X_fa = monod(D * x[ix.S_fa] + p.f_fa_li * h_li, 0, p.k_m_fa, p.K_S_fa, p.Y_fa,
                                 b["fa"], x[ix.X_fa])  # fmt: skip
        F_va = D * x[ix.S_va] + (1 - p.Y_aa) * p.f_va_aa * u_aa
        F_bu = D * x[ix.S_bu] + (1 - p.Y_su) * p.f_bu_su * u_su + (1 - p.Y_aa) * p.f_bu_aa * u_aa
        S_c4, u_c4, X_c4 = monod(F_va + F_bu, 0, p.k_m_c4, p.K_S_c4, p.Y_c4, b["c4"], x[ix.X_c4])
        w_va = F_va / (F_va + F_bu + 1e-30)
        S_va, S_bu, u_va, u_bu = S_c4 * w_va, S_c4 * (1 - w_va), u_c4 * w_va, u_c4 * (1 - w_va)
        F_pro = (D * x[ix.S_pro] + (1 - p.Y_su) * p.f_pro_su * u_su + (1 - p.Y_aa) * p.f_pro_aa * u_aa
                 + (1 - p.Y_c4) * _VA_PRO * u_va)  # fmt: skip
        S_pro, u_pro, X_pro = monod(F_pro, 0, p.k_m_pro, p.K_S_pro, p.Y_pro, b["pro"], x[ix.X_pro])
        F_ac = (D * x[ix.S_ac] + (1 - p.Y_su) * p.f_ac_su * u_su + (1 - p.Y_aa) * p.f_ac_aa * u_aa
                + (1 - p.Y_fa) * _FA_AC * u_fa + (1 - p.Y_c4) * (_VA_AC * u_va + _BU_AC * u_bu)
                + (1 - p.Y_pro) * _PRO_AC * u_pro)  # fmt: skip
        S_ac, u_ac, X_ac = monod(F_ac, 0, p.k_m_ac, p.K_S_ac, p.Y_ac, b["ac"], x[ix.X_ac])
        F_h2 = (D * x[ix.S_h2] + (1 - p.Y_su) * p.f_h2_su * u_su + (1 - p.Y_aa) * p.f_h2_aa * u_aa
                + (1 - p.Y_fa) * _FA_H2 * u_fa + (1 - p.Y_c4) * (_VA_H2 * u_va + _BU_H2 * u_bu)
                + (1 - p.Y_pro) * _PRO_H2 * u_pro)  # fmt: skip
        S_h2, u_h2, X_h2 = monod(F_h2, 0, p.k_m_h2, p.K_S_h2, p.Y_h2, b["h2"], x[ix.X_h2])
        X_bio = (b["su"] * X_su + b["aa"] * X_aa + b["fa"] * X_fa + b["c4"] * X_c4
                 + b["pro"] * X_pro + b["ac"] * X_ac + b["h2"] * X_h2)  # fmt: skip
    vals = dict(S_su=S_su, S_aa=S_aa, S_fa=S_fa, S_va=S_va, S_bu=S_bu, S_pro=S_pro, S_ac=S_ac,
                S_h2=S_h2, X_c=X_c, X_ch=X_ch, X_pr=X_pr, X_li=X_li, X_su=X_su, X_aa=X_aa,
                X_fa=X_fa, X_c4=X_c4, X_pro=X_pro, X_ac=X_ac, X_h2=X_h2)  # fmt: skip
    for k, v in vals.items():
        y[ix[k]] = v
    y[ix.S_I] = x[ix.S_I] + p.f_sI_xc * dis / D
    y[ix.X_I] = x[ix.X_I] + p.f_xI_xc * dis / D
    y[ix.S_cat], y[ix.S_an] = x[ix.S_cat], x[ix.S_an]
    # nitrogen: none leaves in the gas, so total N equals the influent's
    y[ix.S_IN] = np.zeros(n)
    tot_in = conserved_totals(np.stack(x, axis=-1), params=p)
    tot = conserved_totals(np.stack(y[:N_LIQ], axis=-1), params=p)
    y[ix.S_IN] = np.maximum(tot_in["N_kmol_m3"] - tot["N_kmol_m3"], 1e-4)
    # methane and carbon: the gas carries CH4 and CO2 at equilibrium partial pressures
    ch4 = (1 - p.Y_ac) * u_ac + (1 - p.Y_h2) * u_h2  # kg COD m-3 d-1
    C_org = tot["C_kmol_m3"]
    P_dry = p.P_atm_bar - c.p_h2o
    ch4_kmol = ch4 / _COD_CH4  # kmol m-3 d-1 of liquid
    ions = (y[ix.S_IN], S_va, S_bu, S_pro, S_ac, x[ix.S_cat], x[ix.S_an])

    def co2_out(S_IC, h0):
        h = _solve_h_array(c, (S_IC, *ions), h0)
        p_co2 = np.minimum(S_IC * h / (c.K_a_co2 + h) / c.K_H_co2, 0.9 * P_dry)
        return p_co2, ch4_kmol * p_co2 / (P_dry - p_co2), h

    # carbon balance D (C_in - C_org - S_IC) = C_ch4 ch4 + CO2 out, increasing in S_IC:
    # bisection between 0 and the carbon that is left without any CO2 in the gas
    hi = np.maximum(tot_in["C_kmol_m3"] - C_org - p.C_ch4 * ch4 / D, 1e-3)
    lo = np.zeros(n)
    h = None
    for _ in range(30):
        S_IC = 0.5 * (lo + hi)
        p_co2, co2, h = co2_out(S_IC, h)
        excess = S_IC - (tot_in["C_kmol_m3"] - C_org - (p.C_ch4 * ch4 + co2) / D)
        hi = np.where(excess > 0, S_IC, hi)
        lo = np.where(excess > 0, lo, S_IC)
    p_co2 = np.maximum(p_co2, 1e-4)
    p_ch4 = P_dry - p_co2
    y[ix.S_IC] = S_IC
    y[ix.S_ch4] = _COD_CH4 * c.K_H_ch4 * p_ch4 + ch4 / p.k_L_a
    y[ix.S_gas_ch4] = p_ch4 * _COD_CH4 / c.RT
    y[ix.S_gas_co2] = p_co2 / c.RT
    y[ix.S_gas_h2] = S_h2 / (_COD_H2 * c.K_H_h2) * _COD_H2 / c.RT
    return np.maximum(np.stack([np.broadcast_to(a, n) for a in y]), 1e-12)


# ------------------------------------------------------------------- steady state

_FLOOR = 1e-14  # absolute floor of the step test [state units]
_NEGLIGIBLE = 1e-12  # a state this small may be stepped to 0 [state units]


def _ptc(c, y, xin, D, Vl_Vg, inv_Vg, *, rtol=1e-12, maxiter=200, dt0=0.1, grow=10.0):
    """Pseudo-transient continuation to the steady state, vectorized over n cases.

    Implicit Euler steps (I/dt - J) dy = f with the exact Jacobian, dt growing
    by ``grow`` on each full step and cut by 4 when a step has to be damped to keep
    every state positive (a step never removes more than 90 % of a state
    above 1e-12; smaller ones may drop to 0).
    Returns y (n, 29), converged (n,), S_H (n,) and the iteration count.
    """
    n = y.shape[0]
    dt = np.full(n, dt0)
    conv = np.zeros(n, dtype=bool)
    h = np.full(n, 1e-7)
    eye = np.eye(N_STATES)
    it = 0
    for it in range(1, maxiter + 1):  # noqa: B007
        a = np.flatnonzero(~conv)
        if a.size == 0:
            break
        ca = _take(c, a)
        f, J, h[a] = _jac(ca, y[a], [v[a] for v in xin], D[a], Vl_Vg[a], inv_Vg[a], h[a])
        s = np.abs(y[a]) + _FLOOR  # column scaling
        A = (eye / dt[a, None, None] - J) * s[:, None, :]
        rs = np.abs(A).max(axis=2)  # row scaling
        z = np.linalg.solve(A / rs[:, :, None], (f / rs)[..., None])[..., 0]
        dy = z * s
        # fraction to the boundary on the states that matter; a state of 1e-12 or
        # less (absent from feed and washed out, e.g. S_cat = 0) may drop to 0
        big = y[a] > _NEGLIGIBLE
        with np.errstate(divide="ignore", invalid="ignore"):
            shrink = np.where((dy < 0) & big, -dy / y[a], 0.0).max(axis=1)
        lam = np.minimum(1.0, 0.9 / np.maximum(shrink, 1e-300))
        ok = np.isfinite(dy).all(axis=1)
        lam = np.where(ok, lam, 0.0)
        y_new = np.maximum(y[a] + lam[:, None] * np.where(np.isfinite(dy), dy, 0.0), 0.0)
        step = y_new - y[a]
        y[a] = y_new
        rel = (np.abs(step) / (np.abs(y[a]) + _FLOOR)).max(axis=1)
        full = lam == 1.0
        dt[a] = np.where(full, np.minimum(dt[a] * grow, 1e20), np.maximum(dt[a] / 4.0, 1e-8))
        conv[a] = full & (dt[a] >= 1e6) & (rel < rtol)
    return y, conv, h, it


def _stable(c, y, xin, D, Vl_Vg, inv_Vg, h):
    """Rows whose Jacobian has no eigenvalue with a positive real part (a stable steady state).

    Newton can converge to an unstable (saddle) steady state where ADM1 has
    several; those rows are redone dynamically.
    """
    _, J, _ = _jac(c, y, xin, D, Vl_Vg, inv_Vg, h)
    ok = np.isfinite(J).all(axis=(1, 2))
    lam = np.full(y.shape[0], np.inf)
    lam[ok] = np.linalg.eigvals(J[ok]).real.max(axis=1)
    return lam < 1e-6


def _take(c, a):
    """Constants of the cases ``a`` (array-valued constants are indexed)."""
    out = SimpleNamespace(**vars(c))
    for k, v in vars(c).items():
        if isinstance(v, np.ndarray) and v.ndim == 1:
            setattr(out, k, v[a])
    return out


#: Methanogen concentration below which a digester counts as washed out [kg COD m-3].
_X_WASHED_OUT = 1e-6


def _washout_mask(c, y, xin, D, pH):
    """Rows whose methanogens (X_ac or X_h2) hold less than half their mass by growth or
    fall below 1e-6 kg COD m-3, or whose pH is below pH_LL_ac."""
    p = c.p
    bad = pH < p.pH_LL_ac
    for k in ("ac", "h2"):
        X = y[:, Ix[f"X_{k}"]]
        b = getattr(p, f"k_dec_X_{k}")
        inflow_only = D * xin[Ix[f"X_{k}"]] / (_particulate_dilution(c, D) + b)
        with np.errstate(divide="ignore", invalid="ignore"):
            grown = 1.0 - inflow_only / X
        bad |= ~(grown >= 0.5) | (X < _X_WASHED_OUT)
    return bad


def _settle(c, y_start, rows, xin, D, Vl_Vg, inv_Vg):
    """Pseudo-transient continuation of the cases ``rows`` from ``y_start`` (len(rows), 29).

    Returns their states, S_H and whether each reached a stable steady state that keeps
    its methanogens (:func:`_ptc`, :func:`_stable`, :func:`_washout_mask`).
    """
    ca, xa = _take(c, rows), [v[rows] for v in xin]
    Da, la, ga = D[rows], Vl_Vg[rows], inv_Vg[rows]
    ya, ok, ha, _ = _ptc(ca, y_start, xa, Da, la, ga)
    ok &= _stable(ca, ya, xa, Da, la, ga, ha)
    ok &= ~_washout_mask(ca, ya, xa, Da, -np.log10(ha))
    return ya, ha, ok


def _bdf_case(c, y0, xin, D, Vl_Vg, inv_Vg, t_end_d):
    """Integrate one case (floats) with BDF to t_end_d; returns the end state or None."""
    from scipy.integrate import solve_ivp

    fun, jac = _scalar_fun_jac(c, lambda t: (xin, D), Vl_Vg, inv_Vg)
    sol = solve_ivp(fun, (0.0, t_end_d), y0, method="BDF", jac=jac, rtol=1e-8, atol=1e-12)
    return sol.y[:, -1] if sol.success else None


def _scalar_fun_jac(c, inflow, Vl_Vg, inv_Vg):
    """RHS and Jacobian of one case for scipy, with ``inflow(t) -> (xin list, D)``."""
    cs = SimpleNamespace(
        **{
            k: (float(np.ravel(v)[0]) if isinstance(v, np.ndarray) else v)
            for k, v in vars(c).items()
        }
    )
    cs.scalar = True
    ca = SimpleNamespace(**vars(cs))
    ca.scalar = False
    vl, ig = float(Vl_Vg), float(inv_Vg)
    last = {"h": 1e-7}  # warm start of the pH solve, local to this integration

    def fun(t, y):
        xin, D = inflow(t)
        out, last["h"] = _core(cs, y.tolist(), xin, D, vl, ig, last["h"])
        return np.array(out)

    def jac(t, y):
        xin, D = inflow(t)
        _, J, _ = _jac(ca, y[None, :], [np.array([v]) for v in xin], np.array([D]),
                       np.array([vl]), np.array([ig]))  # fmt: skip
        return J[0]

    return fun, jac


def _dataset(y, c, meta, dim=None, coord=None):
    """An xarray.Dataset of states, ions, pH and gas, with CF attributes."""
    import xarray as xr

    import nexus

    y = np.asarray(y)
    sp = speciation(y, T_K=meta["T_K"], params=c.p)
    gp = gas_phase(y, T_K=meta["T_K"], params=c.p)
    data = {name: y[..., i] for i, name in enumerate(STATES)}
    data.update({k: getattr(sp, k) for k in Speciation._fields})
    data["p_gas_Pa"] = gp.p_gas_bar * 1e5
    data["q_gas_m3_d"] = gp.q_gas_m3_d
    data["q_ch4_Nm3_d"] = gp.q_ch4_Nm3_d
    data.update(meta.get("extra", {}))
    dims = () if dim is None else (dim,)
    ds = xr.Dataset(
        {
            k: (
                dims,
                np.asarray(v, dtype=float),
                {"units": _UNITS[k][0], "long_name": _UNITS[k][1]},
            )
            for k, v in data.items()
        }
    )
    if dim is not None and coord is not None:
        ds = ds.assign_coords({dim: coord})
    ds.attrs.update(
        {
            "nexus_version": nexus.__version__,
            "model": "ADM1 (Batstone et al. 2002) as in BSM2 (Rosen & Jeppsson 2006)",
            "solver_status": meta["status"],
        }
    )
    return ds


def steady_state(
    influent: Mapping[str, Any],
    *,
    flow_m3_d,
    V_liq_m3,
    V_gas_m3,
    T_K,
    params: ADM1Params | None = None,
    allow_washout: bool = False,
    t_res_X_d=0.0,
):
    """Steady state of a continuously fed digester, for one case or a batch.

    Parameters
    ----------
    influent : mapping of str to float or array_like
        Concentration of each of the 26 liquid states (:data:`LIQUID_STATES`,
        BSM2 units: kg COD m-3, kmol C m-3 for S_IC, kmol N m-3 for S_IN,
        kmol m-3 for S_cat, S_an); all 26 are required, each >= 0.
    flow_m3_d : float or array_like
        Influent flow [m3 d-1], > 0.
    V_liq_m3, V_gas_m3 : float or array_like
        Liquid and headspace volumes [m3], > 0.
    T_K : float or array_like
        Digester temperature [K], in [278.15, 333.15] (5-60 degC).
    params : ADM1Params, optional
        Parameters; default the BSM2 set.
    allow_washout : bool, default False
        Return washed-out cases (flagged in ``washout``) instead of raising.
    t_res_X_d : float or array_like, default 0
        Extra residence time of particulates and biomass beyond the HRT [d]
        (ADM1's t_res,X, Batstone et al. 2002, section 7.2): 0 is a CSTR; a
        UASB reactor that keeps its sludge bed has a large value. The
        reported states are the reactor contents; particulates leave at
        ``X / (V/q + t_res_X_d)``.

    Any of the inputs may be a 1-d array: the cases form a batch along the
    dimension ``case`` and are solved together.

    Returns
    -------
    xarray.Dataset
        Every state under its name (BSM2 units), the ions (``S_ac_ion``,
        ``S_hco3_ion``, ``S_nh3``, ...), ``pH``, ``p_gas_Pa``, ``q_gas_m3_d``
        (BSM2 convention, normalised to P_atm), ``q_ch4_Nm3_d`` and ``washout``
        (1 where the methanogens washed out); dimension ``case`` for a batch.

    Raises
    ------
    ParameterError
        A concentration is negative or missing or a state name unknown, a
        volume or flow is not positive, or T_K is outside 5-60 degC.
    WashoutError
        The steady state of some row(s) has washed-out methanogens (less than
        half of X_ac or X_h2 sustained by growth, or below 1e-6 kg COD m-3) or
        pH below pH_LL_ac; ``rows`` lists them.
    SolverError
        No steady state found.

    Notes
    -----
    Solved directly: pseudo-transient continuation (implicit Euler steps
    with a growing step, i.e. damped Newton that ends as Newton) on the full
    29-state right-hand side with its exact complex-step Jacobian, all cases
    of a batch in one vectorized block-diagonal solve, from a chemostat-theory
    initial guess; converged when the last Newton step is below 1e-12
    relative. ADM1 can have several steady states (a productive one, a sour
    one with accumulated acids, unstable ones between): a converged state
    whose Jacobian has an eigenvalue with a positive real part, a washed-out
    state, or a case that does not converge in 200 iterations is solved again
    (continuation) from the stable productive state of the nearest row of the
    batch (e.g. the neighbouring day of a daily series), all such cases in one
    batch; those that still fail are integrated with BDF from the initial guess
    (a start-up) over 400 (then 4000) days and solved again from there, one
    case at a time, and every productive state a start-up finds is continued
    to the cases left. So a stable productive state found by Newton is
    returned; otherwise the stable state that the start-up reaches, and a
    washout is only reported when the start-up washes out too.

    Examples
    --------
    >>> bsm2 = dict(S_su=0.01, S_aa=0.001, S_fa=0.001, S_va=0.001, S_bu=0.001,
    ...     S_pro=0.001, S_ac=0.001, S_h2=1e-8, S_ch4=1e-5, S_IC=0.04, S_IN=0.01,
    ...     S_I=0.02, X_c=2.0, X_ch=5.0, X_pr=20.0, X_li=5.0, X_su=0.0, X_aa=0.01,
    ...     X_fa=0.01, X_c4=0.01, X_pro=0.01, X_ac=0.01, X_h2=0.01, X_I=25.0,
    ...     S_cat=0.04, S_an=0.02)
    >>> ds = steady_state(bsm2, flow_m3_d=170.0, V_liq_m3=3400.0, V_gas_m3=300.0,
    ...                   T_K=308.15)
    >>> print(round(float(ds.pH), 4), round(float(ds.q_gas_m3_d), 1))
    7.4655 2955.7
    """
    p = ADM1Params() if params is None else params
    ops = dict(flow_m3_d=flow_m3_d, V_liq_m3=V_liq_m3, V_gas_m3=V_gas_m3, T_K=T_K)
    xin, ops, nb = _check_inputs(influent, ops)
    n = 1 if nb is None else nb
    xin = [np.broadcast_to(v, (n,)).astype(float) for v in xin]
    q, Vl, Vg, T = (
        np.broadcast_to(ops[k], (n,)).astype(float)
        for k in ("flow_m3_d", "V_liq_m3", "V_gas_m3", "T_K")
    )
    D, Vl_Vg, inv_Vg = q / Vl, Vl / Vg, 1.0 / Vg
    c = _constants(p, T)
    c.t_res_X = _retention(t_res_X_d, n)
    y0 = _initial_guess(c, xin, _particulate_dilution(c, D)).T.copy()  # (n, 29)
    y, h, good = _settle(c, y0.copy(), np.arange(n), xin, D, Vl_Vg, inv_Vg)
    conv = good.copy()
    todo = [int(i) for i in np.flatnonzero(~good)]
    fresh = good.any()  # a productive state not yet continued from
    while todo:
        if fresh:  # continuation: the rest from the nearest (by row) productive state
            a = np.array(todo)
            src = np.flatnonzero(good)
            near = src[np.abs(src[None, :] - a[:, None]).argmin(axis=1)]
            ya, ha, ok = _settle(c, y[near].copy(), a, xin, D, Vl_Vg, inv_Vg)
            y[a[ok]], h[a[ok]] = ya[ok], ha[ok]
            good[a[ok]] = conv[a[ok]] = True
            todo = [i for i in todo if not good[i]]
            fresh = False
            if not todo:
                break
        i = todo.pop(0)  # dynamic start-up of one case
        ci = _take(c, np.array([i]))
        sl = slice(i, i + 1)
        xi = [v[sl] for v in xin]
        for t_end in (400.0, 4000.0):
            ye = _bdf_case(
                ci, y0[i], [float(v[i]) for v in xin], float(D[i]), Vl_Vg[i], inv_Vg[i], t_end
            )
            if ye is None or not np.all(np.isfinite(ye)):
                break
            # states that vanish (washed-out biomass) may end a hair below 0
            ye = np.maximum(ye, 1e-30)
            yi, ok, hi, _ = _ptc(
                ci, ye[None, :].copy(), xi, D[sl], Vl_Vg[sl], inv_Vg[sl], dt0=t_end
            )
            if ok[0] and _stable(ci, yi, xi, D[sl], Vl_Vg[sl], inv_Vg[sl], hi)[0]:
                y[i], conv[i], h[i] = yi[0], True, hi[0]
                good[i] = fresh = not _washout_mask(ci, yi, xi, D[sl], -np.log10(hi))[0]
                break
            # not converged: keep the end of the start-up, so a washout is still seen
            y[i] = ye
            h[i] = _solve_h_array(ci, _ion_args(ye[:, None]))[0]
    pH = -np.log10(h)
    wash = _washout_mask(c, y, xin, D, pH)
    rows = lambda m: [int(i) for i in np.flatnonzero(m)]  # noqa: E731
    if not allow_washout and np.any(wash):
        r = rows(wash)
        raise WashoutError(
            f"ADM1 steady state: methanogens wash out or pH collapses in batch row(s) {r} "
            f"(HRT {[round(float(1 / D[i]), 3) for i in r[:5]]} d, pH "
            f"{[round(float(pH[i]), 2) for i in r[:5]]}); pass allow_washout=True to get the state",
            r,
        )
    if not np.all(conv | wash):
        raise SolverError(f"ADM1 steady state did not converge in batch row(s) {rows(~conv)}")
    status = "converged" if conv.all() else "washout states returned unconverged"
    meta = {"T_K": T, "status": status, "extra": {"washout": wash.astype(float)}}
    if nb is None:
        meta["T_K"] = T[0]
        meta["extra"] = {"washout": float(wash[0])}
        return _dataset(y[0], c, meta)
    return _dataset(y, c, meta, dim="case", coord=np.arange(n))


# ------------------------------------------------------------------------- dynamics

#: Integrators of :func:`simulate`; the first is the default.
_METHODS = ("Radau5-grid", "BDF", "LSODA", "Radau")
#: Default (rtol, atol) of each integrator when :func:`simulate` is given none.
_DEFAULT_TOL = {"Radau5-grid": (1e-3, 1e-9), "BDF": (1e-5, 1e-9), "LSODA": (1e-5, 1e-9),
                "Radau": (1e-5, 1e-9)}  # fmt: skip

_BALANCES = ("COD", "N", "C", "charge")
_BAL_UNITS = {"COD": "kg", "N": "kmol", "C": "kmol", "charge": "kmol"}
for _b in _BALANCES:
    _u = _BAL_UNITS[_b]
    _UNITS[f"{_b}_in_{_u}"] = (_u, f"cumulative {_b} fed since the start")
    _UNITS[f"{_b}_out_{_u}"] = (_u, f"cumulative {_b} leaving (effluent and gas) since the start")
    _UNITS[f"{_b}_stored_{_u}"] = (_u, f"{_b} held in liquid and headspace")
N_AUG = N_STATES + 2 * len(_BALANCES)


def _weights(p):
    """Weights (8, 29): COD, N, C, charge per m3 of the liquid (rows 0-3) and the gas (4-7)."""
    eye = np.eye(N_STATES)
    W = np.zeros((8, N_STATES))
    W[:4, :N_LIQ] = np.array(_totals(p, eye))[:, :N_LIQ]
    g_cod, g_c = _gas_totals(p, eye)
    W[4, N_LIQ:], W[6, N_LIQ:] = g_cod[N_LIQ:], g_c[N_LIQ:]
    return W


def _out_flows(t, q_in, q_head):
    """Flows of COD, N, C, charge out (effluent plus gas) [kg d-1 or kmol d-1].

    ``t`` = ``W @ y`` with ``W`` from :func:`_weights` (a list of floats, or arrays
    for a stack of states), ``q_in`` the flow [m3 d-1], ``q_head`` the gas flow at
    headspace pressure [m3 d-1] (:func:`_gas`).
    """
    return [q_in * t[0] + q_head * t[4], q_in * t[1], q_in * t[2] + q_head * t[6], q_in * t[3]]


def balance_flows(
    y, influent, *, flow_m3_d, T_K, params: ADM1Params | None = None
) -> dict[str, np.ndarray]:
    """Flows of COD, N, C and strong-ion charge into and out of a digester.

    Parameters
    ----------
    y : array_like, shape (..., 29)
        Digester state(s).
    influent : array_like, shape (..., 26)
        Influent concentrations in :data:`LIQUID_STATES` order.
    flow_m3_d : float or array_like
        Influent (= effluent) flow [m3 d-1].
    T_K : float or array_like
        Temperature [K] (for the gas pressure).
    params : ADM1Params, optional
        Parameters; default the BSM2 set.

    Returns
    -------
    dict of numpy.ndarray
        ``COD_in_kg_d``, ``COD_out_kg_d``, ``N_in_kmol_d``, ``N_out_kmol_d``,
        ``C_in_kmol_d``, ``C_out_kmol_d``, ``charge_in_kmol_d``,
        ``charge_out_kmol_d``; "out" is the effluent plus the gas leaving the
        headspace (:func:`gas_phase`, ``q_head_m3_d``).

    Notes
    -----
    With :func:`conserved_totals` this closes the balance of a digester:
    :math:`V_{liq} dT/dt + V_{gas} dT_{gas}/dt = in - out` for T = COD, N, C
    and charge, at any state (the ADM1 reactions neither create nor destroy
    them).

    Examples
    --------
    >>> y = np.zeros(29); y[Ix.S_gas_ch4] = 1.6256; y[Ix.S_gas_co2] = 0.01415
    >>> x_in = np.zeros(26); x_in[Ix.X_ch] = 5.0
    >>> f = balance_flows(y, x_in, flow_m3_d=170.0, T_K=308.15)
    >>> round(float(f["COD_in_kg_d"])), round(float(f["COD_out_kg_d"]))
    (850, 4550)
    """
    p = ADM1Params() if params is None else params
    y = np.asarray(y, dtype=float)
    x = np.moveaxis(y, -1, 0)
    xin = np.moveaxis(np.asarray(influent, dtype=float), -1, 0)
    q = np.asarray(flow_m3_d, dtype=float)
    c = _constants(p, np.asarray(T_K, dtype=float))
    *_, q_head = _gas(c, x[Ix.S_gas_h2], x[Ix.S_gas_ch4], x[Ix.S_gas_co2])
    t_in = _totals(p, xin)
    g_cod, g_c = _gas_totals(p, x)
    t_out = _out_flows([*_totals(p, x), g_cod, 0.0, g_c, 0.0], q, q_head)
    out = {}
    for k, b in enumerate(_BALANCES):
        u = _BAL_UNITS[b]
        out[f"{b}_in_{u}_d"] = q * t_in[k]
        out[f"{b}_out_{u}_d"] = t_out[k]
    return out


def _stored(p, y, V_liq, V_gas):
    """COD, N, C, charge held in the digester [kg or kmol], y (..., 29)."""
    x = np.moveaxis(np.asarray(y, dtype=float), -1, 0)
    t = [V_liq * v for v in _totals(p, x)]
    g_cod, g_c = _gas_totals(p, x)
    t[0] = t[0] + V_gas * g_cod
    t[2] = t[2] + V_gas * g_c
    return t


def simulate(
    influent: Mapping[str, Any],
    *,
    t_d,
    flow_m3_d,
    V_liq_m3,
    V_gas_m3,
    T_K,
    initial: Mapping[str, Any] | None = None,
    params: ADM1Params | None = None,
    method: str = "Radau5-grid",
    rtol: float | None = None,
    atol: float | None = None,
):
    """Dynamic run of a digester under time-varying influent and flow.

    Parameters
    ----------
    influent : mapping of str to float or array_like
        Each of the 26 liquid states: a constant or a series over ``t_d``
        (BSM2 units, >= 0), interpolated in time by a shape-preserving cubic
        (PCHIP: never below the smaller neighbour, so never negative).
    t_d : array_like, shape (nt,)
        Increasing times [d]; the run starts at ``t_d[0]`` and reports at each.
    flow_m3_d : float or array_like of shape (nt,)
        Influent flow [m3 d-1], > 0, interpolated like the influent.
    V_liq_m3, V_gas_m3 : float
        Liquid and headspace volumes [m3], > 0.
    T_K : float
        Digester temperature [K], in [278.15, 333.15].
    initial : mapping of str to float, optional
        The 29 states at ``t_d[0]`` (e.g. a :func:`steady_state` result).
        Default: the chemostat-theory estimate of the steady state for the
        influent at ``t_d[0]`` (the same start as :func:`steady_state`).
    params : ADM1Params, optional
        Parameters; default the BSM2 set.
    method : {"Radau5-grid", "BDF", "LSODA", "Radau"}, default "Radau5-grid"
        "Radau5-grid": Radau IIA of order 5 with error and step-size control
        (:func:`nexus.numerics.radau5_grid`) whose steps end on every time of ``t_d``, where
        the interpolated influent changes its cubic piece. A year of hourly
        BSM2-like influent takes 9,100-10,200 steps, 1.3-1.7 s on the 2-core
        development machine (``benchmarks/bench_adm1.py``). "BDF", "LSODA",
        "Radau": the adaptive implicit integrators of
        :func:`scipy.integrate.solve_ivp`, whose steps cross the influent's
        breakpoints (the same year with "BDF": 7.3-9.7 s).
    rtol, atol : float, optional
        Tolerances of the local error per step (atol in state units), each > 0,
        rtol < 1. Default (1e-3, 1e-9) for "Radau5-grid" (rtol 1e-3 is also
        solve_ivp's default), (1e-5, 1e-9) for scipy's integrators. With these
        defaults, 30 days of the hourly influent of ``benchmarks/bench_adm1.py``
        (BSM2 +-20 % daily, +-5 % weekly, 5 % random from hour to hour, flow
        +-30 %) stay within 2.7e-4 to 3.4e-4 ("Radau5-grid") and 3.6e-4 to
        5.1e-4 ("BDF") of a run of "BDF" at rtol 1e-8 (worst state, relative to
        its range over the run); pH within 7e-7 and 8e-6, gas flow within 2e-5
        and 7e-5 of its largest value.

    Returns
    -------
    xarray.Dataset
        Dimension ``time`` [d]: the 29 states, the ions, ``pH``, ``p_gas_Pa``,
        ``q_gas_m3_d``, ``q_ch4_Nm3_d``, and for COD [kg], N, C and strong-ion
        charge [kmol] the cumulative ``*_in_*`` and ``*_out_*`` (effluent plus
        gas) since ``t_d[0]`` and the ``*_stored_*`` content of the digester,
        so that stored(t) - stored(0) = in(t) - out(t).

    Raises
    ------
    ParameterError
        Bad input (as for :func:`steady_state`), ``t_d`` not increasing, a
        series whose length differs from ``t_d``, an unknown ``method`` or a
        tolerance out of range.
    SolverError
        The integrator fails.

    Notes
    -----
    Every integrator gets the exact complex-step Jacobian of :func:`jacobian`;
    S_H+ is solved from the charge balance at every evaluation. The cumulative
    flows are integrated as extra states of the same ODE, so the balances close
    to the integrator's rounding (the invariant V_liq T(y) + V_gas T_gas(y) -
    in + out is linear, and Runge-Kutta and BDF methods keep linear invariants).

    Examples
    --------
    >>> bsm2 = dict(S_su=0.01, S_aa=0.001, S_fa=0.001, S_va=0.001, S_bu=0.001,
    ...     S_pro=0.001, S_ac=0.001, S_h2=1e-8, S_ch4=1e-5, S_IC=0.04, S_IN=0.01,
    ...     S_I=0.02, X_c=2.0, X_ch=5.0, X_pr=20.0, X_li=5.0, X_su=0.0, X_aa=0.01,
    ...     X_fa=0.01, X_c4=0.01, X_pro=0.01, X_ac=0.01, X_h2=0.01, X_I=25.0,
    ...     S_cat=0.04, S_an=0.02)
    >>> ds = simulate(bsm2, t_d=[0.0, 1.0, 2.0], flow_m3_d=[170.0, 200.0, 170.0],
    ...               V_liq_m3=3400.0, V_gas_m3=300.0, T_K=308.15)
    >>> ds.pH.dims, ds.sizes["time"]
    (('time',), 3)
    """
    p = ADM1Params() if params is None else params
    if method not in _METHODS:
        raise ParameterError(f"method = {method!r}; expected one of {_METHODS}")
    rtol = _DEFAULT_TOL[method][0] if rtol is None else rtol
    atol = _DEFAULT_TOL[method][1] if atol is None else atol
    for name, v, top in (("rtol", rtol, 1.0), ("atol", atol, math.inf)):
        if not (isinstance(v, int | float) and 0.0 < v < top):
            raise ParameterError(f"{name} = {v!r}; expected a number in (0, {top})")
    try:
        t = np.asarray(t_d, dtype=float)
    except (TypeError, ValueError) as err:
        raise ParameterError(f"t_d = {t_d!r} is not an array of times") from err
    if t.ndim != 1 or t.size < 2 or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise ParameterError("t_d must be a 1-d array of at least 2 finite, increasing times [d]")
    for name, v in (("V_liq_m3", V_liq_m3), ("V_gas_m3", V_gas_m3), ("T_K", T_K)):
        if np.ndim(v) != 0:
            raise ParameterError(f"{name} must be a scalar in simulate; got shape {np.shape(v)}")
    ops = dict(flow_m3_d=flow_m3_d, V_liq_m3=V_liq_m3, V_gas_m3=V_gas_m3, T_K=T_K)
    xin, ops, nser = _check_inputs(influent, ops, time_len=t.size)
    nt = t.size
    q = np.broadcast_to(ops["flow_m3_d"], (nt,)).astype(float)
    table = np.column_stack([np.broadcast_to(v, (nt,)) for v in xin] + [q])  # (nt, 27)
    Vl, Vg, T = float(ops["V_liq_m3"]), float(ops["V_gas_m3"]), float(ops["T_K"])
    c = _constants(p, T)
    if initial is None:
        ca = _constants(p, np.array([T]))
        y0 = _initial_guess(ca, [table[:1, k] for k in range(N_LIQ)], q[:1] / Vl)[:, 0]
    else:
        if not isinstance(initial, Mapping):
            raise ParameterError("initial must be a mapping of the 29 ADM1 state names to values")
        missing = [n for n in STATES if n not in initial]
        if missing:
            raise ParameterError(f"initial lacks state(s) {missing}")
        y0 = np.array([float(np.asarray(initial[n])) for n in STATES])
        bad = ~np.isfinite(y0) | (y0 < 0)
        if np.any(bad):
            k = int(np.flatnonzero(bad)[0])
            raise ParameterError(f"initial[{STATES[k]!r}] = {y0[k]!r} is negative or not finite")
    constant = nser is None
    tl = t.tolist()
    row0 = table[0]
    if not constant:
        from scipy.interpolate import PchipInterpolator

        # piecewise cubic, shape preserving: coefficients (nt-1, 4, 27), highest power first
        coef = np.ascontiguousarray(np.moveaxis(PchipInterpolator(t, table, axis=0).c, 0, 1))

    def inflow(tt):
        """Influent columns (26) and flow at time tt (PCHIP in time), an array (27,)."""
        if constant:
            return row0
        i = min(max(bisect_right(tl, tt) - 1, 0), nt - 2)
        w = tt - tl[i]
        return np.dot((w * w * w, w * w, w, 1.0), coef[i])

    cs = SimpleNamespace(**vars(c))
    cs.scalar = True
    ca = _constants(p, np.array([T]))
    Vl_Vg, inv_Vg = Vl / Vg, 1.0 / Vg
    last = {"h": 1e-7}
    nb = len(_BALANCES)
    W = _weights(p)
    W_in = W[:4, :N_LIQ]
    # The stage times of a step recur in each Newton iteration: their influent, inflows
    # and S_H (the warm start of the pH solve) are kept, for the last few times.
    seen: dict[float, list] = {}

    def fun(tt, ya):
        """d/dt [d-1] of the 29 states and the 8 cumulative flows in and out at time tt."""
        e = seen.get(tt)
        if e is None:
            if len(seen) > 7:
                seen.clear()
            r = inflow(tt)
            q = float(r[N_LIQ])
            e = seen[tt] = [r[:N_LIQ].tolist(), q, (q * (W_in @ r[:N_LIQ])).tolist(), last["h"]]
        xl, qi, f_in, h0 = e
        yl = ya[:N_STATES].tolist()
        out, e[3] = _core(cs, yl, xl, qi / Vl, Vl_Vg, inv_Vg, h0)
        last["h"] = e[3]
        f_out = _out_flows((W @ ya[:N_STATES]).tolist(), qi, _gas(cs, *yl[N_LIQ:])[4])
        return np.array(out + f_in + f_out)

    def jac(tt, ya):
        r = inflow(tt)
        xi, qi = r[:N_LIQ], float(r[N_LIQ])
        y1 = ya[None, :N_STATES].astype(complex)
        yc = np.repeat(y1, N_STATES + 1, axis=0)
        idx = np.arange(N_STATES)
        yc[idx, idx] += 1j * _CSTEP
        out, _ = _core(ca, list(yc.T), xi.tolist(), qi / Vl, Vl_Vg, inv_Vg, last["h"])
        f_out = np.array(_out_flows(W @ yc.T, qi, _gas(ca, *yc.T[N_LIQ:])[4]))
        J = np.zeros((N_AUG, N_AUG))
        rows_ = np.array([np.broadcast_to(o, (N_STATES + 1,)) for o in out])
        J[:N_STATES, :N_STATES] = rows_[:, :N_STATES].imag / _CSTEP
        J[N_STATES + nb :, :N_STATES] = f_out[:, :N_STATES].imag / _CSTEP
        return J

    ya0 = np.concatenate([y0, np.zeros(2 * nb)])
    atol_v = np.concatenate([np.full(N_STATES, atol), np.full(2 * nb, 1e3)])
    if method == "Radau5-grid":
        try:
            sol = radau5_grid(fun, jac, t, ya0, rtol=rtol, atol=atol_v, n_err=N_STATES)
        except SolverError as err:
            raise SolverError(f"ADM1 simulate: {err}") from err
    else:
        from scipy.integrate import solve_ivp

        sol = solve_ivp(fun, (t[0], t[-1]), ya0, method=method, t_eval=t, jac=jac, rtol=rtol,
                        atol=atol_v)  # fmt: skip
        if not sol.success:
            raise SolverError(
                f"ADM1 simulate: {method} failed at t = {sol.t[-1]!r} d: {sol.message}"
            )
    y = sol.y[:N_STATES].T
    stored = _stored(p, y, Vl, Vg)
    extra = {}
    for k, b in enumerate(_BALANCES):
        u = _BAL_UNITS[b]
        extra[f"{b}_in_{u}"] = sol.y[N_STATES + k]
        extra[f"{b}_out_{u}"] = sol.y[N_STATES + nb + k]
        extra[f"{b}_stored_{u}"] = stored[k]
    meta = {"T_K": T, "status": f"{method}: {sol.message}", "extra": extra}
    ds = _dataset(y, c, meta, dim="time", coord=t)
    ds["time"].attrs.update({"units": "d", "long_name": "time since the start of the run"})
    ds.attrs["solver_nfev"] = int(sol.nfev)
    ds.attrs["solver_njev"] = int(sol.njev)
    return ds
