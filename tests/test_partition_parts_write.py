"""A batch run's chunk files are written without an fsync per SQLite commit, yet stay as durable.

The chunk GeoPackages of ``gridtool partition --workers/--out-dir`` are written under GDAL's
``OGR_SQLITE_SYNCHRONOUS=OFF`` (:func:`gridtool.atomic.unsynced_sqlite`): the finished temporary
file is fsynced once and renamed into place, the setting is put back for every other write, also
when the write fails, and nothing half-written is ever taken for a finished chunk.
"""

from __future__ import annotations

import os

import geopandas as gpd
import pyogrio
import pytest
import shapely

from gridtool.atomic import WriteError
from gridtool.partition import parts


def _piece(n: int = 40) -> dict:
    grids = gpd.GeoDataFrame({"code": ["500101001001-001"], "hh": [400]},
                             geometry=[shapely.box(0, 0, 100, 100)], crs="EPSG:4545")
    homes = gpd.GeoDataFrame({"hh": [10] * n, "grid": ["500101001001-001"] * n},
                             geometry=shapely.points([(i * 2.0, 50.0) for i in range(n)]), crs="EPSG:4545")
    return {"layers": {"grids": grids, "households": homes}, "report": {"plan": {"grids": 1}},
            "failures": [], "village_times": [], "run": {"chunk": "500101001"}}


def _synchronous():
    return pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS")


def test_a_chunk_file_reads_back_whole_is_fsynced_before_it_is_renamed_and_leaves_the_setting(tmp_path, monkeypatch):
    synced, seen = [], []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}") if os.path.exists(f"/proc/self/fd/{fd}") else fd)
        return real_fsync(fd)

    real_write = pyogrio.write_dataframe

    def write(*args, **kwargs):  # what GDAL sees while the chunk's layers are written
        seen.append(_synchronous())
        return real_write(*args, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(pyogrio, "write_dataframe", write)
    before = _synchronous()
    parts.write(tmp_path, "500101001", "digest-1", _piece())

    assert seen == [False, False]  # both layers written without a sync per commit
    assert _synchronous() == before  # a project saved afterwards is synced as before
    gpkg, _ = parts.paths(tmp_path, "500101001")
    assert any(str(p).endswith(".tmp.gpkg") for p in synced)  # the whole file, once, before the rename
    meta = parts.done(tmp_path, "500101001", "digest-1")
    back = parts.read(tmp_path, "500101001", meta)
    assert len(back["layers"]["households"]) == 40 and back["layers"]["households"]["hh"].sum() == 400
    assert back["layers"]["grids"]["code"].tolist() == ["500101001001-001"]
    assert not list(tmp_path.glob("*.tmp.gpkg*"))


def test_a_failed_chunk_write_puts_the_setting_back_and_leaves_no_finished_chunk(tmp_path, monkeypatch):
    real_write = pyogrio.write_dataframe
    calls = []

    def write(df, path, layer=None, **kwargs):  # the disk fills up at the second layer
        calls.append(layer)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write(df, path, layer=layer, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", write)
    before = _synchronous()
    with pytest.raises(WriteError, match="磁盘空间不足"):  # told plainly, as every full disk is
        parts.write(tmp_path, "500101001", "digest-1", _piece())
    assert _synchronous() == before
    assert parts.done(tmp_path, "500101001", "digest-1") is None  # computed again by --resume
    assert not list(tmp_path.glob("*.gpkg*"))
