"""Whether a grid is in one piece: the one rule the partition, ``validate --grids`` and the app's
检查网格 (Check grids) use.

A grid's *land* is its polygon. The partition builds it from whole blocks and shares street and
brook strips down the middle (:func:`.regions.share_strips`), so land joined across a road or a
river inside the grid is one piece; a barrier crossed inside a grid is counted by the grid's
``hard_crossings`` (allowed only where the partition's rule found it unavoidable), not here.

A grid is **split** (not contiguous) when its households lie in more pieces of its land than the
parts of its village they lie in: two pieces in the same part of the village, not joined through
the grid's own land, mean a neighbour's land runs between them — an error of the drawing or of a
hand edit. Pieces in separate parts of the village (the village itself is in parts: exclaves,
islands of land) are explained and reported as such, for information. Pieces holding no household
(an empty island the partition attached to the nearest grid) are neither.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

MIN_PIECE_M2 = 1.0  # smaller polygon bits are overlay dust, not land
TOUCH_M = 0.01  # pieces this close (touching at a point) count as one


@dataclass(frozen=True)
class Pieces:
    """How a grid's households lie on its land: ``pieces`` of land that hold households, the
    ``village_parts`` of its village those pieces lie in, and ``split``: pieces more than the
    village parts explain (0: contiguous, or in pieces only because the village is)."""

    pieces: int
    village_parts: int
    split: int
    village_total: int = 1  # parts the whole village is in

    @property
    def kind(self) -> str:
        """``"split"``, ``"village_parts"`` (in pieces only because the village is) or ``"whole"``."""
        return "split" if self.split > 0 else "village_parts" if self.pieces > 1 else "whole"


def land_pieces(geom) -> list:
    """The separate pieces of a polygon (pieces touching at a point, or closer than
    :data:`TOUCH_M`, count as one)."""
    if geom is None or shapely.is_empty(geom):
        return []
    parts = [p for p in shapely.get_parts(shapely.make_valid(geom))
             if shapely.get_type_id(p) in (3, 6) and shapely.area(p) > MIN_PIECE_M2]
    parts = [q for p in parts for q in shapely.get_parts(p)]
    if len(parts) <= 1:
        return parts
    merged = shapely.union_all(shapely.buffer(np.asarray(parts, dtype=object), TOUCH_M / 2))
    return list(shapely.get_parts(merged))


def grid_pieces(geom, xy: np.ndarray, village=None) -> Pieces:
    """:class:`Pieces` of one grid: ``geom`` its land, ``xy`` its households' positions (n×2),
    ``village`` its village's polygon (None: unknown, so no piece is explained by it).

    A household off every piece (on the grid's border, or a building the grid holds part of) is
    on the nearest piece."""
    land = land_pieces(geom)
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(land) <= 1 or not len(xy):
        n = 1 if len(xy) else 0
        return Pieces(n, n, 0)
    tree = shapely.STRtree(land)
    _, nearest = tree.query_nearest(shapely.points(xy), all_matches=False)
    held = sorted(set(np.asarray(nearest).tolist()))
    vparts = land_pieces(village) if village is not None else []
    if len(held) <= 1:
        return Pieces(len(held), len(held), 0, max(len(vparts), 1))
    if len(vparts) > 1:
        # The part of the village each piece lies in: the one it overlaps most.
        vtree = shapely.STRtree(vparts)
        part_of = []
        for k in held:
            cand = vtree.query(land[k], predicate="intersects")
            if not len(cand):
                part_of.append(-1)  # off the village: not a part of it
                continue
            areas = shapely.area(shapely.intersection(np.asarray(vparts, dtype=object)[cand], land[k]))
            part_of.append(int(cand[int(np.argmax(areas))]))
        n_parts = len(set(part_of))
    else:
        n_parts = 1
    return Pieces(len(held), n_parts, len(held) - n_parts, max(len(vparts), 1))


def touching(geom, others) -> np.ndarray:
    """Which of ``others`` (polygons) touch ``geom``: closer than :data:`TOUCH_M`, the distance at
    which two pieces of land count as one (a merge of touching grids is in one piece)."""
    others = np.asarray(others, dtype=object)
    if geom is None or shapely.is_empty(geom) or not len(others):
        return np.zeros(len(others), dtype=bool)
    d = shapely.distance(geom, others)
    return np.isfinite(d) & (d <= TOUCH_M)


__all__ = ["Pieces", "grid_pieces", "land_pieces", "touching"]
