"""Exact small hitting sets of a set family (docs/finite_n.md §2.2), the lower-bound engine of exact.py.

Question: is there H with |H| <= budget meeting every set C_i of the family?  Depth-first branch and bound on
bitmasks (Numba): take the unhit set with the fewest allowed elements and branch on which of them enters H
first (child i takes e_i and forbids e_1..e_{i-1}, so the children partition the hitting sets); prune when
some unhit set has no allowed element, when the r = budget - |H| most frequent allowed elements cannot meet
all unhit sets (degree bound), or when more than r unhit sets are pairwise disjoint on their allowed elements
(packing bound, greedy, smallest sets first).  Pure integer combinatorics: no
tolerance enters the answer.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@njit(cache=True)
def _search(C, m, budget, max_nodes, want):
    k, nw = C.shape
    D = budget + 2
    Hs = np.zeros((D, nw), dtype=np.uint64)
    Fs = np.zeros((D, nw), dtype=np.uint64)
    cand = np.zeros((D, m), dtype=np.int64)
    ncand = np.zeros(D, dtype=np.int64)
    pos = np.zeros(D, dtype=np.int64)
    used = np.zeros(nw, dtype=np.uint64)
    allowed = np.zeros(nw, dtype=np.uint64)
    deg = np.zeros(m, dtype=np.int64)
    tmp = np.zeros(m, dtype=np.int64)
    cnts = np.zeros(k, dtype=np.int64)
    nodes = 0
    found = np.zeros((want, nw), dtype=np.uint64)
    nfound = 0
    depth = 0
    fresh = True
    one = np.uint64(1)
    while depth >= 0:
        if fresh:
            nodes += 1
            if nodes > max_nodes:
                return -1, found[:nfound]
            # expand the node at this depth
            best, bestcnt, dead, nunhit = -1, 1 << 30, False, 0
            for j in range(m):
                deg[j] = 0
            for i in range(k):
                cnts[i] = -1
                hit = False
                for w in range(nw):
                    if C[i, w] & Hs[depth, w]:
                        hit = True
                        break
                if hit:
                    continue
                nunhit += 1
                cnt = 0
                for w in range(nw):
                    cnt += _popcount(C[i, w] & ~Fs[depth, w])
                if cnt == 0:
                    dead = True
                    break
                cnts[i] = cnt
                for j in range(m):
                    if C[i, j >> 6] & (one << np.uint64(j & 63)):
                        deg[j] += 1
                if cnt < bestcnt:
                    bestcnt, best = cnt, i
            if not dead and nunhit == 0:
                found[nfound] = Hs[depth]
                nfound += 1
                if nfound == want:
                    return 1, found
                depth -= 1
                fresh = False
                continue
            if dead or depth == budget:
                depth -= 1
                fresh = False
                continue
            r = budget - depth
            # degree bound: r more elements hit at most the sum of the r largest allowed degrees
            for j in range(m):
                dj = deg[j]
                if Fs[depth, j >> 6] & (one << np.uint64(j & 63)):
                    dj = 0
                tmp[j] = dj
            tmp.sort()
            top = 0
            for q in range(r):
                top += tmp[m - 1 - q]
            if top < nunhit:
                depth -= 1
                fresh = False
                continue
            # packing bound: unhit sets pairwise disjoint on allowed elements, smallest first
            for w in range(nw):
                used[w] = np.uint64(0)
            packing = 0
            for size in range(1, bestcnt + 64):
                if packing > r:
                    break
                for i in range(k):
                    if cnts[i] != size:
                        continue
                    disjoint = True
                    for w in range(nw):
                        if C[i, w] & ~Fs[depth, w] & used[w]:
                            disjoint = False
                            break
                    if disjoint:
                        packing += 1
                        for w in range(nw):
                            used[w] |= C[i, w] & ~Fs[depth, w]
            if packing > r:
                depth -= 1
                fresh = False
                continue
            # candidates: allowed elements of the chosen set, most frequent among unhit sets first
            nc = 0
            for j in range(m):
                w = j >> 6
                b = one << np.uint64(j & 63)
                if (C[best, w] & b) and not (Fs[depth, w] & b):
                    cand[depth, nc] = j
                    nc += 1
            for a in range(1, nc):
                v = cand[depth, a]
                b2 = a - 1
                while b2 >= 0 and deg[cand[depth, b2]] < deg[v]:
                    cand[depth, b2 + 1] = cand[depth, b2]
                    b2 -= 1
                cand[depth, b2 + 1] = v
            ncand[depth] = nc
            pos[depth] = 0
        # next child of the node at this depth
        p = pos[depth]
        if p >= ncand[depth]:
            depth -= 1
            fresh = False
            continue
        e = cand[depth, p]
        pos[depth] = p + 1
        for w in range(nw):
            Hs[depth + 1, w] = Hs[depth, w]
            Fs[depth + 1, w] = Fs[depth, w]
        for q in range(p):
            f = cand[depth, q]
            Fs[depth + 1, f >> 6] |= one << np.uint64(f & 63)
        Hs[depth + 1, e >> 6] |= one << np.uint64(e & 63)
        depth += 1
        fresh = True
    return (1 if nfound else 0), found[:nfound]


def masks(sets, m: int) -> np.ndarray:
    """The family as an array of uint64 bitmasks, one row per set."""
    nw = (m + 63) // 64
    C = np.zeros((len(sets), nw), dtype=np.uint64)
    for i, s in enumerate(sets):
        for j in s:
            C[i, j >> 6] |= np.uint64(1) << np.uint64(j & 63)
    return C


def hitting_sets_at_most(sets, m: int, budget: int, want: int = 1, max_nodes: int = 10**9) -> list[list[int]]:
    """Up to ``want`` distinct hitting sets of ``sets`` (iterables of ints in range(m)) with at most ``budget``
    elements; [] when there is none (proven by exhaustive search).  Raises TimeoutError past ``max_nodes``."""
    if budget < 0:
        return []
    if not sets:
        return [[]]
    status, H = _search(masks(sets, m), m, int(budget), int(max_nodes), int(want))
    if status < 0 and len(H) == 0:
        raise TimeoutError(f"hitting-set search passed {max_nodes} nodes")
    return [[j for j in range(m) if int(h[j >> 6]) >> (j & 63) & 1] for h in H]


def hitting_set_at_most(sets, m: int, budget: int, max_nodes: int = 10**9):
    """A hitting set with at most ``budget`` elements, or None when there is none (exhaustive search)."""
    found = hitting_sets_at_most(sets, m, budget, 1, max_nodes)
    return found[0] if found else None
