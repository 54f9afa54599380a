"""A 派出所's own station sheet and place register in the police commands: the 所长 column is a
person's name and is masked like 负责人; the register's categories in the police's words (金融网点,
商超) are read as gridtool's, and what each category was read as is printed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyogrio

from gridtool import cli
from gridtool.crs import wgs84_to_offset
from gridtool.layers import load_layer

from .test_routing_siting import _project_files


def _run(argv):
    args = cli.build_parser().parse_args(argv)
    return args.func(args)


def _station_sheet(gpkg, path):
    """The test town's stations as a station keeps them: AMap (GCJ-02) 经度/纬度, 值班电话, 所长."""
    st = pyogrio.read_dataframe(gpkg, layer="stations").to_crs(4326)
    shown = wgs84_to_offset(np.array(st.geometry.values), "gcj02")
    pd.DataFrame({"名称": st["name"], "经度": [p.x for p in shown], "纬度": [p.y for p in shown],
                  "值班电话": ["13975013645", "025-84661234", "13948665326", "13945337062"],
                  "所长": ["王建国", "李卫东", "张明", "赵伟"]}).to_excel(path, index=False)
    return path


def test_seal_masks_the_station_heads_name_and_duty_phone(tmp_path, capsys):
    gpkg = _project_files(tmp_path)
    sheet = _station_sheet(gpkg, tmp_path / "派出所.xlsx")
    argv = ["seal", f"--roads={gpkg}:roads", "--stations", str(sheet), "--crs-in", "stations=gcj02",
            f"--exits={gpkg}:exits", "--mode", "walk", "--quiet"]
    assert _run([*argv, "--out", str(tmp_path / "s")]) == 0
    capsys.readouterr()
    st = pyogrio.read_dataframe(tmp_path / "s" / "seal.gpkg", layer="stations")
    assert st["所长"].tolist() == ["王*国", "李*东", "张*", "赵*"]
    assert not st["值班电话"].isin(["13975013645", "13948665326"]).any()
    assert _run([*argv, "--include-personal", "--out", str(tmp_path / "s2")]) == 0
    out = capsys.readouterr().out
    st = pyogrio.read_dataframe(tmp_path / "s2" / "seal.gpkg", layer="stations")
    assert st["所长"].tolist()[0] == "王建国" and "所长 姓名" in out


def test_register_categories_in_police_words_are_read_and_said(tmp_path, capsys):
    """金融网点 and 储蓄所 are banks (must-visit on patrols), 商超 a supermarket; 网吧 and 加油站 are
    kept as written; import prints what each category was read as."""
    xlsx = tmp_path / "重点场所.xlsx"
    pd.DataFrame({"场所名称": ["工行珠江路支行", "邮政储蓄所", "苏果", "星空网吧", "中石化加油站", "人民中学"],
                  "类别": ["金融网点", "储蓄所", "商超", "网吧", "加油站", "学校"],
                  "经度": np.linspace(118.77, 118.79, 6), "纬度": np.linspace(32.04, 32.05, 6)}).to_excel(xlsx, index=False)
    lyr = load_layer("places", str(xlsx))
    assert lyr.gdf["category"].tolist() == ["bank", "bank", "supermarket", "网吧", "加油站", "school"]
    assert _run(["import", "--places", str(xlsx), "--out", str(tmp_path / "p.gpkg")]) == 0
    out = capsys.readouterr().out
    assert "类别读作：金融网点→银行 1、储蓄所→银行 1、商超→超市 1" in out
    assert "未识别、按原样保留（巡逻优先级同“其他”）：网吧 1、加油站 1" in out


def test_seal_names_the_station_with_no_road_near_it_not_the_exits(tmp_path):
    """A station 3 km from any road (its coordinates taken wrongly) sends no posts: the error names
    that station and how to fix its coordinates, not the exits' roads."""
    import geopandas as gpd
    import pytest
    from shapely.geometry import Point

    from gridtool.errors import GridtoolError

    from .test_routing_graph import GK108, X0, Y0
    gpkg = _project_files(tmp_path)
    gpd.GeoDataFrame({"name": ["湖心警务室"]}, geometry=[Point(X0 - 3000, Y0 - 3000)], crs=GK108
                     ).to_file(gpkg, layer="far", driver="GPKG")
    with pytest.raises(GridtoolError) as err:
        _run(["seal", f"--roads={gpkg}:roads", f"--stations={gpkg}:far", f"--exits={gpkg}:exits",
              "--mode", "walk", "--quiet", "--out", str(tmp_path / "s")])
    assert "湖心警务室" in err.value.zh and "--crs-in stations=gcj02" in err.value.fix_zh
    assert "湖心警务室" in err.value.en and err.value.layer == "stations"


def _with_far_station(tmp_path):
    """The test town with a 湖心警务室 3 km from any road (its coordinates taken wrongly) added."""
    import geopandas as gpd
    from shapely.geometry import Point

    from .test_routing_graph import GK108, X0, Y0
    gpkg = _project_files(tmp_path)
    st = pyogrio.read_dataframe(gpkg, layer="stations")
    far = gpd.GeoDataFrame({"name": ["湖心警务室"]}, geometry=[Point(X0 - 3000, Y0 - 3000)], crs=GK108)
    pd.concat([st, far.to_crs(st.crs)], ignore_index=True).to_file(gpkg, layer="more", driver="GPKG")
    far.to_file(gpkg, layer="far", driver="GPKG")
    return gpkg


def test_coverage_names_the_station_with_no_road_near_it(tmp_path, capsys):
    """It has no circle and covers nothing: said by name with the --crs-in fix, not a silently lower
    share; with no station on a road at all, coverage stops with the same words."""
    import pytest

    from gridtool.errors import GridtoolError
    gpkg = _with_far_station(tmp_path)
    roles = [f"--roads={gpkg}:roads", f"--households={gpkg}:households"]
    assert _run(["--lang", "both", "coverage", *roles, f"--stations={gpkg}:more", "--minutes", "5",
                 "--mode", "walk", "--out", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "站点 湖心警务室 300 米内没有可用道路，没有服务圈、不计入覆盖" in out
    assert "--crs-in stations=gcj02" in out and "station 湖心警务室 has no usable road" in out
    with pytest.raises(GridtoolError) as err:
        _run(["coverage", *roles, f"--stations={gpkg}:far", "--minutes", "5", "--mode", "walk",
              "--out", str(tmp_path / "c2")])
    assert "湖心警务室" in err.value.zh and "--crs-in stations=gcj02" in err.value.fix_zh


def test_patrol_names_the_station_that_sends_no_team(tmp_path, capsys):
    """A station off the roads sends no team: the plan says which and how to fix its coordinates;
    when it is the only station, the error names it instead of 'all stations'."""
    import pytest

    from gridtool.errors import GridtoolError
    gpkg = _with_far_station(tmp_path)
    roles = [f"--roads={gpkg}:roads", f"--places={gpkg}:places"]
    common = ["--mode", "walk", "--teams", "2", "--time-limit", "0.5"]
    assert _run(["patrol", *roles, f"--stations={gpkg}:more", *common, "--out", str(tmp_path / "p")]) == 0
    out = capsys.readouterr().out
    assert "站点 湖心警务室 300 米内没有可用道路，未派巡逻队" in out and "--crs-in stations=gcj02" in out
    with pytest.raises(GridtoolError) as err:
        _run(["patrol", *roles, f"--stations={gpkg}:far", *common, "--out", str(tmp_path / "p2")])
    assert "湖心警务室" in err.value.zh and "--crs-in stations=gcj02" in err.value.fix_zh


def test_places_named_after_a_finance_street_keep_their_own_category(tmp_path):
    """金融 in a place's name is no bank: 金融街派出所 is a police station, 金融城社区居委会 a
    village office, 金融科技公司 an enterprise, guessed from their names as before; 金融网点 and
    储蓄所 still read as banks."""
    xlsx = tmp_path / "重点场所.xlsx"
    pd.DataFrame({"场所名称": ["金融街派出所", "金融城社区居委会", "金融科技公司", "建行金融网点", "邮政储蓄所"],
                  "经度": np.linspace(118.77, 118.79, 5), "纬度": np.linspace(32.04, 32.05, 5)}).to_excel(xlsx, index=False)
    lyr = load_layer("places", str(xlsx))
    assert lyr.gdf["category"].tolist() == ["police", "townhall", "enterprise", "bank", "bank"]
