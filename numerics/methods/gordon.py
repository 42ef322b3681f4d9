"""Gordon's escape through the mesh with a Chernoff estimate of the width (docs/theory.md §7, the authors' notebook):
a rigorous but weak upper bound, alpha/2 - 1 = min_{0<u<1} g(alpha, u).

In p = 1/alpha (generated/bounds_*.py, derive/bounds.py): route A nests Brent on dg/du = 0 (the minimiser
u*(p)) inside Brent on alpha/2 - 1 - g(alpha, u*(alpha)) = 0; route B is Newton on the 2x2 system
{alpha/2 - 1 - g = 0, dg/du = 0} with the derived Jacobian.  The minimiser is checked to be a minimum.
"""
from __future__ import annotations

import mpmath

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery import roots
from relu_injectivity.machinery.results import ConvergenceError
from relu_injectivity.methods import two_routes

U_EDGE = 1e-9
P_MIN = 1e-12
"""Smallest p = 1/alpha searched for the outer bracket (alpha up to 1e12)."""


def _u_star(g, p, xtol=0.0):
    u, err, _ = roots.brent(lambda x: float(g.bounds_gordon_stationarity(p, x)), U_EDGE, 1 - U_EDGE, xtol=xtol,
                            what=f"Gordon-Chernoff minimiser in u at alpha={1 / p}")
    return u


SYSTEM = (('bounds_gordon_threshold', 'bounds_gordon_stationarity'),
          (('bounds_gordon_jac_0_p', 'bounds_gordon_jac_0_u'), ('bounds_gordon_jac_1_p', 'bounds_gordon_jac_1_u')))
"""Names of the threshold system and its Jacobian rows in the generated module (for kernels.system)."""


@two_routes.threshold("gordon-chernoff", "bounds")
def threshold(g) -> two_routes.Found:
    """alpha_Gordon-Chernoff: above it a random ReLU layer is injective w.h.p. (weak rigorous bound)."""
    outer = lambda p: float(g.bounds_gordon_threshold(p, _u_star(g, p)))  # noqa: E731
    hi = float(g.bounds_gordon_p_lhs_zero())     # alpha/2 - 1 = 0 < g there: the outer function is negative
    hi, lo = roots.expand_bracket(outer, hi, hi / 2, factor=0.5, limit=P_MIN,
                                  what="Gordon-Chernoff threshold (alpha up to 1e12)")
    p_a, p_err, calls = roots.brent(outer, lo, hi, what="Gordon-Chernoff threshold (nested)")
    u_a = _u_star(g, p_a)
    alpha_a = float(g.bounds_gordon_alpha_of_p(p_a))
    x, it = two_routes.newton_system(g, SYSTEM, [1.05 * p_a, 0.95 * u_a], what="Gordon-Chernoff 2x2 system",
                                     tol=1e-15, domain=lambda x: x[0] > 0 and 0 < x[1] < 1)
    alpha_b = float(g.bounds_gordon_alpha_of_p(x[0]))
    curvature = float(g.bounds_gordon_jac_1_u(p_a, u_a))
    if not curvature > 0:
        raise ConvergenceError("Gordon-Chernoff: the stationary u is not a minimum", {"u": u_a, "d2g/du2": curvature})

    def mp_routes(digits):
        gm = kernels.mp("bounds")
        inner = _inner_mp(gm, u_a, digits + two_routes.GUARD_DIGITS)
        # route A: Newton on T(p, u*(p)) = 0; dT/dp = dT/dp at fixed u, since dT/du = -dg/du = 0 at u*(p)
        return [roots.Route("nested", lambda p: [gm.bounds_gordon_threshold(p, inner(p))],
                            lambda p: [[gm.bounds_gordon_jac_0_p(p, inner(p))]], gm.bounds_gordon_alpha_of_p,
                            gm.bounds_gordon_dalpha_dp),
                roots.Route("2x2 system", *kernels.system(gm, *SYSTEM),
                            lambda p, u: gm.bounds_gordon_alpha_of_p(p), lambda p, u: gm.bounds_gordon_dalpha_dp(p))
                ], [[p_a], list(x)]

    return two_routes.Found(
        (alpha_a, alpha_b), ("route_nested", "route_system"),
        {"u_star": u_a, "route_nested": alpha_a, "route_system": alpha_b, "d2g_du2": curvature,
         "brent_calls": calls, "newton_iterations": it},
        "difference of two routes (nested Brent, Newton on the 2x2 system), outer Brent bracket mapped to alpha, "
        "4-ulp floor",
        "difference of the nested (Newton over Newton) and 2x2-Newton routes and the last Newton steps",
        mp_routes, lambda r: {"u_star": r.xs[1][1]}, "Gordon-Chernoff", step=abs(g.bounds_gordon_dalpha_dp(p_a)) * p_err)


def _inner_mp(gm, u0, dps):
    """u*(p), the minimiser of g in u, by Newton in mpmath from the last one found (starting at u0)."""
    last = [u0]

    def inner(p):
        (u,), _, _ = roots.newton_mp(lambda v: [gm.bounds_gordon_stationarity(p, v)],
                                     lambda v: [[gm.bounds_gordon_jac_1_u(p, v)]], [last[0]],
                                     tol=mpmath.mpf(10) ** -(dps - 2), what="Gordon-Chernoff minimiser (mpmath)")
        last[0] = u
        return u

    return inner
