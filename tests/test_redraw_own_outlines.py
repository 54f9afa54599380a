"""A plan redrawn against its own grid outlines moves nobody: last year's grids exported with their
``code`` and ``hh`` as another system would hold them, the households' grid columns dropped, and
``gridtool partition --previous`` gives the same plan back.

Real data: Eschen and Gamprin cut from the Liechtenstein sample, whose border runs through
buildings. The partition puts such a building in the village its point lies in; its outline lies
mostly in the neighbouring village's grid. Before, the match put it in that grid by the larger
overlap: a few Eschen households started in Gamprin's grid 990100002009-03, the redraw made it an
Eschen grid (recoded 990100002007-09, 311 households taken from three grids) and gave Gamprin two
new ones — on the whole demo 943 households moved and 8 grids changed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402

from gridtool.cli import main  # noqa: E402

OPTS = ["--corridor-width", "0", "--no-subgrids", "--quiet"]
GRID_COLUMNS = ["grid", "grid_parts", "subgrid", "subgrid_parts"]


@pytest.fixture(scope="module")
def last(tmp_path_factory):
    d = tmp_path_factory.mktemp("own-outlines")
    p = cut_project("liechtenstein", ("Eschen", "Gamprin"))
    raw = p.save(d / "raw.gpkg")
    out = d / "last.gpkg"
    assert main(["partition", str(raw), "--out", str(out), *OPTS]) == 0
    grids = gpd.read_file(out, layer="grids")
    prev = d / "prev.gpkg"
    grids[["code", "hh", "geometry"]].to_file(prev, layer="grids", driver="GPKG")
    return {"dir": d, "raw": raw, "last": out, "prev": prev, "grids": grids,
            "households": gpd.read_file(out, layer="households")}


def test_the_case_buildings_across_the_village_border_lie_mostly_in_the_other_villages_grid(last):
    hs, g = last["households"], last["grids"]
    village_of_code = dict(zip(g["code"], g["village"]))
    geoms = hs.geometry.values
    poly = np.asarray(g.geometry.values)
    fi, pi = shapely.STRtree(poly).query(geoms, predicate="intersects")
    area = shapely.area(shapely.intersection(geoms[fi], poly[pi]))
    best = {}
    for f, p, a in zip(fi.tolist(), pi.tolist(), area.tolist()):
        if a > best.get(f, (None, -1.0))[1]:
            best[f] = (p, a)
    foreign = [f for f, (p, _) in best.items() if hs["grid"].iat[f] in village_of_code
               and village_of_code[g["code"].iat[p]] != village_of_code[hs["grid"].iat[f]]]
    assert foreign  # without it this file tests nothing


def test_a_plan_redrawn_against_its_own_outlines_moves_nobody(last, capsys):
    d = last["dir"]
    from gridtool.project import Project
    p = Project.open(last["last"])
    hs = p.layers["households"].gdf
    p.layers["households"].gdf = hs.drop(columns=[c for c in GRID_COLUMNS if c in hs])
    copy = p.save(d / "copy.gpkg")
    out, rep = d / "again.gpkg", d / "again.json"
    capsys.readouterr()
    assert main(["partition", str(copy), "--previous", str(last["prev"]), "--out", str(out), "--report", str(rep),
                 *OPTS[:-1]]) == 0
    said = capsys.readouterr().out
    r = json.loads(rep.read_text(encoding="utf-8"))["plan"]["redraw"]
    assert r["households_moved"] == 0 and r["grids_changed"] == 0
    assert "0 户改变网格" in said and "0 个网格有变化" in said
    assert "重新编码" not in said  # no grid recoded into the other village
    before, now = last["households"], gpd.read_file(out, layer="households")
    assert now["grid"].tolist() == before["grid"].tolist()
    g = gpd.read_file(out, layer="grids")
    assert dict(zip(g["code"], g["hh"])) == dict(zip(last["grids"]["code"], last["grids"]["hh"]))


def test_a_building_across_the_village_border_is_matched_to_its_own_villages_grid(last):
    """The match itself: every building is placed in the grid that held it (before, the buildings
    across the Eschen–Gamprin border went to the other village's grid)."""
    from gridtool.partition.previous import match_previous
    hs = last["households"]
    prev = gpd.read_file(last["prev"], layer="grids")
    codes = hs["grid"].astype(str)
    village = {c: i for i, c in enumerate(sorted(set(hs["village"].astype(str))))}
    special = codes.str.contains("-Z") | ~codes.isin(prev["code"])
    vo = np.where(special, -1, hs["village"].astype(str).map(village).to_numpy())
    pv = match_previous(prev, hs.drop(columns=[c for c in GRID_COLUMNS if c in hs]), hs["hh"].to_numpy(), crs=hs.crs, match="polygons",
                        village_of=vo)
    major = pv.major()
    got = np.array([pv.codes[m] if m >= 0 else "" for m in major], dtype=object)
    base = np.flatnonzero(~special.to_numpy())
    assert [(int(f), got[f]) for f in base if got[f] != codes.iat[f]] == []
