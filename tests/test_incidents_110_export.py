"""A 110 接处警 export as a 派出所 duty officer feeds it: a title row above the header, a 合计 row
at the end, BD-09 coordinates with many rows never located (empty, 0/0) and a few typed latitude
first."""

from __future__ import annotations

from datetime import datetime

import pytest
from openpyxl import Workbook

from gridtool.io.table_rows import is_total_cell, swapped_rows, zero_rows
from gridtool.project import Project

# Nanjing Xuanwu, BD-09
LON, LAT = 118.7905, 32.0535


def write_110_export(path, *, placed=12, zeros=5, empty=4, swapped=1):
    """The workbook and its Excel row numbers by kind (row 1 title, row 2 header)."""
    wb = Workbook()
    ws = wb.active
    ws.append(["某某派出所警情统计表 2026年11月"])
    ws.merge_cells("A1:I1")
    ws.append(["警情编号", "接警时间", "警情类别", "简要警情", "发案地址", "报警人", "联系电话", "经度", "纬度"])
    rows = {"placed": [], "zero": [], "empty": [], "swapped": []}
    times = [datetime(2026, 11, 6, 23, 45), "2026/11/6 23:45", "2026年11月6日23时45分"]
    kinds = ["placed"] * placed + ["zero"] * zeros + ["empty"] * empty + ["swapped"] * swapped
    for i, kind in enumerate(kinds):
        lon, lat = LON + 0.0004 * (i % 7), LAT + 0.0003 * (i % 5)
        xy = {"placed": (lon, lat), "zero": (0, 0) if i % 2 else ("0", "0"), "empty": (None, None),
              "swapped": (lat, lon)}[kind]
        ws.append([f"32010220261106{i + 1:04d}", times[i % 3], "治安-盗窃", f"报警人张伟称电动车被盗，电话1381234{i:04d}",
                   f"中山路{i + 1}号", "张伟", f"1381234{i:04d}", *xy])
        rows[kind].append(ws.max_row)
    ws.append(["合计", None, None, None, None, None, None, None, None])
    rows["total"] = [ws.max_row]
    wb.save(path)
    return rows


def test_zero_and_swapped_rows_do_not_sink_the_whole_table(tmp_path):
    """Before: 0,0 rows (and swapped ones) widened the layer's bounds to 0…119, so the whole sheet
    failed to load as 'coordinates look like metres'; the 合计 row counted as a row without
    coordinates. Now zeros are skipped and named, swapped rows exchanged and named, 合计 dropped."""
    path = tmp_path / "警情.xlsx"
    rows = write_110_export(path)
    lyr = Project.from_sources({"incidents": str(path)}, crs_in="bd09").layers["incidents"]
    assert len(lyr.gdf) == 12 + 1
    by_code = {p.code: p for p in lyr.problems}
    assert by_code["zero_coordinates"].features == [f"row {r}" for r in rows["zero"]]
    assert by_code["bad_coordinates"].features == [f"row {r}" for r in rows["empty"]]
    assert by_code["lonlat_swapped_rows"].features == [f"row {r}" for r in rows["swapped"]]
    assert by_code["totals_row"].features == [f"row {r}" for r in rows["total"]]
    assert "0,0" in by_code["zero_coordinates"].zh and by_code["zero_coordinates"].fix_zh
    # the swapped row lies among the others once exchanged
    xs = lyr.gdf.to_crs(4326).geometry.x
    assert xs.between(118.7, 118.9).all()


def test_row_helpers():
    import pandas as pd
    assert is_total_cell("合 计") and is_total_cell("总计：") and not is_total_cell("合计路1号")
    x = pd.Series([118.79, 118.80, 32.05, 0.0, 118.81, 118.78, None])
    y = pd.Series([32.05, 32.06, 118.79, 0.0, 32.04, 32.05, 32.0])
    assert list(zero_rows(x, y)) == [3]
    assert list(swapped_rows(x.mask(x == 0), y.mask(y == 0))) == [2]
    # a table in metres is never "swapped"
    assert not len(swapped_rows(x * 1e4, y * 1e4))


@pytest.mark.parametrize("text, name", [
    ("报警人张伟称在店内发生交通-事故，电话13812348920", "张伟"),
    ("事主李娜反映其电动车被盗", "李娜"),
    ("报案人欧阳娜娜报称手机被盗", "欧阳娜娜"),
])
def test_caller_names_in_the_brief_are_masked_by_content(text, name):
    """简要警情 names its caller as 报警人张伟称…: before, the run 张伟称在店内发生交通 was no name and
    every export (HTML popups, CSV, cards) showed the caller's name beside the masked phone."""
    from gridtool.maps.privacy import mask_text
    masked = mask_text(text)
    assert name not in masked and name[0] in masked
    assert "13812348920" not in masked
    assert mask_text("名称：人民中学，王家湾村，报警人称在中山路被盗") == "名称：人民中学，王家湾村，报警人称在中山路被盗"


def test_every_line_states_rows_in_as_placed_plus_not_placed(tmp_path):
    """Before: the hot-spot line (console and HTML map) said '警情 13 条' for a sheet of 22 calls;
    the 9 never located were only in import's warnings. Now the line, kept in the project for
    the map, says 22 = 13 + 9 and why."""
    import geopandas as gpd

    from gridtool.routing.hotspots import HotSpots, headline, unplaced_counts
    path = tmp_path / "警情.xlsx"
    write_110_export(path)
    lyr = Project.from_sources({"incidents": str(path)}, crs_in="bd09").layers["incidents"]
    counts = unplaced_counts(lyr.problems)
    assert counts == {"bad_coordinates": 4, "zero_coordinates": 5}
    spots = gpd.GeoDataFrame({"incidents": [6]}, geometry=lyr.gdf.geometry[:1].to_numpy(), crs=lyr.gdf.crs)
    zh, en = headline(spots, total=len(lyr.gdf), unplaced=counts)
    assert "警情 22 条 = 落图 13 + 未落图 9（坐标为空 4、坐标为 0,0 5" in zh and "占落图的 46%" in zh
    assert "incidents: 22 = 13 placed + 9 not placed" in en
    hs = HotSpots(spots, spots.iloc[:0], lyr.gdf, total=13, on_network=13, bandwidth=150, radius=75,
                  unplaced=counts)
    kept = hs.record()  # what the project keeps for the HTML map's line
    assert kept["unplaced"] == counts
    assert headline(spots, **kept)[0].startswith("警情 22 条 = 落图 13 + 未落图 9")
