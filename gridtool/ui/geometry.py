"""Geometry of a map layer as flat coordinate arrays, in spatial chunks and levels of detail.

The canvas never walks shapely objects while painting: each layer is turned once into NumPy arrays
(vertices, the vertex where each ring or line starts, the feature each ring belongs to). Features
are grouped into spatial *chunks* so a zoomed-in view only touches the chunks it shows, and
zoomed-out views use coordinates simplified to half a pixel (*levels of detail*), cached per level.
The Qt painter paths are built from these arrays in :mod:`gridtool.ui.qpaths`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

#: Metres per pixel below which geometry is drawn as it is (level 0).
LOD_BASE_RES = 0.5
#: Features per chunk the chunking aims at.
CHUNK_FEATURES = 400


@dataclass
class Rings:
    """Rings (polygons) or parts (lines) of many features as flat arrays.

    ``xy`` (n×2) holds every vertex; ``start[i]`` is the first vertex of ring ``i`` and
    ``feature[i]`` the feature it belongs to; ``start`` has one extra entry (the end).
    """

    xy: np.ndarray
    start: np.ndarray
    feature: np.ndarray

    @property
    def n_rings(self) -> int:
        return len(self.feature)

    def select(self, rings: np.ndarray) -> "Rings":
        """The rings with these indices (in this order)."""
        rings = np.asarray(rings, dtype=np.int64)
        lens = self.start[rings + 1] - self.start[rings]
        if not len(rings):
            return Rings(np.zeros((0, 2)), np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64))
        # vertex indices of the chosen rings, without a Python loop
        offs = np.repeat(self.start[rings] - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
        idx = np.arange(int(lens.sum())) + offs
        start = np.concatenate([[0], np.cumsum(lens)])
        return Rings(self.xy[idx], start, self.feature[rings])


def rings_of(geoms: np.ndarray, family: str) -> Rings:
    """Flat arrays of polygon rings (``family="polygon"``) or line parts (``"line"``)."""
    geoms = np.asarray(geoms, dtype=object)
    if family == "polygon":
        parts, feat = shapely.get_rings(geoms, return_index=True)
    else:
        parts, feat = shapely.get_parts(geoms, return_index=True)
        # a polygon in a line layer (a river area) is drawn by its outline
        poly = shapely.get_type_id(parts) == 3
        if poly.any():
            r, ri = shapely.get_rings(parts[poly], return_index=True)
            parts = np.concatenate([parts[~poly], r])
            feat = np.concatenate([feat[~poly], feat[poly][ri]])
    if not len(parts):
        return Rings(np.zeros((0, 2)), np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64))
    xy, owner = shapely.get_coordinates(parts, return_index=True)
    counts = np.bincount(owner, minlength=len(parts))
    keep = counts >= 2
    if not keep.all():
        return rings_of_parts(parts[keep], feat[keep])
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return Rings(xy, start, feat.astype(np.int64))


def rings_of_parts(parts: np.ndarray, feat: np.ndarray) -> Rings:
    xy, owner = shapely.get_coordinates(parts, return_index=True)
    counts = np.bincount(owner, minlength=len(parts))
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return Rings(xy, start, np.asarray(feat, dtype=np.int64))


def lod_level(res: float) -> int:
    """Level of detail for ``res`` metres per pixel: 0 below :data:`LOD_BASE_RES`, +1 per doubling."""
    if res <= LOD_BASE_RES:
        return 0
    return int(math.floor(math.log2(res / LOD_BASE_RES))) + 1


def lod_tolerance(level: int) -> float:
    """Simplification tolerance of a level: half a pixel at the finest resolution it serves."""
    return 0.0 if level <= 0 else 0.5 * LOD_BASE_RES * 2 ** (level - 1)


class LayerGeometry:
    """A layer's geometry prepared for fast painting.

    Parameters
    ----------
    geoms : array of shapely geometries (project CRS).
    family : ``"polygon"``, ``"line"`` or ``"point"``.
    """

    def __init__(self, geoms, family: str):
        self.geoms = np.asarray(geoms, dtype=object)
        self.family = family
        n = len(self.geoms)
        self.n = n
        ok = ~(shapely.is_missing(self.geoms) | shapely.is_empty(self.geoms)) if n else np.zeros(0, bool)
        self.valid = ok
        b = np.full((n, 4), np.nan)
        if n and ok.any():
            b[ok] = shapely.bounds(self.geoms[ok])
        self.bounds = b
        if n and ok.any():
            self.total_bounds = (float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1])),
                                 float(np.nanmax(b[:, 2])), float(np.nanmax(b[:, 3])))
        else:
            self.total_bounds = None
        if family == "point":
            pts = self.geoms.copy()
            self.xy = np.full((n, 2), np.nan)
            if n and ok.any():
                notpt = ok & (shapely.get_type_id(pts) != 0)
                if notpt.any():  # buildings: a point inside each
                    pts[notpt] = shapely.point_on_surface(pts[notpt])
                self.xy[ok] = np.column_stack([shapely.get_x(pts[ok]), shapely.get_y(pts[ok])])
        self._chunks: list[np.ndarray] | None = None
        self._chunk_bounds: np.ndarray | None = None
        self._levels: dict[int, Rings] = {}
        self._tree = None
        self._tree_ids = None

    # -- chunks -------------------------------------------------------------------------------
    def chunks(self) -> tuple[list[np.ndarray], np.ndarray]:
        """Feature indices per spatial chunk, and each chunk's bounds (k×4)."""
        if self._chunks is None:
            self._chunks, self._chunk_bounds = _make_chunks(self.bounds, self.valid)
        return self._chunks, self._chunk_bounds

    def visible_chunks(self, extent) -> list[int]:
        chunks, cb = self.chunks()
        if not len(chunks):
            return []
        x0, y0, x1, y1 = extent
        hit = (cb[:, 0] <= x1) & (cb[:, 2] >= x0) & (cb[:, 1] <= y1) & (cb[:, 3] >= y0)
        return [int(i) for i in np.flatnonzero(hit)]

    # -- levels of detail ---------------------------------------------------------------------
    def rings(self, level: int = 0) -> Rings:
        """All rings at a level of detail (cached)."""
        r = self._levels.get(level)
        if r is None:
            geoms = self.geoms
            if level > 0:
                tol = lod_tolerance(level)
                # Without topology preservation: faster, and what collapses is under a pixel.
                geoms = geoms.copy()
                geoms[self.valid] = shapely.simplify(geoms[self.valid], tol, preserve_topology=False)
            r = rings_of(geoms[self.valid], self.family)
            r.feature = np.flatnonzero(self.valid)[r.feature] if len(r.feature) else r.feature
            # Rings that vanished into a point are dropped (fewer than 2 distinct vertices).
            self._levels[level] = r
        return r

    def usable_level(self, res: float) -> int:
        """The level for ``res``; level 0 when simplifying would gain little (small layers)."""
        lvl = lod_level(res)
        if lvl == 0 or self.n == 0:
            return 0
        return lvl


def _make_chunks(bounds: np.ndarray, valid: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    idx = np.flatnonzero(valid)
    if not len(idx):
        return [], np.zeros((0, 4))
    b = bounds[idx]
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    k = max(1, min(32, int(math.ceil(math.sqrt(len(idx) / CHUNK_FEATURES)))))
    x0, x1 = float(cx.min()), float(cx.max())
    y0, y1 = float(cy.min()), float(cy.max())
    ix = np.minimum(((cx - x0) / max(x1 - x0, 1e-9) * k).astype(np.int64), k - 1)
    iy = np.minimum(((cy - y0) / max(y1 - y0, 1e-9) * k).astype(np.int64), k - 1)
    cell = iy * k + ix
    order = np.argsort(cell, kind="stable")
    cells, starts = np.unique(cell[order], return_index=True)
    groups = np.split(idx[order], starts[1:])
    cb = np.array([[bounds[g, 0].min(), bounds[g, 1].min(), bounds[g, 2].max(), bounds[g, 3].max()]
                   for g in groups])
    return groups, cb


def _tree_of(geo: "LayerGeometry") -> shapely.STRtree:
    if geo._tree is None:
        geo._tree = shapely.STRtree(geo.geoms[geo.valid])
        geo._tree_ids = np.flatnonzero(geo.valid)
    return geo._tree


def pick(geo: "LayerGeometry", x: float, y: float, tol: float) -> np.ndarray:
    """Features at ``(x, y)``: polygons containing it, lines and points within ``tol`` metres
    (nearest first for points and lines)."""
    if geo.n == 0 or not geo.valid.any():
        return np.zeros(0, dtype=np.int64)
    pt = shapely.points(x, y)
    if geo.family == "point":
        d = np.hypot(geo.xy[:, 0] - x, geo.xy[:, 1] - y)
        d[~np.isfinite(d)] = np.inf
        hit = np.flatnonzero(d <= tol)
        return hit[np.argsort(d[hit])]
    tree = _tree_of(geo)
    if geo.family == "polygon":
        hit = geo._tree_ids[tree.query(pt, predicate="intersects")]
        # smallest first: a special grid inside a village is what the user points at
        return hit[np.argsort(shapely.area(geo.geoms[hit]))]
    hit = geo._tree_ids[tree.query(pt, predicate="dwithin", distance=tol)]
    return hit[np.argsort(shapely.distance(geo.geoms[hit], pt))]


def pick_box(geo: "LayerGeometry", x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Features intersecting the box."""
    if geo.n == 0 or not geo.valid.any():
        return np.zeros(0, dtype=np.int64)
    x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    if geo.family == "point":
        xy = geo.xy
        return np.flatnonzero((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1))
    tree = _tree_of(geo)
    return np.sort(geo._tree_ids[tree.query(shapely.box(x0, y0, x1, y1), predicate="intersects")])


def bounds_of(geo: "LayerGeometry", feats) -> tuple[float, float, float, float] | None:
    """Bounds of some features (for zoom to selection)."""
    feats = np.asarray(feats, dtype=np.int64)
    if not len(feats):
        return None
    b = geo.bounds[feats]
    if not np.isfinite(b).any():
        return None
    return (float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1])), float(np.nanmax(b[:, 2])), float(np.nanmax(b[:, 3])))
