"""Public API: ``threshold(method, **params)`` and ``energy(method, alpha, **params)``."""
from __future__ import annotations

import importlib
import inspect

from numerics.methods import METHODS
from numerics.results import EnergyResult, ThresholdResult


def _function(method: str, kind: str):
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {method!r}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    mod = importlib.import_module(METHODS[method].module)
    fn = getattr(mod, kind, None)
    if fn is None:
        have = [m for m in METHODS if hasattr(importlib.import_module(METHODS[m].module), kind)]
        raise ValueError(f"method {method!r} has no {kind}; methods with one: {', '.join(have)}")
    return fn


def parameters(method: str, kind: str) -> dict:
    """Keyword parameters (name -> default) that ``kind`` ('threshold' or 'energy') of ``method`` accepts."""
    sig = inspect.signature(_function(method, kind))
    return {n: p.default for n, p in sig.parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}


def _check(method, kind, params):
    allowed = parameters(method, kind)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise TypeError(f"unknown parameter(s) {', '.join(unknown)} for {kind}({method!r}); "
                        f"allowed: {', '.join(allowed) or 'none'}")


def threshold(method: str, **params) -> ThresholdResult:
    """The injectivity threshold alpha_inj predicted by ``method`` (see ``numerics.METHODS``), with error bar."""
    fn = _function(method, "threshold")
    _check(method, "threshold", params)
    return fn(**params)


def energy(method: str, alpha, **params) -> EnergyResult:
    """The ground-state energy density e*(alpha) (active units per input dimension) predicted by ``method``."""
    fn = _function(method, "energy")
    _check(method, "energy", params)
    return fn(alpha, **params)
