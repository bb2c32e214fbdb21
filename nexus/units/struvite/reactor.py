"""The struvite reactor: struvite harvested from a flow, its fertilizer value, chemicals.

:class:`StruviteReactorParams` (size, Mg dose, pH, harvest efficiency, prices) and :func:`~nexus.units.struvite.struvite_reactor`, the unit
process a district runs: equilibrium from :func:`~nexus.units.struvite.equilibrate`
on each distinct water once, scaled to the flow the reactor treats.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, cast

import numpy as np

from nexus.components import INDEX
from nexus.constants import MOLAR_MASS_g_mol
from nexus.errors import ParameterError
from nexus.food import P2O5_PER_P
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
from nexus.units.params import Params, field
from nexus.units.struvite.database import STRUVITE_g_mol
from nexus.units.struvite.equilibrium import equilibrate_distinct

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from nexus._typing import FloatArray, Floats
    from nexus.optimize.maps import Column, SampleContext
    from nexus.optimize.model import BuildContext

log = logging.getLogger(__name__)


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

    treated_m3_d: FloatArray  #: flow through the reactor; the rest bypasses it [m3 d-1]
    struvite_mol_d: FloatArray  #: struvite harvested [mol d-1]
    struvite_kg_d: FloatArray  #: struvite harvested [kg d-1]
    P_kg_d: FloatArray  #: phosphorus in the harvest [kg d-1]
    P2O5_kg_d: FloatArray  #: fertilizer value of the harvest as P2O5 [kg d-1]
    N_kg_d: FloatArray  #: nitrogen in the harvest [kg d-1]
    Mg_kg_d: FloatArray  #: Mg dosed [kg d-1]
    MgCl2_kg_d: FloatArray  #: MgCl2 (anhydrous) dosed [kg d-1]
    NaOH_kg_d: FloatArray  #: NaOH dosed to hold the pH [kg d-1]
    HCl_kg_d: FloatArray  #: HCl dosed to hold the pH [kg d-1]
    chemicals_cost_d: FloatArray  #: MgCl2.6H2O and NaOH bought [currency d-1] (HCl not priced)
    P_recovered_frac: FloatArray  #: phosphate-P harvested / influent phosphate-P [1]
    pH_final: FloatArray  #: pH of the treated water at equilibrium [-]
    SI_hydroxyapatite_initial: FloatArray  #: of the influent: > 0 warns of Ca phosphate [-]


def struvite_reactor(
    flow_m3_d: ArrayLike, *, params: StruviteReactorParams, **water: ArrayLike
) -> ReactorResult:
    r"""Struvite harvested from a flow, its fertilizer value and the chemicals used.

    Parameters
    ----------
    flow_m3_d : array_like
        Flow reaching the reactor [m3 d-1], >= 0.
    params : StruviteReactorParams
        Size, dose, pH, harvest efficiency and prices.
    **water
        The influent, as the keyword arguments of :func:`equilibrate` (``T_C``,
        ``pH``, ``NH4_N_mg_L``, ``PO4_P_mg_L``, ``Mg_mg_L``, ``Ca_mg_L``,
        ``K_mg_L``, ``Na_mg_L``, ``Cl_mg_L``, ``alkalinity_mg_L_HCO3``) without
        ``Mg_to_P_dose`` and ``pH_target``, which come from ``params``.

    Returns
    -------
    ReactorResult
        Daily rates [kg d-1, mol d-1, currency d-1], ``P_recovered_frac`` of
        the whole flow (bypass included) [1], the equilibrium pH of the
        treated water.

    Notes
    -----
    The reactor treats up to ``V_m3 * 24 / residence_h`` m3 per day; the rest
    bypasses it. Equilibrium (:func:`equilibrate`) gives the struvite that can
    form; a fraction ``capture_frac`` of it is harvested. The Mg and the base
    are dosed into all the treated water whatever is harvested. Fertilizer
    value: P2O5 = 2.2914 P and N of the harvested struvite (1 mol P and 1 mol N
    per mol); the food the district's recovered nutrients grow is reckoned for the
    district as a whole (:mod:`nexus.food`). Chemical costs: the Mg as MgCl2.6H2O, and NaOH; HCl is reported in kg but
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
    ds = equilibrate_distinct(
        **water,
        Mg_to_P_dose=params.Mg_to_P_dose,
        pH_target=np.nan if params.pH_target is None else params.pH_target,
    )
    shape = np.broadcast_shapes(Q.shape, ds.struvite_mol_L.shape)
    treated = np.broadcast_to(np.minimum(Q, params.V_m3 * 24.0 / params.residence_h), shape)
    s = ds.struvite_mol_L * params.capture_frac  # mol L-1 harvested
    mol_d = np.broadcast_to(s * treated * 1e3, shape)
    M = MOLAR_MASS_g_mol
    P_in = np.asarray(water["PO4_P_mg_L"], dtype=float) / M["P"] / 1e3  # mol L-1
    dose = np.broadcast_to(params.Mg_to_P_dose * P_in * treated * 1e3, shape)  # mol d-1
    base = np.broadcast_to(ds.NaOH_mmol_L * treated, shape)  # mol d-1
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
        P_recovered_frac=np.divide(
            mol_d, P_fed, out=np.zeros(shape), where=np.broadcast_to(P_fed, shape) > 0
        ),
        pH_final=np.broadcast_to(ds.pH_final, shape),
        SI_hydroxyapatite_initial=np.broadcast_to(ds.SI_hydroxyapatite_initial, shape),
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
    fed_by = {"in": ("anaerobic_digester",)}  # the water's pH comes from a digester
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
            "SI_hydroxyapatite_in",
            "1",
            "hydroxyapatite saturation index of the inlet water (> 0: Ca phosphate can form)",
        ),
        Output("pH_in", "1", "pH of the water reaching the reactor", optional=True),
        Output("pH_final", "1", "equilibrium pH of the treated water", optional=True),
    )
    ratios = (
        Ratio(
            "phosphate-P recovered, share of what reaches it",
            "%",
            "P_recovered_kg_h",
            "PO4_P_in_kg_h",
            factor=100.0,
        ),
    )

    def run(self, params: StruviteReactorParams, inputs: NodeInputs) -> NodeResult:
        """:func:`struvite_reactor` on the inlet water, hour by hour (rates per hour)."""
        water = inputs.inlets["in"]
        flow = water.flow_m3_h
        n = flow.size
        built = params.V_m3 > 0  # a reactor not built (volume 0) passes all water by
        if water.pH is None and built and (flow > 0).any():
            # As the optimizer models it (sample): without a digester upstream the water
            # carries no pH, and the reactor harvests nothing.
            log.warning(
                "a struvite reactor receives water without a pH (the digester upstream is not "
                "built): it harvests nothing and passes the water by"
            )
            built = False
        wet = flow > 0
        r = None
        if wet.any() and built:
            assert water.pH is not None  # checked above for a built reactor
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

        def hourly(name: str) -> FloatArray:
            return zero if r is None else getattr(r, name) / 24.0

        M = MOLAR_MASS_g_mol
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
        outputs: dict[str, Floats] = {
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
            "SI_hydroxyapatite_in": zero if r is None else r.SI_hydroxyapatite_initial,
        }
        if r is not None and np.nanmax(r.SI_hydroxyapatite_initial) > 0:
            log.warning(
                "the water reaching a struvite reactor is supersaturated with hydroxyapatite "
                "(saturation index up to %.1f): crystalline calcium phosphate, which no nexus "
                "unit precipitates (a digester precipitates the amorphous one), can form "
                "upstream or in the reactor and take phosphate before struvite does, so the "
                "phosphorus it recovers may be high",
                float(np.nanmax(r.SI_hydroxyapatite_initial)),
            )
        if water.pH is not None:  # unknown upstream of a digester not built
            outputs["pH_in"] = water.pH
            outputs["pH_final"] = water.pH if r is None else r.pH_final
        # the outlet's pH: at equilibrium where the reactor treats water, else the inlet's
        pH_out = water.pH
        if r is not None and water.pH is not None:
            pH_out = np.where(r.treated_m3_d > 0, r.pH_final, water.pH)
        return NodeResult(
            outlets={"out": Stream(flow, water.T_C, loads, pH_out)},
            removed_kg_h=removed,
            dosed_kg_h=dosed,
            outputs=outputs,
        )

    def sample(self, ctx: SampleContext, columns: list[Column]) -> dict[str, FloatArray]:
        """P harvestable from each sampled upstream effluent, per m3 of reactor, and its cost.

        Returns ``P_kg_h`` (upstream columns, time): the P the reactor harvests
        if it treats all the effluent [kg h-1]; ``P_kg_h_per_m3`` (time): P
        harvested per m3 of reactor when the flow exceeds what it can treat
        [kg h-1 m-3], and ``cost_per_kg_P`` (time): chemicals per kg P
        [currency kg-1], both from the last upstream run that carries a pH. Keeps the
        effluent of each column for the units downstream, as a reactor that treats every
        flow leaves it (the volume the optimizer chooses changes only the P and Mg of the
        hours it cannot treat).
        """
        big = dataclasses.replace(ctx.params, V_m3=1e4)  # treats every flow
        harvest = []
        effluent = []
        last = None
        for water in ctx.upstream("in"):
            if water.pH is None:  # an upstream digester not built: its water has no pH
                harvest.append(np.zeros(water.flow_m3_h.size))
                effluent.append(water)  # nothing precipitates: the water passes
                continue
            last = self.run(big, dataclasses.replace(ctx.inputs, inlets={"in": water}))
            harvest.append(cast("FloatArray", last.removed_kg_h["P"]))  # run gives arrays
            effluent.append(last.outlets["out"])
        ctx.keep_outlets("out", effluent)
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
        harvest, per_m3 = ctx.series("P_kg_h"), ctx.series("P_kg_h_per_m3")
        P = ctx.var("P", ctx.TIME, units="kg/h", doc="P harvested")
        offered = ctx.upstream_mixed("in", "P_kg_h", "kg/h")
        ctx.takes_offer(
            P,
            offered,
            harvest.max(axis=0),
            "V_m3",
            per_m3,
            units="kg/h",
            per_size_units="kg/h/m**3",
        )
        N = P * (MOLAR_MASS_g_mol["N"] / MOLAR_MASS_g_mol["P"])  # struvite carries one N per P
        ctx.role("P_recovered", P)
        ctx.role("N_recovered", N)
        ctx.cost("chemicals", (P * ctx.series("cost_per_kg_P")).scaled(unit=f"{ctx.currency}/kg"))
        ctx.report("P_recovered_kg_h", P)
        ctx.report("N_recovered_kg_h", N)


register(StruviteReactorType())
