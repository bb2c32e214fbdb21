"""Benchmark: a cold start, a year of Buiksloterham in a fresh process.

Two workloads, each in ``--runs`` fresh Python processes, alternating, timed from outside
(the wall time of the whole process, interpreter start-up and exit included):

- ``simulate``: ``python -c "import nexus; nexus.simulate(nexus.load_district(FILE))"``
- ``cli``: ``python -m nexus run FILE`` (the command line: load, simulate, KPIs, table)

and one more fresh process per run that times the steps from inside: ``import nexus``,
``load_district``, the first ``simulate`` (cold: it loads the libraries a run needs), a second
``simulate`` (warm), and which heavy libraries the run left in ``sys.modules``. The share of
a cold ``simulate`` spent loading libraries is estimated as (first - second) / first.

Run from the root of the tree measured (``python -c`` and ``-m`` put the working directory
first on ``sys.path``): ``PYTHONPATH=. .venv/bin/python benchmarks/bench_coldstart.py --runs 7``.
"""

from __future__ import annotations

import argparse
import json
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


def wall(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--district", default=str(ROOT / "districts" / "buiksloterham.toml"))
    args = parser.parse_args()
    py = sys.executable
    sim_code = f"import nexus; nexus.simulate(nexus.load_district({args.district!r}))"
    rows: dict[str, list[float]] = {"simulate": [], "cli": []}
    inside = []
    for _ in range(args.runs):
        rows["simulate"].append(wall([py, "-c", sim_code]))
        rows["cli"].append(wall([py, "-m", "nexus", "run", args.district]))
        out = subprocess.run(
            [py, "-c", INSIDE, args.district, ",".join(WATCHED)],
            capture_output=True,
            text=True,
            check=True,
        )
        inside.append(json.loads(out.stdout))
    print(f"fresh processes: {args.runs} of each; python {sys.version.split()[0]}")

    def line(label: str, values: list[float]) -> None:
        q = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
        print(
            f"{label:46s} median {statistics.median(values):7.3f}  "
            f"min {min(values):7.3f}  q1 {q[0]:7.3f}  q3 {q[2]:7.3f}  max {max(values):7.3f}"
        )

    line("process: import + load + simulate [s]", rows["simulate"])
    line("process: nexus run FILE (CLI) [s]", rows["cli"])
    for key in ("import_s", "load_s", "simulate_cold_s", "simulate_warm_s"):
        line(f"inside: {key}", [r[key] for r in inside])
    share = [(r["simulate_cold_s"] - r["simulate_warm_s"]) / r["simulate_cold_s"] for r in inside]
    line("inside: (cold - warm) / cold simulate", share)
    print(f"modules loaded by a run: {statistics.median(r['modules'] for r in inside):.0f}")
    print(f"watched libraries loaded: {', '.join(inside[-1]['loaded']) or 'none'}")


if __name__ == "__main__":
    main()
