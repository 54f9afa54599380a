"""The yearly redraw in the desktop app (pytest-qt, offscreen): this year's roster opened, 网格 →
按上一版重绘… with last year's project gives exactly what ``gridtool partition NEW --previous LAST``
gives on the same inputs: grids, codes, the carried 网格员 ledger, the change report and the
ledger's 重绘变化 sheet (the scenario of ``test_redraw_year``), with a grid to lock and the code
column given in the dialog as ``--lock`` and ``--field previous.code=`` give them, and the log
saying what the command prints."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

sys.path.insert(0, str(Path(__file__).parent))
from test_redraw_year import FAST, year  # noqa: E402,F401  (the module-scoped scenario)

from gridtool.cli import main  # noqa: E402
from gridtool.project import Project  # noqa: E402


def _plain(x):
    return json.loads(json.dumps(x, ensure_ascii=False, default=str))


def _sheets(path: Path, tmp: Path) -> dict:
    import openpyxl
    xlsx = tmp / f"{path.stem}.xlsx"
    assert main(["export", str(path), "--ledger", str(xlsx), "--quiet"]) == 0
    wb = openpyxl.load_workbook(xlsx)
    return {n: list(wb[n].iter_rows(values_only=True)) for n in ("网格台账", "重绘变化")}


def test_the_apps_redraw_from_last_years_project_equals_the_command_lines(qtbot, window, year, tmp_path,  # noqa: F811
                                                                         capsys):
    w = window
    # one more grid to lock than the one last year's plan locks (not of the recoded village)
    last = gpd.read_file(year["last"], layer="grids")
    extra = last[(last["status"] == "ok") & (last["code"] != year["locked"])
                 & ~last["code"].str.startswith("320102900009")]["code"].iat[-1]
    out = tmp_path / "cli.gpkg"
    capsys.readouterr()
    assert main(["partition", str(year["out"].parent / "this_year.gpkg"), "--previous", str(year["last"]),
                 "--field", "previous.code=code", "--lock", extra, "--out", str(out),
                 *[a for a in FAST if a != "--quiet"]]) == 0
    printed = capsys.readouterr().out
    cli = Project.open(out)
    w.open_project(str(year["out"].parent / "this_year.gpkg"))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=20000)
    assert w.actions_["grid.redraw_previous"].isEnabled()
    dlg = w.redraw_previous_dialog(str(year["last"]), params=cli.parameters["partition"]["parameters"])
    # the code column: the file's columns, the core's guess chosen and said to be one
    assert dlg.code.currentText() == "code" and "自动识别" in dlg.code_note.text() and dlg.code_field() is None
    assert {"village", "hh"} <= {dlg.code.itemText(i) for i in range(dlg.code.count())}
    # a code last year's plan does not have: the dialog names it and codes close to it, and stays open
    wrong = extra[:-2] + "99"
    dlg.lock.setText(f"{extra}、{wrong}")
    dlg.buttons.accepted.emit()
    assert wrong in dlg.error.text() and extra[:-2] in dlg.error.text().split("上一版编码如")[1]
    assert dlg.isVisible() and not w.jobs.busy
    dlg.lock.setText(f" {extra} ")
    dlg.code.activated.emit(dlg.code.findData("code"))  # picked by hand: --field previous.code=code
    assert dlg.code_field() == "code" and "已指定" in dlg.code_note.text() and dlg.locks() == [extra]
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=120000)
    s = w.session
    assert s.undo.undo_text().startswith("按上一版重绘")
    cols = ["code", "village", "village_code", "hh", "status", "locked", "worker"]
    a = s.project.layers["grids"].gdf.sort_values("code").reset_index(drop=True)
    b = cli.layers["grids"].gdf.sort_values("code").reset_index(drop=True)
    assert a[cols].astype(str).values.tolist() == b[cols].astype(str).values.tolist()
    assert all(shapely.symmetric_difference(x, y).area < 1e-3 for x, y in zip(a.geometry.values, b.geometry.values))
    assert a.set_index("code").loc[[extra, year["locked"]], "locked"].astype(bool).all()
    # the 网格员 of last year's ledger, on the locked grid and the recoded village's grids too
    assert a.set_index("code").loc[year["locked"], "worker"] == year["workers"][year["locked"]]
    assert a["worker"].notna().all()
    assert s.project.layers["households"].gdf["grid"].tolist() == cli.layers["households"].gdf["grid"].tolist()
    ch = ["village", "households", "households_moved", "households_new", "codes_kept", "new_codes",
          "retired_codes", "locked_codes", "recoded_codes"]
    assert s.project.layers["changes"].gdf[ch].values.tolist() == cli.layers["changes"].gdf[ch].values.tolist()
    mine, theirs = _plain(s.project.parameters["partition"]), _plain(cli.parameters["partition"])
    for k in ("plan", "totals", "joined_columns_carried", "previous"):
        if k == "plan":
            assert mine[k]["redraw"] == theirs[k]["redraw"]
        else:
            assert mine[k] == theirs[k], k
    assert mine["plan"]["redraw"]["recoded"] and mine["joined_columns_carried"]["grids"]["columns"] == ["worker"]
    # saved from the app, its ledger export is the command line's, 重绘变化 sheet included
    saved = tmp_path / "app.gpkg"
    w.save_sync(str(saved))
    assert gpd.read_file(saved, layer="grids")["worker"].notna().all()
    assert _sheets(saved, tmp_path) == _sheets(out, tmp_path)
    # the log says about the previous plan and the redraw what the command printed, line by line
    log = w.problems.log.toPlainText()
    lines = printed.splitlines()
    head = next(i for i, x in enumerate(lines) if x.startswith("上一版网格："))
    end = next(i for i in range(head + 1, len(lines)) if not lines[i].startswith("  "))
    first = next(i for i, x in enumerate(lines) if x.startswith("  重绘："))
    last_ = next(i for i, x in enumerate(lines) if "“重绘变化”图层" in x)
    said = [lines[head].replace("按 --field 指定", "在对话框中指定"), *lines[head + 1:end], *lines[first:last_ + 1]]
    # a locked grid that lost buildings from this year's roster is said to have, never to be unchanged
    changed = {e["code"] for e in mine["plan"]["redraw"].get("locked_changed") or []}
    want = f"  锁定网格 {extra}：形状和仍在名册的楼栋不变" if extra in changed else "  锁定网格保持不变"
    assert len(said) > 8 and any(x.startswith(want) and extra in x for x in said)
    assert [x for x in said if x.strip() in log] == said, [x for x in said if x.strip() not in log]
