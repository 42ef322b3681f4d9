"""A small bracket of the FRSB threshold by secant steps along alpha (each evaluation starts close to the previous
solution, so late evaluations take a few iterations); the root itself is machinery.roots.brent's."""
from __future__ import annotations

from relu_injectivity.machinery.results import ConvergenceError
from relu_injectivity.methods.frsb.validation import sat_alpha

ALPHA_MAX = 100.0
"""Upper end of the search in alpha."""


def secant_bracket(f, a, b, tol, max_steps=30):
    """A small bracket [lo, hi] of the root of the increasing function f, found by secant steps from b (each
    evaluation then starts close to the previous solution): (lo, hi, last iterate, last step).  Raises
    ConvergenceError if none is found in (sat_alpha, ALPHA_MAX)."""
    floor = sat_alpha() + 1e-3
    x0, f0 = b, f(b)
    x1 = b - 0.02 * (b - a)
    f1 = f(x1)
    span = b - a
    for _ in range(max_steps):
        slope = (f1 - f0) / (x1 - x0)
        if not slope > 0:
            raise ConvergenceError("FRSB threshold: estar(alpha) not increasing", {"alpha": (x0, x1),
                                                                                   "estar - 1": (f0, f1)})
        x2 = min(max(x1 - f1 / slope, x1 - span, floor), x1 + span, ALPHA_MAX)
        f2 = f(x2)
        x0, f0, x1, f1 = x1, f1, x2, f2
        if abs(x1 - x0) < tol / 4 or f1 == 0:
            break
    d = max(tol, 2 * abs(x1 - x0))
    for _ in range(20):
        lo, hi = max(x1 - d, floor), min(x1 + d, ALPHA_MAX)
        if f(lo) <= 0 <= f(hi):
            return lo, hi, x1, abs(x1 - x0)
        d *= 4
    raise ConvergenceError(f"FRSB threshold: no sign change of estar - 1 found in ({sat_alpha():g}, {ALPHA_MAX:g})",
                           {"last": x1})
