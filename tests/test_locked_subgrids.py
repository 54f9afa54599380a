"""Locked means locked, down to the sub-grids: a planner's sub-grid codes are printed on doorplates
and each has its 楼栋长, so when the roster drops buildings of a locked grid its sub-grids keep their
codes and buildings (they were all redrawn and renumbered), one that lost its households is
retired and said, one below the sub-grid minimum is named; and the village's line counts the
locked grid as changed (it said 0 个网格有变化).

Both ways a lock survives a new roster: ``partition NEW --previous LAST`` and the project's own
``partition PROJECT [--redraw]``. Generated village of two grids (:mod:`partition_data`)."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from partition_data import make_villages  # noqa: E402

from gridtool.cli import main  # noqa: E402
from gridtool.project import Layer, Project  # noqa: E402

FAST = ["--min", "300", "--max", "500", "--corridor-width", "0"]


def _members(hs: gpd.GeoDataFrame, grid: str) -> dict[str, set]:
    """Sub-grid → its (building position, households) pairs, for the sub-grids of ``grid``."""
    out: dict[str, set] = {}
    for g, sg, parts, n in zip(hs.geometry.representative_point(), hs["subgrid"], hs["subgrid_parts"].fillna(""),
                               hs["hh"]):
        key = (round(g.x, 1), round(g.y, 1))
        shares = [(c, int(m)) for c, _, m in (x.rpartition(":") for x in parts.split(";") if x)]
        for c, m in shares or ([(sg, int(n))] if isinstance(sg, str) and sg else []):
            if c.startswith(f"{grid}-"):
                out.setdefault(c, set()).add((key, m))
    return out


@pytest.fixture(scope="module")
def last(tmp_path_factory):
    """Last year's plan, one grid locked, and this year's roster without a whole sub-grid's buildings
    and one building of another sub-grid of the locked grid."""
    d = tmp_path_factory.mktemp("locked-subgrids")
    layers = make_villages(households=900, river=False, apartments=0, seed=3)
    raw = Project(layers={r: Layer(role=r, gdf=v) for r, v in layers.items()}).save(d / "raw.gpkg")
    plan = d / "last.gpkg"
    assert main(["partition", str(raw), "--out", str(plan), "--quiet", *FAST]) == 0
    grids = gpd.read_file(plan, layer="grids")
    locked = grids["code"].iat[0]
    assert main(["edit", str(plan), "--lock", locked]) == 0
    sg = gpd.read_file(plan, layer="subgrids")
    ledger = d / "楼长.csv"
    ledger.write_text("子网格编码,楼长\n" + "".join(f"{c},楼长{c[-2:]}\n" for c in sg["code"]), encoding="utf-8")
    assert main(["join", str(plan), "--table", str(ledger), "--on", "子网格编码"]) == 0
    hs = gpd.read_file(plan, layer="households")
    before = _members(hs, locked)
    whole = hs["subgrid_parts"].fillna("") == ""
    gone_sub = max((c for c in before if all(whole[hs["subgrid"] == c])), key=lambda c: c)
    other = next(c for c in sorted(before) if c != gone_sub and (whole & (hs["subgrid"] == c)).sum() > 1)
    one = int(np.flatnonzero((whole & (hs["subgrid"] == other)).to_numpy())[0])
    drop = np.flatnonzero((hs["subgrid"] == gone_sub).to_numpy()).tolist() + [one]
    return {"dir": d, "plan": plan, "locked": locked, "before": before, "gone_sub": gone_sub, "other": other,
            "drop": drop, "dropped_key": (round(hs.geometry.iat[one].x, 1), round(hs.geometry.iat[one].y, 1)),
            "dropped_hh": int(hs["hh"].iat[one]), "hh_before": int(grids["hh"].iat[0])}


def _expected(last) -> dict[str, set]:
    exp = {c: {m for m in ms if m[0] != last["dropped_key"]} for c, ms in last["before"].items()
           if c != last["gone_sub"]}
    return exp


def _check_kept(last, out: Path, text: str) -> None:
    locked, other = last["locked"], last["other"]
    now = _members(gpd.read_file(out, layer="households"), locked)
    assert now == _expected(last)  # same codes, same buildings, the gone ones gone
    subs = gpd.read_file(out, layer="subgrids").set_index("code")
    assert last["gone_sub"] not in subs.index
    n_before = sum(m for _, m in last["before"][other])
    assert int(subs.loc[other, "hh"]) == n_before - last["dropped_hh"]
    # each kept sub-grid keeps its 楼长, the one that lost a building too
    assert all(subs.loc[c, "楼长"] == f"楼长{c[-2:]}" for c in now), subs.loc[list(now), "楼长"]
    assert f"锁定网格 {locked} 的 {len(now)} 个子网格保留原编码和楼栋（未重新划分）" in text
    assert f"子网格 {last['gone_sub']} 已没有住户，撤销该编码；其范围并入" in text
    assert f"子网格 {other}：户数随名册由 {n_before} 户变为 {n_before - last['dropped_hh']} 户" in text
    # the locked grid's polygon stays covered by its sub-grids (the retired one's area joined a neighbour)
    grid = gpd.read_file(out, layer="grids").set_index("code").geometry[locked]
    mine = subs[subs["grid"] == locked]
    assert abs(mine.geometry.union_all().area - grid.area) < 1.0


def test_a_redraw_from_last_years_plan_keeps_the_locked_grids_sub_grids(last, capsys):
    d = last["dir"]
    p = Project.open(last["plan"])
    hs = p.layers["households"].gdf.drop(columns=["grid", "grid_parts", "subgrid", "subgrid_parts"])
    # this year's import: the roster without those buildings, nothing of last year's plan or ledger
    layers = {r: p.layers[r].gdf for r in ("villages", "roads")}
    layers["households"] = hs.drop(index=hs.index[last["drop"]]).reset_index(drop=True)
    new = Project(layers={r: Layer(role=r, gdf=v) for r, v in layers.items()}).save(d / "this_year.gpkg")
    out = d / "next.gpkg"
    capsys.readouterr()
    assert main(["partition", str(new), "--previous", str(last["plan"]), "--out", str(out), *FAST]) == 0
    text = capsys.readouterr().out
    _check_kept(last, out, text)
    # the village's only change is the locked grid losing households: it is counted, never "0"
    assert "1 个网格有变化" in text and "0 个网格有变化" not in text, text


@pytest.mark.parametrize("redraw", [["--redraw"], []], ids=["redraw", "partition"])
def test_the_projects_own_partition_keeps_the_locked_grids_sub_grids(last, redraw, capsys, tmp_path):
    p = Project.open(last["plan"])
    hs = p.layers["households"].gdf
    p.layers["households"].gdf = hs.drop(index=hs.index[last["drop"]]).reset_index(drop=True)
    own = p.save(tmp_path / "own.gpkg")
    capsys.readouterr()
    assert main(["partition", str(own), "--out", str(own), *redraw, *FAST]) == 0
    _check_kept(last, own, capsys.readouterr().out)
