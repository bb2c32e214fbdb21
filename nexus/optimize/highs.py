"""Hand a Pyomo model to HiGHS as arrays, and re-solve it by updating only what can change.

Pyomo's persistent HiGHS interface (``pyomo.contrib.solver``) walks every
constraint in Python when it first loads a model: at 8760 hourly steps that
hand-off took 11-14 s, more than the LP solve itself (benchmarks/RESULTS.md).
Pyomo's :class:`~pyomo.repn.plugins.standard_form.LinearStandardFormCompiler`
produces the same matrix in about 2.5 s, and highspy takes it as numpy arrays
at once.

A re-solve of the same model does not compile it again. Mutable Params enter
in three places only, which :func:`nexus.optimize.build_model` lists on the
model: the objective (prices), the bounds of some rows (demand scale,
targets: ``nexus_bound_rows``) and the coefficients of the cost-target rows
(prices: ``nexus_coefficient_rows``). Those are re-evaluated and changed in
HiGHS; an LP re-solve starts from the previous basis. A constraint added after
the build that holds mutable Params is re-evaluated whole at each re-solve;
any change of the model's structure (constraints added or removed, a
variable fixed or freed) compiles it again.
"""

from __future__ import annotations

import time

import numpy as np

from nexus.errors import SolverError

__all__ = ["ArrayHighs"]

_INF = 1e20  # HiGHS treats bounds beyond this as infinite


class ArrayHighs:
    """HiGHS fed with a Pyomo model's standard form.

    Parameters
    ----------
    time_limit_s : float, optional
        HiGHS time limit per solve [s].
    mip_rel_gap : float
        Relative MIP gap at which branch and bound stops [-].

    Attributes
    ----------
    timings : dict of str to float
        Seconds of the last solve: ``compile_s`` (Pyomo to arrays; on a
        re-solve, re-evaluating what mutable Params touch), ``handoff_s``
        (arrays to HiGHS), ``solve_s`` (HiGHS), ``load_s`` (solution back into
        the Pyomo variables); ``recompiled`` is 1.0 if the model was compiled.
    """

    def __init__(self, time_limit_s: float | None = None, mip_rel_gap: float = 1e-6) -> None:
        import highspy

        self._hs = highspy
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("mip_rel_gap", mip_rel_gap)
        if time_limit_s is not None:
            self.highs.setOptionValue("time_limit", float(time_limit_s))
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
        nexus.SolverError
            HiGHS returned no feasible solution.
        """
        t0 = time.perf_counter()
        updated = self._model is model and self._update(model)
        if not updated:
            self._compile(model)
        t1 = time.perf_counter()
        if not self._mip and self._basis is not None:
            self.highs.setBasis(self._basis)  # warm start
        t2 = time.perf_counter()
        self.highs.run()
        t3 = time.perf_counter()
        name = self.highs.modelStatusToString(self.highs.getModelStatus())
        if self.highs.getInfo().primal_solution_status != 2:  # 2: feasible
            raise SolverError(f"HiGHS found no feasible solution: {name}")
        values = self.highs.getSolution().col_value
        for var, x in zip(self._columns, values, strict=True):
            var.set_value(x, skip_validation=True)
        self._basis = None if self._mip else self.highs.getBasis()
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
        """Compile the whole model and pass it to HiGHS."""
        import gc

        from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

        hs = self._hs
        was = gc.isenabled()
        gc.disable()
        try:
            sf = LinearStandardFormCompiler().write(model, mixed_form=True)
        finally:
            if was:
                gc.enable()
        t0 = time.perf_counter()
        lp = hs.HighsLp()
        n_col, n_row = len(sf.columns), len(sf.rows)
        lp.num_col_, lp.num_row_ = n_col, n_row
        lp.col_cost_ = np.asarray(sf.c.toarray()).reshape(-1) if n_col else np.zeros(0)
        lp.offset_ = float(sf.c_offset[0]) if len(sf.c_offset) else 0.0
        lp.col_lower_ = np.array([-np.inf if v.lb is None else v.lb for v in sf.columns], float)
        lp.col_upper_ = np.array([np.inf if v.ub is None else v.ub for v in sf.columns], float)
        kind = np.array([r.bound_type for r in sf.rows], dtype=int)
        rhs = np.asarray(sf.rhs, dtype=float)
        lp.row_lower_ = np.where(kind <= 0, rhs, -np.inf)  # 0: ==, -1: >=
        lp.row_upper_ = np.where(kind >= 0, rhs, np.inf)  # 0: ==, 1: <=
        A = sf.A.tocsc()
        lp.a_matrix_.format_ = hs.MatrixFormat.kColwise
        lp.a_matrix_.start_ = A.indptr
        lp.a_matrix_.index_ = A.indices
        lp.a_matrix_.value_ = A.data
        integer = [v.is_integer() or v.is_binary() for v in sf.columns]
        self._mip = any(integer)
        if self._mip:
            lp.integrality_ = [
                hs.HighsVarType.kInteger if i else hs.HighsVarType.kContinuous for i in integer
            ]
        self.highs.clearModel()
        self.highs.passModel(lp)
        self._handoff_s = time.perf_counter() - t0
        self._model = model
        self._basis = None
        self._columns = sf.columns
        self._col = None  # column of each variable, made on the first re-solve
        self._signature = _signature(model)
        self._bound_rows, self._coefficient_rows = _parametric(model)
        wanted = {id(c) for c in self._bound_rows} | {id(c) for c in self._coefficient_rows}
        self._rows = {}
        for i, row in enumerate(sf.rows):
            if id(row.constraint) in wanted:
                self._rows.setdefault(id(row.constraint), []).append((i, row.bound_type))
        # constant of each bound row's body: compiled rhs = bound value - constant (read off
        # the compiled row, or from the body where the bound is too large to subtract)
        self._offset = {}
        for con in self._bound_rows:
            for i, k in self._rows.get(id(con), []):
                bound = _value(con.upper if k >= 0 else con.lower)
                if abs(bound) < 1e12:
                    self._offset[i] = bound - rhs[i]
                else:
                    self._offset[i] = _constant(con.body)

    # ------------------------------------------------------------ update
    def _update(self, model) -> bool:
        """Re-evaluate what mutable Params touch; False if the model must be compiled."""
        import pyomo.environ as pyo
        from pyomo.repn import generate_standard_repn

        self._handoff_s = 0.0
        if _signature(model) != self._signature:
            return False
        if self._col is None:
            self._col = {id(v): j for j, v in enumerate(self._columns)}
        (objective,) = list(model.component_data_objects(pyo.Objective, active=True))
        repn = generate_standard_repn(objective.expr, compute_values=True, quadratic=False)
        cost = np.zeros(len(self._columns))
        for var, coef in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            j = self._col.get(id(var))
            if j is None:
                return False  # a variable the compiled model does not have
            cost[j] += coef
        if repn.nonlinear_expr is not None:
            return False
        t0 = time.perf_counter()
        n = len(self._columns)
        self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        self.highs.changeObjectiveOffset(float(repn.constant))
        index, lower, upper = [], [], []
        for con in self._bound_rows:
            for i, k in self._rows.get(id(con), []):
                value = (_value(con.upper) if k >= 0 else _value(con.lower)) - self._offset[i]
                index.append(i)
                lower.append(value if k <= 0 else -np.inf)
                upper.append(value if k >= 0 else np.inf)
        for con in self._coefficient_rows:
            rows = self._rows.get(id(con), [])
            bounds = [_value(con.upper) if k >= 0 else _value(con.lower) for _, k in rows]
            if all(abs(b) >= _INF for b in bounds):
                for (i, k), b in zip(rows, bounds, strict=True):  # inactive: no coefficients
                    index.append(i)
                    lower.append(b if k <= 0 else -np.inf)
                    upper.append(b if k >= 0 else np.inf)
                continue
            body = generate_standard_repn(con.body, compute_values=True, quadratic=False)
            for var, coef in zip(body.linear_vars, body.linear_coefs, strict=True):
                j = self._col.get(id(var))
                if j is None:
                    return False
                for i, _ in rows:
                    self.highs.changeCoeff(i, j, coef)
            for (i, k), b in zip(rows, bounds, strict=True):
                index.append(i)
                lower.append(b - body.constant if k <= 0 else -np.inf)
                upper.append(b - body.constant if k >= 0 else np.inf)
        if index:
            self.highs.changeRowsBounds(
                len(index), np.array(index, dtype=np.int32), np.array(lower), np.array(upper)
            )
        self._handoff_s = time.perf_counter() - t0
        return True


def _constant(expr) -> float:
    """The constant term of a linear expression."""
    from pyomo.repn import generate_standard_repn

    return float(generate_standard_repn(expr, compute_values=True, quadratic=False).constant)


def _value(x) -> float:
    """A bound's value (None: infinite is handled by the caller's row kind)."""
    import pyomo.environ as pyo

    return float(pyo.value(x))


def _signature(model) -> tuple[int, int, int]:
    """What a re-solve must find unchanged: active constraints, fixed and free variables."""
    import pyomo.environ as pyo

    n_con = sum(1 for _ in model.component_data_objects(pyo.Constraint, active=True))
    n_var = n_fixed = 0
    for v in model.component_data_objects(pyo.Var):
        n_var += 1
        n_fixed += v.fixed
    return n_con, n_fixed, n_var


def _parametric(model) -> tuple[list, list]:
    """Constraint data whose bounds, or whose coefficients too, hold mutable Params.

    The model's own lists (``nexus_bound_rows``, ``nexus_coefficient_rows``);
    a constraint added after the build is checked for mutable Params and, if it
    holds any, re-evaluated whole at each re-solve. A model without the lists
    (not built by nexus) re-evaluates every constraint that holds mutable Params.
    """
    import pyomo.environ as pyo
    from pyomo.core.expr.visitor import identify_mutable_parameters

    def data(components):
        return [d for c in components for d in c.values() if d.active]

    own = getattr(model, "nexus_own_constraints", set())
    bound_rows = data(getattr(model, "nexus_bound_rows", []))
    coefficient_rows = data(getattr(model, "nexus_coefficient_rows", []))
    for component in model.component_objects(pyo.Constraint, active=True):
        if id(component) in own:
            continue
        for con in component.values():
            exprs = [e for e in (con.body, con.lower, con.upper) if e is not None]
            if con.active and any(any(True for _ in identify_mutable_parameters(e)) for e in exprs):
                coefficient_rows.append(con)
    return bound_rows, coefficient_rows
