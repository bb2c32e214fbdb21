"""Write the corpus of bad district files from tests/data/small_district.toml.

Each case changes one thing in the valid small district and states the key
path and the expectation its error message must give. Run from the repository
root to (re)write the files: ``python tests/bad_districts/make_corpus.py``.
The test ``tests/test_bad_districts.py`` checks the files are current.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = HERE.parent / "data" / "small_district.toml"

# name: (old text, new text, expected key path, expected text in the message)
CASES: dict[str, tuple[str, str, str, str]] = {
    "unknown_top_key": (
        "[district]\n",
        "colour = 'red'\n\n[district]\n",
        "colour",
        "unknown key; expected one of: district",
    ),
    "unknown_unit_key": (
        "area_m2 = 2.0",
        "area_m2 = 2.0\nareaa_m2 = 3.0",
        "units.gw_hp.exchanger.areaa_m2",
        "unknown key; expected one of: area_m2",
    ),
    "negative_area": (
        "area_m2 = 2.0",
        "area_m2 = -2.0",
        "units.gw_hp.exchanger.area_m2",
        "expected a number >= 0",
    ),
    "missing_area": ("area_m2 = 2.0\n", "", "units.gw_hp.exchanger.area_m2", "missing; expected"),
    "string_capacity": (
        "capacity_kW = 6.0",
        'capacity_kW = "six"',
        "units.gw_hp.heat_pump.capacity_kW",
        "expected a number",
    ),
    "unknown_unit_type": (
        'type = "shower_dwhr"',
        'type = "shower_dwhrr"',
        "units.dwhr.type",
        "is not a unit type; expected one of: ammonia_stripper, anaerobic_digester, biogas_boiler, chp, "
        "constructed_wetland, feed_plant, greywater_heat_pump",
    ),
    "missing_unit_type": (
        '[units.dwhr]\ntype = "shower_dwhr"\n',
        "[units.dwhr]\n",
        "units.dwhr",
        "missing key 'type'",
    ),
    "negative_residents": (
        "residents = 42",
        "residents = -42",
        "sources.homes.residents",
        "expected a number >= 0",
    ),
    "nan_shower": (
        "shower_L_p_d = 51.4",
        "shower_L_p_d = nan",
        "sources.homes.water.shower_L_p_d",
        "expected a finite number",
    ),
    "fraction_above_one": (
        "COD_soluble_frac = 0.5",
        "COD_soluble_frac = 1.5",
        "sources.homes.greywater.COD_soluble_frac",
        "expected a number <= 1",
    ),
    "missing_greywater_table": (
        "[sources.homes.greywater]",
        "[sources.homes.greywater_loads]",
        "sources.homes.greywater",
        "missing; expected a table",
    ),
    "hot_drain": (
        "shower_use_T_C = 38.0",
        "shower_use_T_C = 95.0",
        "sources.homes.temperatures.shower_use_T_C",
        "expected a number <= 70",
    ),
    "drain_loss_above_one": (
        "shower_drain_loss_frac = 0.17",
        "shower_drain_loss_frac = 1.7",
        "sources.homes.temperatures.shower_drain_loss_frac",
        "expected a number <= 1",
    ),
    "unknown_reference_climate": (
        'reference_climate = "de_bilt_1981_2010"',
        'reference_climate = "amsterdam"',
        "sources.homes.energy.reference_climate",
        "'amsterdam' is not a reference climate; expected one of: de_bilt_1971_2000, "
        "de_bilt_1981_2010",
    ),
    "negative_space_heating": (
        "space_heating_ref_kWh_home_yr = 2500.0",
        "space_heating_ref_kWh_home_yr = -2500.0",
        "sources.homes.energy.space_heating_ref_kWh_home_yr",
        "expected a number >= 0",
    ),
    "old_dhw_key": (
        "dhw_ref_kWh_p_yr = 700.0",
        "dhw_kWh_p_yr = 700.0",
        "sources.homes.energy.dhw_ref_kWh_p_yr",
        "sources.homes.energy.dhw_kWh_p_yr: unknown key; expected one of: reference_climate",
    ),
    "unknown_dwhr_class": (
        'product_class = "csa_b55_listed"',
        'product_class = "diagonal"',
        "units.dwhr.product_class",
        "'diagonal' is not valid; expected: 'csa_b55_listed', 'nen7120_vertical_default' or",
    ),
    "dwhr_two_ratings": (
        'product_class = "csa_b55_listed"',
        'product_class = "csa_b55_listed"\nrated_effectiveness_frac = 0.55',
        "units.dwhr",
        "product_class = 'csa_b55_listed' and rated_effectiveness_frac are both given: two "
        "ratings for one unit",
    ),
    "missing_district_name": (
        'name = "Small test district"\n',
        "",
        "district.name",
        "missing; expected district name",
    ),
    "bad_year_type": (
        "seed = 7",
        "seed = 7\nyear = 2025.5",
        "district.year",
        "expected an integer",
    ),
    "unknown_sink_type": (
        'type = "sewer"',
        'type = "river"',
        "sinks.sewer.type",
        "is not a sink type; expected one of: egg_farm, ev_charging, farm, gas_grid, grid, heat_network, "
        "sewer",
    ),
    "connection_syntax": (
        '"homes.shower -> dwhr.in"',
        '"homes.shower => dwhr.in"',
        "connections[0]",
        "expected 'node.port -> node.port'",
    ),
    "connection_unknown_node": (
        '"homes.blackwater -> sewer.in"',
        '"homes.blackwater -> digester.in"',
        "connections[7]",
        "no source, unit or sink is named 'digester'",
    ),
    "connection_unknown_port": (
        '"gw_hp.out -> sewer.in"',
        '"gw_hp.outlet -> sewer.in"',
        "connections[6]",
        "'gw_hp' has no port 'outlet'; expected one of: in, out, heat, power",
    ),
    "connection_wrong_direction": (
        '"dwhr.out -> gw_hp.in"',
        '"gw_hp.in -> dwhr.out"',
        "connections[2]",
        "is an inlet and cannot stand on the left",
    ),
    "connection_kind_mismatch": (
        '"dwhr.heat -> heat_network.in"',
        '"dwhr.heat -> sewer.in"',
        "connections[1]",
        "connects heat to water",
    ),
    "outlet_feeds_two": (
        '"homes.kitchen_waste -> sewer.in",\n',
        '"homes.kitchen_waste -> sewer.in",\n    "homes.blackwater -> gw_hp.in",\n',
        "connections[9]",
        "expected a water outlet to feed exactly one inlet",
    ),
    "unconnected_outlet": (
        '    "homes.kitchen_waste -> sewer.in",\n',
        "",
        "sources.homes",
        "water outlet 'kitchen_waste' is not connected",
    ),
    "unconnected_power": (
        '    "grid.out -> gw_hp.power",\n',
        "",
        "units.gw_hp",
        "electricity inlet 'power' is not connected",
    ),
    "loop": (
        '"gw_hp.out -> sewer.in"',
        '"gw_hp.out -> dwhr.in"',
        "connections",
        "the connections form a loop",
    ),
    "duplicate_name": (
        "[sinks.grid]",
        '[units.sewer]\ntype = "shower_dwhr"\n\n[sinks.grid]',
        "sinks.sewer",
        "is used in both [units] and [sinks]",
    ),
    "serves_unknown_source": (
        'type = "heat_network"',
        'type = "heat_network"\nserves = ["flats"]',
        "sinks.heat_network.serves",
        "'flats' is not a source; expected one of: homes",
    ),
    "store_loss_too_high": (
        "capacity_kWh = 20.0",
        "capacity_kWh = 20.0\nloss_frac_h = 2.0",
        "units.gw_hp.store.loss_frac_h",
        "expected a number <= ",
    ),
    "serves_on_a_sewer": (
        'type = "sewer"',
        'type = "sewer"\nserves = ["homes"]',
        "sinks.sewer.serves",
        "expected 'serves' only on a sink that takes a demand: ev_charging, heat_network",
    ),
    "two_heat_networks_one_source": (
        "[sinks.grid]",
        '[sinks.second_network]\ntype = "heat_network"\n\n[sinks.grid]',
        "sinks.second_network.serves",
        "the space-heating demand of 'homes' is already served by 'heat_network'",
    ),
    "bad_unit_name": (
        "[units.dwhr]",
        '[units."dwhr-2"]\ntype = "shower_dwhr"\n\n[units.dwhr]',
        "units.dwhr-2",
        "'dwhr-2' is not a valid name; expected letters, digits and underscores",
    ),
    "store_without_power": (
        "max_power_kW = 6.0\n",
        "max_power_kW = 0.0\n",
        "units.gw_hp",
        "StoreParams.max_power_kW = 0.0 with capacity_kWh = 20.0: the store could never charge",
    ),
    "cosubstrate_fractions_not_one": (
        "[sinks.sewer]\n",
        '[sources.grease]\ntype = "cosubstrate"\namount_t_yr = 260.0\nT_C = 12.0\n\n[sources.grease.composition]\nDM_frac = 0.02\nVS_frac_DM = 0.85\nCOD_per_VS_kg_kg = 2.5\ncarbohydrate_frac = 0.3\nprotein_frac = 0.05\nlipid_frac = 0.5\ninert_frac = 0.05\nN_frac_DM = 0.025\nP_frac_DM = 0.006\n\n[sinks.sewer]\n',
        "sources.grease.composition.inert_frac",
        "expected: the COD fractions to sum to 1, but carbohydrate_frac 0.3 + protein_frac 0.05 "
        "+ lipid_frac 0.5 + inert_frac 0.05 = 0.9",
    ),
    "cosubstrate_without_composition": (
        "[sinks.sewer]\n",
        '[sources.grease]\ntype = "cosubstrate"\namount_t_yr = 260.0\nT_C = 12.0\n\n[sinks.sewer]\n',
        "sources.grease",
        "expected exactly one of preset = 'grease_trap' | 'catering_food_waste' | "
        "'kitchen_waste' and a composition table",
    ),
    "cosubstrate_unknown_preset": (
        "[sinks.sewer]\n",
        '[sources.grease]\ntype = "cosubstrate"\namount_t_yr = 260.0\nT_C = 12.0\npreset = "supermarket"\n\n[sinks.sewer]\n',
        "sources.grease.preset",
        "'supermarket' is not valid; expected: 'grease_trap', 'catering_food_waste' or "
        "'kitchen_waste'",
    ),
    "duplicate_heat_link": (
        '"dwhr.out -> gw_hp.in",\n',
        '"dwhr.out -> gw_hp.in",\n    "dwhr.heat -> heat_network.in",\n',
        "connections[3]",
        "repeats connections[1] ('dwhr.heat -> heat_network.in'); expected each link once",
    ),
    "duplicate_heat_link_spaced": (
        '"dwhr.out -> gw_hp.in",\n',
        '"dwhr.out -> gw_hp.in",\n    " dwhr.heat  ->  heat_network.in ",\n',
        "connections[3]",
        "repeats connections[1] ('dwhr.heat -> heat_network.in')",
    ),
    "duplicate_power_link": (
        '"gw_hp.out -> sewer.in",\n',
        '"gw_hp.out -> sewer.in",\n    "grid.out -> gw_hp.power",\n',
        "connections[7]",
        "repeats connections[5] ('grid.out -> gw_hp.power')",
    ),
    "duplicate_water_link": (
        '"homes.blackwater -> sewer.in",\n',
        '"homes.blackwater -> sewer.in",\n    "homes.blackwater -> sewer.in",\n',
        "connections[8]",
        "repeats connections[7] ('homes.blackwater -> sewer.in')",
    ),
    "deep_nesting": (
        "seed = 7",
        "seed = 7\ndeep = [[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]",
        "district.deep[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]",
        "nested 20 levels deep and more; expected at most 20 levels of tables and arrays",
    ),
    "unit_type_list": (
        'type = "shower_dwhr"',
        'type = ["shower_dwhr"]',
        "units.dwhr.type",
        "type = ['shower_dwhr'] is not a unit type; expected one of: ammonia_stripper, anaerobic_digester,",
    ),
    "unit_type_table": (
        'type = "shower_dwhr"',
        'type = { name = "shower_dwhr" }',
        "units.dwhr.type",
        "type = {'name': 'shower_dwhr'} is not a unit type; expected one of: ammonia_stripper, anaerobic_digester,",
    ),
    "unit_type_number": (
        'type = "shower_dwhr"',
        "type = 3",
        "units.dwhr.type",
        "type = 3 is not a unit type; expected one of: ammonia_stripper, anaerobic_digester, biogas_boiler, chp,",
    ),
    "sink_type_list": (
        'type = "sewer"',
        'type = ["sewer"]',
        "sinks.sewer.type",
        "type = ['sewer'] is not a sink type; expected one of: egg_farm, ev_charging, farm, gas_grid, grid, heat_network, sewer",
    ),
    "source_type_unknown": (
        'type = "households"',
        'type = "flats"',
        "sources.homes.type",
        "type = 'flats' is not a source type; expected one of: buildings, cosubstrate, households",
    ),
    "unit_type_is_a_sink": (
        'type = "shower_dwhr"',
        'type = "sewer"',
        "units.dwhr.type",
        "type = 'sewer' is not a unit type (it is a sink type); expected one of: ammonia_stripper, anaerobic_digester,",
    ),
    "number_with_underscore_string": (
        "capacity_kW = 6.0",
        'capacity_kW = "1_0"',
        "units.gw_hp.heat_pump.capacity_kW",
        "'1_0' is not valid; expected a number",
    ),
    "number_as_string": (
        "residents = 42",
        'residents = "42"',
        "sources.homes.residents",
        "'42' is not valid; expected a number",
    ),
    "number_as_bool": (
        "area_m2 = 2.0",
        "area_m2 = true",
        "units.gw_hp.exchanger.area_m2",
        "True is not valid; expected a number",
    ),
    "infinite_area": (
        "area_m2 = 2.0",
        "area_m2 = inf",
        "units.gw_hp.exchanger.area_m2",
        "inf is not valid; expected a finite number",
    ),
    "nan_capacity": (
        "capacity_kW = 6.0",
        "capacity_kW = nan",
        "units.gw_hp.heat_pump.capacity_kW",
        "nan is not valid; expected a finite number",
    ),
    "year_as_string": (
        "seed = 7",
        'seed = 7\nyear = "2025"',
        "district.year",
        "'2025' is not valid; expected an integer",
    ),
    "year_out_of_range": (
        "seed = 7",
        "seed = 7\nyear = 1800",
        "district.year",
        "1800 is out of range; expected a number >= 1900",
    ),
    "seed_negative": (
        "seed = 7",
        "seed = -7",
        "district.seed",
        "-7 is out of range; expected a number >= 0",
    ),
    "seed_float": (
        "seed = 7",
        "seed = 7.5",
        "district.seed",
        "7.5 is not valid; expected an integer",
    ),
    "currency_lowercase": (
        "seed = 7",
        'seed = 7\ncurrency = "eur"',
        "district.currency",
        "'eur' is not valid; expected a three-letter ISO 4217 code in capitals (EUR)",
    ),
    "negative_homes": (
        "homes = 20",
        "homes = -20",
        "sources.homes.homes",
        "-20 is out of range; expected a number >= 0.0",
    ),
    "noise_above_one": (
        "noise_frac = 0.3",
        "noise_frac = 1.3",
        "sources.homes.noise_frac",
        "1.3 is out of range; expected a number <= 1.0",
    ),
    "weather_not_a_table": (
        "[district]\n",
        'weather = "w.csv"\n\n[district]\n',
        "weather",
        "'w.csv' is not valid; expected a table",
    ),
    "weather_file_number": (
        "[district]\n",
        "[weather]\nfile = 3\n\n[district]\n",
        "weather.file",
        "3 is not valid; expected a text string",
    ),
    "weather_unknown_key": (
        "[district]\n",
        '[weather]\nfile = "w.csv"\nformat = "epw"\n\n[district]\n',
        "weather.format",
        "unknown key; expected one of: file",
    ),
    "connection_not_a_string": (
        '"homes.shower -> dwhr.in"',
        "42",
        "connections[0]",
        "42 is not valid; expected a text string",
    ),
    "connection_self_loop": (
        '"gw_hp.out -> sewer.in"',
        '"gw_hp.out -> gw_hp.in"',
        "connections",
        "the connections form a loop (gw_hp -> gw_hp); expected flows that run from sources to sinks without returning",
    ),
    "serves_not_a_list": (
        'type = "heat_network"',
        'type = "heat_network"\nserves = "homes"',
        "sinks.heat_network.serves",
        "'homes' is not valid; expected a list of source names",
    ),
    "typical_days_too_many": (
        "[district]\n",
        "[optimize]\ntypical_days = 400\n\n[district]\n",
        "optimize.typical_days",
        "400 is out of range; expected a number <= 365",
    ),
    "typical_days_negative": (
        "[district]\n",
        "[optimize]\ntypical_days = -3\n\n[district]\n",
        "optimize.typical_days",
        "-3 is out of range; expected a number >= 0",
    ),
    "design_unknown_unit": (
        "[district]\n",
        '[optimize.design.pump.area_m2]\nmax = 1.0\ncapex_per_unit = 1.0\nlifetime_yr = 20.0\nsource = "x"\n\n[district]\n',
        "optimize.design.pump",
        "no unit named 'pump'; expected one of: dwhr, gw_hp",
    ),
    "design_lifetime_tiny": (
        "[district]\n",
        '[optimize.design.gw_hp.area_m2]\nmax = 4.0\ncapex_per_unit = 1.0\nlifetime_yr = 1e-300\nsource = "x"\n\n[district]\n',
        "optimize.design.gw_hp.area_m2.lifetime_yr",
        "1e-300 is out of range; expected a number >= 1.0",
    ),
    "design_min_above_max": (
        "[district]\n",
        '[optimize.design.gw_hp.area_m2]\nmin = 5.0\nmax = 4.0\ncapex_per_unit = 1.0\nlifetime_yr = 20.0\nsource = "x"\n\n[district]\n',
        "optimize.design.gw_hp.area_m2",
        "min = 5 is above max = 4; expected min <= max",
    ),
    "price_negative": (
        "[district]\n",
        '[optimize.prices]\nelectricity_import_per_kWh = -0.2\nheat_backup_per_kWh = 0.1\nsource = "x"\n\n[district]\n',
        "optimize.prices.electricity_import_per_kWh",
        "-0.2 is out of range; expected a number >= 0.0",
    ),
    "feed_price_negative": (
        "[district]\n",
        '[optimize.prices]\nelectricity_import_per_kWh = 0.2\nheat_backup_per_kWh = 0.1\nfeed_per_t = -75189.0\nsource = "x"\n\n[district]\n',
        "optimize.prices.feed_per_t",
        "-75189.0 is out of range; expected a number >= 0.0",
    ),
    "price_as_bool": (
        "[district]\n",
        '[optimize.prices]\nelectricity_import_per_kWh = true\nheat_backup_per_kWh = 0.1\nsource = "x"\n\n[district]\n',
        "optimize.prices.electricity_import_per_kWh",
        "True is not valid; expected a number",
    ),
    "design_capex_huge": (
        "[district]\n",
        '[optimize.design.gw_hp.area_m2]\nmax = 4.0\ncapex_per_unit = 1e308\nlifetime_yr = 20.0\nsource = "x"\n\n[district]\n',
        "optimize.design.gw_hp.area_m2.capex_per_unit",
        "1e+308 is out of range; expected a number <= 1000000000000.0",
    ),
    "residents_absurd": (
        "residents = 42",
        "residents = 1e300",
        "sources.homes.residents",
        "1e+300 is out of range; expected a number <= 10000000.0",
    ),
    "samples_one": (
        "[district]\n",
        "[optimize]\nsamples = 1\n\n[district]\n",
        "optimize.samples",
        "1 is out of range; expected a number >= 2",
    ),
}

#: The small district's black water and kitchen waste digested (a digester whose reactor
#: table the case gives) instead of sent to the sewer: (old, new) replacements.
_DIGESTED = (
    '"homes.blackwater -> sewer.in",\n    "homes.kitchen_waste -> sewer.in",\n',
    '"homes.blackwater -> digester.in",\n    "homes.kitchen_waste -> digester.in",\n'
    '    "digester.out -> sewer.in",\n    "digester.biogas -> gas_grid.in",\n',
)


def _digester(reactor: str, optimize: str = "") -> tuple[tuple[str, str], ...]:
    return (
        _DIGESTED,
        (
            "[district]\n",
            f'{optimize}[units.digester]\ntype = "anaerobic_digester"\n\n[units.digester.reactor]\n'
            f'{reactor}\n\n[sinks.gas_grid]\ntype = "gas_grid"\n\n[district]\n',
        ),
    )


def _wetland(table: str) -> tuple[tuple[str, str], ...]:
    """The small district's greywater through a wetland (whose table the case gives)."""
    return (
        (
            '"gw_hp.out -> sewer.in",',
            '"gw_hp.out -> wetland.in",\n    "wetland.out -> sewer.in",',
        ),
        ("[district]\n", f'[units.wetland]\ntype = "constructed_wetland"\n{table}\n[district]\n'),
    )


#: Wetland files nexus refuses on loading: name: (replacements, key path, message text).
WETLAND_CASES: dict[str, tuple[tuple[tuple[str, str], ...], str, str]] = {
    "wetland_negative_area": (
        _wetland('kind = "free_water_surface"\narea_m2 = -5.0\n'),
        "units.wetland.area_m2",
        "-5.0 is out of range; expected a number >= 0.0",
    ),
    "wetland_unknown_kind": (
        _wetland('kind = "reed_bed"\narea_m2 = 50.0\n'),
        "units.wetland.kind",
        "'reed_bed' is not valid; expected: 'horizontal_subsurface_flow'",
    ),
}


def _feed(plant: str, amount: str = "100.0", optimize: str = "") -> tuple[tuple[str, str], ...]:
    """The small district with shops' food waste dried to feed for hens (the cases give the
    plant's table, the waste's amount and an [optimize] table)."""
    return (
        (
            "connections = [\n",
            'connections = [\n    "shop.out -> plant.in",\n    "plant.feed -> hens.in",\n'
            '    "grid.out -> plant.power",\n',
        ),
        (
            "[district]\n",
            f'[sources.shop]\ntype = "cosubstrate"\namount_t_yr = {amount}\n'
            'preset = "catering_food_waste"\nT_C = 15.0\n\n'
            f'[units.plant]\ntype = "feed_plant"\n{plant}\n'
            '[sinks.hens]\ntype = "egg_farm"\n\n'
            f"{optimize}[district]\n",
        ),
    )


def _routed(to: str, distances: str, extra: str = "") -> tuple[tuple[str, str], ...]:
    """Two feed plants the shops' waste may be routed to (the case gives the route)."""
    plant = 'process = "drying"\ncapacity_t_d = 1.0\n\n[units.plant2]\ntype = "feed_plant"\n'
    plant += "capacity_t_d = 1.0\n"
    route = (
        f'[[optimize.routes]]\noutlet = "shop.out"\nto = {to}\ndistance_km = {distances}\n{extra}\n'
    )
    return (
        *_feed(plant, optimize=route),
        (
            '"plant.feed -> hens.in",\n',
            '"plant.feed -> hens.in",\n    "plant2.feed -> hens.in",\n'
            '    "grid.out -> plant2.power",\n',
        ),
    )


#: Food-waste-to-feed files nexus refuses on loading: name: (replacements, key path, text).
FEED_CASES: dict[str, tuple[tuple[tuple[str, str], ...], str, str]] = {
    "feed_plant_unknown_process": (
        _feed('process = "boiling"\ncapacity_t_d = 1.0\n'),
        "units.plant.process",
        "'boiling' is not valid; expected: 'drying' or 'liquid'",
    ),
    "food_waste_negative_amount": (
        _feed('process = "drying"\ncapacity_t_d = 1.0\n', amount="-100.0"),
        "sources.shop.amount_t_yr",
        "expected a number >= 0",
    ),
    "route_distances_not_matching": (
        _routed('["plant.in", "plant2.in"]', "[0.0, 10.0, 20.0]"),
        "optimize.routes[0].distance_km",
        "3 distances for 2 candidates; expected one distance per candidate in 'to'",
    ),
    "route_losses_not_matching": (
        _routed('["plant.in", "plant2.in"]', "[0.0, 10.0]", "loss_frac = [0.01]\n"),
        "optimize.routes[0].loss_frac",
        "1 losses for 2 candidates; expected one share lost per candidate in 'to' (or none)",
    ),
    "route_loss_above_one": (
        _routed('["plant.in", "plant2.in"]', "[0.0, 10.0]", "loss_frac = [0.0, 1.5]\n"),
        "optimize.routes[0].loss_frac[1]",
        "expected a number <= 1",
    ),
    "route_to_inlet_that_cannot_take_it": (
        _routed('["plant.in", "plant2.in", "hens.in"]', "[0.0, 10.0, 5.0]"),
        "optimize.routes[0].to",
        "'hens.in' is not an inlet routes may lead to; expected one of: plant.in, plant2.in",
    ),
}


def _heat(table: str, *links: str) -> tuple[tuple[str, str], ...]:
    """The small district with heat units (whose tables the case gives) and links appended
    after its last connection (so the first new link is ``connections[9]``)."""
    added = "".join(f'\n    "{link}",' for link in links)
    return (
        ('"homes.kitchen_waste -> sewer.in",', f'"homes.kitchen_waste -> sewer.in",{added}'),
        ("[district]\n", f"{table}\n[district]\n"),
    )


#: Waste-heat files nexus refuses on loading: name: (replacements, key path, message text).
HEAT_CASES: dict[str, tuple[tuple[tuple[str, str], ...], str, str]] = {
    "wte_negative_throughput": (
        _heat(
            '[units.wte]\ntype = "waste_to_energy"\nthroughput_t_d = -10.0\n',
            "wte.heat -> heat_network.in",
        ),
        "units.wte.throughput_t_d",
        "-10.0 is out of range; expected a number >= 0.0",
    ),
    "heat_network_return_above_supply": (
        (
            (
                "[sinks.heat_network]\n",
                "[sinks.heat_network]\nsupply_T_C = 60.0\nreturn_T_C = 70.0\n",
            ),
        ),
        "sinks.heat_network",
        "return_T_C = 70 °C is not below supply_T_C = 60 °C",
    ),
    "waste_heat_too_cold_for_network": (
        _heat(
            '[units.waste]\ntype = "industrial_waste_heat"\navailable_kW = 5.0\nT_C = 35.0\n'
            "capacity_kW = 5.0\n",
            "waste.heat -> heat_network.in",
        ),
        "connections[9]",
        "waste.heat gives heat at 35 °C (T_C), heat_network.in needs 80 °C (supply_T_C); "
        "expected a source at least as hot (its T_C >= 80), or a heat pump between them",
    ),
    "heat_pump_source_from_network_heat": (
        _heat(
            '[units.hp]\ntype = "heat_pump"\ncapacity_kW = 5.0\n',
            "gw_hp.heat -> hp.source",
            "grid.out -> hp.power",
            "hp.heat -> heat_network.in",
        ),
        "connections[9]",
        "the outlet serves space_heating, dhw, the inlet takes low_grade",
    ),
}


# Files that load, but that `nexus validate` refuses before anything runs (its preflight of
# the units on what the sources give them), as `run` or `optimize` would after work:
# name: (replacements, expected key path, expected text in the message)
VALIDATE_CASES: dict[str, tuple[tuple[tuple[str, str], ...], str, str]] = {
    "digester_washes_out": (
        _digester("V_liq_m3 = 0.2\nT_C = 35.0\nsolids_retention_d = 0.0"),
        "units.digester",
        "its acetoclastic methanogens wash out",
    ),
    "digester_overloaded": (
        _digester("V_liq_m3 = 1e-9\nT_C = 25.0\nsolids_retention_d = 100.0"),
        "units.digester",
        "the digester is overloaded",
    ),
    "design_digester_washes_out": (
        _digester(
            "V_liq_m3 = 8.0\nT_C = 35.0\nsolids_retention_d = 0.0",
            "[optimize.design.digester.V_liq_m3]\nmin = 0.2\nmax = 20.0\ncapex_per_unit = 1.0\n"
            'lifetime_yr = 20.0\nsource = "x"\n\n',
        ),
        "optimize.design.digester.V_liq_m3",
        "the optimizer may choose V_liq_m3 = 0.2, the smallest it offers, where the unit cannot run",
    ),
}


def corpus() -> dict[str, tuple[str, str, str]]:
    """Bad file text, expected key and expected message text, by case name."""
    base = BASE.read_text()
    cases = {
        **{
            name: (((old, new),), key, expect, "load")
            for name, (old, new, key, expect) in CASES.items()
        },
        **{name: (*case, "load") for name, case in WETLAND_CASES.items()},
        **{name: (*case, "load") for name, case in FEED_CASES.items()},
        **{name: (*case, "load") for name, case in HEAT_CASES.items()},
        **{name: (*case, "validate") for name, case in VALIDATE_CASES.items()},
    }
    out = {}
    for name, (replacements, key, expect, stage) in cases.items():
        text = base
        for old, new in replacements:
            if text.count(old) != 1:
                raise ValueError(f"case {name}: {old!r} occurs {text.count(old)} times")
            text = text.replace(old, new)
        header = f"# bad district: {name}\n# expect key: {key}\n# expect text: {expect}\n"
        if stage == "validate":
            header += "# expect stage: validate (the file loads; nexus validate refuses it)\n"
        out[name] = (header + text, key, expect)
    return out


if __name__ == "__main__":
    files = corpus()
    for name, (text, _, _) in files.items():
        (HERE / f"{name}.toml").write_text(text)
    print(f"wrote {len(files)} bad district files to {HERE}")
