"""Finite-n figure (docs/finite_n.md §5): P(injective) of Gaussian layers against alpha for several n, with the
RS, 1-RSB, FRSB and Euler thresholds (from the registered methods, through the figures' Data), and the mean
D(W)/n against the predicted e*(alpha).  Not in figures.NAMES (minutes of CPU): ``--only finite_n``.
"""
from __future__ import annotations

import numpy as np

from relu_injectivity.methods import finite_n

ALPHAS = (5.0, 6.0, 6.7, 7.5, 8.3)
NS = (4, 6)
METHODS = (("rs", "RS"), ("one-rsb", "1-RSB"), ("frsb", "FRSB"), ("euler", "Euler"))


def figure_finite_n(d):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    quick = d.s.dpi < 150          # the QUICK settings of figures.py are the low-resolution ones
    samples = 20 if quick else 100
    store = d.store
    sims = {n: [finite_n.simulate(n, a, samples, seed=0, counts=True, executor=d.executor, store=store)
                for a in ALPHAS] for n in NS}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.6))
    colors = [plt.get_cmap("tab10")(i) for i in range(len(NS) + len(METHODS))]
    for c, n in zip(colors, NS):
        s = sims[n]
        a = [x.alpha for x in s]
        p = np.array([x.p_injective for x in s])
        lo = p - np.array([x.wilson95[0] for x in s])
        hi = np.array([x.wilson95[1] for x in s]) - p
        ax1.errorbar(a, p, yerr=[lo, hi], marker="o", capsize=3, color=c, label=f"n = {n}: P(injective), {samples} samples")
        ax1.plot(a, [1 - x.q_float for x in s], ls="--", color=c, lw=1, label=f"n = {n}: 1 - q_{{m,n}} (Euler surrogate)")
        e = [x.energy_stats() for x in s]
        ax2.errorbar(a, [v[0] for v in e], yerr=[v[1] for v in e], marker="o", capsize=3, color=c,
                     label=f"n = {n}: mean D(W)/n")
    for c, (method, label) in zip(colors[len(NS):], METHODS):
        r = d.threshold(method)
        if r is not None:
            ax1.axvline(float(r.alpha), color=c, ls=":", lw=1.2, label=f"{label}: alpha = {float(r.alpha):.3f}")
            ax2.axvline(float(r.alpha), color=c, ls=":", lw=1.0)
    grid = np.round(np.linspace(4.5, 9.0, 19), 10)
    for c, (method, label) in zip(colors[len(NS):], METHODS[:2]):
        sc = d.scan(method, [float(a) for a in grid])
        if sc is not None and len(sc.alphas):
            ax2.plot(sc.alphas, [float(e) for e in sc.energies], color=c, label=f"e*(alpha), {label}")
    ax2.axhline(1.0, color="0.5", lw=0.8)
    ax1.set_xlabel("alpha = m/n")
    ax1.set_ylabel("P(ReLU(W.) injective)")
    ax1.set_ylim(-0.03, 1.03)
    ax1.legend(fontsize=7)
    ax2.set_xlabel("alpha = m/n")
    ax2.set_ylabel("D(W)/n  (min active units per input dimension)")
    ax2.legend(fontsize=7)
    fig.suptitle("Finite n: exact checks of Gaussian layers against the large-n thresholds")
    return fig
