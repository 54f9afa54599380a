"""benchmarks/partition_identity.py compares the corridors (专项网格) of two runs too: a change to the
corridors stage that drops or renames a corridor is a different plan, one that moves its outline
is reported (WKB and area), and the same corridors compare as the same."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import shapely

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
from partition_identity import compare_snapshots, snapshot  # noqa: E402

CRS = "EPSG:4547"


def _plan(corridors: dict[str, float]):
    """One grid of 2 households with 2 sub-grids, and a corridor per code: a 10 m wide band of the
    given length."""
    grids = gpd.GeoDataFrame({"code": ["G1"], "village": ["甲村"], "hh": [2], "status": ["ok"], "note": [""]},
                             geometry=[shapely.box(0, 0, 100, 100)], crs=CRS)
    subgrids = gpd.GeoDataFrame({"code": ["G1-1", "G1-2"], "hh": [1, 1]},
                                geometry=[shapely.box(0, 0, 50, 100), shapely.box(50, 0, 100, 100)], crs=CRS)
    households = gpd.GeoDataFrame({"grid": ["G1", "G1"], "grid_parts": ["", ""], "subgrid": ["G1-1", "G1-2"]},
                                  geometry=[shapely.Point(10, 10), shapely.Point(60, 10)], crs=CRS)
    cor = gpd.GeoDataFrame({"code": list(corridors)},
                           geometry=[shapely.box(0, 0, length, 10) for length in corridors.values()], crs=CRS)
    return grids, subgrids, households, cor


def test_same_corridors_same_plan():
    ok, lines = compare_snapshots(snapshot(*_plan({"V1-ZX-河流": 100.0})), snapshot(*_plan({"V1-ZX-河流": 100.0})))
    assert ok
    assert "corridors: 1 before, 1 after; codes identical: True; outlines differing (WKB): 0" in lines[-1]


def test_a_lost_corridor_is_a_different_plan():
    ok, lines = compare_snapshots(snapshot(*_plan({"V1-ZX-河流": 100.0, "V1-ZX-田林": 80.0})),
                                  snapshot(*_plan({"V1-ZX-河流": 100.0})))
    assert not ok
    assert lines[-1].startswith("corridors: 2 before, 1 after; codes identical: False")


def test_a_moved_corridor_outline_is_reported():
    ok, lines = compare_snapshots(snapshot(*_plan({"V1-ZX-河流": 100.0})), snapshot(*_plan({"V1-ZX-河流": 90.0})))
    assert ok  # the grids are the same plan; the corridor's change is reported beside it
    assert "outlines differing (WKB): 1; area difference max 1.0e-01 of a corridor" in lines[-1]


def test_dumps_without_corridors_still_compare():
    g, s, h, _ = _plan({})
    ok, lines = compare_snapshots(snapshot(g, s, h), snapshot(g, s, h, None))
    assert ok
    assert not any(x.startswith("corridors") for x in lines)


def test_with_a_tolerance_a_corridor_may_move_by_rounding_only():
    # 100 m band vs 100.000001 m: 1e-8 of the corridor; vs 99 m: 1e-2, and the household at
    # x = 60 m stays inside both.
    before = snapshot(*_plan({"V1-ZX-河流": 100.0}))
    ok, lines = compare_snapshots(before, snapshot(*_plan({"V1-ZX-河流": 100.000001})), corridor_tol=1e-4)
    assert ok
    assert "households per corridor identical: True" in lines[-1]
    assert "symmetric difference max 1.0e-08 of a corridor" in lines[-1]
    ok, lines = compare_snapshots(before, snapshot(*_plan({"V1-ZX-河流": 99.0})), corridor_tol=1e-4)
    assert not ok
    assert "symmetric difference max 1.0e-02 of a corridor" in lines[-1]
    # Without the tolerance the move is only reported (the grids are the same plan).
    assert compare_snapshots(before, snapshot(*_plan({"V1-ZX-河流": 99.0})))[0]


def test_with_a_tolerance_a_corridor_that_loses_a_household_is_a_different_plan():
    # A 50 m band no longer reaches the household at x = 60 m.
    ok, lines = compare_snapshots(snapshot(*_plan({"V1-ZX-河流": 100.0})), snapshot(*_plan({"V1-ZX-河流": 50.0})),
                                  corridor_tol=1.0)
    assert not ok
    assert "households per corridor identical: False" in lines[-1]
