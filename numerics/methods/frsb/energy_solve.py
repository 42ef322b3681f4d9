"""frsb.energy: e*(alpha) of the k-step FRSB ansatz with its error bar (docs/theory.md §4)."""
from __future__ import annotations

import time

from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import ConvergenceError, EnergyResult
from relu_injectivity.methods.frsb import grid as _grid
from relu_injectivity.methods.frsb import start as _start
from relu_injectivity.methods.frsb import validation as _check
from relu_injectivity.methods.frsb.diagnostics import diagnostics
from relu_injectivity.methods.frsb.error_bars import REFINE, ROUNDOFF, grid_error, refine
from relu_injectivity.methods.frsb.problem import Problem, progress_bar
from relu_injectivity.methods.frsb.regrid import GRID_EPS_FACTOR, solve_adaptive

METHOD = _check.METHOD
SELECT_MARGIN = 1.0
"""Another start's fixed point replaces the cold start's only if its functional is larger by more than this times
tol."""


def energy(alpha, *, k=30, xmax=10.0, tol=1e-7, backend="auto", breakpoints=None, init=None, progress=False,
           half_width=None, points_per_unit=None, max_iter=3000) -> EnergyResult:
    """e*(alpha) of the k-step FRSB ansatz (docs/theory.md §4): estar at the fixed point of the update of §4.5.

    k, xmax: breakpoints linspace(0.01, xmax, k) unless ``breakpoints`` (k increasing positive numbers) is given.
    tol: bound on the fixed-point residual max|q_new - q_old| (and |chi_new/chi_old - 1|) and on the last step.
    backend: 'cpu' (NumPy + Numba), 'gpu' (CuPy), 'auto'.  init: warm start (a previous frsb EnergyResult).
    half_width, points_per_unit: the h grid [-half_width, half_width] with spacing 1/points_per_unit (default:
    chosen for an energy accuracy of tol/10, see numerics/methods/frsb/grid.py).
    """
    a = _check.alpha_range(validate.alpha(alpha))
    x = _check.breakpoints_from(k, xmax, breakpoints)
    k = len(x)
    tol = _check.precision(x, _check.tolerance(tol))
    hw, ppu = _check.grid_args(half_width, points_per_unit)
    max_iter = validate.integer("max_iter", max_iter, lo=1)
    q, chi = _check.start_point(init, k)
    params = {"k": k, "xmax": float(x[-1]), "tol": tol, "breakpoints": None if breakpoints is None else list(x),
              "half_width": hw, "points_per_unit": ppu}
    t0 = time.perf_counter()
    if a <= _check.sat_alpha():
        _check.backend(backend, _grid.build(1.0, _grid.MIN_POINTS_PER_UNIT))
        return EnergyResult(METHOD, a, 0.0, 0.0, "exact: alpha <= 2 is the SAT phase, e* = 0 (docs/theory.md §1)",
                            params, {"time_s": time.perf_counter() - t0})
    eps = max(GRID_EPS_FACTOR * tol, 1e-12)
    starts = _start.fresh(a, x, profile_solver(backend, max_iter)) + ([] if init is None else [("warm", _start.reopened(q), chi)])
    found = []
    for name, q0, c0 in starts:
        try:
            found.append((name, *_solve_from(a, x, q0, c0, tol, eps, hw, ppu, backend, max_iter, progress, k)))
        except ConvergenceError as exc:
            if len(starts) == 1:
                raise
            found.append((name, None, exc, None))
    if all(f[1] is None for f in found):
        raise found[0][2]
    name, prob, sol, solver_err = _select(found, tol)
    grid_err, details = grid_error(prob, a, sol)
    diag = diagnostics(prob, sol, t0)
    diag.update(details, solver_error=solver_err, grid_error=grid_err, estar_at_tol=sol.extra["estar_at_tol"])
    diag["functional_error"] = (sol.extra["functional_change"] + abs(details["functional_check_grid"]
                                                                     - diag["functional"]) + ROUNDOFF)
    diag["start"] = name
    diag["candidates"] = [{"start": n, "functional": None if p is None else p.value(s_),
                           "estar": None if p is None else s_.evaluation.estar,
                           "iterations": None if p is None else s_.iterations,
                           "error": str(s_) if p is None else None} for n, p, s_, _ in found]
    err = solver_err + grid_err + ROUNDOFF
    how = (f"solver: change of estar between the fixed point at residual < tol and its continuation to tol/{REFINE:g} "
           "(the latter is returned); grid: change of estar at the same (q, chi) on a finer h grid. Numerical error "
           "of the k-step estimator for these breakpoints; the gap to the functional value ('estimator_gap' = "
           "sum_i x_i de/dx_i, see numerics.frsb) is a property of the finite-k ansatz and is reported separately")
    return EnergyResult(METHOD, a, sol.evaluation.estar, err, how, params, diag)


def profile_solver(backend, max_iter):
    """The energy solve behind the profile start (numerics/methods/frsb/start.py)."""
    return lambda alpha, k, xmax, tol: energy(alpha, k=k, xmax=xmax, tol=tol, backend=backend, max_iter=max_iter)


def _solve_from(a, x, q, chi, tol, eps, hw, ppu, backend, max_iter, progress, k):
    """(problem, solution refined to tol/REFINE, solver error) from the start (q, chi)."""
    grid = _grid.plan(chi, q, eps, half_width=hw, points_per_unit=ppu, margin=1.1, x_last=x[-1])
    if hw is not None or ppu is not None:
        _grid.check(grid, chi, q, eps / GRID_EPS_FACTOR, what="FRSB grid (at the start point)", x_last=x[-1])
    prob = Problem(x, backend, grid, max_iter, tol)
    bar = progress_bar(progress, None, f"FRSB alpha={a:g} k={k}")
    try:
        sol = solve_adaptive(prob, a, q, chi, tol, eps, hw is not None or ppu is not None, bar)
        sol, solver_err = refine(prob, a, sol, tol, bar)
    finally:
        if bar is not None:
            bar.close()
    return prob, sol, solver_err


def _select(found, tol):
    """The answer among the fixed points found from the fresh starts (cold, and profile for large breakpoints) and
    from a warm start: the ground state is the supremum of the functional over the order parameter (docs/theory.md §4.11), so the stationary point with the
    larger functional is the answer.  The cold start's point is kept unless the other's functional is larger by
    more than SELECT_MARGIN * tol (two runs to the same fixed point then give bitwise the same answer, whatever the
    warm start: a scan's values do not depend on its blocking)."""
    ok = [f for f in found if f[1] is not None]
    best = ok[0]
    for cand in ok[1:]:
        if cand[1].value(cand[2]) > best[1].value(best[2]) + SELECT_MARGIN * tol:
            best = cand
    return best
