"""What a project's own layers were made from, and what replacing an input layer leaves out of date.

A project keeps the plan (grids, sub-grids, special grids, locks, hand edits) and the analyses
(patrol routes, hot spots, service circles, street walks) beside the input layers they were drawn
from. When :meth:`gridtool.project.Project.add_sources` replaces an input (this month's incidents,
a new households roster, corrected roads), nothing derived is thrown away — it may hold weeks of
hand edits — but the planner is told, layer by layer, what now describes the old data and which
command brings it up to date. The words are the same for the command line and the app.
"""

from __future__ import annotations

import numpy as np

from .plurals import count_en
from .problems import Problem
from .roles import ROLES

#: The plan's layers, drawn by ``partition`` (hand-edited and locked in the app or ``gridtool edit``).
PLAN = ("grids", "subgrids", "special_grids", "corridors", "party_links", "ridges")

#: A derived layer: (its Chinese name, the input roles it was made from, the command that remakes it).
DERIVED: dict[str, tuple[str, tuple[str, ...], str]] = {
    **{r: ("", ("households", "villages", "roads", "rivers", "railways", "forest", "landuse", "party_members"),
           "partition {p} --redraw --out {p}") for r in PLAN},
    "routes": ("巡逻路线", ("roads", "places", "stations", "incidents"), "patrol {p} --out 文件夹"),
    "route_stops": ("巡逻点位", ("roads", "places", "stations", "incidents"), "patrol {p} --out 文件夹"),
    "hotspots": ("警情热点", ("incidents", "roads"), "patrol {p} --out 文件夹"),
    "circles": ("服务圈", ("roads", "stations", "households"), "coverage {p} --out 文件夹"),
    "walk": ("街巷巡查路线", ("roads", "grids"), "walk {p} --out 文件夹"),
}
DERIVED["party_links"] = ("", ("party_members", "households"), DERIVED["party_links"][2])

#: Inputs whose replacement makes the plan's household counts wrong, not only its borders.
COUNTS = ("households", "villages")


def _zh(role: str) -> str:
    from .maps.style import LAYER_ZH
    return DERIVED.get(role, ("",))[0] or LAYER_ZH.get(role) or (ROLES[role].zh if role in ROLES else role)


def _names(project, roles) -> tuple[str, str]:
    """``基础网格 82 个、子网格 1,074 个`` and ``82 grids, 1,074 subgrids``: the layers with their counts."""
    return ("、".join(f"{_zh(d)} {len(project.layers[d].gdf):,} 个" for d in roles),
            ", ".join(f"{len(project.layers[d].gdf):,} {d}" for d in roles))


#: ``parameters[STALE]``: per input replaced (``dem`` for the elevation model), the derived layers
#: made from the old one and not made again since, so that ``validate`` repeats the warning.
STALE = "out_of_date"


#: The elevation model replaced, or given to a project that had none (``dem_added``): the plan's
#: borders follow ridges drawn from it.
DEM_ROLES = ("dem", "dem_added")


def _hit(project, role: str) -> list[str]:
    return [d for d, (_zh_name, inputs, _cmd) in DERIVED.items()
            if d in project.layers and (role in inputs or (role in DEM_ROLES and d in PLAN))]


def out_of_date(project, replaced: dict, *, dem_replaced: bool = False, dem_added: bool = False, path=None,
                only: dict | None = None) -> list[Problem]:
    """Warnings for the derived layers of ``project`` that were made from a layer in ``replaced``
    (``{role: the old Layer}``): one per input replaced, naming the derived layers and their
    counts, what is wrong with them now and the command that redoes them (on ``path``, default the
    project's own file). ``dem_added``: an elevation model given to a project that had none.
    ``only``: per input, the derived layers still to name (those stored, :func:`stored_out_of_date`)."""
    path = str(path or project.path or "项目.gpkg")
    out: list[Problem] = []
    roles = list(replaced) + (["dem"] if dem_replaced else []) + (["dem_added"] if dem_added else [])
    for role in roles:
        hit = [d for d in _hit(project, role) if only is None or d in only.get(role, ())]
        if not hit:
            continue
        what_zh = ROLES[role].zh if role in ROLES else "高程模型"
        what_en = role if role in ROLES else "elevation model"
        plan_hit = [d for d in hit if d in PLAN]
        rest = [d for d in hit if d not in PLAN]
        parts_zh, parts_en = [], []
        if plan_hit:
            names_zh, names_en = _names(project, plan_hit)
            if role == "dem_added":
                parts_zh.append(f"{names_zh}是在项目没有高程模型时划分的，未按山脊划分（仍保留在项目中）")
                parts_en.append(f"the {names_en} were drawn before the project had an elevation model, not along "
                                "the ridges (kept in the project)")
            elif role == "villages":
                parts_zh.append(f"{names_zh}是按原村界划分的，可能跨越新村界，各村户数已过时（仍保留在项目中）")
                parts_en.append(f"the {names_en} were drawn within the old village borders: they may cross the new "
                                "ones and the villages' counts are out of date (kept in the project)")
            elif role in COUNTS:
                # carried by position (partition.previous.carry_plan): those are in their old grid already
                lyr = project.layers.get(role)
                carried = getattr(lyr, "plan_carried", None) if lyr is not None else None
                n_new = len(lyr.gdf) if lyr is not None else 0
                if carried:
                    left = n_new - carried
                    in_zh = (f"新{what_zh}中 {carried:,} 个要素已按位置沿用原网格，"
                             + (f"其余 {left:,} 个尚未分入网格" if left else "重绘时不会移动"))
                    in_en = (f"{count_en(carried, 'feature')} of the new {what_en} kept their old grid by position"
                             + (f", the other {left:,} are in no grid yet" if left else " and the redraw keeps them"))
                else:
                    in_zh, in_en = f"新{what_zh}尚未分入网格", f"the new {what_en} are in no grid yet"
                parts_zh.append(f"{names_zh}是按原{what_zh}划分的，网格户数已过时，{in_zh}"
                                "（网格、锁定和手工修改都仍在项目中，没有删除）")
                parts_en.append(f"the {names_en} were drawn from the old {what_en}: their household counts are out of "
                                f"date and {in_en} (grids, locks and hand edits are all still in the project)")
            else:
                parts_zh.append(f"{names_zh}的边界是按原{what_zh}画的，可能与新{what_zh}不符（仍保留在项目中）")
                parts_en.append(f"the {names_en} have borders drawn along the old {what_en} and may not fit the new "
                                "ones (kept in the project)")
        if rest:
            names_zh, names_en = _names(project, rest)
            parts_zh.append(f"{names_zh}是按原{what_zh}生成的，可能已过时（仍保留在项目中）")
            parts_en.append(f"the {names_en} were made from the old {what_en} and may be out of date (kept in the project)")
        zh = f"{what_zh}{'已加入' if role == 'dem_added' else '已替换'}：" + "；".join(parts_zh)
        en = f"{what_en} {'added' if role == 'dem_added' else 'replaced'}: " + "; ".join(parts_en)
        cmds_zh, cmds_en = [], []
        for d in hit:
            c = DERIVED[d][2].format(p=path)
            if c in cmds_zh:
                continue
            cmds_zh.append(c)
            cmds_en.append(c.replace("文件夹", "FOLDER"))
        redraw_zh, redraw_en = "（已锁定的网格不变，其余以最少改动重绘）", " (locked grids kept, the others repaired with minimal change)"
        fix_zh = "重新运行：" + "；".join(f"gridtool {c}" + (redraw_zh if "--redraw" in c else "") for c in cmds_zh)
        fix_en = "re-run: " + "; ".join(f"gridtool {c}" + (redraw_en if "--redraw" in c else "") for c in cmds_en)
        severity = "warning"
        out.append(Problem(severity, "derived_out_of_date", zh, en, fix_zh=fix_zh + "。", fix_en=fix_en + ".",
                           role=role, file=path, layer=hit[0]))
    return out


def record_out_of_date(project, roles) -> None:
    """Store in ``project.parameters`` the derived layers the inputs ``roles`` (``dem`` included)
    were just replaced under, added to those stored before: said once is easily missed, so
    ``validate`` and the app's checks repeat them until the layers are made again (:func:`remade`)."""
    stale = {r: list(v) for r, v in (project.parameters.get(STALE) or {}).items()}
    for role in roles:
        if role == "dem" and "dem_added" in stale:  # the grids still predate any elevation model
            role = "dem_added"
        hit = _hit(project, role)
        if hit:
            stale[role] = sorted(set(stale.get(role, ())) | set(hit))
    if stale:
        project.parameters[STALE] = stale


#: A plan layer's ``status`` after its households or villages were replaced: counts as drawn from
#: the old layer (``stale``), or no household of the new layer lies in it (``emptied``).
STALE_STATUS, EMPTY_STATUS = "stale", "emptied"


def mark_plan_stale(project, roles) -> dict[str, int]:
    """After ``roles`` were replaced, the ``status`` of every row of the plan's layers that have one
    (grids, sub-grids …) when a replaced role is one the counts come from (:data:`COUNTS`): ``emptied``
    where no household of the current layer lies in its polygon, else ``stale``; the rest of the
    row (code, ``hh`` as drawn, note, lock) is kept for the redraw. The status is what the ledger,
    maps, export and the app show, so none of them calls a grid ``ok`` that no longer is. Returns
    the rows marked empty per layer."""
    if not set(roles) & set(COUNTS):
        return {}
    from .spatial import assign_to_polygons, household_points
    hh = project.layers.get("households")
    pts = household_points(hh.gdf) if hh is not None and hh.gdf is not None and len(hh.gdf) else None
    emptied = {}
    for role in PLAN:
        lyr = project.layers.get(role)
        if lyr is None or lyr.gdf is None or "status" not in lyr.gdf or not len(lyr.gdf):
            continue
        gdf = lyr.gdf.copy()
        held = np.zeros(len(gdf), dtype=bool)
        if pts is not None:
            at = assign_to_polygons(pts, gdf.geometry.reset_index(drop=True))
            held[np.unique(at[at >= 0])] = True
        gdf["status"] = np.where(held, STALE_STATUS, EMPTY_STATUS)
        lyr.gdf = gdf
        emptied[role] = int((~held).sum())
    return emptied


def remade(parameters: dict, layers) -> None:
    """The derived ``layers`` were made again from the project's current inputs (partition, patrol,
    coverage, walk): no longer out of date in the project's ``parameters``."""
    stale = parameters.get(STALE)
    if not stale:
        return
    left = {r: [d for d in v if d not in set(layers)] for r, v in stale.items()}
    left = {r: v for r, v in left.items() if v}
    if left:
        parameters[STALE] = left
    else:
        parameters.pop(STALE, None)


def stored_out_of_date(project, path=None, layers=None) -> list[Problem]:
    """The warnings of :func:`out_of_date` for what is still out of date (``parameters[STALE]``),
    in the same words; a derived layer since removed from the project is not named. ``layers``:
    only these derived layers (the plan's, for a check of the grids)."""
    stale = project.parameters.get(STALE) or {}
    if layers is not None:
        stale = {r: [d for d in v if d in set(layers)] for r, v in stale.items()}
        stale = {r: v for r, v in stale.items() if v}
    if not stale:
        return []
    return out_of_date(project, {r: None for r in stale if r not in DEM_ROLES}, dem_replaced="dem" in stale,
                       dem_added="dem_added" in stale, path=path, only=stale)


__all__ = ["COUNTS", "DERIVED", "EMPTY_STATUS", "PLAN", "STALE", "STALE_STATUS", "mark_plan_stale", "out_of_date",
           "record_out_of_date", "remade", "stored_out_of_date"]
