"""dAT line and alpha_dAT (docs/theory.md §2.1, §2.4)."""
import numpy as np
import pytest

import relu_injectivity as ri
from relu_injectivity.machinery import kernels


def _math_md_rs_q(a, b, q):
    """docs/theory.md (RS-q), typed by hand as the check: q r - alpha c E[xi (-phi(xi r)) / (1 - c H(xi r))]."""
    from scipy.special import erfc
    r, c = np.sqrt(q / (1 - q)), 1 - np.exp(-b)
    x = np.linspace(-12, 12, 4001)
    wts = np.exp(-x**2 / 2) / np.sqrt(2 * np.pi) * (x[1] - x[0])
    phi = np.exp(-(x * r)**2 / 2) / np.sqrt(2 * np.pi)
    return q * r - a * c * np.sum(wts * x * (-phi) / (1 - c * erfc(x * r / np.sqrt(2)) / 2))


@pytest.mark.parametrize("a,b", [(5.0, 2.1), (5.3237669, 3.0208637), (7.0, 1.0)])
def test_derived_q_equation_has_the_roots_of_math_md_form(a, b):
    from relu_injectivity.methods.dat import _RS
    from relu_injectivity.machinery.quadrature import default_rule
    q = _RS(default_rule()).q(a, b)
    assert 0 < q < 1
    assert abs(_math_md_rs_q(a, b, q)) < 1e-10
    assert abs(_math_md_rs_q(a, b, 0.9 * q)) > 1e-3


def test_energy_is_minus_dphi_dbeta_math_md_form():
    """-dPhi/dbeta (SymPy) equals docs/theory.md's alpha E[e^-beta H(xi r)/(1 - c H(xi r))]."""
    from scipy.special import erfc
    a, b, q = 5.0, 2.0, 0.6
    r, c = np.sqrt(q / (1 - q)), 1 - np.exp(-b)
    x = np.linspace(-12, 12, 4001)
    wts = np.exp(-x**2 / 2) / np.sqrt(2 * np.pi) * (x[1] - x[0])
    Hx = erfc(x * r / np.sqrt(2)) / 2
    hand = a * np.sum(wts * np.exp(-b) * Hx / (1 - c * Hx))
    assert kernels.averaged("rs", "rs_energy_beta")(a, b, q) == pytest.approx(hand, rel=1e-12)


AUTHORS_ALPHA_DAT = 5.323766896446882
"""The authors' code (docs/theory.md §2.4): Brent with xtol = 1e-7, so good to ~1e-7."""
REGRESSION = {"alpha": 5.3237669040, "beta_star": 3.0208637, "q": 0.7193569}
"""Regression snapshot: values this package printed (docs/theory.md §2.4 quotes them), NOT an independent source;
they guard against unnoticed changes, the independent checks are the literature value above and the hand forms."""


def test_alpha_dat_double_and_mpmath():
    r = ri.threshold("dat")
    assert abs(r.alpha - AUTHORS_ALPHA_DAT) < 2e-7
    assert r.alpha == pytest.approx(REGRESSION["alpha"], abs=2e-10)
    assert r.error < 1e-11
    assert r.diagnostics["beta_star"] < r.diagnostics["beta_max"]
    assert r.diagnostics["beta_star"] == pytest.approx(REGRESSION["beta_star"], abs=1e-6)
    assert r.diagnostics["q"] == pytest.approx(REGRESSION["q"], abs=1e-6)
    assert abs(_math_md_rs_q(r.alpha, r.diagnostics["beta_star"], r.diagnostics["q"])) < 1e-10
    m = ri.threshold("dat", digits=20)
    assert abs(r.alpha - float(m.alpha)) <= r.error
    assert m.error < 1e-18
    with pytest.raises(ValueError, match="digits must be an integer from 15 to 60"):
        ri.threshold("dat", digits=1000)


def test_rs_is_stable_below_and_unstable_above_dat_line():
    """AT > 0 (stable) at alpha < alpha_dAT and < 0 above, both at beta*(alpha)."""
    from relu_injectivity.methods.dat import _RS
    from relu_injectivity.machinery.quadrature import default_rule
    s = _RS(default_rule())
    assert s.at(4.5) > 0 > s.at(6.0)
