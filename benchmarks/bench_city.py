"""Benchmark: simulate and design a city of 1, 2, 5, 10 (or 50) neighbourhoods.

The city is ``districts/make_city.py``'s: Buiksloterham-like neighbourhoods of
different sizes (the first n of ``districts/city_ten.toml``'s ten; beyond ten
the ten sizes repeat). Each measurement runs in a fresh Python process, so
its peak resident memory (VmHWM) is its own:

- ``simulate``: a one-neighbourhood city is simulated first (imports, caches),
  then the city of n is timed (wall and CPU time of the process);
- ``model``: the design model of n neighbourhoods of Buiksloterham's size built
  from one neighbourhood's sampled maps, repeated (so 50 neighbourhoods need not
  be sampled): rows, columns, integers, build time, and the solve at the
  default gap (``nexus.optimize.highs.MIP_REL_GAP``) and at 1e-6;
- ``optimize``: ``nexus.optimize.solve`` with 12 typical days from a fresh
  process, with its verification by simulation; the split is the solver's
  own ``timings`` (``maps_s`` = sampling the unit maps + aggregating the year
  to typical days, of which ``sample_s`` is the sampling, ``build_s``,
  ``solve_s``, ``verify_s``), the total the wall time of the whole call
  (loading included). CPU time is reported beside wall time: on a shared
  machine the wall time grows with the load, the CPU time much less.

Run::

    .venv/bin/python benchmarks/bench_city.py                      # 1, 2, 5, 10; one run each
    .venv/bin/python benchmarks/bench_city.py --sizes 1,10 --runs 3
    .venv/bin/python benchmarks/bench_city.py --sizes 1,10,50 --what model
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
sys.path.insert(0, str(ROOT / "districts"))


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _district(n: int):
    from make_city import city

    from nexus.district import district_from_dict

    return district_from_dict(city(n), file=f"city_{n}.toml", base_dir=ROOT / "districts")


def _simulate(n: int) -> dict:
    import nexus

    nexus.simulate(_district(1))  # imports and caches
    district = _district(n)
    w0, c0 = time.perf_counter(), time.process_time()
    nexus.simulate(district)
    return {
        "simulate_s": time.perf_counter() - w0,
        "simulate_cpu_s": time.process_time() - c0,
        "simulate_peak_mb": _peak_rss_mb(),
    }


class _TreeMemory:
    """Peak resident memory of this process and its children (the map-sampling workers)
    together, polled every 0.2 s in a thread [MB]: what the machine must hold. Polling
    can miss a short peak, so ``bound_mb`` is an upper bound: the sum of each process's
    own peak (VmHWM), which need not fall at the same time."""

    def __init__(self) -> None:
        import threading

        self.peak_mb = 0.0
        self.hwm_mb: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.2):
            total = 0
            for p in me.children(recursive=True):
                try:
                    total += p.memory_info().rss
                    with open(f"/proc/{p.pid}/status") as f:
                        hwm = next(x for x in f if x.startswith("VmHWM:"))
                    self.hwm_mb[p.pid] = int(hwm.split()[1]) / 1024.0
                except (psutil.Error, OSError, StopIteration):
                    pass
            total += me.memory_info().rss
            self.peak_mb = max(self.peak_mb, total / 2**20)

    def stop(self) -> tuple[float, float]:
        """The polled peak and the upper bound [MB]."""
        self._stop.set()
        self._thread.join()
        return self.peak_mb, _peak_rss_mb() + sum(self.hwm_mb.values())


def _optimize(n: int) -> dict:
    tree = _TreeMemory()
    w0, c0 = time.perf_counter(), time.process_time()
    import nexus.optimize.maps as maps_module
    from nexus.optimize import solve

    sampled = {}
    sample_maps = maps_module.sample_maps

    def timed(district, *args, **kwargs):
        t = time.perf_counter()
        out = sample_maps(district, *args, **kwargs)
        sampled["sample_s"] = time.perf_counter() - t
        return out

    maps_module.sample_maps = timed
    district = _district(n)
    ds = solve(district, typical_days=12)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    a = ds.attrs
    return {
        "optimize_s": wall,
        "optimize_cpu_s": cpu,
        "optimize_peak_mb": _peak_rss_mb(),
        **dict(zip(("optimize_tree_peak_mb", "optimize_tree_bound_mb"), tree.stop(), strict=True)),
        "sample_s": sampled.get("sample_s", float("nan")),
        **{k: float(a.get(f"time_{k}", float("nan"))) for k in ("maps_s", "build_s", "solve_s")},
        "verify_s": float(a.get("time_verify_s", float("nan"))),
        "cost_per_yr": float(ds["cost_per_yr"][0]),
        "gap_energy_frac": float(ds["gap_energy_frac"][0]),
        "solver_status": str(a.get("solver_status")),
    }


def _model(n: int) -> dict:
    """Build and solve the design model of ``n`` neighbourhoods of Buiksloterham's size
    from one neighbourhood's sampled maps (12 typical days), repeated: the model's size,
    build and solve time without sampling n neighbourhoods (the copies' maps are equal, the
    ten's differ in noise and scale). Solved at the default gap block by block (the
    blocks of :mod:`nexus.optimize.blocks`) and whole, and whole at 1e-6."""
    import dataclasses

    from make_city import city

    from nexus.district import district_from_dict
    from nexus.optimize.highs import MIP_REL_GAP, ArrayHighs
    from nexus.optimize.maps import prepare_maps
    from nexus.optimize.model import build_model
    from nexus.optimize.solve import _run

    one = district_from_dict(city(1, [1.0]), file="city_1.toml", base_dir=ROOT / "districts")
    maps1 = prepare_maps(one, 12)
    width = max(2, len(str(n)))
    district = district_from_dict(
        city(n, [1.0] * n), file=f"city_{n}_same.toml", base_dir=ROOT / "districts"
    )

    def renamed(tag: str, name: str) -> str:
        return tag + name.removeprefix("n01_")

    nodes = {}
    for i in range(n):
        tag = f"n{i + 1:0{width}d}_"
        for name, m in maps1.nodes.items():
            nodes[renamed(tag, name)] = dataclasses.replace(
                m, outlets={}, upstream={p: renamed(tag, u) for p, u in m.upstream.items()}
            )
    maps = dataclasses.replace(maps1, nodes=nodes)
    out: dict = {}
    w0, c0 = time.perf_counter(), time.process_time()
    model = build_model(district, maps)
    out["model_build_s"], out["model_build_cpu_s"] = (
        time.perf_counter() - w0,
        time.process_time() - c0,
    )
    for gap, split in ((MIP_REL_GAP, True), (MIP_REL_GAP, False), (1e-6, False)):
        opt = ArrayHighs(mip_rel_gap=gap, split=split)
        w0, c0 = time.perf_counter(), time.process_time()
        status = _run(opt, model, "cost")
        tag = f"gap{gap:g}" + ("_split" if split else "")
        out[f"{tag}_solve_s"] = time.perf_counter() - w0
        out[f"{tag}_solve_cpu_s"] = time.process_time() - c0
        out[f"{tag}_cost_per_yr"] = opt.objective
        out[f"{tag}_status"] = status
        out[f"{tag}_blocks"] = opt.blocks
    lp = opt.highs.getLp()
    out["rows"], out["columns"] = int(lp.num_row_), int(lp.num_col_)
    out["integers"] = int(sum(1 for v in model.nexus_columns if v.is_binary()))
    out["model_peak_mb"] = _peak_rss_mb()
    return out


def _child(what: str, n: int) -> dict:
    """Run one measurement in a fresh process; its JSON result."""
    here = str(Path(__file__).parent)
    code = (
        f"import json, sys; sys.path.insert(0, {here!r}); import bench_city as b; "
        f"print('RESULT ' + json.dumps(b._{what}({n})))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,2,5,10", help="neighbourhood counts, comma-separated")
    ap.add_argument("--runs", type=int, default=1, help="fresh processes per measurement")
    ap.add_argument(
        "--what",
        default="simulate,optimize",
        help="simulate, optimize, model (n copies of one sampled neighbourhood), comma-separated",
    )
    ap.add_argument("--json", help="write the raw results here")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    whats = args.what.split(",")
    rows = {}
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[:3]
    for n in sizes:
        runs = [{k: v for w in whats for k, v in _child(w, n).items()} for _ in range(args.runs)]
        row = {}
        for key in runs[0]:
            values = [r[key] for r in runs]
            row[key] = (
                statistics.median(values) if isinstance(values[0], float | int) else values[0]
            )
        rows[n] = row
        print(n, json.dumps(row), flush=True)
    with open("/proc/loadavg") as f:
        load_after = f.read().split()[:3]
    print(f"\nload average before {load_before}, after {load_after} (2 cores)\n")
    cols = [
        ("simulate_s", "simulate [s]"),
        ("simulate_cpu_s", "simulate CPU [s]"),
        ("optimize_s", "optimize [s]"),
        ("optimize_cpu_s", "optimize CPU [s]"),
        ("sample_s", "sampling [s]"),
        ("maps_s", "maps incl. typical days [s]"),
        ("build_s", "build [s]"),
        ("solve_s", "solve [s]"),
        ("verify_s", "verify [s]"),
        ("optimize_peak_mb", "optimize peak [MB]"),
        ("optimize_tree_peak_mb", "with workers, polled peak [MB]"),
        ("optimize_tree_bound_mb", "with workers, bound [MB]"),
        ("rows", "rows"),
        ("columns", "columns"),
        ("integers", "integers"),
        ("model_build_s", "build [s]"),
        ("gap0.0001_split_solve_s", "solve block by block, gap 1e-4 [s]"),
        ("gap0.0001_split_blocks", "blocks"),
        ("gap0.0001_solve_s", "solve, gap 1e-4 [s]"),
        ("gap0.0001_solve_cpu_s", "solve CPU, gap 1e-4 [s]"),
        ("gap1e-06_solve_s", "solve, gap 1e-6 [s]"),
        ("gap1e-06_solve_cpu_s", "solve CPU, gap 1e-6 [s]"),
        ("model_peak_mb", "model peak [MB]"),
        ("cost_per_yr", "cost [EUR/yr]"),
        ("gap_energy_frac", "energy gap"),
    ]
    cols = [(k, h) for k, h in cols if any(k in r for r in rows.values())]
    print("| neighbourhoods | " + " | ".join(h for _, h in cols) + " |")
    print("|---:|" + "---:|" * len(cols))
    for n, r in rows.items():
        cells = []
        for k, _ in cols:
            v = r.get(k)
            if v is None:
                cells.append("")
            elif (
                k in ("cost_per_yr", "optimize_peak_mb", "model_peak_mb", "rows", "columns")
                or (k in ("optimize_tree_peak_mb", "optimize_tree_bound_mb"))
                or (k in ("integers", "gap0.0001_split_blocks"))
            ):
                cells.append(f"{v:,.0f}")
            else:
                cells.append(f"{v:.2g}" if k == "gap_energy_frac" else f"{v:.1f}")
        print(f"| {n} | " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "load": [load_before, load_after]}))


if __name__ == "__main__":
    main()
