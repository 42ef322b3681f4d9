"""Elementary bounds on alpha_inj (docs/theory.md §7): Cover/Wendel, union bound over orthants, Gordon-Chernoff.

Exponential rates of binomial sums come from Stirling's formula: ``log Gamma(y+1) = y log y - y + O(log y)``
(:func:`stirling`, the remainder is checked by a SymPy limit in tests/test_bounds.py), so with M = a n and
r = b n, (1/n) log C(M, r) -> the limit SymPy takes in :func:`log_binomial_rate`.  A partial row sum
S(M, r) = sum_{j<=r} C(M, j) is dominated by its last term when the ratio of consecutive terms
C(M, r-1)/C(M, r) tends to a limit < 1 (a geometric series); SymPy derives that ratio
(:func:`domination_ratio`), so each rate below holds where its ratio is < 1, and the Cover threshold is where
the ratio reaches 1.

Parametrisation.  Each bound is written in the fraction p = r/M of its dominant binomial (union: p = 1/alpha;
Cover: p = 1/(alpha - 1)), p in (0, 1), where every logarithm is real; ``*_alpha_of_p`` maps back.

- Union bound: P(non-injective) <= S(m, n-1) S(m-1, n-1) / 2^{m-1}, exponent 2 alpha h(1/alpha) - alpha log 2.
- Cover/Wendel: P(injective) <= 1 - W(m-n+1, n), W(k, n) = 2^{1-k} sum_{j<n} C(k-1, j); W -> 1 (bulk of the
  row) where the domination ratio is > 1, W -> 0 exponentially where it is < 1: threshold ratio = 1.
- Gordon with a Chernoff width (the authors' notebook, taken as given): alpha/2 - 1 = min_{0<u<1} g(alpha, u),
  g = (2/u)[alpha h(1/alpha) + log((1 + (1-u)^{-1/2})/2)]; SymPy differentiates g in u and builds the 2x2
  system {alpha/2 - 1 - g = 0, dg/du = 0} with its Jacobian.

h(x) = -x log x - (1-x) log(1-x) is the binary entropy in nats (not the Gaussian tail H of derive.gauss).
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from .codegen import Kernel

alpha = sp.Symbol("alpha", positive=True)
nn = sp.Symbol("n", positive=True)                     # the large parameter (input dimension)
p = sp.Symbol("p", positive=True)                      # fraction r/M of the dominant binomial
y = sp.Symbol("y", positive=True)                      # alpha - 1 (second parametrisation of the union rate)
u = sp.Symbol("u", positive=True)                      # Chernoff parameter of the Gordon width
m_, n_, kk = sp.symbols("m n k", integer=True, positive=True)
j_ = sp.Symbol("j", integer=True, nonnegative=True)
PROBE = {p: sp.Rational(1, 3), y: 2, u: sp.Rational(1, 2), alpha: 10}
"""A point inside the domain of every kernel (0 < p < 1, y > 0, 0 < u < 1, alpha > 2)."""


def entropy(x):
    """Binary entropy in nats, h(x) = -x log x - (1-x) log(1-x)."""
    return -x * sp.log(x) - (1 - x) * sp.log(1 - x)


def stirling(x):
    """Leading Stirling form of log Gamma(x+1) = log x!: x log x - x (remainder O(log x))."""
    return x * sp.log(x) - x


def log_binomial_rate(top, bottom):
    """lim_{n->oo} (1/n) log C(top, bottom) for top, bottom linear in n, via :func:`stirling`."""
    lead = stirling(top) - stirling(bottom) - stirling(top - bottom)
    return sp.simplify(sp.limit(sp.expand_log(lead, force=True) / nn, nn, sp.oo))


def domination_ratio(top, bottom):
    """lim C(top, bottom-1)/C(top, bottom): < 1 means S(top, bottom) = Theta(C(top, bottom)) (geometric tail)."""
    M, r = sp.symbols("M r", positive=True)
    ratio = sp.combsimp(sp.binomial(M, r - 1) / sp.binomial(M, r))
    return sp.simplify(sp.limit(ratio.subs({M: top, r: bottom}), nn, sp.oo))


def wendel(k, n):
    """W(k, n) = 2^{1-k} sum_{j=0}^{n-1} C(k-1, j): P(k generic points of R^n lie in an open half-space)."""
    return 2**(1 - k) * sp.Sum(sp.binomial(k - 1, j_), (j_, 0, n - 1))


def union_bound(m, n):
    """The k = 0 face term of §6.2: S(m, n-1) S(m-1, n-1) / 2^{m-1} >= P(non-injective)."""
    return (sp.Sum(sp.binomial(m, j_), (j_, 0, n - 1)) * sp.Sum(sp.binomial(m - 1, j_), (j_, 0, n - 1))
            / 2**(m - 1))


def _split_log(a):
    """log(a) as c0 + sum e_i log(f_i) over the factors of a, each factor signed so that it is positive in the
    kernels' domain (sampled at PROBE; e.g. log(1 - p), never log(p - 1) + i pi)."""
    num, den = sp.fraction(sp.together(a))
    coeff, out = sp.Integer(1), []
    for part, sign in ((num, 1), (den, -1)):
        c0, factors = sp.factor_list(part)
        coeff *= c0**sign
        for f, e in factors:
            if f.subs(PROBE).is_negative:
                f, coeff = -f, coeff * (-1)**e
            if f.is_Pow:
                f, e = f.base, e * f.exp
            out.append(sign * e * sp.log(f))
    if not coeff.is_positive:
        raise AssertionError(f"log of a non-positive constant {coeff} while splitting log({a})")
    return sp.log(coeff) + sp.Add(*out)


def _expand_logs(expr):
    """Split every logarithm into logs of positive factors (see :func:`_split_log`)."""
    return sp.expand(expr.replace(sp.log, _split_log))


def _in_p(expr, alpha_of_p):
    return _expand_logs(expr.subs(alpha, alpha_of_p))


@lru_cache(maxsize=None)
def union():
    """Union-bound exponent (1/n) log[S(m,n-1) S(m-1,n-1)/2^{m-1}], m = alpha n, and its validity ratio."""
    m = alpha * nn
    rate = (log_binomial_rate(m, nn - 1) + log_binomial_rate(m - 1, nn - 1)
            - sp.limit((m - 1) * sp.log(2) / nn, nn, sp.oo))
    ratio = domination_ratio(m, nn - 1)
    (alpha_of_p,) = sp.solve(sp.Eq(p, sp.limit((nn - 1) / m, nn, sp.oo)), alpha)
    y_of_alpha = alpha - 1
    (alpha_of_y,) = sp.solve(sp.Eq(y, y_of_alpha), alpha)
    return {"rate_alpha": rate, "ratio_alpha": ratio, "alpha_of_p": alpha_of_p, "alpha_of_y": alpha_of_y,
            "y_of_alpha": y_of_alpha,
            "rate": _in_p(rate, alpha_of_p), "ratio": sp.cancel(ratio.subs(alpha, alpha_of_p)),
            "rate_y": _expand_logs(rate.subs(alpha, alpha_of_y))}


@lru_cache(maxsize=None)
def cover():
    """Wendel exponent (1/n) log W(m-n+1, n), m = alpha n, valid where the domination ratio is < 1."""
    m = alpha * nn
    kw = m - nn + 1
    rate = log_binomial_rate(kw - 1, nn - 1) - sp.limit((kw - 1) * sp.log(2) / nn, nn, sp.oo)
    ratio = domination_ratio(kw - 1, nn - 1)
    (alpha_of_p,) = sp.solve(sp.Eq(p, sp.limit((nn - 1) / (kw - 1), nn, sp.oo)), alpha)
    rate_p = _in_p(rate, alpha_of_p)
    rate_dp = sp.factor(sp.diff(rate_p, p))
    return {"rate_alpha": rate, "ratio_alpha": ratio, "alpha_of_p": alpha_of_p, "rate": rate_p,
            "ratio": sp.cancel(ratio.subs(alpha, alpha_of_p)), "rate_dp": rate_dp,
            "rate_dp2": sp.factor(sp.diff(rate_dp, p))}


@lru_cache(maxsize=None)
def gordon():
    """Gordon-Chernoff: g(alpha, u), its u-derivative, and the threshold system in (p = 1/alpha, u)."""
    g = (2 / u) * (alpha * entropy(1 / alpha) + sp.log((1 + (1 - u)**sp.Rational(-1, 2)) / 2))
    (alpha_of_p,) = sp.solve(sp.Eq(p, 1 / alpha), alpha)
    lhs = alpha / 2 - 1
    gp = _expand_logs(g.subs(alpha, alpha_of_p))
    system = [lhs.subs(alpha, alpha_of_p) - gp, sp.diff(gp, u)]
    (p_lhs_zero,) = sp.solve(lhs.subs(alpha, alpha_of_p), p)
    return {"g": g, "g_p": gp, "system": system, "jacobian": sp.Matrix(system).jacobian([p, u]),
            "alpha_of_p": alpha_of_p, "p_lhs_zero": p_lhs_zero}


def kernels():
    un, co, go = union(), cover(), gordon()
    ks = [
        Kernel("bounds_union_rate", (p,), un["rate"],
               "Union-bound exponent (1/n) log P-bound at alpha = 1/p: 2 alpha h(1/alpha) - alpha log 2 (§7)."),
        Kernel("bounds_union_rate_dp", (p,), sp.diff(un["rate"], p), "d(bounds_union_rate)/dp."),
        Kernel("bounds_union_rate_y", (y,), un["rate_y"], "The union exponent as SymPy derived it in alpha, alpha = 1 + y."),
        Kernel("bounds_union_rate_y_dy", (y,), sp.diff(un["rate_y"], y), "d(bounds_union_rate_y)/dy."),
        Kernel("bounds_union_ratio", (p,), un["ratio"], "Domination ratio of S(m, n-1); the rate holds where < 1."),
        Kernel("bounds_union_alpha_of_p", (p,), un["alpha_of_p"], "alpha for the union parameter p."),
        Kernel("bounds_union_dalpha_dp", (p,), sp.diff(un["alpha_of_p"], p), "d alpha/dp of the union parameter."),
        Kernel("bounds_union_alpha_of_y", (y,), un["alpha_of_y"], "alpha for the second union parameter y."),
        Kernel("bounds_union_dalpha_dy", (y,), sp.diff(un["alpha_of_y"], y), "d alpha/dy."),
        Kernel("bounds_union_y_of_alpha", (alpha,), un["y_of_alpha"], "The second union parameter y of alpha."),
        Kernel("bounds_cover_rate", (p,), co["rate"], "Wendel exponent (1/n) log W(m-n+1, n) (valid where ratio < 1)."),
        Kernel("bounds_cover_rate_dp", (p,), co["rate_dp"], "d(bounds_cover_rate)/dp: zero at its maximum (= 0)."),
        Kernel("bounds_cover_ratio", (p,), co["ratio"], "Domination ratio of Wendel's sum; threshold where = 1."),
        Kernel("bounds_cover_ratio_dp", (p,), sp.diff(co["ratio"], p), "d(bounds_cover_ratio)/dp."),
        Kernel("bounds_cover_rate_dp2", (p,), co["rate_dp2"], "d(bounds_cover_rate_dp)/dp."),
        Kernel("bounds_cover_alpha_of_p", (p,), co["alpha_of_p"], "alpha for the Cover parameter p."),
        Kernel("bounds_cover_dalpha_dp", (p,), sp.diff(co["alpha_of_p"], p), "d alpha/dp of the Cover parameter."),
        Kernel("bounds_gordon_objective", (p, u), go["g_p"], "g(1/p, u), the Chernoff-width objective."),
        Kernel("bounds_gordon_alpha_of_p", (p,), go["alpha_of_p"], "alpha for the Gordon parameter p = 1/alpha."),
        Kernel("bounds_gordon_dalpha_dp", (p,), sp.diff(go["alpha_of_p"], p), "d alpha/dp of the Gordon parameter."),
        Kernel("bounds_gordon_p_lhs_zero", (), go["p_lhs_zero"],
               "p where alpha/2 - 1 vanishes (alpha = 2): there the threshold function is -g < 0."),
    ]
    for a, eq in enumerate(("threshold", "stationarity")):
        ks.append(Kernel(f"bounds_gordon_{eq}", (p, u), go["system"][a],
                         "alpha/2 - 1 - g at alpha = 1/p" if a == 0 else "dg/du at alpha = 1/p"))
        for b, var in enumerate(("p", "u")):
            ks.append(Kernel(f"bounds_gordon_jac_{a}_{var}", (p, u), go["jacobian"][a, b],
                             f"d(bounds_gordon_{eq})/d{var}."))
    return ks
