"""The suite tests what users install: ``relu_injectivity`` must come from site-packages, not from this checkout.

Set INJECTIVITY_TEST_SOURCE=1 to run it against an editable install while developing."""
import os
from pathlib import Path

import pytest

import relu_injectivity

ROOT = Path(__file__).resolve().parent.parent
INSTALLED = Path(relu_injectivity.__file__).resolve().parent


def pytest_report_header(config):
    return f"relu_injectivity imported from {INSTALLED}"


def pytest_sessionstart(session):
    if ROOT in INSTALLED.parents and os.environ.get("INJECTIVITY_TEST_SOURCE") != "1":
        raise pytest.UsageError(f"relu_injectivity was imported from the checkout ({INSTALLED}), not from an installed "
                                "wheel; run `pip install .` (or set INJECTIVITY_TEST_SOURCE=1 for an editable install)")
