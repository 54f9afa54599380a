"""``gridtool edit``: the desktop app's hand edits of a grid plan from the command line — lock and
unlock grids, merge two grids, split one, move buildings, a whole sub-grid or the buildings inside an
area (the app's box and brush) into another grid —
with the app's rules (:mod:`gridtool.partition.edit.scripted`), then the sub-grids of the changed
grids drawn again and the project saved atomically (in place, or to ``--out``).
"""

from __future__ import annotations

import argparse

from ..plurals import count_en
from .args import file_options, fmt_lang, say


class _Ordered(argparse.Action):
    """Collect every edit option into ``args.edits`` in the order typed: a merge then a split of
    the merged grid is not the same as the split first."""

    def __call__(self, parser, namespace, values, option_string=None):
        edits = list(getattr(namespace, "edits", None) or [])
        edits.append((self.dest, values))
        namespace.edits = edits


def cmd_edit(args) -> int:
    from ..partition.edit.scripted import apply_edits
    from ..partition.totals import household_totals
    from ..project import Project
    edits = getattr(args, "edits", None) or []
    if not edits:
        from ..errors import OptionError
        raise OptionError("没有给出修改", "no edit given",
                          fix_zh="用 --lock、--unlock、--merge、--split、--move、--move-subgrid 或 --move-area 说明要做的修改。",
                          fix_en="say what to change with --lock, --unlock, --merge, --split, --move, --move-subgrid "
                                 "or --move-area.")
    project = Project.open(args.project)
    area = file_options(args, "area")
    outcome = apply_edits(project, edits, id_column=args.id_column, area_crs_in=area["crs_in"],
                          area_crs_default=area["crs_default"], allow_apart=args.allow_apart)
    for zh, en in outcome.messages:
        say(args, zh, en)
    if outcome.changed:
        say(args, f"已重新划分 {len(outcome.changed)} 个网格的子网格：{'、'.join(outcome.changed)}",
            f"sub-grids drawn again in {count_en(len(outcome.changed), 'grid')}: {', '.join(outcome.changed)}")
    # The plan's problems in the grids these edits changed; older ones (an exception grid, an
    # exclave the partition noted) are counted, not repeated.
    changed = set(outcome.changed)
    mine = [p for p in outcome.problems if p.severity == "error" or changed & {str(f) for f in p.features}]
    for p in mine:
        print(p.format(fmt_lang(args)))
    if len(outcome.problems) > len(mine):
        n = len(outcome.problems) - len(mine)
        say(args, f"另有 {n} 个网格的问题与本次修改无关（gridtool validate 项目 --grids 可列出）",
            f"{count_en(n, 'other grid problem')} not touched by these edits (gridtool validate PROJECT --grids lists them)")
    t = household_totals(project)
    say(args, f"  {t.text_zh()}", f"  {t.text_en()}")
    if args.dry_run:
        say(args, "试运行：项目未保存", "dry run: the project was not saved")
        return 0
    out = args.out or args.project
    project.save(out, force=args.force)
    say(args, f"已保存项目 {out}", f"project saved: {out}")
    return 0


def register(subparsers) -> None:
    """Add ``edit`` to the ``gridtool`` argument parser."""
    pe = subparsers.add_parser(
        "edit", help="手工调整网格：锁定、合并、拆分、移动楼栋或子网格（与桌面程序规则相同）/ hand edits of the "
                     "grids: lock, merge, split, move buildings or a sub-grid (the app's rules)",
        description="按输入顺序执行修改；任何一步被拒绝（已锁定、跨村、编码不存在、合并不相连的网格）则全部不保存。"
                    "修改过的网格重新划分子网格。 / Edits run in the order typed; if any is refused (locked, another "
                    "village, unknown code, a merge of grids that do not touch) nothing is saved. Changed grids "
                    "get their sub-grids drawn again.")
    pe.add_argument("project", metavar="PROJECT.gpkg", help="已划分网格的项目（默认就地保存）/ a partitioned project "
                                                            "(saved in place unless --out)")
    pe.add_argument("--lock", dest="lock", action=_Ordered, metavar="CODE,CODE…",
                    help="锁定网格：重画时户、楼栋和形状不变 / lock grids (kept exactly by redraws)")
    pe.add_argument("--unlock", dest="unlock", action=_Ordered, metavar="CODE,CODE…", help="解锁网格 / unlock grids")
    pe.add_argument("--merge", dest="merge", action=_Ordered, metavar="KEEP=OTHER",
                    help="把网格 OTHER 并入 KEEP（同一村）/ merge grid OTHER into KEEP (same village)")
    pe.add_argument("--allow-apart", action="store_true",
                    help="允许 --merge 合并互不相连的网格（默认拒绝：合并后网格将分在几处，飞地除外）/ let --merge join "
                         "grids that do not touch (refused by default: the grid would lie in pieces; exclaves of "
                         "the village excepted)")
    pe.add_argument("--split", dest="split", action=_Ordered, metavar="CODE",
                    help="把网格一分为二（两半连通、尽量在户数范围内）/ cut a grid in two connected halves")
    pe.add_argument("--move", dest="move", action=_Ordered, metavar="ID,ID…=CODE",
                    help="把这些楼栋（按 --id-column，默认 src_id）移入网格 CODE / move these buildings into grid CODE")
    pe.add_argument("--move-subgrid", dest="move_subgrid", action=_Ordered, metavar="SUBCODE=CODE",
                    help="把一个子网格的全部楼栋移入相邻网格 CODE / move a sub-grid's buildings into grid CODE")
    pe.add_argument("--move-area", dest="move_area", action=_Ordered, metavar="PATH[:LAYER]=CODE",
                    help="把面图层（在 GIS 或地图软件中画的范围，KML、GPKG、SHP，带坐标系）内的楼栋移入网格 CODE，"
                         "同桌面程序的框选和画笔：锁定网格、专属网格和其他村的楼栋不移动并计数 / move the buildings "
                         "inside the polygons of a file into grid CODE, as the app's box and brush (those of "
                         "locked, special or other villages' grids stay, counted)")
    pe.add_argument("--crs-in", action="append", default=[], metavar="[area=]CRS",
                    help="--move-area 范围文件的坐标系：在高德、腾讯地图上画的 area=gcj02，百度地图 area=bd09；不带 area= "
                         "时只用于没有坐标系的文件（无 .prj 的 Shapefile）/ the CRS of the --move-area file: "
                         "area=gcj02 for one drawn on AMap or Tencent maps, area=bd09 on Baidu; without area=: "
                         "for a file without a CRS of its own (a shapefile without .prj)")
    pe.add_argument("--id-column", metavar="COLUMN", help="--move 所用的住户编号列（默认 src_id）/ the households' id "
                                                          "column for --move (default src_id)")
    pe.add_argument("--out", metavar="OUT.gpkg", help="另存为（默认就地保存）/ save to this project instead")
    pe.add_argument("--dry-run", action="store_true", help="只检查并显示结果，不保存 / check and report, do not save")
    pe.add_argument("--force", action="store_true",
                    help="允许覆盖不是 gridtool 项目的已有文件 / replace an existing non-gridtool file")
    pe.set_defaults(func=cmd_edit, edits=[], field=[], file_roles=("area",))
