"""Temperature dependence of ADM1's biology against published digesters at 13-35 degC.

nexus corrects the biochemical rate constants of ADM1 by exp(theta_g (T - 35 degC)) per process
group (Siegrist et al. 2002, coefficients as in ADM1da; nexus.units.adm1.kinetics). Checked here:

- the ratio of maximum volumetric methane production at 15-35 degC of a digester on swine
  wastewater (Yang et al. 2016) against the acetoclasts' factor: agrees within 20 % at 20, 25
  and 30 degC, misses by a factor 4.8 at 15 degC;
- the liquefaction of particulates retained in a UASB sludge bed at 25 and 13 degC (Uemura &
  Harada 2000) against the disintegration/hydrolysis factor: misses at 13 degC;
- the whole model across the validated range on black water (de Graaff et al. 2010's UASB):
  monotonic in temperature, and no washout at the cold end.

Together with the BSM2 steady state and Wendland et al. (2007) at 35 degC
(test_adm1_bsm2.py, test_digester_validation.py) and de Graaff et al. (2010) at 25 degC, they set
the validated range, 20-35 degC (nexus.units.adm1.steady.T_C_MIN, T_C_MAX). Each data file
states its provenance and the reason for its tolerance in its header.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from test_digester_validation import BLACK_WATER_G_P_D

from nexus.components import INDEX, N_COMPONENTS
from nexus.errors import ParameterError
from nexus.units import adm1
from nexus.units import digester as dg
from nexus.units.adm1 import steady

pytestmark = pytest.mark.component

DATA = Path(__file__).parent / "data"
T0 = 273.15


def read(name: str) -> list[dict[str, float]]:
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return [{k: float(v) for k, v in row.items()} for row in rows]


def test_the_validated_range_is_the_range_of_the_data_that_agree():
    rows = read("adm1_temperature_yang2016.csv") + read("adm1_temperature_uemura2000.csv")
    inside = [r["T_C"] for r in rows if r["in_validated_range"]]
    outside = [r["T_C"] for r in rows if not r["in_validated_range"]]
    assert (min(inside), max(inside)) == (steady.T_C_MIN, steady.T_C_MAX)
    assert max(outside) < steady.T_C_MIN


def test_methane_capacity_ratio_yang_2016():
    rows = read("adm1_temperature_yang2016.csv")
    ref = next(r for r in rows if r["T_C"] == 35.0)
    tol = 0.20  # the OLR steps locate each capacity to about +-20 % (header)
    for r in rows:
        measured = r["Rpmax_L_L_d"] / ref["Rpmax_L_L_d"]
        model = float(adm1.rate_factors(r["T_C"] + T0)["ac"])
        miss = abs(model / measured - 1.0)
        print(f"\n{r['T_C']:.0f} degC: model {model:.3f}, measured {measured:.3f}, miss {miss:.0%}")
        if r["in_validated_range"]:
            assert miss <= tol, r
        else:  # 15 degC: the model's methanogens are far too fast; outside the range
            assert model / measured > 1.0 + tol, r


def test_sludge_bed_liquefaction_uemura_harada_2000():
    """First-order hydrolysis of solids held a time t in a mixed bed: f = k t / (1 + k t)."""
    rows = {r["T_C"]: r for r in read("adm1_temperature_uemura2000.csv")}
    f25 = rows[25.0]["liquefied_frac"]
    kt25 = f25 / (1.0 - f25)
    factor = adm1.rate_factors(np.array([25.0, 13.0]) + T0)["hyd"]
    kt13 = kt25 * factor[1] / factor[0]
    predicted = kt13 / (1.0 + kt13)
    measured = rows[13.0]["liquefied_frac"]
    print(f"\n13 degC liquefaction: model {predicted:.2f}, measured {measured:.2f}")
    assert not rows[13.0]["in_validated_range"]
    # outside the range the model misses by more than the 0.05 the data carry (header)
    assert predicted - measured > 0.05
    with pytest.raises(ParameterError, match="outside"):
        adm1.steady_state(adm1.BSM2_INFLUENT, **dict(adm1.BSM2_DIGESTER, T_K=13.0 + T0))


def test_black_water_uasb_across_the_validated_range():
    """de Graaff et al. (2010)'s UASB (HRT 8.7 d, solids held 100 d more) from 20 to 35 degC in
    one batch: COD to methane grows with temperature, every row keeps its methanogens, and the
    25 degC row is the one test_digester_validation.py compares with the measurement."""
    T_C = np.array([20.0, 25.0, 30.0, 35.0])
    persons = 1000.0
    flow = np.full(T_C.size, 0.005 * persons)
    loads = np.zeros((T_C.size, N_COMPONENTS))
    for name, g in BLACK_WATER_G_P_D.items():
        loads[:, INDEX[name]] = g * persons / 1000.0
    V = 8.7 * flow[0]
    ss = adm1.steady_states(dg.feed_to_adm1(loads, flow), flow_m3_d=flow, V_liq_m3=V,
                            V_gas_m3=V * 300.0 / 3400.0, T_K=T_C + T0, t_res_X_d=100.0)  # fmt: skip
    assert ss.status == "converged" and not ss.washout.any()
    methane = ss.gas.q_ch4_Nm3_d
    assert np.all(np.diff(methane) > 0)
    cod_to_methane = methane / 22.414 * 64.0 / (80.0 * persons / 1000.0)
    print(
        "\nUASB on black water, COD to methane:",
        dict(zip(T_C, cod_to_methane.round(3), strict=True)),
    )
    # the cold end: slower disintegration leaves more composites in the bed, still productive
    assert ss.state("X_c")[0] > ss.state("X_c")[-1] and np.all(ss.ions.pH > 7.0)
