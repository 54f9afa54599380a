"""Inputs as they really arrive: ArcGIS upper-case fields, stray rows, survey X/Y, DMS text, title rows."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, Point, Polygon

from gridtool.cli import main
from gridtool.errors import CRSError, OverwriteInputError
from gridtool.io.vector import _parse_coordinate
from gridtool.layers import load_layer
from gridtool.project import Project
from gridtool.validate import validate

from .conftest import GK108


def test_arcgis_upper_case_fields_survive_a_save(tmp_path, township):
    vil = township["villages"].rename(columns={"名称": "NAME", "区划代码": "CODE"})
    vil["HH"] = [100, 200]
    vil["geom"] = ["a", "b"]  # GeoPackage's own geometry column name
    shp = tmp_path / "v.shp"
    vil.to_file(shp, encoding="UTF-8")
    project = Project.from_sources({"villages": str(shp)})
    out = project.save(tmp_path / "p.gpkg")
    back = pyogrio.read_dataframe(out, layer="villages")
    assert list(back["name"]) == ["东方广场社区", "乌龙池社区"]
    assert "NAME_src" in back and "geom_src" in back
    assert list(back["HH"]) == [100, 200]  # no clash: villages have no hh of their own


def test_a_stray_zero_row_neither_moves_the_project_nor_passes_silently(tmp_path, township):
    pts = township["households"].to_crs(4326)
    df = pd.DataFrame({"经度": pts.geometry.x, "纬度": pts.geometry.y, "户数": pts["户数"]})
    df.loc[len(df)] = [0.0, 0.0, 3]          # an empty row saved as zeros
    df.loc[len(df)] = [29.5, 107.8, 2]       # latitude and longitude swapped
    csv = tmp_path / "roster.csv"
    df.to_csv(csv, index=False)
    project = Project.from_sources({"households": str(csv)})
    assert "108E" in project.crs.name  # chosen from the bulk of the data, not the strays
    found = {p.code: p for p in validate(project)}
    # Rows that cannot even be placed in the zone's metres are dropped, the others flagged: both named.
    named = set(found["stray_coordinates"].features)
    named |= set(found["unprojectable_coordinates"].features) if "unprojectable_coordinates" in found else set()
    assert named == {"row 62", "row 63"}
    assert all(p.severity == "error" for c, p in found.items() if c in ("stray_coordinates",
                                                                          "unprojectable_coordinates"))


def test_survey_x_northing_y_easting_is_caught(tmp_path, township):
    pts = township["households"]
    csv = tmp_path / "survey.csv"
    # Surveyors' X is the northing: written as x it makes no sense in the zone.
    pd.DataFrame({"X": pts.geometry.y, "Y": pts.geometry.x}).to_csv(csv, index=False)
    with pytest.raises(CRSError) as info:
        load_layer("households", str(csv), crs_in="EPSG:4545")
    assert "northing" in str(info.value)
    ok = load_layer("households", str(csv), crs_in="EPSG:4545", fields={"lon": "Y", "lat": "X"})
    assert ok.gdf.geometry.iloc[0].distance(pts.geometry.iloc[0]) < 1e-6


@pytest.mark.parametrize("text,value", [
    ("106.55", 106.55), ("106.55°", 106.55), ("E106.55", 106.55), ("１０６.５５", 106.55),
    ("106°33'", 106.55), ("106°33′00″", 106.55), ("东经106度33分", 106.55), ("29°30'N", 29.5),
    ("W73.5", -73.5), ("abc", None), ("", None),
])
def test_coordinate_text_forms(text, value):
    got = _parse_coordinate(text)
    assert (got != got) if value is None else got == pytest.approx(value)


@pytest.mark.parametrize("text,value", [
    # decimals with 度/° and the hemisphere in words; minutes without their sign; Word's º and
    # autocorrected curly quotes
    ("东经118.78度", 118.78), ("北纬32.06°", 32.06), ("东经：118.78度", 118.78), ("118°47'E", 118 + 47 / 60),
    ("118°47'30\"", 118 + 47 / 60 + 30 / 3600), ("118度47", 118 + 47 / 60), ("118º47'", 118 + 47 / 60),
    ("118°47’30”", 118 + 47 / 60 + 30 / 3600), ("32°03'36S", -(32 + 3 / 60 + 36 / 3600)),
    # parted by spaces or colons, as GPS units and survey sheets write them
    ("118 47 30", 118 + 47 / 60 + 30 / 3600), ("118:47:30.5", 118 + 47 / 60 + 30.5 / 3600),
    ("E 118 47 30", 118 + 47 / 60 + 30 / 3600), ("32 03 36 S", -(32 + 3 / 60 + 36 / 3600)), ("118 47.5", 118 + 47.5 / 60),
    # no number can be meant for sure: refused (the row is named), never a wrong number
    ("118°4730", None), ("118°60'", None), ("118°47'75\"", None), ("118.5°30'", None), ("E118°N", None),
    ("118.78 32.06", None), ("118 60 00", None), ("118 47 60", None), ("118 47.5 30", None),
])
def test_degree_cells_are_read_whole_or_refused(text, value):
    got = _parse_coordinate(text)
    assert (got != got) if value is None else got == pytest.approx(value, abs=1e-9)


def test_a_minutes_cell_past_60_is_a_named_row_not_a_wrong_place(tmp_path):
    csv = tmp_path / "places.csv"
    csv.write_text("名称,经度,纬度\n中心小学,东经118.78度,北纬32.06°\n卫生院,118°47'E,32°03'36\"N\n"
                   "派出所,118°4730,32°03'\n", encoding="utf-8")
    lyr = load_layer("places", str(csv))
    xy = [(round(g.x, 6), round(g.y, 6)) for g in lyr.gdf.to_crs(4326).geometry]
    assert xy == [(118.78, 32.06), (round(118 + 47 / 60, 6), 32.06)]
    said = next(p for p in lyr.problems if p.code == "bad_coordinates")
    assert said.features == ["row 4"] and "经度/纬度" in said.field and "118°47′30″" in said.fix_zh


def test_csv_with_title_row_blank_lines_and_utf16(tmp_path, township):
    pts = township["households"].to_crs(4326).head(5)
    body = "\n".join(f"{i},{g.x:.6f},{g.y:.6f},2" for i, g in enumerate(pts.geometry))
    text = "东方广场社区住户名单\n序号,经度,纬度,户数\n" + body.replace("\n", "\n\n", 1) + "\n"
    csv = tmp_path / "list.csv"
    csv.write_text(text, encoding="utf-16")  # Excel's "Unicode text"
    lyr = load_layer("households", str(csv))
    assert len(lyr.gdf) == 5 and lyr.total_households == 10
    assert lyr.gdf["src_id"].tolist()[:2] == ["row 3", "row 5"]  # real line numbers, blank line kept


def test_unreadable_coordinates_say_so_not_empty_layer(tmp_path):
    csv = tmp_path / "x.csv"
    pd.DataFrame({"经度": ["不详", "待补"], "纬度": ["不详", "待补"]}).to_csv(csv, index=False)
    with pytest.raises(Exception) as info:
        load_layer("households", str(csv))
    assert "不详" in str(info.value) and "经度" in str(info.value)


def test_zero_area_village_is_removed_and_named(tmp_path, township):
    vil = pd.concat([township["villages"], gpd.GeoDataFrame(
        {"名称": ["线村"], "区划代码": ["500101001009"]},
        geometry=[Polygon([(480_000, 3_266_100), (480_500, 3_266_100), (481_000, 3_266_100)])],
        crs=GK108)], ignore_index=True)
    path = tmp_path / "v.gpkg"
    vil.to_file(path, layer="villages")
    project = Project.from_sources({"villages": str(path)})
    p = {p.code: p for p in validate(project)}["degenerate_geometry"]
    assert p.severity == "error" and p.features == ["FID 3"]
    assert len(project.layers["villages"].gdf) == 2
    assert set(project.layers["villages"].gdf.geom_type) <= {"Polygon", "MultiPolygon"}


def test_options_for_every_layer_apply_only_where_they_fit(tmp_path, written, township):
    csv = tmp_path / "amap.csv"
    pts = township["households"].to_crs(4326)
    pd.DataFrame({"经度": pts.geometry.x, "纬度": pts.geometry.y, "人家": 2}).to_csv(csv, index=False)
    # gcj02 for the table only (no CRS of its own); gbk ignored by the GeoPackage; hh= only where present.
    project = Project.from_sources({"households": str(csv), "villages": written["villages"],
                                    "roads": written["roads"]},
                                   crs_in="gcj02", encoding="gbk", fields={"hh": "人家"})
    assert project.layers["households"].crs_in == "gcj02"
    assert project.layers["villages"].crs_in == "EPSG:4545"
    assert project.layers["households"].total_households == 120
    with pytest.raises(Exception) as info:
        Project.from_sources({"villages": written["villages"]}, fields={"hh": "没有这列"})
    assert "没有这列" in str(info.value)


def test_load_time_problems_survive_save_and_open(tmp_path, township):
    pts = township["households"].to_crs(4326)
    csv = tmp_path / "hh.csv"
    pd.DataFrame({"lon": pts.geometry.x, "lat": pts.geometry.y}).to_csv(csv, index=False)
    project = Project.from_sources({"households": str(csv)})
    validate(project)
    out = project.save(tmp_path / "p.gpkg")
    codes = {p.code for p in validate(Project.open(out))}
    assert "missing_crs" in codes


def test_import_does_not_replace_a_foreign_geopackage(tmp_path, written, capsys):
    qgis = tmp_path / "qgis_work.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=4326).to_file(qgis, layer="my_edits")
    before = qgis.read_bytes()
    args = ["import", f"--villages={written['villages']}", "--out", str(qgis)]
    assert main(args) == 2
    assert qgis.read_bytes() == before and "--force" in capsys.readouterr().err
    assert main(args + ["--force"]) == 0
    with pytest.raises(OverwriteInputError):
        Project.from_sources({"villages": written["villages"]}).save(written["villages"].split(":")[0])


def test_cli_per_role_options_and_language_env(tmp_path, written, township, monkeypatch, capsys):
    csv = tmp_path / "amap.csv"
    pts = township["households"].to_crs(4326)
    pd.DataFrame({"经度": pts.geometry.x, "纬度": pts.geometry.y, "户数": 1}).to_csv(csv, index=False)
    monkeypatch.setenv("GRIDTOOL_LANG", "EN")
    out = tmp_path / "p.gpkg"
    assert main(["import", f"--households={csv}", f"--villages={written['villages']}",
                 "--crs-in", "households=gcj02", "--field", "households.hh=户数", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "project written" in text  # EN from the environment, whatever its case
    assert Project.open(out).layers["households"].crs_in == "gcj02"


def test_kml_features_are_named_by_folder(tmp_path, township):
    kml = tmp_path / "p.kml"
    pts = township["households"].to_crs(4326)
    gpd.GeoDataFrame({"Name": ["实验小学"]}, geometry=pts.geometry.iloc[:1].values, crs=4326).to_file(
        kml, layer="学校", driver="LIBKML")
    gpd.GeoDataFrame({"Name": ["城南派出所", "农贸市场"]}, geometry=pts.geometry.iloc[1:3].values,
                     crs=4326).to_file(kml, layer="其他", driver="LIBKML", append=True)
    lyr = load_layer("places", str(kml))
    assert lyr.gdf["src_id"].tolist() == ["学校 #1", "其他 #1", "其他 #2"]


def test_internal_errors_exit_3_with_a_log(monkeypatch, tmp_path, capsys):
    """One log per process, in the user's cache folder, never a shared path in /tmp."""
    import gridtool.cli as cli
    import gridtool.commands.data as data_commands
    import gridtool.errorlog as errorlog
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(errorlog, "_path", None)
    monkeypatch.setattr(data_commands, "cmd_info", lambda args: 1 / 0)
    assert cli.main(["info", "x"]) == 3
    err = capsys.readouterr().err
    assert "internal error" in err and "Traceback" not in err
    logs = list((tmp_path / "cache" / "gridtool" / "logs").glob("error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err and "ZeroDivisionError" in logs[0].read_text(encoding="utf-8")
    assert oct(logs[0].stat().st_mode & 0o777) == "0o600"
    assert cli.main(["info", "x"]) == 3  # the same process appends to its own log
    assert list((tmp_path / "cache" / "gridtool" / "logs").glob("error-*.log")) == logs
    assert logs[0].read_text(encoding="utf-8").count("ZeroDivisionError") == 2


def test_roads_lines_with_upper_case_oneway(tmp_path):
    roads = gpd.GeoDataFrame({"NAME": ["解放路"], "FCLASS": ["primary"], "ONEWAY": ["T"]},
                             geometry=[LineString([(106.5, 29.5), (106.51, 29.5)])], crs=4326)
    shp = tmp_path / "roads.shp"
    roads.to_file(shp, encoding="UTF-8")
    lyr = load_layer("roads", str(shp))
    assert lyr.gdf["class"].iloc[0] == "primary" and bool(lyr.gdf["oneway"].iloc[0])
    assert lyr.gdf.geometry.iloc[0].coords[0][0] == pytest.approx(106.51)  # T: against the line


def test_coordinate_columns_named_once_serve_every_table_that_has_them(tmp_path, township):
    pts = township["households"].to_crs(4326)
    a, b = tmp_path / "hh.csv", tmp_path / "places.csv"
    pd.DataFrame({"东经坐标": pts.geometry.x, "北纬坐标": pts.geometry.y}).to_csv(a, index=False)
    pd.DataFrame({"名称": ["实验小学"], "经度": [pts.geometry.x.iloc[0]], "纬度": [pts.geometry.y.iloc[0]]}).to_csv(
        b, index=False)
    project = Project.from_sources({"households": str(a), "places": str(b)},
                                   fields={"lon": "东经坐标", "lat": "北纬坐标"})
    assert len(project.layers["households"].gdf) == 60
    assert project.layers["places"].columns_used["lon"] == "经度"
    assert project.layers["places"].gdf["category"].iloc[0] == "school"


def test_a_row_longer_than_the_header_loses_nothing(tmp_path):
    csv = tmp_path / "r.csv"
    csv.write_text("名单\n经度,纬度\n106.5,29.5,备注多一列\n106.6,29.6\n", encoding="utf-8")
    lyr = load_layer("households", str(csv))
    assert lyr.gdf["src_id"].tolist() == ["row 3", "row 4"]
    assert "备注多一列" in lyr.gdf.astype(str).to_numpy().ravel().tolist()  # the extra field is kept


def test_roster_village_that_differs_from_the_position_is_reported(tmp_path, township):
    """A roster's 所属村 names another village than the one the household lies in (typed into the
    wrong village, or the wrong coordinates): grids follow the position, so validation says which
    rows differ. Names written with a committee suffix, a township prefix or as the code match."""
    from .conftest import VILLAGES
    hs = township["households"]
    pts = hs.to_crs(4326)
    west = (hs.geometry.x < 481_000.0).to_numpy()
    names = [VILLAGES[0][0] if w else VILLAGES[1][0] for w in west]
    names[0] = names[0] + "居民委员会"
    names[1] = "龙凤桥街道" + names[1]
    names[2] = VILLAGES[0][1] if west[2] else VILLAGES[1][1]  # the 12-digit code
    wrong = [5, 9, 20]
    for i in wrong:
        names[i] = VILLAGES[1][0] if west[i] else VILLAGES[0][0]
    names[30] = "不存在村"
    df = pd.DataFrame({"经度": pts.geometry.x, "纬度": pts.geometry.y, "户数": hs["户数"], "所属村": names})
    csv = tmp_path / "roster.csv"
    df.to_csv(csv, index=False, encoding="utf-8")
    vil = tmp_path / "v.gpkg"
    township["villages"].to_file(vil, driver="GPKG")
    project = Project.from_sources({"households": str(csv), "villages": str(vil)})
    found = [p for p in validate(project) if p.code == "household_village_differs"]
    assert len(found) == 1
    p = found[0]
    # Spreadsheet rows: the header is row 1.
    assert p.features == [f"row {i + 2}" for i in sorted(wrong + [30])]
    assert p.severity == "warning" and p.field == "所属村" and "网格按位置划分" in p.zh
    assert f"（{int(hs['户数'].iloc[sorted(wrong + [30])].sum()):,} 户）" in p.zh


def test_a_chinese_header_spaced_to_align_is_read_and_a_missing_count_is_warned(tmp_path):
    """An Excel roster's 户数 typed as "户 数" (spaced to align the header) is the household count,
    not a silent 1 per row; a roster whose only numbers are another count (人口), read from Excel as
    text, gets the warning that every row counts 1 household."""
    rows = {"户主姓名": ["王伟", "李芳", "张敏"], "经度": [118.79, 118.791, 118.792], "纬度": [32.05, 32.051, 32.052]}
    path = tmp_path / "spaced.xlsx"
    pd.DataFrame({**rows, "户 数": [12, 30, 7]}).to_excel(path, index=False)
    lyr = load_layer("households", path)
    assert lyr.gdf["hh"].tolist() == [12, 30, 7] and lyr.columns_used["hh"] == "户 数"
    path = tmp_path / "people.xlsx"
    pd.DataFrame({**rows, "人口": ["12", "30", "7"]}).astype(str).to_excel(path, index=False)
    lyr = load_layer("households", path)
    assert any(p.zh == "没有找到户数列，每个要素按 1 户计" and "人口" in p.fix_zh for p in lyr.problems)
