"""Patrol route cards (巡逻路线卡): one A4 page per team with the route map and the ordered stops.

Signature::

    write_route_cards(project, out_pdf, *, cards=None, title=None, date=None,
                      progress=None, cancelled=None) -> Path

Each card shows the team's route over the roads, water and grid outlines, the station (★), the
stops numbered in visiting order with arrows along the route giving its direction, and the
table: seq, place, category, arrival, departure, dwell and notes (must-visit, time window, the wait
for a window that opens after the team gets there: 等候 N 分钟).
Cards are built from the project's ``routes`` and ``route_stops`` layers (``gridtool patrol``),
as the same dictionaries :meth:`gridtool.routing.patrol.PatrolPlan.route_cards` returns; pass
``cards`` to print a plan that was not saved into the project. A team's card is one A4 page: a
stop list a little too long for the usual rows is printed in smaller rows (down to
:data:`MIN_ROW_MM`); a longer one continues on pages headed （续）. The places the plan leaves out (the project's
``patrol_unserved``) follow on a last page 未安排地点, must-visit places first.

Why hand-written: as the atlas, a page layout over the shared primitives; the direction arrows
are placed every few centimetres of paper along the route line (shapely interpolation), not per
segment, so a route with thousands of vertices still gets evenly spaced arrows.
"""

from __future__ import annotations

import math
import re
from datetime import date as _date
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import shapely

from . import draw as D
from . import style as S
from .pages import (LayerIndex, draw_base_layers, draw_table, map_furniture,
                    page_footer, page_header)
from .pages import cell_text as _text
from .paper import PT_PER_MM, check_cancelled, paper, write_checked
from ..routing.shift_windows import wait_words

Progress = Callable[[float, str], None]

ROW_MM = 5.0      # the usual row of the stop table
MIN_ROW_MM = 3.8  # the smallest row still easily read (5.7 pt text)
BOTTOM_MM = 15.0  # the table ends above the footer rule (at the 12 mm margin)
MAP_H_MM = 128.0


def cards_from_project(project, *, include_personal: bool = False) -> list[dict]:
    """Route-card dictionaries (as ``PatrolPlan.route_cards``) from the ``routes``/``route_stops`` layers;
    phone and ID numbers in place and station names masked unless ``include_personal``."""
    from ..roles import PLACE_CATEGORIES, STOP_CATEGORIES
    from ..routing.modes import MODE_ZH
    from .privacy import mask_frame

    rl = project.layers.get("routes")
    sl = project.layers.get("route_stops")
    from .needs import need_route_cards
    need_route_cards(project)
    routes = mask_frame(rl.gdf, include_personal=include_personal)
    stops = mask_frame(sl.gdf, include_personal=include_personal) if sl is not None and sl.gdf is not None else None
    cards = []
    for _, r in routes.sort_values("team").iterrows():
        team = r.get("team")
        st = stops[stops["team"] == team].sort_values("seq") if stops is not None and "team" in stops else None
        mode = _text(r.get("mode"))
        rows = []
        if st is not None:
            for _, s in st.iterrows():
                cat = _text(s.get("category"))
                rows.append({"seq": int(s["seq"]), "place": _text(s.get("place")), "category": cat,
                             "category_zh": PLACE_CATEGORIES.get(cat) or STOP_CATEGORIES.get(cat, cat),
                             "arrive": _text(s.get("arrive")),
                             "depart": _text(s.get("depart")),
                             "dwell_min": float(s["dwell_min"]) if pd.notna(s.get("dwell_min")) else None,
                             "wait_min": float(s["wait_min"]) if pd.notna(s.get("wait_min")) else None,
                             "must": bool(s.get("must")) if pd.notna(s.get("must")) else False,
                             "window": _text(s.get("window")),
                             "xy": (s.geometry.x, s.geometry.y) if s.geometry is not None else None})
        geom = r.geometry
        cards.append({"team": int(team) if pd.notna(team) else team, "station": _text(r.get("station")),
                      "mode": mode, "mode_zh": MODE_ZH.get(mode, mode), "start": _text(r.get("start")),
                      "end": _text(r.get("end")),
                      "minutes": round(float(r["minutes"]), 1) if pd.notna(r.get("minutes")) else None,
                      "length_km": round(float(r["length_km"]), 2) if pd.notna(r.get("length_km")) else None,
                      "stops": rows, "geometry": geom,
                      "bounds": tuple(float(v) for v in geom.bounds) if geom is not None and not geom.is_empty else None})
    return cards


def write_route_cards(project, out_pdf: str | Path, *, cards: Sequence[dict] | None = None,
                      title: str | None = None, date: str | None = None, progress: Progress | None = None,
                      cancelled: Callable[[], bool] | None = None, township: str | None = None,
                      unit: str | None = None, from_project: bool = True,
                      include_personal: bool = False, unserved=None) -> Path:
    """Write one A4 route card per patrol team to ``out_pdf`` (atomically; checked after writing).

    Parameters
    ----------
    project
        The project (base layers for the map; routes from its ``routes``/``route_stops`` layers
        unless ``cards`` is given).
    cards
        Route-card dictionaries as :meth:`PatrolPlan.route_cards` returns (``team``, ``station``,
        ``mode_zh``, ``start``, ``end``, ``minutes``, ``length_km``, ``stops`` with ``seq``,
        ``place``, ``category_zh``, ``arrive``, ``depart``, ``dwell_min``, ``must``, ``window``, and
        optionally ``note``, printed as it is in the notes column, and ``heading``, the page heading
        instead of ``巡逻路线卡 · 第 N 组``);
        stops without ``xy`` are located from the ``route_stops`` layer, the line from ``routes``.
    from_project
        False: print ``cards`` exactly as given (a street walk's cards), without the project's
        patrol routes (which it then need not have).
    title, date
        Heading (default ``"<township> 巡逻路线卡"``, :func:`.titles.map_title`) and date (default today).
    township, unit
        The place in the default heading, and the 制图单位 in every footer (default: the place).
    progress, cancelled
        As elsewhere.
    include_personal
        Print phone and ID numbers written into place names as they are (default masked).
    unserved
        The places the plan leaves out (:meth:`PatrolPlan.unserved_record` records or its
        ``unserved`` table); default the project's ``parameters["patrol_unserved"]`` when the cards
        are its routes. Listed on a last page 未安排地点, must-visit places first, in the words of
        the app's routes panel: whoever hands out the cards sees what no team will visit.
    """
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    from .. import __version__
    from .fonts import export_rc
    from ..crs import crs_zh
    from .titles import map_title, map_unit
    from .wallmap import OSM_CREDIT, uses_osm

    base = cards_from_project(project, include_personal=include_personal) if cards is None or from_project else []
    if cards is not None:
        by_team = {c["team"]: c for c in base}
        merged = []
        for c in cards:
            b = by_team.get(c.get("team"), {})
            c = {**b, **c}
            stops_xy = {s["seq"]: s.get("xy") for s in b.get("stops", [])}
            c["stops"] = [{**s, "xy": s.get("xy") or stops_xy.get(s.get("seq"))} for s in c.get("stops", [])]
            merged.append(c)
        base = merged
    base = [_street_names(c) for c in base]
    report = progress or (lambda f, m: None)
    sheet = paper("A4")
    date = date or _date.today().isoformat()
    title = map_title(project, "cards", title=title, township=township)
    unit = map_unit(project, unit=unit, township=township)
    credit = f"坐标系：{crs_zh(project.crs)}" + (f" · {OSM_CREDIT}" if uses_osm(project) else "")
    idx = LayerIndex(project)
    first_top, more_top = _table_tops(sheet)
    pages = [(c, *part) for c in base for part in paginate(len(c.get("stops", [])), first_top - BOTTOM_MM,
                                                           more_top - BOTTOM_MM)]
    if unserved is None and (cards is None or from_project) and "routes" in project.layers:
        unserved = project.parameters.get("patrol_unserved") or []
    left_out = _unserved_pages(sheet, unserved, include_personal=include_personal)
    total = len(pages) + len(left_out)

    def write(tmp: Path) -> None:
        with matplotlib.rc_context(export_rc()), PdfPages(tmp, metadata={"Title": title,
                                                                         "Creator": f"gridtool {__version__}"}) as pdf:
            for k, (card, start, count, row_mm) in enumerate(pages):
                check_cancelled(cancelled)
                report(k / max(total, 1), f"第{card['team']}队 / team {card['team']}")
                fig = _card_page(sheet, project, idx, card, count, row_mm, title) if start == 0 else \
                    _card_continuation(sheet, card, start, count, row_mm)
                page_footer(fig, sheet, left=f"{title} · {date}", centre=credit,
                            right=(f"制图单位：{unit} · " if unit else "") + f"第 {k + 1} 页 / 共 {total} 页")
                pdf.savefig(fig)
                fig.clear()
            for k, lines in enumerate(left_out, start=len(pages)):
                check_cancelled(cancelled)
                fig = _unserved_page(sheet, lines, title, more=k > len(pages))
                page_footer(fig, sheet, left=f"{title} · {date}", centre=credit,
                            right=(f"制图单位：{unit} · " if unit else "") + f"第 {k + 1} 页 / 共 {total} 页")
                pdf.savefig(fig)
                fig.clear()

    out = write_checked(out_pdf, "pdf", write, min_pages=total)
    report(1.0, f"已写出 / written: {out}")
    return out


#: An unnamed place as plans before 0.1 named it: its class with the source file's feature id.
_FID_NAME = re.compile(r"^(.*?)（FID \d+）$")


def street_name(name: str) -> str:
    """A place or station name as the card prints it: ``银行（FID 28）`` (a plan made before unnamed
    places were located by their road) reads ``银行（无名称）``. The OGR feature id is an internal
    number a patrol on the street cannot use; the card's sequence number tells such stops apart."""
    m = _FID_NAME.match(name or "")
    return f"{m.group(1)}（无名称）" if m else name


def _street_names(card: dict) -> dict:
    return {**card, "station": street_name(_text(card.get("station"))),
            "stops": [{**s, "place": street_name(_text(s.get("place")))} for s in card.get("stops", [])]}


def paginate(n: int, first_mm: float, more_mm: float) -> list[tuple[int, int, float]]:
    """Split ``n`` stop rows over a card's pages: ``(first row, rows, row height mm)`` per page.

    A page whose table (``first_mm`` tall on the card's first page, ``more_mm`` on the next ones,
    header row included) holds the remaining rows at :data:`MIN_ROW_MM` takes them all, in rows
    as tall as fit up to :data:`ROW_MM`; otherwise it takes what fits at ``ROW_MM`` and the list
    continues on the next page.

    Examples
    --------
    >>> paginate(24, 117, 249)      # one page, rows of 4.68 mm
    [(0, 24, 4.68)]
    >>> [p[:2] for p in paginate(70, 117, 249)]
    [(0, 22), (22, 48)]
    """
    pages, start, room = [], 0, first_mm
    while True:
        rest = n - start
        if rest + 1 <= int(room / MIN_ROW_MM + 1e-9):
            pages.append((start, rest, round(min(ROW_MM, room / (rest + 1)), 2)))
            return pages
        count = int(room / ROW_MM + 1e-9) - 1
        pages.append((start, count, ROW_MM))
        start += count
        room = more_mm


def _table_tops(sheet) -> tuple[float, float]:
    """Where the stop table starts (mm from the bottom) on a card's first page, under the header
    and the map, and on a continuation page."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=sheet.inches)
    first = page_header(fig, sheet, "卡", "卡") - 2 - MAP_H_MM - 4
    more = page_header(fig, sheet, "卡（续）", "卡") - 2
    return first, more


def _header_text(card) -> tuple[str, str]:
    parts = [f"出发 {card.get('station') or '—'}"]
    if card.get("mode_zh"):
        parts.append(card["mode_zh"])
    if card.get("start"):
        parts.append(f"{card['start']}–{card.get('end', '')}")
    if card.get("minutes") is not None:
        parts.append(f"用时 {card['minutes']:g} 分钟")
    if card.get("length_km") is not None:
        parts.append(f"全程 {card['length_km']:g} 千米")
    parts.append(f"{len(card.get('stops', []))} 个地点")
    # A street walk (gridtool walk) is one grid worker's 日常巡查, not a team's patrol: it names its own heading.
    return card.get("heading") or f"巡逻路线卡 · 第{card['team']}队", " · ".join(parts)


def _direction_arrows(ax, line, frame: D.MapFrame, *, every_mm: float, colour: str) -> None:
    """Arrowheads along ``line`` every ``every_mm`` of paper, pointing the way the route goes."""
    if line is None or line.is_empty:
        return
    parts = shapely.get_parts(line)
    for part in parts:
        if part.geom_type != "LineString":
            continue
        length = part.length
        step = every_mm * frame.m_per_mm
        if length < step * 0.5:
            continue
        d = np.arange(step / 2, length, step)
        eps = min(2 * frame.m_per_mm, length / 100)
        a = shapely.line_interpolate_point(part, np.maximum(d - eps, 0))
        b = shapely.line_interpolate_point(part, np.minimum(d + eps, length))
        for pa, pb in zip(a, b):
            ax.annotate("", xy=(pb.x, pb.y), xytext=(pa.x, pa.y),
                        arrowprops=dict(arrowstyle="-|>,head_length=0.6,head_width=0.35", color=colour, lw=0.8,
                                        shrinkA=0, shrinkB=0), zorder=14, annotation_clip=True)


def place_stop_markers(xmm, ymm, r_mm: float, *, taken: Sequence[tuple[float, float, float, float]] = (),
                       frame_box: tuple[float, float, float, float] | None = None,
                       gap_mm: float = 0.4) -> np.ndarray:
    """Centres (mm on the paper) of the numbered stop markers, none overprinting another.

    A stop whose marker is clear of the others stays on its place. Where stops crowd (a car
    route at 1:100,000 passes five within a few millimetres), each one after the first, in
    visiting order, stands aside on the nearest free spot on widening rings around its place,
    away from the crowd first; the card then joins it to its place with a leader line.

    Parameters
    ----------
    xmm, ymm
        The stops' places on the paper (mm), in visiting order.
    r_mm
        Marker radius.
    taken
        Boxes ``(x0, y0, x1, y1)`` the markers must keep clear of (the scale bar corner).
    frame_box
        The map frame; moved markers stay inside it.
    gap_mm
        Clear paper between two markers.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` marker centres; unmoved stops keep their place exactly.
    """
    pts = np.column_stack([np.asarray(xmm, dtype=float), np.asarray(ymm, dtype=float)]).reshape(-1, 2)
    n = len(pts)
    out = pts.copy()
    if n == 0:
        return out
    d = 2 * r_mm + gap_mm  # centre to centre
    dist = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
    np.fill_diagonal(dist, np.inf)
    crowded = dist.min(axis=1) < d
    placed = list(np.flatnonzero(~crowded))  # lone stops first: a moved marker must not take their place

    def clear(c, others):
        if others and np.min(np.hypot(out[others, 0] - c[0], out[others, 1] - c[1])) < d:
            return False
        for b in taken:
            if c[0] + r_mm > b[0] and c[0] - r_mm < b[2] and c[1] + r_mm > b[1] and c[1] - r_mm < b[3]:
                return False
        if frame_box is not None and not (frame_box[0] + r_mm <= c[0] <= frame_box[2] - r_mm
                                          and frame_box[1] + r_mm <= c[1] <= frame_box[3] - r_mm):
            return False
        return True

    for i in np.flatnonzero(crowded):
        if clear(pts[i], placed):
            placed.append(i)
            continue
        near = dist[i] < 3 * d
        away = pts[i] - pts[near].mean(axis=0) if near.any() else np.zeros(2)
        a0 = math.atan2(away[1], away[0]) if np.hypot(*away) > 1e-9 else math.pi / 4
        # a stop's own place stays visible: the marker never covers another stop's place either
        places = [j for j in range(n) if j != i]
        spot = None
        for ring in np.arange(1.3, 12.01, 0.5):  # 1.3: a leader shows beside the crowd
            for k in range(24):
                turn = (k + 1) // 2 * (1 if k % 2 else -1)  # 0, +1, -1, +2, …: away from the crowd first
                a = a0 + turn * math.pi / 12
                c = pts[i] + ring * d * np.array([math.cos(a), math.sin(a)])
                if clear(c, placed) and np.min(np.hypot(pts[places, 0] - c[0], pts[places, 1] - c[1])) >= r_mm + 0.6:
                    spot = c
                    break
            if spot is not None:
                break
        out[i] = spot if spot is not None else pts[i]
        placed.append(i)
    return out


def _card_page(sheet, project, idx, card, count, row_mm, title):
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

    W, H = sheet.width_mm, sheet.height_mm
    fig = Figure(figsize=sheet.inches)
    head, sub = _header_text(card)
    y = page_header(fig, sheet, head, sub, right=title)
    colour = S.ROUTE_COLOURS[(int(card["team"]) - 1) % len(S.ROUTE_COLOURS)] if str(card["team"]).isdigit() else S.ROUTE_COLOURS[0]
    line = card.get("geometry")
    stops = card.get("stops", [])
    xy = np.array([s["xy"] for s in stops if s.get("xy") is not None], dtype=float).reshape(-1, 2)
    bounds = None
    if line is not None and not line.is_empty:
        bounds = line.bounds
    if len(xy):
        sb = (xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max())
        bounds = sb if bounds is None else (min(bounds[0], sb[0]), min(bounds[1], sb[1]),
                                            max(bounds[2], sb[2]), max(bounds[3], sb[3]))
    fx, fw, fh = 12.0, W - 24.0, MAP_H_MM
    fy = y - 2 - fh
    if bounds is None:
        fig.text(0.5, (fy + fh / 2) / H, "本组没有路线几何", ha="center", va="center", fontsize=10)
        frame = None
    else:
        frame = D.MapFrame.fit(fx, fy, fw, fh, tuple(bounds), pad=0.08)
        ax = frame.axes(fig, W, H, frame_lw=0.6)
        tol = 0.1 * frame.m_per_mm
        bbox = frame.bbox
        grids = idx.query("grids", bbox)
        if grids is not None:
            D.add_polygons(ax, grids.geometry.values, facecolors="#f6f6f6", edgecolors="#a8a8a8", linewidths=0.5,
                           zorder=2, tolerance=tol)
        draw_base_layers(ax, idx, frame, du=1.0, tol=tol)
        villages = idx.query("villages", bbox)
        if villages is not None:
            D.add_polygons(ax, villages.geometry.values, edgecolors=S.VILLAGE_EDGE, linewidths=0.9,
                           linestyle=(0, (8, 1.5, 1.5, 1.5)), zorder=10, tolerance=tol)
        if line is not None and not line.is_empty:
            D.add_lines(ax, [line], colors="white", linewidths=4.2, zorder=12, tolerance=tol * 0.5)
            D.add_lines(ax, [line], colors=colour, linewidths=2.4, zorder=12.5, tolerance=tol * 0.5)
            _direction_arrows(ax, line, frame, every_mm=22, colour=colour)
        placer = D.LabelPlacer(cell_mm=6)
        placer.add((fx, fy, fx + 52, fy + 21))
        # Station: start (and end) of the route.
        if line is not None and not line.is_empty:
            p0 = shapely.get_point(shapely.get_parts(line)[0], 0)
            ax.scatter([p0.x], [p0.y], s=150, marker="*", c="#08306b", edgecolors="white", linewidths=0.8, zorder=16)
            D.halo_text(ax, p0.x, p0.y - 4.5 * frame.m_per_mm, card.get("station") or "起点", size=7.5,
                        color="#08306b", zorder=26)
        r_mm = 2.3
        xm, ym = frame.to_mm(xy[:, 0], xy[:, 1]) if len(xy) else (np.array([]), np.array([]))
        seqs = [s for s in stops if s.get("xy") is not None]
        centres = place_stop_markers(xm, ym, r_mm, taken=list(placer.boxes),
                                     frame_box=(fx, fy, fx + fw, fy + fh))
        m = frame.m_per_mm
        cxy = np.column_stack([frame.xmin + (centres[:, 0] - fx) * m, frame.ymin + (centres[:, 1] - fy) * m]) \
            if len(xy) else xy
        for (cx, cy) in centres:
            placer.add((cx - r_mm, cy - r_mm, cx + r_mm, cy + r_mm))
        for s, (x_, y_), (cx, cy), moved in zip(seqs, xy, cxy, np.hypot(centres[:, 0] - xm, centres[:, 1] - ym)):
            if moved > 1e-6:  # a crowded stop's number stands aside, joined to its place by a leader
                ax.plot([x_, cx], [y_, cy], color=colour, lw=0.6, zorder=16.5, solid_capstyle="round")
                ax.plot([x_], [y_], "o", color=colour, markersize=2.6, markeredgecolor="white",
                        markeredgewidth=0.4, zorder=16.6)
            ax.add_patch(Circle((cx, cy), r_mm * m, facecolor="white" if not s.get("must") else "#ffe9a8",
                                edgecolor=colour, linewidth=1.2, zorder=17))
            n = str(s["seq"])
            ax.text(cx, cy, n, ha="center", va="center", fontsize=6.2 if len(n) < 3 else 5.0, zorder=18,
                    color="#111111")
        cands = []
        for s, (x_, y_) in zip(seqs, cxy):
            name = _text(s.get("place"))
            if not name:
                continue
            wmm = D.text_width_pt(name, 6.0) / 2 / PT_PER_MM + r_mm + 0.8
            for dx, dy in ((wmm, 0), (-wmm, 0), (0, r_mm + 2.2), (0, -(r_mm + 2.2))):
                cands.append(D.LabelCandidate(x_ + dx * frame.m_per_mm, y_ + dy * frame.m_per_mm, [[name]],
                                              group=("stop", s["seq"]), priority=-s["seq"], color="#222222"))
        D.place_labels(ax, frame, placer, cands, max_pt=6.0, min_pt=5.0, zorder=25)
        map_furniture(fig, ax, frame, sheet, crs=project.crs)
    _stop_table(fig, sheet, stops, 0, count, fy - 4, row_mm)
    return fig


def _stop_table(fig, sheet, stops, start, n, top_mm, row_mm=ROW_MM):
    W, H = sheet.width_mm, sheet.height_mm
    # the notes get 50 mm on A4: "等候 50 分钟，时段 21:30-23:18" must not end in "…"
    cols = [("序号", 12.0, "center"), ("地点", 58.0, "left"), ("类别", 20.0, "left"), ("到达", 16.0, "center"),
            ("离开", 16.0, "center"), ("停留(分)", 14.0, "right"), ("备注", W - 24 - 136.0, "left")]
    rows = []
    for s in stops[start:start + n]:
        note = [wait_words(s.get("wait_min"))] if wait_words(s.get("wait_min")) else []
        if s.get("must"):
            note.append("必到")
        if s.get("window"):
            note.append(f"时段 {s['window']}")
        if s.get("note"):  # a street walk's stretch: its length, metres walked again
            note.append(str(s["note"]))
        dwell = s.get("dwell_min")
        rows.append([s.get("seq"), _text(s.get("place")), _text(s.get("category_zh") or s.get("category")),
                     _text(s.get("arrive")), _text(s.get("depart")),
                     "" if dwell is None else f"{float(dwell):g}", "，".join(note)])
    if not rows:
        fig.text(12 / W, (top_mm - 4) / H, "本组没有停靠点。", ha="left", va="top", fontsize=8.5)
        return top_mm
    # text shrinks with the rows (7.5 pt in 5 mm rows, 5.7 pt in the smallest)
    return draw_table(fig, 12, top_mm, cols, rows, paper_w_mm=W, paper_h_mm=H, size_pt=round(min(7.5, 1.5 * row_mm), 1),
                      row_h_mm=row_mm)


UNSERVED_PT = 9.0   # the text of the 未安排地点 page
UNSERVED_LINE_MM = 5.0


def unserved_card_lines(unserved, *, include_personal: bool = False) -> list[tuple[str, bool]]:
    """``(text, must)`` per reason of the places a plan leaves out, as the app's routes panel says
    them (``必到地点未安排 17 处（时间窗内排不下；可改 出发时间 07:00）：…``), must-visit first;
    place names masked unless ``include_personal`` (a 代销点 named with its owner's phone)."""
    from ..routing.patrol import unserved_lines
    from .privacy import mask_output
    uns = unserved if isinstance(unserved, pd.DataFrame) else pd.DataFrame(list(unserved or []))
    if not len(uns):
        return []
    if not include_personal:
        uns = mask_output(uns)
    if "place" in uns:
        uns = uns.assign(place=[street_name(_text(p)) for p in uns["place"]])
    return [(_option_words(zh), must) for zh, _en, must in unserved_lines(uns)]


def _option_words(text: str) -> str:
    """The command's options in a reason as the app names them (出发时间, 班次时长): the paper is
    read by a duty officer, not typed into a console."""
    text = re.sub(r"--start (\d\d:\d\d)", r"出发时间 \1", text)
    return re.sub(r"--shift (\d+)", r"班次时长 \1 分钟", text)


def _unserved_pages(sheet, unserved, *, include_personal: bool = False) -> list[list[tuple[str, bool]]]:
    """The wrapped lines of the 未安排地点 page(s): ``[]`` when every place is served."""
    lines = unserved_card_lines(unserved, include_personal=include_personal)
    if not lines:
        return []
    width_pt = (sheet.width_mm - 24) * PT_PER_MM
    wrapped: list[tuple[str, bool]] = []
    for text, must in lines:
        row = ""
        for ch in text:
            # punctuation stays at the end of its line; the names go on indented
            if row.strip() and ch not in "、，；：）" and D.text_width_pt(row + ch, UNSERVED_PT) > width_pt:
                wrapped.append((row, must))
                row = "    "
            row += ch
        wrapped.append((row, must))
        wrapped.append(("", must))  # a blank line between reasons
    from matplotlib.figure import Figure
    room = page_header(Figure(figsize=sheet.inches), sheet, "卡", "卡") - 2 - BOTTOM_MM
    per_page = max(1, int(room / UNSERVED_LINE_MM))
    return [wrapped[i:i + per_page] for i in range(0, len(wrapped), per_page)]


def _unserved_page(sheet, lines, title, *, more: bool = False):
    from matplotlib.figure import Figure

    W, H = sheet.width_mm, sheet.height_mm
    fig = Figure(figsize=sheet.inches)
    head = "未安排地点" + ("（续）" if more else "")
    y = page_header(fig, sheet, head, "以下地点本次巡逻没有队伍前往；必到地点请另行安排警力或调整计划后重新打印。",
                    right=title) - 2
    for text, must in lines:
        if text:
            fig.text(12 / W, y / H, text, ha="left", va="top", fontsize=UNSERVED_PT,
                     color="#b41e1e" if must else "#222222")
        y -= UNSERVED_LINE_MM
    return fig


def _card_continuation(sheet, card, start, count, row_mm):
    from matplotlib.figure import Figure

    fig = Figure(figsize=sheet.inches)
    head, sub = _header_text(card)
    y = page_header(fig, sheet, head + "（续）", sub)
    _stop_table(fig, sheet, card.get("stops", []), start, count, y - 2, row_mm)
    return fig
