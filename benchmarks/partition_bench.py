"""gridtool's partition against spopt max-p and METIS on the same blocks, sample and county.

    python benchmarks/partition_bench.py                       # sample + ~500,000-household county
    python benchmarks/partition_bench.py --sample-only
    python benchmarks/partition_bench.py --households 200000 --maxp-villages 11 --skip-maxp

Runs, in one process and on the same inputs:

- **gridtool**: ``GridPartitioner(min_hh=300, max_hh=500, target=400).fit(layers)`` end to end
  (blocks, base grids, sub-grids, special grids, corridors), with its internal timings;
- **max-p** (spopt ``MaxPHeuristic``, threshold 300 households, spopt's defaults
  ``top_n=2``, ``max_iterations_construction=99``, ``max_iterations_sa=10``), per village;
- **METIS** (pymetis k-way, ``Options(contig=1)`` where the village's block graph is connected), per village, k = round(H / 400) clamped to the
  counts the bounds allow.

The anchors get gridtool's blocks for free (``gp.blocks_``, not counted in their time): per
village the blocks that are not special places, adjacency = every block edge inside the village
(hard or not: the anchors do not know barriers). Max-p's attributes are the standardised block
centroids (compactness); blocks with no neighbour and no household are left out of max-p and
afterwards joined to the nearest region (counted in the output). METIS gets vertex weights = block
households and edge weights = max(1, round(affinity)) where affinity is gridtool's Σ shared
border length × class affinity (0 across rivers, railways, motorways; ``--metis-unweighted`` for
unit weights), i.e. the same cut costs gridtool uses. Both anchors work on whole blocks; gridtool
opens blocks into household units when whole blocks cannot meet the bounds.

Per method: seconds; gridtool's time ratio (anchor seconds / gridtool seconds, > 1 = gridtool
faster); grids; % of grids with 300–500 households (grids of villages whose total some number of
grids fits); hard and soft crossings measured on the drawn grids by
``gridtool.partition.geomcheck.grid_crossings`` (households on two sides of a hard line, or of a
main road or stream, inside a grid; for gridtool its own metric columns, the same function); mean
Polsby-Popper (4πA/P²) of the dissolved grid polygons. gridtool's grids also get the geometric
check (:func:`geomcheck.check_plan`): an independent side-of-line check, overlapping grids and
grids in pieces.

Max-p is slow (minutes per village of a few hundred blocks with spopt's defaults): it runs villages
smallest first and starts no new one after ``--maxp-budget`` seconds (default 300) or
``--maxp-villages`` villages; its time is then extrapolated linearly by block count over the
villages of at least 300 households, and its quality columns describe only the villages it ran.
The output says so (``EXTRAPOLATED``).

Timings compare within one run on one machine; no test asserts them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's gridtool

from gridtool.partition.engine import GridPartitioner, crossings  # noqa: E402
from gridtool.partition.geomcheck import check_plan, grid_crossings  # noqa: E402
from gridtool.partition.feasibility import feasible_grid_counts  # noqa: E402

LO, HI, TARGET = 300, 500, 400
MAXP_BUDGET_S = 300.0


# ---------------------------------------------------------------------------------------------
# The anchors' problems: per village, its ordinary blocks and their adjacency.
def village_problems(blocks, n_villages: int) -> list[dict]:
    bg = blocks.gdf
    e = blocks.edges
    vill = bg["village"].to_numpy()
    ordinary = bg["special"].to_numpy() < 0
    hh = bg["hh"].to_numpy().astype(np.int64)
    if len(e):
        e = e[~e["cross_village"].to_numpy()]
        ea, eb = e["a"].to_numpy(), e["b"].to_numpy()
        keep = ordinary[ea] & ordinary[eb]
        ea, eb, aff = ea[keep], eb[keep], e["affinity"].to_numpy()[keep]
        ev = vill[ea]
    else:
        ea = eb = ev = np.zeros(0, dtype=np.int64)
        aff = np.zeros(0)
    eorder = np.argsort(ev, kind="stable")
    estart = np.searchsorted(ev[eorder], np.arange(n_villages + 1))
    out = []
    for v in range(n_villages):
        rows = np.flatnonzero((vill == v) & ordinary)
        sel = eorder[estart[v]:estart[v + 1]]
        local = {int(b): i for i, b in enumerate(rows)}
        a = np.array([local[int(x)] for x in ea[sel]], dtype=np.int64)
        b = np.array([local[int(x)] for x in eb[sel]], dtype=np.int64)
        H = int(hh[rows].sum())
        out.append({"village": v, "rows": rows, "a": a, "b": b, "affinity": aff[sel], "hh": hh[rows],
                    "H": H, "feasible": bool(feasible_grid_counts(H, LO, HI))})
    return out


def _k_for(H: int) -> int:
    ks = feasible_grid_counts(H, LO, HI)
    k = max(1, int(round(H / TARGET)))
    return min(max(k, ks.start), ks.stop - 1) if ks else k


# ---------------------------------------------------------------------------------------------
def run_metis(problems, *, weighted: bool = True):
    import pymetis

    grids, stats = [], {"villages": 0, "disconnected_villages": 0}
    t0 = time.perf_counter()
    for p in problems:
        n = len(p["rows"])
        if n == 0 or p["H"] == 0:
            continue
        stats["villages"] += 1
        k = _k_for(p["H"])
        if k == 1 or n < 2:
            grids.append((p["village"], set(p["rows"].tolist())))
            continue
        src = np.concatenate([p["a"], p["b"]])
        dst = np.concatenate([p["b"], p["a"]])
        w = np.maximum(1, np.rint(p["affinity"])).astype(np.int64) if weighted else np.ones(len(p["a"]), np.int64)
        ww = np.concatenate([w, w])
        order = np.lexsort((dst, src))
        src, dst, ww = src[order], dst[order], ww[order]
        xadj = np.searchsorted(src, np.arange(n + 1)).astype(np.int64)
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components
        ncomp = connected_components(coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n)))[0]
        stats["disconnected_villages"] += ncomp > 1
        # METIS refuses a contiguous partition of a disconnected graph: plain k-way there.
        opts = pymetis.Options(contig=1 if ncomp == 1 else 0)
        with contextlib.redirect_stdout(io.StringIO()):
            _, parts = pymetis.part_graph(k, adjacency=pymetis.CSRAdjacency(xadj, dst.astype(np.int64)),
                                          vweights=p["hh"].astype(np.int64), eweights=ww, options=opts)
        parts = np.asarray(parts)
        for j in np.unique(parts):
            grids.append((p["village"], set(p["rows"][parts == j].tolist())))
    stats["seconds"] = time.perf_counter() - t0
    return grids, stats


def run_maxp(problems, blocks_gdf, *, villages=None, seed: int = 0, budget_s: float | None = None,
             max_villages: int | None = None, construction: int = 99):
    """Max-p per village (``villages``: the subset of village rows to run, default all).

    With ``budget_s`` or ``max_villages``, villages are run smallest first (by block count) and no
    new village is started once the budget is spent or ``max_villages`` villages of at least the
    threshold have run; ``stats["complete"]`` says whether every village ran."""
    import geopandas as gpd
    import libpysal
    from spopt.region import MaxPHeuristic

    grids = []
    stats = {"villages": 0, "islands_dropped": 0, "blocks": 0, "single_region_villages": 0,
             "complete": True, "solved_blocks": 0, "per_village": []}
    geoms = blocks_gdf.geometry.values
    cen = shapely.get_coordinates(shapely.centroid(geoms))
    t0 = time.perf_counter()
    todo = [p for p in problems if len(p["rows"]) and p["H"] > 0
            and (villages is None or p["village"] in villages)]
    if budget_s is not None or max_villages is not None:
        todo.sort(key=lambda p: (len(p["rows"]), p["village"]))
    for p in todo:
        if (budget_s is not None and time.perf_counter() - t0 > budget_s) or \
                (max_villages is not None and len(stats["per_village"]) >= max_villages):
            stats["complete"] = False
            break
        tv = time.perf_counter()
        rows = p["rows"]
        stats["villages"] += 1
        stats["blocks"] += len(rows)
        n = len(rows)
        deg = np.bincount(np.concatenate([p["a"], p["b"]]), minlength=n)
        drop = (deg == 0) & (p["hh"] == 0)
        keep = np.flatnonzero(~drop)
        stats["islands_dropped"] += int(drop.sum())
        if p["H"] < LO or len(keep) == 1:
            # Max-p cannot form any region of ≥ threshold: one region (the same as gridtool's exception).
            grids.append((p["village"], set(rows.tolist())))
            stats["single_region_villages"] += 1
            continue
        newi = np.full(n, -1)
        newi[keep] = np.arange(len(keep))
        nbrs = {i: [] for i in range(len(keep))}
        for a, b in zip(newi[p["a"]].tolist(), newi[p["b"]].tolist()):
            if b not in nbrs[a]:
                nbrs[a].append(b)
                nbrs[b].append(a)
        xy = cen[rows[keep]]
        xy = (xy - xy.mean(axis=0)) / np.maximum(xy.std(axis=0), 1e-9)
        gdf = gpd.GeoDataFrame({"hh": p["hh"][keep], "x": xy[:, 0], "y": xy[:, 1]},
                               geometry=gpd.GeoSeries(geoms[rows[keep]], crs=blocks_gdf.crs))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = libpysal.weights.W(nbrs, silence_warnings=True)
            np.random.seed(seed)
            m = MaxPHeuristic(gdf, w, ["x", "y"], "hh", LO, top_n=2,
                              max_iterations_construction=construction)
            try:
                m.solve()
                labels = np.asarray(m.labels_)
            except ValueError:  # "No feasible components": nothing reaches the threshold
                labels = np.zeros(len(keep), dtype=int)
                stats["single_region_villages"] += 1
        lab = np.full(n, -1)
        lab[keep] = labels
        if drop.any():  # the dropped empty islands join the nearest region
            tree = shapely.STRtree(geoms[rows[keep]])
            s, d = tree.query_nearest(geoms[rows[drop]], all_matches=False)
            lab[np.flatnonzero(drop)[s]] = labels[d]
        for j in np.unique(lab):
            grids.append((p["village"], set(rows[lab == j].tolist())))
        stats["solved_blocks"] += n
        stats["per_village"].append((p["village"], n, time.perf_counter() - tv, len(np.unique(lab))))
    stats["seconds"] = time.perf_counter() - t0
    return grids, stats


# ---------------------------------------------------------------------------------------------
def plan_metrics(blocks, grids, problems, geo=None) -> dict:
    """Quality of a plan given as ``[(village row, set of block rows)]``. With ``geo`` (the
    gridtool fit's barrier lines, household points and counts, village polygons) crossings are
    measured on the drawn grids as gridtool's own are (:func:`geomcheck.grid_crossings`), else on
    the block graph."""
    bg = blocks.gdf
    hh = bg["hh"].to_numpy()
    geoms = bg.geometry.values
    feasible = {p["village"]: p["feasible"] for p in problems}
    sets = [g for _, g in grids]
    if geo is None:
        hard, soft = crossings(blocks, sets)
    tot = np.array([int(hh[list(s)].sum()) for s in sets])
    feas = np.array([feasible.get(v, False) for v, _ in grids], dtype=bool)
    inb = (tot >= LO) & (tot <= HI)
    polys = []
    for s in sets:
        g = geoms[np.fromiter(s, dtype=np.int64)]
        try:
            u = shapely.coverage_union_all(g)
        except Exception:  # noqa: BLE001 - not a clean coverage: the general union
            u = shapely.union_all(g)
        polys.append(u)
    polys = np.array(polys, dtype=object)
    if geo is not None:
        hb = blocks.household_block
        grid_of_block = np.full(len(bg), -1, dtype=np.int64)
        for gi, s_ in enumerate(sets):
            grid_of_block[np.fromiter(s_, dtype=np.int64)] = gi
        owner = np.where(hb >= 0, grid_of_block[np.maximum(hb, 0)], -1)
        members = [np.flatnonzero(owner == gi) for gi in range(len(sets))]
        hard, soft = grid_crossings(polys, members, geo["points"], geo["hh"], geo["lines"], villages=geo["villages"])
    pp = 4 * math.pi * shapely.area(polys) / np.maximum(shapely.length(polys), 1e-9) ** 2
    return {"grids": len(sets), "pct_in_bounds": 100.0 * inb[feas].mean() if feas.any() else float("nan"),
            "hard": int(hard.sum()), "soft": int(soft.sum()), "pp": float(np.mean(pp)) if len(pp) else float("nan"),
            "households": int(tot.sum()), "hh_min": int(tot.min()) if len(tot) else 0,
            "hh_max": int(tot.max()) if len(tot) else 0}


def gridtool_metrics(gp, problems, villages) -> dict:
    g = gp.grids_
    names = villages["name"].astype(str).tolist() if "name" in villages else []
    feas_name = {names[p["village"]]: p["feasible"] for p in problems} if names else {}
    feas = g["village"].astype(str).map(feas_name).fillna(False).to_numpy(dtype=bool)
    hh = g["hh"].to_numpy()
    inb = (hh >= LO) & (hh <= HI)
    return {"grids": len(g), "pct_in_bounds": 100.0 * inb[feas].mean() if feas.any() else float("nan"),
            "hard": int(g["hard_crossings"].sum()), "soft": int(g["soft_crossings"].sum()),
            "pp": float(g["polsby_popper"].mean()), "households": int(hh.sum()),
            "hh_min": int(hh.min()), "hh_max": int(hh.max())}


# ---------------------------------------------------------------------------------------------
# The geometric floor: the same geometry work done once, in plain shapely, on the same data.
def floors(villages, points, lines) -> dict[str, float]:
    """Seconds of the plain-shapely floor of the partition's geometry on these inputs.

    ``blocks``: every village polygonized with the barrier lines that reach it (GEOS noding +
    polygonize, one call per village) plus point-in-block for every household (STRtree of all
    faces, bounding boxes then ``intersects``). ``shapes``: the Voronoi cells of every distinct
    household point, clipped to its village, the Delaunay edges of those points and
    point-in-polygon of the points against the cells (one pass per village). The engine does
    more than this (adjacency, barriers along edges, cuts, codes, metrics); the ratio says how
    much more its whole run costs than the unavoidable geometry."""
    vg = shapely.make_valid(np.asarray(villages, dtype=object))
    pts = np.asarray(points, dtype=object)
    lg = lines.geometry.to_numpy() if lines is not None and len(lines) else np.zeros(0, dtype=object)
    lg = shapely.force_2d(lg[lines["cls"].to_numpy() != "village"]) if len(lg) else lg
    vtree = shapely.STRtree(vg)
    pi, vi = vtree.query(pts, predicate="intersects")
    pi, first = np.unique(pi, return_index=True)
    vi = vi[first]
    by_v = np.split(pi[np.argsort(vi, kind="stable")], np.cumsum(np.bincount(vi, minlength=len(vg)))[:-1])
    out = {}
    t, c = time.perf_counter(), time.thread_time()
    li, lv = vtree.query(lg, predicate="intersects") if len(lg) else (np.zeros(0, int), np.zeros(0, int))
    order = np.argsort(lv, kind="stable")
    lines_of = np.split(li[order], np.cumsum(np.bincount(lv, minlength=len(vg)))[:-1])
    faces = []
    for v in range(len(vg)):
        edges = np.concatenate([[shapely.boundary(vg[v])], lg[lines_of[v]]])
        faces.append(shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(edges)))))
    faces = np.concatenate(faces) if faces else np.zeros(0, dtype=object)
    ftree = shapely.STRtree(faces)
    shapely.prepare(faces)
    i, j = ftree.query(pts)
    shapely.intersects(faces[j], pts[i])
    out["blocks"], out["blocks_cpu"] = time.perf_counter() - t, time.thread_time() - c
    t, c = time.perf_counter(), time.thread_time()
    for v in range(len(vg)):
        xy = np.unique(shapely.get_coordinates(pts[by_v[v]]), axis=0)
        if len(xy) < 3:
            continue
        mp = shapely.multipoints(xy)
        cells = shapely.get_parts(shapely.voronoi_polygons(mp, extend_to=vg[v]))
        cells = shapely.intersection(cells, vg[v])
        shapely.get_parts(shapely.delaunay_triangles(mp, only_edges=True))
        ctree = shapely.STRtree(cells)
        shapely.prepare(cells)
        p = shapely.points(xy)
        i, j = ctree.query(p)
        shapely.intersects(cells[j], p[i])
    out["shapes"], out["shapes_cpu"] = time.perf_counter() - t, time.thread_time() - c
    out["total"] = out["blocks"] + out["shapes"]
    out["total_cpu"] = out["blocks_cpu"] + out["shapes_cpu"]
    return out


def stage_table(tim: dict, floor: dict, *, extra: dict | None = None) -> list[str]:
    """Markdown rows: stage, wall seconds, CPU seconds of the fitting thread, the floor's (wall and
    CPU) and the ratios. On a shared machine the CPU ratio is the one to read: wall time depends on
    what else runs, CPU time much less."""
    def row(name, w, c, fkey, what):
        fw, fc = floor.get(fkey), floor.get(f"{fkey}_cpu")
        if fw is None:
            return f"| {name} | {w:.2f} | {c:.2f} | | | | |"
        return (f"| {name} | {w:.2f} | {c:.2f} | {fw:.2f} / {fc:.2f} {what} | "
                f"{c / max(fc, 1e-9):.2f}× | {w / max(fw, 1e-9):.2f}× |")
    cpu = {k: tim.get(f"{k}_cpu_s", float("nan")) for k in ("blocks", "grids", "subgrids", "total")}
    # Sub-grids drawn on worker processes: their CPU belongs to the stage (and to the total).
    cpu["subgrids"] += tim.get("subgrid_workers_cpu_s", 0.0)
    cpu["total"] += tim.get("subgrid_workers_cpu_s", 0.0)
    rows = ["| stage | wall s | CPU s | floor wall / CPU s | ratio (CPU) | ratio (wall) |",
            "|---|---:|---:|---:|---:|---:|",
            row("blocks", tim["blocks_s"], cpu["blocks"], "blocks", "(polygonize + point-in-block)"),
            row("grids + sub-grids (with layers and metrics)", tim["grids_s"] + tim["subgrids_s"],
                cpu["grids"] + cpu["subgrids"], "shapes", "(Voronoi + Delaunay + point-in-polygon)"),
            row("— grids", tim["grids_s"], cpu["grids"], None, ""),
            row("— sub-grids, grid layers, metrics", tim["subgrids_s"], cpu["subgrids"], None, "")]
    for k, (w, c) in (extra or {}).items():
        rows.append(row(k, w, c, None, ""))
    rows.append(row("**total**", tim["total_s"], cpu["total"], "total", ""))
    return rows


def _ratio(r: float) -> str:
    return f"{r:.1f}×" if r >= 10 else f"{r:.2f}×" if r >= 0.1 else f"{r:.3f}×"


# ---------------------------------------------------------------------------------------------
class _PeakRSS:
    """Peak resident memory while the ``with`` block runs (psutil, every 50 ms): of this process
    (``peak_mb``) and of this process with its children, the sub-grid workers (``peak_all_mb``)."""

    def __enter__(self):
        import threading

        import psutil
        self._p = psutil.Process()
        self.start_mb = self.peak_mb = self._p.memory_info().rss / 2**20
        self.peak_all_mb = self.peak_mb
        self.cpu_s = 0.0  # this sampler's own CPU (reading /proc), not the run's: see bench_city
        self._stop = threading.Event()

        def run():
            c0 = time.thread_time()
            while not self._stop.wait(0.05):
                own = self._p.memory_info().rss / 2**20
                kids = 0.0
                for c in self._p.children(recursive=True):
                    try:
                        kids += c.memory_info().rss / 2**20
                    except psutil.Error:  # exited meanwhile
                        pass
                self.peak_mb = max(self.peak_mb, own)
                self.peak_all_mb = max(self.peak_all_mb, own + kids)
                self.cpu_s = time.thread_time() - c0
        self._t = threading.Thread(target=run, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak_mb = max(self.peak_mb, self._p.memory_info().rss / 2**20)
        self.peak_all_mb = max(self.peak_all_mb, self.peak_mb)


def bench_city(households: int, *, seed: int = 0, workers: int = 1) -> None:
    """The larger case: a :class:`synthetic_city.SyntheticCity` of ``households`` households (real
    OSM buildings of four extracts, synthetic households) partitioned by the batch partitioner
    township by township in this process (``workers=1``; reading, cutting, hashing and writing
    the chunk files count), against the floor on the same city in memory."""
    import tempfile

    from synthetic_city import SyntheticCity

    from gridtool.partition.barriers import DEFAULT_HARD, barrier_lines
    from gridtool.partition.batch import BatchPartitioner
    from gridtool.spatial import household_points

    city = SyntheticCity(households, seed=seed)
    print(f"\n## Synthetic city: {len(city.townships)} townships, {city.households_total:,} households "
          f"(batch partitioner, {workers} worker(s))\n", flush=True)
    peak = _PeakRSS()
    with tempfile.TemporaryDirectory() as tmp, peak:
        t, c = time.perf_counter(), time.process_time()
        bp = BatchPartitioner(workers=workers, min_hh=LO, max_hh=HI, target=TARGET).fit(
            city, work_dir=Path(tmp) / "parts", keep=False)
        total, cpu = time.perf_counter() - t, time.process_time() - c
    # The process time includes the memory sampler's thread (psutil reading /proc every 50 ms,
    # children too: ~4 % of a core, ~20 CPU s over a slow Dask run): not the partition's work.
    cpu -= peak.cpu_s
    tim = bp.report_["timings"]
    eng = tim["engine"]
    layers = city.to_layers()
    lines = barrier_lines(layers, hard=DEFAULT_HARD)
    floor = floors(layers["villages"].geometry.values, household_points(layers["households"]).values, lines)
    t_eng = {k: eng.get(k, 0.0) for k in ("blocks_s", "grids_s", "subgrids_s", "blocks_cpu_s", "grids_cpu_s",
                                          "subgrids_cpu_s")}
    # The whole run's CPU: this process's (workers=1 runs every chunk here, threads included), or
    # with more workers the engines' (main threads, corridor and face threads) plus this client's.
    if workers > 1:
        cpu += sum(eng.get(k, 0.0) for k in ("total_cpu_s", "corridors_cpu_s", "faces_cpu_s"))
        print(f"(stage rows are sums over the chunks the {workers} workers ran side by side; the total is "
              "the wall time of the whole run)\n")
    t_eng.update(total_s=total, total_cpu_s=cpu)
    print("\n".join(stage_table(t_eng, floor, extra={
        "— engine total (sum over chunks)": (eng.get("total_s", 0.0), eng.get("total_cpu_s", float("nan"))),
        "— corridors (own threads)": (eng.get("corridors_s", 0.0), eng.get("corridors_cpu_s", float("nan"))),
        "— client (reading, cutting, hashing, writing parts)": (tim["client_s"], float("nan")),
        "— chunk files written by the tasks (wall, sum over chunks)": (tim.get("parts_write_s", 0.0), float("nan"))})))
    plan = bp.report_["plan"]
    print(f"\n{plan['grids']} grids, {plan.get('pct_within_bounds')}% in bounds, {plan.get('subgrids')} sub-grids "
          f"({plan.get('subgrids_pct_within_bounds')}% within 20–40), hard crossings {plan.get('hard_crossings')}, "
          f"{len(bp.failures_)} failed chunks; peak RSS during the run {peak.peak_mb:,.0f} MB "
          f"(before it: {peak.start_mb:,.0f} MB; the memory sampler's own {peak.cpu_s:.2f} CPU s left out of "
          "the total)", flush=True)


def bench(name: str, layers: dict, *, skip_maxp: bool, skip_anchors: bool = False, maxp_budget: float | None,
          maxp_villages: int | None, maxp_construction: int, metis_weighted: bool, seed: int) -> dict[str, float]:
    nhh = int(layers["households"]["hh"].sum())
    print(f"\n## {name}: {len(layers['villages'])} villages, {len(layers['households']):,} buildings, "
          f"{nhh:,} households\n", flush=True)
    peak = _PeakRSS()
    t, c, pc = time.perf_counter(), time.thread_time(), time.process_time()
    with peak:
        gp = GridPartitioner(min_hh=LO, max_hh=HI, target=TARGET).fit(layers)
    t_gt = time.perf_counter() - t
    tim = dict(gp.report_["timings"])
    tim.setdefault("total_cpu_s", time.thread_time() - c)  # (engines before the CPU timings)
    all_cpu = time.process_time() - pc
    floor = floors(layers["villages"].geometry.values, gp._points, gp._lines)
    # The total CPU is the whole fit's, as the city's is: the corridors and the crossing faces run
    # on a thread of their own or on a sub-grid worker, outside the fitting thread, and counted
    # there (the city, one process, counts them in its process time).
    tim["total_cpu_s"] += tim.get("corridors_cpu_s", 0.0) + tim.get("faces_cpu_s", 0.0)
    print("\n".join(stage_table(tim, floor, extra={
        "corridors (own thread or sub-grid worker, overlapped)": (tim["corridors_s"], tim.get("corridors_cpu_s", float("nan"))),
        "crossing faces (own thread or sub-grid worker, overlapped)": (tim.get("faces_s", 0.0), tim.get("faces_cpu_s", float("nan")))})))
    print("\n(total CPU: the fitting thread, the sub-grid workers, the corridors and the crossing faces, "
          "wherever they ran)")
    print(f"\nSub-grids drawn on {tim.get('subgrid_workers', 1)} process(es)"
          + (f" ({tim['subgrid_workers_cpu_s']:.2f} CPU s there, counted in the sub-grid and total CPU above)"
             if tim.get("subgrid_workers_cpu_s") else "")
          + (f"; {tim['subgrid_workers_note']}" if tim.get("subgrid_workers_note") else ""))
    print(f"\nCPU of the whole process during the fit (corridor thread included): {all_cpu:.2f} s; "
          f"peak RSS during the fit: {peak.peak_mb:,.0f} MB (before it: {peak.start_mb:,.0f} MB; with the sub-grid "
          f"worker processes: {peak.peak_all_mb:,.0f} MB)\n", flush=True)
    if skip_anchors:
        return {"gridtool": t_gt, **{f"floor_{k}": v for k, v in floor.items()}}
    blocks = gp.blocks_
    villages = layers["villages"].reset_index(drop=True)
    problems = village_problems(blocks, len(villages))
    rows = [("gridtool", t_gt, gridtool_metrics(gp, problems, villages), "")]

    geo = {"lines": gp._lines, "points": np.asarray(gp._points, dtype=object),
           "hh": np.rint(layers["households"]["hh"].to_numpy(dtype=float)),
           "villages": villages.geometry.to_numpy()}
    mg, ms = run_metis(problems, weighted=metis_weighted)
    rows.append(("METIS (pymetis)", ms["seconds"], plan_metrics(blocks, mg, problems, geo),
                 f"{ms['disconnected_villages']} of {ms['villages']} villages have a disconnected block "
                 "graph (islands, exclaves): partitioned without METIS's contiguity option there"))

    if not skip_maxp:
        xg, xs = run_maxp(problems, blocks.gdf, seed=seed, budget_s=maxp_budget,
                          max_villages=maxp_villages, construction=maxp_construction)
        secs = xs["seconds"]
        note = (f"spopt defaults (top_n=2, max_iterations_construction={maxp_construction}, "
                f"max_iterations_sa=10); {xs['islands_dropped']} empty island blocks left out and joined "
                f"to the nearest region; {xs['single_region_villages']} villages below the threshold kept "
                "whole; per village (blocks, s, regions): " + ", ".join(
                    f"{n}/{t:.0f}s/{r}" for _, n, t, r in xs["per_village"]))
        if not xs["complete"]:
            big = [p for p in problems if p["H"] >= LO and len(p["rows"])]
            all_blocks = sum(len(p["rows"]) for p in big)
            secs = xs["seconds"] * all_blocks / max(xs["solved_blocks"], 1)
            why = " and ".join(x for x in (maxp_budget and f"time budget {maxp_budget:.0f}s",
                                            maxp_villages and f"--maxp-villages {maxp_villages}") if x)
            note = (f"EXTRAPOLATED ({why}): ran the {len(xs['per_village'])} "
                    f"smallest of {len(big)} villages ≥ {LO} households ({xs['solved_blocks']:,} of "
                    f"{all_blocks:,} blocks) in {xs['seconds']:.0f}s, time scaled linearly by block count "
                    "(max-p's cost per block varies a lot between villages, so this is rough); its "
                    "quality columns describe only the villages run; " + note)
        rows.append(("max-p (spopt)", secs, plan_metrics(blocks, xg, problems, geo), note))

    print("| method | seconds | gridtool ratio | grids | % grids in 300–500 | hard crossings | "
          "soft crossings | mean Polsby-Popper | grid hh min–max |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m, s, q, _ in rows:
        ratio = "—" if m == "gridtool" else _ratio(s / t_gt)
        print(f"| {m} | {s:.2f} | {ratio} | {q['grids']} | {q['pct_in_bounds']:.1f} | {q['hard']} | "
              f"{q['soft']} | {q['pp']:.3f} | {q['hh_min']}–{q['hh_max']} |")
    print()
    plan = gp.report_["plan"]
    print(f"- gridtool internal timings: blocks {tim['blocks_s']:.2f}s, grids {tim['grids_s']:.2f}s, "
          f"sub-grids {tim['subgrids_s']:.2f}s, corridor overlay {tim.get('corridors_s', 0):.2f}s on a second "
          f"thread (waited for {tim.get('corridors_wait_s', 0):.2f}s), "
          f"total {tim['total_s']:.2f}s (special grids, metrics and layers make up the rest); "
          f"{len(blocks.gdf):,} blocks, {len(blocks.edges):,} block edges")
    if gp.subgrids_ is not None and len(gp.subgrids_):
        print(f"- gridtool sub-grids: {plan.get('subgrids')} sub-grids, "
              f"{plan.get('subgrids_pct_within_bounds')}% within 20–40, "
              f"hh {plan.get('subgrid_hh_min')}–{plan.get('subgrid_hh_max')}, "
              f"mean Polsby-Popper {plan.get('subgrids_mean_polsby_popper')} (the anchors make no sub-grids)")
    infeas = [f"{v['village']} ({v['households']})" for v in plan.get("infeasible_villages", [])]
    print(f"- villages no grid count fits (excluded from % in bounds, one exceptional grid each in "
          f"gridtool): {len(infeas)}" + (f" — {', '.join(infeas[:6])}{' …' if len(infeas) > 6 else ''}"
                                         if infeas else ""))
    t = time.perf_counter()
    chk = check_plan(gp)
    print(f"- geometric check of gridtool's grids ({time.perf_counter() - t:.2f}s): "
          f"{chk['grids_with_hard_crossings']} grids with households on two sides of a hard line "
          f"({chk['hard_crossings']} crossings, the hard_crossings column); the independent side check finds "
          f"{chk['side_check_grids']} grids with ≥ 20 households on each side of one hard line, "
          f"{chk['side_check_missed']} of them without a crossing or exception status"
          + (f" ({', '.join(chk['missed_codes'][:5])})" if chk["missed_codes"] else "")
          + f"; overlapping grid pairs {chk['overlapping_pairs']} (largest {chk['max_overlap_m2']} m²); "
          f"grids in pieces {chk['multipart_grids']}, {chk['multipart_unexplained']} not contiguous (not because the village is in parts)")
    print(f"- gridtool avoidable hard crossings (beyond pocket joins and whole exceptional villages): "
          f"{plan.get('avoidable_hard_crossings')}")
    print(f"- gridtool unavoidable hard crossings (regions too small to stand alone, joined across a "
          f"barrier): {plan.get('unavoidable_hard_crossings')}")
    if plan.get("unavoidable_hard_crossings"):
        # The other policy for such pockets: each stays an exceptional grid, nothing crosses.
        t = time.perf_counter()
        alt = GridPartitioner(min_hh=LO, max_hh=HI, target=TARGET, pockets="exception", subgrids=False,
                              corridor_width=0).fit(layers).report_["plan"]
        sizes = sorted(p["households"] for p in alt["pocket_grids"])
        print(f"- gridtool with pockets='exception' (grids only, {time.perf_counter() - t:.2f}s): hard crossings "
              f"{alt['hard_crossings']}, {alt['pct_within_bounds']}% of the other grids in bounds, "
              f"{len(sizes)} pockets kept as exceptional grids (households: {', '.join(map(str, sizes[:15]))}"
              f"{' …' if len(sizes) > 15 else ''})")
    anchors_t = {m: s for m, s, _, _ in rows if m != "gridtool"}
    print(f"- gridtool grids stage alone ({tim['grids_s']:.2f}s) vs anchors: " + ", ".join(
        f"{m} {_ratio(s / max(tim['grids_s'], 1e-9))}" for m, s in anchors_t.items()))
    for m, _, _, note in rows:
        if note:
            print(f"- {m}: {note}")
    print(f"- METIS edge weights: {'max(1, round(affinity))' if metis_weighted else 'unit'}; "
          "the anchors' times exclude building the blocks (they reuse gridtool's)", flush=True)
    return {m: s for m, s, _, _ in rows}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=500_000, help="size of the synthetic county")
    ap.add_argument("--skip-maxp", action="store_true", help="leave max-p out (it is slow)")
    ap.add_argument("--maxp-villages", type=int, default=None,
                    help="run max-p on at most this many villages (smallest first) and extrapolate "
                         "its time by block count")
    ap.add_argument("--maxp-budget", type=float, default=MAXP_BUDGET_S,
                    help="seconds after which max-p starts no new village and its time is "
                         "extrapolated (default %(default)s; 0 = no budget)")
    ap.add_argument("--maxp-construction", type=int, default=99,
                    help="max-p max_iterations_construction (spopt's default 99)")
    ap.add_argument("--sample-only", action="store_true")
    ap.add_argument("--project", action="append", default=[], metavar="PROJECT.gpkg",
                    help="also run on a saved project (e.g. the government layout of "
                         "tools/make_government_layout.py, imported with gridtool import); "
                         "with --sample-only, only these after the sample")
    ap.add_argument("--metis-unweighted", action="store_true", help="unit METIS edge weights")
    ap.add_argument("--skip-anchors", action="store_true",
                    help="gridtool against its floor only (no METIS, no max-p)")
    ap.add_argument("--city", type=int, default=0, metavar="HOUSEHOLDS",
                    help="also the larger case: a synthetic city of this many households (≥ 1,500,000 "
                         "for the issue-17 table) through the batch partitioner, against its floor")
    ap.add_argument("--county-only", action="store_true", help="skip the sample")
    ap.add_argument("--city-workers", type=int, nargs="+", default=[1], metavar="N",
                    help="batch workers for the city (one run per number; 2 uses both cores of the CI machine)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    kw = dict(skip_maxp=args.skip_maxp, maxp_budget=args.maxp_budget or None,
              maxp_villages=args.maxp_villages, maxp_construction=args.maxp_construction,
              metis_weighted=not args.metis_unweighted, seed=args.seed, skip_anchors=args.skip_anchors)

    from synthetic_county import load_sample, make_county

    sample = load_sample("liechtenstein")
    if not args.county_only:
        bench("Liechtenstein sample", sample, **kw)
    for path in args.project:
        from gridtool.project import Project
        proj = Project.open(path)
        bench(f"Project {Path(path).name}", {r: lyr.gdf for r, lyr in proj.layers.items()}, **kw)
    if args.sample_only:
        for w in args.city_workers if args.city else ():
            bench_city(args.city, seed=args.seed, workers=w)
        return
    t = time.perf_counter()
    county = make_county(args.households, seed=args.seed, sample=sample)
    print(f"\n(synthetic county built in {time.perf_counter() - t:.1f}s from {len(county['villages']) // len(sample['villages'])} "
          "tiles of the sample; households are estimates on real OSM buildings, © OpenStreetMap "
          "contributors, ODbL)")
    bench(f"Synthetic county (~{args.households:,} households)", county, **kw)
    for w in args.city_workers if args.city else ():
        bench_city(args.city, seed=args.seed, workers=w)


if __name__ == "__main__":
    main()
