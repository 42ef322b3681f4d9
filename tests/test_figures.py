"""Figures: the quick set is generated from the registered methods (PNG + PDF, titles, labels, legends, the RS
curve and threshold where they belong), and the RSB / Euler panels are exercised with stand-in methods so that
their layout is tested whether or not the real solvers are registered."""
import sys
import types

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import relu_injectivity as ri  # noqa: E402
from relu_injectivity.interfaces.cli import main as cli
from relu_injectivity.workflow import figures  # noqa: E402
from relu_injectivity.methods.registry import METHODS, Method  # noqa: E402
from relu_injectivity.machinery.results import EnergyResult, ThresholdResult  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::relu_injectivity.workflow.figures.FigureNote")
EXPECTED = [f"{n}.{e}" for n in figures.NAMES for e in ("png", "pdf")]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    store = tmp_path_factory.mktemp("store")
    paths, notes = figures.make_figures(out, quick=True, store=store)
    return out, store, paths, notes


def test_quick_set_is_written(quick):
    out, _, paths, notes = quick
    assert sorted(p.name for p in paths) == sorted(EXPECTED)
    for p in paths:
        head = p.read_bytes()[:8]
        assert head.startswith(b"\x89PNG" if p.suffix == ".png" else b"%PDF") and p.stat().st_size > 10_000, p
    for n in notes:  # at quick settings nothing may fail; only methods that do not exist yet are left out
        assert "registered" in n, n
    for m in ("one-rsb", "frsb", "euler"):
        assert (m in METHODS) != any(n.startswith(f"{m}:") for n in notes), (m, notes)


def _lines(ax):
    return {ln.get_label(): ln for ln in ax.get_lines()}


def _labelled(fig):
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    return ax


def test_energy_figure_content(quick):
    _, store, _, _ = quick
    d = figures.Data(figures.QUICK, store=store, executor="serial")
    ax = _labelled(figures.figure_energy(d))
    lines = _lines(ax)
    rs = lines["RS"]
    x, y = rs.get_data()
    assert list(x) == list(figures.QUICK.rs_alphas)
    assert y[10] == ri.energy("rs", x[10]).energy
    t = ri.threshold("rs").alpha
    marker = next(ln for lbl, ln in lines.items() if lbl.startswith("RS: "))
    assert marker.get_data()[0][0] == t and marker.get_data()[1][0] == 1.0
    assert "e^* = 1" in "".join(lines) and any("dAT" in lbl for lbl in lines)
    assert ax.get_legend() is not None
    for m, label in (("one-rsb", "1-RSB"), ("frsb", "FRSB $k=2$")):
        assert (label in lines) == (m in METHODS)
    assert d.scan("rs", figures.QUICK.rs_alphas).computed == 0  # everything came from the store


def test_overlap_figure_from_the_registered_solvers(quick):
    _, store, _, _ = quick
    d = figures.Data(figures.QUICK, store=store, executor="serial")
    ax = _labelled(figures.figure_overlap(d))
    lines = _lines(ax)
    if "one-rsb" in METHODS:
        r = ri.energy("one-rsb", figures.QUICK.q_alpha)
        (line,) = [ln for lbl, ln in lines.items() if lbl.startswith("1-RSB")]
        assert list(line.get_data()[1][:2]) == [r.diagnostics["q0"]] * 2
    if "frsb" not in METHODS:
        pytest.skip("frsb not registered yet")
    for k in figures.QUICK.q_ks:
        x, q = lines[f"FRSB $k={k}$, $x_{{max}}$ = 10"].get_data()
        assert np.all(np.diff(q) >= -1e-12) and 0 < q[0] < 1 and q[-1] == 1.0 and x[-2] == 10.0


# ---- stand-in RSB / Euler methods (in-process modules; serial executor) ---------------------------------------

def _fake_modules():
    def t_k(k):
        return 6.69 + 0.04 / k

    frsb = types.ModuleType("fake_frsb")

    def frsb_energy(alpha, *, k=30, xmax=10.0, init=None, progress=False):
        q = list(np.linspace(0.7, 0.99, k)) + [1.0]
        return EnergyResult("frsb", float(alpha), float(alpha) / t_k(k), 1e-6, "stand-in", {"k": k},
                            {"q": q, "x": list(np.linspace(0.01, xmax, k)), "chi": 0.03})

    def frsb_threshold(*, k=30, xmax=10.0):
        return ThresholdResult("frsb", t_k(k), 1e-4, "stand-in", {"k": k})

    def extrapolate(results):
        return ThresholdResult("frsb", 6.69, 1e-3, "stand-in extrapolation", {})

    frsb.energy, frsb.threshold, frsb.extrapolate = frsb_energy, frsb_threshold, extrapolate
    rsb = types.ModuleType("fake_one_rsb")
    rsb.energy = lambda alpha, *, digits=None: EnergyResult("one-rsb", float(alpha), float(alpha) / 6.7157, 1e-9,
                                                             "stand-in", {}, {"c": 3.49, "q0": 0.776})
    rsb.threshold = lambda *, digits=None: ThresholdResult("one-rsb", 6.7157, 1e-7, "stand-in", {})
    eu = types.ModuleType("fake_euler")
    eu.energy = lambda alpha: EnergyResult("euler", float(alpha), 0.1 * (float(alpha) - 8.3446), 1e-12, "stand-in")
    eu.threshold = lambda: ThresholdResult("euler", 8.3446, 1e-10, "stand-in")
    return {"frsb": frsb, "one-rsb": rsb, "euler": eu}


@pytest.fixture
def fakes(monkeypatch):
    for name, mod in _fake_modules().items():
        monkeypatch.setitem(sys.modules, mod.__name__, mod)
        monkeypatch.setitem(METHODS, name, Method(mod.__name__, f"stand-in {name}", None))
    return figures.Data(figures.QUICK, store=False, executor="serial")


def test_rsb_curves_thresholds_and_zoom(fakes):
    fig = figures.figure_energy(fakes)
    ax = _labelled(fig)
    lines = _lines(ax)
    assert {"RS", "1-RSB", "FRSB $k=2$", "FRSB $k=4$"} <= set(lines)
    assert any(lbl.startswith("1-RSB: $\\alpha_{inj}$ = 6.7157") for lbl in lines)
    assert len(fig.axes[0].child_axes) == 1  # the zoom on e* = 1
    assert not fakes.notes


def test_overlap_figure_steps(fakes):
    ax = _labelled(figures.figure_overlap(fakes))
    lines = _lines(ax)
    x, q = lines["FRSB $k=4$, $x_{max}$ = 10"].get_data()
    assert np.all(np.diff(q) >= 0) and q[0] == pytest.approx(0.7) and q[-1] == 1.0 and x[0] == 0
    x1, q1 = lines["1-RSB ($c$ = 3.490)"].get_data()
    assert list(q1) == [0.776, 0.776, 1.0, 1.0] and list(x1[:3]) == [0.0, 3.49, 3.49]


def test_threshold_against_one_over_k(fakes):
    ax = _labelled(figures.figure_threshold_k(fakes))
    labels = ax.get_legend_handles_labels()[1]
    assert "FRSB, $k$ steps" in labels
    assert any(lbl.startswith("1-RSB (optimised $c$): 6.7157") for lbl in labels)
    pts = ax.containers[0].lines[0].get_data()
    assert list(pts[0]) == [1 / k for k in figures.QUICK.threshold_ks]
    assert list(pts[1]) == pytest.approx([6.69 + 0.04 / k for k in figures.QUICK.threshold_ks])


def test_ladder_figure_with_the_real_extrapolation():
    """The ladder figure from synthetic rungs with a known limit, through the real fit (methods/rsb/limit.py)."""
    from relu_injectivity.methods.rsb import Ladder
    from relu_injectivity.methods.rsb.limit import extrapolate
    from relu_injectivity.workflow.figures_ladder import plot_ladder

    r = np.arange(1, 9)
    a = 6.6979 + 0.018 * r ** -3.0
    rows = [{"r": int(k), "value": float(v), "error": 1e-10, "breakpoints": list(np.geomspace(2.5, 2.5 * 1.6 ** (k - 1), k)),
             "q": list(np.linspace(0.7, 0.99, k)) + [1.0]} for k, v in zip(r, a)]
    lim = extrapolate(r, a, [1e-10] * len(r))
    assert abs(lim.limit - 6.6979) <= max(lim.error, 1e-9)
    fig = plot_ladder(Ladder("threshold", None, rows, lim, 0.0))
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any(lbl.startswith("$r \\to \\infty$: 6.697900") for lbl in labels)
    assert len(fig.axes[1].get_lines()) == len(rows)


def test_euler_figure(fakes):
    ax = _labelled(figures.figure_euler(fakes))
    lines = _lines(ax)
    marker = next(ln for lbl, ln in lines.items() if "Euler" in lbl)
    assert marker.get_data()[0][0] == 8.3446
    rate = next(ln for lbl, ln in lines.items() if lbl.startswith("rate"))
    assert list(rate.get_data()[0]) == list(figures.QUICK.euler_alphas)


def test_steps_helper():
    x, q = figures.figures_ladder.steps([0.2, 0.5, 1.0], [1.0, 3.0], 5.0)
    assert list(x) == [0, 1, 1, 3, 3, 5] and list(q) == [0.2, 0.2, 0.5, 0.5, 1.0, 1.0]


def test_cli_figures(quick, tmp_path, capsys):
    _, store, _, _ = quick
    assert cli.main(["figures", "--quick", "--only", "energy", "--out", str(tmp_path), "--cache-dir", str(store),
                     "--serial"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["energy.pdf", "energy.png"]
    assert "2 files" in capsys.readouterr().err
    assert cli.main(["figures", "--only", "nope", "--out", str(tmp_path)]) == 2


def test_output_directory_is_checked_before_computing(tmp_path):
    f = tmp_path / "a-file"
    f.write_text("keep")
    with pytest.raises(ValueError, match="not a directory"):
        figures.make_figures(f, quick=True, store=tmp_path / "s")
    with pytest.raises(ValueError, match="cannot write"):
        figures.make_figures("/proc/no-figures-here", quick=True, store=tmp_path / "s")
    assert f.read_text() == "keep" and not (tmp_path / "s").exists()
