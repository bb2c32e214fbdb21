"""Benchmark: sweeps of Buiksloterham on Dask (issue 15).

Measures, on this machine:

- a bare ``simulate`` + ``kpis`` of Buiksloterham in this process (warm; the least of
  ``--runs``);
- the per-scenario cost in a sweep on a ``LocalCluster`` of 1 and of 2 worker processes,
  from the difference of two sweeps of different sizes (so the cluster's start-up and the
  workers' first, cold simulation cancel out): ``(wall(n_large) - wall(n_small)) /
  (n_large - n_small)`` scenario-seconds per scenario;
- the scheduler's own cost per task (a few thousand empty tasks on the 1-worker cluster);
- optionally a Monte Carlo sweep of ``--mc`` scenarios at 2 workers, each scenario written
  to its part file as it finishes (as ``nexus sweep --out`` does): wall time, the client
  process's peak resident memory and the CPU time its worker processes used.

The projected throughput of a cluster of W workers is ``min(W / t_scenario, 1 /
t_scheduler)`` scenarios per second: each worker runs one scenario at a time, and the
scheduler handles one task at a time.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_sweep.py [--small 4 --large 12 --mc 100]``;
``--mc 100 --mc-only --mc-workers 1`` runs only the Monte Carlo sweep.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

import nexus

ROOT = Path(__file__).resolve().parent.parent
DISTRICT = ROOT / "districts" / "buiksloterham.toml"
#: The ten uncertain inputs of notebooks/04_sensitivity.ipynb, for the Monte Carlo sweep.
UNCERTAIN = nexus.read_sweep(ROOT / "districts" / "sweeps" / "buiksloterham_uncertainty.toml")[
    "parameters"
]


def grid(n: int) -> dict[str, list[float]]:
    """n scenarios: exchanger areas 30 to 50 m2."""
    return {"units.gw_hp.exchanger.area_m2": [float(a) for a in np.linspace(30.0, 50.0, n)]}


def wall(district: nexus.District, n: int, workers: int) -> float:
    t0 = time.perf_counter()
    ds = nexus.sweep(district, grid(n), workers=workers)
    assert (ds["status"] == "ok").all()
    return time.perf_counter() - t0


def scheduler_s_per_task(tasks: int) -> float:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        client.gather(client.map(abs, range(100)))  # warm
        t0 = time.perf_counter()
        client.gather(client.map(abs, range(tasks)))
        return (time.perf_counter() - t0) / tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--small", type=int, default=4)
    parser.add_argument("--large", type=int, default=12)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--mc", type=int, default=0, help="Monte Carlo scenarios (0: none)")
    parser.add_argument("--mc-workers", type=int, default=2)
    parser.add_argument("--mc-only", action="store_true", help="only the Monte Carlo sweep")
    args = parser.parse_args()
    if args.mc_only:
        return monte_carlo(nexus.load_district(DISTRICT), args.mc, args.mc_workers, {})

    district = nexus.load_district(DISTRICT)
    nexus.kpis(nexus.simulate(district))  # warm
    bare = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        nexus.kpis(nexus.simulate(district))
        bare.append(time.perf_counter() - t0)
    out: dict[str, float] = {"bare_simulate_kpis_s": min(bare)}
    print(json.dumps(out), flush=True)
    extra = args.large - args.small
    for workers in (1, 2):
        small = wall(district, args.small, workers)
        large = wall(district, args.large, workers)
        out[f"wall_{args.small}_{workers}w_s"] = small
        out[f"wall_{args.large}_{workers}w_s"] = large
        out[f"scenario_s_{workers}w"] = (large - small) / extra
        print(json.dumps(out), flush=True)
    out["overhead_frac_1w"] = out["scenario_s_1w"] / out["bare_simulate_kpis_s"] - 1.0
    out["speedup_2w"] = out["scenario_s_1w"] / out["scenario_s_2w"]
    out["scheduler_s_per_task"] = scheduler_s_per_task(args.tasks)
    t_s = out["scenario_s_1w"]
    for w in (2, 16, 64, 256):
        out[f"projected_scenarios_per_s_{w}w"] = min(w / t_s, 1.0 / out["scheduler_s_per_task"])
    if args.mc:
        monte_carlo(district, args.mc, args.mc_workers, out)
    else:
        out["client_peak_rss_MiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out, indent=1))


def monte_carlo(district: nexus.District, n: int, workers: int, out: dict[str, float]) -> None:
    """A Monte Carlo sweep of the ten uncertain inputs: wall time and the client's memory."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        ds = nexus.sweep(
            district,
            UNCERTAIN,
            method="monte_carlo",
            samples=n,
            workers=workers,
            path=Path(folder) / "mc.nc",
        )
    out[f"mc_{n}_{workers}w_wall_s"] = time.perf_counter() - t0
    out[f"mc_{n}_failed"] = int((ds["status"] != "ok").sum())
    workers_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["workers_cpu_s"] = workers_cpu.ru_utime + workers_cpu.ru_stime
    out["client_peak_rss_MiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
