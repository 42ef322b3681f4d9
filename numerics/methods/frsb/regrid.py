"""Solving on an h grid that follows the iterate: re-planned (docs/theory.md §4.8, numerics/methods/frsb/grid.py)
when a density loses mass during the iteration (a wider window, or a finer spacing where that holds the densities
better) or the iterate asks for a finer spacing, and from the solution if the rules ask for more."""
from __future__ import annotations

import numpy as np

from relu_injectivity.machinery.results import ConvergenceError
from relu_injectivity.methods.frsb import grid as _grid
from relu_injectivity.methods.frsb.problem import GridTooSmall

GRID_EPS_FACTOR = 0.1
"""The grid is planned for an energy error GRID_EPS_FACTOR * tol."""
MASS_TOL = 1e-6
"""A density losing more mass than max(MASS_TOL, 1000 eps) through the window ends triggers a larger grid."""
MAX_REGRID = 6


def solve_adaptive(prob, alpha, q, chi, tol, eps, user_grid, bar):
    """Solve, growing the grid when the iterate outgrows it: re-planned from the current (q, chi) when a density
    loses mass through the window ends during the iteration, and from the solution if the rules ask for more."""
    stages, iterations, history = [], 0, []
    mass_tol = None if user_grid else max(MASS_TOL, 1e3 * eps)
    for _ in range(MAX_REGRID):
        try:
            sol = prob.solve(alpha, q, chi, tol, bar, mass_tol, None if user_grid else eps)
        except GridTooSmall as exc:
            q, chi = exc.q, exc.chi
            stages.append((prob.grid.describe(), exc.why))
            prob.regrid(_larger(prob, alpha, exc, eps))
            continue
        stages.append((prob.grid.describe(), sol.iterations))
        iterations += sol.iterations
        history += sol.residual_history
        if user_grid:
            _grid.check(prob.grid, sol.chi, sol.q, eps / GRID_EPS_FACTOR, what=f"FRSB at alpha = {alpha}", x_last=prob.x[-1])
            break
        need_h, need_p = _grid.requirements(sol.chi, sol.q, eps, prob.x[-1])
        if need_h <= min(prob.grid.left, prob.grid.right) and need_p <= round(1 / prob.grid.dh):
            break
        prob.regrid(_grid.plan(sol.chi, sol.q, eps, margin=1.1, x_last=prob.x[-1]))
        q, chi = sol.q, sol.chi
    else:
        raise ConvergenceError(f"FRSB at alpha = {alpha}: the h grid had to be enlarged {MAX_REGRID} times",
                               {"stages": stages})
    sol.extra["stages"] = stages
    sol.iterations, sol.residual_history = iterations, history
    return sol


def _larger(prob, alpha, exc, eps):
    """The next grid after GridTooSmall at (exc.q, exc.chi): a wider window (1.4 x, or the rules' 1.2 x) or, for a
    mass error, twice the points per unit if that holds the densities better there (mass is lost through the window
    ends, or by a level whose exp(x_i F) the spacing does not resolve, e.g. x_i = 10..30 at k = 200)."""
    need_h, need_p = _grid.requirements(exc.chi, exc.q, eps, prob.x[-1])
    have_h, have_p = min(prob.grid.left, prob.grid.right), round(1 / prob.grid.dh)
    wider = _grid.build(max(1.4 * have_h, 1.2 * need_h), max(need_p, have_p))
    if exc.spacing:
        return wider
    finer = _grid.build(have_h, max(need_p, 2 * have_p))

    def mass_error(g):
        return float(np.max(np.abs(prob.recursion(alpha, g).evaluate(exc.q, exc.chi).masses - 1)))

    return min((wider, finer), key=mass_error)
