"""Food waste to poultry feed (ecofeed) and feed to eggs.

Japan gives feed priority among the uses of recycled food waste ("priority is
given to 'making feedstuff'": JW Net, Industrial Waste Close-up 2009.10, on the
Food Recycling Law), and the feed is made in two ways ("Eco-Feeds in Japan", FFTC Agricultural
Policy Platform 2021 [1]_): **dehydration** (drying) gives a dry
feed that farmers feed "without modifying the feeding system" and that can
go into concentrate feeds; **liquid feeding** keeps the water, is preserved
by lactic fermentation and "is mainly for pigs". Meat-containing feed must
be heat-treated before it is fed to pigs and poultry.

The unit type ``feed_plant`` (:class:`FeedPlantType`) takes collected food
waste (a ``cosubstrate`` source, :mod:`nexus.cosubstrates`) at its inlet
``in`` and gives feed at its outlet ``feed``; ``process`` is ``"drying"`` or
``"liquid"``. Per hour:

- **drying**: the dry matter (the stream's ``TSS``) is all kept; water is
  evaporated down to the feed's moisture ``feed_moisture_frac``
  (:func:`drying_water_evaporated_kg_h`), and the dryer needs the latent heat
  of that water divided by its thermal efficiency (process heat through the
  inlet ``heat``; what no connection gives is backup heat);
- **liquid**: nothing is evaporated; the whole waste is heated to
  ``sterilize_T_C`` (:func:`sterilization_heat_kW`), and leaves as liquid feed
  at the temperature it came (the heat goes to the air with the cooling);
- both draw ``electricity_kWh_t`` per tonne of waste (shredding, mixing,
  conveying) through the inlet ``power``.

Balances close every hour by construction: water in = feed water out + water
evaporated (``water_lost_m3_h``); every element stays in the feed; energy:
sensible heat in + heat + electricity = sensible heat of the feed + heat lost
(to the air with the vapour and the cooling). Wet mass (water plus dry
matter, the stream's volume at the density of water, as a ``cosubstrate``
source carries it) in = feed out + water evaporated.

The nutritional value of the feed is reported, not assumed: crude protein =
6.25 x its organic N (the Jones factor, as :mod:`nexus.cosubstrates` reads
protein), and metabolizable energy from its protein, lipid and carbohydrate
by the Atwater general factors (4, 9 and 4 kcal/g: FAO 2003 [2]_). The Atwater
factors are for people; a hen's metabolizable energy of the same feed was not
retrieved, so this is the feed's energy on the human basis, reported as such.
COD of unknown make-up (``COD_x``) and inerts count towards neither.

The sink type ``egg_farm`` (:class:`EggFarmType`) receives feed and lays
eggs at a feed conversion ratio (kg feed per kg eggs, for a complete layer
feed as fed): the feed's dry matter stands for ``feed_DM_frac`` of its mass
as fed. Its key figures are the eggs a year and the people whose egg
consumption they supply (Japan's per-capita consumption). It refuses feed of
less than 50 % dry matter (liquid feed: hens are not fed it, [1]_); the check
is on the mixed feed it receives. Food waste feed is an incomplete
feed (Siddique et al. 2024 review: most studies of monogastrics found it
needed supplementing), so the eggs are those the feed's dry matter stands
for in a complete ration, not eggs from food waste alone.

Every default below names its source; what no retrieved source gave is
marked ASSUMPTION. No published energy-per-tonne table of a Japanese feed
plant could be retrieved here (Sugiura et al. 2009 and Takata et al. 2012
were found only as abstracts), so the heat follows from the physics (latent
heat, thermal efficiency of industrial dryers); see
``tests/validation/test_feed_plant_validation.py``.

References
----------
.. [1] Eco-Feeds in Japan (2021). FFTC Agricultural Policy Platform, article
   2794, University of Miyazaki (the author's name was not retrieved),
   https://ap.fftc.org.tw/article/2794.
.. [2] FAO (2003). Food energy - methods of analysis and conversion factors.
   FAO Food and Nutrition Paper 77, Rome (chapter 3, energy conversion factors).
.. [3] Gong, Z.-X., Stanovsky, J. & Mujumdar, A. S. Energy audit of a
   fiberboard drying production line using Simprosys software ("industrial
   dryer efficiencies ranging from just 30 to 60 percent").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nexus.components import INDEX
from nexus.constants import HOURS_PER_YEAR, CV_WATER_kWh_m3K, MJ_PER_kWh, RHO_WATER_kg_m3
from nexus.costs import SOLD_PER_T
from nexus.cosubstrates import COD_PER_G, PROTEIN_PER_N
from nexus.errors import ParameterError
from nexus.registry import (
    NodeInputs,
    NodeResult,
    Output,
    Port,
    Ratio,
    SinkType,
    Size,
    UnitType,
    register,
)
from nexus.streams import Stream
from nexus.units.params import Params, choice, field

if TYPE_CHECKING:
    from nexus._typing import FloatArray
    from nexus.indicators import NodeView
    from nexus.optimize.maps import Column, SampleContext
    from nexus.optimize.model import BuildContext

__all__ = [
    "PROCESSES",
    "EggFarmParams",
    "EggFarmType",
    "FeedPlantParams",
    "FeedPlantType",
    "FeedResult",
    "LATENT_HEAT_kJ_kg",
    "drying_water_evaporated_kg_h",
    "eggs_kg_h",
    "make_feed",
    "sterilization_heat_kW",
]

log = logging.getLogger(__name__)

#: Feed-making processes (FFTC 2021: dehydration and liquid feeding).
PROCESSES = ("drying", "liquid")
#: Latent heat of vaporization of water at 100 degC [kJ/kg] (IAPWS-IF97 steam tables).
LATENT_HEAT_kJ_kg = 2257.0
#: Atwater general factors [kJ/g]: 4, 9, 4 kcal/g (FAO 2003, chapter 3) x 4.184 kJ/kcal.
ATWATER_kJ_g = {"protein": 4.0 * 4.184, "lipid": 9.0 * 4.184, "carbohydrate": 4.0 * 4.184}

_FFTC = "Eco-Feeds in Japan (2021), FFTC Agricultural Policy Platform article 2794"


@dataclass(frozen=True, kw_only=True)
class FeedPlantParams(Params):
    """A food-waste-to-feed plant: process, capacity, what it needs per tonne."""

    process: str = choice(
        "drying",
        choices=PROCESSES,
        source=f"{_FFTC}: dehydration and liquid feeding are the major technologies",
        doc="how the feed is made: 'drying' (dry feed) or 'liquid' (liquid fermented feed)",
    )
    capacity_t_d: float = field(
        0.0,
        unit="t d-1",
        low=0.0,
        high=1e4,
        source="design variable (district file or optimizer)",
        doc="food waste (wet) the plant takes a day",
    )
    feed_moisture_frac: float = field(
        0.12,
        unit="1",
        low=0.0,
        high=0.5,
        source="ASSUMPTION: a dry feed stored like compound feed (no retrieved source gave the "
        "moisture of dried ecofeed)",
        doc="moisture of the dried feed (wet basis; drying only)",
    )
    dryer_efficiency_frac: float = field(
        0.45,
        unit="1",
        low=0.2,
        high=0.9,
        source="midpoint of 'industrial dryer efficiencies ranging from just 30 to 60 percent' "
        "(Gong, Stanovsky & Mujumdar, Simprosys energy audit)",
        doc="latent heat of the water evaporated / heat the dryer uses",
    )
    sterilize_T_C: float = field(
        90.0,
        unit="degC",
        low=60.0,
        high=100.0,
        source=f"ASSUMPTION: {_FFTC} says meat-containing feed is heat-treated and the "
        "conditions were made stricter; the temperature itself was not retrieved",
        doc="temperature the liquid feed is heated to (liquid only)",
    )
    electricity_kWh_t: float = field(
        50.0,
        unit="kWh t-1",
        low=0.0,
        high=500.0,
        source="ASSUMPTION: no retrieved inventory gave a feed plant's electricity per tonne",
        doc="electricity per tonne of food waste (shredding, mixing, conveying)",
    )


class FeedResult(NamedTuple):
    """Result of :func:`make_feed`; flows are hourly means."""

    feed: Stream  #: the feed leaving the plant
    waste_kg_h: FloatArray  #: food waste taken (wet) [kg h-1]
    evaporated_kg_h: FloatArray  #: water evaporated [kg h-1]
    heat_kW: FloatArray  #: process heat needed [kW]
    electricity_kW: FloatArray  #: electricity drawn [kW]
    crude_protein_kg_h: FloatArray  #: crude protein in the feed [kg h-1]
    ME_kW: FloatArray  #: metabolizable energy of the feed, Atwater basis [kW]


def drying_water_evaporated_kg_h(
    wet_kg_h: FloatArray, DM_kg_h: FloatArray, feed_moisture_frac: float
) -> FloatArray:
    """Water a dryer evaporates to bring food waste to the feed's moisture.

    Parameters
    ----------
    wet_kg_h, DM_kg_h : numpy.ndarray
        Wet mass and dry matter of the waste [kg h-1].
    feed_moisture_frac : float
        Moisture of the feed, wet basis [-], < 1.

    Returns
    -------
    numpy.ndarray
        ``max(wet - DM / (1 - moisture), 0)`` [kg h-1]: nothing where the waste
        is drier than the feed.

    Examples
    --------
    >>> float(drying_water_evaporated_kg_h(np.array([1000.0]), np.array([300.0]), 0.25)[0])
    600.0
    """
    return np.maximum(wet_kg_h - DM_kg_h / (1.0 - feed_moisture_frac), 0.0)


def sterilization_heat_kW(wet_kg_h: FloatArray, T_in_C: FloatArray, T_C: float) -> FloatArray:
    """Heat to bring the waste to ``T_C`` [kW], at the heat capacity of water.

    Parameters
    ----------
    wet_kg_h : numpy.ndarray
        Wet mass [kg h-1].
    T_in_C : numpy.ndarray
        Temperature as delivered [degC].
    T_C : float
        Temperature to reach [degC].

    Returns
    -------
    numpy.ndarray
        ``wet / rho * cv * max(T - T_in, 0)`` [kW]; no heat recovered.
    """
    return wet_kg_h / RHO_WATER_kg_m3 * CV_WATER_kWh_m3K * np.maximum(T_C - T_in_C, 0.0)


def make_feed(waste: Stream, params: FeedPlantParams) -> FeedResult:
    """Feed from food waste, per hour (module docstring).

    Parameters
    ----------
    waste : Stream
        The food waste reaching the plant; its ``TSS`` is the dry matter.
    params : FeedPlantParams

    Returns
    -------
    FeedResult
    """
    wet = waste.flow_m3_h * RHO_WATER_kg_m3
    loads = waste.loads_kg_h
    if params.process == "drying":
        evaporated = drying_water_evaporated_kg_h(
            wet, loads[:, INDEX["TSS"]], params.feed_moisture_frac
        )
        heat = evaporated * LATENT_HEAT_kJ_kg / params.dryer_efficiency_frac / (MJ_PER_kWh * 1e3)
    else:
        evaporated = np.zeros_like(wet)
        heat = sterilization_heat_kW(wet, waste.T_C, params.sterilize_T_C)
    feed = Stream((wet - evaporated) / RHO_WATER_kg_m3, waste.T_C.copy(), loads.copy())
    protein = PROTEIN_PER_N * loads[:, INDEX["Norg_N"]]
    lipid = loads[:, INDEX["COD_li"]] / COD_PER_G["lipid"]
    carbohydrate = loads[:, INDEX["COD_ch"]] / COD_PER_G["carbohydrate"]
    a = ATWATER_kJ_g
    # kJ/g x kg/h = MJ/h
    ME = (
        a["protein"] * protein + a["lipid"] * lipid + a["carbohydrate"] * carbohydrate
    ) / MJ_PER_kWh
    return FeedResult(
        feed=feed,
        waste_kg_h=wet,
        evaporated_kg_h=evaporated,
        heat_kW=heat,
        electricity_kW=wet * params.electricity_kWh_t / 1e3,
        crude_protein_kg_h=protein,
        ME_kW=ME,
    )


class FeedPlantType(UnitType):
    """A plant turning collected food waste into dry or liquid feed."""

    name = "feed_plant"
    description = (
        "food waste to feed (ecofeed): drying or liquid fermentation, heat and electricity per "
        "tonne, feed yield and its crude protein and energy"
    )
    ports = (
        Port("in", "water", "in"),
        Port("feed", "water", "out"),
        Port("power", "electricity", "in"),
        Port("heat", "heat", "in", required=False, takes=("process",)),
    )
    params = FeedPlantParams
    sizes = (Size("capacity_t_d"),)
    routable_inlets = ("in",)
    outputs = (
        Output("food_waste_in_kg_h", "kg h-1", "food waste taken (wet)", annual="food waste"),
        Output("feed_out_kg_h", "kg h-1", "feed made (as fed)", annual="feed made"),
        Output("water_evaporated_kg_h", "kg h-1", "water evaporated", annual="water evaporated"),
        Output("feed_heat_demand_kW", "kW", "process heat to dry or sterilize", annual="heat used"),
        Output("electricity_use_kW", "kW", "electricity drawn", annual="electricity used"),
        Output(
            "feed_crude_protein_kg_h",
            "kg h-1",
            "crude protein in the feed (6.25 x organic N)",
            annual="crude protein in feed",
        ),
        Output(
            "feed_ME_kW",
            "kW",
            "metabolizable energy of the feed (Atwater factors, human basis)",
            annual="feed energy (Atwater)",
        ),
        Output("feed_plant_overloaded", "1", "1 in an hour above the plant's daily capacity"),
    )
    ratios = (
        Ratio(
            "heat per tonne of food waste",
            "kWh/t",
            "feed_heat_demand_kW",
            "food_waste_in_kg_h",
            factor=1e3,
        ),
        Ratio("feed per tonne of food waste", "kg/t", "feed_out_kg_h", "food_waste_in_kg_h", 1e3),
    )

    def run(self, params: FeedPlantParams, inputs: NodeInputs) -> NodeResult:
        """:func:`make_feed` on the inlet's waste; balances booked (module docstring)."""
        waste = inputs.inlets["in"]
        r = make_feed(waste, params)
        over = r.waste_kg_h * 24.0 > params.capacity_t_d * 1e3 * (1.0 + 1e-9)
        if over.any():
            log.warning(
                "feed plant (%g t/d) takes more than its capacity in %d hours of %d (up to "
                "%.3g t/d); see output feed_plant_overloaded",
                params.capacity_t_d,
                int(over.sum()),
                over.size,
                float(r.waste_kg_h.max()) * 24e-3,
            )
        return NodeResult(
            outlets={"feed": r.feed},
            demand_kW={"heat": r.heat_kW},
            draw_kW={"power": r.electricity_kW},
            water_lost_m3_h=r.evaporated_kg_h / RHO_WATER_kg_m3,
            heat_loss_kW=waste.heat_kW - r.feed.heat_kW + r.heat_kW + r.electricity_kW,
            outputs={
                "food_waste_in_kg_h": r.waste_kg_h,
                "feed_out_kg_h": r.feed.flow_m3_h * RHO_WATER_kg_m3,
                "water_evaporated_kg_h": r.evaporated_kg_h,
                "feed_heat_demand_kW": r.heat_kW,
                "electricity_use_kW": r.electricity_kW,
                "feed_crude_protein_kg_h": r.crude_protein_kg_h,
                "feed_ME_kW": r.ME_kW,
                "feed_plant_overloaded": over.astype(float),
            },
        )

    def sample(self, ctx: SampleContext, columns: list[Column]) -> dict[str, FloatArray]:
        """Waste, heat and electricity of each column's feed (the routes it receives).

        Returns ``food_waste_in_kg_h``, ``feed_out_kg_h``, ``feed_heat_demand_kW`` and
        ``electricity_use_kW``, (columns, time); the feed of each column is kept
        for the units downstream.
        """
        runs = [make_feed(c.inputs.inlets["in"], c.params) for c in columns]
        ctx.keep_outlets("feed", [r.feed for r in runs])
        return {
            "food_waste_in_kg_h": np.stack([r.waste_kg_h for r in runs]),
            "feed_out_kg_h": np.stack([r.feed.flow_m3_h * RHO_WATER_kg_m3 for r in runs]),
            "feed_heat_demand_kW": np.stack([r.heat_kW for r in runs]),
            "electricity_use_kW": np.stack([r.electricity_kW for r in runs]),
        }

    def build(self, ctx: BuildContext) -> None:
        r"""The plant takes what the chosen routes bring, within its capacity.

        Symbols: ``waste[t]``, ``heat[t]``, ``electricity[t]``: the sampled series
        of the columns (route subsets) mixed by their weights. Constraint
        ``feed_plant_capacity``: :math:`24\, waste_t \le 1000\, capacity` for every
        t (a chosen capacity; the capital cost of ``[optimize.design]``, fixed
        plus per t/d, is the plant's economy of scale). Heat is process heat
        (backup where no connection gives it), electricity is drawn. The feed
        ``feed[t]`` [kg/h] is sold at ``[optimize.prices] feed_per_t`` (item
        ``products_sold``, :data:`nexus.costs.SOLD_PER_T`): what it saves of bought
        compound feed.
        """
        waste = ctx.mixed("food_waste_in_kg_h", "kg/h")
        feed = ctx.mixed("feed_out_kg_h", "kg/h")
        heat = ctx.mixed("feed_heat_demand_kW", "kW")
        electricity = ctx.mixed("electricity_use_kW", "kW")
        if ctx.fixed("capacity_t_d") is None:
            per_hour = np.full(ctx.n_time, 1e3 / 24.0)  # kg/h per t/d
            holds = (ctx.size("capacity_t_d") * per_hour).scaled(unit="kg/h/(t/d)")
            ctx.constrain("capacity", waste <= holds, "the capacity takes the waste")
        ctx.demand("power", electricity)
        ctx.demand("heat", heat, unmet="heat_backup_kW")
        feed_t_h = (feed * 1e-3).scaled(unit="t/kg")
        ctx.cost("products_sold", -feed_t_h, price=SOLD_PER_T["feed_out_kg_h"])
        ctx.report("food_waste_in_kg_h", waste)
        ctx.report("feed_out_kg_h", feed)
        ctx.report("feed_heat_demand_kW", heat)
        ctx.report("electricity_use_kW", electricity)


# ------------------------------------------------------------------------- egg farm


@dataclass(frozen=True, kw_only=True)
class EggFarmParams(Params):
    """Laying hens fed the plant's feed."""

    FCR_kg_kg: float = field(
        2.108,
        unit="kg kg-1",
        low=1.5,
        high=3.0,
        source="Korean J. Poult. Sci. 51(4):187, Table 1: FCR 2.108 g feed/g egg in furnished "
        "cages (1.857 in density-enhanced conventional cages); 'a value of 2.2 or less is "
        "advantageous' (e-course 'Feed efficiency', ecoursesonline.iasri.res.in)",
        doc="feed conversion ratio: complete layer feed as fed per egg mass",
    )
    feed_DM_frac: float = field(
        0.88,
        unit="1",
        low=0.5,
        high=1.0,
        source="ASSUMPTION: dry matter of a complete layer feed as fed (not retrieved)",
        doc="dry matter of the complete feed the FCR is stated for",
    )
    eggs_kg_per_person_yr: float = field(
        17.5,
        unit="kg yr-1",
        low=1.0,
        high=40.0,
        source="Japan: 17.5 kg of egg a person a year, directly and in products, 347 eggs "
        "in 2019 (Veterinaria Digital, 'Egg production in Japan continues growing "
        "positively', year not stated)",
        doc="egg consumption per person a year",
    )


def eggs_kg_h(feed_DM_kg_h: FloatArray, params: EggFarmParams) -> FloatArray:
    """Eggs the feed's dry matter stands for in a complete ration [kg h-1].

    ``DM / feed_DM_frac / FCR``: the feed replaces that much complete feed as
    fed (module docstring).

    Examples
    --------
    >>> float(eggs_kg_h(np.array([88.0]), EggFarmParams(FCR_kg_kg=2.0))[0])
    50.0
    """
    return feed_DM_kg_h / params.feed_DM_frac / params.FCR_kg_kg


class EggFarmType(SinkType):
    """Laying hens fed dry feed; eggs go back to the shops."""

    name = "egg_farm"
    description = "laying hens fed dry feed: eggs at a feed conversion ratio, people supplied"
    ports = (Port("in", "water", "in"),)
    params = EggFarmParams
    fed_by = {"in": ("feed_plant",)}
    outputs = (
        Output("eggs_kg_h", "kg h-1", "eggs laid on the feed received", annual="eggs"),
        Output("feed_DM_in_kg_h", "kg h-1", "dry matter of the feed received", annual="feed DM"),
        Output(
            "egg_people_supplied",
            "1",
            "people whose egg consumption the hour's eggs supply, at that rate all year",
        ),
    )

    def run(self, params: EggFarmParams, inputs: NodeInputs) -> NodeResult:
        """Eggs from the feed's dry matter (:func:`eggs_kg_h`).

        Raises
        ------
        nexus.ParameterError
            The feed is liquid (its dry matter below half its mass): hens are not fed
            liquid feed (module docstring).
        """
        feed = inputs.inlets["in"]
        DM = feed.loads_kg_h[:, INDEX["TSS"]]
        wet = feed.flow_m3_h * RHO_WATER_kg_m3
        if (DM < 0.5 * wet).any():
            raise ParameterError(
                "the egg farm receives feed with less than 50 % dry matter (a liquid feed); "
                "expected dry feed: liquid feeding is for pigs (FFTC 2021), so connect "
                "a feed plant with process = 'drying'"
            )
        eggs = eggs_kg_h(DM, params)
        return NodeResult(
            outputs={
                "eggs_kg_h": eggs,
                "feed_DM_in_kg_h": DM,
                "egg_people_supplied": eggs * HOURS_PER_YEAR / params.eggs_kg_per_person_yr,
            }
        )

    def kpis(self, node: NodeView) -> dict[str, float]:
        """Eggs and feed a year, and the people whose egg consumption the eggs supply."""
        out = super().kpis(node)
        supplied = node.total("egg_people_supplied") / HOURS_PER_YEAR  # mean over the year
        out[node.label("people's egg consumption supplied", "people")] = supplied
        return out


register(FeedPlantType())
register(EggFarmType())
