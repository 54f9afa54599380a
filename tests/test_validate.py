"""Validation finds every kind of data problem at once, and says where and how to fix it."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box

from gridtool.crs import wgs84_to_offset
from gridtool.errors import EmptyLayerError
from gridtool.layers import load_layer
from gridtool.project import Project
from gridtool.validate import validate

from .conftest import GK108


def _codes(problems):
    return {p.code: p for p in problems}


def _project(tmp_path, layers: dict[str, gpd.GeoDataFrame], **kw) -> Project:
    path = tmp_path / "in.gpkg"
    for role, gdf in layers.items():
        gdf.to_file(path, layer=role, driver="GPKG")
    return Project.from_sources({r: f"{path}:{r}" for r in layers}, **kw)


def test_clean_township_has_no_errors(written):
    project = Project.from_sources(written)
    problems = validate(project)
    assert not [p for p in problems if p.severity == "error"], [p.format("en") for p in problems]


def test_every_problem_is_reported_at_once(tmp_path, township):
    hh = township["households"].copy()
    hh["户数"] = hh["户数"].astype(object)
    hh.loc[3, "户数"] = "三户"          # not a number
    hh.loc[4, "户数"] = -2              # negative
    hh.loc[5, "户编号"] = hh.loc[6, "户编号"]  # duplicate ID
    hh.loc[7, "geometry"] = Point(470_000, 3_265_500)  # 10 km west of every village
    villages = township["villages"].copy()
    bowtie = Polygon([(480_000, 3_266_500), (480_400, 3_266_900), (480_400, 3_266_500),
                      (480_000, 3_266_900)])  # self-intersecting: invalid
    overlap = box(480_900, 3_265_000, 481_900, 3_266_000)  # overlaps both villages
    villages = pd.concat([villages, gpd.GeoDataFrame(
        {"名称": ["蝴蝶村", "重叠村"], "区划代码": ["500101001003", "500101001004"]},
        geometry=[bowtie, overlap], crs=GK108)], ignore_index=True)
    project = _project(tmp_path, {"households": hh, "villages": villages})
    problems = validate(project)
    got = _codes(problems)
    for code in ("hh_not_numeric", "hh_not_positive", "duplicate_id", "household_outside_villages",
                 "invalid_geometry", "overlapping_villages", "village_without_households"):
        assert code in got, code
    p = got["hh_not_numeric"]
    assert p.severity == "error" and p.field == "户数" and p.features == ["FID 4"]
    assert p.file.endswith("in.gpkg") and p.layer == "households"
    assert "户数" in p.format("zh") and "Fix:" in p.format("en")
    assert got["hh_not_positive"].features == ["FID 5"]
    assert got["duplicate_id"].field == "户编号" and set(got["duplicate_id"].features) == {"FID 6", "FID 7"}
    assert got["household_outside_villages"].features == ["FID 8"]
    assert got["household_outside_villages"].bounds is not None  # zoom-to in the app
    assert got["invalid_geometry"].repaired and got["invalid_geometry"].features == ["FID 3"]
    assert project.layers["villages"].gdf.geometry.is_valid.all()  # repaired in place
    assert "重叠村" in got["overlapping_villages"].zh
    assert "蝴蝶村" in got["village_without_households"].zh


def test_empty_layer_is_an_error_naming_the_file(tmp_path, township):
    path = tmp_path / "empty.gpkg"
    township["villages"].iloc[:0].to_file(path, layer="villages", driver="GPKG")
    with pytest.raises(EmptyLayerError) as info:
        load_layer("villages", str(path))
    assert "empty.gpkg" in str(info.value)


def test_missing_crs_is_assumed_with_a_warning(tmp_path, township):
    csv = tmp_path / "hh.csv"
    pts = township["households"].to_crs(4326)
    pd.DataFrame({"lon": pts.geometry.x, "lat": pts.geometry.y, "hh": pts["户数"]}).to_csv(csv, index=False)
    project = Project.from_sources({"households": str(csv)})
    p = _codes(validate(project))["missing_crs"]
    assert p.severity == "warning" and "gcj02" in p.fix_en and p.file == str(csv)


def test_layers_far_apart_are_a_crs_mistake(tmp_path, township):
    vil = township["villages"].copy()
    # Villages saved with the wrong zone: 3 degrees (≈ 290 km) east of the households.
    vil = vil.set_crs("EPSG:4546", allow_override=True)
    project = _project(tmp_path, {"households": township["households"], "villages": vil})
    p = _codes(validate(project))["layers_far_apart"]
    assert p.severity == "error" and p.role == "villages" and "km" in p.en


def test_gcj02_households_against_wgs84_villages_get_a_hint_that_works(tmp_path, township):
    # Households picked on AMap (GCJ-02) but loaded as WGS84 lie hundreds of metres off.
    small = township["villages"].copy()
    small["geometry"] = [box(480_100, 3_265_100, 480_900, 3_265_900),
                         box(481_100, 3_265_100, 481_900, 3_265_900)]
    vpath = tmp_path / "v.gpkg"
    small.to_file(vpath, layer="villages")
    rng = np.random.default_rng(1)
    inside = gpd.GeoSeries([Point(480_150 + rng.random() * 700, 3_265_150 + rng.random() * 700)
                            for _ in range(40)], crs=GK108).to_crs(4326)
    moved = wgs84_to_offset(inside.values, "gcj02")
    csv = tmp_path / "amap.csv"
    pd.DataFrame({"经度": [g.x for g in moved], "纬度": [g.y for g in moved], "户数": 1}).to_csv(csv, index=False)
    sources = {"households": str(csv), "villages": str(vpath)}
    p = _codes(validate(Project.from_sources(sources)))["household_outside_villages"]
    assert "--crs-in households=gcj02" in p.fix_en and "高德" in p.fix_zh
    # Following the hint puts every household back in its village; the villages stay put.
    fixed = Project.from_sources(sources, crs_in={"households": "gcj02"})
    assert "household_outside_villages" not in _codes(validate(fixed))


def test_non_integer_counts_are_a_warning(tmp_path, township):
    hh = township["households"].copy()
    hh["户数"] = hh["户数"].astype(float)
    hh.loc[0, "户数"] = 2.5
    project = _project(tmp_path, {"households": hh, "villages": township["villages"]})
    p = _codes(validate(project))["hh_not_integer"]
    assert p.severity == "warning" and p.features == ["FID 1"]


def test_a_repeated_id_card_number_is_named_masked(tmp_path, township):
    """Two roster rows with one 身份证号: the warning names the rows and the number masked, on the
    console and in the saved project's problem list, never the whole ID-card number."""
    import sqlite3

    hh = township["households"].copy()
    hh["身份证号"] = [f"5001011990010{i:05d}" for i in range(len(hh))]
    hh.loc[6, "身份证号"] = hh.loc[5, "身份证号"]
    whole = hh.loc[5, "身份证号"]
    project = _project(tmp_path, {"households": hh, "villages": township["villages"]})
    dup = [p for p in validate(project) if p.code == "duplicate_id" and p.field == "身份证号"]
    assert len(dup) == 1
    assert whole not in dup[0].zh and whole not in dup[0].en
    assert f"{whole[:6]}********{whole[-4:]}" in dup[0].zh
    project.layers["households"].problems = dup
    with sqlite3.connect(project.save(tmp_path / "p.gpkg")) as con:
        meta = "".join(v for (v,) in con.execute("SELECT value FROM gridtool_meta"))
    assert "duplicate_id" in meta and whole not in meta


def test_one_caller_on_many_110_calls_is_no_duplicate_but_one_call_exported_twice_is(tmp_path, township):
    """In a 110 export one 报警人 phoning three times is normal: their ID-card number on three calls
    is not reported; a 警情编号 on two rows (one call exported twice) is, with the calls' fix (counted
    twice in hot spots), not the households' one."""
    pts = township["households"].geometry.to_numpy()[:6]
    calls = gpd.GeoDataFrame({"警情编号": ["J001", "J002", "J003", "J004", "J004", "J005"],
                              "报警人身份证号": ["110105200004044993"] * 3 + [f"5001011990010{i:05d}" for i in range(3)],
                              "警情类别": ["治安"] * 6}, geometry=pts, crs=township["households"].crs)
    project = _project(tmp_path, {"incidents": calls, "villages": township["villages"]})
    dup = [p for p in validate(project) if p.code == "duplicate_id"]
    assert [p.field for p in dup] == ["警情编号"]
    assert "警情" in dup[0].fix_zh and "住户" not in dup[0].fix_zh and "hot spots" in dup[0].fix_en
