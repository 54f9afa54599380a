"""Smoke test of the partition benchmark's plumbing (no timings asserted; max-p is too slow here)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

pytest.importorskip("pymetis")

import partition_bench as pb  # noqa: E402
from synthetic_county import load_sample, make_county  # noqa: E402

from gridtool.partition.engine import GridPartitioner  # noqa: E402


@pytest.fixture(scope="module")
def sample():
    return load_sample("liechtenstein")


def test_county_tiles_are_unique_and_disjoint(sample):
    H0 = int(sample["households"]["hh"].sum())
    c = make_county(2 * H0, seed=0, sample=sample)
    v = c["villages"]
    assert len(v) == 2 * len(sample["villages"])
    assert v["code"].is_unique and v["name"].is_unique
    assert v["code"].str.fullmatch(r"\d{12}").all()
    assert int(c["households"]["hh"].sum()) == 2 * H0
    t0 = v[v["tile"] == 0].union_all()
    t1 = v[v["tile"] == 1].union_all()
    assert t0.distance(t1) > 1000
    # Households keep pointing at their (recoded) village.
    assert set(c["households"]["village"]) <= set(v["code"])


def test_metis_anchor_covers_every_household(sample):
    gp = GridPartitioner(subgrids=False, corridor_width=0).fit(sample)
    problems = pb.village_problems(gp.blocks_, len(sample["villages"]))
    grids, stats = pb.run_metis(problems)
    q = pb.plan_metrics(gp.blocks_, grids, problems)
    ordinary = gp.blocks_.gdf["special"].to_numpy() < 0
    assert q["households"] == int(gp.blocks_.gdf["hh"].to_numpy()[ordinary].sum())
    blocks = [b for _, s in grids for b in s]
    assert len(blocks) == len(set(blocks))  # no block in two grids
    assert 0 <= q["pct_in_bounds"] <= 100 and 0 < q["pp"] <= 1
    g = pb.gridtool_metrics(gp, problems, sample["villages"])
    assert g["grids"] == len(gp.grids_) and np.isfinite(g["pp"])
