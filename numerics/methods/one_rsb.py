"""One-step RSB at zero temperature: energy e*_1RSB(alpha) and threshold alpha_1RSB (docs/theory.md §3), from
generated/one_rsb_*.

Unknowns x = (q0, chi, c).  Every equation is a derived kernel with one Gaussian average: the gradient of the
potential (1RSB-e), its Hessian and alpha column, the two estimators fstar (potential value) and estar
(= de/dlambda, the tilted fraction of fields beyond sqrt(2 chi)) and the derivatives of estar.

Energy at alpha (double): start as in docs/theory.md §3.5-3.6 (a few sweeps of the fixed-point scheme for (q0, chi)
at fixed c, then 2x2 Newton; c scanned by doubling from 1 until de/dc changes sign), then Newton on the three
stationarity equations with the derived Hessian, to round-off.  Threshold: Newton on the 4x4 system
{de/dx = 0, estar - 1 = 0} in (q0, chi, c, alpha) with the derived Jacobian, started from the energy solution
at the RS threshold (an upper bound, computed by numerics.rs).  E_xi by the trapezoid rule, 1200 intervals on
[-12, 12] (the result does not change at the 1e-15 level between 600 and 4800 intervals).

Why the two estimators agree to ~1e-15 here and only to ~1e-6 in the authors' code: fstar and estar coincide
only at the exact stationary point.  fstar is stationary there, so its error is second order in the distance
to it, but estar is not: its error is first order.  The authors stop the (q0, chi) fixed point at 1e-7 and
Brent in c and alpha at xtol 1e-6, which leaves estar off by ~1e-7..1e-6; Newton with the exact derived
Jacobian solves the stationarity equations to round-off, so both estimators (and the roots of fstar - 1 and
estar - 1) agree to a few ulp.

Error bars (double): the largest of (i) the gap between the two estimators (for the threshold: the root of
fstar - 1 vs that of estar - 1), (ii) the change when the solution is recomputed with a second trapezoid rule
(different spacing and window), (iii) the last Newton step and, for the threshold, |J^-1 F| at the root,
(iv) a round-off floor.  With ``digits`` the double solution is refined in mpmath (E_xi by Gauss-Legendre) by
a chord Newton iteration (the double Jacobian reused: each step gains about as many digits as the double
Jacobian is accurate to, ~12, so no mpmath Jacobian is needed); the error bar is the largest of the
chord-iteration error bound, the estimator gap, the quadrature error estimate and half a unit in the last
requested digit.

At and below the SAT boundary (generated rs_sat_alpha, alpha = 2) the energy is returned as 0 exactly (SAT
phase, as numerics.rs): there the stationary point runs off to c -> infinity, chi -> infinity.  Just above it
the scan in c becomes fragile (c ~ 150 at alpha = 2.001, c ~ 510 at alpha = 2.0001, c ~ 1700 at 2.00001), so
below alpha_sat + CONTINUATION_BELOW the stationary point is continued from alpha_sat + CONTINUATION_BELOW
towards the boundary in geometric steps of delta = alpha - alpha_sat, each started from the log-log extrapolation
of the two previous solutions (c, chi and 1 - q0 behave like powers of delta there).  The steps use the SAT-side
forms (:class:`SatEquations`, generated one_rsb_sat_*): the plain kernels divide by n(xi)^2 ~ exp(-2c), which
underflows for c >~ 350; derive/one_rsb.py (``sat_scale``) divides n and its derivatives by exp(S(xi)), S the
exponent of the largest piece of n, so that the underflowing factor cancels analytically and no kernel divides
by a small number for any c.  The integrands then change over xi-widths ~ sqrt(1 - q0), which the trapezoid
rule of each step resolves (:func:`sat_rules`).  Near the boundary e* is stationary in a direction of c so flat
that de/dc is at its round-off floor over a range ~1e-3 c (alpha = 2.00001); where the 3x3 Newton stalls there,
c is the root of de/dc by Brent with (q0, chi) re-solved at each c (:func:`solve_sat`): the energy is
insensitive to it (second order), estar is not (first order) and the estimator gap enters the error bar.
Verified down to delta = DELTA_MIN (c ~ 1700, 3e4 nodes, ~2 min); closer alpha is refused with a ValueError
naming the allowed range.
"""
from __future__ import annotations

import functools
import time

import mpmath
import numpy as np

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery import quadrature
from relu_injectivity.machinery import roots
from relu_injectivity.machinery import validate
from relu_injectivity.methods import rs
from relu_injectivity.machinery.results import ConvergenceError, EnergyResult, ThresholdResult

MODULE = "one_rsb"
CHORD_MAXITER = 12
ORDER = ("q0", "chi", "c")
COLUMNS = ORDER + ("alpha",)
GUARD_DIGITS = 10
DIGITS = (15, 60)
"""Allowed ``digits`` (None: double precision): mpmath Gauss-Legendre averages take ~1 min at 40 digits and
grow faster than digits^2 beyond."""
CONTINUATION_BELOW = 1e-3
"""Below alpha_sat + this, the stationary point is continued from there (the scan in c works above it)."""
CONTINUATION_RATIO = 0.5
DELTA_MIN = 1e-5
"""Smallest alpha - alpha_sat of the double-precision energy (see the module docstring)."""
SAT_NODES_PER_WIDTH = 6
"""Trapezoid nodes per sqrt(1 - q0) for the SAT-side forms (:func:`sat_rules`)."""
SAT_CHECK_RATIO = 1.3
"""Nodes of the SAT-side check rule per node of its rule (other spacing and window)."""
SAT_C_STEP = 0.02
"""Relative step of the bracket search in c where the SAT-side Newton stalls (:func:`solve_sat`)."""
SAT_C_XTOL = 1e-6
"""Relative width at which Brent stops in c there: far below the round-off spread of the root (~1e-3 of c at
alpha = 2.00001), to which e* is insensitive (it is stationary in c)."""


RULE = quadrature.TrapezoidRule(12.0, 1200)
CHECK_RULE = quadrature.TrapezoidRule(13.0, 1700)
"""Second rule for the quadrature part of the error bar (other spacing and window)."""
C_START, C_MAX, C_MIN = 1.0, 1e4, 1e-4
FIXED_POINT_ITERATIONS = 20
NEWTON_MAXITER = 60
STEP_TOL = 1e-14
ENERGY_ULPS = 32
"""Round-off floor of a double energy: against a 24000-node rule the 1200-node energies differ by <= 12 ulp
for alpha in [2.001, 1000]."""


class Equations:
    """The derived equations with E_xi by one quadrature rule (double precision)."""

    def __init__(self, rule=RULE):
        self.rule = rule
        avg = lambda name: kernels.averaged(MODULE, name, rule)  # noqa: E731
        self._grad = [avg(f"one_rsb_grad_{v}") for v in ORDER]
        self._hess = {}
        for i in range(3):
            for j in range(i, 4):
                self._hess[i, j] = avg(f"one_rsb_hess_{ORDER[i]}_{COLUMNS[j]}")
        self._estar = avg("one_rsb_estar")
        self._d_estar = [avg(f"one_rsb_estar_d{v}") for v in COLUMNS]
        self._potential = avg("one_rsb_potential")
        self._dpot_dalpha = avg("one_rsb_dpot_dalpha")
        self._a0 = avg("one_rsb_A0")
        self._a1 = avg("one_rsb_A1")
        self._gen = kernels.numba(MODULE)

    def grad(self, a, x):
        """(de/dq0, de/dchi, de/dc)."""
        return np.array([g(a, *x) for g in self._grad])

    def hessian(self, a, x):
        """3x4: d(grad_i)/d(q0, chi, c, alpha)."""
        h = np.empty((3, 4))
        for (i, j), f in self._hess.items():
            h[i, j] = f(a, *x)
            if j < 3:
                h[j, i] = h[i, j]
        return h

    def jacobian(self, a, x):
        """3x3 d(grad)/d(q0, chi, c), the derived Hessian."""
        return self.hessian(a, x)[:, :3]

    def estar(self, a, x):
        return self._estar(a, *x)

    def d_estar(self, a, x):
        return np.array([f(a, *x) for f in self._d_estar])

    def fstar(self, a, x):
        return self._potential(a, *x)

    def dfstar_dalpha(self, a, x):
        return self._dpot_dalpha(a, *x)

    def fixed_point(self, a, c, q0, chi, iterations):
        """docs/theory.md §3.5 at fixed c: new (q0, chi) from A0, A1 via the derived cubic and chi update."""
        g = self._gen
        for _ in range(iterations):
            A0, A1 = self._a0(a, q0, chi, c), self._a1(a, q0, chi, c)
            coeffs = [getattr(g, f"one_rsb_cubic_{k}")(A0, A1, c) for k in (3, 2, 1, 0)]
            rts = np.roots(coeffs)
            rts = rts[np.abs(rts.imag) <= 1e-12 * np.abs(rts)].real
            lo, hi = float(g.one_rsb_q0_low(A0, A1)), float(g.one_rsb_q0_high(A0, A1))
            if not 0 < lo < hi:
                raise ConvergenceError(f"1-RSB fixed point at alpha={a}, c={c}: the admissible q0 interval "
                                       f"({lo}, {hi}) is empty or not positive",
                                       {"A0": A0, "A1": A1, "q0": q0, "chi": chi})
            inside = rts[(rts > lo) & (rts < hi)]
            if len(inside) != 1:
                raise ConvergenceError(f"1-RSB fixed point at alpha={a}, c={c}: the cubic has {len(inside)} roots "
                                       f"in the admissible interval ({lo}, {hi})",
                                       {"roots": rts.tolist(), "A0": A0, "A1": A1})
            q0 = float(inside[0])
            chi = float(g.one_rsb_chi_update(A0, A1, c, q0))
        return q0, chi


class SatEquations(Equations):
    """The SAT-side forms of the gradient, 3x3 Hessian and estimators (generated one_rsb_sat_*): the same
    equations with n(xi) divided by exp(S(xi)) (derive/one_rsb.py ``sat_scale``), which hold for any c
    (docs/theory.md §3.7).  The trapezoid rule resolves the width sqrt(1 - q0) of the features of the integrands
    in xi (:func:`sat_rules`).  Only what the energy needs (no fixed-point scheme, no alpha column: the SAT
    side is reached by continuation, the threshold lies far from it)."""

    def __init__(self, rule):
        self.rule = rule
        avg = lambda name: kernels.averaged(MODULE, name, rule)  # noqa: E731
        self._grad = [avg(f"one_rsb_sat_grad_{v}") for v in ORDER]
        self._hess = {(i, j): avg(f"one_rsb_sat_hess_{ORDER[i]}_{ORDER[j]}") for i in range(3) for j in range(i, 3)}
        self._estar = avg("one_rsb_sat_estar")
        self._potential = avg("one_rsb_sat_potential")

    def hessian(self, a, x):
        """3x3 d(grad)/d(q0, chi, c)."""
        h = np.empty((3, 3))
        for (i, j), f in self._hess.items():
            h[i, j] = h[j, i] = f(a, *x)
        return h

    def jacobian(self, a, x):
        return self.hessian(a, x)


def sat_rules(q0):
    """(rule, check rule) for the SAT-side forms at q0: RULE's window with at least SAT_NODES_PER_WIDTH nodes per
    sqrt(1 - q0) (the width over which the integrands in xi change near xi = 0 and sqrt(2 chi/q0)), and
    CHECK_RULE's window with a spacing SAT_CHECK_RATIO times that."""
    width = np.sqrt(1 - q0)
    n = max(RULE.intervals, int(np.ceil(2 * RULE.half_width * SAT_NODES_PER_WIDTH / width / 100)) * 100)
    m = int(np.ceil(n * SAT_CHECK_RATIO * CHECK_RULE.half_width / RULE.half_width))
    return quadrature.TrapezoidRule(RULE.half_width, n), quadrature.TrapezoidRule(CHECK_RULE.half_width, m)


def valid(x):
    """Inside the domain 0 < q0 < 1, chi > 0, c > 0 (and alpha above the SAT boundary when present)."""
    x = np.asarray(x, dtype=float)
    ok = np.all(np.isfinite(x)) and 0 < x[0] < 1 and x[1] > 0 and x[2] > 0
    return bool(ok and (len(x) == 3 or x[3] > rs.sat_alpha()))


def newton(F, J, x0, *, what, tol=STEP_TOL, maxiter=NEWTON_MAXITER, domain=valid):
    """:func:`numerics.roots.newton` with the 1-RSB domain :func:`valid` by default."""
    return roots.newton(F, J, x0, what=what, tol=tol, maxiter=maxiter, domain=domain)


def _inner(eq, a, c, q0, chi):
    """(q0, chi) stationary at fixed c: a few fixed-point sweeps (§3.5), then 2x2 Newton to 1e-9."""
    q0, chi = eq.fixed_point(a, c, q0, chi, FIXED_POINT_ITERATIONS)
    y, _, _, _ = newton(lambda y: eq.grad(a, (y[0], y[1], c))[:2], lambda y: eq.hessian(a, (y[0], y[1], c))[:2, :2],
                        [q0, chi], what=f"1-RSB (q0, chi) at alpha={a}, c={c}", tol=1e-9,
                        domain=lambda y: valid([y[0], y[1], c]))
    return y


def bracket_c(eq, a):
    """Scan c from C_START by doubling (or halving) until de/dc changes sign; (q0, chi) re-solved at each c.

    Returns the two bracketing points (q0, chi, c) and the scan (c, de/dc) for the diagnostics.
    """
    scan = []

    def at(c, q0, chi):
        try:
            q0, chi = _inner(eq, a, c, q0, chi)
        except ConvergenceError as exc:
            raise ConvergenceError(f"{exc} (scan in c: {len(scan)} points done)",
                                   {**exc.diagnostics, "c_scan": list(scan)}) from exc
        return q0, chi, eq.grad(a, (q0, chi, c))[2]

    c = C_START
    q0, chi, g = at(c, 0.5, 0.5)
    scan.append((c, g))
    factor = 2.0 if g > 0 else 0.5
    prev = (q0, chi, c)
    while True:
        c *= factor
        if not C_MIN <= c <= C_MAX:
            raise ConvergenceError(f"1-RSB at alpha={a}: de/dc has no sign change for c in [{C_MIN}, {C_MAX}]",
                                   {"c_scan": scan})
        q0, chi, gn = at(c, q0, chi)
        scan.append((c, gn))
        if gn * g <= 0:
            return prev, (q0, chi, c), scan
        prev, g = (q0, chi, c), gn


def solve(eq, a, x0=None):
    """Stationary point x = (q0, chi, c) at alpha: Newton from x0, or from the bracketing scan in c."""
    diag = {}
    try:
        return _solve(eq, a, x0, diag)
    except ZeroDivisionError as exc:
        raise ConvergenceError(f"1-RSB stationarity at alpha={a}: a kernel divided by zero (n(xi) underflowed; "
                               "alpha too close to 2? the SAT side is solve_near_sat's)", diag) from exc


def _solve(eq, a, x0, diag):
    if x0 is None:
        lo, hi, scan = bracket_c(eq, a)
        glo, ghi = scan[-2][1], scan[-1][1]
        w = glo / (glo - ghi)                      # secant in c between the bracketing points
        x0 = (1 - w) * np.array(lo) + w * np.array(hi)
        diag["c_scan"] = scan
    x, step, its, hist = newton(lambda x: eq.grad(a, x), lambda x: eq.jacobian(a, x), x0,
                                what=f"1-RSB stationarity at alpha={a}")
    diag.update(newton_iterations=its, newton_step=step, residuals=hist)
    return x, diag


def solve_near_sat(a):
    """Stationary point close to the SAT boundary, alpha_sat < a < alpha_sat + CONTINUATION_BELOW: continuation
    in delta = alpha - alpha_sat from CONTINUATION_BELOW down to a's delta (module docstring), each step on the
    SAT-side forms with a rule fitted to the extrapolated start.  Returns (x, diagnostics, (eq, check)): the
    SAT-side equations of the last step and those with its check rule."""
    sat = rs.sat_alpha()
    target = a - sat
    if not 0 < target < CONTINUATION_BELOW:
        raise ValueError(f"alpha must lie in ({sat!r}, {sat + CONTINUATION_BELOW!r}) for the SAT-side continuation "
                         f"(alpha <= {sat!r} is the SAT phase, e* = 0), got {a!r}")
    deltas = [CONTINUATION_BELOW]
    while deltas[-1] * CONTINUATION_RATIO > target:
        deltas.append(deltas[-1] * CONTINUATION_RATIO)
    deltas.append(target)
    x, diag = solve(Equations(), sat + deltas[0])
    path = [(deltas[0], x)]
    for d in deltas[1:]:
        if len(path) == 1:
            x0 = x
        else:                                      # log-log extrapolation of (1 - q0, chi, c) in delta
            (d1, x1), (d2, x2) = path[-2:]
            y1, y2 = _log_coordinates(x1), _log_coordinates(x2)
            y = y2 + (y2 - y1) * (np.log(d) - np.log(d2)) / (np.log(d2) - np.log(d1))
            x0 = np.array([1 - np.exp(y[0]), np.exp(y[1]), np.exp(y[2])])
        rules = sat_rules(x0[0])
        eq = SatEquations(rules[0])
        x, diag = solve_sat(eq, sat + d, x0)
        path.append((d, x))
    diag.update(continuation_deltas=deltas, continuation_c=[float(p[1][2]) for p in path],
                quadrature=f"trapezoid, {rules[0].intervals} intervals on [-{rules[0].half_width}, "
                           f"{rules[0].half_width}] (SAT-side forms)")
    return x, diag, (eq, SatEquations(rules[1]))


def solve_sat(eq, a, x0):
    """Stationary point on the SAT side from x0: Newton on the three equations; where it stalls (as alpha -> 2+
    the c direction is so flat that the round-off of de/dc moves c by more than NOISE_STEP at every step), c as
    the root of de/dc by Brent (a bracket always ends) with (q0, chi) re-solved by 2x2 Newton at each c."""
    try:
        return _solve(eq, a, x0, {})
    except ConvergenceError as exc:
        if "did not converge" not in str(exc):
            raise
    state = {"y": np.asarray(x0[:2], dtype=float), "its": 0}

    @functools.lru_cache(maxsize=None)          # one value per c: its sign decides the bracket
    def dc(c):
        y, _, its, _ = newton(lambda y: eq.grad(a, (y[0], y[1], c))[:2],
                              lambda y: eq.hessian(a, (y[0], y[1], c))[:2, :2], state["y"],
                              what=f"1-RSB (q0, chi) at alpha={a}, c={c}", domain=lambda y: valid([y[0], y[1], c]))
        state.update(y=y, its=state["its"] + its)
        return float(eq.grad(a, (y[0], y[1], c))[2])

    c0 = float(x0[2])
    factor = 1 + SAT_C_STEP if dc(c0) > 0 else 1 - SAT_C_STEP
    lo, hi = roots.expand_bracket(dc, c0, c0 * factor, factor=factor, limit=c0 * factor**20,
                                  what=f"1-RSB de/dc at alpha={a} (SAT side)")
    c, c_err, calls = roots.brent(dc, min(lo, hi), max(lo, hi), xtol=SAT_C_XTOL * c0,
                                  what=f"1-RSB de/dc at alpha={a} (SAT side)")
    dc.cache_clear()
    dc(c)
    x = np.array([*state["y"], c])
    return x, {"c_by_brent": {"bracket": c_err, "calls": calls}, "newton_iterations": state["its"],
               "residuals": [float(np.max(np.abs(eq.grad(a, x))))]}


def _log_coordinates(x):
    return np.log([1 - x[0], x[1], x[2]])


def threshold_system(eq, estimator):
    """(F, J) of the 4x4 system {grad e = 0, estimator - 1 = 0} in z = (q0, chi, c, alpha)."""
    if estimator == "estar":
        def F(z):
            return np.append(eq.grad(z[3], z[:3]), eq.estar(z[3], z[:3]) - 1)

        def J(z):
            return np.vstack([eq.hessian(z[3], z[:3]), eq.d_estar(z[3], z[:3])])
    else:
        def F(z):
            return np.append(eq.grad(z[3], z[:3]), eq.fstar(z[3], z[:3]) - 1)

        def J(z):
            g = eq.grad(z[3], z[:3])
            return np.vstack([eq.hessian(z[3], z[:3]), np.append(g, eq.dfstar_dalpha(z[3], z[:3]))])
    return F, J


def energy(alpha, *, digits=None) -> EnergyResult:
    """e*_1RSB(alpha) = fstar, the potential at its stationary point (estimator estar in diagnostics).

    0 exactly for alpha <= 2 (SAT phase).  Diagnostics: q0, chi, c, fstar, estar, Newton history.
    """
    a = validate.alpha(alpha)
    digits = validate.digits(digits, DIGITS)
    t0 = time.perf_counter()
    params = {"digits": digits}
    sat = rs.sat_alpha()
    if sat < a < sat + DELTA_MIN:
        raise ValueError(f"alpha must be <= {sat!r} (SAT phase, e* = 0) or >= {sat + DELTA_MIN!r} for the 1-RSB "
                         f"energy (closer to the SAT boundary c > 1700 and the rule needs > 3e4 nodes; not "
                         f"supported), got {alpha!r}")
    if a <= sat:
        zero = 0.0 if digits is None else mpmath.mpf(0)
        return EnergyResult("one-rsb", a, zero, 0.0, "exact: SAT phase (alpha <= 2), e* = 0", params,
                            {"q0": float("nan"), "chi": float("inf"), "c": float("inf"), "fstar": zero,
                             "estar": zero, "time_s": time.perf_counter() - t0}, digits)
    if a < sat + CONTINUATION_BELOW:
        x, diag, (eq, check) = solve_near_sat(a)
    else:
        eq, check = Equations(), Equations(CHECK_RULE)
        x, diag = solve(eq, a)
    fstar, estar = eq.fstar(a, x), eq.estar(a, x)
    x2, _ = (solve_sat(check, a, x) if a < sat + CONTINUATION_BELOW else solve(check, a, x))
    f2 = check.fstar(a, x2)
    diag.update(q0=x[0], chi=x[1], c=x[2], fstar=fstar, estar=estar, fstar_check_rule=f2)
    if digits is None:
        err = roots.spread_error(fstar, [estar, f2], floor=roots.ulp_floor(fstar, ENERGY_ULPS))
        how = (f"max of the estimator gap |fstar - estar|, the change with a second trapezoid rule, and "
               f"{ENERGY_ULPS} ulp (round-off of the quadrature sums)")
        e = fstar
    else:
        H = eq.hessian(a, x)[:, :3]
        mp_eq = MpEquations()
        with mpmath.workdps(digits + GUARD_DIGITS):
            am = mpmath.mpf(a)
            xm, step, its = roots.newton_mp(lambda *z: mp_eq.grad(am, z), H, list(x), maxiter=CHORD_MAXITER,
                                            tol=mpmath.mpf(10) ** -(digits + 2),
                                            what=f"1-RSB stationarity at alpha={a} (mpmath chord)")
            e, es = mp_eq.fstar(am, xm), mp_eq.estar(am, xm)
            quad = mp_eq.propagated_error("one_rsb_potential", am, *xm)
            err = roots.spread_error(e, [es], steps=[step, quad], floor=roots.half_unit(e, digits))
            diag.update(q0=xm[0], chi=xm[1], c=xm[2], fstar=e, estar=es, chord_iterations=its,
                        chord_error=step, quadrature_error=mp_eq.quad_error, working_digits=digits + GUARD_DIGITS)
        how = ("mpmath (Gauss-Legendre E_xi): max of the estimator gap, the chord-iteration error bound, the "
               "quadrature error estimate (propagated by the derived d fstar/d E_xi) and half a unit in the last "
               "requested digit")
    diag["time_s"] = time.perf_counter() - t0
    return EnergyResult("one-rsb", a, e, err, how, params, diag, digits)


def threshold(*, digits=None) -> ThresholdResult:
    """alpha_1RSB: root of estar(alpha) = 1 on the 1-RSB stationary point (docs/theory.md §3.6)."""
    digits = validate.digits(digits, DIGITS)
    t0 = time.perf_counter()
    alpha_rs = float(rs.threshold().alpha)
    eq = Equations()
    x_rs, start = solve(eq, alpha_rs)
    F, J = threshold_system(eq, "estar")
    z, step_e, its_e, hist = newton(F, J, np.append(x_rs, alpha_rs), what="1-RSB threshold (estar)")
    zf, step_f, its_f, _ = newton(*threshold_system(eq, "fstar"), z, what="1-RSB threshold (fstar)")
    z2, step_2, _, _ = newton(*threshold_system(Equations(CHECK_RULE), "estar"), z,
                              what="1-RSB threshold (estar, check rule)")
    Jz = J(z)
    residual_bound = float(np.abs(np.linalg.inv(Jz)[3]) @ np.abs(F(z)))
    alpha = float(z[3])
    diag = {"q0": z[0], "chi": z[1], "c": z[2], "alpha_fstar_route": zf[3], "alpha_check_rule": z2[3],
            "estimator_gap": abs(zf[3] - z[3]), "rule_change": abs(z2[3] - z[3]), "residual_bound": residual_bound,
            "start_alpha_rs": alpha_rs, "start_c_scan": start.get("c_scan"), "newton_iterations": (its_e, its_f),
            "residuals": hist,
            "quadrature": f"trapezoid, {RULE.intervals} intervals on [-{RULE.half_width}, {RULE.half_width}]"}
    params = {"digits": digits}
    if digits is None:
        err = roots.spread_error(alpha, [zf[3], z2[3]], steps=[step_e * alpha, residual_bound],
                                 floor=roots.ulp_floor(alpha))
        how = ("max of |root(fstar - 1) - root(estar - 1)|, the change with a second trapezoid rule, the last "
               "Newton step, |J^-1 F| at the root (residual x conditioning) and 4 ulp")
    else:
        Jd = Jz
        mp_eq = MpEquations()
        dps = digits + GUARD_DIGITS
        with mpmath.workdps(dps):
            zm, step, its = roots.newton_mp(lambda *v: mp_eq.threshold_residual(v), Jd, list(z), maxiter=CHORD_MAXITER,
                                            tol=mpmath.mpf(10) ** -(digits + 2), what="1-RSB threshold (mpmath chord)")
            alpha, xm = zm[3], zm[:3]
            alpha_f = alpha - (mp_eq.fstar(alpha, xm) - 1) / mp_eq.dfstar_dalpha(alpha, xm)
            gap = abs(alpha_f - alpha)
            quad = mp_eq.quad_error * np.abs(np.linalg.inv(Jd)).max()
            err = roots.spread_error(alpha, [alpha_f], steps=[step, quad], floor=roots.half_unit(alpha, digits))
            diag.update(q0=xm[0], chi=xm[1], c=xm[2], alpha_fstar_route=alpha_f, estimator_gap=gap,
                        chord_iterations=its, chord_error=step, quadrature_error=quad, double_route=z[3],
                        working_digits=dps)
        how = (f"mpmath at {dps} digits (Gauss-Legendre E_xi): max of the estimator gap (one Newton step of "
               "fstar - 1 from the estar root), the chord-iteration error bound, the quadrature error estimate "
               "and half a unit in the last digit")
    diag["time_s"] = time.perf_counter() - t0
    return ThresholdResult("one-rsb", alpha, err, how, params, diag, digits)


class MpEquations:
    """The derived equations in mpmath, E_xi by :func:`numerics.quadrature.expect_mp`; ``quad_error`` is the largest quadrature
    error estimate seen."""

    def __init__(self):
        self.gen = kernels.mp(MODULE)
        self.quad_error = mpmath.mpf(0)
        self._last = {}

    def _averaged(self, name, *params):
        names, _ = self.gen.AVERAGES[name]
        avgs, errs = [], []
        for n in names:
            v, err = quadrature.expect_mp(getattr(self.gen, n), *params, error=True)
            self.quad_error = max(self.quad_error, err)
            avgs.append(v)
            errs.append(err)
        self._last[name] = (params, avgs, errs)
        return getattr(self.gen, name)(*params, *avgs)

    def propagated_error(self, name, *params):
        """The quadrature error of the last evaluation of ``name`` at params, propagated into its value by the
        derived sensitivities name__davg{j} (an Averaged kernel generated with sensitivities=True)."""
        last, avgs, errs = self._last[name]
        if list(last) != list(params):
            raise ValueError(f"{name} was last evaluated at other parameters")
        return sum(abs(getattr(self.gen, f"{name}__davg{j}")(*params, *avgs)) * e for j, e in enumerate(errs))

    def grad(self, a, x):
        return [self._averaged(f"one_rsb_grad_{v}", a, *x) for v in ORDER]

    def estar(self, a, x):
        return self._averaged("one_rsb_estar", a, *x)

    def fstar(self, a, x):
        return self._averaged("one_rsb_potential", a, *x)

    def dfstar_dalpha(self, a, x):
        return self._averaged("one_rsb_dpot_dalpha", a, *x)

    def threshold_residual(self, z):
        return self.grad(z[3], z[:3]) + [self.estar(z[3], z[:3]) - 1]
