"""The paper's figures, from the registered methods, through the results store (matplotlib, the ``[plot]`` extra).

1. ``energy``: e*(alpha) of RS, 1-RSB and FRSB at several k (docs/theory.md §1-4), the line e* = 1 and every threshold
   alpha_inj (where that curve crosses 1) marked, with alpha_dAT (§2.4) as the lower bound.
2. ``overlap``: the zero-temperature Parisi order parameter q(x) at alpha = 6 (§4.1: q(x) = q_i on
   (x_{i-1}, x_i], q = 1 beyond x_{k-1}) for several k, and the 1-RSB step (q0 below x = c, 1 above; §4.10).
3. ``threshold_k``: the FRSB threshold (§4.9) against 1/k, with the k -> infinity extrapolation where the frsb
   module provides one, and the 1-RSB threshold for reference (alpha_dAT, far below, is in figure 1).
4. ``euler``: the exponential rate of the expected Euler characteristic, (1/n) ln E chi(X_{alpha n, n}) -> rate
   (§6.3), against alpha, with alpha_Euler (rate = 0) marked and, where the exact finite sum is available, finite-n
   values from it.

Curves of methods that are not registered (yet) are left out with a note; a method that fails to converge at some
alpha loses that point, with a warning.  Each figure is written as PNG and PDF.
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
    """What the figures compute: alpha grids, the k of the FRSB curves, the FRSB parameters."""

    rs_alphas: tuple
    rsb_alphas: tuple
    frsb_alphas: tuple
    frsb_ks: tuple
    q_alpha: float
    q_ks: tuple
    threshold_ks: tuple
    euler_alphas: tuple
    euler_n: tuple = ()
    frsb_params: dict = field(default_factory=dict)
    dpi: int = 150


def _grid(lo, hi, n):
    return tuple(float(a) for a in np.round(np.linspace(lo, hi, n), 10))


FULL = Settings(rs_alphas=_grid(2.0, 9.0, 71), rsb_alphas=_grid(3.0, 8.5, 23),
                frsb_alphas=_grid(3.0, 8.5, 12), frsb_ks=(2, 5, 10, 30), q_alpha=6.0, q_ks=(2, 5, 10, 30),
                threshold_ks=(2, 3, 4, 5, 8, 10, 15, 20, 30, 50), euler_alphas=_grid(6.9, 10.0, 63),
                euler_n=(100, 400, 1600))
QUICK = Settings(rs_alphas=_grid(2.0, 9.0, 29), rsb_alphas=_grid(3.0, 8.5, 12),
                 frsb_alphas=_grid(4.5, 8.0, 8), frsb_ks=(2, 4, 8), q_alpha=6.0, q_ks=(2, 4, 8),
                 threshold_ks=(2, 3, 4, 6, 8), euler_alphas=_grid(6.9, 10.0, 32), euler_n=(100, 400), dpi=100)


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


def _mark_threshold(ax, r, color, label):
    a = float(r.alpha)
    ax.axvline(a, color=color, ls=":", lw=1)
    ax.plot([a], [1.0], marker="o", ms=5, ls="none", color=color, zorder=5,
            label=f"{label}: $\\alpha_{{inj}}$ = {a:.4f}")


def figure_energy(d: Data):
    """(1) e*(alpha) for RS, 1-RSB, FRSB(k) with e* = 1 and the thresholds."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    ax.axhline(1.0, color="0.3", ls="--", lw=1, label="$e^* = 1$ (injectivity)")
    curves = []
    rs = d.scan("rs", d.s.rs_alphas)
    if rs is not None:
        curves.append(("RS", rs, "C3", None))
    rsb = d.scan("one-rsb", d.s.rsb_alphas)
    if rsb is not None:
        curves.append(("1-RSB", rsb, "C1", None))
    for k, c in zip(d.s.frsb_ks, _colors(len(d.s.frsb_ks))):
        fr = d.scan("frsb", d.s.frsb_alphas, k=k)
        if fr is None:
            break
        curves.append((f"FRSB $k={k}$", fr, c, {"k": k}))
    for label, s, color, tparams in curves:
        ok = np.isfinite(s.energies)
        ax.plot(np.array(s.alphas)[ok], s.energies[ok], color=color, lw=1.6, marker="." if len(s) < 20 else None,
                label=label)
        t = d.threshold(s.method, **(tparams or {}))
        if t is not None:
            _mark_threshold(ax, t, color, label)
    dat = d.threshold("dat")
    if dat is not None:
        ax.axvline(float(dat.alpha), color="0.5", ls="-.", lw=1,
                   label=f"$\\alpha_{{dAT}}$ = {float(dat.alpha):.4f} (lower bound)")
    ax.set_xlabel(r"$\alpha = m/n$ (layer expansion)")
    ax.set_ylabel(r"$e^*(\alpha)$ (active units per input dimension)")
    ax.set_title("Ground-state energy of the random ReLU layer")
    ax.set_ylim(0, 1.5)
    ax.set_xlim(min(d.s.rs_alphas), max(d.s.rs_alphas))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper left")
    if any(lbl.startswith("FRSB") or lbl == "1-RSB" for lbl, *_ in curves):
        _zoom(ax, curves)
    return fig


def _zoom(ax, curves):
    """Inset around e* = 1, where the RSB curves separate."""
    ins = ax.inset_axes([0.62, 0.08, 0.35, 0.35])
    ins.axhline(1.0, color="0.3", ls="--", lw=0.8)
    xs = []
    for label, s, color, _ in curves:
        e, a = s.energies, np.array(s.alphas)
        ok = np.isfinite(e)
        ins.plot(a[ok], e[ok], color=color, lw=1.2, marker=".")
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
    """(2) q(x) at alpha = q_alpha for several k, and the 1-RSB step."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.8))
    a = d.s.q_alpha
    xmax = float(d.s.frsb_params.get("xmax", 10.0))
    xright = 1.15 * xmax
    drawn = 0
    rsb = d.scan("one-rsb", [a])
    if rsb is not None and rsb.results[0] is not None:
        g = rsb.results[0].diagnostics
        if "c" in g and "q0" in g:
            xs, ys = figures_ladder.steps([g["q0"], 1.0], [g["c"]], xright)
            ax.plot(xs, ys, color="C1", lw=1.6, ls="--", label=f"1-RSB ($c$ = {float(g['c']):.3f})")
            drawn += 1
    for k, c in zip(d.s.q_ks, _colors(len(d.s.q_ks))):
        fr = d.scan("frsb", [a], k=k)
        if fr is None:
            break
        r = fr.results[0]
        if r is None or "q" not in r.diagnostics or "x" not in r.diagnostics:
            continue
        xs, ys = figures_ladder.steps(list(r.diagnostics["q"]), list(r.diagnostics["x"]), xright)
        ax.plot(xs, ys, color=c, lw=1.6, label=f"FRSB $k={k}$, $x_{{max}}$ = {xmax:g}")
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, "no RSB method registered yet", ha="center", va="center", transform=ax.transAxes)
    ax.axvline(xmax, color="0.6", ls=":", lw=1)
    ax.set_xlim(0, xright)
    ax.set_xlabel(r"Parisi parameter $x = \beta m$ (zero temperature)")
    ax.set_ylabel(r"overlap $q(x)$")
    ax.set_title(f"Parisi order parameter at $\\alpha$ = {a:g}")
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(fontsize=8, loc="lower right")
    return fig


def _extrapolation():
    """The frsb module's k -> infinity extrapolation, if it has one (a function ``extrapolate``)."""
    if "frsb" not in METHODS:
        return None
    mod = importlib.import_module(METHODS["frsb"].module)
    return getattr(mod, "extrapolate", None)


ZOOM_K = 5
"""Figure 3 zooms on the thresholds with k >= ZOOM_K, which the small-k points would squash."""


FRSB_BRACKET = (6.0, 8.0)
"""Bracket of the FRSB thresholds at every k of figures 1 and 3: the k-step root lies between the 1-RSB-like small-k
values and RS (7.65; k = 2 gives 7.36), while the solver's default bracket is tight around large-k values."""


def figure_threshold_k(d: Data):
    """(3) FRSB threshold against 1/k (+ extrapolation), with the 1-RSB threshold for reference."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.8))
    ks, ts = [], []
    for k in d.s.threshold_ks:
        if not d.has("frsb", "threshold"):
            d.note("frsb: no threshold registered, left out")
            break
        t = d.threshold("frsb", k=k, bracket=FRSB_BRACKET)
        if t is not None:
            ks.append(k)
            ts.append(t)
    if ts:
        inv = 1.0 / np.array(ks, float)
        ax.errorbar(inv, [float(t.alpha) for t in ts], yerr=[float(t.error) for t in ts], fmt="o", color="C0",
                    capsize=3, label=r"FRSB, $k$ steps")
        big = [(1 / k, t) for k, t in zip(ks, ts) if k >= ZOOM_K]
        if len(big) >= 2 and len(big) < len(ts):
            ins = ax.inset_axes([0.1, 0.32, 0.42, 0.4])
            ins.errorbar([x for x, _ in big], [float(t.alpha) for _, t in big],
                         yerr=[float(t.error) for _, t in big], fmt="o", ms=4, color="C0", capsize=2)
            ins.set_title(f"$k \\geq {ZOOM_K}$", fontsize=8)
            ins.tick_params(labelsize=7)
            ins.ticklabel_format(axis="y", useOffset=False)
            ins.grid(alpha=0.3)
        ext = _extrapolation()
        if ext is not None:
            try:
                r = ext(ts)
                ax.errorbar([0.0], [float(r.alpha)], yerr=[float(r.error)], fmt="*", ms=11, color="C2", capsize=3,
                            label=f"$k \\to \\infty$: {float(r.alpha):.5f} $\\pm$ {float(r.error):.1e}")
            except Exception as exc:  # the figure is still useful without it
                d.note(f"frsb extrapolation failed: {type(exc).__name__}: {exc}")
    else:
        ax.text(0.5, 0.5, "frsb not registered yet", ha="center", va="center", transform=ax.transAxes)
    t = d.threshold("one-rsb") if d.has("one-rsb", "threshold") else None
    if t is not None:
        ax.axhline(float(t.alpha), color="C1", ls="--", lw=1, label=f"1-RSB (optimised $c$): {float(t.alpha):.4f}")
    ax.set_xlim(left=-0.02)
    ax.set_xlabel(r"$1/k$ (inverse number of RSB steps)")
    ax.set_ylabel(r"threshold $\alpha_{inj}$")
    ax.set_title(r"FRSB threshold against the number of steps $k$")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return fig


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
