"""Gaussian expectations E_xi[f(xi)], xi ~ N(0, 1).

Double precision: the trapezoid rule on [-L, L] with the Gaussian density folded into the weights.  For the
analytic, Gaussian-decaying integrands of this project it converges geometrically; halving the number of
intervals gives a (pessimistic) error estimate.  Arbitrary precision: mpmath.quad (tanh-sinh) on the half lines.
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
    x = np.linspace(-half_width, half_width, intervals + 1)
    h = x[1] - x[0]
    wts = h * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
    wts[0] *= 0.5
    wts[-1] *= 0.5
    x.flags.writeable = False
    wts.flags.writeable = False
    return x, wts


def default_rule() -> TrapezoidRule:
    return TrapezoidRule()


def expect_mp(f, *params):
    """E_xi[f(xi, *params)] by mpmath.quad at the working precision."""
    norm = 1 / mpmath.sqrt(2 * mpmath.pi)
    return mpmath.quad(lambda x: f(x, *params) * mpmath.exp(-x * x / 2) * norm, [-mpmath.inf, -4, 0, 4, mpmath.inf])
