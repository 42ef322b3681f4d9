"""Union bound over orthants (docs/theory.md §7): injective w.h.p. above alpha_union, where the exponent of
S(m, n-1) S(m-1, n-1) / 2^{m-1} >= P(non-injective) crosses zero (rigorous upper bound on alpha_inj).

The exponent comes from generated/bounds_*.py (Stirling limits derived in derive/bounds.py), in two
parametrisations: p = 1/alpha (route A: Brent in double, Newton in mpmath on the p-form) and y = alpha - 1
(route B: Newton on the form SymPy derived directly in alpha).  The rate is valid where the domination ratio
of the partial sum is < 1; that is checked at the root.
"""
from __future__ import annotations

import numpy as np

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery import roots
from relu_injectivity.machinery.results import ConvergenceError
from relu_injectivity.methods import two_routes

P_EDGE = 1e-12


@two_routes.threshold("union", "bounds")
def threshold(g) -> two_routes.Found:
    """alpha_union: root of 2 alpha h(1/alpha) - alpha log 2 (h the binary entropy in nats)."""
    ratio_one, _, _ = two_routes.unit_root(g.bounds_union_ratio, P_EDGE, level=1,
                                           what="union bound: domination ratio = 1")
    p_a, p_err, calls = roots.brent(lambda p: float(g.bounds_union_rate(p)), P_EDGE, ratio_one,
                                    what="union-bound exponent = 0 (p = 1/alpha)")
    alpha_a = float(g.bounds_union_alpha_of_p(p_a))
    y_start = 1.1 * g.bounds_union_y_of_alpha(alpha_a)
    (y_b,), _, its_b, _ = roots.newton(lambda y: np.array([g.bounds_union_rate_y(y[0])]),
                                       lambda y: np.array([[g.bounds_union_rate_y_dy(y[0])]]), [y_start],
                                       what="union-bound exponent = 0 (y = alpha - 1)", domain=lambda y: y[0] > 0,
                                       tol=2 * roots.EPS)
    alpha_b = float(g.bounds_union_alpha_of_y(y_b))
    ratio = float(g.bounds_union_ratio(p_a))
    if not ratio < 1:
        raise ConvergenceError("union bound: the root lies where the partial sum is not dominated by its last term",
                               {"alpha": alpha_a, "ratio": ratio})

    def mp_routes(digits):
        gm = kernels.mp("bounds")
        return [roots.Route("p = 1/alpha", lambda p: [gm.bounds_union_rate(p)],
                            lambda p: [[gm.bounds_union_rate_dp(p)]], gm.bounds_union_alpha_of_p,
                            gm.bounds_union_dalpha_dp),
                roots.Route("y = alpha - 1", lambda y: [gm.bounds_union_rate_y(y)],
                            lambda y: [[gm.bounds_union_rate_y_dy(y)]], gm.bounds_union_alpha_of_y,
                            gm.bounds_union_dalpha_dy)], [[p_a], [y_b]]

    return two_routes.Found(
        (alpha_a, alpha_b), ("route_p", "route_y"),
        {"p": p_a, "route_p": alpha_a, "route_y": alpha_b, "domination_ratio": ratio, "brent_calls": calls,
         "newton_iterations": its_b},
        "difference of two routes (Brent on the exponent in p = 1/alpha, Newton on it in y = alpha - 1), Brent "
        "bracket mapped to alpha, 4-ulp floor",
        "difference of the p- and y-routes and last Newton steps",
        mp_routes, lambda r: {"p": r.xs[0][0]}, "union bound", step=abs(g.bounds_union_dalpha_dp(p_a)) * p_err)

