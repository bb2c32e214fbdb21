"""The city file of ten neighbourhoods, and a city's design as the sum of its neighbourhoods'."""

from __future__ import annotations

import copy
import dataclasses
import logging
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import nexus
from nexus.district import district_from_dict

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(ROOT / "districts"))

import make_city  # noqa: E402


@pytest.mark.component
def test_the_city_file_loads_and_is_its_generators_output(tmp_path):
    city = nexus.load_district(ROOT / "districts" / "city_ten.toml")
    assert len(city.sources) == 10
    homes = [s.params.homes for s in city.sources.values()]
    assert homes == [round(550 * k) for k in make_city.FACTORS]
    for name, source in city.sources.items():  # each heat network serves its own homes
        tag = name.removesuffix("homes")
        assert city.nodes[f"{tag}heat_network"].serves == (name,)
        # the UASB at de Graaff's 63 L per person, as Buiksloterham's file
        V = city.units[f"{tag}digester"].params["reactor"].V_liq_m3
        assert V == pytest.approx(source.params.residents * 0.063, abs=0.05)
    # the committed file is its generator's output
    assert (
        make_city.write(10, tmp_path / "city.toml").read_text()
        == (ROOT / "districts" / "city_ten.toml").read_text()
    )
    # Buiksloterham scaled by 1 is Buiksloterham, its UASB at 1,155 x 63 L
    base = tomllib.loads((ROOT / "districts" / "buiksloterham.toml").read_text())
    one = make_city.scaled(base, 1.0)
    assert one["units"]["digester"]["reactor"]["V_liq_m3"] == pytest.approx(72.8)
    one["units"]["digester"]["reactor"]["V_liq_m3"] = 73.0  # the file rounds up
    one["optimize"]["design"]["digester"]["V_liq_m3"]["min"] = 73.0
    assert one == base


def _small(prefix: str | None = None) -> dict:
    """The small test district with its heat pump to size; with ``prefix``, its nodes
    renamed as one neighbourhood of a city (same names, same random profiles)."""
    data = tomllib.loads((DATA / "small_district.toml").read_text())
    data["optimize"] = {
        "prices": {
            "electricity_import_per_kWh": 0.2,
            "heat_backup_per_kWh": 0.1,
            "source": "test values",
        },
        "design": {
            "gw_hp": {
                "capacity_kW": {
                    "max": 20.0,
                    "capex_per_unit": 700.0,
                    "lifetime_yr": 20.0,
                    "source": "test value",
                },
                "area_m2": {
                    "min": 2.0,
                    "max": 20.0,
                    "capex_per_unit": 300.0,
                    "lifetime_yr": 20.0,
                    "source": "test value",
                },
            }
        },
        "samples": 3,
    }
    return data if prefix is None else make_city.join({prefix: data})


def _week(maps):
    """The first 168 h of full-year maps, weighted to stand for the year."""
    n = 168
    nodes = {
        k: dataclasses.replace(m, series={s: v[..., :n] for s, v in m.series.items()})
        for k, m in maps.nodes.items()
    }
    return dataclasses.replace(
        maps,
        nodes=nodes,
        route_flow_m3_h=[f[:n] for f in maps.route_flow_m3_h],
        weights=np.full(n, 8760.0 / n),
        period_hours=n,
        hours=None if maps.hours is None else maps.hours[:n],
    )


@pytest.mark.integration
def test_two_neighbourhoods_cost_what_each_costs_alone():
    """A city's model is its neighbourhoods' side by side: each samples the same map in the
    city as alone (same values to 1e-9), and the city's optimum costs the sum of theirs."""
    from nexus.optimize import solve
    from nexus.optimize.maps import sample_maps
    from nexus.optimize.model import build_model, interchangeable

    alone = {t: district_from_dict(_small(t), file=f"{t}.toml") for t in ("a_", "b_")}
    both = make_city.join({t: _small() for t in ("a_", "b_")})
    city = district_from_dict(both, file="ab.toml")
    assert interchangeable(city) == []  # each serves its own homes
    city_maps = sample_maps(city)
    cost = {}
    for tag, district in alone.items():
        maps = sample_maps(district)
        for name, m in maps.nodes.items():
            for key, values in m.series.items():
                np.testing.assert_allclose(
                    city_maps.nodes[name].series[key], values, rtol=1e-9, atol=1e-12
                )
        ds = solve(district, model=build_model(district, _week(maps)), verify=False)
        cost[tag] = float(ds["cost_per_yr"][0])
    ds = solve(city, model=build_model(city, _week(city_maps)), verify=False)
    assert float(ds["cost_per_yr"][0]) == pytest.approx(sum(cost.values()), rel=2e-4)
    assert ds.attrs["solver_blocks"] == 0  # few binaries: nexus branches on the whole
    # HiGHS's MIP solver: the city's MIP falls into its two neighbourhoods and is solved
    # block by block (nexus.optimize.blocks), to the same optimum
    split = solve(city, model=build_model(city, _week(city_maps)), verify=False, branching="highs")
    assert split.attrs["solver_blocks"] >= 2
    assert float(split["cost_per_yr"][0]) == pytest.approx(sum(cost.values()), rel=2e-4)
    for tag in ("a_", "b_"):  # each neighbourhood's own choice, as alone
        assert float(ds["area_m2"].sel(node=f"{tag}gw_hp")[0]) > 0


def _two_joint_plants() -> dict:
    """Two neighbourhoods (tests.test_optimize.two_neighbourhoods) with a second joint
    digester identical to the first, at the same distance: the two are interchangeable."""
    from tests.test_optimize import two_neighbourhoods

    data = copy.deepcopy(two_neighbourhoods(2.0).data)
    data["units"]["dig_joint2"] = copy.deepcopy(data["units"]["dig_joint"])
    data["connections"] += ["dig_joint2.out -> sewer.in", "dig_joint2.biogas -> chp.biogas"]
    design = data["optimize"]["design"]
    design["dig_joint2"] = copy.deepcopy(design["dig_joint"])
    for route in data["optimize"]["routes"]:
        route["to"].append("dig_joint2.in")
        route["distance_km"].append(route["distance_km"][-1])
    return data


@pytest.mark.component
def test_interchangeable_units_are_found():
    from nexus.optimize.model import interchangeable

    data = _two_joint_plants()
    assert interchangeable(district_from_dict(data, file="two.toml")) == [
        ["dig_joint", "dig_joint2"]
    ]
    data["optimize"]["routes"][0]["distance_km"][-1] = 3.0  # one is farther: not the same
    assert interchangeable(district_from_dict(data, file="two.toml")) == []
    data = _two_joint_plants()  # as near, but the way to one loses half the water
    for route in data["optimize"]["routes"]:
        route["loss_frac"] = [0.0] * (len(route["to"]) - 1) + [0.5]
    assert interchangeable(district_from_dict(data, file="two.toml")) == []


@pytest.mark.integration
@pytest.mark.slow
def test_interchangeable_plants_are_ordered_and_the_optimum_kept():
    """The model orders the two joint plants (the first at least as large, built if the
    second is), and the optimum is that of the model without the order."""
    from nexus.optimize import solve
    from nexus.optimize.maps import sample_maps
    from nexus.optimize.model import build_model

    district = district_from_dict(_two_joint_plants(), file="two.toml")
    model = build_model(district, _week(sample_maps(district)))
    rows = [
        model.anaerobic_digester["dig_joint2"].V_liq_m3_at_most_dig_joint,
        model.anaerobic_digester["dig_joint2"].built_V_liq_m3_at_most_dig_joint,
    ]
    ds = solve(district, model=model, verify=False)
    V = {n: float(ds["V_liq_m3"].sel(node=n)[0]) for n in ("dig_joint", "dig_joint2")}
    assert V["dig_joint"] > 0 and V["dig_joint2"] == 0  # the joint plant wins at 2 km
    for row in rows:
        row.deactivate()
    free = solve(district, model=model, verify=False)
    assert float(free["cost_per_yr"][0]) == pytest.approx(float(ds["cost_per_yr"][0]), rel=2e-4)


@pytest.mark.integration
def test_maps_sampled_in_parallel_are_the_serial_maps(monkeypatch, caplog):
    """Two neighbourhoods' maps sampled in two worker processes equal those sampled one
    unit after another (to 1e-12), in the same order."""
    from nexus.optimize.maps import _heavy, sample_maps

    city = district_from_dict(make_city.join({t: _small() for t in ("a_", "b_")}), file="ab.toml")
    # the heat pumps' runs are cheap; as if they were not, so that two go to the workers
    monkeypatch.setattr(type(city.nodes["a_gw_hp"].type), "heavy_sample", True)
    assert {"a_gw_hp", "b_gw_hp"} <= _heavy(city, (*city.order, *city.sinks))
    serial = sample_maps(city, workers=1)
    with caplog.at_level(logging.DEBUG, logger="nexus.optimize.maps"):
        parallel = sample_maps(city, workers=2)
    assert "in a worker failed" not in caplog.text  # sampled there, not again here
    assert "could not start" not in caplog.text  # the workers did start: not serial twice
    assert list(parallel.nodes) == list(serial.nodes)
    for name, m in serial.nodes.items():
        p = parallel.nodes[name]
        assert p.notes == pytest.approx(m.notes, rel=1e-12, abs=1e-12)
        assert p.upstream == m.upstream
        np.testing.assert_array_equal(p.routes, m.routes)
        for key, values in m.sizes.items():
            np.testing.assert_array_equal(p.sizes[key], values)
        assert list(p.series) == list(m.series)
        for key, values in m.series.items():
            np.testing.assert_allclose(p.series[key], values, rtol=1e-12, atol=1e-12)
        # the water kept in each column is released once the units it feeds are sampled
        assert p.outlets == {} and m.outlets == {}


@pytest.mark.component
def test_a_city_falls_into_its_neighbourhoods_and_a_joint_plant_ties_them():
    """Neighbourhoods sharing only the grid and the sewer are islands; a route that may
    send both to one plant makes them one island."""
    from nexus.islands import islands
    from tests.test_optimize import two_neighbourhoods

    city = district_from_dict(make_city.join({t: _small() for t in ("a_", "b_")}), file="ab.toml")
    groups = islands(city)
    assert [sorted({n[:2] for n in g}) for g in groups] == [["a_"], ["b_"]]
    assert not any(city.nodes[n].type.passive for g in groups for n in g)
    assert len(islands(two_neighbourhoods(2.0))) == 1  # the joint digester and the CHP


@pytest.mark.integration
def test_a_design_verified_island_by_island_has_the_figures_of_the_whole():
    """Simulating each neighbourhood on its own (with the grid and sewer it uses) gives the
    figures of the whole city's simulation, each to 1e-9."""
    from nexus.islands import island, islands
    from nexus.optimize.solve import _verify, design_figures

    city = district_from_dict(make_city.join({t: _small() for t in ("a_", "b_")}), file="ab.toml")
    design = {"a_gw_hp": {"capacity_kW": 12.0, "area_m2": 6.0}, "b_gw_hp": {"capacity_kW": 4.0}}
    whole = design_figures(nexus.simulate(city.with_sizes(design)))
    parts = [island(city, g) for g in islands(city)]
    assert [sorted(p.nodes) for p in parts] == [
        sorted([n for n in city.nodes if n.startswith(t)] + ["grid", "sewer"]) for t in ("a_", "b_")
    ]
    by_islands = _verify(city, design, {})
    assert by_islands.keys() == whole.keys()
    for key, value in whole.items():
        assert by_islands[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
    assert whole["energy_kWh_yr"] != 0 and whole["energy_bill_per_yr"] != 0


@pytest.mark.integration
def test_maps_are_sampled_here_when_workers_cannot_start(monkeypatch, caplog):
    """Where worker processes cannot start (a script without a __main__ guard), the maps
    are sampled in this process, the same maps, and a warning says why."""
    import contextlib

    import nexus.sweeps
    from nexus.optimize.maps import sample_maps

    city = district_from_dict(make_city.join({t: _small() for t in ("a_", "b_")}), file="ab.toml")
    monkeypatch.setattr(type(city.nodes["a_gw_hp"].type), "heavy_sample", True)

    @contextlib.contextmanager
    def refused(n):
        raise RuntimeError("An attempt has been made to start a new process before ...")
        yield

    serial = sample_maps(city, workers=1)
    monkeypatch.setattr(nexus.sweeps, "local_client", refused)
    with caplog.at_level(logging.WARNING, logger="nexus.optimize.maps"):
        here = sample_maps(city, workers=2)
    assert "if __name__ ==" in caplog.text and "could not start" in caplog.text
    for name, m in serial.nodes.items():
        for key, values in m.series.items():
            np.testing.assert_array_equal(here.nodes[name].series[key], values)


@pytest.mark.unit
def test_a_daemonic_process_samples_its_maps_itself(monkeypatch):
    """An optimizer in a sweep's Dask worker (a daemonic process, which may not start
    processes) samples in itself rather than failing to start a cluster of its own."""
    import multiprocessing
    import os

    from nexus.optimize.maps import WORKERS_ENV, _map_workers

    monkeypatch.delenv(WORKERS_ENV, raising=False)
    assert _map_workers(None, 3) == min(os.cpu_count() or 1, 3)
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True)
    assert _map_workers(None, 3) == 1
    assert _map_workers(2, 3) == 2  # asked for explicitly: the caller's choice


@pytest.mark.component
def test_joined_neighbourhoods_keep_their_own_routes_renamed():
    """make_city.join renames each part's routes with its prefix (they used to be the first
    part's, unrenamed), and the city loads."""
    from tests.test_optimize import two_neighbourhoods

    part = two_neighbourhoods(2.0).data
    data = make_city.join({"a_": part, "b_": part})
    routes = data["optimize"]["routes"]
    assert len(routes) == 2 * len(part["optimize"]["routes"])
    assert routes[-1]["outlet"].startswith("b_") and all(
        t.startswith("b_") for t in routes[-1]["to"]
    )
    city = district_from_dict(data, file="ab.toml")
    assert len(city.optimize.routes) == len(routes)
