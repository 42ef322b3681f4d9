"""Cover/Wendel lower bound (docs/theory.md §7): P(injective) <= 1 - W(m-n+1, n) -> 0 below alpha_cover.

W(k, n) = 2^{1-k} sum_{j<n} C(k-1, j) tends to 1 while the summation range covers more than half of the row
and to 0 exponentially once it covers less: the threshold is where the domination ratio of the sum's last term
reaches 1 (route A), equivalently where the Wendel exponent, <= 0, attains its maximum 0 (route B: root of its
derivative).  Both equations come from generated/bounds_*.py (derive/bounds.py), in p = 1/(alpha - 1).
"""
from __future__ import annotations

import mpmath

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery import roots
from relu_injectivity.methods import two_routes

P_EDGE = 1e-9


@two_routes.threshold("cover", "bounds")
def threshold(g) -> two_routes.Found:
    """alpha_cover (Cover's capacity 2 plus 1): below it a random ReLU layer is not injective w.h.p."""
    p_a, err_a, calls_a = two_routes.unit_root(g.bounds_cover_ratio, P_EDGE, level=1,
                                               what="Cover: domination ratio = 1")
    p_b, err_b, calls_b = two_routes.unit_root(g.bounds_cover_rate_dp, P_EDGE,
                                               what="Cover: maximum of the Wendel exponent")
    alpha_a, alpha_b = float(g.bounds_cover_alpha_of_p(p_a)), float(g.bounds_cover_alpha_of_p(p_b))

    def mp_routes(digits):
        gm = kernels.mp("bounds")
        return [roots.Route("ratio = 1", lambda p: [gm.bounds_cover_ratio(p) - 1],
                            lambda p: [[gm.bounds_cover_ratio_dp(p)]], gm.bounds_cover_alpha_of_p,
                            gm.bounds_cover_dalpha_dp),
                roots.Route("exponent maximum", lambda p: [gm.bounds_cover_rate_dp(p)],
                            lambda p: [[gm.bounds_cover_rate_dp2(p)]], gm.bounds_cover_alpha_of_p,
                            gm.bounds_cover_dalpha_dp)], [[p_a], [p_b]]

    def at_root(r):
        with mpmath.workdps(r.working_digits):
            return {"p": r.xs[0][0], "exponent_at_root": kernels.mp("bounds").bounds_cover_rate(r.xs[0][0])}

    return two_routes.Found(
        (alpha_a, alpha_b), ("route_ratio", "route_exponent_maximum"),
        {"p": p_a, "route_ratio": alpha_a, "route_exponent_maximum": alpha_b,
         "exponent_at_root": float(g.bounds_cover_rate(p_a)), "brent_calls": (calls_a, calls_b)},
        "difference of two routes (domination ratio = 1, maximum of the Wendel exponent), Brent brackets mapped to "
        "alpha, 4-ulp floor",
        "difference of the two routes (Newton on each) and their last Newton steps",
        mp_routes, at_root, "Cover", step=abs(float(g.bounds_cover_dalpha_dp(p_a))) * max(err_a, err_b))
