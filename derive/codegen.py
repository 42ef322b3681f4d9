"""Code generation: one SymPy description of each kernel, three printers (Numba, mpmath, CuPy/CUDA C).

A derive module exposes ``kernels()``, a list of :class:`Kernel` (an elementwise function of real scalars)
and :class:`Averaged` (an equation containing Gaussian averages ``Avg(...)``, lowered to one outer kernel plus
one integrand kernel per average).  :func:`render` turns a module's kernels into the text of
``generated/<module>_numba.py``, ``_mpmath.py`` and ``_cupy.py``; the three files differ only in the printer.
"""
from __future__ import annotations

import hashlib
import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path

import sympy as sp
from sympy.printing.c import C99CodePrinter
from sympy.printing.pycode import MpmathPrinter, PythonCodePrinter

from .gauss import Avg, xi

GENERATED = Path(__file__).resolve().parent.parent / "generated"
IN_CHECKOUT = (GENERATED.parent / "pyproject.toml").is_file()
"""True in a source checkout; in an installed package GENERATED lies in site-packages and is never written."""
TARGETS = ("numba", "mpmath", "cupy")
COMMAND = "python -m derive"


@dataclass(frozen=True)
class Kernel:
    """out = expr(args), evaluated elementwise.

    The Numba target prints a scalar function ``name`` and an array form ``name__map`` taking the first
    ``arrays`` arguments as arrays of one shape and the rest as scalars; CuPy's ElementwiseKernel broadcasts.
    """

    name: str
    args: tuple
    expr: sp.Expr
    doc: str
    arrays: int = 1


@dataclass(frozen=True)
class Averaged:
    """F(args) = expr(args, E_xi[f_0], E_xi[f_1], ...), the f_j being the ``Avg(f_j)`` atoms of expr."""

    name: str
    args: tuple
    expr: sp.Expr
    doc: str

    def lower(self):
        """The outer kernel (args + one symbol per average) and the integrand kernels f_j(xi, args)."""
        avgs = sorted(self.expr.atoms(Avg), key=sp.default_sort_key)
        slots = [sp.Symbol(f"avg{j}", real=True) for j in range(len(avgs))]
        outer = self.expr.xreplace(dict(zip(avgs, slots)))
        integrands = [
            Kernel(f"{self.name}__avg{j}", (xi,) + tuple(self.args), a.args[0],
                   f"Integrand {j} of {self.name}: E_xi of this is avg{j}.")
            for j, a in enumerate(avgs)
        ]
        return Kernel(self.name, tuple(self.args) + tuple(slots), outer, self.doc), integrands


def lowered(items):
    """Flatten a module's kernel list: (kernels, averages) with averages = {name: (outer, integrand names, nargs)}."""
    kernels, averages = [], {}
    for item in items:
        if isinstance(item, Averaged):
            outer, integrands = item.lower()
            kernels += [outer] + integrands
            averages[item.name] = (tuple(k.name for k in integrands), len(item.args))
        else:
            kernels.append(item)
    names = [k.name for k in kernels]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate kernel names in {names}")
    for k in kernels:
        if k.expr.atoms(sp.Float):
            raise ValueError(f"kernel {k.name} contains a Float {k.expr.atoms(sp.Float)}: keep constants exact "
                             "(Rational, pi, sqrt) so that the mpmath target is not frozen at 53 bits")
        if k.expr.atoms(Avg):
            raise ValueError(f"kernel {k.name} contains an unlowered Avg")
        free = k.expr.free_symbols - set(k.args)
        if free:
            raise ValueError(f"kernel {k.name} depends on symbols {sorted(map(str, free))} not among its arguments")
    return kernels, averages


def expressions_hash(kernels) -> str:
    """SHA-256 of the expressions (names, argument lists, srepr), independent of printers and hash seeds."""
    h = hashlib.sha256()
    for k in kernels:
        h.update(f"{k.name}|{','.join(map(str, k.args))}|{sp.srepr(k.expr)}\n".encode())
    return h.hexdigest()


def _cse(expr):
    reps, (reduced,) = sp.cse(expr, symbols=sp.numbered_symbols("cse"), order="canonical")
    return reps, reduced


class NumbaPrinter(PythonCodePrinter):
    """Python `math` calls, compiled by numba.vectorize."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "standard": "python3"})


class CudaPrinter(C99CodePrinter):
    """CUDA C for cupy.ElementwiseKernel: double literals, no M_PI-style macros (NVRTC lacks them)."""

    def __init__(self):
        super().__init__({"math_macros": {}})

    def _print_Integer(self, expr):
        return f"{int(expr)}.0"

    def _print_Pi(self, expr):
        return "3.14159265358979323846"

    def _print_Exp1(self, expr):
        return "2.71828182845904523536"

    def _print_Pow(self, expr):
        if expr.exp == 2:
            return f"(({self._print(expr.base)})*({self._print(expr.base)}))"
        return super()._print_Pow(expr)


def _numba_map(k):
    n = k.arrays
    arrs, rest = [str(a) for a in k.args[:n]], [str(a) for a in k.args[n:]]
    lines = ["@njit(cache=True)", f"def {k.name}__map({', '.join(map(str, k.args))}):",
             f'    """{k.name} elementwise over the array argument(s) {", ".join(arrs)} (one shape); the rest scalars."""',
             f"    shape = {arrs[0]}.shape"]
    lines += [f"    {a}_ = np.ascontiguousarray({a}).reshape(-1)" for a in arrs]
    lines += [f"    out = np.empty({arrs[0]}_.size)",
              f"    for i in range({arrs[0]}_.size):",
              f"        out[i] = {k.name}({', '.join([a + '_[i]' for a in arrs] + rest)})",
              "    return out.reshape(shape)", "", ""]
    return "\n".join(lines)


def _py_function(k, printer, decorator):
    reps, reduced = _cse(k.expr)
    args = ", ".join(map(str, k.args))
    lines = []
    if decorator:
        lines.append(decorator)
    lines += [f"def {k.name}({args}):", f'    """{k.doc}"""']
    lines += [f"    {s} = {printer.doprint(e)}" for s, e in reps]
    value = printer.doprint(reduced)
    if not k.args and isinstance(printer, MpmathPrinter):
        value = f"mpmath.mpf({value})"       # a constant at the working precision
    lines += [f"    return {value}", "", ""]
    return "\n".join(lines)


def _cuda_source(k):
    ren = {a: sp.Symbol(f"p_{a}", real=True) for a in k.args}
    reps, reduced = _cse(k.expr.xreplace(ren))
    pr = CudaPrinter()
    body = [f"double {s} = {pr.doprint(e)};" for s, e in reps]
    body.append(f"out = {pr.doprint(reduced)};")
    in_params = ", ".join(f"float64 p_{a}" for a in k.args)
    return in_params, "float64 out", "\n".join(body)


def _header(module, digest, target):
    return (f"# Generated by `{COMMAND}` from derive/{module}.py for the {target} target -- DO NOT EDIT.\n"
            f"# Regenerate with `{COMMAND}`; `{COMMAND} --check` fails when this file is stale.\n"
            f"# expressions-sha256: {digest}\n")


def render(module: str, items) -> dict:
    """Text of the three generated files of one derive module, keyed by file name."""
    kernels, averages = lowered(items)
    digest = expressions_hash(kernels)
    constants = [k for k in kernels if not k.args]
    kernels = [k for k in kernels if k.args]
    meta = f'EXPRESSIONS_SHA256 = "{digest}"\nAVERAGES = {averages!r}\nKERNELS = {tuple(k.name for k in kernels)!r}\nCONSTANTS = {tuple(k.name for k in constants)!r}\nMAP_ARRAYS = {{{", ".join(f"{k.name!r}: {k.arrays}" for k in kernels)}}}\n'
    doc = f'"""Kernels of derive/{module}.py ({{}}).\n\nEach function is documented by the equation it evaluates."""\n'

    nb = (_header(module, digest, "Numba") + doc.format("Numba, CPU: scalar functions and their __map array forms")
          + "import math\n\nimport numpy as np\nfrom numba import njit\n\n" + meta + "\n\n")
    pr = NumbaPrinter()
    for k in constants:
        nb += _py_function(k, pr, "@njit(cache=True)")
    for k in kernels:
        nb += _py_function(k, pr, "@njit(cache=True)") + _numba_map(k)

    mp = _header(module, digest, "mpmath") + doc.format("mpmath, arbitrary precision") + "import mpmath\n\n" + meta + "\n\n"
    pr = MpmathPrinter()
    for k in constants + kernels:
        mp += _py_function(k, pr, None)

    cu = _header(module, digest, "CuPy") + doc.format("CUDA C for cupy.ElementwiseKernel; importable without CuPy") + "\n" + meta
    cu += "\nSOURCES = {\n"
    for k in kernels:
        in_params, out_params, body = _cuda_source(k)
        cu += f"    {k.name!r}: (\n        {in_params!r},\n        {out_params!r},\n        {body!r},\n    ),\n"
    cu += "}\n\n_compiled = {}\n\n\n"
    cu += ("def kernel(name):\n"
           '    """The cupy.ElementwiseKernel for `name`, compiled by NVRTC on first use."""\n'
           "    k = _compiled.get(name)\n"
           "    if k is None:\n"
           "        import cupy\n\n"
           "        k = _compiled[name] = cupy.ElementwiseKernel(*SOURCES[name], name=name)\n"
           "    return k\n")
    return {f"{module}_numba.py": nb.rstrip("\n") + "\n", f"{module}_mpmath.py": mp.rstrip("\n") + "\n",
            f"{module}_cupy.py": cu}


def modules() -> list[str]:
    """Derive modules that define ``kernels()``, in sorted order."""
    found = []
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).resolve().parent)]), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in {"codegen", "gauss"}:
            continue
        mod = importlib.import_module(f"{__package__}.{info.name}")
        if hasattr(mod, "kernels"):
            found.append(info.name)
    return found


def generate(only=None) -> dict:
    """All generated files (name -> text) for the given derive modules (default: all)."""
    files = {"__init__.py": ('"""Generated kernels -- written by `python -m derive`, never edited by hand.\n\n'
                             'One module per derive module and target: <module>_numba.py, <module>_mpmath.py, '
                             '<module>_cupy.py."""\n')}
    for name in (only or modules()):
        mod = importlib.import_module(f"{__package__}.{name}")
        files.update(render(name, mod.kernels()))
    return files


def is_generated(path: Path) -> bool:
    return path.suffix == ".py" and path.read_text().startswith(f"# Generated by `{COMMAND}`")


def write(files: dict, out: Path = GENERATED, prune: bool = True) -> list[str]:
    """Write files into ``out``; remove generated files that are no longer produced. Returns changed names."""
    out.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in sorted(files.items()):
        p = out / name
        if not p.exists() or p.read_text() != text:
            p.write_text(text)
            changed.append(name)
    if prune:
        for p in sorted(out.glob("*.py")):
            if p.name not in files and is_generated(p):
                p.unlink()
                changed.append(p.name)
    return changed


def stale(files: dict, out: Path = GENERATED) -> list[str]:
    """Names of files in ``out`` that differ from ``files``, are missing, or are generated leftovers."""
    bad = [n for n, t in sorted(files.items()) if not (out / n).exists() or (out / n).read_text() != t]
    bad += [p.name for p in sorted(out.glob("*.py")) if p.name not in files and is_generated(p)]
    return bad
