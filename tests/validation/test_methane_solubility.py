"""Dissolved methane: ADM1's Henry's law against an independent compilation of Henry
constants (Sander 2015)."""

from __future__ import annotations

import numpy as np
import pytest

from nexus.units import adm1
from nexus.units import digester as dg


@pytest.mark.unit
def test_methane_solubility_against_sander_2015():
    """Sander (2015, Atmos. Chem. Phys. 15:4399, methane): H = 1.4e-5 mol m-3 Pa-1
    at 298.15 K and d ln H / d(1/T) = 1600 K. Tolerance 4 %: the compiled H has two
    significant figures (1.35-1.45e-5, +-3.6 %). Checked from 5 to 40 degC, the range of
    the digesters nexus runs."""
    for T_C in (5.0, 15.0, 25.0, 35.0, 40.0):
        T_K = T_C + 273.15
        H_mol_m3_Pa = 1.4e-5 * np.exp(1600.0 * (1.0 / T_K - 1.0 / 298.15))
        sander_kgCOD_m3_bar = H_mol_m3_Pa * 1e5 * 64.0 / 1000.0
        ours = float(adm1.methane_solubility_kgCOD_m3_bar(T_K))
        assert ours == pytest.approx(sander_kgCOD_m3_bar, rel=0.04)


@pytest.mark.unit
def test_dissolved_methane_falls_with_temperature_and_scales_with_supersaturation():
    cold, warm = dg.dissolved_methane_kgCOD_m3(0.65, [288.15, 308.15], 1.0)
    assert cold > warm > 0.0
    assert float(dg.dissolved_methane_kgCOD_m3(0.65, 298.15, 2.0)) == pytest.approx(
        2.0 * float(dg.dissolved_methane_kgCOD_m3(0.65, 298.15, 1.0))
    )
