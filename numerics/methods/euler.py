"""The Euler-characteristic surrogate (docs/theory.md §6): exact q_{m,n}, its exponential rate, and alpha_Euler.

``euler_characteristic(m, n)``: q_{m,n} = E chi(X_{m,n}) exactly, as a ``fractions.Fraction``, from the
face-counting sum of generated/euler_mpmath.py (its term, normalisation, summation range and the lines along
which its binomial C(M, r) and partial row sums S(M, r) move, all split off the SymPy summand by derive/euler.py).
The binomials and row sums are stepped by Pascal's rule and exact integer ratios (:class:`RowLine`), so the
cost is O(n) big-integer operations on numbers of O(m) bits.

``euler_rate(alpha)``: lim (1/n) log q_{alpha n, n}, psi at the contributing saddle (docs/theory.md §6.3), returned as
an :class:`EnergyResult` whose ``energy`` field holds the rate (it is *not* a ground-state energy).  Defined
for alpha >= 4 + 2 sqrt 2 (``alpha_min()``), where the saddle is real.

``threshold()``: alpha_Euler, the root of rate(alpha) = 0, by two routes: (A) Brent (double) / Newton
(mpmath) on the rate as a function of the saddle t, alpha = alpha(t); (B) Newton on the 2x2 system
{stationarity(alpha, t) = 0, psi(alpha, t) = 0} with the derived Jacobian.
"""
from __future__ import annotations

import math
import random
import sys
import time
from fractions import Fraction
from functools import lru_cache

import mpmath

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery import roots
from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import EnergyResult, ExactFraction
from relu_injectivity.methods import two_routes

GUARD_DIGITS = 15
DIGITS = (15, 1000)
"""Allowed ``digits`` (None: double precision)."""
DEFAULT_BUDGET_S = 60.0
KARATSUBA_EXPONENT = math.log2(3)
_CALIBRATION_BITS = 1 << 18


# ---------------------------------------------------------------------------------------------- exact q_{m,n}

def row_partial_sum(M: int, r: int) -> int:
    """S(M, r) = sum_{j=0}^{r} C(M, j) exactly, in O(min(r, M - r)) big-integer steps."""
    if r < 0:
        return 0
    if r >= M:
        return 1 << M
    if 2 * r + 1 > M:                      # S(M, r) = 2^M - S(M, M - r - 1) by the symmetry of the row
        return (1 << M) - row_partial_sum(M, M - r - 1)
    s = cj = 1
    for jj in range(r):
        cj = cj * (M - jj) // (jj + 1)
        s += cj
    return s


class RowLine:
    """C(M, r) and S(M, r) = sum_{j<=r} C(M, j) (integers M >= 0, any r), moved one step at a time, exactly.

    Pascal's rule S(M, r) = S(M-1, r) + S(M-1, r-1) = 2 S(M-1, r) - C(M-1, r) moves S in M; S(M, r±1) = S ± C
    moves it in r; C moves by the exact ratios C(M, r+1) = C(M, r)(M-r)/(r+1), C(M-1, r) = C(M, r)(M-r)/M,
    C(M+1, r) = C(M, r)(M+1)/(M+1-r).  Where C is zero (r < 0 or r > M) it is recomputed (cheaply) instead.
    """

    __slots__ = ("M", "r", "c", "s")

    def __init__(self, M: int, r: int):
        if M < 0:
            raise ValueError(f"RowLine needs a row M >= 0, got M={M}")
        self.M, self.r = M, r
        self.c = math.comb(M, r) if 0 <= r <= M else 0
        self.s = row_partial_sum(M, r)

    def r_up(self):
        M, r = self.M, self.r
        self.c = self.c * (M - r) // (r + 1) if self.c else (1 if r + 1 == 0 else 0)
        self.r = r + 1
        self.s += self.c

    def r_down(self):
        M, r = self.M, self.r
        self.s -= self.c
        self.c = self.c * r // (M - r + 1) if self.c else (1 if r - 1 == M else 0)
        self.r = r - 1

    def M_down(self):
        M, r = self.M, self.r
        if M == 0:
            raise ValueError("RowLine cannot step below row M = 0")
        self.c = self.c * (M - r) // M          # C(M, r) = 0 implies C(M-1, r) = 0
        self.M = M - 1
        self.s = (self.s + self.c) >> 1

    def M_up(self):
        M, r = self.M, self.r
        self.s = 2 * self.s - self.c
        self.c = self.c * (M + 1) // (M + 1 - r) if self.c else (1 if r == M + 1 else 0)
        self.M = M + 1

    def step(self, dM: int, dr: int):
        for _ in range(abs(dr)):
            self.r_up() if dr > 0 else self.r_down()
        for _ in range(abs(dM)):
            self.M_up() if dM > 0 else self.M_down()


def _face_lines(g, m, n, k0, k1):
    """The (binomial, row sum 1, row sum 2) lines of the face-counting sum, with their per-k steps."""
    lines = []
    for name in ("binomial", "sum1", "sum2"):
        top, bottom = getattr(g, f"euler_{name}_top"), getattr(g, f"euler_{name}_bottom")
        M0, r0 = top(m, n, k0), bottom(m, n, k0)
        dM, dr = top(m, n, k0 + 1) - M0, bottom(m, n, k0 + 1) - r0
        if (top(m, n, k1), bottom(m, n, k1)) != (M0 + dM * (k1 - k0), r0 + dr * (k1 - k0)):
            raise AssertionError(f"generated index kernels of {name} are not linear in k")
        lines.append((RowLine(M0, r0), dM, dr))
    return lines


@lru_cache(maxsize=None)
def _seconds_per_bigmul(bits: int) -> float:
    """Measured time of one product of two `bits`-bit integers (Karatsuba-extrapolated above the sample size)."""
    b = min(bits, _CALIBRATION_BITS)
    rng = random.Random(b)
    x, y = rng.getrandbits(b) | 1 << (b - 1), rng.getrandbits(b) | 1 << (b - 1)
    reps = max(1, _CALIBRATION_BITS // (4 * b))
    best = math.inf
    for _ in range(5):                     # best of 5 blocks: robust to a busy machine
        t0 = time.perf_counter()
        for _ in range(reps):
            x * y
        best = min(best, (time.perf_counter() - t0) / reps)
    return best * (bits / b)**KARATSUBA_EXPONENT


def estimated_seconds(m: int, n: int) -> float:
    """An upper estimate of the time of ``euler_characteristic(m, n)``, from a product timed on this machine.

    Per k: two products for the term plus a dozen linear-time steps (together about one more product), all on
    numbers of at most m + n bits (the row sums have ~m h(n/m) bits, so for large m/n the real time is lower:
    measured 0.2-0.9 x this estimate, benchmarks/euler.py); 30 us per k of interpreter overhead.
    """
    bits = max(64, m + n)
    return n * (2.0 * _seconds_per_bigmul(bits) + 3e-5)


def euler_characteristic(m, n, *, budget_s=DEFAULT_BUDGET_S) -> ExactFraction:
    """q_{m,n} = E chi(X_{m,n}) exactly (docs/theory.md §6.2), m >= n >= 1 integers.

    ``budget_s`` (seconds, or None for no limit): refuse with ValueError when :func:`estimated_seconds`
    exceeds it, instead of running for hours.
    """
    n = validate.integer("n", n, lo=1)
    m = validate.integer("m", m, lo=1)
    if m < n:
        raise ValueError(f"m must be >= n (the surrogate is defined for m/n >= 1), got m={m}, n={n}")
    if budget_s is not None:
        budget_s = validate.real("budget_s", budget_s, lo=0)
        est = estimated_seconds(m, n)
        if est > budget_s:
            raise ValueError(f"q_{{m,n}} for m={m}, n={n} needs about {est:.3g} s of big-integer arithmetic, over "
                             f"budget_s={budget_s:g}; allow more with budget_s (None: no limit) or take smaller n")
    g = kernels.mp("euler")
    k0, k1 = g.euler_k_first(n), g.euler_k_last(n)
    lines = _face_lines(g, m, n, k0, k1)
    (cl, cdM, cdr), (l1, dM1, dr1), (l2, dM2, dr2) = lines
    term = g.euler_face_term
    total = 0
    for kk in range(k0, k1 + 1):
        total += term(n, kk, cl.c, l1.s, l2.s)
        if kk < k1:
            cl.step(cdM, cdr)
            l1.step(dM1, dr1)
            l2.step(dM2, dr2)
    return ExactFraction(total, g.euler_face_normalisation(m))  # a Fraction with a short repr


def fraction_str(q: Fraction) -> str:
    """Exact decimal 'p/q' (or 'p') of a Fraction of any size (lifts Python's int-to-str digit limit briefly)."""
    get = getattr(sys, "get_int_max_str_digits", None)
    if get is None:
        return str(q)
    old = get()
    sys.set_int_max_str_digits(0)
    try:
        return str(q)
    finally:
        sys.set_int_max_str_digits(old)


def log_abs(q: Fraction) -> float:
    """log |q| of a Fraction of any size (q != 0)."""
    if q == 0:
        raise ValueError("log|q| of q = 0")
    return math.log(abs(q.numerator)) - math.log(q.denominator)


def finite_n_rate(q: Fraction, n: int) -> float:
    """(1/n) log|q_{m,n}| (generated euler_finite_n_rate): the finite-n rate whose n -> oo limit is euler_rate."""
    return kernels.mp("euler").euler_finite_n_rate(log_abs(q), n)


# ---------------------------------------------------------------------------------------------- rate

@lru_cache(maxsize=None)
def saddle_merger() -> tuple[float, float]:
    """(t_c, alpha_min): where d alpha(t)/dt = 0 on (0, 1), i.e. the two real saddles merge (4 + 2 sqrt 2)."""
    g = kernels.numba("euler")
    t_c, _, _ = roots.brent(lambda x: float(g.euler_dalpha_dt(x)), 1e-9, 1 - 1e-9, what="saddle merger dalpha/dt = 0")
    return t_c, float(g.euler_alpha_of_t(t_c))


def alpha_min() -> float:
    """Smallest alpha with a real saddle (below it q_{alpha n, n} oscillates in sign and has no real rate)."""
    return saddle_merger()[1]


def _check_alpha(alpha) -> float:
    a = validate.alpha(alpha)
    amin = alpha_min()
    if a < amin * (1 - 8 * roots.EPS):
        raise ValueError(f"alpha must be >= 4 + 2 sqrt 2 = {amin!r} for the Euler rate (below, the saddle points are "
                         f"complex and q oscillates in sign), got {alpha!r}")
    return a


def euler_rate(alpha, *, digits=None) -> EnergyResult:
    """rate(alpha) = lim (1/n) log q_{alpha n, n}, in the ``energy`` field of an EnergyResult (docs/theory.md §6.3).

    Saddle t from the derived closed form (smaller root of the quadratic) and, independently, by root finding
    on the stationarity equation; the error bar is the difference of psi at the two, floored by rounding.
    Diagnostics: saddle t, c0 of log q = n rate - log n + c0 + O(1/n).  With ``digits``, an mpmath.mpf alpha
    is used at its full precision (otherwise alpha is a double).
    """
    a = _check_alpha(alpha)
    digits = validate.digits(digits, DIGITS)
    t0 = time.perf_counter()
    g = kernels.numba("euler")
    t_c, amin = saddle_merger()
    disc = float(g.euler_discriminant(a))
    t_a = float(g.euler_saddle_t(a)) if disc > 0 else t_c
    stat = lambda x: float(g.euler_stationarity(a, x))  # noqa: E731
    t_b, t_err, calls = roots.brent(stat, 1e-300, t_c, what=f"Euler saddle at alpha={a}") if stat(t_c) != 0 else \
        (t_c, 0.0, 1)
    r_a, r_b = float(g.euler_psi(a, t_a)), float(g.euler_psi(a, t_b))
    scale = abs(a * float(g.euler_psi_dalpha(a, t_a))) + abs(r_a)
    diag = {"saddle_t": t_a, "saddle_t_root_finding": t_b, "rate_root_finding": r_b, "brent_calls": calls,
            "log_prefactor_c0": float(g.euler_log_prefactor(t_a)), "alpha_min": amin,
            "asymptotics": "log q_{alpha n, n} = n rate - log n + c0 + O(1/n)"}
    params = {"digits": digits}
    if digits is None:
        rate = r_a
        err = roots.spread_error(r_a, [r_b], floor=roots.ulp_floor(scale, 8))
        how = ("psi at the closed-form saddle vs at the Brent root of the stationarity equation, floored by "
               "8 ulp of the cancelling terms")
    else:
        gm = kernels.mp("euler")
        dps = digits + GUARD_DIGITS
        with mpmath.workdps(dps):
            am = mpmath.mpf(alpha) if isinstance(alpha, mpmath.mpf) else mpmath.mpf(a)
            tm_a = gm.euler_saddle_t(am) if gm.euler_discriminant(am) > 0 else mpmath.mpf(t_c)
            (tm_b,), step, its = roots.newton_mp(lambda x: [gm.euler_stationarity(am, x)],
                                                 lambda x: [[gm.euler_stationarity_dt(am, x)]], [t_b],
                                                 tol=mpmath.mpf(10)**-(dps - 2), what="Euler saddle (mpmath)")
            rate, r_b = gm.euler_psi(am, tm_a), gm.euler_psi(am, tm_b)
            scale = abs(am * gm.euler_psi_dalpha(am, tm_a)) + abs(rate)
            err = roots.spread_error(rate, [r_b], floor=mpmath.mpf(10)**-digits * scale)
            diag.update(saddle_t=tm_a, saddle_t_root_finding=tm_b, rate_root_finding=r_b, newton_iterations=its,
                        log_prefactor_c0=gm.euler_log_prefactor(tm_a), working_digits=dps)
        how = (f"mpmath at {dps} digits: closed-form saddle vs Newton on the stationarity equation, floored by "
               f"one unit in the {digits}th digit of the cancelling terms")
    diag["time_s"] = time.perf_counter() - t0
    return EnergyResult("euler", a, rate, err, how, params, diag, digits)


def _route_a_double(g):
    t_c, _ = saddle_merger()
    f = lambda x: float(g.euler_rate_of_t(x))  # noqa: E731
    t_c, lo = roots.expand_bracket(f, t_c, t_c / 2, factor=0.5, limit=1e-300,
                                   what="Euler threshold: rate(alpha(t)) on (0, t_c]")
    t, t_err, calls = roots.brent(f, lo, t_c, what="Euler threshold (rate of the saddle t)")
    return t, t_err, calls


SYSTEM = (('euler_stationarity', 'euler_psi'),
          (('euler_stationarity_dalpha', 'euler_stationarity_dt'), ('euler_psi_dalpha', 'euler_psi_dt')))
"""Names of the threshold system and its Jacobian rows in the generated module (for kernels.system)."""


@two_routes.threshold("euler", "euler", allowed=DIGITS, guard=GUARD_DIGITS)
def threshold(g) -> two_routes.Found:
    """alpha_Euler: the root of rate(alpha) = 0 (docs/theory.md §6.3), two routes (module docstring)."""
    t_a, t_err, calls = _route_a_double(g)
    alpha_a = float(g.euler_alpha_of_t(t_a))
    x, it = two_routes.newton_system(g, SYSTEM, [1.05 * alpha_a, 0.9 * t_a], what="Euler threshold, 2x2 system",
                                     tol=1e-15, maxiter=100, domain=lambda x: x[0] > 0 and x[1] > 0)
    alpha_b, t_b = map(float, x)

    def mp_routes(digits):
        gm = kernels.mp("euler")
        return [roots.Route("reduced", lambda s: [gm.euler_rate_of_t(s)], lambda s: [[gm.euler_rate_of_t_dt(s)]],
                            gm.euler_alpha_of_t, gm.euler_dalpha_dt),
                roots.Route("2x2 system", *kernels.system(gm, *SYSTEM), lambda a, s: a)], [[t_a], [alpha_b, t_b]]

    return two_routes.Found(
        (alpha_a, alpha_b), ("route_reduced", "route_system"),
        {"saddle_t": t_a, "route_reduced": alpha_a, "route_system": alpha_b, "brent_calls": calls,
         "newton_iterations": it, "alpha_min": alpha_min()},
        "difference of two routes (Brent on rate(alpha(t)), Newton on the 2x2 saddle system), Brent bracket mapped "
        "to alpha, 4-ulp floor",
        "difference of two routes (reduced rate(alpha(t)), 2x2 saddle system) and last Newton steps",
        mp_routes, lambda r: {"saddle_t": r.xs[0][0]}, "Euler threshold",
        step=abs(float(g.euler_dalpha_dt(t_a))) * t_err)
