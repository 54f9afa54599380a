"""Re-importing the same households (as lon/lat roster rows or as the buildings) and redrawing
moves no one: each household keeps its building's grid and sub-grid, a building the plan divided
between grids included; households added since are the only ones placed."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402

from gridtool.cli import main
from gridtool.partition.previous import carry_plan

FAST = ["--corridor-width", "0"]


def test_a_divided_building_keeps_its_shares_and_roster_rows_share_their_building():
    prev = gpd.GeoDataFrame(
        {"hh": [254, 40, 30], "grid": ["A", "A", "B"], "grid_parts": ["A:128;B:126", None, None],
         "subgrid": ["A-01", "A-02", "B-01"], "subgrid_parts": ["A-01:128;B-03:126", None, None]},
        geometry=[box(0, 0, 40, 40), box(100, 0, 120, 20), box(200, 0, 220, 20)], crs="EPSG:4549")
    now = gpd.GeoDataFrame(
        {"hh": [254, 25, 15, 30, 9]},
        # the big building's point 3 m off its old point; two rows in the second building; the
        # third building as its point; a new building nowhere before
        geometry=[Point(23, 20), Point(105, 5), Point(115, 15), prev.geometry[2].representative_point(),
                  Point(400, 400)], crs="EPSG:4549")
    cols, n = carry_plan(prev, now, now["hh"])
    assert n == 4
    assert cols["grid_parts"].iat[0] == "A:128;B:126" and cols["grid"].iat[0] == "A"
    assert cols["subgrid_parts"].iat[0] == "A-01:128;B-03:126"
    assert cols["grid"].iloc[1:4].tolist() == ["A", "A", "B"]
    assert cols["subgrid"].iloc[1:4].tolist() == ["A-02", "A-02", "B-01"]
    assert cols["grid"].iat[4] is None  # new: placed by the redraw


def _roster(plan: Path, out: Path, extra: list[tuple[float, float, int]] = ()) -> gpd.GeoDataFrame:
    """The plan's households as a lon/lat roster (points inside the buildings), plus ``extra`` rows."""
    h = gpd.read_file(plan, layer="households")
    pts = h.geometry.representative_point()
    rows = pd.DataFrame({"户数": h["hh"].astype(int), "x": pts.x, "y": pts.y})
    rows = pd.concat([rows, pd.DataFrame(extra, columns=["x", "y", "户数"])], ignore_index=True)
    ll = gpd.GeoSeries(gpd.points_from_xy(rows["x"], rows["y"]), crs=h.crs).to_crs(4326)
    pd.DataFrame({"东经": ll.x.round(8), "北纬": ll.y.round(8), "户数": rows["户数"]}).to_csv(out, index=False)
    return h


@pytest.fixture(scope="module")
def last(tmp_path_factory):
    d = tmp_path_factory.mktemp("reimport")
    raw = cut_project("nanjing-xuanwu").save(d / "raw.gpkg")
    plan = d / "plan.gpkg"
    assert main(["partition", str(raw), "--out", str(plan), "--quiet", *FAST]) == 0
    return d, plan


def _per_code(path: Path, col: str) -> dict[str, int]:
    """Households per grid / sub-grid code as the households layer records them (divided buildings by share)."""
    h = gpd.read_file(path, layer="households")
    out: dict[str, int] = {}
    for g, p, n in zip(h[col], h[f"{col}_parts"], h["hh"]):
        for code, m in ([(c, int(k)) for c, _, k in (x.rpartition(":") for x in p.split(";"))]
                        if isinstance(p, str) and p else [(g, int(n))] if isinstance(g, str) else []):
            out[code] = out.get(code, 0) + m
    return out


def test_the_same_households_as_lon_lat_rows_redraw_with_no_one_moved(last, capsys):
    d, plan = last
    proj = d / "same.gpkg"
    proj.write_bytes(plan.read_bytes())
    _roster(plan, d / "same.csv")
    assert main(["import", str(proj), "--households", str(d / "same.csv"), "--quiet"]) == 0
    said = capsys.readouterr().out
    # the stale-grids warning tells the same story (it said the new households were in no grid)
    assert "按位置沿用原网格" in said and "已按位置沿用原网格，重绘时不会移动" in said and "尚未分入网格" not in said
    assert main(["partition", str(proj), "--redraw", "--out", str(proj), "--quiet", *FAST]) == 0
    out = capsys.readouterr().out
    assert "重绘：0 户改变网格" in out and "0 个网格有变化" in out
    assert _per_code(proj, "grid") == _per_code(plan, "grid")
    assert _per_code(proj, "subgrid") == _per_code(plan, "subgrid")
    assert set(gpd.read_file(proj, layer="subgrids")["code"]) == set(gpd.read_file(plan, layer="subgrids")["code"])


def test_households_added_are_the_only_ones_placed(last, capsys):
    d, plan = last
    proj = d / "more.gpkg"
    proj.write_bytes(plan.read_bytes())
    g = gpd.read_file(plan, layer="grids")
    ok = g[g["status"] == "ok"].sort_values("hh")
    spot = ok.geometry.iat[0].representative_point()  # the smallest grid has room for them
    _roster(plan, d / "more.csv", extra=[(spot.x, spot.y, 7)])
    assert main(["import", str(proj), "--households", str(d / "more.csv"), "--quiet"]) == 0
    assert "其余 1 个尚未分入网格" in capsys.readouterr().out
    assert main(["partition", str(proj), "--redraw", "--out", str(proj), "--quiet", *FAST]) == 0
    out = capsys.readouterr().out
    assert "重绘：0 户改变网格" in out and "新增住户 7 户" in out
    before, now = _per_code(plan, "grid"), _per_code(proj, "grid")
    grew = {c: now[c] - before[c] for c in before if now.get(c) != before[c]}
    assert set(now) == set(before) and list(grew.values()) == [7]


def test_households_that_left_the_roster_are_said_by_grid_and_their_grid_counts_as_changed(last, capsys):
    d, plan = last
    proj = d / "gone.gpkg"
    proj.write_bytes(plan.read_bytes())
    h = gpd.read_file(plan, layer="households")
    whole = h[h["grid_parts"].fillna("") == ""]
    code = whole["grid"].value_counts().index[0]
    mine = whole[whole["grid"] == code].sort_values("hh")
    gone_row, fewer_row = mine.index[0], mine.index[1]
    left = int(h.at[gone_row, "hh"]) + 1  # one building gone, one household fewer in another
    pts = h.geometry.representative_point()
    ll = gpd.GeoSeries(pts, crs=h.crs).to_crs(4326)
    rows = pd.DataFrame({"东经": ll.x.round(8), "北纬": ll.y.round(8), "户数": h["hh"].astype(int)})
    rows.at[fewer_row, "户数"] -= 1
    rows.drop(index=[gone_row]).to_csv(d / "gone.csv", index=False)
    assert main(["import", str(proj), "--households", str(d / "gone.csv")]) == 0
    said = f"离开名册 {left} 户（网格 {code} 减 {left} 户）"
    assert said in capsys.readouterr().out
    assert main(["partition", str(proj), "--redraw", "--out", str(proj), *FAST]) == 0
    out = capsys.readouterr().out
    assert said in out
    assert "重绘：0 户改变网格" in out and "1 个网格有变化" in out
    total = int(h["hh"].sum())
    assert f"上一版 {total:,} 户 − 已不在名册 {left} 户 + 新增 0 户 = 本次 {total - left:,} 户" in out
    changes = gpd.read_file(proj, layer="changes")
    row = changes[changes["households_gone"] > 0]
    assert row["households_gone"].tolist() == [left] and row["gone_grids"].tolist() == [f"{code} 减 {left} 户"]
    # Reported once: a second redraw of the same roster has no one gone.
    assert main(["partition", str(proj), "--redraw", "--out", str(proj), "--quiet", *FAST]) == 0
    again = capsys.readouterr().out
    assert "离开名册" not in again and "0 个网格有变化" in again


def test_households_gone_counts_per_code_and_two_imports_add_up():
    from gridtool.partition.previous import add_gone, households_gone
    old = pd.DataFrame({"grid": ["A", "A", "B"], "grid_parts": ["A:20;B:10", None, None],
                        "subgrid": ["A-01", "A-02", "B-01"], "subgrid_parts": ["A-01:20;B-01:10", None, None]})
    new = pd.DataFrame({"grid": ["A", "B", None], "grid_parts": ["A:20;B:6", None, None],
                        "subgrid": ["A-01", "B-01", None], "subgrid_parts": ["A-01:20;B-01:6", None, None]})
    first = households_gone(old, [30, 8, 5], new, [26, 5, 9])  # building 2 gone, 4 fewer in building 1
    assert first == {"previous": 43, "grids": {"A": 8, "B": 4}, "subgrids": {"A-02": 8, "B-01": 4}}
    second = households_gone(new, [26, 5, 9], new.iloc[:1], [26])
    both = add_gone(first, second)
    assert both["previous"] == 43 and both["grids"] == {"A": 8, "B": 9}
