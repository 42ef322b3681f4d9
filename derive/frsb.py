"""Zero-temperature full RSB in the k-step ("k-RSB-like") discretisation (docs/theory.md §4).

Unknowns ``q_0 <= ... <= q_{k-1} <= q_k = 1`` and ``chi``; fixed breakpoints ``x_0 < ... < x_{k-1}``;
``L_k = chi``, ``L_i = L_{i+1} + x_i dq_{i+1}``.  In the rescaled field ``h = w/sqrt(2 chi)``:

    F_k(h)   = g_chi(sqrt(2 chi) h)                          (the Moreau envelope of derive/rs.py, chi-free in h)
    F_i(h)   = (1/x_i) log E_z exp(x_i F_{i+1}(h + z sqrt(v_{i+1}))),   v_i = dq_i/(2 chi)
    e_k      = -(1/2)[q_0/L_0 + sum_i (1/x_i) log(L_i/L_{i+1})] - alpha E_z F_0(z sqrt(v_0))        (FRSB-e)
    p_0      = gamma_{v_0},   p_{i+1} = exp(x_i F_{i+1}) * gamma_{v_{i+1}} conv (p_i exp(-x_i F_i))    (§4.4)

What SymPy does here:

* the boundary ``F_k`` and its pieces, from :func:`derive.rs.moreau_envelope` with ``w = sqrt(2 chi) h``; the
  breakpoints of the pieces in h (0 and the jump 1) are derived, not typed;
* the last backward step ``F_{k-1}`` in closed form: the Gaussian average of ``exp(x F_k)`` piece by piece
  (SymPy integrates the middle piece), rewritten with a cancellation-free difference of erfc's
  (:func:`erf_difference`, each branch checked equal to SymPy's erf form); its h-derivative by differentiation;
* the Fourier multiplier of a Gaussian convolution, as SymPy's Fourier transform of ``gamma_v``, and the Gaussian
  step subtracted before each backward convolution (``exp(x F)`` tends to different limits at the two ends of the
  periodic window) with its exact convolution (:func:`check_step_background`);
* the log-step ``F = m + log(C)/x`` and its h-derivative (by differentiating ``log C(h)/x``);
* the entropic part of (FRSB-e), its gradient in ``q_0..q_{k-1}, chi`` (for k = 1..4, by differentiation), and
  from it the local structure ``G_0 = q_0/L_0^2``, ``G_i - G_{i-1} = dq_i/(L_{i-1} L_i)`` of (S_i) with
  ``d ent/d q_j = -(1/2)(x_j - x_{j-1}) G_j`` and ``d ent/d chi = G_k/2`` (checked by :func:`check_entropic_gradient`);
* the update of docs/theory.md §4.5 (lambda_0, the recursion of 1/lambda_i, dq from lambda) by solving (S_i) for L;
* the level recursions (L from q, G, the entropic part and its x-derivative, 1/lambda from Qhat, q from lambda or
  from the increments) as collections of assignments over the levels (:class:`derive.codegen.Loop`), each printed
  as one function with the loop; checked by running them on symbols (:func:`check_level_loops`,
  :func:`check_entropic_gradient`, :func:`check_entropic_dx`);
* the estimator ``estar = alpha E[-dF_k^lambda/dlambda]``: the boundary with the cost lambda of an active
  constraint, ``F_k^lambda(h) = -min_u [(u - h)^2 + lambda theta(u)]``, differentiated in lambda at 1 (the
  derivative of the ground-state energy with respect to the cost per active unit = the active fraction).

What is typed by hand (SymPy cannot do it for a general function) and checked numerically in tests/test_frsb.py:
the Parisi identity for the energetic part, ``d/dq_j [-alpha E F_0] = (1/2)(x_j - x_{j-1}) Qhat_j`` and
``d/dchi [-alpha E F_0] = -Qhat_k/2`` with ``Qhat_i = alpha E_{p_i}[(dF_i/dw)^2]`` (w = sqrt(2 chi) h), which
together with the entropic gradient gives the stationarity equations (S_i) ``G_i = Qhat_i``; and the authors'
chi update (docs/theory.md §4.5 step 5), which holds the level-k density fixed in w:
``Qhat_k(chi) = Qhat_k sqrt(chi_old/chi)``.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from . import rs
from .codegen import COUNT, INDEX, Kernel, Loop
from .gauss import integrate_gaussian

h = sp.Symbol("h", real=True)            # rescaled field w / sqrt(2 chi)
t = sp.Symbol("t", real=True)            # integration variable (field after a step)
x = sp.Symbol("x", positive=True)        # Parisi breakpoint (zero-temperature variable beta m)
s = sp.Symbol("s", positive=True)        # standard deviation of the last step in h
v = sp.Symbol("v", nonnegative=True)     # variance of a step in h
nu = sp.Symbol("nu", real=True)          # frequency (cycles per unit h)
m = sp.Symbol("m", real=True)            # overflow shift (docs/theory.md §4.8)
C = sp.Symbol("C", positive=True)        # Gaussian average of exp(x (F - m))
dC = sp.Symbol("dC", real=True)          # its h-derivative
F = sp.Symbol("F", real=True)            # a level function F_i(h)
Fn = sp.Symbol("Fnext", real=True)       # F_{i+1}(h)
dF = sp.Symbol("dF", real=True)          # dF_i/dh
p = sp.Symbol("p", nonnegative=True)     # a level density p_i(h)
g = sp.Symbol("g", nonnegative=True)     # Gaussian convolution of p_i exp(-x_i (F_i - m))
alpha, chi = rs.alpha, rs.chi
chi_old = sp.Symbol("chi_old", positive=True)
lam = sp.Symbol("lam", positive=True)    # cost of an active constraint (1 in the problem)
dq = sp.Symbol("dq", nonnegative=True)
q0 = sp.Symbol("q0", positive=True)
L, Lp, Ln = (sp.Symbol(n, positive=True) for n in ("L", "Lprev", "Lnext"))
Qh0 = sp.Symbol("Qhat0", positive=True)
Qk = sp.Symbol("Qhatk", positive=True)
dQ = sp.Symbol("dQ", real=True)

FLOOR = sp.exp(-690)
"""Floor applied to Gaussian averages before the log (docs/theory.md §5b.2); far below any e^{-x} that occurs."""


# ----------------------------------------------------------------------------------------------- boundary

@lru_cache(maxsize=None)
def boundary_pieces(cost=sp.Integer(1)):
    """Pieces ``(F_k, lower, upper)`` of the boundary in the rescaled field h (cost = lambda of an active unit).

    ``g_chi`` of derive/rs.py with ``theta -> cost*theta``: ``-min_v[(v - w)^2/(2chi) + cost theta(v)]``, then
    ``w = sqrt(2 chi) h``.  With cost = 1: ``[(0, -oo, 0), (-h^2, 0, 1), (-1, 1, oo)]``.
    """
    w = rs.w
    vv = sp.Symbol("v_min", real=True)
    cost_f = (vv - w)**2 / (2 * chi)
    inactive, active = cost_f.subs(vv, 0), cost_f.subs(vv, w) + cost
    (jump,) = [r for r in sp.solve(sp.Eq(inactive, active), w) if r.is_positive]
    if cost == 1:
        ref, _ = rs.moreau_envelope(w, chi)
        assert sp.simplify(jump - ref[2][1]) == 0, "boundary disagrees with derive.rs.moreau_envelope"
    pieces_w = [(sp.Integer(0), -sp.oo, sp.Integer(0)), (-inactive, sp.Integer(0), jump), (-active, jump, sp.oo)]
    scale = sp.sqrt(2 * chi)
    return tuple((sp.simplify(e.subs(w, scale * h)), sp.simplify(lo / scale), sp.simplify(hi / scale))
                 for e, lo, hi in pieces_w)


def boundary():
    """F_k(h) as one Piecewise (left-closed pieces)."""
    pcs = boundary_pieces()
    return sp.Piecewise(*[(e, h < hi) for e, _, hi in pcs[:-1]], (pcs[-1][0], True))


def breakpoints():
    """Interior piece ends of F_k in h: (0, 1).  chi-free, which is the point of the rescaling."""
    pcs = boundary_pieces()
    return tuple(hi for _, _, hi in pcs[:-1])


def estar_pieces():
    """-d F_k^lambda/d lambda at lambda = 1, piece by piece: the indicator of the active piece (h > 1)."""
    pcs = boundary_pieces(lam)
    return tuple(sp.simplify(-sp.diff(e, lam).subs(lam, 1)) for e, _, _ in pcs)


# --------------------------------------------------------------------------------- last backward step

class erfc(sp.erfc):
    """erfc without SymPy's automatic ``erfc(-u) -> 2 - erfc(u)``, which would bring back exactly the cancellation
    that the branches of :func:`erf_difference` and the tails of :func:`last_level_average` avoid.  Same name as
    SymPy's erfc, so every printer emits the library erfc."""

    @classmethod
    def eval(cls, arg):
        return None


def tail(u):
    """P(z > u) = erfc(u/sqrt2)/2 for a standard Gaussian z, never rewritten as 1 - P(z < u)."""
    return erfc(u / sp.sqrt(2)) / 2


def erf_difference(lo, hi):
    """erf(hi) - erf(lo) for lo <= hi without cancellation: a difference of two small erfc's on either side.

    Each branch equals erf(hi) - erf(lo) identically (checked in :func:`check_last_level`).
    """
    return sp.Piecewise((erfc(lo) - erfc(hi), lo > 0),
                        (erfc(-hi) - erfc(-lo), hi < 0),
                        (2 - erfc(hi) - erfc(-lo), True))


@lru_cache(maxsize=None)
def _middle_integral():
    """E_z[exp(x F_k(h + s z)) 1{middle piece}] = int_0^1 exp(-x t^2) gamma_{s^2}(t - h) dt by SymPy.

    SymPy does ``int exp(-a t^2 + b t) dt`` for generic a > 0, b (it cannot do the specific form directly);
    a, b and the constant are read off the exponent.  Returns (coefficient K, erf argument lo, erf argument hi,
    generic antiderivative, substitution) with the integral = K (erf(hi) - erf(lo)).
    """
    _, (e1, lo1, hi1), _ = boundary_pieces()
    a, b = sp.Symbol("a", positive=True), sp.Symbol("b", real=True)
    lo_s, hi_s = sp.Symbol("lo", real=True), sp.Symbol("hi", real=True)
    poly = sp.Poly(sp.expand(x * e1.subs(h, t) - (t - h)**2 / (2 * s**2)), t)
    a_v, b_v, c_v = -poly.coeff_monomial(t**2), poly.coeff_monomial(t), poly.coeff_monomial(1)
    generic = sp.integrate(sp.exp(-a * t**2 + b * t), (t, lo_s, hi_s))
    (u_hi,) = [e.args[0] for e in generic.atoms(sp.erf) if e.has(hi_s)]
    (u_lo,) = [e.args[0] for e in generic.atoms(sp.erf) if e.has(lo_s)]
    coeff = sp.collect(sp.expand(generic), sp.erf(u_hi), evaluate=False)[sp.erf(u_hi)]
    assert sp.simplify(generic - coeff * (sp.erf(u_hi) - sp.erf(u_lo))) == 0
    sub = {a: a_v, b: b_v, lo_s: lo1, hi_s: hi1}
    K = sp.simplify(sp.powsimp(coeff.subs(sub) * sp.exp(c_v) / sp.sqrt(2 * sp.pi * s**2), force=True))
    return K, sp.simplify(u_lo.subs(sub)), sp.simplify(u_hi.subs(sub)), generic, sub


@lru_cache(maxsize=None)
def _outer_pieces():
    """The outer pieces of E_z exp(x F_k(h + s z)) (F_k constant there): SymPy's integral and the tail form."""
    (e0, lo0, hi0), _, (e2, lo2, hi2) = boundary_pieces()
    z = sp.Symbol("z", real=True)
    integrated = sum(integrate_gaussian(sp.exp(x * e), [(sp.exp(x * e), (lo - h) / s, (hi - h) / s)], z)
                     for e, lo, hi in ((e0, lo0, hi0), (e2, lo2, hi2)))
    stable = sp.exp(x * e0) * tail((h - hi0) / s) + sp.exp(x * e2) * tail((lo2 - h) / s)
    return integrated, stable


@lru_cache(maxsize=None)
def last_level_average():
    """n(h; x, s) = E_z exp(x F_k(h + s z)) in closed form: outer pieces as Gaussian tails, the middle piece as
    K (erf(hi) - erf(lo)) with the cancellation-free difference."""
    _, stable = _outer_pieces()
    K, u_lo, u_hi, _, _ = _middle_integral()
    return stable + K * erf_difference(u_lo, u_hi)


def last_level():
    """F_{k-1}(h) = (1/x) log E_z exp(x F_k(h + s z)), s^2 = dq_k/(2 chi) (docs/theory.md §4.2, i = k-1)."""
    return sp.log(last_level_average()) / x


def check_last_level(points=((-1.5, 2, 1 / 3), (0.5, 3.5, 0.2), (2.5, 10, 1), (0.9, 0.01, 3), (6, 15, 0.05),
                             (-4, 15, 0.5))):
    """Checks of the closed form: SymPy's antiderivative differentiates back to the integrand; every branch of
    erf_difference equals erf(hi) - erf(lo); the tail form of the outer pieces equals SymPy's integral; and n(h)
    equals a direct numerical Gaussian average at 50 digits.  Returns the largest relative deviation of the last."""
    import mpmath

    K, u_lo, u_hi, generic, _ = _middle_integral()
    a, b = sp.Symbol("a", positive=True), sp.Symbol("b", real=True)
    hi_s = [u for u in generic.free_symbols if u.name == "hi"][0]
    assert sp.simplify(sp.diff(generic, hi_s) - sp.exp(-a * hi_s**2 + b * hi_s)) == 0
    lo_s, hi_s = sp.symbols("lo hi", real=True)
    for branch, _ in erf_difference(lo_s, hi_s).args:
        assert sp.simplify(branch.rewrite(sp.erf) - (sp.erf(hi_s) - sp.erf(lo_s))) == 0
    integrated, stable = _outer_pieces()
    assert sp.simplify((integrated - stable).rewrite(sp.erf)) == 0
    fk = sp.lambdify(h, boundary(), "mpmath")
    n_expr = sp.lambdify((h, x, s), last_level_average(), "mpmath")
    worst = 0
    with mpmath.workdps(50):
        for hv, xv, sv in points:
            hv, xv, sv = mpmath.mpf(hv), mpmath.mpf(xv), mpmath.mpf(sv)
            f = lambda zz: mpmath.exp(xv * fk(hv + sv * zz)) * mpmath.npdf(zz)  # noqa: E731
            cuts = sorted({-mpmath.inf, (0 - hv) / sv, (1 - hv) / sv, mpmath.mpf(0), mpmath.inf})
            direct = mpmath.quad(f, cuts)
            worst = max(worst, abs(n_expr(hv, xv, sv) / direct - 1))
    return float(worst)


# ----------------------------------------------------------------------------------------- entropic part

def entropic(qq, chi_s, xx):
    """-(1/2)[q_0/L_0 + sum_i (1/x_i) log(L_i/L_{i+1})] for explicit q_0..q_k (q_k = 1), x_0..x_{k-1} and chi:
    the collections :func:`L_loop` and :func:`entropic_loop` run on them.  Returns (entropic, [L_0..L_k])."""
    (Ls_,) = L_loop().unrolled(qq, xx, chi_s)
    first_term, terms = entropic_loop().unrolled(qq, xx, Ls_)
    return entropic_total().subs({first: first_term, terms_sum: sp.Add(*terms)}), Ls_


def _symbolic_levels(k):
    """Symbols q_0..q_{k-1} (with q_k = 1 appended), x_0..x_{k-1}, chi, and the entropic part and L_0..L_k of
    :func:`entropic` on them: the common start of the symbolic checks."""
    qq = list(sp.symbols(f"q0:{k}", positive=True)) + [Q_LAST]
    xx = sp.symbols(f"x0:{k}", positive=True)
    chi_s = sp.Symbol("chi", positive=True)
    ent, Ls_ = entropic(qq, chi_s, xx)
    return qq, xx, chi_s, ent, Ls_


def L_increment():
    """L_i - L_{i+1} = x_i dq_{i+1} (the limit of beta lambda_i, docs/theory.md §4.1)."""
    return x * dq


def entropy_first():
    return -q0 / (2 * L)


def entropy_term():
    return -sp.log(L / Ln) / (2 * x)


def G_first():
    """G_0 = q_0/L_0^2: -2/x_0 d(entropic)/dq_0 at one level (checked for k = 1..4)."""
    return q0 / L**2


def G_increment():
    """G_i - G_{i-1} = dq_i/(L_{i-1} L_i) (checked for k = 1..4 by :func:`check_entropic_gradient`)."""
    return dq / (Lp * L)


def check_entropic_gradient(kmax=4):
    """For k = 1..kmax: -2 d ent/dq_j = (x_j - x_{j-1}) G_j (x_{-1} = 0) and 2 d ent/dchi = G_k, with G from the
    collection :func:`G_loop` (built from :func:`G_first` and :func:`G_increment`).  Raises AssertionError
    otherwise; returns the k's checked."""
    for k in range(1, kmax + 1):
        qq, xx, chi_s, ent, Ls_ = _symbolic_levels(k)
        (G,) = G_loop().unrolled(qq, Ls_)
        for j in range(k):
            dx = xx[j] - (xx[j - 1] if j else 0)
            assert sp.simplify(-2 * sp.diff(ent, qq[j]) - dx * G[j]) == 0, (k, j)
        assert sp.simplify(2 * sp.diff(ent, chi_s) - G[k]) == 0, (k, "chi")
    return list(range(1, kmax + 1))


# ------------------------------------------------------------------- breakpoint derivative (envelope theorem)

def entropic_dx_pieces():
    """Local pieces of d(entropic)/dx_j at fixed q, chi, by differentiating the local terms of (FRSB-e).

    The entropic part is ``entropy_first(q_0, L_0) + sum_j entropy_term(L_j, L_{j+1}, x_j)`` with
    ``L_i = L_{i+1} + L_increment(x_i, dq_{i+1})``; x_j enters term j explicitly and every L_i with i <= j through
    ``dL_i/dx_j = d L_increment/dx``.  So ``d ent/dx_j = explicit_j + (dL/dx)_j D_j``, ``D_j = sum_{i<=j}
    d ent/dL_i`` (the L's independent), accumulated level by level: ``D_0 = first_L + term_L(0)``,
    ``D_j = D_{j-1} + term_Ln(j-1) + term_L(j)``.  Returns (explicit, dL/dx, first_L, term_L, term_Ln) as
    expressions in (q0, L, Ln, x, dq); checked against direct differentiation by :func:`check_entropic_dx`."""
    term, first = entropy_term(), entropy_first()
    return (sp.diff(term, x), sp.diff(L_increment(), x), sp.diff(first, L), sp.diff(term, L), sp.diff(term, Ln))


def check_entropic_dx(kmax=4):
    """For k = 1..kmax: the collection :func:`dx_loop` with zero energetic integrals equals SymPy's derivative of
    :func:`entropic` in each x_j, and with symbols En_j it adds :func:`energetic_dx` of each level.  Raises
    AssertionError otherwise; returns the k's checked."""
    for k in range(1, kmax + 1):
        qq, xx, _, ent, Ls_ = _symbolic_levels(k)
        (d,) = dx_loop().unrolled(qq, xx, Ls_, [0] * (k + 1))
        Es = sp.symbols(f"E0:{k + 1}", real=True)
        (dd,) = dx_loop().unrolled(qq, xx, Ls_, Es)
        for j in range(k):
            assert sp.simplify(sp.diff(ent, xx[j]) - d[j]) == 0, (k, j)
            assert sp.simplify(dd[j] - d[j] - energetic_dx().subs({En: Es[j], Enn: Es[j + 1], x: xx[j]})) == 0
    return list(range(1, kmax + 1))


Fbar = sp.Symbol("Fbar", real=True)      # tilted average of F_{i+1} (the mean under exp(x F_{i+1}) gamma)
En, Enn = sp.Symbol("En", real=True), sp.Symbol("Ennext", real=True)


def log_step_dx():
    """dF_i/dx_i at fixed F_{i+1}: SymPy differentiates F = (1/x) log Z(x), Z = E exp(x F_{i+1}), and Z'/Z is the
    tilted mean Fbar of F_{i+1}: (Fbar - F)/x."""
    Z = sp.Function("Z")(x)
    d = sp.diff(sp.log(Z) / x, x)
    d = d.subs(sp.Derivative(Z, x), Z * Fbar).subs(sp.log(Z), x * F)
    return sp.simplify(d)


def energetic_dx():
    """d(-alpha E_{p_0} F_0)/dx_i at fixed (q, chi) from the level energetic integrals En_i = -alpha int p_i F_i.

    A change of F_i propagates to F_0 with weight p_i (the forward density, docs/theory.md §4.4; the Parisi
    identity, typed by hand like the one of §4.5 and checked by finite differences in tests/test_frsb.py), so the
    derivative is ``-alpha int p_i dF_i/dx_i``; with :func:`log_step_dx` and ``int p_i Fbar_i = int p_{i+1} F_{i+1}``
    (p_{i+1} is p_i moved by the tilted kernel) it is a function of En_i and En_{i+1}."""
    integrand = -alpha * log_step_dx()                  # -alpha dF_i/dx_i, to be integrated against p_i
    lin = sp.expand(integrand)
    a_bar, a_F = lin.coeff(Fbar), lin.coeff(F)
    assert sp.simplify(lin - a_bar * Fbar - a_F * F) == 0
    # int p_i (a_bar Fbar + a_F F_i) = a_bar int p_{i+1} F_{i+1} + a_F int p_i F_i, and En = -alpha int p F
    return sp.simplify(a_bar * Enn / (-alpha) + a_F * En / (-alpha))


def lambda_first():
    """lambda_0 from G_0 = Qhat_0 at the current q_0 (positive root): sqrt(q_0/Qhat_0)."""
    sols = [r for r in sp.solve(sp.Eq(G_first(), Qh0), L) if r.is_positive is not False]
    (sol,) = sols
    return sp.simplify(sol)


def inv_lambda_increment():
    """1/lambda_i - 1/lambda_{i-1} from G_i - G_{i-1} = Qhat_i - Qhat_{i-1} with dq_i = (lambda_{i-1}-lambda_i)/x_{i-1}.

    SymPy solves the increment equation for lambda_i; the result is returned as the increment of 1/lambda.
    """
    eq = sp.Eq(G_increment().subs(dq, dq_from_lambda().subs({L: Lp, Ln: L})), dQ)
    (sol,) = sp.solve(eq, L)
    return sp.simplify(1 / sol - 1 / Lp)


def dq_from_lambda():
    """dq_{i+1} = (lambda_i - lambda_{i+1})/x_i: L_increment solved for dq."""
    (sol,) = sp.solve(sp.Eq(L - Ln, L_increment()), dq)
    return sol


def chi_rhs():
    """Right side of the authors' chi equation G_k(chi) = Qhat_k(chi) (docs/theory.md §4.5 step 5): the level-k density
    held fixed in w, so Qhat_k = alpha E[(dF_k/dw)^2] scales as chi^(-1/2) at fixed P_k(h) (typed by hand)."""
    return Qk * sp.sqrt(chi_old / chi)


Gk = sp.Symbol("Gk", positive=True)


def chi_equation():
    """G_k(chi) - Qhat_k(chi): the residual of the authors' chi equation (docs/theory.md §4.5 step 5), G_k from
    :func:`G_loop` at trial chi, Qhat_k(chi) from :func:`chi_rhs`."""
    return Gk - chi_rhs()


ent_s, energetic_s = sp.Symbol("entropic", real=True), sp.Symbol("energetic", real=True)


def functional():
    """e_k of (FRSB-e): the entropic part (:func:`entropic_total`) plus the energetic term -alpha E_z F_0
    (the integral of :func:`energetic_integrand`)."""
    return ent_s + energetic_s


def functional_dalpha():
    """d e_k/d alpha at fixed order parameter (q, chi, x): alpha enters (FRSB-e) only as the prefactor of the
    energetic integrand (F_i and p_i of the recursion are alpha-free), so the derivative is the energetic term
    times d log(integrand)/d alpha (envelope theorem at a stationary point: the slope of the stationary value)."""
    integrand = energetic_integrand()
    assert not functional().has(alpha)
    return sp.simplify(energetic_s * sp.diff(integrand, alpha) / integrand)


# ------------------------------------------------------------------- level recursions (one collection each)
#
# Each recursion over the levels is one :class:`derive.codegen.Loop`: the values of level i are loaded from the
# arrays into the symbols the pieces above are written in (x, dq, L, Lnext, ...), the pieces are evaluated, and
# a recurrence carries a running value S from level to level (initial value before the loop, direction stated).
# Sums of increments are accumulated on their own and added to the end value afterwards (L_i = chi + S_i, the
# form L_i = chi + sum_{j>=i} x_j dq_{j+1} of docs/theory.md §4.1, rather than L_i = L_{i+1} + inc_i): the same
# numbers, in the order of floating-point operations the solver has always used.

I, K = INDEX, COUNT
qs, xs, Ls, Gs, Qhats, lams, Ens, dqs, out = (sp.IndexedBase(n, real=True) for n in (
    "qs", "xs", "Ls", "Gs", "Qhats", "lams", "Ens", "dqs", "out"))
S = sp.Symbol("S", real=True)                      # running sum of a recursion
P = sp.Symbol("P", real=True)                      # a piece of level i - 1 carried to level i
A, D, D0, G0 = (sp.Symbol(n, real=True) for n in ("A", "D", "D0", "G0"))
ex, ed, edx, dLs, inv, inv0, first = (sp.Symbol(n, real=True) for n in (
    "ex", "ed", "edx", "dL", "inv", "inv0", "first"))
Q_LAST = sp.Integer(1)
"""q_k = 1, the last overlap of the k-step ansatz (docs/theory.md §4.1)."""


def _loads(*names):
    """Level i's values read by the pieces: (symbol, array element) assignments."""
    table = {"x": (x, xs[I]), "dq": (dq, qs[I + 1] - qs[I]), "L": (L, Ls[I]), "Ln": (Ln, Ls[I + 1]),
             "Lp": (Lp, Ls[I]), "L+": (L, Ls[I + 1])}
    return tuple(table[n] for n in names)


def L_loop():
    """L_k = chi, L_i = L_{i+1} + x_i dq_{i+1} for i = k-1..0 (docs/theory.md §4.1): S_i = S_{i+1} + x_i dq_{i+1},
    S_k = 0, L_i = chi + S_i."""
    return Loop("frsb_levels_L", (qs, xs, chi), (xs, 0), ((Ls, 1),),
                before=((S, 0), (Ls[K], chi)),
                body=_loads("x", "dq") + ((S, S + L_increment()), (Ls[I], chi + S)),
                backward=True, doc="L_0..L_k from q_0..q_k (q_k = 1) and chi: L_k = chi, L_i = L_{i+1} + x_i dq_{i+1} "
                                   "(docs/theory.md §4.1).")


def G_loop():
    """G_0 = G_first(q_0, L_0), G_{i+1} = G_i + G_increment(dq_{i+1}, L_i, L_{i+1}), i = 0..k-1 (left sides of (S_i))."""
    return Loop("frsb_levels_G", (qs, Ls), (Ls, -1), ((Gs, 1),),
                before=((q0, qs[0]), (L, Ls[0]), (G0, G_first()), (S, 0), (Gs[0], G0)),
                body=_loads("dq", "Lp", "L+") + ((S, S + G_increment()), (Gs[I + 1], G0 + S)),
                doc="G_0..G_k of (S_i) from q and L: G_0 = q_0/L_0^2, G_{i+1} = G_i + dq_{i+1}/(L_i L_{i+1}).")


def entropic_loop():
    """The terms of the entropic part: -(1/2) q_0/L_0 and -(1/(2 x_i)) log(L_i/L_{i+1}) for i = 0..k-1.  Their sum
    is :func:`entropic_total`, the sum over the levels taken by the host's pairwise summation (numpy.sum: error
    growing like log k, not k, for large k)."""
    return Loop("frsb_levels_entropic_terms", (qs, xs, Ls), (xs, 0), (first, (out, 0)),
                before=((q0, qs[0]), (L, Ls[0]), (first, entropy_first())),
                body=_loads("L", "Ln", "x") + ((out[I], entropy_term()),),
                doc="The terms of the entropic part of (FRSB-e): -(1/2) q_0/L_0 and -(1/(2 x_i)) log(L_i/L_{i+1}), "
                    "i = 0..k-1.")


terms_sum = sp.Symbol("terms_sum", real=True)


def entropic_total():
    """The entropic part of (FRSB-e): the first term plus the sum of the level terms of :func:`entropic_loop`."""
    return first + terms_sum


def dx_loop():
    """de/dx_j of (FRSB-e) at fixed (q, chi), j = 0..k-1 (the envelope theorem, docs/theory.md §4.6): the entropic
    part from :func:`entropic_dx_pieces`, D_j = D0 + sum_{i<=j} (term_L(i) + term_Ln(i-1)) accumulated in S with
    term_Ln(j) carried to level j + 1 in P, then explicit_j + (dL/dx)_j D_j; plus :func:`energetic_dx` from the level
    energetic integrals En_j, En_{j+1} (all zero: the entropic part alone)."""
    explicit, dLdx, first_L, term_L, term_Ln = entropic_dx_pieces()
    return Loop("frsb_levels_dx", (qs, xs, Ls, Ens), (xs, 0), ((out, 0),),
                before=((q0, qs[0]), (L, Ls[0]), (D0, first_L), (S, 0), (P, 0)),
                body=_loads("L", "Ln", "x", "dq") + (
                    (dLs, term_L), (A, dLs + P), (S, S + A), (D, D0 + S), (ex, explicit), (ed, ex + dLdx * D),
                    (P, term_Ln), (En, Ens[I]), (Enn, Ens[I + 1]), (edx, energetic_dx()), (out[I], ed + edx)),
                doc="de/dx_j of (FRSB-e) at fixed (q, chi): explicit_j + dq_{j+1} sum_{i<=j} d ent/dL_i plus the "
                    "energetic envelope term from En_j = -alpha int p_j F_j (En = 0: the entropic part).")


def lambda_loop():
    """lambda_0 = lambda_first(q_0, Qhat_0), 1/lambda_{i+1} = 1/lambda_i + inv_lambda_increment(x_i, Qhat_{i+1} -
    Qhat_i), i = 0..k-1 (docs/theory.md §4.5 steps 1-2); returns lambda_0..lambda_k."""
    return Loop("frsb_levels_lambda", (xs, Qhats, q0), (xs, 0), ((lams, 1),),
                before=((Qh0, Qhats[0]), (L, lambda_first()), (inv0, 1 / L), (S, 0), (lams[0], 1 / inv0)),
                body=((x, xs[I]), (dQ, Qhats[I + 1] - Qhats[I]), (S, S + inv_lambda_increment()),
                      (inv, inv0 + S), (lams[I + 1], 1 / inv)),
                doc="lambda_0..lambda_k of the update (docs/theory.md §4.5 1-2): lambda_0 = sqrt(q_0/Qhat_0), "
                    "1/lambda_{i+1} = 1/lambda_i + x_i (Qhat_{i+1} - Qhat_i).")


def _q_loop(name, args, count, increment, doc):
    """q_k = 1, q_i = q_{i+1} - dq_{i+1} for i = k-1..0 (S_i = S_{i+1} + dq_{i+1}, q_i = 1 - S_i), with dq_{i+1}
    given by the assignments ``increment``."""
    return Loop(name, args, count, ((qs, 1),), before=((S, 0), (qs[K], Q_LAST)),
                body=tuple(increment) + ((S, S + dq), (qs[I], Q_LAST - S)), backward=True, doc=doc)


def q_from_lambda_loop():
    """q from lambda (docs/theory.md §4.5 step 3): dq_{i+1} = dq_from_lambda(lambda_i, lambda_{i+1}, x_i)."""
    return _q_loop("frsb_levels_q_from_lambda", (lams, xs), (xs, 0),
                   ((L, lams[I]), (Ln, lams[I + 1]), (x, xs[I]), (dq, dq_from_lambda())),
                   "q_0..q_k from lambda: q_k = 1, q_i = q_{i+1} - (lambda_i - lambda_{i+1})/x_i "
                   "(docs/theory.md §4.5 3).")


def q_from_increments_loop():
    """q from its increments dq_0..dq_k (dq_0 unused): q_k = 1, q_i = q_{i+1} - dq_{i+1}."""
    return _q_loop("frsb_levels_q_from_increments", (dqs,), (dqs, -1), ((dq, dqs[I + 1]),),
                   "q_0..q_k from the increments dq_0..dq_k: q_k = 1, q_i = q_{i+1} - dq_{i+1}.")


def loops():
    return [L_loop(), G_loop(), entropic_loop(), dx_loop(), lambda_loop(), q_from_lambda_loop(),
            q_from_increments_loop()]


def check_level_loops(kmax=3):
    """For k = 1..kmax, on symbols: L_k = chi and L_i - L_{i+1} = x_i dq_{i+1}; both q collections end at q_k = 1
    with the stated increments; and the update solves (S_i): with L = lambda (:func:`lambda_loop`) and q from
    lambda (shifted to the current q_0), G_i = Qhat_i for every i.  Raises AssertionError; returns the k's."""
    for k in range(1, kmax + 1):
        qq, xx, chi_s, _, Ls_ = _symbolic_levels(k)
        assert Ls_[k] == chi_s
        for i in range(k):
            assert sp.simplify(Ls_[i] - Ls_[i + 1] - L_increment().subs({x: xx[i], dq: qq[i + 1] - qq[i]})) == 0
        lam = sp.symbols(f"lam0:{k + 1}", positive=True)
        (ql,) = q_from_lambda_loop().unrolled(lam, xx)
        incs = sp.symbols(f"d0:{k + 1}", real=True)
        (qd,) = q_from_increments_loop().unrolled(incs)
        assert ql[k] == 1 and qd[k] == 1
        for i in range(k):
            assert sp.simplify(ql[i + 1] - ql[i] - dq_from_lambda().subs({L: lam[i], Ln: lam[i + 1], x: xx[i]})) == 0
            assert sp.simplify(qd[i + 1] - qd[i] - incs[i + 1]) == 0
        Qh = sp.symbols(f"Qh0:{k + 1}", positive=True)
        (lm,) = lambda_loop().unrolled(xx, Qh, qq[0])
        (qn,) = q_from_lambda_loop().unrolled(lm, xx)
        (G,) = G_loop().unrolled([v - qn[0] + qq[0] for v in qn], lm)
        for i in range(k + 1):
            assert sp.simplify(G[i] - Qh[i]) == 0, (k, i)
    return list(range(1, kmax + 1))


# ------------------------------------------------------------------------------------- pointwise pieces

def step_variance():
    """Variance in h of a Gaussian step of variance dq in w = sqrt(2 chi) h."""
    return dq / (2 * chi)


def gauss_multiplier():
    """Fourier transform of gamma_v at frequency nu (cycles per unit h), by SymPy: exp(-2 pi^2 v nu^2)."""
    vv = sp.Symbol("v", positive=True)
    dens = sp.exp(-t**2 / (2 * vv)) / sp.sqrt(2 * sp.pi * vv)
    return sp.fourier_transform(dens, t, nu).subs(vv, v)


EL, ER = sp.Symbol("EL", real=True), sp.Symbol("ER", real=True)
centre = sp.Symbol("c", real=True)
tau2 = sp.Symbol("tau2", positive=True)
unit = sp.Symbol("unit", real=True)         # value of the unit step


def step_shape():
    """The unit Gaussian step ``P(z > (h - c)/tau)``, from 1 (h -> -oo) to 0 (h -> +oo)."""
    return tail((h - centre) / sp.sqrt(tau2))


def step_between():
    """The step with the limits EL (h -> -oo) and ER (h -> +oo) from the unit step's value ``unit``."""
    return ER + (EL - ER) * unit


def step_background():
    """Gaussian step ``ER + (EL - ER) P(z > (h - c)/tau)`` between the limits EL (h -> -oo) and ER (h -> +oo).

    Subtracted from ``exp(x F_{i+1})`` before the periodic FFT convolution (the function tends to different
    limits at the two ends of the window; without the subtraction the periodic extension jumps and the
    band-limited interpolant rings over the whole window).  Its convolution with gamma_v is the same step with
    ``tau2 -> tau2 + v`` (:func:`check_step_background`), added back exactly.
    """
    return step_between().subs(unit, step_shape())


def step_background_widened():
    """The step after its convolution with gamma_v: :func:`step_background` with ``tau2 -> tau2 + v`` (the variances
    of two Gaussians add, :func:`check_step_background`)."""
    return step_background().subs(tau2, tau2 + v)


def check_step_background():
    """The h-derivative of the step is -(EL - ER) gamma_{tau2}(h - c); the Fourier transform of gamma_{tau2}
    times the multiplier of gamma_v is the transform of gamma_{tau2 + v}: so convolving the step with gamma_v
    widens tau2 by v (limits unchanged).  Returns True or raises AssertionError."""
    vv, tt = sp.Symbol("v", positive=True), sp.Symbol("tau2", positive=True)
    step = step_background().subs(tau2, tt)
    dens = lambda var: sp.exp(-(h - centre)**2 / (2 * var)) / sp.sqrt(2 * sp.pi * var)  # noqa: E731
    assert sp.simplify(sp.diff(step, h) + (EL - ER) * dens(tt)) == 0
    ft = lambda var: sp.fourier_transform(dens(var).subs(centre, 0), h, nu)  # noqa: E731
    assert sp.simplify(ft(tt) * gauss_multiplier().subs(v, vv) - ft(tt + vv)) == 0
    widened = step_background_widened().subs({tau2: tt, v: vv})
    assert sp.simplify(sp.diff(widened, h) + (EL - ER) * dens(tt + vv)) == 0
    assert sp.simplify(widened.subs(h, centre) - step.subs(h, centre)) == 0
    return True


def density0():
    """p_0(h) = gamma_{v_0}(h), v_0 = q_0/(2 chi)."""
    return sp.exp(-h**2 / (2 * v)) / sp.sqrt(2 * sp.pi * v)


def exp_tilt():
    """exp(x (F - m)): the shifted exponential of the backward step and of the forward tilt."""
    return sp.exp(x * (F - m))


def log_step():
    """F = m + log(C)/x: the backward step after the Gaussian average C of exp(x (F_{i+1} - m))."""
    return m + sp.log(sp.Max(C, FLOOR)) / x


def log_step_dh():
    """dF/dh of the log step, by differentiating m + log(C(h))/x (C above the floor)."""
    Cf = sp.Function("Cf")(h)
    d = sp.diff((m + sp.log(Cf) / x), h)
    return d.subs(sp.Derivative(Cf, h), dC).subs(Cf, sp.Max(C, FLOOR))


def forward_step():
    """p_{i+1} = exp(x_i (F_{i+1} - m)) g, g the convolution of p_i exp(-x_i (F_i - m)) (docs/theory.md §4.4)."""
    return exp_tilt().subs(F, Fn) * g


def untilt():
    """p_i exp(-x_i (F_i - m)): the function the forward step convolves."""
    return p / exp_tilt()


def qhat_integrand(dFdh=dF):
    """Integrand of Qhat_i = alpha E_{p_i}[(dF_i/dw)^2] in h: SymPy's chain rule for F(w/sqrt(2 chi))."""
    w = rs.w
    dFdw = sp.diff(sp.Function("Fh")(w / sp.sqrt(2 * chi)), w)
    dFdw = dFdw.xreplace({d: dFdh for d in dFdw.atoms(sp.Subs)})
    return sp.simplify(alpha * p * dFdw**2)


def energetic_integrand():
    """-alpha p_0 F_0: the energetic term of (FRSB-e) as an integral over h."""
    return -alpha * p * F


def kernels():
    """Generated kernels of the FRSB solver: elementwise over the h grid or scalar, and the level loops."""
    pcs = boundary_pieces()
    Fk = boundary()
    last = last_level()
    ks = [
        Kernel("frsb_boundary", (h,), Fk, "F_k(h) = g_chi(sqrt(2 chi) h) (docs/theory.md §4.2)."),
        Kernel("frsb_boundary_dh", (h,), sp.diff(Fk, h), "dF_k/dh."),
        Kernel("frsb_last_level", (h, x, s), last,
               "F_{k-1}(h) = (1/x) log E_z exp(x F_k(h + s z)), closed form (s^2 = dq_k/(2chi))."),
        Kernel("frsb_last_level_dh", (h, x, s), sp.diff(last, h), "dF_{k-1}/dh of the closed form."),
        Kernel("frsb_step_variance", (dq, chi), step_variance(), "Variance dq/(2 chi) in h of a step dq in w."),
        Kernel("frsb_gauss_multiplier", (nu, v), gauss_multiplier(),
               "Fourier multiplier of the convolution with gamma_v (SymPy's Fourier transform)."),
        Kernel("frsb_step_background", (h, EL, ER, centre, tau2), step_background(),
               "Gaussian step between EL and ER (subtracted before, and added back after, a convolution)."),
        Kernel("frsb_step_shape", (h, centre, tau2), step_shape(),
               "Unit Gaussian step from 1 to 0 (the h-dependence of frsb_step_background)."),
        Kernel("frsb_step_between", (unit, EL, ER), step_between(),
               "frsb_step_background from the unit step's value (the step at many points, one shape)."),
        Kernel("frsb_step_background_dh", (h, EL, ER, centre, tau2), sp.diff(step_background(), h),
               "h-derivative of frsb_step_background."),
        Kernel("frsb_step_background_widened", (h, EL, ER, centre, tau2, v), step_background_widened(),
               "frsb_step_background convolved with gamma_v: tau2 -> tau2 + v."),
        Kernel("frsb_step_background_widened_dh", (h, EL, ER, centre, tau2, v), sp.diff(step_background_widened(), h),
               "h-derivative of frsb_step_background_widened."),
        Kernel("frsb_density0", (h, v), density0(), "p_0(h) = gamma_{q_0/(2chi)}(h) (docs/theory.md §4.4)."),
        Kernel("frsb_exp_tilt", (F, x, m), exp_tilt(), "exp(x (F - m)) (docs/theory.md §4.8 overflow shift)."),
        Kernel("frsb_log_step", (C, x, m), log_step(), "F_i = m + log(C)/x (backward log-step, floored C)."),
        Kernel("frsb_log_step_dh", (C, dC, x), log_step_dh(), "dF_i/dh = C'/(x C) of the log-step.", arrays=2),
        Kernel("frsb_forward_step", (g, Fn, x, m), forward_step(),
               "p_{i+1} = exp(x_i (F_{i+1} - m)) g (docs/theory.md §4.4).", arrays=2),
        Kernel("frsb_untilt", (p, F, x, m), untilt(), "p_i exp(-x_i (F_i - m)) (docs/theory.md §4.4).", arrays=2),
        Kernel("frsb_qhat_integrand", (p, dF, alpha, chi), qhat_integrand(),
               "alpha/(2chi) p_i (dF_i/dh)^2: integrand of Qhat_i (docs/theory.md §4.5).", arrays=2),
        Kernel("frsb_energetic_integrand", (p, F, alpha), energetic_integrand(),
               "-alpha p_0 F_0: integrand of the energetic term of (FRSB-e).", arrays=2),
        Kernel("frsb_chi_equation", (Gk, Qk, chi_old, chi), chi_equation(),
               "G_k(chi) - Qhat_k(chi) with P_k fixed in w (docs/theory.md §4.5 5): the chi equation's residual."),
        Kernel("frsb_entropic", (first, terms_sum), entropic_total(),
               "The entropic part of (FRSB-e): -(1/2) q_0/L_0 plus the sum of the level terms."),
        Kernel("frsb_functional", (ent_s, energetic_s), functional(),
               "e_k of (FRSB-e) = entropic part + energetic term -alpha E F_0."),
        Kernel("frsb_functional_dalpha", (energetic_s, alpha), functional_dalpha(),
               "d e_k/d alpha at fixed (q, chi, x), from the energetic term."),
    ]
    for j, bp in enumerate(breakpoints()):
        ks.append(Kernel(f"frsb_breakpoint{j}", (chi,), bp, f"Piece end {j} of F_k in h (chi-free)."))
    for j, ((e, _, _), est) in enumerate(zip(pcs, estar_pieces())):
        ks += [
            Kernel(f"frsb_last_density_piece{j}", (g, h, x, m), forward_step().subs(Fn, e),
                   f"p_k on piece {j} of F_k: exp(x_{{k-1}} (F_k - m)) g.", arrays=2),
            Kernel(f"frsb_qhat_last_piece{j}", (p, h, alpha, chi), qhat_integrand(sp.diff(e, h)),
                   f"Integrand of Qhat_k on piece {j}: alpha/(2chi) p_k (dF_k/dh)^2.", arrays=2),
            Kernel(f"frsb_energetic_last_piece{j}", (p, h, alpha), energetic_integrand().subs(F, e),
                   f"Integrand of -alpha int p_k F_k on piece {j}.", arrays=2),
            Kernel(f"frsb_estar_piece{j}", (p, h, alpha), alpha * p * est,
                   f"Integrand of estar on piece {j}: alpha p_k (-dF_k^lambda/dlambda) (docs/theory.md §4.6).", arrays=2),
        ]
    return ks + loops()
