"""Routing quality and speed: gridtool's tour solver against OR-Tools and networkx, and the road
network jobs on a real country-size graph (Malta).

    python benchmarks/routing_bench.py [--data /work/shared/data] [--quick] [--tsp-seeds 1 2 ...] [--sections ...]
                                       [--no-malta]

1. TSP (TSPLIB berlin52, st70, kroA100, proven optima) and CVRP (CVRPLIB A-n32-k5, A-n45-k7,
   P-n16-k8, proven optima), plus instances of the same families generated here with a seed
   (uniform random EUC_2D TSPs of 100/200/300 cities; Augerat-style CVRPs: 100×100 square, demands
   1–30, capacity 100). For generated TSPs the optimum is proven here by an exact integer
   programme (DFJ subtour cuts, HiGHS via scipy; ``exact_tsp``); for generated CVRPs the reference
   is the best of two 20-second gridtool runs, marked "best known" (not proven).
   Solvers: gridtool ``plan_tours`` (PyVRP inside; 2 s TSP, 5 s CVRP), OR-Tools routing with
   guided local search (2 s), networkx Christofides (TSP only).
2. Malta (OSM 2018-08): road graph build, 100 ten-minute walking service circles, and a
   150-stop car tour on the network's (asymmetric) travel-time matrix, gridtool vs OR-Tools.
3. Siting (``--sections siting``): exact maximal covering / set cover (``site_stations``, CBC)
   against the greedy choice gridtool used as its fallback, and against brute force where the
   instance is small (random covering instances, and Malta car travel times, 3 minutes).
4. Sealing (``--sections sealing``): the exact bottleneck assignment (``seal_exits``) against
   brute force on small random instances, and against ``plan_tours(balance=True)`` bent to the
   job (one team per station, one exit per team, free return) on Malta car travel times.
5. Hot-spot patrols (``--sections hotspots``): Nanjing Xuanwu's real streets (OSM 2021-06) with seeded
   synthetic incidents (planted clusters on streets over an even background: no real 警情 data is
   public); share of incidents within 100 m of the routes, planned with and without the incidents,
   for the same teams and shift. ``--no-hotspots`` skips it.
6. Time limits (``--sections limits``): ``plan_tours`` wall time against ``time_limit`` on random
   instances of 100–2,392 stops, one and three teams (the contract: ≤ 1.1 × limit + 0.2 s).
   ``--no-limits`` skips it.
Distances are TSPLIB EUC_2D (rounded to integers), so lengths compare with the published optima.
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")


def euc2d(coords: np.ndarray) -> np.ndarray:
    d = np.hypot(*(coords[:, None, :] - coords[None, :, :]).transpose(2, 0, 1))
    return np.floor(d + 0.5)


def tour_len(m, depot, routes) -> float:
    total = 0.0
    for r in routes:
        if r:
            path = [depot] + list(r) + [depot]
            total += sum(m[a, b] for a, b in zip(path[:-1], path[1:]))
    return float(total)


# -- solvers ------------------------------------------------------------------------------------

def run_gridtool(m, *, teams=1, demands=None, capacity=None, seconds=2.0, seed=0):
    from gridtool.routing import plan_tours
    t = time.perf_counter()
    kw = {} if demands is None else {"demands": demands, "capacity": capacity}
    plan = plan_tours(m, teams=teams, time_limit=seconds, seed=seed, **kw)
    return tour_len(m, 0, plan.routes), time.perf_counter() - t


def run_ortools(m, *, teams=1, demands=None, capacity=None, seconds=2.0):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    n = len(m)
    mgr = pywrapcp.RoutingIndexManager(n, teams, 0)
    r = pywrapcp.RoutingModel(mgr)
    cb = r.RegisterTransitMatrix(m.astype(np.int64).tolist())
    r.SetArcCostEvaluatorOfAllVehicles(cb)
    if demands is not None:
        dem = [int(x) for x in demands]
        dcb = r.RegisterUnaryTransitCallback(lambda i: dem[mgr.IndexToNode(i)])
        r.AddDimensionWithVehicleCapacity(dcb, 0, [int(capacity)] * teams, True, "load")
    p = pywrapcp.DefaultRoutingSearchParameters()
    p.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    p.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    p.time_limit.FromMilliseconds(int(seconds * 1000))
    t = time.perf_counter()
    sol = r.SolveWithParameters(p)
    el = time.perf_counter() - t
    if sol is None:
        return math.inf, el
    routes = []
    for v in range(teams):
        i = r.Start(v)
        route = []
        i = sol.Value(r.NextVar(i))
        while not r.IsEnd(i):
            route.append(mgr.IndexToNode(i))
            i = sol.Value(r.NextVar(i))
        routes.append(route)
    return tour_len(m, 0, routes), el


def run_christofides(m):
    import networkx as nx
    n = len(m)
    g = nx.Graph()
    for i in range(n):
        for j in range(i + 1, n):
            g.add_edge(i, j, weight=float(m[i, j]))
    t = time.perf_counter()
    cyc = nx.approximation.christofides(g, weight="weight")
    el = time.perf_counter() - t
    k = cyc.index(0)
    tour = cyc[k:-1] + cyc[:k]
    return tour_len(m, 0, [tour[1:]]), el


def exact_tsp(m, seconds: float):
    """Proven optimum of a symmetric TSP, or None if not proven within ``seconds``.

    Dantzig–Fulkerson–Johnson: the degree-2 integer programme solved by HiGHS (scipy ``milp``),
    adding a subtour cut for every cycle of the solution until it is one tour. Exact; about
    1 s for 100 random cities, 1 min for 200 and 2 min for 300 on this machine.
    """
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse.csgraph import connected_components
    n = len(m)
    iu, ju = np.triu_indices(n, 1)
    c = m[iu, ju]
    e = len(c)
    deg = sparse.csr_matrix((np.ones(2 * e), (np.r_[iu, ju], np.r_[np.arange(e), np.arange(e)])), shape=(n, e))
    cuts, bounds = [], []
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        cons = [LinearConstraint(deg, 2, 2)]
        if cuts:
            cons.append(LinearConstraint(sparse.vstack(cuts), -np.inf, np.array(bounds)))
        left = max(1.0, seconds - (time.perf_counter() - t0))
        res = milp(c, constraints=cons, integrality=np.ones(e), bounds=Bounds(0, 1),
                   options={"time_limit": left})
        if res.x is None or res.status != 0:
            return None
        x = res.x > 0.5
        g = sparse.coo_matrix((np.ones(x.sum()), (iu[x], ju[x])), shape=(n, n))
        k, lab = connected_components(g, directed=False)
        if k == 1:
            return float(round(res.fun))
        for comp in range(k):
            inside = lab == comp
            cuts.append(sparse.csr_matrix((inside[iu] & inside[ju]).astype(float)[None, :]))
            bounds.append(int(inside.sum()) - 1)
    return None


# -- instances ----------------------------------------------------------------------------------

def published(data: Path):
    import vrplib
    d = data / "routing"
    tsp = [("berlin52", 7542), ("st70", 675), ("kroA100", 21282)]
    for name, opt in tsp:
        inst = vrplib.read_instance(str(d / f"{name}.tsp"))
        yield "TSP", name, euc2d(inst["node_coord"]), None, None, 1, opt, "proven"
    for name, opt, k in [("P-n16-k8", 450, 8), ("A-n32-k5", 784, 5), ("A-n45-k7", 1146, 7)]:
        inst = vrplib.read_instance(str(d / f"{name}.vrp"))
        yield ("CVRP", name, euc2d(inst["node_coord"]), inst["demand"], int(inst["capacity"]), k, opt,
               "proven")


def generated(quick: bool, exact_seconds: float, ref_seconds: float, tsp_seeds=()):
    sizes = (100, 200) if quick else (100, 200, 300)
    todo = [(n, 1000 + n, f"rand{n}") for n in sizes]
    # --tsp-seeds: more 300-city instances of the same family (seed s: default_rng(s))
    todo += [(300, s, f"rand300-s{s}") for s in tsp_seeds]
    for n, seed, name in todo:
        rng = np.random.default_rng(seed)
        m = euc2d(rng.integers(0, 10000, (n, 2)).astype(float))
        opt = exact_tsp(m, exact_seconds)
        kind = "proven"
        if opt is None:
            opt = min(run_gridtool(m, seconds=ref_seconds, seed=s)[0] for s in (11, 12))
            kind = "best known"
        yield "TSP", name, m, None, None, 1, opt, kind
    for n in ((33, 50) if quick else (33, 50, 80)):
        rng = np.random.default_rng(2000 + n)
        coords = rng.integers(0, 101, (n, 2)).astype(float)
        dem = np.r_[0, rng.integers(1, 31, n - 1)]
        k = int(math.ceil(dem.sum() / 100 / 0.9))
        m = euc2d(coords)
        ref = min(run_gridtool(m, teams=k, demands=dem, capacity=100, seconds=ref_seconds, seed=s)[0]
                  for s in (11, 12))
        yield "CVRP", f"A-like-n{n}-k{k}", m, dem, 100, k, ref, "best known"


def malta(data: Path, quick: bool):
    import geopandas as gpd

    from gridtool.routing import graph_from_osm, plan_tours, service_circles, snap, travel_matrix
    pbf = data / "osm" / "malta-2018-08.osm.pbf"
    rows = []
    t = time.perf_counter()
    walk = graph_from_osm(pbf, mode="walk")
    rows.append(("build walk graph", time.perf_counter() - t,
                 f"{walk.n_nodes:,} nodes, {walk.n_edges:,} edges, {len(walk.pieces)} pieces apart"))
    t = time.perf_counter()
    car = graph_from_osm(pbf, mode="car")
    rows.append(("build car graph", time.perf_counter() - t,
                 f"{car.n_nodes:,} nodes, {car.n_edges:,} edges, {len(car.pieces)} pieces apart"))
    rng = np.random.default_rng(0)
    main = np.flatnonzero(walk.component == walk.main_component)
    pick = rng.choice(main, 100, replace=False)
    st = gpd.GeoDataFrame({"name": [f"站{i}" for i in range(100)]},
                          geometry=gpd.points_from_xy(walk.x[pick] + 5, walk.y[pick] + 5), crs=walk.crs)
    t = time.perf_counter()
    circ = service_circles(walk, st, minutes=10)
    rows.append(("100 service circles (walk 10 min)", time.perf_counter() - t,
                 f"mean {circ['area_km2'].mean():.2f} km², {circ['road_km'].mean():.1f} km of street each"))
    cmain = np.flatnonzero(car.component == car.main_component)
    n = 100 if quick else 150
    pick = rng.choice(cmain, n, replace=False)
    pts = gpd.points_from_xy(car.x[pick] + 3, car.y[pick] + 3)
    t = time.perf_counter()
    sn = snap(car, pts)
    m = travel_matrix(car, sn)
    rows.append((f"{n}×{n} car travel-time matrix", time.perf_counter() - t,
                 f"asymmetric: max |m - mᵀ| = {np.nanmax(np.abs(m - m.T)):.0f} s"))
    g, tg = run_gridtool(m, seconds=2.0)
    o, to = run_ortools(np.round(m * 10), seconds=2.0)
    o /= 10
    best = min(g, o)
    rows.append((f"{n}-stop car tour, gridtool 2 s", tg, f"{g / 60:.1f} min, {100 * (g / best - 1):+.2f} % vs best"))
    rows.append((f"{n}-stop car tour, OR-Tools GLS 2 s", to, f"{o / 60:.1f} min, {100 * (o / best - 1):+.2f} % vs best"))
    return rows


def siting_rows(data: Path, quick: bool):
    """Exact siting against greedy (and brute force where small)."""
    import geopandas as gpd

    from gridtool.routing import graph_from_osm, site_stations, snap
    from gridtool.routing.demand import times_within
    from gridtool.routing.siting import greedy_coverage, max_coverage, min_cover
    rows = []
    # random covering instances: candidates cover random demand groups
    rng = np.random.default_rng(5)
    n_inst = 60 if quick else 200
    gaps, worse, sc_extra, t_ex = [], 0, 0, 0.0
    for _ in range(n_inst):
        k, g, p = 12, 40, 3
        cover = rng.random((k, g)) < 0.15
        w = rng.integers(1, 50, g).astype(float)
        best = max(w[cover[list(c)].any(axis=0)].sum() for c in itertools.combinations(range(k), p))
        t = time.perf_counter()
        ex = max_coverage(cover, w, p, time_limit=10)
        t_ex += time.perf_counter() - t
        assert abs(ex.covered - best) < 1e-9
        gr = w[cover[greedy_coverage(cover, w, p)].any(axis=0)].sum()
        gaps.append(100 * (1 - gr / best))
        worse += gr < best
        need = cover.any(axis=0)
        fewest = next(r for r in range(k + 1) for c in itertools.combinations(range(k), r)
                      if (cover[list(c)].any(axis=0) if c else np.zeros(g, bool))[need].all())
        sc = min_cover(cover, time_limit=10)
        assert len(sc.chosen) == fewest
        gcount = len(greedy_coverage(cover, np.ones(g), k))
        sc_extra += gcount > fewest
    rows.append((f"random 12 candidates, p=3 ({n_inst} instances)", t_ex / n_inst,
                 (f"exact = brute force in {n_inst}/{n_inst}; greedy below optimum in {worse}/{n_inst} "
                  f"(mean {np.mean(gaps):.2f} %, max {np.max(gaps):.2f} % of demand); greedy set cover "
                  f"uses more sites than the exact minimum in {sc_extra}/{n_inst}")))
    # Malta car travel times, 3 minutes
    car = graph_from_osm(data / "osm" / "malta-2018-08.osm.pbf", mode="car")
    main = np.flatnonzero(car.component == car.main_component)
    rng = np.random.default_rng(1)

    def pts(n, prefix):
        pick = rng.choice(main, n, replace=False)
        return gpd.GeoDataFrame({"name": [f"{prefix}{i}" for i in range(n)]},
                                geometry=gpd.points_from_xy(car.x[pick] + 3, car.y[pick] + 3), crs=car.crs)
    n_dem, n_cand = (1000, 150) if quick else (3000, 400)
    dem = pts(n_dem, "d").assign(hh=rng.integers(1, 60, n_dem))
    cand = pts(n_cand, "c")
    existing = pts(10, "s")
    for p in (5, 15):
        t = time.perf_counter()
        res = site_stations(car, dem, cand, p=p, minutes=3, existing=existing, time_limit=60)
        el = time.perf_counter() - t
        # greedy on the same matrix
        ds, cs, es = snap(car, dem.geometry), snap(car, cand.geometry), snap(car, existing.geometry)
        cover = times_within(car, cs, ds, 180, covered=True)
        before = times_within(car, es, ds, 180, covered=True).any(axis=0)
        w = dem["hh"].to_numpy(float)
        gr = greedy_coverage(cover & ~before[None, :], w, p)
        gcov = w[before | cover[gr].any(axis=0)].sum()
        rows.append((f"Malta car 3 min: {n_dem} demand, {n_cand} candidates, p={p}", el,
                     (f"exact {res.covered_hh:,.0f} hh ({'proven' if res.proven else 'not proven'}), greedy "
                      f"{gcov:,.0f} ({100 * (gcov / res.covered_hh - 1):+.2f} %)")))
    t = time.perf_counter()
    auto = site_stations(car, dem, cand, p="auto", minutes=3, existing=existing, time_limit=60)
    el = time.perf_counter() - t
    reach = cover & ~before[None, :]
    gcount = len(greedy_coverage(reach, np.ones(reach.shape[1]), len(reach)))
    rows.append(("Malta car 3 min: fewest sites (set cover)", el,
                 (f"exact {len(auto.new_sites)} new sites ({'proven' if auto.proven else 'not proven'}), greedy "
                  f"{gcount}; {len(auto.uncoverable)} demand points no candidate reaches")))
    # brute force on a small Malta instance
    small_c = cand.iloc[:14]
    small_d = dem.iloc[:300]
    cs2, ds2 = snap(car, small_c.geometry), snap(car, small_d.geometry)
    cov2 = times_within(car, cs2, ds2, 180, covered=True)
    bef2 = times_within(car, es, ds2, 180, covered=True).any(axis=0)
    w2 = small_d["hh"].to_numpy(float)
    ok = 0
    for p in (2, 3, 4):
        best = max(w2[bef2 | cov2[list(c)].any(axis=0)].sum() for c in itertools.combinations(range(14), p))
        res = site_stations(car, small_d, small_c, p=p, minutes=3, existing=existing, time_limit=30)
        ok += abs(res.covered_hh - best) < 1e-9
    rows.append(("Malta car 3 min: 300 demand, 14 candidates, p=2..4", 0.0,
                 f"exact = brute force in {ok}/3"))
    return rows


def _bent_plan_tours(cost, k: int, seconds: float):
    """Sealing with ``plan_tours(balance=True)`` bent to it: one team per station (depots), each
    exit slot a stop, one stop per team (capacity 1), free return; the longest and total trip."""
    from gridtool.routing import plan_tours
    ns, ne = cost.shape
    slots = np.repeat(np.arange(ne), k)
    n = ns + len(slots)
    big = float(np.max(cost[np.isfinite(cost)])) * 10
    m = np.full((n, n), big)
    m[:ns, ns:] = np.where(np.isfinite(cost[:, slots]), cost[:, slots], big)
    m[ns:, :ns] = 0.0
    np.fill_diagonal(m, 0.0)
    dem = np.r_[np.zeros(ns), np.ones(len(slots))]
    t = time.perf_counter()
    tp = plan_tours(m, depot=list(range(ns)), teams=[1] * ns, demands=dem, capacity=1, balance=True,
                    time_limit=seconds, seed=0)
    el = time.perf_counter() - t
    legs = [m[d, r[0]] for d, r in zip(range(ns), tp.routes) if r]
    return max(legs), sum(legs), el


def sealing_rows(data: Path, quick: bool):
    """Exact bottleneck assignment against brute force and plan_tours(balance=True)."""
    import geopandas as gpd

    from gridtool.routing import bottleneck_assignment, graph_from_osm, seal_exits, snap
    from gridtool.routing.demand import times_within
    rows = []
    rng = np.random.default_rng(9)
    n_inst = 100 if quick else 300
    agree = 0
    t_ex = 0.0
    for _ in range(n_inst):
        ne, ns = 4, 7
        c = rng.integers(1, 100, (ns, ne)).astype(float)
        t = time.perf_counter()
        a = bottleneck_assignment(c)
        t_ex += time.perf_counter() - t
        best = min((max(c[list(pm), range(ne)]), sum(c[list(pm), range(ne)]))
                   for pm in itertools.permutations(range(ns), ne))
        agree += (a.bottleneck, a.total) == best
    rows.append((f"random 7 stations × 4 exits ({n_inst} instances)", t_ex / n_inst,
                 f"exact = brute force (longest, then total) in {agree}/{n_inst}"))
    n_tp = 20 if quick else 50
    gaps, el_tp = [], 0.0
    for _ in range(n_tp):
        ns, ne = 12, 8
        c = rng.integers(1, 1000, (ns, ne)).astype(float)
        a = bottleneck_assignment(c)
        longest, _total, el = _bent_plan_tours(c, 1, 0.5)
        el_tp += el
        gaps.append(100 * (longest / a.bottleneck - 1))
    rows.append((f"random 12 stations × 8 exits, plan_tours(balance) 0.5 s ({n_tp})", el_tp / n_tp,
                 (f"longest trip equal to the exact in {sum(g < 1e-9 for g in gaps)}/{n_tp}; mean "
                  f"{np.mean(gaps):+.2f} %, worst {np.max(gaps):+.2f} %")))
    car = graph_from_osm(data / "osm" / "malta-2018-08.osm.pbf", mode="car")
    main = np.flatnonzero(car.component == car.main_component)
    for ns, ne, k in ((20, 12, 1), (40, 30, 1), (30, 30, 1), (40, 15, 2)):
        pick = rng.choice(main, ns + ne, replace=False)
        g = gpd.GeoDataFrame({"name": [f"p{i}" for i in range(ns + ne)]},
                             geometry=gpd.points_from_xy(car.x[pick] + 3, car.y[pick] + 3), crs=car.crs)
        st, ex = g.iloc[:ns], g.iloc[ns:]
        t = time.perf_counter()
        plan = seal_exits(car, st, ex, per_exit=k, posts_per_station=1)  # one post each, as the rows compare
        el = time.perf_counter() - t
        cost = times_within(car, snap(car, st.geometry), snap(car, ex.geometry))
        t = time.perf_counter()
        a = bottleneck_assignment(cost, k)
        el_a = time.perf_counter() - t
        longest, total, el2 = _bent_plan_tours(cost, k, 2.0)
        label = f"Malta car: {ns} stations → {ne} exits" + (f" × {k}" if k > 1 else "")
        rows.append((f"{label}, exact", el_a,
                     (f"longest {a.bottleneck / 60:.2f} min, total {a.total / 60:.1f} min "
                      f"(seal_exits with matrix and paths {el:.1f} s; = {plan.longest_minutes:.2f} min)")))
        rows.append((f"{label}, plan_tours(balance) 2 s", el2,
                     (f"longest {longest / 60:.2f} min ({100 * (longest / a.bottleneck - 1):+.2f} %), "
                      f"total {total / 60:.1f} min ({100 * (total / a.total - 1):+.2f} %)")))


def hotspot_rows(data: Path, quick: bool, seed: int = 0):
    """(teams, shift, hot spots, visited, share with, share without, seconds) on Nanjing Xuanwu."""
    import geopandas as gpd
    from shapely.geometry import Point

    from gridtool.crs import metric_crs_for
    from gridtool.io.osm import read_osm_role
    from gridtool.routing import build_graph, find_hotspots, incident_share_near, plan_patrol
    osm = data / "osm" / "nanjing-xuanwu-2021-06.osm"
    roads = read_osm_role(osm, "roads")
    c = roads.geometry.union_all().centroid
    crs = metric_crs_for(c.x, c.y)
    roads = roads.to_crs(crs)
    places = read_osm_role(osm, "places").to_crs(crs)
    stations = places[places["category"] == "police"].copy()
    stations["geometry"] = stations.geometry.representative_point()
    # the key places as routine stops, none must-visit (22 banks and 17 schools must-visit would
    # fill a 2-hour shift on their own, leaving nothing to compare)
    places = places[places["category"] != "police"].assign(must=False)
    g = build_graph(roads, mode="walk", node_crossings=False)
    rng = np.random.default_rng(seed)
    main = np.flatnonzero(g.component[g.piece_u] == g.main_component)
    lengths = np.array([g.geometry[p].length for p in main])
    pts, hours = [], []
    # 8 planted clusters (6–30 incidents, one peak hour each) and 200 incidents spread evenly
    for k in range(8):
        p = rng.choice(main, p=lengths / lengths.sum())
        centre = g.geometry[p].interpolate(rng.random(), normalized=True)
        peak = rng.uniform(8, 22)
        for _ in range(int(rng.integers(6, 31))):
            pts.append(Point(centre.x + rng.normal(0, 20), centre.y + rng.normal(0, 20)))
            hours.append((peak + rng.normal(0, 1)) % 24)
    for _ in range(200):
        p = rng.choice(main, p=lengths / lengths.sum())
        q = g.geometry[p].interpolate(rng.random(), normalized=True)
        pts.append(Point(q.x + rng.normal(0, 10), q.y + rng.normal(0, 10)))
        hours.append(rng.random() * 24)
    inc = gpd.GeoDataFrame({"hour": hours, "type": "盗窃"}, geometry=pts, crs=crs)
    t = time.perf_counter()
    hs = find_hotspots(g, inc)
    t_hs = time.perf_counter() - t
    rows = [("hot spots", len(inc), len(hs.spots), f"{hs.share:.0%} of incidents in them", t_hs)]
    for teams, shift in ([(1, 120), (2, 240)] if quick else [(1, 120), (1, 240), (2, 240), (3, 240)]):
        kw = dict(teams=teams, shift_minutes=shift, start="16:00", strict=False)  # stops on iterations
        t = time.perf_counter()
        both = plan_patrol(g, stations, places, hotspots=hs, **kw)
        secs = time.perf_counter() - t
        only = plan_patrol(g, stations, None, hotspots=hs, **kw)
        base = plan_patrol(g, stations, places, **kw)
        seen = int((both.hotspots["team"] > 0).sum())
        seen_only = int((only.hotspots["team"] > 0).sum())
        rows.append((f"{teams} team(s), {shift} min", teams, shift,
                     f"within 100 m of the routes: places + hot spots {incident_share_near(both.routes, inc):.0%} "
                     f"({seen}/{len(hs.spots)} visited), hot spots only {incident_share_near(only.routes, inc):.0%} "
                     f"({seen_only}/{len(hs.spots)}), places only (no incidents) "
                     f"{incident_share_near(base.routes, inc):.0%}", secs))
    return rows


def time_limit_rows(sizes=(100, 500, 1000, 2392), limits=(0.5, 2.0), teams=(1, 3)):
    """(n, teams, limit, wall seconds, wall / limit, within the 1.1 × limit + 0.2 s contract)."""
    from gridtool.routing import plan_tours
    rows = []
    for n in sizes:
        rng = np.random.default_rng(n)
        m = euc2d(rng.random((n, 2)) * 10_000)
        for k in teams:
            for lim in limits:
                t = time.perf_counter()
                plan_tours(m, teams=k, time_limit=lim)
                wall = time.perf_counter() - t
                rows.append((n, k, lim, wall, wall / lim, wall <= 1.1 * lim + 0.2))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--quick", action="store_true", help="fewer and smaller generated instances")
    ap.add_argument("--exact-seconds", type=float, default=240.0,
                    help="time for the exact TSP solver on generated instances")
    ap.add_argument("--ref-seconds", type=float, default=20.0)
    ap.add_argument("--tsp-seeds", type=int, nargs="*", default=[],
                    help="extra random 300-city TSPs (numpy seeds), each with its proven optimum")
    ap.add_argument("--no-malta", action="store_true", help="skip the Malta road-network part")
    ap.add_argument("--sections", default="tours,malta,siting,sealing,hotspots,limits",
                    help="comma-separated parts to run: tours, malta, siting, sealing, hotspots, limits")
    ap.add_argument("--no-hotspots", action="store_true", help="skip the hot-spot patrol part")
    ap.add_argument("--no-limits", action="store_true", help="skip the time-limit part")
    ap.add_argument("--only-patrols", action="store_true",
                    help="only the hot-spot and time-limit parts (as --sections hotspots,limits)")
    args = ap.parse_args()
    data = Path(args.data)
    sections = {x.strip() for x in args.sections.split(",")}
    if args.only_patrols:
        sections = {"hotspots", "limits"}
    sections -= {"hotspots"} if args.no_hotspots else set()
    sections -= {"limits"} if args.no_limits else set()
    if "tours" in sections:
        tours(data, args)
    if "malta" in sections and not args.no_malta:
        print("Malta (OSM 2018-08)")
        for what, secs, note in malta(data, args.quick):
            print(f"  {what:<38} {secs:6.2f} s   {note}", flush=True)
    for title, fn in (("Siting (exact vs greedy)", siting_rows), ("Sealing exits (exact vs heuristics)", sealing_rows)):
        if fn.__name__.split("_")[0] in sections:
            print(title)
            for what, secs, note in fn(data, args.quick):
                print(f"  {what:<58} {secs:6.2f} s   {note}", flush=True)
    patrol_parts(args, data, sections)


def tours(data: Path, args) -> None:
    print(f"{'kind':<5} {'instance':<16} {'n':>4} {'optimum':>9} {'ref':<10} | "
          f"{'gridtool':>15} | {'OR-Tools GLS 2s':>15} | {'christofides':>15}")
    print("-" * 104)
    worst = {}
    insts = itertools.chain(published(data), generated(args.quick, args.exact_seconds, args.ref_seconds,
                                                       args.tsp_seeds))
    gaps300 = []
    for kind, name, m, dem, cap, k, opt, ref in insts:
        secs = 2.0 if kind == "TSP" else 5.0
        g, tg = run_gridtool(m, teams=k, demands=dem, capacity=cap, seconds=secs)
        o, to = run_ortools(m, teams=k, demands=dem, capacity=cap, seconds=2.0)
        if kind == "TSP" and len(m) <= 200:
            c, tc = run_christofides(m)
            cs = f"{100 * (c / opt - 1):6.2f}% {tc:5.1f}s"
        else:
            cs = f"{'n/a':>15}"
        worst[kind] = max(worst.get(kind, -1e9), 100 * (g / opt - 1))
        if kind == "TSP" and len(m) == 300 and ref == "proven":
            gaps300.append(100 * (g / opt - 1))
        print(f"{kind:<5} {name:<16} {len(m):>4} {opt:>9.0f} {ref:<10} | {100 * (g / opt - 1):6.2f}% {tg:5.1f}s | "
              f"{100 * (o / opt - 1):6.2f}% {to:5.1f}s | {cs}", flush=True)
    print(f"\nworst gridtool gap: TSP {worst.get('TSP', 0):.2f} % (target 0.5 % in 2 s), "
          f"CVRP {worst.get('CVRP', 0):.2f} % (target 1 % in 5 s)")
    if gaps300:
        print(f"300-city TSPs with proven optima: {len(gaps300)}, mean gap {np.mean(gaps300):.2f} %, "
              f"max {np.max(gaps300):.2f} %")
    print()


def patrol_parts(args, data: Path, sections: set) -> None:
    if "hotspots" in sections:
        print("\nHot-spot patrols (Nanjing Xuanwu streets, seeded synthetic incidents)")
        for row in hotspot_rows(data, args.quick):
            print(f"  {row[0]:<22} {row[3]}   ({row[-1]:.1f} s)", flush=True)
    if "limits" in sections:
        print("\nTime limits: plan_tours wall time against time_limit (contract: <= 1.1 x limit + 0.2 s)")
        print(f"  {'stops':>6} {'teams':>5} {'limit':>6} {'wall':>7} {'ratio':>6}  ok")
        for n, k, lim, wall, ratio, ok in time_limit_rows(sizes=(100, 500, 1000) if args.quick else
                                                          (100, 500, 1000, 2392)):
            print(f"  {n:>6} {k:>5} {lim:>5.1f}s {wall:>6.2f}s {ratio:>6.2f}  {'yes' if ok else 'NO'}", flush=True)


if __name__ == "__main__":
    main()
