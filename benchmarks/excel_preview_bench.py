"""How long the new-project wizard takes to preview a clerk's workbook with one sheet per village.

    python benchmarks/excel_preview_bench.py [--sheets 20] [--rows 2000] [--out DIR] [--wizard]

Builds the workbook as township clerks send it (a title merged over the header, 户主 on one sheet
and 户主姓名 on another, 一组小计 and 合计 rows, a hidden sheet with last year's roster) and times
what the wizard does with it: listing the sheets (on the GUI thread) and reading the rows it will
import for ``PATH:*`` (on the app's background runner), against openpyxl's read-only pass over
every cell, the anchor that makes the figures compare across machines. ``--wizard`` also opens the
workbook in the wizard (Qt offscreen), chooses 合并所有工作表, and prints when the preview shows and
the longest stall of the GUI thread meanwhile (the gap between 20 ms timer ticks).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import openpyxl

from gridtool.io.vector import list_layers, preview_table


def clerk_workbook(path: Path, sheets: int = 20, rows: int = 2000) -> Path:
    """A roster as a township sends it: one sheet per village, ``rows`` households each."""
    wb = openpyxl.Workbook(write_only=False)
    for k in range(sheets + 1):
        name = "旧名单" if k == sheets else f"第{k + 1}村"
        ws = wb.active if k == 0 else wb.create_sheet(name)
        ws.title = name
        header = ["序号", "户主姓名" if k % 2 else "户主", "身份证号", "经度", "纬度", "户数", "备注"]
        ws.append([f"{name}住户花名册（2026年）"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        ws.append(header)
        group = 0
        for i in range(rows):
            ws.append([i + 1, f"张{k}-{i}", f"5001011990{k:02d}{i:06d}", 106.5 + k * 0.01 + (i % 97) * 1e-4,
                       29.5 + (i // 97) * 1e-4, str(1 + i % 4), "外出务工" if i % 13 == 0 else None])
            if i % 500 == 499:
                group += 1
                ws.append([None, f"{group}组小计", None, None, None, "1250", None])
        ws.append(["合计", None, None, None, None, str(sum(1 + i % 4 for i in range(rows))), None])
    wb["旧名单"].sheet_state = "hidden"
    wb.save(path)
    return path


def _time(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def wizard_stalls(path: Path) -> tuple[float, float]:
    """Seconds until the wizard's preview of ``path:*`` shows, and the GUI thread's longest stall."""
    import os
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    from gridtool.ui.main_window import MainWindow
    from gridtool.ui.wizard import NewProjectWizard
    window = MainWindow()
    wiz = NewProjectWizard(window)
    row = wiz.layers_page.rows["households"]
    ticks, gaps = [time.perf_counter()], []

    def tick():
        now = time.perf_counter()
        gaps.append(now - ticks[-1])
        ticks.append(now)

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(20)
    start = time.perf_counter()
    row.path.setText(str(path))
    row.refresh()
    i = row.layer.findData("*")
    row.layer.setCurrentIndex(i)
    row.layer.activated.emit(i)
    while window.jobs.busy or "将导入" not in wiz.layers_page.preview.toPlainText():
        app.processEvents()
        time.sleep(0.002)
    tick()
    shown = time.perf_counter() - start
    timer.stop()
    window.jobs.shutdown()
    return shown, max(gaps)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sheets", type=int, default=20)
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--out", default=None, help="folder to keep the workbook in (default: a temporary one)")
    ap.add_argument("--wizard", action="store_true", help="time the wizard's preview too (PyQt6, offscreen)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = clerk_workbook(Path(args.out or tmp) / "一村一表.xlsx", args.sheets, args.rows)
        anchor, _ = _time(lambda: sum(1 for ws in openpyxl.load_workbook(path, read_only=True).worksheets
                                      for _ in ws.iter_rows(values_only=True)))
        listing, names = _time(lambda: list_layers(path))
        read, (df, problems) = _time(lambda: preview_table(path, layer="*"))
        print(f"{args.sheets} sheets x {args.rows} rows: {len(df):,} rows to import, {len(problems)} warnings")
        print(f"anchor (openpyxl read-only, every cell) {anchor:6.2f} s")
        print(f"list sheets (GUI thread)                {listing:6.2f} s  ({len(names)} sheets)")
        print(f"rows to import for PATH:* (background)  {read:6.2f} s  ({read / anchor:.1f}x anchor)")
        if args.wizard:
            shown, stall = wizard_stalls(path)
            print(f"wizard: preview shown after {shown:.2f} s, longest GUI-thread stall {stall:.2f} s")


if __name__ == "__main__":
    main()
