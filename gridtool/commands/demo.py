"""``gridtool demo``: the bundled samples through the whole pipeline.

Today: load every layer by role, validate, partition every village into base grids and sub-grids,
plan patrol routes and service circles, write a project GeoPackage (inputs plus ``grids``,
``subgrids``, ``special_grids``, ``corridors``, ``routes``, ``route_stops``, ``circles``), the
partition report as JSON, route files (GPX/KML/CSV), a summary as JSON and Markdown, the offline
HTML map, the GIS exports (GeoPackage, zipped shapefiles, GeoJSON, KMZ) and the print exports (wall
maps as PDF/PNG/SVG, the atlas, a five-colour map and route cards), so that the README's first
command always shows the product end to end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from ..errors import GridtoolError
from ..maps.route_files import write_layers_gpkg, write_patrol_outputs
from ..plurals import count_en
from ..routing.project_layers import add_routes_to_project, candidate_sites, road_graph, stations_of
from ..samples import SAMPLES, sample_sources
from .args import command_progress, say

# The engines are imported inside the functions: registering the command must not slow down every
# ``gridtool`` start.

#: The places the bundled samples show, for their titles (a sample's data has no township column).
DEMO_PLACES = {"nanjing-xuanwu": "南京市玄武区（示例）", "liechtenstein": "列支敦士登（示例）"}


def cmd_demo(args) -> int:
    with command_progress(args) as show:
        result = run_demo(Path(args.out), samples=args.sample, progress=show, lang=args.lang)
    for name, info in result.items():
        say(args, f"示例 {name}：项目 {info['project']}，摘要 {info['summary_md']}",
            f"sample {name}: project {info['project']}, summary {info['summary_md']}")
        say(args, f"  {info['villages']} 个村（社区），{info['households']:,} 户；"
                  f"{info['errors']} 个错误，{info['warnings']} 个警告",
            f"  {count_en(info['villages'], 'village')}, {count_en(info['households'], 'household')}; "
            f"{count_en(info['errors'], 'error')}, {count_en(info['warnings'], 'warning')}")
        pl = info.get("partition")
        if pl:
            from ..partition.totals import grid_words
            g_zh, g_en = grid_words(info.get("totals"), pl["grids"])
            say(args, f"  {g_zh}（范围内 {pl['pct_within_bounds']}%），子网格 {pl.get('subgrids', 0)} 个，"
                      f"专属网格 {pl['special_grids']} 个；报告 {info['partition_report']}",
                f"  {g_en} ({pl['pct_within_bounds']}% within bounds), {count_en(pl.get('subgrids', 0), 'sub-grid')}, "
                f"{count_en(pl['special_grids'], 'special grid')}; report {info['partition_report']}")
        if info.get("totals"):
            from ..partition.totals import HouseholdTotals
            t = HouseholdTotals.from_dict(info["totals"])
            say(args, f"  {t.text_zh()}（项目、摘要、挂图、图册、网页地图、台账同此数）",
                f"  {t.text_en()} (the same figures in the project, summary, maps, atlas, web map and ledger)")
        if info.get("routing", {}).get("message"):
            print(info["routing"]["message"])
        # What the maps chose: each sheet's orientation (gathered: one line per orientation, not one
        # per sheet), the label rule. The demo has no --orientation: the option is gridtool export's.
        from ..maps.wallmap import ORIENTATION_NOTE
        sheets: dict[str, list[str]] = {}
        for zh, en in info.get("notes", ()):
            m = ORIENTATION_NOTE.fullmatch(zh)
            if m:
                sheets.setdefault(m.group(2), []).append(m.group(1))
                continue
            say(args, "  " + zh, "  " + en)
        for zh, names in sheets.items():
            en, other = ("landscape", "portrait") if zh == "横向" else ("portrait", "landscape")
            say(args, f"  按数据范围的形状选用{zh}：{'、'.join(names)}（gridtool export --orientation {other} 可改）",
                f"  {en}, to fit the data's extent: {', '.join(names)} (change with gridtool export "
                f"--orientation {other})")
        if info["infeasible"]:
            say(args, "  无法按 300–500 户划分的村（社区）：" + "、".join(f"{n}（{h} 户）" for n, h in info["infeasible"]),
                "  villages that cannot be split into grids of 300–500 households: "
                + ", ".join(f"{n} ({h})" for n, h in info["infeasible"]))
    return 0


def run_demo(out: Path, *, samples=None, progress: Callable[[float, str], None] | None = None,
             lang: str = "both") -> dict:
    """Run the demo on each sample; returns per sample the files written and the headline numbers.

    ``lang`` (``zh``, ``en`` or ``both``) is the language of the summary ``.md`` and the messages."""
    from ..partition.output import partition_project, write_report
    from ..partition.report import partition_markdown
    from ..project import Project
    from ..partition.summary import summary_markdown, village_totals
    from ..partition.totals import household_totals
    from ..validate import validate
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = {}
    names = samples or SAMPLES
    for i, name in enumerate(names):
        def step(f, msg, i=i):
            if progress:
                progress((i + f) / len(names), f"{name}: {msg}")
        project = Project.from_sources(sample_sources(name), name=name,
                                       progress=lambda f, msg: step(0.45 * f, msg))
        step(0.5, "数据检查 / validating")
        problems = validate(project)
        totals = village_totals(project)
        project.parameters["village_totals"] = totals.to_dict(orient="records")
        step(0.55, "划分网格 / partitioning")
        gp = partition_project(project, progress=lambda f, msg: step(0.55 + 0.3 * f, msg))
        report = write_report(out / f"{name}-partition.json", gp.report_)
        step(0.86, "巡逻路线与服务圈 / patrols and service circles")
        routing = demo_routing(project, out, lang)
        step(0.95, "保存项目 / saving project")
        gpkg = project.save(out / f"{name}.gpkg")
        step(0.96, "网页地图与 GIS 文件 / HTML map and GIS files")
        exports = demo_web_gis(project, out, name)
        step(0.97, "挂图、图册、五色图、路线卡 / wall maps, atlas, five-colour map, route cards")
        notes: list[tuple[str, str]] = []
        exports.update(demo_print(project, out, name, notes=notes))
        summary = project.summary()
        summary["villages"] = totals.to_dict(orient="records")
        (out / f"{name}-summary.json").write_text(
            json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        md = out / f"{name}-summary.md"
        md.write_text(summary_markdown(project, totals, lang=lang) + partition_markdown(gp.report_, lang),
                      encoding="utf-8")
        result[name] = {
            "project": str(gpkg), "summary_md": str(md),
            "villages": len(totals), "households": int(gp.report_["totals"]["imported"]),
            "errors": sum(p.severity == "error" for p in problems),
            "warnings": sum(p.severity == "warning" for p in problems),
            "infeasible": [(r.name, int(r.households)) for r in totals.itertuples() if r.feasibility != "ok"],
            "partition": gp.report_["plan"], "partition_report": str(report), "routing": routing,
            "exports": exports, "totals": household_totals(project).as_dict(), "notes": notes,
        }
    if progress:
        progress(1.0, "完成 / done")
    return result


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

    from ..routing.circles import household_coverage, service_circles
    from ..routing.patrol import plan_patrol
    from ..routing.postman import street_walk
    from ..routing.siting import site_stations
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = project.name
    stations = stations_of(project)
    graph = road_graph(project, "walk")
    places = project.layers["places"].gdf
    x0, y0, x1, y1 = places.total_bounds
    pgraph = graph if max(x1 - x0, y1 - y0) <= 5000 else road_graph(project, "car")
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
        cand = candidate_sites(project, "townhall,school,market")
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
    files["coverage"] = str(write_layers_gpkg(out_dir / f"{name}-coverage.gpkg", layers))
    (out_dir / f"{name}-routing.json").write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str),
                                                  encoding="utf-8")
    files["summary"] = str(out_dir / f"{name}-routing.json")
    zh = (f"巡逻：{result['patrol']['teams']} 队 {result['patrol']['stops']} 个点；"
          f"10 分钟步行服务圈覆盖 {cov.share:.1%} 的住户")
    en = (f"patrol: {count_en(result['patrol']['teams'], 'team')}, {count_en(result['patrol']['stops'], 'stop')}; 10-minute walking "
          f"service circles cover {cov.share:.1%} of households")
    result["message"] = zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}"
    return result


def demo_web_gis(project, out_dir: str | Path, name: str) -> dict[str, str]:
    """The web, GIS and ledger part of ``gridtool demo``: ``<name>-map.html``, ``<name>-ledger.xlsx``,
    ``<name>-export.gpkg``, ``<name>-shapefiles.zip``, ``<name>-geojson/`` and ``<name>-grids.kmz`` in ``out_dir``
    (the routes' GPX and KML are written by the routing demo). Returns the paths by kind."""
    from ..maps import gis
    from ..maps.html import write_html

    out = Path(out_dir)
    files = {"html": write_html(project, out / f"{name}-map.html", township=DEMO_PLACES.get(name)).path,
             "gpkg": out / f"{name}-export.gpkg", "shp": out / f"{name}-shapefiles.zip",
             "geojson": out / f"{name}-geojson", "kmz": out / f"{name}-grids.kmz"}
    if "grids" in project.layers:
        from ..maps.ledger import write_ledger_xlsx
        files["ledger"] = write_ledger_xlsx(project, out / f"{name}-ledger.xlsx")
    gis.write_gpkg(project, files["gpkg"])
    gis.write_shapefiles(project, files["shp"])
    gis.write_geojson(project, files["geojson"])
    gis.write_kml(project, files["kmz"], kmz=True)
    return {k: str(v) for k, v in files.items()}


def demo_print(project, out_dir: str | Path, name: str, *, progress=None,
               notes: list[tuple[str, str]] | None = None) -> dict[str, str]:
    """The print part of ``gridtool demo``: ``<name>-wall-A1.pdf``, ``<name>-wall-A3.png`` (150 dpi),
    ``<name>-wall-A3.svg``, ``<name>-atlas.pdf``, ``<name>-assessment.pdf`` (five-colour map of the
    grids' Polsby-Popper compactness, as a stand-in rating) and ``<name>-route-cards.pdf`` when the
    project has routes; every sheet oriented to the data's shape, as ``gridtool export`` does. Returns
    the paths by kind; ``notes`` receives the console's ``(zh, en)`` lines (the orientation chosen)."""
    from ..maps.assessment import render_assessment_map
    from ..maps.atlas import write_atlas
    from ..maps.cards import write_route_cards
    from ..maps.titles import map_title
    from ..maps.wallmap import render_wall_map

    out = Path(out_dir)
    place = DEMO_PLACES.get(name)
    # A tall area (Liechtenstein) on a landscape sheet used a third of it: no orientation is forced.
    files = {
        "wall_pdf": render_wall_map(project, out / f"{name}-wall-A1.pdf", size="A1", progress=progress,
                                    township=place, notes=notes),
        "wall_png": render_wall_map(project, out / f"{name}-wall-A3.png", size="A3", dpi=150,
                                    township=place, notes=notes),
        "wall_svg": render_wall_map(project, out / f"{name}-wall-A3.svg", size="A3", township=place, notes=notes),
    }
    grids = project.layers.get("grids")
    if grids is not None and grids.gdf is not None and len(grids.gdf):
        files["atlas"] = write_atlas(project, out / f"{name}-atlas.pdf", progress=progress, township=place)
        if "polsby_popper" in grids.gdf:
            files["assessment"] = render_assessment_map(
                project, out / f"{name}-assessment.pdf", field="polsby_popper", size="A3", notes=notes,
                title=map_title(project, "assessment", township=place) + "（示例：以紧凑度代替考核分）",
                subtitle="示例数据：按网格紧凑度（Polsby-Popper）五分位着色，红色最不紧凑", township=place)
    routes = project.layers.get("routes")
    if routes is not None and routes.gdf is not None and len(routes.gdf):
        files["route_cards"] = write_route_cards(project, out / f"{name}-route-cards.pdf", progress=progress,
                                                 township=place)
    return {k: str(v) for k, v in files.items()}


def register(subparsers) -> None:
    """Add ``demo`` to the ``gridtool`` argument parser."""
    pd_ = subparsers.add_parser("demo", help="在示例数据上运行 / run on the bundled sample data")
    pd_.add_argument("--out", required=True, metavar="DIR")
    pd_.add_argument("--sample", action="append", choices=("liechtenstein", "nanjing-xuanwu"),
                     help="示例（默认全部）/ which sample (default: all)")
    pd_.add_argument("--quiet", action="store_true", help="不显示进度 / no progress messages")
    pd_.set_defaults(func=cmd_demo)
