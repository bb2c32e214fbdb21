"""Benchmark: struvite equilibrium of 10,000 waters in one call vs PHREEQC on the same waters.

The same 10,000 waters (anaerobic black-water effluent and stored urine, half
with the pH floating, half held with NaOH/HCl; Mg dosed at 0-2 mol/mol P) go
through ``nexus.units.struvite.equilibrate`` in one vectorized call and through
PHREEQC 3.7.3 (phreeqpython, phreeqc.dat, one water per run; a test-only
reference, imported here only) in the same run of this script.

Both sides are timed the same way: each run is a fresh Python process that loads its
library, warms up on the first 10 waters (first-call costs: nexus's imports, PHREEQC's
database), then times ``--reps`` passes over all the waters (default 3). The processes
alternate for ``--rounds`` rounds (default 5; nexus default, nexus tuned, PHREEQC, the
order rotating each round), so that all three see the same load on the machine. Each
side's time is the median of its ``rounds x reps`` passes; the ratio PHREEQC / nexus is
given as the ratio of those medians and as the distribution (min, quartiles, max) of the
ratios of every PHREEQC pass to every nexus call of the same round.

nexus runs in two settings: as a user gets it (the default) and after
``nexus.units.struvite.tune_for_throughput()`` (glibc's malloc keeps freed
memory for reuse, an opt-in that changes the whole process). Each side's peak resident
memory is its own process's; nexus's numpy peak is also measured with tracemalloc.
Printed: time per water, the ratios, peak memory, and the largest deviations between
the two on the shared outputs.

Run: ``.venv/bin/python benchmarks/bench_struvite.py [--n 10000] [--rounds 5] [--reps 3]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

KEYS = ("SI_struvite_initial", "pH_final", "P_recovered_fraction", "NaOH_mmol_L")


def make_waters(n: int, seed: int = 11) -> dict[str, np.ndarray]:
    """Black water (60 %) and urine (40 %); alkalinity above the non-carbonate alkalinity."""
    rng = np.random.default_rng(seed)
    nb = int(0.6 * n)
    nu = n - nb

    def lu(a, b, k):
        return np.exp(rng.uniform(np.log(a), np.log(b), k))

    w = {
        "T_C": rng.uniform(10, 35, n),
        "pH": np.r_[rng.uniform(6.0, 8.5, nb), rng.uniform(8.5, 9.5, nu)],
        "NH4_N_mg_L": np.r_[lu(50, 1500, nb), lu(1500, 6000, nu)],
        "PO4_P_mg_L": np.r_[lu(5, 150, nb), lu(100, 400, nu)],
        "Mg_mg_L": np.r_[rng.uniform(0, 200, nb), rng.uniform(0, 10, nu)],
        "Ca_mg_L": np.r_[rng.uniform(0, 300, nb), rng.uniform(0, 30, nu)],
        "K_mg_L": np.r_[lu(20, 400, nb), lu(500, 3000, nu)],
        "Cl_mg_L": lu(50, 4000, n),
        "Mg_to_P_dose": rng.uniform(0, 2, n),
    }
    f_nh3 = 1 / (1 + 10 ** (0.09018 + 2729.92 / (w["T_C"] + 273.15) - w["pH"]))
    N, P = w["NH4_N_mg_L"] / 14.0067, w["PO4_P_mg_L"] / 30.97
    alk = 1.3 * f_nh3 * N + 2 * P + N * rng.uniform(0.2, 1.0, n)
    w["alkalinity_mg_L_HCO3"] = alk * 61.02
    cat = (1 - f_nh3) * N + w["K_mg_L"] / 39.1 + w["Mg_mg_L"] / 12.16 + w["Ca_mg_L"] / 20.04
    w["Na_mg_L"] = np.maximum(lu(20, 3000, n), (alk + 2 * P - cat) * 25.3 + 20)
    w["pH_target"] = np.where(rng.random(n) < 0.5, np.nan, rng.uniform(7.0, 9.5, n))
    return w


NEXUS_CHILD = r"""
import json, resource, sys, time, tracemalloc
import numpy as np
data = np.load(sys.argv[1])
w = {k: data[k] for k in data.files}
t0 = time.perf_counter()
from nexus.units import struvite as sv
t_import = time.perf_counter() - t0
if sys.argv[4] == "tuned":
    assert sv.tune_for_throughput()
sv.equilibrate(**{k: v[:10] for k, v in w.items()})  # warm up (first-call costs)
times = []
for _ in range(int(sys.argv[5])):
    t0, c0 = time.perf_counter(), time.process_time()
    ds = sv.equilibrate(**w)
    times.append((time.perf_counter() - t0, time.process_time() - c0))
tracemalloc.start()
sv.equilibrate(**w)
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
np.savez(sys.argv[2], **{k: ds[k].values for k in sys.argv[3].split(",")})
print(json.dumps({"times": [t for t, _ in times], "cpu": [c for _, c in times], "import_s": t_import, "tracemalloc_peak_MB": peak / 2**20,
                  "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

PHREEQC_CHILD = r"""
import json, math, resource, sys, time
import numpy as np
import phreeqpython
sys.path.insert(0, sys.argv[4])
from test_struvite_phreeqc import AMM_DEFS, phreeqc_case
data = np.load(sys.argv[1])
w = {k: data[k] for k in data.files}
naoh = np.load(sys.argv[3])["NaOH_mmol_L"]
n = w["T_C"].size
pp = phreeqpython.PhreeqPython(database="phreeqc.dat")
pp.ip.run_string(AMM_DEFS)
keys = sys.argv[5].split(",")


def one_pass(m):
    out = {k: np.full(m, np.nan) for k in keys}
    failed = 0
    for i in range(m):
        wi = {k: float(v[i]) for k, v in w.items()}
        reagent = None
        if not math.isnan(wi["pH_target"]):
            reagent = "NaOH" if naoh[i] >= 0 else "HCl"
        try:
            r = phreeqc_case(pp, wi, reagent)
        except Exception:
            failed += 1
            continue
        for k in keys:
            out[k][i] = r[k]
    return out, failed


one_pass(min(10, n))  # warm up, as nexus does
times, cpu = [], []
for _ in range(int(sys.argv[6])):
    t0, c0 = time.perf_counter(), time.process_time()
    out, failed = one_pass(n)
    times.append(time.perf_counter() - t0)
    cpu.append(time.process_time() - c0)
np.savez(sys.argv[2], **out)
print(json.dumps({"times": times, "cpu": cpu, "failed": failed,
                  "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_run(runs: list[dict]) -> dict:
    """Median over all timed passes of the runs of one side, with the median pass's CPU."""
    calls = sorted((t, c) for run in runs for t, c in zip(run["times"], run["cpu"], strict=True))
    _, cpu = calls[(len(calls) - 1) // 2]  # CPU of the lower-median pass
    return {
        "time_s": float(np.median([t for t, _ in calls])),
        "cpu_s": cpu,
        "calls": len(calls),
        **{
            k: float(np.median([run[k] for run in runs]))
            for k in runs[0]
            if k not in ("times", "cpu")
        },
    }


def ratios(slow: list[dict], fast: list[dict], key: str = "times") -> np.ndarray:
    """Every pass of ``slow`` over every call of ``fast`` in the same round."""
    return np.array(
        [a / b for s, f in zip(slow, fast, strict=True) for a in s[key] for b in f[key]]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of waters")
    parser.add_argument(
        "--rounds", type=int, default=5, help="fresh processes per side, alternated"
    )
    parser.add_argument("--reps", type=int, default=3, help="timed passes in each process")
    args = parser.parse_args()
    w = make_waters(args.n)
    sides = ("default", "tuned", "phreeqc")
    with tempfile.TemporaryDirectory() as tmp:
        src, b = (str(Path(tmp) / f) for f in ("waters.npz", "phreeqc.npz"))
        out = {s: str(Path(tmp) / f"nexus_{s}.npz") for s in sides[:2]}
        np.savez(src, **w)
        runs: dict[str, list[dict]] = {s: [] for s in sides}
        validation, keys = str(ROOT / "tests" / "validation"), ",".join(KEYS)
        for r in range(args.rounds):
            # rotate the order; round 0 starts with nexus (PHREEQC reads its NaOH sign)
            for s in sides[r % 3 :] + sides[: r % 3]:
                if s == "phreeqc":
                    run = child(
                        PHREEQC_CHILD, src, b, out["default"], validation, keys, str(args.reps)
                    )
                else:
                    run = child(NEXUS_CHILD, src, out[s], keys, s, str(args.reps))
                runs[s].append(run)
        nx = {s: median_run(runs[s]) for s in sides[:2]}
        ph = median_run(runs["phreeqc"])
        ratio = {s: ratios(runs["phreeqc"], runs[s]) for s in sides[:2]}
        ratio_cpu = {s: ratios(runs["phreeqc"], runs[s], "cpu") for s in sides[:2]}
        cpu_med = {s: float(np.median([c for run in runs[s] for c in run["cpu"]])) for s in sides}
        a = out["default"]
        got, tuned, ref = np.load(a), np.load(out["tuned"]), np.load(b)
        same = all(np.array_equal(got[k], tuned[k], equal_nan=True) for k in KEYS)
        dev = {}
        for k in KEYS:
            d = np.abs(got[k] - ref[k])
            if k == "SI_struvite_initial":  # -inf here, -99.99 in PHREEQC: absent Mg
                d = np.where(ref[k] <= -99.0, 0.0, d)
            if k == "NaOH_mmol_L":
                d = d / (np.abs(ref[k]) + 0.5)  # relative, with 0.5 mmol/L floor
            dev[k] = np.nanmax(d)
    n = args.n
    d, t = nx["default"], nx["tuned"]
    print(
        f"struvite equilibrium, {n} waters; python {sys.version.split()[0]}, numpy {np.__version__}"
    )
    print(
        f"each side: median of {d['calls']} passes ({args.rounds} fresh processes x {args.reps}"
        " passes after a warm-up), the processes alternating"
    )
    print(f"{'measure':44s} {'nexus':>12s} {'nexus tuned':>12s} {'PHREEQC':>12s} {'ratio':>8s}")
    tn, tt, tp = d["time_s"], t["time_s"], ph["time_s"]
    print(f"{'total time [s]':44s} {tn:12.3f} {tt:12.3f} {tp:12.3f} {tp / tn:8.1f}")
    print(
        f"{'time per water [ms]':44s} {1e3 * tn / n:12.4f} {1e3 * tt / n:12.4f} "
        f"{1e3 * tp / n:12.4f} {tp / tn:8.1f}"
    )
    print(f"{'CPU time of the median call [s]':44s} {d['cpu_s']:12.3f} {t['cpu_s']:12.3f}")
    print(
        f"{'peak resident memory of the process [MB]':44s} {d['peak_rss_MB']:12.0f} "
        f"{t['peak_rss_MB']:12.0f} {ph['peak_rss_MB']:12.0f}"
    )
    print(
        f"{'peak numpy allocation (tracemalloc) [MB]':44s} {d['tracemalloc_peak_MB']:12.0f} "
        f"{t['tracemalloc_peak_MB']:12.0f}"
    )
    print(f"{'import nexus.units.struvite [s]':44s} {d['import_s']:12.3f} {t['import_s']:12.3f}")
    print(f"{'PHREEQC runs that failed':44s} {'':12s} {'':12s} {ph['failed']:12.0f}")
    print(f"{'CPU time of the median PHREEQC pass [s]':44s} {'':12s} {'':12s} {ph['cpu_s']:12.3f}")
    print(
        f"{'median CPU time of a pass [s]':44s} {cpu_med['default']:12.3f} "
        f"{cpu_med['tuned']:12.3f} {cpu_med['phreeqc']:12.3f} "
        f"{cpu_med['phreeqc'] / cpu_med['default']:8.1f}"
    )
    for s, label in (("default", "nexus"), ("tuned", "nexus tuned")):
        for r, what in ((ratio[s], "wall"), (ratio_cpu[s], "CPU")):
            q = np.percentile(r, [0, 25, 50, 75, 100])
            print(
                f"ratio PHREEQC / {label} ({what} time), {r.size} same-round pairs: min {q[0]:.1f},"
                f" q1 {q[1]:.1f}, median {q[2]:.1f}, q3 {q[3]:.1f}, max {q[4]:.1f}"
            )
    print(f"default / tuned time: {tn / tt:.2f}; results identical in both settings: {same}")
    print("largest deviation nexus - PHREEQC:")
    for k in KEYS:
        unit = "(relative, 0.5 mmol/L floor)" if k == "NaOH_mmol_L" else ""
        print(f"  {k:26s} {dev[k]:.3g} {unit}")


if __name__ == "__main__":
    main()
