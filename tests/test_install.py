"""The wheel is the product: every module of the source tree is installed, under one import name."""
from importlib.metadata import distributions
from pathlib import Path

import relu_injectivity

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"numerics": "relu_injectivity", "derive": "relu_injectivity/derive",
           "generated": "relu_injectivity/generated"}


def _record():
    """Files of the installed distribution (looked up next to the imported package, not in the checkout's
    egg-info that `pip install .` leaves behind)."""
    site = str(Path(relu_injectivity.__file__).resolve().parent.parent)
    dist = next(d for d in distributions(path=[site]) if d.metadata["Name"] == "relu-injectivity")
    return [str(f) for f in dist.files]


def test_every_source_module_is_in_the_wheel():
    installed = set(_record())
    missing = []
    for folder, target in FOLDERS.items():
        for f in (ROOT / folder).rglob("*.py"):
            rel = f.relative_to(ROOT / folder).as_posix()
            if "__pycache__" not in rel and f"{target}/{rel}" not in installed:
                missing.append(f"{folder}/{rel}")
    assert not missing, f"modules missing from the installed wheel: {missing}"


def test_one_top_level_import_name():
    tops = {f.split("/")[0] for f in _record() if not f.startswith("..")}
    tops = {t for t in tops if not t.endswith(".dist-info")}
    assert tops == {"relu_injectivity"}, tops


def test_console_script_is_installed():
    assert any(f.endswith("bin/injectivity") for f in _record())
