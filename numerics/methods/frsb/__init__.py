"""Zero-temperature full RSB in the k-step discretisation (docs/theory.md §4): energy e*(alpha) and threshold.

    energy(alpha, k=30, xmax=10)   -> EnergyResult (estar; diagnostics: q, x, chi, L0, functional, ...)
    threshold(k=30, xmax=10)       -> ThresholdResult (root of estar(alpha) = 1, warm starts along alpha)

Pieces (numerics/methods/frsb/): recursion.py (backward/forward recursion on the h grid, any backend), levels.py
(the level recursions and the authors' update on the host, generated loops), solver.py (Anderson-accelerated fixed
point), grid.py (h grid for a target accuracy); validation.py (the user's parameters, the cold start, the SAT
boundary), problem.py (one run: breakpoints, backend, grid, the fixed point at one alpha), regrid.py (the grid
growing with the iterate), error_bars.py (solver and grid errors), diagnostics.py, energy_solve.py
(:func:`energy`), threshold_solve.py (:func:`threshold`) and bracket.py (its secant bracketing).  Every equation
comes from generated/frsb_* (derive/frsb.py).

The h grid is chosen for the accuracy asked (tol/10 on the energy): a window of ~5-7 standard deviations of the
field, 1/(2 chi)^(1/2), and 16-32 points per unit of h -- a few hundred to two thousand points instead of the
authors' 131461 (docs/theory.md §4.8), because the non-smooth last step is done in closed form and every integral
across a kink of F_k is split there (benchmarks/frsb.py shows the accuracy study).

Two estimators: ``estar = alpha P(h_k > 1)`` (the active fraction, docs/theory.md §4.6; the reported energy, as in the
authors' code) and the value ``functional`` of (FRSB-e) at the fixed point.  They are NOT equal at fixed
breakpoints: scaling the cost of an active unit by lambda gives e(lambda; x) = lambda e(1; lambda x), whose
lambda-derivative is estar, hence ``estar = functional + sum_i x_i de/dx_i`` (derivative of the stationary value
under a dilation of the breakpoints; verified numerically in tests/test_frsb.py and benchmarks/frsb.py).  The
difference (6.8e-5 at alpha = 6, k = 30, xmax = 10; -5.3e-5 at xmax = 15) is a property of the k-step ansatz with
fixed breakpoints, not a quadrature error; it vanishes where the breakpoints are stationary (1-RSB at its optimal
c).  It is reported as ``estimator_gap`` and not included in the error bar, which is the numerical error of estar
for the given (k, breakpoints).

One answer per question.  At fixed breakpoints the update has several stationary points (different levels
collapsed, dq_i = 0, which the update keeps); with ``init`` the warm start's and the cold start's fixed points are
both computed and the one with the larger functional is returned (the ground state is the supremum of the
functional, docs/theory.md §4.7, §4.11), so the answer does not depend on the start or on a scan's blocking.

Limits.  The functional is flat along the collapse of the levels at both ends of the breakpoint grid (dq_i -> 0):
the update converges slowly there and the residual is a weak measure of the distance to the fixed point, so the
solver error is measured by continuing the iteration (see _refine).  In double precision the FFT convolutions of
exp(+-x F) lose a factor exp(x_max) of relative precision; a tol below ~1e-15 exp(x_max) is refused.
"""
from relu_injectivity.methods.frsb.energy_solve import energy
from relu_injectivity.methods.frsb.error_bars import NOISE_MULTIPLE, REFINE, ROUNDOFF
from relu_injectivity.methods.frsb.problem import ARRAYS_PER_LEVEL, FFT_NOISE_RATIO, MEMORY_LIMIT
from relu_injectivity.methods.frsb.regrid import GRID_EPS_FACTOR, MASS_TOL, MAX_REGRID
from relu_injectivity.methods.frsb.threshold_solve import SLOPE_STEP, threshold
from relu_injectivity.methods.frsb.validation import ALPHA_MAX, COLD_CHI, COLD_Q, MAX_LEVELS, METHOD, XMAX_MAX, sat_alpha

__all__ = ["energy", "threshold", "METHOD", "sat_alpha", "COLD_Q", "COLD_CHI", "GRID_EPS_FACTOR", "ROUNDOFF",
           "REFINE", "NOISE_MULTIPLE", "MASS_TOL", "MAX_REGRID", "SLOPE_STEP", "MAX_LEVELS", "FFT_NOISE_RATIO",
           "MEMORY_LIMIT", "ARRAYS_PER_LEVEL", "ALPHA_MAX", "XMAX_MAX"]
