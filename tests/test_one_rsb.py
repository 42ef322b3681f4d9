"""1-RSB at zero temperature (docs/theory.md §3): derived equations vs the hand forms of §3.3-3.5, RS reduction,
threshold in double and mpmath, estimator agreement, energies across alpha, bad input."""
import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import integrate
from scipy.special import erfc

import relu_injectivity as ri
from relu_injectivity.derive import one_rsb as d1
from relu_injectivity.machinery import kernels
from relu_injectivity.methods import one_rsb as o
from relu_injectivity.machinery.results import ConvergenceError

ALPHA_1RSB = 6.7156968377            # docs/theory.md §3.6 (10 decimals, both estimators)
AT_THRESHOLD = {"c": 3.286658, "q0": 0.7772308, "chi": 0.0533008}
AT_6 = {"c": 3.492213, "q0": 0.7758591, "chi": 0.0663899}
E_6 = 0.80158466
POINT = (6.3, 0.71, 0.083, 2.7)      # (alpha, q0, chi, c): an arbitrary point, not a solution


# ------------------------------------------------------------------------------------------------------------
# docs/theory.md §3.3-3.4 typed by hand: the check, not the input


def _H(t):
    return erfc(t / np.sqrt(2)) / 2


def _phi(t):
    return np.exp(-t * t / 2) / np.sqrt(2 * np.pi)


def _hand_pieces(xi, q0, chi, c):
    """(n, A, B, C, Iabove) of docs/theory.md §3.3."""
    a, b, r = np.sqrt(q0) * xi, np.sqrt(1 - q0), np.sqrt(2 * chi)
    D = chi + c * b * b
    mu, s = a * chi / D, b * np.sqrt(chi / D)
    K = np.sqrt(chi / D) * np.exp(-c * a * a / (2 * D))
    l0, l1 = -mu / s, (r - mu) / s
    dP = _H(l0) - _H(l1)
    I0 = K * dP
    I1 = K * (mu * dP + s * (_phi(l0) - _phi(l1)))
    I2 = K * ((mu * mu + s * s) * dP + s * (mu * _phi(l0) - (mu + r) * _phi(l1)))
    ineg, iabove = _H(a / b), _H((r - a) / b)
    n = ineg + np.exp(-c) * iabove + I0
    return n, I1, I2, np.exp(-c) * iabove + I2 / (2 * chi), iabove


def _expect(values):
    """E_xi by the trapezoid rule on [-12, 12], 2400 intervals, with the exact step."""
    x = np.linspace(-12, 12, 2401)
    w = (24 / 2400) * _phi(x)
    w[[0, -1]] /= 2
    return float(np.dot(w, values(x)))


def _hand_equations(alpha, q0, chi, c):
    """A0, A1 (§3.4), the left side of (1RSB-c) and estar (§3.6)."""
    D = chi + c * (1 - q0)

    def part(k):
        return lambda x: _hand_pieces(x, q0, chi, c)[k]

    n = part(0)
    A0 = alpha * _expect(lambda x: (x * part(1)(x) / np.sqrt(q0) - part(2)(x)) / n(x)) / (c * (1 - q0) * chi)
    A1 = alpha / chi**2 * _expect(lambda x: part(2)(x) / n(x))
    lhs_c = ((np.log(D / chi) - c * (1 - q0) * (chi + c * (1 - 2 * q0)) / D**2) / (2 * c * c)
             + alpha / c**2 * _expect(lambda x: np.log(n(x))) + alpha / c * _expect(lambda x: part(3)(x) / n(x)))
    estar = alpha * np.exp(-c) * _expect(lambda x: part(4)(x) / n(x))
    return A0, A1, lhs_c, estar


def _derived(name, *args):
    return kernels.averaged("one_rsb", name, o.RULE)(*args)


def test_n_closed_form_matches_hand_form_and_direct_u_integral():
    """n(xi) (SymPy's closed form) = §3.3 hand form = E_u exp(c g_chi(w)) by adaptive quadrature."""
    _, q0, chi, c = POINT
    gen = kernels.numba("one_rsb")
    r = np.sqrt(2 * chi)

    def g(wv):                                      # docs/theory.md §2.2
        return 0.0 if wv <= 0 else (-wv * wv / (2 * chi) if wv < r else -1.0)

    for xi in (-6.0, -1.3, 0.0, 0.4, 2.2, 7.5):
        derived = gen.one_rsb_n(xi, q0, chi, c)
        assert derived == pytest.approx(_hand_pieces(xi, q0, chi, c)[0], rel=1e-13)
        a, b = np.sqrt(q0) * xi, np.sqrt(1 - q0)
        cuts = sorted([(-a) / b, (r - a) / b])
        f = lambda u: _phi(u) * math.exp(c * g(a + b * u))  # noqa: E731
        direct = sum(integrate.quad(f, lo, hi, epsabs=1e-15, epsrel=1e-13)[0]
                     for lo, hi in zip([-np.inf] + cuts, cuts + [np.inf]))
        assert derived == pytest.approx(direct, rel=1e-11)


def test_derived_stationarity_equals_hand_forms_of_math_md():
    """SymPy's de/dq0, de/dchi, de/dc and estar = de/dlambda agree with A0, A1, (1RSB-c), alpha e^-c E[Iabove/n]."""
    alpha, q0, chi, c = POINT
    A0, A1, lhs_c, estar = _hand_equations(alpha, q0, chi, c)
    D = chi + c * (1 - q0)
    assert _derived("one_rsb_A0", alpha, q0, chi, c) == pytest.approx(A0, rel=1e-12)
    assert _derived("one_rsb_A1", alpha, q0, chi, c) == pytest.approx(A1, rel=1e-12)
    # de/dq0 = (c/2)(A0 - q0/D^2),  de/dchi = (1/2)(q0/D^2 + (1-q0)/(D chi) - A1)
    assert _derived("one_rsb_grad_q0", alpha, q0, chi, c) == pytest.approx(c / 2 * (A0 - q0 / D**2), rel=1e-11)
    assert _derived("one_rsb_grad_chi", alpha, q0, chi, c) == pytest.approx(
        (q0 / D**2 + (1 - q0) / (D * chi) - A1) / 2, rel=1e-11)
    assert _derived("one_rsb_grad_c", alpha, q0, chi, c) == pytest.approx(lhs_c, rel=1e-11)
    assert _derived("one_rsb_estar", alpha, q0, chi, c) == pytest.approx(estar, rel=1e-12)


def test_estar_integrand_is_the_tilted_tail_fraction_pointwise():
    alpha, q0, chi, c = POINT
    gen = kernels.numba("one_rsb")
    x = np.linspace(-10, 10, 41)
    n, _, _, _, iabove = _hand_pieces(x, q0, chi, c)
    assert gen.one_rsb_estar(alpha, q0, chi, c, 0.0) == 0.0          # estar = (factor) * E_xi[integrand]
    factor = gen.one_rsb_estar(alpha, q0, chi, c, 1.0)
    np.testing.assert_allclose(factor * gen.one_rsb_estar__avg0__map(x, alpha, q0, chi, c),
                               alpha * np.exp(-c) * iabove / n, rtol=1e-12, atol=1e-300)


def test_fixed_point_cubic_and_chi_update_are_those_of_math_md():
    """Eliminating chi from the derived stationarity equations gives docs/theory.md §3.5's cubic and chi update."""
    z = d1.fixed_point_form()
    A0, A1, c, q0 = d1.A0, d1.A1, d1.c, d1.q0
    k = A0 * c**2 * (A1 - A0)**2
    hand = [A0**2, -2 * A0 * A1 - k, A1**2 + 2 * k, -k]
    ratio = sp.simplify(z["cubic"][0] / hand[0])
    assert ratio.is_number and ratio != 0
    for derived, h in zip(z["cubic"], hand):
        assert sp.expand(derived - ratio * h) == 0
    assert sp.simplify(z["chi_update"] - A0 * c * (1 - q0)**2 / (q0 * A1 - A0)) == 0
    D = d1.chi + c * (1 - q0)
    assert sp.simplify(z["A0_rhs"] - q0 / D**2) == 0
    assert sp.simplify(z["A1_rhs"] - (q0 / D**2 + (1 - q0) / (D * d1.chi))) == 0


def test_entropic_term_is_the_zero_temperature_limit_of_math_md():
    ent = d1.entropic_zero_temperature()
    D = d1.chi + d1.c * (1 - d1.q0)
    assert sp.simplify(ent - (-d1.q0 / (2 * D) - sp.log(D / d1.chi) / (2 * d1.c))) == 0
    # RS limit of the entropic term (m -> 0): -1/(2 chi), as in §2.2
    assert sp.limit(ent, d1.c, 0) == -1 / (2 * d1.chi)


# ------------------------------------------------------------------------------------------------------------
# Reduction to RS


@pytest.mark.parametrize("q0", [0.3, 0.8])
def test_potential_reduces_to_rs_functional_as_c_to_0(q0):
    """c -> 0 (m -> 0): e_1RSB -> e_RS(chi) for every q0, linearly in c; the chi-equation -> (RS-chi)."""
    alpha, chi = 6.0, 0.7
    rs = kernels.numba("rs")
    e_rs = rs.rs_functional(alpha, chi)
    diffs = [_derived("one_rsb_potential", alpha, q0, chi, c) - e_rs for c in (1e-4, 1e-5)]
    assert abs(diffs[1]) < 1e-4 and diffs[0] / diffs[1] == pytest.approx(10, rel=1e-2)
    assert _derived("one_rsb_estar", alpha, q0, chi, 1e-7) == pytest.approx(rs.rs_estar(alpha, chi), rel=1e-6)
    assert 2 * chi**2 * _derived("one_rsb_grad_chi", alpha, q0, chi, 1e-7) == pytest.approx(
        rs.rs_stationarity(alpha, chi), abs=1e-6)


@pytest.mark.parametrize("c", [0.5, 4.0])
def test_potential_reduces_to_rs_functional_as_q0_to_1(c):
    """q0 -> 1 (q0 = q1): e_1RSB -> e_RS(chi) for every c.  (The integrand in xi then has kinks at w = 0 and
    w = sqrt(2 chi): adaptive quadrature with those break points instead of the trapezoid rule.)"""
    alpha, chi, q0 = 6.0, 0.7, 1 - 1e-12
    gen = kernels.numba("one_rsb")
    cuts = [-np.inf, 0.0, np.sqrt(2 * chi / q0), np.inf]
    f = lambda x: gen.one_rsb_potential__avg0(x, alpha, q0, chi, c) * _phi(x)  # noqa: E731
    avg = sum(integrate.quad(f, lo, hi, epsabs=1e-14, epsrel=1e-12)[0] for lo, hi in zip(cuts, cuts[1:]))
    e_rs = kernels.numba("rs").rs_functional(alpha, chi)
    assert gen.one_rsb_potential(alpha, q0, chi, c, avg) == pytest.approx(e_rs, abs=1e-8)


# ------------------------------------------------------------------------------------------------------------
# Threshold and energies


@pytest.fixture(scope="module")
def threshold():
    return ri.threshold("one-rsb")


def test_threshold_double(threshold):
    r = threshold
    assert r.error <= 1e-10
    assert abs(r.alpha - ALPHA_1RSB) <= 5e-11 + r.error         # literature value (docs/theory.md §5) has 10 decimals
    for k, v in AT_THRESHOLD.items():
        assert r.diagnostics[k] == pytest.approx(v, abs=2e-6)
    assert r.diagnostics["estimator_gap"] <= 1e-10             # root of fstar - 1 vs root of estar - 1
    assert r.diagnostics["alpha_fstar_route"] == pytest.approx(r.alpha, abs=1e-10)


@pytest.mark.slow   # 18 s; test_energy_mpmath_agrees_with_double covers the mpmath route in the default suite
def test_threshold_mpmath_30_vs_40_digits(threshold):
    r30 = ri.threshold("one-rsb", digits=30)
    r40 = ri.threshold("one-rsb", digits=40)
    assert r30.error < 1e-28 and r40.error < 1e-38
    assert abs(r30.alpha - r40.alpha) < mpmath.mpf(10) ** -29
    assert r40.alpha_str.startswith(r30.alpha_str[:21])            # >= 20 digits shared
    assert r30.diagnostics["estimator_gap"] < 1e-28
    assert abs(threshold.alpha - float(r40.alpha)) <= threshold.error


@pytest.mark.parametrize("alpha", [4.0, 6.0, 8.0, 10.0])
def test_estimators_agree(alpha):
    r = ri.energy("one-rsb", alpha)
    d = r.diagnostics
    assert abs(d["fstar"] - d["estar"]) <= 1e-10
    assert r.error <= 1e-12
    assert 0 < d["q0"] < 1 and d["chi"] > 0 and d["c"] > 0
    if alpha == 6.0:
        assert r.energy == pytest.approx(E_6, abs=1e-8)
        for k, v in AT_6.items():
            assert d[k] == pytest.approx(v, abs=2e-6)


def test_1rsb_energy_is_above_rs_energy():
    """e*_1RSB > e*_RS on [3, 10]: RS (Gordon) is the lower bound on the ground-state energy (docs/theory.md §2.3),
    which is why alpha_1RSB < alpha_RS.  (The issue text states the inequality the other way round.)"""
    for alpha in np.linspace(3, 10, 8):
        e1 = ri.energy("one-rsb", alpha).energy
        e0 = ri.energy("rs", alpha).energy
        assert e1 > e0 + 1e-3


@pytest.mark.parametrize("alpha", [2.05, 3.0, 12.0])
def test_energies_finite_at_the_ends_of_the_range(alpha):
    r = ri.energy("one-rsb", alpha)
    d = r.diagnostics
    assert all(np.isfinite([r.energy, r.error, d["q0"], d["chi"], d["c"]]))
    assert abs(d["fstar"] - d["estar"]) <= 1e-10 * max(1, r.energy)
    assert 0 < r.energy < alpha / 2                            # below the beta = 0 value alpha/2


def test_energy_is_increasing_and_zero_in_sat_phase():
    assert ri.energy("one-rsb", 2.0).energy == 0.0
    assert ri.energy("one-rsb", 1.5, digits=20).energy == 0
    es = [ri.energy("one-rsb", a).energy for a in (2.2, 2.6, 3.5, 5.0)]
    assert all(x < y for x, y in zip(es, es[1:]))


def test_energy_mpmath_agrees_with_double():
    rd = ri.energy("one-rsb", 6.0)
    rm = ri.energy("one-rsb", 6.0, digits=20)
    assert isinstance(rm.energy, mpmath.mpf) and rm.error < 1e-18
    assert abs(rd.energy - float(rm.energy)) <= rd.error


# ------------------------------------------------------------------------------------------------------------
# Bad input and non-convergence


@pytest.mark.parametrize("alpha,exc", [("6", TypeError), (None, TypeError), (True, TypeError),
                                       (float("nan"), ValueError), (float("inf"), ValueError), (-1.0, ValueError)])
def test_bad_alpha(alpha, exc):
    with pytest.raises(exc, match="alpha"):
        ri.energy("one-rsb", alpha)


@pytest.mark.parametrize("digits,exc", [(5, ValueError), (2.5, TypeError), ("30", TypeError)])
def test_bad_digits(digits, exc):
    with pytest.raises(exc, match="digits"):
        ri.threshold("one-rsb", digits=digits)


def test_unknown_parameter():
    with pytest.raises(TypeError, match="tolerance"):
        ri.threshold("one-rsb", tolerance=1e-3)


def test_close_to_the_sat_boundary_by_continuation():
    """alpha slightly above 2 (generated rs_sat_alpha): the stationary point is continued from alpha_sat + 1e-3;
    on the way to the boundary c grows without bound and e* -> 0, above the RS energy (lower bound)."""
    r, far = ri.energy("one-rsb", 2.0003), ri.energy("one-rsb", 2.001)
    d = r.diagnostics
    assert d["continuation_deltas"][0] == o.CONTINUATION_BELOW and d["continuation_deltas"][-1] == pytest.approx(3e-4)
    assert all(np.isfinite([r.energy, r.error, d["q0"], d["chi"], d["c"]])) and r.error < 1e-10
    assert abs(d["fstar"] - d["estar"]) <= 1e-12
    assert 0 < ri.energy("rs", 2.0003).energy < r.energy < far.energy
    assert d["c"] > far.diagnostics["c"] > 100 and 1 - d["q0"] < 1 - far.diagnostics["q0"]


def _mp_average(name, alpha, x):
    """The plain (unscaled) derived kernel ``name`` in mpmath (no underflow at any c), E_xi by mpmath.quad with
    break points where the integrand changes over widths ~ sqrt(1 - q0): around xi = 0 and from
    sqrt(2 chi/q0) to sqrt(2D/q0).  Independent of the double route's SAT-side forms and trapezoid rule."""
    gen = kernels.mp("one_rsb")
    q0, chi, c = x
    b = mpmath.sqrt(1 - q0)
    lo, hi = mpmath.sqrt(2 * chi / q0), mpmath.sqrt(2 * (chi + c * b * b) / q0)
    pts = sorted({-12, 12, *(k * b for k in range(-20, 21, 2)),
                  *(lo - 20 * b + k * (hi - lo + 40 * b) / 40 for k in range(41))})
    f = getattr(gen, f"{name}__avg0")
    avg, err = mpmath.quad(lambda t: f(t, alpha, q0, chi, c) * mpmath.npdf(t), pts, error=True)
    return getattr(gen, name)(alpha, q0, chi, c, avg), err


def test_close_to_the_sat_boundary_against_mpmath():
    """alpha = 2.0001 (c ~ 510: the plain double kernels underflow beyond c ~ 350, the SAT-side forms of
    derive/one_rsb.py do not): at the double solution, mpmath (20 digits, the plain closed forms, adaptive
    quadrature) gives the potential = e* within the error bar and the estimator estar as the double route."""
    a = 2.0001
    r = ri.energy("one-rsb", a)
    d = r.diagnostics
    assert d["c"] > 400 and r.error < 1e-15 and d["continuation_deltas"][-1] == pytest.approx(1e-4)
    with mpmath.workdps(20):
        x = [mpmath.mpf(d[k]) for k in ("q0", "chi", "c")]
        fstar, err_f = _mp_average("one_rsb_potential", mpmath.mpf(a), x)
        estar, err_e = _mp_average("one_rsb_estar", mpmath.mpf(a), x)
    assert err_f < 1e-20 and err_e < 1e-20
    assert abs(float(fstar) - r.energy) <= r.error
    assert abs(float(estar) - d["estar"]) <= 1e-12 * r.energy
    assert 0 < ri.energy("rs", a).energy < r.energy          # RS is a lower bound (docs/theory.md §2.3)


def test_sat_side_refusals():
    with pytest.raises(ValueError, match=r"or >= 2\.00001"):
        ri.energy("one-rsb", 2.000001)
    for a in (2.0, 1.5, 2.002):
        with pytest.raises(ValueError, match=r"alpha must lie in \(2\.0, 2\.001\)"):
            o.solve_near_sat(a)
    with pytest.raises(ValueError, match="digits must be an integer from 15 to 60"):
        ri.threshold("one-rsb", digits=1000)


def test_non_convergence_carries_diagnostics():
    eq = o.Equations()
    with pytest.raises(ConvergenceError, match="did not converge") as info:
        o.newton(lambda x: eq.grad(6.0, x), lambda x: eq.hessian(6.0, x)[:, :3], [0.7, 0.1, 3.0], what="test",
                 maxiter=1)
    assert len(info.value.diagnostics["residuals"]) == 2
