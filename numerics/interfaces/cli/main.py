"""The `injectivity` command.

    injectivity threshold METHOD [--digits D] [--json] [--PARAM VALUE ...]
    injectivity energy METHOD --alpha A [--json] [--PARAM VALUE ...]
    injectivity generate [--check]
    injectivity all [--json]

Method parameters are passed as ``--name value`` (dashes become underscores); the method's signature decides
what is allowed.  Bad input: one line on stderr, exit status 2.  A solver that does not converge: exit 1.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from relu_injectivity.methods import registry as api
from relu_injectivity.interfaces.cli import euler as cli_euler
from relu_injectivity.interfaces.cli import scan as cli_scan
from relu_injectivity.methods.registry import METHODS
from relu_injectivity.machinery.results import ConvergenceError


class UsageError(ValueError):
    pass


def _value(text: str):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    return text


def _extra_params(tokens: list[str]) -> dict:
    params, i = {}, 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.startswith("--") or len(tok) <= 2:
            raise UsageError(f"unexpected argument {tok!r}; method parameters are given as --name value")
        name = tok[2:].replace("-", "_")
        if "=" in name:
            name, val = name.split("=", 1)
            i += 1
        else:
            if i + 1 >= len(tokens):
                raise UsageError(f"parameter {tok} needs a value")
            val = tokens[i + 1]
            i += 2
        params[name] = _value(val)
    return params


def _with_progress(method, kind, params):
    if "progress" in api.parameters(method, kind) and "progress" not in params:
        params["progress"] = sys.stderr.isatty()
    return params


def _parser():
    ap = argparse.ArgumentParser(prog="injectivity", description="Injectivity thresholds of random ReLU layers.")
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("threshold", help="threshold alpha_inj of one method")
    t.add_argument("method", help=f"one of: {', '.join(METHODS)}")
    t.add_argument("--digits", type=int, default=None, help="mpmath precision (decimal digits); default double")
    t.add_argument("--json", action="store_true", help="print one JSON object")
    e = sub.add_parser("energy", help="ground-state energy e*(alpha) of one method")
    e.add_argument("method", help=f"one of: {', '.join(METHODS)}")
    e.add_argument("--alpha", type=float, required=True, help="alpha = m/n")
    e.add_argument("--digits", type=int, default=None, help="mpmath precision (decimal digits); default double")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    g = sub.add_parser("generate", help="regenerate generated/ from derive/ (same as python -m derive)")
    g.add_argument("--check", action="store_true", help="fail if generated/ is stale")
    g.add_argument("--out", default=None, help="write the generated files into this directory (required when installed)")
    a = sub.add_parser("all", help="the main job: every implemented threshold with its error bar (CPU)")
    a.add_argument("--json", action="store_true", help="print one JSON object (a list of thresholds)")
    return ap, sub


EXTENSIONS = [cli_scan, cli_euler]
"""Modules adding sub-commands: each has ``add_parser(sub)`` and ``run(args, extra) -> int``."""


def run_all(as_json: bool) -> int:
    rows = []
    for name, m in METHODS.items():
        if m.all_params is None:
            continue
        t0 = time.perf_counter()
        r = api.threshold(name, **m.all_params)
        rows.append((name, m, r, time.perf_counter() - t0))
    if as_json:
        print(json.dumps([r.to_dict() for _, _, r, _ in rows]))
        return 0
    print(f"{'method':<16} {'alpha_inj':<22} {'error':>9} {'time':>8}  description")
    for name, m, r, dt in sorted(rows, key=lambda x: float(x[2].alpha)):
        extra = ", ".join(f"{k}={v}" for k, v in m.all_params.items())
        print(f"{name:<16} {r.alpha_str:<22} {r.error:9.1e} {dt:7.2f}s  {m.description}" + (f" [{extra}]" if extra else ""))
    return 0


def main(argv=None) -> int:
    ap, sub = _parser()
    for ext in EXTENSIONS:
        ext.add_parser(sub)
    args, extra = ap.parse_known_args(argv)
    try:
        if args.command == "generate":
            if extra:
                raise UsageError(f"unexpected arguments {extra}")
            from relu_injectivity.derive.__main__ import main as derive_main

            return derive_main((["--check"] if args.check else []) + (["--out", args.out] if args.out else []))
        if args.command == "all":
            if extra:
                raise UsageError(f"unexpected arguments {extra}")
            return run_all(args.json)
        if args.command in ("threshold", "energy"):
            params = _extra_params(extra)
            if args.digits is not None:
                params["digits"] = args.digits
            if args.command == "threshold":
                r = api.threshold(args.method, **_with_progress(args.method, "threshold", params))
            else:
                r = api.energy(args.method, args.alpha, **_with_progress(args.method, "energy", params))
            print(json.dumps(r.to_dict()) if args.json else str(r))
            return 0
        for ext in EXTENSIONS:
            if args.command in getattr(ext, "COMMANDS", ()):
                return ext.run(args, extra)
        raise UsageError(f"unknown command {args.command!r}")
    except (ValueError, TypeError) as exc:
        print(f"injectivity: error: {exc}", file=sys.stderr)
        return 2
    except ConvergenceError as exc:
        print(f"injectivity: solver did not converge: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
