"""A yearly redraw after a village was deleted from this year's villages layer. While last year's
plan locks one of its grids, the redraw is refused (the grid cannot be kept), and the message
says what is true of the grid: its households still on the roster but in no village, or gone.
Without a lock, its households still on the roster are in no grid now: the console, the report,
the changes layer and the ledger's 重绘变化 sheet say how many and which codes were retired (they
said 0 households changed grid, and the retired codes were in no village's row).

Real data: three Nanjing communities cut from the bundled sample (``locks_data``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402

from gridtool.cli import main

FAST = ["--no-subgrids", "--corridor-width", "0", "--quiet"]
GONE = "四条巷社区"


@pytest.fixture(scope="module")
def last(tmp_path_factory):
    d = tmp_path_factory.mktemp("village-deleted")
    p = cut_project("nanjing-xuanwu")
    raw = p.save(d / "raw.gpkg")
    last = d / "last.gpkg"
    assert main(["partition", str(raw), "--out", str(last), *FAST]) == 0
    grids = gpd.read_file(last, layer="grids")
    locked = str(grids.loc[grids["village"] == GONE, "code"].iat[0])
    hh = int(grids.set_index("code").at[locked, "hh"])
    unlocked = d / "last_unlocked.gpkg"
    unlocked.write_bytes(last.read_bytes())
    assert main(["edit", str(last), "--lock", locked]) == 0
    return {"dir": d, "last": last, "locked": locked, "hh": hh, "project": p, "unlocked": unlocked,
            "gone_codes": sorted(grids.loc[grids["village"] == GONE, "code"]),
            "gone_hh": int(grids.loc[grids["village"] == GONE, "hh"].sum())}


def _this_year(last, name: str, *, households_too: bool) -> Path:
    p = last["project"]
    v = p.layers["villages"].gdf
    code = str(v.loc[v["name"] == GONE, "code"].iat[0])
    p.layers["villages"].gdf = v[v["name"] != GONE].reset_index(drop=True)
    if households_too:
        hs = p.layers["households"].gdf
        p.layers["households"].gdf = hs[hs["village"].astype(str) != code].reset_index(drop=True)
    out = p.save(last["dir"] / name)
    p.layers["villages"].gdf = v  # the shared project as it was
    if households_too:
        p.layers["households"].gdf = hs
    return out


def test_a_locked_grid_whose_village_polygon_was_deleted_is_not_said_to_be_empty(last, capsys):
    now = _this_year(last, "polygon_gone.gpkg", households_too=False)
    out = last["dir"] / "a.gpkg"
    assert main(["partition", str(now), "--previous", str(last["last"]), "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert f"锁定网格 {last['locked']} 的 {last['hh']:,} 户已不在任何村（社区）范围内" in err
    assert "已没有住户" not in err and "补回村（社区）图层" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["--lang", "en", "partition", str(now), "--previous", str(last["last"]), "--out", str(out),
                 *FAST]) == 2
    err = capsys.readouterr().err
    assert f"the {last['hh']:,} households of the locked grid {last['locked']} lie in no village" in err
    assert "if --lock names it, leave it out" in err and "layer=grids" in err


def test_a_locked_grid_whose_village_and_households_were_deleted_says_it_is_empty(last, capsys):
    now = _this_year(last, "all_gone.gpkg", households_too=True)
    out = last["dir"] / "b.gpkg"
    assert main(["partition", str(now), "--previous", str(last["last"]), "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert f"锁定网格 {last['locked']} 已没有住户" in err and "解除锁定" in err and not out.exists()


def test_a_deleted_villages_households_left_in_no_grid_are_counted_everywhere(last, capsys, tmp_path):
    import openpyxl
    now = _this_year(last, "polygon_gone_unlocked.gpkg", households_too=False)
    out, rep = last["dir"] / "c.gpkg", last["dir"] / "c.json"
    capsys.readouterr()
    assert main(["partition", str(now), "--previous", str(last["unlocked"]), "--out", str(out), "--report", str(rep),
                 *FAST[:-1]]) == 0
    text = capsys.readouterr().out
    report = json.loads(rep.read_text(encoding="utf-8"))
    red, totals = report["plan"]["redraw"], report["totals"]
    n = last["gone_hh"]
    assert red["households_no_village"] == n == totals["unassigned"]
    assert f"注意：上一版在网格中的 {n:,} 户仍在名册，但已不在任何村（社区）范围内" in text
    assert f"    {GONE}：" in text and f"不在任何村（社区）范围、未划入网格 {n:,} 户" in text
    # the changes layer: the deleted village's row holds its retired codes; its sums are the console's
    ch = gpd.read_file(out, layer="changes").set_index("village")
    assert ch.at[GONE, "retired_codes"] == "、".join(last["gone_codes"])
    assert int(ch["codes_retired"].sum()) == red["codes_retired"] == len(last["gone_codes"])
    assert int(ch["households_no_village"].sum()) == n
    # drawn where its grids were (a GIS shows the row), as every row of the layer a MultiPolygon
    was = gpd.read_file(last["unlocked"], layer="grids").set_index("code").geometry[last["gone_codes"]]
    assert set(ch.geom_type) == {"MultiPolygon"}
    assert abs(ch.geometry[GONE].area - shapely.union_all(was.values).area) < 1.0
    # the ledger's sheet names the village of each retired code and why its households are in no grid
    xlsx = tmp_path / "台账.xlsx"
    assert main(["export", str(out), "--ledger", str(xlsx), "--quiet"]) == 0
    rows = list(openpyxl.load_workbook(xlsx)["重绘变化"].iter_rows(values_only=True))
    retired = [r for r in rows if r[0] == "撤销编码"]
    assert sorted(r[2] for r in retired) == last["gone_codes"]
    assert all(r[1] == GONE and "住户未划入网格" in r[5] for r in retired)
    assert any(r[0] == "住户" and f"未划入网格）{n:,} 户" in r[5] for r in rows)
