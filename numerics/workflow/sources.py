"""What a stored number depends on, besides its request: the package version, the full text of the generated
kernels, and the sources of the method's solver (its module and, transitively, the package modules it imports).

``kernels_hash`` covers every byte of generated/*.py — the printed expressions *and* the printer's output (header
with SymPy and code-generator versions, helper code), so a printer or codegen fix changes every key.
``solver_hash`` walks the static imports of a method's module (``solver_files``).  Both are cached by file stamps.
"""
from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import os
from functools import lru_cache
from pathlib import Path

from relu_injectivity.methods.registry import METHODS


def package_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("relu-injectivity")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def _stamp(files):
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)


def kernels_hash() -> str:
    """SHA-256 over the name and full text of every generated/*.py (all targets; read as bytes, nothing
    compiled or imported)."""
    spec = importlib.util.find_spec("relu_injectivity.generated")
    files = sorted(f for d in spec.submodule_search_locations for f in Path(d).glob("*.py"))
    return _kernels_hash(_stamp(files))


@lru_cache(maxsize=8)
def _kernels_hash(stamps: tuple) -> str:
    h = hashlib.sha256()
    for f, *_ in sorted(stamps, key=lambda s: Path(s[0]).name):
        h.update(Path(f).name.encode() + b"\0" + Path(f).read_bytes() + b"\0")
    return h.hexdigest()


NOT_SOLVER = frozenset({"relu_injectivity", "relu_injectivity.methods.registry"})
NOT_SOLVER_PACKAGES = ("relu_injectivity.workflow", "relu_injectivity.interfaces")
"""Modules that route or present results but never change a number: not followed by ``solver_files``."""

_deps_cache: dict = {}


def _not_solver(name: str) -> bool:
    return name in NOT_SOLVER or any(name == p or name.startswith(p + ".") for p in NOT_SOLVER_PACKAGES)


def _spec(name):
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError, AttributeError):  # not a module, or a module object put in sys.modules by hand
        return None


def _imported(path: Path, package: str, top: str) -> set:
    """Names of the modules under the top-level package ``top`` that the source file imports (statically)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            try:
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) \
                    if node.level else node.module
            except (ImportError, ValueError):
                continue
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
    return {n for n in names if n.split(".")[0] == top}


def solver_files(module: str) -> list[Path]:
    """Source files of ``module`` and, transitively, of the modules of the same top-level package that it imports
    (statically, anywhere in the file), except NOT_SOLVER: everything that can change the numbers of a method
    besides generated/ (hashed separately) and third-party libraries (covered by the package version only)."""
    top = module.split(".")[0]
    files, seen, todo = set(), set(), [module]
    while todo:
        name = todo.pop()
        if name in seen or _not_solver(name):
            continue
        seen.add(name)
        spec = _spec(name)
        if spec is None or not spec.origin or not os.path.exists(spec.origin) or not spec.origin.endswith(".py"):
            continue
        files.add(Path(spec.origin))
        package = name if spec.submodule_search_locations else name.rpartition(".")[0]
        todo += _imported(Path(spec.origin), package, top)
    return sorted(files)


def solver_hash(method: str) -> str:
    """SHA-256 of the sources ``solver_files`` finds for the method's module ("unknown" if it has no file)."""
    module = METHODS[method].module
    hit = _deps_cache.get(module)
    try:
        if hit is not None and _stamp(hit[0]) == hit[1]:
            return hit[2]
    except OSError:
        pass
    files = solver_files(module)
    if not files:
        return "unknown"
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.name).encode() + b"\0" + f.read_bytes() + b"\0")
    _deps_cache[module] = (files, _stamp(files), h.hexdigest())
    return h.hexdigest()
