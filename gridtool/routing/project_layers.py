"""The routing engine's side of a project: the layers a routing job reads (stations, candidate
sites, grid areas, the roads as a graph) and the layers a patrol plan adds (``routes``,
``route_stops``, ``hotspots``).

Shared by the command line (:mod:`gridtool.commands.patrol`) and the desktop app
(:mod:`gridtool.ui.patrol_dialog`), so both pick stations and build graphs the same way.
"""

from __future__ import annotations

from ..errors import GridtoolError
from ..plurals import plural_en


def stations_of(project, *, category: str = "police"):
    """The stations layer, or else the places of ``category`` (police stations by default), matched
    as ``--place-category`` matches (any case, the Chinese label: ``派出所`` is ``police``, or the
    category as the file wrote it, a KML folder's name)."""
    from .demand import category_counts, match_categories
    if "stations" in project.layers and len(project.layers["stations"].gdf):
        return project.layers["stations"].gdf
    category = str(category or "police").strip() or "police"
    places = project.layers.get("places")
    counts = []
    if places is not None and "category" in places.gdf and len(places.gdf):
        try:
            st = match_categories(places.gdf, category)
        except GridtoolError:  # said below, with the stations' own fix
            counts = category_counts(places.gdf)
        else:
            st = st.copy()
            st["geometry"] = st.geometry.representative_point()
            return st
    listed_zh = f"。重点场所现有类别及个数：{'、'.join(f'{c} {n}' for c, n in counts[:30])}" if counts else ""
    listed_en = f". Categories of the places, with counts: {', '.join(f'{c} {n}' for c, n in counts[:30])}" \
        if counts else ""
    raise GridtoolError(
        f"没有站点：既无站点图层，也无类别为 {category} 的重点场所{listed_zh}",
        f"no stations: no stations layer and no places of category {category!r}{listed_en}",
        fix_zh="用 --stations 传入站点（派出所、服务站）图层" + ("，或用 --station-category 指定上面列出的类别之一"
                                                   "（不区分大小写，可写中文，如 派出所）。" if counts else "。"),
        fix_en="give the stations (police stations, service stations) with --stations" + (
            ", or one of the categories listed above with --station-category (any case; 派出所 = police)."
            if counts else "."), layer="stations")


def places_to_visit(project, categories=None):
    """The key places a patrol visits: every place of the project (``categories`` None), or those
    of ``categories`` (a comma list or a list: ``school,market`` or ``学校,市场``, any case), the
    categories ticked in the app's patrol dialog and ``gridtool patrol --place-category``. None
    without a places layer; a choice that matches no place is refused with the categories present."""
    from .demand import match_categories
    places = project.layers.get("places")
    if places is None and categories is not None and str(categories).strip():
        # a category asked for and no register to find it in: not a patrol of hot spots alone, unsaid
        raise GridtoolError(f"选了场所类别 {categories}，但项目没有重点场所图层",
                            f"places of {categories} were asked for, but the project has no places layer",
                            fix_zh="导入重点场所（--places 文件），或去掉 --place-category。",
                            fix_en="import the places (--places FILE), or leave out --place-category.",
                            layer="places", field="category")
    if places is None or categories is None:
        return None if places is None else places.gdf
    words = [categories] if isinstance(categories, str) else [str(c) for c in categories]
    spec = ",".join(w for w in words if str(w).strip())
    if not spec.strip():
        raise GridtoolError("没有选中要巡查的场所", "no places chosen to visit", fix_zh="至少选一类场所（如 --place-category school）。",
                            fix_en="choose at least one category (e.g. --place-category school).", layer="places",
                            field="category")
    return match_categories(places.gdf, spec, option="--place-category", purpose_zh="巡查场所",
                            purpose_en="places to visit")


def candidate_sites(project, categories: str):
    """Candidate sites for new stations: the places of ``categories`` (``"places"`` for every place,
    else a comma list such as ``"townhall,school,market"``, any case), as points."""
    from .demand import match_categories
    places = project.layers.get("places")
    if places is None:
        raise GridtoolError("没有候选点：需要重点场所图层", "no candidate sites: needs the places layer",
                            fix_zh="用 --places 传入候选点（如村委会、路口）。", fix_en="give candidates with --places.",
                            layer="places")
    c = match_categories(places.gdf, categories, option="--candidates").copy()
    c["geometry"] = c.geometry.representative_point()
    return c


def grid_areas(project, codes: list[str]) -> list[tuple[str, object]]:
    """(code, polygon) of each grid code, looked up in grids, sub-grids and special grids."""
    found, known = {}, []
    for role in ("grids", "subgrids", "special_grids"):
        lyr = project.layers.get(role)
        if lyr is None or "code" not in lyr.gdf:
            continue
        codes_here = lyr.gdf["code"].astype(str).tolist()
        known += codes_here
        for c, g in zip(codes_here, lyr.gdf.geometry):
            if c in codes and c not in found:
                found[c] = g
    if not known:
        raise GridtoolError("项目中没有网格", "the project has no grids", fix_zh="先运行 gridtool partition 划分网格。",
                            fix_en="run gridtool partition first.", layer="grids")
    missing = [c for c in codes if c not in found]
    if missing:
        sample = "、".join(known[:12]) + ("…" if len(known) > 12 else "")
        raise GridtoolError(f"找不到网格编码：{'、'.join(missing)}；已有编码如：{sample}",
                            f"no grid with {plural_en(len(missing), 'code')} {', '.join(missing)}; codes look like: {', '.join(known[:12])}",
                            fix_zh="用 gridtool info 或导出的网格表查看编码。",
                            fix_en="see the codes with gridtool info or the exported grid table.", layer="grids",
                            field="code")
    return [(c, found[c]) for c in codes]


def seal_area(project, text: str) -> tuple[str, object]:
    """The area ``gridtool seal --area`` and the app's seal dialog close: a village by name or
    code, or a grid (base grid, sub-grid or special grid) by code. Returns ``(label, polygon)``.

    Raises
    ------
    GridtoolError
        No village or grid is so named; the message lists the closest names and codes.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from gridtool.layers import Layer
    >>> from gridtool.project import Project
    >>> v = gpd.GeoDataFrame({"name": ["五老村社区"], "code": ["320102900009"]}, geometry=[shapely.box(0, 0, 1, 1)])
    >>> seal_area(Project(layers={"villages": Layer(role="villages", gdf=v)}), "320102900009")[0]
    '五老村社区'
    """
    import difflib
    want = str(text).strip()
    known: list[str] = []
    for role, columns in (("villages", ("name", "code")), ("grids", ("code",)), ("subgrids", ("code",)),
                          ("special_grids", ("code", "name"))):
        lyr = project.layers.get(role)
        if lyr is None:
            continue
        gdf = lyr.gdf
        for col in columns:
            if col not in gdf:
                continue
            values = gdf[col].astype("string").str.strip()
            hit = (values == want).fillna(False).to_numpy()
            if hit.any():
                shape = gdf.geometry[hit].union_all() if hit.sum() > 1 else gdf.geometry[hit].iloc[0]
                label = str(gdf["name"][hit].iloc[0]) if role == "villages" and "name" in gdf else want
                if role != "villages":
                    label = f"网格 {want}"
                if shape is not None and not shape.is_empty:
                    return label, shape
            known += [v for v in values.dropna().tolist() if v]
    if not known:
        raise GridtoolError("项目中没有村或网格可供封控", "the project has no villages or grids to seal",
                            fix_zh="用 --villages 传入村界，或改用 --exits 卡口点图层。",
                            fix_en="give the villages with --villages, or the exits with --exits.", layer="villages")
    close = difflib.get_close_matches(want, known, n=6, cutoff=0.3)
    close += [k for k in known if want and (want in k or k in want) and k not in close][:6 - len(close)]
    sample = close or known[:8]
    lead_zh = "是不是：" if close else "已有如："
    lead_en = "did you mean: " if close else "names and codes look like: "
    raise GridtoolError(f"找不到村或网格“{want}”；{lead_zh}{'、'.join(sample)}",
                        f"no village or grid named or coded {want!r}; {lead_en}{', '.join(sample)}",
                        fix_zh="--area 写村名、村代码或网格编码（gridtool info 或导出的网格表可查）。",
                        fix_en="give --area a village name or code, or a grid code (see gridtool info or the "
                               "exported grid table).", layer="villages", field="name")


def road_graph(project, mode: str = "walk", *, node_crossings: str = "auto", speeds: dict | None = None,
               maxspeed: bool = True, snap: float | None = None):
    """The road graph of the project's ``roads`` layer for ``mode`` (and its DEM for walking slopes).

    Parameters
    ----------
    project
        A :class:`gridtool.project.Project` with a ``roads`` layer.
    mode
        ``"walk"``, ``"bicycle"`` or ``"car"``.
    node_crossings, speeds, maxspeed
        As for :func:`gridtool.routing.graph.build_graph` (``--node-crossings``, ``--speed``,
        ``--no-maxspeed`` on the command line).
    snap
        ``build_graph``'s ``snap_tolerance`` (``--snap M``; None: 3 m for a CAD-like layer, 0 for a
        noded one).

    Raises
    ------
    GridtoolError
        The project has no roads layer.
    """
    from .graph import build_graph
    if "roads" not in project.layers:
        raise GridtoolError("没有道路图层", "there is no roads layer", fix_zh="用 --roads 传入道路。",
                            fix_en="give the roads with --roads.", layer="roads")
    return build_graph(project.layers["roads"].gdf, mode=mode, dem=project.dem, node_crossings=node_crossings,
                       speeds=speeds, maxspeed=maxspeed, snap_tolerance=snap)


def add_routes_to_project(project, plan, hotspots=None) -> None:
    """Put a patrol plan into the project as layers ``routes`` (lines) and ``route_stops``, and
    ``hotspots`` when it was planned from incidents (a stale ``hotspots`` layer is removed).

    ``hotspots`` (the :class:`~gridtool.routing.hotspots.HotSpots` the plan was made from) keeps
    its summary figures in ``parameters["hotspots"]``, so that the HTML map states the line the
    command printed."""
    from ..layers import Layer
    project.layers["routes"] = Layer(role="routes", gdf=plan.routes, source="gridtool patrol")
    project.layers["route_stops"] = Layer(role="route_stops", gdf=plan.stops, source="gridtool patrol")
    if plan.hotspots is not None:
        project.layers["hotspots"] = Layer(role="hotspots", gdf=plan.hotspots, source="gridtool patrol")
    else:
        project.layers.pop("hotspots", None)
    if plan.hotspots is not None and hotspots is not None:
        project.parameters["hotspots"] = hotspots.record()
    else:
        project.parameters.pop("hotspots", None)
    project.parameters["patrol_unserved"] = plan.unserved_record()  # the app's routes panel lists them
    from ..layer_deps import remade
    remade(project.parameters, ("routes", "route_stops", "hotspots"))


def patrol_options(*, teams: int, shift: float, start: str, mode: str, depot: str | None = None,
                   dwell: float | None = None) -> dict:
    """The options a patrol was planned with, as the project keeps them (``parameters["patrol"]``):
    ``gridtool patrol`` and the app's patrol dialog store the same record, so a project says how its
    routes were made whichever made them.

    Parameters
    ----------
    teams, shift, start, mode, depot, dwell
        As ``--teams``, ``--shift`` (minutes), ``--start`` (HH:MM), ``--mode``, ``--depot`` (None: every
        station) and ``--dwell`` (None: the defaults).

    Returns
    -------
    dict
        Those six, by name.
    """
    return {"teams": teams, "shift": shift, "start": start, "mode": mode, "depot": depot, "dwell": dwell}


__all__ = ["add_routes_to_project", "patrol_options", "candidate_sites", "grid_areas", "road_graph", "seal_area", "stations_of"]
