"""Level algebra of the k-step functional on the host (arrays over levels, not over the field grid).

Every recursion over the levels is one generated loop of derive/frsb.py (derive.codegen.Loop, printed with its
loop over i): the cumulative susceptibilities ``L_i`` (docs/theory.md §4.1), the left sides ``G_i`` of the
stationarity equations (S_i), the terms of the entropic part of (FRSB-e) and its breakpoint derivative, and the
authors' update (§4.5 steps 1-5: lambda_0 and the recursion of 1/lambda, q from lambda, the chi equation).  Done
here: sorting, clipping, the scalar root search of the chi equation, and the sum of the entropic terms over the
levels (numpy's pairwise summation, more accurate than a running sum for large k).
"""
from __future__ import annotations

import numpy as np
from relu_injectivity.machinery import kernels, roots
from relu_injectivity.machinery.results import ConvergenceError
from relu_injectivity.machinery.update_error import UpdateError

__all__ = ["DQ_NEGATIVE", "Levels", "UpdateError"]

GEN = "frsb"
CHI_RANGE = 2.0 ** 61
"""The bracket of the chi equation is sought within chi_old / CHI_RANGE .. chi_old * CHI_RANGE."""
DQ_NEGATIVE = -1e-10
"""A new increment below this is an error of the update (docs/theory.md §4.5 step 4); above it, q is sorted."""


def _k():
    return kernels.numba(GEN)


def _arr(a):
    return np.ascontiguousarray(a, dtype=float)


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
        """L_0..L_k with L_k = chi, L_i = L_{i+1} + x_i dq_{i+1} (generated frsb_levels_L)."""
        return self.K.frsb_levels_L(_arr(q), self.x, float(chi))

    def entropic(self, q, chi):
        """-(1/2)[q_0/L_0 + sum_i (1/x_i) log(L_i/L_{i+1})]: the terms from the generated loop
        frsb_levels_entropic_terms, summed over the levels by numpy's pairwise summation (generated frsb_entropic)."""
        q = _arr(q)
        first, terms = self.K.frsb_levels_entropic_terms(q, self.x, self.L(q, chi))
        return float(self.K.frsb_entropic(first, np.sum(terms)))

    def functional(self, q, chi, energetic):
        """e_k of (FRSB-e) at (q, chi): the entropic part plus the energetic term -alpha E F_0 of a recursion
        (generated frsb_functional)."""
        return float(self.K.frsb_functional(self.entropic(q, chi), float(energetic)))

    def entropic_dx(self, q, chi):
        """d(entropic)/dx_j at fixed (q, chi), j = 0..k-1: the explicit part of term j plus dL/dx_j times the
        accumulated dS/dL_i, i <= j (generated frsb_levels_dx without the energetic integrals,
        derive.frsb.entropic_dx_pieces)."""
        q = _arr(q)
        return self.K.frsb_levels_dx(q, self.x, self.L(q, chi), np.zeros(self.k + 1))

    def dx(self, q, chi, level_energetic, alpha):
        """de/dx_j of (FRSB-e) at fixed (q, chi): entropic part plus the energetic part from the level integrals
        En_i = -alpha int p_i F_i (derive.frsb.energetic_dx; alpha enters only through them).  At a stationary
        point this is the derivative of the stationary value (envelope theorem)."""
        q = _arr(q)
        return self.K.frsb_levels_dx(q, self.x, self.L(q, chi), _arr(level_energetic))

    def G(self, q, chi, L=None):
        """G_0..G_k of (S_i) (generated frsb_levels_G)."""
        q = _arr(q)
        L = self.L(q, chi) if L is None else _arr(L)
        return self.K.frsb_levels_G(q, L)

    def lambdas(self, q0, Qhat):
        """lambda_0 = sqrt(q_0/Qhat_0), 1/lambda_i = 1/lambda_{i-1} + x_{i-1}(Qhat_i - Qhat_{i-1}) (generated
        frsb_levels_lambda); UpdateError where a 1/lambda_i is not positive."""
        if not (Qhat[0] > 0 and q0 > 0):
            raise UpdateError(f"lambda_0 needs q_0 > 0 and Qhat_0 > 0 (q_0 = {q0}, Qhat_0 = {Qhat[0]})")
        try:
            lam = self.K.frsb_levels_lambda(self.x, _arr(Qhat), float(q0))
        except ZeroDivisionError:
            lam = np.zeros(self.k + 1)
        if not np.all(lam > 0):
            raise UpdateError("1/lambda_i <= 0: Qhat decreases too fast along the levels")
        return lam

    def q_from_lambdas(self, lam):
        """q_k = 1, q_i = q_{i+1} - dq_{i+1}, dq_{i+1} = (lambda_i - lambda_{i+1})/x_i (generated
        frsb_levels_q_from_lambda)."""
        return self.K.frsb_levels_q_from_lambda(_arr(lam), self.x)

    def q_from_increments(self, dq):
        """q_k = 1, q_i = q_{i+1} - dq_{i+1} from dq_0..dq_k (generated frsb_levels_q_from_increments)."""
        return self.K.frsb_levels_q_from_increments(_arr(dq))

    def chi_equation(self, q, Qk, chi_old):
        """chi -> G_k(q, chi) - Qhat_k(chi) with the authors' model Qhat_k(chi) = Qhat_k sqrt(chi_old/chi)
        (generated frsb_chi_equation)."""
        K = self.K

        def f(c):
            return float(K.frsb_chi_equation(self.G(q, c)[-1], Qk, chi_old, c))
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
            qc = self.q_from_increments(dqc)
            if qc[0] <= 0 or not dqc[-1] > 0:
                qc = np.asarray(q, dtype=float)
        f = self.chi_equation(qc, Qhat[-1], chi)
        try:
            lo = roots.step_until(f, chi / 2, lambda v: v > 0, factor=0.5, limit=chi * CHI_RANGE ** -1, what="chi")
            hi = roots.step_until(f, chi * 2, lambda v: v < 0, factor=2.0, limit=chi * CHI_RANGE, what="chi")
            chin, _, _ = roots.brent(f, lo, hi, xtol=1e-15 * chi, rtol=1e-15, what="chi equation")
        except ConvergenceError as exc:
            raise UpdateError(f"chi equation: no sign change ({exc})") from exc
        return qn, chin, lam
