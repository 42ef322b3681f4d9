"""Bad inputs to the `injectivity` command, tried as a new user would: each gets one line on stderr, exit status 2
(130 for Ctrl-C, 1 for a solver that does not converge), no traceback, within seconds, and nothing computed is lost.

Stand-in methods (this module's ``energy``/``threshold``, behaviour chosen by their parameters) keep the tests fast;
the entry point itself is exercised through the installed console script."""
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from relu_injectivity.interfaces.cli import main as cli
from relu_injectivity.machinery import validate
from relu_injectivity.machinery.results import ConvergenceError, EnergyResult, ThresholdResult
from relu_injectivity.methods import registry
from relu_injectivity.methods.registry import METHODS, Method

INJECTIVITY = Path(sys.executable).parent / "injectivity"


def energy(alpha, *, fail="", error=1e-12, progress=False, init=None):
    """Stand-in: e = alpha; ``fail`` raises ValueError / MemoryError / ConvergenceError; ``error`` may be nan."""
    a = validate.alpha(alpha)
    if fail == "value":
        raise ValueError("alpha too large for\nthis stand-in: use alpha <= 10\n(it cannot fit)")
    if fail == "memory":
        raise MemoryError("would need 41.7 GiB")
    if fail == "converge":
        raise ConvergenceError("stuck", {"iterations": 3})
    return EnergyResult("stand-in", a, a, error, "exact (a stand-in)", {}, {"chi": math.inf, "q": [math.nan, 1.0]})


def threshold(*, digits=None, fail=""):
    print(f"computing stand-in fail={fail!r}", flush=True)  # stdout: shows when each row of `all` is printed
    if fail:
        raise ConvergenceError("no root in the bracket (6.0, 7.0)\nsecond line of the message")
    return ThresholdResult("stand-in", 5.0, 1e-9, "two routes (a stand-in)", {}, {}, digits)


@pytest.fixture(autouse=True)
def stand_in(tmp_path, monkeypatch):
    monkeypatch.setenv("INJECTIVITY_CACHE", str(tmp_path / "store"))
    monkeypatch.setitem(METHODS, "stand-in", Method(__name__, "stand-in test method", None,
                                                    how={"energy": "exact", "threshold": "exact"}))


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def run(capsys, *argv):
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


# ---- output paths and the store: checked before anything is computed -------------------------------------------

SCAN = ["scan", "rs", "--alpha-min", "3", "--alpha-max", "7", "--num", "3"]


@pytest.mark.parametrize("target", ["/proc/x.csv", "DIR", "MISSING/x.csv"])
def test_scan_csv_path_is_checked_before_computing(capsys, tmp_path, target):
    target = {"DIR": str(tmp_path), "MISSING/x.csv": str(tmp_path / "missing" / "x.csv")}.get(target, target)
    rc, out, err = run(capsys, *SCAN, "--csv", target, "--cache-dir", str(tmp_path / "c"))
    assert rc == 2 and out == "" and "--csv" in one_line(err)
    assert not list((tmp_path / "c").rglob("*.json"))  # nothing was computed


@pytest.mark.parametrize("target", ["/proc/x", "FILE"])
def test_figures_out_is_checked_before_computing(capsys, tmp_path, target):
    pytest.importorskip("matplotlib")
    if target == "FILE":
        target = tmp_path / "a-file"
        target.write_text("keep me")
    rc, out, err = run(capsys, "figures", "--quick", "--out", str(target), "--cache-dir", str(tmp_path / "c"))
    assert rc == 2 and "--out" in one_line(err)
    assert not list((tmp_path / "c").rglob("*.json"))
    if isinstance(target, Path):
        assert target.read_text() == "keep me"


def test_cache_pointing_to_a_file_is_one_line(capsys, tmp_path, monkeypatch):
    f = tmp_path / "not-a-dir"
    f.write_text("")
    monkeypatch.setenv("INJECTIVITY_CACHE", str(f))
    rc, out, err = run(capsys, *SCAN)
    assert rc == 2 and out == "" and "INJECTIVITY_CACHE" in one_line(err)
    rc, out, err = run(capsys, *SCAN, "--no-cache", "--serial")  # the way out it names works
    assert rc == 0 and len(out.splitlines()) == 4


def test_csv_is_written_after_a_good_check(capsys, tmp_path):
    rc, _, err = run(capsys, *SCAN, "--csv", str(tmp_path / "e.csv"), "--serial", "--no-cache")
    assert rc == 0 and len((tmp_path / "e.csv").read_text().splitlines()) == 4 and "wrote 3 rows" in err


# ---- parameters ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, word", [
    (["energy", "frsb", "--alpha", "6", "--progress", "maybe"], "--progress must be true or false"),
    (["threshold", "frsb", "--k", "5", "--k", "6"], "--k given twice"),
    (["threshold", "frsb", "--k", "five"], "--k must be an integer"),
    (["threshold", "frsb", "--bracket", "6,x"], "comma-separated numbers"),
    (["energy", "rs", "--alpha", "6", "--alpha", "7"], "given twice"),
    (["threshold", "rs", "--digits", "20", "--digits", "30"], "given twice"),
    (["energy", "rs", "--alpha", "nan"], "finite"),
    (["energy", "rs"], "--alpha"),
    (["threshold", "nope"], "unknown method"),
    (["threshold", "rs", "--bogus", "1"], "bogus"),
    (["threshold", "rs", "stray"], "unexpected"),
    (["scan", "dat", "--alpha-min", "3", "--alpha-max", "4", "--num", "2"], "has no energy"),
    (["scan", "rs", "--alpha-min", "3", "--alpha-max", "4", "--num", "2", "--serial", "--workers", "2"],
     "not allowed with"),
    (["nonsense"], "invalid choice"),
    (["energy", "frsb", "--alpha", "1e6"], "alpha must be <= 100"),      # used to ask for 138 GiB
    (["energy", "frsb", "--alpha", "1000"], "alpha must be <= 100"),     # used to run for hours
    (["energy", "frsb", "--alpha", "6", "--xmax", "100"], "xmax must be <= 30"),   # grid enlarged 6 times
    (["threshold", "frsb", "--xmax", "100"], "xmax must be <= 30"),
])
def test_bad_parameters_one_line_exit_2(capsys, argv, word):
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and out == "" and word in one_line(err)


def test_parameters_are_typed_by_the_method_defaults():
    from relu_injectivity.interfaces.cli.args import method_params

    defaults = registry.parameters("frsb", "threshold")
    got = method_params(["--k", "5", "--progress", "yes", "--bracket", "6.5,7", "--backend=cpu", "--tol", "1e-6"],
                        defaults)
    assert got == {"k": 5, "progress": True, "bracket": (6.5, 7), "backend": "cpu", "tol": 1e-6}
    assert method_params(["--xmax", "10"], defaults) == {"xmax": 10} and isinstance(
        method_params(["--xmax", "10"], defaults)["xmax"], int)  # an int where a float is expected is fine


def test_parameters_of_an_unknown_kind_raise():
    with pytest.raises(ValueError, match="unknown kind 'foo'; allowed: threshold, energy"):
        registry.parameters("rs", "foo")


# ---- errors of the methods: one line ------------------------------------------------------------------------

@pytest.mark.parametrize("fail, rc, word", [("value", 2, "alpha too large for this stand-in"),
                                            ("memory", 2, "out of memory"),
                                            ("converge", 1, "did not converge")])
def test_method_errors_are_one_line(capsys, fail, rc, word):
    got, out, err = run(capsys, "energy", "stand-in", "--alpha", "6", "--fail", fail)
    assert got == rc and out == "" and word in one_line(err)


def test_json_never_contains_nan_or_infinity(capsys):
    def strict(text):
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"JSON contains {c}"))

    rc, out, _ = run(capsys, "energy", "stand-in", "--alpha", "6", "--error", "nan", "--json")
    d = strict(out)
    assert rc == 0 and d["error"] is None and d["diagnostics"]["chi"] is None and d["diagnostics"]["q"] == [None, 1.0]
    rc, out, _ = run(capsys, "scan", "stand-in", "--alpha-min", "1", "--alpha-max", "2", "--num", "2", "--error", "inf",
                     "--json", "--serial", "--no-cache")
    assert rc == 0 and [p["error"] for p in strict(out)["points"]] == [None, None]
    rc, out, _ = run(capsys, "energy", "stand-in", "--alpha", "6", "--error", "nan")
    assert rc == 0 and "± ?" in out


# ---- injectivity all: rows as they come, a failure in its row -----------------------------------------------

def test_all_prints_each_row_when_computed_and_survives_a_failure(capsys, monkeypatch):
    fake = {"first": Method(__name__, "ok", {}, how={"threshold": "exact"}),
            "broken": Method(__name__, "fails", {"fail": "yes"}),
            "last": Method(__name__, "ok again", {}),
            "skipped": Method(__name__, "not in the main job", None)}
    monkeypatch.setattr(registry, "METHODS", fake)
    rc, out, err = run(capsys, "all")
    lines = out.splitlines()
    assert rc == 1 and len(lines) == 7, out
    assert lines[0].startswith("method")
    assert lines[1] == "computing stand-in fail=''" and lines[2].startswith("first")
    assert "5.0 ± 1.0e-09 (exact)" in lines[2] and lines[2].rstrip().endswith("ok")
    assert lines[3] == "computing stand-in fail='yes'"
    assert lines[4].startswith("broken") and "FAILED: ConvergenceError: no root in the bracket" in lines[4]
    assert lines[5] == "computing stand-in fail=''" and lines[6].startswith("last")
    assert "(two routes)" in lines[6]  # no `how` in the registry: the first clause of error_method
    assert "1 method(s) failed" in err and "Traceback" not in err
    rc, out, _ = run(capsys, "all", "--json")
    rows = json.loads(out.split("\n", 3)[-1])
    assert rc == 1 and [r["method"] for r in rows] == ["stand-in", "broken", "stand-in"]
    assert "no root" in rows[1]["failure"] and all(r["time_s"] >= 0 for r in rows)


# ---- help ---------------------------------------------------------------------------------------------------

def test_threshold_help_lists_parameters_and_digits_ranges(capsys, tmp_path, monkeypatch):
    (tmp_path / "ranged_method.py").write_text(textwrap.dedent("""
        DIGITS = (20, 60)
        def threshold(*, digits=None, steps=4):
            pass
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(METHODS, "ranged", Method("ranged_method", "test"))
    rc, out, _ = run(capsys, "threshold", "--help")
    assert rc == 0
    assert "--name value" in out and "--digits 20..60" in out and "--steps 4" in out
    lo, hi = validate.DIGITS_RANGE
    assert f"rs               --digits {lo}..{hi}" in out and "--k 30" in out and "--bracket 6.0,7.0" in out


def test_scan_help_lists_only_methods_with_energies(capsys):
    rc, out, _ = run(capsys, "scan", "--help")
    assert rc == 0
    listed = [ln.split()[0] for ln in out.split("--digits range:")[1].splitlines()
              if ln.startswith("  ") and not ln.startswith("   ")]
    assert "rs" in listed and "frsb" in listed and "dat" not in listed and "euler" not in listed
    assert "--workers" in out and "--no-cache" in out and "--blocks" in out and "--skip-failures" in out


# ---- the installed command and Ctrl-C -----------------------------------------------------------------------

@pytest.mark.parametrize("argv, word", [(["threshold", "rs", "--k", "5", "--k", "6"], "given twice"),
                                        (["energy", "rs", "--alpha", "1e999"], "finite"),
                                        (["threshold"], "METHOD")])
def test_installed_command_one_line(argv, word):
    r = subprocess.run([str(INJECTIVITY), *argv], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stdout == "" and word in one_line(r.stderr)


SLOW_METHOD = '''
import time
from relu_injectivity.machinery.results import EnergyResult

def energy(alpha, *, delay=2.0):
    time.sleep(delay)
    return EnergyResult("slow", float(alpha), float(alpha), 0.0, "exact", {}, {})
'''
RUN_SLOW = '''
import signal
import sys
signal.signal(signal.SIGINT, signal.default_int_handler)   # a parent started in the background (no job control)
                                                           # hands SIGINT down ignored; a terminal would not
from relu_injectivity.methods.registry import METHODS, Method
from relu_injectivity.interfaces.cli.main import main
METHODS["slow"] = Method("slow_method", "slow test method", None)
sys.exit(main(sys.argv[1:]))
'''


@pytest.mark.parametrize("how", [["--serial"], ["--workers", "2"]])
def test_ctrl_c_during_a_scan(tmp_path, how):
    (tmp_path / "slow_method.py").write_text(SLOW_METHOD)
    (tmp_path / "run_slow.py").write_text(RUN_SLOW)
    store = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    p = subprocess.Popen([sys.executable, str(tmp_path / "run_slow.py"), "scan", "slow", "--alpha-min", "1",
                          "--alpha-max", "40", "--num", "40", "--cache-dir", str(store), *how],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list(store.rglob("*.json"))) < 2 and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    out, err = p.communicate(timeout=60)     # the scan (80 s of work) stops instead of running on
    n = len(list(store.rglob("*.json")))
    assert p.returncode == 130 and one_line(err) == f"injectivity: interrupted; {n} of 40 points stored " \
                                                      "(a rerun computes only the rest)"
    assert 2 <= n < 40
