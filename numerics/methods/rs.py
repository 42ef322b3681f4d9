"""Replica-symmetric zero-temperature energy and threshold (docs/theory.md §2.2-2.3), from generated/rs_*.

Threshold: two independent routes on the derived equations, (A) Brent/Newton on the one-variable reduction
e*(alpha(chi), chi) = 1 and (B) Newton on the 2x2 system {de/dchi = 0, e* = 1} with the derived Jacobian.
The reported error is the larger of their difference and the last Newton step (mpmath) or a 4-ulp floor.
"""
from __future__ import annotations

import time

import mpmath
import numpy as np

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery import roots
from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import EnergyResult, ThresholdResult

GUARD_DIGITS = 15


def _chi_bracket(g, a):
    return roots.expand_bracket(lambda c: float(g.rs_stationarity(a, c)), 1e-12, 1.0, limit=1e4,
                                what=f"RS chi equation at alpha={a}")


def energy(alpha, *, digits=None) -> EnergyResult:
    """e*_RS(alpha) = alpha H(sqrt(2 chi)) at the root chi of (RS-chi); 0 for alpha <= 2 (chi = inf, SAT phase)."""
    a = validate.alpha(alpha)
    digits = validate.digits(digits)
    t0 = time.perf_counter()
    params = {"digits": digits}
    if a <= 2:
        return EnergyResult("rs", a, 0.0 if digits is None else mpmath.mpf(0), 0.0,
                            "exact: (RS-chi) has no finite root for alpha <= 2, chi = inf and e* = 0",
                            params, {"chi": float("inf"), "time_s": time.perf_counter() - t0}, digits)
    g = kernels.numba("rs")
    lo, hi = _chi_bracket(g, a)
    chi, chi_err, calls = roots.brent(lambda c: float(g.rs_stationarity(a, c)), lo, hi,
                                      what=f"RS chi equation at alpha={a}")
    e, e_value = float(g.rs_estar(a, chi)), float(g.rs_functional(a, chi))
    diag = {"chi": chi, "function_calls": calls, "functional_value": e_value}
    if digits is None:
        err = max(abs(e - e_value), 4 * roots.EPS * e)
        how = "difference of the two estimators (active fraction vs functional value), 4-ulp floor"
    else:
        gm = kernels.mp("rs")
        with mpmath.workdps(digits + GUARD_DIGITS):
            am = mpmath.mpf(a)
            (chim,), step, its = roots.newton_mp(lambda c: [gm.rs_stationarity(am, c)],
                                                 lambda c: [[gm.rs_threshold_jac_0_chi(am, c)]], [chi],
                                                 tol=mpmath.mpf(10) ** -(digits + GUARD_DIGITS - 2),
                                                 what="RS chi equation (mpmath)")
            e = gm.rs_estar(am, chim)
            ev = gm.rs_functional(am, chim)
            err = float(max(abs(e - ev), step, mpmath.mpf(10) ** -digits * e))
            diag.update(chi=chim, functional_value=ev, newton_iterations=its)
        how = "max of estimator difference, last Newton step and the last printed digit"
    diag["time_s"] = time.perf_counter() - t0
    return EnergyResult("rs", a, e, err, how, params, diag, digits)


def threshold(*, digits=None) -> ThresholdResult:
    """alpha_inj^RS: root of e*_RS(alpha) = 1 (docs/theory.md §2.3)."""
    digits = validate.digits(digits)
    t0 = time.perf_counter()
    g = kernels.numba("rs")
    red = lambda c: float(g.rs_threshold_reduced(c))  # noqa: E731
    chi_a, _, calls = roots.brent(red, 0.05, 5.0, what="RS threshold (reduced equation)")
    alpha_a = float(g.rs_alpha_of_chi(chi_a))
    # route B: Newton on the 2x2 system from a deliberately perturbed start
    x, _, its, _ = roots.newton(
        lambda x: np.array([g.rs_threshold_stationarity(*x), g.rs_threshold_estar_minus_one(*x)]),
        lambda x: np.array([[g.rs_threshold_jac_0_alpha(*x), g.rs_threshold_jac_0_chi(*x)],
                            [g.rs_threshold_jac_1_alpha(*x), g.rs_threshold_jac_1_chi(*x)]]),
        [1.05 * alpha_a, 0.9 * chi_a], what="RS threshold, 2x2 system", domain=lambda x: x[0] > 2 and x[1] > 0)
    alpha_b, chi_b = map(float, x)
    diag = {"chi": chi_a, "route_reduced": alpha_a, "route_system": alpha_b, "brent_calls": calls,
            "newton_iterations": its}
    params = {"digits": digits}
    if digits is None:
        err = max(abs(alpha_a - alpha_b), 4 * roots.EPS * alpha_a)
        how = "difference of two routes (Brent on the 1-variable reduction, Newton on the 2x2 system), 4-ulp floor"
        alpha = alpha_a
    else:
        gm = kernels.mp("rs")
        dps = digits + GUARD_DIGITS
        with mpmath.workdps(dps):
            tol = mpmath.mpf(10) ** -(dps - 2)
            (chim,), step_a, its_a = roots.newton_mp(lambda c: [gm.rs_threshold_reduced(c)],
                                                     lambda c: [[gm.rs_threshold_reduced_dchi(c)]], [chi_a],
                                                     tol=tol, what="RS threshold, reduced (mpmath)")
            alpha = gm.rs_alpha_of_chi(chim)
            (am, cm), step_b, its_b = roots.newton_mp(
                lambda a, c: [gm.rs_threshold_stationarity(a, c), gm.rs_threshold_estar_minus_one(a, c)],
                lambda a, c: [[gm.rs_threshold_jac_0_alpha(a, c), gm.rs_threshold_jac_0_chi(a, c)],
                              [gm.rs_threshold_jac_1_alpha(a, c), gm.rs_threshold_jac_1_chi(a, c)]],
                [alpha_b, chi_b], tol=tol, what="RS threshold, 2x2 system (mpmath)")
            diff = abs(alpha - am)
            err = float(max(diff, step_a, step_b, mpmath.mpf(10) ** (1 - digits) * alpha / 2))
            diag.update(chi=chim, route_reduced=alpha, route_system=am, route_difference=diff,
                        newton_iterations=(its_a, its_b), working_digits=dps)
        how = (f"mpmath at {dps} digits: difference of two routes (1-variable reduction, 2x2 system) and last "
               f"Newton steps, bounded below by half a unit in the {digits}th printed digit")
    diag["time_s"] = time.perf_counter() - t0
    return ThresholdResult("rs", alpha, err, how, params, diag, digits)
