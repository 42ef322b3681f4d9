"""The paper's figures, from the registered methods, through the results store (matplotlib, the ``[plot]`` extra).

"k-step RSB" means optimised breakpoints throughout: the r-RSB ladder, method ``rsb`` with ``steps=r``
(docs/theory.md §4.11, docs/ladder.md), for which e_RS <= e_1RSB <= e_2RSB <= ... and alpha_FRSB <= ... <=
alpha_2RSB <= alpha_1RSB <= alpha_RS.  The authors' fixed-grid protocol (method ``frsb``, breakpoints
linspace(0.01, xmax, k), §4.9) is shown as what it is, labelled "fixed grid": its estar is not variational and its
root is no rung of that chain (at small k it even lies above 1-RSB).

1. ``energy``: e*(alpha) of RS, 1-RSB, r-RSB with optimised breakpoints (r in ``rsb_steps``) and one fixed-grid
   curve, the line e* = 1 and every threshold alpha_inj (where that curve crosses 1) marked, with alpha_dAT (§2.4)
   as the lower bound; below, e - e_1RSB, where the ordering of the RSB curves is visible.
2. ``overlap``: the zero-temperature Parisi order parameter q(x) at alpha = q_alpha (§4.1: q(x) = q_i on
   (x_{i-1}, x_i], q = 1 beyond x_{r-1}): the 1-RSB step (q0 below x = c, 1 above; §4.10), the optimised r-step
   q(x) for r = 2..q_steps, and the fixed grid for comparison.
3. ``threshold_k``: alpha_r of the ladder against r^-p with the limit r -> infinity (figures_ladder.draw_rungs),
   the 1-RSB threshold, and the fixed-grid thresholds (root of estar, the authors' protocol, and root of the
   functional, an upper bound on alpha_FRSB within the ansatz, §4.11) for the k of ``grid_threshold_ks``.
4. ``euler``: the exponential rate of the expected Euler characteristic, (1/n) ln E chi(X_{alpha n, n}) -> rate
   (§6.3), against alpha, with alpha_Euler (rate = 0) marked and, where the exact finite sum is available, finite-n
   values from it.

Curves of methods that are not registered (yet) are left out with a note; a method that fails to converge at some
alpha loses that point, with a warning.  The ladder's thresholds (figures 1 and 3, and ``ladder``) are computed
once per Data by ``rsb.ladder`` (not through the store; at FULL settings ``ladder_steps`` = 10 rungs, about ten
minutes of CPU, the rungs of the converged alpha_FRSB); energies go through the store.  Each figure is written
as PNG and PDF.
"""
from __future__ import annotations

import importlib
import math
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from relu_injectivity.methods import registry as api
from relu_injectivity.workflow import figures_finite_n, figures_ladder
from relu_injectivity.workflow import store as store_mod
from relu_injectivity.methods.registry import METHODS
from relu_injectivity.machinery.results import ConvergenceError
from relu_injectivity.workflow.scan import scan

NAMES = ("energy", "overlap", "threshold_k", "euler")


class FigureNote(UserWarning):
    """Something left out of a figure (a method not registered, a point that did not converge)."""


@dataclass(frozen=True)
class Settings:
    """What the figures compute: alpha grids, the r of the r-RSB curves (optimised breakpoints), the ladder's
    length, the fixed grid (k, xmax) shown for comparison and the extra frsb parameters."""

    rs_alphas: tuple
    rsb_alphas: tuple
    rsb_steps: tuple
    ladder_alphas: tuple
    grid_alphas: tuple
    grid_k: int
    q_alpha: float
    q_steps: int
    ladder_steps: int
    grid_threshold_ks: tuple
    euler_alphas: tuple
    euler_n: tuple = ()
    grid_xmax: float = 10.0
    frsb_params: dict = field(default_factory=dict)
    dpi: int = 150


def _grid(lo, hi, n):
    return tuple(float(a) for a in np.round(np.linspace(lo, hi, n), 10))


FULL = Settings(rs_alphas=_grid(2.0, 9.0, 71), rsb_alphas=_grid(3.0, 8.5, 23), rsb_steps=(2, 3),
                ladder_alphas=_grid(5.75, 8.5, 12), grid_alphas=_grid(3.0, 8.5, 12), grid_k=30, q_alpha=6.0,
                q_steps=4, ladder_steps=figures_ladder.LADDER_STEPS, grid_threshold_ks=(30, 100),
                euler_alphas=_grid(6.9, 10.0, 63), euler_n=(100, 400, 1600))
QUICK = Settings(rs_alphas=_grid(2.0, 9.0, 29), rsb_alphas=_grid(3.0, 8.5, 12), rsb_steps=(2,),
                 ladder_alphas=(6.0, 6.5, 7.0), grid_alphas=_grid(4.5, 8.0, 8), grid_k=8, q_alpha=6.0, q_steps=2,
                 ladder_steps=2, grid_threshold_ks=(8,), euler_alphas=_grid(6.9, 10.0, 32), euler_n=(100, 400),
                 dpi=100)


def grid_label(k, xmax):
    """How every figure names the authors' fixed-grid protocol (method frsb): never "FRSB k" or "k-step RSB"."""
    return f"fixed grid $k$ = {k}, $x_{{max}}$ = {xmax:g} (authors' protocol)"


def rsb_label(r):
    return "1-RSB" if r == 1 else f"{r}-RSB (optimised breakpoints)"


LIMIT_RUNGS = 4
"""Fewest rungs for which the figures fit the limit r -> infinity (as rsb.ladder does)."""


class Data:
    """Energies and thresholds for the figures: through the store, on one executor, missing methods -> None."""

    def __init__(self, settings: Settings, store=None, executor=None, progress=False):
        self.s = settings
        self.store = store_mod.as_store(store)
        if self.store is not None:
            self.store.check()
        self.executor = executor
        self.progress = progress
        self.notes: list[str] = []
        self._ladders: dict = {}

    def has(self, method, kind="energy"):
        if method not in METHODS:
            return False
        try:
            api.parameters(method, kind)
        except (ValueError, ImportError):
            return False
        return True

    def _params(self, method, kind, params):
        accepted = api.parameters(method, kind)
        return {k: v for k, v in params.items() if k in accepted}

    def scan(self, method, alphas, **params):
        if not self.has(method):
            self.note(f"{method}: not registered, curve left out")
            return None
        params = self._params(method, "energy", {**self._extra(method), **params})
        s = scan(method, alphas, self.executor, store=False if self.store is None else self.store,
                 on_error="skip", progress=self.progress, **params)
        for a, why in s.failures.items():
            self.note(f"{method} {params}: alpha = {a} left out ({why})")
        return s

    def threshold(self, method, **params):
        if not self.has(method, "threshold"):
            self.note(f"{method}: no threshold registered, left out")
            return None
        params = self._params(method, "threshold", {**self._extra(method), **params})
        try:
            return store_mod.cached_threshold(method, store=False if self.store is None else self.store, **params)
        except (ConvergenceError, ArithmeticError) as exc:
            self.note(f"{method} threshold {params}: left out ({type(exc).__name__}: {exc})")
            return None

    def ladder(self, steps, alpha=None):
        """The r-RSB ladder r = 1..steps (thresholds, or energies at ``alpha``) of the registered method ``rsb``
        (its ``ladder``), computed once per Data and shared by the figures; None (with a note) where ``rsb`` is
        not registered or a rung does not converge.  A longer ladder already computed is cut to ``steps`` rungs
        (its limit fit, which belongs to all its rungs, is then dropped)."""
        if not self.has("rsb", "threshold"):
            self.note("rsb: not registered, optimised-breakpoint ladder left out")
            return None
        have = self._ladders.get(alpha)
        if have is None or len(have.rows) < steps:
            mod = importlib.import_module(METHODS["rsb"].module)
            try:
                have = mod.ladder(steps, alpha=alpha, extrapolation=False)
            except (ConvergenceError, ArithmeticError) as exc:
                self.note(f"rsb ladder ({steps} rungs, alpha = {alpha}): left out ({type(exc).__name__}: {exc})")
                return None
            if steps >= LIMIT_RUNGS:
                from relu_injectivity.methods.rsb.limit import extrapolate

                rows = have.rows
                try:
                    have.limit = extrapolate([d["r"] for d in rows], [d["value"] for d in rows],
                                             [d["error"] for d in rows])
                except ValueError as exc:  # no defensible fit of these rungs: the rungs are drawn without it
                    self.note(f"rsb ladder ({steps} rungs): limit r -> infinity left out ({exc})")
            self._ladders[alpha] = have
        if len(have.rows) == steps:
            return have
        return type(have)(have.kind, have.alpha, have.rows[:steps], None, have.time_s)

    def _extra(self, method):
        """Parameters every frsb request of the figures gets (those a kind does not accept are dropped)."""
        return {"bracket": FRSB_BRACKET, **self.s.frsb_params} if method == "frsb" else {}

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)
            warnings.warn(text, FigureNote, stacklevel=3)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _colors(n):
    plt = _plt()
    cmap = plt.get_cmap("viridis")
    return [cmap(0.15 + 0.7 * i / max(1, n - 1)) for i in range(n)]


def _mark_threshold(ax, alpha, color, label):
    a = float(alpha)
    ax.axvline(a, color=color, ls=":", lw=1)
    ax.plot([a], [1.0], marker="o", ms=5, ls="none", color=color, zorder=5,
            label=f"{label}: $\\alpha_{{inj}}$ = {a:.4f}")


GRID_COLOR = "0.45"
"""Colour of the fixed-grid curves (grey: the authors' protocol, shown for comparison)."""


def figure_energy(d: Data):
    """(1) e*(alpha) for RS, 1-RSB, r-RSB (optimised breakpoints) and the fixed grid, with e* = 1 and the
    thresholds; below, e - e_1RSB."""
    plt = _plt()
    fig, (ax, low) = plt.subplots(2, 1, figsize=(7.5, 7.2), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]})
    ax.axhline(1.0, color="0.3", ls="--", lw=1, label="$e^* = 1$ (injectivity)")
    curves = []  # (label, scan, colour, threshold alpha or None, line style)
    rs = d.scan("rs", d.s.rs_alphas)
    if rs is not None:
        t = d.threshold("rs")
        curves.append(("RS", rs, "C3", None if t is None else t.alpha, "-"))
    one = d.scan("one-rsb", d.s.rsb_alphas)
    if one is not None:
        t = d.threshold("one-rsb")
        curves.append((rsb_label(1), one, "C1", None if t is None else t.alpha, "-"))
    rsteps = sorted(d.s.rsb_steps)
    if rsteps and d.has("rsb"):
        lad = d.ladder(max(rsteps))
        for r, c in zip(rsteps, _colors(len(rsteps))):
            s = d.scan("rsb", d.s.ladder_alphas, steps=r)
            curves.append((rsb_label(r), s, c, None if lad is None else lad.rows[r - 1]["value"], "-"))
    elif rsteps:
        d.note("rsb: not registered, r-RSB curves left out")
    k, xmax = d.s.grid_k, d.s.grid_xmax
    fg = d.scan("frsb", d.s.grid_alphas, k=k, xmax=xmax)
    if fg is not None:
        t = d.threshold("frsb", k=k, xmax=xmax)
        curves.append((grid_label(k, xmax), fg, GRID_COLOR, None if t is None else t.alpha, "--"))
    for label, s, color, alpha_inj, ls in curves:
        ok = np.isfinite(s.energies)
        ax.plot(np.array(s.alphas)[ok], s.energies[ok], color=color, lw=1.6, ls=ls,
                marker="." if len(s) < 20 else None, label=label)
        if alpha_inj is not None:
            _mark_threshold(ax, alpha_inj, color, label)
    dat = d.threshold("dat")
    if dat is not None:
        ax.axvline(float(dat.alpha), color="0.5", ls="-.", lw=1,
                   label=f"$\\alpha_{{dAT}}$ = {float(dat.alpha):.4f} (lower bound)")
    ax.set_ylabel(r"$e^*(\alpha)$ (active units per input dimension)")
    ax.set_title("Ground-state energy: RS, r-RSB with optimised breakpoints, fixed grid")
    ax.set_ylim(0, 1.5)
    ax.set_xlim(min(d.s.rs_alphas), max(d.s.rs_alphas))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6.5, loc="upper left")
    if any(lbl != "RS" for lbl, *_ in curves):
        _zoom(ax, curves)
    _differences(d, low, one, curves)
    low.set_xlabel(r"$\alpha = m/n$ (layer expansion)")
    return fig


def _differences(d, ax, one, curves):
    """e - e_1RSB of the r-RSB and fixed-grid curves (one-rsb evaluated at their alphas, through the store):
    positive and rising with r for the optimised ladder (§4.11)."""
    ax.axhline(0.0, color="C1", lw=1, label="1-RSB (reference)")
    if one is not None:
        for label, s, color, _, ls in curves:
            if label in ("RS", rsb_label(1)):
                continue
            base = d.scan("one-rsb", s.alphas)
            diff = s.energies - base.energies
            ok = np.isfinite(diff)
            ax.plot(np.array(s.alphas)[ok], diff[ok], color=color, ls=ls, lw=1.4, marker=".", label=label)
    ax.set_ylabel(r"$e^* - e^*_{1RSB}$")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=6.5, loc="upper left")


def _zoom(ax, curves):
    """Inset around e* = 1, where the RSB curves separate."""
    ins = ax.inset_axes([0.62, 0.08, 0.35, 0.35])
    ins.axhline(1.0, color="0.3", ls="--", lw=0.8)
    xs = []
    for label, s, color, alpha_inj, ls in curves:
        e, a = s.energies, np.array(s.alphas)
        ok = np.isfinite(e)
        ins.plot(a[ok], e[ok], color=color, lw=1.2, ls=ls, marker=".")
        if alpha_inj is not None:
            ins.plot([alpha_inj], [1.0], "o", ms=3, color=color)
        cross = np.nonzero(np.diff(np.sign(e[ok] - 1)))[0]
        xs += [a[ok][i] for i in cross] + [a[ok][i + 1] for i in cross]
    if xs:
        lo, hi = min(xs), max(xs)
        pad = 0.05 * (hi - lo) + 0.02
        ins.set_xlim(lo - pad, hi + pad)
        ins.set_ylim(0.9, 1.1)
    ins.tick_params(labelsize=6)
    ins.set_title(r"near $e^* = 1$", fontsize=7)
    ax.indicate_inset_zoom(ins, edgecolor="0.5")


def figure_overlap(d: Data):
    """(2) q(x) at alpha = q_alpha: the 1-RSB step, the optimised r-step q(x) for r = 2..q_steps, the fixed grid."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.8))
    a = d.s.q_alpha
    k, xmax = d.s.grid_k, d.s.grid_xmax
    drawn = []  # (label, q, breakpoints, colour, style)
    one = d.scan("one-rsb", [a])
    if one is not None and one.results[0] is not None:
        g = one.results[0].diagnostics
        if "c" in g and "q0" in g:
            drawn.append((f"1-RSB ($c$ = {float(g['c']):.3f})", [g["q0"], 1.0], [g["c"]], "C1", "-"))
    rsteps = list(range(2, d.s.q_steps + 1))
    for r, c in zip(rsteps, _colors(len(rsteps))):
        s = d.scan("rsb", [a], steps=r)
        if s is None:
            break
        res = s.results[0]
        if res is not None and "q" in res.diagnostics and "breakpoints" in res.diagnostics:
            drawn.append((rsb_label(r), list(res.diagnostics["q"]), list(res.diagnostics["breakpoints"]), c, "-"))
    fg = d.scan("frsb", [a], k=k, xmax=xmax)
    if fg is not None and fg.results[0] is not None and {"q", "x"} <= set(fg.results[0].diagnostics):
        g = fg.results[0].diagnostics
        drawn.append((grid_label(k, xmax), list(g["q"]), list(g["x"]), GRID_COLOR, ":"))
    xright = 1.15 * max([xmax] + [max(map(float, x)) for _, _, x, _, _ in drawn])
    for label, q, x, color, ls in drawn:
        xs, ys = figures_ladder.steps(q, x, xright)
        ax.plot(xs, ys, color=color, ls=ls, lw=1.6, label=label)
    if not drawn:
        ax.text(0.5, 0.5, "no RSB method registered yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlim(0, xright)
    ax.set_xlabel(r"Parisi parameter $x = \beta m$ (zero temperature)")
    ax.set_ylabel(r"overlap $q(x)$")
    ax.set_title(f"Parisi order parameter $q(x)$ at $\\alpha$ = {a:g}: optimised breakpoints vs fixed grid",
                 fontsize=10)
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(fontsize=7.5, loc="lower right")
    return fig


FRSB_BRACKET = (6.0, 8.0)
"""Bracket of every fixed-grid (frsb) threshold of the figures.  The root of estar at breakpoints
linspace(0.01, xmax, k) lies near 6.698 at large k, but at small k the linspace grid is a poor order parameter and
the root lies above the 1-RSB threshold (k = 2: 7.36; RS is 7.65), so the bracket reaches beyond 1-RSB; the
solver's default bracket (6, 7) is tight around the large-k values."""


def figure_threshold_k(d: Data):
    """(3) alpha_r of the ladder (optimised breakpoints) against r^-p with its limit, the 1-RSB threshold, and the
    fixed-grid thresholds (estar root and functional root) for comparison; an inset zooms on r >= 2."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    lad = d.ladder(d.s.ladder_steps)
    if lad is not None:
        figures_ladder.draw_rungs(ax, lad)
    else:
        ax.set_xlabel(r"$r^{-p}$ ($r$ = number of RSB steps, optimised breakpoints)")
        ax.text(0.5, 0.5, "rsb ladder not available", ha="center", va="center", transform=ax.transAxes)
    t = d.threshold("one-rsb") if d.has("one-rsb", "threshold") else None
    if t is not None:
        ax.axhline(float(t.alpha), color="C1", ls="--", lw=1, label=f"1-RSB (optimised $c$): {float(t.alpha):.4f}")
    xmax = d.s.grid_xmax
    hlines = []  # (alpha, colour, style) of the fixed grid, repeated in the inset
    for k, c in zip(d.s.grid_threshold_ks, ("0.35", "0.6", "0.75")):
        t = d.threshold("frsb", k=k, xmax=xmax)
        if t is None:
            continue
        name = f"fixed grid $k$ = {k}, $x_{{max}}$ = {xmax:g}"
        ax.axhline(float(t.alpha), color=c, ls=":", lw=1.4,
                   label=f"{name}: root of estar {float(t.alpha):.6f} (authors' protocol)")
        hlines.append((float(t.alpha), c, ":"))
        af = t.diagnostics.get("alpha_functional")
        if af is not None and np.isfinite(af):
            ax.axhline(float(af), color=c, ls="-.", lw=1.2,
                       label=f"{name}: root of the functional {float(af):.6f} (upper bound on $\\alpha_{{FRSB}}$)")
            hlines.append((float(af), c, "-."))
    if lad is not None and len(lad.rows) >= 3:
        _zoom_rungs(ax, lad, hlines)
    ax.set_xlim(left=-0.03)
    ax.set_ylabel(r"threshold $\alpha_{inj}$")
    ax.set_title("Threshold against the number of RSB steps: optimised breakpoints vs fixed grid")
    ax.grid(alpha=0.3)
    ax.ticklabel_format(axis="y", useOffset=False)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper left")
    return fig


def _zoom_rungs(ax, lad, hlines):
    """Inset of figure 3: the rungs r >= 2, the limit and the fixed-grid lines, which r = 1 would squash."""
    ins = ax.inset_axes([0.36, 0.2, 0.6, 0.42])
    sub = type(lad)(lad.kind, lad.alpha, lad.rows[1:], lad.limit, lad.time_s)
    p = figures_ladder.draw_rungs(ins, sub)
    ys = list(sub.values) + [y for y, *_ in hlines]
    if lad.limit is not None:
        ys += [lad.limit.limit - lad.limit.error, lad.limit.limit + lad.limit.error]
    for y, c, ls in hlines:
        ins.axhline(y, color=c, ls=ls, lw=1.2)
    pad = 0.08 * (max(ys) - min(ys)) + 1e-6
    ins.set_ylim(min(ys) - pad, max(ys) + pad)
    ins.set_xlim(-0.02 * 2.0 ** -p, 1.1 * 2.0 ** -p)
    ins.set_xlabel("")
    ins.set_title(r"$r \geq 2$", fontsize=7)
    ins.tick_params(labelsize=6)
    ins.ticklabel_format(axis="y", useOffset=False)
    ins.grid(alpha=0.3)


def _euler_module():
    if "euler" not in METHODS:
        return None
    return importlib.import_module(METHODS["euler"].module)


def _euler_rates(d: Data, mod):
    """rate(alpha) on the grid: the module's ``euler_rate`` (an EnergyResult holding the rate), else its
    registered ``energy``; points that fail are left out with a note."""
    fn = getattr(mod, "euler_rate", None)
    if fn is None:
        s = d.scan("euler", d.s.euler_alphas)
        ok = np.isfinite(s.energies) if s is not None else []
        return (np.array(s.alphas)[ok], s.energies[ok]) if s is not None else ([], [])
    al, rate = [], []
    for a in d.s.euler_alphas:
        try:
            r = fn(a)
        except (ValueError, ConvergenceError, ArithmeticError) as exc:
            d.note(f"euler rate at alpha = {a} left out ({type(exc).__name__}: {exc})")
            continue
        al.append(a)
        rate.append(float(r.energy))
    return np.array(al), np.array(rate)


def figure_euler(d: Data):
    """(4) the Euler-characteristic rate against alpha, alpha_Euler marked, finite-n points from the exact sum."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.8))
    mod = _euler_module()
    if mod is None:
        d.note("euler: not registered, figure left empty")
        ax.text(0.5, 0.5, "euler not registered yet", ha="center", va="center", transform=ax.transAxes)
    else:
        al, rate = _euler_rates(d, mod)
        if len(al):
            ax.plot(al, rate, color="C0", lw=1.8,
                    label=r"rate$(\alpha) = \lim\, \frac{1}{n}\ln \mathbb{E}\,\chi(X_{\alpha n,n})$")
        exact = getattr(mod, "euler_characteristic", None)
        for n, marker in zip(d.s.euler_n if exact else (), "so^v"):
            pts = []
            for a in d.s.euler_alphas[::2]:
                q = exact(int(math.floor(a * n)), n)
                if q > 0:
                    pts.append((a, mod.finite_n_rate(q, n)))         # (1/n) log q, generated euler_finite_n_rate
            if pts:
                ax.plot(*zip(*pts), marker, ms=3.5, mfc="none", color="C2" if marker == "s" else "C4",
                        label=rf"$\frac{{1}}{{n}} \ln q_{{\lfloor \alpha n\rfloor, n}}$ (exact sum), $n = {n}$")
        t = d.threshold("euler")
        if t is not None:
            ax.axvline(float(t.alpha), color="C3", ls=":", lw=1.2)
            ax.plot([float(t.alpha)], [0.0], "o", color="C3",
                    label=f"$\\alpha_{{Euler}}$ = {float(t.alpha):.4f}")
    ax.axhline(0.0, color="0.3", lw=0.8)
    ax.set_xlabel(r"$\alpha = m/n$")
    ax.set_ylabel(r"rate $\frac{1}{n}\ln \mathbb{E}\,\chi$ (nats per input dimension)")
    ax.set_title("Euler-characteristic surrogate: exponential rate")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return fig


FIGURES = {"energy": figure_energy, "overlap": figure_overlap, "threshold_k": figure_threshold_k,
           "euler": figure_euler, "ladder": figures_ladder.figure_ladder, "finite_n": figures_finite_n.figure_finite_n}
"""Every figure; ``ladder`` and ``finite_n`` take minutes of CPU and are not in NAMES (ask for them with --only)."""


def _output_dir(out) -> Path:
    """``out`` as a directory that accepts files (created if missing), checked before anything is computed."""
    out = Path(out).expanduser()
    if out.exists() and not out.is_dir():
        raise ValueError(f"figures: output {out} exists and is not a directory; give a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".figures-probe-"):
            pass
    except OSError as exc:
        raise ValueError(f"figures: cannot write into {out} ({exc.strerror or exc})") from None
    return out


def make_figures(out="figures", *, quick=False, settings: Settings | None = None, store=None, executor=None,
                 progress=False, only=None) -> tuple[list[Path], list[str]]:
    """Compute and write the figures (PNG + PDF) into ``out``; returns (written paths, notes on what was left out)."""
    s = settings or (QUICK if quick else FULL)
    names = list(only or NAMES)
    bad = [n for n in names if n not in FIGURES]
    if bad:
        raise ValueError(f"unknown figure(s) {bad}; allowed: {', '.join(NAMES)}")
    out = _output_dir(out)
    plt = _plt()
    d = Data(s, store=store, executor=executor, progress=progress)  # checks the store before computing
    own = None
    if executor is None:
        import os

        from relu_injectivity.workflow.scan import process_pool

        own = d.executor = process_pool(os.cpu_count() or 1)
    paths = []
    try:
        for n in names:
            fig = FIGURES[n](d)
            for ext in ("png", "pdf"):
                p = out / f"{n}.{ext}"
                fig.savefig(p, dpi=s.dpi, bbox_inches="tight")
                paths.append(p)
            plt.close(fig)
    finally:
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)
    return paths, d.notes
