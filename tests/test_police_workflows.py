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
