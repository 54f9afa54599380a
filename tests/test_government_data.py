"""Files as a township office hands them out: codes Excel mangled, 三调 layers, CAD-like roads."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from gridtool.project import Project
from gridtool.validate import validate

from .conftest import GK108

# Real villages of 白鹤街道, 开州区 (2023 division codes).
BAIHE = [("东华社区", "500154006001"), ("大胜社区", "500154006002"), ("天祠社区", "500154006003")]
X0, Y0 = 480_000.0, 3_265_000.0


def _villages(tmp_path, codes, name="CJDCQ.gpkg"):
    vil = gpd.GeoDataFrame(
        {"村名": [n for n, _ in BAIHE], "村代码": codes, "乡镇": "白鹤街道"},
        geometry=[box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000) for i in range(len(BAIHE))], crs=GK108)
    path = tmp_path / name
    vil.to_file(path)
    hh = gpd.GeoDataFrame({"户数": [40] * 6},
                          geometry=[Point(X0 + 250 + 500 * i, Y0 + 500) for i in range(6)], crs=GK108)
    hh.to_file(tmp_path / "FW.gpkg")
    return Project.from_sources({"villages": str(path), "households": str(tmp_path / "FW.gpkg")})


def test_codes_typed_in_groups_of_digits_are_joined_and_said(tmp_path):
    project = _villages(tmp_path, ["500 154 006 001", "500 154 006 002", "５００１５４００６００３"])
    vil = project.layers["villages"]
    assert vil.gdf["code"].tolist() == ["500154006001", "500154006002", "500154006003"]
    assert vil.gdf["township"].tolist() == ["白鹤街道"] * 3
    assert "空格已去掉" in vil.columns_detail["code"]["note_zh"]


def test_scientific_notation_codes_are_not_taken_as_codes(tmp_path):
    # A CSV saved from Excel keeps what the cell showed: six significant digits of a 12-digit code.
    project = _villages(tmp_path, ["5.00154E+11", "5.00154E+11", "5.00154006003E+11"])
    gdf = project.layers["villages"].gdf
    assert gdf["code"].tolist()[:2] == [None, None]
    assert gdf["code"].iat[2] == "500154006003"  # every digit still there: read as the code
    p = {p.code: p for p in validate(project)}["village_code_scientific"]
    assert p.field == "村代码" and p.features == ["FID 1", "FID 2"] and "CJDCQ.gpkg" in p.file
    assert "5.00154E+11" in p.zh and "文本格式" in p.fix_zh and "scientific notation" in p.en


def test_villages_sharing_a_code_are_reported(tmp_path):
    # Codes stored as numbers with six significant digits: every village of the township alike.
    project = _villages(tmp_path, [500154000000.0, 500154000000.0, 500154006003.0])
    p = {p.code: p for p in validate(project)}["duplicate_village_code"]
    assert p.features == ["FID 1", "FID 2"] and p.field == "村代码"
    assert "东华社区" in p.zh and "大胜社区" in p.zh and "500154000000" in p.zh


def test_one_village_drawn_as_two_features_is_not_a_shared_code(tmp_path):
    project = _villages(tmp_path, ["500154006001", "500154006002", "500154006003"])
    gdf = project.layers["villages"].gdf
    gdf.loc[1, "name"] = gdf.loc[0, "name"]
    gdf.loc[1, "code"] = gdf.loc[0, "code"]
    assert "duplicate_village_code" not in {p.code for p in validate(project)}


def test_survey_road_grade_column_dldj_is_read(tmp_path):
    # 基础测绘 road lines: the grade in DLDJ (道路等级), CAD-like segments with z coordinates.
    roads = gpd.GeoDataFrame(
        {"DLDJ": ["国道", "县道", "乡道", "村道"], "NAME": ["G211", "开城路", "白鹤路", "东华路"]},
        geometry=[LineString([(X0, Y0 + 100 * i, 210.5), (X0 + 2000, Y0 + 100 * i, 212.0)]) for i in range(4)],
        crs=GK108)
    roads.to_file(tmp_path / "DLXX.shp", encoding="gbk")
    lyr = Project.from_sources({"roads": str(tmp_path / "DLXX.shp")}).layers["roads"]
    assert lyr.columns_used.get("class") == "DLDJ"
    assert lyr.gdf["class"].tolist() == ["trunk", "secondary", "tertiary", "unclassified"]


def test_19_digit_parcel_codes_rounded_by_excel_are_caught_as_ids(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["宗地代码", "户数", "经度", "纬度"])
    for i in range(4):  # 5001540060010000001 …: Excel holds 15 significant digits of a number
        ws.append([float(5001540060010000001 + i), 3, 108.40 + 0.001 * i, 31.18])
    path = tmp_path / "宗地花名册.xlsx"
    wb.save(path)
    project = Project.from_sources({"households": str(path)}, fields={"households.id": "宗地代码"})
    p = {p.code: p for p in validate(project)}["duplicate_id"]
    assert p.severity == "error" and p.field == "宗地代码"
    assert p.features == ["row 2", "row 3", "row 4", "row 5"]  # rows, not four times the same rounded code
    assert "15 位有效数字" in p.fix_zh and "文本格式" in p.fix_zh


def test_distinct_long_ids_are_not_flagged(tmp_path):
    hh = gpd.GeoDataFrame({"不动产单元号": [f"500154006001JC{i:05d}F00010001" for i in range(3)], "户数": 2},
                          geometry=[Point(X0 + 100 * i, Y0) for i in range(3)], crs=GK108)
    hh.to_file(tmp_path / "FW.gpkg")
    project = Project.from_sources({"households": str(tmp_path / "FW.gpkg")}, fields={"households.id": "不动产单元号"})
    assert "duplicate_id" not in {p.code for p in validate(project)}
    assert project.layers["households"].gdf["src_id"].iat[1] == "500154006001JC00001F00010001"
