"""Checks of the user's parameters of frsb.energy/threshold, the cold start, and the SAT boundary (a clear
ValueError/TypeError saying what is allowed, before anything is computed)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from relu_injectivity.machinery import backends as _backends
from relu_injectivity.machinery import kernels
from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import EnergyResult
from relu_injectivity.methods.frsb import grid as _grid
from relu_injectivity.methods.frsb import solver as _solver
from relu_injectivity.methods.frsb.recursion import MAX_BREAKPOINT
from relu_injectivity.methods.frsb.start import COLD_CHI, COLD_Q, cold

METHOD = "frsb"
ALPHA_MAX = 100.0
"""Largest alpha accepted by frsb.energy: the field's window grows like 1/chi^(1/2) with chi -> 0 as alpha grows
(alpha = 30: 7200 grid points at k = 30), and alpha = 1000 would run for hours instead of failing."""
XMAX_MAX = 30.0
"""Largest xmax of the default breakpoint grid (the range issue 14 asks for; measured at alpha = 6: k = 50, xmax = 30,
tol = 1e-6 converges in 99 s, on a 2250-point grid planned from the solution; docs/theory.md §4.7).  Larger
breakpoints can still be passed explicitly (``breakpoints=``, up to recursion.MAX_BREAKPOINT)."""
MAX_LEVELS = 10000
"""Largest k accepted: one evaluation costs ~k M log M (M >= 700 grid points) and the solver needs hundreds."""


def sat_alpha() -> float:
    """The SAT boundary: e* = 0 for alpha <= this (generated rs_sat_alpha, docs/theory.md §1, §2.3)."""
    return float(kernels.numba("rs").rs_sat_alpha())


def breakpoints_from(k, xmax, breakpoints):
    """x_0 < ... < x_{k-1}: linspace(0.01, xmax, k), or the user's breakpoints (k of them, increasing)."""
    k = validate.integer("k", k, lo=1)
    if k > MAX_LEVELS:
        raise ValueError(f"k must be <= {MAX_LEVELS} (frsb.MAX_LEVELS: memory and time grow like k times the grid "
                         f"length), got {k}")
    if breakpoints is None:
        xmax = validate.real("xmax", xmax, lo=0.0)
        if xmax > XMAX_MAX:
            raise ValueError(f"xmax must be <= {XMAX_MAX:g} (frsb.XMAX_MAX; e* changes by only ~1e-4 between "
                             f"xmax = 10 and 15, the grid and the time grow fast with xmax), got {xmax!r}; larger "
                             f"breakpoints can be passed explicitly with breakpoints=")
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


def alpha_range(alpha):
    """alpha <= ALPHA_MAX (ValueError with advice)."""
    if alpha > ALPHA_MAX:
        raise ValueError(f"alpha must be <= {ALPHA_MAX:g} for frsb (frsb.ALPHA_MAX: the h grid grows like alpha, "
                         f"a larger alpha would run for hours), got {alpha!r}; for large alpha use the closed-form "
                         f"methods (rs, one-rsb) or a bound (union, gordon-chernoff)")
    return alpha


def tolerance(tol, name="tol", lo=1e-13, hi=1e-2):
    t = validate.real(name, tol, lo=0.0)
    if not lo <= t <= hi:
        raise ValueError(f"{name} must be in [{lo:g}, {hi:g}], got {tol!r}")
    return t


def precision(x, tol, name="tol"):
    """The breakpoints' range check (exp(x (F - m)) must stay in the double range); tol unchanged.  There is no
    precision floor in x: levels whose FFT round-off would exceed the tolerance use the direct sums."""
    if np.max(x) > MAX_BREAKPOINT:
        raise ValueError(f"breakpoints must be <= {MAX_BREAKPOINT:g} (exp(x) must stay inside the double range), got "
                         f"{np.max(x):g}")
    return tol


def grid_args(half_width, points_per_unit):
    hw = None if half_width is None else validate.real("half_width", half_width, lo=0.0)
    ppu = None
    if points_per_unit is not None:
        ppu = validate.integer("points_per_unit", points_per_unit, lo=_grid.MIN_POINTS_PER_UNIT)
    return hw, ppu


def start_point(init, k):
    """(q, chi) from a previous result (EnergyResult of this method, or a mapping with 'q' and 'chi'), or cold."""
    if init is None:
        return cold(k)
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


def backend(name, grid):
    """The backend object for a name of machinery.backends (or a Backend passed through)."""
    if isinstance(name, _backends.Backend):
        return name
    validate.choice("backend", name, _backends.NAMES)
    return _backends.get(name, points=grid.M)
