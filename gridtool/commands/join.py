"""``gridtool join``: a table (the grid-worker roster, assessment scores) joined to the grids or
sub-grids of a project by code, saved in place (see :mod:`gridtool.join`).
"""

from __future__ import annotations

from .args import fmt_lang, say


def cmd_join(args) -> int:
    """``gridtool join PROJECT --table FILE --on COLUMN``: the table's columns into the grids (or
    sub-grids) of the project, saved in place atomically (see :mod:`gridtool.join`)."""
    from ..join import join_into_project
    columns = [c for c in args.columns.replace("，", ",").split(",")] if args.columns else None
    res = join_into_project(args.project, args.table, on=args.on, columns=columns,
                            encoding=args.encoding)
    for line in res.summary_lines(fmt_lang(args)):
        print(line)
    say(args, f"已保存项目 {args.project}", f"project saved: {args.project}")
    return 0


def register(subparsers) -> None:
    """Add ``join`` to the ``gridtool`` argument parser."""
    pj = subparsers.add_parser("join", help="把表格按编码连接到网格（网格员台账、考核得分）/ join a table to the grids by code")
    pj.add_argument("project", metavar="PROJECT.gpkg", help="已划分网格的项目（就地保存）/ a partitioned project, saved in place")
    pj.add_argument("--table", required=True, metavar="FILE.xlsx[:SHEET]|FILE.csv",
                    help="表格文件（表头上方的标题行自动跳过）/ the table (title rows above the header are skipped)")
    pj.add_argument("--on", required=True, metavar="COLUMN",
                    help="表中的网格或子网格编码列，如 网格编码 / the table column with grid or sub-grid codes")
    pj.add_argument("--columns", metavar="A,B…",
                    help="只连接这些列（默认除编码列和序号外的全部）/ only these columns (default: all but the code "
                         "column and a row counter)")
    pj.add_argument("--encoding", metavar="ENC", help="CSV 文本编码（默认自动识别）/ CSV text encoding (default: detected)")
    pj.set_defaults(func=cmd_join)
