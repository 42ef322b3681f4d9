"""Sub-commands ``check`` and ``simulate`` of the ``injectivity`` command (docs/finite_n.md).

    injectivity check FILE [--json] [--count] [--bound-only] [--time-limit S] [--seed K]
        is x -> ReLU(Wx) injective for the W in FILE (.npy, .npz, text: m rows = units, n columns)?
    injectivity simulate --n N --alpha A --samples S [--seed K] [--decide-only] [--workers W] [--no-cache] [--json]
        P(injective) of Gaussian layers (Wilson 95%), D(W)/n, and the Euler surrogate q_{m,n}
"""
from __future__ import annotations

from relu_injectivity.interfaces.cli import args as cli_args

COMMANDS = ("check", "simulate")


def add_parser(sub):
    once = cli_args.Once
    c = cli_args.subparser(sub, "check", help="decide whether ReLU(Wx) is injective for a given W (exact certificate)")
    c.add_argument("file", help="weight matrix: .npy, .npz (array 'W' or the only one) or text (m rows, n columns)")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.add_argument("--count", action="store_true", help="compute the minimum active count D(W) exactly (slower)")
    c.add_argument("--bound-only", action="store_true", help="local search only (large layers): a verified witness "
                   "or 'no witness found', never 'injective'")
    c.add_argument("--time-limit", type=cli_args.finite_float("--time-limit"), default=300.0, action=once,
                   help="seconds (default 300)")
    c.add_argument("--seed", type=cli_args.integer("--seed"), default=0, action=once, help="search seed")
    s = cli_args.subparser(sub, "simulate", help="P(injective) of Gaussian layers at finite n, exact per sample")
    s.add_argument("--n", type=cli_args.integer("--n"), required=True, action=once, help="input dimension")
    s.add_argument("--alpha", type=cli_args.finite_float("--alpha"), required=True, action=once,
                   help="alpha = m/n (m = round(alpha n))")
    s.add_argument("--samples", type=cli_args.integer("--samples"), required=True, action=once, help="layers")
    s.add_argument("--seed", type=cli_args.integer("--seed"), default=0, action=once, help="seed (default 0)")
    s.add_argument("--decide-only", action="store_true", help="decide D(W) >= n per sample instead of computing D(W)")
    s.add_argument("--workers", type=cli_args.integer("--workers"), default=1, action=once,
                   help="worker processes (default 1)")
    s.add_argument("--no-cache", action="store_true", help="do not use the results store")
    s.add_argument("--json", action="store_true", help="print one JSON object")


def run(args, extra) -> int:
    from relu_injectivity.methods import finite_n

    cli_args.no_extra(extra)
    if args.command == "check":
        if not args.time_limit > 0:
            raise ValueError(f"--time-limit must be positive, got {args.time_limit}")
        W = finite_n.load_matrix(args.file)
        r = finite_n.check(W, exact_solver=False if args.bound_only else "auto", time_limit=args.time_limit,
                           seed=args.seed, min_count=args.count)
        if args.json:
            cli_args.emit_json(r.to_dict())
        else:
            print(r.summary())
        return 0
    if args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    from relu_injectivity.workflow.store import Store

    store = None if args.no_cache else Store()
    if args.workers == 1:
        r = finite_n.simulate(args.n, args.alpha, args.samples, seed=args.seed, counts=not args.decide_only,
                              store=store)
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.workers) as ex:
            r = finite_n.simulate(args.n, args.alpha, args.samples, seed=args.seed, counts=not args.decide_only,
                                  store=store, executor=ex)
    if args.json:
        cli_args.emit_json(r.to_dict())
    else:
        print(r.summary())
    return 0
