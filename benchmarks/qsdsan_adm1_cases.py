"""The BSM2 ADM1 cases in QSDsan, for benchmarks/bench_vs_qsdsan.py.

Run by QSDsan's own interpreter, never by nexus's (QSDsan needs Python >= 3.12
and is no dependency of nexus; this script does not import nexus)::

    python3.12 -m venv /work/qsdsan-venv
    /work/qsdsan-venv/bin/pip install qsdsan==1.5.3
    /work/qsdsan-venv/bin/python benchmarks/qsdsan_adm1_cases.py [--influent FILE.npz]

It builds QSDsan's ADM1 (``qsdsan.process_models.ADM1``) in an
``AnaerobicCSTR`` with the BSM2 case of Rosen & Jeppsson (2006): influent
170 m3/d, V_liq 3400 m3, V_gas 300 m3, 35 degC, the BSM2 influent (converted
from BSM2 units to QSDsan's: kg COD/m3 stay, S_IC and S_IN from kmol/m3 to
kg C/m3 and kg N/m3 with QSDsan's own conversion factors, S_cat and S_an are
molar in QSDsan already). QSDsan has no steady-state solver: a steady state is
a long dynamic run (its ADM1 validation runs 200 d with BDF). Measured, one
JSON object on stdout:

1. ``import_s``: ``import qsdsan`` and its process and unit modules;
2. ``build_s``: ADM1 components, the ADM1 process model, influent, CSTR, system;
3. ``steady_influent``: 200 d with BDF from QSDsan's default start (reactor
   filled with the influent): time, end state, residual;
4. ``steady_warm``: 200 d with BDF from the BSM2 steady state published by
   Rosen & Jeppsson (read from tests/validation/data/adm1_bsm2_steady_state.csv,
   the repository's copy), i.e. QSDsan's own steady state near the BSM2 one,
   and ``steady_warm_tight``: the same at rtol 1e-8, atol 1e-12 (the steady
   state to compare); each with QSDsan's residual max |dy/dt| / y there;
5. ``dynamic``: 365 d with the hourly influent of benchmarks/bench_adm1.py
   (``--influent``: an .npz written by the driver with ``t_d``, ``flow_m3_d``
   and the 26 influent series in BSM2 units; without it the same series is
   made here by the same formula), interpolated by PCHIP as nexus does
   (``DynamicInfluent(interpolator=PchipInterpolator)``), started from the
   end of ``steady_warm_tight``, with QSDsan's default integrator settings
   (solve_ivp BDF, rtol 1e-3, atol 1e-6) and, with ``--tight``, again at
   rtol 1e-5, atol 1e-9 (the defaults of nexus's BDF);
6. peak resident memory after each phase (``ru_maxrss``).

``--copy-y0`` works around a defect of QSDsan 1.5.3 / biosteam 2.54 found here:
``System.dynamic_run`` hands its live state array to ``solve_ivp`` as y0 and
overwrites it at every right-hand-side call, so a run starts from scipy's
trial state y0 + h0 f0 instead of y0 (and ``sol.y[:, 0]`` is not the start).
Without the flag QSDsan runs as shipped.

States are reported in BSM2 units under nexus's names. Gas flow ``q_head_m3_d``
is QSDsan's k_p (P_gas - P_atm) (flow at headspace pressure, the flow that
leaves the headspace); methane ``q_ch4_Nm3_d`` at 0 degC, 101325 Pa.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BSM2_CSV = HERE.parent / "tests" / "validation" / "data" / "adm1_bsm2_steady_state.csv"

from bsm2_case import BSM2, hourly_influent, rss_mb  # noqa: E402  (benchmarks/ on the path)

LIQ = tuple(BSM2)
#: States that BSM2 keeps in kmol/m3 (QSDsan: kg C/m3, kg N/m3, and molar ions).
MOLAR = ("S_IC", "S_IN", "S_cat", "S_an")
#: QSDsan's gas states and nexus's names for them.
GAS = {"S_h2_gas": "S_gas_h2", "S_ch4_gas": "S_gas_ch4", "S_IC_gas": "S_gas_co2"}
Q_D, V_LIQ, V_GAS, T_K = 170.0, 3400.0, 300.0, 308.15
NM3_PER_KMOL = 8.314462618 * 273.15 / 101.325
SS_DAYS = 200.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--influent", help=".npz with t_d, flow_m3_d and the 26 series (BSM2 units)")
    ap.add_argument("--noise", default="ar1", choices=("ar1", "white"), help="without --influent")
    ap.add_argument("--tight", action="store_true", help="also run the year at rtol 1e-5/atol 1e-9")
    ap.add_argument(
        "--copy-y0",
        action="store_true",
        help="work around biosteam passing its live state array to solve_ivp as y0",
    )
    ap.add_argument("--max-points", type=int, default=4000, help="most year points returned")
    args = ap.parse_args()
    out: dict = {"python": sys.version.split()[0]}

    # ------------------------------------------------------------------ 1. import
    t0 = time.perf_counter()
    import numpy as np
    import qsdsan as qs
    from qsdsan import process_models as pc
    from qsdsan import unit_operations as su
    from qsdsan.process_models import T_correction_factor
    from qsdsan.process_models._adm1 import acid_base_rxn
    from scipy.interpolate import PchipInterpolator
    from scipy.optimize import brenth

    out["import_s"] = time.perf_counter() - t0
    out["rss_after_import_MB"] = rss_mb()
    out["qsdsan_version"] = qs.__version__
    out["copy_y0"] = bool(args.copy_y0)
    if args.copy_y0:
        # biosteam's System.dynamic_run gives solve_ivp its own state array as y0; scipy keeps
        # it (no copy) as the solver's current state, and every right-hand-side call writes
        # its argument into that array (System._update_state). So the run starts from the
        # state of the last call before the first step (scipy's trial step y0 + h0 f0,
        # then the Jacobian's perturbations), not from y0, and sol.y[:, 0] is that state.
        import biosteam._system as bst_system

        solve_ivp = bst_system.solve_ivp

        def solve_ivp_copy(fun, y0, **kw):
            return solve_ivp(fun, y0=np.array(y0, dtype=float, copy=True), **kw)

        bst_system.solve_ivp = solve_ivp_copy
    import biosteam
    import scipy

    out["versions"] = {
        "qsdsan": qs.__version__,
        "biosteam": biosteam.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }

    # ------------------------------------------------------------------- 2. build
    t0 = time.perf_counter()
    cmps = pc.create_adm1_cmps()
    conv = np.asarray(pc.mass2mol_conversion(cmps), dtype=float)  # kg (measured as)/m3 -> kmol/m3
    idx = {k: cmps.index(k) for k in LIQ}
    # BSM2 unit -> QSDsan kg/m3: COD states 1, kmol/m3 states 1/conv
    to_q = {k: (1.0 / conv[idx[k]] if k in MOLAR else 1.0) for k in LIQ}
    inf = qs.WasteStream("influent", T=T_K)
    inf.set_flow_by_concentration(
        Q_D,
        concentrations={k: v * to_q[k] for k, v in BSM2.items()},
        units=("m3/d", "kg/m3"),
    )
    adm1 = pc.ADM1()
    ad = su.AnaerobicCSTR(
        "AD", ins=inf, outs=("biogas", "effluent"), model=adm1, V_liq=V_LIQ, V_gas=V_GAS, T=T_K
    )
    system = qs.System("bsm2_ad", path=(ad,))
    out["build_s"] = time.perf_counter() - t0
    out["rss_after_build_MB"] = rss_mb()

    params = adm1.rate_function.params
    Ka = params["Ka_base"] * T_correction_factor(params["T_base"], T_K, params["Ka_dH"])
    n_cmps = len(cmps)
    gas_idx = [cmps.index(k) for k in ("S_h2", "S_ch4", "S_IC")]
    R, p_h2o, k_p, P_atm = ad._R, float(ad.p_vapor()), ad.pipe_resistance, ad.external_P
    out["model"] = {
        "p_h2o_bar": p_h2o,
        "p_h2o_bsm2_bar": 0.0313 * float(np.exp(5290.0 * (1 / 298.15 - 1 / T_K))),
        "R": R,
        "k_p": k_p,
        "P_atm_bar": P_atm,
        "kLa": params["kLa"],
        "algebraic_h2": bool(ad.algebraic_h2),
        # kmol C (N) per kg COD, as QSDsan's stoichiometry uses them
        "C_content": {k: float(cmps.i_C[idx[k]] * conv[idx["S_IC"]]) for k in LIQ},
        "N_content": {k: float(cmps.i_N[idx[k]] * conv[idx["S_IN"]]) for k in LIQ},
    }

    def pH_of(y):
        """pH from QSDsan's own charge balance, solved tightly (QSDsan uses xtol 1e-12 in H+)."""
        m = y[:n_cmps] * conv
        weak = m[[idx[k] for k in ("S_cat", "S_an", "S_IN", "S_IC", "S_ac", "S_pro")]]
        weak = np.append(weak, m[[idx["S_bu"], idx["S_va"]]])
        h = brenth(acid_base_rxn, 1e-14, 1.0, args=(weak, Ka), xtol=1e-30, rtol=1e-14)
        return -np.log10(h)

    def gas(y):
        """(q_head [m3/d], q_ch4 [Nm3/d], P_gas [bar]) of a QSDsan AD state (gas in kmol/m3)."""
        sg = y[n_cmps : n_cmps + 3]
        P = sg.sum() * R * T_K + p_h2o
        q = max(0.0, k_p * (P - P_atm))
        return q, q * sg[1] * NM3_PER_KMOL, P

    def to_bsm2(y):
        """QSDsan AD state -> dict in BSM2 units under nexus's names."""
        d = {k: float(y[idx[k]] / to_q[k]) for k in LIQ}
        for j, (qk, nk) in enumerate(GAS.items()):
            v = y[n_cmps + j]  # kmol/m3
            d[nk] = float(v if qk == "S_IC_gas" else v / conv[gas_idx[j]])  # -> kg COD/m3
        d["pH"] = float(pH_of(y))
        d["q_head_m3_d"], d["q_ch4_Nm3_d"], d["P_gas_bar"] = (float(v) for v in gas(y))
        return d

    def warm_start(unit, state):
        """Start ``unit`` from ``state`` (name -> QSDsan value) incl. the gas phase."""
        orig = unit._init_state
        keys = unit._state_keys

        def _init_state():
            orig()
            for k, v in state.items():
                unit._state[keys.index(k)] = v

        unit._init_state = _init_state

    def steady_run(tag, **tol):
        t0 = time.perf_counter()
        system.simulate(t_span=(0.0, SS_DAYS), method="BDF", state_reset_hook="reset_cache", **tol)
        dt = time.perf_counter() - t0
        sol = system.scope.sol
        y = sol.y[:, -1].copy()
        # residual of the end state: QSDsan's own right-hand side there, relative [1/d]
        n = n_cmps + 3
        dy = np.asarray(system.DAE(SS_DAYS, y.copy()))[:n]
        big = np.abs(y[:n]) > 1e-9
        big[cmps.index("H2O")] = False
        out[tag] = {
            "time_s": dt,
            "days": SS_DAYS,
            "tolerances": tol or {"rtol": 1e-3, "atol": 1e-6},
            "status": sol.message,
            "steps": int(sol.t.size),
            "nfev": int(sol.nfev),
            "njev": int(sol.njev),
            "max_rel_rate_per_d": float(np.max(np.abs(dy[big]) / np.abs(y[:n][big]))),
            "state": to_bsm2(y),
            "rss_MB": rss_mb(),
        }
        return y

    # ------------------------------------- 3. steady state from QSDsan's default start
    steady_run("steady_influent")

    # ------------------------ 4. steady state from the published BSM2 steady state
    with open(BSM2_CSV, newline="", encoding="utf-8") as fh:
        ref = {
            r["state"]: float(r["value"])
            for r in csv.DictReader(line for line in fh if not line.startswith("#"))
        }
    warm = {k: ref[k] * to_q[k] for k in LIQ}
    h2o_mg_L = float(inf.conc[cmps.index("H2O")])
    warm["H2O"] = h2o_mg_L * 1e-3  # kg/m3, as QSDsan's own start
    for j, (qk, nk) in enumerate(GAS.items()):
        warm[qk] = ref[nk] if qk == "S_IC_gas" else ref[nk] * conv[gas_idx[j]]
    warm_start(ad, warm)
    steady_run("steady_warm")
    # the same at tight tolerances: QSDsan's steady state to compare with nexus's
    y_ss = steady_run("steady_warm_tight", rtol=1e-8, atol=1e-12)

    # ------------------------------------------------------- 5. 365 d hourly influent
    if args.influent:
        z = np.load(args.influent)
        t, q = z["t_d"], z["flow_m3_d"]
        series = {k: z[k] for k in LIQ}
        out["influent_source"] = args.influent
    else:
        t, q, series = hourly_influent(365, args.noise)
        out["influent_source"] = f"formula of bench_adm1.py ({args.noise})"
    tmp = tempfile.mkdtemp(prefix="qsdsan_adm1_")
    path = os.path.join(tmp, "influent.tsv")
    cols = ["t", *LIQ, "H2O", "Q"]
    table = np.column_stack(
        [t]
        + [np.asarray(series[k], dtype=float) * to_q[k] * 1e3 for k in LIQ]  # mg/L
        + [np.full(t.size, h2o_mg_L), q]
    )
    np.savetxt(path, table, delimiter="\t", header="\t".join(cols), comments="", fmt="%.17g")

    t0 = time.perf_counter()
    dyn_in = su.DynamicInfluent(
        "INF", outs=("influent_dyn",), data_file=path, interpolator=PchipInterpolator
    )
    ad2 = su.AnaerobicCSTR(
        "AD2",
        ins=dyn_in - 0,
        outs=("biogas2", "effluent2"),
        model=adm1,
        V_liq=V_LIQ,
        V_gas=V_GAS,
        T=T_K,
    )
    warm_start(ad2, dict(zip(ad2._state_keys[: n_cmps + 3], y_ss[: n_cmps + 3], strict=True)))
    system2 = qs.System("bsm2_ad_dynamic", path=(dyn_in, ad2))
    out["build_dynamic_s"] = time.perf_counter() - t0
    os.remove(path)
    os.rmdir(tmp)

    runs = [("default", {})]
    if args.tight:
        runs.append(("tight", {"rtol": 1e-5, "atol": 1e-9}))
    out["dynamic"] = {}
    for name, tol in runs:
        rss0 = rss_mb()
        t0 = time.perf_counter()
        system2.simulate(
            t_span=(float(t[0]), float(t[-1])),
            method="BDF",
            state_reset_hook="reset_cache",
            **tol,
        )
        dt = time.perf_counter() - t0
        sol = system2.scope.sol
        # the steps within 3 minutes of an hour mark, where nexus's hourly output is
        # exact (between hours a linear interpolation of it would dominate the comparison)
        keep = np.flatnonzero(np.abs(sol.t * 24.0 - np.round(sol.t * 24.0)) <= 0.05)
        if keep.size > args.max_points:
            keep = keep[np.linspace(0, keep.size - 1, args.max_points).astype(int)]
        ys = sol.y[:, keep]
        # sol.y[:, 0] is the array that biosteam passed as y0, which it keeps overwriting with
        # the state of each right-hand-side call (System._update_state writes into it): after
        # the run it holds the last evaluated state, not the start. Put the true start back.
        if keep[0] == 0:
            ys[: n_cmps + 3, 0] = y_ss[: n_cmps + 3]
        g = np.array([gas(ys[:, j]) for j in range(keep.size)])
        out["dynamic"][name] = {
            "time_s": dt,
            "tolerances": tol or {"rtol": 1e-3, "atol": 1e-6},
            "status": sol.message,
            "steps": int(sol.t.size),
            "nfev": int(sol.nfev),
            "njev": int(sol.njev),
            "rss_before_MB": rss0,
            "rss_MB": rss_mb(),
            "end": to_bsm2(sol.y[:, -1]),
            "series": {
                "t_d": sol.t[keep].tolist(),
                "pH": [float(pH_of(ys[:, j])) for j in range(keep.size)],
                "S_ac": ys[idx["S_ac"]].tolist(),
                "S_IC": (ys[idx["S_IC"]] / to_q["S_IC"]).tolist(),
                "S_IN": (ys[idx["S_IN"]] / to_q["S_IN"]).tolist(),
                "q_head_m3_d": g[:, 0].tolist(),
                "q_ch4_Nm3_d": g[:, 1].tolist(),
            },
        }
    out["peak_rss_MB"] = rss_mb()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
