"""Euler-characteristic surrogate (docs/theory.md §6): exact q_{m,n}, the rate, alpha_Euler, the CLI."""
import json
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

from relu_injectivity.derive import euler as de
from relu_injectivity.methods import registry as api
from relu_injectivity.methods import euler
from relu_injectivity.interfaces.cli.main import main
from relu_injectivity.machinery.kernels import mp, numba

# docs/theory.md §6.2 test vectors (exact, or as decimals where only those are given)
VECTORS = {(3, 2): Fraction(3, 2), (4, 2): Fraction(3, 2), (5, 2): Fraction(5, 4), (8, 2): Fraction(7, 16),
           (4, 3): Fraction(5, 8), (6, 3): Fraction(13, 8), (8, 3): Fraction(289, 128), (10, 4): Fraction(105, 64),
           (20, 4): Fraction(62985, 65536), (10, 5): Fraction(-61, 128), (12, 5): Fraction(-1039, 512),
           (30, 5): Fraction(229466591, 536870912), (40, 8): Fraction(75740860767, 4294967296),
           (7, 4): Fraction(0), (8, 4): Fraction(0)}
DECIMALS = {(60, 10): 9.224361917191712, (80, 10): 7.657418017221932e-3}
TABLE = [(m, n) for n in range(1, 8) for m in range(n, n + 9)] + [(21, 6), (33, 9), (48, 11), (60, 10)]


def _reference(expr, mm, nn):
    return Fraction(str(de.exact_value(expr, {de.m: mm, de.n: nn})))


def test_triple_sum_face_sum_and_fast_route_agree_on_a_table():
    triple, face = de.triple_sum(), de.face_sum()
    for mm, nn in TABLE:
        ref = _reference(triple, mm, nn)
        assert _reference(face, mm, nn) == ref, (mm, nn)
        assert euler.euler_characteristic(mm, nn) == ref, (mm, nn)


def test_math_md_vectors():
    for (mm, nn), q in VECTORS.items():
        assert euler.euler_characteristic(mm, nn) == q, (mm, nn)
        assert _reference(de.triple_sum(), mm, nn) == q, (mm, nn)
    for (mm, nn), x in DECIMALS.items():
        assert float(euler.euler_characteristic(mm, nn)) == pytest.approx(x, rel=1e-15)
        assert euler.finite_n_rate(euler.euler_characteristic(mm, nn), nn) == pytest.approx(math.log(x) / nn, rel=1e-14)
    for nn in range(1, 12):
        assert euler.euler_characteristic(nn, nn) == 1
    for mm in range(1, 12):
        assert euler.euler_characteristic(mm, 1) == Fraction(2, 2**mm)


def test_generating_function_coefficient():
    """q = 2^{1-m} [z^{n-1} w^{n-1}] F^m G, expanded by SymPy (a third, independent form of §6.2)."""
    F, G, pref = de.generating_function()
    z, w = de.z, de.w
    for mm, nn in [(4, 3), (10, 5), (12, 5), (9, 4)]:
        N = nn - 1
        Gt = sp.series(sp.series(G, z, 0, N + 1).removeO(), w, 0, N + 1).removeO()
        coeff = sp.Poly(sp.expand(F**mm * Gt), z, w).coeff_monomial(z**N * w**N)
        assert Fraction(str(pref.subs(de.m, mm) * coeff)) == euler.euler_characteristic(mm, nn)


def test_generated_face_term_is_exact_integer_arithmetic():
    g = mp("euler")
    big = 3**200
    val = g.euler_face_term(7, 3, big, big + 1, big + 2)
    assert type(val) is int and val == -(2**3) * big * (big + 1) * (big + 2)
    assert g.euler_face_term(8, 3, 1, 1, 1) == 8 and type(g.euler_face_normalisation(50)) is int


def test_rowline_steps_match_math_comb():
    def S(M, r):
        return sum(math.comb(M, j) for j in range(0, r + 1)) if r >= 0 else 0

    for M0, r0 in [(10, 3), (6, 6), (5, 8), (7, -2), (0, 0), (12, 11)]:
        for dM, dr in [(-1, 0), (-1, -1), (0, 1), (1, 0), (1, 1), (0, -1), (1, -1), (-1, 1)]:
            line = euler.RowLine(M0, r0)
            M, r = M0, r0
            for _ in range(M0 if dM < 0 else 9):
                line.step(dM, dr)
                M, r = M + dM, r + dr
                assert (line.M, line.r, line.c, line.s) == (M, r, math.comb(M, r) if 0 <= r <= M else 0, S(M, r))
    assert euler.row_partial_sum(40, 27) == S(40, 27)


def test_large_exact_value_matches_asymptotics():
    """q_{16000, 2000} exactly (benchmarks/euler.py times it) against n rate - log n + c0 at alpha = 8: the
    remainder is O(1/n), n x remainder the same at n = 1000 and 2000."""
    q = euler.euler_characteristic(16000, 2000)
    assert isinstance(q, Fraction) and (2**15999) % q.denominator == 0
    r = euler.euler_rate(8.0)
    c0 = r.diagnostics["log_prefactor_c0"]
    scaled = [nn * (euler.log_abs(qq) - (nn * r.energy - math.log(nn) + c0))
              for nn, qq in ((2000, q), (1000, euler.euler_characteristic(8000, 1000)))]
    assert abs(scaled[0]) < 10 and scaled[0] == pytest.approx(scaled[1], rel=1e-2)


def _fit(alpha: Fraction, ns):
    """Least-squares fit of log q + log n = n rate + c0 + c1/n + c2/n^2 over exact q_{floor(alpha n), n}."""
    ys = [euler.log_abs(euler.euler_characteristic(alpha.numerator * nn // alpha.denominator, nn)) + math.log(nn)
          for nn in ns]
    x = np.array(ns, dtype=float)
    A = np.vstack([x, np.ones_like(x), 1 / x, 1 / x**2]).T
    return np.linalg.lstsq(A, np.array(ys), rcond=None)[0]


def test_finite_n_rate_and_its_zero_crossing_confirm_alpha_euler():
    """Independent check of §6.3 from exact values: fitted rates (n = 200..1200, alpha n integer so that
    floor(alpha n) = alpha n) match rate(alpha) and c0, and cross zero within 1e-3 of alpha_Euler."""
    ns = list(range(200, 1201, 100))
    alphas = [Fraction(83, 10), Fraction(167, 20), Fraction(42, 5)]
    fitted = []
    for a in alphas:
        r_fit, c0_fit, _, _ = _fit(a, ns)
        r = euler.euler_rate(float(a))
        assert r_fit == pytest.approx(float(r.energy), abs=1e-7)
        assert c0_fit == pytest.approx(r.diagnostics["log_prefactor_c0"], abs=1e-3)
        fitted.append(r_fit)
    assert fitted[0] > 0 > fitted[2]
    # zero of the quadratic through the three fitted rates
    xs = [float(a) for a in alphas]
    cross = float(mpmath.findroot(lambda s: mpmath.polyval(np.polyfit(xs, fitted, 2).tolist(), s), xs[1]))
    alpha_euler = euler.threshold().alpha
    assert abs(cross - alpha_euler) < 1e-3
    assert abs(cross - alpha_euler) < 1e-6         # what the fit actually achieves (~1e-8)


def test_threshold_digits_and_literature_value():
    d = euler.threshold()
    h = euler.threshold(digits=30)
    assert h.error < 1e-25 and d.error < 1e-13
    assert abs(mpmath.mpf(d.alpha) - h.alpha) <= d.error + h.error
    assert abs(h.alpha - mpmath.mpf("8.3446")) < 5e-5                  # docs/theory.md §5: ~8.3446
    assert h.diagnostics["route_difference"] < mpmath.mpf(10)**-28
    r = euler.euler_rate(h.alpha, digits=30)          # an mpf alpha is kept at full precision
    assert abs(r.energy) < 1e-25 and r.error < 1e-28


def test_rate_closed_form_and_sign_convention():
    alpha_min_exact = 4 + 2 * sp.sqrt(2)
    assert euler.alpha_min() == pytest.approx(float(alpha_min_exact), rel=1e-12)
    assert float(sp.solve(de.saddle()["discriminant"], de.alpha)[-1]) == pytest.approx(euler.alpha_min(), rel=1e-12)
    r8, r10 = euler.euler_rate(8.0), euler.euler_rate(10.0)
    assert r8.energy > 0 > r10.energy
    # the closed-form saddle solves the stationarity equation; the rate is psi there (finite-difference check)
    g = numba("euler")
    t = r10.diagnostics["saddle_t"]
    assert abs(g.euler_stationarity(10.0, t)) < 1e-13
    h = 1e-6
    assert abs(g.euler_psi(10.0, t + h) - g.euler_psi(10.0, t - h)) / (2 * h) < 1e-8
    # envelope theorem: d rate/d alpha = d psi/d alpha at the saddle
    slope = (euler.euler_rate(10.0 + h).energy - euler.euler_rate(10.0 - h).energy) / (2 * h)
    assert slope == pytest.approx(g.euler_psi_dalpha(10.0, t), rel=1e-6)
    # the Laplace prefactor needs a positive-definite Hessian on the physical branch
    for tt in (0.05, 0.2, 0.4):
        assert sp.sympify(de.saddle()["hessian_det"]).subs(de.t, tt) > 0
    # at the merger point both saddles coincide; the double and mpmath rates agree
    assert euler.euler_rate(euler.alpha_min()).diagnostics["saddle_t"] == pytest.approx(math.sqrt(2) - 1, rel=1e-7)
    m30 = euler.euler_rate(9.0, digits=30)
    assert abs(m30.energy - euler.euler_rate(9.0).energy) < 1e-14 and m30.error < 1e-28


@pytest.mark.parametrize("args, exc, text", [
    ((5, 6), ValueError, "m must be >= n"),
    ((-3, 2), ValueError, "m must be >= 1"),
    ((3, 0), ValueError, "n must be >= 1"),
    ((5.0, 2), TypeError, "m must be an integer"),
    ((5, "2"), TypeError, "n must be an integer"),
    ((True, 1), TypeError, "m must be an integer"),
])
def test_bad_input(args, exc, text):
    with pytest.raises(exc, match=text):
        euler.euler_characteristic(*args)


def test_budget():
    with pytest.raises(ValueError, match="budget_s"):
        euler.euler_characteristic(10**6, 10**5)                       # default budget: 60 s
    with pytest.raises(ValueError, match="budget_s=0.001"):
        euler.euler_characteristic(16000, 2000, budget_s=0.001)
    with pytest.raises(ValueError, match="budget_s must be > 0"):
        euler.euler_characteristic(10, 5, budget_s=-1)
    assert euler.euler_characteristic(10, 5, budget_s=None) == Fraction(-61, 128)
    assert euler.estimated_seconds(20000, 2000) > euler.estimated_seconds(2000, 200)


def test_rate_bad_input():
    with pytest.raises(ValueError, match=r"4 \+ 2 sqrt 2"):
        euler.euler_rate(6.5)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        euler.euler_rate(-1)
    with pytest.raises(ValueError, match="digits"):
        euler.euler_rate(9.0, digits=3)
    with pytest.raises(ValueError, match=f"from 15 to {euler.DIGITS[1]}"):
        euler.euler_rate(9.0, digits=euler.DIGITS[1] + 1)
    with pytest.raises(TypeError):
        api.threshold("euler", alpha=3)


def test_cli_euler_q(capsys):
    assert main(["euler-q", "10", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"m": 10, "n": 5, "q": "-61/128"}
    assert main(["euler-q", "5", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["q"] == "1"
    assert main(["euler-q", "6000", "700", "--json"]) == 0           # > 4300 decimal digits: no str() limit
    out = json.loads(capsys.readouterr().out)
    assert Fraction(out["q"]) == euler.euler_characteristic(6000, 700)
    assert main(["euler-q", "60", "10"]) == 0
    assert "9.22436191719171" in capsys.readouterr().out
    for bad, text in [(["4", "5"], "m must be >= n"), (["2.5", "2"], "m must be an integer"),
                      (["-3", "2"], "m must be >= 1"), (["100000", "50000", "--budget-s", "1"], "budget_s")]:
        assert main(["euler-q", *bad]) == 2
        assert text in capsys.readouterr().err


def _hand_rate(alpha):
    """rate(alpha) typed by hand from docs/theory.md §6.3: psi(t) = alpha log((1 + 2t - t^2)/2) - 2 log t on the
    symmetric line, at its smaller stationary point (mpmath.findroot on mpmath.diff, no generated kernel)."""
    psi = lambda t: alpha * mpmath.log((1 + 2 * t - t * t) / 2) - 2 * mpmath.log(t)  # noqa: E731
    bracket = (mpmath.mpf("0.001"), mpmath.mpf("0.41"))      # the smaller root lies below sqrt 2 - 1 = 0.414...
    return psi(mpmath.findroot(lambda t: mpmath.diff(psi, t), bracket, solver="anderson"))


def test_cli_threshold_and_rate(capsys):
    assert main(["threshold", "euler", "--digits", "20", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    with mpmath.workdps(40):
        ref = mpmath.re(mpmath.findroot(_hand_rate, mpmath.mpf("8.34")))
        rate9 = mpmath.re(_hand_rate(mpmath.mpf(9)))
        assert out["error"] < 1e-18 and abs(mpmath.mpf(out["alpha"]) - ref) <= out["error"] + mpmath.mpf(10) ** -30
    assert main(["euler-rate", "--alpha", "9", "--json"]) == 0
    assert float(json.loads(capsys.readouterr().out)["energy"]) == pytest.approx(float(rate9), rel=1e-13)
    assert main(["euler-rate", "--alpha", "5"]) == 2
