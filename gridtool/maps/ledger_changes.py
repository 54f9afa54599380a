"""The ledger's 重绘变化 sheet: what a redraw from last year's plan changed, in Chinese, for the
township office to file with the new plan (``gridtool export --ledger`` after
``gridtool partition --previous``).

One row per village that changed, then the code table: codes renumbered under a recoded village
(旧编码 → 新编码), codes retired, codes new, locked grids, and where the households inside a
locked grid went; then the sub-grid ledger (楼长, 网格助理 joined onto the sub-grids): how many
sub-grids kept their people (the same households), last year's sub-grids whose people need a new
assignment and this year's sub-grids with nobody yet. Below it the same figures as the console and the totals: last year's households,
those no longer on the roster, those new, this year's (the ledger's own total).
"""

from __future__ import annotations

from ..ownership import register_csv_header
from ..partition.redraw_words import village_change_text
from ..partition.totals import HouseholdTotals
from ..partition.village_changes import CODE_RULE
from .ledger_sheet import Sheet

NAME = "重绘变化"
COLUMNS = ["类型", "村（社区）", "旧编码", "新编码", "户数", "说明"]
register_csv_header(tuple(COLUMNS[:3]))


def _split(text) -> list[str]:
    return [c for c in str(text or "").split("、") if c]


def changes_sheet(project, totals: HouseholdTotals):
    """The 重绘变化 sheet of a redrawn project (``None`` when the plan was not a redraw).

    Parameters
    ----------
    project : gridtool.project.Project
        The project; its ``parameters["partition"]["plan"]["redraw"]`` is what the redraw recorded.
    totals : HouseholdTotals
        The ledger's household totals: this year's figure is theirs.

    Returns
    -------
    gridtool.maps.ledger.Sheet or None
    """

    r = ((project.parameters.get("partition") or {}).get("plan") or {}).get("redraw")
    if not r:
        return None
    rows: list[list] = []
    recoded = {e["old"]: e for e in r.get("recoded") or []}
    for v in r.get("villages") or []:
        if not (v.get("households_moved") or v.get("households_new") or v.get("codes_new")
                or v.get("codes_retired") or v.get("grids_changed") or v.get("recoded_codes")
                or v.get("households_no_village") or v.get("households_gone")):
            continue
        nv = v.get("households_no_village") or 0
        ng = v.get("households_gone") or 0
        rows.append(["村（社区）变化", v["village"], None, None, v.get("households"),
                     f"{v.get('households_moved', 0)} 户改变网格，{v.get('grids_changed', 0)} 个网格有变化，"
                     f"新增 {v.get('households_new', 0)} 户"
                     + (f"，离开名册 {ng:,} 户（{v.get('gone_grids')}）" if ng else "") + f"；保留编码 {v.get('codes_kept', 0)} 个，"
                     + (f"改编码 {v['codes_recoded']} 个，" if v.get("codes_recoded") else "") +
                     f"新编码 {v.get('codes_new', 0)} 个，撤销 {v.get('codes_retired', 0)} 个"
                     + (f"；不在任何村（社区）范围、未划入网格 {nv:,} 户" if nv else "")])
    changes = r.get("village_changes") or []
    for c in changes:
        # The code columns hold grid codes: the village codes are in the words.
        rows.append([{"merge_planned": "合并划分", "merge_ended": "分开划分"}.get(c["kind"], "区划变化"),
                     "、".join(v["name"] or v["code"] for v in c["new"]), None, None,
                     sum(v["households"] for v in c["new"]), village_change_text(c)[0]])
    if changes:
        rows.append(["编码规则", None, None, None, None, CODE_RULE[0]])
    for e in r.get("codes_in_previous_scheme") or []:
        # Another system's numbering continued (XW083 after XW082), said beside the code.
        rows.append(["编码方式", e["village"], None, e["code"], None,
                     f"沿用上一版的编码方式（“{e['prefix']}”+{e['digits']} 位序号），接在已用的最大序号之后"])
    for old, e in sorted(recoded.items()):
        seq = "顺序号不变" if e.get("sequence_kept", True) else "接续编号"
        rows.append(["改编码", e["village"], old, e["new"], None,
                     f"改用所在村（社区）的代码 {e['village_code']}，{seq}；旧编码不再使用"])
    village_of = {c: v["village"] for v in r.get("villages") or [] for c in _split(v.get("retired_codes"))}
    # A village with no grid now (deleted from the villages layer, or all its households gone):
    # its grids' households went to no other grid of it.
    no_grid = {v["village"]: v.get("households_no_village") or 0 for v in r.get("villages") or [] if not v.get("grids")}
    for c in r.get("retired_codes") or []:
        v = village_of.get(c)
        why = "该网格的住户已归入其他网格" if v not in no_grid else \
            "所在村（社区）已不在村图层中，住户未划入网格" if no_grid[v] else "所在村（社区）已没有网格（住户已不在名册或不在村范围内）"
        rows.append(["撤销编码", v, c, None, None, f"{why}；编码不再使用"])
    village_of = {c: v["village"] for v in r.get("villages") or [] for c in _split(v.get("new_codes"))}
    for c in r.get("new_codes") or []:
        rows.append(["新编码", village_of.get(c), None, c, None, "新划出的网格（不重复使用撤销的编码）；网格员需补录"])
    village_of = {c: v["village"] for v in r.get("villages") or [] for c in _split(v.get("locked_codes"))}
    back = {e["new"]: old for old, e in recoded.items()}
    changed = {e["code"]: e for e in r.get("locked_changed") or []}
    for c in r.get("locked") or []:
        e = changed.get(c)
        kept = "户、楼栋和形状保持不变" + ("；编码随村（社区）代码变更" if c in back else "")
        rows.append(["锁定网格", village_of.get(c), back.get(c, c), c, None, kept] if e is None else
                     ["锁定网格", village_of.get(c), back.get(c, c), c, e["now"],
                      f"形状和仍在名册的楼栋不变；户数随名册由 {e['before']:,} 户变为 {e['now']:,} 户"])
    for e in r.get("locked_across") or []:
        others = "、".join(f"{v} {n:,} 户" for v, n in sorted(e["others"].items()))
        rows.append(["锁定网格跨村界", e["village"], back.get(e["code"], e["code"]), e["code"],
                     sum(e["others"].values()), f"跨越新的村（社区）界（{others}），整体保留并归入 {e['village']}；"
                     "如应按新村界划分，先解锁该网格再重绘"])
    from ..partition.new_in_locked import joined_ledger_text
    for e in r.get("joined_locked") or []:
        rows.append(["锁定网格内新增住户", village_of.get(e["locked"]), back.get(e["locked"], e["locked"]),
                     e["locked"], e["households"], joined_ledger_text(e)])
    for e in r.get("inside_locked") or []:
        went = "、".join(f"{c}（{n} 户）" for c, n in sorted(e["went_to"].items()))
        rows.append(["锁定网格范围内的其他网格住户", village_of.get(e["locked"]), back.get(e["locked"], e["locked"]),
                     e["locked"], e["households"],
                     f"上一版已归其他网格，仍在：{went}；如应并入，先解锁该网格再重绘"])
    rows += _subgrid_rows(project, recoded)
    if not rows:
        rows.append(["无变化", None, None, None, None, "与上一版相同"])
    since = edited_since(project, r)
    if since:
        # The sheet is the redraw's record; hand edits after it (gridtool edit, the app) are not in
        # it, so it must not read as the plan of today.
        rows.insert(0, ["注意", None, None, None, None,
                        "本表为重绘时的变化；重绘后又做过手工调整（" + "；".join(since)
                        + "），现有网格、编码和户数以「网格台账」为准"])
    # The rows above list only the villages that changed: the footer's figure is every household of
    # this year's plan, so it is not called 合计 (a planner adding up the column would not find it).
    footer = [["全部住户（本次）", None, None, None, totals.imported,
               f"改变网格 {r.get('households_moved', 0):,} 户；有变化的网格 {r.get('grids_changed', 0)} 个；"
               f"保留编码 {r.get('codes_kept', 0)} 个，新编码 {r.get('codes_new', 0)} 个，"
               f"撤销编码 {r.get('codes_retired', 0)} 个，改编码 {len(recoded)} 个"]]
    if r.get("households_previous") is not None:
        before, gone, new = r["households_previous"], r.get("households_gone", 0), r.get("households_new", 0)
        sign = "=" if before - gone + new == totals.imported else "；"
        footer.append(["住户", None, None, None, totals.imported,
                       f"上一版 {before:,} 户 − 已不在名册 {gone:,} 户 + 新增 {new:,} 户 {sign} 本次 {totals.imported:,} 户"
                       + (f"；其中上一版在网格中、现不在任何村（社区）范围内（未划入网格）{r['households_no_village']:,} 户"
                          if r.get("households_no_village") else "")])
    return Sheet(NAME, list(COLUMNS), rows, footer)


def edited_since(project, redraw: dict) -> list[str]:
    """What of the redraw's record the plan no longer shows (hand edits after the redraw), in
    Chinese: new codes gone, locked grids unlocked, retired codes back. Empty when it still holds."""
    layer = project.layers.get("grids")
    if layer is None or "code" not in layer.gdf:
        return []
    g = layer.gdf
    codes = set(g["code"].astype(str))
    locked_now = set(g.loc[g["locked"].fillna(False).astype(bool), "code"].astype(str)) if "locked" in g else set()
    out = []
    for words, found in (("新编码已不存在", [c for c in redraw.get("new_codes") or [] if c not in codes]),
                         ("锁定网格已解锁或不存在", [c for c in redraw.get("locked") or [] if c not in locked_now]),
                         ("撤销编码又出现", [c for c in redraw.get("retired_codes") or [] if c in codes])):
        if found:
            out.append(f"{words}：{'、'.join(found[:5])}" + (f" 等 {len(found)} 个" if len(found) > 5 else ""))
    return out


def _subgrid_rows(project, recoded: dict) -> list[list]:
    """The sub-grid ledger carried by a redraw (``joined_columns_carried["subgrids"]``,
    :mod:`gridtool.partition.subgrid_ledger`)."""
    c = ((project.parameters.get("partition") or {}).get("joined_columns_carried") or {}).get("subgrids")
    if not c or "reassign" not in c:
        return []
    cols = "、".join(c["columns"])
    grids = project.layers.get("grids")
    village = dict(zip(grids.gdf["code"].astype(str), grids.gdf["village"])) if grids is not None \
        and "village" in grids.gdf else {}
    rows = [["子网格沿用", None, None, None, None,
             f"{len(c.get('carried') or {})} 个子网格的住户与上一版相同，{cols}沿用上一版"]]
    for e in c["reassign"]:
        g = str(e.get("grid") or "")
        rows.append(["子网格需重新指定", village.get((recoded.get(g) or {}).get("new", g)), e["old"], None,
                     e.get("households"), f"该子网格的住户已有变化，{cols}需重新指定"])
    sub = project.layers.get("subgrids")
    if sub is not None:
        s = sub.gdf.assign(_c=sub.gdf["code"].astype(str)).set_index("_c")
        for code in c.get("codes_without") or []:
            if code in s.index:
                g = str(s.at[code, "grid"]) if "grid" in s else ""
                rows.append(["子网格待指定", village.get(g), None, code,
                             int(s.at[code, "hh"]) if "hh" in s else None, f"新的或有变化的子网格，{cols}待补录"])
    return rows
