"""de Almeida-Thouless line of the finite-temperature RS solution and alpha_dAT (docs/theory.md §2.1, §2.4).

For each alpha, beta*(alpha) is the inverse temperature where the RS energy equals 1 (capped at BETA_MAX);
alpha_dAT is the root of the replicon function AT(alpha, beta*(alpha)) on [3, alpha_RS].

Double route: nested Brent (q-equation in y = q/(1-q), then beta*, then alpha) to 1e-7, then Newton on the
3x3 system below with the derived Jacobian; E_xi by the trapezoid rule.
mpmath route (``digits=``): Newton on the 3x3 system {dPhi/dq = 0, e - 1 = 0, AT = 0} in (q, beta, alpha) with
the SymPy-derived Jacobian, E_xi by Gauss-Legendre, started from the double solution.  The error of the double
result is the larger of the quadrature-rule change (half the nodes) and the Brent tolerance; with digits it is
the distance between the two routes' mpmath refinements and the last Newton step.
"""
from __future__ import annotations

import time

import mpmath
import numpy as np

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery import quadrature
from relu_injectivity.machinery import roots
from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import ConvergenceError, ThresholdResult

BETA_MAX = 10.0
Y_BRACKET = (1e-5, 1e5)
GUARD_DIGITS = 10
DIGITS = (15, 60)
"""Allowed ``digits`` (None: double precision); the mpmath quadratures of the 3x3 system grow fast with it."""
NOISE_RULES = (quadrature.TrapezoidRule(11.5, 1000), quadrature.TrapezoidRule(13.0, 1700))


class _RS:
    """Finite-beta RS equations with one quadrature rule."""

    def __init__(self, rule):
        self.q_eq = kernels.averaged("rs", "rs_q_equation", rule)
        self.energy = kernels.averaged("rs", "rs_energy_beta", rule)
        self.replicon = kernels.averaged("rs", "rs_replicon", rule)
        self.jac = [[kernels.averaged("rs", f"dat_jac_{i}_{v}", rule) for v in ("q", "beta", "alpha")]
                    for i in range(3)]

    def q(self, a, b, xtol=1e-14):
        """Non-trivial root of the q-equation, bracketed in y = q/(1-q); 0 when there is none (docs/theory.md §5b.10)."""
        f = lambda y: self.q_eq(a, b, y / (1 + y))  # noqa: E731
        lo, hi = Y_BRACKET
        if f(lo) * f(hi) > 0:
            return 0.0
        y, _, _ = roots.brent(f, lo, hi, xtol=xtol, what=f"RS q-equation at alpha={a}, beta={b}")
        return y / (1 + y)

    def beta_star(self, a, xtol=1e-13):
        """beta with e_RS(alpha, beta) = 1, capped at BETA_MAX."""
        f = lambda b: self.energy(a, b, self.q(a, b)) - 1  # noqa: E731
        if f(BETA_MAX) >= 0:
            return BETA_MAX
        b, _, _ = roots.brent(f, 1e-3, BETA_MAX, xtol=xtol, what=f"beta*(alpha={a})")
        return b

    def at(self, a):
        b = self.beta_star(a)
        return self.replicon(a, b, self.q(a, b))

    def alpha_dat(self, lo, hi, xtol=1e-7):
        """Nested Brent to a loose tolerance (robust), then Newton on the 3x3 system (fast, to round-off)."""
        a, _, calls = roots.brent(self.at, lo, hi, xtol=xtol, what="alpha_dAT (replicon root)")
        b = self.beta_star(a, xtol=xtol)
        return (*self.newton(self.q(a, b, xtol=xtol), b, a), calls)

    def newton(self, q, b, a):
        """Newton on (q-equation, e - 1, AT) in (q, beta, alpha) with the derived Jacobian."""
        def F(x):
            return np.array([self.q_eq(x[2], x[1], x[0]), self.energy(x[2], x[1], x[0]) - 1,
                             self.replicon(x[2], x[1], x[0])])

        def J(x):
            return np.array([[jij(x[2], x[1], x[0]) for jij in row] for row in self.jac])

        x, _, it, _ = roots.newton(F, J, [q, b, a], what="dAT 3x3 system (double)",
                                   domain=lambda x: 0 < x[0] < 1 and x[1] > 0 and x[2] > 0)
        return x[2], x[1], x[0], it


def threshold(*, digits=None) -> ThresholdResult:
    """alpha_dAT, a (heuristic) lower bound on alpha_inj."""
    digits = validate.digits(digits, DIGITS)
    t0 = time.perf_counter()
    from relu_injectivity.methods import rs

    alpha_rs = rs.threshold().alpha
    rule = quadrature.default_rule()
    a, b, q, its, calls = _RS(rule).alpha_dat(3.0, alpha_rs)
    if b >= BETA_MAX:
        raise ConvergenceError(f"beta*(alpha_dAT) hit the cap beta_max = {BETA_MAX}", {"alpha": a})
    others = [_RS(r).newton(q, b, a)[0] for r in NOISE_RULES]
    diag = {"beta_star": b, "q": q, "brent_calls": calls, "newton_iterations": its, "quadrature": f"trapezoid, "
            f"{rule.intervals} intervals on [-{rule.half_width}, {rule.half_width}]", "alpha_other_rules": others,
            "beta_max": BETA_MAX}
    params = {"digits": digits}
    if digits is None:
        err = 2 * max(abs(a - o) for o in others)
        how = ("twice the spread over trapezoid rules of different spacing (Newton converged to round-off; the "
               "spread measures rounding amplified by the conditioning of the 3x3 system)")
        alpha = a
    else:
        g = mpmath_system()
        dps = digits + GUARD_DIGITS
        with mpmath.workdps(dps):
            tol = mpmath.mpf(10) ** -(digits + 2)
            (qm, bm, alpha), step, its = roots.newton_mp(g["F"], g["J"], [q, b, a], tol=tol,
                                                        what="dAT 3x3 system (mpmath)")
            err = float(max(step, mpmath.mpf(10) ** (1 - digits) * alpha / 2))
            diag.update(beta_star=bm, q=qm, newton_iterations=its, double_route=a,
                        route_difference=abs(alpha - a), working_digits=dps)
        how = (f"mpmath ({dps} digits, Gauss-Legendre quadrature): last Newton step of the 3x3 system, bounded below by "
               f"the last printed digit; the double route (nested Brent) is in diagnostics")
    diag["time_s"] = time.perf_counter() - t0
    return ThresholdResult("dat", alpha, err, how, params, diag, digits)


def mpmath_system():
    """F(q, beta, alpha) and its derived Jacobian for the dAT point, in mpmath."""
    eqs = [kernels.averaged_mp("rs", n) for n in ("rs_q_equation", "rs_energy_beta", "rs_replicon")]
    jac = [[kernels.averaged_mp("rs", f"dat_jac_{i}_{v}") for v in ("q", "beta", "alpha")] for i in range(3)]

    def F(q, b, a):
        return [eqs[0](a, b, q), eqs[1](a, b, q) - 1, eqs[2](a, b, q)]

    def J(q, b, a):
        return [[jac[i][j](a, b, q) for j in range(3)] for i in range(3)]

    return {"F": F, "J": J}
