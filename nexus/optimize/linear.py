"""Linear expressions as arrays: the model is written once, then given to Pyomo and to HiGHS.

:class:`Affine` holds a block of linear expressions over the model's columns
(its Pyomo variables, numbered in :class:`Columns`) as coordinate arrays, the
way linopy and PyPSA write energy-system models: one numpy operation builds
the storage balance of every hour. Comparing Affines (``soc <= capacity``)
makes a :class:`Relation`; then

- :meth:`Columns.constraint` adds the Pyomo ``Constraint`` researchers see and
  change (its rows are ``LinearExpression`` objects made from the arrays), and
  records the arrays so that :mod:`nexus.optimize.highs` hands them to HiGHS
  without walking the Pyomo expressions again (Pyomo's standard-form compiler
  takes 2.4 s on a year of hours, the arrays about 0.3 s);
- :meth:`Columns.expression` makes a scalar Pyomo expression of an Affine (the
  objectives).

Coefficients may be multiplied by a mutable Pyomo Param (a price, the demand
scale, a target) and carry a unit. Units reach Pyomo only when the model is
built with ``units=True`` (loading pint's unit registry takes about 2.3 s, so
it is a check run by the test suite, not part of every build).

The array layer as a whole (this module, :mod:`nexus.optimize.highs`,
:mod:`nexus.optimize.branch`), its invariants and a worked example:
``docs/optimizer_arrays.md``.
"""

from __future__ import annotations

import gc
import itertools
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Sequence

    import pyomo.environ as pyo
    from numpy.typing import ArrayLike
    from pyomo.core.base.block import BlockData
    from pyomo.core.base.var import VarData
    from pyomo.core.expr.numeric_expr import LinearExpression
    from pyomo.core.expr.numvalue import NumericValue
    from pyomo.core.expr.relational_expr import RelationalExpression

    from nexus._typing import FloatArray, Floats, IntArray, Key

__all__ = ["Affine", "Columns", "Relation", "gc_paused", "stack", "summed"]

#: The senses of a :class:`Relation` (``expr (sense) 0``).
_SENSES = ("<=", ">=", "==")


class Ref:
    """A mutable Pyomo Param, hashable by identity (Pyomo's ``==`` makes an expression)."""

    __slots__ = ("param",)

    def __init__(self, param: pyo.Param) -> None:
        self.param = param

    def __hash__(self) -> int:
        return id(self.param)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and other.param is self.param

    @property
    def value(self) -> float:
        return float(self.param.value)


#: A coefficient group: a mutable Param that multiplies it (or None) and its unit
#: (a product of Pyomo unit names such as ``"kWh/m**3"``; "" is dimensionless).
Group = tuple[Ref | None, str]
_PLAIN: Group = (None, "")


@dataclass(eq=False)
class Affine:
    """Linear expressions ``sum_j a_ij x_j + c_i`` for every row i of an array ``shape``.

    Arithmetic (``+``, ``-``, ``*`` by numbers or arrays) broadcasts as numpy
    does; ``<=``, ``>=`` and ``==`` make a :class:`Relation`, so an Affine is
    not hashable and has no equality of its own.

    Attributes
    ----------
    shape : tuple of int
        Shape of the block of rows (``()`` for one expression).
    row, col, val, grp : numpy.ndarray
        One entry per term: flat row, column, coefficient, coefficient group.
    groups : list of Group
        (Param or None, unit) of each group number.
    const : dict of Group to numpy.ndarray
        Constant of each row (flattened), by group.
    """

    shape: tuple[int, ...]
    row: IntArray
    col: IntArray
    val: FloatArray
    grp: IntArray
    groups: list[Group] = field(default_factory=lambda: [_PLAIN])
    const: dict[Group, FloatArray] = field(default_factory=dict)

    # -------------------------------------------------------------- making
    @classmethod
    def of_columns(cls, cols: ArrayLike) -> Affine:
        """One variable per row, coefficient 1."""
        cols = np.asarray(cols, dtype=np.int64)
        n = cols.size
        return cls(cols.shape, np.arange(n), cols.ravel(), np.ones(n), np.zeros(n, dtype=np.int64))

    @classmethod
    def constant(cls, value: ArrayLike, unit: str = "", param: pyo.Param | None = None) -> Affine:
        """A constant block (``param * value`` if a Param is given) [unit]."""
        value = np.asarray(value, dtype=float)
        empty = np.zeros(0, dtype=np.int64)
        ref = None if param is None else Ref(param)
        return cls(
            value.shape, empty, empty, np.zeros(0), empty, [_PLAIN], {(ref, unit): value.ravel()}
        )

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    # ------------------------------------------------------------ reshaping
    def gather(self, shape: tuple[int, ...], source: ArrayLike) -> Affine:
        """A block of ``shape`` whose row i is this block's row ``source[i]``."""
        source = np.asarray(source, dtype=np.int64).ravel()
        order = np.argsort(self.row, kind="stable")
        counts = np.bincount(self.row, minlength=self.size)
        start = np.concatenate(([0], np.cumsum(counts)))
        n_new = counts[source]
        new_row = np.repeat(np.arange(source.size), n_new)
        first = np.repeat(start[source] - np.cumsum(n_new) + n_new, n_new)
        take = order[first + np.arange(new_row.size)]
        const = {g: v[source] for g, v in self.const.items()}
        col, val, grp = self.col[take], self.val[take], self.grp[take]
        return Affine(tuple(shape), new_row, col, val, grp, list(self.groups), const)

    def broadcast_to(self, shape: tuple[int, ...]) -> Affine:
        if tuple(shape) == self.shape:
            return self
        index = np.arange(self.size).reshape(self.shape)
        return self.gather(shape, np.broadcast_to(index, shape))

    def reshape(self, shape: tuple[int, ...]) -> Affine:
        return Affine(tuple(shape), self.row, self.col, self.val, self.grp, self.groups, self.const)

    def take(self, index: IntArray, axis: int = -1) -> Affine:
        """Rows picked along an axis (e.g. the step before each step)."""
        rows = np.take(np.arange(self.size).reshape(self.shape), index, axis=axis)
        return self.gather(rows.shape, rows)

    def __getitem__(self, key: Key) -> Affine:
        rows = np.arange(self.size).reshape(self.shape)[key]
        return self.gather(np.shape(rows), rows)

    def sum(self, axis: int | None = None) -> Affine:
        """Sum over an axis (all rows into one if None)."""
        if axis is None:
            shape: tuple[int, ...] = ()
            new = np.zeros(self.size, dtype=np.int64)
        else:
            axis = axis % len(self.shape)
            shape = self.shape[:axis] + self.shape[axis + 1 :]
            idx = np.unravel_index(np.arange(self.size), self.shape)
            keep = [i for k, i in enumerate(idx) if k != axis]
            new = np.ravel_multi_index(keep, shape) if shape else np.zeros(self.size, np.int64)
        n = int(np.prod(shape, dtype=np.int64))
        # cast: numpy's stub types bincount as integers, also with (float) weights
        const = {
            g: cast("FloatArray", np.bincount(new, weights=v, minlength=n))
            for g, v in self.const.items()
        }
        return Affine(shape, new[self.row], self.col, self.val, self.grp, self.groups, const)

    # ----------------------------------------------------------- arithmetic
    def _merge(self, other: Affine) -> Affine:
        shape = np.broadcast_shapes(self.shape, other.shape)
        a, b = self.broadcast_to(shape), other.broadcast_to(shape)
        groups = list(a.groups)
        remap = np.array([_index(groups, g) for g in b.groups], dtype=np.int64)
        const = dict(a.const)
        for g, v in b.const.items():
            const[g] = const[g] + v if g in const else v
        return Affine(
            shape,
            np.concatenate((a.row, b.row)),
            np.concatenate((a.col, b.col)),
            np.concatenate((a.val, b.val)),
            np.concatenate((a.grp, remap[b.grp] if b.grp.size else b.grp)),
            groups,
            const,
        )

    def __add__(self, other: Affine | float) -> Affine:
        if not isinstance(other, Affine):
            other = Affine.constant(other)
        return self._merge(other)

    __radd__ = __add__

    def __neg__(self) -> Affine:
        return self * -1.0

    def __sub__(self, other: Affine | float) -> Affine:
        return self + (-other if isinstance(other, Affine) else -np.asarray(other, float))

    def __rsub__(self, other: float) -> Affine:
        return (-self) + other

    def __mul__(self, factor: ArrayLike) -> Affine:
        """Coefficients times a number or an array (broadcast over the rows)."""
        factor = np.asarray(factor, dtype=float)
        shape = np.broadcast_shapes(self.shape, factor.shape)
        a = self.broadcast_to(shape)
        f = np.broadcast_to(factor, shape).ravel()
        const = {g: v * f for g, v in a.const.items()}
        return Affine(shape, a.row, a.col, a.val * f[a.row], a.grp, a.groups, const)

    __rmul__ = __mul__

    def scaled(self, param: pyo.Param | None = None, unit: str = "") -> Affine:
        """Every coefficient and constant times a mutable Param and/or a unit."""

        ref = None if param is None else Ref(param)

        def regroup(g: Group) -> Group:
            if ref is not None and g[0] is not None:
                raise ValueError("a coefficient can carry only one Param")
            return (ref if ref is not None else g[0], _times(g[1], unit))

        groups = [regroup(g) for g in self.groups]
        const = {regroup(g): v for g, v in self.const.items()}
        return Affine(self.shape, self.row, self.col, self.val, self.grp, groups, const)

    # ------------------------------------------------------------ relations
    # numpy defers to these operators: ``array <= affine`` is ``affine >= array``
    __array_ufunc__ = None
    __hash__ = None  # type: ignore[assignment]  # ``==`` makes a Relation

    def __le__(self, other: Affine | float) -> Relation:
        return Relation(self - other, "<=")

    def __ge__(self, other: Affine | float) -> Relation:
        return Relation(self - other, ">=")

    def __eq__(self, other: Affine | float) -> Relation:  # type: ignore[override]
        return Relation(self - other, "==")

    # ----------------------------------------------------------- evaluating
    def coo(self) -> tuple[IntArray, IntArray, FloatArray]:
        """Entries (row, column, value) sorted by row then column, duplicates summed,
        Params at their current values.

        The entries do not depend on the Params' values (a coefficient a Param
        makes zero stays an explicit zero), so a re-solve can compare values.
        """
        val = self.val * self.factors()[self.grp] if self.val.size else self.val
        return summed(self.row, self.col, val)

    def value(self, x: FloatArray) -> FloatArray:
        """The rows' values at column values ``x`` (Params at their current values)."""
        terms = self.val * self.factors()[self.grp] * x[self.col] if self.val.size else self.val
        total = np.bincount(self.row, weights=terms, minlength=self.size)
        return (total + self.constant_value()).reshape(self.shape)

    def factors(self) -> FloatArray:
        """Current value of each group's Param (1 without one)."""
        return np.array([1.0 if p is None else p.value for p, _ in self.groups])

    def constant_value(self) -> FloatArray:
        """Each row's constant, Params at their current values."""
        out = np.zeros(self.size)
        for (p, _), v in self.const.items():
            out += (1.0 if p is None else p.value) * v
        return out

    def has_params(self) -> tuple[bool, bool]:
        """Whether Params enter (the coefficients, the constants)."""
        in_coef = any(p is not None for p, _ in self.groups)
        return in_coef, any(p is not None for p, _ in self.const)


@dataclass(frozen=True, eq=False)
class Relation:
    """Rows ``expr (sense) 0``: what ``lhs <= rhs``, ``lhs >= rhs`` or ``lhs == rhs`` make.

    Either side may be an :class:`Affine`, a number or an array; the sides
    broadcast as ``lhs - rhs`` does. :meth:`Columns.constraint` adds one to a
    Pyomo block.

    Attributes
    ----------
    expr : Affine
        ``lhs - rhs``.
    sense : {"<=", ">=", "=="}
        How ``expr`` compares with 0.
    """

    expr: Affine
    sense: str

    def __post_init__(self) -> None:
        if self.sense not in _SENSES:
            raise ValueError(f"sense = {self.sense!r}; expected one of {_SENSES}")

    @property
    def shape(self) -> tuple[int, ...]:
        return self.expr.shape

    def __bool__(self) -> bool:
        raise TypeError(
            "a Relation has no truth value: hand it to Columns.constraint (a chained "
            "comparison such as 0 <= x <= 1 is two relations)"
        )


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: with a million Pyomo objects alive, its
    passes, set off by the many small objects a build or compile makes, cost more than
    the work itself (a plain Pyomo build at 8760 h: 1.85 s with it, 0.69 s without)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def summed(row: IntArray, col: IntArray, val: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Coordinate entries sorted by (row, col) with duplicates summed (numpy only: importing
    scipy after Pyomo makes Pyomo import scipy.stats too, about 1.4 s)."""
    order = np.lexsort((col, row))
    r, c, v = row[order], col[order], val[order]
    new = np.ones(r.size, bool)
    new[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    # cast: numpy's stub types bincount as integers, also with (float) weights
    total = cast("FloatArray", np.bincount(np.cumsum(new) - 1, weights=v, minlength=int(new.sum())))
    return r[new], c[new], total


def _index(groups: list[Group], g: Group) -> int:
    for i, h in enumerate(groups):
        if h == g:
            return i
    groups.append(g)
    return len(groups) - 1


def _times(a: str, b: str) -> str:
    if not a or not b:
        return a or b
    return f"({a})*({b})"


_UNIT_NAME = re.compile(r"[A-Za-z_]\w*")


def pyomo_unit(text: str) -> NumericValue:
    """A Pyomo units expression from a product of unit names (``"kWh/m**3"``)."""
    import pyomo.environ as pyo

    names = {n: getattr(pyo.units, n) for n in _UNIT_NAME.findall(text)}
    return eval(text, {"__builtins__": {}}, names)  # nexus's own unit strings, not user input


class Columns:
    """The model's variables, numbered as columns, and the constraints made from arrays.

    Parameters
    ----------
    units : bool
        Give Pyomo variables, Params and coefficients their units.

    Attributes
    ----------
    data : list
        Pyomo variable data by column.
    rows : list of (Constraint, Relation, list)
        Each constraint built from arrays, its rows as arrays, and the Pyomo
        relational expression built for each row (a row that holds another
        was changed in Pyomo, and is compiled from Pyomo).
    """

    def __init__(self, units: bool = False) -> None:
        import pyomo.environ as pyo

        if units:
            import importlib.util

            if importlib.util.find_spec("pint") is None:
                from nexus.errors import ParameterError

                raise ParameterError(
                    "units=True needs pint, which Pyomo's units are built on: "
                    "pip install 'nexus[units]' (or pip install pint)"
                )
        self.pyo = pyo
        self.units = units
        self.data: list[VarData] = []
        self.rows: list[tuple[pyo.Constraint, Relation, list[RelationalExpression]]] = []

    def unit(self, text: str) -> NumericValue | None:
        return pyomo_unit(text) if self.units and text else None

    def var(
        self,
        block: BlockData,
        name: str,
        sets: Sequence[Collection[object]] = (),
        *,
        unit: str,
        doc: str,
        domain: pyo.Set | None = None,
        lb: Floats | None = None,
        ub: Floats | None = None,
    ) -> Affine:
        """Add a Pyomo Var over ``sets`` to a block; its columns as an :class:`Affine`.

        ``lb``/``ub`` may be arrays over the sets (one bound per element).
        """
        pyo = self.pyo
        scalar = {k: v for k, v in (("lb", lb), ("ub", ub)) if v is None or np.ndim(v) == 0}
        bounds = (
            None if "lb" not in scalar or lb is None else float(lb),
            None if "ub" not in scalar or ub is None else float(ub),
        )
        var = pyo.Var(
            *sets,
            domain=domain or pyo.Reals,
            bounds=bounds,
            units=self.unit(unit),
            doc=f"{doc} [{unit or '1'}]",
        )
        block.add_component(name, var)
        data = list(var.values()) if sets else [var]
        shape = tuple(len(s) for s in sets)
        for side, value in (("lb", lb), ("ub", ub)):
            if value is not None and side not in scalar:
                setter = "setlb" if side == "lb" else "setub"
                for v, x in zip(data, np.ravel(value), strict=True):
                    getattr(v, setter)(float(x))
        start = len(self.data)
        self.data.extend(data)
        return Affine.of_columns(np.arange(start, start + len(data)).reshape(shape))

    def constraint(
        self,
        block: BlockData,
        name: str,
        sets: Sequence[Collection[object]],
        relation: Relation,
        *,
        doc: str,
    ) -> pyo.Constraint:
        """Add a :class:`Relation` over ``sets`` to a block as a Pyomo Constraint.

        Each row becomes a Pyomo relational expression of a ``LinearExpression``
        (terms grouped by Param and unit); the arrays are recorded in
        ``rows`` for :class:`nexus.optimize.highs.ArrayHighs`.

        Parameters
        ----------
        block : pyomo.core.Block
            Where the constraint is added.
        name : str
            Its name in the block.
        sets : sequence of pyomo.core.Set or of sequences
            Its index, one set per axis of the relation (``()`` for one row);
            rows are matched to the sets' elements in C order.
        relation : Relation
            The rows, e.g. ``soc <= capacity`` [units of the sides].
        doc : str
            What the constraint says.

        Returns
        -------
        pyomo.core.Constraint
            The constraint added.
        """
        from pyomo.core.expr.relational_expr import EqualityExpression, InequalityExpression

        expr = relation.expr
        if expr.size != int(np.prod([len(s) for s in sets], dtype=np.int64)):
            raise ValueError(f"{name}: {expr.shape} rows for sets of {[len(s) for s in sets]}")
        bounds = [0.0 - c for c in self._constants(expr)]  # 0.0 - c: no bound of -0.0
        rows = zip(self._bodies(expr), bounds, strict=True)
        if relation.sense == "==":
            built = [EqualityExpression((body, bound)) for body, bound in rows]
        elif relation.sense == "<=":
            built = [InequalityExpression((body, bound), False) for body, bound in rows]
        else:
            built = [InequalityExpression((bound, body), False) for body, bound in rows]
        if sets:
            keys = list(itertools.product(*sets)) if len(sets) > 1 else list(sets[0])
            table = dict(zip(keys, built, strict=True))

            def rule(_block: BlockData, *index: object) -> RelationalExpression:
                return table[index if len(index) > 1 else index[0]]

            con = self.pyo.Constraint(*sets, rule=rule, doc=doc)
        else:
            con = self.pyo.Constraint(expr=built[0], doc=doc)
        block.add_component(name, con)
        self.rows.append((con, relation, built))
        return con

    def expression(self, expr: Affine) -> NumericValue | float:
        """A scalar Pyomo expression of a one-row :class:`Affine`, grouped by Param and unit."""
        from pyomo.core.expr.numeric_expr import LinearExpression

        if expr.shape != ():
            raise ValueError("expression() takes a single row")
        total = 0.0
        for g, f in enumerate(self._coefficients(expr)):
            pick = expr.grp == g
            if not pick.any():
                continue
            body = LinearExpression(
                linear_coefs=expr.val[pick].tolist(),
                linear_vars=[self.data[j] for j in expr.col[pick].tolist()],
            )
            total = total + (body if f is None else f * body)
        for c in self._constants(expr):
            total = total + c
        return total

    # ----------------------------------------------------------- to Pyomo
    def _coefficients(self, expr: Affine) -> list[NumericValue | None]:
        """Each group's Pyomo factor (Param times unit; None when plain)."""
        out: list[NumericValue | None] = []
        for p, u in expr.groups:
            unit = self.unit(u)
            if p is None and unit is None:
                out.append(None)
            elif p is None:
                out.append(unit)
            else:
                out.append(p.param if unit is None else p.param * unit)
        return out

    def _bodies(self, expr: Affine) -> list[LinearExpression]:
        """One ``LinearExpression`` per row (constants left out)."""
        from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

        order = np.argsort(expr.row, kind="stable")
        counts = np.bincount(expr.row, minlength=expr.size)
        bounds = np.concatenate(([0], np.cumsum(counts))).tolist()
        factor = self._coefficients(expr)
        data = self.data
        cols = expr.col[order].tolist()
        vals = expr.val[order].tolist()
        grps = expr.grp[order].tolist()
        # LinearExpression takes variables (coefficient 1) and monomials (c, x) as arguments
        terms = [
            data[j]
            if v == 1.0 and factor[g] is None
            else MonomialTermExpression((v if factor[g] is None else v * factor[g], data[j]))
            for j, v, g in zip(cols, vals, grps, strict=True)
        ]
        return [LinearExpression(terms[bounds[i] : bounds[i + 1]]) for i in range(expr.size)]

    def _constants(self, expr: Affine) -> list[NumericValue | float]:
        """Each row's constant: a float, or a Pyomo expression where Params or units enter."""
        plain = {g: v for g, v in expr.const.items() if g == _PLAIN}
        if len(plain) == len(expr.const) and not self.units:
            total = sum(plain.values(), np.zeros(expr.size))
            return total.tolist()
        out: list[NumericValue | float] = [0.0] * expr.size
        for (p, u), v in expr.const.items():
            if not v.any():
                continue
            unit = self.unit(u)
            for i, x in enumerate(v.tolist()):
                term = x if p is None else p.param * x
                out[i] = out[i] + (term if unit is None else term * unit)
        return out


def stack(blocks: list[Affine]) -> Affine:
    """Blocks of one shape stacked along a new first axis."""
    if not blocks:
        raise ValueError("stack() needs at least one block")
    shape = blocks[0].shape
    for b in blocks[1:]:
        if b.shape != shape:
            raise ValueError(f"stack(): shapes {shape} and {b.shape} differ")
    k, n = len(blocks), blocks[0].size
    placed = [_placed(b, (k, *shape), i * n) for i, b in enumerate(blocks)]
    return sum(placed[1:], placed[0])


def _placed(block: Affine, shape: tuple[int, ...], first: int) -> Affine:
    """A block as the rows from ``first`` on of a larger block of ``shape`` (others empty)."""
    n = int(np.prod(shape, dtype=np.int64))
    const = {
        g: np.concatenate((np.zeros(first), v, np.zeros(n - first - v.size)))
        for g, v in block.const.items()
    }
    row = block.row + first
    return Affine(shape, row, block.col, block.val, block.grp, block.groups, const)
