"""Benchmark: the HTML reports of issue 14 against the simulation they report.

In one process, warm (a first call of each is made and not counted), median of
``--runs`` calls of each, one after the other:

- ``simulate`` of Buiksloterham (the reference: what a report costs next to the run it shows);
- ``write_report`` of that run;
- ``write_report`` comparing it with two scenarios (already simulated);
- ``compare_kpis`` of the three;

and the report's size. Figures as PNG and SVG are timed once (they start a browser).

Run: ``.venv/bin/python benchmarks/bench_report.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nexus
from nexus.compare import compare_kpis
from nexus.report import write_report

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "as planned": ROOT / "districts" / "buiksloterham.toml",
    "no struvite": ROOT / "districts" / "scenarios" / "buiksloterham_no_struvite.toml",
    "no heat recovery": ROOT / "districts" / "scenarios" / "buiksloterham_no_heat_recovery.toml",
}


def median_s(call, runs: int) -> float:
    """Median wall time of ``call()`` over ``runs`` calls, after one uncounted call [s]."""
    call()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    districts = {label: nexus.load_district(f) for label, f in FILES.items()}
    results = {label: nexus.simulate(d) for label, d in districts.items()}
    plan = districts["as planned"]
    with tempfile.TemporaryDirectory() as tmp:
        run_html, cmp_html = Path(tmp) / "run.html", Path(tmp) / "compare.html"
        figures = {
            "simulate": median_s(lambda: nexus.simulate(plan), runs),
            "write_report (run)": median_s(
                lambda: write_report(results["as planned"], run_html, districts=plan), runs
            ),
            "write_report (3 scenarios)": median_s(
                lambda: write_report(results, cmp_html, districts=districts), runs
            ),
            "compare_kpis (3 scenarios)": median_s(lambda: compare_kpis(results), runs),
        }
        sizes = {"run": run_html.stat().st_size / 1e6, "compare": cmp_html.stat().st_size / 1e6}
        t0 = time.perf_counter()
        write_report(results, cmp_html, districts=districts, figures_dir=Path(tmp) / "figures")
        with_images = time.perf_counter() - t0
    reference = figures["simulate"]
    print(f"median of {runs} warm calls, one process")
    print("| step | time [s] | / simulate |")
    print("|---|---:|---:|")
    for name, seconds in figures.items():
        print(f"| {name} | {seconds:.3f} | {seconds / reference:.2f} |")
    print(
        f"| write_report (3 scenarios) with PNG and SVG figures, once | {with_images:.1f} | "
        f"{with_images / reference:.1f} |"
    )
    print(f"report sizes: run {sizes['run']:.1f} MB, comparison {sizes['compare']:.1f} MB")


if __name__ == "__main__":
    main()
