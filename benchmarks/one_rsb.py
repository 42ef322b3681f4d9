"""Wall times of the 1-RSB solver (numerics/one_rsb.py): threshold in double and mpmath, energies.

    python benchmarks/one_rsb.py [--repeat 3] [--digits 30] [--alphas 3 6 10]

Rows:
* "fresh process": `python -c 'numerics.threshold("one-rsb")'` end to end (interpreter, imports of NumPy,
  SciPy, Numba, loading the Numba cache); the kernels must already be compiled (run once before).
* "first call": the first threshold call in this process (loads the cached Numba kernels).
* the others: best of `repeat` calls after that (warm).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import relu_injectivity as numerics

ROOT = Path(__file__).resolve().parent.parent


def timed(fn):
    t0 = time.perf_counter()
    r = fn()
    return time.perf_counter() - t0, r


def best(fn, repeat):
    runs = [timed(fn) for _ in range(repeat)]
    return min(t for t, _ in runs), runs[-1][1]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--digits", type=int, default=30)
    ap.add_argument("--alphas", type=float, nargs="*", default=[3.0, 6.0, 10.0])
    args = ap.parse_args()

    code = "import numerics; numerics.threshold('one-rsb')"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)       # make sure the cache is warm
    fresh = min(timed(lambda: subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True))[0]
                for _ in range(args.repeat))

    rows = [("threshold, fresh process", "double", fresh, None, None)]
    t, r = timed(lambda: numerics.threshold("one-rsb"))
    rows.append(("threshold, first call", "double", t, r.alpha_str, r.error))
    t, r = best(lambda: numerics.threshold("one-rsb"), args.repeat)
    rows.append(("threshold", "double", t, r.alpha_str, r.error))
    t, r = timed(lambda: numerics.threshold("one-rsb", digits=args.digits))
    rows.append(("threshold", str(args.digits), t, r.alpha_str, r.error))
    for a in args.alphas:
        t, r = best(lambda: numerics.energy("one-rsb", a), args.repeat)
        rows.append((f"energy alpha={a:g}", "double", t, r.energy_str, r.error))
    t, r = timed(lambda: numerics.energy("one-rsb", 6.0, digits=20))
    rows.append(("energy alpha=6", "20", t, r.energy_str, r.error))

    print(f"{'what':<26} {'digits':>6} {'time [s]':>9}  {'value':<34} {'error':>8}")
    for what, dig, t, val, err in rows:
        print(f"{what:<26} {dig:>6} {t:9.3f}  {(val or '-'):<34} {('%8.1e' % err) if err is not None else '-':>8}")


if __name__ == "__main__":
    main()
