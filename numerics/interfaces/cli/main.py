"""The `injectivity` command.

    injectivity threshold METHOD [--digits D] [--json] [--PARAM VALUE ...]
    injectivity energy METHOD --alpha A [--digits D] [--json] [--PARAM VALUE ...]
    injectivity generate [--check] [--out DIR]
    injectivity all [--json]
    (+ the sub-commands of the modules in EXTENSIONS: scan, figures, euler-q, euler-rate, ...)

Method parameters are passed as ``--name value`` (dashes become underscores), typed by the method's defaults;
``injectivity threshold --help`` lists them.  Results print as ``value ± error (how, in a few words)``; ``--json``
carries the full explanation of the error bar.  Bad input: one line on stderr, exit status 2; Ctrl-C: one line,
exit 130; a solver that does not converge: one line, exit 1.
"""
from __future__ import annotations

import importlib
import sys
import time
import warnings

from relu_injectivity.interfaces.cli import args as cli_args
from relu_injectivity.interfaces.cli.args import UsageError

EXTENSIONS = [
    "relu_injectivity.interfaces.cli.scan",
    "relu_injectivity.interfaces.cli.euler",
    "relu_injectivity.interfaces.cli.ladder",
    "relu_injectivity.interfaces.cli.finite_n",
]
"""Modules adding sub-commands (one line each): ``COMMANDS`` (their names), ``add_parser(sub)`` and
``run(args, extra) -> int`` (exit status).  They take shared helpers from ``interfaces/cli/args.py``.  Every
sub-command needs a line in the README's command list (tests/test_readme.py checks)."""


def _extensions():
    return [importlib.import_module(name) for name in EXTENSIONS]


def _how(method: str, kind: str) -> str | None:
    from relu_injectivity.methods.registry import METHODS

    m = METHODS.get(method)
    return None if m is None else m.how.get(kind)


def _with_progress(method, kind, params):
    from relu_injectivity.methods import registry

    if "progress" in registry.parameters(method, kind) and "progress" not in params:
        params["progress"] = sys.stderr.isatty()
    return params


def _method_help(kind):
    def epilog():
        from relu_injectivity.interfaces.cli.methods_help import parameter_table

        return parameter_table(kind)
    return epilog


def _parser():
    ap = cli_args.Parser(prog="injectivity",
                         description="Injectivity thresholds of random ReLU layers: every method with its error bar.",
                         epilog="injectivity COMMAND --help tells more.  The main job: injectivity all")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    t = cli_args.subparser(sub, "threshold", epilog=_method_help("threshold"),
                           help="threshold alpha_inj of one method",
                           usage="injectivity threshold METHOD [--digits D] [--json] [--PARAM VALUE ...]")
    t.add_argument("method", metavar="METHOD", help="a method name (listed below)")
    _digits_json(t)
    e = cli_args.subparser(sub, "energy", epilog=_method_help("energy"),
                           help="ground-state energy e*(alpha) of one method",
                           usage="injectivity energy METHOD --alpha A [--digits D] [--json] [--PARAM VALUE ...]")
    e.add_argument("method", metavar="METHOD", help="a method name with an energy (listed below)")
    e.add_argument("--alpha", type=cli_args.finite_float("--alpha"), required=True, action=cli_args.Once,
                   help="alpha = m/n")
    _digits_json(e)
    g = cli_args.subparser(sub, "generate", help="regenerate generated/ from derive/ (same as python -m derive)")
    g.add_argument("--check", action="store_true", help="fail if generated/ is stale")
    g.add_argument("--out", default=None, action=cli_args.Once,
                   help="write the generated files into this directory (required when installed)")
    a = cli_args.subparser(sub, "all", help="the main job: every threshold with its error bar (CPU)")
    a.add_argument("--json", action="store_true", help="print one JSON list of thresholds at the end")
    return ap, sub


def _digits_json(p):
    p.add_argument("--digits", type=cli_args.integer("--digits"), default=None, action=cli_args.Once,
                   help="mpmath precision in decimal digits (range per method below); default: double precision")
    p.add_argument("--json", action="store_true", help="print one JSON object (full diagnostics)")


def run_all(as_json: bool) -> int:
    """Every threshold of the main job, one row printed as soon as it is computed; a failing method gets one line
    in its row, the others still run, and the exit status is 1."""
    from relu_injectivity.methods import registry
    from relu_injectivity.methods.registry import METHODS

    rows, failed = [], 0
    if not as_json:
        _out(f"{'method':<16} {'alpha_inj ± error (how the error bar was obtained)':<60} {'time':>7}  what it is")
    for name, m in METHODS.items():
        if m.all_params is None:
            continue
        t0 = time.perf_counter()
        try:
            r = registry.threshold(name, **m.all_params)
        except Exception as exc:  # one failing method must not hide the others
            dt = time.perf_counter() - t0
            failed += 1
            why = _one_line(f"{type(exc).__name__}: {exc}", 110)
            rows.append({"method": name, "failure": why, "time_s": round(dt, 3)})
            if not as_json:
                _out(f"{name:<16} FAILED: {why}  ({dt:.2f}s)")
            continue
        dt = time.perf_counter() - t0
        rows.append({**r.to_dict(), "time_s": round(dt, 3)})
        if not as_json:
            extra = ", ".join(f"{k}={v}" for k, v in m.all_params.items())
            text = r.short(_how(name, "threshold"))
            _out(f"{name:<16} {text:<60} {dt:6.2f}s  {m.description}" + (f" [{extra}]" if extra else ""))
    if as_json:
        cli_args.emit_json(rows)
    else:
        print("(full explanation of each error bar: injectivity all --json, docs/errors.md)", file=sys.stderr)
    if failed:
        print(f"injectivity: {failed} method(s) failed", file=sys.stderr)
    return 1 if failed else 0


def _out(line):
    print(line, flush=True)


def _one_line(text, limit=200):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _method_command(args, extra) -> int:
    from relu_injectivity.methods import registry

    kind = args.command
    defaults = registry.parameters(args.method, kind)  # unknown method / no such kind: ValueError
    params = cli_args.method_params(extra, defaults)
    if args.digits is not None:
        if "digits" in params:
            raise UsageError("--digits given twice; give it once")
        params["digits"] = args.digits
    params = _with_progress(args.method, kind, params)
    if kind == "threshold":
        r = registry.threshold(args.method, **params)
        line = f"{r.method}: alpha = {r.short(_how(r.method, kind))}"
    else:
        r = registry.energy(args.method, args.alpha, **params)
        line = f"{r.method}: e*({r.alpha}) = {r.short(_how(r.method, kind))}"
    if args.json:
        cli_args.emit_json(r.to_dict())
    else:
        print(line)
    return 0


def _dispatch(argv) -> int:
    ap, sub = _parser()
    exts = _extensions()
    for ext in exts:
        ext.add_parser(sub)
    args, extra = ap.parse_known_args(argv)
    if args.command == "generate":
        cli_args.no_extra(extra)
        from relu_injectivity.derive.__main__ import main as derive_main

        return derive_main((["--check"] if args.check else []) + (["--out", args.out] if args.out else []))
    if args.command == "all":
        cli_args.no_extra(extra)
        return run_all(args.json)
    if args.command in ("threshold", "energy"):
        return _method_command(args, extra)
    for ext in exts:
        if args.command in getattr(ext, "COMMANDS", ()):
            return ext.run(args, extra)
    raise UsageError(f"unknown command {args.command!r}")


def main(argv=None) -> int:
    """Run the command; returns the exit status (also for argparse's own exits)."""
    from relu_injectivity.machinery.results import ConvergenceError

    with warnings.catch_warnings():
        warnings.showwarning = cli_args.warn_one_line
        try:
            return _dispatch(argv)
        except SystemExit as exc:  # argparse: --help (0) or a usage error (2), already printed
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except KeyboardInterrupt as exc:
            _err(str(getattr(exc, "message", "") or "interrupted"))
            return 130
        except (ValueError, TypeError) as exc:
            _err(f"error: {exc}")
            return 2
        except MemoryError as exc:
            _err(f"error: out of memory{': ' + str(exc) if str(exc) else ''}; take a smaller problem")
            return 2
        except ConvergenceError as exc:
            _err(f"solver did not converge: {exc}")
            return 1
        except BrokenPipeError:  # e.g. `injectivity all | head -3`
            try:
                sys.stdout = open("/dev/null", "w")
            except OSError:
                pass
            return 0
        except OSError as exc:
            _err(f"error: {exc}")
            return 1
        except Exception as exc:
            import concurrent.futures.process as cfp

            if isinstance(exc, cfp.BrokenProcessPool):
                _err("error: a worker process died (out of memory or killed?); what it finished is stored, "
                     "a rerun computes only the rest")
                return 1
            raise


def _err(text):
    print(f"injectivity: {_one_line(text, 400)}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
