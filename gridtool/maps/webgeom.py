"""Geometry for the HTML map: simplified for the zoom it is seen at, quantised, delta-encoded.

A county has ~1,250 grids and ~16,000 sub-grids; written as GeoJSON with full precision that is
over 100 MB of text. Three steps bring it to a few megabytes without a visible change:

1. **Simplify** in the project's metric CRS by a tolerance of about one screen pixel at the zoom
   where a typical feature of the layer fills a good part of the screen
   (:func:`zoom_tolerance`). Grids and sub-grids are coverages (no gaps or overlaps), so they
   are simplified with ``shapely.coverage_simplify``, which moves each shared border once and
   opens no slivers between neighbours; other layers per feature.
2. **Quantise** longitude/latitude to integers of 10⁻⁵ degree (about 1 m) and drop the vertices
   that rounding makes repeat.
3. **Delta-encode** each ring or line: the first vertex absolute, then differences, which are
   mostly one- to three-digit numbers. ``assets/gridtool-map.js`` decodes them.

Hand-written because no library on PyPI writes a format Leaflet reads this compactly without an
extra JavaScript dependency (TopoJSON needs topojson-client and still stores full coordinates in
its arcs unless quantised, which is what is done here, per feature).
"""

from __future__ import annotations

import math

import numpy as np
import shapely

#: Screen pixels a typical feature spans at the zoom where the layer is read; one pixel at that
#: zoom is the simplification tolerance.
FEATURE_PIXELS = 200.0
#: Integer units per degree of the quantised coordinates (10⁻⁵° ≈ 1.1 m north–south).
QUANT = 100_000


def typical_size(geoms) -> float | None:
    """The median of the square roots of the features' bounding-box areas (sides at least 1 unit);
    None when there is no geometry."""
    g = np.asarray(geoms)
    g = g[~(shapely.is_missing(g) | shapely.is_empty(g))]
    if len(g) == 0:
        return None
    b = shapely.bounds(g)
    return float(np.median(np.sqrt(np.maximum(b[:, 2] - b[:, 0], 1.0) * np.maximum(b[:, 3] - b[:, 1], 1.0))))


def zoom_tolerance(geoms, *, pixels: float = FEATURE_PIXELS, lo: float = 0.5, hi: float = 25.0) -> float:
    """Simplification tolerance in metres for polygons or lines in a metric CRS.

    The typical feature size (:func:`typical_size`) spans ``pixels`` pixels at the zoom where the
    layer is read, where one pixel is ``size / pixels`` metres. Clamped to ``[lo, hi]`` metres.
    """
    size = typical_size(geoms)
    if size is None:
        return lo
    return float(min(max(size / pixels, lo), hi))


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Polygons and multipolygons only: the polygon parts of geometry collections (the slivers
    that overlay operations leave) kept, other parts dropped."""
    out = geoms.copy()
    kinds = shapely.get_type_id(out)
    for i in np.flatnonzero(kinds == 7):  # GeometryCollection
        parts = [p for p in shapely.get_parts(out[i]) if p.geom_type in ("Polygon", "MultiPolygon")]
        out[i] = shapely.union_all(parts) if parts else None
    return out


def _drop_small_holes(parts: np.ndarray, min_area: float) -> np.ndarray:
    """Polygons without the holes smaller than ``min_area``."""
    n_holes = shapely.get_num_interior_rings(parts)
    out = parts.copy()
    for i in np.flatnonzero(n_holes > 0):
        p = parts[i]
        keep = [h for h in p.interiors if shapely.area(shapely.Polygon(h)) >= min_area]
        if len(keep) < n_holes[i]:
            out[i] = shapely.Polygon(p.exterior, keep)
    return out


def simplify_parts(geoms, tolerance: float, *, min_area: float = 0.0) -> np.ndarray:
    """Simplify (multi)polygons part by part, dropping parts and holes smaller than ``min_area``.

    GEOS simplifies a multipolygon with thousands of parts and holes (a county's forest-edge
    corridor) as one topology, which takes minutes; its parts alone take seconds. Parts of a valid
    multipolygon do not overlap, so simplifying them separately keeps it valid.
    """
    g = np.asarray(geoms, dtype=object)
    ok = ~(shapely.is_missing(g) | shapely.is_empty(g))
    parts, idx = shapely.get_parts(g[ok], return_index=True)
    poly = shapely.get_type_id(parts) == 3
    parts, idx = parts[poly], idx[poly]
    if min_area > 0:
        area = shapely.area(parts)
        big = area >= min_area
        # A feature all of whose parts are specks (a corridor of a 190 m² river sliver) keeps its
        # largest: it is a feature of the plan, counted everywhere else, and must be on the map too.
        for f in np.setdiff1d(np.unique(idx), idx[big]):
            mine = np.flatnonzero(idx == f)
            big[mine[np.argmax(area[mine])]] = True
        parts, idx = parts[big], idx[big]
        parts = _drop_small_holes(parts, min_area)
    simple = shapely.simplify(parts, tolerance, preserve_topology=True)
    # a part narrower than the tolerance may collapse: kept as it was (it is small, its vertices few)
    lost = shapely.is_empty(simple) & ~shapely.is_empty(parts)
    simple[lost] = parts[lost]
    parts = simple
    keep = ~shapely.is_empty(parts)
    parts, idx = parts[keep], idx[keep]
    out = np.full(len(g), None, dtype=object)
    rows = np.flatnonzero(ok)
    built = shapely.multipolygons(parts, indices=idx, out=np.full(len(rows), None, dtype=object)) \
        if len(parts) else np.full(len(rows), None, dtype=object)
    out[rows] = built
    return out


def simplify(geoms, tolerance: float, *, coverage: bool = False, min_area: float = 0.0) -> np.ndarray:
    """Simplify by ``tolerance`` (CRS units); coverage-aware for layers without overlaps.

    Polygons of layers that are not coverages go part by part (:func:`simplify_parts`). The
    coverage simplification falls back to that when it fails or returns an invalid geometry (the
    input was not a clean coverage).
    """
    g = np.asarray(geoms, dtype=object)
    if tolerance <= 0 or len(g) == 0:
        return g
    kinds = shapely.get_type_id(g)
    polygonal = np.isin(kinds, (3, 6, 7)) | shapely.is_missing(g)
    if not polygonal.all():  # lines
        return shapely.simplify(g, tolerance, preserve_topology=True)
    g = _polygonal(g)
    if coverage:
        ok = ~(shapely.is_missing(g) | shapely.is_empty(g))
        try:
            out = g.copy()
            out[ok] = shapely.coverage_simplify(g[ok], tolerance)
            if shapely.is_valid(out[ok]).all():
                return out
        except shapely.errors.GEOSException:
            pass
    return simplify_parts(g, tolerance, min_area=min_area)


def _ring(coords: np.ndarray, q: int, *, closed: bool) -> list[int] | None:
    """One ring or line as ``[x0, y0, dx1, dy1, …]`` integers; None when it collapses."""
    v = np.rint(coords[:, :2] * q).astype(np.int64)
    if len(v) > 1:
        keep = np.ones(len(v), dtype=bool)
        keep[1:] = (v[1:] != v[:-1]).any(axis=1)
        v = v[keep]
    if closed:
        if len(v) > 1 and (v[0] == v[-1]).all():
            v = v[:-1]  # Leaflet closes rings itself
        if len(v) < 3:
            return None
    elif len(v) < 2:
        return None
    d = v.copy()
    d[1:] -= v[:-1]
    return d.ravel().tolist()


def encode_polygon(geom, q: int = QUANT) -> list | None:
    """A (multi)polygon in lon/lat as ``[[ring, hole, …], …]`` (one list per polygon part)."""
    if geom is None or geom.is_empty:
        return None
    out = []
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon":
            continue
        shell = _ring(np.asarray(part.exterior.coords), q, closed=True)
        if shell is None:
            continue
        rings = [shell]
        for hole in part.interiors:
            r = _ring(np.asarray(hole.coords), q, closed=True)
            if r is not None:
                rings.append(r)
        out.append(rings)
    return out or None


def encode_line(geom, q: int = QUANT) -> list | None:
    """A (multi)line in lon/lat as ``[part, …]``; polygons give their boundaries."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        geom = geom.boundary
    out = []
    for part in shapely.get_parts(geom):
        if part.geom_type == "LineString":
            r = _ring(np.asarray(part.coords), q, closed=False)
            if r is not None:
                out.append(r)
        elif part.geom_type == "MultiLineString":
            out.extend(encode_line(part, q) or [])
    return out or None


def encode_point(geom, q: int = QUANT) -> list[int] | None:
    """A point (or a polygon's representative point) in lon/lat as ``[x, y]`` integers."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type != "Point":
        geom = geom.representative_point() if geom.geom_type != "MultiPoint" else geom.centroid
    return [int(round(geom.x * q)), int(round(geom.y * q))]


def decode_ring(values: list[int], q: int = QUANT) -> list[tuple[float, float]]:
    """The inverse of the ring encoding, as ``(lon, lat)`` pairs (for tests and checks)."""
    a = np.cumsum(np.asarray(values, dtype=np.int64).reshape(-1, 2), axis=0) / q
    return [(float(x), float(y)) for x, y in a]


def metres_per_pixel(lat: float, zoom: float) -> float:
    """Web-Mercator ground resolution at ``lat`` degrees and ``zoom``."""
    return 156_543.033_92 * math.cos(math.radians(lat)) / 2 ** zoom


def fit_zoom(bounds_lonlat: tuple[float, float, float, float], *, width: int = 1200, height: int = 800) -> int:
    """The zoom at which ``(minx, miny, maxx, maxy)`` fits a ``width`` × ``height`` window."""
    minx, miny, maxx, maxy = bounds_lonlat
    lat = (miny + maxy) / 2
    w_m = max((maxx - minx) * 111_320 * math.cos(math.radians(lat)), 1.0)
    h_m = max((maxy - miny) * 110_574, 1.0)
    res = max(w_m / width, h_m / height)
    z = math.log2(156_543.033_92 * math.cos(math.radians(lat)) / res)
    return int(max(0, min(19, math.floor(z))))


__all__ = ["FEATURE_PIXELS", "QUANT", "decode_ring", "encode_line", "encode_point", "encode_polygon",
           "fit_zoom", "metres_per_pixel", "simplify", "simplify_parts", "typical_size", "zoom_tolerance"]
