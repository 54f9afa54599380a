"""``gridtool partition``: base grids and sub-grids of a project or layers by role, a redraw from an
earlier plan (``--previous``, ``--lock``) and the city-scale batch (``--workers``, ``--scheduler``,
``--out-dir``, ``--resume``, ``--by``).
"""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path

from ..errors import GridtoolError, HouseholdBoundsError, OptionError, check_at_least
from ..plurals import count_en, plural_en
from ..partition.redraw_words import redraw_lines
from ..partition.report import remedy_words, terrain_words
from ..partition import unread_context as context_words
from .args import (
    add_role_arguments,
    code_list,
    command_progress,
    fmt_lang,
    one_off_roles,
    pair_options,
    per_role_option,
    project_or_sources,
    role_sources,
    say,
)


def _relax(values: list[str]) -> dict[str, tuple[int, int]]:
    out = {}
    for name, rng in pair_options(values, "--relax").items():
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
        raise HouseholdBoundsError(f"--min {args.min} 大于 --max {args.max}", f"--min {args.min} exceeds --max {args.max}",
                                   fix_zh="交换两个数。", fix_en="swap the two numbers.", field="min")
    check_at_least(args.min, 1, name="min", zh="网格最少户数", flag="--min", example=300)
    if not args.no_subgrids:
        check_at_least(args.sub_min, 1, name="sub_min", zh="子网格最少户数", flag="--sub-min", example=20)
        if args.sub_min > args.sub_max:
            raise HouseholdBoundsError(f"--sub-min {args.sub_min} 大于 --sub-max {args.sub_max}",
                                       f"--sub-min {args.sub_min} exceeds --sub-max {args.sub_max}",
                                       fix_zh="交换两个数。", fix_en="swap the two numbers.", field="sub_min")
    params = dict(
        min_hh=args.min, max_hh=args.max, target=args.target if args.target else (args.min + args.max) // 2,
        sub_min=args.sub_min, sub_max=args.sub_max,
        sub_target=args.sub_target if args.sub_target else (args.sub_min + args.sub_max) // 2,
        hard_barriers=[h for h in args.hard_barriers.split(",")] if args.hard_barriers else [],
        corridor_width=args.corridor_width, infeasible=args.infeasible, pockets=args.pockets,
        special_radius=getattr(args, "special_radius", 30.0),
        merge=pair_options(args.merge, "--merge"), relax=_relax(args.relax), subgrids=not args.no_subgrids,
        seed=args.seed, terrain=not getattr(args, "ignore_terrain", False),
        **({"special_categories": [c.strip() for c in args.special.split(",") if c.strip()]}
           if args.special is not None else {}))
    return _keep_exceptions(params, args)


def _keep_exceptions(params: dict, args, project=None) -> dict:
    """``--keep-exception VILLAGE``: the village's merge and relaxed bounds dropped (the app's
    保留为例外), by the rule the app uses (:func:`gridtool.partition.remedy_params.with_remedy`)."""
    from ..partition.remedy_params import with_remedy
    for village in getattr(args, "keep_exception", None) or []:
        params = with_remedy(params, village, "exception", aliases=_village_aliases(project, village))
    return params


def _project_villages(project):
    """``(display names, raw names, codes)`` of the project's villages, as the engine names them,
    for looking up a village typed on the command line (:func:`~gridtool.partition.villages.village_row`);
    None without a villages layer."""
    lyr = project.layers.get("villages") if project is not None else None
    if lyr is None or lyr.gdf is None or not len(lyr.gdf):
        return None
    from ..partition.villages import raw_village_names, village_codes, village_names
    v = lyr.gdf
    return village_names(v), raw_village_names(v), village_codes(v)


def _village_aliases(project, ref) -> list[str]:
    """The names and code of the village ``ref`` names in the project (none when unknown): a remedy
    stored under its name is the same village's as one typed with its code."""
    from ..partition.villages import village_row
    known = _project_villages(project)
    row = village_row(str(ref).strip(), *known) if known else None
    return [] if row is None else [known[0][row], known[1][row], known[2][row]]


def _print_kept_feasible(args, rep: dict, project) -> None:
    """``--keep-exception V`` for a village the bounds fit: it is drawn into ordinary grids (there is
    nothing to keep as an exception), said rather than left for the user to find in the ledger."""
    asked = [str(v).strip() for v in getattr(args, "keep_exception", None) or []]
    known = _project_villages(project) if asked else None
    if not known:
        return
    from ..partition.villages import village_row
    infeasible = {str(e.get("village")) for e in rep.get("plan", {}).get("infeasible_villages") or []}
    rows = {ref: village_row(ref, *known) for ref in asked}
    fits = [ref for ref, row in rows.items() if row is not None and known[0][row] not in infeasible]
    if fits:
        say(args, f"注意：{'、'.join(fits)} 按户数范围可以划分，已划成普通网格（--keep-exception 只对无法划分的村起作用）",
            f"note: {', '.join(fits)} {plural_en(len(fits), 'fits', 'fit')} the household bounds and "
            f"{plural_en(len(fits), 'was', 'were')} drawn into ordinary grids (--keep-exception acts only on "
            "villages that cannot be divided)")


def _check_named_villages(args, project) -> None:
    """``--keep-exception V`` and ``--relax V=…`` naming no village of the project: said, with the
    names nearest, instead of a partition that quietly ignores them (``--merge`` is checked by the
    engine; ``--relax`` is not there, since a city batch hands every chunk the whole list)."""
    import difflib

    from ..partition.villages import village_row
    known = _project_villages(project)
    if not known:
        return
    vnames, raw, codes = known
    named = [("--keep-exception", x) for x in getattr(args, "keep_exception", None) or []]
    named += [("--relax", x) for x in _relax(getattr(args, "relax", None) or [])]
    for option, ref in named:
        ref = str(ref).strip()
        if village_row(ref, vnames, raw, codes) is not None:
            continue
        close = difflib.get_close_matches(ref, list(dict.fromkeys(vnames + raw)), n=3, cutoff=0.4)
        hint_zh = f"是不是 {'、'.join(close)}？" if close else ""
        hint_en = f"did you mean {', '.join(close)}? " if close else ""
        raise OptionError(f"{option} 中的村（社区）“{ref}”不在项目的村界图层中",
                          f"{option}: no village {ref!r} in the project's villages layer",
                          fix_zh=f"{hint_zh}村名须与村界图层的 name 字段一致，或写区划代码；用 gridtool info 项目.gpkg 查看。",
                          fix_en=f"{hint_en}give the name as in the villages layer's name column, or its division "
                                 "code; gridtool info PROJECT.gpkg lists them.",
                          layer="villages", field="name")


def _print_partition(args, rep: dict, out) -> None:
    from ..partition.totals import HouseholdTotals, grid_words
    plan = rep["plan"]
    sp_hh = plan.get("special_grid_households", 0)
    # Grids counted as the totals count their households: an exception grid is not a base grid.
    t = HouseholdTotals.from_dict(rep["totals"]) if rep.get("totals") else None
    g_zh, g_en = grid_words(rep.get("totals"), plan["grids"])
    out_zh, out_en = out if isinstance(out, tuple) else (out, out)  # a folder of districts: said in each language
    say(args, f"已写入 {out_zh}：{g_zh}，子网格 {plan.get('subgrids', 0)} 个，"
              f"专属网格 {plan['special_grids']} 个（{sp_hh:,} 户）",
        f"written {out_en}: {g_en}, {count_en(plan.get('subgrids', 0), 'sub-grid')}, "
        f"{count_en(plan['special_grids'], 'special grid')} ({count_en(sp_hh, 'household')})")
    for sk in plan.get("special_places_without_area", []):
        say(args, f"  重点场所“{sk['name'] or sk['src_id']}”只有一个点且周围都是住户（或不在任何村内），未划专属网格；"
                  "请在场所图层中画出它的范围",
            f"  key place {sk['name'] or sk['src_id']!r} is a point with homes all around it (or outside every "
            "village): no special grid; draw its area in the places layer")
    layer_zh = {"grids": "基础网格", "special_grids": "专属网格", "subgrids": "子网格"}
    for role, c in (rep.get("joined_columns_carried") or {}).items():
        new = c["codes_without"]
        if "reassign" in c:  # the sub-grid ledger of last year's project: kept where the households are
            _print_subgrid_ledger(args, c)
            continue
        say(args, f"  已连接的列（{'、'.join(c['columns'])}）按编码带入新的{layer_zh.get(role, role)}："
                  f"{c['with_values']} / {c['grids']} 个有值" + (f"；新编码 {'、'.join(new[:8])}"
                  f"{'…' if len(new) > 8 else ''} 没有旧值，请再用 gridtool join 补上" if new else ""),
            f"  joined columns ({', '.join(c['columns'])}) carried to the new {role} by code: {c['with_values']} "
            f"of {c['grids']} have values" + (f"; new codes {', '.join(new[:8])}{' …' if len(new) > 8 else ''} "
                                              "have none: join them again" if new else ""))
    pct = plan["pct_within_bounds"]
    say(args, f"  可划分村（社区）的网格在 {args.min}–{args.max} 户之内：{pct}%；平均紧凑度 {plan['mean_polsby_popper']}；"
              f"跨越硬边界 {plan['hard_crossings']} 处（其中 {plan['unavoidable_hard_crossings']} 处无法避免）",
        f"  grids of feasible villages within {args.min}–{args.max}: {pct}%; mean Polsby-Popper "
        f"{plan['mean_polsby_popper']}; hard-barrier crossings {plan['hard_crossings']} "
        f"({plan['unavoidable_hard_crossings']} unavoidable)")
    tim = rep.get("timings") or {}
    if tim.get("subgrid_workers", 1) > 1:
        say(args, f"  子网格由 {tim['subgrid_workers']} 个进程并行绘制（结果与单进程相同）",
            f"  sub-grids drawn on {tim['subgrid_workers']} processes (the same plan as on one)")
    elif tim.get("subgrid_workers_note"):
        say(args, "  子网格未能使用并行进程，已在本进程中绘制（结果相同，只是较慢）",
            f"  sub-grids: {tim['subgrid_workers_note']}")
    if t is not None:
        say(args, f"  {t.text_zh()}", f"  {t.text_en()}")
    if plan.get("party_links"):
        _print_party_links(args, plan["party_links"])
    for v in plan["infeasible_villages"]:
        rem = v["remedies"]
        merge_zh, merge_en = _merge_words(rem, args.min, args.max)
        lo, hi = rem["relax"]
        label = v.get("label") or v["village"]
        say(args, f"  无法划分：{label}，{v['households']} 户。已采用：{remedy_words(v, 'zh')}。"
                  f"可选：保留为一个例外网格；与邻村合并（{merge_zh}）；放宽为 {lo}–{hi} 户",
            f"  cannot be split: {label}, {count_en(v['households'], 'household')}. Applied: {remedy_words(v, 'en')}. "
            f"Remedies: keep as one exceptional grid; merge with a neighbour ({merge_en}); relax to {lo}-{hi}")
    _print_terrain(args, plan.get("terrain"))
    ridges = plan.get("ridge_grids") or []
    if ridges:
        lim = int(plan.get("ridge_warn_m", 150))
        shown_zh = "、".join(f"{r['code']}（{r['village']}，{r['ridge_m']} 米）" for r in ridges[:8])
        shown_en = ", ".join(f"{r['code']} ({r['village']}, {r['ridge_m']} m)" for r in ridges[:8])
        more = f" …（共 {len(ridges)} 个）" if len(ridges) > 8 else ""
        then_zh, then_en = _ridge_remedy(plan, ridges)
        say(args, f"  [警告] {len(ridges)} 个网格的住户之间隔着山脊（在网格内往来须翻越 {lim} 米以上，按高程模型）："
                  f"{shown_zh}{more}。{then_zh}",
            f"  [warning] {count_en(len(ridges), 'grid')} {plural_en(len(ridges), 'holds', 'hold')} households on both sides of a ridge (walking between them "
            f"inside the grid climbs {lim} m or more, from the DEM): {shown_en}"
            f"{f' … ({len(ridges)} in all)' if len(ridges) > 8 else ''}. {then_en}")
    _print_pieces(args, plan)
    for pg in plan.get("pocket_grids", []):
        say(args, f"  硬边界围出的片区保留为例外网格：{pg['code']}（{pg['village']}，{pg['households']} 户）；"
                  "可用 --pockets join 跨边界并入邻近网格",
            f"  area enclosed by hard barriers kept as an exceptional grid: {pg['code']} ({pg['village']}, "
            f"{count_en(pg['households'], 'household')}); --pockets join joins it across the barrier")
    if args.report:
        say(args, f"  报告：{args.report}", f"  report: {args.report}")


def _print_pieces(args, plan: dict) -> None:
    """Grids in pieces, as ``validate --grids`` and the app's 检查网格 say them (one rule:
    :mod:`gridtool.partition.contiguity`)."""
    split = plan.get("grids_not_contiguous") or []
    if split:
        zh = "、".join(f"{r['code']}（{r['village']}，{r['pieces']} 块）" for r in split[:8])
        en = ", ".join(f"{r['code']} ({r['village']}, {count_en(int(r['pieces']), 'piece')})" for r in split[:8])
        more_zh, more_en = (f" …（共 {len(split)} 个）", f" … ({len(split)} in all)") if len(split) > 8 else ("", "")
        say(args, f"  [警告] {len(split)} 个网格不连片（住户分在互不相连的几块土地上，不是因为村本身分块）：{zh}{more_zh}。"
                  "可在程序中把孤立的那块刷入相邻网格，或重绘未锁定网格",
            f"  [warning] {count_en(len(split), 'grid')} not contiguous (households on pieces of land not joined, "
            f"not because the village is in parts): {en}{more_en}. Paint the detached piece into a neighbouring "
            "grid in the app, or redraw the unlocked grids")
    apart = plan.get("grids_in_village_parts") or []
    if apart:
        zh = "、".join(f"{r['code']}（{r['village']}，{r['pieces']} 块）" for r in apart[:8])
        en = ", ".join(f"{r['code']} ({r['village']}, {count_en(int(r['pieces']), 'piece')})" for r in apart[:8])
        more_zh, more_en = (f" …（共 {len(apart)} 个）", f" … ({len(apart)} in all)") if len(apart) > 8 else ("", "")
        say(args, f"  说明：{len(apart)} 个网格因村本身不连片（含飞地）而分块，不是划分错误：{zh}{more_zh}",
            f"  note: {count_en(len(apart), 'grid')} in pieces because the village itself is in parts (exclaves), "
            f"not an error: {en}{more_en}")


def _ridge_remedy(plan: dict, ridges: list[dict]) -> tuple[str, str]:
    """What to do about grids over a ridge: with the ridges already borders, what is left is what
    the household bounds forced, or a grid the planner locked (it keeps last year's shape)."""
    if not (plan.get("terrain") or {}).get("used"):
        return ("可沿山脊手工拆分（gridtool edit --split 编码），或把山脊画成边界线后重新划分",
                "Split them along the ridge by hand (gridtool edit --split CODE), or draw the ridge as a "
                "boundary line and partition again")
    locked = set((plan.get("redraw") or {}).get("locked") or [])
    held = [r["code"] for r in ridges if r["code"] in locked]
    if not held:
        return ("山脊已作为网格边界，这些网格是户数范围所迫；可沿山脊手工拆分（gridtool edit --split 编码）或放宽该村户数范围（--relax）",
                "The ridges are grid borders already: the household bounds forced these. Split them by hand "
                "(gridtool edit --split CODE) or relax the village's bounds (--relax)")
    return (f"山脊已作为网格边界，但锁定网格 {'、'.join(held)} 保持上一版形状（不锁定这些编码再重绘，即可沿山脊重划）；"
            "其余是户数范围或锁定网格所迫，可沿山脊手工拆分（gridtool edit --split 编码）或放宽该村户数范围（--relax）",
            f"The ridges are grid borders already, but the {plural_en(len(held), 'locked grid')} {', '.join(held)} "
            f"{plural_en(len(held), 'keeps', 'keep')} the previous "
            "shape (redraw without these codes in --lock to draw them along the ridge); the household bounds "
            "or the locked grids forced the others: split them by hand (gridtool edit --split CODE) or relax "
            "the village's bounds (--relax)")


def _print_terrain(args, terrain: dict | None) -> None:
    """One line on the ridges of the elevation model: used (how many km, from which file) or not,
    in the app's log's words (:func:`gridtool.partition.report.terrain_words`)."""
    words = terrain_words(terrain)
    if words is not None:
        say(args, f"  {words[0]}", f"  {words[1]}")


#: the partition options --redraw lets override the last partition's parameters, with the
#: engine parameters each sets (:func:`_partition_params`)
_REDRAW_OPTIONS = {"min": ("min_hh",), "max": ("max_hh",), "target": ("target",), "sub_min": ("sub_min",),
                   "sub_max": ("sub_max",), "sub_target": ("sub_target",), "hard_barriers": ("hard_barriers",),
                   "infeasible": ("infeasible",), "pockets": ("pockets",), "merge": ("merge",), "relax": ("relax",),
                   "special": ("special_categories",), "special_radius": ("special_radius",),
                   "corridor_width": ("corridor_width",), "no_subgrids": ("subgrids",), "ignore_terrain": ("terrain",),
                   "seed": ("seed",)}
#: the options whose value, when not given, is the last partition's (they are checked together)
_STORED_BOUNDS = {"min": "min_hh", "max": "max_hh", "target": "target", "sub_min": "sub_min", "sub_max": "sub_max",
                  "sub_target": "sub_target"}


def _noting_given(cls: type) -> type:
    """``cls`` (an argparse action class) that also adds its option to ``args.given_options`` when
    the option is on the command line, whatever its value: ``--redraw --max 500`` puts 500 over the
    last partition's 400 although 500 is the default."""
    class NotingGiven(cls):
        def __call__(self, parser, namespace, values, option_string=None):
            super().__call__(parser, namespace, values, option_string)
            namespace.given_options = set(getattr(namespace, "given_options", ()) or ()) | {self.dest}
    return NotingGiven


def _redraw_params(args, project) -> dict:
    """``--redraw``: the parameters of the project's last partition, as the app's 重绘未锁定网格 takes
    them, with every option given on the command line over them (a bound not given is the last
    partition's, also where another is checked against it: ``--max 250`` after ``--min 200``).
    ``--merge``, ``--relax`` and ``--keep-exception`` change the remedy of the villages they name
    only, as the app's remedy buttons do (:func:`gridtool.partition.remedy_params.with_remedy`)."""
    stored = dict(project.parameters.get("partition", {}).get("parameters", {}))
    if not stored:
        raise GridtoolError("项目中没有上次划分的参数，无法重绘", "the project has no parameters of an earlier partition "
                            "to redraw with", fix_zh="先划分网格（gridtool partition，不加 --redraw）。",
                            fix_en="partition first (gridtool partition without --redraw).", file=args.project)
    given = set(getattr(args, "given_options", ()) or ())
    ns = argparse.Namespace(**vars(args))
    for dest, key in _STORED_BOUNDS.items():
        if dest not in given and key in stored:
            setattr(ns, dest, stored[key])
    for dest, bounds in (("target", ("min", "max")), ("sub_target", ("sub_min", "sub_max"))):
        if dest not in given and given & set(bounds):  # new bounds without a target: their middle
            setattr(ns, dest, None)
            given.add(dest)
    params = _partition_params(ns)
    stored.update({key: params[key] for dest in given - {"merge", "relax"}
                   for key in _REDRAW_OPTIONS.get(dest, ()) if key in params})
    # --merge/--relax/--keep-exception change the remedy of the villages named, as the grids panel's
    # remedy buttons do: the remedies chosen earlier for other villages stay.
    from ..partition.remedy_params import with_remedy
    for village, host in pair_options(args.merge, "--merge").items():
        stored = with_remedy(stored, village, "merge", host, aliases=_village_aliases(project, village))
    for village, bounds in _relax(args.relax).items():
        stored = with_remedy(stored, village, "relax", bounds, aliases=_village_aliases(project, village))
    return _keep_exceptions(stored, args, project)


def _note_last_bounds(args, project, params: dict) -> None:
    """A new partition of a project partitioned before (in the app, say at 350–450 households) with
    bounds left to their defaults draws at 300–500: said, with the two ways to keep the last ones,
    so that a script does not quietly undo what was chosen in the app."""
    stored = project.parameters.get("partition", {}).get("parameters", {}) or {}
    given = set(getattr(args, "given_options", ()) or ())
    differ = [(dest, key) for dest, key in _STORED_BOUNDS.items()
              if dest not in given and key in stored and key in params and stored[key] != params[key]]
    if not differ:
        return

    def bounds(p: dict, lo: str, hi: str) -> str:
        return f"{p.get(lo)}–{p.get(hi)}"
    last = f"{bounds(stored, 'min_hh', 'max_hh')} 户（子网格 {bounds(stored, 'sub_min', 'sub_max')} 户）"
    now = f"{bounds(params, 'min_hh', 'max_hh')} 户（子网格 {bounds(params, 'sub_min', 'sub_max')} 户）"
    flags = " ".join(f"--{dest.replace('_', '-')} {stored[key]}" for dest, key in differ)
    say(args, f"注意：项目上次划分用 {last}，本次未给这些选项，按默认 {now} 划分；"
              f"要沿用上次的设置，用 --redraw（重绘未锁定网格）或加 {flags}",
        # the range written out (lo–hi), so that it reads as one: "300–500 households" is plural
        f"note: the project was last partitioned at {stored.get('min_hh')}–{stored.get('max_hh')} households (sub-grids "
        f"{bounds(stored, 'sub_min', 'sub_max')}); these options are not given, so this run uses the defaults "
        f"{bounds(params, 'min_hh', 'max_hh')} (sub-grids {bounds(params, 'sub_min', 'sub_max')}); to keep the last "
        f"ones use --redraw (redraw the unlocked grids) or add {flags}")


def cmd_partition(args) -> int:
    from ..partition.output import apply_to_project, fit_own_plan, locked_codes, write_report
    if getattr(args, "redraw", False) and (args.previous or args.lock):
        raise GridtoolError("--redraw 不能与 --previous、--lock 同时使用", "--redraw cannot be combined with --previous "
                            "or --lock", fix_zh="--redraw 保留项目中已锁定的网格（先用 gridtool edit --lock 锁定）；"
                            "按另一版网格重绘用 --previous。", fix_en="--redraw keeps the grids locked in the project "
                            "(lock them first with gridtool edit --lock); redraw from another plan with --previous.",
                            field="redraw")
    if args.previous or args.lock:
        return _partition_redraw(args)
    if (args.workers is not None or args.scheduler or args.out_dir or args.resume or args.by):
        if getattr(args, "redraw", False):
            raise GridtoolError("--redraw 不能与批量选项同时使用", "--redraw cannot be combined with the batch options",
                                fix_zh="每个项目分别运行 gridtool partition 项目.gpkg --redraw --out 项目.gpkg。",
                                fix_en="run gridtool partition PROJECT.gpkg --redraw --out PROJECT.gpkg per project.",
                                field="redraw")
        return _partition_batch(args)
    from ..ownership import check_replace
    out = Path(args.out)
    check_replace([out], force=args.force, kind="project")
    check_replace([args.report] if args.report else [], force=args.force)
    from ..atomic import check_folder_writable
    check_folder_writable(out)  # said now, not after the partition has run
    project = project_or_sources(args)
    _check_named_villages(args, project)
    redraw = bool(getattr(args, "redraw", False))
    # --keep-exception again with the villages known: a village typed by its code drops a merge typed by name
    params = _redraw_params(args, project) if redraw else _keep_exceptions(_partition_params(args), args, project)
    if not redraw:
        _note_last_bounds(args, project, params)
    # The app's 划分网格 and 重绘未锁定网格: grids locked in the project (the app's 锁定 button,
    # gridtool edit --lock) are kept exactly (households, buildings, shape, code).
    locked = locked_codes(project)
    if locked:
        say(args, f"保持已锁定的网格 {len(locked)} 个不变：{'、'.join(locked)}",
            f"keeping the {count_en(len(locked), 'locked grid')} exactly: {', '.join(locked)}")
    # Updating a project in place is what a planner expects: the save is atomic, and refuses if
    # another program rewrote the project while this partition ran (gridtool.writelock).
    with command_progress(args) as show:
        gp = fit_own_plan(project, params, redraw=redraw, locked=locked, processes=args.processes, progress=show)
    apply_to_project(project, gp)
    project.save(out, force=args.force)
    rep = gp.report_
    if args.report:
        write_report(args.report, rep)
    _print_partition(args, rep, out)
    _print_kept_feasible(args, rep, project)
    _print_locked_out_of_bounds(args, gp.grids_, locked,
                                {e["code"] for e in (rep["plan"].get("redraw") or {}).get("locked_changed") or []})
    if redraw and {"households_total", "codes_kept"} <= set(rep["plan"].get("redraw") or {}):
        _print_redraw(args, rep["plan"]["redraw"], rep.get("totals") or {})
    elif locked:  # a new partition around locked grids: what became of their sub-grids
        from ..partition.locked_subgrids import locked_subgrid_lines
        for zh, en in locked_subgrid_lines((rep["plan"].get("redraw") or {}).get("locked_subgrids") or []):
            say(args, zh, en)
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


def _partition_redraw(args) -> int:
    """``partition --previous PATH[:LAYER] [--lock CODE,…]``: redraw with minimal change from an
    earlier plan (gridtool's own, or any polygon layer with a code column); locked grids keep their
    households, shape and code exactly. Writes the ``changes`` layer and the report's ``redraw``."""
    from ..io.previous import PreviousLayers, check_previous, merged_table, read_previous, recoded_table
    from ..partition.engine import GridPartitioner
    from ..partition.output import apply_to_project, write_report
    from ..partition.redraw_words import previous_lines
    from ..partition.yearly import fit_redraw
    if args.workers is not None or args.scheduler or args.out_dir or args.resume or args.by:
        raise GridtoolError(
            "--previous/--lock 不能与批量选项（--workers、--scheduler、--out-dir、--resume、--by）同时使用",
            "--previous/--lock cannot be combined with the batch options (--workers, --scheduler, --out-dir, "
            "--resume, --by)",
            fix_zh="按乡镇分别重绘：每个项目运行一次 gridtool partition 项目.gpkg --previous 旧网格 --out 新项目.gpkg。",
            fix_en="redraw township by township: gridtool partition PROJECT.gpkg --previous OLD --out NEW.gpkg "
                   "for each project.")
    popts = _take_previous_options(args)
    project = project_or_sources(args)
    _check_named_villages(args, project)
    lock = code_list(args.lock)
    crs_default = per_role_option(args.crs_in, "--crs-in")
    crs_default = crs_default.get("*") if isinstance(crs_default, dict) else crs_default
    if args.previous:
        prev = read_previous(args.previous, code_field=popts.get("code"), crs_in=popts.get("crs_in"),
                             crs_default=crs_default, encoding=popts.get("encoding"))
        lines = previous_lines(prev)
        say(args, *lines[0])
        for problem in prev.problems:
            print(problem.format(fmt_lang(args)))
        for zh, en in lines[1:]:
            say(args, zh, en)
        carry_from = prev
    else:  # --lock alone: the project's own plan is the previous one
        if "grids" not in project.layers:
            raise GridtoolError("--lock 需要上一版网格", "--lock needs a previous plan",
                                fix_zh="给出 --previous 旧网格文件，或先划分网格。",
                                fix_en="give --previous OLD_GRIDS, or partition the project first.")
        carry_from = None
        own = PreviousLayers(grids=project.layers["grids"].gdf, households=None, file=args.project, layer="grids",
                             code_column="code", code_found_by="given", crs="",
                             recoded=recoded_table(project.parameters))
        check_previous(own, None, lock)
    out = Path(args.out)
    with command_progress(args) as show:
        if carry_from is not None:  # the app's 按上一版重绘 takes the same path
            gp = fit_redraw(project, carry_from, params=_partition_params(args), lock=lock,
                            processes=args.processes, progress=show)
        else:
            gp = GridPartitioner(**_partition_params(args), processes=args.processes).fit(
                project, previous=own.grids, locked=lock, match="grid", progress=show,
                previous_merged=merged_table(project.parameters),
                previous_subgrids=project.layers["subgrids"].gdf if "subgrids" in project.layers else None)
    apply_to_project(project, gp, previous=carry_from)
    rep = gp.report_
    if carry_from is None:
        rep["previous"] = project.parameters["partition"]["previous"] = {
            "file": args.project, "layer": "grids", "grids": len(own.grids)}
    project.save(out, force=args.force)
    if args.report:
        write_report(args.report, rep)
    _print_partition(args, rep, out)
    red = rep["plan"]["redraw"]
    _print_locked_out_of_bounds(args, gp.grids_, red.get("locked") or [],
                                {e["code"] for e in red.get("locked_changed") or []})
    _print_redraw(args, red, rep.get("totals") or {})
    return 0


def _print_locked_out_of_bounds(args, grids, locked, roster_changed=frozenset()) -> None:
    """A locked grid keeps its households and shape; when the roster changed under it (or it was
    locked so, after a hand merge or split), its count may lie outside its bounds: said by name
    with the fix, not only flagged in the table. The roster is blamed only for the grids it changed
    (``roster_changed``)."""
    if grids is None or not len(grids) or not locked or not {"code", "hh", "min_hh", "max_hh"} <= set(grids):
        return
    g = grids[grids["code"].astype(str).isin(set(map(str, locked)))]
    off = g[(g["hh"] < g["min_hh"]) | (g["hh"] > g["max_hh"])]
    for r in off.itertuples():
        why = str(r.code) in roster_changed
        say(args, f"  锁定网格 {r.code} 现有 {int(r.hh):,} 户，不在 {int(r.min_hh)}–{int(r.max_hh)} 户之内"
                  f"{'（名册有变化）' if why else ''}；"
                  f"解锁后重绘（gridtool edit --unlock {r.code}，或在桌面程序中点“解锁”），或保留为例外",
            f"  locked grid {r.code} now holds {count_en(int(r.hh), 'household')}, outside {int(r.min_hh)}-{int(r.max_hh)}"
            f"{' (the roster changed)' if why else ''}; unlock it and redraw (gridtool edit --unlock {r.code}, "
            "or 解锁 in the app), or keep it as an exception")


def _print_party_links(args, pl: dict) -> None:
    """党员联户 in one line of totals, then every member given no households with why and the fix
    (rows of the roster, never names: the console may be shared or logged)."""
    total, out = pl.get("members_total", pl["members"]), len(pl.get("members_not_linked") or [])
    say(args, f"  党员联户：党员名册 {total} 名 = 已联户 {pl['members']} + 未联户 {out}（原因见下）；"
              f"住户 {pl['households_total']:,} 户 = 已联系 {pl['households_linked']:,} + 未联系 "
              f"{pl['households_unlinked']:,}；联系户不足 {pl.get('min_links', 10)} 户的党员 {pl['members_under_min']} 名",
        f"  party-member links: roster {count_en(total, 'member')} = linked {pl['members']} + not linked {out} (why below); "
        f"households {pl['households_total']:,} = linked {pl['households_linked']:,} + not linked "
        f"{pl['households_unlinked']:,}; members under the minimum {pl['members_under_min']}")
    for m in pl.get("members_not_linked") or []:
        mid = str(m["member_id"])
        zh, en = (f"第 {mid[4:]} 行", f"row {mid[4:]}") if mid.startswith("row ") else (f"要素 {mid}", f"feature {mid}")
        say(args, f"  未安排联系户：党员名册{zh}，{m['why_zh']}。解决办法：{m['fix_zh']}",
            f"  no households: party roster {en}, {m['why_en']}. Fix: {m['fix_en']}")


def _print_subgrid_ledger(args, c: dict) -> None:
    cols = "、".join(c["columns"])
    say(args, f"  子网格已连接的列（{cols}）：住户与上一版相同的 {len(c['carried'])} 个子网格沿用；上一版 "
              f"{len(c['reassign'])} 个子网格的住户有变化，{len(c['codes_without'])} 个子网格需重新指定"
              "（见台账“重绘变化”表），再用 gridtool join 补上",
        f"  sub-grid joined columns ({', '.join(c['columns'])}): kept on the {count_en(len(c['carried']), 'sub-grid')} with "
        f"last year's households; {len(c['reassign'])} of last year's sub-grids changed, "
        f"{count_en(len(c['codes_without']), 'sub-grid')} {plural_en(len(c['codes_without']), 'needs', 'need')} a new assignment (the ledger's 重绘变化 sheet): join them again")


def _print_redraw(args, r: dict, totals: dict) -> None:
    for zh, en in redraw_lines(r, totals):  # the app's log shows the same lines
        say(args, zh, en)


def _merge_words(rem: dict, lo: int, hi: int) -> tuple[str, str]:
    """The neighbours an infeasible village could merge with, or why there is none."""
    merge = [m["village"] for m in rem.get("merge") or []][:3]
    if merge:
        return "、".join(merge), ", ".join(merge)
    nbs = rem.get("neighbours")
    if nbs is None:  # a report written before neighbours were named
        return "—", "—"
    if not nbs:
        return "没有相邻的村（社区）", "no village borders it"
    shown = nbs[:3]
    more_zh, more_en = ("等" if len(nbs) > 3 else ""), (" …" if len(nbs) > 3 else "")
    return (f"与相邻的{'、'.join(shown)}{more_zh}合并后也分不成 {lo}–{hi} 户的网格",
            f"merged with its neighbours {', '.join(shown)}{more_en} it still fits no number of {lo}-{hi} grids")


@contextmanager
def _resume_hint(args):
    """On Ctrl-C during a batch run: finished chunks are kept, and how to go on from them."""
    try:
        yield
    except KeyboardInterrupt:
        zh = "已算完的分块已保存；同一命令加 --resume 从中断处继续。"
        en = "the chunks already finished are kept; rerun the same command with --resume to go on."
        lang = getattr(args, "lang", "zh")
        print(zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}", file=sys.stderr)
        raise


def _partition_batch(args) -> int:
    """``partition --workers/--scheduler/--out-dir/--resume/--by``: chunk by chunk (see
    :mod:`gridtool.partition.batch`). Exit 4 when some villages failed (the rest is written), 5 when
    household features could not be read at all (in no district file: named with the fix)."""
    from ..ownership import check_replace, owner
    from ..partition.batch import BatchPartitioner, why_words
    from ..partition.chunking import district_files
    from ..partition.output import apply_to_project, write_report
    from ..partition.unassigned import FILE_NAME as UNASSIGNED_FILE
    if args.workers is not None and args.workers < 1:
        raise GridtoolError(f"--workers 至少为 1：{args.workers}", f"--workers must be at least 1: {args.workers}",
                            fix_zh="例如 --workers 4。", fix_en="e.g. --workers 4.")
    bp = BatchPartitioner(by=args.by or "township", workers=args.workers or 1, scheduler=args.scheduler,
                          **_partition_params(args))
    if args.out_dir:
        out_dir = Path(args.out_dir)
        # A project file is read township by township; layers by role are loaded first.
        data = args.project if args.project and not one_off_roles(args) else project_or_sources(args)
        data = bp.source(data)
        # Files this run will write, refused now if they are not gridtool's: not after hours of work.
        check_replace([out_dir / n for n in district_files(data.chunks()).values()], force=args.force, kind="project")
        check_replace([args.report or out_dir / "report.json", out_dir / UNASSIGNED_FILE], force=args.force)
        with command_progress(args) as show, _resume_hint(args):
            bp.fit(data, work_dir=out_dir / ".parts", resume=args.resume, keep=False, progress=show)
        with command_progress(args) as show:
            written = bp.write_districts(out_dir, force=args.force, progress=show,
                                         include_personal=args.include_personal)
        out_label = (f"{out_dir}（{len(written)} 个区县）", f"{out_dir} ({len(written)} districts)")
        # District files of an earlier run that this one did not write: left alone, but named, so
        # that nobody adds them to this run's figures.
        mine = {p.resolve() for p in written.values()}
        bp.report_["batch"]["other_files"] = sorted(
            p.name for p in out_dir.glob("*.gpkg") if p.resolve() not in mine and owner(p) == "project")
        bp.report_["batch"]["out_dir"] = str(out_dir)
        if not args.report:
            args.report = str(out_dir / "report.json")
    else:
        out = Path(args.out)
        check_replace([out], force=args.force, kind="project")
        check_replace([args.report] if args.report else [], force=args.force)
        project = project_or_sources(args)
        with command_progress(args) as show, _resume_hint(args):
            bp.fit(project, work_dir=out.with_suffix(".parts"), resume=args.resume, keep=True, progress=show)
        apply_to_project(project, bp)
        project.save(out, force=args.force)
        out_label = out
    rep = bp.report_
    if args.report:
        write_report(args.report, rep)
    _print_partition(args, rep, out_label)
    for d in rep["batch"].get("districts", []):
        t = d["totals"]
        how_zh = "区划代码前 6 位" if d["from"] == "code" else "村图层的区县列"
        how_en = "the codes' first 6 digits" if d["from"] == "code" else "the villages' county column"
        say(args, f"  区县 {d['district']}（按{how_zh}）→ {d['file']}：{d['villages']} 个村（社区），"
                  f"住户 {t['imported']:,} 户 = 基础网格 {t['base']:,} + 专属网格 {t['special']:,} + "
                  f"例外网格 {t['exception']:,} + 未划入网格 {t['unassigned']:,}",
            f"  district {d['district']} (by {how_en}) → {d['file']}: {count_en(d['villages'], 'village')}, "
            f"{count_en(t['imported'], 'household')} = base grids {t['base']:,} + special grids {t['special']:,} + "
            f"exception grids {t['exception']:,} + unassigned {t['unassigned']:,}")
        for e in d.get("unread") or []:
            say(args, f"    另有分块 {e['chunk']}（{'、'.join(e['villages'])}）的住户"
                      f"{'无法从住户图层读出' if e['all'] else '读取时遇到无法读出的住户点，它们可能在其中'}，"
                      "不在本区县文件和上面的合计中（见下方全市合计）",
                f"    the households of chunk {e['chunk']} ({', '.join(e['villages'])}) "
                f"{'could not be read' if e['all'] else 'met household features that could not be read (they may lie in it)'}"
                ": in neither this district's file nor the figures above (see the city's total below)")
        for e in d.get("unread_context") or []:
            say(args, *context_words.district_lines(e))
    _print_county_splits(args, rep["batch"])
    others = rep["batch"].get("other_files") or []
    if others:
        shown = "、".join(others[:10]) + ("…" if len(others) > 10 else "")
        say(args, f"  注意：输出文件夹中还有 {len(others)} 个不是本次写入的项目文件（较早的运行留下，未更新，"
                  f"不计入上面的合计）：{shown}；确认无用后可删除",
            f"  note: the output folder holds {count_en(len(others), 'project file')} this run did not write (left by an "
            f"earlier run, not updated, not in the totals above): {shown.replace('、', ', ')}; delete them if unused")
    outside = (rep.get("totals") or {}).get("outside_villages")
    if outside:
        n = rep["totals"]["outside_village_features"]
        say(args, f"  其中 {outside:,} 户（{n:,} 个住户点）不在任何村（社区）界内，不在任何区县文件中（计入未划入网格）；"
                  "检查村界是否覆盖全市",
            f"  of which {count_en(outside, 'household')} ({count_en(n, 'feature')}) {plural_en(outside, 'lies', 'lie')} in no village and so in no district's file "
            "(counted as unassigned); check that the villages cover the city")
    unread = _print_unread(args, rep)
    skipped = _print_unread_context(args, rep)
    _print_unassigned_file(args, rep, out_label)
    n_vil = sum(len(c.rows) for c in bp.chunks_)
    if (args.by or "township") == "township" and n_vil > 1 and len(bp.chunks_) == n_vil:
        say(args, "  警告：村图层没有乡镇列，区划代码也推不出乡镇，每个村单独成块；"
                  "如有乡镇列，用 --field villages.township=列名 指定",
            "  WARNING: the villages layer has no township column and the codes give none: one chunk per "
            "village; name the township column with --field villages.township=COLUMN")
    t = rep["timings"]
    say(args, f"  用时 {t['total_s']} 秒，{t['workers']} 个工作进程（{t['mode']}），"
              f"{rep['batch']['chunks']} 个分块，续算跳过 {t['resumed_chunks']} 个",
        f"  {t['total_s']} s on {count_en(t['workers'], 'worker')} ({t['mode']}), {count_en(rep['batch']['chunks'], 'chunk')}, "
        f"{t['resumed_chunks']} skipped by --resume")
    by_why: dict[tuple, list[str]] = {}
    for r in rep["batch"].get("recomputed", []):
        by_why.setdefault(tuple(r["why"]), []).append(r["chunk"])
    for why, keys in by_why.items():
        zh, en = why_words(list(why))
        shown = "、".join(keys[:5]) + ("…" if len(keys) > 5 else "")
        say(args, f"  续算重新计算 {len(keys)} 个分块（{zh}）：{shown}",
            f"  --resume computed {count_en(len(keys), 'chunk')} again ({en}): {shown.replace('、', ', ')}")
    for f in bp.failures_:
        # The whole message: what is wrong, where, and the fix (a second line).
        zh = (f.get("error_zh") or f["error"] or f["type"]).replace("\n", "\n    ")
        en = (f["error"] or f["type"]).replace("\n", "\n    ")
        say(args, f"  划分失败：{'、'.join(f['villages'])}（分块 {f['chunk']}）：{zh}",
            f"  failed: {', '.join(f['villages'])} (chunk {f['chunk']}): {en}")
    if bp.failures_:
        say(args, "  其余村（社区）已写入；修正后加 --resume 重新运行，只计算失败和改动的部分。",
            "  the other villages are written; fix the data and rerun with --resume to compute only "
            "what failed or changed.")
    if unread:
        return 5  # households missing from every file: worse than villages that failed, said apart
    if bp.failures_:
        return 4
    # Every household is in the plan, but grids near the skipped roads (rivers …) may cross them;
    # a damaged party member (named on its roster line above) has no households: a script that
    # checks the exit code must not take either for a clean run.
    members_lost = any(m.get("reason") == "unreadable"
                       for m in ((rep.get("plan") or {}).get("party_links") or {}).get("members_not_linked") or [])
    return context_words.EXIT_CODE if skipped or members_lost else 0


def _print_unread_context(args, rep: dict) -> bool:
    """Road, river … features that could not be read: file, layer, fids, why, the chunks partitioned
    without them, what that may cost and the fix. True when there are any."""
    from ..partition.unread import NO_GEOMETRY, NO_GEOMETRY_ZH
    entries = rep["batch"].get("unread_context") or []
    for u in entries:
        role, n = u["layer"], u["features"]
        fids = "、".join(map(str, u["fids"][:10])) + ("…" if n > 10 else "")
        why = u.get("error") or ""
        why_zh = NO_GEOMETRY_ZH if why == NO_GEOMETRY else why
        say(args, f"  警告：{u['file']} 的 {role} 图层有 {n:,} 个要素无法读出（fid {fids}），已跳过"
                  + (f"；原因：{why_zh}" if why else ""),
            f"  WARNING: {count_en(n, 'feature')} of layer {role} of {u['file']} could not be read (fid "
            f"{fids.replace('、', ', ')}) and were skipped" + (f"; reason: {why}" if why else ""))
        for c in u["chunks"]:
            say(args, f"    分块 {c['chunk']}（区县 {c['district']}：{'、'.join(c['villages'])}）按缺少这些"
                      f"{context_words.role_zh(role)}划分：{u['consequence_zh']}",
                f"    chunk {c['chunk']} (district {c['district']}: {', '.join(c['villages'])}) was partitioned "
                f"without them: {u['consequence_en']}")
        say(args, f"    修复：{u['fix_zh']}", f"    fix: {u['fix_en']}")
    return bool(entries)


def _print_unread(args, rep: dict) -> bool:
    """Household features that could not be read: how many, from which file and layer, why, the
    chunks that lost them and the fix. True when there are any."""
    u = rep["batch"].get("unread_households")
    if not u:
        return False
    where = f"{u.get('file') or '?'}（{u.get('layer') or 'households'} 图层）"
    where_en = f"{u.get('file') or '?'} (layer {u.get('layer') or 'households'})"
    hh, n = u.get("households"), u.get("features")
    if hh is not None:
        zh, en = f"{hh:,} 户（{n:,} 个住户点）无法从 {where}读出", f"{count_en(hh, 'household')} ({count_en(n, 'feature')}) could not be read from {where_en}"
    elif n:
        zh, en = (f"{n:,} 个住户点无法从 {where}读出（户数也读不出）",
                  f"{count_en(n, 'household feature')} could not be read from {where_en} (nor their household counts)")
    else:
        zh, en = f"部分住户无法从 {where}读出，户数未知", f"some households could not be read from {where_en}; how many is unknown"
    from ..partition.unread import NO_GEOMETRY, NO_GEOMETRY_ZH
    why = u.get("error") or u.get("city_total_error") or ""
    why_zh = NO_GEOMETRY_ZH if why == NO_GEOMETRY else why
    say(args, f"  错误：{zh}，不在任何区县文件和未划入网格名单中{'（计入全市未划入网格）' if hh is not None else '，全市合计不含它们'}"
              + (f"；原因：{why_zh}" if why else ""),
        f"  ERROR: {en}; they are in no district's file and not in the list of households in no grid"
        + (" (counted as unassigned in the city's total)" if hh is not None else "; the city's total leaves them out")
        + (f"; reason: {why}" if why else ""))
    fids = u.get("fids") or []
    if fids:
        shown = "、".join(map(str, fids[:10])) + ("…" if len(fids) > 10 or (n or 0) > 10 else "")
        say(args, f"    无法读出的要素 fid：{shown}", f"    features that cannot be read, fid: {shown.replace('、', ', ')}")
    for e in u.get("chunks") or []:
        say(args, f"    读取时出错的分块（这些住户点可能在其中）：{e['chunk']}（区县 {e['district']}：{'、'.join(e['villages'])}）",
            f"    chunk whose read failed (they may lie in it): {e['chunk']} (district {e['district']}: "
            f"{', '.join(e['villages'])})")
    if u.get("city_total_error"):
        say(args, f"    全市住户数也无法读出（{u['city_total_error']}）：合计只含读出的住户",
            f"    the city's household count could not be read either ({u['city_total_error']}): the totals "
            "hold only the households read")
    say(args, f"    修复：{u['fix_zh']}", f"    fix: {u['fix_en']}")
    return True


def _print_unassigned_file(args, rep: dict, out_label) -> None:
    """Where the households in no grid are listed, by why, with the same figures as the totals."""
    from ..partition.unassigned import REASONS
    u = rep["batch"].get("unassigned") or {}
    if not u.get("file"):
        return
    path = Path(str(rep["batch"].get("out_dir") or "")) / u["file"]
    by = u["by_reason"]
    zh = "，".join(f"{REASONS[r][0]} {hh:,} 户" for r, (hh, _) in by.items())
    en = ", ".join(f"{REASONS[r][1]}: {hh:,}" for r, (hh, _) in by.items())
    say(args, f"  未划入网格的 {u['households']:,} 户（{u['features']:,} 个住户点）列在 {path}（{zh}）："
              "每户有名册序号、经纬度、原因，以及所在或最近的村（社区）和距离",
        f"  the {count_en(u['households'], 'household')} in no grid ({count_en(u['features'], 'feature')}) "
        f"{plural_en(u['households'], 'is')} listed in {path} "
        f"({en}): each with its roster feature number, longitude and latitude, why, and its village or the "
        "nearest one with the distance")
    # Households that could not be read are in the unassigned total but in no list: said apart.
    left = (rep.get("totals") or {}).get("unassigned", 0) - u["households"] - (rep.get("totals") or {}).get("unread", 0)
    if left > 0:
        say(args, f"  另有 {left:,} 户属于跨网格拆分的楼栋中未分配的部分，不在该文件中（见各区县文件的住户图层）",
            f"  another {count_en(left, 'household')} {plural_en(left, 'is')} the unallotted part of buildings split between grids, not in "
            "that file (see the households layer of the district files)")


def _print_county_splits(args, batch: dict) -> None:
    """Townships cut by county, and chunks a merge keeps across counties: named, as guessed."""
    for e in batch.get("townships_split") or []:
        zh = "、".join(f"{d} {n} 个" for d, n in e["counties"].items())
        en = ", ".join(f"{d}: {n}" for d, n in e["counties"].items())
        say(args, f"  注意：乡镇 {e['township']} 的村（社区）分属 {len(e['counties'])} 个区县（{zh}），已按区县分开划分，"
                  "各村写入所属区县的文件；如区县列有误或部分为空，改正村图层的区县列（或用 --field "
                  "villages.county=列名 指定）后加 --resume 重新运行",
            f"  note: the villages of township {e['township']} carry {len(e['counties'])} counties ({en}); they "
            "were partitioned by county, each village in its county's file; if the county column is wrong or "
            "partly empty, correct it (or name it with --field villages.county=COLUMN) and rerun with --resume")
    for e in batch.get("mixed_districts") or []:
        zh = "、".join(f"{d} {n} 个" for d, n in e["counties"].items())
        en = ", ".join(f"{d}: {n}" for d, n in e["counties"].items())
        say(args, f"  警告：分块 {e['chunk']} 因合并（--merge 或 --infeasible merge）含多个区县的村（社区）（{zh}），"
                  f"全部写入 {e['district']} 的文件；如不应跨区县合并，去掉该合并后重新运行",
            f"  WARNING: chunk {e['chunk']} holds villages of several counties ({en}) because of a merge "
            f"(--merge or --infeasible merge); all are written to {e['district']}'s file; drop that merge "
            "and rerun if it should not cross counties")


def register(subparsers) -> None:
    """Add ``partition`` to the ``gridtool`` argument parser."""
    pp = subparsers.add_parser("partition", help="划分基础网格和子网格 / base grids and sub-grids")
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
                    help="把一个村并入邻村一起划分（配合 --redraw：只改这个村，其他村已选的处理不变）/ partition "
                         "VILLAGE together with NEIGHBOUR (names; with the batch options also 12-digit codes; with "
                         "--redraw only this village's remedy changes)")
    pp.add_argument("--relax", action="append", default=[], metavar="VILLAGE=MIN-MAX",
                    help="放宽某村的户数范围（配合 --redraw：只改这个村）/ other bounds for one village (with "
                         "--redraw only this village's remedy changes)")
    pp.add_argument("--keep-exception", action="append", default=[], metavar="VILLAGE",
                    help="把无法划分的村保留为一个例外网格（取消之前给它的 --merge、--relax；同桌面程序“保留为例外”，"
                         "配合 --redraw 只改这个村）/ keep VILLAGE as one exceptional grid, dropping an earlier "
                         "--merge or --relax of it (the app's Keep as exception; with --redraw only this village "
                         "changes)")
    pp.add_argument("--special", default=None, metavar="CATEGORIES",
                    help="划为专属网格的场所类别 / place categories carved out as special grids "
                         "(default school,hospital,market,enterprise; empty for none)")
    pp.add_argument("--special-radius", type=float, default=30.0, metavar="M",
                    help="只有点位的场所的专属网格半径（米，不含周围住户）/ radius of the special grid of a place "
                         "given as a point, in metres (homes around it excluded)")
    pp.add_argument("--corridor-width", type=float, default=50.0,
                    help="专项网格（沿河、铁路、林地）宽度，米 / corridor width in metres (0: none)")
    pp.add_argument("--no-subgrids", action="store_true", help="不划分子网格 / base grids only")
    pp.add_argument("--ignore-terrain", action="store_true",
                    help="不把高程模型中的山脊作为网格边界（默认：项目有高程时，网格边界沿山脊）/ do not draw grid "
                         "borders along the ridges of the project's elevation model (default: with a DEM they do)")
    pp.add_argument("--processes", type=int, default=None, metavar="N",
                    help="划子网格的并行进程数（默认：10 万户及以上用本机全部核心，最多 4 个；1 为只用本进程；"
                         "结果相同）/ worker processes drawing the sub-grids (default: the cores, up to 4, for "
                         "100,000 households or more; 1: this process only; the plan is the same)")
    pp.add_argument("--previous", metavar="PATH[:LAYER]",
                    help="从上一版网格以最少改动重绘：本工具的项目或导出，或任意带编码字段的面图层（任意坐标系；"
                         "编码字段可用 --field previous.code=网格编码 指定）/ redraw with minimal change from an "
                         "earlier plan: a gridtool project or export, or any polygon layer with a code column "
                         "(any CRS; name the column with --field previous.code=COLUMN)")
    pp.add_argument("--lock", metavar="CODE,CODE…",
                    help="锁定的网格：户、楼栋和形状保持不变 / grids kept exactly (households, buildings, shape)")
    pp.add_argument("--redraw", action="store_true",
                    help="重绘未锁定网格（同桌面程序）：已锁定的网格不变，其余网格以最少改动修补；参数沿用上次划分，命令行给出的选项优先 / "
                         "redraw the unlocked grids (as the app): locked grids kept, the others repaired with "
                         "minimal change; the last partition's parameters unless given here")
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
    pp.add_argument("--include-personal", action="store_true",
                    help="未划入网格住户文件（--out-dir）中不遮盖姓名、电话、身份证号 / do not mask names, phone "
                         "and ID numbers in the list of households in no grid (--out-dir)")
    pp.add_argument("--force", action="store_true",
                    help="允许覆盖不是 gridtool 项目的已有文件 / replace an existing non-project file")
    pp.add_argument("--quiet", action="store_true", help="不显示进度 / no progress messages")
    for a in pp._actions:  # --redraw: the options given go over the last partition's parameters
        if a.dest in _REDRAW_OPTIONS:
            a.__class__ = _noting_given(type(a))
    pp.set_defaults(func=cmd_partition)
