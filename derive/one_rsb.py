"""One-step replica symmetry breaking (1-RSB) at zero temperature (docs/theory.md §3).

Order parameters ``(q0, chi, c)``: the inter-state overlap q0, the intra-state susceptibility
``chi = lim beta (1 - q1)`` and the zero-temperature Parisi parameter ``c = lim beta m``.

Definition (docs/theory.md §3.1-3.2).  The finite-beta 1-RSB free entropy of the spherical perceptron is
``Phi = G_S(q0, q1, m) + alpha E_xi (1/m) log E_u Z_out(w)^m`` with the spherical entropic term

    G_S = (1/2) [ (1 - 1/m) log(1-q1) + (1/m) log(1 - q1 + m (q1-q0)) + q0 / (1 - q1 + m (q1-q0)) ]

(Gardner's 1-RSB form; at m -> 0 or q0 = q1 it is the RS term of §2.1).  With ``1 - q1 = chi/beta`` and
``m = c/beta``, SymPy takes ``-lim Phi/beta``: the entropic part by :func:`sympy.limit`, the energetic part
through ``Z_out(w) -> exp(beta g_chi(w))`` (the Moreau envelope of derive/rs.py), giving (1RSB-e)

    e(q0, chi, c) = -q0/(2D) - log(D/chi)/(2c) - (alpha/c) E_xi log n(xi),   D = chi + c (1-q0),
    n(xi) = E_u exp(c g_chi(w)),   w = sqrt(q0) xi + sqrt(1-q0) u.

The u-integral is done piece by piece of g_chi: on each piece the integrand is exp(quadratic in u), and
SymPy integrates the generic ``exp(-p2 u^2 + p1 u + p0)`` over an interval (``sympy.integrate`` does not finish
on the raw piece, so the coefficients are extracted by ``sympy.Poly`` and substituted into the generic
antiderivative).  The result is printed in a form that neither overflows nor cancels: the Gaussian prefactors
are merged into one ``exp`` of a non-positive argument, and each ``erf(x1) - erf(x0)`` becomes a difference of
``erfc`` taken on the side where both terms are small (see :func:`erf_difference`).

Everything else is differentiation by SymPy: the stationarity equations are ``de/dq0, de/dchi, de/dc``
(``Avg`` differentiates under the integral), their Jacobian (the Hessian and the alpha column) and the two
estimators of e*:

* ``fstar = e`` at the stationary point (the potential value);
* ``estar = de/dlambda`` at lambda = 1, lambda being a weight on the energy, ``theta -> lambda theta``.  The
  ground-state energy of ``lambda E_W`` is ``lambda e*``, so by the envelope theorem ``de/dlambda = e*``; the
  weighted envelope is ``lambda g_{lambda chi}`` and SymPy's derivative is the tilted fraction of fields above
  sqrt(2 chi), ``alpha e^{-c} E_xi[Iabove/n]`` of docs/theory.md §3.6 (checked pointwise in the tests).

The hand forms of §3.4-3.5 (A0, A1, the cubic for q0) are not used as input.  ``A0, A1`` are *defined* here
from the derivatives of the energetic term, SymPy reduces the entropic side of the stationarity equations to
``A0 = q0/D^2`` and ``A1 = q0/D^2 + (1-q0)/(D chi)``, and the cubic and the chi update of the fixed-point scheme
are obtained by eliminating chi (resultant) and D (polynomial remainder).
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from .codegen import Averaged, Kernel
from .gauss import Avg, xi
from .rs import alpha, chi, moreau_envelope, u, w

q0, c, lam = sp.symbols("q0 c lam", positive=True)
"""Inter-state overlap, zero-temperature Parisi parameter c = lim beta m, and the energy weight lambda."""
A0, A1 = sp.symbols("A0 A1", real=True)
"""The energetic parts of the stationarity equations in q0 and chi (docs/theory.md §3.4)."""

ORDER = (q0, chi, c)
"""The order parameters, in the order of the stationarity equations and the Jacobian columns."""

_p2 = sp.Symbol("p2", positive=True)
_p1, _p0, _lo, _hi = sp.symbols("p1 p0 lo hi", real=True)


# ---------------------------------------------------------------------------------------------------------------
# Entropic term


def entropic_finite_beta(m, q1):
    """G_S(q0, q1, m): the spherical 1-RSB entropic term (see the module docstring)."""
    d1 = 1 - q1 + m * (q1 - q0)
    return sp.Rational(1, 2) * ((1 - 1 / m) * sp.log(1 - q1) + sp.log(d1) / m + q0 / d1)


@lru_cache(maxsize=None)
def entropic_zero_temperature():
    """-lim G_S/beta with 1 - q1 = chi/beta, m = c/beta (by sympy.limit)."""
    beta, m, q1 = sp.symbols("beta m q1", positive=True)
    g = entropic_finite_beta(m, q1).subs({q1: 1 - chi / beta, m: c / beta})
    limit = sp.expand(sp.expand_log(sp.limit(-g / beta, beta, sp.oo), force=True))
    logs = sorted(limit.atoms(sp.log), key=sp.default_sort_key)
    parts = sp.collect(limit, logs, evaluate=False)
    return sum(sp.factor(sp.cancel(k)) * t for t, k in parts.items())


# ---------------------------------------------------------------------------------------------------------------
# Gaussian integrals over an interval, in a stable form


class erfc(sp.erfc):  # noqa: N801 -- the printers know the function by its class name
    """erfc without SymPy's rewrite erfc(-x) -> 2 - erfc(x), which would undo :func:`erf_difference`."""

    @classmethod
    def eval(cls, arg):
        if arg.is_Number:
            return sp.erfc(arg)
        return None


def erf_difference(x0, x1):
    """erf(x1) - erf(x0) (x0 <= x1), as a difference of erfc of arguments of one sign.

    For x0 + x1 > 0 both erf are near +1 on the relevant side, so erfc(x0) - erfc(x1) (both small, no
    cancellation); otherwise erfc(-x1) - erfc(-x0).  Infinite ends give a single erfc.
    """
    if x1 == sp.oo:
        return erfc(x0)
    if x0 == -sp.oo:
        return erfc(-x1)
    return sp.Piecewise((erfc(x0) - erfc(x1), x0 + x1 > 0), (erfc(-x1) - erfc(-x0), True))


@lru_cache(maxsize=None)
def _interval_template():
    """sympy.integrate of exp(-p2 u^2 + p1 u + p0) on [lo, hi], split as (prefactor, x_lo, x_hi) with
    integral = prefactor * (erf(x_hi) - erf(x_lo))."""
    integral = sp.integrate(sp.exp(-_p2 * u**2 + _p1 * u + _p0), (u, _lo, _hi))
    erfs = sorted(integral.atoms(sp.erf), key=sp.default_sort_key)
    (e_lo,) = [e for e in erfs if e.has(_lo)]
    (e_hi,) = [e for e in erfs if e.has(_hi)]
    s_lo, s_hi = sp.symbols("s_lo s_hi")
    lin = sp.expand(integral.xreplace({e_lo: s_lo, e_hi: s_hi}))
    pref = sp.simplify(sp.diff(lin, s_hi))
    if sp.simplify(sp.diff(lin, s_lo) + pref) != 0 or sp.simplify(lin.subs({s_lo: 0, s_hi: 0})) != 0:
        raise ValueError(f"unexpected form of the Gaussian interval integral: {integral}")
    return pref, e_lo.args[0], e_hi.args[0]


def _merge_exponentials(expr):
    """Product of exp factors -> one exp with a simplified argument (so that exp(-big) exp(+big) never occurs)."""
    expr = sp.powsimp(sp.expand_power_base(expr, force=True), combine="exp")
    return expr.replace(lambda e: isinstance(e, sp.exp), lambda e: sp.exp(sp.factor(sp.cancel(e.args[0]))))


def gaussian_interval(integrand_exponent, var, lo, hi):
    """Integral over var in [lo, hi] of exp(integrand_exponent), the exponent a quadratic in var with negative
    leading coefficient; closed form with the stable erfc difference."""
    poly = sp.Poly(sp.expand(integrand_exponent), var)
    if poly.degree() != 2:
        raise ValueError(f"exponent {integrand_exponent} is not quadratic in {var}")
    p2, p1, p0 = (sp.cancel(-poly.coeff_monomial(var**2)), sp.cancel(poly.coeff_monomial(var)),
                  sp.cancel(poly.coeff_monomial(1)))
    pref, x_lo, x_hi = _interval_template()
    sub = {_p2: p2, _p1: p1, _p0: p0}
    x_lo = sp.cancel(x_lo.subs(sub).subs(_lo, lo)) if lo != -sp.oo else -sp.oo
    x_hi = sp.cancel(x_hi.subs(sub).subs(_hi, hi)) if hi != sp.oo else sp.oo
    return _merge_exponentials(pref.subs(sub)) * erf_difference(x_lo, x_hi)


# ---------------------------------------------------------------------------------------------------------------
# The tilted partition function n(xi) and the potential


def weighted_envelope():
    """Pieces (g, lower, upper) in w of the envelope of lambda*theta: lambda * g_{lambda chi}(w)."""
    pieces, _ = moreau_envelope(w, lam * chi)
    return [(sp.expand(lam * g), lo, hi) for g, lo, hi in pieces]


BOUNDARY = {q0: sp.Symbol("q0_b", positive=True), chi: sp.Symbol("chi_b", positive=True),
            lam: sp.Symbol("lam_b", positive=True)}
"""Copies of the parameters that enter n(xi) only through the ends of the pieces of g (in u)."""


s = sp.Symbol("s", real=True)
"""log of the scale by which n(xi) is divided on the SAT side (:func:`sat_scale`): a constant of the u-integral
and of the derivatives in the parameters."""


@lru_cache(maxsize=None)
def _piece_integrals(scaled=False):
    """The u-integrals of n(xi) over the pieces of g (w <= 0, 0 < w < sqrt(2 chi), above), the piece ends in u
    written with the BOUNDARY copies of the parameters; ``scaled``: of exp(-s) n(xi)."""
    a, b = sp.sqrt(q0) * xi, sp.sqrt(1 - q0)
    ab, bb = a.xreplace(BOUNDARY), b.xreplace(BOUNDARY)
    terms = []
    for g, lo, hi in weighted_envelope():
        exponent = -u**2 / 2 + c * g.subs(w, a + b * u) - (s if scaled else 0)
        u_lo = ((lo - ab) / bb).xreplace(BOUNDARY) if lo != -sp.oo else -sp.oo
        u_hi = ((hi - ab) / bb).xreplace(BOUNDARY) if hi != sp.oo else sp.oo
        terms.append(gaussian_interval(exponent, u, u_lo, u_hi) / sp.sqrt(2 * sp.pi))
    return tuple(terms)


@lru_cache(maxsize=None)
def _tilted_partition_pieces(scaled=False):
    """n(xi) (``scaled``: exp(-s) n(xi)) with the piece ends in u written with the BOUNDARY copies."""
    total = sp.Integer(0)
    for term in _piece_integrals(scaled):
        total += term
    return total


def _identify(expr):
    """Set the BOUNDARY copies back to the parameters, and simplify the arguments of erfc, exp and of the
    Piecewise conditions (after identification, terms like c q0^(3/2) + c sqrt(q0) (1-q0) - c sqrt(q0)
    cancel exactly; left alone they would cancel in floating point)."""
    expr = expr.xreplace({v: k for k, v in BOUNDARY.items()})
    tidy = lru_cache(maxsize=None)(lambda e: sp.factor(sp.cancel(sp.expand(e))))
    expr = expr.replace(lambda e: isinstance(e, (sp.erfc, sp.exp)), lambda e: e.func(tidy(e.args[0])))
    return expr.replace(lambda e: isinstance(e, sp.StrictGreaterThan), lambda e: tidy(e.lhs - e.rhs) > 0)


@lru_cache(maxsize=None)
def tilted_partition():
    """n(xi) = E_u exp(c lambda g_{lambda chi}(w)), w = sqrt(q0) xi + sqrt(1-q0) u, in closed form (§3.3)."""
    return _identify(_tilted_partition_pieces())


@lru_cache(maxsize=None)
def tilted_partition_derivative(variables, scaled=False):
    """d^k n / d variables (a tuple of symbols), by differentiation under the u-integral (``scaled``: of
    exp(-s) n, s held constant).

    exp(c lambda g_{lambda chi}(w)) is continuous in u, so in the first derivative the terms from the moving
    piece ends cancel (Leibniz rule): it is the derivative with the ends held fixed.  Higher derivatives are
    the full derivatives of that (g' jumps at w = sqrt(2 chi), so their end terms do not cancel).
    """
    first = _identify(sp.diff(_tilted_partition_pieces(scaled), variables[0]))
    return sp.diff(first, *variables[1:]) if len(variables) > 1 else first


N = sp.Function("N")(q0, chi, c, lam)
"""Placeholder for n(xi) while SymPy differentiates the potential; see :func:`expand_n`."""


def expand_n(expr):
    """Replace N and its derivatives by the closed forms of n(xi) and its u-integral derivatives."""
    reps = {}
    for d in expr.atoms(sp.Derivative):
        if d.expr == N:
            reps[d] = tilted_partition_derivative(tuple(v for v, k in d.variable_count for _ in range(k)))
    reps[N] = tilted_partition()
    return expr.xreplace(reps)


@lru_cache(maxsize=None)
def potential_lambda():
    """e(q0, chi, c; alpha, lambda) of (1RSB-e) with n = N unexpanded, lambda the energy weight."""
    return entropic_zero_temperature() - alpha / c * Avg(sp.log(N))


def _derived(expr):
    """Expand N and set the energy weight lambda to 1, then merge the averages."""
    return merge_averages(expand_n(expr).subs(lam, 1))


def merge_averages(expr):
    """R + sum_j k_j Avg(f_j) -> R + Avg(sum_j k_j f_j) (expr linear in the Avg atoms, k_j free of xi).

    One average per equation: one quadrature per evaluation.
    """
    avgs = sorted(expr.atoms(Avg), key=sp.default_sort_key)
    if len(avgs) <= 1:
        return expr
    slots = sp.symbols(f"avgslot0:{len(avgs)}")
    lin = expr.xreplace(dict(zip(avgs, slots)))
    coeffs = [sp.diff(lin, s) for s in slots]
    if any(k.has(xi) or any(k.has(s) for s in slots) for k in coeffs):
        raise ValueError("expression is not linear in its averages")
    rest = lin.xreplace({s: 0 for s in slots})
    return rest + Avg(sum(k * a.args[0] for k, a in zip(coeffs, avgs)))


@lru_cache(maxsize=None)
def zero_temperature():
    """All derived expressions (dict): potential, gradient, Hessian, estimators, A0/A1 and the cubic."""
    pot = potential_lambda()
    cols = ORDER + (alpha,)
    grad = [sp.diff(pot, v) for v in ORDER]
    estar = sp.diff(pot, lam)
    ent = entropic_zero_temperature()
    return {
        "n": tilted_partition().subs(lam, 1),
        "potential": _derived(pot),
        "entropic": ent,
        "estar": _derived(estar),
        "grad": [_derived(g) for g in grad],
        "hess": {(i, j): _derived(sp.diff(grad[i], cols[j])) for i in range(3) for j in range(4) if j >= i},
        "d_estar": [_derived(sp.diff(estar, v)) for v in cols],
        "dpot_dalpha": _derived(sp.diff(pot, alpha)),
        "A0": _derived(2 / c * sp.diff(pot - ent, q0)),
        "A1": _derived(-2 * sp.diff(pot - ent, chi)),
        **fixed_point_form(),
    }


@lru_cache(maxsize=None)
def fixed_point_form():
    """docs/theory.md §3.4-3.5 from the potential e = S + E (S the entropic term, E = -(alpha/c) E_xi log n).

    With A0 := (2/c) dE/dq0 and A1 := -2 dE/dchi, the stationarity equations read A0 = A0_rhs, A1 = A1_rhs
    (SymPy differentiates S); eliminating chi gives the cubic for q0 and the chi update.
    """
    ent = entropic_zero_temperature()
    a0_rhs = sp.factor(-2 / c * sp.diff(ent, q0))     # de/dq0 = 0  <=>  A0 = a0_rhs
    a1_rhs = sp.factor(2 * sp.diff(ent, chi))         # de/dchi = 0 <=>  A1 = a1_rhs
    cubic, chi_update = _fixed_point_elimination(a0_rhs, a1_rhs, chi + c * (1 - q0))
    return {"A0_rhs": a0_rhs, "A1_rhs": a1_rhs, "cubic": cubic, "chi_update": chi_update,
            **admissible_interval(chi_update)}


def admissible_interval(chi_update):
    """The q0 interval on which the chi update is positive: between the zero of its denominator and the zero of
    its numerator in q0 (docs/theory.md §3.5: the root of the cubic to take).  Checked at a probe point."""
    num, den = sp.fraction(sp.factor(chi_update))
    (low,) = sp.solve(den, q0)
    (high,) = sp.solve(num, q0)
    probe = {A0: sp.Rational(1, 3), A1: 1, c: 1}
    mid = (low + high).subs(probe) / 2
    if not (low.subs(probe) < high.subs(probe) and chi_update.subs(probe).subs(q0, mid) > 0):
        raise AssertionError(f"chi update {chi_update} is not positive between {low} and {high}")
    return {"q0_low": low, "q0_high": high}


def _fixed_point_elimination(a0_rhs, a1_rhs, D):
    """Solve {A0 = a0_rhs(q0, chi), A1 = a1_rhs(q0, chi)} for (q0, chi) at given (A0, A1, c).

    Returns the coefficients [k0, k1, k2, k3] of the cubic sum_k k_k q0^k = 0 (chi eliminated by a resultant,
    the spurious factors removed) and chi as a function of (A0, A1, c, q0) on that cubic.
    """
    dd = sp.Symbol("D", positive=True)
    chi_of_d = sp.solve(sp.Eq(dd, D), chi)[0]                         # chi = D - c (1 - q0)
    e0 = sp.numer(sp.together(A0 - a0_rhs.subs(chi, chi_of_d)))       # polynomial in (D, q0)
    e1 = sp.numer(sp.together(A1 - a1_rhs.subs(chi, chi_of_d)))
    res = sp.factor(sp.resultant(sp.expand(e0), sp.expand(e1), dd))
    factors = [f for f, _ in sp.factor_list(res)[1] if sp.Poly(f, q0).degree() == 3]
    if len(factors) != 1:
        raise ValueError(f"expected one cubic factor in q0, got {sp.factor_list(res)}")
    cubic = sp.Poly(factors[0], q0)
    coeffs = [sp.factor(cubic.coeff_monomial(q0**k)) for k in range(4)]
    # D from e1 reduced modulo e0 (linear in D), then chi = D - c(1-q0)
    lin = sp.rem(sp.expand(e1), sp.expand(e0), dd)
    (d_sol,) = sp.solve(lin, dd)
    return coeffs, sp.factor(chi_of_d.subs(dd, d_sol))


# ---------------------------------------------------------------------------------------------------------------
# The SAT side, alpha -> 2+: the same equations with n(xi) rescaled


class Erfcx(sp.Function):
    """exp(y^2) erfc(y), y > 0, kept opaque while the exponentials around it are merged; printed through
    :func:`erfcx_stable`."""

    nargs = 1


ERFCX_FROM = 26
"""From this argument on, erfcx is its asymptotic series (below, exp(y^2) erfc(y) with erfc(26) ~ 6e-296 still a
normal double)."""
ERFCX_TERMS = 8
"""Terms of the asymptotic series: the first one left out is (2*8-1)!!/(2 y^2)^8 < 2e-19 of the sum at y = 26."""


def erfcx_stable(y):
    """exp(y^2) erfc(y) without overflow for y >= 0: exp(y^2) erfc(y) below ERFCX_FROM, above it the asymptotic
    series of erfc at infinity (SymPy's series, ERFCX_TERMS terms; evaluated at max(y, ERFCX_FROM), so that
    the branch not taken divides by nothing small)."""
    t = sp.Symbol("t", positive=True)
    series = sp.series(sp.exp(t**2) * sp.erfc(t), t, sp.oo, n=2 * ERFCX_TERMS).removeO()
    if len(sp.Add.make_args(series)) != ERFCX_TERMS:
        raise ValueError(f"unexpected asymptotic series of erfcx: {series}")
    return sp.Piecewise((sp.exp(y**2) * erfc(y), y < ERFCX_FROM), (series.subs(t, sp.Max(y, ERFCX_FROM)), True))


def sat_scale():
    """S(xi), the log-scale of n(xi) on the SAT side: the exponent of the largest of the three pieces of n.

    As alpha -> 2+ the breakpoint c grows without bound and n(xi) ~ exp(c g_D(sqrt(q0) xi)) (g_D the envelope
    with the variance D = chi + c (1-q0)): below 1e-308 for c >~ 700, and its square, which the Hessian holds,
    for c >~ 350.  With S = 0 for xi <= 0 (piece w <= 0), -c q0 xi^2/(2D) while q0 xi^2 < 2D (middle piece),
    -c beyond (piece above sqrt(2 chi)), dividing n and its derivatives by exp(S) cancels the underflowing
    factor: merged with exp(-S), the exponential of each piece has a non-positive argument on every interval
    (D > c (1-q0)), the largest piece is O(1), and the one bare erfc, of the piece w <= 0, is written
    exp(-y^2) erfcx(y) for xi > 0 and merged the same way.  No expression divides by an underflowing quantity
    on any interval, so the one integrand holds on all three.
    """
    D = chi + c * (1 - q0)
    return sp.Piecewise((0, xi <= 0), (-c * q0 * xi**2 / (2 * D), q0 * xi**2 < 2 * D), (-c, True))


@lru_cache(maxsize=None)
def sat_tilted_partition():
    """exp(-s) n(xi), the piece w <= 0 with erfcx for xi > 0 (:func:`sat_scale`)."""
    first, *rest = (_identify(t) for t in _piece_integrals(scaled=True))
    (e,) = first.atoms(sp.erfc)
    y = e.args[0]
    lifted = _merge_exponentials(first.xreplace({e: sp.exp(-y**2) * Erfcx(y)}))
    return sp.Piecewise((first, xi <= 0), (lifted, True)) + sum(rest)


NT = sp.Function("Nt")(q0, chi, c, lam)
"""Placeholder for exp(-s) n(xi) on the SAT side: n = exp(s) NT, log n = s + log NT; see :func:`sat_expand`."""


@lru_cache(maxsize=None)
def sat_potential_lambda():
    """(1RSB-e) with n = exp(s) NT: the potential of :func:`potential_lambda`, in which every ratio of n and its
    derivatives is one of NT and its derivatives (exp(s) cancels)."""
    return entropic_zero_temperature() - alpha / c * Avg(s + sp.log(NT))


def sat_expand(expr):
    """NT and its derivatives replaced by the closed forms of exp(-s) n and its derivatives (s held constant),
    then s = S(xi) (:func:`sat_scale`), erfcx printed stably, lambda = 1; the averages merged."""
    reps = {NT: sat_tilted_partition()}
    for d in expr.atoms(sp.Derivative):
        if d.expr == NT:
            reps[d] = tilted_partition_derivative(tuple(v for v, k in d.variable_count for _ in range(k)), True)
    out = expr.xreplace(reps).subs(lam, 1).subs(s, sat_scale())
    return merge_averages(out.replace(lambda e: isinstance(e, Erfcx), lambda e: erfcx_stable(e.args[0])))


@lru_cache(maxsize=None)
def sat_side():
    """The SAT-side forms (dict): potential, estar, gradient and the 3x3 Hessian in (q0, chi, c)."""
    pot = sat_potential_lambda()
    grad = [sp.diff(pot, v) for v in ORDER]
    return {
        "potential": sat_expand(pot),
        "estar": sat_expand(sp.diff(pot, lam)),
        "grad": [sat_expand(g) for g in grad],
        "hess": {(i, j): sat_expand(sp.diff(grad[i], ORDER[j])) for i in range(3) for j in range(i, 3)},
    }


def kernels():
    z = zero_temperature()
    names = ("q0", "chi", "c", "alpha")
    args = (alpha, q0, chi, c)
    ks = [
        Kernel("one_rsb_n", (xi, q0, chi, c), z["n"],
               "n(xi) = E_u exp(c g_chi(sqrt(q0) xi + sqrt(1-q0) u)) in closed form (docs/theory.md §3.3)."),
        Averaged("one_rsb_potential", args, z["potential"],
                 "1-RSB zero-temperature potential e(q0, chi, c) (1RSB-e); fstar at the stationary point.",
                 sensitivities=True),
        Averaged("one_rsb_estar", args, z["estar"],
                 "estar = de/dlambda at lambda = 1 = alpha e^{-c} E_xi[Iabove/n] (docs/theory.md §3.6)."),
        Averaged("one_rsb_dpot_dalpha", args, z["dpot_dalpha"],
                 "de/dalpha at fixed (q0, chi, c) (= dfstar/dalpha at the stationary point)."),
        Averaged("one_rsb_A0", args, z["A0"],
                 "A0 = (2/c) d(energetic term)/dq0; stationarity in q0 reads A0 = q0/D^2 (docs/theory.md §3.4)."),
        Averaged("one_rsb_A1", args, z["A1"],
                 "A1 = -2 d(energetic term)/dchi; stationarity in chi reads A1 = q0/D^2 + (1-q0)/(D chi)."),
        Kernel("one_rsb_chi_update", (A0, A1, c, q0), z["chi_update"],
               "chi solving the two stationarity equations given A0, A1 and a root q0 of the cubic (§3.5)."),
        Kernel("one_rsb_q0_low", (A0, A1), z["q0_low"],
               "Lower end of the admissible q0 interval (zero of the chi update's denominator; chi > 0 above)."),
        Kernel("one_rsb_q0_high", (A0, A1), z["q0_high"],
               "Upper end of the admissible q0 interval (zero of the chi update's numerator; chi > 0 below)."),
    ]
    for i in range(3):
        ks.append(Averaged(f"one_rsb_grad_{names[i]}", args, z["grad"][i],
                           f"de/d{names[i]}: zero at the 1-RSB stationary point (§3.4)."))
    for (i, j), expr in z["hess"].items():
        ks.append(Averaged(f"one_rsb_hess_{names[i]}_{names[j]}", args, expr,
                           f"d^2 e/(d{names[i]} d{names[j]}) (Jacobian of the stationarity equations)."))
    for j in range(4):
        ks.append(Averaged(f"one_rsb_estar_d{names[j]}", args, z["d_estar"][j], f"d estar/d{names[j]}."))
    for k, coeff in enumerate(z["cubic"]):
        ks.append(Kernel(f"one_rsb_cubic_{k}", (A0, A1, c), coeff,
                         f"Coefficient of q0^{k} of the fixed-point cubic for q0 (docs/theory.md §3.5)."))
    return ks + sat_kernels()


def sat_kernels():
    """The SAT-side forms (:func:`sat_side`): the same values as the kernels without ``sat_``, with n(xi)
    divided by exp(S(xi)) (:func:`sat_scale`), so that they hold for any c (alpha -> 2+)."""
    z = sat_side()
    names = ("q0", "chi", "c")
    args = (alpha, q0, chi, c)
    why = " SAT-side form (n(xi) divided by exp(S(xi)) of sat_scale: holds for any c, alpha -> 2+)."
    ks = [Averaged("one_rsb_sat_potential", args, z["potential"], "1-RSB potential e(q0, chi, c) (1RSB-e)." + why),
          Averaged("one_rsb_sat_estar", args, z["estar"], "estar = de/dlambda at lambda = 1." + why)]
    ks += [Averaged(f"one_rsb_sat_grad_{names[i]}", args, z["grad"][i], f"de/d{names[i]}." + why) for i in range(3)]
    ks += [Averaged(f"one_rsb_sat_hess_{names[i]}_{names[j]}", args, expr,
                    f"d^2 e/(d{names[i]} d{names[j]})." + why) for (i, j), expr in z["hess"].items()]
    return ks
