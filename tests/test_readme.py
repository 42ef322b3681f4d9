"""The README works as pasted: its Python snippets run verbatim from a script file (no ``__main__`` guard) and at an
emulated interactive prompt (``code.InteractiveConsole``, expression values echoed with their repr), and its two
set-up commands are the ones CI runs."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

CONSOLE = r'''
import code, sys
source = open(sys.argv[1]).read()
failed = []

class Console(code.InteractiveConsole):
    def showtraceback(self):
        failed.append(sys.exc_info()[1])
        super().showtraceback()

    def showsyntaxerror(self, filename=None, **kw):
        failed.append(sys.exc_info()[1])
        super().showsyntaxerror(filename)

console = Console()
for line in source.splitlines():
    print(">>>", line, flush=True)
    console.push(line)
console.push("")
sys.exit(1 if failed else 0)
'''


def snippets() -> str:
    blocks = re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.S | re.M)
    assert blocks, "no ```python block in README.md"
    return "\n".join(blocks)


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    d = tmp_path_factory.mktemp("readme")
    (d / "snippets.py").write_text(snippets())
    (d / "console.py").write_text(CONSOLE)
    return d


def _run(paths, *argv):
    env = {**__import__("os").environ, "INJECTIVITY_CACHE": str(paths / "store")}
    return subprocess.run([sys.executable, *argv], cwd=paths, capture_output=True, text=True, env=env, timeout=600)


def test_snippets_run_as_a_plain_script(paths):
    """No ``if __name__ == "__main__":`` in the README: ``ri.scan`` must not make its workers re-run the script."""
    r = _run(paths, "snippets.py")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr and "rs: alpha = 7.64769493543527981692878702472260095170584569" in r.stdout


def test_snippets_run_at_the_interactive_prompt(paths):
    """Echoed values must have a repr that prints (Python refuses ints of more than 4300 digits)."""
    r = _run(paths, "-c", (paths / "console.py").read_text(), "snippets.py")
    assert r.returncode == 0 and "Traceback" not in r.stderr, (r.stdout[-2000:], r.stderr[-3000:])
    echoed = r.stdout.split(">>> euler_characteristic(16000, 2000)", 1)[1].split(">>>", 1)[0]
    assert re.search(r"<ExactFraction ~ 7\.5367680631243\d*e\+104: numerator 4915 digits, denominator 4810 digits",
                     echoed), echoed
    assert "ThresholdResult(" in r.stdout and "((5.5, 6.0, 6.5), array([" in r.stdout


def test_two_setup_commands_are_the_ones_ci_runs():
    text = README.read_text()
    setup = text.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = [ln.strip() for ln in setup.splitlines() if ln.startswith("    ") and ln.strip()]
    assert len(commands) == 2, commands
    main, tests = commands
    ci = (ROOT / ".ci" / "run").read_text()
    assert tests in ci.splitlines()
    assert main.startswith("python3 -m venv .venv && .venv/bin/pip install ") and main.endswith("injectivity all")
    assert "python3 -m venv .venv && .venv/bin/pip install" in ci and "/.venv/bin/injectivity\" all" in ci


def test_readme_names_every_command_and_scan_option():
    text = README.read_text()
    from relu_injectivity.interfaces.cli import main as cli

    ap, sub = cli._parser()
    for ext in cli._extensions():
        ext.add_parser(sub)
    for name in sub.choices:
        assert f"injectivity {name}" in text, name
    for opt in ("--workers", "--serial", "--cache-dir", "--no-cache", "--blocks", "--skip-failures"):
        assert f"`{opt}" in text, opt
    for extra in ("[gpu]", "[plot]", "[dask]", "[test]"):
        assert extra in text
