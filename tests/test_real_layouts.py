"""Government layouts made at test time: columns found by their values, line classes from 三调,
survey feature codes, widths and names, DLTB parcels as the only barriers, counties with 11-digit
codes batched by town, and crossings, overlaps and pieces measured on the drawn grids."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, box

from gridtool.cli import main
from gridtool.layers import load_layer
from gridtool.partition.engine import GridPartitioner
from gridtool.partition.geomcheck import check_plan, grid_crossings
from gridtool.project import Project

GK108 = "EPSG:4545"
X0, Y0 = 480_000.0, 3_265_000.0
# Real Chongqing names and codes (shared/data/names): two townships of 万州区.
TOWN_A = [("东方广场社区", "500101001001"), ("乌龙池社区", "500101001002"), ("王家坡社区", "500101001003")]
TOWN_B = [("石柱村", "500101002001"), ("龙潭村", "500101002002")]


def _houses(rng, box_xy, n, hh=(1, 6)):
    x0, y0, x1, y1 = box_xy
    xy = np.column_stack([x0 + 10 + rng.random(n) * (x1 - x0 - 20), y0 + 10 + rng.random(n) * (y1 - y0 - 20)])
    return [Point(x, y) for x, y in xy], rng.integers(hh[0], hh[1] + 1, n)


def _write(path, layers: dict) -> dict[str, str]:
    for name, gdf in layers.items():
        gdf.to_file(path, layer=name, driver="GPKG")
    return {name: f"{path}:{name}" for name in layers}


# ---------------------------------------------------------------------------------------------
# 1. Columns found by content
def _odd_header_villages(n=3):
    rows = TOWN_A[:n]
    return gpd.GeoDataFrame(
        {"F1": [nm for nm, _ in rows], "字段2": [c for _, c in rows], "F3": ["高笋塘街道"] * n,
         "F4": [12.5, 3.0, 7.25][:n]},
        geometry=[box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(n)], crs=GK108)


def test_village_name_code_and_town_found_by_content(tmp_path, capsys):
    rng = np.random.default_rng(1)
    pts, hh = _houses(rng, (X0, Y0, X0 + 3000, Y0 + 1000), 300)
    src = _write(tmp_path / "in.gpkg", {
        "v": _odd_header_villages(),
        "h": gpd.GeoDataFrame({"字段1": hh, "F9": [f"备注{i}" for i in range(300)]}, geometry=pts, crs=GK108)})
    rc = main(["import", "--villages", src["v"], "--households", src["h"], "--out", str(tmp_path / "p.gpkg")])
    assert rc == 0
    out = capsys.readouterr().out
    assert "村名：F1（东方广场社区、乌龙池社区、王家坡社区，按内容识别）" in out
    assert "代码：字段2（500101001001、500101001002、500101001003，12 位，按内容识别）" in out
    assert "乡镇：F3（高笋塘街道，按内容识别）" in out
    assert "户数：字段1（" in out
    p = Project.open(tmp_path / "p.gpkg")
    v = p.layers["villages"]
    assert v.columns_used["name"] == "F1" and v.columns_used["code"] == "字段2"
    assert v.columns_detail["name"]["by"] == "content"
    assert list(v.gdf["township"]) == ["高笋塘街道"] * 3
    assert p.layers["households"].total_households == int(hh.sum())
    # validate and info say the same
    rc = main(["validate", str(tmp_path / "p.gpkg")])
    assert "村名：F1（" in capsys.readouterr().out
    main(["info", src["v"]])
    assert "村名：F1（" in capsys.readouterr().out
    # Grid codes are built on the real village code.
    gp = GridPartitioner(min_hh=100, max_hh=300, target=200, subgrids=False, corridor_width=0).fit(p)
    assert set(gp.grids_["code"].str[:12]) <= {c for _, c in TOWN_A}
    assert not gp.grids_["code"].str.startswith("V").any()


def test_field_overrides_and_a_useful_warning_when_nothing_fits(tmp_path, capsys):
    v = _odd_header_villages()
    v["F1"] = ["Vaduz", "Schaan", "Balzers"]  # names that do not say they are villages
    src = _write(tmp_path / "in.gpkg", {"v": v})
    lyr = load_layer("villages", src["v"])
    warn = [p for p in lyr.problems if p.code == "name_column_not_found"]
    assert warn, [p.code for p in lyr.problems]
    assert "F1（Vaduz、Schaan、Balzers）" in warn[0].fix_zh
    assert "--field villages.name=F1" in warn[0].fix_zh and "--field villages.name=F1" in warn[0].fix_en
    lyr = load_layer("villages", src["v"], fields={"name": "F1"})
    assert list(lyr.gdf["name"]) == ["Vaduz", "Schaan", "Balzers"]
    assert lyr.columns_detail["name"]["by"] == "user"
    assert not [p for p in lyr.problems if p.code == "name_column_not_found"]


def test_qsdwmc_and_zldwdm_19_digit_codes(tmp_path):
    v = gpd.GeoDataFrame({"QSDWMC": ["石柱村", "龙潭村"], "ZLDWDM": [c + "0000000" for _, c in TOWN_B],
                          "TBMJ": [1e6, 1e6]},
                         geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)],
                         crs=GK108)
    lyr = load_layer("villages", _write(tmp_path / "in.gpkg", {"v": v})["v"])
    assert list(lyr.gdf["name"]) == ["石柱村", "龙潭村"]
    assert list(lyr.gdf["code"]) == [c for _, c in TOWN_B]  # the village code inside the unit code
    assert "前 12 位" in lyr.columns_detail["code"]["note_zh"]
    assert list(lyr.gdf["township"]) == ["500101002", "500101002"]


# ---------------------------------------------------------------------------------------------
# 2. Line classes
def _survey_roads():
    lines, rows = [], []
    specs = [("420101", 26.0, "沪渝高速"), ("420201", 22.5, ""), ("420301", 9.0, "G318"), ("420401", 6.5, "石柱路"),
             ("430501", 5.0, "一巷"), ("440100", 3.0, ""), ("440200", 1.5, "")]
    for i, (code, wid, name) in enumerate(specs * 4):
        y = Y0 + 50 + i * 30
        lines.append(LineString([(X0, y), (X0 + 2000, y)]))
        rows.append({"f_code": code, "wid": wid, "name": name})
    return gpd.GeoDataFrame(rows, geometry=lines, crs=GK108)


def test_survey_roads_with_feature_codes_widths_and_names(tmp_path, capsys):
    roads = _survey_roads()
    lyr = load_layer("roads", _write(tmp_path / "r.gpkg", {"r": roads})["r"])
    cls = list(lyr.gdf["class"][:7])
    how = list(lyr.gdf["class_src"][:7])
    # 高速 by name, 22.5 m by width, G318 by its route number (a 国道), then widths.
    assert cls == ["motorway", "trunk", "trunk", "tertiary", "unclassified", "track", "path"]
    assert how[0] == "name" and how[1] == "width" and how[2] == "name"
    s = lyr.class_summary
    assert s["groups"] == {"motorway": 4, "national": 8, "county": 4, "minor": 12}
    assert s["unknown"] == 0 and s["inferred"] == 28
    assert s["text_zh"].startswith("道路：高速 4、国省道 8、县乡道 4、村道及以下 12；按 ")
    # Motorways and trunk roads are hard barriers by default; the rest soft.
    from gridtool.partition.barriers import barrier_lines
    b = barrier_lines({"roads": lyr.gdf})
    assert set(b.loc[b["hard"], "cls"]) == {"motorway", "trunk"}


def test_tunnels_by_name_or_column_never_cut(tmp_path):
    from gridtool.partition.barriers import barrier_lines
    line = [LineString([(X0, Y0 + 100 * i), (X0 + 900, Y0 + 100 * i)]) for i in range(3)]
    roads = gpd.GeoDataFrame({"name": ["华蓥山隧道", "石柱路", "G65"], "wid": [24, 6, 26]}, geometry=line, crs=GK108)
    rail = gpd.GeoDataFrame({"名称": ["渝万铁路", "渝万铁路"], "隧道": ["是", "否"]}, geometry=line[:2], crs=GK108)
    src = _write(tmp_path / "t.gpkg", {"r": roads, "t": rail})
    r = load_layer("roads", src["r"]).gdf
    t = load_layer("railways", src["t"]).gdf
    assert list(r["tunnel"]) == [True, False, False] and list(t["tunnel"]) == [True, False]
    b = barrier_lines({"roads": r, "railways": t})
    assert sorted(b["src"]) == ["railways:FID 2", "roads:FID 2", "roads:FID 3"]
    assert set(b.loc[b["src"] == "roads:FID 3", "cls"]) == {"motorway"}  # G65: a national expressway


def test_one_class_taking_everything_is_said_loudly(tmp_path):
    roads = gpd.GeoDataFrame({"NAME": [f"{i}号路" for i in range(30)]},
                             geometry=[LineString([(X0, Y0 + i * 10), (X0 + 500, Y0 + i * 10)]) for i in range(30)],
                             crs=GK108)
    lyr = load_layer("roads", _write(tmp_path / "r.gpkg", {"r": roads})["r"])
    warn = [p for p in lyr.problems if p.code == "line_classes_uniform"]
    assert warn and "30" in warn[0].zh and "--line-classes" in warn[0].fix_zh
    rivers = gpd.GeoDataFrame({"MC": ["大河"] * 25},
                              geometry=[LineString([(X0 + i * 20, Y0), (X0 + i * 20, Y0 + 500)]) for i in range(25)],
                              crs=GK108)
    lyr = load_layer("rivers", _write(tmp_path / "w.gpkg", {"w": rivers})["w"])
    assert [p for p in lyr.problems if p.code == "line_classes_uniform"]


def test_watercourses_by_name_dlbm_and_width():
    from gridtool.lineclasses import classify
    df = gpd.GeoDataFrame({"名称": ["长江", "石柱溪", "东风渠", "龙潭水库", "", ""], "宽度": [800, 4, 3, 50, 15, 1],
                           "DLBM": ["", "", "", "", "", ""]},
                          geometry=[LineString([(0, i), (10, i)]) for i in range(6)], crs=GK108)
    c = classify("rivers", df)
    assert list(c.values) == ["river", "stream", "ditch", "reservoir", "river", "ditch"]
    assert c.summary["hard"] == 3 and c.summary["soft"] == 3
    polys = gpd.GeoDataFrame({"DLBM": ["1101", "1104A", "1107", "0301", "1103"]},
                             geometry=[box(0, i * 100, 100, i * 100 + 50) for i in range(5)], crs=GK108)
    c = classify("rivers", polys)
    assert list(c.values) == ["river", "pond", "ditch", "none", "reservoir"]
    # Codes read as numbers from a spreadsheet lost their leading zero: 301 is 0301 (forest).
    c = classify("landuse", gpd.GeoDataFrame({"DLBM": [1003, 301, 1107, 702]},
                                             geometry=[box(0, i * 100, 500, i * 100 + 20) for i in range(4)], crs=GK108))
    assert list(c.values) == ["road", "forest", "water", "settlement"]
    assert list(c.extra["class"]) == ["primary", "", "ditch", ""]


def test_mapping_file_classes_and_bad_mapping_exits_2(tmp_path, capsys):
    roads = gpd.GeoDataFrame({"DJ": ["1", "2", "9"]},
                             geometry=[LineString([(X0, Y0 + i * 100), (X0 + 900, Y0 + i * 100)]) for i in range(3)],
                             crs=GK108)
    src = _write(tmp_path / "r.gpkg", {"r": roads})
    m = tmp_path / "classes.csv"
    m.write_text("layer,column,value,class\nroads,DJ,1,motorway\nroads,DJ,2,tertiary\n", encoding="utf-8")
    lyr = load_layer("roads", src["r"], line_classes=str(m))
    assert list(lyr.gdf["class"]) == ["motorway", "tertiary", "unclassified"]
    assert list(lyr.gdf["class_src"]) == ["mapping", "mapping", "default"]
    bad = tmp_path / "bad.csv"
    bad.write_text("图层,列,值,类别\nroads,DJ,1,高架\n", encoding="utf-8")
    v = _odd_header_villages(1)
    vs = _write(tmp_path / "v.gpkg", {"v": v})
    rc = main(["import", "--villages", vs["v"], "--roads", src["r"], "--line-classes", str(bad),
               "--out", str(tmp_path / "p.gpkg")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "第 2 行" in err and "bad.csv" in err


# ---------------------------------------------------------------------------------------------
# A 三调 DLTB layer as the only barrier source
def _dltb_township(tmp_path):
    """One village 1,200 × 900 m with a 30 m river (1101) across it, a county road parcel (1003)
    crossing the river on a bridge, a ditch (1107), forest (0301) and homesteads (0702);
    households on both banks."""
    rng = np.random.default_rng(3)
    vil = gpd.GeoDataFrame({"F1": ["石柱村"], "F2": ["500101002001"]},
                           geometry=[box(X0, Y0, X0 + 1200, Y0 + 900)], crs=GK108)
    river = box(X0 - 10, Y0 + 430, X0 + 1210, Y0 + 460)
    road = box(X0 + 590, Y0 - 10, X0 + 610, Y0 + 910)
    ditch = box(X0 + 300, Y0 + 460, X0 + 303, Y0 + 910)
    forest = box(X0 + 900, Y0 + 600, X0 + 1200, Y0 + 900)
    parcels = [("1101", "河流水面", river.difference(road)), ("1003", "公路用地", road),
               ("1107", "沟渠", ditch.difference(river)), ("0301", "乔木林地", forest.difference(road)),
               ("0702", "农村宅基地", box(X0, Y0, X0 + 580, Y0 + 420))]
    rows = []
    for code, name, g in parcels:
        for part in shapely.get_parts(shapely.intersection(g, vil.geometry.iat[0])):
            rows.append({"DLBM": code, "DLMC": name, "ZLDWDM": "5001010020010000000", "ZLDWMC": "石柱村",
                         "geometry": part})
    dltb = gpd.GeoDataFrame(rows, crs=GK108)
    south, hs = _houses(rng, (X0, Y0, X0 + 1200, Y0 + 420), 200, (1, 4))
    north, hn = _houses(rng, (X0, Y0 + 470, X0 + 1200, Y0 + 900), 200, (1, 4))
    keep = [i for i, p in enumerate(south + north) if not road.buffer(2).contains(p)]
    hh = np.concatenate([hs, hn])[keep]
    houses = gpd.GeoDataFrame({"字段1": hh}, geometry=[(south + north)[i] for i in keep], crs=GK108)
    return _write(tmp_path / "dltb.gpkg", {"CJDCQ": vil, "DLTB": dltb, "FW": houses}), river


def test_dltb_parcels_are_the_barriers_and_bridges_do_not_join_banks(tmp_path, capsys):
    src, river = _dltb_township(tmp_path)
    rc = main(["import", "--villages", src["CJDCQ"], "--households", src["FW"], "--landuse", src["DLTB"],
               "--out", str(tmp_path / "p.gpkg")])
    assert rc == 0
    out = capsys.readouterr().out
    assert "地类图斑：道路 1、水域 3、林地 1、住宅 1；可作边界的图斑：河流（硬） 2、国省道 1、沟渠（软） 1" in out
    p = Project.open(tmp_path / "p.gpkg")
    lu = p.layers["landuse"].gdf
    assert set(lu["kind"]) == {"water", "road", "forest", "settlement"}
    from gridtool.partition.barriers import barrier_lines
    b = barrier_lines({r: lyr.gdf for r, lyr in p.layers.items()})
    assert {"river", "stream", "primary"} <= set(b["cls"])
    total = int(p.layers["households"].gdf["hh"].sum())
    gp = GridPartitioner(min_hh=300, max_hh=600, target=450, subgrids=False).fit(p)
    g = gp.grids_
    assert int(g["hh"].sum()) == total
    # No grid holds households on both banks: the road parcel crossing the river is no land bridge.
    hs = gp.households_
    north = hs.geometry.y.to_numpy() > river.bounds[3]
    for code in g["code"]:
        sides = set(north[(hs["grid"] == code).to_numpy()])
        assert len(sides) == 1, code
    check = check_plan(gp)
    assert check["hard_crossings"] == 0 and check["side_check_grids"] == 0
    assert check["overlapping_pairs"] == 0
    # The forest parcels give the 田林 corridor.
    assert "forest" in set(gp.corridors_["kind"])


def test_dltb_street_network_alone_gives_grids_within_bounds(tmp_path):
    """Streets drawn only as 城镇村道路用地 parcels (one connected network polygon, no road lines):
    the blocks across each street are neighbours, and the streets are shared between grids."""
    rng = np.random.default_rng(8)
    frame = box(X0, Y0, X0 + 1200, Y0 + 900)
    streets = shapely.union_all([box(X0 + x - 4, Y0 - 10, X0 + x + 4, Y0 + 910) for x in range(150, 1200, 150)]
                                + [box(X0 - 10, Y0 + y - 4, X0 + 1210, Y0 + y + 4) for y in range(150, 900, 150)])
    streets = shapely.intersection(streets, frame)
    dltb = gpd.GeoDataFrame({"DLBM": ["1004", "0702"], "DLMC": ["城镇村道路用地", "城镇住宅用地"]},
                            geometry=[streets, shapely.difference(frame, streets)], crs=GK108)
    pts, _ = _houses(rng, frame.bounds, 800, (1, 3))
    pts = [q for q in pts if not streets.buffer(1).contains(q)]
    houses = gpd.GeoDataFrame({"hh": rng.integers(1, 4, len(pts))}, geometry=pts, crs=GK108)
    vil = gpd.GeoDataFrame({"name": ["石柱村"], "code": ["500101002001"]}, geometry=[frame], crs=GK108)
    src = _write(tmp_path / "s.gpkg", {"v": vil, "h": houses, "lu": dltb})
    p = Project.from_sources({"villages": src["v"], "households": src["h"], "landuse": src["lu"]})
    gp = GridPartitioner(min_hh=300, max_hh=500, subgrids=False, corridor_width=0).fit(p)
    g = gp.grids_
    assert (g["status"] == "ok").all() and g["hh"].between(300, 500).all()
    assert int(g["hh"].sum()) == int(houses["hh"].sum())
    check = check_plan(gp)
    assert check["overlapping_pairs"] == 0 and check["multipart_unexplained"] == 0
    assert abs(g["area_m2"].sum() - frame.area) < 0.001 * frame.area  # the streets are in the grids


def test_bridge_pieces_close_the_river_across_a_road_parcel():
    from gridtool.partition.barriers import bridge_pieces
    river = shapely.union_all([box(0, 40, 290, 70), box(310, 40, 600, 70)])
    road = box(290, 0, 310, 200)
    pieces = bridge_pieces(np.array([road], dtype=object), river)
    assert len(pieces) == 1 and abs(pieces[0].area - 20 * 30) < 25.0  # the bridge, give or take 0.5 m
    along = box(0, 70, 600, 80)  # a road along the bank touches the water once: no bridge
    assert bridge_pieces(np.array([along], dtype=object), river) == []


# ---------------------------------------------------------------------------------------------
# 3. Townships and districts from the data
def _eleven_digit_county(tmp_path):
    rng = np.random.default_rng(5)
    towns = [("白鹤镇", "开州区"), ("赵家街道", "开州区"), ("长沙镇", "云阳县")]
    names = ["石柱村", "龙潭村", "双河村"]
    rows, houses, hh = [], [], []
    for t, (town, county) in enumerate(towns):
        for k, name in enumerate(names):
            code = f"5001540{t + 1:02d}{k + 1:02d}"  # 11 digits: county 6 + town 3 + village 2
            cell = box(X0 + k * 800, Y0 + t * 800, X0 + (k + 1) * 800, Y0 + (t + 1) * 800)
            rows.append({"村名称": name, "村代码": code, "所属镇街": town, "所属区县": county, "geometry": cell})
            p, h = _houses(rng, cell.bounds, 120, (2, 5))
            houses += p
            hh += list(h)
    v = gpd.GeoDataFrame(rows, crs=GK108)
    h = gpd.GeoDataFrame({"hh": hh}, geometry=houses, crs=GK108)
    return _write(tmp_path / "county.gpkg", {"villages": v, "households": h})


def test_eleven_digit_county_is_batched_by_town_and_written_per_county(tmp_path, capsys):
    src = _eleven_digit_county(tmp_path)
    p = Project.from_sources(src)
    v = p.layers["villages"]
    assert v.columns_used["township"] == "所属镇街" and v.columns_used["county"] == "所属区县"
    from gridtool.partition.chunking import plan_chunks
    chunks = plan_chunks(v.gdf, by="township")
    assert len(chunks) == 3 and all(len(c.rows) == 3 for c in chunks)
    assert {c.district for c in chunks} == {"开州区", "云阳县"}
    # Without the town column: the township part of the 11-digit code.
    codes_only = v.gdf.drop(columns=["township", "county"])
    assert [c.key for c in plan_chunks(codes_only, by="township")] == ["500154001", "500154002", "500154003"]
    out = tmp_path / "out"
    rc = main(["partition", "--villages", src["villages"], "--households", src["households"], "--min", "200",
               "--max", "500", "--target", "350", "--no-subgrids", "--corridor-width", "0", "--out-dir", str(out),
               "--quiet"])
    assert rc == 0
    assert sorted(f.name for f in out.glob("*.gpkg")) == ["云阳县.gpkg", "开州区.gpkg"]
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rep["batch"]["chunks"] == 3
    # Forcing another column as the township (the village names, which repeat in both counties):
    # grouped by it, and cut by county so that no chunk crosses a county.
    p2 = Project.from_sources(src, fields={"villages.township": "村名称"})
    forced = plan_chunks(p2.layers["villages"].gdf, by="township")
    assert len(forced) == 6 and not [c for c in forced if c.districts]
    assert {c.split_from for c in forced} == set(p2.layers["villages"].gdf["村名称"])


def test_infeasible_villages_are_named_with_code_and_town(tmp_path, capsys):
    src = _eleven_digit_county(tmp_path)
    rc = main(["partition", "--villages", src["villages"], "--households", src["households"], "--min", "480",
               "--max", "500", "--no-subgrids", "--corridor-width", "0", "--out", str(tmp_path / "o.gpkg"),
               "--report", str(tmp_path / "r.json"), "--quiet"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "无法划分：石柱村（50015400101，白鹤镇）" in out and "无法划分：石柱村（50015400201，赵家街道）" in out
    rep = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    labels = [v["label"] for v in rep["plan"]["infeasible_villages"]]
    assert "石柱村（50015400301，长沙镇）" in labels


# ---------------------------------------------------------------------------------------------
# 4. Crossings, overlaps and pieces measured on the drawn grids
def test_grid_crossings_count_sides_from_geometry():
    frame = box(0, 0, 400, 400)
    river = LineString([(-10, 200), (410, 200)])
    stub = LineString([(100, 300), (300, 300)])  # ends inside the grid, far from anything
    short = LineString([(3, 100), (397, 100)])  # 3 m short of the grid's edges: a digitising gap
    pts = np.array([Point(50, 150), Point(50, 250), Point(350, 350), Point(350, 50)], dtype=object)
    for line, expect in ((river, 1), (stub, 0), (short, 1)):
        lines = gpd.GeoDataFrame({"cls": ["river"], "hard": [True]}, geometry=[line])
        members = [np.array([0, 1] if line is not short else [0, 3])]
        hard, _ = grid_crossings([frame], members, pts, [np.array([30.0, 30.0])], lines, villages=[frame])
        assert int(hard[0]) == expect, line
    # Households on one side only: no crossing, whatever the grid spans.
    lines = gpd.GeoDataFrame({"cls": ["river"], "hard": [True]}, geometry=[river])
    hard, _ = grid_crossings([frame], [np.array([0])], pts, [np.array([30.0])], lines, villages=[frame])
    assert int(hard[0]) == 0


def test_river_with_a_gap_is_still_a_barrier_and_crossings_are_counted(tmp_path):
    """A river drawn 3 m short of the village boundary: the engine closes the gap, so no grid
    spans both banks unseen; every grid the side check flags carries its crossing."""
    rng = np.random.default_rng(11)
    vil = gpd.GeoDataFrame({"name": ["石柱村"], "code": ["500101002001"]},
                           geometry=[box(X0, Y0, X0 + 1000, Y0 + 800)], crs=GK108)
    river = gpd.GeoDataFrame({"kind": ["river"]}, geometry=[LineString([(X0 + 3, Y0 + 400), (X0 + 997, Y0 + 400)])],
                             crs=GK108)
    p1, h1 = _houses(rng, (X0, Y0, X0 + 1000, Y0 + 395), 150, (2, 3))
    p2, h2 = _houses(rng, (X0, Y0 + 405, X0 + 1000, Y0 + 800), 150, (2, 3))
    hs = gpd.GeoDataFrame({"hh": np.concatenate([h1, h2])}, geometry=p1 + p2, crs=GK108)
    gp = GridPartitioner(min_hh=300, max_hh=500, subgrids=False, corridor_width=0).fit(
        {"villages": vil, "households": hs, "rivers": river})
    check = check_plan(gp)
    assert check["side_check_missed"] == 0
    assert check["hard_crossings"] == gp.report_["plan"]["hard_crossings"]
    south = hs.geometry.y.to_numpy() < Y0 + 400
    for code, grp in gp.households_.groupby("grid"):
        assert len(set(south[grp.index])) == 1 or gp.grids_.set_index("code").loc[code, "hard_crossings"] > 0


def test_an_island_village_that_fits_one_grid_is_one_grid():
    rng = np.random.default_rng(2)
    a, b = box(X0, Y0, X0 + 600, Y0 + 500), box(X0 + 700, Y0, X0 + 900, Y0 + 300)
    vil = gpd.GeoDataFrame({"name": ["岛村", "邻村"], "code": ["500101002001", "500101002002"]},
                           geometry=[MultiPolygon([a, b]), box(X0, Y0 + 600, X0 + 900, Y0 + 1400)], crs=GK108)
    pa, _ = _houses(rng, a.bounds, 142)
    pb, _ = _houses(rng, b.bounds, 25)
    pc, _ = _houses(rng, (X0, Y0 + 600, X0 + 900, Y0 + 1400), 200)
    hs = gpd.GeoDataFrame({"hh": [2] * 167 + [4] * 200}, geometry=pa + pb + pc, crs=GK108)
    water = gpd.GeoDataFrame({"kind": ["river"]}, geometry=[box(X0 - 50, Y0 + 500, X0 + 1000, Y0 + 600)], crs=GK108)
    gp = GridPartitioner(subgrids=False, corridor_width=0).fit({"villages": vil, "households": hs, "rivers": water})
    isl = gp.grids_[gp.grids_["village"] == "岛村"]
    assert len(isl) == 1 and int(isl["hh"].iat[0]) == 334
    assert isl["status"].iat[0] == "ok" and isl["note"].iat[0] == "exclave"
    assert not gp.report_["plan"]["infeasible_villages"]
    assert check_plan(gp)["multipart_unexplained"] == 0


def test_split_apartment_blocks_are_drawn_once(tmp_path):
    """Tall blocks split between grids: grids never overlap, areas add up to the village."""
    rng = np.random.default_rng(4)
    vil = gpd.GeoDataFrame({"name": ["太白路社区"], "code": ["500101001004"]},
                           geometry=[box(X0, Y0, X0 + 400, Y0 + 300)], crs=GK108)
    blocks = [box(X0 + 40 + 120 * i, Y0 + 40 + 120 * j, X0 + 100 + 120 * i, Y0 + 80 + 120 * j)
              for i in range(3) for j in range(2)]
    hh = rng.integers(150, 260, len(blocks))
    hs = gpd.GeoDataFrame({"hh": hh}, geometry=blocks, crs=GK108)
    gp = GridPartitioner(min_hh=300, max_hh=500, corridor_width=0).fit({"villages": vil, "households": hs})
    g = gp.grids_
    assert (gp.households_["grid_parts"] != "").any()  # some block is split between grids
    check = check_plan(gp)
    assert check["overlapping_pairs"] == 0
    assert abs(g["area_m2"].sum() - 400 * 300) < 1.0
    assert g["hh"].between(300, 500).all() and int(g["hh"].sum()) == int(hh.sum())
    sub = gp.subgrids_
    assert (shapely.area(sub.geometry.values) > 0).all()


@pytest.mark.parametrize("sample", ["liechtenstein", "nanjing-xuanwu"])
def test_samples_crossings_overlaps_and_pieces_from_geometry(sample):
    from gridtool.samples import sample_sources
    p = Project.from_sources(sample_sources(sample))
    gp = GridPartitioner(subgrids=False, corridor_width=0).fit(p)
    check = check_plan(gp)
    assert check["side_check_missed"] == 0
    assert check["overlapping_pairs"] == 0
    assert check["multipart_unexplained"] == 0
    plan = gp.report_["plan"]
    assert plan["hard_crossings"] == check["hard_crossings"]
    assert plan["avoidable_hard_crossings"] == 0
    assert plan["unavoidable_hard_crossings"] <= plan["hard_crossings"]
