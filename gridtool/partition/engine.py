"""``GridPartitioner``: villages into base grids (基础网格) and sub-grids (子网格), estimator-style::

    gp = GridPartitioner(min_hh=300, max_hh=500, target=400, seed=0)
    gp.fit(project)                # or a dict of GeoDataFrames by role
    gp.grids_, gp.subgrids_, gp.report_

Per village: blocks from barriers (:mod:`.blocks`) → *regions* that no hard barrier crosses →
for each region, k grids within [min, max] by recursive bisection (:mod:`.solver`), opening blocks
into household units when whole blocks cannot meet the bounds → blocks without households joined
to the grid they border most → sub-grids inside each grid the same way on household units.

A region whose total cannot be split within the bounds is joined across the hard barrier to the
neighbouring region that makes it feasible (the crossing is counted and reported as unavoidable).
A village whose total cannot be split at all is never forced silently: it is named in the report
with its remedies (keep as one exceptional grid, merge with a neighbour, relax the bounds), and
the policy chosen (``infeasible=``, ``merge=``, ``relax=``) is applied and recorded.

The steps live in small modules: :mod:`.villages` (names, codes, the plan per village and its
remedies), :mod:`.regions` (regions merged, bridged, grown and repaired), :mod:`.shapes` (the
outlines), :mod:`.subgrids`, :mod:`.special` and :mod:`.corridors`, :mod:`.codes`, :mod:`.metrics`
(per-grid figures and the report's plan figures) and :mod:`.redraw` (redraws with minimal change).
This module holds the estimator and the cut of each village into grids.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Callable, Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..arrays import unique_ints
from ..errors import CancelledError, HouseholdBoundsError, MissingColumnError, OptionError
from ..spatial import household_points
from .barriers import DEFAULT_HARD, barrier_lines
from .blocks import build_blocks
from .codes import assign_codes
from .corridors import draw_corridors
from .feasibility import feasible_grid_counts
from .geomcheck import crossing_faces
from .inputs import check_inputs, layers_of
from .metrics import add_grid_metrics, crossings, json_rows, plan_figures
from .redraw import RedrawMixin
from .report import remedy_texts
from .regions import (
    DraftGrid,
    attach_empty,
    bridge_parts,
    contract_pockets,
    keep_pockets_whole,
    mark_apart,
    merge_regions,
    nearest_grid_with_room,
    share_strips,
)
from .shapes import dissolve_many, expand_units, shared_cells
from .solver import UnitGraph, partition
from .special import SPECIAL_CATEGORIES, special_layer, special_places
from .subgrids import draw_subgrids, subgrid_work
from .unitset import build_unitset
from ..plurals import count_en
from .villages import (
    by_display_name,
    merged_villages,
    remedy_fields,
    village_codes,
    village_labels,
    village_names,
    village_plans,
)

__all__ = ["GridPartitioner", "INFEASIBLE_POLICIES", "POCKET_POLICIES", "SPECIAL_CATEGORIES",
           # moved to .metrics and .codes; imported from here by the benchmarks and older code
           "add_grid_metrics", "assign_codes", "crossings", "json_rows", "plan_figures"]


INFEASIBLE_POLICIES = ("exception", "relax", "merge")
#: What to do with an area enclosed by hard barriers that no grid count fits (a hamlet across the
#: river with 60 households): join it across the barrier to the neighbour that makes it fit
#: ("join", counted as an unavoidable crossing), or keep it as one exceptional grid ("exception",
#: named in the report; then no hard barrier is ever crossed).
POCKET_POLICIES = ("join", "exception")



class GridPartitioner(RedrawMixin):
    """Partition villages into base grids and sub-grids within household bounds.

    Parameters
    ----------
    min_hh, max_hh : int
        Hard bounds on households per base grid (default 300–500).
    target : int
        Preferred households per base grid; the number of grids is ``round(H / target)`` clamped
        to what the bounds allow.
    sub_min, sub_max, sub_target : int
        The same for sub-grids (default 20–40, 30).
    hard_barriers : iterable of str
        Barrier classes never crossed when avoidable: ``river``, ``stream``, ``railway`` and road
        classes (``motorway``, ``trunk``, ``primary`` …). Default rivers, railways, motorways, trunks.
    special_categories : iterable of str
        Place categories carved out as special grids (专属网格). A place drawn as an area is that
        area; a place given as a point gets a circle of ``special_radius`` m (default 30) without
        the homes around it (see :func:`.special.special_places`).
    corridor_width : float
        Width in metres of the special-purpose corridors (专项网格) along rivers, railways and
        forest edges; 0 for none.
    infeasible : {"exception", "relax", "merge"}
        What to do with a village whose total no number of grids fits: keep it as one exceptional
        grid (default); relax its bounds to the nearest that fit; or merge it with the neighbouring
        village that makes the pair feasible. ``merge`` and ``relax`` dicts override per village
        (``merge={"Planken": "Schaan"}``, ``relax={"Planken": (250, 500)}``).
    pockets : {"join", "exception"}
        What to do with an area that hard barriers enclose inside a village and that no number of
        grids fits (a hamlet of 60 households across the river): join it across the barrier to
        the neighbour that makes it fit (default; counted as an unavoidable hard crossing), or
        keep it as one exceptional grid (note ``pocket``), so that no hard barrier is crossed.
        Either way it is named in the report (``pocket_grids`` or ``unavoidable_hard_crossings``).
    link_min, link_max : int
        Households per party member in the "1+10" links (when a ``party_members`` layer is given).
    seed : int
        Kept for reproducibility records; the construction itself is deterministic.
    processes : int, optional
        Worker processes drawing the sub-grids (1: this process only). Default: the
        ``processes`` setting (``GRIDTOOL_PROCESSES``), else the machine's cores (at most 4) for a
        plan of 100,000 households or more and none below. The plan is the same for any number
        (see :mod:`.subgrid_workers`), so it is not one of :meth:`get_params`.
    terrain : bool
        With a project elevation model (``project.dem``), add the ridges between its valleys as
        soft barrier lines of class ``ridge`` (山脊, :mod:`.ridgelines`), so that grid and
        sub-grid borders follow them (default); False leaves the DEM to ``ridge_m`` alone.
        ``hard_barriers`` may name ``ridge``. The report's ``plan["terrain"]`` says what was used.

    Attributes
    ----------
    grids_ : geopandas.GeoDataFrame
        The base grids: ``code``, ``village``, ``village_code``, ``hh``, ``status``, ``note``,
        bounds, ``locked``, ``worker`` and the figures of :func:`.metrics.add_grid_metrics`.
    subgrids_ : geopandas.GeoDataFrame or None
        The sub-grids (``code`` ``<grid>-NN``, ``grid``, ``hh``, ``kind`` …); None with ``subgrids=False``.
    special_grids_, corridors_ : geopandas.GeoDataFrame
        Special grids (专属网格) and special-purpose corridors (专项网格).
    ridges_ : geopandas.GeoDataFrame or None
        The ridge lines of the DEM the borders followed (``terrain``; :func:`.ridgelines.ridge_layer`),
        the project layer ``ridges``; None without a DEM or with ``terrain=False``.
    households_ : geopandas.GeoDataFrame
        The households with their ``grid``, ``grid_parts`` (a building divided between grids),
        ``subgrid`` (the sub-grid holding most of the building) and ``subgrid_parts`` (a building
        divided between sub-grids).
    report_ : dict
        ``parameters``, ``plan`` (the figures, infeasible villages with their remedies, and the
        structured ``merged_villages``), ``villages``, ``grids`` and ``timings``.

    Examples
    --------
    One village of 800 households in 20 houses becomes two grids of 400:

    >>> import geopandas as gpd, shapely
    >>> from gridtool.partition import GridPartitioner
    >>> village = gpd.GeoDataFrame({"name": ["石门村"], "code": ["500101001001"]},
    ...                            geometry=[shapely.box(0, 0, 800, 400)], crs="EPSG:32648")
    >>> homes = gpd.GeoDataFrame({"hh": [40] * 20}, crs="EPSG:32648", geometry=gpd.points_from_xy(
    ...     [40 + 80 * (i % 10) for i in range(20)], [100 + 200 * (i // 10) for i in range(20)]))
    >>> gp = GridPartitioner(min_hh=300, max_hh=500, target=400).fit({"villages": village, "households": homes})
    >>> gp.grids_[["code", "hh", "status"]].values.tolist()
    [['500101001001-01', 400, 'ok'], ['500101001001-02', 400, 'ok']]
    >>> gp.report_["plan"]["pct_within_bounds"], int(gp.subgrids_["hh"].sum())
    (100.0, 800)
    """

    def __init__(self, *, min_hh: int = 300, max_hh: int = 500, target: int = 400,
                 sub_min: int = 20, sub_max: int = 40, sub_target: int = 30,
                 hard_barriers: Iterable[str] = DEFAULT_HARD,
                 special_categories: Iterable[str] = SPECIAL_CATEGORIES, special_radius: float = 30.0,
                 corridor_width: float = 50.0, infeasible: str = "exception",
                 merge: dict[str, str] | None = None, relax: dict[str, tuple[int, int]] | None = None,
                 subgrids: bool = True, link_min: int = 10, link_max: int = 15, seed: int = 0,
                 pockets: str = "join", processes: int | None = None, terrain: bool = True):
        if not (0 < min_hh <= max_hh):
            raise HouseholdBoundsError(
                f"网格户数范围不成立：{min_hh}–{max_hh}", f"bounds must satisfy 0 < min <= max, got {min_hh}-{max_hh}",
                fix_zh="最小户数应大于 0 且不大于最大户数，例如 min_hh=300, max_hh=500。",
                fix_en="give 0 < min_hh <= max_hh, e.g. min_hh=300, max_hh=500.")
        if not (0 < sub_min <= sub_max):
            raise HouseholdBoundsError(
                f"子网格户数范围不成立：{sub_min}–{sub_max}",
                f"sub-grid bounds must satisfy 0 < min <= max, got {sub_min}-{sub_max}",
                fix_zh="例如 sub_min=20, sub_max=40。", fix_en="e.g. sub_min=20, sub_max=40.")
        if infeasible not in INFEASIBLE_POLICIES:
            raise OptionError(f"无法划分的村（社区）处理方式只能是 {'、'.join(INFEASIBLE_POLICIES)}：{infeasible!r}",
                              f"infeasible must be one of {INFEASIBLE_POLICIES}, got {infeasible!r}",
                              fix_zh="例如 infeasible=\"exception\"。", fix_en='e.g. infeasible="exception".')
        if pockets not in POCKET_POLICIES:
            raise OptionError(f"被硬边界围住的小片处理方式只能是 {'、'.join(POCKET_POLICIES)}：{pockets!r}",
                              f"pockets must be one of {POCKET_POLICIES}, got {pockets!r}",
                              fix_zh="例如 pockets=\"join\"。", fix_en='e.g. pockets="join".')
        self.pockets = pockets
        self.min_hh, self.max_hh = int(min_hh), int(max_hh)
        self.target = int(min(max(target, min_hh), max_hh))
        self.sub_min, self.sub_max = int(sub_min), int(sub_max)
        self.sub_target = int(min(max(sub_target, sub_min), sub_max))
        self.hard_barriers = tuple(h.strip().lower() for h in hard_barriers if h.strip())
        self.special_categories = tuple(special_categories)
        self.special_radius = float(special_radius)
        self.corridor_width = float(corridor_width)
        self.infeasible = infeasible
        self.merge = dict(merge or {})
        self.relax = {k: (int(v[0]), int(v[1])) for k, v in (relax or {}).items()}
        self.subgrids = bool(subgrids)
        self.link_min, self.link_max = int(link_min), int(link_max)
        self.seed = int(seed)
        if processes is not None and (isinstance(processes, bool) or not isinstance(processes, (int, np.integer))
                                      or processes < 1):
            raise OptionError(f"进程数应为正整数：{processes!r}", f"processes must be a positive whole number, "
                              f"got {processes!r}", fix_zh="例如 processes=2；1 表示只用本进程。",
                              fix_en="e.g. processes=2; 1 for this process only.")
        self.processes = None if processes is None else int(processes)
        self.terrain = bool(terrain)

    def get_params(self) -> dict:
        return {"min_hh": self.min_hh, "max_hh": self.max_hh, "target": self.target,
                "sub_min": self.sub_min, "sub_max": self.sub_max, "sub_target": self.sub_target,
                "hard_barriers": list(self.hard_barriers), "special_categories": list(self.special_categories),
                "special_radius": self.special_radius, "corridor_width": self.corridor_width,
                "infeasible": self.infeasible, "merge": self.merge,
                "relax": {k: list(v) for k, v in self.relax.items()}, "subgrids": self.subgrids,
                "link_min": self.link_min, "link_max": self.link_max,
                "seed": self.seed, "pockets": self.pockets, "terrain": self.terrain}

    # ------------------------------------------------------------------------------------------
    def fit(self, data, *, previous: gpd.GeoDataFrame | None = None, locked: Iterable[str] = (),
            match: str = "auto", previous_households: gpd.GeoDataFrame | None = None,
            previous_subgrids: gpd.GeoDataFrame | None = None, fresh: bool = False,
            previous_merged: Iterable[dict] = (), previous_left: dict | None = None,
            progress: Callable[[float, str], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> "GridPartitioner":
        """Partition ``data`` into grids and sub-grids.

        Parameters
        ----------
        data : gridtool.project.Project or dict of geopandas.GeoDataFrame
            The layers by role, in a metric CRS: ``households`` (points or footprints with an
            ``hh`` column) and ``villages`` (polygons with ``name`` and ``code``) are required;
            ``roads``, ``rivers``, ``railways``, ``forest``, ``landuse``, ``places`` and
            ``party_members`` are used when given.
        previous : geopandas.GeoDataFrame, optional
            An earlier grids layer with ``code``: redraw with minimal change (below).
        locked : iterable of str
            Codes of ``previous`` kept exactly (households, code and polygon).
        match : {"auto", "grid", "households", "polygons"}
            Where the previous grid of each household is read: its own ``grid`` / ``grid_parts``
            columns, ``previous_households``, or the previous polygon containing it; ``auto``
            takes the first that applies (see :mod:`.previous`).
        previous_households : geopandas.GeoDataFrame, optional
            The previous plan's households, matched by position.
        previous_subgrids : geopandas.GeoDataFrame, optional
            The previous plan's sub-grids (``code``, ``grid``): a locked grid keeps its own (codes,
            polygons, buildings) instead of having them drawn again (:mod:`.locked_subgrids`).
        fresh : bool
            Draw the unlocked grids from scratch around the locked ones instead of repairing them.
        previous_merged : iterable of dict
            The villages ``previous`` partitioned with a neighbour (``code``, ``host_code``;
            :func:`gridtool.io.previous.merged_table`): apart now, the report says so, not a split.
        previous_left : dict, optional
            The households that left the roster since ``previous`` per grid code, as a re-import
            recorded them (:func:`.previous.households_gone`): said as gone, their grids changed.
        progress : callable, optional
            ``progress(fraction, message)``, called as the work advances.
        cancelled : callable, optional
            ``cancelled() -> bool``; when it returns True the fit stops with
            :class:`~gridtool.errors.CancelledError`.

        Returns
        -------
        GridPartitioner
            ``self``, fitted.

        Notes
        -----
        ``previous`` (an earlier grids layer with ``code``, any CRS) makes this a *redraw with
        minimal change*: grids start from the previous ones and are only repaired back into
        bounds; codes carry over by household overlap. Which previous grid held each household is
        taken from the households (``match``, see :mod:`.previous`): their own ``grid`` /
        ``grid_parts`` columns when these name the previous codes, else ``previous_households``
        (the previous plan's households, matched by position), else the polygon containing them.

        A grid whose code is in ``locked`` keeps exactly its households (the same buildings, and
        the same share of a building divided between grids), its code and its polygon; the other
        grids are drawn around it and never overlap it. ``report_["plan"]["redraw"]`` and
        ``changes_`` (per village) say how many households and grids changed, which codes were
        kept, new and retired, and how many households are new. With ``fresh=True`` the unlocked
        grids are drawn from scratch around the locked ones instead of being repaired (codes still
        carry over by overlap): a new partition that keeps the planner's locked grids.

        Sets ``grids_``, ``subgrids_``, ``special_grids_``, ``corridors_``, ``households_``
        (the grid and sub-grid of every household feature), ``blocks_``, ``changes_`` (redraws
        only) and ``report_``.
        """
        t0 = time.perf_counter()
        c0 = time.thread_time()  # this thread's CPU: stage costs that hold on a busy machine
        layers = layers_of(data)
        say = progress or (lambda f, m: None)
        stop = cancelled or (lambda: False)
        hhg, villages = check_inputs(layers)
        # Counts that are not numbers or absurd (1e12), rosters pasted twice, one ID on two rows,
        # a village of millions: refused here (BlockingDataError, exit 2) rather than counted
        # wrong or partitioned forever. A Project gives the messages their file and layer names.
        from ..validate import check_partition_ready
        pts = household_points(hhg).values  # made once: the check places the households too
        check_partition_ready(data if hasattr(data, "layers") and isinstance(data.layers, dict) else layers,
                              points=pts)
        crs = villages.crs
        hh = hhg["hh"].to_numpy(dtype=float)
        hh = np.where(np.isfinite(hh) & (hh > 0), np.rint(hh), 0).astype(np.int64)
        xy = shapely.get_coordinates(pts)
        # Sub-grids of a large plan are drawn on worker processes, started now so that their
        # start-up overlaps the blocks and grids (see .subgrid_workers).
        workers = self._subgrid_workers(int(hh.sum()))
        finished = False
        try:
            say(0.02, "构建街区 / building blocks")
            strips: list = []
            lines = barrier_lines(layers, hard=self.hard_barriers, strips=strips)
            lines = self._with_terrain(data, layers, lines, villages, say)
            vnames = village_names(villages)
            vcodes = village_codes(villages)
            self._vnames = vnames
            self._vcodes = vcodes
            self._hh_all = hh
            self._vlabels = village_labels(villages, vnames, vcodes)
            # merge=/relax= may name a village by code, display name or a name only it has.
            self._merge_v, self._relax_v = by_display_name(villages, vnames, vcodes, self.merge, self.relax)
            # Corridors need only the lines and villages, and their GEOS work releases the GIL: they
            # are drawn on a second thread while blocks, grids and sub-grids are made on this one.
            # With worker processes (a large plan) they are drawn on one of those instead, followed
            # by the crossing faces: a thread here contends for the GIL with the blocks and grids,
            # and one worker busy beside this process keeps the two cores busy, not three.
            corridor_args = ({k: layers[k] for k in ("forest", "landuse") if layers.get(k) is not None}, lines,
                             villages, vcodes, vnames, crs, self.corridor_width)
            vil = layers.get("villages")
            both = workers.call(_corridors_and_faces, corridor_args, (lines, vil.geometry.to_numpy())) \
                if workers is not None and vil is not None else None
            corridors = _Part(both, 0) if both is not None else _Background(draw_corridors, *corridor_args)
            self._faces_job = _Part(both, 1) if both is not None else None
            special_geoms, special_rows, self._special_skipped = special_places(
                layers, villages, hhg, pts, categories=self.special_categories, radius=self.special_radius)
            blocks = build_blocks(villages, pts, hh, lines,
                                  special=special_geoms if len(special_geoms) else None, strips=strips)
            self.blocks_ = blocks
            # Without workers the crossing faces are cut when the metrics need them, on this thread:
            # as a thread of their own they contended with the grids for the GIL and the cores
            # (300k-household city, interleaved runs: no faster, up to 10 % slower).
            t_blocks = time.perf_counter() - t0
            c_blocks = time.thread_time() - c0
            hb = blocks.household_block
            order = np.argsort(hb, kind="stable")
            sorted_b = hb[order]
            starts = np.searchsorted(sorted_b, np.arange(len(blocks.gdf)))
            stops = np.searchsorted(sorted_b, np.arange(len(blocks.gdf)), side="right")
            fob = {b: order[s:e] for b, (s, e) in enumerate(zip(starts, stops)) if e > s}
            inner = lines[lines["cls"] != "village"] if len(lines) else lines
            bgeoms = inner.geometry.values.copy() if len(inner) else None
            if bgeoms is not None:
                shapely.prepare(bgeoms)  # many short segments are tested against the same long lines
            btree = shapely.STRtree(bgeoms) if len(inner) else None
            baff = inner["affinity"].to_numpy(dtype=float) if len(inner) else np.zeros(0)
            self._ctx = dict(points_xy=xy, hh=hh, features_of_block=fob, barriers=btree,
                             barrier_affinity=baff)
            self._lines, self._points = lines, pts  # for the crossings measured on the drawn grids

            self._previous = None
            self._previous_merged = list(previous_merged or ())
            self._locked_subgrids: list[dict] = []
            self.changes_ = None
            locked_grids: dict[int, list[DraftGrid]] = {}
            gone = np.zeros(len(blocks.gdf), dtype=bool)
            if previous is not None and len(previous):
                from .previous import match_previous
                say(0.03, "匹配上一版网格 / matching the previous plan")
                pv = match_previous(previous, hhg, hh, crs=crs, locked=locked, match=match,
                                    previous_households=previous_households, left=previous_left,
                                    village_of=_village_of_features(blocks))
                # New households inside a locked outline join that grid (see .new_in_locked).
                from .new_in_locked import new_inside_locked
                pv.joined = new_inside_locked(pv, xy, hh, blocks.household_block, blocks.gdf["special"].to_numpy())
                self._previous = pv
                # Locked grids are made from their own households; everything else is drawn on a
                # view of the blocks without them (see _free_view), then restored for the metrics.
                locked_grids = self._locked_grids(pv, blocks, villages, vnames)
                work, gone = self._free_view(pv, blocks)
                self.blocks_ = work
            elif list(locked):
                raise MissingColumnError("锁定网格需要上一版网格（previous）", "locking grids needs the previous plan",
                                         fix_zh="同时给出上一版网格图层：--previous 文件[:图层]。",
                                         fix_en="give the previous grids too: --previous PATH[:LAYER].", field="code")

            bg = self.blocks_.gdf
            e = blocks.edges
            village_of_block = bg["village"].to_numpy()
            is_special = bg["special"].to_numpy() >= 0

            # Village totals (all households, locked ones too) and the policy for those no number of
            # grids fits.
            ob = blocks.gdf
            vt = np.bincount(ob["village"].to_numpy(), weights=np.where(ob["special"].to_numpy() >= 0, 0, ob["hh"].to_numpy()),
                             minlength=len(villages)).astype(np.int64)
            plans = village_plans(vt, vnames, e, village_of_block, min_hh=self.min_hh, max_hh=self.max_hh,
                                  target=self.target, infeasible=self.infeasible, merge=self._merge_v, relax=self._relax_v)
            # village row → the row of the village it is partitioned with (merge=), whose code its grids carry
            self._host_of = {p["village"]: p["host"] for p in plans if p["host"] is not None}

            grids: list[DraftGrid] = []
            village_reports = []
            done = 0
            todo = [p for p in plans if p["host"] is None]
            for p in todo:
                if stop():
                    raise CancelledError()
                say(0.05 + 0.75 * done / max(len(todo), 1), f"{p['name']}")
                done += 1
                members = [p["village"]] + p["guests"]
                region_blocks = [int(b) for b in np.flatnonzero(np.isin(village_of_block, members) & ~is_special & ~gone)]
                if self._previous is not None:
                    kept = [g for v in members for g in locked_grids.pop(v, [])]
                    across = getattr(self, "_locked_across", {})
                    for g in kept:  # a guest village's locked grid is its host's, as the others drawn there
                        g.village, g.bounds = p["village"], tuple(p["bounds"])
                        # households in the villages partitioned together cross no village border
                        rest = {k: n for k, n in across.get(g.prev, {}).items() if k not in {vnames[m] for m in members}}
                        if rest:
                            across[g.prev] = rest
                        else:
                            across.pop(g.prev, None)
                        lo, hi = g.bounds
                        tot = sum(u[4] for u in g.units)
                        g.status, g.note = ("ok", "locked") if lo <= tot <= hi else \
                            ("exception", f"locked, {count_en(tot, 'household', spec='')} outside {lo}-{hi}")
                    if fresh:
                        vg, vrep = self._partition_village(dict(p, hh=int(self.blocks_.gdf["hh"].to_numpy()[region_blocks].sum())),
                                                           region_blocks, self.blocks_.edges, stop)
                    else:
                        vg, vrep = self._redraw_village(p, region_blocks, self.blocks_.edges, stop,
                                                         has_locked=bool(kept))
                    vg = kept + vg
                    vrep["locked_grids"] = len(kept)
                    vrep["grids"] = len(vg)
                else:
                    vg, vrep = self._partition_village(p, region_blocks, e, stop)
                grids.extend(vg)
                village_reports.append(vrep)
            # Locked grids of villages that were merged into others or have no plan of their own.
            for v, kept in sorted(locked_grids.items()):
                grids.extend(kept)
            self.blocks_ = blocks  # the real blocks again, for metrics and for the app's block brush
            t_grids = time.perf_counter() - t0 - t_blocks
            c_grids = time.thread_time() - c0 - c_blocks

            say(0.82, "网格图层 / grid layers")
            self.grids_, self.households_ = self._grid_layers(grids, villages, vnames, vcodes, hhg, crs)
            same: dict[int, int] = {}  # unchanged grids of a redraw: row → previous row
            if self._previous is not None:
                self.changes_ = self._changes_layer(villages, vnames, vcodes, crs)
                for g in grids:  # pieces of blocks cut by locked grids are their blocks again
                    g.blocks = {int(self._parent[b]) for b in g.blocks}
                # A grid holding what it held keeps its outline and (below) its sub-grids.
                unchanged, same = self._unchanged_grids(grids, subgrids=previous_subgrids is not None
                                                        and self.subgrids)
                if unchanged:
                    geoms = np.array(self.grids_.geometry.values, dtype=object)
                    prev_geoms = self._previous.gdf.geometry.values
                    for r, p in unchanged.items():
                        geoms[r] = prev_geoms[p]
                    self.grids_ = self.grids_.set_geometry(gpd.GeoSeries(geoms, crs=self.grids_.crs,
                                                                         index=self.grids_.index))
            work = None
            kept_subs: dict = {}
            if self._previous is not None and self.subgrids:
                from .locked_subgrids import kept_subgrids
                locked_rows = {r: g.prev for r, g in enumerate(grids) if g.locked}
                kept_subs, reports = kept_subgrids(
                    {**locked_rows, **same}, self.grids_["code"].astype(str).tolist(),
                    self._previous.codes, self._assign, self._previous.sub_parts, previous_subgrids, xy, crs=crs,
                    sub_min=self.sub_min, sub_max=self.sub_max, unchanged=set(same))
                # What the report tells of kept sub-grids is of locked grids: unchanged ones have no news.
                locked_codes = {str(self.grids_["code"].iat[r]) for r in locked_rows}
                self._locked_subgrids = [e for e in reports if e["grid"] in locked_codes]
            if workers is not None and self.subgrids:  # the workers start on the sub-grids now
                work = subgrid_work(self.grids_, self._assign)
                work = ([gi for gi in work[0] if gi not in kept_subs], work[1])
                workers.submit(work, self.grids_.geometry.values, self._ctx,
                               dict(sub_min=self.sub_min, sub_max=self.sub_max, sub_target=self.sub_target))
            self.special_grids_ = special_layer(special_rows, self._work_blocks if self._previous is not None
                                                else blocks, villages, vcodes, vnames, crs, self.households_,
                                                self._previous)
            self._add_metrics(layers)
            self.subgrids_ = None
            if self.subgrids:
                say(0.88, "子网格 / sub-grids")
                self.subgrids_, self._sub_assign = draw_subgrids(
                    self.grids_, self.households_, self._assign, self._ctx, sub_min=self.sub_min,
                    sub_max=self.sub_max, sub_target=self.sub_target, stop=stop, workers=workers, work=work,
                    kept=kept_subs)
            t_sub = time.perf_counter() - t0 - t_blocks - t_grids
            c_sub = time.thread_time() - c0 - c_blocks - c_grids
            t_c = time.perf_counter()
            self.corridors_ = corridors.result()
            t_corr = corridors.seconds
            t_corr_wait = time.perf_counter() - t_c
            self.links_, self._links_summary, self._links_missing = None, [], []
            members = layers.get("party_members")
            if members is not None and len(members):
                from .staffing import party_links
                self.links_, self._links_summary, self._links_missing = party_links(self.households_, members, self.grids_,
                                                               min_links=self.link_min, max_links=self.link_max)
                # the roster's rows import skipped (no coordinates) are members too, never linked
                from .staffing import skipped_members
                self._links_missing += skipped_members((getattr(data, "layers", None) or {}).get("party_members"))
            # One geometry type per polygon layer, as the project file holds them (see ..geomtypes).
            from ..geomtypes import one_polygon_type
            self.grids_, self.subgrids_, self.special_grids_, self.changes_ = (
                one_polygon_type(x, always=True) if x is not None else None
                for x in (self.grids_, self.subgrids_, self.special_grids_, self.changes_))
            # Grids in pieces, by the rule validate --grids and the app's check use (..contiguity).
            self._pieces = self._grid_pieces(villages)
            self.report_ = self._report(village_reports, plans, timings={
                "blocks_s": round(t_blocks, 3), "grids_s": round(t_grids, 3), "subgrids_s": round(t_sub, 3),
                "corridors_s": round(t_corr, 3), "corridors_wait_s": round(t_corr_wait, 3),
                "total_s": round(time.perf_counter() - t0, 3),
                # CPU seconds of the thread that ran the fit (the corridors' own thread apart).
                "blocks_cpu_s": round(c_blocks, 3), "grids_cpu_s": round(c_grids, 3), "subgrids_cpu_s": round(c_sub, 3),
                "corridors_cpu_s": round(corridors.cpu_seconds, 3), "total_cpu_s": round(time.thread_time() - c0, 3),
                # The crossing faces cut on a sub-grid worker beside the fit (0 when cut in the metrics).
                "faces_s": round(self._faces_times[0], 3), "faces_cpu_s": round(self._faces_times[1], 3),
                # Sub-grids on worker processes: how many, their CPU seconds, why none were used.
                "subgrid_workers": workers.n if workers is not None and workers.note is None else 1,
                "subgrid_workers_cpu_s": round(workers.cpu_seconds, 3) if workers is not None else 0.0,
                **({"subgrid_workers_note": workers.note} if workers is not None and workers.note else {})})
            say(1.0, "完成 / done")
            finished = True
            return self
        finally:
            if workers is not None:  # idle after a finished fit: wait for them to exit
                workers.close(wait=finished)

    def _partition_village(self, plan, region_blocks, edges, stop):
        lo, hi = plan["bounds"]
        bg = self.blocks_.gdf
        members = set(region_blocks)
        ed = self._edges_among(edges, members, [plan["village"]] + list(plan["guests"]))
        if plan["host"] is None and not plan["guests"]:
            ed = ed[~ed["cross_village"]]
        w = bg["hh"].to_numpy()
        report = {"village": plan["name"], "households": plan["hh"], "status": plan["status"],
                  "bounds": [lo, hi], "applied": plan["applied"], "remedies": plan["remedies"],
                  "guests": plan["guests"], "grids": 0, "unavoidable_hard_crossings": 0,
                  "refined": False, "notes": []}
        grids: list[DraftGrid] = []
        if plan["hh"] == 0 and not plan["guests"]:
            return grids, report
        total = int(w[region_blocks].sum())
        exception = not feasible_grid_counts(total, lo, hi)
        soft = ed[~ed["hard"]]
        g_soft = UnitGraph(w, np.zeros((len(bg), 2)), np.ones(len(bg)), soft["a"], soft["b"], soft["affinity"])
        g_all = UnitGraph(w, np.zeros((len(bg), 2)), np.ones(len(bg)), ed["a"], ed["b"], ed["affinity"])
        # Street and brook parcels (strips) stay out of the cuts; the land across them is joined
        # by edges of their own, and they are shared between the grids around them at the end.
        is_strip = bg["strip"].to_numpy() if "strip" in bg else np.zeros(len(bg), dtype=bool)
        strip_blocks = [b for b in region_blocks if is_strip[b]]
        regions = g_soft.components([b for b in region_blocks if not is_strip[b]] if strip_blocks
                                    else region_blocks)
        if exception:
            # One exceptional grid for the whole village, flagged; never silently. Barriers inside
            # it are crossed because the village is kept whole (the policy), not by choice.
            grids.append(self._whole_grid(plan["village"], region_blocks, "exception", plan["status"], (lo, hi)))
            report["unavoidable_hard_crossings"] = int(
                crossings(SimpleNamespace(edges=ed, gdf=bg), [grids[0].blocks])[0][0])
            report["grids"] = 1
            return grids, report
        if self.pockets == "exception":
            # Areas no grid count fits stay on their side of the barrier, one exceptional grid each.
            kept = []
            for r in regions:
                H = int(w[r].sum())
                if H > 0 and not feasible_grid_counts(H, lo, hi):
                    grids.append(self._whole_grid(plan["village"], r, "exception", "pocket", (lo, hi)))
                    report.setdefault("pockets", []).append({"households": H})
                    report["notes"].append(f"area of {count_en(H, 'household')} enclosed by hard barriers kept as one "
                                           "exceptional grid (pockets='join' joins it across the barrier)")
                else:
                    kept.append(r)
            regions = kept
        # Regions: merge those no grid count fits across hard edges to a neighbour that makes them fit.
        regions, joins, isolated = merge_regions(regions, g_all, w, lo, hi, geoms=bg.geometry.values)
        report["unavoidable_hard_crossings"] = joins
        populated = [r for r in regions if w[r].sum() > 0]
        empty = [b for r in regions if w[r].sum() == 0 for b in r]
        exclaves = []
        for r in populated:
            H = int(w[r].sum())
            if not feasible_grid_counts(H, lo, hi):
                exclaves.append(r)  # cut off from the rest of the village (an exclave)
                continue
            parts, us, refined = self._split_region(r, ed, H, lo, hi, stop)
            report["refined"] |= refined
            if parts is None:
                grids.append(self._whole_grid(plan["village"], r, "exception", "no_cut", (lo, hi)))
                report["notes"].append(f"no cut within bounds found for an area of {count_en(H, 'household')}")
                continue
            for part in parts:
                units = [(int(us.block[u]), int(us.feature[u]), int(us.part[u]), int(us.nparts[u]),
                          int(us.hh[u]), us.geom[u]) for u in part]
                grids.append(DraftGrid(plan["village"], units, {x[0] for x in units}, "ok", "", (lo, hi)))
        joined = []
        for r in exclaves:
            H = int(w[r].sum())
            gi = nearest_grid_with_room(grids, r, bg, H, hi) if grids else None
            if gi is None:
                grids.append(self._whole_grid(plan["village"], r, "exception", "isolated", (lo, hi)))
                report["notes"].append(f"separate part of the village with {count_en(H, 'household')} kept as "
                                       "one exceptional grid")
                continue
            g = grids[gi]
            for b in r:
                g.units.append((int(b), -1, 0, 1, int(w[b]), bg.geometry.values[b]))
                g.blocks.add(int(b))
            g.note = "exclave"
            joined.append((gi, r))
            report.setdefault("exclaves", []).append({"households": H, "joined_to_grid": gi})
            report["notes"].append(f"separate part of the village with {count_en(H, 'household')} joined to the "
                                   "nearest grid with room (the grid has an exclave)")
        attach_empty(grids, empty, g_all, bg)
        if strip_blocks:
            share_strips(grids, strip_blocks, g_all, bg, self.blocks_.strip_border)
        mark_apart(grids, g_all, region_blocks)
        # An exclave reachable from nothing populated can join a grid only across a barrier: the
        # crossings its join adds (through the empty blocks around it) are unavoidable too.
        if joined:
            local = SimpleNamespace(edges=ed, gdf=bg)
            for gi, r in joined:
                full = int(crossings(local, [grids[gi].blocks])[0][0])
                rest = int(crossings(local, [grids[gi].blocks - set(int(b) for b in r)])[0][0])
                report["unavoidable_hard_crossings"] += max(0, full - rest)
        report["grids"] = len(grids)
        return grids, report

    def _edges_among(self, edges, members, villages):
        """Edges with both ends in ``members`` (blocks of ``villages``), found through a per-village
        index so that a county of many villages is not scanned once per village."""
        idx = getattr(self, "_edge_index", None)
        if idx is None or idx[0] is not edges:
            vob = self.blocks_.gdf["village"].to_numpy()
            va = vob[edges["a"].to_numpy()] if len(edges) else np.zeros(0, dtype=np.int64)
            vb = vob[edges["b"].to_numpy()] if len(edges) else np.zeros(0, dtype=np.int64)
            by = {}
            for arr in (va, vb):
                order = np.argsort(arr, kind="stable")
                keys, starts = np.unique(arr[order], return_index=True)
                for kk, s0, s1 in zip(keys.tolist(), starts.tolist(), list(starts[1:]) + [len(arr)]):
                    by.setdefault(kk, []).append(order[s0:s1])
            idx = (edges, {k: unique_ints(np.concatenate(v)) for k, v in by.items()})
            self._edge_index = idx
        cand = [idx[1][v] for v in villages if v in idx[1]]
        if not cand:
            return edges.iloc[:0]
        sub = edges.iloc[unique_ints(np.concatenate(cand))]
        return sub[_both_in(sub, members, len(self.blocks_.gdf))]

    def _split_region(self, region, ed, H, lo, hi, stop):
        """k grids for one region, opening blocks into household units when needed."""
        ks = sorted(feasible_grid_counts(H, lo, hi), key=lambda k: (abs(H / k - self.target), k))
        bg = self.blocks_.gdf
        w = bg["hh"].to_numpy()
        red = ed[_both_in(ed, region, len(bg))]
        # A region in separate pieces (a village in several parts joined because one part alone
        # fits no grid count) is held together by links between the pieces for the solver.
        links = bridge_parts(region, red, bg.geometry.values)
        if len(links):
            red = pd.concat([red, links], ignore_index=True)
        # Hard edges between pockets that had to be joined hold the region together. A hard edge
        # inside one soft-connected piece (a river ending inside the village, say) is not needed
        # for connection: leaving it out keeps grids from being connected only across the river.
        joins = red
        hard = red["hard"].to_numpy()
        if hard.any():
            from scipy.sparse import coo_matrix
            from scipy.sparse.csgraph import connected_components
            loc = {b: i for i, b in enumerate(region)}
            a_l = np.array([loc[b] for b in red["a"].tolist()], dtype=np.int64)
            b_l = np.array([loc[b] for b in red["b"].tolist()], dtype=np.int64)
            n = len(region)
            _, lab = connected_components(coo_matrix((np.ones(int((~hard).sum())), (a_l[~hard], b_l[~hard])),
                                                     shape=(n, n)), directed=False)
            joins = red[~hard | (lab[a_l] != lab[b_l])]
            pocket_of = {b: int(lab[i]) for b, i in loc.items()}
        else:
            pocket_of = {}
        populated = [b for b in region if w[b] > 0]
        # Refinement ladder: whole blocks; blocks above the grid maximum; above a fifth of the
        # window; every populated block.
        ladder = [{b for b in populated if w[b] > hi},
                  {b for b in populated if w[b] > max((hi - lo) // 5, self.sub_max)},
                  set(populated)]
        opened: dict = {}  # household units of the blocks opened so far (see build_unitset)
        for edges in ((joins, red) if len(joins) < len(red) else (red,)):
            seen = []
            for refine in ladder:
                if refine in seen:
                    continue
                seen.append(refine)
                us = build_unitset(self.blocks_, region, edges, refine, unit_max=self.sub_max,
                                   unit_target=self.sub_target, unit_min=self.sub_min, cache=opened,
                                   **self._ctx)
                if len(us.graph.components()) > 1:
                    break  # without those edges the region falls apart: use them all
                # Pockets too small for a grid go into the solver as one unit each, so none is
                # split between grids (each share would be one more crossing); if that leaves no
                # solution, the plain units are tried and shares are moved back afterwards.
                graphs = [(us.graph, None)]
                if pocket_of:
                    cg = contract_pockets(us, pocket_of, lo)
                    if cg is not None:
                        graphs.insert(0, cg)
                for k in ks[:3]:
                    for graph, groups in graphs:
                        parts = partition(graph, range(len(graph)), k, lo, hi, cancelled=stop)
                        if parts is None:
                            continue
                        if groups is not None:
                            parts = [sorted(u for node in p for u in groups[node]) for p in parts]
                        if pocket_of:
                            keep_pockets_whole(parts, us, pocket_of, lo, hi)
                        return parts, us, bool(refine)
        return None, None, True

    def _whole_grid(self, village, blocks, status, note, bounds):
        bg = self.blocks_.gdf
        hh = bg["hh"].to_numpy()
        geoms = bg.geometry.values
        units = [(int(b), -1, 0, 1, int(hh[b]), geoms[b]) for b in blocks]
        return DraftGrid(village, units, set(int(b) for b in blocks), status, note, bounds)

    def _grid_layers(self, grids, villages, vnames, vcodes, hhg, crs):
        bg = self.blocks_.gdf
        fob = self._ctx["features_of_block"]
        n_feat = len(hhg)
        rows = []
        drawn = shared_cells(grids)
        # A locked grid keeps its own polygon; the others are drawn from their cells.
        free = [gi for gi, g in enumerate(grids) if g.geom is None]
        outlines = dissolve_many([drawn[gi] for gi in free])
        geoms = [g.geom for g in grids]
        for gi, geom in zip(free, outlines):
            geoms[gi] = geom
        assign, hh_total = expand_units(grids, fob, self._ctx["hh"])
        for gi, g in enumerate(grids):
            rows.append({"village": vnames[g.village], "village_code": vcodes[g.village],
                         "hh": int(hh_total[gi]), "status": g.status, "note": g.note,
                         "min_hh": g.bounds[0], "max_hh": g.bounds[1]})
        gdf = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=crs)) if rows else \
            gpd.GeoDataFrame({"village": [], "village_code": [], "hh": [], "status": [], "note": [],
                              "min_hh": [], "max_hh": []}, geometry=gpd.GeoSeries([], crs=crs))
        a = pd.DataFrame(assign)
        self._assign = a
        gdf["code"] = assign_codes(gdf, group="village_code")
        if self._previous is not None and len(gdf):
            gdf["code"] = self._carry_codes(grids, gdf, hhg)
        gdf["worker"] = ""  # one grid worker slot per grid (定人定格), filled in by the planner
        gdf["worker_slots"] = 1
        gdf["locked"] = [bool(g.locked) for g in grids]
        a["grid"] = gdf["code"].to_numpy()[a["grid_index"]] if len(a) else []
        self._assign = a
        self._grids_internal = grids
        # Per feature: its grid (the one holding most of its households, ties to the first code —
        # summed over its parts: eight parts of 31 in one grid outweigh one of 32 in another).
        per = (a.groupby(["feature", "grid"], sort=False)["hh"].sum().reset_index()
               .sort_values(["feature", "hh", "grid"], ascending=[True, False, True]).drop_duplicates("feature"))
        hs = hhg.copy()
        hs["grid"] = None
        hs.loc[hs.index[per["feature"].to_numpy()], "grid"] = per["grid"].to_numpy()
        # A building divided between grids (an apartment block by entrance): "code:hh;code:hh".
        hs["grid_parts"] = ""
        multi = a[a.duplicated("feature", keep=False)]
        if len(multi):
            agg = multi.groupby(["feature", "grid"], sort=True)["hh"].sum().reset_index()
            # "code:hh" per (feature, grid), joined per feature in grid order (no frame per group).
            lab = agg["grid"].astype(str) + ":" + agg["hh"].astype(np.int64).astype(str)
            txt = lab.groupby(agg["feature"].to_numpy(), sort=True).agg(";".join)
            txt = txt[agg.groupby("feature")["grid"].nunique() > 1]
            hs.loc[hs.index[txt.index.to_numpy()], "grid_parts"] = txt.to_numpy()
        if len(hs) != n_feat:
            raise AssertionError("household count changed")
        return gdf, hs

    def _subgrid_workers(self, households: int):
        """The worker processes for this fit's sub-grids, or None (see ``processes``)."""
        from ..settings import processes
        from .subgrid_workers import SubgridWorkers, auto_processes
        n = auto_processes(households, self.processes if self.processes is not None else processes())
        return SubgridWorkers(n) if n > 1 and self.subgrids else None

    def _add_metrics(self, layers):
        # The crossing faces drawn on a worker (large plans), collected here whatever the grids.
        job, self._faces_job = self._faces_job, None
        faces = job.result() if job is not None else None
        self._faces_times = (job.seconds, job.cpu_seconds) if job is not None else (0.0, 0.0)
        g = self.grids_
        if not len(g):
            for c in ("area_m2", "polsby_popper", "hard_crossings", "soft_crossings", "max_dist_m",
                      "places", "place_names"):
                g[c] = []
            return
        add_grid_metrics(g, self._grids_internal, self.blocks_, self._ctx, layers, lines=self._lines,
                         points=self._points, assign=self._assign, faces=faces)

    # ------------------------------------------------------------------------------------------
    def _with_terrain(self, data, layers, lines, villages, say):
        """The barrier lines with the ridges of the project's DEM (``terrain``), ``ridges_`` (the
        ridge lines followed, None when none) and ``self._terrain`` for the report (None without
        a DEM)."""
        self._terrain = None
        self.ridges_ = None
        dem = getattr(data, "dem", None)
        if dem is None and villages.crs is not None:
            return self._given_ridges(layers, lines, villages)
        if dem is None or villages.crs is None:
            return lines
        if not self.terrain:
            self._terrain = {"used": False, "dem": str(getattr(dem, "source", ""))}
            return lines
        from .ridgelines import ridge_layer, with_ridge_lines
        say(0.02, "山脊线 / ridge lines")
        lines, ridges, info = with_ridge_lines(lines, villages, dem, hard=self.hard_barriers)
        self._terrain = {"used": True, **info}
        self.ridges_ = ridge_layer(ridges, village_names(villages), dem)
        return lines

    def _given_ridges(self, layers, lines, villages):
        """A batch chunk's ridge lines, traced by the client from the project's DEM
        (:mod:`.batch_ridges`), used as :meth:`_with_terrain` uses its own."""
        from types import SimpleNamespace

        from .batch_ridges import given_ridges
        from .ridgelines import add_ridges, describe, ridge_layer
        given = given_ridges(layers, villages)
        if given is None:
            return lines
        ridges, label = given
        dem = SimpleNamespace(source=label)
        if not self.terrain:
            self._terrain = {"used": False, "dem": label}
            return lines
        # seconds: the client's (the batch's report adds up its own), none spent here
        self._terrain = {"used": True, **describe(ridges, dem, 0.0)}
        self.ridges_ = ridge_layer(ridges, village_names(villages), dem)
        return add_ridges(lines, ridges, hard=self.hard_barriers)

    def _grid_pieces(self, villages) -> dict:
        """:class:`~.contiguity.Pieces` of the drawn grids, by :meth:`~.edit.GridPlan.pieces`."""
        from .edit.plan import GridPlan, village_shapes
        if self.grids_ is None or not len(self.grids_) or "grid" not in self.households_:
            return {}
        plan = GridPlan(self.households_, self.grids_)
        plan.village_shapes = village_shapes(self.grids_, villages)
        return plan.pieces()

    def _report(self, village_reports, plans, timings):
        g = self.grids_
        ok_villages = {r["village"] for r in village_reports if r["status"] == "ok"}
        # Names repeat across townships: infeasible villages carry their code and township too.
        # The remedy applied as fields (remedy, merged_into, relaxed_to) besides its words
        # (applied): readers never parse the words.
        infeasible = [{"village": p["name"], "households": p["hh"], "status": p["status"],
                       "applied": p["applied"], **remedy_fields(p, plans, self._vlabels),
                       "remedies": p["remedies"], **self._vlabels[p["village"]]}
                      for p in plans if p["status"] not in ("ok", "empty")]
        for v in infeasible:  # the remedies in words, Chinese first (the codes above are for programs)
            v.update(remedy_texts(v))
        for r, p in zip(village_reports, [p for p in plans if p["host"] is None]):
            r.setdefault("code", self._vlabels[p["village"]]["code"])
            r.setdefault("township", self._vlabels[p["village"]]["township"])
        # Per village: hard crossings beyond those forced by pockets and exclaves.
        hard_by_village = g.groupby("village")["hard_crossings"].sum().to_dict() if len(g) else {}
        # A locked grid's crossings are the planner's to keep, not the redraw's to avoid.
        locked_hard = g[g["locked"].astype(bool)].groupby("village")["hard_crossings"].sum().to_dict() \
            if len(g) and "locked" in g else {}
        for r in village_reports:
            r["hard_crossings"] = int(hard_by_village.get(r["village"], 0))
            # A locked grid's crossings are unavoidable for the redraw. Crossings are measured on the
            # drawn grids; a join the engine had to make may have ended up crossing nothing (its sides
            # in different grids): never more unavoidable crossings than there are.
            r["unavoidable_hard_crossings"] = min(int(r["unavoidable_hard_crossings"])
                                                  + int(locked_hard.get(r["village"], 0)), r["hard_crossings"])
            r["avoidable_hard_crossings"] = max(0, r["hard_crossings"] - r["unavoidable_hard_crossings"])
        plan = plan_figures(g, self.subgrids_, self.special_grids_, self.corridors_,
                            feasible=g["village"].isin(ok_villages), villages=len(plans), infeasible=infeasible,
                            village_reports=village_reports, sub_bounds=(self.sub_min, self.sub_max))
        cols = [c for c in ("code", "village", "hh", "status", "note", "area_m2", "polsby_popper",
                            "hard_crossings", "soft_crossings", "max_dist_m", "places", "place_names",
                            "n_subgrids") if c in g]
        plan["merged_villages"] = merged_villages(plans, self._vlabels)
        vil = dict(zip(g["code"].astype(str), g["village"].astype(str))) if len(g) else {}
        pieces = getattr(self, "_pieces", {})
        # Grids in pieces: not contiguous (an error of the drawing), or only because the village is.
        plan["grids_not_contiguous"] = [{"code": c, "village": vil.get(c, ""), "pieces": p.pieces,
                                         "village_parts": p.village_parts}
                                        for c, p in sorted(pieces.items()) if p.kind == "split"]
        plan["grids_in_village_parts"] = [{"code": c, "village": vil.get(c, ""), "pieces": p.pieces,
                                           "village_parts": p.village_parts, "village_total": p.village_total}
                                          for c, p in sorted(pieces.items()) if p.kind == "village_parts"]
        if getattr(self, "_terrain", None) is not None:
            plan["terrain"] = self._terrain
        if getattr(self, "_special_skipped", None):
            plan["special_places_without_area"] = list(self._special_skipped)
        if self._previous is not None:
            plan["redraw"] = dict(getattr(self, "_redraw_stats", {}), villages=getattr(self, "_change_rows", []),
                                  locked_subgrids=getattr(self, "_locked_subgrids", []))
        if self.links_ is not None:
            short = [n for r in self._links_summary for n in r["members_under_min"]]
            linked = int(sum(r["households_linked"] for r in self._links_summary))
            total = int(self.households_["hh"].fillna(0).sum())
            # One total: households linked + not linked = every household imported.
            placed = int(sum(r["members"] for r in self._links_summary))
            plan["party_links"] = {"members": placed, "members_total": placed + len(self._links_missing),
                                   "links": len(self.links_),
                                   "households_linked": linked, "households_unlinked": total - linked,
                                   "households_total": total,
                                   "min_links": self.link_min, "members_under_min": len(short), "members_under_min_ids": short,
                                   "members_not_linked": list(self._links_missing)}
        return {"parameters": self.get_params(), "plan": plan, "timings": timings,
                "villages": village_reports,
                "grids": json_rows(g[cols])}


def _both_in(edges: pd.DataFrame, members, n: int) -> np.ndarray:
    """Mask of the ``edges`` whose two blocks are among ``members`` (of ``n`` blocks): a lookup
    table instead of two ``isin`` on a set, which hashes the set again for every region."""
    inside = np.zeros(n, dtype=bool)
    inside[np.fromiter(members, dtype=np.int64, count=len(members))] = True
    if not len(edges):
        return np.zeros(0, dtype=bool)
    return inside[edges["a"].to_numpy()] & inside[edges["b"].to_numpy()]


def _village_of_features(blocks) -> np.ndarray:
    """Each household feature's village row; -1 outside every village and in special places
    (their households are a special grid's, never snapped into a base grid of the previous plan)."""
    hb = blocks.household_block
    g = blocks.gdf
    ok = hb >= 0
    b = np.maximum(hb, 0)
    return np.where(ok & (g["special"].to_numpy()[b] < 0), g["village"].to_numpy()[b], -1)


def _corridors_and_faces(corridor_args, faces_args):
    """:func:`.corridors.draw_corridors` then :func:`.geomcheck.crossing_faces`, one after the
    other on one sub-grid worker, each with its own seconds (see :class:`_Part`)."""
    t, c = time.perf_counter(), time.process_time()
    corr = draw_corridors(*corridor_args)
    t2, c2 = time.perf_counter(), time.process_time()
    faces = crossing_faces(*faces_args)
    return (corr, t2 - t, c2 - c), (faces, time.perf_counter() - t2, time.process_time() - c2)


class _Part:
    """One of the two results of :func:`_corridors_and_faces` on a worker, as a job with
    ``result()``, ``seconds`` and ``cpu_seconds``."""

    def __init__(self, remote, i: int):
        self._remote, self._i = remote, i
        self.seconds = self.cpu_seconds = 0.0

    def result(self):
        out, self.seconds, self.cpu_seconds = self._remote.result()[self._i]
        return out


class _Background:
    """``fn(*args)`` on a daemon thread; ``result()`` waits and re-raises its exception here.
    A daemon thread, so that a cancelled fit does not keep the program from exiting."""

    def __init__(self, fn, *args):
        import threading
        self._out, self._err, self.seconds, self.cpu_seconds = None, None, 0.0, 0.0

        def run():
            t, c = time.perf_counter(), time.thread_time()
            try:
                self._out = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - re-raised in result()
                self._err = exc
            self.seconds = time.perf_counter() - t
            self.cpu_seconds = time.thread_time() - c

        self._thread = threading.Thread(target=run, name="gridtool-corridors", daemon=True)
        self._thread.start()

    def result(self):
        self._thread.join()
        if self._err is not None:
            raise self._err
        return self._out
