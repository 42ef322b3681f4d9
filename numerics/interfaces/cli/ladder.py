"""Sub-command ``ladder`` of the ``injectivity`` command: the r-RSB ladder with optimised breakpoints
(docs/theory.md §4.11, docs/ladder.md).

    injectivity ladder [--max-steps R] [--alpha A] [--route newton|fixed-point] [--tol T] [--solver-tol S] [--json]

A table of r, alpha_r (or e_r(A) with --alpha), error, |estar - functional|, time and the optimal breakpoints,
then the limit r -> infinity with its error bar (at least 4 rungs).  --json prints the ladder, the fits and the
leave-one-out fits as one object.
"""
from __future__ import annotations

import sys

from relu_injectivity.interfaces.cli import args as cli_args

COMMANDS = ("ladder",)
DEFAULT_STEPS = 12


def add_parser(sub):
    once = cli_args.Once
    p = cli_args.subparser(sub, "ladder", help="the r-RSB ladder with optimised breakpoints and its limit r -> inf")
    p.add_argument("--max-steps", type=cli_args.integer("--max-steps"), default=DEFAULT_STEPS, action=once,
                   help=f"largest number of RSB steps r (default {DEFAULT_STEPS})")
    p.add_argument("--alpha", type=cli_args.finite_float("--alpha"), default=None, action=once,
                   help="energies e_r(alpha) at this alpha instead of thresholds alpha_r")
    p.add_argument("--route", choices=("newton", "fixed-point"), default="newton", action=once,
                   help="newton: each rung as one system of equations (default); fixed-point: breakpoints optimised "
                        "around the k-step fixed point (slower; the independent cross-check)")
    p.add_argument("--tol", type=cli_args.finite_float("--tol"), default=1e-9, action=once,
                   help="accuracy asked for each alpha_r (default 1e-9)")
    p.add_argument("--solver-tol", type=cli_args.finite_float("--solver-tol"), default=1e-10, action=once,
                   help="tol of the fixed point at given breakpoints, route fixed-point (default 1e-10)")
    p.add_argument("--json", action="store_true", help="print one JSON object (ladder, fits, leave-one-out)")


def run(args, extra) -> int:
    from relu_injectivity.methods import rsb

    cli_args.no_extra(extra)

    def progress(row):
        if sys.stderr.isatty():
            print(f"  rung {row['r']}: {row['value']:.12f} +- {row['error']:.1e} ({row['time_s']:.1f} s)",
                  file=sys.stderr)

    lad = rsb.ladder(args.max_steps, alpha=args.alpha, tol=args.tol, solver_tol=args.solver_tol,
                     route=args.route, progress=progress)
    if args.json:
        cli_args.emit_json(lad.to_dict())
    else:
        print(lad.table())
    return 0
