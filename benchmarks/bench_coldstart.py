"""Benchmark: a cold start, a year of Buiksloterham in a fresh process.

Two workloads, each in ``--runs`` fresh Python processes, alternating, timed from outside
(the wall time of the whole process, interpreter start-up and exit included):

- ``simulate``: ``python -c "import nexus; nexus.simulate(nexus.load_district(FILE))"``
- ``cli``: ``python -m nexus run FILE`` (the command line: load, simulate, KPIs, table)

and one more fresh process per run that times the steps from inside: ``import nexus``,
``load_district``, the first ``simulate`` (cold: it loads the libraries a run needs), a second
``simulate`` (warm), and which heavy libraries the run left in ``sys.modules``. The share of
a cold ``simulate`` spent loading libraries is estimated as (first - second) / first.

Each process runs in the source tree measured, with that tree first on ``PYTHONPATH``;
``--trees a,b`` alternates between two trees (a before and an after) run by run:
``.venv/bin/python benchmarks/bench_coldstart.py --runs 7 [--trees /tmp/before,.]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Libraries a simulation does not need; the inside process reports which of them it loaded.
WATCHED = (
    "scipy",
    "scipy.stats",
    "scipy.sparse",
    "dask",
    "dask.array",
    "distributed",
    "pint",
    "tsam",
    "sklearn",
    "plotly",
    "SALib",
    "pyomo",
    "matplotlib",
    "highspy",
    "numba",
)

INSIDE = r"""
import json, sys, time
t0 = time.perf_counter()
import nexus
t_import = time.perf_counter() - t0
t0 = time.perf_counter()
district = nexus.load_district(sys.argv[1])
t_load = time.perf_counter() - t0
t0 = time.perf_counter()
nexus.simulate(district)
t_cold = time.perf_counter() - t0
t0 = time.perf_counter()
nexus.simulate(district)
t_warm = time.perf_counter() - t0
watched = sys.argv[2].split(",")
print(json.dumps({"import_s": t_import, "load_s": t_load, "simulate_cold_s": t_cold,
                  "simulate_warm_s": t_warm, "modules": len(sys.modules),
                  "loaded": [m for m in watched if m in sys.modules]}))
"""


def wall(argv: list[str], tree: str) -> tuple[float, float]:
    """Wall and CPU time (user + system of the child) of one fresh process run in ``tree``."""
    before = os.times()
    t0 = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True, cwd=tree, env=_env(tree))
    t = time.perf_counter() - t0
    after = os.times()
    return t, (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def _env(tree: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([tree, *filter(None, [env.get("PYTHONPATH")])])
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--district", default=str(ROOT / "districts" / "buiksloterham.toml"))
    parser.add_argument(
        "--trees",
        default=".",
        help="comma-separated source trees to compare (each run alternates between them)",
    )
    args = parser.parse_args()
    py = sys.executable
    trees = [str(Path(t).resolve()) for t in args.trees.split(",")]
    sim_code = f"import nexus; nexus.simulate(nexus.load_district({args.district!r}))"
    rows = {t: {"simulate": [], "cli": [], "simulate_cpu": [], "cli_cpu": []} for t in trees}
    inside: dict[str, list[dict]] = {t: [] for t in trees}
    for i in range(args.runs):
        for tree in trees if i % 2 == 0 else trees[::-1]:
            r = rows[tree]
            w, c = wall([py, "-c", sim_code], tree)
            r["simulate"].append(w)
            r["simulate_cpu"].append(c)
            w, c = wall([py, "-m", "nexus", "run", args.district], tree)
            r["cli"].append(w)
            r["cli_cpu"].append(c)
            out = subprocess.run(
                [py, "-c", INSIDE, args.district, ",".join(WATCHED)],
                capture_output=True,
                text=True,
                check=True,
                cwd=tree,
                env=_env(tree),
            )
            inside[tree].append(json.loads(out.stdout))
    print(f"fresh processes: {args.runs} of each, per tree; python {sys.version.split()[0]}")

    def line(label: str, values: list[float]) -> None:
        q = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
        print(
            f"  {label:44s} median {statistics.median(values):7.3f}  "
            f"min {min(values):7.3f}  q1 {q[0]:7.3f}  q3 {q[2]:7.3f}  max {max(values):7.3f}"
        )

    for tree in trees:
        r, ins = rows[tree], inside[tree]
        print(f"tree {tree}")
        line("process: import + load + simulate [s]", r["simulate"])
        line("  CPU time of that process [s]", r["simulate_cpu"])
        line("process: nexus run FILE (CLI) [s]", r["cli"])
        line("  CPU time of that process [s]", r["cli_cpu"])
        for key in ("import_s", "load_s", "simulate_cold_s", "simulate_warm_s"):
            line(f"inside: {key}", [x[key] for x in ins])
        share = [(x["simulate_cold_s"] - x["simulate_warm_s"]) / x["simulate_cold_s"] for x in ins]
        line("inside: (cold - warm) / cold simulate", share)
        print(f"  modules loaded by a run: {statistics.median(x['modules'] for x in ins):.0f}")
        print(f"  watched libraries loaded: {', '.join(ins[-1]['loaded']) or 'none'}")


if __name__ == "__main__":
    main()
