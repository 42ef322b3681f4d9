"""The suite tests what users install: ``relu_injectivity`` must come from site-packages, not from this checkout.

Set INJECTIVITY_TEST_SOURCE=1 to run it against an editable install while developing."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import relu_injectivity

ROOT = Path(__file__).resolve().parent.parent
INSTALLED = Path(relu_injectivity.__file__).resolve().parent


def pytest_report_header(config):
    return f"relu_injectivity imported from {INSTALLED}"


def pytest_sessionstart(session):
    if INSTALLED == (ROOT / "numerics").resolve() and os.environ.get("INJECTIVITY_TEST_SOURCE") != "1":
        raise pytest.UsageError(f"relu_injectivity was imported from the checkout ({INSTALLED}), not from an installed "
                                "wheel; run `pip install .` (or set INJECTIVITY_TEST_SOURCE=1 for an editable install)")


@pytest.fixture(scope="session")
def regenerated(tmp_path_factory):
    """generated/ as `python -m derive` prints it from the checkout's derive/, produced once per test session (the
    slowest step of the suite) in a subprocess with PYTHONHASHSEED=12345; returns the output directory."""
    out = tmp_path_factory.mktemp("regenerated")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, "-m", "derive", "--out", str(out)], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return out
