"""Nitrification of ammonium-rich effluent to a nitrate fertilizer (VUNA process).

A moving-bed biofilm reactor (MBBR), aerated and fully mixed, oxidizes the
ammonium of digester or struvite-reactor effluent (or stored urine) to
nitrate, as in Eawag's urine nitrification (Udert et al. 2003 [1]_; Fumasoli
et al. 2016 [2]_). Nitrification releases acid; without base the alkalinity of the
influent (the bicarbonate of urea or protein breakdown) is used up when
about half of the ammonium is oxidized, the pH falls to about 6 and the
ammonia-oxidizing bacteria stop: the product is an ammonium nitrate solution
of about 1:1. Dosing NaOH lets more of the ammonium be nitrified.

Model form
----------
An **alkalinity-limited stoichiometric model with a volumetric rate limit**,
one steady state per time step, not a Monod/Anthonisen kinetic model. Why:
the two published facts a kinetic model would have to reproduce here, the
share nitrified without base and the rate per reactor volume, are set by the
alkalinity and by the biofilm area the carriers offer; a Monod model with
free-ammonia and free-nitrous-acid inhibition (Anthonisen et al. 1976) would
need biofilm kinetic parameters for urine nitrifiers that could not be
retrieved and validated here (Udert & Wächter 2012 [4]_ could not be
retrieved), and Udert et al. (2003) report that "none of
the common inhibition or limitation approaches could explain why ammonia
oxidation always stopped at pH values around 6". The model therefore takes:

- the stoichiometry of nitrification with growth (US EPA 1975 [3]_):
  NH4+ + 1.83 O2 + 1.98 HCO3- -> 0.021 C5H7NO2 + 0.98 NO3- + 1.041 H2O
  + 1.88 H2CO3;
- the ammonium oxidized is the least of what is there, what the alkalinity
  (influent plus NaOH dosed) can neutralize at 1.98 mol per mol, and what the
  reactor volume oxidizes at the rate per m3 (Fumasoli et al. 2016);
- the alkalinity left when the AOB stop (pH about 6, Udert et al. 2003) is
  neglected: with the CO2 stripped by aeration, bicarbonate at pH 6 is
  micromolar against about 0.1 mol/L of ammonium.

The pH of the product is **not predicted** (it would need the charge balance
with the carbonate stripped by the air, not modelled): the free ammonia of
the influent is reported (:func:`free_ammonia_N_mg_L`, with the NH4+/NH3
constant of :func:`nexus.units.struvite.log_k`) as a warning of inhibition at
start-up, not as an input of the rate. No nitrite accumulates (the NOB keep
up, as in stable operation: Fumasoli et al. 2016 name nitrite accumulation a
failure mode), and no N2O or N2 is lost (not modelled).

Balances every hour: water passes through; N: the ammonium oxidized leaves as
nitrate (0.979) and as the N of the nitrifiers grown (0.021 per mol,
``Norg_N``, sloughed off with the water); COD: the biomass grown is COD fixed
from CO2 with the energy of ammonium (not a COD of the influent), reported as
a formation term under ``dosed_kg_h["COD"]``; Na of the NaOH dosed; energy:
the blowers' electricity leaves as heat with the air (``heat_loss_kW``), the
heat of reaction is neglected (the water temperature is unchanged).

References
----------
.. [1] Udert, K. M., Fux, C., Münster, M., Larsen, T. A., Siegrist, H. &
   Gujer, W. (2003). Nitrification and autotrophic denitrification of
   source-separated urine. Water Science and Technology 48(1), 119-130,
   doi:10.2166/wst.2003.0031.
.. [2] Fumasoli, A., Etter, B., Sterkele, B., Morgenroth, E. & Udert, K. M.
   (2016). Operating a pilot-scale nitrification/distillation plant for
   complete nutrient recovery from urine. Water Science and Technology
   73(1), 215-222, doi:10.2166/wst.2015.485.
.. [3] US EPA (1975). Process Design Manual for Nitrogen Control,
   EPA-625/1-75-007, the overall nitrification reaction with cell synthesis
   (as reproduced in Barnes & Bliss 1983, Biological Control of Nitrogen in
   Wastewater Treatment, eq. 3.10).
.. [4] Udert, K. M. & Wächter, M. (2012). Complete nutrient recovery from
   source-separated urine by nitrification and distillation. Water Research
   46(2), 453-464, doi:10.1016/j.watres.2011.11.020 (its figures could not be
   retrieved for this module; none is used).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nexus.components import INDEX
from nexus.constants import MOLAR_MASS_g_mol
from nexus.registry import NodeInputs, NodeResult, Output, Port, Ratio, Size, UnitType, register
from nexus.streams import Stream
from nexus.units.checks import as_float, check_in, check_nonneg
from nexus.units.params import Params, field

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from nexus._typing import FloatArray
    from nexus.optimize.maps import Column, SampleContext
    from nexus.optimize.model import BuildContext

__all__ = [
    "ALK_PER_NH4",
    "BIOMASS_PER_NH4",
    "NO3_PER_NH4",
    "O2_PER_NH4",
    "NitrificationParams",
    "NitrificationResult",
    "NitrificationType",
    "free_ammonia_N_mg_L",
    "nitrify",
]

_EPA = (
    "US EPA 1975, Process Design Manual for Nitrogen Control (EPA-625/1-75-007): NH4+ + 1.83 "
    "O2 + 1.98 HCO3- -> 0.021 C5H7NO2 + 0.98 NO3- + 1.041 H2O + 1.88 H2CO3 (nitrification "
    "with cell synthesis; 4.18 g O2 and 7.07 g alkalinity as CaCO3 per g NH4-N, against 4.57 "
    "and 7.14 without growth)"
)

#: mol O2 per mol NH4+ oxidized, growth included (US EPA 1975; 4.57 g O2/g N without growth).
O2_PER_NH4: float = 1.83
#: mol HCO3- (alkalinity) used per mol NH4+ oxidized (US EPA 1975).
ALK_PER_NH4: float = 1.98
#: mol nitrifier biomass C5H7NO2 grown per mol NH4+ oxidized (US EPA 1975).
BIOMASS_PER_NH4: float = 0.021
#: mol NO3- formed per mol NH4+ oxidized: the N not grown into biomass (US EPA 1975 write
#: 0.98, rounded, which with 0.021 would make 1.001 mol N of 1).
NO3_PER_NH4: float = 1.0 - BIOMASS_PER_NH4
#: g COD per mol C5H7NO2 (C5H7NO2 + 5 O2 -> 5 CO2 + NH3 + 2 H2O).
_COD_PER_BIOMASS_g_mol: float = 5 * 2 * MOLAR_MASS_g_mol["O"]


@dataclass(frozen=True, kw_only=True)
class NitrificationParams(Params):
    """An aerated MBBR nitrifying ammonium-rich effluent: volume, rate, base, aeration."""

    V_m3: float = field(
        0.0,
        unit="m3",
        low=0.0,
        high=1e4,
        source="design variable (district file or optimizer); 0 = not built",
        doc="reactor volume (liquid, carriers included)",
    )
    rate_gN_m3_d: float = field(
        640.0,
        unit="g m-3 d-1",
        low=1.0,
        high=5000.0,
        source="Fumasoli et al. 2016, Water Sci. Technol. 73:215, doi:10.2166/wst.2015.485 "
        "(abstract): MBBR pilot on stored urine, 640 mg N L-1 d-1 at the operating point of "
        "their energy balance (maximum 930, 120 after switching to more concentrated urine); "
        "Udert et al. 2003, Water Sci. Technol. 48(1):119 (abstract): 380 g N m-3 d-1 maximum "
        "in a laboratory MBBR",
        doc="nitrification rate per m3 of reactor (N oxidized), the capacity limit",
    )
    NaOH_to_N_dose: float = field(
        0.0,
        unit="mol mol-1",
        low=0.0,
        high=2.0,
        source="design choice; 0 = no base, the VUNA process (Fumasoli et al. 2016: half of "
        "the total ammonia nitrified); 1 mol NaOH adds 1 mol of alkalinity",
        doc="NaOH dosed per mol of ammonium-N in the influent",
    )
    aeration_kgO2_kWh: float = field(
        3.95,
        unit="kg kWh-1",
        low=0.3,
        high=10.0,
        source="fine-bubble diffusers, standard oxygen transfer rate about 6.5 lb O2 per hp-h "
        "in clean water (https://probsee.com/p/fine_bubble_diffuser, citing US EPA 1989 "
        "Design Manual Fine Pore Aeration Systems) = 3.95 kg O2/kWh; process water transfers "
        "less (alpha factor, not applied), so the electricity is a lower bound",
        doc="oxygen transferred per kWh of blower electricity",
    )
    NaOH_price_per_kg: float = field(
        0.46,
        unit="currency kg-1",
        low=0.0,
        high=100.0,
        source="market price of NaOH, 0.46 USD/kg, Table 1 of "
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC4642316/table/t1 (as for the struvite "
        "reactor); give it in the district's currency",
        doc="price of the sodium hydroxide dosed",
    )


class NitrificationResult(NamedTuple):
    """Result of :func:`nitrify`; rates per hour, arrays of the broadcast shape."""

    NH4_oxidized_kmol_h: FloatArray  #: ammonium oxidized [kmol h-1]
    NO3_N_kg_h: FloatArray  #: nitrate-N formed [kg h-1]
    biomass_N_kg_h: FloatArray  #: N of the nitrifiers grown [kg h-1]
    biomass_COD_kg_h: FloatArray  #: COD of the nitrifiers grown [kg h-1]
    alkalinity_used_kmol_h: FloatArray  #: alkalinity used [kmol h-1]
    O2_kg_h: FloatArray  #: oxygen used [kg h-1]
    electricity_kW: FloatArray  #: blowers [kW]
    NaOH_kg_h: FloatArray  #: NaOH dosed [kg h-1]
    limit: FloatArray  #: 0 all ammonium, 1 alkalinity, 2 reactor volume limits [-]


def free_ammonia_N_mg_L(NH4_N_mg_L: ArrayLike, pH: ArrayLike, T_C: ArrayLike) -> FloatArray:
    r"""Free ammonia (NH3) of total ammonia nitrogen at a pH and temperature [mg N/L].

    .. math:: FA = TAN \frac{K_a}{K_a + 10^{-pH}}

    with :math:`K_a` the NH4+ = NH3 + H+ constant of phreeqc.dat at the
    temperature (:func:`nexus.units.struvite.log_k`), activities taken as
    concentrations (the form of Anthonisen et al. 1976, J. Water Pollut.
    Control Fed. 48:835, with phreeqc.dat's constant in place of theirs).

    Examples
    --------
    >>> round(float(free_ammonia_N_mg_L(1700.0, 8.0, 25.0)), 0)
    92.0
    """
    from nexus.units.struvite import log_k

    tan = as_float(NH4_N_mg_L)
    ph = as_float(pH)
    T = as_float(T_C)
    check_nonneg("NH4_N_mg_L", tan)
    check_in("pH", ph, 0.0, 14.0)
    check_in("T_C", T, 0.0, 100.0)
    Ka = 10.0 ** np.asarray(log_k("NH3", T), dtype=float)  # phreeqc.dat: NH4+ = NH3 + H+
    return tan * Ka / (Ka + 10.0**-ph)


def nitrify(
    NH4_N_kg_h: ArrayLike,
    alkalinity_HCO3_kg_h: ArrayLike,
    *,
    params: NitrificationParams,
) -> NitrificationResult:
    r"""Ammonium oxidized in an aerated MBBR, limited by alkalinity and volume.

    Parameters
    ----------
    NH4_N_kg_h : array_like
        Ammonium-N reaching the reactor, >= 0 [kg h-1].
    alkalinity_HCO3_kg_h : array_like
        Alkalinity reaching it, as HCO3-, >= 0 [kg h-1].
    params : NitrificationParams
        Volume, rate, NaOH dose, aeration efficiency, NaOH price.

    Returns
    -------
    NitrificationResult
        Hourly rates of the broadcast shape of the inputs.

    Notes
    -----
    With :math:`A` the ammonium [kmol/h], :math:`B` the alkalinity plus the
    NaOH dosed (:math:`d A`) [kmol/h], :math:`r` the rate and :math:`V` the
    volume, the ammonium oxidized is

    .. math:: n = \min\left(A,\ \frac{B}{1.98},\
              \frac{r V}{24 \cdot 0.979\, M_N}\right)

    (the rate is of nitrate-N formed); nitrate :math:`0.979 n`, biomass N
    :math:`0.021 n`, O2 :math:`1.83 n` (US EPA 1975); electricity = O2 /
    aeration efficiency. NaN propagates to its hour.

    Examples
    --------
    Effluent with 1,700 mg/L NH4-N and as many mol of bicarbonate, 1 m3/h,
    a reactor large enough: about half of the ammonium is nitrified.

    >>> p = NitrificationParams(V_m3=1e3)
    >>> r = nitrify(1.7, 1.7 / 14.0067 * 61.0171, params=p)
    >>> round(float(r.NH4_oxidized_kmol_h * 14.0067 / 1.7), 3)
    0.505
    """
    M = MOLAR_MASS_g_mol
    N = as_float(NH4_N_kg_h)
    alk = as_float(alkalinity_HCO3_kg_h)
    check_nonneg("NH4_N_kg_h", N)
    check_nonneg("alkalinity_HCO3_kg_h", alk)
    A = N / M["N"]  # kmol/h
    NaOH = params.NaOH_to_N_dose * A  # kmol/h
    by_alk = (alk / M["HCO3"] + NaOH) / ALK_PER_NH4
    by_volume = params.rate_gN_m3_d * params.V_m3 / 24.0 / 1e3 / (NO3_PER_NH4 * M["N"])
    n = np.minimum(np.minimum(A, by_alk), by_volume)
    limit = np.where(n >= A, 0.0, np.where(by_alk <= by_volume, 1.0, 2.0))
    limit = np.where(np.isnan(n), np.nan, limit)
    O2 = O2_PER_NH4 * n * 2 * M["O"]
    return NitrificationResult(
        NH4_oxidized_kmol_h=n,
        NO3_N_kg_h=NO3_PER_NH4 * n * M["N"],
        biomass_N_kg_h=BIOMASS_PER_NH4 * n * M["N"],
        biomass_COD_kg_h=BIOMASS_PER_NH4 * n * _COD_PER_BIOMASS_g_mol,
        alkalinity_used_kmol_h=ALK_PER_NH4 * n,
        O2_kg_h=O2,
        electricity_kW=O2 / params.aeration_kgO2_kWh,
        NaOH_kg_h=NaOH * M["NaOH"],
        limit=limit,
    )


# ------------------------------------------------------------------------- unit type


class NitrificationType(UnitType):
    """Nitrification MBBR: ammonium to nitrate, the product sent to farms."""

    name = "nitrification"
    description = (
        "aerated MBBR nitrifying ammonium-rich effluent to an ammonium nitrate fertilizer "
        "(alkalinity-limited, optional NaOH)"
    )
    ports = (
        Port("in", "water", "in"),
        Port("out", "water", "out"),
        Port("power", "electricity", "in"),
    )
    leads_to = {"out": ("farm",)}  # its nitrate counts as N recovered for farms
    params = NitrificationParams
    sizes = (Size("V_m3"),)
    outputs = (
        Output(
            "NO3_N_kg_h",
            "kg h-1",
            "nitrate nitrogen formed",
            role="N_recovered",
            annual="nitrate nitrogen recovered",
        ),
        Output("NH4_N_in_kg_h", "kg h-1", "ammonium nitrogen reaching the unit"),
        Output("aeration_kW", "kW", "electricity of the blowers", annual="aeration electricity"),
        Output("O2_kg_h", "kg h-1", "oxygen used by nitrification"),
        Output(
            "NaOH_base_kg_h",
            "kg h-1",
            "NaOH dosed as base for nitrification",
            annual="NaOH dosed as base",
        ),
        Output("NaOH_cost_h", "currency h-1", "NaOH bought", annual="NaOH cost"),
        Output(
            "nitrification_limit",
            "1",
            "what limits nitrification: 0 none (all ammonium), 1 alkalinity, 2 reactor volume",
        ),
        Output("free_ammonia_in_mg_L", "mg L-1", "free ammonia (NH3-N) of the inlet water"),
    )
    ratios = (
        Ratio(
            "ammonium-N nitrified, share of what reaches it",
            "%",
            "NO3_N_kg_h",
            "NH4_N_in_kg_h",
            factor=100.0,
        ),
        Ratio("aeration electricity per kg nitrate-N", "kWh/kg", "aeration_kW", "NO3_N_kg_h"),
    )

    def run(self, params: NitrificationParams, inputs: NodeInputs) -> NodeResult:
        """:func:`nitrify` on the inlet water, hour by hour."""
        water = inputs.inlets["in"]
        loads = water.loads_kg_h
        NH4 = loads[:, INDEX["NH4_N"]]
        r = nitrify(NH4, loads[:, INDEX["Alk_HCO3"]], params=params)
        M = MOLAR_MASS_g_mol
        out = loads.copy()
        out[:, INDEX["NH4_N"]] -= r.NH4_oxidized_kmol_h * M["N"]
        out[:, INDEX["NO3_N"]] += r.NO3_N_kg_h
        out[:, INDEX["Norg_N"]] += r.biomass_N_kg_h
        out[:, INDEX["COD_x"]] += r.biomass_COD_kg_h  # sloughed nitrifiers, as composites
        NaOH_kmol = r.NaOH_kg_h / M["NaOH"]
        out[:, INDEX["Alk_HCO3"]] += (NaOH_kmol - r.alkalinity_used_kmol_h) * M["HCO3"]
        out[:, INDEX["Alk_HCO3"]] = np.maximum(out[:, INDEX["Alk_HCO3"]], 0.0)  # round-off
        out[:, INDEX["Na"]] += NaOH_kmol * M["Na"]
        flow = water.flow_m3_h
        conc = np.divide(NH4 * 1e3, flow, out=np.zeros_like(flow), where=flow > 0)
        FA = (
            np.zeros_like(flow)
            if water.pH is None
            else free_ammonia_N_mg_L(conc, water.pH, water.T_C)
        )
        cost = r.NaOH_kg_h * params.NaOH_price_per_kg
        return NodeResult(
            outlets={"out": Stream(flow, water.T_C, out)},  # its pH is not predicted
            draw_kW={"power": r.electricity_kW},
            heat_loss_kW=r.electricity_kW,
            dosed_kg_h={"Na": NaOH_kmol * M["Na"], "COD": r.biomass_COD_kg_h},
            outputs={
                "NO3_N_kg_h": r.NO3_N_kg_h,
                "NH4_N_in_kg_h": NH4,
                "aeration_kW": r.electricity_kW,
                "O2_kg_h": r.O2_kg_h,
                "NaOH_base_kg_h": r.NaOH_kg_h,
                "NaOH_cost_h": cost,
                "nitrification_limit": r.limit,
                "free_ammonia_in_mg_L": FA,
            },
        )

    def sample(self, ctx: SampleContext, columns: list[Column]) -> dict[str, FloatArray]:
        """Nitrate the upstream water can give in a reactor of any size, per column.

        Returns ``NO3_kg_h`` (upstream columns, time): nitrate-N formed if the
        volume limits nothing [kg h-1]; ``kWh_per_kg`` and ``cost_per_kg``
        (time): aeration electricity [kWh] and NaOH bought [currency] per kg
        nitrate-N.
        """
        p: NitrificationParams = ctx.params
        big = dataclasses.replace(p, V_m3=1e4, rate_gN_m3_d=5000.0)
        made, cost = [], []
        for water in ctx.upstream("in"):
            r = self.run(big, dataclasses.replace(ctx.inputs, inlets={"in": water}))
            m = np.asarray(r.outputs["NO3_N_kg_h"], dtype=float)
            c = np.asarray(r.outputs["NaOH_cost_h"], dtype=float)
            made.append(m)
            cost.append(np.divide(c, m, out=np.zeros(m.size), where=m > 0))
        n = made[0].size
        M = MOLAR_MASS_g_mol
        kWh = O2_PER_NH4 * 2 * M["O"] / p.aeration_kgO2_kWh / (NO3_PER_NH4 * M["N"])
        # NaOH is dosed per ammonium reaching the unit: per kg nitrate it varies with the
        # water; the dearest column prices it (exact where the upstream does not vary)
        cost_per_kg = np.max(np.stack(cost), axis=0)
        return {
            "NO3_kg_h": np.stack(made),
            "kWh_per_kg": np.full(n, kWh),
            "cost_per_kg": cost_per_kg,
        }

    def build(self, ctx: BuildContext) -> None:
        r"""Nitrate formed: all the upstream water offers, within what the volume holds.

        Symbols: ``NO3[t]`` [kg/h] nitrate-N formed; ``offered``: the sampled
        ``NO3_kg_h`` of the upstream columns mixed by their weights; the
        volume holds :math:`r/24` [kg h-1 m-3] (constraints of
        :meth:`~nexus.optimize.model.BuildContext.takes_offer`: a chosen
        volume is sized for the peak hour, as the simulation nitrifies all it
        can). The blowers draw :math:`e\, NO3_t` (``kWh_per_kg``) from the
        power inlet; NaOH costs ``cost_per_kg`` per kg.
        """
        p: NitrificationParams = ctx.params
        NO3 = ctx.var("NO3", ctx.TIME, units="kg/h", doc="nitrate-N formed")
        offered = ctx.upstream_mixed("in", "NO3_kg_h", "kg/h")
        kWh_per_kg = ctx.series("kWh_per_kg")
        per_m3 = np.full(kWh_per_kg.shape, p.rate_gN_m3_d / 24.0 / 1e3)  # kg/h N per m3
        ctx.takes_offer(
            NO3,
            offered,
            np.atleast_2d(ctx.series("NO3_kg_h")).max(axis=0),
            "V_m3",
            per_m3,
            units="kg/h",
            per_size_units="kg/h/m**3",
        )
        electricity = (NO3 * kWh_per_kg).scaled(unit="kWh/kg")
        ctx.demand("power", electricity)
        ctx.role("N_recovered", NO3)
        ctx.cost("NaOH", (NO3 * ctx.series("cost_per_kg")).scaled(unit=f"{ctx.currency}/kg"))
        ctx.report("NO3_N_kg_h", NO3)
        ctx.report("aeration_kW", electricity)


register(NitrificationType())
