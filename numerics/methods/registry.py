"""The registry of methods (name -> module implementing ``threshold(**params)`` and/or ``energy(alpha, **params)``)
and the dispatch through it: ``threshold``, ``energy`` and ``parameters`` of the public API.

Adding a method is one line here plus its module; the API, the CLI and ``injectivity all`` pick it up.
``all_params`` are the parameters ``injectivity all`` uses (None: not part of the main job).  ``how`` says in a few
words how each kind's error bar is obtained (what the command prints after ``value ± error``; the full sentence is
the result's ``error_method``, explained in docs/errors.md); without it the command shortens ``error_method``.
"""
from __future__ import annotations

import dataclasses
import importlib
import inspect
from dataclasses import dataclass, field

from relu_injectivity.machinery.results import EnergyResult, ThresholdResult


@dataclass(frozen=True)
class Method:
    module: str
    description: str
    all_params: dict | None = field(default_factory=dict)
    how: dict = field(default_factory=dict)


METHODS: dict[str, Method] = {
    "rs": Method("relu_injectivity.methods.rs", "replica symmetric = Gordon / plain RDT (rigorous upper bound)", how={"threshold": "two routes", "energy": "two estimators"}),
    "dat": Method("relu_injectivity.methods.dat", "de Almeida-Thouless instability of finite-beta RS (heuristic lower bound)", how={"threshold": "spread over quadrature rules"}),
    "one-rsb": Method("relu_injectivity.methods.one_rsb", "one-step replica symmetry breaking (zero temperature)", how={"threshold": "two estimators + 2nd rule", "energy": "estimator gap + 2nd rule"}),
    "frsb": Method("relu_injectivity.methods.frsb", "full RSB on a fixed grid of k breakpoints (zero temperature; authors' protocol)", all_params={"k": 30, "xmax": 10.0}, how={"threshold": "bracket + solver + grid", "energy": "solver + grid"}),
    "rsb": Method("relu_injectivity.methods.rsb", "r-step RSB with optimised breakpoints (the r-RSB ladder; r = 1 is 1-RSB)", all_params=None, how={"threshold": "joint Newton: last correction + grid + round-off", "energy": "joint Newton: grid + round-off"}),
    "frsb-limit": Method("relu_injectivity.methods.frsb_limit", "full RSB: limit r -> inf of the r-RSB ladder (optimised breakpoints, r <= 10)", how={"threshold": "spread of the defensible limit fits", "energy": "spread of the defensible limit fits"}),
    "euler": Method("relu_injectivity.methods.euler", "Euler-characteristic surrogate: rate of E chi(X) crosses zero", how={"threshold": "two routes"}),
    "union": Method("relu_injectivity.methods.union", "union bound over orthants (rigorous: injective above)", how={"threshold": "two routes"}),
    "cover": Method("relu_injectivity.methods.cover", "Cover/Wendel counting bound (rigorous: not injective below)", how={"threshold": "two routes"}),
    "gordon-chernoff": Method("relu_injectivity.methods.gordon", "Gordon with a Chernoff width (rigorous, weak: injective above)", how={"threshold": "two routes"}),
}



KINDS = ("threshold", "energy")


def _function(method: str, kind: str):
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; allowed: {', '.join(KINDS)}")
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {method!r}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    mod = importlib.import_module(METHODS[method].module)
    fn = getattr(mod, kind, None)
    if fn is None:
        have = [m for m in METHODS if hasattr(importlib.import_module(METHODS[m].module), kind)]
        raise ValueError(f"method {method!r} has no {kind}; methods with one: {', '.join(have)}")
    return fn


def parameters(method: str, kind: str) -> dict:
    """Keyword parameters (name -> default) that ``kind`` ('threshold' or 'energy') of ``method`` accepts."""
    sig = inspect.signature(_function(method, kind))
    return {n: p.default for n, p in sig.parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}


def _check(method, kind, params):
    allowed = parameters(method, kind)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise TypeError(f"unknown parameter(s) {', '.join(unknown)} for {kind}({method!r}); "
                        f"allowed: {', '.join(allowed) or 'none'}")


def threshold(method: str, **params) -> ThresholdResult:
    """The injectivity threshold alpha_inj predicted by ``method`` (see ``numerics.METHODS``), with error bar."""
    fn = _function(method, "threshold")
    _check(method, "threshold", params)
    return _with_how(fn(**params), method, "threshold")


def energy(method: str, alpha, **params) -> EnergyResult:
    """The ground-state energy density e*(alpha) (active units per input dimension) predicted by ``method``."""
    fn = _function(method, "energy")
    _check(method, "energy", params)
    return _with_how(fn(alpha, **params), method, "energy")


def _with_how(r, method, kind):
    """The result with the registry's few words on its error bar (``how``), unless it carries its own."""
    how = METHODS[method].how.get(kind)
    if how and isinstance(r, (EnergyResult, ThresholdResult)) and r.how is None:
        return dataclasses.replace(r, how=how)
    return r
