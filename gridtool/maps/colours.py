"""Colours for grid maps: neighbouring grids distinct, and the five classes of the 五色图.

Shared by the print exports (matplotlib) and the HTML map (folium), so that a grid has the same fill
on paper and on screen.

Why hand-written: mapclassify's ``greedy`` colours neighbours apart too, but it goes through libpysal
weights (slow to build on county maps, no "within a metre" tolerance for the slivers that partition
borders leave) and takes no palette designed for print. Here the neighbour graph comes from one
``dwithin`` spatial-index query and networkx's *smallest-last* greedy colouring, which needs at most
six colours on a planar map (every planar graph has a vertex of degree ≤ 5).

The default palette is built in CIELCh: six hues at lightness 96, 88, 80, 72, 64 and 56, so the
colours stay apart when a wall map is photocopied in greyscale (≥ 8 L* between any two), all light
enough for black labels with white halos.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import OptionError

log = logging.getLogger(__name__)

#: Six fills, lightest first; colour class 0 (the most frequent) gets the lightest.
#: L* = 96, 88, 80, 72, 64, 56; hues yellow, green, blue, orange, purple, red.
GRID_PALETTE: tuple[str, ...] = ("#fff5ba", "#b8e9bb", "#86d0f3", "#e6a266", "#ac8fcb", "#c86b70")
#: Used only when a non-planar neighbour graph needs more than six colours.
EXTRA_PALETTE: tuple[str, ...] = ("#abeef0", "#6dbaa1", "#e0c2a2", "#9aa7d9")
#: Fill of a grid without geometry (never drawn, but kept aligned).
NO_GEOMETRY = "#d9d9d9"


def neighbour_pairs(grids, *, tolerance: float = 1.0) -> np.ndarray:
    """Index pairs ``(i, j)``, ``i < j`` (positions in ``grids``) of grids within ``tolerance``.

    Touching grids have distance 0; the tolerance (in CRS units, metres in a project) catches the
    hairline gaps that simplification and snapping leave between neighbours.
    """
    geoms = grids.geometry.values
    if len(geoms) == 0:
        return np.empty((0, 2), dtype=np.int64)
    tree = grids.sindex
    if tolerance > 0 and grids.crs is not None and grids.crs.is_geographic:
        tolerance = tolerance / 111_320.0  # metres → degrees, good enough for "within a metre"
    if tolerance > 0:
        pairs = tree.query(geoms, predicate="dwithin", distance=tolerance)
    else:
        pairs = tree.query(geoms, predicate="intersects")
    i, j = pairs
    keep = i < j
    return np.column_stack([i[keep], j[keep]])


def colour_classes(n: int, pairs: np.ndarray, *, seed: int = 0, max_colours: int = 6) -> np.ndarray:
    """A colour class per item (0 = most frequent), neighbours in ``pairs`` always different.

    networkx's smallest-last greedy colouring (≤ 6 classes on planar graphs); only when that needs
    more than ``max_colours`` is DSATUR tried too (seconds on a county in networkx), and the one with
    fewer classes kept. ``seed`` shuffles the order nodes enter the graph, which changes ties and so
    gives another valid colouring (for users who dislike the first one).
    """
    import networkx as nx

    if n == 0:
        return np.empty(0, dtype=np.int64)
    order = np.arange(n)
    if seed:
        order = np.random.default_rng(seed).permutation(n)
    g = nx.Graph()
    g.add_nodes_from(order.tolist())
    g.add_edges_from(map(tuple, np.asarray(pairs, dtype=np.int64).tolist()))
    best = None
    for strategy in ("smallest_last", "DSATUR"):
        col = nx.greedy_color(g, strategy=strategy)
        k = max(col.values()) + 1 if col else 0
        if best is None or k < best[0]:
            best = (k, col)
        if k <= max_colours:
            break  # DSATUR (slow in networkx: seconds on a county) only when smallest-last overflows
    col = best[1]
    classes = np.array([col[i] for i in range(n)], dtype=np.int64)
    # Renumber so class 0 is the most frequent: the lightest fill then covers most of the map.
    counts = np.bincount(classes)
    rank = np.empty_like(counts)
    rank[np.argsort(-counts, kind="stable")] = np.arange(len(counts))
    return rank[classes]


def grid_colours(grids, *, palette: Sequence[str] | None = None, seed: int = 0,
                 tolerance: float = 1.0) -> pd.Series:
    """A hex fill per grid, neighbouring grids (touching or within ``tolerance`` metres) distinct.

    Parameters
    ----------
    grids
        GeoDataFrame of polygons (any CRS; metres expected for the tolerance).
    palette
        Fills to use, most used first. Default :data:`GRID_PALETTE` (six colours distinct in print
        and in greyscale). When the neighbour graph needs more colours than given, colours from
        :data:`EXTRA_PALETTE` are added, and past those the palette repeats with a logged warning.
    seed
        0 gives the standard colouring; other values a different valid one.
    tolerance
        Distance under which two grids count as neighbours.

    Returns
    -------
    pandas.Series
        Hex colours (``"#rrggbb"``), index aligned with ``grids``.
    """
    pal = list(palette) if palette is not None else list(GRID_PALETTE)
    if not pal:
        raise ValueError("palette is empty")
    n = len(grids)
    if n == 0:
        return pd.Series([], index=grids.index, dtype=object)
    valid = ~(grids.geometry.isna() | grids.geometry.is_empty).to_numpy()
    sub = grids[valid]
    pairs = neighbour_pairs(sub, tolerance=tolerance)
    classes = colour_classes(len(sub), pairs, seed=seed, max_colours=len(pal))
    k = int(classes.max()) + 1 if len(classes) else 0
    if k > len(pal):
        pal = pal + [c for c in EXTRA_PALETTE if c not in pal]
        if k > len(pal):
            log.warning("grid_colours: %d colours needed, palette has %d; some neighbours share a colour",
                        k, len(pal))
    out = np.full(n, NO_GEOMETRY, dtype=object)
    out[valid] = [pal[c % len(pal)] for c in classes]
    return pd.Series(out, index=grids.index, dtype=object, name="colour")


# ---------------------------------------------------------------------------------------------
# 五色图: the five-class assessment map


@dataclass(frozen=True)
class AssessmentClass:
    """One class of the five-colour assessment map.

    ``aliases`` are the rating values (compared as stripped, lower-case strings) that fall in this
    class besides its names; ``rank`` (1–5) is the numeric rating mapped to it.
    """

    key: str
    name_zh: str
    name_en: str
    colour: str
    rank: int
    aliases: tuple[str, ...] = ()


#: The usual five classes, red first. Rank 1 (红) is the grid that needs most attention, following
#: the colours of China's risk grading (红橙黄蓝 = 重大/较大/一般/低); rank 5 (绿) is the best.
#: Places that use red for the best grids pass ``classes=reversed_classes()`` or their own list.
ASSESSMENT_COLOURS: tuple[AssessmentClass, ...] = (
    AssessmentClass("red", "红", "red", "#d7191c", 1, ("红色", "r", "差", "poor")),
    AssessmentClass("orange", "橙", "orange", "#f28e2b", 2, ("橙色", "o", "较差", "fair")),
    AssessmentClass("yellow", "黄", "yellow", "#ffe04d", 3, ("黄色", "y", "一般", "average")),
    AssessmentClass("blue", "蓝", "blue", "#4a90d9", 4, ("蓝色", "b", "良好", "good")),
    AssessmentClass("green", "绿", "green", "#1a9850", 5, ("绿色", "g", "优秀", "excellent")),
)
#: Fill of grids whose rating is missing or not recognised.
UNRATED = "#bdbdbd"


def reversed_classes(classes: Sequence[AssessmentClass] = ASSESSMENT_COLOURS) -> tuple[AssessmentClass, ...]:
    """The same classes with ranks reversed (rank 1 = green = best … rank 5 = red)."""
    n = len(classes)
    return tuple(AssessmentClass(c.key, c.name_zh, c.name_en, c.colour, n + 1 - c.rank, c.aliases)
                 for c in classes)


def _norm(v: Any) -> str:
    return re.sub(r"\s+", "", str(v)).lower()


def assessment_class_index(values: Iterable[Any], classes: Sequence[AssessmentClass] | None = None,
                           *, breaks: Sequence[float] | None = None) -> pd.Series:
    """Position in ``classes`` of each rating (``-1`` when missing or unrecognised).

    Ratings are understood as

    - class names or aliases: ``"红"``, ``"红色"``, ``"red"``, ``"优秀"`` …;
    - integer ranks 1–5 (``1`` → the class with ``rank`` 1);
    - other numbers (scores): cut at ``breaks`` (len(classes) − 1 ascending thresholds; a value
      equal to a threshold goes to the upper class); lowest scores get rank 1. Without ``breaks``
      scores are cut at quintiles, so each class holds about a fifth of the grids.
    """
    cls = tuple(classes or ASSESSMENT_COLOURS)
    s = pd.Series(list(values) if not isinstance(values, pd.Series) else values)
    by_rank = {c.rank: i for i, c in enumerate(cls)}
    names: dict[str, int] = {}
    for i, c in enumerate(cls):
        for token in (c.key, c.name_zh, c.name_en, c.colour, *c.aliases):
            names[_norm(token)] = i
    out = pd.Series(-1, index=s.index, dtype=np.int64)
    num = pd.to_numeric(s, errors="coerce")
    is_num = num.notna()
    if is_num.any():
        nv = num[is_num]
        edges = score_edges(s, cls, breaks=breaks)
        if edges is None:
            out[is_num] = [by_rank.get(int(v), -1) for v in nv]
        else:
            rank = np.searchsorted(edges, nv.to_numpy(float), side="right") + 1
            out[is_num] = [by_rank.get(int(r), -1) for r in rank]
    txt = s[~is_num & s.notna()]
    if len(txt):
        out[txt.index] = [names.get(_norm(v), -1) for v in txt]
    return out


def score_edges(values: Iterable[Any], classes: Sequence[AssessmentClass] | None = None,
                *, breaks: Sequence[float] | None = None) -> np.ndarray | None:
    """The thresholds that cut numeric ratings into classes (``breaks`` sorted, or the quintiles
    of the scores), or None when the numbers are ranks 1–5 (or there are none).

    A class of rank ``r`` holds scores ``edges[r-2] <= v < edges[r-1]`` (open at both ends);
    quintiles of few distinct scores may give fewer edges, leaving the top classes empty.
    """
    cls = tuple(classes or ASSESSMENT_COLOURS)
    s = pd.Series(list(values) if not isinstance(values, pd.Series) else values)
    nv = pd.to_numeric(s, errors="coerce").dropna()
    if breaks is not None:
        edges = np.asarray(sorted(float(b) for b in breaks), dtype=float)
        if len(edges) != len(cls) - 1:
            raise OptionError(f"--breaks 需要 {len(cls) - 1} 个阈值，给了 {len(edges)} 个",
                              f"breaks needs {len(cls) - 1} thresholds, got {len(edges)}",
                              fix_zh="例如 --breaks 60,70,80,90。", fix_en="e.g. --breaks 60,70,80,90.", field="breaks")
        return edges
    if not len(nv):
        return None
    if (nv == nv.round()).all() and set(nv.astype(int)) <= set(range(1, len(cls) + 1)):
        return None
    qs = np.linspace(0, 1, len(cls) + 1)[1:-1]
    return np.unique(np.quantile(nv.to_numpy(float), qs))


def assessment_colours(values: Iterable[Any], classes: Sequence[AssessmentClass] | None = None,
                       *, breaks: Sequence[float] | None = None) -> pd.Series:
    """Hex fill per rating (see :func:`assessment_class_index`); :data:`UNRATED` when unrecognised.

    Index aligned with ``values`` when it is a Series.
    """
    cls = tuple(classes or ASSESSMENT_COLOURS)
    idx = assessment_class_index(values, cls, breaks=breaks)
    pal = np.array([c.colour for c in cls] + [UNRATED], dtype=object)
    return pd.Series(pal[idx.to_numpy()], index=idx.index, dtype=object, name="colour")


def parse_breaks(spec: str) -> list[float]:
    """Thresholds from ``"60,70,80,90"`` (``--breaks``; the app's box): numbers, each above the one
    before (a threshold repeated or out of order would leave a class empty or mean a typing slip).

    Raises
    ------
    OptionError
        Something is not a number, or the numbers do not increase.
    """
    parts = [p.strip() for p in re.split(r"[,，、;；\s]+", str(spec)) if p.strip()]
    try:
        out = [float(p) for p in parts]
    except ValueError:
        raise OptionError(f"--breaks 应为逗号分隔的数字：{spec}", f"--breaks takes numbers separated by commas: {spec!r}",
                          fix_zh="例如 --breaks 60,70,80,90。", fix_en="e.g. --breaks 60,70,80,90.", field="breaks") from None
    bad = [f"{a:g}→{b:g}" for a, b in zip(out, out[1:]) if not b > a]
    if bad:
        raise OptionError(f"--breaks 的阈值应从小到大：{spec}（{'、'.join(bad)} 不是递增）",
                          f"the --breaks thresholds must increase: {spec!r} ({', '.join(bad)} does not)",
                          fix_zh="从低分到高分写，例如 --breaks 60,70,80,90。",
                          fix_en="write them from the lowest to the highest, e.g. --breaks 60,70,80,90.", field="breaks")
    return out


def parse_classes(spec: str) -> tuple[AssessmentClass, ...]:
    """Classes from a command-line string ``"优秀=#1a9850,良好=#4a90d9,…"`` (rank 1 first).

    Each item is ``NAME=#COLOUR``; NAME becomes both the Chinese and the English label and an alias.
    """
    out = []
    for rank, item in enumerate([p for p in spec.split(",") if p.strip()], start=1):
        name, _, colour = item.partition("=")
        name, colour = name.strip(), colour.strip()
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            raise OptionError(f"--classes 中的颜色无法识别：{item}", f"bad colour {colour!r} in {item!r}",
                              fix_zh="写成 名称=#rrggbb，例如 --classes 优秀=#1a9850,良好=#4a90d9。",
                              fix_en="write NAME=#rrggbb, e.g. --classes good=#1a9850,fair=#4a90d9.", field="classes")
        out.append(AssessmentClass(name, name, name, colour, rank, ()))
    return tuple(out)
