"""``gridtool patrol``, ``gridtool coverage`` and ``gridtool walk``, and the routing part of ``gridtool demo``.

Wiring (in ``gridtool/cli.py``): ``from .routing.commands import register`` and, after the other
subcommands, ``register(sub, add_role_arguments)``. Both commands take a project ``.gpkg`` or the
layers by role, like ``validate``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import GridtoolError
from .modes import MODE_ZH, MODES

# geopandas, pyogrio and the solvers are imported inside the functions: registering the commands
# must not slow down every ``gridtool`` start.


def _say(args, zh: str, en: str) -> None:
    lang = getattr(args, "lang", "zh")
    print(zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}")


def _project(args):
    from ..cli import _project_from_args, _sources
    from ..project import Project
    if getattr(args, "project", None):
        if _sources(args):
            raise GridtoolError("请只给出项目文件或按角色的图层之一", "give a project or layers by role, not both",
                                fix_zh="去掉其中一种。", fix_en="drop one of them.")
        return Project.open(args.project)
    return _project_from_args(args)


def stations_of(project, *, category: str = "police"):
    """The stations layer, or else the places of ``category`` (police stations by default)."""
    if "stations" in project.layers and len(project.layers["stations"].gdf):
        return project.layers["stations"].gdf
    places = project.layers.get("places")
    if places is not None and "category" in places.gdf:
        st = places.gdf[places.gdf["category"].astype(str) == category]
        if len(st):
            st = st.copy()
            st["geometry"] = st.geometry.representative_point()
            return st
    raise GridtoolError(
        "没有站点：既无站点图层，也无类别为派出所的重点场所",
        f"no stations: no stations layer and no places of category {category!r}",
        fix_zh="用 --stations 传入站点（派出所、服务站）图层。",
        fix_en="give the stations (police stations, service stations) with --stations.", layer="stations")


def _graph(project, mode: str):
    from .graph import build_graph
    if "roads" not in project.layers:
        raise GridtoolError("没有道路图层", "there is no roads layer", fix_zh="用 --roads 传入道路。",
                            fix_en="give the roads with --roads.", layer="roads")
    return build_graph(project.layers["roads"].gdf, mode=mode, dem=project.dem)


def _write_gpkg(path: Path, layers: dict) -> Path:
    """The non-empty layers into one GeoPackage (1.2, as projects are), atomically."""
    import pyogrio

    from ..atomic import atomic_gpkg
    from ..project import GPKG_OPTIONS
    todo = {name: gdf for name, gdf in layers.items() if len(gdf)}
    if todo:
        with atomic_gpkg(path) as tmp:
            for name, gdf in todo.items():
                pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG", dataset_options=GPKG_OPTIONS)
    return path


def add_routes_to_project(project, plan) -> None:
    """Put a patrol plan into the project as layers ``routes`` (lines) and ``route_stops``, and
    ``hotspots`` when it was planned from incidents (a stale ``hotspots`` layer is removed)."""
    from ..layers import Layer
    project.layers["routes"] = Layer(role="routes", gdf=plan.routes, source="gridtool patrol")
    project.layers["route_stops"] = Layer(role="route_stops", gdf=plan.stops, source="gridtool patrol")
    if plan.hotspots is not None:
        project.layers["hotspots"] = Layer(role="hotspots", gdf=plan.hotspots, source="gridtool patrol")
    else:
        project.layers.pop("hotspots", None)


def write_patrol_outputs(project, plan, out: Path, *, name: str = "patrol", hotspots=None) -> dict:
    """GeoPackage (project CRS), GPX/KML (WGS84), CSV stop list and route-card JSON; with
    ``hotspots`` (a :class:`HotSpots`) also the ``hotspots`` and ``hotspot_streets`` layers."""
    from .export import write_gpx, write_kml, write_stops_csv
    out.mkdir(parents=True, exist_ok=True)
    layers = {"routes": plan.routes, "route_stops": plan.stops}
    if plan.hotspots is not None:
        layers["hotspots"] = plan.hotspots
    if hotspots is not None:
        layers["hotspot_streets"] = hotspots.streets
    files = {
        "gpkg": _write_gpkg(out / f"{name}.gpkg", layers),
        "gpx": write_gpx(out / f"{name}.gpx", plan.stops, plan.routes, name=f"{project.name} 巡逻路线"),
        "kml": write_kml(out / f"{name}.kml", plan.stops, plan.routes, name=f"{project.name} 巡逻路线"),
        "csv": write_stops_csv(out / f"{name}-stops.csv", plan.stops),
    }
    cards = out / f"{name}-cards.json"
    cards.write_text(json.dumps({"project": project.name, "start": plan.start, "shift_minutes": plan.shift_minutes,
                                 "cards": plan.route_cards(),
                                 "unserved": plan.unserved.to_dict(orient="records")},
                                ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    files["cards"] = cards
    return {k: str(v) for k, v in files.items()}


def cmd_patrol(args) -> int:
    from .hotspots import find_hotspots, incident_share_near
    from .patrol import pick_depot, plan_patrol
    project = _project(args)
    stations = pick_depot(stations_of(project, category=args.station_category), args.depot)
    places = project.layers["places"].gdf if "places" in project.layers else None
    incidents = (project.layers["incidents"].gdf if "incidents" in project.layers and not args.no_hotspots
                 else None)
    if places is None and incidents is None:
        raise GridtoolError("没有重点场所图层，也没有警情图层", "there is no places layer and no incidents layer",
                            fix_zh="用 --places 传入重点场所，或用 --incidents 传入警情。",
                            fix_en="give the key places with --places, or incidents with --incidents.",
                            layer="places")
    graph = _graph(project, args.mode)
    for p in graph.problems:
        print(p.format(None if args.lang == "both" else args.lang))
    hs = None
    if incidents is not None:
        hs = find_hotspots(graph, incidents, bandwidth=args.hotspot_bandwidth, max_spots=args.max_hotspots)
        print(hs.summary(args.lang))
    common = dict(teams=args.teams, shift_minutes=args.shift, start=args.start,
                  dwell_minutes=args.dwell if args.dwell is not None else 5, max_stops=args.max_stops,
                  balance=not args.no_balance, time_limit=args.time_limit, seed=args.seed)
    plan = plan_patrol(graph, stations, places, hotspots=hs,
                       hotspot_dwell=args.dwell if args.dwell is not None else 12,
                       strict=not args.lenient, **common)
    out = Path(args.out)
    files = write_patrol_outputs(project, plan, out, hotspots=hs)
    print(plan.summary(args.lang))
    if hs is not None:
        near = incident_share_near(plan.routes, incidents, metres=100)
        line_zh = f"路线 100 米内的警情：{near:.0%}"
        line_en = f"incidents within 100 m of the routes: {near:.0%}"
        has_places = places is not None and len(places) and (
            "category" not in places or bool((places["category"].astype(str) != "police").any()))
        if has_places:
            base = plan_patrol(graph, stations, places, strict=False, **common)
            before = incident_share_near(base.routes, incidents, metres=100)
            line_zh += f"；同样队伍和班次、不考虑警情时为 {before:.0%}"
            line_en += f"; {before:.0%} with the same teams and shift planned without incidents"
        else:
            before = None
            line_zh += "（没有重点场所，不考虑警情时无可巡逻的地点）"
            line_en += " (no key places: without incidents there would be nothing to patrol)"
        _say(args, line_zh, line_en)
        project.parameters["patrol_incident_share_100m"] = {"with": near, "without": before}
    if not args.no_save:
        add_routes_to_project(project, plan)
        project.parameters["patrol"] = {k: v for k, v in (("teams", args.teams), ("shift", args.shift),
                                                          ("start", args.start), ("mode", args.mode),
                                                          ("depot", args.depot), ("dwell", args.dwell))}
        target = Path(args.project) if getattr(args, "project", None) else out / "project.gpkg"
        project.save(target)
        files["project"] = str(target)
        _say(args, f"路线已存入项目 {target}（可再用 gridtool export {target} --route-cards 卡.pdf 打印路线卡）",
             f"routes stored in the project {target} (print cards with: gridtool export {target} --route-cards "
             "cards.pdf)")
    _say(args, "已写入：" + "，".join(files.values()), "written: " + ", ".join(files.values()))
    return 0


def _grid_areas(project, codes: list[str]) -> list[tuple[str, object]]:
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
                            f"no grid with code(s) {', '.join(missing)}; codes look like: {', '.join(known[:12])}",
                            fix_zh="用 gridtool info 或导出的网格表查看编码。",
                            fix_en="see the codes with gridtool info or the exported grid table.", layer="grids",
                            field="code")
    return [(c, found[c]) for c in codes]


def cmd_walk(args) -> int:
    import re

    import geopandas as gpd

    from ..maps.cards import write_route_cards
    from ..project import Project
    from .export import write_table_csv, write_walk_gpx, write_walk_kml
    from .patrol import clock, parse_clock
    from .postman import street_walk
    if args.walkers < 1:
        raise GridtoolError("--walkers 至少为 1", "--walkers must be at least 1", fix_zh="例如 --walkers 2。",
                            fix_en="e.g. --walkers 2.")
    try:
        t0 = parse_clock(args.start)
    except ValueError:
        raise GridtoolError(f"--start 应为 HH:MM：{args.start}", f"--start takes HH:MM: {args.start!r}",
                            fix_zh="例如 --start 08:00。", fix_en="e.g. --start 08:00.") from None
    project = Project.open(args.project)
    codes = [c.strip() for c in args.grid.split(",") if c.strip()]
    areas = _grid_areas(project, codes)
    graph = _graph(project, "walk")
    try:
        stations = stations_of(project)
    except GridtoolError:
        stations = None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for code, area in areas:
        start, start_name = None, "网格中心附近路口"
        if stations is not None:
            inside = stations[stations.geometry.within(area)]
            if len(inside):
                start = inside.geometry.iloc[0]
                start_name = str(inside["name"].iloc[0]) if "name" in inside else "站点"
        w = street_walk(graph, area, walkers=args.walkers, start=start)
        if start is None:
            start = gpd.points_from_xy([graph.x[w.start_node]], [graph.y[w.start_node]])[0]
        lines = w.walk_lines()
        stem = "walk-" + re.sub(r"[^\w.-]+", "_", code)
        title = f"网格 {code} 街巷巡查路线"
        files = [_write_gpkg(out / f"{stem}.gpkg", {"walk": lines, "walk_steps": w.steps}),
                 write_walk_gpx(out / f"{stem}.gpx", lines, name=title, start=start, start_name=start_name),
                 write_walk_kml(out / f"{stem}.kml", lines, name=title)]
        cards, rows = [], []
        for r in lines.itertuples():
            streets = w.street_list(int(r.walker), start_minutes=t0)
            rows += [{"walker": int(r.walker), **{k: v for k, v in st.items() if k not in ("xy", "must", "window",
                                                                                         "category", "dwell_min")}}
                     for st in streets]
            cards.append({"team": int(r.walker), "station": start_name, "mode": "walk", "mode_zh": "步行",
                          "start": clock(t0), "end": clock(t0 + r.minutes), "minutes": round(float(r.minutes), 1),
                          "length_km": round(float(r.length_km), 2),
                          "stops": [{**st, "category_zh": "重复/连接" if st["repeat"] else "街巷",
                                     "window": f"含重复 {st['repeat_m']:.0f} 米" if 0 < st["repeat_m"] < st["length_m"]
                                     else ""} for st in streets],
                          "geometry": r.geometry})
        import pandas as pd
        files.append(write_table_csv(out / f"{stem}-streets.csv", pd.DataFrame(rows)))
        files.append(write_route_cards(project, out / f"{stem}-card.pdf", cards=cards, title=f"{title}卡",
                                       from_project=False))
        written += [str(f) for f in files]
        total_km = float(lines["length_km"].sum())
        longest = float(lines["minutes"].max())
        gap = 100 * (longest / w.bound_minutes - 1) if w.bound_minutes else 0.0
        if args.walkers == 1:
            zh = (f"网格 {code}：街巷 {w.required_km:.2f} 公里；巡查路线 {total_km:.2f} 公里、{longest:.0f} 分钟，"
                  f"下界 {w.bound_minutes:.0f} 分钟（每条街走一遍并补齐奇数路口的配对），多 {gap:.1f}%"
                  + ("；街巷连通，此即最短路线" if w.optimal else "；街巷分成几片，连接段为近似"))
            en = (f"grid {code}: {w.required_km:.2f} km of streets; the walk is {total_km:.2f} km, {longest:.0f} min, "
                  f"lower bound {w.bound_minutes:.0f} min (every street once plus the pairing of odd junctions), "
                  f"+{gap:.1f} %" + ("; the streets connect: this is the shortest walk" if w.optimal
                                     else "; the streets fall apart, the joins are heuristic"))
        else:
            zh = (f"网格 {code}：街巷 {w.required_km:.2f} 公里，{args.walkers} 人共走 {total_km:.2f} 公里；最长一人 "
                  f"{longest:.0f} 分钟，下界 {w.bound_minutes:.0f} 分钟（+{gap:.0f}%）")
            en = (f"grid {code}: {w.required_km:.2f} km of streets, {args.walkers} walkers, {total_km:.2f} km in all; "
                  f"longest walk {longest:.0f} min, lower bound {w.bound_minutes:.0f} min (+{gap:.0f} %)")
        _say(args, zh, en)
        if w.cut_off is not None and len(w.cut_off):
            _say(args, f"  {len(w.cut_off)} 段街巷与路网不连通，未纳入：" + "、".join(w.cut_off["name"].astype(str)[:10]),
                 f"  {len(w.cut_off)} street piece(s) are cut off from the network and not walked")
    _say(args, "已写入：" + "，".join(written), "written: " + ", ".join(written))
    return 0


def cmd_coverage(args) -> int:
    from .circles import household_coverage, service_circles
    project = _project(args)
    stations = stations_of(project, category=args.station_category)
    graph = _graph(project, args.mode)
    for p in graph.problems:
        print(p.format(None if args.lang == "both" else args.lang))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    circles = service_circles(graph, stations, minutes=args.minutes)
    layers = {"circles": circles}
    if "households" in project.layers:
        villages = project.layers["villages"].gdf if "villages" in project.layers else None
        for m in args.minutes:
            cov = household_coverage(graph, stations, project.layers["households"].gdf, minutes=m,
                                     villages=villages)
            print(cov.summary(args.lang))
            vt = out / f"coverage-{m:g}min-villages.csv"
            cov.villages.to_csv(vt, index=False, encoding="utf-8-sig")
            keep = [c for c in ("src_id", "village", "hh", "minutes_to_station", "nearest_station") if c in cov.uncovered]
            layers[f"uncovered_{m:g}min"] = cov.uncovered[keep + ["geometry"]]
            worst = cov.villages[cov.villages["uncovered_hh"] > 0].head(10)
            for r in worst.itertuples():
                _say(args, f"  {r.name}：未覆盖 {r.uncovered_hh:,.0f} 户（覆盖 {r.share:.0%}）",
                     f"  {r.name}: {r.uncovered_hh:,.0f} households uncovered ({r.share:.0%} covered)")
        if args.sites:
            from .siting import site_stations
            cand = _candidates(project, args.candidates)
            res = site_stations(graph, project.layers["households"].gdf, cand, p=args.sites,
                                minutes=args.minutes[0], existing=stations)
            layers["sites"] = res.chosen
            _say(args, f"选址（{res.method}）：新增 {args.sites} 处后 {res.minutes:g} 分钟覆盖 {res.share:.1%}："
                       + "、".join(res.chosen.loc[~res.chosen['existing'], 'name'].astype(str)),
                 f"siting ({res.method}): with {args.sites} new site(s), {res.minutes:g}-minute coverage "
                 f"{res.share:.1%}: " + ", ".join(res.chosen.loc[~res.chosen['existing'], 'name'].astype(str)))
    elif args.sites:
        raise GridtoolError("选址需要住户图层", "siting needs the households layer",
                            fix_zh="用 --households 传入住户。", fix_en="give --households.", layer="households")
    path = _write_gpkg(out / "coverage.gpkg", layers)
    _say(args, f"已写入 {path}", f"written: {path}")
    return 0


def _candidates(project, categories: str):
    cats = [c.strip() for c in categories.split(",") if c.strip()]
    places = project.layers.get("places")
    if places is None:
        raise GridtoolError("没有候选点：需要重点场所图层", "no candidate sites: needs the places layer",
                            fix_zh="用 --places 传入候选点（如村委会）。", fix_en="give candidates with --places.",
                            layer="places")
    c = places.gdf[places.gdf["category"].astype(str).isin(cats)].copy()
    if not len(c):
        raise GridtoolError(f"重点场所中没有类别为 {categories} 的候选点",
                            f"no places of category {categories} to use as candidate sites",
                            fix_zh="用 --candidates 指定类别，例如 townhall,school。",
                            fix_en="choose categories with --candidates, e.g. townhall,school.", layer="places")
    c["geometry"] = c.geometry.representative_point()
    return c


def register(subparsers, add_role_arguments) -> None:
    """Add ``patrol`` and ``coverage`` to the ``gridtool`` argument parser."""
    pp = subparsers.add_parser("patrol", help="巡逻路线 / team patrol routes through key places")
    pp.add_argument("project", nargs="?", metavar="PROJECT.gpkg")
    add_role_arguments(pp)
    pp.add_argument("--out", required=True, metavar="DIR", help="输出目录 / output folder (GPKG, GPX, KML, CSV)")
    pp.add_argument("--teams", type=int, default=1, help="队伍数 / number of teams (default 1)")
    pp.add_argument("--shift", type=float, default=240, metavar="MIN", help="班次分钟 / shift length in minutes")
    pp.add_argument("--start", default="08:00", metavar="HH:MM", help="出发时间 / start time")
    pp.add_argument("--dwell", type=float, default=None, metavar="MIN",
                    help="每点停留分钟（默认重点场所 5、警情热点 12）/ minutes at each stop (default: places 5, "
                         "hot spots 12)")
    pp.add_argument("--mode", choices=MODES, default="walk",
                    help="出行方式 / travel mode: " + ", ".join(f"{m} {MODE_ZH[m]}" for m in MODES))
    pp.add_argument("--max-stops", type=int, metavar="N", help="每队最多点数 / workload limit per team")
    pp.add_argument("--station-category", default="police",
                    help="无站点图层时用此类别的重点场所作站点 / place category used as stations")
    pp.add_argument("--time-limit", type=float, default=2.0, metavar="S", help="求解秒数 / solver seconds")
    pp.add_argument("--no-balance", action="store_true", help="不均衡工作量 / do not balance teams")
    pp.add_argument("--lenient", action="store_true",
                    help="排不下或到不了的必到点列为未安排而不报错 / list unservable places instead of failing")
    pp.add_argument("--depot", metavar="NAME", help="所有队伍从这一站点出发 / every team starts from this station")
    pp.add_argument("--no-save", action="store_true",
                    help="不把路线存入项目 / do not store the routes in the project")
    pp.add_argument("--hotspot-bandwidth", type=float, default=150.0, metavar="M",
                    help="警情热点核密度带宽（米，沿道路）/ hot-spot kernel bandwidth along the streets (m)")
    pp.add_argument("--max-hotspots", type=int, default=20, metavar="N", help="最多热点数 / at most N hot spots")
    pp.add_argument("--no-hotspots", action="store_true",
                    help="项目中有警情也不安排热点巡逻 / ignore the incidents layer")
    pp.set_defaults(func=cmd_patrol)

    pw = subparsers.add_parser("walk", help="网格街巷巡查路线（中国邮路）/ closed walk over every street of a grid")
    pw.add_argument("project", metavar="PROJECT.gpkg", help="含网格的项目 / a project with grids")
    pw.add_argument("--grid", required=True, metavar="CODE[,CODE…]", help="网格编码 / grid code(s)")
    pw.add_argument("--walkers", type=int, default=1, metavar="K", help="巡查人数 / walkers sharing the streets")
    pw.add_argument("--start", default="08:00", metavar="HH:MM", help="出发时间 / start time (for the card)")
    pw.add_argument("--out", required=True, metavar="DIR", help="输出目录 / output folder (GPX, KML, GPKG, PDF)")
    pw.set_defaults(func=cmd_walk)

    pc = subparsers.add_parser("coverage", help="服务圈与选址 / service circles, coverage and station siting")
    pc.add_argument("project", nargs="?", metavar="PROJECT.gpkg")
    add_role_arguments(pc)
    pc.add_argument("--out", required=True, metavar="DIR", help="输出目录 / output folder")
    pc.add_argument("--minutes", type=float, nargs="+", default=[10], help="分钟 / minutes (default 10)")
    pc.add_argument("--mode", choices=MODES, default="walk", help="出行方式 / travel mode")
    pc.add_argument("--sites", type=int, metavar="P", help="新增站点数（选址）/ choose P new sites")
    pc.add_argument("--candidates", default="townhall,school,market", metavar="CATS",
                    help="候选点类别 / place categories that may host a new site")
    pc.add_argument("--station-category", default="police",
                    help="无站点图层时用此类别的重点场所作站点 / place category used as stations")
    pc.set_defaults(func=cmd_coverage)


def demo_routing(project, out_dir: Path, lang: str = "zh") -> dict:
    """The routing part of ``gridtool demo`` on a sample project.

    Patrol routes of 3 teams for the afternoon shift 14:00–18:00 (school gates at 16:30–17:30),
    walking in a compact town (places within 5 km), by car otherwise; 10/15-minute walking service
    circles with household coverage; 1 new site chosen among town halls, schools and markets; and
    a 2-walker street walk of the streets within 400 m of the first station. Writes the files into
    ``out_dir`` (named after the project) and puts the ``routes``, ``route_stops`` and ``circles``
    layers into ``project`` (save it afterwards to keep them). Returns headline numbers, files and a message.
    """
    import shapely

    from .circles import household_coverage, service_circles
    from .patrol import plan_patrol
    from .postman import street_walk
    from .siting import site_stations
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = project.name
    stations = stations_of(project)
    graph = _graph(project, "walk")
    places = project.layers["places"].gdf
    x0, y0, x1, y1 = places.total_bounds
    pgraph = graph if max(x1 - x0, y1 - y0) <= 5000 else _graph(project, "car")
    plan = plan_patrol(pgraph, stations, places, teams=3, shift_minutes=240,
                       start="14:00", strict=False, time_limit=2.0)
    add_routes_to_project(project, plan)
    files = write_patrol_outputs(project, plan, out_dir, name=f"{name}-patrol")
    circles = service_circles(graph, stations, minutes=[10, 15])
    from ..layers import Layer
    project.layers["circles"] = Layer(role="circles", gdf=circles, source="gridtool coverage")
    hh = project.layers["households"].gdf
    villages = project.layers["villages"].gdf if "villages" in project.layers else None
    cov = household_coverage(graph, stations, hh, minutes=10, villages=villages)
    result = {"patrol": {"mode": pgraph.mode, "teams": int((plan.routes["stops"] > 0).sum()) if len(plan.routes) else 0,
                         "stops": int(len(plan.stops)), "unserved": plan.unserved["place"].tolist(),
                         "km": float(plan.routes["length_km"].sum()) if len(plan.routes) else 0.0},
              "coverage": {"minutes": 10, "share": cov.share, "covered_hh": cov.covered_hh,
                           "total_hh": cov.total_hh},
              "files": files}
    layers = {"circles": circles}
    try:
        cand = _candidates(project, "townhall,school,market")
        site = site_stations(graph, hh, cand, p=1, minutes=10, existing=stations, time_limit=20)
        layers["sites"] = site.chosen
        result["siting"] = {"method": site.method, "share": site.share,
                            "new": site.chosen.loc[~site.chosen["existing"], "name"].astype(str).tolist()}
    except GridtoolError as exc:
        result["siting"] = {"skipped": exc.format("en")}
    area = shapely.buffer(stations.geometry.iloc[0], 400)
    walk = street_walk(graph, area, walkers=2, start=stations.geometry.iloc[0])
    layers["walk"] = walk.walk_lines()
    result["walk"] = {"walkers": walk.walkers.to_dict(orient="records"), "required_km": walk.required_km}
    files["coverage"] = str(_write_gpkg(out_dir / f"{name}-coverage.gpkg", layers))
    (out_dir / f"{name}-routing.json").write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str),
                                                  encoding="utf-8")
    files["summary"] = str(out_dir / f"{name}-routing.json")
    zh = (f"巡逻：{result['patrol']['teams']} 队 {result['patrol']['stops']} 个点；"
          f"10 分钟步行服务圈覆盖 {cov.share:.1%} 的住户")
    en = (f"patrol: {result['patrol']['teams']} team(s), {result['patrol']['stops']} stops; 10-minute walking "
          f"service circles cover {cov.share:.1%} of households")
    result["message"] = zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}"
    return result
