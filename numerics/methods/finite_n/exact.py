"""Exact minimum active count D(W) = min_{x != 0} #{mu : w_mu . x >= 0} (docs/finite_n.md §2).

D(W) is the halfspace (Tukey) depth of the origin among the rows of W; for W in general position it is the
minimum of E_W(x) = #{mu : w_mu . x > 0} over the open cells of the arrangement, and ReLU(W .) is injective iff
D(W) >= n.

Solver: implicit hitting sets.  A *positive circuit* C is a set of rows with 0 in conv{w_mu : mu in C}; by
Gordan's alternative every x has a row of C with w_mu . x >= 0, so A(x) hits every positive circuit and
D(W) >= h(family) := the minimum hitting set of any family of positive circuits.  Conversely a hitting set H
of *all* positive circuits leaves rows R \\ H with 0 not in conv, i.e. some x has w_mu . x < 0 on R \\ H and
|A(x)| <= |H|.  The loop: solve the minimum hitting set of the circuits found so far (0/1 set-cover MILP,
HiGHS); if its complement is strictly feasible, that is optimal (witness x, exact count); else peel positive
circuits off the complement (hull LPs, each circuit verified in exact rational arithmetic), which also yields
a feasible complement and so an incumbent.  It stops when the hitting-set bound meets the incumbent; the
proof is the circuit family (exactly verified) plus the integral set-cover optimum.

Also here: ``brute_force_min_count`` (enumeration of the arrangement's vertices, n small) and
``plain_milp_min_count`` (the big-M MILP baseline, for benchmarks/finite_n.py).
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from . import certificate, local, lp


@dataclass
class ExactResult:
    """D(W) with its proof: ``count`` = lower bound = exact |A(witness)|; ``circuits`` the positive circuits
    (row index tuples, each with an exact lambda) whose minimum hitting set equals ``count``."""

    count: int
    lower_bound: int
    witness: np.ndarray
    circuits: list = field(repr=False)
    iterations: int = 0
    milp_solves: int = 0
    seconds: float = 0.0
    optimal: bool = True
    method: str = "implicit hitting set over positive circuits (exact rational circuits, HiGHS set cover)"


class _Circuits:
    def __init__(self, Wi, m):
        self.Wi, self.m = Wi, m
        self.sets, self.lams, self.seen = [], [], set()
        self.freq = np.zeros(m)

    def add(self, support) -> bool:
        key = tuple(sorted(int(s) for s in support))
        if key in self.seen:
            return False
        lam = certificate.verify_circuit(self.Wi, key)
        if lam is None:
            return False
        self.seen.add(key)
        self.sets.append(key)
        self.lams.append(lam)
        self.freq[list(key)] += 1
        return True

    def matrix(self):
        rows = np.repeat(np.arange(len(self.sets)), [len(s) for s in self.sets])
        cols = np.concatenate([np.asarray(s) for s in self.sets])
        return sparse.csr_array((np.ones(len(cols)), (rows, cols)), shape=(len(self.sets), self.m))


def _min_hitting_set(circ: _Circuits, upper: int, time_limit: float):
    """Minimum hitting set of the circuit family (exact 0/1 MILP); None if every hitting set has >= upper."""
    m = circ.m
    if not circ.sets:
        return []
    A = circ.matrix()
    cons = [LinearConstraint(A, lb=1, ub=np.inf),
            LinearConstraint(np.ones((1, m)), lb=0, ub=upper - 1)]
    res = milp(np.ones(m), constraints=cons, integrality=np.ones(m), bounds=Bounds(0, 1),
               options={"time_limit": max(time_limit, 1.0), "presolve": True})
    if res.status == 2:           # infeasible: no hitting set below the incumbent
        return None
    if res.status != 0:
        raise TimeoutError(f"set-cover MILP did not finish: {res.message}")
    return [int(i) for i in np.nonzero(res.x > 0.5)[0]]


def _peel(U, circ: _Circuits, V, rng):
    """Peel positive circuits off the row set V until it is strictly feasible; returns the feasible rest.
    From each circuit the row already in the most known circuits is dropped (greedy hitting)."""
    V = list(V)
    while True:
        cost = rng.uniform(0.0, 1.0, len(V))
        r = lp.hull_lambda(U, V, cost=cost)
        if r is None:
            return V
        supp, _ = r
        circ.add(supp)
        drop = max(supp, key=lambda s: (circ.freq[s], rng.random()))
        V.remove(int(drop))


def min_active_count(W: np.ndarray, *, time_limit: float = 600.0, seed=0, incumbent=None) -> ExactResult:
    """Exact D(W) = min_{x != 0} #{mu : w_mu . x >= 0} with its certificate (see the module docstring).

    ``incumbent``: an optional (count, x) upper bound to start from (else a local search provides one).
    Raises TimeoutError when ``time_limit`` seconds pass before the bounds meet.
    """
    t0 = time.perf_counter()
    W = np.asarray(W, dtype=float)
    m, n = W.shape
    U = lp.unit_rows(W)
    Wi = certificate.integer_rows(W)
    rng = np.random.default_rng(seed)
    circ = _Circuits(Wi, m)

    def exact_count(y):
        pos, zero = certificate.witness_sets(Wi, y)
        return len(pos) + len(zero)

    if incumbent is None:
        incumbent = local.local_search(W, restarts=2, reweights=4, seed=seed, time_limit=time_limit / 4, Wi=Wi)
    ub, best = incumbent
    if best is None:
        ub, best = m, U.sum(axis=0) * 0.0
        best[0] = 1.0
        ub = exact_count(best)
    lb, it, solves = 0, 0, 0
    while lb < ub:
        if time.perf_counter() - t0 > time_limit:
            raise TimeoutError(f"exact D(W) not settled in {time_limit} s (bounds {lb} <= D <= {ub})")
        it += 1
        H = _min_hitting_set(circ, ub, time_limit - (time.perf_counter() - t0))
        solves += 1
        if H is None:
            lb = ub
            break
        lb = len(H)
        comp = sorted(set(range(m)) - set(H))
        rest = _peel(U, circ, comp, rng)
        t, y = lp.max_margin(U, rest)
        if t > 0:
            c = exact_count(y)
            if c < ub:
                ub, best = c, y
    return ExactResult(count=ub, lower_bound=lb, witness=np.asarray(best), circuits=list(zip(circ.sets, circ.lams)),
                       iterations=it, milp_solves=solves, seconds=time.perf_counter() - t0)


# ------------------------------------------------------------------------------------------- reference solvers

def brute_force_min_count(W: np.ndarray) -> int:
    """min over open cells of E_W by vertex enumeration (W in general position, small n): every vertex
    direction is the null direction d of n-1 independent rows S, the cells around it realise every sign
    pattern on S, so the minimum is min_{S, +-} #{mu not in S : +-w_mu . d > 0}.  Float arithmetic."""
    W = np.asarray(W, dtype=float)
    m, n = W.shape
    if n == 1:
        return int(min((W[:, 0] > 0).sum(), (W[:, 0] < 0).sum()))
    best = m
    for S in itertools.combinations(range(m), n - 1):
        _, s, vt = np.linalg.svd(W[list(S)])
        d = vt[-1]
        if s[-1] < 1e-12 * s[0]:
            continue
        prods = np.delete(W @ d, S)
        best = min(best, int((prods > 0).sum()), int((prods < 0).sum()))
    return best


def plain_milp_min_count(W: np.ndarray, *, eps: float = 1e-6, time_limit: float = 3600.0):
    """The plain big-M MILP baseline: for each coordinate j and sign s, pin x_j = s, |x|_inf <= 1, binary z_mu,
    w_mu . x <= -eps + M z_mu with one global M = max_mu ||w_mu||_1 + eps; minimise sum z; D = min over the
    2n sub-problems.  Float tolerances decide strictness here: it is a benchmark reference only."""
    W = np.asarray(W, dtype=float)
    m, n = W.shape
    M = float(np.abs(W).sum(axis=1).max()) + eps
    A = sparse.hstack([sparse.csr_array(W), sparse.csr_array(-M * np.eye(m))]).tocsr()
    cons = [LinearConstraint(A, lb=-np.inf, ub=-eps)]
    c = np.concatenate([np.zeros(n), np.ones(m)])
    integ = np.concatenate([np.zeros(n), np.ones(m)])
    best = m
    for j in range(n):
        for s in (1.0, -1.0):
            lo = np.concatenate([-np.ones(n), np.zeros(m)])
            hi = np.concatenate([np.ones(n), np.ones(m)])
            lo[j] = hi[j] = s
            res = milp(c, constraints=cons, integrality=integ, bounds=Bounds(lo, hi),
                       options={"time_limit": time_limit})
            if res.status == 0:
                best = min(best, int(round(res.fun)))
    return best
