"""Shapefiles whose .cpg names the wrong encoding without the text failing to decode: the names are
read by their bytes and the wrong .cpg is said; a right Western .cpg is still obeyed."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import box

from gridtool.layers import load_layer

NAMES = ["张泾村", "东华社区", "大胜村", "石柱村", "天祠社区"]


def _villages(tmp_path, names, encoding: str, cpg: str):
    gdf = gpd.GeoDataFrame({"村名" if encoding != "cp1252" else "NAME": names,
                            "CODE": [f"50015400600{i}" for i in range(len(names))]},
                           geometry=[box(480_000 + 1000 * i, 3_265_000, 481_000 + 1000 * i, 3_266_000)
                                     for i in range(len(names))], crs="EPSG:4545")
    gdf.to_file(tmp_path / "CJDCQ.shp", encoding=encoding)
    (tmp_path / "CJDCQ.cpg").write_text(cpg)
    return load_layer("villages", str(tmp_path / "CJDCQ.shp"))


def test_gbk_text_under_a_western_cpg_reads_the_chinese_names(tmp_path):
    # ArcGIS on an English system writes "1252" whatever the text is.
    lyr = _villages(tmp_path, NAMES, "gbk", "1252")
    assert list(lyr.gdf["name"]) == NAMES and lyr.encoding == "gb18030"
    said = next(p for p in lyr.problems if p.code == "cpg_wrong")
    assert "CJDCQ.cpg 声明编码为 cp1252，但文本是 gb18030" in said.zh and "GB18030" in said.fix_zh
    assert said.file.endswith("CJDCQ.cpg") and "was read as gb18030" in said.en


def test_utf8_text_under_a_gbk_cpg_reads_the_chinese_names(tmp_path):
    lyr = _villages(tmp_path, NAMES, "utf-8", "GBK")
    assert list(lyr.gdf["name"]) == NAMES and lyr.encoding == "utf-8"
    assert "声明编码为 gb18030，但文本是 utf-8" in next(p for p in lyr.problems if p.code == "cpg_wrong").zh


def test_a_right_western_cpg_is_obeyed(tmp_path):
    names = ["Zürich", "Schaan Café", "Gamprin-Bendern", "Triesenberg", "Mäls"]
    lyr = _villages(tmp_path, names, "cp1252", "1252")
    assert list(lyr.gdf["name"]) == names and lyr.encoding == "cp1252"
    assert "cpg_wrong" not in {p.code for p in lyr.problems}


def test_an_unknown_cpg_is_said_with_what_was_used_and_the_fix(tmp_path):
    # A .cpg naming no codepage (a typo, or one only the exporting program knew) used to be
    # ignored without a word: the names are detected, and the user is told so.
    for said in ("CP9999", "GB-2312-80x"):
        folder = tmp_path / said
        folder.mkdir()
        lyr = _villages(folder, NAMES, "gbk", said)
        assert list(lyr.gdf["name"]) == NAMES and lyr.encoding == "gb18030"
        warn = next(p for p in lyr.problems if p.code == "cpg_unknown")
        assert f"CJDCQ.cpg 声明的编码“{said}”无法识别" in warn.zh and "按 gb18030 读取" in warn.zh
        assert f'the encoding "{said}" in CJDCQ.cpg is unknown' in warn.en and "read as gb18030" in warn.en
        assert "--encoding villages=gbk" in warn.fix_zh and "--encoding villages=gbk" in warn.fix_en
        assert warn.file.endswith("CJDCQ.cpg")


def test_an_unknown_cpg_under_a_given_encoding_is_not_said(tmp_path):
    gdf = gpd.GeoDataFrame({"村名": NAMES}, geometry=[box(480_000 + 1000 * i, 3_265_000, 481_000 + 1000 * i,
                                                          3_266_000) for i in range(len(NAMES))], crs="EPSG:4545")
    gdf.to_file(tmp_path / "CJDCQ.shp", encoding="gbk")
    (tmp_path / "CJDCQ.cpg").write_text("CP9999")
    lyr = load_layer("villages", str(tmp_path / "CJDCQ.shp"), encoding="gbk")
    assert list(lyr.gdf["name"]) == NAMES
    assert "cpg_unknown" not in {p.code for p in lyr.problems}


def test_a_right_western_cpg_is_obeyed_when_accents_end_the_names(tmp_path):
    # "Café" in 1252 ends in 0xE9, which the UTF-8 decoder takes for a character cut at the field's
    # end: alone it is no sign of UTF-8, and the .cpg was right (read as UTF-8: "Caf", "Jos").
    names = ["Café", "José", "Vaduz", "Schaan"]
    lyr = _villages(tmp_path, names, "cp1252", "1252")
    assert list(lyr.gdf["name"]) == names and lyr.encoding == "cp1252"
    assert "cpg_wrong" not in {p.code for p in lyr.problems}
