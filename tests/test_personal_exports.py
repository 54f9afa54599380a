"""Personal data is found by content as well as by header, and no export carries it unless the user
asks (issue 16 item 4): a household roster with names under a Latin header (``Owner``), under a
header that says nothing (``成员``), in a column named with ``--field households.name=登记人``,
phone and ID numbers in a free-text 备注, goes through every export; each output is read the way
another program would (unzipped, DBF read, PDF text extracted) and searched for the raw strings."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from gridtool.cli import main
from gridtool.layers import Layer, load_layer
from gridtool.maps.privacy import detect_sensitive, mask_frame
from gridtool.personal import id_check_ok, looks_like_name, personal_spans

from .maps_data import GK108, X0, Y0, make_project

OWNERS = ["王小明", "陈建国", "刘秀英", "欧阳志强"]           # under "Owner": found by the Latin header
MEMBERS = ["赵丽华", "孙伟", "周海燕", "吴国庆"]             # under "成员": found by content
REGISTRARS = ["Zhang Weiguo", "Li Xiuying", "Huang Min", "Xu Jun"]  # under "登记人": given with --field
NOTE = "张三 13812345678 身份证110105199001011234"          # the 备注 (check digit not valid: labelled)
NOTES = [NOTE, "座机 023-65432109，户主李四", "老身份证 110105900101123 已换证", "手机 139 8765 4321"]
ID_COLUMN = ["11010519491231002X", "110105199001011232", "440305198512120019", "51010719800101001X"]
PHONES = ["13700001111", "15800002222", "18900003333", "0831-2345678"]
PARTY = ["郑国华", "冯桂兰"]
RAW = (OWNERS + MEMBERS + REGISTRARS + ["张三", "李四", "13812345678", "110105199001011234", "023-65432109",
                                        "110105900101123", "139 8765 4321"] + ID_COLUMN + PHONES + PARTY)
WORKER = "赵六"  # the grid worker of make_project's grids (wall map and atlas labels)
SHOP = "红旗代销点 13912345678"  # a patrol stop whose name carries a phone number


def test_content_rules():
    assert all(map(looks_like_name, OWNERS + MEMBERS + PARTY))
    assert not any(map(looks_like_name, ["王家湾", "石柱村", "东方广场", "学校", "Owner", "张三丰村委会"]))
    assert id_check_ok(ID_COLUMN[0]) and id_check_ok(ID_COLUMN[1]) and not id_check_ok("110105199001011234")
    kinds = [k for _a, _b, k in personal_spans(NOTE)]
    assert kinds == ["phone", "id_number"]  # the ID behind its 身份证 label, whatever its check digit
    assert personal_spans("编码500101001001-01，订单20240101123456") == []  # division codes, order numbers
    assert personal_spans("银行卡 6222021234567890123") == []  # 19 digits: not an ID
    assert [k for *_, k in personal_spans("证件 11010519491231002X")] == ["id_number"]
    masked = mask_frame(pd.DataFrame({"备注": NOTES}))["备注"].tolist()
    assert masked[0] == "张* 138****5678 身份证110105********1234"
    assert masked[1] == "座机 023-****2109，户主李*"
    assert masked[2] == "老身份证 110105*****1123 已换证"
    assert masked[3] == "手机 139 **** 4321"
    # villages and places are not people: their names stay whatever they look like
    villages = pd.DataFrame({"name": ["王庄", "李坪", "张三"], "所属": ["高峰", "陈湾", "周口"]})
    assert detect_sensitive(villages) == {}


def _roster(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    n = 24
    xy = np.column_stack([X0 + 30 + rng.random(n) * 1940, Y0 + 30 + rng.random(n) * 940])
    gdf = gpd.GeoDataFrame({
        "户数": rng.integers(1, 6, n), "所属村": ["东方广场社区"] * n,
        "Owner": [OWNERS[i % 4] for i in range(n)], "成员": [MEMBERS[i % 4] for i in range(n)],
        "登记人": [REGISTRARS[i % 4] for i in range(n)], "备注": [NOTES[i % 4] for i in range(n)],
        "编号A": [ID_COLUMN[i % 4] for i in range(n)], "联系电话": [PHONES[i % 4] for i in range(n)],
        "grid": [f"50010100100{int((x - X0) // 1000) + 1}-{int((x - X0) % 1000 // 500) + 1:02d}" for x in xy[:, 0]],
    }, geometry=[Point(x, y) for x, y in xy], crs=GK108)
    path = tmp_path / "花名册.gpkg"
    gdf.to_file(path, layer="households", driver="GPKG")
    party = gpd.GeoDataFrame({"党员姓名": PARTY, "手机": ["13600001234", "13600005678"]},
                             geometry=[Point(X0 + 250, Y0 + 250), Point(X0 + 1250, Y0 + 750)], crs=GK108)
    party.to_file(path, layer="party", driver="GPKG")
    return path


@pytest.fixture(scope="module")
def personal_project(tmp_path_factory):
    d = tmp_path_factory.mktemp("personal")
    roster = _roster(d)
    hh = load_layer("households", f"{roster}:households", fields={"name": "登记人"})
    assert hh.sensitive == {"Owner": "name", "成员": "name", "登记人": "name", "编号A": "id_number",
                            "联系电话": "phone", "备注": "text"}
    assert "所属村" not in hh.sensitive  # a village
    # the notes are personal by their content, and scrubbed, not masked whole or dropped
    assert hh.sensitive_how["备注"] == {"how": "content", "cells": 24, "of": 24, "found": ["phone", "id_number", "name"]}
    assert hh.sensitive_how["登记人"] == {"how": "field"} and hh.sensitive_how["Owner"] == {"how": "header"}
    party = load_layer("party_members", f"{roster}:party", fields={"name": "党员姓名"})
    p = make_project()
    p.layers["households"] = hh
    p.layers["party_members"] = party
    st = p.layers["route_stops"].gdf
    st.loc[st.index[1], "place"] = SHOP
    return p.save(d / "项目.gpkg")


def _texts(out: Path) -> dict[str, str]:
    """Every output as the text another program would read from it."""
    texts = {}
    for f in sorted(out.rglob("*")):
        if not f.is_file():
            continue
        sfx = f.suffix.lower()
        if sfx == ".kmz":
            with zipfile.ZipFile(f) as zf:
                texts[f.name] = "".join(zf.read(n).decode("utf-8") for n in zf.namelist())
        elif sfx == ".gpkg":
            with sqlite3.connect(f) as db:
                tables = [r[0] for r in db.execute("SELECT table_name FROM gpkg_contents")]
                rows = [str(r) for t in tables for r in db.execute(f'SELECT * FROM "{t}"')]
            texts[f.name] = "\n".join(rows)
        elif sfx == ".dbf":
            texts[f.name] = "\n".join(gpd.read_file(f.with_suffix(".shp")).astype(str).to_csv().splitlines()) \
                + f.read_bytes().decode("utf-8", errors="replace")
        elif sfx == ".pdf":
            r = subprocess.run(["pdftotext", "-enc", "UTF-8", str(f), "-"], capture_output=True, timeout=120,
                               check=True)
            texts[f.name] = r.stdout.decode("utf-8", errors="replace")
        elif sfx in (".html", ".geojson", ".kml", ".gpx", ".csv", ".json", ".cpg", ".prj"):
            text = f.read_text(encoding="utf-8-sig")
            texts[f.name] = text + ("\n" + json.dumps(json.loads(text), ensure_ascii=False) if sfx == ".geojson" else "")
    return texts


def _export(project: Path, out: Path, *extra: str) -> dict[str, str]:
    rc = main(["export", str(project), "--quiet", "--html", str(out / "map.html"), "--gpkg", str(out / "g.gpkg"),
               "--shp", str(out / "shp"), "--geojson", str(out / "gj"), "--kml", str(out / "g.kml"),
               "--kmz", str(out / "g.kmz"), "--gpx", str(out / "r.gpx"), "--pdf", str(out / "wall.pdf"),
               "--atlas", str(out / "atlas.pdf"), "--route-cards", str(out / "cards.pdf"),
               "--layers", "households,grids,routes,route_stops", *extra])
    assert rc == 0
    return _texts(out)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler) not installed")
def test_no_export_carries_personal_data_unless_asked(personal_project, tmp_path, capsys):
    texts = _export(personal_project, tmp_path / "masked")
    kinds = {".html", ".gpkg", ".dbf", ".geojson", ".kml", ".kmz", ".gpx", ".pdf"}
    assert kinds <= {Path(n).suffix for n in texts}, sorted(texts)
    leaks = {(name, raw) for name, text in texts.items() for raw in RAW + [WORKER, SHOP] if raw in text}
    assert not leaks, sorted(leaks)
    # the data is still there, masked: the roster's notes in the GIS tables, the worker on the map
    assert "张* 138****5678 身份证110105********1234" in texts["households.geojson"]
    assert "赵*" in texts["wall.pdf"] and "赵*" in texts["atlas.pdf"]
    assert "郑*华" in texts["atlas.pdf"]  # the party member in the roster
    assert "王*明" in texts["map.html"] and "Z**** W*****" in texts["map.html"]  # popups, masked
    assert "红旗代销点 139****5678" in texts["r.gpx"] and "139****5678" in texts["cards.pdf"]
    # a GIS table for another office has no personal column at all
    cols = gpd.read_file(tmp_path / "masked" / "gj" / "households.geojson").columns
    assert not {"Owner", "成员", "登记人", "编号A", "联系电话"} & set(cols) and "备注" in cols
    out = capsys.readouterr().out
    assert "已脱敏" in out and "警告" not in out
    # --include-personal: the user's explicit choice; the raw values are in every table export
    texts = _export(personal_project, tmp_path / "raw", "--include-personal")
    # ... and the console says which files show what, and that the law protects it
    out = capsys.readouterr().out
    assert "已脱敏" not in out
    warning = out[out.index("警告：以下文件含未脱敏的个人信息"):].splitlines()
    shown = {Path(x.strip().split("：", 1)[0]).name: x.split("：", 1)[1] for x in warning[1:-1]}
    assert set(shown) == {"map.html", "g.gpkg", "shp", "gj", "g.kml", "g.kmz", "r.gpx", "wall.pdf", "atlas.pdf",
                          "cards.pdf"}, warning
    for name in ("map.html", "g.gpkg", "g.kml"):
        assert all(w in shown[name] for w in ("住户（", "Owner 姓名", "成员 姓名", "登记人 姓名", "编号A 身份证号",
                                              "联系电话 电话号码", "备注 文字中的电话、身份证号和姓名")), shown[name]
        assert "基础网格（worker 姓名、worker_phone 电话号码）" in shown[name]
    assert shown["wall.pdf"] == "基础网格（worker 姓名）"  # the label names the worker, nothing else personal
    assert shown["atlas.pdf"].startswith("基础网格（worker 姓名、worker_phone 电话号码）；党员（党员姓名 姓名")
    assert "手机" not in shown["atlas.pdf"]  # the roster names the party members, without their phones
    assert "巡逻点位（place 文字中的电话、身份证号和姓名）" in shown["cards.pdf"] == shown["r.gpx"]
    assert "个人信息保护法" in warning[-1] and "去掉 --include-personal" in warning[-1]
    for name in ("g.gpkg", "households.dbf", "households.geojson", "g.kml", "g.kmz"):
        missing = [raw for raw in RAW[:-2] if raw not in texts[name]]
        assert not missing, (name, missing)
    assert all(n in texts["map.html"] for n in OWNERS + MEMBERS + REGISTRARS)
    assert WORKER in texts["wall.pdf"] and all(n in texts["atlas.pdf"] for n in PARTY)
    assert SHOP in texts["r.gpx"] and "13912345678" in texts["cards.pdf"]


def test_import_flags_the_given_name_column_and_names_found_by_content(tmp_path, capsys):
    roster = _roster(tmp_path)
    out = tmp_path / "p.gpkg"
    assert main(["import", "--households", f"{roster}:households", "--field", "households.name=登记人",
                 "--out", str(out)]) == 0
    from gridtool.project import Project
    lyr = Project.open(out).layers["households"]
    assert {"Owner", "成员", "登记人", "编号A", "联系电话"} <= set(lyr.sensitive)
    assert lyr.columns_used.get("name") == "登记人"
    # a column that does not exist is an error naming it, not a silent no-op
    assert main(["import", "--households", f"{roster}:households", "--field", "households.name=户主名",
                 "--out", str(tmp_path / "q.gpkg")]) == 2
    assert "户主名" in capsys.readouterr().err


def test_patrol_outputs_mask_phone_numbers_in_place_names(tmp_path):
    from gridtool.routing import build_graph, plan_patrol
    from gridtool.maps.route_files import write_patrol_outputs

    from .test_routing_graph import town
    t = town()
    places = t["places"].iloc[:4].copy()
    places["name"] = [SHOP, "张三小卖部 电话13812345678", "工商银行", "监控点A"]
    plan = plan_patrol(build_graph(t["roads"], mode="walk"), t["stations"], places, time_limit=0.3, start="07:30")
    p = make_project()
    files = write_patrol_outputs(p, plan, tmp_path / "o")
    texts = _texts(tmp_path / "o")
    assert {Path(f).name for f in files.values()} <= set(texts)
    leaks = {(n, raw) for n, text in texts.items() for raw in ("13912345678", "13812345678") if raw in text}
    assert not leaks, leaks
    assert "红旗代销点 139****5678" in texts["patrol-stops.csv"]
    write_patrol_outputs(p, plan, tmp_path / "r", include_personal=True)
    assert "13912345678" in (tmp_path / "r" / "patrol-stops.csv").read_text(encoding="utf-8-sig")
    assert "13912345678" in (tmp_path / "r" / "patrol.gpx").read_text(encoding="utf-8")


def test_mask_layer_takes_the_roster_name_column_of_a_saved_project(personal_project):
    from gridtool.maps.privacy import mask_layer
    from gridtool.project import Project
    p = Project.open(personal_project)
    m = mask_layer(p.layers["households"])
    assert set(m["登记人"]) == {"Z**** W*****", "L* X******", "H**** M**", "X* J**"}
    assert set(m["所属村"]) == {"东方广场社区"}  # a village column is not a person
    assert isinstance(p.layers["households"], Layer)


def test_an_id_number_column_is_found_by_content_but_not_any_18_digit_code():
    """A 三调 标识码 (BSM, 18 digits) is not a 身份证号: no 个人信息 flag and nothing masked; a column of
    real ID numbers under an uninformative header is."""
    import pandas as pd

    from gridtool.columns import sensitive_columns
    df = pd.DataFrame({"BSM": [f"{i:018d}" for i in range(1, 6)],
                       "TBBH": [f"500154{i:012d}" for i in range(1, 6)],
                       "F7": ["110101199003071234", "11010519491231002X", "440305198512120019",
                              "51010719800101001X", "110105199001011232"]})
    assert sensitive_columns(df, personal_role=False) == {"F7": "id_number"}


def test_include_personal_warns_only_of_what_is_there(tmp_path, capsys):
    """Layers without personal data exported with --include-personal: no warning. With them, the
    warning in English under --lang en names the file, the layer and the columns."""
    project = make_project().save(tmp_path / "p.gpkg")
    assert main(["export", str(project), "--quiet", "--gpkg", str(tmp_path / "c.gpkg"), "--layers", "circles,corridors",
                 "--include-personal"]) == 0
    out = capsys.readouterr().out
    assert "警告" not in out and "个人信息" not in out
    assert main(["--lang", "en", "export", str(project), "--quiet", "--gpkg", str(tmp_path / "h.gpkg"),
                 "--layers", "households,circles", "--include-personal"]) == 0
    out = capsys.readouterr().out
    assert "warning: these files hold personal data unmasked (exported with --include-personal):" in out
    assert f"{tmp_path / 'h.gpkg'}: households (户主姓名 names, 联系电话 phone numbers, 身份证号 ID-card numbers)" in out
    assert "circles" not in out.split("warning:")[1] and "Personal Information Protection Law" in out
    assert main(["--lang", "both", "export", str(project), "--quiet", "--gpkg", str(tmp_path / "b.gpkg"),
                 "--layers", "households", "--include-personal"]) == 0
    out = capsys.readouterr().out
    assert "警告：以下文件含未脱敏的个人信息" in out and "warning: these files hold personal data unmasked" in out


def test_include_personal_warns_of_incident_callers_on_the_html_map(tmp_path, capsys):
    """The HTML map shows incident records (警情): with --include-personal their callers' names and
    phone numbers are unmasked there, and the warning says so, naming the layer."""
    from .maps_data import add_incidents
    project = add_incidents(make_project(), 50).save(tmp_path / "p.gpkg")
    html = tmp_path / "m.html"
    assert main(["export", str(project), "--quiet", "--html", str(html), "--include-personal"]) == 0
    out = capsys.readouterr().out
    warning = out.split("警告：以下文件含未脱敏的个人信息")[1]
    assert str(html) in warning and "警情" in warning and "报警人" in warning


def test_patrol_console_masks_a_phone_number_in_a_place_name(tmp_path, capsys):
    """The places the plan leaves out are listed on the console: a shop named with its owner's
    mobile number is listed masked, as in the files, unless --include-personal."""
    from .patrol_data import patrol_town, write_layers
    layers = patrol_town()
    layers["places"] = layers["places"].assign(name=["红旗代销点 13912345678", "张三小卖部", "工商银行", "监控点A"])
    src = write_layers(tmp_path / "in.gpkg", {r: layers[r] for r in ("roads", "places", "stations")})
    roles = [f"--{r}={v}" for r, v in src.items()]
    # a 20-minute shift leaves most places out, so they are listed by name
    assert main(["patrol", *roles, "--mode", "walk", "--shift", "20", "--no-hotspots", "--out", str(tmp_path / "o"),
                 "--quiet", "--lenient"]) == 0
    out = capsys.readouterr().out
    assert "13912345678" not in out and "红旗代销点 139****5678" in out
    assert main(["patrol", *roles, "--mode", "walk", "--shift", "20", "--no-hotspots", "--out", str(tmp_path / "p"),
                 "--quiet", "--lenient", "--include-personal"]) == 0
    assert "红旗代销点 13912345678" in capsys.readouterr().out
