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
    cols = {k: [] for k in ("block", "feature", "part", "nparts", "hh", "xy", "area", "geom")}
    first: dict[int, int] = {}  # block -> index of its first unit
    fine: dict[int, tuple[int, int]] = {}  # refined block -> (start, stop)
    ea, eb, ef = [], [], []
    n = 0
    for blk in region:
        feats = features_of_block.get(blk, np.zeros(0, np.int64))
        if blk in refine and len(feats):
            fu = cache.get(blk) if cache is not None else None
            if fu is None:
                fu = household_units(feats, points_xy[feats], hh[feats], geoms[blk], max_unit=unit_max,
                                     target_unit=unit_target, min_unit=unit_min, barriers=barriers,
                                     barrier_affinity=barrier_affinity)
                if cache is not None:
                    cache[blk] = fu
            m = len(fu.hh)
            cols["block"].append(np.full(m, blk))
            cols["feature"].append(fu.feature)
            cols["part"].append(fu.part)
            cols["nparts"].append(fu.nparts)
            cols["hh"].append(fu.hh)
            cols["xy"].append(fu.xy)
            cols["area"].append(fu.area)
            cols["geom"].append(fu.geom)
            ea.append(fu.edges_a + n)
            eb.append(fu.edges_b + n)
            ef.append(fu.affinity)
            fine[blk] = (n, n + m)
            first[blk] = n
            n += m
        else:
            c = shapely.get_coordinates(shapely.point_on_surface(geoms[blk]))
            cols["block"].append(np.array([blk]))
            cols["feature"].append(np.array([-1]))
            cols["part"].append(np.array([0]))
            cols["nparts"].append(np.array([1]))
            cols["hh"].append(np.array([int(bhh[blk])]))
            cols["xy"].append(c.reshape(1, 2))
            cols["area"].append(np.array([float(barea[blk])]))
            cols["geom"].append(np.array([geoms[blk]], dtype=object))
            first[blk] = n
            n += 1
    trees = {blk: shapely.STRtree(np.concatenate(cols["geom"])[s:e]) for blk, (s, e) in fine.items()} \
        if fine else {}
    all_geom = np.concatenate(cols["geom"]) if cols["geom"] else np.array([], dtype=object)
    for a, b, f in zip(edges["a"].tolist(), edges["b"].tolist(), edges["affinity"].tolist()):
        if a not in fine and b not in fine:
            ea.append(np.array([first[a]]))
            eb.append(np.array([first[b]]))
            ef.append(np.array([f]))
            continue
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
    cat = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in cols.items() if k != "xy"}
    xy = np.vstack(cols["xy"]) if cols["xy"] else np.zeros((0, 2))
    g = UnitGraph(cat["hh"], xy, cat["area"],
                  np.concatenate(ea) if ea else [], np.concatenate(eb) if eb else [],
                  np.concatenate(ef) if ef else [])
    return UnitSet(block=cat["block"].astype(np.int64), feature=cat["feature"].astype(np.int64),
                   part=cat["part"].astype(np.int64), nparts=cat["nparts"].astype(np.int64),
                   hh=cat["hh"].astype(np.int64), xy=xy, area=cat["area"], geom=cat["geom"], graph=g)
