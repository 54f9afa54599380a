"""Walking on slopes: grades sampled along the edge, smoothed, clipped, DEM voids interpolated."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import LineString

from gridtool.io.dem import Dem
from gridtool.routing import build_graph, tobler_kmh

from .test_routing_graph import GK108, X0, Y0

CELL = 10.0


def _dem(spike: bool = False, void: bool = False, grade: float = 0.05) -> Dem:
    """A DEM rising ``grade`` eastwards (10 m cells) over 600 × 400 m, optionally with a 60 m
    spike on the first street and a 60 m-wide void across the second."""
    cols = np.arange(60)
    arr = np.tile((cols * CELL + CELL / 2) * grade, (40, 1)).astype(np.float32)
    if spike:
        arr[30, 15] += 60.0                      # one bad cell on the street at y = Y0 + 95
    if void:
        arr[5:15, 20:26] = np.nan                # a void across the street at y = Y0 + 295
    return Dem(arr, Affine(CELL, 0, X0, 0, -CELL, Y0 + 400), GK108, "synthetic")


def _streets(step: float = 10.0):
    # drawn with a vertex every 10 m, as survey and OSM lines often are
    xs = np.arange(0, 300 + step, step)
    a = LineString([(X0 + x, Y0 + 95) for x in xs])
    b = LineString([(X0 + x, Y0 + 295) for x in xs])
    return gpd.GeoDataFrame({"class": ["residential", "residential"], "name": ["东街", "西街"]},
                            geometry=[a, b], crs=GK108)


def _times(g):
    fe, be = g.piece_edges[:, 0], g.piece_edges[:, 1]
    return g.time[fe], g.time[be]


def test_steady_slope_gives_tobler_times_both_ways():
    g = build_graph(_streets(), mode="walk", dem=_dem())
    up, down = _times(g)
    flat = 300 / (4.5 / 3.6)
    expect_up = 300 / (tobler_kmh(0.05) / 3.6)
    expect_down = 300 / (tobler_kmh(-0.05) / 3.6)
    assert up == pytest.approx([expect_up] * 2, rel=0.02)
    assert down == pytest.approx([expect_down] * 2, rel=0.02)
    assert (up > flat).all() and (down < flat).all()
    assert g.slope_report["clipped"] == 0 and g.slope_report["filled"] == 0
    assert not [p for p in g.problems if p.code == "dem_slopes_adjusted"]


def test_a_spike_is_smoothed_and_clipped_not_a_wall():
    clean_up, clean_down = _times(build_graph(_streets(), mode="walk", dem=_dem()))
    g = build_graph(_streets(), mode="walk", dem=_dem(spike=True))
    up, down = _times(g)
    # vertex to vertex the spike is a 300 % wall up and down: at the old 100 % cap that made the
    # 300 m street ~13 minutes slower each way; smoothed and clipped at 40 % it costs a minute.
    assert 0 < up[0] - clean_up[0] < 120 and 0 < down[0] - clean_down[0] < 120
    assert up[1] == pytest.approx(clean_up[1], rel=1e-6)       # the other street is untouched
    assert g.slope_report["clipped"] == 1 and g.slope_report["steepest"] > 0.4
    msg = [p for p in g.problems if p.code == "dem_slopes_adjusted"][0].format("en")
    assert "1 were steeper than 40%" in msg and "clipped" in msg
    # the cap is a parameter
    loose = build_graph(_streets(), mode="walk", dem=_dem(spike=True), max_grade=1.0)
    assert _times(loose)[0][0] > up[0] and loose.slope_report["clipped"] == 0


def test_a_void_is_interpolated_not_flat():
    clean_up, clean_down = _times(build_graph(_streets(), mode="walk", dem=_dem()))
    g = build_graph(_streets(), mode="walk", dem=_dem(void=True))
    up, down = _times(g)
    assert g.slope_report["filled"] == 1 and g.slope_report["outside"] == 0
    assert up[1] == pytest.approx(clean_up[1], rel=0.03)
    assert down[1] == pytest.approx(clean_down[1], rel=0.03)
    flat = 300 / (4.5 / 3.6)
    assert up[1] > flat * 1.05                                   # the 60 m across the void still climb
    msg = [p for p in g.problems if p.code == "dem_slopes_adjusted"][0].format("zh")
    assert "1 段经过高程空洞（已插值）" in msg


def test_a_short_steep_edge_keeps_its_grade():
    # 20 m between junctions at a real 30 % grade: averaging grades (not heights) keeps it steep
    dem = _dem(grade=0.30)
    roads = gpd.GeoDataFrame({"class": ["residential"] * 3},
                             geometry=[LineString([(X0 + 100, Y0 + 95), (X0 + 120, Y0 + 95)]),
                                       LineString([(X0 + 120, Y0 + 95), (X0 + 120, Y0 + 195)]),
                                       LineString([(X0 + 100, Y0 + 95), (X0 + 100, Y0 + 5)])], crs=GK108)
    g = build_graph(roads, mode="walk", dem=dem)
    p = int(np.argmin(np.abs(g.length[g.piece_edges[:, 0]] - 20)))
    up = g.time[g.piece_edges[p, 0]]
    forward_east = g.x[g.piece_v[p]] > g.x[g.piece_u[p]]
    t_up = up if forward_east else g.time[g.piece_edges[p, 1]]
    assert t_up == pytest.approx(20 / (tobler_kmh(0.30) / 3.6), rel=0.03)


ANDORRA_DEM = Path("/work/shared/data/dem/N42E001.hgt.zip")
ANDORRA_OSM = Path("/work/shared/data/osm/andorra-2025-01.osm.pbf")


@pytest.mark.skipif(not (ANDORRA_DEM.exists() and ANDORRA_OSM.exists()), reason="shared Andorra data not here")
def test_andorra_srtm_grades_are_bounded_and_reported():
    """Real data: SRTM3 (90 m cells, 7,652 void cells) under Andorra's streets and paths. Before,
    the 292 m Via Ferrata Roc d'Esquers took 129 minutes uphill (a 100 % grade between vertices)."""
    from gridtool.io.dem import read_dem
    from gridtool.routing import graph_from_osm
    g = graph_from_osm(ANDORRA_OSM, mode="walk", dem=read_dem(ANDORRA_DEM))
    r = g.slope_report
    assert r["edges"] > 10_000 and 0 < r["clipped"] < 0.1 * r["edges"] and r["filled"] > 0
    fe, be = g.piece_edges[:, 0], g.piece_edges[:, 1]
    flat_kmh = np.array([g.speeds[c]["walk"] for c in g.classes])
    base = g.length[fe] / (flat_kmh / 3.6)
    worst = np.maximum(g.time[fe], np.where(be >= 0, g.time[np.maximum(be, 0)], 0)) / base
    assert worst.max() <= 4.06 * 1.001                # Tobler at the 40 % cap, uphill
    ferrata = [k for k, n in enumerate(g.names) if "Esquers" in str(n)]
    assert ferrata and max(max(g.time[fe[k]], g.time[be[k]]) for k in ferrata) < 20 * 60


def test_the_graph_says_how_the_dem_shaped_its_times():
    walk = build_graph(_streets(), mode="walk", dem=_dem(grade=0.10))
    said = walk.report("zh")
    assert "步行时间按高程坡度计算" in said and "10% 上坡 3.2 公里/小时" in said
    assert "10% uphill" in walk.report("en")
    assert not [p for p in walk.problems if p.code == "dem_not_used_for_mode"]
    # cycling and driving ignore the DEM: a warning says their mountain times are optimistic
    for mode, word in (("bicycle", "骑行"), ("car", "驾车")):
        g = build_graph(_streets(), mode=mode, dem=_dem(grade=0.10))
        warned = [p for p in g.problems if p.code == "dem_not_used_for_mode"]
        assert len(warned) == 1 and warned[0].severity == "warning" and word in warned[0].format("zh")
        assert "步行时间按高程坡度计算" not in g.report("zh")
    flat = build_graph(_streets(), mode="bicycle")  # no DEM: nothing claimed
    assert not [p for p in flat.problems if p.code == "dem_not_used_for_mode"]
    assert "坡度" not in flat.report("zh")
