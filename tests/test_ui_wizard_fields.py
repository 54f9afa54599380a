"""The new-project wizard's 字段… dialog: an app user names a layer's columns (household id,
village, village name and code …) as ``--field ROLE.KEY=COLUMN`` does on the command line, and the
import's fixes that name a command-line option say where the app makes that choice (pytest-qt,
offscreen).

Needs PyQt6 and pytest-qt; skipped without them."""

from __future__ import annotations

import os

import geopandas as gpd
import openpyxl
import pytest
from shapely.geometry import box

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")


def _roster(path):
    """Twelve buildings with a unique 房屋编码 the loader does not take as the id by its header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["房屋编码", "经度", "纬度", "户数", "所在村组"])
    for i in range(12):
        ws.append([f"FW{i:04d}", 118.78 + i * 0.001, 32.05 + (i % 4) * 0.0005, 30 + i,
                   "石桥村" if i < 6 else "新民村"])
    wb.save(path)
    return path


def _villages(path):
    """A 三调-style village layer: the township's name and code sit beside the village's, under
    headers (MC1, MC2, DM) that say nothing."""
    gdf = gpd.GeoDataFrame({"MC1": ["城关镇", "城关镇"], "MC2": ["石桥村", "新民村"],
                            "DM": ["320102001001", "320102001002"]},
                           geometry=[box(118.775, 32.04, 118.7835, 32.06), box(118.7835, 32.04, 118.795, 32.06)],
                           crs="EPSG:4326")
    gdf.to_file(path, driver="GPKG", layer="villages")
    return path


def _pick(monkeypatch, choices):
    """Make the 字段 dialog choose ``choices`` ({key: column}) and press 确定."""
    from gridtool.ui import columns_dialog

    def exec_(dlg):
        for key, col in choices.items():
            box_ = dlg.boxes[key]
            i = box_.findData(col)
            assert i >= 0, (key, col, [box_.itemText(j) for j in range(box_.count())])
            box_.setCurrentIndex(i)
        return True
    monkeypatch.setattr(columns_dialog.ColumnsDialog, "exec", exec_)


def _run(qtbot, wiz):
    wiz.show()
    wiz.next()
    qtbot.waitUntil(lambda: wiz.check_page.project is not None, timeout=30000)
    fixes = [wiz.check_page.tree.topLevelItem(i).text(2) for i in range(wiz.check_page.tree.topLevelItemCount())]
    project = wiz.check_page.project
    wiz.accept()
    return project, fixes


def test_without_a_choice_the_fix_says_where_the_app_makes_it(qtbot, window, tmp_path):
    from gridtool.ui.wizard import NewProjectWizard
    wiz = NewProjectWizard(window)
    row = wiz.layers_page.rows["households"]
    row.path.setText(str(_roster(tmp_path / "花名册.xlsx")))
    row.refresh()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=20000)  # the table is read on the job runner
    assert row.fields_button.text() == "字段…"
    p, fixes = _run(qtbot, wiz)
    assert p.layers["households"].gdf["src_id"].iloc[0] == "row 2"  # row numbers: the warning's case
    ids_fix = next(f for f in fixes if "--field households.id=" in f)
    assert "“新建项目”向导第一页" in ids_fix and "“字段…”按钮" in ids_fix
    crs_fix = next(f for f in fixes if "--crs-in" in f)  # no CRS in a sheet: declared in the 坐标系 column
    assert "“坐标系”" in crs_fix and "字段" not in crs_fix.split("本程序中")[1]


def test_columns_chosen_in_the_app_read_as_the_command_line_reads_them(qtbot, window, tmp_path, monkeypatch):
    from gridtool.project import Project
    from gridtool.ui.wizard import NewProjectWizard
    roster, villages = _roster(tmp_path / "花名册.xlsx"), _villages(tmp_path / "村界.gpkg")
    wiz = NewProjectWizard(window)
    page = wiz.layers_page
    hh, vl = page.rows["households"], page.rows["villages"]
    hh.path.setText(str(roster))
    hh.refresh()
    vl.path.setText(str(villages))
    vl.refresh()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=20000)
    cols, table = hh.columns()
    assert table and {"房屋编码", "所在村组", "经度"} <= set(cols)
    _pick(monkeypatch, {"id": "房屋编码"})
    hh.choose_fields()
    cols, table = vl.columns()
    assert not table and cols == ["MC1", "MC2", "DM"]  # a geometry file: no lon/lat boxes
    _pick(monkeypatch, {"name": "MC2", "township": "MC1"})
    vl.choose_fields()
    assert hh.fields_button.text() == "字段（1）…" and vl.fields_button.text() == "字段（2）…"
    fields = page.fields()
    assert fields == {"households.id": "房屋编码", "villages.name": "MC2", "villages.township": "MC1"}
    p, fixes = _run(qtbot, wiz)
    assert not any("--field households.id=" in f for f in fixes)  # the warning is gone
    cli = Project.from_sources({"households": str(roster), "villages": f"{villages}:villages"}, fields=fields)
    for role in ("households", "villages"):
        assert p.layers[role].columns_used == cli.layers[role].columns_used
    assert p.layers["households"].gdf["src_id"].tolist() == [f"FW{i:04d}" for i in range(12)]
    assert sorted(p.layers["villages"].gdf["name"]) == ["新民村", "石桥村"]
    assert set(p.layers["villages"].gdf["township"]) == {"城关镇"}


def test_another_file_forgets_the_old_files_choices(qtbot, window, tmp_path, monkeypatch):
    """A new file clears the choices made for the old one's columns; the same file read again (Enter
    in the path box, which reloads it) keeps them: they were silently dropped."""
    from gridtool.ui.wizard import NewProjectWizard
    page = NewProjectWizard(window).layers_page
    row = page.rows["households"]
    row.path.setText(str(_roster(tmp_path / "a.xlsx")))
    row.refresh()
    assert row.columns() == (None, True)  # being read off the UI thread: the dialog waits for it
    row.choose_fields()
    assert "正在读取文件的列" in page.preview.toPlainText() or not window.jobs.busy
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=20000)
    _pick(monkeypatch, {"village": "所在村组"})
    row.choose_fields()
    assert page.fields() == {"households.village": "所在村组"}
    row.path.editingFinished.emit()  # Enter pressed in the path box: the same file, read again
    assert page.fields() == {"households.village": "所在村组"} and row.fields_button.text() == "字段（1）…"
    row.path.setText(str(_roster(tmp_path / "b.xlsx")))
    row.refresh()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=20000)
    assert page.fields() == {} and row.fields_button.text() == "字段…"


_VALUES = {"village": ["石桥村", "新民村"], "id": ["A1", "A2"], "name": ["甲", "乙"],
           "code": ["320102001001", "320102001002"], "township": ["城关镇", "城关镇"], "county": ["玄武区", "玄武区"],
           "class": ["县道", "乡道"], "oneway": ["是", "否"], "kind": ["河流", "沟渠"], "dlbm": ["1003", "1006"],
           "dlmc": ["公路用地", "农村道路"], "category": ["学校", "医院"], "priority": ["一级", "二级"],
           "time": ["2026-11-03 21:10", "2026-11-04 08:00"], "clock": ["21:10", "08:00"], "type": ["盗窃", "纠纷"],
           "lon": [118.78, 118.79], "lat": [32.05, 32.051]}
_KIND = {"railways": ["铁路", "地铁"], "forest": ["林地", "耕地"]}


@pytest.mark.parametrize("role", ["households", "villages", "roads", "rivers", "railways", "forest", "landuse",
                                  "places", "stations", "party_members", "incidents"])
def test_every_column_the_dialog_offers_is_one_the_loader_reads(tmp_path, role):
    """Each key of the dialog, named for a column with a meaningless header (C0, C1 …), is the column
    the loader records as used for it: no box that changes nothing."""
    import pandas as pd
    from shapely.geometry import LineString

    from gridtool.field_keys import FIELD_KEYS, key_words
    from gridtool.layers import load_layer
    keys = FIELD_KEYS[role]
    df = pd.DataFrame({f"C{i}": _KIND.get(role, _VALUES[k]) if k == "kind" else _VALUES[k]
                       for i, k in enumerate(keys)})
    lines = [LineString([(118.78, 32.05), (118.79, 32.05)]), LineString([(118.79, 32.05), (118.79, 32.06)])]
    areas = [box(118.77, 32.04, 118.785, 32.06), box(118.785, 32.04, 118.8, 32.06)]
    if "lon" in keys:  # a point register: a table, as planners send them
        path = tmp_path / f"{role}.csv"
        df.to_csv(path, index=False)
    else:
        path = tmp_path / f"{role}.gpkg"
        geometry = lines if role in ("roads", "rivers", "railways") else areas
        gpd.GeoDataFrame(df, geometry=geometry, crs="EPSG:4326").to_file(path, layer=role)
    fields = {k: f"C{i}" for i, k in enumerate(keys)}
    layer = load_layer(role, str(path), fields=fields)
    assert {k: layer.columns_used.get(k) for k in keys} == fields
    for key in keys:
        zh, en = key_words(role, key)
        assert zh != key and en
