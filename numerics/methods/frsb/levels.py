"""Level algebra of the k-step functional on the host (arrays over levels, not over the field grid).

Every formula is a generated kernel of derive/frsb.py: cumulative susceptibilities ``L_i`` (docs/theory.md §4.1), the
entropic part of (FRSB-e), the left sides ``G_i`` of the stationarity equations (S_i), and the authors' update
(§4.5 steps 1-5: lambda_0, the recursion of 1/lambda, dq from lambda, the chi equation).  Only cumulative sums,
sorting and the scalar root search are done here.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from relu_injectivity.machinery import kernels

GEN = "frsb"
DQ_NEGATIVE = -1e-10
"""A new increment below this is an error of the update (docs/theory.md §4.5 step 4); above it, q is sorted."""


class UpdateError(ArithmeticError):
    """The update of docs/theory.md §4.5 has no admissible result at this point (the caller falls back)."""


def _k():
    return kernels.numba(GEN)


class Levels:
    """Host-side functions of (q_0..q_k, chi) at fixed breakpoints x_0 < ... < x_{k-1}."""

    def __init__(self, x):
        self.x = np.ascontiguousarray(x, dtype=float)
        self.k = len(self.x)
        self.K = _k()

    @staticmethod
    def dq(q):
        """dq_0 = q_0, dq_i = q_i - q_{i-1} (q has k+1 entries, q_k = 1)."""
        return np.diff(q, prepend=0.0)

    def L(self, q, chi):
        """L_0..L_k with L_k = chi, L_i = L_{i+1} + x_i dq_{i+1}."""
        inc = self.K.frsb_L_increment__map(self.x, np.ascontiguousarray(self.dq(q)[1:]))
        return chi + np.concatenate([np.cumsum(inc[::-1])[::-1], [0.0]])

    def entropic(self, q, chi):
        """-(1/2)[q_0/L_0 + sum_i (1/x_i) log(L_i/L_{i+1})]."""
        L = self.L(q, chi)
        first = self.K.frsb_entropy_first(q[0], L[0])
        return float(first + np.sum(self.K.frsb_entropy_term__map(L[:-1], L[1:], self.x)))

    def entropic_dx(self, q, chi):
        """d(entropic)/dx_j at fixed (q, chi), j = 0..k-1: the explicit part of term j plus dL/dx_j times the
        accumulated dS/dL_i, i <= j (derive.frsb.entropic_dx_pieces)."""
        K, x = self.K, self.x
        L = self.L(q, chi)
        dqn = np.ascontiguousarray(self.dq(q)[1:])
        dL = K.frsb_entropic_dL__map(L[:-1], L[1:], x)
        dLn = K.frsb_entropic_dLn__map(L[:-1], L[1:], x)
        D = K.frsb_entropic_dL_first(q[0], L[0]) + np.cumsum(dL + np.concatenate([[0.0], dLn[:-1]]))
        return K.frsb_entropic_dx_explicit__map(L[:-1], L[1:], x) + K.frsb_L_dx__map(x, dqn) * D

    def dx(self, q, chi, level_energetic, alpha):
        """de/dx_j of (FRSB-e) at fixed (q, chi): entropic part plus the energetic part from the level integrals
        En_i = -alpha int p_i F_i (derive.frsb.energetic_dx).  At a stationary point this is the derivative of the
        stationary value (envelope theorem)."""
        En = np.ascontiguousarray(level_energetic, dtype=float)
        return self.entropic_dx(q, chi) + self.K.frsb_energetic_dx__map(En[:-1], En[1:], self.x, float(alpha))

    def G(self, q, chi, L=None):
        """G_0..G_k of (S_i)."""
        L = self.L(q, chi) if L is None else L
        inc = self.K.frsb_G_increment__map(np.ascontiguousarray(self.dq(q)[1:]), L[:-1], L[1:])
        return self.K.frsb_G_first(q[0], L[0]) + np.concatenate([[0.0], np.cumsum(inc)])

    def lambdas(self, q0, Qhat):
        """lambda_0 = sqrt(q_0/Qhat_0), 1/lambda_i = 1/lambda_{i-1} + x_{i-1}(Qhat_i - Qhat_{i-1})."""
        K = self.K
        if not (Qhat[0] > 0 and q0 > 0):
            raise UpdateError(f"lambda_0 needs q_0 > 0 and Qhat_0 > 0 (q_0 = {q0}, Qhat_0 = {Qhat[0]})")
        lam0 = K.frsb_lambda_first(q0, Qhat[0])
        inv = 1.0 / lam0 + np.concatenate([[0.0], np.cumsum(K.frsb_inv_lambda_increment__map(
            self.x, np.ascontiguousarray(np.diff(Qhat))))])
        if not np.all(inv > 0):
            raise UpdateError("1/lambda_i <= 0: Qhat decreases too fast along the levels")
        return 1.0 / inv

    def q_from_lambdas(self, lam):
        """q_k = 1, q_i = q_{i+1} - dq_{i+1}, dq_{i+1} = (lambda_i - lambda_{i+1})/x_i."""
        dq = self.K.frsb_dq_from_lambda__map(lam[:-1], lam[1:], self.x)
        return np.concatenate([1.0 - np.cumsum(dq[::-1])[::-1], [1.0]])

    def chi_equation(self, q, Qk, chi_old):
        """chi -> G_k(q, chi) - Qhat_k(chi) with the authors' model Qhat_k(chi) = Qhat_k sqrt(chi_old/chi)."""
        K = self.K

        def f(c):
            return float(self.G(q, c)[-1] - K.frsb_chi_rhs(Qk, chi_old, c))
        return f

    def update(self, q, chi, Qhat):
        """One application of the authors' update (docs/theory.md §4.5 steps 1-5): (q_new, chi_new, lambda).

        Increments of the new q above -1e-10 are sorted away (step 4).  Larger negative increments are returned
        as they are (the caller damps the step; the authors' code stops there): chi_new is then solved with the
        increments clipped at zero.  Raises UpdateError where the update is not defined (Qhat_0 <= 0,
        1/lambda <= 0, no sign change of the chi equation)."""
        lam = self.lambdas(q[0], Qhat)
        qn = self.q_from_lambdas(lam)
        dq = self.dq(qn)
        if DQ_NEGATIVE <= dq.min() < 0:
            qn = np.sort(qn)
        qc = qn
        if dq.min() < DQ_NEGATIVE or qn[0] <= 0:
            dqc = np.maximum(dq, 0.0)
            qc = np.concatenate([1.0 - np.cumsum(dqc[1:][::-1])[::-1], [1.0]])
            if qc[0] <= 0 or not dqc[-1] > 0:
                qc = np.asarray(q, dtype=float)
        f = self.chi_equation(qc, Qhat[-1], chi)
        lo, hi = chi / 2, chi * 2
        flo, fhi = f(lo), f(hi)
        for _ in range(60):
            if flo > 0 > fhi:
                break
            if flo <= 0:
                lo /= 2
                flo = f(lo)
            if fhi >= 0:
                hi *= 2
                fhi = f(hi)
        else:
            raise UpdateError("chi equation: no sign change")
        chin = brentq(f, lo, hi, xtol=1e-15 * chi, rtol=1e-15)
        return qn, chin, lam
