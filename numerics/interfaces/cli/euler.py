"""Sub-commands ``euler-q`` and ``euler-rate`` of the ``injectivity`` command (docs/theory.md §6).

    injectivity euler-q M N [--json] [--budget-s S]     exact q_{m,n} = E chi(X_{m,n}) as a fraction
    injectivity euler-rate --alpha A [--digits D] [--json]   lim (1/n) log q_{alpha n, n}

JSON of euler-q: {"m": M, "n": N, "q": "p/q"} (or "p" when q is an integer), exact.
The thresholds are ``injectivity threshold euler|union|cover|gordon-chernoff``.
"""
from __future__ import annotations

import re

from relu_injectivity.interfaces.cli import args as cli_args

COMMANDS = ("euler-q", "euler-rate")
RATE_HOW = "two routes"
"""How the error bar of the rate is obtained, in a few words (the full sentence is in --json, docs/errors.md)."""


def add_parser(sub):
    once = cli_args.Once
    q = cli_args.subparser(sub, "euler-q", help="exact Euler-characteristic surrogate q_{m,n} (a fraction)")
    q.add_argument("m", help="number of ReLU units (integer >= n)")
    q.add_argument("n", help="input dimension (integer >= 1)")
    q.add_argument("--json", action="store_true", help='print {"m", "n", "q"} with q an exact "p/q" string')
    q.add_argument("--budget-s", type=cli_args.finite_float("--budget-s"), default=None, action=once,
                   help="refuse sizes whose estimated time exceeds this many seconds (default 60)")
    r = cli_args.subparser(sub, "euler-rate", help="exponential rate of q_{alpha n, n} (alpha >= 4 + 2 sqrt 2)")
    r.add_argument("--alpha", type=cli_args.finite_float("--alpha"), required=True, action=once, help="alpha = m/n")
    r.add_argument("--digits", type=cli_args.integer("--digits"), default=None, action=once,
                   help="mpmath precision (decimal digits, 15..1000); default double")
    r.add_argument("--json", action="store_true", help="print one JSON object")


def _integer(name, text):
    if not re.fullmatch(r"\s*[+-]?\d+\s*", text):
        raise ValueError(f"{name} must be an integer, got {text!r}")
    return int(text)


def run(args, extra) -> int:
    import mpmath

    from relu_injectivity.methods import euler

    cli_args.no_extra(extra)
    if args.command == "euler-rate":
        r = euler.euler_rate(args.alpha, digits=args.digits)
        if args.json:
            cli_args.emit_json(r.to_dict())
        else:
            print(f"rate({r.alpha}) = {r.short(RATE_HOW)}")
        return 0
    m, n = _integer("m", args.m), _integer("n", args.n)
    budget = euler.DEFAULT_BUDGET_S if args.budget_s is None else args.budget_s
    q = euler.euler_characteristic(m, n, budget_s=budget)
    exact = euler.fraction_str(q)
    if args.json:
        cli_args.emit_json({"m": m, "n": n, "q": exact})
        return 0
    print(f"q_{{{m},{n}}} = {exact}")
    if q != 0:
        approx = mpmath.nstr(mpmath.mpf(q.numerator) / q.denominator, 16)
        print(f"  ~ {approx}  (log|q| = {euler.log_abs(q):.12g})")
    return 0
