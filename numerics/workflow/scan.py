"""alpha scans: e*(alpha) of one method over many alpha, on any ``concurrent.futures.Executor``, through the store.

    >>> import relu_injectivity as ri
    >>> s = ri.scan("rs", [3, 4, 5, 6], store=False)
    >>> s.alphas, s.energies, s.errors

The alphas (sorted, each once) are cut into ``blocks`` contiguous blocks.  One task computes the missing points of
one block in order of increasing alpha; if the method's ``energy`` accepts ``init`` (the warm start of FRSB,
docs/theory.md §4.9: "for alpha scans the authors' code warm-starts each alpha from the previous alpha's q"), every point
but a block's first starts from the result at the previous alpha of its block, stored or just computed.  The block
boundaries depend only on the alphas and ``blocks``, never on the executor or on what was already stored, so the
serial path, a process pool and a Dask cluster do the same arithmetic, and a resumed scan warm-starts each point
from the same neighbour as an uninterrupted one would have.

Each point is saved to the results store (workflow/store.py) by the task that computed it, as soon as it is
computed: a scan killed half-way leaves its finished points on disk and a rerun computes only the rest.  Executors:
``None`` -> the first block in this process, the others on a local process pool (``process_pool``) when they would
take more than ``POOL_AFTER_S`` seconds serially, else here too; ``"serial"`` -> in this process, or any Executor, e.g. ``dask.distributed.Client(...).get_executor()`` (the store directory
must then be reachable from the workers, or results are only saved by this process).

The local pool needs no ``if __name__ == "__main__":`` guard in the calling script: its workers (forkserver or
spawn) are started without the script's ``__main__`` (the tasks are functions of this package), so they never
re-run the script.  Its workers ignore Ctrl-C; on Ctrl-C the scan stops them and raises ``ScanInterrupted``
(a KeyboardInterrupt) saying how many points are stored.
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import importlib
import math
import multiprocessing
import numbers
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np

from relu_injectivity.methods import registry as api
from relu_injectivity.workflow import codec
from relu_injectivity.workflow import store as store_mod
from relu_injectivity.methods.registry import METHODS
from relu_injectivity.machinery.results import ConvergenceError

ON_ERROR = ("raise", "skip")
RECOVERABLE = (ConvergenceError, ArithmeticError)
"""Failures that ``on_error="skip"`` records and steps over; anything else (bad input, bugs) always raises."""


@dataclass(frozen=True)
class ScanResult:
    """The energies of one scan, in increasing alpha; ``results[i]`` is None where the point failed
    (``on_error="skip"``; the reason is in ``failures``), and ``energies``/``errors`` hold NaN there."""

    method: str
    alphas: tuple
    results: tuple
    params: Mapping = field(default_factory=dict)
    failures: Mapping = field(default_factory=dict)
    computed: int = 0
    from_store: int = 0

    def __post_init__(self):
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "failures", MappingProxyType(dict(self.failures)))

    def __len__(self):
        return len(self.alphas)

    def __iter__(self):
        return iter(self.results)

    @property
    def energies(self) -> np.ndarray:
        return np.array([np.nan if r is None else float(r.energy) for r in self.results])

    @property
    def errors(self) -> np.ndarray:
        return np.array([np.nan if r is None else float(r.error) for r in self.results])

    def rows(self) -> list[dict]:
        """One plain dict per alpha: alpha, energy (decimal string with every computed digit), error, error_method,
        or the failure."""
        out = []
        for a, r in zip(self.alphas, self.results):
            if r is None:
                out.append({"alpha": a, "energy": None, "error": None, "error_method": None,
                            "failure": self.failures.get(a)})
            else:
                out.append({"alpha": a, "energy": r.energy_str, "error": float(r.error),
                            "error_method": r.error_method, "failure": None})
        return out


class ScanInterrupted(KeyboardInterrupt):
    """Ctrl-C during a scan: ``stored`` of the ``total`` requested points are in the store (a rerun computes
    only the rest); ``message`` says so in one line."""

    def __init__(self, stored: int, total: int, store_used: bool):
        self.stored, self.total = stored, total
        self.message = (f"interrupted; {stored} of {total} points stored (a rerun computes only the rest)"
                        if store_used else f"interrupted; no results store, nothing kept ({total} points asked)")
        super().__init__(self.message)


class SerialExecutor(cf.Executor):
    """Runs each task at ``submit`` in the calling process (no pickling); KeyboardInterrupt propagates at once."""

    def submit(self, fn, /, *args, **kwargs):
        f = cf.Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except Exception as exc:
            f.set_exception(exc)
        return f


def _alphas(alphas) -> list[float]:
    if isinstance(alphas, (str, bytes)) or not hasattr(alphas, "__iter__"):
        raise TypeError(f"alphas must be a sequence of real numbers, got {alphas!r}")
    out = []
    for a in alphas:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (numbers.Real, np.floating)):
            raise TypeError(f"every alpha must be a real number, got {a!r} of type {type(a).__name__}")
        if not math.isfinite(float(a)):
            raise ValueError(f"every alpha must be finite, got {a!r}")
        out.append(float(a))
    if not out:
        raise ValueError("alphas is empty; give at least one alpha")
    return sorted(set(out))


def _run_block(module, items, init, params, warm, store, skip):
    """Compute the points of one block in order.  ``items``: (alpha, request, stored result or None).
    Returns [(alpha, result or None, failure message or None, computed, saved)].

    Results travel in their store encoding (codec.result_to_json): the result classes hold mapping proxies, which
    do not pickle; the encoding is lossless."""
    fn = getattr(importlib.import_module(module), "energy")
    prev, out = _unwire(init), []
    for a, req, have in items:
        if have is not None:
            prev = _unwire(have)
            continue
        kw = dict(params)
        if warm and prev is not None:
            kw["init"] = prev
        try:
            r = fn(a, **kw)
        except RECOVERABLE as exc:
            if not skip:
                raise
            out.append((a, None, f"{type(exc).__name__}: {exc}", True, False))
            continue
        saved = store is not None and store.save(req, r) is not None
        out.append((a, _wire(r), None, True, saved))
        prev = r
    return out


def _wire(r):
    return None if r is None else codec.result_to_json(r)


def _unwire(d):
    return None if d is None else codec.result_from_json(d)


@contextlib.contextmanager
def _without_main():
    """Hide the calling script from ``multiprocessing`` while workers start: forkserver/spawn workers would
    otherwise re-run a script that has no ``if __name__ == "__main__":`` guard (and die starting a pool of their
    own).  Nothing of the script is needed in a worker: tasks are functions of this package."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


def _ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessPool(cf.ProcessPoolExecutor):
    """The local process pool of ``scan``: forkserver (spawn where there is none) workers started without the
    caller's ``__main__``, ignoring Ctrl-C (the caller handles it, see ``stop``)."""

    def __init__(self, max_workers=None):
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        super().__init__(max_workers=max_workers, mp_context=multiprocessing.get_context(method),
                         initializer=_ignore_sigint)

    def submit(self, fn, /, *args, **kwargs):
        with _without_main():  # worker processes are started here (on demand, up to max_workers)
            return super().submit(fn, *args, **kwargs)

    def stop(self):
        """Shut down now: cancel what has not started and terminate the workers (Ctrl-C must not wait for
        running tasks; what they finished is already stored)."""
        procs = list((getattr(self, "_processes", None) or {}).values())
        self.shutdown(wait=False, cancel_futures=True)
        for pr in procs:
            if pr.is_alive():
                pr.terminate()
        for pr in procs:
            pr.join(5)


def process_pool(workers: int | None = None) -> ProcessPool:
    """A local process pool for ``scan``/``figures`` (see ``ProcessPool``)."""
    return ProcessPool(workers)


POOL_AFTER_S = 3.0
"""The default executor runs the first block in this process and starts a local pool for the rest only when the
rest would take longer than this serially (starting workers that load the kernels costs a few seconds)."""


def _pool_pays(first_block_s: float, blocks_left: int, cpus: int) -> bool:
    return cpus > 1 and first_block_s * blocks_left > POOL_AFTER_S


def scan(method: str, alphas, executor=None, *, store=None, blocks: int | None = None, on_error: str = "raise",
         progress: bool = False, **params) -> ScanResult:
    """e*(alpha) of ``method`` for every alpha in ``alphas`` (``params`` go to ``numerics.energy``).

    executor: None (the first block here, the rest on a local process pool if that pays, see POOL_AFTER_S; no
    ``__main__`` guard needed), "serial", or any concurrent.futures.Executor (not shut down here).
    store: None (default store directory), False (none), a path or a ``numerics.store.Store``.
    blocks: number of contiguous alpha blocks (default: CPU count when warm-starting, else 4x that), see module doc.
    on_error: "raise" (default) or "skip" (solver failures recorded in ``ScanResult.failures``).
    progress: a tqdm bar over alpha points on stderr.
    Ctrl-C raises ``ScanInterrupted`` (a KeyboardInterrupt) after stopping the workers; finished points are stored.
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    accepted = api.parameters(method, "energy")
    for own in ("store", "blocks", "on_error"):
        if own in accepted:
            raise TypeError(f"method {method!r} has an energy parameter {own!r} that scan() reserves for itself")
    if "progress" in accepted:
        params.setdefault("progress", False)
    if "init" in params:
        raise TypeError("init is chosen by scan() (warm start from the neighbouring alpha); do not pass it")
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
    if executor is not None and executor != "serial" and not hasattr(executor, "submit"):
        raise TypeError(f"executor must be None, 'serial' or a concurrent.futures.Executor, got {executor!r}")
    alist = _alphas(alphas)
    st = store_mod.as_store(store)
    if st is not None:
        st.check()  # before computing: a store that cannot take the results is refused in one line
    reqs = [store_mod.request("energy", method, a, params) for a in alist]  # also rejects unknown params
    warm = "init" in accepted
    cpus = os.cpu_count() or 1
    if blocks is None:
        blocks = cpus if warm else 4 * cpus
    if isinstance(blocks, bool) or not isinstance(blocks, numbers.Integral) or blocks < 1:
        raise ValueError(f"blocks must be a positive integer, got {blocks!r}")
    have = [st.get(r) if st is not None else None for r in reqs]
    results = dict(zip(alist, have))
    failures, computed = {}, 0
    from_store = sum(h is not None for h in have)
    module = METHODS[method].module

    tasks = []
    for idx in np.array_split(np.arange(len(alist)), min(int(blocks), len(alist))):
        missing = [i for i in idx if have[i] is None]
        if not missing:
            continue
        first, last = missing[0], missing[-1]
        init = _wire(have[first - 1]) if warm and first > idx[0] else None
        items = [(alist[i], reqs[i], _wire(have[i]) if warm else None) for i in range(first, last + 1)
                 if warm or have[i] is None]
        tasks.append((items, init, len(missing)))

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(alist), initial=from_store, desc=f"scan {method}", unit="alpha")
    own, auto = None, executor is None
    if executor is None or executor == "serial":
        executor = SerialExecutor()
    try:
        futures, t_first = {}, time.perf_counter()
        try:
            for i, (items, init, n) in enumerate(tasks):
                if auto and i == 1 and _pool_pays(time.perf_counter() - t_first, len(tasks) - 1, cpus):
                    own = executor = process_pool(min(cpus, len(tasks) - 1))
                futures[executor.submit(_run_block, module, items, init, params, warm, st, on_error == "skip")] = n
            for fut in cf.as_completed(futures):
                for a, r, fail, did, saved in fut.result():
                    if fail is not None:
                        failures[a] = fail
                    else:
                        results[a] = r = _unwire(r)
                        if did and st is not None and not saved:
                            st.save(store_mod.request("energy", method, a, params), r)
                    computed += did
                if bar is not None:
                    bar.update(futures[fut])
        except KeyboardInterrupt:
            for f in futures:
                f.cancel()
            if isinstance(executor, ProcessPool):
                executor.stop()
            if bar is not None:
                bar.close()
                bar = None
            stored = sum(st.has(r) for r in reqs) if st is not None else 0
            raise ScanInterrupted(stored, len(reqs), st is not None) from None
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    finally:
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)
        if bar is not None:
            bar.close()
    shown = {k: v for k, v in {**accepted, **params}.items() if k not in store_mod.UNKEYED}
    return ScanResult(method, tuple(alist), tuple(results[a] for a in alist), shown, failures, computed, from_store)


def grid(alpha_min, alpha_max, num: int) -> list[float]:
    """``num`` equally spaced alphas from alpha_min to alpha_max inclusive."""
    from relu_injectivity.machinery import validate

    lo = validate.real("alpha_min", alpha_min)
    hi = validate.real("alpha_max", alpha_max)
    n = validate.integer("num", num, lo=1)
    if n > 1 and hi <= lo:
        raise ValueError(f"alpha_max must be > alpha_min for num > 1, got alpha_min={lo}, alpha_max={hi}")
    return [lo] if n == 1 else np.linspace(lo, hi, n).tolist()


__all__ = ["scan", "ScanResult", "ScanInterrupted", "SerialExecutor", "ProcessPool", "process_pool", "grid"]
