"""The struvite reactor: struvite harvested from a flow, its fertilizer value, chemicals.

:class:`StruviteReactorParams` (size, Mg dose, pH, harvest efficiency, prices,
the crop fertilized) and :func:`struvite_reactor`, the unit process a district
runs: equilibrium from :func:`~nexus.units.struvite.equilibrium.equilibrate`
on each distinct water once, scaled to the flow the reactor treats.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from nexus.constants import MOLAR_MASS_g_mol
from nexus.errors import ParameterError
from nexus.units.params import Params, field
from nexus.units.struvite.database import STRUVITE_g_mol
from nexus.units.struvite.equilibrium import WATER_ARGS, equilibrate

#: kg P2O5 per kg P (2.2915), the convention of fertilizer labels.
P2O5_PER_P: float = MOLAR_MASS_g_mol["P2O5"] / (2 * MOLAR_MASS_g_mol["P"])


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
    value: P2O5 = 2.2915 P and N of the harvested struvite (1 mol P and 1 mol N
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
    M = MOLAR_MASS_g_mol
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
