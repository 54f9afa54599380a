"""The five-colour assessment map (五色图): grids coloured by a rating field in five classes.

Signature::

    render_assessment_map(project, out_path, *, field, classes=None, breaks=None, fmt=None,
                          size="A3", landscape=None, scale=None, dpi=200, title=None,
                          subtitle=None, date=None, include_personal=False, max_pixels=None,
                          progress=None, cancelled=None) -> Path

The rating comes from a column of the grids layer: class names (红/橙/黄/蓝/绿, red …, 优秀 …),
ranks 1–5, or scores cut at ``breaks`` (default quintiles); see
:func:`gridtool.maps.colours.assessment_class_index`. The map is the wall map
(:func:`gridtool.maps.wallmap.render_wall_map`) with these fills, a legend giving each class its
score range and number of grids (``红 <60 分 · 3 个``), and labels giving each grid's code and
rating. A column in which no grid has a rating is refused (:class:`AssessmentError`), never drawn
as an all-grey map.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..errors import GridtoolError, MissingColumnError
from .colours import ASSESSMENT_COLOURS, UNRATED, AssessmentClass, assessment_class_index, score_edges

Progress = Callable[[float, str], None]


class AssessmentError(GridtoolError):
    """The five-colour map cannot be drawn: no grid has a rating, or the breaks do not fit."""


def _fmt(x: float) -> str:
    return f"{x:g}" if abs(x) < 1e6 else f"{x:,.0f}"


def class_ranges(edges, n_classes: int, *, integer: bool) -> dict[int, str]:
    """Score range of each rank (1 = lowest scores): ``{1: "<60 分", 2: "60–69 分", …, 5: "≥90 分"}``.

    With whole-number scores and thresholds a middle class reads ``60–69 分``; otherwise
    ``60–<70 分``. Ranks past the last threshold (quintiles of few distinct scores) read ``—``.
    """
    e = [float(x) for x in edges]
    out = {}
    for r in range(1, n_classes + 1):
        lo = e[r - 2] if r >= 2 and r - 2 < len(e) else None
        hi = e[r - 1] if r - 1 < len(e) else None
        if r >= 2 and lo is None:
            out[r] = "—"
        elif lo is None:
            out[r] = f"<{_fmt(hi)} 分"
        elif hi is None:
            out[r] = f"≥{_fmt(lo)} 分"
        elif integer:
            out[r] = f"{_fmt(lo)}–{_fmt(hi - 1)} 分" if hi - 1 > lo else f"{_fmt(lo)} 分"
        else:
            out[r] = f"{_fmt(lo)}–<{_fmt(hi)} 分"
    return out


#: gridtool's own measures of a grid as a Chinese reader names them (the subtitle says which one
#: coloured the map); the user's own columns (考核得分 …) are named as they are.
FIELD_WORDS = {"polsby_popper": "紧凑度", "hh": "户数", "area_m2": "面积（平方米）", "max_dist_m": "最远距离（米）",
               "hard_crossings": "跨越硬边界数", "soft_crossings": "跨越软边界数", "ridge_m": "网格内山脊高差（米）", "places": "重点场所数",
               "n_subgrids": "子网格数", "worker_slots": "网格员员额"}


def _value_text(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v).strip()


def assessment_fills(grids, field: str, classes: Sequence[AssessmentClass] | None = None, *,
                     breaks: Sequence[float] | None = None, file: str | None = None):
    """Fill per grid and legend rows ``(colour, label)`` for ``field``.

    Legend rows give each class its score range and count (``红 <60 分 · 3 个``) for scores,
    its rank for ranks 1–5, its count for class names; grids without a rating are ``未评``.

    Raises
    ------
    MissingColumnError
        ``field`` is not a column of the grids layer (the message lists the columns).
    AssessmentError
        No grid has a rating (empty column, or nothing in it is a score, rank or class name), or
        ``breaks`` does not give one threshold fewer than there are classes.
    """
    cls = tuple(classes or ASSESSMENT_COLOURS)
    cols = [c for c in grids.columns if c != "geometry"]
    if field not in grids.columns:
        raise MissingColumnError(
            f"网格图层没有考核字段“{field}”。现有字段：{'、'.join(map(str, cols))}",
            f"the grids layer has no rating field '{field}'. Columns: {', '.join(map(str, cols))}",
            fix_zh="用 --assessment 指定上面列出的某个字段，或先用 gridtool join 项目 --table 考核得分.xlsx "
                   "--on 网格编码 把考核结果连接到网格",
            fix_en="name one of the columns above with --assessment, or join the ratings to the grids first: "
                   "gridtool join PROJECT --table scores.xlsx --on CODE_COLUMN",
            layer="grids", field=field, file=file)
    if breaks is not None and len(breaks) != len(cls) - 1:
        raise AssessmentError(
            f"--breaks 需要 {len(cls) - 1} 个阈值（{len(cls)} 个等级），给了 {len(breaks)} 个",
            f"--breaks needs {len(cls) - 1} thresholds for {len(cls)} classes; {len(breaks)} given",
            fix_zh="例如 --breaks 60,70,80,90（红 <60，橙 60–69，黄 70–79，蓝 80–89，绿 ≥90）",
            fix_en="e.g. --breaks 60,70,80,90 (red <60, orange 60-69, yellow 70-79, blue 80-89, green >=90)",
            layer="grids", field=field, file=file)
    raw = grids[field]
    idx = assessment_class_index(raw, cls, breaks=breaks)
    if len(idx) and (idx < 0).all():
        filled = [_value_text(v) for v in raw.tolist() if _value_text(v)]
        if not filled:
            zh = f"网格图层的“{field}”列是空的：没有一个网格有考核分数或等级，无法绘制五色图"
            en = f"column '{field}' of the grids layer is empty: no grid has a score or rating to colour"
        else:
            ex = "、".join(list(dict.fromkeys(filled))[:5])
            zh = f"网格图层的“{field}”列中没有可识别的分数或等级（例如：{ex}），无法绘制五色图"
            en = f"nothing in column '{field}' of the grids layer is a score or rating (e.g. {ex}); no map to colour"
        raise AssessmentError(
            zh, en,
            fix_zh="先用 gridtool join 项目 --table 考核得分.xlsx --on 网格编码 把分数连接到网格；分数应为数字，"
                   "等级为 红/橙/黄/蓝/绿（或 1–5、优秀/良好/一般/较差/差）。网格图层现有字段：" + "、".join(map(str, cols)),
            fix_en="join the scores first: gridtool join PROJECT --table scores.xlsx --on CODE_COLUMN; scores must be "
                   "numbers, ratings 红/橙/黄/蓝/绿 (or 1-5). Columns of the grids layer: " + ", ".join(map(str, cols)),
            layer="grids", field=field, file=file)
    fills = pd.Series([cls[i].colour if i >= 0 else UNRATED for i in idx], index=grids.index)
    counts = idx.value_counts()
    edges = score_edges(raw, cls, breaks=breaks)
    num = pd.to_numeric(raw, errors="coerce").dropna()
    ranges = {}
    if edges is not None:
        integer = bool(len(num)) and bool((num == num.round()).all()) and all(float(e).is_integer() for e in edges)
        ranges = class_ranges(edges, len(cls), integer=integer)
    elif len(num):
        ranges = {c.rank: f"{c.rank} 级" for c in cls}
    legend = [(c.colour, f"{c.name_zh}" + (f" {ranges[c.rank]}" if c.rank in ranges else "")
               + f" · {int(counts.get(i, 0))} 个") for i, c in enumerate(cls)]
    if (idx < 0).any():
        legend.append((UNRATED, f"未评 · {int((idx < 0).sum())} 个"))
    return fills, legend, idx


def render_assessment_map(project, out_path: str | Path, *, field: str,
                          classes: Sequence[AssessmentClass] | None = None, breaks: Sequence[float] | None = None,
                          fmt: str | None = None, size: str | tuple[float, float] = "A3", landscape: bool | None = None,
                          scale: float | None = None, dpi: float = 200, title: str | None = None,
                          subtitle: str | None = None, date: str | None = None, include_personal: bool = False,
                          max_pixels: int | None = None, progress: Progress | None = None,
                          cancelled: Callable[[], bool] | None = None, township: str | None = None,
                          unit: str | None = None, notes: list[tuple[str, str]] | None = None) -> Path:
    """Export the five-colour map of rating ``field`` (PDF, PNG or SVG from the suffix or ``fmt``).

    Parameters
    ----------
    field
        Column of the grids layer with the ratings.
    classes
        Five (or any number of) :class:`AssessmentClass` (default :data:`ASSESSMENT_COLOURS`,
        红/橙/黄/蓝/绿 with rank 1 = red); ``colours.parse_classes("优秀=#1a9850,…")`` builds them
        from text.
    breaks
        Thresholds for numeric scores (one fewer than the classes).
    Other parameters as :func:`gridtool.maps.wallmap.render_wall_map`.

    Raises
    ------
    MissingColumnError
        The field is not a column of the grids layer (the message lists the columns).
    AssessmentError
        No grid has a rating in ``field``, or ``breaks`` has the wrong length.
    """
    from .needs import need_assessment
    from .wallmap import render_wall_map

    need_assessment(project)
    style = assessment_style(project, field, classes=classes, breaks=breaks, title=title, subtitle=subtitle,
                             township=township)
    return render_wall_map(project, out_path, fmt=fmt, size=size, landscape=landscape, scale=scale, dpi=dpi,
                           date=date, include_personal=include_personal, max_pixels=max_pixels, progress=progress,
                           cancelled=cancelled, township=township, unit=unit, notes=notes, **style)


def assessment_style(project, field: str, *, classes: Sequence[AssessmentClass] | None = None,
                     breaks: Sequence[float] | None = None, title: str | None = None,
                     subtitle: str | None = None, township: str | None = None) -> dict:
    """The keyword arguments that turn a wall map into the five-colour map of ``field``: title,
    subtitle, grid fills, legend and labels (code and rating). The export and the desktop app's
    preview both pass them to the wall-map drawing, so the preview is the export."""
    grids = project.layers["grids"].gdf
    cls = tuple(classes or ASSESSMENT_COLOURS)
    fills, legend, idx = assessment_fills(grids, field, cls, breaks=breaks, file=project.path)
    ratings = {i: (cls[k].name_zh if k >= 0 else "未评") for i, k in idx.items()}
    raw = grids[field]

    from .grid_codes import map_codes, villages_named
    shown = map_codes(grids, villages_shown=villages_named(project))  # as the wall map prints codes

    def label(row) -> list[list[str]]:
        code = str(shown.get(row.name, row.get("code", "")))
        val = _value_text(raw.get(row.name))
        r = ratings.get(row.name, "")
        second = f"{r} {val}" if val and val != r else r
        return [[code, second], [code]]

    if subtitle is None:
        from ..partition.totals import household_totals
        t = household_totals(project)
        g_zh = t.grids_zh() if t.partitioned else f"基础网格 {len(grids)} 个"
        subtitle = f"考核字段：{FIELD_WORDS.get(field, field)} · {g_zh} · 住户 {t.imported:,} 户"
    from .titles import map_title
    return dict(title=map_title(project, "assessment", title=title, township=township), subtitle=subtitle,
                grid_fills=fills, fill_legend=legend, fill_title="考核等级", grid_label=label)
