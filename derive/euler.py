"""The Euler-characteristic surrogate q_{m,n} = E chi(X_{m,n}) (docs/theory.md §6): exact sums and asymptotics.

Definition (§6.2, the workshop slides' triple sum, input dimension n = N + 1)::

    q_{m,N+1} = (-1)^N / 2^{m-N-1} sum_{i=0}^{floor(N/2)} sum_{l=0}^{N} C(m, N-2i) (-1/2)^l C(N-2i, l-2i)
                                                                      sum_{j=0}^{l} C(m-N+l, j)

Face-counting form (§6.2), with S(M, r) = sum_{j=0}^{r} C(M, j)::

    q_{m,n} = sum_{k=0}^{n-1} (-1)^{n-1-k} C(m, k) S(m-k, n-1) S(m-k-1, n-k-1) / 2^{m-k-1}

Both are SymPy ``Sum`` expressions here; their equality is checked on a table of (m, n) in tests/test_euler.py
(SymPy cannot prove it for symbolic m, n).  The exact evaluator in numerics/euler.py runs the face-counting sum
from kernels split off its summand by :func:`face_parts`: which binomial C(M(k), r(k)) and partial row sums
S(M(k), r(k)) occur (index kernels), the integer term multiplying them, and the normalisation 2^{m-1}.

Asymptotics (§6.3).  Generating function q_{m,n} = 2^{1-m} [z^{n-1} w^{n-1}] F(z,w)^m G(z,w) with
F = 1 + z + w - zw, G = 1/((1-z)(1-w)(1+w)).  With z = e^u, w = e^v and m = alpha n the Cauchy integral has
the exponent n psi(u, v),

    psi(u, v) = alpha log(F(e^u, e^v)/2) - u - v

(the -alpha log 2 of the prefactor 2^{1-m} does not change the stationarity equations, but the rate, psi at the
saddle, includes it).  SymPy derives grad psi, shows the symmetric line u = v = log t
is stationary where a quadratic in t vanishes, solves it (for t: the smaller root; for alpha: alpha(t)), and
the rate ``rate = psi(saddle)`` so that (1/n) log q_{alpha n, n} -> rate(alpha).  The 2-D Laplace method on the
torus |z| = |w| = t gives the prefactor:  log q = n rate - log n + c0 + O(1/n) with
c0 = log(2 t^2 G(t, t) / (2 pi sqrt(det psi''))), psi'' the (u, v) Hessian.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from .codegen import Kernel

m = sp.Symbol("m", integer=True, positive=True)
n = sp.Symbol("n", integer=True, positive=True)
i, j, k, l = sp.symbols("i j k l", integer=True, nonnegative=True)
c, s1, s2 = sp.symbols("c s1 s2", integer=True)

alpha = sp.Symbol("alpha", positive=True)
t = sp.Symbol("t", positive=True)
u, v = sp.symbols("u v", real=True)
z, w = sp.symbols("z w")
log_q = sp.Symbol("log_q", real=True)


def row_sum(M, r):
    """S(M, r) = sum_{j=0}^{r} C(M, j), the partial sum of row M of Pascal's triangle (docs/theory.md §6.2)."""
    return sp.Sum(sp.binomial(M, j), (j, 0, r))


def triple_sum():
    """q_{m,n}: the triple sum of §6.2 (the definition), with N = n - 1 substituted for the slides' n."""
    N = n - 1
    inner = sp.Sum(sp.binomial(m - N + l, j), (j, 0, l))
    body = sp.binomial(m, N - 2 * i) * sp.Rational(-1, 2)**l * sp.binomial(N - 2 * i, l - 2 * i) * inner
    return (-1)**N / 2**(m - N - 1) * sp.Sum(body, (l, 0, N), (i, 0, sp.floor(N / 2)))


def face_summand():
    """k-th term of the face-counting form: k zero signs, C(m,k) S(m-k,n-1) S(m-k-1,n-k-1) 2^{k+1-m}, signed."""
    return (-1)**(n - 1 - k) * sp.binomial(m, k) * row_sum(m - k, n - 1) * row_sum(m - k - 1, n - k - 1) \
        / 2**(m - k - 1)


def face_sum():
    """q_{m,n} as the face-counting sum over k = 0 .. n-1 (docs/theory.md §6.2)."""
    return sp.Sum(face_summand(), (k, 0, n - 1))


def generating_function():
    """(F, G, prefactor): q_{m,n} = prefactor * [z^{n-1} w^{n-1}] F^m G (docs/theory.md §6.2)."""
    return 1 + z + w - z * w, 1 / ((1 - z) * (1 - w) * (1 + w)), 2**(1 - m)


def _sign_kernel(expr):
    """Rewrite b^e with a negative integer base as (-1)^e |b|^e, (-1)^e = Piecewise(1 if e even, -1 otherwise).

    Exact with Python ints and real for every real argument (the printed ``(-2)**e`` is complex for non-integer
    e, which the codegen tests sample); e is an integer wherever numerics evaluates it.
    """
    def sign(e):
        return sp.Piecewise((1, sp.Eq(sp.Mod(e, 2), 0)), (-1, True))

    return expr.replace(lambda x: x.is_Pow and x.base.is_Integer and x.base.is_negative,
                        lambda x: sign(x.exp) * (-x.base)**x.exp)


@lru_cache(maxsize=None)
def face_parts():
    """Split the face-counting summand into what an exact integer evaluator needs.

    Returns a dict: ``binomial`` = (top, bottom) of the lone binomial C(m, k); ``sums`` = [(top, bottom), ...]
    of the two partial row sums, in a fixed order; ``term`` = 2^{m-1} x summand with C -> c, the sums -> s1, s2
    (an integer for integer inputs); ``normalisation`` = 2^{m-1}; ``k_range`` = the summation limits.
    """
    summand = face_summand()
    sums = sorted(summand.atoms(sp.Sum), key=sp.default_sort_key)
    reduced = summand.xreplace(dict(zip(sums, (s1, s2))))
    (binom,) = reduced.atoms(sp.binomial)
    reduced = reduced.xreplace({binom: c})
    pow2 = [f for f in sp.Mul.make_args(reduced) if f.is_Pow and f.base == 2]
    (lims,) = face_sum().limits
    normalisation = 1 / sp.Mul(*pow2).subs(k, lims[1])   # the largest denominator 2^{m-k-1}: at the first k
    term = sp.powsimp(sp.expand_power_exp(reduced * normalisation))
    for pw in term.atoms(sp.Pow):                         # exponents linear in k, >= 0 at both ends: integers
        if not (pw.exp.is_polynomial(k) and sp.degree(pw.exp, k) <= 1
                and all(pw.exp.subs(k, e).is_nonnegative for e in lims[1:])):
            raise AssertionError(f"face term {term}: {pw} is not an integer for k in {lims[1:]}")
    return {
        "binomial": binom.args,
        "sums": [(s.function.args[0], s.limits[0][2]) for s in sums],
        "term": term,
        "normalisation": normalisation,
        "k_range": (lims[1], lims[2]),
    }


def finite_n_rate():
    """(1/n) log q_{m,n}, written in log_q = log|q_{m,n}| (the exact q has too many digits for a float)."""
    return log_q / n


def psi():
    """psi(u, v; alpha) = alpha log(F(e^u, e^v)/2) - u - v, the exponent of the Cauchy integral per n."""
    F, _, _ = generating_function()
    return alpha * sp.log(F.subs({z: sp.exp(u), w: sp.exp(v)}) / 2) - u - v


@lru_cache(maxsize=None)
def saddle():
    """Saddle-point equations and the rate, derived from psi.

    On the symmetric line u = v = log t (psi is symmetric, so grad psi is parallel to (1, 1) there) the
    stationarity condition dpsi/du = 0 is a rational function whose numerator is a quadratic in t;
    solved for alpha it gives alpha(t), solved for t the two saddles; the contributing one is the smaller root
    (real for alpha >= 4 + 2 sqrt 2, where the discriminant is >= 0).
    """
    p = psi()
    if sp.simplify(p - p.xreplace({u: v, v: u})) != 0:
        raise AssertionError("psi is not symmetric in (u, v)")
    on_line = {u: sp.log(t), v: sp.log(t)}
    grad_u = sp.simplify(sp.diff(p, u).subs(on_line))
    stationarity = sp.expand(sp.numer(sp.together(grad_u)))
    poly = sp.Poly(stationarity, t)
    if poly.degree() != 2:
        raise AssertionError(f"stationarity numerator is not quadratic in t: {poly}")
    discriminant = sp.factor(sp.discriminant(poly))
    roots = sp.solve(stationarity, t)
    probe = {alpha: 10}
    saddle_t = min(roots, key=lambda r: float(r.subs(probe)))
    (alpha_of_t,) = sp.solve(stationarity, alpha)
    alpha_of_t = sp.factor(alpha_of_t)
    psi_line = sp.expand_log(p.subs(on_line), force=True)
    rate_of_t = psi_line.subs(alpha, alpha_of_t)
    hess = sp.hessian(p, (u, v)).subs(on_line)
    det = sp.factor(sp.simplify(hess.det().subs(alpha, alpha_of_t)))
    _, G, _ = generating_function()
    amplitude = 2 * z * w * G                        # 2^{1-m} F^m z^{-(n-1)} w^{-(n-1)} = 2 e^{n psi} z w
    log_prefactor = sp.log(amplitude.subs({z: t, w: t}) / (2 * sp.pi)) - sp.log(sp.Abs(det)) / 2
    return {
        "psi_line": psi_line,
        "stationarity": stationarity,
        "discriminant": discriminant,
        "saddle_t": saddle_t,
        "alpha_of_t": alpha_of_t,
        "rate_of_t": rate_of_t,
        "hessian_det": det,
        "log_prefactor": log_prefactor,
    }


def kernels():
    fp = face_parts()
    s = saddle()
    ks = [
        Kernel("euler_face_term", (n, k, c, s1, s2), _sign_kernel(fp["term"]),
               "2^{m-1} x k-th face-counting term, C(m,k) -> c and the two row sums -> s1, s2 (docs/theory.md §6.2). "
               "Exact for Python ints."),
        Kernel("euler_face_normalisation", (m,), fp["normalisation"], "q_{m,n} = (sum of face terms) / this."),
        Kernel("euler_k_first", (n,), sp.sympify(fp["k_range"][0]), "First k of the face-counting sum."),
        Kernel("euler_k_last", (n,), fp["k_range"][1], "Last k of the face-counting sum."),
        Kernel("euler_binomial_top", (m, n, k), fp["binomial"][0], "Top index of the binomial c = C(top, bottom)."),
        Kernel("euler_binomial_bottom", (m, n, k), fp["binomial"][1], "Bottom index of c."),
    ]
    for idx, (top, bottom) in enumerate(fp["sums"], start=1):
        ks.append(Kernel(f"euler_sum{idx}_top", (m, n, k), top, f"Row M of s{idx} = S(M, r)."))
        ks.append(Kernel(f"euler_sum{idx}_bottom", (m, n, k), bottom, f"Upper limit r of s{idx} = S(M, r)."))
    pl, st = s["psi_line"], s["stationarity"]
    ks += [
        Kernel("euler_psi", (alpha, t), pl, "psi(log t, log t; alpha): the exponent on the symmetric line."),
        Kernel("euler_psi_dt", (alpha, t), sp.diff(pl, t), "d psi/dt on the symmetric line."),
        Kernel("euler_psi_dalpha", (alpha, t), sp.diff(pl, alpha),
               "d psi/d alpha at fixed t (= d rate/d alpha at the saddle, envelope theorem)."),
        Kernel("euler_stationarity", (alpha, t), st,
               "Numerator of dpsi/du on u = v = log t: the saddle-point quadratic in t (docs/theory.md §6.3)."),
        Kernel("euler_stationarity_dalpha", (alpha, t), sp.diff(st, alpha), "d(stationarity)/d alpha."),
        Kernel("euler_stationarity_dt", (alpha, t), sp.diff(st, t), "d(stationarity)/dt."),
        Kernel("euler_discriminant", (alpha,), s["discriminant"],
               "Discriminant of the quadratic: real saddles iff >= 0 (alpha >= 4 + 2 sqrt 2)."),
        Kernel("euler_saddle_t", (alpha,), s["saddle_t"], "The contributing saddle t(alpha), the smaller root."),
        Kernel("euler_alpha_of_t", (t,), s["alpha_of_t"], "alpha for which t is a saddle (quadratic solved for alpha)."),
        Kernel("euler_dalpha_dt", (t,), sp.diff(s["alpha_of_t"], t), "d alpha(t)/dt; zero where the saddles merge."),
        Kernel("euler_rate_of_t", (t,), s["rate_of_t"], "rate(alpha(t)) = psi at the saddle t."),
        Kernel("euler_finite_n_rate", (log_q, n), finite_n_rate(),
               "(1/n) log q_{m,n} from log_q = log|q_{m,n}|: the finite-n rate whose n -> oo limit is the rate."),
        Kernel("euler_rate_of_t_dt", (t,), sp.diff(s["rate_of_t"], t), "d rate(alpha(t))/dt."),
        Kernel("euler_log_prefactor", (t,), s["log_prefactor"],
               "c0 in log q = n rate - log n + c0 + O(1/n) (2-D Laplace; |det| keeps the kernel real off the "
               "physical branch t < sqrt(2) - 1, where det > 0)."),
    ]
    return ks


def exact_value(expr, values: dict):
    """Exact value of an expression with finite nested ``Sum``s once the symbols in ``values`` are integers.

    Each Sum is expanded term by term (no symbolic summation): the reference evaluation of the definitions
    above for small m, n, against which numerics is tested.
    """
    expr = sp.sympify(expr).xreplace({s: sp.Integer(x) for s, x in values.items()})

    def walk(e):
        if isinstance(e, sp.Sum):
            *inner_limits, (var, lo, hi) = e.limits          # the last limit is the outermost sum
            inner = sp.Sum(e.function, *inner_limits) if inner_limits else e.function
            lo, hi = walk(lo), walk(hi)
            return sp.Add(*[walk(inner.xreplace({var: sp.Integer(x)})) for x in range(int(lo), int(hi) + 1)])
        if e.args:
            return e.func(*[walk(a) for a in e.args])
        return e

    return walk(expr)
