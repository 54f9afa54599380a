"""Chinese throughout (``--lang zh``, the default): titles that belong to the township, CRS in
Chinese on every print, an HTML map whose Chinese renders without any CJK font on the machine,
Chinese shapefile fields, console messages without English field labels."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from gridtool.cli import main
from gridtool.maps import gis
from gridtool.maps.html import build_html, write_html
from gridtool.maps.titles import find_place, map_title

from .maps_data import make_project

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome",
                                                        "google-chrome-stable")) if p), None)
PDFTOTEXT = shutil.which("pdftotext")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed")
needs_pdftotext = pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) not installed")

#: English that must never reach a Chinese print (the old footer, legend and scale bar).
ENGLISH_LEAKS = ("Gauss", "Kruger", "CGCS2000 /", "contributors", "households", "grids", "legend", " km", " m\n",
                 "feet", " ft", "school", "find grid", "p.")


@pytest.fixture
def township_project():
    """The export test township, its villages with the 乡镇/区县 columns a county's data carries."""
    p = make_project()
    v = p.layers["villages"].gdf
    v["乡镇"] = "东港镇"
    v["区县"] = "锡山区"
    return p


def test_place_and_titles_come_from_the_data_never_a_file_name(township_project):
    p = township_project
    assert find_place(p).label == "锡山区东港镇"
    assert map_title(p) == "锡山区东港镇网格化管理分布图"
    assert map_title(p, "atlas", township="东港镇") == "东港镇网格图册"
    # Full village names (三调 style) give the township when there is no column.
    v = p.layers["villages"].gdf.drop(columns=["乡镇", "区县"])
    v["name"] = ["锡山区东港镇张泾村", "锡山区东港镇东亭社区"]
    p.layers["villages"].gdf = v
    assert find_place(p).label == "锡山区东港镇" and find_place(p).source == "village names"
    # Nothing in the data: a neutral title, not the project's (file) name.
    v["name"] = ["张泾村", "东亭社区"]
    assert map_title(p) == "网格化管理分布图" and p.name not in map_title(p)


def _pdf_text(path: Path) -> str:
    return subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@needs_pdftotext
def test_every_print_is_titled_and_footed_in_chinese(township_project, tmp_path, capsys):
    proj = tmp_path / "村民花名册0612.gpkg"  # a file name that must never become a title
    township_project.save(proj)
    assert main(["export", str(proj), "--pdf", str(tmp_path / "挂图.pdf"), "--atlas", str(tmp_path / "图册.pdf"),
                 "--route-cards", str(tmp_path / "路线卡.pdf"), "--assessment", "polsby_popper",
                 "--assessment-out", str(tmp_path / "五色图.pdf"), "--unit", "东港镇人民政府", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "地名“锡山区东港镇”取自村界图层的区县、乡镇列" in out  # the guess is said
    crs = "2000国家大地坐标系 3度带 中央经线108°"
    for name, title in (("挂图", "锡山区东港镇网格化管理分布图"), ("图册", "锡山区东港镇网格图册"),
                        ("路线卡", "锡山区东港镇巡逻路线卡"), ("五色图", "锡山区东港镇网格考核五色图")):
        text = _pdf_text(tmp_path / f"{name}.pdf")
        assert title in text, name
        assert crs in re.sub(r"\s+", " ", text), name
        assert "东港镇人民政府" in text, name
        assert "村民花名册0612" not in text, name
        for leak in ENGLISH_LEAKS:
            assert leak not in text, (name, leak)
    wall = _pdf_text(tmp_path / "挂图.pdf")
    assert re.search(r"\d+ (米|千米)", wall)  # the scale bar in Chinese units
    # --township names the place in every title.
    assert main(["export", str(proj), "--pdf", str(tmp_path / "b.pdf"), "--township", "东港镇", "--quiet"]) == 0
    assert "东港镇网格化管理分布图" in _pdf_text(tmp_path / "b.pdf")


def _visible_text(fragment: str) -> str:
    """Text a reader sees: tags, {field} placeholders and [[ ]] brackets removed."""
    text = re.sub(r"<[^>]*>", " ", fragment)
    return re.sub(r"\{\w+\}|\[\[|\]\]|&nbsp;", " ", text)


def _chrome_texts(html: str) -> list[str]:
    """The panel, legend, layer names and the tooltip/popup templates of the page."""
    panel = re.search(r'<div class="gt-panel gt-title">(.*?)<input', html, re.S).group(1)
    legend = re.search(r'<details class="gt-panel gt-legend".*?</details>', html, re.S).group(0)
    placeholder = re.search(r'placeholder="([^"]*)"', html).group(1)
    templates = [json.loads(f'"{t}"') for t in re.findall(r'"(?:tip|pop|label)":"((?:[^"\\]|\\.)*)"', html)]
    groups = [json.loads(f'"{g}"') for g in re.findall(r'"([^"]+)" : feature_group_\w+', html)]
    assert len(templates) >= 8 and len(groups) >= 8  # the checks below have something to check
    return [_visible_text(panel), _visible_text(legend), placeholder, *map(_visible_text, templates), *groups]


def test_html_in_chinese_only(township_project):
    html = build_html(township_project, embed_font=False).html
    texts = _chrome_texts(html)
    assert any("锡山区东港镇网格图" in t for t in texts) and any("制图单位" in t for t in texts)
    assert "查找网格编码或村名" in texts
    for t in texts:
        words = set(re.findall(r"[A-Za-z]{2,}", t)) - {"gridtool"}
        # Data may hold Latin text (the test village named <script>…): only gridtool's own words count.
        assert not words - {"script", "alert"}, (t, words)
    # Place categories in Chinese; a kept category (路口) as given, not "other".
    township_project.layers["places"].gdf.loc[0, "category"] = "路口"
    html = build_html(township_project, embed_font=False).html
    legend = re.search(r'<details class="gt-panel gt-legend".*?</details>', html, re.S).group(0)
    assert "路口" in legend and "学校 school" not in html
    # English on request.
    en = build_html(township_project, lang="en", embed_font=False).html
    legend = re.search(r'<details class="gt-panel gt-legend".*?</details>', en, re.S).group(0)
    assert "legend" in legend and "grids" in legend and "基础网格" not in legend


def test_the_font_subset_holds_exactly_the_page_characters(township_project):
    from fontTools.ttLib import TTFont
    import base64
    import io

    html = build_html(township_project).html
    b64 = re.search(r'url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)', html).group(1)
    font = TTFont(io.BytesIO(base64.b64decode(b64)))
    cmap = set(font.getBestCmap())
    for ch in "锡山区东港镇网格图查找网格编码或村名基础网格子网格专属网格重点场所东方广场社区个人信息已脱敏米公里":
        assert ord(ch) in cmap, ch
    assert ord("龘") not in cmap  # not on the page, not in the subset
    assert len(cmap) < 1500 and len(b64) < 600_000


def _chromium(args, tmp: Path) -> subprocess.CompletedProcess:
    """Chromium with a fontconfig that knows only DejaVu: no CJK font on this 'machine'."""
    conf = tmp / "fonts.conf"
    dirs = "".join(f"<dir>{d}</dir>" for d in ("/usr/share/fonts/truetype/dejavu",) if Path(d).is_dir())
    conf.write_text(f'<?xml version="1.0"?><fontconfig>{dirs}<cachedir>{tmp / "fc-cache"}</cachedir></fontconfig>')
    import os
    env = dict(os.environ, FONTCONFIG_FILE=str(conf))
    return subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", f"--user-data-dir={tmp / 'profile'}",
                           "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
                           "--window-size=1100,760", "--virtual-time-budget=8000", *args],
                          capture_output=True, text=True, timeout=90, env=env)


PROBE = """
<script>
document.fonts.ready.then(function () {
  function px(font, ch) {
    var c = document.createElement("canvas"); c.width = 64; c.height = 64;
    var g = c.getContext("2d"); g.fillStyle = "#fff"; g.fillRect(0, 0, 64, 64);
    g.fillStyle = "#000"; g.font = font; g.textBaseline = "top"; g.fillText(ch, 4, 4);
    return Array.prototype.join.call(g.getImageData(0, 0, 64, 64).data);
  }
  var page = getComputedStyle(document.querySelector(".gt-title h1")).fontFamily.split(",")[0];
  var emb = "48px " + page, sys = "48px sans-serif";
  var scale = document.querySelector(".leaflet-control-scale-line");
  document.title = "check=" + document.fonts.check("16px " + page, "网格") +
    " pageDiff=" + (px(emb, "网") !== px(emb, "格")) + " sysDiff=" + (px(sys, "网") !== px(sys, "格")) +
    " scale=" + (scale ? scale.textContent : "none") + " scales=" + document.querySelectorAll(
      ".leaflet-control-scale-line").length + " zoom=" + document.querySelector(".leaflet-control-zoom-in").title +
    " layers=" + document.querySelector(".leaflet-control-layers-toggle").title;
});
</script>"""


@needs_chromium
def test_chinese_renders_in_chromium_without_any_cjk_font(township_project, tmp_path):
    page = tmp_path / "map.html"
    write_html(township_project, page)
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8") + PROBE, encoding="utf-8")
    title = re.search(r"<title>([^<]*)</title>", _chromium(["--dump-dom", probe.as_uri()], tmp_path).stdout).group(1)
    # The machine has no CJK font: its sans-serif draws every Chinese character as the same box …
    assert "sysDiff=false" in title, title
    # … while the page's embedded font draws 网 and 格 as different glyphs.
    assert "check=true" in title and "pageDiff=true" in title, title
    # One scale bar, metric, in Chinese; zoom buttons titled in Chinese.
    assert re.search(r"scale=\d+ (米|公里) scales=1 ", title), title
    assert "zoom=放大" in title
    assert "layers=图层" in title  # Leaflet's layer switch says "Layers" on hover
    shot = tmp_path / "map.png"
    _chromium([f"--screenshot={shot}", page.as_uri()], tmp_path)
    from PIL import Image
    img = np.asarray(Image.open(shot).convert("L")).astype(int)
    panel = img[15:60, 65:380]  # the title "锡山区东港镇网格图": dark glyph strokes on white
    assert (panel < 100).mean() > 0.02


def test_shapefile_fields_and_values_in_chinese(township_project, tmp_path):
    for enc, codec in (("gbk", "gbk"), ("utf-8", "utf-8")):
        out = tmp_path / enc
        gis.write_shapefiles(township_project, out, encoding=enc)
        assert (out / "grids.cpg").read_text(encoding="ascii").strip() == enc.upper()
        info = pyogrio.read_info(out / "grids.shp", encoding=enc.upper())
        fields = list(info["fields"])
        for f in ("编码", "村社区", "户数", "状态", "紧凑度", "锁定"):
            assert f in fields, (enc, fields)
        assert all(len(f.encode(codec)) <= 10 for f in fields)
        assert not [f for f in fields if re.fullmatch(r"[a-z_]+", f)]  # no English field left
        g = pyogrio.read_dataframe(out / "grids.shp")
        assert g["状态"].tolist() == ["正常", "例外", "正常", "例外"]
        sp = pyogrio.read_dataframe(out / "special_grids.shp")
        assert sp["类别"].tolist() == ["学校"] and sp["类型"].tolist() == ["专属网格"]
        table = pd.read_csv(out / "fields.csv", encoding="utf-8-sig")
        assert list(table.columns) == ["图层文件", "图层名称", "项目字段", "Shapefile字段"]
        row = table[(table["图层文件"] == "grids") & (table["项目字段"] == "code")]
        assert row["Shapefile字段"].tolist() == ["编码"] and row["图层名称"].tolist() == ["基础网格"]
    # The GeoPackage keeps the project's schema (QGIS styles and re-imports rely on it).
    gis.write_gpkg(township_project, tmp_path / "g.gpkg")
    assert "code" in pyogrio.read_info(tmp_path / "g.gpkg", layer="grids")["fields"]


def test_console_progress_and_places_in_chinese(tmp_path, capsys, written):
    assert main(["partition", "--households", written["households"], "--villages", written["villages"],
                 "--min", "20", "--max", "400", "--out", str(tmp_path / "g.gpkg")]) == 0
    err = capsys.readouterr().err
    assert "[" in err and " / " not in err and not re.search(r"building blocks|grid layers|done", err)
    assert main(["--lang", "en", "partition", "--households", written["households"], "--villages",
                 written["villages"], "--min", "20", "--max", "400", "--out", str(tmp_path / "h.gpkg")]) == 0
    err = capsys.readouterr().err
    assert "building blocks" in err and "构建街区" not in err


@needs_pdftotext
def test_chinese_files_hold_no_english_words_or_codes(township_project, tmp_path):
    """Every file a Chinese user hands out, read as its reader sees it (tests/zh_text.py): no
    English word and no code of gridtool's (grid notes such as too_small, categories such as school,
    apartment parts as row 5#1/3, the rated field's name) is left; Latin text from the data is."""
    from .zh_text import data_words, latin_words, output_files, visible_texts

    subs = township_project.layers["subgrids"].gdf
    subs["apartment_parts"] = ["row 5#1/3;row 5#2/3"] + [""] * (len(subs) - 1)  # a building in 3 parts
    proj = tmp_path / "p.gpkg"
    township_project.save(proj)
    out = tmp_path / "out"
    assert main(["export", str(proj), "--html", str(out / "地图.html"), "--kml", str(out / "网格.kml"),
                 "--ledger", str(out / "台账.xlsx"), "--ledger-csv", str(out / "台账"), "--atlas", str(out / "图册.pdf"),
                 "--assessment", "polsby_popper", "--assessment-out", str(out / "五色图.pdf"), "--quiet"]) == 0
    files = output_files(out)
    assert len(files) >= 9
    # Latin text from the data, and the layer names KML folders carry after the Chinese (基础网格 grids:
    # the layer GDAL and users' scripts open by that name).
    known = data_words(township_project) | set(gis.LAYER_ZH)
    leaks = {f.name: words for f in files if (words := latin_words(visible_texts(f), known))}
    assert not leaks, leaks
    texts = [t for _, t in visible_texts(out / "台账.xlsx")]
    assert "第5行 第1–2/3部分" in texts  # part 1 and 2 of the 3 parts of the building in roster row 5
    assert any("考核字段：紧凑度" in t for _, t in visible_texts(out / "五色图.pdf"))
    notes = [t for w, t in visible_texts(out / "地图.html") if w.endswith(":note")]
    assert notes and all(not re.search(r"[a-z]{3}", t) for t in notes), notes


def test_plan_words_in_chinese():
    from gridtool.maps.plan_words import apartment_parts_zh, note_zh

    assert apartment_parts_zh("row 945#1/17") == "第945行 第1/17部分"
    assert apartment_parts_zh("FID 944#6/17;FID 944#7/17;FID 944#9/17;row 3#2/2") == \
        "FID 944 第6–7/17部分；FID 944 第9/17部分；第3行 第2/2部分"
    assert apartment_parts_zh("") is None and apartment_parts_zh("楼栋A") == "楼栋A"
    assert note_zh("too_small; edited") == "村（社区）户数不足，整村一格；已手工调整"
    assert note_zh("locked, 12 households outside 300-500") == "已锁定，12 户超出 300–500 户"
    # The atlas page's one header line: the short words (locked outside the bounds said in Chinese too).
    assert note_zh("too_small", short=True) == "户数不足"
    assert note_zh("locked, 12 households outside 300-500", short=True) == "已锁定，12 户超出 300–500 户"


def test_info_names_layers_in_chinese(township_project, tmp_path, capsys):
    proj = tmp_path / "p.gpkg"
    township_project.save(proj)
    assert main(["info", str(proj)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"基础网格（grids）\s+要素：4（基础网格 2、例外网格 2）", out), out
    assert "住户（households）" in out and not re.search(r"^\s+grids\s", out, re.M)
    assert main(["--lang", "en", "info", str(proj)]) == 0
    assert re.search(r"^\s+grids\s+features=4 \(2 base grids, 2 exception grids\)", capsys.readouterr().out, re.M)


def test_the_place_and_township_are_said_by_the_users_column_names(township_project, tmp_path, capsys):
    """Villages read from a 三调-style table with headers F1…F4: the title's place and the ledger's
    township were said to come from the "county、township" columns (gridtool's own names, English in
    Chinese output); now from F4、F3, the columns the user can find in the file."""
    v = township_project.layers["villages"]
    v.gdf = v.gdf.rename(columns={"乡镇": "township", "区县": "county"})
    v.columns_used = {**v.columns_used, "township": "F3", "county": "F4"}
    proj = tmp_path / "p.gpkg"
    township_project.save(proj)
    assert main(["export", str(proj), "--ledger", str(tmp_path / "台账.xlsx"), "--html", str(tmp_path / "m.html"),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "取自村界图层的F4、F3列" in out and "乡镇（街道）取自村界图层的“F3”列" in out
    assert "county、township" not in out and "“township”" not in out
