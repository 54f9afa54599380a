"""``gridtool gui``: the desktop app. Qt is imported here only, when the command runs, so the rest
of the command line never needs it.
"""

from __future__ import annotations

from ..errors import GridtoolError


def cmd_gui(args) -> int:
    """``gridtool gui``: Qt is imported here only, so the rest of the command line never needs it."""
    try:
        from ..ui.app import main as gui_main
    except ImportError as exc:
        raise GridtoolError(f"桌面程序需要 PyQt6：{exc}", f"the desktop app needs PyQt6: {exc}",
                            fix_zh="pip install \"gridtool[gui]\"", fix_en="pip install \"gridtool[gui]\"") from exc
    argv = ([args.project] if args.project else []) + (["--screenshot", args.screenshot, "--size", args.size]
                                                       if args.screenshot else [])
    # The interface language is the app's own setting (menu 语言/Language, or GRIDTOOL_LANG),
    # unless given here.
    if getattr(args, "gui_lang", None):
        argv += ["--lang", args.gui_lang]
    return gui_main(argv)


def register(subparsers) -> None:
    """Add ``gui`` to the ``gridtool`` argument parser."""
    pg = subparsers.add_parser("gui", help="桌面程序 / the desktop app (needs: pip install gridtool[gui])")
    pg.add_argument("project", nargs="?", metavar="PROJECT.gpkg", help="要打开的项目 / project to open")
    pg.add_argument("--screenshot", metavar="FILE.png",
                    help="不显示窗口，把载入项目后的主窗口渲染为 PNG / render the main window to a PNG and exit")
    pg.add_argument("--size", default="1600x1000", metavar="WxH", help="截图尺寸 / screenshot size")
    pg.add_argument("--lang", dest="gui_lang", choices=("zh", "en"), default=None,
                    help="界面语言（默认沿用上次的设置）/ interface language (default: the saved setting)")
    pg.set_defaults(func=cmd_gui)
