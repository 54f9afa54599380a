"""The fast paths of the partition (issue 17) give exactly what the straightforward code gave.

Household units and their graph are built in one NumPy pass, outlines are dissolved row-wise in
batches, neighbour lists are made on demand and the cells GEOS drew untouched skip the touch test:
each is checked here against a plain reference written the obvious way (the code these replaced),
on random layouts with apartment blocks, co-located buildings and barriers. And a fit does not
depend on the process it runs in (hash seed, BLAS threads: what differs between the client and a
Dask worker), so sub-grid outlines are byte-identical whichever worker draws them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import shapely

from gridtool.partition import units as U
from gridtool.partition.shapes import dissolve, dissolve_many, expand_units
from gridtool.partition.solver import UnitGraph

ROOT = Path(__file__).resolve().parents[1]


# -- reference implementations (the loops the fast paths replaced) --------------------------------
def _reference_units(features, xy, hh, cells_of_site, site_of_feature, site_edges, max_unit, target_unit,
                     min_unit):
    feat, part, nparts, uhh = [], [], [], []
    for f, h in zip(features.tolist(), hh.tolist()):
        counts = U.split_counts(int(h), max_unit, target_unit, min_unit)
        for i, c in enumerate(counts):
            feat += [f]
            part += [i]
            nparts += [len(counts)]
            uhh += [c]
    pos = {f: i for i, f in enumerate(features.tolist())}
    site_of_unit = site_of_feature[[pos[f] for f in feat]]
    units_of_site = [[] for _ in range(len(cells_of_site))]
    for u, s in enumerate(site_of_unit.tolist()):
        units_of_site[s].append(u)
    ea, eb, ef = [], [], []
    for a, b, f in zip(*[x.tolist() for x in site_edges]):
        A, B = units_of_site[a], units_of_site[b]
        pairs = [(x, y) for x in A for y in B] if len(A) * len(B) <= 64 else \
            [(x, B[0]) for x in A] + [(A[0], y) for y in B[1:]]
        for x, y in pairs:
            ea.append(x)
            eb.append(y)
            ef.append(f)
    for us in units_of_site:
        pairs = [(us[i], us[j]) for i in range(len(us) - 1) for j in range(i + 1, len(us))] if len(us) <= 8 else \
            [(us[i], us[j]) for i in range(len(us)) for j in (i + 1, i + 2) if j < len(us)]
        for x, y in pairs:
            ea.append(x)
            eb.append(y)
            ef.append(U.PART_AFFINITY)
    return np.array(feat), np.array(part), np.array(nparts), np.array(uhh), np.array(ea), np.array(eb), np.array(ef)


def _layout(rng, n):
    xy = rng.uniform(0, 200, (n, 2))
    if n > 6:
        xy[1] = xy[0]  # two features at one spot share a cell
        xy[5] = xy[4]
    hh = rng.choice([1, 2, 3, 12, 30, 45, 90, 160, 400], size=n)  # apartment blocks included
    feats = np.sort(rng.choice(100_000, size=n, replace=False))
    return feats, xy, hh


@pytest.mark.parametrize("seed", range(12))
def test_household_units_match_the_unit_by_unit_construction(seed):
    rng = np.random.default_rng(seed)
    feats, xy, hh = _layout(rng, int(rng.integers(2, 80)))
    container = shapely.box(-10, -10, 210, 210)
    barriers = shapely.STRtree(np.array([shapely.LineString([(100, -20), (100, 220)])]))
    for umax, utarget, umin in ((40, 30, 20), (30, 20, 20), (10, 10, 10), (5, 5, 5)):
        cache: dict = {}
        fu = U.household_units(feats, xy, hh, container, max_unit=umax, target_unit=utarget, min_unit=umin,
                               barriers=barriers, barrier_affinity=np.array([0.2]), cache=cache)
        ref = _reference_units(feats, xy, hh, cache["cells"], cache["site_of_feature"], cache["site_edges"],
                               umax, utarget, umin)
        for got, want in zip((fu.feature, fu.part, fu.nparts, fu.hh, fu.edges_a, fu.edges_b, fu.affinity), ref):
            assert np.array_equal(got, want)
        assert int(fu.hh.sum()) == int(hh.sum())  # one total: parts add up to the building


def test_split_counts_array_is_split_counts():
    for h in range(0, 700):
        for args in ((40, 30, 20), (20, 20, 20), (10, 10, 10), (5, 5, 5), (40, 30, 0), (7, 3, 2)):
            n, counts = U.split_counts_array(np.array([h]), *args)
            assert counts.tolist() == U.split_counts(h, *args) and n[0] == len(counts)


@pytest.mark.parametrize("seed", range(6))
def test_untouched_voronoi_cells_need_no_touch_test(seed):
    rng = np.random.default_rng(100 + seed)
    sites = np.unique(np.round(rng.uniform(0, 300, (int(rng.integers(3, 400)), 2)), 3), axis=0)
    # An L-shaped container: cells are clipped, some cut in pieces and re-attached.
    container = shapely.difference(shapely.box(-5, -5, 305, 305), shapely.box(150, 150, 320, 320))
    cells, plain = U._voronoi(sites, container, with_plain=True)
    assert plain.any() and not plain.all()
    fast = U._site_edges(sites, None, np.zeros(0), cells=cells, plain=plain)
    slow = U._site_edges(sites, None, np.zeros(0), cells=cells)
    for a, b in zip(fast, slow):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("seed", range(6))
def test_footpaths_change_no_edge_and_are_not_needed(seed):
    """Edges crossing a barrier take its affinity (a road: sub-grid borders follow it); a footpath
    (affinity 1) changes nothing, so _site_edges skips it and the workers are not sent it: the
    same edges as testing every line, and as with the footpaths left out."""
    rng = np.random.default_rng(200 + seed)
    sites = np.unique(np.round(rng.uniform(0, 300, (int(rng.integers(20, 300)), 2)), 3), axis=0)
    ends = rng.uniform(-20, 320, (40, 2, 2))
    lines = shapely.linestrings(ends)
    aff = rng.choice([0.0, 0.3, 0.6, 0.9, 1.0, 1.0], size=len(lines))
    shapely.prepare(lines)
    got = U._site_edges(sites, shapely.STRtree(lines), aff)
    # Reference: every edge against every line, the lowest affinity of the lines it crosses.
    plain = U._site_edges(sites, None, np.zeros(0))
    segs = shapely.linestrings(np.stack([sites[plain[0]], sites[plain[1]]], axis=1))
    hit = shapely.intersects(segs[:, None], lines[None, :])
    factor = np.where(hit, aff[None, :], 1.0).min(axis=1)
    assert (factor < 1).any() and (hit & (aff[None, :] == 1.0)).any()  # roads and footpaths crossed
    assert np.array_equal(got[0], plain[0]) and np.array_equal(got[1], plain[1])
    assert np.array_equal(got[2], plain[2] * factor)
    roads = aff < 1.0
    without = U._site_edges(sites, shapely.STRtree(lines[roads]), aff[roads])
    for a, b in zip(got, without):
        assert np.array_equal(a, b)


def test_dissolve_many_is_dissolve_row_by_row():
    rng = np.random.default_rng(3)
    pts = rng.uniform(0, 100, (300, 2))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=shapely.box(0, 0, 100, 100)))
    cells = shapely.intersection(cells, shapely.box(0, 0, 100, 100))
    groups = [list(cells[i:i + k]) for i, k in zip(range(0, 290, 10), rng.integers(1, 10, 29))]
    shared = cells[5]
    groups.append([shared, shared, cells[6]])  # parts of one building share a cell: drawn once
    overlap = [shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)]  # not a coverage: the general union
    groups.append(overlap)
    got = dissolve_many(groups)
    want = [dissolve(g) for g in groups]
    assert list(shapely.to_wkb(got)) == list(shapely.to_wkb(np.array(want, dtype=object)))
    assert shapely.area(got[-1]) == pytest.approx(7.0)


def test_neighbour_lists_and_components_follow_edge_order():
    rng = np.random.default_rng(7)
    n = 60
    ea, eb = rng.integers(0, n, 90), rng.integers(0, n, 90)
    aff = rng.uniform(0, 5, 90)
    g = UnitGraph(np.ones(n), rng.uniform(size=(n, 2)), np.ones(n), ea, eb, aff)
    ref: list[list] = [[] for _ in range(n)]
    for a, b, f in zip(ea.tolist(), eb.tolist(), aff.tolist()):
        if a != b:
            ref[a].append((b, f))
            ref[b].append((a, f))
    assert [list(g.nbrs[u]) for u in range(n)] == ref
    nodes = sorted(rng.choice(n, 40, replace=False).tolist())
    seen, comps = set(), []
    for s in nodes:  # breadth-first reference over the induced subgraph
        if s in seen:
            continue
        comp, todo = [s], [s]
        seen.add(s)
        while todo:
            u = todo.pop()
            for v, _ in ref[u]:
                if v in nodes and v not in seen:
                    seen.add(v)
                    comp.append(v)
                    todo.append(v)
        comps.append(sorted(comp))
    assert g.components(nodes) == comps


def test_expand_units_lists_every_feature_of_every_grid():
    class G:
        def __init__(self, units):
            self.units = units
    fob = {0: np.array([0, 1, 2]), 1: np.array([3]), 2: np.array([], dtype=np.int64), 3: np.array([4, 5])}
    hh = np.array([3, 1, 4, 1, 5, 9, 60])
    grids = [G([(0, -1, 0, 1, 8, None), (2, -1, 0, 1, 0, None), (4, 6, 0, 2, 30, None)]),
             G([(1, -1, 0, 1, 1, None), (4, 6, 1, 2, 30, None), (3, -1, 0, 1, 14, None)]), G([])]
    cols, total = expand_units(grids, fob, hh)
    rows = list(zip(*(cols[k].tolist() for k in ("feature", "part", "nparts", "hh", "grid_index"))))
    assert rows == [(0, 0, 1, 3, 0), (1, 0, 1, 1, 0), (2, 0, 1, 4, 0), (6, 0, 2, 30, 0),
                    (3, 0, 1, 1, 1), (6, 1, 2, 30, 1), (4, 0, 1, 5, 1), (5, 0, 1, 9, 1)]
    assert total.tolist() == [38, 45, 0]


# -- the same plan in any process ---------------------------------------------------------------
_FIT = textwrap.dedent("""
    import hashlib, json, sys
    sys.path.insert(0, {tests!r})
    import shapely
    from partition_data import make_villages
    from gridtool.partition.batch import BatchPartitioner
    lay = make_villages(n_villages=3, households=900, seed=11)
    lay["villages"]["code"] = ["500101001001", "500101002001", "500101003001"]  # three townships
    bp = BatchPartitioner(workers=1).fit(lay)
    h = lambda g: hashlib.sha1(b"".join(shapely.to_wkb(g.geometry.values, byte_order=0))).hexdigest()
    print(json.dumps({{"chunks": bp.report_["batch"]["chunks"], "grids": h(bp.grids_), "subgrids": h(bp.subgrids_),
                      "codes": bp.subgrids_["code"].tolist()}}))
""")


def test_sub_grids_do_not_depend_on_the_process():
    """Dask workers run with PYTHONHASHSEED=6640 and one BLAS thread, the client with neither:
    the same chunks must give byte-identical grids and sub-grids in both."""
    code = _FIT.format(tests=str(Path(__file__).parent))
    outs = []
    for env in ({"PYTHONHASHSEED": "1"}, {"PYTHONHASHSEED": "6640", "OMP_NUM_THREADS": "1",
                                           "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}):
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                           env={**os.environ, **env}, timeout=600)
        assert p.returncode == 0, p.stderr[-2000:]
        outs.append(json.loads(p.stdout.strip().splitlines()[-1]))
    assert outs[0]["chunks"] == 3 and len(outs[0]["codes"]) > 30
    assert outs[0] == outs[1]


@pytest.mark.parametrize("seed", [0, 1])
def test_lines_along_is_the_plain_tree_query(seed):
    """Blocks: the lines running along each noded segment, found on pieces of the long lines, are
    the pairs (and the order) of the plain tree query plus ``dwithin`` they replaced."""
    from gridtool.partition.blocks import _lines_along
    rng = np.random.default_rng(seed)
    # Long wiggly lines (village outlines, rivers) with 5–200 vertices, a ring, a multi-line and
    # copies of some lines (a road drawn twice, a river along a village edge: ties to order).
    lines = [shapely.linestrings(np.cumsum(rng.normal(0, 20, (int(rng.integers(5, 200)), 2)), axis=0))
             for _ in range(60)]
    lines.append(shapely.buffer(shapely.points(0, 0), 80).exterior)
    lines.append(shapely.multilinestrings([lines[0], lines[1]]))
    lines += [lines[i] for i in range(0, 60, 7)]
    src = np.asarray(lines, dtype=object)
    # Points on the lines (vertices and mid-segment), near them and away from them.
    xy = shapely.get_coordinates(src)
    on = shapely.line_interpolate_point(src, rng.uniform(0, 1, len(src)), normalized=True)
    pts = np.concatenate([shapely.points(xy[::3]), on, shapely.points(xy[1::5] + rng.normal(0, 0.006, (len(xy[1::5]), 2))),
                          shapely.points(rng.uniform(-300, 300, (300, 2)))])
    tree = shapely.STRtree(src)
    mc = shapely.get_coordinates(pts)
    qi, qs = tree.query(shapely.box(mc[:, 0] - 0.01, mc[:, 1] - 0.01, mc[:, 0] + 0.01, mc[:, 1] + 0.01))
    near = shapely.dwithin(src[qs], pts[qi], 0.01)
    for piece in (2, 8):
        got_i, got_s = _lines_along(src, pts, piece=piece)
        assert len(got_i) > len(pts) // 2
        np.testing.assert_array_equal(got_i, qi[near])
        np.testing.assert_array_equal(got_s, qs[near])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lines_reaching_are_the_lines_the_tree_query_finds(seed):
    """The lines that reach a village (kept for the blocks and the crossing faces), found by their
    first vertex and only then whole, are those the plain query of every line against the villages
    finds: lines inside, crossing a village without a vertex in it, starting on its edge, starting
    in a hole, outside every village, multi-part, empty and missing."""
    from gridtool.partition.geomcheck import lines_reaching
    rng = np.random.default_rng(seed)
    frames = [shapely.box(x, y, x + 100, y + 100) for x in (0, 100, 250) for y in (0, 100)]
    frames[0] = shapely.Polygon([(0, 0), (100, 0), (100, 100), (0, 100)], [[(30, 30), (70, 30), (70, 70), (30, 70)]])
    frames = np.asarray(frames, dtype=object)
    lines = [shapely.linestrings(np.cumsum(rng.normal(0, 30, (int(rng.integers(2, 12)), 2)), axis=0)
                                 + rng.uniform(-50, 400, 2)) for _ in range(400)]
    lines += [shapely.linestrings([(-10, 50), (110, 50)]),        # across, no vertex inside
              shapely.linestrings([(200, 0), (240, -50)]),        # starts on an edge, then outside
              shapely.linestrings([(40, 40), (60, 60)]),          # inside the hole only
              shapely.linestrings([(40, 40), (60, 90)]),          # from the hole into the village
              shapely.linestrings([(600, 600), (700, 700)]),      # far away
              shapely.multilinestrings([[(600, 0), (650, 0)], [(10, 10), (20, 20)]]),
              shapely.from_wkt("LINESTRING EMPTY"), None]
    lines = np.asarray(lines, dtype=object)
    ok = ~shapely.is_missing(lines)
    expect = np.zeros(len(lines), dtype=bool)
    expect[np.flatnonzero(ok)[np.unique(shapely.STRtree(lines[ok]).query(frames, predicate="intersects")[1])]] = True
    got = lines_reaching(lines, shapely.from_wkb(shapely.to_wkb(frames)))
    assert 50 < expect.sum() < len(lines) - 50
    np.testing.assert_array_equal(got, expect)
    assert got[-8] and got[-7] and not got[-6] and got[-5] and not got[-4] and got[-3] and not got[-2] and not got[-1]


def _reference_contract_pockets(us, pocket_of, lo):
    """contract_pockets as first written: loops over the units."""
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
    for u in range(n):
        if node[u] >= 0:
            continue
        grp = members[int(lab[u])] if lab[u] in small else [u]
        node[grp] = len(groups)
        groups.append(grp)
    w = np.array([int(g.w[grp].sum()) for grp in groups], dtype=np.int64)
    area = np.array([float(g.area[grp].sum()) for grp in groups])
    xy = np.array([(g.xy[grp] * g.area[grp, None]).sum(axis=0) / max(float(g.area[grp].sum()), 1e-9)
                   for grp in groups]).reshape(-1, 2)
    ea, eb, ef = g._edges
    na, nb = node[ea], node[eb]
    keep = na != nb
    return UnitGraph(w, xy, area, na[keep], nb[keep], ef[keep]), groups


@pytest.mark.parametrize("seed", range(4))
def test_contract_pockets_is_the_unit_by_unit_contraction(seed):
    """Small pockets (enclosed by hard lines) become one node each, the same nodes, weights,
    centres (bit for bit) and edges as the loops gave, whatever the pockets' sizes."""
    from types import SimpleNamespace

    from gridtool.partition.regions import contract_pockets
    rng = np.random.default_rng(40 + seed)
    n = int(rng.integers(30, 300))
    block = rng.integers(0, max(n // 3, 2), n)  # several units per block, as in a refined region
    g = UnitGraph(rng.integers(0, 40, n), rng.uniform(0, 900, (n, 2)), rng.uniform(0, 400, n),
                  rng.integers(0, n, 2 * n), rng.integers(0, n, 2 * n), rng.uniform(0, 9, 2 * n))
    us = SimpleNamespace(block=block, graph=g)
    contracted = 0
    for lo in (0, 60, 300, 10_000):
        pocket_of = {int(b): int(rng.integers(0, 8)) for b in np.unique(block) if rng.random() < 0.6}
        want = _reference_contract_pockets(us, pocket_of, lo)
        got = contract_pockets(us, pocket_of, lo)
        assert (got is None) == (want is None)
        if want is None:
            continue
        contracted += 1
        assert got[1] == want[1]
        for a, b in zip((got[0].w, got[0].xy, got[0].area, *got[0]._edges),
                        (want[0].w, want[0].xy, want[0].area, *want[0]._edges)):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert contracted >= 2  # the large bounds leave pockets to merge


def test_distinct_sites_are_numpys_unique_rows():
    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(0, 80))
        # Co-located buildings (many repeats), shared x or y, negative coordinates.
        xy = np.round(rng.integers(-4, 5, (n, 2)) * rng.choice([1.0, 0.25, 1234.5678]), 3)
        want, inv = np.unique(xy, axis=0, return_inverse=True)
        got, ginv = U._distinct_rows(xy)
        assert np.array_equal(got, want) and np.array_equal(ginv, np.asarray(inv).reshape(-1))


@pytest.mark.parametrize("seed", range(3))
def test_cut_search_on_any_list_of_nodes(seed, monkeypatch):
    """The compiled search takes the nodes as a sorted array whatever it is given (a range, an
    unsorted list): the same grids as the Python reference on the same nodes."""
    from scipy.spatial import Delaunay

    from gridtool.partition import solver
    rng = np.random.default_rng(60 + seed)
    xy = rng.uniform(0, 1000, (250, 2))
    sm = Delaunay(xy).simplices
    pairs = np.unique(np.sort(np.concatenate([sm[:, [0, 1]], sm[:, [1, 2]], sm[:, [0, 2]]]), axis=1), axis=0)
    g = UnitGraph(rng.integers(1, 5, 250), xy, rng.uniform(50, 500, 250), pairs[:, 0], pairs[:, 1],
                  rng.uniform(0.1, 50, len(pairs)).round(1))
    nodes = rng.permutation(250).tolist()
    H = int(g.w.sum())
    k = next(k for k in range(H // 40, H // 20 + 2) if k and 20 * k <= H <= 40 * k)
    monkeypatch.setattr(solver, "USE_KERNELS", True)
    fast = solver.partition(g, nodes, k, 20, 40)
    monkeypatch.setattr(solver, "USE_KERNELS", False)
    assert fast is not None and fast == solver.partition(g, nodes, k, 20, 40)
    assert all(isinstance(u, int) for p in fast for u in p)


def _reference_subgrid_parts(uniq, fhh, xy, container, *, sub_min=20, sub_max=40, sub_target=30):
    """Every step of the refinement ladder searched, as before the repeated steps were skipped."""
    from gridtool.partition.feasibility import feasible_grid_counts
    from gridtool.partition.solver import partition
    from gridtool.partition.subgrid_draw import sites_inside
    H = int(fhh.sum())
    ks = sorted(feasible_grid_counts(H, sub_min, sub_max), key=lambda k: (abs(H / k - sub_target), k))
    ladder = ((sub_max, sub_target), (sub_target, sub_min), (sub_min // 2, sub_min // 2), (sub_min // 4, sub_min // 4))
    cache: dict = {}
    sites = sites_inside(xy, container)
    parts, searched = None, 0
    for step, (umax, utarget) in enumerate(ladder):
        fu = U.household_units(uniq, sites, fhh, container, max_unit=umax, target_unit=utarget,
                               min_unit=min(sub_min, utarget), cache=cache)
        G = UnitGraph(fu.hh, fu.xy, fu.area, fu.edges_a, fu.edges_b, fu.affinity)
        last = step == len(ladder) - 1
        searched += 1
        for k in ks[:3] if last else ks[:1]:
            parts = partition(G, range(len(fu.hh)), k, sub_min, sub_max, budget=40 if last else 8)
            if parts is not None:
                break
        if parts is not None or not ks:
            break
    return fu, parts, searched


@pytest.mark.parametrize("seed", range(10))
def test_subgrids_skip_only_ladder_steps_that_change_no_unit(seed, monkeypatch):
    """A refinement step cutting no building finer than the step before searches the same units
    in the same way: skipping it leaves the sub-grids exactly as searching every step did."""
    from gridtool.partition import subgrid_draw as D
    rng = np.random.default_rng(300 + seed)
    n = int(rng.integers(30, 160))
    # Small houses (every step the same units) on odd seeds, a few apartment blocks on even ones;
    # a narrow strip makes the coarse searches fail now and then.
    hh = rng.choice([1, 2, 3, 4] if seed % 2 else [1, 2, 3, 12, 25, 60], size=n)
    xy = np.column_stack([rng.uniform(0, 600, n), rng.uniform(0, 40 + 60 * (seed % 3), n)])
    container = shapely.box(-5, -5, 605, 45 + 60 * (seed % 3))
    uniq = np.arange(n, dtype=np.int64)
    fu, ref_parts, searched = _reference_subgrid_parts(uniq, hh.astype(np.int64), xy, container)
    calls = []
    real = D.household_units
    monkeypatch.setattr(D, "household_units", lambda *a, **k: calls.append(1) or real(*a, **k))
    (feature, part, nparts, uhh), parts, status, groups, _, _ = D.subgrids_of(
        uniq, hh.astype(np.int64), xy, container, None, np.zeros(0), sub_min=20, sub_max=40, sub_target=30)
    assert len(calls) <= searched
    assert np.array_equal(feature, fu.feature) and np.array_equal(uhh, fu.hh)
    if ref_parts is not None:
        assert status == "ok"
        assert [p.tolist() for p in parts] == [sorted(p) for p in ref_parts]
    else:
        assert status == "exception"
    assert int(uhh.sum()) == int(hh.sum())


def test_a_step_cutting_no_house_finer_is_not_searched_again(monkeypatch):
    """Twelve houses of 19 households (228): about 30 a sub-grid means 8 sub-grids, which whole
    houses (two make 38, three 57) cannot give. The entrance step (units up to 30) cuts no house,
    so it is not searched again; the floor step (up to 10) cuts each in two and finds the plan
    the full ladder finds."""
    from gridtool.partition import subgrid_draw as D
    rng = np.random.default_rng(11)
    n = 12
    hh = np.full(n, 19, dtype=np.int64)
    xy = np.column_stack([np.arange(n) * 50.0 + rng.uniform(0, 5, n), rng.uniform(0, 20, n)])
    container = shapely.box(-25, -10, n * 50.0, 30)
    fu, ref_parts, searched = _reference_subgrid_parts(np.arange(n), hh, xy, container)
    calls = []
    real = D.household_units
    monkeypatch.setattr(D, "household_units", lambda *a, **k: calls.append(k["max_unit"]) or real(*a, **k))
    (feature, part, nparts, uhh), parts, status, groups, _, _ = D.subgrids_of(
        np.arange(n), hh, xy, container, None, np.zeros(0), sub_min=20, sub_max=40, sub_target=30)
    assert searched == 3 and calls == [40, 10]
    assert status == "ok" and len(parts) == 8
    assert [p.tolist() for p in parts] == [sorted(p) for p in ref_parts]
    assert np.array_equal(feature, fu.feature) and np.array_equal(uhh, fu.hh) and int(uhh.sum()) == 228
    # The sub-grids tile the grid: no gap, no overlap.
    outlines = [shapely.union_all(g) for g in groups]
    assert sum(shapely.area(o) for o in outlines) == pytest.approx(shapely.area(container))
