"""Every input format planners hold, written at test time, loads with the right values."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest

from gridtool.encoding import detect_shapefile_encoding
from gridtool.errors import (EncodingError, InputFileError, LayerNotFoundError, MissingColumnError,
                             UnsupportedFormatError)
from gridtool.io.vector import split_path_layer
from gridtool.layers import load_layer

NAMES = ["东方广场社区", "乌龙池社区"]


def _write_gbk_shapefile_without_cpg(gdf, path):
    gdf.to_file(path, driver="ESRI Shapefile", encoding="GBK", engine="pyogrio")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = 0  # no language driver either, as in files from older tools
    dbf.write_bytes(bytes(data))


def test_gpkg_layers_by_role(written):
    lyr = load_layer("villages", written["villages"])
    assert list(lyr.gdf["name"]) == NAMES
    assert list(lyr.gdf["code"]) == ["500101001001", "500101001002"]
    assert lyr.columns_used == {"name": "名称", "code": "区划代码"}
    assert lyr.crs_in == "EPSG:4545"


def test_gpkg_with_several_layers_needs_a_layer_name(written, tmp_path):
    path = written["villages"].split(":")[0]
    with pytest.raises(LayerNotFoundError) as info:
        load_layer("forest", path)
    assert "villages" in str(info.value) and "PATH:LAYER" in str(info.value)
    # ... but a layer named like the role is found by itself.
    assert len(load_layer("villages", path).gdf) == 2


def test_gbk_shapefile_without_cpg_gives_right_chinese_names(tmp_path, township):
    shp = tmp_path / "villages_gbk.shp"
    _write_gbk_shapefile_without_cpg(township["villages"], shp)
    assert not shp.with_suffix(".cpg").exists()
    guess = detect_shapefile_encoding(shp)
    assert guess.encoding == "gb18030" and guess.source == "detected"
    assert "东方广场社区" in guess.sample
    lyr = load_layer("villages", str(shp))
    assert list(lyr.gdf["name"]) == NAMES
    assert lyr.encoding == "gb18030"


def test_utf8_shapefile_with_cpg_and_user_override(tmp_path, township):
    shp = tmp_path / "villages_utf8.shp"
    # dBase field names hold 10 bytes: UTF-8 Chinese headers must stay within three characters.
    township["villages"].rename(columns={"区划代码": "代码"}).to_file(
        shp, driver="ESRI Shapefile", encoding="UTF-8", engine="pyogrio")
    assert list(load_layer("villages", str(shp)).gdf["name"]) == NAMES
    shp2 = tmp_path / "villages_gbk.shp"
    _write_gbk_shapefile_without_cpg(township["villages"], shp2)
    assert list(load_layer("villages", str(shp2), encoding="gbk").gdf["name"]) == NAMES


def test_zipped_shapefile_is_read_without_touching_the_zip(tmp_path, township):
    shp = tmp_path / "src" / "村界.shp"
    shp.parent.mkdir()
    _write_gbk_shapefile_without_cpg(township["villages"], shp)
    zpath = tmp_path / "村界.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in shp.parent.iterdir():
            zf.write(f, f.name)
    before = zpath.read_bytes()
    lyr = load_layer("villages", str(zpath))
    assert list(lyr.gdf["name"]) == NAMES
    assert zpath.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src", "村界.zip"]


def test_geojson(tmp_path, township):
    path = tmp_path / "roads.geojson"
    township["roads"].to_crs(4326).to_file(path, driver="GeoJSON")
    lyr = load_layer("roads", str(path))
    assert list(lyr.gdf["class"]) == ["primary", "residential"]
    assert list(lyr.gdf["oneway"]) == [False, True]
    # oneway=-1 runs against the digitised direction: the line comes reversed.
    src = township["roads"].to_crs(4326).geometry.iloc[1]
    got = lyr.gdf.geometry.iloc[1]
    assert got.coords[0] == pytest.approx(src.coords[-1])


def test_kml_with_folders_and_kmz(tmp_path, township):
    kml = tmp_path / "places.kml"
    pts = township["households"].to_crs(4326).head(6)
    a = gpd.GeoDataFrame({"Name": ["实验小学", "农贸市场", "城南派出所"]}, geometry=pts.geometry.iloc[:3].values,
                         crs=4326)
    b = gpd.GeoDataFrame({"Name": ["天网监控1", "中心幼儿园", "某某公司"]}, geometry=pts.geometry.iloc[3:].values,
                         crs=4326)
    a.to_file(kml, layer="学校市场", driver="LIBKML")
    b.to_file(kml, layer="其他", driver="LIBKML", append=True)
    lyr = load_layer("places", str(kml))
    assert sorted(lyr.gdf["name"]) == sorted(["实验小学", "农贸市场", "城南派出所", "天网监控1", "中心幼儿园", "某某公司"])
    cats = dict(zip(lyr.gdf["name"], lyr.gdf["category"]))
    assert cats == {"实验小学": "school", "农贸市场": "market", "城南派出所": "police",
                    "天网监控1": "camera", "中心幼儿园": "kindergarten", "某某公司": "enterprise"}
    kmz = tmp_path / "places.kmz"
    a.to_file(kmz, driver="LIBKML")
    assert sorted(load_layer("places", str(kmz)).gdf["name"]) == sorted(a["Name"])


def _roster_workbook(path, township, title=True):
    pts = township["households"].to_crs(4326)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    if title:
        ws.append(["东方广场社区住户花名册（2026年）"])
    ws.append(["序号", "户主姓名", "公民身份号码", "联系电话", "户数", "经度", "纬度", "所属村"])
    for i, (g, hh) in enumerate(zip(pts.geometry, pts["户数"])):
        ws.append([i + 1, f"张{i}", f"50010119800101{i:03d}X"[:18], f"1380000{i:04d}", int(hh),
                   round(g.x, 7), round(g.y, 7), NAMES[0]])
    wb.save(path)
    return pts


def test_xlsx_roster_with_chinese_headers_and_a_title_row(tmp_path, township):
    path = tmp_path / "花名册.xlsx"
    pts = _roster_workbook(path, township)
    lyr = load_layer("households", str(path))
    assert len(lyr.gdf) == 60
    assert lyr.columns_used["lon"] == "经度" and lyr.columns_used["lat"] == "纬度"
    assert lyr.columns_used["hh"] == "户数"
    assert lyr.total_households == int(township["households"]["户数"].sum())
    assert lyr.gdf.geometry.iloc[0].x == pytest.approx(pts.geometry.iloc[0].x, abs=1e-6)
    assert lyr.sensitive == {"户主姓名": "name", "公民身份号码": "id_number", "联系电话": "phone"}
    assert lyr.gdf["src_id"].iloc[0] == "row 3"  # spreadsheet row, for the planner to find it
    assert (lyr.gdf["village"] == NAMES[0]).all()


def test_csv_gbk_and_utf8_bom_with_combined_coordinate_column(tmp_path, township):
    pts = township["households"].to_crs(4326)
    df = pd.DataFrame({"户主": [f"李{i}" for i in range(len(pts))],
                       "经纬度": [f"{g.x:.7f},{g.y:.7f}" for g in pts.geometry],
                       "户数": pts["户数"]})
    for enc in ("gbk", "utf-8-sig"):
        path = tmp_path / f"roster_{enc}.csv"
        df.to_csv(path, index=False, encoding=enc)
        lyr = load_layer("households", str(path))
        assert lyr.gdf["户主"].iloc[5] == "李5"
        assert lyr.columns_used["lonlat"] == "经纬度"
        assert lyr.total_households == int(pts["户数"].sum())


def test_csv_with_user_named_columns_and_bad_rows(tmp_path):
    path = tmp_path / "pts.csv"
    pd.DataFrame({"东经坐标值": ["106.5", "106.6", "abc"], "北纬坐标值": ["29.5", "29.6", "29.7"],
                  "人家": ["3", "4", "5"]}).to_csv(path, index=False)
    with pytest.raises(MissingColumnError) as info:
        load_layer("households", str(path))
    assert "东经坐标值" in str(info.value)  # the message lists the columns there are
    lyr = load_layer("households", str(path), fields={"lon": "东经坐标值", "lat": "北纬坐标值", "hh": "人家"})
    assert len(lyr.gdf) == 2 and lyr.total_households == 7
    assert lyr.problems[0].code == "bad_coordinates" and lyr.problems[0].features == ["row 4"]
    with pytest.raises(MissingColumnError):
        load_layer("households", str(path), fields={"lon": "东经坐标值", "lat": "北纬坐标值", "hh": "户"})


def test_path_layer_spec_and_windows_paths():
    assert split_path_layer("data.gpkg:households") == ("data.gpkg", "households")
    assert split_path_layer(r"C:\data\x.gpkg") == (r"C:\data\x.gpkg", None)
    assert split_path_layer(r"C:\data\x.gpkg:村界") == (r"C:\data\x.gpkg", "村界")
    assert split_path_layer("roster.xlsx:花名册") == ("roster.xlsx", "花名册")


def test_unreadable_inputs_get_clear_errors(tmp_path):
    with pytest.raises(InputFileError) as info:
        load_layer("households", str(tmp_path / "nope.gpkg"))
    assert "nope.gpkg" in str(info.value)
    doc = tmp_path / "notes.docx"
    doc.write_text("hello")
    with pytest.raises(UnsupportedFormatError):
        load_layer("households", str(doc))
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"not a geopackage")
    with pytest.raises(UnsupportedFormatError) as info:
        load_layer("villages", str(broken))
    assert "broken.gpkg" in str(info.value)


def test_wrong_geometry_for_role_is_named(written):
    from gridtool.errors import GeometryTypeError
    with pytest.raises(GeometryTypeError) as info:
        load_layer("villages", written["roads"])
    assert "--villages" in str(info.value)


def test_excel_sheet_by_name(tmp_path, township):
    path = tmp_path / "book.xlsx"
    _roster_workbook(path, township, title=False)
    assert len(load_layer("households", f"{path}:花名册").gdf) == 60
    with pytest.raises(LayerNotFoundError):
        load_layer("households", f"{path}:Sheet9")


def test_import_shows_the_decoded_text_of_a_gbk_shapefile(tmp_path, township, capsys):
    from gridtool.cli import main
    shp = tmp_path / "村界.shp"
    _write_gbk_shapefile_without_cpg(township["villages"], shp)
    assert main(["--lang", "en", "info", str(shp)]) == 0
    text = capsys.readouterr().out
    assert "encoding=gb18030 (detected)" in text and "东方广场社区" in text
    assert main(["--lang", "en", "import", f"--villages={shp}", "--out", str(tmp_path / "p.gpkg")]) == 0
    assert "东方广场社区" in capsys.readouterr().out


def test_encoding_preview_shows_no_personal_data(tmp_path, township, capsys):
    from gridtool.cli import main
    shp = tmp_path / "住户.shp"
    _write_gbk_shapefile_without_cpg(township["households"].rename(columns={"户主姓名": "户主"}), shp)
    csv = tmp_path / "roster.csv"
    township["households"].drop(columns="geometry").assign(经度=106.5, 纬度=29.5).to_csv(
        csv, index=False, encoding="gbk")
    for path in (shp, csv):
        out = tmp_path / f"{path.stem}.gpkg"
        assert main(["--lang", "en", "import", f"--households={path}", "--out", str(out)]) == 0
        text = capsys.readouterr().out
        assert "户主" in text and "encoding=gb18030" in text  # the decoded headers prove the encoding
        assert "张1" not in text and "13800000001" not in text  # names and phones never shown
        meta = pyogrio.read_dataframe(out, layer="gridtool_meta")
        assert not meta["value"].str.contains("张1|13800000001").any()  # nor kept in the metadata


def test_gbk_detection_survives_characters_cut_at_the_field_width(tmp_path):
    from gridtool.encoding import guess_bytes_encoding
    cut = "重庆市渝中区解放碑街道".encode("gbk")[:9]  # a fixed-width field ends mid-character
    assert guess_bytes_encoding([cut, "东方广场社区".encode("gbk")]) == "gb18030"
    assert guess_bytes_encoding(["东方广场社区".encode("utf-8")[:7]]) == "utf-8"


# --- CAD drawings (DXF) -------------------------------------------------------------------------

def test_dxf_roads_in_gbk_get_classes_from_their_cad_layers(tmp_path):
    from gridtool.io.vector import read_vector
    from tests.dxf_data import graded_roads, write_dxf
    path = write_dxf(tmp_path / "道路.dxf", graded_roads())  # GBK under ANSI_936, as Chinese AutoCAD writes
    lyr = load_layer("roads", str(path), crs_in="EPSG:4549")
    assert lyr.encoding == "gb18030" and lyr.encoding_source == "dwgcodepage"
    assert dict(zip(lyr.gdf["Layer"], lyr.gdf["class"])) == {"主干路": "primary", "次干路": "secondary",
                                                               "支路": "tertiary"}
    assert lyr.class_summary["how"] == {"cad_layer": 3} and lyr.columns_used["cad_layer"] == "Layer"
    dropped = next(p for p in lyr.problems if p.code == "dxf_dropped")
    assert all(w in dropped.zh for w in ("文字 1 个", "点 1 个", "圆 1 个"))  # the label, survey point, manhole
    assert lyr.crs_in == "EPSG:4549" and round(lyr.gdf.length.sum()) == round(500 + 400 + 2 * 180.278)
    assert not lyr.gdf.has_z.any()  # CAD elevations (0) are not kept
    # places take the points, not the lines
    assert list(read_vector(path, role="places").gdf.geometry.geom_type) == ["Point"]


def test_dxf_utf8_text_under_a_western_codepage_is_read_as_utf8(tmp_path):
    from tests.dxf_data import centre_lines, write_dxf
    # What GIS tools write (and the probe's drawing): UTF-8 text, header left at ANSI_1252.
    path = write_dxf(tmp_path / "roads_cad.dxf", centre_lines(), codepage="ANSI_1252", encoding="utf-8",
                     version="AC1018")
    lyr = load_layer("roads", str(path), crs_in="EPSG:4549")
    assert set(lyr.gdf["Layer"]) == {"道路中心线"} and lyr.encoding == "utf-8" and len(lyr.gdf) == 24
    # 道路中心线 says "road", no grade: nothing is classed from it, and the warning says so
    assert lyr.class_summary["unknown"] == 24
    uniform = next(p for p in lyr.problems if p.code == "line_classes_uniform")
    assert "道路中心线，不含等级" in uniform.fix_zh and "no grades" in uniform.fix_en
    with pytest.raises(EncodingError) as exc:  # --encoding is obeyed, and says where it fails
        load_layer("roads", str(path), crs_in="EPSG:4549", encoding="gbk")
    assert exc.value.field == "Layer" and "--encoding" in exc.value.fix_zh


def test_dxf_import_says_how_to_set_its_crs(tmp_path, capsys):
    from gridtool.cli import main
    from tests.dxf_data import centre_lines, write_dxf
    path = write_dxf(tmp_path / "roads.dxf", centre_lines())
    assert main(["import", "--roads", str(path), "--out", str(tmp_path / "a.gpkg")]) != 0
    out = capsys.readouterr()
    assert "文件没有坐标系信息" in out.err + out.out and "--crs-in roads=" in out.err + out.out
    # eastings written with the zone number (40 383 000): the zone is assumed and said
    zoned = write_dxf(tmp_path / "zoned.dxf", centre_lines(x0=40_383_000.0))
    assert main(["import", "--roads", str(zoned), "--out", str(tmp_path / "b.gpkg")]) == 0
    text = capsys.readouterr().out
    assert "EPSG:4528" in text and "推定" in text and "--crs-in roads=EPSG:代码" in text
    assert main(["import", "--roads", str(path), "--crs-in", "roads=EPSG:4549", "--out",
                 str(tmp_path / "c.gpkg")]) == 0
    text = capsys.readouterr().out
    assert "编码：gb18030" in text and "道路中心线" in text and "EPSG:4549" in text
    assert len(gpd.read_file(tmp_path / "c.gpkg", layer="roads")) == 24
    assert main(["info", str(path)]) == 0  # the CAD layers and the encoding before importing
    assert "要素：24" in (text := capsys.readouterr().out) and "道路中心线 (24)" in text and "gb18030" in text


def test_dxf_villages_from_closed_polylines_and_a_chosen_cad_layer(tmp_path):
    from tests.dxf_data import X0, Y0, centre_lines, polyline, write_dxf
    square = [(X0, Y0), (X0 + 600, Y0), (X0 + 600, Y0 + 500), (X0, Y0 + 500)]
    path = write_dxf(tmp_path / "村界.dxf", polyline("村界", square, closed=True) + centre_lines(4, "道路边线"))
    lyr = load_layer("villages", str(path), crs_in="EPSG:4549")
    assert list(lyr.gdf.geom_type) == ["Polygon"] and round(lyr.gdf.area.sum()) == 300_000
    assert "线 4 个" in next(p for p in lyr.problems if p.code == "dxf_dropped").zh
    roads = load_layer("roads", f"{path}:道路边线", crs_in="EPSG:4549")
    assert len(roads.gdf) == 4 and set(roads.gdf["Layer"]) == {"道路边线"}
    with pytest.raises(LayerNotFoundError) as exc:
        load_layer("roads", f"{path}:道路中心线", crs_in="EPSG:4549")
    assert "村界（1）" in exc.value.zh and "道路边线（4）" in exc.value.zh


def test_dxf_errors_say_what_to_do(tmp_path):
    from gridtool.errors import GeometryTypeError
    from tests.dxf_data import text, write_dxf
    only_text = write_dxf(tmp_path / "注记.dxf", text("注记", (383_000, 3_546_000), "中山路"))
    with pytest.raises(GeometryTypeError) as exc:
        load_layer("roads", str(only_text), crs_in="EPSG:4549")
    assert "文字 1 个" in exc.value.zh and "LINE/PLINE" in exc.value.fix_en
    dwg = tmp_path / "roads.dxf"
    dwg.write_bytes(b"AC1032\x00\x00\x00\x00\x00\x06\x01" + bytes(range(256)) * 4)  # a DWG renamed .dxf
    with pytest.raises(UnsupportedFormatError) as exc:
        load_layer("roads", str(dwg))
    assert "DWG" in exc.value.zh and "另存为" in exc.value.fix_zh and "Save As" in exc.value.fix_en
    (tmp_path / "roads.dwg").write_bytes(dwg.read_bytes())
    with pytest.raises(UnsupportedFormatError) as exc:
        load_layer("roads", str(tmp_path / "roads.dwg"))
    assert "DXF" in exc.value.fix_zh
    (tmp_path / "roads.mif").write_text("Version 300\n")
    with pytest.raises(UnsupportedFormatError) as exc:
        load_layer("roads", str(tmp_path / "roads.mif"))
    assert "DXF" in exc.value.fix_zh and "DXF" in exc.value.fix_en
