"""Bring a plan back within bounds with as few moves as possible (redraws and hand edits).

Starting from given labels (last year's grids, or a planner's edits), a grid over the maximum hands
a unit on its border to a neighbouring grid, and a grid under the minimum takes one from a
neighbour, always keeping both grids connected; a move that pushes the neighbour out of bounds is
allowed (it then passes a unit on: an ejection chain) but a unit never goes back to a grid it has
just left. Units of fixed (locked) grids never move. Deterministic: ties by unit index.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .solver import UnitGraph


def _connected_without(g: UnitGraph, members: set[int], drop: int) -> bool:
    rest = members - {drop}
    if not rest:
        return False
    start = next(iter(rest))
    seen = {start}
    q = deque([start])
    while q:
        u = q.popleft()
        for v, _ in g.nbrs[u]:
            if v in rest and v not in seen:
                seen.add(v)
                q.append(v)
    return len(seen) == len(rest)


def repair(g: UnitGraph, labels: np.ndarray, lo: int, hi: int, *, fixed: set[int] = frozenset(),
           target: float | None = None, max_moves: int | None = None) -> tuple[bool, int]:
    """Move units between neighbouring labels until every non-fixed label is within [lo, hi].

    ``labels`` (one per unit, -1 for units outside the plan) is changed in place. Returns
    (success, number of units moved).
    """
    w = g.w
    labels = labels  # in place
    members: dict[int, set[int]] = {}
    for u, lab in enumerate(labels.tolist()):
        if lab >= 0:
            members.setdefault(lab, set()).add(u)
    tot = {lab: int(w[list(m)].sum()) for lab, m in members.items()}
    target = target if target is not None else (lo + hi) / 2
    max_moves = max_moves if max_moves is not None else 4 * len(labels) + 10
    left_from: dict[int, int] = {}  # unit -> the label it last left (no going back)
    moves = 0
    while moves < max_moves:
        bad = [lab for lab in sorted(tot) if lab not in fixed and (tot[lab] > hi or tot[lab] < lo)]
        if not bad:
            return True, moves
        p = max(bad, key=lambda lab: (max(tot[lab] - hi, lo - tot[lab]), -lab))
        best = None
        if tot[p] > hi:
            excess = tot[p] - hi
            for u in sorted(members[p]):
                for v, _ in g.nbrs[u]:
                    q = labels[v]
                    if q < 0 or q == p or q in fixed or left_from.get(u) == q:
                        continue
                    fits = tot[q] + w[u] <= hi
                    key = (not fits, w[u] < excess and not fits, abs(w[u] - excess), u, q)
                    if best is None or key < best[0]:
                        if _connected_without(g, members[p], u):
                            best = (key, u, p, q)
        else:
            need = lo - tot[p]
            seen = set()
            for x in sorted(members[p]):
                for u, _ in g.nbrs[x]:
                    q = labels[u]
                    if q < 0 or q == p or q in fixed or u in seen or left_from.get(u) == p:
                        continue
                    seen.add(u)
                    fits = tot[q] - w[u] >= lo and tot[p] + w[u] <= hi
                    key = (not fits, abs(w[u] - need), u, q)
                    if best is None or key < best[0]:
                        if _connected_without(g, members[q], u):
                            best = (key, u, q, p)
        if best is None:
            return False, moves
        _, u, src, dst = best
        members[src].discard(u)
        members[dst].add(u)
        tot[src] -= int(w[u])
        tot[dst] += int(w[u])
        labels[u] = dst
        left_from[u] = src
        moves += 1
    return False, moves
