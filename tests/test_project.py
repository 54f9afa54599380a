"""The project GeoPackage: round trip, atomic saves, version guard, inputs never overwritten."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
import pyogrio
import pytest

from gridtool.errors import OverwriteInputError, ProjectError, ProjectVersionError
from gridtool.project import FORMAT_VERSION, Project, _write_gdf
from gridtool.validate import validate


def test_round_trip_keeps_layers_crs_metadata_and_sensitive_flags(tmp_path, written):
    project = Project.from_sources(written, name="东方广场")
    validate(project)
    out = project.save(tmp_path / "out" / "project.gpkg")
    # Opens as a plain GeoPackage in other programs (QGIS reads it through GDAL like this).
    layers = dict(pyogrio.list_layers(out))
    assert {"households", "villages", "roads", "gridtool_meta"} <= set(layers)
    assert layers["households"] == "Point"
    back = Project.open(out)
    assert back.name == "东方广场"
    assert back.crs.equals(project.crs) and "108E" in back.crs.name
    assert back.user_crs == "EPSG:4545"
    assert list(back.layers["villages"].gdf["name"]) == ["东方广场社区", "乌龙池社区"]
    assert back.layers["households"].total_households == project.layers["households"].total_households
    assert back.layers["households"].sensitive == {"户主姓名": "name", "联系电话": "phone"}
    assert back.layers["villages"].columns_used == {"name": "名称", "code": "区划代码"}
    assert len(back.problems) == len(project.problems)


def test_interrupted_save_leaves_previous_file_intact(tmp_path, written):
    project = Project.from_sources(written)
    target = tmp_path / "project.gpkg"
    project.save(target)
    before = target.read_bytes()
    calls = []

    def dies_after_one_layer(gdf, path, layer):
        if calls:
            raise OSError(28, "No space left on device")
        calls.append(layer)
        _write_gdf(gdf, path, layer)

    project.name = "changed"
    with pytest.raises(ProjectError) as info:
        project.save(target, _write_layer=dies_after_one_layer)
    # A plain message in both languages, not the driver's text.
    assert "磁盘空间不足" in str(info.value) and "the disk is full" in str(info.value)
    assert target.read_bytes() == before
    assert Project.open(target).name != "changed"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "township.gpkg") == ["project.gpkg"]


def test_save_killed_mid_write_leaves_previous_file_intact(tmp_path, written):
    """A process killed (power cut, task manager) in the middle of a save."""
    target = tmp_path / "project.gpkg"
    Project.from_sources(written).save(target)
    before = target.read_bytes()
    script = textwrap.dedent(f"""
        import time, sys
        from gridtool.project import Project, _write_gdf
        p = Project.from_sources({dict(written)!r})
        def slow(gdf, path, layer):
            _write_gdf(gdf, path, layer)
            print("WROTE", layer, flush=True)
            time.sleep(30)
        p.save({str(target)!r}, _write_layer=slow)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("WROTE")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert target.read_bytes() == before
    assert Project.open(target).layers["households"].total_households > 0


def test_newer_project_version_is_refused(tmp_path, written):
    target = Project.from_sources(written).save(tmp_path / "p.gpkg")
    with sqlite3.connect(target) as con:
        con.execute("UPDATE gridtool_meta SET value=? WHERE key='format_version'",
                    (json.dumps(FORMAT_VERSION + 1),))
    with pytest.raises(ProjectVersionError) as info:
        Project.open(target)
    assert "newer" in str(info.value) and "升级" in str(info.value)


def test_plain_geopackage_is_not_taken_for_a_project(written):
    path = written["villages"].split(":")[0]
    with pytest.raises(ProjectError) as info:
        Project.open(path)
    assert "gridtool import" in str(info.value)


def test_inputs_are_never_overwritten(tmp_path, written):
    project = Project.from_sources(written)
    src = written["villages"].split(":")[0]
    before = open(src, "rb").read()
    with pytest.raises(OverwriteInputError):
        project.save(src)
    assert open(src, "rb").read() == before
    with pytest.raises(ProjectError):
        project.save(tmp_path / "project.shp")


def test_dem_is_kept_in_the_project(tmp_path, written):
    import rasterio
    from rasterio.transform import from_origin
    dem_path = tmp_path / "dem.tif"
    arr = (np.arange(100, dtype=np.float32).reshape(10, 10) + 300.0)
    with rasterio.open(dem_path, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32",
                       crs="EPSG:4545", transform=from_origin(480_000, 3_266_000, 200, 200)) as ds:
        ds.write(arr, 1)
    project = Project.from_sources(written, dem=str(dem_path))
    out = project.save(tmp_path / "p.gpkg")
    back = Project.open(out)
    assert back.dem is not None
    np.testing.assert_array_equal(back.dem.array, arr)
    assert back.summary()["dem"]["max"] == pytest.approx(399.0)
    with pytest.raises(OverwriteInputError):
        project.save(dem_path)


def test_loading_reports_progress_and_can_be_cancelled(written):
    from gridtool.errors import CancelledError
    seen = []
    Project.from_sources(written, progress=lambda f, msg: seen.append((f, msg)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("households" in msg for _, msg in seen)
    calls = iter([False, True])
    with pytest.raises(CancelledError):
        Project.from_sources(written, cancelled=lambda: next(calls))
