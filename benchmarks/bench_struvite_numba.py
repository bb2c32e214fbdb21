"""Benchmark: would numba make the struvite Newton faster? Its pieces, compiled and not.

A measurement made before compiling the struvite equilibrium (issue 18): the inputs of
the first species evaluation of the reaction that covers all 10,000 waters of
``bench_struvite.py`` (captured from a real ``equilibrate`` call), then the same
computation timed as nexus does it (batched numpy, ``speciation._gammas`` and
``speciation._mm``) and as a numba kernel would (one water at a time, in the same
formulas and order):

- the species evaluation: ln gamma of the classes, ln m = _LNM_MATRIX @ [...], the
  clip at 700 and exp (the first half of ``speciation._evaluate``), compiled with the
  product dense, with its nonzeros only, and with its nonzeros only but the exp left to
  numpy;
- exp alone over the 33 x 10,000 ln m: numpy's against numba's loop of ``math.exp``;
- the constant products of the Newton step (_LNM_MATRIX, the Jacobian's, the gamma
  derivatives', the sums): ``_mm`` (BLAS, blocks) against a compiled loop over the
  nonzeros, vectorized over the waters.

Printed: the median of ``--reps`` calls of each, and the largest deviation from numpy.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_struvite_numba.py [--reps 30]``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_struvite import make_waters

from nexus.units.struvite import equilibrium as eq
from nexus.units.struvite import speciation as sp

L = np.ascontiguousarray(sp._LNM_MATRIX)
NS, NK = L.shape
DH_Z2, DH_A0, DH_B0 = (np.ascontiguousarray(a.ravel()) for a in (sp._DH_Z2, sp._DH_A0, sp._DH_B0))
DAVIES, DAVIES_Z2 = np.array(sp._DAVIES), np.ascontiguousarray(sp._DAVIES_Z2.ravel())
N_DH, NEUTRAL, LN10 = sp._N_DH, sp._NEUTRAL, sp._LN10


def csr(P: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nonzeros of P row by row, in column order: (row pointers, columns, values)."""
    nz = [np.flatnonzero(r) for r in P]
    ptr = np.r_[0, np.cumsum([len(c) for c in nz])].astype(np.int64)
    return (
        ptr,
        np.concatenate(nz).astype(np.int64),
        np.concatenate([P[j, c] for j, c in enumerate(nz)]),
    )


LP, LI, LV = csr(L)


@numba.njit(error_model="numpy")
def _species_nb(tterms, x, A, B, sparse, do_exp, out):  # pragma: no cover
    """ln gamma (as speciation._gammas) and m (or ln m) per water, into out (NS, n)."""
    v = np.empty(NK)
    for w in range(x.shape[1]):
        mu = math.exp(x[4, w])
        sI = math.sqrt(mu)
        for k in range(6):
            v[k] = tterms[k, w]
        for k in range(4):
            v[6 + k] = x[k, w]
        for c in range(N_DH):
            den = DH_A0[c] * (B[w] * sI) + 1.0
            v[10 + c] = (-LN10 * DH_Z2[c]) * (A[w] * sI) / den + (LN10 * DH_B0[c]) * mu
        davies = sI / (1.0 + sI)
        for i in range(DAVIES.size):
            v[10 + DAVIES[i]] = (-LN10 * DAVIES_Z2[i]) * (A[w] * (davies - 0.3 * mu))
        v[10 + NEUTRAL] = 0.1 * LN10 * mu
        for j in range(NS):
            acc = 0.0
            if sparse:
                for p in range(LP[j], LP[j + 1]):
                    acc += LV[p] * v[LI[p]]
            else:
                for k in range(NK):
                    acc += L[j, k] * v[k]
            acc = min(acc, 700.0)
            out[j, w] = math.exp(acc) if do_exp else acc
    return out


@numba.njit(error_model="numpy")
def _exp_nb(a, out):  # pragma: no cover
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[i, j] = math.exp(a[i, j])
    return out


@numba.njit(error_model="numpy")
def _spmm_nb(ptr, idx, val, X, out):  # pragma: no cover
    """P @ X over the nonzeros of P, vectorized over the waters (the columns of X)."""
    n = X.shape[1]
    for j in range(ptr.size - 1):
        for w in range(n):
            out[j, w] = 0.0
        for p in range(ptr[j], ptr[j + 1]):
            a, k = val[p], idx[p]
            for w in range(n):
                out[j, w] += a * X[k, w]
    return out


def species_np(tterms, x, A, B):
    """The first half of speciation._evaluate, as it is written there."""
    lgc = sp._gammas(x[sp._XI], A, B)
    m = sp._mm(sp._LNM_MATRIX, np.concatenate([tterms, x[: sp._XAW + 1], lgc]))
    np.exp(np.minimum(m, 700.0, out=m), out=m)
    return m


def capture(n: int):
    """(tterms, x, A, B) of the first reaction evaluation over all n waters of bench_struvite."""
    got = {}
    evaluate = eq._evaluate

    def record(x, b, mode):
        if mode == sp._REACTION and x.shape[1] == n and not got:
            got["args"] = (b.tterms.copy(), x.copy(), b.A.copy(), b.B.copy())
        return evaluate(x, b, mode)

    eq._evaluate = record
    try:
        eq.equilibrate(**make_waters(n))
    finally:
        eq._evaluate = evaluate
    return got["args"]


def median_ms(f, reps: int) -> float:
    f()  # compile, warm up
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(ts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args()
    tt, x, A, B = capture(args.n)
    ref = species_np(tt, x, A, B)
    out = np.empty_like(ref)
    print(
        f"{args.n} waters; numba {numba.__version__}, numpy {np.__version__}; median of {args.reps}"
    )
    print("species evaluation (ln gamma, ln m, exp):")
    print(
        f"  {'numpy, batched (nexus)':46s} {median_ms(lambda: species_np(tt, x, A, B), args.reps):7.3f} ms"
    )
    for label, sparse, do_exp in (
        ("numba, per water, dense product", False, True),
        ("numba, per water, nonzeros only", True, True),
        ("numba, per water, nonzeros only, then np.exp", True, False),
    ):

        def run(sparse=sparse, do_exp=do_exp):
            _species_nb(tt, x, A, B, sparse, do_exp, out)
            if not do_exp:
                np.exp(out, out=out)

        t = median_ms(run, args.reps)
        dev = float(np.max(np.abs(out / ref - 1.0)))
        print(f"  {label:46s} {t:7.3f} ms  largest relative deviation of m {dev:.2g}")
    lnm = np.log(ref)
    e = np.empty_like(lnm)
    print(f"exp of the {lnm.shape[0]} x {lnm.shape[1]} ln m:")
    print(f"  {'np.exp':46s} {median_ms(lambda: np.exp(lnm, out=e), args.reps):7.3f} ms")
    print(
        f"  {'numba loop of math.exp':46s} {median_ms(lambda: _exp_nb(lnm, e), args.reps):7.3f} ms"
    )
    rng = np.random.default_rng(0)
    print("constant products P @ X (X random, the waters' width):")
    for name, P in (
        ("_LNM_MATRIX", sp._LNM_MATRIX),
        ("Jacobian product (reaction)", sp._JACOBIAN_FORMS[sp._REACTION][1]),
        ("_GAMMA_TO_LNM.T", sp._GAMMA_TO_LNM.T),
        ("_SUMS", sp._SUMS),
    ):
        P = np.ascontiguousarray(P)
        X = rng.normal(size=(P.shape[1], args.n))
        c, o = csr(P), np.empty((P.shape[0], args.n))
        t_np = median_ms(lambda P=P, X=X: sp._mm(P, X), args.reps)
        t_nb = median_ms(lambda c=c, X=X, o=o: _spmm_nb(*c, X, o), args.reps)
        print(
            f"  {name:28s} {P.shape[0]:2d} x {P.shape[1]:2d}, {int((P != 0).sum()):3d} nonzeros:"
            f" _mm {t_np:6.3f} ms, numba nonzeros {t_nb:6.3f} ms"
        )


if __name__ == "__main__":
    main()
