"""The partition report in words: the remedies of infeasible villages and a Markdown section for
summaries, in Chinese, English or both."""

from __future__ import annotations

from ..plurals import count_en


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


def remedy_options(village: dict, lang: str = "zh") -> str:
    """The remedies an infeasible village could take (its report entry's ``remedies``), in words.

    >>> v = {"households": 268, "remedies": {"merge": [{"village": "新华村", "households": 720, "grids": 2}],
    ...                                       "relax": [268, 500]}}
    >>> remedy_options(v, "zh")
    '保留为一个例外网格（268 户）；与 新华村 合并（共 720 户，2 个网格）；放宽为 268–500 户'
    """
    r = village.get("remedies") or {}
    zh = lang == "zh"
    hh = village.get("households")
    parts = [(f"保留为一个例外网格（{hh:,} 户）" if zh else f"keep as one exceptional grid of {count_en(hh, 'household')}")
             if hh is not None else ("保留为一个例外网格" if zh else "keep as one exceptional grid")]
    for m in (r.get("merge") or [])[:3]:
        parts.append(f"与 {m['village']} 合并（共 {m['households']:,} 户，{m['grids']} 个网格）" if zh else
                     f"merge with {m['village']} ({count_en(m['households'], 'household')}, {count_en(m['grids'], 'grid')})")
    if r.get("relax"):
        lo, hi = r["relax"]
        parts.append(f"放宽为 {lo}–{hi} 户" if zh else f"relax the bounds to {lo}–{hi}")
    return ("；" if zh else "; ").join(parts)


def remedy_texts(village: dict) -> dict:
    """The words of an infeasible village's remedies for its report entry, in both languages:
    ``remedy_zh``/``remedy_en`` (the one applied) and ``remedies_zh``/``remedies_en`` (the options).
    The report is read by programs too: the codes (``remedy``, ``remedies``) stay as they are."""
    return {"remedy_zh": remedy_words(village, "zh"), "remedy_en": remedy_words(village, "en"),
            "remedies_zh": remedy_options(village, "zh"), "remedies_en": remedy_options(village, "en")}


def terrain_words(terrain: dict | None) -> tuple[str, str] | None:
    """The one line on the elevation model's ridges, Chinese and English, that the command line
    prints and the app logs: used (km of ridge lines, from which file) or not, and why.

    Parameters
    ----------
    terrain : dict or None
        The report's ``plan["terrain"]`` (None without a DEM: nothing to say).

    Returns
    -------
    tuple of str or None
        ``(zh, en)``.
    """
    if not terrain:
        return None
    dem = terrain.get("dem", "")
    if not terrain.get("used"):
        return (f"未使用高程模型（{dem}）中的山脊（--ignore-terrain）",
                f"ridges of the elevation model ({dem}) not used (--ignore-terrain)")
    return (f"网格边界沿山脊：由高程模型 {dem} 得到山脊线 {terrain['ridge_km']} 公里（{terrain['ridge_lines']} 条，"
            f"高出两侧谷底 {int(terrain['rise_m'])} 米以上，用时 {terrain['seconds']} 秒）；--ignore-terrain 可关闭",
            f"grid borders follow ridges: {terrain['ridge_km']} km of ridge lines ({count_en(terrain['ridge_lines'], 'line')} "
            f"standing {int(terrain['rise_m'])} m or more above the valley floors on both sides) from the elevation "
            f"model {dem}, in {terrain['seconds']} s; --ignore-terrain turns this off")


def partition_markdown(report: dict, lang: str = "zh") -> str:
    """The partition report as a Markdown section.

    Parameters
    ----------
    report : dict
        ``GridPartitioner.report_`` (after :func:`~gridtool.partition.apply_to_project` it also
        states the household totals).
    lang : {"zh", "en", "both"}
        Chinese only (the default), English only, or both (``中文 / English``).

    Returns
    -------
    str
        The section, starting with ``## 网格划分`` (``## Partition``; ``## 网格划分 / Partition``).
    """
    plan = report["plan"]
    p = report["parameters"]
    from .totals import HouseholdTotals, grid_words

    def t(zh: str, en: str) -> str:
        return zh if lang == "zh" else en if lang == "en" else f"{zh} / {en}"

    tot = HouseholdTotals.from_dict(report["totals"]) if report.get("totals") else None
    g_zh, g_en = grid_words(report.get("totals"), plan["grids"])
    colon = "：" if lang == "zh" else ": "
    sub_pct = plan.get("subgrids_pct_within_bounds", "—")
    lines = ["", f"## {t('网格划分', 'Partition')}", "",
             "- " + t(f"{g_zh}（{p['min_hh']}–{p['max_hh']} 户，目标 {p['target']}）",
                      f"{g_en} ({p['min_hh']}–{p['max_hh']}, target {p['target']})"),
             f"- {t('可划分村（社区）的网格在范围内', 'within bounds')}{colon}{plan['pct_within_bounds']}%",
             "- " + t(f"子网格：{plan.get('subgrids', 0)} 个（{p['sub_min']}–{p['sub_max']} 户范围内 {sub_pct}%，"
                      f"楼栋分单元 {plan.get('apartment_subgrids', 0)} 个）",
                      f"sub-grids: {plan.get('subgrids', 0)} (within {p['sub_min']}–{p['sub_max']}: {sub_pct}%, "
                      f"apartment parts: {plan.get('apartment_subgrids', 0)})"),
             "- " + t(f"专属网格：{plan['special_grids']} 个；专项网格：{plan['corridors']} 条",
                      f"special grids: {plan['special_grids']}; corridors: {plan['corridors']}"),
             f"- {t('平均紧凑度（Polsby-Popper）', 'mean compactness (Polsby-Popper)')}{colon}"
             f"{plan['mean_polsby_popper']}",
             "- " + t(f"跨越硬边界：{plan['hard_crossings']} 处（无法避免 {plan['unavoidable_hard_crossings']} 处）；"
                      f"跨越主要道路：{plan['soft_crossings']} 处",
                      f"hard-barrier crossings: {plan['hard_crossings']} (unavoidable: "
                      f"{plan['unavoidable_hard_crossings']}); main-road crossings: {plan['soft_crossings']}"),
             "- " + t(f"用时：{report['timings']['total_s']} 秒", f"time: {report['timings']['total_s']} s")]
    if tot is not None:
        lines.insert(3, "- " + t(tot.text_zh(), tot.text_en()))
    terrain = plan.get("terrain") or {}
    if terrain.get("used"):
        lines.append("- " + t(f"山脊线（高程模型 {terrain['dem']}）：{terrain['ridge_km']} 公里，作为网格边界",
                              f"ridge lines (elevation model {terrain['dem']}): {terrain['ridge_km']} km, "
                              "followed by grid borders"))
    ridges = plan.get("ridge_grids") or []
    if ridges:
        lim = int(plan.get("ridge_warn_m", 150))
        lines.append("- " + t(f"隔山脊的网格（网格内往来须翻越 {lim} 米以上）：", f"grids across a ridge (a climb of "
                              f"{lim} m or more between their households): ")
                     + ("、" if lang != "en" else ", ").join(f"{r['code']} ({r['ridge_m']} m)" for r in ridges))
    merged = plan.get("merged_villages") or []
    if merged:
        lines.append(f"- {t('合并划分', 'merged')}{colon}" + ("；" if lang != "en" else "; ").join(
            f"{m.get('label') or m['village']} → {m['merged_into']}" for m in merged))
    if plan["infeasible_villages"]:
        lines += ["", f"| {t('村（社区）', 'village')} | {t('户数', 'households')} | {t('已采用', 'applied')} | "
                      f"{t('可选', 'remedies')} |", "|---|---:|---|---|"]
        for v in plan["infeasible_villages"]:
            lines.append(f"| {v.get('label') or v['village']} | {v['households']} | "
                         f"{t(remedy_words(v, 'zh'), remedy_words(v, 'en'))} | "
                         f"{t(remedy_options(v, 'zh'), remedy_options(v, 'en'))} |")
    return "\n".join(lines) + "\n"
