"""The layers an export cannot be made without (a ledger without grids, route cards without
routes), checked in a moment from the project alone.

The writers check with these same functions before they start, and ``gridtool export`` asks all
of them up front, so a user who asks for several files learns every output that cannot be made
before a long render, while the others are still made.
"""

from __future__ import annotations

from ..errors import GridtoolError
from .paper import ExportError


def _has(project, role: str, *, rows: bool = True) -> bool:
    lyr = project.layers.get(role)
    return lyr is not None and (not rows or (lyr.gdf is not None and len(lyr.gdf) > 0))


def need_ledger(project) -> None:
    """A ledger is of grids and their households."""
    if "grids" not in project.layers or "households" not in project.layers:
        raise ExportError("项目中没有网格，无法生成台账", "the project has no grids; no ledger to write",
                          fix_zh="先运行 gridtool partition 划分网格", fix_en="run gridtool partition first",
                          file=getattr(project, "path", None))


def need_atlas(project) -> None:
    """An atlas has one page per base grid."""
    if not _has(project, "grids"):
        raise ExportError("项目中没有网格，无法生成图册", "the project has no grids; no atlas to make",
                          fix_zh="先运行 gridtool partition 划分网格", fix_en="run gridtool partition first")


def need_assessment(project) -> None:
    """A five-colour map colours the base grids."""
    if not _has(project, "grids"):
        raise ExportError("项目中没有网格，无法绘制五色图", "the project has no grids; no assessment map to draw",
                          fix_zh="先运行 gridtool partition 划分网格", fix_en="run gridtool partition first")


def need_route_cards(project) -> None:
    """A route card is one patrol team's route."""
    if not _has(project, "routes"):
        raise ExportError("项目中没有巡逻路线，无法生成路线卡", "the project has no patrol routes; no route cards to make",
                          fix_zh="先运行 gridtool patrol 规划巡逻路线", fix_en="run gridtool patrol first")


def need_gpx(project) -> None:
    """A GPX holds the patrol routes and their stops."""
    if "routes" not in project.layers and "route_stops" not in project.layers:
        raise GridtoolError("项目中没有巡逻路线", "the project has no patrol routes",
                            fix_zh="先运行 gridtool patrol。", fix_en="run gridtool patrol first.", layer="routes")


def need_walks(project) -> None:
    """The street-walk files are of the walks kept in the project (the app's 网格街巷巡查路线)."""
    if "walk" not in project.layers or "walk_steps" not in project.layers:
        raise GridtoolError("项目中没有街巷巡查路线", "the project has no street walk",
                            fix_zh="先用 gridtool walk 项目.gpkg --grid 网格编码 --out 文件夹 生成（同时存入项目），"
                                   "或在桌面程序中用“巡逻 → 网格街巷巡查路线…”生成并保存项目。",
                            fix_en="make one first with gridtool walk PROJECT.gpkg --grid CODE --out DIR (it is "
                                   "stored in the project too), or with Patrol → Street walk of grids… in the app "
                                   "and save the project.", layer="walk")


#: ``gridtool export`` option → the check of the layers it needs.
NEEDS = {"ledger": need_ledger, "ledger_csv": need_ledger, "atlas": need_atlas, "assessment": need_assessment,
         "route_cards": need_route_cards, "gpx": need_gpx, "walks": need_walks}


def unmet(project, outputs) -> dict[str, GridtoolError]:
    """The ``outputs`` (export option names) that cannot be made from ``project``, with why."""
    out = {}
    for o in outputs:
        try:
            NEEDS.get(o, lambda _p: None)(project)
        except GridtoolError as exc:
            out[o] = exc
    return out
