"""``gridtool export PROJECT``: the offline HTML map, GIS files (GeoPackage, shapefiles, GeoJSON,
KML/KMZ, GPX), the Excel ledgers and the print exports (wall maps as PDF/PNG/SVG, the atlas, the
five-colour map, route cards) in one go.

The command reads a saved project (``gridtool import``/``partition``/``patrol`` write one); layers
by role are not taken, because the exports are of grids and routes, which only a project holds,
and because ``--encoding`` here names the encoding of the shapefiles written, not of inputs read.
The print options (``--pdf --png --svg --size --landscape --scale --dpi --title --atlas
--assessment --route-cards`` …) are :func:`add_print_arguments`, written by :func:`run_print`;
``--include-personal`` is shared by every output. folium, geopandas and matplotlib are imported
inside the functions: registering the command must not slow down every ``gridtool`` start.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import GridtoolError
from ..maps.paper import PAPER_SIZES_MM
from ..plurals import count_en, plural_en
from .args import add_role_arguments, command_progress, say
from .data import project_for_run

#: The layers ``export PROJECT --ROLE FILE`` takes for one run: what the maps draw beside the plan.
EXPORT_ROLES = ("roads", "rivers", "railways", "places", "stations", "incidents")

#: The web and GIS options that produce a file (the print options: :data:`PRINT_OUTPUTS`).
WEB_GIS_OUTPUTS = ("html", "gpkg", "shp", "geojson", "kml", "kmz", "gpx")


#: The Excel ledgers (:mod:`gridtool.maps.ledger`).
LEDGER_OUTPUTS = ("ledger", "ledger_csv")

#: The files of the street walks kept in the project (the app's 导出 → 街巷巡查路线文件).
WALK_OUTPUTS = ("walks",)


PRINT_OUTPUTS = ("pdf", "png", "svg", "atlas", "assessment", "route_cards")

#: What each output is called in the list of those that could not be made.
OUTPUT_NAMES = {"html": ("网页地图", "HTML map"), "gpkg": ("GeoPackage", "GeoPackage"), "shp": ("Shapefile", "shapefiles"),
                "geojson": ("GeoJSON", "GeoJSON"), "kml": ("KML", "KML"), "kmz": ("KMZ", "KMZ"),
                "gpx": ("GPX 巡逻路线", "GPX routes"), "ledger": ("台账", "ledger"), "ledger_csv": ("台账 CSV", "ledger CSV"),
                "pdf": ("挂图 PDF", "wall map PDF"), "png": ("挂图 PNG", "wall map PNG"), "svg": ("挂图 SVG", "wall map SVG"),
                "assessment": ("五色图", "assessment map"), "atlas": ("图册", "atlas"),
                "route_cards": ("路线卡", "route cards"), "walks": ("街巷巡查路线文件", "street walk files")}


def _direct(keys, make):
    """Make an output and let its error stop the caller (:func:`run_print` called on its own)."""
    return make()


def _write_error(exc: Exception, target) -> GridtoolError | None:
    """An unwritable folder or a full disk while writing ``target`` as a plain error naming the file
    (no driver text); None for anything else (a bug: reported as one)."""
    from ..atomic import write_failure
    plain = write_failure(exc, target)
    if plain is None and isinstance(exc, OSError):
        from ..maps.paper import ExportError
        return ExportError(f"无法写入文件：{exc.strerror or exc}", f"could not write the file: {exc.strerror or exc}",
                           fix_zh="检查输出路径、写入权限和磁盘空间。",
                           fix_en="check the output path, write permission and free disk space.", file=exc.filename)
    return plain


class _Outputs:
    """Makes each asked-for output on its own: one that cannot be made (a layer missing, a full
    disk) is kept with its reason and fix, and the others are still made. Writers publish a file
    only when it is complete, so a failed output leaves nothing behind.

    ``blocked``: the outputs found up front to lack a layer (:func:`gridtool.maps.needs.unmet`):
    never started."""

    def __init__(self, args, blocked: dict[str, GridtoolError]):
        self.args = args
        self.blocked = blocked
        self.failed: list[tuple[tuple[str, ...], GridtoolError]] = []
        #: an output failed while being made: the set is given up (none of it put in place), and the
        #: outputs after it are not made (they would be thrown away)
        self.broken = False
        self.not_made: list[str] = []

    def __call__(self, keys, make):
        from ..errors import CancelledError
        keys = (keys,) if isinstance(keys, str) else tuple(keys)
        hit = next((self.blocked[k] for k in keys if k in self.blocked), None)
        if hit is not None:
            self.failed.append((keys, hit))
            return None
        if self.broken:
            self.not_made += keys
            return None
        try:
            return make()
        except CancelledError:
            raise
        except GridtoolError as exc:
            self.failed.append((keys, exc))
        except Exception as exc:  # noqa: BLE001 - an unwritable folder, a full disk: said, not a traceback
            plain = _write_error(exc, getattr(exc, "filename", None) or _target(self.args, keys[0]))
            if plain is None:
                raise
            self.failed.append((keys, plain))
        self.broken = True
        return None

    def failed_keys(self) -> set[str]:
        return {k for keys, _ in self.failed for k in keys}


def _target(args, key: str):
    return _assessment_out(args) if key == "assessment" else getattr(args, key, None)


def _named(args, keys) -> tuple[str, str]:
    """``台账（--ledger L.xlsx）``: an output by its name, option and file."""
    opts = "，".join(f"--assessment {args.assessment} → {_target(args, k)}" if k == "assessment"
                    else f"--{k.replace('_', '-')} {_target(args, k)}" for k in keys)
    return ("、".join(OUTPUT_NAMES[k][0] for k in keys) + f"（{opts}）",
            ", ".join(OUTPUT_NAMES[k][1] for k in keys) + f" ({opts.replace('，', ', ')})")


def _say_err(args, zh: str, en: str) -> None:
    lang = getattr(args, "lang", "zh")
    print(zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}", file=sys.stderr)


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
    from ..maps.gis import GIS_LAYERS, GIS_LAYERS_ON_REQUEST
    roles = [r.strip() for r in value.split(",") if r.strip()]
    known = GIS_LAYERS + GIS_LAYERS_ON_REQUEST
    bad = [r for r in roles if r not in known]
    if bad:
        raise GridtoolError(f"--layers 中有未知图层：{', '.join(bad)}",
                            f"unknown {plural_en(len(bad), 'layer')} in --layers: {', '.join(bad)}",
                            fix_zh="可选：" + ", ".join(known), fix_en="choose from: " + ", ".join(known))
    return roles


def layer_words(layer: str, lang: str = "zh") -> str:
    """A written layer as the summary names it, by the app's layer names: ``grids`` → 基础网格 / base
    grids, ``places_point`` → 重点场所（点） / key places (points); a layer gridtool does not name keeps its key."""
    from ..maps.style import LAYER_EN, LAYER_ZH
    zh = lang == "zh"
    names = LAYER_ZH if zh else LAYER_EN
    base, _, fam = layer.rpartition("_") if layer not in names else (layer, "", "")
    fam_words = ({"point": "（点）", "line": "（线）", "polygon": "（面）"} if zh
                 else {"point": " (points)", "line": " (lines)", "polygon": " (areas)"}).get(fam, "")
    html = ({"place_areas": "场所范围", "hotspot_areas": "热点范围", "households": "住户",
             "household_totals": "住户汇总", "villages": "村界", "rivers": "河流", "roads": "道路", "railways": "铁路"}
            if zh else {"place_areas": "place areas", "hotspot_areas": "hot-spot areas",
                        "household_totals": "household totals"})
    return names[base] + fam_words if base in names else html.get(layer, layer)


def run_web_gis(args, project, progress=None, attempt=_direct) -> list[tuple[Path, str]]:
    """Write the HTML map and GIS files the options ask for; ``(path, what)`` per file written.
    ``attempt(keys, make)`` makes one output (:class:`_Outputs`: one failing does not stop the rest)."""
    from ..maps import gis
    from ..maps.html import write_html

    include = bool(getattr(args, "include_personal", False))
    roles = _layers(getattr(args, "layers", None))
    done: list[tuple[Path, str]] = []

    zh = getattr(args, "lang", "zh") == "zh"

    def name(layer: str) -> str:
        return layer_words(layer, "zh" if zh else "en")

    from ..partition.totals import household_totals
    totals = household_totals(project)

    def count(layer: str, n: int) -> str:  # grids → 基础网格 71、例外网格 1, as every output splits them
        return totals.grids_written(n, "zh" if zh else "en") if layer == "grids" else f"{name(layer)} {n}"

    def seen(written, what: str) -> None:
        written = written or []  # None: the output could not be made (kept by ``attempt``)
        for p in dict.fromkeys(w.path for w in written):
            layers = [count(w.layer, w.features) for w in written if w.path == p]
            done.append((p, f"{what}{'：' if zh else ': '}" + ("、" if zh else ", ").join(layers)))
            for w in written:
                for note in w.notes if w.path == p else ():
                    print(f"  {w.layer}: {note}", file=sys.stderr)

    m = attempt("html", lambda: write_html(
        project, args.html, title=getattr(args, "title", None), subtitle=getattr(args, "subtitle", None),
        include_personal=include, tiles=args.tiles, tiles_attr=args.tiles_attr, progress=progress,
        lang=getattr(args, "lang", "zh") or "zh", township=getattr(args, "township", None),
        unit=getattr(args, "unit", None))) if args.html else None
    if m is not None:
        counts = ("、" if zh else ", ").join(count(k, v) for k, v in m.counts.items())
        missing = m.left_out_text(name, zh)  # features the map could not draw, named
        done.append((Path(args.html), f"网页地图：{counts}；{m.seconds:.1f} 秒" + (f"；{missing}" if missing else "")
                     if zh else f"HTML: {counts}; {m.seconds:.1f} s" + (f"; {missing}" if missing else "")))
    crs = getattr(args, "gis_crs", None)
    force = bool(getattr(args, "force", False))
    lang = "en" if getattr(args, "lang", "zh") == "en" else "zh"
    if args.gpkg:
        seen(attempt("gpkg", lambda: gis.write_gpkg(project, args.gpkg, roles=roles, include_personal=include,
                                                     crs=crs, force=force)), "GeoPackage")
    if args.shp:
        seen(attempt("shp", lambda: gis.write_shapefiles(project, args.shp, roles=roles, encoding=args.encoding,
                                                          include_personal=include, crs=crs, force=force, lang=lang)),
             f"Shapefile（{args.encoding.upper()}）" if zh else f"Shapefile ({args.encoding})")
    if args.geojson:
        seen(attempt("geojson", lambda: gis.write_geojson(project, args.geojson, roles=roles, include_personal=include,
                                                           force=force)), "GeoJSON")
    if args.kml:
        seen(attempt("kml", lambda: gis.write_kml(project, args.kml, roles=roles, include_personal=include, kmz=None,
                                                   force=force, lang=lang)),
             "KMZ" if str(args.kml).lower().endswith(".kmz") else "KML")  # --kml x.kmz: a real KMZ
    if args.kmz:
        seen(attempt("kmz", lambda: gis.write_kml(project, args.kmz, roles=roles, include_personal=include, kmz=True,
                                                   force=force, lang=lang)), "KMZ")
    if args.gpx:
        seen(attempt("gpx", lambda: gis.write_gpx(project, args.gpx, include_personal=include, force=force)), "GPX")
    return done


def _single_file_outputs(args) -> list[Path]:
    """The HTML map and print files the options ask for (GIS and ledger writers check their own targets)."""
    out = [getattr(args, k, None) for k in ("html", "pdf", "png", "svg", "atlas", "route_cards")]
    if getattr(args, "assessment", None):
        out.append(_assessment_out(args))
    return [Path(p) for p in out if p]


def cmd_export(args) -> int:
    wanted_print = [o for o in PRINT_OUTPUTS if getattr(args, o, None)]
    wanted = ([o for o in WEB_GIS_OUTPUTS + LEDGER_OUTPUTS + WALK_OUTPUTS if getattr(args, o, None)]
              + wanted_print)
    if not wanted:
        raise GridtoolError(
            "没有指定要导出的文件", "nothing to export: no output given",
            fix_zh="例如 --html 网格图.html、--pdf 挂图.pdf、--ledger 台账.xlsx、--gpkg 网格.gpkg、--kml 网格.kml、"
                   "--walks 巡查路线文件夹。",
            fix_en="e.g. --html map.html, --pdf wall.pdf, --ledger ledger.xlsx, --gpkg grids.gpkg, --kml grids.kml, "
                   "--walks WALKS_DIR.")
    _assessment_options(args)  # a --breaks or --classes slip is said before anything is read or written
    t0 = time.perf_counter()
    project = project_for_run(args)
    project = _counted(args, project)
    from ..maps.outputs import check_not_input
    from ..ownership import check_replace
    check_not_input(project, _single_file_outputs(args))  # "never overwrites its inputs" comes first
    check_replace(_single_file_outputs(args), force=bool(getattr(args, "force", False)))
    from ..maps.needs import unmet
    outputs = _Outputs(args, unmet(project, wanted))  # a missing layer is known now, not after a long render
    if outputs.blocked and len(outputs.blocked) < len(wanted):
        _say_err(args, "以下文件无法导出，其余照常导出（原因和解决办法见最后）：",
                 "these outputs cannot be made, the others are made as usual (why and the fix at the end):")
        for k, exc in outputs.blocked.items():
            zh, en = _named(args, (k,))
            _say_err(args, f"  {zh}：{exc.zh}", f"  {en}: {exc.en}")
    if any(getattr(args, o, None) for o in ("html", *PRINT_OUTPUTS) if o not in outputs.blocked):
        _say_place(args, project)
    from ..atomic import WriteError, publish_together
    try:
        # One set: every file waits beside its target until all are made, then all are put in place
        # together (or none, the old ones as they were): never a new ledger beside an old map.
        with command_progress(args) as progress, publish_together():
            done = run_web_gis(args, project, progress, attempt=outputs)
            ledger = tuple(k for k in LEDGER_OUTPUTS if getattr(args, k, None))
            if ledger:
                done += outputs(ledger, lambda: run_ledger(args, project)) or []
            if getattr(args, "walks", None):
                done += outputs("walks", lambda: run_walks(args, project, progress)) or []
            if wanted_print:
                for p in run_print(args, project, progress, attempt=outputs):
                    done.append((Path(p), "打印图件" if getattr(args, "lang", "zh") == "zh" else "print"))
            if outputs.broken and done:
                raise _GiveUp()
    except _GiveUp:
        pass
    except WriteError as exc:  # a file could not be replaced (open in Excel): the ones before it put back
        outputs.failed.append((("publish",), exc))
        outputs.broken = True
    if outputs.broken and (done or outputs.not_made or "publish" in outputs.failed_keys()):
        return _say_kept(args, outputs, done)
    if outputs.failed and not done and len(outputs.failed) == 1:
        raise outputs.failed[0][1]  # the one output asked for: its error, as ever
    if done:
        say(args, f"已导出 {len(done)} 个文件（{time.perf_counter() - t0:.1f} 秒）：",
            f"exported {count_en(len(done), 'file')} in {time.perf_counter() - t0:.1f} s:")
        for path, what in done:
            print(f"  {path}  ({_size(path)})  {what}")
        if getattr(args, "include_personal", False):
            _warn_unmasked(args, project, skip=outputs.failed_keys())
        else:
            say(args, "  个人信息（姓名、身份证号、电话）已脱敏或去除。",
                "  personal data (names, ID-card and phone numbers) masked or left out.")
    if not outputs.failed:
        return 0
    n = len(outputs.failed_keys())
    _say_err(args, f"未能导出 {n} 个文件" + ("（其余已导出）：" if done else "："),
             f"{count_en(n, 'output')} could not be made" + (" (the others were):" if done else ":"))
    lang = getattr(args, "lang", "zh")
    for keys, exc in outputs.failed:
        zh, en = _named(args, keys)
        _say_err(args, f"  ✗ {zh}", f"  x {en}")
        text = exc.format(None if lang == "both" else lang)
        print("\n".join("    " + line for line in text.splitlines()), file=sys.stderr)
    return 2


def _counted(args, project):
    """The project with its grids', special grids' and sub-grids' ``hh`` as its households give them
    (partition/totals.py), so every file states the figures of the one total: stored counts that
    differ (households imported again after the partition, a grids layer changed in GIS) are said,
    with the fix, and not written."""
    from ..partition.totals import with_household_counts
    project, totals, changed = with_household_counts(project)
    if not changed:
        return project
    n = {r: len(c) for r, c in changed.items()}
    names = {"grids": ("网格", "grid"), "special_grids": ("专属网格", "special grid"), "subgrids": ("子网格", "sub-grid")}
    zh = "、".join(f"{names[r][0]} {k:,} 个" for r, k in n.items())
    en = ", ".join(count_en(k, names[r][1]) for r, k in n.items())
    first = next(iter(changed.values()))[:5]
    first_zh, first_en = "、".join(first), ", ".join(first)
    cause_zh = ("住户已重新导入，尚未分入网格" if totals.unassigned == totals.imported
                else "网格图层可能在别处被改动")
    cause_en = ("the households were imported again and are in no grid yet" if totals.unassigned == totals.imported
                else "the grids layer may have been changed elsewhere")
    target = getattr(args, "project", None)
    target_zh, target_en = target or "项目.gpkg", target or "PROJECT.gpkg"  # no Chinese in the English line
    say(args, f"注意：{zh}的户数与住户不一致（{cause_zh}；如 {first_zh}）；导出的文件按住户计数（{totals.text_zh()}）。"
              f"解决办法：gridtool partition {target_zh} --redraw --out {target_zh}（已锁定的网格不变）",
        f"note: the household counts of {en} differ from their households ({cause_en}; e.g. {first_en}); the "
        f"files state the households' figures ({totals.text_en()}). Fix: gridtool partition {target_en} --redraw "
        f"--out {target_en} (locked grids are kept)")
    return project


class _GiveUp(Exception):
    """An output failed: leave the block so that none of the set is put in place."""


def _say_kept(args, outputs: _Outputs, done) -> int:
    """An export given up: what failed (reason and fix), what was made but not put in place, and
    that every file already there is as it was; exit code 2."""
    n = len([k for k in outputs.failed_keys() if k != "publish"])
    if n:
        _say_err(args, f"未能导出 {n} 个文件。为使各文件一致，本次导出的文件都没有写入，已有的文件保持原样：",
                 f"{count_en(n, 'output')} could not be made. So that the files agree, none of this export's files were "
                 "written; the files already there are as they were:")
    else:
        _say_err(args, "无法替换已有的文件。为使各文件一致，本次导出的文件都没有写入，已有的文件保持原样：",
                 "an existing file could not be replaced. So that the files agree, none of this export's files "
                 "were written; the files already there are as they were:")
    lang = getattr(args, "lang", "zh")
    for keys, exc in outputs.failed:
        if keys != ("publish",):
            zh, en = _named(args, keys)
            _say_err(args, f"  ✗ {zh}", f"  x {en}")
        text = exc.format(None if lang == "both" else lang)
        print("\n".join("    " + line for line in text.splitlines()), file=sys.stderr)
    waiting = list(dict.fromkeys(str(p) for p, _ in done)) + [str(_target(args, k)) for k in outputs.not_made]
    if waiting:
        _say_err(args, "  未写入（改正后重新导出）：" + "、".join(waiting),
                 "  not written (export again once fixed): " + ", ".join(waiting))
    return 2


def _warn_unmasked(args, project, skip=frozenset()) -> None:
    """After ``--include-personal``: name the files that show personal data as it is, with the
    columns, and what the law asks of whoever holds them (nothing when there is none); ``skip``:
    the outputs that could not be made."""
    from ..maps.unmasked import EXPORT_LAYERS, gis_layers, unmasked_outputs, warning_lines

    kinds = {"html": "html", "gpx": "gpx", "ledger": "ledger", "ledger_csv": "ledger", "pdf": "wall",
             "png": "wall", "svg": "wall", "atlas": "atlas", "route_cards": "route_cards"}
    outputs = []
    for opt in ("html", "gpkg", "shp", "geojson", "kml", "kmz", "gpx", "ledger", "ledger_csv", "pdf", "png", "svg",
                "assessment", "atlas", "route_cards"):
        target = getattr(args, opt, None)
        if not target or opt in skip:
            continue
        if opt == "assessment":
            outputs.append((_assessment_out(args), "wall", EXPORT_LAYERS["wall"]))
        elif opt in kinds:
            outputs.append((target, kinds[opt], EXPORT_LAYERS[kinds[opt]]))
        else:
            outputs.append((target, "gis", gis_layers(_layers(getattr(args, "layers", None)))))
    found = unmasked_outputs(project, outputs)
    if found:
        say(args, "\n".join(warning_lines(found, "zh")), "\n".join(warning_lines(found, "en")))


def _say_place(args, project) -> None:
    """Say where the titles' place name came from (never guessed silently)."""
    if getattr(args, "title", None) or getattr(args, "township", None):
        return
    from ..maps.titles import find_place, map_title
    place = find_place(project)
    if place.label:
        if place.source.startswith("columns"):  # named as in the user's file (F4、F3), not gridtool's county, township
            vil = project.layers.get("villages")
            cols = [c.strip() for c in place.source.replace("columns: ", "").split(",")]
            cols = [vil.source_column(c) if hasattr(vil, "source_column") else c for c in cols]
            how = (f"村界图层的{'、'.join(cols)}列", f"the villages layer's columns {', '.join(cols)}")
        else:
            how = {"village names": ("村名的共同前缀", "the villages' common name prefix")}.get(
                place.source, (place.source, place.source))
        say(args, f"图名：{map_title(project)}（地名“{place.label}”取自{how[0]}；可用 --township 或 --title 改）",
            f"title: {map_title(project)} (place {place.label!r} from {how[1]}; change it with --township or --title)")
    else:
        say(args, f"图名：{map_title(project)}（数据中没有乡镇、区县名；用 --township 或 --title 指定）",
            f"title: {map_title(project)} (no township or county name in the data; give --township or --title)")


def run_ledger(args, project) -> list[tuple[Path, str]]:
    """Write ``--ledger FILE.xlsx`` and ``--ledger-csv DIR``; print what was guessed and the totals."""
    from ..maps.ledger import ledger_tables, write_ledger_csv, write_ledger_xlsx

    include = bool(getattr(args, "include_personal", False))
    ledger = ledger_tables(project, include_personal=include)
    for zh, en in ledger.notes:
        say(args, f"  台账：{zh}", f"  ledger: {en}")
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
    say(args, f"  {ledger.totals.text_zh()}", f"  {ledger.totals.text_en()}")
    return done


def run_walks(args, project, progress=None) -> list[tuple[Path, str]]:
    """``--walks DIR``: the files of every street walk kept in the project, as the app's 导出 →
    街巷巡查路线文件 writes them (:func:`gridtool.maps.route_files.write_project_walks`); the cards
    start at ``--walk-start``, else at the walks' own start time."""
    from ..maps.route_files import stored_walk_start, write_project_walks
    from ..routing.shift_windows import parse_clock
    given = getattr(args, "walk_start", None)
    text = given or stored_walk_start(project)
    try:
        start = parse_clock(text)
    except ValueError:
        from ..errors import OptionError
        if given:
            raise OptionError(f"--walk-start 应为 HH:MM：{text}", f"--walk-start takes HH:MM: {text!r}",
                              fix_zh="例如 --walk-start 08:00。", fix_en="e.g. --walk-start 08:00.",
                              field="walk_start") from None
        # not the user's option: the start time kept in the project (written by another program?)
        raise OptionError(f"项目中记录的街巷巡查开始时间无法识别：{text}",
                          f"the street walks' start time kept in the project cannot be read: {text!r}",
                          fix_zh="用 --walk-start 指定开始时间，例如 --walk-start 08:00。",
                          fix_en="give the start time with --walk-start, e.g. --walk-start 08:00.",
                          file=str(getattr(args, "project", "") or ""), field="walk_start") from None
    # the CSV headers follow --lang (zh, en or both), as gridtool walk writes them
    files = write_project_walks(project, Path(args.walks), start_minutes=start, lang=getattr(args, "lang", "zh") or "zh",
                                force=bool(getattr(args, "force", False)), progress=progress)
    what = "街巷巡查路线" if getattr(args, "lang", "zh") == "zh" else "street walk"
    return [(Path(f), what) for f in files]


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


def _dpi(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not 10 <= v <= 1200:
        raise argparse.ArgumentTypeError(f"分辨率应在 10 到 1200 之间，如 200 / --dpi takes 10 to 1200, e.g. 200: {text}")
    return v


def _paper_size(text: str) -> str:
    t = text.strip().upper()
    if t not in PAPER_SIZES_MM:
        raise argparse.ArgumentTypeError(f"纸张尺寸可选 {', '.join(PAPER_SIZES_MM)} / paper size: one of {', '.join(PAPER_SIZES_MM)}")
    return t


def add_print_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the print options (and ``--include-personal``) to an ``argparse`` parser."""
    g = parser.add_argument_group("挂图、图册、五色图与路线卡 / wall maps, atlas, assessment map, route cards")
    g.add_argument("--pdf", metavar="WALL.pdf", help="矢量挂图 PDF（嵌入中文字体）/ vector wall map, fonts embedded")
    g.add_argument("--png", metavar="WALL.png", help="挂图 PNG（按 --dpi）/ raster wall map at --dpi")
    g.add_argument("--svg", metavar="WALL.svg", help="挂图 SVG（文字转为路径）/ SVG wall map, text as outlines")
    g.add_argument("--size", "--paper", type=_paper_size, default="A3", metavar="{A4,A3,A2,A1,A0}",
                   help="纸张尺寸，默认 A3 / paper size (default A3)")
    g.add_argument("--landscape", action="store_true", help="横向（同 --orientation landscape）/ landscape")
    g.add_argument("--orientation", choices=("auto", "portrait", "landscape"), default="auto",
                   help="纸张方向：auto（按数据范围的形状选择，默认）、portrait 纵向、landscape 横向 / "
                        "sheet orientation (default auto: the one that fits the data's extent)")
    g.add_argument("--scale", type=_scale, metavar="N",
                   help="固定比例尺，如 5000 或 1:5000（默认按范围适配）/ fixed scale, e.g. 5000 (default: fit)")
    g.add_argument("--dpi", type=_dpi, default=200, help="PNG 分辨率，默认 200 / PNG resolution (default 200)")
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
    g.add_argument("--breaks", metavar="A,B,C,D",
                   help="分数的分级阈值（默认五分位）/ score thresholds between classes (default quintiles)")
    g.add_argument("--route-cards", metavar="CARDS.pdf", help="巡逻路线卡：每组一页 A4 / one A4 card per patrol team")
    parser.add_argument("--include-personal", action="store_true",
                        help="包含姓名、身份证号、电话（默认脱敏）/ include names, ID and phone numbers (default: masked)")


def _assessment_out(args) -> Path:
    if getattr(args, "assessment_out", None):
        return Path(args.assessment_out)
    base = Path(getattr(args, "pdf", None) or getattr(args, "project", None) or "gridtool")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(args.assessment))
    return base.with_name(f"{base.stem}-assessment-{safe}.pdf")


def _landscape(args) -> bool | None:
    """``--landscape`` / ``--orientation`` as the wall map's ``landscape`` (None: choose from the data)."""
    orientation = getattr(args, "orientation", "auto") or "auto"
    if getattr(args, "landscape", False):
        if orientation == "portrait":
            from ..errors import OptionError
            raise OptionError("--landscape 与 --orientation portrait 矛盾", "--landscape contradicts --orientation portrait",
                              fix_zh="只保留其中一个。", fix_en="keep one of them.", field="orientation")
        return True
    return {"portrait": False, "landscape": True}.get(orientation)


def _assessment_options(args) -> tuple:
    """``--classes`` and ``--breaks`` read (the app's five-colour dialog reads its two boxes with the
    same two functions); :func:`cmd_export` reads them before any file is written, so that a slip
    is said before the HTML, ledger and wall maps are made, not after them."""
    from ..maps.colours import parse_breaks, parse_classes
    classes = parse_classes(args.classes) if getattr(args, "classes", None) else None
    breaks = parse_breaks(args.breaks) if getattr(args, "breaks", None) else None
    return classes, breaks


def run_print(args, project, progress=None, attempt=_direct) -> list[Path]:
    """Write every print export the parsed ``args`` ask for; return the files written, in order.

    Errors (``GridtoolError`` subclasses, bilingual, with a fix) propagate to the command line,
    which prints them and exits 2, unless ``attempt(keys, make)`` keeps them (``gridtool export``:
    the other outputs are still made); a file is either complete at its path or not there. What
    the wall maps chose or left out (orientation, village names with no room) is said as it goes.
    """
    from ..maps.wallmap import render_wall_map

    classes, breaks = _assessment_options(args)
    include = bool(getattr(args, "include_personal", False))
    coord = getattr(args, "coord_grid", "auto")
    common = dict(size=getattr(args, "size", "A3"), landscape=_landscape(args),
                  scale=getattr(args, "scale", None), dpi=float(getattr(args, "dpi", 200) or 200),
                  title=getattr(args, "title", None), subtitle=getattr(args, "subtitle", None),
                  date=getattr(args, "date", None), include_personal=include, progress=progress,
                  township=getattr(args, "township", None), unit=getattr(args, "unit", None))
    names = dict(title=common["title"], township=common["township"], unit=common["unit"])
    out: list[Path] = []
    notes: list[tuple[str, str]] = []

    def made(key: str, make) -> None:
        p = attempt(key, make)
        if p is not None:
            out.append(p)
    for fmt in ("pdf", "png", "svg"):
        path = getattr(args, fmt, None)
        if path:
            made(fmt, lambda fmt=fmt, path=path: render_wall_map(
                project, path, fmt=fmt, coord_grid=None if coord == "none" else coord,
                labels=not getattr(args, "no_labels", False), notes=notes, **common))
    if getattr(args, "assessment", None):
        from ..maps.assessment import render_assessment_map
        made("assessment", lambda: render_assessment_map(project, _assessment_out(args), field=args.assessment,
                                                         classes=classes, breaks=breaks, notes=notes, **common))
    for zh, en in notes:
        say(args, f"  {zh}", f"  {en}")
    if getattr(args, "atlas", None):
        from ..maps.atlas import write_atlas

        codes = [c.strip() for c in args.atlas_grids.split(",")] if getattr(args, "atlas_grids", None) else None
        made("atlas", lambda: write_atlas(project, args.atlas, include_personal=include,
                                          date=getattr(args, "date", None), grids=codes, progress=progress, **names))
    if getattr(args, "route_cards", None):
        from ..maps.cards import write_route_cards

        made("route_cards", lambda: write_route_cards(project, args.route_cards, date=getattr(args, "date", None),
                                                      progress=progress, include_personal=include, **names))
    return out


def register(subparsers) -> None:
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
    g = pe.add_argument_group("街巷巡查路线 / street walks")
    g.add_argument("--walks", metavar="DIR",
                   help="项目中已保存的街巷巡查路线（桌面程序“网格街巷巡查路线”）的文件：每个网格 GPKG、GPX、KML、"
                        "街巷 CSV 和路线卡 PDF，同桌面程序“导出 → 街巷巡查路线文件” / the files of the street walks "
                        "kept in the project, per grid (as the app's Export → Street walk files)")
    g.add_argument("--walk-start", metavar="HH:MM",
                   help="路线卡上的出发时间（默认为规划时的出发时间，未记录则 08:00）/ start time on the walk cards "
                        "(default: the walks' own, else 08:00)")
    pe.add_argument("--quiet", action="store_true", help="不显示进度 / no progress messages")
    pe.add_argument("--force", action="store_true",
                    help="允许覆盖不是 gridtool 导出的已有文件 / replace existing files gridtool did not write")
    add_print_arguments(pe)  # --pdf … --route-cards, --title, --include-personal (shared with the HTML/GIS)
    # Corrected roads, this month's incidents … drawn on the maps for this run only (as patrol and
    # validate take them); never the layers the plan counts. --encoding stays the shapefiles' own.
    add_role_arguments(pe, roles=EXPORT_ROLES, encoding=False)
    pe.set_defaults(func=cmd_export)


__all__ = ["add_print_arguments", "cmd_export", "register", "run_ledger", "run_print", "run_walks", "run_web_gis"]
