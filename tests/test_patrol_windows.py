"""Patrol time windows: shifts and windows across midnight, windows that only touch the shift,
advice that makes must-visit places fit, waits marked on the route card, stop list and console,
and a team's card kept on one A4 page."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pypdf
import pytest
from shapely.geometry import Point

from gridtool.routing import build_graph, plan_patrol
from gridtool.routing.export import write_gpx, write_stops_csv
from gridtool.routing.tours import InfeasibleError

from .maps_data import make_project
from .patrol_data import patrol_town, write_layers
from .test_routing_graph import GK108, X0, Y0

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def t():
    return patrol_town()


@pytest.fixture(scope="module")
def walk(t):
    return build_graph(t["roads"], mode="walk")


def _places(rows):
    return gpd.GeoDataFrame([{k: v for k, v in r.items() if k != "xy"} for r in rows],
                            geometry=[Point(X0 + r["xy"][0], Y0 + r["xy"][1]) for r in rows], crs=GK108)


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def test_windows_past_midnight_are_on_the_shift_time_line():
    from gridtool.routing.shift_windows import parse_windows, windows_in_shift
    assert parse_windows("23:00-00:48") == [(1380, 1488)]
    assert windows_in_shift(parse_windows("23:00-00:48"), 22 * 60, 240) == [(60, 168)]
    assert windows_in_shift(parse_windows("01:00-01:40"), 22 * 60, 240) == [(180, 220)]
    # the 07:30-08:00 gate window ends as an 08:00 shift starts: nothing of it is in the shift
    assert windows_in_shift(parse_windows("07:30-08:00;16:30-17:30"), 8 * 60, 240) == []
    assert windows_in_shift(parse_windows("07:30-08:00"), 8 * 60 + 1, 240) == []


def test_night_shift_serves_places_and_hot_spots_busy_past_midnight(t, walk, tmp_path):
    """The reported case: at 22:00 for 240 minutes, hot spots busy 23:00-00:48 were "outside the
    shift" and the team went home at 23:09."""
    places = _places([
        {"name": "夜市路口", "category": "hotspot", "must": False, "prize": 300, "dwell": 12,
         "window": "23:00-00:48", "xy": (400, 500)},
        {"name": "酒吧街", "category": "market", "must": True, "window": "00:30-01:30", "xy": (700, 400)},
        {"name": "网吧", "category": "other", "must": True, "window": "01:00-01:40", "xy": (100, 650)}])
    plan = plan_patrol(walk, t["stations"], places, start="22:00", shift_minutes=240, time_limit=1.0)
    assert len(plan.unserved) == 0 and set(plan.stops["place"]) == {"夜市路口", "酒吧街", "网吧"}
    st = plan.stops.set_index("place")
    # printed as clock times of the next day, inside each window
    assert not any(a.startswith("24:") or a.startswith("25:") for a in plan.stops["arrive"])
    assert 0 <= _minutes(st.loc["网吧", "arrive"]) - 60 <= 40
    assert 30 <= _minutes(st.loc["酒吧街", "arrive"]) <= 90
    assert st.loc["夜市路口", "window"] == "23:00-00:48"
    assert plan.routes["end"].iloc[0] > "01:00" and plan.routes["end"].iloc[0] < "02:01"
    # the stop list and the GPX say the same times
    rows = list(csv.DictReader(open(write_stops_csv(tmp_path / "s.csv", plan.stops), encoding="utf-8-sig")))
    assert {r["地点"]: r["到达"] for r in rows}["网吧"] == st.loc["网吧", "arrive"]
    gpx = ET.parse(write_gpx(tmp_path / "s.gpx", plan.stops, plan.routes)).getroot()
    descs = [e.text for e in gpx.iter("{http://www.topografix.com/GPX/1/1}desc")]
    assert any(f"到达 {st.loc['网吧', 'arrive']}" in d for d in descs)


def test_window_touching_the_shift_start_is_outside_the_shift_with_a_start_that_works(t, walk):
    """The reported case: with the default 08:00 start, schools (gate windows 07:30-08:00 and
    16:30-17:30) made the plan fail with "时间窗 08:00-08:00 内排不下" and the advice to add teams."""
    schools = _places([{"name": "第一小学", "category": "school", "xy": (300, 105)},
                       {"name": "第二小学", "category": "school", "xy": (105, 500)}])
    plan = plan_patrol(walk, t["stations"], schools, start="08:00", time_limit=0.5)   # strict: no error
    assert set(plan.unserved["place"]) == {"第一小学", "第二小学"}
    assert set(plan.unserved["reason"]) == {"outside_shift"}
    why = plan.unserved["reason_zh"].iloc[0]
    assert "07:30-08:00;16:30-17:30" in why and "08:00–12:00" in why
    assert "未安排 2 处" in plan.summary("zh") and "08:00-08:00" not in plan.summary("zh")
    start = re.search(r"--start (\d\d:\d\d)", why).group(1)
    assert start < "07:30"
    # the advice works: from that start both schools are visited at their morning gate time
    moved = plan_patrol(walk, t["stations"], schools, start=start, time_limit=0.5)
    assert len(moved.unserved) == 0
    assert all("07:30" <= a <= "08:00" for a in moved.stops["arrive"])


def test_advice_for_must_visit_places_that_do_not_fit_is_a_change_that_helps(t, walk):
    far = _places([{"name": "远处银行", "category": "bank", "window": "08:00-08:03", "xy": (800, 800)}])
    with pytest.raises(InfeasibleError) as exc:
        plan_patrol(walk, t["stations"], far, start="08:00", time_limit=0.5)
    assert "增加队伍" not in exc.value.fix_zh and "--teams" not in exc.value.fix_zh
    start = re.search(r"--start 提前到 (\d\d:\d\d)", exc.value.fix_zh).group(1)
    plan = plan_patrol(walk, t["stations"], far, start=start, time_limit=0.5)   # following it works
    assert list(plan.stops["place"]) == ["远处银行"]
    # two banks due at the same ten minutes, far apart: one team cannot, two can
    both = _places([{"name": "东银行", "category": "bank", "window": "08:20-08:25", "dwell": 10, "xy": (800, 105)},
                    {"name": "西银行", "category": "bank", "window": "08:20-08:25", "dwell": 10, "xy": (5, 800)}])
    with pytest.raises(InfeasibleError) as exc:
        plan_patrol(walk, t["stations"], both, start="08:00", teams=1, time_limit=0.5)
    assert "--teams 2" in exc.value.fix_zh and "提前" not in exc.value.fix_zh
    plan = plan_patrol(walk, t["stations"], both, start="08:00", teams=2, time_limit=0.5)
    assert set(plan.stops["place"]) == {"东银行", "西银行"}


def test_waits_for_a_window_are_marked_on_card_stop_list_and_console(t, walk, tmp_path):
    places = _places([{"name": "菜市场", "category": "market", "must": True, "window": "09:00-09:30",
                       "xy": (400, 400)}])
    plan = plan_patrol(walk, t["stations"], places, start="08:00", time_limit=0.5)
    st = plan.stops.iloc[0]
    assert st["arrive"] == "09:00"
    travel = plan.tours.arrivals[0][0] / 60 - st["wait_min"]
    assert 45 < st["wait_min"] < 60 and 0 < travel < 15
    n = round(st["wait_min"])
    assert f"等候 {n} 分钟" in plan.summary("zh") and f"wait {n} min" in plan.summary("en")
    rows = list(csv.DictReader(open(write_stops_csv(tmp_path / "s.csv", plan.stops), encoding="utf-8-sig")))
    assert round(float(rows[0]["等候分钟"])) == n
    from gridtool.maps.cards import write_route_cards
    pdf = write_route_cards(make_project(), tmp_path / "c.pdf", cards=plan.route_cards(), from_project=False)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert f"等候 {n} 分钟" in text


def _card(n: int) -> dict:
    return {"team": 2, "station": "城南派出所", "mode": "walk", "mode_zh": "步行", "start": "20:00", "end": "23:50",
            "minutes": 230.0, "length_km": 10.6, "geometry": None,
            "stops": [{"seq": k + 1, "place": f"巡逻点{k + 1:02d}", "category_zh": "监控点", "arrive": "20:10",
                       "depart": "20:15", "dwell_min": 5.0, "must": False, "window": "", "wait_min": 0.0,
                       "xy": (X0 + 100 + 20 * k, Y0 + 300)} for k in range(n)]}


@pytest.mark.parametrize("n, pages", [(24, 1), (29, 1), (80, 2)])
def test_a_team_card_is_one_a4_page_unless_the_list_is_long(n, pages, tmp_path):
    """The reported case: team 2's 24 stops spilled two rows onto a second page."""
    from gridtool.maps.cards import write_route_cards
    pdf = write_route_cards(make_project(), tmp_path / "c.pdf", cards=[_card(n)], from_project=False)
    reader = pypdf.PdfReader(str(pdf))
    assert len(reader.pages) == pages
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert all(f"巡逻点{k + 1:02d}" in text for k in range(n))
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert f"巡逻点{min(n, 22):02d}" in first
    assert ("（续）" in text) == (pages > 1)


def test_night_patrol_command_runs_again_into_the_same_folder(t, tmp_path):
    """``gridtool patrol`` twice into one folder: the second run replaces its own stop list (it
    was refused as "not written by gridtool"), and a window past midnight is served."""
    places = _places([{"name": "酒吧街", "category": "market", "must": "是", "window": "00:30-01:30",
                       "xy": (700, 400)}])
    src = write_layers(tmp_path / "town.gpkg", {"roads": t["roads"], "places": places, "stations": t["stations"]})
    argv = [sys.executable, "-m", "gridtool", "patrol", *sum(([f"--{k}", v] for k, v in src.items()), []),
            "--start", "22:00", "--shift", "240", "--time-limit", "0.3", "--no-save", "--out", str(tmp_path / "out")]
    for _ in range(2):
        r = subprocess.run(argv, capture_output=True, text=True, encoding="utf-8", cwd=ROOT, timeout=600)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr and "不在班次" not in r.stdout
    rows = list(csv.DictReader(open(tmp_path / "out" / "patrol-stops.csv", encoding="utf-8-sig")))
    assert [r["地点"] for r in rows] == ["酒吧街"] and "00:30" <= rows[0]["到达"] <= "01:30"
