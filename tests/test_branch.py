"""nexus's branch and bound over HiGHS's warm-started LP, against HiGHS's MIP solver."""

from __future__ import annotations

import numpy as np
import pytest

from nexus.optimize.branch import branch_and_bound


def facility_location(seed: int, n_sites: int = 5, n_customers: int = 8):
    """A capacitated facility-location MILP (fixed opening costs, binaries y, flows x).

    min sum_i f_i y_i + sum_ij c_ij x_ij  s.t.  sum_i x_ij = d_j,  sum_j x_ij <= cap_i y_i.
    Returns (cost, lower, upper, rows (list of (cols, vals, lo, hi)), binary columns).
    """
    rng = np.random.default_rng(seed)
    f = rng.uniform(50, 150, n_sites)
    c = rng.uniform(1, 20, (n_sites, n_customers))
    d = rng.uniform(5, 15, n_customers)
    cap = rng.uniform(20, 60, n_sites)
    n_x = n_sites * n_customers
    cost = np.concatenate([f, c.ravel()])
    lower = np.zeros(n_sites + n_x)
    upper = np.concatenate([np.ones(n_sites), np.full(n_x, np.inf)])
    x = n_sites + np.arange(n_x).reshape(n_sites, n_customers)
    rows = [(x[:, j], np.ones(n_sites), d[j], d[j]) for j in range(n_customers)]
    rows += [
        (np.append(x[i], i), np.append(np.ones(n_customers), -cap[i]), -np.inf, 0.0)
        for i in range(n_sites)
    ]
    return cost, lower, upper, rows, np.arange(n_sites)


def highs_with(cost, lower, upper, rows, integer=None):
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.addVars(cost.size, lower, upper)
    h.changeColsCost(cost.size, np.arange(cost.size, dtype=np.int32), cost)
    for cols, vals, lo, hi in rows:
        h.addRow(lo, hi, len(cols), np.asarray(cols, dtype=np.int32), np.asarray(vals, float))
    if integer is not None:
        kind = highspy.HighsVarType.kInteger
        for j in integer:
            h.changeColIntegrality(int(j), kind)
    return h


@pytest.mark.unit
@pytest.mark.parametrize("seed", range(6))
def test_same_optimum_as_highs_mip(seed):
    cost, lower, upper, rows, binary = facility_location(seed)
    mip = highs_with(cost, lower, upper, rows, integer=binary)
    mip.run()
    expected = mip.getInfo().objective_function_value
    relaxation = highs_with(cost, lower, upper, rows)
    r = branch_and_bound(relaxation, binary, lower[binary], upper[binary], rel_gap=1e-9)
    assert r.status == "Optimal"
    assert r.objective == pytest.approx(expected, rel=1e-8)
    assert np.allclose(r.x[binary], np.round(r.x[binary]), atol=1e-6)
    assert r.objective == pytest.approx(float(cost @ r.x), rel=1e-9)
    assert r.nodes >= 1
    # the integer columns' bounds are restored for the next solve
    lp = relaxation.getLp()
    assert np.array_equal(np.array(lp.col_upper_)[binary], upper[binary])


@pytest.mark.unit
def test_a_relaxation_without_whole_points_is_told_apart_from_an_infeasible_one():
    from math import inf

    # 0.4 <= y <= 0.6 with y binary: the LP is feasible, no integer point is
    h = highs_with(np.array([1.0]), np.zeros(1), np.ones(1), [([0], [1.0], 0.4, 0.6)])
    r = branch_and_bound(h, np.array([0]), np.zeros(1), np.ones(1))
    assert r.status == "Integer infeasible" and r.x is None
    # y >= 2 with y in [0, 1]: the root LP itself is infeasible
    h = highs_with(np.array([1.0]), np.zeros(1), np.ones(1), [([0], [1.0], 2.0, inf)])
    assert branch_and_bound(h, np.array([0]), np.zeros(1), np.ones(1)).status == "Infeasible"


@pytest.mark.integration
@pytest.mark.slow
def test_branching_of_our_own_agrees_with_highs_on_a_district_with_routes():
    """Seven binaries (three digesters built or not, four route choices): nexus's branching
    and HiGHS's MIP solver find the same optimum, before and after a price change."""
    import importlib

    import pyomo.environ as pyo

    from nexus.optimize.highs import ArrayHighs
    from nexus.optimize.maps import prepare_maps
    from nexus.optimize.model import build_model
    from tests.test_optimize import two_neighbourhoods

    S = importlib.import_module("nexus.optimize.solve")
    district = two_neighbourhoods(3.5)
    maps = prepare_maps(district)
    costs = {}
    for branching in ("nexus", "highs"):
        model = build_model(district, maps)
        opt = ArrayHighs(branching=branching)
        S._run(opt, model, "cost")
        first = pyo.value(model.cost_per_yr)
        model.electricity_import_per_kWh.set_value(0.45)
        S._run(opt, model, "cost")
        costs[branching] = (first, pyo.value(model.cost_per_yr), opt._highs_mip)
    assert costs["nexus"][0] == pytest.approx(costs["highs"][0], rel=2e-6)
    assert costs["nexus"][1] == pytest.approx(costs["highs"][1], rel=2e-6)
    assert (costs["nexus"][2], costs["highs"][2]) == (False, True)
