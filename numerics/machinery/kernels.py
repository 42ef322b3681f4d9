"""Access to the generated kernels: one loader per target, and evaluation of equations with Gaussian averages.

``numba(module)``, ``mp(module)`` and ``cuda(module)`` return generated/<module>_<target>.py (the targets of
derive/codegen.py); ``cupy_kernel(module, name)`` compiles one CUDA source of the latter into a
cupy.ElementwiseKernel (NVRTC, on first use, cached).  An equation
lowered by derive/codegen.Averaged is evaluated here as outer(params, E_xi[f_0], E_xi[f_1], ...), the averages
taken by a quadrature rule from numerics/quadrature.py.
"""
from __future__ import annotations

import importlib
from functools import lru_cache

import mpmath

from relu_injectivity.machinery import quadrature


@lru_cache(maxsize=None)
def _load(module: str, target: str):
    return importlib.import_module(f"relu_injectivity.generated.{module}_{target}")


def numba(module: str):
    """Numba functions (CPU, double precision) of derive/<module>.py: scalar ``name`` and array ``name__map``."""
    return _load(module, "numba")


def mp(module: str):
    """mpmath functions (arbitrary precision) of derive/<module>.py."""
    return _load(module, "mpmath")


def cuda(module: str):
    """CUDA C sources (``SOURCES[name] = (in_params, out_params, body)``) of derive/<module>.py; no CuPy needed."""
    return _load(module, "cupy")


@lru_cache(maxsize=None)
def cupy_kernel(module: str, name: str):
    """The cupy.ElementwiseKernel of kernel ``name`` (an alias resolved to the kernel printed for it), compiled
    by NVRTC on first use.  Needs CuPy."""
    import cupy

    gen = cuda(module)
    name = gen.ALIASES.get(name, name)
    return cupy.ElementwiseKernel(*gen.SOURCES[name], name=name)


def system(gen, equations, jacobian):
    """(F, J) of a system of generated kernels of ``gen`` (a loaded target module), by name: F(*x) is the list of
    the ``equations``, J(*x) the nested list of the ``jacobian`` rows."""
    eqs = [getattr(gen, n) for n in equations]
    jac = [[getattr(gen, n) for n in row] for row in jacobian]

    def F(*x):
        return [f(*x) for f in eqs]

    def J(*x):
        return [[f(*x) for f in row] for row in jac]

    return F, J


def averaged(module: str, name: str, rule=None):
    """Double-precision F(*params) for an Averaged equation, E_xi taken with ``rule`` (default rule if None)."""
    gen = numba(module)
    names, _ = gen.AVERAGES[name]
    outer = getattr(gen, name)
    integrands = [getattr(gen, n + "__map") for n in names]
    r = rule or quadrature.default_rule()

    def F(*params):
        return float(outer(*params, *(r.expect(f, *params) for f in integrands)))

    F.__name__ = name
    return F


def averaged_mp(module: str, name: str):
    """mpmath F(*params) for an Averaged equation, E_xi taken by quadrature.expect_mp (Gauss-Legendre) at working precision."""
    gen = mp(module)
    names, _ = gen.AVERAGES[name]
    outer = getattr(gen, name)
    integrands = [getattr(gen, n) for n in names]

    def F(*params):
        return outer(*params, *(quadrature.expect_mp(f, *params) for f in integrands))

    F.__name__ = name
    return F


def mpf_args(*xs):
    return tuple(mpmath.mpf(x) for x in xs)
