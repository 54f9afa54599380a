"""What a project's own layers were made from, and what replacing an input layer leaves out of date.

A project keeps the plan (grids, sub-grids, special grids, locks, hand edits) and the analyses
(patrol routes, hot spots, service circles, street walks) beside the input layers they were drawn
from. When :meth:`gridtool.project.Project.add_sources` replaces an input (this month's incidents,
a new households roster, corrected roads), nothing derived is thrown away — it may hold weeks of
hand edits — but the planner is told, layer by layer, what now describes the old data and which
command brings it up to date. The words are the same for the command line and the app.
"""

from __future__ import annotations

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


def out_of_date(project, replaced: dict, *, dem_replaced: bool = False) -> list[Problem]:
    """Warnings for the derived layers of ``project`` that were made from a layer in ``replaced``
    (``{role: the old Layer}``): one per input replaced, naming the derived layers and their
    counts, what is wrong with them now and the command that redoes them."""
    path = project.path or "项目.gpkg"
    out: list[Problem] = []
    roles = list(replaced) + (["dem"] if dem_replaced else [])
    for role in roles:
        hit = [d for d, (_zh_name, inputs, _cmd) in DERIVED.items()
               if d in project.layers and (role in inputs or (role == "dem" and d in PLAN))]
        if not hit:
            continue
        names_zh = "、".join(f"{_zh(d)} {len(project.layers[d].gdf):,} 个" for d in hit)
        names_en = ", ".join(f"{len(project.layers[d].gdf):,} {d}" for d in hit)
        what_zh = ROLES[role].zh if role in ROLES else "高程模型"
        plan_hit = [d for d in hit if d in PLAN]
        if role in COUNTS and plan_hit:
            zh = (f"{what_zh}已替换：项目中的{names_zh}是按原{what_zh}划分的，网格户数已过时，新{what_zh}尚未分入网格"
                  "（网格、锁定和手工修改都仍在项目中，没有删除）")
            en = (f"{role} replaced: the project's {names_en} were drawn from the old {role}; their household "
                  f"counts are out of date and the new {role} are in no grid yet (grids, locks and hand edits "
                  "are all still in the project)")
            severity = "warning"
        else:
            zh = f"{what_zh}已替换：项目中的{names_zh}是按原{what_zh}生成的，可能已过时（仍保留在项目中）"
            en = f"{role} replaced: the project's {names_en} were made from the old {role} and may be out of date (kept in the project)"
            severity = "warning"
        cmds = []
        for d in hit:
            c = DERIVED[d][2].format(p=path)
            if c not in cmds:
                cmds.append(c)
        fix_zh = "重新运行：" + "；".join(f"gridtool {c}" for c in cmds)
        fix_en = "re-run: " + "; ".join(f"gridtool {c.replace('文件夹', 'FOLDER')}" for c in cmds)
        if plan_hit:
            fix_zh += "（--redraw：已锁定的网格不变，其余以最少改动重绘）"
            fix_en += " (--redraw keeps the locked grids and repairs the others with minimal change)"
        out.append(Problem(severity, "derived_out_of_date", zh, en, fix_zh=fix_zh + "。", fix_en=fix_en + ".",
                           role=role, file=path, layer=hit[0]))
    return out


__all__ = ["COUNTS", "DERIVED", "PLAN", "out_of_date"]
