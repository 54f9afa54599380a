"""Phone and ID numbers written into free text are personal data found by content: a roster's 备注
("联系人张三 138 1234 5678"), a column with a header that says nothing (字段12) and one headed 电话.
Import names each personal column and how it was found; every export that carries attributes masks
the numbers inside the notes and keeps the rest readable. Each output is read back as another
program would read it (openpyxl, the HTML text, the KML XML, the GeoPackage through pyogrio)."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import openpyxl
import pyogrio
import pytest
from shapely.geometry import Point

from gridtool.cli import main
from gridtool.layers import load_layer
from gridtool.maps.privacy import mask_frame, mask_phone

from .maps_data import GK108, X0, Y0, make_project

NOTES = ["联系人张三 138 1234 5678", "身份证110105199001011232，户主外出", "座机 0831-2345678 白天有人",
         "+86 139-8765-4321", "独居老人"]
F12 = ["电话：+8615800002222", "18900003333（儿子）", "无", "023-65432109"]
HOLDERS = ["王小明", "陈建国", "刘秀英", "欧阳志强"]
IDS = ["11010519491231002X", "110105199001011232", "440305198512120019", "51010719800101001X"]
N = 20
PHONES = [f"1360000{i:04d}" for i in range(N)]
# Every personal value of the roster as written, and the numbers without their separators.
RAW = ["13812345678", "138 1234 5678", "110105199001011232", "0831-2345678", "2345678", "139-8765-4321",
       "13987654321", "15800002222", "18900003333", "023-65432109", "65432109", "张三"] + HOLDERS + IDS + PHONES
MASKED_NOTES = ["联系人张* 138 **** 5678", "身份证110105********1232，户主外出", "座机 0831-***5678 白天有人",
                "+86 139-****-4321", "独居老人"]


def _roster(d: Path) -> Path:
    rng = np.random.default_rng(7)
    xy = np.column_stack([X0 + 30 + rng.random(N) * 1940, Y0 + 30 + rng.random(N) * 940])
    gdf = gpd.GeoDataFrame({
        "户数": rng.integers(1, 6, N), "户主姓名": [HOLDERS[i % 4] for i in range(N)],
        "公民身份号码": [IDS[i % 4] for i in range(N)], "备注": [NOTES[i % 5] for i in range(N)],
        "字段12": [F12[i % 4] for i in range(N)], "电话": PHONES,
        "grid": [f"50010100100{int((x - X0) // 1000) + 1}-{int((x - X0) % 1000 // 500) + 1:02d}" for x in xy[:, 0]],
    }, geometry=[Point(x, y) for x, y in xy], crs=GK108)
    path = d / "花名册.gpkg"
    gdf.to_file(path, layer="households", driver="GPKG")
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    d = tmp_path_factory.mktemp("free_text")
    hh = load_layer("households", f"{_roster(d)}:households")
    p = make_project()
    p.layers["households"] = hh
    return p.save(d / "项目.gpkg")


def test_notes_with_numbers_are_personal_by_content(project, capsys):
    from gridtool.project import Project
    lyr = Project.open(project).layers["households"]
    assert lyr.sensitive == {"户主姓名": "name", "公民身份号码": "id_number", "电话": "phone",
                             "备注": "text", "字段12": "text"}
    assert lyr.sensitive_how["电话"] == {"how": "header"}
    # 独居老人 has nothing personal; 无 neither: the share counts the cells that do
    assert lyr.sensitive_how["备注"] == {"how": "content", "cells": 16, "of": 20, "found": ["phone", "id_number", "name"]}
    assert lyr.sensitive_how["字段12"] == {"how": "content", "cells": 15, "of": 20, "found": ["phone"]}
    assert main(["info", str(project)]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "个人信息列" in x)
    assert "备注（内容：16/20 格文字中有电话、身份证号、姓名）" in line
    assert "字段12（内容：15/20 格文字中有电话）" in line and "电话（表头：电话）" in line
    assert "公民身份号码（表头：身份证号）" in line


def test_a_landline_keeps_its_area_code():
    assert mask_phone("0831-2345678") == "0831-***5678" and mask_phone("010-12345678") == "010-****5678"
    assert mask_phone("0086 138 1234 5678") == "0086 138 **** 5678"
    # a note flagged as free text is scrubbed, never masked whole as if it were a name
    df = gpd.GeoDataFrame({"备注": NOTES})
    assert mask_frame(df, {"备注": "text"})["备注"].tolist() == MASKED_NOTES
    assert mask_frame(df, {"备注": "text"}, drop=True)["备注"].tolist() == MASKED_NOTES


def _read_back(out: Path) -> dict[str, str]:
    texts = {}
    for f in sorted(out.rglob("*")):
        sfx = f.suffix.lower()
        if sfx == ".xlsx":
            wb = openpyxl.load_workbook(f)
            texts[f.name] = "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row
                                      if c.value is not None)
        elif sfx in (".kml", ".kmz"):
            if sfx == ".kmz":
                with zipfile.ZipFile(f) as zf:
                    docs = [zf.read(n) for n in zf.namelist() if n.endswith(".kml")]
            else:
                docs = [f.read_bytes()]
            texts[f.name] = "\n".join("".join(ElementTree.fromstring(x).itertext()) for x in docs)
        elif sfx == ".gpkg":
            texts[f.name] = "\n".join(pyogrio.read_dataframe(f, layer=name, read_geometry=False).to_csv()
                                      for name, _ in pyogrio.list_layers(f))
        elif sfx == ".dbf":
            texts[f.name] = gpd.read_file(f.with_suffix(".shp")).drop(columns="geometry").to_csv()
        elif sfx == ".geojson":
            texts[f.name] = json.dumps(json.loads(f.read_text("utf-8")), ensure_ascii=False)
        elif sfx in (".html", ".gpx"):
            texts[f.name] = f.read_text("utf-8")
        elif sfx == ".pdf" and shutil.which("pdftotext"):
            texts[f.name] = subprocess.run(["pdftotext", "-enc", "UTF-8", str(f), "-"], capture_output=True,
                                           timeout=120, check=True).stdout.decode("utf-8", "replace")
    return texts


def _export(project: Path, out: Path, *extra: str) -> dict[str, str]:
    assert main(["export", str(project), "--quiet", "--html", str(out / "map.html"), "--gpkg", str(out / "g.gpkg"),
                 "--shp", str(out / "shp"), "--geojson", str(out / "gj"), "--kml", str(out / "g.kml"),
                 "--kmz", str(out / "g.kmz"), "--gpx", str(out / "r.gpx"), "--ledger", str(out / "台账.xlsx"),
                 "--atlas", str(out / "atlas.pdf"), "--route-cards", str(out / "cards.pdf"),
                 "--layers", "households,grids,routes,route_stops", *extra]) == 0
    return _read_back(out)


def test_no_output_carries_a_number_written_into_a_note(project, tmp_path, capsys):
    texts = _export(project, tmp_path / "masked")
    assert {"map.html", "g.gpkg", "households.dbf", "households.geojson", "g.kml", "g.kmz", "r.gpx",
            "台账.xlsx"} <= set(texts), sorted(texts)
    leaks = sorted((name, raw) for name, text in texts.items() for raw in RAW if raw in text)
    assert not leaks, leaks
    # the notes are still there and readable, with their numbers masked: in the GIS tables (which
    # leave the personal columns out) and in the map's household popups
    for name in ("g.gpkg", "households.dbf", "households.geojson", "g.kml", "g.kmz"):
        assert all(m in texts[name] for m in MASKED_NOTES), name
        assert "电话：+86158****2222" in texts[name] and "023-****2109" in texts[name], name
    assert "联系人张* 138 **** 5678" in texts["map.html"] and "0831-***5678" in texts["map.html"]
    assert "136****0007" in texts["台账.xlsx"]  # the household list's phone, masked
    capsys.readouterr()
    # --include-personal is the user's explicit choice: the notes as written, and a warning naming them
    texts = _export(project, tmp_path / "raw", "--include-personal")
    assert all(n in texts["g.gpkg"] for n in NOTES + F12 + PHONES)
    out = capsys.readouterr().out
    assert "备注 文字中的电话、身份证号和姓名" in out and "字段12 文字中的电话、身份证号和姓名" in out


def test_a_joined_note_column_with_numbers_is_personal_and_scrubbed(tmp_path):
    from gridtool.join import join_table
    from gridtool.maps.privacy import mask_layer

    table = tmp_path / "网格表.csv"
    table.write_text("网格编码,考核得分,备注\n500101001001-01,92,网格员外出，联系 13812345678\n"
                     "500101001001-02,85,正常\n", encoding="utf-8")
    result = join_table(make_project(), str(table), on="网格编码")
    assert result.sensitive == {"备注": "text"}
    assert "  个人信息列（导出时默认脱敏）：备注（内容：文字中有电话或身份证号）" in result.summary_lines("zh")
    grids = mask_layer(result.layers["grids"]).set_index("code")
    assert grids.loc["500101001001-01", "备注"] == "网格员外出，联系 138****5678"
    assert grids.loc["500101001001-02", "备注"] == "正常" and grids.loc["500101001001-02", "考核得分"] == 85
