"""Redraws with minimal change: the previous plan's grids kept where they are within bounds,
repaired with few moves otherwise, locked grids kept exactly, codes carried over by overlap.

:class:`RedrawMixin` holds the redraw steps of :class:`~.engine.GridPartitioner` (it is mixed
into it, not used alone): the locked grids made from their own households
(:meth:`~RedrawMixin._locked_grids`), the view of the blocks the other grids are drawn on
(:meth:`~RedrawMixin._free_view`), each village repaired (:meth:`~RedrawMixin._redraw_village`,
:mod:`.repair`), codes carried over (:meth:`~RedrawMixin._carry_codes`) and the ``changes`` layer.
The steps share the fit's state (``_ctx``, ``_previous``, ``blocks_``), so they stay methods;
they call :meth:`_partition_village` of the engine where a village is drawn afresh.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import GridtoolError
from .blocks import Blocks
from .feasibility import feasible_grid_counts
from .regions import DraftGrid, fill_labels, keep_largest_pieces, merge_regions
from .shapes import dissolve
from .solver import UnitGraph, partition
from .unitset import build_unitset
from .village_changes import follow_village_codes, village_changes
from ..plurals import count_en, plural_en


def _village_gone(code: str, households: int = 0) -> GridtoolError:
    # A grid whose households are still on the roster but in no village's polygon is not empty:
    # saying so would send the planner looking for deleted buildings instead of the village layer.
    if households:
        zh = (f"锁定网格 {code} 的 {households:,} 户已不在任何村（社区）范围内（所在的村（社区）已不在村图层中），"
              "无法保持不变")
        en = (f"the {count_en(households, 'household')} of the locked grid {code} {plural_en(households, 'lies', 'lie')} in no village any more (its village "
              "is no longer in the villages layer): it cannot be kept")
        extra_zh, extra_en = "；若是村图层漏了该村，把它补回村（社区）图层后再划分", \
            "; if the villages layer lacks the village by mistake, add it back and partition again"
    else:
        zh = f"锁定网格 {code} 已没有住户，所在的村（社区）也已不在项目中，无法保持不变"
        en = f"the locked grid {code} has no households left and its village is no longer in the project: it cannot be kept"
        extra_zh = extra_en = ""
    return GridtoolError(
        zh, en,
        fix_zh=f"确认该村已撤并后解除锁定（gridtool edit 项目.gpkg --unlock {code}，或在桌面程序的网格面板中点“解锁”；"
               f"用 --lock 指定的，从 --lock 中去掉它），再划分网格{extra_zh}。",
        fix_en=f"if the village was merged away, unlock the grid (gridtool edit PROJECT.gpkg --unlock {code}, or "
               f"Unlock in the app's grid panel; if --lock names it, leave it out) and partition again{extra_en}.",
        layer="grids", feature=code, field="locked")


class RedrawMixin:
    """The redraw steps of :class:`~.engine.GridPartitioner` (see the module docstring)."""

    def _locked_grids(self, pv, blocks, villages, vnames) -> dict[int, list[DraftGrid]]:
        """One grid per locked code, made of exactly the households the previous plan gave it
        (shares of divided buildings included) and its previous polygon; by village."""
        hb = blocks.household_block
        vob = blocks.gdf["village"].to_numpy()
        geoms = shapely.make_valid(pv.gdf.geometry.values)
        vgeoms = villages.geometry.values
        out: dict[int, list[DraftGrid]] = {}
        #: locked rows whose households now lie in several villages (a village split or its border
        #: moved): the grid stays whole, in the village holding most of them; the report names the rest
        self._locked_across: dict[int, dict[str, int]] = {}
        for p, members in pv.locked_members().items():
            votes: dict[int, int] = {}
            for f, n in members:
                if hb[f] >= 0:
                    votes[int(vob[hb[f]])] = votes.get(int(vob[hb[f]]), 0) + n
            if votes:
                v = max(votes, key=lambda x: (votes[x], -x))
                if len(votes) > 1:
                    self._locked_across[int(p)] = {str(vnames[x]): int(n) for x, n in votes.items() if x != v}
            else:  # a locked grid without households: the village its polygon lies in
                overlap = shapely.area(shapely.intersection(vgeoms, geoms[p])) if len(vgeoms) else np.zeros(0)
                if len(vgeoms) and overlap.sum() < 0.5 * shapely.area(geoms[p]):
                    # its village is no longer in the project: kept, it would go to a neighbour
                    # under that village's code, an empty grid no one locked
                    raise _village_gone(str(pv.gdf["code"].iloc[p]), sum(n for _, n in members))
                v = int(np.argmax(overlap)) if len(vgeoms) else 0
            lo, hi = getattr(self, "_relax_v", self.relax).get(vnames[v], (self.min_hh, self.max_hh))
            units = [(int(hb[f]), int(f), 0, 1, int(n), geoms[p]) for f, n in members]
            tot = sum(n for _, n in members)
            g = DraftGrid(v, units, {int(hb[f]) for f, _ in members if hb[f] >= 0}, "ok", "locked", (lo, hi),
                      locked=True, prev=int(p), geom=geoms[p])
            if not lo <= tot <= hi:
                g.status = "exception"
                g.note = f"locked, {count_en(tot, 'household', spec='')} outside {lo}-{hi}"
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
        self._inside_locked: list[tuple[int, int]] = []  # (feature, locked row) inside a locked polygon
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
                # Households the previous plan put in unlocked grids that lie inside a locked
                # polygon (drawn over by another system, or painted by hand) stay in them (a block
                # they fill keeps its shape); the report counts them. New ones joined the locked
                # grid (pv.joined) and are not free here.
                idx = np.flatnonzero((free_hh > 0) & (hb >= 0))
                within = shapely.contains_xy(lu, xy[idx, 0], xy[idx, 1])
                self._redraw_flags["households_inside_locked"] = int(free_hh[idx[within]].sum())
                # Which locked grid each lies in, to tell the planner where they went (_carry_codes).
                for p in sorted(pv.locked):
                    f_in = idx[within][shapely.contains_xy(shapely.make_valid(pv.gdf.geometry.values[p]),
                                                           xy[idx[within], 0], xy[idx[within], 1])]
                    self._inside_locked.extend((int(f), int(p)) for f in f_in)
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
        # Only a grid of the block's own village: an empty lane whose point falls in the next
        # village's grid (another system's outline drawn a few metres off) would otherwise start
        # there, a grid with no household in this village, which the repair then fills by
        # taking hundreds of households from the others.
        bprev[_foreign(bprev, gdf["village"].to_numpy(), pv.major(), hb, gdf["village"].to_numpy(), hh)] = -1
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
            # Last year's split of the building, household for household, where its parts allow it
            # (they do when its households are as they were): a redraw of unchanged data changes nothing.
            exact = split_as_before([int(us.hh[u]) for u in units], sorted(left.items()))
            if exact is not None:
                labels[units] = exact
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

    def _redraw_village(self, plan, region_blocks, edges, stop, *, has_locked: bool = False):
        """Previous grids kept where they are within bounds; repaired with few moves otherwise.
        Works on the unlocked households only (locked grids are made by :meth:`_locked_grids`;
        ``has_locked``: the village holds some)."""
        lo, hi = plan["bounds"]
        bg = self.blocks_.gdf
        w = bg["hh"].to_numpy()
        report = {"village": plan["name"], "households": plan["hh"], "status": plan["status"],
                  "bounds": [lo, hi], "applied": plan["applied"], "remedies": plan["remedies"],
                  "guests": plan["guests"], "grids": 0, "unavoidable_hard_crossings": 0,
                  "refined": False, "notes": [], "redraw": "repaired"}
        grids: list[DraftGrid] = []
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
        report["unavoidable_hard_crossings"] = merge_regions(g_soft.components(free), g_all, w, lo, hi)[1]
        fresh = False
        if H == 0:
            # Nothing left to draw (every household is in a locked grid): the empty blocks go
            # with no grid; the locked grids keep their own polygons.
            report["redraw"] = "locked only"
            return grids, report
        elif not feasible_grid_counts(H, lo, hi) and not has_locked:
            # No grid count fits the village: one exceptional grid, as a partition makes it (locks
            # in other villages change nothing here).
            fresh = True
        else:
            fob = self._ctx["features_of_block"]
            start = self._start
            # Blocks whose households started in different grids are opened into household units.
            # Blocks whose households started in different grids, or holding a building the previous
            # plan divided between grids, are opened into household units.
            pv = self._previous
            split = [b for b in free if len(fob.get(b, ())) and (len(set(start[fob[b]].tolist()) - {-1}) > 1
                                                                 or any(len(pv.free_parts(int(f))) > 1 for f in fob[b]))]
            opened: dict = {}  # household units of the blocks opened so far (see build_unitset)
            for refine in (split, split + [b for b in free if w[b] > hi], [b for b in free if w[b] > 0]):
                us = build_unitset(self.blocks_, free, ed, set(refine), unit_max=self.sub_max,
                                   unit_target=self.sub_target, unit_min=self.sub_min, cache=opened,
                                   **self._ctx)
                done = self._repair_units(us, lo, hi, stop)
                if done is None:
                    continue
                labels, apart, moved, was = done
                pieces = {}
                for comp in us.graph.components():
                    for lab in set(labels[comp].tolist()) - {-1}:
                        pieces[lab] = pieces.get(lab, 0) + 1
                grid_of_label = {}
                for lab in np.unique(labels[labels >= 0]):
                    part = np.flatnonzero(labels == lab)
                    units = [(int(us.block[u]), int(us.feature[u]), int(us.part[u]), int(us.nparts[u]),
                              int(us.hh[u]), us.geom[u]) for u in part]
                    grid_of_label[int(lab)] = len(grids)
                    grids.append(DraftGrid(plan["village"], units, {x[0] for x in units}, "ok",
                                       "exclave" if pieces.get(int(lab), 1) > 1 else "", (lo, hi)))
                self._place_apart(grids, us, apart, plan, report, lo, hi,
                                  before=[grid_of_label.get(lab) for lab in was])
                for g in grids:
                    # What no grid count fits beside the village's locked grids is an exception
                    # too: the totals count it so.
                    if g.status == "ok" and not lo <= sum(u[4] for u in g.units) <= hi:
                        g.status, g.note = "exception", _add_note(g.note, BESIDE_LOCKED)
                report["units_moved"] = moved
                report["refined"] = bool(refine)
                break
            else:
                fresh = True
        if fresh:
            report["redraw"] = "from scratch"
            sub = dict(plan, hh=H)
            vg, vrep = self._partition_village(sub, free, edges, stop)
            if has_locked:  # the village's status is of all its households: say why this one is whole
                for g in vg:
                    if g.status == "exception" and g.note in ("", plan["status"]):
                        g.note = BESIDE_LOCKED
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
        first = labels.copy()
        keep_largest_pieces(g, labels, self._piece_before(us, labels))
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
        if not fill_labels(g, labels):
            return None
        out = [u for c in apart + held for u in c]
        filled = labels[out].copy()
        labels[out] = -1
        ok, moved = repair(g, labels, lo, hi, target=self.target)
        if not ok:
            return None
        hold = np.asarray([u for c in held for u in c], dtype=np.int64)
        # Empty pieces go with the grid that held them before, else with the grid nearest to them.
        back = np.isin(first[hold], labels[labels >= 0])
        labels[hold] = np.where(back, first[hold], filled[len(out) - len(hold):])
        # The previous grid that held most of each piece apart (-1: none): it joins that one again.
        was = []
        for c in apart:
            v = np.bincount(first[c][first[c] >= 0], weights=w[c][first[c] >= 0]) if (first[c] >= 0).any() else []
            was.append(int(np.argmax(v)) if len(v) and v.max() > 0 else -1)
        return labels, apart, moved, was

    def _piece_before(self, us, labels) -> np.ndarray:
        """Per unit, the part of its previous grid's polygon (``labels``: previous rows) that holds
        its point, -1 for none: which pieces of a grid were apart in the previous plan already.
        Only grids the previous plan says have an exclave (``note``) count: a grid cut in two by
        a hand edit since is made whole by the redraw."""
        out = np.full(len(labels), -1, dtype=np.int64)
        prev = self._previous.gdf
        if "note" not in prev:
            return out
        geoms = prev.geometry.values
        notes = prev["note"].to_numpy(dtype=object)
        for lab in np.unique(labels[labels >= 0]).tolist():
            if "exclave" not in str(notes[lab]):
                continue
            idx = np.flatnonzero(labels == lab)
            parts = shapely.get_parts(shapely.make_valid(geoms[lab]))
            if len(parts) < 2:
                out[idx] = 0
                continue
            hit_u, hit_p = shapely.STRtree(parts).query(shapely.points(us.xy[idx]), predicate="intersects")
            out[idx[hit_u]] = hit_p
        return out

    def _place_apart(self, grids, us, apart, plan, report, lo, hi, before=None):
        """A piece of a village's unlocked part that no number of grids fits (cut off by locked
        grids, or an exclave): joined to the grid that held it before (``before``: per piece, the
        row in ``grids`` of its previous grid, or None) when it has room, else to the nearest grid
        with room, else kept as one exceptional grid; named in the report either way."""
        for i, comp in enumerate(apart):
            H = int(us.hh[comp].sum())
            geom = dissolve(list(us.geom[comp]))
            best = None
            for gi, g in enumerate(grids):
                if g.village != plan["village"] or g.locked or g.status != "ok":
                    continue
                tot = sum(u[4] for u in g.units)
                if tot + H > hi:
                    continue
                # Its previous grid first: an exclave of last year's plan stays where it was.
                d = -1.0 if before and before[i] == gi else float(shapely.distance(dissolve([u[5] for u in g.units]), geom))
                if best is None or d < best[0]:
                    best = (d, gi)
            units = [(int(us.block[u]), int(us.feature[u]), int(us.part[u]), int(us.nparts[u]),
                      int(us.hh[u]), us.geom[u]) for u in comp]
            if best is None:
                grids.append(DraftGrid(plan["village"], units, {x[0] for x in units}, "exception", "isolated", (lo, hi)))
                report["notes"].append(f"separate part of the village with {count_en(H, 'household')} (cut off by locked "
                                       "grids or barriers) kept as one exceptional grid")
            else:
                g = grids[best[1]]
                g.units.extend(units)
                g.blocks |= {x[0] for x in units}
                g.note = "exclave"
                report["notes"].append(f"separate part of the village with {count_en(H, 'household')} (cut off by locked "
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
        followed: list[dict] = []  # new grids numbered in the previous plan's own scheme
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
            # Another system's numbering (XW001 …, 上海路03 …) continues where the village's grids
            # use it and none uses gridtool's: a grid numbered 320102900012-01 among XW069–XW073
            # is found in no ledger of theirs.
            scheme = _other_scheme([str(prev_codes[p]) for _, p in ov.index], str(vc))
            for r in gl:
                if r not in carried:
                    if scheme is not None:
                        new_codes[r] = _next_in_scheme(scheme, set(map(str, prev_codes)) | used)
                        followed.append({"code": str(new_codes[r]), "village": str(gdf["village"].iat[r]),
                                         "prefix": scheme[0], "digits": scheme[1]})
                    else:
                        new_codes[r] = f"{vc}-{nxt:02d}"
                        nxt += 1
                    used.add(new_codes[r])
        recoded = follow_village_codes(new_codes, gdf["village_code"].astype(str).tolist(),
                                       gdf["village"].astype(str).tolist(), prev_codes.tolist())
        hb = self.blocks_.household_block
        vob = self.blocks_.gdf["village"].to_numpy()
        vnames = np.asarray(self._vnames, dtype=object)
        village_of_feature = np.where(hb >= 0, vnames[vob[np.maximum(hb, 0)]] if len(vob) else "", "")
        vrow_of_feature = np.where(hb >= 0, vob[np.maximum(hb, 0)] if len(vob) else -1, -1)
        # A locked grid that lost households has changed, in the total and in its village's line.
        locked_changed = self._locked_changed(fixed, new_codes)
        self._redraw_stats, self._change_rows = change_figures(
            pv, features=a["feature"].to_numpy(), hh=a["hh"].to_numpy(),
            grid=new_codes[a["grid_index"].to_numpy()], grid_codes=new_codes,
            grid_village=gdf["village"].astype(str).to_numpy(), hh_all=self._hh_all,
            village_of_feature=village_of_feature, renamed={e["old"]: e["new"] for e in recoded},
            also_changed={e["code"] for e in locked_changed})
        self._redraw_stats["locked"] = sorted({e["old"]: e["new"] for e in recoded}.get(c, c) for c in pv.locked_codes)
        self._redraw_stats["locked_changed"] = locked_changed
        self._redraw_stats["inside_locked"] = self._inside_locked_went(prev_codes, new_codes, grids)
        self._redraw_stats["joined_locked"] = self._joined_locked(new_codes, grids, hhg)
        self._redraw_stats["recoded"] = recoded
        self._redraw_stats["locked_across"] = [
            {"code": str(new_codes[r]), "village": str(gdf["village"].iat[r]),
             "others": getattr(self, "_locked_across", {})[p]}
            for r, p in sorted(fixed.items()) if p in getattr(self, "_locked_across", {})]
        # Villages merged, split, renamed or recoded: named, with what their grid codes became.
        # A village partitioned with another (merge=) has its grids under the host's code, last
        # year as now: its households are the host's here, or an unchanged merge reads as a split.
        host_of = getattr(self, "_host_of", {})
        if host_of:
            vrow_of_feature = np.array([host_of.get(int(v), int(v)) for v in vrow_of_feature], dtype=np.int64)
        self._redraw_stats["village_changes"] = village_changes(
            pv, vrow_of_feature, list(self._vcodes), list(self._vnames), new_codes.tolist(),
            gdf["village_code"].astype(str).tolist(), recoded, getattr(self, "_previous_merged", ()))
        self._redraw_stats["matched_by"] = pv.matched_by
        self._redraw_stats["codes_in_previous_scheme"] = followed
        self._redraw_stats.update(getattr(self, "_redraw_flags", {}))
        return new_codes.tolist()

    def _unchanged_grids(self, grids, *, subgrids: bool) -> tuple[dict[int, int], dict[int, int]]:
        """Unlocked grids that hold exactly the households of one previous grid, no more and no
        fewer, their buildings' counts as before, and whose outline drawn now is the previous one
        within :data:`SAME_OUTLINE_M2` (cells of the same households, cut from blocks opened
        otherwise), or every unlocked grid of its village so and their union the previous one's:
        new grid row → previous row. Such a grid keeps its previous outline, and
        (second mapping: those whose previous sub-grids hold every household they have, each
        within this redraw's sub-grid bounds, when ``subgrids``) its sub-grids with codes, polygons and buildings, as a locked grid does:
        drawn again, sub-grids would follow the rounding noise of the outline, and a redraw of
        unchanged data must change nothing."""
        pv = self._previous
        a = self._assign
        if not len(a):
            return {}, {}
        prev_of: dict[int, dict[int, int]] = {}
        for f, ps in enumerate(pv.parts):
            for p, n in ps:
                if n > 0:
                    prev_of.setdefault(p, {})[f] = prev_of.get(p, {}).get(f, 0) + int(n)
        now = a.groupby(["grid_index", "feature"], sort=True)["hh"].sum()
        drawn = self.grids_.geometry.values
        same: dict[int, int] = {}
        subs: dict[int, int] = {}
        members: dict[int, int] = {}  # holding what they held, drawn otherwise
        held_of: dict[int, dict[int, int]] = {}
        for r, grp in now.groupby(level=0, sort=True):
            r = int(r)
            held = {int(f): int(n) for (_, f), n in grp.items() if n > 0}
            if grids[r].locked or not held:
                continue
            # The previous grid holding exactly these households (a divided building's too).
            p = next((q for q in sorted({q for f in held for q, _ in pv.parts[f]}) if prev_of.get(q) == held), None)
            if p is None or p in pv.locked or str(pv.codes[p]) in pv.gone_codes:
                continue
            if any(int(pv.prev_hh[f]) != int(self._hh_all[f]) for f in held):
                continue
            held_of[r] = held
            before = shapely.make_valid(pv.gdf.geometry.values[p])
            if shapely.area(shapely.symmetric_difference(drawn[r], before)) <= SAME_OUTLINE_M2:
                same[r] = p
            else:
                members[r] = p
        # A village whose every unlocked grid holds what it held, its grids covering what they
        # covered together: each keeps its previous outline though drawn otherwise now (the same
        # buildings re-imported as lon/lat points draw other cells); kept together, they still tile.
        rows_of: dict[int, list[int]] = {}
        for r, g in enumerate(grids):
            if not g.locked:
                rows_of.setdefault(int(g.village), []).append(r)
        for rows in rows_of.values():
            if not rows or not all(r in members or r in same for r in rows) or not any(r in members for r in rows):
                continue
            now_u = shapely.union_all(np.asarray([drawn[r] for r in rows], dtype=object))
            was_u = shapely.union_all(shapely.make_valid(np.asarray(
                [pv.gdf.geometry.values[members.get(r, same.get(r))] for r in rows], dtype=object)))
            if shapely.area(shapely.symmetric_difference(now_u, was_u)) <= SAME_OUTLINE_M2 * len(rows):
                same.update({r: members[r] for r in rows if r in members})
        for r, p in sorted(same.items()):
            held = held_of[r]
            code = f"{pv.codes[p]}-"
            if not subgrids or any(sum(m for c, m in pv.sub_parts[f] if str(c).startswith(code)) != n
                                   for f, n in held.items()):
                continue
            # Its sub-grids are kept only within this redraw's bounds: a redraw asked for with
            # other bounds (--sub-max 34 after 40) draws them again, as before this rule.
            per_sub: dict[str, int] = {}
            for f in held:
                for c, m in pv.sub_parts[f]:
                    if str(c).startswith(code):
                        per_sub[str(c)] = per_sub.get(str(c), 0) + int(m)
            if all(self.sub_min <= n <= self.sub_max for n in per_sub.values()):
                subs[r] = p
        return same, subs

    def _locked_changed(self, fixed: dict[int, int], new_codes) -> list[dict]:
        """Locked grids whose households differ from the previous plan's ``hh``: buildings gone from
        this roster, or a building's count changed in it. The lock keeps the shape and every building
        still listed, but not households the roster no longer has, so the report must not call
        such a grid unchanged. ``[{"code": code, "before": n, "now": n}]`` (codes as recoded);
        empty when the previous layer states no households per grid."""
        hh_prev = self._previous.grid_hh_prev
        if hh_prev is None or not fixed:
            return []
        now = self._assign.groupby("grid_index")["hh"].sum()
        out = [{"code": str(new_codes[r]), "before": int(hh_prev[p]), "now": int(now.get(r, 0))}
               for r, p in fixed.items()]
        return sorted((e for e in out if e["before"] != e["now"]), key=lambda e: e["code"])

    def _joined_locked(self, new_codes, grids, hhg) -> list[dict]:
        """The locked grids that took in new households inside their outlines
        (:func:`.new_in_locked.joined_entries`)."""
        from .new_in_locked import joined_entries
        joined = self._previous.joined
        if not joined:
            return []
        rows = {g.prev: r for r, g in enumerate(grids) if g.locked}
        hh_of = self._assign.groupby("grid_index")["hh"].sum()
        ids = hhg["src_id"].astype(str).to_numpy() if "src_id" in hhg else np.arange(len(hhg)).astype(str)
        return joined_entries({p: v for p, v in joined.items() if p in rows},
                              {p: str(new_codes[r]) for p, r in rows.items()},
                              {p: int(hh_of.get(r, 0)) for p, r in rows.items()},
                              {p: grids[r].bounds for p, r in rows.items()}, ids)

    def _inside_locked_went(self, prev_codes, new_codes, grids) -> list[dict]:
        """Per locked grid, the households inside its polygon that are not its own (new buildings
        since the plan was locked) and the unlocked grids that took them: ``{"locked": code,
        "households": n, "went_to": {code: n}}``."""
        a = self._assign
        code_of = {g.prev: str(new_codes[r]) for r, g in enumerate(grids) if g.locked}  # as recoded
        seen: set[int] = set()
        out: dict[int, dict] = {}
        for f, p in getattr(self, "_inside_locked", []):
            if f in seen:  # on the border of two locked grids: told once
                continue
            seen.add(f)
            rows = a[(a["feature"] == f).to_numpy()]
            entry = out.setdefault(p, {"locked": code_of.get(p, str(prev_codes[p])), "households": 0,
                                       "went_to": {}})
            for gi, n in zip(rows["grid_index"].tolist(), rows["hh"].tolist()):
                if grids[gi].locked or n <= 0:
                    continue
                code = str(new_codes[gi])
                entry["went_to"][code] = entry["went_to"].get(code, 0) + int(n)
                entry["households"] += int(n)
        return [out[p] for p in sorted(out, key=lambda q: str(prev_codes[q]))]

    def _changes_layer(self, villages, vnames, vcodes, crs) -> gpd.GeoDataFrame:
        """The ``changes`` layer of a redraw: one row per village (its polygon) with the households
        and grids changed, codes kept, renumbered, new and retired, the households new since the
        previous plan and the village's merge, split, rename or recode (``division_change``)."""
        from .redraw_words import village_change_text
        rows = getattr(self, "_change_rows", [])
        row_of = {n: i for i, n in enumerate(vnames)}
        # Each village's merge, split, rename or recode, in the words the console prints.
        said: dict[str, list[str]] = {}
        for c in getattr(self, "_redraw_stats", {}).get("village_changes") or []:
            for v in c["new"]:
                said.setdefault(v["code"], []).append(village_change_text(c)[0])
        geoms, out = [], []
        pv = getattr(self, "_previous", None)
        prev_geom = dict(zip(pv.gdf["code"].astype(str), pv.gdf.geometry.values)) if pv is not None else {}
        for r in rows:
            i = row_of.get(r["village"])
            vc = vcodes[i] if i is not None else ""
            out.append(dict(r, village_code=vc, division_change="；".join(said.get(vc, []))))
            if i is not None:
                geoms.append(villages.geometry.values[i])
            else:  # a village no longer in the layer: where its retired grids were
                was = [prev_geom[c] for c in str(r.get("retired_codes") or "").split("、") if c in prev_geom]
                geoms.append(shapely.union_all(shapely.make_valid(np.array(was, dtype=object))) if was else None)
        cols = ["village", "village_code", "households", "households_moved", "households_new", "households_no_village",
                "households_gone", "gone_grids", "grids", "grids_changed", "codes_kept", "codes_recoded", "codes_new", "codes_retired", "locked", "new_codes",
                "retired_codes", "locked_codes", "recoded_codes", "division_change"]
        return gpd.GeoDataFrame(pd.DataFrame(out, columns=cols), geometry=gpd.GeoSeries(geoms, crs=crs))


#: Square metres by which an unchanged grid's outline drawn again may differ from its previous one
#: and still be the same outline (the cells of its households, cut from blocks opened otherwise).
SAME_OUTLINE_M2 = 1.0

#: The note of a grid made exceptional beside its village's locked grids: the households left
#: outside them fit no number of grids within the bounds (the village as a whole may).
BESIDE_LOCKED = "beside_locked"


def _foreign(bprev: np.ndarray, block_village: np.ndarray, major: np.ndarray, hb: np.ndarray,
             village_of_block: np.ndarray, hh: np.ndarray) -> np.ndarray:
    """Blocks whose previous grid (``bprev``) held none of the block's village's households:
    the village of a previous grid is where the households it held lie now."""
    ok = (major >= 0) & (hb >= 0) & (np.asarray(hh) > 0)
    held = set(zip(major[ok].tolist(), village_of_block[hb[ok]].tolist()))
    return np.array([p >= 0 and (int(p), int(v)) not in held for p, v in zip(bprev.tolist(), block_village.tolist())],
                    dtype=bool)


_SCHEME = re.compile(r"^(.*?)(\d+)$")
_GRIDTOOL_CODE = re.compile(r"^\d{12}-\d+$")


def _other_scheme(codes: list[str], vcode: str) -> tuple[str, int] | None:
    """(prefix, digits) of the numbering the previous grids of a village follow when it is not
    gridtool's ``{village code}-NN``: the prefix most of them share before their trailing number
    (``XW069`` → ``("XW", 3)``). None when any uses gridtool's, or they have no trailing number."""
    if not codes or any(c.startswith(f"{vcode}-") for c in codes):
        return None
    if _GRIDTOOL_CODE.match(f"{vcode}-1") and all(_GRIDTOOL_CODE.match(c) for c in codes):
        # gridtool's numbering under another village's code (the village recoded, or last year
        # partitioned with its neighbour): follow_village_codes renumbers such grids under this
        # village's code, so a new grid is numbered there too, not after the old code's grids.
        return None
    found = [m.groups() for m in map(_SCHEME.match, codes) if m]
    if len(found) < len(codes):
        return None
    prefixes = pd.Series([p for p, _ in found]).value_counts()
    pre = str(prefixes.index[0])
    width = max(len(d) for p, d in found if p == pre)
    return pre, width


def _next_in_scheme(scheme: tuple[str, int], taken: set[str]) -> str:
    """The number after the highest code of ``scheme`` in ``taken`` (old codes are never given again)."""
    pre, width = scheme
    nums = [int(m.group(2)) for m in map(_SCHEME.match, taken) if m and m.group(1) == pre]
    return f"{pre}{max(nums, default=0) + 1:0{width}d}"


def split_as_before(sizes: list[int], parts: list[tuple[int, int]]) -> list[int] | None:
    """The previous grid of each part of one building such that every grid gets exactly the
    households it had (``parts``: (previous row, households)); None when no choice of parts adds
    up so (the building's count changed, or its parts are cut otherwise).

    A building's parts differ by at most one household (:func:`.units.split_counts`), so a grid's
    share fixes how many parts it takes and how many of them are the larger ones; the choice is
    made grid by grid over those few options (larger parts first, to the previous rows in order).
    """
    if not sizes or sum(sizes) != sum(n for _, n in parts):
        return None
    lo = min(sizes)
    big = [i for i, s in enumerate(sizes) if s != lo]
    small = [i for i, s in enumerate(sizes) if s == lo]
    if big and any(sizes[i] != lo + 1 for i in big):
        return None
    # Reachable (larger parts used, parts used) after each grid, with the choice that got there.
    reach: list[dict[tuple[int, int], tuple[int, int]]] = [{(0, 0): (0, 0)}]
    for _, n in parts:
        nxt: dict[tuple[int, int], tuple[int, int]] = {}
        # k parts of lo or lo + 1 households make n only for n / (lo + 1) <= k <= n / lo.
        k_lo, k_hi = -(-n // (lo + 1)), (n // lo if lo else len(sizes))
        for a0, k0 in reach[-1]:
            for k in range(k_lo, min(k_hi, len(sizes) - k0) + 1):
                a = n - k * lo  # k parts of which a are the larger ones
                if 0 <= a <= k and a0 + a <= len(big) and (k0 - a0) + (k - a) <= len(small):
                    nxt.setdefault((a0 + a, k0 + k), (a, k))
        if not nxt:
            return None
        reach.append(nxt)
    state = (len(big), len(sizes))
    if state not in reach[-1]:
        return None
    takes = []
    for step in reversed(reach[1:]):
        a, k = step[state]
        takes.append((a, k))
        state = (state[0] - a, state[1] - k)
    out = [-1] * len(sizes)
    bi, si = iter(big), iter(small)
    for (p, _), (a, k) in zip(parts, reversed(takes)):
        for _ in range(a):
            out[next(bi)] = p
        for _ in range(k - a):
            out[next(si)] = p
    return out


def _add_note(note: str, token: str) -> str:
    tokens = [t.strip() for t in str(note or "").split(";") if t.strip()]
    return "; ".join(tokens + [token] if token not in tokens else tokens)
