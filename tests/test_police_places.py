"""A police officer's own sheets in the police commands: place and exit names and grades read from
the headers registers use (场所名称, 卡口名称, 重点等级), GCJ-02 exits declared by role, personal
data masked in what ``coverage``, ``seal`` and ``patrol`` write, villages listed by name."""

from __future__ import annotations

import csv

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, box

from gridtool import cli
from gridtool.columns import find_column, priority_level
from gridtool.crs import wgs84_to_offset
from gridtool.layers import load_layer

from .test_routing_graph import GK108, X0, Y0
from .test_routing_siting import _project_files


def _run(argv):
    args = cli.build_parser().parse_args(argv)
    return args.func(args)


def _register(path, name_header="场所名称"):
    """A 重点场所 sheet as a police station keeps it, positions in WGS84 (no offset)."""
    pts = gpd.GeoSeries([Point(X0 + 100, Y0 + 95), Point(X0 + 300, Y0 + 305), Point(X0 + 205, Y0)],
                        crs=GK108).to_crs(4326)
    pd.DataFrame({"序号": [1, 2, 3], name_header: ["人民中学", "香铺营集贸市场", "雪亮工程07号点位"],
                  "场所类别": ["学校", "农贸市场", "摄像头"], "重点等级": ["一级", "二级", "三级"],
                  "负责人": ["王伟", "李敏", "张芳"], "联系电话": ["13975013645", "13948665326", "13945337062"],
                  "经度": pts.x.round(7), "纬度": pts.y.round(7)}).to_excel(path, index=False)
    return path


@pytest.mark.parametrize("header", ["场所名称", "单位名称", "卡口名称", "点位名称", "监控点名称", "重点场所", "地点名称",
                                    "Name", "名称"])
def test_register_name_headers_are_names(header):
    assert find_column(["序号", header, "场所类别", "负责人"], "place_name") == header


@pytest.mark.parametrize(("what", "columns", "expected"), [
    ("name", ["行政村", "单位名称", "代码"], None),        # a village layer: 单位名称 is the township office
    ("name", ["村委会", "DWMC", "代码"], None),
    ("name", ["路名", "单位名称"], None),                  # a road's maintenance unit
    ("name", ["姓名", "单位名称"], None),                  # a party member's employer
    ("place_name", ["场所名称", "派出所名称"], "场所名称"),
    ("place_name", ["派出所名称", "网吧名称"], None),      # the station in charge is not the place
    ("station_name", ["派出所名称", "地址"], "派出所名称"),
])
def test_register_headers_are_read_only_for_registers(what, columns, expected):
    """The register headers (单位名称, DWMC, 派出所名称 …) name a place or a station, and nothing in
    other layers; a places sheet's 派出所名称 column is its station in charge."""
    assert find_column(columns, what) == expected


@pytest.mark.parametrize(("columns", "expected"), [(["派出所名称", "网吧名称"], "网吧名称"),
                                                   (["所在小区名称", "网吧名称"], "网吧名称"),
                                                   (["网格名称", "宾馆名称"], "宾馆名称")])
def test_a_header_ending_in_mingcheng_names_the_place_not_its_surroundings(columns, expected):
    from gridtool.columns import find_point_name_column
    assert find_point_name_column(columns) == expected


def test_grades_are_read_top_down_and_head_counts_are_not_names():
    """Under 重点等级 a 1 is the top grade (as 一级): must visit; a 5A scenic rating is no grade; a
    stations column 民警 holding head counts is not masked as a name, 负责人 is."""
    from gridtool.columns import is_grade_header, priority_level, sensitive_columns
    assert is_grade_header("重点等级") and not is_grade_header("优先级")
    assert [priority_level(v, grade=True) for v in ("1", 2, "3", "一级", "1级", "5A")][:5] == [3.0, 2.0, 1.0, 3.0, 3.0]
    assert pd.isna(priority_level("5A", grade=True)) and priority_level("3") == 3.0
    st = pd.DataFrame({"name": ["城关所"], "民警": [3], "辅警": ["4人"], "负责人": ["王伟"]})
    assert sensitive_columns(st, personal_role=False) == {"负责人": "name"}


@pytest.mark.parametrize("header", ["重点等级", "等级", "级别", "优先级", "priority"])
def test_register_grade_headers_are_priorities(header):
    assert find_column(["场所名称", header], "priority") == header


def test_earlier_name_guesses_are_kept():
    assert find_column(["name", "场所名称"], "name") == "name"
    assert find_column(["村名", "单位名称"], "name") == "村名"
    assert find_column(["XZQMC", "地点名称"], "name") == "XZQMC"


def test_grades_read_as_patrol_priorities():
    # 一级 is the highest grade: must-visit (3) on the patrol scale; numbers stay themselves
    assert [priority_level(v) for v in ("一级", "二级", "三级", "1级", "Ⅱ级", "高", "低", "重点", 4, "5")] == \
        [3, 2, 1, 3, 2, 3, 1, 3, 4, 5]
    assert np.isnan(priority_level(None)) and np.isnan(priority_level("待定"))


def test_place_sheet_gives_names_and_grades_and_import_prints_them(tmp_path, capsys):
    xlsx = _register(tmp_path / "places.xlsx")
    lyr = load_layer("places", str(xlsx))
    assert lyr.gdf["name"].tolist() == ["人民中学", "香铺营集贸市场", "雪亮工程07号点位"]
    assert lyr.gdf["priority"].tolist() == [3, 2, 1]
    assert lyr.sensitive.get("负责人") == "name" and lyr.sensitive.get("联系电话") == "phone"
    assert not [p for p in lyr.problems if p.code == "name_column_not_found"]
    assert _run(["import", "--places", str(xlsx), "--out", str(tmp_path / "p.gpkg")]) == 0
    out = capsys.readouterr().out
    assert "名称:场所名称" in out and "优先级:重点等级" in out and "名称：场所名称（人民中学" in out


def test_header_ending_in_mingcheng_is_taken_and_said(tmp_path):
    lyr = load_layer("places", str(_register(tmp_path / "p.xlsx", name_header="网吧名称")))
    assert lyr.gdf["name"].tolist()[0] == "人民中学"
    assert lyr.columns_detail["name"]["note_zh"] == "表头以“名称”结尾"


def test_place_sheet_without_names_warns_with_the_field_to_give(tmp_path):
    lyr = load_layer("places", str(_register(tmp_path / "p.xlsx", name_header="F2")))
    warn = [p for p in lyr.problems if p.code == "name_column_not_found"]
    assert len(warn) == 1 and warn[0].severity == "warning"
    assert "--field places.name=F2" in warn[0].fix_zh and "--field places.name=F2" in warn[0].fix_en
    # the hint shows candidate columns' values, never the contacts' names or phones
    assert "王伟" not in warn[0].fix_zh and "13975013645" not in warn[0].fix_zh


def _exits_csv(path, offset="gcj02", encoding="gbk"):
    """The exits of ``_project_files`` as an officer's CSV: 卡口名称, AMap (GCJ-02) 经度/纬度, contacts."""
    true = gpd.GeoSeries([Point(X0, Y0 + 500), Point(X0 + 500, Y0), Point(X0 + 500, Y0 + 500)], crs=GK108)
    ll = true.to_crs(4326)
    shown = gpd.GeoSeries(wgs84_to_offset(np.array(ll.values), offset), crs=4326) if offset else ll
    pd.DataFrame({"卡口名称": ["北口", "东口", "东北口"], "经度": shown.x, "纬度": shown.y,
                  "负责人": ["王伟", "李敏", "张芳"], "联系电话": ["13975013645", "13948665326", "13945337062"]}
                 ).to_csv(path, index=False, encoding=encoding)
    return path, true


def test_seal_takes_gcj02_exits_by_role_with_names_masked(tmp_path, capsys):
    gpkg = _project_files(tmp_path)
    roles = [f"--{r}={gpkg}:{r}" for r in ("roads", "stations")]
    exits, true = _exits_csv(tmp_path / "exits.csv")
    assert _run(["seal", *roles, "--exits", str(exits), "--crs-in", "exits=gcj02", "--encoding", "exits=gbk",
                 "--mode", "walk", "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "name:卡口名称" in out and "假定" not in out
    placed = pyogrio.read_dataframe(tmp_path / "s" / "seal.gpkg", layer="exits").to_crs(GK108)
    assert placed.geometry.distance(true, align=False).max() < 2  # not 500 m off
    assert placed["负责人"].tolist() == ["王*", "李*", "张*"]
    assert placed["联系电话"].tolist()[0] == "139****3645"
    with open(tmp_path / "s" / "seal.csv", encoding="utf-8-sig") as fh:
        assert {r["卡口"] for r in csv.DictReader(fh)} == {"北口", "东口", "东北口"}
    # --include-personal: shown as written, and the warning export gives names the file and columns
    assert _run(["seal", *roles, "--exits", str(exits), "--crs-in", "exits=gcj02", "--mode", "walk",
                 "--include-personal", "--out", str(tmp_path / "s2")]) == 0
    out = capsys.readouterr().out
    placed = pyogrio.read_dataframe(tmp_path / "s2" / "seal.gpkg", layer="exits")
    assert placed["负责人"].tolist() == ["王伟", "李敏", "张芳"]
    assert "含未脱敏的个人信息" in out and "seal.gpkg：卡口（负责人 姓名、联系电话 电话号码）" in out


def test_seal_says_when_exits_are_assumed_wgs84(tmp_path, capsys):
    gpkg = _project_files(tmp_path)
    exits, _ = _exits_csv(tmp_path / "exits.csv", offset=None, encoding="utf-8")
    assert _run(["seal", f"--roads={gpkg}:roads", f"--stations={gpkg}:stations", "--exits", str(exits),
                 "--mode", "walk", "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "假定为 WGS84" in out and "--crs-in" in out  # the loader's warning, with its fix


def test_unknown_role_in_crs_in_lists_exits_for_seal(tmp_path):
    from gridtool.errors import UnknownRoleError
    gpkg = _project_files(tmp_path)
    with pytest.raises(UnknownRoleError, match="exits"):
        _run(["seal", f"--roads={gpkg}:roads", f"--stations={gpkg}:stations", "--exits", "x.csv",
              "--crs-in", "exit=gcj02", "--out", str(tmp_path / "s")])


def test_coverage_masks_site_contacts_unless_included(tmp_path, capsys):
    gpkg = _project_files(tmp_path)
    xlsx = _register(tmp_path / "places.xlsx")
    roles = [f"--roads={gpkg}:roads", f"--stations={gpkg}:stations", "--places", str(xlsx)]
    common = ["--minutes", "1", "--mode", "walk", "--demand", "places", "--sites", "2", "--candidates", "places"]
    assert _run(["coverage", *roles, *common, "--out", str(tmp_path / "c")]) == 0
    capsys.readouterr()
    sites = pyogrio.read_dataframe(tmp_path / "c" / "coverage.gpkg", layer="sites")
    new = sites[~sites["existing"]]
    assert len(new) and new["负责人"].str.endswith("*").all() and new["联系电话"].str.contains(r"\*\*\*\*").all()
    assert not set(new["负责人"]) & {"王伟", "李敏", "张芳"}
    assert _run(["coverage", *roles, *common, "--include-personal", "--out", str(tmp_path / "c2")]) == 0
    out = capsys.readouterr().out
    sites = pyogrio.read_dataframe(tmp_path / "c2" / "coverage.gpkg", layer="sites")
    assert set(sites.loc[~sites["existing"], "负责人"]) <= {"王伟", "李敏", "张芳"}
    assert "含未脱敏的个人信息" in out and "站点与选址（" in out and "负责人 姓名" in out


def test_coverage_lists_villages_by_name_with_whole_households(tmp_path, capsys):
    gpkg = _project_files(tmp_path)
    gpd.GeoDataFrame({"村名": ["上海路社区"], "代码": ["320102900001"]},
                     geometry=[box(X0 - 100, Y0 - 100, X0 + 700, Y0 + 700)], crs=GK108
                     ).to_file(gpkg, layer="villages", driver="GPKG")
    hh = gpd.GeoDataFrame({"户数": [10, 20, 5], "所属村": ["320102900001"] * 3},
                          geometry=[Point(X0 + 100, Y0 + 100), Point(X0 + 450, Y0 + 450), Point(X0 + 200, Y0 + 300)],
                          crs=GK108)
    hh.to_file(gpkg, layer="hh", driver="GPKG")
    roles = [f"--roads={gpkg}:roads", f"--stations={gpkg}:stations", f"--households={gpkg}:hh",
             f"--villages={gpkg}:villages"]
    assert _run(["coverage", *roles, "--minutes", "0.1", "--mode", "walk", "--out", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "上海路社区（320102900001）：未覆盖 35 户" in out
    with open(tmp_path / "c" / "coverage-0.1min-villages.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["村（社区）"], r["代码"], r["户数"], r["未覆盖户数"]) for r in rows] == \
        [("上海路社区", "320102900001", "35", "35")]
    # A second run into the same folder, in each language, replaces gridtool's own table.
    for lang in ("zh", "en", "both"):
        assert _run(["--lang", lang, "coverage", *roles, "--minutes", "0.1", "--mode", "walk",
                     "--out", str(tmp_path / "c")]) == 0


def test_seal_console_masks_a_phone_number_in_an_exit_name(tmp_path, capsys):
    """An exit named with its keeper's mobile ("北口 13912345678") is printed masked in the plan on
    the console, as in the files, unless --include-personal."""
    gpkg = _project_files(tmp_path)
    roles = [f"--{r}={gpkg}:{r}" for r in ("roads", "stations")]
    exits, _ = _exits_csv(tmp_path / "exits.csv", offset=None, encoding="utf-8")
    table = pd.read_csv(exits, dtype=str)
    table.loc[0, "卡口名称"] = "北口 13912345678"
    table.to_csv(exits, index=False)
    argv = ["seal", *roles, "--exits", str(exits), "--mode", "walk", "--quiet"]
    assert _run([*argv, "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "13912345678" not in out and "北口 139****5678" in out
    assert _run([*argv, "--out", str(tmp_path / "t"), "--include-personal"]) == 0
    assert "北口 13912345678" in capsys.readouterr().out
