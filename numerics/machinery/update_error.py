"""The exception a fixed-point map raises where its update is not defined (the generic solvers catch it)."""
from __future__ import annotations


class UpdateError(ArithmeticError):
    """The update of a fixed-point iteration has no admissible result at this point (the caller falls back, e.g.
    to a damped step from the last good iterate).  Raised by a model's update (numerics/methods/frsb/levels.py:
    docs/theory.md §4.5), caught by the solver (numerics/methods/frsb/solver.py)."""
