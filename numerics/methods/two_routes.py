"""Thresholds found by two independent routes (rs, euler, union, cover, gordon): the skeleton they share.

A method finds its threshold twice in double precision (route A, e.g. Brent on a one-variable reduction; route
B, e.g. Newton on a 2x2 system) and describes, for ``digits``, how to refine both routes in mpmath.  This module
turns that into the :class:`ThresholdResult`:

* double precision: the value of route A; error bar :func:`roots.spread_error` of |A - B|, route A's bracket
  mapped to alpha (``step``) and a 4-ulp floor;
* ``digits``: :func:`roots.refine` of the two mpmath routes from their double solutions; error bar the route
  difference and the last Newton steps, bounded below by half a unit in the last requested digit.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from relu_injectivity.machinery import kernels
from relu_injectivity.machinery import roots
from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import ThresholdResult

GUARD_DIGITS = 10
"""Default guard digits of the mpmath refinement."""


@dataclass
class Found:
    """What a method's double-precision routes found, and how to refine them in mpmath.

    ``keys`` name the diagnostics entries of the two routes' alpha values; ``step`` is route A's last bracket
    mapped to alpha; ``how`` (double) and ``how_mp`` (the routes, for the mpmath sentence) are the error
    methods' words.  ``mp_routes(digits)`` returns the two :class:`roots.Route` and their starts; ``at_root(r)``
    the diagnostics of the refined root (the unknowns there), given the :class:`roots.Refined`.
    """

    alphas: tuple
    keys: tuple
    diag: dict
    how: str
    how_mp: str
    mp_routes: Callable
    at_root: Callable
    what: str
    step: float | None = None


def threshold(method: str, module: str, *, allowed=validate.DIGITS_RANGE, guard=GUARD_DIGITS):
    """Decorator: ``find(g)`` (running the double-precision routes on the generated numba module ``module``,
    returning :class:`Found`) becomes the method's ``threshold(*, digits=None) -> ThresholdResult`` (module
    docstring), with ``find``'s name and docstring; ``allowed`` is the method's range of ``digits``, ``guard``
    its mpmath guard digits."""
    def make(find: Callable[..., Found]):
        def threshold(*, digits=None) -> ThresholdResult:
            return _result(method, lambda: find(kernels.numba(module)), digits, allowed, guard)
        threshold.__name__, threshold.__qualname__ = find.__name__, find.__qualname__
        threshold.__doc__, threshold.__module__ = find.__doc__, find.__module__
        return threshold
    return make


def _result(method, find, digits, allowed, guard) -> ThresholdResult:
    digits = validate.digits(digits, allowed)
    t0 = time.perf_counter()
    f = find()
    diag = f.diag
    alpha_a, alpha_b = f.alphas
    if digits is None:
        alpha = alpha_a
        steps = [] if f.step is None else [f.step]
        err = roots.spread_error(alpha_a, [alpha_b], steps=steps, floor=roots.ulp_floor(alpha_a))
        how = f.how
    else:
        routes, starts = f.mp_routes(digits)
        r = roots.refine(routes, starts, digits=digits, guard=guard, what=f.what)
        alpha, err = r.value, r.error
        diag.update(f.at_root(r))
        diag.update({f.keys[0]: alpha, f.keys[1]: r.values[1], "route_difference": r.route_difference,
                     "newton_iterations": r.iterations, "working_digits": r.working_digits})
        how = (f"mpmath at {r.working_digits} digits: {f.how_mp}, bounded below by half a unit in the {digits}th "
               f"printed digit")
    diag["time_s"] = time.perf_counter() - t0
    return ThresholdResult(method, alpha, err, how, {"digits": digits}, diag, digits)


def newton_system(g, system, start, *, what, **options):
    """Newton on the generated 2x2 system ``system`` = (names of F, names of the Jacobian rows) of the generated
    module ``g`` (:func:`kernels.system`) from ``start``: (x, iterations)."""
    F, J = kernels.system(g, *system)
    x, _, its, _ = roots.newton(lambda x: np.array(F(*x)), lambda x: np.array(J(*x)), start, what=what, **options)
    return x, its


def unit_root(f, edge, *, what, level=0.0):
    """Brent root of f(p) = level on [edge, 1 - edge] (p = 1/alpha or 1/(alpha - 1), a point of the unit
    interval; f a generated kernel): (p, bracket width, calls)."""
    return roots.brent(lambda p: float(f(p)) - level, edge, 1 - edge, what=what)
