"""Wall time of every registered threshold, double precision and (where supported) mpmath.

    python benchmarks/thresholds.py [--digits 30 50] [--repeat 3] [--methods rs dat ...]

Each row is the best of `repeat` runs after one warm-up run (Numba cache loaded, kernels compiled).
"""
from __future__ import annotations

import argparse
import time

import relu_injectivity as numerics


def best_time(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = fn()
        times.append(time.perf_counter() - t0)
    return min(times), r


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--digits", type=int, nargs="*", default=[30, 50])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--methods", nargs="*", default=None)
    args = ap.parse_args()
    methods = args.methods or [m for m, s in numerics.METHODS.items() if s.all_params is not None]
    print(f"{'method':<16} {'digits':>6} {'time [s]':>10}  {'alpha':<40} {'error':>9}")
    for m in methods:
        params = dict(numerics.METHODS[m].all_params or {})
        t, r = best_time(lambda: numerics.threshold(m, **params), args.repeat)
        print(f"{m:<16} {'double':>6} {t:10.4f}  {r.alpha_str:<40} {r.error:9.1e}")
        if "digits" in numerics.parameters(m, "threshold"):
            for d in args.digits:
                t, r = best_time(lambda: numerics.threshold(m, **params, digits=d), 1)
                print(f"{m:<16} {d:>6} {t:10.4f}  {r.alpha_str[:40]:<40} {r.error:9.1e}")


if __name__ == "__main__":
    main()
