"""The offline interactive map: one HTML file that opens with no network at all.

``write_html(project, "map.html")`` draws grids (neighbours in different colours, the same fills as
the wall map), sub-grids, special grids, corridors, households (one dot per building on small
maps; per sub-grid totals on large ones), key places with category icons, patrol routes with
direction arrows and numbered stops, service circles, village boundaries and the main roads,
rivers and railways, incident records (clustered), the hot spots of a patrol plan and the police
stations (:mod:`.html_incidents`), the party-member links, off until turned on (:mod:`.html_party`), the ridge lines
a partition with a DEM followed (:mod:`.html_ridges`); tooltips and popups give the grid code, household total and grid worker;
a layer control, a legend in plain HTML/CSS, a search box for grid codes and village names.

folium builds the page (map, layer groups, layer control, optional tile layer), but the data
layers are hand-written (:class:`DataLayer` and ``assets/gridtool-map.js``) because folium's
``GeoJson`` would not do here: it stores coordinates at full precision and a style per feature
(a county map would be well over 100 MB), and its ``GeoJsonTooltip`` puts property values into the
page as raw HTML. Here the coordinates are simplified and delta-encoded (``webgeom``), every text
value from the data is HTML-escaped in Python (:func:`gridtool.maps.privacy.escape_html`) and the
data is embedded as JSON that cannot close its ``<script>``; personal data is masked unless
``include_personal``. Leaflet and all styles are inlined (``offline``); there is no basemap unless
the user gives a tile URL template.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
import shapely

from ..errors import GridtoolError, feature_id_zh
from ..plurals import count_en
from ..routing.modes import MODE_ZH
from ..spatial import label_points
from . import webgeom
from .icons import ICONS, category_text, icon_svg
from .offline import external_references, head_html, json_for_script, strip_external
from .paper import check_cancelled
from .html_columns import _col, _grid_index, _int_col, _ints, _raw, _text
from . import plan_words
from .plan_words import note_zh
from .privacy import detect_sensitive, escape_html, mask_layer
from .style import CIRCLE_COLOURS, TEAM_COLOURS

Progress = Callable[[float, str], None]

#: Up to this many household features are drawn one by one; above, totals per sub-grid.
MAX_HOUSEHOLD_POINTS = 5000
#: Above this many sub-grids they appear only when zoomed in (two levels past the whole-area view).
SUBGRIDS_ALWAYS = 3000
#: Above this many patrol stops their numbers appear one zoom level past the whole-area view.
MANY_STOPS = 40
#: Layer names in progress messages.
ROLE_ZH = {"grids": "基础网格", "special_grids": "专属网格", "context": "底图要素", "villages": "村界",
           "subgrids": "子网格", "corridors": "专项网格", "circles": "服务圈", "households": "住户",
           "routes": "巡逻路线", "places": "重点场所", "incidents": "警情", "hotspots": "警情热点",
           "stations": "派出所（站点）", "party": "党员联户", "ridges": "山脊线"}
#: Outline and fill of corridors (专项网格) by kind.
CORRIDOR_COLOURS = {"river": "#1565c0", "railway": "#616161", "forest": "#2e7d32", "other": "#6a1b9a"}
#: Corridors with more vertices than this appear only when zoomed in.
HEAVY_CORRIDORS = 20_000
#: Above this many key places their icons appear only when zoomed in.
MANY_PLACES = 300
#: Above this many rivers, streams, ditches and drains appear only when zoomed in.
MANY_RIVERS = 2000
MINOR_WATER = ("stream", "drain", "ditch")
#: Roads drawn on county maps: only these classes when there are more than ``ALL_ROADS`` roads.
MAJOR_ROADS = ("motorway", "trunk", "primary", "secondary", "tertiary")
ALL_ROADS = 20_000
STATUS_ZH = {**plan_words.STATUS_ZH, "exception": "例外（户数超出范围）"}
STATUS_EN = plan_words.STATUS_EN


@dataclass
class HtmlMap:
    """The rendered map: its text, where it was written, the features per layer and timings."""

    html: str
    path: Path | None = None
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: Features not drawn, per layer and why: ``{"roads": {"tiny": ["FID 137"], "empty": […]}}`` —
    #: ``empty`` without geometry, ``tiny`` shorter or smaller than the map's coordinate step
    #: (1e-5 degrees, about 1 m), which collapses them to a point.
    left_out: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def left_out_text(self, layer_name, zh: bool = True) -> str:
        """``道路 2 条未画出（短于约 1 米，在网页地图上缩成一点：FID 137、FID 201）``, or ``""``."""
        parts = []
        for layer, why in self.left_out.items():
            for kind, ids in why.items():
                if not ids:
                    continue
                # DXF lines by 句柄 in Chinese, as the import's messages name them (handle 2032B)
                head = [feature_id_zh(i) for i in ids[:5]] if zh else ids[:5]
                shown = ("、" if zh else ", ").join(head) + ("……" if zh and len(ids) > 5 else
                                                            ", …" if len(ids) > 5 else "")
                if zh:
                    reason = "没有几何图形" if kind == "empty" else "短于或小于约 1 米，在网页地图上缩成一点"
                    parts.append(f"{layer_name(layer)} {len(ids)} 个未画出（{reason}：{shown}）")
                else:
                    reason = "no geometry" if kind == "empty" else "under about 1 m: a point at the map's precision"
                    parts.append(f"{layer_name(layer)}: {len(ids)} not drawn ({reason}: {shown})")
        return ("；" if zh else "; ").join(parts)

    @property
    def size(self) -> int:
        return len(self.html.encode("utf-8"))


# -- the data layer element ---------------------------------------------------------------------
def _data_layer_class():
    from branca.element import MacroElement
    from jinja2 import Template

    class DataLayer(MacroElement):
        """A gridtool data layer inside a folium ``FeatureGroup`` (built by ``gridtool.addLayer``)."""

        _template = Template(
            "{% macro script(this, kwargs) %}\n"
            "gridtool.addLayer({{ this.map_name }}, {{ this._parent.get_name() }}, {{ this.payload }});\n"
            "{% endmacro %}")

        def __init__(self, map_name: str, payload: dict) -> None:
            super().__init__()
            self._name = "GridtoolLayer"
            self.map_name = map_name
            self.payload = json_for_script(payload)

    return DataLayer


def _raw_element(text: str):
    """An element rendered exactly as given (folium's ``Element`` would run it through Jinja)."""
    from branca.element import Element

    class Raw(Element):
        def render(self, **kwargs) -> str:  # noqa: ARG002
            return text

    return Raw()


def _script_element(map_name: str, body: str):
    from branca.element import MacroElement
    from jinja2 import Template

    class Script(MacroElement):
        _template = Template("{% macro script(this, kwargs) %}\n{{ this.body }}\n{% endmacro %}")

        def __init__(self) -> None:
            super().__init__()
            self.body = body.replace("MAP", map_name)

    return Script()


# -- geometry helpers ---------------------------------------------------------------------------
def _lonlat(geoms, crs) -> np.ndarray:
    import geopandas as gpd
    s = gpd.GeoSeries(geoms, crs=crs)
    return s.to_crs(4326).values if crs is not None and not s.crs.equals("EPSG:4326") else s.values


def _encode(kind: str, geoms, crs, *, tolerance: float = 0.0, coverage: bool = False,
            min_area: float = 0.0) -> list:
    g = np.asarray(geoms, dtype=object)
    if kind in ("polygon", "line") and tolerance > 0:
        g = webgeom.simplify(g, tolerance, coverage=coverage and kind == "polygon", min_area=min_area)
    if kind in ("point", "icon", "stop", "badge"):
        g = np.array([x if x is None or x.is_empty or x.geom_type == "Point" else x.point_on_surface()
                      for x in g], dtype=object)
    ll = _lonlat(g, crs)
    if kind == "polygon":
        return [webgeom.encode_polygon(x) for x in ll]
    if kind == "line":
        return [webgeom.encode_line(x) for x in ll]
    return [webgeom.encode_point(x) for x in ll]


def _payload(kind: str, encoded: list, cols: dict[str, list], **extra) -> dict:
    d = {"kind": kind, "q": webgeom.QUANT, "n": len(encoded), "g": encoded, "cols": cols}
    d.update({k: v for k, v in extra.items() if v is not None})
    return d


# -- the map ------------------------------------------------------------------------------------
def _spread_divided(df: pd.DataFrame, parts: list, x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Per-sub-grid (or per-grid) rows (``k``, ``x``/``y`` weighted by ``w`` households, ``n``
    buildings) with a building divided between them (``subgrid_parts``, ``grid_parts``) spread over
    them: its households where they live, the building itself once, in the one holding it (``k``),
    as the ledger counts."""
    from ..values import parse_grid_parts

    extra = []
    w = df["w"].to_numpy(dtype=float).copy()
    for f, txt in enumerate(parts):
        pp = parse_grid_parts(txt)
        if not pp:
            continue
        home = df["k"].iat[f]
        for code, k in pp:
            k = min(float(k), w[f])
            if code != home and k > 0:
                extra.append((code, x[f] * k, y[f] * k, k, 0))
                w[f] -= k
    if not extra:
        return df
    df = df.assign(w=w, x=x * w, y=y * w)
    return pd.concat([df, pd.DataFrame(extra, columns=["k", "x", "y", "w", "n"])], ignore_index=True)


class _Builder:
    def __init__(self, project, *, include_personal: bool, max_household_points: int, seed: int,
                 progress: Progress | None, lang: str = "zh", cancelled: Callable[[], bool] | None = None) -> None:
        import folium

        self.lang = lang if lang in ("zh", "en", "both") else "zh"
        self.project = project
        self.crs = project.crs
        self.include_personal = include_personal
        self.max_household_points = max_household_points
        self.seed = seed
        self.progress = progress
        self.cancelled = cancelled
        self.counts: dict[str, int] = {}
        self.left_out: dict[str, dict[str, list[str]]] = {}
        self.legend: list[str] = []
        self.layers = {r: lyr.gdf for r, lyr in project.layers.items() if lyr.gdf is not None and len(lyr.gdf)}
        self.DataLayer = _data_layer_class()
        area = self._area()
        if area is None:
            raise GridtoolError("项目中没有可绘制的图层", "the project has no layer to draw",
                                fix_zh="先导入村界和住户，并运行 gridtool partition。",
                                fix_en="import villages and households and run gridtool partition first.")
        self.bounds = area  # lon/lat
        self.zoom = webgeom.fit_zoom(area)
        # The scale bar is gridtool's own (metric only, in the map's language; see gridtool-map.js).
        self.map = folium.Map(location=[(area[1] + area[3]) / 2, (area[0] + area[2]) / 2], zoom_start=self.zoom,
                              tiles=None, prefer_canvas=True, control_scale=False, zoom_control=False)
        # Without a tile layer Leaflet has no zoom limit of its own; half steps fit the area better.
        self.map.options.update({"maxZoom": 20, "minZoom": 3, "zoomSnap": 0.5})
        # folium would link Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; we inline Leaflet only.
        self.map.default_js = []
        self.map.default_css = []
        self.name = self.map.get_name()
        self.tolerance = self._tolerance()
        self.order = 0

    def t(self, zh: str, en: str) -> str:
        """A label in the map's language (``both``: Chinese, then English)."""
        return zh if self.lang == "zh" else en if self.lang == "en" else f"{zh} {en}"

    def tt(self, zh: str, en: str) -> str:
        """A tooltip or popup template in the map's language (``both``: the Chinese one)."""
        return en if self.lang == "en" else zh

    def zoom_for(self, geoms, pixels: float) -> int:
        """The first zoom at which a typical feature of ``geoms`` spans ``pixels`` screen pixels."""
        size = webgeom.typical_size(geoms)
        if size is None:
            return self.zoom
        lat = (self.bounds[1] + self.bounds[3]) / 2
        z = math.log2(webgeom.metres_per_pixel(lat, 0) * pixels / size)
        return int(min(max(math.ceil(z), self.zoom), 19))

    def check(self) -> None:
        """Stop with CancelledError once ``cancelled()`` is true (before and after every layer's encoding)."""
        check_cancelled(self.cancelled)

    def _step(self, f: float, msg: str) -> None:
        self.check()
        if self.progress:
            self.progress(f, msg)

    def _area(self) -> tuple[float, float, float, float] | None:
        for role in ("grids", "villages", "subgrids", "households"):
            if role in self.layers:
                b = self.layers[role].to_crs(4326).total_bounds
                if np.isfinite(b).all():
                    return tuple(float(x) for x in b)
        # A police project without grids: all its places, routes and incidents in view.
        found = [self.layers[r].to_crs(4326).total_bounds for r in ("places", "stations", "routes", "hotspots", "incidents")
                 if r in self.layers]
        found = [b for b in found if np.isfinite(b).all()]
        if not found:
            return None
        a = np.array(found)
        return (float(a[:, 0].min()), float(a[:, 1].min()), float(a[:, 2].max()), float(a[:, 3].max()))

    def _tolerance(self) -> float:
        """One tolerance for grids, sub-grids and village borders, so their shared edges agree."""
        tols = [webgeom.zoom_tolerance(self.layers[r].geometry.values)
                for r in ("subgrids", "grids") if r in self.layers]
        return min(tols) if tols else webgeom.zoom_tolerance(
            next(iter(self.layers.values())).geometry.values)

    def group(self, name: str, *, show: bool = True):
        import folium
        return folium.FeatureGroup(name=name, show=show).add_to(self.map)

    def add(self, group, kind: str, gdf, cols: dict, *, count_as: str, tolerance: float = 0.0,
            coverage: bool = False, min_area: float = 0.0, **extra) -> None:
        self.check()
        enc = _encode(kind, gdf.geometry.values, gdf.crs or self.crs, tolerance=tolerance, coverage=coverage,
                      min_area=min_area)
        self.check()
        self.order += 1
        if "label" in extra:  # inside the polygon, where the wall map puts it (spatial.label_points)
            where = label_points(gdf.geometry.values) if kind == "polygon" else gdf.geometry.values
            extra["lp"] = _encode("point", where, gdf.crs or self.crs)
        self.DataLayer(self.name, _payload(kind, enc, cols, order=self.order, **extra)).add_to(group)
        self.counts[count_as] = self.counts.get(count_as, 0) + sum(e is not None for e in enc)
        self._note_left_out(gdf, enc, count_as)

    def _note_left_out(self, gdf, enc: list, count_as: str) -> None:
        """Remember the features that drew nothing (the export summary names them: a count that
        differs from the project's must say why)."""
        lost = np.array([e is None for e in enc], dtype=bool)
        if not lost.any():
            return
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        ids = (gdf["src_id"].astype(str).to_numpy() if "src_id" in gdf
               else gdf["code"].astype(str).to_numpy() if "code" in gdf  # a grid's or corridor's own code
               else np.array([f"#{i + 1}" for i in range(len(gdf))], dtype=object))
        why = self.left_out.setdefault(count_as, {})
        for kind, mask in (("empty", lost & empty), ("tiny", lost & ~empty)):
            if mask.any():
                why.setdefault(kind, []).extend(ids[mask].tolist())

    # -- layers ---------------------------------------------------------------------------------
    def grids(self) -> None:
        from .colours import GRID_PALETTE, grid_colours
        g = self.layers.get("grids")
        if g is None:
            return
        fills = grid_colours(g, seed=self.seed)
        pal = sorted(set(fills), key=lambda c: (list(GRID_PALETTE).index(c) if c in GRID_PALETTE else 99, c))
        idx = {c: i for i, c in enumerate(pal)}
        g = self._masked("grids")
        names = STATUS_ZH if self.lang != "en" else STATUS_EN
        status = [names.get(str(s), escape_html(s)) for s in _raw(g, "status")]
        # An exception grid is named as one (its popup, the layer's name), as the totals count it.
        from ..partition.totals import GRID_KINDS, grid_kind, household_totals
        totals = household_totals(self.project)
        kinds = [GRID_KINDS[grid_kind(s)] for s in _raw(g, "status")]
        layer_zh = totals.grid_names("zh") if totals.partitioned else "基础网格"
        layer_en = totals.grid_names("en") if layer_zh != "基础网格" else "grids"
        area = (g["area_m2"] if "area_m2" in g else g.geometry.area) / 1e6
        from .grid_codes import code_note, map_codes, villages_named
        shown = map_codes(g, villages_shown=villages_named(self.project))  # 03 where the village is named
        cols = {"code": _col(g, "code"), "lab": [escape_html(t) for t in shown],
                "village": _col(g, "village"), "hh": _int_col(g, "hh"),
                "worker": _col(g, "worker"), "status": status,
                "wk": [w or "—" for w in _col(g, "worker")],
                "note": _col(g, "note") if self.lang == "en" else [escape_html(note_zh(n)) for n in _raw(g, "note")],
                "sub": _int_col(g, "n_subgrids"),
                "kind": [zh if self.lang != "en" else en.capitalize() for zh, en in kinds],
                "places": _col(g, "place_names"), "area": [f"{a:.3f}" for a in area],
                "range": [f"{a}–{b}" for a, b in zip(_ints(g["min_hh"]), _ints(g["max_hh"]))]
                if "min_hh" in g and "max_hh" in g else [""] * len(g)}
        grp = self.group(self.t(layer_zh, layer_en))
        self.add(grp, "polygon", g, cols, count_as="grids", tolerance=self.tolerance, coverage=True,
                 pal=pal, fill=[idx[c] for c in fills],
                 style={"color": "#333", "weight": 1.2, "fillOpacity": 0.55, "opacity": 0.9},
                 hover={"weight": 3, "color": "#000"}, key="code",
                 tip=self.tt("<b>网格 {code}</b><br>{village} · {hh} 户[[<br>网格员 {worker}]]",
                             "<b>Grid {code}</b><br>{village} · {hh|household|households}[[<br>worker {worker}]]"),
                 pop=self.tt("<b>{kind} {code}</b><table><tr><th>村（社区）</th><td>{village}</td></tr>"
                             "<tr><th>户数</th><td>{hh}[[（范围 {range}）]]</td></tr>"
                             "<tr><th>网格员</th><td>{wk}</td></tr>"
                             "<tr><th>子网格</th><td>{sub}</td></tr>"
                             "<tr><th>状态</th><td>{status}[[ {note}]]</td></tr>"
                             "[[<tr><th>重点场所</th><td>{places}</td></tr>]]"
                             "<tr><th>面积</th><td>{area} 平方公里</td></tr></table>",
                             "<b>{kind} {code}</b><table><tr><th>village</th><td>{village}</td></tr>"
                             "<tr><th>households</th><td>{hh}[[ (bounds {range})]]</td></tr>"
                             "<tr><th>worker</th><td>{wk}</td></tr>"
                             "<tr><th>sub-grids</th><td>{sub}</td></tr>"
                             "<tr><th>status</th><td>{status}[[ {note}]]</td></tr>"
                             "[[<tr><th>key places</th><td>{places}</td></tr>]]"
                             "<tr><th>area</th><td>{area} km²</td></tr></table>"),
                 label=self.tt("<b>{lab}</b><br>{hh} 户[[<br>{worker}]]", "<b>{lab}</b><br>{hh} hh[[<br>{worker}]]"),
                 labelZoom=self.zoom_for(g.geometry.values, 110))
        swatches = "".join(f'<span class="gt-sw" style="background:{c};margin-right:2px;width:10px"></span>'
                           for c in pal)
        self.legend.append(f'<div class="gt-row">{swatches}<span>&nbsp;'
                           f'{self.t(f"{layer_zh}（相邻不同色）", f"{layer_en} (neighbours differ)")}</span></div>')
        note = code_note(g, shown)
        if note:
            # wrapped under the swatches: the legend must not grow wider than its rows and hide the map
            self.legend.append('<div class="gt-row gt-note" style="max-width:210px;white-space:normal;'
                               f'font-size:11px;color:#555;display:block">{escape_html(self.t(*note))}</div>')

    def subgrids(self) -> None:
        s = self.layers.get("subgrids")
        if s is None:
            return
        s = self._masked("subgrids")
        grids = self._masked("grids") if "grids" in self.project.layers else None  # the worker is a person
        info = {}
        if grids is not None and "code" in grids:
            info = {str(c): (w, h) for c, w, h in zip(grids["code"], _col(grids, "worker"),
                                                     _int_col(grids, "hh"))}
        parent = [str(x) for x in _raw(s, "grid")]
        kind = [self.t("楼栋分户", "apartment part") if str(k) == "apartment part" else "" for k in
                _raw(s, "kind")]
        cols = {"code": _col(s, "code"), "hh": _int_col(s, "hh"),
                "grid": _text(parent), "kind": kind,
                "gw": [info.get(p, ("", ""))[0] for p in parent], "ghh": [info.get(p, ("", ""))[1] for p in parent]}
        many = len(s) > SUBGRIDS_ALWAYS
        grp = self.group(self.t("子网格", "sub-grids") + (self.t("（放大后显示）", " (zoom in)") if many else ""))
        self.add(grp, "polygon", s, cols, count_as="subgrids", tolerance=self.tolerance, coverage=True,
                 style={"color": "#555", "weight": 0.7, "dashArray": "3 3", "fill": False, "opacity": 0.9},
                 hover={"weight": 2.5, "color": "#000"}, key="code",
                 minZoom=max(self.zoom + 2, self.zoom_for(s.geometry.values, 25)) if many else None,
                 tip=self.tt("<b>子网格 {code}</b> · {hh} 户[[<br>{kind}]]<br>所属网格 {grid}[[ · {ghh} 户]]"
                             "[[<br>网格员 {gw}]]",
                             "<b>Sub-grid {code}</b> · {hh|household|households}[[<br>{kind}]]<br>grid {grid}"
                             "[[ · {ghh|household|households}]][[<br>worker {gw}]]"))
        self.legend.append('<div class="gt-row"><span class="gt-line" style="border-top:1.5px dashed #555"></span>'
                           + self.t("子网格", "sub-grids") + (self.t("（放大后显示）", " (zoom in)") if many else "")
                           + "</div>")

    def special_grids(self) -> None:
        s = self.layers.get("special_grids")
        if s is None:
            return
        s = self._masked("special_grids")
        cats = [escape_html(category_text(c, self.lang)) for c in _raw(s, "category")]
        cols = {"code": _col(s, "code"), "name": _col(s, "name"), "cat": cats,
                "village": _col(s, "village"), "hh": _int_col(s, "hh")}
        grp = self.group(self.t("专属网格", "special grids"))
        self.add(grp, "polygon", s, cols, count_as="special_grids", tolerance=self.tolerance / 2,
                 style={"color": "#8e244d", "weight": 1.5, "fillColor": "#f06292", "fillOpacity": 0.5},
                 key="code", tip=self.tt("<b>专属网格 {code}</b><br>[[{name} · ]]{cat}[[ · {hh} 户]][[<br>{village}]]",
                                         "<b>Special grid {code}</b><br>[[{name} · ]]{cat}[[ · {hh|household|households}]]"
                                         "[[<br>{village}]]"))
        self.legend.append('<div class="gt-row"><span class="gt-sw" style="background:#f06292;border-color:#8e244d">'
                           f'</span>{self.t("专属网格", "special grids")}</div>')

    def corridors(self) -> None:
        c = self.layers.get("corridors")
        if c is None:
            return
        c = self._masked("corridors")
        cols = {"code": _col(c, "code"), "name": _col(c, "name"),
                "width": _int_col(c, "width_m")}
        width = float(pd.to_numeric(c["width_m"], errors="coerce").median()) if "width_m" in c else 50.0
        width = width if width > 0 else 50.0
        import shapely
        kinds = [str(k) if str(k) in CORRIDOR_COLOURS else "other" for k in
                 (c["kind"] if "kind" in c else ["other"] * len(c))]
        pal = list(CORRIDOR_COLOURS.values())
        idx = [list(CORRIDOR_COLOURS).index(k) for k in kinds]
        # County corridors along every forest edge hold ~10⁶ vertices: drawn once zoomed in.
        heavy = int(shapely.get_num_coordinates(c.geometry.values).sum()) > HEAVY_CORRIDORS
        grp = self.group(self.t("专项网格", "corridors") + (self.t("（放大后显示）", " (zoom in)") if heavy else ""))
        # A band `width` wide is read where it is ~10 px wide, so a quarter of it is ~2 px there;
        # specks under width² go.
        self.add(grp, "polygon", c, cols, count_as="corridors", tolerance=max(self.tolerance * 2, width / 4),
                 min_area=width * width, pal=pal, color=idx, fill=idx,
                 style={"weight": 1.2, "dashArray": "5 3", "fillOpacity": 0.1}, strokeOnly=True,
                 minZoom=self.zoom + 2 if heavy else None,
                 tip=self.tt("<b>专项网格 {name}</b>[[ · 宽 {width} 米]]<br>{code}",
                             "<b>Corridor {name}</b>[[ · {width} m wide]]<br>{code}"))
        names = {"river": self.t("沿河", "river"), "railway": self.t("沿铁路", "railway"),
                 "forest": self.t("田林", "fields/forest"), "other": self.t("其他", "other")}
        later = self.t("（放大后显示）", " (zoom in)") if heavy else ""
        self.legend.append(f'<div class="gt-group">{self.t("专项网格", "corridors")}{later}</div>' + "".join(
            f'<div class="gt-row"><span class="gt-sw" style="background:{CORRIDOR_COLOURS[k]}33;'
            f'border:1px dashed {CORRIDOR_COLOURS[k]}"></span>{names[k]}</div>'
            for k in CORRIDOR_COLOURS if k in kinds))

    def context(self) -> None:
        """Village boundaries and names, main roads, rivers and railways: the map's own base."""
        rivers, railways, roads = (self.layers.get(r) for r in ("rivers", "railways", "roads"))
        if rivers is not None:
            grp = self.group(self.t("河流", "rivers"))
            poly = rivers.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
            minor = (rivers["kind"].astype(str).isin(MINOR_WATER).to_numpy() if "kind" in rivers
                     else np.zeros(len(rivers), bool)) & ~poly
            if poly.any():
                self.add(grp, "polygon", rivers[poly], {}, count_as="rivers", tolerance=self.tolerance * 2,
                         style={"color": "#4a90d9", "weight": 0.5, "fillColor": "#a5cdf2", "fillOpacity": 0.8,
                                "interactive": False})
            if minor.any():
                self.add(grp, "line", rivers[minor], {}, count_as="rivers", tolerance=self.tolerance * 2,
                         style={"color": "#7fb3e6", "weight": 1, "opacity": 0.7, "interactive": False},
                         minZoom=self.zoom + 2 if len(rivers) > MANY_RIVERS else None)
            if (~poly & ~minor).any():
                self.add(grp, "line", rivers[~poly & ~minor], {}, count_as="rivers", tolerance=self.tolerance * 2,
                         style={"color": "#4a90d9", "weight": 2.2, "opacity": 0.85, "interactive": False})
            self.legend.append('<div class="gt-row"><span class="gt-line" style="border-top:2px solid #4a90d9">'
                               f'</span>{self.t("河流", "rivers")}</div>')
        if roads is not None:
            r = roads
            if len(r) > ALL_ROADS and "class" in r:
                r = r[r["class"].astype(str).isin(MAJOR_ROADS)]
            if len(r):
                major = r["class"].astype(str).isin(MAJOR_ROADS).to_numpy() if "class" in r else np.zeros(len(r), bool)
                grp = self.group(self.t("道路", "roads"))
                if (~major).any():
                    self.add(grp, "line", r[~major], {}, count_as="roads", tolerance=self.tolerance * 2,
                             style={"color": "#9e9e9e", "weight": 1, "opacity": 0.8, "interactive": False})
                if major.any():
                    self.add(grp, "line", r[major], {}, count_as="roads", tolerance=self.tolerance * 2,
                             style={"color": "#e0a030", "weight": 2.5, "opacity": 0.9, "interactive": False})
                self.legend.append('<div class="gt-row"><span class="gt-line" style="border-top:3px solid #e0a030">'
                                   f'</span>{self.t("主要道路", "main roads")}</div>')
        if railways is not None:
            grp = self.group(self.t("铁路", "railways"))
            self.add(grp, "line", railways, {}, count_as="railways", tolerance=self.tolerance * 2,
                     style={"color": "#424242", "weight": 2.5, "dashArray": "8 4", "interactive": False})
            self.legend.append('<div class="gt-row"><span class="gt-line" style="border-top:2.5px dashed #424242">'
                               f'</span>{self.t("铁路", "railways")}</div>')

    def villages(self) -> None:
        v = self.layers.get("villages")
        if v is None:
            return
        v = self._masked("villages")
        if "name" in v:  # the display names the grids carry (same-named villages qualified)
            from ..partition.villages import village_names
            v = v.assign(name=village_names(v))
        cols = {"name": _col(v, "name"), "code": _col(v, "code")}
        grp = self.group(self.t("村（社区）界", "villages"))
        self.add(grp, "polygon", v, cols, count_as="villages", tolerance=self.tolerance, coverage=True,
                 style={"color": "#5d4037", "weight": 2.6, "fill": False, "opacity": 0.9, "interactive": False},
                 key="name", label="{name}", labelClass="gt-village",
                 labelZoom=self.zoom_for(v.geometry.values, 140))
        self.legend.append('<div class="gt-row"><span class="gt-line" style="border-top:3px solid #5d4037"></span>'
                           + self.t("村（社区）界", "village boundaries") + '</div>')

    def households(self) -> None:
        h = self.layers.get("households")
        if h is None:
            return
        hh = pd.to_numeric(pd.Series(_raw(h, "hh", 1), index=h.index), errors="coerce").fillna(1).clip(lower=0)
        if len(h) <= self.max_household_points:
            m = self._masked("households")
            sens = [c for c in detect_sensitive(self.layers["households"],
                                                self.project.layers["households"].sensitive, personal_role=True)
                    if c in m]
            cols = {"hh": _ints(hh), "grid": _col(m, "grid"), "sub": _col(m, "subgrid"), "village": _col(m, "village")}
            rows = "".join(f"[[<tr><th>{escape_html(c)}</th><td>{{p{i}}}</td></tr>]]" for i, c in enumerate(sens))
            for i, c in enumerate(sens):
                cols[f"p{i}"] = _text(m[c])
            grp = self.group(self.t("住户", "households"))
            self.add(grp, "point", h, cols, count_as="households",
                     r=np.clip(1.8 + 0.55 * np.sqrt(hh.to_numpy()), 2.5, 8).round(1).tolist(),
                     style={"color": "#fff", "weight": 0.8, "fillColor": "#6d4c41", "fillOpacity": 0.85},
                     tip=self.tt("{hh} 户[[ · 子网格 {sub}]]", "{hh|household|households}[[ · sub-grid {sub}]]"),
                     pop=self.tt("<b>住户 {hh} 户</b><table>[[<tr><th>村（社区）</th><td>{village}</td></tr>]]"
                                 "[[<tr><th>网格</th><td>{grid}</td></tr>]][[<tr><th>子网格</th><td>{sub}</td></tr>]]",
                                 "<b>{hh|household|households}</b><table>[[<tr><th>village</th><td>{village}</td></tr>]]"
                                 "[[<tr><th>grid</th><td>{grid}</td></tr>]][[<tr><th>sub-grid</th><td>{sub}</td></tr>]]")
                     + rows + "</table>")
            self.legend.append('<div class="gt-row"><span class="gt-dot" style="width:9px;height:9px;'
                               f'background:#6d4c41"></span>{self.t("住户（点大小 = 户数）", "households (dot size = households)")}'
                               '</div>')
            return
        # Many households: totals per sub-grid (else per grid, else per 250 m square), at their centre.
        xy = h.geometry.centroid
        if "subgrid" in h and h["subgrid"].notna().any():
            key, what, what_en = h["subgrid"].astype(str).where(h["subgrid"].notna(), "—"), "子网格", "sub-grid"
        elif "grid" in h and h["grid"].notna().any():
            key, what, what_en = h["grid"].astype(str).where(h["grid"].notna(), "—"), "网格", "grid"
        else:
            key = (np.floor(xy.x / 250).astype(int).astype(str) + "/" + np.floor(xy.y / 250).astype(int).astype(str))
            what, what_en = "250 米方格", "250 m square"
        w = hh.to_numpy()
        df = pd.DataFrame({"k": key.to_numpy(), "x": xy.x.to_numpy() * w, "y": xy.y.to_numpy() * w, "w": w, "n": 1})
        # A building divided between sub-grids (grids, when there are none) counts its households
        # in each part, as the sub-grids' (grids') own totals do.
        parts_col = {"子网格": "subgrid_parts", "网格": "grid_parts"}.get(what)
        if parts_col is not None and parts_col in h:
            df = _spread_divided(df, h[parts_col].tolist(), xy.x.to_numpy(), xy.y.to_numpy())
        agg = df.groupby("k", sort=True).sum()
        w = agg["w"].where(agg["w"] > 0, 1)
        import geopandas as gpd
        pts = gpd.GeoDataFrame(agg, geometry=gpd.points_from_xy(agg["x"] / w, agg["y"] / w), crs=h.crs)
        cols = {"k": _text(agg.index), "hh": _ints(agg["w"]), "n": _ints(agg["n"])}
        grp = self.group(self.t(f"住户（按{what}汇总）", f"households per {what_en}"), show=True)
        self.add(grp, "point", pts, cols, count_as="household_totals",
                 r=np.clip(1.5 + 0.6 * np.sqrt(agg["w"].to_numpy()), 2.5, 12).round(1).tolist(),
                 style={"color": "#fff", "weight": 0.8, "fillColor": "#6d4c41", "fillOpacity": 0.75},
                 minZoom=max(self.zoom + 2, self.zoom_for(self.layers["subgrids"].geometry.values, 25))
                 if len(pts) > SUBGRIDS_ALWAYS and "subgrids" in self.layers else
                 self.zoom + 2 if len(pts) > SUBGRIDS_ALWAYS else None,
                 tip=self.tt(f"{what} {{k}}：{{hh}} 户（{{n}} 处建筑）",
                             f"{what_en} {{k}}: {{hh|household|households}} ({{n|building|buildings}})"))
        self.legend.append(f'<div class="gt-row"><span class="gt-dot" style="width:11px;height:11px;'
                           f'background:#6d4c41"></span>{self.t(f"住户数（按{what}汇总）", f"households per {what_en}")}</div>')

    def places(self) -> None:
        p = self.layers.get("places")
        if p is None:
            return
        m = self._masked("places")
        raw_cat = [str(c) for c in _raw(p, "category", "other")]
        cat = [c if c in ICONS else "other" for c in raw_cat]  # icon; unknown categories keep their name
        pts = p.geometry.representative_point()
        cols = {"name": _col(m, "name"), "cat": [escape_html(category_text(c, self.lang)) for c in raw_cat],
                "grid": _grid_index(pts.values, self.layers.get("grids")),
                "prio": _col(m, "priority")}
        grp = self.group(self.t("重点场所", "key places") + (self.t("（放大后显示）", " (zoom in)")
                                                             if len(p) > MANY_PLACES else ""))
        poly = p.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
        if poly.any():
            self.add(grp, "polygon", p[poly], {}, count_as="place_areas", tolerance=self.tolerance / 2,
                     style={"color": "#6a1b9a", "weight": 1, "fill": True, "fillOpacity": 0.08, "interactive": False})
        many = len(p) > MANY_PLACES
        if many and "villages" in self.layers:  # icons once villages are big enough to hold them
            min_zoom = self.zoom_for(self.layers["villages"].geometry.values, 250)
        else:
            min_zoom = self.zoom + 2 if many else None
        self.add(grp, "icon", p, cols, count_as="places", icon=cat, minZoom=min_zoom,
                 tip="<b>{name}</b>[[<br>{cat}]]",
                 pop=self.tt("<b>{name}</b><table><tr><th>类别</th><td>{cat}</td></tr>"
                             "[[<tr><th>所在网格</th><td>{grid}</td></tr>]]"
                             "[[<tr><th>优先级</th><td>{prio}</td></tr>]]</table>",
                             "<b>{name}</b><table><tr><th>category</th><td>{cat}</td></tr>"
                             "[[<tr><th>grid</th><td>{grid}</td></tr>]]"
                             "[[<tr><th>priority</th><td>{prio}</td></tr>]]</table>"))
        present = sorted(set(raw_cat), key=lambda c: (list(ICONS).index(c) if c in ICONS else len(ICONS), c))
        self.legend.append(f'<div class="gt-group">{self.t("重点场所", "key places")}</div>' + "".join(
            f'<div class="gt-row">{icon_svg(c if c in ICONS else "other", size=16)}'
            f'{escape_html(category_text(c, self.lang))}</div>' for c in present))
        self.icons_used = present

    def routes(self) -> None:
        r = self.layers.get("routes")
        s = self.layers.get("route_stops")
        if r is None and s is None:
            return
        teams = sorted({int(t) for g in (r, s) if g is not None and "team" in g for t in g["team"].dropna()})
        tcol = {t: i % len(TEAM_COLOURS) for i, t in enumerate(teams)}
        grp = self.group(self.t("巡逻路线", "patrol routes"))
        if r is not None:
            rm = self._masked("routes")
            cols = {"team": _int_col(r, "team"), "station": _col(rm, "station"),
                    "km": [f"{v:.1f}" for v in pd.to_numeric(r.get("length_km", pd.Series(0, index=r.index)),
                                                            errors="coerce").fillna(0)],
                    "stops": _int_col(r, "stops"),
                    "start": _col(rm, "start"), "end": _col(rm, "end"),
                    "mode": [(MODE_ZH.get(str(x), escape_html(x)) if self.lang != "en" else escape_html(x))
                             for x in _raw(r, "mode")]}
            self.add(grp, "line", r, cols, count_as="routes", tolerance=1.0,
                     pal=list(TEAM_COLOURS), color=[tcol.get(int(t), 0) if pd.notna(t) else 0 for t in r["team"]],
                     style={"weight": 4, "opacity": 0.85}, arrows=90,
                     tip=self.tt("<b>第{team}队</b> {station}<br>[[{mode} · ]]{km} 公里 · {stops} 个点[[ · {start}–{end}]]",
                                 "<b>Team {team}</b> {station}<br>[[{mode} · ]]{km} km · {stops|stop|stops}"
                                 "[[ · {start}–{end}]]"))
        if s is not None:
            sm = self._masked("route_stops")
            cols = {"team": _ints(s["team"]), "num": _ints(s["seq"]), "place": _col(sm, "place"),
                    "arrive": _col(sm, "arrive"), "depart": _col(sm, "depart"), "window": _col(sm, "window"),
                    "dwell": _int_col(s, "dwell_min")}
            self.add(grp, "stop", s, cols, count_as="route_stops",
                     minZoom=self.zoom + 1 if len(s) > MANY_STOPS else None,
                     pal=list(TEAM_COLOURS), color=[tcol.get(int(t), 0) for t in s["team"]],
                     tip=self.tt("<b>第{team}队 第{num}站</b> {place}<br>到达 {arrive} · 离开 {depart}"
                                 "[[（停留 {dwell} 分钟）]][[<br>时间窗 {window}]]",
                                 "<b>Team {team} stop {num}</b> {place}<br>arrive {arrive} · leave {depart}"
                                 "[[ ({dwell} min)]][[<br>window {window}]]"))
        rows = "".join(f'<div class="gt-row"><span class="gt-line" style="border-top:4px solid '
                       f'{TEAM_COLOURS[tcol[t]]}"></span>{self.t(f"第{t}队", f"team {t}")}</div>' for t in teams)
        self.legend.append(f'<div class="gt-group">{self.t("巡逻路线（箭头为方向，数字为顺序）", "patrol routes")}</div>'
                           + rows)

    def circles(self) -> None:
        c = self.layers.get("circles")
        if c is None:
            return
        cm = self._masked("circles")
        minutes = pd.to_numeric(c["minutes"], errors="coerce") if "minutes" in c else pd.Series(np.nan, index=c.index)
        levels = sorted(set(minutes.dropna().tolist()))
        order = np.argsort(-minutes.fillna(0).to_numpy(), kind="stable")  # large circles first, below
        c, cm, minutes = c.iloc[order], cm.iloc[order], minutes.iloc[order]
        cidx = [levels.index(m) % len(CIRCLE_COLOURS) if pd.notna(m) else 0 for m in minutes]
        cols = {"min": [f"{m:g}" if pd.notna(m) else "" for m in minutes], "station": _col(cm, "station"),
                "mode": [(MODE_ZH.get(str(x), escape_html(x)) if self.lang != "en" else escape_html(x))
                         for x in _raw(c, "mode")]}
        grp = self.group(self.t("服务圈", "service circles"))
        # Neighbouring stations' circles overlap (three stations in one block in the Nanjing sample):
        # one translucent fill per circle stacked into a dark smear over those grids. The area within
        # each time is filled once, as one dissolved band per level (within 10 minutes; 10–15 minutes)
        # that never overlaps another, and every station's circle is an outline only.
        bands, kept = [], []
        inner = None
        for i, m in enumerate(levels):
            geoms = c.geometry.values[(minutes == m).to_numpy()]
            whole = shapely.union_all(shapely.make_valid(geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]))
            band = whole if inner is None else shapely.difference(whole, inner)
            inner = whole if inner is None else shapely.union(inner, whole)
            if band is not None and not band.is_empty:
                bands.append(band)
                kept.append(i)
        if bands:
            import geopandas as gpd
            cover = gpd.GeoDataFrame(geometry=bands, crs=c.crs)
            self.add(grp, "polygon", cover, {"min": [f"{levels[i]:g}" for i in kept]}, count_as="circle_cover",
                     tolerance=self.tolerance * 2, pal=list(CIRCLE_COLOURS),
                     fill=[i % len(CIRCLE_COLOURS) for i in kept], strokeOnly=True,
                     style={"stroke": False, "fillOpacity": 0.12})
            # drawn from the circles below, not features of the project: not in the map's counts
            self.counts.pop("circle_cover", None)
            self.left_out.pop("circle_cover", None)
        self.add(grp, "polygon", c, cols, count_as="circles", tolerance=self.tolerance * 2,
                 pal=list(CIRCLE_COLOURS), color=cidx, strokeOnly=True,
                 style={"weight": 2, "dashArray": "6 4", "fill": False},
                 tip=self.tt("<b>{min} 分钟{mode}服务圈</b><br>{station}", "<b>{min} min {mode} circle</b><br>{station}"))
        self.legend.append(f'<div class="gt-group">{self.t("服务圈", "service circles")}</div>' + "".join(
            f'<div class="gt-row"><span class="gt-sw" style="background:{CIRCLE_COLOURS[i % len(CIRCLE_COLOURS)]}33;'
            f'border:2px dashed {CIRCLE_COLOURS[i % len(CIRCLE_COLOURS)]}"></span>'
            + (self.t(f"{m:g} 分钟内", f"within {m:g} minutes") if i == 0 else
               self.t(f"{levels[i - 1]:g}–{m:g} 分钟", f"{levels[i - 1]:g}–{m:g} minutes")) + "</div>"
            for i, m in enumerate(levels)))

    def incidents(self) -> None:
        from .html_incidents import add_incidents
        add_incidents(self)

    def hotspots(self) -> None:
        from .html_incidents import add_hotspots
        add_hotspots(self)

    def stations(self) -> None:
        from .html_incidents import add_stations
        add_stations(self)

    def ridges(self) -> None:
        from .html_ridges import add_ridges
        add_ridges(self)

    def party(self) -> None:
        from .html_party import add_party
        add_party(self)

    def _masked(self, role: str):
        return mask_layer(self.project.layers[role], include_personal=self.include_personal)


def _panel(project, title: str | None, subtitle: str | None, counts: dict, include_personal: bool,
           lang: str = "zh", township: str | None = None, unit: str | None = None,
           notes: Sequence[tuple[str, str]] = ()) -> str:
    from ..partition.totals import household_totals
    from .titles import map_title, map_unit

    def t(zh: str, en: str) -> str:
        return zh if lang == "zh" else en if lang == "en" else f"{zh} · {en}"

    layers = project.layers
    totals = household_totals(project)  # one total for every output (partition/totals.py)
    hh = totals.imported if "households" in layers and "hh" in layers["households"].gdf else None
    parts = []
    if "villages" in layers:
        n = len(layers['villages'].gdf)
        parts.append(t(f"{n} 个村（社区）", count_en(n, "village")))
    if hh is not None:
        parts.append(t(f"{hh:,} 户", count_en(hh, "household")))
    if "grids" in layers:  # an exception grid counted apart, as the totals count its households
        n = len(layers['grids'].gdf)
        parts.append(t(totals.grids_zh(), totals.grids_en()) if totals.partitioned else
                     t(f"{n:,} 个基础网格", count_en(n, "base grid")))
    if "subgrids" in layers:
        n = len(layers['subgrids'].gdf)
        parts.append(t(f"{n:,} 个子网格", count_en(n, "sub-grid")))
    sub = escape_html(subtitle) if subtitle else " · ".join(parts)
    note = (t("含个人信息，仅限内部使用", "contains personal data, internal use only") if include_personal
            else t("个人信息已脱敏", "personal data masked"))
    name = escape_html(map_title(project, "html", title=title, township=township, lang="en" if lang == "en" else "zh"))
    maker = map_unit(project, unit=unit, township=township)
    made = escape_html(f"{t('制图单位：', 'made by ')}{maker} · ") if maker else ""
    breakdown = (f'<div class="gt-sub gt-totals">{escape_html(t(totals.text_zh(), totals.text_en()))}</div>'
                 if totals.partitioned and not subtitle else "")
    # further figures (the hot spots' line as the patrol command printed it), in the map's language
    breakdown += "".join(f'<div class="gt-sub">{escape_html(zh if lang != "en" else en)}</div>' for zh, en in notes)
    return (f'<div class="gt-panel gt-title"><h1>{name}</h1><div class="gt-sub">{sub}</div>{breakdown}'
            f'<div class="gt-sub">{made}{date.today().isoformat()} · gridtool</div>'
            f'<div class="gt-note">{note}</div>'
            f'<input id="gt-search" list="gt-keys" placeholder="{t("查找网格编码或村名", "find a grid or village")}" '
            f'autocomplete="off"><datalist id="gt-keys"></datalist></div>')


def build_html(project, *, title: str | None = None, subtitle: str | None = None, include_personal: bool = False,
               tiles: Sequence[str] | str | None = None, tiles_attr: str | None = None,
               max_household_points: int = MAX_HOUSEHOLD_POINTS, seed: int = 0,
               progress: Progress | None = None, lang: str = "zh", township: str | None = None,
               unit: str | None = None, embed_font: bool = True,
               cancelled: Callable[[], bool] | None = None) -> HtmlMap:
    """The offline map of ``project`` as one HTML document (not written; see :func:`write_html`).

    Parameters
    ----------
    project
        A :class:`gridtool.project.Project` (layers in its metric CRS).
    title, subtitle
        Shown in the top panel; default the township's title (:func:`.titles.map_title`, never a
        file name) and the counts.
    lang
        ``"zh"`` (default: every label, tooltip, legend, search box and scale bar in Chinese,
        metres only), ``"en"`` or ``"both"``.
    township, unit
        The place in the default title and the 制图单位 shown under it (default: the place).
    embed_font
        Embed the characters the page uses from the bundled CJK font (an ``@font-face`` data URL,
        :func:`.webfont.font_face_css`), so Chinese renders on machines without a CJK font.
    include_personal
        Show names, ID-card and phone numbers unmasked (default: masked).
    tiles
        Tile URL templates (``{z}/{x}/{y}``), e.g. Tianditu with a key or ``file:///…/{z}/{x}/{y}.png``;
        the first is the base map, others overlays (labels). None: no base map, nothing fetched.
    tiles_attr
        Attribution of the tiles (shown escaped).
    max_household_points
        Up to this many household features drawn one by one; above, totals per sub-grid.
    seed
        Another valid colouring of the grids (same as the wall map's ``seed``).
    progress
        ``progress(fraction, message)``.
    cancelled
        Asked between layers, around each layer's encoding and before rendering and embedding the
        font; once true the build stops with CancelledError.
    """
    import folium

    t0 = time.perf_counter()
    tiles = [tiles] if isinstance(tiles, str) else list(tiles or [])
    for url in tiles:
        if not all(k in url for k in ("{z}", "{x}", "{y}")):
            raise GridtoolError(f"瓦片地址缺少 {{z}}/{{x}}/{{y}}：{url}",
                                f"tile URL template lacks {{z}}/{{x}}/{{y}}: {url}",
                                fix_zh="例如 --tiles 'file:///D:/tiles/{z}/{x}/{y}.png'。",
                                fix_en="e.g. --tiles 'file:///srv/tiles/{z}/{x}/{y}.png'.")
    b = _Builder(project, include_personal=include_personal, max_household_points=max_household_points, seed=seed,
                 progress=progress, lang=lang, cancelled=cancelled)
    attr = escape_html(tiles_attr or b.t("用户提供的瓦片", "user tiles"))
    for i, url in enumerate(tiles):
        folium.TileLayer(tiles=url, attr=attr, name=(b.t("底图", "basemap") if i == 0 else b.t(f"注记 {i}", f"overlay {i}")),
                         overlay=i > 0, control=True, max_zoom=20, max_native_zoom=18).add_to(b.map)
    steps = [("grids", b.grids), ("special_grids", b.special_grids), ("context", b.context),
             ("villages", b.villages), ("subgrids", b.subgrids), ("ridges", b.ridges),
             ("corridors", b.corridors),
             ("circles", b.circles), ("households", b.households), ("party", b.party), ("incidents", b.incidents),
             ("hotspots", b.hotspots), ("routes", b.routes), ("places", b.places), ("stations", b.stations)]
    for i, (name, fn) in enumerate(steps):
        b._step(0.05 + 0.85 * i / len(steps), f"网页地图：{ROLE_ZH.get(name, name)} / HTML map: {name}")
        fn()
    icons = {c: icon_svg(c) for c in ICONS}
    bounds = [[b.bounds[1], b.bounds[0]], [b.bounds[3], b.bounds[2]]]
    finish = json_for_script({"prefix": "Leaflet | gridtool", "bounds": bounds, "lang": b.lang})
    _script_element(b.name, f"gridtool.finish(MAP, {finish});").add_to(b.map)
    folium.LayerControl(collapsed=len(b.counts) > 12).add_to(b.map)
    root = b.map.get_root()
    root.header.add_child(_raw_element(head_html() + f"<script>gridtool.icons = {json_for_script(icons)};</script>\n"),
                          name="gridtool_assets", index=0)
    from .titles import map_title
    page_title = map_title(project, "html", title=title, township=township, lang="en" if b.lang == "en" else "zh")
    root.header.add_child(_raw_element(f"<title>{escape_html(page_title)}</title>\n"), name="gt_title")
    # gridtool's mark: a later export may replace this file without --force (gridtool.ownership).
    root.header.add_child(_raw_element('<meta name="generator" content="gridtool">\n'), name="gt_generator", index=0)
    from .html_incidents import hotspot_headline
    notes = [line for line in (hotspot_headline(b),) if line]
    root.html.add_child(_raw_element(_panel(project, title, subtitle, b.counts, include_personal, lang=b.lang,
                                            township=township, unit=unit, notes=notes)), name="gt_panel")
    root.html.add_child(_raw_element(
        f'<details class="gt-panel gt-legend" open><summary>{b.t("图例", "legend")}</summary>' + "".join(b.legend)
        + "</details>"), name="gt_legend")
    b._step(0.93, "网页地图：写出 / HTML map: rendering")
    html = root.render()
    b.check()
    if html.count("<html>") >= 1:  # the page's language: browsers choose CJK glyph shapes by it
        html = html.replace("<html>", f'<html lang="{"en" if b.lang == "en" else "zh-CN"}">', 1)
    if embed_font:
        from .webfont import embed_font_face
        b._step(0.96, "网页地图：嵌入字体 / HTML map: embedding the font")
        html = embed_font_face(html)
        b.check()
    html, removed = strip_external(html)
    if removed:  # a folium upgrade added an asset: better a working map than a blank one
        import logging
        logging.getLogger(__name__).warning("removed external references from the HTML map: %s", removed)
    bad = external_references(html, allowed=tuple(tiles))
    if bad:
        raise RuntimeError(f"the HTML map still references the network: {bad[:3]}")
    return HtmlMap(html=html, counts=b.counts, seconds=time.perf_counter() - t0, left_out=b.left_out)


def write_html(project, path: str | Path, **kwargs) -> HtmlMap:
    """Build the map (:func:`build_html` keywords) and write it atomically to ``path``."""
    from ..atomic import write_bytes_atomic

    from .outputs import check_not_input

    path = Path(path)
    check_not_input(project, [path])
    m = build_html(project, **kwargs)
    check_cancelled(kwargs.get("cancelled"))
    write_bytes_atomic(path, m.html.encode("utf-8"))
    m.path = path
    return m


__all__ = ["HtmlMap", "MAX_HOUSEHOLD_POINTS", "build_html", "write_html"]
