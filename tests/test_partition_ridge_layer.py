"""The ridges a partition followed are kept and shown: the project layer ``ridges`` (山脊线, with
length and the DEM's name, saved in the GeoPackage), on the wall map with a legend entry naming the
DEM, on the HTML map, in the GIS export with its QGIS style and on the app's map canvas. Batch
modes follow them too. (The two valleys of ``test_partition_ridge_lines``.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyogrio
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from test_partition_ridge_lines import _dem, _layers, _plan  # noqa: E402

from gridtool.layers import Layer  # noqa: E402
from gridtool.project import Project  # noqa: E402

LEGEND = "山脊线（高程模型 山区高程.tif）"


def test_the_ridges_followed_are_a_project_layer_saved_with_the_project(tmp_path):
    p, gp = _plan(_dem())
    r = p.layers["ridges"].gdf
    assert len(r) >= 1 and set(r["dem"]) == {"山区高程.tif"} and set(r["village"]) == {"双河村"}
    # the figures the console prints are the layer's: 1.2 km of ridge lines
    t = gp.report_["plan"]["terrain"]
    assert round(r["length_m"].sum() / 1000, 1) == t["ridge_km"] and len(r) == t["ridge_lines"]
    assert shapely.get_type_id(r.geometry.values).tolist() == [1] * len(r)  # lines
    back = Project.open(p.save(tmp_path / "双河.gpkg"))
    assert back.layers["ridges"].gdf["length_m"].tolist() == r["length_m"].tolist()
    # switched off (or no DEM): no ridges claimed, and an earlier partition's ridges are gone
    gp_off = type(gp)(min_hh=300, max_hh=500, corridor_width=0, terrain=False).fit(back)
    from gridtool.partition.output import apply_to_project
    apply_to_project(back, gp_off)
    assert "ridges" not in back.layers
    p0, _ = _plan(None)
    assert "ridges" not in p0.layers


def test_the_wall_map_draws_the_ridges_with_a_legend_naming_the_dem():
    from matplotlib.figure import Figure

    from gridtool.maps.wallmap import draw_wall_map
    p, _ = _plan(_dem())
    fig = Figure()
    info = draw_wall_map(fig, p, size="A4", labels=False)
    legend = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert "ridges" in info.layers and LEGEND in legend
    p.layers.pop("ridges")
    fig = Figure()
    info = draw_wall_map(fig, p, size="A4", labels=False)
    legend = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert "ridges" not in info.layers and not [t for t in legend if "山脊" in t]


def test_the_html_map_and_the_gis_export_carry_the_ridges(tmp_path):
    from gridtool.maps.gis import write_gpkg
    from gridtool.maps.html import build_html
    p, _ = _plan(_dem())
    m = build_html(p, embed_font=False)
    assert m.counts["ridges"] == len(p.layers["ridges"].gdf)
    assert LEGEND in m.html and "网格边界沿山脊划分" in m.html
    out = tmp_path / "gis.gpkg"
    write_gpkg(p, out)
    layers = {str(n) for n, _ in pyogrio.list_layers(out)}
    assert "ridges" in layers
    r = pyogrio.read_dataframe(out, layer="ridges")
    assert set(r["dem"]) == {"山区高程.tif"} and len(r) == len(p.layers["ridges"].gdf)
    styles = pyogrio.read_dataframe(out, layer="layer_styles", read_geometry=False)
    qml = styles.loc[styles["f_table_name"] == "ridges", "styleQML"].iloc[0]
    assert "140,81,10" in qml and LEGEND in qml  # the wall map's brown, and its legend words


def test_the_app_canvas_draws_the_ridges_as_brown_dashes():
    from gridtool.ui.map_layers import LayerStack
    p, _ = _plan(_dem())
    stack = LayerStack()
    stack.sync(p)
    m = stack.get("ridges")
    assert m is not None and m.visible and m.family == "line" and m.style.dash
    assert m.style.stroke[:3] == (140, 81, 10)
    # above the grids' fills, so a ridge across a grid shows
    assert stack.roles().index("ridges") < stack.roles().index("grids")


def _saved(tmp_path) -> Path:
    layers = _layers()
    p = Project(name="双河", crs=layers["villages"].crs)
    for role, gdf in layers.items():
        p.layers[role] = Layer(role=role, gdf=gdf)
    p.dem = _dem()
    return p.save(tmp_path / "双河.gpkg")


def test_batch_modes_follow_the_ridges_too(tmp_path, capsys):
    """Chunks get their villages' ridge lines from the client (before, the batch fitted them
    without the DEM and said so): the same line as one fit, the ridges layer in the result."""
    from gridtool.cli import main
    src = _saved(tmp_path)
    out = tmp_path / "batch.gpkg"
    assert main(["partition", str(src), "--out", str(out), "--by", "village", "--no-subgrids",
                 "--corridor-width", "0", "--report", str(tmp_path / "b.json"), "--quiet"]) == 0
    said = capsys.readouterr().out
    assert "网格边界沿山脊：由高程模型 山区高程.tif 得到山脊线 1.2 公里" in said and "批量划分" not in said
    rep = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    t = rep["plan"]["terrain"]
    assert t["used"] and t["dem"] == "山区高程.tif" and t["ridge_km"] == 1.2
    got = Project.open(out)
    assert got.layers["ridges"].gdf["village"].tolist() == ["双河村"] * t["ridge_lines"]
    # one grid per valley, as with one fit
    p, _ = _plan(_dem())
    assert sorted(got.layers["grids"].gdf["hh"]) == sorted(p.layers["grids"].gdf["hh"])
    # --ignore-terrain: the usual line, and no ridges layer
    assert main(["partition", str(src), "--out", str(out), "--by", "village", "--no-subgrids",
                 "--corridor-width", "0", "--ignore-terrain", "--quiet", "--force"]) == 0
    said = capsys.readouterr().out
    assert "未使用高程模型（山区高程.tif）中的山脊（--ignore-terrain）" in said
    assert "ridges" not in Project.open(out).layers
