"""A 派出所 officer's own files through the police workflows (session 28): an incidents sheet whose
报警时间 are Excel serial numbers, places from 奥维 KML folders used as stations by their Chinese
category, the households a coverage run leaves out, a formula warning's text."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pytest
from openpyxl import Workbook

from gridtool.project import Project

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "nanjing-xuanwu.gpkg"
EPOCH = datetime(1899, 12, 30)


def _serial(d: datetime) -> float:
    return (d - EPOCH).total_seconds() / 86400


def _xuanwu_points(n: int):
    """Real spots of the Nanjing sample: the first ``n`` buildings' inner points (WGS84)."""
    hh = gpd.read_file(SAMPLE, layer="households").head(n)
    return list(hh.geometry.representative_point())


def test_excel_serial_alarm_times_keep_their_minute_and_hour(tmp_path):
    """Before: a serial number cell (46097.875 = 2026-03-16 21:00) was cut to the second below,
    20:59:59: a fifth of a day's minutes were shown a minute early and 21:00 counted in hour 20."""
    times = [datetime(2026, 3, 16, 21, 0), datetime(2026, 3, 16, 23, 50), datetime(2026, 3, 5, 21, 40),
             datetime(2026, 3, 7, 7, 0)]
    wb = Workbook()
    ws = wb.active
    ws.append(["玄武区2026年3月警情统计表"])
    ws.merge_cells("A1:E1")
    ws.append(["报警时间", "警情类别", "简要案情", "经度", "纬度"])
    for t, p in zip(times, _xuanwu_points(len(times))):
        ws.append([_serial(t), "治安-盗窃", "电动车被盗", round(p.x, 6), round(p.y, 6)])
    path = tmp_path / "警情.xlsx"
    wb.save(path)
    gdf = Project.from_sources({"incidents": str(path)}).layers["incidents"].gdf
    assert [t.to_pydatetime() for t in gdf["time"]] == times
    assert gdf["hour"].tolist() == pytest.approx([21.0, 23 + 50 / 60, 21 + 40 / 60, 7.0])


def write_ovital_kml(path: Path) -> dict[str, list[str]]:
    """The sample's named key places as 奥维 exports them: one Folder per 类别 named in Chinese,
    a shared Style, each Placemark with a styleUrl and an HTML description (the person in charge).
    Returns the place names by folder."""
    zh = {"school": "学校", "bank": "银行", "supermarket": "超市", "hospital": "医院", "police": "派出所",
          "market": "市场", "townhall": "政府", "clinic": "诊所"}
    places = gpd.read_file(SAMPLE, layer="places")
    places = places[places["name"].notna()]
    folders: dict[str, list] = {}
    for name, cat, pt in zip(places["name"], places["category"], places.geometry.representative_point()):
        folders.setdefault(zh[cat], []).append((name, pt.x, pt.y))
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<kml xmlns="http://www.opengis.net/kml/2.2">',
           "<Document><name>重点场所</name>", '<Style id="s1"><IconStyle><Icon><href>1.png</href></Icon>'
           "</IconStyle></Style>"]
    for folder, items in folders.items():
        out.append(f"<Folder><name>{folder}</name>")
        out += [f"<Placemark><name>{n}</name><description><![CDATA[<p>负责人：张伟 13812345678</p>]]>"
                f"</description><styleUrl>#s1</styleUrl><Point><coordinates>{x:.7f},{y:.7f},0</coordinates>"
                "</Point></Placemark>" for n, x, y in items]
        out.append("</Folder>")
    path.write_text("\n".join(out + ["</Document></kml>"]), encoding="utf-8")
    return {f: [n for n, _, _ in items] for f, items in folders.items()}


@pytest.mark.parametrize("category", ["派出所", "Police"])
def test_station_category_in_chinese_or_any_case_finds_the_kml_folder_stations(tmp_path, capsys, category):
    """Before: --station-category 派出所 on places whose 派出所 folder was read as category police
    failed with 没有站点 (the category was compared as written, in English and lower case)."""
    from gridtool.cli import main
    kml = tmp_path / "重点场所.kml"
    names = write_ovital_kml(kml)
    out = tmp_path / "out"
    rc = main(["coverage", "--households", f"{SAMPLE}:households", "--roads", f"{SAMPLE}:roads",
               "--places", str(kml), "--station-category", category, "--minutes", "5", "--out", str(out),
               "--quiet"])
    assert rc == 0, capsys.readouterr()
    circles = gpd.read_file(out / "coverage.gpkg", layer="circles")
    assert sorted(circles["station"]) == sorted(names["派出所"])


def test_a_station_category_no_place_has_lists_the_categories_present(tmp_path, capsys):
    from gridtool.cli import main
    kml = tmp_path / "重点场所.kml"
    write_ovital_kml(kml)
    rc = main(["coverage", "--households", f"{SAMPLE}:households", "--roads", f"{SAMPLE}:roads",
               "--places", str(kml), "--station-category", "加油站", "--out", str(tmp_path / "out")])
    text = capsys.readouterr()
    said = text.out + text.err
    assert rc != 0 and "Traceback" not in said
    assert "类别为 加油站 的重点场所" in said and "police 1" in said and "--station-category" in said


def test_uncovered_households_keep_the_labels_the_console_prints(tmp_path, capsys):
    """Before: coverage.gpkg masked the uncovered households' labels as householders' names
    (``320102900002（FID 6）`` → ``3*************** 6*``) while the console listed them in the
    clear: the list a station reads to find the buildings left out was unreadable."""
    from gridtool.cli import main
    kml = tmp_path / "重点场所.kml"
    write_ovital_kml(kml)
    out = tmp_path / "out"
    rc = main(["coverage", "--households", f"{SAMPLE}:households", "--roads", f"{SAMPLE}:roads",
               "--places", str(kml), "--minutes", "5", "--sites", "auto", "--candidates", "school",
               "--out", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert rc == 0
    unc = gpd.read_file(out / "coverage.gpkg", layer="uncovered_5min")
    assert len(unc) and not unc["name"].str.contains(r"\*").any()
    assert (unc["name"] == unc["village"] + "（" + unc["src_id"] + "）").all()
    line = next(s for s in printed.splitlines() if "无法在 5 分钟内到达" in s)
    assert unc["name"].iloc[0] in line


def test_a_formula_warning_shows_chinese_text_not_xml_references(tmp_path):
    """A system's export (here openpyxl's) stores 简要案情 formulas with Chinese written as XML
    character references; the warning quoted them as ``&#28857;&#25105;`` instead of 点我."""
    wb = Workbook()
    ws = wb.active
    ws.append(["报警时间", "警情类别", "简要案情", "经度", "纬度"])
    for p in _xuanwu_points(3):
        ws.append(["2026/3/5 21:40", "治安-盗窃", '=CONCATENATE("电动车","被盗")', round(p.x, 6), round(p.y, 6)])
    path = tmp_path / "警情.xlsx"
    wb.save(path)
    lyr = Project.from_sources({"incidents": str(path)}).layers["incidents"]
    warning = next(p for p in lyr.problems if p.code == "excel_uncalculated")
    assert '=CONCATENATE("电动车","被盗")' in warning.zh and "&#" not in warning.zh + warning.en


def test_every_team_asked_for_has_a_route_or_is_said_to_have_none(tmp_path, capsys):
    """Before: --teams 3 for the two markets printed routes for the teams used and nothing about
    the rest; the officer counting his cards could not tell whether a team had been lost."""
    import json

    from gridtool.cli import main
    out = tmp_path / "out"
    rc = main(["patrol", "--households", f"{SAMPLE}:households", "--roads", f"{SAMPLE}:roads",
               "--places", f"{SAMPLE}:places", "--place-category", "market", "--depot", "Wulaocun Police Station",
               "--teams", "3", "--shift", "120", "--out", str(out), "--no-save", "--quiet"])
    printed = capsys.readouterr().out
    assert rc == 0
    cards = json.loads((out / "patrol-cards.json").read_text(encoding="utf-8"))["cards"]
    used = {c["team"] for c in cards}
    assert cards and len(used) < 3  # two places cannot keep three teams busy
    note = next(s for s in printed.splitlines() if "没有排到巡逻点" in s)
    assert all(f"第{t}队（Wulaocun Police Station）" in note for t in {1, 2, 3} - used)
    assert "--teams" in note


def test_stations_listed_by_address_only_are_refused_with_the_ways_to_place_them(tmp_path, capsys):
    """A 派出所 lists its 警务室 by address; the command said only "no coordinate columns"."""
    from gridtool.cli import main
    sheet = tmp_path / "站点.csv"
    sheet.write_text("名称,地址,警力\n五老村派出所,南京市玄武区游府西街1号,3\n", encoding="utf-8")
    rc = main(["patrol", "--households", f"{SAMPLE}:households", "--roads", f"{SAMPLE}:roads",
               "--places", f"{SAMPLE}:places", "--stations", str(sheet), "--out", str(tmp_path / "out")])
    text = capsys.readouterr()
    said = text.out + text.err
    assert rc != 0 and "Traceback" not in said
    assert "只有地址的站点无法落图" in said and "--station-category police" in said and "站点.csv" in said
