"""Periodic uniform grids, band-limited Gaussian convolution by real FFTs, and piecewise quadrature.

Convolution (docs/theory.md §4.8): samples ``f_j = f(h_j)`` on the periodic grid are replaced by their trigonometric
(periodic sinc) interpolant, which is convolved exactly with the Gaussian and resampled: multiplication of the
real DFT by the Gaussian's characteristic function at the DFT frequencies (the multiplier array is passed in).
The h-derivative of the result is the derivative of the interpolant (multiplier times ``2 pi i nu``).

Quadrature: the periodic trapezoid rule (spectrally accurate for smooth integrands that decay inside the
window) for whole-grid integrals, and Gregory's endpoint-corrected trapezoid rule of order ``r`` on a piece
``[h_a, h_b]`` whose ends are grid nodes (error O(dh^r) for an integrand smooth on the closed piece).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np
import scipy.fft as sfft


@dataclass(frozen=True)
class PeriodicGrid:
    """Nodes ``h_j = (j - n_left) dh``, ``j = 0..M-1``, periodic with period ``M dh`` (h = 0 is node n_left)."""

    dh: float
    n_left: int
    M: int

    @classmethod
    def covering(cls, left: float, right: float, points_per_unit: int, fast: bool = True) -> "PeriodicGrid":
        """The grid with ``dh = 1/points_per_unit`` covering [-left, right] (so that every multiple of dh, in
        particular 0 and 1, is a node); M rounded up to a fast FFT length (the extra nodes go to the right)."""
        n_left = int(np.ceil(left * points_per_unit))
        n = n_left + int(np.ceil(right * points_per_unit)) + 1
        M = sfft.next_fast_len(n, real=True) if fast else n
        return cls(1.0 / points_per_unit, n_left, M)

    @property
    def h(self) -> np.ndarray:
        return (np.arange(self.M) - self.n_left) * self.dh

    @property
    def left(self) -> float:
        return self.n_left * self.dh

    @property
    def right(self) -> float:
        return (self.M - 1 - self.n_left) * self.dh

    @property
    def nu(self) -> np.ndarray:
        """Frequencies (cycles per unit h) of the real DFT, ``l/(M dh)``, l = 0..M//2."""
        return np.arange(self.M // 2 + 1) / (self.M * self.dh)

    def node(self, value: float) -> int:
        """Index of the node at ``value`` (which must be a node)."""
        j = value / self.dh + self.n_left
        jr = int(round(j))
        if abs(j - jr) > 1e-9 or not 0 <= jr < self.M:
            raise ValueError(f"h = {value} is not a node of the grid (dh = {self.dh}, window "
                             f"[{-self.left}, {self.right}])")
        return jr

    def describe(self) -> dict:
        return {"half_width": max(self.left, self.right), "left": self.left, "right": self.right,
                "N": int(round(max(self.left, self.right) / self.dh)), "dh": self.dh, "M": self.M}


def derivative_factor(grid: PeriodicGrid) -> np.ndarray:
    """``2 pi i nu`` for the real DFT (zero at the Nyquist frequency of an even length)."""
    d = 2j * np.pi * grid.nu
    if grid.M % 2 == 0:
        d[-1] = 0.0
    return d


def interpolation_matrix(grid: PeriodicGrid, points) -> np.ndarray:
    """Complex matrix E with ``Re(E @ rfft(f))`` = the trigonometric interpolant of the samples f at ``points``."""
    M = grid.M
    l = np.arange(M // 2 + 1)
    c = np.full(l.size, 2.0 / M)
    c[0] = 1.0 / M
    if M % 2 == 0:
        c[-1] = 1.0 / M
    phase = 2j * np.pi * np.outer(np.asarray(points, dtype=float) + grid.left, l) / (M * grid.dh)
    return c * np.exp(phase)


def convolve(backend, f, mult, n: int, dfactor=None, spectrum=False):
    """Gaussian convolution of the band-limited interpolant of ``f`` (last axis, length n): ``irfft(rfft(f) *
    mult)``; with ``dfactor`` (from :func:`derivative_factor`) also the h-derivative (both from one batched inverse
    transform).  Returns (g, dg or None), and the spectrum of g as a third item if ``spectrum``."""
    fh = backend.rfft(f) * mult
    if dfactor is None:
        out = (backend.irfft(fh, n), None)
    else:
        both = backend.irfft(backend.xp.stack([fh, fh * dfactor]), n)
        out = (both[0], both[1])
    return out + (fh,) if spectrum else out


def _bernoulli(n: int) -> Fraction:
    """Bernoulli number B_n (B_1 = +1/2 convention irrelevant here: only even n are used), Akiyama-Tanigawa."""
    a = [Fraction(0)] * (n + 1)
    for m in range(n + 1):
        a[m] = Fraction(1, m + 1)
        for j in range(m, 0, -1):
            a[j - 1] = j * (a[j - 1] - a[j])
    return a[0]


@lru_cache(maxsize=None)
def gregory_end_weights(order: int) -> tuple:
    """Endpoint corrections d_0..d_{r-1} (r = order) of Gregory's rule: weights ``1 + d_j`` at the first nodes (and
    symmetrically at the last) make the plain sum of the samples exact for polynomials of degree < r at each end.

    From the Euler-Maclaurin formula (unit spacing), the left end needs
    ``sum_j d_j j^p = -[p = 0]/2 + [p odd] B_{p+1}/(p+1)``, p = 0..r-1; solved exactly in rationals.
    order 1 is the trapezoid rule, order 3 gives the classical weights 3/8, 7/6, 23/24.
    """
    r = max(int(order), 1)
    A = [[Fraction(j) ** p if (j or p) else Fraction(1) for j in range(r)] for p in range(r)]
    b = [(Fraction(-1, 2) if p == 0 else Fraction(0)) + (_bernoulli(p + 1) / (p + 1) if p % 2 else 0)
         for p in range(r)]
    for c in range(r):                         # Gauss-Jordan elimination in exact arithmetic
        piv = next(i for i in range(c, r) if A[i][c] != 0)
        A[c], A[piv], b[c], b[piv] = A[piv], A[c], b[piv], b[c]
        for i in range(r):
            if i != c and A[i][c] != 0:
                f = A[i][c] / A[c][c]
                A[i] = [u - f * w for u, w in zip(A[i], A[c])]
                b[i] -= f * b[c]
    return tuple(b[i] / A[i][i] for i in range(r))


def piece_weights(n_intervals: int, dh: float, order: int) -> np.ndarray:
    """Weights (including dh) of Gregory's rule of the given order on n_intervals + 1 equispaced nodes."""
    d = gregory_end_weights(order)
    if n_intervals < 2 * len(d):
        raise ValueError(f"Gregory rule of order {order} needs at least {2 * len(d)} intervals on a piece, got "
                         f"{n_intervals}")
    w = np.ones(n_intervals + 1)
    for j, dj in enumerate(d):
        w[j] += float(dj)
        w[n_intervals - j] += float(dj)
    return w * dh


# ------------------------------------------------------------------------- direct (real-space) convolution
#
# The FFT convolution above carries an absolute error ~ eps max|f| at every node, so where the result is much
# smaller than the input's maximum (exp(x F) ranges over a factor e^{x}) its relative error is eps times that
# ratio.  The direct sum below adds only non-negative terms, each computed to full relative precision, so its
# result has relative error ~ eps at every point whatever the dynamic range of f (docs/theory.md §4.8).  It is the
# trapezoid rule for  int gamma_v(u) f(h + u) du  on the offsets u_r = r delta, |u_r| <= radius, spectrally
# accurate when delta resolves the integrand (error ~ exp(-2 pi^2 s^2/delta^2) for a Gaussian integrand of width
# s).  The samples f(h_j + u_r) off the grid come from the trigonometric interpolant of smooth O(1) functions
# (band-limited shifts), never from interpolating the exponentially varying f itself.

DIRECT_LOG_CUT = 40.0
"""The Gaussian is cut where gamma_v(u)/gamma_v(0) < exp(-(DIRECT_LOG_CUT + log range of f))."""


def direct_radius(v: float, log_range: float) -> float:
    """Cut-off |u| of the direct sum: terms beyond are below e^{-DIRECT_LOG_CUT} times the term at u = 0 even if f
    grows by e^{log_range} across the window."""
    return math.sqrt(2.0 * v * (DIRECT_LOG_CUT + max(log_range, 0.0)))


def refined(backend, f, s: int):
    """Samples ``f(h_0 + n dh/s)``, n = 0..M s - 1, of the trigonometric interpolant of the periodic samples f
    (length M): band-limited sub-sample shifts by t/s of the spacing (t = 1..s-1), interleaved with f."""
    if s == 1:
        return f
    xp = backend.xp
    return xp.concatenate([f[None, :], shifted(backend, f, np.arange(1, s) / s)]).T.reshape(-1)


def shifted(backend, f, t):
    """Rows ``f(h_j + t_r dh)`` of the trigonometric interpolant of the periodic samples f (length M) for the
    sub-sample shifts t_r (|t_r| < 1): one batched inverse FFT."""
    xp, M = backend.xp, f.shape[-1]
    phases = xp.exp(2j * np.pi * xp.outer(xp.asarray(t), xp.arange(M // 2 + 1)) / M)
    return backend.irfft(backend.rfft(f)[None, :] * phases, M)


def direct_sum(backend, f, weights, s: int, M: int, chunk: int = 64):
    """``sum_r W[a, r] f[j s + r]`` for j = 0..M-1 and each row a of ``weights`` (r = 0..R-1; f holds at least
    (M - 1) s + R samples): direct (real-space) convolutions of samples at spacing dh/s, read at every s-th one —
    sums of non-negative terms when f and W are.  The rows f[r::s] are a strided view of f, no copy; ``chunk``
    offsets are summed at a time (bounds the working memory to chunk grid-long rows).  A 2-d f holds those rows
    already (``W @ f``)."""
    xp = backend.xp
    if f.ndim == 2:
        return weights @ f
    f = xp.ascontiguousarray(f)
    R = weights.shape[1]
    rows = xp.lib.stride_tricks.as_strided(f, shape=(R, M), strides=(f.itemsize, s * f.itemsize))
    out = 0.0
    for c in range(0, R, chunk):
        out = out + weights[:, c:c + chunk] @ rows[c:c + chunk]
    return out


def direct_weights(backend, density, v: float, delta: float, radius: float):
    """(n, W) for the offsets u_r = r delta, r = -n..n (|u_r| <= radius): the rows of W are the trapezoid weights
    delta gamma_v(u_r) (``density(u, v)`` is the Gaussian density, a generated kernel) and the weights of the
    h-derivative, delta gamma_v(u_r) u_r/v (the layout :func:`direct_sum` takes)."""
    n = int(math.floor(radius / delta))
    u = np.arange(-n, n + 1) * delta
    w = delta * backend.to_host(density(backend.asarray(u), float(v)))
    return n, backend.asarray(np.stack([w, w * u / v]))
