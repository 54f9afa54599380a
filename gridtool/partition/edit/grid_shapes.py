"""Grid polygons that follow hand edits.

A grid's shape after editing is its original polygon, minus the *cells* of the households that
left it, plus the cells of those that joined it. A household's cell is its Voronoi cell among the
households of its original grid, clipped to that grid: the cells of a grid tile it, so shapes
built this way do not overlap and keep every untouched border exactly where the partition drew it
(roads, rivers). Cells are made per original grid on first need.
"""

from __future__ import annotations

import numpy as np
import shapely

from .membership import Membership

GRID_SIZE = 0.01  # metres: snapping that keeps unions of tiling cells free of slivers
LOOSE_CELL_M = 15.0  # a household outside every original grid gets a disc of this radius


class GridShapes:
    """Current polygon of every grid code, from the original polygons and the membership.

    Parameters
    ----------
    codes, geoms : the original grids (codes and polygons, project CRS).
    membership : :class:`~.membership.Membership` of the plan being edited.
    xy : household feature positions (n×2).
    """

    def __init__(self, codes, geoms, membership: Membership, xy: np.ndarray):
        self.orig = {str(c): g for c, g in zip(codes, geoms)}
        self.m = membership
        self.xy = np.asarray(xy, dtype=float)
        self._cells: dict[int, dict[int, object]] = {}
        self._cache: dict[str, object] = {}

    def invalidate(self, codes) -> None:
        for c in codes:
            self._cache.pop(c, None)

    def touched(self) -> set[str]:
        """Codes whose shape differs from the original (households moved in or out)."""
        moved = self.m.moved_since_base()
        ids = set(self.m.of_feature[moved].tolist()) | set(self.m.base[moved].tolist())
        return {self.m.codes[i] for i in ids if i >= 0}

    def geometry(self, code: str):
        g = self._cache.get(code)
        if g is not None:
            return g
        i = self.m.index.get(code, -2)
        now = self.m.of_feature == i
        base = self.m.base == i
        out_f = np.flatnonzero(base & ~now)
        in_f = np.flatnonzero(now & ~base)
        g = polygonal(self.orig.get(code))
        if g is None:  # a grid made by a split
            g = shapely.Polygon()
        if len(out_f):
            if not now.any():
                g = shapely.Polygon()  # every household left (a merge): nothing remains
            else:
                g = shapely.difference(g, shapely.union_all(self._cells_of(out_f), grid_size=GRID_SIZE),
                                       grid_size=GRID_SIZE)
        if len(in_f):
            g = shapely.union_all(np.concatenate([[g], self._cells_of(in_f)]), grid_size=GRID_SIZE)
        g = polygonal(g)
        self._cache[code] = g
        return g

    # -- cells ----------------------------------------------------------------------------------
    def _cells_of(self, feats: np.ndarray) -> np.ndarray:
        out = np.empty(len(feats), dtype=object)
        for k, f in enumerate(feats):
            b = int(self.m.base[f])
            if b < 0:
                out[k] = shapely.buffer(shapely.points(self.xy[f]), LOOSE_CELL_M)
                continue
            cells = self._cells.get(b)
            if cells is None:
                cells = self._cells[b] = self._make_cells(b)
            out[k] = cells.get(int(f)) or shapely.buffer(shapely.points(self.xy[f]), LOOSE_CELL_M)
        return out

    def _make_cells(self, b: int) -> dict[int, object]:
        code = self.m.codes[b]
        container = self.orig.get(code)
        feats = np.flatnonzero(self.m.base == b)
        if container is None or shapely.is_empty(container) or not len(feats):
            return {}
        if len(feats) == 1:
            return {int(feats[0]): container}
        sites = self.xy[feats]
        # identical positions (flats of one building) would merge into one Voronoi site
        sites = sites + np.arange(len(sites))[:, None] * 1e-3
        vor = shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=container, ordered=True)
        cells = shapely.get_parts(vor)
        if len(cells) != len(sites):  # degenerate input: match cells to sites by position
            tree = shapely.STRtree(cells)
            si, ci = tree.query(shapely.points(sites), predicate="intersects")
            matched = np.full(len(sites), -1)
            matched[si] = ci
            cells = np.array([cells[m] if m >= 0 else shapely.Polygon() for m in matched], dtype=object)
        shapely.prepare(container)
        inside = shapely.contains_properly(container, cells)
        cells = np.asarray(cells, dtype=object)
        cells[~inside] = [polygonal(c) for c in shapely.intersection(cells[~inside], container, grid_size=GRID_SIZE)]
        return {int(f): c for f, c in zip(feats, cells) if not shapely.is_empty(c)}


def polygonal(g):
    """The polygon parts of ``g`` (overlays of touching polygons can leave lines and points)."""
    if g is None or shapely.get_type_id(g) in (3, 6):
        return g
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in (3, 6)]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.union_all(parts, grid_size=GRID_SIZE)
