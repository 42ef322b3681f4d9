"""Sub-commands ``scan`` and ``figures`` of the ``injectivity`` command.

    injectivity scan METHOD --alpha-min A --alpha-max B --num N [--json | --csv FILE] [--digits D]
                     [--workers W | --serial] [--cache-dir DIR | --no-cache] [--blocks B] [--skip-failures]
                     [--PARAM VALUE ...]
    injectivity figures [--out DIR] [--quick] [--only NAME ...] [--cache-dir DIR | --no-cache] [--workers W | --serial]

Results go through the results store (workflow/store.py): default directory ``$INJECTIVITY_CACHE`` or the
platform cache directory; a rerun of an interrupted scan computes only what is missing.  Output paths (``--csv``,
``--out``) and the store directory are checked before anything is computed.
"""
from __future__ import annotations

import csv
import io
import sys
import time

from relu_injectivity.interfaces.cli import args as cli_args
from relu_injectivity.interfaces.cli.args import UsageError

COMMANDS = ("scan", "figures")


def _scan_help():
    from relu_injectivity.interfaces.cli.methods_help import parameter_table

    return parameter_table("scan")


def add_parser(sub):
    s = cli_args.subparser(sub, "scan", epilog=_scan_help,
                           help="e*(alpha) of one method on an alpha grid (parallel, stored, resumable)",
                           usage="injectivity scan METHOD --alpha-min A --alpha-max B --num N [options] "
                                 "[--PARAM VALUE ...]")
    s.add_argument("method", metavar="METHOD", help="a method with an energy (listed below)")
    once = cli_args.Once
    s.add_argument("--alpha-min", type=cli_args.finite_float("--alpha-min"), required=True, action=once,
                   help="first alpha")
    s.add_argument("--alpha-max", type=cli_args.finite_float("--alpha-max"), required=True, action=once,
                   help="last alpha")
    s.add_argument("--num", type=cli_args.integer("--num"), required=True, action=once,
                   help="number of equally spaced alphas (both ends included)")
    fmt = s.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print one JSON object")
    fmt.add_argument("--csv", metavar="FILE", action=once,
                     help="write alpha,energy,error,error_method,failure rows to FILE ('-' for stdout)")
    s.add_argument("--digits", type=cli_args.integer("--digits"), default=None, action=once,
                   help="mpmath precision (decimal digits); default double")
    _common(s, "this process, plus a pool of CPU-count workers when the scan is long enough to pay for "
               "starting it")
    s.add_argument("--blocks", type=cli_args.integer("--blocks"), default=None, action=once,
                   help="contiguous alpha blocks, each a warm-start chain run by one worker (default: CPU count "
                        "for warm-started methods, else 4x that)")
    s.add_argument("--skip-failures", action="store_true",
                   help="record points whose solver does not converge and go on (exit status 1 at the end)")
    f = cli_args.subparser(sub, "figures",
                           help="the paper's figures (PNG + PDF); needs the [plot] extra (pip install \".[plot]\")")
    f.add_argument("--out", default="figures", action=once, help="output directory (default: figures)")
    f.add_argument("--quick", action="store_true", help="low resolution: small k, few alpha (minutes on 2 cores)")
    f.add_argument("--only", nargs="+", default=None, help="figure names: energy overlap threshold_k euler")
    _common(f, "CPU count")


def _common(p, workers_default):
    once = cli_args.Once
    w = p.add_mutually_exclusive_group()
    w.add_argument("--workers", type=cli_args.integer("--workers"), default=None, action=once,
                   help=f"a local pool of W processes (default: {workers_default})")
    w.add_argument("--serial", action="store_true", help="compute in this process (no pool)")
    c = p.add_mutually_exclusive_group()
    c.add_argument("--cache-dir", default=None, action=once,
                   help="results store directory (default: $INJECTIVITY_CACHE or the platform cache directory)")
    c.add_argument("--no-cache", action="store_true", help="do not read or write the results store")


def _store(args):
    """The results store of the command, checked to be usable before anything is computed."""
    from relu_injectivity.workflow.store import Store

    if args.no_cache:
        return False
    st = Store(args.cache_dir)
    st.check()  # ValueError in one line: not a directory, cannot be created or written
    return st


def _executor(args):
    if args.serial:
        return "serial"
    if args.workers is not None:
        from relu_injectivity.machinery import validate
        from relu_injectivity.workflow.scan import process_pool

        return process_pool(validate.integer("--workers", args.workers, lo=1))
    return None


def run(args, extra) -> int:
    if args.command == "figures":
        cli_args.no_extra(extra)
        return _figures(args)
    from relu_injectivity.methods import registry

    params = cli_args.method_params(extra, registry.parameters(args.method, "energy"))
    if args.digits is not None:
        if "digits" in params:
            raise UsageError("--digits given twice; give it once")
        params["digits"] = args.digits
    return _scan(args, params)


def _scan(args, params) -> int:
    from relu_injectivity.methods.registry import METHODS
    from relu_injectivity.workflow.scan import grid, scan

    alphas = grid(args.alpha_min, args.alpha_max, args.num)
    out = None
    if args.csv and args.csv != "-":
        out = cli_args.writable_file(args.csv, "--csv")  # before computing: a bad path must not lose the results
    st = _store(args)
    ex = _executor(args)
    t0 = time.perf_counter()
    try:
        s = scan(args.method, alphas, ex, store=st, blocks=args.blocks,
                 on_error="skip" if args.skip_failures else "raise", progress=sys.stderr.isatty(), **params)
    finally:
        if ex not in (None, "serial"):
            ex.shutdown()
    dt = time.perf_counter() - t0
    rows = s.rows()
    how = METHODS[s.method].how.get("energy") if s.method in METHODS else None
    summary = f"{s.computed} computed, {s.from_store} from the store, {dt:.1f} s"
    if args.json:
        cli_args.emit_json({"method": s.method, "params": dict(s.params), "points": rows, "computed": s.computed,
                            "from_store": s.from_store, "time_s": dt})
    elif args.csv:
        buf = io.StringIO(newline="")
        w = csv.DictWriter(buf, fieldnames=["alpha", "energy", "error", "error_method", "failure"])
        w.writeheader()
        w.writerows(rows)
        if out is None:
            sys.stdout.write(buf.getvalue())
        else:
            with open(out, "w", newline="") as fh:
                fh.write(buf.getvalue())
            print(f"wrote {len(rows)} rows to {out} ({summary})", file=sys.stderr)
    else:
        from relu_injectivity.machinery.results import brief, plus_minus

        print(f"{'alpha':>10}  e*(alpha) ± error")
        for r, res in zip(rows, s.results):
            if res is None:
                print(f"{r['alpha']:10.6g}  failed: {' '.join(str(r['failure']).split())}")
            else:
                print(f"{r['alpha']:10.6g}  {plus_minus(res.energy_str, res.error)}")
        first = next((res for res in s.results if res is not None), None)
        how = how or (brief(first.error_method) if first is not None else None)
        shown = ", ".join(f"{k}={v}" for k, v in s.params.items())
        if how:
            print(f"# error bars: {how} (full explanation: --json, docs/errors.md)", file=sys.stderr)
        print(f"# {s.method} [{shown}]: {summary}", file=sys.stderr)
    if s.failures:
        print(f"injectivity: {len(s.failures)} point(s) did not converge (listed as failed)", file=sys.stderr)
    return 1 if s.failures else 0


def _figures(args) -> int:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print('injectivity: figures need matplotlib, the [plot] extra: pip install ".[plot]" in the checkout',
              file=sys.stderr)
        return 2
    import warnings

    from relu_injectivity.workflow.figures import FigureNote, make_figures

    out = cli_args.writable_dir(args.out, "--out")  # before computing
    st = _store(args)
    ex = _executor(args)
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FigureNote)  # printed below as notes
            paths, notes = make_figures(out, quick=args.quick, store=st, executor=ex,
                                        progress=sys.stderr.isatty(), only=args.only)
    finally:
        if ex not in (None, "serial"):
            ex.shutdown()
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    for p in paths:
        print(p)
    print(f"# {len(paths)} files in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0
