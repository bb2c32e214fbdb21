"""Time ``nexus.units.struvite.equilibrate`` on 10,000 waters at several tile sizes.

The waters are ``bench_struvite.make_waters`` (black water and urine). In one process,
after a warm-up, each round times one call at each tile size in turn (the sizes
alternating, so a change of machine load touches them alike); the median of the rounds is
printed per size, with the largest relative difference of each result from the first
size's (the Newton stops at its tolerance: a tile changes which waters iterate together).

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_struvite_tiles.py [--tiles 10000,5000,2500] [--rounds 7]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_struvite import make_waters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", default="10000,5000,2500", help="tile sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=7, help="timed calls per tile size")
    args = parser.parse_args()
    import nexus.units.struvite.equilibrium as eq
    from nexus.units import struvite

    tiles = [int(t) for t in args.tiles.split(",")]
    waters = make_waters(10_000)
    struvite.equilibrate(**{k: v[:10] for k, v in waters.items()})  # warm-up
    times: dict[int, list[float]] = {t: [] for t in tiles}
    results = {}
    kept = eq._TILE
    try:
        for _ in range(args.rounds):
            for t in tiles:
                eq._TILE = t
                t0 = time.perf_counter()
                results[t] = struvite.equilibrate(**waters)
                times[t].append(time.perf_counter() - t0)
    finally:
        eq._TILE = kept
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"10,000 waters, median of {args.rounds} calls per tile size; load average {load}")
    first = results[tiles[0]]
    for t in tiles:
        worst = 0.0
        for name, var in first.data_vars.items():
            a, b = var.values, results[t][name].values
            if a.dtype.kind != "f":
                continue
            scale = np.maximum(np.abs(a), 1.0)  # relative, with a floor of 1 (SI near 0)
            worst = max(worst, float(np.nanmax(np.abs(a - b) / scale)))
        print(
            f"tile {t:>6}: {statistics.median(times[t]):.4f} s a call; largest difference "
            f"from tile {tiles[0]}: {worst:.2g}"
        )


if __name__ == "__main__":
    main()
