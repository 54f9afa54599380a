"""What every ``gridtool`` command shares: the layer-by-role options and their parsing
(``--field``, ``--crs-in``, ``--encoding``, ``--limit``), bilingual messages (:func:`say`), a project
or layers by role (:func:`project_or_sources`), the progress bar (:func:`command_progress`, from
:mod:`gridtool.progress`) and the road-graph options of the routing commands.

Nothing heavy is imported at module level: building the parser must not slow down every start.
"""

from __future__ import annotations

import argparse

from ..errors import GridtoolError, UnknownRoleError
from ..field_keys import FIELD_KEYS
from ..progress import command_progress
from ..roles import ROLES, VECTOR_ROLES
from ..routing.modes import MODE_ZH, MODES
from ..routing.project_layers import road_graph

#: ``--lang``: Chinese (the default), English, or both.
LANGS = ("zh", "en", "both")


def say(args, zh: str, en: str) -> None:
    """Print a message in the language of ``--lang`` (Chinese, English, or both lines)."""
    lang = getattr(args, "lang", "zh")
    print(zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}")


def fmt_lang(args) -> str | None:
    """The ``lang`` for :meth:`gridtool.errors.GridtoolError.format` and ``Problem.format`` (None: both)."""
    lang = getattr(args, "lang", "zh")
    return None if lang == "both" else lang


def add_role_arguments(p: argparse.ArgumentParser, roles=None, *, encoding: bool = True) -> None:
    """The layer-by-role options shared by every command that reads input files; ``roles``: only
    these (a command that takes a one-off layer for what it draws: ``walk --roads``), every role
    otherwise. ``encoding=False``: the command's own ``--encoding`` is of what it writes (export)."""
    g = p.add_argument_group("layers by role / 按角色传入图层 (PATH or PATH:LAYER; "
                             "FILE.xlsx:* 合并所有工作表 / every sheet as one layer)")
    for role in VECTOR_ROLES if roles is None else [r for r in VECTOR_ROLES if r in roles]:
        g.add_argument(f"--{role.replace('_', '-')}", dest=role, metavar="PATH[:LAYER]",
                       help=f"{ROLES[role].zh} / {role}")
    g.add_argument("--dem", metavar="PATH", help="高程模型 / elevation raster (GeoTIFF, .hgt, .hgt.zip)")
    p.add_argument("--crs-in", action="append", default=[], metavar="[ROLE=]CRS",
                   help="输入坐标系 / input CRS: wgs84, cgcs2000, gcj02, bd09, EPSG:4490, EPSG:4547 … "
                        "CRS alone: for files without a CRS of their own; ROLE=CRS (e.g. households=gcj02): "
                        "that layer, over its file's own")
    if encoding:
        p.add_argument("--encoding", action="append", default=[], metavar="[ROLE=]ENC",
                       help="文本编码 / text encoding (gbk, utf-8 …) of shapefiles without .cpg and CSV; "
                            "ROLE=ENC for one layer; default: detected")
    p.add_argument("--field", action="append", default=[], metavar="[ROLE.]KEY=COLUMN",
                   help="指定列 / choose a source column: hh=户数 (hh=1: 每行一户 / each row one household), lon=东经, lat=北纬, name=村名, "
                        "village=所属村; households.hh=户数 for one layer only. Keys by layer / 各图层可指定: "
                        + "; ".join(f"{r}: {', '.join(k)}" for r, k in FIELD_KEYS.items()))
    p.add_argument("--line-classes", metavar="FILE.csv",
                   help="线类映射 / classes of roads, rivers, railways, land parcels by column value: CSV with "
                        "layer,column,value,class (e.g. roads,DJ,1,motorway; landuse,DLBM,1107,ditch)")
    p.add_argument("--seed", type=int, default=0, help="随机种子 / seed (OSM household estimates)")
    p.add_argument("--limit", action="append", default=[], metavar="KEY=VALUE",
                   help="放宽或收紧限制 / change a limit, e.g. hh_per_point=50000, hh_per_village=300000, "
                        "archive_unpacked_mb=8192, table_columns=5000, duplicates=warning (see gridtool/limits.py)")


def role_sources(args) -> dict[str, str]:
    """The layers given by role: ``{"households": "PATH[:LAYER]", …}``."""
    return {role: getattr(args, role) for role in VECTOR_ROLES if getattr(args, role, None)}


def per_role_option(values: list[str], option: str, extra_roles=()) -> str | dict[str, str] | None:
    """``["gcj02"]`` -> ``"gcj02"``; ``["households=gcj02", "EPSG:4547"]`` -> per role with ``"*"``.

    ``extra_roles`` are the files a command reads besides the layers by role (``seal --exits``:
    ``exits``), accepted as roles too."""
    out: dict[str, str] = {}
    known = [*ROLES, *extra_roles]
    for item in values:
        role, sep, rest = item.partition("=")
        if sep and role.strip().replace("-", "_") in known:
            out[role.strip().replace("-", "_")] = rest.strip()
        elif sep and role.strip().replace("-", "_").isidentifier():  # a word, not a PROJ string (+proj=…)
            raise UnknownRoleError(f"{option} {item} 中的图层角色 {role.strip()} 未知",
                                   f"unknown role {role.strip()!r} in {option} {item}",
                                   fix_zh="可用角色：" + "、".join(known) + f"；例如 {option} households={rest.strip()}。",
                                   fix_en="roles: " + ", ".join(known) + f"; e.g. {option} households={rest.strip()}.")
        elif "*" in out:
            raise GridtoolError(f"{option} 只能给一个不带图层的值", f"{option} takes one value without a role",
                                fix_zh=f"其余写成 图层=值，例如 {option} households=gcj02。",
                                fix_en=f"give the others as ROLE=VALUE, e.g. {option} households=gcj02.")
        else:
            out["*"] = item.strip()
    if not out:
        return None
    return out["*"] if list(out) == ["*"] else out


def field_options(args) -> dict[str, str]:
    """``--field KEY=COLUMN`` options as ``{KEY: COLUMN}`` (``households.hh=户数`` keeps its role prefix)."""
    out = {}
    for item in args.field:
        if "=" not in item:
            raise GridtoolError(f"--field 需要 键=列名 的形式：{item}", f"--field takes KEY=COLUMN: {item!r}",
                                fix_zh="例如 --field hh=户数", fix_en="e.g. --field hh=households")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def pair_options(values: list[str], option: str, sep: str = "=") -> dict[str, str]:
    """``A=B`` options (``--merge``, ``--relax``) as ``{A: B}``."""
    out = {}
    for item in values:
        if sep not in item:
            raise GridtoolError(f"{option} 需要 A{sep}B 的形式：{item}", f"{option} takes A{sep}B: {item!r}",
                                fix_zh=f"例如 {option} 村甲{sep}村乙", fix_en=f"e.g. {option} VillageA{sep}VillageB")
        a, b = item.split(sep, 1)
        out[a.strip()] = b.strip()
    return out


def code_list(text: str | None) -> list[str]:
    """``"A-01,A-02"`` (also with ``，``, ``、`` or spaces) as a list of codes: the app's lock field
    reads them with the same :func:`gridtool.partition.redraw_words.lock_codes`."""
    from ..partition.redraw_words import lock_codes
    return lock_codes(text)


def file_roles(args) -> tuple[str, ...]:
    """The command's own input files that take ``--crs-in ROLE=…``, ``--encoding ROLE=…`` and
    ``--field ROLE.KEY=…`` like the layers by role (``seal``: ``exits``); set with ``set_defaults``."""
    return tuple(getattr(args, "file_roles", ()) or ())


def _without(value, roles):
    """A per-role option without the entries of ``roles`` (a command's own files, not layers)."""
    if not isinstance(value, dict):
        return value
    rest = {k: v for k, v in value.items() if k not in roles}
    return (rest["*"] if list(rest) == ["*"] else rest) or None


def file_options(args, role: str) -> dict:
    """How to read the command's own file ``role`` (one of :func:`file_roles`): ``crs_in`` (its own
    ``--crs-in role=…``, over the file's CRS), ``crs_default`` (the one ``--crs-in CRS`` for files
    without a CRS), ``encoding``, ``encoding_default`` and ``fields`` (``--field role.name=…``), as
    :func:`gridtool.layers.load_layer` takes them."""
    extra = file_roles(args)
    crs = per_role_option(getattr(args, "crs_in", []) or [], "--crs-in", extra)
    enc = per_role_option(_role_encodings(args), "--encoding", extra)

    def split(v):
        if isinstance(v, dict):
            return v.get(role), v.get("*")
        return None, v
    fields = {k.split(".", 1)[1]: v for k, v in field_options(args).items() if k.startswith(role + ".")}
    crs_in, crs_default = split(crs)
    encoding, encoding_default = split(enc)
    return dict(crs_in=crs_in, crs_default=crs_default, encoding=encoding, encoding_default=encoding_default,
                fields=fields or None)


def _role_encodings(args) -> list[str]:
    """The ``--encoding [ROLE=]ENC`` options of the layers read; none where ``--encoding`` is the
    encoding a command writes (``export --encoding gbk``: one value, not a list)."""
    enc = getattr(args, "encoding", None)
    return list(enc) if isinstance(enc, list) else []


def source_options(args) -> dict:
    """How to read the layers by role: ``--crs-in``, ``--encoding``, ``--field``, ``--dem``, ``--seed``
    and ``--line-classes`` as keyword arguments of :meth:`gridtool.project.Project.from_sources`
    and :meth:`~gridtool.project.Project.add_sources` (the entries for the command's own files,
    :func:`file_roles`, are left to it)."""
    extra = file_roles(args)
    fields = {k: v for k, v in field_options(args).items() if k.split(".", 1)[0] not in extra or "." not in k}
    return dict(crs_in=_without(per_role_option(args.crs_in, "--crs-in", extra), extra),
                encoding=_without(per_role_option(_role_encodings(args), "--encoding", extra), extra),
                fields=fields, dem=getattr(args, "dem", None), seed=getattr(args, "seed", 0),
                line_classes=getattr(args, "line_classes", None))


def project_from_args(args, progress=None):
    """A project loaded from the layers given by role, with :func:`source_options`."""
    from ..project import Project
    sources = role_sources(args)
    if not sources:
        raise GridtoolError("没有传入任何图层", "no layers given",
                            fix_zh="至少用 --households 传入住户数据。",
                            fix_en="give at least --households PATH.")
    return Project.from_sources(sources, name=getattr(args, "name", None), progress=progress, **source_options(args))


def project_or_sources(args, *, one_off: bool = False):
    """The project file given as ``PROJECT.gpkg``, or else one loaded from the layers given by role.

    Both given: with ``one_off`` (commands that only read the project: patrol, coverage, seal,
    validate) the layers by role are read into the opened project for this run only, over its own
    layer of that role (:meth:`~gridtool.project.Project.add_sources`, as ``import PROJECT.gpkg``
    adds them); the command must then not save the project (:func:`one_off_roles`). Otherwise
    refused, pointing to ``gridtool import PROJECT.gpkg --ROLE FILE``, which stores them."""
    from ..project import Project
    if getattr(args, "project", None):
        sources = role_sources(args)
        dem = getattr(args, "dem", None)
        if (sources or dem) and not one_off:
            # --dem too: beside a project it was silently left out (partition P.gpkg --dem X)
            flags = " ".join(f"--{r.replace('_', '-')} {v}" for r, v in one_off_roles(args).items())
            raise GridtoolError(
                "这个命令不能同时使用项目文件和按角色的图层", "this command takes a project or layers by role, not both",
                fix_zh=f"先把图层存入项目：gridtool import {args.project} {flags}（其余图层、网格和修改都保留），"
                       f"再对项目运行本命令；或去掉项目文件，只给图层。",
                fix_en=f"store the layer in the project first: gridtool import {args.project} {flags} (every other "
                       "layer, the grids and edits are kept), then run this command on the project; or drop the project.")
        project = Project.open(args.project)
        if sources or dem:  # what they leave out of date is what this run redoes: not told
            project.add_sources(sources, **source_options(args))
        return project
    return project_from_args(args)


def one_off_roles(args) -> dict[str, str]:
    """The layers by role (and ``dem``) given beside ``PROJECT.gpkg``: read for this run only
    (:func:`project_or_sources`)."""
    if not getattr(args, "project", None):
        return {}
    return {**role_sources(args), **({"dem": args.dem} if getattr(args, "dem", None) else {})}


def limit_options(args) -> dict:
    """``--limit KEY=VALUE`` options as keyword arguments of :func:`gridtool.limits.override`."""
    from .. import limits
    return limits.from_options(getattr(args, "limit", None) or [])


def add_routing_arguments(p, *, default_mode: str = "walk") -> None:
    """The road-graph options every routing command shares: ``--mode``, ``--node-crossings``,
    ``--snap M``, ``--speed CLASS=KMH`` (repeatable) and ``--no-maxspeed``. Read them with :func:`routing_graph`."""
    p.add_argument("--mode", choices=MODES, default=default_mode,
                   help="出行方式 / travel mode: " + ", ".join(f"{m} {MODE_ZH[m]}" for m in MODES))
    p.add_argument("--node-crossings", choices=("auto", "yes", "no"), default="auto",
                   help="交叉处是否连通 / join roads where they cross: auto = 由数据判断（已在共享节点相接的路网"
                        "不在交叉处加路口，立交保持不连通；CAD 式线条在交叉处加路口）/ decided from the layer "
                        "(a noded network keeps its over/underpasses; a CAD-like one gets junctions at crossings)")
    p.add_argument("--snap", type=float, default=None, metavar="M",
                   help="线端吸附容差（米）：线端未接上其他道路、相距不超过此值时连上（只连线端，不连交叉线和桥隧）；"
                        "默认 CAD 式图层 3 米、已在共享节点相接的路网 0 / join a line end that stops within M metres "
                        "of another road to it (ends only; never crossing lines, bridges or tunnels); default 3 m "
                        "for a CAD-like layer, 0 for a noded network")
    p.add_argument("--speed", action="append", default=[], metavar="CLASS=KMH",
                   help="按道路等级指定车速（公里/小时），可重复；中文等级按导入时归入的等级（县道 即 secondary）/ "
                        "speed of a road class in km/h for this mode, repeatable: --speed residential=25 "
                        "--speed 县道=40 (a Chinese grade sets the class import gave its roads: 县道 = secondary)")
    p.add_argument("--no-maxspeed", action="store_true",
                   help="不使用道路自带限速列（maxspeed/限速/speed）/ ignore the roads' own speed-limit column")


def speeds_from_args(args, mode: str) -> dict | None:
    """``--speed CLASS=KMH`` options as ``build_graph``'s ``speeds`` for ``mode``
    (:func:`gridtool.routing.patrol_options.parse_speeds`, as the app's routing dialogs read them)."""
    from ..routing.patrol_options import parse_speeds
    return parse_speeds(getattr(args, "speed", None) or [], mode)


def routing_graph(project, args, *, mode: str | None = None):
    """The road graph for a routing command with the shared options (:func:`add_routing_arguments`);
    prints the graph's warnings, how it was noded and where speeds came from."""
    mode = mode or args.mode
    graph = road_graph(project, mode, node_crossings=getattr(args, "node_crossings", "auto"),
                       snap=getattr(args, "snap", None), speeds=speeds_from_args(args, mode), maxspeed=not getattr(args, "no_maxspeed", False))
    lang = getattr(args, "lang", "zh")
    for p in graph.problems:
        print(p.format(None if lang == "both" else lang))
    report = graph.report(lang if lang in ("zh", "en") else "both")
    quiet = bool(getattr(args, "quiet", False))  # --quiet: warnings only, not how the graph was built
    if report and not quiet:
        print(report)
    if not quiet:
        from ..routing.patrol_options import speed_lines
        for zh, en in speed_lines(speeds_from_args(args, mode), mode, getattr(args, "speed", None)):
            say(args, zh, en)
    return graph


__all__ = ["LANGS", "add_role_arguments", "add_routing_arguments", "code_list", "command_progress", "field_options",
           "file_options", "file_roles", "fmt_lang", "limit_options", "one_off_roles", "pair_options", "per_role_option", "project_from_args", "project_or_sources", "role_sources", "source_options",
           "routing_graph", "say", "speeds_from_args"]
