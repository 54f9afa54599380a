"""Last year's plan was drawn with ``--merge GUEST=HOST`` (a small community partitioned together with
its neighbour, no change of division); this year ``gridtool partition NEW --previous LAST`` without
``--merge``: the communities are partitioned apart again. The planner is told just that, not that
the host was split (分为); the host's grids keep their codes, the guest's take its own code, a new
grid is not counted as renumbered from a code that never existed, and the counts add up.

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

FAST = ["--no-subgrids", "--corridor-width", "0"]
GUEST, HOST = "四条巷社区", "五老村社区"


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    d = tmp_path_factory.mktemp("merge-ended")
    raw = cut_project("nanjing-xuanwu").save(d / "raw.gpkg")
    last, out, rep = d / "last.gpkg", d / "next.gpkg", d / "next.json"
    assert main(["partition", str(raw), "--merge", f"{GUEST}={HOST}", "--out", str(last), *FAST, "--quiet"]) == 0
    return {"raw": raw, "last": last, "out": out, "rep": rep, "dir": d}


@pytest.fixture(scope="module")
def apart(year):
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["partition", str(year["raw"]), "--previous", str(year["last"]), "--out", str(year["out"]),
                     "--report", str(year["rep"]), *FAST]) == 0
    codes = gpd.read_file(year["raw"], layer="villages").set_index("name")["code"].astype(str)
    return {"text": buf.getvalue(), "report": json.loads(year["rep"].read_text(encoding="utf-8")),
            "last": gpd.read_file(year["last"], layer="grids"), "now": gpd.read_file(year["out"], layer="grids"),
            "hs_last": gpd.read_file(year["last"], layer="households"), "codes": codes}


def test_the_console_says_apart_again_not_split(apart):
    text = apart["text"]
    assert "本次分开划分的村（社区） 1 处（上一版合并划分）" in text
    assert f"上一版合并划分的 {HOST}（" in text and f"{GUEST}（" in text and "（区划未变）" in text
    # no division change and no split of the host
    assert "区划变化" not in text and " 分为 " not in text


def test_the_report_changes_layer_and_ledger_name_it_the_same_way(apart, year, tmp_path):
    import openpyxl
    (change,) = apart["report"]["plan"]["redraw"]["village_changes"]
    assert change["kind"] == "merge_ended"
    assert [v["name"] for v in change["new"]] == [HOST, GUEST]
    ch = gpd.read_file(year["out"], layer="changes").set_index("village")
    for v in (HOST, GUEST):
        assert "本次分开划分" in ch.at[v, "division_change"] and "分为" not in ch.at[v, "division_change"]
    xlsx = tmp_path / "台账.xlsx"
    assert main(["export", str(year["out"]), "--ledger", str(xlsx), "--quiet"]) == 0
    rows = list(openpyxl.load_workbook(xlsx)["重绘变化"].iter_rows(values_only=True))
    assert [r[0] for r in rows if r[0] in ("分开划分", "区划变化", "合并划分")] == ["分开划分"]


def test_codes_of_grids_within_one_village_are_kept_and_the_guest_takes_its_own_code(apart):
    last, now, codes = apart["last"], apart["now"], apart["codes"]
    hs = apart["hs_last"]
    # last year's base grids that held households of one community only, by the community
    hs = hs[(hs["hh"] > 0) & hs["grid"].isin(set(last["code"]))]
    per = hs.groupby("grid")["village"].agg(lambda v: set(v.astype(str)))
    host_only = sorted(g for g, vs in per.items() if vs == {codes[HOST]})
    guest_only = sorted(g for g, vs in per.items() if vs == {codes[GUEST]})
    assert host_only and guest_only
    red = apart["report"]["plan"]["redraw"]
    recoded = {e["old"]: e["new"] for e in red["recoded"]}
    kept = set(now["code"])
    assert all(c in kept and c not in recoded for c in host_only)
    # the guest's grids are under its own code now, with their sequence numbers
    g = now[now["village"] == GUEST]
    assert len(g) and (g["code"].str.startswith(f"{codes[GUEST]}-")).all()
    for c in guest_only:
        assert recoded[c] == c.replace(codes[HOST], codes[GUEST])
    # every renumbered code was a code of last year's plan; kept + renumbered + new = grids
    assert set(recoded) <= set(last["code"])
    assert not red.get("codes_in_previous_scheme")
    assert red["codes_kept"] + red["codes_recoded"] + red["codes_new"] == len(now) == red["grids"]
    assert not now["code"].duplicated().any()


def test_a_real_split_is_still_called_a_split(year, tmp_path, capsys):
    """Without last year's merge (a plan drawn apart and read from another file type, so no record of
    a merge): the previous plan's host-coded grids now in the guest are read from the codes alone."""
    shp = tmp_path / "old.shp"
    g = gpd.read_file(year["last"], layer="grids")[["code", "village", "hh", "geometry"]]
    g.to_file(shp, encoding="utf-8")
    out, rep = tmp_path / "n.gpkg", tmp_path / "n.json"
    assert main(["partition", str(year["raw"]), "--previous", str(shp), "--out", str(out), "--report", str(rep),
                 *FAST, "--quiet"]) == 0
    kinds = [c["kind"] for c in json.loads(rep.read_text(encoding="utf-8"))["plan"]["redraw"]["village_changes"]]
    assert kinds == ["split"]
