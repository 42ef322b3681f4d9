"""relu_injectivity: when is a random ReLU layer x -> ReLU(Wx) injective?  The public Python API.

>>> import relu_injectivity as ri
>>> r = ri.threshold("rs", digits=30)
>>> r.alpha, r.error, r.error_method

The package is laid out by role: ``methods`` (what a user names: rs, dat, one-rsb, frsb, euler, bounds),
``machinery`` (root finding, quadrature, Fourier convolution, backends, kernel loading), ``workflow`` (scans,
results store, figures) and ``interfaces`` (this API and the ``injectivity`` command).  Equation-specific math
comes only from ``relu_injectivity.generated``, printed from the SymPy derivations in ``relu_injectivity.derive``.
"""
from relu_injectivity.machinery.results import ConvergenceError, EnergyResult, ThresholdResult
from relu_injectivity.methods.registry import METHODS, energy, parameters, threshold
from relu_injectivity.workflow.scan import scan
from relu_injectivity.workflow.store import Store
from relu_injectivity.methods.finite_n import check, simulate  # finite-n ground truth (docs/finite_n.md)


def ladder(max_steps=12, **params):
    """The r-RSB ladder with optimised breakpoints and its limit: ``relu_injectivity.methods.rsb.ladder``
    (docs/ladder.md); imported on first use."""
    from relu_injectivity.methods.rsb import ladder as _ladder

    return _ladder(max_steps, **params)

__all__ = ["energy", "threshold", "parameters", "METHODS", "ThresholdResult", "EnergyResult", "ConvergenceError",
           "scan", "Store", "ladder", "check", "simulate"]
