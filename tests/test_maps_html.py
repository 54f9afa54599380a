"""The offline HTML map, read back as a browser would: no network references, escaped data, masked
personal data, and a non-blank map in headless Chromium with the network blocked."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from gridtool.errors import GridtoolError, OverwriteInputError
from gridtool.maps import webgeom
from gridtool.maps.html import build_html, write_html
from gridtool.maps.offline import external_references
from gridtool.maps.privacy import mask_name

from .maps_data import ID_NUMBER, NAMES, PHONE, XSS, XSS_IMG, add_incidents, make_project
from .patrol_data import patrol_town, write_layers

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome",
                                                        "google-chrome-stable")) if p), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed "
                                    "(Debian: apt-get install chromium)")


@pytest.fixture(scope="module")
def project():
    return make_project()


@pytest.fixture(scope="module")
def page(project, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("html") / "map.html"
    write_html(project, path)
    return path


def _payloads(html: str) -> list[dict]:
    return [json.loads(m.group(1)) for m in re.finditer(r"gridtool\.addLayer\(\w+, \w+, (.*?)\);\n", html)]


class _Fetches(HTMLParser):
    """Every attribute through which a browser would load something."""

    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if v and k in ("src", "href", "data", "poster", "srcset", "background"):
                self.refs.append((tag, k, v))


def test_no_external_references(page):
    html = page.read_text(encoding="utf-8")
    parser = _Fetches()
    parser.feed(html)
    assert [r for r in parser.refs if not r[2].startswith(("data:", "#"))] == []
    for pattern in (r'src\s*=\s*["\']?https?:', r'href\s*=\s*["\']?https?:', r"url\(\s*['\"]?https?:",
                    r"//cdn", r"@import", r"https?://[^\s\"'<>]*\{z\}"):
        assert not re.search(pattern, html, re.IGNORECASE), pattern
    assert external_references(html) == []
    # Everything Leaflet needs is inline: the library, its CSS with images, our runtime.
    assert "L.version" in html or 't.version="1.9.4"' in html
    assert "url(data:image/png;base64," in html
    assert page.stat().st_size < 1_000_000


def test_layers_and_counts(project, page):
    m = build_html(project)
    assert m.counts["grids"] == 4 and m.counts["subgrids"] == 8 and m.counts["households"] == 60
    assert m.counts["routes"] == 2 and m.counts["route_stops"] == 5 and m.counts["circles"] == 2
    assert m.counts["places"] == 4 and m.counts["special_grids"] == 1 and m.counts["corridors"] == 1
    pays = {p["cols"].get("code", [None])[0]: p for p in _payloads(m.html) if p["kind"] == "polygon"}
    grid = pays["500101001001-01"]
    # Neighbouring grids get different fills.
    fills = [grid["pal"][i] for i in grid["fill"]]
    assert fills[0] != fills[1] and fills[1] != fills[2] and fills[2] != fills[3]
    # The grid worker is a person: masked by default, as on the wall map and in KML.
    assert grid["cols"]["worker"][0] == "赵*" and grid["cols"]["hh"] == [350, 360, 350, 360]
    # Routes carry direction arrows; stops their order numbers.
    routes = [p for p in _payloads(m.html) if p.get("arrows")]
    assert len(routes) == 1 and routes[0]["n"] == 2
    stops = [p for p in _payloads(m.html) if p["kind"] == "stop"][0]
    assert stops["cols"]["num"] == [1, 2, 3, 1, 2]
    # Legend in plain HTML with the Chinese layer names, layer control, search box.
    for text in ("<summary>图例</summary>", "基础网格", "子网格", "巡逻路线", "服务圈", "重点场所", "L.control.layers", "gt-search"):
        assert text in m.html


def test_data_text_is_escaped(page):
    html = page.read_text(encoding="utf-8")
    assert XSS not in html and XSS_IMG not in html
    assert "<img src=x" not in html
    villages = [p for p in _payloads(html) if p.get("labelClass") == "gt-village"][0]
    assert villages["cols"]["name"][1] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_personal_data_masked_by_default(project, page):
    html = page.read_text(encoding="utf-8")
    for raw in ("张三丰", "欧阳娜娜", PHONE, ID_NUMBER, "赵六"):
        assert raw not in html
    for masked in ("张*丰", "欧**娜", "138****1234", "110105********002X"):
        assert masked in html
    assert "个人信息已脱敏" in html
    full = build_html(project, include_personal=True).html
    assert "张三丰" in full and ID_NUMBER in full and "赵六" in full and "含个人信息" in full


def test_many_households_are_totals(project):
    m = build_html(project, max_household_points=10)
    assert "households" not in m.counts and m.counts["household_totals"] > 0
    totals = [p for p in _payloads(m.html) if "n" in p["cols"] and "k" in p["cols"]][0]
    assert sum(totals["cols"]["hh"]) == int(project.layers["households"].gdf["hh"].sum())
    assert "张*丰" not in m.html and "138****1234" not in m.html  # totals carry no personal data


def test_user_tiles(project):
    url = "https://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY"
    m = build_html(project, tiles=[url, "file:///srv/tiles/cva/{z}/{x}/{y}.png"], tiles_attr="<b>天地图</b>")
    assert url.replace("&", "\\u0026") in m.html or url in m.html
    # folium writes the attribution as JSON; decoded it is escaped text (Leaflet shows it as HTML).
    attrs = [json.loads(a) for a in re.findall(r'"attribution": (".*?"),', m.html)]
    assert attrs == ["&lt;b&gt;天地图&lt;/b&gt;"] * 2
    assert external_references(m.html, allowed=(url.split("?")[0],)) == []
    with pytest.raises(GridtoolError):
        build_html(project, tiles="https://example.org/tiles.png")


def test_never_overwrites_the_project(project, tmp_path):
    p = make_project()
    saved = p.save(tmp_path / "p.gpkg")
    from gridtool.project import Project
    q = Project.open(saved)
    before = saved.read_bytes()
    with pytest.raises(OverwriteInputError):
        write_html(q, saved)
    assert saved.read_bytes() == before


# -- incidents and hot spots (警情、警情热点) ----------------------------------------------------
ESCAPED_XSS = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(scope="module")
def patrolled(tmp_path_factory):
    """A town's incidents (one type a script tag, the caller's name and phone) through ``gridtool
    import``, ``patrol`` and ``export --html``: (page text, what patrol printed, project path)."""
    from gridtool import cli
    tmp = tmp_path_factory.mktemp("police")
    layers = patrol_town()
    inc = layers["incidents"]
    inc["警情类别"] = [XSS if i % 10 == 0 else t for i, t in enumerate(inc["警情类别"])]
    inc["联系电话"] = PHONE
    src = write_layers(tmp / "town.gpkg", layers)
    proj = tmp / "project.gpkg"
    assert cli.main(["import", *sum(([f"--{k}", v] for k, v in src.items()), []), "--out", str(proj)]) == 0
    import contextlib
    import io
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert cli.main(["patrol", str(proj), "--teams", "2", "--start", "14:00", "--time-limit", "0.3",
                         "--out", str(tmp / "p")]) == 0
    assert cli.main(["export", str(proj), "--html", str(tmp / "map.html")]) == 0
    return (tmp / "map.html").read_text(encoding="utf-8"), printed.getvalue(), proj


def _police_layers(html: str) -> tuple[dict, dict, dict]:
    pays = _payloads(html)
    incidents = [p for p in pays if p.get("cluster")]
    badges = [p for p in pays if p["kind"] == "badge"]
    areas = [p for p in pays if p["kind"] == "polygon" and "rank" in p["cols"]]
    assert len(incidents) == len(badges) == len(areas) == 1
    return incidents[0], badges[0], areas[0]


def test_incidents_and_hot_spots_state_what_patrol_printed(patrolled):
    html, printed, _ = patrolled
    incidents, badges, areas = _police_layers(html)
    # every incident record is a point of the clustered layer
    assert sum(g is not None for g in incidents["g"]) == len(patrol_town()["incidents"]) == 115
    # hot spots: the rank, street, count and share lines patrol printed (  1. 东3路：25 条（21.7%）…)
    lines = re.findall(r"^  (\d+)\. (\S+?)：(\d+) 条（([\d.]+%)）", printed, re.MULTILINE)
    assert lines and badges["n"] == areas["n"] == len(lines)
    c = badges["cols"]
    assert [(str(r), s, str(n), sh) for r, s, n, sh in zip(c["rank"], c["street"], c["n"], c["share"])] == lines
    # the summary line as printed (警情 115 条（…）；热点 3 处，含 57 条（50%）；核密度带宽 150 米)
    headline = next(x for x in printed.splitlines() if x.startswith("警情 "))
    assert f'<div class="gt-sub">{headline}</div>' in html
    # named in Chinese in the layer control (folium writes its names as JSON) and in the legend
    control = [json.loads(f'"{n}"') for n in re.findall(r'"((?:[^"\\]|\\.)*)" : feature_group_', html)]
    assert {"警情（聚合显示，数字为条数）", "警情热点（数字为排名）"} <= set(control)
    legend = html[html.index("<summary>图例</summary>"):]
    for text in ("<div class=\"gt-group\">警情</div>", "单条警情", "<div class=\"gt-group\">警情热点</div>",
                 "热点范围（沿街 75 米）"):
        assert text in legend


def test_incident_text_escaped_and_personal_data_masked(patrolled):
    html, _, proj = patrolled
    incidents, badges, _ = _police_layers(html)
    assert XSS not in html
    assert ESCAPED_XSS in incidents["cols"]["type"]
    # a main type of a hot spot, escaped (its "/" and ">" read as 类别/子类 separators: it shows split)
    assert any("&lt;script" in t for t in badges["cols"]["types"])
    assert not any("<" in t or ">" in t for t in badges["cols"]["types"])
    # the popup names the record's columns; the caller's name and phone are masked
    pop = incidents["pop"]
    name_col = next(k for k in incidents["cols"] if f"<th>报警人</th><td>{{{k}}}" in pop)
    phone_col = next(k for k in incidents["cols"] if f"<th>联系电话</th><td>{{{k}}}" in pop)
    assert incidents["cols"][name_col] == [mask_name(f"张{i}") for i in range(115)]  # 张*, 张*7, 张**3 …
    assert set(incidents["cols"][phone_col]) == {"138****1234"}
    assert PHONE not in html and "张17" not in html
    from gridtool.project import Project
    full = build_html(Project.open(proj), include_personal=True).html
    assert "张17" in full and PHONE in full


def test_police_layers_reference_nothing_remote(patrolled):
    html, _, _ = patrolled
    parser = _Fetches()
    parser.feed(html)
    assert [r for r in parser.refs if not r[2].startswith(("data:", "#"))] == []
    assert external_references(html) == []
    # the police layers' data and the legend name no address (the vendored CSS comments do)
    legend = html[html.index('<details class="gt-panel gt-legend"'):]
    legend = legend[:legend.index("</details>")]
    assert not re.search(r"https?:|//[a-z]", json.dumps(_police_layers(html)) + legend)


def test_many_incidents_clustered_in_the_page_data():
    m = build_html(add_incidents(make_project(), 3000))
    assert m.counts["incidents"] == 3000 and m.counts["hotspots"] == 3 and m.counts["hotspot_areas"] == 3
    incidents, badges, _ = _police_layers(m.html)
    assert incidents["n"] == 3000 and incidents["cluster"]["px"] > 0
    assert sum(badges["cols"]["n"]) == sum(add_incidents(make_project(), 3000).layers["hotspots"].gdf["incidents"])
    assert "警情 3000 条（3000 条在道路 100 米内）" in m.html
    for raw in NAMES[:2]:
        assert raw not in m.html


# -- geometry encoding --------------------------------------------------------------------------
def test_ring_encoding_round_trip():
    ring = np.array([(118.7712345, 32.0412345), (118.7722345, 32.0412345), (118.7722345, 32.0422345),
                     (118.7712345, 32.0412345)])
    enc = webgeom.encode_polygon(Polygon(ring))
    back = webgeom.decode_ring(enc[0][0])
    assert len(back) == 3  # closing vertex dropped, Leaflet closes rings
    assert np.allclose(back, ring[:3], atol=1e-5)
    assert all(abs(v) < 10_000 for v in enc[0][0][2:])  # deltas are small numbers


def test_coverage_simplification_keeps_neighbours_together():
    rng = np.random.default_rng(0)
    xs = np.linspace(0, 1000, 200)
    wiggle = 500 + rng.normal(0, 0.3, len(xs))
    border = list(zip(xs, wiggle))
    a = Polygon([(0, 0), (1000, 0)] + border[::-1])
    b = Polygon(border + [(1000, 1000), (0, 1000)])
    out = webgeom.simplify([a, b], 2.0, coverage=True)
    assert all(shapely.is_valid(out))
    assert shapely.get_num_coordinates(out).sum() < shapely.get_num_coordinates([a, b]).sum() / 2
    assert shapely.intersection(out[0], out[1]).area < 1e-6  # no overlap
    assert abs(shapely.union_all(out).area - 1_000_000) < 1.0  # no gap


def test_part_simplification_drops_specks():
    big = box(0, 0, 1000, 1000).difference(box(100, 100, 110, 110)).difference(box(500, 500, 700, 700))
    geom = shapely.MultiPolygon([big, box(2000, 0, 2005, 5)])
    out = webgeom.simplify_parts([geom], 1.0, min_area=2500)[0]
    assert len(shapely.get_parts(out)) == 1 and len(shapely.get_parts(out)[0].interiors) == 1


def test_zoom_tolerance_follows_feature_size():
    small = [box(i * 100, 0, i * 100 + 100, 100) for i in range(5)]
    large = [box(i * 5000, 0, i * 5000 + 5000, 5000) for i in range(5)]
    assert webgeom.zoom_tolerance(small) < webgeom.zoom_tolerance(large) <= 25


# -- in a browser -------------------------------------------------------------------------------
def _chromium(args: list[str], tmp: Path, timeout: int = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    return subprocess.run(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
         "--no-first-run", f"--user-data-dir={tmp / 'profile'}",
         # No network: every host name fails to resolve and any connection goes to a closed port.
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
         "--window-size=1000,760", "--virtual-time-budget=6000", *args],
        capture_output=True, text=True, timeout=timeout, env=env)


@needs_chromium
def test_opens_offline_in_chromium_and_is_not_blank(page, tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image
    shot = tmp_path / "map.png"
    _chromium([f"--screenshot={shot}", page.as_uri()], tmp_path)
    assert shot.exists(), "Chromium wrote no screenshot"
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    background = np.array([0xF4, 0xF2, 0xEC])
    map_area = img[120:-60, 320:-10]  # away from the title panel and the legend
    drawn = (np.abs(map_area - background).sum(axis=2) > 30).mean()
    assert drawn > 0.2, f"only {drawn:.1%} of the map area is drawn"
    colours = len(np.unique(map_area.reshape(-1, 3) // 8, axis=0))
    assert colours > 30


@needs_chromium
def test_tooltips_in_chromium_show_escaped_text(page, tmp_path):
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8") + """
<script>
(function () {
  var m = gridtoolMap, out = document.createElement("div");
  out.id = "gt-test-out"; document.body.appendChild(out);
  m.setView(m.getCenter(), 19, {animate: false});
  m.eachLayer(function (g) {
    if (!(g instanceof L.FeatureGroup) || !g.getTooltip || !g.getTooltip()) { return; }
    g.eachLayer(function (l) {
      g.getTooltip()._source = l;
      g.openTooltip(l.getLatLng ? l.getLatLng() : l.getBounds().getCenter());
      var el = g.getTooltip().getElement();
      if (el) { out.appendChild(el.cloneNode(true)); }
    });
  });
  setTimeout(function () {
    document.title = "XSS=" + (window.__xss || 0) + " tips=" + out.children.length +
      " container=" + document.querySelectorAll(".leaflet-container").length;
  }, 300);
})();
</script>""", encoding="utf-8")
    dom = _chromium(["--dump-dom", probe.as_uri()], tmp_path).stdout
    title = re.search(r"<title>([^<]*)</title>", dom).group(1)
    assert "XSS=0" in title and "container=1" in title
    assert int(re.search(r"tips=(\d+)", title).group(1)) >= 20
    tips = dom[dom.index('id="gt-test-out"'):]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in tips  # village name in grid tooltips, as text
    assert "&lt;img src=x" in tips  # the place name with an image tag, as text
    assert "<img" not in tips and "<script>alert" not in tips


@needs_chromium
def test_incidents_cluster_in_chromium(tmp_path):
    """At the whole-area view 3000 incidents are a few bubbles whose counts, with the single dots,
    add up to every incident; zoomed in on a hot spot there are no bubbles."""
    page = tmp_path / "police.html"
    write_html(add_incidents(make_project(), 3000), page)
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8") + """
<script>
(function () {
  var m = gridtoolMap;
  function count() {
    var bubbles = document.querySelectorAll(".gt-cluster"), sum = 0, dots = 0;
    bubbles.forEach(function (b) { sum += parseInt(b.textContent, 10); });
    m.eachLayer(function (l) { if (l instanceof L.CircleMarker && l.options.fillColor === "#c62828") { dots++; } });
    return [bubbles.length, sum, dots];
  }
  var whole = count(), badge = null;
  m.eachLayer(function (l) { if (!badge && l.options.icon && l.options.icon.options.className === "gt-badge-icon") {
    badge = l; } });
  m.setView(badge.getLatLng(), 19, {animate: false});
  var near = count();
  document.title = "whole=" + whole.join(",") + " near=" + near.join(",");
})();
</script>""", encoding="utf-8")
    dom = _chromium(["--dump-dom", probe.as_uri()], tmp_path).stdout
    whole, near = (list(map(int, x.split(","))) for x in re.search(r"whole=([\d,]+) near=([\d,]+)", dom).groups())
    assert 0 < whole[0] < 300 and whole[1] + whole[2] == 3000 and whole[2] < 300
    assert near[0] == 0 and 0 < near[2] < 3000


def test_title_counts_an_exception_grid_apart_as_the_totals_line():
    """The title panel's grid count says 基础网格 N 个、例外网格 M 个, as the totals line under it
    counts their households (it said "N+M 个基础网格")."""
    from gridtool.partition.totals import household_totals
    p = make_project()
    t = household_totals(p)
    assert t.exception_grids >= 1
    html = build_html(p).html
    assert t.grids_zh() in html and f"{t.base_grids + t.exception_grids} 个基础网格" not in html
    assert f"例外网格 {t.exception:,}" in html


def test_grid_labels_sit_inside_a_c_shaped_grid_where_the_wall_map_puts_them():
    """A grid shaped like a C (a 40 m back joining two 400 m arms): its label goes to the widest
    part, where the wall map puts it, not into the thin back (GEOS's point on the surface, 20 m
    from the edge) nor outside (the centroid, in the C's mouth)."""
    import geopandas as gpd

    from gridtool.maps.draw import label_points as wall_points

    from .maps_data import GK108, X0, Y0
    p = make_project()
    g = p.layers["grids"].gdf
    c_shape = box(X0, Y0, X0 + 500, Y0 + 1000).difference(box(X0 + 40, Y0 + 400, X0 + 500, Y0 + 600))
    p.layers["grids"].gdf = g.set_geometry(
        [c_shape if i == 0 else geom for i, geom in enumerate(g.geometry)], crs=g.crs)
    assert not c_shape.contains(c_shape.centroid)
    grids = next(d for d in _payloads(build_html(p).html) if d.get("key") == "code" and "lp" in d
                 and "range" in d["cols"])
    i = grids["cols"]["code"].index(g["code"].iloc[0])
    lon, lat = (v / grids["q"] for v in grids["lp"][i])
    at = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=4326).to_crs(GK108).iloc[0]
    assert c_shape.contains(at) and c_shape.exterior.distance(at) > 100  # the back is 40 m wide
    # The same point on the wall map (and in the app, which calls the same function).
    from gridtool.spatial import label_points
    wall = wall_points([c_shape])[0]
    assert wall.distance(at) < 2 and label_points([c_shape])[0].equals(wall)


def test_many_households_without_sub_grids_are_totals_per_grid_with_divided_buildings_spread():
    """Without sub-grids the map totals households per grid: a building divided between two grids
    (``grid_parts``) counts its households in each, as the grids' own totals do, and the building
    once, in the grid holding it (before, all 40 households went to the grid named in ``grid``)."""
    from collections import Counter

    from gridtool.values import parse_grid_parts

    project = make_project()
    project.layers.pop("subgrids")
    hs = project.layers["households"].gdf.drop(columns=["subgrid"]).copy()
    codes = sorted(set(hs["grid"]))
    hs["grid_parts"] = ""
    hs.loc[hs.index[0], ["hh", "grid", "grid_parts"]] = [40, codes[0], f"{codes[0]}:25;{codes[1]}:15"]
    project.layers["households"].gdf = hs
    want: Counter = Counter()
    for g, gp, n in zip(hs["grid"], hs["grid_parts"], hs["hh"]):
        want.update(dict(parse_grid_parts(gp)) or {g: int(n)})
    totals = [p for p in _payloads(build_html(project, max_household_points=10).html)
              if "n" in p["cols"] and "k" in p["cols"]][0]["cols"]
    assert dict(zip(totals["k"], totals["hh"])) == dict(want)
    assert dict(zip(totals["k"], totals["n"])) == dict(Counter(hs["grid"]))


def test_overlapping_service_circles_do_not_darken_the_grids_under_them():
    """Three stations in one block (the Nanjing sample's south-east): a translucent fill per circle
    stacked into a dark smear. Each station's circle is an outline; the area within each time is
    filled once, in bands that do not overlap; the whole stays one toggleable group."""
    import copy

    import geopandas as gpd

    from gridtool.layers import Layer
    from gridtool.maps.webgeom import decode_ring
    from shapely.geometry import Point

    from .maps_data import GK108, X0, Y0

    p = copy.copy(make_project())
    p.layers = dict(p.layers)
    rows = [{"station": f"派出所{k}", "minutes": m, "mode": "walk",
             "geometry": Point(X0 + 1200 + 60 * k, Y0 + 500).buffer(r)}
            for k in range(3) for m, r in ((10, 450), (15, 700))]
    p.layers["circles"] = Layer(role="circles", gdf=gpd.GeoDataFrame(rows, crs=GK108), source="")
    m = build_html(p)
    pays = _payloads(m.html)
    outlines = next(d for d in pays if d["kind"] == "polygon" and "station" in d["cols"])
    assert outlines["n"] == 6 and outlines["strokeOnly"] and outlines["style"]["fill"] is False
    cover = [d for d in pays if d["kind"] == "polygon" and list(d["cols"]) == ["min"]]
    assert len(cover) == 1 and cover[0]["cols"]["min"] == ["10", "15"]
    q = cover[0]["q"]
    bands = [shapely.union_all([Polygon(decode_ring(part[0], q), [decode_ring(h, q) for h in part[1:]])
                                for part in g]) for g in cover[0]["g"]]
    # Filled once: the 10–15 minute band does not overlap the 10-minute area (up to simplification).
    assert shapely.intersection(bands[0], bands[1]).area < 0.01 * bands[0].area
    assert m.counts["circles"] == 6 and "circle_cover" not in m.counts
    assert "10 分钟内" in m.html and "10–15 分钟" in m.html
