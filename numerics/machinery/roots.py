"""Root finding with error reports: bracketed Brent in double precision, Newton in mpmath."""
from __future__ import annotations

import math

import mpmath
import numpy as np
from scipy.optimize import brentq

from relu_injectivity.machinery.results import ConvergenceError

EPS = np.finfo(float).eps
NOISE_STEP = 1e-6
"""Below this relative step, a Newton step that no longer shrinks is the round-off floor."""


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


def expand_bracket(f, a: float, b: float, *, factor: float = 2.0, limit: float = 1e6, what: str):
    """Grow b geometrically until f(a), f(b) have opposite signs."""
    fa = f(a)
    while f(b) * fa > 0:
        b *= factor
        if b > limit:
            raise ConvergenceError(f"{what}: no sign change on [{a}, {limit}]", {"f(a)": fa})
    return a, b


def newton_mp(F, J, x0, *, tol, maxiter: int = 100, what: str):
    """Newton's method for F(x) = 0 in mpmath (x a list; J the Jacobian as nested lists).

    Returns (x, last step size, iterations).  Converged when the step is below ``tol`` (relative to |x|);
    with quadratic convergence the last step bounds the error of the previous iterate and the returned one is
    far more accurate.
    """
    x = mpmath.matrix([mpmath.mpf(v) for v in x0])
    steps = []
    for it in range(1, maxiter + 1):
        fx = mpmath.matrix(F(*x))
        jx = mpmath.matrix(J(*x))
        dx = mpmath.lu_solve(jx, fx)
        x = x - dx
        step = mpmath.norm(dx, mpmath.inf)
        steps.append(step)
        if step <= tol * max(1, mpmath.norm(x, mpmath.inf)):
            return list(x), step, it
    raise ConvergenceError(f"{what}: Newton did not converge in {maxiter} iterations",
                           {"steps": [mpmath.nstr(s, 5) for s in steps]})


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
