"""Exact minimum active count D(W) = min_{x != 0} #{mu : w_mu . x >= 0} (docs/finite_n.md §2).

D(W) is the halfspace (Tukey) depth of the origin among the rows of W; for W in general position it is the
minimum of E_W(x) = #{mu : w_mu . x > 0} over the open cells of the arrangement, and ReLU(W .) is injective iff
D(W) >= n.

Solver: implicit hitting sets.  A *positive circuit* C is a set of rows with 0 in conv{w_mu : mu in C}; by
Gordan's alternative every x has a row of C with w_mu . x >= 0, so A(x) hits every positive circuit and
D(W) >= h(family) := the minimum hitting set of any family of positive circuits.  Conversely a hitting set H
of *all* positive circuits leaves rows R \\ H with 0 not in conv, i.e. some x has w_mu . x < 0 on R \\ H and
|A(x)| <= |H|.  The loop: find a hitting set of the circuits found so far smaller than the incumbent (greedy,
else the exact search of hitting.py); if its complement is strictly feasible, that is optimal (witness x, exact count); else peel positive
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
from scipy.optimize import Bounds, LinearConstraint, milp  # milp: the plain baseline only

from . import certificate, hitting, local, lp


@dataclass
class ExactResult:
    """Bounds on D(W) with their proofs: ``upper_bound`` = exact |A(witness)|; ``lower_bound`` proven by the
    positive circuits ``circuits`` (row index tuples, each with an exact lambda), whose hitting sets all have
    at least ``lower_bound`` rows.  ``count`` is D(W) when the bounds meet, else None (decision mode)."""

    lower_bound: int
    upper_bound: int
    witness: np.ndarray
    circuits: list = field(repr=False)
    iterations: int = 0
    milp_solves: int = 0
    seconds: float = 0.0
    method: str = "implicit hitting set: positive circuits verified in exact rationals + exhaustive hitting-set search"

    @property
    def count(self):
        return self.upper_bound if self.lower_bound == self.upper_bound else None


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


def _greedy_hitting_set(circ: _Circuits, rng):
    """A (not necessarily minimum) hitting set: repeatedly take the row in most unhit circuits."""
    if not circ.sets:
        return []
    A = circ.matrix().toarray() > 0
    alive = np.ones(A.shape[0], dtype=bool)
    H = []
    while alive.any():
        deg = A[alive].sum(axis=0) + rng.uniform(0, 0.5, A.shape[1])
        j = int(np.argmax(deg))
        H.append(j)
        alive &= ~A[:, j]
    return H


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


def min_active_count(W: np.ndarray, *, time_limit: float = 600.0, seed=0, incumbent=None,
                     decide: int | None = None, max_nodes: int = 2 * 10**8,
                     batch_size: int = 8) -> ExactResult:
    """Exact D(W) = min_{x != 0} #{mu : w_mu . x >= 0} with its certificate (see the module docstring).

    ``incumbent``: an optional (count, x) upper bound to start from (else a local search provides one).
    ``decide=k``: decision mode, stop as soon as D < k (a witness) or D >= k (circuits) is proven.
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
        incumbent = local.local_search(W, restarts=1, reweights=3, seed=seed, time_limit=time_limit / 4, Wi=Wi)
    ub, best = incumbent
    if best is None:
        ub, best = m, U.sum(axis=0) * 0.0
        best[0] = 1.0
        ub = exact_count(best)
    it, solves, lb = 0, 0, 0
    k = None if decide is None else int(decide)
    while not (lb >= ub or (k is not None and (ub < k or lb >= k))):
        if time.perf_counter() - t0 > time_limit:
            raise TimeoutError(f"D(W) not settled in {time_limit} s ({lb} <= D <= {ub})")
        target = ub if k is None else min(ub, k)
        it += 1
        H = _greedy_hitting_set(circ, rng)
        batch = [H]
        if len(H) >= target:
            batch = hitting.hitting_sets_at_most(circ.sets, m, target - 1, want=batch_size, max_nodes=max_nodes)
            solves += 1
            if not batch:
                lb = target
                break
        before, ub_before = len(circ.sets), ub
        for H in batch:
            comp = sorted(set(range(m)) - set(H))
            rest = _peel(U, circ, comp, rng)
            t, y = lp.max_margin(U, rest)
            if t > 0:
                c = exact_count(y)
                if c < ub:
                    ub, best = c, y
        if len(circ.sets) == before and ub == ub_before:
            break                 # no new exactly verified circuit (degenerate W): lb stays as proven
    return ExactResult(lower_bound=lb, upper_bound=ub, witness=np.asarray(best), circuits=list(zip(circ.sets, circ.lams)),
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


def plain_milp_min_count(W: np.ndarray, *, eps: float = 1e-6, time_limit: float = 3600.0, total_limit=None):
    """The plain big-M MILP baseline: for each coordinate j and sign s, pin x_j = s, |x|_inf <= 1, binary z_mu,
    w_mu . x <= -eps + M z_mu with one global M = max_mu ||w_mu||_1 + eps; minimise sum z; D = min over the
    2n sub-problems.  Float tolerances decide strictness here: it is a benchmark reference only.
    Returns None if ``total_limit`` seconds pass before all sub-problems are solved."""
    t0 = time.perf_counter()
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
            left = time_limit if total_limit is None else min(time_limit, total_limit - (time.perf_counter() - t0))
            if left <= 0:
                return None
            res = milp(c, constraints=cons, integrality=integ, bounds=Bounds(lo, hi),
                       options={"time_limit": left})
            if res.status == 1:
                return None
            if res.status == 0:
                best = min(best, int(round(res.fun)))
    return best
