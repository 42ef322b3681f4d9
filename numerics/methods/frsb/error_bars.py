"""The error bar of an FRSB value: the solver error, measured by continuing the iteration, and the grid error,
measured on a finer h grid at the same (q, chi) (docs/errors.md)."""
from __future__ import annotations

from relu_injectivity.methods.frsb import grid as _grid

ROUNDOFF = 1e-12
"""Floor of the error bar: round-off accumulated through the recursion (k = 1 reproduces 1-RSB to ~3e-13)."""
REFINE = 30.0
"""The solver error of a solution at tol is measured by continuing to tol/REFINE (the refined value is returned)."""
NOISE_MULTIPLE = 10.0
"""The continuation stops at tol/REFINE or at NOISE_MULTIPLE times the round-off level of the map."""


def refine(prob, alpha, sol, tol, bar=None):
    """Continue the iteration from ``sol`` to tol/REFINE; the change of estar estimates the solver error of sol
    (near-unit eigenvalues of the update's Jacobian make the residual a poor measure of the distance to the fixed
    point, so the error is measured, not inferred)."""
    floor = NOISE_MULTIPLE * sol.extra["recursion"].noise_floor
    fine = prob.solve(alpha, sol.q, sol.chi, max(tol / REFINE, floor, 1e-13), bar)
    fine.extra["stages"] = sol.extra.get("stages", []) + [(prob.grid.describe(), fine.iterations)]
    fine.extra["estar_at_tol"] = sol.evaluation.estar
    fine.extra["functional_change"] = abs(prob.value(fine) - prob.value(sol))
    fine.iterations += sol.iterations
    fine.residual_history = sol.residual_history + fine.residual_history
    fine.rejected += sol.rejected
    return fine, abs(fine.evaluation.estar - sol.evaluation.estar)


def grid_error(prob, alpha, sol):
    """Change of estar (and of the functional) at the same (q, chi) on a finer h grid (1.2 x the window, 1.5 x the
    points per unit): the evaluation error of the grid."""
    g = prob.grid
    fine = _grid.finer(g)
    ev_f = prob.recursion(alpha, fine).evaluate(sol.q, sol.chi)
    f_f = prob.functional(sol.q, sol.chi, ev_f)
    return abs(ev_f.estar - sol.evaluation.estar), {"check_grid": fine.describe(), "estar_check_grid": ev_f.estar,
                                                    "functional_check_grid": f_f}


def functional_error(prob, sol, details):
    """Error of the functional at a refined solution: its change under the refinement + its change on the check
    grid (``details`` of :func:`grid_error`) + round-off (the functional is stationary: solver errors enter it at
    second order)."""
    return sol.extra["functional_change"] + abs(details["functional_check_grid"] - prob.value(sol)) + ROUNDOFF


def bars(prob, alpha, sol):
    """(grid error, check-grid details, functional error) of a refined solution."""
    grid_err, details = grid_error(prob, alpha, sol)
    return grid_err, details, functional_error(prob, sol, details)
