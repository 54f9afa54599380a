"""The partition report in words: a Markdown section for summaries (Chinese first, then English)."""

from __future__ import annotations


def partition_markdown(report: dict) -> str:
    plan = report["plan"]
    p = report["parameters"]
    lines = ["", "## 网格划分 / Partition", "",
             f"- 基础网格 {plan['grids']} 个（{p['min_hh']}–{p['max_hh']} 户，目标 {p['target']}）/ "
             f"{plan['grids']} base grids ({p['min_hh']}–{p['max_hh']}, target {p['target']})",
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
    if report.get("totals"):
        from .totals import HouseholdTotals
        t = HouseholdTotals.from_dict(report["totals"])
        lines.insert(3, f"- {t.text_zh()} / {t.text_en()}")
    if plan["infeasible_villages"]:
        lines += ["", "| 村（社区）/ village | 户数 / households | 已采用 / applied | 可选 / remedies |",
                  "|---|---:|---|---|"]
        for v in plan["infeasible_villages"]:
            r = v["remedies"]
            merge = "、".join(m["village"] for m in r.get("merge", [])[:3]) or "—"
            lines.append(f"| {v.get('label') or v['village']} | {v['households']} | {v['applied']} | "
                         f"例外网格 / one exceptional grid；合并 / merge: {merge}；"
                         f"放宽 / relax: {r['relax'][0]}–{r['relax'][1]} |")
    return "\n".join(lines) + "\n"
