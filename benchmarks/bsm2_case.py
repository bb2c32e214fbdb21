"""The BSM2 digester case and its hourly year, shared by the ADM1 benchmarks.

Plain numpy (no nexus import), so QSDsan's interpreter can read it too
(``benchmarks/qsdsan_adm1_cases.py``). Scripts run from ``benchmarks/`` find it
on their path.
"""

from __future__ import annotations

import resource

import numpy as np

#: The BSM2 influent (Rosen & Jeppsson 2006), BSM2 units, in nexus/BSM2 state order.
BSM2 = dict(
    S_su=0.01, S_aa=0.001, S_fa=0.001, S_va=0.001, S_bu=0.001, S_pro=0.001, S_ac=0.001,
    S_h2=1e-8, S_ch4=1e-5, S_IC=0.04, S_IN=0.01, S_I=0.02, X_c=2.0, X_ch=5.0, X_pr=20.0,
    X_li=5.0, X_su=0.0, X_aa=0.01, X_fa=0.01, X_c4=0.01, X_pro=0.01, X_ac=0.01, X_h2=0.01,
    X_I=25.0, S_cat=0.04, S_an=0.02,
)  # fmt: skip
#: The BSM2 digester: flow [m3/d], liquid and gas volumes [m3], temperature [K].
CASE = dict(flow_m3_d=170.0, V_liq_m3=3400.0, V_gas_m3=300.0, T_K=308.15)


def hourly_influent(days: int, noise: str):
    """Hourly BSM2-like influent: a daily and weekly wave with seeded noise.

    Parameters
    ----------
    days : int
        Length of the series [d]; ``days * 24 + 1`` points.
    noise : {"ar1", "white"}
        Autocorrelated (coefficient 0.9) or white noise, 5 % amplitude.

    Returns
    -------
    t_d : numpy.ndarray
        Times [d].
    flow_m3_d : numpy.ndarray
        Flow, 170 m3/d +- 30 % daily [m3/d].
    influent : dict of str to numpy.ndarray
        Each BSM2 state times the wave.
    """
    t = np.arange(days * 24 + 1) / 24.0
    rng = np.random.default_rng(2)
    e = rng.standard_normal(t.size)
    if noise == "ar1":
        for i in range(1, t.size):
            e[i] = 0.9 * e[i - 1] + np.sqrt(1 - 0.81) * e[i]
    wave = 1.0 + 0.2 * np.sin(2 * np.pi * t) + 0.05 * np.sin(2 * np.pi * t / 7.0) + 0.05 * e
    q = 170.0 * (1.0 + 0.3 * np.sin(2 * np.pi * (t - 0.3)))
    return t, q, {k: v * wave for k, v in BSM2.items()}


def rss_mb() -> float:
    """Peak resident memory of this process [MB] (Linux ru_maxrss is in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
