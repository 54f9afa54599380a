"""Outputs a planner reads (round 29): every corridor of the plan is drawn on the HTML map, however
small (the Nanjing demo's map said ``专项网格 1 个未画出`` for a river sliver's corridor)."""

from __future__ import annotations

import copy

import geopandas as gpd
import pandas as pd
from shapely.geometry import MultiPolygon, box

from .maps_data import X0, Y0, make_project


def test_a_corridor_of_slivers_is_still_drawn_on_the_html_map():
    from gridtool.layers import Layer
    from gridtool.maps.html import build_html
    p = make_project()
    c = p.layers["corridors"].gdf
    # a river corridor made of two specks along a bend: 19 m × 10 m (190 m²) and 5 m × 4 m
    sliver = MultiPolygon([box(X0 + 300, Y0 + 600, X0 + 319, Y0 + 610), box(X0 + 330, Y0 + 600, X0 + 335, Y0 + 604)])
    row = gpd.GeoDataFrame([{"code": "ZX-河流-2", "kind": "river", "name": "小河专项网格", "width_m": 50.0}],
                           geometry=[sliver], crs=c.crs)
    q = copy.copy(p)
    q.layers = dict(p.layers)
    q.layers["corridors"] = Layer(role="corridors", gdf=gpd.GeoDataFrame(
        pd.concat([c, row], ignore_index=True), crs=c.crs), source="")
    m = build_html(q)
    assert m.counts["corridors"] == 2, m.left_out
    assert m.left_out_text(lambda r: r) == "" and "未画出" not in m.html


def test_html_lines_left_out_are_named_by_handle_in_chinese():
    # The export's console said 道路 1 个未画出（…：handle 2032B）: the DXF handle in English words.
    from gridtool.maps.html import build_html
    m = build_html(make_project())
    m.left_out = {"roads": {"short": ["handle 2032B", "FID 7"]}}
    assert m.left_out_text(lambda r: "道路") == "道路 2 个未画出（短于或小于约 1 米，在网页地图上缩成一点：句柄 2032B、FID 7）"
    assert "handle 2032B, FID 7" in m.left_out_text(lambda r: "roads", zh=False)


def test_features_in_a_message_read_as_a_sentence_not_a_python_list():
    """A problem's English said ``features=[row 3, row 4, … (+17)]``."""
    from gridtool.errors import GridtoolError
    from gridtool.problems import Problem
    p = Problem("warning", "hh_zero", "户数为 0", "household count is 0", file="住户.xlsx", field="户数",
                features=[f"row {i}" for i in range(3, 40)] + ["row 45"])
    assert p.where("zh").endswith("要素：第 3–39 行、第45行") and p.where("en").endswith("features rows 3–39, row 45")
    q = Problem("error", "bad_geometry", "几何无效", "invalid geometry", features=list(range(0, 200, 2)))
    zh, en = q.where("zh"), q.where("en")
    assert "[" not in zh + en and zh.startswith("要素：0、2、4") and zh.endswith("38……等 100 个")
    assert en.startswith("features 0, 2, 4") and en.endswith("38 … and 80 more")
    e = GridtoolError("坏", "bad", layer="roads", feature=[3, 5, 8])
    assert e.format("zh") == "坏（图层：roads，要素：3、5、8）" and e.format("en") == "bad (layer=roads, features 3, 5, 8)"


def test_the_english_html_map_counts_one_household_in_its_tooltips(tmp_path):
    """A household point's tooltip in the English map read ``1 households``."""
    import re

    import pytest

    from gridtool.maps.html import write_html

    from .test_maps_html import CHROMIUM, _chromium
    if CHROMIUM is None:
        pytest.skip("headless Chromium not installed")
    p = make_project()
    hh = p.layers["households"].gdf["hh"]
    assert (hh == 1).any() and (hh > 1).any()
    page = tmp_path / "map.html"
    write_html(p, page, lang="en")
    html = page.read_text(encoding="utf-8")
    assert "{hh} households" not in html and "{hh|household|households}" in html
    probe = tmp_path / "probe.html"
    probe.write_text(html + """
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
      if (el) { var d = document.createElement("p"); d.textContent = el.textContent; out.appendChild(d); }
    });
  });
  setTimeout(function () { document.title = "tips=" + out.children.length; }, 300);
})();
</script>""", encoding="utf-8")
    dom = _chromium(["--dump-dom", probe.as_uri()], tmp_path).stdout
    tips = re.findall(r"<p>([^<]*)</p>", dom[dom.index('id="gt-test-out"'):])
    said = " | ".join(tips)
    assert re.search(r"(?<![\d,])1 household\b(?!s)", said), said
    assert re.search(r"\b[2-5] households\b", said) and not re.search(r"(?<![\d,])1 households", said), said
    assert "|household|" not in said
