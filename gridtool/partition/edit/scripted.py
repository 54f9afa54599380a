"""Hand edits given as a list (the command line's ``gridtool edit``), applied with the same rules and
the same undoable commands as the desktop app's brush, merge, split and lock.

:func:`apply_edits` runs the edits in order on a :class:`~.state.EditState` of the project; the
first refused edit (a locked grid, a grid of another village, an unknown code) stops everything
and nothing is written, so a script never leaves a half-edited plan. After the edits the sub-grids
of every changed grid are drawn again (:mod:`.redrawn_subgrids`) and the project's ``households``,
``grids`` and ``subgrids`` layers are replaced.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace

from ...errors import GridtoolError
from ...plurals import count_en
from ...problems import Problem
from .plan import PlanEditError
from .redrawn_subgrids import edited_layers
from .state import EditState

#: The edits :func:`apply_edits` knows, and the command-line option of each.
OPTIONS = {"lock": "--lock", "unlock": "--unlock", "merge": "--merge", "split": "--split", "move": "--move",
           "move_subgrid": "--move-subgrid", "move_area": "--move-area"}
EDIT_KINDS = tuple(OPTIONS)


@dataclass
class EditOutcome:
    """What :func:`apply_edits` did.

    Attributes
    ----------
    messages : list of (str, str)
        One line per edit, Chinese and English.
    changed : list of str
        The grids whose households changed (their sub-grids were drawn again), sorted.
    problems : list of Problem
        :meth:`GridPlan.validate` after the edits (grids out of bounds, in pieces).
    """

    messages: list[tuple[str, str]] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _split_list(text: str) -> list[str]:
    return [t.strip() for t in str(text).replace("，", ",").split(",") if t.strip()]


def _pair(kind: str, text: str) -> tuple[str, str]:
    # an area's file name may hold "=", a grid code never does: split at the last one
    cut = str.rpartition if kind == "move_area" else str.partition
    left, sep, right = cut(str(text).replace("＝", "="), "=")
    if not sep or not left.strip() or not right.strip():
        example = {"merge": "--merge 500101001001-01=500101001001-02",
                   "move": "--move 户001,户002=500101001001-02",
                   "move_subgrid": "--move-subgrid 500101001001-01-03=500101001001-02",
                   "move_area": "--move-area 范围.kml=500101001001-02"}[kind]
        raise PlanEditError(f"{OPTIONS[kind]} 的写法不对：{text}", f"{OPTIONS[kind]}: cannot read {text!r}",
                            fix_zh=f"写成 {example}", fix_en=f"write it as {example}")
    return left.strip(), right.strip()


def _unknown(what_zh: str, what_en: str, value: str, choices) -> PlanEditError:
    close = difflib.get_close_matches(value, [str(c) for c in choices], n=3, cutoff=0.6)
    hint_zh = f"是不是 {'、'.join(close)}？" if close else ""
    hint_en = f"did you mean {', '.join(close)}? " if close else ""
    return PlanEditError(f"项目中没有{what_zh} {value}", f"no {what_en} {value} in the project",
                         fix_zh=f"{hint_zh}用 gridtool info 查看项目中的编码。",
                         fix_en=f"{hint_en}list the codes with gridtool info.")


def _features_by_id(state: EditState, ids: list[str], column: str | None) -> list[int]:
    hs = state.plan.households
    col = column or "src_id"
    if col not in hs:
        raise PlanEditError(f"住户图层没有列 {col}", f"the households layer has no column {col}",
                            fix_zh=f"用 --id-column 指定编号列（可选：{'、'.join(map(str, hs.columns[:12]))}）。",
                            fix_en="name the id column with --id-column.", layer="households", field=col)
    values = [str(v).strip() for v in hs[col].tolist()]
    where: dict[str, list[int]] = {}
    for f, v in enumerate(values):
        where.setdefault(v, []).append(f)
    out = []
    for i in ids:
        if i not in where:
            raise _unknown(f"编号为 {col}={i} 的住户", f"household with {col}", i, where)
        out.extend(where[i])
    return out


def _features_of_subgrid(state: EditState, code: str) -> list[int]:
    """The buildings a sub-grid holds (is counted in: :mod:`gridtool.partition.buildings`)."""
    hs = state.plan.households
    subs = [v if isinstance(v, str) else "" for v in hs["subgrid"].tolist()] if "subgrid" in hs else []
    feats = [f for f, s in enumerate(subs) if s == code]
    if feats:
        return feats
    parts = hs["subgrid_parts"].tolist() if "subgrid_parts" in hs else []
    if any(isinstance(t, str) and f"{code}:" in t for t in parts):
        raise PlanEditError(f"子网格 {code} 只含几栋跨子网格楼栋的一部分，不能整体移动",
                            f"sub-grid {code} holds only parts of buildings divided between sub-grids",
                            fix_zh="按楼栋移动：--move 楼栋编号=网格编码（整栋楼移动）。",
                            fix_en="move the buildings instead: --move ID=CODE (whole buildings).",
                            layer="subgrids", feature=code)
    raise _unknown("子网格", "sub-grid", code, sorted(set(subs) - {""}))


def _features_in_area(state: EditState, spec: str, crs, *, crs_in=None, crs_default=None, context=None,
                      notes: list | None = None) -> list[int]:
    """The household features inside the polygons of ``spec`` (``PATH[:LAYER]``: an area drawn in a
    GIS or a map app, in its own CRS), as the app's box and brush take the households under them.

    ``crs_in`` / ``crs_default``: ``--crs-in area=…`` / ``--crs-in …`` (an area drawn on AMap is
    GCJ-02; a shapefile without .prj); ``context`` the project's (CRS, bounds), so that metres
    without a CRS are read in its zone. The reader's warnings go to ``notes`` as (zh, en)."""
    import shapely

    from ...crs import parse_crs
    from ...errors import EmptyLayerError, GeometryTypeError
    from ...io.layer_crs import settle_crs
    from ...io.vector import read_vector, split_path_layer
    path, layer = split_path_layer(spec)
    raw = read_vector(path, layer=layer)
    gdf = raw.gdf[~(raw.gdf.geometry.isna() | raw.gdf.geometry.is_empty)]
    if not len(gdf):
        raise EmptyLayerError("--move-area 的范围文件中没有画出的范围（0 个要素）",
                              "the area file of --move-area holds no drawn area (0 features)",
                              fix_zh="在 GIS 或地图软件中画出范围（面）后保存，再运行；或用 路径:图层名 选另一个图层。",
                              fix_en="draw the area (a polygon) in a GIS or map app and save it, then run again; "
                                     "or pick another layer with PATH:LAYER.", file=raw.path, layer=raw.layer)
    kinds = shapely.get_type_id(gdf.geometry.values)
    if not ((kinds == 3) | (kinds == 6)).all():
        raise GeometryTypeError("--move-area 的范围应为面（多边形）", "the area of --move-area must be polygons",
                                fix_zh="在 GIS 或地图软件中把范围画成面，另存为 KML、GeoPackage 或 Shapefile。",
                                fix_en="draw the area as a polygon in a GIS or map app and save it as KML, "
                                       "GeoPackage or a shapefile.", file=raw.path, layer=raw.layer)
    spec_crs, from_default = parse_crs(crs_in), False
    if spec_crs is None and gdf.crs is None:
        spec_crs = parse_crs(crs_default)
        from_default = spec_crs is not None
    problems: list = []
    gdf, _label = settle_crs(gdf, spec_crs, raw, "area", problems, from_default=from_default, context=context)
    if notes is not None:
        notes.extend((p.format("zh"), p.format("en")) for p in problems)
    if crs is not None and gdf.crs is not None and not gdf.crs.equals(crs):
        gdf = gdf.to_crs(crs)
    # A ring drawn crossing itself (a bow-tie, a spike, a lasso) is invalid and its union fails
    # (GEOS TopologyException); repaired, it is the area drawn, without the lines a spike leaves.
    parts = shapely.get_parts(shapely.make_valid(gdf.geometry.values))
    kinds = shapely.get_type_id(parts)
    area = shapely.union_all(parts[(kinds == 3) | (kinds == 6)])
    xy = state.xy
    inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1]) if len(xy) else []
    feats = [int(f) for f in (inside.nonzero()[0] if len(xy) else [])]
    if not feats:
        raise PlanEditError(f"范围 {raw.path} 内没有住户", f"no household lies inside the area {raw.path}",
                            fix_zh="检查范围是否画在这些住户上、坐标系是否正确（文件须带坐标系，如 KML 或带 .prj 的 Shapefile；"
                                   "在高德、腾讯地图上画的加 --crs-in area=gcj02，百度地图 --crs-in area=bd09）。",
                            fix_en="check that the area covers the households and that its file carries its "
                                   "coordinate system (KML, or a shapefile with its .prj; drawn on AMap or Tencent "
                                   "maps: add --crs-in area=gcj02, on Baidu maps --crs-in area=bd09).", file=raw.path,
                            layer=raw.layer)
    return feats


def _check_code(state: EditState, code: str) -> None:
    if code not in set(state.plan.codes):
        raise _unknown("网格", "grid", code, state.plan.codes)


def apply_edits(project, edits: list[tuple[str, str]], *, id_column: str | None = None,
                area_crs_in=None, area_crs_default=None, allow_apart: bool = False) -> EditOutcome:
    """Apply ``edits`` (``(kind, text)`` in order; kinds in :data:`EDIT_KINDS`) to a partitioned
    ``project`` and put the edited layers into it (not saved).

    ``lock``/``unlock``: ``"CODE,CODE"``; ``merge``: ``"KEEP=OTHER"``; ``split``: ``"CODE"``;
    ``move``: ``"ID,ID=CODE"`` (buildings by ``id_column``, default ``src_id``);
    ``move_subgrid``: ``"SUBCODE=CODE"`` (the buildings of a sub-grid into another grid);
    ``move_area``: ``"PATH[:LAYER]=CODE"`` (the buildings inside the polygons of a file, as the
    app's box and brush: those in locked, special or other villages' grids stay and are counted),
    read in ``area_crs_in`` over its file's CRS, or ``area_crs_default`` where it has none.
    ``allow_apart``: merge grids that do not touch (else refused, :class:`~.plan.ApartGridsError`).

    Raises
    ------
    GridtoolError
        The first edit the plan refuses (locked grid, other village, unknown code, a merge of grids
        apart); the project is left unchanged.
    """
    state = EditState.from_project(project)
    if state is None:
        raise PlanEditError("项目中还没有网格", "the project has no grids yet",
                            fix_zh="先运行 gridtool partition。", fix_en="run gridtool partition first.")
    plan = state.plan
    out = EditOutcome()
    plan.listeners.append(state.update)  # as the app's session: membership and shapes follow each edit

    def run(command) -> None:
        command.do()

    for kind, text in edits:
        if kind in ("lock", "unlock"):
            for code in _split_list(text):
                _check_code(state, code)
                run(plan.set_locked(code, kind == "lock"))
                out.messages.append((f"{'锁定' if kind == 'lock' else '解锁'}网格 {code}",
                                     f"grid {code} {'locked' if kind == 'lock' else 'unlocked'}"))
        elif kind == "merge":
            keep, other = _pair(kind, text)
            _check_code(state, keep)
            _check_code(state, other)
            gap = plan.merge_gap(keep, other, state.shapes.geometry) if allow_apart else None
            run(plan.merge(keep, other, allow_apart=allow_apart, land=state.shapes.geometry))
            zh = f"合并：网格 {other} 并入 {keep}，现有 {plan.totals[keep]:,} 户"
            en = f"merged grid {other} into {keep}: {count_en(plan.totals[keep], 'household')}"
            if gap is not None:  # done as asked (--allow-apart): say so where it was done
                zh += f"（两网格不相连，相距 {gap:,.0f} 米，按 --allow-apart 合并）"
                en += f" (the two did not touch, {gap:,.0f} m apart; merged as --allow-apart asks)"
            out.messages.append((zh, en))
        elif kind == "split":
            for code in _split_list(text):
                _check_code(state, code)
                before = set(plan.codes)
                run(plan.split(code))
                new = next(c for c in plan.codes if c not in before)
                out.messages.append((f"拆分：网格 {code} 拆为 {code}（{plan.totals[code]:,} 户）和 {new}（{plan.totals[new]:,} 户）",
                                     f"split grid {code} into {code} ({count_en(plan.totals[code], 'household')}) and {new} "
                                     f"({plan.totals[new]:,})"))
        elif kind in ("move", "move_subgrid"):
            what, to = _pair(kind, text)
            _check_code(state, to)
            if kind == "move_subgrid":
                # Sub-grids are read as the project holds them: a grid changed earlier in this run
                # has no sub-grids yet (they are drawn at the end).
                earlier = {c for c in state.shapes.touched() if what.startswith(c + "-")}
                if earlier:
                    raise PlanEditError(
                        f"子网格 {what} 所在的网格 {'、'.join(sorted(earlier))} 已在本次修改中改变，其子网格尚未重新划分",
                        f"sub-grid {what}: its grid {', '.join(sorted(earlier))} was changed earlier in this run and "
                        "its sub-grids are not drawn yet", fix_zh="先保存这些修改，再另行运行 gridtool edit --move-subgrid。",
                        fix_en="save these edits first, then run gridtool edit --move-subgrid on its own.")
            feats = _features_by_id(state, _split_list(what), id_column) if kind == "move" \
                else _features_of_subgrid(state, what)
            n_hh = int(plan._hh[feats].sum())
            run(plan.move(feats, to))
            label = f"子网格 {what} 的 " if kind == "move_subgrid" else ""
            out.messages.append((f"移动：{label}{len(feats):,} 栋（{n_hh:,} 户）移入网格 {to}，现有 {plan.totals[to]:,} 户",
                                 f"moved {count_en(len(feats), 'building')} ({count_en(n_hh, 'household')}) into grid {to}: "
                                 f"{count_en(plan.totals[to], 'household')}"))
        elif kind == "move_area":
            # The app's box and brush: the households of the area move, those the rules keep where
            # they are (a locked or special grid, another village) stay and are counted.
            what, to = _pair(kind, text)
            _check_code(state, to)
            plan.check_target(to)
            ti = state.membership.index.get(to, -2)
            notes: list[tuple[str, str]] = []
            context = project._context() if hasattr(project, "_context") else None
            feats = [f for f in _features_in_area(state, what, getattr(project, "crs", None), crs_in=area_crs_in,
                                                  crs_default=area_crs_default, context=context, notes=notes)
                     if state.membership.of_feature[f] != ti]
            out.messages.extend(notes)
            ok = plan.movable(feats, to)
            n_hh = int(plan._hh[ok.features].sum()) if ok.features else 0
            if ok.features:
                run(plan.move(ok.features, to))
            zh = f"移动：范围 {what} 内 {len(ok.features):,} 栋（{n_hh:,} 户）移入网格 {to}，现有 {plan.totals[to]:,} 户"
            en = (f"moved {count_en(len(ok.features), 'building')} ({count_en(n_hh, 'household')}) inside {what} into "
                  f"grid {to}: {count_en(plan.totals[to], 'household')}")
            if ok.locked:
                zh += f"；{len(ok.locked):,} 栋属于锁定网格或专属网格，未移动"
                en += f"; {len(ok.locked):,} in locked or special grids left in place"
            if ok.other_village:
                zh += f"；{len(ok.other_village):,} 栋属于其他村（社区），未移动"
                en += f"; {len(ok.other_village):,} of other villages left in place"
            out.messages.append((zh, en))
        else:
            raise GridtoolError(f"未知的修改：{kind}", f"unknown edit: {kind}",
                                fix_zh=f"可用：{'、'.join(OPTIONS.values())}", fix_en=f"known: {', '.join(OPTIONS.values())}")
    params = project.parameters.get("partition", {}).get("parameters", {})
    layers = edited_layers(state, project.layers, params)
    for role, gdf in layers.items():
        old = project.layers.get(role)
        if old is not None:
            project.layers[role] = replace(old, gdf=gdf)
    # Grids merged away are gone: their sub-grids were not drawn again, the merge message names them
    out.changed = sorted(set(state.shapes.touched()) & set(plan.codes))
    out.problems = plan.validate(state.shapes.geometry)  # the outlines as edited, already drawn
    return out


__all__ = ["EDIT_KINDS", "OPTIONS", "EditOutcome", "apply_edits"]
