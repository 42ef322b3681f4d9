"""Root finding with error reports: the project's one bracketing method and one Newton method.

* :func:`brent` (bracketed, double precision) with :func:`expand_bracket` to find the bracket;
* :func:`newton` (double precision, damped, for systems) and :func:`newton_mp` (mpmath, for systems; with a
  fixed Jacobian it is the chord iteration);
* the error bar of a root reached by several routes: :func:`spread_error` with the floors :func:`ulp_floor`
  (double) and :func:`half_unit` (mpmath at ``digits``), and :func:`refine` that runs the routes of a
  threshold in mpmath and combines them ("two routes + final Newton steps + half a unit in the last digit").
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import mpmath
import numpy as np
from scipy.optimize import brentq

from relu_injectivity.machinery.results import ConvergenceError

EPS = np.finfo(float).eps
NOISE_STEP = 1e-6
"""Below this relative step, a Newton step that no longer shrinks is the round-off floor."""
CHORD_MAX_RATE = mpmath.mpf("0.1")
"""A chord iteration contracting more slowly than this is not converging (its Jacobian is too far off)."""


def brent(f, a: float, b: float, *, what: str, xtol: float = 0.0, rtol: float = 4 * EPS, maxiter: int = 200):
    """Root of f in [a, b] by Brent's method; returns (root, bracket error bound, function calls).

    Raises ConvergenceError when f(a), f(b) do not bracket a root (the values are in the diagnostics).
    """
    fa, fb = f(a), f(b)
    if not (math.isfinite(fa) and math.isfinite(fb)) or fa * fb > 0:
        raise ConvergenceError(f"{what}: no sign change on [{a}, {b}] (f = {fa}, {fb})",
                               {"bracket": (a, b), "f": (fa, fb)})
    if fa == 0:
        return a, 0.0, 2
    if fb == 0:
        return b, 0.0, 2
    root, info = brentq(f, a, b, xtol=max(xtol, 1e-300), rtol=rtol, maxiter=maxiter, full_output=True)
    if not info.converged:
        raise ConvergenceError(f"{what}: Brent did not converge in {maxiter} iterations",
                               {"flag": info.flag, "iterations": info.iterations})
    return root, 2 * (xtol + rtol * abs(root)), info.function_calls


def step_until(f, x: float, stop, *, factor: float, limit: float, what: str) -> float:
    """x moved geometrically (x *= factor) until ``stop(f(x))``; factor > 1 grows x up to ``limit``, factor < 1
    shrinks it down to ``limit``; beyond it, ConvergenceError."""
    if not (factor > 0 and factor != 1):
        raise ValueError(f"step_until: factor must be > 0 and != 1, got {factor}")
    while not stop(f(x)):
        x *= factor
        if (x > limit) if factor > 1 else (x < limit):
            raise ConvergenceError(f"{what}: no suitable point up to {limit}", {"last": x})
    return x


def expand_bracket(f, a: float, b: float, *, factor: float = 2.0, limit: float = 1e6, what: str):
    """Move b geometrically (b *= factor) until f(a), f(b) have opposite signs (or f(b) = 0); returns (a, b).

    factor > 1 grows b up to ``limit``, factor < 1 shrinks it down to ``limit``; beyond it, ConvergenceError.
    """
    fa = f(a)
    try:
        return a, step_until(f, b, lambda fb: fb * fa <= 0, factor=factor, limit=limit, what=what)
    except ConvergenceError as exc:
        raise ConvergenceError(f"{what}: no sign change on [{a}, {limit}]", {"f(a)": fa}) from exc


def newton_mp(F, J, x0, *, tol, maxiter: int = 100, what: str):
    """Newton's method for F(*x) = 0 in mpmath (x a list, F(*x) a list).

    ``J`` is the Jacobian: a function returning nested lists, or a fixed matrix (nested lists or an array, e.g.
    the double-precision Jacobian at the double solution), which makes this the chord iteration.

    Newton: converged when the step is below ``tol`` relative to max(1, |x|); with quadratic convergence the
    last step bounds the error of the previous iterate and the returned one is far more accurate.  Returns
    (x, last step, iterations).

    Chord: the iteration contracts linearly, with a rate r about the relative error of J; the error of x_k is
    below r/(1-r) step_k.  Converged when 10 times that bound is below ``tol`` relative to |x|; returns
    (x, that error bound, iterations).
    """
    x = mpmath.matrix([mpmath.mpf(v) for v in x0])
    chord = not callable(J)
    jx = mpmath.matrix(np.asarray(J).tolist()) if chord else None
    steps = []
    for it in range(1, maxiter + 1):
        fx = mpmath.matrix(F(*x))
        dx = mpmath.lu_solve(jx if chord else mpmath.matrix(J(*x)), fx)
        x = x - dx
        size = mpmath.norm(x, mpmath.inf)
        if not chord:
            step = mpmath.norm(dx, mpmath.inf)
            steps.append(step)
            if step <= tol * max(1, size):
                return list(x), step, it
            continue
        steps.append(mpmath.norm(dx, mpmath.inf) / size)
        if it >= 2:
            rate = steps[-1] / steps[-2]
            if rate > CHORD_MAX_RATE:
                break
            bound = 10 * rate / (1 - rate) * steps[-1]
            if bound < tol:
                return list(x), bound * size, it
    kind = "chord iteration" if chord else f"Newton in {maxiter} iterations"
    raise ConvergenceError(f"{what}: {kind} did not converge",
                           {"relative_steps" if chord else "steps": [mpmath.nstr(s, 5) for s in steps]})


def newton(F, J, x0, *, what, domain, tol=1e-14, maxiter=60):
    """Newton's method in double precision with step halving (keeps x in ``domain``, a predicate, and the
    residual from growing).

    Converged when the relative step is below tol, or, once below NOISE_STEP, when it no longer shrinks
    (the round-off floor of an ill-conditioned Jacobian, e.g. near alpha = 2).  Returns (x, last relative
    step, iterations, residual history).
    """
    x = np.array(x0, dtype=float)
    fx = F(x)
    history, last = [float(np.max(np.abs(fx)))], np.inf
    for it in range(1, maxiter + 1):
        dx = np.linalg.solve(J(x), fx)
        t = 1.0
        while True:
            trial = x - t * dx
            ft = _finite(F, trial, domain)
            if ft is not None and (np.max(np.abs(ft)) <= 2 * history[-1] or t < 1e-3):
                break
            t /= 2
            if t < 1e-6:
                raise ConvergenceError(f"{what}: Newton step leaves the domain", {"x": x.tolist(),
                                       "step": dx.tolist(), "residuals": history})
        x, fx = trial, ft
        history.append(float(np.max(np.abs(fx))))
        step = float(np.max(np.abs(t * dx) / np.abs(x)))
        if step < tol or (step < NOISE_STEP and step > last / 4):
            return x, step, it, history
        last = step
    raise ConvergenceError(f"{what}: Newton did not converge in {maxiter} iterations",
                           {"x": x.tolist(), "residuals": history})


def _finite(F, x, domain):
    """F(x) if x is in the domain and F(x) is finite there, else None (numba raises ZeroDivisionError where a
    kernel underflows to 0/0, e.g. exp(-c) at c ~ 1e3)."""
    if not domain(x):
        return None
    try:
        f = F(x)
    except ZeroDivisionError:
        return None
    return f if np.all(np.isfinite(f)) else None


# ------------------------------------------------------------------------------------------------ error bars

def ulp_floor(value, ulps: int = 4) -> float:
    """The round-off floor of a double result: ``ulps`` units of EPS relative to |value|."""
    return ulps * EPS * abs(value)


def half_unit(value, digits: int):
    """Half a unit in the last of ``digits`` significant digits of ``value`` (exact for 1 <= |value| < 10)."""
    return mpmath.mpf(10) ** (1 - digits) * abs(value) / 2


def spread_error(value, others=(), *, steps=(), floor=0.0) -> float:
    """Error bar of a root reached by several routes: the largest of |value - other| over the other routes'
    values, the last (mapped) step of each route, and the floor (round-off or the last printed digit)."""
    return float(max([abs(value - o) for o in others] + list(steps) + [floor]))


@dataclass(frozen=True)
class Route:
    """One way to a root in mpmath: Newton on F(*x) = 0 (Jacobian J), then the result is value(*x).

    ``slope(*x)`` is d value/dx of a one-variable route, mapping its last Newton step into the result; None
    where the step is taken as it is (x contains the result, or value is x shifted)."""

    name: str
    F: Callable
    J: Callable
    value: Callable
    slope: Callable | None = None


@dataclass
class Refined:
    """What :func:`refine` found: the first route's value, the error bar, and per route x, value, step, iterations."""

    value: object
    error: float
    xs: list
    values: list
    steps: list
    iterations: tuple
    working_digits: int

    @property
    def route_difference(self):
        return max((abs(self.value - v) for v in self.values[1:]), default=mpmath.mpf(0))


def refine(routes, starts, *, digits: int, guard: int, what: str) -> Refined:
    """Run each route's Newton iteration in mpmath at digits + guard working digits from its double start.

    The error bar is :func:`spread_error` of the first route's value against the others, with each route's last
    step (mapped by its slope) and :func:`half_unit` in the ``digits``-th digit as the floor.
    """
    dps = digits + guard
    with mpmath.workdps(dps):
        tol = mpmath.mpf(10) ** -(dps - 2)
        xs, values, steps, its = [], [], [], []
        for r, x0 in zip(routes, starts):
            x, step, n = newton_mp(r.F, r.J, x0, tol=tol, what=f"{what}, {r.name} (mpmath)")
            xs.append(x)
            values.append(r.value(*x))
            steps.append(step if r.slope is None else abs(r.slope(*x)) * step)
            its.append(n)
        error = spread_error(values[0], values[1:], steps=steps, floor=half_unit(values[0], digits))
    return Refined(values[0], error, xs, values, steps, tuple(its), dps)
