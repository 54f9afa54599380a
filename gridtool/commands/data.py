"""``gridtool import``, ``gridtool info`` and ``gridtool validate``: input files by role into a
project, what a file or project holds, and every data problem with its fix.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

from ..errors import GridtoolError
from ..how_read import how_zh, one_line  # noqa: F401  (how_zh also imported from here by the other commands)
from ..plurals import count_en, plural_en
from .args import (add_role_arguments, command_progress, fmt_lang, one_off_roles, project_from_args, project_or_sources, role_sources, say, source_options)


def _print_problems(args, problems, what: tuple[str, str] = ("数据检查", "validation")) -> None:
    if not problems:
        say(args, f"{what[0]}：未发现问题。", f"{what[1]}: no problems found.")
        return
    errors = sum(p.severity == "error" for p in problems)
    notes = sum(p.severity == "info" for p in problems)  # said, not counted as something to fix
    say(args, f"{what[0]}：{errors} 个错误，{len(problems) - errors - notes} 个警告" + (f"，{notes} 条说明" if notes else ""),
        f"{what[1]}: {count_en(errors, 'error')}, {count_en(len(problems) - errors - notes, 'warning')}"
        + (f", {count_en(notes, 'note')}" if notes else ""))
    for p in sorted(problems, key=lambda p: ("error", "warning", "info").index(p.severity)):
        print(p.format(fmt_lang(args)))


#: Field labels of ``info``/``import`` in Chinese output.
_SUMMARY_ZH = {"CRS": "坐标系", "input": "输入", "households": "户数", "sensitive": "个人信息列", "crs": "坐标系",
               "columns": "所用列", "features": "要素", "encoding": "编码"}


def _key_label(key: str, role: str) -> str:
    from ..column_content import LABELS, VILLAGE_LABELS
    return ((VILLAGE_LABELS if role == "villages" else {}).get(key) or LABELS.get(key, (key, key)))[0]


def _layer_label(role: str) -> str:
    """``基础网格（grids）``: a layer by its Chinese name, its layer name (for ``PATH:LAYER`` and
    ``--layers``) after it; a layer gridtool does not know by its name."""
    from ..maps.style import LAYER_ZH
    from ..roles import ROLES
    zh = ROLES[role].zh if role in ROLES else LAYER_ZH.get(role)
    return f"{zh}（{role}）" if zh else role


_HOW = {"header": ("表头", "header"), "content": ("内容", "content"), "field": ("--field 指定", "--field")}
_FOUND = {"phone": ("电话", "phone"), "id_number": ("身份证号", "ID numbers"), "name": ("姓名", "names"),
          "address": ("住址", "addresses")}


def _sensitive_text(e: dict, zh: bool) -> str:
    """``公民身份号码（表头）,字段9（内容）,备注（内容：708/944 格文字中有电话、身份证号）``: each personal
    column with how it was found, so that a note column found by its content is seen to be masked."""
    how = e.get("sensitive_how") or {}
    out = []
    for col in e["sensitive"]:
        h = how.get(col) or {}
        word = _HOW.get(h.get("how", ""), ("", ""))[0 if zh else 1]
        if h.get("kind") == "text" and h.get("found"):
            found = ("、" if zh else ", ").join(_FOUND.get(f, (f, f))[0 if zh else 1] for f in h["found"])
            cells, of = int(h.get("cells", 0)), int(h.get("of", 0))
            word = (f"{word}：{cells:,}/{of:,} 格文字中有{found}" if zh
                    else f"{word}: {found} in the text of {cells:,} of {count_en(of, 'cell')}")
        elif word and h.get("kind") in _FOUND:
            word += f"{'：' if zh else ': '}{_FOUND[h['kind']][0 if zh else 1]}"
        out.append(f"{col}（{word}）" if zh and word else f"{col} ({word})" if word else str(col))
    return ",".join(out)


def _print_summary(args, summary: dict, grid_statuses=None) -> None:
    zh = getattr(args, "lang", "zh") == "zh"

    def k(label: str) -> str:
        return _SUMMARY_ZH[label] if zh else label

    eq = "：" if zh else "="
    crs_text = summary.get("crs", "")
    if zh:
        from ..crs import crs_zh, parse_crs
        try:
            spec = parse_crs(crs_text.split(" (")[0]) if crs_text else None
            crs_text = f"{crs_zh(spec.crs)}（{crs_text.split(' (')[0]}）" if spec else crs_text
        except GridtoolError:
            pass
    # A plain file has no one CRS (each layer states its own below): no empty 坐标系： on the first line
    print(f"{summary.get('name', '')}" + (f"  {k('CRS')}{'：' if zh else ': '}{crs_text}" if crs_text else "")
          + ((f"（{k('input')}：{how_zh(str(summary['user_crs']))}）" if zh else f"  (input: {summary['user_crs']})")
             if summary.get("user_crs") else ""))
    for role, e in summary["layers"].items():
        hh = f"  {k('households')}{eq}{e['households']:,}" if "households" in e else ""
        sens = f"  {k('sensitive')}{eq}{_sensitive_text(e, zh)}" if e.get("sensitive") else ""
        crs = f"  {k('crs')}{eq}{how_zh(str(e['crs'])) if zh else e['crs']}" if e.get("crs") else ""
        # The key columns by their Chinese labels in Chinese output (纬度:北纬), not the internal keys.
        cols = (f"  {k('columns')}{eq}" + one_line(",".join(f"{_key_label(c, role) if zh else c}:{v}"
                                                           for c, v in e["columns"].items()))) if e.get("columns") else ""
        kinds = ""
        if role == "grids" and grid_statuses is not None:  # 基础网格 71、例外网格 1, as every output counts them
            from ..partition.totals import grid_kinds_text
            kinds = f"（{grid_kinds_text(grid_statuses, '')}）" if zh else f" ({grid_kinds_text(grid_statuses, lang='en')})"
        print(f"  {_layer_label(role) if zh else role:<14} {k('features')}{eq}{e['features']:,}{kinds}{hh}{crs}{cols}{sens}")
        if e.get("encoding"):
            sample = " | ".join(e.get("encoding_sample") or [])
            enc = e["encoding"]
            if zh:
                enc = how_zh(enc)
            print(f"  {'':<14} {k('encoding')}{eq}{enc}" + (f"{'：' if zh else ': '}{sample}" if sample else ""))
        if e.get("placement"):  # 警情 N 条 = 落图 A + 未落图 C: the sheet's rows, not only those on the map
            print(f"  {'':<14} {e['placement']['zh' if zh else 'en']}")
        if e.get("note"):
            print(f"  {'':<14} {e['note']}")
        print_columns(args, role, e)
    if summary.get("dem"):
        d = summary["dem"]
        print(f"  {'高程（dem）' if zh else 'dem':<14} {d.get('shape')}  {d.get('min', 0):.0f}–{d.get('max', 0):.0f} "
              + ("米" if zh else "m"))


def print_columns(args, role: str, e: dict) -> None:
    """Which column was used for what (村名：F1（石柱村、龙潭村…）) and the layer's class summary."""
    from ..column_content import describe_all
    detail = e.get("columns_detail") or {}
    if detail:
        say(args, f"  {'':<14} 列：" + one_line(describe_all(detail, "zh", role=role)),
            f"  {'':<14} columns: " + one_line(describe_all(detail, "en", role=role)))
    cs = e.get("class_summary") or {}
    if cs.get("text_zh"):
        say(args, f"  {'':<14} {cs['text_zh']}", f"  {'':<14} {cs['text_en']}")


def project_for_run(args):
    """The project, or the layers given by role, or a project with layers given beside it for this
    run only (this month's incidents, corrected roads: the project file is not changed). Layers
    read from files here report, as ``import`` does, which columns were taken for what and the
    loader's warnings (a CRS assumed, no name column), so that a guess is never silent."""
    from ..roles import ROLES
    one_off = one_off_roles(args)
    project = project_or_sources(args, one_off=True)
    if getattr(args, "project", None) and not one_off:
        return project
    offsets = _offset_warnings(project, one_off, getattr(args, "project", None))
    for role, lyr in project.layers.items():
        if one_off and role not in one_off:
            continue
        cols = one_line(", ".join(f"{k}:{v}" for k, v in lyr.columns_used.items()))
        say(args, f"{ROLES[role].zh}：{lyr.source}，{len(lyr.gdf)} 个要素，坐标系 {how_zh(lyr.crs_in)}"
            + (f"，所用列：{cols}" if cols else ""),
            f"{role}: {lyr.source}, {count_en(len(lyr.gdf), 'feature')}, CRS {lyr.crs_in}"
            + (f", columns used: {cols}" if cols else ""))
        print_columns(args, role, lyr.meta())
        for p in lyr.problems:
            if not (role in offsets and p.code == "missing_crs"):  # the offset warning below says more
                print(p.format(fmt_lang(args)))
        if role in offsets:
            print(offsets[role].format(fmt_lang(args)))
    if one_off:
        names_zh = "、".join(ROLES[r].zh if r in ROLES else "高程模型" for r in one_off)
        names_en = ", ".join(one_off)
        flags = " ".join([f"--{r.replace('_', '-')} {v}" for r, v in one_off.items()]
                         + [f"--crs-in {c}" for c in _crs_given_for(args, one_off)])
        say(args, f"本次使用所给的{names_zh}图层（项目中的同名图层本次不用），项目文件 {args.project} 不会改动；"
                  f"要把它存入项目：gridtool import {args.project} {flags}",
            f"this run uses the {names_en} {plural_en(len(one_off), 'layer')} given instead of the project's own; the project file "
            f"{args.project} is not changed; to store them in it: gridtool import {args.project} {flags}")
    return project


def _crs_given_for(args, one_off) -> list[str]:
    """The ``--crs-in`` values of this run that apply to its one-run layers (``ROLE=CRS`` for one
    of them, or a bare CRS), so the import line that stores them reads them the same way."""
    out = []
    for c in getattr(args, "crs_in", None) or []:
        role = c.split("=", 1)[0].strip().replace("-", "_") if "=" in c else None
        if role is None or role in one_off:
            out.append(c)
    return out


def _offset_warnings(project, one_off, project_path) -> dict:
    """The AMap/Baidu offset warnings ``import`` gives (:func:`gridtool.offset_fit.check_offsets`)
    for the point layers read for this run, by role, their fix to run again rather than import again.

    Without it ``gridtool patrol 项目.gpkg --incidents 本月警情.xlsx`` read a 百度 sheet as WGS84 with a
    generic note and planned the hot spots some 100–500 m off the streets where the calls came from."""
    from dataclasses import replace

    from ..offset_fit import POINT_ROLES, check_offsets
    read_now = [r for r in POINT_ROLES if r in project.layers and (not one_off or r in one_off)]
    if not read_now:
        return {}
    out = {}
    for p in check_offsets(project):
        if p.code != "lonlat_offset_suspected" or p.role not in read_now:
            continue
        # ROLE=bd09, as the warning named it; a wording without it keeps the warning as it is
        m = re.search(r"--crs-in\s+([\w-]+=[\w.:-]+)", p.fix_zh or "", flags=re.ASCII)
        if m is None:
            out[p.role] = p
            continue
        off = m.group(1)
        store = (f"gridtool import {project_path} --{p.role.replace('_', '-')} {one_off[p.role]} --crs-in {off}"
                 if project_path and p.role in one_off else "")
        out[p.role] = replace(p, fix_zh=f"加 --crs-in {off} 重新运行（不必重新导入项目" + (f"；要存入项目：{store}" if store else "")
                                        + "）。",
                              fix_en=f"run again with --crs-in {off} (the project needs no new import"
                                     + (f"; to store the layer in it: {store}" if store else "") + ").")
    return out


def _loading(show):
    """Reading the layers as the first 90 % of a command's progress: the loader's own 完成 (100 %)
    would otherwise come before 数据检查 (95 %) and the save, the log's percentages going back."""
    return (lambda f, m: show(0.9 * f, "读取图层 / layers read" if f >= 1.0 else m)) if show else None


# -- subcommands ------------------------------------------------------------------------------
def cmd_import(args) -> int:
    from ..ownership import check_replace
    from ..validate import validate
    if getattr(args, "project", None):
        return _import_into(args)
    if not args.out:
        raise GridtoolError("缺少 --out：新项目写到哪个文件", "--out is missing: the file of the new project",
                            fix_zh="例如 gridtool import --households 住户.xlsx --out 项目.gpkg；往已有项目加入或替换图层："
                                   "gridtool import 项目.gpkg --incidents 本月警情.xlsx",
                            fix_en="e.g. gridtool import --households hh.xlsx --out project.gpkg; to add or replace a layer "
                                   "in an existing project: gridtool import PROJECT.gpkg --incidents calls.xlsx", field="out")
    out = Path(args.out)
    check_replace([out], force=args.force, kind="project")  # before reading: refuse early, not after minutes
    _check_not_dropping(args, out)
    if not args.name:  # the project is the file the planner named, not the first input (花名册)
        args.name = out.stem
    with command_progress(args) as show:
        project = project_from_args(args, progress=_loading(show))
        if show:
            show(0.95, "数据检查 / validating")
        problems = validate(project)
    _print_problems(args, problems)
    with command_progress(args) as show:
        if show:
            show(0.99, "写入项目 / saving")
        project.save(out, force=args.force)
    say(args, f"已写入项目 {out}", f"project written: {out}")
    _print_summary(args, project.summary())
    if args.strict and any(p.severity == "error" for p in problems):
        return 1
    return 0


def _check_not_dropping(args, out: Path) -> None:
    """A new import over an existing project replaces the whole file: refuse (unless ``--force``)
    when that would drop layers it holds that this import does not give — the grids, hand edits,
    routes, last month's incidents — and point to adding the layer to the project instead."""
    from ..project import META_TABLE
    if args.force or not out.is_file():
        return
    import pyogrio
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            names = [str(n) for n, _ in pyogrio.list_layers(out)]
    except Exception:  # noqa: BLE001 - not readable: check_replace and save say what it is
        return
    if META_TABLE not in names:
        return
    given = set(role_sources(args))
    lost = [n for n in names if n != META_TABLE and n not in given and not n.startswith(("gpkg_", "rtree_", "layer_styles"))
            and n != "dem"]
    if not lost:
        return
    flags = " ".join(f"--{r.replace('_', '-')} {v}" for r, v in role_sources(args).items())
    raise GridtoolError(
        f"{out} 已是 gridtool 项目，含有本次没有给出的图层：{'、'.join(_layer_label(n) for n in lost)}；"
        "重新导入会以本次给出的图层替换整个项目，这些图层（含网格和手工修改）都会丢失，因此不写入",
        f"{out} is a gridtool project holding layers this import does not give: {', '.join(lost)}; a new import "
        "replaces the whole project and they (grids and hand edits included) would be lost, so nothing is written",
        fix_zh=f"只加入或替换这些图层、保留其余一切：gridtool import {out} {flags}；"
               "确要从头重建项目：换一个输出文件名，或加 --force。",
        fix_en=f"to add or replace only these layers and keep everything else: gridtool import {out} {flags}; "
               "to rebuild the project from scratch: choose another output name, or add --force.", file=str(out))


def _import_into(args) -> int:
    """``import PROJECT.gpkg --ROLE FILE``: add or replace layers in a saved project, every other
    layer (grids, sub-grids, locks, edits, routes) and the parameters kept; checked as a fresh
    import checks them; saved atomically in place (or to ``--out``, a copy)."""
    from ..ownership import check_replace
    from ..project import Project
    from ..validate import validate
    sources = role_sources(args)
    dem = getattr(args, "dem", None)
    if not sources and not dem:
        raise GridtoolError("没有给出要加入项目的图层", "no layer given to add to the project",
                            fix_zh=f"按角色给出文件，例如 gridtool import {args.project} --incidents 本月警情.xlsx"
                                   f"（高程模型：--dem 高程.tif）",
                            fix_en=f"give a file by role, e.g. gridtool import {args.project} --incidents calls.xlsx "
                                   "(an elevation model: --dem DEM.tif)")
    out = Path(args.out or args.project)
    if args.out and not Path(args.out).resolve() == Path(args.project).resolve():
        check_replace([out], force=args.force, kind="project")
        if out.exists() and not args.force:  # another project: its grids would be lost
            raise GridtoolError(f"{out} 已存在，不会被这个项目的副本覆盖", f"{out} exists; it is not replaced by a copy of this project",
                                fix_zh=f"去掉 --out 就地保存到 {args.project}，或换一个输出文件名。",
                                fix_en=f"drop --out to save in place to {args.project}, or choose another output name.", file=str(out))
    project = Project.open(args.project)
    old = {r: len(project.layers[r].gdf) for r in sources if r in project.layers}
    had_dem = project.dem is not None
    with command_progress(args) as show:
        project.add_sources(sources, progress=_loading(show), save_as=out, **source_options(args))
        if show:
            show(0.95, "数据检查 / validating")
        problems = validate(project)
    if args.name:
        project.name = args.name
    # The new layers' problems, as a fresh import prints them; the rest of the project is counted.
    loaded = {id(p) for r in sources if r in project.layers for p in project.layers[r].problems}
    mine = [p for p in problems if (id(p) in loaded or p.role in sources) and p.code != "derived_out_of_date"]
    problems = [p for p in problems if p.code != "derived_out_of_date"]  # said below, with the copy's name
    _print_problems(args, mine)
    others = len(problems) - len(mine)
    if others:
        say(args, f"（项目其余图层另有 {others} 个问题，未改动；gridtool validate {out} 可列出）",
            f"(the project's other layers have {count_en(others, 'more problem')}, unchanged; list them with gridtool validate {out})")
    with command_progress(args) as show:
        if show:
            show(0.99, "写入项目 / saving")
        project.save(out, force=args.force)
    for role in sources:
        n = len(project.layers[role].gdf)
        if role in old:
            say(args, f"已替换{_layer_label(role)}：原 {old[role]:,} 个要素 → 现 {n:,} 个",
                f"replaced {role}: {count_en(old[role], 'feature')} before, {n:,} now")
            carried = project.layers[role].plan_carried
            if carried is not None:
                # The redraw keeps these where they were; the planner sees how many matched.
                say(args, f"  按位置沿用原网格（含子网格）：{carried:,} 个要素；其余 {n - carried:,} 个在原住户中没有对应，"
                    "重绘时作为新住户分入网格",
                    f"  kept their previous grid (and sub-grid) by position: {count_en(carried, 'feature')}; the other "
                    f"{n - carried:,} match no previous household and are placed as new ones by the redraw")
            gone = project.layers[role].households_gone
            if gone and gone.get("grids"):
                # Said now, and again by the redraw: which grids the roster no longer fills.
                by = sorted(gone["grids"].items(), key=lambda ck: (-ck[1], ck[0]))
                k = sum(gone["grids"].values())
                zh = "、".join(f"网格 {c} 减 {m:,} 户" for c, m in by[:8]) + (f" 等 {len(by)} 个网格" if len(by) > 8 else "")
                en = ", ".join(f"grid {c} −{m:,}" for c, m in by[:8]) + (f" … ({count_en(len(by), 'grid')})" if len(by) > 8 else "")
                say(args, f"  离开名册 {k:,} 户（{zh}）；重绘时这些网格计为有变化",
                    f"  left the roster: {count_en(k, 'household')} ({en}); the redraw counts these grids as changed")
        else:
            say(args, f"已加入{_layer_label(role)}：{n:,} 个要素", f"added {role}: {count_en(n, 'feature')}")
    if dem:
        say(args, f"已{'替换' if had_dem else '加入'}高程模型（dem）：{dem}",
            f"{'replaced' if had_dem else 'added'} the elevation model (dem): {dem}")
    kept = [r for r in project.layers if r not in sources]
    say(args, f"已写入项目 {out}；其余图层未改动：" + ("、".join(_layer_label(r) for r in kept) or "无"),
        f"project written: {out}; every other layer unchanged: " + (", ".join(kept) or "none"))
    # This import's and those of earlier ones not redone yet (stored in the project)
    from ..layer_deps import stored_out_of_date
    for p in stored_out_of_date(project, path=out):
        print(p.format(fmt_lang(args)))
    summary = project.summary()
    summary["layers"] = {r: e for r, e in summary["layers"].items() if r in sources}
    if not dem:
        summary.pop("dem", None)  # only what this import gave
    _print_summary(args, summary)
    if args.strict and any(p.severity == "error" for p in mine):
        return 1
    return 0


def cmd_info(args) -> int:
    from ..project import META_TABLE, Project
    path = args.path
    summary, statuses = None, None
    if path.lower().endswith(".gpkg") and Path(path).is_file():
        import pyogrio

        from ..io.files import check_not_in_use
        check_not_in_use(Path(path))
        try:
            with warnings.catch_warnings():  # GDAL's "bad application_id": file_info says it plainly
                warnings.simplefilter("ignore")
                names = [str(n) for n, _ in pyogrio.list_layers(path)]
        except Exception:  # noqa: BLE001 - locked, empty or not a GeoPackage: file_info says which
            names = []
        if META_TABLE in names:
            project = Project.open(path)
            summary = project.summary()
            grids = project.layers.get("grids")
            if grids is not None and "status" in grids.gdf:
                statuses = grids.gdf["status"].tolist()
    if summary is None:
        from ..fileinfo import file_info
        summary = file_info(path)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    else:
        _print_summary(args, summary, statuses)
    return 0


def cmd_validate(args) -> int:
    from ..project import Project
    from ..validate import validate
    if getattr(args, "grids", False):
        return _check_grids(args)
    if args.project:
        # Layers beside the project: checked with it, as import PROJECT.gpkg would store them (not saved).
        project = project_or_sources(args, one_off=True)
        problems = validate(project)
    else:
        with command_progress(args) as show:
            project = project_from_args(args, progress=_loading(show))
            if show:
                show(0.95, "数据检查 / validating")
            problems = validate(project)
    if args.json:
        print(json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2, default=str))
    else:
        for role, e in project.summary()["layers"].items():
            if e.get("columns_detail") or e.get("class_summary"):
                # The layer's Chinese name under zh, as import and info head it (not the internal key)
                say(args, f"  {_layer_label(role)}", f"  {role}")
                print_columns(args, role, e)
        _print_problems(args, problems)
    return 1 if any(p.severity == "error" for p in problems) else 0


def _check_grids(args) -> int:
    """``validate PROJECT --grids``: the app's 网格 → 检查网格 (Grid → Check grids), the plan's own
    problems — grids outside their household bounds, grids in pieces, households in no grid or
    counted twice — from :meth:`gridtool.partition.edit.GridPlan.validate`, as the app lists them."""
    from ..partition.edit import GridPlan
    from ..project import Project
    if not args.project or role_sources(args):
        raise GridtoolError("--grids 检查的是项目中的网格，请只给出项目文件",
                            "--grids checks the grids of a project: give the project file alone",
                            fix_zh="例如 gridtool validate 项目.gpkg --grids", fix_en="e.g. gridtool validate PROJECT.gpkg --grids",
                            field="grids")
    project = Project.open(args.project)
    from ..layer_deps import PLAN, stored_out_of_date
    # A layer replaced since the grids were drawn: said with the grids' own problems until redrawn.
    problems = GridPlan.from_project(project).validate() + stored_out_of_date(project, layers=PLAN)
    if args.json:
        print(json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2, default=str))
    else:
        _print_problems(args, problems, ("检查网格", "grid check"))
    return 1 if any(p.severity == "error" for p in problems) else 0


def register(subparsers) -> None:
    """Add ``import``, ``info`` and ``validate`` to the ``gridtool`` argument parser."""
    pi = subparsers.add_parser("import", help="导入图层并写入项目 / load layers by role into a project",
                               epilog="往已有项目加入或替换图层（网格、锁定、修改和其余图层都保留）/ add or replace a layer in "
                                      "an existing project, everything else kept: gridtool import 项目.gpkg --incidents 本月警情.xlsx")
    pi.add_argument("project", nargs="?", metavar="PROJECT.gpkg",
                    help="已有项目：把给出的图层加入或替换进去，其余不变 / an existing project: the layers given are "
                         "added or replace its layers of those roles, everything else kept")
    add_role_arguments(pi)
    pi.add_argument("--out", metavar="PROJECT.gpkg",
                    help="项目文件（新项目必填；给出已有项目时默认就地保存）/ project file to write (required for a new "
                         "project; with PROJECT.gpkg: saved in place unless given)")
    pi.add_argument("--name", help="项目名称 / project name")
    pi.add_argument("--strict", action="store_true", help="有数据错误时返回 1 / exit 1 when validation finds errors")
    pi.add_argument("--force", action="store_true",
                    help="允许覆盖不是 gridtool 项目的已有文件，或以新导入替换整个已有项目（其网格等都会丢失）/ replace an "
                         "existing file that is not a gridtool project, or a whole existing project (its grids lost)")
    pi.add_argument("--quiet", action="store_true", help="不显示进度 / no progress messages")
    pi.set_defaults(func=cmd_import)

    pf = subparsers.add_parser("info", help="查看文件或项目 / what a file or project holds")
    pf.add_argument("path", metavar="PATH[:LAYER]")
    pf.add_argument("--json", action="store_true")
    pf.set_defaults(func=cmd_info)

    pv = subparsers.add_parser("validate", help="检查数据 / check data and list every problem")
    pv.add_argument("project", nargs="?", metavar="PROJECT.gpkg")
    add_role_arguments(pv)
    pv.add_argument("--json", action="store_true")
    pv.add_argument("--grids", action="store_true",
                    help="检查网格（同桌面程序“检查网格”）：户数超出范围、不连片、未分入网格或重复计数的住户 / "
                         "check the grids (the app's Check grids): out of bounds, in pieces, households in no "
                         "grid or counted twice")
    pv.set_defaults(func=cmd_validate)
