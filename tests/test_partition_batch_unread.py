"""A city's batch run whose households layer cannot be read in part: the households that cannot be
read are counted apart and named (file, layer, feature numbers, chunk, fix), never lost from the
totals nor taken for households "in no village", and the run exits 5."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from test_partition_batch import _city, _save_project  # noqa: E402

from gridtool.cli import main  # noqa: E402
from gridtool.partition.totals import household_totals  # noqa: E402
from gridtool.project import Project  # noqa: E402
from gridtool.values import household_counts  # noqa: E402

ARGS = ("--workers", "1", "--no-subgrids", "--quiet")


def _damage_geometries(path: Path, rows, layer: str = "households") -> None:
    """Overwrite the geometry blobs of ``layer``'s features ``rows`` (from 0) with garbage, as a bad
    disk sector or a copy cut off would (the triggers that would check the blob dropped first)."""
    con = sqlite3.connect(path)
    for (name,) in con.execute("select name from sqlite_master where type='trigger' and tbl_name like ?",
                               (f"%{layer}%",)).fetchall():
        con.execute(f'drop trigger "{name}"')
    col = con.execute("select column_name from gpkg_geometry_columns where table_name=?", (layer,)).fetchone()[0]
    for r in rows:
        con.execute(f"update {layer} set {col}=X'4750000100000000DEADBEEF' where fid=?", (int(r) + 1,))
    con.commit()
    con.close()


def _district_totals(out: Path) -> int:
    return sum(household_totals(Project.open(p)).imported for p in out.glob("5001*.gpkg"))


def test_damaged_household_features_are_named_counted_apart_and_resume_computes_their_township(
        tmp_path, capsys):
    """Five households of 龙宝村 (township 500102003) have damaged geometries: that township is
    partitioned without them (read around the damage). The console, report.json and the district summary name the file, the layer, the
    features and the chunk; the city's total says how many households could not be read (from the
    attribute table) and they are not called 'in no village'; exit 5. Repaired, --resume computes it."""
    city = _city()
    path = _save_project(city, tmp_path / "city.gpkg")
    hs = city["households"].reset_index(drop=True)
    imported = int(household_counts(hs["hh"]).sum())
    rows = np.flatnonzero(shapely.within(hs.geometry.values, city["villages"].geometry.iloc[4]))[:5]
    lost = int(household_counts(hs["hh"].iloc[rows]).sum())
    _damage_geometries(path, rows)
    out = tmp_path / "out"
    args = ["partition", str(path), "--out-dir", str(out), *ARGS]
    assert main(args) == 5
    text = capsys.readouterr().out
    assert "Traceback" not in text and "内部错误" not in text
    assert f"错误：{lost:,} 户（5 个住户点）无法从 {path}（households 图层）读出" in text
    assert "无法读出的要素 fid：" + "、".join(str(r + 1) for r in rows) in text
    assert "读取时出错的分块（这些住户点可能在其中）：500102003（区县 500102：龙宝村、永宁村）" in text
    assert "修复：" in text and "另有分块 500102003（龙宝村、永宁村）的住户读取时遇到无法读出的住户点" in text
    assert "不在任何村（社区）界内" not in text  # never taken for households outside every village
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    t, u = rep["totals"], rep["batch"]["unread_households"]
    assert (u["households"], u["features"], u["fids"], u["layer"]) == (lost, 5, [int(r) + 1 for r in rows], "households")
    assert u["file"] == str(path) and [c["chunk"] for c in u["chunks"]] == ["500102003"]
    assert t["unread"] == lost and not t.get("outside_villages")
    # The township is partitioned without its five damaged points (before: not at all, its 1,400
    # households unassigned): only what could not be read is left out of the grids.
    assert t["unassigned"] == lost and t["base"] + t["special"] + t["exception"] == imported - lost
    # One total: the roster = the district files + what could not be read; and = grids + unassigned.
    assert t["imported"] == imported == _district_totals(out) + lost
    assert t["imported"] == t["base"] + t["special"] + t["exception"] + t["unassigned"]
    district = next(d for d in rep["batch"]["districts"] if d["district"] == "500102")
    assert [e["chunk"] for e in district["unread"]] == ["500102003"]
    # Repaired (the project saved again from the roster), --resume computes that township only.
    _save_project(city, path)
    assert main(args + ["--resume"]) == 0
    text = capsys.readouterr().out
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert "unread_households" not in rep["batch"] and rep["totals"]["unassigned"] == 0
    assert "续算重新计算 1 个分块（住户图层已改变）：500102003" in text


def test_a_households_layer_that_cannot_be_read_at_all_is_counted_from_its_attribute_table(
        tmp_path, capsys, monkeypatch):
    """Not even the households of township 500102003 can be read (every read of their layer fails):
    its 1,400 households are in no district file, and the city's total, read from the attribute
    table alone, says so as households that could not be read, naming the chunk and its villages."""
    import pyogrio

    from gridtool.partition.chunking import GeoPackageSource
    city = _city()
    path = _save_project(city, tmp_path / "city.gpkg")
    hs = city["households"]
    in_town = shapely.within(hs.geometry.values, shapely.union(city["villages"].geometry.iloc[4],
                                                                city["villages"].geometry.iloc[5]))
    lost = int(household_counts(hs["hh"][in_town]).sum())
    real = GeoPackageSource.layers

    def unreadable(self, chunk, roles=None):
        if chunk.key == "500102003":
            raise pyogrio.errors.DataSourceError("households: disk I/O error")
        return real(self, chunk, roles)

    def owned(self, chunk, batch=200_000):
        raise pyogrio.errors.DataSourceError("households: disk I/O error")
    monkeypatch.setattr(GeoPackageSource, "layers", unreadable)
    monkeypatch.setattr(GeoPackageSource, "owned", owned)
    out = tmp_path / "out"
    assert main(["partition", str(path), "--out-dir", str(out), *ARGS]) == 5
    text = capsys.readouterr().out
    assert f"错误：{lost:,} 户（{int(in_town.sum()):,} 个住户点）无法从 {path}（households 图层）读出" in text
    assert "原因：DataSourceError: households: disk I/O error" in text
    assert "读取时出错的分块（这些住户点可能在其中）：500102003（区县 500102：龙宝村、永宁村）" in text
    assert "另有分块 500102003（龙宝村、永宁村）的住户无法从住户图层读出" in text
    assert "输入无法读取（DataSourceError: households: disk I/O error）" in text
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    t, u = rep["totals"], rep["batch"]["unread_households"]
    assert u["households"] == t["unread"] == lost > 0 and u["chunks"][0]["all"] is True
    assert t["imported"] == int(household_counts(hs["hh"]).sum()) == _district_totals(out) + lost
    assert not t.get("outside_villages")


def test_a_damaged_party_member_leaves_its_township_partitioned_and_is_named_as_unreadable(tmp_path, capsys):
    """党员丙 (永宁村, township 500102003) has a damaged geometry: the township is partitioned all the
    same (before: not at all, its 1,400 households unassigned for one party member), and the roster
    line names the member as unreadable, not as living in no village."""
    city = _city()
    path = _save_project(city, tmp_path / "city.gpkg")
    imported = int(household_counts(city["households"]["hh"]).sum())
    _damage_geometries(path, [2], layer="party_members")
    out = tmp_path / "out"
    # Exit 6 (features skipped), as for a damaged road: before, 0 — a clean run to a script.
    assert main(["partition", str(path), "--out-dir", str(out), *ARGS]) == 6
    text = capsys.readouterr().out
    assert "Traceback" not in text and "划分失败" not in text
    assert "党员名册 3 名 = 已联户 2 + 未联户 1" in text
    assert "党员名册第 4 行，项目文件中该党员的要素已损坏（几何无法读出）" in text
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    t = rep["totals"]
    assert not rep["batch"]["failed"] and t["unassigned"] == 0
    assert t["imported"] == imported == t["base"] + t["special"] + t["exception"] == _district_totals(out)
    left = rep["plan"]["party_links"]["members_not_linked"]
    assert [m["reason"] for m in left] == ["unreadable"]
