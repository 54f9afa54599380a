"""Special grids (专属网格): schools, hospitals, markets, enterprises carved out of the base grids.

A place drawn as an area is that area; a point takes the parcel of the places layer that holds it,
else a circle cut back to what is nearer the place than any home and without building footprints
(:func:`point_areas`), so that a hospital marked by a point never takes the residents' homes.
Overlapping places become one special grid; :func:`special_layer` numbers them ``<village>-ZNN``.
Written by hand: the rules for points without an area are gridtool's own.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .codes import reading_order

#: Place categories carved out as special grids (专属网格) by default.
SPECIAL_CATEGORIES = ("school", "hospital", "market", "enterprise")


def special_places(layers, villages, hhg=None, pts=None, *, categories=SPECIAL_CATEGORIES, radius: float = 30.0):
    """Areas of the special places (专属网格) and the (category, name) of the places in each.

    A place drawn as an area (OSM area, KML polygon) is that area; a point inside an area of
    the places layer that is its own (same category, or an uncategorised parcel) takes that
    area. Any other point gets a circle of ``radius`` m inside its village, cut back
    to the part nearer the place than any household (the Voronoi cell of the point among the
    village's household points) and with the village's building footprints taken out: a
    hospital marked by a point never takes the residents' homes around it, which stay in
    base grids. Places whose areas overlap become one special grid.

    Returns the special areas (an array of polygons), the (category, name) of the places in each
    by area row (None when there are none) and the special places that got no area (outside every
    village, or homes all around their point), which the report names.
    """
    places = layers.get("places")
    skipped: list[dict] = []
    if places is None or not len(places) or "category" not in places or not categories:
        return np.array([], dtype=object), None, skipped
    places = places.reset_index(drop=True)
    cat_all = places["category"].astype(object).where(places["category"].notna(), "").astype(str).to_numpy()
    special = np.isin(cat_all, list(categories))
    if not special.any():
        return np.array([], dtype=object), None, skipped
    geoms = places.geometry.values
    tid = shapely.get_type_id(geoms)
    is_poly = np.isin(tid, (3, 6))
    is_point = np.isin(tid, (0, 4))
    areas, owners = [], []  # one area per special place, and the place row it came from
    # Polygons of the places layer that a point of a special place may take as its own.
    poly_rows = np.flatnonzero(is_poly)
    poly_geoms = shapely.make_valid(geoms[poly_rows]) if len(poly_rows) else np.array([], dtype=object)
    for i in np.flatnonzero(special & is_poly):
        areas.append(shapely.make_valid(geoms[i]))
        owners.append(int(i))
    pt_rows = np.flatnonzero(special & is_point)
    if len(pt_rows):
        pt_geoms = shapely.centroid(geoms[pt_rows])  # a MultiPoint place: its middle
        own = np.full(len(pt_rows), -1, dtype=np.int64)
        inside_special = np.zeros(len(pt_rows), dtype=bool)
        if len(poly_rows):
            qi, qj = shapely.STRtree(poly_geoms).query(pt_geoms, predicate="within")
            by_area = np.argsort(shapely.area(poly_geoms[qj]), kind="stable")
            for a, b in zip(qi[by_area], qj[by_area]):
                pc = cat_all[poly_rows[b]]
                if pc in categories:
                    inside_special[a] = True  # already inside a special area: nothing to add
                elif own[a] < 0 and pc in ("", "other", cat_all[pt_rows[a]]):
                    own[a] = b  # smallest parcel holding the point
        for k, i in enumerate(pt_rows):
            if own[k] >= 0 and not inside_special[k]:
                areas.append(poly_geoms[own[k]])
                owners.append(int(i))
        rest = [(k, int(i)) for k, i in enumerate(pt_rows) if own[k] < 0 and not inside_special[k]]
        if rest:
            circles = point_areas(np.array([pt_geoms[k] for k, _ in rest], dtype=object),
                                  villages, hhg, pts, radius=radius)
            for (k, i), a in zip(rest, circles):
                if a is not None and not shapely.is_empty(a) and shapely.area(a) > 1.0:
                    areas.append(a)
                    owners.append(i)
                else:  # outside every village, or homes all around its point: said in the report
                    skipped.append(
                        {"category": str(cat_all[i]), "name": name_text(places["name"].iat[i]) if "name" in places
                         else "", "src_id": str(places["src_id"].iat[i]) if "src_id" in places else str(i)})
    if not areas:
        return np.array([], dtype=object), None, skipped
    areas = np.array(areas, dtype=object)
    # Overlapping places (a school inside a campus polygon) become one special area.
    merged = shapely.get_parts(shapely.union_all(areas))
    merged = merged[shapely.area(merged) > 1.0]
    merged = _within_villages(merged, shapely.make_valid(np.asarray(villages.geometry.values, dtype=object)))
    merged = merged[~shapely.is_empty(merged)]
    merged = np.concatenate([shapely.get_parts(m) for m in merged]) if len(merged) else merged
    merged = merged[shapely.get_type_id(merged) == 3] if len(merged) else merged
    merged = merged[shapely.area(merged) > 1.0] if len(merged) else merged
    if not len(merged):
        return np.array([], dtype=object), None, skipped
    tree = shapely.STRtree(merged)
    ai, mi = tree.query(areas, predicate="intersects")
    keep = shapely.area(shapely.intersection(areas[ai], merged[mi])) > 0.5 if len(ai) else np.zeros(0, bool)
    names = {}
    for a, m in zip(ai[keep], mi[keep]):
        p = owners[int(a)]
        entry = (str(cat_all[p]), name_text(places["name"].iat[p]) if "name" in places else "")
        lst = names.setdefault(int(m), [])
        if entry not in lst:
            lst.append(entry)
    return merged, names, skipped

def _within_villages(areas: np.ndarray, vg: np.ndarray) -> np.ndarray:
    """``areas`` cut to the villages (their union). Each is clipped by the one village that holds
    it, else by the union of the few it reaches into: the same result, byte for byte, as clipping
    with the union of every village, which cost a second on a county of 500k households."""
    out = np.array(areas, dtype=object)
    if not len(out):
        return out
    ai, vi = shapely.STRtree(vg).query(out, predicate="intersects")
    shapely.prepare(vg)
    inside = np.full(len(out), -1, dtype=np.int64)
    hit = shapely.contains_properly(vg[vi], out[ai])
    inside[ai[hit]] = vi[hit]
    for a in range(len(out)):
        near = vi[ai == a]
        clip = vg[inside[a]] if inside[a] >= 0 else shapely.union_all(vg[near]) if len(near) else None
        out[a] = shapely.intersection(out[a], clip) if clip is not None else shapely.Polygon()
    return out


def point_areas(points, villages, hhg, pts, *, radius: float) -> list:
    """The area of each place given only as a point: a circle of ``radius`` m in the
    point's village, less everything nearer to a household than to the place, less the
    households' building footprints. None for a point outside every village."""
    r = radius
    vg = shapely.make_valid(villages.geometry.values)
    vi_of = np.full(len(points), -1, dtype=np.int64)
    qi, qv = shapely.STRtree(vg).query(points, predicate="intersects")
    order = np.lexsort((qv, qi))
    qi, qv = qi[order], qv[order]
    first = np.unique(qi, return_index=True)[1]
    vi_of[qi[first]] = qv[first]
    hp = np.asarray(pts, dtype=object) if pts is not None else np.array([], dtype=object)
    htree = shapely.STRtree(hp) if len(hp) else None
    foot = None
    if hhg is not None and len(hhg):
        hgeo = np.asarray(hhg.geometry.values, dtype=object)
        fp = np.isin(shapely.get_type_id(hgeo), (3, 6))
        if fp.any():
            foot = hgeo[fp]  # made valid where a place's area meets them, not all of a county's
    ftree = shapely.STRtree(foot) if foot is not None and len(foot) else None
    out = []
    for k, p in enumerate(points):
        v = vi_of[k]
        if v < 0:
            out.append(None)
            continue
        area = shapely.intersection(shapely.buffer(p, r, quad_segs=8), vg[v])
        if htree is not None:
            near = htree.query(p, predicate="dwithin", distance=2 * r)
            near = near[shapely.contains(vg[v], hp[near]) | shapely.touches(vg[v], hp[near])] \
                if len(near) else near
            hx = shapely.get_coordinates(hp[near]) if len(near) else np.zeros((0, 2))
            px = shapely.get_coordinates(p)[0]
            if len(hx) and np.any(np.hypot(hx[:, 0] - px[0], hx[:, 1] - px[1]) <= 0.05):
                # A household recorded at the place's own point: no area is free of homes.
                out.append(None)
                continue
            if len(hx):
                cells = shapely.get_parts(shapely.voronoi_polygons(
                    shapely.multipoints(np.vstack([px[None, :], hx])), extend_to=area))
                mine = [c for c in cells if shapely.intersects(c, p)]
                area = shapely.intersection(area, mine[0]) if mine else area
        if area is not None and ftree is not None:
            # Boxes first, then the exact test on the footprints made valid (a raw one may not be).
            fv = shapely.make_valid(foot[ftree.query(area)])
            fv = fv[shapely.intersects(fv, area)] if len(fv) else fv
            if len(fv):
                area = shapely.difference(area, shapely.buffer(shapely.union_all(fv), 0.5))
        if area is not None:
            parts = shapely.get_parts(shapely.make_valid(area))
            parts = parts[np.isin(shapely.get_type_id(parts), (3,))]
            if len(parts):
                # The piece at (or nearest to) the place's point.
                d = shapely.distance(parts, p)
                area = parts[int(np.argmin(d))]
            else:
                area = None
        out.append(area)
    return out

def special_layer(names, blocks, villages, vcodes, vnames, crs, households, previous=None) -> gpd.GeoDataFrame:
    """The special grids layer (code ``<village code>-ZNN``) from the special blocks; the households
    inside a special grid get its code as their ``grid`` (those of a locked grid of ``previous`` stay)."""
    bg = blocks.gdf
    sp = bg[bg["special"] >= 0]
    if not len(sp) or names is None:
        return gpd.GeoDataFrame({"code": [], "village": [], "category": [], "name": [], "hh": []},
                                geometry=gpd.GeoSeries([], crs=crs))
    rows, geoms = [], []
    # Groups by special area in NumPy (a pandas groupby and Series.mode per special grid cost a
    # second per 300k households); blocks keep their order within a group, as groupby gives them.
    sids = sp["special"].to_numpy()
    order = np.argsort(sids, kind="stable")
    cuts = np.flatnonzero(np.diff(sids[order])) + 1
    vill, hh, geo = sp["village"].to_numpy(), sp["hh"].to_numpy(), np.asarray(sp.geometry.values, dtype=object)
    for sel in np.split(order, cuts):
        sid = int(sids[sel[0]])
        vals, counts = np.unique(vill[sel], return_counts=True)
        v = int(vals[np.argmax(counts)])  # the commonest village, the lowest of a tie (as Series.mode)
        cats = names.get(sid, [("other", "")])
        rows.append({"_sid": sid, "village": vnames[v], "village_code": vcodes[v],
                     "category": cats[0][0], "name": "、".join(sorted({n for _, n in cats if n})),
                     "hh": int(hh[sel].sum())})
        geoms.append(shapely.union_all(geo[sel]))
    gdf = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=crs))
    codes = np.empty(len(gdf), dtype=object)
    sgeoms = np.asarray(gdf.geometry.values, dtype=object)  # by position: a .loc per village cost more
    for vc, idx in gdf.groupby("village_code").indices.items():
        codes[idx] = [f"{vc}-Z{i:02d}" for i in reading_order(sgeoms[idx])]
    gdf["code"] = codes
    gdf["kind"] = "special"
    # Households inside a special grid belong to it.
    code_of = dict(zip(gdf["_sid"], gdf["code"]))
    hb = blocks.household_block
    sid = np.where(hb >= 0, bg["special"].to_numpy()[np.maximum(hb, 0)], -1)
    inside = np.flatnonzero(sid >= 0)
    if previous is not None:  # households of a locked grid stay in it
        inside = inside[previous.locked_hh()[inside] == 0]
    if len(inside):
        households.loc[households.index[inside], "grid"] = [code_of.get(int(x)) for x in sid[inside]]
    return gdf.drop(columns="_sid")


def name_text(value) -> str:
    """A place's name as text: missing values (None, NaN, NA) are '' rather than the string 'nan'."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()
