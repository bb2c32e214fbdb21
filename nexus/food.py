"""Food grown with the nutrients a district returns to farms, and what they are worth.

A crop takes nitrogen, phosphorus and potassium from the soil in proportions of
its own (its *offtake* per tonne harvested). A mix of recovered nutrients can
replace the offtake of only as much crop as its scarcest nutrient allows, relative
to that crop's needs: the *limiting* nutrient. The rest of the other nutrients is
left over (it can fertilize another field), and a nutrient the district does not
recover at all is bought as mineral fertilizer.

This module holds the agronomy behind the district's food figures as small pure
functions on numpy arrays and cited constants:

- :data:`CROPS`: four crops grown in the Netherlands (ware potatoes, winter wheat,
  bulb onions, white cabbage) with their N, P2O5 and K2O offtake per tonne of fresh
  harvested product and their food energy, each figure with its source;
- :func:`harvest_t`, :func:`limiting_nutrient`, :func:`harvest_by_nutrient_t`: the
  crop the recovered nutrients fully fertilize, and which nutrient limits it;
- :func:`people_fed`: the people whose food energy a harvest supplies;
- :func:`fertilizer_value`: what the recovered nutrients would cost as mineral
  fertilizer (:class:`FertilizerPrices`);
- :func:`food_kpis` and :func:`harvest_table`: the district's yearly figures from
  the nutrients it recovers (what :func:`nexus.kpis` reports).

A nutrient is *not recovered* when no unit of the district recovers it (its role,
``N_recovered``, ``P_recovered`` or ``K_recovered``, has no output): pass ``None``.
It then does not limit the harvest, and the key figures say it comes from mineral
fertilizer. A nutrient recovered in a quantity of 0 (a reactor not built) limits the
harvest to 0.

Amounts are elemental (kg N, kg P, kg K), as nexus's streams carry them;
offtakes and prices use the fertilizer convention (kg P2O5, kg K2O), converted
with :data:`P2O5_PER_P` and :data:`K2O_PER_K`.

References
----------
- AHDB (2023), Nutrient Management Guide (RB209), Section 4 Arable crops,
  Table 4.12, p. 18; AHDB (2021), RB209 Section 6 Vegetables and bulbs, Table 6.8.
  https://ahdb.org.uk/rb209
- Ludemann, C., Hijbeek, R., van Loon, M., Murrell, S., van Ittersum, M.,
  Dobermann, A. (2023), Global data on crop nutrient concentration and harvest
  indices, Dryad, doi:10.5061/dryad.n2z34tn0x (file World_crop_coefficients_for_UN_FAO.csv,
  the coefficients of the 2023 FAO Cropland Nutrient Budget).
- FAO (2001), Food Balance Sheets: A Handbook, Annex: food composition of the
  commodities, https://www.fao.org/4/x9892e/x9892e05.htm (as tabulated in
  FAO_ag_items_cal_SUA.csv of GCAM, github.com/JGCRI/gcam-core).
- Cassidy, E.S., West, P.C., Gerber, J.S., Foley, J.A. (2013), Redefining
  agricultural yields: from tonnes to people nourished per hectare, Environ. Res.
  Lett. 8:034015, doi:10.1088/1748-9326/8/3/034015 (Fig. 3: 2,700 kcal a day).
- STOWA (2016), Marktverkenning en gewasonderzoek struviet en struviethoudende
  producten uit communaal afvalwater, report 2016-12, section 4.1 (prices of
  LEI-CBS 2015, Land- en tuinbouwcijfers, at the 2014 price level).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nexus.constants import DAYS_PER_YEAR, MOLAR_MASS_g_mol
from nexus.errors import ParameterError
from nexus.units.params import Params, field

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

    from nexus._typing import FloatArray

__all__ = [
    "CROPS",
    "K2O_PER_K",
    "NUTRIENTS",
    "P2O5_PER_P",
    "Crop",
    "FOOD_ENERGY_kcal_p_d",
    "FertilizerPrices",
    "crop",
    "fertilizer_value",
    "food_kpis",
    "harvest_by_nutrient_t",
    "harvest_t",
    "harvest_table",
    "limiting_nutrient",
    "people_fed",
]

#: The nutrients a crop's offtake is given for, as elements.
NUTRIENTS = ("N", "P", "K")

#: kg P2O5 per kg P (2.2914), the convention of fertilizer labels and offtake tables.
P2O5_PER_P: float = MOLAR_MASS_g_mol["P2O5"] / (2 * MOLAR_MASS_g_mol["P"])

#: kg K2O per kg K (1.2046), the convention of fertilizer labels and offtake tables.
K2O_PER_K: float = MOLAR_MASS_g_mol["K2O"] / (2 * MOLAR_MASS_g_mol["K"])

#: Food energy a person needs a day [kcal/(person d)]: the 2,700 kcal a day of Cassidy
#: et al. (2013, Environ. Res. Lett. 8:034015, doi:10.1088/1748-9326/8/3/034015, Fig. 3:
#: "divided by 2700 calorie per day diets (985 500 calories per year)"), the figure of
#: their "people nourished" per hectare.
FOOD_ENERGY_kcal_p_d: float = 2700.0

_RB209_S4 = (
    "AHDB (2023), Nutrient Management Guide (RB209) Section 4 Arable crops, Table 4.12 "
    "'Typical values of phosphate and potash in crop materials', p. 18 "
    "(https://ahdb.org.uk/rb209); the same values in PDA leaflet 'Nutrients in crop "
    "material' (2020), https://www.pda.org.uk/pda_leaflets/nutrients-in-crop-material/"
)
_RB209_S6 = (
    "AHDB (2021), Nutrient Management Guide (RB209) Section 6 Vegetables and bulbs, "
    "Table 6.8 'Typical values of phosphate and potash in crop materials' "
    "(https://ahdb.org.uk/rb209)"
)
_LUDEMANN = (
    "Ludemann et al. (2023), Global data on crop nutrient concentration and harvest "
    "indices, Dryad, doi:10.5061/dryad.n2z34tn0x, World_crop_coefficients_for_UN_FAO.csv "
    "(2023 FAO Cropland Nutrient Budget), item {item!r}, N_kg_per_t_fresh_wt"
)
_FAO_FBS = (
    "FAO (2001), Food Balance Sheets: A Handbook, Annex (food composition), "
    "https://www.fao.org/4/x9892e/x9892e05.htm, FBS item {item!r}, as tabulated "
    "(Mcal per t) in FAO_ag_items_cal_SUA.csv of GCAM (github.com/JGCRI/gcam-core)"
)


@dataclass(frozen=True, kw_only=True)
class Crop:
    """A food crop: what a tonne of its harvested product takes from the soil, and feeds.

    Attributes
    ----------
    name : str
        Key in :data:`CROPS` (``"potatoes"``).
    plain : str
        Plain-language name for key figures (``"potatoes"``).
    product : str
        What is harvested and weighed (``"tubers"``; straw and tops stay on the field).
    N_offtake_kg_t : float
        Nitrogen removed per tonne of fresh product [kg N/t].
    P2O5_offtake_kg_t : float
        Phosphate removed per tonne of fresh product [kg P2O5/t].
    K2O_offtake_kg_t : float
        Potash removed per tonne of fresh product [kg K2O/t].
    energy_kcal_kg : float
        Food energy of the product [kcal/kg].
    sources : mapping of str to str
        The source of each figure, by attribute name.
    """

    name: str
    plain: str
    product: str
    N_offtake_kg_t: float
    P2O5_offtake_kg_t: float
    K2O_offtake_kg_t: float
    energy_kcal_kg: float
    sources: Mapping[str, str]

    def __post_init__(self) -> None:
        for key in ("N_offtake_kg_t", "P2O5_offtake_kg_t", "K2O_offtake_kg_t", "energy_kcal_kg"):
            value = getattr(self, key)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ParameterError(f"Crop {self.name!r}: {key} = {value!r}; expected > 0")
            if not self.sources.get(key):
                raise ParameterError(f"Crop {self.name!r}: {key} has no source")

    def offtake_kg_t(self, element: str) -> float:
        """Offtake of an element per tonne of fresh product [kg element/t] (P from P2O5,
        K from K2O)."""
        if element == "N":
            return self.N_offtake_kg_t
        if element == "P":
            return self.P2O5_offtake_kg_t / P2O5_PER_P
        if element == "K":
            return self.K2O_offtake_kg_t / K2O_PER_K
        raise ParameterError(f"element = {element!r}; expected one of {', '.join(NUTRIENTS)}")


#: The crops nexus reports food for, by name: arable and field-vegetable crops of the
#: Netherlands, with offtakes of the fresh harvested product only (RB209's "grain only",
#: "tubers only", "bulbs only": straw and tops stay on the field).
CROPS: Mapping[str, Crop] = {
    c.name: c
    for c in (
        Crop(
            name="potatoes",
            plain="potatoes",
            product="tubers",
            N_offtake_kg_t=2.735,
            P2O5_offtake_kg_t=1.0,
            K2O_offtake_kg_t=5.8,
            energy_kcal_kg=670.0,
            sources={
                "N_offtake_kg_t": _LUDEMANN.format(item="Potatoes"),
                "P2O5_offtake_kg_t": _RB209_S4 + ": potatoes, tubers only",
                "K2O_offtake_kg_t": _RB209_S4 + ": potatoes, tubers only",
                "energy_kcal_kg": _FAO_FBS.format(item="Potatoes and products"),
            },
        ),
        Crop(
            name="winter_wheat",
            plain="winter wheat grain",
            product="grain (straw left on the field)",
            N_offtake_kg_t=20.69,
            P2O5_offtake_kg_t=6.5,
            K2O_offtake_kg_t=5.5,
            energy_kcal_kg=3340.0,
            sources={
                "N_offtake_kg_t": _LUDEMANN.format(item="Wheat")
                + " (20.6876, rounded to 4 significant digits)",
                "P2O5_offtake_kg_t": _RB209_S4 + ": winter wheat, grain only",
                "K2O_offtake_kg_t": _RB209_S4 + ": winter wheat, grain only",
                "energy_kcal_kg": _FAO_FBS.format(item="Wheat and products"),
            },
        ),
        Crop(
            name="onions",
            plain="bulb onions",
            product="bulbs",
            N_offtake_kg_t=2.44,
            P2O5_offtake_kg_t=0.7,
            K2O_offtake_kg_t=1.8,
            energy_kcal_kg=240.0,
            sources={
                "N_offtake_kg_t": _LUDEMANN.format(item="Onions, dry"),
                "P2O5_offtake_kg_t": _RB209_S6 + ": onions (bulbs only)",
                "K2O_offtake_kg_t": _RB209_S6 + ": onions (bulbs only)",
                "energy_kcal_kg": _FAO_FBS.format(item="Onions")
                + " (GCAM reads it from the FAO item 'onions, shallots, green')",
            },
        ),
        Crop(
            name="cabbage",
            plain="white cabbage",
            product="heads",
            N_offtake_kg_t=3.845,
            P2O5_offtake_kg_t=0.9,
            K2O_offtake_kg_t=3.6,
            energy_kcal_kg=220.0,
            sources={
                "N_offtake_kg_t": _LUDEMANN.format(item="Cabbages and other brassicas"),
                "P2O5_offtake_kg_t": _RB209_S6 + ": cabbage",
                "K2O_offtake_kg_t": _RB209_S6 + ": cabbage",
                "energy_kcal_kg": _FAO_FBS.format(item="Vegetables, Other")
                + " (the FBS item cabbage belongs to)",
            },
        ),
    )
}


@dataclass(frozen=True, kw_only=True)
class FertilizerPrices(Params):
    """Prices of mineral fertilizer per kg of nutrient, to value what a district recovers.

    The Dutch convention values N at the price of calcium ammonium nitrate (KAS,
    27 % N) and P2O5 at that of triple superphosphate (TSP, 45 % P2O5) (STOWA 2016); K2O here
    at muriate of potash ("kali-60", 60 % K2O). Price per kg nutrient = price of the
    product per kg / its nutrient content.
    """

    N_per_kg: float = field(
        1.00,
        unit="EUR kg-1",
        low=0.0,
        high=100.0,
        source="STOWA (2016), report 2016-12, section 4.1: EUR 1.00 per kg N at the 2014 "
        "price of KAS 27 % N, granulated, delivered to the farm (LEI-CBS 2015, Land- en "
        "tuinbouwcijfers)",
        doc="price of mineral nitrogen",
    )
    P2O5_per_kg: float = field(
        0.78,
        unit="EUR kg-1",
        low=0.0,
        high=100.0,
        source="STOWA (2016), report 2016-12, section 4.1: EUR 0.78 per kg P2O5 at the 2014 "
        "price of triple superphosphate 45 % P2O5, granulated, delivered to the farm "
        "(LEI-CBS 2015, Land- en tuinbouwcijfers)",
        doc="price of mineral phosphate",
    )
    K2O_per_kg: float = field(
        0.475,
        unit="EUR kg-1",
        low=0.0,
        high=100.0,
        source="kali-60 (60 % K2O) at EUR 285 per t in December 2020, as Yara quoted it "
        "to melkvee100plus.nl ('Stikstofkunstmest kost 1,5 cent per liter melk extra', "
        "December 2021): 285 / 600 kg K2O; a trade quote of another year than N and P2O5 "
        "(no Dutch statistics table of potash prices was reachable)",
        doc="price of mineral potash",
    )


def crop(name: str) -> Crop:
    """The crop called ``name`` in :data:`CROPS`.

    Raises
    ------
    nexus.ParameterError
        An unknown crop, naming the known ones.

    Examples
    --------
    >>> crop("potatoes").P2O5_offtake_kg_t
    1.0
    """
    if name not in CROPS:
        raise ParameterError(
            f"crop = {name!r} is not a crop nexus has offtakes for; expected one of: "
            f"{', '.join(CROPS)}"
        )
    return CROPS[name]


def _amounts(
    N_kg: ArrayLike | None, P_kg: ArrayLike | None, K_kg: ArrayLike | None
) -> dict[str, FloatArray]:
    """The recovered amounts as float arrays, by element, leaving out those not recovered.

    Raises ParameterError for a negative amount (NaN passes and propagates).
    """
    out: dict[str, FloatArray] = {}
    for element, value in zip(NUTRIENTS, (N_kg, P_kg, K_kg), strict=True):
        if value is None:
            continue
        a = np.asarray(value, dtype=float)
        if np.any(a < 0):
            raise ParameterError(
                f"{element}_kg has a negative value; expected >= 0 kg (or None: not recovered)"
            )
        out[element] = a
    return out


def harvest_by_nutrient_t(
    N_kg: ArrayLike | None, P_kg: ArrayLike | None, K_kg: ArrayLike | None = None, *, crop: Crop
) -> dict[str, FloatArray]:
    """The crop each recovered nutrient alone covers the offtake of.

    Parameters
    ----------
    N_kg, P_kg, K_kg : array_like or None
        Nitrogen, phosphorus and potassium recovered [kg of the element], >= 0;
        None for a nutrient the district does not recover.
    crop : Crop
        The crop fertilized (:data:`CROPS`).

    Returns
    -------
    dict of str to numpy.ndarray
        By element, for the recovered ones only: amount / offtake per tonne [t of
        fresh product].

    Examples
    --------
    >>> by = harvest_by_nutrient_t(27.35, 0.0, None, crop=crop("potatoes"))
    >>> float(by["N"]), float(by["P"]), "K" in by
    (10.0, 0.0, False)
    """
    return {e: a / crop.offtake_kg_t(e) for e, a in _amounts(N_kg, P_kg, K_kg).items()}


def harvest_t(
    N_kg: ArrayLike | None, P_kg: ArrayLike | None, K_kg: ArrayLike | None = None, *, crop: Crop
) -> FloatArray:
    r"""The crop the recovered nutrients fully fertilize: its limiting nutrient decides.

    Parameters
    ----------
    N_kg, P_kg, K_kg : array_like or None
        Nitrogen, phosphorus and potassium recovered [kg of the element], >= 0
        (broadcast together); None for a nutrient not recovered, which mineral
        fertilizer then supplies (it does not limit the harvest).
    crop : Crop
        The crop fertilized (:data:`CROPS`).

    Returns
    -------
    numpy.ndarray
        Fresh harvested product [t]; NaN where an amount is NaN.

    Raises
    ------
    nexus.ParameterError
        A negative amount, or no nutrient recovered at all (every amount None).

    Notes
    -----
    .. math:: H = \min_{e \in \{N, P, K\},\ recovered} m_e / o_e

    with :math:`m_e` the recovered mass of element :math:`e` and :math:`o_e` the
    crop's offtake of it per tonne (P and K converted from the P2O5 and K2O of the
    tables with :data:`P2O5_PER_P`, :data:`K2O_PER_K`). Liebig's law of the minimum
    applied to replacing offtake: a harvest larger than :math:`H` would take more
    of the limiting nutrient from the soil than the district returns.

    Examples
    --------
    Struvite alone (N and P, no K): nitrogen limits potatoes.

    >>> round(float(harvest_t(255.0, 565.0, None, crop=crop("potatoes"))), 1)
    93.2
    """
    by = harvest_by_nutrient_t(N_kg, P_kg, K_kg, crop=crop)
    if not by:
        raise ParameterError(
            "harvest_t: no nutrient recovered (N_kg, P_kg and K_kg are all None); expected "
            "at least one amount"
        )
    values = np.broadcast_arrays(*by.values())
    return np.asarray(np.minimum.reduce(values), dtype=float)


def limiting_nutrient(
    N_kg: ArrayLike | None, P_kg: ArrayLike | None, K_kg: ArrayLike | None = None, *, crop: Crop
) -> np.ndarray:
    """The recovered nutrient that limits the harvest (:func:`harvest_t`), as its symbol.

    Parameters and raises as :func:`harvest_t`. Returns an array of ``"N"``, ``"P"``
    or ``"K"`` (the first in that order on a tie; ``""`` where an amount is NaN).

    Examples
    --------
    >>> str(limiting_nutrient(255.0, 565.0, None, crop=crop("potatoes")))
    'N'
    >>> str(limiting_nutrient(5000.0, 565.0, None, crop=crop("winter_wheat")))
    'P'
    """
    by = harvest_by_nutrient_t(N_kg, P_kg, K_kg, crop=crop)
    if not by:
        raise ParameterError(
            "limiting_nutrient: no nutrient recovered (N_kg, P_kg and K_kg are all None); "
            "expected at least one amount"
        )
    stacked = np.stack(np.broadcast_arrays(*by.values()))
    names = np.array(list(by))
    out = names[np.argmin(np.where(np.isnan(stacked), np.inf, stacked), axis=0)]
    return np.where(np.isnan(stacked).any(axis=0), "", out)


def people_fed(
    harvest_kg: ArrayLike, *, crop: Crop, food_energy_kcal_p_d: float = FOOD_ENERGY_kcal_p_d
) -> FloatArray:
    """The people whose food energy a yearly harvest supplies.

    Parameters
    ----------
    harvest_kg : array_like
        Fresh harvested product over a year [kg/yr], >= 0.
    crop : Crop
        The crop (its food energy per kg, ``Crop.energy_kcal_kg``).
    food_energy_kcal_p_d : float
        Food energy a person needs [kcal/(person d)]; default
        :data:`FOOD_ENERGY_kcal_p_d` (Cassidy et al. 2013).

    Returns
    -------
    numpy.ndarray
        People [-]: harvest x energy / (need x 365 d).

    Examples
    --------
    >>> round(float(people_fed(985_500 / 670.0, crop=crop("potatoes"))), 6)
    1.0
    """
    h = np.asarray(harvest_kg, dtype=float)
    if np.any(h < 0):
        raise ParameterError("harvest_kg has a negative value; expected >= 0 kg/yr")
    if not (math.isfinite(food_energy_kcal_p_d) and food_energy_kcal_p_d > 0):
        raise ParameterError(
            f"food_energy_kcal_p_d = {food_energy_kcal_p_d!r}; expected > 0 kcal/(person d)"
        )
    return h * crop.energy_kcal_kg / (food_energy_kcal_p_d * DAYS_PER_YEAR)


def fertilizer_value(
    N_kg: ArrayLike | None = None,
    P_kg: ArrayLike | None = None,
    K_kg: ArrayLike | None = None,
    *,
    prices: FertilizerPrices | None = None,
) -> FloatArray:
    """What the recovered nutrients would cost as mineral fertilizer.

    Parameters
    ----------
    N_kg, P_kg, K_kg : array_like or None
        Nitrogen, phosphorus and potassium recovered [kg of the element], >= 0;
        None (not recovered) counts as 0.
    prices : FertilizerPrices, optional
        Prices per kg N, P2O5 and K2O [EUR/kg]; default :class:`FertilizerPrices`.

    Returns
    -------
    numpy.ndarray
        Value [EUR]: N x price_N + P x 2.2914 x price_P2O5 + K x 1.2046 x price_K2O.

    Examples
    --------
    >>> float(fertilizer_value(10.0, 0.0, None))
    10.0
    >>> round(float(fertilizer_value(0.0, 1.0 / P2O5_PER_P)), 6)
    0.78
    """
    p = FertilizerPrices() if prices is None else prices
    by = _amounts(N_kg, P_kg, K_kg)
    per_kg = {"N": p.N_per_kg, "P": P2O5_PER_P * p.P2O5_per_kg, "K": K2O_PER_K * p.K2O_per_kg}
    total: FloatArray = np.asarray(0.0)
    for element, amount in by.items():
        total = total + amount * per_kg[element]
    return np.asarray(total, dtype=float)


def _joined(elements: Iterable[str]) -> str:
    """``"N"``, ``"N and P"``, ``"N, P and K"``."""
    items = list(elements)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def food_kpis(
    recovered_kg_yr: Mapping[str, float | None],
    *,
    crops: Iterable[Crop] | None = None,
    prices: FertilizerPrices | None = None,
) -> dict[str, float]:
    """The district's yearly food and fertilizer-value key figures.

    Parameters
    ----------
    recovered_kg_yr : mapping of str to float or None
        Nutrients recovered for farms over a year, by element (``"N"``, ``"P"``,
        ``"K"``) [kg/yr]; None or missing for a nutrient no unit recovers.
    crops : iterable of Crop, optional
        Default every crop of :data:`CROPS`.
    prices : FertilizerPrices, optional
        Default :class:`FertilizerPrices`.

    Returns
    -------
    dict of str to float
        Empty if no nutrient is recovered; else, by plain-language name ending with
        its unit: the fertilizer value of the recovered nutrients [EUR/yr] and, for
        each crop, the harvest the recovered nutrients fully fertilize [kg/yr] (the
        name says which nutrients mineral fertilizer must supply) and the people
        whose food energy it supplies [people].

    Examples
    --------
    >>> kpis = food_kpis({"N": 255.0, "P": 565.0}, crops=[crop("potatoes")])
    >>> for name, value in kpis.items():
    ...     print(f"{name}: {value:,.0f}")
    fertilizer value of the recovered nutrients, at Dutch mineral-fertilizer prices [EUR/yr]: 1,265
    food grown: potatoes, fully fertilized by the recovered N and P (K from mineral fertilizer) [kg/yr]: 93,236
    food grown: potatoes, people fed (food energy at 2,700 kcal a day) [people]: 63
    """
    amounts = {e: recovered_kg_yr.get(e) for e in NUTRIENTS}
    recovered = [e for e in NUTRIENTS if amounts[e] is not None]
    if not recovered:
        return {}
    missing = [e for e in NUTRIENTS if amounts[e] is None]
    N, P, K = (amounts[e] for e in NUTRIENTS)
    out = {
        "fertilizer value of the recovered nutrients, at Dutch mineral-fertilizer prices "
        "[EUR/yr]": float(fertilizer_value(N, P, K, prices=prices))
    }
    bought = f" ({_joined(missing)} from mineral fertilizer)" if missing else ""
    for c in CROPS.values() if crops is None else crops:
        kg = float(harvest_t(N, P, K, crop=c)) * 1000.0
        out[
            f"food grown: {c.plain}, fully fertilized by the recovered {_joined(recovered)}"
            f"{bought} [kg/yr]"
        ] = kg
        out[
            f"food grown: {c.plain}, people fed (food energy at "
            f"{FOOD_ENERGY_kcal_p_d:,.0f} kcal a day) [people]"
        ] = float(people_fed(kg, crop=c))
    return out


def harvest_table(
    recovered_kg_yr: Mapping[str, float | None], *, crops: Iterable[Crop] | None = None
) -> pd.DataFrame:
    """Per crop: the harvest the recovered nutrients fully fertilize, what limits it, whom
    it feeds, and what each nutrient alone would cover.

    Parameters
    ----------
    recovered_kg_yr : mapping of str to float or None
        As :func:`food_kpis`.
    crops : iterable of Crop, optional
        Default every crop of :data:`CROPS`.

    Returns
    -------
    pandas.DataFrame
        Indexed by crop name, columns ``harvest_kg_yr``, ``limiting_nutrient``,
        ``people_fed`` and ``by_N_kg_yr``, ``by_P_kg_yr``, ``by_K_kg_yr`` (NaN for a
        nutrient not recovered).

    Raises
    ------
    nexus.ParameterError
        No nutrient recovered.
    """
    import pandas as pd

    N, P, K = (recovered_kg_yr.get(e) for e in NUTRIENTS)
    rows = {}
    for c in CROPS.values() if crops is None else crops:
        by = harvest_by_nutrient_t(N, P, K, crop=c)
        kg = float(harvest_t(N, P, K, crop=c)) * 1000.0
        rows[c.name] = {
            "harvest_kg_yr": kg,
            "limiting_nutrient": str(limiting_nutrient(N, P, K, crop=c)),
            "people_fed": float(people_fed(kg, crop=c)),
            **{f"by_{e}_kg_yr": float(by[e]) * 1000.0 if e in by else np.nan for e in NUTRIENTS},
        }
    return pd.DataFrame.from_dict(rows, orient="index")
