"""Special grids (专属网格): the place's own area where there is one, no residents' homes taken
around a place given as a point, households counted once; categories from the source first."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from gridtool.layers import load_layer
from gridtool.partition.engine import GridPartitioner

GK120 = "EPSG:4549"  # CGCS2000 / 3-degree Gauss-Kruger CM 120E
X0, Y0 = 500_000.0, 3_485_000.0


def _town(*, footprints: bool = False) -> dict[str, gpd.GeoDataFrame]:
    """One village 800 m × 600 m; homes every 12 m in a dense quarter around a hospital marked by
    a point (the reported case: its 50 m circle took 100 households); a school drawn as a campus
    polygon with 20 staff flats inside and homes right outside its fence; the rest scattered."""
    village = gpd.GeoDataFrame({"name": ["张泾村"], "code": ["320205101201"]},
                               geometry=[box(X0, Y0, X0 + 800, Y0 + 600)], crs=GK120)
    rows = []
    hosp = (X0 + 200, Y0 + 300)
    for dx in np.arange(-96, 97, 12.0):
        for dy in np.arange(-96, 97, 12.0):
            if abs(dx) < 6 and abs(dy) < 6:
                continue  # the hospital itself
            x, y = hosp[0] + dx + 3, hosp[1] + dy + 3
            g = box(x - 4, y - 3, x + 4, y + 3) if footprints else Point(x, y)
            rows.append({"hh": 1, "where": "town", "geometry": g})
    campus = box(X0 + 500, Y0 + 200, X0 + 650, Y0 + 350)
    for i in range(20):  # staff flats on the campus
        rows.append({"hh": 1, "where": "campus", "geometry": Point(X0 + 520 + 5 * i, Y0 + 275)})
    for i in range(15):  # homes along the fence, outside
        rows.append({"hh": 2, "where": "fence", "geometry": Point(X0 + 505 + 10 * i, Y0 + 353)})
    rng = np.random.default_rng(3)
    for x, y in zip(X0 + 700 + rng.random(120) * 90, Y0 + 20 + rng.random(120) * 560):
        rows.append({"hh": 3, "where": "east", "geometry": Point(x, y)})
    hs = gpd.GeoDataFrame(rows, crs=GK120)
    hs["src_id"] = [f"FID {i}" for i in range(len(hs))]
    places = gpd.GeoDataFrame(
        {"name": ["东港镇卫生院", "东亭中学", "东亭中学", "锡港路口"],
         "category": ["hospital", "school", "school", "路口"]},
        geometry=[Point(hosp), campus, Point(X0 + 575, Y0 + 300), Point(X0 + 400, Y0 + 100)], crs=GK120)
    return {"villages": village, "households": hs, "places": places}


@pytest.mark.parametrize("footprints", [False, True])
def test_point_place_takes_no_homes_and_polygon_place_only_what_is_inside(footprints):
    layers = _town(footprints=footprints)
    hs = layers["households"]
    total = int(hs["hh"].sum())
    gp = GridPartitioner(min_hh=100, max_hh=400, target=250, corridor_width=0).fit(layers)
    sp = gp.special_grids_
    assert sorted(sp["category"]) == ["hospital", "school"]
    hosp = sp[sp["category"] == "hospital"].iloc[0]
    school = sp[sp["category"] == "school"].iloc[0]
    # The hospital marked by a point holds no household: the 255 homes around it stay in base grids.
    assert hosp["hh"] == 0
    assert 50 < hosp.geometry.area <= np.pi * 30 ** 2 + 1
    town = gp.households_[hs["where"].to_numpy() == "town"]
    assert town["grid"].isin(gp.grids_["code"]).all()
    # Nor does any home's footprint or point lie in the hospital's area.
    assert not shapely.intersects(hs.geometry.values, hosp.geometry).any() if footprints else \
        not shapely.contains(hosp.geometry, hs.geometry.values).any()
    # The school's polygon is its special grid (the point inside it adds no circle), with the 20
    # staff flats and none of the homes outside its fence.
    assert school["name"] == "东亭中学"
    assert abs(school.geometry.area - 150 * 150) < 1.0
    assert school["hh"] == 20
    held = gp.households_["grid"] == school["code"]
    assert set(hs.loc[held.to_numpy(), "where"]) == {"campus"}
    # Counted once: base grids + special grids = every household, and the report says so.
    assert int(gp.grids_["hh"].sum()) + int(sp["hh"].sum()) == total
    plan = gp.report_["plan"]
    assert plan["special_grid_households"] == 20
    assert plan["households"] == total
    # An unknown category (路口) is no special grid.
    assert "路口" not in set(sp["category"])


def test_a_household_on_the_place_point_leaves_no_area_and_is_reported():
    layers = _town()
    hosp = layers["places"].geometry.iloc[0]
    extra = gpd.GeoDataFrame({"hh": [4], "where": ["on top"], "src_id": ["FID x"]}, geometry=[hosp], crs=GK120)
    layers["households"] = pd.concat([layers["households"], extra], ignore_index=True)
    gp = GridPartitioner(min_hh=100, max_hh=400, target=250, corridor_width=0).fit(layers)
    assert "hospital" not in set(gp.special_grids_["category"])
    skipped = gp.report_["plan"]["special_places_without_area"]
    assert [s["name"] for s in skipped] == ["东港镇卫生院"]


def test_point_inside_an_uncategorised_parcel_takes_the_parcel():
    layers = _town()
    parcel = box(X0 + 150, Y0 + 250, X0 + 170, Y0 + 270)  # the hospital's parcel, no category
    pl = layers["places"]
    pl = pd.concat([pl, gpd.GeoDataFrame({"name": ["地块 12"], "category": ["other"]}, geometry=[parcel],
                                         crs=GK120)], ignore_index=True)
    pl.loc[0, "geometry"] = Point(X0 + 160, Y0 + 260)
    layers["places"] = gpd.GeoDataFrame(pl, crs=GK120)
    gp = GridPartitioner(min_hh=100, max_hh=400, target=250, corridor_width=0).fit(layers)
    hosp = gp.special_grids_[gp.special_grids_["category"] == "hospital"].iloc[0]
    assert abs(hosp.geometry.area - 400) < 1.0
    assert hosp["name"] == "东港镇卫生院"


# -- categories from the source ------------------------------------------------------------------
OVITAL_KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>东港镇重点场所</name>
<Folder><name>重点场所</name>
 <Folder><name>学校</name>
  <Placemark><name>张泾小学</name><Point><coordinates>120.305,31.505,0</coordinates></Point></Placemark>
  <Placemark><name>东亭校区</name><Polygon><outerBoundaryIs><LinearRing><coordinates>120.312,31.502,0
   120.314,31.502,0 120.314,31.504,0 120.312,31.504,0 120.312,31.502,0</coordinates></LinearRing>
   </outerBoundaryIs></Polygon></Placemark></Folder>
 <Folder><name>医院</name>
  <Placemark><name>仁济堂</name><Point><coordinates>120.318,31.507,0</coordinates></Point></Placemark></Folder>
 <Folder><name>农贸市场</name>
  <Placemark><name>东港菜场</name><Point><coordinates>120.316,31.501,0</coordinates></Point></Placemark></Folder>
 <Folder><name>企业</name>
  <Placemark><name>红豆集团</name><Point><coordinates>120.317,31.503,0</coordinates></Point></Placemark></Folder>
 <Folder><name>路口</name>
  <Placemark><name>锡港路与东港路交叉口</name><Point><coordinates>120.309,31.506,0</coordinates></Point></Placemark></Folder>
</Folder>
<Placemark><name>东港派出所</name><Point><coordinates>120.303,31.508,0</coordinates></Point></Placemark>
<Placemark><name>老街</name><Point><coordinates>120.304,31.509,0</coordinates></Point></Placemark>
</Document></kml>"""


def test_kml_folders_give_categories_names_only_where_no_folder_says(tmp_path):
    kml = tmp_path / "重点场所.kml"
    kml.write_text(OVITAL_KML, encoding="utf-8")
    lyr = load_layer("places", str(kml))
    cat = dict(zip(lyr.gdf["name"], lyr.gdf["category"]))
    # 仁济堂 and 红豆集团 say nothing in their names: the folders do.
    assert cat == {"张泾小学": "school", "东亭校区": "school", "仁济堂": "hospital", "东港菜场": "market",
                   "红豆集团": "enterprise", "锡港路与东港路交叉口": "路口",
                   "东港派出所": "police", "老街": "other"}
    assert lyr.columns_used["category"] == "(KML folder)"
    # The two placemarks outside any folder were guessed from their names, and that is said.
    guessed = [p for p in lyr.problems if p.code == "category_from_name"]
    assert len(guessed) == 1 and "2 个重点场所" in guessed[0].zh and "派出所 1" in guessed[0].zh
    assert guessed[0].features == ["东港镇重点场所 #2"]  # 老街: nothing to guess from


def test_category_column_values_mapped_or_kept_and_blanks_guessed(tmp_path):
    csv = tmp_path / "places.csv"
    pd.DataFrame({"名称": ["实验小学", "仁济堂", "锡港路口", "高速出口", "北门", "东港中学"],
                  "类别": ["学校", "医院", "intersection", "出口", "路口", None],
                  "经度": [120.30, 120.31, 120.32, 120.33, 120.34, 120.35],
                  "纬度": [31.50] * 6}).to_csv(csv, index=False)
    lyr = load_layer("places", str(csv))
    assert lyr.gdf["category"].tolist() == ["school", "hospital", "intersection", "出口", "路口", "school"]
    assert lyr.gdf["category_raw"].tolist()[:5] == ["学校", "医院", "intersection", "出口", "路口"]
    guessed = [p for p in lyr.problems if p.code == "category_from_name"]
    assert len(guessed) == 1 and "学校 1" in guessed[0].zh


def test_a_register_of_one_kind_names_the_category_of_places_whose_names_do_not(tmp_path):
    """学校名单.csv without a 类别 column: 明德书院 and 育才园 were 其他 (not must-visit on patrols)
    although the file says they are schools; a file naming two kinds says nothing sure."""
    rows = {"名称": ["明德书院", "东港中学", "红星幼儿园", "育才园"], "经度": [120.30, 120.31, 120.32, 120.33],
            "纬度": [31.50] * 4}
    pd.DataFrame(rows).to_csv(tmp_path / "学校名单.csv", index=False)
    lyr = load_layer("places", str(tmp_path / "学校名单.csv"))
    assert lyr.gdf["category"].tolist() == ["school", "school", "kindergarten", "school"]
    said = next(p for p in lyr.problems if p.code == "category_from_name")
    assert "其中 2 个名称看不出类别，按文件名“学校名单”记为学校" in said.zh and "from the file name" in said.en
    assert said.features == []  # none left as 其他
    pd.DataFrame(rows).to_csv(tmp_path / "学校医院.csv", index=False)
    lyr = load_layer("places", str(tmp_path / "学校医院.csv"))
    assert lyr.gdf["category"].tolist() == ["other", "school", "kindergarten", "other"]
