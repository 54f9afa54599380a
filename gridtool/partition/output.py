"""Partition results into the project (layers ``grids``, ``subgrids``, ``special_grids``,
``corridors``, ``ridges`` with a DEM, ``changes`` after a redraw, the households' ``grid``/``subgrid``) and the JSON report,
which gains the plan's household totals (``report["totals"]``, :mod:`gridtool.partition.totals`)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..atomic import write_json_atomic
from ..layers import Layer
from .engine import GridPartitioner
from .totals import household_totals

OUTPUT_LAYERS = ("grids", "subgrids", "special_grids", "corridors", "party_links", "ridges")


def apply_to_project(project, gp: GridPartitioner, *, source: str = "gridtool partition", previous=None) -> None:
    """Put a fitted partitioner's layers into ``project``, replacing an earlier partition.

    Parameters
    ----------
    project : gridtool.project.Project
        The project; gains the layers ``grids``, ``subgrids``, ``special_grids``, ``corridors``,
        ``party_links``, ``ridges`` (the DEM's ridge lines the borders followed) and ``changes``
        (a redraw), the households' ``grid`` / ``subgrid``, and
        the report in ``project.parameters["partition"]``.
    gp : GridPartitioner
        A fitted partitioner, or anything with the engine's result attributes (a batch, one
        district of it). Its ``report_`` gains ``totals`` (one household total for every output)
        and ``joined_columns_carried`` when joined columns went to the new grids of the same code.
    source : str
        The layers' source as the project records it.
    previous : gridtool.io.previous.PreviousLayers, optional
        The plan a redraw started from: the columns joined to its grids (``joins``) go to the new
        grids of the same code where the project has none of its own, and its join log is kept;
        the report's ``previous`` describes it (:mod:`gridtool.partition.yearly`).
    """
    crs_in = project.user_crs
    made = {"grids": gp.grids_, "subgrids": gp.subgrids_, "special_grids": gp.special_grids_,
            "corridors": gp.corridors_, "party_links": gp.links_,
            # the ridge lines the borders followed (a DEM and terrain=True), drawn on every map
            "ridges": getattr(gp, "ridges_", None),
            # a redraw's changes per village against the previous plan (none after a plain partition)
            "changes": getattr(gp, "changes_", None)}
    carried = {}
    # grids renumbered under a recoded village's code take the joined values of their old code
    back = {e["new"]: e["old"] for e in ((gp.report_.get("plan") or {}).get("redraw") or {}).get("recoded", [])}
    for role, gdf in made.items():
        if gdf is None:
            project.layers.pop(role, None)
            continue
        gdf = gdf.reset_index(drop=True)
        sensitive = {"member": "name"} if role == "party_links" else {}
        old = project.layers.get(role)
        own = {c for j in project.parameters.get("joins") or [] for c in (j.get("columns") or {}).values()}
        kept = _carry_joined_columns(old.gdf if old is not None else None, own,
                                     old.sensitive if old is not None else {}, gdf, sensitive,
                                     back if role == "grids" else {})
        if role == "grids" and previous is not None and previous.joins:
            # A redraw of a fresh import from last year's project: the ledger is in that project.
            theirs = {c for j in previous.joins for c in (j.get("columns") or {}).values()}
            kept = _carry_joined_columns(previous.grids, theirs, previous.sensitive, gdf, sensitive, back) or kept
            logged = project.parameters.setdefault("joins", [])
            logged[:0] = [j for j in previous.joins if j not in logged]
        if role == "subgrids" and previous is not None and previous.subgrid_joins:
            # 楼长 / 网格助理 on last year's sub-grids: kept where the households are the same
            from .subgrid_ledger import carry_subgrid_columns
            theirs = {c for j in previous.subgrid_joins for c in (j.get("columns") or {}).values()}
            # a locked grid's sub-grids kept by code keep their people, households changed or not
            locked_subs = {n: o for e in ((gp.report_.get("plan") or {}).get("redraw") or {}).get("locked_subgrids", [])
                           for n, o in (e.get("codes") or {}).items()}
            kept = carry_subgrid_columns(previous.subgrids, previous.households, theirs, previous.subgrid_sensitive,
                                         gdf, gp.households_, sensitive, same=locked_subs) or kept
            logged = project.parameters.setdefault("joins", [])
            logged[:0] = [j for j in previous.subgrid_joins if j not in logged]
        if kept:
            carried[role] = kept
        project.layers[role] = Layer(role=role, gdf=gdf, source=source, format="derived", crs_in=crs_in,
                                     sensitive=sensitive)
    if carried:
        gp.report_["joined_columns_carried"] = carried
    hh = project.layers["households"]
    hh.gdf = gp.households_
    _measure_ridges(project, gp)
    # One total for every output: imported = base + special + exception grids + unassigned.
    gp.report_["totals"] = household_totals(project).as_dict()
    if previous is not None:
        gp.report_["previous"] = previous.describe()
    project.parameters["partition"] = {k: v for k, v in gp.report_.items() if k != "grids"}
    # The households that left the roster since the last plan are in this one's report now.
    from .previous import GONE
    project.parameters.pop(GONE, None)
    # Drawn from the inputs as they are now: the plan is no longer out of date (layer_deps).
    from ..layer_deps import PLAN, remade
    remade(project.parameters, PLAN)


def measure_ridges(project, gp) -> None:
    """Each grid's ``ridge_m`` of a fitted partitioner measured now (``gp.ridge_m_``), for
    :func:`apply_to_project` to take as it is. The app calls this in its background job: measured
    in :func:`apply_to_project`, on the app's GUI thread, a mountain plan with an elevation model
    froze the window for up to half a second per grid, with no progress and no cancel."""
    dem = getattr(project, "dem", None)
    grids = getattr(gp, "grids_", None)
    if dem is None or grids is None or not len(grids) or project.crs is None:
        gp.ridge_m_ = None
        return
    from .terrain import grid_ridges
    gp.ridge_m_ = grid_ridges(grids.reset_index(drop=True), gp.households_, dem, project.crs)


def _measure_ridges(project, gp) -> None:
    """With an elevation model, each grid's ``ridge_m`` (the climb between its households, see
    :mod:`.terrain`) and the report's ``plan["ridge_grids"]``: crossing figures count lines only,
    so a grid spanning a mountain would otherwise look as sound as one in a single valley."""
    grids = project.layers.get("grids")
    dem = getattr(project, "dem", None)
    if dem is None or grids is None or grids.gdf is None or not len(grids.gdf) or project.crs is None:
        return
    from .terrain import RIDGE_WARN_M, grid_ridges, ridge_grids
    ready = getattr(gp, "ridge_m_", None)  # measured in the app's background job (measure_ridges)
    if ready is not None and len(ready) == len(grids.gdf):
        grids.gdf["ridge_m"] = ready
    else:
        grids.gdf["ridge_m"] = grid_ridges(grids.gdf, project.layers["households"].gdf, dem, project.crs)
    plan = gp.report_.setdefault("plan", {})
    plan["ridge_grids"] = ridge_grids(grids.gdf)
    plan["ridge_warn_m"] = RIDGE_WARN_M


def _carry_joined_columns(old, joined: set, old_sensitive: dict, gdf, sensitive: dict,
                          back: dict | None = None) -> dict | None:
    """Columns the planner joined (``joined``) to the old layer ``old`` (``gridtool join``: grid
    workers, phones, scores) go to the new grids of the same code, in place (``gdf``,
    ``sensitive``): a redraw keeps codes, and a partition must not silently drop the planner's work.
    ``back``: new code → old code of grids renumbered under a recoded village. Returns what was
    carried: the columns, how many grids got their values back, and the codes that had none (new
    grids, to join again)."""
    import pandas as pd

    if old is None or not joined or "code" not in old or "code" not in gdf:
        return None
    cols = [c for c in old.columns if c in joined and c not in ("geometry", "code")]
    if not cols:
        return None
    prev = old.assign(_code=old["code"].astype(str)).drop_duplicates("_code").set_index("_code")
    codes = gdf["code"].astype(str)
    looked = codes.map(lambda k: (back or {}).get(k, k))
    for c in cols:
        vals = looked.map(prev[c])
        if c in gdf:  # the engine's own empty slot (``worker``): the planner's value wins where it has one
            mine = gdf[c]
            empty = mine.isna() | (mine.astype(str).str.strip() == "")
            gdf[c] = mine.where(~empty, vals)
        else:
            gdf[c] = vals
        if c in (old_sensitive or {}):
            sensitive[c] = old_sensitive[c]
    has = pd.Series(False, index=gdf.index)
    for c in cols:
        has |= gdf[c].notna() & (gdf[c].astype(str).str.strip() != "")
    return {"columns": cols, "grids": int(len(gdf)), "with_values": int(has.sum()),
            "codes_without": codes[~looked.isin(prev.index)].tolist()}


def partition_project(project, *, progress: Callable[[float, str], None] | None = None,
                      cancelled: Callable[[], bool] | None = None, **params) -> GridPartitioner:
    """Fit a :class:`GridPartitioner` with ``params`` on ``project`` and store the result in it.

    Parameters
    ----------
    project : gridtool.project.Project
        The project to partition (see :func:`apply_to_project` for what it gains).
    progress, cancelled : callable, optional
        As in :meth:`GridPartitioner.fit`.
    **params
        :class:`GridPartitioner` parameters (``min_hh``, ``max_hh``, ``target`` …).

    Returns
    -------
    GridPartitioner
        The fitted partitioner.
    """
    gp = GridPartitioner(**params).fit(project, progress=progress, cancelled=cancelled)
    apply_to_project(project, gp)
    return gp


def locked_codes(project) -> list[str]:
    """The codes of the project's locked grids (the ``grids`` layer's ``locked`` column, set by the
    app's 锁定 button or ``gridtool edit --lock``), sorted; empty without grids."""
    from ..values import truthy
    lyr = project.layers.get("grids")
    if lyr is None or "locked" not in lyr.gdf or "code" not in lyr.gdf:
        return []
    return sorted({str(c) for c, lk in zip(lyr.gdf["code"], lyr.gdf["locked"]) if truthy(lk)})


def fit_own_plan(project, params: dict, *, redraw: bool = False, locked: list[str] | None = None,
                 processes: int | None = None, progress: Callable[[float, str], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> GridPartitioner:
    """Partition ``project`` again over its own plan, keeping its locked grids exactly: the app's
    网格 → 划分网格 (``redraw=False``: the unlocked part drawn anew around the locked grids) and
    重绘未锁定网格 (``redraw=True``: the unlocked grids repaired with as few changes as possible),
    and ``gridtool partition PROJECT`` / ``gridtool partition PROJECT --redraw``.

    Parameters
    ----------
    project : gridtool.project.Project
        The project (its ``households`` carry the plan as edited: ``grid``/``grid_parts``).
    params : dict
        :class:`GridPartitioner` parameters.
    redraw : bool
        Repair the unlocked grids instead of drawing them anew; needs a ``grids`` layer.
    locked : list of str, optional
        The grids kept exactly; default :func:`locked_codes` of the project.
    processes, progress, cancelled
        As in :class:`GridPartitioner` and :meth:`GridPartitioner.fit`.

    Returns
    -------
    GridPartitioner
        Fitted, with each grid's ridge length measured (:func:`measure_ridges`); put it into the
        project with :func:`apply_to_project`.
    """
    grids = project.layers["grids"].gdf if "grids" in project.layers else None
    if redraw and grids is None:
        from ..errors import GridtoolError
        raise GridtoolError("项目中还没有网格，无法重绘", "the project has no grids to redraw",
                            fix_zh="先划分网格（gridtool partition，不加 --redraw）。",
                            fix_en="partition first (gridtool partition without --redraw).", layer="grids")
    locked = locked_codes(project) if locked is None else sorted(locked)
    previous = grids if (redraw or locked) else None
    gp = GridPartitioner(**params, processes=processes)
    # The locked grids keep their sub-grids (codes on doorplates, a 楼栋长 each): the project's own.
    subs = project.layers["subgrids"].gdf if previous is not None and "subgrids" in project.layers else None
    # Households re-imported since the plan: which grids lost how many (the grid match sees only
    # those still on the roster).
    from .previous import GONE
    left = project.parameters.get(GONE) if previous is not None else None
    gp.fit(project, previous=previous, locked=locked, fresh=not redraw, previous_subgrids=subs,
           previous_left=left, progress=progress, cancelled=cancelled)
    measure_ridges(project, gp)
    return gp


def write_report(path: str | Path, report: dict) -> Path:
    """Write the partition report as UTF-8 JSON, atomically (a reader never sees half a file).

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write.
    report : dict
        ``GridPartitioner.report_`` (or a batch's).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    return write_json_atomic(path, report)
