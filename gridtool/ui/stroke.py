"""Painting households (or whole blocks) into a grid: hit tests and the stroke as one undo step.

A :class:`Stroke` opens an undo macro, moves whatever the brush passes over into the target grid
(step by step, each a :class:`~gridtool.partition.edit.MoveCommand`, so the totals change live),
and closes the macro on release; :meth:`Stroke.cancel` (Esc) undoes the stroke so far.
Which households may move is the plan's rule (:meth:`~gridtool.partition.edit.GridPlan.movable`):
those of locked grids, of special grids (专属网格) and of other villages are left where they are
(grids nest in villages), and the stroke counts them for the status bar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from ..partition.edit import PlanEditError


class HitIndex:
    """Household features (and their blocks) under a brush or inside a box.

    Parameters
    ----------
    xy : household positions (n×2, project CRS).
    blocks : optional :class:`~gridtool.partition.blocks.Blocks` of the same households.
    """

    def __init__(self, xy: np.ndarray, blocks=None):
        self.xy = np.asarray(xy, dtype=float)
        ok = np.isfinite(self.xy).all(axis=1)
        self._ids = np.flatnonzero(ok)
        self._tree = cKDTree(self.xy[ok]) if ok.any() else None
        self.blocks = blocks
        self._block_tree = None
        self._feats_of_block = None
        if blocks is not None:
            hb = np.asarray(blocks.household_block)
            order = np.argsort(hb, kind="stable")
            bounds = np.searchsorted(hb[order], np.arange(len(blocks.gdf) + 1))
            self._feats_of_block = (order, bounds)

    def in_circle(self, x: float, y: float, r: float) -> np.ndarray:
        if self._tree is None:
            return np.zeros(0, dtype=np.int64)
        return self._ids[np.asarray(self._tree.query_ball_point((x, y), r), dtype=np.int64)]

    def in_box(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        x0, x1 = min(x0, x1), max(x0, x1)
        y0, y1 = min(y0, y1), max(y0, y1)
        xy = self.xy
        return np.flatnonzero((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1))

    def nearest(self, x: float, y: float, r: float) -> int | None:
        """The feature nearest to ``(x, y)`` within ``r``, if any."""
        if self._tree is None:
            return None
        d, i = self._tree.query((x, y), distance_upper_bound=r)
        return int(self._ids[i]) if np.isfinite(d) else None

    # -- blocks -------------------------------------------------------------------------------
    @property
    def has_blocks(self) -> bool:
        return self.blocks is not None

    def blocks_in(self, geom) -> np.ndarray:
        import shapely
        if self._block_tree is None:
            self._block_tree = shapely.STRtree(self.blocks.gdf.geometry.values)
        return self._block_tree.query(geom, predicate="intersects")

    def features_of_blocks(self, blocks: np.ndarray) -> np.ndarray:
        order, bounds = self._feats_of_block
        if not len(blocks):
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([order[bounds[b]:bounds[b + 1]] for b in blocks])

    def block_circle(self, x, y, r) -> np.ndarray:
        import shapely
        return self.features_of_blocks(self.blocks_in(shapely.buffer(shapely.points(x, y), r, quad_segs=4)))

    def block_box(self, x0, y0, x1, y1) -> np.ndarray:
        import shapely
        return self.features_of_blocks(self.blocks_in(shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))))


@dataclass
class StrokeResult:
    moved: int = 0
    locked_skipped: int = 0
    other_village_skipped: int = 0
    sources: set = field(default_factory=set)


class Stroke:
    """One brush or box stroke into ``target`` on a :class:`~gridtool.ui.session.Session`.

    Raises :class:`~gridtool.partition.edit.LockedGridError` from :meth:`begin` when the target is
    locked, :class:`~gridtool.partition.edit.PlanEditError` when it is not a base grid.
    """

    def __init__(self, session, target: str):
        self.session = session
        self.target = target
        self.result = StrokeResult()
        self.open = False

    def begin(self) -> None:
        plan = self.session.plan
        if plan is None:
            raise PlanEditError("项目中还没有网格", "the project has no grids yet",
                                fix_zh="先运行“划分网格”。", fix_en="run the partition first.")
        plan.check_target(self.target)  # a base grid, not locked (the plan's rules)
        self.session.undo.begin_macro(f"涂刷到 {self.target} / paint into {self.target}")
        self.open = True

    def add(self, features) -> int:
        """Move ``features`` (those that may move) into the target; returns how many moved."""
        if not self.open:
            return 0
        e = self.session.edit
        plan, m = e.plan, e.membership
        feats = np.unique(np.asarray(features, dtype=np.int64))
        if not len(feats):
            return 0
        ti = m.index[self.target]
        cur = m.of_feature[feats]
        feats, cur = feats[cur != ti], cur[cur != ti]
        if not len(feats):
            return 0
        ok = plan.movable(feats.tolist(), self.target)  # the rules: locks, special grids, villages
        self.result.locked_skipped += len(ok.locked)
        self.result.other_village_skipped += len(ok.other_village)
        if not ok.features:
            return 0
        keep = np.isin(feats, ok.features)
        feats, cur = feats[keep], cur[keep]
        cmd = plan.move(feats.tolist(), self.target)
        codes = m.codes
        self.result.sources |= {codes[c] for c in cur if c >= 0}
        self.session.push(cmd)
        self.result.moved += len(feats)
        return len(feats)

    def end(self) -> StrokeResult:
        if self.open:
            self.open = False
            self.session.undo.end_macro()
        return self.result

    def cancel(self) -> None:
        if self.open:
            self.open = False
            self.session.undo.cancel_macro()
