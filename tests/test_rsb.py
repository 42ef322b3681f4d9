"""r-step RSB with optimised breakpoints (numerics/methods/rsb, docs/ladder.md): r = 1 is 1-RSB, the ladder is
monotone, the optimum is stationary (envelope gradient, estar = functional) and a maximum (reduced Hessian), the
Newton route and the fixed-point route agree, and the extrapolation recovers a known limit from synthetic rungs."""
import numpy as np
import pytest

import relu_injectivity as ri
from relu_injectivity.methods import rsb
from relu_injectivity.methods.rsb import limit as ex
from relu_injectivity.methods.rsb import joint, rung


@pytest.fixture(scope="module")
def t1():
    return ri.threshold("rsb", steps=1)


@pytest.fixture(scope="module")
def energies6():
    return rsb.ladder(3, alpha=6.0, extrapolation=False)


def test_one_step_is_one_rsb(t1):
    ref = ri.threshold("one-rsb")
    assert abs(float(t1.alpha) - float(ref.alpha)) <= max(1e-9, t1.error + ref.error)
    assert t1.error < 1e-9
    assert t1.diagnostics["breakpoints"][0] == pytest.approx(3.28666, abs=1e-4)   # the 1-RSB c (docs §5)


def test_two_step_threshold_within_its_bar_by_both_routes(t1):
    t2 = ri.threshold("rsb", steps=2)
    assert t2.error <= 1e-7
    assert float(t2.alpha) < float(t1.alpha) - 1e-3          # strictly below 1-RSB
    assert float(t2.alpha) == pytest.approx(6.7004, abs=2e-4)  # loose reference (docs/theory.md §4.11)
    assert abs(t2.diagnostics["estar_minus_functional"]) <= 1e-9
    assert max(t2.diagnostics["hessian_eigenvalues"]) < 0    # a maximum over the breakpoints, not a saddle
    fp = ri.threshold("rsb", steps=2, route="fixed-point")
    assert abs(float(fp.alpha) - float(t2.alpha)) <= fp.error + t2.error


def test_three_step_threshold():
    t3 = ri.threshold("rsb", steps=3)
    assert t3.error <= 1e-7
    assert float(t3.alpha) == pytest.approx(6.6987, abs=2e-4)  # loose reference (docs/theory.md §4.11)


def test_energy_ladder_monotone_and_stationary(energies6):
    e = energies6.values
    assert np.all(np.diff(e) > 0)                             # e_1 < e_2 < e_3 (supremum over more parameters)
    assert e[0] == pytest.approx(ri.energy("one-rsb", 6.0).energy, abs=1e-9)
    for row in energies6.rows:
        assert abs(row["estar_minus_functional"]) <= 1e-9      # dilation identity at the optimum
        assert max(row["hessian_eigenvalues"]) < 0
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


def test_fixed_point_route_agrees_at_fixed_alpha(energies6):
    fp = ri.energy("rsb", 6.0, steps=2, route="fixed-point", solver_tol=1e-10)
    nw = energies6.rows[1]
    assert abs(fp.energy - nw["value"]) <= fp.error + nw["error"] + 1e-12
    assert fp.diagnostics["breakpoints"] == pytest.approx(nw["breakpoints"], rel=1e-4)


def test_resampled_guess_is_admissible():
    prev = joint.State(np.array([0.72, 0.9, 0.97, 1.0]), 0.03, np.array([2.5, 3.8, 7.3]), 6.7)
    g = joint.resample(prev, 4)
    assert g.r == 4 and np.all(np.diff(g.x) > 0) and np.all(np.diff(g.q) > 0) and g.q[-1] == 1.0
    with pytest.raises(ValueError, match="increasing q"):
        joint.System(prev).pack(joint.State(np.array([0.9, 0.8, 0.95, 1.0]), 0.03, prev.x, 6.7))


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
    with pytest.raises(ValueError, match="route"):
        ri.energy("rsb", 6.0, route="secant")
    with pytest.raises(ValueError, match="fixed-point. only"):
        ri.energy("rsb", 6.0, gradient="envelope")


def test_frsb_converged_flag_is_checked():
    import pytest
    import relu_injectivity as ri

    with pytest.raises(TypeError, match="converged must be True or False"):
        ri.threshold("frsb", converged="yes")


def test_ladder_command(capsys):
    import json

    from relu_injectivity.interfaces.cli import main as cli

    assert cli.main(["ladder", "--max-steps", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["r"] for r in out["rows"]] == [1, 2] and out["limit"] is None        # a limit needs >= 4 rungs
    assert out["rows"][0]["value"] > out["rows"][1]["value"]
    assert out["rows"][0]["value"] == pytest.approx(float(ri.threshold("one-rsb").alpha), abs=1e-9)
    assert cli.main(["ladder", "--max-steps", "1", "--route", "secant"]) == 2
    assert "route" in capsys.readouterr().err


def test_converged_bar_is_never_tightened_to_the_asked_tol():
    r = np.arange(1, 11)
    a = 6.6979 + 0.017 * r ** -3.4 * (1 + 0.2 / r) + 1e-7 * np.sin(r)        # rungs the models cannot describe
    rows = [{"r": int(k), "value": float(v), "error": 1e-11, "estar_minus_functional": 0.0} for k, v in zip(r, a)]
    lim = ex.extrapolate(r, a, np.full(10, 1e-11))
    lad = rsb.Ladder("threshold", None, rows, lim, 0.0)
    with pytest.warns(UserWarning, match="above the asked tol"):
        got, diag = rsb._converged(lad, 1e-9, 10)
    assert got.error == lim.error > 1e-9 and diag["tol_met"] is False
    assert diag["monotone"] and diag["limit_beyond_every_rung"]
    got, diag = rsb._converged(lad, 1.0, 10)
    assert diag["tol_met"] is True


def test_gpu_code_path_on_numpy(energies6):
    """The rung solver through the GPU backend's array code (NumPy emulation: the CuPy path in CI)."""
    e = ri.energy("rsb", 6.0, steps=2, backend="gpu-emulated")
    assert e.diagnostics["backend"] == "gpu-emulated"
    assert e.energy == pytest.approx(energies6.rows[1]["value"], abs=1e-12)


def test_escape_from_a_saddle_returns_to_the_maximum(energies6):
    """The saddle escape (a step along the direction of positive curvature, ascent, joint Newton) started at the
    r = 2 optimum lands on the same optimum."""
    row = energies6.rows[1]
    s = joint.State(np.array(row["q"]), row["chi"], np.array(row["breakpoints"]), 6.0)
    sysm = joint.System(s, alpha=6.0)
    fake = joint.Saddle("test", {}, sysm.pack(s), np.array([1.0, -1.0]) / np.sqrt(2))
    z = joint._escape(sysm, fake, 6.0, "test")
    assert np.exp(z[3:5]) == pytest.approx(row["breakpoints"], rel=1e-6)
    assert sysm.residual(z) == pytest.approx(np.zeros(5), abs=1e-9)


@pytest.mark.parametrize("alpha", [4.5, 10.0])
def test_two_steps_away_from_the_threshold(alpha):
    """Rung 1 starts from the 1-RSB solution at any alpha; rung 2 lies above it and is a maximum."""
    e2 = ri.energy("rsb", alpha, steps=2)
    e1 = ri.energy("one-rsb", alpha)
    assert e2.energy > e1.energy + 1e-6
    assert max(e2.diagnostics["hessian_eigenvalues"]) < 0 and abs(e2.diagnostics["estar_minus_functional"]) < 1e-9
