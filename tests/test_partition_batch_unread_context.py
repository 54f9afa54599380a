"""A city's batch run whose roads layer holds a damaged feature: the townships near it are
partitioned without it (not failed, their households not left unassigned), the road is named by
file, layer and fid with the consequence and the fix, the run exits 6, and --resume after the
repair computes those townships again."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from test_partition_batch import _city, _save_project  # noqa: E402
from test_partition_batch_unread import ARGS, _damage_geometries, _district_totals  # noqa: E402

from gridtool.cli import main  # noqa: E402
from gridtool.values import household_counts  # noqa: E402


def test_a_damaged_road_is_skipped_named_and_recomputed_on_resume_after_repair(tmp_path, capsys):
    """One road through 龙宝村 (township 500102003) has a corrupt geometry: before, both townships
    within its margin failed (exit 4, 2,800 households unassigned, the message naming neither the
    layer nor the road); now both are partitioned without it and every line says which road."""
    city = _city()
    path = _save_project(city, tmp_path / "city.gpkg")
    imported = int(household_counts(city["households"]["hh"]).sum())
    roads = city["roads"].reset_index(drop=True)
    fid = int(np.flatnonzero(shapely.intersects(roads.geometry.values, city["villages"].geometry.iloc[4]))[0]) + 1
    _damage_geometries(path, [fid - 1], layer="roads")
    out = tmp_path / "out"
    args = ["partition", str(path), "--out-dir", str(out), *ARGS]
    assert main(args) == 6
    text = capsys.readouterr().out
    assert "Traceback" not in text and "划分失败" not in text and "输入无法读取" not in text
    assert f"警告：{path} 的 roads 图层有 1 个要素无法读出（fid {fid}），已跳过" in text
    assert "分块 500102003（区县 500102：龙宝村、永宁村）按缺少这些道路划分：网格边界可能不沿这些道路、网格可能越过它们" in text
    assert f"修复：用 QGIS 打开 {path} 的 roads 图层" in text and "--resume" in text
    assert f"注意：分块 500102003（龙宝村、永宁村）按缺少 roads 图层 1 个要素（fid {fid}）划分" in text
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    t, b = rep["totals"], rep["batch"]
    assert not b["failed"] and "unread_households" not in b
    [u] = b["unread_context"]
    assert (u["file"], u["layer"], u["features"], u["fids"]) == (str(path), "roads", 1, [fid])
    assert "500102003" in [c["chunk"] for c in u["chunks"]] and u["fix_en"] and u["consequence_en"]
    district = next(d for d in b["districts"] if d["district"] == "500102")
    assert district["unread_context"] == [{"chunk": "500102003", "villages": ["龙宝村", "永宁村"],
                                           "layers": {"roads": [fid]}}]
    # Every household in a grid (before: 2,800 unassigned); one total everywhere.
    assert t["unassigned"] == 0 and t["imported"] == imported == _district_totals(out)
    assert t["imported"] == t["base"] + t["special"] + t["exception"] + t["unassigned"]
    # Not repaired: --resume finds the same damaged read finished and says it again.
    assert main(args + ["--resume"]) == 6
    text = capsys.readouterr().out
    assert f"roads 图层有 1 个要素无法读出（fid {fid}）" in text and "续算跳过 3 个" in text
    # Repaired (the project saved again): --resume computes the chunks read without the road.
    _save_project(city, path)
    assert main(args + ["--resume"]) == 0
    text = capsys.readouterr().out
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert not rep["batch"]["unread_context"] and "无法读出" not in text
    again = {c["chunk"] for c in u["chunks"]}
    assert f"续算重新计算 {len(again)} 个分块（道路图层已改变）：{'、'.join(sorted(again))}" in text
    assert rep["totals"]["imported"] == imported == _district_totals(out) and rep["totals"]["unassigned"] == 0
