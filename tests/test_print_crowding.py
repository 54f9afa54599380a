"""Printed outputs read where symbols crowd: stop numbers on a long car route's card, read back
from the PDF with ``pdftotext -bbox`` as the officer would read them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from shapely.geometry import LineString

from tests.maps_data import X0, Y0, make_project

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def page_words(path: Path, page: int = 1) -> list[tuple[float, float, float, float, str]]:
    """Every word on ``page`` as poppler places it: (x0, y0, x1, y1, text) in pt, y down."""
    out = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
                         capture_output=True, text=True, check=True).stdout
    return [(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out)]


@needs_poppler
def test_crowded_stop_numbers_on_a_route_card_stand_apart(tmp_path):
    """A 30 km car route passes six stops within 300 m (about 1 mm on its card): their numbered
    markers printed on one another and the officer could not read 2–7. Every stop number is on
    the map once, and no two markers (6.5 mm circles round the numbers) overlap."""
    from gridtool.maps.cards import write_route_cards

    project = make_project()
    line = LineString([(X0 - 15_000, Y0), (X0, Y0 + 300), (X0 + 15_000, Y0)])
    near = [(X0 + dx, Y0 + dy) for dx, dy in ((0, 0), (60, 40), (-50, 70), (120, -30), (30, 160), (-110, -60))]
    far = [(X0 - 12_000, Y0 + 500), (X0 + 12_000, Y0 - 400)]
    stops = [{"seq": k + 1, "place": "", "category_zh": "治安卡口", "xy": xy} for k, xy in enumerate(far[:1] + near + far[1:])]
    card = {"team": 1, "station": "城南派出所", "mode_zh": "驾车", "stops": stops, "geometry": line}
    pdf = write_route_cards(project, tmp_path / "cards.pdf", cards=[card], from_project=False, date="2025-01-02")

    words = page_words(pdf)
    # The map is the frame under the header; the stop table starts below it (序号 heads it).
    table_top = min(w[1] for w in words if w[4] == "序号")
    numbers = [w for w in words if re.fullmatch(r"\d{1,2}", w[4]) and w[3] < table_top - 4
               and w[1] > 60]  # below the header band
    seen = sorted(int(w[4]) for w in numbers)
    assert [n for n in range(1, len(stops) + 1) if n not in seen] == [], seen
    centres = {int(w[4]): ((w[0] + w[2]) / 2, (w[1] + w[3]) / 2) for w in numbers if int(w[4]) <= len(stops)}
    pt_per_mm = 72 / 25.4
    for a in centres:
        for b in centres:
            if a < b:
                d = ((centres[a][0] - centres[b][0]) ** 2 + (centres[a][1] - centres[b][1]) ** 2) ** 0.5
                assert d >= 2 * 2.3 * pt_per_mm, (a, b, round(d / pt_per_mm, 2))


def test_stop_markers_keep_lone_stops_in_place_and_move_only_crowded_ones():
    """Markers clear of the others stay exactly on their stop; of a crowd, the first in visiting
    order stays and the others stand aside, each clear of every other marker and of the corner
    kept for the scale bar."""
    import numpy as np

    from gridtool.maps.cards import place_stop_markers

    xmm = np.array([20.0, 100.0, 100.5, 101.0, 99.6, 150.0])
    ymm = np.array([50.0, 60.0, 60.3, 59.8, 60.1, 90.0])
    corner = (0.0, 0.0, 40.0, 30.0)
    c = place_stop_markers(xmm, ymm, 2.3, taken=[corner], frame_box=(0, 0, 186, 128))
    assert np.allclose(c[[0, 1, 5]], np.column_stack([xmm, ymm])[[0, 1, 5]])
    assert not np.allclose(c[2:5], np.column_stack([xmm, ymm])[2:5])
    d = np.hypot(c[:, None, 0] - c[None, :, 0], c[:, None, 1] - c[None, :, 1])
    np.fill_diagonal(d, np.inf)
    assert d.min() >= 2 * 2.3
    moved = c[2:5]
    assert ((moved[:, 0] - 2.3 >= corner[2]) | (moved[:, 1] - 2.3 >= corner[3])).all()
    assert (np.hypot(moved[:, 0] - 100, moved[:, 1] - 60) < 25).all()  # beside their place, not far off


def _five_colour_project():
    """The test township with its grids redrawn as five slices meeting at one point: every grid
    touches every other, so the neighbour colouring needs five fills."""
    import math

    import geopandas as gpd
    from shapely.geometry import Polygon, box

    project = make_project()
    grids = project.layers["grids"].gdf
    cx, cy, r = X0 + 1000, Y0 + 500, 5000
    area = box(X0, Y0, X0 + 2000, Y0 + 1000)
    rows = []
    for k in range(5):
        arc = [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in
               (2 * math.pi * (k + t / 8) / 5 for t in range(9))]
        row = grids.iloc[k % len(grids)].drop("geometry").to_dict()
        row.update(code=f"500101001001-{k + 1:02d}", geometry=Polygon([(cx, cy), *arc]).intersection(area))
        rows.append(row)
    project.layers["grids"].gdf = gpd.GeoDataFrame(rows, crs=grids.crs)
    return project


@needs_poppler
def test_wall_map_legend_swatch_shows_every_grid_fill_the_map_uses(tmp_path):
    """Five grids that all touch one another are filled in five colours, but the legend swatch
    of 基础网格（相邻网格不同色） showed four. The swatch's colours, sampled from the rendered page,
    are exactly the grid fills sampled from the map."""
    import numpy as np
    from PIL import Image

    from gridtool.maps.colours import EXTRA_PALETTE, GRID_PALETTE, grid_colours
    from gridtool.maps.wallmap import render_wall_map

    project = _five_colour_project()
    assert grid_colours(project.layers["grids"].gdf).nunique() == 5
    pdf = render_wall_map(project, tmp_path / "w.pdf", size="A4", landscape=True, labels=False, coord_grid=None)
    dpi = 150
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(pdf), str(tmp_path / "w")], check=True)
    img = np.asarray(Image.open(tmp_path / "w.png").convert("RGB")).astype(int)
    palette = {c: np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) for c in (*GRID_PALETTE, *EXTRA_PALETTE)}

    def fills_in(region) -> set[str]:
        px = region.reshape(-1, 3)
        return {c for c, rgb in palette.items() if (np.abs(px - rgb).max(axis=1) <= 2).sum() >= 4}

    words = page_words(pdf)
    label = next(w for w in words if w[4].startswith("基础网格") and "（相邻" in w[4])  # 、例外网格 when drawn
    panel = next(w for w in words if w[4] == "图例")[0] - 20  # the legend panel starts right of the map
    k = dpi / 72
    y0, y1 = int(label[1] * k), int(label[3] * k) + 1
    swatch = img[y0:y1, max(int((label[0] - 40) * k), 0):int(label[0] * k)]
    # the map: everything left of the legend panel, under the title band
    on_map = img[int(img.shape[0] * 0.2):int(img.shape[0] * 0.9), int(img.shape[1] * 0.05):int(panel * k)]
    assert len(fills_in(on_map)) == 5
    assert fills_in(swatch) == fills_in(on_map)


@pytest.fixture(scope="module")
def liechtenstein():
    """The bundled Liechtenstein sample partitioned into base grids (no sub-grids: quicker)."""
    from gridtool.partition import GridPartitioner
    from gridtool.partition.output import apply_to_project
    from gridtool.project import Project
    from gridtool.samples import sample_sources

    project = Project.from_sources(sample_sources("liechtenstein"))
    apply_to_project(project, GridPartitioner(subgrids=False).fit(project))
    return project


@needs_poppler
def test_a0_wall_map_grid_labels_are_readable_from_the_wall_and_apart(liechtenstein, tmp_path):
    """On an A0 wall map of Liechtenstein the small grids of Schaan and Vaduz were labelled in
    5 pt (under 2 mm), unreadable at a metre. Every grid label is now at least the wall minimum
    (9 pt on A0), each grid's number is on the map, and no two labels, grid or village, overlap."""
    import pypdf

    from gridtool.maps.paper import paper
    from gridtool.maps.wallmap import label_min_pt, render_wall_map

    pdf = render_wall_map(liechtenstein, tmp_path / "a0.pdf", size="A0", landscape=False)
    minimum = label_min_pt(paper("A0"))
    assert minimum >= 9.0
    label = re.compile(r"\d{2}|\d{3}户|\d{12}-\d{2}")
    sizes = []

    def visit(text, cm, tm, font, size):
        sizes.extend((t, round(size * tm[0] * cm[0], 2)) for t in text.split() if label.fullmatch(t))

    pypdf.PdfReader(str(pdf)).pages[0].extract_text(visitor_text=visit)
    assert sizes and min(s for _, s in sizes) >= minimum - 0.01, sorted(sizes, key=lambda t: t[1])[:5]
    grids = liechtenstein.layers["grids"].gdf
    shown = {t for t, _ in sizes}
    assert {c.rsplit("-", 1)[-1] for c in grids["code"]} <= shown | {c for c in grids["code"]}

    villages = set(liechtenstein.layers["villages"].gdf["name"].astype(str))
    words = [w for w in page_words(pdf) if label.fullmatch(w[4]) or w[4] in villages]
    # A word's glyphs: its box less the font's ascent and descent (pdftotext's boxes of two lines
    # of one label touch).
    core = [(w[0], (w[1] + w[3]) / 2 - 0.35 * (w[3] - w[1]), w[2], (w[1] + w[3]) / 2 + 0.35 * (w[3] - w[1]), w[4])
            for w in words]
    clashes = [(a[4], b[4]) for k, a in enumerate(core) for b in core[k + 1:]
               if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]
    assert clashes == []


@needs_poppler
def test_atlas_index_map_title_names_the_township(tmp_path):
    """The atlas's index map was headed 索引图 alone: a sheet taken out of the book for a meeting
    did not say which township it shows. Its title line now reads 两路街道网格图册 · 索引图."""
    from gridtool.maps.atlas import write_atlas

    project = make_project()
    project.layers["villages"].gdf["乡镇街道"] = "两路街道"
    pdf = write_atlas(project, tmp_path / "atlas.pdf", date="2025-01-02")
    words = page_words(pdf, page=2)
    title = next(w for w in words if w[4] == "索引图")
    line = [w[4] for w in sorted(words, key=lambda w: w[0]) if abs(w[3] - title[3]) < 1]
    assert "".join(line) == "两路街道网格图册·索引图", line
    assert title[1] < min(w[1] for w in words if w[4].startswith("图中数字"))  # the top line of the sheet


@needs_poppler
def test_wall_map_legend_names_the_exception_grid_it_draws(tmp_path):
    """The totals beside the legend said 例外网格 1 个 while the legend named only 基础网格: the
    grid-fill row names the kinds the map draws, as the HTML map's legend does."""
    from gridtool.maps.wallmap import render_wall_map
    project = make_project()
    g = project.layers["grids"].gdf
    g.loc[g.index[0], "status"] = "exception"
    pdf = render_wall_map(project, tmp_path / "w.pdf", size="A4", landscape=True, labels=False, coord_grid=None)
    text = "".join(w[4] for w in page_words(pdf))
    assert "基础网格、例外网格（相邻网格不同色）" in text
    g["status"] = "ok"
    pdf = render_wall_map(project, tmp_path / "w2.pdf", size="A4", landscape=True, labels=False, coord_grid=None)
    text = "".join(w[4] for w in page_words(pdf))
    assert "基础网格（相邻网格不同色）" in text and "基础网格、例外网格" not in text
