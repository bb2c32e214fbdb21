"""Benchmark: the ammonia stripper on a year of hourly digester effluent, before and after.

The water is the Buiksloterham district's digester effluent (the struvite reactor's inlet,
8,760 hours), taken from one simulation of ``districts/buiksloterham.toml``. The stripper
unit type runs on it with a 10,000 m3/h air flow (all water treated), at the water's own
temperature and warmed to 35 degC with a feed/effluent exchanger of 0.5. **after** is this
tree's ``nexus.units.stripping``; **before** is the module at ``--before`` (a git revision,
default ``main``: the ideal-solution titration), loaded from ``git show`` into the same
process. Both are warmed up, then timed alternately; printed: the median of ``--runs`` calls
each, and the NaOH per kg N each gives.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_stripping.py [--before main] [--runs 9]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def digester_effluent() -> Any:
    """The inputs of the Buiksloterham struvite reactor for a simulated year."""
    import nexus
    from nexus.units.struvite import reactor

    got = {}
    run = reactor.StruviteReactorType.run

    def capture(self: Any, params: Any, inputs: Any) -> Any:
        got["inputs"] = inputs
        return run(self, params, inputs)

    reactor.StruviteReactorType.run = capture  # type: ignore[method-assign]
    try:
        nexus.simulate(nexus.load_district(ROOT / "districts" / "buiksloterham.toml"))
    finally:
        reactor.StruviteReactorType.run = run  # type: ignore[method-assign]
    return got["inputs"]


def module_at(revision: str) -> Any:
    """nexus.units.stripping as of ``revision``, its unit type not registered again."""
    source = subprocess.run(
        ["git", "show", f"{revision}:nexus/units/stripping.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.replace("\nregister(AmmoniaStripperType())\n", "\n")
    path = Path(tempfile.mkdtemp()) / "stripping_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("stripping_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["stripping_before"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", default="main")
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    from nexus.units import stripping

    inputs = digester_effluent()
    modules = {"before": module_at(args.before), "after": stripping}
    cases = {
        "own temperature": {},
        "warmed to 35 degC, exchanger 0.5": {"T_C": 35.0, "heat_recovery_frac": 0.5},
    }
    for case, extra in cases.items():
        units = {k: m.AmmoniaStripperType() for k, m in modules.items()}
        params = {k: m.StripperParams(air_flow_m3_h=1e4, **extra) for k, m in modules.items()}
        results = {k: units[k].run(params[k], inputs) for k in modules}  # warm-up
        times: dict[str, list[float]] = {k: [] for k in modules}
        for _ in range(args.runs):
            for k in modules:
                t0 = time.perf_counter()
                results[k] = units[k].run(params[k], inputs)
                times[k].append(time.perf_counter() - t0)
        for k in modules:
            out = results[k].outputs
            N = float(out["N_recovered_kg_h"].sum())
            NaOH = float(out["NaOH_kg_h"].sum())
            print(
                f"{case:34s} {k:6s} {statistics.median(times[k]) * 1e3:7.1f} ms  "
                f"NaOH {NaOH / N:.3f} kg/kg N  N {N:,.0f} kg/yr"
            )


if __name__ == "__main__":
    main()
