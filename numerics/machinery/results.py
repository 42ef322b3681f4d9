"""Result objects returned by the public API, the exact fraction type of the Euler surrogate, and the solver error."""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field, fields
from fractions import Fraction
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


def brief(error_method: str, limit: int = 40) -> str:
    """A few words of an ``error_method`` sentence: its first clause, cut at a word boundary (the fallback of
    the short output when a method gives no ``how`` in the registry)."""
    text, depth = " ".join(str(error_method).split()), 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and (ch in ";:," or text.startswith(" (", i)):
            text = text[:i]
            break
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " ..."
    return text


def plus_minus(value: str, error) -> str:
    """``value ± error`` (``± ?`` when the error bar is not a finite number)."""
    err = float(error)
    return f"{value} ± {err:.1e}" if math.isfinite(err) else f"{value} ± ? (error bar not finite)"


def short(value: str, error, how: str) -> str:
    """``value ± error (how)``: the one-line human form of a result."""
    return f"{plus_minus(value, error)} ({how})"


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
        return {"error": jsonable(float(self.error)), "params": jsonable(self.params),
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
    how: str | None = field(default=None, compare=False)
    """A few words on how ``error`` was obtained (set by the registry's dispatch); ``error_method`` says it fully."""

    @property
    def alpha_str(self) -> str:
        return number_str(self.alpha, self.digits)

    def to_dict(self) -> dict:
        return {"method": self.method, "alpha": self.alpha_str, **self._json_tail()}

    def short(self, how: str | None = None) -> str:
        """``value ± error (how)``; ``how`` defaults to ``self.how``, else the first clause of ``error_method``."""
        return short(self.alpha_str, self.error, how or self.how or brief(self.error_method))

    def __str__(self):
        return f"{self.method}: alpha = {self.short()}"


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
    how: str | None = field(default=None, compare=False)
    """A few words on how ``error`` was obtained (set by the registry's dispatch); ``error_method`` says it fully."""

    @property
    def energy_str(self) -> str:
        return number_str(self.energy, self.digits)

    def to_dict(self) -> dict:
        return {"method": self.method, "alpha": jsonable(self.alpha), "energy": self.energy_str, **self._json_tail()}

    def short(self, how: str | None = None) -> str:
        """``value ± error (how)``; ``how`` defaults to ``self.how``, else the first clause of ``error_method``."""
        return short(self.energy_str, self.error, how or self.how or brief(self.error_method))

    def __str__(self):
        return f"{self.method}: e*({self.alpha}) = {self.short()}"


class ExactFraction(Fraction):
    """A ``fractions.Fraction`` (exact, compares and computes like one) whose ``repr`` stays short and safe when
    numerator and denominator have thousands of digits: Python refuses to print an int of more than 4300 digits,
    so a plain Fraction of that size cannot even be echoed at the REPL.  ``str`` is the exact ``p/q``."""

    _REPR_DIGITS = 60

    def __repr__(self):
        p, q = self.numerator, self.denominator
        if max(p.bit_length(), q.bit_length()) * 0.30103 < self._REPR_DIGITS:
            return f"ExactFraction({p}, {q})"
        if p == 0:
            return "ExactFraction(0, 1)"
        import mpmath

        with mpmath.workdps(20):
            approx = mpmath.nstr(mpmath.mpf(p) / q, 16)
        return (f"<ExactFraction ~ {approx}: numerator {_ndigits(p)} digits, denominator {_ndigits(q)} digits; "
                f"str() gives it exactly>")

    def __str__(self):
        get = getattr(sys, "get_int_max_str_digits", None)
        if get is None:
            return super().__str__()
        old = get()
        sys.set_int_max_str_digits(0)
        try:
            return super().__str__()
        finally:
            sys.set_int_max_str_digits(old)

    def __reduce__(self):
        return (type(self), (self.numerator, self.denominator))


def _ndigits(n: int) -> int:
    """Number of decimal digits of |n| (exact, without converting it to a string)."""
    n = abs(n)
    d = max(1, int(n.bit_length() * 0.30102999566398120))
    return d + (n >= 10 ** d)


class ConvergenceError(RuntimeError):
    """A solver did not converge; ``diagnostics`` holds what it saw (iterations, residual history, ...)."""

    def __init__(self, message: str, diagnostics: Mapping | None = None):
        super().__init__(message)
        self.diagnostics = dict(diagnostics or {})
