"""Hand a Pyomo model to HiGHS as arrays.

Pyomo's persistent HiGHS interface (``pyomo.contrib.solver``) walks every
constraint in Python when it first loads a model: at 8760 hourly steps that
hand-off took 11-14 s, more than the LP solve itself (benchmarks/RESULTS.md).
Pyomo's :class:`~pyomo.repn.plugins.standard_form.LinearStandardFormCompiler`
produces the same matrix in about 2.5 s, and highspy takes it as numpy arrays
at once. Each solve compiles the model again, so mutable Params (prices,
targets, demand scale) are always current; an LP re-solve of the same shape
starts from the previous optimal basis.
"""

from __future__ import annotations

import time

import numpy as np

from nexus.errors import SolverError

__all__ = ["ArrayHighs"]


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
        Seconds of the last solve: ``compile_s`` (Pyomo to arrays),
        ``handoff_s`` (arrays to HiGHS), ``solve_s`` (HiGHS), ``load_s``
        (solution back into the Pyomo variables).
    """

    def __init__(self, time_limit_s: float | None = None, mip_rel_gap: float = 1e-6) -> None:
        import highspy

        self._hs = highspy
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("mip_rel_gap", mip_rel_gap)
        if time_limit_s is not None:
            self.highs.setOptionValue("time_limit", float(time_limit_s))
        self._basis = None
        self._shape: tuple[int, int] | None = None
        self.timings: dict[str, float] = {}

    def solve(self, model) -> str:
        """Solve the model's single active (minimizing) objective; load the solution.

        Returns
        -------
        str
            HiGHS's model status (``"kOptimal"``, ``"kTimeLimit"``...).

        Raises
        ------
        nexus.SolverError
            HiGHS returned no feasible solution.
        """
        import gc

        from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

        hs = self._hs
        t0 = time.perf_counter()
        was = gc.isenabled()
        gc.disable()
        try:
            sf = LinearStandardFormCompiler().write(model, mixed_form=True)
        finally:
            if was:
                gc.enable()
        t1 = time.perf_counter()
        lp = hs.HighsLp()
        n_col, n_row = len(sf.columns), len(sf.rows)
        lp.num_col_, lp.num_row_ = n_col, n_row
        lp.col_cost_ = np.asarray(sf.c.toarray()).reshape(-1) if n_col else np.zeros(0)
        lp.offset_ = float(sf.c_offset[0]) if len(sf.c_offset) else 0.0
        lower = np.array([-np.inf if v.lb is None else v.lb for v in sf.columns], dtype=float)
        upper = np.array([np.inf if v.ub is None else v.ub for v in sf.columns], dtype=float)
        lp.col_lower_, lp.col_upper_ = lower, upper
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
        mip = any(integer)
        if mip:
            lp.integrality_ = [
                hs.HighsVarType.kInteger if i else hs.HighsVarType.kContinuous for i in integer
            ]
        self.highs.clearModel()
        self.highs.passModel(lp)
        if not mip and self._basis is not None and self._shape == (n_col, n_row):
            self.highs.setBasis(self._basis)  # warm start a re-solve of the same LP shape
        t2 = time.perf_counter()
        self.highs.run()
        t3 = time.perf_counter()
        status = self.highs.getModelStatus()
        name = self.highs.modelStatusToString(status)
        if self.highs.getInfo().primal_solution_status != 2:  # 2: feasible
            raise SolverError(f"HiGHS found no feasible solution: {name}")
        values = self.highs.getSolution().col_value
        for var, x in zip(sf.columns, values, strict=True):
            var.set_value(x, skip_validation=True)
        if not mip:
            self._basis, self._shape = self.highs.getBasis(), (n_col, n_row)
        self.timings = {
            "compile_s": t1 - t0,
            "handoff_s": t2 - t1,
            "solve_s": t3 - t2,
            "load_s": time.perf_counter() - t3,
        }
        return name
