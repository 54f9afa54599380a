"""The sub-grid ledger across a yearly redraw: last year's 楼长 joined onto the sub-grids with
``gridtool join``; this year's roster loses a few buildings; ``gridtool partition NEW --previous
LAST``. A sub-grid with exactly last year's households keeps its 楼长 (whatever its code now); the
others are listed as needing a new assignment in the report and the ledger's 重绘变化 sheet.

The scenario of ``test_redraw_year`` (three Nanjing communities), with sub-grids."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_redraw_year import _last_years_plan  # noqa: E402

from gridtool.cli import main  # noqa: E402
from gridtool.project import Project  # noqa: E402

FAST = ["--corridor-width", "0", "--quiet"]


@pytest.fixture(scope="module")
def subs(tmp_path_factory):
    d = tmp_path_factory.mktemp("redraw-subgrids")
    p, last = _last_years_plan(d, FAST)
    sg = gpd.read_file(last, layer="subgrids")
    ledger = d / "楼长.csv"
    ledger.write_text("子网格编码,楼长\n" + "".join(f"{c},楼长{i}\n" for i, c in enumerate(sg["code"])),
                      encoding="utf-8")
    assert main(["join", str(last), "--table", str(ledger), "--on", "子网格编码"]) == 0
    heads = dict(zip(sg["code"], [f"楼长{i}" for i in range(len(sg))]))
    # This year: a few buildings of one community gone; the rest as last year.
    hs = p.layers["households"].gdf
    last_hs = gpd.read_file(last, layer="households")
    rng = np.random.default_rng(7)
    one = np.flatnonzero((last_hs["grid"].str.startswith("320102900007")).to_numpy())
    gone = rng.choice(one, size=6, replace=False)
    p.layers["households"].gdf = hs.drop(index=hs.index[gone]).reset_index(drop=True)
    now = p.save(d / "this_year.gpkg")
    out = d / "next.gpkg"
    assert main(["partition", str(now), "--previous", str(last), "--out", str(out), *FAST]) == 0
    return {"last": last, "out": out, "heads": heads, "last_hs": last_hs, "gone": gone}


def _members(hs) -> dict:
    """Sub-grid → its (building position, households) pairs; a building split between sub-grids
    counts in each with its share (``subgrid_parts`` ``"code:hh;…"``)."""
    xy = [(round(g.x, 2), round(g.y, 2)) for g in hs.geometry.representative_point()]
    out: dict = {}
    for k, sg, parts, n in zip(xy, hs["subgrid"], hs["subgrid_parts"], hs["hh"]):
        shares = [(c, int(m)) for c, _, m in (x.rpartition(":") for x in (parts or "").split(";") if x)]
        for c, m in shares or ([(sg, int(n))] if isinstance(sg, str) and sg else []):
            out.setdefault(c, set()).add((k, m))
    return {c: frozenset(m) for c, m in out.items()}


def test_a_sub_grid_with_the_same_households_keeps_its_head_the_others_are_listed(subs, tmp_path):
    new_sg = gpd.read_file(subs["out"], layer="subgrids").set_index("code")
    old = _members(subs["last_hs"])
    now = _members(gpd.read_file(subs["out"], layer="households"))
    same = {}  # parts of one building with equal shares look alike: paired in code order
    for m in set(old.values()) & set(now.values()):
        same.update(zip(sorted(c for c in now if now[c] == m), sorted(c for c in old if old[c] == m)))
    assert len(same) >= len(new_sg) // 2  # most sub-grids are last year's
    for c_new, c_old in same.items():
        assert new_sg.loc[c_new, "楼长"] == subs["heads"][c_old]
    others = [c for c in new_sg.index if c not in same]
    assert others and new_sg.loc[others, "楼长"].isna().all()  # nobody guessed onto a changed sub-grid
    p = Project.open(subs["out"])
    carried = p.parameters["partition"]["joined_columns_carried"]["subgrids"]
    assert carried["columns"] == ["楼长"] and carried["with_values"] == len(same)
    reassign = {e["old"] for e in carried["reassign"]}
    assert reassign == set(subs["heads"]) - set(same.values()) and reassign
    assert sorted(carried["codes_without"]) == sorted(others)
    # the ledger's 重绘变化 sheet says which need a new 楼长, and the sub-grid sheet shows the carried ones
    import openpyxl
    xlsx = tmp_path / "台账.xlsx"
    assert main(["export", str(subs["out"]), "--ledger", str(xlsx), "--quiet", "--include-personal"]) == 0
    rows = list(openpyxl.load_workbook(xlsx)["重绘变化"].iter_rows(values_only=True))
    assert {r[2] for r in rows if r[0] == "子网格需重新指定"} == reassign
    assert {r[3] for r in rows if r[0] == "子网格待指定"} == set(others)
    (line,) = [r for r in rows if r[0] == "子网格沿用"]
    assert line[5].startswith(f"{len(same)} 个子网格")
