"""Figures: the quick set is generated from the registered methods (PNG + PDF, titles, labels, legends, the RS
curve and threshold where they belong; the r-RSB thresholds with optimised breakpoints as plotted fall with r, below
1-RSB; the fixed-grid method is labelled "fixed grid", never "FRSB k"), and the RSB / Euler panels are exercised with
stand-in methods so that their layout is tested whether or not the real solvers are registered."""
import dataclasses
import re
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
    for m in ("one-rsb", "rsb", "frsb", "euler"):
        assert (m in METHODS) != any(n.startswith(f"{m}:") for n in notes), (m, notes)


def _lines(ax):
    return {ln.get_label(): ln for ln in ax.get_lines()}


def _labelled(fig):
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() + fig.axes[-1].get_xlabel() and ax.get_ylabel()
    return ax


FIXED_GRID_AS_RSB = re.compile(r"FRSB\s*\$?\s*k|k-step|FRSB, \$k\$")


def _texts(fig):
    """Every title, axis label and legend entry of a figure (insets included)."""
    out = []
    for ax in fig.axes + [c for a in fig.axes for c in a.child_axes]:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), *ax.get_legend_handles_labels()[1]]
    return out


def _no_fixed_grid_called_rsb(fig):
    texts = _texts(fig)
    bad = [t for t in texts if FIXED_GRID_AS_RSB.search(t)]
    assert not bad, bad
    return texts


@pytest.fixture(scope="module")
def data(quick):
    """One Data on the quick store for the tests below (the ladder is computed once, energies come from the store)."""
    return figures.Data(figures.QUICK, store=quick[1], executor="serial")


def test_energy_figure_content(data):
    fig = figures.figure_energy(data)
    ax = _labelled(fig)
    texts = _no_fixed_grid_called_rsb(fig)
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
    grid = figures.grid_label(figures.QUICK.grid_k, figures.QUICK.grid_xmax)
    for m, label in (("one-rsb", "1-RSB"), ("rsb", "2-RSB (optimised breakpoints)"), ("frsb", grid)):
        assert (label in lines) == (m in METHODS), label
    if "frsb" in METHODS:
        assert "fixed grid $k$ = 8" in grid and "authors' protocol" in grid and grid in texts
    if {"one-rsb", "rsb"} <= set(METHODS):
        # the chain: the 2-RSB threshold (optimised breakpoints) lies below 1-RSB, its energies above (lower panel)
        a = {lbl.split(":")[0]: ln.get_data()[0][0] for lbl, ln in lines.items() if "alpha_{inj}" in lbl}
        assert a["2-RSB (optimised breakpoints)"] < a["1-RSB"] < a["RS"]
        diff = _lines(fig.axes[1])["2-RSB (optimised breakpoints)"].get_data()[1]
        assert len(diff) == len(figures.QUICK.ladder_alphas) and np.all(diff > 0)
    assert data.scan("rs", figures.QUICK.rs_alphas).computed == 0  # everything came from the store
    assert data.scan("rsb", figures.QUICK.ladder_alphas, steps=2).computed == 0


def test_overlap_figure_from_the_registered_solvers(data):
    fig = figures.figure_overlap(data)
    ax = _labelled(fig)
    _no_fixed_grid_called_rsb(fig)
    lines = _lines(ax)
    a = figures.QUICK.q_alpha
    if "one-rsb" in METHODS:
        r = ri.energy("one-rsb", a)
        (line,) = [ln for lbl, ln in lines.items() if lbl.startswith("1-RSB")]
        assert list(line.get_data()[1][:2]) == [r.diagnostics["q0"]] * 2
    if "rsb" in METHODS:
        g = data.scan("rsb", [a], steps=2).results[0].diagnostics
        x, q = lines["2-RSB (optimised breakpoints)"].get_data()
        assert list(x[1:4:2]) == list(g["breakpoints"]) and np.all(np.diff(q) >= 0) and q[-1] == 1.0
    if "frsb" in METHODS:
        x, q = lines[figures.grid_label(figures.QUICK.grid_k, 10)].get_data()
        assert np.all(np.diff(q) >= -1e-12) and 0 < q[0] < 1 and q[-1] == 1.0 and x[-2] == 10.0


def test_threshold_figure_from_the_ladder(data):
    """alpha_r of the optimised-breakpoint ladder, as plotted: r = 1 is 1-RSB, then strictly decreasing, below 1-RSB;
    the fixed grid appears only as 'fixed grid' lines (estar root and functional root)."""
    fig = figures.figure_threshold_k(data)
    ax = _labelled(fig)
    texts = _no_fixed_grid_called_rsb(fig)
    if "rsb" not in METHODS:
        pytest.skip("rsb not registered")
    assert any("optimised breakpoints" in t for t in texts) and "optimised breakpoints" in ax.get_xlabel()
    alpha_r = np.array(ax.containers[0].lines[0].get_data()[1])
    assert len(alpha_r) == figures.QUICK.ladder_steps
    one = ri.threshold("one-rsb").alpha
    assert abs(alpha_r[0] - one) < 1e-9
    assert np.all(np.diff(alpha_r) < 0) and np.all(alpha_r[1:] < one)
    if "frsb" in METHODS:
        t = data.threshold("frsb", k=figures.QUICK.grid_threshold_ks[0], xmax=figures.QUICK.grid_xmax)
        grid = [lbl for lbl in texts if lbl.startswith("fixed grid $k$ = 8")]
        assert len(grid) == 2 and f"{t.alpha:.6f}" in grid[0] and "authors' protocol" in grid[0]
        assert f"{t.diagnostics['alpha_functional']:.6f}" in grid[1] and "upper bound" in grid[1]


# ---- stand-in RSB / Euler methods (in-process modules; serial executor) ---------------------------------------

def _fake_modules():
    def t_k(k):  # a fixed grid whose estar root lies above 1-RSB at small k, as linspace grids do
        return 6.69 + 0.1 / k

    def t_r(r):  # the optimised ladder: 1-RSB at r = 1, falling like r^-3
        return 6.698 + 0.0177 * r ** -3.0

    frsb = types.ModuleType("fake_frsb")

    def frsb_energy(alpha, *, k=30, xmax=10.0, init=None, progress=False):
        q = list(np.linspace(0.7, 0.99, k)) + [1.0]
        return EnergyResult("frsb", float(alpha), float(alpha) / t_k(k), 1e-6, "stand-in", {"k": k},
                            {"q": q, "x": list(np.linspace(0.01, xmax, k)), "chi": 0.03})

    def frsb_threshold(*, k=30, xmax=10.0):
        return ThresholdResult("frsb", t_k(k), 1e-4, "stand-in", {"k": k}, {"alpha_functional": t_k(k) - 0.01})

    frsb.energy, frsb.threshold = frsb_energy, frsb_threshold
    rsb = types.ModuleType("fake_rsb")

    def rung(r):
        x = list(np.geomspace(2.5, 2.5 * 1.6 ** (r - 1), r))
        return {"r": r, "value": t_r(r), "error": 1e-10, "breakpoints": x, "q": list(np.linspace(0.7, 0.99, r)) + [1.0]}

    def rsb_energy(alpha, *, steps=1):
        g = rung(steps)
        return EnergyResult("rsb", float(alpha), float(alpha) / t_r(steps), 1e-11, "stand-in", {"steps": steps}, g)

    def rsb_threshold(*, steps=1):
        return ThresholdResult("rsb", t_r(steps), 1e-10, "stand-in", {"steps": steps})

    def rsb_ladder(max_steps=12, *, alpha=None, extrapolation=True):
        from relu_injectivity.methods.rsb import Ladder

        assert not extrapolation  # the figures fit the limit themselves (methods/rsb/limit.py)
        return Ladder("threshold", alpha, [rung(r) for r in range(1, max_steps + 1)], None, 0.0)

    rsb.energy, rsb.threshold, rsb.ladder = rsb_energy, rsb_threshold, rsb_ladder
    one = types.ModuleType("fake_one_rsb")
    one.energy = lambda alpha, *, digits=None: EnergyResult("one-rsb", float(alpha), float(alpha) / t_r(1), 1e-9,
                                                             "stand-in", {}, {"c": 3.49, "q0": 0.776})
    one.threshold = lambda *, digits=None: ThresholdResult("one-rsb", t_r(1), 1e-7, "stand-in", {})
    eu = types.ModuleType("fake_euler")
    eu.energy = lambda alpha: EnergyResult("euler", float(alpha), 0.1 * (float(alpha) - 8.3446), 1e-12, "stand-in")
    eu.threshold = lambda: ThresholdResult("euler", 8.3446, 1e-10, "stand-in")
    return {"frsb": frsb, "rsb": rsb, "one-rsb": one, "euler": eu}


@pytest.fixture
def fakes(monkeypatch):
    for name, mod in _fake_modules().items():
        monkeypatch.setitem(sys.modules, mod.__name__, mod)
        monkeypatch.setitem(METHODS, name, Method(mod.__name__, f"stand-in {name}", None))
    return figures.Data(figures.QUICK, store=False, executor="serial")


def test_rsb_curves_thresholds_and_zoom(fakes):
    fig = figures.figure_energy(fakes)
    ax = _labelled(fig)
    texts = _no_fixed_grid_called_rsb(fig)
    lines = _lines(ax)
    grid = figures.grid_label(8, 10.0)
    assert {"RS", "1-RSB", "2-RSB (optimised breakpoints)", grid} <= set(lines)
    assert any(lbl.startswith("1-RSB: $\\alpha_{inj}$ = 6.7157") for lbl in lines)
    assert any(lbl.startswith("2-RSB (optimised breakpoints): $\\alpha_{inj}$ = 6.7002") for lbl in lines)
    assert f"{grid}: $\\alpha_{{inj}}$ = 6.7025" in texts
    assert len(fig.axes[0].child_axes) == 1  # the zoom on e* = 1
    low = _lines(fig.axes[1])
    x, y = low["2-RSB (optimised breakpoints)"].get_data()
    assert list(x) == list(figures.QUICK.ladder_alphas)
    assert list(y) == pytest.approx([a / (6.698 + 0.0177 / 8) - a / 6.7157 for a in x])
    assert not fakes.notes


def test_overlap_figure_steps(fakes):
    ax = _labelled(figures.figure_overlap(fakes))
    lines = _lines(ax)
    x, q = lines[figures.grid_label(8, 10.0)].get_data()
    assert np.all(np.diff(q) >= 0) and q[0] == pytest.approx(0.7) and q[-1] == 1.0 and x[0] == 0 and x[-2] == 10.0
    x2, q2 = lines["2-RSB (optimised breakpoints)"].get_data()
    assert list(x2[:4]) == pytest.approx([0, 2.5, 2.5, 4.0]) and list(q2[:3]) == pytest.approx([0.7, 0.7, 0.99])
    x1, q1 = lines["1-RSB ($c$ = 3.490)"].get_data()
    assert list(q1) == [0.776, 0.776, 1.0, 1.0] and list(x1[:3]) == [0.0, 3.49, 3.49]


def test_threshold_figure_with_the_limit_and_the_fixed_grid(fakes):
    fakes.s = dataclasses.replace(figures.QUICK, ladder_steps=6, grid_threshold_ks=(8, 30))
    fig = figures.figure_threshold_k(fakes)
    ax = _labelled(fig)
    texts = _no_fixed_grid_called_rsb(fig)
    x, y = ax.containers[0].lines[0].get_data()
    assert list(y) == pytest.approx([6.698 + 0.0177 * r ** -3.0 for r in range(1, 7)])
    assert list(x) == pytest.approx([r ** -3.0 for r in range(1, 7)], rel=1e-3)  # p of the central fit
    assert any(t.startswith("$r \\to \\infty$ ($\\alpha_{FRSB}$): 6.698000") for t in texts)
    assert any(t.startswith("1-RSB (optimised $c$): 6.7157") for t in texts)
    for k in (8, 30):
        name = f"fixed grid $k$ = {k}, $x_{{max}}$ = 10"
        assert f"{name}: root of estar {6.69 + 0.1 / k:.6f} (authors' protocol)" in texts
        assert any(t.startswith(f"{name}: root of the functional {6.68 + 0.1 / k:.6f}") for t in texts)
    assert not fakes.notes


def test_ladder_figure_shares_the_data_ladder(fakes):
    fakes.s = dataclasses.replace(figures.QUICK, ladder_steps=5)
    fig = figures.FIGURES["ladder"](fakes)
    _no_fixed_grid_called_rsb(fig)
    assert len(fig.axes[1].get_lines()) == 5 and fakes.ladder(3).values == pytest.approx(fakes.ladder(5).values[:3])
    assert fakes._ladders[None].limit is not None and not fakes.notes


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
    assert any(lbl.startswith("$r \\to \\infty$ ($\\alpha_{FRSB}$): 6.697900") for lbl in labels)
    assert all("optimised breakpoints" in lbl for lbl in fig.axes[1].get_legend_handles_labels()[1])
    _no_fixed_grid_called_rsb(fig)
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
