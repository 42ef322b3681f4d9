"""One answer per question for the fixed-grid FRSB solver (issue 14, docs/theory.md §4.7, §4.11): the fixed point
selected by the variational principle whatever the start, a scan's values independent of its blocking, and a
small case that used to stall now converging."""
import numpy as np
import pytest

from relu_injectivity.methods import frsb
from relu_injectivity.workflow.scan import scan

K30 = dict(k=30, xmax=10.0)


@pytest.fixture(scope="module")
def chain():
    """alpha = 5.5 cold, then 6.0 and 6.5 warm-started along the chain (the runs of issue 14)."""
    r55 = frsb.energy(5.5, **K30)
    r6 = frsb.energy(6.0, **K30, init=r55)
    r65 = frsb.energy(6.5, **K30, init=r6)
    return {5.5: r55, 6.0: r6, 6.5: r65}


def _same_answer(cold, warm):
    assert warm.energy == cold.energy and warm.diagnostics["functional"] == cold.diagnostics["functional"]
    assert abs(warm.energy - cold.energy) <= cold.error + warm.error


def test_alpha_6_cold_and_warm_from_5_5_give_one_answer(chain):
    cold = frsb.energy(6.0, **K30)
    _same_answer(cold, chain[6.0])
    # both fixed points were found; the selected one has the largest functional
    d = chain[6.0].diagnostics
    cands = {c["start"]: c for c in d["candidates"]}
    assert set(cands) == {"cold", "warm"} and d["functional"] == cands["cold"]["functional"]
    # the warm chain's point lies below beyond both functionals' errors: excluded, no spread in the bar
    gap = cands["cold"]["functional"] - cands["warm"]["functional"]
    assert gap > cands["cold"]["functional_error"] + cands["warm"]["functional_error"]
    assert d["start_spread"] == 0.0


def test_alpha_6_5_cold_and_warm_along_5_5_6_give_one_answer(chain):
    cold = frsb.energy(6.5, **K30)
    _same_answer(cold, chain[6.5])
    # the value issue 14 found along the warm chain (a stationary point with a smaller functional) is not returned
    assert abs(chain[6.5].energy - 0.9436971) > 1e-4


def test_alpha_6_5_functional_selects_the_larger_stationary_point(chain):
    r = chain[6.5]
    cands = {c["start"]: c for c in r.diagnostics["candidates"]}
    assert r.diagnostics["functional"] >= max(c["functional"] - c["functional_error"] for c in cands.values())
    # the warm start's point is either excluded (functional lower beyond both errors: no spread) or not told apart
    # from the cold one (their distance in estar is the start spread, part of the bar)
    warm, cold = cands["warm"], cands["cold"]
    if cold["functional"] - warm["functional"] > cold["functional_error"] + warm["functional_error"]:
        assert r.diagnostics["start_spread"] == 0.0
    else:
        spread = abs(warm["estar"] - cold["estar"])
        assert r.diagnostics["start_spread"] == spread < 1e-8 and r.error >= spread


def test_scan_blocks_1_and_3_give_identical_values():
    alphas = [5.5, 6.0, 6.5]
    small = dict(k=15, xmax=10.0, tol=1e-6)
    one = scan("frsb", alphas, "serial", store=False, blocks=1, **small)
    three = scan("frsb", alphas, "serial", store=False, blocks=3, **small)
    assert list(one.energies) == list(three.energies)


def test_small_case_that_stalled_converges():
    """k = 15, xmax = 15, tol = 1e-7 at alpha = 6 stopped with 'no damped update stays admissible' (iteration 24)
    before the grid followed the iterate's spacing requirement (numerics/methods/frsb/problem.py)."""
    r = frsb.energy(6.0, k=15, xmax=15.0, tol=1e-7)
    assert r.diagnostics["residual_history"][-1] < 1e-7
    assert r.error < 1e-6
    assert any("spacing" in str(s["iterations"]) for s in r.diagnostics["stages"])
    assert np.all(np.diff(r.diagnostics["q"]) >= 0)


def test_start_profile_and_reopening():
    from relu_injectivity.methods.frsb import start

    q = start.profile([0.5, 0.6, 0.7], [1.0, 2.0, 3.0], [0.5, 1.5, 2.0, 2.5, 3.5])
    assert q.tolist() == [0.5, 0.6, 0.6, 0.7, 0.7, 1.0]
    r = start.reopened(q)
    dq = np.diff(r, prepend=0.0)
    assert r[0] == 0.5 and r[-1] == 1.0 and dq[1:].min() >= 0.99 * start.REOPEN
    assert np.allclose(r, q, atol=1e-5)


def test_breakpoints_beyond_12_solve_from_the_cold_and_the_profile_start():
    """Breakpoints beyond 12: the profile of the k = 30, xmax = 10 solution is a second fresh start; at k = 8,
    xmax = 14 it reaches a stationary point with the top levels collapsed, whose functional is smaller than the
    cold start's, and the larger functional is returned."""
    r = frsb.energy(6.0, k=8, xmax=14.0, tol=1e-6)
    cands = {c["start"]: c for c in r.diagnostics["candidates"]}
    assert set(cands) == {"cold", "profile"}
    assert r.diagnostics["functional"] == max(c["functional"] for c in cands.values())
    assert r.diagnostics["start"] == "cold" and cands["cold"]["functional"] > cands["profile"]["functional"] + 1e-6


def test_xmax_30_converges_from_the_cold_start():
    """k = 10, xmax = 30, tol = 1e-5 at alpha = 6 failed ('the h grid had to be enlarged 6 times'): the plain update's
    chi alternated between two values 200-fold apart and the densities outgrew every window; with the relaxation of
    chi (numerics/methods/frsb/solver.py) the cold start converges, on the grid planned from its solution."""
    r = frsb.energy(6.0, k=10, xmax=30.0, tol=1e-5)
    d = r.diagnostics
    assert d["start"] == "cold" and d["residual_history"][-1] < 1e-5 / 30
    assert r.error < 1e-6
