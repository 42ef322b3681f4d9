"""Fixed point of the authors' update (MATH.md §4.7), accelerated by Anderson mixing.

The map ``T(q, chi)`` = backward/forward recursion at (q, chi), then the update of §4.5 (steps 1-5).  Its fixed
points are the stationary points (S_i) of (FRSB-e).  Iterates live in ``y = (q_0..q_{k-1}, log chi)``; the residual
``T(y) - y`` in these variables is the convergence measure (its q part is the authors' ``max |q_new - q_old|``;
the chi part is the relative change of chi).

Safeguards: an Anderson proposal outside the admissible region (q non-decreasing in (0, 1)) or one where T is
undefined is replaced by a damped plain step from the last good iterate and the history is cleared; so is a
proposal whose residual grows by more than ``GROWTH`` over the best so far.  Plain damped iteration is thus the
fallback, not the method.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from numerics.frsb.anderson import Anderson
from numerics.frsb.levels import UpdateError
from numerics.results import ConvergenceError

GROWTH = 30.0
PLAIN_AFTER_RESET = 3
COLLAPSE = 1e-10
PROJECT_SLACK = 1e-6
"""An accelerated iterate whose q decreases by at most this much is clipped to monotone; beyond, it is rejected."""


@dataclass
class Solution:
    q: np.ndarray
    chi: float
    evaluation: object
    lam: np.ndarray
    iterations: int
    residual_history: list
    estar_history: list
    resets: int = 0
    time_s: float = 0.0
    extra: dict = field(default_factory=dict)


def _pack(q, chi):
    return np.concatenate([q[:-1], [np.log(chi)]])


def _unpack(y):
    return np.concatenate([y[:-1], [1.0]]), float(np.exp(y[-1]))


def _project(y, slack):
    """y with q clipped to a non-decreasing sequence in (0, 1) if it violates that by at most ``slack`` (increments
    below zero set to zero, keeping q_k = 1); None if it is further outside."""
    q = np.concatenate([y[:-1], [1.0]])
    dq = np.diff(q, prepend=0.0)
    if not np.all(np.isfinite(y)) or dq.min() < -slack or q[0] <= 0:
        return None
    if dq[1:].min() < COLLAPSE:
        dq[1:] = np.where(dq[1:] < COLLAPSE, 0.0, dq[1:])
        q = np.concatenate([1.0 - np.cumsum(dq[1:][::-1])[::-1], [1.0]])
        if q[0] <= 0:
            return None
    if not dq[-1] > 0:
        return None
    return np.concatenate([q[:-1], [y[-1]]])


def solve(recursion, levels, q, chi, *, tol, max_iter=500, depth=8, damping=0.5, anderson_from=0.05,
          progress=None,
          what="FRSB fixed point") -> Solution:
    """Iterate to ``||T(y) - y||_inf < tol``; raise ConvergenceError (with the residual history) otherwise."""
    t0 = time.perf_counter()
    acc = Anderson(depth=depth)
    y = _pack(np.asarray(q, dtype=float), float(chi))
    if _project(y, 0.0) is None:
        raise ValueError(f"initial q must be non-decreasing in (0, 1) with q_k = 1, got {list(q)}")
    history, estars = [], []
    best = None   # (err, y, r)
    resets = 0
    plain_left = 0    # plain steps to take before Anderson resumes (after a reset)
    last_good = None  # (y, r) of the last point where T was defined
    for it in range(1, max_iter + 1):
        qc, chic = _unpack(y)
        try:
            ev = recursion.evaluate(qc, chic)
            qn, chin, lam = levels.update(qc, chic, ev.Qhat)
            r = _pack(qn, chin) - y
            if not np.all(np.isfinite(r)):
                raise UpdateError("non-finite update")
        except UpdateError as exc:
            if last_good is None:
                raise ConvergenceError(f"{what}: the update is undefined at the start point ({exc})",
                                       {"iterations": it, "residual_history": history, "q": list(qc),
                                        "chi": chic}) from exc
            resets += 1
            acc.reset()
            yg, rg = last_good
            damping *= 0.5
            y = _project(yg + damping * rg, np.inf)
            plain_left = PLAIN_AFTER_RESET
            history.append(float("nan"))
            estars.append(float("nan"))
            continue
        err = float(np.max(np.abs(r)))
        history.append(err)
        estars.append(ev.estar)
        if progress is not None:
            progress.update(1)
            progress.set_postfix(residual=f"{err:.2e}", estar=f"{ev.estar:.8f}")
        if err < tol:
            return Solution(qc, chic, ev, lam, it, history, estars, resets, time.perf_counter() - t0)
        if best is None or err < best[0]:
            best = (err, y.copy(), r.copy())
        last_good = (y.copy(), r.copy())
        if err > GROWTH * best[0] and plain_left == 0:
            resets += 1
            acc.reset()
            y = _project(best[1] + best[2], np.inf)
            plain_left = PLAIN_AFTER_RESET
            continue
        if plain_left > 0 or err > anderson_from:
            plain_left = max(plain_left - 1, 0)
            y = _project(y + r, np.inf)
            continue
        yn = _project(acc.step(y, r), PROJECT_SLACK)
        if yn is None:
            resets += 1
            acc.reset()
            yn = _project(y + damping * r, np.inf)
            plain_left = PLAIN_AFTER_RESET
        y = yn
    raise ConvergenceError(f"{what}: residual {history[-1]:.3g} > tol {tol:g} after {max_iter} iterations",
                           {"iterations": max_iter, "residual_history": history, "estar_history": estars,
                            "resets": resets})
