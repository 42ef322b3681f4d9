"""Gordon's escape through the mesh with a Chernoff estimate of the width (docs/theory.md §7, the authors' notebook):
a rigorous but weak upper bound, alpha/2 - 1 = min_{0<u<1} g(alpha, u).

In p = 1/alpha (generated/bounds_*.py, derive/bounds.py): route A nests Brent on dg/du = 0 (the minimiser
u*(p)) inside Brent on alpha/2 - 1 - g(alpha, u*(alpha)) = 0; route B is Newton on the 2x2 system
{alpha/2 - 1 - g = 0, dg/du = 0} with the derived Jacobian.  The minimiser is checked to be a minimum.
"""
from __future__ import annotations

import time

import mpmath
import numpy as np

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery import roots
from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import ConvergenceError, ThresholdResult

GUARD_DIGITS = 10
U_EDGE = 1e-9


def _u_star(g, p, xtol=0.0):
    u, err, _ = roots.brent(lambda x: float(g.bounds_gordon_stationarity(p, x)), U_EDGE, 1 - U_EDGE, xtol=xtol,
                            what=f"Gordon-Chernoff minimiser in u at alpha={1 / p}")
    return u


def _system(g, x):
    f = np.array([g.bounds_gordon_threshold(*x), g.bounds_gordon_stationarity(*x)])
    j = np.array([[g.bounds_gordon_jac_0_p(*x), g.bounds_gordon_jac_0_u(*x)],
                  [g.bounds_gordon_jac_1_p(*x), g.bounds_gordon_jac_1_u(*x)]])
    return f, j


def threshold(*, digits=None) -> ThresholdResult:
    """alpha_Gordon-Chernoff: above it a random ReLU layer is injective w.h.p. (weak rigorous bound)."""
    digits = validate.digits(digits)
    t0 = time.perf_counter()
    g = kernels.numba("bounds")
    outer = lambda p: float(g.bounds_gordon_threshold(p, _u_star(g, p)))  # noqa: E731
    hi = 0.5                      # alpha = 2: alpha/2 - 1 = 0 < g, so the outer function is negative there
    lo = hi / 2
    while outer(lo) < 0:
        lo /= 2
        if lo < 1e-12:
            raise ConvergenceError("Gordon-Chernoff: no sign change for alpha up to 1e12", {})
    p_a, p_err, calls = roots.brent(outer, lo, hi, what="Gordon-Chernoff threshold (nested)")
    u_a = _u_star(g, p_a)
    alpha_a = float(g.bounds_gordon_alpha_of_p(p_a))
    x = np.array([1.05 * p_a, 0.95 * u_a])
    for it in range(1, 101):
        f, j = _system(g, x)
        dx = np.linalg.solve(j, f)
        x = x - dx
        if np.max(np.abs(dx / x)) < 1e-15:
            break
    else:
        raise ConvergenceError("Gordon-Chernoff: 2x2 Newton did not converge", {"last_step": dx.tolist()})
    alpha_b = float(g.bounds_gordon_alpha_of_p(x[0]))
    curvature = float(g.bounds_gordon_jac_1_u(p_a, u_a))
    if not curvature > 0:
        raise ConvergenceError("Gordon-Chernoff: the stationary u is not a minimum", {"u": u_a, "d2g/du2": curvature})
    diag = {"u_star": u_a, "route_nested": alpha_a, "route_system": alpha_b, "d2g_du2": curvature,
            "brent_calls": calls, "newton_iterations": it}
    if digits is None:
        alpha = alpha_a
        err = max(abs(alpha_a - alpha_b), alpha_a**2 * p_err, 4 * roots.EPS * alpha_a)
        how = ("difference of two routes (nested Brent, Newton on the 2x2 system), outer Brent bracket mapped to "
               "alpha, 4-ulp floor")
    else:
        gm = kernels.mp("bounds")
        dps = digits + GUARD_DIGITS
        with mpmath.workdps(dps):
            tol = mpmath.mpf(10)**-(dps - 2)

            def inner(p):
                (us,), _, _ = roots.newton_mp(lambda uu: [gm.bounds_gordon_stationarity(p, uu)],
                                              lambda uu: [[gm.bounds_gordon_jac_1_u(p, uu)]], [u_a], tol=tol,
                                              what="Gordon-Chernoff minimiser (mpmath)")
                return us

            pa = mpmath.findroot(lambda p: gm.bounds_gordon_threshold(p, inner(p)), mpmath.mpf(p_a), tol=tol**2)
            alpha = gm.bounds_gordon_alpha_of_p(pa)
            (pb, ub), step, its = roots.newton_mp(
                lambda p, uu: [gm.bounds_gordon_threshold(p, uu), gm.bounds_gordon_stationarity(p, uu)],
                lambda p, uu: [[gm.bounds_gordon_jac_0_p(p, uu), gm.bounds_gordon_jac_0_u(p, uu)],
                               [gm.bounds_gordon_jac_1_p(p, uu), gm.bounds_gordon_jac_1_u(p, uu)]],
                [x[0], x[1]], tol=tol, what="Gordon-Chernoff 2x2 system (mpmath)")
            alpha_bm = gm.bounds_gordon_alpha_of_p(pb)
            diff = abs(alpha - alpha_bm)
            err = float(max(diff, alpha**2 * step, mpmath.mpf(10)**(1 - digits) * alpha / 2))
            diag.update(u_star=ub, route_nested=alpha, route_system=alpha_bm, route_difference=diff,
                        newton_iterations=its, working_digits=dps)
        how = (f"mpmath at {dps} digits: difference of the nested (secant over Newton) and 2x2-Newton routes and "
               f"the last Newton step, bounded below by half a unit in the {digits}th printed digit")
    diag["time_s"] = time.perf_counter() - t0
    return ThresholdResult("gordon-chernoff", alpha, err, how, {"digits": digits}, diag, digits)
