"""frsb.threshold: alpha_inj of the k-step FRSB ansatz, the root of estar(alpha) = 1 (docs/theory.md §4.9), with
warm starts along alpha and its error bar."""
from __future__ import annotations

import numbers
import time

import numpy as np

from relu_injectivity.machinery import roots
from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import ConvergenceError, ThresholdResult
from relu_injectivity.methods.frsb import grid as _grid
from relu_injectivity.methods.frsb import start as _start
from relu_injectivity.methods.frsb import validation as _check
from relu_injectivity.methods.frsb.bracket import secant_bracket
from relu_injectivity.methods.frsb.diagnostics import diagnostics
from relu_injectivity.methods.frsb.energy_solve import profile_solver
from relu_injectivity.methods.frsb.error_bars import REFINE, bars, refine
from relu_injectivity.methods.frsb.problem import Problem, progress_bar
from relu_injectivity.methods.frsb.regrid import GRID_EPS_FACTOR, solve_adaptive

METHOD = _check.METHOD
FUNCTIONAL_DROP = (1e-7, 1e-5)
"""Increments below which levels are dropped before the Newton solve of the functional's root (tried in turn)."""
RESEARCH = 500.0
"""A search again near a root starts from [root - RESEARCH tol, root + 2 tol]: its first secant step (2% of that) must
move estar well beyond the solver's tolerance tol/10."""
NEWTON_LEVELS = 40
"""The Newton solve of the functional's root is tried up to this many active levels (its finite-difference Jacobian
costs one evaluation per level and iteration); beyond, the root along the chain of fixed points is reported."""
SLOPE_STEP = 3e-3
"""Distance in alpha of the evaluation used for d estar/d alpha at the threshold."""


def threshold(*, k=30, xmax=10.0, tol=1e-6, backend="auto", breakpoints=None, progress=False, half_width=None,
              points_per_unit=None, bracket=(6.0, 7.0), solver_tol=None, max_iter=3000, converged=False,
              max_steps=10) -> ThresholdResult:
    """alpha_inj of the k-step FRSB ansatz: the root of estar(alpha) = 1 (docs/theory.md §4.9).

    converged=True: instead, alpha_FRSB as the limit of the optimised-breakpoint ladder r = 1..max_steps
    (methods/rsb, docs/ladder.md), with an error bar covering every admissible fit of the rungs.

    Secant steps from the upper end of ``bracket`` (the second point 2% of the bracket below it) until the step is
    below tol/4, then Brent on a small bracket around the last iterate (sign change checked); every evaluation
    starts from the solution at the nearest alpha already solved, so late evaluations take a few iterations.
    tol: accuracy asked for alpha; the fixed points are solved to ``solver_tol`` (default tol/10) on one h grid
    planned for the search (re-planned once if the root's solution asks for more).
    """
    if validate.boolean("converged", converged):
        from relu_injectivity.methods.rsb import converged_threshold

        return converged_threshold(max_steps=max_steps, tol=tol, backend=backend)
    x = _check.breakpoints_from(k, xmax, breakpoints)
    k = len(x)
    tol = _check.tolerance(tol, hi=1e-2)
    stol = _check.tolerance(solver_tol if solver_tol is not None else max(tol / 10, 1e-11), "solver_tol")
    stol = _check.precision(x, stol, "solver_tol")
    hw, ppu = _check.grid_args(half_width, points_per_unit)
    max_iter = validate.integer("max_iter", max_iter, lo=1)
    if not (isinstance(bracket, (tuple, list)) and len(bracket) == 2
            and all(isinstance(b, numbers.Real) for b in bracket) and _check.sat_alpha() < bracket[0] < bracket[1]):
        raise ValueError(f"bracket must be (a, b) with {_check.sat_alpha():g} < a < b, got {bracket!r}")
    params = {"k": k, "xmax": float(x[-1]), "tol": tol, "solver_tol": stol,
              "breakpoints": None if breakpoints is None else list(x), "half_width": hw, "points_per_unit": ppu}
    t0 = time.perf_counter()
    eps = max(GRID_EPS_FACTOR * stol, 1e-12)
    user_grid = hw is not None or ppu is not None
    solve_profile = profile_solver(backend, max_iter)
    fresh = _start.fresh(float(bracket[1]), x, solve_profile)
    q, chi = fresh[0][1:]
    grid = _grid.plan(chi, q, eps, half_width=hw, points_per_unit=ppu, margin=1.3, x_last=x[-1])
    prob = Problem(x, backend, grid, max_iter, stol)
    bar = progress_bar(progress, None, f"FRSB threshold k={k}")
    solved = {}
    seed = [q, chi]

    def solve_at(alpha):
        if alpha in solved:
            return solved[alpha].evaluation.estar - 1.0
        near = min(solved, key=lambda c: abs(c - alpha)) if solved else None
        q0, c0 = (_start.reopened(solved[near].q), solved[near].chi) if near is not None else seed
        sol = prob.solve(alpha, q0, c0, stol)
        solved[alpha] = sol
        if bar is not None:
            bar.update(1)
            bar.set_postfix(alpha=f"{alpha:.8f}", estar=f"{sol.evaluation.estar:.9f}", its=sol.iterations)
        return sol.evaluation.estar - 1.0

    def plan_from(alpha, starts=None):
        """Solve at alpha on the current grid (from the seed, or the first of ``starts`` that converges) and re-plan
        the grid so that it holds every alpha below it."""
        for i, (_, q0, c0) in enumerate(starts or [(None, *seed)]):
            try:
                sol = solve_adaptive(prob, alpha, q0, c0, stol, eps, user_grid, None)
                break
            except ConvergenceError:
                if starts is None or i == len(starts) - 1:
                    raise
        seed[:] = [sol.q, sol.chi]
        if not user_grid:
            prob.regrid(_grid.plan(sol.chi * 0.8, sol.q, eps, margin=1.1, x_last=prob.x[-1]))
        solved.clear()

    what = f"FRSB threshold (k = {k})"
    try:
        a, b = map(float, bracket)
        plan_from(b, fresh)
        root, root_err, calls = _search(solve_at, a, b, tol, what)
        sol = solved[root]
        if not bracket[0] <= root <= bracket[1]:
            raise ConvergenceError(f"FRSB threshold (k = {k}): the root of estar(alpha) = 1 lies at {root:.6f}, outside "
                                   f"the bracket {tuple(bracket)}; pass a bracket that contains it",
                                   {"root": root, "bracket": list(bracket), "evaluations": _evals(solved)})
        if not user_grid:
            need_h, need_p = _grid.requirements(sol.chi, sol.q, eps, prob.x[-1])
            if need_h > min(prob.grid.left, prob.grid.right) or need_p > round(1 / prob.grid.dh):
                seed[:] = [sol.q, sol.chi]
                plan_from(root)
                root, root_err, calls = _search(solve_at, *_near(root, tol), tol, what)
                sol = solved[root]
    finally:
        if bar is not None:
            bar.close()
    # slope from the solved alpha nearest to root + SLOPE_STEP (evaluations much closer than that only resolve
    # the solver noise), then the error bar
    other = min((v for v in solved if abs(v - root) > 1e-6), key=lambda v: abs(abs(v - root) - SLOPE_STEP))
    slope = (solved[other].evaluation.estar - sol.evaluation.estar) / (other - root)
    # one answer: the warm chain's fixed point at the root against the fresh starts' (docs/theory.md §4.11)
    def judged(s):
        """s continued to the refined tolerance: (refined, solver error, grid error, grid details, functional
        error, functional)."""
        ref, solver_err = refine(prob, root, s, stol)
        return ref, solver_err, *bars(prob, root, ref), prob.value(ref)

    warm = judged(sol)
    cold, check = None, {"warm_estar": sol.evaluation.estar, "warm_functional": warm[5],
                         "warm_functional_error": warm[4]}
    for name, cq, cchi in _start.fresh(root, x, solve_profile):
        try:
            cand = prob.solve(root, cq, cchi, stol)
        except ConvergenceError as exc:
            check[f"{name}_failure"] = str(exc)
            continue
        f_err, f = judged(cand)[4:]
        if cold is None or f > check["functional"] + f_err + check["functional_error"]:
            cold = cand
            check.update(start=name, estar=cand.evaluation.estar, functional=f, functional_error=f_err)
    if cold is not None and (check["functional"]
                             > check["warm_functional"] + check["functional_error"] + check["warm_functional_error"]):
        # the chain followed a stationary point with a smaller functional: the root again along the fresh one's
        solved.clear()
        solved[root] = cold
        root, root_err, calls = _search(solve_at, *_near(root, tol), tol, what)
        check["selected"], spread, chosen = check["start"], 0.0, judged(solved[root])
    else:
        spread = 0.0 if cold is None else abs(check["estar"] - check["warm_estar"])
        check["selected"], chosen = "warm chain", warm
    sol_ref, solver_err, grid_err, details, f_err, _ = chosen
    err = root_err + (solver_err + grid_err + spread) / abs(slope)
    af = _functional_root(x, sol_ref, root, backend)
    af.update(_functional_chain_root(solve_at, solved, prob, root, tol, f_err))
    if af["alpha_functional"] is None:
        af.update(alpha_functional=af["alpha_functional_chain"],
                  alpha_functional_error=af["alpha_functional_chain_error"])
    diag = diagnostics(prob, sol_ref, t0)
    diag.update(details, solver_error=solver_err, grid_error=grid_err, slope_destar_dalpha=slope,
                root_bracket_error=root_err, brent_calls=calls, evaluations=_evals(solved), start_check=check,
                start_spread=spread, **af)
    how = ("Brent bracket width + (solver error + grid error + start spread of estar at the root)/(d estar/d alpha); "
           "start spread: the difference of estar between the warm chain's fixed point and the fresh starts' at the "
           "root (the larger functional beyond both functionals' errors is taken; 0 if a fresh start's); solver error: "
           f"change of estar when the root's fixed point is continued from solver_tol to solver_tol/{REFINE:g}; grid "
           "error: change of estar at the same (q, chi) on a finer h grid. Numerical error for the given breakpoints; "
           "'alpha_functional' is the root of the functional value instead of estar (they differ by the finite-k "
           "estimator gap, see numerics.frsb)")
    return ThresholdResult(METHOD, root, err, how, params, diag)


def _near(root, tol):
    """The bracket a search again near ``root`` starts from (see RESEARCH)."""
    return root - RESEARCH * tol, root + 2 * tol


def _search(f, a, b, tol, what):
    """The root of the increasing f in [a, b]: secant steps from b to a small bracket, then Brent to tol/4;
    (root, bracket width, Brent calls), with f evaluated at the root (f caches its solutions)."""
    lo, hi, _, _ = secant_bracket(f, a, b, tol)
    root, err, calls = roots.brent(f, lo, hi, what=what, xtol=tol / 4, rtol=4 * roots.EPS)
    f(root)
    return root, err, calls


def _functional_chain_root(solve_at, solved, prob, root, tol, f_err):
    """The root of functional(alpha) = 1 along the same branch of fixed points as the estar root (secant steps from
    the estar root, then Brent), with its bar: bracket width + (functional error at the estar root)/(d functional/d
    alpha).  An independent route to the Newton solve of :func:`_functional_root` (which it replaces beyond
    NEWTON_LEVELS active levels, where the finite-difference Jacobian costs hundreds of evaluations)."""
    def g(alpha):
        solve_at(alpha)
        return prob.value(solved[alpha]) - 1.0

    try:
        af, af_err, _ = _search(g, *_near(root, tol), tol, "FRSB threshold of the functional")
    except ConvergenceError as exc:
        return {"alpha_functional_chain": None, "alpha_functional_chain_error": None,
                "alpha_functional_chain_failure": str(exc)}
    other = min((v for v in solved if abs(v - af) > 1e-6), key=lambda v: abs(abs(v - af) - SLOPE_STEP))
    slope = (g(other) - g(af)) / (other - af)
    return {"alpha_functional_chain": af, "alpha_functional_chain_error": af_err + f_err / abs(slope)}


def _functional_root(x, sol, root, backend):
    """alpha where the stationary functional at these breakpoints equals 1 (an upper bound on alpha_FRSB within the
    ansatz, docs/theory.md §4.11), by Newton on the stationarity equations of the active levels with alpha free
    (methods.rsb.joint.functional_threshold), started from the estar root's fixed point; with its error bar.  A
    failure is reported in the diagnostics, not raised (the estar root stands on its own).  Levels with increments
    below FUNCTIONAL_DROP[j] are dropped (a level on its way to collapse has no root in the softmax coordinates:
    at k = 30, xmax = 10 one with dq = 1.3e-9 made the Newton method stop at a residual 3.5e-9); dropping one moves
    the functional at second order in its increment (measured: 3e-13 in alpha)."""
    from relu_injectivity.methods.rsb import joint   # methods.rsb imports methods.frsb at module level

    q = np.asarray(sol.q, dtype=float)
    dq = np.diff(q, prepend=0.0)
    if np.count_nonzero(dq[1:] >= FUNCTIONAL_DROP[0]) > NEWTON_LEVELS:
        return {"alpha_functional": None, "alpha_functional_error": None,
                "alpha_functional_failure": f"not tried: more than {NEWTON_LEVELS} active levels (NEWTON_LEVELS)"}
    failure = None
    for drop in FUNCTIONAL_DROP:
        dqc = np.where(dq < drop, 0.0, dq)
        dqc[0] = dq[0]
        qc = np.cumsum(dqc)
        qc /= qc[-1]
        try:
            rung = joint.functional_threshold(joint.State(qc, sol.chi, np.asarray(x), root), backend=backend)
        except (ConvergenceError, ValueError, np.linalg.LinAlgError) as exc:
            failure = str(exc)
            continue
        return {"alpha_functional": rung.value, "alpha_functional_error": rung.error,
                "alpha_functional_budget": rung.budget, "alpha_functional_drop": drop,
                "alpha_functional_active_levels": rung.diagnostics["active_levels"],
                "alpha_functional_time_s": rung.diagnostics["time_s"]}
    return {"alpha_functional": None, "alpha_functional_error": None, "alpha_functional_failure": failure}


def _evals(solved):
    return [{"alpha": a, "estar": s.evaluation.estar, "chi": s.chi, "iterations": s.iterations}
            for a, s in sorted(solved.items())]
