"""ArrayHighs re-solves (nexus.optimize.highs): whatever changed in the Pyomo model, a
re-solve gives what a fresh solver gives on the same model."""

from __future__ import annotations

import numpy as np
import pytest

pyo = pytest.importorskip("pyomo.environ")

from nexus.optimize.highs import ArrayHighs  # noqa: E402
from nexus.optimize.linear import Columns  # noqa: E402


def assert_as_fresh(model, warm: ArrayHighs) -> None:
    """Re-solve with ``warm``; its objective and solution equal a fresh solver's."""
    warm.solve(model)
    got = [v.value for v in warm.columns]
    fresh = ArrayHighs()
    fresh.solve(model)
    assert warm.objective == pytest.approx(fresh.objective, rel=1e-9, abs=1e-9)
    assert [v.name for v in warm.columns] == [v.name for v in fresh.columns]
    np.testing.assert_allclose(got, [v.value for v in fresh.columns], atol=1e-9)


def two_limits(kind: str):
    """max x subject to ``at_most_5: x <= 5`` (active) and ``at_most_3: x <= 3`` (not), the
    constraints made by Columns (``kind="columns"``) or written in Pyomo (``"pyomo"``)."""
    m = pyo.ConcreteModel()
    X = Columns()
    x = X.var(m, "x", unit="", doc="the variable", ub=10.0)
    if kind == "columns":
        X.constraint(m, "at_most_5", (), x <= 5.0, doc="x at most 5")
        X.constraint(m, "at_most_3", (), x <= 3.0, doc="x at most 3")
    else:
        m.at_most_5 = pyo.Constraint(expr=m.x <= 5.0)
        m.at_most_3 = pyo.Constraint(expr=m.x <= 3.0)
    m.at_most_3.deactivate()
    m.obj = pyo.Objective(expr=-m.x)
    m.nexus_columns, m.nexus_rows = X.data, X.rows
    return m


@pytest.mark.unit
@pytest.mark.parametrize("kind", ["columns", "pyomo"])
def test_swapping_which_constraint_is_active_is_followed(kind):
    m = two_limits(kind)
    opt = ArrayHighs()
    opt.solve(m)
    assert m.x.value == pytest.approx(5.0)
    m.at_most_5.deactivate()
    m.at_most_3.activate()
    assert_as_fresh(m, opt)
    assert m.x.value == pytest.approx(3.0)
    assert opt.timings["recompiled"] == 1.0


@pytest.mark.unit
@pytest.mark.parametrize("kind", ["columns", "pyomo"])
def test_a_changed_constraint_expression_is_followed(kind):
    """``set_value`` gives a constraint another expression: compiled from Pyomo, even where
    nexus built the constraint from arrays."""
    m = two_limits(kind)
    opt = ArrayHighs()
    opt.solve(m)
    m.at_most_5.set_value(m.x <= 4.0)
    assert_as_fresh(m, opt)
    assert m.x.value == pytest.approx(4.0)
    assert opt.timings["recompiled"] == 1.0
    m.at_most_5.set_value(2.0 * m.x <= 5.0)  # a constraint compiled from Pyomo, changed again
    assert_as_fresh(m, opt)
    assert m.x.value == pytest.approx(2.5)


@pytest.mark.unit
def test_an_unchanged_model_is_updated_in_place():
    m = two_limits("columns")
    m.p = pyo.Param(mutable=True, initialize=1.0)
    m.obj.set_value(-m.p * m.x)
    opt = ArrayHighs()
    opt.solve(m)
    m.p.set_value(-1.0)  # now min x: x at its lower bound, which is none
    m.x.setlb(-2.0)
    assert_as_fresh(m, opt)
    assert m.x.value == pytest.approx(-2.0)
    assert opt.timings["recompiled"] == 0.0


def bounded():
    """max 3 v0 + 2 v1 + v2 with each v in [0, 10] and v0 + v1 + v2 <= 30 (built by Columns;
    one optimum, whatever the bounds)."""
    m = pyo.ConcreteModel()
    m.I = pyo.Set(initialize=range(3), ordered=True)
    X = Columns()
    v = X.var(m, "v", (m.I,), unit="", doc="the variables", lb=0.0, ub=10.0)
    X.constraint(m, "total", (), v.sum() <= 30.0, doc="at most 30 in all")
    m.obj = pyo.Objective(expr=X.expression(-(v * np.array([3.0, 2.0, 1.0])).sum()))
    m.nexus_columns, m.nexus_rows = X.data, X.rows
    return m


@pytest.mark.unit
def test_a_bound_changed_with_setub_reaches_highs_in_place():
    m = bounded()
    opt = ArrayHighs()
    opt.solve(m)
    m.v[1].setub(4.0)
    assert_as_fresh(m, opt)
    assert m.v[1].value == pytest.approx(4.0)
    assert opt.timings["recompiled"] == 0.0
    m.v[1].setub(12.0)  # and back, past where it was
    m.v[2].setlb(-1.0)
    assert_as_fresh(m, opt)
    assert [m.v[i].value for i in range(3)] == pytest.approx([10.0, 12.0, 8.0])  # 30 in all
    assert opt.timings["recompiled"] == 0.0


@pytest.mark.unit
def test_a_bound_that_is_a_param_is_followed():
    m = bounded()
    m.cap = pyo.Param(mutable=True, initialize=7.0)
    m.v[0].setub(m.cap)
    opt = ArrayHighs()
    opt.solve(m)
    assert m.v[0].value == pytest.approx(7.0)
    m.cap.set_value(2.0)
    assert_as_fresh(m, opt)
    assert m.v[0].value == pytest.approx(2.0)
    assert opt.timings["recompiled"] == 0.0


@pytest.mark.unit
def test_a_variable_unfixed_and_another_fixed_recompiles():
    m = bounded()
    m.v[0].fix(1.0)
    opt = ArrayHighs()
    opt.solve(m)
    m.v[0].unfix()
    m.v[2].fix(2.0)  # as many fixed variables as before
    assert_as_fresh(m, opt)
    assert (m.v[0].value, m.v[2].value) == pytest.approx((10.0, 2.0))
    assert opt.timings["recompiled"] == 1.0
    m.v[2].fix(3.0)  # fixed at another value
    assert_as_fresh(m, opt)
    assert m.v[2].value == pytest.approx(3.0)


@pytest.mark.unit
def test_a_new_domain_recompiles():
    m = bounded()
    m.v[0].setub(2.5)
    m.v[0].domain = pyo.Integers
    opt = ArrayHighs()
    opt.solve(m)
    assert m.v[0].value == pytest.approx(2.0)
    m.v[0].domain = pyo.Reals
    assert_as_fresh(m, opt)
    assert m.v[0].value == pytest.approx(2.5)
    assert opt.timings["recompiled"] == 1.0


@pytest.mark.unit
def test_a_bound_on_an_integer_column_bounds_the_branching():
    m = bounded()
    m.v[0].setub(2.5)
    m.v[0].domain = pyo.Integers
    opt = ArrayHighs()
    opt.solve(m)
    m.v[0].setub(1.5)
    assert_as_fresh(m, opt)
    assert m.v[0].value == pytest.approx(1.0)
    assert opt.timings["recompiled"] == 0.0


@pytest.mark.unit
def test_a_constraint_deleted_and_another_added_recompiles():
    m = bounded()
    m.mine = pyo.Constraint(expr=m.v[0] <= 4.0)
    opt = ArrayHighs()
    opt.solve(m)
    m.del_component(m.mine)
    m.mine = pyo.Constraint(expr=m.v[1] <= 3.0)  # as many rows, of another name's data
    assert_as_fresh(m, opt)
    assert (m.v[0].value, m.v[1].value) == pytest.approx((10.0, 3.0))
    assert opt.timings["recompiled"] == 1.0


@pytest.mark.unit
def test_a_row_deleted_from_an_indexed_constraint_and_another_added_recompiles():
    m = bounded()
    m.mine = pyo.Constraint(pyo.Any)
    m.mine[0] = m.v[0] <= 4.0
    m.mine[1] = m.v[1] <= 5.0
    opt = ArrayHighs()
    opt.solve(m)
    del m.mine[0]
    m.mine[2] = m.v[2] <= 1.0
    assert_as_fresh(m, opt)
    assert [m.v[i].value for i in range(3)] == pytest.approx([10.0, 5.0, 1.0])
    assert opt.timings["recompiled"] == 1.0


@pytest.mark.unit
def test_a_param_that_makes_a_coefficient_zero_in_a_researchers_row():
    """Pyomo's standard form leaves out a term whose coefficient a Param makes zero; the
    re-solve must still remove it from HiGHS's row."""
    m = bounded()
    m.p = pyo.Param(mutable=True, initialize=1.0)
    m.mine = pyo.Constraint(expr=m.p * m.v[0] + m.v[1] <= 6.0)
    opt = ArrayHighs()
    opt.solve(m)
    m.p.set_value(0.0)
    assert_as_fresh(m, opt)
    assert (m.v[0].value, m.v[1].value) == pytest.approx((10.0, 6.0))
    assert opt.timings["recompiled"] == 0.0


@pytest.mark.unit
def test_a_named_expression_given_another_expression_is_followed():
    m = bounded()
    m.e = pyo.Expression(expr=m.v[0])
    m.mine = pyo.Constraint(expr=m.e <= 4.0)
    opt = ArrayHighs()
    opt.solve(m)
    m.e.set_value(m.v[0] + m.v[1])
    assert_as_fresh(m, opt)
    assert m.v[0].value + m.v[1].value == pytest.approx(4.0)


@pytest.mark.unit
def test_a_solve_that_failed_half_way_leaves_nothing_stale():
    """A compile that raises (two active objectives) after the constraints changed: once the
    model is mended, the re-solve compiles it in full."""
    from nexus.errors import SolverError

    m = two_limits("pyomo")
    opt = ArrayHighs()
    opt.solve(m)
    m.at_most_5.deactivate()
    m.at_most_3.activate()
    m.other = pyo.Objective(expr=m.x)
    with pytest.raises(SolverError, match="2 active objectives"):
        opt.solve(m)
    m.other.deactivate()
    assert_as_fresh(m, opt)
    assert m.x.value == pytest.approx(3.0)
