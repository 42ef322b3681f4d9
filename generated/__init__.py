"""Generated kernels -- written by `python -m derive`, never edited by hand.

One module per derive module and target: <module>_numba.py, <module>_mpmath.py, <module>_cupy.py."""
