"""Page parts shared by the wall map, the atlas and the route cards: the base layers (forest,
water, roads by class, railways), tables, headers and footers, and the small map furniture of
an A4 page.

Why hand-written: matplotlib's ``Axes.table`` lays cells out in axes fractions and measures text
by drawing it, which is slow over a thousand atlas pages and cannot be placed in millimetres;
here a table is rows of text at fixed millimetre positions with column widths from the font's
advance widths (:func:`gridtool.maps.draw.text_width_pt`) and cells shortened with "…" to fit.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
import shapely

from . import draw as D
from . import style as S
from .paper import PT_PER_MM, format_scale


def cell_text(value) -> str:
    """A table cell or label as text; missing values (None, NaN, ``pd.NA``) as ``""``."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


class LayerIndex:
    """The project's layers by role with spatial indexes, for many small-area queries (one per page)."""

    def __init__(self, project) -> None:
        self.project = project
        self.gdfs = {}
        for role, lyr in project.layers.items():
            if lyr.gdf is not None and len(lyr.gdf):
                self.gdfs[role] = lyr.gdf
        self._road_systems = None

    def get(self, role: str):
        return self.gdfs.get(role)

    def positions(self, role: str, bbox: tuple[float, float, float, float]) -> np.ndarray | None:
        """Row positions of ``role`` whose geometry meets ``bbox``, in order (None: absent or none)."""
        gdf = self.gdfs.get(role)
        if gdf is None:
            return None
        idx = gdf.sindex.query(shapely.box(*bbox), predicate="intersects")
        return np.sort(idx) if len(idx) else None

    def query(self, role: str, bbox: tuple[float, float, float, float]):
        """Rows of ``role`` whose geometry meets ``bbox`` (None when the layer is absent or none do)."""
        pos = self.positions(role, bbox)
        return None if pos is None else self.gdfs[role].iloc[pos]

    def road_systems(self) -> np.ndarray:
        """Rural or urban wording of every road (:func:`road_words.road_systems`, once per layer)."""
        if self._road_systems is None:
            from .road_words import road_systems

            self._road_systems = road_systems(self.gdfs["roads"])
        return self._road_systems


def draw_base_layers(ax, layers: LayerIndex, frame: D.MapFrame, *, du: float, tol: float,
                     roles: Sequence[str] = ("forest", "rivers", "roads", "railways")) -> list[tuple[object, str]]:
    """Forest, water, roads by class and railways inside the frame; returns legend rows ``(handle, label)``.

    Road classes whose style's ``max_scale`` is smaller than the frame's scale are left out, and
    so are streams at scales smaller than 1:50,000.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    bbox = frame.bbox
    handles: list[tuple[object, str]] = []
    if "forest" in roles:
        forest = layers.query("forest", bbox)
        if forest is not None:
            if D.add_polygons(ax, forest.geometry.values, facecolors=S.FOREST_FILL, zorder=1, tolerance=tol) is not None:
                handles.append((Patch(facecolor=S.FOREST_FILL, edgecolor="none"), "林地"))
    if "rivers" in roles:
        rivers = layers.query("rivers", bbox)
        if rivers is not None:
            geoms = rivers.geometry.values
            is_poly = np.isin(shapely.get_type_id(geoms), (3, 6))
            D.add_polygons(ax, geoms[is_poly], facecolors=S.WATER_FILL, edgecolors=S.WATER_LINE,
                           linewidths=S.lw(0.08, du), zorder=3, tolerance=tol)
            lines = rivers[~is_poly]
            kind = (lines["kind"].astype(str).str.lower().to_numpy() if "kind" in lines
                    else np.full(len(lines), "river"))
            major = np.isin(kind, ("river", "canal"))
            if frame.scale > 50_000:  # streams and ditches only at township scales
                lines, kind, major = lines[major], kind[major], major[major]
            width = np.where(major, S.lw(0.5, du), S.lw(0.25, du))
            D.add_lines(ax, lines.geometry.values, colors=S.WATER_LINE, linewidths=width, zorder=3, tolerance=tol)
            handles.append((Line2D([], [], color=S.WATER_LINE, lw=S.lw(0.5, du)), "河流、水系"))
    if "roads" in roles:
        pos = layers.positions("roads", bbox)
        if pos is not None:
            from .road_words import legend_label

            roads = layers.get("roads").iloc[pos]
            systems = layers.road_systems()[pos]
            cls = roads["class"].astype(str) if "class" in roads else pd.Series("road", index=roads.index)
            group = cls.map({c: S.road_group(c) for c in cls.unique()}).to_numpy()
            geoms = roads.geometry.values
            n_before = len(handles)
            for i, st in enumerate(S.ROAD_STYLES):
                if frame.scale > st.max_scale:
                    continue
                sel = group == st.key
                if not sel.any():
                    continue
                w = S.lw(st.width_mm, du)
                cw = w + S.lw(0.16, du)
                if st.casing:
                    D.add_lines(ax, geoms[sel], colors=st.casing, linewidths=cw, zorder=5 + i * 0.01, tolerance=tol)
                dash = tuple(d * PT_PER_MM / max(w, 0.1) for d in st.dashes) if st.dashes else None
                D.add_lines(ax, geoms[sel], colors=st.colour, linewidths=w, zorder=6 + i * 0.01, dashes=dash,
                            capstyle="butt" if dash else "round", tolerance=tol)
                # Most important road first in the legend (drawn last, on top).
                handles.insert(n_before, (RoadSwatch(st.colour, w, st.casing, cw if st.casing else 0.0, dash),
                                          legend_label(cls.to_numpy()[sel], systems[sel])))
    if "railways" in roles:
        rail = layers.query("railways", bbox)
        if rail is not None:
            if "tunnel" in rail:
                rail = rail[~rail["tunnel"].astype(str).str.lower().isin(("true", "yes", "1"))]
            if len(rail):
                w = S.lw(0.7, du)
                dash = (3 * PT_PER_MM / (w * 0.55), 3 * PT_PER_MM / (w * 0.55))
                D.add_lines(ax, rail.geometry.values, colors=S.RAIL, linewidths=w, zorder=7, capstyle="butt",
                            tolerance=tol)
                D.add_lines(ax, rail.geometry.values, colors="white", linewidths=w * 0.55, zorder=7.01, dashes=dash,
                            capstyle="butt", tolerance=tol)
                handles.append(((Line2D([], [], color=S.RAIL, lw=w),
                                 Line2D([], [], color="white", lw=w * 0.55, ls=(0, dash))), "铁路"))
    return handles


class RoadSwatch:
    """Legend handle of a road symbol: casing and fill as on the map, on a light grey patch like
    the grid fills the roads cross (a white street on the white legend would not show)."""

    #: The patch behind the line: about as light as the grid palette.
    GROUND = "#dadada"

    def __init__(self, colour: str, width_pt: float, casing: str | None, casing_pt: float,
                 dashes: tuple[float, float] | None = None) -> None:
        self.colour, self.width_pt = colour, width_pt
        self.casing, self.casing_pt = casing, casing_pt
        self.dashes = dashes


def legend_handler_map() -> dict:
    """``handler_map`` for a matplotlib legend holding :class:`RoadSwatch` handles."""
    from matplotlib.legend_handler import HandlerBase
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    class Handler(HandlerBase):
        def create_artists(self, legend, orig, xdescent, ydescent, width, height, fontsize, trans):
            x0, y0 = -xdescent, -ydescent
            ym = y0 + height / 2
            out = [Rectangle((x0, y0), width, height, facecolor=RoadSwatch.GROUND, edgecolor="none",
                             transform=trans)]
            if orig.casing:
                out.append(Line2D([x0, x0 + width], [ym, ym], color=orig.casing, lw=orig.casing_pt,
                                  solid_capstyle="butt", transform=trans))
            line = Line2D([x0, x0 + width], [ym, ym], color=orig.colour, lw=orig.width_pt,
                          solid_capstyle="butt", transform=trans)
            if orig.dashes:
                line.set_dashes(orig.dashes)
            out.append(line)
            return out

    return {RoadSwatch: Handler()}


def place_categories(places) -> np.ndarray:
    """The ``category`` of each key place as text (``"other"`` when the layer has no such column)."""
    return places["category"].astype(str).to_numpy() if "category" in places else np.full(len(places), "other")


def draw_place_markers(ax, x, y, cats, *, size_pt: float, linewidth: float, zorder: float,
                       legend_pt: float | None = None) -> list[tuple[object, str]]:
    """Key places as one scatter per category (symbols of :data:`style.PLACE_STYLES`), ``size_pt``
    wide; returns legend rows ``(handle, Chinese category name)`` (markers ``legend_pt`` wide,
    default ``size_pt``) in the order the categories first appear."""
    from matplotlib.lines import Line2D

    from ..roles import PLACE_CATEGORIES

    handles: list[tuple[object, str]] = []
    for cat in dict.fromkeys(cats):
        st = S.PLACE_STYLES.get(cat, S.PLACE_STYLES["other"])
        sel = cats == cat
        ax.scatter(x[sel], y[sel], s=size_pt ** 2, marker=st.marker, c=st.colour, edgecolors="white",
                   linewidths=linewidth, zorder=zorder)
        handles.append((Line2D([], [], marker=st.marker, color=st.colour, markeredgecolor="white", ls="none",
                               markersize=size_pt if legend_pt is None else legend_pt), PLACE_CATEGORIES.get(cat, cat)))
    return handles


def fit_text(text: str, width_mm: float, size_pt: float) -> str:
    """``text`` shortened with "…" so that it is at most ``width_mm`` wide at ``size_pt``."""
    text = "" if text is None else str(text)
    limit = width_mm * PT_PER_MM
    if D.text_width_pt(text, size_pt) <= limit:
        return text
    while text and D.text_width_pt(text + "…", size_pt) > limit:
        text = text[:-1]
    return text + "…"


def draw_table(fig, x_mm: float, y_top_mm: float, columns: Sequence[tuple[str, float, str]],
               rows: Sequence[Sequence[object]], *, paper_w_mm: float, paper_h_mm: float,
               size_pt: float = 8.0, row_h_mm: float = 5.2, header_fill: str = "#e8e8e8",
               stripe: str | None = "#f7f7f7") -> float:
    """Draw a table with its top-left corner at (x_mm, y_top_mm); return the y of its bottom (mm).

    ``columns`` are ``(title, width_mm, align)`` with align ``"left"``, ``"right"`` or
    ``"center"``. Cells too wide for their column end in "…".
    """
    from matplotlib.patches import Rectangle

    W, H = paper_w_mm, paper_h_mm
    total_w = sum(c[1] for c in columns)
    tr = fig.transFigure
    pad = 1.2

    def row(y_mm: float, cells, fill, size):
        if fill:
            fig.add_artist(Rectangle((x_mm / W, (y_mm - row_h_mm) / H), total_w / W, row_h_mm / H, transform=tr,
                                     facecolor=fill, edgecolor="none", zorder=1))
        cx = x_mm
        for (title, width, align), cell in zip(columns, cells):
            txt = fit_text("" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else str(cell),
                           width - 2 * pad, size)
            if align == "right":
                tx, ha = cx + width - pad, "right"
            elif align == "center":
                tx, ha = cx + width / 2, "center"
            else:
                tx, ha = cx + pad, "left"
            fig.text(tx / W, (y_mm - row_h_mm / 2) / H, txt, ha=ha, va="center", fontsize=size, zorder=2)
            cx += width

    y = y_top_mm
    row(y, [c[0] for c in columns], header_fill, size_pt)
    fig.add_artist(Rectangle((x_mm / W, (y - row_h_mm) / H), total_w / W, row_h_mm / H, transform=tr,
                             fill=False, edgecolor="#555555", linewidth=0.5, zorder=3))
    y -= row_h_mm
    for i, cells in enumerate(rows):
        row(y, cells, stripe if stripe and i % 2 == 1 else None, size_pt)
        y -= row_h_mm
    fig.add_artist(Rectangle((x_mm / W, y / H), total_w / W, (y_top_mm - y) / H, transform=tr, fill=False,
                             edgecolor="#555555", linewidth=0.6, zorder=3))
    return y


def page_header(fig, sheet, title: str, subtitle: str | None = None, right: str | None = None, *,
                margin_mm: float = 12.0) -> float:
    """Title (and subtitle) at the top of a page; returns the y (mm) below the header."""
    W, H = sheet.width_mm, sheet.height_mm
    y = H - margin_mm
    fig.text(margin_mm / W, (y - 3) / H, title, ha="left", va="top", fontsize=15)
    if right:
        fig.text((W - margin_mm) / W, (y - 3) / H, right, ha="right", va="top", fontsize=8.5, color="#333333")
    y -= 11
    if subtitle:
        fig.text(margin_mm / W, y / H, subtitle, ha="left", va="top", fontsize=9, color="#333333")
        y -= 6
    fig.add_artist(_hline(fig, margin_mm, W - margin_mm, y, W, H, lw=0.8))
    return y - 2


def page_footer(fig, sheet, left: str = "", centre: str = "", right: str = "", *, margin_mm: float = 12.0,
                rule: bool = True, y_mm: float | None = None) -> None:
    """Footer texts (left, centre, right) under a thin rule at the bottom margin, never over each other.

    A long left text (a walk card's title and date) would run under a centred one: the texts are
    measured as drawn, and the centre one moves into the free space between the others, else onto
    a second line; a line still too wide for the page is set in a smaller size."""
    W, H = sheet.width_mm, sheet.height_mm
    y = margin_mm - 4 if y_mm is None else y_mm
    if rule:
        fig.add_artist(_hline(fig, margin_mm, W - margin_mm, margin_mm, W, H, lw=0.4))
    gap, size, width = 3.0, 6.5, W - 2 * margin_mm
    texts = {}
    for key, x, text, ha in (("left", margin_mm, left, "left"), ("centre", W / 2, centre, "center"),
                             ("right", W - margin_mm, right, "right")):
        if text:
            texts[key] = fig.text(x / W, y / H, text, ha=ha, va="center", fontsize=size, color="#444444")
    mm = _text_widths_mm(fig, texts)
    wl, wc, wr = (mm.get(k, 0.0) for k in ("left", "centre", "right"))
    lines = [[k for k in ("left", "centre", "right") if k in texts]]
    if "centre" in texts and (margin_mm + wl + gap > W / 2 - wc / 2 or W / 2 + wc / 2 + gap > W - margin_mm - wr):
        free = width - wl - wr - gap * (("left" in texts) + ("right" in texts))
        if wc <= free:  # centred in the space between the other two
            x0 = margin_mm + (wl + gap if "left" in texts else 0.0)
            texts["centre"].set_x((x0 + free / 2) / W)
        else:
            lines = [[k for k in ("left", "right") if k in texts], ["centre"]]
    line_h = size / PT_PER_MM * 1.4
    for k, line in enumerate(lines):
        yk = y + (len(lines) - 1) * line_h / 2 - k * line_h
        need = sum(mm[t] for t in line) + gap * (len(line) - 1)
        for t in line:
            texts[t].set_y(yk / H)
            if need > width:
                texts[t].set_fontsize(max(4.5, size * width / need))


def _text_widths_mm(fig, texts: dict) -> dict:
    """Widths of figure texts as they will be drawn (fonts and fallbacks included), in millimetres."""
    from matplotlib.backends.backend_agg import RendererAgg

    renderer = RendererAgg(fig.bbox.width, fig.bbox.height, fig.dpi)
    return {k: t.get_window_extent(renderer=renderer).width / fig.dpi * 25.4 for k, t in texts.items()}


def _hline(fig, x0_mm, x1_mm, y_mm, W, H, *, lw: float):
    from matplotlib.lines import Line2D

    return Line2D([x0_mm / W, x1_mm / W], [y_mm / H, y_mm / H], transform=fig.transFigure, color="#333333",
                  linewidth=lw)


def map_furniture(fig, ax, frame: D.MapFrame, sheet, *, crs, size_pt: float = 6.5) -> None:
    """Scale bar, scale and a small north arrow in the lower-left corner of an A4 page's map."""
    from matplotlib.patches import FancyBboxPatch

    W, H = sheet.width_mm, sheet.height_mm
    x, y = frame.x0_mm + 3, frame.y0_mm + 3
    box_w, box_h = 46, 15
    fig.add_artist(FancyBboxPatch((x / W, y / H), box_w / W, box_h / H, boxstyle="square,pad=0",
                                  transform=fig.transFigure, facecolor="white", edgecolor="#777777",
                                  linewidth=0.4, alpha=0.9, zorder=30))
    D.scale_bar(ax, x + 3, y + 3, frame=frame, paper_w_mm=W, paper_h_mm=H, target_mm=28, size_pt=size_pt,
                lw=0.4, zorder=31)
    fig.text((x + 3) / W, (y + box_h - 2.2) / H, f"比例尺 {format_scale(frame.scale)}", ha="left", va="center",
             fontsize=size_pt, zorder=31)
    cx, cy = (frame.bbox[0] + frame.bbox[2]) / 2, (frame.bbox[1] + frame.bbox[3]) / 2
    D.north_arrow(fig, x + box_w - 5, y + 5.5, height_mm=7, paper_w_mm=W, paper_h_mm=H,
                  angle_deg=D.true_north_angle(crs, cx, cy), size_pt=size_pt * 0.8, zorder=31)
