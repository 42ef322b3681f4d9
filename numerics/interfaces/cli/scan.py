"""Sub-commands ``scan`` and ``figures`` of the ``injectivity`` command.

    injectivity scan METHOD --alpha-min A --alpha-max B --num N [--json | --csv FILE] [--workers W | --serial]
                     [--cache-dir DIR | --no-cache] [--skip-failures] [--PARAM VALUE ...]
    injectivity figures [--out DIR] [--quick] [--only NAME ...] [--cache-dir DIR | --no-cache] [--serial]

Results go through the results store (numerics/store.py): default directory ``$INJECTIVITY_CACHE`` or the
platform cache directory; a rerun of an interrupted scan computes only what is missing.
"""
from __future__ import annotations

import csv
import json
import sys
import time

COMMANDS = ("scan", "figures")


def add_parser(sub):
    from relu_injectivity.methods.registry import METHODS

    s = sub.add_parser("scan", help="e*(alpha) of one method on an alpha grid (parallel, cached)")
    s.add_argument("method", help=f"one of: {', '.join(METHODS)}")
    s.add_argument("--alpha-min", type=float, required=True, help="first alpha")
    s.add_argument("--alpha-max", type=float, required=True, help="last alpha")
    s.add_argument("--num", type=int, required=True, help="number of equally spaced alphas (inclusive ends)")
    fmt = s.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print one JSON object")
    fmt.add_argument("--csv", metavar="FILE", help="write alpha,energy,error,error_method,failure rows to FILE "
                                                    "('-' for stdout)")
    s.add_argument("--digits", type=int, default=None, help="mpmath precision (decimal digits); default double")
    _common(s)
    s.add_argument("--blocks", type=int, default=None, help="contiguous alpha blocks (warm-start chains)")
    s.add_argument("--skip-failures", action="store_true", help="record non-converged points instead of stopping")
    f = sub.add_parser("figures", help="the paper's figures (PNG + PDF); needs matplotlib (pip install '.[plot]')")
    f.add_argument("--out", default="figures", help="output directory (default: figures)")
    f.add_argument("--quick", action="store_true", help="low resolution: small k, few alpha (minutes on 2 cores)")
    f.add_argument("--only", nargs="+", default=None, help="figure names: energy overlap threshold_k euler")
    _common(f)


def _common(p):
    p.add_argument("--workers", type=int, default=None, help="processes of the local pool (default: CPU count)")
    p.add_argument("--serial", action="store_true", help="compute in this process (no pool)")
    c = p.add_mutually_exclusive_group()
    c.add_argument("--cache-dir", default=None, help="results store directory (default: $INJECTIVITY_CACHE or the "
                                                     "platform cache directory)")
    c.add_argument("--no-cache", action="store_true", help="do not read or write the results store")


def _store(args):
    if args.no_cache:
        return False
    return args.cache_dir


def _executor(args):
    if args.serial:
        return "serial"
    if args.workers is not None:
        from relu_injectivity.machinery import validate
        from relu_injectivity.workflow.scan import _default_executor

        return _default_executor(validate.integer("--workers", args.workers, lo=1))
    return None


def run(args, extra) -> int:
    from relu_injectivity.interfaces.cli.main import UsageError, _extra_params

    if args.command == "figures":
        if extra:
            raise UsageError(f"unexpected arguments {extra}")
        return _figures(args)
    params = _extra_params(extra)
    if args.digits is not None:
        params["digits"] = args.digits
    return _scan(args, params)


def _scan(args, params) -> int:
    from relu_injectivity.workflow.scan import grid, scan

    alphas = grid(args.alpha_min, args.alpha_max, args.num)
    ex = _executor(args)
    t0 = time.perf_counter()
    try:
        s = scan(args.method, alphas, ex, store=_store(args), blocks=args.blocks,
                 on_error="skip" if args.skip_failures else "raise", progress=sys.stderr.isatty(), **params)
    finally:
        if ex not in (None, "serial"):
            ex.shutdown()
    dt = time.perf_counter() - t0
    rows = s.rows()
    if args.json:
        print(json.dumps({"method": s.method, "params": _plain(s.params), "points": rows, "computed": s.computed,
                          "from_store": s.from_store, "time_s": dt}))
    elif args.csv:
        fh = sys.stdout if args.csv == "-" else open(args.csv, "w", newline="")
        try:
            w = csv.DictWriter(fh, fieldnames=["alpha", "energy", "error", "error_method", "failure"])
            w.writeheader()
            w.writerows(rows)
        finally:
            if fh is not sys.stdout:
                fh.close()
        if args.csv != "-":
            print(f"wrote {len(rows)} rows to {args.csv} ({s.computed} computed, {s.from_store} from the store, "
                  f"{dt:.1f} s)", file=sys.stderr)
    else:
        print(f"{'alpha':>10}  {'e*(alpha)':<22} {'error':>9}")
        for r in rows:
            if r["failure"] is None:
                print(f"{r['alpha']:10.6g}  {r['energy']:<22} {r['error']:9.1e}")
            else:
                print(f"{r['alpha']:10.6g}  failed: {r['failure']}")
        print(f"# {s.method} {_plain(s.params)}: {s.computed} computed, {s.from_store} from the store, {dt:.1f} s",
              file=sys.stderr)
    return 1 if s.failures else 0


def _plain(params):
    from relu_injectivity.machinery.results import jsonable

    return jsonable(dict(params))


def _figures(args) -> int:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("injectivity: figures need matplotlib: pip install 'relu-injectivity[plot]'", file=sys.stderr)
        return 2
    import warnings

    from relu_injectivity.workflow.figures import FigureNote, make_figures

    ex = _executor(args)
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FigureNote)  # printed below as notes
            paths, notes = make_figures(args.out, quick=args.quick, store=_store(args), executor=ex,
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
