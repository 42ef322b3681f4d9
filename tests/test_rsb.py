"""r-step RSB with optimised breakpoints (numerics/methods/rsb, docs/ladder.md): r = 1 is 1-RSB, the ladder is
monotone, the optimum is stationary (envelope gradient, estar = functional), and the extrapolation recovers a
known limit from synthetic rungs."""
import numpy as np
import pytest

import relu_injectivity as ri
from relu_injectivity.methods import rsb
from relu_injectivity.methods.rsb import limit as ex
from relu_injectivity.methods.rsb import rung


@pytest.fixture(scope="module")
def t1():
    return ri.threshold("rsb", steps=1)


@pytest.fixture(scope="module")
def energies6():
    return rsb.ladder(3, alpha=6.0, extrapolation=False, solver_tol=1e-9)   # FFT throughout (docs/ladder.md)


def test_one_step_is_one_rsb(t1):
    ref = ri.threshold("one-rsb")
    assert abs(float(t1.alpha) - float(ref.alpha)) <= max(1e-9, t1.error + ref.error)
    assert t1.error < 1e-9
    assert t1.diagnostics["breakpoints"][0] == pytest.approx(3.28666, abs=1e-4)   # the 1-RSB c (docs §5)


def test_two_step_threshold_within_its_bar(t1):
    t2 = ri.threshold("rsb", steps=2)
    assert t2.error <= 1e-7
    assert float(t2.alpha) < float(t1.alpha) - 1e-3          # strictly below 1-RSB
    assert float(t2.alpha) == pytest.approx(6.7004, abs=2e-4)  # loose reference (docs/theory.md §4.11)
    assert abs(t2.diagnostics["estar_minus_functional"]) <= 1e-9


def test_energy_ladder_monotone_and_stationary(energies6):
    e = energies6.values
    assert np.all(np.diff(e) > 0)                             # e_1 < e_2 < e_3 (supremum over more parameters)
    assert e[0] == pytest.approx(ri.energy("one-rsb", 6.0).energy, abs=1e-9)
    for row in energies6.rows:
        assert abs(row["estar_minus_functional"]) <= 1e-8      # dilation identity at the optimum (solver_tol 1e-9)
        assert row["gain"] <= 1e-12
    assert energies6.rows[2]["breakpoints"] == pytest.approx([2.665, 4.068, 7.711], rel=2e-3)


def test_optimum_is_stationary_under_the_envelope_gradient(energies6):
    opt_row = energies6.rows[1]
    ev = rung.Evaluator(tol=1e-9)
    p = ev(6.0, opt_row["breakpoints"], {"q": opt_row["q"], "chi": opt_row["chi"]})
    assert p.gradient_source == "envelope"
    assert np.max(np.abs(p.grad_x)) < 1e-6
    # off the optimum the gradient points uphill: a small step along it raises the functional
    x = np.array(opt_row["breakpoints"]) * np.array([1.05, 0.95])
    q = ev(6.0, x, p.init())
    d = 1e-2 * q.grad_x / np.max(np.abs(q.grad_x))
    assert ev(6.0, x + d, q.init()).e > q.e
    assert q.e < p.e


def test_extrapolation_recovers_a_known_limit():
    r = np.arange(1, 13)
    truth = 6.6979
    a = truth + 0.017 * r ** -2.6 * (1 + 0.3 / r)
    err = np.full(r.shape, 1e-10)
    res = ex.extrapolate(r, a, err)
    assert abs(res.limit - truth) <= res.error
    assert res.error < 1e-4
    assert any(f.left_out is not None for f in res.fits)
    pure = ex.fit("power", r, truth + 0.02 * r ** -3.0, err)
    assert pure.limit == pytest.approx(truth, abs=1e-12) and pure.params[2] == pytest.approx(3.0, abs=1e-8)


def test_extrapolation_rejects_bad_input():
    with pytest.raises(ValueError):
        ex.extrapolate([1, 2, 3], [1, 2, 3], [1e-9] * 3)
    with pytest.raises(ValueError):
        ex.extrapolate([1, 2, 3, 4], [1, 2, 3, 4], [1e-9, 0, 1e-9, 1e-9])


def test_bad_input():
    with pytest.raises(ValueError):
        ri.threshold("rsb", steps=0)
    with pytest.raises(TypeError):
        ri.threshold("rsb", steps=1.5)
    with pytest.raises(ValueError):
        ri.energy("rsb", 6.0, gradient="magic")


def test_frsb_converged_flag_is_checked():
    import pytest
    import relu_injectivity as ri

    with pytest.raises(TypeError, match="converged must be True or False"):
        ri.threshold("frsb", converged="yes")
