"""The units one partition run works on: whole blocks, or blocks opened up into household units.

A village region starts as whole blocks. When whole blocks cannot meet the bounds (a block holds
more households than a grid may, or a tight window needs finer steps) the populated blocks above a
size are *refined*: replaced by their household units (:mod:`.units`), joined inside the block by
the Delaunay graph and to the neighbouring blocks through the cells touching them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .blocks import Blocks
from .solver import UnitGraph
from .units import household_units


@dataclass
class UnitSet:
    block: np.ndarray  # block row of each unit
    feature: np.ndarray  # household feature row, -1 for a whole block
    part: np.ndarray
    nparts: np.ndarray
    hh: np.ndarray
    xy: np.ndarray
    area: np.ndarray
    geom: np.ndarray
    graph: UnitGraph

    def __len__(self) -> int:
        return len(self.block)


def build_unitset(blocks: Blocks, region: list[int], edges, refine: set[int], *, points_xy: np.ndarray,
                  hh: np.ndarray, features_of_block: dict[int, np.ndarray], barriers=None,
                  barrier_affinity=None, unit_max: int = 40, unit_target: int = 30,
                  unit_min: int = 20, cache: dict | None = None) -> UnitSet:
    """Units for the blocks in ``region``; the blocks in ``refine`` become household units.

    ``edges`` are the block edges among the region (DataFrame with a, b, affinity). ``cache``
    (a dict kept by the caller for one set of blocks and unit sizes) holds each refined block's
    household units, which depend only on the block: the refinement ladder opens more blocks at
    each step and reuses those already opened.
    """
    gdf = blocks.gdf
    geoms = gdf.geometry.values
    bhh = gdf["hh"].to_numpy()
    barea = gdf["area"].to_numpy()
    region_arr = np.asarray(region, dtype=np.int64).reshape(-1)
    nb = len(region_arr)
    # Refined blocks become their household units; every other block is one unit. Whole blocks
    # are laid out in bulk, refined ones slice by slice, in region order.
    fus: dict[int, object] = {}  # position in region -> household units
    for i, blk in enumerate(region_arr.tolist()):
        if blk not in refine:
            continue
        feats = features_of_block.get(blk, np.zeros(0, np.int64))
        if not len(feats):
            continue
        fu = cache.get(blk) if cache is not None else None
        if fu is None:
            fu = household_units(feats, points_xy[feats], hh[feats], geoms[blk], max_unit=unit_max,
                                 target_unit=unit_target, min_unit=unit_min, barriers=barriers,
                                 barrier_affinity=barrier_affinity)
            if cache is not None:
                cache[blk] = fu
        fus[i] = fu
    size = np.ones(nb, dtype=np.int64)
    for i, fu in fus.items():
        size[i] = len(fu.hh)
    start = np.cumsum(size) - size
    n = int(size.sum())
    is_fine = np.zeros(nb, dtype=bool)
    is_fine[list(fus)] = True
    whole = np.flatnonzero(~is_fine)
    wb = region_arr[whole]
    pos = start[whole]
    cat = {"block": np.repeat(region_arr, size), "feature": np.full(n, -1, dtype=np.int64),
           "part": np.zeros(n, dtype=np.int64), "nparts": np.ones(n, dtype=np.int64),
           "hh": np.zeros(n, dtype=np.int64), "area": np.zeros(n), "geom": np.empty(n, dtype=object)}
    xy = np.zeros((n, 2))
    cat["hh"][pos] = bhh[wb].astype(np.int64)
    cat["area"][pos] = barea[wb].astype(float)
    cat["geom"][pos] = geoms[wb]
    if len(wb):
        known = getattr(blocks, "points", None)
        if known is not None and len(known) == len(gdf):
            xy[pos] = known[wb]
        else:
            xy[pos] = shapely.get_coordinates(shapely.point_on_surface(geoms[wb])).reshape(-1, 2)
    ea, eb, ef = [], [], []
    fine: dict[int, tuple[int, int]] = {}  # refined block -> (start, stop)
    for i, fu in fus.items():
        s0, s1 = int(start[i]), int(start[i] + size[i])
        for k in ("feature", "part", "nparts", "hh", "area", "geom"):
            cat[k][s0:s1] = getattr(fu, k)
        xy[s0:s1] = fu.xy
        ea.append(fu.edges_a + s0)
        eb.append(fu.edges_b + s0)
        ef.append(fu.affinity)
        fine[int(region_arr[i])] = (s0, s1)
    all_geom = cat["geom"]
    trees = {blk: shapely.STRtree(all_geom[s:e]) for blk, (s, e) in fine.items()}
    # Block edges in their order: runs between whole blocks in bulk, the others one by one.
    a_all = edges["a"].to_numpy().astype(np.int64)
    b_all = edges["b"].to_numpy().astype(np.int64)
    f_all = edges["affinity"].to_numpy().astype(float)
    order = np.argsort(region_arr, kind="stable")
    sorted_r = region_arr[order]

    def first_of(blks):
        return start[order[np.searchsorted(sorted_r, blks)]]

    first = dict(zip(region_arr.tolist(), start.tolist()))  # block -> index of its first unit
    fine_ids = np.fromiter(fine, dtype=np.int64, count=len(fine))
    touches_fine = np.isin(a_all, fine_ids) | np.isin(b_all, fine_ids)
    fa = first_of(a_all) if len(a_all) else np.zeros(0, dtype=np.int64)
    fb = first_of(b_all) if len(b_all) else np.zeros(0, dtype=np.int64)
    prev = 0
    for j in np.flatnonzero(touches_fine).tolist() + [len(a_all)]:
        if j > prev:
            ea.append(fa[prev:j])
            eb.append(fb[prev:j])
            ef.append(f_all[prev:j])
        prev = j + 1
        if j == len(a_all):
            break
        a, b, f = int(a_all[j]), int(b_all[j]), float(f_all[j])
        if a in fine and b in fine:
            sa, _ = fine[a]
            sb, se = fine[b]
            ib, ia = trees[a].query(all_geom[sb:se], predicate="dwithin", distance=0.05)
            ua, ub = ia + sa, ib + sb
        else:
            if b in fine:
                a, b = b, a
            sa, _ = fine[a]
            ia = trees[a].query(geoms[b], predicate="dwithin", distance=0.05)
            ua, ub = ia + sa, np.full(len(ia), first[b])
        if not len(ua):  # touching only at a corner: join the closest unit
            s, e = fine[a]
            d = shapely.distance(all_geom[s:e], geoms[b])
            ua, ub = np.array([s + int(np.argmin(d))]), np.array([first[b] if b not in fine else fine[b][0]])
        ea.append(ua)
        eb.append(ub)
        ef.append(np.full(len(ua), f / len(ua)))
    g = UnitGraph(cat["hh"], xy, cat["area"],
                  np.concatenate(ea) if ea else [], np.concatenate(eb) if eb else [],
                  np.concatenate(ef) if ef else [])
    return UnitSet(block=cat["block"].astype(np.int64), feature=cat["feature"].astype(np.int64),
                   part=cat["part"].astype(np.int64), nparts=cat["nparts"].astype(np.int64),
                   hh=cat["hh"].astype(np.int64), xy=xy, area=cat["area"], geom=cat["geom"], graph=g)
