"""Regression tests for what the random-user test (``tests/test_ui_monkey.py``) found, each at the
level where the rule lives (engine, plan, session), so that they fail fast and say what broke."""

from __future__ import annotations

import pytest

from gridtool.partition.engine import GridPartitioner


@pytest.fixture(scope="module")
def nanjing(tmp_path_factory):
    from gridtool.demo import sample_sources
    from gridtool.partition.output import partition_project
    from gridtool.project import Project
    p = Project.from_sources(sample_sources("nanjing-xuanwu"), name="nanjing-xuanwu")
    partition_project(p, corridor_width=0, subgrids=False)
    return p


def test_redraw_into_more_grids_gives_every_grid_its_own_code(nanjing):
    """A redraw with tighter bounds makes more grids than before; the grids left without a previous
    code used to keep their fresh reading-order code even when a carried one was the same
    (``320102900008-01`` twice), so two grids shared a code and the plan merged them."""
    prev = nanjing.layers["grids"].gdf
    params = dict(nanjing.parameters["partition"]["parameters"], min_hh=200, max_hh=300, target=250)
    locked = sorted(prev["code"].astype(str))[::9]
    gp = GridPartitioner(**params).fit(nanjing, previous=prev, locked=locked)
    codes = gp.grids_["code"].astype(str)
    assert len(codes) > len(prev)
    assert not codes.duplicated().any(), codes[codes.duplicated()].tolist()
    assert set(locked) <= set(codes) and len(set(prev["code"]) & set(codes)) >= len(prev) * 0.9  # codes carried
    hs = gp.households_
    special = gp.special_grids_["code"].astype(str) if gp.special_grids_ is not None else []
    assert set(hs["grid"].dropna()) <= set(codes) | set(special)
    # one total: households in = in grids + in special grids + unassigned
    in_special = int(gp.special_grids_["hh"].sum()) if gp.special_grids_ is not None else 0
    unassigned = int(hs.loc[hs["grid"].isna(), "hh"].sum())
    assert int(gp.grids_["hh"].sum()) + in_special + unassigned == int(hs["hh"].sum())
