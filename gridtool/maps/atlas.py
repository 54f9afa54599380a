"""The grid atlas (网格图册): one A4 PDF with a cover, an index map and index table, then one page
per base grid with its map and roster, for handing each grid worker their sheet.

Signature::

    write_atlas(project, out_pdf, *, include_personal=False, title=None, date=None,
                grids=None, progress=None, cancelled=None) -> Path

Each grid page shows the grid (its neighbours greyed for context) with sub-grid outlines and
codes, buildings, key places with their names, roads, water and railways, a scale bar and north
arrow; below, the roster: one row per sub-grid (code, households, kind, buildings counted as the
ledger counts them (:mod:`gridtool.partition.buildings`), party members living there) under a line with the grid's worker. Names and phone numbers are masked unless
``include_personal`` (``gridtool.maps.privacy``). A roster longer than the page continues on the
next page.

Why hand-written: an atlas is a page layout over the wall map's primitives; pages are written one
by one through ``PdfPages`` and each figure is dropped after it is written, so memory stays flat
however many grids a county has.
"""

from __future__ import annotations

import math
from datetime import date as _date
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import shapely

from ..partition.buildings import building_counts
from . import draw as D
from . import style as S
from .pages import (LayerIndex, draw_base_layers, draw_place_markers, draw_table,
                    map_furniture, page_footer, page_header, place_categories)
from .pages import cell_text as _text
from .plan_words import STATUS_ZH, note_zh
from .paper import PT_PER_MM, ExportError, check_cancelled, paper, write_checked

Progress = Callable[[float, str], None]

ROSTER_ROWS_FIRST = 19  # rows of the roster under the map on a grid's page
ROSTER_ROWS_MORE = 44   # rows on a continuation page
INDEX_ROWS = 46


def _party(project, include_personal: bool):
    """Party members (masked) with the grid and sub-grid they live in, and their link counts."""
    from .privacy import mask_layer

    lyr = project.layers.get("party_members")
    if lyr is None or lyr.gdf is None or len(lyr.gdf) == 0:
        return None
    members = mask_layer(lyr, include_personal=include_personal)
    sub = project.layers.get("subgrids")
    grids = project.layers.get("grids")
    pts = shapely.point_on_surface(members.geometry.values)
    members = members.assign(_grid="", _subgrid="")
    for lay, col in ((grids, "_grid"), (sub, "_subgrid")):
        if lay is None or lay.gdf is None or len(lay.gdf) == 0:
            continue
        tree = shapely.STRtree(lay.gdf.geometry.values)
        pi, gi = tree.query(pts, predicate="within")
        codes = lay.gdf["code"].astype(str).to_numpy()
        vals = np.full(len(members), "", dtype=object)
        vals[pi] = codes[gi]
        members[col] = vals
    links = project.layers.get("party_links")
    if links is not None and links.gdf is not None and "member" in links.gdf:
        # By the member's row when the links have it: two members of one name are two members.
        key = "member_id" if "member_id" in links.gdf and "src_id" in lyr.gdf else "member"
        counts = links.gdf.groupby(key)["hh"].sum() if "hh" in links.gdf else links.gdf[key].value_counts()
        col = "src_id" if key == "member_id" else "name"
        raw = lyr.gdf[col].astype(str) if col in lyr.gdf else pd.Series("", index=lyr.gdf.index)
        members["_links"] = raw.map(counts).fillna(0).astype(int).to_numpy()
    return members


def _member_names(members, grid_code: str, sub_code: str | None = None) -> str:
    if members is None:
        return ""
    sel = members["_grid"] == grid_code if sub_code is None else members["_subgrid"] == sub_code
    names = members.loc[sel, "name"] if "name" in members else pd.Series([], dtype=object)
    if "_links" in members:
        out = [f"{_text(n)}({int(k)}户)" if k else _text(n) for n, k in zip(names, members.loc[sel, "_links"])]
    else:
        out = [_text(n) for n in names]
    return "、".join(o for o in out if o)


def check_atlas_grids(project, grids) -> None:
    """Refuse codes that are no base grid of ``project`` (``--atlas-grids``, the app's 网格编码),
    naming them, before anything is drawn."""
    known = set(project.layers["grids"].gdf["code"].astype(str)) if "grids" in project.layers else set()
    unknown = sorted({str(c) for c in grids} - known)
    if unknown:
        raise ExportError(f"未知的网格编号：{'、'.join(unknown[:10])}", f"unknown grid codes: {', '.join(unknown[:10])}",
                          fix_zh="检查网格编号（属性表或 gridtool info 列出网格）",
                          fix_en="check the codes (the attribute table or gridtool info lists the grids)",
                          field="atlas_grids")


def write_atlas(project, out_pdf: str | Path, *, include_personal: bool = False, title: str | None = None,
                date: str | None = None, grids: Sequence[str] | None = None,
                progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
                township: str | None = None, unit: str | None = None) -> Path:
    """Write the atlas PDF: cover, index map, index table, one page per base grid.

    Parameters
    ----------
    project
        A partitioned project (needs the ``grids`` layer; ``subgrids``, ``households``, ``places``,
        ``party_members``/``party_links`` are used when present).
    out_pdf
        The PDF to write (atomically; checked after writing).
    include_personal
        Print names and phone numbers unmasked (default masked: ``张*三``, ``138****1234``).
    title, date
        Cover title (default ``"<township> 网格图册"``, :func:`.titles.map_title`) and date (default today).
    township, unit
        The place in the default title, and the 制图单位 on the cover and every page (default: the place).
    grids
        Codes of the grids to include (default all), in that order.
    progress, cancelled
        ``progress(fraction, message)``; ``cancelled()`` returning True stops with CancelledError
        (nothing is left at ``out_pdf``).

    Returns
    -------
    pathlib.Path
    """
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    from .. import __version__
    from .fonts import export_rc
    from ..crs import crs_zh
    from .titles import map_title, map_unit
    from .wallmap import OSM_CREDIT, draw_wall_map, masked_grids, uses_osm

    from .needs import need_atlas
    need_atlas(project)
    lyr = project.layers["grids"]
    all_grids = lyr.gdf
    if grids is not None:
        wanted = [str(c) for c in grids]
        check_atlas_grids(project, wanted)
        order = {c: i for i, c in enumerate(wanted)}
        sel = all_grids[all_grids["code"].astype(str).isin(order)]
        sel = sel.iloc[np.argsort([order[c] for c in sel["code"].astype(str)])]
    else:
        sort_cols = [c for c in ("village_code", "code") if c in all_grids]
        sel = all_grids.sort_values(sort_cols) if sort_cols else all_grids
    report = progress or (lambda f, m: None)
    sheet = paper("A4")
    date = date or _date.today().isoformat()
    title = map_title(project, "atlas", title=title, township=township)
    unit = map_unit(project, unit=unit, township=township)
    credit = OSM_CREDIT if uses_osm(project) else ""
    crs_text = f"坐标系：{crs_zh(project.crs)}"
    privacy = ("本图册含个人信息（姓名、电话），请妥善保管，勿外传" if include_personal
               else "姓名、电话、身份证号已遮蔽")
    masked = masked_grids(sel, include_personal=include_personal)
    members = _party(project, include_personal)
    idx = LayerIndex(project)
    sub_all = idx.get("subgrids")
    # 楼栋数 as the ledger counts them: a building divided between grids or sub-grids counts in one only.
    buildings = building_counts(project)
    if sub_all is not None and "code" in sub_all:
        per = buildings.per_subgrid
        sub_all = sub_all.assign(_buildings=[per.get(c, 0) for c in sub_all["code"].astype(str)])
    sub_by_grid = ({g: df for g, df in sub_all.groupby(sub_all["grid"].astype(str))}
                   if sub_all is not None and "grid" in sub_all else {})

    # Page plan: cover, index map, index table pages, then grid pages (+ roster continuations).
    grid_pages: list[tuple[int, int, int]] = []  # (row in sel, first roster row, rows on page)
    page_of: dict[str, int] = {}
    n_index = max(1, math.ceil(len(sel) / INDEX_ROWS))
    page = 2 + n_index + 1
    for i, code in enumerate(sel["code"].astype(str)):
        page_of[code] = page
        n = len(sub_by_grid.get(code, ()))
        grid_pages.append((i, 0, min(n, ROSTER_ROWS_FIRST)))
        page += 1
        start = ROSTER_ROWS_FIRST
        while start < n:
            grid_pages.append((i, start, min(ROSTER_ROWS_MORE, n - start)))
            start += ROSTER_ROWS_MORE
            page += 1
    total_pages = page - 1

    whole = len(page_of) == len(all_grids)

    from .grid_codes import map_codes, villages_named
    index_codes = map_codes(all_grids, villages_shown=villages_named(project))  # as the wall map prints them

    def index_label(row) -> list[list[str]]:
        # A grid left out of a partial atlas (--atlas-grids) has no page: its number only, never "第页".
        code = _text(row.get("code"))
        short = index_codes.get(row.name, code)
        if code not in page_of:
            return [[short]]
        return [[short, f"第{page_of[code]}页"], [f"{page_of[code]}"]]

    def footer(fig, p, *, under_map: bool = False):
        right = (f"{unit} · " if unit else "") + f"{date} · 第 {p} 页 / 共 {total_pages} 页"
        if under_map:  # the index map has the wall map's own footer (CRS, credit): only the page
            page_footer(fig, sheet, left=privacy, right=right, rule=False, y_mm=8.0)
        else:
            page_footer(fig, sheet, left=privacy, centre=crs_text + (f" · {credit}" if credit else ""), right=right)

    def check():
        check_cancelled(cancelled)

    def write(tmp: Path) -> None:
        with matplotlib.rc_context(export_rc()), PdfPages(tmp, metadata={"Title": title,
                                                                         "Creator": f"gridtool {__version__}"}) as pdf:
            def emit(fig):
                pdf.savefig(fig)
                fig.clear()

            report(0.0, "封面 / cover")
            emit(_cover(sheet, project, sel, title, date, privacy, credit, total_pages, unit))
            check()
            report(0.02, "索引图 / index map")
            fig = Figure(figsize=sheet.inches)
            draw_wall_map(fig, project, size="A4", title=f"{title} · 索引图", coord_grid=None,  # which book, which town
                          subtitle=("图中数字为网格所在页码 · 网格按村（社区）编号顺序排列" if whole else
                                    f"本册 {len(sel)} 个网格标有页码，其余网格只注编号"),
                          date=date, include_personal=include_personal, unit=unit, grid_label=index_label)
            footer(fig, 2, under_map=True)
            emit(fig)
            for k in range(n_index):
                check()
                emit(_index_page(sheet, masked.iloc[k * INDEX_ROWS:(k + 1) * INDEX_ROWS], page_of, k, n_index,
                                 footer, 3 + k))
            for n_done, (i, start, nrows) in enumerate(grid_pages):
                check()
                row = masked.iloc[i]
                code = _text(row.get("code"))
                report(0.05 + 0.95 * n_done / max(len(grid_pages), 1), f"网格 / grid {code}")
                p = page_of[code] + (0 if start == 0 else 1 + (start - ROSTER_ROWS_FIRST) // ROSTER_ROWS_MORE)
                subs = sub_by_grid.get(code)
                if start == 0:
                    fig = _grid_page(sheet, project, idx, sel.iloc[i], row, subs, members, include_personal,
                                     buildings.per_grid.get(code, 0))
                else:
                    fig = _continuation_page(sheet, row, subs, members, start, nrows)
                footer(fig, p)
                emit(fig)

    out = write_checked(out_pdf, "pdf", write, min_pages=total_pages)
    report(1.0, f"已写出 / written: {out}")
    return out


def _cover(sheet, project, sel, title, date, privacy, credit, total_pages, unit=""):
    from matplotlib.figure import Figure

    W, H = sheet.width_mm, sheet.height_mm
    fig = Figure(figsize=sheet.inches)
    fig.text(0.5, 0.80, title, ha="center", va="center", fontsize=26)
    from ..partition.totals import grid_kinds_text, household_totals

    totals = household_totals(project)  # the figures every output states (partition/totals.py)
    all_codes = project.layers["grids"].gdf["code"].astype(str)
    whole = set(sel["code"].astype(str)) == set(all_codes)
    hh = int(pd.to_numeric(sel.get("hh"), errors="coerce").fillna(0).sum()) if "hh" in sel else 0
    sub = project.layers.get("subgrids")
    nsub = 0 if sub is None or sub.gdf is None else len(sub.gdf)
    g_zh = totals.grids_zh() if totals.partitioned else f"基础网格 {len(sel)} 个"
    head = (f"{g_zh} · 子网格 {nsub:,} 个 · 住户 {totals.imported:,} 户" if whole else
            f"本册{grid_kinds_text(sel['status'] if 'status' in sel else ['ok'] * len(sel))}、住户 {hh:,} 户"
            f"（全部 {len(all_codes)} 个网格）")
    fig.text(0.5, 0.745, head, ha="center", va="center", fontsize=12, color="#333333")
    fig.text(0.5, 0.718, totals.text_zh(), ha="center", va="center", fontsize=9.5, color="#333333")
    fig.text(0.5, 0.69, (f"制图单位：{unit} · " if unit else "") + f"编制日期 {date} · 共 {total_pages} 页", ha="center", va="center", fontsize=10, color="#333333")
    # Villages with their grid counts and households (special grids' households in their own column).
    if "village" in sel:
        g = sel.assign(_hh=pd.to_numeric(sel.get("hh"), errors="coerce").fillna(0))
        by = g.groupby(g["village"].astype(str), sort=False).agg(n=("code", "size"), hh=("_hh", "sum"))
        spl = project.layers.get("special_grids")
        sp = (spl.gdf.assign(_hh=pd.to_numeric(spl.gdf["hh"], errors="coerce").fillna(0))
              .groupby(spl.gdf["village"].astype(str))["_hh"].sum()
              if spl is not None and spl.gdf is not None and len(spl.gdf) and "hh" in spl.gdf and "village" in spl.gdf
              else pd.Series(dtype=float))
        rows = [[v, int(r.n), f"{int(r.hh):,}", f"{int(sp.get(v, 0)):,}"] for v, r in by.iterrows()]
        cols = [("村（社区）", 60.0, "left"), ("网格数", 20.0, "right"), ("网格户数", 25.0, "right"),
                ("专属网格户数", 25.0, "right")]
        shown = rows[:30]
        y = draw_table(fig, (W - 130) / 2, H * 0.64, cols, shown, paper_w_mm=W, paper_h_mm=H, size_pt=8.5)
        if len(rows) > len(shown):
            fig.text(0.5, (y - 5) / H, f"…… 另有 {len(rows) - len(shown)} 个村（社区），见索引表", ha="center",
                     va="top", fontsize=8.5)
    fig.text(0.5, 0.08, privacy, ha="center", va="center", fontsize=9, color="#b2182b")
    if credit:
        fig.text(0.5, 0.055, credit, ha="center", va="center", fontsize=7.5, color="#444444")
    return fig


def _index_page(sheet, rows, page_of, k, n_index, footer, page_no):
    from matplotlib.figure import Figure

    W, H = sheet.width_mm, sheet.height_mm
    fig = Figure(figsize=sheet.inches)
    y = page_header(fig, sheet, "网格索引" + (f"（{k + 1}/{n_index}）" if n_index > 1 else ""),
                    "网格编号、所属村（社区）、户数、子网格数、网格员与页码")
    cols = [("网格编号", 40.0, "left"), ("村（社区）", 52.0, "left"), ("户数", 18.0, "right"),
            ("子网格", 18.0, "right"), ("网格员", 34.0, "left"), ("页码", 18.0, "right")]
    data = []
    for _, r in rows.iterrows():
        code = _text(r.get("code"))
        data.append([code, _text(r.get("village")), _text(r.get("hh")), _text(r.get("n_subgrids")),
                     _text(r.get("worker")), page_of.get(code, "")])
    draw_table(fig, 12, y - 2, cols, data, paper_w_mm=W, paper_h_mm=H, size_pt=7.5, row_h_mm=5.3)
    footer(fig, page_no)
    return fig


def _status_text(row) -> str:
    st = _text(row.get("status"))
    note = _text(row.get("note"))
    zh = {**STATUS_ZH, "exception": "例外（户数超出范围）"}.get(st, st)
    note = note_zh(note, short=True)  # the ledger's words, short: the page's header line is one line
    return zh + (f"，{note}" if note else "")


def _grid_page(sheet, project, idx, grid_raw, row, subs, members, include_personal, buildings: int = 0):
    """The page of one grid: header, map, roster."""
    from matplotlib.figure import Figure

    W, H = sheet.width_mm, sheet.height_mm
    fig = Figure(figsize=sheet.inches)
    code = _text(row.get("code"))
    village = _text(row.get("village"))
    worker = _text(row.get("worker")) or "（未指定）"
    phone = next((_text(row.get(c)) for c in ("worker_phone", "phone", "联系电话") if _text(row.get(c))), "")
    if phone:
        worker += f" {phone}"
    hh = _text(row.get("hh"))
    nsub = 0 if subs is None else len(subs)
    y = page_header(fig, sheet, f"网格 {code}", f"{village} · 住户 {hh} 户 · 楼栋 {buildings} 栋 · 子网格 {nsub} 个 · 网格员 {worker} · "
                    f"{_status_text(row)}", right=village)
    # Map frame: full width, ~58 % of the page.
    fx, fw = 12.0, W - 24.0
    fh = 150.0
    fy = y - 2 - fh
    geom = grid_raw.geometry
    frame = D.MapFrame.fit(fx, fy, fw, fh, _page_bounds(project, geom, village), pad=0.08)
    ax = frame.axes(fig, W, H, frame_lw=0.6)
    bbox = frame.bbox
    tol = 0.1 * frame.m_per_mm
    du = 1.0
    # Neighbours in grey, the grid in colour.
    grids = idx.query("grids", bbox)
    if grids is not None:
        others = grids[grids["code"].astype(str) != code]
        D.add_polygons(ax, others.geometry.values, facecolors="#efefef", edgecolors="#9a9a9a", linewidths=0.5,
                       zorder=2, tolerance=tol)
    D.add_polygons(ax, [geom], facecolors="#fff5ba", zorder=2, tolerance=tol)
    draw_base_layers(ax, idx, frame, du=du, tol=tol)
    hhl = idx.query("households", bbox)
    if hhl is not None:
        g = hhl.geometry.values
        poly = np.isin(shapely.get_type_id(g), (3, 6))
        D.add_polygons(ax, g[poly], facecolors="#b8a48c", edgecolors="#8c7a62", linewidths=0.2, zorder=4.5,
                       tolerance=tol)
        pts = g[~poly]
        if len(pts):
            ax.scatter(shapely.get_x(pts), shapely.get_y(pts), s=2.5, c="#8c7a62", zorder=4.5, linewidths=0)
    special = idx.query("special_grids", bbox)
    if special is not None:
        D.add_polygons(ax, special.geometry.values, edgecolors=S.SPECIAL_EDGE, linewidths=0.6, hatch="////",
                       zorder=8, tolerance=tol)
    if subs is not None and len(subs):
        D.add_polygons(ax, subs.geometry.values, edgecolors=S.SUBGRID_EDGE, linewidths=0.5, linestyle=(0, (4, 2)),
                       zorder=8.5, tolerance=tol)
    D.add_polygons(ax, [geom], edgecolors="#b2182b", linewidths=1.6, zorder=9, tolerance=tol)
    villages = idx.query("villages", bbox)
    if villages is not None:
        D.add_polygons(ax, villages.geometry.values, edgecolors=S.VILLAGE_EDGE, linewidths=1.0,
                       linestyle=(0, (8, 1.5, 1.5, 1.5)), zorder=10, tolerance=tol)
    placer = D.LabelPlacer(cell_mm=8)
    # Reserve the furniture box so no label lands under it.
    placer.add((fx, fy, fx + 52, fy + 21))
    handles = []
    places = idx.query("places", bbox)
    if places is not None:
        pts = shapely.point_on_surface(places.geometry.values)
        names = places["name"].map(_text).to_numpy() if "name" in places else np.full(len(places), "")
        x, y_ = shapely.get_x(pts), shapely.get_y(pts)
        handles = draw_place_markers(ax, x, y_, place_categories(places), size_pt=38 ** 0.5, legend_pt=6,
                                     linewidth=0.6, zorder=12)
        xm, ym = frame.to_mm(x, y_)
        for xi, yi in zip(xm, ym):  # the markers themselves are taken
            placer.add((xi - 1.6, yi - 1.6, xi + 1.6, yi + 1.6))
        inside = shapely.within(pts, geom)
        place_labels = []
        for i in range(len(names)):
            if not names[i]:
                continue
            half = D.text_width_pt(names[i], 6.5) / 2 / PT_PER_MM + 2.4  # right of the marker
            place_labels.append(D.LabelCandidate(x[i] + half * frame.m_per_mm, y_[i], [[names[i]]],
                                                 priority=2 if inside[i] else 1, color="#222222"))
    else:
        place_labels = []
    if subs is not None and len(subs):
        pts = D.label_points(subs.geometry.values)
        cands = [D.LabelCandidate(p.x, p.y, [[_text(c).rsplit("-", 1)[-1], f"{_text(h)}户"], [_text(c).rsplit("-", 1)[-1]]],
                                  region=g, priority=3, color="#333333")
                 for p, c, h, g in zip(pts, subs["code"], subs["hh"] if "hh" in subs else [""] * len(subs),
                                       subs.geometry.values) if p is not None and not p.is_empty]
        D.place_labels(ax, frame, placer, cands, max_pt=10.0, min_pt=5.0, zorder=23)
    D.place_labels(ax, frame, placer, place_labels, max_pt=6.5, min_pt=5.5, zorder=24)
    if grids is not None:
        others = grids[grids["code"].astype(str) != code]
        pts = D.label_points(others.geometry.values)
        # The page names its grid's village: neighbours in it by their number, as on the wall map
        # (grid_codes); a neighbour of another village by its full code, its village not being named here.
        from .grid_codes import map_codes
        same = (others["village"].map(_text) == village) if "village" in others else False
        shown = map_codes(others.assign(village=others["village"].where(same, None)) if "village" in others else others)
        cands = [D.LabelCandidate(p.x, p.y, [[t]], region=g, color="#777777")
                 for p, t, g in zip(pts, shown, others.geometry.values) if p is not None and not p.is_empty]
        D.place_labels(ax, frame, placer, cands, max_pt=7.0, min_pt=5.0, zorder=22)
    map_furniture(fig, ax, frame, sheet, crs=project.crs)
    if handles:
        ax.legend([h for h, _ in handles], [t for _, t in handles], loc="upper right", fontsize=6.5, frameon=True,
                  framealpha=0.9, ncol=1, borderpad=0.5, handletextpad=0.3).set_zorder(40)
    # Roster.
    ty = fy - 6
    fig.text(12 / W, ty / H, "子网格花名册", ha="left", va="bottom", fontsize=10)
    _roster(fig, sheet, subs, members, code, 0, ROSTER_ROWS_FIRST, ty - 1.5)
    return fig


def _page_bounds(project, geom, village: str) -> tuple[float, float, float, float]:
    """What a grid page shows: the grid, or — for a grid the planner emptied by hand (no households,
    no shape) — its village, else all grids."""
    if geom is not None and not geom.is_empty:
        return tuple(geom.bounds)
    for role, sel in (("villages", "name"), ("grids", None)):
        lyr = project.layers.get(role)
        if lyr is None or lyr.gdf is None or not len(lyr.gdf):
            continue
        if sel is None or sel not in lyr.gdf:
            g = lyr.gdf
        else:  # grids carry display names: 上海路社区（新街口街道） where two villages share a name
            from ..partition.villages import village_names
            g = lyr.gdf[np.asarray(village_names(lyr.gdf)) == village]
        b = g.geometry.total_bounds if len(g) else None
        if b is not None and np.isfinite(b).all():
            return tuple(float(v) for v in b)
    return (0.0, 0.0, 1000.0, 1000.0)


def _roster_rows(subs, members, code: str):
    rows = []
    if subs is None:
        return rows
    subs = subs.sort_values("code") if "code" in subs else subs
    for _, s in subs.iterrows():
        sc = _text(s.get("code"))
        kind = {"area": "片区", "apartment part": "楼栋单元"}.get(_text(s.get("kind")), _text(s.get("kind")))
        rows.append([sc, _text(s.get("hh")), kind, _text(s.get("_buildings", s.get("n_features"))),
                     _member_names(members, code, sc)])
    return rows


def _roster(fig, sheet, subs, members, code, start, nrows, top_mm):
    W, H = sheet.width_mm, sheet.height_mm
    cols = [("子网格编号", 42.0, "left"), ("户数", 16.0, "right"), ("类型", 22.0, "left"),
            ("楼栋数", 16.0, "right"), ("党员（联系户数）", W - 24 - 96.0, "left")]
    rows = _roster_rows(subs, members, code)[start:start + nrows]
    if not rows:
        fig.text(12 / W, (top_mm - 6) / H, "本网格没有子网格。", ha="left", va="top", fontsize=8.5)
        return top_mm
    return draw_table(fig, 12, top_mm, cols, rows, paper_w_mm=W, paper_h_mm=H, size_pt=7.5, row_h_mm=5.0)


def _continuation_page(sheet, row, subs, members, start, nrows):
    from matplotlib.figure import Figure

    fig = Figure(figsize=sheet.inches)
    code = _text(row.get("code"))
    y = page_header(fig, sheet, f"网格 {code}（续）", f"{_text(row.get('village'))} · 子网格花名册（续）")
    _roster(fig, sheet, subs, members, code, start, nrows, y - 2)
    return fig
