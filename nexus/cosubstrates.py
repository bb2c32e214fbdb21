"""Co-substrates delivered to a digester: grease-trap residue, food waste, kitchen waste.

A co-substrate is organic matter a district brings in (by truck) to digest
with its black water, as Hamburg's Jenfelder Au digests black water with
grease-trap residue from restaurants. The source type ``cosubstrate``
(:class:`CosubstrateType`) delivers a given wet mass a year, on a pattern,
as a water stream whose particulate COD is *known* carbohydrate, protein,
lipid and inert (the components ``COD_ch``, ``COD_pr``, ``COD_li``,
``COD_xI`` of :mod:`nexus.components`), so the digester reads it as ADM1's
``X_ch``, ``X_pr``, ``X_li`` and ``X_I`` rather than as BSM2's composites.

A district file gives::

    [sources.grease]
    type = "cosubstrate"
    amount_t_yr = 365.0         # or amount_kg_d (a mean over calendar days)
    delivery = "weekdays"       # or "constant"
    T_C = 12.0                  # temperature as delivered
    preset = "grease_trap"      # or a [sources.grease.composition] table

with ``connections = ["grease.out -> digester.in", ...]``. A composition
table gives dry matter, volatile solids, COD per VS, the COD fractions of
carbohydrate, protein, lipid and inert (which must sum to 1) and the N and
P contents (:class:`Composition`).

Presets
-------
Each preset (:data:`PRESETS`) is built by :func:`composition_from_mass`
from the published figures in :data:`PRESET_SOURCES`, where each figure has
its source; what no retrieved source gave is marked ASSUMPTION or
"transferred" (taken from a related substrate) there. In short:

======================  ============================================================
preset                  basis
======================  ============================================================
grease_trap             Jenfelder Au inventory of grease-trap residues from
                        restaurants and canteens (Hertel et al. 2015): DM 2 %, oDM 85 % DM,
                        N 2.5 % DM, P 0.6 % DM; lipid share not retrieved
                        (ASSUMPTION: the degradable non-protein VS is fat)
catering_food_waste     restaurant/catering food waste (Carmona-Cabello et al.
                        2020: lipid, starch, protein on DM); DM and VS/TS of
                        commercial food waste (Zhang et al. 2007); P transferred
                        from ground food waste (Bernstad et al. 2013)
kitchen_waste           ground household food waste from disposers (Bernstad
                        et al. 2013: N 46.2, P 3.9 g/kg TS); organic make-up and
                        DM transferred from the catering preset
======================  ============================================================

A preset for shop/supermarket food waste is not offered: no composition of
it could be retrieved.

Conversion to COD
-----------------
Mass fractions become COD with the theoretical oxygen demand of
representative molecules, ``c + h/4 - o/2 - 3n/4`` mol O2 per mol of
CcHhOoNn (N to ammonia): carbohydrate as (C6H10O5)n, 1.185 g COD/g; lipid
as triolein C57H104O6, 2.891 g COD/g; inert organic matter as biomass,
1.42 g COD/g VSS (Henze et al. 2008, as :func:`nexus.units.digester.effluent_loads`
reads TSS). Protein is counted by its N: crude protein = 6.25 N (the
conventional Jones factor, 16 % N), and its COD is the COD that carries that
N at ADM1's content of amino acids, ``N_aa`` = 0.007 kmol N/kg COD
(Rosen & Jeppsson 2006), i.e. 1.632 g COD/g crude protein, so the digester
reads it with exactly its N. The inerts hold ADM1's ``N_I`` first (BSM2:
0.06 kg N/kg COD); the protein has the rest of the organic N.

References
----------
- Hertel, S., Navarro, P., Deegener, S., Koerner, I. (2015). Biogas and
  nutrients from blackwater, lawn cuttings and grease trap residues -
  experiments for Hamburg's Jenfelder Au district. Energy, Sustainability
  and Society 5:29. doi:10.1186/s13705-015-0057-5 (abstract).
- Carmona-Cabello, M. et al. (2020). Food waste from restaurant sector -
  Characterization for biorefinery approach. Bioresour. Technol. 301,
  122779. doi:10.1016/j.biortech.2020.122779 (abstract).
- Zhang, R., El-Mashad, H.M., Hartman, K., Wang, F., Liu, G., Choate, C.,
  Gamble, P. (2007). Characterization of food waste as feedstock for
  anaerobic digestion. Bioresour. Technol. 98, 929-935.
  doi:10.1016/j.biortech.2006.02.039 (abstract).
- Bernstad, A., Davidsson, Å., Tsai, J., Persson, E., Bissmont, M.,
  la Cour Jansen, J. (2013). Tank-connected food waste disposer systems -
  Current status and potential improvements. Waste Manage. 33, 193-203.
  doi:10.1016/j.wasman.2012.09.022 (abstract).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from nexus.components import INDEX, N_COMPONENTS
from nexus.constants import DAYS_PER_YEAR, HOURS_PER_YEAR, MOLAR_MASS_g_mol
from nexus.errors import ParameterError
from nexus.registry import NodeInputs, NodeResult, Output, Port, SourceType, register
from nexus.schema import Model
from nexus.streams import Stream
from nexus.units.adm1.params import ADM1Params

if TYPE_CHECKING:
    from pydantic import BaseModel

    from nexus._typing import FloatArray

__all__ = [
    "COD_PER_G",
    "PRESETS",
    "PRESET_SOURCES",
    "Composition",
    "CosubstrateParams",
    "CosubstrateType",
    "composition_from_mass",
    "cosubstrate_stream",
    "loads_per_kg",
]

#: Theoretical COD of the organic classes [g COD/g], see the module docstring.
COD_PER_G: dict[str, float] = {
    "carbohydrate": 192.0 / 162.14,  # (C6H10O5)n: 6 mol O2 per 162.14 g
    "lipid": 80.0 * 32.0 / 885.43,  # triolein C57H104O6: 80 mol O2 per 885.43 g
    "inert": 1.42,  # Henze et al. (2008), COD of biomass per g VSS
}
#: Crude protein per g N (Jones factor 6.25, 16 % N).
PROTEIN_PER_N = 6.25
#: BSM2's N contents [kg N/kg COD] of amino acids/proteins and inerts (Rosen & Jeppsson 2006),
#: with the molar mass the digester converts N with.
_N_AA_kg = ADM1Params().N_aa * MOLAR_MASS_g_mol["N"]
_N_I_kg = ADM1Params().N_I * MOLAR_MASS_g_mol["N"]
_FRACTIONS = ("carbohydrate_frac", "protein_frac", "lipid_frac", "inert_frac")


@dataclass(frozen=True, kw_only=True)
class Composition:
    """What one kg of a co-substrate as delivered (wet) holds.

    Attributes
    ----------
    DM_frac : float
        Dry matter per wet mass [kg/kg], in (0, 1].
    VS_frac_DM : float
        Volatile (organic) solids per dry matter [kg/kg], 0..1.
    COD_per_VS_kg_kg : float
        COD per volatile solids [kg COD/kg VS], 0..3.5 (the COD of lipids,
        2.9, is the highest of organic classes).
    carbohydrate_frac, protein_frac, lipid_frac, inert_frac : float
        Shares of the COD [-], each 0..1, summing to 1 (within 1e-6).
    N_frac_DM, P_frac_DM : float
        Total N and P per dry matter [kg/kg], 0..1.
    NH4_N_frac : float
        Share of the N present as ammonium [-]; the rest is organic.

    Raises
    ------
    nexus.ParameterError
        A value out of its range or fractions that do not sum to 1, naming it.
    """

    DM_frac: float
    VS_frac_DM: float
    COD_per_VS_kg_kg: float
    carbohydrate_frac: float
    protein_frac: float
    lipid_frac: float
    inert_frac: float
    N_frac_DM: float
    P_frac_DM: float
    NH4_N_frac: float = 0.0

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            high = 3.5 if name == "COD_per_VS_kg_kg" else 1.0
            if not (isinstance(value, (int, float)) and 0.0 <= value <= high):
                raise ParameterError(f"{name} = {value!r}; expected a number in 0..{high:g}")
        if not self.DM_frac > 0.0:
            raise ParameterError(f"DM_frac = {self.DM_frac!r}; expected a number > 0")
        total = sum(getattr(self, f) for f in _FRACTIONS)
        if abs(total - 1.0) > 1e-6:
            raise ParameterError(
                f"{' + '.join(_FRACTIONS)} = {total:.6g}; expected the COD fractions to sum to 1"
            )


def composition_from_mass(
    *,
    DM_frac: float,
    VS_frac_DM: float,
    inert_frac_DM: float,
    P_frac_DM: float,
    N_frac_DM: float | None = None,
    protein_frac_DM: float | None = None,
    lipid_frac_DM: float | None = None,
    carbohydrate_frac_DM: float | None = None,
) -> Composition:
    """A :class:`Composition` from mass fractions of the dry matter.

    Parameters
    ----------
    DM_frac : float
        Dry matter per wet mass [kg/kg].
    VS_frac_DM, inert_frac_DM, P_frac_DM : float
        Volatile solids, inert organic matter and P per dry matter [kg/kg].
    N_frac_DM, protein_frac_DM : float
        Exactly one of them [kg/kg DM]: total N (crude protein follows from
        the N the inerts do not hold, x 6.25) or crude protein (N follows).
    lipid_frac_DM, carbohydrate_frac_DM : float
        Lipid and carbohydrate per dry matter [kg/kg]; one of them may be
        left out: it is then the volatile solids not otherwise counted.

    Returns
    -------
    Composition
        All N organic; COD from the factors :data:`COD_PER_G` and, for
        protein, ADM1's ``N_aa`` (module docstring).

    Raises
    ------
    nexus.ParameterError
        Both or neither of N and protein given, neither of lipid and
        carbohydrate, or the parts exceed the volatile solids.

    Examples
    --------
    >>> c = composition_from_mass(DM_frac=0.1, VS_frac_DM=1.0, lipid_frac_DM=1.0,
    ...                           inert_frac_DM=0.0, P_frac_DM=0.0, N_frac_DM=0.0,
    ...                           carbohydrate_frac_DM=0.0)
    >>> round(c.COD_per_VS_kg_kg, 3), c.lipid_frac
    (2.891, 1.0)
    """
    if (N_frac_DM is None) == (protein_frac_DM is None):
        raise ParameterError("expected exactly one of N_frac_DM and protein_frac_DM")
    inert_COD = COD_PER_G["inert"] * inert_frac_DM
    inert_N = _N_I_kg * inert_COD
    if N_frac_DM is None:
        assert protein_frac_DM is not None
        protein_N = protein_frac_DM / PROTEIN_PER_N
        N_frac_DM = protein_N + inert_N
    else:
        protein_N = N_frac_DM - inert_N
        if protein_N < 0.0:
            raise ParameterError(
                f"N_frac_DM = {N_frac_DM:g} is less than the {inert_N:.4g} ADM1's inerts hold"
            )
    protein = PROTEIN_PER_N * protein_N
    if lipid_frac_DM is None and carbohydrate_frac_DM is None:
        raise ParameterError("expected lipid_frac_DM or carbohydrate_frac_DM (or both)")
    rest = VS_frac_DM - inert_frac_DM - protein - (lipid_frac_DM or 0.0)
    rest -= carbohydrate_frac_DM or 0.0
    lipid = rest if lipid_frac_DM is None else lipid_frac_DM
    carbohydrate = rest if carbohydrate_frac_DM is None else carbohydrate_frac_DM
    if min(lipid, carbohydrate) < -1e-12:
        raise ParameterError(
            f"lipid {lipid:.4g}, protein {protein:.4g}, carbohydrate {carbohydrate:.4g} and inert "
            f"{inert_frac_DM:g} kg/kg DM do not fit in the volatile solids {VS_frac_DM:g}"
        )
    lipid, carbohydrate = max(lipid, 0.0), max(carbohydrate, 0.0)
    cod = {
        "carbohydrate_frac": COD_PER_G["carbohydrate"] * carbohydrate,
        "protein_frac": protein_N / _N_AA_kg,
        "lipid_frac": COD_PER_G["lipid"] * lipid,
        "inert_frac": inert_COD,
    }
    total = sum(cod.values())  # kg COD per kg DM
    VS = lipid + inert_frac_DM + protein + carbohydrate
    return Composition(
        DM_frac=DM_frac,
        VS_frac_DM=VS,
        COD_per_VS_kg_kg=total / VS,
        N_frac_DM=N_frac_DM,
        P_frac_DM=P_frac_DM,
        **{k: v / total for k, v in cod.items()},
    )


_ESS = (
    "Jenfelder Au (Hamburg) inventory of grease trap residues from restaurants and canteens, "
    "averages 'DM 2 %; oDM 85 % DM; N 2.5 % DM; P 0.6 % DM': Energy, Sustainability and "
    "Society 5:29 (Hertel et al. 2015), doi:10.1186/s13705-015-0057-5, abstract"
)
_ZHANG = (
    "Zhang et al. (2007), Bioresour. Technol. 98:929, doi:10.1016/j.biortech.2006.02.039, "
    "abstract: food waste collected in San Francisco, daily average moisture 70 %, VS/TS 83 %; "
    "VS destruction 81 % at the end of a 28-day batch test"
)
_CARMONA = (
    "Carmona-Cabello et al. (2020), Bioresour. Technol. 301:122779, "
    "doi:10.1016/j.biortech.2020.122779, abstract: restaurant/catering food waste, lipids "
    "25.7-33.2 %, starch 16.2-29.4 %, proteins 18.3-23.5 % of dry matter; midpoints taken"
)
_BERNSTAD = (
    "Bernstad et al. (2013), Waste Manage. 33:193, doi:10.1016/j.wasman.2012.09.022, abstract: "
    "ground food waste from tank-connected disposers (Malmo), N-tot 46.2 and P-tot 3.9 g/kg TS"
)
_CARMONA_INERT = (
    "volatile solids (VS/TS 0.83, Zhang 2007) not analysed as lipid, starch or protein "
    "(Carmona-Cabello 2020 midpoints) read as inert (fibre and the like): ASSUMPTION; it is "
    "12 % of VS, against 19 % of VS left undegraded after 28 d in Zhang (2007)"
)

#: Published figures behind each preset: keyword of :func:`composition_from_mass` ->
#: (value, source). Figures not from a retrieved source say so.
PRESET_SOURCES: dict[str, dict[str, tuple[float, str]]] = {
    "grease_trap": {
        "DM_frac": (0.02, _ESS),
        "VS_frac_DM": (0.85, _ESS),
        "N_frac_DM": (0.025, _ESS),
        "P_frac_DM": (0.006, _ESS),
        "inert_frac_DM": (
            0.19 * 0.85,
            "19 % of VS inert, transferred from food waste (81 % VS destruction in 28 d, "
            f"{_ZHANG}); no degradability of grease-trap residue retrieved",
        ),
        "carbohydrate_frac_DM": (
            0.0,
            "ASSUMPTION: the degradable VS that is not crude protein is fat, none carbohydrate "
            "(a grease trap separates fat; an upper bound on the lipid, as no lipid analysis of "
            "the residue was retrieved)",
        ),
    },
    "catering_food_waste": {
        "DM_frac": (0.30, _ZHANG),
        "VS_frac_DM": (0.83, _ZHANG),
        "lipid_frac_DM": ((0.257 + 0.332) / 2.0, _CARMONA),
        "carbohydrate_frac_DM": ((0.162 + 0.294) / 2.0, _CARMONA),
        "protein_frac_DM": ((0.183 + 0.235) / 2.0, _CARMONA),
        "inert_frac_DM": (
            0.83 - (0.257 + 0.332 + 0.162 + 0.294 + 0.183 + 0.235) / 2.0,
            _CARMONA_INERT,
        ),
        "P_frac_DM": (0.0039, f"transferred from ground food waste: {_BERNSTAD}"),
    },
    "kitchen_waste": {
        "N_frac_DM": (0.0462, _BERNSTAD),
        "P_frac_DM": (0.0039, _BERNSTAD),
        "DM_frac": (0.30, f"transferred from collected food waste: {_ZHANG}"),
        "VS_frac_DM": (0.83, f"transferred from collected food waste: {_ZHANG}"),
        "lipid_frac_DM": (
            (0.257 + 0.332) / 2.0,
            f"transferred from catering food waste ({_CARMONA}); Bernstad et al. (2013) "
            "describe ground food waste as rich in fat",
        ),
        "inert_frac_DM": (
            0.83 - (0.257 + 0.332 + 0.162 + 0.294 + 0.183 + 0.235) / 2.0,
            f"transferred from the catering preset: {_CARMONA_INERT}",
        ),
    },
}

#: Named compositions a district file can give as ``preset`` (see the module docstring).
PRESETS: dict[str, Composition] = {
    name: composition_from_mass(**{k: v for k, (v, _) in figures.items()})
    for name, figures in PRESET_SOURCES.items()
}


def loads_per_kg(composition: Composition) -> FloatArray:
    """Component loads of one kg of the co-substrate as delivered [kg/kg wet].

    All COD is particulate of known make-up (``COD_ch``, ``COD_pr``,
    ``COD_li``, ``COD_xI``); N is organic but for ``NH4_N_frac``; all P is
    organic (fresh organic matter); TSS is the dry matter. K, Mg, Ca, Na,
    Cl and alkalinity are not carried: the cited compositions do not give
    them.

    Examples
    --------
    >>> v = loads_per_kg(PRESETS["grease_trap"])
    >>> round(float(v[INDEX["TSS"]]), 3), round(float(v[INDEX["Porg_P"]] * 1e3), 3)
    (0.02, 0.12)
    """
    c = composition
    out = np.zeros(N_COMPONENTS)
    DM = c.DM_frac
    COD = DM * c.VS_frac_DM * c.COD_per_VS_kg_kg
    for component, frac in zip(
        ("COD_ch", "COD_pr", "COD_li", "COD_xI"), (getattr(c, f) for f in _FRACTIONS), strict=True
    ):
        out[INDEX[component]] = COD * frac
    N = DM * c.N_frac_DM
    out[INDEX["NH4_N"]] = N * c.NH4_N_frac
    out[INDEX["Norg_N"]] = N - out[INDEX["NH4_N"]]
    out[INDEX["Porg_P"]] = DM * c.P_frac_DM
    out[INDEX["TSS"]] = DM
    return out


# ------------------------------------------------------------ file tables


def _fraction(description: str) -> Any:
    return Field(ge=0.0, le=1.0, description=description)


class CompositionTable(Model):
    """``[sources.NAME.composition]``: a co-substrate's make-up (:class:`Composition`)."""

    DM_frac: Annotated[float, Field(gt=0.0, le=1.0, description="dry matter per wet mass [kg/kg]")]
    VS_frac_DM: float = _fraction("volatile solids per dry matter [kg/kg]")
    COD_per_VS_kg_kg: Annotated[
        float, Field(ge=0.0, le=3.5, description="COD per volatile solids [kg COD/kg VS]")
    ]
    carbohydrate_frac: float = _fraction("share of the COD that is carbohydrate [-]")
    protein_frac: float = _fraction("share of the COD that is protein [-]")
    lipid_frac: float = _fraction("share of the COD that is lipid [-]")
    inert_frac: float = _fraction("share of the COD that is not degradable [-]")
    N_frac_DM: float = _fraction("total N per dry matter [kg/kg]")
    P_frac_DM: float = _fraction("total P per dry matter [kg/kg]")
    NH4_N_frac: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="share of N as ammonium [-] (default 0: compositions give total N of "
        "fresh organic matter)",
    )

    @field_validator("inert_frac")
    @classmethod
    def _fractions_sum_to_one(cls, inert: float, info: ValidationInfo) -> float:
        parts = [info.data.get(f) for f in _FRACTIONS[:-1]]
        if any(p is None for p in parts):  # reported as its own error
            return inert
        total = sum(parts) + inert  # type: ignore[arg-type]
        if abs(total - 1.0) > 1e-6:
            named = " + ".join(
                f"{f} {v:g}" for f, v in zip(_FRACTIONS, [*parts, inert], strict=True)
            )
            raise PydanticCustomError(
                "fractions_sum",
                "the COD fractions to sum to 1, but {named} = {total}",
                {"named": named, "total": f"{total:.6g}"},
            )
        return inert


class CosubstrateTable(Model):
    """``[sources.NAME]`` of type ``cosubstrate``."""

    amount_t_yr: float | None = Field(None, ge=0.0, description="wet mass delivered a year [t/yr]")
    amount_kg_d: float | None = Field(
        None, ge=0.0, description="wet mass delivered, mean per calendar day [kg/d]"
    )
    delivery: Literal["constant", "weekdays"] = Field(
        "constant", description="'constant' every hour, or 'weekdays' (Monday to Friday)"
    )
    T_C: float = Field(ge=0.0, le=70.0, description="temperature as delivered [degC]")
    density_kg_m3: float = Field(
        1000.0,
        ge=800.0,
        le=1500.0,
        description="wet density [kg/m3]; default that of water, as households' ground kitchen "
        "waste is carried",
    )
    preset: Literal[tuple(PRESET_SOURCES)] | None = Field(  # type: ignore[valid-type]
        None, description=f"a named composition: {', '.join(PRESET_SOURCES)}"
    )
    composition: CompositionTable | None = None


@dataclass(frozen=True, kw_only=True)
class CosubstrateParams:
    """A co-substrate source as it runs: yearly wet mass, pattern, temperature, composition."""

    amount_kg_yr: float  #: wet mass delivered a year [kg/yr]
    delivery: str  #: "constant" or "weekdays"
    T_C: float  #: temperature as delivered [degC]
    density_kg_m3: float  #: wet density [kg/m3]
    composition: Composition
    preset: str | None = None  #: the preset's name, if one was used


def delivery_weights(time: Any, delivery: str) -> FloatArray:
    """Hourly weights of a delivery pattern over ``time`` (a pandas.DatetimeIndex)."""
    if delivery == "constant":
        return np.ones(len(time))
    if delivery == "weekdays":
        return np.asarray(time.day_of_week < 5, dtype=float)
    raise ParameterError(f"delivery = {delivery!r}; expected 'constant' or 'weekdays'")


def cosubstrate_stream(params: CosubstrateParams, time: Any) -> Stream:
    """The delivered co-substrate as a water stream.

    Parameters
    ----------
    params : CosubstrateParams
    time : pandas.DatetimeIndex
        The hours; a year of 8760 receives exactly ``amount_kg_yr``
        (a shorter axis its share, hours / 8760).

    Returns
    -------
    Stream
        Flow = wet mass / density [m3/h], at ``T_C``, with the loads of
        :func:`loads_per_kg` times the wet mass [kg/h].

    Raises
    ------
    nexus.ParameterError
        A non-zero amount but no delivery hour (weekdays on an axis of weekends).
    """
    weights = delivery_weights(time, params.delivery)
    total = params.amount_kg_yr * len(time) / HOURS_PER_YEAR
    if total > 0.0 and not weights.sum() > 0.0:
        raise ParameterError(
            f"delivery = {params.delivery!r} has no hour on this time axis for "
            f"{params.amount_kg_yr:g} kg/yr"
        )
    kg_h = weights * (total / weights.sum()) if total > 0.0 else np.zeros(len(time))
    return Stream(
        kg_h / params.density_kg_m3,
        np.full(len(time), params.T_C),
        np.outer(kg_h, loads_per_kg(params.composition)),
    )


# ------------------------------------------------------------ node type


class CosubstrateType(SourceType):
    """A co-substrate delivered to the district, e.g. grease-trap residue for the digester
    (``[sources.NAME]`` with ``type = "cosubstrate"``; module docstring)."""

    name = "cosubstrate"
    description = (
        "organic matter brought in to digest (grease-trap residue, food waste): amount, "
        "delivery pattern, cited or given composition"
    )
    ports = (Port("out", "water", "out"),)
    outputs = (
        Output(
            "cosubstrate_delivered_kg_h",
            "kg h-1",
            "co-substrate delivered (wet mass)",
            annual="co-substrate delivered",
        ),
    )

    @property
    def model(self) -> type[BaseModel]:
        """The table is ``CosubstrateTable`` (with a nested composition table)."""
        return CosubstrateTable

    def make_params(self, validated: BaseModel) -> CosubstrateParams:
        """Amount per year, and the preset's or the table's composition.

        Raises
        ------
        nexus.ParameterError
            Both or neither of ``amount_t_yr`` and ``amount_kg_d``, or of
            ``preset`` and ``composition``.
        """
        t = validated
        assert isinstance(t, CosubstrateTable)
        if (t.amount_t_yr is None) == (t.amount_kg_d is None):
            raise ParameterError(
                "expected exactly one of amount_t_yr (t/yr) and amount_kg_d (kg/d, mean per "
                "calendar day)"
            )
        if (t.preset is None) == (t.composition is None):
            raise ParameterError(
                "expected exactly one of preset = "
                f"{' | '.join(repr(p) for p in PRESET_SOURCES)} and a composition table"
            )
        if t.amount_t_yr is not None:
            amount = t.amount_t_yr * 1000.0
        else:
            assert t.amount_kg_d is not None
            amount = t.amount_kg_d * DAYS_PER_YEAR
        if t.preset is not None:
            composition = PRESETS[t.preset]
        else:
            assert t.composition is not None
            composition = Composition(**t.composition.model_dump())
        return CosubstrateParams(
            amount_kg_yr=amount,
            delivery=t.delivery,
            T_C=t.T_C,
            density_kg_m3=t.density_kg_m3,
            composition=composition,
            preset=t.preset,
        )

    def run(self, params: CosubstrateParams, inputs: NodeInputs) -> NodeResult:
        """The delivered stream (:func:`cosubstrate_stream`) at the outlet."""
        stream = cosubstrate_stream(params, inputs.time)
        return NodeResult(
            outlets={"out": stream},
            outputs={"cosubstrate_delivered_kg_h": stream.flow_m3_h * params.density_kg_m3},
        )


register(CosubstrateType())
