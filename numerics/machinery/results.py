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
    """Shared behaviour: read-only params/diagnostics, the one-line form and the JSON form.  A subclass is made a
    dataclass by :func:`_result`, which names its value (``alpha`` or ``energy``)."""

    _value = _label = ""

    def __post_init__(self):
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "diagnostics", MappingProxyType(dict(self.diagnostics)))

    def __reduce__(self):  # MappingProxyType does not pickle; rebuild from plain dicts
        return (type(self), tuple(dict(v) if isinstance(v, MappingProxyType) else v
                                  for v in (getattr(self, f.name) for f in fields(self))))

    @property
    def value_str(self) -> str:
        """The value with every computed digit (:func:`number_str`)."""
        return number_str(getattr(self, self._value), self.digits)

    def to_dict(self) -> dict:
        """Plain-JSON form: method, alpha, the value as a decimal string, error, params, diagnostics."""
        head = {"method": self.method, "alpha": jsonable(self.alpha)}
        head[self._value] = self.value_str
        return {**head, "error": jsonable(float(self.error)), "params": jsonable(self.params),
                "diagnostics": jsonable({"error_method": self.error_method, **self.diagnostics})}

    def short(self, how: str | None = None) -> str:
        """``value ± error (how)``; ``how`` defaults to ``self.how``, else the first clause of ``error_method``."""
        return short(self.value_str, self.error, how or self.how or brief(self.error_method))

    def __str__(self):
        return f"{self.method}: {self._label.format(alpha=self.alpha)} = {self.short()}"


def _result(value: str, label: str):
    """Class decorator: a frozen dataclass with the fields ``method, alpha, [value,] error, error_method, params,
    diagnostics, digits, how`` (``value`` after alpha when it is not alpha itself); ``label`` names the value in
    ``str()``.  ``how``: a few words on how ``error`` was obtained (set by the registry's dispatch; not compared),
    ``error_method`` says it fully."""
    def make(cls):
        head = {"method": str, "alpha": Any} | ({} if value == "alpha" else {value: Any})
        cls.__annotations__ = head | {"error": float, "error_method": str, "params": Mapping,
                                      "diagnostics": Mapping, "digits": "int | None", "how": "str | None"}
        cls.params = field(default_factory=dict)
        cls.diagnostics = field(default_factory=dict)
        cls.digits = None
        cls.how = field(default=None, compare=False)
        cls._value, cls._label = value, label
        return dataclass(frozen=True)(cls)
    return make


@_result("alpha", "alpha")
class ThresholdResult(_Result):
    """alpha_inj estimate of one method: value, error bar and how it was obtained, parameters, diagnostics."""

    alpha_str = _Result.value_str


@_result("energy", "e*({alpha})")
class EnergyResult(_Result):
    """Ground-state energy density e*(alpha) of one method, with error bar, parameters and diagnostics."""

    energy_str = _Result.value_str


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
