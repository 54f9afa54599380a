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
        Place categories carved out as special grids (专属网格). Points get ``special_radius`` m.
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
                 special_categories: Iterable[str] = SPECIAL_CATEGORIES, special_radius: float = 50.0,
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
            progress: Callable[[float, str], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> "GridPartitioner":
        """Partition ``data`` (a :class:`~gridtool.project.Project` or ``{role: GeoDataFrame}``).

        ``previous`` (an earlier ``grids`` layer with ``code``) makes this a *redraw with minimal
        change*: grids start from the previous ones and are only repaired back into bounds;
        grids whose code is in ``locked`` keep their area exactly; codes carry over by household
        overlap. ``report_["redraw"]`` says how many households and grids changed.

        Sets ``grids_``, ``subgrids_``, ``special_grids_``, ``corridors_``, ``households_``
        (the grid and sub-grid of every household feature), ``blocks_`` and ``report_``.
        """
        t0 = time.perf_counter()
        layers = _layers_of(data)
        say = progress or (lambda f, m: None)
        stop = cancelled or (lambda: False)
        hhg, villages = _check_inputs(layers)
        crs = villages.crs
        pts = household_points(hhg).values
        hh = hhg["hh"].to_numpy(dtype=float)
        hh = np.where(np.isfinite(hh) & (hh > 0), np.rint(hh), 0).astype(np.int64)
        xy = shapely.get_coordinates(pts)

        say(0.02, "构建街区 / building blocks")
        lines = barrier_lines(layers, hard=self.hard_barriers)
        vnames = _village_names(villages)
        vcodes = _village_codes(villages)
        # Corridors need only the lines and villages, and their GEOS work releases the GIL: they
        # are drawn on a second thread while blocks, grids and sub-grids are made on this one.
        corridors = _Background(self._corridors, layers, lines, villages, vcodes, vnames, crs)
        special_geoms, special_rows = self._special_places(layers, villages)
        blocks = build_blocks(villages, pts, hh, lines,
                              special=special_geoms if len(special_geoms) else None)
        self.blocks_ = blocks
        t_blocks = time.perf_counter() - t0
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

        self._previous = None
        if previous is not None and len(previous):
            prev = previous.to_crs(crs) if previous.crs is not None and crs is not None else previous
            prev = prev.reset_index(drop=True)
            locked = set(locked)
            unknown = sorted(locked - set(prev["code"].astype(str)))
            if unknown:
                raise MissingColumnError(
                    f"要锁定的网格不存在：{', '.join(unknown)}", f"grids to lock do not exist: {', '.join(unknown)}",
                    fix_zh="检查网格编码（上一版 grids 图层的 code 字段）。",
                    fix_en="check the codes against the previous grids layer's code column.", field="code")
            rep = shapely.point_on_surface(blocks.gdf.geometry.values)
            bi, pi = shapely.STRtree(prev.geometry.values).query(rep, predicate="within")
            block_prev = np.full(len(blocks.gdf), -1, dtype=np.int64)
            block_prev[bi] = pi
            fi, fp = shapely.STRtree(prev.geometry.values).query(pts, predicate="within")
            feat_prev = np.full(len(pts), -1, dtype=np.int64)
            feat_prev[fi] = fp
            self._previous = dict(gdf=prev, locked={i for i, c in enumerate(prev["code"].astype(str)) if c in locked},
                                  block_prev=block_prev, feat_prev=feat_prev)

        bg = blocks.gdf
        e = blocks.edges
        plain = e[~e["cross_village"]] if len(e) else e
        village_of_block = bg["village"].to_numpy()
        is_special = bg["special"].to_numpy() >= 0

        # Village totals and the policy for those no number of grids fits.
        vt = np.bincount(village_of_block, weights=np.where(is_special, 0, bg["hh"].to_numpy()),
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
            region_blocks = [int(b) for b in np.flatnonzero(np.isin(village_of_block, members) & ~is_special)]
            if self._previous is not None:
                vg, vrep = self._redraw_village(p, region_blocks, e, stop)
            else:
                vg, vrep = self._partition_village(p, region_blocks, e, stop)
            grids.extend(vg)
            village_reports.append(vrep)
        t_grids = time.perf_counter() - t0 - t_blocks

        say(0.82, "网格图层 / grid layers")
        self.grids_, self.households_ = self._grid_layers(grids, villages, vnames, vcodes, hhg, crs)
        self.special_grids_ = self._special_layer(special_rows, blocks, villages, vcodes, vnames, crs)
        self._add_metrics(layers)
        self.subgrids_ = None
        if self.subgrids:
            say(0.88, "子网格 / sub-grids")
            self.subgrids_ = self._subgrids(stop)
        t_sub = time.perf_counter() - t0 - t_blocks - t_grids
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
            "total_s": round(time.perf_counter() - t0, 3)})
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
        regions = g_soft.components(region_blocks)
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
        regions, joins, isolated = _merge_regions(regions, g_all, w, lo, hi)
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
        for edges in ((joins, red) if len(joins) < len(red) else (red,)):
            seen = []
            for refine in ladder:
                if refine in seen:
                    continue
                seen.append(refine)
                us = build_unitset(self.blocks_, region, edges, refine, unit_max=self.sub_max,
                                   unit_target=self.sub_target, unit_min=self.sub_min, **self._ctx)
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
    def _redraw_village(self, plan, region_blocks, edges, stop):
        """Previous grids kept where they are within bounds; repaired with few moves otherwise."""
        pv = self._previous
        lo, hi = plan["bounds"]
        bg = self.blocks_.gdf
        w = bg["hh"].to_numpy()
        bprev = pv["block_prev"]
        report = {"village": plan["name"], "households": plan["hh"], "status": plan["status"],
                  "bounds": [lo, hi], "applied": plan["applied"], "remedies": plan["remedies"],
                  "guests": plan["guests"], "grids": 0, "unavoidable_hard_crossings": 0,
                  "refined": False, "notes": [], "redraw": "repaired"}
        grids: list[_Grid] = []
        locked_blocks: dict[int, list[int]] = {}
        free = []
        for b in region_blocks:
            if bprev[b] in pv["locked"]:
                locked_blocks.setdefault(int(bprev[b]), []).append(b)
            else:
                free.append(b)
        for lab, bl in sorted(locked_blocks.items()):
            g = self._whole_grid(plan["village"], bl, "ok", "locked", (lo, hi))
            tot = int(w[bl].sum())
            if not lo <= tot <= hi:
                g.status = "exception"
                g.note = f"locked, {tot} households outside {lo}-{hi}"
            grids.append(g)
        if not free:
            report["grids"] = len(grids)
            return grids, report
        members = set(free)
        ed = self._edges_among(edges, members, [plan["village"]] + list(plan["guests"]))
        if plan["host"] is None and not plan["guests"]:
            ed = ed[~ed["cross_village"]]
        H = int(w[free].sum())
        fresh = False
        if H == 0:
            pass
        elif not feasible_grid_counts(H, lo, hi):
            fresh = True
        else:
            fob = self._ctx["features_of_block"]
            fprev = pv["feat_prev"]
            # Blocks the previous plan had split between grids are opened into household units.
            split = [b for b in free if len(fob.get(b, ())) and len(set(fprev[fob[b]].tolist())) > 1]
            for refine in (split, split + [b for b in free if w[b] > hi], [b for b in free if w[b] > 0]):
                us = build_unitset(self.blocks_, free, ed, set(refine), unit_max=self.sub_max,
                                   unit_target=self.sub_target, unit_min=self.sub_min, **self._ctx)
                labels = np.array([fprev[f] if f >= 0 and fprev[f] >= 0 else bprev[b]
                                   for b, f in zip(us.block.tolist(), us.feature.tolist())], dtype=np.int64)
                labels[np.isin(labels, list(pv["locked"]))] = -1
                _keep_largest_pieces(us.graph, labels)
                if not _fill_labels(us.graph, labels):
                    fresh = True
                    break
                from .repair import repair
                ok, moved = repair(us.graph, labels, lo, hi, target=self.target)
                if ok:
                    for lab in np.unique(labels):
                        part = np.flatnonzero(labels == lab)
                        units = [(int(us.block[u]), int(us.feature[u]), int(us.part[u]), int(us.nparts[u]),
                                  int(us.hh[u]), us.geom[u]) for u in part]
                        grids.append(_Grid(plan["village"], units, {x[0] for x in units}, "ok", "", (lo, hi)))
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

    def _carry_codes(self, grids, gdf, hhg) -> list[str]:
        """Previous codes for the new grids that overlap them most (by households), new numbers
        after the highest old one for the rest."""
        from scipy.optimize import linear_sum_assignment
        pv = self._previous
        prev_codes = pv["gdf"]["code"].astype(str).to_numpy()
        fprev = pv["feat_prev"]
        a = self._assign
        codes = np.asarray(gdf["code"].tolist(), dtype=object)
        new_codes = codes.copy()
        for vc, idx in gdf.groupby("village_code", sort=False).groups.items():
            rows = np.asarray([gdf.index.get_loc(i) for i in idx])
            sub = a[a["grid_index"].isin(rows)]
            pcode = fprev[sub["feature"].to_numpy()]
            ov = pd.DataFrame({"g": sub["grid_index"].to_numpy(), "p": pcode, "hh": sub["hh"].to_numpy()})
            ov = ov[ov["p"] >= 0].groupby(["g", "p"])["hh"].sum()
            # Locked grids keep their own code whatever their households did.
            fixed = {}
            for r in rows:
                g = grids[r]
                if g.note.startswith("locked"):
                    b0 = next(iter(g.blocks))
                    fixed[r] = int(pv["block_prev"][b0])
            pl = sorted({int(p) for _, p in ov.index} - set(fixed.values()))
            gl = [r for r in rows if r not in fixed]
            used = set()
            coded = set(fixed)  # rows given a code here; the others get new numbers below
            for r, p in fixed.items():
                new_codes[r] = prev_codes[p]
                used.add(prev_codes[p])
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
                        coded.add(gl[i])
            taken = {c for c in prev_codes if str(c).startswith(f"{vc}-")} | used
            nums = [int(c.rsplit("-", 1)[1]) for c in taken if c.rsplit("-", 1)[1].isdigit()]
            nxt = max(nums, default=0) + 1
            for r in rows:
                # (not "code not in used": a fresh reading-order code may equal a kept one)
                if r not in coded:
                    new_codes[r] = f"{vc}-{nxt:02d}"
                    used.add(new_codes[r])
                    nxt += 1
        # Households moved and grids changed, against the previous plan.
        prev_of = fprev[a["feature"].to_numpy()]
        prev_code = np.where(prev_of >= 0, prev_codes[np.maximum(prev_of, 0)], None)
        now = new_codes[a["grid_index"].to_numpy()]
        moved = (prev_code != now) & (prev_of >= 0)
        new_hh = int(a["hh"].to_numpy()[prev_of < 0].sum())
        changed = set(now[moved].tolist()) | set(c for c in prev_code[moved].tolist() if c)
        self._redraw_stats = {"households_moved": int(a["hh"].to_numpy()[moved].sum()),
                              "households_new": new_hh, "households_total": int(a["hh"].sum()),
                              "grids_changed": len(changed & set(new_codes.tolist())),
                              "grids": len(new_codes), "codes_kept": len(set(new_codes) & set(prev_codes)),
                              "locked": sorted(prev_codes[list(pv["locked"])].tolist())}
        return new_codes.tolist()

    def _grid_layers(self, grids, villages, vnames, vcodes, hhg, crs):
        bg = self.blocks_.gdf
        fob = self._ctx["features_of_block"]
        n_feat = len(hhg)
        geoms, rows = [], []
        # Household features: grid index per (feature, part).
        assign = []  # (feature, part, nparts, hh, grid_index)
        for gi, g in enumerate(grids):
            polys = [u[5] for u in g.units]
            geom = dissolve(polys)
            geoms.append(geom)
            hh_total = 0
            for blk, feat, part, nparts, h, _ in g.units:
                if feat < 0:
                    for f in fob.get(blk, ()):
                        assign.append((int(f), 0, 1, int(self._ctx["hh"][f]), gi))
                    hh_total += h
                else:
                    assign.append((feat, part, nparts, h, gi))
                    hh_total += h
            rows.append({"village": vnames[g.village], "village_code": vcodes[g.village],
                         "hh": int(hh_total), "status": g.status, "note": g.note,
                         "min_hh": g.bounds[0], "max_hh": g.bounds[1]})
        gdf = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=crs)) if rows else \
            gpd.GeoDataFrame({"village": [], "village_code": [], "hh": [], "status": [], "note": [],
                              "min_hh": [], "max_hh": []}, geometry=gpd.GeoSeries([], crs=crs))
        a = pd.DataFrame(assign, columns=["feature", "part", "nparts", "hh", "grid_index"])
        self._assign = a
        gdf["code"] = assign_codes(gdf, group="village_code")
        if self._previous is not None and len(gdf):
            gdf["code"] = self._carry_codes(grids, gdf, hhg)
        gdf["worker"] = ""  # one grid worker slot per grid (定人定格), filled in by the planner
        gdf["worker_slots"] = 1
        gdf["locked"] = [g.note.startswith("locked") for g in grids]
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
            txt = agg.groupby("feature").apply(
                lambda d: ";".join(f"{c}:{int(n)}" for c, n in zip(d["grid"], d["hh"])), include_groups=False)
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
        add_grid_metrics(g, self._grids_internal, self.blocks_, self._ctx, layers)

    # ------------------------------------------------------------------------------------------
    def _subgrids(self, stop):
        """Sub-grids inside every base grid, on household units."""
        crs = self.grids_.crs
        rows, geoms, sub_assign = [], [], []
        ctx = self._ctx
        a = self._assign
        by_grid = {gi: (grp["feature"].to_numpy(), grp["hh"].to_numpy())
                   for gi, grp in a.groupby("grid_index", sort=True)}
        for gi, grow in enumerate(self.grids_.itertuples()):
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
            for step, (umax, utarget) in enumerate(ladder):
                fu = household_units(uniq, ctx["points_xy"][uniq], fhh, container,
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
                cells = fu.geom[part]
                geom = dissolve(cells)
                apartment = bool((fu.nparts[part] > 1).any())
                names = sorted({f"{int(fu.feature[u])}" for u in part if fu.nparts[u] > 1})
                kind = "apartment part" if apartment else "area"
                rows.append({"grid": grow.code, "village": grow.village, "hh": int(fu.hh[part].sum()),
                             "kind": kind, "status": status, "n_features": len(set(fu.feature[part].tolist())),
                             "apartment_parts": ";".join(
                                 f"{self._feature_label(int(fu.feature[u]))}#{int(fu.part[u]) + 1}/{int(fu.nparts[u])}"
                                 for u in part if fu.nparts[u] > 1)})
                geoms.append(geom)
                for u in part:
                    sub_assign.append((int(fu.feature[u]), int(fu.part[u]), int(fu.nparts[u]),
                                       int(fu.hh[u]), grow.code, len(rows) - 1))
                del names
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
    def _special_places(self, layers, villages):
        places = layers.get("places")
        if places is None or not len(places) or "category" not in places or not self.special_categories:
            return np.array([], dtype=object), None
        sel = places[places["category"].isin(self.special_categories)].copy()
        if not len(sel):
            return np.array([], dtype=object), None
        g = sel.geometry.values
        is_point = shapely.get_type_id(g) == 0
        g = np.where(is_point, shapely.buffer(g, self.special_radius, quad_segs=4), shapely.make_valid(g))
        # Overlapping places (a school inside a campus polygon) become one special area.
        merged = shapely.get_parts(shapely.union_all(g))
        merged = merged[shapely.area(merged) > 1.0]
        merged = shapely.intersection(merged, shapely.union_all(villages.geometry.values))
        merged = merged[~shapely.is_empty(merged)]
        merged = np.concatenate([shapely.get_parts(m) for m in merged]) if len(merged) else merged
        merged = merged[shapely.get_type_id(merged) == 3] if len(merged) else merged
        tree = shapely.STRtree(merged)
        pi, mi = tree.query(shapely.point_on_surface(sel.geometry.values), predicate="intersects")
        names = {}
        for p, m in zip(pi, mi):
            names.setdefault(int(m), []).append((str(sel["category"].iat[p]),
                                                 _text(sel["name"].iat[p]) if "name" in sel else ""))
        return merged, names

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
            bi, vi = tree.query(bands, predicate="intersects")
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
        infeasible = [{"village": p["name"], "households": p["hh"], "status": p["status"],
                       "applied": p["applied"], "remedies": p["remedies"]}
                      for p in plans if p["status"] not in ("ok", "empty")]
        # Per village: hard crossings beyond those forced by pockets and exclaves.
        hard_by_village = g.groupby("village")["hard_crossings"].sum().to_dict() if len(g) else {}
        for r in village_reports:
            r["hard_crossings"] = int(hard_by_village.get(r["village"], 0))
            r["avoidable_hard_crossings"] = max(0, r["hard_crossings"] - r["unavoidable_hard_crossings"])
        plan = plan_figures(g, self.subgrids_, self.special_grids_, self.corridors_,
                            feasible=g["village"].isin(ok_villages), villages=len(plans), infeasible=infeasible,
                            village_reports=village_reports, sub_bounds=(self.sub_min, self.sub_max))
        cols = [c for c in ("code", "village", "hh", "status", "note", "area_m2", "polsby_popper",
                            "hard_crossings", "soft_crossings", "max_dist_m", "places", "place_names",
                            "n_subgrids") if c in g]
        if self._previous is not None:
            plan["redraw"] = getattr(self, "_redraw_stats", {})
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
def dissolve(polys) -> shapely.Geometry:
    """Union of polygons that tile an area (blocks, Voronoi cells): GEOS's coverage union, which is
    much faster than a general union; the general union where the pieces overlap or it fails."""
    uniq = list({id(p): p for p in polys}.values())  # parts of one building share a cell
    arr = np.array(uniq, dtype=object)
    if len(arr) == 1:
        return shapely.make_valid(arr[0])
    try:
        out = shapely.coverage_union_all(arr)
        if shapely.is_valid(out) and abs(shapely.area(out) - float(shapely.area(arr).sum())) < 1e-6 * max(
                float(shapely.area(arr).sum()), 1.0) + 0.01:
            return out
    except shapely.errors.GEOSException:
        pass
    return shapely.make_valid(shapely.union_all(arr))


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


def _merge_regions(regions, g_all: UnitGraph, w, lo, hi):
    """Join regions that no grid count fits to a neighbour (across a hard barrier) that fixes them.

    Returns the regions, the number of joins (unavoidable hard crossings) and the regions that
    stayed unfit because nothing populated borders them (exclaves).
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
        if best is None:
            given_up.add(regions[i][0])
            continue
        merged = list(regions[i])
        for rj in best[1]:
            merged.extend(regions[rj])
        drop = set(best[1]) | {i}
        regions = [r for j, r in enumerate(regions) if j not in drop] + [sorted(merged)]
        crossings += 1


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


def add_grid_metrics(g: gpd.GeoDataFrame, grids_internal, blocks: Blocks, ctx, layers) -> None:
    """Area, Polsby-Popper, hard/soft crossings, farthest household and key places per grid."""
    geoms = g.geometry.values
    area = shapely.area(geoms)
    per = shapely.length(geoms)
    g["area_m2"] = np.round(area, 1)
    g["polsby_popper"] = np.round(4 * math.pi * area / np.maximum(per, 1e-9) ** 2, 3)
    hard, soft = crossings(blocks, [gr.blocks for gr in grids_internal])
    g["hard_crossings"] = hard
    g["soft_crossings"] = soft
    # Farthest household from the grid's centroid.
    cen = shapely.get_coordinates(shapely.centroid(geoms))
    far = np.zeros(len(g))
    xy = ctx["points_xy"]
    fob = ctx["features_of_block"]
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
        self._out, self._err, self.seconds = None, None, 0.0

        def run():
            t = time.perf_counter()
            try:
                self._out = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - re-raised in result()
                self._err = exc
            self.seconds = time.perf_counter() - t

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
