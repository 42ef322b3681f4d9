"""Result values <-> JSON, losslessly for the types results carry (mpf exactly, floats including inf/nan, tuples,
numpy arrays and scalars, nested mappings), and whole ``EnergyResult``/``ThresholdResult`` objects.  Used by the
results store (its files) and by ``scan`` (results travel to and from workers in this form)."""
from __future__ import annotations

import dataclasses
import math
import numbers

import mpmath
import numpy as np

from relu_injectivity.machinery.results import EnergyResult, ThresholdResult


def encode(x):
    """JSON form of a result value: mpf exactly (mantissa, exponent; decimal for reading), floats incl. inf/nan,
    tuples, numpy arrays and scalars, nested mappings.  ``decode`` inverts it."""
    if isinstance(x, mpmath.mpf):
        sign, man, exp, bc = x._mpf_
        if not man and (exp or bc):  # inf, -inf, nan
            return {"__mpf__": str(x)}
        digits = max(15, int(bc * 0.30103) + 2)
        return {"__mpf__": mpmath.nstr(x, digits), "man": -int(man) if sign else int(man), "exp": int(exp),
                "bits": int(bc)}
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (numbers.Integral, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else {"__float__": repr(x)}
    if isinstance(x, str) or x is None:
        return x
    if isinstance(x, np.ndarray):
        return {"__ndarray__": [encode(v) for v in x.ravel().tolist()], "shape": list(x.shape),
                "dtype": str(x.dtype)}
    if isinstance(x, tuple):
        return {"__tuple__": [encode(v) for v in x]}
    if isinstance(x, list):
        return [encode(v) for v in x]
    if hasattr(x, "items"):
        out = {}
        for k, v in x.items():
            if not isinstance(k, str) or k.startswith("__"):
                raise TypeError(f"cannot store mapping key {k!r} (keys must be strings not starting with '__')")
            out[k] = encode(v)
        return out
    raise TypeError(f"cannot store a value of type {type(x).__name__}: {x!r}")


def decode(x):
    if isinstance(x, list):
        return [decode(v) for v in x]
    if not isinstance(x, dict):
        return x
    if "__mpf__" in x:
        if "man" not in x:
            return mpmath.mpf(x["__mpf__"])
        man, exp, bits = int(x["man"]), int(x["exp"]), int(x["bits"])
        with mpmath.workprec(max(bits, 53)):
            return mpmath.mpf((man, exp))
    if "__float__" in x:
        return float(x["__float__"])
    if "__tuple__" in x:
        return tuple(decode(v) for v in x["__tuple__"])
    if "__ndarray__" in x:
        return np.array([decode(v) for v in x["__ndarray__"]], dtype=x["dtype"]).reshape(x["shape"])
    return {k: decode(v) for k, v in x.items()}


_TYPES = {"EnergyResult": EnergyResult, "ThresholdResult": ThresholdResult}
_FIELDS = {name: tuple(f.name for f in dataclasses.fields(cls)) for name, cls in _TYPES.items()}


def result_to_json(r) -> dict:
    name = type(r).__name__
    if name not in _FIELDS:
        raise TypeError(f"cannot store a {name}; allowed: EnergyResult, ThresholdResult")
    return {"type": name, **{f: encode(getattr(r, f)) for f in _FIELDS[name]}}


def result_from_json(d: dict):
    name = d["type"]
    if name not in _FIELDS or set(d) != {"type", *_FIELDS[name]}:
        raise ValueError(f"not a stored result: type {name!r} with fields {sorted(d)}")
    return _TYPES[name](**{f: decode(d[f]) for f in _FIELDS[name]})
