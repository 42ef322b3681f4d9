"""The Parisi recursion on the h grid: backward pass for F_i, forward pass for p_i, and the integrals.

One :meth:`Recursion.evaluate` at (q, chi) (docs/theory.md §4.2-4.6) computes

* ``F_{k-1}`` in closed form (the Gaussian average of ``exp(x F_k)`` piece by piece, generated kernel), then
  ``F_i = (1/x_i) log gamma_{v_{i+1}} conv exp(x_i F_{i+1})`` for i = k-2..0 by band-limited FFT convolution,
  with ``dF_i/dh`` from the spectral derivative of the same interpolant.  ``exp(x_i F_{i+1})`` tends to 1 on the
  left and to e^{-x_i} on the right: a Gaussian step between the two end values is subtracted before the FFT
  and its exact convolution added back, so that the periodic function transformed has no jump at the wrap;
* ``p_0 = gamma_{v_0}``, ``p_{i+1} = exp(x_i (F_{i+1} - m)) gamma conv (p_i exp(-x_i (F_i - m)))``;
* ``Qhat_i`` (i < k) by the periodic trapezoid rule (smooth, decaying integrands), and the level-k integrals
  (``Qhat_k``, ``estar``, the mass of p_k) piece by piece between the kinks of F_k (h = 0 and 1, nodes of the
  grid): ``p_k = exp(x_{k-1} F_k) g`` with g smooth, so no integral ever straddles a kink.  The outer pieces by
  Gregory's rule; the interior piece by Gauss-Legendre with g evaluated from its trigonometric interpolant (the
  factor exp(-x h^2) varies fast for large x, a grid rule would need a fine grid);
* the energetic term ``-alpha int p_0 F_0`` of (FRSB-e).

Only the last backward step would need the non-smooth F_k convolved; it is done exactly instead, so every
FFT convolution acts on a smooth function and the quadrature of both estimators is the same consistent rule.
Every array operation goes through the backend (NumPy+Numba or CuPy); one host transfer per evaluation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relu_injectivity.machinery import fourier

GEN = "frsb"
GREGORY_ORDER = 8
GAUSS_NODES = 64
"""Gauss-Legendre nodes on the interior piece [0, 1] of F_k (the weight exp(-x h^2) varies on the scale x^-1/2)."""
STEP_CENTRE, STEP_WIDTH2 = 0.5, 1.0
"""Centre and variance of the Gaussian step subtracted from exp(x F) before each backward convolution, so that
the periodic extension of what the FFT convolves has no jump (derive.frsb.step_background)."""


FAR = 1e6
NOISE_FACTOR = 0.3
"""Round-off of one evaluation relative to machine epsilon times the dynamic range (measured: ~0.07 at xmax = 15)."""


def noise_floor(x, span=1.0) -> float:
    """Round-off level of the update map: the FFT convolutions of exp(+-x F) carry an absolute error ~ eps times
    their maximum, i.e. a relative error ~ eps exp(x_max span) where they are smallest (span = the range of F_k)."""
    return NOISE_FACTOR * np.finfo(float).eps * float(np.exp(np.max(x) * span))


@dataclass
class Evaluation:
    """Integrals of one recursion: Qhat_0..Qhat_k, estar, the energetic term, masses of p_0..p_k."""

    Qhat: np.ndarray
    estar: float
    energetic: float
    masses: np.ndarray


class Recursion:
    """Backward/forward recursion of the k-step functional on one grid and backend, breakpoints x fixed."""

    def __init__(self, backend, grid: fourier.PeriodicGrid, x, alpha: float, order: int = GREGORY_ORDER):
        self.b, self.grid, self.alpha = backend, grid, float(alpha)
        self.x = np.asarray(x, dtype=float)
        self.k = len(self.x)
        xp = backend.xp
        self.h = backend.asarray(grid.h)
        self.nu = backend.asarray(grid.nu)
        self.dfac = xp.asarray(fourier.derivative_factor(grid))
        kn = lambda name: backend.kernel(GEN, name)  # noqa: E731
        self.kn = kn
        from relu_injectivity.machinery import kernels

        host = kernels.numba(GEN)
        breaks = []
        while hasattr(host, f"frsb_breakpoint{len(breaks)}"):
            breaks.append(float(getattr(host, f"frsb_breakpoint{len(breaks)}")(1.0)))
        ends = [0] + [grid.node(b) for b in breaks] + [grid.M - 1]
        self.pieces = []
        for j in range(len(ends) - 1):
            a, e = ends[j], ends[j + 1]
            kern = (kn(f"frsb_last_density_piece{j}"), kn(f"frsb_qhat_last_piece{j}"), kn(f"frsb_estar_piece{j}"))
            if 0 < j < len(ends) - 2:
                # interior piece (between two kinks of F_k, where exp(x F_k) varies fast): Gauss-Legendre nodes,
                # g at the nodes from its trigonometric interpolant (exact for the band-limited g)
                t, wt = np.polynomial.legendre.leggauss(GAUSS_NODES)
                lo, hi = breaks[j - 1], breaks[j]
                nodes = lo + (hi - lo) * (t + 1) / 2
                self.pieces.append(("gauss", backend.asarray(nodes), backend.asarray(wt * (hi - lo) / 2),
                                    xp.asarray(fourier.interpolation_matrix(grid, nodes)), kern))
            else:
                w = backend.asarray(fourier.piece_weights(e - a, grid.dh, order))
                self.pieces.append(("grid", self.h[a:e + 1], w, slice(a, e + 1), kern))
        self.step_variance = host.frsb_step_variance__map
        span = float(host.frsb_boundary(-FAR) - host.frsb_boundary(FAR))
        self.noise_floor = noise_floor(self.x, span)

    def variances(self, q, chi):
        """v_0..v_k: the steps dq_i/(2 chi) in h."""
        dq = np.diff(np.asarray(q, dtype=float), prepend=0.0)
        return self.step_variance(np.ascontiguousarray(dq), float(chi))

    def evaluate(self, q, chi) -> Evaluation:
        b, xp, kn, k, x, M = self.b, self.b.xp, self.kn, self.k, self.x, self.grid.M
        a = self.alpha
        v = self.variances(q, chi)
        if np.any(v < 0):
            raise ValueError(f"q must be non-decreasing, got increments {np.diff(q, prepend=0.0)}")
        mult = [None] + [kn("frsb_gauss_multiplier")(self.nu, float(v[i])) for i in range(1, k + 1)]
        F = xp.empty((k, M))
        dF = xp.empty((k, M))
        s_last = float(np.sqrt(v[k]))
        F[k - 1] = kn("frsb_last_level")(self.h, x[k - 1], s_last)
        dF[k - 1] = kn("frsb_last_level_dh")(self.h, x[k - 1], s_last)
        step, dstep = kn("frsb_step_background"), kn("frsb_step_background_dh")
        for i in range(k - 2, -1, -1):
            E = kn("frsb_exp_tilt")(F[i + 1], x[i], 0.0)
            lim = (b.scalar(E[0]), b.scalar(E[-1]), STEP_CENTRE)
            r = E - step(self.h, *lim, STEP_WIDTH2)
            C, dC = fourier.convolve(b, r, mult[i + 1], M, self.dfac)
            C += step(self.h, *lim, STEP_WIDTH2 + float(v[i + 1]))
            dC += dstep(self.h, *lim, STEP_WIDTH2 + float(v[i + 1]))
            F[i] = kn("frsb_log_step")(C, x[i], 0.0)
            dF[i] = kn("frsb_log_step_dh")(C, dC, x[i])
        P = xp.empty((k, M))
        P[0] = kn("frsb_density0")(self.h, float(v[0]))
        for i in range(k):
            m = b.scalar(xp.min(F[i]))
            u = kn("frsb_untilt")(P[i], F[i], x[i], m)
            g, _, ghat = fourier.convolve(b, u, mult[i + 1], M, spectrum=True)
            if i + 1 < k:
                P[i + 1] = kn("frsb_forward_step")(g, F[i + 1], x[i], m)
        last = []
        for kind, hp, w, where, (dens, qh, est) in self.pieces:
            if kind == "gauss":
                gp = xp.real(where @ ghat)
            else:
                gp = g[where]
            pk = dens(gp, hp, x[k - 1], m)
            last += [xp.dot(w, qh(pk, hp, a, float(chi))), xp.dot(w, est(pk, hp, a)), xp.dot(w, pk)]
        dh = self.grid.dh
        Q = xp.sum(kn("frsb_qhat_integrand")(P, dF, a, float(chi)), axis=1) * dh
        masses = xp.sum(P, axis=1) * dh
        energetic = xp.sum(kn("frsb_energetic_integrand")(P[0], F[0], a)) * dh
        host = b.to_host(xp.concatenate([Q, masses, xp.stack([energetic] + last)]))
        tail = host[2 * k + 1:].reshape(-1, 3).sum(axis=0)
        return Evaluation(Qhat=np.concatenate([host[:k], [tail[0]]]), estar=float(tail[1]),
                          energetic=float(host[2 * k]), masses=np.concatenate([host[k:2 * k], [tail[2]]]))
