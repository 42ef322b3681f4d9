"""Elementary bounds (docs/theory.md §7): union, Cover/Wendel, Gordon-Chernoff; and the ordering of all thresholds."""
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

from relu_injectivity.derive import bounds as db
from relu_injectivity import METHODS
from relu_injectivity.methods import registry as api
from relu_injectivity.methods import cover
from relu_injectivity.methods import gordon
from relu_injectivity.methods import union
from relu_injectivity.machinery.kernels import numba

X = sp.Symbol("X", positive=True)


def test_stirling_remainder_is_sublinear():
    assert sp.limit((sp.loggamma(X + 1) - db.stirling(X)) / X, X, sp.oo) == 0


def test_derived_exponents_have_the_entropy_forms_of_math_md():
    a, h = db.alpha, db.entropy
    un, co = db.union(), db.cover()
    assert sp.simplify(sp.expand_log(un["rate_alpha"] - (2 * a * h(1 / a) - a * sp.log(2)), force=True)) == 0
    cover_form = co["rate_alpha"] - (a - 1) * (h(1 / (a - 1)) - sp.log(2))   # SymPy does not simplify this one
    assert all(abs(cover_form.subs(a, av).evalf(50)) < 1e-45 for av in (sp.Rational(5, 2), 3, sp.Rational(37, 10), 20))
    assert sp.simplify(un["ratio_alpha"] - 1 / (a - 1)) == 0 and sp.simplify(co["ratio_alpha"] - 1 / (a - 2)) == 0
    # the p-forms are the alpha-forms re-parametrised (numerically, at a few points)
    for pv in (0.1, 0.3, 0.45):
        assert float(un["rate"].subs(db.p, pv)) == pytest.approx(float(un["rate_alpha"].subs(a, 1 / pv)), rel=1e-12)
        assert float(co["rate"].subs(db.p, pv)) == pytest.approx(float(co["rate_alpha"].subs(a, 1 + 1 / pv)),
                                                                 rel=1e-12)


def _log_union_bound(m, n):
    S = lambda M, r: sum(math.comb(M, j) for j in range(r + 1))  # noqa: E731
    return math.log(S(m, n - 1)) + math.log(S(m - 1, n - 1)) - (m - 1) * math.log(2)


def test_union_exponent_against_exact_finite_n_bound():
    """(1/n) log of the exact bound -> the derived exponent, with an O(log n / n) remainder."""
    g = numba("bounds")
    for alpha in (6, 10):
        rate = float(g.bounds_union_rate(1 / alpha))
        gaps = [abs(_log_union_bound(alpha * n, n) / n - rate) for n in (500, 2000)]
        assert gaps[1] < 3 * math.log(2000) / 2000 and gaps[1] < gaps[0] / 2
    # the exact bound (SymPy definition, term by term) equals the k = 0 face term it comes from
    ub = db.union_bound(db.m_, db.n_)
    val = ub.subs({db.m_: 12, db.n_: 4}).doit()
    assert math.log(val) == pytest.approx(_log_union_bound(12, 4), rel=1e-14)


def test_union_threshold():
    d, h = union.threshold(), union.threshold(digits=30)
    assert d.error < 1e-13 and h.error < 1e-25
    assert abs(mpmath.mpf(d.alpha) - h.alpha) <= d.error + h.error
    assert abs(h.alpha - mpmath.mpf("9.0886")) < 5e-5                 # docs/theory.md §5: ~9.0886
    with mpmath.workdps(40):                                          # binary entropy of 1/alpha = half a bit
        x = 1 / h.alpha
        assert abs(-x * mpmath.log(x) - (1 - x) * mpmath.log(1 - x) - mpmath.log(2) / 2) < 1e-28
    assert h.diagnostics["route_difference"] < 1e-28 and d.diagnostics["domination_ratio"] < 1


def test_cover_threshold_and_wendel_finite_n():
    d, h = cover.threshold(), cover.threshold(digits=30)
    assert abs(d.alpha - 3) <= d.error < 1e-13 and abs(h.alpha - 3) <= h.error < 1e-25
    assert abs(h.diagnostics["exponent_at_root"]) < 1e-28           # the Wendel exponent vanishes there
    # exact finite n: W(m-n+1, n) = 1/2 at m = 3n - 1, so the crossing alpha_n = 3 - 1/n -> 3
    W = db.wendel(db.kk, db.n_)
    for nv in range(1, 13):
        w = lambda mv: Fraction(str(W.subs({db.kk: mv - nv + 1, db.n_: nv}).doit()))  # noqa: E731
        assert w(3 * nv - 1) == Fraction(1, 2)
        assert w(3 * nv) < Fraction(1, 2) < w(3 * nv - 2) or nv == 1


def test_gordon_chernoff_threshold():
    d, h = gordon.threshold(), gordon.threshold(digits=30)
    assert d.error < 1e-12 and h.error < 1e-25
    assert abs(mpmath.mpf(d.alpha) - h.alpha) <= d.error + h.error
    assert abs(h.alpha - mpmath.mpf("23.5396")) < 5e-5               # docs/theory.md §5: ~23.5396
    # brute force, no derivatives: min over a u-grid of g equals alpha/2 - 1 at the threshold
    g = numba("bounds")
    p = 1 / d.alpha
    gmin = min(g.bounds_gordon_objective(p, x) for x in np.linspace(1e-4, 1 - 1e-6, 10001))
    assert gmin == pytest.approx(d.alpha / 2 - 1, abs=1e-6)
    assert 0 < d.diagnostics["u_star"] < 1 and d.diagnostics["d2g_du2"] > 0


def test_ordering_of_all_present_thresholds():
    """cover < (dAT, RSB family) < RS < Euler < union < Gordon-Chernoff (docs/theory.md §7), for the fast methods."""
    chain = [m for m in ("cover", "dat", "rs", "euler", "union", "gordon-chernoff") if m in METHODS]
    assert {"cover", "rs", "euler", "union", "gordon-chernoff"} <= set(chain)
    values = [float(api.threshold(m).alpha) for m in chain]
    assert values == sorted(values) and len(set(values)) == len(values), dict(zip(chain, values))


def test_registration_and_bad_parameters():
    for m in ("euler", "union", "cover", "gordon-chernoff"):
        assert m in METHODS and api.parameters(m, "threshold") == {"digits": None}
    with pytest.raises(TypeError, match="unknown parameter"):
        api.threshold("union", xtol=1e-3)
    with pytest.raises(ValueError, match="digits"):
        api.threshold("cover", digits=5)
    with pytest.raises(TypeError):
        api.threshold("gordon-chernoff", digits=20.5)


def test_injectivity_all_has_the_new_rows(monkeypatch, capsys):
    import json

    from relu_injectivity.interfaces.cli import main as cli
    from relu_injectivity.methods import registry

    mine = ("cover", "euler", "union", "gordon-chernoff")
    monkeypatch.setattr(registry, "METHODS", {m: METHODS[m] for m in mine})
    if hasattr(cli, "METHODS"):
        monkeypatch.setattr(cli, "METHODS", registry.METHODS)
    assert cli.main(["all", "--json"]) == 0
    rows = {r["method"]: float(r["alpha"]) for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(mine) and rows["cover"] == 3.0
