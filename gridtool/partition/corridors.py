"""Special-purpose grids (专项网格): corridors of a set width along rivers, railways and forest
edges, one per village and kind (a village's river corridor is looked after by that village).

Run on a second thread while blocks and grids are made (its GEOS work releases the GIL); it needs
only the barrier lines, the forest and land-use layers and the villages.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

# Gaps narrower than this between 三调 forest parcels are digitising slivers, not forest edges. The
# narrowest real parcel that can part two forest parcels, a 农村道路 (GB/T 21010 class 1006), is
# ≥ 1.0 m wide in the south and stays open.
FOREST_GAP_M = 0.5
# Nor is a hole in the woods, or a piece of forest, smaller than the smallest parcel 三调 maps
# (200 m², 建设用地 and 设施农用地): a void a missing sliver parcel leaves, a stray sliver of a
# parcel over its neighbour. Either would draw a 50 m disc of corridor.
FOREST_MIN_M2 = 200.0

# Dissolves a village's bands by subsets that touch (GEOS ≥ 3.12, shapely ≥ 2.1): the river, railway
# and forest-edge bands of a village fall in many clusters that need no overlay with each other.
# Same area as union_all (float noise, ≤ 1e-10 of a corridor on the county), ~13 % less CPU there.
_union = getattr(shapely, "disjoint_subset_union_all", shapely.union_all)


def draw_corridors(layers, lines, villages, vcodes, vnames, crs, width: float) -> gpd.GeoDataFrame:
    """Special-purpose grids (专项网格): corridors along rivers, railways and forest edges, one
    per village and kind (a village's river corridor is looked after by that village).

    Bands are clipped to each village before they are dissolved: many small unions instead of
    one over the county, which is what made this step slow, and each village's result does
    not depend on the others (a batch run gives the same rows). The union is most of the time
    left (forest edges: adjacent parcels' bands overlap); buffering a village's lines as one
    multi-line was 2× slower for forest edges, per-polygon outer-minus-inner buffers no faster
    (benchmarks/corridors_bench.py). Measured on the county's forest bands (5-7 CPU s of clip and
    union) and not kept: uniting a village's bands before one clip (1.4× slower: the parts
    outside are united too), one buffer(0) of all of them (2×), one multi-line buffer with the
    crossing bands clipped (1.6×), bands in Morton order, the village cut to each band's box
    before the clip (no gain beyond noise: GEOS already clips to the envelopes).

    Measured again (issue 17, county forest bands, old and new alternating in one process, CPU s)
    and not kept: a ring's band as its polygon grown by half the width less the polygon shrunk by
    as much, the village's grown polygons united and the shrunk ones cut out after (same area to
    1.5e-8, 10-11 → 13-14 s: 9,378 of 32,256 rings have another band reaching into their shrunk
    polygon, overlapping parcels and holes, and need their own band, and the test and the cut
    cost more than the smaller union saves); bands per ring assembled from those two buffers
    (vertex for vertex the same bands, cheaper buffers, but a union of per-ring bands is dearer:
    10-11 → 11-13 s; for one-ring outlines only, the assembly costs what the buffers save);
    exact duplicate rings dropped (882: no gain); outlines of overlapping parcels buffered as one
    multi-line (1.5×). The union itself is at GEOS's floor: 2-5 µs a band vertex in every village;
    noding the bands' outlines alone is 0.7 of it (polygonize and coverage-union them: 1.6×); a
    union on a 1 mm grid 2.9×; bands wholly inside another: 38 of 9,491."""
    w = width
    empty = gpd.GeoDataFrame({"code": [], "village": [], "village_code": [], "kind": [], "name": [],
                              "width_m": []}, geometry=gpd.GeoSeries([], crs=crs))
    if w <= 0:
        return empty
    sources = []
    for kind, sel in (("river", lines["cls"].isin(["river", "stream"]) if len(lines) else None),
                      ("railway", lines["cls"] == "railway" if len(lines) else None)):
        if sel is not None and sel.any():
            sources.append((kind, lines.geometry.values[sel.to_numpy()]))
    forest = layers.get("forest")
    if forest is not None and len(forest):
        sources.append(("forest", shapely.boundary(shapely.make_valid(forest.geometry.values))))
    lu = layers.get("landuse")
    if lu is not None and len(lu) and "kind" in lu and (lu["kind"] == "forest").any():
        # 三调 forest parcels tile the land: their outer edge, not every parcel border.
        sources.append(("forest", forest_edges(lu.geometry.values[(lu["kind"] == "forest").to_numpy()])))
    # A copy: the other thread may prepare the village polygons while this one clips with them.
    vg = shapely.from_wkb(shapely.to_wkb(villages.geometry.values))
    tree = shapely.STRtree(vg)
    zh = {"river": "河流", "railway": "铁路", "forest": "田林"}
    found = {}
    for rank, (kind, g) in enumerate(sources):
        g = g[~shapely.is_empty(g) & ~shapely.is_missing(g)]
        if not len(g):
            continue
        bands = corridor_bands(g, w)
        # Boxes, then the exact test against the prepared villages (this thread's own copies).
        bi, vi = tree.query(bands)
        shapely.prepare(vg)
        hit = shapely.intersects(vg[vi], bands[bi])
        bi, vi = bi[hit], vi[hit]
        if not len(bi):
            continue
        # A band wholly inside its village needs no clipping (most of them: an overlay with the
        # village outline cost more than the prepared test).
        inside = shapely.contains_properly(vg[vi], bands[bi])
        order = np.lexsort((bi, vi))
        bi, vi, inside = bi[order], vi[order], inside[order]
        cuts = np.flatnonzero(np.diff(vi)) + 1
        for sel, ins, v in zip(np.split(bi, cuts), np.split(inside, cuts), vi[np.r_[0, cuts]]):
            clipped = np.concatenate([bands[sel[ins]], shapely.get_parts(shapely.intersection(bands[sel[~ins]], vg[v]))])
            clipped = clipped[np.isin(shapely.get_type_id(clipped), (3, 6))]
            if not len(clipped):
                continue
            piece = _union(clipped)
            if not shapely.is_empty(piece) and shapely.area(piece) > 1.0:
                found[(int(v), rank)] = (kind, piece)
    if not found:
        return empty
    rows, geoms = [], []
    for (v, _), (kind, piece) in sorted(found.items()):
        rows.append({"code": f"{vcodes[v]}-ZX-{zh[kind]}", "village": vnames[v], "village_code": vcodes[v],
                     "kind": kind, "name": f"{vnames[v]}{zh[kind]}专项网格", "width_m": w})
        geoms.append(piece)
    return gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=crs))


def corridor_bands(lines, width):
    """Bands of ``width`` metres along ``lines`` (simplified first: a corridor's edge need not
    follow every bend of a stream)."""
    return shapely.buffer(shapely.simplify(lines, width / 10), width / 2, quad_segs=2)


def forest_edges(parcels) -> np.ndarray:
    """The outline of the woods made of 三调 forest ``parcels``, as lines: parcel borders inside the
    woods are not edges, and neither are hairline gaps or slivers (< ``FOREST_GAP_M``) left between
    adjacent parcels by digitising, which a plain union keeps as thin holes and inlets and which
    then drew corridors through the middle of a forest, nor holes and pieces smaller than any
    parcel (< ``FOREST_MIN_M2``).

    A morphological closing: each parcel grown by half the tolerance, the grown parcels dissolved,
    each dissolved piece shrunk back. Real edges against farmland, roads or water stay where they
    are; the tips of notches narrower than the tolerance are filled. Mitre joins keep corners and
    spikes (round joins of one segment a quadrant cut metres off sharp spikes; finer ones cost
    vertices), but GEOS leaves the odd piece invalid with them (9 in 8,820 on the county): those
    are repaired. The grown parcels dissolve by disjoint subsets: 2.6-3.7× faster than the plain
    union_all it replaces on the county's 三调 parcels (benchmarks/corridors_bench.py); a union_all
    per connected component (STRtree) is 1.2× slower, snap-rounding (grid 1e-6) 2.9×.

    Of the shrink's ~3 CPU s there, 2.4 s are the 18 woods with ~110 clearings each (GEOS's buffer
    locates every hole's offset curve against the others). Shrinking their outline and growing
    their clearings apart takes 1.4 s and gives the same set to float noise, but other vertices:
    the rings then simplify differently (``corridor_bands``) and the corridors move by up to
    1.5e-3 of their area, so it is not done."""
    r = FOREST_GAP_M / 2
    polys = shapely.get_parts(shapely.make_valid(np.asarray(parcels, dtype=object)))
    polys = polys[np.isin(shapely.get_type_id(polys), (3, 6))]  # collapsed parcels: lines, points
    if not len(polys):
        return np.array([], dtype=object)
    grown = _valid(shapely.buffer(polys, r, join_style="mitre"))
    woods = shapely.get_parts(_valid(shapely.buffer(shapely.get_parts(_union(grown)), -r, join_style="mitre")))
    woods = woods[shapely.area(woods) >= FOREST_MIN_M2]
    rings, of = shapely.get_rings(woods, return_index=True)  # each piece's shell first, then its holes
    hole = np.r_[False, of[1:] == of[:-1]]
    return rings[~(hole & (shapely.area(shapely.polygons(rings)) < FOREST_MIN_M2))]


def _valid(geoms: np.ndarray) -> np.ndarray:
    """``geoms`` with the invalid ones repaired (an overlay of an invalid polygon can fail)."""
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms
