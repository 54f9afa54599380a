"""The party roster's one total in a batch run: 党员名册 = 已联户 + 未联户 over every roster row.

Each chunk's fit links the members of its villages and lists those it gives no households
(:func:`~.staffing.party_links`); three kinds of roster rows are in no fit and are added here,
each with why and the fix, so that the batch's roster count is the roster's:

- ``village_failed``: the member's village could not be partitioned (named in the console);
- ``outside``: the member's point lies in no village (in no chunk), as one run says it;
- ``no_point``: import skipped the row for want of coordinates (:func:`~.staffing.skipped_members`);
- ``unreadable``: the member's feature in the project file is damaged (its geometry cannot be read).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from .chunking import ROW, UNREAD_MEMBER, VILLAGE
from .staffing import REASONS, skipped_members

#: A member whose village failed: (zh, en, fix zh, fix en), as :data:`~.staffing.REASONS`.
VILLAGE_FAILED = ("所在村（社区）划分失败，未安排联系户", "their village could not be partitioned: no households",
                  "按“划分失败”一行所说修正该村（社区）数据，加 --resume 重新运行",
                  "fix the village's data as its 'failed' line says and rerun with --resume")

#: A member whose feature cannot be read from the project file (a damaged geometry).
UNREADABLE = ("项目文件中该党员的要素已损坏（几何无法读出），未安排联系户",
              "their feature in the project file is damaged (its geometry cannot be read): no households",
              "用 gridtool validate 检查项目文件，重新导入党员名册（gridtool import）后加 --resume 重新运行",
              "check the project with gridtool validate, import the party roster again (gridtool import) "
              "and rerun with --resume")


def member_ids(members: gpd.GeoDataFrame) -> list[str]:
    """The roster's id of each member: ``src_id`` (import's ``row N``), else the row in the whole layer."""
    if "src_id" in members:
        return members["src_id"].astype(str).tolist()
    return [f"row {int(r) + 2}" for r in members[ROW].to_numpy()]


def _entry(mid: str, reason: str, words: tuple[str, str, str, str]) -> dict:
    zh, en, fzh, fen = words
    return {"member_id": mid, "reason": reason, "why_zh": zh, "why_en": en, "fix_zh": fzh, "fix_en": fen}


def members_left(members: gpd.GeoDataFrame | None, failed_rows: set[int], *, outside: bool = True,
                 skipped_from=None) -> list[dict]:
    """Roster rows no chunk's fit speaks for, as ``members_not_linked`` entries.

    Parameters
    ----------
    members : GeoDataFrame or None
        The whole ``party_members`` layer with ``_batch_row`` and ``_batch_village`` (the global
        village row each point lies in, -1 in none).
    failed_rows : set of int
        Global rows of the villages that could not be partitioned.
    outside : bool
        Also list the members in no village (the city's report; a district's has none).
    skipped_from : gridtool.layers.Layer, optional
        The imported layer, whose problems name the roster rows import skipped.
    """
    out: list[dict] = []
    if members is not None and len(members):
        own = members[VILLAGE].to_numpy(dtype=np.int64)
        ids = member_ids(members)
        for mid, v in zip(ids, own):
            if v == UNREAD_MEMBER:
                out.append(_entry(mid, "unreadable", UNREADABLE))
            elif v >= 0 and int(v) in failed_rows:
                out.append(_entry(mid, "village_failed", VILLAGE_FAILED))
            elif v < 0 and outside:
                out.append(_entry(mid, "outside", REASONS["outside"]))
    if skipped_from is not None:
        out += skipped_members(skipped_from)
    return out


def add_to_plan(plan: dict, left: list[dict], households_total: int | None = None, min_links: int = 10) -> None:
    """Add ``left`` to ``plan["party_links"]`` (made when absent) and state its totals again:
    the roster = linked + not linked; with ``households_total`` (the run's imported households)
    households linked + not linked = that total."""
    pl = plan.get("party_links")
    if pl is None:
        if not left:
            return
        pl = plan["party_links"] = {"members": 0, "links": 0, "households_linked": 0, "min_links": min_links,
                                    "members_under_min": 0, "members_under_min_ids": [], "members_not_linked": []}
    pl["members_not_linked"] = list(pl.get("members_not_linked") or []) + list(left)
    pl["members_total"] = int(pl.get("members") or 0) + len(pl["members_not_linked"])
    if households_total is not None:
        linked = int(pl.get("households_linked") or 0)
        pl.update(households_total=int(households_total), households_unlinked=int(households_total) - linked)
