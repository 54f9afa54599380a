"""Split a connected graph of weighted units into k connected parts, every part within [lo, hi].

Why our own: the libraries at hand each miss a hard rule. spopt's max-p has only a lower bound;
METIS (pymetis) balances to a tolerance but neither guarantees [lo, hi] nor keeps parts connected
across our barrier-weighted graph; GerryChain samples, it does not optimise, and is slow at county
scale. The bounds are the rule planners are held to, so the construction enforces them exactly:

**Recursive bisection with feasible windows.** A region of W households that must become k grids is
cut into two connected sides holding k1 = ⌊k/2⌋ and k2 = k − k1 grids. Side one's total must lie in
``[max(lo·k1, W − hi·k2), min(hi·k1, W − lo·k2)]`` so that both sides stay splittable; at k = 1
that window is [lo, hi] itself, so every leaf is a grid within bounds by construction.

Candidate cuts come from growing a connected region from each of several compass directions
(a sweep that follows the graph, so the grown side is always connected). Every prefix whose total
lies in the window is scored by

- the *affinity* of the cut (Σ over cut edges of shared-border length × class affinity, so cutting
  along a main road or river is nearly free and cutting between houses on a lane is dear),
- the compactness of both sides (area moment of inertia against a disc of the same area),
- the distance from the even split (grids near the target),

and the best prefix whose remainder is also connected wins (small cut-off pieces of the remainder are
absorbed when the window allows). Deterministic: no randomness, ties broken by unit index.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict, deque
from typing import Callable, Sequence

import numpy as np

from ..arrays import unique_ints
from ..errors import CancelledError

N_DIRECTIONS = 8
CANDIDATES_CHECKED = 6
ALTERNATIVES = 3  # cuts of one region tried in turn when a side then fails
BACKTRACK_BUDGET = 40
USE_KERNELS = True  # compiled cut search (kernels.py); False: the Python reference below
CUT_WEIGHT = 1.0  # cut affinity against compactness in a candidate's cost


class UnitGraph:
    """Units (blocks or households) with weights, centroids, areas and weighted adjacency."""

    def __init__(self, weights: Sequence[int], xy: np.ndarray, area: Sequence[float],
                 edges_a: Sequence[int], edges_b: Sequence[int], affinity: Sequence[float]):
        self.w = np.asarray(weights, dtype=np.int64)
        self.xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        self.area = np.maximum(np.asarray(area, dtype=float), 1e-6)
        ea = np.asarray(edges_a)
        self._edges = (ea.astype(np.int64).reshape(-1), np.asarray(edges_b).astype(np.int64).reshape(-1),
                       np.asarray(affinity, dtype=float).reshape(-1))
        self._csr = None
        self._nbrs = None

    @property
    def nbrs(self) -> list[list[tuple[int, float]]] | dict:
        """Each unit's (neighbour, affinity) pairs in edge order, made when first asked for: the
        compiled cut search and :meth:`components` work on the CSR arrays alone."""
        if self._nbrs is None:
            n = len(self.w)
            indptr, indices, aff = self.csr()
            # A village's graph indexed by county-wide block ids has few edges among many ids:
            # keep lists only for the ids that have neighbours instead of one (empty) list per id.
            nb: list | dict = [[] for _ in range(n)] if 4 * len(indices) >= n else defaultdict(list)
            deg = np.diff(indptr)
            pairs = list(zip(indices.tolist(), aff.tolist()))
            for u in np.flatnonzero(deg).tolist():
                nb[u] = pairs[indptr[u]:indptr[u + 1]]
            self._nbrs = nb
        return self._nbrs

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indptr, indices, affinity) of the adjacency, each unit's neighbours in the order of
        ``nbrs`` (edge order), for the compiled kernels."""
        if self._csr is None:
            n = len(self.w)
            ea, eb, ef = self._edges
            keep = ea != eb
            ea, eb, ef = ea[keep], eb[keep], ef[keep]
            eid = np.arange(len(ea))
            s = np.concatenate([ea, eb])
            d = np.concatenate([eb, ea])
            f = np.concatenate([ef, ef])
            order = np.lexsort((np.concatenate([eid, eid]), s))
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(s, minlength=n), out=indptr[1:])
            self._csr = (indptr, d[order].astype(np.int64), f[order].astype(float))
        return self._csr

    def __len__(self) -> int:
        return len(self.w)

    def components(self, nodes: Sequence[int] | None = None) -> list[list[int]]:
        """Connected components among ``nodes`` (all units when None), each sorted, in order."""
        from .kernels import _components_mask
        n = len(self.w)
        nodes = np.arange(n, dtype=np.int64) if nodes is None else \
            unique_ints(np.fromiter((int(i) for i in nodes), dtype=np.int64))
        if not len(nodes):
            return []
        indptr, indices, _ = self.csr()
        inrest = np.zeros(n, dtype=np.bool_)
        inrest[nodes] = True
        # Breadth-first from the smallest unvisited node: components come in the order of their
        # smallest member, each sorted.
        lab, ncomp, _, _ = _components_mask(indptr, indices, inrest, nodes, self.w)
        lab = lab[nodes]
        order = np.argsort(lab, kind="stable")
        cuts = np.flatnonzero(np.diff(lab[order])) + 1
        return [c.tolist() for c in np.split(nodes[order], cuts)]


def partition(graph: UnitGraph, nodes: Sequence[int], k: int, lo: int, hi: int, *,
              cancelled: Callable[[], bool] | None = None,
              budget: int = BACKTRACK_BUDGET) -> list[list[int]] | None:
    """Cut the connected ``nodes`` into ``k`` connected parts, each total within [lo, hi].

    Returns the parts (lists of unit indices) or None when no such cut was found (the caller
    refines the units or reports the village).
    """
    if k < 1:
        return None
    if USE_KERNELS:
        # The compiled search works on sorted arrays; lists are made only for the parts returned.
        nodes = np.sort(np.arange(nodes.start, nodes.stop, nodes.step, dtype=np.int64) if isinstance(nodes, range)
                        else np.fromiter((int(i) for i in nodes), dtype=np.int64))
    else:
        nodes = sorted(int(i) for i in nodes)
    W = int(graph.w[nodes].sum())
    if not (lo * k <= W <= hi * k):
        return None
    budget = [budget]
    return _solve(graph, nodes, k, lo, hi, cancelled, budget)


def _solve(g, nodes, k, lo, hi, cancelled, budget):
    """Depth-first: the best cut first; when a side then cannot be split (units too coarse for
    its window), the next best cut of the parent is tried, within a budget of attempts."""
    if k == 1:
        return [nodes.tolist() if isinstance(nodes, np.ndarray) else nodes]
    if cancelled is not None and cancelled():
        raise CancelledError()
    for (s1, k1), (s2, k2) in _bisect(g, nodes, k, lo, hi):
        budget[0] -= 1
        left = _solve(g, s1, k1, lo, hi, cancelled, budget)
        if left is not None:
            right = _solve(g, s2, k2, lo, hi, cancelled, budget)
            if right is not None:
                return left + right
        if budget[0] <= 0:
            return None
    return None


def _bisect(g: UnitGraph, nodes: list[int], k: int, lo: int, hi: int):
    k1 = k // 2
    k2 = k - k1
    w = g.w
    nodes_arr = np.asarray(nodes, dtype=np.int64)  # index once; the same values as with the list
    W = int(w[nodes_arr].sum())
    a = max(lo * k1, W - hi * k2)
    b = min(hi * k1, W - lo * k2)
    if a > b:
        return []
    ideal = W * k1 / k
    xy = g.xy
    area = g.area
    # Region totals for the complement's shape.
    sa = area[nodes_arr]
    A = float(sa.sum())
    sx = xy[nodes_arr, 0]
    sy = xy[nodes_arr, 1]
    # Centre coordinates on the region to keep the moment sums well conditioned (sum / n is
    # np.mean's own arithmetic, without its per-call overhead: thousands of calls per county).
    cx, cy = float(sx.sum()) / len(sx), float(sy.sum()) / len(sy)
    T = _moments(sa, sx - cx, sy - cy)
    scale = math.sqrt(A) if A > 0 else 1.0
    found = []
    if USE_KERNELS:
        from .kernels import bisect_candidates
        indptr, indices, aff = g.csr()
        costs, masks = bisect_candidates(indptr, indices, aff, w, xy, area, nodes_arr,
                                         int(a), int(b), float(ideal), cx, cy, T.astype(float),
                                         float(scale), float(CUT_WEIGHT), _DIRS, CANDIDATES_CHECKED)
        return _kernel_alternatives(costs, masks, nodes_arr, k1, k2)
    member = set(nodes)
    # Projections of every unit on the compass directions, computed once for all sweeps.
    ang = 2 * math.pi * np.arange(N_DIRECTIONS) / N_DIRECTIONS
    P_all = (sx - cx)[:, None] * np.cos(ang)[None, :] + (sy - cy)[:, None] * np.sin(ang)[None, :]
    for d in range(N_DIRECTIONS):
        ux, uy = math.cos(ang[d]), math.sin(ang[d])
        col = P_all[:, d]
        seed = nodes[int(np.lexsort((nodes_arr, col))[0])]
        res = _grow(g, nodes, member, ux, uy, a, b, proj=dict(zip(nodes, col.tolist())), seed=seed)
        if res is None:
            continue
        order, cumw, cut, ordered_idx = res
        if not len(ordered_idx):
            continue
        # Prefix moments, vectorised over the grown order.
        oa = area[order]
        ox = xy[order, 0] - cx
        oy = xy[order, 1] - cy
        P = np.cumsum(np.vstack(_moment_terms(oa, ox, oy)), axis=1)
        P = P[:, ordered_idx]
        Q = T[:, None] - P
        c1 = _compactness(P)
        c2 = _compactness(Q)
        cw = cumw[ordered_idx]
        cost = (CUT_WEIGHT * cut[ordered_idx] / scale + (2.0 - c1 - c2)
                + 0.5 * np.abs(cw - ideal) / max(b - a, 1.0) * (b - a > 0))
        rank = np.lexsort((ordered_idx, cost))
        for r in rank[:CANDIDATES_CHECKED]:
            pos = int(ordered_idx[r])
            side1 = _close(g, order[: pos + 1], member, w, a, b)
            if side1 is None:
                continue
            found.append((float(cost[r]), d, sorted(side1)))
            break
    return _alternatives(found, nodes, k1, k2)


_ANG = 2 * math.pi * np.arange(N_DIRECTIONS) / N_DIRECTIONS
_DIRS = np.ascontiguousarray(np.column_stack([np.cos(_ANG), np.sin(_ANG)]))


def _kernel_alternatives(costs, masks, nodes_arr, k1, k2):
    """:func:`_alternatives` of the compiled search: the directions by (cost, direction), a cut
    found from several directions once, at most ``ALTERNATIVES``; each side as a sorted array.

    A mask spans every unit of the graph but is set only on the nodes (sorted): read at the
    nodes it gives side one in ascending order, and two directions found the same cut exactly
    when their masks agree there (compared as bytes, not as lists of ints)."""
    out, seen = [], set()
    dirs = np.flatnonzero(np.isfinite(costs))
    for d in dirs[np.lexsort((dirs, costs[dirs]))].tolist():
        m = masks[d, nodes_arr]
        key = m.tobytes()
        if key in seen:
            continue
        seen.add(key)
        out.append(((nodes_arr[m], k1), (nodes_arr[~m], k2)))
        if len(out) == ALTERNATIVES:
            break
    return out


def _alternatives(found, nodes, k1, k2):
    """The distinct cuts, best first, at most ``ALTERNATIVES`` of them."""
    found.sort(key=lambda t: (t[0], t[1]))
    out, seen = [], set()
    nodes_arr = None
    for _, _, s1, *mask in found:
        key = tuple(s1)
        if key in seen:
            continue
        seen.add(key)
        if mask:  # the compiled search's mask of side one: the rest, in the order of ``nodes``
            if nodes_arr is None:
                nodes_arr = np.asarray(nodes, dtype=np.int64)
            rest = nodes_arr[~mask[0][nodes_arr]].tolist()
        else:
            ss = set(s1)
            rest = [u for u in nodes if u not in ss]
        out.append(((s1, k1), (rest, k2)))
        if len(out) == ALTERNATIVES:
            break
    return out


def _moment_terms(a, x, y):
    return a, a * x, a * y, a * (x * x + y * y) + a * a / (2 * math.pi)


def _moments(a, x, y):
    return np.array([t.sum() for t in _moment_terms(a, x, y)])


def _compactness(M):
    """Area²/(2π·I) for moment sums M (1 for a disc, smaller for stretched shapes)."""
    Sa, Sx, Sy, Sr = M
    Sa = np.maximum(Sa, 1e-9)
    inertia = Sr - (Sx * Sx + Sy * Sy) / Sa
    return np.clip(Sa * Sa / (2 * math.pi * np.maximum(inertia, 1e-9)), 0.0, 1.0)


def _grow(g: UnitGraph, nodes, member, ux, uy, a, b, proj=None, seed=None):
    """Grow a connected region from the extreme unit along (ux, uy), lowest projection first."""
    if proj is None:
        xy = g.xy
        proj = {u: xy[u, 0] * ux + xy[u, 1] * uy for u in nodes}
    if seed is None:
        seed = min(nodes, key=lambda u: (proj[u], u))
    inside: set[int] = set()
    heap = [(proj[seed], seed)]
    queued = {seed}
    order: list[int] = []
    cumw = []
    cut = []
    total = 0
    c = 0.0
    w = g.w
    while heap:
        _, u = heapq.heappop(heap)
        inside.add(u)
        order.append(u)
        total += int(w[u])
        for v, f in g.nbrs[u]:
            if v not in member:
                continue
            if v in inside:
                c -= f
            else:
                c += f
                if v not in queued:
                    queued.add(v)
                    heapq.heappush(heap, (proj[v], v))
        cumw.append(total)
        cut.append(c)
        if total > b:
            break
    cumw = np.asarray(cumw)
    cut = np.asarray(cut)
    ok = (cumw >= a) & (cumw <= b)
    # A whole-region prefix leaves nothing for side two.
    ok[len(nodes) - 1:] = False
    return np.asarray(order), cumw, cut, np.flatnonzero(ok)


def _close(g: UnitGraph, side1, member, w, a, b):
    """Side one if the rest stays connected, absorbing small cut-off pieces when the window allows."""
    s1 = set(int(u) for u in side1)
    rest = [u for u in member if u not in s1]
    if not rest:
        return None
    comps = g.components(rest)
    if len(comps) == 1:
        return list(s1)
    comps.sort(key=lambda c: (-int(w[c].sum()), c[0]))
    extra = sum(int(w[c].sum()) for c in comps[1:])
    total = int(w[list(s1)].sum()) + extra
    if total > b or total < a:
        return None
    for c in comps[1:]:
        s1.update(c)
    return list(s1)
