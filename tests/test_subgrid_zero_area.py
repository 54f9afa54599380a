"""A sub-grid holding households always has an area (子网格不能没有面积).

Real case, the smallest there is: Andorra's grid 1-03 (Canillo), from ``gridtool import`` of
../shared/data/osm/andorra-2025-01.osm.pbf with all roles and ``--dem``, then ``gridtool
partition``; its 46 buildings, outline and barrier lines are in andorra_grid_1_03.json. The outline
carries 19 specks of holes (1e-10 to 2e-8 m², left between barrier-cut blocks), and GEOS clipped the
Voronoi cells of OSM buildings w1303720393 and w1303720394 (rows 4272, 4273) to a 7e-10 m² sliver
and a line where one speck meets their shared vertex: sub-grid 1-03-06 (22 households) had no area,
export said 子网格 1 个未画出, and the two buildings were drawn inside 1-03-02.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

import gridtool.partition.units as units_mod
from gridtool.partition.subgrid_draw import FLAT, subgrids_of

CASE = Path(__file__).with_name("andorra_grid_1_03.json")
BUILDINGS = {4272: "w1303720393", 4273: "w1303720394"}


@pytest.fixture(scope="module")
def case():
    d = json.loads(CASE.read_text(encoding="utf-8"))
    lines = shapely.from_wkt(d["barriers_wkt"])
    return dict(uniq=np.asarray(d["feature"], dtype=np.int64), fhh=np.asarray(d["hh"], dtype=np.int64),
                xy=np.asarray(d["xy"], dtype=float), container=shapely.from_wkt(d["container_wkt"]),
                barriers=shapely.STRtree(lines), affinity=np.asarray(d["barrier_affinity"], dtype=float),
                bounds=d["bounds"])


def _draw(case):
    (feature, _, _, hh), parts, status, groups, _, _ = subgrids_of(
        case["uniq"], case["fhh"], case["xy"], case["container"], case["barriers"], case["affinity"], **case["bounds"])
    drawn = [shapely.union_all(np.asarray(g, dtype=object)) for g in groups]
    return feature, hh, parts, status, drawn


def _check(case, feature, hh, parts, drawn):
    container = case["container"]
    for p, (units, shape) in enumerate(zip(parts, drawn)):
        assert int(hh[units].sum()) > 0
        assert shapely.area(shape) > 100, f"sub-grid {p} ({int(hh[units].sum())} households) drawn with no area"
    # Each building is drawn in its sub-grid; one divided between sub-grids (floors of an apartment
    # block) in one of them, the others sharing its cell.
    holders: dict[int, list[int]] = {}
    for p, units in enumerate(parts):
        for f in set(feature[units].tolist()):
            holders.setdefault(f, []).append(p)
    for f, ps in holders.items():
        at = shapely.points(case["xy"][np.flatnonzero(case["uniq"] == f)[0]])
        assert shapely.dwithin(np.asarray([drawn[p] for p in ps], dtype=object), at, 0.01).any(), \
            f"building {BUILDINGS.get(f, f)} drawn in none of its sub-grids {ps}"
    # Still a tiling of the grid: no land left out, no overlap.
    union = shapely.union_all(np.asarray(drawn, dtype=object))
    assert shapely.area(shapely.symmetric_difference(union, container)) < 1.0
    assert abs(sum(shapely.area(d) for d in drawn) - shapely.area(container)) < 1.0
    assert sum(int(hh[u].sum()) for u in parts) == int(case["fhh"].sum()) == 496


def test_the_two_andorra_buildings_get_their_own_land(case):
    feature, hh, parts, status, drawn = _draw(case)
    assert status == "ok"
    _check(case, feature, hh, parts, drawn)
    held = {f: p for p, u in enumerate(parts) for f in feature[u].tolist() if f in BUILDINGS}
    for f, p in held.items():
        assert shapely.area(drawn[p]) > 1000  # each building's cell is over 1,000 m² of the valley


def test_a_flat_sub_grid_is_drawn_again_not_written(case, monkeypatch):
    """The engine's guard, should a cell be lost some other way: with the re-clip of lost cells
    undone (the clip as it was), the sub-grid of the two buildings still comes out with land."""
    monkeypatch.setattr(units_mod, "_reclip_lost", lambda clipped, *a, **k: clipped)
    feature, hh, parts, status, drawn = _draw(case)
    assert status == "ok"
    _check(case, feature, hh, parts, drawn)
    flat = [p for p, d in enumerate(drawn) if shapely.area(d) < FLAT]
    assert flat == []
