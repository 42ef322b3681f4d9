"""Reading and validating a weight matrix W (m x n, m >= n >= 1, finite real entries) for the finite-n check."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def validate_matrix(W, name: str = "W") -> np.ndarray:
    """W as a float64 (m, n) array; TypeError for non-numeric input, ValueError for a wrong shape, m < n or
    entries that are NaN or infinite."""
    if isinstance(W, (str, bytes)) or W is None:
        raise TypeError(f"{name} must be a 2-D array of real numbers, got {type(W).__name__}")
    try:
        A = np.asarray(W)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} is not a rectangular array: {exc}") from None
    if A.dtype == object:
        raise ValueError(f"{name} is not a rectangular array of numbers (ragged rows or mixed types)")
    if A.dtype.kind == "b" or A.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {A.dtype}")
    if A.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (m rows, n columns), got {A.ndim}-D of shape {A.shape}")
    m, n = A.shape
    if n < 1 or m < 1:
        raise ValueError(f"{name} is empty (shape {A.shape})")
    if m < n:
        raise ValueError(f"{name} has m = {m} rows < n = {n} columns: ReLU(Wx) is never injective then; "
                         "give W with m >= n (rows = units)")
    A = A.astype(float)
    bad = ~np.isfinite(A)
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise ValueError(f"{name} has {int(bad.sum())} non-finite entries (NaN or inf), first at row {i}, column {j}")
    return A


def load_matrix(path) -> np.ndarray:
    """W from a .npy file, a .npz file (its only array, or the one named 'W'), or a text file (whitespace or
    comma separated rows, '#' comments); validated by :func:`validate_matrix`."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name, got {type(path).__name__}")
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"no such file: {p}")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npy":
            W = np.load(p, allow_pickle=False)
        elif suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                names = list(z.files)
                if "W" in names:
                    W = z["W"]
                elif len(names) == 1:
                    W = z[names[0]]
                else:
                    raise ValueError(f"{p} holds arrays {names}; name the weight matrix 'W'")
        else:
            text = p.read_text()
            delim = "," if "," in text else None
            W = np.loadtxt(p, delimiter=delim, ndmin=2 if text.strip().count("\n") else 1)
    except ValueError as exc:
        if str(exc).startswith(str(p)):
            raise
        raise ValueError(f"cannot read a matrix from {p}: {exc}") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"cannot read a matrix from {p}: {exc}") from None
    return validate_matrix(W, name=f"the matrix in {p.name}")
