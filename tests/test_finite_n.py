"""Finite-n injectivity check (docs/finite_n.md): exact minimum against brute force, exact certificates,
degenerate W by the rank condition, bounds for large layers, simulate, bad input."""
from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import numpy as np
import pytest
import sympy

from relu_injectivity.interfaces.cli.main import main as cli_main
from relu_injectivity.methods import finite_n
from relu_injectivity.methods.euler import euler_characteristic
from relu_injectivity.methods.finite_n import certificate, exact, hitting, sampling
from relu_injectivity.workflow.store import Store


def _exact_active(W, x):
    """Independent exact check: the rows with w.x >= 0 (Fractions) and their rank (SymPy)."""
    xf = [Fraction(float(v)) for v in x]
    act = [i for i, w in enumerate(W) if sum(Fraction(float(a)) * b for a, b in zip(w, xf)) >= 0]
    rank = sympy.Matrix([[sympy.Rational(Fraction(float(a))) for a in W[i]] for i in act]).rank() if act else 0
    return act, rank


@pytest.mark.parametrize("n,m,seed", [(2, 7, 0), (2, 12, 1), (3, 9, 2), (3, 15, 3), (3, 22, 4), (4, 12, 5),
                                      (4, 20, 6), (4, 28, 7), (5, 18, 8), (5, 30, 9)])
def test_min_count_equals_brute_force(n, m, seed):
    W = np.random.default_rng(seed).standard_normal((m, n))
    r = exact.min_active_count(W)
    assert r.count == exact.brute_force_min_count(W)
    act, _ = _exact_active(W, r.witness)
    assert len(act) == r.count


def test_certificates_exact():
    W = np.random.default_rng(11).standard_normal((24, 4))
    r = exact.min_active_count(W)
    Wi = certificate.integer_rows(W)
    for supp, lam in r.circuits:   # each circuit: 0 in conv, exactly
        assert certificate.check_zero_in_hull(Wi, supp, lam)
        M = sympy.Matrix([[sympy.Rational(Fraction(float(W[mu, j]))) for mu in supp] for j in range(4)])
        (v,) = M.nullspace()   # independent: the rows' dependency is unique and of one sign
        assert all(t > 0 for t in v) or all(t < 0 for t in v)
    sets = [c for c, _ in r.circuits]   # the lower bound: no smaller hitting set (brute force over subsets)
    for H in itertools.combinations(range(24), r.count - 1):
        assert not all(set(c) & set(H) for c in sets)


def test_hitting_search_against_enumeration():
    rng = np.random.default_rng(0)
    for _ in range(150):
        m = int(rng.integers(3, 11))
        fam = [tuple(rng.choice(m, size=int(rng.integers(1, 4)), replace=False)) for _ in range(int(rng.integers(1, 8)))]
        best = min(len(H) for r in range(m + 1) for H in itertools.combinations(range(m), r)
                   if all(set(s) & set(H) for s in fam))
        for b in (best - 1, best):
            h = hitting.hitting_set_at_most(fam, m, b)
            assert (h is None) == (b < best)
            if h is not None:
                assert all(set(s) & set(h) for s in fam)


@pytest.mark.parametrize("seed", range(6))
def test_verdicts_and_witnesses_exact(seed):
    n, m = 3, [6, 9, 12, 15, 18, 21][seed]
    W = np.random.default_rng(100 + seed).standard_normal((m, n))
    r = finite_n.check(W, min_count=True)
    assert r.general_position is True
    assert r.min_count == exact.brute_force_min_count(W)
    assert r.injective == (r.min_count >= n)
    if r.injective is False:
        act, rank = _exact_active(W, r.witness)
        assert rank < n and len(act) == r.upper_bound


def test_degenerate_duplicate_rows_rank_condition():
    # every open half-plane holds >= 2 rows (D(W) = 2 = n), yet at x = (1, 0) only the two copies of (1, 0)
    # are active: rank 1, not injective
    W = np.array([[1.0, 0.0], [1.0, 0.0], [-1.0, 2.0], [-1.0, 0.0], [-1.0, -2.0]])
    r = finite_n.check(W)
    assert r.general_position is False and r.lower_bound >= 2
    assert r.injective is False and "rank condition" in r.verdict
    act, rank = _exact_active(W, r.witness)
    assert rank < 2


def test_degenerate_antiparallel_injective():
    W = np.vstack([np.eye(3), -np.eye(3)])   # ReLU(x), ReLU(-x): injective, not in general position
    r = finite_n.check(W)
    assert r.general_position is False and r.injective is True


def test_degenerate_zero_and_repeated_rows_keep_the_verdict():
    W = np.random.default_rng(7).standard_normal((18, 3))
    base = finite_n.check(W)
    assert base.injective is not None
    with_zero = finite_n.check(np.vstack([W, np.zeros((1, 3))]))
    repeated = finite_n.check(np.vstack([W, W[:3]]))
    assert with_zero.general_position is False and repeated.general_position is False
    assert with_zero.injective == base.injective == repeated.injective


def test_rank_deficient():
    W = np.random.default_rng(3).integers(-4, 5, (12, 2)).astype(float) @ np.array([[1.0, 2.0, -1.0], [0.0, 1.0, 3.0]])
    r = finite_n.check(W)
    assert r.injective is False and "rank W = 2" in r.verdict
    W2 = np.random.default_rng(4).standard_normal((10, 3))
    W2[:, 1] = 0.0
    assert finite_n.check(W2).injective is False


def test_bound_mode_never_claims_injective():
    rng = np.random.default_rng(5)
    W = rng.standard_normal((80, 40))
    low = finite_n.check(W, exact_solver=False, time_limit=20)
    assert low.injective is False
    assert _exact_active(W, low.witness)[1] < 40
    high = finite_n.check(rng.standard_normal((160, 8)), exact_solver=False, time_limit=20)
    assert high.injective is None and "no witness found" in high.verdict
    assert high.upper_bound >= 8


def test_simulate_store_executor_and_wilson(tmp_path):
    lo, hi = finite_n.wilson_interval(5, 10)
    assert abs(lo - 0.2366) < 1e-4 and abs(hi - 0.7634) < 1e-4
    st = Store(tmp_path)
    with ThreadPoolExecutor(2) as ex:
        a = finite_n.simulate(3, 5.0, 6, seed=1, executor=ex, store=st)
    b = finite_n.simulate(3, 5.0, 6, seed=1, store=st)
    assert b.reused == 6 and a.lower == b.lower and a.upper == b.upper
    assert a.m == 15 and a.q == Fraction(euler_characteristic(15, 3))
    for i, c in enumerate(a.counts):
        W = sampling.sample_matrix(3, 15, 1, i)
        assert c == exact.brute_force_min_count(W)
    assert a.injective == sum(c >= 3 for c in a.counts)


@pytest.mark.parametrize("bad,exc", [(np.ones(5), ValueError), (np.ones((2, 3)), ValueError),
                                     (np.array([[1.0, np.nan], [1, 2], [3, 4]]), ValueError),
                                     (np.array([[1.0, np.inf], [1, 2], [3, 4]]), ValueError),
                                     (np.zeros((0, 3)), ValueError), ("W", TypeError),
                                     (np.ones((4, 2), dtype=complex), TypeError), (np.ones((4, 2), dtype=bool), TypeError),
                                     ([[1, 2], [3]], ValueError)])
def test_bad_input(bad, exc):
    with pytest.raises(exc):
        finite_n.check(bad)


def test_bad_files_and_cli(tmp_path, capsys):
    junk = tmp_path / "junk.npy"
    junk.write_bytes(b"not numpy")
    two = tmp_path / "two.npz"
    np.savez(two, a=np.ones((3, 2)), b=np.ones((3, 2)))
    for p in (junk, two, tmp_path / "missing.npy"):
        with pytest.raises(ValueError):
            finite_n.load_matrix(p)
        assert cli_main(["check", str(p)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("injectivity: error:") and "\n" not in err
    good = tmp_path / "W.txt"
    np.savetxt(good, np.random.default_rng(1).standard_normal((12, 3)))
    assert cli_main(["check", str(good), "--json"]) == 0
    assert '"verdict"' in capsys.readouterr().out
    assert cli_main(["simulate", "--n", "2", "--alpha", "0.5", "--samples", "3", "--no-cache"]) == 2
