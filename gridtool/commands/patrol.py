"""``gridtool patrol``, ``gridtool walk``, ``gridtool coverage`` and ``gridtool seal``: team patrol
routes (with incident hot spots), street walks of grids, service circles, coverage and station
siting, and sealing exits.

The commands take a project ``.gpkg`` or the layers by role, like ``validate`` (``walk`` takes a
project with grids). Every one builds its road graph with the same options
(:func:`gridtool.commands.args.add_routing_arguments`: ``--mode``, ``--node-crossings``, ``--speed``,
``--no-maxspeed``) through :func:`gridtool.commands.args.routing_graph`, which prints how the graph
was built. geopandas, pyogrio and the solvers are imported inside the functions: registering the
commands must not slow down every ``gridtool`` start.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import GridtoolError
from ..plurals import count_en
from ..maps.route_files import (patrol_layers, patrol_output_paths, route_title, write_layers_gpkg,
                                write_patrol_outputs)
from ..routing.project_layers import (add_routes_to_project, candidate_sites, grid_areas, patrol_options, seal_area,
                                      stations_of)
from ..routing.table_words import LANG_TABLE_HELP
from .args import (add_role_arguments, add_routing_arguments, file_options, fmt_lang, one_off_roles,
                   routing_graph, say)
from .data import project_for_run


def _check_outputs(args, paths) -> None:
    """Refuse, before any planning, to replace a file in ``--out`` that gridtool did not write
    (a planner's own ``seal.csv`` or ``patrol.gpkg``), unless ``--force``."""
    from ..ownership import check_replace
    from ..routing import export  # noqa: F401  (registers the headers of gridtool's routing CSVs: a rerun may replace them)
    check_replace(paths, force=bool(getattr(args, "force", False)))


def _table_lang(args) -> str:
    """The language of the CSV headers and values: ``--lang`` (see :mod:`gridtool.routing.table_words`)."""
    lang = getattr(args, "lang", "zh") or "zh"
    return lang if lang in ("zh", "en", "both") else "zh"


_project = project_for_run  # patrol, coverage, seal, walk: the same one-off layers

#: What a street walk is drawn on besides the project's grids: the roads, and the station (or a
#: police place) it starts from.
WALK_ROLES = ("roads", "places", "stations")


def cmd_patrol(args) -> int:
    from ..routing.patrol import check_patrol_options, pick_depot, plan_patrol
    from ..routing.patrol_options import incident_share_line, patrol_hotspots
    from ..routing.project_layers import places_to_visit
    # the options plan_patrol refuses, refused before the project is read and the graph built
    dwell, hs_dwell = (args.dwell, args.dwell) if args.dwell is not None else (5, 12)
    check_patrol_options(teams=args.teams, shift_minutes=args.shift, dwell_minutes=dwell, hotspot_dwell=hs_dwell,
                         max_stops=args.max_stops, iterations=args.iterations, time_limit=args.time_limit)
    _check_outputs(args, patrol_output_paths(Path(args.out)).values())
    project = _project(args)
    stations = pick_depot(stations_of(project, category=args.station_category), args.depot)
    # --place-category: the categories the app's patrol dialog ticks (every place without it)
    places = places_to_visit(project, getattr(args, "place_category", None))
    incidents = (project.layers["incidents"].gdf if "incidents" in project.layers and not args.no_hotspots
                 else None)
    if places is None and incidents is None:
        raise GridtoolError("没有重点场所图层，也没有警情图层", "there is no places layer and no incidents layer",
                            fix_zh="用 --places 传入重点场所，或用 --incidents 传入警情。",
                            fix_en="give the key places with --places, or incidents with --incidents.",
                            layer="places")
    graph = routing_graph(project, args)
    hs = None
    if incidents is not None:
        # --category, --hotspot-bandwidth, --max-hotspots: the app's patrol dialog calls the same
        hs, incidents, lines = patrol_hotspots(project, graph, bandwidth=args.hotspot_bandwidth,
                                               max_spots=args.max_hotspots, category=getattr(args, "category", None))
        for zh, en in lines:
            say(args, zh, en)
        # --quiet hides progress and the list of hot spots, never the count line (as import,
        # partition and export keep their results)
        print(hs.summary(args.lang) if not args.quiet else hs.summary(args.lang, top=0))
    common = dict(teams=args.teams, shift_minutes=args.shift, start=args.start,
                  dwell_minutes=dwell, max_stops=args.max_stops,
                  balance=not args.no_balance, time_limit=args.time_limit, seed=args.seed,
                  iterations=args.iterations)
    plan = plan_patrol(graph, stations, places, hotspots=hs,
                       hotspot_dwell=hs_dwell,
                       strict=not args.lenient, **common)
    out = Path(args.out)
    files = write_patrol_outputs(project, plan, out, hotspots=hs, include_personal=args.include_personal,
                                 lang=_table_lang(args))
    print(_shown(args, plan.summary(args.lang)))
    _warn_unmasked(args, [(files["gpkg"], patrol_layers(plan, hs)),
                          *[(files[k], {"route_stops": plan.stops}) for k in ("gpx", "kml", "csv")],
                          (files["cards"], {"route_stops": plan.stops, "unserved": plan.unserved})])
    if hs is not None:
        (line_zh, line_en), share = incident_share_line(graph, stations, places, plan, hs, incidents, common=common)
        say(args, line_zh, line_en)
        project.parameters["patrol_incident_share_100m"] = share
    if not args.no_save and one_off_roles(args):
        # Routes from a layer the project does not hold would be stored beside the old one: not saved.
        say(args, f"路线未存入项目 {args.project}（本次使用了项目外的图层）；路线文件见下。",
            f"routes not stored in the project {args.project} (this run used layers from outside it); "
            "the route files are listed below.")
    elif not args.no_save:
        add_routes_to_project(project, plan, hs)
        project.parameters["patrol"] = patrol_options(teams=args.teams, shift=args.shift, start=args.start,
                                                      mode=args.mode, depot=args.depot, dwell=args.dwell)
        target = Path(args.project) if getattr(args, "project", None) else out / "project.gpkg"
        project.save(target, force=bool(getattr(args, "force", False)))
        files["project"] = str(target)
        say(args, f"路线已存入项目 {target}（可再用 gridtool export {target} --route-cards 卡.pdf 打印路线卡）",
            f"routes stored in the project {target} (print cards with: gridtool export {target} --route-cards "
            "cards.pdf)")
    say(args, "已写入：" + "，".join(files.values()), "written: " + ", ".join(files.values()))
    return 0


def _count_or(word: str, zh: str, flag: str, meaning_zh: str = "", meaning_en: str = ""):
    """An argparse type: a positive number, or ``word`` (or its Chinese ``zh``), which it returns."""
    def parse(text: str):
        t = str(text).strip().lower()
        if t in (word, zh):
            return word
        try:
            n = int(t)
        except ValueError:
            n = 0
        if n < 1:
            import argparse
            raise argparse.ArgumentTypeError(f"{flag} 应为正整数或 {word}{meaning_zh}，而不是 {text!r} / "
                                             f"{flag} takes a positive number or {word}{meaning_en}, not {text!r}")
        return n
    return parse


#: ``--posts-per-station``: a positive number, or ``fewest`` (spread evenly)
_posts_arg = _count_or("fewest", "平均", "--posts-per-station", "（平均分派）", " (spread evenly)")
#: ``--sites``: a positive number, or ``auto``
_sites_arg = _count_or("auto", "自动", "--sites")


def cmd_walk(args) -> int:
    from ..maps.route_files import walk_output_paths, write_walk_outputs
    from ..routing.patrol import clock, parse_clock
    from ..routing.walks import add_walks_to_project, plan_grid_walks, walk_options, walk_summary
    if args.walkers < 1:
        raise GridtoolError("--walkers 至少为 1", "--walkers must be at least 1", fix_zh="例如 --walkers 2。",
                            fix_en="e.g. --walkers 2.")
    try:
        t0 = parse_clock(args.start)
    except ValueError:
        raise GridtoolError(f"--start 应为 HH:MM：{args.start}", f"--start takes HH:MM: {args.start!r}",
                            fix_zh="例如 --start 08:00。", fix_en="e.g. --start 08:00.") from None
    project = _project(args)
    codes = [c.strip() for c in args.grid.split(",") if c.strip()]
    areas = grid_areas(project, codes)
    _check_outputs(args, walk_output_paths(Path(args.out), [code for code, _ in areas]))
    graph = routing_graph(project, args)
    out = Path(args.out)
    written = []
    # the app's 网格街巷巡查路线 plans, words, writes and stores through the same functions
    walks = plan_grid_walks(project, graph, areas, walkers=args.walkers)
    for gw in walks:
        files = write_walk_outputs(project, out, gw.code, gw.area, gw.walk.steps, start=gw.start,
                                   start_name=gw.start_name, start_minutes=t0, lang=_table_lang(args),
                                   mode=args.mode)
        written += [str(f) for f in files]
        for zh, en in walk_summary(gw):
            say(args, zh, en)
    target = Path(args.project)
    if not args.no_save and one_off_roles(args):
        # A walk on roads the project does not hold would be stored beside the old ones: not saved (as patrol).
        say(args, f"街巷巡查路线未存入项目 {target}（本次使用了项目外的图层）；路线文件见下。",
            f"walk not stored in the project {target} (this run used layers from outside it); "
            "the walk files are listed below.")
    elif not args.no_save:
        # the start as the app's time box keeps it (HH:MM): export --walks prints the cards from it
        add_walks_to_project(project, walks, walk_options(grids=[code for code, _ in areas], walkers=args.walkers,
                                                          start=clock(t0), mode=args.mode))
        _save_walk(project, target, args, out)
        written.append(str(target))
        say(args, f"街巷巡查路线已存入项目 {target}（可再用 gridtool export {target} --walks 文件夹 重新写出并打印路线卡）",
            f"walk stored in the project {target} (write and print it again with: gridtool export {target} "
            "--walks DIR)")
    say(args, "已写入：" + "，".join(written), "written: " + ", ".join(written))
    return 0


def _save_walk(project, target: Path, args, out: Path) -> None:
    """Save the project holding the walk; when another program rewrote it meanwhile, refuse as every
    command does, saying that the walk's files are written and how to store the walk (the generic
    advice, ``--out NEW.gpkg``, would name the walk's folder)."""
    from ..writelock import ProjectChangedError
    try:
        project.save(target, force=bool(getattr(args, "force", False)))
    except ProjectChangedError as exc:
        raise ProjectChangedError(
            exc.zh, exc.en, file=exc.file,
            fix_zh=f"路线文件已写入 {out}。要把路线存入项目，重新运行 gridtool walk {target}（它会读取最新的项目）。",
            fix_en=f"the walk files are written in {out}. To store the walk in the project, run "
                   f"gridtool walk {target} again (it reads the project as it is now).") from None


def cmd_coverage(args) -> int:
    from ..maps.route_files import (coverage_output_paths, coverage_outputs,
                                    write_coverage_outputs)
    from ..routing.coverage import analyse_coverage
    from ..routing.demand import make_demand
    from ..errors import check_positive
    # siting floored 0 or a negative cap to 1 s without a word: refused before any work, as patrol does
    check_positive(args.time_limit, name="time_limit", zh="求解秒数", flag="--time-limit", example=30)
    _check_outputs(args, coverage_output_paths(Path(args.out), args.minutes))
    project = _project(args)
    stations = stations_of(project, category=args.station_category)
    spec = args.demand or ("households" if "households" in project.layers else None)
    if spec is None and args.sites:
        raise GridtoolError("选址需要覆盖对象：住户或重点场所", "siting needs demand: households or places",
                            fix_zh="用 --households 传入住户，或写 --demand places（或 places:类别）。",
                            fix_en="give --households, or write --demand places (or places:CATEGORY).",
                            layer="households")
    demand = make_demand(project, spec) if spec else None
    cand = candidate_sites(project, args.candidates) if args.sites else None
    graph = routing_graph(project, args)
    villages = project.layers["villages"].gdf if "villages" in project.layers else None
    result = analyse_coverage(graph, stations, minutes=args.minutes, demand=demand, candidates=cand,
                              sites=args.sites, time_limit=args.time_limit, villages=villages)
    for zh, en in result.messages:
        say(args, _shown(args, zh), _shown(args, en))
    path = write_coverage_outputs(result, Path(args.out), include_personal=args.include_personal,
                                  lang=_table_lang(args))[0]
    _warn_unmasked(args, coverage_outputs(result, Path(args.out)))
    say(args, f"已写入 {path}", f"written: {path}")
    return 0


def _read_exits(project, args):
    """The ``--exits PATH[:LAYER]`` points in the project CRS, read with ``--crs-in exits=…``,
    ``--encoding exits=…`` and ``--field exits.name=…`` by the app's reader
    (:func:`gridtool.routing.exits_file.read_exits`); prints the columns used and the loader's and
    the offset check's warnings (a CRS assumed, no name column, a sheet from 高德) as ``import`` does."""
    from ..routing.exits_file import read_exits
    from .data import print_columns
    sheet = read_exits(project, args.exits, **file_options(args, "exits"))
    say(args, *sheet.summary())
    print_columns(args, "places", sheet.layer.meta())
    for p in sheet.problems:
        print(p.format(fmt_lang(args)))
    return sheet.gdf


def cmd_seal(args) -> int:
    from ..maps.route_files import seal_output_paths, seal_outputs, write_seal_outputs
    from ..routing.sealing import area_exits_line, exits_of_area, seal_exits
    _check_outputs(args, seal_output_paths(Path(args.out)))
    project = _project(args)
    stations = stations_of(project, category=args.station_category)
    area = seal_area(project, args.area) if args.area else None  # an unknown name fails before the graph
    exits = _read_exits(project, args) if area is None else None
    graph = routing_graph(project, args)
    if area is not None:
        exits = exits_of_area(graph, area[1], area[0])
        say(args, *area_exits_line(area[0], len(exits)))
    plan = seal_exits(graph, stations, exits, per_exit=args.per_exit, posts_per_station=args.posts_per_station)
    # Columns flagged personal when the stations (or places) were loaded stay masked (--field …).
    flagged = {}
    for r in ("places", "stations"):
        sens = project.layers[r].sensitive if r in project.layers else None
        flagged.update(sens if isinstance(sens, dict) else dict.fromkeys(sens or (), ""))
    csv, gpkg = write_seal_outputs(plan, stations, Path(args.out), include_personal=args.include_personal,
                                   lang=_table_lang(args), flagged=flagged)
    print(_shown(args, plan.summary(args.lang if args.lang in ("zh", "en") else "both")))
    _warn_unmasked(args, seal_outputs(plan, stations, Path(args.out)))
    say(args, f"已写入：{csv}，{gpkg}", f"written: {csv}, {gpkg}")
    return 0


def _shown(args, text: str) -> str:
    """A line for the console with phone and ID numbers (and names beside them) masked, as in the
    files, unless ``--include-personal`` ("北口 139****5678 ← 城关所")."""
    if getattr(args, "include_personal", False):
        return text
    from ..maps.privacy import mask_text
    return "\n".join(mask_text(line) for line in text.split("\n"))


def _add_personal(p) -> None:
    """``--include-personal``, as ``export`` has it."""
    p.add_argument("--include-personal", action="store_true",
                   help="包含姓名、身份证号、电话（默认脱敏）/ include names, ID and phone numbers (default: masked)")


def _warn_unmasked(args, files, personal_layers=()) -> None:
    """After ``--include-personal``: the files that show personal data as it is, with the columns,
    and what the law asks of whoever holds them (``export``'s warning; nothing when there is none)."""
    if not getattr(args, "include_personal", False):
        return
    from ..maps.unmasked import unmasked_tables, warning_lines
    found = unmasked_tables(files, personal_layers=personal_layers)
    if found:
        say(args, "\n".join(warning_lines(found, "zh")), "\n".join(warning_lines(found, "en")))


def _add_out(p, help_text: str) -> None:
    """``--out DIR`` and the ``--force`` that lets it replace files gridtool did not write."""
    p.add_argument("--out", required=True, metavar="DIR", help=help_text)
    p.add_argument("--force", action="store_true",
                   help="覆盖输出目录中不是 gridtool 写的同名文件 / replace files of the same name in --out "
                        "that gridtool did not write")


def _add_quiet(p) -> None:
    """``--quiet``, as the other long commands (import, partition, export) have it."""
    p.add_argument("--quiet", action="store_true",
                   help="不显示过程信息（路网构建、热点明细），只显示警告、结果和写出的文件 / no progress messages "
                        "(how the graph was built, hot-spot details): only warnings, results and files written")


def register(subparsers) -> None:
    """Add ``patrol``, ``walk``, ``coverage`` and ``seal`` to the ``gridtool`` argument parser."""
    pp = subparsers.add_parser("patrol", help="巡逻路线 / team patrol routes through key places",
                               epilog=LANG_TABLE_HELP)
    pp.add_argument("project", nargs="?", metavar="PROJECT.gpkg")
    add_role_arguments(pp)
    _add_out(pp, "输出目录 / output folder (GPKG, GPX, KML, CSV)")
    pp.add_argument("--teams", type=int, default=1, help="队伍数 / number of teams (default 1)")
    pp.add_argument("--shift", type=float, default=240, metavar="MIN",
                    help="班次分钟（可跨午夜：--start 22:00 --shift 240 到次日 02:00）/ shift length in minutes "
                         "(may run past midnight)")
    pp.add_argument("--start", default="08:00", metavar="HH:MM", help="出发时间 / start time")
    pp.add_argument("--dwell", type=float, default=None, metavar="MIN",
                    help="每点停留分钟（默认重点场所 5、警情热点 12）/ minutes at each stop (default: places 5, "
                         "hot spots 12)")
    add_routing_arguments(pp, default_mode="walk")
    pp.add_argument("--max-stops", type=int, metavar="N", help="每队最多点数 / workload limit per team")
    pp.add_argument("--station-category", default="police",
                    help="无站点图层时用此类别的重点场所作站点 / place category used as stations")
    pp.add_argument("--place-category", metavar="类别,类别",
                    help="只巡查这些类别的重点场所（同桌面程序勾选的类别），如 school,market 或 学校,市场；默认全部 / "
                         "visit only the key places of these categories (the app's ticked boxes), e.g. "
                         "school,market; default every place")
    pp.add_argument("--time-limit", type=float, default=30.0, metavar="S",
                    help="求解时间上限（秒，保险用；达到时会提示路线随电脑快慢而变）/ solver time cap (seconds, a "
                         "safety net; when reached the output says the routes depend on the machine)")
    pp.add_argument("--iterations", type=int, default=None, metavar="N",
                    help="求解迭代次数（默认 1500；同样输入与 --seed 得到同样路线）/ solver iterations (default "
                         "1500; the same inputs and --seed give the same routes)")
    pp.add_argument("--no-balance", action="store_true", help="不均衡工作量 / do not balance teams")
    pp.add_argument("--lenient", action="store_true",
                    help="排不下或到不了的必到点列为未安排而不报错 / list unservable places instead of failing")
    pp.add_argument("--depot", metavar="NAME", help="所有队伍从这一站点出发 / every team starts from this station")
    pp.add_argument("--no-save", action="store_true",
                    help="不把路线存入项目 / do not store the routes in the project")
    pp.add_argument("--hotspot-bandwidth", type=float, default=150.0, metavar="M",
                    help="警情热点核密度带宽（米，沿道路）/ hot-spot kernel bandwidth along the streets (m)")
    pp.add_argument("--max-hotspots", type=int, default=20, metavar="N", help="最多热点数 / at most N hot spots")
    pp.add_argument("--category", metavar="类别,类别",
                    help="只用这些类别的警情找热点，写大类（治安）或全名（治安-盗窃），逗号分隔 / hot spots from "
                         "incidents of these categories only: parents (治安) or full names (治安-盗窃), comma-separated")
    pp.add_argument("--no-hotspots", action="store_true",
                    help="项目中有警情也不安排热点巡逻 / ignore the incidents layer")
    _add_personal(pp)
    _add_quiet(pp)
    pp.set_defaults(func=cmd_patrol)

    pw = subparsers.add_parser("walk", help="网格街巷巡查路线（中国邮路）/ closed walk over every street of a grid",
                               epilog=LANG_TABLE_HELP)
    pw.add_argument("project", metavar="PROJECT.gpkg", help="含网格的项目 / a project with grids")
    # corrected roads, or a station to start from, for this run only (as patrol and coverage take them)
    add_role_arguments(pw, roles=WALK_ROLES)
    pw.add_argument("--grid", required=True, metavar="CODE[,CODE…]", help="网格编码 / grid code(s)")
    pw.add_argument("--walkers", type=int, default=1, metavar="K", help="巡查人数 / walkers sharing the streets")
    pw.add_argument("--start", default="08:00", metavar="HH:MM", help="出发时间 / start time (for the card)")
    _add_out(pw, "输出目录 / output folder (GPX, KML, GPKG, PDF)")
    add_routing_arguments(pw, default_mode="walk")
    pw.add_argument("--no-save", action="store_true",
                    help="不把街巷巡查路线存入项目（默认存入，替换项目中原有的巡查路线）/ do not store the walk in the "
                         "project (by default it is stored, replacing the walk kept there)")
    _add_quiet(pw)
    pw.set_defaults(func=cmd_walk)

    pc = subparsers.add_parser("coverage", help="服务圈与选址 / service circles, coverage and station siting",
                               epilog=LANG_TABLE_HELP)
    pc.add_argument("project", nargs="?", metavar="PROJECT.gpkg")
    add_role_arguments(pc)
    _add_out(pc, "输出目录 / output folder")
    pc.add_argument("--minutes", type=float, nargs="+", default=[10], help="分钟 / minutes (default 10)")
    add_routing_arguments(pc, default_mode="walk")
    pc.add_argument("--demand", metavar="households|places[:CATEGORY]",
                    help="覆盖对象：住户（按户数）或重点场所（可按类别，如 places:intersection）/ what to cover: "
                         "households (counted by hh) or places, optionally of categories (default: households)")
    pc.add_argument("--sites", type=_sites_arg, metavar="N|auto",
                    help="选址：新增 N 处站点使覆盖最多；auto = 覆盖全部可覆盖对象所需的最少新增站点（按第一个 --minutes）"
                         " / siting at the first --minutes: N new sites covering the most, or auto = the fewest "
                         "new sites covering all coverable demand")
    pc.add_argument("--candidates", default="townhall,school,market", metavar="places|CATEGORY[,…]",
                    help="候选点：places = 全部重点场所，或类别（不区分大小写）/ candidate sites: every place, or "
                         "place categories (any case)")
    pc.add_argument("--time-limit", type=float, default=30.0, metavar="S",
                    help="选址求解秒数（超时则说明未证明最优）/ solver seconds for siting")
    pc.add_argument("--station-category", default="police",
                    help="无站点图层时用此类别的重点场所作站点 / place category used as stations")
    _add_quiet(pc)
    _add_personal(pc)
    pc.set_defaults(func=cmd_coverage)

    ps = subparsers.add_parser("seal", help="封控卡口：每个卡口派警力，最长用时最短 / seal exits: a post at every "
                                            "exit, shortest longest trip", epilog=LANG_TABLE_HELP)
    ps.add_argument("project", nargs="?", metavar="PROJECT.gpkg")
    add_role_arguments(ps)
    where = ps.add_mutually_exclusive_group(required=True)
    where.add_argument("--exits", metavar="PATH[:LAYER]",
                       help="卡口（出口）点图层；坐标系、编码、列另用 --crs-in exits=gcj02、--encoding exits=gbk、"
                            "--field exits.name=卡口名称 / the exits (checkpoints), points; their CRS, encoding and "
                            "columns with --crs-in exits=…, --encoding exits=…, --field exits.name=…")
    where.add_argument("--area", metavar="NAME|CODE",
                       help="封控的村（村名或代码）或网格（编码）：卡口为道路穿过其边界处 / the village (name or code) "
                            "or grid (code) to seal: exits where roads cross its boundary")
    _add_out(ps, "输出目录 / output folder (seal.csv, seal.gpkg)")
    add_routing_arguments(ps, default_mode="car")
    ps.add_argument("--per-exit", type=int, default=1, metavar="K",
                    help="每个卡口的警力点数（各来自不同站点）/ posts per exit, each from a different station")
    ps.add_argument("--posts-per-station", type=_posts_arg, metavar="N|fewest",
                    help="每个站点可派的警力点数（默认站点图层的“警力/警车数”列；无此列则不限，每个卡口由最先到达的"
                         "站点派出）；fewest = 平均分派，取够封控全部卡口的最少值 / posts each station can send "
                         "(default: the stations layer's 警力/警车数 column; without one no limit, every exit's post "
                         "from the station that gets there first); fewest = spread evenly, the fewest that seal "
                         "every exit")
    ps.add_argument("--station-category", default="police",
                    help="无站点图层时用此类别的重点场所作站点 / place category used as stations")
    _add_quiet(ps)
    _add_personal(ps)
    ps.set_defaults(func=cmd_seal, file_roles=("exits",))
