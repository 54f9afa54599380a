"""The ``gridtool`` command line: the same jobs as the desktop app, in batch.

Subcommands: ``import`` (files by role into a project), ``info`` (what a file or project holds),
``validate`` (every data problem, with fixes), ``partition`` (base grids and sub-grids),
``join`` (a table such as the grid-worker roster or scores, joined to the grids by code),
``patrol`` (team routes), ``walk`` (street walks of grids), ``coverage`` (service circles and station siting),
``seal`` (one station to each exit, the longest trip shortest),
``export`` (offline HTML map, wall maps, atlas, GIS files), ``demo`` (the bundled sample, end to end).
Exit codes: 0 done; 1 validation found errors; 2 bad input or usage (message says how to fix);
3 an internal error (details in a log file); 4 a batch partition where some villages failed (the
others are written and the failures named).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import __version__
from .errors import GridtoolError
from .progress import command_progress, one_side  # noqa: F401 - one_side kept importable from here
from .roles import ROLES, VECTOR_ROLES

_LANGS = ("zh", "en", "both")


def _say(args, zh: str, en: str) -> None:
    lang = getattr(args, "lang", "zh")
    print(zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}")


def _fmt_lang(args) -> str | None:
    lang = getattr(args, "lang", "zh")
    return None if lang == "both" else lang


def add_role_arguments(p: argparse.ArgumentParser) -> None:
    """The layer-by-role options shared by every command that reads input files."""
    g = p.add_argument_group("layers by role / 按角色传入图层 (PATH or PATH:LAYER)")
    for role in VECTOR_ROLES:
        g.add_argument(f"--{role.replace('_', '-')}", dest=role, metavar="PATH[:LAYER]",
                       help=f"{ROLES[role].zh} / {role}")
    g.add_argument("--dem", metavar="PATH", help="高程模型 / elevation raster (GeoTIFF, .hgt, .hgt.zip)")
    p.add_argument("--crs-in", action="append", default=[], metavar="[ROLE=]CRS",
                   help="输入坐标系 / input CRS: wgs84, cgcs2000, gcj02, bd09, EPSG:4490, EPSG:4547 … "
                        "CRS alone: for files without a CRS of their own; ROLE=CRS (e.g. households=gcj02): "
                        "that layer, over its file's own")
    p.add_argument("--encoding", action="append", default=[], metavar="[ROLE=]ENC",
                   help="文本编码 / text encoding (gbk, utf-8 …) of shapefiles without .cpg and CSV; "
                        "ROLE=ENC for one layer; default: detected")
    p.add_argument("--field", action="append", default=[], metavar="[ROLE.]KEY=COLUMN",
                   help="指定列 / choose a source column: hh=户数, lon=东经, lat=北纬, name=村名, "
                        "village=所属村; households.hh=户数 for one layer only")
    p.add_argument("--line-classes", metavar="FILE.csv",
                   help="线类映射 / classes of roads, rivers, railways, land parcels by column value: CSV with "
                        "layer,column,value,class (e.g. roads,DJ,1,motorway; landuse,DLBM,1107,ditch)")
    p.add_argument("--seed", type=int, default=0, help="随机种子 / seed (OSM household estimates)")
    p.add_argument("--limit", action="append", default=[], metavar="KEY=VALUE",
                   help="放宽或收紧限制 / change a limit, e.g. hh_per_point=50000, hh_per_village=300000, "
                        "archive_unpacked_mb=8192, table_columns=5000, duplicates=warning (see gridtool/limits.py)")


def _sources(args) -> dict[str, str]:
    return {role: getattr(args, role) for role in VECTOR_ROLES if getattr(args, role, None)}


def _per_role_option(values: list[str], option: str) -> str | dict[str, str] | None:
    """``["gcj02"]`` -> ``"gcj02"``; ``["households=gcj02", "EPSG:4547"]`` -> per role with ``"*"``."""
    out: dict[str, str] = {}
    for item in values:
        role, sep, rest = item.partition("=")
        if sep and role.strip().replace("-", "_") in ROLES:
            out[role.strip().replace("-", "_")] = rest.strip()
        elif "*" in out:
            raise GridtoolError(f"{option} 只能给一个不带图层的值", f"{option} takes one value without a role",
                                fix_zh=f"其余写成 图层=值，例如 {option} households=gcj02。",
                                fix_en=f"give the others as ROLE=VALUE, e.g. {option} households=gcj02.")
        else:
            out["*"] = item.strip()
    if not out:
        return None
    return out["*"] if list(out) == ["*"] else out


def _fields(args) -> dict[str, str]:
    out = {}
    for item in args.field:
        if "=" not in item:
            raise GridtoolError(f"--field 需要 键=列名 的形式：{item}", f"--field takes KEY=COLUMN: {item!r}",
                                fix_zh="例如 --field hh=户数", fix_en="e.g. --field hh=households")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _project_from_args(args, progress=None):
    from .project import Project
    sources = _sources(args)
    if not sources:
        raise GridtoolError("没有传入任何图层", "no layers given",
                            fix_zh="至少用 --households 传入住户数据。",
                            fix_en="give at least --households PATH.")
    return Project.from_sources(sources, crs_in=_per_role_option(args.crs_in, "--crs-in"),
                                encoding=_per_role_option(args.encoding, "--encoding"),
                                fields=_fields(args), dem=args.dem, seed=args.seed,
                                name=getattr(args, "name", None),
                                line_classes=getattr(args, "line_classes", None), progress=progress)


def _print_problems(args, problems) -> None:
    if not problems:
        _say(args, "数据检查：未发现问题。", "validation: no problems found.")
        return
    errors = sum(p.severity == "error" for p in problems)
    _say(args, f"数据检查：{errors} 个错误，{len(problems) - errors} 个警告",
         f"validation: {errors} error(s), {len(problems) - errors} warning(s)")
    for p in sorted(problems, key=lambda p: p.severity != "error"):
        print(p.format(_fmt_lang(args)))


#: Field labels of ``info``/``import`` in Chinese output.
_SUMMARY_ZH = {"CRS": "坐标系", "input": "输入", "households": "户数", "sensitive": "个人信息列", "crs": "坐标系",
               "columns": "所用列", "features": "要素", "encoding": "编码"}


def _print_summary(args, summary: dict) -> None:
    zh = getattr(args, "lang", "zh") == "zh"

    def k(label: str) -> str:
        return _SUMMARY_ZH[label] if zh else label

    eq = "：" if zh else "="
    crs_text = summary.get("crs", "")
    if zh:
        from .crs import crs_zh, parse_crs
        try:
            spec = parse_crs(crs_text.split(" (")[0]) if crs_text else None
            crs_text = f"{crs_zh(spec.crs)}（{crs_text.split(' (')[0]}）" if spec else crs_text
        except GridtoolError:
            pass
    print(f"{summary.get('name', '')}  {k('CRS')}{'：' if zh else ': '}{crs_text}"
          + ((f"（{k('input')}：{summary['user_crs']}）" if zh else f"  (input: {summary['user_crs']})")
             if summary.get("user_crs") else ""))
    for role, e in summary["layers"].items():
        hh = f"  {k('households')}{eq}{e['households']:,}" if "households" in e else ""
        sens = f"  {k('sensitive')}{eq}{','.join(e['sensitive'])}" if e.get("sensitive") else ""
        crs = f"  {k('crs')}{eq}{e['crs']}" if e.get("crs") else ""
        cols = (f"  {k('columns')}{eq}" + ",".join(f"{c}:{v}" for c, v in e["columns"].items())) \
            if e.get("columns") else ""
        print(f"  {role:<14} {k('features')}{eq}{e['features']:,}{hh}{crs}{cols}{sens}")
        if e.get("encoding"):
            sample = " | ".join(e.get("encoding_sample") or [])
            enc = e["encoding"]
            if zh:
                for en_word, zh_word in (("(cpg)", "（.cpg 文件）"), ("(detected)", "（自动检测）"), ("(user)", "（指定）"),
                                         ("(default)", "（默认）"), ("(ldid)", "（dBase 语言标记）")):
                    enc = enc.replace(en_word, zh_word)
            print(f"  {'':<14} {k('encoding')}{eq}{enc}" + (f"{'：' if zh else ': '}{sample}" if sample else ""))
        if e.get("note"):
            print(f"  {'':<14} {e['note']}")
        _print_columns(args, role, e)
    if summary.get("dem"):
        d = summary["dem"]
        print(f"  {'dem':<14} {d.get('shape')}  {d.get('min', 0):.0f}–{d.get('max', 0):.0f} m")


def _print_columns(args, role: str, e: dict) -> None:
    """Which column was used for what (村名：F1（石柱村、龙潭村…）) and the layer's class summary."""
    from .column_content import describe_all
    detail = e.get("columns_detail") or {}
    if detail:
        _say(args, f"  {'':<14} 列：" + describe_all(detail, "zh", role=role),
             f"  {'':<14} columns: " + describe_all(detail, "en", role=role))
    cs = e.get("class_summary") or {}
    if cs.get("text_zh"):
        _say(args, f"  {'':<14} {cs['text_zh']}", f"  {'':<14} {cs['text_en']}")


# -- subcommands ------------------------------------------------------------------------------
def cmd_import(args) -> int:
    from .ownership import check_replace
    from .validate import validate
    out = Path(args.out)
    check_replace([out], force=args.force, kind="project")  # before reading: refuse early, not after minutes
    with command_progress(args) as show:
        project = _project_from_args(args, progress=show)
        if show:
            show(0.95, "数据检查 / validating")
        problems = validate(project)
    _print_problems(args, problems)
    with command_progress(args) as show:
        if show:
            show(0.99, "写入项目 / saving")
        project.save(out, force=args.force)
    _say(args, f"已写入项目 {out}", f"project written: {out}")
    _print_summary(args, project.summary())
    if args.strict and any(p.severity == "error" for p in problems):
        return 1
    return 0


def _file_info(path: str) -> dict:
    """Layers of any input file, with counts, households and CRS, without building a project."""
    import pandas as pd
    import pyogrio

    from .io.vector import check_exists, list_layers, read_vector, split_path_layer, suffix_of
    p, layer = split_path_layer(path)
    sfx = suffix_of(Path(p))
    check_exists(Path(p))
    info = {"name": Path(p).name, "crs": "EPSG:4326" if sfx in (".osm", ".pbf") else "", "layers": {}}
    if sfx in (".osm", ".pbf"):
        from .io.osm import osm_roles_available
        for role, n in osm_roles_available(p).items():
            info["layers"][role] = {"features": n, "crs": "EPSG:4326"}
        return info
    names = [layer] if layer else list_layers(p)
    for name in names:
        if sfx in (".csv", ".txt", ".xlsx", ".xls"):
            try:
                raw = read_vector(p, layer=name if sfx in (".xlsx", ".xls") else None)
            except GridtoolError as exc:  # a notes sheet, a table without coordinates
                info["layers"][name] = {"features": 0, "note": exc.format("en").splitlines()[0]}
                continue
            e = {"features": len(raw.gdf), "crs": "(none: lon/lat or --crs-in)",
                 "columns": {k: v for k, v in raw.columns_used.items()}}
            df = raw.gdf
        else:
            meta = pyogrio.read_info(p, layer=name)
            if meta.get("geometry_type") is None:
                continue  # attribute tables such as gridtool_meta
            e = {"features": int(meta["features"]), "crs": meta.get("crs") or "(none)"}
            if sfx == ".shp":
                from .encoding import detect_shapefile_encoding
                guess = detect_shapefile_encoding(p)
                e["encoding"] = f"{guess.encoding} ({guess.source})"
                e["encoding_sample"] = list(guess.sample)
            df = None
            if "hh" in list(meta["fields"]):
                df = pyogrio.read_dataframe(p, layer=name, columns=["hh"], read_geometry=False)
        if df is not None and "hh" in df:
            hh = pd.to_numeric(df["hh"], errors="coerce")
            e["households"] = int(hh[hh.abs() < float("inf")].clip(lower=0).sum())
        try:  # what the columns look like, from the first rows (村名：F1（石柱村、龙潭村…）)
            from .column_content import detect
            sample = df if df is not None and len(df.columns) > 1 else (
                raw.gdf if sfx in (".csv", ".txt", ".xlsx", ".xls") else
                pyogrio.read_dataframe(p, layer=name, read_geometry=False, max_features=2000))
            e["columns_detail"] = detect(sample.drop(columns="geometry", errors="ignore"))
        except Exception:  # noqa: BLE001 - a sample that cannot be read only loses this line
            pass
        info["layers"][name] = e
    return info


def cmd_info(args) -> int:
    from .project import META_TABLE, Project
    path = args.path
    summary = None
    if path.lower().endswith(".gpkg") and Path(path).exists():
        import pyogrio
        if META_TABLE in [str(n) for n, _ in pyogrio.list_layers(path)]:
            summary = Project.open(path).summary()
    if summary is None:
        summary = _file_info(path)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    else:
        _print_summary(args, summary)
    return 0


def cmd_validate(args) -> int:
    from .project import Project
    from .validate import validate
    if args.project:
        project = Project.open(args.project)
        if _sources(args):
            raise GridtoolError("请只给出项目文件或按角色的图层之一", "give a project or layers by role, not both",
                                fix_zh="去掉其中一种。", fix_en="drop one of them.")
        problems = validate(project)
    else:
        with command_progress(args) as show:
            project = _project_from_args(args, progress=show)
            if show:
                show(0.95, "数据检查 / validating")
            problems = validate(project)
    if args.json:
        print(json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2, default=str))
    else:
        for role, e in project.summary()["layers"].items():
            if e.get("columns_detail") or e.get("class_summary"):
                print(f"  {role}")
                _print_columns(args, role, e)
        _print_problems(args, problems)
    return 1 if any(p.severity == "error" for p in problems) else 0


def _project_or_sources(args):
    from .project import Project
    if getattr(args, "project", None):
        if _sources(args):
            raise GridtoolError("请只给出项目文件或按角色的图层之一", "give a project or layers by role, not both",
                                fix_zh="去掉其中一种。", fix_en="drop one of them.")
        return Project.open(args.project)
    return _project_from_args(args)


def _pairs(values: list[str], option: str, sep: str = "=") -> dict[str, str]:
    out = {}
    for item in values:
        if sep not in item:
            raise GridtoolError(f"{option} 需要 A{sep}B 的形式：{item}", f"{option} takes A{sep}B: {item!r}",
                                fix_zh=f"例如 {option} 村甲{sep}村乙", fix_en=f"e.g. {option} VillageA{sep}VillageB")
        a, b = item.split(sep, 1)
        out[a.strip()] = b.strip()
    return out


def _relax(values: list[str]) -> dict[str, tuple[int, int]]:
    out = {}
    for name, rng in _pairs(values, "--relax").items():
        try:
            lo, hi = (int(x) for x in rng.replace("–", "-").split("-", 1))
        except ValueError:
            raise GridtoolError(f"--relax 的范围应为 最小-最大：{rng}", f"--relax takes NAME=MIN-MAX: {rng!r}",
                                fix_zh="例如 --relax 平坎=250-500", fix_en="e.g. --relax Planken=250-500") from None
        out[name] = (lo, hi)
    return out


def _partition_params(args) -> dict:
    """The engine's parameters from the ``partition`` options."""
    if args.min > args.max:
        raise GridtoolError(f"--min {args.min} 大于 --max {args.max}", f"--min {args.min} exceeds --max {args.max}",
                            fix_zh="交换两个数。", fix_en="swap the two numbers.")
    return dict(
        min_hh=args.min, max_hh=args.max, target=args.target if args.target else (args.min + args.max) // 2,
        sub_min=args.sub_min, sub_max=args.sub_max,
        sub_target=args.sub_target if args.sub_target else (args.sub_min + args.sub_max) // 2,
        hard_barriers=[h for h in args.hard_barriers.split(",")] if args.hard_barriers else [],
        corridor_width=args.corridor_width, infeasible=args.infeasible, pockets=args.pockets,
        special_radius=getattr(args, "special_radius", 30.0),
        merge=_pairs(args.merge, "--merge"), relax=_relax(args.relax), subgrids=not args.no_subgrids,
        seed=args.seed,
        **({"special_categories": [c.strip() for c in args.special.split(",") if c.strip()]}
           if args.special is not None else {}))


def _print_partition(args, rep: dict, out) -> None:
    plan = rep["plan"]
    sp_hh = plan.get("special_grid_households", 0)
    _say(args, f"已写入 {out}：{plan['grids']} 个基础网格，{plan.get('subgrids', 0)} 个子网格，"
               f"{plan['special_grids']} 个专属网格（{sp_hh:,} 户）",
         f"written {out}: {plan['grids']} base grids, {plan.get('subgrids', 0)} sub-grids, "
         f"{plan['special_grids']} special grids ({sp_hh:,} households)")
    for sk in plan.get("special_places_without_area", []):
        _say(args, f"  重点场所“{sk['name'] or sk['src_id']}”只有一个点且周围都是住户（或不在任何村内），未划专属网格；"
                   "请在场所图层中画出它的范围",
             f"  key place {sk['name'] or sk['src_id']!r} is a point with homes all around it (or outside every "
             "village): no special grid; draw its area in the places layer")
    layer_zh = {"grids": "基础网格", "special_grids": "专属网格", "subgrids": "子网格"}
    for role, c in (rep.get("joined_columns_carried") or {}).items():
        new = c["codes_without"]
        _say(args, f"  已连接的列（{'、'.join(c['columns'])}）按编码带入新的{layer_zh.get(role, role)}："
                   f"{c['with_values']} / {c['grids']} 个有值" + (f"；新编码 {'、'.join(new[:8])}"
                   f"{'…' if len(new) > 8 else ''} 没有旧值，请再用 gridtool join 补上" if new else ""),
             f"  joined columns ({', '.join(c['columns'])}) carried to the new {role} by code: {c['with_values']} "
             f"of {c['grids']} have values" + (f"; new codes {', '.join(new[:8])}{' …' if len(new) > 8 else ''} "
                                               "have none: join them again" if new else ""))
    pct = plan["pct_within_bounds"]
    _say(args, f"  可划分村（社区）的网格在 {args.min}–{args.max} 户之内：{pct}%；平均紧凑度 {plan['mean_polsby_popper']}；"
               f"跨越硬边界 {plan['hard_crossings']} 处（其中 {plan['unavoidable_hard_crossings']} 处无法避免）",
         f"  grids of feasible villages within {args.min}–{args.max}: {pct}%; mean Polsby-Popper "
         f"{plan['mean_polsby_popper']}; hard-barrier crossings {plan['hard_crossings']} "
         f"({plan['unavoidable_hard_crossings']} unavoidable)")
    if rep.get("totals"):
        from .partition.totals import HouseholdTotals
        t = HouseholdTotals.from_dict(rep["totals"])
        _say(args, f"  {t.text_zh()}", f"  {t.text_en()}")
    for v in plan["infeasible_villages"]:
        rem = v["remedies"]
        merge = "、".join(m["village"] for m in rem.get("merge", [])[:3]) or "—"
        lo, hi = rem["relax"]
        label = v.get("label") or v["village"]
        _say(args, f"  无法划分：{label}，{v['households']} 户。已采用：{v['applied']}。"
                   f"可选：保留为一个例外网格；与邻村合并（{merge}）；放宽为 {lo}–{hi} 户",
             f"  cannot be split: {label}, {v['households']} households. Applied: {v['applied']}. "
             f"Remedies: keep as one exceptional grid; merge with a neighbour ({merge}); relax to {lo}-{hi}")
    for pg in plan.get("pocket_grids", []):
        _say(args, f"  硬边界围出的片区保留为例外网格：{pg['code']}（{pg['village']}，{pg['households']} 户）；"
                   "可用 --pockets join 跨边界并入邻近网格",
             f"  area enclosed by hard barriers kept as an exceptional grid: {pg['code']} ({pg['village']}, "
             f"{pg['households']} households); --pockets join joins it across the barrier")
    if args.report:
        _say(args, f"  报告：{args.report}", f"  report: {args.report}")


def cmd_partition(args) -> int:
    from .partition.output import partition_project, write_report
    if args.previous or args.lock:
        return _partition_redraw(args)
    if (args.workers is not None or args.scheduler or args.out_dir or args.resume or args.by):
        return _partition_batch(args)
    from .ownership import check_replace
    out = Path(args.out)
    check_replace([out], force=args.force, kind="project")
    check_replace([args.report] if args.report else [], force=args.force)
    project = _project_or_sources(args)
    # Updating a project in place is what a planner expects: the save is atomic, and refuses if
    # another program rewrote the project while this partition ran (gridtool.writelock).
    with command_progress(args) as show:
        gp = partition_project(project, progress=show, **_partition_params(args))
    project.save(out, force=args.force)
    rep = gp.report_
    if args.report:
        write_report(args.report, rep)
    _print_partition(args, rep, out)
    return 0


def _take_previous_options(args) -> dict:
    """The ``previous.`` entries of --field, --crs-in and --encoding (``--field previous.code=网格编码``,
    ``--crs-in previous=EPSG:4549``), taken out of the options the role layers read."""
    out = {}
    fields = []
    for item in args.field:
        k, sep, v = item.partition("=")
        if sep and k.strip().startswith("previous."):
            out[k.strip().split(".", 1)[1]] = v.strip()
        else:
            fields.append(item)
    args.field = fields
    for opt in ("crs_in", "encoding"):
        kept = []
        for item in getattr(args, opt):
            k, sep, v = item.partition("=")
            if sep and k.strip() == "previous":
                out[opt] = v.strip()
            else:
                kept.append(item)
        setattr(args, opt, kept)
    return out


def _codes(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").replace("，", ",").replace("、", ",").split(",") if c.strip()]


def _partition_redraw(args) -> int:
    """``partition --previous PATH[:LAYER] [--lock CODE,…]``: redraw with minimal change from an
    earlier plan (gridtool's own, or any polygon layer with a code column); locked grids keep their
    households, shape and code exactly. Writes the ``changes`` layer and the report's ``redraw``."""
    from .io.previous import read_previous
    from .partition.engine import GridPartitioner
    from .partition.output import apply_to_project, write_report
    if args.workers is not None or args.scheduler or args.out_dir or args.resume or args.by:
        raise GridtoolError(
            "--previous/--lock 不能与批量选项（--workers、--scheduler、--out-dir、--resume、--by）同时使用",
            "--previous/--lock cannot be combined with the batch options (--workers, --scheduler, --out-dir, "
            "--resume, --by)",
            fix_zh="按乡镇分别重绘：每个项目运行一次 gridtool partition 项目.gpkg --previous 旧网格 --out 新项目.gpkg。",
            fix_en="redraw township by township: gridtool partition PROJECT.gpkg --previous OLD --out NEW.gpkg "
                   "for each project.")
    popts = _take_previous_options(args)
    project = _project_or_sources(args)
    lock = _codes(args.lock)
    crs_default = _per_role_option(args.crs_in, "--crs-in")
    crs_default = crs_default.get("*") if isinstance(crs_default, dict) else crs_default
    if args.previous:
        prev = read_previous(args.previous, code_field=popts.get("code"), crs_in=popts.get("crs_in"),
                             crs_default=crs_default, encoding=popts.get("encoding"))
        how = {"given": ("按 --field 指定", "as given by --field"), "header": ("按列名识别", "found by its header"),
               "content": ("按内容识别", "found by its content")}[prev.code_found_by]
        where = f"{prev.file}" + (f":{prev.layer}" if prev.layer else "")
        _say(args, f"上一版网格：{where}，{len(prev.grids)} 个网格，坐标系 {prev.crs}；编码字段“{prev.code_column}”（{how[0]}）",
             f"previous plan: {where}, {len(prev.grids)} grids, CRS {prev.crs}; code column {prev.code_column!r} "
             f"({how[1]})")
        for problem in prev.problems:
            print(problem.format(_fmt_lang(args)))
        if prev.hh_column:
            _say(args, f"  上一版每个网格的户数取自字段“{prev.hh_column}”", f"  households per previous grid from "
                 f"column {prev.hh_column!r}")
        if prev.households is not None:
            _say(args, f"  按位置匹配上一版的 {len(prev.households):,} 个住户要素（同一楼栋 1 米以内）",
                 f"  households matched by position to the previous plan's {len(prev.households):,} household "
                 "features (same building within 1 m)")
        else:
            _say(args, "  住户按位置归入上一版网格面（所在的网格）",
                 "  households matched by position: the previous grid polygon each lies in")
        if prev.locked:
            _say(args, f"  上一版中已锁定的网格保持不变：{'、'.join(prev.locked)}",
                 f"  grids locked in the previous plan are kept: {', '.join(prev.locked)}")
        previous, previous_hh = prev.grids, prev.households
        match = "households" if previous_hh is not None else "polygons"
        locked = sorted(set(lock) | set(prev.locked))
        described = prev.describe()
    else:  # --lock alone: the project's own plan is the previous one
        if "grids" not in project.layers:
            raise GridtoolError("--lock 需要上一版网格", "--lock needs a previous plan",
                                fix_zh="给出 --previous 旧网格文件，或先划分网格。",
                                fix_en="give --previous OLD_GRIDS, or partition the project first.")
        previous, previous_hh, match, locked = project.layers["grids"].gdf, None, "grid", lock
        described = {"file": args.project, "layer": "grids", "grids": len(previous)}
    out = Path(args.out)
    with command_progress(args) as show:
        gp = GridPartitioner(**_partition_params(args)).fit(
            project, previous=previous, locked=locked, match=match, previous_households=previous_hh,
            progress=show)
    apply_to_project(project, gp)
    rep = gp.report_
    rep["previous"] = described
    project.parameters["partition"]["previous"] = described
    project.save(out, force=args.force)
    if args.report:
        write_report(args.report, rep)
    _print_partition(args, rep, out)
    _print_redraw(args, rep["plan"]["redraw"])
    return 0


def _print_redraw(args, r: dict) -> None:
    _say(args, f"  重绘：{r['households_moved']:,} 户改变网格（共 {r['households_total']:,} 户），"
               f"{r['grids_changed']} 个网格有变化；保留编码 {r['codes_kept']} 个，新编码 {r['codes_new']} 个，"
               f"撤销编码 {r['codes_retired']} 个；新增住户 {r['households_new']:,} 户",
         f"  redraw: {r['households_moved']:,} of {r['households_total']:,} households changed grid, "
         f"{r['grids_changed']} grids changed; codes kept {r['codes_kept']}, new {r['codes_new']}, retired "
         f"{r['codes_retired']}; households new since the previous plan {r['households_new']:,}")
    if r.get("locked"):
        _say(args, f"  锁定网格保持不变（户、楼栋、形状）：{'、'.join(r['locked'])}",
             f"  locked grids kept exactly (households, buildings, shape): {', '.join(r['locked'])}")
    for v in r.get("villages", []):
        if v["households_moved"] or v["codes_new"] or v["codes_retired"] or v["households_new"]:
            _say(args, f"    {v['village']}：{v['households_moved']} 户改变网格，{v['grids_changed']} 个网格有变化，"
                       f"新增 {v['households_new']} 户" + (f"；新编码 {v['new_codes']}" if v["new_codes"] else "")
                 + (f"；撤销 {v['retired_codes']}" if v["retired_codes"] else ""),
                 f"    {v['village']}: {v['households_moved']} households changed grid, {v['grids_changed']} grids "
                 f"changed, {v['households_new']} new" + (f"; new codes {v['new_codes']}" if v["new_codes"] else "")
                 + (f"; retired {v['retired_codes']}" if v["retired_codes"] else ""))
    if r.get("features") and r.get("features_matched") is not None:
        _say(args, f"  按位置与上一版住户对上的要素：{r['features_matched']:,} / {r['features']:,}",
             f"  household features matched to the previous plan's by position: {r['features_matched']:,} of "
             f"{r['features']:,}")
    if r.get("households_inside_locked"):
        _say(args, f"  注意：{r['households_inside_locked']:,} 户位于锁定网格的范围内但不属于该网格，仍归未锁定的网格"
                   "（如应并入，先解锁该网格再重绘）",
             f"  note: {r['households_inside_locked']:,} households lie inside locked grids but do not belong "
             "to them; they stay in unlocked grids (unlock the grid and redraw to take them in)")
    if r.get("previous_without_code"):
        _say(args, f"  注意：上一版中 {r['previous_without_code']} 个没有编码的面已忽略",
             f"  note: {r['previous_without_code']} previous polygon(s) without a code were left out")
    _say(args, "  每个村（社区）的变化见输出中的 changes 图层", "  per village: the changes layer of the output")


def _partition_batch(args) -> int:
    """``partition --workers/--scheduler/--out-dir/--resume/--by``: chunk by chunk (see
    :mod:`gridtool.partition.batch`). Exit 4 when some villages failed (the rest is written)."""
    from .partition.batch import BatchPartitioner
    from .partition.output import apply_to_project, write_report
    if args.workers is not None and args.workers < 1:
        raise GridtoolError(f"--workers 至少为 1：{args.workers}", f"--workers must be at least 1: {args.workers}",
                            fix_zh="例如 --workers 4。", fix_en="e.g. --workers 4.")
    bp = BatchPartitioner(by=args.by or "township", workers=args.workers or 1, scheduler=args.scheduler,
                          **_partition_params(args))
    if args.out_dir:
        out_dir = Path(args.out_dir)
        # A project file is read township by township; layers by role are loaded first.
        data = args.project if args.project and not _sources(args) else _project_or_sources(args)
        with command_progress(args) as show:
            bp.fit(data, work_dir=out_dir / ".parts", resume=args.resume, keep=False, progress=show)
        with command_progress(args) as show:
            written = bp.write_districts(out_dir, force=args.force, progress=show)
        out_label = f"{out_dir}（{len(written)} 个区县 / districts）"
        if not args.report:
            args.report = str(out_dir / "report.json")
    else:
        project = _project_or_sources(args)
        out = Path(args.out)
        with command_progress(args) as show:
            bp.fit(project, work_dir=out.with_suffix(".parts"), resume=args.resume, keep=True, progress=show)
        apply_to_project(project, bp)
        project.save(out, force=args.force)
        out_label = out
    rep = bp.report_
    if args.report:
        write_report(args.report, rep)
    _print_partition(args, rep, out_label)
    n_vil = sum(len(c.rows) for c in bp.chunks_)
    if (args.by or "township") == "township" and n_vil > 1 and len(bp.chunks_) == n_vil:
        _say(args, "  警告：村图层没有乡镇列，区划代码也推不出乡镇，每个村单独成块；"
                   "如有乡镇列，用 --field villages.township=列名 指定",
             "  WARNING: the villages layer has no township column and the codes give none: one chunk per "
             "village; name the township column with --field villages.township=COLUMN")
    t = rep["timings"]
    _say(args, f"  用时 {t['total_s']} 秒，{t['workers']} 个工作进程（{t['mode']}），"
               f"{rep['batch']['chunks']} 个分块，续算跳过 {t['resumed_chunks']} 个",
         f"  {t['total_s']} s on {t['workers']} worker(s) ({t['mode']}), {rep['batch']['chunks']} chunks, "
         f"{t['resumed_chunks']} skipped by --resume")
    for f in bp.failures_:
        first = f["error"].splitlines()[0] if f["error"] else f["type"]
        _say(args, f"  划分失败：{'、'.join(f['villages'])}（分块 {f['chunk']}）：{first}",
             f"  failed: {', '.join(f['villages'])} (chunk {f['chunk']}): {first}")
    if bp.failures_:
        _say(args, "  其余村（社区）已写入；修正后加 --resume 重新运行，只计算失败和改动的部分。",
             "  the other villages are written; fix the data and rerun with --resume to compute only "
             "what failed or changed.")
        return 4
    return 0


def cmd_join(args) -> int:
    """``gridtool join PROJECT --table FILE --on COLUMN``: the table's columns into the grids (or
    sub-grids) of the project, saved in place atomically (see :mod:`gridtool.join`)."""
    from .join import join_into_project
    columns = [c for c in args.columns.replace("，", ",").split(",")] if args.columns else None
    res = join_into_project(args.project, args.table, on=args.on, columns=columns,
                            encoding=args.encoding)
    for line in res.summary_lines(_fmt_lang(args)):
        print(line)
    _say(args, f"已保存项目 {args.project}", f"project saved: {args.project}")
    return 0


def cmd_gui(args) -> int:
    """``gridtool gui``: Qt is imported here only, so the rest of the command line never needs it."""
    try:
        from .ui.app import main as gui_main
    except ImportError as exc:
        raise GridtoolError(f"桌面程序需要 PyQt6：{exc}", f"the desktop app needs PyQt6: {exc}",
                            fix_zh="pip install \"gridtool[gui]\"", fix_en="pip install \"gridtool[gui]\"") from exc
    argv = ([args.project] if args.project else []) + (["--screenshot", args.screenshot, "--size", args.size]
                                                       if args.screenshot else [])
    # The interface language is the app's own setting (menu 语言/Language, or GRIDTOOL_LANG),
    # unless given here.
    if getattr(args, "gui_lang", None):
        argv += ["--lang", args.gui_lang]
    return gui_main(argv)


def cmd_demo(args) -> int:
    from .demo import run_demo
    with command_progress(args) as show:
        result = run_demo(Path(args.out), samples=args.sample, progress=show, lang=args.lang)
    for name, info in result.items():
        _say(args, f"示例 {name}：项目 {info['project']}，摘要 {info['summary_md']}",
             f"sample {name}: project {info['project']}, summary {info['summary_md']}")
        _say(args, f"  {info['villages']} 个村（社区），{info['households']:,} 户；"
                   f"{info['errors']} 个错误，{info['warnings']} 个警告",
             f"  {info['villages']} villages, {info['households']:,} households; "
             f"{info['errors']} error(s), {info['warnings']} warning(s)")
        pl = info.get("partition")
        if pl:
            _say(args, f"  基础网格 {pl['grids']} 个（范围内 {pl['pct_within_bounds']}%），子网格 {pl.get('subgrids', 0)} 个，"
                       f"专属网格 {pl['special_grids']} 个；报告 {info['partition_report']}",
                 f"  {pl['grids']} base grids ({pl['pct_within_bounds']}% within bounds), {pl.get('subgrids', 0)} "
                 f"sub-grids, {pl['special_grids']} special grids; report {info['partition_report']}")
        if info.get("routing", {}).get("message"):
            print(info["routing"]["message"])
        if info["infeasible"]:
            listed = ", ".join(f"{n} ({h})" for n, h in info["infeasible"])
            _say(args, f"  无法按 300–500 户划分的村（社区）：{listed}",
                 f"  villages that cannot be split into grids of 300–500 households: {listed}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gridtool", description="网格化管理与巡逻规划 / grid management and patrol "
                                "planning for townships")
    p.add_argument("--version", action="version", version=f"gridtool {__version__}")
    env_lang = os.environ.get("GRIDTOOL_LANG", "zh").strip().lower()
    p.add_argument("--lang", choices=_LANGS, default=env_lang if env_lang in _LANGS else "zh",
                   help="输出语言 / output language (default zh; or set GRIDTOOL_LANG)")
    sub = p.add_subparsers(dest="command", required=True)

    pi = sub.add_parser("import", help="导入图层并写入项目 / load layers by role into a project")
    add_role_arguments(pi)
    pi.add_argument("--out", required=True, metavar="PROJECT.gpkg", help="项目文件 / project file to write")
    pi.add_argument("--name", help="项目名称 / project name")
    pi.add_argument("--strict", action="store_true", help="有数据错误时返回 1 / exit 1 when validation finds errors")
    pi.add_argument("--force", action="store_true",
                    help="允许覆盖不是 gridtool 项目的已有文件 / replace an existing file that is not a gridtool project")
    pi.add_argument("--quiet", action="store_true", help="不显示进度 / no progress messages")
    pi.set_defaults(func=cmd_import)

    pf = sub.add_parser("info", help="查看文件或项目 / what a file or project holds")
    pf.add_argument("path", metavar="PATH[:LAYER]")
    pf.add_argument("--json", action="store_true")
    pf.set_defaults(func=cmd_info)

    pv = sub.add_parser("validate", help="检查数据 / check data and list every problem")
    pv.add_argument("project", nargs="?", metavar="PROJECT.gpkg")
    add_role_arguments(pv)
    pv.add_argument("--json", action="store_true")
    pv.set_defaults(func=cmd_validate)

    pp = sub.add_parser("partition", help="划分基础网格和子网格 / base grids and sub-grids")
    pp.add_argument("project", nargs="?", metavar="PROJECT.gpkg", help="项目文件（或用按角色的图层）/ a project, or layers by role")
    add_role_arguments(pp)
    pp.add_argument("--min", type=int, default=300, help="基础网格最少户数 / min households per base grid (300)")
    pp.add_argument("--max", type=int, default=500, help="基础网格最多户数 / max households per base grid (500)")
    pp.add_argument("--target", type=int, default=400, help="目标户数 / preferred households per grid (400)")
    pp.add_argument("--sub-min", type=int, default=20, help="子网格最少户数 / sub-grid min (20)")
    pp.add_argument("--sub-max", type=int, default=40, help="子网格最多户数 / sub-grid max (40)")
    pp.add_argument("--sub-target", type=int, default=30, help="子网格目标户数 / sub-grid target (30)")
    pp.add_argument("--hard-barriers", default="river,railway,motorway,trunk",
                    help="不可跨越的边界类别 / barrier classes never crossed (comma list: river, stream, "
                         "railway, motorway, trunk, primary …; empty for none)")
    pp.add_argument("--infeasible", choices=("exception", "relax", "merge"), default="exception",
                    help="无法划分的村的处理 / villages no grid count fits: keep one exceptional grid "
                         "(default), relax their bounds, or merge with a neighbour")
    pp.add_argument("--pockets", choices=("join", "exception"), default="join",
                    help="硬边界围出的、户数不够一个网格的片区 / an area enclosed by hard barriers that no grid "
                         "count fits: join it across the barrier (default, reported as unavoidable) or keep it "
                         "as one exceptional grid (no hard barrier crossed)")
    pp.add_argument("--merge", action="append", default=[], metavar="VILLAGE=NEIGHBOUR",
                    help="把一个村并入邻村一起划分 / partition VILLAGE together with NEIGHBOUR (names; with the "
                         "batch options also 12-digit codes)")
    pp.add_argument("--relax", action="append", default=[], metavar="VILLAGE=MIN-MAX",
                    help="放宽某村的户数范围 / other bounds for one village")
    pp.add_argument("--special", default=None, metavar="CATEGORIES",
                    help="划为专属网格的场所类别 / place categories carved out as special grids "
                         "(default school,hospital,market,enterprise; empty for none)")
    pp.add_argument("--special-radius", type=float, default=30.0, metavar="M",
                    help="只有点位的场所的专属网格半径（米，不含周围住户）/ radius of the special grid of a place "
                         "given as a point, in metres (homes around it excluded)")
    pp.add_argument("--corridor-width", type=float, default=50.0,
                    help="专项网格（沿河、铁路、林地）宽度，米 / corridor width in metres (0: none)")
    pp.add_argument("--no-subgrids", action="store_true", help="不划分子网格 / base grids only")
    pp.add_argument("--previous", metavar="PATH[:LAYER]",
                    help="从上一版网格以最少改动重绘：本工具的项目或导出，或任意带编码字段的面图层（任意坐标系；"
                         "编码字段可用 --field previous.code=网格编码 指定）/ redraw with minimal change from an "
                         "earlier plan: a gridtool project or export, or any polygon layer with a code column "
                         "(any CRS; name the column with --field previous.code=COLUMN)")
    pp.add_argument("--lock", metavar="CODE,CODE…",
                    help="锁定的网格：户、楼栋和形状保持不变 / grids kept exactly (households, buildings, shape)")
    outs = pp.add_mutually_exclusive_group(required=True)
    outs.add_argument("--out", metavar="OUT.gpkg",
                      help="输出项目（含 grids、subgrids 图层）/ project with the grids and subgrids layers")
    outs.add_argument("--out-dir", metavar="DIR",
                      help="每个区县一个 GeoPackage（按村图层的区县列，否则区划代码前 6 位）/ one GeoPackage per "
                           "district (the villages' county column, else code[:6]), for a municipality")
    pb = pp.add_argument_group("city-scale batch / 全市批量 (needs dask for --workers > 1: "
                               'pip install "gridtool[cluster]")')
    pb.add_argument("--workers", type=int, metavar="N",
                    help="并行工作进程数（本机 Dask 集群）；1 为本进程逐块计算 / worker processes on a local "
                         "Dask cluster; 1: chunk by chunk in this process")
    pb.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                    help="已有 Dask 集群的调度器地址 / address of an existing Dask scheduler")
    pb.add_argument("--by", choices=("township", "village"),
                    help="分块单位：乡镇（默认；乡镇列或区划代码推得，--field villages.township=列 指定）或村 / "
                         "chunk per township (default; the town column or the code's township part, "
                         "--field villages.township=COLUMN to choose) or per village")
    pb.add_argument("--resume", action="store_true",
                    help="跳过输入未变、已算完的分块（OUT.parts 或 DIR/.parts）/ skip chunks already done with "
                         "the same inputs (kept in OUT.parts or DIR/.parts)")
    pp.add_argument("--report", metavar="REPORT.json", help="报告 / report as JSON")
    pp.add_argument("--force", action="store_true",
                    help="允许覆盖不是 gridtool 项目的已有文件 / replace an existing non-project file")
    pp.add_argument("--quiet", action="store_true")
    pp.set_defaults(func=cmd_partition)

    pj = sub.add_parser("join", help="把表格按编码连接到网格（网格员台账、考核得分）/ join a table to the grids by code")
    pj.add_argument("project", metavar="PROJECT.gpkg", help="已划分网格的项目（就地保存）/ a partitioned project, saved in place")
    pj.add_argument("--table", required=True, metavar="FILE.xlsx[:SHEET]|FILE.csv",
                    help="表格文件（表头上方的标题行自动跳过）/ the table (title rows above the header are skipped)")
    pj.add_argument("--on", required=True, metavar="COLUMN",
                    help="表中的网格或子网格编码列，如 网格编码 / the table column with grid or sub-grid codes")
    pj.add_argument("--columns", metavar="A,B…",
                    help="只连接这些列（默认除编码列和序号外的全部）/ only these columns (default: all but the code "
                         "column and a row counter)")
    pj.add_argument("--encoding", metavar="ENC", help="CSV 文本编码（默认自动识别）/ CSV text encoding (default: detected)")
    pj.set_defaults(func=cmd_join)

    pd_ = sub.add_parser("demo", help="在示例数据上运行 / run on the bundled sample data")
    pd_.add_argument("--out", required=True, metavar="DIR")
    pd_.add_argument("--sample", action="append", choices=("liechtenstein", "nanjing-xuanwu"),
                     help="示例（默认全部）/ which sample (default: all)")
    pd_.add_argument("--quiet", action="store_true")
    pd_.set_defaults(func=cmd_demo)

    pg = sub.add_parser("gui", help="桌面程序 / the desktop app (needs: pip install gridtool[gui])")
    pg.add_argument("project", nargs="?", metavar="PROJECT.gpkg", help="要打开的项目 / project to open")
    pg.add_argument("--screenshot", metavar="FILE.png",
                    help="不显示窗口，把载入项目后的主窗口渲染为 PNG / render the main window to a PNG and exit")
    pg.add_argument("--size", default="1600x1000", metavar="WxH", help="截图尺寸 / screenshot size")
    pg.add_argument("--lang", dest="gui_lang", choices=("zh", "en"), default=None,
                    help="界面语言（默认沿用上次的设置）/ interface language (default: the saved setting)")
    pg.set_defaults(func=cmd_gui)

    from .routing.commands import register as register_routing
    register_routing(sub, add_role_arguments)
    from .maps.commands import register as register_export
    register_export(sub, add_role_arguments)
    return p


def main(argv: list[str] | None = None) -> int:
    # Never die on a console that cannot show a character (GBK consoles and some Chinese text).
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    args = build_parser().parse_args(argv)
    try:
        from . import limits
        with limits.override(**limits.from_options(getattr(args, "limit", []))):
            return args.func(args)
    except GridtoolError as exc:
        print(exc.format(_fmt_lang(args)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("内存不足：数据太大，无法在这台电脑上处理。\n解决办法：按乡镇或村分批处理（partition --by township "
              "--out-dir），或换一台内存更大的电脑。\nout of memory: the data are too large for this computer.\n"
              "Fix: process them in parts (partition --by township --out-dir), or use a computer with more "
              "memory.", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug or an unforeseen input: say so plainly, keep the details
        import traceback

        from .errorlog import write_error
        log = write_error(traceback.format_exc())
        first = (str(exc).splitlines() or [""])[0][:300] or type(exc).__name__
        print(f"内部错误：{first}\n详细信息已写入 {log}，请把它和命令一起报告。\n"
              f"internal error: {first}\ndetails in {log}; please report them with the command.",
              file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
