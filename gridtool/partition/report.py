"""The partition report in words: a Markdown section for summaries (Chinese first, then English)."""

from __future__ import annotations


def remedy_of(village: dict) -> dict:
    """The remedy fields of an infeasible village's report entry: ``remedy`` (``"merge"``,
    ``"relax"``, ``"exception"`` or None), ``merged_into`` and ``relaxed_to``.

    Reports written since these fields exist carry them. A report saved in a project by an
    earlier version has only the English words (``applied``: ``merged into 新华村``,
    ``relaxed to 250-500``, ``exception``); they are read here, and only here, so that old
    projects still show the remedy in Chinese.

    >>> remedy_of({"applied": "merged into 新华村"})["merged_into"]
    '新华村'
    """
    if "remedy" in village:
        return {"remedy": village.get("remedy"), "merged_into": village.get("merged_into"),
                "relaxed_to": village.get("relaxed_to")}
    applied = str(village.get("applied") or "")
    out = {"remedy": None, "merged_into": None, "relaxed_to": None}
    if applied.startswith("merged into "):
        out.update(remedy="merge", merged_into=applied[len("merged into "):])
    elif applied.startswith("relaxed to "):
        lo, _, hi = applied[len("relaxed to "):].partition("-")
        if lo.strip().isdigit() and hi.strip().isdigit():
            out.update(remedy="relax", relaxed_to=[int(lo), int(hi)])
    elif applied == "exception":
        out["remedy"] = "exception"
    return out


def remedy_words(village: dict, lang: str = "zh") -> str:
    """The remedy applied to an infeasible village, in words, from the report's fields.

    Parameters
    ----------
    village : dict
        An entry of ``report["plan"]["infeasible_villages"]`` (``remedy``, ``merged_into``,
        ``relaxed_to``; see :func:`remedy_of` for reports written before them).
    lang : {"zh", "en"}
        The language.

    Returns
    -------
    str
        For example ``已与 新华村 合并划分`` / ``merged into 新华村``.

    Examples
    --------
    >>> v = {"remedy": "relax", "relaxed_to": [270, 500], "applied": "relaxed to 270-500"}
    >>> remedy_words(v, "zh"), remedy_words(v, "en")
    ('已放宽为 270-500 户', 'relaxed to 270-500')
    """
    r = remedy_of(village)
    remedy = r["remedy"]
    zh = lang == "zh"
    if remedy == "merge":
        host = r["merged_into"] or ""
        return f"已与 {host} 合并划分" if zh else f"merged into {host}"
    if remedy == "relax" and r["relaxed_to"]:
        lo, hi = r["relaxed_to"]
        return f"已放宽为 {lo}-{hi} 户" if zh else f"relaxed to {lo}-{hi}"
    if remedy == "exception":
        return "已保留为一个例外网格" if zh else "kept as one exceptional grid"
    return str(village.get("applied") or "")


def partition_markdown(report: dict) -> str:
    """The partition report as a Markdown section, Chinese first, then English.

    Parameters
    ----------
    report : dict
        ``GridPartitioner.report_`` (after :func:`~gridtool.partition.apply_to_project` it also
        states the household totals).

    Returns
    -------
    str
        The section, starting with ``## 网格划分 / Partition``.
    """
    plan = report["plan"]
    p = report["parameters"]
    from .totals import HouseholdTotals
    t = HouseholdTotals.from_dict(report["totals"]) if report.get("totals") else None
    g_zh = t.grids_zh() if t is not None else f"网格 {plan['grids']} 个"
    g_en = t.grids_en() if t is not None else f"{plan['grids']} grids"
    lines = ["", "## 网格划分 / Partition", "",
             f"- {g_zh}（{p['min_hh']}–{p['max_hh']} 户，目标 {p['target']}）/ "
             f"{g_en} ({p['min_hh']}–{p['max_hh']}, target {p['target']})",
             f"- 可划分村（社区）的网格在范围内 / within bounds: {plan['pct_within_bounds']}%",
             f"- 子网格 / sub-grids: {plan.get('subgrids', 0)}（范围内 / within {p['sub_min']}–{p['sub_max']}: "
             f"{plan.get('subgrids_pct_within_bounds', '—')}%，楼栋分单元 / apartment parts: "
             f"{plan.get('apartment_subgrids', 0)}）",
             f"- 专属网格 / special grids: {plan['special_grids']}；专项网格 / corridors: {plan['corridors']}",
             f"- 平均紧凑度 (Polsby-Popper) / mean compactness: {plan['mean_polsby_popper']}",
             f"- 跨越硬边界 / hard-barrier crossings: {plan['hard_crossings']}"
             f"（无法避免 / unavoidable: {plan['unavoidable_hard_crossings']}）；"
             f"跨越主要道路 / main-road crossings: {plan['soft_crossings']}",
             f"- 用时 / time: {report['timings']['total_s']} s"]
    if t is not None:
        lines.insert(3, f"- {t.text_zh()} / {t.text_en()}")
    merged = plan.get("merged_villages") or []
    if merged:
        lines.append("- 合并划分 / merged: " + "；".join(
            f"{m.get('label') or m['village']} → {m['merged_into']}" for m in merged))
    if plan["infeasible_villages"]:
        lines += ["", "| 村（社区）/ village | 户数 / households | 已采用 / applied | 可选 / remedies |",
                  "|---|---:|---|---|"]
        for v in plan["infeasible_villages"]:
            r = v["remedies"]
            merge = "、".join(m["village"] for m in r.get("merge", [])[:3]) or "—"
            lines.append(f"| {v.get('label') or v['village']} | {v['households']} | "
                         f"{remedy_words(v, 'zh')} / {remedy_words(v, 'en')} | "
                         f"例外网格 / one exceptional grid；合并 / merge: {merge}；"
                         f"放宽 / relax: {r['relax'][0]}–{r['relax'][1]} |")
    return "\n".join(lines) + "\n"
