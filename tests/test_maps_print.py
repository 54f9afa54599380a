"""Print exports read back as another program would: PDF text and embedded fonts (pypdf, and
pdftotext/pdffonts from poppler-utils when installed), PNG pixel size, SVG parse; the raster guard,
atomic writes, masking, the assessment field error, and the CJK font's coverage."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from tests.maps_data import GK108, NAMES, PHONE, X0, Y0, make_crowded_villages, make_project

pypdf = pytest.importorskip("pypdf")

HAVE_POPPLER = shutil.which("pdftotext") is not None and shutil.which("pdffonts") is not None
needs_poppler = pytest.mark.skipif(not HAVE_POPPLER, reason="poppler-utils (pdftotext, pdffonts) not installed; "
                                                           "apt-get install poppler-utils")


@pytest.fixture(scope="module")
def project():
    p = make_project()
    # A party-member layer, so that the atlas roster lists (masked) members.
    from gridtool.layers import Layer

    members = gpd.GeoDataFrame({"name": ["欧阳娜娜", "李四"], "phone": [PHONE, PHONE]},
                               geometry=[Point(X0 + 250, Y0 + 250), Point(X0 + 260, Y0 + 700)], crs=GK108)
    p.layers["party_members"] = Layer(role="party_members", gdf=members, source="", crs_in="EPSG:4490",
                                      sensitive={"name": "name", "phone": "phone"})
    return p


def pdf_text(path: Path) -> str:
    """Text as pypdf extracts it, plus pdftotext's when poppler is installed."""
    text = "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages)
    if HAVE_POPPLER:
        text += "\n" + subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                      check=True).stdout
    return text


def embedded_fonts(path: Path) -> list[tuple[str, str, bool]]:
    """(name, subtype, has embedded file) of every font in the PDF, via pypdf."""
    out = []
    for page in pypdf.PdfReader(str(path)).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            f = ref.get_object()
            for desc in [f] + [d.get_object() for d in f.get("/DescendantFonts", [])]:
                fd = desc.get("/FontDescriptor")
                if fd is None:
                    continue
                fd = fd.get_object()
                out.append((str(desc.get("/BaseFont")), str(desc.get("/Subtype")),
                            any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3"))))
    return out


# ---------------------------------------------------------------------------------------------
# font


def test_bundled_font_covers_gb2312_and_sample_names():
    from fontTools.ttLib import TTFont

    from gridtool.maps.fonts import FONT_DIR, cjk_font_path, missing_glyphs

    path = cjk_font_path()
    assert path.is_file() and (FONT_DIR / "OFL.txt").is_file()
    cmap = TTFont(path, lazy=True).getBestCmap()
    # Every Hanzi of GB2312 (rows 16–87 of the 94×94 table).
    gb2312 = []
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                gb2312.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    assert len(gb2312) >= 6763
    assert [c for c in gb2312 if ord(c) not in cmap] == []
    sample = "东方广场社区乌龙池社区石门坎村华侨路二十六号社区玄武区梅园新村网格员户数比例尺北" + "".join(NAMES)
    assert missing_glyphs(sample + "0123456789ABCxyz，、（）·°′″©→①") == []
    # TrueType outlines (glyf), so PDF writers embed it as Type 42 / CIDFontType2.
    assert "glyf" in TTFont(path, lazy=True)


def test_font_is_declared_package_data():
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(Path(__file__).resolve().parents[1] / "setup.cfg")
    data = cfg["options.package_data"]["gridtool.maps"]
    assert "fontdata/*.ttf" in data and "fontdata/OFL.txt" in data


def test_matplotlib_uses_bundled_font():
    from matplotlib.font_manager import FontProperties, findfont

    from gridtool.maps.fonts import cjk_font_path, register_matplotlib_font

    family = register_matplotlib_font()
    assert Path(findfont(FontProperties(family=family))).resolve() == cjk_font_path().resolve()


# ---------------------------------------------------------------------------------------------
# colours


def test_neighbouring_grids_get_different_colours_and_few_colours():
    from gridtool.maps.colours import GRID_PALETTE, grid_colours, neighbour_pairs

    # A 12 × 12 chessboard plus a row of hexagon-like cells: vertex contacts count as neighbours;
    # a hairline gap (0.5 m) counts too.
    cells = [box(x * 100, y * 100, x * 100 + 100 - (0.5 if x == 5 else 0), y * 100 + 100)
             for x in range(12) for y in range(12)]
    g = gpd.GeoDataFrame({"code": range(len(cells))}, geometry=cells, crs=GK108)
    g.index = g.index + 1000  # index alignment, not positions
    c = grid_colours(g)
    assert list(c.index) == list(g.index)
    pairs = neighbour_pairs(g)
    assert len(pairs) > 0
    assert (c.to_numpy()[pairs[:, 0]] != c.to_numpy()[pairs[:, 1]]).all()
    assert set(c) <= set(GRID_PALETTE) and len(set(c)) <= 6
    # Another seed: still valid.
    c2 = grid_colours(g, seed=3)
    assert (c2.to_numpy()[pairs[:, 0]] != c2.to_numpy()[pairs[:, 1]]).all()


def test_palette_is_distinct_in_greyscale():
    from matplotlib.colors import to_rgb

    from gridtool.maps.colours import GRID_PALETTE

    def lightness(h):
        r = np.array(to_rgb(h))
        lin = np.where(r <= 0.04045, r / 12.92, ((r + 0.055) / 1.055) ** 2.4)
        y = lin @ [0.2126, 0.7152, 0.0722]
        return 116 * y ** (1 / 3) - 16

    ls = sorted(lightness(c) for c in GRID_PALETTE)
    assert min(np.diff(ls)) >= 6.0


def test_assessment_colours_classes_ranks_and_scores():
    from gridtool.maps.colours import ASSESSMENT_COLOURS, UNRATED, assessment_colours, parse_classes

    red, orange, yellow, blue, green = (c.colour for c in ASSESSMENT_COLOURS)
    assert assessment_colours(["红", "绿色", "orange", "优秀", None, "??"]).tolist() == \
        [red, green, orange, green, UNRATED, UNRATED]
    assert assessment_colours([1, 2, 3, 4, 5]).tolist() == [red, orange, yellow, blue, green]
    assert assessment_colours([59, 60, 75, 85, 95], breaks=[60, 70, 80, 90]).tolist() == \
        [red, orange, yellow, blue, green]
    custom = parse_classes("优=#00ff00,良=#0000ff,差=#ff0000")
    assert assessment_colours(["差", "优"], custom).tolist() == ["#ff0000", "#00ff00"]


# ---------------------------------------------------------------------------------------------
# paper and raster guard


def test_paper_sizes_and_scales():
    from gridtool.maps.paper import nice_scale, paper

    a0 = paper("a0", landscape=True)
    assert (a0.width_mm, a0.height_mm) == (1189.0, 841.0)
    assert paper("A4").width_mm == 210.0
    assert nice_scale(11_873) == 12_500 and nice_scale(5000) == 5000 and nice_scale(1_234_567) == 1_250_000


def test_raster_refused_before_drawing(project, tmp_path):
    from gridtool.maps.paper import RasterTooLargeError
    from gridtool.maps.wallmap import render_wall_map

    out = tmp_path / "huge.png"
    with pytest.raises(RasterTooLargeError) as e:
        render_wall_map(project, out, size="A0", dpi=1200)
    msg = str(e.value)
    assert "图片太大" in msg and "too large" in msg and "--dpi" in msg and "PDF" in msg
    assert not out.exists() and list(tmp_path.iterdir()) == []
    # A small limit refuses a small map too, and names the DPI that fits.
    with pytest.raises(RasterTooLargeError, match="DPI"):
        render_wall_map(project, out, size="A4", dpi=100, max_pixels=100_000)


# ---------------------------------------------------------------------------------------------
# wall map


@pytest.fixture(scope="module")
def wall_pdf(project, tmp_path_factory):
    from gridtool.maps.wallmap import render_wall_map

    return render_wall_map(project, tmp_path_factory.mktemp("wall") / "墙图.pdf", size="A4", landscape=True,
                           title="测试镇网格图", date="2025-01-02")


def test_wall_pdf_has_chinese_labels(wall_pdf):
    text = pdf_text(wall_pdf)
    for s in ("测试镇网格图", "东方广场社区", "500101001001-01", "比例尺", "图例", "基础网格", "2025-01-02", "北"):
        assert s in text, s
    # The grid worker's name is masked by default.
    assert "赵*" in text and "赵六" not in text


def test_wall_map_total_counts_households_of_special_grids_too(tmp_path):
    """The wall map states the households imported and their parts, special grids included
    (gridtool.partition.totals), from the households themselves, not from the grids' stored hh."""
    from gridtool.maps.wallmap import render_wall_map
    from gridtool.partition.totals import household_totals
    p = make_project()
    hs = p.layers["households"].gdf
    hs.loc[hs.index[:5], "grid"] = p.layers["special_grids"].gdf["code"].iat[0]  # staff flats of the school
    hs.loc[hs.index[5], "grid"] = None  # one household outside every grid
    t = household_totals(p)
    assert t.special == int(hs["hh"].iloc[:5].sum()) > 0 and t.unassigned == int(hs["hh"].iat[5])
    assert t.imported == int(hs["hh"].sum()) == t.base + t.special + t.exception + t.unassigned
    text = pdf_text(render_wall_map(p, tmp_path / "w.pdf", size="A4", landscape=True))
    assert f"住户 {t.imported:,} 户" in text
    for label, v in (("其中基础网格", t.base), ("专属网格", t.special), ("例外网格", t.exception),
                     ("未划入网格", t.unassigned)):
        assert f"{label} {v:,} 户" in text, label


def test_wall_pdf_embeds_cjk_font(wall_pdf):
    fonts = embedded_fonts(wall_pdf)
    cjk = [f for f in fonts if "NotoSansSCGridtool" in f[0]]
    assert cjk and all(emb for _, _, emb in cjk)
    assert all(sub == "/CIDFontType2" for _, sub, _ in cjk if sub != "/Type0")


@needs_poppler
def test_pdffonts_shows_cjk_font_embedded(wall_pdf):
    out = subprocess.run(["pdffonts", str(wall_pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()[2:]]
    cjk = [r for r in rows if "NotoSansSCGridtool" in r[0]]
    assert cjk, out
    # Columns: name, type…, encoding, emb, sub, uni, object ID.
    assert all(r[-5] == "yes" for r in cjk), out


def test_wall_png_pixel_size_and_svg(project, tmp_path):
    from PIL import Image

    from gridtool.maps.wallmap import render_wall_map

    png = render_wall_map(project, tmp_path / "wall.png", size="A4", landscape=False, dpi=60)
    with Image.open(png) as im:
        assert im.size == (int(210 / 25.4 * 60), int(297 / 25.4 * 60))
        arr = np.asarray(im.convert("L"))
    assert arr.std() > 10  # something was drawn
    svg = render_wall_map(project, tmp_path / "wall.svg", size="A4", landscape=True, coord_grid="lonlat")
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f".//{ns}path")) > 50
    assert root.findall(f".//{ns}text") == []  # text as outlines: renders without the font


def test_include_personal_shows_worker(project, tmp_path):
    from gridtool.maps.wallmap import render_wall_map

    pdf = render_wall_map(project, tmp_path / "p.pdf", size="A4", include_personal=True, coord_grid=None)
    assert "赵六" in pdf_text(pdf)


def test_lonlat_grid_and_fixed_scale(project, tmp_path):
    from gridtool.maps.wallmap import render_wall_map

    pdf = render_wall_map(project, tmp_path / "s.pdf", size="A4", scale=5000, coord_grid="lonlat")
    text = pdf_text(pdf)
    assert "1:5,000" in text and "°" in text and "E" in text


def pdf_words(path: Path) -> tuple[float, list[tuple[float, float, float, float, str]]]:
    """Page width (pt) and every word on page 1 as poppler places it: (x0, y0, x1, y1, text), y down."""
    import re

    out = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    width = float(re.search(r'<page width="([\d.]+)"', out).group(1))
    words = [(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in
             re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out)]
    return width, words


@needs_poppler
@pytest.mark.parametrize("title", ["测试镇网格化管理分布图", "重庆市渝北区两路街道网格考核五色图（示例：以紧凑度代替考核分）"])
def test_wall_map_header_does_not_overprint_on_a4_portrait(project, tmp_path, title):
    """The totals line of a township with an exception grid is long on an A4 portrait sheet: it ran
    into 制图日期 at the right end of its row (户 printed over 制); and a long title ran off the sheet.
    Every word of the title band stands apart from the others, inside the page."""
    from gridtool.maps.wallmap import render_wall_map

    subtitle = "村（社区）11 个 · 基础网格 71 个、例外网格 1 个 · 子网格 940 个 · 住户 28,340 户"
    pdf = render_wall_map(project, tmp_path / "a4.pdf", size="A4", landscape=False, title=title,
                          subtitle=subtitle, date="2026-12-06")
    width, words = pdf_words(pdf)
    band = [w for w in words if w[3] < 30 / 25.4 * 72 + 10 * 72 / 25.4]  # the title band, 10 mm margin + 20 mm
    texts = [w[4] for w in band]
    assert "制图日期" in texts and "2026-12-06" in texts and "28,340" in texts
    assert "".join(texts).startswith(title.replace(" ", "")[:4])
    for a in band:
        assert 0 <= a[0] and a[2] <= width, a
        for b in band:
            if a is not b:
                overlap_x = min(a[2], b[2]) - max(a[0], b[0])
                overlap_y = min(a[3], b[3]) - max(a[1], b[1])
                assert overlap_x <= 0.5 or overlap_y <= 0.5, (a, b)


def test_draw_on_given_figure_and_preview(project):
    from matplotlib.figure import Figure

    from gridtool.maps.wallmap import draw_wall_map, preview_image

    fig = Figure()
    info = draw_wall_map(fig, project, size="A3", landscape=True)
    assert tuple(round(v, 2) for v in fig.get_size_inches()) == (round(420 / 25.4, 2), round(297 / 25.4, 2))
    assert info.labels_placed >= 4 and "grids" in info.layers and info.scale > 0
    img = preview_image(project, width_px=400, size="A4")
    assert img.shape[1] == 400 and img.shape[2] == 4


def test_labels_never_overlap_and_drop_when_crowded():
    """A county-like crowd of small grids on an A4 sheet: labels are dropped, never piled."""
    import matplotlib
    from matplotlib.figure import Figure

    from gridtool.maps import draw as D
    from gridtool.maps.fonts import export_rc

    cells = [box(x * 60, y * 60, x * 60 + 60, y * 60 + 60) for x in range(40) for y in range(40)]
    with matplotlib.rc_context(export_rc()):
        fig = Figure(figsize=(210 / 25.4, 297 / 25.4))
        frame = D.MapFrame.fit(10, 10, 190, 277, (0, 0, 2400, 2400))
        ax = frame.axes(fig, 210, 297)
        placer = D.LabelPlacer()
        cands = [D.LabelCandidate(c.centroid.x, c.centroid.y, [[f"500101001{i:03d}-01", "350户"], [f"{i:02d}"]],
                                  region=c) for i, c in enumerate(cells)]
        n = D.place_labels(ax, frame, placer, cands, max_pt=9, min_pt=4.5)
    assert 0 < n < len(cells)
    b = np.array(placer.boxes)
    for i in range(len(b)):
        o = b[i + 1:]
        overlap = (b[i, 0] < o[:, 2]) & (o[:, 0] < b[i, 2]) & (b[i, 1] < o[:, 3]) & (o[:, 1] < b[i, 3])
        assert not overlap.any()
    # Every placed label lies inside its own grid on paper.
    for c in cands:
        if c.placed:
            assert c.placed[1] >= 4.5


def _page_mm(pdf: Path) -> tuple[float, float]:
    box_ = pypdf.PdfReader(str(pdf)).pages[0].mediabox
    return float(box_.width) / 72 * 25.4, float(box_.height) / 72 * 25.4


@pytest.fixture(scope="module")
def crowded():
    """126 small villages whose two grid labels each fill the village's middle."""
    return make_crowded_villages(14, 9)


def test_wall_map_names_every_village_when_grid_labels_crowd_them(crowded, tmp_path):
    """On A4, every village name is printed (inside its village, or beside it with a leader line)
    though each village's middle holds its grid labels; the console is told nothing is missing."""
    from gridtool.maps.wallmap import render_wall_map

    notes = []
    pdf = render_wall_map(crowded, tmp_path / "w.pdf", size="A4", landscape=True, notes=notes)
    text = pdf_text(pdf).replace("\n", "")
    names = crowded.layers["villages"].gdf["name"].tolist()
    assert [n for n in names if n not in text] == []
    assert not any("放不下" in zh for zh, _ in notes)


def test_wall_map_says_which_village_names_found_no_room(crowded, tmp_path):
    """On a postcard-sized sheet not every name fits: the console note counts those missing and
    names them (the first 30, then 等)."""
    from gridtool.maps.wallmap import render_wall_map

    notes = []
    pdf = render_wall_map(crowded, tmp_path / "w.pdf", size=(148, 105), landscape=True, notes=notes)
    text = pdf_text(pdf).replace("\n", "")
    missing = [n for n in crowded.layers["villages"].gdf["name"] if n not in text]
    said = [zh for zh, _ in notes if "放不下" in zh]
    assert missing and len(said) == 1
    assert f"{len(missing)} 个村（社区）名放不下" in said[0]
    assert all(n in said[0] for n in missing[:30]) and ("等（" in said[0]) == (len(missing) > 30)
    assert [en for _, en in notes if "found no room" in en]


@pytest.mark.parametrize("rotate, landscape", [(0, True), (90, False)])
def test_orientation_follows_the_data_extent(rotate, landscape, tmp_path):
    """A wide township goes on a landscape sheet and a tall one on a portrait sheet, unless asked
    otherwise; the choice is said for the console."""
    from gridtool.maps.wallmap import render_wall_map

    p = make_crowded_villages(6, 2, 300.0, rotate=rotate)  # 1800 m × 600 m, or turned upright
    notes = []
    w, h = _page_mm(render_wall_map(p, tmp_path / "auto.pdf", size="A4", labels=False, notes=notes))
    assert (w > h) == landscape and {round(w), round(h)} == {210, 297}
    assert any(("横向" if landscape else "纵向") in zh for zh, _ in notes)
    notes.clear()
    w, h = _page_mm(render_wall_map(p, tmp_path / "asked.pdf", size="A4", landscape=not landscape, labels=False,
                                    notes=notes))
    assert (w > h) == (not landscape) and notes == []


def test_demo_sheets_follow_a_tall_area(tmp_path):
    """The demo's A3 PNG and SVG were forced landscape: a tall area (Liechtenstein) then filled a
    third of the sheet. Every demo sheet now takes the orientation that fits, and says so."""
    from PIL import Image

    from gridtool.commands.demo import demo_print

    p = make_crowded_villages(6, 2, 300.0, rotate=90)  # 600 m wide, 1800 m tall
    notes = []
    files = demo_print(p, tmp_path, "tall", notes=notes)
    w, h = _page_mm(Path(files["wall_pdf"]))
    assert h > w
    with Image.open(files["wall_png"]) as im:
        assert im.height > im.width
    svg = ET.parse(files["wall_svg"]).getroot()
    assert float(svg.get("height").rstrip("pt")) > float(svg.get("width").rstrip("pt"))
    said = [zh for zh, _ in notes if "纵向" in zh]
    assert {s.split("：")[0] for s in said} >= {"tall-wall-A1.pdf", "tall-wall-A3.png", "tall-wall-A3.svg"}


def test_orientation_options_on_the_command_line(tmp_path, capsys):
    from gridtool.cli import main

    path = tmp_path / "tall.gpkg"
    make_crowded_villages(6, 2, 300.0, rotate=90).save(path)
    assert main(["export", str(path), "--pdf", str(tmp_path / "a.pdf"), "--size", "A4", "--no-labels"]) in (0, None)
    assert "纵向" in capsys.readouterr().out
    w, h = _page_mm(tmp_path / "a.pdf")
    assert h > w
    assert main(["export", str(path), "--pdf", str(tmp_path / "b.pdf"), "--size", "A4", "--no-labels",
                 "--orientation", "landscape"]) in (0, None)
    w, h = _page_mm(tmp_path / "b.pdf")
    assert w > h
    assert main(["export", str(path), "--pdf", str(tmp_path / "c.pdf"), "--size", "A4", "--no-labels",
                 "--landscape"]) in (0, None)
    w, h = _page_mm(tmp_path / "c.pdf")
    assert w > h
    assert main(["export", str(path), "--pdf", str(tmp_path / "d.pdf"), "--landscape", "--orientation",
                 "portrait"]) == 2
    err = capsys.readouterr().err
    assert "--orientation" in err and "矛盾" in err and not (tmp_path / "d.pdf").exists()


def _with_roads(project, values: list[str], column: str = "等级"):
    """``project`` with a roads layer classed from ``column`` as an import classes it."""
    from shapely.geometry import LineString

    from gridtool.layers import Layer
    from gridtool.lineclasses import classify

    roads = gpd.GeoDataFrame({column: values},
                             geometry=[LineString([(X0 + 50, Y0 + 100 + 80 * i), (X0 + 1950, Y0 + 120 + 80 * i)])
                                       for i in range(len(values))], crs=GK108)
    cl = classify("roads", roads)
    roads["class"], roads["class_src"] = cl.values.to_numpy(), cl.how.to_numpy()
    project.layers["roads"] = Layer(role="roads", gdf=roads, source="", crs_in="EPSG:4490")
    return project


ROAD_WORDS = ("高速公路", "国道", "快速路", "省道", "主干路", "县道", "次干路", "乡道", "支路", "村道", "街巷",
              "内部道路", "机耕路", "步行道", "小路")


@pytest.mark.parametrize("values, expected", [
    (["县道", "乡道", "村道", "村道"], {"县道", "乡道", "村道"}),
    (["主干路", "次干路", "支路", "街巷"], {"主干路", "次干路", "支路", "街巷"}),
    (["X012", "Y103", "C201"], {"县道", "乡道", "村道"}),
])
def test_road_legend_uses_the_data_wording_and_only_classes_present(values, expected, tmp_path):
    """A county's 县道/乡道/村道 are named so in the legend, a city's streets as streets, and no
    class the data lack is listed."""
    from gridtool.maps.wallmap import render_wall_map

    column = "路线编号" if values[0][0] in "XYC" else "等级"
    p = _with_roads(make_project(), values, column)
    text = pdf_text(render_wall_map(p, tmp_path / "w.pdf", size="A4", landscape=True, labels=False))
    assert {w for w in ROAD_WORDS if w in text} == expected


def test_road_systems_from_sources_and_class_mix():
    """OSM-style tags say nothing of the network: a layer of tracks and village roads is rural,
    one of residential streets urban; a route number or a grade word decides for its own road."""
    import pandas as pd
    from shapely.geometry import LineString

    from gridtool.maps.road_words import legend_label, road_systems

    def layer(classes, **cols):
        return gpd.GeoDataFrame({"class": classes, **cols},
                                geometry=[LineString([(0, i), (100, i)]) for i in range(len(classes))], crs=GK108)

    assert set(road_systems(layer(["track", "track", "unclassified", "residential"]))) == {"rural"}
    assert set(road_systems(layer(["residential", "residential", "service", "track"]))) == {"urban"}
    mixed = road_systems(layer(["secondary", "secondary", "residential"], ref=["X012", None, None],
                               name=["", "中山路", "城镇道路"]))
    assert list(mixed) == ["rural", "rural", "urban"]
    assert legend_label(["secondary", "tertiary"], ["rural", "rural"]) == "县道、乡道"
    assert legend_label(pd.Series(["secondary", "secondary_link"]), ["urban", "urban"]) == "次干路"
    assert legend_label(["unclassified", "residential", "service", "track"], ["rural"] * 4) == "村道、街巷、内部道路等"


def test_minor_road_legend_swatch_stands_out_from_the_legend():
    """A white street with its grey casing is drawn on a grey patch, so it shows in the legend."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_rgb
    from matplotlib.figure import Figure

    from gridtool.maps.pages import RoadSwatch, legend_handler_map
    from gridtool.maps.style import ROAD_STYLES, lw

    st = next(s for s in ROAD_STYLES if s.key == "minor")
    with matplotlib.rc_context({"figure.dpi": 200}):
        fig = Figure(figsize=(1.0, 0.4))
        FigureCanvasAgg(fig)
        fig.legend([RoadSwatch(st.colour, lw(st.width_mm, 2.0), st.casing, lw(st.width_mm + 0.16, 2.0))], [""],
                   handler_map=legend_handler_map(), handlelength=4, handleheight=2, frameon=False, loc="center")
        fig.canvas.draw()
        rgb = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].astype(float) / 255
    ground = np.all(np.abs(rgb - to_rgb(RoadSwatch.GROUND)) < 0.03, axis=2)
    assert ground.sum() > 200  # the patch is there
    rows, cols = np.nonzero(ground)
    patch = rgb[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    mid = patch[:, patch.shape[1] // 2]
    assert (mid.min(axis=1) > 0.97).sum() >= 2  # the white road inside the patch
    assert (mid.max(axis=1) < 0.7).sum() >= 1  # its darker casing


# ---------------------------------------------------------------------------------------------
# atomic writes


def test_failed_write_leaves_nothing(project, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from gridtool.maps.wallmap import render_wall_map

    out = tmp_path / "w.pdf"
    out.write_bytes(b"%PDF-1.4 old good file\n%%EOF\n")

    def broken(self, fname, **kw):
        Path(fname).write_bytes(b"%PDF-1.4 half a fi")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", broken)
    from gridtool.errors import GridtoolError

    with pytest.raises(GridtoolError, match="磁盘空间不足"):  # the plain words, not a traceback
        render_wall_map(project, out, size="A4")
    assert out.read_bytes().startswith(b"%PDF-1.4 old good file")  # the earlier file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["w.pdf"]  # no temporary file left


def test_truncated_files_are_detected(tmp_path):
    from PIL import Image

    from gridtool.maps.paper import ExportError, verify_output

    png = tmp_path / "a.png"
    Image.new("RGB", (300, 200), "white").save(png)
    verify_output(png, "png", expected_px=(300, 200))
    with pytest.raises(ExportError, match="size"):
        verify_output(png, "png", expected_px=(600, 400))
    data = png.read_bytes()
    png.write_bytes(data[: len(data) // 2])
    with pytest.raises(ExportError):
        verify_output(png, "png", expected_px=(300, 200))
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj\n")
    with pytest.raises(ExportError, match="truncated"):
        verify_output(pdf, "pdf")
    svg = tmp_path / "a.svg"
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg'><g>")
    with pytest.raises(ExportError):
        verify_output(svg, "svg")


# ---------------------------------------------------------------------------------------------
# atlas, assessment, route cards


def test_atlas_pages_text_and_masking(project, tmp_path):
    from gridtool.maps.atlas import write_atlas

    pdf = write_atlas(project, tmp_path / "atlas.pdf", date="2025-01-02")
    reader = pypdf.PdfReader(str(pdf))
    assert len(reader.pages) == 1 + 1 + 1 + 4  # cover, index map, index table, four grids
    text = pdf_text(pdf)
    for s in ("网格图册", "索引图", "网格索引", "子网格花名册", "500101001001-01-01", "500101001002-02", "东方广场社区"):
        assert s in text, s
    assert "欧**娜" in text and "欧阳娜娜" not in text  # party member masked
    assert "138****1234" in text and PHONE not in text  # worker's phone masked
    assert "赵*" in text and "赵六" not in text
    assert "已遮蔽" in text
    full = write_atlas(project, tmp_path / "atlas-full.pdf", include_personal=True, grids=["500101001001-01"])
    t = pdf_text(full)
    assert len(pypdf.PdfReader(str(full)).pages) == 4
    assert "欧阳娜娜" in t and PHONE in t and "赵六" in t


def test_partial_atlas_index_map_gives_pages_only_to_its_grids(project, tmp_path):
    """An atlas of some grids (--atlas-grids) labelled every other grid on its index map 第页, a page
    number left blank; now those show their number only and the subtitle says which carry pages."""
    from gridtool.maps.atlas import write_atlas

    codes = project.layers["grids"].gdf["code"].astype(str).tolist()
    pdf = write_atlas(project, tmp_path / "part.pdf", grids=[codes[0]], date="2025-01-02")
    index_map = pypdf.PdfReader(str(pdf)).pages[1].extract_text()
    assert "索引图" in index_map and "第页" not in index_map
    assert "第4页" in index_map and "本册 1 个网格标有页码" in index_map
    others = [c.rsplit("-", 1)[-1] for c in codes[1:]]
    assert any(o in index_map for o in others)


def test_atlas_long_roster_continues(tmp_path):
    from gridtool.layers import Layer
    from gridtool.maps.atlas import ROSTER_ROWS_FIRST, write_atlas

    p = make_project()
    sub = p.layers["subgrids"].gdf
    g0 = p.layers["grids"].gdf.iloc[0]
    x0, y0, x1, y1 = g0.geometry.bounds
    rows = [{"grid": g0["code"], "hh": 30, "kind": "area", "code": f"{g0['code']}-{k + 1:02d}",
             "geometry": box(x0, y0 + k * 20, x1, y0 + k * 20 + 20)} for k in range(ROSTER_ROWS_FIRST + 5)]
    others = sub[sub["grid"] != g0["code"]]
    p.layers["subgrids"] = Layer(role="subgrids", gdf=gpd.GeoDataFrame(
        [*rows, *others.to_dict("records")], crs=GK108), source="")
    pdf = write_atlas(p, tmp_path / "a.pdf", grids=[g0["code"]])
    assert len(pypdf.PdfReader(str(pdf)).pages) == 3 + 2
    assert "（续）" in pdf_text(pdf)


def test_assessment_map_and_missing_field(project, tmp_path):
    from gridtool.errors import MissingColumnError
    from gridtool.maps.assessment import render_assessment_map

    with pytest.raises(MissingColumnError) as e:
        render_assessment_map(project, tmp_path / "a.pdf", field="考核得分")
    msg = str(e.value)
    assert "考核得分" in msg and "worker" in msg and "polsby_popper" in msg and "hh" in msg
    assert not (tmp_path / "a.pdf").exists()
    grids = project.layers["grids"].gdf
    grids["rating"] = ["红", "绿", 3, "优秀"]
    try:
        pdf = render_assessment_map(project, tmp_path / "a.pdf", field="rating", size="A4")
    finally:
        del grids["rating"]
    text = pdf_text(pdf)
    assert "五色图" in text and "考核等级" in text
    # Class names and ranks 1–5: each class with its rank and number of grids (优秀 is green).
    for s in ("红 1 级 · 1 个", "绿 5 级 · 2 个", "黄 3 级 · 1 个", "橙 2 级 · 0 个"):
        assert s in text, s


def test_route_cards(project, tmp_path):
    from gridtool.maps.cards import cards_from_project, write_route_cards

    cards = cards_from_project(project)
    assert [c["team"] for c in cards] == [1, 2] and [s["seq"] for s in cards[0]["stops"]] == [1, 2, 3]
    pdf = write_route_cards(project, tmp_path / "cards.pdf", date="2025-01-02")
    assert len(pypdf.PdfReader(str(pdf)).pages) == 2
    text = pdf_text(pdf)
    for s in ("巡逻路线卡", "第1队", "第2队", "实验小学", "14:30", "16:30-17:30", "城南派出所", "序号", "停留"):
        assert s in text, s


def test_route_cards_need_routes(tmp_path):
    from gridtool.maps.cards import write_route_cards
    from gridtool.maps.paper import ExportError

    p = make_project()
    del p.layers["routes"]
    with pytest.raises(ExportError, match="patrol"):
        write_route_cards(p, tmp_path / "c.pdf")


# ---------------------------------------------------------------------------------------------
# command line


def test_print_arguments_and_run_print(project, tmp_path):
    from gridtool.commands.export import add_print_arguments, run_print

    ap = argparse.ArgumentParser()
    ap.add_argument("project")
    add_print_arguments(ap)
    args = ap.parse_args([str(tmp_path / "p.gpkg"), "--pdf", str(tmp_path / "w.pdf"), "--png", str(tmp_path / "w.png"),
                          "--size", "a4", "--landscape", "--scale", "1:10,000", "--dpi", "40", "--title", "标题",
                          "--assessment", "polsby_popper", "--route-cards", str(tmp_path / "c.pdf")])
    assert args.size == "A4" and args.scale == 10000 and args.landscape and not args.include_personal
    files = run_print(args, project)
    assert [f.name for f in files] == ["w.pdf", "w.png", "w-assessment-polsby_popper.pdf", "c.pdf"]
    assert all(f.stat().st_size > 1000 for f in files)
    assert "1:10,000" in pdf_text(files[0])
    with pytest.raises(SystemExit):
        ap.parse_args(["x", "--size", "B5"])


def test_export_command_end_to_end(project, tmp_path, capsys):
    from gridtool.cli import main

    path = tmp_path / "proj.gpkg"
    project.save(path)
    rc = main(["export", str(path), "--pdf", str(tmp_path / "w.pdf"), "--atlas", str(tmp_path / "a.pdf"),
               "--size", "A4", "--quiet"])
    assert rc in (0, None)
    assert (tmp_path / "w.pdf").exists() and (tmp_path / "a.pdf").exists()
    assert "500101001001-01" in pdf_text(tmp_path / "a.pdf")


def test_qt_loads_the_bundled_font():
    """The desktop app's font: Qt registers the bundled file and finds glyphs for Chinese."""
    pytest.importorskip("PyQt6.QtGui", reason="PyQt6 not installed (pip install -e '.[gui]')")
    import os
    import sys

    script = (
        "import sys\n"
        "from PyQt6.QtGui import QGuiApplication, QFont, QFontMetrics, QRawFont\n"
        "app = QGuiApplication(sys.argv)\n"
        "from gridtool.ui.fonts import qt_font_family\n"
        "fam = qt_font_family()\n"
        "raw = QRawFont.fromFont(QFont(fam, 12))\n"
        "print(fam, all(raw.supportsCharacter(c) for c in '网格员东方广场社区'))\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("True") and "Noto Sans SC Gridtool" in out.stdout


def test_cancel_leaves_no_file(project, tmp_path):
    from gridtool.errors import CancelledError
    from gridtool.maps.atlas import write_atlas
    from gridtool.maps.wallmap import render_wall_map

    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(CancelledError):
        render_wall_map(project, tmp_path / "w.pdf", size="A4", cancelled=cancelled)
    calls.clear()
    with pytest.raises(CancelledError):
        write_atlas(project, tmp_path / "a.pdf", cancelled=cancelled)
    assert list(tmp_path.iterdir()) == []


def test_demo_print_writes_the_set(project, tmp_path):
    from gridtool.commands.demo import demo_print

    files = demo_print(project, tmp_path, "t")
    assert set(files) == {"wall_pdf", "wall_png", "wall_svg", "atlas", "assessment", "route_cards"}
    assert all(Path(f).stat().st_size > 1000 for f in files.values())


def test_legend_font_fits_the_longest_line_in_the_panel_width():
    # The side panel of a landscape sheet: the grid-code note is the longest legend line and ran
    # past the sheet's frame (…（完整编码见台账 cut off); the legend's font now fits it in the width.
    from gridtool.maps.draw import text_width_pt
    from gridtool.maps.wallmap import PT_PER_MM, _legend_fit
    labels = ["基础网格（相邻网格不同色）", "林地", "山脊线（高程模型 N42E001.hgt.zip）",
              "网格注村（社区）内序号：18 即 5-18（完整编码见台账）"]
    width = 62.0
    ncol, fs = _legend_fit(labels, 7.5, width, 200.0, max_ncol=2)
    em = fs / PT_PER_MM
    widest = max(text_width_pt(t, fs) for t in labels) / PT_PER_MM
    assert ncol == 1 and (2.6 + 0.8) * em + widest <= width
    assert fs < 7.5
    # Where everything fits, the font is left as it was.
    assert _legend_fit(labels[:2], 7.5, width, 200.0, max_ncol=2)[1] == 7.5
