"""Checks of user input: every bad value raises ValueError/TypeError naming the value and what is allowed."""
from __future__ import annotations

import math
import numbers

DIGITS_RANGE = (15, 1000)


def real(name: str, x, *, lo=None, hi=None, lo_open=True, hi_open=True) -> float:
    """A finite real number in (lo, hi) (or closed ends), returned as float."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {x!r} of type {type(x).__name__}")
    xf = float(x)
    if not math.isfinite(xf):
        raise ValueError(f"{name} must be finite, got {x!r}")
    if lo is not None and (xf < lo or (lo_open and xf == lo)):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo}, got {x!r}")
    if hi is not None and (xf > hi or (hi_open and xf == hi)):
        raise ValueError(f"{name} must be {'<' if hi_open else '<='} {hi}, got {x!r}")
    return xf


def alpha(x, lo=0.0, hi=None) -> float:
    """alpha = m/n: a finite number > lo (default 0)."""
    return real("alpha", x, lo=lo, hi=hi)


def integer(name: str, x, *, lo=None, hi=None) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {x!r} of type {type(x).__name__}")
    x = int(x)
    if lo is not None and x < lo:
        raise ValueError(f"{name} must be >= {lo}, got {x}")
    if hi is not None and x > hi:
        raise ValueError(f"{name} must be <= {hi}, got {x}")
    return x


def digits(d, allowed=DIGITS_RANGE) -> int | None:
    """None (double precision) or a number of decimal digits in ``allowed`` (lo, hi) (a method's DIGITS)."""
    if d is None:
        return None
    if not isinstance(d, bool) and isinstance(d, numbers.Integral) and not allowed[0] <= d <= allowed[1]:
        raise ValueError(f"digits must be an integer from {allowed[0]} to {allowed[1]} for this method (or None for "
                         f"double precision), got {d}")
    return integer("digits", d, lo=allowed[0], hi=allowed[1])


def choice(name: str, x, allowed) -> str:
    if x not in allowed:
        raise ValueError(f"unknown {name} {x!r}; allowed: {', '.join(map(str, allowed))}")
    return x


def boolean(name: str, x) -> bool:
    """A flag: True or False (not a truthy string or number)."""
    if not isinstance(x, bool):
        raise TypeError(f"{name} must be True or False, got {x!r}")
    return x
