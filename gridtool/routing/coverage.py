"""Coverage analysis as ``gridtool coverage`` and the app's coverage dialog run it: service circles
around the stations, the share of the demand (households or key places) within each time, the
features left uncovered with their minutes to the nearest station, households per village, and,
when asked, new station sites (:func:`gridtool.routing.siting.site_stations`).

One function for both faces, so the figures the app shows are the ones the command line prints:
:attr:`CoverageResult.messages` holds those lines, in Chinese and English.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import CancelledError
from ..plurals import count_en, plural_en
from ..roles import PLACE_CATEGORIES
from .demand import Demand, coverage_by_village, feature_names, nearest_times, village_label
from .graph import RoadGraph, UnreachableError
from .modes import MODE_ZH
from .snapping import OFF_ROAD_FIX_EN, OFF_ROAD_FIX_ZH, off_road_words, snap

MAX_SNAP_M = 300.0  # a station farther than this from every road has no circle (as service_circles)


@dataclass
class MinuteCoverage:
    """Coverage within one time limit.

    Attributes
    ----------
    minutes : float
        The time limit.
    covered, total : float
        Demand weight covered (households, or places) and in all.
    uncovered : geopandas.GeoDataFrame
        The features not covered: ``name``, ``category``, ``minutes_to_station`` (NaN: not
        reachable), ``nearest_station``, ``hh`` (households), ``village``, ``src_id``.
    villages : pandas.DataFrame or None
        Households per village (:func:`~gridtool.routing.demand.coverage_by_village`); None for places.
    """

    minutes: float
    covered: float
    total: float
    uncovered: gpd.GeoDataFrame
    villages: pd.DataFrame | None = None

    @property
    def share(self) -> float:
        return self.covered / self.total if self.total else 0.0


@dataclass
class CoverageResult:
    """What :func:`analyse_coverage` returns.

    Attributes
    ----------
    mode : str
        The travel mode.
    circles : geopandas.GeoDataFrame
        The service circles (``new`` marks those of new sites when siting ran).
    demand : Demand or None
        What was covered (None: circles only).
    siting : gridtool.routing.siting.Siting or None
        The sites chosen, when asked.
    per_minute : list of MinuteCoverage
        One per time limit, in the order asked.
    messages : list of (str, str)
        The report lines, (Chinese, English), as the command line prints them.
    """

    mode: str
    circles: gpd.GeoDataFrame
    demand: Demand | None = None
    siting: object = None
    per_minute: list[MinuteCoverage] = field(default_factory=list)
    messages: list[tuple[str, str]] = field(default_factory=list)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The layers of ``coverage.gpkg``: ``circles``, ``sites`` and ``uncovered_{N}min``."""
        out = {"circles": self.circles}
        if self.siting is not None:
            out["sites"] = self.siting.chosen
        for c in self.per_minute:
            out[f"uncovered_{c.minutes:g}min"] = c.uncovered
        return out

    def summary(self, lang: str = "zh") -> str:
        """The report in ``lang`` (``zh``, ``en``, or ``both``: each Chinese line, then its English)."""
        return "\n".join(zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}" for zh, en in self.messages)


def _uncovered_layer(demand: Demand, unc: np.ndarray, secs, which, st_names) -> gpd.GeoDataFrame:
    gdf = demand.features.iloc[unc]
    return gpd.GeoDataFrame({
        "name": [demand.names[i] for i in unc],
        "category": demand.category[unc],
        "minutes_to_station": np.where(np.isfinite(secs[unc]), secs[unc] / 60, np.nan),
        "nearest_station": [st_names[which[i]] if which[i] >= 0 else None for i in unc],
        **({"hh": demand.weight[unc]} if demand.kind == "households" else {}),
        **({"village": gdf["village"].to_numpy()} if "village" in gdf else {}),
        **({"village_code": gdf["village_code"].to_numpy()} if "village_code" in gdf else {}),
        "src_id": gdf["src_id"].astype(str).to_numpy() if "src_id" in gdf else [str(i) for i in unc],
    }, geometry=gdf.geometry.to_numpy(), crs=demand.features.crs)


def _named_zh(name, category) -> str:
    """``东郊水库监控（监控点）``: the category in the product's Chinese words (:data:`PLACE_CATEGORIES`),
    left out when unknown, empty or already in the label (``监控点（第54行）``)."""
    cat = str(category or "")
    word = PLACE_CATEGORIES.get(cat, "" if cat.isascii() else cat)
    return f"{name}（{word}）" if word and word not in str(name) else str(name)


def _named_en(name, category) -> str:
    cat = str(category or "")
    return f"{name} ({cat})" if cat else str(name)


def _uncovered_lines(m: float, layer: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    """Places not covered within ``m`` minutes, farthest (and unreachable) first, at most 50 named."""
    out = []
    order = layer.sort_values("minutes_to_station", ascending=False, na_position="first")
    shown = order.head(50)
    if len(order):
        out.append((f"  {m:g} 分钟内未覆盖的 {len(order):,} 处：", f"  {len(order):,} not covered within {m:g} min:"))
    for r in shown.itertuples():
        zh, en = _named_zh(r.name, r.category), _named_en(r.name, r.category)
        if np.isfinite(r.minutes_to_station):
            out.append((f"    {zh}：最近 {r.nearest_station} {r.minutes_to_station:.2f} 分钟",
                        f"    {en}: nearest {r.nearest_station}, {r.minutes_to_station:.2f} min"))
        else:
            out.append((f"    {zh}：路网上无法到达", f"    {en}: not reachable on the road network"))
    if len(order) > len(shown):
        # the layer's name in coverage.gpkg: points and school grounds are written as two tables
        from ..geomtypes import split_by_family
        names = [n for n, _ in split_by_family(f"uncovered_{m:g}min", layer)]
        out.append((f"    …… 另有 {len(order) - len(shown):,} 处（见 {'、'.join(names)} 图层）",
                    f"    … {len(order) - len(shown):,} more ({plural_en(len(names), 'layer')} {', '.join(names)})"))
    return out


def analyse_coverage(graph: RoadGraph, stations: gpd.GeoDataFrame, *, minutes, demand: Demand | None = None,
                     candidates: gpd.GeoDataFrame | None = None, sites: int | str | None = None,
                     time_limit: float = 30.0, villages: gpd.GeoDataFrame | None = None,
                     progress=None, cancelled=None) -> CoverageResult:
    """Service circles, coverage of ``demand`` within each of ``minutes``, and new sites.

    Parameters
    ----------
    graph : RoadGraph
        The road graph of the travel mode.
    stations : geopandas.GeoDataFrame
        The existing stations (``name``).
    minutes : list of float
        Time limits; siting uses the first.
    demand : Demand, optional
        What to cover (:func:`~gridtool.routing.demand.make_demand`); None: circles only.
    candidates : geopandas.GeoDataFrame, optional
        Candidate sites (:func:`~gridtool.routing.project_layers.candidate_sites`), with ``sites``.
    sites : int or "auto", optional
        New sites to choose (``--sites``): N covering the most, or the fewest covering all.
    time_limit : float
        Solver seconds for siting.
    villages : geopandas.GeoDataFrame, optional
        Village polygons, for households per village when households have no ``village``.
    progress, cancelled : callable, optional
        ``progress(fraction, message)`` and ``cancelled()`` as every long job takes them.

    Returns
    -------
    CoverageResult
    """
    from .circles import service_circles
    say = progress or (lambda *_: None)
    stop = cancelled or (lambda: False)

    def check():
        if stop():
            raise CancelledError()

    mins = [float(m) for m in minutes]
    messages: list[tuple[str, str]] = []
    # A station with no road near it has no circle and covers nothing: named with the fix, never
    # a silently lower coverage (mostly coordinates picked on AMap/Baidu and read as WGS84).
    off_road = list(np.asarray(feature_names(stations, "站点"), dtype=object)[
        ~snap(graph, stations.geometry.representative_point().values, max_distance=MAX_SNAP_M).ok])
    if off_road and len(off_road) == len(stations):
        zh, en = off_road_words(off_road, MAX_SNAP_M, "没有服务圈，无法统计覆盖", "no circle can be drawn")
        raise UnreachableError(zh, en, fix_zh=OFF_ROAD_FIX_ZH, fix_en=OFF_ROAD_FIX_EN, layer="stations")
    if off_road:
        messages.append(off_road_words(off_road, MAX_SNAP_M, f"没有服务圈、不计入覆盖。解决办法：{OFF_ROAD_FIX_ZH}",
                                       f"they get no circle and cover nothing. Fix: {OFF_ROAD_FIX_EN}"))
    if demand is not None:
        messages.append((f"覆盖对象：{demand.label_zh}，共 {demand.total:,.0f} {demand.unit_zh}（{len(demand.features):,} 个要素）",
                         f"demand: {demand.label_en}, {demand.total:,.0f} {demand.unit_en} "
                         f"({count_en(len(demand.features), 'feature')})"))
    all_st, siting, new_sites = stations, None, None
    if sites:
        from .siting import site_stations
        say(0.1, "选址求解 / choosing sites")
        siting = site_stations(graph, demand.features, candidates, p=sites, minutes=mins[0], existing=stations,
                               weights=demand.weight, names=demand.names, time_limit=time_limit)
        check()
        messages.append((siting.summary("zh", demand.unit_zh, demand.unit_en),
                         siting.summary("en", demand.unit_zh, demand.unit_en)))
        new_sites = siting.new_sites
        if len(new_sites):
            all_st = pd.concat([stations.assign(new=False), new_sites.assign(new=True)], ignore_index=True)
            all_st = gpd.GeoDataFrame(all_st, geometry="geometry", crs=stations.crs)
    say(0.5, "计算服务圈 / computing circles")
    circles = service_circles(graph, all_st, minutes=mins)
    check()
    if "new" in all_st:
        per = dict(zip(feature_names(all_st, "站点"), all_st["new"]))
        circles["new"] = circles["station"].map(per).fillna(False).astype(bool)
    result = CoverageResult(mode=graph.mode, circles=circles, demand=demand, siting=siting, messages=messages)
    if demand is None:
        return result
    say(0.8, "统计覆盖 / counting coverage")
    st_names = feature_names(all_st, "站点")
    ss = snap(graph, all_st.geometry.representative_point().values)
    tg = snap(graph, demand.points())
    secs, which = nearest_times(graph, ss, tg)
    check()
    with_new = new_sites is not None and len(new_sites)
    after_zh, after_en = ("（含新增站点）", " (new sites included)") if with_new else ("", "")
    for m in mins:
        covered = secs <= m * 60
        cw = float(demand.weight[covered].sum())
        share = cw / demand.total if demand.total else 0.0
        messages.append((f"{MODE_ZH[graph.mode]} {m:g} 分钟服务圈覆盖 {cw:,.0f} / {demand.total:,.0f} {demand.unit_zh}"
                         f"（{share:.1%}）{after_zh}",
                         f"{m:g}-minute {graph.mode} service circles cover {cw:,.0f} of {demand.total:,.0f} "
                         f"{demand.unit_en} ({share:.1%}){after_en}"))
        layer = _uncovered_layer(demand, np.flatnonzero(~covered), secs, which, st_names)
        vt = None
        if demand.kind == "households":
            vt = coverage_by_village(demand, covered, villages)
            if vt.attrs.get("note") and m == mins[0]:
                messages.append(vt.attrs["note"])
            for r in vt[vt["uncovered_hh"] > 0].head(10).itertuples():
                label = village_label(r)
                messages.append((f"  {label}：未覆盖 {r.uncovered_hh:,.0f} 户（覆盖 {r.share:.0%}）",
                                 f"  {label}: {count_en(r.uncovered_hh, 'household', spec=',.0f')} uncovered ({r.share:.0%} covered)"))
        else:
            messages += _uncovered_lines(m, layer)
        result.per_minute.append(MinuteCoverage(m, cw, demand.total, layer, vt))
    return result


__all__ = ["CoverageResult", "MinuteCoverage", "analyse_coverage"]
