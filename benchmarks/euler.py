"""Euler-characteristic surrogate and elementary bounds (docs/theory.md §6-7): timings and the finite-n check.

    python benchmarks/euler.py [--sizes 16000x2000 20000x2000 ...] [--fit-n-max 2000] [--digits 30]

Table 1: exact q_{m,n} (a Fraction) -- wall time (best of 3), the pessimistic estimate that ``budget_s`` is
checked against, log|q| and the asymptotic prediction n rate - log n + c0.
Table 2: the rate fitted from exact log q_{alpha n, n}, n = 200 .. fit-n-max, against rate(alpha), and the
zero crossing of the fitted rates against alpha_Euler.
Table 3: the thresholds (euler, union, cover, gordon-chernoff) in double and at --digits, with error bars.
"""
from __future__ import annotations

import argparse
import math
import time
from fractions import Fraction

import mpmath
import numpy as np

from relu_injectivity.methods import registry as api
from relu_injectivity.methods import euler


def best_time(fn, repeat=3):
    out, times = None, []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def exact_table(sizes):
    print(f"{'m':>7} {'n':>6} {'time [s]':>9} {'estimate [s]':>12} {'log|q|':>14} {'n rate - log n + c0':>20}")
    for m, n in sizes:
        dt, q = best_time(lambda: euler.euler_characteristic(m, n, budget_s=None))
        a = m / n
        pred = "-"
        if a >= euler.alpha_min():
            r = euler.euler_rate(a)
            pred = f"{n * r.energy - math.log(n) + r.diagnostics['log_prefactor_c0']:20.6f}"
        lq = f"{euler.log_abs(q):14.6f}" if q else f"{'q = 0':>14}"
        print(f"{m:7d} {n:6d} {dt:9.3f} {euler.estimated_seconds(m, n):12.3f} {lq} {pred:>20}")


def fit_table(n_max):
    alphas = [Fraction(83, 10), Fraction(167, 20), Fraction(42, 5)]
    ns = list(range(200, n_max + 1, 100))
    print(f"\nfit of log q + log n = n rate + c0 + c1/n + c2/n^2 over n = {ns[0]}..{ns[-1]} (alpha n integer)")
    print(f"{'alpha':>6} {'rate (fit)':>22} {'rate (saddle)':>22} {'difference':>11} {'c0 fit - c0':>12} {'time':>7}")
    fitted = []
    for a in alphas:
        t0 = time.perf_counter()
        ys = [euler.log_abs(euler.euler_characteristic(a.numerator * n // a.denominator, n)) + math.log(n) for n in ns]
        x = np.array(ns, float)
        sol = np.linalg.lstsq(np.vstack([x, np.ones_like(x), 1 / x, 1 / x**2]).T, np.array(ys), rcond=None)[0]
        r = euler.euler_rate(float(a))
        fitted.append(sol[0])
        print(f"{float(a):6.3f} {sol[0]:22.15f} {r.energy:22.15f} {sol[0] - r.energy:11.1e} "
              f"{sol[1] - r.diagnostics['log_prefactor_c0']:12.1e} {time.perf_counter() - t0:6.2f}s")
    xs = [float(a) for a in alphas]
    coef = np.polyfit(xs, fitted, 2).tolist()
    cross = float(mpmath.findroot(lambda s: mpmath.polyval(coef, s), xs[1]))
    th = euler.threshold().alpha
    print(f"zero crossing of the fitted rates: {cross:.12f}; alpha_Euler = {th:.12f}; difference {cross - th:.1e}")


def threshold_table(digits):
    print(f"\n{'method':<16} {'digits':>6} {'alpha':<36} {'error':>8} {'time [s]':>9}")
    for m in ("cover", "euler", "union", "gordon-chernoff"):
        for d in (None, digits):
            api.threshold(m, digits=d)                                   # warm-up (Numba cache, imports)
            dt, r = best_time(lambda: api.threshold(m, digits=d))
            print(f"{m:<16} {str(d):>6} {r.alpha_str:<36} {r.error:8.1e} {dt:9.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", default=["8000x1000", "16000x2000", "20000x2000", "40000x4000",
                                                   "80000x8000"], help="MxN pairs")
    ap.add_argument("--fit-n-max", type=int, default=2000)
    ap.add_argument("--digits", type=int, default=30)
    args = ap.parse_args()
    exact_table([tuple(map(int, s.lower().split("x"))) for s in args.sizes])
    fit_table(args.fit_n_max)
    threshold_table(args.digits)


if __name__ == "__main__":
    main()
