"""One rung of the r-RSB ladder: the r-step functional maximised over its r breakpoints (docs/theory.md §4.11).

The ground-state energy is the *supremum* of the zero-temperature functional (FRSB-e) over the order parameter,
breakpoints included.  At fixed breakpoints x the inner problem (stationary q_0..q_{r-1}, chi) is the k-step solver
of numerics/methods/frsb (``frsb.energy(alpha, k=r, breakpoints=x)``); this module maximises its value

    e_r(alpha) = max_x  e_r[q*(x), chi*(x); x, alpha]

over x, in the coordinates u = log x (positivity for free).  The outer loop is Newton's method with a Hessian
by differences of gradients, updated by BFGS between refreshes, and a trust region in u.  The gradient is the
envelope-theorem derivative de/dx_i at fixed (q, chi) at the stationary point (``dfunctional_dx`` in the frsb
diagnostics); where the frsb solver does not provide it, by central differences of the stationary value (marked
in the diagnostics as ``gradient_source``).

By the envelope theorem, too, de_r/dalpha = dfunctional/dalpha at fixed (q, chi, x) (generated frsb_functional_dalpha)
(the energetic term of (FRSB-e) is linear in alpha), exact at the optimum; it drives the Newton iteration of the
threshold e_r(alpha) = 1.

Error of the optimum: the functional is stationary in x, so an error in x costs only the predicted gain
``(1/2) g^T (-H)^{-1} g`` (one-sided: the true maximum lies above); it is added to the numerical error of the
functional (solver + grid, from the frsb result).  The dilation identity estar = functional + sum_i x_i de/dx_i
(docs/theory.md §4.6) makes |estar - functional| at the optimum a built-in check of the stationarity.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery.results import ConvergenceError
from relu_injectivity.methods import frsb
from relu_injectivity.methods.frsb.levels import Levels

FD_STEP = 1e-3
"""Step in u = log x of the differences of gradients that build the Hessian."""
FD_GRADIENT_STEP = 2e-4
"""Step in u of the central differences of the stationary value (gradient fallback only)."""
TRUST = 0.4
"""Largest Newton step in u = log x (a factor e^0.4 ~ 1.5 on a breakpoint)."""
MIN_GAP = 1e-3
"""Smallest allowed gap u_{i+1} - u_i (the optimum keeps the breakpoints apart; a step that would merge two is
shortened)."""
GAIN_TOL = 1e-14
"""The optimiser stops when the predicted gain (1/2) g^T (-H)^{-1} g is below this (energy units)."""
MAX_ITER = 3000
"""Iterations of the fixed point at given breakpoints (frsb.energy's max_iter)."""
CANDIDATE_ITER = 400
"""... and for a candidate insertion (a candidate that needs more is dropped)."""
ROUNDOFF = 1e-12
"""Floor of the functional's error (round-off through the recursion; frsb.ROUNDOFF)."""


@dataclass
class Point:
    """The stationary k = r solution at (alpha, x): functional, estar, envelope gradients, numerical error."""

    alpha: float
    x: np.ndarray
    result: object
    e: float
    estar: float
    grad_x: np.ndarray
    e_alpha: float
    e_error: float
    solver_tol: float
    gradient_source: str
    evaluations: int = 1

    @property
    def u(self):
        return np.log(self.x)

    @property
    def grad_u(self):
        return self.x * self.grad_x

    def init(self):
        d = self.result.diagnostics
        return {"q": list(d["q"]), "chi": d["chi"]}


class Evaluator:
    """Calls the frsb solver at (alpha, x) with warm starts; counts calls and time."""

    def __init__(self, *, tol=1e-10, backend="auto", gradient="auto"):
        self.tol, self.backend, self.gradient = float(tol), backend, gradient
        self.calls, self.time_s, self.limited = 0, 0.0, None

    def _solve(self, alpha, x, init, max_iter=None):
        t0 = time.perf_counter()
        tol = self.tol
        self.max_iter = max_iter or MAX_ITER
        try:
            r = self._call(alpha, x, init, tol)
        except ValueError as exc:
            if "floor" not in str(exc):
                raise
            tol = self._floor(x)
            if self.limited is None or tol > self.limited["tol_used"]:
                self.limited = {"x_max": float(x[-1]), "tol_asked": self.tol, "tol_used": float(tol)}
            r = self._call(alpha, x, init, tol)
        self.calls += 1
        self.time_s += time.perf_counter() - t0
        return r, tol

    def _call(self, alpha, x, init, tol):
        try:
            return frsb.energy(alpha, k=len(x), breakpoints=list(map(float, x)), tol=tol, init=init,
                               backend=self.backend, max_iter=self.max_iter)
        except ConvergenceError:
            if init is None or self.max_iter < MAX_ITER:
                raise
            return frsb.energy(alpha, k=len(x), breakpoints=list(map(float, x)), tol=tol, backend=self.backend,
                               max_iter=self.max_iter)

    @staticmethod
    def _floor(x):
        from relu_injectivity.methods.frsb import recursion

        return 1.05 * getattr(frsb, "NOISE_MULTIPLE", 10.0) * recursion.noise_floor(np.asarray(x, float))

    def value(self, alpha, x, init=None, max_iter=None):
        r, tol = self._solve(alpha, x, init, max_iter)
        return r, float(r.diagnostics["functional"]), tol

    def __call__(self, alpha, x, init=None) -> Point:
        x = np.asarray(x, dtype=float)
        r, e, tol = self.value(alpha, x, init)
        d = r.diagnostics
        n = 1
        if "dfunctional_dx" in d and self.gradient != "differences":
            g = np.asarray(d["dfunctional_dx"], dtype=float)
            source = "envelope"
        else:
            if self.gradient == "envelope":
                raise ValueError("the frsb solver does not provide diagnostics['dfunctional_dx'] (the envelope "
                                 "gradient); use gradient='auto' or 'differences'")
            g = np.empty(len(x))
            warm = {"q": d["q"], "chi": d["chi"]}
            for i in range(len(x)):
                vals = []
                for sgn in (1, -1):
                    xs = x.copy()
                    xs[i] *= math.exp(sgn * FD_GRADIENT_STEP)
                    vals.append(self.value(alpha, xs, warm)[1])
                g[i] = (vals[0] - vals[1]) / (2 * FD_GRADIENT_STEP) / x[i]
            n += 2 * len(x)
            source = "differences"
        ent = Levels(x).entropic(np.asarray(d["q"], float), float(d["chi"]))
        e_alpha = float(kernels.numba("frsb").frsb_functional_dalpha(e - ent, float(alpha)))
        err = abs(float(d.get("functional_check_grid", e)) - e) + float(d.get("solver_error", 0.0)) + ROUNDOFF
        return Point(float(alpha), x, r, e, float(r.energy), g, e_alpha, err, tol, source, n)


@dataclass
class Optimum:
    """A maximum of the r-step functional over the breakpoints at fixed alpha."""

    point: Point
    hessian: np.ndarray
    gain: float
    iterations: int
    history: list = field(default_factory=list)

    @property
    def x(self):
        return self.point.x


def _negdef(H):
    """-H made positive definite (eigenvalues floored), for a Newton step towards a maximum."""
    w, V = np.linalg.eigh(-0.5 * (H + H.T))
    scale = max(np.max(np.abs(w)), 1e-300)
    w = np.maximum(np.abs(w), 1e-6 * scale)
    return V, w


def predicted_gain(H, g):
    """(1/2) g^T (-H)^{-1} g: what a Newton step would still gain (the distance in energy to the maximum)."""
    V, w = _negdef(H)
    c = V.T @ g
    return 0.5 * float(np.sum(c * c / w))


def newton_step(H, g, trust=TRUST):
    V, w = _negdef(H)
    s = V @ ((V.T @ g) / w)
    big = np.max(np.abs(s))
    return s * (trust / big) if big > trust else s


def hessian(ev: Evaluator, p: Point, step=FD_STEP):
    """d^2 e/du_i du_j by forward differences of the envelope gradient in u = log x (symmetrised)."""
    r = len(p.x)
    H = np.empty((r, r))
    for j in range(r):
        u = p.u.copy()
        u[j] += step
        q = ev(p.alpha, np.exp(u), p.init())
        H[:, j] = (q.grad_u - p.grad_u) / step
    return 0.5 * (H + H.T)


def _admissible(u):
    return np.all(np.diff(u) >= MIN_GAP)


def maximise(ev: Evaluator, alpha, x0, *, init=None, H=None, gain_tol=GAIN_TOL, max_iter=12,
             point=None) -> Optimum:
    """Newton / BFGS with a trust region on u = log x for max_x e_r(alpha; x), from x0 (or ``point``).

    H: a Hessian in u to start from (e.g. the previous alpha's); recomputed by differences when absent or when a
    step fails to raise the functional.  Stops when the predicted gain is below gain_tol."""
    p = point if point is not None else ev(alpha, x0, init)
    if H is None:
        H = hessian(ev, p)
    fresh = True
    history = []
    for it in range(max_iter):
        g = p.grad_u
        gain = predicted_gain(H, g)
        history.append({"x": [float(v) for v in p.x], "e": p.e, "gain": gain,
                        "grad_norm": float(np.max(np.abs(g)))})
        if gain <= gain_tol:
            return Optimum(p, H, gain, it, history)
        s = newton_step(H, g)
        u = p.u
        for _ in range(30):
            if _admissible(u + s):
                break
            s *= 0.5
        accepted = False
        for _ in range(4):
            q = ev(alpha, np.exp(u + s), p.init())
            if q.e >= p.e - 2 * max(p.e_error, q.e_error):
                accepted = True
                break
            s *= 0.5
        if not accepted:
            if fresh:   # noise-limited: the gain left is the (one-sided) error of this optimum
                return Optimum(p, H, gain, it, history)
            H, fresh = hessian(ev, p), True
            continue
        y = q.grad_u - g
        sy = float(s @ y)
        if sy < 0:  # curvature condition of a maximum: BFGS on B = -H
            B = -H
            Bs = B @ s
            B = B - np.outer(Bs, Bs) / float(s @ Bs) + np.outer(y, y) / (-sy)
            H = -0.5 * (B + B.T)
        fresh = False
        p = q
    return Optimum(p, H, predicted_gain(H, p.grad_u), max_iter, history)


# ------------------------------------------------------------------------------------- insertion (warm start)

def _split_q(q, j):
    """Initial q after inserting a breakpoint at position j: the interval (x_{j-1}, x_j] (q_j; q = 1 above the
    last breakpoint) is split, its lower part at the midpoint of q_{j-1} and q_j (q_{-1} = 0)."""
    q = [float(v) for v in q]
    below = q[j - 1] if j > 0 else 0.0
    return q[:j] + [0.5 * (below + q[j])] + q[j:]


def insertions(x, q):
    """Candidate breakpoints for rung r + 1 from the optimum of rung r: a new breakpoint below the first, between
    each pair (geometric mean) or above the last (continuing the last ratio), each with a split level of q."""
    x = np.asarray(x, float)
    ratio = max(x[-1] / x[-2], 1.3) if len(x) > 1 else 1.5
    first = max(x[1] / x[0], 1.3) if len(x) > 1 else 1.5
    new = [x[0] / first] + [math.sqrt(x[i] * x[i + 1]) for i in range(len(x) - 1)] + [x[-1] * ratio]
    out = []
    for j, xn in enumerate(new):
        xs = np.sort(np.append(x, xn))
        out.append((j, xs, {"q": _split_q(q, j), "chi": None}))
    return out


def next_rung_start(ev: Evaluator, alpha, opt: Optimum):
    """The best insertion (largest functional at the stationary q, chi): (x, point, candidates)."""
    d = opt.point.result.diagnostics
    cands = []
    best = None
    for j, xs, init in insertions(opt.x, d["q"]):
        init["chi"] = d["chi"]
        try:
            r, e, _ = ev.value(alpha, xs, init, max_iter=CANDIDATE_ITER)
        except ConvergenceError as exc:
            cands.append({"position": j, "x": list(map(float, xs)), "failed": str(exc)[:120]})
            continue
        cands.append({"position": j, "x": list(map(float, xs)), "functional": e})
        if best is None or e > best[0]:
            best = (e, xs, {"q": list(r.diagnostics["q"]), "chi": r.diagnostics["chi"]})
    if best is None:
        raise ConvergenceError(f"rung {len(opt.x) + 1}: no insertion of a breakpoint could be solved",
                               {"candidates": cands})
    return ev(alpha, best[1], best[2]), cands


# ------------------------------------------------------------------------------------------------ threshold

@dataclass
class Root:
    """alpha_r: the root of e_r(alpha) = 1 with the optimum there, the error budget and the iteration."""

    alpha: float
    error: float
    optimum: Optimum
    budget: dict
    history: list


def threshold(ev: Evaluator, opt: Optimum, *, tol=1e-9, gain_tol=GAIN_TOL, max_iter=12) -> Root:
    """Newton on e_r(alpha) = 1 from the optimum ``opt`` at some alpha: the step uses de_r/dalpha = energetic/alpha
    (envelope theorem, exact at the optimum); the breakpoints at the next alpha are predicted by the secant of the
    previous optima and re-maximised (Hessian carried over).  Stops when the alpha step is below tol/10.

    Error budget (alpha units): the last Newton step; the numerical error of the functional (solver + grid) over
    de/dalpha; the predicted gain still left in x (one-sided) over de/dalpha."""
    history = []
    prev = None
    for it in range(max_iter):
        p = opt.point
        step = -(p.e - 1.0) / p.e_alpha
        history.append({"alpha": p.alpha, "e": p.e, "estar": p.estar, "x": [float(v) for v in p.x],
                        "gain": opt.gain, "step": step})
        if abs(step) < tol / 10 and (opt.gain <= gain_tol or opt.gain / p.e_alpha < tol / 10 or it >= 4):
            budget = {"root_step": abs(step), "functional_error": p.e_error / p.e_alpha,
                      "stationarity": opt.gain / p.e_alpha}
            return Root(p.alpha + step, sum(budget.values()), opt, budget, history)
        u = p.u
        du = (u - prev[1]) / (p.alpha - prev[0]) if prev is not None else 0.0
        prev = (p.alpha, u)
        a = p.alpha + step
        x_pred = np.exp(u + du * step)
        if not _admissible(np.log(x_pred)):
            x_pred = p.x
        opt = maximise(ev, a, x_pred, init=p.init(), H=opt.hessian, gain_tol=gain_tol)
    raise ConvergenceError(f"r = {len(opt.x)} threshold: alpha step {history[-1]['step']:.2e} after {max_iter} "
                           "Newton steps", {"history": history})
