"""The limit r -> infinity of the r-RSB ladder (docs/theory.md §4.11; the fit models in docs/ladder.md).

Models of the r-dependence of a rung value a_r (a threshold alpha_r or an energy e_r(alpha)):

* ``power``:        a_r = a_inf + c r^-p                      (free exponent p; 3 parameters)
* ``power+1``:      a_r = a_inf + c r^-p (1 + d/r)            (free exponent with a correction; 4 parameters)
* ``fixed3``:       a_r = a_inf + c r^-3 + d r^-4             (the exponent 3 of the first rungs, with a correction)
* ``fixed3+2``:     a_r = a_inf + c r^-3 + d r^-4 + f r^-5

Each is fitted by weighted least squares (weights 1/error of the rungs) on every window r >= r_min that leaves it
at least one residual degree of freedom, and on each window again with each point left out in turn.  A fit is
*defensible* if it converges, its exponent (where free) lies in (0, 20), and the rms of its residuals is at most
MISFIT times the last step of the ladder |a_{R-1} - a_R|: a model that cannot describe the resolved steps to that
level cannot be trusted to sum the unresolved ones.  (The rungs are exact to ~1e-11, far below the misfit of any
finite model, so a chi^2 test against the rung errors would reject every fit; this test drops the models the data
contradict, e.g. a fixed exponent or the 1-RSB rung where the local exponent still drifts.)

The central value is the ``power+1`` fit on r >= max(CENTRAL_FROM, R - CENTRAL_SPAN) (a free exponent with its
leading correction, on the most asymptotic rungs that still leave residual freedom); the error bar is the largest
distance of any defensible fit's limit from it, plus the central fit's own standard error and the largest rung
error among the points used: it covers every defensible fit of the family.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares
from scipy.special import zeta


def _power(r, a, c, p):
    return a + c * r ** (-p)


def _power1(r, a, c, p, d):
    return a + c * r ** (-p) * (1 + d / r)


def _fixed3(r, a, c, d):
    return a + c * r ** -3.0 + d * r ** -4.0


def _fixed32(r, a, c, d, f):
    return a + c * r ** -3.0 + d * r ** -4.0 + f * r ** -5.0


MODELS = {"power": (_power, 3), "power+1": (_power1, 4), "fixed3": (_fixed3, 3), "fixed3+2": (_fixed32, 4)}
"""name -> (function of r and parameters, number of parameters); the first parameter is the limit a_inf."""
CENTRAL_MODEL, CENTRAL_FROM, CENTRAL_SPAN = "power+1", 3, 7
"""The central fit: ``power+1`` on r >= max(3, R - 7); where it cannot be fitted, the defensible fit with the
smallest chi^2/dof on the largest window."""
MISFIT = 0.01
"""A fit is defensible if the rms of its residuals is <= MISFIT * |a_{R-1} - a_R| (the last step of the ladder)."""


@dataclass
class Fit:
    model: str
    r: list
    limit: float
    limit_error: float
    params: list
    chi2: float
    dof: int
    left_out: int | None = None
    rms: float = 0.0

    def to_dict(self):
        return dataclasses.asdict(self)


@dataclass
class Extrapolation:
    limit: float
    error: float
    central: Fit
    fits: list
    how: str
    budget: dict = field(default_factory=dict)
    tail: dict = field(default_factory=dict)

    def to_dict(self):
        return {"limit": self.limit, "error": self.error, "central": self.central.to_dict(), "how": self.how,
                "budget": self.budget, "tail_check": self.tail, "fits": [f.to_dict() for f in self.fits]}


def tail_check(r, a):
    """A fit-free cross-check of the limit: the local exponent p of the last two steps d_s = a_s - a_{s+1}
    (d_s ~ (s + 1/2)^-(p+1)), and the limit a_R - sum_{s >= R} d_s with the steps continued at that exponent
    (Hurwitz zeta), at p and at p + 1/2 (a rising local exponent makes the tail smaller)."""
    r, a = np.asarray(r, float), np.asarray(a, float)
    if len(r) < 3 or not np.all(np.diff(r) == 1):
        return {}
    d1, d2 = a[-3] - a[-2], a[-2] - a[-1]
    if not (d1 * d2 > 0 and abs(d2) < abs(d1)):
        return {}
    p = math.log(d1 / d2) / math.log((r[-2] + 0.5) / (r[-3] + 0.5)) - 1.0
    out = {"local_exponent": p}
    for name, pp in (("limit_at_local_exponent", p), ("limit_at_local_exponent_plus_half", p + 0.5)):
        c = d2 * (r[-2] + 0.5) ** (pp + 1)
        out[name] = float(a[-1] - c * zeta(pp + 1, r[-1] + 0.5))
    return out


def fit(model, r, a, err):
    """Weighted least-squares fit of ``model`` to (r, a +- err); None if it has no residual degree of freedom,
    does not converge, or (free exponent) gives p <= 0."""
    f, n = MODELS[model]
    r, a, err = (np.asarray(v, dtype=float) for v in (r, a, err))
    if len(r) <= n:
        return None
    w = 1.0 / np.maximum(err, 1e-300)
    scale = max(np.max(np.abs(a - a[-1])), 1e-300)
    a0 = [a[-1], (a[0] - a[-1]) * r[0] ** 3] + ([3.0] if model.startswith("power") else [0.0]) + [0.0] * (n - 3)

    def res(pr):
        return (f(r, *pr) - a) * w

    try:
        sol = least_squares(res, a0, x_scale=[scale] + [scale * r[0] ** 3] + [1.0] * (n - 2), method="lm",
                            max_nfev=20000, xtol=1e-15, ftol=1e-15, gtol=1e-15)
    except (ValueError, np.linalg.LinAlgError):
        return None
    if not sol.success or not np.all(np.isfinite(sol.x)):
        return None
    if model.startswith("power") and not 0 < sol.x[2] < 20:
        return None
    chi2 = float(np.sum(sol.fun ** 2))
    dof = len(r) - n
    try:
        cov = np.linalg.inv(sol.jac.T @ sol.jac) * max(1.0, chi2 / dof)
        se = float(math.sqrt(max(cov[0, 0], 0.0)))
    except np.linalg.LinAlgError:
        se = float("inf")
    rms = float(np.sqrt(np.mean((f(r, *sol.x) - a) ** 2)))
    return Fit(model, [int(v) for v in r], float(sol.x[0]), se, [float(v) for v in sol.x], chi2, dof, rms=rms)


def extrapolate(r, a, err, *, models=tuple(MODELS), r_min=None, leave_one_out=True) -> Extrapolation:
    """The limit of a_r as r -> infinity with an error bar covering every defensible fit (see the module doc).
    r_min: the windows' first rungs (default: every one that leaves a fit residual freedom)."""
    r, a, err = (np.asarray(v, dtype=float) for v in (r, a, err))
    if not (r.ndim == 1 and r.shape == a.shape == err.shape):
        raise ValueError("r, a and err must be one-dimensional and of the same length")
    if len(r) < 4:
        raise ValueError(f"the extrapolation needs at least 4 rungs, got {len(r)}")
    if np.any(err <= 0) or not np.all(np.isfinite(a)):
        raise ValueError("rung values must be finite with positive errors")
    order = np.argsort(r)
    r, a, err = r[order], a[order], err[order]
    starts = [int(v) for v in r] if r_min is None else list(r_min)
    fits = []
    for m in models:
        for rm in starts:
            sel = r >= rm
            f = fit(m, r[sel], a[sel], err[sel])
            if f is None:
                continue
            fits.append(f)
            if leave_one_out:
                for j in np.flatnonzero(sel):
                    keep = sel.copy()
                    keep[j] = False
                    g = fit(m, r[keep], a[keep], err[keep])
                    if g is not None:
                        g.left_out = int(r[j])
                        fits.append(g)
    if not fits:
        raise ValueError("no model could be fitted (too few rungs for the models asked)")
    step = abs(a[-1] - a[-2])
    kept = [f for f in fits if f.rms <= MISFIT * step]
    if not kept:
        raise ValueError(f"no fit describes the rungs to {MISFIT:g} of the last step {step:.2e}: more rungs needed")
    full = [f for f in kept if f.left_out is None]
    first = max(CENTRAL_FROM, int(r[-1]) - CENTRAL_SPAN, int(r[0]))
    central = next((f for f in full if f.model == CENTRAL_MODEL and f.r[0] == first), None)
    if central is None:
        central = min(full or kept, key=lambda f: (f.r[0], f.chi2 / f.dof))
    spread = max(abs(f.limit - central.limit) for f in kept)
    used = err[r >= min(central.r)]
    budget = {"spread_of_fits": spread, "central_standard_error": central.limit_error,
              "largest_rung_error": float(np.max(used))}
    how = (f"limit of the '{central.model}' fit on r = {central.r[0]}..{central.r[-1]}; error = largest distance of "
           f"any of {len(kept)} defensible fits (of {len(fits)}: models {', '.join(models)}, every window r >= r_min, "
           f"leave-one-out; defensible: residual rms <= {MISFIT:g} x the last ladder step) from it + its standard "
           "error + the largest rung error")
    return Extrapolation(central.limit, float(sum(budget.values())), central, fits, how, budget, tail_check(r, a))
