"""``gridtool export PROJECT``: the offline HTML map, GIS files and the print exports in one go.

Wiring (in ``gridtool/cli.py``): ``from .maps.commands import register as register_export`` and
``register_export(sub, add_role_arguments)``. The web and GIS options are defined here; the print
options (``--pdf --png --svg --size --landscape --scale --dpi --title --atlas --assessment
--route-cards --include-personal``) come from :mod:`gridtool.maps.print_commands`, which also writes
those files (``run_print``).

The command reads a saved project (``gridtool import``/``partition``/``patrol`` write one); layers
by role are not taken, because the exports are of grids and routes, which only a project holds,
and because ``--encoding`` here names the encoding of the shapefiles written, not of inputs read.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..errors import GridtoolError
from ..progress import command_progress

# folium, geopandas and matplotlib are imported inside the functions: registering the command
# must not slow down every ``gridtool`` start.

#: The options of this module that produce a file (the print module adds its own).
WEB_GIS_OUTPUTS = ("html", "gpkg", "shp", "geojson", "kml", "kmz", "gpx")
#: The Excel ledgers (:mod:`gridtool.maps.ledger`).
LEDGER_OUTPUTS = ("ledger", "ledger_csv")
PRINT_OUTPUTS = ("pdf", "png", "svg", "atlas", "assessment", "route_cards")


def _say(args, zh: str, en: str) -> None:
    lang = getattr(args, "lang", "zh")
    print(zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}")


def _size(path: Path) -> str:
    try:
        n = path.stat().st_size
    except OSError:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _layers(value: str | None) -> list[str] | None:
    if not value:
        return None
    from .gis import GIS_LAYERS
    roles = [r.strip() for r in value.split(",") if r.strip()]
    bad = [r for r in roles if r not in GIS_LAYERS and r not in ("villages", "households")]
    if bad:
        raise GridtoolError(f"--layers 中有未知图层：{', '.join(bad)}",
                            f"unknown layer(s) in --layers: {', '.join(bad)}",
                            fix_zh="可选：" + ", ".join(GIS_LAYERS) + ", villages, households",
                            fix_en="choose from: " + ", ".join(GIS_LAYERS) + ", villages, households")
    return roles


def run_web_gis(args, project, progress=None) -> list[tuple[Path, str]]:
    """Write the HTML map and GIS files the options ask for; ``(path, what)`` per file written."""
    from . import gis
    from .html import write_html

    include = bool(getattr(args, "include_personal", False))
    roles = _layers(getattr(args, "layers", None))
    done: list[tuple[Path, str]] = []

    zh = getattr(args, "lang", "zh") == "zh"

    def name(layer: str) -> str:  # grids → 基础网格, places_point → 重点场所（点）
        if not zh:
            return layer
        base, _, fam = layer.rpartition("_") if layer not in gis.LAYER_ZH else (layer, "", "")
        fam_zh = {"point": "（点）", "line": "（线）", "polygon": "（面）"}.get(fam, "")
        html_zh = {"place_areas": "场所范围", "households": "住户", "household_totals": "住户汇总", "villages": "村界",
                   "rivers": "河流", "roads": "道路", "railways": "铁路"}
        return gis.LAYER_ZH.get(base, html_zh.get(layer, layer)) + fam_zh

    def seen(written, what: str) -> None:
        for p in dict.fromkeys(w.path for w in written):
            layers = [f"{name(w.layer)} {w.features}" for w in written if w.path == p]
            done.append((p, f"{what}{'：' if zh else ': '}" + ("、" if zh else ", ").join(layers)))
            for w in written:
                for note in w.notes if w.path == p else ():
                    print(f"  {w.layer}: {note}", file=sys.stderr)

    if args.html:
        m = write_html(project, args.html, title=getattr(args, "title", None),
                       subtitle=getattr(args, "subtitle", None), include_personal=include,
                       tiles=args.tiles, tiles_attr=args.tiles_attr, progress=progress,
                       lang=getattr(args, "lang", "zh") or "zh", township=getattr(args, "township", None),
                       unit=getattr(args, "unit", None))
        counts = ("、" if zh else ", ").join(f"{name(k)} {v}" for k, v in m.counts.items())
        done.append((Path(args.html), f"网页地图：{counts}；{m.seconds:.1f} 秒" if zh
                     else f"HTML: {counts}; {m.seconds:.1f} s"))
    crs = getattr(args, "gis_crs", None)
    force = bool(getattr(args, "force", False))
    if args.gpkg:
        seen(gis.write_gpkg(project, args.gpkg, roles=roles, include_personal=include, crs=crs, force=force),
             "GeoPackage")
    if args.shp:
        seen(gis.write_shapefiles(project, args.shp, roles=roles, encoding=args.encoding, include_personal=include,
                                  crs=crs, force=force, lang="en" if getattr(args, "lang", "zh") == "en" else "zh"),
             f"Shapefile（{args.encoding.upper()}）" if zh else f"Shapefile ({args.encoding})")
    if args.geojson:
        seen(gis.write_geojson(project, args.geojson, roles=roles, include_personal=include, force=force), "GeoJSON")
    if args.kml:
        seen(gis.write_kml(project, args.kml, roles=roles, include_personal=include, kmz=False, force=force), "KML")
    if args.kmz:
        seen(gis.write_kml(project, args.kmz, roles=roles, include_personal=include, kmz=True, force=force), "KMZ")
    if args.gpx:
        seen(gis.write_gpx(project, args.gpx, include_personal=include, force=force), "GPX")
    return done


def _single_file_outputs(args) -> list[Path]:
    """The HTML map and print files the options ask for (GIS and ledger writers check their own targets)."""
    out = [getattr(args, k, None) for k in ("html", "pdf", "png", "svg", "atlas", "route_cards")]
    if getattr(args, "assessment", None):
        from .print_commands import _assessment_out
        out.append(_assessment_out(args))
    return [Path(p) for p in out if p]


def cmd_export(args) -> int:
    from ..project import Project

    wanted_print = [o for o in PRINT_OUTPUTS if getattr(args, o, None)]
    wanted = ([o for o in WEB_GIS_OUTPUTS + LEDGER_OUTPUTS if getattr(args, o, None)]
              + wanted_print)
    if not wanted:
        raise GridtoolError(
            "没有指定要导出的文件", "nothing to export: no output given",
            fix_zh="例如 --html 网格图.html、--pdf 挂图.pdf、--ledger 台账.xlsx、--gpkg 网格.gpkg、--kml 网格.kml。",
            fix_en="e.g. --html map.html, --pdf wall.pdf, --ledger ledger.xlsx, --gpkg grids.gpkg, --kml grids.kml.")
    t0 = time.perf_counter()
    project = Project.open(args.project)
    from ..ownership import check_replace
    from .outputs import check_not_input
    check_not_input(project, _single_file_outputs(args))  # "never overwrites its inputs" comes first
    check_replace(_single_file_outputs(args), force=bool(getattr(args, "force", False)))
    if any(getattr(args, o, None) for o in ("html", *PRINT_OUTPUTS)):
        _say_place(args, project)
    with command_progress(args) as progress:
        try:
            done = run_web_gis(args, project, progress)
            if getattr(args, "ledger", None) or getattr(args, "ledger_csv", None):
                done += run_ledger(args, project)
            if wanted_print:
                from .print_commands import run_print
                for p in run_print(args, project, progress):
                    done.append((Path(p), "打印图件" if getattr(args, "lang", "zh") == "zh" else "print"))
        except GridtoolError:
            raise
        except Exception as exc:  # an unwritable folder, a full disk: say which file, exit 2 (no driver text)
            from ..atomic import write_failure
            target = getattr(exc, "filename", None) or next((getattr(args, k) for k in WEB_GIS_OUTPUTS + PRINT_OUTPUTS
                                                             if getattr(args, k, None)), args.project)
            plain = write_failure(exc, target)
            if plain is None and isinstance(exc, OSError):
                from .paper import ExportError
                raise ExportError(f"无法写入文件：{exc.strerror or exc}", f"could not write the file: {exc.strerror or exc}",
                                  fix_zh="检查输出路径、写入权限和磁盘空间。",
                                  fix_en="check the output path, write permission and free disk space.",
                                  file=exc.filename) from exc
            if plain is None:
                raise
            raise plain from exc
    _say(args, f"已导出 {len(done)} 个文件（{time.perf_counter() - t0:.1f} 秒）：",
         f"exported {len(done)} file(s) in {time.perf_counter() - t0:.1f} s:")
    for path, what in done:
        print(f"  {path}  ({_size(path)})  {what}")
    if not getattr(args, "include_personal", False):
        _say(args, "  个人信息（姓名、身份证号、电话）已脱敏或去除。",
             "  personal data (names, ID-card and phone numbers) masked or left out.")
    return 0


def _say_place(args, project) -> None:
    """Say where the titles' place name came from (never guessed silently)."""
    if getattr(args, "title", None) or getattr(args, "township", None):
        return
    from .titles import find_place, map_title
    place = find_place(project)
    if place.label:
        how = {"village names": ("村名的共同前缀", "the villages' common name prefix")}.get(
            place.source, (f"村界图层的{place.source.replace('columns: ', '').replace(', ', '、')}列"
                           if place.source.startswith("columns") else place.source, place.source))
        _say(args, f"图名：{map_title(project)}（地名“{place.label}”取自{how[0]}；可用 --township 或 --title 改）",
             f"title: {map_title(project)} (place {place.label!r} from {how[1]}; change it with --township or --title)")
    else:
        _say(args, f"图名：{map_title(project)}（数据中没有乡镇、区县名；用 --township 或 --title 指定）",
             f"title: {map_title(project)} (no township or county name in the data; give --township or --title)")


def run_ledger(args, project) -> list[tuple[Path, str]]:
    """Write ``--ledger FILE.xlsx`` and ``--ledger-csv DIR``; print what was guessed and the totals."""
    from .ledger import ledger_tables, write_ledger_csv, write_ledger_xlsx

    include = bool(getattr(args, "include_personal", False))
    ledger = ledger_tables(project, include_personal=include)
    for zh, en in ledger.notes:
        _say(args, f"  台账：{zh}", f"  ledger: {en}")
    rows = "，".join(f"{s.name} {len(s.rows):,} 行" for s in ledger.sheets)
    done: list[tuple[Path, str]] = []
    if getattr(args, "ledger", None):
        done.append((write_ledger_xlsx(project, args.ledger, include_personal=include, ledger=ledger,
                                       force=bool(getattr(args, "force", False))),
                     f"台账：{rows}" if getattr(args, "lang", "zh") == "zh" else f"ledger: {rows}"))
    if getattr(args, "ledger_csv", None):
        for p in write_ledger_csv(project, args.ledger_csv, include_personal=include, ledger=ledger,
                                  force=bool(getattr(args, "force", False))):
            done.append((p, "CSV"))
    _say(args, f"  {ledger.totals.text_zh()}", f"  {ledger.totals.text_en()}")
    return done


def demo_web_gis(project, out_dir: str | Path, name: str) -> dict[str, str]:
    """The web, GIS and ledger part of ``gridtool demo``: ``<name>-map.html``, ``<name>-ledger.xlsx``,
    ``<name>-export.gpkg``, ``<name>-shapefiles.zip``, ``<name>-geojson/`` and ``<name>-grids.kmz`` in ``out_dir``
    (the routes' GPX and KML are written by the routing demo). Returns the paths by kind."""
    from . import gis
    from .html import write_html

    out = Path(out_dir)
    from .print_commands import DEMO_PLACES
    files = {"html": write_html(project, out / f"{name}-map.html", township=DEMO_PLACES.get(name)).path,
             "gpkg": out / f"{name}-export.gpkg", "shp": out / f"{name}-shapefiles.zip",
             "geojson": out / f"{name}-geojson", "kmz": out / f"{name}-grids.kmz"}
    if "grids" in project.layers:
        from .ledger import write_ledger_xlsx
        files["ledger"] = write_ledger_xlsx(project, out / f"{name}-ledger.xlsx")
    gis.write_gpkg(project, files["gpkg"])
    gis.write_shapefiles(project, files["shp"])
    gis.write_geojson(project, files["geojson"])
    gis.write_kml(project, files["kmz"], kmz=True)
    return {k: str(v) for k, v in files.items()}


def register(subparsers, add_role_arguments=None) -> None:  # noqa: ARG001 (see the module docstring)
    """Add ``export`` to the ``gridtool`` argument parser."""
    pe = subparsers.add_parser(
        "export", help="导出网页地图、挂图、图册和 GIS 文件 / export the HTML map, wall maps, atlas, GIS files")
    pe.add_argument("project", metavar="PROJECT.gpkg", help="gridtool 项目文件 / a gridtool project")
    g = pe.add_argument_group("网页地图 / offline HTML map")
    g.add_argument("--html", metavar="MAP.html", help="离线网页地图（单个文件，无需网络）/ offline map, one file")
    g.add_argument("--tiles", action="append", metavar="URL",
                   help="底图瓦片地址模板（默认无底图），如天地图（含密钥）或本地 file:///…/{z}/{x}/{y}.png；"
                        "可重复，第二个起为注记层 / tile URL template (default: no base map); repeat for overlays")
    g.add_argument("--tiles-attr", metavar="TEXT", help="瓦片版权说明 / tile attribution")
    g = pe.add_argument_group("GIS 文件 / GIS files (grids, subgrids, special_grids, corridors, routes, "
                              "route_stops, circles, places)")
    g.add_argument("--gpkg", metavar="OUT.gpkg", help="GeoPackage（用户坐标系）/ GeoPackage in the user's CRS")
    g.add_argument("--shp", metavar="DIR|NAME.shp|NAME.zip",
                   help="Shapefile：目录、NAME.shp（生成 NAME-grids.shp …）或 zip / "
                        "shapefiles: folder, NAME.shp or .zip")
    g.add_argument("--encoding", choices=("utf-8", "gbk"), default="utf-8",
                   help="Shapefile 文本编码（写入 .cpg），默认 utf-8 / shapefile text encoding (default utf-8)")
    g.add_argument("--geojson", metavar="DIR|NAME.geojson", help="GeoJSON（RFC 7946，WGS84）/ GeoJSON per layer")
    g.add_argument("--kml", metavar="OUT.kml", help="KML（WGS84，网格按地图配色）/ KML, grids in map colours")
    g.add_argument("--kmz", metavar="OUT.kmz", help="KMZ（压缩的 KML）/ zipped KML")
    g.add_argument("--gpx", metavar="OUT.gpx", help="巡逻路线 GPX / patrol routes as GPX")
    g.add_argument("--layers", metavar="LIST", help="只导出这些图层（逗号分隔）/ only these layers (comma list)")
    g.add_argument("--gis-crs", metavar="CRS",
                   help="GeoPackage/Shapefile 的坐标系，默认为输入数据的坐标系 / CRS of GeoPackage and shapefiles "
                        "(default: the inputs' CRS), e.g. EPSG:4547")
    g = pe.add_argument_group("台账 / Excel ledgers")
    g.add_argument("--ledger", metavar="FILE.xlsx",
                   help="台账工作簿：网格台账、子网格、专属网格、住户名单、例外与问题 / ledger workbook: grids, "
                        "sub-grids, special grids, household list, exceptions")
    g.add_argument("--ledger-csv", metavar="DIR", help="同样的表，每表一个 CSV 文件 / the same sheets as CSV files")
    pe.add_argument("--quiet", action="store_true", help="不显示进度 / no progress messages")
    pe.add_argument("--force", action="store_true",
                    help="允许覆盖不是 gridtool 导出的已有文件 / replace existing files gridtool did not write")
    from .print_commands import add_print_arguments  # light: argparse helpers only
    add_print_arguments(pe)  # --pdf … --route-cards, --title, --include-personal (shared with the HTML/GIS)
    pe.set_defaults(func=cmd_export)


__all__ = ["cmd_export", "demo_web_gis", "register", "run_ledger", "run_web_gis"]
