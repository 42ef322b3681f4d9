"""Upper bounds on the minimum active count by local search (docs/finite_n.md §4).

The solver's objective is D(W) = min_{x != 0} |A(x)|, A(x) = {mu : w_mu . x >= 0} (the halfspace depth of the
origin among the rows); for W in general position it equals min_{x != 0} E_W(x), E_W(x) = #{mu : w_mu . x > 0},
the minimum over the open cells of the arrangement: m minus the largest strictly feasible subsystem
{w_mu . x < 0}.  Any x gives an upper bound |A(x)| >= D(W).  The search here:

1. reweighted elastic LPs (min sum_mu c_mu s_mu with w_mu . y <= -1 + s_mu, c_mu <- 1/(s_mu + delta)), which
   concentrate the violations on few rows;
2. greedy re-insertion: the rows still positive at y are offered back one at a time; row r joins the negative
   set N when N + {r} is strictly feasible (max-margin LP), so the final cell is a local minimum for one-row
   moves;
3. random restarts (random weights).

The returned count |A(x)| is computed exactly at the returned x (certificate.py), so it is a true upper bound; it is
a *bound*, never a proof of the minimum.
"""
from __future__ import annotations

import time

import numpy as np

from . import certificate, lp


def _reinsert(U, y, rng, budget_end):
    N = list(np.nonzero(U @ y < 0)[0])
    P = [int(i) for i in np.nonzero(U @ y >= 0)[0]]
    rng.shuffle(P)
    best_y = y
    for r in P:
        if time.perf_counter() > budget_end:
            break
        t, yy = lp.max_margin(U, N + [r])
        if t > 1e-9:
            N.append(r)
            best_y = yy
    return best_y


def local_search(W: np.ndarray, *, restarts: int = 4, reweights: int = 6, seed=0, time_limit: float = 60.0,
                 Wi=None):
    """Best witness x found and its exact count E_W(x): an upper bound on min_{x != 0} E_W(x).

    Returns (count, x).  ``Wi`` (the exact integer rows) may be passed to avoid recomputing them.
    """
    W = np.asarray(W, dtype=float)
    U = lp.unit_rows(W)
    Wi = certificate.integer_rows(W) if Wi is None else Wi
    m, _ = U.shape
    rng = np.random.default_rng(seed)
    end = time.perf_counter() + time_limit
    best = (m + 1, None)
    for rs in range(restarts):
        c = np.ones(m) if rs == 0 else rng.uniform(0.5, 1.5, m)
        y = None
        for _ in range(reweights):
            yy = lp.elastic(U, c)
            if yy is None:
                break
            y = yy
            s = np.maximum(U @ y + 1.0, 0.0)
            c = c / (s + 1e-3) if rs else 1.0 / (s + 1e-3)
            c = c / c.mean()
            if time.perf_counter() > end:
                break
        if y is None:
            continue
        y = _reinsert(U, y, rng, end)
        pos, zero = certificate.witness_sets(Wi, y)
        cnt = len(pos) + len(zero)
        if cnt < best[0]:
            best = (cnt, y)
        if time.perf_counter() > end:
            break
    return best
