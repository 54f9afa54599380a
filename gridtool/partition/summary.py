"""Household totals per village and the project summary that ``import`` and ``demo`` write."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..project import Project
from ..spatial import assign_to_polygons, household_points
from .feasibility import diagnose, feasible_grid_counts


def assign_villages(project: Project) -> np.ndarray:
    """Index of the village each household feature lies in, -1 if none."""
    return assign_to_polygons(household_points(project.layers["households"].gdf),
                              project.layers["villages"].gdf.geometry)


def village_totals(project: Project, min_hh: int = 300, max_hh: int = 500) -> pd.DataFrame:
    """Per village: name, code, household features, households, and how many base grids fit."""
    if "villages" not in project.layers or "households" not in project.layers:
        return pd.DataFrame(columns=["name", "code", "features", "households", "grids_min",
                                     "grids_max", "feasibility"])
    vil = project.layers["villages"].gdf
    hh = pd.to_numeric(project.layers["households"].gdf["hh"], errors="coerce").fillna(0).clip(lower=0)
    idx = assign_villages(project)
    inside = idx >= 0
    sums = np.bincount(idx[inside], weights=hh.values[inside], minlength=len(vil))
    feats = np.bincount(idx[inside], minlength=len(vil))
    rows = []
    for i in range(len(vil)):
        total = int(round(sums[i]))
        ks = feasible_grid_counts(total, min_hh, max_hh)
        rows.append({
            "name": vil["name"].iloc[i] if "name" in vil else str(i),
            "code": vil["code"].iloc[i] if "code" in vil else None,
            "features": int(feats[i]),
            "households": total,
            "grids_min": ks.start if ks else None,
            "grids_max": ks.stop - 1 if ks else None,
            "feasibility": diagnose(total, min_hh, max_hh),
        })
    out = pd.DataFrame(rows)
    for col in ("grids_min", "grids_max"):
        out[col] = out[col].astype("Int64")  # whole numbers, <NA> where no count fits
    return out


def summary_markdown(project: Project, totals: pd.DataFrame | None, min_hh: int = 300,
                     max_hh: int = 500) -> str:
    """A short bilingual report of what was loaded and what was found."""
    s = project.summary()
    lines = [f"# {project.name}", "", f"- 坐标系 / CRS: {s['crs']} (输入 / input: {s['user_crs']})", "",
             "| 图层 / layer | 要素 / features | 户数 / households | 来源 / source |", "|---|---:|---:|---|"]
    for role, e in s["layers"].items():
        hh = f"{e['households']:,}" if "households" in e else ""
        lines.append(f"| {role} | {e['features']:,} | {hh} | {e['source']} |")
    from ..column_content import describe_all
    notes = []
    for role, e in s["layers"].items():
        if e.get("columns_detail"):
            notes.append(f"- {role}：" + describe_all(e["columns_detail"], "zh", role=role))
        if (e.get("class_summary") or {}).get("text_zh"):
            notes.append(f"- {role}：{e['class_summary']['text_zh']}")
    if notes:
        lines += ["", "## 列与等级的识别 / columns and classes found", "", *notes]
    if totals is not None and len(totals):
        lines += ["", f"## 各村户数 / households per village (基础网格 / base grids {min_hh}–{max_hh})", "",
                  "| 村（社区）/ village | 代码 / code | 户数 / households | 可划网格数 / grids | 诊断 / diagnosis |",
                  "|---|---|---:|---|---|"]
        for r in totals.itertuples():
            grids = "—" if pd.isna(r.grids_min) else (
                f"{int(r.grids_min)}" if r.grids_min == r.grids_max else f"{int(r.grids_min)}–{int(r.grids_max)}")
            diag = {"ok": "可划分 / ok", "too_small": f"不足 {min_hh} 户 / under {min_hh}",
                    "gap": "户数落在区间空档 / between bounds"}[r.feasibility]
            lines.append(f"| {r.name} | {r.code or ''} | {r.households:,} | {grids} | {diag} |")
    errors = [p for p in project.problems if p.severity == "error"]
    warnings = [p for p in project.problems if p.severity == "warning"]
    lines += ["", f"## 数据检查 / validation: {len(errors)} 错误 / errors, {len(warnings)} 警告 / warnings", ""]
    for p in errors + warnings:
        lines.append("- " + p.format("zh").splitlines()[0])
        lines.append("  " + p.format("en").splitlines()[0])
    return "\n".join(lines) + "\n"
