"""Solve a MIP whose rows fall into independent blocks one block at a time.

A city of neighbourhoods that share only the public grid and the sewer gives a
design model whose constraint matrix is block-diagonal: each neighbourhood's
units, flows and balances form a block that shares no row with another (the
grid and the sewer take any amount at a price, so they add columns to the
objective, not rows that tie neighbourhoods). The rows of the targets
(``min_P_kg_yr`` ...) sum over every block, but a target the file does not set
is a row free on both sides, which ties nothing. Such a MIP is solved exactly
by solving each block on its own and adding the objectives: its optimum is the
sum of the blocks' optima, and a design within a relative gap g of each block's
optimum is within g of the whole (for objectives of one sign; in general within
g times the sum of the blocks' absolute objectives).

Why: HiGHS's branch and bound does not split a MIP into its components, and
its time grows faster than the blocks: ten neighbourhoods took 10.5-13 s as
one MIP where each block takes a fraction of a second (benchmarks/RESULTS.md,
city section). A target that is set, or the epsilon bound of a Pareto point,
is a row over every block: the MIP is then one block and is solved whole.

The split is found on the arrays HiGHS holds, so it needs no knowledge of the
district: the connected components of the graph whose vertices are the rows
(those bounded on at least one side) and columns, with an edge for each
non-zero. Components without integer columns are solved together as one LP.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nexus.optimize.highs import highs_lp

if TYPE_CHECKING:
    import highspy
    import scipy.sparse as sp

    from nexus._typing import BoolArray, FloatArray, IntArray

__all__ = ["Block", "BlockResult", "independent_blocks", "solve_blocks"]

#: HiGHS treats bounds at or beyond this as infinite.
_INF = 1e20


@dataclass(frozen=True)
class Block:
    """The rows and columns of one independent block of a model.

    Attributes
    ----------
    rows, columns : numpy.ndarray of int
        Indices into the whole model's rows and columns, ascending.
    """

    rows: IntArray
    columns: IntArray


@dataclass(frozen=True)
class BlockResult:
    """The whole model's solution put together from its blocks.

    Attributes
    ----------
    x : numpy.ndarray
        Value of every column of the whole model.
    objective : float
        The whole model's objective (the blocks' objectives plus its offset).
    status : str
        ``"Optimal"`` if every block is; otherwise the first block's status that
        is not (``"Time limit reached"`` with a feasible design).
    statuses : list of str
        HiGHS's status of each block, in order.
    infeasible : bool
        A block has no feasible point (then ``x`` is not a solution).
    out_of_time : bool
        The time limit ran out before a block had a feasible solution (then ``x``
        is not a solution).
    """

    x: FloatArray
    objective: float
    status: str
    statuses: list[str]
    infeasible: bool = False
    out_of_time: bool = False


def independent_blocks(lp: highspy.HighsLp, integer: IntArray) -> list[Block] | None:
    """The independent blocks of a MIP, or None if it has fewer than two with integers.

    Parameters
    ----------
    lp : highspy.HighsLp
        The model as HiGHS holds it (column-wise matrix).
    integer : numpy.ndarray of int
        Its integer columns.

    Returns
    -------
    list of Block or None
        One block per connected component holding an integer column, then (if any)
        one block of every component without one; None if fewer than two
        components hold integer columns (nothing to gain by splitting).
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    n_row, n_col = int(lp.num_row_), int(lp.num_col_)
    if integer.size == 0:
        return None
    matrix = lp.a_matrix_
    index = np.asarray(matrix.index_, dtype=np.int64)
    start = np.asarray(matrix.start_, dtype=np.int64)
    column = np.repeat(np.arange(n_col), np.diff(start))
    lower, upper = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    bounded = (lower > -_INF) | (upper < _INF)  # a row free on both sides ties nothing
    keep = bounded[index]
    r, c = index[keep], column[keep] + n_row  # rows are vertices 0..n_row-1, columns after
    size = n_row + n_col
    graph = sp.coo_matrix((np.ones(r.size, np.int8), (r, c)), shape=(size, size)).tocsr()
    _, label = connected_components(graph, directed=False)
    row_label, col_label = label[:n_row], label[n_row:]
    with_integers = np.unique(col_label[integer])
    if with_integers.size < 2:
        return None
    blocks = [
        Block(
            rows=np.flatnonzero((row_label == k) & bounded), columns=np.flatnonzero(col_label == k)
        )
        for k in with_integers
    ]
    rest_col = ~np.isin(col_label, with_integers)
    if rest_col.any():
        rest_row = ~np.isin(row_label, with_integers) & bounded
        blocks.append(Block(rows=np.flatnonzero(rest_row), columns=np.flatnonzero(rest_col)))
    return blocks


def _sub_lp(
    lp: highspy.HighsLp, whole: sp.csc_matrix, block: Block, integer: BoolArray | None
) -> highspy.HighsLp:
    """The block's own model: its rows, its columns, their costs and bounds, and which of
    its columns are integer (None: its LP relaxation)."""
    part = whole[:, block.columns][block.rows, :].tocsc()
    part.sort_indices()
    cols, rows = block.columns, block.rows
    return highs_lp(
        (part.indptr, part.indices, part.data),
        np.asarray(lp.col_cost_)[cols],
        (np.asarray(lp.col_lower_)[cols], np.asarray(lp.col_upper_)[cols]),
        (np.asarray(lp.row_lower_)[rows], np.asarray(lp.row_upper_)[rows]),
        integer,
    )


def solve_blocks(
    lp: highspy.HighsLp,
    blocks: list[Block],
    integer: IntArray,
    *,
    mip_rel_gap: float,
    own_branching: int,
    time_limit_s: float | None = None,
) -> BlockResult:
    """Solve each block with HiGHS on its own and put the solution together.

    Parameters
    ----------
    lp : highspy.HighsLp
        The whole model.
    blocks : list of Block
        From :func:`independent_blocks`.
    integer : numpy.ndarray of int
        The model's integer columns.
    mip_rel_gap : float
        Relative MIP gap of each block [-].
    own_branching : int
        A block with at most this many integer columns is branched on by nexus over
        HiGHS's warm-started LP (:func:`nexus.optimize.branch.branch_and_bound`), one
        with more by HiGHS's MIP solver (the choice :class:`~nexus.optimize.highs.ArrayHighs`
        makes for a whole model).
    time_limit_s : float, optional
        Time limit of all blocks together [s]; each block gets what is left.

    Returns
    -------
    BlockResult
        Stops at the first block without a feasible solution (its status last in
        ``statuses``; ``infeasible`` if it has none at all, ``out_of_time`` if the time
        limit ran out first).
    """
    import highspy
    import scipy.sparse as sp

    from nexus.optimize.branch import branch_and_bound

    matrix = lp.a_matrix_
    whole = sp.csc_matrix(
        (np.asarray(matrix.value_), np.asarray(matrix.index_), np.asarray(matrix.start_)),
        shape=(int(lp.num_row_), int(lp.num_col_)),
    )
    is_integer = np.zeros(int(lp.num_col_), bool)
    is_integer[integer] = True
    x = np.zeros(int(lp.num_col_))
    objective = float(lp.offset_)
    statuses: list[str] = []
    t0 = time.perf_counter()
    for block in blocks:
        left = (
            None if time_limit_s is None else max(time_limit_s - (time.perf_counter() - t0), 1e-3)
        )
        mine = is_integer[block.columns]
        ints = np.flatnonzero(mine)  # the block's integer columns, in its own numbering
        own = ints.size <= own_branching
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("mip_rel_gap", mip_rel_gap)
        if left is not None:
            highs.setOptionValue("time_limit", left)
        sub = _sub_lp(lp, whole, block, None if own else mine)
        highs.passModel(sub)
        if own:
            r = branch_and_bound(
                highs,
                ints,
                np.asarray(sub.col_lower_)[ints],
                np.asarray(sub.col_upper_)[ints],
                rel_gap=mip_rel_gap,
                time_limit_s=left,
            )
            statuses.append(r.status)
            if r.x is None:
                infeasible, late = r.status == "Infeasible", r.status == "Time limit reached"
                return BlockResult(x, float("nan"), r.status, statuses, infeasible, late)
            x[block.columns] = r.x
            objective += float(r.objective)
            continue
        highs.run()
        status = highs.getModelStatus()
        statuses.append(highs.modelStatusToString(status))
        if status == highspy.HighsModelStatus.kInfeasible:
            return BlockResult(x, float("nan"), statuses[-1], statuses, infeasible=True)
        if highs.getInfo().primal_solution_status != 2:  # 2: feasible
            late = status == highspy.HighsModelStatus.kTimeLimit
            return BlockResult(x, float("nan"), statuses[-1], statuses, out_of_time=late)
        x[block.columns] = highs.getSolution().col_value
        objective += float(highs.getInfo().objective_function_value)
    worse = [s for s in statuses if s != "Optimal"]
    return BlockResult(x, objective, worse[0] if worse else "Optimal", statuses)
