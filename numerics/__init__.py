"""numerics: solvers and the public API of relu-injectivity.

>>> import numerics
>>> r = numerics.threshold("rs", digits=30)
>>> r.alpha, r.error, r.error_method

Equation-specific math comes only from generated/ (written by ``python -m derive``).
"""
from numerics.api import energy, parameters, threshold
from numerics.methods import METHODS
from numerics.results import ConvergenceError, EnergyResult, ThresholdResult
from numerics.scan import scan  # the function shadows the submodule name; `from numerics.scan import X` still works
from numerics.store import Store

__all__ = ["energy", "threshold", "parameters", "METHODS", "ThresholdResult", "EnergyResult", "ConvergenceError",
           "scan", "Store"]
