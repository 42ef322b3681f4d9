"""Cover/Wendel lower bound (docs/theory.md §7): P(injective) <= 1 - W(m-n+1, n) -> 0 below alpha_cover.

W(k, n) = 2^{1-k} sum_{j<n} C(k-1, j) tends to 1 while the summation range covers more than half of the row
and to 0 exponentially once it covers less: the threshold is where the domination ratio of the sum's last term
reaches 1 (route A), equivalently where the Wendel exponent, <= 0, attains its maximum 0 (route B: root of its
derivative).  Both equations come from generated/bounds_*.py (derive/bounds.py), in p = 1/(alpha - 1).
"""
from __future__ import annotations

import time

import mpmath

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery import roots
from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import ThresholdResult

GUARD_DIGITS = 10
DIGITS = (15, 1000)
"""Allowed ``digits`` (None: double precision)."""
P_EDGE = 1e-9


def threshold(*, digits=None) -> ThresholdResult:
    """alpha_cover (Cover's capacity 2 plus 1): below it a random ReLU layer is not injective w.h.p."""
    digits = validate.digits(digits, DIGITS)
    t0 = time.perf_counter()
    g = kernels.numba("bounds")
    p_a, err_a, calls_a = roots.brent(lambda p: float(g.bounds_cover_ratio(p)) - 1, P_EDGE, 1 - P_EDGE,
                                      what="Cover: domination ratio = 1")
    p_b, err_b, calls_b = roots.brent(lambda p: float(g.bounds_cover_rate_dp(p)), P_EDGE, 1 - P_EDGE,
                                      what="Cover: maximum of the Wendel exponent")
    alpha_a, alpha_b = float(g.bounds_cover_alpha_of_p(p_a)), float(g.bounds_cover_alpha_of_p(p_b))
    diag = {"p": p_a, "route_ratio": alpha_a, "route_exponent_maximum": alpha_b,
            "exponent_at_root": float(g.bounds_cover_rate(p_a)), "brent_calls": (calls_a, calls_b)}
    if digits is None:
        alpha = alpha_a
        slope = abs(float(g.bounds_cover_dalpha_dp(p_a)))
        err = roots.spread_error(alpha_a, [alpha_b], steps=[slope * max(err_a, err_b)], floor=roots.ulp_floor(alpha_a))
        how = ("difference of two routes (domination ratio = 1, maximum of the Wendel exponent), Brent brackets "
               "mapped to alpha, 4-ulp floor")
    else:
        gm = kernels.mp("bounds")
        routes = [roots.Route("ratio = 1", lambda p: [gm.bounds_cover_ratio(p) - 1],
                              lambda p: [[gm.bounds_cover_ratio_dp(p)]], gm.bounds_cover_alpha_of_p,
                              gm.bounds_cover_dalpha_dp),
                  roots.Route("exponent maximum", lambda p: [gm.bounds_cover_rate_dp(p)],
                              lambda p: [[gm.bounds_cover_rate_dp2(p)]], gm.bounds_cover_alpha_of_p,
                              gm.bounds_cover_dalpha_dp)]
        r = roots.refine(routes, [[p_a], [p_b]], digits=digits, guard=GUARD_DIGITS, what="Cover")
        alpha, err = r.value, r.error
        with mpmath.workdps(r.working_digits):
            at_root = gm.bounds_cover_rate(r.xs[0][0])
        diag.update(p=r.xs[0][0], route_ratio=alpha, route_exponent_maximum=r.values[1],
                    route_difference=r.route_difference, exponent_at_root=at_root,
                    newton_iterations=r.iterations, working_digits=r.working_digits)
        how = (f"mpmath at {r.working_digits} digits: difference of the two routes (Newton on each) and their last "
               f"Newton steps, bounded below by half a unit in the {digits}th printed digit")
    diag["time_s"] = time.perf_counter() - t0
    return ThresholdResult("cover", alpha, err, how, {"digits": digits}, diag, digits)
