"""Benchmark of nexus.units.adm1 (ADM1 as in BSM2).

Measures, each in a fresh Python process (cold caches, as a user meets them):

1. the BSM2 steady state from the influent, no warm start: the first call (it
   imports xarray and scipy) and the median of several further calls;
2. a batch of 1,000 steady states in one call (BSM2 influent varied +-20 %,
   flow 120-220 m3/d, temperature 30-35 degC, within the validated range);
3. a year of daily steady states of an undersized UASB (black water and kitchen
   waste, 10 m3 for ~7 m3/d at 25 degC, solids kept 100 d; feed +-5 % and flow +-10 % at
   random from day to day), where Newton from the chemostat guess finds only
   unstable states, so the rows need a dynamic start-up or continuation;
4. a 365-day dynamic run with hourly influent (8,761 points), started from the
   steady state, with each integrator's default tolerances: time and peak
   memory, measured after a first 1-day call (whose time, mostly importing
   scipy.integrate and scipy.interpolate, is given in the notes).
   Influent: the BSM2 influent times a +-20 % diurnal wave, a +-5 % weekly wave
   and 5 % random variation, flow with a +-30 % diurnal wave. Two kinds of
   random variation: ``ar1`` (autocorrelated from hour to hour, coefficient
   0.9, as a sewer network smooths its inflow) and ``white`` (independent each
   hour, a stress case);
5. the accuracy of 4. over the first ``--accuracy-days`` days: the largest
   deviation of any state from a run of scipy's BDF at rtol 1e-8, atol 1e-12,
   relative to that state's range over the run, of pH, and of the gas flow
   relative to its largest value.

Next to each time is its ratio to a fixed reference workload timed in the same
process (20 products of two 400 x 400 matrices), for comparing machines.

Run: ``.venv/bin/python benchmarks/bench_adm1.py [--runs N] [--methods Radau5-grid,BDF]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
import numpy as np
a = np.random.default_rng(0).random((400, 400))
t0 = time.perf_counter()
for _ in range(20):
    a @ a
t_ref = time.perf_counter() - t0
from nexus.units import adm1

from bsm2_case import BSM2, CASE, hourly_influent  # the child runs in benchmarks/


def hourly(days, noise):
    t, q, inf = hourly_influent(days, noise)
    ss = adm1.steady_state(BSM2, **CASE)
    return dict(influent=inf, t_d=t, flow_m3_d=q, V_liq_m3=3400.0, V_gas_m3=300.0,
                T_K=308.15, initial=ss)


what = sys.argv[1]
out = {"ref_s": t_ref}
if what == "steady":
    t0 = time.perf_counter()
    adm1.steady_state(BSM2, **CASE)
    out["first_s"] = time.perf_counter() - t0
    ts = []
    for _ in range(int(sys.argv[2])):
        t0 = time.perf_counter()
        ds = adm1.steady_state(BSM2, **CASE)
        ts.append(time.perf_counter() - t0)
    out["median_s"] = sorted(ts)[len(ts) // 2]
    out["pH"] = float(ds.pH)
elif what == "batch":
    rng = np.random.default_rng(1)
    n = 1000
    inf = {k: v * rng.uniform(0.8, 1.2, n) for k, v in BSM2.items()}
    adm1.steady_state(BSM2, **CASE)  # imports
    t0 = time.perf_counter()
    ds = adm1.steady_state(inf, flow_m3_d=rng.uniform(120.0, 220.0, n), V_liq_m3=3400.0,
                           V_gas_m3=300.0, T_K=rng.uniform(303.15, 308.15, n), allow_washout=True)
    out["batch_s"] = time.perf_counter() - t0
    out["washout"] = int(ds.washout.sum())
    out["status"] = ds.attrs["solver_status"]
elif what == "uasb":
    rng = np.random.default_rng(3)
    n = 365
    day = 1.0 + 0.05 * rng.standard_normal(n)
    feed = dict({k: 0.0 for k in BSM2}, S_su=2.538, S_ac=2.538, S_IC=0.1137, S_IN=0.107,
                S_I=0.564, X_c=16.89, S_cat=0.0574, S_an=0.0326)
    inf = {k: v * day for k, v in feed.items()}
    flow = 7.0 * (1.0 + 0.1 * rng.standard_normal(n))
    adm1.steady_state(BSM2, **CASE)  # imports
    t0 = time.perf_counter()
    ds = adm1.steady_state(inf, flow_m3_d=flow, V_liq_m3=10.0, V_gas_m3=0.882, T_K=298.15,
                           t_res_X_d=100.0, allow_washout=True)
    out["uasb_s"] = time.perf_counter() - t0
    out["washout"] = int(ds.washout.sum())
    out["status"] = ds.attrs["solver_status"]
elif what == "dynamic":
    method, noise = sys.argv[2], sys.argv[3]
    kw = hourly(365, noise)
    t0 = time.perf_counter()  # a 1-day run first: imports scipy.integrate, scipy.interpolate
    day = dict(kw, influent={k: v[:25] for k, v in kw["influent"].items()}, t_d=kw["t_d"][:25],
               flow_m3_d=kw["flow_m3_d"][:25])
    adm1.simulate(**day, method=method)
    out["first_day_s"] = time.perf_counter() - t0
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    ds = adm1.simulate(**kw, method=method)
    out["dynamic_s"] = time.perf_counter() - t0
    out["rss_before_MB"] = rss0
    out["nfev"] = ds.attrs["solver_nfev"]
    out["status"] = ds.attrs["solver_status"]
    st = ds["COD_stored_kg"].values
    net = ds["COD_in_kg"].values - ds["COD_out_kg"].values
    out["cod_closure"] = float(np.abs(st - st[0] - net).max() / ds["COD_in_kg"].values[-1])
elif what == "accuracy":
    days, noise, methods = int(sys.argv[2]), sys.argv[3], sys.argv[4].split(",")
    kw = hourly(days, noise)
    ref = adm1.simulate(**kw, method="BDF", rtol=1e-8, atol=1e-12)
    for m in methods:
        ds = adm1.simulate(**kw, method=m)
        out[m] = {
            "state": max(float(np.abs(ds[n].values - ref[n].values).max() / np.ptp(ref[n].values))
                         for n in adm1.STATES if np.ptp(ref[n].values) > 0),
            "pH": float(np.abs(ds.pH.values - ref.pH.values).max()),
            "gas": float(np.abs(ds.q_gas_m3_d.values - ref.q_gas_m3_d.values).max()
                         / ref.q_gas_m3_d.values.max()),
        }
out["peak_rss_MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def fresh(*args: str) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent,
    )
    return json.loads(res.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="fresh processes per measure")
    ap.add_argument("--calls", type=int, default=9, help="steady-state calls per process")
    ap.add_argument("--methods", default="Radau5-grid", help="comma-separated simulate methods")
    ap.add_argument("--accuracy-days", type=int, default=30, help="days of the accuracy check")
    args = ap.parse_args()
    rows = []

    def med(results, key):
        return statistics.median(r[key] for r in results)

    st = [fresh("steady", str(args.calls)) for _ in range(args.runs)]
    ref = med(st, "ref_s")
    rows.append(
        ("BSM2 steady state, first call (imports xarray, scipy)", med(st, "first_s"), ref, "", "")
    )
    rows.append(
        (
            "BSM2 steady state, median of further calls",
            med(st, "median_s"),
            ref,
            "<= 0.05 s",
            f"pH {st[0]['pH']:.4f}",
        )
    )
    half = max(1, args.runs // 2)
    bt = [fresh("batch") for _ in range(half)]
    rows.append(
        (
            "1,000 steady states in one call",
            med(bt, "batch_s"),
            med(bt, "ref_s"),
            "",
            f"{bt[0]['washout']} washout, peak RSS {med(bt, 'peak_rss_MB'):.0f} MB",
        )
    )
    us = [fresh("uasb") for _ in range(half)]
    rows.append(
        (
            "365 daily steady states, undersized UASB (10 m3 at 25 degC)",
            med(us, "uasb_s"),
            med(us, "ref_s"),
            "",
            f"{us[0]['status']}, {us[0]['washout']} washout",
        )
    )
    methods = args.methods.split(",")
    for m in methods:
        for noise in ("ar1", "white"):
            dy = [fresh("dynamic", m, noise) for _ in range(half)]
            note = (
                f"after a first 1-day call of {med(dy, 'first_day_s'):.2f} s (imports); "
                f"{dy[0]['status']}; nfev {dy[0]['nfev']}, COD closure "
                f"{dy[0]['cod_closure']:.1e}, peak RSS {med(dy, 'peak_rss_MB'):.0f} MB "
                f"({med(dy, 'rss_before_MB'):.0f} MB before the call)"
            )
            rows.append(
                (
                    f"365 d, hourly influent ({noise}), simulate(method={m!r})",
                    med(dy, "dynamic_s"),
                    med(dy, "ref_s"),
                    "<= 2 s, <= 200 MB",
                    note,
                )
            )
    print("| measure | median | x reference | goal | notes |")
    print("|---|---:|---:|---|---|")
    for name, t, r, goal, note in rows:
        print(f"| {name} | {t:.3f} s | {t / r:.2f} | {goal} | {note} |")
    print()
    print(
        f"Accuracy over {args.accuracy_days} days (deviation from BDF at rtol 1e-8: worst state "
        "relative to its range / pH / gas flow relative to its largest value):"
    )
    print()
    print("| method | influent | states | pH | gas flow |")
    print("|---|---|---:|---:|---:|")
    for noise in ("ar1", "white"):
        acc = fresh("accuracy", str(args.accuracy_days), noise, ",".join(methods))
        for m in methods:
            a = acc[m]
            print(f"| {m} | {noise} | {a['state']:.1e} | {a['pH']:.1e} | {a['gas']:.1e} |")


if __name__ == "__main__":
    main()
