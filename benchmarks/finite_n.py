"""Finite-n benchmarks (docs/finite_n.md §6): the exact check against the plain big-M MILP, and P(injective)
of Gaussian layers next to the Euler surrogate q_{m,n}.

    python benchmarks/finite_n.py [--part timing|probability|all] [--quick]

Timing: matrices W (standard normal, m = round(6.7 n)) for several n; per matrix the exact decision
D(W) >= n (what ``check`` runs), the exact D(W), and the plain MILP of exact.plain_milp_min_count (2n
pinned sub-problems, global big-M), with the speed-up and the growth of the cost with n.
Probability: ``simulate`` at alpha in {5, 6, 6.7, 7.5, 8.3}, n = 4, 6 (exact D per sample) and n = 8
(exact decision per sample), 100 samples each, on a 2-process pool, through the results store.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from relu_injectivity.methods import finite_n
from relu_injectivity.methods.finite_n import exact
from relu_injectivity.workflow.store import Store

ALPHAS = (5.0, 6.0, 6.7, 7.5, 8.3)
PLAIN_LIMIT_S = 900.0


def timing(quick: bool):
    plan = [(6, 3, 2), (8, 3, 1), (10, 3, 1)] if not quick else [(6, 2, 1), (8, 2, 0)]
    exact.min_active_count(np.random.default_rng(0).standard_normal((30, 4)))  # compile the Numba search first
    rows = []
    print("n   m   case  D   decide[s]  exact-D[s]  plain-MILP[s]", flush=True)
    for n, k, k_plain in plan:
        m = round(6.7 * n)
        dec, full, plain = [], [], []
        for i in range(k):
            W = np.random.default_rng([2026, n, i]).standard_normal((m, n))
            t = time.perf_counter()
            r = exact.min_active_count(W, decide=n, seed=i)
            dec.append(time.perf_counter() - t)
            t = time.perf_counter()
            rf = exact.min_active_count(W, seed=i)
            full.append(time.perf_counter() - t)
            line = f"{n:<3} {m:<3} {i:<5} {rf.count:<3} {dec[-1]:9.2f}  {full[-1]:10.2f}"
            if i < k_plain:
                t = time.perf_counter()
                d_plain = exact.plain_milp_min_count(W, total_limit=PLAIN_LIMIT_S)
                plain.append(time.perf_counter() - t)
                if d_plain is None:
                    line += f"  >{plain[-1]:11.1f}  (stopped at the {PLAIN_LIMIT_S:.0f} s cap: a lower bound on its time)"
                else:
                    line += f"  {plain[-1]:12.1f}  (plain D = {d_plain}{'' if d_plain == rf.count else ' MISMATCH'})"
            print(line, flush=True)
        rows.append((n, m, dec, full, plain))
    print("\nsummary (seconds; speed-up = plain median / ours median on the matrices both ran)")
    print("n   m   decide med/max    exact-D med/max    plain med/max      speed-up decide / exact-D")
    for n, m, dec, full, plain in rows:
        s = f"{n:<3} {m:<3} {statistics.median(dec):7.2f}/{max(dec):<7.2f}  {statistics.median(full):8.2f}/{max(full):<8.2f}"
        if plain:
            kp = len(plain)
            pm = statistics.median(plain)
            s += (f"  {pm:8.1f}/{max(plain):<8.1f}  {pm / statistics.median(dec[:kp]):8.1f}x"
                  f" / {pm / statistics.median(full[:kp]):.1f}x")
        print(s, flush=True)
    for (n0, _, d0, f0, _), (n1, _, d1, f1, _) in zip(rows, rows[1:]):
        print(f"growth n={n0}->{n1}: decide x{statistics.median(d1) / statistics.median(d0):.1f}, "
              f"exact-D x{statistics.median(f1) / statistics.median(f0):.1f}", flush=True)


def probability(quick: bool):
    samples = 20 if quick else 100
    print("n   m   alpha  samples  P(inj)  Wilson95          1-q_{m,n}   q_{m,n}     mean D/n (sem)   med s",
          flush=True)
    with ProcessPoolExecutor(2) as ex:
        for n in (4, 6, 8):
            for a in ALPHAS:
                s = finite_n.simulate(n, a, samples, seed=0, counts=n <= 6, executor=ex, store=Store())
                e = s.energy_stats()
                es = f"{e[0]:.3f} ({e[1]:.3f})" if e else "-"
                lo, hi = s.wilson95
                print(f"{n:<3} {s.m:<3} {a:<6} {samples:<8} {s.p_injective:6.3f}  [{lo:.3f}, {hi:.3f}]   "
                      f"{1 - s.q_float:9.4f}   {s.q_float:9.4f}   {es:15}  {statistics.median(s.seconds):.2f}",
                      flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("timing", "probability", "all"), default="all")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    if a.part in ("probability", "all"):
        probability(a.quick)
    if a.part in ("timing", "all"):
        timing(a.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
