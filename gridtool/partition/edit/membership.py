"""Which grid each household feature is in now, as an array kept in step with a GridPlan.

The canvas colours households by this array and the grid shapes are rebuilt from it. It is
updated from the codes an edit touched (every move touches the grids it took households from
and the grid it gave them to), so an update looks only at the features of those grids.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # GridPlan builds a Membership to rebuild grid shapes (contiguity)
    from .plan import GridPlan


class Membership:
    """``of_feature[f]``: index into ``codes`` of the grid holding most of feature ``f`` (-1: none).

    ``codes`` only grows (a merged-away grid keeps its index, with no features), so indices stay
    valid for colour tables across undo and redo.
    """

    def __init__(self, plan: GridPlan):
        self.plan = plan
        self.codes: list[str] = []
        self.index: dict[str, int] = {}
        for c in plan.codes:
            self.code_index(c)
        n = len(plan.households)
        # code_index also takes codes the plan does not edit (special grids, 专属网格)
        self.of_feature = np.array([self.code_index(g) if (g := plan.grid_of(f)) else -1 for f in range(n)],
                                   dtype=np.int64)
        #: The membership when the plan was made (grid shapes are rebuilt relative to it).
        self.base = self.of_feature.copy()

    def code_index(self, code: str) -> int:
        i = self.index.get(code)
        if i is None:
            i = self.index[code] = len(self.codes)
            self.codes.append(code)
        return i

    def update(self, touched) -> np.ndarray:
        """Bring the array up to date after an edit that touched ``touched`` codes; returns the
        features whose grid changed."""
        ids = [self.code_index(c) for c in touched]
        cand = np.flatnonzero(np.isin(self.of_feature, ids) | (self.of_feature < 0))
        if not len(cand):
            return cand
        grid_of = self.plan.grid_of
        # code_index adds the codes a split made
        new = np.array([self.code_index(g) if (g := grid_of(int(f))) is not None else -1 for f in cand],
                       dtype=np.int64)
        changed = new != self.of_feature[cand]
        self.of_feature[cand[changed]] = new[changed]
        return cand[changed]

    def features_in(self, code: str) -> np.ndarray:
        i = self.index.get(code)
        return np.zeros(0, dtype=np.int64) if i is None else np.flatnonzero(self.of_feature == i)

    def moved_since_base(self) -> np.ndarray:
        return np.flatnonzero(self.of_feature != self.base)
