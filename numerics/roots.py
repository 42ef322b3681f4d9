"""Root finding with error reports: bracketed Brent in double precision, Newton in mpmath."""
from __future__ import annotations

import math

import mpmath
import numpy as np
from scipy.optimize import brentq

from numerics.results import ConvergenceError

EPS = np.finfo(float).eps


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
