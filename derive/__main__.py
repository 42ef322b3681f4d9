"""`python -m derive [--check] [--out DIR] [MODULE ...]`: write generated/ or check that it is current."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import codegen


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m derive", description=__doc__)
    ap.add_argument("modules", nargs="*", help="derive modules to regenerate (default: all)")
    ap.add_argument("--check", action="store_true", help="exit 1 and name the stale files if generated/ is not current")
    ap.add_argument("--out", type=Path, default=None, help="output directory (default: generated/ of a checkout)")
    args = ap.parse_args(argv)
    if args.out is None:
        if not (args.check or codegen.IN_CHECKOUT):
            print("this is an installed package: regenerate from a source checkout (`python -m derive` there), "
                  "or write the files elsewhere with --out DIR", file=sys.stderr)
            return 2
        args.out = codegen.GENERATED
    known = codegen.modules()
    unknown = [m for m in args.modules if m not in known]
    if unknown:
        print(f"unknown derive module(s) {unknown}; known: {known}", file=sys.stderr)
        return 2
    files = codegen.generate(args.modules or None)
    if args.check:
        if args.modules:
            files = {n: t for n, t in files.items() if n != "__init__.py"}
        bad = codegen.stale(files, args.out) if not args.modules else [
            n for n, t in files.items() if not (args.out / n).exists() or (args.out / n).read_text() != t]
        if bad:
            print("generated/ is stale: " + ", ".join(bad) + f"  (run `{codegen.COMMAND}`)", file=sys.stderr)
            return 1
        print(f"generated/ is current ({len(files)} files)")
        return 0
    changed = codegen.write(files, args.out, prune=not args.modules)
    print(f"wrote {len(changed)} changed file(s) of {len(files)}: {', '.join(changed) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
