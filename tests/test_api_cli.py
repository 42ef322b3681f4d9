"""Public API and `injectivity` command: JSON shapes, immutability, and bad input."""
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

import relu_injectivity as ri
from relu_injectivity.interfaces.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "relu_injectivity.interfaces.cli.main", *args], cwd=ROOT, capture_output=True, text=True)


def test_threshold_json_shape(capsys):
    assert cli.main(["threshold", "rs", "--digits", "40", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"method", "alpha", "error", "params", "diagnostics"}
    assert out["alpha"].startswith("7.647694935435279816928787024722600951")
    assert out["params"] == {"digits": 40} and out["diagnostics"]["error_method"]


def test_energy_json_shape(capsys):
    assert cli.main(["energy", "rs", "--alpha", "6", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"method", "alpha", "energy", "error", "params", "diagnostics"}
    assert float(out["energy"]) == pytest.approx(0.631492135224, abs=1e-12) and out["alpha"] == 6.0


def test_results_are_immutable():
    r = ri.threshold("rs")
    with pytest.raises(Exception):
        r.alpha = 1.0
    with pytest.raises(TypeError):
        r.diagnostics["chi"] = 0


@pytest.mark.parametrize("alpha", [0, -1.0, math.nan, math.inf, -math.inf])
def test_bad_alpha(alpha):
    with pytest.raises(ValueError, match="alpha"):
        ri.energy("rs", alpha)


@pytest.mark.parametrize("alpha", ["6", None, True, 6 + 0j])
def test_alpha_wrong_type(alpha):
    with pytest.raises(TypeError, match="alpha"):
        ri.energy("rs", alpha)


@pytest.mark.parametrize("digits", [14, 1001, -3])
def test_bad_digits(digits):
    with pytest.raises(ValueError, match="digits"):
        ri.threshold("rs", digits=digits)
    with pytest.raises(TypeError, match="digits"):
        ri.threshold("rs", digits=30.0)


def test_unknown_method_and_parameter():
    with pytest.raises(ValueError, match="unknown method 'nope'.*allowed: rs"):
        ri.threshold("nope")
    with pytest.raises(TypeError, match="unknown parameter.*bogus.*allowed: digits"):
        ri.threshold("rs", bogus=1)
    with pytest.raises(ValueError, match="has no energy"):
        ri.energy("dat", 5.0)


@pytest.mark.parametrize("args, word", [
    (["threshold", "nope"], "unknown method"),
    (["energy", "rs", "--alpha", "nan"], "alpha"),
    (["energy", "rs", "--alpha", "-2"], "alpha"),
    (["threshold", "rs", "--digits", "9"], "digits"),
    (["threshold", "rs", "--bogus", "1"], "bogus"),
    (["threshold", "rs", "stray"], "unexpected"),
])
def test_cli_bad_input_one_line_exit_2(args, word, capsys):
    assert cli.main(args) == 2  # the installed console script: tests/test_cli_inputs.py
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and word in lines[0] and out == ""


def test_cli_all_lists_every_method(capsys, monkeypatch):
    import dataclasses

    frsb = ri.METHODS["frsb"]  # the main job uses k=30; a few steps are enough to test the command
    monkeypatch.setitem(ri.METHODS, "frsb", dataclasses.replace(frsb, all_params={**frsb.all_params, "k": 4}))
    # the ladder limit takes minutes (CI runs it in the real `injectivity all`); here it stays out of the job
    monkeypatch.setitem(ri.METHODS, "frsb-limit", dataclasses.replace(ri.METHODS["frsb-limit"], all_params=None))
    assert cli.main(["all", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = [m for m, spec in ri.METHODS.items() if spec.all_params is not None]
    assert [r["method"] for r in rows] == expected
    assert all(r["error"] > 0 or r["method"] == "cover" for r in rows)
    assert all(r["time_s"] >= 0 and "failure" not in r for r in rows)


def test_short_human_output(capsys):
    assert cli.main(["threshold", "rs"]) == 0
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(r"rs: alpha = 7\.64769493543527\d* ± \d\.\de-1\d \(two routes\)", line), line
    r = ri.energy("rs", 6.0)
    assert r.how == "two estimators" and str(r).startswith("rs: e*(6.0) = 0.63149213522382") and "(two estimators)" in str(r)
    assert len(r.error_method) > len(r.how)  # the long form stays in error_method / --json


def test_exact_fraction_has_a_safe_repr():
    from fractions import Fraction

    from relu_injectivity.machinery.results import ExactFraction

    small = ExactFraction(-61, 128)
    assert small == Fraction(-61, 128) and repr(small) == "ExactFraction(-61, 128)" and str(small) == "-61/128"
    big = ExactFraction(3 ** 20000 + 1, 2 ** 30000)
    text = repr(big)
    assert text.startswith("<ExactFraction ~ ") and "numerator 9543 digits, denominator 9031 digits" in text
    assert len(str(big)) == 9543 + 1 + 9031 and pickle_round_trip(big) == big


def pickle_round_trip(x):
    import pickle

    y = pickle.loads(pickle.dumps(x))
    assert type(y) is type(x)
    return y


def test_generate_is_forwarded_to_derive(monkeypatch, tmp_path):
    """`injectivity generate [--check] [--out DIR]` is `python -m derive` (whose check tests/test_codegen.py runs)."""
    import relu_injectivity.derive.__main__ as derive_main

    seen = []
    monkeypatch.setattr(derive_main, "main", lambda argv: seen.append(argv) or 0)
    assert cli.main(["generate", "--check"]) == 0 and cli.main(["generate", "--out", str(tmp_path)]) == 0
    assert seen == [["--check"], ["--out", str(tmp_path)]]
    assert cli.main(["generate", "stray"]) == 2


def test_results_pickle_round_trip():
    import pickle
    for r in (ri.threshold("rs", digits=20), ri.energy("rs", 6.0)):
        r2 = pickle.loads(pickle.dumps(r))
        assert r2 == r and r2.to_dict() == r.to_dict()
        with pytest.raises(TypeError):
            r2.params["digits"] = 1
