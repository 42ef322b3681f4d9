"""A results store on disk: every computed energy / threshold saved once, reused when the same request comes again.

One JSON file per result, ``<root>/v1/<kind>/<method>/<key>.json``, where ``key`` is the SHA-256 of the request:

    {kind, method, alpha, params (defaults filled in, numbers normalised), package version,
     generated-kernel hash (EXPRESSIONS_SHA256 of every generated/*_numba.py), solver hash (source of the method's
     numerics module and of the numerics modules it imports, see ``solver_files``)}

so that a new version, a change of any generated equation or of the method's solver never serves a stale number.
Parameters that only steer *how* a solution is found (``progress``, the warm start ``init``) are not part of the
key: a stored result answers the request to the solver's tolerance, whatever start it came from.

Writes are atomic (temporary file + ``os.replace``), so a scan killed half-way leaves only complete files and a
rerun recomputes what is missing.  Every file repeats its request; loading checks it against the key and the file
name, and anything that does not match (a corrupt, truncated, foreign or hand-edited file) is reported with
``StoreWarning`` and treated as absent, never returned as a result.

Root directory: the ``root`` argument > the ``INJECTIVITY_CACHE`` environment variable >
``platformdirs.user_cache_dir("relu-injectivity")``.
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib
import importlib.util
import json
import math
import numbers
import os
import re
import tempfile
import time
import warnings
from functools import lru_cache
from pathlib import Path

import mpmath
import numpy as np

from relu_injectivity.methods import registry as api
from relu_injectivity.methods.registry import METHODS
from relu_injectivity.machinery.results import EnergyResult, ThresholdResult

FORMAT = "relu-injectivity-result"
FORMAT_VERSION = 1
ENV = "INJECTIVITY_CACHE"
KINDS = ("energy", "threshold")
UNKEYED = frozenset({"progress", "init"})
"""Parameters that do not change the answer (beyond solver tolerance) and are left out of the key."""

_SHA_LINE = re.compile(r'^EXPRESSIONS_SHA256 = "([0-9a-f]{64})"$', re.M)


class StoreWarning(UserWarning):
    """A file in the results store could not be used (corrupt, foreign, or for another request); it is ignored."""


def package_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("relu-injectivity")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def kernels_hash() -> str:
    """Combined hash of the EXPRESSIONS_SHA256 lines of all generated/*_numba.py (read as text, nothing compiled)."""
    spec = importlib.util.find_spec("relu_injectivity.generated")
    files = sorted(f for d in spec.submodule_search_locations for f in Path(d).glob("*_numba.py"))
    return _kernels_hash(tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files))


@lru_cache(maxsize=8)
def _kernels_hash(files: tuple) -> str:
    parts = []
    for f, *_ in files:
        m = _SHA_LINE.search(Path(f).read_text())
        parts.append(f"{Path(f).stem}:{m.group(1) if m else 'none'}")
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()


NOT_SOLVER = frozenset({"relu_injectivity", "relu_injectivity.methods.registry", "relu_injectivity.workflow.store", "relu_injectivity.workflow.scan",
                        "relu_injectivity.workflow.figures", "relu_injectivity.interfaces.cli.main", "relu_injectivity.interfaces.cli.scan"})
"""Modules that route or present results but never change a number: not followed by ``solver_files``."""

_deps_cache: dict = {}


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
        if name in seen or name in NOT_SOLVER:
            continue
        seen.add(name)
        spec = _spec(name)
        if spec is None or not spec.origin or not os.path.exists(spec.origin) or not spec.origin.endswith(".py"):
            continue
        files.add(Path(spec.origin))
        package = name if spec.submodule_search_locations else name.rpartition(".")[0]
        todo += _imported(Path(spec.origin), package, top)
    return sorted(files)


def _stamp(files):
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)


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


# ---- values <-> JSON (lossless for the types results carry) -------------------------------------------------

def encode(x):
    """JSON form of a result value: mpf exactly (mantissa, exponent; decimal for reading), floats incl. inf/nan,
    tuples, numpy arrays and scalars, nested mappings.  ``decode`` inverts it."""
    if isinstance(x, mpmath.mpf):
        sign, man, exp, bc = x._mpf_
        if not man and (exp or bc):  # inf, -inf, nan
            return {"__mpf__": str(x)}
        digits = max(15, int(bc * 0.30103) + 2)
        return {"__mpf__": mpmath.nstr(x, digits), "man": -int(man) if sign else int(man), "exp": int(exp),
                "bits": int(bc)}
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (numbers.Integral, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else {"__float__": repr(x)}
    if isinstance(x, str) or x is None:
        return x
    if isinstance(x, np.ndarray):
        return {"__ndarray__": [encode(v) for v in x.ravel().tolist()], "shape": list(x.shape),
                "dtype": str(x.dtype)}
    if isinstance(x, tuple):
        return {"__tuple__": [encode(v) for v in x]}
    if isinstance(x, list):
        return [encode(v) for v in x]
    if hasattr(x, "items"):
        out = {}
        for k, v in x.items():
            if not isinstance(k, str) or k.startswith("__"):
                raise TypeError(f"cannot store mapping key {k!r} (keys must be strings not starting with '__')")
            out[k] = encode(v)
        return out
    raise TypeError(f"cannot store a value of type {type(x).__name__}: {x!r}")


def decode(x):
    if isinstance(x, list):
        return [decode(v) for v in x]
    if not isinstance(x, dict):
        return x
    if "__mpf__" in x:
        if "man" not in x:
            return mpmath.mpf(x["__mpf__"])
        man, exp, bits = int(x["man"]), int(x["exp"]), int(x["bits"])
        with mpmath.workprec(max(bits, 53)):
            return mpmath.mpf((man, exp))
    if "__float__" in x:
        return float(x["__float__"])
    if "__tuple__" in x:
        return tuple(decode(v) for v in x["__tuple__"])
    if "__ndarray__" in x:
        return np.array([decode(v) for v in x["__ndarray__"]], dtype=x["dtype"]).reshape(x["shape"])
    return {k: decode(v) for k, v in x.items()}


_TYPES = {"EnergyResult": EnergyResult, "ThresholdResult": ThresholdResult}
_FIELDS = {name: tuple(f.name for f in dataclasses.fields(cls)) for name, cls in _TYPES.items()}


def result_to_json(r) -> dict:
    name = type(r).__name__
    if name not in _FIELDS:
        raise TypeError(f"cannot store a {name}; allowed: EnergyResult, ThresholdResult")
    return {"type": name, **{f: encode(getattr(r, f)) for f in _FIELDS[name]}}


def result_from_json(d: dict):
    name = d["type"]
    if name not in _FIELDS or set(d) != {"type", *_FIELDS[name]}:
        raise ValueError(f"not a stored result: type {name!r} with fields {sorted(d)}")
    return _TYPES[name](**{f: decode(d[f]) for f in _FIELDS[name]})


# ---- keys -------------------------------------------------------------------------------------------------

def _normal(x):
    """Key form of a parameter value: every real number as a float (so 10 and 10.0 are one request)."""
    if isinstance(x, mpmath.mpf):
        return encode(x)
    if isinstance(x, (bool, np.bool_)) or x is None or isinstance(x, str):
        return x if not isinstance(x, np.bool_) else bool(x)
    if isinstance(x, numbers.Real):
        x = float(x)
        return x if math.isfinite(x) else repr(x)
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_normal(v) for v in (x.tolist() if isinstance(x, np.ndarray) else x)]
    if hasattr(x, "items"):
        return {str(k): _normal(v) for k, v in sorted(x.items())}
    raise TypeError(f"parameter value {x!r} of type {type(x).__name__} cannot be part of a results-store key")


def request(kind: str, method: str, alpha=None, params: dict | None = None) -> dict:
    """The full request a stored result answers (checked on load); ``params`` completed with the defaults."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; allowed: {', '.join(KINDS)}")
    defaults = api.parameters(method, kind)
    params = dict(params or {})
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise TypeError(f"unknown parameter(s) {', '.join(unknown)} for {kind}({method!r}); "
                        f"allowed: {', '.join(defaults) or 'none'}")
    full = {**defaults, **params}
    keyed = {}
    for name in sorted(full):
        if name in UNKEYED:
            continue
        try:
            keyed[name] = _normal(full[name])
        except TypeError as exc:
            raise TypeError(f"parameter {name}: {exc}") from None
    if alpha is not None:
        if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (numbers.Real, mpmath.mpf)):
            raise TypeError(f"alpha must be a real number, got {alpha!r} of type {type(alpha).__name__}")
        alpha = float(alpha)
    return {"kind": kind, "method": method, "alpha": alpha, "params": keyed,
            "version": package_version(), "kernels": kernels_hash(), "solver": solver_hash(method)}


def key_of(req: dict) -> str:
    return hashlib.sha256(json.dumps(req, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _checksum(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def default_root() -> Path:
    env = os.environ.get(ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("relu-injectivity"))


class Store:
    """Results on disk under ``root`` (see the module docstring); ``get``/``put`` by request, ``energy``/``threshold``
    compute on a miss and save."""

    def __init__(self, root=None):
        self.root = Path(root).expanduser() if root is not None else default_root()

    def __repr__(self):
        return f"Store({str(self.root)!r})"

    def path(self, req: dict, key: str | None = None) -> Path:
        return self.root / f"v{FORMAT_VERSION}" / req["kind"] / req["method"] / f"{key or key_of(req)}.json"

    def get(self, req: dict):
        """The stored result for ``req``, or None (absent; or unusable, with a StoreWarning)."""
        key = key_of(req)
        p = self.path(req, key)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            warnings.warn(f"results store: cannot read {p}: {exc}; recomputing", StoreWarning, stacklevel=2)
            return None
        try:
            return self._load(data.decode("utf-8"), req, key)
        except Exception as exc:  # anything wrong with the file: never serve it
            warnings.warn(f"results store: ignoring {p}: {exc}; recomputing", StoreWarning, stacklevel=2)
            return None

    @staticmethod
    def _load(text: str, req: dict | None, key: str):
        d = json.loads(text)
        if not isinstance(d, dict) or d.get("format") != FORMAT or d.get("format_version") != FORMAT_VERSION:
            raise ValueError("not a relu-injectivity result file (format marker missing or different)")
        if d.get("key") != key or key_of(d.get("request")) != key:
            raise ValueError("its key does not match its request or its file name")
        if req is not None and d["request"] != req:
            raise ValueError("it answers a different request")
        if d.get("result_sha256") != _checksum(d.get("result")):
            raise ValueError("its result does not match its checksum (edited or damaged)")
        r = result_from_json(d["result"])
        stored = d["request"]
        if r.method != stored["method"] or (stored["alpha"] is not None and float(r.alpha) != stored["alpha"]):
            raise ValueError("the result inside is for another method or alpha than its request")
        want = EnergyResult if stored["kind"] == "energy" else ThresholdResult
        if not isinstance(r, want):
            raise ValueError(f"a {type(r).__name__} stored as a {stored['kind']}")
        return r

    def put(self, req: dict, result) -> Path:
        """Save ``result`` for ``req`` atomically (temporary file in the same directory, then os.replace)."""
        key = key_of(req)
        p = self.path(req, key)
        p.parent.mkdir(parents=True, exist_ok=True)
        payload = result_to_json(result)
        doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "key": key, "request": req,
               "result": payload, "result_sha256": _checksum(payload),
               "saved": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        text = json.dumps(doc, indent=1)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}.", suffix=".tmp", dir=p.parent)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, p)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return p

    def entries(self, kind: str | None = None, method: str | None = None):
        """Every usable stored result (``(request, result)`` pairs) under the root; unusable files are warned about."""
        base = self.root / f"v{FORMAT_VERSION}"
        pattern = f"{kind or '*'}/{method or '*'}/*.json"
        for p in sorted(base.glob(pattern)):
            try:
                text = p.read_bytes().decode("utf-8")
                r = self._load(text, None, p.stem)
            except Exception as exc:
                warnings.warn(f"results store: ignoring {p}: {exc}", StoreWarning, stacklevel=2)
                continue
            yield json.loads(text)["request"], r

    def energy(self, method: str, alpha, **params):
        """``numerics.energy(method, alpha, **params)``, served from the store when present, saved when computed."""
        return self._cached("energy", method, alpha, params)

    def threshold(self, method: str, **params):
        """``numerics.threshold(method, **params)``, served from the store when present, saved when computed."""
        return self._cached("threshold", method, None, params)

    def _cached(self, kind, method, alpha, params):
        req = request(kind, method, alpha, params)
        hit = self.get(req)
        if hit is not None:
            return hit
        r = api.energy(method, alpha, **params) if kind == "energy" else api.threshold(method, **params)
        self.save(req, r)
        return r

    def save(self, req: dict, result):
        """``put``, but a result that cannot be stored (an unsupported value in its diagnostics, a read-only
        directory) is only warned about: the computation is never lost for the store's sake."""
        try:
            return self.put(req, result)
        except (TypeError, OSError) as exc:
            warnings.warn(f"results store: not saving {req['kind']} of {req['method']!r}: {exc}", StoreWarning,
                          stacklevel=3)
            return None


def as_store(store) -> Store | None:
    """None -> the default Store; False -> no store; a path -> Store(path); a Store -> itself."""
    if store is False:
        return None
    if store is None:
        return Store()
    if isinstance(store, Store):
        return store
    if isinstance(store, (str, os.PathLike)):
        return Store(store)
    raise TypeError(f"store must be None (default directory), False (no store), a path or a Store, got {store!r}")


def cached_energy(method: str, alpha, *, store=None, **params):
    """e*(alpha) of ``method`` through the results store (see ``as_store`` for ``store``)."""
    s = as_store(store)
    return api.energy(method, alpha, **params) if s is None else s.energy(method, alpha, **params)


def cached_threshold(method: str, *, store=None, **params):
    """alpha_inj of ``method`` through the results store (see ``as_store`` for ``store``)."""
    s = as_store(store)
    return api.threshold(method, **params) if s is None else s.threshold(method, **params)
