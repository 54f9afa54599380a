"""Redraw with minimal change, and the lock report of issue 15.

1. Partition a sample, add 5 % new households beside existing ones, lock one grid, redraw from the
   previous plan; print how many households and grids changed, how many households the redraw
   counted as new (against those added) and whether the locked grid kept its households and shape.
2. The report: through the app's session (no Qt), paint 9 buildings of a neighbour into a grid,
   lock it and press 重绘未锁定网格 / "Redraw unlocked grids"; print the grid's households before
   painting, after painting and after the redraw, whether it kept its buildings and shape, and
   how many unlocked grids come out in pieces.

    python benchmarks/redraw_bench.py [--fraction 0.05]

Part 2 uses only what the app had before the fix, so the same script measures before and after.
"""

from __future__ import annotations

import argparse
import copy
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridtool.samples import sample_sources
from gridtool.partition.engine import GridPartitioner
from gridtool.project import Project


def grow(layers: dict, fraction: float, seed: int = 0) -> dict:
    """New one-household buildings next to randomly chosen existing ones (5 m away)."""
    hs = layers["households"]
    rng = np.random.default_rng(seed)
    n = int(round(fraction * hs["hh"].sum()))
    pick = hs.iloc[rng.integers(0, len(hs), n)].copy()
    pts = shapely.get_coordinates(pick.geometry.representative_point().values)
    ang = rng.random(n) * 2 * np.pi
    pick["geometry"] = shapely.points(pts + 5 * np.column_stack([np.cos(ang), np.sin(ang)]))
    pick["hh"] = 1
    pick["src_id"] = [f"new {i}" for i in range(n)]
    out = dict(layers)
    out["households"] = gpd.GeoDataFrame(pd.concat([hs, pick], ignore_index=True), crs=hs.crs)
    return out


def _members(assign: pd.DataFrame, code: str) -> set:
    sub = assign[assign["grid"] == code].groupby("feature")["hh"].sum()
    return set(zip(sub.index.tolist(), sub.tolist()))


def growth_table(fraction: float) -> None:
    print("| sample | households | added | grids | redraw s | fresh s | households moved | grids changed | "
          "codes kept | new counted | locked kept | within bounds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for name in ("liechtenstein", "nanjing-xuanwu"):
        p = Project.from_sources(sample_sources(name))
        layers = {r: lyr.gdf for r, lyr in p.layers.items()}
        first = GridPartitioner(corridor_width=0, subgrids=False).fit(layers)
        grown = grow(layers, fraction)
        locked = [first.grids_["code"].iat[0]]
        t = time.perf_counter()
        again = GridPartitioner(corridor_width=0, subgrids=False).fit(grown, previous=first.grids_, locked=locked)
        t_redraw = time.perf_counter() - t
        t = time.perf_counter()
        GridPartitioner(corridor_width=0, subgrids=False).fit(grown)
        t_fresh = time.perf_counter() - t
        r = again.report_["plan"]["redraw"]
        added = int(grown["households"]["hh"].sum() - layers["households"]["hh"].sum())
        # The lock is by position here (polygons, no household column): the grid keeps its
        # polygon and every household inside it, old and new.
        g0 = first.grids_.set_index("code").geometry[locked[0]]
        g1 = again.grids_.set_index("code").geometry[locked[0]]
        old = _members(first._assign, locked[0])
        now = _members(again._assign, locked[0])
        kept = "yes" if old <= now and shapely.symmetric_difference(g0, g1).area < 1e-6 else "NO"
        print(f"| {name} | {r['households_total']:,} | {added:,} | {r['grids']} | {t_redraw:.2f} | {t_fresh:.2f} | "
              f"{r['households_moved']:,} ({100 * r['households_moved'] / r['households_total']:.2f} %) | "
              f"{r['grids_changed']} | {r['codes_kept']} | {r.get('households_new', '–'):,} | {kept} | "
              f"{again.report_['plan']['pct_within_bounds']} % |")


def _pieces(geom) -> int:
    polys = [q for q in shapely.get_parts(shapely.make_valid(geom)) if q.geom_type == "Polygon" and q.area > 1.0]
    return len(shapely.get_parts(shapely.union_all([shapely.buffer(q, 0.01) for q in polys]))) if polys else 0


def report_table() -> None:
    from gridtool.partition.output import apply_to_project
    from gridtool.ui.session import Session
    from gridtool.ui.stroke import Stroke
    print("\n| sample | grid | before | painted | after redraw | buildings kept | shape kept (m² differing) | "
          "grids | unlocked grids in pieces | households moved |")
    print("|---|---|---:|---:|---:|---|---:|---:|---:|---:|")
    for name, max_hh in (("liechtenstein", 3), ("nanjing-xuanwu", 12)):
        p = Project.from_sources(sample_sources(name))
        params = dict(corridor_width=0, subgrids=False)
        apply_to_project(p, GridPartitioner(**params).fit(p))
        s = Session()
        s.set_project(p)
        plan, xy = s.plan, s.edit.xy
        geo = p.layers["grids"].gdf.set_index("code").geometry
        pick = None
        for a in plan.codes:  # a grid, a neighbour, and the neighbour's 9 small buildings nearest to it
            for b in plan.codes:
                if a == b or plan.village[a] != plan.village[b] or not shapely.intersects(geo[a], geo[b]):
                    continue
                fb = np.array([f for f in plan.features_of(b) if 0 < plan._hh[f] <= max_hh])
                if len(fb) < 9:
                    continue
                near = fb[np.argsort(shapely.distance(geo[a], shapely.points(xy[fb])), kind="stable")[:9]]
                add = int(plan._hh[near].sum())
                if plan.totals[a] + add <= 500 and plan.totals[b] - add >= 300:
                    pick = (a, near)
                    break
            if pick:
                break
        a, near = pick
        before = plan.totals[a]
        st = Stroke(s, a)
        st.begin()
        st.add(near)
        st.end()
        s.push(plan.set_locked(a, True))
        painted = plan.totals[a]
        members = {(f, n) for f, parts in enumerate(plan._parts) for c, n in parts if c == a}
        shape = s.project.layers["grids"].gdf.set_index("code").geometry[a]
        # what MainWindow.redraw_unlocked did before the fix, and does now
        snap = s.materialized()
        previous = copy.deepcopy(s.project.layers["grids"].gdf)
        gp = GridPartitioner(**s.partition_parameters()).fit(snap, previous=previous, locked=sorted(plan.locked))
        s.apply_partition(gp, text="redraw")
        plan2 = s.plan
        after = plan2.totals.get(a)
        kept = {(f, n) for f, parts in enumerate(plan2._parts) for c, n in parts if c == a} == members
        g = s.project.layers["grids"].gdf
        diff = shapely.symmetric_difference(g.set_index("code").geometry[a], shape).area
        pieces = sum(1 for r in g.itertuples() if not bool(r.locked) and r.status == "ok" and r.note != "exclave"
                     and _pieces(r.geometry) > 1)
        moved = gp.report_["plan"]["redraw"]["households_moved"]
        print(f"| {name} | {a} | {before} | {painted} | {after} | {'yes' if kept else 'NO'} | {diff:,.0f} | "
              f"{len(g)} | {pieces} | {moved:,} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fraction", type=float, default=0.05)
    args = ap.parse_args()
    growth_table(args.fraction)
    report_table()


if __name__ == "__main__":
    main()
