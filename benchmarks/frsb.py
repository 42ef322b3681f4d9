"""Benchmarks and accuracy studies of the k-step FRSB solver (numerics/frsb/).

    python benchmarks/frsb.py [--tables speed evaluation threshold scan grid gap] [--ks 1 30 100 200]
                              [--alphas 5.5 6 6.7] [--evaluation-pairs 50,30 400,30] [--threshold-pairs 30,10 100,15]
                              [--scan-pairs 100,15] [--scan-alphas 3 6 10] [--tol 1e-4]

Tables
* speed: wall time, iterations and peak memory (tracemalloc, NumPy buffers included, from a second traced
  call) of energy(alpha) per
  (k, alpha, backend) from the cold start, after one warm-up call (loads the Numba cache).  The headline row is
  k = 30, alpha = 6, tol = 1e-4 (the authors' JAX code: ~126 s on a 2-core CPU with N = 65730 per half window).
* evaluation: milliseconds per recursion at the cold start for (k, xmax) (default k = 50..400 at xmax = 30), with
  the levels above the FFT limit convolved by direct sums, and with every level convolved so.
* threshold: the root of estar(alpha) = 1 for each (k, xmax) (default (30, 10), (100, 10), (200, 10), (100, 15),
  (200, 15)), with the functional's root (Newton at fixed breakpoints, an upper bound on alpha_FRSB) and both
  error bars, and the time.
* scan: estar(alpha) for alpha = 3..10 at (k, xmax) = (100, 15), (200, 15) (the authors' published scans, issue 14;
  other pairs, e.g. k = 400 or xmax = 20, 30, with --scan-pairs): each point warm-started from the previous one and
  selected against the fresh starts' fixed points (cold, and profile beyond x = 12; the larger functional), with the
  error bar, which start won, the start spread in the bar (points the functional cannot tell apart) and, for each
  other start, its functional and estar minus the selected ones; a failure is a row of its own.
* grid: the accuracy study behind numerics/frsb/grid.py: estar and the functional at the alpha = 6, k = 30 fixed
  point evaluated on windows and spacings, against a reference grid (half-width 45, 128 points per unit).
* gap: the estimator gap estar - functional against the dilation derivative sum_i x_i de/dx_i (central difference
  of the functional under x -> (1 +- 1e-4) x), and the gap for several (k, xmax).
"""
from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from relu_injectivity.machinery import backends
from relu_injectivity.machinery.results import ConvergenceError
from relu_injectivity.methods import frsb
from relu_injectivity.methods.frsb import grid as fgrid
from relu_injectivity.methods.frsb import problem, start
from relu_injectivity.methods.frsb.levels import Levels
from relu_injectivity.methods.frsb.recursion import Recursion


def available_backends():
    names = ["cpu"]
    if backends.gpu_available()[0]:
        names.append("gpu")
    return names


def measured(fn, memory=True):
    """(result, wall time, peak traced memory): the time from an untraced call, the memory from a second call
    under tracemalloc (which slows NumPy allocations down too much to time under it)."""
    t0 = time.perf_counter()
    r = fn()
    dt = time.perf_counter() - t0
    peak = float("nan")
    if memory:
        tracemalloc.start()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return r, dt, peak


def speed(ks, alphas, tol):
    frsb.energy(6.0, k=2, xmax=4.0, tol=1e-6)        # warm-up: Numba cache
    print(f"\n## speed: energy(alpha) from the cold start, tol = residual bound (then refined to tol/30 for the "
          f"error bar)\n")
    print(f"{'k':>4} {'alpha':>6} {'backend':<8} {'tol':>7} {'time [s]':>9} {'iters':>6} {'peak MB':>8} {'M':>6} "
          f"{'estar':>14} {'error':>8} {'functional':>14}")
    for k in ks:
        for a in alphas:
            for b in available_backends():
                r, dt, peak = measured(lambda: frsb.energy(a, k=k, xmax=10.0, tol=tol, backend=b))
                d = r.diagnostics
                print(f"{k:>4} {a:>6g} {b:<8} {tol:>7.0e} {dt:>9.2f} {d['iterations']:>6} {peak / 2**20:>8.1f} "
                      f"{d['grid']['M']:>6} {r.energy:>14.10f} {r.error:>8.1e} {d['functional']:>14.10f}", flush=True)


def evaluation(pairs, tol):
    """One recursion (backward + forward pass and the integrals) at the cold start on the grid planned for it, per
    (k, xmax) and backend: the levels above the FFT limit of tol (problem.fft_up_to) are convolved by direct sums;
    the last column convolves every level by direct sums."""
    up = problem.fft_up_to(tol)
    print(f"\n## evaluation: one recursion at the cold start (alpha = 6), levels with x > {up:.1f} direct "
          f"(the FFT limit of tol = {tol:g})\n")
    print(f"{'k':>4} {'xmax':>5} {'backend':<8} {'M':>6} {'direct':>6} {'ms/eval':>8} {'ms/eval all direct':>19}")
    for k, xmax in pairs:
        x = np.linspace(0.01, xmax, k)
        q, chi = start.cold(k)
        g = fgrid.plan(chi, q, tol / 10, margin=1.1, x_last=xmax)
        for b in available_backends():
            row = []
            for limit in (up, 0.0):
                rec = Recursion(backends.get(b), g, x, 6.0, fft_up_to=limit)
                rec.evaluate(q, chi)
                t0 = time.perf_counter()
                for _ in range(5):
                    rec.evaluate(q, chi)
                row.append((time.perf_counter() - t0) / 5 * 1e3)
            print(f"{k:>4} {xmax:>5g} {b:<8} {g.M:>6} {int(np.sum(x > up)):>6} {row[0]:>8.1f} {row[1]:>19.1f}",
                  flush=True)


def thresholds(pairs, tol):
    print(f"\n## threshold: root of estar(alpha) = 1, tol = {tol:g} (alpha)\n")
    print(f"{'k':>4} {'xmax':>5} {'time [s]':>9} {'alpha (estar)':>16} {'error':>8} {'alpha (functional)':>19} "
          f"{'error':>8} {'active':>6} {'chi':>10} {'evals':>6}")
    for k, xmax in pairs:
        r, dt, peak = measured(lambda: frsb.threshold(k=k, xmax=xmax, tol=tol), memory=False)
        d = r.diagnostics
        af, afe = d.get("alpha_functional"), d.get("alpha_functional_error")
        afs = f"{af:>19.9f} {afe:>8.1e}" if af is not None else f"{'failed':>19} {'':>8}"
        print(f"{k:>4} {xmax:>5g} {dt:>9.1f} {r.alpha:>16.9f} {r.error:>8.1e} {afs} "
              f"{d.get('alpha_functional_active_levels', 0):>6} {d['chi']:>10.6f} {len(d['evaluations']):>6}",
              flush=True)


def scan_table(pairs, alphas, tol):
    """The authors' xmax = 15 scans (and any other (k, xmax)): a warm-started chain along alpha, each point solved
    from the warm and the cold (or profile) start and selected by the larger functional; a failure is a row of its
    own and the chain goes on from the last point solved."""
    print(f"\n## scan: estar(alpha) warm-started along alpha, tol = {tol:g}\n")
    print(f"{'k':>4} {'xmax':>5} {'alpha':>6} {'time [s]':>9} {'estar':>14} {'error':>8} {'functional':>14} "
          f"{'start':>7} {'its':>5} {'spread':>8}  other starts: functional/estar - selected")
    for k, xmax in pairs:
        prev = None
        for a in alphas:
            t0 = time.perf_counter()
            try:
                r = frsb.energy(a, k=k, xmax=xmax, tol=tol, init=prev)
            except ConvergenceError as exc:
                print(f"{k:>4} {xmax:>5g} {a:>6g} {time.perf_counter() - t0:>9.1f} FAILED: {str(exc)[:150]}",
                      flush=True)
                continue
            dt = time.perf_counter() - t0
            d = r.diagnostics
            others = " ".join(
                f"{c['start']}:" + ("failed" if c["estar"] is None
                                    else f"{c['functional'] - d['functional']:+.1e}/{c['estar'] - r.energy:+.1e}")
                for c in d["candidates"] if c["start"] != d["start"])
            print(f"{k:>4} {xmax:>5g} {a:>6g} {dt:>9.1f} {r.energy:>14.10f} {r.error:>8.1e} {d['functional']:>14.10f} "
                  f"{d['start']:>7} {d['iterations']:>5} {d['start_spread']:>8.1e}  {others}", flush=True)
            prev = r


def grid_study():
    k, a = 30, 6.0
    x = np.linspace(0.01, 10.0, k)
    sol = frsb.energy(a, k=k, xmax=10.0, tol=1e-9)
    q, chi = np.array(sol.diagnostics["q"]), sol.diagnostics["chi"]
    lv = Levels(x)
    b = backends.cpu()
    sigma = 1 / np.sqrt(2 * chi)
    s_k = np.sqrt((1 - q[-2]) / (2 * chi))

    def ev(hw, ppu):
        g = fgrid.build(hw, ppu)
        t0 = time.perf_counter()
        e = Recursion(b, g, x, a).evaluate(q, chi)
        return e.estar, lv.entropic(q, chi) + e.energetic, g.M, time.perf_counter() - t0

    ref = ev(45.0, 128)
    print(f"\n## grid: alpha = 6, k = 30, xmax = 10 at its fixed point (chi = {chi:.6f}, field spread "
          f"1/sqrt(2chi) = {sigma:.3f}, last-step width s_k = {s_k:.3f}); reference half-width 45, 128/unit\n")
    print(f"{'half-width':>10} {'/sigma':>7} {'pts/unit':>8} {'M':>6} {'estar - ref':>12} {'functional - ref':>17} "
          f"{'eval [ms]':>9}")
    for hw, ppu in [(14, 32), (16, 32), (18, 32), (20, 32), (22, 32), (24, 32), (28, 32),
                    (30, 12), (30, 16), (30, 20), (30, 24), (30, 32), (30, 48)]:
        e, f, M, dt = ev(float(hw), ppu)
        print(f"{hw:>10} {hw / sigma:>7.2f} {ppu:>8} {M:>6} {e - ref[0]:>12.1e} {f - ref[1]:>17.1e} {dt * 1e3:>9.1f}")
    for eps in (1e-5, 1e-8, 1e-10):
        hw, ppu = fgrid.requirements(chi, q, eps)
        print(f"plan for energy accuracy {eps:g}: half-width {hw:.1f}, {ppu} points per unit")
    print("authors' grid (docs/theory.md §4.8): half-width 40, N = 65730 intervals per half window (M = 131461)")


def gap_study():
    import numerics

    print("\n## gap: estar - functional vs the dilation derivative sum_i x_i de/dx_i (alpha = 6)\n")
    print(f"{'k':>4} {'xmax':>6} {'tol':>6} {'estar':>14} {'functional':>14} {'gap':>11} {'dilation':>11} "
          f"{'gap - dil':>10}")
    c = float(numerics.energy("one-rsb", 6.0).diagnostics["c"])
    rows = [(1, None, [c], 1e-10), (4, 5.0, None, 1e-8), (30, 10.0, None, 1e-8), (30, 15.0, None, 1e-8),
            (60, 15.0, None, 1e-7), (60, 20.0, None, 1e-6)]
    for k, xmax, bp, tol in rows:
        x = np.array(bp) if bp is not None else np.linspace(0.01, xmax, k)
        r = frsb.energy(6.0, k=k, breakpoints=list(x), tol=tol)
        f = [frsb.energy(6.0, k=k, breakpoints=list(s * x), tol=tol, init=r).diagnostics["functional"]
             for s in (1 + 1e-4, 1 - 1e-4)]
        dil = (f[0] - f[1]) / 2e-4
        gap = r.diagnostics["estimator_gap"]
        label = f"{x[-1]:.4g}" + ("=c" if bp is not None else "")
        print(f"{k:>4} {label:>6} {tol:>6.0e} {r.energy:>14.10f} {r.diagnostics['functional']:>14.10f} {gap:>11.3e} "
              f"{dil:>11.3e} {gap - dil:>10.1e}", flush=True)


def _pairs(items):
    return [(int(p.split(",")[0]), float(p.split(",")[1])) for p in items]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", nargs="*", default=["speed", "evaluation", "threshold", "scan", "grid", "gap"])
    ap.add_argument("--ks", type=int, nargs="*", default=[1, 30, 100, 200])
    ap.add_argument("--alphas", type=float, nargs="*", default=[5.5, 6.0, 6.7])
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--evaluation-pairs", nargs="*", default=["50,30", "100,30", "200,30", "400,30"],
                    help="k,xmax pairs of the evaluation table")
    ap.add_argument("--evaluation-tol", type=float, default=1e-6)
    ap.add_argument("--threshold-pairs", nargs="*", default=["30,10", "100,10", "200,10", "100,15", "200,15"],
                    help="k,xmax pairs of the threshold table")
    ap.add_argument("--scan-pairs", nargs="*", default=["100,15", "200,15"], help="k,xmax pairs of the scan table")
    ap.add_argument("--scan-alphas", type=float, nargs="*", default=[3, 4, 5, 6, 7, 8, 9, 10])
    ap.add_argument("--scan-tol", type=float, default=2e-7)
    ap.add_argument("--threshold-tol", type=float, default=1e-6)
    args = ap.parse_args()
    print(f"backends available: {', '.join(available_backends())}")
    if "speed" in args.tables:
        speed(args.ks, args.alphas, args.tol)
    if "evaluation" in args.tables:
        evaluation(_pairs(args.evaluation_pairs), args.evaluation_tol)
    if "threshold" in args.tables:
        thresholds(_pairs(args.threshold_pairs), args.threshold_tol)
    if "scan" in args.tables:
        scan_table(_pairs(args.scan_pairs), args.scan_alphas, args.scan_tol)
    if "grid" in args.tables:
        grid_study()
    if "gap" in args.tables:
        gap_study()


if __name__ == "__main__":
    main()
