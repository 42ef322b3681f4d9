"""Array backends: one interface for the array module, the real FFT and the generated elementwise kernels.

A solver written against :class:`Backend` runs unchanged on

* ``"cpu"``: NumPy arrays, ``scipy.fft`` (pocketfft) real transforms, and the generated Numba ``name__map``
  functions of ``generated/<module>_numba.py``;
* ``"gpu"``: CuPy arrays, ``cupy.fft`` real transforms, and the generated ``cupy.ElementwiseKernel`` of
  ``generated/<module>_cupy.py`` (compiled by NVRTC on first use);
* ``"gpu-emulated"``: the GPU code path (``numpy.fft`` transforms, kernel calls with the GPU calling
  convention, scalars passed as 0-d arrays where the GPU would keep them on the device) on NumPy, so that CI
  exercises it without a GPU.

Kernel calling convention (both targets): ``kernel(*arrays, *scalars)`` with the first ``MAP_ARRAYS[name]``
arguments arrays of one shape, the rest scalars; a new array is returned.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from relu_injectivity.machinery import kernels as _kernels

NAMES = ("cpu", "gpu", "gpu-emulated", "auto")


@dataclass
class Backend:
    """xp (array module), real FFTs and kernel loader of one device."""

    name: str
    xp: Any
    rfft: Callable
    irfft: Callable
    _loader: Callable
    _device_scalars: bool = False
    _cache: dict = field(default_factory=dict)

    def kernel(self, module: str, name: str) -> Callable:
        """The generated elementwise kernel ``name`` of derive/<module>.py on this device."""
        key = (module, name)
        fn = self._cache.get(key)
        if fn is None:
            fn = self._cache[key] = self._loader(module, name)
        return fn

    def asarray(self, a):
        return self.xp.asarray(a, dtype=self.xp.float64)

    def to_host(self, a) -> np.ndarray:
        """A host NumPy copy (one device-to-host transfer on the GPU)."""
        if hasattr(a, "get"):
            return a.get()
        return np.asarray(a)

    def scalar(self, a):
        """A reduction result as a kernel scalar argument: a host float on the CPU, a 0-d device array (no
        synchronisation) on the GPU path."""
        if self._device_scalars:
            return self.xp.asarray(a)
        return float(a)

    def synchronize(self):
        if self.name == "gpu":
            self.xp.cuda.Stream.null.synchronize()


def _numba_loader(module, name):
    return getattr(_kernels.numba(module), name + "__map")


def _emulated_loader(module, name):
    """Numba kernels called the way ElementwiseKernels are: scalar arguments may be 0-d arrays."""
    fn = _numba_loader(module, name)
    n_arr = _kernels.numba(module).MAP_ARRAYS[name]

    def call(*args):
        return fn(*args[:n_arr], *(float(a) for a in args[n_arr:]))

    call.__name__ = name
    return call


def _cuda_loader(module, name):
    return _kernels.cupy_kernel(module, name)


def cpu(workers: int = 1) -> Backend:
    """NumPy + scipy.fft + generated Numba kernels."""
    import scipy.fft as sfft

    return Backend("cpu", np,
                   lambda a: sfft.rfft(a, axis=-1, workers=workers),
                   lambda a, n: sfft.irfft(a, n, axis=-1, workers=workers),
                   _numba_loader)


def gpu_emulated() -> Backend:
    """The GPU code path on NumPy (numpy.fft, ElementwiseKernel calling convention, device-style scalars)."""
    return Backend("gpu-emulated", np, lambda a: np.fft.rfft(a, axis=-1), lambda a, n: np.fft.irfft(a, n, axis=-1),
                   _emulated_loader, _device_scalars=True)


def gpu_available() -> tuple[bool, str]:
    """(True, '') if CuPy imports and sees a CUDA device, else (False, the reason)."""
    try:
        cupy = importlib.import_module("cupy")
    except Exception as exc:  # ImportError, or a CUDA library failing to load
        return False, f"CuPy is not importable ({type(exc).__name__}: {exc})"
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return False, f"CuPy finds no CUDA device ({type(exc).__name__}: {exc})"
    if n < 1:
        return False, "CuPy finds no CUDA device"
    return True, ""


class BackendUnavailable(ValueError, RuntimeError):
    """The requested backend cannot run here (a bad parameter for this machine, hence also a ValueError)."""


def gpu() -> Backend:
    """CuPy + cupy.fft + generated ElementwiseKernels; BackendUnavailable naming the reason when there is no GPU."""
    ok, why = gpu_available()
    if not ok:
        raise BackendUnavailable(f"backend='gpu' needs CuPy and a CUDA GPU: {why}; use backend='cpu' or 'auto'")
    import cupy

    return Backend("gpu", cupy, lambda a: cupy.fft.rfft(a, axis=-1), lambda a, n: cupy.fft.irfft(a, n, axis=-1),
                   _cuda_loader, _device_scalars=True)


AUTO_GPU_MIN_POINTS = 1 << 16
"""``backend="auto"`` picks the GPU only for grids at least this long: below it, kernel-launch latency makes the
GPU slower than the CPU for this solver (one small FFT per level)."""


def get(name="auto", *, points: int | None = None) -> Backend:
    """Backend by name: 'cpu', 'gpu', 'gpu-emulated' or 'auto' (GPU when available and the grid is long)."""
    if isinstance(name, Backend):
        return name
    if name not in NAMES:
        raise ValueError(f"unknown backend {name!r}; allowed: {', '.join(NAMES)}")
    if name == "cpu":
        return cpu()
    if name == "gpu":
        return gpu()
    if name == "gpu-emulated":
        return gpu_emulated()
    if gpu_available()[0] and (points is None or points >= AUTO_GPU_MIN_POINTS):
        return gpu()
    return cpu()
