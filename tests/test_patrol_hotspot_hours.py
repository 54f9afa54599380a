"""Hot spots are worth what they hold at the shift's hours of the day: a night shift goes to the
street of night-time fights before the busier street whose thefts are all at noon (Nanjing Xuanwu,
23:00 shift: the 01:00–03:00 hot spot of 23 fights was left out while noon hot spots were visited)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from gridtool.routing import build_graph, find_hotspots, plan_patrol
from gridtool.routing.patrol_options import incident_share_line

from .test_routing_graph import GK108, X0, Y0, town

NOON = (X0 + 100, Y0 + 600, 30, 13.0)   # near the station, busier, all around 13:00
NIGHT = (X0 + 700, Y0 + 300, 20, 0.0)   # farther, fewer, all around midnight


@pytest.fixture(scope="module")
def town_and_calls():
    t = town(n=9, step=100)
    rng = np.random.default_rng(5)
    pts, hours = [], []
    for cx, cy, k, hr in (NOON, NIGHT):
        for _ in range(k):  # both clusters lie along east-west streets (y on a multiple of 100)
            pts.append(Point(cx + rng.normal(0, 15), cy + rng.normal(0, 4)))
            hours.append((hr + rng.uniform(-0.4, 0.4)) % 24)
    calls = gpd.GeoDataFrame({"hour": hours, "type": ["治安-盗窃"] * NOON[2] + ["治安-打架斗殴"] * NIGHT[2]},
                             geometry=pts, crs=GK108)
    station = gpd.GeoDataFrame({"name": ["城关派出所"], "kind": ["police"]}, geometry=[Point(X0 + 5, Y0 + 400)],
                               crs=GK108)
    graph = build_graph(t["roads"], mode="walk")
    return graph, station, calls, find_hotspots(graph, calls)


def _spot(hs, where):
    return int(hs.spots.loc[hs.spots.distance(Point(where[:2])).idxmin(), "rank"])


def test_hot_spots_are_worth_their_calls_at_the_shift_hours(town_and_calls):
    _, _, _, hs = town_and_calls
    assert len(hs.spots) == 2
    noon, night = _spot(hs, NOON), _spot(hs, NIGHT)
    assert noon == 1   # the busier street ranks first over the whole day
    worth = {s: hs.patrol_places(start_minutes=23 * 60, shift_minutes=120).set_index("hotspot")["prize"][s]
             for s in (noon, night)}
    assert worth[night] > worth[noon]
    day = hs.patrol_places(start_minutes=12 * 60, shift_minutes=120).set_index("hotspot")["prize"]
    assert day[noon] > day[night]


def test_a_night_shift_with_room_for_one_stop_goes_to_the_night_hot_spot(town_and_calls):
    graph, station, _, hs = town_and_calls
    night = hs.spots.set_index("rank").loc[_spot(hs, NIGHT), "name"]
    noon = hs.spots.set_index("rank").loc[_spot(hs, NOON), "name"]
    plan = plan_patrol(graph, station, None, hotspots=hs, teams=1, shift_minutes=120, start="23:00",
                       max_stops=1, strict=False, time_limit=1.0)
    assert list(plan.stops["place"]) == [night]
    assert list(plan.unserved["place"]) == [noon]   # the other is named, not dropped silently
    day = plan_patrol(graph, station, None, hotspots=hs, teams=1, shift_minutes=120, start="12:00",
                      max_stops=1, strict=False, time_limit=1.0)
    assert list(day.stops["place"]) == [noon]


def test_the_share_line_counts_the_calls_at_the_shift_hours(town_and_calls):
    graph, station, calls, hs = town_and_calls
    plan = plan_patrol(graph, station, None, hotspots=hs, teams=1, shift_minutes=120, start="23:00",
                       max_stops=1, strict=False, time_limit=1.0)
    (zh, en), _ = incident_share_line(graph, station, None, plan, hs, calls, common={})
    at_night = int(((calls["hour"] >= 23) | (calls["hour"] < 1)).sum())
    assert at_night == NIGHT[2]
    assert f"其中班次时段 23:00–01:00 的 {at_night} 条：100%" in zh
    assert f"of the {at_night} at the shift's hours 23:00–01:00: 100%" in en
    # no times, no such clause
    (zh2, _), _ = incident_share_line(graph, station, None, plan, hs, calls.drop(columns="hour"), common={})
    assert "班次时段" not in zh2


def test_calls_without_times_keep_the_share_of_the_day(town_and_calls):
    graph, _, calls, _ = town_and_calls
    hs = find_hotspots(graph, calls.assign(hour=np.nan))
    places = hs.patrol_places(start_minutes=23 * 60, shift_minutes=120).set_index("hotspot")["prize"]
    share = hs.spots.set_index("rank")["share"]
    assert places.to_dict() == pytest.approx({r: 50 + share[r] * 120 for r in share.index})
    assert pd.notna(places).all()
