"""KML from 奥维互动地图 (Ovital) and ArcGIS keeps attributes as an HTML table in each placemark's
description: they load as columns, so households, codes and road classes are counted and found."""

from __future__ import annotations

import html
import zipfile

from gridtool.io.kml_description import description_fields
from gridtool.layers import load_layer


def _table(rows) -> str:
    return "<table border=\"1\">" + "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>" for k, v in rows) + "</table>"


def _placemark(name, desc, geometry_xml) -> str:
    return (f"<Placemark><name>{html.escape(name)}</name><description><![CDATA[{desc}]]></description>"
            f"{geometry_xml}</Placemark>")


def _ovital_doc(folder, placemarks) -> str:
    # Ovital nests the user's folders under the document and a parent folder.
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"<name>奥维互动地图导出</name><Folder><name>玄武区</name><Folder><name>{folder}</name>"
            + "".join(placemarks) + "</Folder></Folder></Document></kml>")


def _households(township):
    pts = township["households"].to_crs(4326)
    return [_placemark(f"住户{i + 1}", _table([("户数", int(hh)), ("户主", f"张{i}"), ("电话", f"1390000{i:04d}")]),
                       f"<Point><coordinates>{g.x:.7f},{g.y:.7f},0</coordinates></Point>")
            for i, (g, hh) in enumerate(zip(pts.geometry, pts["户数"]))]


def test_ovital_kml_households_count_the_description_table(tmp_path, township):
    kml = tmp_path / "住户.kml"
    kml.write_text(_ovital_doc("住户", _households(township)), encoding="utf-8")
    lyr = load_layer("households", str(kml))
    # Read as one household a placemark before: 60 instead of the roster's total.
    assert lyr.total_households == int(township["households"]["户数"].sum())
    assert lyr.columns_used["hh"] == "户数"
    assert {"户主", "电话"} <= set(lyr.sensitive)
    # The phone numbers are not left behind in a description column that nothing masks.
    assert "description" not in lyr.gdf.columns


def test_ovital_kmz_villages_find_code_and_township(tmp_path, township):
    vil = township["villages"].to_crs(4326)
    marks = []
    for name, code, g in zip(vil["名称"], vil["区划代码"], vil.geometry):
        ring = " ".join(f"{x:.7f},{y:.7f},0" for x, y in g.exterior.coords)
        marks.append(_placemark(name, _table([("名称", name), ("所属乡镇", "龙潭镇"), ("区划代码", code)]),
                                f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates>"
                                "</LinearRing></outerBoundaryIs></Polygon>"))
    kmz = tmp_path / "村界.kmz"
    with zipfile.ZipFile(kmz, "w") as zf:
        zf.writestr("doc.kml", _ovital_doc("村界", marks))
    lyr = load_layer("villages", str(kmz))
    assert sorted(lyr.gdf["code"]) == sorted(str(c) for c in vil["区划代码"])
    assert lyr.columns_used["code"] == "区划代码"
    assert set(lyr.gdf["township"]) == {"龙潭镇"}


def test_road_class_from_description_lines(tmp_path, township):
    roads = township["roads"].to_crs(4326)
    marks = [_placemark(n, f"道路等级：{c}<br>路宽：8", "<LineString><coordinates>"
                        + " ".join(f"{x:.7f},{y:.7f},0" for x, y in g.coords) + "</coordinates></LineString>")
             for n, c, g in zip(roads["name"], ["国道", "村道"], roads.geometry)]
    kml = tmp_path / "道路.kml"
    kml.write_text(_ovital_doc("道路", marks), encoding="utf-8")
    lyr = load_layer("roads", str(kml))
    assert dict(zip(lyr.gdf["name"], lyr.gdf["class"])) == {"滨江路": "trunk", "一号路": "unclassified"}


def test_description_forms():
    # ArcGIS "Layer to KML": the attribute table nested in an outer table with a title row.
    arcgis = ("<html><body><table><tr><td>村界</td></tr><tr><td><table>"
              "<tr><th>CUNMC</th><td>石柱村</td></tr><tr bgcolor='#D4E4F3'><th>HS</th><td>&nbsp;312</td></tr>"
              "</table></td></tr></table></body></html>")
    assert description_fields(arcgis) == {"CUNMC": "石柱村", "HS": "312"}
    assert description_fields("户数: 12\n户主：李四") == {"户数": "12", "户主": "李四"}
    # A note is not fields: kept as the description.
    assert description_fields("此处道路施工，注意：绕行北门桥") == {}
    assert description_fields(None) == {}


def test_a_table_read_across_takes_its_header_row_as_the_keys(tmp_path, township):
    """Web tools also write the attributes across: a header row of <th> and a row of values. The
    values' row is no key–value pair: a 户主's name must not become a column header (which no mask
    reaches), nor 户主 hold the word 电话."""
    across = ("<table><tr><th>户主</th><th>电话</th></tr>"
              "<tr><td>王五</td><td>13900001111</td></tr></table>")
    assert description_fields(across) == {"户主": "王五", "电话": "13900001111"}
    three = ("<table><tr><th>户数</th><th>户主</th><th>电话</th></tr>"
             "<tr><td>4</td><td>李四</td><td>13900002222</td></tr></table>")
    assert description_fields(three) == {"户数": "4", "户主": "李四", "电话": "13900002222"}
    # A list of several records under one header is not one placemark's fields: kept as text.
    assert description_fields(across.replace("</table>", "<tr><td>赵六</td><td>13900003333</td></tr></table>")) == {}
    pts = township["households"].to_crs(4326)
    marks = [_placemark(f"住户{i + 1}",
                        "<table><tr><th>户数</th><th>户主</th><th>电话</th></tr>"
                        f"<tr><td>{int(hh)}</td><td>张{i}</td><td>1390000{i:04d}</td></tr></table>",
                        f"<Point><coordinates>{g.x:.7f},{g.y:.7f},0</coordinates></Point>")
             for i, (g, hh) in enumerate(zip(pts.geometry, pts["户数"]))]
    kml = tmp_path / "住户横表.kml"
    kml.write_text(_ovital_doc("住户", marks), encoding="utf-8")
    lyr = load_layer("households", str(kml))
    assert not any(str(c).startswith("张") for c in lyr.gdf.columns)
    assert lyr.total_households == int(township["households"]["户数"].sum())
    assert {"户主", "电话"} <= set(lyr.sensitive)


def test_a_header_row_in_plain_td_cells_is_read_across():
    """Many tools write the header row in <td>, not <th>: a two-row table whose first row is known
    header words is read header → value, so a 户主's name never becomes a column header."""
    two = "<table><tr><td>户主</td><td>电话</td></tr><tr><td>王五</td><td>13900001111</td></tr></table>"
    assert description_fields(two) == {"户主": "王五", "电话": "13900001111"}
    wide = ("<table><tr><td>户数</td><td>户主姓名</td><td>联系电话</td><td>家庭住址</td></tr>"
            "<tr><td>3</td><td>李四</td><td>13900002222</td><td>石柱村3组</td></tr></table>")
    assert description_fields(wide) == {"户数": "3", "户主姓名": "李四", "联系电话": "13900002222",
                                        "家庭住址": "石柱村3组"}
    # Key–value rows stay key–value: their first row is a key and its value, not two headers.
    pairs = "<table><tr><td>户主</td><td>王五</td></tr><tr><td>户数</td><td>4</td></tr></table>"
    assert description_fields(pairs) == {"户主": "王五", "户数": "4"}


def test_two_key_value_rows_whose_value_is_a_header_word_stay_key_value():
    """A community's 类型 is 社区 and a party member's 身份 may be 党员, words that are also headers:
    the two rows, each a key and its value, are still read as such (not 类型 → 名称, 社区 → 东风社区)."""
    community = "<table><tr><td>类型</td><td>社区</td></tr><tr><td>名称</td><td>东风社区</td></tr></table>"
    assert description_fields(community) == {"类型": "社区", "名称": "东风社区"}
    township = "<table><tr><td>乡镇</td><td>街道</td></tr><tr><td>城关镇</td><td>玄武门街道</td></tr></table>"
    assert description_fields(township) == {"乡镇": "城关镇", "街道": "玄武门街道"}  # a header row, read across
