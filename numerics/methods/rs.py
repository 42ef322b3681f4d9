"""Replica-symmetric zero-temperature energy and threshold (docs/theory.md §2.2-2.3), from generated/rs_*.

Threshold: two independent routes on the derived equations, (A) Brent/Newton on the one-variable reduction
e*(alpha(chi), chi) = 1 and (B) Newton on the 2x2 system {de/dchi = 0, e* = 1} with the derived Jacobian.
The reported error is the larger of their difference and the last Newton step (mpmath) or a 4-ulp floor.
The SAT boundary (e* = 0 below it) is the generated ``rs_sat_alpha``, the chi -> oo limit of (RS-chi).
"""
from __future__ import annotations

import time

import mpmath

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery import roots
from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import EnergyResult
from relu_injectivity.methods import two_routes

GUARD_DIGITS = 15
DIGITS = (15, 1000)
"""Allowed ``digits`` (None: double precision)."""
ALPHA_MAX = 1e15
"""Largest alpha for the energy: beyond it chi = alpha^-2-ish underflows the double-precision bracket."""


def _chi_bracket(g, a):
    return roots.expand_bracket(lambda c: float(g.rs_stationarity(a, c)), 1e-12, 1.0, limit=1e4,
                                what=f"RS chi equation at alpha={a}")


def sat_alpha() -> float:
    """The SAT boundary: e* = 0 for alpha <= this (generated rs_sat_alpha, docs/theory.md §2.3)."""
    return float(kernels.numba("rs").rs_sat_alpha())


def energy(alpha, *, digits=None) -> EnergyResult:
    """e*_RS(alpha) = alpha H(sqrt(2 chi)) at the root chi of (RS-chi); 0 at and below the SAT boundary
    (chi = inf); alpha <= ALPHA_MAX."""
    a = validate.real("alpha", alpha, lo=0, hi=ALPHA_MAX, hi_open=False)
    digits = validate.digits(digits, DIGITS)
    t0 = time.perf_counter()
    params = {"digits": digits}
    if a <= sat_alpha():
        return EnergyResult("rs", a, 0.0 if digits is None else mpmath.mpf(0), 0.0,
                            "exact: (RS-chi) has no finite root at or below the SAT boundary, chi = inf, e* = 0",
                            params, {"chi": float("inf"), "time_s": time.perf_counter() - t0}, digits)
    g = kernels.numba("rs")
    lo, hi = _chi_bracket(g, a)
    chi, chi_err, calls = roots.brent(lambda c: float(g.rs_stationarity(a, c)), lo, hi,
                                      what=f"RS chi equation at alpha={a}")
    e, e_value = float(g.rs_estar(a, chi)), float(g.rs_functional(a, chi))
    diag = {"chi": chi, "function_calls": calls, "functional_value": e_value}
    if digits is None:
        err = roots.spread_error(e, [e_value], floor=roots.ulp_floor(e))
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
            err = roots.spread_error(e, [ev], steps=[step], floor=mpmath.mpf(10) ** -digits * e)
            diag.update(chi=chim, functional_value=ev, newton_iterations=its)
        how = "max of estimator difference, last Newton step and the last printed digit"
    diag["time_s"] = time.perf_counter() - t0
    return EnergyResult("rs", a, e, err, how, params, diag, digits)


SYSTEM = (('rs_threshold_stationarity', 'rs_threshold_estar_minus_one'),
          (('rs_threshold_jac_0_alpha', 'rs_threshold_jac_0_chi'), ('rs_threshold_jac_1_alpha', 'rs_threshold_jac_1_chi')))
"""Names of the threshold system and its Jacobian rows in the generated module (for kernels.system)."""


@two_routes.threshold("rs", "rs", allowed=DIGITS, guard=GUARD_DIGITS)
def threshold(g) -> two_routes.Found:
    """alpha_inj^RS: root of e*_RS(alpha) = 1 (docs/theory.md §2.3)."""
    red = lambda c: float(g.rs_threshold_reduced(c))  # noqa: E731
    chi_a, _, calls = roots.brent(red, 0.05, 5.0, what="RS threshold (reduced equation)")
    alpha_a = float(g.rs_alpha_of_chi(chi_a))
    # route B: Newton on the 2x2 system from a deliberately perturbed start
    sat = sat_alpha()
    x, its = two_routes.newton_system(g, SYSTEM, [1.05 * alpha_a, 0.9 * chi_a], what="RS threshold, 2x2 system",
                                      domain=lambda x: x[0] > sat and x[1] > 0)
    alpha_b, chi_b = map(float, x)

    def mp_routes(digits):
        gm = kernels.mp("rs")
        return [roots.Route("reduced", lambda c: [gm.rs_threshold_reduced(c)],
                            lambda c: [[gm.rs_threshold_reduced_dchi(c)]], gm.rs_alpha_of_chi),
                roots.Route("2x2 system", *kernels.system(gm, *SYSTEM), lambda a, c: a)], [[chi_a], [alpha_b, chi_b]]

    return two_routes.Found(
        (alpha_a, alpha_b), ("route_reduced", "route_system"),
        {"chi": chi_a, "route_reduced": alpha_a, "route_system": alpha_b, "brent_calls": calls,
         "newton_iterations": its},
        "difference of two routes (Brent on the 1-variable reduction, Newton on the 2x2 system), 4-ulp floor",
        "difference of two routes (1-variable reduction, 2x2 system) and last Newton steps",
        mp_routes, lambda r: {"chi": r.xs[0][0]}, "RS threshold")


