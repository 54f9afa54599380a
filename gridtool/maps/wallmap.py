"""Wall maps (挂图) as vector PDF, PNG or SVG on ISO A4–A0 sheets, and the same drawing for previews.

Signatures::

    render_wall_map(project, out_path, *, fmt=None, size="A3", landscape=None, scale=None,
                    dpi=200, title=None, subtitle=None, date=None, coord_grid="auto",
                    labels=True, include_personal=False, centre=None, max_pixels=None,
                    progress=None, cancelled=None, notes=None) -> Path
    draw_wall_map(fig, project, *, size="A3", landscape=None, scale=None, centre=None,
                  title=None, subtitle=None, date=None, coord_grid="auto", labels=True,
                  include_personal=False, grid_fills=None, fill_legend=None, fill_title=None,
                  grid_label=None, progress=None, cancelled=None) -> WallMapInfo
    preview_image(project, *, width_px=1200, **draw_kw) -> numpy.ndarray  (H × W × 4, uint8)

``landscape=None`` chooses the orientation that shows the data larger. ``render_wall_map`` is the export; ``draw_wall_map`` draws onto any matplotlib ``Figure`` (the
export's, or the desktop app's preview canvas), so the preview is the print. The five-colour
assessment map is this map with other fills (``grid_fills``/``fill_legend``).

Why hand-written: a wall map is a page layout (title band, map frame at a true scale, a side or
bottom panel with north arrow, scale bar, legend and totals, a footer with CRS and credits) that
no plotting library provides; the drawing primitives live in :mod:`gridtool.maps.draw`.

The sheet is laid out in millimetres and every size (fonts, lines, margins) scales with the sheet
(√2 per ISO step), so an A0 looks like an enlarged A4. Fit-to-area rounds the scale up to a nice
one (1:12,500 rather than 1:11,873) so that the scale printed is the scale measured.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date as _date
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from . import style as S
from ..plurals import count_en, plural_en
from .titles import map_title, map_unit
from .paper import (PT_PER_MM, Paper, check_cancelled, format_from_path, format_scale, paper,
                    write_checked)

Progress = Callable[[float, str], None]

#: Data credit printed when any layer came from OpenStreetMap (wall map, atlas, route cards).
OSM_CREDIT = "地图数据 © OpenStreetMap 贡献者（ODbL 许可）"
#: Columns of the grids layer holding a person's name (grid worker, head) or phone.


@dataclass
class WallMapInfo:
    """What :func:`draw_wall_map` drew: the sheet, the map frame and scale, label counts."""

    sheet: Paper
    frame: object  # draw.MapFrame
    scale: float
    coord_grid: str | None
    labels_placed: int = 0
    #: (zh, en) words for the grid labels' rule (``03`` is ``320102900001-03``), None when full codes
    code_note: tuple[str, str] | None = None
    labels_dropped: int = 0
    subgrids_drawn: bool = False
    places_drawn: bool = False
    osm: bool = False
    layers: list[str] = field(default_factory=list)
    names_unplaced: list[str] = field(default_factory=list)  # village names no position could take
    notes: list[tuple[str, str]] = field(default_factory=list)  # (zh, en) to say in the console


def _gdf(project, role: str):
    lyr = project.layers.get(role) if project is not None else None
    if lyr is None or lyr.gdf is None or len(lyr.gdf) == 0:
        return None
    return lyr.gdf


def uses_osm(project) -> bool:
    """True when any layer came from OpenStreetMap (format OSM, or OSM ids in an ``osm_id`` column)."""
    for lyr in project.layers.values():
        if str(getattr(lyr, "format", "")).upper() == "OSM":
            return True
        gdf = lyr.gdf
        if gdf is not None and "osm_id" in gdf.columns and gdf["osm_id"].notna().any():
            return True
    return "openstreetmap" in str(project.parameters).lower()


def map_bounds(project) -> tuple[float, float, float, float]:
    """Area a fitted map shows: the grids, else the villages, else every layer."""
    for role in ("grids", "villages"):
        g = _gdf(project, role)
        if g is not None:
            b = g.total_bounds
            if np.isfinite(b).all():
                return tuple(float(v) for v in b)
    bs = [lyr.gdf.total_bounds for lyr in project.layers.values() if lyr.gdf is not None and len(lyr.gdf)]
    bs = [b for b in bs if np.isfinite(b).all()]
    if not bs:
        from .paper import ExportError

        raise ExportError("项目中没有可绘制的图层", "the project has no layer to draw",
                          fix_zh="先导入村界、住户等图层并划分网格", fix_en="import villages and households and partition first")
    a = np.array(bs)
    return float(a[:, 0].min()), float(a[:, 1].min()), float(a[:, 2].max()), float(a[:, 3].max())


def masked_grids(grids, *, include_personal: bool):
    """The grids table with grid workers' names and phones masked unless ``include_personal``."""
    from .privacy import mask_frame, staff_columns

    return mask_frame(grids, staff_columns(grids), include_personal)


def grid_label_variants(row, shown: str | None = None) -> list[list[str]]:
    """Text variants for a grid label, most informative first; ``shown`` is the code as the map
    prints it (:func:`gridtool.maps.grid_codes.map_code`: ``03``, or the full code), the same in
    every variant, so that one sheet never mixes ``990100001002-10`` and ``03``."""
    code = str(row.get("code", "") or "") if shown is None else str(shown)
    hh = row.get("hh")
    hh_txt = f"{int(hh)}户" if hh is not None and pd.notna(hh) else ""
    worker = row.get("worker")
    worker = str(worker).strip() if worker is not None and pd.notna(worker) and str(worker).strip() else ""
    second = " · ".join(t for t in (hh_txt, worker) if t)
    out = []
    if second:
        out.append([code, second])
    if hh_txt and worker:
        out.append([code, hh_txt])
    out.append([code])
    return out


def _in_frame(geoms, bbox):
    """The parts of ``geoms`` inside the map frame (labels of features cut by the frame edge go
    in their visible part); features wholly outside become empty and get no label."""
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    frame = shapely.box(*bbox)
    out = geoms.copy()
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    cut = ok & ~shapely.within(geoms, frame)
    if cut.any():
        out[cut] = shapely.intersection(geoms[cut], frame)
    return out


def _lattice_anchors(geom, n: int = 3) -> list[tuple[float, float]]:
    """Points on an n×n lattice of the polygon's bounds that fall inside it, centre-most first."""
    import shapely

    x0, y0, x1, y1 = geom.bounds
    xs = np.linspace(x0, x1, n + 2)[1:-1]
    ys = np.linspace(y0, y1, n + 2)[1:-1]
    gx, gy = np.meshgrid(xs, ys)
    pts = shapely.points(gx.ravel(), gy.ravel())
    ok = shapely.contains(geom, pts)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    cand = [(float(x), float(y)) for x, y, k in zip(gx.ravel(), gy.ravel(), ok) if k]
    cand.sort(key=lambda p: (p[0] - cx) ** 2 + (p[1] - cy) ** 2)
    return cand


#: Sixteenths of a turn from east, alternately up and down: where a name beside its village goes.
_TURNS = (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8)


def _village_names(ax, frame, placer, villages, *, max_pt: float, min_pt: float) -> tuple[int, list[str]]:
    """Name every village seen in the frame; return how many were placed and the names that were not.

    Grid labels come first and fill the small villages of a town centre, so a name that finds no
    room at its village's usual anchors tries, in turn, at a readable size (≥ 55 % of ``max_pt``):
    a denser lattice of anchors inside the village, then places around the village's label point,
    outside it if need be, joined to it by a leader line; and then both again down to ``min_pt``.
    """
    import shapely

    from ..partition.villages import village_names
    from . import draw as D

    vg = _in_frame(villages.geometry.values, frame.bbox)
    names = {}
    # The names the grids and ledgers carry: 上海路社区（新街口街道） where two 街道 share one.
    shown = village_names(villages) if "name" in villages else [None] * len(villages)
    raw = villages["name"].tolist() if "name" in villages else [None] * len(villages)
    for i, name in enumerate(raw):
        if name is None or (isinstance(name, float) and math.isnan(name)) or vg[i] is None or vg[i].is_empty:
            continue
        if str(name).strip():
            names[i] = shown[i]
    points = {i: D.label_points(np.array([vg[i]], dtype=object))[0] for i in names}

    def inside(i, lattice):
        # The main part of a village first: a name belongs on the village, not on its mountain exclave.
        parts = sorted(getattr(vg[i], "geoms", [vg[i]]), key=lambda g: -g.area)
        anchors = ([(points[i].x, points[i].y)] if lattice == 4 else []) + _lattice_anchors(parts[0], lattice)
        if len(parts) > 1:
            anchors += _lattice_anchors(vg[i], lattice)
        return [D.LabelCandidate(x, y, [[names[i]]], region=vg[i], color=S.VILLAGE_EDGE,
                                 priority=float(shapely.area(vg[i])), group=i) for x, y in anchors]

    def beside(i):
        w, h = D.block_size_mm([names[i]], max_pt)
        m = frame.m_per_mm
        px, py = points[i].x, points[i].y
        out = []
        for r in (0.6 * w + h, 0.6 * w + 2.5 * h, 1.2 * w + 3 * h, 2 * w + 4 * h):
            for k in range(16):  # east first, then round: a name beside, not above, reads best
                a = math.pi * 2 * _TURNS[k] / 16
                out.append(D.LabelCandidate(px + r * m * math.cos(a), py + 0.6 * r * m * math.sin(a),
                                            [[names[i]]], color=S.VILLAGE_EDGE, group=i, leader=(px, py),
                                            priority=float(shapely.area(vg[i]))))
        return out

    # A name in its village at a readable size, else beside it at that size, and only then small.
    mid = max(min_pt, 0.55 * max_pt)
    passes = ((lambda i: inside(i, 4), max_pt, mid), (lambda i: inside(i, 9), max_pt, mid), (beside, max_pt, mid),
              (lambda i: inside(i, 9), mid * 0.85, min_pt), (beside, mid * 0.85, min_pt))
    placed = 0
    todo = list(names)
    for make, top, bottom in passes:
        if not todo or top < bottom:
            continue
        cands = [c for i in todo for c in make(i)]
        placed += D.place_labels(ax, frame, placer, cands, max_pt=top, min_pt=bottom, zorder=22, inside=1.0)
        done = {c.group for c in cands if c.placed is not None}
        todo = [i for i in todo if i not in done]
    return placed, [names[i] for i in todo]


def label_min_pt(sheet: Paper) -> float:
    """The smallest grid label (pt) on ``sheet``: 4.5 pt up to A2, read at arm's length; on a wall
    map (A1 and larger, read from a step or two back) it grows with the sheet, 7.6 pt on A1 and
    9 pt (3.2 mm) on A0."""
    return 4.5 * math.sqrt(sheet.unit) if sheet.unit >= 2.5 else 4.5


#: The console note of an orientation chosen from the data's shape (written below); the demo
#: gathers its sheets by it (one line per orientation).
ORIENTATION_NOTE = re.compile(r"(.+?)：按数据范围的形状选用(横向|纵向)（--orientation \w+ 可改）")


def _grid_labels(ax, frame, placer, gm, g, *, grid_label, shown, max_pt: float, min_pt: float) -> tuple[int, int]:
    """Label every grid in the frame, none below ``min_pt``; return how many were placed and dropped.

    A label goes inside its grid, the fullest variant at the largest size that fits. A grid too
    small for even its number at ``min_pt`` (a town centre on A0) gets its number beside it, joined
    to it by a leader line: the village's name is on the map already.
    """
    import shapely

    from . import draw as D

    pts = D.label_points(g)
    inside, short = [], {}
    for i, (idx, row) in enumerate(gm.drop(columns="geometry").iterrows()):
        p = pts[i]
        if p is None or p.is_empty:
            continue
        variants = grid_label(row) if grid_label is not None else grid_label_variants(row, shown.get(idx))
        short[i] = min((v for v in variants if len(v) == 1), key=lambda v: len(v[0]), default=variants[-1])
        inside.append(D.LabelCandidate(p.x, p.y, variants, region=g[i], group=i,
                                       priority=float(shapely.area(g[i]))))
    placed = D.place_labels(ax, frame, placer, inside, max_pt=max_pt, min_pt=min_pt, zorder=21)
    todo = [c.group for c in inside if c.placed is None]
    m = frame.m_per_mm
    beside = []
    for i in todo:
        w, h = D.block_size_mm(short[i], min_pt)
        px, py = pts[i].x, pts[i].y
        for r in (0.6 * w + h, 0.6 * w + 2.5 * h, 1.2 * w + 3.5 * h):
            for k in range(16):  # east first, then round, as the village names
                a = math.pi * 2 * _TURNS[k] / 16
                beside.append(D.LabelCandidate(px + r * m * math.cos(a), py + 0.7 * r * m * math.sin(a), [short[i]],
                                               group=i, leader=(px, py), priority=float(shapely.area(g[i]))))
    placed += D.place_labels(ax, frame, placer, beside, max_pt=min_pt, min_pt=min_pt, zorder=21)
    return placed, len(inside) - placed


class _Swatches:
    """Legend handle: a row of small fills (the grid palette)."""

    def __init__(self, colours: Sequence[str], edge: str = S.GRID_EDGE, hatch: str | None = None):
        self.colours = list(colours)
        self.edge = edge
        self.hatch = hatch


def _swatch_handler():
    from matplotlib.legend_handler import HandlerBase
    from matplotlib.patches import Rectangle

    class Handler(HandlerBase):
        def create_artists(self, legend, orig, xdescent, ydescent, width, height, fontsize, trans):
            n = max(len(orig.colours), 1)
            w = width / n
            return [Rectangle((-xdescent + i * w, -ydescent), w, height, facecolor=c, edgecolor=orig.edge,
                              linewidth=0.4, hatch=orig.hatch, transform=trans)
                    for i, c in enumerate(orig.colours)]

    return Handler()


def _layout(sheet: Paper, *, grid_labels: bool):
    """Boxes (x, y, w, h in mm) of the map frame, the panel, the title band and the footer."""
    W, H, u = sheet.width_mm, sheet.height_mm, sheet.unit
    m = 10 * u
    title_h = 20 * u
    foot_h = 6 * u
    gap = (6 if grid_labels else 2.5) * u
    side = W > H * 1.1
    if side:
        pw = 62 * u
        frame = (m + gap, m + foot_h + gap, W - 2 * m - pw - 2 * gap - 2 * u, H - 2 * m - title_h - foot_h - 2 * gap)
        panel = (W - m - pw, m + foot_h, pw, H - 2 * m - title_h - foot_h)
    else:
        ph = 48 * u
        frame = (m + gap, m + foot_h + ph + gap, W - 2 * m - 2 * gap, H - 2 * m - title_h - foot_h - ph - 2 * gap)
        panel = (m, m + foot_h, W - 2 * m, ph)
    return dict(frame=frame, panel=panel, side=side, title=(m, H - m - title_h, W - 2 * m, title_h),
                foot=(m, m, W - 2 * m, foot_h), margin=m)


def choose_landscape(project, size: str | tuple[float, float] = "A3", *, coord_grid: str | None = "auto") -> bool:
    """True when the data's extent shows larger on a landscape sheet than on a portrait one.

    Both layouts are tried (a landscape sheet puts the legend beside the map, a portrait one below
    it) and the orientation whose map frame fits :func:`map_bounds` at the larger scale wins; on
    a tie (a square extent) portrait, the orientation a sheet has when nobody asks.
    """
    from .paper import fit_scale

    x0, y0, x1, y1 = map_bounds(project)
    w, h = max(x1 - x0, 1.0) * 1.06, max(y1 - y0, 1.0) * 1.06  # the fit's 3 % margin on each side
    denom = {}
    for land in (False, True):
        _, _, fw, fh = _layout(paper(size, landscape=land), grid_labels=coord_grid is not None)["frame"]
        denom[land] = fit_scale(w, h, fw, fh)
    return denom[True] < denom[False] * 0.995


def draw_wall_map(fig, project, *, size: str | tuple[float, float] = "A3", landscape: bool | None = None,
                  scale: float | None = None, centre: tuple[float, float] | None = None,
                  title: str | None = None, subtitle: str | None = None, date: str | None = None,
                  coord_grid: str | None = "auto", labels: bool = True, include_personal: bool = False,
                  township: str | None = None, unit: str | None = None,
                  grid_fills: pd.Series | None = None,
                  fill_legend: Sequence[tuple[str, str]] | None = None, fill_title: str | None = None,
                  grid_label: Callable[[pd.Series], list[list[str]]] | None = None,
                  progress: Progress | None = None,
                  cancelled: Callable[[], bool] | None = None) -> WallMapInfo:
    """Draw the wall map of ``project`` on ``fig`` (resized to the sheet, in inches).

    Parameters
    ----------
    fig
        A matplotlib ``Figure``, empty. Its size is set to the sheet (``forward=False``, so a
        preview canvas keeps its widget size and scales the drawing).
    size, landscape
        ISO sheet ``"A4"`` … ``"A0"`` (or ``(width_mm, height_mm)``) and its orientation; None
        chooses the one that shows the data larger (:func:`choose_landscape`).
    scale
        Scale denominator (``5000`` → 1:5,000) centred on ``centre`` or the grids; None fits the
        grids (else villages) to the frame at the next nice scale.
    title, subtitle, date
        Header texts; defaults: ``"<township> 网格化管理分布图"`` (:func:`.titles.map_title`: the
        township and county found in the data, never a file name), the totals, today (ISO date).
    township, unit
        The place named in the default title, and the 制图单位 in the footer (default: the place).
    coord_grid
        ``"gk"`` (project metres, labelled in km), ``"lonlat"`` (graticule), None (no grid) or
        ``"auto"``: metres at 1:50,000 and larger, longitude/latitude at smaller scales.
    labels
        Grid and village labels, sized to fit each polygon. A grid label that does not fit is
        dropped; a village name tries more positions and smaller sizes inside its village, then a
        place beside it with a leader line, and is listed in ``WallMapInfo.names_unplaced`` if
        even that fails.
    include_personal
        Show grid workers' names unmasked (default masked: ``张*``).
    grid_fills, fill_legend, fill_title
        Fill per grid (Series aligned with the grids layer) instead of the neighbour colouring,
        and the legend rows ``(colour, label)`` under ``fill_title`` (the five-colour map).
    grid_label
        ``grid_label(row) -> [[line, …], …]``: the text variants of a grid's label, best first
        (default :func:`grid_label_variants`: the code as :mod:`.grid_codes` prints it, households and
        worker, then shorter forms).
    progress, cancelled
        ``progress(fraction, message)`` and a callable returning True to stop (CancelledError).

    Returns
    -------
    WallMapInfo
    """
    import shapely
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from . import draw as D
    from .colours import EXTRA_PALETTE, GRID_PALETTE, grid_colours
    from .fonts import register_matplotlib_font

    register_matplotlib_font()
    if landscape is None:
        landscape = choose_landscape(project, size, coord_grid=coord_grid)
    sheet = paper(size, landscape=landscape)
    W, H, u = sheet.width_mm, sheet.height_mm, sheet.unit
    fig.set_size_inches(*sheet.inches, forward=False)
    fig.set_facecolor("white")
    report = progress or (lambda f, m: None)
    report(0.0, "布局 / layout")

    grids = _gdf(project, "grids")
    villages = _gdf(project, "villages")
    L = _layout(sheet, grid_labels=coord_grid is not None)
    fx, fy, fw, fh = L["frame"]
    frame = D.MapFrame.fit(fx, fy, fw, fh, map_bounds(project), scale=scale, centre=centre)
    if coord_grid == "auto":
        coord_grid = "gk" if frame.scale <= 50_000 and project.crs is not None and project.crs.is_projected else "lonlat"
    ax = frame.axes(fig, W, H, frame_lw=S.lw(0.35, u))
    ax.set_rasterization_zorder(None)
    bbox = frame.bbox
    tol = 0.12 * frame.m_per_mm  # simplify to 0.12 mm on paper
    # Data lines thin out at small scales (a county on one sheet), down to 45 % at 1:150,000.
    lk = max(0.45, min(1.0, (20_000 / frame.scale) ** 0.4))
    du = u * lk ** (1 / 0.7)
    info = WallMapInfo(sheet, frame, frame.scale, coord_grid, osm=uses_osm(project))
    handles: list[tuple[object, str]] = []

    def step(frac, msg):
        check_cancelled(cancelled)
        report(frac, msg)

    step(0.1, "网格 / grids")
    if grids is not None:
        gm = masked_grids(grids, include_personal=include_personal)
        fills = grid_colours(grids) if grid_fills is None else grid_fills.reindex(grids.index).fillna("#ffffff")
        g, pos = D.prepare(grids.geometry.values, bbox=bbox)
        if grid_fills is None:
            # The swatch shows the fills the map uses (five where the neighbours need five), in palette order.
            used = set(fills.to_numpy()[pos])
            order = list(dict.fromkeys([*GRID_PALETTE, *EXTRA_PALETTE]))
            # The kinds the map draws, as the HTML map's legend and the totals name them (基础网格、例外网格)
            from ..partition.totals import GRID_KINDS, grid_kind
            kinds = {grid_kind(s) for s in grids["status"]} if "status" in grids else {"base"}
            names = "、".join(GRID_KINDS[k][0] for k in ("base", "exception") if k in kinds)
            handles.insert(0, (_Swatches(sorted(used, key=lambda c: (order.index(c) if c in order else len(order), c))),
                               f"{names}（相邻网格不同色）"))
        D.add_polygons(ax, g, facecolors=fills.to_numpy()[pos], zorder=2, tolerance=tol)
        D.add_polygons(ax, g, edgecolors=S.GRID_EDGE, linewidths=S.lw(0.3, du), zorder=9, tolerance=tol)
        info.layers.append("grids")

    step(0.25, "子网格 / sub-grids")
    subgrids = _gdf(project, "subgrids")
    sub_mm = 0.0
    if subgrids is not None:
        areas = shapely.area(subgrids.geometry.values)
        sub_mm = float(np.sqrt(np.median(areas))) / frame.m_per_mm if len(areas) else 0.0
        if sub_mm >= 4.0:
            g, _ = D.prepare(subgrids.geometry.values, bbox=bbox)
            D.add_polygons(ax, g, edgecolors=S.SUBGRID_EDGE, linewidths=S.lw(0.12, du), zorder=4,
                           linestyle=(0, (4, 2)), tolerance=tol)
            handles.append((Line2D([], [], color=S.SUBGRID_EDGE, lw=S.lw(0.12, du), ls=(0, (4, 2))), "子网格界线"))
            info.subgrids_drawn = True
            info.layers.append("subgrids")

    # -- forest, water, roads, railways -------------------------------------------------------
    step(0.35, "道路水系 / roads and water")
    from .pages import LayerIndex, draw_base_layers, draw_place_markers, place_categories

    base = draw_base_layers(ax, LayerIndex(project), frame, du=du, tol=tol)
    handles.extend(base)
    if getattr(project, "dem", None) is not None and project.crs is not None:
        # Valleys and ridges: the grid fills alone read as flat land in a mountain township.
        from .relief import draw_hillshade
        relief = draw_hillshade(ax, project.dem, project.crs, bbox, m_per_mm=frame.m_per_mm)
        if relief is not None:
            handles.append(relief)
            info.layers.append("dem")
    info.layers.extend(r for r in ("forest", "rivers", "roads", "railways") if _gdf(project, r) is not None)

    # -- special grids, corridors, village boundaries ----------------------------------------
    step(0.55, "专属网格 / special grids")
    special = _gdf(project, "special_grids")
    if special is not None:
        g, _ = D.prepare(special.geometry.values, bbox=bbox)
        if D.add_polygons(ax, g, facecolors="none", edgecolors=S.SPECIAL_EDGE, linewidths=S.lw(0.25, du),
                          hatch="////", zorder=8, tolerance=tol) is not None:
            handles.append((Patch(facecolor="white", edgecolor=S.SPECIAL_EDGE, hatch="////", lw=S.lw(0.25, du)),
                            "专属网格（学校、医院、市场等）"))
            info.layers.append("special_grids")
    corridors = _gdf(project, "corridors")
    if corridors is not None and "width_m" in corridors:
        # A corridor narrower than 1.5 mm on paper is a smear of dots: left out at small scales.
        width = pd.to_numeric(corridors["width_m"], errors="coerce").fillna(50.0)
        corridors = corridors[width / frame.m_per_mm >= 1.5]
        corridors = corridors if len(corridors) else None
    if corridors is not None:
        g, _ = D.prepare(corridors.geometry.values, bbox=bbox)
        if D.add_polygons(ax, g, edgecolors=S.CORRIDOR_EDGE, linewidths=S.lw(0.2, du), linestyle=(0, (1, 1.5)),
                          zorder=8, tolerance=tol) is not None:
            handles.append((Patch(facecolor="none", edgecolor=S.CORRIDOR_EDGE, ls=(0, (1, 1.5)), lw=S.lw(0.2, du)),
                            "专项网格（河流、铁路、田林）"))
            info.layers.append("corridors")
    ridges = _gdf(project, "ridges")
    if ridges is not None:
        # The ridges the grid borders follow (partition with a DEM): thin brown dashes over the grid
        # edges (most ridges are a border: under it they would not show), under the village edges.
        g, _ = D.prepare(ridges.geometry.values, bbox=bbox)
        w, dash = S.lw(0.25, du), (0, (4, 2))
        if len(g) and D.add_lines(ax, g, colors=S.RIDGE, linewidths=w, linestyle=dash, zorder=9.5,
                                  capstyle="butt", tolerance=tol) is not None:
            handles.append((Line2D([], [], color=S.RIDGE, lw=w, ls=dash), S.ridge_label(ridges)))
            info.layers.append("ridges")
    if villages is not None:
        g, _ = D.prepare(villages.geometry.values, bbox=bbox)
        w = S.lw(0.6, du)
        dash = (0, (8 * PT_PER_MM / w / 2, 1.2 * PT_PER_MM / w, 1.2 * PT_PER_MM / w, 1.2 * PT_PER_MM / w))
        D.add_polygons(ax, g, edgecolors=S.VILLAGE_EDGE, linewidths=w, linestyle=dash, zorder=10, tolerance=tol)
        handles.append((Line2D([], [], color=S.VILLAGE_EDGE, lw=w, ls=dash), "村（社区）界"))
        info.layers.append("villages")

    # -- key places at large scales ----------------------------------------------------------
    places = _gdf(project, "places")
    if places is not None and frame.scale <= 25_000:
        pts = shapely.point_on_surface(places.geometry.values)
        x, y = shapely.get_x(pts), shapely.get_y(pts)
        x0, y0, x1, y1 = bbox
        inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        cats = place_categories(places)
        handles.extend(draw_place_markers(ax, x[inside], y[inside], cats[inside], size_pt=4.2 * u ** 0.6,
                                          linewidth=0.4 * u ** 0.5, zorder=11))
        info.places_drawn = bool(inside.any())

    # -- coordinate grid ---------------------------------------------------------------------
    step(0.65, "坐标网 / coordinate grid")
    if coord_grid in ("gk", "lonlat"):
        lines = D.graticule(frame, project.crs, coord_grid)
        D.draw_graticule(ax, frame, lines, size_pt=5.5 * u ** 0.8, lw=S.lw(0.08, u))

    # -- labels ------------------------------------------------------------------------------
    step(0.75, "注记 / labels")
    placer = D.LabelPlacer(cell_mm=10 * u)
    # Furniture inside the frame is none; labels only compete with each other.
    min_pt = label_min_pt(sheet)
    if labels and grids is not None:
        from .grid_codes import code_note, map_codes, villages_named
        shown = map_codes(grids, villages_shown=villages_named(project))
        placed, dropped = _grid_labels(ax, frame, placer, gm, _in_frame(grids.geometry.values, bbox),
                                       grid_label=grid_label, shown=shown, max_pt=8.0 * u ** 0.75, min_pt=min_pt)
        info.labels_placed += placed
        info.labels_dropped += dropped
        info.code_note = code_note(grids, shown)
        if info.code_note:  # what a bare 03 on the map stands for
            handles.append((Line2D([], [], lw=0), info.code_note[0]))
    if labels and villages is not None and "name" in villages:
        placed_v, info.names_unplaced = _village_names(ax, frame, placer, villages, max_pt=12.0 * u ** 0.8,
                                                       min_pt=max(5.5, min_pt))
        info.labels_placed += placed_v
    if labels and subgrids is not None and info.subgrids_drawn and sub_mm >= 14:
        sg = subgrids
        g = _in_frame(sg.geometry.values, bbox)
        pts = D.label_points(g)
        cands = [D.LabelCandidate(pts[i].x, pts[i].y, [[str(c).rsplit("-", 1)[-1]]], region=g[i], color="#555555")
                 for i, c in enumerate(sg["code"].tolist()) if pts[i] is not None and not pts[i].is_empty]
        D.place_labels(ax, frame, placer, cands, max_pt=6.0 * u ** 0.8, min_pt=4.5, zorder=19)

    # -- header, panel, footer ---------------------------------------------------------------
    step(0.9, "图例 / legend")
    n_grids = 0 if grids is None else len(grids)
    n_sub = 0 if subgrids is None else len(subgrids)
    # One total for every output (partition/totals.py): imported = base + special + exception + unassigned.
    from ..partition.totals import household_totals
    totals = household_totals(project)
    hh_total = totals.imported if "households" in project.layers else None
    title = title if title is not None else map_title(project, "wall", township=township)
    if subtitle is None:
        parts = []
        if villages is not None:
            parts.append(f"村（社区）{len(villages)} 个")
        if n_grids:  # an exception grid is counted as one, as the totals count its households
            parts.append(totals.grids_zh() if totals.partitioned else f"基础网格 {n_grids} 个")
        if n_sub:
            parts.append(f"子网格 {n_sub:,} 个")
        if hh_total:
            parts.append(f"住户 {hh_total:,} 户")
        subtitle = " · ".join(parts)
    date = date if date is not None else _date.today().isoformat()
    _header(fig, L, sheet, title, subtitle, f"制图日期 {date}")

    fill_handles = []
    if grid_fills is not None and fill_legend:
        fill_handles = [(Patch(facecolor=c, edgecolor=S.GRID_EDGE, lw=0.4), lab) for c, lab in fill_legend]
    _panel(fig, ax, L, sheet, frame, project, handles, fill_handles, fill_title,
           stats=[("村（社区）", None if villages is None else len(villages), "个"),
                  *([("基础网格", totals.base_grids or None, "个")]
                    + ([("例外网格", totals.exception_grids, "个")] if totals.exception_grids else [])
                    if totals.partitioned else [("基础网格", n_grids or None, "个")]),
                  ("子网格", n_sub or None, "个"),
                  ("住户", hh_total, "户")]
           + ([(("  其中" if i == 0 else "  ") + k, v, "户") for i, (k, v) in enumerate(totals.parts_zh())]
              if totals.partitioned else []))
    _footer(fig, L, sheet, project, coord_grid, info.osm, date, map_unit(project, unit=unit, township=township))
    # Neat line around the whole sheet content.
    from matplotlib.patches import Rectangle

    m = L["margin"]
    fig.add_artist(Rectangle((m / W * 0.5, m / H * 0.5), 1 - m / W, 1 - m / H, transform=fig.transFigure,
                             fill=False, edgecolor="#333333", linewidth=S.lw(0.5, u)))
    report(1.0, "完成 / done")
    return info


def header_sizes(sheet: Paper, tw: float, title: str, subtitle: str, date_text: str) -> dict:
    """Font sizes (pt) and the row of the date in the title band, so that nothing overprints.

    The subtitle is centred with the date at the right end of its row; a long subtitle (the
    totals of a township with exception grids, on A4) would run into the date. Then the date
    moves up beside the title when there is room there, else the subtitle shrinks (to 60 %) and,
    last, everything shrinks to fit. A title wider than the band shrinks too.
    """
    from .draw import text_width_pt

    u = sheet.unit
    gap = 3 * u
    fs_t, fs_s, fs_d = 20 * u ** 0.85, 10.5 * u ** 0.85, 8 * u ** 0.85

    def mm(text, fs):
        return text_width_pt(text, fs) / PT_PER_MM

    fs_t = min(fs_t, fs_t * tw / max(mm(title, fs_t), 1e-9))
    date_w = mm(date_text, fs_d) + gap
    if not subtitle or mm(subtitle, fs_s) <= tw - 2 * date_w:
        return dict(title=fs_t, subtitle=fs_s, date=fs_d, date_row="subtitle")
    if mm(title, fs_t) <= tw - 2 * date_w:  # room beside the title: the subtitle gets the whole row
        return dict(title=fs_t, subtitle=min(fs_s, fs_s * tw / mm(subtitle, fs_s)), date=fs_d, date_row="title")
    fs_s = max(0.6 * fs_s, fs_s * (tw - 2 * date_w) / mm(subtitle, fs_s))
    k = min(1.0, tw / (mm(subtitle, fs_s) + 2 * date_w))
    return dict(title=fs_t, subtitle=fs_s * k, date=fs_d * k, date_row="subtitle")


def _header(fig, L, sheet: Paper, title: str, subtitle: str | None, date_text: str) -> None:
    """Title, subtitle and 制图日期 in the title band, sized by :func:`header_sizes`."""
    W, H = sheet.width_mm, sheet.height_mm
    tx, ty, tw, th = L["title"]
    fs = header_sizes(sheet, tw, title, subtitle or "", date_text)
    fig.text((tx + tw / 2) / W, (ty + th * 0.62) / H, title, ha="center", va="center", fontsize=fs["title"])
    if subtitle:
        fig.text((tx + tw / 2) / W, (ty + th * 0.2) / H, subtitle, ha="center", va="center",
                 fontsize=fs["subtitle"], color="#333333")
    row = 0.62 if fs["date_row"] == "title" else 0.2
    fig.text((tx + tw) / W, (ty + th * row) / H, date_text, ha="right", va="center", fontsize=fs["date"],
             color="#333333")


def _legend_fit(labels: Sequence[str], fs: float, width_mm: float, height_mm: float, *,
                max_ncol: int = 4) -> tuple[int, float]:
    """Columns and font size (pt) for a legend of ``labels`` to fit ``width_mm`` × ``height_mm``."""
    from .draw import text_width_pt

    n = max(len(labels), 1)
    while True:
        em = fs / PT_PER_MM
        label_w = max((text_width_pt(t, fs) for t in labels), default=0.0) / PT_PER_MM
        col_w = (2.6 + 0.8 + 1.5) * em + label_w
        ncol = max(1, min(max_ncol, int((width_mm + 1.5 * em) // col_w)))
        rows = math.ceil(n / ncol)
        total = 2.0 * em + rows * (1.2 + 0.55) * em
        # Also the width: a long line (the grid-code note) ran past the sheet's frame in one column.
        if (total <= height_mm and col_w <= width_mm + 1.5 * em) or fs <= 4.5:
            return ncol, fs
        fs *= 0.92


def _panel(fig, ax_map, L, sheet: Paper, frame, project, handles, fill_handles, fill_title, *, stats) -> None:
    """North arrow, scale, legend and totals in the side (landscape) or bottom (portrait) panel.

    The legend takes as many columns as its box allows and shrinks its font only when the rows
    still do not fit.
    """
    from . import draw as D
    from .pages import legend_handler_map

    W, H, u = sheet.width_mm, sheet.height_mm, sheet.unit
    px, py, pw, ph = L["panel"]
    fs = 7.5 * u ** 0.8
    cx, cy = (frame.bbox[0] + frame.bbox[2]) / 2, (frame.bbox[1] + frame.bbox[3]) / 2
    angle = D.true_north_angle(project.crs, cx, cy)
    arrow_h = 13 * u
    stats_rows = [f"{k}  {v:,} {unit}" for k, v, unit in stats if v is not None]
    rows = list(fill_handles) + list(handles)
    labels = [t for _, t in rows]
    title = fill_title or "图例"
    pax = fig.add_axes((px / W, py / H, pw / W, ph / H))
    pax.set_axis_off()

    def legend(x_mm, top_mm, width_mm, height_mm, max_ncol):
        if not rows:
            return
        ncol, lfs = _legend_fit(labels, fs, width_mm, height_mm, max_ncol=max_ncol)
        pax.legend([h for h, _ in rows], labels, loc="upper left",
                   bbox_to_anchor=((x_mm - px) / pw, (top_mm - py) / ph), title=title, title_fontsize=lfs * 1.05,
                   alignment="left", ncol=ncol, columnspacing=1.5, frameon=False, fontsize=lfs, handlelength=2.6,
                   handleheight=1.2, borderaxespad=0, labelspacing=0.55,
                   handler_map={_Swatches: _swatch_handler(), **legend_handler_map()})

    stats_txt = "\n".join(stats_rows)
    if L["side"]:
        top = py + ph
        D.north_arrow(fig, px + pw / 2, top - arrow_h * 0.75, height_mm=arrow_h, paper_w_mm=W, paper_h_mm=H,
                      angle_deg=angle, size_pt=fs)
        y = top - arrow_h * 1.9
        fig.text((px + pw / 2) / W, y / H, f"比例尺 {format_scale(frame.scale)}", ha="center", va="top",
                 fontsize=fs * 1.25)
        y -= 13 * u
        D.scale_bar(ax_map, px + 4 * u, y, frame=frame, paper_w_mm=W, paper_h_mm=H, target_mm=pw - 14 * u,
                    size_pt=fs * 0.9, lw=S.lw(0.15, u))
        y -= 6 * u
        stats_h = len(stats_rows) * fs * 1.5 / PT_PER_MM + 4 * u
        legend(px + 2 * u, y, pw - 4 * u, y - py - stats_h, 2)
        if stats_txt:
            fig.text((px + 2 * u) / W, (py + 2 * u) / H, stats_txt, ha="left", va="bottom", fontsize=fs,
                     linespacing=1.5)
    else:
        col = 46 * u
        D.north_arrow(fig, px + col / 2, py + ph - arrow_h * 0.7, height_mm=arrow_h, paper_w_mm=W, paper_h_mm=H,
                      angle_deg=angle, size_pt=fs)
        fig.text((px + col / 2) / W, (py + ph - arrow_h * 1.75) / H, f"比例尺 {format_scale(frame.scale)}",
                 ha="center", va="top", fontsize=fs * 1.2)
        D.scale_bar(ax_map, px + 4 * u, py + 6 * u, frame=frame, paper_w_mm=W, paper_h_mm=H,
                    target_mm=col - 10 * u, size_pt=fs * 0.85, lw=S.lw(0.15, u))
        from .draw import text_width_pt

        stats_w = max((text_width_pt(t, fs) for t in stats_rows), default=0.0) / PT_PER_MM + 4 * u
        legend(px + col + 2 * u, py + ph, pw - col - stats_w - 4 * u, ph - 2 * u, 4)
        if stats_txt:
            fig.text((px + pw - 2 * u) / W, (py + ph - 2 * u) / H, stats_txt, ha="right", va="top", fontsize=fs,
                     linespacing=1.5, multialignment="left")


def crs_label(crs) -> str:
    """The map's coordinate system as printed: ``2000国家大地坐标系 3度带 中央经线120°``."""
    from ..crs import crs_zh
    return crs_zh(crs)


def _footer(fig, L, sheet: Paper, project, coord_grid, osm: bool, date: str, unit: str = "") -> None:
    """CRS on the left; data credit, the map maker (制图单位) and the program on the right (shrunk
    together if too long)."""
    from .. import __version__
    from .draw import text_width_pt

    W, H, u = sheet.width_mm, sheet.height_mm, sheet.unit
    x, y, w, h = L["foot"]
    fs = 6.5 * u ** 0.8
    grid_txt = {"gk": " · 坐标网单位：千米", "lonlat": " · 坐标网：经纬度"}.get(coord_grid or "", "")
    left = f"坐标系：{crs_label(project.crs)}{grid_txt}"
    right = ((f"{OSM_CREDIT} · " if osm else "") + (f"制图单位：{unit} · " if unit else "")
             + f"gridtool {__version__}")
    need = (text_width_pt(left, fs) + text_width_pt(right, fs)) / PT_PER_MM + 8 * u
    if need > w:
        fs *= w / need
    fig.text(x / W, (y + h / 2) / H, left, ha="left", va="center", fontsize=fs, color="#444444")
    fig.text((x + w) / W, (y + h / 2) / H, right, ha="right", va="center", fontsize=fs, color="#444444")


def _savefig_metadata(fmt: str, title: str | None) -> dict:
    from .. import __version__

    # PNG's standard keyword for the program is "Software"; PDF and SVG call it "Creator".
    return {"Title": title or "", ("Software" if fmt == "png" else "Creator"): f"gridtool {__version__}"}


def render_wall_map(project, out_path: str | Path, *, fmt: str | None = None,
                    size: str | tuple[float, float] = "A3", landscape: bool | None = None,
                    scale: float | None = None, dpi: float = 200, title: str | None = None,
                    subtitle: str | None = None, date: str | None = None, coord_grid: str | None = "auto",
                    labels: bool = True, include_personal: bool = False,
                    township: str | None = None, unit: str | None = None,
                    centre: tuple[float, float] | None = None, max_pixels: int | None = None,
                    progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
                    notes: list[tuple[str, str]] | None = None, **draw_kw) -> Path:
    """Export the wall map to ``out_path`` (PDF, PNG or SVG; written atomically and checked).

    Parameters as :func:`draw_wall_map`, plus:

    fmt
        ``"pdf"``, ``"png"`` or ``"svg"``; None takes the file suffix.
    dpi
        Raster resolution (PNG); PDF and SVG are vectors (dpi only affects hatching).
    max_pixels
        Refuse PNGs larger than this (default :data:`gridtool.maps.paper.MAX_PIXELS`, and never
        more than 60 % of the free memory allows).
    notes
        A list that receives ``(zh, en)`` messages for the console: the orientation chosen when
        ``landscape`` is None, and village names that could not be placed.

    Returns
    -------
    pathlib.Path
        The written file, after it was read back (PNG pixel size, PDF trailer, SVG parse).

    Raises
    ------
    RasterTooLargeError
        Before any drawing, when the PNG would be too large; the message gives the DPI that fits.
    ExportError
        When the file could not be written completely (nothing is left at ``out_path``).
    """
    import matplotlib
    from matplotlib.figure import Figure

    from .fonts import export_rc
    from .paper import check_raster

    fmt = format_from_path(out_path, fmt)
    chosen = landscape is None
    if chosen:
        landscape = choose_landscape(project, size, coord_grid=coord_grid)
    sheet = paper(size, landscape=landscape)
    expected = None
    if fmt == "png":
        est = check_raster(sheet, dpi, max_pixels=max_pixels)
        expected = (est.width_px, est.height_px)
    report = progress or (lambda f, m: None)
    with matplotlib.rc_context(export_rc()):
        fig = Figure(figsize=sheet.inches)
        info = draw_wall_map(fig, project, size=size, landscape=landscape, scale=scale, centre=centre,
                             title=title, subtitle=subtitle, date=date, coord_grid=coord_grid, labels=labels,
                             include_personal=include_personal, township=township, unit=unit,
                             progress=lambda f, m: report(0.7 * f, m), cancelled=cancelled, **draw_kw)
        check_cancelled(cancelled)
        report(0.7, "写出文件 / writing")
        meta = _savefig_metadata(fmt, title or map_title(project, "wall", township=township))

        def write(tmp: Path) -> None:
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta, facecolor="white")

        out = write_checked(out_path, fmt, write, expected_px=expected)
    report(1.0, f"已写出 / written: {out}")
    if notes is not None:
        if chosen:
            zh, en = ("横向", "landscape") if landscape else ("纵向", "portrait")
            other = "portrait" if landscape else "landscape"
            notes.append((f"{out.name}：按数据范围的形状选用{zh}（--orientation {other} 可改）",
                          f"{out.name}: {en}, to fit the data's extent (change with --orientation {other})"))
        if info.code_note and info.code_note not in notes:  # the same for every sheet: said once
            notes.append(info.code_note)
        if info.names_unplaced:
            n, shown = len(info.names_unplaced), info.names_unplaced[:30]  # a console line, not a roster
            more_zh, more_en = ("等" if n > len(shown) else ""), (", …" if n > len(shown) else "")
            notes.append((f"{out.name}：{n} 个村（社区）名放不下，未注记：{'、'.join(shown)}{more_zh}"
                          "（可换更大的纸张，如 --size A0）",
                          f"{out.name}: {count_en(n, 'village name')} found no room and {plural_en(n, 'is')} not printed: "
                          f"{', '.join(shown)}{more_en} (use a larger sheet, e.g. --size A0)"))
    return out


def preview_image(project, *, width_px: int = 1200, **draw_kw) -> np.ndarray:
    """The wall map rendered to an RGBA array ``width_px`` wide (for the desktop app's preview).

    ``draw_kw`` are :func:`draw_wall_map`'s keywords (size, landscape, scale, title …).
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .fonts import export_rc

    if draw_kw.get("landscape") is None:
        draw_kw["landscape"] = choose_landscape(project, draw_kw.get("size", "A3"),
                                                coord_grid=draw_kw.get("coord_grid", "auto"))
    sheet = paper(draw_kw.get("size", "A3"), landscape=draw_kw["landscape"])
    dpi = width_px / sheet.inches[0]
    with matplotlib.rc_context(export_rc()):
        fig = Figure(figsize=sheet.inches, dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        draw_wall_map(fig, project, **draw_kw)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba()).copy()
