"""One grid colouring (issue 18): a grid has the same fill on the screen, on the wall map and in the
HTML map, for a freshly partitioned plan and after hand edits."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the application
sys.path.insert(0, str(Path(__file__).parent))
from partition_data import make_villages  # noqa: E402

from gridtool.layers import Layer  # noqa: E402
from gridtool.maps.colours import GRID_PALETTE, grid_colours  # noqa: E402
from gridtool.project import Project  # noqa: E402


@pytest.fixture(scope="module")
def project() -> Project:
    from gridtool.partition.engine import GridPartitioner
    from gridtool.partition.output import apply_to_project
    layers = make_villages(n_villages=3, households=1500, river=False, apartments=1, seed=11)
    gp = GridPartitioner(min_hh=250, max_hh=450, corridor_width=0, subgrids=False).fit(layers)
    p = Project(name="测试", crs=layers["villages"].crs)
    for role, gdf in layers.items():
        p.layers[role] = Layer(role=role, gdf=gdf)
    apply_to_project(p, gp)
    assert len(p.layers["grids"].gdf) >= 8  # enough grids for a colouring with ties to break
    return p


def _hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])


def wall_map_fills(project, monkeypatch) -> dict[str, str]:
    """Code -> the fill the wall map really draws (read from its grid polygons' collection)."""
    from matplotlib.figure import Figure

    from gridtool.maps import draw
    from gridtool.maps.wallmap import draw_wall_map

    drawn = []
    real = draw.add_polygons

    def spy(ax, geoms, *, facecolors="none", **kw):
        if not isinstance(facecolors, str):
            drawn.append((list(geoms), list(facecolors)))
        return real(ax, geoms, facecolors=facecolors, **kw)

    monkeypatch.setattr(draw, "add_polygons", spy)
    draw_wall_map(Figure(), project, size="A4", labels=False)
    monkeypatch.setattr(draw, "add_polygons", real)
    grids = project.layers["grids"].gdf
    code_of = {id(g): str(c) for g, c in zip(grids.geometry.values, grids["code"])}
    geoms, fills = drawn[0]  # the first filled polygons are the grids
    return {code_of[id(g)]: str(f).lower() for g, f in zip(geoms, fills)}


def html_fills(project) -> dict[str, str]:
    """Code -> the fill of the grid in the offline HTML map's data."""
    from gridtool.maps.html import build_html
    html = build_html(project, embed_font=False).html
    pays = [json.loads(m.group(1)) for m in re.finditer(r"gridtool\.addLayer\(\w+, \w+, (.*?)\);\n", html)]
    grid = next(p for p in pays if p["kind"] == "polygon" and "fill" in p and "pal" in p)
    return {str(c): grid["pal"][i].lower() for c, i in zip(grid["cols"]["code"], grid["fill"])}


def test_screen_palette_is_the_maps_palette(project):
    """The app's grid fills (Qt-free model) are maps.colours' for every grid of the plan."""
    from gridtool.ui.styles import GRID_PALETTE as SCREEN, grid_palette_index
    grids = project.layers["grids"].gdf
    index = grid_palette_index(grids)
    want = dict(zip(grids["code"].astype(str), grid_colours(grids)))
    assert set(index) == set(want)
    assert {c: _hex(SCREEN[i]) for c, i in index.items()} == want
    assert [_hex(c) for c in SCREEN[:len(GRID_PALETTE)]] == list(GRID_PALETTE)


@pytest.fixture
def canvas(request, project):
    pytest.importorskip("PyQt6.QtWidgets")
    pytest.importorskip("pytestqt")
    request.getfixturevalue("qapp")
    from gridtool.ui.canvas import MapCanvas
    from gridtool.ui.map_layers import LayerStack
    from gridtool.ui.session import Session
    s = Session()
    c = MapCanvas(s, LayerStack())
    s.set_project(project)
    yield c
    s.set_project(None)
    c.deleteLater()


def screen_fills(canvas) -> dict[str, str]:
    """Code -> the colour the map canvas fills the grid with (its painter's brush per feature)."""
    ml = canvas.stack.get("grids")
    p = canvas.painter_for(ml)
    out = {}
    for code, key in zip(ml.gdf["code"].astype(str), p.keys):
        colour = p.styles[int(key)].fill.color()
        out[code] = _hex((colour.red(), colour.green(), colour.blue()))
    return out


def test_screen_wall_map_and_html_give_each_grid_one_colour(canvas, project, monkeypatch):
    screen = screen_fills(canvas)
    paper = wall_map_fills(project, monkeypatch)
    browser = html_fills(project)
    assert screen == paper == browser
    assert len(set(screen.values())) >= 3  # neighbours apart: a real colouring, not one fill

    # Households take their grid's fill, deepened (the screen's own rendering of the same colour).
    from gridtool.ui.canvas import household_colour
    from gridtool.ui.render import argb32
    from gridtool.ui.styles import rgba
    e = canvas.session.edit
    got = canvas._household_colours()
    feats = e.membership.features_in(e.plan.codes[0])[:5]
    want = argb32(np.array([household_colour(rgba(screen[e.plan.codes[0]]))] * len(feats)))
    assert (got[feats] == want).all()


def test_after_edits_the_screen_still_shows_the_wall_maps_colours(canvas, monkeypatch):
    s = canvas.session
    plan = s.plan
    by_village: dict = {}
    for c in plan.codes:
        by_village.setdefault(plan.village[c], []).append(c)
    a, b = next(v for v in by_village.values() if len(v) >= 2)[:2]
    s.push(plan.merge(a, b))
    s.push(s.plan.split(a))
    edited = s.materialized()  # what an export of the edited plan draws
    assert screen_fills(canvas) == wall_map_fills(edited, monkeypatch) == html_fills(edited)
