"""Household totals per village and the project summary that ``import`` and ``demo`` write."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..project import Project
from ..plurals import count_en
from ..spatial import assign_to_polygons, household_points
from ..values import household_counts
from .feasibility import diagnose, feasible_grid_counts
from .villages import village_names


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
    # Whole households per feature, as the partition and every output count them (a sum of 2.4s
    # rounded once per village disagreed with the ledger's figure for the same village).
    hh = pd.Series(household_counts(project.layers["households"].gdf["hh"]))
    idx = assign_villages(project)
    inside = idx >= 0
    sums = np.bincount(idx[inside], weights=hh.values[inside], minlength=len(vil))
    feats = np.bincount(idx[inside], minlength=len(vil))
    names = village_names(vil)  # same-named villages qualified, as the grids will carry them
    rows = []
    for i in range(len(vil)):
        total = int(round(sums[i]))
        ks = feasible_grid_counts(total, min_hh, max_hh)
        rows.append({
            "name": names[i] if "name" in vil else str(i),
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


def _pick(lang: str):
    """``t(zh, en)`` for one language of a Markdown report: Chinese, English, or ``中文 / English``."""
    return lambda zh, en: zh if lang == "zh" else en if lang == "en" else f"{zh} / {en}"


#: How the summary says a CRS was found (``EPSG:4326 (assumed)``), in Chinese.
_HOW_ZH = {"assumed": "推定", "user": "指定", "detected": "自动检测", "default": "默认"}


def _crs_words(text: str, lang: str) -> str:
    """A summary's CRS (``EPSG:32632 (WGS 84 / UTM zone 32N)``, ``EPSG:4326 (assumed)``) in Chinese
    words for Chinese output (``WGS84 UTM 第32带（北半球）（EPSG:32632）``); as it is for English."""
    if lang == "en" or not text:
        return text
    from ..crs import crs_zh
    from ..errors import GridtoolError
    base, _, how = text.partition(" (")
    how = _HOW_ZH.get(how.rstrip(")").strip())
    try:
        return f"{crs_zh(base)}（{base}{'，' + how if how else ''}）"
    except GridtoolError:
        return text


def summary_markdown(project: Project, totals: pd.DataFrame | None, min_hh: int = 300,
                     max_hh: int = 500, *, lang: str = "zh") -> str:
    """A short report of what was loaded and what was found, as Markdown.

    Parameters
    ----------
    project : Project
        The loaded project.
    totals : pandas.DataFrame or None
        :func:`village_totals` of the project.
    min_hh, max_hh : int
        The base grids' bounds the totals were diagnosed with.
    lang : {"zh", "en", "both"}
        Chinese only (the default), English only, or both (``中文 / English``).
    """
    from ..maps.style import LAYER_ZH  # the output layers' names (grids → 基础网格), as the maps say them
    from ..roles import ROLES
    t = _pick(lang)
    s = project.summary()
    user = s.get("user_crs") or ""
    zh = lang == "zh"
    colon, (op, cp) = ("：", "（）") if zh else (": ", ("(", ")"))
    lines = [f"# {project.name}", "",
             f"- {t('坐标系', 'CRS')}{colon}{_crs_words(s['crs'], lang)}"
             + (f"{' ' * (not zh)}{op}{t('输入', 'input')}{colon}{_crs_words(user, lang)}{cp}" if user else ""), "",
             f"| {t('图层', 'layer')} | {t('要素', 'features')} | {t('户数', 'households')} | {t('来源', 'source')} |",
             "|---|---:|---:|---|"]

    def role_name(role: str) -> str:  # households → 住户 in Chinese; the role's key in English
        return t(ROLES[role].zh if role in ROLES else LAYER_ZH.get(role, role), role)

    from .totals import household_totals
    split = household_totals(project)  # the grids layer by kind, as every output counts it
    for role, e in s["layers"].items():
        hh = f"{e['households']:,}" if "households" in e else ""
        if role == "grids" and split.partitioned and e["features"] == split.base_grids + split.exception_grids:
            lines += [f"| {t(zh, en + 's')} | {n:,} | {k:,} | {e['source']} |" for zh, en, n, k in split.grid_kinds()]
            continue
        lines.append(f"| {role_name(role)} | {e['features']:,} | {hh} | {e['source']} |")
    from ..column_content import describe_all
    notes = []
    for role, e in s["layers"].items():
        if e.get("columns_detail"):
            if lang != "en":
                notes.append(f"- {role_name(role)}：" + describe_all(e["columns_detail"], "zh", role=role))
            if lang != "zh":
                notes.append(f"- {role}: " + describe_all(e["columns_detail"], "en", role=role))
        cs = e.get("class_summary") or {}
        if lang != "en" and cs.get("text_zh"):
            notes.append(f"- {role_name(role)}：{cs['text_zh']}")
        if lang != "zh" and cs.get("text_en"):
            notes.append(f"- {role}: {cs['text_en']}")
    if notes:
        lines += ["", f"## {t('列与等级的识别', 'columns and classes found')}", "", *notes]
    if totals is not None and len(totals):
        lines += ["", f"## {t('各村户数', 'households per village')}{' ' * (not zh)}{op}"
                      f"{t('基础网格', 'base grids')} {min_hh}–{max_hh}{cp}", "",
                  f"| {t('村（社区）', 'village')} | {t('代码', 'code')} | {t('户数', 'households')} | "
                  f"{t('可划网格数', 'grids')} | {t('诊断', 'diagnosis')} |",
                  "|---|---|---:|---|---|"]
        for r in totals.itertuples():
            grids = "—" if pd.isna(r.grids_min) else (
                f"{int(r.grids_min)}" if r.grids_min == r.grids_max else f"{int(r.grids_min)}–{int(r.grids_max)}")
            diag = {"ok": t("可划分", "ok"), "too_small": t(f"不足 {min_hh} 户", f"under {min_hh}"),
                    "gap": t("户数落在区间空档", "between bounds")}[r.feasibility]
            lines.append(f"| {r.name} | {r.code or ''} | {r.households:,} | {grids} | {diag} |")
        # One total: the table adds up to the households imported; those outside every village
        # (in no grid) get their own row instead of going missing from it.
        outside = split.imported - int(totals["households"].sum())
        if outside > 0:
            lines.append(f"| {t('不在任何村（社区）内', 'outside every village')} |  | {outside:,} | — | "
                         f"{t('未划入网格', 'in no grid')} |")
        lines.append(f"| {t('合计', 'total')} |  | {split.imported:,} |  |  |")
    errors = [p for p in project.problems if p.severity == "error"]
    warnings = [p for p in project.problems if p.severity == "warning"]
    head = {"zh": f"数据检查：{len(errors)} 个错误，{len(warnings)} 个警告",
            "en": f"validation: {count_en(len(errors), 'error')}, {count_en(len(warnings), 'warning')}"}
    lines += ["", "## " + (head[lang] if lang in head else f"{head['zh']} / {head['en']}"), ""]
    for p in errors + warnings:
        first = [p.format(x).splitlines()[0] for x in (("zh", "en") if lang == "both" else (lang,))]
        lines.append("- " + first[0])
        lines += ["  " + x for x in first[1:]]
    return "\n".join(lines) + "\n"
