"""Start points of the fixed-point iteration (docs/theory.md §4.7).

* The cold start q = linspace(0.7, 1, k+1), chi = 0.06 (the authors').
* Where the breakpoints reach beyond CONTINUE_ABOVE, also the *profile start*: the solution on the authors' grid
  linspace(0.01, PROFILE_XMAX, PROFILE_K) read as a step function q(x) at the breakpoints (constant beyond its last
  breakpoint), with its chi: a second stationary point to select from (from the profile start at xmax = 14, k = 8
  the iterate reaches a point with the top levels collapsed whose functional is 1e-5 below the cold start's).  Both
  are solved and the larger functional is taken (energy_solve._select).
* A start is *reopened*: increments of q below REOPEN are raised to it (q renormalised to q_k = 1).  A level with
  dq_i = 0 is invariant under the update (docs/theory.md §5b.8): a start that carries a collapsed level (from another
  alpha, or beyond the profile's last breakpoint) would keep it collapsed whatever the fixed point wants; from a
  reopened start the update decides.  This does not remove the several stationary points of §4.7 (the warm chain's
  alpha = 6 point of issue 14 is reached from the reopened start too): those are selected by the functional.
"""
from __future__ import annotations

import numpy as np

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery.results import ConvergenceError

COLD_Q = (0.7, 1.0)
COLD_CHI = 0.06
"""Cold start (docs/theory.md §4.7): q = linspace(0.7, 1, k+1), chi = 0.06."""
REOPEN = 1e-6
"""Smallest increment of q of a start point."""
CONTINUE_ABOVE = 12.0
"""Breakpoints above this: the profile start too."""
PROFILE_K, PROFILE_XMAX, PROFILE_TOL = 30, 10.0, 1e-5
"""The problem whose solution is the profile start, and its tolerance."""


def reopened(q):
    """q with every increment dq_1..dq_k raised to at least REOPEN (q_0 and q_k = 1 kept)."""
    q = np.asarray(q, dtype=float)
    dq = np.diff(q, prepend=0.0)
    if dq[1:].min() >= REOPEN:
        return q
    dq[1:] = np.maximum(dq[1:], REOPEN)
    dq[1:] *= (1.0 - dq[0]) / dq[1:].sum()
    return kernels.numba("frsb").frsb_levels_q_from_increments(dq)


def profile(q_src, x_src, x):
    """The step function q(x) = q_i on (x_{i-1}, x_i] of a solution at breakpoints x_src, read at the breakpoints x
    (q = q_{k-1} beyond the last one), with q_k = 1: q_0..q_k for x."""
    q_src = np.asarray(q_src, dtype=float)
    j = np.minimum(np.searchsorted(np.asarray(x_src, dtype=float), np.asarray(x, dtype=float)), len(x_src) - 1)
    return np.concatenate([q_src[j], [1.0]])


def cold(k):
    """(q, chi) of the authors' cold start for k levels."""
    return np.linspace(*COLD_Q, k + 1), COLD_CHI


def fresh(alpha, x, solve_profile):
    """[(name, q, chi)]: the cold start, and where x_{k-1} > CONTINUE_ABOVE the profile start;
    ``solve_profile(alpha, k, xmax, tol)`` returns an EnergyResult of frsb (if it fails, there is no profile start)."""
    starts = [("cold", *cold(len(x)))]
    if x[-1] > CONTINUE_ABOVE:
        try:
            src = solve_profile(alpha, PROFILE_K, PROFILE_XMAX, PROFILE_TOL).diagnostics
        except ConvergenceError:
            return starts
        starts.append(("profile", reopened(profile(src["q"][:-1], src["x"], x)), float(src["chi"])))
    return starts
