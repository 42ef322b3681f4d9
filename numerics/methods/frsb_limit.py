"""Full RSB as the limit r -> infinity of the r-RSB ladder with optimised breakpoints (docs/ladder.md,
docs/theory.md §4.11): method ``frsb-limit`` of the registry, the value ``injectivity all`` reports for full RSB.

    threshold(max_steps=10, tol=1e-5)       -> alpha_FRSB, the same as ``frsb.threshold(converged=True)``
    energy(alpha, max_steps=10, tol=1e-5)   -> e_FRSB(alpha)

The rungs are numerics/methods/rsb (each one system of equations solved by Newton); the limit and its error bar
(the spread of every defensible fit of the rungs) numerics/methods/rsb/limit.py.
"""
from relu_injectivity.methods.rsb import converged_energy as energy
from relu_injectivity.methods.rsb import converged_threshold as threshold

__all__ = ["threshold", "energy"]
