"""Street walks of grids (日常巡查) as ``gridtool walk`` and the app's 网格街巷巡查路线 dialog make
them: one function plans the walks (:func:`plan_grid_walks`), one words the lines the console
and the app's log show (:func:`walk_summary`), one shapes the layers the app keeps in the project
(:func:`walk_layers`; the same ``walk`` and ``walk_steps`` layers as the command's GeoPackage,
with the grid's code and the start added), and one stores them with the options they were planned
with (:func:`add_walks_to_project`, :func:`walk_options`). The files are written by
:func:`gridtool.maps.route_files.write_walk_outputs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import geopandas as gpd
import pandas as pd

from ..errors import CancelledError, GridtoolError
from ..plurals import count_en, plural_en
from .postman import CoverageWalk, street_walk

#: Where a walk starts when no station lies inside the grid.
DEFAULT_START_NAME = "网格中心附近路口"


@dataclass
class GridWalk:
    """The walk of one grid: its ``code`` and polygon (``area``), the :class:`CoverageWalk`,
    the start (a station inside the grid, else the junction nearest its centre) and its name,
    and the number of walkers asked for."""

    code: str
    area: object
    walk: CoverageWalk
    start: object
    start_name: str
    walkers: int = 1


def walk_start(stations, area) -> tuple[object | None, str]:
    """The first station inside ``area`` and its name, or ``(None, "网格中心附近路口")``."""
    if stations is not None:
        inside = stations[stations.geometry.within(area)]
        if len(inside):
            return inside.geometry.iloc[0], (str(inside["name"].iloc[0]) if "name" in inside else "站点")
    return None, DEFAULT_START_NAME


def plan_grid_walks(project, graph, areas, *, walkers: int = 1,
                    progress: Callable[[float, str], None] | None = None,
                    cancelled: Callable[[], bool] | None = None) -> list[GridWalk]:
    """The closed walk(s) over every street of each grid in ``areas`` (``(code, polygon)`` pairs,
    :func:`gridtool.routing.project_layers.grid_areas`), starting at the project's station inside
    the grid (:func:`walk_start`; stations as :func:`~gridtool.routing.project_layers.stations_of`
    finds them), else at the junction nearest the grid's centre.

    Raises
    ------
    CancelledError
        ``cancelled()`` turned true (checked before each grid).
    EmptyLayerError
        A grid has no street inside it.
    """
    from .project_layers import stations_of
    try:
        stations = stations_of(project)
    except GridtoolError:
        stations = None
    out = []
    for i, (code, area) in enumerate(areas):
        if cancelled is not None and cancelled():
            raise CancelledError()
        if progress is not None:
            progress(i / max(len(areas), 1), f"网格 {code} / grid {code}")
        start, start_name = walk_start(stations, area)
        w = street_walk(graph, area, walkers=walkers, start=start)
        if start is None:
            start = gpd.points_from_xy([graph.x[w.start_node]], [graph.y[w.start_node]])[0]
        out.append(GridWalk(code=str(code), area=area, walk=w, start=start, start_name=start_name, walkers=walkers))
    if cancelled is not None and cancelled():
        raise CancelledError()
    return out


def walk_summary(gw: GridWalk) -> list[tuple[str, str]]:
    """The lines ``gridtool walk`` prints for one grid, as ``(zh, en)`` pairs: the streets, the
    walk, its lower bound, and the streets cut off from the network (when there are)."""
    w, code = gw.walk, gw.code
    lines = w.walk_lines()
    total_km = float(lines["length_km"].sum())
    longest = float(lines["minutes"].max())
    gap = 100 * (longest / w.bound_minutes - 1) if w.bound_minutes else 0.0
    if gw.walkers == 1:
        zh = (f"网格 {code}：街巷 {w.required_km:.2f} 公里；巡查路线 {total_km:.2f} 公里、{longest:.0f} 分钟，"
              f"下界 {w.bound_minutes:.0f} 分钟（每条街走一遍并补齐奇数路口的配对），多 {gap:.1f}%"
              + ("；街巷连通，此即最短路线" if w.optimal else "；街巷分成几片，连接段为近似"))
        en = (f"grid {code}: {w.required_km:.2f} km of streets; the walk is {total_km:.2f} km, {longest:.0f} min, "
              f"lower bound {w.bound_minutes:.0f} min (every street once plus the pairing of odd junctions), "
              f"+{gap:.1f} %" + ("; the streets connect: this is the shortest walk" if w.optimal
                                 else "; the streets fall apart, the joins are heuristic"))
    else:
        zh = (f"网格 {code}：街巷 {w.required_km:.2f} 公里，{gw.walkers} 人共走 {total_km:.2f} 公里；最长一人 "
              f"{longest:.0f} 分钟，下界 {w.bound_minutes:.0f} 分钟（+{gap:.0f}%）")
        en = (f"grid {code}: {w.required_km:.2f} km of streets, {count_en(gw.walkers, 'walker')}, {total_km:.2f} km in all; "
              f"longest walk {longest:.0f} min, lower bound {w.bound_minutes:.0f} min (+{gap:.0f} %)")
    out = [(zh, en)]
    walking = int(lines["walker"].nunique()) if len(lines) else 0
    if 0 < walking < gw.walkers:  # a few short streets: splitting them further would only add walking
        out.append((f"  街巷较少，{gw.walkers} 人中只需 {walking} 人巡查，其余 {gw.walkers - walking} 人没有路线",
                    f"  few streets: {walking} of the {count_en(gw.walkers, 'walker')} {plural_en(walking, 'has', 'have')} a "
                    f"walk, the other {gw.walkers - walking} {plural_en(gw.walkers - walking, 'has', 'have')} none"))
    if w.cut_off is not None and len(w.cut_off):
        # Unnamed pieces have an empty name: list only the names there are (no "：、、、").
        names = list(dict.fromkeys(n for n in w.cut_off["name"].fillna("").astype(str).str.strip() if n))
        out.append((f"  {len(w.cut_off)} 段街巷与路网不连通，未纳入" + ("：" + "、".join(names[:10]) if names else ""),
                    f"  {count_en(len(w.cut_off), 'street piece')} {plural_en(len(w.cut_off), 'is')} cut off from the "
                    "network and not walked"))
    return out


def walk_layers(walks: list[GridWalk]) -> dict[str, gpd.GeoDataFrame]:
    """The project's layers of the walks: ``walk`` (one line per grid and walker: ``grid``,
    ``walker``, ``length_km``, ``minutes``, ``streets`` (stretches on the card), ``start_name``,
    ``start_x``, ``start_y``) and ``walk_steps`` (every street traversal in order, with ``grid``)."""
    lines, steps = [], []
    for gw in walks:
        ln = gw.walk.walk_lines()
        ln.insert(0, "grid", gw.code)
        ln["streets"] = [len(gw.walk.street_list(int(k))) for k in ln["walker"]]
        ln["start_name"] = gw.start_name
        ln["start_x"], ln["start_y"] = float(gw.start.x), float(gw.start.y)
        lines.append(ln)
        st = gw.walk.steps.copy()
        st.insert(0, "grid", gw.code)
        steps.append(st)
    crs = walks[0].walk.steps.crs if walks else None
    return {"walk": gpd.GeoDataFrame(pd.concat(lines, ignore_index=True), geometry="geometry", crs=crs),
            "walk_steps": gpd.GeoDataFrame(pd.concat(steps, ignore_index=True), geometry="geometry", crs=crs)}


def walk_options(*, grids, walkers: int, start: str, mode: str) -> dict:
    """The options a walk was planned with, as the project keeps them (``parameters["walk"]``):
    ``gridtool walk`` and the app's 网格街巷巡查路线 store the same record, and ``gridtool export
    --walks`` and the app's export print the cards from its ``start`` and ``mode``.

    Parameters
    ----------
    grids, walkers, start, mode
        The grid codes walked, ``--walkers``, ``--start`` (HH:MM) and ``--mode``.

    Returns
    -------
    dict
        ``{"grids", "walkers", "start", "mode"}``, the start as ``HH:MM``.
    """
    return {"grids": [str(c) for c in grids], "walkers": int(walkers), "start": str(start), "mode": str(mode)}


def add_walks_to_project(project, walks: list[GridWalk], options: dict) -> None:
    """Put street walks into ``project`` as the layers ``walk`` and ``walk_steps``
    (:func:`walk_layers`), replacing the walks kept before (of any grid: the project holds the
    last walk planned), with ``options`` (:func:`walk_options`) in ``parameters["walk"]``.

    Parameters
    ----------
    project : gridtool.project.Project
        The project, changed in place (saved by the caller).
    walks : list of GridWalk
        The walks planned, one per grid.
    options : dict
        :func:`walk_options`.
    """
    from ..layer_deps import remade
    from ..layers import Layer
    for role, gdf in walk_layers(walks).items():
        project.layers[role] = Layer(role=role, gdf=gdf, source="gridtool walk")
    project.parameters["walk"] = dict(options)
    remade(project.parameters, ("walk",))  # drawn from today's roads and grids


def grid_steps(steps: gpd.GeoDataFrame, code: str) -> gpd.GeoDataFrame:
    """One grid's rows of a ``walk_steps`` layer, without the ``grid`` column: the steps as
    :func:`street_walk` gave them (and as the command's ``walk_steps`` layer holds them)."""
    st = steps[steps["grid"].astype(str) == str(code)].drop(columns="grid")
    st = st.sort_values(["walker", "seq"], kind="stable").reset_index(drop=True)
    for c in ("repeat", "required"):  # a GeoPackage may give booleans back as integers
        if c in st:
            st[c] = st[c].astype(bool)
    return st
