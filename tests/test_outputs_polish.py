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
