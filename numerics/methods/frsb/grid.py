"""Choice of the h grid for a target accuracy (the accuracy study behind the rules is in benchmarks/frsb.py).

Window.  The densities p_i have Gaussian tails of variance at most ``1/(2 chi)`` (the whole field, q_k = 1, in
units of h: the generated step variance of derive/frsb.py at dq = 1); cutting them at ``n sigma`` on either side costs about ``3 H(n)`` in the energy (H the Gaussian tail;
measured: alpha = 6, k = 30, sigma = 3.67: window +-20 -> 4e-9, +-22 -> 1.3e-10, +-24 -> 4e-12).  The same
window contains the wrap-around of the backward step (smoothing of the remaining variance, smaller).

Spacing.  Every FFT convolution acts on a smooth function; the sharpest one is ``F_{k-1}`` (the kinks of F_k at 0
and 1 smoothed over ``s_k = sqrt(dq_k/(2chi))``), which also sets the scale of g in the level-k quadrature
(Gregory, order 8).  Measured error ~ ``C (dh/s_k)^8`` with C ~ 7e-6 (alpha = 6, k = 30); the plan asks for
``C (dh/s)^8 <= eps`` with ``s = min(s_k, s_0)``, s_0 = sqrt(q_0/(2chi)) the width of p_0, and at least
``MIN_POINTS_PER_UNIT`` points per unit of h (so that 0 and 1 are nodes and the pieces carry the rule).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import erfcinv

from relu_injectivity.machinery import fourier
from relu_injectivity.machinery import kernels

MIN_POINTS_PER_UNIT = 16
SPACING_CONSTANT = 1e-5
TAIL_FACTOR = 3.0
LAST_SCALE = 8.0


def sigmas_for(eps: float) -> float:
    """n with TAIL_FACTOR * H(n) = eps."""
    return float(math.sqrt(2.0) * erfcinv(2.0 * min(eps / TAIL_FACTOR, 0.25)))


def requirements(chi: float, q, eps: float, x_last: float = 0.0) -> tuple[float, int]:
    """(half-width, points per unit of h) that the rules above ask for at (q, chi) and energy accuracy eps, with
    the largest breakpoint x_last (the level-k density exp(x_last F_k) g varies on the scale 1/x_last near the
    kinks: measured at x = 60, k = 4, alpha = 6, the mass error of p_k is ~SPACING_CONSTANT (x dh/LAST_SCALE)^8)."""
    q = np.asarray(q, dtype=float)
    variance = kernels.numba("frsb").frsb_step_variance           # in h, of a step dq in w (derive.frsb)
    half = sigmas_for(eps) * math.sqrt(variance(1.0, chi))         # the whole field: q_k - 0 = 1
    dq = np.diff(q, prepend=0.0)
    s = math.sqrt(variance(max(min(dq[-1], dq[0]), 1e-300), chi))
    if x_last > 0:
        s = min(s, LAST_SCALE / x_last)
    ppu = math.ceil((SPACING_CONSTANT / eps) ** 0.125 / s)
    return half, max(MIN_POINTS_PER_UNIT, ppu)


def build(half_width: float, points_per_unit: int) -> fourier.PeriodicGrid:
    return fourier.PeriodicGrid.covering(half_width, half_width, int(points_per_unit))


def finer(grid: fourier.PeriodicGrid) -> fourier.PeriodicGrid:
    """The check grid of the error bars: 1.2 x the window, 1.5 x the points per unit."""
    return build(1.2 * min(grid.left, grid.right), int(math.ceil(1.5 / grid.dh)))


def plan(chi: float, q, eps: float, *, half_width=None, points_per_unit=None, margin: float = 1.0, x_last=0.0):
    """The grid for accuracy eps: the user's half_width/points_per_unit where given, the rules' (times ``margin``
    for the window, which must also hold the solutions at nearby alpha) where not."""
    need_h, need_p = requirements(chi, q, eps, x_last)
    hw = half_width if half_width is not None else need_h * margin
    ppu = points_per_unit if points_per_unit is not None else need_p
    return build(hw, ppu)


def check(grid: fourier.PeriodicGrid, chi: float, q, eps: float, *, what: str, x_last=0.0):
    """ValueError when grid is coarser than the rules demand for accuracy eps at (q, chi)."""
    need_h, need_p = requirements(chi, q, eps, x_last)
    have_h = min(grid.left, grid.right)
    have_p = round(1.0 / grid.dh)
    bad = []
    if have_h < need_h * 0.999:
        bad.append(f"half_width >= {need_h:.3g} (got {have_h:.3g})")
    if have_p < need_p:
        bad.append(f"points_per_unit >= {need_p} (got {have_p})")
    if bad:
        raise ValueError(f"{what}: the h grid is too coarse for tol = {eps:g} at chi = {chi:.4g}: needs "
                         + " and ".join(bad) + "; leave half_width/points_per_unit unset to choose automatically")
