"""One run of the k-step FRSB solver: breakpoints, backend and h grid, the fixed point at given alpha, the
functional at a solution (docs/theory.md §4.7-4.8)."""
from __future__ import annotations

import numpy as np

from relu_injectivity.methods.frsb import grid as _grid
from relu_injectivity.methods.frsb import solver as _solver
from relu_injectivity.methods.frsb.error_bars import REFINE
from relu_injectivity.methods.frsb.levels import Levels
from relu_injectivity.methods.frsb.recursion import Recursion, fft_limit
from relu_injectivity.methods.frsb.validation import backend as _backend

FFT_NOISE_RATIO = 100.0
"""Levels are convolved by FFT while its round-off stays below (smallest tol of the run)/FFT_NOISE_RATIO; above
that breakpoint by the direct sums of numerics/machinery/fourier.py, which keep full relative precision."""
MEMORY_LIMIT = 4 * 2**30
"""Largest estimated working set of one evaluation (bytes) accepted before allocating (docs/theory.md §4.8)."""
SPACING_SLACK = 1.25
"""During the iteration the grid is refined when the iterate asks for more than this times its points per unit."""
ARRAYS_PER_LEVEL = 3
"""F_i, dF_i/dh and p_i are held for every level (plus a few grid-long work arrays)."""


def fft_up_to(tol):
    """Largest breakpoint convolved by FFT for a run whose smallest tolerance is tol/REFINE."""
    return fft_limit(tol / REFINE / FFT_NOISE_RATIO)


def memory_check(k, grid, what="FRSB"):
    """ValueError, before anything is allocated, when k levels on this grid would need more than MEMORY_LIMIT."""
    need = (ARRAYS_PER_LEVEL * k + 16) * grid.M * 8
    if need > MEMORY_LIMIT:
        max_k = max(int((MEMORY_LIMIT / (8 * grid.M) - 16) // ARRAYS_PER_LEVEL), 0)
        raise ValueError(f"{what}: k = {k} levels on a grid of {grid.M} points need about {need / 2**30:.1f} GiB, "
                         f"above the limit of {MEMORY_LIMIT / 2**30:.0f} GiB (frsb.MEMORY_LIMIT); at this alpha and "
                         f"tol use k <= {max_k}" + ("" if max_k else " (the grid alone is too large: a smaller "
                                                                     "alpha or a larger tol)"))


def progress_bar(progress, total, desc):
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, leave=False, unit="it", dynamic_ncols=True)


class GridTooSmall(Exception):
    """A density lost more mass through the window ends than allowed, or the iterate's last increment asks for a
    finer spacing than the grid has: the iterate has outgrown the h grid."""

    def __init__(self, q, chi, mass_error, why=None):
        super().__init__(why or f"density mass error {mass_error:.2e}")
        self.q, self.chi, self.mass_error, self.spacing = q, chi, mass_error, why is not None
        self.why = why or "grid outgrown (mass error %.1e)" % mass_error


class Problem:
    """Breakpoints, backend and grid of one run; solves (q, chi) at given alpha."""

    def __init__(self, x, backend, grid, max_iter, tol):
        memory_check(len(x), grid)
        self.x, self.grid, self.max_iter = x, grid, max_iter
        self.fft_up_to = fft_up_to(tol)
        self.backend = _backend(backend, grid)
        self.levels = Levels(x)

    def recursion(self, alpha, grid=None):
        return Recursion(self.backend, grid or self.grid, self.x, alpha, fft_up_to=self.fft_up_to)

    def solve(self, alpha, q, chi, tol, bar=None, mass_tol=None, eps=None):
        """Fixed point at alpha from (q, chi); with ``mass_tol``, GridTooSmall as soon as a density loses more
        mass than that through the ends of the window, and (with ``eps``, the energy accuracy the grid is planned
        for) as soon as the iterate asks for more points per unit of h than the grid has (the iterate has moved
        where the grid cannot follow: a too coarse spacing corrupts the FFT derivative of the upper levels while
        the masses still look right)."""
        rec = self.recursion(alpha)
        have_p = round(1 / self.grid.dh)

        def monitor(ev, q, chi):
            if mass_tol is None:
                return
            mass_error = float(np.max(np.abs(ev.masses - 1)))
            if mass_error > mass_tol:
                raise GridTooSmall(q, chi, mass_error)
            if eps is not None:
                need_p = _grid.requirements(chi, q, eps, self.x[-1])[1]
                if need_p > SPACING_SLACK * have_p:
                    raise GridTooSmall(q, chi, mass_error, f"spacing: {need_p} points per unit needed, {have_p} held")

        sol = _solver.solve(rec, self.levels, q, chi, tol=tol, max_iter=self.max_iter, progress=bar,
                            monitor=monitor, what=f"FRSB fixed point at alpha = {alpha} (k = {len(self.x)})")
        sol.extra["recursion"] = rec
        return sol

    def functional(self, q, chi, evaluation):
        """The value of (FRSB-e) at (q, chi) from the energetic term of a recursion's evaluation."""
        return self.levels.functional(q, chi, evaluation.energetic)

    def value(self, sol):
        """The functional at a solution of :meth:`solve`."""
        return self.functional(sol.q, sol.chi, sol.evaluation)

    def regrid(self, grid):
        memory_check(len(self.x), grid)
        self.grid = grid
        self.backend = _backend(self.backend, grid)
