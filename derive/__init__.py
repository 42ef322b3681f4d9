"""derive: every equation of the project, once, as a SymPy expression (docs/theory.md).

Submodules with a ``kernels()`` function are printed into generated/ by ``python -m derive``.
This package imports nothing from numerics/ and generated/."""
