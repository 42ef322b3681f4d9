"""Argument handling shared by the sub-commands of ``injectivity``: one-line usage errors, method parameters given
as ``--name value`` (typed by the method's defaults), options that may be given once, and output paths checked
before anything is computed."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path


class UsageError(ValueError):
    """Bad command-line input: printed as one line, exit status 2."""


TRUE = ("true", "yes", "on", "1")
FALSE = ("false", "no", "off", "0")


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``prog: error: message (see prog --help)``), exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class Once(argparse.Action):
    """``store`` that refuses an option given twice (argparse would silently keep the last)."""

    def __call__(self, parser, namespace, values, option_string=None):
        if getattr(namespace, f"_seen_{self.dest}", False):
            raise argparse.ArgumentError(self, "given twice; give it once")
        setattr(namespace, f"_seen_{self.dest}", True)
        setattr(namespace, self.dest, values)


class LazyHelp(argparse.Action):
    """``-h/--help`` that computes its epilog only when asked (it imports every method module)."""

    def __init__(self, option_strings, dest, epilog=None, **kw):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show this help and exit")
        self.epilog = epilog

    def __call__(self, parser, namespace, values, option_string=None):
        if self.epilog is not None:
            parser.epilog = self.epilog()
        parser.print_help()
        parser.exit()


def subparser(sub, name, epilog=None, **kw):
    """A sub-command parser with one-line errors and (optionally lazy) epilog."""
    p = sub.add_parser(name, add_help=False, formatter_class=argparse.RawDescriptionHelpFormatter, **kw)
    p.add_argument("-h", "--help", action=LazyHelp, epilog=epilog)
    return p


def finite_float(name):
    def conv(text):
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not math.isfinite(x):
            raise argparse.ArgumentTypeError(f"{name} must be finite, got {text!r}")
        return x
    conv.__name__ = name
    return conv


def integer(name):
    def conv(text):
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None
    conv.__name__ = name
    return conv


def _number(text: str):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return None


def boolean(name: str, text: str) -> bool:
    low = text.strip().lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise UsageError(f"--{name.replace('_', '-')} must be true or false, got {text!r}")


def value(name: str, text: str, default=None):
    """The value of ``--name text``, typed after the parameter's default: bool -> true/false (yes/no, 1/0);
    int -> integer; float -> number; tuple/list -> comma-separated numbers; None or unknown -> a number if the
    text is one, true/false, comma-separated numbers, else the text."""
    flag = f"--{name.replace('_', '-')}"
    if isinstance(default, bool):
        return boolean(name, text)
    if isinstance(default, int):
        x = _number(text)
        if not isinstance(x, int):
            raise UsageError(f"{flag} must be an integer, got {text!r}")
        return x
    if isinstance(default, float):
        x = _number(text)
        if x is None:
            raise UsageError(f"{flag} must be a number, got {text!r}")
        return x
    if isinstance(default, (tuple, list)):
        return _numbers(flag, text)
    x = _number(text)
    if x is not None:
        return x
    if text.strip().lower() in ("true", "false"):
        return text.strip().lower() == "true"
    if "," in text:
        return _numbers(flag, text)
    return text


def _numbers(flag, text):
    parts = [p for p in text.replace(" ", ",").split(",") if p]
    out = [_number(p) for p in parts]
    if not parts or any(x is None for x in out):
        raise UsageError(f"{flag} takes comma-separated numbers (e.g. 6.5,7), got {text!r}")
    return tuple(out)


def method_params(tokens: list[str], defaults: dict | None = None) -> dict:
    """``--name value`` / ``--name=value`` pairs after the method (dashes become underscores), each given once,
    typed by ``defaults`` (the method's keyword parameters; unknown names are left to the method to refuse)."""
    defaults = defaults or {}
    params, i = {}, 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.startswith("--") or len(tok) <= 2:
            raise UsageError(f"unexpected argument {tok!r}; method parameters are given as --name value")
        name = tok[2:]
        if "=" in name:
            name, val = name.split("=", 1)
            i += 1
        elif isinstance(defaults.get(name.replace("-", "_")), bool) and (
                i + 1 >= len(tokens) or tokens[i + 1].startswith("--")):
            val = "true"                       # a flag: --converged alone means --converged true
            i += 1
        else:
            if i + 1 >= len(tokens):
                raise UsageError(f"parameter {tok} needs a value")
            val = tokens[i + 1]
            i += 2
        name = name.replace("-", "_")
        if name in params:
            raise UsageError(f"parameter --{name.replace('_', '-')} given twice; give it once")
        params[name] = value(name, val, defaults.get(name))
    return params


def no_extra(extra):
    if extra:
        raise UsageError(f"unexpected arguments {' '.join(extra)}")


def writable_file(path: str, what: str = "--csv") -> Path:
    """Check, before computing, that ``path`` can be written as a file: not a directory, its folder exists and
    accepts a new file (probed by creating and removing a temporary file there)."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise UsageError(f"{what} {path}: is a directory; give a file name")
    folder = p.parent
    if not folder.is_dir():
        raise UsageError(f"{what} {path}: folder {folder} does not exist")
    _probe(folder, what, path)
    if p.exists() and not os.access(p, os.W_OK):
        raise UsageError(f"{what} {path}: file is not writable")
    return p


def writable_dir(path: str, what: str = "--out") -> Path:
    """Check, before computing, that ``path`` is (or can be made) a directory that accepts files; creates it."""
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise UsageError(f"{what} {path}: exists and is not a directory; give a directory")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{what} {path}: cannot create the directory ({exc.strerror or exc})") from None
    _probe(p, what, path)
    return p


def _probe(folder: Path, what, path):
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".injectivity-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"{what} {path}: cannot write in {folder} ({exc.strerror or exc})") from None


def warn_one_line(message, category, filename, lineno, file=None, line=None):
    """``warnings.showwarning`` for the command: ``injectivity: warning: message`` on one line."""
    text = " ".join(str(message).split())
    print(f"injectivity: warning: {text}", file=sys.stderr if file is None else file)


def emit_json(obj):
    """Print one JSON document: non-finite numbers become null, so the output is always valid JSON."""
    from relu_injectivity.machinery.results import jsonable

    print(json.dumps(jsonable(obj), allow_nan=False))
