"""Hand a nexus model to HiGHS as arrays, and re-solve it by updating only what can change.

nexus writes its model as arrays (:mod:`nexus.optimize.linear`) and makes the
Pyomo constraints from them; :class:`ArrayHighs` hands HiGHS those same
arrays, so nothing walks the Pyomo expressions again. At 8760 hourly steps
this takes about 0.3 s, where Pyomo's ``LinearStandardFormCompiler`` took
2.4 s and its persistent HiGHS interface 11-14 s (benchmarks/RESULTS.md).

What a researcher changes in the Pyomo model is followed: deactivated rows
are left out; a constraint or objective nexus did not build, and a row of
nexus's that was given another expression (``set_value``), is compiled with
Pyomo's ``generate_standard_repn``; fixed variables become constants.

A re-solve of the same model does not compile it again: the objective, the
rows whose bounds or coefficients hold mutable Params (demand scale, targets,
prices), any constraint added later that holds mutable Params, and variable
bounds (``setub``, ``setlb``, a Param bound) are re-evaluated and changed in
HiGHS; an LP re-solve starts from the previous basis. A model with a few
integer columns (build or not, route choices) is branched on by nexus over
HiGHS's LP (:mod:`nexus.optimize.branch`), so its re-solves start from the
previous basis too; HiGHS's MIP solver, which restarts its branch and bound
from scratch (a MIP start from the previous solution gave no measurable
gain), takes models with more. A change of structure (constraint data added,
removed, activated, deactivated or given another expression; a variable
fixed, freed, fixed at another value or given another domain) compiles the
model again. Whether the structure changed is decided by identity, never by
counting: ``ArrayHighs._update`` compares the constraint data, their
expressions and active flags, and each variable's bound and domain objects,
fixed flag and fixed value, with those compiled. What is updated in place and what compiles
again, and the invariants of the array layer: ``docs/optimizer_arrays.md``.
"""

from __future__ import annotations

import time
from itertools import compress
from operator import attrgetter, is_, is_not
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from nexus.errors import InfeasibleError, SolverError
from nexus.optimize.linear import gc_paused, summed

if TYPE_CHECKING:
    from collections.abc import Iterable

    import highspy
    import pyomo.environ as pyo
    from numpy.typing import ArrayLike
    from pyomo.core.base.constraint import ConstraintData
    from pyomo.core.base.expression import NamedExpressionData
    from pyomo.core.base.var import VarData

    from nexus._typing import BoolArray, FloatArray, IntArray
    from nexus.optimize.blocks import Block
    from nexus.optimize.linear import Affine

    #: An active Constraint, its data, their expressions and their active flags.
    RowState: TypeAlias = tuple[pyo.Constraint, list[ConstraintData], list[object], BoolArray]

__all__ = ["MAX_OWN_BRANCHING", "MIP_REL_GAP", "ArrayHighs", "highs_lp"]

_INF = 1e20  # HiGHS treats bounds beyond this as infinite

# What a compiled model depends on, read from Pyomo's slots (pyomo 6.10): the public
# properties take about twice as long, and ``lower``/``upper`` make a new expression
_EXPR, _ACTIVE = attrgetter("_expr"), attrgetter("_active")
_LB, _UB = attrgetter("_lb"), attrgetter("_ub")
_DOMAIN, _FIXED = attrgetter("_domain"), attrgetter("_fixed")

#: Default relative MIP gap (HiGHS's ``mip_rel_gap``, and nexus's own branching): a design
#: whose cost is within 1e-4 of the best (about 40 EUR/yr on Buiksloterham's 420,000 EUR/yr)
#: is accepted. Why 1e-4 and not 1e-6: the model's own data are far coarser (linear cost fits
#: within a few per cent, maps interpolating their unit models within 0.1-1 %), and issue 18
#: measured HiGHS closing 1e-4 four times faster than 1e-6 on ten neighbourhoods for a 1e-5
#: change in cost (on ten equal copies both take the same time: benchmarks/RESULTS.md). The
#: verification does not depend on it: it simulates the design found and compares with the
#: optimizer's own figures for that design.
MIP_REL_GAP = 1e-4

#: Most integer columns nexus branches on itself (``branching="auto"``): at most
#: 2^(k+1) - 1 warm-started LPs; beyond, HiGHS's MIP solver with its cuts is the better bet.
MAX_OWN_BRANCHING = 6


class ArrayHighs:
    """HiGHS fed with a Pyomo model's standard form.

    Parameters
    ----------
    time_limit_s : float, optional
        HiGHS time limit per solve [s].
    mip_rel_gap : float
        Relative MIP gap at which branch and bound stops [-]; default
        :data:`MIP_REL_GAP` (why: there).
    branching : {"auto", "nexus", "highs"}
        Who branches on integer columns: nexus over HiGHS's warm-started LP
        (:mod:`nexus.optimize.branch`; re-solves start from the last basis),
        or HiGHS's MIP solver (cuts, heuristics; every solve from scratch).
        ``"auto"``: nexus up to :data:`MAX_OWN_BRANCHING` integer columns.
    split : bool
        Solve a MIP HiGHS branches on block by block when its rows fall into
        independent blocks with integer columns (:mod:`nexus.optimize.blocks`; exact);
        False solves it whole (to compare the two).

    Attributes
    ----------
    timings : dict of str to float
        Seconds of the last solve: ``compile_s`` (Pyomo to arrays; on a
        re-solve, re-evaluating what mutable Params touch), ``handoff_s``
        (arrays to HiGHS), ``solve_s`` (HiGHS), ``load_s`` (solution back into
        the Pyomo variables); ``recompiled`` is 1.0 if the model was compiled.
    nodes : int
        LPs the last branch and bound of nexus's own solved (0 otherwise).
    blocks : int
        Independent blocks the last solve was split into (0: solved whole;
        :mod:`nexus.optimize.blocks`).
    objective : float
        Objective value of the solution loaded by the last solve.
    """

    def __init__(
        self,
        time_limit_s: float | None = None,
        mip_rel_gap: float = MIP_REL_GAP,
        branching: str = "auto",
        split: bool = True,
    ) -> None:
        import highspy

        if branching not in ("auto", "nexus", "highs"):
            raise ValueError(f"branching = {branching!r}; expected 'auto', 'nexus' or 'highs'")
        self._hs = highspy
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("mip_rel_gap", mip_rel_gap)
        if time_limit_s is not None:
            self.highs.setOptionValue("time_limit", float(time_limit_s))
        self._time_limit_s = time_limit_s
        self._gap = mip_rel_gap
        self._branching = branching
        self._split = split
        self.nodes = 0
        self.blocks = 0
        self.objective = float("nan")
        self._model: pyo.ConcreteModel | None = None
        self._basis: highspy.HighsBasis | None = None
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------ public
    def solve(self, model: pyo.ConcreteModel) -> str:
        """Solve the model's single active (minimizing) objective; load the solution.

        Returns
        -------
        str
            HiGHS's model status (``"Optimal"``, ``"Time limit reached"``...).

        Raises
        ------
        nexus.InfeasibleError
            The model has no feasible point; the message names an irreducible
            set of constraints and bounds that cannot hold together.
        nexus.SolverError
            HiGHS returned no feasible solution for another reason.
        """
        t0 = time.perf_counter()
        with gc_paused():
            try:
                updated = self._model is model and self._update(model)
                if not updated:
                    self._compile(model)
            except BaseException:
                self._model = None  # half compiled or half updated: compile in full next time
                raise
        t1 = time.perf_counter()
        if self._basis is not None and not self._highs_mip:
            self.highs.setBasis(self._basis)  # warm start from the last (root) basis
        t2 = time.perf_counter()
        values, name = self._branch() if self._integer.size and not self._highs_mip else self._run()
        t3 = time.perf_counter()
        for var, x in zip(self._columns, values, strict=True):
            var.set_value(x, skip_validation=True)
        self.timings = {
            "compile_s": t1 - t0 - self._handoff_s,
            "handoff_s": self._handoff_s + (t2 - t1),
            "solve_s": t3 - t2,
            "load_s": time.perf_counter() - t3,
            "recompiled": 0.0 if updated else 1.0,
        }
        return name

    # ------------------------------------------------------------ compile
    def _compile(self, model: pyo.ConcreteModel) -> None:
        """Compile the whole model to arrays and pass them to HiGHS."""
        columns = list(getattr(model, "nexus_columns", []))
        col: dict[int, int] = {}  # column of each variable, filled when first needed
        own = {id(c): (r, built) for c, r, built in getattr(model, "nexus_rows", [])}
        entries: list[tuple[IntArray, IntArray, FloatArray]] = []
        lower: list[FloatArray] = []
        upper: list[FloatArray] = []
        generic: list[ConstraintData] = []
        self._parts: list[tuple[Affine, str, IntArray, BoolArray, bool]] = []
        # coefficients of the rows Params multiply, as passed
        self._coefs: dict[int, FloatArray] = {}
        # data of each constraint compiled from arrays, which rows were
        self._blocks: list[tuple[list[ConstraintData], BoolArray]] = []
        self._rows = _row_state(model)
        n_row = 0
        for component, data, exprs, active in self._rows:
            relation, built = own.get(id(component), (None, ()))
            mine = np.zeros(len(data), bool)  # active, and holding the expression nexus built
            if len(built) == len(data):
                mine = active & np.fromiter(map(is_, exprs, built), bool, len(data))
            generic += [data[i] for i in np.flatnonzero(active & ~mine)]
            if not mine.any():
                continue
            expr, sense = relation.expr, relation.sense
            self._blocks.append((data, mine))
            new_row = np.cumsum(mine) - 1 + n_row  # row in the compiled matrix
            r, c, v = expr.coo()
            keep = mine[r]
            entries.append((new_row[r[keep]], c[keep], v[keep]))
            lo, hi = _sides(expr.constant_value(), sense)
            lower.append(lo[mine])
            upper.append(hi[mine])
            coef, const = expr.has_params()
            if coef or const:
                self._parts.append((expr, sense, new_row[mine], mine, coef))
            if coef:
                self._coefs[id(expr)] = v[keep]
            n_row += int(mine.sum())
        g_rows, g_cols, g_vals, g_lo, g_hi = _repn_rows(generic, columns, col)
        entries.append((g_rows + n_row, g_cols, g_vals))
        self._followed, self._named = _dependencies(generic)
        pick = np.isin(g_rows, self._followed)
        followed_rows = np.searchsorted(self._followed, g_rows[pick])
        self._followed_entries = (followed_rows, g_cols[pick], g_vals[pick])
        obj_cost, offset = self._objective(model, columns, col)
        n_col = len(columns)
        row, column, value = (np.concatenate(x) for x in zip(*entries, strict=True))
        row_lower = np.concatenate([*lower, g_lo])
        row_upper = np.concatenate([*upper, g_hi])
        n_rows = row_lower.size
        # columns: bounds, integrality; fixed variables become constants
        self._vars = _ColumnState(columns)
        fixed = self._vars.fixed
        lb, ub, integer = _column_data(columns)
        self._xfix = np.zeros(n_col)  # fixed values at fixed columns, 0 elsewhere
        self._xfix[fixed] = self._vars.values
        shift = np.bincount(row, weights=value * self._xfix[column], minlength=n_rows)
        free = np.flatnonzero(~fixed)
        where = np.full(n_col, -1, dtype=np.int64)
        where[free] = np.arange(free.size)
        keep = ~fixed[column]
        c_sorted, r_sorted, v_sorted = summed(where[column[keep]], row[keep], value[keep])
        start = np.concatenate(([0], np.cumsum(np.bincount(c_sorted, minlength=free.size))))
        self._free, self._where = free, where
        self._shift = shift
        self._generic_start = n_row
        self._generic = generic
        integer = integer[free]
        self._integer = np.flatnonzero(integer)
        self._lower, self._upper = lb[free], ub[free]  # as HiGHS holds them
        self._mip = bool(integer.any())
        self._highs_mip = self._mip and (
            self._branching == "highs"
            or (self._branching == "auto" and self._integer.size > MAX_OWN_BRANCHING)
        )
        t0 = time.perf_counter()
        # HiGHS holds the integrality only where it branches (else nexus does, on the LP)
        lp = highs_lp(
            (start, r_sorted, v_sorted),
            obj_cost[free],
            (self._lower, self._upper),
            (row_lower - shift, row_upper - shift),
            integer if self._highs_mip else None,
            offset=offset + float(obj_cost @ self._xfix),
        )
        self.highs.clearModel()
        self.highs.passModel(lp)
        self._handoff_s = time.perf_counter() - t0
        self._model = model
        self._basis = None
        self._all_columns = columns
        self._col = col
        self._columns = [columns[j] for j in free]

    def _run(self) -> tuple[FloatArray | list[float], str]:
        """One HiGHS run (an LP, or a MIP HiGHS branches on): column values and status.

        A MIP whose rows fall into independent blocks with integer columns (a city's
        neighbourhoods that share only the grid and the sewer) is solved block by block
        (:mod:`nexus.optimize.blocks`), which is exact and faster than one branch and bound.
        """
        self.nodes = 0
        self.blocks = 0
        if self._highs_mip and self._split:
            from nexus.optimize.blocks import independent_blocks

            lp = self.highs.getLp()  # as updated in place since it was compiled
            blocks = independent_blocks(lp, self._integer)
            if blocks is not None:
                return self._run_blocks(lp, blocks)
        self.highs.run()
        status = self.highs.getModelStatus()
        name = self.highs.modelStatusToString(status)
        if status == self._hs.HighsModelStatus.kInfeasible:
            raise InfeasibleError(self._explain_infeasible())
        if self.highs.getInfo().primal_solution_status != 2:  # 2: feasible
            if status == self._hs.HighsModelStatus.kTimeLimit:
                raise SolverError(_out_of_time(self._time_limit_s, "HiGHS"))
            raise SolverError(f"HiGHS found no feasible solution: {name}")
        self._basis = None if self._highs_mip else self.highs.getBasis()
        self.objective = float(self.highs.getInfo().objective_function_value)
        return self.highs.getSolution().col_value, name

    def _run_blocks(self, lp: highspy.HighsLp, blocks: list[Block]) -> tuple[FloatArray, str]:
        """Solve independent blocks one by one: column values and status."""
        from nexus.optimize.blocks import solve_blocks

        r = solve_blocks(
            lp,
            blocks,
            self._integer,
            mip_rel_gap=self._gap,
            own_branching=MAX_OWN_BRANCHING if self._branching == "auto" else 0,
            time_limit_s=self._time_limit_s,
        )
        self.blocks = len(blocks)
        if r.infeasible:
            raise InfeasibleError(self._explain_infeasible())
        if r.out_of_time:
            raise SolverError(_out_of_time(self._time_limit_s, "HiGHS, block by block"))
        if not np.isfinite(r.objective):
            raise SolverError(f"HiGHS found no feasible solution: {r.status}")
        self._basis = None
        self.objective = r.objective
        return r.x, r.status

    def _branch(self) -> tuple[FloatArray, str]:
        """Branch and bound of our own over the warm-started LP relaxation."""
        from nexus.optimize.branch import branch_and_bound

        def keep_root_basis() -> None:
            self._basis = self.highs.getBasis()

        warm = self._basis is not None
        r = branch_and_bound(
            self.highs,
            self._integer,
            self._lower[self._integer],
            self._upper[self._integer],
            rel_gap=self._gap,
            time_limit_s=self._time_limit_s,
            on_root=keep_root_basis,
            warm=warm,
        )
        self.nodes = r.nodes
        if r.status == "Infeasible":
            raise InfeasibleError(self._explain_infeasible())
        if r.x is None and r.status == "Time limit reached":
            raise SolverError(_out_of_time(self._time_limit_s, f"{r.nodes} LPs"))
        if r.x is None:
            raise SolverError(
                f"no design with whole-number decisions (build or not, route choices) "
                f"satisfies the constraints: {r.status} after {r.nodes} LPs"
            )
        self.objective = float(r.objective)
        return r.x, r.status

    def _explain_infeasible(self) -> str:
        """The model's irreducible infeasible subset (HiGHS ``getIis``), in words."""
        intro = "no design and operation satisfy every constraint"
        status, iis = self.highs.getIis()
        if status != self._hs.HighsStatus.kOk or not iis.valid_:
            return f"{intro} (HiGHS found no irreducible subset to show)"
        lp = self.highs.getLp()
        rows = self.row_constraints()
        # IIS bound codes: 2 lower, 3 upper, 4 both (HiGHS IisBoundStatus)
        side = {2: (">=", 0), 3: ("<=", 1), 4: ("in", 2)}
        parts = []
        for i, code in zip(iis.row_index_, iis.row_bound_, strict=True):
            lo, hi = lp.row_lower_[i], lp.row_upper_[i]
            parts.append(f"constraint {rows[i].name} " + _bound_words(side.get(code), lo, hi))
        for j, code in zip(iis.col_index_, iis.col_bound_, strict=True):
            lo, hi = lp.col_lower_[j], lp.col_upper_[j]
            parts.append(
                f"variable {self._columns[j].name} " + _bound_words(side.get(code), lo, hi)
            )
        if not parts:
            return f"{intro} (HiGHS found no irreducible subset to show)"
        return (
            f"{intro}: these cannot hold together (an irreducible infeasible subset found "
            "by HiGHS; rows with the fixed variables moved to the right): " + "; ".join(parts)
        )

    def row_constraints(self) -> list[ConstraintData]:
        """The Pyomo constraint data of each row HiGHS holds, in order (to read duals)."""
        out: list[ConstraintData] = []
        for data, mine in self._blocks:
            out += compress(data, mine)
        return out + list(self._generic)

    @property
    def columns(self) -> list[VarData]:
        """The Pyomo variable data of each column HiGHS holds, in order."""
        return list(self._columns)

    def _objective(
        self, model: pyo.ConcreteModel, columns: list[VarData], col: dict[int, int]
    ) -> tuple[FloatArray, float]:
        """Cost of each column and the constant of the single active (minimized) objective."""
        import pyomo.environ as pyo
        from pyomo.repn import generate_standard_repn

        active = list(model.component_data_objects(pyo.Objective, active=True))
        if len(active) != 1:
            raise SolverError(f"the model has {len(active)} active objectives; expected one")
        (objective,) = active
        if objective.sense != pyo.minimize:
            raise SolverError("ArrayHighs minimizes; negate a maximized objective")
        own = getattr(model, "nexus_objective", None)
        if own is not None and own[0] is objective.parent_component():
            expr = own[1]
            cost = np.zeros(len(columns))
            np.add.at(cost, expr.col, expr.val * expr.factors()[expr.grp])
            return cost, float(expr.constant_value()[0])
        repn = generate_standard_repn(objective.expr, compute_values=True, quadratic=False)
        if repn.nonlinear_expr is not None:
            raise SolverError("the objective is not linear")
        js = [_column(v, columns, col) for v in repn.linear_vars]
        cost = np.zeros(len(columns))
        np.add.at(cost, np.array(js, dtype=np.int64), np.array(repn.linear_coefs, float))
        return cost, float(repn.constant)

    # ------------------------------------------------------------ update
    def _update(self, model: pyo.ConcreteModel) -> bool:
        """Change in HiGHS what changed in the model; False if it must be compiled again.

        The model is compiled again if constraint data were added, removed,
        activated, deactivated or given another expression, a named Expression
        in a constraint compiled from Pyomo was given another expression, a
        variable was fixed, freed, fixed at another value or given another
        domain, or a variable HiGHS has no column for entered the objective or
        a row. Each is compared by identity with what was compiled, read from
        Pyomo's slots without evaluating anything (at 8760 h, 150,000 rows and
        140,000 columns, about 35 ms). Otherwise the objective, the bounds of
        columns whose bounds moved, and the rows holding mutable Params are
        changed in place.
        """
        self._handoff_s = 0.0
        if not _same_rows(self._rows, model):
            return False
        if not all(e.arg(0) is arg for e, arg in self._named):
            return False
        moved = self._vars.changes(self._all_columns)
        if moved is None:
            return False
        n_before = len(self._all_columns)
        cost, offset = self._objective(model, self._all_columns, self._col)
        followed = [self._generic[i] for i in self._followed]
        generic = _repn_rows(followed, self._all_columns, self._col)
        if len(self._all_columns) != n_before:
            return False  # a variable the compiled model has no column for
        free, xfix = self._free, self._xfix
        t0 = time.perf_counter()
        hs = self.highs
        hs.changeColsCost(free.size, np.arange(free.size, dtype=np.int32), cost[free])
        hs.changeObjectiveOffset(offset + float(cost @ xfix))
        self._change_bounds(moved)
        index: list[IntArray] = []
        lower: list[FloatArray] = []
        upper: list[FloatArray] = []
        for expr, sense, at, mine, coef in self._parts:
            lo, hi = _sides(expr.constant_value(), sense)
            shift = self._shift[at]
            if coef:
                r, c, v = expr.coo()
                keep = mine[r]
                r, c, v = r[keep], c[keep], v[keep]
                shift = np.bincount(r, weights=v * xfix[c], minlength=mine.size)[mine]
                self._change_coefficients(id(expr), at, mine, r, c, v)
            index.append(at)
            lower.append(lo[mine] - shift)
            upper.append(hi[mine] - shift)
        g_rows, g_cols, g_vals, g_lo, g_hi = generic
        at = self._generic_start + np.array(self._followed, dtype=np.int64)
        if at.size:
            shift = np.bincount(g_rows, weights=g_vals * xfix[g_cols], minlength=at.size)
            index.append(at)
            lower.append(g_lo - shift)
            upper.append(g_hi - shift)
            self._change_followed(at, g_rows, g_cols, g_vals)
        if index:
            idx = np.concatenate(index).astype(np.int32)
            # ignore: highspy's stub (1.15) leaves out Highs.changeRowsBounds, which it has
            hs.changeRowsBounds(  # type: ignore[attr-defined]
                idx.size, idx, np.concatenate(lower), np.concatenate(upper)
            )
        self._handoff_s = time.perf_counter() - t0
        return True

    def _change_bounds(self, moved: IntArray) -> None:
        """Change in HiGHS the bounds of the free columns among ``moved`` that changed."""
        at = self._where[moved]
        moved, at = moved[at >= 0], at[at >= 0]
        lb, ub, _ = _column_data([self._all_columns[j] for j in moved])
        new = (lb != self._lower[at]) | (ub != self._upper[at])
        if new.any():
            at, lb, ub = at[new], lb[new], ub[new]
            self.highs.changeColsBounds(at.size, at.astype(np.int32), lb, ub)
            self._lower[at], self._upper[at] = lb, ub

    def _change_followed(
        self, at: IntArray, row: IntArray, col: IntArray, value: FloatArray
    ) -> None:
        """Change in HiGHS the coefficients of the rows compiled from Pyomo that hold Params.

        Pyomo's standard form leaves out a term a Param makes zero: a term the
        row had is set to 0 in HiGHS unless it is there again.
        """
        before_row, before_col, _ = self._followed_entries
        self._followed_entries = (row, col, value)
        r, c, v = summed(
            np.concatenate((row, before_row)),
            np.concatenate((col, before_col)),
            np.concatenate((value, np.zeros(before_row.size))),
        )
        where = self._where
        for i, j, x in zip(r.tolist(), c.tolist(), v.tolist(), strict=True):
            if where[j] >= 0:
                self.highs.changeCoeff(int(at[i]), int(where[j]), x)

    def _change_coefficients(
        self,
        key: int,
        at: IntArray,
        mine: BoolArray,
        row: IntArray,
        col: IntArray,
        value: FloatArray,
    ) -> None:
        """Change in HiGHS the coefficients of rows that Params multiply, where they changed."""
        before = self._coefs[key]
        self._coefs[key] = value
        new_row = np.cumsum(mine) - 1
        where = self._where
        for p in np.flatnonzero((value != before) & (where[col] >= 0)):
            self.highs.changeCoeff(int(at[new_row[row[p]]]), int(where[col[p]]), float(value[p]))


def highs_lp(
    matrix: tuple[ArrayLike, ArrayLike, ArrayLike],
    cost: FloatArray,
    col_bounds: tuple[FloatArray, FloatArray],
    row_bounds: tuple[FloatArray, FloatArray],
    integer: BoolArray | None,
    *,
    offset: float = 0.0,
) -> highspy.HighsLp:
    """A ``highspy.HighsLp`` from column-wise arrays: ``matrix`` (start, row index, value),
    column costs, (lower, upper) of columns and of rows, and which columns are integer
    (None: an LP). The one place nexus builds HiGHS models (whole, or a block of one)."""
    import highspy as hs

    start, index, value = matrix
    lp = hs.HighsLp()
    lp.num_col_, lp.num_row_ = cost.size, row_bounds[0].size
    lp.col_cost_ = cost
    lp.offset_ = offset
    lp.col_lower_, lp.col_upper_ = col_bounds
    lp.row_lower_, lp.row_upper_ = row_bounds
    lp.a_matrix_.format_ = hs.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.asarray(start).astype(np.int32)
    lp.a_matrix_.index_ = np.asarray(index).astype(np.int32)
    lp.a_matrix_.value_ = np.asarray(value, dtype=float)
    if integer is not None:
        kinds = (hs.HighsVarType.kContinuous, hs.HighsVarType.kInteger)
        lp.integrality_ = [kinds[int(i)] for i in integer]
    return lp


def _bound_words(side: tuple[str, int] | None, lower: float, upper: float) -> str:
    """``>= 3``, ``<= 1`` or ``in [1, 3]`` for a row's or column's bound in an IIS."""
    if side is None or side[1] == 2 or (np.isfinite(lower) and lower == upper):
        return f"in [{lower:.6g}, {upper:.6g}]"
    return f"{side[0]} {(lower, upper)[side[1]]:.6g}"


def _sides(constant: FloatArray, sense: str) -> tuple[FloatArray, FloatArray]:
    """Row bounds of ``body + constant (sense) 0``."""
    lo = np.where(sense in (">=", "=="), -constant, -np.inf) * np.ones_like(constant)
    hi = np.where(sense in ("<=", "=="), -constant, np.inf) * np.ones_like(constant)
    return np.where(lo <= -_INF, -np.inf, lo), np.where(hi >= _INF, np.inf, hi)


def _column(var: VarData, columns: list[VarData], col: dict[int, int]) -> int:
    """A variable's column; a variable met for the first time gets a new one."""
    if not col and columns:
        col.update((id(v), j) for j, v in enumerate(columns))
    j = col.get(id(var))
    if j is None:
        j = col[id(var)] = len(columns)
        columns.append(var)
    return j


def _column_data(columns: list[VarData]) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Lower and upper bounds (with the domain's) and integrality by column."""
    n = len(columns)
    lb, ub, integer = np.full(n, -np.inf), np.full(n, np.inf), np.zeros(n, bool)
    is_int: dict[int, bool] = {}  # by domain
    for j, v in enumerate(columns):
        low, high = v.bounds
        if low is not None:
            lb[j] = low
        if high is not None:
            ub[j] = high
        d = v.domain
        k = is_int.get(id(d))
        if k is None:
            k = is_int[id(d)] = v.is_integer()
        integer[j] = k
    return lb, ub, integer


def _repn_rows(
    data: list[ConstraintData], columns: list[VarData], col: dict[int, int]
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray]:
    """Constraint data written as Pyomo expressions, as coordinate arrays and bounds."""
    import pyomo.environ as pyo
    from pyomo.repn import generate_standard_repn

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo = np.full(len(data), -np.inf)
    hi = np.full(len(data), np.inf)
    for i, d in enumerate(data):
        repn = generate_standard_repn(d.body, compute_values=True, quadratic=False)
        if repn.nonlinear_expr is not None:
            raise SolverError(f"constraint {d.name} is not linear")
        for var, coef in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            rows.append(i)
            cols.append(_column(var, columns, col))
            vals.append(float(coef))
        if d.has_lb():
            lo[i] = float(pyo.value(d.lower)) - float(repn.constant)
        if d.has_ub():
            hi[i] = float(pyo.value(d.upper)) - float(repn.constant)
    lo[lo <= -_INF] = -np.inf
    hi[hi >= _INF] = np.inf
    return (
        np.array(rows, dtype=np.int64),
        np.array(cols, dtype=np.int64),
        np.array(vals, float),
        lo,
        hi,
    )


def _dependencies(
    data: list[ConstraintData],
) -> tuple[list[int], list[tuple[NamedExpressionData, object]]]:
    """What constraint data compiled from Pyomo depend on besides their own expressions.

    Returns the positions of those holding mutable Params (re-evaluated on
    every re-solve), and each named Expression they hold with the expression
    it holds now (if it is given another, the model is compiled again).
    """
    from pyomo.core.base.expression import ExpressionData, ScalarExpression
    from pyomo.core.base.objective import ObjectiveData, ScalarObjective
    from pyomo.core.expr.visitor import identify_components, identify_mutable_parameters

    kinds = {ExpressionData, ScalarExpression, ObjectiveData, ScalarObjective}
    followed: list[int] = []
    named: dict[int, tuple[NamedExpressionData, object]] = {}
    for i, d in enumerate(data):
        if any(True for _ in identify_mutable_parameters(d.expr)):
            followed.append(i)
        for e in identify_components(d.expr, kinds):
            named[id(e)] = (e, e.arg(0))
    return followed, list(named.values())


def _row_state(model: pyo.ConcreteModel) -> list[RowState]:
    """Each active Constraint component, in the order compiled, with its data (in the order
    Pyomo holds them), their expressions and their active flags."""
    import pyomo.environ as pyo

    out: list[RowState] = []
    for component in model.component_objects(pyo.Constraint, active=True):
        data = list(component._data.values())  # values() takes twice as long
        exprs = list(map(_EXPR, data))
        out.append((component, data, exprs, np.fromiter(map(_ACTIVE, data), bool, len(data))))
    return out


def _same_rows(before: list[RowState], model: pyo.ConcreteModel) -> bool:
    """Whether the model's active constraints are those of ``before`` (a :func:`_row_state`),
    holding the same expressions (identical objects), active in the same rows."""
    import pyomo.environ as pyo

    now = list(model.component_objects(pyo.Constraint, active=True))
    return len(now) == len(before) and all(
        c is component
        and len(c._data) == len(exprs)
        and all(map(is_, map(_EXPR, c._data.values()), exprs))
        and np.array_equal(np.fromiter(map(_ACTIVE, c._data.values()), bool, len(exprs)), active)
        for c, (component, _, exprs, active) in zip(now, before, strict=True)
    )


class _ColumnState:
    """What HiGHS's copy of the columns depends on, as Pyomo holds it.

    Bounds and domains are kept as the objects Pyomo holds: kept alive here,
    an object found again is the same value (a bound that is an expression,
    such as a mutable Param, is evaluated on every re-solve). Fixed flags and
    fixed values are kept as arrays.

    Parameters
    ----------
    columns : list
        Pyomo variable data by column.
    """

    def __init__(self, columns: list[VarData]) -> None:
        self.lb = list(map(_LB, columns))
        self.ub = list(map(_UB, columns))
        self.domain = list(map(_DOMAIN, columns))
        self.fixed = np.fromiter(map(_FIXED, columns), bool, len(columns))
        self.values = self._fixed_values(columns)
        self.parametric = self._parametric(range(len(columns)))

    def changes(self, columns: list[VarData]) -> IntArray | None:
        """The columns whose bounds may have changed since, now followed; or None if a
        column was fixed, freed, fixed at another value or given another domain."""
        n = self.fixed.size
        if not (
            np.array_equal(np.fromiter(map(_FIXED, columns), bool, n), self.fixed)
            and np.array_equal(self._fixed_values(columns), self.values)
            and all(map(is_, map(_DOMAIN, columns), self.domain))
        ):
            return None
        moved = np.fromiter(map(is_not, map(_LB, columns), self.lb), bool, n)
        moved |= np.fromiter(map(is_not, map(_UB, columns), self.ub), bool, n)
        moved[self.parametric] = True
        at = np.flatnonzero(moved)
        for j in at.tolist():
            self.lb[j], self.ub[j] = _LB(columns[j]), _UB(columns[j])
        self.parametric = self._parametric(at.tolist())
        return at

    def _fixed_values(self, columns: list[VarData]) -> FloatArray:
        return np.array([float(v.value) for v in compress(columns, self.fixed)])

    def _parametric(self, at: Iterable[int]) -> IntArray:
        """Of the columns ``at``, those with a bound that is an expression."""
        from pyomo.common.numeric_types import native_numeric_types

        number = {type(None), *native_numeric_types}
        lb, ub = self.lb, self.ub
        return np.array(
            [j for j in at if type(lb[j]) not in number or type(ub[j]) not in number], np.int64
        )


def _out_of_time(time_limit_s: float | None, after: str) -> str:
    """The message of a time limit that ran out before any design was found."""
    return (
        f"the time limit of {time_limit_s:g} s ran out ({after}) before any design satisfying "
        "the constraints was found; expected a longer time limit (--time-limit)"
    )
