"""Results store: lossless round trip, reuse of identical requests, new keys for changed equations, and corrupt or
foreign files ignored with a warning (never served)."""
import functools
import json
import math
import shutil
from pathlib import Path

import mpmath
import numpy as np
import pytest

import relu_injectivity as ri
from relu_injectivity.methods import rs as rs_module
from relu_injectivity.workflow import store as store_mod
from relu_injectivity.machinery.results import ThresholdResult
from relu_injectivity.workflow.store import Store, StoreWarning


@pytest.fixture
def counted(monkeypatch):
    """rs_module.energy / threshold wrapped with call counters."""
    calls = {"energy": 0, "threshold": 0}

    def wrap(kind):
        fn = getattr(rs_module, kind)

        @functools.wraps(fn)
        def w(*a, **k):
            calls[kind] += 1
            return fn(*a, **k)

        monkeypatch.setattr(rs_module, kind, w)

    wrap("energy")
    wrap("threshold")
    return calls


@pytest.fixture
def st(tmp_path):
    return Store(tmp_path / "store")


def test_values_round_trip_exactly():
    with mpmath.workdps(60):
        third = mpmath.mpf(1) / 3
    values = {"mpf": third, "neg": -mpmath.mpf("2.5"), "zero": mpmath.mpf(0), "mpinf": mpmath.inf,
              "inf": math.inf, "nan": math.nan, "tuple": (1, 2.5, "a"), "list": [1.0, [2, None]],
              "array": np.arange(6.0).reshape(2, 3), "npf": np.float64(0.1), "npi": np.int64(7), "bool": True}
    back = store_mod.decode(json.loads(json.dumps(store_mod.encode(values))))
    assert back["mpf"]._mpf_ == third._mpf_ and back["neg"] == -2.5 and back["zero"] == 0
    assert back["mpinf"] == mpmath.inf and back["inf"] == math.inf and math.isnan(back["nan"])
    assert back["tuple"] == (1, 2.5, "a") and back["list"] == [1.0, [2, None]]
    assert back["array"].shape == (2, 3) and np.array_equal(back["array"], values["array"])
    assert back["npf"] == 0.1 and back["npi"] == 7 and back["bool"] is True
    with pytest.raises(TypeError, match="cannot store"):
        store_mod.encode({"f": object()})


@pytest.mark.parametrize("digits", [None, 40])
def test_results_round_trip(st, digits):
    e = ri.energy("rs", 6.0, digits=digits)
    t = ri.threshold("rs", digits=digits)
    for r in (e, t):
        back = store_mod.result_from_json(json.loads(json.dumps(store_mod.result_to_json(r))))
        assert type(back) is type(r) and back == r
        assert str(back) == str(r) and back.to_dict() == r.to_dict()
    e0 = ri.energy("rs", 1.5)  # chi = inf in diagnostics
    assert store_mod.result_from_json(store_mod.result_to_json(e0)).diagnostics["chi"] == math.inf


def test_same_request_is_served_from_the_store(st, counted):
    a = st.energy("rs", 6.0)
    b = st.energy("rs", 6)                 # 6 == 6.0
    c = st.energy("rs", 6.0, digits=None)  # defaults are part of the request
    assert counted["energy"] == 1 and a == b == c
    d = st.energy("rs", 6.0, digits=30)
    assert counted["energy"] == 2 and isinstance(d.energy, mpmath.mpf)
    assert st.energy("rs", 6.0, digits=30).energy == d.energy and counted["energy"] == 2
    st.energy("rs", 6.5)
    assert counted["energy"] == 3
    t = st.threshold("rs")
    assert st.threshold("rs") == t and counted["threshold"] == 1
    assert Store(st.root).threshold("rs") == t and counted["threshold"] == 1  # a new process sees it too


def test_changed_equations_or_version_give_new_keys(st, counted, monkeypatch):
    st.energy("rs", 6.0)
    monkeypatch.setattr(store_mod, "kernels_hash", lambda: "0" * 64)
    st.energy("rs", 6.0)
    assert counted["energy"] == 2
    monkeypatch.setattr(store_mod, "package_version", lambda: "9.9.9")
    st.energy("rs", 6.0)
    assert counted["energy"] == 3
    monkeypatch.setattr(store_mod, "solver_hash", lambda method: "f" * 64)
    st.energy("rs", 6.0)
    assert counted["energy"] == 4


def test_key_contains_version_kernels_and_solver():
    req = store_mod.request("energy", "rs", 6, {})
    assert req["version"] == store_mod.package_version() and req["params"] == {"digits": None}
    assert len(req["kernels"]) == 64 and len(req["solver"]) == 64 and req["alpha"] == 6.0
    assert store_mod.kernels_hash() != store_mod.solver_hash("rs")


def _only_file(st):
    files = list(st.root.rglob("*.json"))
    assert len(files) == 1
    return files[0]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "edited_value", "foreign_format",
                                    "other_request", "wrong_type"])
def test_corrupt_or_foreign_files_are_ignored_with_a_warning(st, counted, damage, tmp_path):
    good = st.energy("rs", 6.0)
    p = _only_file(st)
    text = p.read_text()
    doc = json.loads(text)
    if damage == "garbage":
        p.write_bytes(b"\x00\xff not json")
    elif damage == "truncated":
        p.write_text(text[: len(text) // 2])
    elif damage == "empty":
        p.write_text("")
    elif damage == "edited_value":
        doc["result"]["energy"] = "0.5"
        p.write_text(json.dumps(doc))
    elif damage == "foreign_format":
        p.write_text(json.dumps({"energy": 0.5, "alpha": 6.0}))
    elif damage == "other_request":  # a valid file of another alpha, copied under this key
        other = Store(tmp_path / "other")
        other.energy("rs", 7.0)
        shutil.copy(_only_file(other), p)
    elif damage == "wrong_type":
        doc["result"] = store_mod.result_to_json(ri.threshold("rs"))
        doc["result_sha256"] = store_mod._checksum(doc["result"])
        p.write_text(json.dumps(doc))
    with pytest.warns(StoreWarning, match="ignoring"):
        again = st.energy("rs", 6.0)
    calls = 3 if damage == "other_request" else 2
    assert (again.energy, again.error) == (good.energy, good.error) and counted["energy"] == calls
    assert st.energy("rs", 6.0) == again and counted["energy"] == calls  # the recomputed result replaced the bad file


def test_entries_lists_good_results_and_warns_about_others(st):
    st.energy("rs", 6.0)
    st.threshold("rs")
    bad = st.root / "v1" / "energy" / "rs" / ("0" * 64 + ".json")
    bad.write_text("{}")
    (st.root / "v1" / "energy" / "rs" / "notes.txt").write_text("not a result")  # not *.json: never read
    with pytest.warns(StoreWarning, match="ignoring"):
        found = list(st.entries())
    kinds = sorted(type(r).__name__ for _, r in found)
    assert kinds == ["EnergyResult", "ThresholdResult"]
    assert [type(r) for _, r in st.entries(kind="threshold")] == [ThresholdResult]


def test_no_partial_files_on_failed_write(st, monkeypatch):
    r = ri.energy("rs", 6.0)
    req = store_mod.request("energy", "rs", 6.0, {})

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(store_mod.os, "replace", boom)
    with pytest.raises(OSError):
        st.put(req, r)
    assert not [p for p in st.root.rglob("*") if p.is_file()]
    with pytest.warns(StoreWarning, match="not saving"):
        assert st.save(req, r) is None


def test_default_root_and_store_arguments(tmp_path, monkeypatch):
    monkeypatch.setenv("INJECTIVITY_CACHE", str(tmp_path / "env"))
    assert Store().root == tmp_path / "env"
    assert store_mod.as_store(None).root == tmp_path / "env"
    assert store_mod.as_store(False) is None
    assert store_mod.as_store(tmp_path / "x").root == tmp_path / "x"
    monkeypatch.delenv("INJECTIVITY_CACHE")
    assert "relu-injectivity" in str(Store().root)
    with pytest.raises(TypeError, match="store must be"):
        store_mod.as_store(3)
    r = store_mod.cached_energy("rs", 6.0, store=tmp_path / "c")
    assert store_mod.cached_energy("rs", 6.0, store=tmp_path / "c") == r
    assert store_mod.cached_threshold("rs", store=False).alpha == ri.threshold("rs").alpha


def test_bad_requests_raise(st):
    with pytest.raises(TypeError, match="unknown parameter"):
        st.energy("rs", 6.0, k=3)
    with pytest.raises(ValueError, match="unknown method"):
        st.energy("nope", 6.0)
    with pytest.raises(TypeError, match="alpha must be a real"):
        st.energy("rs", "6")
    with pytest.raises(ValueError, match="alpha"):
        st.energy("rs", -1.0)
    with pytest.raises(ValueError, match="unknown kind"):
        store_mod.request("energies", "rs", 6.0)
    assert not list(st.root.rglob("*.json"))


def test_solver_hash_follows_the_imports_of_the_solver(tmp_path, monkeypatch):
    from relu_injectivity.methods.registry import METHODS, Method

    pkg = tmp_path / "fake_solver_pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "solver.py").write_text("from fake_solver_pkg import helper\nfrom .sub import inner\n"
                                   "def energy(alpha):\n    return helper.f(alpha)\n")
    (pkg / "helper.py").write_text("def f(a):\n    return a\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "inner.py").write_text("X = 1\n")
    (pkg / "unrelated.py").write_text("Y = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(METHODS, "fake-pkg", Method("fake_solver_pkg.solver", "test"))
    found = [f.relative_to(pkg).as_posix() for f in store_mod.solver_files("fake_solver_pkg.solver")]
    assert found == ["__init__.py", "helper.py", "solver.py", "sub/__init__.py", "sub/inner.py"]
    h0 = store_mod.solver_hash("fake-pkg")
    (pkg / "unrelated.py").write_text("Y = 22\n")
    assert store_mod.solver_hash("fake-pkg") == h0
    (pkg / "helper.py").write_text("def f(a):\n    return 2 * a\n")
    h1 = store_mod.solver_hash("fake-pkg")
    (pkg / "sub" / "inner.py").write_text("X = 22\n")
    assert len({h0, h1, store_mod.solver_hash("fake-pkg"), store_mod.solver_hash("rs")}) == 4
    rs_files = {f.name for f in store_mod.solver_files("relu_injectivity.methods.rs")}
    assert {"rs.py", "kernels.py", "quadrature.py", "roots.py"} <= rs_files
    assert not rs_files & {"scan.py", "store.py", "codec.py", "sources.py", "main.py", "figures.py"}


def test_kernel_hash_covers_the_full_generated_text(tmp_path):
    """A printer or codegen change (same expressions, other code or header) must change the key."""
    from relu_injectivity.workflow import sources

    f = tmp_path / "x_numba.py"
    g = tmp_path / "x_mpmath.py"
    f.write_text('# codegen 1, SymPy 1.13\nEXPRESSIONS_SHA256 = "' + "a" * 64 + '"\ndef k(x):\n    return x\n')
    g.write_text("def k(x):\n    return x\n")
    h0 = sources._kernels_hash(sources._stamp([f, g]))
    f.write_text(f.read_text().replace("SymPy 1.13", "SymPy 1.14"))  # header only
    h1 = sources._kernels_hash(sources._stamp([f, g]))
    g.write_text("def k(x):\n    return 1.0 * x\n")                   # another target's printer
    h2 = sources._kernels_hash(sources._stamp([f, g]))
    assert len({h0, h1, h2}) == 3
    import relu_injectivity.generated as gen

    installed = {p.name for d in gen.__path__ for p in Path(d).glob("*.py")}
    assert any(n.endswith("_mpmath.py") for n in installed) and any(n.endswith("_cupy.py") for n in installed)


def test_store_check_and_one_warning_per_store(tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    with pytest.raises(ValueError, match="is not a directory"):
        Store(f).check()
    st = Store(tmp_path / "ok").check()
    assert st.root.is_dir()
    bad = Store(tmp_path / "ok")
    bad.root = f / "sub"  # cannot be created: every save fails
    r = ri.energy("rs", 6.0)
    with pytest.warns(StoreWarning) as rec:
        for a in (6.0, 6.5, 7.0):
            assert bad.save(store_mod.request("energy", "rs", a, {}), r) is None
    assert len(rec) == 1
