"""A yearly redraw after a village was deleted from this year's villages layer while last year's
plan locks one of its grids: the redraw is refused (the grid cannot be kept), and the message
says what is true of the grid: its households still on the roster but in no village, or gone.

Real data: three Nanjing communities cut from the bundled sample (``locks_data``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pytest

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
    assert main(["edit", str(last), "--lock", locked]) == 0
    return {"dir": d, "last": last, "locked": locked, "hh": hh, "project": p}


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
