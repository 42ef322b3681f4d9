"""Fixed point of the authors' update (docs/theory.md §4.7), accelerated by Anderson mixing.

The map ``T(q, chi)``: backward/forward recursion at (q, chi), then the update of §4.5 (steps 1-5).  Its fixed
points are the stationary points (S_i) of (FRSB-e).  Iterates live in ``y = (q_0..q_{k-1}, log chi)``; the
residual ``T(y) - y`` in these variables is the convergence measure (its q part is the authors'
``max |q_new - q_old|``, its chi part the relative change of chi).

Why an accelerator is needed: the Jacobian of T has many eigenvalues just below 1 (e.g. 0.97-0.9998 for k = 30,
alpha = 6: levels near the ends of the breakpoint grid collapse, dq_i -> 0, only geometrically), so the plain
iteration needs hundreds of steps.  Anderson mixing (depth ~20) treats them as a Krylov method would.

Plain steps are used (i) while the residual is above ``anderson_from`` (far from the fixed point Anderson's
secant model is useless) unless they stop contracting (the plain map can be unstable, e.g. k = 1 with
x_0 = 0.01, where it oscillates; Anderson then stabilises it) and (ii) as the fallback when an Anderson proposal
leaves the admissible region (q non-decreasing in (0, 1), beyond a tiny clipping slack) even after shortening,
or lands where T is undefined; the history is then cleared.  A plain step that overshoots is damped (halved).  Increments of q below ``COLLAPSE`` are set to exactly zero (a collapsed level: dq_i = 0 is invariant
under T, and the energy depends on such a level only at second order).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery.anderson import Anderson
from relu_injectivity.machinery.results import ConvergenceError
from relu_injectivity.machinery.update_error import UpdateError

PLAIN_AFTER_REJECT = 3
ANDERSON_BACKTRACK = 4
"""An inadmissible Anderson step is shortened (halved) up to this many times before it is dropped."""
"""Plain steps after a rejected Anderson proposal before mixing resumes (rebuilds a consistent history)."""
STAGNATION = 10
"""Plain iterations without a 10% gain on the best residual after which Anderson mixing starts regardless."""
RESIDUAL_ONLY = 100.0
NOISE_MULTIPLE = 30.0
"""... or below NOISE_MULTIPLE times the round-off level of the map (recursion.noise_floor)."""
"""A residual below tol/RESIDUAL_ONLY ends the iteration whatever the next step (an Anderson step computed from
residuals at the round-off level is itself noise)."""
STALL = 150
"""Iterations without a 10% gain on the best residual after which Anderson's history is restarted ..."""
MAX_RESTARTS = 4
"""... and after this many fruitless restarts the solver gives up (ConvergenceError)."""
PROJECT_SLACK = 1e-6
"""An accelerated iterate whose q decreases by at most this much is clipped to monotone; beyond, it is rejected."""
COLLAPSE = 1e-9
"""Increments of q below this are set to zero."""
MIN_UNDEFINED_STEP = 1e-3
"""Where T is undefined the step from the last point where it was defined is halved, down to this fraction."""
MIN_CHI_RELAXATION = 1.0 / 16
MAX_LOG_CHI_STEP = 1.0
"""A plain step changes chi by at most a factor e (before the slope is known the first steps collapse chi 30-fold
at xmax = 30, and the densities leave any window planned at the start)."""


class ChiRelaxation:
    """Under-relaxation of the chi component of plain steps, from the slope of the chi map.

    With large breakpoints (xmax = 30) the update's chi map overshoots: log chi alternates between two values a
    factor 200 apart (k = 50, alpha = 6: chi 0.002 <-> 0.44, slope d(log chi_new)/d(log chi) ~ -1.01), the densities
    spread over windows of +-140 and the grid is outgrown six times.  From the last two iterates the slope s of
    log chi -> log chi_new is estimated (a secant); for s < 0 the chi component of a plain step is scaled by
    omega = 1/(1 - s) (at least MIN_CHI_RELAXATION), which makes the relaxed map's slope zero (no scaling for
    s >= 0), and limited to MAX_LOG_CHI_STEP.  The relaxed map has the same fixed points: only the path changes."""

    def __init__(self):
        self.previous, self.omega = None, 1.0

    def observe(self, y, r):
        c, t = y[-1], y[-1] + r[-1]
        if self.previous is not None and abs(c - self.previous[0]) > 1e-12:
            s = (t - self.previous[1]) / (c - self.previous[0])
            self.omega = max(MIN_CHI_RELAXATION, 1.0 / (1.0 - s)) if s < 0 else 1.0
        self.previous = (c, t)

    def step(self, r):
        r = np.array(r, dtype=float)
        r[-1] = float(np.clip(r[-1] * self.omega, -MAX_LOG_CHI_STEP, MAX_LOG_CHI_STEP))
        return r


@dataclass
class Solution:
    q: np.ndarray
    chi: float
    evaluation: object
    lam: np.ndarray
    iterations: int
    residual_history: list
    estar_history: list
    rejected: int = 0
    time_s: float = 0.0
    extra: dict = field(default_factory=dict)


def pack(q, chi):
    return np.concatenate([np.asarray(q, dtype=float)[:-1], [np.log(chi)]])


def unpack(y):
    return np.concatenate([y[:-1], [1.0]]), float(np.exp(y[-1]))


def project(y, slack):
    """y with q made non-decreasing in (0, 1) if it violates that by at most ``slack`` (negative increments set to
    zero, q_k = 1 kept), tiny increments collapsed to zero; None if it is further outside."""
    if not np.all(np.isfinite(y)):
        return None
    q = np.concatenate([y[:-1], [1.0]])
    dq = np.diff(q, prepend=0.0)
    if dq.min() < -slack or q[0] <= 0:
        return None
    if dq[1:].min() < COLLAPSE:
        dq[1:] = np.where(dq[1:] < COLLAPSE, 0.0, dq[1:])
        q = kernels.numba("frsb").frsb_levels_q_from_increments(dq)
    if not (q[0] > 0 and dq[-1] > 0):
        return None
    return np.concatenate([q[:-1], [y[-1]]])


def damped(y, r, shrink=0.5, tries=40):
    """(y + theta r, theta) for the largest theta in 1, 1/2, 1/4, ... that is admissible (the plain step when
    possible; the damped fallback when the update overshoots out of the admissible region); (None, 0) if none."""
    theta = 1.0
    for _ in range(tries):
        yn = project(y + theta * r, 0.0)
        if yn is not None:
            return yn, theta
        theta *= shrink
    return None, 0.0


def solve(recursion, levels, q, chi, *, tol, max_iter=2000, depth=20, anderson_from=1e-2, progress=None,
          monitor=None, what="FRSB fixed point") -> Solution:
    """Iterate until the residual ``||T(y) - y||_inf`` and the next step are both below ``tol`` (or the residual
    alone is below tol/RESIDUAL_ONLY).

    The step condition matters: near-unit eigenvalues of the Jacobian of T let the residual be small far from the
    fixed point; an Anderson step approximates the Newton step (I - J)^{-1} r, i.e. the distance to it.
    ``monitor(evaluation, q, chi)``, if given, sees every evaluation and may raise (e.g. when the grid no longer
    holds the densities).  ConvergenceError (with the residual history) after max_iter iterations."""
    t0 = time.perf_counter()
    acc = Anderson(depth=depth)
    y = project(pack(q, chi), 0.0)
    if y is None:
        raise ValueError(f"initial q must be non-decreasing in (0, 1) with q_k = 1 and chi > 0, got q = {list(q)}, "
                         f"chi = {chi}")
    history, estars, steps = [], [], []
    noise = getattr(recursion, "noise_floor", 0.0)
    rejected = 0
    damped_steps = 0
    plain_left = 0
    best_err, since_best = np.inf, 0
    restarts = 0
    last = None
    relax = ChiRelaxation()
    undefined_step = 1.0
    for it in range(1, max_iter + 1):
        qc, chic = unpack(y)
        try:
            ev = recursion.evaluate(qc, chic)
            if monitor is not None:
                monitor(ev, qc, chic)
            qn, chin, lam = levels.update(qc, chic, ev.Qhat)
            r = pack(qn, chin) - y
            if not np.all(np.isfinite(r)):
                raise UpdateError("non-finite update")
        except UpdateError as exc:
            if last is None:
                raise ConvergenceError(f"{what}: the update is undefined at the start point ({exc})",
                                       {"iterations": it, "residual_history": history, "q": list(qc),
                                        "chi": chic}) from exc
            rejected += 1
            acc.reset()
            undefined_step *= 0.5
            y, _ = damped(last[0], undefined_step * relax.step(last[1]))
            if y is None or undefined_step < MIN_UNDEFINED_STEP:
                raise ConvergenceError(f"{what}: the update is undefined near iteration {it} ({exc})",
                                       {"iterations": it, "residual_history": history}) from exc
            history.append(float("nan"))
            estars.append(float("nan"))
            continue
        undefined_step = 1.0
        err = float(np.max(np.abs(r)))
        history.append(err)
        estars.append(ev.estar)
        if progress is not None:
            progress.update(1)
            progress.set_postfix(residual=f"{err:.2e}", estar=f"{ev.estar:.8f}", refresh=False)
        last = (y, r)
        relax.observe(y, r)
        if err < best_err * 0.9:
            best_err, since_best = err, 0
        else:
            since_best += 1
        if since_best >= STAGNATION:
            anderson_from = np.inf   # plain iteration does not contract here (e.g. a tiny x_0): mix from now on
        if since_best and since_best % STALL == 0:
            restarts += 1            # Anderson stalled: restart its history from plain steps
            acc.reset()
            plain_left = PLAIN_AFTER_REJECT
            if restarts > MAX_RESTARTS:
                raise ConvergenceError(
                    f"{what}: residual stalls at {best_err:.2e} (tol {tol:g}, next step must be < tol too; no 10% "
                    f"gain in {since_best} iterations; round-off level of the map ~{noise:.1e})",
                    {"iterations": it, "residual_history": history,
                                                               "estar_history": estars, "rejected": rejected})
        yn = None
        if err <= anderson_from and plain_left == 0:
            ya = acc.step(y, r)
            yn = project(ya, PROJECT_SLACK)
            if yn is None:
                rejected += 1
                yn, theta = damped(y, ya - y, tries=ANDERSON_BACKTRACK)
                if yn is None:
                    acc.reset()
                    plain_left = PLAIN_AFTER_REJECT
        else:
            plain_left = max(plain_left - 1, 0)
        if yn is None:
            yn, theta = damped(y, relax.step(r))
            if yn is None:
                raise ConvergenceError(f"{what}: no damped update stays admissible at iteration {it}",
                                       {"iterations": it, "residual_history": history, "estar_history": estars})
            damped_steps += theta < 1
        step = float(np.max(np.abs(yn - y)))
        steps.append(step)
        if err < tol and (step < tol or err < max(tol / RESIDUAL_ONLY, NOISE_MULTIPLE * noise)):
            return Solution(qc, chic, ev, lam, it, history, estars, rejected, time.perf_counter() - t0,
                            {"step_history": steps, "next": yn, "damped_steps": damped_steps})
        y = yn
    tail = ", ".join(f"{v:.2e}" for v in history[-5:])
    raise ConvergenceError(f"{what}: residual {history[-1]:.3g} > tol {tol:g} after {max_iter} iterations "
                           f"(last residuals: {tail}; full history in .diagnostics['residual_history'])",
                           {"iterations": max_iter, "residual_history": history, "estar_history": estars,
                            "rejected": rejected})
