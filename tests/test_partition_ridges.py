"""Grids over a ridge: with an elevation model, a grid whose households lie in two valleys is
measured (``ridge_m``) and named in the report, though it crosses no road or river."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import LineString, Point, box

from gridtool.io.dem import Dem
from gridtool.layers import Layer
from gridtool.partition.engine import GridPartitioner
from gridtool.partition.output import apply_to_project
from gridtool.partition.report import partition_markdown
from gridtool.project import Project

GK108 = "EPSG:4545"
X0, Y0 = 480_000.0, 3_265_000.0
CELL = 30.0


def _layers() -> dict[str, gpd.GeoDataFrame]:
    """One village 1,200 × 600 m of 440 households: 22 houses in a west valley, 22 in an east one,
    one track over the middle between them (one grid of 300–500 holds them all)."""
    rng = np.random.default_rng(3)
    houses = []
    for cx in (300.0, 900.0):
        for x, y in zip(cx + rng.uniform(-80, 80, 22), 300 + rng.uniform(-80, 80, 22)):
            houses.append({"hh": 10, "geometry": Point(X0 + x, Y0 + y)})
    hs = gpd.GeoDataFrame(houses, crs=GK108)
    hs["src_id"] = [f"FID {i}" for i in range(len(hs))]
    village = gpd.GeoDataFrame({"name": ["石门坎村"], "code": ["500101001003"]},
                               geometry=[box(X0, Y0, X0 + 1200, Y0 + 600)], crs=GK108)
    track = gpd.GeoDataFrame({"class": ["track"], "name": ["翻山路"]},
                             geometry=[LineString([(X0 + 300, Y0 + 300), (X0 + 900, Y0 + 300)])], crs=GK108)
    return {"villages": village, "households": hs, "roads": track}


def _dem(ridge: float) -> Dem:
    """Valleys at 1,000 m, a ridge ``ridge`` m higher along x = 540–660 m (30 m cells, a margin
    of 300 m around the village)."""
    x = X0 - 300 + (np.arange(60) + 0.5) * CELL
    z = np.where(np.abs(x - (X0 + 600)) <= 60, 1000.0 + ridge, 1000.0)
    arr = np.tile(z, (40, 1)).astype(np.float32)
    arr[5:8, 5:8] = np.nan  # a void away from the households never makes a ridge
    return Dem(arr, Affine(CELL, 0, X0 - 300, 0, -CELL, Y0 + 900), GK108, "synthetic")


def _partitioned(dem: Dem | None) -> tuple[Project, GridPartitioner]:
    layers = _layers()
    gp = GridPartitioner(min_hh=300, max_hh=500, corridor_width=0, subgrids=False).fit(layers)
    p = Project(name="山区", crs=layers["villages"].crs)
    for role, gdf in layers.items():
        p.layers[role] = Layer(role=role, gdf=gdf)
    p.dem = dem
    apply_to_project(p, gp)
    return p, gp


@pytest.fixture(scope="module")
def over_ridge():
    return _partitioned(_dem(600.0))


def test_a_grid_over_a_ridge_is_measured_and_named_in_the_report(over_ridge):
    p, gp = over_ridge
    grids = p.layers["grids"].gdf
    assert len(grids) == 1 and int(grids["hh"].sum()) == 440
    assert grids["hard_crossings"].sum() == 0  # no line is crossed: only the DEM tells
    assert 550 <= grids["ridge_m"].iloc[0] <= 600
    named = gp.report_["plan"]["ridge_grids"]
    assert [r["code"] for r in named] == [grids["code"].iloc[0]]
    assert named[0]["households"] == 440
    md = partition_markdown(gp.report_, "zh")
    assert "隔山脊的网格" in md and f"{grids['code'].iloc[0]} ({named[0]['ridge_m']} m)" in md


def test_a_grid_in_one_valley_measures_no_ridge():
    p, gp = _partitioned(_dem(0.0))
    assert p.layers["grids"].gdf["ridge_m"].tolist() == [0.0]
    assert gp.report_["plan"]["ridge_grids"] == []
    assert "隔山脊" not in partition_markdown(gp.report_, "zh")


def test_without_a_dem_nothing_is_claimed():
    p, gp = _partitioned(None)
    assert "ridge_m" not in p.layers["grids"].gdf
    assert "ridge_grids" not in gp.report_["plan"]


def test_ridges_measured_beforehand_are_taken_as_they_are(monkeypatch):
    """Found in review: ``ridge_m`` was measured inside apply_to_project, which the app runs on its
    GUI thread (the window froze up to half a second per grid on a mountain plan, no progress, no
    cancel). The app now measures in its background job (:func:`measure_ridges`) and
    apply_to_project takes those figures: the same ``ridge_m`` and report, nothing measured again."""
    import gridtool.partition.terrain as terrain
    from gridtool.partition.output import measure_ridges
    layers = _layers()
    gp = GridPartitioner(min_hh=300, max_hh=500, corridor_width=0, subgrids=False).fit(layers)
    p = Project(name="山区", crs=layers["villages"].crs)
    for role, gdf in layers.items():
        p.layers[role] = Layer(role=role, gdf=gdf)
    p.dem = _dem(600.0)
    measure_ridges(p, gp)
    assert 550 <= gp.ridge_m_[0] <= 600

    def never(*a, **k):
        raise AssertionError("ridges measured again when the result was applied")

    monkeypatch.setattr(terrain, "grid_ridges", never)
    apply_to_project(p, gp)
    assert p.layers["grids"].gdf["ridge_m"].tolist() == gp.ridge_m_.tolist()
    assert [r["code"] for r in gp.report_["plan"]["ridge_grids"]] == p.layers["grids"].gdf["code"].tolist()
