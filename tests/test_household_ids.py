"""Household ids that move: a roster without an ID column is numbered by row (``FID n``), and those
numbers shift when a row is removed. Import says so and names the fix; ``--field households.id=``
makes a column the ids; a redraw from last year's plan pairs households by position, so removing
row 3 of a 20-row roster leaves every other household in its grid (the FIDs after it all shift)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from shapely.geometry import Point, box

from gridtool.cli import main
from gridtool.project import Project

GK108 = "EPSG:4545"
FAST = ["--min", "300", "--max", "500", "--no-subgrids", "--corridor-width", "0", "--quiet"]


def _roster(path, drop=()):
    """20 houses of 40 households in two rows of a 1 km village, householders 户主0…户主19, 门牌 1…20;
    written as a GBK shapefile without an ID column."""
    rows = [{"户主": f"户主{i}", "门牌地址": f"幸福路{i + 1}号", "户数": 40,
             "geometry": Point(480_050 + (i % 10) * 90, 3_265_300 + (i // 10) * 300)} for i in range(20)]
    rows = [r for i, r in enumerate(rows) if i not in drop]
    gpd.GeoDataFrame(rows, crs=GK108).to_file(path, encoding="GBK")
    return path


def _villages(path):
    gpd.GeoDataFrame({"名称": ["东方广场社区"], "区划代码": ["500101001001"]},
                     geometry=[box(480_000, 3_265_000, 481_000, 3_266_000)], crs=GK108).to_file(path, encoding="GBK")
    return path


def test_a_roster_without_an_id_column_is_warned_and_a_named_column_becomes_the_ids(tmp_path, capsys):
    v = _villages(tmp_path / "村.shp")
    hs = _roster(tmp_path / "住户.shp")
    assert main(["import", "--households", str(hs), "--villages", str(v), "--out", str(tmp_path / "a.gpkg")]) == 0
    out = capsys.readouterr().out
    assert ("住户名册没有编号列（户编号、门牌号等），住户编号按行号生成（如 FID 0、FID 1）：名册增删行后同一户的编号会变，"
            "按编号的操作（gridtool edit --move 编号=网格）可能指向别的楼栋") in out, out
    assert "--field households.id=门牌地址" in out  # the roster's own unique address column is named
    assert main(["import", "--households", str(hs), "--villages", str(v), "--field", "households.id=门牌地址",
                 "--out", str(tmp_path / "b.gpkg")]) == 0
    out = capsys.readouterr().out
    assert "没有编号列" not in out
    ids = Project.open(tmp_path / "b.gpkg").layers["households"].gdf["src_id"].tolist()
    assert ids[:3] == ["幸福路1号", "幸福路2号", "幸福路3号"]


def test_a_roster_with_an_id_column_keeps_its_ids_and_no_warning(tmp_path, capsys):
    v = _villages(tmp_path / "村.shp")
    path = tmp_path / "住户.shp"
    g = gpd.read_file(_roster(path), encoding="GBK")
    g.insert(0, "户编号", [f"H{i:03d}" for i in range(len(g))])
    g.to_file(path, encoding="GBK")
    assert main(["import", "--households", str(path), "--villages", str(v), "--out", str(tmp_path / "a.gpkg")]) == 0
    assert "没有编号列" not in capsys.readouterr().out
    assert Project.open(tmp_path / "a.gpkg").layers["households"].gdf["src_id"].tolist()[:2] == ["FID 0", "FID 1"]


def test_removing_row_3_shifts_the_fids_but_a_redraw_keeps_every_household_in_its_grid(tmp_path):
    v = _villages(tmp_path / "村.shp")
    last, now = tmp_path / "last.gpkg", tmp_path / "now.gpkg"
    assert main(["import", "--households", str(_roster(tmp_path / "a.shp")), "--villages", str(v), "--quiet",
                 "--out", str(tmp_path / "a.gpkg")]) == 0
    assert main(["partition", str(tmp_path / "a.gpkg"), "--out", str(last), *FAST]) == 0
    assert main(["import", "--households", str(_roster(tmp_path / "b.shp", drop=[2])), "--villages", str(v),
                 "--quiet", "--out", str(now)]) == 0
    out = tmp_path / "next.gpkg"
    assert main(["partition", str(now), "--previous", str(last), "--out", str(out), *FAST]) == 0
    before = gpd.read_file(last, layer="households").set_index("户主")
    after = gpd.read_file(out, layer="households").set_index("户主")
    assert before.loc["户主3", "src_id"] == "FID 3" and after.loc["户主3", "src_id"] == "FID 2"  # shifted
    assert len(set(before["grid"])) == 2  # the households of the two grids are told apart
    assert (after["grid"] == before["grid"].drop("户主2").loc[after.index]).all()
    assert np.array_equal(after["hh"].to_numpy(), before["hh"].drop("户主2").loc[after.index].to_numpy())
