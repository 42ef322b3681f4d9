"""RS (docs/theory.md §2.2-2.3): derivations, threshold to 30+ digits by two routes, energies."""
import mpmath
import numpy as np
import pytest
import sympy as sp

import relu_injectivity as ri
from relu_injectivity.derive import rs as drs
from relu_injectivity.machinery import kernels

ALPHA_RS_LITERATURE = "7.6476949354352798169"   # docs/theory.md §2.3 (20 decimals)


def _hand_rs(dps):
    """(alpha_RS, chi) from the closed forms of docs/theory.md typed by hand, by mpmath.findroot at ``dps`` digits:
    (RS-chi) alpha (erf(sqrt chi)/2 - sqrt(chi/pi) e^-chi) = 1 and (RS-e) alpha erfc(sqrt chi)/2 = 1 (alpha
    eliminated: erfc(sqrt chi) = erf(sqrt chi) - 2 sqrt(chi/pi) e^-chi).  Independent of derive/ and generated/."""
    with mpmath.workdps(dps):
        f = lambda c: mpmath.erfc(mpmath.sqrt(c)) - mpmath.erf(mpmath.sqrt(c)) + 2 * mpmath.sqrt(c / mpmath.pi) \
            * mpmath.exp(-c)  # noqa: E731
        c = mpmath.findroot(f, mpmath.mpf("0.6"))
        return 2 / mpmath.erfc(mpmath.sqrt(c)), c


def _hand_energy(alpha, dps=30):
    """e*_RS(alpha) = alpha erfc(sqrt chi)/2 at the root chi of the hand-typed (RS-chi), mpmath.findroot."""
    with mpmath.workdps(dps):
        a = mpmath.mpf(alpha)
        c = mpmath.findroot(lambda c: a * (mpmath.erf(mpmath.sqrt(c)) / 2 - mpmath.sqrt(c / mpmath.pi)
                                           * mpmath.exp(-c)) - 1, (mpmath.mpf("1e-20"), mpmath.mpf(5)), solver="anderson")
        return a * mpmath.erfc(mpmath.sqrt(c)) / 2, c


def test_derived_stationarity_matches_closed_form():
    """(RS-chi) of docs/theory.md is what SymPy derives from the functional (checked symbolically)."""
    z = drs.zero_temperature()
    a, c = drs.alpha, drs.chi
    hand = a * (sp.erf(sp.sqrt(c)) / 2 - sp.sqrt(c / sp.pi) * sp.exp(-c)) - 1
    assert sp.simplify((-z["stationarity"] - hand).rewrite(sp.erf)) == 0


def test_functional_value_equals_active_fraction_at_saddle():
    """At the saddle the value of the functional equals alpha H(sqrt(2 chi)) (RS-e), symbolically."""
    z = drs.zero_temperature()
    diff = (z["functional"] - z["estar"]).subs(drs.alpha, z["alpha_of_chi"])
    assert sp.simplify(diff.rewrite(sp.erf)) == 0


def test_moreau_envelope_is_the_minimum():
    pieces, (jump, _) = drs.moreau_envelope(drs.w, sp.Rational(3, 10))
    g = sp.Piecewise(*[(e, (drs.w >= lo) & (drs.w < hi)) for e, lo, hi in pieces])
    for wv in np.linspace(-2, 2, 41):
        vs = np.linspace(-4, 4, 80001)
        brute = -np.min((vs - wv) ** 2 / (2 * 0.3) + (vs > 0))
        assert float(g.subs(drs.w, wv)) == pytest.approx(brute, abs=1e-6)


def test_threshold_50_digits_two_routes():
    r = ri.threshold("rs", digits=50)
    d = r.diagnostics
    assert abs(d["route_reduced"] - d["route_system"]) < mpmath.mpf(10) ** -45
    assert r.alpha_str.startswith(ALPHA_RS_LITERATURE)
    ref, _ = _hand_rs(70)
    assert abs(r.alpha - ref) <= r.error + mpmath.mpf(10) ** -60
    assert len(r.alpha_str.replace(".", "")) == 50 and r.error < 1e-48


def test_threshold_double_within_error_of_mpmath():
    r = ri.threshold("rs")
    ref = ri.threshold("rs", digits=30).alpha
    assert abs(r.alpha - float(ref)) <= r.error
    assert r.error < 1e-13


def test_energy_at_six_against_hand_closed_form():
    r = ri.energy("rs", 6)
    e, c = _hand_energy(6)
    assert abs(r.energy - float(e)) <= r.error + 1e-16
    assert r.diagnostics["chi"] == pytest.approx(float(c), rel=1e-13)
    rm = ri.energy("rs", 6, digits=30)
    assert abs(r.energy - float(rm.energy)) <= r.error + 1e-16
    assert abs(rm.energy - e) <= rm.error + mpmath.mpf(10) ** -29


def test_energy_range_and_bad_alpha():
    """Large alpha: an honest finite value (checked against the hand closed form in mpmath); beyond ALPHA_MAX a
    clear ValueError, never a NaN error bar."""
    from relu_injectivity.methods import rs

    r = ri.energy("rs", rs.ALPHA_MAX)
    e, _ = _hand_energy(rs.ALPHA_MAX, dps=60)
    assert np.isfinite(r.error) and abs(r.energy - float(e)) <= r.error
    with pytest.raises(ValueError, match="alpha must be <="):
        ri.energy("rs", 1e308)
    with pytest.raises(ValueError, match="from 15 to"):
        ri.threshold("rs", digits=rs.DIGITS[1] + 1)


def test_energy_slope_matches_envelope_theorem():
    """de*/dalpha by finite differences of the solved energy = partial d(functional)/d(alpha) at the saddle."""
    a, h = 6.0, 1e-4
    with mpmath.workdps(40):
        e = [ri.energy("rs", a + s * h, digits=30).energy for s in (-1, 1)]
        fd = (e[1] - e[0]) / (2 * h)
    chi = ri.energy("rs", a).diagnostics["chi"]
    slope = kernels.numba("rs").rs_denergy_dalpha(a, chi)
    assert float(fd) == pytest.approx(slope, abs=1e-8)


def test_energy_sat_phase_and_monotone():
    assert ri.energy("rs", 1.5).energy == 0
    assert kernels.numba("rs").rs_sat_alpha() == 2 == ri.energy("rs", 2).energy + 2     # lim of (RS-chi): 2
    es = [ri.energy("rs", a).energy for a in (2.01, 3, 5, 8, 12)]
    assert all(np.diff(es) > 0)
