"""Float linear programs (HiGHS through scipy) that *propose* certificates; certificate.py decides them exactly.

Gordan's alternative for a set V of rows: either some y has w_mu . y < 0 for all mu in V (V is *strictly
feasible*: an open cell of the arrangement has all of V negative), or 0 = sum lambda_mu w_mu with lambda >= 0,
sum lambda = 1 (0 in conv V).  Both sides are LPs (docs/finite_n.md §2).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linprog


def unit_rows(W: np.ndarray) -> np.ndarray:
    """Rows scaled to unit Euclidean norm (zero rows stay zero); signs and spans are unchanged."""
    norms = np.linalg.norm(W, axis=1)
    return W / np.where(norms > 0, norms, 1.0)[:, None]


def hull_lambda(U: np.ndarray, rows, cost=None):
    """A basic solution lambda of {sum_{mu in rows} lambda_mu u_mu = 0, sum lambda = 1, lambda >= 0}, as
    (support indices into W, lambda values), or None when the LP is infeasible (0 not in conv)."""
    rows = np.asarray(rows, dtype=int)
    k, n = len(rows), U.shape[1]
    if k == 0:
        return None
    A = np.vstack([U[rows].T, np.ones((1, k))])
    b = np.zeros(n + 1)
    b[-1] = 1.0
    c = np.zeros(k) if cost is None else np.asarray(cost, dtype=float)
    res = linprog(c, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
    if res.status == 2:
        return None
    if res.status != 0:
        raise RuntimeError(f"HiGHS failed on the hull LP: {res.message}")
    lam = res.x
    keep = lam > 1e-12 * max(1.0, lam.max())
    return rows[keep], lam[keep]


def max_margin(U: np.ndarray, rows):
    """max t subject to u_mu . y <= -t (mu in rows), |y|_inf <= 1, t <= 1: returns (t, y)."""
    rows = np.asarray(rows, dtype=int)
    n = U.shape[1]
    if len(rows) == 0:
        y = np.zeros(n)
        y[0] = 1.0
        return 1.0, y
    A = np.hstack([U[rows], np.ones((len(rows), 1))])
    c = np.zeros(n + 1)
    c[-1] = -1.0
    bounds = [(-1.0, 1.0)] * n + [(None, 1.0)]
    res = linprog(c, A_ub=A, b_ub=np.zeros(len(rows)), bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"HiGHS failed on the margin LP: {res.message}")
    return float(res.x[-1]), res.x[:n]


def elastic(U: np.ndarray, weights, fixed=()):
    """Weighted elastic LP: min sum_mu weights_mu s_mu subject to u_mu . y <= -1 + s_mu, s >= 0, with
    s_mu = 0 forced for mu in ``fixed``; returns y (the rows with s_mu > 0 are the ones it gives up)."""
    m, n = U.shape
    weights = np.asarray(weights, dtype=float)
    A = np.hstack([U, -np.eye(m)])
    c = np.concatenate([np.zeros(n), weights])
    bounds = [(None, None)] * n + [(0, None)] * m
    for mu in fixed:
        bounds[n + mu] = (0, 0)
    res = linprog(c, A_ub=A, b_ub=-np.ones(m), bounds=bounds, method="highs")
    if res.status != 0:
        return None
    return res.x[:n]
