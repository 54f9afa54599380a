"""A 110 接处警 export whose summary column writes times without the year (``11月3日21时``), mixed
with full dates and Excel serials in one column, as a station's sheet has them.

Before: every year-less row was "时间无法识别" and left out of the peak hours, so a third of a
night's calls vanished from the hot spots' 高发时段 (and the peak named could be a morning one)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from openpyxl import Workbook

from gridtool.incidents import parse_times
from gridtool.project import Project
from gridtool.routing.hotspots import peak_hours
from gridtool.validate import validate

LON, LAT = 118.7905, 32.0535  # Nanjing Xuanwu


def _sheet(path, times):
    wb = Workbook()
    ws = wb.active
    ws.append(["警情编号", "报警时间", "警情类别", "简要警情", "经度", "纬度"])
    for i, t in enumerate(times):
        ws.append([f"J{i:04d}", t, "盗窃", "电动车被盗", LON + 0.0003 * (i % 9), LAT + 0.0002 * (i % 7)])
    wb.save(path)


def test_year_less_times_count_for_the_peak_hours_and_the_year_assumed_is_stated(tmp_path):
    # the dated rows are spread over the day; the summary's year-less rows are the night's calls
    dated = [f"2026/11/{d:02d} {h:02d}:10" for d, h in zip(range(1, 9), (8, 9, 10, 11, 14, 15, 16, 17))]
    serial = [(datetime(2026, 11, 12, 9, 30) - datetime(1899, 12, 30)).total_seconds() / 86400]
    night = [f"11月{d}日{h}时{m}分" for d, h, m in zip(range(3, 13), [21, 22] * 5, range(0, 50, 5))]
    path = tmp_path / "110警情.xlsx"
    _sheet(path, dated + serial + night + ["晚上"])
    proj = Project.from_sources({"incidents": str(path)})
    gdf = proj.layers["incidents"].gdf
    assert gdf["time"].iloc[9] == pd.Timestamp("2026-11-03 21:00")
    assert gdf["hour"].iloc[9:19].notna().all()
    assert peak_hours(gdf["hour"].to_numpy())[0] == "21:00-23:00"   # before: 08:00-10:00 from the dated rows alone
    by_code = {p.code: p for p in validate(proj)}
    said = by_code["incident_time_no_year"]
    assert "10 条" in said.zh and "2026 年" in said.zh and "11月3日21时0分" in said.zh and said.fix_zh
    assert said.features == [f"row {r}" for r in range(11, 21)]       # the Excel rows (header is row 1)
    assert by_code["incident_time_unreadable"].features == ["row 21"]  # only 晚上 is unreadable


def test_year_less_dates_take_the_year_nearest_the_sheet_and_impossible_ones_stay_unread():
    # a sheet spanning New Year: 12月30日 is last year's, 1月2日 this year's
    times, hours = parse_times(pd.Series(["2026/01/03 21:14", "2025-12-28 20:00", "12月30日23时", "1月2日 1:30",
                                          "2月30日3时", "11月3日"]))
    assert list(times.iloc[2:4]) == [pd.Timestamp("2025-12-30 23:00"), pd.Timestamp("2026-01-02 01:30")]
    assert pd.isna(times.iloc[4]) and pd.isna(hours.iloc[4])   # no such day: unreadable, not a guess
    assert times.iloc[5] == pd.Timestamp("2025-11-03") and pd.isna(hours.iloc[5])  # a date without a clock time
    # no dated row at all: the date stays unknown, the clock time still counts
    times, hours = parse_times(["11月3日21时", "3月1日 8:15"])
    assert times.isna().all() and list(hours) == [21.0, 8.25]
