"""Anderson mixing (type II, Walker & Ni 2011) for a fixed point y = T(y) of a small vector map.

Given the residuals ``f_n = T(y_n) - y_n`` of the last ``depth`` iterates, the next iterate is
``y_n + beta f_n - (dY + beta dF) gamma`` with ``gamma`` the least-squares solution of ``dF gamma = f_n``
(dY, dF: differences of consecutive iterates and residuals).  Filtering: the oldest differences are dropped while
the condition number of dF exceeds ``max_cond`` (Walker & Ni's recommendation against stagnation).
Generic numerics; the safeguards that depend on the
problem (admissible region, fallback step) are the caller's.
"""
from __future__ import annotations

import numpy as np


class Anderson:
    def __init__(self, depth: int = 8, beta: float = 1.0, rcond: float = 1e-12, max_cond: float = 1e8):
        self.depth, self.beta, self.rcond, self.max_cond = int(depth), float(beta), rcond, max_cond
        self.reset()

    def reset(self):
        self._y = []
        self._f = []

    def step(self, y, f):
        """Record (y_n, f_n) and return the mixed next iterate."""
        y = np.asarray(y, dtype=float)
        f = np.asarray(f, dtype=float)
        self._y.append(y.copy())
        self._f.append(f.copy())
        if len(self._y) > self.depth + 1:
            self._y.pop(0)
            self._f.pop(0)
        if len(self._y) == 1 or self.depth == 0:
            return y + self.beta * f
        dY = np.diff(np.array(self._y), axis=0).T
        dF = np.diff(np.array(self._f), axis=0).T
        while dF.shape[1] > 1 and np.linalg.cond(dF) > self.max_cond:
            dY, dF = dY[:, 1:], dF[:, 1:]
            self._y.pop(0)
            self._f.pop(0)
        gamma, *_ = np.linalg.lstsq(dF, f, rcond=self.rcond)
        return y + self.beta * f - (dY + self.beta * dF) @ gamma

    def __len__(self):
        return len(self._y)
