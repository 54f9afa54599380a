"""``gridtool patrol`` and ``gridtool coverage``, and the routing part of ``gridtool demo``.

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
    """Put a patrol plan into the project as layers ``routes`` (lines) and ``route_stops``."""
    from ..layers import Layer
    project.layers["routes"] = Layer(role="routes", gdf=plan.routes, source="gridtool patrol")
    project.layers["route_stops"] = Layer(role="route_stops", gdf=plan.stops, source="gridtool patrol")


def write_patrol_outputs(project, plan, out: Path, *, name: str = "patrol", include_personal: bool = False) -> dict:
    """GeoPackage (project CRS), GPX/KML (WGS84), CSV stop list and route-card JSON.

    Phone and ID numbers in place names ("李四代销点 13912345678") are masked unless ``include_personal``.
    """
    from dataclasses import replace

    from ..maps.privacy import mask_frame
    from .export import write_gpx, write_kml, write_stops_csv
    if not include_personal:
        plan = replace(plan, stops=mask_frame(plan.stops), routes=mask_frame(plan.routes),
                       unserved=mask_frame(plan.unserved))
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "gpkg": _write_gpkg(out / f"{name}.gpkg", {"routes": plan.routes, "route_stops": plan.stops}),
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
    from .patrol import plan_patrol
    project = _project(args)
    stations = stations_of(project, category=args.station_category)
    if "places" not in project.layers:
        raise GridtoolError("没有重点场所图层", "there is no places layer", fix_zh="用 --places 传入重点场所。",
                            fix_en="give the key places with --places.", layer="places")
    graph = _graph(project, args.mode)
    for p in graph.problems:
        print(p.format(None if args.lang == "both" else args.lang))
    plan = plan_patrol(graph, stations, project.layers["places"].gdf, teams=args.teams,
                       shift_minutes=args.shift, start=args.start, dwell_minutes=args.dwell,
                       max_stops=args.max_stops, balance=not args.no_balance, time_limit=args.time_limit,
                       seed=args.seed, strict=not args.lenient)
    files = write_patrol_outputs(project, plan, Path(args.out), include_personal=args.include_personal)
    print(plan.summary(args.lang))
    _say(args, "已写入：" + "，".join(files.values()), "written: " + ", ".join(files.values()))
    return 0


def cmd_coverage(args) -> int:
    from ..atomic import write_bytes_atomic
    from ..cells import csv_bytes
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
            write_bytes_atomic(vt, csv_bytes(cov.villages))  # formula-like village names written as text
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
    pp.add_argument("--dwell", type=float, default=5, metavar="MIN", help="每点停留分钟 / minutes at each place")
    pp.add_argument("--mode", choices=MODES, default="walk",
                    help="出行方式 / travel mode: " + ", ".join(f"{m} {MODE_ZH[m]}" for m in MODES))
    pp.add_argument("--max-stops", type=int, metavar="N", help="每队最多点数 / workload limit per team")
    pp.add_argument("--station-category", default="police",
                    help="无站点图层时用此类别的重点场所作站点 / place category used as stations")
    pp.add_argument("--time-limit", type=float, default=2.0, metavar="S", help="求解秒数 / solver seconds")
    pp.add_argument("--no-balance", action="store_true", help="不均衡工作量 / do not balance teams")
    pp.add_argument("--lenient", action="store_true",
                    help="排不下或到不了的必到点列为未安排而不报错 / list unservable places instead of failing")
    pp.add_argument("--include-personal", action="store_true",
                    help="地点名称中的电话、身份证号不脱敏 / keep phone and ID numbers in place names unmasked")
    pp.set_defaults(func=cmd_patrol)

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
