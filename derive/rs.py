"""Replica-symmetric (RS) solution: zero temperature (docs/theory.md §2.2-2.3) and finite temperature with the
de Almeida-Thouless condition (§2.1, §2.4).

Zero temperature.  The constraint term is the Gaussian average of the Moreau envelope
``g_chi(w) = -min_v [(v-w)^2/(2 chi) + theta(v)]``; :func:`moreau_envelope` performs the minimisation branch by
branch, SymPy does the Gaussian integrals piecewise and differentiates:

    e_RS(chi; alpha) = lim_{beta->inf} -(1/beta)[log(1-q)/2 + q/(2(1-q))]_{1-q=chi/beta} - alpha E_xi g_chi(xi)

with stationarity ``de/dchi = 0`` (RS-chi), the active-constraint estimator ``alpha P(v*(xi) > 0)`` (RS-e) and
the threshold system {de/dchi = 0, e* = 1}, plus its one-variable reduction (alpha eliminated by SymPy).

Finite temperature.  ``Z_out(w) = E_u exp(-beta theta(w + sqrt(1-q) u))`` (integrated by SymPy),
``Phi_RS(q) = log(1-q)/2 + q/(2(1-q)) + alpha E_xi log Z_out(sqrt(q) xi)``; the q-equation is dPhi/dq, the energy
is -dPhi/dbeta and the replicon condition is ``1/alpha - E_xi[((1-q) f''(sqrt(q) xi))^2]`` with f = log Z_out.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from .codegen import Averaged, Kernel
from .gauss import Avg, integrate_gaussian, tails, xi

alpha = sp.Symbol("alpha", positive=True)
chi = sp.Symbol("chi", positive=True)
beta = sp.Symbol("beta", positive=True)
q = sp.Symbol("q", positive=True)
w = sp.Symbol("w", real=True)
v = sp.Symbol("v", real=True)
u = sp.Symbol("u", real=True)


def moreau_envelope(wv=w, chiv=chi):
    """g_chi(w) = -min_v [(v - w)^2/(2 chi) + theta(v)] as (pieces, active region).

    Branch theta(v) = 0 (v <= 0): minimiser v = min(w, 0).  Branch theta(v) = 1 (v > 0): minimiser v = w (w > 0).
    For w > 0 the branches cross where (w^2/(2 chi) = 1), solved by SymPy.  Returns the list of
    ``(g, lower, upper)`` pieces in w and the interval where the minimiser is active (v* > 0).
    """
    cost = (v - wv)**2 / (2 * chiv)
    inactive = cost.subs(v, 0)          # v* = 0 for w > 0, value w^2/(2chi); for w <= 0 the value is 0 (v* = w)
    active = cost.subs(v, wv) + 1       # v* = w > 0
    (jump,) = [s for s in sp.solve(sp.Eq(inactive, active), wv) if s.is_positive]
    pieces = [(sp.Integer(0), -sp.oo, 0), (-inactive, 0, jump), (-active, jump, sp.oo)]
    return pieces, (jump, sp.oo)


def _entropic_limit():
    """-lim (1/beta) [log(1-q)/2 + q/(2(1-q))] with 1 - q = chi/beta."""
    ent = sp.log(1 - q) / 2 + q / (2 * (1 - q))
    return sp.limit(-ent.subs(q, 1 - chi / beta) / beta, beta, sp.oo)


@lru_cache(maxsize=None)
def zero_temperature():
    """Dict of the zero-temperature RS expressions (functional, stationarity, estimators, threshold system)."""
    pieces, (jump, _) = moreau_envelope(xi, chi)
    avg_g = integrate_gaussian(None, pieces)
    functional = tails(_entropic_limit() - alpha * avg_g)
    stationarity = tails(sp.expand(2 * chi**2 * sp.diff(functional, chi)))  # 2 chi^2 de/dchi, same root
    estar = tails(alpha * integrate_gaussian(sp.Integer(1), [(sp.Integer(1), jump, sp.oo)]))
    (alpha_of_chi,) = sp.solve(stationarity, alpha)
    alpha_of_chi = tails(alpha_of_chi)
    reduced = tails(estar.subs(alpha, alpha_of_chi) - 1)
    system = [stationarity, estar - 1]
    return {
        "functional": functional,
        "stationarity": stationarity,
        "estar": estar,
        "alpha_of_chi": alpha_of_chi,
        "sat_alpha": sp.limit(alpha_of_chi, chi, sp.oo),
        "reduced": reduced,
        "reduced_dchi": sp.diff(reduced, chi),
        "system": system,
        "jacobian": sp.Matrix(system).jacobian([alpha, chi]),
        "denergy_dalpha": sp.diff(functional, alpha),
    }


def output_partition_function(wv=w):
    """Z_out(w) = E_u exp(-beta theta(w + sqrt(1-q) u)): weight 1 below the jump, e^{-beta} above."""
    cut = -wv / sp.sqrt(1 - q)
    return sp.expand(integrate_gaussian(None, [(sp.Integer(1), -sp.oo, cut), (sp.exp(-beta), cut, sp.oo)], u)
                     .rewrite(sp.erfc))


@lru_cache(maxsize=None)
def finite_temperature():
    """Dict of the finite-beta RS expressions: free entropy, q-equation, energy, replicon (AT) condition."""
    zout = output_partition_function(w)
    free_entropy = sp.log(1 - q) / 2 + q / (2 * (1 - q)) + alpha * Avg(sp.log(zout.subs(w, sp.sqrt(q) * xi)))
    f2 = sp.diff(sp.log(zout), w, 2).subs(w, sp.sqrt(q) * xi)
    return {
        "zout": zout,
        "free_entropy": free_entropy,
        "q_equation": sp.diff(free_entropy, q),
        "energy": -sp.diff(free_entropy, beta),
        "replicon": 1 / alpha - Avg(((1 - q) * f2)**2),
    }


def kernels():
    z = zero_temperature()
    jac = z["jacobian"]
    ks = [
        Kernel("rs_sat_alpha", (), z["sat_alpha"],
               "SAT boundary: lim_{chi->oo} of the alpha solving (RS-chi); below it e* = 0 (docs/theory.md §2.3)."),
        Kernel("rs_functional", (alpha, chi), z["functional"],
               "RS zero-temperature energy functional e(chi; alpha) (docs/theory.md §2.2)."),
        Kernel("rs_stationarity", (alpha, chi), z["stationarity"],
               "2 chi^2 de/dchi: zero at the RS saddle (RS-chi)."),
        Kernel("rs_estar", (alpha, chi), z["estar"],
               "Active-constraint estimator alpha P(xi > sqrt(2 chi)) of e* (RS-e)."),
        Kernel("rs_alpha_of_chi", (chi,), z["alpha_of_chi"], "alpha solving (RS-chi) for given chi."),
        Kernel("rs_threshold_reduced", (chi,), z["reduced"],
               "e*(alpha(chi), chi) - 1: the threshold equation with alpha eliminated (docs/theory.md §2.3)."),
        Kernel("rs_threshold_reduced_dchi", (chi,), z["reduced_dchi"], "chi-derivative of rs_threshold_reduced."),
        Kernel("rs_denergy_dalpha", (alpha, chi), z["denergy_dalpha"],
               "partial de/dalpha at fixed chi (= de*/dalpha at the saddle, envelope theorem)."),
    ]
    for i, eq in enumerate(("stationarity", "estar_minus_one")):
        ks.append(Kernel(f"rs_threshold_{eq}", (alpha, chi), z["system"][i], f"Threshold system equation {i}."))
        for j, var in enumerate(("alpha", "chi")):
            ks.append(Kernel(f"rs_threshold_jac_{i}_{var}", (alpha, chi), jac[i, j],
                             f"d(threshold equation {i})/d{var}."))
    f = finite_temperature()
    dat = [f["q_equation"], f["energy"] - 1, f["replicon"]]
    for i, eq in enumerate(dat):
        for var in (q, beta, alpha):
            ks.append(Averaged(f"dat_jac_{i}_{var}", (alpha, beta, q), sp.diff(eq, var),
                               f"d/d{var} of dAT system equation {i} (q-equation, energy - 1, replicon)."))
    ks += [
        Averaged("rs_free_entropy", (alpha, beta, q), f["free_entropy"],
                 "Finite-beta RS free entropy Phi_RS(q) (docs/theory.md §2.1)."),
        Averaged("rs_q_equation", (alpha, beta, q), f["q_equation"], "dPhi_RS/dq: zero at the RS saddle (RS-q)."),
        Averaged("rs_energy_beta", (alpha, beta, q), f["energy"], "e_RS(alpha, beta) = -dPhi_RS/dbeta (§2.1)."),
        Averaged("rs_replicon", (alpha, beta, q), f["replicon"],
                 "Replicon (AT) stability function; RS stable iff > 0 (docs/theory.md §2.4)."),
    ]
    return ks
