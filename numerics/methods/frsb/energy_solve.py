"""frsb.energy: e*(alpha) of the k-step FRSB ansatz with its error bar (docs/theory.md §4)."""
from __future__ import annotations

import time

from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import ConvergenceError, EnergyResult
from relu_injectivity.methods.frsb import grid as _grid
from relu_injectivity.methods.frsb import start as _start
from relu_injectivity.methods.frsb import validation as _check
from relu_injectivity.methods.frsb.diagnostics import diagnostics
from relu_injectivity.methods.frsb.error_bars import REFINE, ROUNDOFF, bars, refine
from relu_injectivity.methods.frsb.problem import Problem, progress_bar
from relu_injectivity.methods.frsb.regrid import GRID_EPS_FACTOR, solve_adaptive

METHOD = _check.METHOD


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
    judged = [_judged(f, a) for f in found]
    best, spread = _select(judged)
    name, prob, sol, solver_err, grid_err, details, f_err = best
    diag = diagnostics(prob, sol, t0)
    diag.update(details, solver_error=solver_err, grid_error=grid_err, estar_at_tol=sol.extra["estar_at_tol"],
                functional_error=f_err, start=name, start_spread=spread)
    diag["candidates"] = [{"start": j[0], "functional": None if j[1] is None else j[1].value(j[2]),
                           "functional_error": j[6], "estar": None if j[1] is None else j[2].evaluation.estar,
                           "iterations": None if j[1] is None else j[2].iterations,
                           "error": str(j[2]) if j[1] is None else None} for j in judged]
    err = solver_err + grid_err + spread + ROUNDOFF
    how = (f"solver: change of estar between the fixed point at residual < tol and its continuation to tol/{REFINE:g} "
           "(the latter is returned); grid: change of estar at the same (q, chi) on a finer h grid; start spread: "
           "estar of the other starts' fixed points whose functional the selected one's does not exceed beyond both "
           "functional errors. Numerical error "
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


def _judged(found, alpha):
    """A start's outcome with its grid error and the error of its functional: (name, prob, sol, solver error,
    grid error, details, functional error); prob None for a start that failed."""
    name, prob, sol, solver_err = found
    if prob is None:
        return name, None, sol, None, None, None, None
    return name, prob, sol, solver_err, *bars(prob, alpha, sol)


def _select(judged):
    """(the answer, start spread) among the fixed points found from the fresh starts (cold, and profile for large
    breakpoints) and from a warm start.  The ground state is the supremum of the functional over the order parameter
    (docs/theory.md §4.11): another start's point replaces the cold start's only if its functional is larger beyond
    both functionals' errors (two runs to the same fixed point then give bitwise the same answer, whatever the warm
    start: a scan's values do not depend on its blocking).  The functional cannot tell apart the points whose
    functionals agree within their errors (one fixed point reached twice, or distinct ones): the largest distance in
    estar from the answer to any of them is the start spread, part of the error bar."""
    ok = [j for j in judged if j[1] is not None]

    def above(a, b):
        return a[1].value(a[2]) > b[1].value(b[2]) + a[6] + b[6]

    best = ok[0]
    for cand in ok[1:]:
        if above(cand, best):
            best = cand
    spread = max(abs(j[2].evaluation.estar - best[2].evaluation.estar) for j in ok if not above(best, j))
    return best, spread
