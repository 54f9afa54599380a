"""The five-colour assessment map (五色图): grids coloured by a rating field in five classes.

Signature::

    render_assessment_map(project, out_path, *, field, classes=None, breaks=None, fmt=None,
                          size="A3", landscape=False, scale=None, dpi=200, title=None,
                          subtitle=None, date=None, include_personal=False, max_pixels=None,
                          progress=None, cancelled=None) -> Path

The rating comes from a column of the grids layer: class names (红/橙/黄/蓝/绿, red …, 优秀 …),
ranks 1–5, or scores cut at ``breaks`` (default quintiles); see
:func:`gridtool.maps.colours.assessment_class_index`. The map is the wall map
(:func:`gridtool.maps.wallmap.render_wall_map`) with these fills, a legend with the number of
grids per class, and labels giving each grid's code and rating.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from ..errors import MissingColumnError
from .colours import ASSESSMENT_COLOURS, UNRATED, AssessmentClass, assessment_class_index

Progress = Callable[[float, str], None]


def assessment_fills(grids, field: str, classes: Sequence[AssessmentClass] | None = None, *,
                     breaks: Sequence[float] | None = None, file: str | None = None):
    """Fill per grid and legend rows ``(colour, label)`` for ``field``; MissingColumnError if absent.

    The error names the field and lists the grids layer's columns, so a typo is seen at once.
    """
    cls = tuple(classes or ASSESSMENT_COLOURS)
    if field not in grids.columns:
        cols = [c for c in grids.columns if c != "geometry"]
        raise MissingColumnError(
            f"网格图层没有考核字段“{field}”。现有字段：{'、'.join(map(str, cols))}",
            f"the grids layer has no rating field '{field}'. Columns: {', '.join(map(str, cols))}",
            fix_zh="用 --assessment 指定上面列出的某个字段，或先把考核结果写入网格图层",
            fix_en="name one of the columns above with --assessment, or add the ratings to the grids layer first",
            layer="grids", field=field, file=file)
    idx = assessment_class_index(grids[field], cls, breaks=breaks)
    fills = pd.Series([cls[i].colour if i >= 0 else UNRATED for i in idx], index=grids.index)
    counts = idx.value_counts()
    legend = [(c.colour, f"{c.name_zh}（{c.name_en}）  {int(counts.get(i, 0))} 个") for i, c in enumerate(cls)]
    if (idx < 0).any():
        legend.append((UNRATED, f"未评定  {int((idx < 0).sum())} 个"))
    return fills, legend, idx


def render_assessment_map(project, out_path: str | Path, *, field: str,
                          classes: Sequence[AssessmentClass] | None = None, breaks: Sequence[float] | None = None,
                          fmt: str | None = None, size: str | tuple[float, float] = "A3", landscape: bool = False,
                          scale: float | None = None, dpi: float = 200, title: str | None = None,
                          subtitle: str | None = None, date: str | None = None, include_personal: bool = False,
                          max_pixels: int | None = None, progress: Progress | None = None,
                          cancelled: Callable[[], bool] | None = None, township: str | None = None,
                          unit: str | None = None) -> Path:
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
    """
    from .paper import ExportError
    from .wallmap import render_wall_map

    lyr = project.layers.get("grids")
    if lyr is None or lyr.gdf is None or len(lyr.gdf) == 0:
        raise ExportError("项目中没有网格，无法绘制五色图", "the project has no grids; no assessment map to draw",
                          fix_zh="先运行 gridtool partition 划分网格", fix_en="run gridtool partition first")
    style = assessment_style(project, field, classes=classes, breaks=breaks, title=title, subtitle=subtitle,
                             township=township)
    return render_wall_map(project, out_path, fmt=fmt, size=size, landscape=landscape, scale=scale, dpi=dpi,
                           date=date, include_personal=include_personal, max_pixels=max_pixels, progress=progress,
                           cancelled=cancelled, township=township, unit=unit, **style)


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

    def label(row) -> list[list[str]]:
        code = str(row.get("code", ""))
        short = code.rsplit("-", 1)[-1]
        v = raw.get(row.name)
        val = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
        r = ratings.get(row.name, "")
        second = f"{r} {val}" if val and val != r else r
        return [[code, second], [code], [short, second], [short]]

    from .titles import map_title
    return dict(title=map_title(project, "assessment", title=title, township=township),
                subtitle=subtitle or f"考核字段：{field}",
                grid_fills=fills, fill_legend=legend, fill_title="考核等级", grid_label=label)
