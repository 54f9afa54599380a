"""Test data made at test time: a small Chongqing-like township in CGCS2000 / GK CM 108E."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import settings
from shapely.geometry import LineString, Point, box

# Property tests check behaviour, not speed: hypothesis's default 200 ms deadline per example is a
# timed assertion that fails on a loaded 2-core machine (a mobile-number mask once took longer).
settings.register_profile("gridtool", deadline=None)
settings.load_profile("gridtool")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GRIDTOOL_SHARED_DATA", REPO.parent / "shared" / "data"))
GK108 = "EPSG:4545"  # CGCS2000 / 3-degree Gauss-Kruger CM 108E (Chongqing)

# Real names and codes (Chongqing, from the China division list in shared/data/names).
VILLAGES = [("东方广场社区", "500101001001"), ("乌龙池社区", "500101001002")]


@pytest.fixture(scope="session")
def township() -> dict[str, gpd.GeoDataFrame]:
    """Two adjacent villages 1 km × 1 km, 60 household points, a road between them."""
    x0, y0 = 480_000.0, 3_265_000.0  # near 107.8E 29.5N
    villages = gpd.GeoDataFrame(
        {"名称": [n for n, _ in VILLAGES], "区划代码": [c for _, c in VILLAGES]},
        geometry=[box(x0, y0, x0 + 1000, y0 + 1000), box(x0 + 1000, y0, x0 + 2000, y0 + 1000)],
        crs=GK108)
    rng = np.random.default_rng(7)
    xs = x0 + 50 + rng.random(60) * 1900
    ys = y0 + 50 + rng.random(60) * 900
    households = gpd.GeoDataFrame(
        {"户编号": [f"H{i:03d}" for i in range(60)],
         "户主姓名": [f"张{i}" for i in range(60)],
         "户数": rng.integers(1, 12, 60),
         "联系电话": [f"1380000{i:04d}" for i in range(60)]},
        geometry=[Point(x, y) for x, y in zip(xs, ys)], crs=GK108)
    roads = gpd.GeoDataFrame(
        {"name": ["滨江路", "一号路"], "highway": ["primary", "residential"], "oneway": ["no", "-1"]},
        geometry=[LineString([(x0 + 1000, y0 - 100), (x0 + 1000, y0 + 1100)]),
                  LineString([(x0, y0 + 500), (x0 + 2000, y0 + 500)])], crs=GK108)
    return {"villages": villages, "households": households, "roads": roads}


@pytest.fixture
def written(tmp_path, township) -> dict[str, Path]:
    """The township written as a GeoPackage with one layer per role."""
    path = tmp_path / "township.gpkg"
    for role, gdf in township.items():
        gdf.to_file(path, layer=role, driver="GPKG")
    return {role: f"{path}:{role}" for role in township}


@pytest.fixture
def isolated_settings(tmp_path, monkeypatch) -> Path:
    """This test's own data folder (log, recovery copies) and Qt settings (recent files, the window's
    saved layout): no test opens a window as another test or the user left it."""
    QtCore = pytest.importorskip("PyQt6.QtCore")  # here: the suite runs without PyQt6 too
    d = tmp_path / "data"
    monkeypatch.setenv("GRIDTOOL_DATA_DIR", str(d))
    for fmt in (QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Format.NativeFormat):
        QtCore.QSettings.setPath(fmt, QtCore.QSettings.Scope.UserScope, str(d / "settings"))
    return d


@pytest.fixture
def window(qtbot, qapp, isolated_settings):
    """The app's main window with settings, log and recovery copies in a temporary folder
    (for pytest-qt tests, which skip themselves without PyQt6 and pytest-qt)."""
    from gridtool.ui import errors, fonts, i18n
    from gridtool.ui.main_window import MainWindow
    fonts.apply_app_font(qapp)
    i18n.set_language("zh")
    w = MainWindow(autosave=False)
    errors.install(w)
    w.jobs.on_error = errors.reporter().handle
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.jobs.cancel()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    w.session.set_project(None)
    w.close()
    w.deleteLater()
