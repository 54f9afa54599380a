"""What a redraw from a previous plan says, in both languages: the lines ``gridtool partition
--previous`` prints and the app's log shows (网格 → 按上一版重绘…), made once here so both say the
same. Each function gives ``(zh, en)`` pairs; the caller prints or logs them in its language.
"""

from __future__ import annotations

import unicodedata

from ..plurals import count_en, plural_en

#: How the previous plan's code column was found, by who found it (``PreviousLayers.code_found_by``).
FOUND_BY = {"given": ("按 --field 指定", "as given by --field"), "header": ("按列名识别", "found by its header"),
            "content": ("按内容识别", "found by its content")}


def lock_codes(text: str | None) -> list[str]:
    """Codes typed as a list: ``"A-01,A-02"``, also separated by ``，``, ``、``, ``;`` or spaces
    (grid codes hold none of these), repeats dropped, in the order typed. Codes typed with the
    input method in full-width mode (``５００１０１－０１``) are read as the ASCII they show."""
    text = unicodedata.normalize("NFKC", text or "")
    for sep in ("、", ";"):  # NFKC made ，；and the ideographic space ASCII
        text = text.replace(sep, ",")
    return list(dict.fromkeys(c for part in (text or "").split(",") for c in part.split() if c))


def previous_lines(prev, *, given_by: tuple[str, str] | None = None) -> list[tuple[str, str]]:
    """The previous plan as read (:class:`gridtool.io.previous.PreviousLayers`): where, how many
    grids, CRS, which code column and how it was found, how households are matched, the grids the
    file itself locks. ``given_by`` names who gave the code column (default ``--field``)."""
    how = given_by if prev.code_found_by == "given" and given_by else FOUND_BY[prev.code_found_by]
    where = f"{prev.file}" + (f":{prev.layer}" if prev.layer else "")
    out = [(f"上一版网格：{where}，{len(prev.grids)} 个网格，坐标系 {prev.crs}；编码字段“{prev.code_column}”"
            f"（{how[0]}）",
            f"previous plan: {where}, {count_en(len(prev.grids), 'grid')}, CRS {prev.crs}; code column {prev.code_column!r} "
            f"({how[1]})")]
    if prev.hh_column:
        out.append((f"  上一版每个网格的户数取自字段“{prev.hh_column}”",
                    f"  households per previous grid from column {prev.hh_column!r}"))
    if prev.households is not None:
        out.append((f"  按位置匹配上一版的 {len(prev.households):,} 个住户要素（同一楼栋 1 米以内）",
                    f"  households matched by position to the previous plan's {len(prev.households):,} household "
                    "features (same building within 1 m)"))
    else:
        out.append(("  住户按位置归入上一版网格面（所在的网格）",
                    "  households matched by position: the previous grid polygon each lies in"))
    if prev.locked:
        # Said before the redraw: whether each stays unchanged is the redraw's to tell (a building
        # gone from the roster leaves it), so this line only says they stay locked.
        out.append((f"  上一版中已锁定的网格仍锁定：{'、'.join(prev.locked)}",
                    f"  grids locked in the previous plan stay locked: {', '.join(prev.locked)}"))
    return out


def _village(v: dict) -> str:
    return f"{v['name']}（{v['code']}）" if v["name"] else v["code"]


def _village_en(v: dict) -> str:
    return f"{v['name']} ({v['code']})" if v["name"] else v["code"]


def village_change_text(c: dict) -> tuple[str, str]:
    """One village change (:func:`gridtool.partition.village_changes.village_changes`) in a line:
    what happened to the villages and what became of their grid codes, e.g. ``石桥村（…001）、新民村
    （…002）合并为 石新社区（…099）：网格 7 个，保留编码 0 个，改为新编码 7 个（…）``."""
    old_zh = "、".join(_village(v) for v in c["old"])
    old_en = ", ".join(_village_en(v) for v in c["old"])
    new_zh = "、".join(_village(v) for v in c["new"])
    new_en = ", ".join(_village_en(v) for v in c["new"])
    from .village_changes import given_code
    o, n = c["old"][0], c["new"][0]
    # Apart again (merge= last year, not now): the guests' grids take their own village's code.
    guests_zh = "、".join(v["name"] or v["code"] for v in c["new"][1:])
    guests_en = ", ".join(v["name"] or v["code"] for v in c["new"][1:])
    # A village without a code (V001 …) on either side: its code is not said to be unchanged.
    same = o["code"] == n["code"] and given_code(n["code"])
    zh, en = {
        "merge": (f"{old_zh} 合并为 {new_zh}", f"{old_en} merged into {new_en}"),
        "merge_planned": (f"{old_zh} 合并划分，网格用 {new_zh} 的代码（区划未变）",
                          f"{old_en} partitioned together, the grids under {new_en}'s code (no change of division)"),
        "merge_ended": (f"上一版合并划分的 {new_zh} 本次分开划分，{guests_zh} 的网格改用本村（社区）代码（区划未变）",
                        f"{new_en}, partitioned together in the previous plan, partitioned apart this time; the grids "
                        f"of {guests_en} take their own village's code (no change of division)"),
        "split": (f"{old_zh} 分为 {new_zh}", f"{old_en} split into {new_en}"),
        "rename": (f"{o['name']} 更名为 {n['name']}" + (f"（代码 {n['code']} 不变）" if same else ""),
                   f"{o['name']} renamed {n['name']}" + (f" (code {n['code']} unchanged)" if same else "")),
        "recode": (f"{n['name'] or o['name']} 代码 {o['code']} 改为 {n['code']}",
                   f"{n['name'] or o['name']}: code {o['code']} changed to {n['code']}"),
        "rename_recode": (f"{_village(o)} 改为 {_village(n)}", f"{_village_en(o)} became {_village_en(n)}"),
    }[c["kind"]]
    rec = c["codes_recoded"]
    kept_seq = sum(e["sequence_kept"] for e in rec)
    zh += f"：网格 {c['grids']} 个，保留编码 {c['codes_kept']} 个，改为新编码 {len(rec)} 个"
    en += f": {count_en(c['grids'], 'grid')}, codes kept {c['codes_kept']}, renumbered {len(rec)}"
    if rec:
        zh += f"（顺序号不变 {kept_seq} 个，接续编号 {len(rec) - kept_seq} 个）"
        en += f" ({kept_seq} with their sequence number, {len(rec) - kept_seq} numbered on)"
    if c["codes_new"]:
        zh += f"，新划网格 {len(c['codes_new'])} 个"
        en += f", new grids {len(c['codes_new'])}"
    if c["locked"]:
        zh += f"；锁定网格 {'、'.join(c['locked'])} 保留（户、楼栋、形状不变）"
        en += f"; locked grids {', '.join(c['locked'])} kept (households, buildings, shape)"
    return zh, en


def village_change_lines(changes: list[dict]) -> list[tuple[str, str]]:
    """The villages merged, split, renamed or recoded since the previous plan, each in a line, and
    the rule the grid codes followed (said once)."""
    if not changes:
        return []
    from .village_changes import CODE_RULE
    division = [c for c in changes if c["kind"] not in ("merge_planned", "merge_ended")]
    planned = [c for c in changes if c["kind"] == "merge_planned"]
    ended = [c for c in changes if c["kind"] == "merge_ended"]
    out = []
    if division:
        out.append((f"  村（社区）区划变化 {len(division)} 处（撤并、拆分、更名、改代码）：",
                    f"  village changes since the previous plan (merged, split, renamed, recoded): {len(division)}"))
        out += [(f"    {zh}", f"    {en}") for zh, en in map(village_change_text, division)]
    if planned:  # --merge (or --infeasible merge) this time, not last time: no division changed
        out.append((f"  本次合并划分的村（社区） {len(planned)} 处（上一版分开划分）：",
                    f"  villages partitioned together this time (apart in the previous plan): {len(planned)}"))
        out += [(f"    {zh}", f"    {en}") for zh, en in map(village_change_text, planned)]
    if ended:  # --merge last time, not this time: no division changed either
        out.append((f"  本次分开划分的村（社区） {len(ended)} 处（上一版合并划分）：",
                    f"  villages partitioned apart this time (together in the previous plan): {len(ended)}"))
        out += [(f"    {zh}", f"    {en}") for zh, en in map(village_change_text, ended)]
    out.append((f"    编码规则：{CODE_RULE[0]}", f"    code rule: {CODE_RULE[1]}"))
    return out


def redraw_lines(r: dict, totals: dict) -> list[tuple[str, str]]:
    """The redraw's changes (the report's ``plan.redraw``) against the household ``totals``: households
    moved, codes kept/new/retired, last year's households to this year's, recoded villages, locked
    grids, each village that changed, households inside locked grids."""
    # households_total: those in base and exceptional grids (special grids are not redrawn)
    out = [(f"  重绘：{r['households_moved']:,} 户改变网格（基础网格和例外网格共 {r['households_total']:,} 户），"
            f"{r['grids_changed']} 个网格有变化；保留编码 {r['codes_kept']} 个，"
            + (f"改编码 {r['codes_recoded']} 个，" if r.get("codes_recoded") else "")
            + f"新编码 {r['codes_new']} 个，撤销编码 {r['codes_retired']} 个；新增住户 {r['households_new']:,} 户",
            f"  redraw: {r['households_moved']:,} of the {count_en(r['households_total'], 'household')} of base and exceptional "
            "grids changed grid, "
            f"{count_en(r['grids_changed'], 'grid')} changed; codes kept {r['codes_kept']}, "
            + (f"renumbered {r['codes_recoded']}, " if r.get("codes_recoded") else "")
            + f"new {r['codes_new']}, retired "
            f"{r['codes_retired']}; households new since the previous plan {r['households_new']:,}")]
    if r.get("households_no_village"):
        # In a grid last year, on the roster still, in no village now: in no grid, and not "moved".
        n = r["households_no_village"]
        out.append((f"  注意：上一版在网格中的 {n:,} 户仍在名册，但已不在任何村（社区）范围内（村被删除或村界改动），"
                    "本次未划入网格；如该村仍在，把它补回村（社区）图层后再划分",
                    f"  note: {count_en(n, 'household')} in a grid in the previous plan {plural_en(n, 'is')} still on the roster but "
                    f"{plural_en(n, 'lies', 'lie')} in no village now (a village deleted or its border moved): in no grid this time; if the village still "
                    "exists, add it back to the villages layer and partition again"))
    by_grid = r.get("households_gone_by_grid") or {}
    if r.get("households_gone"):
        # Households that left the roster: said with the grids that lost them (each one changed).
        n = r["households_gone"]
        shown = sorted(by_grid.items(), key=lambda ck: (-ck[1], ck[0]))
        zh = "、".join(f"网格 {c} 减 {k:,} 户" for c, k in shown[:8]) + (f" 等 {len(shown)} 个网格" if len(shown) > 8 else "")
        en = ", ".join(f"grid {c} −{k:,}" for c, k in shown[:8]) + (f" … ({count_en(len(shown), 'grid')})" if len(shown) > 8 else "")
        out.append((f"  离开名册 {n:,} 户" + (f"（{zh}）" if shown else ""),
                    f"  left the roster: {count_en(n, 'household')}" + (f" ({en})" if shown else "")))
    if r.get("households_previous") is not None and totals.get("imported") is not None:
        # Last year's households, those gone, those new and this year's: the figure of the totals.
        before, now = r["households_previous"], totals["imported"]
        same = before - r["households_gone"] + r["households_new"] == now
        out.append((f"  上一版 {before:,} 户 − 已不在名册 {r['households_gone']:,} 户 + 新增 {r['households_new']:,} 户 "
                    + ("=" if same else "；") + f" 本次 {now:,} 户",
                    f"  previous plan {count_en(before, 'household')} − {r['households_gone']:,} no longer on the roster + "
                    f"{r['households_new']:,} new " + ("=" if same else ";") + f" {now:,} now"))
    out += village_change_lines(r.get("village_changes") or [])
    if r.get("recoded"):
        out.append((f"  编码中的村（社区）代码已不是所在村代码的网格按所在村代码重新编码（旧编码不再使用）：{len(r['recoded'])} 个",
                    f"  grids whose code holds another division code than their village's are renumbered under "
                    f"their village's code (the old codes are not reused): {len(r['recoded'])}"))
        out += [(f"    {e['old']} → {e['new']}（{e['village']}，{_seq_words(e)[0]}）",
                 f"    {e['old']} → {e['new']} ({e['village']}, {_seq_words(e)[1]})")
                for e in sorted(r["recoded"], key=lambda e: e["old"])]
    changed = {e["code"]: e for e in r.get("locked_changed") or []}
    kept = [c for c in r.get("locked") or [] if c not in changed]
    back = {e["new"]: e["old"] for e in r.get("recoded") or []}
    if kept:
        # A locked grid of a recoded village keeps its households but not its code: say both.
        out.append((f"  锁定网格保持不变（户、楼栋、形状）：{'、'.join(_was(c, back, '原') for c in kept)}",
                    "  locked grids kept exactly (households, buildings, shape): "
                    + ", ".join(_was(c, back, "was") for c in kept)))
    for c, e in sorted(changed.items()):
        # The roster changed under the lock: never say such a grid is unchanged.
        out.append((f"  锁定网格 {c}：形状和仍在名册的楼栋不变，户数随名册由 {e['before']:,} 户变为 {e['now']:,} 户",
                    f"  locked grid {c}: shape and the buildings still on the roster kept; households "
                    f"{e['before']:,} → {e['now']:,} as the roster changed"))
    for e in r.get("locked_across") or []:
        # Kept whole as locked, but part of it lies in another village now: say so, never silently.
        zh_o = "、".join(f"{v} {n:,} 户" for v, n in sorted(e["others"].items()))
        en_o = ", ".join(f"{n:,} in {v}" for v, n in sorted(e["others"].items()))
        out.append((f"  注意：锁定网格 {e['code']} 跨越新的村（社区）界（{zh_o}），整体保留并归入户数较多的 {e['village']}；"
                    f"如应按新村界划分，先解锁（gridtool edit 项目.gpkg --unlock {e['code']}，或在桌面程序中点“解锁”）再重绘",
                    f"  note: locked grid {e['code']} lies across a new village border ({en_o}); kept whole in "
                    f"{e['village']}, which holds most of it; to follow the new border, unlock it (gridtool edit "
                    f"PROJECT.gpkg --unlock {e['code']}, or Unlock in the app) and redraw"))
    from .new_in_locked import joined_lines
    out += joined_lines(r.get("joined_locked") or [])
    from .locked_subgrids import locked_subgrid_lines
    out += locked_subgrid_lines(r.get("locked_subgrids") or [])
    for v in r.get("villages", []):
        if v["households_moved"] or v["codes_new"] or v["codes_retired"] or v["households_new"] \
                or v["grids_changed"] or v.get("households_no_village") or v.get("households_gone"):
            nv = v.get("households_no_village") or 0
            ng = v.get("households_gone") or 0
            gone_en = str(v.get("gone_grids") or "").replace(" 减 ", " −").replace(" 户", "").replace("、", ", ")
            out.append((f"    {v['village']}：{v['households_moved']} 户改变网格，{v['grids_changed']} 个网格有变化，"
                        f"新增 {v['households_new']} 户"
                        + (f"，离开名册 {ng:,} 户（{v['gone_grids']}）" if ng else "")
                        + (f"；新编码 {v['new_codes']}" if v["new_codes"] else "")
                        + (f"；撤销 {v['retired_codes']}" if v["retired_codes"] else "")
                        + (f"；不在任何村（社区）范围、未划入网格 {nv:,} 户" if nv else ""),
                        f"    {v['village']}: {count_en(v['households_moved'], 'household')} changed grid, "
                        f"{count_en(v['grids_changed'], 'grid')} changed, {v['households_new']} new"
                        + (f", {ng:,} left the roster ({gone_en})" if ng else "")
                        + (f"; new codes {v['new_codes']}" if v["new_codes"] else "")
                        + (f"; retired {v['retired_codes']}" if v["retired_codes"] else "")
                        + (f"; {nv:,} in no village, in no grid" if nv else "")))
    followed = r.get("codes_in_previous_scheme") or []
    if followed:
        # Another system's numbering (XW001 …): new grids continue it, never gridtool's own.
        zh = "、".join(f"{e['code']}（{e['village']}）" for e in followed)
        en = ", ".join(f"{e['code']} ({e['village']})" for e in followed)
        pre = "、".join(dict.fromkeys(f"“{e['prefix']}”+{e['digits']} 位序号" for e in followed))
        pre_en = ", ".join(dict.fromkeys(f"{e['prefix']!r} + {e['digits']}-digit number" for e in followed))
        out.append((f"  新网格沿用上一版的编码方式（{pre}，接在已用的最大序号之后，旧编码不再使用）：{zh}",
                    f"  new grids follow the previous plan's numbering ({pre_en}, after the highest number used; "
                    f"old codes are not reused): {en}"))
    if r.get("features") and r.get("features_matched") is not None:
        out.append((f"  按位置与上一版住户对上的要素：{r['features_matched']:,} / {r['features']:,}",
                    f"  household features matched to the previous plan's by position: {r['features_matched']:,} of "
                    f"{r['features']:,}"))
    if r.get("households_inside_locked"):
        # Those the previous plan put in an unlocked grid (new ones joined the locked grid above).
        k = r["households_inside_locked"]
        out.append((f"  注意：{r['households_inside_locked']:,} 户位于锁定网格的范围内，但上一版已归入未锁定的网格，仍留在"
                    "原网格（如应并入，先解锁该网格再重绘）",
                    f"  note: {count_en(k, 'household')} {plural_en(k, 'lies', 'lie')} inside locked grids but "
                    f"{plural_en(k, 'was')} in unlocked grids in the previous plan; "
                    f"{plural_en(k, 'it stays', 'they stay')} there (unlock the grid and redraw to take "
                    f"{plural_en(k, 'it', 'them')} in)"))
        for e in r.get("inside_locked") or []:
            went_zh = "、".join(f"{c}（{n} 户）" for c, n in sorted(e["went_to"].items()))
            went_en = ", ".join(f"{c} ({n})" for c, n in sorted(e["went_to"].items()))
            out.append((f"    锁定网格 {e['locked']} 范围内的 {e['households']:,} 户归入：{went_zh}",
                        f"    the {count_en(e['households'], 'household')} inside locked grid {e['locked']} went to: {went_en}"))
    if r.get("features_snapped"):
        out.append((f"  注意：{r['households_snapped']:,} 户（{r['features_snapped']:,} 个住户要素）不在上一版任何网格面内，"
                    f"已按 {r['snap_m']:g} 米内最近的本村网格归入（上一版的网格面画得偏了几米时常见；"
                    "如实为新增住户，检查上一版网格面是否漏画）",
                    f"  note: {count_en(r['households_snapped'], 'household')} ({count_en(r['features_snapped'], 'feature')}) lay in no "
                    f"previous grid polygon and {plural_en(r['households_snapped'], 'was')} put in the nearest grid of their village within "
                    f"{r['snap_m']:g} m (common when another system's outlines are drawn a few metres off; if "
                    "they are new, check the previous outlines)"))
    if r.get("features_by_overlap"):
        out.append((f"  {r['features_by_overlap']:,} 栋跨上一版网格边线的楼按楼的大部分所在的网格归入",
                    f"  {count_en(r['features_by_overlap'], 'building')} across a previous grid's edge {plural_en(r['features_by_overlap'], 'was')} put in the grid "
                    "holding most of the building"))
    if r.get("features_divided"):
        k = r["features_divided"]
        out.append((f"  {k:,} 栋位于上一版两个网格边界上的楼按上一版各网格的户数分在两个网格（共 {r['households_divided']:,} 户"
                    "归入相邻网格）：整栋归入所在网格会使该网格多于、相邻网格少于上一版户数",
                    f"  {count_en(k, 'building')} on the border of two previous grids {plural_en(k, 'was')} divided "
                    f"between them by the previous grids' household counts ({count_en(r['households_divided'], 'household')} "
                    "to the neighbouring grid): whole, the grid holding it would be over its previous count and the "
                    "neighbour under"))
    if r.get("features_whole_by_count"):
        k = r["features_whole_by_count"]
        out.append((f"  {k:,} 栋位于上一版两个网格边界上的楼按上一版各网格的户数整栋归入相邻网格（共 {r['households_whole_by_count']:,} 户）",
                    f"  {count_en(k, 'building')} on the border of two previous grids {plural_en(k, 'was')} put whole in the "
                    f"neighbouring grid by the previous grids' household counts "
                    f"({count_en(r['households_whole_by_count'], 'household')})"))
    if r.get("divided_counts_agree"):
        a, n = r["divided_counts_agree"]
        out.append((f"  上一版网格的户数只有 {a}/{n} 个与现在归入的住户相符（户数来自另一份名册或另一种统计），无法据此看出两个网格"
                    "分住的楼栋，整栋归入所在网格",
                    f"  only {a} of {n} previous grids' household counts agree with the households placed in them (counted "
                    "from another roster or in another way), so buildings divided between two grids cannot be told "
                    "from them and are placed whole in the grid they lie in"))
    if r.get("divided_needs_hh"):
        out.append(("  上一版网格没有户数字段，两个网格分住的楼栋无法看出，整栋归入所在网格（上一版网格图层有每个网格的户数字段"
                    "（hh、户数）时按户数分开）",
                    "  the previous grids have no household count column, so a building divided between two grids "
                    "cannot be told and is placed whole in the grid it lies in (with a households-per-grid column, "
                    "hh or 户数, it is divided by the counts)"))
    if r.get("previous_without_code"):
        out.append((f"  注意：上一版中 {r['previous_without_code']} 个没有编码的面已忽略",
                    f"  note: {count_en(r['previous_without_code'], 'previous polygon')} without a code "
                    f"{plural_en(r['previous_without_code'], 'was')} left out"))
    # the layer's name in the interface (the app's layer list, the ledger's sheet), in one language
    out.append(("  每个村（社区）的变化见“重绘变化”图层", "  per village: the changes layer"))
    return out


def _seq_words(e: dict) -> tuple[str, str]:
    if e.get("sequence_kept", True):
        return "顺序号不变", "sequence kept"
    return "接续编号", "numbered on"


def _was(code: str, back: dict, word: str) -> str:
    if code not in back:
        return code
    return f"{code}（{word} {back[code]}，编码随村代码变更）" if word == "原" else \
        f"{code} ({word} {back[code]}, renumbered with its village's code)"


__all__ = ["FOUND_BY", "lock_codes", "previous_lines", "redraw_lines", "village_change_lines", "village_change_text"]
