"""A yearly redraw of a plan drawn with ``--merge`` (a small community partitioned together with
its neighbour, no change of division): a grid lying in the small community and one holding
households of both are locked, then
``gridtool partition LAST --redraw``. Nothing changed, so nothing may move: the locked grids keep
their codes and village, no village is said to have been split, and no locked grid is said to
cross a village border.

Real data: three Nanjing communities cut from the bundled sample (``locks_data``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402

from gridtool.cli import main

FAST = ["--no-subgrids", "--corridor-width", "0", "--quiet"]
GUEST, HOST = "四条巷社区", "五老村社区"


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    d = tmp_path_factory.mktemp("planned-merge")
    raw = cut_project("nanjing-xuanwu").save(d / "raw.gpkg")
    last = d / "last.gpkg"
    assert main(["partition", str(raw), "--merge", f"{GUEST}={HOST}", "--out", str(last), *FAST]) == 0
    grids = gpd.read_file(last, layer="grids")
    hs = gpd.read_file(last, layer="households")
    codes = gpd.read_file(raw, layer="villages").set_index("name")["code"]
    per = hs[hs["village"].isin([codes[GUEST], codes[HOST]])].pivot_table(
        index="grid", columns="village", values="hh", aggfunc="sum").fillna(0)
    # the grid holding most of the guest community's households (drawn under the host's code), and
    # one holding households of both
    locked = str(per[codes[GUEST]].idxmax())
    mixed = str(per[(per[codes[GUEST]] > 0) & (per[codes[HOST]] > 0)].index[0])
    assert locked != mixed and grids.set_index("code").loc[[locked, mixed], "village"].tolist() == [HOST, HOST]
    assert main(["edit", str(last), "--lock", f"{locked},{mixed}"]) == 0
    out, rep = d / "next.gpkg", d / "next.json"
    assert main(["partition", str(last), "--redraw", "--out", str(out), "--report", str(rep), *FAST]) == 0
    return {"last": gpd.read_file(last, layer="grids"), "out": out, "locked": locked, "mixed": mixed,
            "report": json.loads(rep.read_text(encoding="utf-8"))}


def test_a_locked_grid_of_a_merged_community_keeps_its_code_and_village(year):
    g = gpd.read_file(year["out"], layer="grids").set_index("code")
    last = year["last"].set_index("code")
    for code in (year["locked"], year["mixed"]):
        assert code in g.index and bool(g.at[code, "locked"])
        assert g.at[code, "village"] == last.at[code, "village"] == HOST
        assert g.at[code, "village_code"] == last.at[code, "village_code"]
    # every grid of the pair is still under the host, as drawn last year
    assert sorted(g.index) == sorted(last.index)
    assert (g["village"] == last["village"].reindex(g.index)).all()
    red = year["report"]["plan"]["redraw"]
    assert red["codes_recoded"] == 0 and red["codes_new"] == 0 and red["codes_retired"] == 0
    # its households of both communities cross no village border: they are partitioned as one
    assert red["locked_across"] == []


def test_an_unchanged_merge_is_no_division_change_in_the_report_or_changes_layer(year):
    red = year["report"]["plan"]["redraw"]
    assert red["village_changes"] == []
    ch = gpd.read_file(year["out"], layer="changes")
    assert (ch["division_change"].fillna("") == "").all()
    assert int(ch["codes_recoded"].sum()) == 0


def test_a_merge_first_asked_this_year_is_not_called_a_change_of_division(tmp_path, capsys):
    """Last year apart, this year ``--merge``: the guest's grids take the host's code (as said), and
    the console, the report and the changes layer call it partitioned together, not a village merge
    (both communities are still in the villages layer)."""
    raw = cut_project("nanjing-xuanwu").save(tmp_path / "raw.gpkg")
    last, out, rep = tmp_path / "last.gpkg", tmp_path / "next.gpkg", tmp_path / "next.json"
    assert main(["partition", str(raw), "--out", str(last), *FAST]) == 0
    capsys.readouterr()
    assert main(["partition", str(raw), "--previous", str(last), "--merge", f"{GUEST}={HOST}", "--out", str(out),
                 "--report", str(rep), *FAST[:-1]]) == 0
    text = capsys.readouterr().out
    (change,) = json.loads(rep.read_text(encoding="utf-8"))["plan"]["redraw"]["village_changes"]
    assert change["kind"] == "merge_planned"
    assert sorted(v["name"] for v in change["old"]) == sorted([GUEST, HOST]) and change["new"][0]["name"] == HOST
    assert "本次合并划分的村（社区） 1 处（上一版分开划分）" in text and "区划变化" not in text
    assert f"网格用 {HOST}（" in text and "（区划未变）" in text
    ch = gpd.read_file(out, layer="changes").set_index("village")
    assert "区划未变" in ch.at[HOST, "division_change"]
