"""Result objects returned by the public API, and the solver error."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Mapping

import mpmath
import numpy as np


def jsonable(x):
    """Plain-JSON form of diagnostics values (mpf -> decimal string, arrays -> lists, non-finite -> None)."""
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, mpmath.mpf):
        return mpmath.nstr(x, max(15, int(x._mpf_[3] * 0.30103)))
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return x if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


def number_str(x, digits: int | None) -> str:
    """Decimal string with every computed digit: repr for doubles, `digits` significant digits for mpf."""
    if isinstance(x, mpmath.mpf):
        return mpmath.nstr(x, digits, min_fixed=-mpmath.inf, max_fixed=mpmath.inf, strip_zeros=False)
    return repr(float(x))


class _Result:
    """Shared behaviour: read-only params/diagnostics, and their JSON form."""

    def __post_init__(self):
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "diagnostics", MappingProxyType(dict(self.diagnostics)))

    def __reduce__(self):  # MappingProxyType does not pickle; rebuild from plain dicts
        return (type(self), tuple(dict(v) if isinstance(v, MappingProxyType) else v
                                  for v in (getattr(self, f.name) for f in fields(self))))

    def _json_tail(self) -> dict:
        return {"error": float(self.error), "params": jsonable(self.params),
                "diagnostics": jsonable({"error_method": self.error_method, **self.diagnostics})}


@dataclass(frozen=True)
class ThresholdResult(_Result):
    """alpha_inj estimate of one method: value, error bar and how it was obtained, parameters, diagnostics."""

    method: str
    alpha: Any
    error: float
    error_method: str
    params: Mapping = field(default_factory=dict)
    diagnostics: Mapping = field(default_factory=dict)
    digits: int | None = None

    @property
    def alpha_str(self) -> str:
        return number_str(self.alpha, self.digits)

    def to_dict(self) -> dict:
        return {"method": self.method, "alpha": self.alpha_str, **self._json_tail()}

    def __str__(self):
        return f"{self.method}: alpha = {self.alpha_str} +- {self.error:.1e} ({self.error_method})"


@dataclass(frozen=True)
class EnergyResult(_Result):
    """Ground-state energy density e*(alpha) of one method, with error bar, parameters and diagnostics."""

    method: str
    alpha: float
    energy: Any
    error: float
    error_method: str
    params: Mapping = field(default_factory=dict)
    diagnostics: Mapping = field(default_factory=dict)
    digits: int | None = None

    @property
    def energy_str(self) -> str:
        return number_str(self.energy, self.digits)

    def to_dict(self) -> dict:
        return {"method": self.method, "alpha": jsonable(self.alpha), "energy": self.energy_str, **self._json_tail()}

    def __str__(self):
        return f"{self.method}: e*({self.alpha}) = {self.energy_str} +- {self.error:.1e} ({self.error_method})"


class ConvergenceError(RuntimeError):
    """A solver did not converge; ``diagnostics`` holds what it saw (iterations, residual history, ...)."""

    def __init__(self, message: str, diagnostics: Mapping | None = None):
        super().__init__(message)
        self.diagnostics = dict(diagnostics or {})
