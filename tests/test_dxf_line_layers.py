"""A survey drawing given as rivers or railways: only its water or railway layers are barriers, not its
contours, building outlines, boundaries and pipes; what was read and left out is said."""

from __future__ import annotations

import pytest

from gridtool.errors import GeometryTypeError
from gridtool.layers import load_layer

from .dxf_data import X0, Y0, _pairs, line, polyline, write_dxf

EPSG = "EPSG:4549"


def _coded(layer: str, a, b, code: str, app: str = "SOUTH") -> str:
    """A LINE with a feature code in its extended data (CASS writes app SOUTH)."""
    return _pairs((0, "LINE"), (8, layer), (10, a[0]), (20, a[1]), (30, 0), (11, b[0]), (21, b[1]), (31, 0),
                  (1001, app), (1000, code))


def _others() -> str:
    """What a 1:500 survey drawing holds beside water: contours, houses (closed), boundary, pipe, road."""
    ents = "".join(polyline("DGX", [(X0 + 40 * i, Y0), (X0 + 40 * i + 30, Y0 + 400), (X0 + 40 * i, Y0 + 800)])
                   for i in range(12))
    ents += "".join(polyline("JMD", [(X0 + 20 * i, Y0 + 100), (X0 + 20 * i + 10, Y0 + 100),
                                     (X0 + 20 * i + 10, Y0 + 110), (X0 + 20 * i, Y0 + 110)], closed=True)
                    for i in range(5))
    ents += line("JJ", (X0, Y0 + 1000), (X0 + 2000, Y0 + 1000))
    ents += line("GXYZ", (X0, Y0 + 700), (X0 + 2000, Y0 + 720))
    ents += line("DLSS", (X0, Y0 + 650), (X0 + 2000, Y0 + 650))
    return ents


def test_a_survey_drawing_given_as_rivers_reads_its_water_layers_only(tmp_path):
    ents = _others() + "".join(line("河流", (X0, Y0 + 300 * i), (X0 + 2000, Y0 + 300 * i + 50)) for i in range(3))
    ents += line("沟渠", (X0 + 500, Y0), (X0 + 500, Y0 + 900)) + line("SXSS", (X0 + 900, Y0), (X0 + 900, Y0 + 900))
    lyr = load_layer("rivers", str(write_dxf(tmp_path / "地形图.dxf", ents)), crs_in=EPSG)
    assert sorted(lyr.gdf["Layer"]) == ["SXSS", "沟渠", "河流", "河流", "河流"]
    assert set(lyr.gdf.geom_type) == {"LineString"}  # the houses did not become water areas
    assert lyr.gdf.loc[lyr.gdf["Layer"] == "沟渠", "kind"].tolist() == ["ditch"]
    said = next(p for p in lyr.problems if p.code == "dxf_river_layers")
    assert "已读入 5 条" in said.zh and "河流（3）" in said.zh and "SXSS（1，水系）" in said.zh
    assert "DGX（12，等高线）" in said.zh and "JMD（5，居民地）" in said.zh and "GXYZ（1，管线）" in said.zh
    assert "DGX (12, contours)" in said.en and "20 lines on other layers" in said.en
    assert "文件.dxf:图层1,图层2" in said.fix_zh and "FILE.dxf:LAYER1,LAYER2" in said.fix_en
    # The user may still name any layer: then it is read as given.
    chosen = load_layer("rivers", f"{tmp_path / '地形图.dxf'}:DGX", crs_in=EPSG)
    assert len(chosen.gdf) == 12 and not [p for p in chosen.problems if p.code == "dxf_river_layers"]


def test_feature_codes_say_which_lines_are_water(tmp_path):
    ents = _others()
    ents += _coded("0", (X0, Y0 + 50), (X0 + 900, Y0 + 50), "181101")            # CASS 水涯线
    ents += _coded("0", (X0, Y0 + 90), (X0 + 900, Y0 + 90), "210101", app="GB")  # GB/T 13923 单线河流
    ents += _coded("0", (X0, Y0 + 130), (X0 + 900, Y0 + 130), "141121")          # CASS 砖房: not water
    ents += line("220400", (X0, Y0 + 170), (X0 + 900, Y0 + 170))                 # 坎儿井 by its code
    lyr = load_layer("rivers", str(write_dxf(tmp_path / "cass.dxf", ents)), crs_in=EPSG)
    assert sorted(lyr.gdf["XData"].fillna("")) == ["", "181101", "210101"]
    assert "0（2，要素代码：水系）" in next(p for p in lyr.problems if p.code == "dxf_river_layers").zh


def test_a_railway_drawing_reads_its_railway_layers(tmp_path):
    ents = _others() + line("铁路", (X0, Y0 + 1200), (X0 + 2000, Y0 + 1250))
    ents += line("410101", (X0, Y0 + 1300), (X0 + 2000, Y0 + 1300))
    ents += line("河流", (X0, Y0 + 1400), (X0 + 2000, Y0 + 1400))
    lyr = load_layer("railways", str(write_dxf(tmp_path / "铁路.dxf", ents)), crs_in=EPSG)
    assert sorted(lyr.gdf["Layer"]) == ["410101", "铁路"]
    said = next(p for p in lyr.problems if p.code == "dxf_railway_layers")
    assert "河流（1）" in said.zh and "DLSS（1，交通设施）" in said.zh and "地形图.dxf:铁路" in said.fix_zh
    # the water left out is named with the option that reads it, so it does not seem lost
    assert "水系图层可用 --rivers 文件.dxf:河流 读入" in said.zh and "--rivers FILE.dxf:河流" in said.en


def test_railways_on_the_cass_transport_layer_are_read_when_no_railway_layer(tmp_path):
    # CASS draws railways on DLSS with the roads: no layer says "railway", so DLSS is read and
    # the other themes left out, said.
    lyr = load_layer("railways", str(write_dxf(tmp_path / "cass.dxf", _others())), crs_in=EPSG)
    assert set(lyr.gdf["Layer"]) == {"DLSS"}
    said = next(p for p in lyr.problems if p.code == "dxf_railway_layers")
    assert "没有 CAD 图层名或要素代码说明哪些线是铁路" in said.zh and "DGX（12，等高线）" in said.zh


def test_generic_layer_names_keep_every_line_and_say_so(tmp_path):
    ents = line("0", (X0, Y0), (X0 + 900, Y0)) + line("Layer1", (X0, Y0 + 300), (X0 + 900, Y0 + 400))
    lyr = load_layer("rivers", str(write_dxf(tmp_path / "rivers.dxf", ents)), crs_in=EPSG)
    assert len(lyr.gdf) == 2
    said = next(p for p in lyr.problems if p.code == "dxf_layers_unnamed")
    assert "已读入全部 2 条线" in said.zh and "0（1）" in said.zh and "all 2 lines were read" in said.en
    assert "地形图.dxf:河流,沟渠" in said.fix_zh
    # Generic layers beside contours: the generic layer is read, the contours are not.
    mixed = load_layer("rivers", str(write_dxf(tmp_path / "mixed.dxf", ents + _others())), crs_in=EPSG)
    assert set(mixed.gdf["Layer"]) == {"0", "Layer1"}


def test_a_drawing_of_only_other_features_is_refused_with_its_layers(tmp_path):
    path = write_dxf(tmp_path / "等高线.dxf", _others().replace("DLSS", "DGX"))
    with pytest.raises(GeometryTypeError) as exc:
        load_layer("rivers", str(path), crs_in=EPSG)
    assert "没有水系图层" in exc.value.zh and "DGX（13，等高线）" in exc.value.zh
    assert "no water layers" in exc.value.en and "FILE.dxf:LAYER1,LAYER2" in exc.value.fix_en


def test_a_survey_drawing_given_as_roads_still_reads_its_road_layers(tmp_path):
    ents = _others() + line("城市道路", (X0, Y0 + 60), (X0 + 900, Y0 + 60))
    ents += _coded("DLSS", (X0, Y0 + 80), (X0 + 900, Y0 + 80), "410101", app="GB")  # a railway on DLSS
    lyr = load_layer("roads", str(write_dxf(tmp_path / "地形图.dxf", ents)), crs_in=EPSG)
    assert sorted(lyr.gdf["Layer"]) == ["DLSS", "城市道路"] and len(lyr.gdf) == 2


def test_a_broken_drawing_is_named_without_gdal_source_paths(tmp_path):
    """A DXF cut short in a copy: the message says where the drawing breaks, not the path of the
    GDAL source file that found it (/opt/vcpkg/…/ogrdxflayer.cpp, 3684: …)."""
    from gridtool.errors import GridtoolError
    bad = tmp_path / "道路.dxf"
    bad.write_text("0\nSECTION\n2\nENTITIES\n0\nLINE\n8\nroads\n10\nabc\n")
    with pytest.raises(GridtoolError) as e:
        load_layer("roads", bad, crs_in="EPSG:4549")
    text = e.value.format()
    assert ".cpp" not in text and "vcpkg" not in text
    assert "行附近" in text and str(bad) in text and "另存为" in text
