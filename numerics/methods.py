"""The registry of methods: name -> module implementing ``threshold(**params)`` and/or ``energy(alpha, **params)``.

Adding a method is one line here plus its module; the API, the CLI and ``injectivity all`` pick it up.
``all_params`` are the parameters ``injectivity all`` uses (None: not part of the main job).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Method:
    module: str
    description: str
    all_params: dict | None = field(default_factory=dict)


METHODS: dict[str, Method] = {
    "rs": Method("numerics.rs", "replica symmetric = Gordon / plain RDT (rigorous upper bound)"),
    "dat": Method("numerics.dat", "de Almeida-Thouless instability of finite-beta RS (heuristic lower bound)"),
    "one-rsb": Method("numerics.one_rsb", "one-step replica symmetry breaking (zero temperature)"),
    "frsb": Method("numerics.frsb", "full RSB, k-step discretisation (zero temperature)", all_params={"k": 30, "xmax": 10.0}),
    "euler": Method("numerics.euler", "Euler-characteristic surrogate: rate of E chi(X) crosses zero"),
    "union": Method("numerics.union", "union bound over orthants (rigorous: injective above)"),
    "cover": Method("numerics.cover", "Cover/Wendel counting bound (rigorous: not injective below)"),
    "gordon-chernoff": Method("numerics.gordon", "Gordon with a Chernoff width (rigorous, weak: injective above)"),
}
