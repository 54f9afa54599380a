"""The police layers of the HTML map: incident records (警情), the hot spots a patrol was planned on,
and the stations (派出所、警务室) patrols start from and sealing posts are sent from.

A station's incident table holds thousands of points; drawn one by one they hide the grids and
each other at the whole-area view. They are therefore clustered in the browser
(``cluster`` in the layer data, drawn by ``assets/gridtool-map.js``): points closer than
``CLUSTER_PIXELS`` on screen become one bubble with their count, coloured by count (a density
reading), which splits as the user zooms in; past ``CLUSTER_UNTIL_ZOOM`` every incident is its
own dot with a popup. Hand-written rather than Leaflet.markercluster because the map carries no
other plug-in and must work offline; the binning is a few dozen lines.

The hot spots (``hotspots`` layer, written by ``gridtool patrol``) are numbered badges with a
translucent circle of the radius along the streets whose incidents they count (the incidents of
a hot spot lie within that distance along the streets, hence within the circle). Popups give the
figures the command line printed: rank, street, incidents and share, peak hours and types, and
the team that visits it. The summary line is :func:`gridtool.routing.hotspots.headline`.

Stations are icons (the police badge of the key places) in a layer of their own, above the key
places, with a popup of name, category and grid.

Every text value is escaped in Python; the personal columns of incident records (the caller's
name, phone, ID number) are masked unless ``include_personal``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .icons import icon_svg
from .privacy import detect_sensitive, escape_html

#: Incidents closer than this on screen (pixels) are drawn as one bubble with their count.
CLUSTER_PIXELS = 64
#: From this zoom on, every incident is its own dot.
CLUSTER_UNTIL_ZOOM = 18
#: Bubble colours by count (up to 9, up to 49, more): a density reading at any zoom.
CLUSTER_COLOURS = ("#fdae61", "#f46d43", "#a50026")
INCIDENT_COLOUR = "#c62828"
HOTSPOT_COLOUR = "#b71c1c"
#: Columns of an incident record shown in its popup besides time, type and grid (first ones).
MAX_EXTRA_COLUMNS = 6
#: Radius of a hot spot's area when the project does not record it (half the default bandwidth).
DEFAULT_RADIUS_M = 75.0
_OURS = ("geometry", "time", "hour", "type", "src_id", "lon", "lat", "x", "y", "hotspot", "snap_m")


def _time_text(times, hours) -> list[str]:
    """``2024-03-05 21:34``, or the date alone where the record has no clock time."""
    out = []
    for t, h in zip(pd.to_datetime(pd.Series(list(times)), errors="coerce"), hours):
        if pd.isna(t):
            out.append("")
        else:
            out.append(t.strftime("%Y-%m-%d %H:%M") if pd.notna(h) else t.strftime("%Y-%m-%d"))
    return out


def _extra_columns(b, layer) -> list[str]:
    """Record columns for the popup: personal ones first (masked), then other columns, without the
    source columns already read into time and type."""
    gdf = layer.gdf
    used = {str(v).replace(" (by content)", "") for v in (layer.columns_used or {}).values()}
    sens = list(detect_sensitive(gdf, layer.sensitive, personal_role=True))
    rest = [c for c in gdf.columns if c not in sens]
    cols = [c for c in sens + rest if c not in _OURS and c not in used]
    return cols[:MAX_EXTRA_COLUMNS]


def add_incidents(b) -> None:
    """The ``incidents`` layer as clustered points (see the module docstring)."""
    from .html_columns import _col, _grid_index, _text

    layer = b.project.layers.get("incidents")
    g = b.layers.get("incidents")
    if layer is None or g is None:
        return
    m = b._masked("incidents")
    pts = g.geometry.representative_point()
    hours = pd.to_numeric(g["hour"], errors="coerce") if "hour" in g else pd.Series(np.nan, index=g.index)
    cols = {"time": _time_text(g["time"] if "time" in g else [None] * len(g), hours),
            "type": _col(m, "type"), "grid": _grid_index(pts.values, b.layers.get("grids"))}
    extra = _extra_columns(b, layer)
    rows = "".join(f"[[<tr><th>{escape_html(c)}</th><td>{{x{i}}}</td></tr>]]" for i, c in enumerate(extra))
    for i, c in enumerate(extra):
        cols[f"x{i}"] = _text(m[c])
    grp = b.group(b.t("警情（聚合显示，数字为条数）", "incidents (clustered, numbers are counts)"))
    b.add(grp, "point", g, cols, count_as="incidents",
          style={"color": "#fff", "weight": 0.8, "fillColor": INCIDENT_COLOUR, "fillOpacity": 0.85, "radius": 4},
          cluster={"px": CLUSTER_PIXELS, "until": CLUSTER_UNTIL_ZOOM, "colours": list(CLUSTER_COLOURS),
                   "tip": b.tt("{n} 条警情（点击放大）", "{n} incidents (click to zoom in)")},
          tip=b.tt("<b>警情</b>[[ {type}]][[<br>{time}]]", "<b>Incident</b>[[ {type}]][[<br>{time}]]"),
          pop=b.tt("<b>警情</b><table>[[<tr><th>类别</th><td>{type}</td></tr>]]"
                   "[[<tr><th>时间</th><td>{time}</td></tr>]][[<tr><th>所在网格</th><td>{grid}</td></tr>]]",
                   "<b>Incident</b><table>[[<tr><th>type</th><td>{type}</td></tr>]]"
                   "[[<tr><th>time</th><td>{time}</td></tr>]][[<tr><th>grid</th><td>{grid}</td></tr>]]")
          + rows + "</table>")
    bubble = "".join(f'<span class="gt-dot" style="width:{s}px;height:{s}px;background:{c};opacity:.85"></span>'
                     for s, c in zip((12, 15, 18), CLUSTER_COLOURS))
    b.legend.append(f'<div class="gt-group">{b.t("警情", "incidents")}</div>'
                    f'<div class="gt-row"><span class="gt-dot" style="width:8px;height:8px;'
                    f'background:{INCIDENT_COLOUR}"></span>{b.t("单条警情", "one incident")}</div>'
                    f'<div class="gt-row">{bubble}{b.t("聚合（数字为条数，颜色越深越多）", "clusters (count; darker = more)")}'
                    '</div>')


def hotspot_headline(b) -> tuple[str, str] | None:
    """The hot spots' summary line as ``gridtool patrol`` printed it (None without hot spots)."""
    from ..routing.hotspots import headline

    spots = b.layers.get("hotspots")
    if spots is None:
        return None
    rec = dict(b.project.parameters.get("hotspots") or {})
    if "total" not in rec:  # a project saved before the figures were kept: count what is there
        inc = b.layers.get("incidents")
        rec["total"] = len(inc) if inc is not None else int(pd.to_numeric(spots["incidents"]).sum())
    return headline(spots, **rec)


def add_hotspots(b) -> None:
    """The ``hotspots`` layer: areas (circles of the counting radius) and numbered badges."""
    from .html_columns import _col, _int_col, _ints, _raw

    spots = b.layers.get("hotspots")
    if spots is None:
        return
    m = b._masked("hotspots")
    radius = float((b.project.parameters.get("hotspots") or {}).get("radius", DEFAULT_RADIUS_M))
    share = pd.to_numeric(pd.Series(_raw(spots, "share", np.nan)), errors="coerce")
    team = _ints(_raw(spots, "team", 0))
    cols = {"rank": _int_col(spots, "rank"), "street": _col(m, "street"), "n": _int_col(spots, "incidents"),
            "share": [f"{s:.1%}" if pd.notna(s) else "" for s in share],
            "peak": _col(m, "peak_hours"), "pn": [v or "" for v in _int_col(spots, "peak_incidents")],
            "types": _col(m, "types"), "window": _col(m, "window"), "arrive": _col(m, "arrive"),
            "team": [t if t else "" for t in team],
            # the reason the plan gave (未巡原因), as the console said it; older projects: the bare fact
            "none": [(b.t("未安排巡逻", "not visited") + (f"：{w}" if w else "")) if not t else ""
                     for t, w in zip(team, _col(m, "not_visited"))],
            "radius": [f"{radius:g}"] * len(spots)}
    # "[[…]]" parts (left out when a value in them is empty) do not nest.
    tip = b.tt("<b>警情热点 {rank}</b>[[ {street}]]<br>{n} 条警情（{share}）",
               "<b>Hot spot {rank}</b>[[ {street}]]<br>{n|incident|incidents} ({share})")
    pop = b.tt("<b>警情热点 {rank}</b>[[ {street}]]<table>"
               "<tr><th>警情</th><td>{n} 条（占全部 {share}）</td></tr>"
               "[[<tr><th>高发时段</th><td>{peak}（{pn} 条）</td></tr>]]"
               "[[<tr><th>主要类别</th><td>{types}</td></tr>]]"
               "[[<tr><th>巡逻</th><td>第{team}队 {arrive} 到达</td></tr>]]"
               "[[<tr><th>巡逻</th><td>{none}</td></tr>]]"
               "[[<tr><th>时间窗</th><td>{window}</td></tr>]]"
               "<tr><th>范围</th><td>沿街 {radius} 米内</td></tr></table>",
               "<b>Hot spot {rank}</b>[[ {street}]]<table>"
               "<tr><th>incidents</th><td>{n} ({share} of all)</td></tr>"
               "[[<tr><th>peak hours</th><td>{peak} ({pn})</td></tr>]]"
               "[[<tr><th>main types</th><td>{types}</td></tr>]]"
               "[[<tr><th>patrol</th><td>team {team}, arrives {arrive}</td></tr>]]"
               "[[<tr><th>patrol</th><td>{none}</td></tr>]]"
               "[[<tr><th>window</th><td>{window}</td></tr>]]"
               "<tr><th>extent</th><td>within {radius} m along the streets</td></tr></table>")
    grp = b.group(b.t("警情热点（数字为排名）", "incident hot spots (numbered by rank)"))
    areas = spots.assign(geometry=spots.geometry.buffer(radius, quad_segs=12))
    b.add(grp, "polygon", areas, cols, count_as="hotspot_areas",
          style={"color": HOTSPOT_COLOUR, "weight": 1.5, "fillColor": HOTSPOT_COLOUR, "fillOpacity": 0.18},
          tip=tip, pop=pop)
    b.add(grp, "badge", spots, cols, count_as="hotspots", num="rank", colour=HOTSPOT_COLOUR, tip=tip, pop=pop)
    b.legend.append(f'<div class="gt-group">{b.t("警情热点", "incident hot spots")}</div>'
                    f'<div class="gt-row"><span class="gt-badge" style="background:{HOTSPOT_COLOUR}">1</span>'
                    f'{b.t("热点（数字为排名）", "hot spot (rank)")}</div>'
                    f'<div class="gt-row"><span class="gt-sw" style="background:{HOTSPOT_COLOUR}2e;'
                    f'border-color:{HOTSPOT_COLOUR};border-radius:50%"></span>'
                    f'{b.t(f"热点范围（沿街 {radius:g} 米）", f"hot-spot extent ({radius:g} m along streets)")}</div>')


def add_stations(b) -> None:
    """The ``stations`` layer: police icons with name, category (``kind``) and grid."""
    from .html_columns import _col, _grid_index, _raw
    from .icons import ICONS, category_text

    st = b.layers.get("stations")
    if st is None:
        return
    m = b._masked("stations")
    kinds = [str(k) if str(k) not in ("", "nan", "None") else "police" for k in _raw(st, "kind", "police")]
    # a station of a known category keeps its icon; 派出所、警务室 and the rest wear the police badge
    icon = [k if k in ICONS else "police" for k in kinds]
    pts = st.geometry.representative_point()
    cols = {"name": _col(m, "name"), "cat": [escape_html(category_text(k, b.lang)) for k in kinds],
            "grid": _grid_index(pts.values, b.layers.get("grids"))}
    grp = b.group(b.t("派出所（站点）", "police stations"))
    b.add(grp, "icon", st.assign(geometry=pts.values), cols, count_as="stations", icon=icon,
          tip="<b>{name}</b>[[<br>{cat}]]",
          pop=b.tt("<b>{name}</b><table><tr><th>类别</th><td>{cat}</td></tr>"
                   "[[<tr><th>所在网格</th><td>{grid}</td></tr>]]</table>",
                   "<b>{name}</b><table><tr><th>category</th><td>{cat}</td></tr>"
                   "[[<tr><th>grid</th><td>{grid}</td></tr>]]</table>"))
    present = sorted(set(kinds))
    b.legend.append(f'<div class="gt-group">{b.t("派出所（站点）", "police stations")}</div>' + "".join(
        f'<div class="gt-row">{icon_svg(k if k in ICONS else "police", size=16)}{escape_html(category_text(k, b.lang))}'
        '</div>' for k in present))


__all__ = ["CLUSTER_PIXELS", "CLUSTER_UNTIL_ZOOM", "add_hotspots", "add_incidents", "add_stations",
           "hotspot_headline"]
