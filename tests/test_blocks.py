"""A MIP of independent blocks is solved block by block, to the optimum of the whole."""

from __future__ import annotations

import highspy
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus.optimize.blocks import independent_blocks, solve_blocks

INF = highspy.kHighsInf


def _lp(
    a: np.ndarray,
    cost: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
) -> highspy.HighsLp:
    """A HighsLp from dense arrays (column-wise matrix), columns bounded below by 0."""
    m = sp.csc_matrix(a)
    lp = highspy.HighsLp()
    lp.num_row_, lp.num_col_ = a.shape
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(a.shape[1])
    lp.col_upper_ = col_upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = m.indptr.astype(np.int32)
    lp.a_matrix_.index_ = m.indices.astype(np.int32)
    lp.a_matrix_.value_ = m.data
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in integer
    ]
    return lp


def _integer(lp: highspy.HighsLp) -> np.ndarray:
    """The LP's integer columns."""
    return np.flatnonzero([int(v) for v in lp.integrality_])


def _split(lp: highspy.HighsLp) -> tuple[highspy.HighsLp, np.ndarray]:
    """The arguments of independent_blocks: the LP and its integer columns."""
    return lp, _integer(lp)


def _whole(lp: highspy.HighsLp) -> float:
    """The optimum of the MIP solved whole by HiGHS."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.passModel(lp)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value)


def _plants(n: int, *, tie: tuple[float, float]) -> highspy.HighsLp:
    """``n`` plants, each built (binary b_i) or not: capacity x_i <= 10 b_i serves a demand
    d_i, the rest bought at a price; a last row sums every x_i within ``tie`` (free when
    both sides are infinite). Columns: x_i, b_i, bought_i per plant."""
    rng = np.random.default_rng(n)
    demand = rng.uniform(2.0, 9.0, n)
    rows, lower, upper = [], [], []
    for i in range(n):
        cap = np.zeros(3 * n)  # x_i - 10 b_i <= 0
        cap[3 * i], cap[3 * i + 1] = 1.0, -10.0
        rows.append(cap)
        lower.append(-INF)
        upper.append(0.0)
        serve = np.zeros(3 * n)  # x_i + bought_i >= d_i
        serve[3 * i], serve[3 * i + 2] = 1.0, 1.0
        rows.append(serve)
        lower.append(demand[i])
        upper.append(INF)
    total = np.zeros(3 * n)
    total[0::3] = 1.0
    rows.append(total)
    lower.append(tie[0])
    upper.append(tie[1])
    cost = np.tile([0.5, 3.0, 1.0], n)  # running a plant, building it, buying
    integer = np.tile([False, True, False], n)
    col_upper = np.tile([INF, 1.0, INF], n)
    return _lp(np.array(rows), cost, np.array(lower), np.array(upper), col_upper, integer)


@pytest.mark.unit
def test_a_free_row_ties_nothing_and_a_bounded_one_ties_every_block():
    """The sum row free on both sides leaves one block per plant; bounded, it is one MIP."""
    blocks = independent_blocks(*_split(_plants(4, tie=(-INF, INF))))
    assert blocks is not None
    assert len(blocks) == 4  # the plants; no column is left outside them
    assert sorted(np.concatenate([b.columns for b in blocks]).tolist()) == list(range(12))
    for b in blocks:  # a plant's own columns and rows
        assert b.columns.size == 3 and b.rows.size == 2
    assert independent_blocks(*_split(_plants(4, tie=(-INF, 12.0)))) is None
    assert independent_blocks(*_split(_plants(1, tie=(-INF, INF)))) is None  # nothing to split


@pytest.mark.unit
@settings(max_examples=25, deadline=None)
@given(st.integers(2, 7), st.floats(-5.0, 5.0), st.floats(0.5, 4.0))
def test_the_blocks_optimum_is_the_whole_ones(n, price_shift, build_cost):
    """Random prices: the sum of the blocks' optima is the optimum of the MIP solved whole,
    and the assembled solution is feasible for the whole."""
    lp = _plants(n, tie=(-INF, INF))
    cost = np.asarray(lp.col_cost_).copy()
    cost[2::3] += price_shift  # buying may be cheaper than running a plant, or pay
    cost[1::3] = build_cost
    lp.col_cost_ = cost
    lp.col_upper_ = np.tile([INF, 1.0, 20.0], n)  # bounded, so a negative price is finite
    blocks = independent_blocks(lp, _integer(lp))
    assert blocks is not None
    r = solve_blocks(lp, blocks, _integer(lp), mip_rel_gap=0.0, own_branching=6)
    assert r.status == "Optimal" and not r.infeasible
    assert r.objective == pytest.approx(_whole(lp), rel=1e-9, abs=1e-9)
    a = sp.csc_matrix(
        (np.asarray(lp.a_matrix_.value_), lp.a_matrix_.index_, lp.a_matrix_.start_),
        shape=(lp.num_row_, lp.num_col_),
    )
    activity = a @ r.x
    assert np.all(activity >= np.asarray(lp.row_lower_) - 1e-7)
    assert np.all(activity <= np.asarray(lp.row_upper_) + 1e-7)
    assert np.allclose(r.x[1::3], np.round(r.x[1::3]))  # built or not, whole
    # HiGHS's MIP solver on every block gives the same optimum as nexus's branching
    by_highs = solve_blocks(lp, blocks, _integer(lp), mip_rel_gap=0.0, own_branching=0)
    assert by_highs.objective == pytest.approx(r.objective, rel=1e-9, abs=1e-9)


@pytest.mark.unit
def test_an_infeasible_block_is_said():
    """A block that cannot hold stops the solve as infeasible, not with a wrong design."""
    lp = _plants(3, tie=(-INF, INF))
    upper = np.asarray(lp.col_upper_).copy()
    upper[3 * 1 + 2] = 0.0  # plant 2 cannot buy...
    upper[3 * 1] = 1.0  # ...nor run above 1, below its demand
    lp.col_upper_ = upper
    blocks = independent_blocks(lp, _integer(lp))
    assert blocks is not None
    for own in (0, 6):
        r = solve_blocks(lp, blocks, _integer(lp), mip_rel_gap=1e-4, own_branching=own)
        assert r.infeasible and not np.isfinite(r.objective)
