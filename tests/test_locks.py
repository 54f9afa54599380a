"""Locked means locked (issue 15): a planner paints buildings into a grid, locks it and redraws the
unlocked grids; the locked grid keeps exactly its households, buildings, code and shape through
every redraw, new partition, save and reopen, in the engine and in the app's session alike.

Real data: a few villages cut from the bundled samples (``locks_data``): Liechtenstein's Unterland
(houses of 1–3 households, as in the report: 382 → 391 households) and three Nanjing communities
(apartment blocks divided between grids)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_layers, cut_project  # noqa: E402

from gridtool.partition.engine import GridPartitioner
from gridtool.partition.output import apply_to_project
from gridtool.partition.edit import GridPlan, LockedGridError
from gridtool.ui.session import Session
from gridtool.ui.stroke import Stroke

PARAMS = {"min_hh": 300, "max_hh": 500, "corridor_width": 0, "subgrids": False}


def _pick_paint(plan: GridPlan, grids, xy, n=9, max_hh=3):
    """Two grids of one village sharing a border, and the ``n`` buildings of the second nearest to
    the first (each of at most ``max_hh`` households) that fit into the first within bounds."""
    geo = grids.set_index("code").geometry
    for a in plan.codes:
        for b in plan.codes:
            if a == b or plan.village[a] != plan.village[b] or not shapely.intersects(geo[a], geo[b]):
                continue
            fb = np.array([f for f in plan.features_of(b) if 0 < plan._hh[f] <= max_hh
                           and len(plan._parts[f]) == 1])
            if len(fb) < n:
                continue
            near = fb[np.argsort(shapely.distance(geo[a], shapely.points(xy[fb])), kind="stable")[:n]]
            add = int(plan._hh[near].sum())
            if plan.totals[a] + add <= plan.max_hh and plan.totals[b] - add >= plan.min_hh:
                return a, b, near.tolist()
    raise AssertionError("no pair of grids to paint between")


def _members(plan: GridPlan, code: str) -> set[tuple[int, int]]:
    return {(f, int(n)) for f, parts in enumerate(plan._parts) for c, n in parts if c == code}


def _engine_members(gp: GridPartitioner, code: str) -> set[tuple[int, int]]:
    a = gp._assign
    sub = a[a["grid"] == code].groupby("feature")["hh"].sum()
    return {(int(f), int(n)) for f, n in sub.items()}


def _one_piece(geom) -> bool:
    polys = [p for p in shapely.get_parts(shapely.make_valid(geom)) if p.geom_type == "Polygon" and p.area > 1.0]
    return shapely.union_all([shapely.buffer(p, 0.01) for p in polys]).geom_type == "Polygon"


def _check_redraw(gp: GridPartitioner, layers: dict, locked: dict[str, tuple[set, object]]):
    """Locked grids exactly as given; every household once; the other grids in bounds and in one piece."""
    g = gp.grids_.set_index("code")
    for code, (members, geom) in locked.items():
        assert code in g.index and bool(g.loc[code, "locked"])
        assert _engine_members(gp, code) == members
        assert int(g.loc[code, "hh"]) == sum(n for _, n in members)
        assert shapely.symmetric_difference(g.geometry[code], geom).area < 1e-6
    hh = layers["households"]["hh"].to_numpy()
    assert int(gp.grids_["hh"].sum() + gp.special_grids_["hh"].sum()) == int(hh.sum())
    per = gp._assign.groupby("feature")["hh"].sum()
    special = gp.households_["grid"].isin(gp.special_grids_["code"]).to_numpy()
    for f in np.flatnonzero(hh > 0):
        assert special[f] or per.get(f, 0) == hh[f], f"feature {f}: {per.get(f, 0)} of {hh[f]}"
    for r in gp.grids_.itertuples():
        if r.locked:
            continue
        if r.status == "ok":
            assert 300 <= r.hh <= 500, (r.code, r.hh)
        if r.status == "ok" and r.note != "exclave":
            assert _one_piece(r.geometry), f"{r.code} is in pieces"
        # no unlocked grid is drawn over a locked one
        for code, (_, geom) in locked.items():
            assert shapely.intersection(r.geometry, geom).area < 1.0, (r.code, code)


# -- the report, at engine level ----------------------------------------------------------------
@pytest.mark.parametrize("sample,max_hh", [("liechtenstein", 3), ("nanjing-xuanwu", 12)])
def test_painted_and_locked_grid_survives_a_redraw(sample, max_hh):
    """Paint 9 buildings into a grid (382 → 391 in the report), lock it, redraw the unlocked grids:
    before the fix it went back (330 → 320 in Liechtenstein) or swallowed whole blocks
    (418 → 816 in Nanjing); now it keeps exactly its households and polygon."""
    layers = cut_layers(sample)
    first = GridPartitioner(**PARAMS).fit(layers)
    plan = GridPlan(first.households_, first.grids_)
    a, b, feats = _pick_paint(plan, first.grids_, plan._xy, max_hh=max_hh)
    before = plan.totals[a]
    plan.move(feats, a).do()
    plan.set_locked(a).do()
    assert plan.totals[a] == before + int(plan._hh[feats].sum())
    with pytest.raises(LockedGridError):
        plan.move(feats[:1], b)
    members = _members(plan, a)
    prev = first.grids_.assign(hh=[plan.totals[c] for c in first.grids_["code"]],
                               locked=[c in plan.locked for c in first.grids_["code"]])
    edited = dict(layers, households=plan.to_households())
    again = GridPartitioner(**PARAMS).fit(edited, previous=prev, locked=sorted(plan.locked))
    geom = prev.set_index("code").geometry[a]
    _check_redraw(again, edited, {a: (members, geom)})
    red = again.report_["plan"]["redraw"]
    assert red["matched_by"] == "grid" and red["locked"] == [a]
    assert red["households_new"] == 0 and red["codes_kept"] == len(prev)
    # and again, from the redraw's own output: nothing moves any more
    third = GridPartitioner(**PARAMS).fit(dict(edited, households=again.households_), previous=again.grids_,
                                          locked=[a])
    _check_redraw(third, edited, {a: (members, geom)})
    assert third.report_["plan"]["redraw"]["households_moved"] == 0
    # a new partition (not a repair) keeps the locked grid too
    fresh = GridPartitioner(**PARAMS).fit(edited, previous=prev, locked=[a], fresh=True)
    _check_redraw(fresh, edited, {a: (members, geom)})


def test_lock_without_a_previous_plan_is_refused():
    from gridtool.errors import MissingColumnError
    layers = cut_layers("nanjing-xuanwu")
    with pytest.raises(MissingColumnError) as e:
        GridPartitioner(**PARAMS).fit(layers, locked=["X-01"])
    assert "--previous" in e.value.fix_en
    first = GridPartitioner(**PARAMS).fit(layers)
    with pytest.raises(MissingColumnError) as e:
        GridPartitioner(**PARAMS).fit(layers, previous=first.grids_, locked=["no-such-grid"])
    assert "no-such-grid" in e.value.en


# -- the report, through the app's session (no Qt) ------------------------------------------------
def _session(sample: str) -> Session:
    p = cut_project(sample)
    apply_to_project(p, GridPartitioner(**PARAMS).fit(p))
    s = Session()
    s.set_project(p)
    return s


def _redraw(s: Session, *, fresh: bool = False) -> GridPartitioner:
    """What the app's 重绘未锁定网格 / "Redraw unlocked grids" action runs (MainWindow.run_partition)."""
    from gridtool.partition.output import fit_own_plan
    snap, _grids, locked = s.redraw_inputs()
    gp = fit_own_plan(snap, s.partition_parameters(), redraw=not fresh, locked=locked)
    s.apply_partition(gp, text="重绘未锁定网格 / redraw unlocked grids")
    return gp


def _locked_state(s: Session, code: str):
    g = s.project.layers["grids"].gdf.set_index("code")
    return _members(s.plan, code), s.plan.totals[code], g.geometry[code]


def _same(state, other) -> bool:
    return state[0] == other[0] and state[1] == other[1] and \
        shapely.symmetric_difference(state[2], other[2]).area < 1e-6


def test_paint_lock_redraw_save_reopen_in_the_session(tmp_path):
    s = _session("liechtenstein")
    plan = s.plan
    a, _, feats = _pick_paint(plan, s.project.layers["grids"].gdf, s.edit.xy)
    before = plan.totals[a]
    st = Stroke(s, a)
    st.begin()
    assert st.add(feats) == len(feats)
    st.end()
    s.push(plan.set_locked(a, True))
    assert plan.totals[a] == before + int(plan._hh[feats].sum())
    state = _locked_state(s, a)
    gp = _redraw(s)
    assert a in s.plan.locked and _same(_locked_state(s, a), state)
    # The stroke cut the neighbour in two; the redraw gives its cut-off part to a grid it touches
    # (neighbours stay contiguous) and changes nothing outside the village.
    red = gp.report_["plan"]["redraw"]
    assert red["households_moved"] <= 0.05 * red["households_total"]
    assert all(v["households_moved"] == 0 for v in red["villages"] if v["village"] != plan.village[a])
    assert _redraw(s).report_["plan"]["redraw"]["households_moved"] == 0  # stable once repaired
    s.undo.undo()
    assert not [p for p in s.plan.validate() if p.code in ("unassigned_households", "households_counted_twice")]
    for r in s.project.layers["grids"].gdf.itertuples():
        if not r.locked and r.status == "ok" and r.note != "exclave":
            assert _one_piece(r.geometry), r.code
    # save, reopen: still locked, still the same
    path = s.materialized().save(tmp_path / "plan.gpkg")
    s2 = Session()
    s2.open(path)
    assert a in s2.plan.locked and _same(_locked_state(s2, a), state)
    # redraw again after reopening, and a new partition that keeps locks: no change to it
    _redraw(s2)
    assert _same(_locked_state(s2, a), state)
    _redraw(s2, fresh=True)
    assert a in s2.plan.locked and _same(_locked_state(s2, a), state)
    # undo walks back through the redraws to the painted, locked plan; unlock, then the paint
    s.undo.undo()
    assert a in s.plan.locked and _same(_locked_state(s, a), state)
    s.undo.undo()
    assert a not in s.plan.locked
    s.undo.undo()
    assert s.plan.totals[a] == before


def test_partition_refuses_nothing_but_never_moves_a_locked_building(tmp_path):
    """Strokes over a locked grid's buildings leave them; merge and split refuse a locked grid."""
    s = _session("nanjing-xuanwu")
    plan = s.plan
    a, b, _ = _pick_paint(plan, s.project.layers["grids"].gdf, s.edit.xy, max_hh=12)
    s.push(plan.set_locked(a, True))
    mine = plan.features_of(a)
    st = Stroke(s, b)
    st.begin()
    assert st.add(mine) == 0
    assert st.end().locked_skipped > 0
    with pytest.raises(LockedGridError):
        plan.merge(b, a)
    with pytest.raises(LockedGridError):
        plan.split(a)


def test_data_validation_never_reshapes_a_locked_grid_nor_drops_its_households():
    """Validating a partitioned project (the app's 检查数据) repairs the user's layers only: an
    invalid grid polygon is left to the plan (it used to stop validation with a KeyError), and a
    building drawn with no area keeps its households as a point instead of being dropped."""
    from shapely.geometry import Polygon

    from gridtool.validate import validate
    s = _session("nanjing-xuanwu")
    a = s.plan.codes[0]
    s.push(s.plan.set_locked(a, True))
    p = s.materialized()
    hs = p.layers["households"].gdf
    f = next(iter(_members(s.plan, a)))[0]
    x, y = shapely.get_coordinates(hs.geometry.iat[f].representative_point())[0]
    hs.loc[f, "geometry"] = Polygon([(x, y), (x + 5, y), (x + 10, y)])  # a building with no area
    g = p.layers["grids"].gdf
    row = int(np.flatnonzero(g["code"] == a)[0])
    bow = Polygon([(x, y), (x + 10, y), (x, y + 10), (x + 10, y + 10)])  # self-intersecting
    g.loc[row, "geometry"] = bow
    n, total = len(hs), int(hs["hh"].sum())
    codes = {q.code: q for q in validate(p)}
    assert "invalid_geometry" in codes and "degenerate_geometry" not in codes
    out = p.layers["households"].gdf
    assert len(out) == n and int(out["hh"].sum()) == total and out.geometry.iat[f].geom_type == "Point"
    assert p.layers["grids"].gdf.geometry.iat[row].equals(bow)
