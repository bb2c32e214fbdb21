"""Benchmark: import time of nexus and a whole simulated year of Buiksloterham.

Each figure is the median of several fresh runs, each in its own Python
process (so imports and caches are cold, as a user meets them). Next to each
time is its ratio to a fixed reference workload timed in the same process
(a 400 x 400 matrix product repeated 20 times), so figures from different
machines can be compared.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_simulate.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import nexus
t_import = time.perf_counter() - t0
import numpy as np
a = np.random.default_rng(0).random((400, 400))
t0 = time.perf_counter()
for _ in range(20):
    a @ a
t_ref = time.perf_counter() - t0
if sys.argv[1] == "import":
    print(json.dumps({"import_s": t_import, "ref_s": t_ref}))
    raise SystemExit
t0 = time.perf_counter()
district = nexus.load_district(sys.argv[2])
t_load = time.perf_counter() - t0
t0 = time.perf_counter()
ds = nexus.simulate(district)
t_sim = time.perf_counter() - t0
t0 = time.perf_counter()
nexus.kpis(ds)
t_kpi = time.perf_counter() - t0
# A second simulation in the same process: the cost once libraries are loaded.
t0 = time.perf_counter()
nexus.simulate(district)
t_sim_warm = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"load_s": t_load, "simulate_s": t_sim, "simulate_warm_s": t_sim_warm,
                  "kpis_s": t_kpi, "ref_s": t_ref, "peak_rss_MB": rss}))
"""


def fresh(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--district", default=str(ROOT / "districts" / "buiksloterham.toml"))
    args = parser.parse_args()
    imports = [fresh("import") for _ in range(args.runs)]
    runs = [fresh("run", args.district) for _ in range(args.runs)]

    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    print(f"fresh processes: {args.runs}; python {sys.version.split()[0]}")
    print(f"{'measure':42s} {'median':>10s} {'x reference':>12s}")
    for rows, key, label in (
        (imports, "import_s", "import nexus [s]"),
        (runs, "load_s", "load_district (first call, cold) [s]"),
        (runs, "simulate_s", "simulate one year (first call, cold) [s]"),
        (runs, "simulate_warm_s", "simulate one year (second call) [s]"),
        (runs, "kpis_s", "kpis [s]"),
    ):
        ratio = statistics.median(r[key] / r["ref_s"] for r in rows)
        print(f"{label:42s} {med(rows, key):10.3f} {ratio:12.2f}")
    print(f"{'reference workload [s]':42s} {med(runs, 'ref_s'):10.3f}")
    print(f"{'peak resident memory of a run [MB]':42s} {med(runs, 'peak_rss_MB'):10.0f}")


if __name__ == "__main__":
    main()
