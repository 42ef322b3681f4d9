"""One rung of the r-RSB ladder as ONE system of equations, solved by Newton's method (docs/theory.md §4.11).

At the optimum of the r-step functional over its breakpoints, with alpha free at the threshold,

    S_i(q, chi; x, alpha) = G_i(q, chi) - Qhat_i(q, chi; x, alpha) = 0      i = 0..r   (stationarity in q, chi)
    g_j(q, chi; x, alpha) = x_j de/dx_j (at fixed q, chi)         = 0      j = 0..r-1 (envelope gradient, u = log x)
    e(q, chi; x, alpha) - 1                                        = 0                 (threshold; absent at fixed alpha)

are 2r + 2 equations in the 2r + 2 unknowns z = (w_0..w_{r-1}, log chi, log x_0..log x_{r-1}, alpha), where the
increments of q are a softmax of w (dq_i = e^{w_i} / sum_j e^{w_j}, w_r = 0), so that every iterate is an admissible
order parameter.  Every residual is one evaluation of the recursion (numerics/methods/frsb/recursion.py) and the
generated level algebra (levels.py): no fixed-point iteration is involved, so the near-unit eigenvalues that make
the authors' update slow (docs/theory.md §4.7) do not matter here.

Solution: first the r + 1 stationarity equations at the guessed (x, alpha) (the inner problem), then the whole
system, each by MINPACK's hybrid Powell method (scipy.optimize.root 'hybr': a forward-difference Jacobian, then
Broyden updates inside a trust region); where that fails from the guess, an ascent in the breakpoints first
(``ascend``).  At the root a central-difference Jacobian gives

* the last Newton correction of z (its alpha or energy component is part of the error bar);
* the reduced Hessian of the stationary value in u = log x, ``H = g_u - g_y S_y^{-1} S_u`` (y = (w, log chi)): the
  root is a maximum over the breakpoints only if H is negative definite (second-variation check, reported; from a
  saddle the solver escapes along the direction of positive curvature, ``_escape``);
* de/dalpha at fixed order parameter (generated frsb_functional_dalpha; envelope theorem), for the error in alpha.

Error bar: |last Newton correction| + |change of the functional on a finer h grid at the same z| / (de/dalpha) +
ROUNDOFF / (de/dalpha).  The dilation identity estar = functional + sum_i x_i de/dx_i (docs/theory.md §4.6) makes
|estar - functional| at the root a built-in check of the stationarity in x.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.interpolate import PchipInterpolator
from scipy.optimize import root

from relu_injectivity.machinery import backends as _backends
from relu_injectivity.machinery import kernels
from relu_injectivity.machinery.results import ConvergenceError
from relu_injectivity.methods.frsb import grid as _grid
from relu_injectivity.methods.frsb.levels import Levels
from relu_injectivity.methods.frsb.solver import COLLAPSE
from relu_injectivity.methods.frsb.recursion import MAX_BREAKPOINT, Recursion, fft_limit

GRID_EPS = 1e-11
"""Energy accuracy the h grid is planned for (numerics/methods/frsb/grid.py rules)."""
GRID_MARGIN = 1.3
"""The grid's window and resolution are planned with this margin, so that the iterates stay inside it."""
NOISE = 1e-12
"""Round-off level of one evaluation aimed at: levels whose FFT convolution would be noisier use the direct sums
(recursion.fft_limit); the Newton method needs residuals accurate well below ACCEPT."""
ROUNDOFF = 1e-12
"""Round-off floor of the functional through the recursion (energy units)."""
XTOL = 1e-13
"""Relative step tolerance of the hybrid method."""
MAX_CALLS = 40
"""Evaluations allowed per unknown in one call of the hybrid method."""
FIRST_CALLS = 6
"""... in the first attempt straight from the guess (before the ascent, which is safer but slower)."""
RESTARTS = 3
"""The hybrid method is restarted (fresh Jacobian) this many times when it stops without converging."""
ACCEPT = 1e-10
"""Largest residual (max norm) accepted as a root."""
TRUST, TRUST_MAX = 0.1, 0.5
"""Initial and largest step in u = log x of the ascent (``ascend``)."""
FLOOR = 1e-4
"""Eigenvalues of -H below FLOOR times the largest are raised to it in the ascent's modified Newton step."""
ESCAPE, ESCAPES = 0.05, 2
"""Step in log x away from a saddle along its direction of positive curvature, and how many escapes are tried."""
CENTRAL_STEP = 1e-5
"""Relative step of the central-difference Jacobian at the root."""
OUTSIDE = 1e3
"""Residual returned where the recursion cannot be evaluated (the trust region of the hybrid method shrinks)."""
MIN_RATIO = 1.05
"""Consecutive breakpoints of a resampled start are kept at least this ratio apart (merged levels make the
stationarity equations singular)."""
FALLBACK_TOL, FALLBACK_MIN_DQ = 1e-8, 1e-6
"""Tolerance of the fixed point that starts the inner problem where the hybrid method fails from the guess, and
the smallest increment of q its start gets (the update keeps a collapsed level collapsed)."""
CHORD_STEPS = 8
"""Chord Newton steps of the inner re-solve during the ascent."""
MAX_ASCENT = 40
"""Ascent steps before giving up."""
FFT_UP_TO = fft_limit(NOISE)
"""Levels with larger breakpoints are convolved by the direct sums (x > 9.6)."""


@dataclass
class State:
    """An order parameter of the r-step functional: q_0..q_r (q_r = 1), chi, breakpoints x, alpha."""

    q: np.ndarray
    chi: float
    x: np.ndarray
    alpha: float

    @property
    def r(self):
        return len(self.x)


@dataclass
class Rung:
    """A solved rung: the state at the root, its values, error budget and diagnostics."""

    state: State
    value: float
    error: float
    functional: float
    estar: float
    budget: dict
    diagnostics: dict = field(default_factory=dict)


class System:
    """The residual of the rung's equations on one h grid and backend (alpha free when ``alpha`` is None)."""

    def __init__(self, guess: State, *, alpha=None, backend="cpu", grid=None):
        self.r = guess.r
        self.fixed_alpha = None if alpha is None else float(alpha)
        self.grid = grid or _grid.plan(guess.chi, guess.q, GRID_EPS, margin=GRID_MARGIN, x_last=float(guess.x[-1]))
        self.backend = backend if isinstance(backend, _backends.Backend) else _backends.get(backend,
                                                                                             points=self.grid.M)
        self.calls = 0
        self._recursions = {}

    # coordinates ------------------------------------------------------------------------------------------
    def pack(self, s: State):
        dq = Levels.dq(np.asarray(s.q, dtype=float))
        if np.any(dq <= 0) or not s.chi > 0 or np.any(np.asarray(s.x) <= 0):
            raise ValueError(f"a rung state needs increasing q in (0, 1], chi > 0 and x > 0, got q = {list(s.q)}, "
                             f"chi = {s.chi}, x = {list(s.x)}")
        z = [np.log(dq[:-1] / dq[-1]), [math.log(s.chi)], np.log(s.x)]
        if self.fixed_alpha is None:
            z.append([s.alpha])
        return np.concatenate(z)

    def unpack(self, z) -> State:
        r = self.r
        w = np.concatenate([z[:r], [0.0]])
        dq = np.exp(w - w.max())
        x = np.exp(z[r + 1:2 * r + 1])
        q = Levels(x).q_from_increments(dq / dq.sum())
        a = z[-1] if self.fixed_alpha is None else self.fixed_alpha
        return State(q, float(math.exp(z[r])), x, float(a))

    # residual ---------------------------------------------------------------------------------------------
    def evaluate(self, s: State, grid=None):
        """(S, g, e, estar, energetic) at the state on this system's grid (or another)."""
        self.calls += 1
        grid = grid or self.grid
        if grid not in self._recursions:
            self._recursions[grid] = Recursion(self.backend, grid, s.x, s.alpha, fft_up_to=FFT_UP_TO)
        ev = self._recursions[grid].rebound(s.x, s.alpha).evaluate(s.q, s.chi)
        lev = Levels(s.x)
        S = lev.G(s.q, s.chi) - ev.Qhat
        g = s.x * lev.dx(s.q, s.chi, ev.level_energetic, s.alpha)
        e = lev.functional(s.q, s.chi, ev.energetic)
        return S, g, e, ev.estar, ev.energetic

    def admissible(self, z, s: State):
        """Whether the recursion can be evaluated at z: finite, q strictly increasing (a softmax weight can
        underflow), 0 < x_0 < ... < x_{r-1} <= MAX_BREAKPOINT (exp(log x) can underflow too), 0 < chi < inf,
        alpha > 0."""
        return bool(np.all(np.isfinite(z)) and np.all(np.diff(s.q, prepend=0.0) > 0) and s.x[0] > 0
                    and np.all(np.diff(s.x) > 0) and s.x[-1] <= MAX_BREAKPOINT and 0 < s.chi < np.inf
                    and s.alpha > 0)

    def equations(self, S, g, e):
        """The residual vector from the pieces: S, the breakpoint gradient, e - 1 where alpha is free."""
        return np.concatenate([S, g] + ([[e - 1.0]] if self.fixed_alpha is None else []))

    def residual(self, z):
        s = self.unpack(z)
        if not self.admissible(z, s):
            return np.full(len(z), OUTSIDE)
        S, g, e, _, _ = self.evaluate(s)
        self.last_value = e
        return self.equations(S, g, e)

    def inner_residual(self, z_outer):
        """Residual of the r + 1 stationarity equations in y = (w, log chi) at fixed (x, alpha) = z_outer."""
        def f(y):
            z = np.concatenate([y, z_outer])
            s = self.unpack(z)
            return self.evaluate(s)[0] if self.admissible(z, s) else np.full(len(y), OUTSIDE)
        return f

    def jacobian(self, z, f0=None, central=False):
        """Forward differences of the residual (step sqrt(eps) relative, as MINPACK), or central differences with
        step CENTRAL_STEP (truncation ~1e-10, round-off ~1e-12/CENTRAL_STEP: the accurate Jacobian of the final
        checks, whose reduced Hessian has eigenvalues down to ~1e-6)."""
        f0 = self.residual(z) if f0 is None else f0
        J = np.empty((len(f0), len(z)))
        for j in range(len(z)):
            h = (CENTRAL_STEP if central else math.sqrt(np.finfo(float).eps)) * max(abs(z[j]), 1.0)
            zz = z.copy()
            zz[j] += h
            if central:
                zm = z.copy()
                zm[j] -= h
                J[:, j] = (self.residual(zz) - self.residual(zm)) / (2 * h)
            else:
                J[:, j] = (self.residual(zz) - f0) / h
        return J


def _hybr(f, z0, what, calls=MAX_CALLS, restarts=RESTARTS):
    z, last = np.asarray(z0, dtype=float), None
    for _ in range(restarts + 1):
        sol = root(f, z, method="hybr", options={"xtol": XTOL, "maxfev": calls * len(z)})
        z, last = sol.x, sol
        if np.max(np.abs(sol.fun)) <= ACCEPT:
            return z, sol
    raise ConvergenceError(f"{what}: Newton (hybrid Powell) stops at residual {np.max(np.abs(last.fun)):.2e} "
                           f"(accepted: {ACCEPT:g}): {last.message.strip()}",
                           {"residual": [float(v) for v in last.fun], "z": [float(v) for v in z]})


def _inner(sysm: System, z, what, fallback=True):
    """z with (w, log chi) solved at its (x, alpha) by the hybrid method; where it fails (a poor guess of (q, chi)),
    from the fixed point of the authors' update at these breakpoints (numerics/methods/frsb: slower, but it
    converges from afar), polished by the hybrid method."""
    ny = sysm.r + 1
    label = f"{what}: (q, chi) at x = {np.exp(z[ny:ny + sysm.r])}"
    try:
        y, _ = _hybr(sysm.inner_residual(z[ny:]), z[:ny], label)
    except ConvergenceError:
        if not fallback:
            raise
        from relu_injectivity.methods import frsb

        s = sysm.unpack(z)
        dq = np.maximum(Levels.dq(s.q), FALLBACK_MIN_DQ)
        q0 = Levels(s.x).q_from_increments(dq / dq.sum())
        try:
            fp = frsb.energy(s.alpha, k=s.r, breakpoints=[float(v) for v in s.x], tol=FALLBACK_TOL,
                             init={"q": q0.tolist(), "chi": s.chi}, backend=sysm.backend.name)
        except ValueError as exc:
            raise ConvergenceError(f"{label}: the fixed point cannot start there ({exc})", {}) from exc
        d = fp.diagnostics
        if np.any(np.diff(d["q"], prepend=0.0) <= 0):
            raise ConvergenceError(f"{label}: the fixed point has collapsed levels", {"q": d["q"]}) from None
        zf = sysm.pack(State(np.asarray(d["q"], float), float(d["chi"]), s.x, s.alpha))
        y, _ = _hybr(sysm.inner_residual(z[ny:]), zf[:ny], label)
    return np.concatenate([y, z[ny:]])


def _lsq(A, b):
    """A^{-1} b, by least squares where A is (nearly) singular (two levels of a rough guess almost merged)."""
    return np.linalg.lstsq(A, b, rcond=None)[0]


def _negdef(H):
    """Eigen-decomposition of -H with eigenvalues floored at FLOOR times the largest (a modified Newton step
    towards a maximum where H is not negative definite)."""
    w, V = np.linalg.eigh(-0.5 * (H + H.T))
    scale = max(float(np.max(np.abs(w))), 1e-300)
    return V, np.maximum(w, FLOOR * scale)


def _chord(sysm: System, z, Syy, what):
    """z with (w, log chi) re-solved at its (x, alpha) by chord Newton steps with the given dS/dy (one evaluation
    each; the hybrid method with a fresh Jacobian where they do not converge)."""
    ny = sysm.r + 1
    z = z.copy()
    for _ in range(CHORD_STEPS):
        S = sysm.inner_residual(z[ny:])(z[:ny])
        if np.max(np.abs(S)) <= ACCEPT / 10:
            return z
        z[:ny] -= _lsq(Syy, S)
        if not np.all(np.isfinite(z)):
            break
    return _inner(sysm, z, what)


def ascend(sysm: System, z, *, what, full: System = None, max_iter=MAX_ASCENT):
    """Maximise the stationary functional over u = log x at the system's fixed alpha, from z (inner-solved):
    modified Newton steps with the reduced Hessian H = g_u - g_y S_y^{-1} S_u of the joint Jacobian, inside a trust
    region, accepted when the functional rises (inner re-solve by chord steps).  Brings a rough guess into the basin
    of the joint Newton method: where H is not negative definite the hybrid method heads for saddles.  As soon as
    H is negative definite, the joint system ``full`` (alpha free, if given; else this one) is tried by the
    hybrid method; its root is returned."""
    r, ny = sysm.r, sysm.r + 1
    target = full or sysm
    trust = TRUST
    f = sysm.residual(z)
    e = sysm.last_value
    for _ in range(max_iter):
        J = sysm.jacobian(z, f)
        H = J[ny:ny + r, ny:ny + r] - J[ny:ny + r, :ny] @ _lsq(J[:ny, :ny], J[:ny, ny:ny + r])
        if np.all(np.linalg.eigvalsh(0.5 * (H + H.T)) < 0):
            try:
                zt, _ = _hybr(target.residual, target.pack(sysm.unpack(z)), what, calls=FIRST_CALLS, restarts=0)
                return zt
            except ConvergenceError:
                pass
        g = f[ny:ny + r]
        V, lam = _negdef(H)
        step = V @ ((V.T @ g) / lam)
        for _ in range(12):
            scale = min(1.0, trust / float(np.max(np.abs(step))))
            du = scale * step
            zn = z.copy()
            zn[:ny] -= _lsq(J[:ny, :ny], J[:ny, ny:ny + r] @ du)
            zn[ny:ny + r] += du
            try:
                zn = _chord(sysm, zn, J[:ny, :ny], what)
            except ConvergenceError:
                trust *= 0.25
                continue
            fn = sysm.residual(zn)
            if sysm.last_value > e:
                z, f, e = zn, fn, sysm.last_value
                trust = min(2 * trust, TRUST_MAX) if scale == 1.0 else trust
                break
            trust *= 0.25
        else:
            raise ConvergenceError(f"{what}: no step in the breakpoints raises the functional", {"x": np.exp(
                z[ny:ny + r]).tolist(), "gradient": g.tolist()})
    raise ConvergenceError(f"{what}: the breakpoints are not optimal after {max_iter} ascent steps",
                           {"x": np.exp(z[ny:ny + r]).tolist()})


def solve(guess: State, *, alpha=None, backend="cpu", what=None) -> Rung:
    """The rung through ``guess`` (alpha free: threshold; alpha given: energy e_r(alpha)).  First (q, chi) at the
    guessed breakpoints, then the joint Newton method; where it fails, an ascent in the breakpoints at the guessed
    alpha first (``ascend``); from a saddle, an escape (``_escape``).  ConvergenceError with the residual when
    nothing converges (a singular Jacobian included); the result's budget says where the error bar comes from."""
    what = what or (f"rung r = {guess.r}" + ("" if alpha is None else f" at alpha = {alpha:g}"))
    try:
        return _solve(guess, alpha=alpha, backend=backend, what=what)
    except np.linalg.LinAlgError as exc:
        raise ConvergenceError(f"{what}: singular Jacobian ({exc})", {"x": list(map(float, guess.x)),
                                                                      "alpha": guess.alpha}) from exc


def _solve(guess: State, *, alpha, backend, what) -> Rung:
    t0 = time.perf_counter()
    r = guess.r
    sysm = System(guess, alpha=alpha, backend=backend)
    z = _inner(sysm, sysm.pack(guess), what)
    try:
        z, _ = _hybr(sysm.residual, z, what, calls=FIRST_CALLS, restarts=0)
    except ConvergenceError:
        fixed = System(guess, alpha=guess.alpha if alpha is None else alpha, backend=sysm.backend, grid=sysm.grid)
        z = ascend(fixed, fixed.pack(sysm.unpack(z)), what=what, full=sysm)
    s = sysm.unpack(z)
    need_h, need_p = _grid.requirements(s.chi, s.q, GRID_EPS, s.x[-1])
    if need_h > min(sysm.grid.left, sysm.grid.right) or need_p > round(1 / sysm.grid.dh):
        sysm = System(s, alpha=alpha, backend=sysm.backend.name)
        z, _ = _hybr(sysm.residual, sysm.pack(s), what)
    for attempt in range(ESCAPES + 1):
        try:
            return _finish(sysm, z, alpha, what, t0)
        except Saddle as exc:
            if attempt == ESCAPES:
                raise ConvergenceError(str(exc), exc.diagnostics) from None
            z = _escape(sysm, exc, alpha, what)


class Saddle(ConvergenceError):
    """A root of the rung's equations where the stationary functional is not a maximum over the breakpoints; carries
    the root and the direction (in log x) of positive curvature."""

    def __init__(self, message, diagnostics, z, direction):
        super().__init__(message, diagnostics)
        self.z, self.direction = z, direction


def _escape(sysm: System, saddle: Saddle, alpha, what):
    """From a saddle: a step of ESCAPE in log x along the direction of positive curvature (the sign that raises the
    functional after (q, chi) are re-solved), then the ascent and the joint Newton method again."""
    s0 = sysm.unpack(saddle.z)
    fixed = System(s0, alpha=s0.alpha, backend=sysm.backend, grid=sysm.grid)
    ny, r = sysm.r + 1, sysm.r
    best = None
    for sign in (1.0, -1.0):
        z = fixed.pack(s0)
        z[ny:ny + r] += sign * ESCAPE * saddle.direction
        try:
            z = _inner(fixed, z, what)
        except ConvergenceError:
            continue
        fixed.residual(z)
        if best is None or fixed.last_value > best[0]:
            best = (fixed.last_value, z)
    if best is None:
        raise ConvergenceError(str(saddle), saddle.diagnostics)
    return ascend(fixed, best[1], what=what, full=sysm)


def _finish(sysm: System, z, alpha, what, t0) -> Rung:
    r = sysm.r
    s = sysm.unpack(z)
    S, g, e, estar, energetic = sysm.evaluate(s)
    f0 = sysm.equations(S, g, e)
    J = sysm.jacobian(z, f0, central=True)
    dz = np.linalg.solve(J, -f0)
    ny = r + 1
    Syy, Syu = J[:ny, :ny], J[:ny, ny:ny + r]
    guy, guu = J[ny:ny + r, :ny], J[ny:ny + r, ny:ny + r]
    H = guu - guy @ np.linalg.solve(Syy, Syu)
    H = 0.5 * (H + H.T)
    curv, vecs = np.linalg.eigh(H)
    if not np.all(curv < 0):
        raise Saddle(f"{what}: the root is not a maximum over the breakpoints (eigenvalues of the reduced Hessian "
                     f"{curv.tolist()})", {"hessian_eigenvalues": curv.tolist(), "x": s.x.tolist()}, z, vecs[:, -1])
    de_dalpha = _slope(energetic, s.alpha)
    g_ = sysm.grid
    fine = _grid.finer(g_)
    e_fine = sysm.evaluate(s, fine)[2]
    if alpha is None:
        budget = {"newton_step": abs(float(dz[-1])), "grid": abs(e_fine - e) / de_dalpha,
                  "roundoff": ROUNDOFF / de_dalpha}
        value = s.alpha + float(dz[-1])
    else:
        # the functional is stationary in every unknown: the last correction changes it at second order only
        budget = {"newton_step": float(np.max(np.abs(f0))) * float(np.sum(np.abs(dz))),
                  "grid": abs(e_fine - e), "roundoff": ROUNDOFF}
        value = e
    diag = {"q": s.q.tolist(), "chi": s.chi, "x": s.x.tolist(), "alpha": s.alpha, "functional": e, "estar": estar,
            "estar_minus_functional": estar - e, "residual": float(np.max(np.abs(f0))),
            "hessian_eigenvalues": curv.tolist(), "de_dalpha": de_dalpha, "grid": g_.describe(),
            "check_grid": fine.describe(), "functional_check_grid": e_fine, "evaluations": sysm.calls,
            "backend": sysm.backend.name, "time_s": time.perf_counter() - t0}
    return Rung(s, value, sum(budget.values()), e, estar, budget, diag)


def _slope(energetic, alpha):
    """de/dalpha at fixed order parameter (generated: derive.frsb.functional_dalpha)."""
    return float(kernels.numba("frsb").frsb_functional_dalpha(float(energetic), float(alpha)))


# ------------------------------------------------------------------------------------------------- guesses

def _positions(n):
    return (np.arange(n) + 1.0) / (n + 1.0)


def _profiles(s: State):
    """log x_i and log(1 - q_i), i = 0..r-1, of a rung's state."""
    return np.log(np.asarray(s.x, float)), np.log(1.0 - np.asarray(s.q, float)[:-1])


def _carry(values, r):
    """Profiles given at the positions of len(values[0]) levels, read at the positions of r levels (monotone
    piecewise-cubic interpolation, extrapolated at the ends)."""
    n = len(values[0])
    return [PchipInterpolator(_positions(n), v, extrapolate=True)(_positions(r)) for v in values]


def resample(prev: State, r: int, before: State = None) -> State:
    """A start for rung r from the optimum ``prev`` of rung r - 1: log x_i and log(1 - q_i) as functions of the
    level position (i + 1)/(r' + 1), read at the r new positions; with ``before`` (rung r - 2), corrected by the
    error the same reading made from ``before`` to ``prev`` (measured: 2-5% in x at r = 5..8 against 5-17% for a
    quadratic fit).  From one breakpoint x: (0.8 x, 1.6 x) with the lower level kept and the upper one at
    (1 + 9 q)/10 (the pattern of rungs 1 and 2)."""
    x, q = np.asarray(prev.x, float), np.asarray(prev.q, float)
    if len(x) == 1:
        xs = x[0] * np.geomspace(0.8, 1.6, r)
        qs = 1.0 - (1.0 - q[0]) * np.geomspace(1.0, 0.1, r)
    else:
        lx, lq = _carry(_profiles(prev), r)
        if before is not None and before.r >= 2:
            seen = _carry(_profiles(before), prev.r)
            ex, eq = _carry([p - s for p, s in zip(_profiles(prev), seen)], r)
            lx, lq = lx + ex, lq + eq
        xs, qs = np.exp(lx), 1.0 - np.exp(lq)
    for i in range(1, r):
        xs[i] = max(xs[i], MIN_RATIO * xs[i - 1])
    qs = np.clip(qs, 1e-6, 1.0 - 1e-9)
    qs = np.maximum.accumulate(qs) + 1e-9 * np.arange(r)
    return State(np.concatenate([qs, [1.0]]), prev.chi, xs, prev.alpha)


# ------------------------------------------------------------------------------- fixed breakpoints (k-step)

class FixedBreakpoints(System):
    """The stationarity equations at given breakpoints with alpha free and e = 1: the threshold of the k-step
    *functional* at fixed breakpoints (unknowns (w, log chi, alpha)).  Since the ground state is the supremum of
    the functional over the order parameter (docs/theory.md §4.11), the functional at any breakpoints is a lower
    bound on e_FRSB(alpha) within the ansatz, and its threshold an upper bound on alpha_FRSB."""

    def __init__(self, guess: State, *, backend="cpu", grid=None):
        super().__init__(guess, alpha=None, backend=backend, grid=grid)
        self.x = np.asarray(guess.x, dtype=float)

    def pack(self, s: State):
        z = super().pack(s)
        return np.concatenate([z[:self.r + 1], z[-1:]])

    def unpack(self, z) -> State:
        r = self.r
        s = super().unpack(np.concatenate([z[:r + 1], np.log(self.x), z[-1:]]))
        s.x = self.x
        return s

    def equations(self, S, g, e):
        return np.concatenate([S, [e - 1.0]])


def active(s: State, collapse=COLLAPSE) -> State:
    """The state without its collapsed levels: where dq_{i+1} = q_{i+1} - q_i <= collapse the breakpoint x_i
    separates two equal levels and drops out of the functional (the k-step functional with a collapsed level is the
    (k-1)-step functional without that breakpoint)."""
    q = np.asarray(s.q, dtype=float)
    keep = np.diff(q) > collapse
    return State(np.concatenate([q[:1], q[1:][keep]]), s.chi, np.asarray(s.x, dtype=float)[keep], s.alpha)


def functional_threshold(guess: State, *, backend="cpu", what="threshold of the functional") -> Rung:
    """alpha where the stationary k-step functional at the breakpoints guess.x equals 1, from ``guess`` (e.g. the
    fixed point of the authors' update at the estar threshold).  Levels collapsed in the guess stay collapsed (the
    maximum over q at fixed breakpoints lies on that face of dq >= 0; see ``active``).  Error: last Newton
    correction + (grid change of the functional + round-off)/(de/dalpha)."""
    t0 = time.perf_counter()
    k = guess.r
    guess = active(guess)
    sysm = FixedBreakpoints(guess, backend=backend)
    z, _ = _hybr(sysm.residual, sysm.pack(guess), what)
    s = sysm.unpack(z)
    f0 = sysm.residual(z)
    dz = np.linalg.solve(sysm.jacobian(z, f0), -f0)
    S, _, e, estar, energetic = sysm.evaluate(s)
    de_dalpha = _slope(energetic, s.alpha)
    g_ = sysm.grid
    fine = _grid.finer(g_)
    e_fine = sysm.evaluate(s, fine)[2]
    budget = {"newton_step": abs(float(dz[-1])), "grid": abs(e_fine - e) / de_dalpha, "roundoff": ROUNDOFF / de_dalpha}
    diag = {"q": s.q.tolist(), "chi": s.chi, "x": s.x.tolist(), "functional": e, "estar": estar,
            "residual": float(np.max(np.abs(f0))), "de_dalpha": de_dalpha, "grid": g_.describe(),
            "evaluations": sysm.calls, "levels": k, "active_levels": s.r, "time_s": time.perf_counter() - t0}
    return Rung(s, s.alpha + float(dz[-1]), sum(budget.values()), e, estar, budget, diag)
