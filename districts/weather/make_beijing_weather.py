"""Write ``beijing_typical_year.csv``: an hourly typical year for Beijing.

Built exactly as nexus builds its packaged Amsterdam year
(:func:`nexus.weather.load_weather`): daily means and ranges from the monthly
normals of ``beijing_climate_normals.csv`` (CMA 1971-2000) by a
mean-preserving spline, hours from the ASHRAE diurnal profile. Run from the
repository root::

    PYTHONPATH=. python districts/weather/make_beijing_weather.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nexus.weather import (
    diurnal_temperature,
    mean_preserving_daily,
    read_climate_normals,
    typical_year_index,
)

HERE = Path(__file__).parent
YEAR = 2025


def main() -> None:
    normals = read_climate_normals(HERE / "beijing_climate_normals.csv")
    mean_d = mean_preserving_daily(normals["T_mean_C"].to_numpy())
    range_d = mean_preserving_daily((normals["T_max_C"] - normals["T_min_C"]).to_numpy())
    T_out = diurnal_temperature(mean_d, np.maximum(range_d, 0.0))
    idx = typical_year_index(YEAR)
    lines = [
        "# Hourly typical year for Beijing built from CMA 1971-2000 monthly normals",
        "# (beijing_climate_normals.csv) by districts/weather/make_beijing_weather.py,",
        "# the method of nexus's packaged Amsterdam year (nexus.weather.load_weather).",
        "time,T_out_C",
    ]
    lines += [f"{t:%Y-%m-%dT%H:%M},{T:.3f}" for t, T in zip(idx, T_out, strict=True)]
    (HERE / "beijing_typical_year.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
