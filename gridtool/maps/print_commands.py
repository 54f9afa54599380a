"""Command-line options and runner of the print exports, used by ``gridtool export`` (and the demo).

    add_print_arguments(parser) -> None
    run_print(args, project, progress=None) -> list[Path]
    demo_print(project, out_dir, name, *, progress=None) -> dict[str, str]

``add_print_arguments`` defines ``--pdf --png --svg --size --landscape --scale --dpi --title
--subtitle --date --coord-grid --no-labels --atlas --atlas-grids --assessment --assessment-out
--classes --breaks --route-cards`` and ``--include-personal`` (shared with the HTML and GIS
exports of :mod:`gridtool.maps.commands`, which must not add it again). Nothing heavy is imported
until ``run_print`` runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .paper import PAPER_SIZES_MM


def _scale(text: str) -> float:
    """``5000``, ``1:5000``, ``1:5,000`` → 5000.0."""
    t = text.replace(",", "").replace("，", "").replace("：", ":").strip()
    if ":" in t:
        t = t.split(":", 1)[1]
    try:
        v = float(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"比例尺应为数字，如 5000 或 1:5000 / scale must be a number like 5000 or 1:5000: {text}")
    if v <= 0:
        raise argparse.ArgumentTypeError(f"比例尺必须为正数 / scale must be positive: {text}")
    return v


def _size(text: str) -> str:
    t = text.strip().upper()
    if t not in PAPER_SIZES_MM:
        raise argparse.ArgumentTypeError(f"纸张尺寸可选 {', '.join(PAPER_SIZES_MM)} / paper size: one of {', '.join(PAPER_SIZES_MM)}")
    return t


def _breaks(text: str) -> list[float]:
    try:
        return [float(v) for v in text.replace("，", ",").split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--breaks 应为逗号分隔的数字 / --breaks takes numbers separated by commas: {text}")


def add_print_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the print options (and ``--include-personal``) to an ``argparse`` parser."""
    g = parser.add_argument_group("挂图、图册、五色图与路线卡 / wall maps, atlas, assessment map, route cards")
    g.add_argument("--pdf", metavar="WALL.pdf", help="矢量挂图 PDF（嵌入中文字体）/ vector wall map, fonts embedded")
    g.add_argument("--png", metavar="WALL.png", help="挂图 PNG（按 --dpi）/ raster wall map at --dpi")
    g.add_argument("--svg", metavar="WALL.svg", help="挂图 SVG（文字转为路径）/ SVG wall map, text as outlines")
    g.add_argument("--size", type=_size, default="A3", metavar="{A4,A3,A2,A1,A0}",
                   help="纸张尺寸，默认 A3 / paper size (default A3)")
    g.add_argument("--landscape", action="store_true", help="横向 / landscape")
    g.add_argument("--scale", type=_scale, metavar="N",
                   help="固定比例尺，如 5000 或 1:5000（默认按范围适配）/ fixed scale, e.g. 5000 (default: fit)")
    g.add_argument("--dpi", type=float, default=200, help="PNG 分辨率，默认 200 / PNG resolution (default 200)")
    g.add_argument("--title", help="标题（默认按数据中的乡镇、区县命名）/ title (default: named after the township and "
                                   "county found in the data)")
    g.add_argument("--township", metavar="NAME",
                   help="图名中的地名，如 锡山区东港镇（默认取自村界图层的乡镇、区县列或村名）/ "
                        "place named in the titles")
    g.add_argument("--unit", metavar="NAME", help="制图单位（默认为地名）/ the map maker printed on every sheet")
    g.add_argument("--subtitle", help="副标题（默认为统计数）/ subtitle (default: the totals)")
    g.add_argument("--date", help="制图日期（默认今天）/ date printed (default today)")
    g.add_argument("--coord-grid", choices=("auto", "gk", "lonlat", "none"), default="auto",
                   help="坐标网：auto、gk（高斯-克吕格米制）、lonlat（经纬度）、none / coordinate grid")
    g.add_argument("--no-labels", action="store_true", help="不注记网格和村名 / no grid or village labels")
    g.add_argument("--atlas", metavar="ATLAS.pdf", help="网格图册：每个基础网格一页 A4 / one A4 page per base grid")
    g.add_argument("--atlas-grids", metavar="CODES", help="图册只含这些网格（逗号分隔）/ only these grids (comma list)")
    g.add_argument("--assessment", metavar="FIELD", help="按网格图层的该字段绘制考核五色图 / five-colour map of FIELD")
    g.add_argument("--assessment-out", metavar="PATH",
                   help="五色图文件（.pdf/.png/.svg；默认在项目旁）/ the assessment map file (default beside the project)")
    g.add_argument("--classes", metavar="NAME=#RRGGBB,…",
                   help="五色图分级与颜色，按等级 1→5（默认 红,橙,黄,蓝,绿）/ classes and colours, rank 1 first")
    g.add_argument("--breaks", type=_breaks, metavar="A,B,C,D",
                   help="分数的分级阈值（默认五分位）/ score thresholds between classes (default quintiles)")
    g.add_argument("--route-cards", metavar="CARDS.pdf", help="巡逻路线卡：每组一页 A4 / one A4 card per patrol team")
    parser.add_argument("--include-personal", action="store_true",
                        help="包含姓名、身份证号、电话（默认脱敏）/ include names, ID and phone numbers (default: masked)")


#: The places the bundled samples show, for their titles (a sample's data has no township column).
DEMO_PLACES = {"nanjing-xuanwu": "南京市玄武区（示例）", "liechtenstein": "列支敦士登（示例）"}


def _assessment_out(args) -> Path:
    if getattr(args, "assessment_out", None):
        return Path(args.assessment_out)
    base = Path(getattr(args, "pdf", None) or getattr(args, "project", None) or "gridtool")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(args.assessment))
    return base.with_name(f"{base.stem}-assessment-{safe}.pdf")


def run_print(args, project, progress=None) -> list[Path]:
    """Write every print export the parsed ``args`` ask for; return the files written, in order.

    Errors (``GridtoolError`` subclasses, bilingual, with a fix) propagate to the command line,
    which prints them and exits 2; a file is either complete at its path or not there.
    """
    from .wallmap import render_wall_map

    include = bool(getattr(args, "include_personal", False))
    coord = getattr(args, "coord_grid", "auto")
    common = dict(size=getattr(args, "size", "A3"), landscape=bool(getattr(args, "landscape", False)),
                  scale=getattr(args, "scale", None), dpi=float(getattr(args, "dpi", 200) or 200),
                  title=getattr(args, "title", None), subtitle=getattr(args, "subtitle", None),
                  date=getattr(args, "date", None), include_personal=include, progress=progress,
                  township=getattr(args, "township", None), unit=getattr(args, "unit", None))
    names = dict(title=common["title"], township=common["township"], unit=common["unit"])
    out: list[Path] = []
    for fmt in ("pdf", "png", "svg"):
        path = getattr(args, fmt, None)
        if path:
            out.append(render_wall_map(project, path, fmt=fmt, coord_grid=None if coord == "none" else coord,
                                       labels=not getattr(args, "no_labels", False), **common))
    if getattr(args, "assessment", None):
        from .assessment import render_assessment_map
        from .colours import parse_classes

        classes = parse_classes(args.classes) if getattr(args, "classes", None) else None
        out.append(render_assessment_map(project, _assessment_out(args), field=args.assessment, classes=classes,
                                         breaks=getattr(args, "breaks", None), **common))
    if getattr(args, "atlas", None):
        from .atlas import write_atlas

        codes = [c.strip() for c in args.atlas_grids.split(",")] if getattr(args, "atlas_grids", None) else None
        out.append(write_atlas(project, args.atlas, include_personal=include, date=getattr(args, "date", None),
                               grids=codes, progress=progress, **names))
    if getattr(args, "route_cards", None):
        from .cards import write_route_cards

        out.append(write_route_cards(project, args.route_cards, date=getattr(args, "date", None), progress=progress,
                                     include_personal=include, **names))
    return out


def demo_print(project, out_dir: str | Path, name: str, *, progress=None) -> dict[str, str]:
    """The print part of ``gridtool demo``: ``<name>-wall-A1.pdf`` (A1 landscape), ``<name>-wall-A3.png``
    (150 dpi), ``<name>-wall-A3.svg``, ``<name>-atlas.pdf``, ``<name>-assessment.pdf`` (five-colour
    map of the grids' Polsby-Popper compactness, as a stand-in rating) and ``<name>-route-cards.pdf``
    when the project has routes. Returns the paths by kind."""
    from .assessment import render_assessment_map
    from .atlas import write_atlas
    from .cards import write_route_cards
    from .wallmap import render_wall_map

    from .titles import map_title

    out = Path(out_dir)
    place = DEMO_PLACES.get(name)
    files = {
        "wall_pdf": render_wall_map(project, out / f"{name}-wall-A1.pdf", size="A1", landscape=True, progress=progress,
                                    township=place),
        "wall_png": render_wall_map(project, out / f"{name}-wall-A3.png", size="A3", landscape=True, dpi=150,
                                    township=place),
        "wall_svg": render_wall_map(project, out / f"{name}-wall-A3.svg", size="A3", landscape=True, township=place),
    }
    grids = project.layers.get("grids")
    if grids is not None and grids.gdf is not None and len(grids.gdf):
        files["atlas"] = write_atlas(project, out / f"{name}-atlas.pdf", progress=progress, township=place)
        if "polsby_popper" in grids.gdf:
            files["assessment"] = render_assessment_map(
                project, out / f"{name}-assessment.pdf", field="polsby_popper", size="A3", landscape=True,
                title=map_title(project, "assessment", township=place) + "（示例：以紧凑度代替考核分）",
                subtitle="示例数据：按网格紧凑度（Polsby-Popper）五分位着色，红色最不紧凑", township=place)
    routes = project.layers.get("routes")
    if routes is not None and routes.gdf is not None and len(routes.gdf):
        files["route_cards"] = write_route_cards(project, out / f"{name}-route-cards.pdf", progress=progress,
                                                 township=place)
    return {k: str(v) for k, v in files.items()}
