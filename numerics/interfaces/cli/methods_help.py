"""Help texts built from the registry: each method's parameters (``registry.parameters``) and its ``--digits``
range (the method module's ``DIGITS = (lo, hi)``, else ``validate.DIGITS_RANGE``), the short description of
each error bar.  Built only when help is asked for: it imports every method module."""
from __future__ import annotations

import importlib

HIDDEN = frozenset({"init"})
"""Parameters a user does not pass on the command line (the warm start is chosen by ``scan``)."""


def kinds_of(method: str) -> list[str]:
    from relu_injectivity.methods import registry

    out = []
    for kind in registry.KINDS:
        try:
            registry.parameters(method, kind)
        except (ValueError, ImportError):
            continue
        out.append(kind)
    return out


def methods_with(kind: str) -> list[str]:
    from relu_injectivity.methods.registry import METHODS

    return [m for m in METHODS if kind in kinds_of(m)]


def digits_range(method: str) -> tuple[int, int] | None:
    """The allowed ``digits`` of a method, or None when it has no ``digits`` parameter."""
    from relu_injectivity.machinery import validate
    from relu_injectivity.methods import registry

    has = any("digits" in registry.parameters(method, k) for k in kinds_of(method))
    if not has:
        return None
    mod = importlib.import_module(registry.METHODS[method].module)
    lo, hi = getattr(mod, "DIGITS", validate.DIGITS_RANGE)
    return int(lo), int(hi)


def _shown(v):
    if v is None:
        return "(none)"
    if isinstance(v, tuple):
        return ",".join(map(str, v))
    return str(v)


def parameter_table(kind: str) -> str:
    """Epilog of ``threshold``/``energy``/``scan --help``: how to pass parameters, and each method's."""
    from relu_injectivity.methods import registry

    example = {"threshold": "injectivity threshold frsb --k 100 --xmax 10 --backend cpu",
               "energy": "injectivity energy frsb --alpha 6 --k 30 --tol 1e-7",
               "scan": "injectivity scan frsb --alpha-min 5 --alpha-max 8 --num 13 --k 30"}[kind]
    fn_kind = "energy" if kind == "scan" else kind
    lines = ["method parameters: after METHOD, as --name value (or --name=value), each once; true/false for",
             "switches, comma-separated numbers for pairs (--bracket 6.5,7).  Example:", f"  {example}", "",
             "methods, their parameters (default) and the --digits range:"]
    for m in methods_with(fn_kind):
        params = {k: v for k, v in registry.parameters(m, fn_kind).items() if k not in HIDDEN and k != "digits"}
        dr = digits_range(m)
        digits = f"--digits {dr[0]}..{dr[1]} (default: double precision)" if dr else "no --digits (double only)"
        lines.append(f"  {m:<16} {digits}")
        if params:
            items, line = [f"--{k.replace('_', '-')} {_shown(v)}" for k, v in params.items()], ""
            for item in items:  # wrapped between parameters, never inside one
                if line and len(line) + 2 + len(item) > 80:
                    lines.append(" " * 19 + line)
                    line = ""
                line = f"{line}  {item}" if line else item
            lines.append(" " * 19 + line)
    lines += ["", "each result prints as: value ± error (how, in a few words); --json adds the full explanation",
              "of the error bar (diagnostics.error_method), see docs/errors.md."]
    return "\n".join(lines)
