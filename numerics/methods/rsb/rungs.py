"""The r-RSB ladder (docs/theory.md §4.11): rungs r = 1..R built one on the other.

Rung 1 starts from one breakpoint at START_C (a starting guess; the optimum is the 1-RSB c); rung r + 1 starts
from the best insertion of one breakpoint into the optimum of rung r (``rung.next_rung_start``).  Two ladders:

* ``energies(alpha, R)``: e_1(alpha) <= e_2(alpha) <= ... at one alpha;
* ``thresholds(R)``: alpha_1 >= alpha_2 >= ..., each the root of e_r(alpha) = 1, rung r + 1 started at the root
  of rung r.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from relu_injectivity.methods.rsb import rung

START_C = 3.3
"""Starting breakpoint of rung 1 (the 1-RSB optimum c is 3.49 at alpha = 6 and 3.29 at its threshold)."""
START_ALPHA = 6.7
"""Starting alpha of the threshold search of rung 1 (Newton in alpha from there)."""


@dataclass
class Step:
    """One rung: r, its value (energy or alpha) with error, the optimum, timing, diagnostics."""

    r: int
    value: float
    error: float
    optimum: rung.Optimum
    time_s: float
    calls: int
    diagnostics: dict = field(default_factory=dict)

    @property
    def x(self):
        return [float(v) for v in self.optimum.x]

    def row(self):
        p = self.optimum.point
        d = p.result.diagnostics
        return {"r": self.r, "value": self.value, "error": self.error, "breakpoints": self.x,
                "q": [float(v) for v in d["q"]], "chi": float(d["chi"]), "functional": p.e, "estar": p.estar,
                "estar_minus_functional": p.estar - p.e, "gain": self.optimum.gain,
                "gradient_source": p.gradient_source, "solver_tol": p.solver_tol, "time_s": self.time_s,
                "solver_calls": self.calls, **self.diagnostics}


def _start(ev, alpha, r_prev):
    if r_prev is None:
        return None, ev(alpha, [START_C]), []
    p, cands = rung.next_rung_start(ev, alpha, r_prev)
    return None, p, cands


def energies(alpha, max_steps, *, ev: rung.Evaluator, gain_tol=rung.GAIN_TOL, on_rung=None):
    """[Step(r, e_r(alpha), ...)] for r = 1..max_steps."""
    out, opt = [], None
    for r in range(1, max_steps + 1):
        t0, c0 = time.perf_counter(), ev.calls
        ev.limited = None
        _, p, cands = _start(ev, alpha, opt)
        opt = rung.maximise(ev, alpha, None, point=p, gain_tol=gain_tol)
        pt = opt.point
        err = pt.e_error + opt.gain
        s = Step(r, pt.e, err, opt, time.perf_counter() - t0, ev.calls - c0,
                 {"insertions": cands, "accuracy_limited": ev.limited})
        out.append(s)
        if on_rung is not None:
            on_rung(s)
    return out


def thresholds(max_steps, *, ev: rung.Evaluator, tol=1e-9, gain_tol=rung.GAIN_TOL, alpha0=START_ALPHA,
               on_rung=None):
    """[Step(r, alpha_r, ...)] for r = 1..max_steps."""
    out, opt, alpha = [], None, alpha0
    for r in range(1, max_steps + 1):
        t0, c0 = time.perf_counter(), ev.calls
        ev.limited = None
        _, p, cands = _start(ev, alpha, opt)
        opt = rung.maximise(ev, alpha, None, point=p, gain_tol=gain_tol)
        root = rung.threshold(ev, opt, tol=tol, gain_tol=gain_tol)
        opt, alpha = root.optimum, root.alpha
        s = Step(r, root.alpha, root.error, opt, time.perf_counter() - t0, ev.calls - c0,
                 {"error_budget": root.budget, "newton": root.history, "insertions": cands,
                  "accuracy_limited": ev.limited})
        out.append(s)
        if on_rung is not None:
            on_rung(s)
    return out
