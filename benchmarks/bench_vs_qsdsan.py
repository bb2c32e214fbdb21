"""nexus's ADM1 against QSDsan's, the same BSM2 cases in the same run.

QSDsan is never a dependency of nexus: it lives in its own environment (it
needs Python >= 3.12) and runs as a subprocess, benchmarks/qsdsan_adm1_cases.py,
which does not import nexus. Create that environment once::

    python3.12 -m venv /work/qsdsan-venv
    /work/qsdsan-venv/bin/pip install qsdsan==1.5.3

then run, from the repository root::

    .venv/bin/python benchmarks/bench_vs_qsdsan.py --qsdsan-python /work/qsdsan-venv/bin/python

Cases (Rosen & Jeppsson 2006, BSM2 digester: 170 m3/d, V_liq 3400 m3,
V_gas 300 m3, 35 degC, the BSM2 influent):

1. the steady state. nexus: ``adm1.steady_state`` (no warm start), the first
   call (imports xarray, scipy) and the median of ``--calls`` further calls.
   QSDsan has no steady-state solver: 200 d of BDF (as its ADM1 validation
   does), from its default start (the reactor filled with the influent) and
   from the published BSM2 steady state, at its default tolerances, and
   again at rtol 1e-8 for the steady state compared with nexus's;
2. 365 d with the hourly influent of benchmarks/bench_adm1.py (``ar1``
   unless ``--noise white``), each started from its own steady state. nexus:
   ``adm1.simulate`` with its default method and tolerances, a first 1-day
   call (imports) then the median of ``--sim-calls`` calls; QSDsan: its
   default integrator settings and, with ``--tight`` (default on), rtol 1e-5,
   atol 1e-9 (the defaults of nexus's BDF). The influent series is written
   here to an .npz that the QSDsan script reads, so both integrate the same
   data (QSDsan interpolates it by PCHIP, as nexus's ``simulate`` does).

Printed: a Markdown table of times and their ratio (QSDsan / nexus), the
agreement of the steady states and of the year, the model differences that
can be read off the numbers, and peak resident memory of each process.
nexus runs in this process (its peak RSS is this process's), QSDsan in its
subprocess. ``--json FILE`` also writes every raw figure.
``--qsdsan-copy-y0`` runs QSDsan with a defect of its dynamic runs worked
around (biosteam hands its live state array to solve_ivp as y0, so a run
starts from scipy's trial state y0 + h0 f0; see qsdsan_adm1_cases.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
QSDSAN_SCRIPT = HERE / "qsdsan_adm1_cases.py"
DEFAULT_QSDSAN_PY = "/work/qsdsan-venv/bin/python"
ENV_HELP = (
    "create it with:\n"
    "    python3.12 -m venv /work/qsdsan-venv\n"
    "    /work/qsdsan-venv/bin/pip install qsdsan==1.5.3\n"
    "and pass --qsdsan-python /work/qsdsan-venv/bin/python"
)

from bsm2_case import BSM2, CASE, hourly_influent, rss_mb  # noqa: E402  (benchmarks/ on the path)

#: The reported steady-state quantities (pH compared by difference, the rest relative).
REPORTED = ("S_ac", "S_IC", "S_IN", "q_head_m3_d", "q_ch4_Nm3_d")
SERIES = ("S_ac", "S_IC", "S_IN", "q_head_m3_d", "q_ch4_Nm3_d")

#: QSDsan component -> nexus ADM1Params carbon / nitrogen content.
C_PARAM = dict(
    S_su="C_su", S_aa="C_aa", S_fa="C_fa", S_va="C_va", S_bu="C_bu", S_pro="C_pro",
    S_ac="C_ac", S_ch4="C_ch4", S_I="C_sI", X_c="C_xc", X_ch="C_ch", X_pr="C_pr",
    X_li="C_li", X_su="C_bac", X_I="C_xI",
)  # fmt: skip
N_PARAM = dict(S_aa="N_aa", X_pr="N_aa", S_I="N_I", X_I="N_I", X_c="N_xc", X_su="N_bac")


def run_nexus(args) -> dict:
    """nexus in this process: import, steady state, the year."""
    out: dict = {}
    t0 = time.perf_counter()
    from nexus.units import adm1

    out["import_s"] = time.perf_counter() - t0
    out["rss_after_import_MB"] = rss_mb()
    import inspect

    t, q, series = hourly_influent(365, args.noise)
    out.update(t_d=t, flow_m3_d=q, influent=series)

    t0 = time.perf_counter()
    ss = adm1.steady_state(BSM2, **CASE)
    out["steady_first_s"] = time.perf_counter() - t0
    ts = []
    for _ in range(args.calls):
        t0 = time.perf_counter()
        ss = adm1.steady_state(BSM2, **CASE)
        ts.append(time.perf_counter() - t0)
    out["steady_median_s"] = statistics.median(ts)
    out["steady_status"] = ss.attrs["solver_status"]
    out["steady_state"] = nexus_steady()
    out["rss_after_steady_MB"] = rss_mb()

    sig = inspect.signature(adm1.simulate).parameters
    out["simulate_default_method"] = sig["method"].default
    tol = (sig["rtol"].default, sig["atol"].default)
    if tol[0] is None:  # per-method defaults (a private table, read only for the label)
        from nexus.units.adm1 import dynamic

        tol = dynamic._DEFAULT_TOL[sig["method"].default]
    out["simulate_default_rtol"], out["simulate_default_atol"] = tol
    ops = dict(V_liq_m3=CASE["V_liq_m3"], V_gas_m3=CASE["V_gas_m3"], T_K=CASE["T_K"])
    day = {k: v[:25] for k, v in series.items()}
    t0 = time.perf_counter()
    adm1.simulate(day, t_d=t[:25], flow_m3_d=q[:25], initial=ss, **ops)
    out["sim_first_day_s"] = time.perf_counter() - t0
    out["rss_before_year_MB"] = rss_mb()
    ts = []
    for _ in range(args.sim_calls):
        t0 = time.perf_counter()
        ds = adm1.simulate(series, t_d=t, flow_m3_d=q, initial=ss, **ops)
        ts.append(time.perf_counter() - t0)
    out["sim_times_s"] = ts
    out["sim_median_s"] = statistics.median(ts)
    out["sim_status"] = ds.attrs["solver_status"]
    out["sim_nfev"] = ds.attrs.get("solver_nfev")
    out["rss_after_year_MB"] = rss_mb()
    out["series"] = year_series(ds)
    out["end"] = {n: float(ds[n].values[-1]) for n in adm1.STATES}
    out["end"]["pH"] = float(ds.pH.values[-1])
    out["params"] = adm1.ADM1Params()
    out["peak_rss_MB"] = rss_mb()
    return out


def year_series(ds, params=None) -> dict:
    """The compared series of a nexus ``simulate`` result (gas flow at headspace pressure)."""
    import numpy as np

    from nexus.units import adm1

    y = np.stack([np.asarray(ds[n].values, dtype=float) for n in adm1.STATES], axis=-1)
    g = adm1.gas_phase(y, T_K=CASE["T_K"], params=params)
    out = {"t_d": ds.time.values, "pH": ds.pH.values}
    out.update({k: ds[k].values for k in ("S_ac", "S_IC", "S_IN")})
    out.update(q_head_m3_d=np.asarray(g.q_head_m3_d), q_ch4_Nm3_d=np.asarray(g.q_ch4_Nm3_d))
    return out


def nexus_year_aligned(nx: dict, params) -> dict:
    """nexus's year (untimed) with ``params``, from its steady state with them."""
    from nexus.units import adm1

    ss = adm1.steady_state(BSM2, **CASE, params=params)
    ops = dict(V_liq_m3=CASE["V_liq_m3"], V_gas_m3=CASE["V_gas_m3"], T_K=CASE["T_K"])
    ds = adm1.simulate(
        nx["influent"], t_d=nx["t_d"], flow_m3_d=nx["flow_m3_d"], initial=ss, params=params, **ops
    )
    return year_series(ds, params)


def qsdsan_constants(m: dict) -> dict:
    """ADM1Params overrides that give nexus QSDsan's constants where they differ from BSM2.

    The carbon and nitrogen contents, the water vapour pressure (QSDsan takes it
    from thermosteam, BSM2 from its own formula; scaled here at the run's
    temperature) and no 1e-6 guard in the valerate and butyrate uptake rates.
    """
    kw = {par: m["C_content"][comp] for comp, par in C_PARAM.items()}
    kw.update({par: m["N_content"][comp] for comp, par in N_PARAM.items()})
    kw["p_h2o_base_bar"] = 0.0313 * m["p_h2o_bar"] / m["p_h2o_bsm2_bar"]
    kw["eps_c4"] = 0.0
    return kw


def nexus_steady(params=None) -> dict:
    """nexus's BSM2 steady state with ``params``: states, pH and the gas flows."""
    import numpy as np

    from nexus.units import adm1

    ss = adm1.steady_state(BSM2, **CASE, params=params)
    y = np.array([float(ss[n]) for n in adm1.STATES])
    g = adm1.gas_phase(y, T_K=CASE["T_K"], params=params)
    state = {n: float(ss[n]) for n in adm1.STATES}
    state.update(pH=float(ss.pH), q_head_m3_d=float(g.q_head_m3_d))
    state.update(q_ch4_Nm3_d=float(g.q_ch4_Nm3_d), q_gas_m3_d=float(ss.q_gas_m3_d))
    return state


def run_qsdsan(args, npz: str) -> dict:
    cmd = [args.qsdsan_python, str(QSDSAN_SCRIPT), "--influent", npz]
    if args.tight:
        cmd.append("--tight")
    if args.qsdsan_copy_y0:
        cmd.append("--copy-y0")
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        sys.exit(
            f"QSDsan script failed (exit {res.returncode}): {' '.join(cmd)}\n{res.stderr[-4000:]}"
        )
    return json.loads(res.stdout.strip().splitlines()[-1])


def compare_year(nx: dict, qs_run: dict) -> dict:
    """QSDsan's year against nexus's at QSDsan's steps within 3 min of an hour mark."""
    import numpy as np

    s = qs_run["series"]
    tq = np.asarray(s["t_d"])
    out = {"points": int(tq.size)}
    late = tq > 1.0
    ph = np.interp(tq, nx["t_d"], nx["pH"])
    out["pH_max_abs"] = float(np.max(np.abs(np.asarray(s["pH"]) - ph)))
    out["pH_max_abs_late"] = float(np.max(np.abs(np.asarray(s["pH"]) - ph)[late]))
    for k in SERIES:
        ref = np.interp(tq, nx["t_d"], nx[k])
        d = np.asarray(s[k]) - ref
        # largest deviation relative to nexus's mean over the year; difference of the means
        tn = np.asarray(nx["t_d"])
        mean_n = float(np.trapezoid(nx[k], tn) / (tn[-1] - tn[0]))
        out[f"{k}_max_rel"] = float(np.max(np.abs(d)) / abs(mean_n))
        out[f"{k}_max_rel_late"] = float(np.max(np.abs(d[late])) / abs(mean_n))
        out[f"{k}_mean_rel"] = float(np.mean(d)) / abs(mean_n)
    return out


def fmt_s(x: float) -> str:
    return f"{x:.3f} s" if x < 10 else f"{x:.1f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qsdsan-python", default=DEFAULT_QSDSAN_PY, help="QSDsan's interpreter")
    ap.add_argument("--calls", type=int, default=9, help="nexus steady-state calls after the first")
    ap.add_argument("--sim-calls", type=int, default=3, help="nexus 365-d calls after a 1-d one")
    ap.add_argument("--noise", default="ar1", choices=("ar1", "white"))
    ap.add_argument(
        "--tight",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run QSDsan's year at nexus's tolerances (about 100 s)",
    )
    ap.add_argument(
        "--qsdsan-copy-y0",
        action="store_true",
        help="run QSDsan with its y0 defect worked around (qsdsan_adm1_cases.py --copy-y0)",
    )
    ap.add_argument("--json", help="write every raw figure to this file")
    args = ap.parse_args()
    py = Path(args.qsdsan_python)
    if not (py.is_file() and os.access(py, os.X_OK)):
        sys.exit(f"QSDsan interpreter not found or not executable: {py}\n{ENV_HELP}")
    chk = subprocess.run(
        [str(py), "-c", "import importlib.metadata as m; print(m.version('qsdsan'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if chk.returncode != 0:
        sys.exit(f"{py} cannot see qsdsan:\n{chk.stderr[-2000:]}\n{ENV_HELP}")

    load0 = os.getloadavg()
    # nexus first, before this process imports numpy (its import time includes numpy's)
    nx = run_nexus(args)
    import numpy as np

    with tempfile.TemporaryDirectory(prefix="bench_vs_qsdsan_") as tmp:
        npz = os.path.join(tmp, "influent.npz")
        np.savez(npz, t_d=nx["t_d"], flow_m3_d=nx["flow_m3_d"], **nx["influent"])
        qs = run_qsdsan(args, npz)

    # ------------------------------------------------------------------ times
    qd = qs["dynamic"]
    rows = [
        (
            "import (`nexus.units.adm1`; `qsdsan` + process_models + unit_operations)",
            nx["import_s"],
            qs["import_s"],
        ),
        (
            "build the case (nexus: nothing to build; QSDsan: components, ADM1, CSTR, system)",
            None,
            qs["build_s"],
        ),
        (
            "steady state, first call (nexus: imports xarray, scipy) / QSDsan 200 d BDF from "
            f"its default start (ends sour, pH {qs['steady_influent']['state']['pH']:.2f})",
            nx["steady_first_s"],
            qs["steady_influent"]["time_s"],
        ),
        (
            f"steady state, nexus median of {args.calls} calls / QSDsan 200 d BDF from the "
            "published BSM2 steady state, default rtol 1e-3",
            nx["steady_median_s"],
            qs["steady_warm"]["time_s"],
        ),
        (
            "steady state, same / QSDsan the same at rtol 1e-8, atol 1e-12",
            nx["steady_median_s"],
            qs["steady_warm_tight"]["time_s"],
        ),
        (
            "import to first steady state (nexus import + first call; QSDsan import + build "
            "+ 200 d warm, rtol 1e-3)",
            nx["import_s"] + nx["steady_first_s"],
            qs["import_s"] + qs["build_s"] + qs["steady_warm"]["time_s"],
        ),
        (
            f"365 d hourly ({args.noise}): nexus `simulate` with its defaults (method "
            f"{nx['simulate_default_method']!r}, rtol {nx['simulate_default_rtol']}, atol "
            f"{nx['simulate_default_atol']}) median of "
            f"{args.sim_calls} / QSDsan BDF rtol 1e-3, atol 1e-6 (its defaults)",
            nx["sim_median_s"],
            qd["default"]["time_s"],
        ),
    ]
    if "tight" in qd:
        rows.append(
            (
                "365 d hourly, same / QSDsan BDF at rtol 1e-5, atol 1e-9",
                nx["sim_median_s"],
                qd["tight"]["time_s"],
            )
        )
    print(
        f"QSDsan {qs['qsdsan_version']} (Python {qs['python']}, {qs['versions']}); nexus on "
        f"Python {sys.version.split()[0]}, numpy {np.__version__}; load average at start "
        f"{load0[0]:.2f}, at end {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)"
    )
    print(
        f"nexus simulate default method: {nx['simulate_default_method']!r}; status "
        f"{nx['sim_status']!r}; nexus year times {[round(x, 2) for x in nx['sim_times_s']]} s, "
        f"first 1-day call {nx['sim_first_day_s']:.2f} s\n"
    )
    print("| measure | nexus | QSDsan | QSDsan / nexus |")
    print("|---|---:|---:|---:|")
    for name, a, b in rows:
        ratio = "" if a is None else f"{b / a:.1f}"
        print(f"| {name} | {'-' if a is None else fmt_s(a)} | {fmt_s(b)} | {ratio} |")
    mem = (
        f"| peak resident memory (nexus: this process; QSDsan: its process) | "
        f"{nx['peak_rss_MB']:.0f} MB | {qs['peak_rss_MB']:.0f} MB | "
        f"{qs['peak_rss_MB'] / nx['peak_rss_MB']:.1f} |"
    )
    print(mem)
    print(
        f"| resident memory after import | {nx['rss_after_import_MB']:.0f} MB | "
        f"{qs['rss_after_import_MB']:.0f} MB | "
        f"{qs['rss_after_import_MB'] / nx['rss_after_import_MB']:.1f} |"
    )
    print(
        f"\nQSDsan solver work: 200 d warm {qs['steady_warm']['steps']} steps / "
        f"{qs['steady_warm']['nfev']} RHS; year default "
        f"{qd['default']['steps']} steps / {qd['default']['nfev']} RHS"
        + (
            f"; year tight {qd['tight']['steps']} steps / {qd['tight']['nfev']} RHS"
            if "tight" in qd
            else ""
        )
        + f". nexus year: {nx['sim_nfev']} RHS."
    )

    # ---------------------------------------------------------- steady states
    sn = nx["steady_state"]
    print(
        "\nSteady state: nexus `steady_state` against QSDsan after 200 d (relative "
        "difference (QSDsan - nexus) / nexus; pH: difference). Gas flow is k_p (P_gas - P_atm), "
        "the flow at headspace pressure that both models take out of the headspace "
        f"(nexus's BSM2-normalised q_gas is {sn['q_gas_m3_d']:.1f} m3/d).\n"
    )
    from nexus.units.adm1 import STATES, ADM1Params

    aligned_params = ADM1Params(**qsdsan_constants(qs["model"]))
    aligned = nexus_steady(aligned_params)
    cases = [
        ("QSDsan rtol 1e-8 from BSM2 state", qs["steady_warm_tight"]["state"]),
        ("QSDsan rtol 1e-3 from BSM2 state", qs["steady_warm"]["state"]),
        ("QSDsan rtol 1e-3 from the influent", qs["steady_influent"]["state"]),
    ]
    print("| quantity | nexus | " + " | ".join(c[0] for c in cases) + " |")
    print("|---|---:|" + "---:|" * len(cases))
    print(
        f"| pH | {sn['pH']:.4f} | "
        + " | ".join(f"{c['pH']:.4f} ({c['pH'] - sn['pH']:+.4f})" for _, c in cases)
        + " |"
    )
    for k in REPORTED:
        print(
            f"| {k} | {sn[k]:.5g} | "
            + " | ".join(f"{c[k]:.5g} ({(c[k] - sn[k]) / sn[k]:+.2e})" for _, c in cases)
            + " |"
        )
    qt = qs["steady_warm_tight"]["state"]

    def worst(ref, label):
        rel = {n: abs(qt[n] - ref[n]) / abs(ref[n]) for n in STATES if n in qt and abs(ref[n]) > 0}
        top = sorted(rel, key=rel.get, reverse=True)[:4]
        return (
            f"QSDsan (rtol 1e-8) against {label}: largest relative differences of the 29 states "
            + ", ".join(f"{n} {rel[n]:.1e}" for n in top)
            + f", median {statistics.median(rel.values()):.1e}; pH {qt['pH'] - ref['pH']:+.1e}; "
            + ", ".join(f"{k} {(qt[k] - ref[k]) / ref[k]:+.1e}" for k in REPORTED)
        )

    print("\n" + worst(sn, "nexus (BSM2 constants)") + ".")
    print(
        "\n"
        + worst(aligned, "nexus given QSDsan's C and N contents, water vapour pressure and no "
                "1e-6 guard in the C4 rates (`ADM1Params` overrides)")
        + f". QSDsan's residual there: max |dy/dt|/y = "
        f"{qs['steady_warm_tight']['max_rel_rate_per_d']:.1e} per day (the rtol 1e-3 run: "
        f"{qs['steady_warm']['max_rel_rate_per_d']:.1e})."
    )  # fmt: skip

    # ------------------------------------------------------------------- year
    aligned_year = nexus_year_aligned(nx, aligned_params)
    cmp = {f"QSDsan {n} vs nexus": compare_year(nx["series"], r) for n, r in qd.items()}
    last = "tight" if "tight" in qd else "default"
    cmp[f"QSDsan {last} vs nexus with QSDsan's constants"] = compare_year(aligned_year, qd[last])
    print(
        "\nYear: QSDsan's states at those of its steps that fall within 3 min of an hour mark "
        f"({', '.join(str(c['points']) for c in cmp.values())} points), against nexus's hourly "
        "output there: the largest deviation over the year, the largest after day 1, and the "
        "mean deviation, relative to nexus's annual mean (pH: differences)"
        + ("; QSDsan with --copy-y0" if qs["copy_y0"] else "; QSDsan as shipped")
        + ".\n"
    )
    print("| quantity | " + " | ".join(f"{n}: max / max after 1 d / mean" for n in cmp) + " |")
    print("|---|" + "---:|" * len(cmp))
    print(
        "| pH | "
        + " | ".join(f"{c['pH_max_abs']:.1e} / {c['pH_max_abs_late']:.1e}" for c in cmp.values())
        + " |"
    )
    for k in SERIES:
        print(
            f"| {k} | "
            + " | ".join(
                f"{c[f'{k}_max_rel']:.1e} / {c[f'{k}_max_rel_late']:.1e} / {c[f'{k}_mean_rel']:+.1e}"
                for c in cmp.values()
            )
            + " |"
        )

    # --------------------------------------------------- model differences
    p = nx["params"]
    m = qs["model"]
    diffs = []
    for par, b in qsdsan_constants(m).items():
        a = getattr(p, par)
        if par.startswith(("C_", "N_")) and abs(b - a) > 1e-9:
            diffs.append(f"{par} {a:.5g} vs {b:.5g} ({(b - a) / a:+.2%})")
    print(
        "\nModel constants that differ (nexus/BSM2 vs QSDsan, kmol per kg COD): "
        + "; ".join(diffs)
        + f". Water vapour at 35 degC: BSM2 {m['p_h2o_bsm2_bar']:.5f} bar, QSDsan "
        f"{m['p_h2o_bar']:.5f} bar."
    )

    if args.json:
        raw = {
            "nexus": {
                k: v
                for k, v in nx.items()
                if k not in ("series", "params", "t_d", "flow_m3_d", "influent")
            },
            "qsdsan": qs,
            "year_agreement": cmp,
        }
        Path(args.json).write_text(json.dumps(raw, indent=1, default=float))


if __name__ == "__main__":
    main()
