"""r-step RSB with optimised breakpoints, the r-RSB ladder and its limit (docs/theory.md §4.11, docs/ladder.md).

    energy(alpha, steps=r)     -> EnergyResult: e_r(alpha) = max over the r breakpoints of the r-step functional
    threshold(steps=r)         -> ThresholdResult: alpha_r, the root of e_r(alpha) = 1
    ladder(max_steps=12)       -> Ladder: alpha_r (or e_r(alpha)) for r = 1..R, with the fits of the limit
    converged_threshold(...)   -> ThresholdResult: alpha_FRSB as the limit r -> infinity of the ladder
    converged_energy(alpha)    -> EnergyResult: e_FRSB(alpha) likewise

The ground-state energy is the supremum of the zero-temperature functional over the order parameter, breakpoints
included, so e_1 <= e_2 <= ... <= e_FRSB and alpha_1 >= alpha_2 >= ... >= alpha_FRSB.  The reported energy is
the functional at the optimum; there estar = functional (dilation identity, docs/theory.md §4.6), and
|estar - functional| is reported as a check.  r = 1 is 1-RSB.  Each rung is one system of equations solved by
Newton (numerics/methods/rsb/joint.py; route 'newton'), or an outer optimisation around the fixed-point solver of
numerics/methods/frsb (rung.py; route 'fixed-point', the cross-check); the ladder is rungs.py, the limit limit.py.
"""
from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

from relu_injectivity.machinery import backends as _backends
from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import EnergyResult, ThresholdResult
from relu_injectivity.methods.rsb import rungs as _ladder
from relu_injectivity.methods.rsb import rung as _rung
from relu_injectivity.methods.rsb.limit import extrapolate

METHOD = "rsb"
LIMIT_METHOD = "frsb-limit"
"""The registry name of the converged values (numerics/methods/frsb_limit.py)."""
GRADIENTS = ("auto", "envelope", "differences")


def _common(tol, lo=1e-13, hi=1e-4, name="tol"):
    t = validate.real(name, tol, lo=0.0)
    if not lo <= t <= hi:
        raise ValueError(f"{name} must be in [{lo:g}, {hi:g}], got {tol!r}")
    return t


def _route(route, gradient, backend):
    validate.choice("route", route, _ladder.ROUTES)
    validate.choice("gradient", gradient, GRADIENTS)
    validate.choice("backend", backend, _backends.NAMES)
    if route == "newton" and gradient != "auto":
        raise ValueError("gradient applies to route='fixed-point' only (the Newton route uses the envelope "
                         "gradient inside its system of equations)")


def _steps(steps, name="steps"):
    return validate.integer(name, steps, lo=1, hi=40)


def _run(kind, alpha, R, *, tol, solver_tol, backend, gradient, route, on_rung=None):
    """(steps, evaluator or None): the rungs 1..R by the chosen route."""
    _route(route, gradient, backend)
    ev = None
    if route == "fixed-point":
        ev = _rung.Evaluator(tol=solver_tol, backend=backend, gradient=gradient)
    if kind == "threshold":
        return _ladder.thresholds(R, route=route, backend=backend, ev=ev, tol=tol, on_rung=on_rung), ev
    return _ladder.energies(alpha, R, route=route, backend=backend, ev=ev, on_rung=on_rung), ev


def _row_diag(step, ev, t0):
    d = step.row()
    d["limited_by_precision"] = d.pop("accuracy_limited", None)
    d.pop("insertions", None)
    d.update(total_time_s=time.perf_counter() - t0)
    if ev is not None:
        d.update(total_solver_calls=ev.calls)
    return d


HOW = {
    ("newton", "energy"): "functional at the root of the joint system: grid change + second-order effect of the last "
                          "Newton correction + round-off floor",
    ("newton", "threshold"): "root of the joint system (stationarity, envelope gradient, e = 1): last Newton correction "
                             "of alpha + (grid change of the functional + round-off floor)/(de/dalpha)",
    ("fixed-point", "energy"): "functional at the breakpoint optimum: frsb solver error + grid error of the functional "
                               "+ predicted gain (1/2) g^T (-H)^{-1} g left in the breakpoints",
    ("fixed-point", "threshold"): "last Newton step in alpha + (frsb solver error + grid error of the functional + "
                                  "predicted gain left in the breakpoints)/(de_r/dalpha), de_r/dalpha = energetic/alpha",
}


def energy(alpha, *, steps=1, solver_tol=1e-10, backend="auto", gradient="auto", route="newton") -> EnergyResult:
    """e_r(alpha): the r-step functional maximised over its r breakpoints jointly with (q_i, chi).

    Rungs 1..r are built in turn, each started from the previous.  route: 'newton' (the rung's equations as one
    system, numerics/methods/rsb/joint.py) or 'fixed-point' (breakpoints optimised around the k-step fixed point;
    solver_tol and gradient apply to it only)."""
    a = validate.alpha(alpha, lo=2.0)
    r = _steps(steps)
    stol = _common(solver_tol, name="solver_tol")
    t0 = time.perf_counter()
    steps_, ev = _run("energy", a, r, tol=None, solver_tol=stol, backend=backend, gradient=gradient, route=route)
    s = steps_[-1]
    return EnergyResult(METHOD, a, s.value, s.error, HOW[route, "energy"],
                        {"steps": r, "solver_tol": stol, "route": route}, _row_diag(s, ev, t0))


def threshold(*, steps=1, tol=1e-9, solver_tol=1e-10, backend="auto", gradient="auto",
              route="newton") -> ThresholdResult:
    """alpha_r: the root of e_r(alpha) = 1 with the breakpoints optimal.  route 'newton': one system of equations
    (its accuracy is its own floor, ~1e-11, whatever tol asks above it); 'fixed-point': Newton in alpha with
    de_r/dalpha from the envelope theorem, the breakpoints re-optimised at each alpha, to tol."""
    r = _steps(steps)
    t = _common(tol, lo=1e-12, hi=1e-3)
    stol = _common(solver_tol, name="solver_tol")
    t0 = time.perf_counter()
    steps_, ev = _run("threshold", None, r, tol=t, solver_tol=stol, backend=backend, gradient=gradient, route=route)
    s = steps_[-1]
    return ThresholdResult(METHOD, s.value, s.error, HOW[route, "threshold"],
                           {"steps": r, "tol": t, "solver_tol": stol, "route": route}, _row_diag(s, ev, t0))


@dataclass
class Ladder:
    """Rungs r = 1..R (thresholds, or energies at ``alpha``) and the extrapolation of their limit."""

    kind: str
    alpha: float | None
    rows: list
    limit: object
    time_s: float

    @property
    def values(self):
        return np.array([r["value"] for r in self.rows])

    def to_dict(self):
        return {"kind": self.kind, "alpha": self.alpha, "rows": self.rows, "time_s": self.time_s,
                "limit": None if self.limit is None else self.limit.to_dict()}

    def table(self):
        head = "alpha_r" if self.kind == "threshold" else f"e_r({self.alpha:g})"
        lines = [f"{'r':>3} {head:>20} {'error':>9} {'|estar-f|':>9} {'time':>8}  breakpoints"]
        for r in self.rows:
            xs = ", ".join(f"{v:.3f}" for v in r["breakpoints"])
            lines.append(f"{r['r']:>3} {r['value']:20.12f} {r['error']:9.1e} {abs(r['estar_minus_functional']):9.1e} "
                         f"{r['time_s']:7.1f}s  ({xs})" + ("  [precision-limited]" if r.get("accuracy_limited")
                                                             else ""))
        if self.limit is not None:
            lines.append(f"  r -> inf: {self.limit.limit:.10f} +- {self.limit.error:.1e}  ({self.limit.how})")
        return "\n".join(lines)


def _print_rung(row):
    print(f"  rung {row['r']}: {row['value']:.12f} +- {row['error']:.1e} ({row['time_s']:.1f} s)", file=sys.stderr,
          flush=True)


def ladder(max_steps=12, *, alpha=None, tol=1e-9, solver_tol=1e-10, backend="auto", gradient="auto",
           route="newton", extrapolation=True, progress=None) -> Ladder:
    """The ladder r = 1..max_steps: thresholds alpha_r (alpha None) or energies e_r(alpha); with the fits of the
    limit r -> infinity where at least 4 rungs exist.  ``progress``: a callable receiving each rung's row, or True
(a line per rung on stderr)."""
    R = _steps(max_steps, "max_steps")
    t = _common(tol, lo=1e-12, hi=1e-3)
    stol = _common(solver_tol, name="solver_tol")
    t0 = time.perf_counter()
    if progress is True:
        progress = _print_rung
    elif progress is False:
        progress = None
    elif progress is not None and not callable(progress):
        raise TypeError(f"progress must be a callable, True, False or None, got {progress!r}")
    cb = (lambda s: progress(s.row())) if progress is not None else None
    a = None if alpha is None else validate.alpha(alpha, lo=2.0)
    kind = "threshold" if a is None else "energy"
    steps, _ = _run(kind, a, R, tol=t, solver_tol=stol, backend=backend, gradient=gradient, route=route,
                    on_rung=cb)
    rows = [s.row() for s in steps]
    lim = None
    if extrapolation and len(rows) >= 4:
        lim = extrapolate([d["r"] for d in rows], [d["value"] for d in rows], [d["error"] for d in rows])
    return Ladder(kind, a, rows, lim, time.perf_counter() - t0)


def _checks(lad):
    v = lad.values
    sign = -1 if lad.kind == "threshold" else 1
    monotone = bool(np.all(sign * np.diff(v) > 0))
    lim = lad.limit
    beyond = bool(np.all(sign * (lim.limit - v) > 0)) if lim is not None else None
    return {"monotone": monotone, "limit_beyond_every_rung": beyond,
            "max_abs_estar_minus_functional": float(max(abs(r["estar_minus_functional"]) for r in lad.rows))}


CONVERGED_STEPS = 10
"""Rungs of the converged values by default (r <= 10 gives alpha_FRSB to ~8e-7, docs/ladder.md)."""


def _converged(lad, tol, max_steps):
    """(limit, diagnostics): the extrapolation of the ladder with its checks; a bar above ``tol`` is reported as it
    is (never tightened), with a warning and ``tol_met`` False."""
    if lad.limit is None:
        raise ValueError(f"max_steps = {max_steps}: the extrapolation needs at least 4 rungs")
    lim = lad.limit
    met = lim.error <= tol
    if not met:
        warnings.warn(f"the r -> infinity limit from r <= {max_steps} is {lim.limit:.10g} +- {lim.error:.1e}, "
                      f"above the asked tol = {tol:g}: more rungs (max_steps) are needed", stacklevel=3)
    return lim, {"ladder": lad.rows, "extrapolation": lim.to_dict(), **_checks(lad), "time_s": lad.time_s,
                 "tol": tol, "tol_met": met}


def converged_threshold(*, max_steps=CONVERGED_STEPS, tol=1e-5, solver_tol=1e-10, backend="auto", gradient="auto",
                        route="newton", progress=None) -> ThresholdResult:
    """alpha_FRSB as the limit of the ladder alpha_r (docs/ladder.md): value and error bar of the extrapolation
    (covering every defensible fit); diagnostics carry the ladder, the fits and the checks (monotone ladder, limit
    below every rung, the fit-free tail check).  tol: the accuracy asked of the limit; where the bar is larger it is
    returned as it is, with a warning and diagnostics['tol_met'] False."""
    t = _common(tol, lo=1e-12, hi=1.0)
    lad = ladder(max_steps, tol=min(1e-9, t / 100), solver_tol=solver_tol, backend=backend, gradient=gradient,
                 route=route, progress=progress)
    lim, diag = _converged(lad, t, max_steps)
    return ThresholdResult(LIMIT_METHOD, lim.limit, lim.error, lim.how, {"max_steps": max_steps, "converged": True,
                                                                   "tol": t}, diag,
                           how="spread of the defensible limit fits over the rungs")


def converged_energy(alpha, *, max_steps=CONVERGED_STEPS, tol=1e-5, solver_tol=1e-10, backend="auto",
                     gradient="auto", route="newton", progress=None) -> EnergyResult:
    """e_FRSB(alpha) as the limit of the ladder e_r(alpha), with the same fits, checks and tol."""
    t = _common(tol, lo=1e-12, hi=1.0)
    lad = ladder(max_steps, alpha=alpha, solver_tol=solver_tol, backend=backend, gradient=gradient, route=route,
                 progress=progress)
    lim, diag = _converged(lad, t, max_steps)
    return EnergyResult(LIMIT_METHOD, lad.alpha, lim.limit, lim.error, lim.how, {"max_steps": max_steps, "tol": t},
                        diag)


__all__ = ["energy", "threshold", "ladder", "converged_threshold", "converged_energy", "extrapolate", "Ladder"]
