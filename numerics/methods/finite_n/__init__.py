"""Finite-size ground truth: is a given layer x -> ReLU(Wx) injective, and how often is a Gaussian one
(docs/finite_n.md).

``check(W)``: exact verdict with certificate (small/moderate n) or a verified witness / "no witness found"
(large layers).  ``simulate(n, alpha, samples)``: P(injective) with Wilson intervals, the distribution of
D(W)/n, and the Euler surrogate q_{m,n} beside it.  ``load_matrix(path)``: .npy / .npz / text.
"""
from .check import CheckResult, check
from .exact import ExactResult, brute_force_min_count, min_active_count, plain_milp_min_count
from .io import load_matrix, validate_matrix
from .sampling import SimulationResult, simulate, wilson_interval

__all__ = ["check", "CheckResult", "simulate", "SimulationResult", "wilson_interval", "load_matrix",
           "validate_matrix", "min_active_count", "ExactResult", "brute_force_min_count", "plain_milp_min_count"]
