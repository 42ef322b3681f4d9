"""Figure ``ladder``: the r-RSB ladder with optimised breakpoints (docs/ladder.md, docs/theory.md §4.11).

Left: alpha_r against r^-p (p the exponent of the central fit of the limit), with the fitted curve and the limit
r -> infinity with its error bar.  Right: the optimised step functions q(x) of the rungs r = 1..R at their
thresholds (q(x) = q_i on (x_{i-1}, x_i], q = 1 beyond the last breakpoint), approaching a continuous Parisi
order parameter.  Computed directly (not through the store): ``figure_ladder(d)`` takes the figures' Data
object and uses its ``ladder`` (``d.s.ladder_steps`` rungs, LADDER_STEPS without it), shared with figure
``threshold_k``, whose left panel is ``draw_rungs``.
"""
from __future__ import annotations

import numpy as np

from relu_injectivity.methods.rsb import CONVERGED_STEPS

LADDER_STEPS = CONVERGED_STEPS
"""Rungs of the full figures: as many as the converged alpha_FRSB uses (docs/ladder.md; about 10 minutes of CPU)."""
DEFAULT_P = 3.0
"""Exponent of the r^-p axis when the ladder has no fit of its limit (fewer than 4 rungs): the first rungs fall
roughly like r^-3 (docs/ladder.md)."""


def steps(q, x, xright):
    """Step function q(x) = q_i on (x_{i-1}, x_i] (x_{-1} = 0), q = 1 beyond x_{k-1} up to ``xright``, as plot
    arrays (the Parisi order parameter of a k-step solution; also figures.figure_overlap's)."""
    edges = [0.0, *map(float, x)]
    xs, ys = [], []
    for i, qi in enumerate(map(float, q[:len(x)])):
        xs += [edges[i], edges[i + 1]]
        ys += [qi, qi]
    return np.array(xs + [edges[-1], xright]), np.array(ys + [1.0, 1.0])


def exponent(lad):
    """p of the r^-p axis: the central fit's exponent where it is a free-exponent model, else DEFAULT_P."""
    lim = lad.limit
    return lim.central.params[2] if lim is not None and lim.central.model.startswith("power") else DEFAULT_P


def draw_rungs(ax, lad, color="C0"):
    """alpha_r (optimised breakpoints) against r^-p with error bars, the central fit and the limit r -> infinity
    (where the ladder has one); returns p."""
    from relu_injectivity.methods.rsb import limit as ex

    r = np.array([row["r"] for row in lad.rows], float)
    err = np.array([row["error"] for row in lad.rows])
    lim = lad.limit
    p = exponent(lad)
    ax.errorbar(r ** -p, lad.values, yerr=err, fmt="o", color=color, capsize=3,
                label=r"$\alpha_r$, $r$-RSB, optimised breakpoints ($r$ = "
                      f"{int(r[0])}..{int(r[-1])})")
    if lim is not None:
        f, _ = ex.MODELS[lim.central.model]
        rr = np.linspace(1.0, 200.0, 400)
        ax.plot(rr ** -p, f(rr, *lim.central.params), color="C2", lw=1,
                label=f"fit '{lim.central.model}', p = {p:.2f}")
        ax.errorbar([0.0], [lim.limit], yerr=[lim.error], fmt="*", ms=11, color="C2", capsize=3,
                    label=f"$r \\to \\infty$ ($\\alpha_{{FRSB}}$): {lim.limit:.6f} $\\pm$ {lim.error:.1e}")
    ax.set_xlabel(f"$r^{{-{p:.2f}}}$ ($r$ = number of RSB steps, optimised breakpoints)")
    return p


def draw_q(ax, rows, xright=None, cmap="viridis", what="r"):
    """The optimised step functions q(x) of ladder rows (each with 'q' and 'breakpoints'), one colour per rung."""
    import matplotlib.pyplot as plt

    if xright is None:
        xright = 1.15 * max(max(row["breakpoints"]) for row in rows)
    cm = plt.get_cmap(cmap)
    for i, row in enumerate(rows):
        xs, ys = steps(row["q"], row["breakpoints"], xright)
        ax.plot(xs, ys, color=cm(0.1 + 0.8 * i / max(1, len(rows) - 1)), lw=1.4,
                label=f"{what} = {row['r']} (optimised breakpoints)")


def plot_ladder(lad, fig=None):
    """Draw a Ladder (methods.rsb.ladder(...), kind 'threshold') into a new two-panel figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.8))
    draw_rungs(a1, lad)
    a1.set_ylabel(r"threshold $\alpha_r$")
    a1.set_title("r-RSB ladder (optimised breakpoints) and its limit")
    a1.grid(alpha=0.3)
    a1.legend(fontsize=8)
    draw_q(a2, lad.rows)
    a2.set_xlabel(r"Parisi parameter $x = \beta m$ (zero temperature)")
    a2.set_ylabel(r"overlap $q(x)$")
    a2.set_title("optimised q(x) at the rung thresholds")
    a2.grid(alpha=0.3)
    a2.legend(fontsize=8, loc="lower right")
    return fig


def figure_ladder(d):
    """The figures' entry point (numerics/workflow/figures.py FIGURES['ladder'])."""
    lad = d.ladder(getattr(d.s, "ladder_steps", LADDER_STEPS))
    if lad is None:
        raise ValueError("figure 'ladder': method 'rsb' is not registered or its ladder did not converge "
                         f"({'; '.join(d.notes)})")
    return plot_ladder(lad)
