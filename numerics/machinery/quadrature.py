"""Gaussian expectations E_xi[f(xi)], xi ~ N(0, 1).

Double precision: the trapezoid rule on [-L, L] with the Gaussian density folded into the weights.  For the
analytic, Gaussian-decaying integrands of this project it converges geometrically; halving the number of
intervals gives a (pessimistic) error estimate.  Arbitrary precision: Gauss-Legendre (mpmath.quad) on a window
outside which the Gaussian tail is below the working precision.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import mpmath
import numpy as np


@dataclass(frozen=True)
class TrapezoidRule:
    """Nodes and weights of E_xi on [-half_width, half_width] with `intervals` equal steps."""

    half_width: float = 12.0
    intervals: int = 1200

    @property
    def nodes(self) -> np.ndarray:
        return _nodes_weights(self.half_width, self.intervals)[0]

    @property
    def weights(self) -> np.ndarray:
        return _nodes_weights(self.half_width, self.intervals)[1]

    def expect(self, f, *params) -> float:
        """sum_j w_j f(x_j, *params)."""
        x, wts = _nodes_weights(self.half_width, self.intervals)
        return float(np.dot(wts, f(x, *params)))

    def coarser(self) -> "TrapezoidRule":
        """The rule with half as many intervals (for the error estimate)."""
        return TrapezoidRule(self.half_width, self.intervals // 2)


@lru_cache(maxsize=32)
def _nodes_weights(half_width: float, intervals: int):
    h = 2 * half_width / intervals
    x = -half_width + h * np.arange(intervals + 1)
    wts = h * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
    wts[0] *= 0.5
    wts[-1] *= 0.5
    x.flags.writeable = False
    wts.flags.writeable = False
    return x, wts


def default_rule() -> TrapezoidRule:
    return TrapezoidRule()


def expect_mp(f, *params, error=False):
    """E_xi[f(xi, *params)] by Gauss-Legendre (mpmath.quad) on [-L, -4, 0, 4, L] at the working precision.

    L is chosen so that the Gaussian tail beyond it is below 10^-(working digits + 5) (the integrands grow at
    most polynomially).  For these analytic integrands Gauss-Legendre needs about half the evaluations of
    tanh-sinh on the whole line at 40 digits.  With ``error=True`` returns (value, mpmath's error estimate).
    """
    half = mpmath.sqrt(2 * (mpmath.mp.dps + 5) * mpmath.log(10))
    norm = 1 / mpmath.sqrt(2 * mpmath.pi)
    return mpmath.quad(lambda t: f(t, *params) * mpmath.exp(-t * t / 2) * norm, [-half, -4, 0, 4, half],
                       method="gauss-legendre", error=error)
