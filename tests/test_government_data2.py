"""Government files, second round: CAD survey drawings whose road layers name no grade word, grade
columns of number codes, codes Excel shortened, and 不动产单元号 / 宗地代码 as household ids."""

from __future__ import annotations

import geopandas as gpd
import openpyxl
from shapely.geometry import LineString, Point, box

from gridtool.layers import load_layer
from gridtool.project import Project

from .conftest import GK108
from .dxf_data import X0, Y0, _pairs, line, write_dxf

GX, GY = 480_000.0, 3_265_000.0


def _coded_line(layer: str, a, b, code: str) -> str:
    """A LINE with its survey feature code in extended data, as CASS writes it (app SOUTH)."""
    return _pairs((0, "LINE"), (8, layer), (10, a[0]), (20, a[1]), (30, 0), (11, b[0]), (21, b[1]), (31, 0),
                  (1001, "SOUTH"), (1000, code))


def test_cad_layers_naming_a_road_class_are_roads_and_the_rest_of_the_survey_is_not(tmp_path):
    # A township's survey drawing: 城市道路 and 公路 layers (GB/T 13923 medium classes), contours too.
    ents = ""
    for i in range(6):
        ents += line("城市道路", (X0, Y0 + 80 * i), (X0 + 900, Y0 + 80 * i))
        ents += line("等高线", (X0 + 30 * i, Y0), (X0 + 30 * i + 200, Y0 + 300))
    ents += line("公路", (X0, Y0 + 600), (X0 + 2000, Y0 + 600))
    path = write_dxf(tmp_path / "地形图.dxf", ents)
    lyr = load_layer("roads", str(path), crs_in="EPSG:4549")
    assert len(lyr.gdf) == 7  # the contours are not roads
    assert dict(zip(lyr.gdf["Layer"], lyr.gdf["class"])) == {"城市道路": "residential", "公路": "secondary"}
    assert lyr.class_summary["unknown"] == 0
    # the CAD reading names the summary's group of each class, so that "县乡道 1" above and
    # "公路→次干道 1" beside it no longer read as two words for the same road (round 30)
    zh, en = lyr.class_summary["text_zh"], lyr.class_summary["text_en"]
    assert "城市道路→居住区道路（村道及以下） 6" in zh and "公路→次干道（县乡道） 1" in zh
    assert "县乡道 1" in zh and "村道及以下 6" in zh
    assert "公路→secondary (county/township) 1" in en and "county/township 1" in en
    taken = next(p for p in lyr.problems if p.code == "dxf_road_layers")
    assert "城市道路（6）" in taken.zh and "等高线（6）" in taken.zh and "文件.dxf:图层1,图层2" in taken.fix_zh


def test_feature_codes_in_cad_extended_data_say_which_lines_are_roads(tmp_path):
    ents = "".join(_coded_line("DLSS", (X0, Y0 + 50 * i), (X0 + 500, Y0 + 50 * i), "430501") for i in range(4))
    ents += _coded_line("0", (X0, Y0 + 400), (X0 + 900, Y0 + 400), "420301")
    ents += "".join(line("房屋", (X0 + 10 * i, Y0), (X0 + 10 * i, Y0 + 20)) for i in range(3))
    ents += line("440100", (X0, Y0 + 500), (X0 + 900, Y0 + 500))  # a layer named by its code
    lyr = load_layer("roads", str(write_dxf(tmp_path / "cass.dxf", ents)), crs_in="EPSG:4549")
    assert sorted(lyr.gdf["class"]) == ["residential"] * 4 + ["secondary", "track"]
    assert lyr.columns_used.get("f_code") == "XData"
    assert "房屋（3）" in next(p for p in lyr.problems if p.code == "dxf_road_layers").zh


def _graded(tmp_path, column, values, name="DLXX.shp"):
    roads = gpd.GeoDataFrame({column: values},
                             geometry=[LineString([(GX, GY + 100 * i), (GX + 2000, GY + 100 * i)])
                                       for i in range(len(values))], crs=GK108)
    roads.to_file(tmp_path / name)
    return load_layer("roads", str(tmp_path / name))


def test_road_grade_number_codes_are_read_and_the_reading_printed(tmp_path):
    lyr = _graded(tmp_path, "DLDJ", [1, 2, 3, 4, 5, 11, 21, 9, 9])
    assert lyr.gdf["class"].tolist()[:7] == ["trunk", "primary", "secondary", "tertiary", "unclassified",
                                             "trunk", "primary"]
    assert "DLDJ 代码按行政等级读：1→国道 1" in lyr.class_summary["text_zh"]
    assert "21→省道 1" in lyr.class_summary["text_zh"] and "21→primary 1" in lyr.class_summary["text_en"]
    warn = next(p for p in lyr.problems if p.code == "road_grade_code_unknown")
    assert warn.field == "DLDJ" and "9（2 条）" in warn.zh and "roads,DLDJ,9," in warn.fix_zh


def test_route_grade_letters_are_read_and_unknown_words_named(tmp_path):
    lyr = _graded(tmp_path, "LXDJ", ["G", "X", "C", "其他", "县道"])
    assert lyr.gdf["class"].tolist()[:3] == ["trunk", "secondary", "unclassified"]
    assert lyr.gdf["class"].iat[4] == "secondary"  # the grade word as before
    assert "G→国道 1" in lyr.class_summary["text_zh"]
    assert "其他（1 条）" in next(p for p in lyr.problems if p.code == "road_grade_code_unknown").zh


def test_technical_grade_codes_are_read_as_technical_grades(tmp_path):
    lyr = _graded(tmp_path, "JSDJ", ["1", "2", "6"])
    assert lyr.gdf["class"].tolist() == ["motorway", "primary", "track"]
    assert "按技术等级读" in lyr.class_summary["text_zh"]


def _roster(tmp_path, header, rows, name="花名册.xlsx"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(list(r))
    wb.save(tmp_path / name)
    return str(tmp_path / name)


def test_household_ids_and_village_codes_excel_shortened_are_named(tmp_path):
    rows = [("00121", 3, "500154006001"), (122, 2, 50015400600), ("00123", 4, "500154006001"),
            (124, 1, "500154006002")]
    path = _roster(tmp_path, ["户编号", "户数", "村代码", "经度", "纬度"],
                   [(a, b, c, 108.40 + 0.001 * i, 31.18) for i, (a, b, c) in enumerate(rows)])
    lyr = load_layer("households", path)
    lost = {p.field: p for p in lyr.problems if p.code == "code_digits_lost"}
    ids = lost["户编号"]
    assert ids.features == ["row 3", "row 5"] and "“122”" in ids.zh and "00121" in ids.zh
    assert "开头的 0" in ids.zh and "文本格式" in ids.fix_zh and "leading zeros" in ids.en and "花名册.xlsx" in ids.file
    code = lost["村代码"]
    assert code.features == ["row 3"] and "12 位" in code.zh and "50015400600" in code.zh


def test_village_code_of_eleven_digits_is_named(tmp_path):
    codes = ["500154006001", "50015400602", "500154006003"]
    vil = gpd.GeoDataFrame({"村名": ["东华社区", "大胜社区", "天祠社区"], "村代码": codes},
                           geometry=[box(GX + 1000 * i, GY, GX + 1000 * (i + 1), GY + 1000) for i in range(3)],
                           crs=GK108)
    vil.to_file(tmp_path / "CJDCQ.shp", encoding="utf-8")
    lyr = load_layer("villages", str(tmp_path / "CJDCQ.shp"))
    p = next(p for p in lyr.problems if p.code == "code_digits_lost")
    assert p.field == "村代码" and p.features == ["FID 1"] and "少了位数" in p.zh


def test_serial_numbers_are_not_taken_for_shortened_codes():
    from gridtool.code_digits import short_codes
    import pandas as pd
    for n in (120, 20_000):  # a roster numbered 1 … n: most numbers have 5 digits at 20 000 rows
        assert not short_codes(pd.Series(range(1, n + 1)))[0].any()


def test_real_estate_unit_numbers_key_the_households_and_are_said(tmp_path):
    path = _roster(tmp_path, ["宗地代码", "不动产单元号", "户数", "经度", "纬度"],
                   [(f"500154006001JC{i:05d}", f"500154006001JC{i:05d}F0001{i:04d}", 3, 108.40 + 0.001 * i, 31.18)
                    for i in range(4)])
    lyr = load_layer("households", path)
    assert lyr.gdf["src_id"].tolist() == [f"500154006001JC{i:05d}F0001{i:04d}" for i in range(4)]
    assert lyr.columns_used["id"] == "不动产单元号" and "28 位" in lyr.columns_detail["id"]["note_zh"]
    assert "row_ids" not in {p.code for p in lyr.problems}


def test_parcel_codes_key_the_households_when_nothing_better(tmp_path):
    hh = gpd.GeoDataFrame({"ZDDM": [f"500154006001JC{i:05d}" for i in range(3)], "户数": 2},
                          geometry=[Point(GX + 100 * i, GY) for i in range(3)], crs=GK108)
    hh.to_file(tmp_path / "FW.shp")
    lyr = load_layer("households", str(tmp_path / "FW.shp"))
    assert lyr.gdf["src_id"].tolist() == [f"500154006001JC{i:05d}" for i in range(3)]
    assert "宗地代码（19 位）" in lyr.columns_detail["id"]["note_zh"]


def test_a_doorplate_column_is_a_better_id_than_a_parcel_code(tmp_path):
    path = _roster(tmp_path, ["门牌号", "宗地代码", "户数", "经度", "纬度"],
                   [(f"东华路{i + 1}号", f"500154006001JC{i:05d}", 3, 108.40 + 0.001 * i, 31.18) for i in range(3)])
    lyr = load_layer("households", path)
    assert "id" not in lyr.columns_used and lyr.gdf["src_id"].tolist() == ["row 2", "row 3", "row 4"]


def test_a_shared_parcel_code_is_not_an_id(tmp_path):
    # Several households on one parcel: the code keys the parcel, not each household.
    path = _roster(tmp_path, ["宗地代码", "户数", "经度", "纬度"],
                   [("500154006001JC00001", 1, 108.40 + 0.001 * i, 31.18) for i in range(3)])
    project = Project.from_sources({"households": path})
    assert "id" not in project.layers["households"].columns_used
