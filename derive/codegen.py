"""Code generation: one SymPy description of each kernel, three printers (Numba, mpmath, CuPy/CUDA C).

A derive module exposes ``kernels()``, a list of :class:`Kernel` (an elementwise function of real scalars; with
no arguments, a constant), :class:`Averaged` (an equation containing Gaussian averages ``Avg(...)``, lowered to
one outer kernel plus one integrand kernel per average) and :class:`Loop` (a collection of assignments over the
levels i = 0..k-1, in the pystencils manner, printed as one function with the loop on the host targets).
:func:`lowered` flattens the list and keeps each distinct body once (later identical kernels become aliases).
Each backend is one :class:`Target` subclass (printer, file template, the numerics loader it is meant for):
:class:`NumbaTarget`, :class:`MpmathTarget`, :class:`CupyTarget`; :func:`render` runs them all on one module.
Every file records the SymPy and codegen versions it was printed with.
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
COMMAND = "python -m derive"
CODEGEN_VERSION = 2
"""Version of the printers and file templates, recorded in every generated file (with the SymPy version): a
change of either changes the generated text, hence the results store's key, even where no expression changed."""


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
    sensitivities: bool = False
    """Also emit ``name__davg{j}`` = dF/d(avg_j): how an error of the j-th average propagates into F."""

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

    def sensitivity_kernels(self, outer):
        """d outer/d avg_j for each average slot (empty unless ``sensitivities``)."""
        if not self.sensitivities:
            return []
        slots = outer.args[len(self.args):]
        return [Kernel(f"{self.name}__davg{j}", outer.args, sp.diff(outer.expr, s),
                       f"d{self.name}/d(avg{j}): the factor by which an error of avg{j} enters {self.name}.")
                for j, s in enumerate(slots)]


INDEX = sp.Symbol("i", integer=True)
"""The level index of a :class:`Loop`."""
COUNT = sp.Symbol("k", integer=True)
"""The number of levels of a :class:`Loop` (its trip count)."""


@dataclass(frozen=True)
class Loop:
    """A collection of assignments over the levels i = 0..k-1 (pystencils manner): ONE function per target.

    ``args``: the arguments, ``sp.IndexedBase`` (an array) or ``sp.Symbol`` (a scalar); ``count = (A, n)``: the
    loop runs over ``k = len(A) + n`` levels (:data:`COUNT`), from k-1 down to 0 when ``backward``.  ``before``,
    ``body`` (once per level, :data:`INDEX` = i) and ``after`` are ordered assignments ``(lhs, rhs)``: lhs a Symbol
    (a local; assigned in the body and read before it is assigned again, it carries a value to the next level)
    or an element ``A[e]`` of an output array; rhs an expression in the arguments, the locals, array elements,
    i and k.  ``outputs``: ``(A, n)`` for an array of length k + n, or a Symbol for a scalar, returned in order.
    Each rhs is printed as it stands: a combination of pieces is written as its own assignment, so that the
    order of the floating-point operations is the one stated here.
    """

    name: str
    args: tuple
    count: tuple
    outputs: tuple
    before: tuple
    body: tuple
    doc: str
    after: tuple = ()
    backward: bool = False

    def statements(self):
        return tuple(self.before) + tuple(self.body) + tuple(self.after)

    def arrays(self):
        """The output arrays with their lengths, ((A, n), ...)."""
        return tuple(o for o in self.outputs if isinstance(o, tuple))

    def unrolled(self, *values):
        """The assignments run on ``values`` (SymPy expressions or numbers; a sequence for an array argument), for
        the checks in derive/: the outputs (lists for arrays), in order."""
        env, arrays = {}, {}
        for a, val in zip(self.args, values):
            if isinstance(a, sp.IndexedBase):
                arrays[a] = list(val)
            else:
                env[a] = sp.sympify(val)
        k = len(arrays[self.count[0]]) + self.count[1]
        for base, extra in self.arrays():
            arrays[base] = [None] * (k + extra)

        def at(e, i):
            e = sp.sympify(e).xreplace({**env, COUNT: sp.Integer(k), **({} if i is None else {INDEX: sp.Integer(i)})})
            return e.xreplace({ix: arrays[ix.base][int(ix.indices[0])] for ix in e.atoms(sp.Indexed)})

        def run(stmts, i=None):
            for lhs, rhs in stmts:
                val = at(rhs, i)
                if isinstance(lhs, sp.Indexed):
                    arrays[lhs.base][int(at(lhs.indices[0], i))] = val
                else:
                    env[lhs] = val

        run(self.before)
        for i in (range(k - 1, -1, -1) if self.backward else range(k)):
            run(self.body, i)
        run(self.after)
        return [arrays[o[0]] if isinstance(o, tuple) else env[o] for o in self.outputs]


@dataclass(frozen=True)
class Lowered:
    """A module's kernels ready for printing: each distinct body once.

    ``kernels``: the distinct kernels with arguments, in first-use order; ``constants``: the zero-argument
    ones; ``aliases``: {name: name of the identical kernel printed in its place}; ``averages``:
    {Averaged name: (names of its integrand kernels, number of parameters)}, integrands under their canonical
    names; ``loops``: the :class:`Loop` collections (host targets only).
    """

    kernels: tuple
    constants: tuple
    aliases: dict
    averages: dict
    loops: tuple = ()

    def meta(self, digest: str, loops: bool = True) -> str:
        """The module-level tables every target file starts with (``loops``: the target prints the loops)."""
        maps = {k.name: k.arrays for k in self.kernels}
        maps.update({a: maps[c] for a, c in self.aliases.items() if c in maps})
        return (f'EXPRESSIONS_SHA256 = "{digest}"\n'
                f"GENERATOR = {{'sympy': {sp.__version__!r}, 'codegen': {CODEGEN_VERSION}}}\n"
                f"AVERAGES = {self.averages!r}\n"
                f"KERNELS = {tuple(k.name for k in self.kernels)!r}\n"
                f"CONSTANTS = {tuple(k.name for k in self.constants)!r}\n"
                + (f"LOOPS = {tuple(lp.name for lp in self.loops)!r}\n" if loops and self.loops else "") +
                f"ALIASES = {self.aliases!r}\n"
                f"MAP_ARRAYS = {maps!r}\n")


def lowered(items) -> Lowered:
    """Flatten a module's kernel list: Averaged items lowered, identical bodies (same arguments, expression and
    array count) kept once, the later names recorded as aliases of the first."""
    flat, averages, loops = [], {}, []
    for item in items:
        if isinstance(item, Loop):
            _check_loop(item)
            loops.append(item)
        elif isinstance(item, Averaged):
            outer, integrands = item.lower()
            flat += [outer] + integrands + list(item.sensitivity_kernels(outer))
            averages[item.name] = (tuple(k.name for k in integrands), len(item.args))
        else:
            flat.append(item)
    names = [k.name for k in flat] + [lp.name for lp in loops]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate kernel names in {names}")
    canonical, aliases, kept = {}, {}, []
    for k in flat:
        _check(k)
        key = (tuple(map(str, k.args)), sp.srepr(k.expr), k.arrays)
        if key in canonical:
            aliases[k.name] = canonical[key]
        else:
            canonical[key] = k.name
            kept.append(k)
    averages = {n: (tuple(aliases.get(i, i) for i in ints), nargs) for n, (ints, nargs) in averages.items()}
    return Lowered(tuple(k for k in kept if k.args), tuple(k for k in kept if not k.args), aliases, averages,
                   tuple(loops))


def _check(k):
    if k.expr.atoms(sp.Float):
        raise ValueError(f"kernel {k.name} contains a Float {k.expr.atoms(sp.Float)}: keep constants exact "
                         "(Rational, pi, sqrt) so that the mpmath target is not frozen at 53 bits")
    if k.expr.atoms(Avg):
        raise ValueError(f"kernel {k.name} contains an unlowered Avg")
    free = k.expr.free_symbols - set(k.args)
    if free:
        raise ValueError(f"kernel {k.name} depends on symbols {sorted(map(str, free))} not among its arguments")


def _check_loop(lp):
    """Every symbol an assignment reads is an argument, a local assigned by the collection, i or k; every array
    element read is of an argument or output array; no Float (as in :func:`_check`)."""
    arrays = {a for a in lp.args if isinstance(a, sp.IndexedBase)} | {b for b, _ in lp.arrays()}
    known = {a for a in lp.args if not isinstance(a, sp.IndexedBase)} | {INDEX, COUNT}
    known |= {lhs for lhs, _ in lp.statements() if not isinstance(lhs, sp.Indexed)}
    for lhs, rhs in lp.statements():
        rhs = sp.sympify(rhs)
        if rhs.atoms(sp.Float):
            raise ValueError(f"loop {lp.name} contains a Float {rhs.atoms(sp.Float)}: keep constants exact")
        reads = rhs.atoms(sp.Indexed) | ({lhs} if isinstance(lhs, sp.Indexed) else set())
        bad = {ix.base for ix in reads} - arrays
        free = rhs.xreplace({ix: sp.Integer(0) for ix in rhs.atoms(sp.Indexed)}).free_symbols - known
        free |= {s for ix in reads for s in ix.indices[0].free_symbols} - {INDEX, COUNT}
        if bad or free:
            raise ValueError(f"loop {lp.name}: {lhs} = {rhs} reads {sorted(map(str, bad | free))}, which are "
                             "neither arguments nor assigned by the collection")


def expressions_hash(low: Lowered) -> str:
    """SHA-256 of the expressions (names, argument lists, srepr, aliases), independent of printers and hash seeds."""
    h = hashlib.sha256()
    for k in low.constants + low.kernels:
        h.update(f"{k.name}|{','.join(map(str, k.args))}|{sp.srepr(k.expr)}\n".encode())
    for a, c in low.aliases.items():
        h.update(f"{a}={c}\n".encode())
    for lp in low.loops:
        stmts = ";".join(f"{sp.srepr(lhs)}={sp.srepr(sp.sympify(rhs))}" for lhs, rhs in lp.statements())
        h.update(f"{lp.name}|{','.join(map(str, lp.args))}|{lp.count}|{lp.outputs}|{len(lp.before)},"
                 f"{len(lp.body)}|{lp.backward}|{stmts}\n".encode())
    return h.hexdigest()


def _cse(expr):
    reps, (reduced,) = sp.cse(expr, symbols=sp.numbered_symbols("cse"), order="canonical")
    return reps, reduced


class NumbaPrinter(PythonCodePrinter):
    """Python `math` calls, compiled by numba.njit."""

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


class Target:
    """One backend: its printer, the template of its file, and the loader numerics uses for it.

    A file is ``header + docstring + preamble + meta tables + one block per constant, kernel, loop and alias``;
    subclasses fill in the blocks.  ``printer_class``: the SymPy printer of the target.
    """

    name = title = about = preamble = loader = ""
    printer_class = None
    prints_loops = True

    def printer(self):
        return self.printer_class()

    def constant(self, k) -> str:
        return ""

    def kernel(self, k) -> str:
        raise NotImplementedError

    def loop(self, lp) -> str:
        return ""

    def alias(self, name: str, canonical: str) -> str:
        return f"{name} = {canonical}\n"

    def body(self, low: Lowered) -> str:
        return "".join([self.constant(k) for k in low.constants] + [self.kernel(k) for k in low.kernels]
                       + [self.loop(lp) for lp in low.loops])

    def file_name(self, module: str) -> str:
        return f"{module}_{self.name}.py"

    def render(self, module: str, low: Lowered, digest: str) -> str:
        head = (f"# Generated by `{COMMAND}` from derive/{module}.py for the {self.title} target -- DO NOT EDIT.\n"
                f"# Regenerate with `{COMMAND}`; `{COMMAND} --check` fails when this file is stale.\n"
                f"# expressions-sha256: {digest}\n"
                f"# generator: sympy {sp.__version__}, codegen {CODEGEN_VERSION}\n"
                f'"""Kernels of derive/{module}.py ({self.about}).\n\n'
                f"Each function is documented by the equation it evaluates; load them with {self.loader}.\"\"\"\n")
        text = (head + self.preamble + low.meta(digest, self.prints_loops) + "\n\n" + self.body(low)).rstrip("\n") + "\n"
        if low.aliases:
            text += ("\n\n# Kernels identical to one printed above (same arguments and expression)\n"
                     + "".join(self.alias(a, c) for a, c in low.aliases.items()))
        return text


def _py_function(k, printer, decorator, wrap="{}"):
    reps, reduced = _cse(k.expr)
    lines = [decorator] if decorator else []
    lines += [f"def {k.name}({', '.join(map(str, k.args))}):", f'    """{k.doc}"""']
    lines += [f"    {s} = {printer.doprint(e)}" for s, e in reps]
    lines += [f"    return {wrap.format(printer.doprint(reduced))}", "", ""]
    return "\n".join(lines)


def _py_loop(lp, printer, decorator, allocate):
    """A :class:`Loop` as one Python function: the count, the output arrays (``allocate`` formats a length),
    the assignments before, in and after the loop over the levels, the outputs returned."""
    base, extra = lp.count
    lines = [decorator] if decorator else []
    lines += [f"def {lp.name}({', '.join(map(str, lp.args))}):", f'    """{lp.doc}"""',
              f"    {COUNT} = len({base})" + (f" {'+-'[extra < 0]} {abs(extra)}" if extra else "")]
    lines += [f"    {b} = {allocate.format(printer.doprint(COUNT + n))}" for b, n in lp.arrays()]
    step = (f"{printer.doprint(COUNT - 1)}, -1, -1" if lp.backward else str(COUNT))

    def assign(stmts, indent):
        return [f"{indent}{printer.doprint(lhs)} = {printer.doprint(sp.sympify(rhs))}" for lhs, rhs in stmts]

    lines += assign(lp.before, "    ") + [f"    for {INDEX} in range({step}):"] + assign(lp.body, "        ")
    lines += assign(lp.after, "    ")
    outs = [str(o[0]) if isinstance(o, tuple) else str(o) for o in lp.outputs]
    lines += [f"    return {', '.join(outs)}", "", ""]
    return "\n".join(lines)


class NumbaTarget(Target):
    """CPU, double precision: ``@njit`` scalar functions, their ``__map`` array forms, and the level loops."""

    name, title, printer_class = "numba", "Numba", NumbaPrinter
    about = "Numba, CPU: scalar functions and their __map array forms"
    loader = "relu_injectivity.machinery.kernels.numba(module)"
    preamble = "import math\n\nimport numpy as np\nfrom numba import njit\n\n"
    decorator = "@njit(cache=True)"

    def constant(self, k):
        return _py_function(k, self.printer(), self.decorator)

    def kernel(self, k):
        return _py_function(k, self.printer(), self.decorator) + self._map(k)

    def loop(self, lp):
        return _py_loop(lp, self.printer(), self.decorator, "np.empty({})")

    def alias(self, name, canonical):
        return f"{name} = {canonical}\n{name}__map = {canonical}__map\n"

    def _map(self, k):
        n = k.arrays
        arrs, rest = [str(a) for a in k.args[:n]], [str(a) for a in k.args[n:]]
        lines = [self.decorator, f"def {k.name}__map({', '.join(map(str, k.args))}):",
                 f'    """{k.name} elementwise over the array argument(s) {", ".join(arrs)} (one shape); the rest '
                 'scalars."""',
                 f"    shape = {arrs[0]}.shape"]
        lines += [f"    {a}_ = np.ascontiguousarray({a}).reshape(-1)" for a in arrs]
        lines += [f"    out = np.empty({arrs[0]}_.size)",
                  f"    for i in range({arrs[0]}_.size):",
                  f"        out[i] = {k.name}({', '.join([a + '_[i]' for a in arrs] + rest)})",
                  "    return out.reshape(shape)", "", ""]
        return "\n".join(lines)


class MpmathTarget(Target):
    """Arbitrary precision: plain Python functions on mpmath numbers (exact for Python ints where possible)."""

    name, title, about = "mpmath", "mpmath", "mpmath, arbitrary precision"
    printer_class, loader = MpmathPrinter, "relu_injectivity.machinery.kernels.mp(module)"
    preamble = "import mpmath\n\n"

    def constant(self, k):
        return _py_function(k, self.printer(), None, wrap="mpmath.mpf({})")   # at the working precision

    def kernel(self, k):
        return _py_function(k, self.printer(), None)

    def loop(self, lp):
        return _py_loop(lp, self.printer(), None, "[None] * ({})")


class CupyTarget(Target):
    """CUDA C bodies for ``cupy.ElementwiseKernel`` (data only: importable without CuPy; the loader compiles).
    The level loops run on the host and are not printed here."""

    name, title, printer_class, prints_loops = "cupy", "CuPy", CudaPrinter, False
    about = "CUDA C for cupy.ElementwiseKernel; importable without CuPy"
    loader = "relu_injectivity.machinery.kernels.cupy_kernel(module, name)"
    preamble = "\n"

    def body(self, low):
        return "SOURCES = {\n" + "".join(self.kernel(k) for k in low.kernels) + "}\n"

    def kernel(self, k):
        ren = {a: sp.Symbol(f"p_{a}", real=True) for a in k.args}
        reps, reduced = _cse(k.expr.xreplace(ren))
        pr = self.printer()
        body = [f"double {s} = {pr.doprint(e)};" for s, e in reps] + [f"out = {pr.doprint(reduced)};"]
        in_params = ", ".join(f"float64 p_{a}" for a in k.args)
        return (f"    {k.name!r}: (\n        {in_params!r},\n        'float64 out',\n"
                f"        {chr(10).join(body)!r},\n    ),\n")

    def alias(self, name, canonical):
        return f"SOURCES[{name!r}] = SOURCES[{canonical!r}]\n"


TARGET_CLASSES = (NumbaTarget, MpmathTarget, CupyTarget)
TARGETS = tuple(t.name for t in TARGET_CLASSES)


def render(module: str, items) -> dict:
    """Text of the generated files of one derive module (one per target), keyed by file name."""
    low = lowered(items)
    digest = expressions_hash(low)
    return {t.file_name(module): t.render(module, low, digest) for t in (cls() for cls in TARGET_CLASSES)}


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
