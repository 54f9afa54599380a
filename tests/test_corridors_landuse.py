"""田林 corridors from a 三调 land-use layer: along the outline of the woods, never along the
hairline gaps and slivers digitising leaves between adjacent forest parcels inside a wood; real
edges against farmland and roads (down to a 1 m 农村道路) kept."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from synthetic_county import load_sample  # noqa: E402
from synthetic_landuse import sandiao_parcels  # noqa: E402

from gridtool.partition.corridors import FOREST_MIN_M2, draw_corridors, forest_edges  # noqa: E402
from gridtool.partition.villages import village_codes, village_names  # noqa: E402

WIDTH = 50.0
# A band reaches width/2 from its edge line, which is simplified by width/10 first; the edge lies
# within a metre or so of the true outline (digitising).
REACH = WIDTH / 2 + WIDTH / 10 + 3.0


@pytest.fixture(scope="module")
def woods():
    """Liechtenstein's real forest polygons (OSM) that stand clear of each other (≥ 2 m: their
    outlines are the true forest edges), two roads cut through the largest (1 m and 4 m wide,
    their own parcels), cut into 三调-like parcels with hairline gaps and overlaps, plus farmland."""
    s = load_sample("liechtenstein")
    f = s["forest"].reset_index(drop=True)
    g = f.geometry.values
    fo = np.flatnonzero(f["kind"].to_numpy() == "forest")
    near_i, near_j = shapely.STRtree(g[fo]).query(g[fo], predicate="dwithin", distance=2.0)
    crowded = set(near_i[near_i != near_j])
    # ... and has no thin or tiny hole of its own (OSM digitising, not a forest edge 三调 would map),
    # nor is itself smaller than a 三调 forest parcel (400 m²).
    holes = [shapely.Polygon(shapely.get_interior_ring(p, k)) for q in g[fo] for p in shapely.get_parts(q)
             for k in range(shapely.get_num_interior_rings(p))]
    thin = shapely.STRtree(np.array([h for h in holes if h.area < max(2.0 * h.length, FOREST_MIN_M2)], dtype=object))
    clear = [fo[k] for k in range(len(fo)) if k not in crowded and shapely.area(g[fo[k]]) >= 400.0
             and not len(thin.query(g[fo[k]], predicate="intersects"))]
    forest = f.loc[clear + list(np.flatnonzero(f["kind"].to_numpy() == "farmland"))].reset_index(drop=True)
    big = int(np.argmax(shapely.area(forest.geometry.values) * (forest["kind"] == "forest").to_numpy()))
    poly = forest.geometry.iat[big]
    (x0, y0, x1, y1), c = poly.bounds, poly.representative_point()
    roads = np.array([shapely.box(x0 - 5, c.y - 0.5, x1 + 5, c.y + 0.5),      # 1 m: the narrowest 农村道路
                      shapely.box(c.x - 2.0, y0 - 5, c.x + 2.0, y1 + 5)], dtype=object)
    roads = shapely.intersection(roads, poly)
    forest.loc[big, "geometry"] = shapely.difference(poly, shapely.union_all(roads))
    lu = sandiao_parcels(forest, seed=5)
    road_parcels = gpd.GeoDataFrame({"DLBM": ["1006", "1006"], "DLMC": ["农村道路"] * 2, "kind": ["road"] * 2},
                                    geometry=roads, crs=lu.crs)
    lu = gpd.GeoDataFrame(pd.concat([lu, road_parcels], ignore_index=True), geometry="geometry", crs=lu.crs)
    truth = shapely.union_all(forest.geometry.values[(forest["kind"] == "forest").to_numpy()])
    return {"villages": s["villages"], "landuse": lu, "truth": truth, "roads": roads}


def _corridors(woods):
    v = woods["villages"]
    lines = gpd.GeoDataFrame({"cls": []}, geometry=gpd.GeoSeries([], crs=v.crs))
    return draw_corridors({"landuse": woods["landuse"]}, lines, v, village_codes(v), village_names(v), v.crs, WIDTH)


def test_the_parcels_leave_gaps_a_plain_union_keeps(woods):
    """The case is real: dissolving the parcels as they are leaves hundreds of km of false edges
    inside the woods (the corridors this used to draw)."""
    lu = woods["landuse"]
    forest = lu.geometry.values[(lu["kind"] == "forest").to_numpy()]
    assert len(forest) > 1000
    plain = shapely.boundary(shapely.union_all(forest))
    inside = shapely.difference(plain, shapely.buffer(shapely.boundary(woods["truth"]), 1.0))
    assert shapely.length(inside) > 100_000


def test_forest_edges_are_the_outline_of_the_woods(woods):
    lu = woods["landuse"]
    edges = shapely.multilinestrings(forest_edges(lu.geometry.values[(lu["kind"] == "forest").to_numpy()]))
    true_edge = shapely.boundary(woods["truth"])
    # Nothing inside the woods: every edge lies on the true outline, give or take the digitising
    # (15 cm; up to a metre or so at a few sharp parcel corners and thin spikes, metres in all).
    assert shapely.length(shapely.difference(edges, shapely.buffer(true_edge, 2.0))) < 0.01
    assert shapely.length(shapely.difference(edges, shapely.buffer(true_edge, 0.5))) < 20.0
    # And the whole outline is there, the road edges too: all the parcels show of it (digitising
    # shrank away a few thin OSM spikes, which a plain union of the parcels misses as well; the
    # closing fills the tips of notches narrower than the tolerance).
    plain = shapely.boundary(shapely.union_all(lu.geometry.values[(lu["kind"] == "forest").to_numpy()]))
    missed = shapely.length(shapely.difference(true_edge, shapely.buffer(edges, 2.0)))
    assert missed < shapely.length(shapely.difference(true_edge, shapely.buffer(plain, 2.0))) + 0.01
    assert shapely.length(shapely.difference(true_edge, shapely.buffer(edges, 0.5))) < 30.0


def test_corridors_follow_outer_edges_and_roads_not_inner_gaps(woods):
    cor = _corridors(woods)
    assert set(cor["kind"]) == {"forest"} and len(cor) >= 5
    assert shapely.is_valid(cor.geometry.values).all()
    band = shapely.union_all(cor.geometry.values)
    truth = woods["truth"]
    # No band deep inside a wood: the interior beyond a band's reach from any true edge is empty.
    interior = shapely.buffer(truth, -REACH)
    assert interior.area > 1e6
    assert shapely.intersection(band, interior).area < 1.0
    # The outline is covered wherever it lies in a village, both sides of the 1 m and 4 m roads too.
    land = shapely.buffer(shapely.union_all(woods["villages"].geometry.values), -1.0)
    edge = shapely.boundary(truth)
    pts = shapely.line_interpolate_point(edge, np.arange(0, edge.length, 10.0))
    pts = pts[shapely.contains(land, pts)]
    assert len(pts) > 10_000
    assert shapely.contains(band, pts).mean() > 0.999
    for road in woods["roads"]:
        mid = shapely.line_interpolate_point(shapely.boundary(road), np.arange(0, road.length, 20.0))
        mid = mid[shapely.contains(land, mid)]
        assert len(mid) > 10 and shapely.contains(band, mid).all()


def test_broken_parcels_give_no_edge_and_no_error():
    """A parcel collapsed to a line, a self-crossing one and an empty one among good parcels."""
    good = [shapely.box(0, 0, 100, 100), shapely.box(100.2, 0, 200, 100)]  # 20 cm gap between them
    bad = [shapely.Polygon([(0, 0), (50, 0), (100, 0), (0, 0)]),
           shapely.Polygon([(300, 0), (400, 100), (400, 0), (300, 100)]), shapely.Polygon()]
    edges = forest_edges(np.array(good + bad, dtype=object))
    outline = shapely.union_all(edges)
    # One wood 200 × 100 m (the gap closed) and the bow-tie's two triangles.
    assert abs(shapely.length(outline) - (600 + 2 * (100 + 2 * 50 * 2 ** 0.5))) < 0.5
    assert not shapely.intersects(outline, shapely.box(99, 10, 101, 90))
    assert len(forest_edges(np.array(bad[:1] + bad[2:], dtype=object))) == 0


def test_voids_and_stray_slivers_smaller_than_any_parcel_give_no_edge():
    """A 3 m × 3 m void a missing parcel left in a wood and a 2 m × 40 m stray sliver of forest in
    the farmland give no edge; a 20 m × 20 m clearing (400 m², a parcel 三调 maps) does."""
    wood = shapely.box(0, 0, 300, 200)
    void, clearing = shapely.box(50, 50, 53, 53), shapely.box(200, 80, 220, 100)
    parcels = np.array([shapely.difference(shapely.box(0, 0, 150, 200), void),
                        shapely.difference(shapely.box(150.1, 0, 300, 200), clearing),
                        shapely.box(0, 300, 2, 340)], dtype=object)
    edges = forest_edges(parcels)
    assert len(edges) == 2
    assert shapely.hausdorff_distance(shapely.Polygon(edges[0]), wood) < 0.1
    assert abs(shapely.Polygon(edges[1]).area - clearing.area) < 0.1
