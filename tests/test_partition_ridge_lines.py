"""Ridges as grid borders: with an elevation model, the ridges between a village's valleys are soft
barrier lines (class ``ridge``, 山脊), so a grid worker's grid stays in one valley; without a DEM,
or with ``terrain=False`` / ``--ignore-terrain``, the plan is the one drawn before."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from shapely.geometry import Point, box

sys.path.insert(0, str(Path(__file__).parent))
from test_partition_ridges import _dem as _middle_ridge_dem  # noqa: E402
from test_partition_ridges import _layers as _middle_ridge_layers  # noqa: E402

from gridtool.io.dem import Dem  # noqa: E402
from gridtool.layers import Layer  # noqa: E402
from gridtool.partition.output import apply_to_project  # noqa: E402
from gridtool.partition.engine import GridPartitioner  # noqa: E402
from gridtool.partition.report import partition_markdown  # noqa: E402
from gridtool.partition.ridgelines import ridge_lines  # noqa: E402
from gridtool.partition.terrain import RIDGE_WARN_M  # noqa: E402
from gridtool.project import Project  # noqa: E402

GK108 = "EPSG:4545"
X0, Y0 = 480_000.0, 3_265_000.0
CELL = 30.0


def _layers() -> dict[str, gpd.GeoDataFrame]:
    """A village 1,200 m wide and 600 m deep with 880 households: 44 houses of 10 in a south valley
    (y ≈ 150 m) and 44 in a north valley (y ≈ 450 m), spread over the whole width. Two grids of 440
    fit; the compact cut is north-south (two squares), which puts both valleys in each grid."""
    rng = np.random.default_rng(7)
    houses = [{"hh": 10, "geometry": Point(X0 + x, Y0 + y)}
              for cy in (150.0, 450.0)
              for x, y in zip(rng.uniform(60, 1140, 44), cy + rng.uniform(-70, 70, 44))]
    hs = gpd.GeoDataFrame(houses, crs=GK108)
    hs["src_id"] = [f"FID {i}" for i in range(len(hs))]
    village = gpd.GeoDataFrame({"name": ["双河村"], "code": ["500101001004"]},
                               geometry=[box(X0, Y0, X0 + 1200, Y0 + 600)], crs=GK108)
    return {"villages": village, "households": hs}


def _dem(ridge: float = 500.0) -> Dem:
    """Valleys at 800 m, a ridge ``ridge`` m higher along y = 240–360 m, the whole width (30 m
    cells, 300 m of margin around the village)."""
    y = Y0 + 900 - (np.arange(40) + 0.5) * CELL
    z = np.where(np.abs(y - (Y0 + 300)) <= 60, 800.0 + ridge, 800.0)
    arr = np.tile(z[:, None], (1, 60)).astype(np.float32)
    return Dem(arr, Affine(CELL, 0, X0 - 300, 0, -CELL, Y0 + 900), GK108, "山区高程.tif")


def _plan(dem: Dem | None, layers: dict | None = None, **params) -> tuple[Project, GridPartitioner]:
    layers = layers or _layers()
    p = Project(name="双河", crs=layers["villages"].crs)
    for role, gdf in layers.items():
        p.layers[role] = Layer(role=role, gdf=gdf)
    p.dem = dem
    gp = GridPartitioner(min_hh=300, max_hh=500, corridor_width=0, **params).fit(p)
    apply_to_project(p, gp)
    return p, gp


def _south(p: Project) -> list[bool]:
    """Per grid: are all its households in the south valley (else all north, else mixed → None)."""
    hh = p.layers["households"].gdf
    y = shapely.get_coordinates(hh.geometry.values)[:, 1] - Y0
    out = []
    for code in p.layers["grids"].gdf["code"]:
        mine = y[hh["grid"].astype(str).to_numpy() == code]
        out.append(True if (mine < 300).all() else False if (mine > 300).all() else None)
    return out


def test_ridge_between_two_valleys_becomes_the_grid_border():
    p, gp = _plan(_dem())
    grids = p.layers["grids"].gdf
    assert grids["hh"].tolist() == [440, 440]  # the bounds hold
    assert (grids["ridge_m"] < RIDGE_WARN_M).all() and grids["ridge_m"].max() == 0
    assert sorted(_south(p)) == [False, True]  # one grid per valley
    assert gp.report_["plan"]["ridge_grids"] == []
    t = gp.report_["plan"]["terrain"]
    assert t["used"] and t["dem"] == "山区高程.tif" and 1.1 <= t["ridge_km"] <= 1.3
    assert "山脊线（高程模型 山区高程.tif）：1.2 公里" in partition_markdown(gp.report_, "zh")
    # sub-grids follow the ridge too: none holds households of both valleys
    hh = p.layers["households"].gdf
    south = shapely.get_coordinates(hh.geometry.values)[:, 1] < Y0 + 300
    assert (hh.groupby("subgrid").apply(lambda d: south[d.index].all() or not south[d.index].any())).all()
    assert int(p.layers["subgrids"].gdf["hh"].sum()) == 880


def test_without_ridges_the_same_village_gets_grids_over_the_ridge():
    """The case above is one the terrain decides: the plain partition cuts the other way."""
    p, gp = _plan(_dem(), terrain=False)
    grids = p.layers["grids"].gdf
    assert grids["hh"].sum() == 880 and len(grids) == 2
    assert (grids["ridge_m"] >= RIDGE_WARN_M).any()
    assert None in _south(p)
    assert gp.report_["plan"]["terrain"] == {"used": False, "dem": "山区高程.tif"}


def test_no_dem_gives_the_plan_drawn_before_and_claims_nothing():
    """No DEM: the same grids and households (outlines byte for byte) as with the ridges switched
    off, and no word about terrain in the report."""
    p0, gp0 = _plan(None)
    p1, _ = _plan(_dem(), terrain=False)
    g0, g1 = p0.layers["grids"].gdf, p1.layers["grids"].gdf
    assert g0["code"].tolist() == g1["code"].tolist() and g0["hh"].tolist() == g1["hh"].tolist()
    assert shapely.to_wkb(g0.geometry.values).tolist() == shapely.to_wkb(g1.geometry.values).tolist()
    s0, s1 = p0.layers["subgrids"].gdf, p1.layers["subgrids"].gdf
    assert shapely.to_wkb(s0.geometry.values).tolist() == shapely.to_wkb(s1.geometry.values).tolist()
    assert "terrain" not in gp0.report_["plan"] and "ridge_m" not in g0


def test_bounds_beat_the_ridge():
    """440 households, 220 in each valley: one grid of 300–500 must hold both. The ridge is found
    (and cuts the block), but the grid stays whole and is named in the report, as before."""
    p, gp = _plan(_middle_ridge_dem(600.0), _middle_ridge_layers(), subgrids=False)
    grids = p.layers["grids"].gdf
    assert len(grids) == 1 and int(grids["hh"].iloc[0]) == 440
    assert gp.report_["plan"]["terrain"]["ridge_km"] > 0.5
    assert [r["code"] for r in gp.report_["plan"]["ridge_grids"]] == grids["code"].tolist()


@pytest.mark.parametrize("ridge, found", [(500.0, True), (60.0, False), (0.0, False)])
def test_only_a_divide_high_above_both_valleys_is_a_ridge(ridge, found):
    """A hill of 60 m between two fields is walked over: no ridge line. The line found runs along
    the crest, across the village."""
    lines = ridge_lines(_layers()["villages"], _dem(ridge))
    assert bool(len(lines)) == found
    if found:
        xy = shapely.get_coordinates(lines.geometry.values)
        assert np.abs(xy[:, 1] - (Y0 + 300)).max() <= 60 + CELL
        assert xy[:, 0].min() == pytest.approx(X0) and xy[:, 0].max() == pytest.approx(X0 + 1200)


def test_ridge_lines_are_the_same_every_run_and_ignore_voids():
    dem = _dem()
    dem.array[5:8, 5:8] = np.nan  # voids outside the valleys
    dem.array[20, 10:13] = np.nan  # and on the crest: the line passes, and no void makes one
    a = ridge_lines(_layers()["villages"], dem)
    b = ridge_lines(_layers()["villages"], dem)
    assert shapely.to_wkb(a.geometry.values).tolist() == shapely.to_wkb(b.geometry.values).tolist()
    flat = Dem(np.where(np.isnan(dem.array), np.nan, 800.0).astype(np.float32), dem.transform, dem.crs, "x")
    assert not len(ridge_lines(_layers()["villages"], flat))


def test_cli_says_ridges_were_used_and_ignore_terrain_switches_them_off(tmp_path, capsys):
    from gridtool.cli import main
    layers = _layers()
    p = Project(name="双河", crs=layers["villages"].crs)
    for role, gdf in layers.items():
        p.layers[role] = Layer(role=role, gdf=gdf)
    p.dem = _dem()
    src = p.save(tmp_path / "双河.gpkg")
    on, off = tmp_path / "on.gpkg", tmp_path / "off.gpkg"
    assert main(["--lang", "both", "partition", str(src), "--out", str(on), "--no-subgrids",
                 "--corridor-width", "0", "--report", str(tmp_path / "on.json"), "--quiet"]) == 0
    said = capsys.readouterr().out
    assert "网格边界沿山脊" in said and "山区高程.tif" in said and "grid borders follow ridges: 1.2 km" in said
    assert "[警告]" not in said
    assert main(["partition", str(src), "--out", str(off), "--no-subgrids", "--corridor-width", "0",
                 "--ignore-terrain", "--report", str(tmp_path / "off.json"), "--quiet"]) == 0
    said = capsys.readouterr().out
    assert "未使用高程模型" in said and "--ignore-terrain" in said and "隔着山脊" in said
    rep_on = json.loads((tmp_path / "on.json").read_text(encoding="utf-8"))
    rep_off = json.loads((tmp_path / "off.json").read_text(encoding="utf-8"))
    assert rep_on["plan"]["terrain"]["used"] and not rep_off["plan"]["terrain"]["used"]
    assert rep_on["plan"]["ridge_grids"] == [] and len(rep_off["plan"]["ridge_grids"]) >= 1


def test_a_locked_grid_over_the_ridge_stays_byte_identical_and_the_warning_says_the_lock_holds_it(tmp_path, capsys):
    """Last year's plan, drawn without the DEM, cuts across the ridge. Redrawn with the DEM and one
    grid locked: that grid keeps its outline byte for byte, and the warning blames the lock, not
    the household bounds (both villages' 440 fit 300–500 on either side of the ridge)."""
    import pyogrio

    from gridtool.cli import main
    layers = _layers()
    p = Project(name="双河", crs=layers["villages"].crs)
    for role, gdf in layers.items():
        p.layers[role] = Layer(role=role, gdf=gdf)
    old_src = p.save(tmp_path / "去年.gpkg")
    p.dem = _dem()
    src = p.save(tmp_path / "今年.gpkg")
    old = tmp_path / "old.gpkg"
    common = ["--corridor-width", "0", "--no-subgrids", "--quiet"]
    assert main(["partition", str(old_src), "--out", str(old), *common]) == 0
    before = pyogrio.read_dataframe(old, layer="grids").set_index("code")
    code = before.index[0]
    capsys.readouterr()
    assert main(["--lang", "both", "partition", str(src), "--previous", str(old), "--lock", code,
                 "--out", str(tmp_path / "new.gpkg"), *common]) == 0
    said = capsys.readouterr().out
    after = pyogrio.read_dataframe(tmp_path / "new.gpkg", layer="grids").set_index("code")
    assert shapely.to_wkb(after.geometry[code]) == shapely.to_wkb(before.geometry[code])
    assert "网格边界沿山脊" in said and "隔着山脊" in said
    assert f"锁定网格 {code} 保持上一版形状" in said and "这些网格是户数范围所迫" not in said
    assert f"the locked grid {code} keeps the previous shape" in said


def test_ridge_length_hardly_depends_on_the_cell_size(monkeypatch):
    """4 × 4 km of hills (smoothed noise, 800 m of relief) on a 5 m DEM, read at 5, 10 and 20 m:
    the divide traced cell by cell wiggles at the cell size, and simplified by one cell the finer
    reading gave longer ridges (14.7 km at 5 m against 12.6 km at 20 m); by SIMPLIFY_M, within 3 %."""
    from scipy import ndimage

    import gridtool.partition.ridgelines as rl
    monkeypatch.setattr(rl, "MIN_CELL_M", 0.0)  # read every cell of each DEM
    z = ndimage.gaussian_filter(np.random.default_rng(0).standard_normal((800, 800)), 50, mode="reflect")
    z = ((z - z.min()) / (z.max() - z.min()) * 800 + 300).astype(np.float32)
    village = gpd.GeoDataFrame(geometry=[box(X0 + 50, Y0 + 50, X0 + 3950, Y0 + 3950)], crs=GK108)
    km = []
    for k in (1, 2, 4):
        dem = Dem(z[::k, ::k], Affine(5.0 * k, 0, X0, 0, -5.0 * k, Y0 + 4000), GK108, "hills.tif")
        km.append(shapely.length(ridge_lines(village, dem).geometry.values).sum() / 1000)
    assert km[0] > 10 and max(km) / min(km) < 1.03, km


def _hills_10km(cell: int) -> tuple[gpd.GeoDataFrame, Dem]:
    """A 10 × 10 km village in hills: smoothed noise (σ 250 m, 800 m of relief) on 30 m cells,
    every ``cell // 30``-th cell of it, with 300 m of margin around the village."""
    from scipy import ndimage

    n = 360
    z = ndimage.gaussian_filter(np.random.default_rng(0).standard_normal((n, n)), 250 / 30, mode="reflect")
    z = ((z - z.min()) / (z.max() - z.min()) * 800 + 300).astype(np.float32)
    k = cell // 30
    dem = Dem(z[::k, ::k], Affine(30.0 * k, 0, X0, 0, -30.0 * k, Y0 + 30 * n), GK108, "hills.tif")
    return gpd.GeoDataFrame(geometry=[box(X0 + 300, Y0 + 300, X0 + 10_300, Y0 + 10_300)], crs=GK108), dem


def test_tiles_add_no_copies_that_cut_the_ridges_into_pieces(monkeypatch):
    """The tiles' divides lay a cell or two beside the whole window's (each tile rounded heights
    from its own lowest cell) and cut the lines into pieces under MIN_LENGTH_M: 52.6 / 80.4 /
    85.3 km of ridge at 30 / 60 / 90 m from 1,257 / 298 / 120 pieces. Now 89.4 / 90.2 / 88.4 km
    from 70 / 67 / 67, and the 200 m minimum drops about 1 % of the length."""
    import gridtool.partition.ridgelines as rl
    monkeypatch.setattr(rl, "MIN_LENGTH_M", 0.0)  # every piece; the kept ones are those ≥ 200 m
    km, pieces = [], []
    for cell in (30, 60, 90):
        village, dem = _hills_10km(cell)
        raw = shapely.length(ridge_lines(village, dem).geometry.values)
        kept = raw[raw >= 200.0]
        assert kept.sum() >= 0.9 * raw.sum(), (cell, kept.sum(), raw.sum())  # before: 46 % at 30 m
        km.append(kept.sum() / 1000)
        pieces.append(len(raw))
    assert min(km) > 60 and max(km) / min(km) < 1.1, km
    assert max(pieces) < 150 and max(pieces) < 1.5 * min(pieces), pieces
