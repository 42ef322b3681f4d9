"""Gaussian layers at finite size: P(injective), the distribution of D(W)/n, and the Euler surrogate
(docs/finite_n.md §5).

Sample i of (n, m, seed) is W = standard normal (m x n) from numpy's default_rng([seed, n, m, i]), so every
sample is reproducible on its own.  Per sample: exact D(W) (``counts=True``) or the exact decision
D(W) >= n (``counts=False``, cheaper).  A Gaussian W is in general position with probability one (float
entries: a vanishing n x n minor is not excluded but has never been seen), so injective <=> D(W) >= n.

Given a results store, each sample is kept there (one entry per sample, keyed by n, m, seed, index, mode and the
hash of this subpackage's sources) through ``Store.get`` / ``Store.put`` only, so an interrupted run resumes;
samples run on any concurrent.futures Executor.  Beside P(injective): q_{m,n} = E chi(X_{m,n}) exactly
(methods/euler.py), which the Euler surrogate reads as q ~ P(not injective).
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from . import exact

Z95 = 1.959963984540054


def wilson_interval(k: int, N: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k/N (95% for the default z)."""
    if N <= 0 or not 0 <= k <= N:
        raise ValueError(f"need 0 <= k <= N and N > 0, got k={k}, N={N}")
    p = k / N
    den = 1 + z * z / N
    mid = (p + z * z / (2 * N)) / den
    half = z * math.sqrt(p * (1 - p) / N + z * z / (4 * N * N)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def sample_matrix(n: int, m: int, seed: int, index: int) -> np.ndarray:
    return np.random.default_rng([int(seed), n, m, index]).standard_normal((m, n))


def _one(n, m, seed, index, counts, time_limit):
    W = sample_matrix(n, m, seed, index)
    t0 = time.perf_counter()
    r = exact.min_active_count(W, decide=None if counts else n, time_limit=time_limit, seed=index)
    return {"index": index, "lower": r.lower_bound, "upper": r.upper_bound, "seconds": time.perf_counter() - t0,
            "circuits": len(r.circuits)}


def _sources_hash() -> str:
    h = hashlib.sha256()
    for p in sorted(Path(__file__).parent.glob("*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("relu-injectivity")
    except Exception:
        return "unknown"


@dataclass(frozen=True)
class SimulationResult:
    """P(injective) at (n, m) from ``samples`` Gaussian layers, with the Wilson 95% interval, the per-sample
    bounds on D(W) (``counts``: D(W) where exact), and q_{m,n}."""

    n: int
    m: int
    samples: int
    injective: int
    p_injective: float
    wilson95: tuple
    q: Fraction = field(repr=False)
    lower: tuple = field(repr=False)
    upper: tuple = field(repr=False)
    seconds: tuple = field(repr=False)
    reused: int = 0
    exact_counts: bool = True

    @property
    def alpha(self) -> float:
        return self.m / self.n

    @property
    def counts(self) -> tuple:
        return tuple(u if l == u else None for l, u in zip(self.lower, self.upper))

    @property
    def q_float(self) -> float:
        try:
            return float(self.q)
        except OverflowError:
            return math.copysign(math.inf, self.q)

    def energy_stats(self):
        """(mean, standard error) of D(W)/n over the samples, or None in decision mode (there the samples
        whose bounds happen to meet, D = n, are a biased subset)."""
        if not self.exact_counts:
            return None
        c = [x / self.n for x in self.counts if x is not None]
        if len(c) < 2:
            return None
        return float(np.mean(c)), float(np.std(c, ddof=1) / math.sqrt(len(c)))

    def summary(self) -> str:
        lo, hi = self.wilson95
        s = (f"n = {self.n}, m = {self.m} (alpha = {self.alpha:.4g}), {self.samples} samples: "
             f"P(injective) = {self.p_injective:.3f} [{lo:.3f}, {hi:.3f}] (Wilson 95%); "
             f"q_{{m,n}} = {self.q_float:.4g}, 1 - q = {1 - self.q_float:.4g}")
        e = self.energy_stats()
        if e is not None:
            s += f"; D/n = {e[0]:.4f} +- {e[1]:.4f}"
        med = float(np.median(self.seconds)) if self.seconds else 0.0
        return s + f"; median {med:.2f} s per sample, {self.reused} reused from the store"

    def to_dict(self) -> dict:
        e = self.energy_stats()
        return {"n": self.n, "m": self.m, "alpha": self.alpha, "samples": self.samples,
                "injective": self.injective, "p_injective": self.p_injective, "wilson95": list(self.wilson95),
                "q": f"{self.q.numerator}/{self.q.denominator}", "q_float": self.q_float,
                "counts": list(self.counts), "lower": list(self.lower), "upper": list(self.upper),
                "energy_mean": None if e is None else e[0], "energy_sem": None if e is None else e[1],
                "reused": self.reused}


def _request(n, m, seed, index, counts, src):
    return {"kind": "energy", "method": "finite-n", "alpha": m / n,
            "params": {"n": n, "m": m, "seed": int(seed), "index": index, "mode": "count" if counts else "decide"},
            "version": _version(), "kernels": "none", "solver": src}


def _as_result(n, m, d):
    from ...machinery.results import EnergyResult
    return EnergyResult(method="finite-n", alpha=m / n, energy=d["upper"] / n, error=0.0,
                        error_method="exact bounds on D(W)/n for one sample (lower/upper in diagnostics)",
                        params={"n": n, "m": m}, diagnostics=dict(d))


def simulate(n: int, alpha: float, samples: int, *, seed: int = 0, counts: bool = True, executor=None,
             store=None, time_limit: float = 600.0, progress=None) -> SimulationResult:
    """P(injective) of x -> ReLU(Wx), W Gaussian m x n with m = round(alpha n), from ``samples`` layers.

    counts: exact D(W) per sample (else only the decision D >= n).  executor: any concurrent.futures
    Executor (None: in this process).  store: a results store (``relu_injectivity.Store()``; anything with
    its get/put) where every sample is kept and from which a rerun resumes; None/False: none.
    progress: optional callable(done, total).
    """
    for name, v in (("n", n), ("samples", samples), ("seed", seed)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must be an integer, got {v!r}")
    if n < 1 or samples < 1 or seed < 0:
        raise ValueError(f"need n >= 1, samples >= 1, seed >= 0; got n={n}, samples={samples}, seed={seed}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating, np.integer)):
        raise TypeError(f"alpha must be a real number, got {alpha!r}")
    if not math.isfinite(alpha) or alpha < 1:
        raise ValueError(f"alpha must be finite and >= 1 (m >= n), got {alpha!r}")
    n, samples, seed = int(n), int(samples), int(seed)
    m = int(round(alpha * n))
    if m < n:
        raise ValueError(f"m = round(alpha n) = {m} < n = {n}")
    src = _sources_hash()
    use_store = store is not None and store is not False
    done: dict = {}
    for i in range(samples):
        if use_store:
            r = store.get(_request(n, m, seed, i, counts, src))
            if r is not None:
                done[i] = dict(r.diagnostics)
    reused = len(done)
    todo = [i for i in range(samples) if i not in done]

    def record(d):
        done[d["index"]] = d
        if use_store:
            store.put(_request(n, m, seed, d["index"], counts, src), _as_result(n, m, d))
        if progress:
            progress(len(done), samples)

    if executor is None:
        for i in todo:
            record(_one(n, m, seed, i, counts, time_limit))
    else:
        from concurrent.futures import as_completed
        futs = [executor.submit(_one, n, m, seed, i, counts, time_limit) for i in todo]
        for f in as_completed(futs):
            record(f.result())
    rows = [done[i] for i in range(samples)]
    inj = sum(1 for d in rows if d["lower"] >= n)
    from ..euler import euler_characteristic
    q = Fraction(euler_characteristic(m, n))
    return SimulationResult(n=n, m=m, samples=samples, injective=inj, p_injective=inj / samples,
                            wilson95=wilson_interval(inj, samples), q=q,
                            lower=tuple(int(d["lower"]) for d in rows), upper=tuple(int(d["upper"]) for d in rows),
                            seconds=tuple(float(d["seconds"]) for d in rows), reused=reused,
                            exact_counts=counts)
