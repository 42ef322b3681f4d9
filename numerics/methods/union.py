"""Union bound over orthants (docs/theory.md §7): injective w.h.p. above alpha_union, where the exponent of
S(m, n-1) S(m-1, n-1) / 2^{m-1} >= P(non-injective) crosses zero (rigorous upper bound on alpha_inj).

The exponent comes from generated/bounds_*.py (Stirling limits derived in derive/bounds.py), in two
parametrisations: p = 1/alpha (route A: Brent in double, Newton in mpmath on the p-form) and y = alpha - 1
(route B: Newton on the form SymPy derived directly in alpha).  The rate is valid where the domination ratio
of the partial sum is < 1; that is checked at the root.
"""
from __future__ import annotations

import time

import mpmath

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery import roots
from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import ConvergenceError, ThresholdResult

GUARD_DIGITS = 10
P_EDGE = 1e-12


def _newton_double(f, df, x0, what):
    x = x0
    for it in range(1, 101):
        dx = f(x) / df(x)
        x -= dx
        if abs(dx) <= 2 * roots.EPS * abs(x):
            return x, abs(dx), it
    raise ConvergenceError(f"{what}: Newton did not converge", {"last_step": dx, "x": x})


def threshold(*, digits=None) -> ThresholdResult:
    """alpha_union: root of 2 alpha h(1/alpha) - alpha log 2 (h the binary entropy in nats)."""
    digits = validate.digits(digits)
    t0 = time.perf_counter()
    g = kernels.numba("bounds")
    ratio_one, _, _ = roots.brent(lambda p: float(g.bounds_union_ratio(p)) - 1, P_EDGE, 1 - P_EDGE,
                                  what="union bound: domination ratio = 1")
    p_a, p_err, calls = roots.brent(lambda p: float(g.bounds_union_rate(p)), P_EDGE, ratio_one,
                                    what="union-bound exponent = 0 (p = 1/alpha)")
    alpha_a = float(g.bounds_union_alpha_of_p(p_a))
    y_b, step_b, its_b = _newton_double(lambda y: float(g.bounds_union_rate_y(y)),
                                        lambda y: float(g.bounds_union_rate_y_dy(y)), 1.1 * (alpha_a - 1),
                                        "union-bound exponent = 0 (y = alpha - 1)")
    alpha_b = 1 + y_b
    ratio = float(g.bounds_union_ratio(p_a))
    if not ratio < 1:
        raise ConvergenceError("union bound: the root lies where the partial sum is not dominated by its last term",
                               {"alpha": alpha_a, "ratio": ratio})
    diag = {"p": p_a, "route_p": alpha_a, "route_y": alpha_b, "domination_ratio": ratio, "brent_calls": calls,
            "newton_iterations": its_b}
    if digits is None:
        alpha = alpha_a
        err = max(abs(alpha_a - alpha_b), alpha_a**2 * p_err, 4 * roots.EPS * alpha_a)
        how = ("difference of two routes (Brent on the exponent in p = 1/alpha, Newton on it in y = alpha - 1), "
               "Brent bracket mapped to alpha, 4-ulp floor")
    else:
        gm = kernels.mp("bounds")
        dps = digits + GUARD_DIGITS
        with mpmath.workdps(dps):
            tol = mpmath.mpf(10)**-(dps - 2)
            (pm,), step_a, its_a = roots.newton_mp(lambda p: [gm.bounds_union_rate(p)],
                                                   lambda p: [[gm.bounds_union_rate_dp(p)]], [p_a], tol=tol,
                                                   what="union bound (p, mpmath)")
            alpha = gm.bounds_union_alpha_of_p(pm)
            (ym,), step_b, its_b = roots.newton_mp(lambda y: [gm.bounds_union_rate_y(y)],
                                                   lambda y: [[gm.bounds_union_rate_y_dy(y)]], [y_b], tol=tol,
                                                   what="union bound (y, mpmath)")
            diff = abs(alpha - (1 + ym))
            err = float(max(diff, alpha**2 * step_a, step_b, mpmath.mpf(10)**(1 - digits) * alpha / 2))
            diag.update(p=pm, route_p=alpha, route_y=1 + ym, route_difference=diff,
                        newton_iterations=(its_a, its_b), working_digits=dps)
        how = (f"mpmath at {dps} digits: difference of the p- and y-routes and last Newton steps, bounded below "
               f"by half a unit in the {digits}th printed digit")
    diag["time_s"] = time.perf_counter() - t0
    return ThresholdResult("union", alpha, err, how, {"digits": digits}, diag, digits)
