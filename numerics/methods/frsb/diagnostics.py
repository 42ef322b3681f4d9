"""The diagnostics of an FRSB result: the solution (q, x, chi, lambda, Qhat), both estimators and the
breakpoint derivative of the functional, the solver's history and the grids used."""
from __future__ import annotations

import time

import numpy as np


def diagnostics(prob, sol, t0):
    L = prob.levels.L(sol.q, sol.chi)
    f = prob.value(sol)
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
