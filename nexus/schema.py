"""The district file schema, validated with pydantic.

Each table of a district TOML file has a model here; every model forbids
unknown keys and non-finite numbers and is strict about types. Unit
parameters are not repeated here: their models are derived from the unit's
parameter dataclass (:func:`params_model`), so the range, unit and source of a
parameter live in one place, next to the physics.

pydantic is used (not hand-written checks) because it reports every error
with its exact location in the nested data, which is what a practitioner
needs to find the offending key in a file.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

__all__ = [
    "CONFIG",
    "OBJECTIVES",
    "DesignSize",
    "DistrictFile",
    "Households",
    "LoadsPerCapita",
    "Objective",
    "Optimize",
    "Prices",
    "params_model",
    "priced_per",
]

#: Strict types, no unknown keys, no NaN or infinity, immutable.
CONFIG = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

NonNeg = Annotated[float, Field(ge=0.0)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
WaterTemperature = Annotated[float, Field(ge=0.0, le=70.0)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class Model(BaseModel):
    """Base of every district-file table."""

    model_config = CONFIG


class DistrictInfo(Model):
    """``[district]``: name and simulation settings."""

    name: str = Field(description="district name")
    description: str = Field("", description="one-line description")
    year: int = Field(2025, ge=1900, le=2100, description="calendar year of the hourly axis")
    seed: int = Field(0, ge=0, description="seed of the random household profiles")
    currency: str = Field(
        "EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217 code of every price in the file"
    )


class Weather(Model):
    """``[weather]``: the default Amsterdam typical year, or an hourly CSV."""

    file: str | None = Field(
        None, description="hourly CSV with columns time and T_out_C, relative to the district file"
    )


class WaterUse(Model):
    """Per-capita water use by end use [L/(person d)] and kitchen waste [kg/(person d)]."""

    shower_L_p_d: NonNeg
    washbasin_L_p_d: NonNeg
    kitchen_L_p_d: NonNeg
    laundry_L_p_d: NonNeg
    blackwater_L_p_d: NonNeg
    kitchen_waste_kg_p_d: NonNeg


class DrainTemperatures(Model):
    """Temperatures of the household water at its point of use and at the drain."""

    shower_use_T_C: WaterTemperature = Field(description="mixed water at the shower head [°C]")
    shower_drain_loss_frac: Fraction = Field(
        description="share of the shower water's heat above the mains lost before the drain [-]"
    )
    washbasin_use_T_C: WaterTemperature = Field(
        description="washbasin water at the tap and the drain [°C]"
    )
    kitchen_drain_T_C: WaterTemperature
    laundry_drain_T_C: WaterTemperature
    blackwater_T_C: WaterTemperature


def _known_climate(name: str) -> str:
    from nexus.weather import reference_climates

    known = reference_climates()
    if name not in known:
        raise ValueError(
            f"{name!r} is not a reference climate; expected one of: {', '.join(known)}"
        )
    return name


class EnergyDemand(Model):
    """Heat and electricity demand of the households.

    The two heat demands are given for a reference climate and follow the
    weather: space heating by degree days, hot water by the mains temperature
    (:func:`nexus.sources.household_profiles`).
    """

    reference_climate: Annotated[str, AfterValidator(_known_climate)] = Field(
        description="climate the reference demands are given for (nexus.weather.reference_climates)"
    )
    space_heating_ref_kWh_home_yr: NonNeg = Field(
        description="space heating per home in a year of the reference climate [kWh]"
    )
    heating_base_T_C: float = Field(ge=0.0, le=30.0)
    dhw_ref_kWh_p_yr: NonNeg = Field(
        description="hot water per person at the reference climate's mains temperature [kWh]"
    )
    ev_kWh_home_yr: NonNeg


class LoadsPerCapita(Model):
    """Per-capita loads of one household stream [g/(person d)] and its fractions."""

    COD_g_p_d: NonNeg
    COD_soluble_frac: Fraction
    N_g_p_d: NonNeg
    NH4_N_frac: Fraction
    P_g_p_d: NonNeg
    PO4_P_frac: Fraction
    K_g_p_d: NonNeg
    Mg_g_p_d: NonNeg
    Ca_g_p_d: NonNeg
    Na_g_p_d: NonNeg
    Cl_g_p_d: NonNeg
    alkalinity_g_HCO3_p_d: NonNeg
    TSS_g_p_d: NonNeg


class TapWater(Model):
    """Drinking-water composition added to every household water stream [mg/L]."""

    K_mg_L: NonNeg
    Mg_mg_L: NonNeg
    Ca_mg_L: NonNeg
    Na_mg_L: NonNeg
    Cl_mg_L: NonNeg
    alkalinity_mg_L_HCO3: NonNeg


class Households(Model):
    """``[sources.NAME]`` of type ``households``: residents and per-capita loads."""

    # At most ten million: more than any city district (a whole city of that size is
    # larger than any district nexus models); 1e300 residents in 20 homes ran to a
    # result of 1e299 MWh/yr that no one could have meant.
    residents: Annotated[float, Field(ge=0.0, le=1e7)]
    homes: Annotated[float, Field(ge=0.0, le=1e7)]
    noise_frac: Annotated[float, Field(ge=0.0, le=1.0)]
    water: WaterUse
    temperatures: DrainTemperatures
    energy: EnergyDemand
    tap_water: TapWater
    greywater: LoadsPerCapita
    blackwater: LoadsPerCapita
    kitchen_waste: LoadsPerCapita


class DesignSize(Model):
    """``[optimize.design.UNIT.SIZE]``: a size the optimizer chooses, with its cost."""

    min: NonNeg = Field(0.0, description="smallest size if built [unit of the size]")
    max: float = Field(gt=0.0, description="largest size [unit of the size]")
    # at most 1e12 (a trillion in the district's currency): no unit of a district costs
    # more, and larger coefficients leave the solver's numerics (HiGHS reads 1e20 as infinite)
    capex_fixed: float = Field(
        0.0, ge=0.0, le=1e12, description="capital cost if built at all [currency]"
    )
    capex_per_unit: float = Field(
        ge=0.0, le=1e12, description="capital cost per unit of size [currency]"
    )
    lifetime_yr: float = Field(
        ge=1.0, le=100.0, description="economic lifetime [yr], at least a year (costs are per year)"
    )
    source: str = Field(min_length=1, description="where the costs come from")

    @property
    def smallest(self) -> float:
        """The smallest size the optimizer offers if built: ``min``, or a tenth of ``max``
        where ``min`` is 0 (the optimizer samples its maps from there; ``nexus validate``
        checks a unit can run there)."""
        return self.min if self.min > 0 else self.max / 10.0


class Prices(Model):
    """``[optimize.prices]``: prices of what the district buys and sells, per what each
    key names last (:func:`priced_per`): [currency/kWh] or [currency/t]."""

    electricity_import_per_kWh: NonNeg = Field(description="electricity bought from the grid")
    electricity_export_per_kWh: NonNeg = Field(0.0, description="electricity sold to the grid")
    heat_backup_per_kWh: NonNeg = Field(description="heat from the backup (gas boilers)")
    feed_per_t: NonNeg = Field(
        0.0,
        description="feed a feed plant makes, as fed: the compound feed it replaces [currency/t]",
    )
    source: str = Field(min_length=1, description="where the prices come from")


def priced_per(key: str) -> str:
    """The unit a price of ``[optimize.prices]`` is per: its key's last part.

    Examples
    --------
    >>> priced_per("heat_backup_per_kWh"), priced_per("feed_per_t")
    ('kWh', 't')
    """
    return key.rsplit("_per_", 1)[1]


class Emissions(Model):
    """``[emissions]``: CO2 factors of the energy the district buys or displaces.

    No defaults: the factors depend on the country and the year, so the district file
    gives them with their source (a simulation without this table reports no CO2).
    """

    electricity_kg_per_kWh: NonNeg = Field(
        description="CO2 of grid electricity, bought or displaced by electricity sold [kg/kWh]"
    )
    heat_kg_per_kWh: NonNeg = Field(
        description="CO2 of the backup heat (e.g. gas boilers), bought or displaced by heat "
        "the district's units deliver [kg/kWh of heat]"
    )
    source: str = Field(min_length=1, description="where the factors come from")


class Route(Model):
    """``[[optimize.routes]]``: where a water outlet may be sent, the optimizer chooses.

    The file's own connection from ``outlet`` must lead to one of ``to``; the
    simulation of the chosen design uses the route the optimizer picked.
    """

    outlet: str = Field(pattern=r"^\w+\.\w+$", description="'node.port' of a water outlet")
    to: list[Annotated[str, Field(pattern=r"^\w+\.\w+$")]] = Field(
        min_length=2,
        description="candidate 'unit.port' water inlets (of units whose type declares them "
        "routable: digesters, feed plants)",
    )
    distance_km: list[NonNeg] = Field(min_length=2, description="distance to each candidate")
    loss_frac: list[Fraction] = Field(
        default_factory=list,
        description="share of the water, and all it carries, lost on the way to each candidate "
        "(spills, drained leachate) [-]; default none",
    )
    mode: Literal["truck", "pipe"] = Field("truck", description="how the water travels")

    def km_to(self, target: str) -> float:
        """Distance to the candidate ``target`` ('unit.port') [km]."""
        return float(self.distance_km[self.to.index(target)])

    def loss_to(self, target: str) -> float:
        """Share lost on the way to the candidate ``target`` ('unit.port') [-]."""
        return float(self.loss_frac[self.to.index(target)]) if self.loss_frac else 0.0


class TransportMode(Model):
    """Cost and energy of moving water one km."""

    cost_per_m3_km: NonNeg = Field(description="cost per m3 per km [currency]")
    kWh_per_m3_km: NonNeg = Field(description="energy per m3 per km (fuel or pumping) [kWh]")


class Transport(Model):
    """``[optimize.transport]``: cost and energy of routes, per mode."""

    truck: TransportMode | None = None
    pipe: TransportMode | None = None
    source: str = Field(min_length=1, description="where the figures come from")


@dataclasses.dataclass(frozen=True)
class Objective:
    """An objective of the optimizer.

    Attributes
    ----------
    sense : {"max", "min"}
    expression : str
        Name of the model's Expression and of the result variable; its
        eps-constraint bounds are the model's Params ``min_<expression>`` and
        ``max_<expression>`` (the file's targets ``min_energy_kWh_yr`` ...).
    trade_off : str
        The objective a Pareto front trades it against.
    plain : str
        Plain-language name.
    units : str
        Units of the expression (``{currency}`` for the district's currency).
    nonnegative : bool
        The quantity cannot be negative (a mass recovered), so neither can its targets.
    """

    sense: str
    expression: str
    trade_off: str
    plain: str
    units: str
    nonnegative: bool = False


#: Objectives of the optimizer, by name. Phosphorus (``nutrients``) and nitrogen are
#: separate objectives, each with its own targets (``min_P_kg_yr``, ``min_N_kg_yr``), not
#: one weighted sum: a kg of N and a kg of P are not worth the same to a farm nor equally
#: scarce (P is mined, N fixed from the air), and any weight would hide a price the
#: district file does not state. One is maximized (or traded against cost on a Pareto
#: front) while the other is held to a target; the fertilizer value in EUR of both is a
#: key figure of the simulation (:mod:`nexus.food`).
OBJECTIVES: dict[str, Objective] = {
    "energy": Objective("max", "energy_kWh_yr", "cost", "net energy", "kWh/yr"),
    "nutrients": Objective(
        "max", "P_kg_yr", "cost", "phosphorus returned", "kg/yr", nonnegative=True
    ),
    "nitrogen": Objective("max", "N_kg_yr", "cost", "nitrogen returned", "kg/yr", nonnegative=True),
    "cost": Objective("min", "cost_per_yr", "energy", "cost", "{currency}/yr"),
}


class Optimize(Model):
    """``[optimize]``: what the optimizer may choose, at what cost, towards which goal."""

    objective: Literal[tuple(OBJECTIVES)] = Field(  # type: ignore[valid-type]
        "cost",
        description="net energy yield (max), P returned to farms (nutrients, max), N returned "
        "to farms (nitrogen, max), or cost (min)",
    )
    discount_rate_frac: Fraction = Field(
        0.0, description="real discount rate for the capital annuity [1/yr]"
    )
    discount_rate_source: str = Field("", description="where the discount rate comes from")
    typical_days: int = Field(
        0, ge=0, le=365, description="representative days (tsam); 0 = the full year of hours"
    )
    samples: int = Field(
        5, ge=2, le=20, description="unit-model samples per size for the performance maps"
    )
    prices: Prices | None = None
    design: dict[Name, dict[Name, DesignSize]] = Field(default_factory=dict)
    routes: list[Route] = Field(default_factory=list)
    transport: Transport | None = None
    min_energy_kWh_yr: float | None = Field(None, description="target: least net energy yield")
    min_P_kg_yr: NonNeg | None = Field(None, description="target: least P recovered for farms")
    min_N_kg_yr: NonNeg | None = Field(None, description="target: least N recovered for farms")
    max_cost_per_yr: float | None = Field(None, description="target: largest annualized cost")


class DistrictFile(Model):
    """The whole district file. Each source, unit and sink table is validated by the model of
    its type (:mod:`nexus.registry`)."""

    district: DistrictInfo
    weather: Weather = Weather()
    sources: dict[Name, dict[str, Any]] = Field(min_length=1)
    units: dict[Name, dict[str, Any]] = Field(default_factory=dict)
    sinks: dict[Name, dict[str, Any]] = Field(min_length=1)
    connections: list[str] = Field(min_length=1)
    optimize: Optimize = Optimize()
    emissions: Emissions | None = None


@functools.cache
def params_model(params_cls: type, required: frozenset[str] = frozenset()) -> type[BaseModel]:
    """A pydantic model for a frozen parameter dataclass of a unit module.

    Parameters
    ----------
    params_cls : type
        A dataclass whose fields carry ``unit``, ``low``, ``high`` and ``doc``
        metadata (see :mod:`nexus.units.params`).
    required : frozenset of str
        Fields the district file must give (sizes), although the dataclass
        has a default.

    Returns
    -------
    type[pydantic.BaseModel]
        Model with the same field names, the metadata ranges as bounds (a field
        declared with :func:`nexus.units.params.choice` takes one of its
        choices) and the dataclass defaults for fields not in ``required``.
    """
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(params_cls):
        meta = f.metadata
        default = ... if f.name in required else f.default
        doc = meta.get("doc", f.name)
        annotation: Any
        if "choices" in meta:  # a kind, one of its choices (nexus.units.params.choice)
            annotation = Literal[meta["choices"]]
            fields[f.name] = (
                annotation,
                Field(default, description=f"{doc}: {', '.join(meta['choices'])}"),
            )
            continue
        annotation = bool if isinstance(f.default, bool) else float
        kwargs: dict[str, Any] = {"description": f"{doc} [{meta.get('unit', '-')}]"}
        if annotation is float:
            kwargs.update(ge=meta.get("low"), le=meta.get("high"))
        fields[f.name] = (annotation, Field(default, **kwargs))
    return create_model(params_cls.__name__ + "Model", __config__=CONFIG, **fields)
