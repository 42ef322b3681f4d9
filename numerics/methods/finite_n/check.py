"""Is this layer injective?  ``check(W)``: verdict, bounds on the minimum active count, certificate
(docs/finite_n.md §1–§4).

Facts used (A(x) = {mu : w_mu . x >= 0}, D(W) = min_{x != 0} |A(x)|):

* ReLU(W .) is injective iff rank W_A(x) = n for every x (x = 0 included: rank W = n).  A witness x with
  rank W_A(x) < n is checked exactly (certificate.verify_witness).
* |A(x)| < n forces rank W_A(x) < n, so D(W) < n proves non-injectivity in any position.
* If some x has rank W_A(x) < n, A(x) lies in a hyperplane H through 0 and the rows outside H are strictly
  negative at x.  If D(W) >= n, such an H contains >= n rows.  W is in *general position* (every n rows
  independent) iff no hyperplane holds n rows; then D(W) >= n proves injectivity.  Otherwise each hyperplane
  spanned by rows that holds >= n rows is examined: a strictly negative x on the rows outside it is a
  witness; 0 in the convex hull of the rows outside it (a positive circuit, exact) rules it out.
* General position is certified exactly (every n x n minor nonzero modulo a prime, zero minors mod p
  rechecked over Q) when C(m, n) is small; for larger W only exact necessary conditions are checked (no zero
  row, no two parallel rows, rank n) and the verdict says so.
"""
from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import certificate, exact, local, lp
from .io import validate_matrix

GP_MINOR_BUDGET = 200_000
"""Largest C(m, n) for which all n x n minors are examined (general position certified exactly)."""
HYPERPLANE_BUDGET = 20_000
"""Largest C(m', n-1) (m' distinct row directions) for which degenerate hyperplanes are enumerated."""
EXACT_MAX_N = 16
"""check(W, exact="auto") runs the exact solver up to this n; beyond it, the local-search bound."""


@dataclass(frozen=True)
class CheckResult:
    """Verdict on the injectivity of x -> ReLU(Wx) with its evidence.

    ``injective``: True (proved), False (proved by an exact witness) or None (undecided).  ``verdict``: the
    same in words, with its qualification.  ``lower_bound``/``upper_bound``: bounds on D(W); ``min_count`` is
    D(W) when they meet.  ``witness``: the x realising ``upper_bound`` (verified exactly).  ``certificate``:
    what the verdict rests on.  ``general_position``: True/False (exact) or None (not decided), with
    ``general_position_checks`` saying what was checked.
    """

    m: int
    n: int
    injective: bool | None
    verdict: str
    method: str
    lower_bound: int | None
    upper_bound: int | None
    witness: np.ndarray | None = field(repr=False)
    certificate: dict = field(repr=False)
    general_position: bool | None
    general_position_checks: tuple
    seconds: float

    @property
    def min_count(self):
        return self.upper_bound if self.lower_bound is not None and self.lower_bound == self.upper_bound else None

    def summary(self) -> str:
        lb = "?" if self.lower_bound is None else self.lower_bound
        ub = "?" if self.upper_bound is None else self.upper_bound
        gp = {True: "yes (exact)", False: "no (exact)", None: "not certified"}[self.general_position]
        lines = [f"W: m = {self.m}, n = {self.n}",
                 f"verdict: {self.verdict}",
                 f"min active count D(W): {self.min_count if self.min_count is not None else f'{lb} <= D <= {ub}'}"
                 f"  (injective in general position iff D >= n = {self.n})",
                 f"method: {self.method}",
                 f"general position: {gp}; checked: {'; '.join(self.general_position_checks)}"]
        for k, v in self.certificate.items():
            if k != "circuits":
                lines.append(f"certificate {k}: {v}")
        if self.witness is not None:
            lines.append("witness x: " + np.array2string(np.asarray(self.witness), precision=17, max_line_width=10**6))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        cert = {k: v for k, v in self.certificate.items() if k != "circuits"}
        if "circuits" in self.certificate:
            cert["circuits"] = [list(c) for c in self.certificate["circuits"]]
        return {"m": self.m, "n": self.n, "injective": self.injective, "verdict": self.verdict,
                "method": self.method, "min_count": self.min_count, "lower_bound": self.lower_bound,
                "upper_bound": self.upper_bound,
                "witness": None if self.witness is None else [float(v).hex() for v in self.witness],
                "general_position": self.general_position,
                "general_position_checks": list(self.general_position_checks), "certificate": cert,
                "seconds": self.seconds}


# ------------------------------------------------------------------------------------- structure (exact)

def _primitive(row):
    g = 0
    for v in row:
        g = math.gcd(g, v)
    return tuple(v // g for v in row)


def structure(Wi: list[list[int]]) -> dict:
    """Exact: zero rows, classes of positively parallel rows, antiparallel pairs, rank."""
    n = len(Wi[0])
    zero = [i for i, r in enumerate(Wi) if not any(r)]
    classes: dict = {}
    for i, r in enumerate(Wi):
        if any(r):
            classes.setdefault(_primitive(r), []).append(i)
    parallel = [v for v in classes.values() if len(v) > 1]
    anti = [(classes[k][0], classes[tuple(-v for v in k)][0]) for k in classes
            if tuple(-v for v in k) in classes and k > tuple(-v for v in k)]
    return {"zero_rows": zero, "parallel": parallel, "antiparallel": anti,
            "rank": certificate.exact_rank(Wi), "n": n, "directions": [v[0] for v in classes.values()]}


def _det_zero_mod_p(blocks: np.ndarray, p: int) -> np.ndarray:
    """Which of the (B, n, n) residue matrices are singular modulo p (batched Gaussian elimination)."""
    A = blocks.copy()
    B, n, _ = A.shape
    singular = np.zeros(B, dtype=bool)
    idx = np.arange(B)
    for k in range(n):
        col = A[:, k:, k]
        nz = col != 0
        has = nz.any(axis=1)
        singular |= ~has
        piv = k + np.argmax(nz, axis=1)
        rows_k = A[idx, k].copy()
        A[idx, k] = A[idx, piv]
        A[idx, piv] = rows_k
        pv = np.where(has, A[:, k, k], 1)
        inv = np.ones(B, dtype=np.int64)
        base, e = pv % p, p - 2
        while e:
            if e & 1:
                inv = (inv * base) % p
            base = (base * base) % p
            e >>= 1
        f = (A[:, k + 1:, k] * inv[:, None]) % p
        A[:, k + 1:, :] = (A[:, k + 1:, :] - (f[:, :, None] * A[:, k, None, :]) % p) % p
    return singular


def general_position(Wi: list[list[int]], st: dict) -> tuple[bool | None, list[str]]:
    """(True/False exact, or None) and what was checked."""
    m, n = len(Wi), st["n"]
    checks = []
    if st["zero_rows"]:
        return False, [f"zero rows {st['zero_rows'][:10]}"]
    if st["parallel"] or st["antiparallel"]:
        return False, [f"parallel rows {(st['parallel'] + [list(a) for a in st['antiparallel']])[:5]}"]
    checks.append("no zero row, no two parallel rows (exact)")
    if st["rank"] < n:
        return False, checks + [f"rank W = {st['rank']} < n (exact)"]
    checks.append("rank W = n (exact)")
    if n <= 2:
        return True, checks + ["n <= 2: pairwise non-parallel rows suffice"]
    total = math.comb(m, n)
    if total > GP_MINOR_BUDGET:
        return None, checks + [f"the C({m},{n}) = {total:.3g} n x n minors were not enumerated"]
    p = certificate.PRIME
    R = np.array([[v % p for v in r] for r in Wi], dtype=np.int64)
    subsets = itertools.combinations(range(m), n)
    while True:
        chunk = list(itertools.islice(subsets, 20000))
        if not chunk:
            break
        S = np.array(chunk)
        for i in np.nonzero(_det_zero_mod_p(R[S], p))[0]:
            rows = [Wi[j] for j in chunk[i]]
            if certificate._rank_bareiss(rows) < n:
                return False, checks + [f"rows {list(chunk[i])} are linearly dependent (exact)"]
    return True, checks + [f"all C({m},{n}) = {total} n x n minors nonzero (mod p, zeros rechecked exactly)"]


# ------------------------------------------------------------------------------------------ the decision

def _degenerate_hyperplanes(Wi, st):
    """Every hyperplane spanned by rows that holds >= n rows (zero rows included), as sorted row tuples; None
    when there are too many (n-1)-subsets of distinct directions to enumerate."""
    n = st["n"]
    dirs = st["directions"]
    if math.comb(len(dirs), n - 1) > HYPERPLANE_BUDGET:
        return None
    found = set()
    for S in itertools.combinations(dirs, n - 1):
        d = certificate.null_vector([Wi[i] for i in S], n)
        if d is None:
            continue
        den = math.lcm(*[v.denominator for v in d])
        di = [int(v * den) for v in d]
        inside = tuple(i for i, r in enumerate(Wi) if sum(a * b for a, b in zip(r, di)) == 0)
        if len(inside) >= n:
            found.add(inside)
    return sorted(found)


def _rank_condition(W, Wi, st, hyperplanes):
    """Decide the hyperplanes: (witness x, H) for the first H whose outside rows are strictly feasible, or
    (None, circuits) with a verified positive circuit outside each H (or None if one could not be verified)."""
    U = lp.unit_rows(W)
    m = len(Wi)
    circuits = []
    for H in hyperplanes:
        outside = [i for i in range(m) if i not in set(H)]
        r = lp.hull_lambda(U, outside)
        if r is None:
            t, y = lp.max_margin(U, outside)
            v = certificate.verify_witness(Wi, y)
            if t > 0 and v["proves_not_injective"]:
                return y, H
            return None, None
        lam = certificate.verify_circuit(Wi, r[0])
        if lam is None:
            return None, None
        circuits.append(tuple(int(i) for i in r[0]))
    return None, circuits


def check(W, *, exact_solver="auto", time_limit: float = 300.0, seed=0, min_count: bool = False) -> CheckResult:
    """Decide whether x -> ReLU(Wx) is injective, with a certificate (see the module docstring).

    exact_solver: "auto" (exact up to n = EXACT_MAX_N, else local search), True, False.  min_count=True
    computes D(W) exactly instead of only deciding D(W) >= n (slower).  A local-search run can only prove
    non-injectivity ("no witness found" otherwise, never "injective").
    """
    t0 = time.perf_counter()
    W = validate_matrix(W)
    if exact_solver not in ("auto", True, False):
        raise ValueError(f"exact_solver must be 'auto', True or False, got {exact_solver!r}")
    if not (isinstance(time_limit, (int, float)) and math.isfinite(time_limit) and time_limit > 0):
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    m, n = W.shape
    Wi = certificate.integer_rows(W)
    st = structure(Wi)

    def result(injective, verdict, method, lb, ub, x, cert, gp=None, gpc=()):
        return CheckResult(m, n, injective, verdict, method, lb, ub, None if x is None else np.asarray(x, float),
                           cert, gp, tuple(gpc), time.perf_counter() - t0)

    if st["rank"] < n:
        return result(False, f"not injective: rank W = {st['rank']} < n (exact), W has a kernel",
                      "exact rank (Bareiss / modular elimination)", 0, 0, np.zeros(n),
                      {"rank": st["rank"]}, False, [f"rank W = {st['rank']} < n (exact)"])
    gp, gpc = general_position(Wi, st)
    use_exact = exact_solver is True or (exact_solver == "auto" and n <= EXACT_MAX_N)
    if not use_exact:
        cnt, x = local.local_search(W, time_limit=time_limit, seed=seed, Wi=Wi)
        v = certificate.verify_witness(Wi, x) if x is not None else None
        if v is not None and v["proves_not_injective"]:
            return result(False, "not injective: witness x (verified exactly)",
                          "local search upper bound (reweighted elastic LPs + re-insertion)", None, v["count"] if
                          len(v["active"]) == v["count"] else len(v["active"]), x,
                          {"active_rows": len(v["active"]), "active_rank": v["active_rank"]}, gp, gpc)
        return result(None, f"no witness found (local-search bound D <= {cnt}; this is not a proof of injectivity)",
                      "local search upper bound (reweighted elastic LPs + re-insertion)", None, cnt, x,
                      {"bound": "upper bound only"}, gp, gpc)
    r = exact.min_active_count(W, time_limit=time_limit, seed=seed, decide=None if min_count else n)
    cert = {"circuits": [c for c, _ in r.circuits], "positive_circuits": len(r.circuits),
            "proof": r.method}
    if r.upper_bound < n:
        v = certificate.verify_witness(Wi, r.witness)
        assert v["proves_not_injective"], "internal: a witness below n must prove non-injectivity"
        cert.update(active_rows=len(v["active"]), active_rank=v["active_rank"])
        return result(False, f"not injective: witness x with {len(v['active'])} < n rows active (verified exactly)",
                      r.method, r.lower_bound, r.upper_bound, r.witness, cert, gp, gpc)
    if r.lower_bound < n:
        return result(None, "undecided: the exact solver could not certify D(W) >= n (a circuit failed exact "
                      "verification)", r.method, r.lower_bound, r.upper_bound, r.witness, cert, gp, gpc)
    # D(W) >= n is proven.
    if gp:
        return result(True, "injective: D(W) >= n proven and W in general position (exact)", r.method,
                      r.lower_bound, r.upper_bound, r.witness, cert, gp, gpc)
    hyperplanes = _degenerate_hyperplanes(Wi, st)
    if hyperplanes is None:
        return result(None, "injective if W is in general position: D(W) >= n proven; general position not certified",
                      r.method, r.lower_bound, r.upper_bound, r.witness, cert, gp, gpc)
    x, info = _rank_condition(W, Wi, st, hyperplanes)
    if x is not None:
        v = certificate.verify_witness(Wi, x)
        cert.update(hyperplane_rows=list(info), active_rows=len(v["active"]), active_rank=v["active_rank"])
        return result(False, f"not injective: the active rows at x span only a {v['active_rank']}-dimensional "
                      "space (rank condition, verified exactly)", r.method + " + rank condition", r.lower_bound,
                      r.upper_bound, x, cert, gp, gpc)
    if info is None:
        return result(None, "undecided: a degenerate hyperplane could not be certified exactly", r.method,
                      r.lower_bound, r.upper_bound, r.witness, cert, gp, gpc)
    cert.update(degenerate_hyperplanes=len(hyperplanes), hyperplane_circuits=info)
    return result(True, f"injective: D(W) >= n proven and each of the {len(hyperplanes)} hyperplanes holding >= n "
                  "rows has a positive circuit outside it (rank condition, exact)", r.method + " + rank condition",
                  r.lower_bound, r.upper_bound, r.witness, cert, gp, gpc + ["degenerate hyperplanes enumerated"])
