"""One geometry type per layer of the plan, through partition, save, reopen, edits and a redraw.

The sub-grids layer of a partitioned Nanjing project (real buildings, ``locks_data``) was declared
``GEOMETRY`` and held Polygons, MultiPolygons and GeometryCollections (a sub-grid cut along its
grid's border keeps a line where the cut touched): QGIS then asks which sub-layer to load and shows
one of them. Grids came out of the engine as Polygons and MultiPolygons and back from the file all
MultiPolygon. Now every grid, sub-grid and special grid is a MultiPolygon, in the engine's output
and in the file, after every edit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402

from gridtool.cli import main  # noqa: E402
from gridtool.geomtypes import one_polygon_type  # noqa: E402
from gridtool.partition.engine import GridPartitioner  # noqa: E402
from gridtool.project import Project  # noqa: E402

OPTS = ["--corridor-width", "0"]
PLAN = ("grids", "subgrids", "special_grids")


def _types(path: Path) -> dict[str, tuple[str, set]]:
    """Per plan layer: the type the file declares and the types of its rows."""
    out = {}
    for layer in PLAN + ("changes",):
        if layer in {n for n, _ in pyogrio.list_layers(path)}:
            out[layer] = (pyogrio.read_info(path, layer=layer)["geometry_type"],
                          set(gpd.read_file(path, layer=layer).geom_type))
    return out


def _all_multi(path: Path) -> None:
    types = _types(path)
    assert set(PLAN) <= set(types)
    assert all(t == ("MultiPolygon", {"MultiPolygon"}) for t in types.values()), types


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    d = tmp_path_factory.mktemp("geomtypes")
    raw = cut_project("nanjing-xuanwu").save(d / "raw.gpkg")
    out = d / "plan.gpkg"
    assert main(["partition", str(raw), "--out", str(out), "--quiet", *OPTS]) == 0
    return {"raw": raw, "plan": out}


def test_the_engine_and_the_file_give_every_grid_and_sub_grid_as_a_multipolygon(plan):
    _all_multi(plan["plan"])
    gp = GridPartitioner(corridor_width=0).fit(Project.open(plan["raw"]))
    for gdf in (gp.grids_, gp.subgrids_, gp.special_grids_):
        assert set(gdf.geom_type) == {"MultiPolygon"}
    # the same land as the file's sub-grids: only lines and points of collections were dropped
    subs = gpd.read_file(plan["plan"], layer="subgrids")
    assert abs(subs.area.sum() - gp.subgrids_.area.sum()) < 1.0


def test_merge_split_lock_and_redraw_keep_one_type(plan, tmp_path):
    import shutil
    p = tmp_path / "p.gpkg"
    shutil.copy(plan["plan"], p)
    codes = sorted(gpd.read_file(p, layer="grids")["code"])
    assert main(["edit", str(p), "--merge", f"{codes[0]}={codes[1]}"]) == 0
    _all_multi(p)
    assert main(["edit", str(p), "--split", codes[2]]) == 0
    _all_multi(p)
    assert main(["edit", str(p), "--lock", codes[3]]) == 0
    out = tmp_path / "again.gpkg"
    assert main(["partition", str(p), "--redraw", "--out", str(out), "--quiet", *OPTS]) == 0
    _all_multi(out)
    # reopened and saved by the API unchanged: still one type
    again = Project.open(out)
    _all_multi(again.save(tmp_path / "saved.gpkg"))


def test_a_collection_keeps_its_polygons_and_a_roster_of_footprints_stays_polygons(plan, tmp_path):
    sq = shapely.box(0, 0, 10, 10)
    gdf = gpd.GeoDataFrame({"code": ["a", "b", "c"]}, crs="EPSG:4549", geometry=[
        sq, shapely.GeometryCollection([shapely.box(20, 0, 30, 10), shapely.LineString([(30, 0), (40, 0)])]),
        shapely.MultiPolygon([shapely.box(50, 0, 60, 10), shapely.box(70, 0, 80, 10)])])
    out = one_polygon_type(gdf)
    assert set(out.geom_type) == {"MultiPolygon"} and list(out.area) == [100.0, 100.0, 200.0]
    footprints = gpd.GeoDataFrame({"hh": [1, 2]}, geometry=[sq, shapely.box(20, 0, 30, 10)], crs="EPSG:4549")
    assert one_polygon_type(footprints) is footprints  # one type already: the roster is not rewritten
    imported = cut_project("nanjing-xuanwu").layers["households"].gdf
    saved = gpd.read_file(plan["plan"], layer="households")
    assert set(saved.geom_type) == set(imported.geom_type)
