"""``GridPartitioner``: villages into base grids (基础网格) and sub-grids (子网格), estimator-style.

>>> gp = GridPartitioner(min_hh=300, max_hh=500, target=400, seed=0)
>>> gp.fit(project)                # or a dict of GeoDataFrames by role
>>> gp.grids_, gp.subgrids_, gp.report_

Per village: blocks from barriers (:mod:`.blocks`) → *regions* that no hard barrier crosses →
for each region, k grids within [min, max] by recursive bisection (:mod:`.solver`), opening blocks
into household units when whole blocks cannot meet the bounds → blocks without households joined
to the grid they border most → sub-grids inside each grid the same way on household units.

A region whose total cannot be split within the bounds is joined across the hard barrier to the
neighbouring region that makes it feasible (the crossing is counted and reported as unavoidable).
A village whose total cannot be split at all is never forced silently: it is named in the report
with its remedies (keep as one exceptional grid, merge with a neighbour, relax the bounds), and
the policy chosen (``infeasible=``, ``merge=``, ``relax=``) is applied and recorded.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable, Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import CancelledError, EmptyLayerError, MissingColumnError
from ..roles import PLACE_CATEGORIES
from ..spatial import household_points
from .barriers import DEFAULT_HARD, barrier_lines
from .blocks import Blocks, build_blocks
from .feasibility import diagnose, feasible_grid_counts
from .shapes import dissolve, dissolve_many, expand_units
from .solver import UnitGraph, partition
from .unitset import UnitSet, build_unitset

#: Place categories carved out as special grids (专属网格) by default.
SPECIAL_CATEGORIES = ("school", "hospital", "market", "enterprise")

INFEASIBLE_POLICIES = ("exception", "relax", "merge")
#: What to do with an area enclosed by hard barriers that no grid count fits (a hamlet across the
#: river with 60 households): join it across the barrier to the neighbour that makes it fit
#: ("join", counted as an unavoidable crossing), or keep it as one exceptional grid ("exception",
#: named in the report; then no hard barrier is ever crossed).
POCKET_POLICIES = ("join", "exception")


@dataclass
class _Grid:
    village: int
    units: list  # (block, feature, part, nparts, hh, geom) rows
    blocks: set = field(default_factory=set)
    status: str = "ok"
    note: str = ""
    bounds: tuple[int, int] = (300, 500)
    locked: bool = False
    prev: int = -1  # row of the previous plan a locked grid keeps
    geom: object = None  # a locked grid's polygon, kept exactly


class GridPartitioner:
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
        the homes around it (see :meth:`_special_places`).
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
    """

    def __init__(self, *, min_hh: int = 300, max_hh: int = 500, target: int = 400,
                 sub_min: int = 20, sub_max: int = 40, sub_target: int = 30,
                 hard_barriers: Iterable[str] = DEFAULT_HARD,
                 special_categories: Iterable[str] = SPECIAL_CATEGORIES, special_radius: float = 30.0,
                 corridor_width: float = 50.0, infeasible: str = "exception",
                 merge: dict[str, str] | None = None, relax: dict[str, tuple[int, int]] | None = None,
                 subgrids: bool = True, link_min: int = 10, link_max: int = 15, seed: int = 0,
                 pockets: str = "join"):
        if not (0 < min_hh <= max_hh):
            raise ValueError(f"bounds must satisfy 0 < min <= max, got {min_hh}-{max_hh}")
        if not (0 < sub_min <= sub_max):
            raise ValueError(f"sub-grid bounds must satisfy 0 < min <= max, got {sub_min}-{sub_max}")
        if infeasible not in INFEASIBLE_POLICIES:
            raise ValueError(f"infeasible must be one of {INFEASIBLE_POLICIES}, got {infeasible!r}")
        if pockets not in POCKET_POLICIES:
            raise ValueError(f"pockets must be one of {POCKET_POLICIES}, got {pockets!r}")
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

    def get_params(self) -> dict:
        return {"min_hh": self.min_hh, "max_hh": self.max_hh, "target": self.target,
                "sub_min": self.sub_min, "sub_max": self.sub_max, "sub_target": self.sub_target,
                "hard_barriers": list(self.hard_barriers), "special_categories": list(self.special_categories),
                "special_radius": self.special_radius, "corridor_width": self.corridor_width,
                "infeasible": self.infeasible, "merge": self.merge,
                "relax": {k: list(v) for k, v in self.relax.items()}, "subgrids": self.subgrids,
                "link_min": self.link_min, "link_max": self.link_max,
                "seed": self.seed, "pockets": self.pockets}

    # ------------------------------------------------------------------------------------------
    def fit(self, data, *, previous: gpd.GeoDataFrame | None = None, locked: Iterable[str] = (),
            match: str = "auto", previous_households: gpd.GeoDataFrame | None = None, fresh: bool = False,
            progress: Callable[[float, str], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> "GridPartitioner":
        """Partition ``data`` (a :class:`~gridtool.project.Project` or ``{role: GeoDataFrame}``).

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
        layers = _layers_of(data)
        say = progress or (lambda f, m: None)
        stop = cancelled or (lambda: False)
        hhg, villages = _check_inputs(layers)
        # Counts that are not numbers or absurd (1e12), rosters pasted twice, one ID on two rows,
        # a village of millions: refused here (BlockingDataError, exit 2) rather than counted
        # wrong or partitioned forever. A Project gives the messages their file and layer names.
        from ..validate import check_partition_ready
        check_partition_ready(data if hasattr(data, "layers") and isinstance(data.layers, dict) else layers)
        crs = villages.crs
        pts = household_points(hhg).values
        hh = hhg["hh"].to_numpy(dtype=float)
        hh = np.where(np.isfinite(hh) & (hh > 0), np.rint(hh), 0).astype(np.int64)
        xy = shapely.get_coordinates(pts)

        say(0.02, "构建街区 / building blocks")
        strips: list = []
        lines = barrier_lines(layers, hard=self.hard_barriers, strips=strips)
        vnames = _village_names(villages)
        vcodes = _village_codes(villages)
        self._vnames = vnames
        self._hh_all = hh
        self._vlabels = _village_labels(villages, vnames, vcodes)
        # Corridors need only the lines and villages, and their GEOS work releases the GIL: they
        # are drawn on a second thread while blocks, grids and sub-grids are made on this one.
        corridors = _Background(self._corridors, layers, lines, villages, vcodes, vnames, crs)
        special_geoms, special_rows = self._special_places(layers, villages, hhg, pts)
        blocks = build_blocks(villages, pts, hh, lines,
                              special=special_geoms if len(special_geoms) else None, strips=strips)
        self.blocks_ = blocks
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
        self.changes_ = None
        locked_grids: dict[int, list[_Grid]] = {}
        gone = np.zeros(len(blocks.gdf), dtype=bool)
        if previous is not None and len(previous):
            from .previous import match_previous
            say(0.03, "匹配上一版网格 / matching the previous plan")
            pv = match_previous(previous, hhg, hh, crs=crs, locked=locked, match=match,
                                previous_households=previous_households)
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
        plain = e[~e["cross_village"]] if len(e) else e
        village_of_block = bg["village"].to_numpy()
        is_special = bg["special"].to_numpy() >= 0

        # Village totals (all households, locked ones too) and the policy for those no number of
        # grids fits.
        ob = blocks.gdf
        vt = np.bincount(ob["village"].to_numpy(), weights=np.where(ob["special"].to_numpy() >= 0, 0, ob["hh"].to_numpy()),
                         minlength=len(villages)).astype(np.int64)
        plans = self._village_plans(vt, vnames, villages, plain, e, village_of_block, is_special)

        grids: list[_Grid] = []
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
                if fresh:
                    vg, vrep = self._partition_village(dict(p, hh=int(self.blocks_.gdf["hh"].to_numpy()[region_blocks].sum())),
                                                       region_blocks, self.blocks_.edges, stop)
                else:
                    vg, vrep = self._redraw_village(p, region_blocks, self.blocks_.edges, stop)
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
        if self._previous is not None:
            self.changes_ = self._changes_layer(villages, vnames, vcodes, crs)
            for g in grids:  # pieces of blocks cut by locked grids are their blocks again
                g.blocks = {int(self._parent[b]) for b in g.blocks}
        self.special_grids_ = self._special_layer(special_rows, self._work_blocks if self._previous is not None
                                                  else blocks, villages, vcodes, vnames, crs)
        self._add_metrics(layers)
        self.subgrids_ = None
        if self.subgrids:
            say(0.88, "子网格 / sub-grids")
            self.subgrids_ = self._subgrids(stop)
        t_sub = time.perf_counter() - t0 - t_blocks - t_grids
        c_sub = time.thread_time() - c0 - c_blocks - c_grids
        t_c = time.perf_counter()
        self.corridors_ = corridors.result()
        t_corr = corridors.seconds
        t_corr_wait = time.perf_counter() - t_c
        self.links_, self._links_summary = None, []
        members = layers.get("party_members")
        if members is not None and len(members):
            from .staffing import party_links
            self.links_, self._links_summary = party_links(self.households_, members, self.grids_,
                                                           min_links=self.link_min, max_links=self.link_max)
        self.report_ = self._report(village_reports, plans, timings={
            "blocks_s": round(t_blocks, 3), "grids_s": round(t_grids, 3), "subgrids_s": round(t_sub, 3),
            "corridors_s": round(t_corr, 3), "corridors_wait_s": round(t_corr_wait, 3),
            "total_s": round(time.perf_counter() - t0, 3),
            # CPU seconds of the thread that ran the fit (the corridors' own thread apart).
            "blocks_cpu_s": round(c_blocks, 3), "grids_cpu_s": round(c_grids, 3), "subgrids_cpu_s": round(c_sub, 3),
            "corridors_cpu_s": round(corridors.cpu_seconds, 3), "total_cpu_s": round(time.thread_time() - c0, 3)})
        say(1.0, "完成 / done")
        return self

    # ------------------------------------------------------------------------------------------
    def _village_plans(self, vt, vnames, villages, plain, edges, village_of_block, is_special):
        """For every village: its bounds, status and remedies; merged villages point to their host."""
        name_to_row = {n: i for i, n in enumerate(vnames)}
        plans = [{"village": i, "name": vnames[i], "hh": int(vt[i]), "bounds": (self.min_hh, self.max_hh),
                  "status": diagnose(int(vt[i]), self.min_hh, self.max_hh) if vt[i] > 0 else "empty",
                  "host": None, "guests": [], "remedies": {}, "applied": None}
                 for i in range(len(vt))]
        neighbours = _village_neighbours(edges, village_of_block, len(vt))
        for p in plans:
            if p["status"] in ("ok", "empty"):
                continue
            p["remedies"] = self._remedies(p, plans, neighbours, vnames)
        # Explicit choices first, then the default policy.
        for guest, host in self.merge.items():
            if guest not in name_to_row or host not in name_to_row:
                missing = guest if guest not in name_to_row else host
                raise MissingColumnError(
                    f"合并参数中的村（社区）“{missing}”不存在", f"village {missing!r} named in merge= does not exist",
                    fix_zh="检查村名是否与村界图层的 name 字段一致。",
                    fix_en="check the name against the villages layer's name column.", field="name")
            g, h = name_to_row[guest], name_to_row[host]
            plans[g]["host"] = h
            plans[g]["applied"] = f"merged into {vnames[h]}"
            plans[h]["guests"].append(g)
        for name, (lo, hi) in self.relax.items():
            if name in name_to_row:
                plans[name_to_row[name]]["bounds"] = (lo, hi)
                plans[name_to_row[name]]["applied"] = f"relaxed to {lo}-{hi}"
        for p in plans:
            if p["status"] in ("ok", "empty") or p["applied"] or p["host"] is not None:
                continue
            if self.infeasible == "relax":
                lo, hi = p["remedies"]["relax"]
                p["bounds"] = (lo, hi)
                p["applied"] = f"relaxed to {lo}-{hi}"
            elif self.infeasible == "merge" and p["remedies"].get("merge"):
                h = name_to_row[p["remedies"]["merge"][0]["village"]]
                if plans[h]["host"] is None and not plans[p["village"]]["guests"]:
                    p["host"] = h
                    p["applied"] = f"merged into {vnames[h]}"
                    plans[h]["guests"].append(p["village"])
            if not p["applied"]:
                p["applied"] = "exception"
        return plans

    def _remedies(self, p, plans, neighbours, vnames):
        H = p["hh"]
        lo, hi = self.min_hh, self.max_hh
        merge = []
        for nb in sorted(neighbours.get(p["village"], ())):
            tot = H + plans[nb]["hh"]
            if feasible_grid_counts(tot, lo, hi):
                merge.append({"village": vnames[nb], "households": tot,
                              "grids": len(feasible_grid_counts(tot, lo, hi)) and
                              _choose_k(tot, lo, hi, self.target)})
        merge.sort(key=lambda m: (abs(m["households"] / max(m["grids"], 1) - self.target), m["village"]))
        if H < lo:
            relax = (H, hi)
        else:  # between k·max and (k+1)·min: lower min so k+1 grids fit, or raise max so k do
            k = H // hi
            relax = (H // (k + 1), hi)
        return {"exception": f"one grid of {H} households", "merge": merge, "relax": relax}

    # ------------------------------------------------------------------------------------------
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
        grids: list[_Grid] = []
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
                    report["notes"].append(f"area of {H} households enclosed by hard barriers kept as one "
                                           "exceptional grid (pockets='join' joins it across the barrier)")
                else:
                    kept.append(r)
            regions = kept
        # Regions: merge those no grid count fits across hard edges to a neighbour that makes them fit.
        regions, joins, isolated = _merge_regions(regions, g_all, w, lo, hi, geoms=bg.geometry.values)
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
                report["notes"].append(f"no cut within bounds found for an area of {H} households")
                continue
            for part in parts:
                units = [(int(us.block[u]), int(us.feature[u]), int(us.part[u]), int(us.nparts[u]),
                          int(us.hh[u]), us.geom[u]) for u in part]
                grids.append(_Grid(plan["village"], units, {x[0] for x in units}, "ok", "", (lo, hi)))
        joined = []
        for r in exclaves:
            H = int(w[r].sum())
            gi = _nearest_grid_with_room(grids, r, bg, H, hi) if grids else None
            if gi is None:
                grids.append(self._whole_grid(plan["village"], r, "exception", "isolated", (lo, hi)))
                report["notes"].append(f"separate part of the village with {H} households kept as "
                                       "one exceptional grid")
                continue
            g = grids[gi]
            for b in r:
                g.units.append((int(b), -1, 0, 1, int(w[b]), bg.geometry.values[b]))
                g.blocks.add(int(b))
            g.note = "exclave"
            joined.append((gi, r))
            report.setdefault("exclaves", []).append({"households": H, "joined_to_grid": gi})
            report["notes"].append(f"separate part of the village with {H} households joined to the "
                                   "nearest grid with room (the grid has an exclave)")
        _attach_empty(grids, empty, g_all, bg)
        if strip_blocks:
            _share_strips(grids, strip_blocks, g_all, bg, self.blocks_.strip_border)
        _mark_apart(grids, g_all, region_blocks)
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
            idx = (edges, {k: np.unique(np.concatenate(v)) for k, v in by.items()})
            self._edge_index = idx
        cand = [idx[1][v] for v in villages if v in idx[1]]
        if not cand:
            return edges.iloc[:0]
        sub = edges.iloc[np.unique(np.concatenate(cand))]
        return sub[sub["a"].isin(members) & sub["b"].isin(members)]

    def _split_region(self, region, ed, H, lo, hi, stop):
        """k grids for one region, opening blocks into household units when needed."""
        ks = sorted(feasible_grid_counts(H, lo, hi), key=lambda k: (abs(H / k - self.target), k))
        bg = self.blocks_.gdf
        w = bg["hh"].to_numpy()
        rset = set(region)
        red = ed[ed["a"].isin(rset) & ed["b"].isin(rset)]
        # A region in separate pieces (a village in several parts joined because one part alone
        # fits no grid count) is held together by links between the pieces for the solver.
        links = _bridge_parts(region, red, bg.geometry.values)
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
                    cg = _contract_pockets(us, pocket_of, lo)
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
                            _keep_pockets_whole(parts, us, pocket_of, lo, hi)
                        return parts, us, bool(refine)
        return None, None, True

    def _whole_grid(self, village, blocks, status, note, bounds):
        bg = self.blocks_.gdf
        hh = bg["hh"].to_numpy()
        geoms = bg.geometry.values
        units = [(int(b), -1, 0, 1, int(hh[b]), geoms[b]) for b in blocks]
        return _Grid(village, units, set(int(b) for b in blocks), status, note, bounds)

    # ------------------------------------------------------------------------------------------
    def _locked_grids(self, pv, blocks, villages, vnames) -> dict[int, list[_Grid]]:
        """One grid per locked code, made of exactly the households the previous plan gave it
        (shares of divided buildings included) and its previous polygon; by village."""
        hb = blocks.household_block
        vob = blocks.gdf["village"].to_numpy()
        geoms = shapely.make_valid(pv.gdf.geometry.values)
        vgeoms = villages.geometry.values
        out: dict[int, list[_Grid]] = {}
        for p, members in pv.locked_members().items():
            votes: dict[int, int] = {}
            for f, n in members:
                if hb[f] >= 0:
                    votes[int(vob[hb[f]])] = votes.get(int(vob[hb[f]]), 0) + n
            if votes:
                v = max(votes, key=lambda x: (votes[x], -x))
            else:  # a locked grid without households: the village its polygon lies in
                v = int(np.argmax(shapely.area(shapely.intersection(vgeoms, geoms[p])))) if len(vgeoms) else 0
            lo, hi = self.relax.get(vnames[v], (self.min_hh, self.max_hh))
            units = [(int(hb[f]), int(f), 0, 1, int(n), geoms[p]) for f, n in members]
            tot = sum(n for _, n in members)
            g = _Grid(v, units, {int(hb[f]) for f, _ in members if hb[f] >= 0}, "ok", "locked", (lo, hi),
                      locked=True, prev=int(p), geom=geoms[p])
            if not lo <= tot <= hi:
                g.status = "exception"
                g.note = f"locked, {tot} households outside {lo}-{hi}"
            out.setdefault(v, []).append(g)
        return out

    def _free_view(self, pv, blocks):
        """The blocks as the unlocked grids of a redraw see them: without the households of locked
        grids (a block shared with a locked grid keeps only its other households) and cut back to
        outside the locked polygons, so no grid is drawn over a locked one. A block that a locked
        polygon cuts in pieces becomes one block per piece (rows appended; ``self._parent`` maps
        them back), so a grid holding households on both sides is seen to be in pieces. The
        context's households per feature and features per block change with them.

        Returns the view and, per view block, whether nothing is left of it (inside a locked
        polygon, no households of the other grids)."""
        hh = self._ctx["hh"]
        xy = self._ctx["points_xy"]
        lk = pv.locked_hh()
        free_hh = np.maximum(hh - lk, 0)
        hb = blocks.household_block.copy()
        bg = blocks.gdf
        n0 = len(bg)
        all_locked = (lk > 0) & (free_hh == 0)
        self._redraw_flags = dict(pv.flags)
        geoms = np.array(bg.geometry.values, dtype=object)
        parent = np.arange(n0)
        edges = blocks.edges
        new_rows: list[int] = []  # parent of each appended piece
        new_geoms: list = []
        gone = np.zeros(n0, dtype=bool)
        if pv.locked:
            lu = shapely.union_all(shapely.make_valid(pv.gdf.geometry.values[sorted(pv.locked)]))
            hit = shapely.STRtree(geoms).query(lu, predicate="intersects")
            hit = hit[bg["special"].to_numpy()[hit] < 0]  # special grids keep their place
            if len(hit):
                inb = (hb >= 0) & ~all_locked
                has_hh = np.bincount(hb[inb], weights=free_hh[inb], minlength=n0)[hit] > 0
                cut = shapely.difference(geoms[hit], lu)
                # Slivers along borders the locked polygon shares (drawn on another grid, or by
                # hand) are no land: an opening of 5 cm removes them.
                opened = shapely.buffer(shapely.buffer(cut, -0.05, join_style="mitre"), 0.05, join_style="mitre")
                cut = shapely.intersection(opened, cut)
                empty = np.array([not any(shapely.area(q) > 1.0 for q in shapely.get_parts(c)) for c in cut])
                gone[hit[empty & ~has_hh]] = True
                # Households of unlocked grids inside a locked polygon (added since, or drawn over
                # by another system) stay in unlocked grids (a block they fill keeps its shape);
                # the report counts them.
                idx = np.flatnonzero((free_hh > 0) & (hb >= 0))
                within = shapely.contains_xy(lu, xy[idx, 0], xy[idx, 1])
                self._redraw_flags["households_inside_locked"] = int(free_hh[idx[within]].sum())
                pieces_of = {}
                for b, c in zip(hit[~empty].tolist(), cut[~empty]):
                    parts = [q for q in shapely.get_parts(c) if shapely.area(q) > 1.0]
                    if len(parts) <= 1:
                        geoms[b] = parts[0] if parts else c
                        continue
                    geoms[b] = parts[0]
                    ids = [b]
                    for q in parts[1:]:
                        ids.append(n0 + len(new_rows))
                        new_rows.append(b)
                        new_geoms.append(q)
                    pieces_of[b] = ids
                allg = np.concatenate([geoms, np.array(new_geoms, dtype=object)]) if new_geoms else geoms
                # Households of a cut block go to the piece they lie in (else the nearest).
                for b, ids in pieces_of.items():
                    fs = np.flatnonzero(hb == b)
                    if not len(fs):
                        continue
                    pts = shapely.points(xy[fs])
                    d = np.stack([shapely.distance(allg[i], pts) for i in ids], axis=1)
                    hb[fs] = np.asarray(ids)[np.argmin(d, axis=1)]
                parent = np.concatenate([parent, np.asarray(new_rows, dtype=np.int64)])
                gone = np.concatenate([gone, np.zeros(len(new_rows), dtype=bool)])
                geoms = allg
                if len(edges):
                    changed = np.zeros(n0, dtype=bool)
                    changed[hit] = True
                    ea, eb = edges["a"].to_numpy(), edges["b"].to_numpy()
                    keep = ~(gone[ea] | gone[eb]) & ~(changed[ea] | changed[eb])
                    rows = [edges[keep]]
                    chk = np.flatnonzero(~(gone[ea] | gone[eb]) & (changed[ea] | changed[eb]))
                    if len(chk):
                        # Every pair of pieces of the two blocks that still touch; blocks that
                        # touched only along what a locked grid covers now are apart.
                        src, pa, pb = [], [], []
                        for k in chk.tolist():
                            for x in pieces_of.get(int(ea[k]), [int(ea[k])]):
                                for y in pieces_of.get(int(eb[k]), [int(eb[k])]):
                                    src.append(k)
                                    pa.append(x)
                                    pb.append(y)
                        src, pa, pb = np.asarray(src), np.asarray(pa), np.asarray(pb)
                        ok = shapely.dwithin(geoms[pa], geoms[pb], 0.05)
                        sub = edges.iloc[src[ok]].copy()
                        lo_, hi_ = np.minimum(pa[ok], pb[ok]), np.maximum(pa[ok], pb[ok])
                        sub["a"], sub["b"] = lo_, hi_
                        rows.append(sub)
                    edges = pd.concat(rows, ignore_index=True)
        self._parent = parent
        gdf = bg.iloc[parent].reset_index(drop=True)
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, crs=bg.crs))
        inb = (hb >= 0) & ~all_locked
        gdf["hh"] = np.rint(np.bincount(hb[inb], weights=free_hh[inb], minlength=len(gdf))).astype(np.int64)
        gdf["n_features"] = np.bincount(hb[inb], minlength=len(gdf))
        gdf["area"] = shapely.area(geoms)
        order = np.argsort(hb, kind="stable")
        bounds = np.searchsorted(hb[order], np.arange(len(gdf) + 1))
        fob = {}
        for b in range(len(gdf)):
            fs = order[bounds[b]:bounds[b + 1]]
            fs = fs[~all_locked[fs]]
            if len(fs):
                fob[b] = fs
        self._ctx = dict(self._ctx, hh=free_hh, features_of_block=fob)
        # Where each block starts in a redraw when no household says: the unlocked previous grid
        # holding a point inside it.
        rep = shapely.point_on_surface(np.where(gone, np.array(bg.geometry.values, dtype=object)[parent], geoms))
        bi, pi = shapely.STRtree(pv.gdf.geometry.values).query(rep, predicate="within")
        bprev = np.full(len(gdf), -1, dtype=np.int64)
        bprev[bi] = pi
        bprev[np.isin(bprev, list(pv.locked))] = -1
        self._block_prev = bprev
        self._start = np.array([pv.start_label(f) for f in range(len(hh))], dtype=np.int64)
        self._work_blocks = Blocks(gdf=gdf, edges=edges, household_block=hb)
        return self._work_blocks, gone

    def _unit_labels(self, us) -> np.ndarray:
        """The unlocked previous grid of each unit: a building's units take its previous shares
        (largest first), a whole block the grid most of its households were in."""
        pv = self._previous
        start = self._start
        fob = self._ctx["features_of_block"]
        hh = self._ctx["hh"]
        labels = np.full(len(us), -1, dtype=np.int64)
        by_f: dict[int, list[int]] = {}
        for u in np.flatnonzero(us.feature >= 0).tolist():
            by_f.setdefault(int(us.feature[u]), []).append(u)
        for f, units in by_f.items():
            left = dict(pv.free_parts(f))
            if not left:
                labels[units] = start[f]
                continue
            for u in sorted(units, key=lambda x: (-int(us.hh[x]), x)):
                p = max(left, key=lambda q: (left[q], -q))
                labels[u] = p
                left[p] -= int(us.hh[u])
        for u in np.flatnonzero(us.feature < 0).tolist():
            b = int(us.block[u])
            votes: dict[int, int] = {}
            for f in fob.get(b, ()):
                for p, n in pv.free_parts(int(f)):
                    votes[p] = votes.get(p, 0) + n
            if not votes:
                for f in fob.get(b, ()):
                    if start[f] >= 0:
                        votes[int(start[f])] = votes.get(int(start[f]), 0) + max(int(hh[f]), 1)
            labels[u] = max(votes, key=lambda q: (votes[q], -q)) if votes else self._block_prev[b]
        return labels

    def _redraw_village(self, plan, region_blocks, edges, stop):
        """Previous grids kept where they are within bounds; repaired with few moves otherwise.
        Works on the unlocked households only (locked grids are made by :meth:`_locked_grids`)."""
        lo, hi = plan["bounds"]
        bg = self.blocks_.gdf
        w = bg["hh"].to_numpy()
        report = {"village": plan["name"], "households": plan["hh"], "status": plan["status"],
                  "bounds": [lo, hi], "applied": plan["applied"], "remedies": plan["remedies"],
                  "guests": plan["guests"], "grids": 0, "unavoidable_hard_crossings": 0,
                  "refined": False, "notes": [], "redraw": "repaired"}
        grids: list[_Grid] = []
        free = list(region_blocks)
        if not free:
            return grids, report
        members = set(free)
        ed = self._edges_among(edges, members, [plan["village"]] + list(plan["guests"]))
        if plan["host"] is None and not plan["guests"]:
            ed = ed[~ed["cross_village"]]
        H = int(w[free].sum())
        # Areas enclosed by hard barriers that no grid count fits are joined across them, as in
        # a partition: those crossings are unavoidable.
        soft = ed[~ed["hard"]]
        g_soft = UnitGraph(w, np.zeros((len(bg), 2)), np.ones(len(bg)), soft["a"], soft["b"], soft["affinity"])
        g_all = UnitGraph(w, np.zeros((len(bg), 2)), np.ones(len(bg)), ed["a"], ed["b"], ed["affinity"])
        report["unavoidable_hard_crossings"] = _merge_regions(g_soft.components(free), g_all, w, lo, hi)[1]
        fresh = False
        if H == 0:
            # Nothing left to draw (every household is in a locked grid): the empty blocks go
            # with no grid; the locked grids keep their own polygons.
            report["redraw"] = "locked only"
            return grids, report
        elif not feasible_grid_counts(H, lo, hi) and not self._previous.locked:
            fresh = True
        else:
            fob = self._ctx["features_of_block"]
            start = self._start
            # Blocks whose households started in different grids are opened into household units.
            split = [b for b in free if len(fob.get(b, ())) and len(set(start[fob[b]].tolist()) - {-1}) > 1]
            opened: dict = {}  # household units of the blocks opened so far (see build_unitset)
            for refine in (split, split + [b for b in free if w[b] > hi], [b for b in free if w[b] > 0]):
                us = build_unitset(self.blocks_, free, ed, set(refine), unit_max=self.sub_max,
                                   unit_target=self.sub_target, unit_min=self.sub_min, cache=opened,
                                   **self._ctx)
                done = self._repair_units(us, lo, hi, stop)
                if done is None:
                    continue
                labels, apart, moved = done
                pieces = {}
                for comp in us.graph.components():
                    for lab in set(labels[comp].tolist()) - {-1}:
                        pieces[lab] = pieces.get(lab, 0) + 1
                for lab in np.unique(labels[labels >= 0]):
                    part = np.flatnonzero(labels == lab)
                    units = [(int(us.block[u]), int(us.feature[u]), int(us.part[u]), int(us.nparts[u]),
                              int(us.hh[u]), us.geom[u]) for u in part]
                    grids.append(_Grid(plan["village"], units, {x[0] for x in units}, "ok",
                                       "exclave" if pieces.get(int(lab), 1) > 1 else "", (lo, hi)))
                self._place_apart(grids, us, apart, plan, report, lo, hi)
                report["units_moved"] = moved
                report["refined"] = bool(refine)
                break
            else:
                fresh = True
        if fresh:
            report["redraw"] = "from scratch"
            sub = dict(plan, hh=H)
            vg, vrep = self._partition_village(sub, free, edges, stop)
            grids.extend(vg)
            report["notes"].extend(vrep["notes"])
        report["grids"] = len(grids)
        return grids, report

    def _repair_units(self, us, lo, hi, stop):
        """Labels for the units of one village's unlocked part, starting from the previous plan and
        repaired into [lo, hi]; None when no repair fits (then the caller refines or starts afresh).

        Locked grids can cut the unlocked part in pieces. Each piece is handled on its own: a
        previous grid on several pieces stays on the one holding most of it, a piece no previous
        grid is left on gets grids of its own, and a piece no number of grids fits is returned
        apart (``apart``: lists of units) to join a neighbouring grid or stay an exception."""
        from .repair import repair
        g = us.graph
        w = g.w
        labels = self._unit_labels(us)
        _keep_largest_pieces(g, labels)
        comps = g.components()
        apart: list[list[int]] = []
        held: list[list[int]] = []  # pieces without households: kept out of the repair
        if len(comps) > 1:
            comp_of = np.empty(len(w), dtype=np.int64)
            for i, c in enumerate(comps):
                comp_of[c] = i
            for lab in np.unique(labels[labels >= 0]).tolist():
                idx = np.flatnonzero(labels == lab)
                cs = comp_of[idx]
                if len(np.unique(cs)) > 1:
                    keep = int(np.argmax(np.bincount(cs, weights=w[idx] + 1e-9)))
                    labels[idx[cs != keep]] = -1
            nxt = int(labels.max()) + 1 if (labels >= 0).any() else 0
            for c in comps:
                Hc = int(w[c].sum())
                if Hc == 0:
                    held.append(c)
                    continue
                if not feasible_grid_counts(Hc, lo, hi):
                    apart.append(c)
                    continue
                if (labels[c] < 0).all():
                    ks = sorted(feasible_grid_counts(Hc, lo, hi), key=lambda k: (abs(Hc / k - self.target), k))
                    parts = None
                    for k in ks[:3]:
                        parts = partition(g, c, k, lo, hi, cancelled=stop)
                        if parts is not None:
                            break
                    if parts is None:
                        apart.append(c)
                        continue
                    for part in parts:
                        labels[np.asarray(part, dtype=np.int64)] = nxt
                        nxt += 1
        if not _fill_labels(g, labels):
            return None
        out = [u for c in apart + held for u in c]
        filled = labels[out].copy()
        labels[out] = -1
        ok, moved = repair(g, labels, lo, hi, target=self.target)
        if not ok:
            return None
        hold = [u for c in held for u in c]
        labels[hold] = filled[len(out) - len(hold):]  # empty pieces go with the grid nearest to them
        return labels, apart, moved

    def _place_apart(self, grids, us, apart, plan, report, lo, hi):
        """A piece of a village's unlocked part that no number of grids fits (cut off by locked
        grids, or an exclave): joined to the nearest grid with room, else kept as one exceptional
        grid; named in the report either way."""
        for comp in apart:
            H = int(us.hh[comp].sum())
            geom = dissolve(list(us.geom[comp]))
            best = None
            for gi, g in enumerate(grids):
                if g.village != plan["village"] or g.locked or g.status != "ok":
                    continue
                tot = sum(u[4] for u in g.units)
                if tot + H > hi:
                    continue
                d = float(shapely.distance(dissolve([u[5] for u in g.units]), geom))
                if best is None or d < best[0]:
                    best = (d, gi)
            units = [(int(us.block[u]), int(us.feature[u]), int(us.part[u]), int(us.nparts[u]),
                      int(us.hh[u]), us.geom[u]) for u in comp]
            if best is None:
                grids.append(_Grid(plan["village"], units, {x[0] for x in units}, "exception", "isolated", (lo, hi)))
                report["notes"].append(f"separate part of the village with {H} households (cut off by locked "
                                       "grids or barriers) kept as one exceptional grid")
            else:
                g = grids[best[1]]
                g.units.extend(units)
                g.blocks |= {x[0] for x in units}
                g.note = "exclave"
                report["notes"].append(f"separate part of the village with {H} households (cut off by locked "
                                       "grids or barriers) joined to the nearest grid with room")

    def _carry_codes(self, grids, gdf, hhg) -> list[str]:
        """Previous codes for the new grids that hold most of their households (locked grids keep
        their own), new numbers after the highest old one of the village for the rest."""
        from scipy.optimize import linear_sum_assignment

        from .previous import change_figures
        pv = self._previous
        prev_codes = pv.codes
        start = self._start
        a = self._assign
        codes = np.asarray(gdf["code"].tolist(), dtype=object)
        new_codes = codes.copy()
        used: set[str] = set()
        fixed = {r: grids[r].prev for r in range(len(grids)) if grids[r].locked}
        for r, p in fixed.items():
            new_codes[r] = prev_codes[p]
            used.add(prev_codes[p])
        taken_rows = set(fixed.values()) | set(pv.locked)
        carried: set[int] = set()
        for vc, idx in gdf.groupby("village_code", sort=False).groups.items():
            rows = np.asarray([gdf.index.get_loc(i) for i in idx])
            sub = a[a["grid_index"].isin(rows)]
            pcode = start[sub["feature"].to_numpy()]
            ov = pd.DataFrame({"g": sub["grid_index"].to_numpy(), "p": pcode, "hh": sub["hh"].to_numpy()})
            ov = ov[ov["p"] >= 0].groupby(["g", "p"])["hh"].sum()
            # A previous grid's code goes to one new grid only, across villages too.
            pl = sorted({int(p) for _, p in ov.index} - taken_rows)
            gl = [r for r in rows if r not in fixed]
            if pl and gl:
                m = np.zeros((len(gl), len(pl)))
                gpos = {r: i for i, r in enumerate(gl)}
                ppos = {p: j for j, p in enumerate(pl)}
                for (g, p), v in ov.items():
                    if g in gpos and p in ppos:
                        m[gpos[g], ppos[p]] = v
                ri, ci = linear_sum_assignment(-m)
                for i, j in zip(ri, ci):
                    if m[i, j] > 0:
                        new_codes[gl[i]] = prev_codes[pl[j]]
                        used.add(prev_codes[pl[j]])
                        taken_rows.add(pl[j])
                        carried.add(gl[i])
            taken = {c for c in prev_codes if str(c).startswith(f"{vc}-")} | used
            nums = [int(c.rsplit("-", 1)[1]) for c in taken if str(c).startswith(f"{vc}-")
                    and c.rsplit("-", 1)[1].isdigit()]
            nxt = max(nums, default=0) + 1
            for r in gl:
                if r not in carried:
                    new_codes[r] = f"{vc}-{nxt:02d}"
                    used.add(new_codes[r])
                    nxt += 1
        hb = self.blocks_.household_block
        vob = self.blocks_.gdf["village"].to_numpy()
        vnames = np.asarray(self._vnames, dtype=object)
        village_of_feature = np.where(hb >= 0, vnames[vob[np.maximum(hb, 0)]] if len(vob) else "", "")
        self._redraw_stats, self._change_rows = change_figures(
            pv, features=a["feature"].to_numpy(), hh=a["hh"].to_numpy(),
            grid=new_codes[a["grid_index"].to_numpy()], grid_codes=new_codes,
            grid_village=gdf["village"].astype(str).to_numpy(), hh_all=self._hh_all,
            village_of_feature=village_of_feature)
        self._redraw_stats["locked"] = pv.locked_codes
        self._redraw_stats["matched_by"] = pv.matched_by
        self._redraw_stats.update(getattr(self, "_redraw_flags", {}))
        return new_codes.tolist()

    def _changes_layer(self, villages, vnames, vcodes, crs) -> gpd.GeoDataFrame:
        """The ``changes`` layer of a redraw: one row per village (its polygon) with the households
        and grids changed, codes kept, new and retired, and the households new since the previous plan."""
        rows = getattr(self, "_change_rows", [])
        row_of = {n: i for i, n in enumerate(vnames)}
        geoms, out = [], []
        for r in rows:
            i = row_of.get(r["village"])
            out.append(dict(r, village_code=vcodes[i] if i is not None else ""))
            geoms.append(villages.geometry.values[i] if i is not None else None)
        cols = ["village", "village_code", "households", "households_moved", "households_new", "grids",
                "grids_changed", "codes_kept", "codes_new", "codes_retired", "locked", "new_codes",
                "retired_codes", "locked_codes"]
        return gpd.GeoDataFrame(pd.DataFrame(out, columns=cols), geometry=gpd.GeoSeries(geoms, crs=crs))

    def _grid_layers(self, grids, villages, vnames, vcodes, hhg, crs):
        bg = self.blocks_.gdf
        fob = self._ctx["features_of_block"]
        n_feat = len(hhg)
        rows = []
        drawn = _shared_cells(grids)
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
        # Per feature: its grid (the one holding most of it) and whether it is split.
        per = a.sort_values(["feature", "hh"], ascending=[True, False]).drop_duplicates("feature")
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

    def _add_metrics(self, layers):
        g = self.grids_
        if not len(g):
            for c in ("area_m2", "polsby_popper", "hard_crossings", "soft_crossings", "max_dist_m",
                      "places", "place_names"):
                g[c] = []
            return
        add_grid_metrics(g, self._grids_internal, self.blocks_, self._ctx, layers, lines=self._lines,
                         points=self._points, assign=self._assign)

    # ------------------------------------------------------------------------------------------
    def _subgrids(self, stop):
        """Sub-grids inside every base grid, on household units."""
        crs = self.grids_.crs
        rows, cells, sub_assign = [], [], []
        geoms: list = []
        ctx = self._ctx
        a = self._assign
        by_grid = {gi: (grp["feature"].to_numpy(), grp["hh"].to_numpy())
                   for gi, grp in a.groupby("grid_index", sort=True)}
        g_codes = self.grids_["code"].tolist()
        g_villages = self.grids_["village"].tolist()
        g_geoms = self.grids_.geometry.values
        for gi in range(len(self.grids_)):
            grow = SimpleNamespace(code=g_codes[gi], village=g_villages[gi], geometry=g_geoms[gi])
            if stop():
                raise CancelledError()
            if gi not in by_grid:
                continue
            feats, hh_units = by_grid[gi]
            container = grow.geometry
            # Each (feature, part) of the grid is a weight; parts of an apartment already split at
            # grid level keep their size, and whole buildings over sub_max split now.
            uniq, inv = np.unique(feats, return_inverse=True)
            fhh = np.bincount(inv, weights=hh_units).astype(np.int64)
            from .units import household_units
            H = int(fhh.sum())
            ks = sorted(feasible_grid_counts(H, self.sub_min, self.sub_max),
                        key=lambda k: (abs(H / k - self.sub_target), k))
            parts = None
            # Apartment blocks are cut into finer parts (entrances, then floors) only when the
            # coarser cut cannot meet the bounds.
            half = max(self.sub_min // 2, 1)
            quarter = max(self.sub_min // 4, 1)
            ladder = ((self.sub_max, self.sub_target), (self.sub_target, self.sub_min), (half, half),
                      (quarter, quarter))
            cache: dict = {}
            sites = _sites_inside(ctx["points_xy"][uniq], container)
            for step, (umax, utarget) in enumerate(ladder):
                fu = household_units(uniq, sites, fhh, container,
                                     max_unit=umax, target_unit=utarget, min_unit=min(self.sub_min, utarget),
                                     barriers=ctx["barriers"], barrier_affinity=ctx["barrier_affinity"],
                                     cache=cache)
                G = UnitGraph(fu.hh, fu.xy, fu.area, fu.edges_a, fu.edges_b, fu.affinity)
                # Coarse units get a short search: when they do not fit, finer ones will.
                last = step == len(ladder) - 1
                for k in ks[:3] if last else ks[:1]:
                    parts = partition(G, range(len(fu.hh)), k, self.sub_min, self.sub_max, cancelled=stop,
                                      budget=40 if last else 8)
                    if parts is not None:
                        break
                if parts is not None or not ks:
                    break
            status = "ok"
            if parts is None:
                parts = [list(range(len(fu.hh)))] if H < self.sub_min or not ks else \
                    _fallback_chunks(G, fu.hh, self.sub_max)
                status = "exception"
            for si, part in enumerate(parts):
                part = sorted(part)
                cells.append(fu.geom[part])
                if len(cells) >= 256:  # dissolved in batches: few GEOS calls, the cells not all kept
                    geoms.extend(dissolve_many(cells))
                    cells = []
                apartment = bool((fu.nparts[part] > 1).any())
                names = sorted({f"{int(fu.feature[u])}" for u in part if fu.nparts[u] > 1})
                kind = "apartment part" if apartment else "area"
                rows.append({"grid": grow.code, "village": grow.village, "hh": int(fu.hh[part].sum()),
                             "kind": kind, "status": status, "n_features": len(set(fu.feature[part].tolist())),
                             "apartment_parts": ";".join(
                                 f"{self._feature_label(int(fu.feature[u]))}#{int(fu.part[u]) + 1}/{int(fu.nparts[u])}"
                                 for u in part if fu.nparts[u] > 1)})
                for u in part:
                    sub_assign.append((int(fu.feature[u]), int(fu.part[u]), int(fu.nparts[u]),
                                       int(fu.hh[u]), grow.code, len(rows) - 1))
                del names
        geoms.extend(dissolve_many(cells))
        gdf = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=crs)) if rows else \
            gpd.GeoDataFrame({"grid": [], "village": [], "hh": [], "kind": [], "status": [],
                              "n_features": [], "apartment_parts": []}, geometry=gpd.GeoSeries([], crs=crs))
        codes = np.empty(len(gdf), dtype=object)
        for code, idx in gdf.groupby("grid").groups.items():
            sub = gdf.loc[idx]
            codes[np.asarray(idx)] = [f"{code}-{i:02d}" for i in _reading_order(sub)]
        gdf["code"] = codes
        if len(gdf):
            area = shapely.area(gdf.geometry.values)
            per = shapely.length(gdf.geometry.values)
            gdf["polsby_popper"] = np.round(4 * math.pi * area / np.maximum(per, 1e-9) ** 2, 3)
        else:
            gdf["polsby_popper"] = []
        sa = pd.DataFrame(sub_assign, columns=["feature", "part", "nparts", "hh", "grid", "sub_index"])
        sa["subgrid"] = codes[sa["sub_index"]] if len(sa) else []
        self._sub_assign = sa
        per = sa.sort_values(["feature", "hh"], ascending=[True, False]).drop_duplicates("feature")
        self.households_["subgrid"] = None
        if len(per):
            self.households_.loc[self.households_.index[per["feature"].to_numpy()], "subgrid"] = \
                per["subgrid"].to_numpy()
        nsub = gdf.groupby("grid").size()
        self.grids_["n_subgrids"] = self.grids_["code"].map(nsub).fillna(0).astype(int)
        return gdf

    def _feature_label(self, f: int) -> str:
        hs = self.households_
        if "src_id" in hs:
            return str(hs["src_id"].iat[f])
        return str(f)

    # ------------------------------------------------------------------------------------------
    def _special_places(self, layers, villages, hhg=None, pts=None):
        """Areas of the special places (专属网格) and the (category, name) of the places in each.

        A place drawn as an area (OSM area, KML polygon) is that area; a point inside an area of
        the places layer that is its own (same category, or an uncategorised parcel) takes that
        area. Any other point gets a circle of ``special_radius`` m inside its village, cut back
        to the part nearer the place than any household (the Voronoi cell of the point among the
        village's household points) and with the village's building footprints taken out: a
        hospital marked by a point never takes the residents' homes around it, which stay in
        base grids. Places whose areas overlap become one special grid.
        """
        places = layers.get("places")
        self._special_skipped = []
        if places is None or not len(places) or "category" not in places or not self.special_categories:
            return np.array([], dtype=object), None
        places = places.reset_index(drop=True)
        cat_all = places["category"].astype(object).where(places["category"].notna(), "").astype(str).to_numpy()
        special = np.isin(cat_all, list(self.special_categories))
        if not special.any():
            return np.array([], dtype=object), None
        geoms = places.geometry.values
        tid = shapely.get_type_id(geoms)
        is_poly = np.isin(tid, (3, 6))
        is_point = np.isin(tid, (0, 4))
        areas, owners = [], []  # one area per special place, and the place row it came from
        # Polygons of the places layer that a point of a special place may take as its own.
        poly_rows = np.flatnonzero(is_poly)
        poly_geoms = shapely.make_valid(geoms[poly_rows]) if len(poly_rows) else np.array([], dtype=object)
        for i in np.flatnonzero(special & is_poly):
            areas.append(shapely.make_valid(geoms[i]))
            owners.append(int(i))
        pt_rows = np.flatnonzero(special & is_point)
        if len(pt_rows):
            pt_geoms = shapely.centroid(geoms[pt_rows])  # a MultiPoint place: its middle
            own = np.full(len(pt_rows), -1, dtype=np.int64)
            inside_special = np.zeros(len(pt_rows), dtype=bool)
            if len(poly_rows):
                qi, qj = shapely.STRtree(poly_geoms).query(pt_geoms, predicate="within")
                by_area = np.argsort(shapely.area(poly_geoms[qj]), kind="stable")
                for a, b in zip(qi[by_area], qj[by_area]):
                    pc = cat_all[poly_rows[b]]
                    if pc in self.special_categories:
                        inside_special[a] = True  # already inside a special area: nothing to add
                    elif own[a] < 0 and pc in ("", "other", cat_all[pt_rows[a]]):
                        own[a] = b  # smallest parcel holding the point
            for k, i in enumerate(pt_rows):
                if own[k] >= 0 and not inside_special[k]:
                    areas.append(poly_geoms[own[k]])
                    owners.append(int(i))
            rest = [(k, int(i)) for k, i in enumerate(pt_rows) if own[k] < 0 and not inside_special[k]]
            if rest:
                circles = self._point_areas(np.array([pt_geoms[k] for k, _ in rest], dtype=object),
                                            villages, hhg, pts)
                for (k, i), a in zip(rest, circles):
                    if a is not None and not shapely.is_empty(a) and shapely.area(a) > 1.0:
                        areas.append(a)
                        owners.append(i)
                    else:  # outside every village, or homes all around its point: said in the report
                        self._special_skipped.append(
                            {"category": str(cat_all[i]), "name": _text(places["name"].iat[i]) if "name" in places
                             else "", "src_id": str(places["src_id"].iat[i]) if "src_id" in places else str(i)})
        if not areas:
            return np.array([], dtype=object), None
        areas = np.array(areas, dtype=object)
        # Overlapping places (a school inside a campus polygon) become one special area.
        merged = shapely.get_parts(shapely.union_all(areas))
        merged = merged[shapely.area(merged) > 1.0]
        merged = shapely.intersection(merged, shapely.union_all(villages.geometry.values))
        merged = merged[~shapely.is_empty(merged)]
        merged = np.concatenate([shapely.get_parts(m) for m in merged]) if len(merged) else merged
        merged = merged[shapely.get_type_id(merged) == 3] if len(merged) else merged
        merged = merged[shapely.area(merged) > 1.0] if len(merged) else merged
        if not len(merged):
            return np.array([], dtype=object), None
        tree = shapely.STRtree(merged)
        ai, mi = tree.query(areas, predicate="intersects")
        keep = shapely.area(shapely.intersection(areas[ai], merged[mi])) > 0.5 if len(ai) else np.zeros(0, bool)
        names = {}
        for a, m in zip(ai[keep], mi[keep]):
            p = owners[int(a)]
            entry = (str(cat_all[p]), _text(places["name"].iat[p]) if "name" in places else "")
            lst = names.setdefault(int(m), [])
            if entry not in lst:
                lst.append(entry)
        return merged, names

    def _point_areas(self, points, villages, hhg, pts):
        """The area of each place given only as a point: a circle of ``special_radius`` m in the
        point's village, less everything nearer to a household than to the place, less the
        households' building footprints. None for a point outside every village."""
        r = self.special_radius
        vg = shapely.make_valid(villages.geometry.values)
        vi_of = np.full(len(points), -1, dtype=np.int64)
        qi, qv = shapely.STRtree(vg).query(points, predicate="intersects")
        order = np.lexsort((qv, qi))
        qi, qv = qi[order], qv[order]
        first = np.unique(qi, return_index=True)[1]
        vi_of[qi[first]] = qv[first]
        hp = np.asarray(pts, dtype=object) if pts is not None else np.array([], dtype=object)
        htree = shapely.STRtree(hp) if len(hp) else None
        foot = None
        if hhg is not None and len(hhg):
            hgeo = hhg.geometry.values
            fp = np.isin(shapely.get_type_id(hgeo), (3, 6))
            if fp.any():
                foot = shapely.make_valid(hgeo[fp])
        ftree = shapely.STRtree(foot) if foot is not None and len(foot) else None
        out = []
        for k, p in enumerate(points):
            v = vi_of[k]
            if v < 0:
                out.append(None)
                continue
            area = shapely.intersection(shapely.buffer(p, r, quad_segs=8), vg[v])
            if htree is not None:
                near = htree.query(p, predicate="dwithin", distance=2 * r)
                near = near[shapely.contains(vg[v], hp[near]) | shapely.touches(vg[v], hp[near])] \
                    if len(near) else near
                hx = shapely.get_coordinates(hp[near]) if len(near) else np.zeros((0, 2))
                px = shapely.get_coordinates(p)[0]
                if len(hx) and np.any(np.hypot(hx[:, 0] - px[0], hx[:, 1] - px[1]) <= 0.05):
                    # A household recorded at the place's own point: no area is free of homes.
                    out.append(None)
                    continue
                if len(hx):
                    cells = shapely.get_parts(shapely.voronoi_polygons(
                        shapely.multipoints(np.vstack([px[None, :], hx])), extend_to=area))
                    mine = [c for c in cells if shapely.intersects(c, p)]
                    area = shapely.intersection(area, mine[0]) if mine else area
            if area is not None and ftree is not None:
                fi = ftree.query(area, predicate="intersects")
                if len(fi):
                    area = shapely.difference(area, shapely.buffer(shapely.union_all(foot[fi]), 0.5))
            if area is not None:
                parts = shapely.get_parts(shapely.make_valid(area))
                parts = parts[np.isin(shapely.get_type_id(parts), (3,))]
                if len(parts):
                    # The piece at (or nearest to) the place's point.
                    d = shapely.distance(parts, p)
                    area = parts[int(np.argmin(d))]
                else:
                    area = None
            out.append(area)
        return out

    def _special_layer(self, names, blocks, villages, vcodes, vnames, crs):
        bg = blocks.gdf
        sp = bg[bg["special"] >= 0]
        if not len(sp) or names is None:
            return gpd.GeoDataFrame({"code": [], "village": [], "category": [], "name": [], "hh": []},
                                    geometry=gpd.GeoSeries([], crs=crs))
        rows, geoms = [], []
        for sid, grp in sp.groupby("special"):
            v = int(grp["village"].mode().iat[0])
            cats = names.get(int(sid), [("other", "")])
            rows.append({"_sid": int(sid), "village": vnames[v], "village_code": vcodes[v],
                         "category": cats[0][0], "name": "、".join(sorted({n for _, n in cats if n})),
                         "hh": int(grp["hh"].sum())})
            geoms.append(shapely.union_all(grp.geometry.values))
        gdf = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=crs))
        codes = np.empty(len(gdf), dtype=object)
        for vc, idx in gdf.groupby("village_code").groups.items():
            codes[np.asarray(idx)] = [f"{vc}-Z{i:02d}" for i in _reading_order(gdf.loc[idx])]
        gdf["code"] = codes
        gdf["kind"] = "special"
        # Households inside a special grid belong to it.
        code_of = dict(zip(gdf["_sid"], gdf["code"]))
        hb = blocks.household_block
        sid = np.where(hb >= 0, bg["special"].to_numpy()[np.maximum(hb, 0)], -1)
        inside = np.flatnonzero(sid >= 0)
        if self._previous is not None:  # households of a locked grid stay in it
            inside = inside[self._previous.locked_hh()[inside] == 0]
        if len(inside):
            self.households_.loc[self.households_.index[inside], "grid"] = [code_of.get(int(x)) for x in sid[inside]]
        return gdf.drop(columns="_sid")

    def _corridors(self, layers, lines, villages, vcodes, vnames, crs):
        """Special-purpose grids (专项网格): corridors along rivers, railways and forest edges, one
        per village and kind (a village's river corridor is looked after by that village).

        Bands are clipped to each village before they are dissolved: many small unions instead of
        one over the county, which is what made this step slow, and each village's result does
        not depend on the others (a batch run gives the same rows)."""
        w = self.corridor_width
        empty = gpd.GeoDataFrame({"code": [], "village": [], "village_code": [], "kind": [], "name": [],
                                  "width_m": []}, geometry=gpd.GeoSeries([], crs=crs))
        if w <= 0:
            return empty
        sources = []
        for kind, sel in (("river", lines["cls"].isin(["river", "stream"]) if len(lines) else None),
                          ("railway", lines["cls"] == "railway" if len(lines) else None)):
            if sel is not None and sel.any():
                sources.append((kind, lines.geometry.values[sel.to_numpy()]))
        forest = layers.get("forest")
        if forest is not None and len(forest):
            sources.append(("forest", shapely.boundary(shapely.make_valid(forest.geometry.values))))
        lu = layers.get("landuse")
        if lu is not None and len(lu) and "kind" in lu and (lu["kind"] == "forest").any():
            # 三调 forest parcels tile the land: their outer edge, not every parcel border.
            woods = shapely.union_all(shapely.make_valid(lu.geometry.values[(lu["kind"] == "forest").to_numpy()]))
            sources.append(("forest", shapely.get_parts(shapely.boundary(woods))))
        # A copy: the other thread may prepare the village polygons while this one clips with them.
        vg = shapely.from_wkb(shapely.to_wkb(villages.geometry.values))
        tree = shapely.STRtree(vg)
        zh = {"river": "河流", "railway": "铁路", "forest": "田林"}
        found = {}
        for rank, (kind, g) in enumerate(sources):
            g = g[~shapely.is_empty(g) & ~shapely.is_missing(g)]
            if not len(g):
                continue
            bands = _bands(g, w)
            # Boxes, then the exact test against the prepared villages (this thread's own copies).
            bi, vi = tree.query(bands)
            shapely.prepare(vg)
            hit = shapely.intersects(vg[vi], bands[bi])
            bi, vi = bi[hit], vi[hit]
            if not len(bi):
                continue
            order = np.lexsort((bi, vi))
            bi, vi = bi[order], vi[order]
            cuts = np.flatnonzero(np.diff(vi)) + 1
            for sel, v in zip(np.split(bi, cuts), vi[np.r_[0, cuts]]):
                clipped = shapely.get_parts(shapely.intersection(bands[sel], vg[v]))
                clipped = clipped[np.isin(shapely.get_type_id(clipped), (3, 6))]
                if not len(clipped):
                    continue
                piece = shapely.union_all(clipped)
                if not shapely.is_empty(piece) and shapely.area(piece) > 1.0:
                    found[(int(v), rank)] = (kind, piece)
        if not found:
            return empty
        rows, geoms = [], []
        for (v, _), (kind, piece) in sorted(found.items()):
            rows.append({"code": f"{vcodes[v]}-ZX-{zh[kind]}", "village": vnames[v], "village_code": vcodes[v],
                         "kind": kind, "name": f"{vnames[v]}{zh[kind]}专项网格", "width_m": w})
            geoms.append(piece)
        return gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=crs))

    # ------------------------------------------------------------------------------------------
    def _report(self, village_reports, plans, timings):
        g = self.grids_
        ok_villages = {r["village"] for r in village_reports if r["status"] == "ok"}
        # Names repeat across townships: infeasible villages carry their code and township too.
        infeasible = [{"village": p["name"], "households": p["hh"], "status": p["status"],
                       "applied": p["applied"], "remedies": p["remedies"], **self._vlabels[p["village"]]}
                      for p in plans if p["status"] not in ("ok", "empty")]
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
        if getattr(self, "_special_skipped", None):
            plan["special_places_without_area"] = list(self._special_skipped)
        if self._previous is not None:
            plan["redraw"] = dict(getattr(self, "_redraw_stats", {}), villages=getattr(self, "_change_rows", []))
        if self.links_ is not None:
            short = [n for r in self._links_summary for n in r["members_under_min"]]
            plan["party_links"] = {"members": int(sum(r["members"] for r in self._links_summary)),
                                   "links": len(self.links_),
                                   "households_linked": int(sum(r["households_linked"] for r in self._links_summary)),
                                   "members_under_min": len(short)}
        return {"parameters": self.get_params(), "plan": plan, "timings": timings,
                "villages": village_reports,
                "grids": json_rows(g[cols])}


# ----------------------------------------------------------------------------------------------
def plan_figures(g: pd.DataFrame, sub: pd.DataFrame | None, special: pd.DataFrame | None,
                 corridors: pd.DataFrame | None, *, feasible: pd.Series, villages: int, infeasible: list,
                 village_reports: list[dict], sub_bounds: tuple[int, int]) -> dict:
    """The report's ``plan`` figures from the result tables (attributes are enough), as one fit
    and a batch (:func:`.batch.summarize`, over the concatenated tables of its chunks) both give
    them. ``feasible`` marks grids of villages whose own status is ok; ``village_reports`` carry
    each village's unavoidable and avoidable hard crossings."""
    pocket = pocket_grid_mask(g)
    feas = g[feasible & ~pocket]
    within = ((feas["hh"] >= feas["min_hh"]) & (feas["hh"] <= feas["max_hh"])) if len(feas) else None
    plan = {
        "villages": villages,
        "households": int(g["hh"].sum()) + (int(special["hh"].sum()) if special is not None and "hh" in special else 0),
        "grids": len(g), "grids_in_feasible_villages": int(len(feas)),
        "pct_within_bounds": round(100.0 * float(within.mean()), 2) if len(feas) else None,
        "infeasible_villages": infeasible,
        "pocket_grids": [{"code": str(c), "village": str(v), "households": int(h)}
                         for c, v, h in zip(g.loc[pocket, "code"], g.loc[pocket, "village"], g.loc[pocket, "hh"])]
        if pocket.any() else [],
        "mean_polsby_popper": round(float(g["polsby_popper"].mean()), 3) if len(g) else None,
        "hard_crossings": int(g["hard_crossings"].sum()) if len(g) else 0,
        "unavoidable_hard_crossings": int(sum(r.get("unavoidable_hard_crossings", 0) for r in village_reports)),
        "avoidable_hard_crossings": int(sum(r.get("avoidable_hard_crossings", 0) for r in village_reports)),
        "soft_crossings": int(g["soft_crossings"].sum()) if len(g) else 0,
        "grid_hh_min": int(g["hh"].min()) if len(g) else None,
        "grid_hh_max": int(g["hh"].max()) if len(g) else None,
        "special_grids": 0 if special is None else len(special),
        # Households of special grids (counted there only, never in a base grid as well).
        "special_grid_households": int(special["hh"].sum()) if special is not None and "hh" in special
        and len(special) else 0,
        "corridors": 0 if corridors is None else len(corridors),
    }
    if sub is not None and len(sub):
        lo, hi = sub_bounds
        inb = (sub["hh"] >= lo) & (sub["hh"] <= hi)
        plan.update({"subgrids": len(sub), "subgrids_pct_within_bounds": round(100.0 * float(inb.mean()), 2),
                     "subgrid_hh_min": int(sub["hh"].min()), "subgrid_hh_max": int(sub["hh"].max()),
                     "apartment_subgrids": int((sub["kind"] == "apartment part").sum()),
                     "subgrids_mean_polsby_popper": round(float(sub["polsby_popper"].mean()), 3)})
    return plan


# ----------------------------------------------------------------------------------------------
def _bands(lines, width):
    """Bands of ``width`` metres along ``lines`` (simplified first: a corridor's edge need not
    follow every bend of a stream)."""
    return shapely.buffer(shapely.simplify(lines, width / 10), width / 2, quad_segs=2)


def json_rows(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()})
    return out


def _layers_of(data) -> dict[str, gpd.GeoDataFrame]:
    if hasattr(data, "layers") and isinstance(data.layers, dict):
        return {r: (l.gdf if hasattr(l, "gdf") else l) for r, l in data.layers.items()}
    if isinstance(data, dict):
        return dict(data)
    raise TypeError("fit() takes a gridtool Project or a dict of GeoDataFrames by role")


def _check_inputs(layers):
    for role in ("households", "villages"):
        if role not in layers or layers[role] is None:
            raise MissingColumnError(
                f"划分网格需要“{'住户' if role == 'households' else '村（社区）'}”图层",
                f"partitioning needs a {role} layer",
                fix_zh=f"用 --{role} 文件 指定该图层。", fix_en=f"give it with --{role} FILE.", layer=role)
        if not len(layers[role]):
            raise EmptyLayerError(f"{role} 图层为空", f"the {role} layer is empty",
                                  fix_zh="检查输入文件。", fix_en="check the input file.", layer=role)
    hhg = layers["households"]
    if "hh" not in hhg:
        raise MissingColumnError("住户图层缺少户数字段 hh", "the households layer has no hh column",
                                 fix_zh="用 --field households.hh=户数字段名 指定。",
                                 fix_en="name it with --field households.hh=COLUMN.", layer="households",
                                 field="hh")
    villages = layers["villages"]
    if villages.crs is not None and villages.crs.is_geographic:
        from ..errors import CRSError
        raise CRSError("划分网格需要以米为单位的坐标系", "partitioning needs coordinates in metres",
                       fix_zh="通过项目（gridtool import）加载，图层会自动投影。",
                       fix_en="load through a project (gridtool import), which projects the layers.",
                       layer="villages")
    return hhg.reset_index(drop=True), villages.reset_index(drop=True)


def _village_names(villages) -> list[str]:
    if "name" in villages:
        names = villages["name"].astype(object).where(villages["name"].notna(), None).tolist()
    else:
        names = [None] * len(villages)
    return [str(n) if n not in (None, "") else f"村{i + 1}" for i, n in enumerate(names)]


def _village_codes(villages) -> list[str]:
    codes = villages["code"].tolist() if "code" in villages else [None] * len(villages)
    out = []
    for i, c in enumerate(codes):
        if c is None or (isinstance(c, float) and not np.isfinite(c)) or str(c).strip() in ("", "nan", "None"):
            out.append(f"V{i + 1:03d}")
        else:
            s = str(c).strip()
            out.append(s[:-2] if s.endswith(".0") else s)
    return out


def _village_labels(villages, vnames, vcodes) -> list[dict]:
    """Per village row: code, township and a label naming all three (``石柱村（500101001001，高笋塘街道）``),
    so that a village is never known by a name that repeats across townships."""
    from ..column_content import township_prefix
    towns = villages["township"].tolist() if "township" in villages else [None] * len(villages)
    out = []
    for name, code, town in zip(vnames, vcodes, towns):
        if town is None or (isinstance(town, float) and not np.isfinite(town)) or not str(town).strip():
            town = township_prefix(code) or ""
        elif isinstance(town, float) and float(town).is_integer():
            town = str(int(town))
        town = str(town).strip()
        extra = "，".join(x for x in (code if not code.startswith("V") or not code[1:].isdigit() else "", town) if x)
        out.append({"code": code, "township": town, "label": f"{name}（{extra}）" if extra else name})
    return out


def _village_neighbours(edges, village_of_block, n):
    nb: dict[int, set] = {}
    if not len(edges):
        return nb
    x = edges[edges["cross_village"]]
    va = village_of_block[x["a"].to_numpy()]
    vb = village_of_block[x["b"].to_numpy()]
    for a, b in zip(va.tolist(), vb.tolist()):
        nb.setdefault(a, set()).add(b)
        nb.setdefault(b, set()).add(a)
    return nb


def _choose_k(H, lo, hi, target):
    ks = feasible_grid_counts(H, lo, hi)
    return min(ks, key=lambda k: (abs(H / k - target), k)) if ks else 0


def _merge_regions(regions, g_all: UnitGraph, w, lo, hi, geoms=None):
    """Join regions that no grid count fits to a neighbour (across a hard barrier) that fixes them.

    With ``geoms`` (block polygons), a region nothing reaches through block edges (a separate
    part of the village) joins the nearest populated region by distance. Returns the regions, the
    number of joins across barriers (unavoidable hard crossings) and the regions that stayed unfit
    because nothing populated borders them (exclaves).
    """
    regions = [sorted(r) for r in regions]
    crossings = 0
    given_up: set[int] = set()  # smallest block of a region nothing can fix
    while True:
        region_of = {}
        for i, r in enumerate(regions):
            for b in r:
                region_of[b] = i
        tot = [int(w[r].sum()) for r in regions]
        bad = [i for i, r in enumerate(regions) if tot[i] > 0 and r[0] not in given_up
               and not feasible_grid_counts(tot[i], lo, hi)]
        if not bad:
            return regions, crossings, [r for r in regions if r[0] in given_up]
        i = min(bad, key=lambda j: (tot[j], regions[j][0]))
        # Nearest populated regions through any edge (hard included), passing through empty ones.
        best = None
        seen = {i}
        frontier = [i]
        path_of = {i: []}
        while frontier and best is None:
            nxt = []
            for ri in frontier:
                for b in regions[ri]:
                    for v, _ in g_all.nbrs[b]:
                        rj = region_of.get(v)
                        if rj is None or rj in seen:
                            continue
                        seen.add(rj)
                        path_of[rj] = path_of[ri] + [rj]
                        if tot[rj] == 0:
                            nxt.append(rj)
                            continue
                        merged = tot[i] + tot[rj]
                        key = (not feasible_grid_counts(merged, lo, hi), merged, regions[rj][0])
                        if best is None or key < best[0]:
                            best = (key, path_of[rj])
            frontier = nxt
        apart = False
        if best is None and geoms is not None:
            # Nothing reaches it through the village: a part of a village in several pieces (an
            # island, a hamlet beyond another village). It joins the nearest populated region, so
            # that a village which fits one grid is one grid; no barrier is crossed inside it.
            best = _nearest_region(i, regions, tot, geoms, lo, hi)
            apart = best is not None
        if best is None:
            given_up.add(regions[i][0])
            continue
        merged = list(regions[i])
        for rj in best[1]:
            merged.extend(regions[rj])
        drop = set(best[1]) | {i}
        regions = [r for j, r in enumerate(regions) if j not in drop] + [sorted(merged)]
        crossings += 0 if apart else 1


def _nearest_region(i: int, regions: list, tot: list, geoms, lo: int, hi: int):
    """(key, [j]) for the populated region nearest to region ``i`` by distance, preferring one the
    merge makes feasible; None when there is none."""
    others = [j for j in range(len(regions)) if j != i and tot[j] > 0]
    if not others:
        return None
    mine = np.asarray(regions[i], dtype=np.int64)
    theirs = np.concatenate([np.asarray(regions[j], dtype=np.int64) for j in others])
    owner = np.concatenate([np.full(len(regions[j]), j) for j in others])
    tree = shapely.STRtree(geoms[theirs])
    src, dst = tree.query_nearest(geoms[mine], all_matches=False)
    d = shapely.distance(geoms[mine[src]], geoms[theirs[dst]])
    dist: dict[int, float] = {}
    for j, x in zip(owner[dst].tolist(), d.tolist()):
        dist[j] = min(dist.get(j, np.inf), x)
    best = None
    for j in others:
        if j not in dist:
            continue
        key = (not feasible_grid_counts(tot[i] + tot[j], lo, hi), round(dist[j], 3), regions[j][0])
        if best is None or key < best[0]:
            best = (key, [j])
    return best


def _bridge_parts(region: list[int], edges: pd.DataFrame, geoms) -> pd.DataFrame:
    """Links between the separate pieces of a region (a village in several parts): each piece,
    in order of its first block, joins the nearest block of the pieces before it. The links are
    hard (never a reason to stay together) and cost nothing to cut."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    loc = {b: k for k, b in enumerate(region)}
    a = np.array([loc[x] for x in edges["a"].tolist()], dtype=np.int64)
    b = np.array([loc[x] for x in edges["b"].tolist()], dtype=np.int64)
    n = len(region)
    ncomp, lab = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)), directed=False)
    if ncomp <= 1:
        return edges.iloc[:0]
    blocks = np.asarray(region, dtype=np.int64)
    comps = sorted((blocks[lab == c] for c in range(ncomp)), key=lambda c: int(c.min()))
    links = []
    done = comps[0]
    for comp in comps[1:]:
        tree = shapely.STRtree(geoms[done])
        src, dst = tree.query_nearest(geoms[comp], all_matches=False, return_distance=False)
        d = shapely.distance(geoms[comp[src]], geoms[done[dst]])
        k = int(np.argmin(d))
        x, y = int(comp[src[k]]), int(done[dst[k]])
        links.append({"a": min(x, y), "b": max(x, y), "length": 0.0, "affinity": 0.0, "major": False,
                      "hard": True, "cross_village": False, "cls": "apart"})
        done = np.concatenate([done, comp])
    out = pd.DataFrame(links)
    return out[[c for c in edges.columns if c in out]]


def _contract_pockets(us, pocket_of: dict, lo: int):
    """The unit graph with every small pocket (under ``lo`` households) merged into one node.

    Returns (graph, groups: node -> unit indices) or None when there is nothing to merge."""
    g = us.graph
    n = len(g)
    lab = np.array([pocket_of.get(int(b), -1) for b in us.block.tolist()], dtype=np.int64)
    tot: dict[int, int] = {}
    for u in range(n):
        if lab[u] >= 0:
            tot[int(lab[u])] = tot.get(int(lab[u]), 0) + int(g.w[u])
    small = {p for p, t in tot.items() if t < lo}
    members: dict[int, list[int]] = {}
    for u in range(n):
        if lab[u] in small:
            members.setdefault(int(lab[u]), []).append(u)
    if not any(len(m) > 1 for m in members.values()):
        return None
    node = np.full(n, -1, dtype=np.int64)
    groups: list[list[int]] = []
    for u in range(n):  # nodes keep the order of their first unit
        if node[u] >= 0:
            continue
        grp = members[int(lab[u])] if lab[u] in small else [u]
        node[grp] = len(groups)
        groups.append(grp)
    m = len(groups)
    w = np.array([int(g.w[grp].sum()) for grp in groups], dtype=np.int64)
    area = np.array([float(g.area[grp].sum()) for grp in groups])
    xy = np.array([(g.xy[grp] * g.area[grp, None]).sum(axis=0) / max(float(g.area[grp].sum()), 1e-9)
                   for grp in groups]).reshape(-1, 2)
    ea, eb, ef = g._edges
    na, nb = node[ea], node[eb]
    keep = na != nb
    return UnitGraph(w, xy, area, na[keep], nb[keep], ef[keep]), groups


def _keep_pockets_whole(parts: list[list[int]], us, pocket_of: dict, lo: int, hi: int) -> None:
    """A pocket (a piece enclosed by hard barriers, joined to the region because it cannot make a
    grid alone) split between grids costs a crossing per grid: move its smaller shares to the grid
    holding most of it when both grids stay within [lo, hi] and the giving grid stays connected."""
    w = us.graph.w
    by_pocket: dict[int, dict[int, list[int]]] = {}
    for pi, part in enumerate(parts):
        for u in part:
            by_pocket.setdefault(pocket_of.get(int(us.block[u]), -1), {}).setdefault(pi, []).append(u)
    tot = [int(w[p].sum()) for p in parts]
    for pocket, shares in sorted(by_pocket.items()):
        if pocket < 0 or len(shares) < 2:
            continue
        hh = {pi: int(w[us_].sum()) for pi, us_ in shares.items()}
        if sum(hh.values()) >= lo:
            continue  # a pocket big enough for a grid of its own is not one that had to be joined
        # The grid holding most of it takes the rest; if the bounds or contiguity forbid that,
        # the next largest holder is tried.
        for keep in sorted(hh, key=lambda pi: (-hh[pi], pi)):
            trial = [list(p) for p in parts]
            t = list(tot)
            for pi, moved in sorted(shares.items()):
                if pi == keep:
                    continue
                m = set(moved)
                rest = [u for u in trial[pi] if u not in m]
                if not (lo <= t[pi] - hh[pi] <= hi and lo <= t[keep] + hh[pi] <= hi):
                    break
                if not rest or len(us.graph.components(rest)) != 1:
                    break
                if len(us.graph.components(trial[keep] + moved)) != 1:
                    break
                trial[pi] = rest
                trial[keep] = trial[keep] + moved
                t[pi] -= hh[pi]
                t[keep] += hh[pi]
            else:
                parts[:] = trial
                tot[:] = t
                break


def _keep_largest_pieces(g: UnitGraph, labels: np.ndarray) -> None:
    """A previous grid now in pieces (a road moved) keeps its largest piece; the others are
    handed to their neighbours by :func:`_fill_labels`. Pieces with no neighbour (exclaves) stay."""
    for lab in np.unique(labels[labels >= 0]).tolist():
        comps = g.components(np.flatnonzero(labels == lab))
        if len(comps) < 2:
            continue
        comps.sort(key=lambda c: (-int(g.w[c].sum()), c[0]))
        for c in comps[1:]:
            if any(labels[v] != lab for u in c for v, _ in g.nbrs[u]):
                labels[c] = -1


def _fill_labels(g: UnitGraph, labels: np.ndarray) -> bool:
    """Units without a previous grid (new area) take a neighbour's grid, spreading outwards."""
    todo = deque(u for u in range(len(labels)) if labels[u] >= 0)
    while todo:
        u = todo.popleft()
        for v, _ in g.nbrs[u]:
            if labels[v] < 0:
                labels[v] = labels[u]
                todo.append(v)
    rest = np.flatnonzero(labels < 0)
    have = np.flatnonzero(labels >= 0)
    if len(rest) and len(have):
        # New area not touching any grid (an island): the grid of the nearest unit.
        from scipy.spatial import cKDTree
        _, j = cKDTree(g.xy[have]).query(g.xy[rest], k=1)
        labels[rest] = labels[have[np.atleast_1d(j)]]
    return bool((labels >= 0).all())


def _nearest_grid_with_room(grids, region, bg, H, hi):
    geoms = bg.geometry.values
    target = shapely.union_all(geoms[region])
    best = None
    for gi, g in enumerate(grids):
        tot = sum(u[4] for u in g.units)
        if g.status != "ok" or tot + H > hi:
            continue
        d = float(shapely.distance(geoms[sorted(g.blocks)], target).min())  # no union needed
        if best is None or d < best[0]:
            best = (d, gi)
    return None if best is None else best[1]


def _attach_empty(grids: list[_Grid], empty: list[int], g_all: UnitGraph, bg):
    """Blocks without households join the grid they border most, so grids cover the village."""
    owner: dict[int, set] = {}
    for gi, g in enumerate(grids):
        for b in g.blocks:
            owner.setdefault(b, set()).add(gi)
    pending = [b for b in empty if b not in owner]
    geoms = bg.geometry.values
    for _ in range(len(pending) + 1):
        if not pending:
            break
        left = []
        for b in pending:
            score: dict[int, float] = {}
            for v, f in g_all.nbrs[b]:
                if v not in owner:
                    continue
                if len(owner[v]) == 1:
                    gi = next(iter(owner[v]))
                    score[gi] = score.get(gi, 0.0) + f + 1e-6
                    continue
                # A block shared by several grids (opened into households): only the grids whose
                # part of it actually borders this block count.
                edge = shapely.buffer(shapely.boundary(geoms[b]), 0.05)
                for gi in owner[v]:
                    part = [u[5] for u in grids[gi].units if u[0] == v]
                    touch = float(shapely.length(shapely.intersection(
                        shapely.boundary(shapely.union_all(part)), edge))) if part else 0.0
                    if touch > 0.01:
                        score[gi] = score.get(gi, 0.0) + touch * 1e-3 + 1e-6
            if score:
                gi = max(score, key=lambda x: (score[x], -x))
                owner[b] = {gi}
                grids[gi].units.append((int(b), -1, 0, 1, 0, geoms[b]))
                grids[gi].blocks.add(int(b))
            else:
                left.append(b)
        if len(left) == len(pending):
            break
        pending = left
    if pending and grids:
        # Unreachable through edges (an island): the nearest grid by distance.
        own = np.array([b for g in grids for b in g.blocks])
        gid = np.array([gi for gi, g in enumerate(grids) for _ in g.blocks])
        tree = shapely.STRtree(geoms[own])
        src, dst = tree.query_nearest(geoms[np.asarray(pending)], all_matches=False)
        for i, j in zip(src.tolist(), dst.tolist()):
            b, gi = pending[i], int(gid[j])
            grids[gi].units.append((int(b), -1, 0, 1, 0, geoms[b]))
            grids[gi].blocks.add(int(b))
            # A separate part of the village (no households) goes with the nearest grid.
            if grids[gi].status == "ok" and not grids[gi].note:
                grids[gi].note = "exclave"


def _shared_cells(grids: list[_Grid]) -> list[list]:
    """The polygons each grid is drawn from, with every building split between grids (an
    apartment block by entrance, whose parts share one cell) drawn once: in the grid holding most
    of its households, so that grids never overlap and areas count land once. A grid made only of
    such parts gets a strip of the cell instead, the cell being divided between its grids in
    proportion to their households."""
    share: dict[int, dict[int, int]] = {}
    cell: dict[int, object] = {}
    for gi, g in enumerate(grids):
        for _, feat, _, nparts, h, geom in g.units:
            if feat >= 0 and nparts > 1:
                share.setdefault(feat, {})
                share[feat][gi] = share[feat].get(gi, 0) + int(h)
                cell[feat] = geom
    split = {f: s for f, s in share.items() if len(s) > 1}
    owner = {f: min(s, key=lambda gi: (-s[gi], gi)) for f, s in split.items()}
    drawn: list[list] = []
    for gi, g in enumerate(grids):
        polys, seen = [], set()
        for _, feat, _, _, _, geom in g.units:
            if feat in split and owner[feat] != gi:
                continue
            if id(geom) not in seen:
                seen.add(id(geom))
                polys.append(geom)
        drawn.append(polys)
    # Grids left with nothing to draw: the buildings they hold are divided into strips.
    empty = [gi for gi, polys in enumerate(drawn) if not polys]
    divide = sorted({f for gi in empty for _, f, *_ in grids[gi].units if f in split})
    for f in divide:
        members = sorted(split[f])
        strips = _strips(cell[f], [split[f][gi] for gi in members])
        for gi, strip in zip(members, strips):
            drawn[gi] = [p for p in drawn[gi] if p is not cell[f]] + ([strip] if strip is not None else [])
    for gi, polys in enumerate(drawn):
        if not polys:  # nothing could be drawn: keep the shared cells rather than an empty grid
            drawn[gi] = list({id(u[5]): u[5] for u in grids[gi].units}.values())
    return drawn


def _strips(poly, weights: list[int]) -> list:
    """``poly`` cut across its longer side into strips whose areas follow ``weights``."""
    x0, y0, x1, y1 = shapely.bounds(poly)
    horizontal = (x1 - x0) >= (y1 - y0)
    total = float(sum(weights)) or 1.0
    area = float(shapely.area(poly))
    cuts, acc = [], 0.0
    for wgt in weights[:-1]:
        acc += wgt / total
        lo, hi = (x0, x1) if horizontal else (y0, y1)
        for _ in range(40):  # bisection on the cut position for the area wanted
            mid = (lo + hi) / 2
            box = (x0, y0, mid, y1) if horizontal else (x0, y0, x1, mid)
            if float(shapely.area(shapely.clip_by_rect(poly, *box))) < acc * area:
                lo = mid
            else:
                hi = mid
        cuts.append((lo + hi) / 2)
    edges = [x0 if horizontal else y0, *cuts, x1 if horizontal else y1]
    out = []
    for a, b in zip(edges, edges[1:]):
        box = (a, y0, b, y1) if horizontal else (x0, a, x1, b)
        piece = shapely.make_valid(shapely.clip_by_rect(poly, *box))
        out.append(None if shapely.is_empty(piece) else piece)
    return out


def _share_strips(grids: list[_Grid], strips: list[int], g_all: UnitGraph, bg, border) -> None:
    """Each street/brook strip (an empty face inside a soft parcel) divided between the grids
    around it: points along its border take the grid of the block (or household cell) across it,
    and the strip's Voronoi cells of those points are dissolved per grid, so the divide runs down
    the middle of the street. A strip touching one grid goes to it whole; one touching none to the
    nearest grid."""
    if not grids:
        return
    geoms = bg.geometry.values
    whole: dict[int, int] = {}
    cells: dict[int, list] = {}
    for gi, g in enumerate(grids):
        for blk, feat, _, _, _, geom in g.units:
            if feat < 0:
                whole.setdefault(int(blk), gi)
            else:
                cells.setdefault(int(blk), []).append((gi, geom))
    by_strip = _border_groups(border)
    for s in strips:
        poly = geoms[s]
        grp = by_strip.get(int(s))
        pts, lab = [], []
        width = max(2.0 * shapely.area(poly) / max(shapely.length(poly), 1e-9), 1.0)
        if grp is not None:
            segs = shapely.segmentize(grp["geometry"].to_numpy(), max(width, 5.0))
            for other, seg in zip(grp["other"].tolist(), segs):
                xy = shapely.get_coordinates(seg)
                xy = (xy[:-1] + xy[1:]) / 2 if len(xy) > 1 else xy
                if other in whole:
                    ls = [whole[other]] * len(xy)
                elif other in cells:
                    cand = cells[other]
                    d = np.stack([shapely.distance(c[1], shapely.points(xy)) for c in cand])
                    ls = [cand[k][0] for k in d.argmin(axis=0)]
                else:
                    continue
                pts.append(xy)
                lab += ls
        owners = sorted(set(lab))
        if not owners:
            own = np.array([b for g in grids for b in g.blocks], dtype=np.int64)
            gid = np.array([gi for gi, g in enumerate(grids) for _ in g.blocks], dtype=np.int64)
            owners = [int(gid[shapely.STRtree(geoms[own]).query_nearest(poly, all_matches=False)[0]])]
        if len(owners) == 1:
            pieces = {owners[0]: poly}
        else:
            xy = np.vstack(pts)
            xy, first = np.unique(np.round(xy, 3), axis=0, return_index=True)
            lab = np.asarray(lab)[first]
            vor = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=poly, ordered=True))
            pieces = {}
            for gi in owners:
                # Voronoi cells tile the plane: their coverage union is exact and fast.
                part = shapely.make_valid(shapely.intersection(shapely.coverage_union_all(vor[lab == gi]), poly))
                polys = [q for p in shapely.get_parts(part) if shapely.get_type_id(p) in (3, 6)
                         for q in shapely.get_parts(p)]
                part = polys[0] if len(polys) == 1 else shapely.multipolygons(polys) if polys else shapely.Polygon()
                if not shapely.is_empty(part) and shapely.area(part) > 1e-3:
                    pieces[int(gi)] = part
        for gi, part in pieces.items():
            grids[gi].units.append((int(s), -1, 0, 1, 0, part))
            grids[gi].blocks.add(int(s))


def _border_groups(border) -> dict:
    """The strip borders by strip face, grouped once per table."""
    if border is None or not len(border):
        return {}
    cached = border.attrs.get("_groups")
    if cached is None:
        strip = border["strip"].to_numpy()
        order = np.argsort(strip, kind="stable")
        cuts = np.flatnonzero(np.diff(strip[order])) + 1
        cached = {int(strip[idx[0]]): border.iloc[idx] for idx in np.split(order, cuts)}
        border.attrs["_groups"] = cached
    return cached


def _sites_inside(xy: np.ndarray, container) -> np.ndarray:
    """Household positions for sub-grid cells, moved onto ``container`` where they lie outside it
    (a part of an apartment block drawn in the neighbouring grid), so that every sub-grid has an
    area in its own grid."""
    pts = shapely.points(xy)
    shapely.prepare(container)
    out = ~shapely.intersects(container, pts)
    if not out.any():
        return xy
    xy = xy.copy()
    near = shapely.get_point(shapely.shortest_line(pts[out], container), 1)
    xy[out] = shapely.get_coordinates(near)
    return xy


def _mark_apart(grids: list[_Grid], g_all: UnitGraph, region_blocks) -> None:
    """A grid holding blocks of more than one separate part of the village says why it is in
    pieces: ``note = "exclave"`` (the village itself is in several parts)."""
    comps = g_all.components(region_blocks)
    if len(comps) <= 1:
        return
    part_of = {b: k for k, c in enumerate(comps) for b in c}
    for g in grids:
        if g.status == "ok" and not g.note and len({part_of.get(b, -1) for b in g.blocks}) > 1:
            g.note = "exclave"


def _fallback_chunks(G: UnitGraph, hh, cap):
    """Greedy connected chunks of at most ``cap`` (used only when bisection fails; flagged)."""
    order = np.lexsort((G.xy[:, 0], -G.xy[:, 1]))
    parts, cur, tot = [], [], 0
    for u in order.tolist():
        if tot + hh[u] > cap and cur:
            parts.append(cur)
            cur, tot = [], 0
        cur.append(u)
        tot += int(hh[u])
    if cur:
        parts.append(cur)
    return parts


def _reading_order(gdf) -> list[int]:
    """1-based numbers for the rows of ``gdf``: west→east within bands, bands north→south."""
    if not len(gdf):
        return []
    c = shapely.get_coordinates(shapely.point_on_surface(gdf.geometry.values))
    area = shapely.area(gdf.geometry.values)
    band = max(math.sqrt(float(np.median(area))) if len(area) else 1.0, 1.0)
    ymax = c[:, 1].max()
    row = np.floor((ymax - c[:, 1]) / band).astype(int)
    order = np.lexsort((c[:, 0], row))
    num = np.empty(len(gdf), dtype=int)
    num[order] = np.arange(1, len(gdf) + 1)
    return num.tolist()


def assign_codes(gdf: gpd.GeoDataFrame, *, group: str) -> list[str]:
    """``<group value>-NN`` for every row, numbered west→east, north→south within each group."""
    codes = np.empty(len(gdf), dtype=object)
    for key, idx in gdf.groupby(group, sort=False).groups.items():
        nums = _reading_order(gdf.loc[idx])
        codes[np.asarray([gdf.index.get_loc(i) for i in idx])] = [f"{key}-{n:02d}" for n in nums]
    return codes.tolist()


def add_grid_metrics(g: gpd.GeoDataFrame, grids_internal, blocks: Blocks, ctx, layers, *, lines=None,
                     points=None, assign=None) -> None:
    """Area, Polsby-Popper, hard/soft crossings, farthest household and key places per grid.

    With the barrier ``lines``, household ``points`` and the engine's ``assign`` table, crossings
    are measured on the drawn grids (:func:`.geomcheck.grid_crossings`: households on two sides of
    a hard line inside a grid), whatever the block graph said; without them, on the block graph."""
    geoms = g.geometry.values
    area = shapely.area(geoms)
    per = shapely.length(geoms)
    g["area_m2"] = np.round(area, 1)
    g["polsby_popper"] = np.round(4 * math.pi * area / np.maximum(per, 1e-9) ** 2, 3)
    if lines is not None and points is not None and assign is not None:
        from .geomcheck import grid_crossings, members_of
        feats, hhs = members_of(assign, len(g))
        vil = layers.get("villages")
        hard, soft = grid_crossings(geoms, feats, np.asarray(points, dtype=object), hhs, lines,
                                    villages=vil.geometry.to_numpy() if vil is not None else None)
    else:
        hard, soft = crossings(blocks, [gr.blocks for gr in grids_internal])
    g["hard_crossings"] = hard
    g["soft_crossings"] = soft
    # Farthest household from the grid's centroid.
    cen = shapely.get_coordinates(shapely.centroid(geoms))
    far = np.zeros(len(g))
    xy = ctx["points_xy"]
    fob = ctx["features_of_block"]
    if assign is not None and len(assign):  # every grid's features at once
        fa, ga = assign["feature"].to_numpy(), assign["grid_index"].to_numpy()
        d = np.hypot(*(xy[fa] - cen[ga]).T)
        np.maximum.at(far, ga, d)
        grids_internal = ()
    for gi, gr in enumerate(grids_internal):
        feats = []
        for blk, feat, *_ in gr.units:
            if feat >= 0:
                feats.append(feat)
            else:
                feats.extend(fob.get(blk, ()))
        if feats:
            d = np.hypot(*(xy[np.asarray(feats)] - cen[gi]).T)
            far[gi] = float(d.max())
    g["max_dist_m"] = np.round(far, 1)
    places = layers.get("places")
    g["places"] = 0
    g["place_names"] = ""
    if places is not None and len(places):
        pts = shapely.point_on_surface(places.geometry.values)
        gi, pi = shapely.STRtree(pts).query(geoms, predicate="intersects")
        cnt = np.bincount(gi, minlength=len(g))
        g["places"] = cnt
        names = {}
        for a, b in zip(gi.tolist(), pi.tolist()):
            nm = places["name"].iat[b] if "name" in places else None
            cat = places["category"].iat[b] if "category" in places else ""
            # An unnamed place is listed by its category, in Chinese as the planners read it (银行).
            names.setdefault(a, []).append(str(nm) if isinstance(nm, str) and nm
                                           else PLACE_CATEGORIES.get(str(cat), str(cat)))
        g["place_names"] = ["、".join(names.get(i, [])) for i in range(len(g))]


def crossings(blocks: Blocks, grid_blocks: list[set]) -> tuple[np.ndarray, np.ndarray]:
    """Per grid: hard crossings (populated sides of a hard barrier held together, counted as extra
    hard-bounded regions) and soft crossings (block pairs along a main road or stream held together).
    Used for gridtool's plans and for the benchmark's anchors alike."""
    e = blocks.edges
    w = blocks.gdf["hh"].to_numpy()
    hard = np.zeros(len(grid_blocks), dtype=np.int64)
    soft = np.zeros(len(grid_blocks), dtype=np.int64)
    if not len(e):
        return hard, soft
    ea, eb = e["a"].to_numpy(), e["b"].to_numpy()
    is_hard = e["hard"].to_numpy()
    major = e["major"].to_numpy()
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    n = len(w)
    local = np.full(n, -1, dtype=np.int64)
    # Edges by their first block, so each grid looks only at its own blocks' edges.
    order = np.argsort(ea, kind="stable")
    starts = np.searchsorted(ea[order], np.arange(n + 1))
    for gi, bs in enumerate(grid_blocks):
        bl = np.fromiter(bs, dtype=np.int64)
        local[bl] = np.arange(len(bl))
        idx = np.concatenate([order[starts[b]:starts[b + 1]] for b in bl]) if len(bl) else np.zeros(0, int)
        idx = idx[local[eb[idx]] >= 0]
        soft[gi] = int((major[idx] & ~is_hard[idx]).sum())
        pop = local[bl[w[bl] > 0]]
        if len(pop) > 1:
            # Parts of the grid joined only across hard barriers, counted where households live;
            # parts not joined at all (an exclave of the village) are not crossings.
            nb = len(bl)
            s = idx[~is_hard[idx]]
            _, lab_soft = connected_components(
                coo_matrix((np.ones(len(s)), (local[ea[s]], local[eb[s]])), shape=(nb, nb)), directed=False)
            _, lab_all = connected_components(
                coo_matrix((np.ones(len(idx)), (local[ea[idx]], local[eb[idx]])), shape=(nb, nb)), directed=False)
            hard[gi] = len(np.unique(lab_soft[pop])) - len(np.unique(lab_all[pop]))
        local[bl] = -1
    return hard, soft


def _text(value) -> str:
    """A place's name as text: missing values (None, NaN, NA) are '' rather than the string 'nan'."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


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


def pocket_grid_mask(grids: pd.DataFrame) -> pd.Series:
    """Grids that are an area enclosed by hard barriers kept whole (``pockets="exception"``): they
    are named in the report and left out of the share of grids within bounds, as infeasible
    villages are."""
    if not len(grids) or "note" not in grids or "status" not in grids:
        return pd.Series(False, index=grids.index)
    return (grids["status"].astype(str) == "exception") & (grids["note"].astype(str) == "pocket")
