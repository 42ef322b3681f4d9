"""The r-RSB ladder with optimised breakpoints and alpha_FRSB as its limit (docs/ladder.md).

    nice python benchmarks/ladder.py [--max-steps R] [--alpha A] [--route newton|fixed-point] [--fixed-grid]
                                     [--json FILE]

Prints: the ladder (r, alpha_r, error, |estar - functional|, time, breakpoints), the fits of the limit r -> inf
(every model, every r_min, leave-one-out), alpha_FRSB with its error bar, the checks (ladder strictly
decreasing, limit below every rung) and the times (the r = 3 threshold from scratch; the whole computation).
With --alpha, the same for the energies e_r(alpha) and e_FRSB(alpha).  --fixed-grid also computes the threshold of
the functional of the fixed-grid k-step method (k = 30, xmax = 10), an upper bound on alpha_FRSB, and checks that
the limit lies below it.
"""
from __future__ import annotations

import argparse
import json
import time

from relu_injectivity.methods import rsb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-steps", type=int, default=12)
    ap.add_argument("--alpha", type=float, default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--solver-tol", type=float, default=1e-10)
    ap.add_argument("--fixed-grid", action="store_true")
    ap.add_argument("--route", default="newton", choices=("newton", "fixed-point"))
    a = ap.parse_args()

    t0 = time.perf_counter()
    r3 = rsb.threshold(steps=3, solver_tol=a.solver_tol, route=a.route)
    t_r3 = time.perf_counter() - t0
    print(f"r = 3 threshold from scratch: {r3.alpha!r} +- {r3.error:.1e}   ({t_r3:.1f} s)")

    def show(row):
        print(f"  rung {row['r']:>2}: {row['value']:.12f} +- {row['error']:.1e}  ({row['time_s']:.1f} s)", flush=True)

    t0 = time.perf_counter()
    lad = rsb.ladder(a.max_steps, alpha=a.alpha, solver_tol=a.solver_tol, route=a.route, progress=show)
    total = time.perf_counter() - t0
    print()
    print(lad.table())
    lim = lad.limit
    if lim is not None:
        from relu_injectivity.methods.rsb import limit as fits

        step = abs(lad.values[-1] - lad.values[-2])
        print("\nfits (* defensible; model, r used, left out, limit, standard error, chi2/dof, parameters):")
        for f in lim.fits:
            mark = "*" if f.rms <= fits.MISFIT * step else " "
            print(f" {mark}{f.model:<9} r={f.r[0]}..{f.r[-1]:<3} out={str(f.left_out):>4}  {f.limit:.10f} "
                  f"+- {f.limit_error:.1e}  chi2/dof={f.chi2 / max(f.dof, 1):9.2e}  "
                  + " ".join(f"{p:.4g}" for p in f.params[1:]))
        print(f"\nlimit: {lim.limit:.10f} +- {lim.error:.1e}   budget: "
              + ", ".join(f"{k} {v:.1e}" for k, v in lim.budget.items()))
        v = lad.values
        sign = -1 if lad.kind == "threshold" else 1
        print(f"checks: strictly monotone: {bool(all(sign * (v[1:] - v[:-1]) > 0))}; "
              f"limit beyond every rung: {bool(all(sign * (lim.limit - v) > 0))}; "
              f"max |estar - functional|: {max(abs(r['estar_minus_functional']) for r in lad.rows):.1e}")
        print("fit-free tail check: " + ", ".join(f"{k} {v:.10g}" for k, v in lim.tail.items()))
    if a.fixed_grid and lad.kind == "threshold" and lim is not None:
        from relu_injectivity.methods import frsb

        t = frsb.threshold(k=30, xmax=10.0)
        af = t.diagnostics["alpha_functional"]
        print(f"fixed grid k = 30, xmax = 10: estar root {t.alpha!r}, functional root {af!r}; "
              f"limit below the functional root: {lim.limit + lim.error < af}")
    print(f"\ntimes: r = 3 threshold {t_r3:.1f} s; ladder r = 1..{a.max_steps} {total:.1f} s")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(lad.to_dict(), fh, default=float)


if __name__ == "__main__":
    main()
