"""Zero-temperature full RSB in the k-step discretisation (docs/theory.md §4): energy e*(alpha) and threshold.

    energy(alpha, k=30, xmax=10)   -> EnergyResult (estar; diagnostics: q, x, chi, L0, functional, ...)
    threshold(k=30, xmax=10)       -> ThresholdResult (root of estar(alpha) = 1, warm starts along alpha)

Pieces: numerics/frsb/recursion.py (backward/forward recursion on the h grid, any backend), levels.py (level
algebra and the authors' update, host), solver.py (Anderson-accelerated fixed point), grid.py (h grid for a target
accuracy).  Every equation comes from generated/frsb_* (derive/frsb.py).

The h grid is chosen for the accuracy asked (tol/10 on the energy): a window of ~5-7 standard deviations of the
field, 1/(2 chi)^(1/2), and 16-32 points per unit of h -- a few hundred to two thousand points instead of the
authors' 131461 (docs/theory.md §4.8), because the non-smooth last step is done in closed form and every integral
across a kink of F_k is split there (benchmarks/frsb.py shows the accuracy study).

Two estimators: ``estar = alpha P(h_k > 1)`` (the active fraction, docs/theory.md §4.6; the reported energy, as in the
authors' code) and the value ``functional`` of (FRSB-e) at the fixed point.  They are NOT equal at fixed
breakpoints: scaling the cost of an active unit by lambda gives e(lambda; x) = lambda e(1; lambda x), whose
lambda-derivative is estar, hence ``estar = functional + sum_i x_i de/dx_i`` (derivative of the stationary value
under a dilation of the breakpoints; verified numerically in tests/test_frsb.py and benchmarks/frsb.py).  The
difference (6.8e-5 at alpha = 6, k = 30, xmax = 10; -5.3e-5 at xmax = 15) is a property of the k-step ansatz with
fixed breakpoints, not a quadrature error; it vanishes where the breakpoints are stationary (1-RSB at its optimal
c).  It is reported as ``estimator_gap`` and not included in the error bar, which is the numerical error of estar
for the given (k, breakpoints).

Limits.  The functional is flat along the collapse of the levels at both ends of the breakpoint grid (dq_i -> 0):
the update converges slowly there and the residual is a weak measure of the distance to the fixed point, so the
solver error is measured by continuing the iteration (see _refine).  In double precision the FFT convolutions of
exp(+-x F) lose a factor exp(x_max) of relative precision; a tol below ~1e-15 exp(x_max) is refused.
"""
from __future__ import annotations

import math
import numbers
import time
from collections.abc import Mapping

import numpy as np

from relu_injectivity.machinery import backends as _backends
from relu_injectivity.machinery import roots
from relu_injectivity.machinery import validate
from relu_injectivity.methods.frsb import grid as _grid
from relu_injectivity.methods.frsb import solver as _solver
from relu_injectivity.methods.frsb.levels import Levels
from relu_injectivity.methods.frsb.recursion import MAX_BREAKPOINT, Recursion, fft_limit, noise_floor
from relu_injectivity.machinery.results import ConvergenceError, EnergyResult, ThresholdResult

METHOD = "frsb"
COLD_Q = (0.7, 1.0)
COLD_CHI = 0.06
"""Cold start (docs/theory.md §4.7): q = linspace(0.7, 1, k+1), chi = 0.06."""
GRID_EPS_FACTOR = 0.1
"""The grid is planned for an energy error GRID_EPS_FACTOR * tol."""
ROUNDOFF = 1e-12
"""Floor of the error bar: round-off accumulated through the recursion (k = 1 reproduces 1-RSB to ~3e-13)."""
REFINE = 30.0
"""The solver error of a solution at tol is measured by continuing to tol/REFINE (the refined value is returned)."""
MASS_TOL = 1e-6
"""A density losing more mass than max(MASS_TOL, 1000 eps) through the window ends triggers a larger grid."""
MAX_REGRID = 6
SAT_ALPHA = 2.0
"""e* = 0 for alpha <= 2 (the zero-margin perceptron capacity, docs/theory.md §1)."""
SLOPE_STEP = 3e-3
"""Distance in alpha of the evaluation used for d estar/d alpha at the threshold."""


# ------------------------------------------------------------------------------------------ validation

MAX_LEVELS = 10000
"""Largest k accepted: one evaluation costs ~k M log M (M >= 700 grid points) and the solver needs hundreds."""


def _breakpoints(k, xmax, breakpoints):
    k = validate.integer("k", k, lo=1)
    if k > MAX_LEVELS:
        raise ValueError(f"k must be <= {MAX_LEVELS} (frsb.MAX_LEVELS: memory and time grow like k times the grid "
                         f"length), got {k}")
    if breakpoints is None:
        xmax = validate.real("xmax", xmax, lo=0.0)
        if k > 1 and xmax <= 0.01:
            raise ValueError(f"xmax must be > 0.01 (the first breakpoint) for k > 1, got {xmax!r}")
        return np.linspace(0.01, xmax, k) if k > 1 else np.array([0.01])
    if isinstance(breakpoints, (str, bytes)) or not hasattr(breakpoints, "__len__"):
        raise TypeError(f"breakpoints must be a sequence of k positive increasing numbers, got {breakpoints!r}")
    xs = np.array([validate.real("breakpoint", b, lo=0.0) for b in breakpoints], dtype=float)
    if len(xs) != k:
        raise ValueError(f"breakpoints has {len(xs)} entries but k = {k}; pass k=len(breakpoints)")
    if np.any(np.diff(xs) <= 0):
        raise ValueError(f"breakpoints must be strictly increasing, got {list(xs)}")
    return xs


def _tol(tol, name="tol", lo=1e-13, hi=1e-2):
    t = validate.real(name, tol, lo=0.0)
    if not lo <= t <= hi:
        raise ValueError(f"{name} must be in [{lo:g}, {hi:g}], got {tol!r}")
    return t


NOISE_MULTIPLE = 10.0
FFT_NOISE_RATIO = 100.0
"""Levels are convolved by FFT while its round-off stays below (smallest tol of the run)/FFT_NOISE_RATIO; above
that breakpoint by the direct sums of numerics/machinery/fourier.py, which keep full relative precision."""


def _precision(x, tol, name="tol"):
    """The breakpoints' range check (exp(x (F - m)) must stay in the double range); tol unchanged.  There is no
    precision floor in x: levels whose FFT round-off would exceed the tolerance use the direct sums."""
    if np.max(x) > MAX_BREAKPOINT:
        raise ValueError(f"breakpoints must be <= {MAX_BREAKPOINT:g} (exp(x) must stay inside the double range), got "
                         f"{np.max(x):g}")
    return tol


def _fft_up_to(tol):
    """Largest breakpoint convolved by FFT for a run whose smallest tolerance is tol/REFINE."""
    return fft_limit(tol / REFINE / FFT_NOISE_RATIO)


def _grid_args(half_width, points_per_unit):
    hw = None if half_width is None else validate.real("half_width", half_width, lo=0.0)
    ppu = None
    if points_per_unit is not None:
        ppu = validate.integer("points_per_unit", points_per_unit, lo=_grid.MIN_POINTS_PER_UNIT)
    return hw, ppu


def _init(init, k):
    """(q, chi) from a previous result (EnergyResult of this method, or a mapping with 'q' and 'chi'), or cold."""
    if init is None:
        return np.linspace(*COLD_Q, k + 1), COLD_CHI
    if isinstance(init, EnergyResult):
        if init.method != METHOD:
            raise ValueError(f"init must come from method {METHOD!r}, got a result of {init.method!r}")
        d = init.diagnostics
    elif isinstance(init, Mapping):
        d = init
    else:
        raise TypeError(f"init must be None, an EnergyResult of {METHOD!r} or a mapping with 'q' and 'chi', "
                        f"got {type(init).__name__}")
    if "q" not in d or "chi" not in d:
        raise ValueError("init needs 'q' (q_0..q_k) and 'chi'")
    q = np.asarray(d["q"], dtype=float)
    chi = validate.real("init chi", d["chi"], lo=0.0)
    if q.shape != (k + 1,):
        raise ValueError(f"init has {q.size} overlaps q_0..q_k but k = {k} needs {k + 1}")
    if _solver.project(_solver.pack(q, chi), 0.0) is None or abs(q[-1] - 1) > 1e-12:
        raise ValueError(f"init q must be non-decreasing in (0, 1] with q_k = 1, got {list(q)}")
    return q, chi


def _backend(name, grid):
    if isinstance(name, _backends.Backend):
        return name
    validate.choice("backend", name, _backends.NAMES)
    return _backends.get(name, points=grid.M)


def _progress(progress, total, desc):
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, leave=False, unit="it", dynamic_ncols=True)


# ---------------------------------------------------------------------------------------------- solving

class _GridTooSmall(Exception):
    def __init__(self, q, chi, mass_error):
        super().__init__(f"density mass error {mass_error:.2e}")
        self.q, self.chi, self.mass_error = q, chi, mass_error


MEMORY_LIMIT = 4 * 2**30
"""Largest estimated working set of one evaluation (bytes) accepted before allocating (docs/theory.md §4.8)."""
ARRAYS_PER_LEVEL = 3
"""F_i, dF_i/dh and p_i are held for every level (plus a few grid-long work arrays)."""


def _memory_check(k, grid, what="FRSB"):
    """ValueError, before anything is allocated, when k levels on this grid would need more than MEMORY_LIMIT."""
    need = (ARRAYS_PER_LEVEL * k + 16) * grid.M * 8
    if need > MEMORY_LIMIT:
        max_k = max(int((MEMORY_LIMIT / (8 * grid.M) - 16) // ARRAYS_PER_LEVEL), 0)
        raise ValueError(f"{what}: k = {k} levels on a grid of {grid.M} points need about {need / 2**30:.1f} GiB, "
                         f"above the limit of {MEMORY_LIMIT / 2**30:.0f} GiB (frsb.MEMORY_LIMIT); at this alpha and "
                         f"tol use k <= {max_k}" + ("" if max_k else " (the grid alone is too large: a smaller "
                                                                     "alpha or a larger tol)"))


class _Problem:
    """Breakpoints, backend and grid of one run; solves (q, chi) at given alpha."""

    def __init__(self, x, backend, grid, max_iter, tol):
        _memory_check(len(x), grid)
        self.x, self.grid, self.max_iter = x, grid, max_iter
        self.fft_up_to = _fft_up_to(tol)
        self.backend = _backend(backend, grid)
        self.levels = Levels(x)

    def recursion(self, alpha, grid=None):
        return Recursion(self.backend, grid or self.grid, self.x, alpha, fft_up_to=self.fft_up_to)

    def solve(self, alpha, q, chi, tol, bar=None, mass_tol=None):
        """Fixed point at alpha from (q, chi); with ``mass_tol``, _GridTooSmall as soon as a density loses more
        mass than that through the ends of the window (the iterate has moved where the grid cannot follow)."""
        rec = self.recursion(alpha)

        def monitor(ev, q, chi):
            if mass_tol is not None and np.max(np.abs(ev.masses - 1)) > mass_tol:
                raise _GridTooSmall(q, chi, float(np.max(np.abs(ev.masses - 1))))

        sol = _solver.solve(rec, self.levels, q, chi, tol=tol, max_iter=self.max_iter, progress=bar,
                            monitor=monitor, what=f"FRSB fixed point at alpha = {alpha} (k = {len(self.x)})")
        sol.extra["recursion"] = rec
        return sol

    def functional(self, sol):
        return self.levels.entropic(sol.q, sol.chi) + sol.evaluation.energetic

    def regrid(self, grid):
        _memory_check(len(self.x), grid)
        self.grid = grid
        self.backend = _backend(self.backend, grid)


def _refine(prob, alpha, sol, tol, bar=None):
    """Continue the iteration from ``sol`` to tol/REFINE; the change of estar estimates the solver error of sol
    (near-unit eigenvalues of the update's Jacobian make the residual a poor measure of the distance to the fixed
    point, so the error is measured, not inferred)."""
    floor = NOISE_MULTIPLE * sol.extra["recursion"].noise_floor
    fine = prob.solve(alpha, sol.q, sol.chi, max(tol / REFINE, floor, 1e-13), bar)
    fine.extra["stages"] = sol.extra.get("stages", []) + [(prob.grid.describe(), fine.iterations)]
    fine.extra["estar_at_tol"] = sol.evaluation.estar
    fine.extra["functional_change"] = abs(prob.functional(fine) - prob.functional(sol))
    fine.iterations += sol.iterations
    fine.residual_history = sol.residual_history + fine.residual_history
    fine.rejected += sol.rejected
    return fine, abs(fine.evaluation.estar - sol.evaluation.estar)


def _grid_error(prob, alpha, sol):
    """Change of estar (and of the functional) at the same (q, chi) on a finer h grid (1.2 x the window, 1.5 x the
    points per unit): the evaluation error of the grid."""
    g = prob.grid
    fine = _grid.build(1.2 * min(g.left, g.right), int(math.ceil(1.5 / g.dh)))
    ev_f = prob.recursion(alpha, fine).evaluate(sol.q, sol.chi)
    f_f = prob.levels.entropic(sol.q, sol.chi) + ev_f.energetic
    return abs(ev_f.estar - sol.evaluation.estar), {"check_grid": fine.describe(), "estar_check_grid": ev_f.estar,
                                                    "functional_check_grid": f_f}


def _diagnostics(prob, sol, t0):
    L = prob.levels.L(sol.q, sol.chi)
    f = prob.functional(sol)
    ev = sol.evaluation
    dfdx = prob.levels.dx(sol.q, sol.chi, ev.level_energetic, sol.extra["recursion"].alpha)
    return {
        "q": [float(v) for v in sol.q], "x": [float(v) for v in prob.x], "chi": sol.chi, "L0": float(L[0]),
        "estar": ev.estar, "functional": f, "estimator_gap": ev.estar - f,
        "dfunctional_dx": [float(v) for v in dfdx], "dilation": float(np.dot(prob.x, dfdx)),
        "lambda": [float(v) for v in sol.lam], "Qhat": [float(v) for v in ev.Qhat],
        "mass_error": float(np.max(np.abs(ev.masses - 1))),
        "iterations": sol.iterations, "rejected_accelerations": sol.rejected,
        "stages": [{"grid": g, "iterations": n} for g, n in sol.extra.get("stages", [])],
        "residual_history": [float(v) for v in sol.residual_history],
        "grid": prob.grid.describe(), "backend": prob.backend.name, "time_s": time.perf_counter() - t0,
    }


def _solve_adaptive(prob, alpha, q, chi, tol, eps, user_grid, bar):
    """Solve, growing the grid when the iterate outgrows it: re-planned from the current (q, chi) when a density
    loses mass through the window ends during the iteration, and from the solution if the rules ask for more."""
    stages, iterations, history = [], 0, []
    mass_tol = None if user_grid else max(MASS_TOL, 1e3 * eps)
    for _ in range(MAX_REGRID):
        try:
            sol = prob.solve(alpha, q, chi, tol, bar, mass_tol)
        except _GridTooSmall as exc:
            q, chi = exc.q, exc.chi
            stages.append((prob.grid.describe(), "grid outgrown (mass error %.1e)" % exc.mass_error))
            need_h, need_p = _grid.requirements(chi, q, eps, prob.x[-1])
            have = min(prob.grid.left, prob.grid.right)
            prob.regrid(_grid.build(max(1.4 * have, 1.2 * need_h), max(need_p, round(1 / prob.grid.dh))))
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


def energy(alpha, *, k=30, xmax=10.0, tol=1e-7, backend="auto", breakpoints=None, init=None, progress=False,
           half_width=None, points_per_unit=None, max_iter=3000) -> EnergyResult:
    """e*(alpha) of the k-step FRSB ansatz (docs/theory.md §4): estar at the fixed point of the update of §4.5.

    k, xmax: breakpoints linspace(0.01, xmax, k) unless ``breakpoints`` (k increasing positive numbers) is given.
    tol: bound on the fixed-point residual max|q_new - q_old| (and |chi_new/chi_old - 1|) and on the last step.
    backend: 'cpu' (NumPy + Numba), 'gpu' (CuPy), 'auto'.  init: warm start (a previous frsb EnergyResult).
    half_width, points_per_unit: the h grid [-half_width, half_width] with spacing 1/points_per_unit (default:
    chosen for an energy accuracy of tol/10, see numerics/frsb/grid.py).
    """
    a = validate.alpha(alpha)
    x = _breakpoints(k, xmax, breakpoints)
    k = len(x)
    tol = _precision(x, _tol(tol))
    hw, ppu = _grid_args(half_width, points_per_unit)
    max_iter = validate.integer("max_iter", max_iter, lo=1)
    q, chi = _init(init, k)
    params = {"k": k, "xmax": float(x[-1]), "tol": tol, "breakpoints": None if breakpoints is None else list(x),
              "half_width": hw, "points_per_unit": ppu}
    t0 = time.perf_counter()
    if a <= SAT_ALPHA:
        _backend(backend, _grid.build(1.0, _grid.MIN_POINTS_PER_UNIT))
        return EnergyResult(METHOD, a, 0.0, 0.0, "exact: alpha <= 2 is the SAT phase, e* = 0 (docs/theory.md §1)",
                            params, {"time_s": time.perf_counter() - t0})
    eps = max(GRID_EPS_FACTOR * tol, 1e-12)
    grid = _grid.plan(chi, q, eps, half_width=hw, points_per_unit=ppu, margin=1.1, x_last=x[-1])
    if hw is not None or ppu is not None:
        _grid.check(grid, chi, q, tol, what="FRSB grid (at the start point)", x_last=x[-1])
    prob = _Problem(x, backend, grid, max_iter, tol)
    bar = _progress(progress, None, f"FRSB alpha={a:g} k={k}")
    try:
        sol = _solve_adaptive(prob, a, q, chi, tol, eps, hw is not None or ppu is not None, bar)
        sol, solver_err = _refine(prob, a, sol, tol, bar)
    finally:
        if bar is not None:
            bar.close()
    grid_err, details = _grid_error(prob, a, sol)
    diag = _diagnostics(prob, sol, t0)
    diag.update(details, solver_error=solver_err, grid_error=grid_err, estar_at_tol=sol.extra["estar_at_tol"])
    diag["functional_error"] = (sol.extra["functional_change"] + abs(details["functional_check_grid"]
                                                                     - diag["functional"]) + ROUNDOFF)
    err = solver_err + grid_err + ROUNDOFF
    how = (f"solver: change of estar between the fixed point at residual < tol and its continuation to tol/{REFINE:g} "
           "(the latter is returned); grid: change of estar at the same (q, chi) on a finer h grid. Numerical error "
           "of the k-step estimator for these breakpoints; the gap to the functional value ('estimator_gap' = "
           "sum_i x_i de/dx_i, see numerics.frsb) is a property of the finite-k ansatz and is reported separately")
    return EnergyResult(METHOD, a, sol.evaluation.estar, err, how, params, diag)


# -------------------------------------------------------------------------------------------- threshold

def threshold(*, k=30, xmax=10.0, tol=1e-6, backend="auto", breakpoints=None, progress=False, half_width=None,
              points_per_unit=None, bracket=(6.0, 7.0), solver_tol=None, max_iter=3000, converged=False,
              max_steps=12) -> ThresholdResult:
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

        return converged_threshold(max_steps=max_steps, backend=backend)
    x = _breakpoints(k, xmax, breakpoints)
    k = len(x)
    tol = _tol(tol, hi=1e-2)
    stol = _tol(solver_tol if solver_tol is not None else max(tol / 10, 1e-11), "solver_tol")
    stol = _precision(x, stol, "solver_tol")
    hw, ppu = _grid_args(half_width, points_per_unit)
    max_iter = validate.integer("max_iter", max_iter, lo=1)
    if not (isinstance(bracket, (tuple, list)) and len(bracket) == 2
            and all(isinstance(b, numbers.Real) for b in bracket) and SAT_ALPHA < bracket[0] < bracket[1]):
        raise ValueError(f"bracket must be (a, b) with 2 < a < b, got {bracket!r}")
    params = {"k": k, "xmax": float(x[-1]), "tol": tol, "solver_tol": stol,
              "breakpoints": None if breakpoints is None else list(x), "half_width": hw, "points_per_unit": ppu}
    t0 = time.perf_counter()
    eps = max(GRID_EPS_FACTOR * stol, 1e-12)
    user_grid = hw is not None or ppu is not None
    q, chi = np.linspace(*COLD_Q, k + 1), COLD_CHI
    grid = _grid.plan(chi, q, eps, half_width=hw, points_per_unit=ppu, margin=1.3, x_last=x[-1])
    prob = _Problem(x, backend, grid, max_iter, stol)
    bar = _progress(progress, None, f"FRSB threshold k={k}")
    solved = {}
    seed = [q, chi]

    def solve_at(alpha):
        if alpha in solved:
            return solved[alpha].evaluation.estar - 1.0
        near = min(solved, key=lambda c: abs(c - alpha)) if solved else None
        q0, c0 = (solved[near].q, solved[near].chi) if near is not None else seed
        sol = prob.solve(alpha, q0, c0, stol)
        solved[alpha] = sol
        if bar is not None:
            bar.update(1)
            bar.set_postfix(alpha=f"{alpha:.8f}", estar=f"{sol.evaluation.estar:.9f}", its=sol.iterations)
        return sol.evaluation.estar - 1.0

    def plan_from(alpha):
        """Solve at alpha on the current grid and re-plan the grid so that it holds every alpha below it."""
        sol = _solve_adaptive(prob, alpha, *seed, stol, eps, user_grid, None)
        seed[:] = [sol.q, sol.chi]
        if not user_grid:
            prob.regrid(_grid.plan(sol.chi * 0.8, sol.q, eps, margin=1.1, x_last=prob.x[-1]))
        solved.clear()

    try:
        a, b = map(float, bracket)
        plan_from(b)
        lo, hi, x_last, step = _secant_bracket(solve_at, a, b, tol)
        root, root_err, calls = roots.brent(solve_at, lo, hi, what=f"FRSB threshold (k = {k})", xtol=tol / 4,
                                            rtol=4 * roots.EPS)
        if root not in solved:
            solve_at(root)
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
                lo, hi, x_last, step = _secant_bracket(solve_at, root - 2 * tol, root + 2 * tol, tol)
                root, root_err, calls = roots.brent(solve_at, lo, hi, what=f"FRSB threshold (k = {k})",
                                                    xtol=tol / 4, rtol=4 * roots.EPS)
                if root not in solved:
                    solve_at(root)
                sol = solved[root]
    finally:
        if bar is not None:
            bar.close()
    # slope from the solved alpha nearest to root + SLOPE_STEP (evaluations much closer than that only resolve
    # the solver noise), then the error bar
    other = min((v for v in solved if abs(v - root) > 1e-6), key=lambda v: abs(abs(v - root) - SLOPE_STEP))
    slope = (solved[other].evaluation.estar - sol.evaluation.estar) / (other - root)
    sol_ref, solver_err = _refine(prob, root, sol, stol)
    grid_err, details = _grid_error(prob, root, sol_ref)
    f_root = prob.functional(sol_ref)
    fslope = (prob.functional(solved[other]) - prob.functional(sol)) / (other - root)
    err = root_err + (solver_err + grid_err) / abs(slope)
    diag = _diagnostics(prob, sol_ref, t0)
    diag.update(details, solver_error=solver_err, grid_error=grid_err, slope_destar_dalpha=slope,
                root_bracket_error=root_err, brent_calls=calls, evaluations=_evals(solved),
                alpha_functional=root - (f_root - 1.0) / fslope)
    how = (f"Brent bracket width + (solver error + grid error of estar at the root)/(d estar/d alpha); solver error: "
           f"change of estar when the root's fixed point is continued from solver_tol to solver_tol/{REFINE:g}; grid "
           "error: change of estar at the same (q, chi) on a finer h grid. Numerical error for the given breakpoints; "
           "'alpha_functional' is the root of the functional value instead of estar (they differ by the finite-k "
           "estimator gap, see numerics.frsb)")
    return ThresholdResult(METHOD, root, err, how, params, diag)


def _secant_bracket(f, a, b, tol, max_steps=30):
    """A small bracket [lo, hi] of the root of the increasing function f, found by secant steps from b (each
    evaluation then starts close to the previous solution): (lo, hi, last iterate, last step).  Raises
    ConvergenceError if none is found in (2, 100)."""
    x0, f0 = b, f(b)
    x1 = b - 0.02 * (b - a)
    f1 = f(x1)
    span = b - a
    for _ in range(max_steps):
        slope = (f1 - f0) / (x1 - x0)
        if not slope > 0:
            raise ConvergenceError("FRSB threshold: estar(alpha) not increasing", {"alpha": (x0, x1),
                                                                                   "estar - 1": (f0, f1)})
        x2 = min(max(x1 - f1 / slope, x1 - span, SAT_ALPHA + 1e-3), x1 + span, 100.0)
        f2 = f(x2)
        x0, f0, x1, f1 = x1, f1, x2, f2
        if abs(x1 - x0) < tol / 4 or f1 == 0:
            break
    d = max(tol, 2 * abs(x1 - x0))
    for _ in range(20):
        lo, hi = max(x1 - d, SAT_ALPHA + 1e-3), min(x1 + d, 100.0)
        if f(lo) <= 0 <= f(hi):
            return lo, hi, x1, abs(x1 - x0)
        d *= 4
    raise ConvergenceError("FRSB threshold: no sign change of estar - 1 found in (2, 100)", {"last": x1})


def _evals(solved):
    return [{"alpha": a, "estar": s.evaluation.estar, "chi": s.chi, "iterations": s.iterations}
            for a, s in sorted(solved.items())]
