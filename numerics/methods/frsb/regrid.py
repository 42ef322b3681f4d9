"""Solving on an h grid that follows the iterate (docs/theory.md §4.8, numerics/methods/frsb/grid.py): re-planned
when a density loses mass during the iteration (a wider window, or a finer spacing where that holds the densities
better) or the iterate asks for a finer spacing; at the solution, once more on the grid the rules plan from it (a
grid grown in the transient is larger than needed, and two starts that reach one fixed point then share the grid),
with a wider window where the densities lose more than eps of their mass."""
from __future__ import annotations

import math

import numpy as np

from relu_injectivity.machinery.results import ConvergenceError
from relu_injectivity.methods.frsb import grid as _grid
from relu_injectivity.methods.frsb.problem import SPACING_SLACK, GridTooSmall

GRID_EPS_FACTOR = 0.1
"""The grid is planned for an energy error GRID_EPS_FACTOR * tol."""
MASS_TOL = 1e-6
"""A density losing more mass than max(MASS_TOL, 1000 eps) through the window ends triggers a larger grid."""
MAX_REGRID = 8
WIDEN = 1.25
"""A solution whose densities lose more than eps of their mass through the window ends is solved again on a
window WIDEN x wider: with large breakpoints the levels' densities are tilted by exp(x_i F_i) far beyond the
Gaussian tails of the window rule (k = 50, xmax = 30, alpha = 6: the rule's window +-24 loses 3e-6 of the mass and
moves estar by 5e-6).  Once a wider window no longer halves the mass error, what remains is the quadrature's
(k = 4, tol = 1e-10: 1.2e-11 on any window) and the window is kept."""


def solve_adaptive(prob, alpha, q, chi, tol, eps, user_grid, bar):
    """Solve, growing the grid when the iterate outgrows it, and finish on the grid planned from the solution (if
    the iterate outgrows that one, or the re-plans run out, the solution found before on a grid that holds it is
    kept)."""
    stages, iterations, history = [], 0, []
    mass_tol = None if user_grid else max(MASS_TOL, 1e3 * eps)
    kept, widen, last_mass = None, 1.0, np.inf
    for _ in range(MAX_REGRID):
        try:
            sol = prob.solve(alpha, q, chi, tol, bar, mass_tol, None if user_grid else eps)
        except GridTooSmall as exc:
            stages.append((prob.grid.describe(), exc.why))
            if kept is not None:
                break
            q, chi = exc.q, exc.chi
            prob.regrid(_larger(prob, alpha, exc, eps))
            continue
        stages.append((prob.grid.describe(), sol.iterations))
        iterations += sol.iterations
        history += sol.residual_history
        if user_grid:
            _grid.check(prob.grid, sol.chi, sol.q, eps / GRID_EPS_FACTOR, what=f"FRSB at alpha = {alpha}", x_last=prob.x[-1])
            kept = (prob.grid, sol)
            break
        mass_error = float(np.max(np.abs(sol.evaluation.masses - 1)))
        if mass_error > eps and mass_error < last_mass / 2:
            last_mass = mass_error
            stages[-1] = (prob.grid.describe(), f"{sol.iterations} iterations; mass error {mass_error:.1e} at the "
                                                "solution")
            widen *= WIDEN
            prob.regrid(_grid.build(WIDEN * min(prob.grid.left, prob.grid.right), round(1 / prob.grid.dh)))
            q, chi = sol.q, sol.chi
            continue
        need_h, need_p = _grid.requirements(sol.chi, sol.q, eps, prob.x[-1])
        planned = _grid.plan(sol.chi, sol.q, eps, margin=1.1 * widen, x_last=prob.x[-1])
        if need_h <= min(prob.grid.left, prob.grid.right) and need_p <= round(1 / prob.grid.dh):
            done = kept is not None or (planned.M, planned.dh) == (prob.grid.M, prob.grid.dh)
            kept = (prob.grid, sol)
            if done:
                break
        prob.regrid(planned)
        q, chi = sol.q, sol.chi
    if kept is None:
        raise ConvergenceError(f"FRSB at alpha = {alpha}: the h grid had to be re-planned {MAX_REGRID} times",
                               {"stages": stages})
    if kept[0] is not prob.grid:
        prob.regrid(kept[0])
        sol = kept[1]
        stages.append((prob.grid.describe(), "kept"))
    sol.extra["stages"] = stages
    sol.iterations, sol.residual_history = iterations, history
    return sol


def _larger(prob, alpha, exc, eps):
    """The next grid after GridTooSmall at (exc.q, exc.chi): for a spacing error the same window (or the rules')
    with SPACING_SLACK x the points per unit asked for; for a mass error a wider window (1.4 x, or the rules' 1.2 x)
    or twice the points per unit if that holds the densities better there (mass is lost through the window
    ends, or by a level whose exp(x_i F) the spacing does not resolve, e.g. x_i = 10..30 at k = 200)."""
    need_h, need_p = _grid.requirements(exc.chi, exc.q, eps, prob.x[-1])
    have_h, have_p = min(prob.grid.left, prob.grid.right), round(1 / prob.grid.dh)
    if exc.spacing:
        return _grid.build(max(have_h, need_h), math.ceil(SPACING_SLACK * max(need_p, have_p)))
    wider = _grid.build(max(1.4 * have_h, 1.2 * need_h), max(need_p, have_p))
    finer = _grid.build(have_h, max(need_p, 2 * have_p))

    def mass_error(g):
        return float(np.max(np.abs(prob.recursion(alpha, g).evaluate(exc.q, exc.chi).masses - 1)))

    return min((wider, finer), key=mass_error)
