"""Sub-grids tile their grid (子网格铺满网格): every point of a grid lies in exactly one of its
sub-grids, as a planner reads the wall map's 微网格. Before, the blank parts of a grid (no household,
or a part of the grid holding none) were in no sub-grid (Liechtenstein sample 14.7 % of the grid
area, Nanjing 2.7 %), and every sub-grid holding floors of an apartment block drew the whole block's
cell (Nanjing: sub-grids overlapping by 2.5 times the grid area). Only outlines change: the
households, codes and parts are the solver's (``benchmarks/partition_identity.py compare``).
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gridtool.partition import GridPartitioner
from gridtool.partition.subgrid_draw import subgrids_of
from gridtool.partition.subgrid_tiles import strips, tile_parts


@pytest.fixture(scope="module", params=["liechtenstein", "nanjing-xuanwu"])
def fitted(request):
    from gridtool.project import Project
    from gridtool.samples import sample_sources
    p = Project.from_sources(sample_sources(request.param))
    layers = {role: lyr.gdf.reset_index(drop=True) for role, lyr in p.layers.items()}
    return GridPartitioner(min_hh=300, max_hh=500, target=400, processes=1).fit(layers)


def test_every_grid_is_cut_into_its_sub_grids(fitted):
    grids, subs = fitted.grids_, fitted.subgrids_
    by_grid = subs.groupby("grid").indices
    geoms = np.asarray(subs.geometry.values, dtype=object)
    assert shapely.is_valid(geoms).all()
    checked = 0
    for code, g, hh in zip(grids["code"], grids.geometry.values, grids["hh"]):
        idx = by_grid.get(code)
        if idx is None:
            continue
        s = geoms[idx]
        union = shapely.union_all(s)
        area = shapely.area(g)
        assert shapely.area(shapely.difference(g, union)) < 1e-3 * area, f"{code}: land in no sub-grid"
        assert shapely.area(shapely.difference(union, g)) < 1e-3 * area, f"{code}: sub-grid outside its grid"
        a, b = shapely.STRtree(s).query(s, predicate="intersects")
        pair = a < b
        overlap = shapely.area(shapely.intersection(s[a[pair]], s[b[pair]]))
        assert (overlap <= 1.0).all(), f"{code}: sub-grids overlap by {overlap.max():.1f} m²"
        # The households are the solver's: the sub-grids of a grid hold its households, once.
        assert int(subs["hh"].to_numpy()[idx].sum()) == int(hh)
        checked += 1
    assert checked == (grids["n_subgrids"] > 0).sum() > 50


def test_a_building_of_one_sub_grid_lies_inside_it(fitted):
    """On the wall map a house (not divided between sub-grids) is drawn inside its sub-grid."""
    hh = fitted.households_
    one = hh[(hh["subgrid_parts"] == "") & hh["subgrid"].notna()]
    subs = fitted.subgrids_.set_index("code").geometry
    inside = shapely.intersects(np.asarray(subs.loc[one["subgrid"]].values, dtype=object),
                                np.asarray(one.geometry.values, dtype=object))
    assert inside.mean() > 0.99, f"{int((~inside).sum())} of {len(one)} houses outside their sub-grid"


def _grid_with_an_empty_part():
    """A grid of two fields 50 m apart: 60 houses of one household on the first, none on the second,
    and one apartment block of 40 households in the middle of the first."""
    rng = np.random.default_rng(3)
    xy = np.column_stack([rng.uniform(5, 195, 60), rng.uniform(5, 95, 60)])
    xy = np.vstack([xy, [[100.0, 50.0]]])
    fhh = np.r_[np.ones(60, dtype=np.int64), 40]
    container = shapely.union_all([shapely.box(0, 0, 200, 100), shapely.box(250, 0, 350, 100)])
    return np.arange(61), fhh, xy, container


def test_an_empty_part_and_a_divided_block_are_given_once():
    uniq, fhh, xy, container = _grid_with_an_empty_part()
    units, parts, status, groups, _, cores = subgrids_of(uniq, fhh, xy, container, None, np.zeros(0),
                                                          sub_min=20, sub_max=40, sub_target=30)
    feature, _, nparts, uhh = units
    assert status == "ok" and len(parts) >= 3
    # The block is divided between sub-grids (its floors), drawn by one of them.
    holders = {p for p, part in enumerate(parts) if (feature[part] == 60).any()}
    assert len(holders) > 1 and (nparts[feature == 60] > 1).all()
    outlines = [shapely.union_all(list(g)) for g in groups]
    total = shapely.union_all(outlines)
    assert abs(shapely.area(total) - shapely.area(container)) < 1e-6 * shapely.area(container)
    assert sum(shapely.area(o) for o in outlines) == pytest.approx(shapely.area(container), rel=1e-9)
    # The empty field belongs to the sub-grid nearest it (the one reaching the east edge).
    field = shapely.box(250, 0, 350, 100)
    owner = [p for p, o in enumerate(outlines) if shapely.area(shapely.intersection(o, field)) > 0]
    assert len(owner) == 1
    east = max(range(len(parts)), key=lambda p: shapely.bounds(shapely.union_all(list(cores[p] if cores[p] is not None
                                                                                     else groups[p])))[2])
    assert owner == [east]
    # Sub-grids drawn from more than their own cells say which cells they were numbered on.
    assert cores[owner[0]] is not None


def test_a_grid_of_one_apartment_block_is_cut_into_strips_by_households():
    block = shapely.box(0, 0, 90, 30)
    cell = shapely.Polygon([(0, 0), (90, 0), (90, 30), (0, 30)])
    geom = np.array([cell] * 3, dtype=object)  # three floors' parts share the block's cell
    groups, cores = tile_parts(block, geom, np.array([20, 40, 30]), [np.array([0]), np.array([1]), np.array([2])])
    areas = [shapely.area(shapely.union_all(list(g))) for g in groups]
    assert areas == pytest.approx([600, 1200, 900], rel=1e-6)
    assert shapely.area(shapely.union_all([shapely.union_all(list(g)) for g in groups])) == pytest.approx(2700)
    assert all(c is not None for c in cores)


def test_strips_share_their_cuts_exactly():
    poly = shapely.buffer(shapely.Point(0, 0), 50)
    out = strips(poly, [1, 2, 3, 4])
    assert [round(shapely.area(o) / shapely.area(poly), 4) for o in out] == [0.1, 0.2, 0.3, 0.4]
    assert shapely.area(shapely.union_all(out)) == pytest.approx(shapely.area(poly), rel=1e-12)
    for a, b in zip(out, out[1:]):
        assert shapely.area(shapely.intersection(a, b)) < 1e-9


def _outlines(groups):
    return [shapely.union_all(list(g)) for g in groups]


def _pieces(outline) -> int:
    return len(shapely.get_parts(outline))


def test_a_sub_grid_with_floors_in_two_blocks_is_drawn_in_one_place():
    """A sub-grid drawing no building of its own (floors of two blocks, each drawn by the sub-grid
    holding most of it) was given a strip of both blocks: drawn in two places on the wall map."""
    west, mid, east = shapely.box(0, 0, 30, 30), shapely.box(30, 0, 60, 30), shapely.box(60, 0, 90, 30)
    geom = np.array([west, east, west, east, mid], dtype=object)
    hh = np.array([40, 40, 10, 15, 20])
    parts = [np.array([0, 4]), np.array([1]), np.array([2, 3])]
    groups, cores = tile_parts(shapely.box(0, 0, 90, 30), geom, hh, parts)
    outlines = _outlines(groups)
    assert [_pieces(o) for o in outlines] == [1, 1, 1]
    # Its strip is of the block holding most of its households, in proportion to them.
    assert shapely.area(shapely.intersection(outlines[2], east)) == pytest.approx(900 * 15 / 55, rel=1e-6)
    assert shapely.area(shapely.intersection(outlines[2], west)) < 1e-6
    assert sum(shapely.area(o) for o in outlines) == pytest.approx(2700, rel=1e-9)
    assert shapely.area(shapely.union_all(outlines)) == pytest.approx(2700, rel=1e-9)


def test_a_strip_across_a_bent_block_is_one_piece():
    """A band across a U-shaped block falls into its two legs: one leg is the strip, the other goes
    to the sub-grid it shares an edge with, so that neither is drawn in two places."""
    cell = shapely.difference(shapely.box(0, 0, 30, 60), shapely.box(10, 10, 20, 60))
    geom = np.array([cell, cell], dtype=object)
    groups, _ = tile_parts(cell, geom, np.array([30, 30]), [np.array([0]), np.array([1])])
    outlines = _outlines(groups)
    assert [_pieces(o) for o in outlines] == [1, 1]
    assert sum(shapely.area(o) for o in outlines) == pytest.approx(shapely.area(cell), rel=1e-9)
    assert shapely.area(shapely.union_all(outlines)) == pytest.approx(shapely.area(cell), rel=1e-9)


def test_land_meeting_a_sub_grid_only_at_a_corner_goes_where_it_shares_an_edge():
    """Two pieces of cells a bend of the grid cut off (left out by the Voronoi cells): X meets
    sub-grid A only at a corner, Y shares an edge with X and with sub-grid B. Given by the longest
    border, corners included, X went to A: A drawn as two pieces joined at a point. Both go to B,
    which they share edges with."""
    a, b = shapely.box(0, 0, 10, 10), shapely.box(10, -10, 20, 10)
    x, y = shapely.box(-10, -10, 0, 0), shapely.box(-10, -20, 20, -10)
    container = shapely.union_all([a, b, x, y])
    assert shapely.touches(x, a) and shapely.area(shapely.intersection(x.boundary, a.boundary)) == 0
    groups, cores = tile_parts(container, np.array([a, b], dtype=object), np.array([30, 30]),
                               [np.array([0]), np.array([1])], holes=[x, y])
    outlines = _outlines(groups)
    assert [_pieces(o) for o in outlines] == [1, 1]
    assert shapely.equals(outlines[0], a)
    assert shapely.area(outlines[1]) == pytest.approx(shapely.area(b) + shapely.area(x) + shapely.area(y))
    assert cores[0] is None and cores[1] is not None


def test_a_block_linking_another_holders_houses_is_drawn_by_that_holder():
    """A block divided between sub-grids O (30 households) and Q (20) is Q's only link between its
    two houses. Drawn by O, the one holding most of it, Q stood in two pieces on the wall map while
    O, its row above, is one piece without the block: Q draws it."""
    q_west, block, q_east = shapely.box(0, 0, 30, 30), shapely.box(30, 0, 60, 30), shapely.box(60, 0, 90, 30)
    o_row = shapely.box(0, 30, 90, 60)
    geom = np.array([q_west, q_east, block, block, o_row], dtype=object)
    hh = np.array([10, 10, 20, 30, 40])
    parts = [np.array([3, 4]), np.array([0, 1, 2])]  # O, Q
    groups, cores = tile_parts(shapely.box(0, 0, 90, 60), geom, hh, parts)
    outlines = _outlines(groups)
    assert [_pieces(o) for o in outlines] == [1, 1]
    assert shapely.equals(outlines[0], o_row)
    assert shapely.equals(outlines[1], shapely.box(0, 0, 90, 30))
    assert sum(shapely.area(o) for o in outlines) == pytest.approx(90 * 60, rel=1e-9)
    # O is numbered on the cells it held before (the block among them), as before.
    assert cores[0] is not None and any(c is block for c in cores[0])


def test_a_block_its_majority_holder_needs_stays_with_it():
    """The same block, but O's two houses lie either side of it too: without the block O would be in
    two pieces, so the rule stands and O, holding most of it, draws it."""
    w, block, e = shapely.box(0, 0, 30, 30), shapely.box(30, 0, 60, 30), shapely.box(60, 0, 90, 30)
    wt, et = shapely.box(0, 30, 30, 60), shapely.box(60, 30, 90, 60)
    mid_top = shapely.box(30, 30, 60, 60)
    geom = np.array([w, e, block, block, wt, et, mid_top], dtype=object)
    hh = np.array([10, 10, 20, 30, 10, 10, 10])
    # Q: the bottom corners and part of the block; O: the top corners, the middle above the block
    # is Q's too, so O's top corners are joined only through the block.
    parts = [np.array([3, 4, 5]), np.array([0, 1, 2, 6])]
    groups, _ = tile_parts(shapely.box(0, 0, 90, 60), geom, hh, parts)
    outlines = _outlines(groups)
    assert shapely.area(shapely.intersection(outlines[0], block)) == pytest.approx(900)
    assert sum(shapely.area(o) for o in outlines) == pytest.approx(90 * 60, rel=1e-9)


def test_sample_grid_linked_by_a_divided_block_has_its_sub_grids_whole(fitted):
    """Liechtenstein grid 990100001002-01: a 4,420 m² block divided between two of its sub-grids
    was drawn by the one holding most of it and left the other in two pieces."""
    grids = fitted.grids_
    if "990100001002-01" not in set(grids["code"].astype(str)):
        pytest.skip("the Liechtenstein sample's grid")
    subs = fitted.subgrids_[fitted.subgrids_["grid"].astype(str) == "990100001002-01"]
    geoms = np.asarray(subs.geometry.values, dtype=object)
    assert len(geoms) > 1
    assert [_pieces(g) for g in geoms] == [1] * len(geoms)
    grid = grids.loc[grids["code"].astype(str) == "990100001002-01"].geometry.values[0]
    assert shapely.area(shapely.union_all(geoms)) == pytest.approx(shapely.area(grid), rel=1e-6)
    assert shapely.area(geoms).sum() == pytest.approx(shapely.area(grid), rel=1e-6)
