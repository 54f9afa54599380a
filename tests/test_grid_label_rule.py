"""One rule for grid codes on the maps (the newcomer run's Liechtenstein wall map mixed
``990100001002-10`` and ``03`` on one sheet): where the map names the grid's village, the number in
the village (``01``), said in the legend (``01 即 500101001001-01``); without village names, the full
code. The wall map, the five-colour map, the atlas's index map and the HTML map agree."""

from __future__ import annotations

import copy
import json
import re

import pypdf
import pytest

from gridtool.maps.grid_codes import map_code, map_codes

from .maps_data import make_project

FULL = ["500101001001-01", "500101001001-02", "500101001002-01", "500101001002-02"]


def _text(pdf, pages=None) -> str:
    reader = pypdf.PdfReader(str(pdf))
    return "\n".join(reader.pages[i].extract_text() or "" for i in (pages or range(len(reader.pages))))


def _html_grids(project) -> dict:
    from gridtool.maps.html import build_html
    html = build_html(project).html
    pays = [json.loads(m.group(1)) for m in re.finditer(r"gridtool\.addLayer\(\w+, \w+, (.*?)\);\n", html)]
    return next(d for d in pays if d.get("key") == "code" and "lab" in d["cols"]), html


@pytest.fixture(scope="module")
def project():
    return make_project()


def test_the_rule():
    assert map_code("990100001002-10", "990100001002", "Triesen") == "10"
    assert map_code("990100001002-10", "990100001002", "") == "990100001002-10"  # no village name to read it by
    assert map_code("990100001002-10", "990100001002", "Triesen", villages_shown=False) == "990100001002-10"
    assert map_code("A-07", "990100001002", "Triesen") == "A-07"  # not the village's code: as written


def test_wall_map_five_colour_map_atlas_and_html_print_the_same_codes(project, tmp_path):
    from gridtool.maps.assessment import render_assessment_map
    from gridtool.maps.atlas import write_atlas
    from gridtool.maps.wallmap import render_wall_map

    grids = project.layers["grids"].gdf
    assert grids["code"].tolist() == FULL
    assert map_codes(grids).tolist() == ["01", "02", "01", "02"]
    notes = []
    wall = _text(render_wall_map(project, tmp_path / "w.pdf", size="A4", notes=notes))
    g = project.layers["grids"].gdf.assign(score=[1, 2, 3, 4])
    p2 = copy.copy(project)
    p2.layers = dict(project.layers)
    from gridtool.layers import Layer
    p2.layers["grids"] = Layer(role="grids", gdf=g, source="")
    five = _text(render_assessment_map(p2, tmp_path / "a.pdf", field="score", size="A4"))
    index_map = _text(write_atlas(project, tmp_path / "atlas.pdf"), pages=[1])
    for text in (wall, five, index_map):
        # the legend's example names one full code; no grid is labelled with its full code
        assert "01 即 500101001001-01" in text.replace("\n", "")
        assert not any(c in text for c in FULL[1:])
    assert ("网格注村（社区）内序号：01 即 500101001001-01（完整编码见台账）",
            "grids are labelled by their number in the village: 01 is 500101001001-01 (full codes in the ledger)") in notes
    lay, html = _html_grids(project)
    assert lay["cols"]["lab"] == ["01", "02", "01", "02"] and lay["cols"]["code"] == FULL
    assert "{lab}" in lay["label"] and "{code}" in lay["tip"]  # the tooltip keeps the full code
    assert "01 即 500101001001-01" in html


def test_without_village_names_every_output_prints_full_codes(project, tmp_path):
    from gridtool.maps.wallmap import render_wall_map

    p = copy.copy(project)
    p.layers = {k: v for k, v in project.layers.items() if k != "villages"}
    assert map_codes(p.layers["grids"].gdf, villages_shown=False).tolist() == FULL
    notes = []
    wall = _text(render_wall_map(p, tmp_path / "w.pdf", size="A4", notes=notes))
    assert all(c in wall for c in FULL) and "内序号" not in wall
    assert not [zh for zh, _ in notes if "内序号" in zh]
    lay, html = _html_grids(p)
    assert lay["cols"]["lab"] == FULL and "内序号" not in html
