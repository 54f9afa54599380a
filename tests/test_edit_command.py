"""``gridtool edit``: the app's hand edits (lock, merge, split, move buildings or a sub-grid) from the
command line, with the app's rules, all-or-nothing, and the sub-grids of the changed grids drawn
again so that the ledger's grid and sub-grid sheets state one total. The app's save draws them the
same way (its session, no Qt).

Real data: three Nanjing communities cut from the bundled sample (apartment blocks divided between
grids and sub-grids), partitioned with sub-grids."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import openpyxl
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402

from gridtool.cli import main
from gridtool.partition.engine import GridPartitioner
from gridtool.partition.output import apply_to_project
from gridtool.project import Project

PARAMS = {"min_hh": 300, "max_hh": 500, "corridor_width": 0}


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    p = cut_project("nanjing-xuanwu")
    apply_to_project(p, GridPartitioner(**PARAMS).fit(p))
    path = tmp_path_factory.mktemp("edit") / "plan.gpkg"
    p.save(path)
    return path


def _copy(saved: Path, tmp_path: Path) -> Path:
    out = tmp_path / "plan.gpkg"
    out.write_bytes(saved.read_bytes())
    return out


def _village_pair(grids):
    """Two grids of one village sharing a border, and a third grid of a village with ≥ 2 grids."""
    geo = grids.set_index("code").geometry
    ok = grids[grids["status"] == "ok"]
    for v, g in ok.groupby("village"):
        codes = sorted(g["code"])
        for a in codes:
            for b in codes:
                if a < b and shapely.intersects(geo[a], geo[b]):
                    return a, b, [c for c in codes if c not in (a, b)]
    raise AssertionError("no two neighbouring grids in one village")


def _consistent(path: Path) -> tuple:
    p = Project.open(path)
    g, s, h = (p.layers[r].gdf for r in ("grids", "subgrids", "households"))
    # Every building's sub-grid lies in its grid; the sub-grids of a grid hold its households.
    for grid, sub in zip(h["grid"], h["subgrid"]):
        if isinstance(grid, str) and grid in set(g["code"]):
            assert isinstance(sub, str) and sub.startswith(grid + "-"), (grid, sub)
    per = s.groupby("grid")["hh"].sum()
    for code, hh, n in zip(g["code"], g["hh"], g["n_subgrids"]):
        assert int(per.get(code, 0)) == int(hh), code
        assert int((s["grid"] == code).sum()) == int(n), code
    assert set(s["grid"]) <= set(g["code"])
    # A grid's status says whether it is in its bounds, edited or not (the totals count by it).
    inside = (g["hh"] >= g["min_hh"]) & (g["hh"] <= g["max_hh"])
    assert (g["status"] == inside.map({True: "ok", False: "exception"})).all()
    # The households say the same: a building divided between sub-grids lists its shares
    # (subgrid_parts), and these add up to each sub-grid's households.
    from gridtool.values import parse_grid_parts
    from collections import Counter
    told: Counter = Counter()
    for sub, parts, hh in zip(h["subgrid"], h["subgrid_parts"], h["hh"]):
        shares = parse_grid_parts(parts)
        if shares:
            told.update(dict(shares))
        elif isinstance(sub, str):
            told[sub] += int(hh)
    assert {c: told[c] for c in s["code"]} == dict(zip(s["code"], s["hh"].astype(int)))
    return p, g, s, h


def _ledger_totals(path: Path, tmp_path: Path) -> dict:
    xlsx = tmp_path / "ledger.xlsx"
    assert main(["export", str(path), "--ledger", str(xlsx), "--quiet"]) == 0
    wb = openpyxl.load_workbook(xlsx)
    out = {}
    for sheet in ("网格台账", "子网格"):
        ws = wb[sheet]
        header = next(r for r in ws.iter_rows(values_only=True) if r and "户数" in r)
        total = next(r for r in ws.iter_rows(values_only=True) if r and r[0] == "合计")
        out[sheet] = (total[header.index("户数")], total[header.index("楼栋数")])
    return out


def test_edit_merges_splits_and_moves_a_subgrid_with_subgrids_drawn_again(saved, tmp_path, capsys):
    path = _copy(saved, tmp_path)
    before, g0, s0, h0 = _consistent(path)
    a, b, rest = _village_pair(g0)
    victim = rest[0] if rest else a
    moved_sub = sorted(v for v in h0["subgrid"] if isinstance(v, str) and v.startswith(victim + "-"))[0]
    total0 = int(g0["hh"].sum())
    assert main(["edit", str(path), "--merge", f"{a}={b}", "--split", a,
                 *(["--move-subgrid", f"{moved_sub}={a}"] if rest else [])]) == 0
    out = capsys.readouterr().out
    assert f"合并：网格 {b} 并入 {a}" in out and f"拆分：网格 {a}" in out and "已重新划分" in out
    assert "住户" in out and "基础网格" in out
    p, g, s, h = _consistent(path)
    assert b not in set(g["code"]) and len(g) == len(g0)  # one merged away, one made by the split
    assert int(g["hh"].sum()) == total0
    # Grids the edits did not touch keep their sub-grids exactly (codes and outlines).
    changed = {a, b, victim} | (set(g["code"]) - set(g0["code"]))
    keep0 = s0[~s0["grid"].isin(changed)].set_index("code")
    keep1 = s[~s["grid"].isin(changed)].set_index("code")
    assert set(keep0.index) == set(keep1.index)
    assert all(shapely.equals(keep0.geometry[c], keep1.geometry[c]) for c in keep0.index)
    # The ledger's grid and sub-grid sheets state the same households and buildings.
    tot = _ledger_totals(path, tmp_path)
    assert tot["网格台账"] == tot["子网格"]


def test_merge_says_sub_grids_drawn_again_only_in_the_grid_that_remains(saved, tmp_path, capsys):
    # The grid merged away has no sub-grids any more: the console must not say they were drawn again.
    path = _copy(saved, tmp_path)
    a, b, _ = _village_pair(Project.open(path).layers["grids"].gdf)
    assert main(["edit", str(path), "--merge", f"{a}={b}"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("已重新划分"))
    assert line == f"已重新划分 1 个网格的子网格：{a}"


def test_merging_two_neighbours_gives_no_false_pieces_and_leaves_other_grids_checks_alone(saved, capsys):
    # After a merge the check paired the plan's codes (one fewer) with the loaded polygons: later grids
    # were checked on their neighbours' land, and the merged grid on 15 m discs around the households
    # it took (网格…的住户分在 24 块互不相连的土地上 after merging two neighbours).
    from gridtool.partition.edit import GridPlan
    project = Project.open(saved)
    grids = project.layers["grids"].gdf
    a, b, _ = _village_pair(grids)
    plan = GridPlan.from_project(project)
    key = lambda p: (p.code, tuple(map(str, p.features)), p.zh)  # noqa: E731
    before = {key(p) for p in plan.validate() if not {a, b} & set(map(str, p.features))}
    plan.merge(a, b).do()
    after = plan.validate()
    assert {key(p) for p in after if a not in map(str, p.features)} == before
    geo = grids.set_index("code").geometry
    joined = shapely.union_all([geo[a], geo[b]], grid_size=0.01)
    if len(shapely.get_parts(joined)) == 1:  # the two neighbours make one piece of land
        assert not [p for p in after if p.code == "grid_not_contiguous" and a in map(str, p.features)]


def test_a_villages_only_grid_out_of_bounds_is_told_the_village_remedies(saved):
    # Check grids on a village's only grid (a 268-household village) said "move households from a
    # neighbour, or merge/split": there is none in the village and grids never cross villages.
    from gridtool.partition.edit import GridPlan
    project = Project.open(saved)
    a, b, rest = _village_pair(project.layers["grids"].gdf)
    plan = GridPlan.from_project(project)
    village = plan.village[a]
    for c in [c for c in plan.codes if plan.village[c] == village and c != a]:
        plan.merge(a, c, allow_apart=True).do()  # the whole village in one grid (passing through pieces)
    p = next(p for p in plan.validate() if p.code == "grid_over" and p.features == [a])
    assert f"这是{village}唯一的网格" in p.fix_zh and f"--merge {village}=邻村" in p.fix_zh
    assert f"--relax {village}={plan.bounds[a][0]}-{plan.totals[a]}" in p.fix_zh and "--relax" in p.fix_en
    # a grid beside others of its village keeps the neighbour's advice
    other = next(c for c in plan.codes if plan.village[c] != village and
                 sum(plan.village[x] == plan.village[c] for x in plan.codes) > 1)
    plan.split(other).do()
    off = [p for p in plan.validate() if p.code in ("grid_under", "grid_over") and p.features != [a]]
    assert off and all(p.fix_zh == "从相邻网格移入或移出住户，或合并/拆分。" for p in off)


def test_a_refused_edit_saves_nothing(saved, tmp_path, capsys):
    path = _copy(saved, tmp_path)
    g0 = Project.open(path).layers["grids"].gdf
    a, b, _ = _village_pair(g0)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    # The lock is applied first, then the merge into the locked grid is refused: nothing is written.
    assert main(["edit", str(path), "--lock", b, "--merge", f"{a}={b}"]) == 2
    err = capsys.readouterr().err
    assert f"网格 {a}" in err or f"网格 {b}" in err
    assert "先解锁该网格" in err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    # An unknown code is named with the close ones.
    assert main(["edit", str(path), "--split", a[:-1] + "9"]) == 2
    assert "项目中没有网格" in capsys.readouterr().err
    # Without any edit: a usage message, not a save.
    assert main(["edit", str(path)]) == 2
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_app_save_draws_the_subgrids_as_the_command_line(saved, tmp_path):
    from gridtool.ui.session import Session
    (tmp_path / "cli").mkdir()
    cli = _copy(saved, tmp_path / "cli")
    app = tmp_path / "app.gpkg"
    g0 = Project.open(cli).layers["grids"].gdf
    a, b, _ = _village_pair(g0)
    assert main(["edit", str(cli), "--merge", f"{a}={b}"]) == 0
    s = Session()
    s.open(saved)
    s.push(s.plan.merge(a, b))
    s.materialized().save(app)
    _, _, sub_app, h_app = _consistent(app)
    _, _, sub_cli, h_cli = _consistent(cli)
    assert sorted(sub_app["code"]) == sorted(sub_cli["code"])
    assert h_app["subgrid"].tolist() == h_cli["subgrid"].tolist()


def test_a_building_shared_with_a_locked_grid_keeps_its_shares(saved, tmp_path):
    """A building divided between an edited grid and a locked one: its share in the locked grid's
    sub-grid stays exactly, and the shares add up to each sub-grid's households."""
    from gridtool.values import parse_grid_parts
    path = _copy(saved, tmp_path)
    p0 = Project.open(path)
    g0, h0 = p0.layers["grids"].gdf, p0.layers["households"].gdf
    geo = g0.set_index("code").geometry
    village = dict(zip(g0["code"], g0["village"]))
    case = None
    for f, gp in enumerate(h0["grid_parts"]):
        grids = [c for c, _ in parse_grid_parts(gp)]
        if len(set(grids)) != 2:
            continue
        a, locked = grids
        others = [c for c in g0["code"] if c not in grids and village[c] == village[a]
                  and shapely.intersects(geo[a], geo[c]) and (g0.set_index("code").loc[c, "status"] == "ok")]
        if others:
            case = f, a, locked, others[0]
            break
    assert case is not None, "no building divided between two grids next to a third grid"
    f, a, locked, other = case
    before = [(c, k) for c, k in parse_grid_parts(h0["subgrid_parts"].iat[f]) if c.startswith(locked + "-")]
    assert before
    assert main(["edit", str(path), "--lock", locked, "--merge", f"{a}={other}"]) == 0
    _, _, _, h = _consistent(path)
    after = parse_grid_parts(h["subgrid_parts"].iat[f])
    assert [(c, k) for c, k in after if c.startswith(locked + "-")] == before
    assert sum(k for _, k in after) == int(h["hh"].iat[f])


def test_a_grid_a_hand_edit_leaves_out_of_bounds_is_listed_where_the_totals_count_it(saved, tmp_path):
    """A merge that takes a grid past 500 households marks it an exception; the ledger's totals count
    its households under 例外网格 and point to 例外与问题, which must then name it with its households
    (it said 没有例外或问题 while the totals said 例外网格 N 户)."""
    path = _copy(saved, tmp_path)
    g0 = Project.open(path).layers["grids"].gdf
    a, b, _ = _village_pair(g0)
    assert main(["edit", str(path), "--merge", f"{a}={b}"]) == 0
    merged = Project.open(path).layers["grids"].gdf.set_index("code").loc[a]
    assert merged["status"] == "exception" and int(merged["hh"]) > 500
    xlsx = tmp_path / "ledger.xlsx"
    assert main(["export", str(path), "--ledger", str(xlsx), "--quiet"]) == 0
    wb = openpyxl.load_workbook(xlsx)
    labels = {r[0]: r[4] for r in wb["网格台账"].iter_rows(values_only=True) if r and r[0]}
    probs = [r for r in wb["例外与问题"].iter_rows(values_only=True)][1:]
    rows = {r[1]: r for r in probs}
    assert a in rows and rows[a][3] == int(merged["hh"]) and "超出 300–500" in rows[a][4] and "手工调整" in rows[a][4]
    exception_codes = set(Project.open(path).layers["grids"].gdf.query("status == 'exception'")["code"])
    assert sum(rows[c][3] for c in exception_codes) == labels["其中：例外网格"]
