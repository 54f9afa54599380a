"""Drawing primitives shared by the print exports: geometries as matplotlib collections, labels
that fit their polygon and never overlap, halos that keep text searchable, scale bar, north arrow
and coordinate grid.

Why hand-written rather than ``GeoDataFrame.plot``: geopandas builds one Patch per polygon and
cannot hatch or label; a county wall map has ~18,000 polygons, so the paths are built here in one
vectorised pass (shapely ragged coordinates → ``matplotlib.path.Path``) and drawn as a single
collection per layer. Labels are placed in paper millimetres: each candidate text block (widths
from the font's own advance widths, so no text has to be rendered to be measured) must lie inside
its polygon and clear of every label already placed, otherwise a smaller or shorter variant is
tried and finally the label is dropped. Halos are drawn as a separate white stroked copy under the
text, because matplotlib turns any text with path effects into outlines, which would make the PDF
unsearchable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

import numpy as np
import shapely
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.path import Path as MplPath

from ..spatial import label_points  # noqa: F401 - the maps' label points (D.label_points)
from .paper import PT_PER_MM, nice_length

# ---------------------------------------------------------------------------------------------
# geometries → paths


def _flatten(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single-part geometries of ``geoms`` with the index of the geometry each came from."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    for _ in range(3):  # GeometryCollections can hold multi-parts
        multi = np.isin(shapely.get_type_id(parts), (4, 5, 6, 7))
        if not multi.any():
            break
        sub, sub_owner = shapely.get_parts(parts[multi], return_index=True)
        owner = np.concatenate([owner[~multi], owner[multi][sub_owner]])
        parts = np.concatenate([parts[~multi], sub])
    return parts, owner


def polygon_paths(geoms: Sequence, tolerance: float = 0.0) -> tuple[list[MplPath], np.ndarray]:
    """One compound Path per polygonal geometry (holes kept), and the input positions they came from.

    Exteriors are turned counter-clockwise and holes clockwise so matplotlib's non-zero fill rule
    leaves the holes empty. Empty and non-polygonal geometries give no path. With ``tolerance``
    each ring is simplified on its own (Douglas-Peucker without topology repair: GEOS's polygon
    simplifier repairs every result, which takes minutes on a county's river corridors, while a
    ring that self-touches within a fraction of a millimetre does not show in print); rings that
    collapse are dropped.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return [], np.empty(0, dtype=np.int64)
    parts, owner = _flatten(geoms)
    keep = shapely.get_type_id(parts) == 3
    parts, owner = parts[keep], owner[keep]
    keep = ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    if len(parts) == 0:
        return [], np.empty(0, dtype=np.int64)
    if hasattr(shapely, "orient_polygons"):
        parts = shapely.orient_polygons(parts, exterior_cw=False)
    else:  # shapely < 2.1
        from shapely.geometry.polygon import orient

        parts = np.array([orient(p, 1.0) for p in parts], dtype=object)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    if tolerance > 0:
        rings = shapely.simplify(rings, tolerance, preserve_topology=False)
        keep = shapely.get_num_coordinates(rings) >= 4
        rings, ring_part = rings[keep], ring_part[keep]
        if len(rings) == 0:
            return [], np.empty(0, dtype=np.int64)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
    starts = np.r_[0, np.flatnonzero(np.diff(ring_of)) + 1]
    ends = np.r_[starts[1:] - 1, len(xy) - 1]
    codes[starts] = MplPath.MOVETO
    codes[ends] = MplPath.CLOSEPOLY
    geom_of_vertex = owner[ring_part[ring_of]]
    cuts = np.flatnonzero(np.diff(geom_of_vertex)) + 1
    geom_ids = geom_of_vertex[np.r_[0, cuts]]
    paths = [MplPath(v, c) for v, c in zip(np.split(xy, cuts), np.split(codes, cuts))]
    return paths, geom_ids


def line_arrays(geoms: Sequence, tolerance: float = 0.0) -> tuple[list[np.ndarray], np.ndarray]:
    """Coordinate arrays of every line part (polygon geometries give their rings) and their owners,
    simplified to ``tolerance`` (map units) when given."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return [], np.empty(0, dtype=np.int64)
    parts, owner = _flatten(geoms)
    kind = shapely.get_type_id(parts)
    poly = kind == 3
    if poly.any():
        rings, rp = shapely.get_rings(parts[poly], return_index=True)
        parts = np.concatenate([parts[~poly], rings])
        owner = np.concatenate([owner[~poly], owner[poly][rp]])
        kind = shapely.get_type_id(parts)
    keep = np.isin(kind, (1, 2)) & ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    if len(parts) == 0:
        return [], np.empty(0, dtype=np.int64)
    if tolerance > 0:
        parts = shapely.simplify(parts, tolerance, preserve_topology=False)
    xy, idx = shapely.get_coordinates(parts, return_index=True)
    cuts = np.flatnonzero(np.diff(idx)) + 1
    return np.split(xy, cuts), owner


def prepare(geoms: Sequence, *, bbox: tuple[float, float, float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Geometries that exist and meet ``bbox``, with their positions in ``geoms``."""
    geoms = np.asarray(geoms, dtype=object)
    pos = np.arange(len(geoms))
    if len(geoms) == 0:
        return geoms, pos
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if bbox is not None:
        ok &= shapely.intersects(geoms, shapely.box(*bbox))
    return geoms[ok], pos[ok]


def add_polygons(ax, geoms: Sequence, *, facecolors="none", edgecolors="none", linewidths: float = 0.0,
                 hatch: str | None = None, zorder: float = 1, alpha: float | None = None,
                 linestyle="solid", label: str | None = None, tolerance: float = 0.0) -> PathCollection | None:
    """Polygons as one collection; per-geometry colours may be sequences aligned with ``geoms``.

    ``tolerance``: simplify rings to this many map units (a fraction of a millimetre on paper
    keeps PDFs small and fast without a visible change).
    """
    paths, gid = polygon_paths(geoms, tolerance)
    if not paths:
        return None
    if isinstance(facecolors, str) and isinstance(edgecolors, str):
        # One style for all: one compound path, one PDF drawing operation instead of thousands.
        paths = [MplPath.make_compound_path(*paths)]

    def pick(v):
        if isinstance(v, str) or v is None:
            return v
        arr = np.asarray(v, dtype=object)
        return arr[gid] if arr.ndim == 1 and len(arr) == len(geoms) else v

    coll = PathCollection(paths, facecolors=pick(facecolors), edgecolors=pick(edgecolors),
                          linewidths=linewidths, zorder=zorder, alpha=alpha, linestyles=linestyle,
                          transform=ax.transData, label=label)
    if hatch:
        coll.set_hatch(hatch)
    ax.add_collection(coll, autolim=False)
    return coll


def add_lines(ax, geoms: Sequence, *, colors="black", linewidths: float | Sequence[float] = 1.0,
              zorder: float = 2, linestyle="solid", capstyle: str = "round", alpha: float | None = None,
              dashes=None, tolerance: float = 0.0) -> LineCollection | None:
    """Lines (and polygon outlines) as one collection; see :func:`add_polygons` for ``tolerance``."""
    segs, owner = line_arrays(geoms, tolerance)
    if not segs:
        return None
    ls = linestyle if dashes is None else (0, tuple(dashes))
    if isinstance(colors, str) and np.isscalar(linewidths):
        # One style for all: one compound path (MOVETO at each part), one PDF drawing operation.
        verts = np.concatenate(segs)
        codes = np.full(len(verts), MplPath.LINETO, dtype=np.uint8)
        codes[np.cumsum([0] + [len(a) for a in segs[:-1]]).astype(np.int64)] = MplPath.MOVETO
        coll = PathCollection([MplPath(verts, codes)], facecolors="none", edgecolors=colors, linewidths=linewidths,
                              linestyles=ls, capstyle=capstyle, joinstyle="round", zorder=zorder, alpha=alpha,
                              transform=ax.transData)
        ax.add_collection(coll, autolim=False)
        return coll

    def pick(v):
        if isinstance(v, (str, float, int)) or v is None:
            return v
        arr = np.asarray(v, dtype=object)
        return arr[owner] if arr.ndim == 1 and len(arr) == len(geoms) else v

    coll = LineCollection(segs, colors=pick(colors), linewidths=pick(linewidths), zorder=zorder,
                          linestyles=ls, capstyle=capstyle, joinstyle="round", alpha=alpha, transform=ax.transData)
    ax.add_collection(coll, autolim=False)
    return coll


# ---------------------------------------------------------------------------------------------
# text metrics and placement


@lru_cache(maxsize=2)
def _advances(path: str) -> tuple[dict[int, float], float]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as f:
        upm = f["head"].unitsPerEm
        hmtx = f["hmtx"]
        adv = {cp: hmtx[name][0] / upm for cp, name in f.getBestCmap().items()}
    return adv, adv.get(ord("0"), 0.55)


@lru_cache(maxsize=65536)
def _em_width(text: str, font: str) -> float:
    adv, default = _advances(font)
    return sum(adv.get(ord(ch), 1.0 if ord(ch) > 0x2E80 else default) for ch in text)


def _font_file() -> str:
    from .fonts import cjk_font_path

    return str(cjk_font_path())


def text_width_pt(text: str, size_pt: float, font: str | None = None) -> float:
    """Advance width of one line of ``text`` in points, from the bundled font's metrics (``font``:
    the font file, when the caller resolved it already: finding it reads the settings)."""
    return size_pt * _em_width(text, font or _font_file())


LINE_SPACING = 1.2  # matplotlib's default linespacing for multi-line text


def block_size_mm(lines: Sequence[str], size_pt: float, font: str | None = None) -> tuple[float, float]:
    """Width and height (mm) of a centred multi-line text block, halo included."""
    font = font or _font_file()
    w = max((text_width_pt(s, size_pt, font) for s in lines), default=0.0)
    h = size_pt * (1 + LINE_SPACING * (len(lines) - 1)) * 1.05
    pad = size_pt * 0.12
    return (w + 2 * pad) / PT_PER_MM, (h + 2 * pad) / PT_PER_MM


class LabelPlacer:
    """Boxes already taken on the paper (mm), in a bucket grid for quick overlap tests."""

    def __init__(self, cell_mm: float = 10.0) -> None:
        self.cell = cell_mm
        self.boxes: list[tuple[float, float, float, float]] = []
        self.grid: dict[tuple[int, int], list[int]] = {}

    def _cells(self, b):
        c = self.cell
        for i in range(int(math.floor(b[0] / c)), int(math.floor(b[2] / c)) + 1):
            for j in range(int(math.floor(b[1] / c)), int(math.floor(b[3] / c)) + 1):
                yield i, j

    def free(self, b: tuple[float, float, float, float]) -> bool:
        for cell in self._cells(b):
            for k in self.grid.get(cell, ()):
                o = self.boxes[k]
                if b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3]:
                    return False
        return True

    def add(self, b: tuple[float, float, float, float]) -> None:
        k = len(self.boxes)
        self.boxes.append(b)
        for cell in self._cells(b):
            self.grid.setdefault(cell, []).append(k)


@dataclass
class MapFrame:
    """Where a map sits on the paper and what it shows: the data→paper transform in millimetres."""

    x0_mm: float
    y0_mm: float
    width_mm: float
    height_mm: float
    scale: float  # denominator
    xmin: float
    ymin: float

    @property
    def m_per_mm(self) -> float:
        return self.scale / 1000.0

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (self.xmin, self.ymin, self.xmin + self.width_mm * self.m_per_mm,
                self.ymin + self.height_mm * self.m_per_mm)

    def to_mm(self, x, y):
        return (self.x0_mm + (np.asarray(x) - self.xmin) / self.m_per_mm,
                self.y0_mm + (np.asarray(y) - self.ymin) / self.m_per_mm)

    @classmethod
    def fit(cls, x0_mm: float, y0_mm: float, width_mm: float, height_mm: float,
            bounds: tuple[float, float, float, float], *, scale: float | None = None,
            centre: tuple[float, float] | None = None, pad: float = 0.03, nice: bool = True) -> "MapFrame":
        """A frame showing ``bounds`` (fitted with ``pad`` margin, scale rounded up to a nice one)
        or, with ``scale``, that scale centred on ``centre`` or the middle of ``bounds``."""
        from .paper import fit_scale, nice_scale

        bx0, by0, bx1, by1 = bounds
        if scale is None:
            w = max(bx1 - bx0, 1.0) * (1 + 2 * pad)
            h = max(by1 - by0, 1.0) * (1 + 2 * pad)
            scale = fit_scale(w, h, width_mm, height_mm)
            if nice:
                scale = nice_scale(scale)
        cx, cy = centre if centre is not None else ((bx0 + bx1) / 2, (by0 + by1) / 2)
        m = scale / 1000.0
        return cls(x0_mm, y0_mm, width_mm, height_mm, float(scale),
                   cx - width_mm * m / 2, cy - height_mm * m / 2)

    def axes(self, fig, paper_w_mm: float, paper_h_mm: float, *, frame_lw: float = 0.8, zorder: float = 0):
        """An axes at the frame's position with the data limits set, no ticks, a thin frame."""
        ax = fig.add_axes((self.x0_mm / paper_w_mm, self.y0_mm / paper_h_mm,
                           self.width_mm / paper_w_mm, self.height_mm / paper_h_mm), zorder=zorder)
        x0, y0, x1, y1 = self.bbox
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("auto")
        ax.set_xticks([])
        ax.set_yticks([])
        for s in ax.spines.values():
            s.set_linewidth(frame_lw)
        ax.set_facecolor("white")
        return ax


def halo_text(ax, x, y, text: str, *, size: float, color: str = "#111111", halo: str = "white",
              halo_width: float | None = None, zorder: float = 20, ha: str = "center", va: str = "center",
              transform=None, **kw):
    """Text over a white halo; the text itself stays a text object (searchable, selectable)."""
    import matplotlib.patheffects as pe

    tr = transform if transform is not None else ax.transData
    lw = halo_width if halo_width is not None else max(1.0, size * 0.28)
    common = dict(fontsize=size, ha=ha, va=va, transform=tr, linespacing=LINE_SPACING, clip_on=False, **kw)
    ax.text(x, y, text, color=halo, zorder=zorder - 0.01,
            path_effects=[pe.Stroke(linewidth=lw, foreground=halo)], **common)
    return ax.text(x, y, text, color=color, zorder=zorder, **common)


@dataclass
class LabelCandidate:
    """Text variants for one feature, best first (each a list of lines), at one anchor point.

    Candidates sharing a ``group`` are alternative anchors of one label: at most one is placed.
    A candidate with a ``leader`` (a point in map units) stands beside its feature and is joined
    to that point by a thin line when placed.
    """

    x: float
    y: float
    variants: list[list[str]]
    region: object | None = None  # polygon the label must stay inside (None: anywhere)
    priority: float = 0.0
    color: str = "#111111"
    group: object = None
    leader: tuple[float, float] | None = None
    placed: tuple[int, float] | None = field(default=None)


def place_labels(ax, frame: MapFrame, placer: LabelPlacer, labels: Sequence[LabelCandidate], *,
                 max_pt: float, min_pt: float, step: float = 0.85, zorder: float = 20,
                 inside: float = 0.9) -> int:
    """Place each label at the largest size and best variant that fits; return how many were placed.

    A variant fits when its box (scaled by ``inside`` for a little slack at corners) lies within
    the label's region and clear of every box already on ``placer``. Groups (labels, or the
    anchors of one label) are tried in descending ``priority``; within a group, every variant is
    tried at the comfortable sizes (≥ 55 % of ``max_pt``) before any at smaller sizes, and for a
    variant and size every anchor is tried.
    Containment is tested for all candidates at once per size and variant (vectorised shapely).
    """
    if not labels:
        return 0
    sizes = []
    s = max_pt
    while s >= min_pt - 1e-9:
        sizes.append(s)
        s *= step
    n = len(labels)
    nvar = max(len(lab.variants) for lab in labels)
    xs = np.array([lab.x for lab in labels], dtype=float)
    ys = np.array([lab.y for lab in labels], dtype=float)
    xmm, ymm = frame.to_mm(xs, ys)
    regions = np.array([lab.region for lab in labels], dtype=object)
    has_region = np.array([r is not None for r in regions])
    if has_region.any():
        shapely.prepare(regions[has_region])
    # Block size at 1 pt (mm); sizes scale linearly.
    unit = np.full((nvar, n, 2), np.inf)
    font = _font_file()  # once: a village name is tried at dozens of anchors
    sized: dict[tuple, tuple[float, float]] = {}
    for i, lab in enumerate(labels):
        for v, lines in enumerate(lab.variants):
            key = tuple(lines)
            if key not in sized:
                sized[key] = block_size_mm(lines, 1.0, font)
            unit[v, i] = sized[key]
    fits = np.zeros((nvar, len(sizes), n), dtype=bool)
    m = frame.m_per_mm
    for v in range(nvar):
        ok = np.isfinite(unit[v, :, 0])
        for k, size in enumerate(sizes):
            f = ok.copy()
            sel = has_region & ok
            if sel.any():
                w = unit[v, sel, 0] * size * m * inside / 2
                h = unit[v, sel, 1] * size * m * inside / 2
                boxes = shapely.box(xs[sel] - w, ys[sel] - h, xs[sel] + w, ys[sel] + h)
                f[sel] = shapely.contains(regions[sel], boxes)
            fits[v, k] = f
    groups: dict[object, list[int]] = {}
    for i, lab in enumerate(labels):
        groups.setdefault(("g", lab.group) if lab.group is not None else ("i", i), []).append(i)
    order = sorted(groups.values(), key=lambda members: -max(labels[j].priority for j in members))
    # Two tiers: every variant at a comfortable size first (an informative label at 8 pt beats a
    # bare number at 20 pt), then every variant down to the smallest size.
    mid = max(min_pt, max_pt * 0.55)
    big = [k for k, sz in enumerate(sizes) if sz >= mid - 1e-9]
    small = [k for k, sz in enumerate(sizes) if sz < mid - 1e-9]
    tries = [(k, v) for v in range(nvar) for k in big] + [(k, v) for v in range(nvar) for k in small]
    placed = 0
    x0, y0 = frame.x0_mm, frame.y0_mm
    x1, y1 = x0 + frame.width_mm, y0 + frame.height_mm
    for members in order:
        done = False
        for k, v in tries:
            size = sizes[k]
            for i in members:
                if not fits[v, k, i]:
                    continue
                w, h = unit[v, i] * size
                b = (xmm[i] - w / 2, ymm[i] - h / 2, xmm[i] + w / 2, ymm[i] + h / 2)
                if b[0] < x0 or b[2] > x1 or b[1] < y0 or b[3] > y1 or not placer.free(b):
                    continue
                placer.add(b)
                lab = labels[i]
                halo_text(ax, lab.x, lab.y, "\n".join(lab.variants[v]), size=size, color=lab.color,
                          zorder=zorder)
                if lab.leader is not None:
                    _leader_line(ax, frame, lab.leader, b, color=lab.color, size=size, zorder=zorder - 0.02)
                lab.placed = (v, size)
                placed += 1
                done = True
                break
            if done:
                break
    return placed


def _leader_line(ax, frame: MapFrame, point: tuple[float, float], box_mm, *, color: str, size: float,
                 zorder: float) -> None:
    """A thin line (over a white halo) from ``point`` to the nearest edge of a label's box, and a dot
    at the point, so that a name standing beside its feature says which feature it names."""
    import matplotlib.patheffects as pe

    px, py = (float(v) for v in frame.to_mm(point[0], point[1]))
    ex = min(max(px, box_mm[0]), box_mm[2])
    ey = min(max(py, box_mm[1]), box_mm[3])
    m = frame.m_per_mm
    xs = [frame.xmin + (px - frame.x0_mm) * m, frame.xmin + (ex - frame.x0_mm) * m]
    ys = [frame.ymin + (py - frame.y0_mm) * m, frame.ymin + (ey - frame.y0_mm) * m]
    lw = max(0.4, size * 0.05)
    halo = [pe.Stroke(linewidth=lw * 3, foreground="white"), pe.Normal()]
    ax.plot(xs, ys, color=color, lw=lw, zorder=zorder, solid_capstyle="round", path_effects=halo, clip_on=False)
    ax.plot(xs[:1], ys[:1], "o", color=color, markersize=lw * 4, zorder=zorder, markeredgecolor="white",
            markeredgewidth=lw * 0.8)


# ---------------------------------------------------------------------------------------------
# map furniture


def scale_bar(ax, x_mm: float, y_mm: float, *, frame: MapFrame, paper_w_mm: float, paper_h_mm: float,
              target_mm: float, size_pt: float, lw: float = 0.6, zorder: float = 5) -> float:
    """Alternating black/white bar at (x_mm, y_mm) on the figure, ~``target_mm`` long; returns its length (mm).

    ``ax`` is any axes; drawing happens in figure coordinates.
    """
    from matplotlib.patches import Rectangle

    fig = ax.figure
    ground = nice_length(target_mm * frame.m_per_mm)
    length_mm = ground / frame.m_per_mm
    seg = 4 if ground / 4 == int(ground / 4) or ground >= 4 else 2
    h_mm = max(1.2, size_pt * 0.35 / PT_PER_MM * 2)
    tr = fig.transFigure
    for i in range(seg):
        fig.add_artist(Rectangle(((x_mm + i * length_mm / seg) / paper_w_mm, y_mm / paper_h_mm),
                                 length_mm / seg / paper_w_mm, h_mm / paper_h_mm, transform=tr,
                                 facecolor="black" if i % 2 == 0 else "white", edgecolor="black", linewidth=lw,
                                 zorder=zorder))
    unit, div = ("千米", 1000.0) if ground >= 1000 else ("米", 1.0)  # printed maps are Chinese
    for i, frac in enumerate((0.0, 0.5, 1.0)):
        val = ground * frac / div
        txt = f"{val:g}" + (f" {unit}" if frac == 1.0 else "")
        fig.text((x_mm + length_mm * frac) / paper_w_mm, (y_mm + h_mm + 0.8) / paper_h_mm, txt,
                 ha="center", va="bottom", fontsize=size_pt, zorder=zorder)
    return length_mm


def north_arrow(fig, x_mm: float, y_mm: float, *, height_mm: float, paper_w_mm: float, paper_h_mm: float,
                angle_deg: float = 0.0, size_pt: float = 10, zorder: float = 5) -> None:
    """A north arrow centred at (x_mm, y_mm), rotated ``angle_deg`` clockwise from grid north to true north."""
    from matplotlib.patches import Polygon

    a = math.radians(angle_deg)
    h = height_mm
    # Half-dark, half-light arrowhead (classic) in millimetres around the centre.
    pts_l = [(0, h / 2), (-h * 0.22, -h / 2), (0, -h * 0.25)]
    pts_r = [(0, h / 2), (h * 0.22, -h / 2), (0, -h * 0.25)]

    def tf(p):
        x, y = p
        xr = x * math.cos(a) + y * math.sin(a)
        yr = -x * math.sin(a) + y * math.cos(a)
        return ((x_mm + xr) / paper_w_mm, (y_mm + yr) / paper_h_mm)

    fig.add_artist(Polygon([tf(p) for p in pts_l], closed=True, transform=fig.transFigure,
                           facecolor="black", edgecolor="black", linewidth=0.6, zorder=zorder))
    fig.add_artist(Polygon([tf(p) for p in pts_r], closed=True, transform=fig.transFigure,
                           facecolor="white", edgecolor="black", linewidth=0.6, zorder=zorder))
    tx, ty = tf((0, h / 2 + 0.6))
    fig.text(tx, ty, "北\nN", ha="center", va="bottom", fontsize=size_pt, linespacing=1.0, zorder=zorder)


def graticule(frame: MapFrame, crs, mode: str, *, target_lines: int = 6):
    """Coordinate-grid lines for ``mode`` ``"gk"`` (project metres) or ``"lonlat"``.

    Returns ``[(axis, value, label, LineString in project coordinates)]``; ``axis`` is ``"x"`` for
    lines labelled on the top and bottom edges (eastings, meridians), ``"y"`` for the others.
    """
    from shapely.geometry import LineString

    x0, y0, x1, y1 = frame.bbox
    out = []
    if mode == "gk":
        step = nice_length(max(x1 - x0, y1 - y0) / target_lines)
        digits = max(0, -int(math.floor(math.log10(step / 1000)))) if step < 1000 else 0
        for v in np.arange(math.ceil(x0 / step) * step, x1, step):
            out.append(("x", v, f"{v / 1000:.{digits}f}", LineString([(v, y0), (v, y1)])))
        for v in np.arange(math.ceil(y0 / step) * step, y1, step):
            out.append(("y", v, f"{v / 1000:.{digits}f}", LineString([(x0, v), (x1, v)])))
        return out
    to_ll, to_xy = _transformers(crs)
    xs = np.linspace(x0, x1, 9)
    ys = np.linspace(y0, y1, 9)
    gx, gy = np.meshgrid(xs, ys)
    lon, lat = to_ll.transform(gx.ravel(), gy.ravel())
    lo0, lo1, la0, la1 = np.min(lon), np.max(lon), np.min(lat), np.max(lat)
    steps = [1 / 3600 * s for s in (1, 2, 5, 10, 15, 30)] + [1 / 60 * s for s in (1, 2, 5, 10, 15, 30)] + [1, 2, 5, 10]
    span = max(lo1 - lo0, la1 - la0)
    step = next((s for s in steps if span / s <= target_lines), steps[-1])

    def dms(v, pos, neg):
        h = pos if v >= 0 else neg
        v = abs(v)
        d = int(v + 1e-9)
        mfull = (v - d) * 60
        m = int(mfull + 1e-9)
        s = (mfull - m) * 60
        if step < 1 / 60:
            return f"{d}°{m:02d}′{s:02.0f}″{h}"
        if step < 1:
            return f"{d}°{m:02d}′{h}"
        return f"{d}°{h}"

    for v in np.arange(math.ceil(lo0 / step) * step, lo1, step):
        la = np.linspace(la0, la1, 50)
        x, y = to_xy.transform(np.full_like(la, v), la)
        out.append(("x", v, dms(v, "E", "W"), LineString(np.column_stack([x, y]))))
    for v in np.arange(math.ceil(la0 / step) * step, la1, step):
        lo = np.linspace(lo0, lo1, 50)
        x, y = to_xy.transform(lo, np.full_like(lo, v))
        out.append(("y", v, dms(v, "N", "S"), LineString(np.column_stack([x, y]))))
    return out


def draw_graticule(ax, frame: MapFrame, lines, *, size_pt: float, lw: float, color: str = "#7a7a7a") -> None:
    """Draw grid lines clipped to the frame and label them outside the frame edges."""
    box = shapely.box(*frame.bbox)
    x0, y0, x1, y1 = frame.bbox
    off = size_pt / PT_PER_MM * 0.4 * frame.m_per_mm
    for axis, _v, label, line in lines:
        clipped = line.intersection(box)
        if clipped.is_empty:
            continue
        add_lines(ax, [clipped], colors=color, linewidths=lw, zorder=15, capstyle="butt")
        ends = shapely.get_coordinates(clipped)
        if axis == "x":
            lo = ends[np.argmin(ends[:, 1])]
            hi = ends[np.argmax(ends[:, 1])]
            if abs(lo[1] - y0) < 1e-6 * max(1, abs(y0)) + frame.m_per_mm:
                ax.text(lo[0], y0 - off, label, ha="center", va="top", fontsize=size_pt, color="#333333",
                        clip_on=False)
            if abs(hi[1] - y1) < 1e-6 * max(1, abs(y1)) + frame.m_per_mm:
                ax.text(hi[0], y1 + off, label, ha="center", va="bottom", fontsize=size_pt, color="#333333",
                        clip_on=False)
        else:
            lo = ends[np.argmin(ends[:, 0])]
            hi = ends[np.argmax(ends[:, 0])]
            if abs(lo[0] - x0) < frame.m_per_mm:
                ax.text(x0 - off, lo[1], label, ha="right", va="center", fontsize=size_pt, color="#333333",
                        rotation=90, clip_on=False)
            if abs(hi[0] - x1) < frame.m_per_mm:
                ax.text(x1 + off, hi[1], label, ha="left", va="center", fontsize=size_pt, color="#333333",
                        rotation=-90, clip_on=False)


@lru_cache(maxsize=8)
def _transformers(crs):
    """(project → WGS84, WGS84 → project) transformers; building one costs ~40 ms, so they are kept."""
    from pyproj import Transformer

    return Transformer.from_crs(crs, 4326, always_xy=True), Transformer.from_crs(4326, crs, always_xy=True)


def true_north_angle(crs, x: float, y: float) -> float:
    """Clockwise angle (degrees) from grid north to true north at (x, y) in ``crs``."""
    if crs is None or getattr(crs, "is_geographic", False):
        return 0.0
    to_ll, to_xy = _transformers(crs)
    lon, lat = to_ll.transform(x, y)
    x2, y2 = to_xy.transform(lon, min(lat + 0.01, 89.9))
    return math.degrees(math.atan2(x2 - x, y2 - y))
