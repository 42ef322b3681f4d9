"""r-step RSB with optimised breakpoints, the r-RSB ladder and its limit (docs/theory.md §4.11, docs/ladder.md).

    energy(alpha, steps=r)     -> EnergyResult: e_r(alpha) = max over the r breakpoints of the r-step functional
    threshold(steps=r)         -> ThresholdResult: alpha_r, the root of e_r(alpha) = 1
    ladder(max_steps=12)       -> Ladder: alpha_r (or e_r(alpha)) for r = 1..R, with the fits of the limit
    converged_threshold(...)   -> ThresholdResult: alpha_FRSB as the limit r -> infinity of the ladder
    converged_energy(alpha)    -> EnergyResult: e_FRSB(alpha) likewise

The ground-state energy is the supremum of the zero-temperature functional over the order parameter, breakpoints
included, so e_1 <= e_2 <= ... <= e_FRSB and alpha_1 >= alpha_2 >= ... >= alpha_FRSB.  The reported energy is
the functional at the optimum; there estar = functional (dilation identity, docs/theory.md §4.6), and
|estar - functional| is reported as a check.  r = 1 is 1-RSB.  The inner problem (q, chi at fixed breakpoints)
is numerics/methods/frsb; the outer loop is numerics/methods/rsb/rung.py, the ladder numerics/methods/rsb/rungs.py.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import EnergyResult, ThresholdResult
from relu_injectivity.methods.rsb import rungs as _ladder
from relu_injectivity.methods.rsb import rung as _rung
from relu_injectivity.methods.rsb.limit import extrapolate

METHOD = "rsb"
GRADIENTS = ("auto", "envelope", "differences")


def _common(tol, backend, gradient, lo=1e-13, hi=1e-4, name="tol"):
    t = validate.real(name, tol, lo=0.0)
    if not lo <= t <= hi:
        raise ValueError(f"{name} must be in [{lo:g}, {hi:g}], got {tol!r}")
    validate.choice("gradient", gradient, GRADIENTS)
    return t


def _steps(steps, name="steps"):
    return validate.integer(name, steps, lo=1, hi=40)


def _evaluator(solver_tol, backend, gradient):
    return _rung.Evaluator(tol=solver_tol, backend=backend, gradient=gradient)


def _row_diag(step, ev, t0):
    d = step.row()
    d["limited_by_precision"] = d.pop("accuracy_limited", None)
    d.pop("insertions", None)
    d.update(total_solver_calls=ev.calls, total_time_s=time.perf_counter() - t0)
    return d


def energy(alpha, *, steps=1, solver_tol=1e-10, backend="auto", gradient="auto") -> EnergyResult:
    """e_r(alpha): the r-step functional maximised over its r breakpoints jointly with (q_i, chi).

    Rungs 1..r are built in turn (each warm-started from the previous).  solver_tol: tol of the fixed point at
    fixed breakpoints (frsb.energy); raised, and said so in diagnostics['limited_by_precision'], where double
    precision cannot deliver it for the breakpoints reached.  Error: numerical error of the functional (solver +
    grid) + the predicted gain still left in the breakpoints."""
    a = validate.alpha(alpha, lo=2.0)
    r = _steps(steps)
    stol = _common(solver_tol, backend, gradient, name="solver_tol")
    t0 = time.perf_counter()
    ev = _evaluator(stol, backend, gradient)
    s = _ladder.energies(a, r, ev=ev)[-1]
    how = ("functional at the breakpoint optimum: frsb solver error + grid error of the functional + predicted gain "
           "(1/2) g^T (-H)^{-1} g left in the breakpoints (g the envelope gradient, H its Hessian)")
    return EnergyResult(METHOD, a, s.value, s.error, how, {"steps": r, "solver_tol": stol},
                        _row_diag(s, ev, t0))


def threshold(*, steps=1, tol=1e-9, solver_tol=1e-10, backend="auto", gradient="auto") -> ThresholdResult:
    """alpha_r: the root of e_r(alpha) = 1 (Newton in alpha with de_r/dalpha from the envelope theorem, the
    breakpoints re-optimised at each alpha).  Error: last Newton step + (functional error + gain left)/(de/dalpha)."""
    r = _steps(steps)
    t = _common(tol, backend, gradient, lo=1e-12, hi=1e-3)
    stol = _common(solver_tol, backend, gradient, name="solver_tol")
    t0 = time.perf_counter()
    ev = _evaluator(stol, backend, gradient)
    s = _ladder.thresholds(r, ev=ev, tol=t)[-1]
    how = ("last Newton step in alpha + (frsb solver error + grid error of the functional + predicted gain left in "
           "the breakpoints)/(de_r/dalpha), de_r/dalpha = energetic term/alpha (envelope theorem)")
    return ThresholdResult(METHOD, s.value, s.error, how, {"steps": r, "tol": t, "solver_tol": stol},
                           _row_diag(s, ev, t0))


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


def ladder(max_steps=12, *, alpha=None, tol=1e-9, solver_tol=1e-10, backend="auto", gradient="auto",
           extrapolation=True, progress=None) -> Ladder:
    """The ladder r = 1..max_steps: thresholds alpha_r (alpha None) or energies e_r(alpha); with the fits of the
    limit r -> infinity where at least 4 rungs exist.  ``progress``: a callable receiving each rung's row."""
    R = _steps(max_steps, "max_steps")
    t = _common(tol, backend, gradient, lo=1e-12, hi=1e-3)
    stol = _common(solver_tol, backend, gradient, name="solver_tol")
    t0 = time.perf_counter()
    ev = _evaluator(stol, backend, gradient)
    cb = (lambda s: progress(s.row())) if progress is not None else None
    if alpha is None:
        steps, kind, a = _ladder.thresholds(R, ev=ev, tol=t, on_rung=cb), "threshold", None
    else:
        a = validate.alpha(alpha, lo=2.0)
        steps, kind = _ladder.energies(a, R, ev=ev, on_rung=cb), "energy"
    rows = []
    for s in steps:
        d = s.row()
        rows.append(d)
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


def converged_threshold(*, max_steps=12, tol=1e-9, solver_tol=1e-10, backend="auto", gradient="auto",
                        progress=None) -> ThresholdResult:
    """alpha_FRSB as the limit of the ladder alpha_r (docs/ladder.md): value and error bar of the extrapolation
    (covering every admissible fit); diagnostics carry the ladder, the fits and the checks (monotone ladder, limit
    below every rung)."""
    lad = ladder(max_steps, tol=tol, solver_tol=solver_tol, backend=backend, gradient=gradient, progress=progress)
    if lad.limit is None:
        raise ValueError(f"max_steps = {max_steps}: the extrapolation needs at least 4 rungs")
    lim = lad.limit
    return ThresholdResult(METHOD, lim.limit, lim.error, lim.how, {"max_steps": max_steps, "converged": True},
                           {"ladder": lad.rows, "extrapolation": lim.to_dict(), **_checks(lad),
                            "time_s": lad.time_s}, how="spread of the limit fits over the rungs")


def converged_energy(alpha, *, max_steps=12, solver_tol=1e-10, backend="auto", gradient="auto",
                     progress=None) -> EnergyResult:
    """e_FRSB(alpha) as the limit of the ladder e_r(alpha), with the same fits and checks."""
    lad = ladder(max_steps, alpha=alpha, solver_tol=solver_tol, backend=backend, gradient=gradient,
                 progress=progress)
    if lad.limit is None:
        raise ValueError(f"max_steps = {max_steps}: the extrapolation needs at least 4 rungs")
    lim = lad.limit
    return EnergyResult(METHOD, lad.alpha, lim.limit, lim.error, lim.how, {"max_steps": max_steps},
                        {"ladder": lad.rows, "extrapolation": lim.to_dict(), **_checks(lad), "time_s": lad.time_s})


__all__ = ["energy", "threshold", "ladder", "converged_threshold", "converged_energy", "extrapolate", "Ladder"]
