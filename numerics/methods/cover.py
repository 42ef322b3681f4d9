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
P_EDGE = 1e-9


def threshold(*, digits=None) -> ThresholdResult:
    """alpha_cover (Cover's capacity 2 plus 1): below it a random ReLU layer is not injective w.h.p."""
    digits = validate.digits(digits)
    t0 = time.perf_counter()
    g = kernels.numba("bounds")
    p_a, err_a, calls_a = roots.brent(lambda p: float(g.bounds_cover_ratio(p)) - 1, P_EDGE, 1 - P_EDGE,
                                      what="Cover: domination ratio = 1")
    p_b, err_b, calls_b = roots.brent(lambda p: float(g.bounds_cover_rate_dp(p)), P_EDGE, 1 - P_EDGE,
                                      what="Cover: maximum of the Wendel exponent")
    alpha_a, alpha_b = float(g.bounds_cover_alpha_of_p(p_a)), float(g.bounds_cover_alpha_of_p(p_b))
    slope = abs(alpha_a - float(g.bounds_cover_alpha_of_p(p_a * (1 + 1e-6)))) / (p_a * 1e-6)
    diag = {"p": p_a, "route_ratio": alpha_a, "route_exponent_maximum": alpha_b,
            "exponent_at_root": float(g.bounds_cover_rate(p_a)), "brent_calls": (calls_a, calls_b)}
    if digits is None:
        alpha = alpha_a
        err = max(abs(alpha_a - alpha_b), slope * max(err_a, err_b), 4 * roots.EPS * alpha_a)
        how = ("difference of two routes (domination ratio = 1, maximum of the Wendel exponent), Brent brackets "
               "mapped to alpha, 4-ulp floor")
    else:
        gm = kernels.mp("bounds")
        dps = digits + GUARD_DIGITS
        with mpmath.workdps(dps):
            tol = mpmath.mpf(10)**-(dps - 2)
            (pm,), step, its = roots.newton_mp(lambda p: [gm.bounds_cover_ratio(p) - 1],
                                               lambda p: [[gm.bounds_cover_ratio_dp(p)]], [p_a], tol=tol,
                                               what="Cover: ratio = 1 (mpmath)")
            alpha = gm.bounds_cover_alpha_of_p(pm)
            pb = mpmath.findroot(gm.bounds_cover_rate_dp, (mpmath.mpf(p_b) * (1 - mpmath.mpf(10)**-6),
                                                           mpmath.mpf(p_b) * (1 + mpmath.mpf(10)**-6)),
                                 solver="anderson", tol=tol**2)
            alpha_bm = gm.bounds_cover_alpha_of_p(pb)
            diff = abs(alpha - alpha_bm)
            err = float(max(diff, slope * step, mpmath.mpf(10)**(1 - digits) * alpha / 2))
            diag.update(p=pm, route_ratio=alpha, route_exponent_maximum=alpha_bm, route_difference=diff,
                        exponent_at_root=gm.bounds_cover_rate(pm), newton_iterations=its, working_digits=dps)
        how = (f"mpmath at {dps} digits: difference of the two routes (Newton, Anderson) and the last Newton step, "
               f"bounded below by half a unit in the {digits}th printed digit")
    diag["time_s"] = time.perf_counter() - t0
    return ThresholdResult("cover", alpha, err, how, {"digits": digits}, diag, digits)
