"""Joined columns survive a new partition and a redraw (issue 15: never lose the planner's work).

A planner joins the grid-worker roster and the scores, then partitions again or redraws around a
locked grid: the workers, phones and scores stay on the grids of the same code, and the command
names the new codes that have none."""

from __future__ import annotations

import pyogrio
import pytest

from gridtool.cli import main

from .maps_data import make_project
from .test_ledgers import roster_rows, write_xlsx


@pytest.fixture
def project_file(tmp_path):
    p = make_project()
    hh = p.layers["households"]
    # the test roster gives every household one made-up ID number: leave it out (validation would
    # rightly refuse to partition a roster whose ID numbers repeat)
    hh.gdf = hh.gdf.drop(columns=[c for c in hh.gdf.columns if "身份证" in str(c)])
    hh.sensitive = {k: v for k, v in (hh.sensitive or {}).items() if k in hh.gdf}
    return p.save(tmp_path / "测试镇.gpkg")


def _grids(path):
    return pyogrio.read_dataframe(path, layer="grids", read_geometry=False).set_index("code")


def test_joined_workers_and_scores_stay_through_partition_and_redraw(project_file, tmp_path, capsys):
    codes = list(_grids(project_file).index)
    write_xlsx(tmp_path / "网格员.xlsx", roster_rows(codes), title="测试镇网格员台账")
    write_xlsx(tmp_path / "考核.xlsx", [["网格编码", "考核得分"]] + [[c, 60 + i] for i, c in enumerate(codes)])
    assert main(["join", str(project_file), "--table", str(tmp_path / "网格员.xlsx"), "--on", "网格编码"]) == 0
    assert main(["join", str(project_file), "--table", str(tmp_path / "考核.xlsx"), "--on", "网格编码"]) == 0
    joined = _grids(project_file)[["worker", "worker_phone", "职务", "考核得分"]]
    capsys.readouterr()
    # a new partition in place: same codes, the joined values come back with them
    assert main(["partition", str(project_file), "--out", str(project_file)]) == 0
    out = capsys.readouterr().out
    again = _grids(project_file)
    same = [c for c in joined.index if c in again.index]
    assert same, "the partition kept no code"
    for col in joined.columns:
        assert again.loc[same, col].astype(str).tolist() == joined.loc[same, col].astype(str).tolist(), col
    assert "已连接的列" in out and "按编码带入" in out
    # a redraw around a locked grid keeps them too
    lock = same[0]
    assert main(["partition", str(project_file), "--lock", lock, "--out", str(tmp_path / "redraw.gpkg")]) == 0
    red = _grids(tmp_path / "redraw.gpkg")
    assert red.loc[lock, "worker"] == joined.loc[lock, "worker"]
    assert float(red.loc[lock, "考核得分"]) == float(joined.loc[lock, "考核得分"])
    kept = [c for c in same if c in red.index]
    assert red.loc[kept, "worker_phone"].astype(str).tolist() == joined.loc[kept, "worker_phone"].astype(str).tolist()
