"""Benchmark: HiGHS's LP methods on the full-year (8760 h) Buiksloterham LP, side by side.

The LP is the one ``benchmarks/bench_optimize.py`` calls "pyomo LP": the optimizer model
of ``nexus.optimize`` on the full year of unit maps, with its two binaries fixed at the
MILP optimum, exactly as Pyomo hands it to HiGHS (exported once as CSR arrays). Each method
then solves those arrays with ``highspy`` in its own fresh process, ``--runs`` times,
the methods alternating run by run:

- ``simplex``: HiGHS's default for an LP (``solver="simplex"``, dual simplex, what nexus
  uses today);
- ``ipm``: the interior point method with crossover (``solver="ipm"``, a basic optimal
  solution as simplex gives: what a warm-started re-solve needs);
- ``ipm-nox``: the interior point method without crossover (``run_crossover="off"``): an
  interior optimum, no basis;
- ``pdlp``: HiGHS's first-order primal-dual LP solver (``solver="pdlp"``, cuPDLP-C; on
  the CPU here), at its default tolerances.

Reported per method: the median time of ``run()``, the objective against simplex's
(relative), the largest primal and dual infeasibility HiGHS reports, iterations, status,
peak resident memory. Every run starts from scratch (no basis), as a first solve does, and
stops at ``TIME_LIMIT_S`` (120 s) if it has not finished.

Run (the export solves the full-year MILP once: a few minutes on 2 cores)::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_lp_methods.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

#: Each solve stops here (the status then says so): a bound on the benchmark's length.
TIME_LIMIT_S = 120.0

METHODS = {
    "simplex": {"solver": "simplex"},
    "ipm": {"solver": "ipm", "run_crossover": "on"},
    "ipm-nox": {"solver": "ipm", "run_crossover": "off"},
    "pdlp": {"solver": "pdlp"},
}


def worker(method: str, arrays: str) -> dict:
    import resource

    import highspy

    z = dict(np.load(arrays))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", TIME_LIMIT_S)
    for k, v in METHODS[method].items():
        h.setOptionValue(k, v)
    n, m = z["c"].size, z["row_lower"].size
    h.passModel(
        n, m, z["value"].size, int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize),
        float(z["offset"]), z["c"], z["col_lower"], z["col_upper"], z["row_lower"],
        z["row_upper"], z["start"], z["index"], z["value"], np.zeros(n, dtype=np.int32),
    )  # fmt: skip
    t0 = time.perf_counter()
    c0 = time.process_time()
    h.run()
    t, cpu = time.perf_counter() - t0, time.process_time() - c0
    info = h.getInfo()
    return {
        "time_s": t,
        "cpu_s": cpu,
        "status": h.modelStatusToString(h.getModelStatus()),
        "obj": info.objective_function_value,
        "primal_infeas": info.max_primal_infeasibility,
        "dual_infeas": info.max_dual_infeasibility,
        "simplex_iter": info.simplex_iteration_count,
        "ipm_iter": info.ipm_iteration_count,
        "crossover_iter": info.crossover_iteration_count,
        "pdlp_iter": info.pdlp_iteration_count,
        "basis_valid": bool(info.basis_validity),
        "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rows": m,
        "cols": n,
        "nnz": int(z["value"].size),
    }


def child(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{args}: failed\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def export(tmp: Path) -> str:
    """The 8760 h LP as bench_optimize exports it: maps sampled, MILP solved, binaries fixed."""
    import re

    import bench_optimize as bo

    paths = bo.prepare(tmp, ["8760"])
    milp = bo.child("pyomo", {"maps": paths["8760"]})
    fix = milp["binaries"]
    assert all(re.fullmatch(r"\w+\[(\w+)\]\.built_(\w+)", k) for k in fix)
    arrays = str(tmp / "lp_8760.npz")
    bo.child("pyomo", {"maps": paths["8760"], "fix": fix, "export": arrays})
    return arrays


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--arrays", help="an exported LP (.npz) instead of exporting it again")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    methods = args.methods.split(",")
    with tempfile.TemporaryDirectory(prefix="bench_lp_") as tmp:
        arrays = args.arrays
        if arrays is None:
            t0 = time.perf_counter()
            arrays = export(Path(tmp))
            print(f"export (sampling, the MILP, the LP): {time.perf_counter() - t0:.0f} s")
        runs: dict[str, list[dict]] = {m: [] for m in methods}
        for i in range(args.runs):
            for m in methods if i % 2 == 0 else methods[::-1]:
                runs[m].append(child("--worker", m, arrays))
                print(f"  run {i + 1} {m}: {runs[m][-1]['time_s']:.1f} s", flush=True)
    first = runs[methods[0]][0]
    print(f"LP: {first['rows']:,} rows, {first['cols']:,} columns, {first['nnz']:,} nonzeros")
    ref = statistics.median(r["obj"] for r in runs.get("simplex", runs[methods[0]]))
    print(
        "| method | time [s], median (min-max) | CPU [s] | status | objective vs simplex "
        "| max primal / dual infeasibility | iterations | basis | peak RSS [MB] |"
    )
    print("|---|---:|---:|---|---:|---|---|---|---:|")
    for m in methods:
        rs = runs[m]
        t = [r["time_s"] for r in rs]
        its = "/".join(
            f"{k.split('_')[0]} {rs[0][k]}"
            for k in ("simplex_iter", "ipm_iter", "crossover_iter", "pdlp_iter")
            if rs[0][k] > 0
        )
        print(
            f"| {m} | {statistics.median(t):.1f} ({min(t):.1f}-{max(t):.1f}) "
            f"| {statistics.median(r['cpu_s'] for r in rs):.1f} | {rs[0]['status']} "
            f"| {max(abs(r['obj'] - ref) / abs(ref) for r in rs):.1e} "
            f"| {max(r['primal_infeas'] for r in rs):.1e} / {max(r['dual_infeas'] for r in rs):.1e} "
            f"| {its} | {'yes' if rs[0]['basis_valid'] else 'no'} "
            f"| {statistics.median(r['peak_rss_MB'] for r in rs):.0f} |"
        )


if __name__ == "__main__":
    main()
