"""Hand a nexus model to HiGHS as arrays, and re-solve it by updating only what can change.

nexus writes its model as arrays (:mod:`nexus.optimize.linear`) and makes the
Pyomo constraints from them; :class:`ArrayHighs` hands HiGHS those same
arrays, so nothing walks the Pyomo expressions again. At 8760 hourly steps
this takes about 0.3 s, where Pyomo's ``LinearStandardFormCompiler`` took
2.4 s and its persistent HiGHS interface 11-14 s (benchmarks/RESULTS.md).

What a researcher changes in the Pyomo model is followed: deactivated rows
are left out; a constraint or objective nexus did not build is compiled with
Pyomo's ``generate_standard_repn``; fixed variables become constants. A
constraint nexus built is compiled from the arrays it was built from, so
change one by deactivating it and adding your own.

A re-solve of the same model does not compile it again: the objective, the
rows whose bounds or coefficients hold mutable Params (demand scale, targets,
prices) and any constraint added later that holds mutable Params are
re-evaluated and changed in HiGHS; an LP re-solve starts from the previous
basis. A model with a few integer columns (build or not, route choices) is
branched on by nexus over HiGHS's LP (:mod:`nexus.optimize.branch`), so its
re-solves start from the previous basis too; HiGHS's MIP solver, which
restarts its branch and bound from scratch (a MIP start from the previous
solution gave no measurable gain), takes models with more. A change of
structure (constraints added, removed, deactivated; a variable fixed, freed
or fixed at another value) compiles the model again.
"""

from __future__ import annotations

import time
from operator import attrgetter

import numpy as np

from nexus.errors import InfeasibleError, SolverError
from nexus.optimize.linear import gc_paused, summed

__all__ = ["MAX_OWN_BRANCHING", "ArrayHighs"]

_INF = 1e20  # HiGHS treats bounds beyond this as infinite

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
        Relative MIP gap at which branch and bound stops [-].
    branching : {"auto", "nexus", "highs"}
        Who branches on integer columns: nexus over HiGHS's warm-started LP
        (:mod:`nexus.optimize.branch`; re-solves start from the last basis),
        or HiGHS's MIP solver (cuts, heuristics; every solve from scratch).
        ``"auto"``: nexus up to :data:`MAX_OWN_BRANCHING` integer columns.

    Attributes
    ----------
    timings : dict of str to float
        Seconds of the last solve: ``compile_s`` (Pyomo to arrays; on a
        re-solve, re-evaluating what mutable Params touch), ``handoff_s``
        (arrays to HiGHS), ``solve_s`` (HiGHS), ``load_s`` (solution back into
        the Pyomo variables); ``recompiled`` is 1.0 if the model was compiled.
    nodes : int
        LPs the last branch and bound of nexus's own solved (0 otherwise).
    objective : float
        Objective value of the solution loaded by the last solve.
    """

    def __init__(
        self,
        time_limit_s: float | None = None,
        mip_rel_gap: float = 1e-6,
        branching: str = "auto",
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
        self.nodes = 0
        self.objective = float("nan")
        self._model = None
        self._basis = None
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------ public
    def solve(self, model) -> str:
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
            updated = self._model is model and self._update(model)
            if not updated:
                self._compile(model)
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
    def _compile(self, model) -> None:
        """Compile the whole model to arrays and pass them to HiGHS."""
        import pyomo.environ as pyo

        hs = self._hs
        columns = list(getattr(model, "nexus_columns", []))
        col: dict[int, int] = {}  # column of each variable, filled when first needed
        own = {id(c): (r.expr, r.sense) for c, r in getattr(model, "nexus_rows", [])}
        entries, lower, upper, generic, self._parts = [], [], [], [], []
        self._coefs = {}  # coefficients of the rows Params multiply, as passed
        self._blocks = []  # the constraints compiled from arrays, and their active rows
        n_row = 0
        for component in model.component_objects(pyo.Constraint, active=True):
            if id(component) not in own:
                generic += [d for d in component.values() if d.active]
                continue
            expr, sense = own[id(component)]
            active = np.fromiter((d.active for d in component.values()), bool, expr.size)
            self._blocks.append((component, active))
            new_row = np.cumsum(active) - 1 + n_row  # row in the compiled matrix
            r, c, v = expr.coo()
            keep = active[r]
            entries.append((new_row[r[keep]], c[keep], v[keep]))
            lo, hi = _sides(expr.constant_value(), sense)
            lower.append(lo[active])
            upper.append(hi[active])
            coef, const = expr.has_params()
            if coef or const:
                self._parts.append((expr, sense, new_row[active], active, coef))
            if coef:
                self._coefs[id(expr)] = v[keep]
            n_row += int(active.sum())
        g_rows, g_cols, g_vals, g_lo, g_hi = _repn_rows(generic, columns, col)
        entries.append((g_rows + n_row, g_cols, g_vals))
        obj_cost, offset = self._objective(model, columns, col)
        n_col = len(columns)
        row, column, value = (np.concatenate(x) for x in zip(*entries, strict=True))
        row_lower = np.concatenate([*lower, g_lo])
        row_upper = np.concatenate([*upper, g_hi])
        n_rows = row_lower.size
        # columns: bounds, integrality; fixed variables become constants
        lb, ub, fixed, integer = _column_data(columns)
        self._xfix = np.zeros(n_col)  # fixed values at fixed columns, 0 elsewhere
        self._xfix[fixed] = [float(v.value) for v, f in zip(columns, fixed, strict=True) if f]
        shift = np.bincount(row, weights=value * self._xfix[column], minlength=n_rows)
        free = np.flatnonzero(~fixed)
        where = np.full(n_col, -1, dtype=np.int64)
        where[free] = np.arange(free.size)
        keep = ~fixed[column]
        c_sorted, r_sorted, v_sorted = summed(where[column[keep]], row[keep], value[keep])
        start = np.concatenate(([0], np.cumsum(np.bincount(c_sorted, minlength=free.size))))
        self._free, self._where = free, where
        self._fixed_vars = [v for v, f in zip(columns, fixed, strict=True) if f]
        self._fixed_values = self._xfix[fixed].copy()
        self._shift = shift
        self._generic_start = n_row
        self._generic = generic
        self._generic_parametric = [i for i, d in enumerate(generic) if _has_params(d)]
        integer = integer[free]
        self._integer = np.flatnonzero(integer)
        self._integer_lower = lb[free][self._integer]
        self._integer_upper = ub[free][self._integer]
        self._mip = bool(integer.any())
        self._highs_mip = self._mip and (
            self._branching == "highs"
            or (self._branching == "auto" and self._integer.size > MAX_OWN_BRANCHING)
        )
        t0 = time.perf_counter()
        lp = hs.HighsLp()
        lp.num_col_, lp.num_row_ = free.size, n_rows
        lp.col_cost_ = obj_cost[free]
        lp.offset_ = offset + float(obj_cost @ self._xfix)
        lp.col_lower_ = lb[free]
        lp.col_upper_ = ub[free]
        lp.row_lower_ = row_lower - shift
        lp.row_upper_ = row_upper - shift
        lp.a_matrix_.format_ = hs.MatrixFormat.kColwise
        lp.a_matrix_.start_ = start.astype(np.int32)
        lp.a_matrix_.index_ = r_sorted.astype(np.int32)
        lp.a_matrix_.value_ = v_sorted
        if self._highs_mip:  # otherwise HiGHS holds the relaxation and nexus branches
            lp.integrality_ = [
                hs.HighsVarType.kInteger if i else hs.HighsVarType.kContinuous for i in integer
            ]
        self.highs.clearModel()
        self.highs.passModel(lp)
        self._handoff_s = time.perf_counter() - t0
        self._model = model
        self._basis = None
        self._all_columns = columns
        self._col = col
        self._columns = [columns[j] for j in free]
        self._signature = (n_rows, int(fixed.sum()), n_col)
        if _n_vars(model) != n_col:  # variables in no constraint: count them the long way
            self._signature = _signature(model)

    def _run(self) -> tuple[list, str]:
        """One HiGHS run (an LP, or a MIP HiGHS branches on): column values and status."""
        self.nodes = 0
        self.highs.run()
        status = self.highs.getModelStatus()
        name = self.highs.modelStatusToString(status)
        if status == self._hs.HighsModelStatus.kInfeasible:
            raise InfeasibleError(self._explain_infeasible())
        if self.highs.getInfo().primal_solution_status != 2:  # 2: feasible
            raise SolverError(f"HiGHS found no feasible solution: {name}")
        self._basis = None if self._highs_mip else self.highs.getBasis()
        self.objective = float(self.highs.getInfo().objective_function_value)
        return self.highs.getSolution().col_value, name

    def _branch(self) -> tuple[np.ndarray, str]:
        """Branch and bound of our own over the warm-started LP relaxation."""
        from nexus.optimize.branch import branch_and_bound

        def keep_root_basis() -> None:
            self._basis = self.highs.getBasis()

        warm = self._basis is not None
        r = branch_and_bound(
            self.highs,
            self._integer,
            self._integer_lower,
            self._integer_upper,
            rel_gap=self._gap,
            time_limit_s=self._time_limit_s,
            on_root=keep_root_basis,
            warm=warm,
        )
        self.nodes = r.nodes
        if r.status == "Infeasible":
            raise InfeasibleError(self._explain_infeasible())
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

    def row_constraints(self) -> list:
        """The Pyomo constraint data of each row HiGHS holds, in order (to read duals)."""
        out = []
        for component, active in self._blocks:
            out += [d for d, a in zip(component.values(), active, strict=True) if a]
        return out + list(self._generic)

    @property
    def columns(self) -> list:
        """The Pyomo variable data of each column HiGHS holds, in order."""
        return list(self._columns)

    def _objective(self, model, columns: list, col: dict) -> tuple[np.ndarray, float]:
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
    def _update(self, model) -> bool:
        """Re-evaluate what mutable Params touch; False if the model must be compiled."""
        self._handoff_s = 0.0
        if _signature(model) != self._signature:
            return False
        now = np.array([float(v.value) for v in self._fixed_vars], float)
        if not np.array_equal(now, self._fixed_values):
            return False  # a fixed variable was fixed at another value
        n_before = len(self._all_columns)
        cost, offset = self._objective(model, self._all_columns, self._col)
        generic = _repn_rows(
            [self._generic[i] for i in self._generic_parametric], self._all_columns, self._col
        )
        if len(self._all_columns) != n_before:
            return False  # a variable the compiled model does not have
        free, xfix = self._free, self._xfix
        t0 = time.perf_counter()
        hs = self.highs
        hs.changeColsCost(free.size, np.arange(free.size, dtype=np.int32), cost[free])
        hs.changeObjectiveOffset(offset + float(cost @ xfix))
        index, lower, upper = [], [], []
        where = self._where
        for expr, sense, at, active, coef in self._parts:
            lo, hi = _sides(expr.constant_value(), sense)
            shift = self._shift[at]
            if coef:
                r, c, v = expr.coo()
                keep = active[r]
                moved = np.bincount(r[keep], weights=v[keep] * xfix[c[keep]], minlength=active.size)
                shift = moved[active]
                self._change_coefficients(id(expr), at, active, r[keep], c[keep], v[keep])
            index.append(at)
            lower.append(lo[active] - shift)
            upper.append(hi[active] - shift)
        g_rows, g_cols, g_vals, g_lo, g_hi = generic
        at = self._generic_start + np.array(self._generic_parametric, dtype=np.int64)
        if at.size:
            shift = np.bincount(g_rows, weights=g_vals * xfix[g_cols], minlength=at.size)
            index.append(at)
            lower.append(g_lo - shift)
            upper.append(g_hi - shift)
            for r, j, v in zip(g_rows, g_cols, g_vals, strict=True):
                if where[j] >= 0:
                    hs.changeCoeff(int(at[r]), int(where[j]), float(v))
        if index:
            idx = np.concatenate(index).astype(np.int32)
            hs.changeRowsBounds(idx.size, idx, np.concatenate(lower), np.concatenate(upper))
        self._handoff_s = time.perf_counter() - t0
        return True

    def _change_coefficients(self, key: int, at, active, row, col, value) -> None:
        """Change in HiGHS the coefficients of rows that Params multiply, where they changed."""
        before = self._coefs[key]
        self._coefs[key] = value
        new_row = np.cumsum(active) - 1
        where = self._where
        for p in np.flatnonzero((value != before) & (where[col] >= 0)):
            self.highs.changeCoeff(int(at[new_row[row[p]]]), int(where[col[p]]), float(value[p]))


def _bound_words(side, lower: float, upper: float) -> str:
    """``>= 3``, ``<= 1`` or ``in [1, 3]`` for a row's or column's bound in an IIS."""
    if side is None or side[1] == 2 or (np.isfinite(lower) and lower == upper):
        return f"in [{lower:.6g}, {upper:.6g}]"
    return f"{side[0]} {(lower, upper)[side[1]]:.6g}"


def _sides(constant: np.ndarray, sense: str) -> tuple[np.ndarray, np.ndarray]:
    """Row bounds of ``body + constant (sense) 0``."""
    lo = np.where(sense in (">=", "=="), -constant, -np.inf) * np.ones_like(constant)
    hi = np.where(sense in ("<=", "=="), -constant, np.inf) * np.ones_like(constant)
    return np.where(lo <= -_INF, -np.inf, lo), np.where(hi >= _INF, np.inf, hi)


def _column(var, columns: list, col: dict) -> int:
    """A variable's column; a variable met for the first time gets a new one."""
    if not col and columns:
        col.update((id(v), j) for j, v in enumerate(columns))
    j = col.get(id(var))
    if j is None:
        j = col[id(var)] = len(columns)
        columns.append(var)
    return j


def _column_data(columns: list) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper bounds (with the domain's), fixed flags and integrality by column."""
    n = len(columns)
    lb, ub = np.full(n, -np.inf), np.full(n, np.inf)
    fixed, integer = np.zeros(n, bool), np.zeros(n, bool)
    is_int: dict[int, bool] = {}  # by domain
    for j, v in enumerate(columns):
        low, high = v.bounds
        if low is not None:
            lb[j] = low
        if high is not None:
            ub[j] = high
        fixed[j] = v.fixed
        d = v.domain
        k = is_int.get(id(d))
        if k is None:
            k = is_int[id(d)] = v.is_integer()
        integer[j] = k
    return lb, ub, fixed, integer


def _n_vars(model) -> int:
    import pyomo.environ as pyo

    return sum(len(c) for c in model.component_objects(pyo.Var, descend_into=True))


def _repn_rows(data: list, columns: list, col: dict):
    """Constraint data written as Pyomo expressions, as coordinate arrays and bounds."""
    import pyomo.environ as pyo
    from pyomo.repn import generate_standard_repn

    rows, cols, vals = [], [], []
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


def _has_params(con) -> bool:
    """Whether a constraint holds mutable Params (its bounds or coefficients follow them)."""
    from pyomo.core.expr.visitor import identify_mutable_parameters

    exprs = [e for e in (con.body, con.lower, con.upper) if e is not None]
    return any(any(True for _ in identify_mutable_parameters(e)) for e in exprs)


def _signature(model) -> tuple[int, int, int]:
    """What a re-solve must find unchanged: active constraints, fixed and all variables."""
    import pyomo.environ as pyo

    active, fixed = attrgetter("active"), attrgetter("fixed")
    n_con = sum(
        sum(map(active, c.values()))
        for c in model.component_objects(pyo.Constraint, active=True, descend_into=True)
    )
    n_fixed = sum(
        sum(map(fixed, c.values())) for c in model.component_objects(pyo.Var, descend_into=True)
    )
    return n_con, n_fixed, _n_vars(model)
