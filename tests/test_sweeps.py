"""Sweeps: designs, bad input before any run, Dask clusters, failed scenarios, restart, CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import nexus
from nexus import sweeps
from nexus.errors import DistrictError, ParameterError, SolverError

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "data" / "small_district.toml"
#: Two inputs of the small district with a visible effect on its heat.
GRID = {
    "sources.homes.residents": [38, 46],
    "units.gw_hp.heat_pump.capacity_kW": [8.0, 16.0],
}


@pytest.fixture(scope="module")
def small():
    return nexus.load_district(SMALL)


@pytest.fixture(scope="module")
def threads():
    """A Dask cluster inside the test process (threads), so tests can patch nexus."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


def counted(monkeypatch, fail=None):
    """Count the simulations of this process; raise SolverError for residents == fail."""
    import nexus.simulation

    calls = []
    simulate = nexus.simulation.simulate

    def patched(district):
        calls.append(district.data["sources"]["homes"]["residents"])
        if district.data["sources"]["homes"]["residents"] == fail:
            raise SolverError("the digester washed out (test)")
        return simulate(district)

    monkeypatch.setattr(nexus.simulation, "simulate", patched)
    return calls


@pytest.mark.unit
def test_a_grid_is_every_combination_in_order(small):
    plan = sweeps.design(small, GRID)
    assert plan.keys == tuple(GRID)
    assert [tuple(s.values()) for s in plan.scenarios] == [
        (38, 8.0),
        (38, 16.0),
        (46, 8.0),
        (46, 16.0),
    ]
    assert plan.unit_sample is None


@pytest.mark.unit
@pytest.mark.parametrize(
    ("method", "samples", "scenarios"),
    [("monte_carlo", 7, 7), ("sobol", 8, 8 * (2 + 2)), ("morris", 3, 3 * (2 + 1))],
)
def test_sampled_designs_have_their_sizes(small, method, samples, scenarios):
    params = {
        "sources.homes.residents": {"dist": "uniform", "low": 30, "high": 50},
        "units.gw_hp.heat_pump.capacity_kW": {"dist": "lognormal", "median": 12.0, "sd_log": 0.2},
    }
    plan = sweeps.design(small, params, method=method, samples=samples, seed=3)
    assert len(plan.scenarios) == scenarios
    residents = [s["sources.homes.residents"] for s in plan.scenarios]
    assert all(isinstance(r, int) and 30 <= r <= 50 for r in residents)  # whole, as in the file
    again = sweeps.design(small, params, method=method, samples=samples, seed=3)
    assert again.scenarios == plan.scenarios  # the seed decides


@pytest.mark.unit
def test_distributions_map_quantiles_to_their_values(small):
    q = np.array([0.0, 0.5, 1.0])
    key = "units.gw_hp.heat_pump.capacity_kW"
    tri = {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 5.0}
    assert sweeps._from_quantiles(small, key, tri, q) == pytest.approx([1.0, 5 - np.sqrt(6), 5.0])
    normal = sweeps._from_quantiles(small, key, {"dist": "normal", "mean": 10, "sd": 2}, q)
    assert normal[1] == 10 and np.isfinite(normal).all()  # edges cut at EDGE_QUANTILE


@pytest.mark.unit
@pytest.mark.parametrize(
    ("params", "kwargs", "error", "words"),
    [
        ({"units.gw_hp.nope": [1]}, {}, DistrictError, "units.gw_hp.nope: value 1: unknown key"),
        ({"units.pump.area_m2": [1.0]}, {}, DistrictError, "units.pump"),
        ({"sources.homes.residents": [40, -3, 44]}, {}, DistrictError, "value -3"),
        ({"units.gw_hp.heat_pump.capacity_kW": ["big"]}, {}, DistrictError, "'big'"),
        (GRID, {"samples": 4}, ParameterError, "a grid runs every combination"),
        (GRID, {"method": "latin"}, ParameterError, "method = 'latin'"),
        ({"sources.homes.residents": {"dist": "normal", "mean": 40, "sd": -1}},
         {"method": "monte_carlo", "samples": 4}, ParameterError, "expected sd > 0"),
        ({"sources.homes.residents": {"dist": "uniform", "low": 40}},
         {"method": "monte_carlo", "samples": 4}, ParameterError, "expected low, high"),
        ({"sources.homes.residents": {"dist": "beta", "a": 1}},
         {"method": "monte_carlo", "samples": 4}, ParameterError, "dist = 'beta'"),
        ({"sources.homes.residents": {"dist": "uniform", "low": -10, "high": 40}},
         {"method": "monte_carlo", "samples": 50}, DistrictError, "out of range"),
        ({"sources.homes.residents": {"dist": "uniform", "low": 30, "high": 40}},
         {"method": "sobol", "samples": 6}, ParameterError, "power of 2"),
        ({"sources.homes.residents": [40]}, {"method": "sobol", "samples": 4},
         ParameterError, "expected a distribution"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_key(small, params, kwargs, error, words):
    with pytest.raises(error) as info:
        sweeps.design(small, params, **kwargs)
    assert words in str(info.value)


@pytest.mark.component
def test_a_sweep_stacks_kpis_by_machine_name(small, threads, monkeypatch):
    calls = counted(monkeypatch, fail=46)
    ds = nexus.sweep(small, GRID, client=threads, outputs=("heat_kW",))
    assert sorted(calls) == [38, 38, 46, 46]
    assert list(ds["status"].values) == ["ok", "ok", "failed", "failed"]
    assert "washed out" in ds["reason"].values[2] and ds["reason"].values[0] == ""
    heat = ds["heat_recovered_MWh_yr"]
    assert heat.attrs["units"] == "MWh yr-1" and heat.attrs["long_name"] == "heat recovered"
    assert np.isnan(heat.values[2:]).all() and (heat.values[:2] > 0).all()  # NaN, not 0
    assert list(ds["units.gw_hp.heat_pump.capacity_kW"].values) == [8.0, 16.0, 8.0, 16.0]
    assert ds["heat_kW"].dims[:2] == ("scenario", "time")
    assert np.isnan(ds["heat_kW"].sel(scenario=3)).all()
    alone = nexus.kpis(nexus.simulate(small.with_values({k: ds[k].values[1].item() for k in GRID})))
    for prose, value in alone.items():
        assert ds[sweeps.kpi_name(prose)].values[1] == pytest.approx(value)
    assert ds.attrs["scenarios_failed"] == 2


@pytest.mark.component
def test_an_interrupted_sweep_restarts_where_it_stopped(small, threads, monkeypatch, tmp_path):
    calls = counted(monkeypatch)
    path = tmp_path / "sweep.nc"
    params = {"sources.homes.residents": [36, 38, 40, 42, 44, 46]}

    def stop_after_two(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        nexus.sweep(small, params, client=threads, path=path, progress=stop_after_two)
    parts = sorted((tmp_path / "sweep.nc.parts").glob("scenario_*.nc"))
    assert len(parts) == 2 and not path.exists()
    written = {int(p.stem.split("_")[1]) for p in parts}
    calls.clear()
    restarted = nexus.sweep(small, params, client=threads, path=path)
    redone = {params["sources.homes.residents"].index(r) for r in calls}
    assert redone == set(range(6)) - written  # nothing finished is run again
    full = nexus.sweep(small, params, client=threads)
    xr.testing.assert_identical(restarted, full)
    calls.clear()
    again = nexus.sweep(small, params, client=threads, path=path)  # all done: nothing runs
    assert calls == [] and again.sizes["scenario"] == 6
    with xr.open_dataset(path, engine="h5netcdf") as saved:
        xr.testing.assert_equal(saved.load(), restarted)
    with pytest.raises(ParameterError, match="holds the parts of a different sweep"):
        nexus.sweep(small, {"sources.homes.residents": [36, 40]}, client=threads, path=path)


@pytest.mark.component
def test_sobol_and_morris_indices_come_with_intervals(small, threads, tmp_path):
    params = {
        "sources.homes.residents": {"dist": "uniform", "low": 30, "high": 50},
        "units.gw_hp.heat_pump.capacity_kW": {"dist": "uniform", "low": 4.0, "high": 8.0},
    }
    ds = nexus.sweep(
        small, params, method="sobol", samples=8, client=threads, path=tmp_path / "s.nc"
    )
    assert ds.sizes["scenario"] == 32 and ds["unit_sample"].shape == (32, 2)
    s = nexus.sensitivity(ds, ["heat_recovered_MWh_yr"])
    with xr.open_dataset(tmp_path / "s.nc", engine="h5netcdf") as saved:  # from the file alike
        xr.testing.assert_identical(nexus.sensitivity(saved, ["heat_recovered_MWh_yr"]), s)
    assert s["ST"].dims == ("output", "parameter")
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(s.data_vars)
    assert np.isfinite(s["ST"]).all() and (s["ST_conf"] > 0).all()
    m = nexus.sweep(small, params, method="morris", samples=4, client=threads)
    mu = nexus.sensitivity(m, ["heat_recovered_MWh_yr"])
    assert {"mu_star", "mu_star_conf", "sigma"} <= set(mu.data_vars)
    assert (mu["mu_star"] > 0).all()
    with pytest.raises(ParameterError, match="'sobol' or 'morris'"):
        nexus.sensitivity(nexus.sweep(small, {"sources.homes.residents": [40]}, client=threads))
    with pytest.raises(ParameterError, match="not a number per scenario of this sweep"):
        nexus.sensitivity(ds, ["heat"])


@pytest.mark.integration
@pytest.mark.slow
def test_a_local_cluster_of_two_worker_processes_runs_a_sweep(small, tmp_path):
    ds = nexus.sweep(small, GRID, workers=2, path=tmp_path / "grid.nc")
    assert list(ds["status"].values) == ["ok"] * 4
    heat = ds["heat_recovered_MWh_yr"].values
    assert heat[2] > heat[0]  # more residents, more greywater heat


@pytest.mark.unit
def test_an_unreachable_scheduler_is_named(small):
    with pytest.raises(ParameterError, match=r"tcp://127\.0\.0\.1:9': cannot reach"):
        nexus.sweep(small, {"sources.homes.residents": [40]}, client="tcp://127.0.0.1:9")


def nexus_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nexus", "sweep", str(SMALL), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


@pytest.mark.integration
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--set", "units.gw_hp.nope=1,2"], "--set units.gw_hp.nope: value 1: unknown key"),
        (["--set", "sources.homes.residents"], "--set 'sources.homes.residents'; expected"),
        (["--set", "sources.homes.residents=normal:40", "--samples", "4"], "takes 2 numbers"),
        (["--set", "sources.homes.residents=uniform:50,40", "--samples", "4"], "low < high"),
        (["--set", "sources.homes.residents=uniform:30,40", "--samples", "3", "--method", "sobol"],
         "--samples = 3 with method 'sobol'; expected a power of 2"),
        (["--set", "sources.homes.residents=40", "--method", "latin"], "--method = 'latin'"),
        (["--set", "sources.homes.residents=40", "--scheduler", "tcp://127.0.0.1:9"],
         "--scheduler 'tcp://127.0.0.1:9': cannot reach"),
        ([], "nothing to vary; expected --set"),
        (["--parameters", str(SMALL)], "small_district.toml: connections: unknown key; expected only parameters"),
    ],
)  # fmt: skip
def test_cli_bad_input_names_the_option(args, words):
    run = nexus_cli(*args)
    assert run.returncode == 1
    assert words in run.stderr
    assert "Traceback" not in run.stderr and "scenario 1/" not in run.stderr


@pytest.mark.integration
@pytest.mark.slow
def test_cli_sweep_writes_its_result(tmp_path):
    """The inputs from a sweep file, one of them replaced by --set."""
    spec = tmp_path / "sweep.toml"
    spec.write_text(
        '[parameters]\n"sources.homes.residents" = [30, 34]\n'
        '"units.gw_hp.heat_pump.capacity_kW" = [8.0]\n'
    )
    out = tmp_path / "s.nc"
    run = nexus_cli(
        "--parameters", str(spec), "--set", "sources.homes.residents=38,46",
        "--workers", "1", "--out", str(out),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "2 of 2 scenarios ran" in run.stdout and "heat recovered [MWh/yr]" in run.stdout
    assert "scenario 2/2 done" in run.stderr  # plain progress lines off a terminal
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert list(ds["sources.homes.residents"].values) == [38, 46]
        assert list(ds["units.gw_hp.heat_pump.capacity_kW"].values) == [8.0, 8.0]


SWEEP_FILE = ROOT / "districts" / "sweeps" / "buiksloterham_uncertainty.toml"


@pytest.mark.unit
def test_a_sweep_file_gives_the_parameters_and_method(tmp_path):
    shipped = nexus.read_sweep(SWEEP_FILE)
    assert (shipped["method"], shipped["samples"], shipped["seed"]) == ("sobol", 64, 1)
    assert len(shipped["parameters"]) == 10
    assert shipped["parameters"]["sources.homes.residents"] == {
        "dist": "uniform", "low": 1000, "high": 1300,
    }  # fmt: skip
    nested = tmp_path / "nested.toml"
    nested.write_text(
        "samples = 8\n[parameters.units.digester.reactor.T_C]\n"
        'dist = "normal"\nmean = 25.0\nsd = 2.0\n'
        '[parameters.sources.homes]\nresidents = {dist = "uniform", low = 30, high = 50}\n'
    )
    read = nexus.read_sweep(nested)
    assert read == {
        "parameters": {
            "units.digester.reactor.T_C": {"dist": "normal", "mean": 25.0, "sd": 2.0},
            "sources.homes.residents": {"dist": "uniform", "low": 30, "high": 50},
        },
        "samples": 8,
        "method": "monte_carlo",  # samples without a method: Monte Carlo, as on the CLI
    }
    grid = tmp_path / "grid.toml"
    grid.write_text('[parameters]\n"sources.homes.residents" = [30, 40]\n')
    assert nexus.read_sweep(grid) == {"parameters": {"sources.homes.residents": [30, 40]}}


@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ('[parameters]\n"a.b" = [1]\n[extra]\n', "extra", "expected only parameters, method"),
        ("method = 'sobol'\n", "parameters", "missing or empty"),
        ('method = "latin"\n[parameters]\n"a.b" = [1]\n', "method", "one of grid"),
        ('samples = 0\n[parameters]\n"a.b" = {dist = "uniform", low = 0, high = 1}\n',
         "samples", "a whole number >= 1"),
        ('samples = 4\nseed = "x"\n[parameters]\n"a.b" = {dist = "uniform", low = 0, high = 1}\n',
         "seed", "a whole number >= 0"),
        ('samples = 4\n[parameters]\n"a.b" = {dist = "normal", mean = 1, sd = -1}\n',
         "parameters.a.b", "sd > 0"),
        ('[parameters]\n"a.b" = {dist = "normal", mean = 1, sd = 1}\n',
         "parameters.a.b", "a distribution with method 'grid'"),
        ('[parameters.a]\nb = 3\n', "parameters.a.b", "expected a non-empty list"),
        ("parameters = [", None, "not a valid TOML file"),
    ],
)  # fmt: skip
def test_a_bad_sweep_file_names_the_file_and_key(tmp_path, text, key, words):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(DistrictError) as caught:
        nexus.read_sweep(path)
    assert caught.value.file == str(path) and caught.value.key == key
    assert words in str(caught.value)


@pytest.mark.component
@pytest.mark.slow
def test_an_optimizer_sweep_re_solves_one_model_per_worker(threads, monkeypatch):
    from test_optimize import small as small_with_optimize

    import nexus.optimize
    from nexus.optimize import Optimizer

    district = small_with_optimize()
    built = []
    original = Optimizer.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Optimizer, "__init__", counting)
    prices = {"heat_backup_per_kWh": [0.05, 0.1, 0.2, 0.4]}
    ds = nexus.sweep(district, prices, objective="cost", client=threads)
    assert list(ds["status"].values) == ["ok"] * 4
    assert len(built) <= 2  # one per worker thread, not one per scenario
    assert ds["cost_per_yr"].attrs["units"] == "EUR yr-1"
    fresh = nexus.optimize.solve(district.with_values({"optimize.prices.heat_backup_per_kWh": 0.4}))
    assert ds["cost_per_yr"].values[3] == pytest.approx(float(fresh["cost_per_yr"][0]), rel=1e-6)
    assert ds["gw_hp_capacity_kW"].values[3] >= ds["gw_hp_capacity_kW"].values[0]
    with pytest.raises(ParameterError, match="'heat_price' is not a setting of the optimizer"):
        nexus.sweep(district, {"heat_price": [1.0]}, objective="cost", client=threads)
    with pytest.raises(ParameterError, match="min_P_kg_yr = -1"):
        nexus.sweep(district, {"min_P_kg_yr": [-1.0, 2.0]}, objective="cost", client=threads)
