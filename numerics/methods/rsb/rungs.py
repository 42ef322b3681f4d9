"""The r-RSB ladder (docs/theory.md §4.11): rungs r = 1..R built one on the other.

Two ladders: ``energies(alpha, R)`` (e_1(alpha) <= e_2(alpha) <= ...) and ``thresholds(R)`` (alpha_1 >= alpha_2
>= ..., each the root of e_r(alpha) = 1).  Two routes to each rung:

* ``newton`` (default): the rung's stationarity equations, envelope gradient and threshold condition as one system
  (numerics/methods/rsb/joint.py); rung r + 1 starts from the optimum of rung r resampled to r + 1 breakpoints (``joint.resample``);
* ``fixed-point``: the breakpoints optimised by Newton/BFGS around the k-step fixed-point solver at given
  breakpoints (numerics/methods/rsb/rung.py); rung r + 1 starts from the best insertion of one breakpoint.  Slower
  (the fixed point needs hundreds of updates per call); kept as the independent route for cross-checks.

Route newton: rung 1 starts from the 1-RSB solution.  Route fixed-point: rung 1 starts from one breakpoint at
START_C, and for thresholds from START_ALPHA (rough guesses near the 1-RSB optimum; the solver finds it).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from relu_injectivity.methods.rsb import joint, rung

ROUTES = ("newton", "fixed-point")
START_C = 3.3
"""Starting breakpoint of rung 1, route fixed-point (the 1-RSB optimum c is 3.49 at alpha = 6 and 3.29 at its
threshold)."""
START_ALPHA = 6.7
"""Starting alpha of the threshold search of rung 1."""


@dataclass
class Step:
    """One rung: r, its value (energy or alpha) with error, the optimum's row, timing."""

    r: int
    value: float
    error: float
    x: list
    time_s: float
    diagnostics: dict = field(default_factory=dict)
    state: object = None

    def row(self):
        return {"r": self.r, "value": self.value, "error": self.error, "breakpoints": self.x,
                "time_s": self.time_s, **self.diagnostics}


# ----------------------------------------------------------------------------------------------- newton route

def _one_rsb_start(alpha):
    """Rung 1 starts from the 1-RSB solution (q_0, chi, c) at alpha, or at its threshold (the same optimum: the
    Newton route then confirms it in a few evaluations)."""
    from relu_injectivity.methods import one_rsb

    r = one_rsb.threshold() if alpha is None else one_rsb.energy(alpha)
    d = r.diagnostics
    return joint.State(np.array([float(d["q0"]), 1.0]), float(d["chi"]), np.array([float(d["c"])]), float(r.alpha))


def _newton(max_steps, alpha, backend, on_rung):
    guess = _one_rsb_start(alpha)
    out = []
    for r in range(1, max_steps + 1):
        t0 = time.perf_counter()
        if out:
            guess = joint.resample(out[-1].state, r, out[-2].state if len(out) > 1 else None)
        sol = joint.solve(guess, alpha=alpha, backend=backend)
        d = dict(sol.diagnostics)
        d.update(error_budget=sol.budget, route="newton")
        s = Step(r, sol.value, sol.error, sol.state.x.tolist(), time.perf_counter() - t0, d, sol.state)
        out.append(s)
        if on_rung is not None:
            on_rung(s)
    return out


# ------------------------------------------------------------------------------------------ fixed-point route

def _fixed_point_row(opt, ev, calls):
    p = opt.point
    d = p.result.diagnostics
    return {"q": [float(v) for v in d["q"]], "chi": float(d["chi"]), "functional": p.e, "estar": p.estar,
            "estar_minus_functional": p.estar - p.e, "gain": opt.gain, "gradient_source": p.gradient_source,
            "solver_tol": p.solver_tol, "solver_calls": calls, "accuracy_limited": ev.limited,
            "route": "fixed-point"}


def _start(ev, alpha, opt):
    if opt is None:
        return ev(alpha, [START_C]), []
    return rung.next_rung_start(ev, alpha, opt)


def _fixed_point(max_steps, alpha, ev, tol, gain_tol, on_rung):
    out, opt, a = [], None, START_ALPHA if alpha is None else alpha
    for r in range(1, max_steps + 1):
        t0, c0 = time.perf_counter(), ev.calls
        ev.limited = None
        p, cands = _start(ev, a, opt)
        opt = rung.maximise(ev, a, None, point=p, gain_tol=gain_tol)
        if alpha is None:
            root = rung.threshold(ev, opt, tol=tol, gain_tol=gain_tol)
            opt, a = root.optimum, root.alpha
            value, error, extra = root.alpha, root.error, {"error_budget": root.budget, "newton": root.history}
        else:
            value, error, extra = opt.point.e, opt.point.e_error + opt.gain, {}
        d = _fixed_point_row(opt, ev, ev.calls - c0)
        d.update(insertions=cands, **extra)
        s = Step(r, value, error, [float(v) for v in opt.x], time.perf_counter() - t0, d)
        out.append(s)
        if on_rung is not None:
            on_rung(s)
    return out


# -------------------------------------------------------------------------------------------------- ladders

def energies(alpha, max_steps, *, route="newton", backend="cpu", ev=None, gain_tol=rung.GAIN_TOL, on_rung=None):
    """[Step(r, e_r(alpha), ...)] for r = 1..max_steps."""
    if route == "newton":
        return _newton(max_steps, float(alpha), backend, on_rung)
    return _fixed_point(max_steps, float(alpha), ev, None, gain_tol, on_rung)


def thresholds(max_steps, *, route="newton", backend="cpu", ev=None, tol=1e-9, gain_tol=rung.GAIN_TOL,
               on_rung=None):
    """[Step(r, alpha_r, ...)] for r = 1..max_steps."""
    if route == "newton":
        return _newton(max_steps, None, backend, on_rung)
    return _fixed_point(max_steps, None, ev, tol, gain_tol, on_rung)
