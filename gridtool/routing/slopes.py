"""Street grades from an elevation model, for walking times on slopes (Tobler's hiking function).

A grade taken between two vertices of a street from a 30–90 m DEM is fragile: one bad cell (an
SRTM spike or pit, a building in a surface model) makes a 100 % "grade" over a few metres, and a
void (SRTM -32768, a nodata hole) has no height at all. Measured on the Andorra SRTM tile before
this module: a 292 m street took 129 minutes uphill (Tobler at a 100 % grade), and streets
through voids fell back to flat times. Here, per street piece (an edge between two junctions):

1. **Sampled along the edge**, every ``step`` metres (10 m by default: several samples per DEM
   cell), bilinear, not only at the vertices the drawing happens to have.
2. **Voids interpolated**: samples in a void take the height of the DEM with its voids filled
   by inverse-distance weighting of the 8 nearest valid cells on the void's rim (as GDAL's
   FillNodata does), on the window of the DEM the roads lie in. Samples outside the DEM stay
   flat (counted).
3. **Smoothed**: the grade of every step is averaged with its neighbours over ``window`` metres
   (default: the DEM's cell size, at least 30 m), length-weighted, within the edge. A spike's
   up-and-down cancels out, a steady slope keeps its value (averaging grades, not heights, keeps
   a short steep edge steep).
4. **Clipped** at ``max_grade`` (default 0.40, 40 %: the steepest streets and stepped lanes of
   Chongqing or Andorra; anything steeper is a DEM artefact or a staircase, which has its own
   class and speed).

The report (``RoadGraph.slope_report`` and a warning in ``RoadGraph.problems``) says how many
edges were clipped, filled or left flat outside the DEM.

Written by hand: routing libraries (osmnx ``add_edge_grades``) take the grade between the two end
nodes only, with no void handling or smoothing.
"""

from __future__ import annotations

import math

import numpy as np
import pyproj
import shapely
from affine import Affine

#: Default steepest grade (rise / run) used for walking times.
MAX_GRADE = 0.40


def _filled_window(dem, x: np.ndarray, y: np.ndarray, crs, margin: int = 20):
    """A :class:`Dem` over the part of ``dem`` the points lie in, its voids filled (inverse-distance
    weights of the 8 nearest rim cells); None when that part has no void or no valid cell."""
    from scipy.spatial import cKDTree

    from ..io.dem import Dem
    xs, ys = np.asarray(x, float), np.asarray(y, float)
    if crs is not None and not pyproj.CRS.from_user_input(crs).equals(dem.crs):
        tf = pyproj.Transformer.from_crs(crs, dem.crs, always_xy=True)
        xs, ys = (np.asarray(v, float) for v in tf.transform(xs, ys, errcheck=False))
    inv = ~dem.transform
    cols = inv.a * xs + inv.b * ys + inv.c
    rows = inv.d * xs + inv.e * ys + inv.f
    ok = np.isfinite(cols) & np.isfinite(rows)
    if not ok.any():
        return None
    h, w = dem.array.shape
    c0 = int(max(0, math.floor(cols[ok].min()) - margin))
    c1 = int(min(w, math.ceil(cols[ok].max()) + margin + 1))
    r0 = int(max(0, math.floor(rows[ok].min()) - margin))
    r1 = int(min(h, math.ceil(rows[ok].max()) + margin + 1))
    if c0 >= c1 or r0 >= r1:
        return None
    sub = dem.array[r0:r1, c0:c1].astype(float)
    void = np.isnan(sub)
    if not void.any() or void.all():
        return None
    grown = void.copy()  # the void grown by one cell (4-neighbours): its rim is grown & ~void
    grown[1:] |= void[:-1]
    grown[:-1] |= void[1:]
    grown[:, 1:] |= void[:, :-1]
    grown[:, :-1] |= void[:, 1:]
    known = np.argwhere(grown & ~void)
    vals = sub[known[:, 0], known[:, 1]]
    holes = np.argwhere(void)
    k = min(8, len(known))
    d, i = cKDTree(known).query(holes, k=k)
    d, i = d.reshape(len(holes), k), i.reshape(len(holes), k)
    wgt = 1.0 / np.maximum(d, 1e-9) ** 2
    sub[holes[:, 0], holes[:, 1]] = (wgt * vals[i]).sum(axis=1) / wgt.sum(axis=1)
    t = dem.transform
    tw = Affine(t.a, t.b, t.a * c0 + t.b * r0 + t.c, t.d, t.e, t.d * c0 + t.e * r0 + t.f)
    return Dem(sub.astype(np.float32), tw, dem.crs, dem.source)


def edge_grades(geom: np.ndarray, dem, crs, *, flat: np.ndarray | None = None, max_grade: float = MAX_GRADE,
                step: float = 10.0, window: float | None = None):
    """Smoothed, clipped grades along each line of ``geom``.

    Returns
    -------
    seg_len, seg_grade, seg_owner, report
        One entry per sampling step: its length (m), its grade (rise / run in the line's drawing
        direction, after filling, smoothing and clipping; 0 where flat or outside the DEM) and
        the index of its line; and the counts ``edges``, ``clipped``, ``filled``, ``outside``,
        ``steepest`` (the largest smoothed grade before clipping), ``max_grade``, ``step_m``,
        ``window_m``.
    """
    geom = np.asarray(geom, dtype=object)
    n = len(geom)
    plen = shapely.length(geom)
    if window is None:
        try:
            cell = max(dem._cell_size_m())
        except Exception:  # noqa: BLE001 (a DEM without a usable CRS axis: fall back to 30 m)
            cell = 30.0
        window = max(30.0, float(cell))
    k = np.maximum(2, np.ceil(plen / step).astype(int) + 1)        # samples per line, ends included
    owner = np.repeat(np.arange(n), k)
    first = np.cumsum(k) - k
    j = np.arange(len(owner)) - first[owner]
    dist = plen[owner] * j / (k[owner] - 1)
    pts = shapely.line_interpolate_point(geom[owner], dist)
    xy = shapely.get_coordinates(pts)
    z = np.asarray(dem.sample(xy[:, 0], xy[:, 1], crs=crs), dtype=float)
    hole = np.isnan(z)
    filled_lines = np.zeros(n, dtype=bool)
    if hole.any():
        fw = _filled_window(dem, xy[hole, 0], xy[hole, 1], crs)
        if fw is not None:
            zf = np.asarray(fw.sample(xy[hole, 0], xy[hole, 1], crs=crs), dtype=float)
            got = np.isfinite(zf)
            idx = np.flatnonzero(hole)[got]
            z[idx] = zf[got]
            filled_lines[np.unique(owner[idx])] = True
    outside_lines = np.zeros(n, dtype=bool)
    outside_lines[np.unique(owner[np.isnan(z)])] = True
    # steps between consecutive samples of one line
    same = owner[1:] == owner[:-1]
    seg_owner = owner[1:][same]
    seg_len = (plen[seg_owner] / (k[seg_owner] - 1))
    dz = np.diff(z)[same]
    raw = np.where(np.isfinite(dz) & (seg_len > 0), dz / np.maximum(seg_len, 1e-9), 0.0)
    # length-weighted moving average of the grades over `window` metres, within each line
    m = len(seg_owner)
    seg_first = np.cumsum(k - 1) - (k - 1)
    pos = np.arange(m) - seg_first[seg_owner]
    half = np.maximum(0, np.round(window / 2 / np.maximum(seg_len, 1e-9)).astype(int))
    lo = seg_first[seg_owner] + np.maximum(0, pos - half)
    hi = seg_first[seg_owner] + np.minimum(k[seg_owner] - 2, pos + half)
    c = np.r_[0.0, np.cumsum(raw)]
    smooth = (c[hi + 1] - c[lo]) / (hi - lo + 1)
    if flat is not None:
        smooth = np.where(np.asarray(flat, bool)[seg_owner], 0.0, smooth)
    steep = np.abs(smooth) > max_grade
    clipped_lines = np.zeros(n, dtype=bool)
    clipped_lines[np.unique(seg_owner[steep])] = True
    grade = np.clip(smooth, -max_grade, max_grade)
    report = {"edges": int(n), "clipped": int(clipped_lines.sum()), "filled": int(filled_lines.sum()),
              "outside": int(outside_lines.sum()), "steepest": float(np.abs(smooth).max()) if m else 0.0,
              "max_grade": float(max_grade), "step_m": float(step), "window_m": float(window)}
    return seg_len, grade, seg_owner, report
