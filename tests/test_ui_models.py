"""The desktop app's plain-Python models, without Qt: session, strokes, membership, grid shapes,
viewport, geometry arrays and the translation table."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from partition_data import make_villages  # noqa: E402

from gridtool.layers import Layer
from gridtool.partition.engine import GridPartitioner
from gridtool.partition.edit import LockedGridError
from gridtool.project import Project
from gridtool.ui.geometry import LayerGeometry, lod_level, pick, pick_box
from gridtool.ui.session import Session
from gridtool.ui.stroke import HitIndex, Stroke
from gridtool.ui.viewport import Viewport


@pytest.fixture(scope="module")
def fitted_layers():
    layers = make_villages(n_villages=2, households=1300, river=False, apartments=1, seed=5)
    gp = GridPartitioner(min_hh=300, max_hh=500, corridor_width=0, subgrids=False).fit(layers)
    return layers, gp


def _project(fitted_layers) -> Project:
    layers, gp = fitted_layers
    p = Project(name="测试", crs=layers["villages"].crs)
    for role, gdf in layers.items():
        p.layers[role] = Layer(role=role, gdf=gdf)
    from gridtool.partition.output import apply_to_project
    apply_to_project(p, gp)
    return p


@pytest.fixture
def session(fitted_layers):
    s = Session()
    s.set_project(_project(fitted_layers))
    return s


def _two_grids(s):
    plan = s.plan
    by_village = {}
    for c in plan.codes:
        by_village.setdefault(plan.village[c], []).append(c)
    a, b = next(v for v in by_village.values() if len(v) >= 2)[:2]
    return a, b


def _paint(s, target, source, n):
    """One completed stroke: the first ``n`` household features of grid ``source`` into ``target``."""
    st = Stroke(s, target)
    st.begin()
    st.add(s.edit.membership.features_in(source)[:n])
    return st.end()


def test_stroke_moves_totals_live_and_undoes_as_one_step(session):
    s = session
    a, b = _two_grids(s)
    ta, tb = s.plan.totals[a], s.plan.totals[b]
    seen = []
    s.plan_changed.connect(lambda codes, feats: seen.append((set(codes), len(feats))))
    feats = s.edit.membership.features_in(b)[:5]
    moved = int(sum(s.plan._hh[f] for f in feats))
    st = Stroke(s, a)
    st.begin()
    for f in feats:  # step by step, like a brush
        st.add([f])
        assert s.plan.totals[a] + s.plan.totals[b] == ta + tb
    assert s.plan.totals[a] == ta + moved and s.plan.totals[b] == tb - moved
    assert len(seen) == len(feats) and all(codes == {a, b} for codes, _ in seen)
    st.end()
    assert s.dirty
    # The grids layer follows after the stroke: totals, a note, a new shape.
    g = s.project.layers["grids"].gdf.set_index("code")
    assert g.loc[a, "hh"] == ta + moved and "edited" in g.loc[a, "note"]
    s.undo.undo()  # the whole stroke at once
    assert s.plan.totals[a] == ta and s.plan.totals[b] == tb
    assert not s.dirty
    assert (s.edit.membership.of_feature == s.edit.membership.base).all()


def test_escape_cancels_the_stroke(session):
    s = session
    a, b = _two_grids(s)
    ta = s.plan.totals[a]
    st = Stroke(s, a)
    st.begin()
    st.add(s.edit.membership.features_in(b)[:3])
    assert s.plan.totals[a] > ta
    st.cancel()
    assert s.plan.totals[a] == ta and not s.undo.can_undo()


def test_locked_grids_are_not_painted(session):
    s = session
    a, b = _two_grids(s)
    s.push(s.plan.set_locked(b, True))
    ta, tb = s.plan.totals[a], s.plan.totals[b]
    st = Stroke(s, a)
    st.begin()
    assert st.add(s.edit.membership.features_in(b)) == 0
    res = st.end()
    assert res.locked_skipped > 0
    assert (s.plan.totals[a], s.plan.totals[b]) == (ta, tb)
    with pytest.raises(LockedGridError):
        Stroke(s, b).begin()


def test_other_villages_are_left_alone(session):
    s = session
    plan = s.plan
    a = plan.codes[0]
    other = next(c for c in plan.codes if plan.village[c] != plan.village[a])
    st = Stroke(s, a)
    st.begin()
    assert st.add(s.edit.membership.features_in(other)) == 0
    assert st.end().other_village_skipped > 0


def test_edited_shapes_tile_without_overlap(session):
    s = session
    a, b = _two_grids(s)
    _paint(s, a, b, 8)
    g = s.project.layers["grids"].gdf.set_index("code")
    ga, gb = g.loc[a, "geometry"], g.loc[b, "geometry"]
    assert ga.area > 0 and gb.area > 0
    assert shapely.intersection(ga, gb).area < 1.0  # square metres: borders only
    # every household sits in the shape of its current grid
    m = s.edit.membership
    for code, geom in ((a, ga), (b, gb)):
        pts = shapely.points(s.edit.xy[m.features_in(code)])
        assert shapely.covers(shapely.buffer(geom, 0.05), pts).all()
    # the two shapes together cover what the two grids covered before
    before = shapely.union_all([s.edit.grids.set_index("code").loc[c, "geometry"] for c in (a, b)])
    assert abs(shapely.union_all([ga, gb]).area - before.area) < 1e-5 * before.area  # 1 cm snapping


def test_merge_split_and_materialize(session):
    s = session
    a, b = _two_grids(s)
    total = s.plan.totals[a] + s.plan.totals[b]
    s.push(s.plan.merge(a, b))
    assert b not in s.project.layers["grids"].gdf["code"].tolist()
    assert s.plan.totals[a] == total
    s.push(s.plan.split(a))
    codes = s.project.layers["grids"].gdf["code"].tolist()
    assert len(codes) == len(s.plan.codes)
    snap = s.materialized()
    hh = snap.layers["households"].gdf
    assert set(hh["grid"].dropna()) <= set(s.plan.codes)
    s.undo.undo()
    s.undo.undo()
    assert s.plan.totals[a] + s.plan.totals[b] == total


def test_partition_result_is_one_undo_step_and_keeps_earlier_edits(fitted_layers, session):
    s = session
    a, b = _two_grids(s)
    _paint(s, a, b, 2)
    edited_total = s.plan.totals[a]
    old_plan = s.plan
    gp = GridPartitioner(min_hh=300, max_hh=500, corridor_width=0, subgrids=False).fit(s.materialized())
    s.apply_partition(gp, text="划分 / partition")
    assert s.plan is not old_plan
    s.undo.undo()  # back to the hand-edited plan
    assert s.plan is old_plan and s.plan.totals[a] == edited_total
    s.undo.undo()  # and the stroke before it
    assert s.plan.totals[a] != edited_total
    s.undo.redo()
    s.undo.redo()
    assert s.plan is not old_plan


def test_hit_index(fitted_layers):
    layers, gp = fitted_layers
    from gridtool.spatial import household_points
    pts = household_points(gp.households_)
    xy = np.column_stack([pts.x, pts.y])
    h = HitIndex(xy, gp.blocks_)
    x, y = xy[10]
    assert 10 in h.in_circle(x, y, 1.0)
    assert 10 in h.in_box(x - 1, y - 1, x + 1, y + 1)
    blk = gp.blocks_.household_block[10]
    same = np.flatnonzero(gp.blocks_.household_block == blk)
    assert set(same) <= set(h.block_circle(x, y, 0.5).tolist())


def test_viewport_round_trip_and_zoom():
    vp = Viewport(800, 600, 1000.0, 2000.0, 2.0)
    sx, sy = vp.world_to_screen(1100.0, 1900.0)
    assert (float(sx), float(sy)) == (450.0, 350.0)
    x, y = vp.screen_to_world(sx, sy)
    assert (float(x), float(y)) == (1100.0, 1900.0)
    vp.zoom_at(2.0, 450.0, 350.0)  # the point under the cursor stays put
    assert np.allclose(vp.world_to_screen(1100.0, 1900.0), (450.0, 350.0))
    vp.zoom_to((0, 0, 8000, 3000), margin=0)
    assert vp.res == pytest.approx(10.0)
    assert vp.scale_denominator(96) == pytest.approx(10.0 / 0.0254 * 96)


def test_layer_geometry_levels_chunks_and_picks():
    polys = [shapely.box(i * 10, 0, i * 10 + 9, 9) for i in range(1000)]
    geo = LayerGeometry(np.array(polys, dtype=object), "polygon")
    assert geo.total_bounds == (0.0, 0.0, 9999.0, 9.0)
    chunks, cb = geo.chunks()
    assert sum(len(c) for c in chunks) == 1000 and len(chunks) > 1
    assert geo.visible_chunks((0, 0, 50, 9)) and len(geo.visible_chunks((0, 0, 50, 9))) < len(chunks)
    r0 = geo.rings(0)
    assert r0.n_rings == 1000 and len(r0.xy) == 5000
    assert lod_level(0.1) == 0 and lod_level(100) > lod_level(1)
    assert list(pick(geo, 15.0, 5.0, 0.1)) == [1]
    assert list(pick_box(geo, 0, 0, 25, 5)) == [0, 1, 2]
    sub = r0.select(np.array([3, 1]))
    assert np.allclose(sub.xy[:5], r0.xy[15:20]) and np.allclose(sub.xy[5:], r0.xy[5:10])
    assert sub.feature.tolist() == [3, 1] and sub.start.tolist() == [0, 5, 10]


def test_every_interface_string_has_both_languages():
    from gridtool.ui import i18n
    from gridtool.ui.strings import STRINGS
    src = Path(i18n.__file__).parent
    used = set()
    for f in src.glob("*.py"):
        used |= set(re.findall(r"""\btr\(\s*"([a-z_.0-9]+)\"""", f.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in STRINGS)
    assert not missing, missing
    for key, (zh, en) in STRINGS.items():
        assert zh and en, key
        assert not re.search(r"[\u4e00-\u9fff]", en), (key, en)
    # families of keys built at run time
    from gridtool.roles import ROLES
    from gridtool.ui.map_layers import DRAW_ORDER
    for role in set(ROLES) | set(DRAW_ORDER):
        assert f"role.{role}" in STRINGS
    for s in ("under", "ok", "over"):
        assert f"grids.state.{s}" in STRINGS
    i18n.set_language("en")
    assert i18n.tr("menu.file") == "File"
    i18n.set_language("zh")
    assert i18n.tr("menu.file") == "文件"


def test_field_names_are_translated_and_unknown_fields_kept():
    from gridtool.ui import i18n
    try:
        i18n.set_language("zh")
        assert i18n.field_name("hh") == "户数" and i18n.field_name("village", "grids") == "村（社区）"
        assert i18n.field_name("code", "villages") == "区划代码" and i18n.field_name("code", "grids") == "编码"
        assert i18n.field_name("grid", "subgrids") == "所属基础网格"
        assert i18n.field_name("某个字段") == "某个字段" and i18n.field_name("foo", "grids") == "foo"
        i18n.set_language("en")
        assert i18n.field_name("polsby_popper", "grids") == "Compactness"
        assert i18n.field_name("hard_crossings") == "Hard crossings"
    finally:
        i18n.set_language("zh")


def test_models_import_without_qt():
    """The app's models are plain Python: importable (and testable) with no Qt binding at all."""
    import subprocess
    import textwrap
    script = textwrap.dedent("""
        import importlib, sys

        class NoQt:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("PyQt6", "PyQt5", "PySide6", "PySide2"):
                    raise ImportError(name + " blocked")
                return None

        sys.meta_path.insert(0, NoQt())
        for m in ("events", "i18n", "strings", "paths", "viewport", "geometry", "styles", "map_layers",
                  "session", "stroke"):
            importlib.import_module("gridtool.ui." + m)
        importlib.import_module("gridtool.partition.edit")  # the model they draw (membership, grid shapes)
        print("OK")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "OK" in out.stdout, out.stderr


def test_join_is_one_undoable_step_and_keeps_hand_edits(session, tmp_path):
    """The app's join (gridtool.join on a materialized snapshot) goes in as one undo step; a stroke
    painted before it stays in the plan, and undo walks back through both in order."""
    import openpyxl

    from gridtool.join import join_table

    s = session
    a, b = _two_grids(s)
    ta = s.plan.totals[a]
    _paint(s, a, b, 2)
    moved = s.plan.totals[a] - ta
    assert moved > 0
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["网格员台账"])
    ws.append(["网格编码", "网格员", "联系电话"])
    for i, c in enumerate(s.plan.codes):
        ws.append([c, f"员{i}", f"1370000{i:04d}"])
    wb.save(tmp_path / "台账.xlsx")
    snap = s.materialized()
    s.apply_join(join_table(snap, str(tmp_path / "台账.xlsx"), on="网格编码"), snap)
    g = s.project.layers["grids"].gdf.set_index("code")
    assert g.loc[a, "worker"] == f"员{s.plan.codes.index(a)}" and s.project.layers["grids"].sensitive["worker_phone"] == "phone"
    assert s.plan.totals[a] == ta + moved  # the stroke before the join is still there
    assert s.project.parameters["joins"][-1]["on"] == "网格编码" and s.dirty
    assert "连接表格" in s.undo.undo_text()
    s.undo.undo()
    assert (s.project.layers["grids"].gdf["worker"].fillna("") == "").all()
    assert s.plan.totals[a] == ta + moved and not s.project.parameters.get("joins")
    s.undo.undo()
    assert s.plan.totals[a] == ta
    s.undo.redo()
    s.undo.redo()
    assert s.project.layers["grids"].gdf.set_index("code").loc[a, "worker"].startswith("员")
    # A stroke after the join keeps the joined columns in the grids layer.
    _paint(s, a, b, 1)
    assert s.project.layers["grids"].gdf.set_index("code").loc[a, "worker"].startswith("员")


def test_every_column_of_a_partitioned_sample_has_a_chinese_header_in_the_attribute_table():
    """The app's attribute table heads columns through ``i18n.field_name``: a column it does not
    know shows its internal name. A newcomer saw ``subgrid_parts`` among Chinese headers; the
    villages' township/county and the roads' class_src were raw too (found in the app probe)."""
    from gridtool.partition.output import partition_project
    from gridtool.samples import sample_sources
    from gridtool.ui import i18n
    i18n.set_language("zh")
    p = Project.from_sources(sample_sources("nanjing-xuanwu"), name="nanjing-xuanwu")
    partition_project(p, corridor_width=0)
    raw = {(role, c) for role, lyr in p.layers.items() for c in lyr.gdf.columns
           if c != lyr.gdf.geometry.name and i18n.field_name(c, role) == c}
    assert raw == set()


def test_attribute_table_notes_of_locked_and_edited_grids_are_chinese():
    # A locked grid's note ("locked", written by a redraw) and compound notes read in Chinese in
    # the attribute table, as in the ledger and the GIS files, not as the stored English token.
    from gridtool.ui import i18n
    try:
        i18n.set_language("zh")
        assert i18n.value_text("note", "locked") == "已锁定"
        assert i18n.value_text("note", "pocket; edited") == "硬边界围出的片区；已手工调整"
        assert i18n.value_text("note", "locked, 12 households outside 300-500") == "已锁定，12 户超出 300–500 户"
        assert i18n.value_text("village", "locked") is None  # only the coded columns
        i18n.set_language("en")
        assert i18n.value_text("note", "locked") == "locked"
    finally:
        i18n.set_language("zh")
