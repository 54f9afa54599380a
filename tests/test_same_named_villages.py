"""Two communities of one name (上海路社区) in two 街道: every output tells them apart by the town
(上海路社区（新街口街道）), unique names stay as they are, and a title names both towns, not one."""

from __future__ import annotations

import json
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import openpyxl
import pyogrio
import pytest
from shapely.geometry import LineString, Point, box

from gridtool.cli import main
from gridtool.partition.villages import village_labels, village_names

GK = "EPSG:4548"  # CGCS2000 / 3-degree GK CM 117E (Nanjing)
X0, Y0 = 500_000.0, 3_545_000.0
#: name, town, code; the first two share a name.
VILLAGES = [("上海路社区", "新街口街道", "320102001001"), ("上海路社区", "华侨路街道", "320102002001"),
            ("石鼓路社区", "新街口街道", "320102001002")]


@pytest.fixture
def inputs(tmp_path):
    """The three villages side by side (600 m each), 36 buildings of 15 households in each, a
    roster whose 所属社区 holds the village *name*, and roads; written as one GeoPackage."""
    vil = gpd.GeoDataFrame({"村名": [v[0] for v in VILLAGES], "所属街道": [v[1] for v in VILLAGES],
                            "区划代码": [v[2] for v in VILLAGES]},
                           geometry=[box(X0 + i * 600, Y0, X0 + (i + 1) * 600, Y0 + 600) for i in range(3)], crs=GK)
    rows = []
    for i, (name, _, _) in enumerate(VILLAGES):
        for gx in range(6):
            for gy in range(6):
                rows.append({"所属社区": name, "户数": 15, "户主姓名": "王某",
                             "geometry": Point(X0 + i * 600 + 50 + gx * 100, Y0 + 50 + gy * 100)})
    hh = gpd.GeoDataFrame(rows, crs=GK)
    roads = gpd.GeoDataFrame({"name": ["中山路", "汉中路"], "highway": ["primary", "secondary"]},
                             geometry=[LineString([(X0 - 10, Y0 + 300), (X0 + 1810, Y0 + 300)]),
                                       LineString([(X0 + 300, Y0 - 10), (X0 + 300, Y0 + 610)])], crs=GK)
    path = tmp_path / "玄武.gpkg"
    for layer, g in (("villages", vil), ("households", hh), ("roads", roads)):
        g.to_file(path, layer=layer, driver="GPKG")
    return {k: f"{path}:{k}" for k in ("villages", "households", "roads")}


def test_display_names_qualify_only_names_that_repeat():
    v = gpd.GeoDataFrame({"name": ["上海路社区", "上海路社区", "石鼓路社区"],
                          "township": ["新街口街道", "华侨路街道", "新街口街道"],
                          "code": ["320102001001", "320102002001", "320102001002"]}, geometry=[None] * 3)
    assert village_names(v) == ["上海路社区（新街口街道）", "上海路社区（华侨路街道）", "石鼓路社区"]
    # The label names code and town once, from the name as written.
    assert village_labels(v, village_names(v), v["code"].tolist())[0]["label"] == "上海路社区（320102001001，新街口街道）"
    # Without a town column (or one town for both): the division code tells them apart.
    assert village_names(v.drop(columns="township"))[:2] == ["上海路社区（320102001001）", "上海路社区（320102002001）"]


def test_partition_and_every_export_tell_same_named_villages_apart(inputs, tmp_path, capsys):
    proj, report = tmp_path / "g.gpkg", tmp_path / "r.json"
    assert main(["partition", "--households", inputs["households"], "--villages", inputs["villages"],
                 "--roads", inputs["roads"], "--min", "200", "--max", "400", "--out", str(proj),
                 "--report", str(report), "--quiet"]) == 0
    want = {"上海路社区（新街口街道）", "上海路社区（华侨路街道）", "石鼓路社区"}
    rep = json.loads(report.read_text(encoding="utf-8"))
    assert {v["village"] for v in rep["villages"]} == want
    grids = pyogrio.read_dataframe(proj, layer="grids")
    assert set(grids["village"]) == want
    # The households joined by where they lie, not by the roster's shared name: 540 in each.
    per = grids.groupby("village_code")["hh"].sum().to_dict()
    assert per == {"320102001001": 540, "320102002001": 540, "320102001002": 540}
    assert grids.groupby("village")["village_code"].nunique().max() == 1

    out = {"pdf": tmp_path / "挂图.pdf", "html": tmp_path / "地图.html", "ledger": tmp_path / "台账.xlsx"}
    capsys.readouterr()
    assert main(["export", str(proj), "--pdf", str(out["pdf"]), "--html", str(out["html"]),
                 "--ledger", str(out["ledger"])]) == 0
    said = capsys.readouterr().out
    # The villages span two 街道 and no county is known: the title names both, never one alone.
    assert "新街口街道、华侨路街道网格化管理分布图" in said or "华侨路街道、新街口街道网格化管理分布图" in said
    page = out["html"].read_text(encoding="utf-8")
    title = page.split("<title>")[1].split("</title>")[0]
    assert "新街口街道" in title and "华侨路街道" in title
    assert "上海路社区（华侨路街道）" in page and "上海路社区（新街口街道）" in page
    wb = openpyxl.load_workbook(out["ledger"], read_only=True)
    cells = {str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c}
    assert {"上海路社区（新街口街道）", "上海路社区（华侨路街道）"} <= cells and "上海路社区" not in cells


def test_wall_map_names_both_villages_and_titles_by_towns(inputs, tmp_path):
    proj = tmp_path / "g.gpkg"
    assert main(["partition", "--households", inputs["households"], "--villages", inputs["villages"],
                 "--min", "200", "--max", "400", "--out", str(proj), "--quiet"]) == 0
    pdf = tmp_path / "挂图.pdf"
    assert main(["export", str(proj), "--pdf", str(pdf), "--quiet"]) == 0
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.replace("\n", "")
    assert "上海路社区（新街口街道）" in text and "上海路社区（华侨路街道）" in text
    assert "、" in text.split("网格化管理分布图")[0][-30:]


def test_title_names_the_county_or_shortens_many_towns():
    from gridtool.maps.titles import find_place, towns_text

    class Layer:
        def __init__(self, gdf):
            self.gdf = gdf

    class Project:
        def __init__(self, gdf):
            self.layers = {"villages": Layer(gdf)}

    v = gpd.GeoDataFrame({"name": ["a", "b", "c"], "街道": ["新街口街道", "华侨路街道", "新街口街道"]},
                         geometry=[None] * 3)
    assert find_place(Project(v)).label == "新街口街道、华侨路街道"
    assert find_place(Project(v.assign(区县="玄武区"))).label == "玄武区"
    assert find_place(Project(v.assign(街道="新街口街道"))).label == "新街口街道"
    many = [f"{n}街道" for n in "甲乙丙丁戊"]
    assert towns_text(many) == "甲街道、乙街道等5个街道"
    assert towns_text(["甲镇", "乙街道", "丙乡", "丁镇"]) == "甲镇、乙街道等4个乡镇（街道）"
    assert towns_text(many[:3]) == "甲街道、乙街道、丙街道"


def test_patrol_coverage_counts_a_shared_roster_name_where_each_household_lies():
    """A roster's 所属社区 says 上海路社区 for the households of both: coverage per village counts each
    in the one it lies in (540 and 540), not 1,080 under one name, and says what it did."""
    from types import SimpleNamespace

    from gridtool.routing.demand import coverage_by_village

    vil = gpd.GeoDataFrame({"name": [v[0] for v in VILLAGES], "township": [v[1] for v in VILLAGES],
                            "code": [v[2] for v in VILLAGES]},
                           geometry=[box(X0 + i * 600, Y0, X0 + (i + 1) * 600, Y0 + 600) for i in range(3)], crs=GK)
    pts = [Point(X0 + i * 600 + 300, Y0 + 300) for i in range(3) for _ in range(36)]
    hh = gpd.GeoDataFrame({"village": [VILLAGES[i][0] for i in range(3) for _ in range(36)]}, geometry=pts, crs=GK)
    covered = np.array([i == 0 for i in range(3) for _ in range(36)])
    vt = coverage_by_village(SimpleNamespace(features=hh, weight=np.full(len(hh), 15.0)), covered, vil)
    got = dict(zip(vt["name"], zip(vt["hh"], vt["covered_hh"])))
    assert got == {"上海路社区（新街口街道）": (540, 540), "上海路社区（华侨路街道）": (540, 0), "石鼓路社区": (540, 0)}
    zh, en = vt.attrs["note"]
    assert "按位置" in zh and "72" in zh and "lie in" in en


def test_merge_and_relax_name_a_shared_village_by_its_qualified_name_or_code():
    from gridtool.errors import GridtoolError
    from gridtool.partition.villages import by_display_name

    v = gpd.GeoDataFrame({"name": [v[0] for v in VILLAGES], "township": [v[1] for v in VILLAGES],
                          "code": [v[2] for v in VILLAGES]}, geometry=[None] * 3)
    names, codes = village_names(v), v["code"].tolist()
    merge, relax = by_display_name(v, names, codes, {"320102002001": "石鼓路社区"},
                                   {"上海路社区（新街口街道）": (100, 600)})
    assert merge == {"上海路社区（华侨路街道）": "石鼓路社区"} and relax == {"上海路社区（新街口街道）": (100, 600)}
    with pytest.raises(GridtoolError) as exc:  # the bare shared name would pick one at random
        by_display_name(v, names, codes, {}, {"上海路社区": (100, 600)})
    assert "上海路社区（华侨路街道）" in exc.value.zh and exc.value.en
