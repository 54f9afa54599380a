"""One incident on several rows of a 警情 export (exported twice, one row per person) counts once;
the hot spots layer says why a hot spot was not visited; off-hours hot spots rank as optional places."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from gridtool.incidents_unplaced import equation
from gridtool.layers import load_layer
from gridtool.routing import build_graph, find_hotspots, plan_patrol
from gridtool.routing.hotspots import headline

from .test_patrol_hotspot_hours import NIGHT, NOON, _spot, town_and_calls  # noqa: F401
from .test_routing_graph import GK108, X0, Y0

HEAD = "序号,案件编号,报警时间,警情类别,经度,纬度\n"


def _sheet(tmp_path, rows, head=HEAD):
    p = tmp_path / "警情.csv"
    p.write_text(head + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def test_rows_of_one_case_at_one_time_and_place_count_once(tmp_path):
    rows = [
        "1,J001,2024-03-05 21:30,治安-盗窃,118.790000,32.050000",
        "2,J001,2024-03-05 21:30,治安-盗窃,118.790020,32.050010",   # ~2.5 m away: exported twice
        "3,J001,2024-03-05 21:30,治安-盗窃,118.790000,32.050000",   # one row per person involved
        "4,J002,2024-03-06 10:00,纠纷,118.791000,32.051000",
        "5,J002,2024-03-07 15:00,纠纷,118.791000,32.051000",         # same number, another day: kept
        "6,J003,2024-03-06 11:00,纠纷,118.792000,32.052000",
        "7,J003,2024-03-06 11:00,纠纷,118.799000,32.052000",         # same number, 660 m away: kept
        "8,J004,2024-03-06 12:00,刑事,118.793000,32.053000",
        "9,,2024-03-06 12:00,刑事,,",                                 # no coordinates
    ]
    lyr = load_layer("incidents", str(_sheet(tmp_path, rows)))
    assert len(lyr.gdf) == 6
    assert sorted(lyr.gdf["src_id"]) == sorted(["row 2", "row 5", "row 6", "row 7", "row 8", "row 9"])
    merged = [p for p in lyr.problems if p.code == "incidents_merged"]
    assert len(merged) == 1 and merged[0].features == ["row 3", "row 4"]
    assert "案件编号" in merged[0].zh and "J001" in merged[0].zh and "警情.csv" in merged[0].format("zh")
    assert "J001" in merged[0].en
    zh, en = equation(len(lyr.gdf), lyr.problems)
    assert zh.startswith("警情 9 条 = 落图 6 + 未落图 1") and "重复合并 2" in zh
    assert en.startswith("incidents: 9 = 6 placed + 1 not placed") and "2 merged" in en


def test_rows_kept_under_one_number_are_still_named_by_validate(tmp_path):
    from gridtool.project import Project
    from gridtool.validate import validate
    rows = ["1,J002,2024-03-06 10:00,纠纷,118.791000,32.051000",
            "2,J002,2024-03-07 15:00,纠纷,118.791000,32.051000",
            "3,J002,2024-03-07 15:00,纠纷,118.791000,32.051000"]
    lyr = load_layer("incidents", str(_sheet(tmp_path, rows)))
    assert len(lyr.gdf) == 2
    problems = validate(Project(layers={"incidents": lyr}))
    dup = [p for p in problems if p.code == "duplicate_id"]
    assert len(dup) == 1 and dup[0].features == ["row 2", "row 3"] and "时间或地点不同" in dup[0].fix_zh


def test_without_a_case_number_exact_copies_are_one_incident(tmp_path):
    head = "报警时间,警情类别,经度,纬度\n"
    rows = ["2024-03-05 21:30,治安-盗窃,118.790000,32.050000",
            "2024-03-05 21:30,治安-盗窃,118.790000,32.050000",
            "2024-03-05 21:30,治安-盗窃,118.790020,32.050000"]   # moved 2 m: not an exact copy
    lyr = load_layer("incidents", str(_sheet(tmp_path, rows, head)))
    assert len(lyr.gdf) == 2
    merged = [p for p in lyr.problems if p.code == "incidents_merged"]
    assert merged[0].features == ["row 3"] and "没有警情编号列" in merged[0].zh


def test_hot_spots_count_a_repeated_incident_once():
    from gridtool.incidents_dupes import merge_repeated
    from .test_routing_graph import town
    rng = np.random.default_rng(3)
    pts = [Point(X0 + 300 + rng.normal(0, 10), Y0 + 300 + rng.normal(0, 3)) for _ in range(8)]
    calls = gpd.GeoDataFrame({"案件编号": [f"J{i}" for i in range(8)],
                              "time": pd.date_range("2024-03-05 21:00", periods=8, freq="D")},
                             geometry=pts, crs=GK108)
    doubled = pd.concat([calls, calls.iloc[:5]], ignore_index=True)   # five exported twice
    doubled["src_id"] = [f"row {i + 2}" for i in range(len(doubled))]
    kept, problem = merge_repeated(doubled)
    assert len(kept) == 8 and len(problem.features) == 5
    graph = build_graph(town(n=7, step=100)["roads"], mode="walk")
    hs = find_hotspots(graph, kept, significance=None)
    hs.merged = len(problem.features)
    assert int(hs.spots["incidents"].sum()) == 8
    zh, en = headline(hs.spots, **hs.record())
    assert zh.startswith("警情 13 条 = 落图 8 + 未落图 0 + 重复合并 5")
    assert en.startswith("incidents: 13 = 8 placed + 0 not placed + 5 merged")


def test_off_hours_hot_spots_rank_as_optional_places(town_and_calls):  # noqa: F811
    graph, station, _, hs = town_and_calls
    noon, night = _spot(hs, NOON), _spot(hs, NIGHT)
    worth = hs.patrol_places(start_minutes=23 * 60, shift_minutes=120).set_index("hotspot")["prize"]
    assert worth[noon] == pytest.approx(10)        # a priority-1 place: no calls at these hours
    assert worth[night] > 50
    # a key place of priority 2 beside the noon hot spot: a 23:00 shift with two stops takes it
    place = gpd.GeoDataFrame({"name": ["便利店"], "category": ["shop"], "priority": [2]},
                             geometry=[Point(NOON[0] + 40, NOON[1])], crs=GK108)
    plan = plan_patrol(graph, station, place, hotspots=hs, teams=1, shift_minutes=120, start="23:00",
                       max_stops=2, strict=False, time_limit=1.0)
    names = hs.spots.set_index("rank")["name"]
    assert set(plan.stops["place"]) == {names[night], "便利店"}


def test_the_hotspots_layer_says_why_a_hot_spot_was_not_visited(town_and_calls):  # noqa: F811
    graph, station, _, hs = town_and_calls
    plan = plan_patrol(graph, station, None, hotspots=hs, teams=1, shift_minutes=120, start="23:00",
                       max_stops=1, strict=False, time_limit=1.0)
    spots = plan.hotspots.set_index("rank")
    noon = _spot(hs, NOON)
    reason = plan.unserved.set_index("place").loc[spots.loc[noon, "name"], "reason_zh"]
    assert spots.loc[noon, "team"] == 0 and spots.loc[noon, "not_visited"] == reason and reason
    assert spots.loc[_spot(hs, NIGHT), "not_visited"] == ""


ADDR_HEAD = "序号,案件编号,报警时间,警情类别,发案地址,经度,纬度\n"


def test_rows_without_coordinates_of_one_case_count_once(tmp_path):
    """Before: two rows of one case without coordinates (exported twice) were both counted in
    未落图, and a 0,0 row of a case already on the map counted again. Now they are merged by case
    number, time and address, said in the same warning, and every total adds up."""
    from gridtool.routing.patrol_options import select_incidents
    rows = [
        "1,J001,2024-03-05 21:30,治安-盗窃,中山路12号,118.790000,32.050000",
        "2,J009,2024-03-05 22:30,治安-盗窃,中山路14号,,",
        "3,J009,2024-03-05 22:30,治安-盗窃,中山路 14 号,,",        # exported twice, no coordinates
        "4,J001,2024-03-05 21:30,治安-盗窃,中山路12号附近,0,0",     # the placed case again, at 0,0
        "5,J010,2024-03-05 22:30,刑事,中山路15号,,",
        "6,J010,2024-03-05 22:30,刑事,中山路16号,,",               # same number, another address: kept
        "7,J011,2024-03-06 08:00,治安-纠纷,建设路1号,118.791000,32.051000",
    ]
    lyr = load_layer("incidents", str(_sheet(tmp_path, rows, ADDR_HEAD)))
    assert sorted(lyr.unlocated["src_id"]) == ["row 3", "row 6", "row 7"]
    merged = [p for p in lyr.problems if p.code == "incidents_merged"]
    assert len(merged) == 1 and merged[0].features == ["row 4", "row 5"]
    assert "J009" in merged[0].zh and "2 行没有坐标" in merged[0].zh and "without coordinates" in merged[0].en
    assert not any(p.code == "zero_coordinates" for p in lyr.problems)   # its one row was merged
    empty = next(p for p in lyr.problems if p.code == "bad_coordinates")
    assert empty.features == ["row 3", "row 6", "row 7"] and empty.zh.startswith("3 行")
    zh, en = equation(len(lyr.gdf), lyr.problems)
    assert zh.startswith("警情 7 条 = 落图 2 + 未落图 3") and "重复合并 2" in zh
    assert en.startswith("incidents: 7 = 2 placed + 3 not placed") and "2 merged" in en
    # the category's line adds its merged rows: 治安 has 5 rows in the sheet = 2 placed + 1 + 2 merged
    _, _, lines = select_incidents(lyr, lyr.gdf, "治安")
    assert "警情 7 条 = 落图 2 + 未落图 3 + 重复合并 2" in lines[0][0]
    assert lines[1][0].strip() == "类别 治安：警情 5 条 = 落图 2 + 未落图 1 + 重复合并 2"
    assert lines[1][1].strip() == "categories 治安: incidents 5 = 2 placed + 1 not placed + 2 merged"


def test_rows_placed_by_address_are_merged_with_their_twin_and_the_saved_project_counts_them(tmp_path):
    """Before: a row placed later by its address was not checked, so a case with coordinates and
    its row without (another address text for the same door) or two rows placed at one door
    counted twice on the map. Now the same number and time within 10 m counts once, and a saved
    project's --category line still adds up."""
    from gridtool.project import Project
    from gridtool.routing.patrol_options import select_incidents
    lon, lat = 118.790000, 32.050000
    pd.DataFrame({"户主": ["王明"], "地址": ["中山路13号"], "户数": 1, "经度": [lon], "纬度": [lat]}).to_csv(
        tmp_path / "住户.csv", index=False)
    pd.DataFrame({"名称": ["便民超市"], "类别": ["商店"], "经度": [lon + 0.00002], "纬度": [lat]}).to_csv(
        tmp_path / "场所.csv", index=False)
    rows = [
        f"1,J101,2024-03-05 21:30,治安-盗窃,中山路13号楼下空地,{lon},{lat}",
        "2,J101,2024-03-05 21:30,治安-盗窃,中山路13号,,",          # placed at the same door: merged
        "3,J102,2024-03-05 23:00,治安-纠纷,中山路13号,,",
        "4,J102,2024-03-05 23:00,治安-纠纷,便民超市,,",             # 2 m from 中山路13号: merged
        "5,J103,2024-03-06 09:00,治安-纠纷,中山路13号,,",          # another case at that door: kept
        "6,J104,2024-03-06 10:00,刑事,人民路1号,,",                 # no address found: not placed
    ]
    sources = {"incidents": str(_sheet(tmp_path, rows, ADDR_HEAD)), "households": str(tmp_path / "住户.csv"),
               "places": str(tmp_path / "场所.csv")}
    lyr = Project.from_sources(sources).layers["incidents"]
    assert sorted(lyr.gdf["src_id"]) == ["row 2", "row 4", "row 6"]
    merged = next(p for p in lyr.problems if p.code == "incidents_merged")
    assert merged.features == ["row 3", "row 5"] and "J101" in merged.zh and "J102" in merged.zh
    by_address = next(p for p in lyr.problems if p.code == "placed_by_address")
    assert by_address.features == ["row 4", "row 6"]
    zh, _ = equation(len(lyr.gdf), lyr.problems)
    assert zh.startswith("警情 6 条 = 落图 3（其中按地址 2）+ 未落图 1") and "重复合并 2" in zh
    want = "类别 治安：警情 5 条 = 落图 3 + 未落图 0 + 重复合并 2"
    assert select_incidents(lyr, lyr.gdf, "治安")[2][1][0].strip() == want
    # saved and opened again: the merged rows keep their categories
    p = Project.from_sources(sources)
    p.save(tmp_path / "p.gpkg")
    again = Project.open(tmp_path / "p.gpkg").layers["incidents"]
    assert select_incidents(again, again.gdf, "治安")[2][1][0].strip() == want
    assert equation(len(again.gdf), again.problems)[0] == zh
