"""``gridtool demo``: the bundled samples through the whole pipeline that exists so far.

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
import os
from pathlib import Path
from typing import Callable

import pyogrio

from .errors import InputFileError
from .partition.output import partition_project, write_report
from .partition.report import partition_markdown
from .project import Project
from .summary import summary_markdown, village_totals
from .validate import validate

SAMPLES = ("liechtenstein", "nanjing-xuanwu")


def sample_data_dir() -> Path:
    """Where the bundled samples are: ``$GRIDTOOL_SAMPLE_DATA``, else ``gridtool/sample_data`` (package
    data: in a checkout and in an installed wheel alike)."""
    env = os.environ.get("GRIDTOOL_SAMPLE_DATA")
    here = Path(env) if env else Path(__file__).resolve().parent / "sample_data"
    if not here.is_dir():
        raise InputFileError(
            f"找不到示例数据目录 {here}", f"sample data folder not found: {here}",
            fix_zh="重新安装 gridtool（示例数据随包安装），或设置环境变量 GRIDTOOL_SAMPLE_DATA 指向示例数据目录。",
            fix_en="reinstall gridtool (the samples are installed with it), or set GRIDTOOL_SAMPLE_DATA "
                   "to a folder holding the samples.", file=str(here))
    return here


def sample_sources(name: str) -> dict[str, str]:
    """The layers of a bundled sample, by role (``{"households": ".../x.gpkg:households", …}``)."""
    path = sample_data_dir() / f"{name}.gpkg"
    if not path.exists():
        raise InputFileError(f"找不到示例 {path}", f"sample not found: {path}",
                             fix_zh="运行 python tools/build_sample_data.py 重新生成。",
                             fix_en="rebuild it with python tools/build_sample_data.py.", file=str(path))
    layers = [str(n) for n, _ in pyogrio.list_layers(path)]
    roles = ("households", "villages", "roads", "rivers", "railways", "forest", "places")
    return {role: f"{path}:{role}" for role in roles if role in layers}


def run_demo(out: Path, *, samples=None, progress: Callable[[float, str], None] | None = None,
             lang: str = "both") -> dict:
    """Run the demo on each sample; returns per sample the files written and the headline numbers."""
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
        from .routing.commands import demo_routing
        routing = demo_routing(project, out, lang)
        step(0.95, "保存项目 / saving project")
        gpkg = project.save(out / f"{name}.gpkg")
        step(0.96, "网页地图与 GIS 文件 / HTML map and GIS files")
        from .maps.commands import demo_web_gis
        from .maps.print_commands import demo_print
        exports = demo_web_gis(project, out, name)
        step(0.97, "挂图、图册、五色图、路线卡 / wall maps, atlas, five-colour map, route cards")
        exports.update(demo_print(project, out, name))
        summary = project.summary()
        summary["villages"] = totals.to_dict(orient="records")
        (out / f"{name}-summary.json").write_text(
            json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        md = out / f"{name}-summary.md"
        md.write_text(summary_markdown(project, totals) + partition_markdown(gp.report_), encoding="utf-8")
        result[name] = {
            "project": str(gpkg), "summary_md": str(md),
            "villages": len(totals), "households": int(gp.report_["totals"]["imported"]),
            "errors": sum(p.severity == "error" for p in problems),
            "warnings": sum(p.severity == "warning" for p in problems),
            "infeasible": [(r.name, int(r.households)) for r in totals.itertuples() if r.feasibility != "ok"],
            "partition": gp.report_["plan"], "partition_report": str(report), "routing": routing,
            "exports": exports,
        }
    if progress:
        progress(1.0, "完成 / done")
    return result
