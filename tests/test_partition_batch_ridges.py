"""Batch partition with a DEM: the client traces each chunk's ridge lines and sends them with the
chunk (:mod:`gridtool.partition.batch_ridges`), so ``--workers 2``, ``--by`` and ``--out-dir`` draw
the plan one fit draws, keep the ``ridges`` layer, and ``--resume`` redoes exactly the chunks whose
ridges a changed DEM moved. Two townships of one two-valley village each (``test_partition_ridge_lines``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from affine import Affine

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
from partition_identity import compare_snapshots, snapshot  # noqa: E402
from test_partition_ridge_lines import CELL, GK108, X0, Y0, _layers  # noqa: E402

from gridtool.io.dem import Dem  # noqa: E402
from gridtool.layers import Layer  # noqa: E402
from gridtool.partition.batch import BatchPartitioner  # noqa: E402
from gridtool.partition.engine import GridPartitioner  # noqa: E402
from gridtool.project import Project  # noqa: E402

PARAMS = {"min_hh": 300, "max_hh": 500, "corridor_width": 0}


def _two_townships() -> dict[str, gpd.GeoDataFrame]:
    """双河村 (township 500101001) and 石桥村 (500101002) east of it: 880 households each, in a
    south and a north valley."""
    a = _layers()
    b = {role: g.copy() for role, g in a.items()}
    for g in b.values():
        g.geometry = g.geometry.translate(1200, 0)
    b["villages"]["name"], b["villages"]["code"] = ["石桥村"], ["500101002001"]
    return {role: gpd.GeoDataFrame(pd.concat([a[role], b[role]], ignore_index=True), crs=GK108) for role in a}


def _dem(east: float = 500.0) -> Dem:
    """Valleys at 800 m and a ridge along y = 240–360 m: 500 m high under 双河村, ``east`` m
    under 石桥村 (30 m cells)."""
    y = Y0 + 900 - (np.arange(40) + 0.5) * CELL
    ridge = np.abs(y - (Y0 + 300)) <= 60
    west_z, east_z = np.where(ridge, 1300.0, 800.0), np.where(ridge, 800.0 + east, 800.0)
    arr = np.concatenate([np.tile(west_z[:, None], (1, 50)), np.tile(east_z[:, None], (1, 50))], axis=1)
    return Dem(arr.astype(np.float32), Affine(CELL, 0, X0 - 300, 0, -CELL, Y0 + 900), GK108, "山区高程.tif")


def _project(dem: Dem) -> Project:
    layers = _two_townships()
    p = Project(name="双河", crs=layers["villages"].crs)
    for role, gdf in layers.items():
        p.layers[role] = Layer(role=role, gdf=gdf)
    p.dem = dem
    return p


def _one_valley_each(grids: gpd.GeoDataFrame, households: gpd.GeoDataFrame) -> bool:
    y = shapely.get_coordinates(households.geometry.values)[:, 1] - Y0
    g = households["grid"].astype(str).to_numpy()
    return all((y[g == c] < 300).all() or (y[g == c] > 300).all() for c in grids["code"])


def test_batch_chunks_follow_the_ridges_as_one_fit_does():
    """By township, in this process: the same plan as one fit (households per grid, sub-grids),
    the same ridge lines and report figures; before, the chunks ignored the DEM."""
    p = _project(_dem())
    one = GridPartitioner(**PARAMS).fit(p)
    bp = BatchPartitioner(**PARAMS).fit(p)
    assert bp.report_["batch"]["chunks"] == 2
    same, lines = compare_snapshots(snapshot(one.grids_, one.subgrids_, one.households_),
                                    snapshot(bp.grids_, bp.subgrids_, bp.households_))
    assert same, lines
    assert _one_valley_each(bp.grids_, bp.households_)
    assert shapely.equals_exact(bp.ridges_.geometry.values, one.ridges_.geometry.values, 0).all()
    assert bp.ridges_["village"].tolist() == one.ridges_["village"].tolist() == ["双河村", "石桥村"]
    t, t1 = bp.report_["plan"]["terrain"], one.report_["plan"]["terrain"]
    assert t["used"] and {k: t[k] for k in ("ridge_km", "ridge_lines", "dem", "rise_m")} == \
        {k: t1[k] for k in ("ridge_km", "ridge_lines", "dem", "rise_m")}
    # --ignore-terrain: no ridge lines reach the chunks
    off = BatchPartitioner(**PARAMS, terrain=False).fit(p)
    assert off.ridges_ is None and off.report_["plan"]["terrain"] == {"used": False, "dem": "山区高程.tif"}
    assert not _one_valley_each(off.grids_, off.households_)


def _grids(out: Path) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(next(out.glob("500101.gpkg")), layer="grids")


def test_two_workers_out_dir_keep_the_ridges_and_resume_redoes_what_a_new_dem_moved(tmp_path, capsys):
    from gridtool.cli import main
    src = _project(_dem()).save(tmp_path / "双河.gpkg")
    base = ["partition", str(src), "--no-subgrids", "--corridor-width", "0", "--quiet"]
    assert main([*base, "--out-dir", str(tmp_path / "w1"), "--workers", "1"]) == 0
    capsys.readouterr()
    assert main([*base, "--out-dir", str(tmp_path / "w2"), "--workers", "2", "--resume"]) == 0
    said = capsys.readouterr().out
    assert "网格边界沿山脊：由高程模型 山区高程.tif 得到山脊线 2.4 公里（2 条" in said
    g1, g2 = _grids(tmp_path / "w1"), _grids(tmp_path / "w2")
    assert g1["code"].tolist() == g2["code"].tolist() and g1["hh"].tolist() == g2["hh"].tolist() == [440] * 4
    assert shapely.equals_exact(g1.geometry.values, g2.geometry.values, 0).all()  # --workers 2 = --workers 1
    district = Project.open(tmp_path / "w2" / "500101.gpkg")
    assert district.layers["ridges"].gdf["village"].tolist() == ["双河村", "石桥村"]
    assert _one_valley_each(district.layers["grids"].gdf, district.layers["households"].gdf)

    # Nothing changed: both chunks skipped.
    assert main([*base, "--out-dir", str(tmp_path / "w2"), "--workers", "2", "--resume"]) == 0
    rep = json.loads((tmp_path / "w2" / "report.json").read_text(encoding="utf-8"))
    assert rep["timings"]["resumed_chunks"] == 2 and rep["batch"]["recomputed"] == []
    # A new DEM: the ridge under 石桥村 is now a low hill (no ridge), 双河村's stands as it was.
    p = Project.open(src)
    p.dem = _dem(east=50.0)
    p.save(src, force=True)
    capsys.readouterr()
    assert main([*base[:-1], "--out-dir", str(tmp_path / "w2"), "--workers", "2", "--resume"]) == 0
    said = capsys.readouterr().out
    rep = json.loads((tmp_path / "w2" / "report.json").read_text(encoding="utf-8"))
    assert rep["timings"]["resumed_chunks"] == 1
    assert rep["batch"]["recomputed"] == [{"chunk": "500101002", "why": ["dem_ridges"]}]
    assert "高程模型中的山脊线已改变" in said
    district = Project.open(tmp_path / "w2" / "500101.gpkg")
    assert district.layers["ridges"].gdf["village"].tolist() == ["双河村"]
    assert rep["plan"]["terrain"]["ridge_lines"] == 1 and rep["plan"]["terrain"]["ridge_km"] == 1.2
