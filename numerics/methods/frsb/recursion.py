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

import copy
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
"""Round-off of one FFT level relative to machine epsilon times the dynamic range (measured: ~0.07 at x = 15)."""
DIRECT_NOISE = 1e-14
"""Round-off level of the update map aimed at by the automatic choice of the convolution per level."""
RESOLVE = 3.0
"""The direct sums use a spacing of at most (effective width of the integrand)/RESOLVE (trapezoid error
~exp(-2 pi^2 RESOLVE^2) relative)."""
FINE_KEPT = 8
"""Spacings dh/s whose refined points (indices and unit step) a recursion keeps (bounds their memory)."""
MAX_BREAKPOINT = 600.0
"""exp(x (F - m)) with F in [-1, 0] must stay inside the double range (e^709)."""


def noise_floor(x, span=1.0) -> float:
    """Round-off level of the update map when every level is convolved by FFT: the FFT convolutions of exp(+-x F)
    carry an absolute error ~ eps times their maximum, i.e. a relative error ~ eps exp(x span) where they are
    smallest (span = the range of F_k).  With the direct sums above ``fft_up_to`` the map's floor is
    ``noise_floor(x[x <= fft_up_to])``."""
    x = np.asarray(x, dtype=float)
    return NOISE_FACTOR * np.finfo(float).eps * float(np.exp(np.max(x, initial=0.0) * span))


def fft_limit(noise=DIRECT_NOISE, span=1.0) -> float:
    """The largest breakpoint whose level is convolved by FFT with round-off below ``noise`` (inverse of
    noise_floor); levels with larger x use the direct sums."""
    return float(np.log(noise / (NOISE_FACTOR * np.finfo(float).eps)) / span)


@dataclass
class Evaluation:
    """Integrals of one recursion: Qhat_0..Qhat_k, estar, the energetic term, masses of p_0..p_k."""

    Qhat: np.ndarray
    estar: float
    energetic: float
    masses: np.ndarray
    level_energetic: np.ndarray = None
    """-alpha int p_i F_i for i = 0..k (the first is ``energetic``); they give the breakpoint derivative."""


class Recursion:
    """Backward/forward recursion of the k-step functional on one grid and backend, breakpoints x fixed."""

    def __init__(self, backend, grid: fourier.PeriodicGrid, x, alpha: float, order: int = GREGORY_ORDER,
                 fft_up_to=None):
        """fft_up_to: levels with x_i <= this are convolved by FFT, the others by direct sums (default: the
        largest x whose FFT round-off stays below DIRECT_NOISE, see :func:`fft_limit`; 0 = all direct,
        inf = all FFT)."""
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
            kern = (kn(f"frsb_last_density_piece{j}"), kn(f"frsb_qhat_last_piece{j}"), kn(f"frsb_estar_piece{j}"),
                    kn(f"frsb_energetic_last_piece{j}"))
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
        self.span = span
        self.fft_up_to = fft_limit(DIRECT_NOISE, span) if fft_up_to is None else float(fft_up_to)
        self._set_breakpoints(self.x)
        self.h_host = grid.h
        self.origin = float(grid.h[0])
        self.unit_step = kn("frsb_step_shape")(self.h, STEP_CENTRE, STEP_WIDTH2)
        self._fine_cache = {}

    def _set_breakpoints(self, x):
        self.x = np.asarray(x, dtype=float)
        self.k = len(self.x)
        self.direct = self.x > self.fft_up_to
        self.noise_floor = max(noise_floor(self.x[~self.direct], self.span), np.finfo(float).eps)

    def rebound(self, x, alpha) -> "Recursion":
        """The same grid, backend and quadrature pieces with other breakpoints and alpha (a shallow copy: what
        depends on the grid only is not rebuilt)."""
        new = copy.copy(self)
        new.alpha = float(alpha)
        new._set_breakpoints(x)
        return new

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
        mult = [None] + [kn("frsb_gauss_multiplier")(self.nu, float(v[i])) if v[i] > 0 else None
                         for i in range(1, k + 1)]
        F = xp.empty((k, M))
        dF = xp.empty((k, M))
        s_last = float(np.sqrt(v[k]))
        F[k - 1] = kn("frsb_last_level")(self.h, x[k - 1], s_last)
        dF[k - 1] = kn("frsb_last_level_dh")(self.h, x[k - 1], s_last)
        step, dstep = kn("frsb_step_background"), kn("frsb_step_background_dh")
        for i in range(k - 2, -1, -1):
            if v[i + 1] == 0.0:          # a collapsed level: the convolution is the identity
                F[i], dF[i] = F[i + 1], dF[i + 1]
                continue
            if self.direct[i]:
                F[i], dF[i] = self._backward_direct(F[i + 1], dF[i + 1], x[i], float(v[i + 1]))
                continue
            E = kn("frsb_exp_tilt")(F[i + 1], x[i], 0.0)
            lim = (b.scalar(E[0]), b.scalar(E[-1]), STEP_CENTRE)
            r = E - step(self.h, *lim, STEP_WIDTH2)
            C, dC = fourier.convolve(b, r, mult[i + 1], M, self.dfac)
            C += kn("frsb_step_background_widened")(self.h, *lim, STEP_WIDTH2, float(v[i + 1]))
            dC += kn("frsb_step_background_widened_dh")(self.h, *lim, STEP_WIDTH2, float(v[i + 1]))
            F[i] = kn("frsb_log_step")(C, x[i], 0.0)
            dF[i] = kn("frsb_log_step_dh")(C, dC, x[i])
        P = xp.empty((k, M))
        P[0] = kn("frsb_density0")(self.h, float(v[0]))
        for i in range(k):
            if i + 1 < k and v[i + 1] == 0.0:
                P[i + 1] = P[i]
                continue
            m = b.scalar(xp.min(F[i]))
            if self.direct[i]:
                g = self._forward_direct(P[i], F[i], dF[i], x[i], m, float(v[i + 1]))
            else:
                u = kn("frsb_untilt")(P[i], F[i], x[i], m)
                g, _, ghat = fourier.convolve(b, u, mult[i + 1], M, spectrum=True)
            if i + 1 < k:
                P[i + 1] = kn("frsb_forward_step")(g, F[i + 1], x[i], m)
        last = []
        if self.direct[k - 1]:
            # g varies like exp(-x_{k-1} F_{k-1}); its interpolant is taken of the O(1) function
            # exp(x (F_{k-1} - m)) g, and F_{k-1} at the nodes is the closed form
            ghat = b.rfft(kn("frsb_forward_step")(g, F[k - 1], x[k - 1], m))
        for j, (kind, hp, w, where, (dens, qh, est, enk)) in enumerate(self.pieces):
            if kind == "gauss":
                gp = xp.real(where @ ghat)
                if self.direct[k - 1]:
                    gp = kn("frsb_untilt")(gp, kn("frsb_last_level")(hp, x[k - 1], s_last), x[k - 1], m)
            else:
                gp = g[where]
            pk = dens(gp, hp, x[k - 1], m)
            last += [xp.dot(w, qh(pk, hp, a, float(chi))), xp.dot(w, est(pk, hp, a)), xp.dot(w, pk),
                     xp.dot(w, enk(pk, hp, a))]
        dh = self.grid.dh
        Q = xp.sum(kn("frsb_qhat_integrand")(P, dF, a, float(chi)), axis=1) * dh
        masses = xp.sum(P, axis=1) * dh
        En = xp.sum(kn("frsb_energetic_integrand")(P, F, a), axis=1) * dh
        host = b.to_host(xp.concatenate([Q, masses, En, xp.stack(last)]))
        tail = host[3 * k:].reshape(-1, 4).sum(axis=0)
        return Evaluation(Qhat=np.concatenate([host[:k], [tail[0]]]), estar=float(tail[1]),
                          energetic=float(host[2 * k]), masses=np.concatenate([host[k:2 * k], [tail[2]]]),
                          level_energetic=np.concatenate([host[2 * k:3 * k], [tail[3]]]))

    # ------------------------------------------------------------------------------ direct (real-space) levels

    def _offsets(self, dfdh, x, v):
        """Spacing and weights of the direct sum at a level with breakpoint x and step variance v.  The integrand
        gamma_v(u) exp(+-x F(h + u)) has the width sqrt(v/(1 + v x kappa)), kappa = max|F''| (from dF/dh); the
        spacing resolves it RESOLVE times, as a whole fraction dh/s of the grid spacing.  Returns s, n and the
        weights of the offsets u_r = r dh/s, r = -n..n: a row for the sum and one for its h-derivative."""
        b, xp, dh = self.b, self.b.xp, self.grid.dh
        kappa = float(b.to_host(xp.max(xp.abs(xp.diff(dfdh))))) / dh
        width = np.sqrt(v / (1.0 + v * x * kappa))
        s = max(1, int(np.ceil(RESOLVE * dh / width)))
        radius = fourier.direct_radius(v, x * self.span)
        return (s, *fourier.direct_weights(b, self.kn("frsb_density0"), v, dh / s, radius))

    def _fine(self, f, s, n, periodic):
        """f at h_0 + m dh/s, m = -n..(M-1)s + n: the trigonometric interpolant of f, read periodically; unless
        ``periodic``, that of f minus its Gaussian step, with the step added back at the points themselves.
        Where the 2n + 1 offsets are fewer than s (a narrow Gaussian: the refined array would hold samples no sum
        reads), the rows f(h_j + r dh/s), r = -n..n, instead (the layout fourier.direct_sum also takes)."""
        b, kn = self.b, self.kn
        if periodic:
            rest, step = f, None
        else:
            between, lim = kn("frsb_step_between"), (b.scalar(f[0]), b.scalar(f[-1]))
            rest = f - between(self.unit_step, *lim)
            step = lambda unit: between(unit, *lim)  # noqa: E731
        if 2 * n + 1 < s:
            r = np.arange(-n, n + 1)
            rows = fourier.shifted(b, rest, r / s)
            if step is None:
                return rows
            pts = self.h[None, :] + b.asarray(r * (self.grid.dh / s))[:, None]
            return rows + step(kn("frsb_step_shape")(pts, STEP_CENTRE, STEP_WIDTH2))
        wrap, unit = self._fine_points(s, n)
        fine = fourier.refined(b, rest, s)[wrap]
        return fine if step is None else fine + step(unit)

    def _fine_points(self, s, n):
        """(m mod M s, the unit step at h_0 + m dh/s) for m = -n..(M-1)s + n, cut from arrays kept for the last
        FINE_KEPT spacings s (grown by a quarter when a larger n is asked for)."""
        N, wrap, unit = self._fine_cache.pop(s, (-1, None, None))
        if n > N:
            xp, M = self.b.xp, self.grid.M
            N = int(1.25 * n)
            m = xp.arange(-N, (M - 1) * s + N + 1)
            wrap = m % (M * s)
            unit = self.kn("frsb_step_shape")(self.origin + m * (self.grid.dh / s), STEP_CENTRE, STEP_WIDTH2)
        self._fine_cache[s] = (N, wrap, unit)
        while len(self._fine_cache) > FINE_KEPT:
            self._fine_cache.pop(next(iter(self._fine_cache)))
        cut = slice(N - n, N + (self.grid.M - 1) * s + n + 1)
        return wrap[cut], unit[cut]

    def _backward_direct(self, Fn, dFn, x, v):
        """F_i and dF_i/dh from F_{i+1} by the direct sum of gamma_v * exp(x F_{i+1}) (full relative precision)."""
        if v == 0.0:
            return Fn, dFn
        s, n, w = self._offsets(dFn, x, v)
        E = self.kn("frsb_exp_tilt")(self._fine(Fn, s, n, False), x, 0.0)
        C, dC = fourier.direct_sum(self.b, E, w, s, self.grid.M)
        return self.kn("frsb_log_step")(C, x, 0.0), self.kn("frsb_log_step_dh")(C, dC, x)

    def _forward_direct(self, P, F, dF, x, m, v):
        """g = gamma_v * (p_i exp(-x (F_i - m))) on the grid by the direct sum (full relative precision)."""
        kn = self.kn
        if v == 0.0:
            return kn("frsb_untilt")(P, F, x, m)
        s, n, w = self._offsets(dF, x, v)
        U = kn("frsb_untilt")(self._fine(P, s, n, True), self._fine(F, s, n, False), x, m)
        return fourier.direct_sum(self.b, U, w[:1], s, self.grid.M)[0]
