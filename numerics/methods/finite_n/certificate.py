"""Exact rational certificates for the finite-size injectivity check (docs/finite_n.md §3).

Every float64 is a dyadic rational, so a row w_mu of W scaled by a power of two is an integer vector with the
same signs of w_mu . x and the same linear span.  All verdicts are checked here in exact integer arithmetic:

* a *witness* x (any float vector, read as the rational it is): the exact sets {mu : w_mu . x > 0} (counted by
  E_W) and A(x) = {mu : w_mu . x >= 0}, and the exact rank of the rows in A(x).  rank W_A(x) < n proves that
  ReLU(W .) is not injective: for v != 0 orthogonal to W_A(x), ReLU(W(x + eps v)) = ReLU(Wx) for small eps;
* a *positive circuit* C: rational lambda >= 0, lambda != 0, with sum_{mu in C} lambda_mu w_mu = 0, i.e.
  0 in conv{w_mu : mu in C}.  By Gordan's alternative no x has w_mu . x < 0 for all mu in C, so every open cell
  of the arrangement has a row of C positive: circuits are the exact lower-bound certificates of the solver;
* ranks: modulo a prime first (rank mod p <= rank over Q, so rank mod p = n proves full rank), exact
  fraction-free (Bareiss) elimination only where the modular rank falls short.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

PRIME = 2147483647  # 2^31 - 1: products of two residues fit in int64


def _as_int_vector(values) -> list[int]:
    """Integers proportional (by a positive power of two) to the finite floats ``values``."""
    ratios = [float(v).as_integer_ratio() for v in values]
    den = max(d for _, d in ratios)
    return [num * (den // d) for num, d in ratios]


def integer_rows(W: np.ndarray) -> list[list[int]]:
    """Each row of W times a positive power of two: exact integers with the same signs and spans."""
    return [_as_int_vector(row) for row in np.asarray(W, dtype=float)]


def integer_vector(x) -> list[int]:
    """x (floats, read exactly) times a positive power of two, as Python integers."""
    return _as_int_vector(np.asarray(x, dtype=float).ravel())


def exact_products(Wi: list[list[int]], xi: list[int]) -> list[int]:
    """w_mu . x for every integer row (exact, Python integers)."""
    return [sum(a * b for a, b in zip(row, xi)) for row in Wi]


# ------------------------------------------------------------------------------------------------- ranks

def _rank_mod_p(Wi: list[list[int]], p: int = PRIME) -> int:
    if not Wi:
        return 0
    A = np.array([[v % p for v in row] for row in Wi], dtype=np.int64)
    rows, cols = A.shape
    rank = 0
    for c in range(cols):
        if rank == rows:
            break
        nz = np.nonzero(A[rank:, c])[0]
        if nz.size == 0:
            continue
        piv = rank + int(nz[0])
        if piv != rank:
            A[[rank, piv]] = A[[piv, rank]]
        inv = pow(int(A[rank, c]), p - 2, p)
        A[rank] = (A[rank] * inv) % p
        f = A[rank + 1:, c].copy()
        A[rank + 1:] = (A[rank + 1:] - (f[:, None] * A[rank][None, :]) % p) % p
        rank += 1
    return rank


def _bareiss(Wi: list[list[int]], ncols: int) -> tuple[list[list[int]], list[int]]:
    """Fraction-free Bareiss elimination of integer rows on their first ``ncols`` columns, exact on the
    integers: (the rows in echelon form, the pivot columns)."""
    A = [list(r) for r in Wi]
    rows = len(A)
    pivots, prev = [], 1
    for c in range(ncols):
        r = len(pivots)
        piv = next((i for i in range(r, rows) if A[i][c] != 0), None)
        if piv is None:
            continue
        A[r], A[piv] = A[piv], A[r]
        pr = A[r]
        for i in range(r + 1, rows):
            ai = A[i]
            aic = ai[c]
            A[i] = [(pr[c] * ai[j] - aic * pr[j]) // prev for j in range(ncols)]
        prev = pr[c]
        pivots.append(c)
        if len(pivots) == rows:
            break
    return A, pivots


def _rank_bareiss(Wi: list[list[int]]) -> int:
    return len(_bareiss(Wi, len(Wi[0]) if Wi else 0)[1])


def exact_rank(Wi: list[list[int]]) -> int:
    """Rank over Q of integer rows: modular rank when it is already full, else exact Bareiss elimination."""
    if not Wi:
        return 0
    full = min(len(Wi), len(Wi[0]))
    r = _rank_mod_p(Wi)
    return full if r == full else _rank_bareiss(Wi)


def null_vector(Wi: list[list[int]], ncols: int) -> list[Fraction] | None:
    """A basis vector of the null space {v : Wi v = 0} when it is one-dimensional, else None (exact:
    fraction-free Bareiss elimination on the integers, then back substitution in rationals)."""
    A, pivots = _bareiss(Wi, ncols)
    free = [c for c in range(ncols) if c not in pivots]
    if len(free) != 1:
        return None
    f = free[0]
    v = [Fraction(0)] * ncols
    v[f] = Fraction(1)
    for i in range(len(pivots) - 1, -1, -1):
        c = pivots[i]
        s = sum((A[i][j] * v[j] for j in range(c + 1, ncols) if v[j]), Fraction(0))
        v[c] = -s / A[i][c]
    return v


# --------------------------------------------------------------------------------------------- certificates

def verify_circuit(Wi: list[list[int]], support) -> list[Fraction] | None:
    """Exact lambda >= 0 (sum 1) with sum lambda_mu w_mu = 0 over ``support``, or None if there is none of
    that form (the null space of the support's rows must be one-dimensional and of one sign).

    The support of a basic solution of {W_B^T lambda = 0, 1 . lambda = 1, lambda >= 0} has that property, so
    a float LP proposes the support and this function decides exactly.
    """
    support = list(support)
    n = len(Wi[0])
    cols = [[Wi[mu][j] for mu in support] for j in range(n)]  # W_B^T, n x |B|
    v = null_vector(cols, len(support))
    if v is None:
        return None
    if all(t <= 0 for t in v):
        v = [-t for t in v]
    if not all(t >= 0 for t in v):
        return None
    s = sum(v)
    return [t / s for t in v]


def check_zero_in_hull(Wi: list[list[int]], support, lam) -> bool:
    """True iff lam >= 0, sum lam = 1 and sum lam_mu w_mu = 0 hold exactly."""
    lam = [Fraction(t) for t in lam]
    if any(t < 0 for t in lam) or sum(lam) != 1:
        return False
    n = len(Wi[0])
    return all(sum(l * Wi[mu][j] for l, mu in zip(lam, support)) == 0 for j in range(n))


def witness_sets(Wi: list[list[int]], x) -> tuple[list[int], list[int]]:
    """Exact (positive rows, zero rows) of W at the rational point x."""
    prods = exact_products(Wi, integer_vector(x))
    return [i for i, v in enumerate(prods) if v > 0], [i for i, v in enumerate(prods) if v == 0]


def verify_witness(Wi: list[list[int]], x) -> dict:
    """Exact facts at x: count = #{w.x > 0}, the active set A = {w.x >= 0}, rank W_A, and whether x proves
    non-injectivity (x != 0 and rank W_A < n)."""
    n = len(Wi[0])
    xi = integer_vector(x)
    pos, zero = witness_sets(Wi, x)
    active = sorted(pos + zero)
    rank = exact_rank([Wi[i] for i in active])
    return {"count": len(pos), "zero_rows": zero, "active": active, "active_rank": rank,
            "nonzero": any(v != 0 for v in xi), "proves_not_injective": any(v != 0 for v in xi) and rank < n}

