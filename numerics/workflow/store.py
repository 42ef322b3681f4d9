"""A results store on disk: every computed energy / threshold saved once, reused when the same request comes again.

One JSON file per result, ``<root>/v1/<kind>/<method>/<key>.json``, where ``key`` is the SHA-256 of the request:

    {kind, method, alpha, params (defaults filled in, numbers normalised), package version,
     kernels hash (every byte of generated/*.py: expressions, printer output, SymPy and codegen versions in the
     headers), solver hash (source of the method's module and of the package modules it imports)}

(see workflow/sources.py), so that a new version, any change of the generated code or of the method's solver never
serves a stale number.  Parameters that only steer *how* a solution is found (``progress``, the warm start
``init``) are not part of the key: a stored result answers the request to the solver's tolerance, whatever start
it came from.  Values are written by workflow/codec.py (lossless).

Writes are atomic (temporary file + ``os.replace``), so a scan killed half-way leaves only complete files and a
rerun recomputes what is missing.  Every file repeats its request; loading checks it against the key and the file
name, and anything that does not match (a corrupt, truncated, foreign or hand-edited file) is reported with
``StoreWarning`` and treated as absent, never returned as a result.  ``check()`` tells, before anything is
computed, whether the root can take results (one ValueError line), and a store warns once, not per point, when
saving fails.

Root directory: the ``root`` argument > the ``INJECTIVITY_CACHE`` environment variable >
``platformdirs.user_cache_dir("relu-injectivity")``.
"""
from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
import tempfile
import time
import warnings
from pathlib import Path

import mpmath
import numpy as np

from relu_injectivity.methods import registry as api
from relu_injectivity.machinery.results import EnergyResult, ThresholdResult
from relu_injectivity.workflow.codec import decode, encode, result_from_json, result_to_json  # noqa: F401
from relu_injectivity.workflow.sources import (kernels_hash, package_version, solver_files,  # noqa: F401
                                               solver_hash)

FORMAT = "relu-injectivity-result"
FORMAT_VERSION = 1
ENV = "INJECTIVITY_CACHE"
KINDS = ("energy", "threshold")
UNKEYED = frozenset({"progress", "init"})
"""Parameters that do not change the answer (beyond solver tolerance) and are left out of the key."""


class StoreWarning(UserWarning):
    """A file in the results store could not be used (corrupt, foreign, or for another request); it is ignored."""


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
        self.from_env = root is None and bool(os.environ.get(ENV))
        self.root = Path(root).expanduser() if root is not None else default_root()
        self._checked = False
        self._save_failed = 0

    def __repr__(self):
        return f"Store({str(self.root)!r})"

    def check(self) -> "Store":
        """Make sure the root is a directory that accepts files (created if missing); ValueError in one line
        otherwise.  Called before a scan or the figures compute anything."""
        if self._checked:
            return self
        where = f"results store {self.root}" + (f" (from ${ENV})" if self.from_env else "")
        fix = f"point ${ENV} or --cache-dir at a directory, or use --no-cache (store=False)"
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"{where} is not a directory; {fix}")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-"):
                pass
        except OSError as exc:
            raise ValueError(f"{where} cannot be used ({exc.strerror or exc}); {fix}") from None
        self._checked = True
        return self

    def has(self, req: dict) -> bool:
        """Whether a file for ``req`` exists (not read; ``get`` checks it)."""
        try:
            return self.path(req).is_file()
        except OSError:
            return False

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
        directory) is only warned about (once per store): the computation is never lost for the store's sake."""
        try:
            return self.put(req, result)
        except (TypeError, OSError) as exc:
            self._save_failed += 1
            if self._save_failed == 1:  # once per store, not once per point
                warnings.warn(f"results store: not saving {req['kind']} of {req['method']!r}: {exc} (further "
                              "failures of this store are not reported)", StoreWarning, stacklevel=3)
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
