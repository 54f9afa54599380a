"""Compiled inner loops of the bisection solver (numba).

The cut search of :mod:`gridtool.partition.solver` grows a region from eight compass directions
for every bisection; in pure Python those growths and the connectivity checks of the remainder
were half of a county run. They are plain loops over integer arrays (a CSR adjacency, a heap, a
breadth-first search), which numba compiles to machine code; no graph library offers "grow along
a direction and score every prefix" as one call, so the loops are written here.

The functions repeat the Python reference in ``solver.py`` step for step (same heap order, same
tie-breaks, the same floating-point operations in the same order), so both give the same cuts;
``tests/test_partition_kernels.py`` checks that on random graphs. Compiled code is cached on disk
(``cache=True``) so only the first run on a machine pays the compilation (a few seconds).
"""

from __future__ import annotations

import heapq
import math

import numpy as np
from numba import njit

_INF = np.inf


@njit(cache=True)
def _components_mask(indptr, indices, inrest, order_nodes, w):
    """Components of the nodes with ``inrest`` true, visited in ``order_nodes`` order.

    Returns (label per node, -1 outside; number of components; weight per component; smallest
    node per component)."""
    n = inrest.shape[0]
    lab = np.full(n, -1, np.int64)
    ncomp = 0
    cw = np.zeros(order_nodes.shape[0] + 1, np.int64)
    first = np.zeros(order_nodes.shape[0] + 1, np.int64)
    queue = np.empty(n, np.int64)
    for s in order_nodes:
        if not inrest[s] or lab[s] >= 0:
            continue
        lab[s] = ncomp
        first[ncomp] = s
        head = 0
        tail = 0
        queue[tail] = s
        tail += 1
        tot = 0
        while head < tail:
            u = queue[head]
            head += 1
            tot += w[u]
            for j in range(indptr[u], indptr[u + 1]):
                v = indices[j]
                if inrest[v] and lab[v] < 0:
                    lab[v] = ncomp
                    queue[tail] = v
                    tail += 1
        cw[ncomp] = tot
        ncomp += 1
    return lab, ncomp, cw[:ncomp], first[:ncomp]


@njit(cache=True)
def _close(indptr, indices, w, nodes, member, side, a, b):
    """Side one (mask) if the rest stays connected, absorbing small cut-off pieces of the rest
    when side one's total stays within [a, b]; returns (ok, mask)."""
    inrest = member & ~side
    anyrest = False
    for u in nodes:
        if inrest[u]:
            anyrest = True
            break
    if not anyrest:
        return False, side
    lab, ncomp, cw, first = _components_mask(indptr, indices, inrest, nodes, w)
    if ncomp == 1:
        return True, side
    # Keep the heaviest piece (ties: the one with the smallest unit); absorb the others.
    keep = 0
    for c in range(1, ncomp):
        if cw[c] > cw[keep] or (cw[c] == cw[keep] and first[c] < first[keep]):
            keep = c
    extra = 0
    for c in range(ncomp):
        if c != keep:
            extra += cw[c]
    total = extra
    for u in nodes:
        if side[u]:
            total += w[u]
    if total > b or total < a:
        return False, side
    out = side.copy()
    for u in nodes:
        if inrest[u] and lab[u] != keep:
            out[u] = True
    return True, out


@njit(cache=True)
def _compactness(sa, sx, sy, sr):
    sa = max(sa, 1e-9)
    inertia = sr - (sx * sx + sy * sy) / sa
    c = sa * sa / (2 * math.pi * max(inertia, 1e-9))
    return min(max(c, 0.0), 1.0)


@njit(cache=True)
def bisect_candidates(indptr, indices, aff, w, xy, area, nodes, a, b, ideal, cx, cy, T, scale,
                      cut_weight, dirs, n_checked):
    """For each compass direction: the best connected side one (mask) and its cost.

    Returns (cost per direction, +inf where none; masks, one row per direction)."""
    n = w.shape[0]
    n_dirs = dirs.shape[0]
    member = np.zeros(n, np.bool_)
    for u in nodes:
        member[u] = True
    m = nodes.shape[0]
    costs = np.full(n_dirs, _INF)
    masks = np.zeros((n_dirs, n), np.bool_)
    proj = np.empty(n)
    inside = np.zeros(n, np.bool_)
    queued = np.zeros(n, np.bool_)
    order = np.empty(m, np.int64)
    cumw = np.empty(m, np.int64)
    cut = np.empty(m)
    window = b - a
    for d in range(n_dirs):
        ux = dirs[d, 0]
        uy = dirs[d, 1]
        seed = -1
        best = _INF
        for u in nodes:
            p = (xy[u, 0] - cx) * ux + (xy[u, 1] - cy) * uy
            proj[u] = p
            if p < best:  # nodes ascend, so the first minimum is the smallest unit
                best = p
                seed = u
        for u in nodes:
            inside[u] = False
            queued[u] = False
        heap = [(proj[seed], seed)]
        queued[seed] = True
        k = 0
        total = 0
        c = 0.0
        while len(heap) > 0:
            _, u = heapq.heappop(heap)
            inside[u] = True
            order[k] = u
            total += w[u]
            for j in range(indptr[u], indptr[u + 1]):
                v = indices[j]
                if not member[v]:
                    continue
                f = aff[j]
                if inside[v]:
                    c -= f
                else:
                    c += f
                    if not queued[v]:
                        queued[v] = True
                        heapq.heappush(heap, (proj[v], v))
            cumw[k] = total
            cut[k] = c
            k += 1
            if total > b:
                break
        # Prefix moments and the cost of every prefix whose total lies in the window.
        n_ok = 0
        pos = np.empty(k, np.int64)
        cost = np.empty(k)
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        for i in range(k):
            u = order[i]
            ar = area[u]
            x = xy[u, 0] - cx
            y = xy[u, 1] - cy
            s0 += ar
            s1 += ar * x
            s2 += ar * y
            s3 += ar * (x * x + y * y) + ar * ar / (2 * math.pi)
            if cumw[i] < a or cumw[i] > b or i >= m - 1:
                continue
            c1 = _compactness(s0, s1, s2, s3)
            c2 = _compactness(T[0] - s0, T[1] - s1, T[2] - s2, T[3] - s3)
            bal = 0.0
            if window > 0:
                bal = 0.5 * abs(cumw[i] - ideal) / max(window, 1.0)
            pos[n_ok] = i
            cost[n_ok] = cut_weight * cut[i] / scale + (2.0 - c1 - c2) + bal
            n_ok += 1
        if n_ok == 0:
            continue
        rank = np.argsort(cost[:n_ok], kind="mergesort")
        side = np.zeros(n, np.bool_)
        for r in range(min(n_checked, n_ok)):
            p = pos[rank[r]]
            side[:] = False
            for i in range(p + 1):
                side[order[i]] = True
            ok, out = _close(indptr, indices, w, nodes, member, side, a, b)
            if ok:
                costs[d] = cost[rank[r]]
                masks[d] = out
                break
    return costs, masks


@njit(cache=True)
def n_components(n, a, b):
    """Number of connected components of the graph on ``n`` nodes with edges ``a[i]``–``b[i]``
    (union-find with path halving)."""
    parent = np.arange(n)
    comps = n
    for i in range(len(a)):
        x = a[i]
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        y = b[i]
        while parent[y] != y:
            parent[y] = parent[parent[y]]
            y = parent[y]
        if x != y:
            parent[x] = y
            comps -= 1
    return comps
