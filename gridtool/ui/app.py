"""Starting the desktop app: ``gridtool gui [PROJECT] [--screenshot FILE.png]``.

``--screenshot`` renders the main window with the project loaded to a PNG without a display
(Qt's offscreen platform), for the docs and for checks on CI.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

APP_NAME = "gridtool"


def make_app(argv=None, *, offscreen: bool = False):
    """The QApplication, with the CJK font, error hooks and the saved language."""
    if offscreen and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(list(argv or [sys.argv[0]]))
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    from . import errors, fonts, i18n
    fonts.apply_app_font(app)
    errors.install()
    from .main_window import settings
    # GRIDTOOL_LANG wins; then the language chosen in the app's menu; then the config file's.
    from .. import settings as gsettings
    s = gsettings.current()
    lang = s.lang if s.sources.get("lang") == "env" else settings().value("language", s.lang)
    if lang in i18n.LANGUAGES:
        i18n.set_language(lang)
    return app


def offer_recovery(window) -> bool:
    """Offer to restore a recovery copy left by a session that did not close normally."""
    from PyQt6.QtWidgets import QMessageBox

    from ..project import Project
    from .autosave import forget, pending_recoveries
    from .i18n import tr
    for e in pending_recoveries():
        r = QMessageBox.question(window, tr("app.title"),
                                 tr("recovery.offer", name=e.get("name", ""), saved=e.get("saved", ""),
                                    original=e.get("original") or tr("recovery.untitled")))
        if r == QMessageBox.StandardButton.Yes:
            project = Project.open(e["file"])
            project.path = e.get("original") or None
            window.session.set_project(project, unsaved=True)
            forget(e["file"])
            return True
        forget(e["file"])
    return False


def screenshot(project: str | None, out: str, *, size=(1600, 1000), lang: str | None = None,
               select_grid: str | None = None) -> Path:
    """Render the main window with ``project`` loaded into ``out`` (PNG) offscreen."""
    app = make_app(offscreen=True)
    from . import i18n
    from .main_window import MainWindow
    if lang:
        i18n.set_language(lang)
    w = MainWindow(autosave=False, remember_layout=False)  # the same picture whatever the user arranged
    w.resize(*size)
    w.show()
    app.processEvents()
    if project:
        w.open_project(project, background=False)
    app.processEvents()
    w.canvas.zoom_full()
    if select_grid and w.session.plan is not None and select_grid in w.session.plan.totals:
        w.editor.set_target(select_grid)
    for _ in range(3):
        app.processEvents()
    img = w.grab()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not img.save(str(out), "PNG"):
        from ..atomic import WriteError
        raise WriteError("无法写入截图", "could not write the screenshot", file=str(out),
                         fix_zh="检查文件夹是否存在、可写，磁盘是否已满。",
                         fix_en="check that the folder exists and is writable, and that the disk is not full.")
    w.session.set_project(None)
    w.close()
    return out


def window_size(text: str) -> tuple[int, int]:
    """``"1600x1000"`` (or ``1600×1000``, ``1600*1000``) → (1600, 1000)."""
    import re

    from ..errors import OptionError
    m = re.fullmatch(r"\s*(\d{2,5})\s*[xX×*]\s*(\d{2,5})\s*", str(text))
    if not m:
        raise OptionError(f"截图尺寸应为 宽x高：{text}", f"the screenshot size takes WxH: {text!r}",
                          fix_zh="例如 --size 1600x1000。", fix_en="e.g. --size 1600x1000.", field="size")
    return int(m.group(1)), int(m.group(2))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="gridtool gui", description="网格化管理桌面程序 / the gridtool desktop app")
    ap.add_argument("project", nargs="?", help="项目文件 / project .gpkg to open")
    ap.add_argument("--screenshot", metavar="FILE.png", help="把主窗口渲染为图片后退出 / render the window to a PNG and exit")
    ap.add_argument("--size", default="1600x1000", help="截图尺寸 / screenshot size WxH (default 1600x1000)")
    ap.add_argument("--lang", choices=("zh", "en"), help="界面语言 / interface language")
    args = ap.parse_args(argv)
    if args.screenshot:
        out = screenshot(args.project, args.screenshot, size=window_size(args.size), lang=args.lang)
        print(out)
        return 0
    app = make_app()
    from . import i18n
    from .main_window import MainWindow
    if args.lang:
        i18n.set_language(args.lang)
    w = MainWindow()
    w.show()
    if not offer_recovery(w) and args.project:
        w.open_project(args.project)
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
