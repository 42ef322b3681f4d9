"""k-step FRSB at zero temperature (derive/frsb.py, numerics/frsb/): derivations, solver, estimators, API.

Small k and small grids keep this fast; the big runs (k = 30 .. 200, thresholds) are in benchmarks/frsb.py.
"""
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import relu_injectivity as ri
from relu_injectivity.machinery import backends
from relu_injectivity.machinery import fourier
from relu_injectivity.methods import frsb
from relu_injectivity.methods.frsb import grid as fgrid
from relu_injectivity.methods.frsb.levels import Levels
from relu_injectivity.methods.frsb.recursion import Recursion
from relu_injectivity.machinery.results import ConvergenceError, EnergyResult

ROOT = Path(__file__).resolve().parent.parent
K4 = dict(k=4, xmax=5.0)


@pytest.fixture(scope="module")
def e6_k4():
    return frsb.energy(6.0, **K4, tol=1e-9)


@pytest.fixture(scope="module")
def one6():
    """The 1-RSB solution at alpha = 6 (methods/one_rsb: an independent solver of the k = 1 equations)."""
    return ri.energy("one-rsb", 6.0)


# ------------------------------------------------------------------------------------------- derive/

@pytest.mark.slow   # the suite's test_codegen checks every generated file once; this is the frsb-only shortcut
def test_generated_frsb_is_current():
    r = subprocess.run([sys.executable, "-m", "derive", "--check", "frsb"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_symbolic_checks():
    from relu_injectivity.derive import frsb as d

    assert d.check_last_level() < 1e-40          # closed-form last step vs direct 50-digit quadrature
    assert d.check_entropic_gradient(3) == [1, 2, 3]
    assert d.check_level_loops(3) == [1, 2, 3]  # the level recursions (generated loops) run on symbols
    assert d.check_step_background()
    assert d.breakpoints() == (0, 1)            # kinks of F_k in the rescaled field
    assert d.estar_pieces() == (0, 0, 1)        # -dF_k/dlambda: the indicator of the active piece


def test_gradient_identity_matches_finite_differences():
    """Hand-typed Parisi identity d(-alpha E F_0)/dq_j = (x_j - x_{j-1}) Qhat_j / 2, d/dchi = -Qhat_k/2, plus the
    SymPy entropic gradient, against central differences of the discrete functional (docs/theory.md §4.5 (S_i))."""
    x = np.array([0.5, 1.5, 3.0])
    b = backends.cpu()
    rec = Recursion(b, fgrid.build(22.0, 24), x, 6.0)
    lv = Levels(x)
    q, chi = np.array([0.62, 0.75, 0.9, 1.0]), 0.05

    def e(q, chi):
        return lv.entropic(q, chi) + rec.evaluate(q, chi).energetic

    ev = rec.evaluate(q, chi)
    G = lv.G(q, chi)
    dx = np.diff(x, prepend=0.0)
    grad_q = 0.5 * dx * (ev.Qhat[:-1] - G[:-1])
    grad_chi = 0.5 * (G[-1] - ev.Qhat[-1])
    h = 1e-5
    for j in range(3):
        qp, qm = q.copy(), q.copy()
        qp[j] += h
        qm[j] -= h
        fd = (e(qp, chi) - e(qm, chi)) / (2 * h)
        assert abs(fd - grad_q[j]) < 2e-8 * max(1, abs(fd)), (j, fd, grad_q[j])
    fd = (e(q, chi + 1e-6) - e(q, chi - 1e-6)) / 2e-6
    assert abs(fd - grad_chi) < 1e-7


def test_level_loops_targets_agree_and_fix_a_stationary_point():
    """The generated level loops (derive.codegen.Loop) agree between Numba and mpmath (30 digits), and the update's
    loops leave a stationary point fixed: with Qhat = G(q, chi) the 1/lambda recursion returns lambda = L and q from
    lambda returns q (docs/theory.md §4.5); q from its own increments returns q."""
    import mpmath
    from relu_injectivity.machinery import kernels

    nb, mp = kernels.numba("frsb"), kernels.mp("frsb")
    x = np.array([0.3, 1.1, 2.0, 4.5, 7.0, 9.5, 11.0, 13.0, 16.0])
    q = np.concatenate([np.cumsum([0.55, 0.1, 0.08, 0.06, 0.05, 0.04, 0.03, 0.02, 0.03])[:-1], [1.0]])
    q = np.concatenate([[0.5], q])
    chi, En = 0.04, np.linspace(-0.3, -0.1, len(x) + 1)
    lv = Levels(x)
    L = lv.L(q, chi)
    with mpmath.workdps(30):
        mq, mx, mE = [list(map(mpmath.mpf, a)) for a in (q, x, En)]
        mL = mp.frsb_levels_L(mq, mx, mpmath.mpf(chi))
        first, terms = mp.frsb_levels_entropic_terms(mq, mx, mL)
        ref = {"L": mL, "G": mp.frsb_levels_G(mq, mL), "dx": mp.frsb_levels_dx(mq, mx, mL, mE),
               "entropic": [mp.frsb_entropic(first, mpmath.fsum(terms))]}
    got = {"L": L, "G": lv.G(q, chi), "dx": lv.dx(q, chi, En, 6.0), "entropic": [lv.entropic(q, chi)]}
    for name, r in ref.items():
        assert np.allclose(got[name], [float(v) for v in r], rtol=1e-13, atol=1e-13), name
    lam = lv.lambdas(q[0], lv.G(q, chi))
    assert np.allclose(lam, L, rtol=1e-13, atol=0)
    assert np.allclose(lv.q_from_lambdas(L), q, rtol=0, atol=1e-14)
    assert np.allclose(lv.q_from_increments(lv.dq(q)), q, rtol=0, atol=1e-15)
    assert np.allclose(lv.entropic_dx(q, chi), lv.dx(q, chi, np.zeros(len(x) + 1), 6.0), rtol=0, atol=0)


def test_gregory_weights_and_interpolation():
    assert [str(w) for w in fourier.gregory_end_weights(3)] == ["-5/8", "1/6", "-1/24"]  # 3/8, 7/6, 23/24
    n = 32
    w = fourier.piece_weights(n, 1 / n, 8)
    t = np.linspace(0, 1, n + 1)
    assert abs(w @ t**7 - 1 / 8) < 1e-14
    g = fourier.PeriodicGrid.covering(10, 12, 16)
    f = np.exp(-g.h**2 / 2) * np.cos(g.h)
    pts = np.array([0.1, 0.37, 0.999])
    E = fourier.interpolation_matrix(g, pts)
    assert np.allclose(np.real(E @ np.fft.rfft(f)), np.exp(-pts**2 / 2) * np.cos(pts), atol=1e-13)



def test_refined_samples_and_strided_direct_sum():
    """fourier.refined: the samples at spacing dh/s are the trigonometric interpolant's; fourier.direct_sum: the
    strided sums are the plain double loop (both backends' array modules)."""
    g = fourier.PeriodicGrid.covering(10, 12, 8)
    f = np.exp(-g.h**2 / 2) * np.cos(g.h)
    s, n = 3, 5
    for name in ("cpu", "gpu-emulated"):
        b = backends.get(name)
        fine = b.to_host(fourier.refined(b, b.asarray(f), s))
        pts = g.h[0] + np.arange(g.M * s) * g.dh / s
        exact = np.exp(-pts**2 / 2) * np.cos(pts)
        assert np.allclose(fine[: (g.M - 20) * s], exact[: (g.M - 20) * s], rtol=0, atol=1e-10)
        assert np.array_equal(fine[::s], f)
        W = np.random.default_rng(1).random((2, 2 * n + 1))
        ext = np.random.default_rng(2).random((g.M - 1) * s + 2 * n + 1)
        got = b.to_host(fourier.direct_sum(b, b.asarray(ext), b.asarray(W), s, g.M, chunk=4))
        want = np.array([[sum(W[a, r] * ext[j * s + r] for r in range(2 * n + 1)) for j in range(g.M)]
                         for a in range(2)])
        assert np.allclose(got, want, rtol=1e-14, atol=0)

# ------------------------------------------------------------------------------------- against 1-RSB

def test_k1_at_the_1rsb_optimum_reproduces_1rsb(one6):
    """docs/theory.md §4.10: one level at x_0 = c is the 1-RSB at that c; at the optimal c both estimators agree."""
    d1 = one6.diagnostics
    r = frsb.energy(6.0, k=1, breakpoints=[float(d1["c"])], tol=1e-11)
    d = r.diagnostics
    assert abs(d["q"][0] - float(d1["q0"])) < 1e-10
    assert abs(d["chi"] - float(d1["chi"])) < 1e-10
    assert abs(r.energy - float(d1["estar"])) < 1e-10
    assert abs(d["functional"] - float(d1["fstar"])) < 1e-10
    assert abs(d["estimator_gap"]) < 1e-10
    assert r.error < 1e-9


def test_frsb_functional_dominates_1rsb(one6):
    """The k-step functional is maximised over q: with breakpoints containing the 1-RSB c it is >= fstar_1RSB
    (merging the other levels gives the 1-RSB point), strictly here.  (With the default breakpoints no such order
    is guaranteed: k = 1 at x_0 = 0.01 is close to RS, below 1-RSB; at k = 30 the FRSB value is above.)"""
    one = one6
    c = float(one.diagnostics["c"])
    r = frsb.energy(6.0, k=3, breakpoints=[1.0, c, 6.0], tol=1e-9)
    assert r.diagnostics["functional"] > float(one.diagnostics["fstar"]) + 1e-6
    # estar carries the finite-k gap sum_i x_i de/dx_i, which has no sign: no order for it at these breakpoints
    assert abs(r.energy - r.diagnostics["functional"] - r.diagnostics["estimator_gap"]) < 1e-12


# ------------------------------------------------------------------ large breakpoints: the direct sums

def _mp_k1(alpha, c, q0, chi):
    """estar and the energetic term of one level (x_0 = c) at (q0, chi) by 30-digit quadrature: estar =
    alpha e^{-c} int gamma_{v0} e^{-c F_0} H((1 - h)/s_1) (F_1 = -1 beyond h = 1), with F_0 the closed form."""
    import mpmath
    from relu_injectivity.machinery import kernels

    mp = kernels.mp("frsb")
    with mpmath.workdps(30):
        a, c, q0, chi = map(mpmath.mpf, (alpha, c, q0, chi))
        v0, s1 = q0 / (2 * chi), mpmath.sqrt((1 - q0) / (2 * chi))
        F0 = lambda h: mp.frsb_last_level(h, c, s1)  # noqa: E731
        g0 = lambda h: mpmath.exp(-h**2 / (2 * v0)) / mpmath.sqrt(2 * mpmath.pi * v0)  # noqa: E731
        cuts = [-mpmath.inf, -3, 0, 0.5, 1, 1.5, 3, mpmath.inf]
        est = a * mpmath.exp(-c) * mpmath.quad(
            lambda h: g0(h) * mpmath.exp(-c * F0(h)) * mpmath.erfc((1 - h) / s1 / mpmath.sqrt(2)) / 2, cuts)
        en = -a * mpmath.quad(lambda h: g0(h) * F0(h), cuts)
    return float(est), float(en)


@pytest.mark.parametrize("c, q0, chi", [(3.49, 0.7758591, 0.0663899)])
def test_one_level_at_large_c_against_mpmath(c, q0, chi):
    """k = 1 with x_0 up to 60 (e^60 ~ 1e26: far beyond the old FFT floor): both convolution paths against a
    30-digit quadrature of the same (q0, chi) (independent of the grid and the FFT)."""
    est, en = _mp_k1(6.0, c, q0, chi)
    q = np.array([q0, 1.0])
    g = fgrid.plan(chi, q, 1e-13, x_last=c)
    for up in (np.inf, 0.0):
        ev = Recursion(backends.cpu(), g, np.array([c]), 6.0, fft_up_to=up).evaluate(q, chi)
        assert abs(ev.estar - est) < 1e-12 and abs(ev.energetic - en) < 1e-12, (up, ev.estar - est)


def test_direct_sums_agree_with_fft_where_both_work():
    """The direct (real-space) convolution and the FFT give the same recursion where the FFT is accurate
    (breakpoints <= 5: e^5 eps ~ 3e-14), on both CPU and the NumPy emulation of the GPU path."""
    x = np.linspace(0.01, 5.0, 4)
    q, chi = np.array([0.70, 0.75, 0.85, 0.95, 1.0]), 0.05
    for name in ("cpu", "gpu-emulated"):
        b = backends.get(name)
        ref = Recursion(b, fgrid.build(24, 16), x, 6.0, fft_up_to=np.inf).evaluate(q, chi)
        for up in (0.0, 2.0):
            ev = Recursion(b, fgrid.build(24, 16), x, 6.0, fft_up_to=up).evaluate(q, chi)
            assert abs(ev.estar - ref.estar) < 3e-13
            assert np.allclose(ev.Qhat, ref.Qhat, rtol=0, atol=3e-13)
            assert np.allclose(ev.level_energetic, ref.level_energetic, rtol=0, atol=3e-13)


def test_direct_sums_of_a_nearly_collapsed_level(monkeypatch):
    """A level with a tiny increment has a Gaussian much narrower than dh: its direct sums read the few shifted rows
    they need (not a refined array of M dh/width samples, which ran out of memory), and agree with the FFT."""
    rows_path = []
    real = fourier.shifted
    monkeypatch.setattr(fourier, "shifted", lambda b, f, t: rows_path.append(min(t)) or real(b, f, t))
    x = np.linspace(0.01, 5.0, 4)
    q, chi = np.array([0.70, 0.75, 0.75 + 1e-8, 0.95, 1.0]), 0.05
    for name in ("cpu", "gpu-emulated"):
        b = backends.get(name)
        ref = Recursion(b, fgrid.build(24, 16), x, 6.0, fft_up_to=np.inf).evaluate(q, chi)
        ev = Recursion(b, fgrid.build(24, 16), x, 6.0, fft_up_to=0.0).evaluate(q, chi)
        assert abs(ev.estar - ref.estar) < 3e-13
        assert np.allclose(ev.Qhat, ref.Qhat, rtol=0, atol=1e-12)   # dF/dh: weights u/v of size v^-1/2 cancel
    assert min(rows_path) < 0


def test_partial_x_derivative_at_large_breakpoints():
    """At fixed (q, chi), breakpoints up to 60 (direct sums at the top levels): the derived de/dx_j (entropic by
    SymPy + the energetic envelope term) against central differences of the functional in x_j."""
    x = np.array([2.6, 5.0, 19.0, 60.0])
    q, chi = np.array([0.72, 0.8, 0.93, 0.995, 1.0]), 0.04
    g = fgrid.plan(chi, q, 1e-12, x_last=60.0)
    lv = Levels(x)

    def e(xx):
        rec = Recursion(backends.cpu(), g, xx, 6.0, fft_up_to=10.0)
        return Levels(xx).entropic(q, chi) + rec.evaluate(q, chi).energetic

    ev = Recursion(backends.cpu(), g, x, 6.0, fft_up_to=10.0).evaluate(q, chi)
    assert np.max(np.abs(ev.masses - 1)) < 1e-9
    d = lv.dx(q, chi, ev.level_energetic, 6.0)
    for j, h in ((1, 1e-4), (2, 1e-4), (3, 1e-3)):
        fd = (e(x + h * np.eye(4)[j]) - e(x - h * np.eye(4)[j])) / (2 * h)
        assert abs(fd - d[j]) < 1e-7 * max(1.0, abs(d[j])), (j, fd, d[j])


def test_breakpoint_gradient_matches_central_differences(e6_k4):
    """dfunctional_dx (derive.frsb: SymPy's entropic x-derivative + the energetic envelope term) against central
    differences of the stationary functional, and the dilation identity estar = functional + sum x_i de/dx_i."""
    d = e6_k4.diagnostics
    x = np.linspace(0.01, 5.0, 4)
    h = 1e-4
    for j in (1, 2, 3):
        f = [frsb.energy(6.0, k=4, breakpoints=list(x + sgn * h * np.eye(4)[j]), tol=1e-10,
                         init=e6_k4).diagnostics["functional"] for sgn in (1, -1)]
        assert abs((f[0] - f[1]) / (2 * h) - d["dfunctional_dx"][j]) < 1e-8, j
    assert abs(d["estimator_gap"] - float(np.dot(x, d["dfunctional_dx"]))) < 1e-10


def test_symbolic_breakpoint_derivative():
    from relu_injectivity.derive import frsb as dv

    assert dv.check_entropic_dx(3) == [1, 2, 3]


# -------------------------------------------------------------------------------- values and estimators

def test_energy_alpha6_k30_matches_math_range():
    """docs/theory.md §5: e*(6; k = 30, xmax = 10) in 0.80537-0.80544 (estar, authors' O(dh)-biased quadrature, tends to
    0.805421) and the potential tends to 0.805367.  Ours: estar 0.8054346, potential 0.8053669."""
    r = frsb.energy(6.0, k=30, xmax=10.0, tol=1e-6)
    assert 0.80537 <= r.energy <= 0.80544
    assert abs(r.diagnostics["functional"] - 0.805367) < 1e-6
    assert abs(r.energy - 0.8054346) < 3e-6 and r.error < 3e-6
    assert abs(r.diagnostics["chi"] - 0.03707) < 1e-4
    q = np.array(r.diagnostics["q"])
    assert np.all(np.diff(q) >= 0) and q[-1] == 1.0


def test_estimators_differ_by_the_dilation_derivative(e6_k4):
    """estar = functional + sum_i x_i de/dx_i at the fixed point (scaling the cost of an active unit, see
    numerics.frsb): the gap equals the central difference of the functional under a dilation of the breakpoints."""
    x = np.linspace(0.01, 5.0, 4)
    f = {}
    for s in (1 + 1e-4, 1 - 1e-4):
        f[s] = frsb.energy(6.0, k=4, breakpoints=list(s * x), tol=1e-10, init=e6_k4).diagnostics["functional"]
    D = (f[1 + 1e-4] - f[1 - 1e-4]) / 2e-4
    assert abs(e6_k4.diagnostics["estimator_gap"] - D) < 2e-8
    assert e6_k4.diagnostics["estimator_gap"] > 1e-5   # a genuine finite-k effect, not a quadrature artefact


def test_estimator_gap_converges_with_the_h_grid(e6_k4):
    """The grid part of the gap shrinks with refinement: gap(grid) -> gap(fine), at the fixed (q, chi)."""
    x = np.linspace(0.01, 5.0, 4)
    q, chi = np.array(e6_k4.diagnostics["q"]), e6_k4.diagnostics["chi"]
    lv = Levels(x)

    def gap(hw, ppu):
        ev = Recursion(backends.cpu(), fgrid.build(hw, ppu), x, 6.0).evaluate(q, chi)
        return ev.estar - (lv.entropic(q, chi) + ev.energetic)

    ref = gap(40.0, 48)
    devs = [abs(gap(hw, 16) - ref) for hw in (14.0, 17.0, 20.0, 24.0)]
    assert all(b < a for a, b in zip(devs, devs[1:])), devs
    assert devs[-1] < 1e-9
    assert abs(e6_k4.diagnostics["estimator_gap"] - ref) < 1e-8


def test_threshold_small_k_nested_breakpoints_non_increasing():
    """Nested breakpoint sets (k = 2, 3, 5 on [0.01, 4]): the functional can only grow, so its threshold cannot
    increase with k; nor does the estar threshold (beyond the tolerance)."""
    res = [frsb.threshold(k=k, xmax=4.0, tol=1e-5) for k in (2, 3, 5)]
    a = [r.alpha for r in res]
    af = [r.diagnostics["alpha_functional"] for r in res]
    tol = 1e-5
    assert a[1] <= a[0] + tol and a[2] <= a[1] + tol, a
    assert af[1] <= af[0] + tol and af[2] <= af[1] + tol, af
    for r in res:
        assert r.error < 5e-5
        assert abs(r.diagnostics["estar"] - 1) < 1e-5
        assert r.diagnostics["alpha_functional_error"] < 1e-8     # Newton at fixed breakpoints, not extrapolated
        # the second route: the root of the functional along the chain of fixed points
        assert abs(r.diagnostics["alpha_functional_chain"] - r.diagnostics["alpha_functional"]) \
            <= r.diagnostics["alpha_functional_chain_error"]
        # one answer: the root's fixed point was checked against the cold start's there (issue 14); the one kept
        # has the larger functional, and the other is a root too within the bar
        c, d = r.diagnostics["start_check"], r.diagnostics
        kept, other = (("warm_functional", "functional") if c["selected"] == "warm chain"
                       else ("functional", "warm_functional"))
        assert c[kept] >= c[other] - r.params["solver_tol"]
        assert abs(c["estar"] - c["warm_estar"]) <= abs(d["slope_destar_dalpha"]) * r.error
        assert d["start_spread"] == (abs(c["estar"] - c["warm_estar"]) if c["selected"] == "warm chain" else 0.0)


def test_warm_start_gives_the_same_energy_faster(e6_k4):
    cold = frsb.energy(6.1, **K4, tol=1e-8)
    warm = frsb.energy(6.1, **K4, tol=1e-8, init=e6_k4)
    assert warm.energy == cold.energy      # the same fixed point: the cold start's is kept (one answer)
    cand = {c["start"]: c for c in warm.diagnostics["candidates"]}
    assert abs(cand["warm"]["estar"] - cold.energy) < 1e-8 + cold.error
    assert cand["warm"]["iterations"] < cand["cold"]["iterations"]


def test_sat_phase_is_zero():
    r = frsb.energy(1.5, **K4)
    assert r.energy == 0.0 and r.error == 0.0


# ------------------------------------------------------------------------------------------- backends

def test_gpu_code_path_on_numpy_matches_cpu(e6_k4):
    emu = frsb.energy(6.0, **K4, tol=1e-9, backend="gpu-emulated")
    assert emu.diagnostics["backend"] == "gpu-emulated"
    assert abs(emu.energy - e6_k4.energy) < 1e-11
    assert np.allclose(emu.diagnostics["q"], e6_k4.diagnostics["q"], atol=1e-10)


def _cupy_gpu():
    ok, _ = backends.gpu_available()
    return ok


@pytest.mark.skipif(not _cupy_gpu(), reason="needs CuPy and a CUDA GPU")
def test_gpu_backend_matches_cpu(e6_k4):
    gen = __import__("generated.frsb_cupy", fromlist=["SOURCES"])
    for name in gen.SOURCES:          # every kernel compiles through NVRTC
        gen.kernel(name)
    g = frsb.energy(6.0, **K4, tol=1e-9, backend="gpu")
    assert g.diagnostics["backend"] == "gpu"
    assert abs(g.energy - e6_k4.energy) < 1e-10


@pytest.mark.skipif(_cupy_gpu(), reason="a GPU is available here")
def test_gpu_backend_without_gpu_is_a_clear_error():
    with pytest.raises(RuntimeError, match="CuPy"):
        frsb.energy(6.0, **K4, backend="gpu")
    with pytest.raises(ValueError, match="gpu"):
        frsb.energy(6.0, **K4, backend="gpu")


# ---------------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("kw, exc, match", [
    (dict(k=0), ValueError, "k must be >= 1"),
    (dict(k=2.5), TypeError, "k must be an integer"),
    (dict(xmax=0.0), ValueError, "xmax"),
    (dict(xmax=-1.0), ValueError, "xmax"),
    (dict(k=2, xmax=0.005), ValueError, "xmax must be > 0.01"),
    (dict(k=3, breakpoints=[1.0, 2.0]), ValueError, "breakpoints has 2 entries"),
    (dict(k=2, breakpoints=[2.0, 1.0]), ValueError, "strictly increasing"),
    (dict(tol=0.0), ValueError, "tol"),
    (dict(tol=0.5), ValueError, "tol"),
    (dict(backend="tpu"), ValueError, "backend"),
    (dict(half_width=5.0), ValueError, "too coarse"),
    (dict(points_per_unit=4), ValueError, "points_per_unit"),
    (dict(init={"q": [0.7, 1.0], "chi": 0.05}), ValueError, "k = 4"),
    (dict(init=3), TypeError, "init"),
    (dict(k=4, xmax=700.0, tol=1e-7), ValueError, "xmax must be <= 30"),
    (dict(k=2, breakpoints=[1.0, 700.0], tol=1e-7), ValueError, "breakpoints must be <= 600"),
])
def test_bad_parameters(kw, exc, match):
    params = {**K4, **kw}
    with pytest.raises(exc, match=match):
        frsb.energy(6.0, **params)


@pytest.mark.parametrize("alpha", [-1.0, float("nan"), "6"])
def test_bad_alpha(alpha):
    with pytest.raises((ValueError, TypeError)):
        frsb.energy(alpha, **K4)


def test_threshold_bad_bracket():
    with pytest.raises(ValueError, match="bracket"):
        frsb.threshold(k=2, xmax=4.0, bracket=(7.0, 6.0))


def test_non_convergence_raises_with_history():
    with pytest.raises(ConvergenceError) as info:
        frsb.energy(6.0, **K4, max_iter=2)
    hist = info.value.diagnostics["residual_history"]
    assert len(hist) == 2 and all(math.isfinite(v) for v in hist)
    assert "last residuals" in str(info.value)


def test_plain_steps_relax_an_overshooting_chi_map():
    """A chi map of slope -1.01 in log chi (the period-2 orbit of the cold start at xmax = 30) diverges under plain
    steps; the plain step relaxed by the secant slope (solver.ChiRelaxation) lands on its fixed point at once."""
    from types import SimpleNamespace

    from relu_injectivity.methods.frsb import solver

    fixed = math.log(0.03)

    class Map:
        def evaluate(self, q, chi):
            return SimpleNamespace(Qhat=None, estar=0.0)

        def update(self, q, chi, Qhat):
            return np.array([0.5, 1.0]), math.exp(fixed - 1.01 * (math.log(chi) - fixed)), None

    sol = solver.solve(Map(), Map(), [0.5, 1.0], 0.06, tol=1e-12)
    assert abs(sol.chi - 0.03) < 1e-12 and sol.iterations <= 4


# ------------------------------------------------------------------------------------------ API, CLI

def test_result_diagnostics_contract(e6_k4):
    d = e6_k4.diagnostics
    for key in ("q", "x", "chi", "L0", "estar", "functional", "iterations", "residual_history", "grid",
                "backend", "time_s"):
        assert key in d, key
    assert set(d["grid"]) >= {"half_width", "N", "dh"}
    assert len(d["q"]) == 5 and len(d["x"]) == 4 and d["estar"] == e6_k4.energy
    assert isinstance(e6_k4, EnergyResult) and e6_k4.method == "frsb"
    json.dumps(e6_k4.to_dict())


def test_registered_and_api(one6):
    """Through the public API, k = 1 at the 1-RSB breakpoint c gives the 1-RSB estar of the independent 1-RSB
    solver (docs/theory.md §4.10), within the two error bars."""
    assert "frsb" in ri.METHODS
    params = ri.parameters("frsb", "energy")
    assert {"k", "xmax", "tol", "backend", "breakpoints", "init", "progress"} <= set(params)
    r = ri.energy("frsb", 6.0, k=1, breakpoints=[float(one6.diagnostics["c"])], tol=1e-6, progress=True)
    assert abs(r.energy - float(one6.diagnostics["estar"])) <= r.error + one6.error


def test_cli_energy_json(one6):
    """The command line at k = 1 and the 1-RSB breakpoint gives the 1-RSB estar within the error bars (a list of
    one number on the command line: "c,")."""
    c = float(one6.diagnostics["c"])
    r = subprocess.run([sys.executable, "-m", "relu_injectivity.interfaces.cli.main", "energy", "frsb", "--alpha", "6", "--k", "1",
                        "--breakpoints", f"{c!r},", "--tol", "1e-6", "--json"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["method"] == "frsb" and out["params"]["breakpoints"] == [c]
    assert abs(float(out["energy"]) - float(one6.diagnostics["estar"])) <= out["error"] + one6.error
    bad = subprocess.run([sys.executable, "-m", "relu_injectivity.interfaces.cli.main", "energy", "frsb", "--alpha", "6", "--k", "0"],
                         cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "k must be" in bad.stderr
