"""Gaussian notation shared by every derivation (docs/theory.md, "Notation").

``Avg(f)`` is the unevaluated expectation E_xi[f(xi)] over one standard Gaussian variable ``xi``.  It
differentiates under the integral sign, so free entropies written with it can be differentiated by SymPy
directly; where SymPy can do the integral in closed form, :func:`integrate_gaussian` does it.
"""
from __future__ import annotations

import sympy as sp

xi = sp.Symbol("xi", real=True)
"""The integration variable of every Gaussian average."""


def phi(t):
    """Standard normal density phi(t) = exp(-t^2/2)/sqrt(2 pi)."""
    return sp.exp(-t**2 / 2) / sp.sqrt(2 * sp.pi)


def H(t):
    """Gaussian tail H(t) = P(N(0,1) > t) = erfc(t/sqrt 2)/2 (never 1 - Phi, docs/theory.md §5b.1)."""
    return sp.erfc(t / sp.sqrt(2)) / 2


def Phi(t):
    """Gaussian distribution function Phi(t) = P(N(0,1) <= t) = erfc(-t/sqrt 2)/2."""
    return sp.erfc(-t / sp.sqrt(2)) / 2


class Avg(sp.Function):
    """E_xi[f(xi)], xi ~ N(0,1); derivatives with respect to other symbols pass under the integral."""

    nargs = 1

    def _eval_derivative(self, s):
        if s == xi:
            raise ValueError("Avg is a function of its parameters only; xi is integrated out")
        return Avg(sp.diff(self.args[0], s))


def integrate_gaussian(integrand, pieces=None, var=xi):
    """Closed-form E[f(var)] for a standard Gaussian ``var``.

    ``pieces`` is a list of ``(expr, lower, upper)`` giving f piecewise on intervals; without it the
    integrand is integrated over the whole line.  Each piece is integrated by SymPy.
    """
    if pieces is None:
        pieces = [(integrand, -sp.oo, sp.oo)]
    total = sum(sp.integrate(expr * phi(var), (var, lo, hi)) for expr, lo, hi in pieces)
    return total


def tails(expr):
    """Rewrite erf in terms of erfc so that Gaussian tails are never formed as 1 - (something near 1)."""
    return sp.simplify(expr.rewrite(sp.erfc))
