"""ADM1 names and parameters: the state vector, its units, the BSM2 parameter set.

- :data:`LIQUID_STATES`, :data:`GAS_STATES`, :data:`STATES`: the 27 + 3 state names,
  the 26 liquid states of BSM2 in BSM2 order, then inorganic phosphorus ``S_IP``, then
  the 3 gas states: the order of the last axis of a state vector; :class:`Ix`, the
  named index of each (``y[..., Ix.S_ac]``, no magic slices); ``N_LIQ``, ``N_STATES``;
- :data:`OPTIONAL_STATES`: the liquid states an influent may leave out (``S_IP``,
  which BSM2 does not carry: 0 when absent);
- the unit and long name of every variable of the results (``_UNITS``);
- :class:`ADM1Params`: the BSM2 parameter set of Rosen & Jeppsson (2006), every
  default with its unit, range and source;
- :data:`BSM2_INFLUENT`, :data:`BSM2_DIGESTER`: the BSM2 reference case (read-only).

See :mod:`nexus.units.adm1` for the model and its references.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Any

from nexus.errors import ParameterError
from nexus.units.params import Params, field

# ------------------------------------------------------------------ reference case

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

# --------------------------------------------------------------------------- index map


#: Named index of each state in a state vector, ``y[..., Ix.S_ac]``.
class Ix(IntEnum):
    """Position of each ADM1 state in a state vector: BSM2's liquid states in BSM2 order,
    then inorganic phosphorus S_IP (the ADM1 phosphorus extension's, Flores-Alsina et al.
    2016), then BSM2's gas states."""

    S_su = 0
    S_aa = 1
    S_fa = 2
    S_va = 3
    S_bu = 4
    S_pro = 5
    S_ac = 6
    S_h2 = 7
    S_ch4 = 8
    S_IC = 9
    S_IN = 10
    S_I = 11
    X_c = 12
    X_ch = 13
    X_pr = 14
    X_li = 15
    X_su = 16
    X_aa = 17
    X_fa = 18
    X_c4 = 19
    X_pro = 20
    X_ac = 21
    X_h2 = 22
    X_I = 23
    S_cat = 24
    S_an = 25
    S_IP = 26
    S_gas_h2 = 27
    S_gas_ch4 = 28
    S_gas_co2 = 29


#: All 30 states: the order of the last axis of a state vector.
STATES: tuple[str, ...] = tuple(Ix.__members__)
#: The 27 liquid states: BSM2's 26 in BSM2 order, then S_IP.
LIQUID_STATES: tuple[str, ...] = STATES[: Ix.S_gas_h2]
#: The 3 gas (headspace) states in BSM2 order.
GAS_STATES: tuple[str, ...] = STATES[Ix.S_gas_h2 :]
#: Liquid states an influent may leave out, each then 0: S_IP, which BSM2 does not carry
#: (so a BSM2 influent gives BSM2's results).
OPTIONAL_STATES: tuple[str, ...] = ("S_IP",)

N_LIQ = len(LIQUID_STATES)
N_STATES = len(STATES)
#: The particulate states X_c .. X_I (``_X0:_X1``), which a sludge-retaining reactor holds back.
_X0, _X1 = LIQUID_STATES.index("X_c"), LIQUID_STATES.index("X_I") + 1

#: The conserved quantities whose cumulative flows :func:`~nexus.units.adm1.simulate`
#: reports, and the unit of each amount.
_BALANCES = ("COD", "N", "C", "charge")
_BAL_UNITS = {"COD": "kg", "N": "kmol", "C": "kmol", "charge": "kmol"}

_COD = "kg m-3"  # kg COD m-3
#: Unit (UDUNITS) and long name of each variable of the results of
#: :func:`~nexus.units.adm1.steady_state` and :func:`~nexus.units.adm1.simulate`.
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
    "S_IP": ("kmol m-3", "inorganic phosphorus (kmol P m-3)"),
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
    "S_hpo4_ion": ("kmol m-3", "hydrogen phosphate HPO4-2 (kmol P m-3)"),
    "S_H_ion": ("kmol m-3", "hydrogen ion"),
    "pH": ("1", "pH"),
    "p_gas_Pa": ("Pa", "headspace pressure (incl. water vapour)"),
    "q_gas_m3_d": (
        "m3 d-1",
        "gas flow, BSM2 convention k_p (P_gas - P_atm) P_gas / P_atm",
    ),
    "q_ch4_Nm3_d": ("m3 d-1", "methane flow at 0 degC and 101325 Pa"),
    "washout": ("1", "methanogens washed out (1) or not (0)"),
    **{
        f"{b}_{kind}_{u}": (u, text)
        for b, u in _BAL_UNITS.items()
        for kind, text in (
            ("in", f"cumulative {b} fed since the start"),
            ("out", f"cumulative {b} leaving (effluent and gas) since the start"),
            ("stored", f"{b} held in liquid and headspace"),
        )
    },
}

# --------------------------------------------------------------------------- parameters

_RJ = "Rosen & Jeppsson (2006), Aspects on ADM1 implementation within the BSM2 framework"
_RJ_STOICH = f"{_RJ}, stoichiometric parameter values (BSM2 set)"
_RJ_BIO = f"{_RJ}, biochemical parameter values (BSM2 set)"
_RJ_PC = f"{_RJ}, physico-chemical parameter values (BSM2 set)"
#: Where the temperature coefficients come from (see ADM1Params and the module notes of
#: nexus.units.adm1.kinetics): Siegrist et al. (2002) as carried into ADM1da.
_THETA_SRC = (
    "Siegrist, Vogt, Garcia-Heras & Gujer (2002), Environ. Sci. Technol. 36:1113-1123, "
    "exponent of exp(theta (T - 35 degC)) as tabulated for ADM1da "
    "(Schlattmann 2011, TU Muenchen; SIMBA# biogas 4.2, Table 6), read in the public "
    "ADM1da implementation dgaida/PyADM1ODE (pyadm1/core/adm1da_params.py, "
    "get_temperature_factors); Siegrist et al. 2002 itself not retrieved. Group: "
)


#: Where the phosphate acid-base constants come from: the speciation of the struvite model
#: (nexus.units.struvite.database), so that the digester and the struvite reactor use one
#: chemistry.
_PHREEQC_P = (
    "phreeqc.dat (PHREEQC 3.7.3; minteq.v4 / NIST 46.3 values), as transcribed in "
    "nexus.units.struvite.database: HPO4-2 + H+ = H2PO4- has log K = 19.553 - 12.346 = 7.207 "
    "and delta_h = -4.520 - (-3.530) kcal/mol, so the dissociation H2PO4- = HPO4-2 + H+ has "
    "pKa 7.207 and 0.990 kcal/mol = 4142.16 J/mol at 25 degC (checked against the database by "
    "tests/units/test_adm1.py). ADM1 itself carries no P; the ADM1 phosphorus extension "
    "(Flores-Alsina et al. 2016, Water Res. 95:370) adds S_IP with this acid-base pair"
)


def _p(default: float, unit: str, low: float, high: float, source: str, doc: str) -> Any:
    return field(default, unit=unit, low=low, high=high, source=source, doc=doc)


def _frac(default: float, source: str, doc: str) -> Any:
    return _p(default, "1", 0.0, 1.0, source, doc)


def _C(default: float, doc: str) -> Any:
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

    The biochemical rate constants (``k_dis``, ``k_hyd_*``, ``k_m_*``,
    ``k_dec_*``) hold at ``T_bio_ref_K`` (35 degC, BSM2); at another
    temperature each is multiplied by ``exp(theta (T - T_bio_ref_K))`` with the
    ``theta_*`` of its process group (Siegrist et al. 2002, as in ADM1da); see
    :mod:`nexus.units.adm1.kinetics`. Half-saturation and inhibition constants
    and yields do not change with temperature.
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
    # --- temperature of the biochemistry (exponential correction of the rate constants)
    T_bio_ref_K: float = _p(
        308.15,
        "K",
        273.15,
        373.15,
        f"{_RJ} (the BSM2 digester at 35 degC, the temperature of its biochemical parameter "
        "values); Batstone et al. (2002), STR 13, ch. 6 (mesophilic parameter sets at 35 degC)",
        "temperature at which k_dis, k_hyd_*, k_m_* and k_dec_* hold as given",
    )
    theta_hyd: float = _p(
        0.024, "K-1", 0.0, 0.2, _THETA_SRC + "disintegration and hydrolysis",
        "temperature coefficient of k_dis and k_hyd_ch, k_hyd_pr, k_hyd_li",
    )  # fmt: skip
    theta_su_aa: float = _p(
        0.069, "K-1", 0.0, 0.2, _THETA_SRC + "X_su, X_aa (uptake and decay)",
        "temperature coefficient of k_m_su, k_m_aa, k_dec_X_su, k_dec_X_aa (acidogenesis)",
    )  # fmt: skip
    theta_fa_c4_pro: float = _p(
        0.055, "K-1", 0.0, 0.2, _THETA_SRC + "X_fa, X_c4, X_pro (uptake and decay)",
        "temperature coefficient of k_m_fa, k_m_c4, k_m_pro and their decay (acetogenesis)",
    )  # fmt: skip
    theta_ac: float = _p(
        0.055, "K-1", 0.0, 0.2, _THETA_SRC + "X_ac (uptake and decay)",
        "temperature coefficient of k_m_ac, k_dec_X_ac (acetoclastic methanogenesis)",
    )  # fmt: skip
    theta_h2: float = _p(
        0.069, "K-1", 0.0, 0.2, _THETA_SRC + "X_h2 (uptake and decay)",
        "temperature coefficient of k_m_h2, k_dec_X_h2 (hydrogenotrophic methanogenesis)",
    )  # fmt: skip
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
    pK_a_IP_base: float = _p(
        7.207, "1", 5.0, 9.0, _PHREEQC_P,
        "pKa of H2PO4-/HPO4-2 at T_base (ADM1 phosphorus extension: S_IP in the charge balance)",
    )  # fmt: skip
    dH_w: float = _p(
        55900.0, "J mol-1", 0.0, 1e5, _RJ_PC, "reaction enthalpy of water (van 't Hoff)"
    )
    dH_a_co2: float = _p(7646.0, "J mol-1", 0.0, 1e5, _RJ_PC, "reaction enthalpy of CO2/HCO3-")
    dH_a_IN: float = _p(51965.0, "J mol-1", 0.0, 1e5, _RJ_PC, "reaction enthalpy of NH4+/NH3")
    dH_a_IP: float = _p(
        4142.16,
        "J mol-1",
        -1e5,
        1e5,
        _PHREEQC_P,
        "reaction enthalpy of H2PO4-/HPO4-2 (van 't Hoff)",
    )
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


def params_or_default(params: object, function: str) -> ADM1Params:
    """``params``, or the default ADM1Params for None; anything else is a ParameterError."""
    if params is None:
        return ADM1Params()
    if not isinstance(params, ADM1Params):
        from nexus.errors import ParameterError

        raise ParameterError(
            f"{function}: params is a {type(params).__name__}; expected an ADM1Params (or None "
            "for the defaults)"
        )
    return params
