"""``gridtool partition PROJECT --previous PATH[:LAYER] [--lock CODE,…] --out NEW.gpkg --report R.json``:
a redraw from gridtool's own plan or from another system's grids (a GBK shapefile with a Chinese code
column, in CGCS2000 lon/lat), locks, the ``changes`` layer and ``households_new``.

Real data: three Nanjing communities cut from the bundled sample (``locks_data``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402

from gridtool.cli import main
from gridtool.project import Project

FAST = ["--no-subgrids", "--corridor-width", "0", "--quiet"]


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """The cut as a project, partitioned once by the command line."""
    d = tmp_path_factory.mktemp("locks-cli")
    raw = cut_project("nanjing-xuanwu").save(d / "raw.gpkg")
    first = d / "first.gpkg"
    assert main(["partition", str(raw), "--out", str(first), *FAST]) == 0
    return {"dir": d, "raw": raw, "first": first}


def _foreign_shapefile(first: Path, path: Path, *, drop=(), code_header="网格编码") -> gpd.GeoDataFrame:
    """Another system's grids: CGCS2000 lon/lat, GBK without .cpg, Chinese headers, a row number."""
    g = gpd.read_file(first, layer="grids")
    g = g[~g["code"].isin(drop)].reset_index(drop=True)
    out = gpd.GeoDataFrame({"序号": np.arange(1, len(g) + 1), "网格名称": [f"{v}第{i + 1}网格" for i, v in
                                                                      enumerate(g["village"])],
                            code_header: g["code"], "户数": g["hh"], "网格员": ["王某"] * len(g)},
                           geometry=g.geometry.to_crs("EPSG:4490"))
    out.to_file(path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return out


def _members(gpkg: Path, code: str) -> set[tuple[int, int]]:
    hs = gpd.read_file(gpkg, layer="households")
    out = set()
    for f, (g, parts) in enumerate(zip(hs["grid"], hs["grid_parts"].fillna(""))):
        if parts:
            for item in parts.split(";"):
                c, _, n = item.rpartition(":")
                if c == code:
                    out.add((f, int(n)))
        elif g == code:
            out.add((f, int(hs["hh"].iat[f])))
    return out


def test_previous_from_a_foreign_gbk_shapefile_with_a_lock(plans, capsys):
    d = plans["dir"]
    shp = d / "旧网格.shp"
    foreign = _foreign_shapefile(plans["first"], shp)
    lock = foreign["网格编码"].iat[2]
    out, rep = d / "from_shp.gpkg", d / "from_shp.json"
    assert main(["partition", str(plans["raw"]), "--previous", str(shp), "--lock", lock, "--out", str(out),
                 "--report", str(rep), *FAST]) == 0
    text = capsys.readouterr().out
    assert "编码字段“网格编码”（按列名识别）" in text and "EPSG:4490" in text  # what was guessed is said
    r = json.loads(rep.read_text(encoding="utf-8"))
    assert r["previous"]["code_column"] == "网格编码" and r["previous"]["hh_column"] == "户数"
    red = r["plan"]["redraw"]
    assert red["matched_by"] == "polygons" and red["locked"] == [lock]
    assert red["codes_kept"] == len(foreign) and red["codes_new"] == 0 and red["households_new"] == 0
    grids = gpd.read_file(out, layer="grids").set_index("code")
    # The locked grid: its polygon as the other system drew it (reprojected), the households in it.
    src = foreign.set_index("网格编码").to_crs(grids.crs).geometry[lock]
    assert shapely.symmetric_difference(grids.geometry[lock], src).area < 1.0
    assert bool(grids.loc[lock, "locked"]) and grids.loc[lock, "hh"] == foreign.set_index("网格编码").loc[lock, "户数"]
    # Every household in exactly one grid; the other grids within bounds and off the locked one.
    hs = gpd.read_file(out, layer="households")
    special = gpd.read_file(out, layer="special_grids")
    assert int(grids["hh"].sum() + special["hh"].sum()) == int(hs["hh"].sum())
    free = grids.drop(index=lock)
    assert free.loc[free["status"] == "ok", "hh"].between(300, 500).all()
    assert (shapely.area(shapely.intersection(free.geometry.values, grids.geometry[lock])) < 1.0).all()


def test_code_column_found_by_content_or_named(plans, capsys):
    d = plans["dir"]
    shp = d / "odd.shp"
    _foreign_shapefile(plans["first"], shp, code_header="BH_2019")
    out = d / "odd.gpkg"
    assert main(["partition", str(plans["raw"]), "--previous", str(shp), "--out", str(out), *FAST]) == 0
    assert "编码字段“BH_2019”（按内容识别）" in capsys.readouterr().out
    assert main(["--lang", "en", "partition", str(plans["raw"]), "--previous", str(shp), "--field",
                 "previous.code=BH_2019", "--out", str(out), *FAST]) == 0
    assert "code column 'BH_2019' (as given by --field)" in capsys.readouterr().out
    assert main(["partition", str(plans["raw"]), "--previous", str(shp), "--field", "previous.code=编号",
                 "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert "编号" in err and "BH_2019" in err  # names the columns there are


def test_households_new_and_the_changes_layer(plans, capsys):
    """Households added since the previous plan are counted exactly when it is gridtool's own (its
    households matched by position); a grid that lost its polygon gets a new code; an old code with
    nothing left is retired; villages nobody touched show no change."""
    d = plans["dir"]
    p = Project.open(plans["raw"])
    hs = p.layers["households"].gdf
    rng = np.random.default_rng(3)
    pick = hs.iloc[rng.integers(0, len(hs), 12)].copy()
    pick["geometry"] = shapely.points(shapely.get_coordinates(pick.geometry.representative_point().values) + 6.0)
    pick["hh"] = 2
    pick["src_id"] = [f"new {i}" for i in range(len(pick))]
    p.layers["households"].gdf = gpd.GeoDataFrame(
        gpd.pd.concat([hs, pick], ignore_index=True), crs=hs.crs)
    grown = p.save(d / "grown.gpkg")
    out, rep = d / "grown_redraw.gpkg", d / "grown.json"
    assert main(["partition", str(grown), "--previous", str(plans["first"]), "--out", str(out), "--report", str(rep),
                 *FAST]) == 0
    red = json.loads(rep.read_text(encoding="utf-8"))["plan"]["redraw"]
    assert red["matched_by"] == "households" and red["households_new"] == 24  # 12 buildings × 2
    assert red["households_moved"] <= 0.05 * red["households_total"]
    ch = pyogrio.read_dataframe(out, layer="changes")
    assert int(ch["households_new"].sum()) == 24 and len(ch) == 3

    # Another system's plan: one grid missing in a village the others cannot take in (1,047
    # households, three grids of at most 500), and a code that no longer covers anything.
    first = gpd.read_file(plans["first"], layer="grids")
    per_v = first.groupby("village")["hh"].agg(["sum", "size"])
    village = per_v.index[(per_v["sum"] > 1000) & (per_v["size"] == 3)][0]
    gone = first.loc[first["village"] == village, "code"].iat[0]
    shp = d / "partial.shp"
    foreign = _foreign_shapefile(plans["first"], shp, drop=[gone])
    far = shapely.affinity.translate(foreign.to_crs(first.crs).geometry.iat[0], 0.0, 20_000.0)
    extra = gpd.GeoDataFrame({"序号": [999], "网格名称": ["撤销"], "网格编码": ["RETIRED-01"], "户数": [0],
                              "网格员": [""]}, geometry=gpd.GeoSeries([far], crs=first.crs).to_crs(foreign.crs))
    gpd.GeoDataFrame(gpd.pd.concat([foreign, extra], ignore_index=True), crs=foreign.crs).to_file(shp, encoding="GBK")
    out2, rep2 = d / "partial.gpkg", d / "partial.json"
    assert main(["partition", str(plans["raw"]), "--previous", str(shp), "--out", str(out2), "--report", str(rep2),
                 *FAST]) == 0
    red = json.loads(rep2.read_text(encoding="utf-8"))["plan"]["redraw"]
    assert red["retired_codes"] == ["RETIRED-01"] and red["codes_retired"] == 1
    ch = pyogrio.read_dataframe(out2, layer="changes").set_index("village")
    assert ch.crs is not None and ch.geometry.notna().all() and len(ch) == 3
    assert (ch["codes_kept"] + ch["codes_new"] == ch["grids"]).all()
    # the missing grid's households lay outside every previous polygon: new to this plan; its
    # village needs three grids again, one under a new code
    row = ch.loc[village]
    assert row["households_new"] == int(first.set_index("code").loc[gone, "hh"])
    assert row["grids"] == 3 and row["codes_new"] == 1 and row["new_codes"] not in ("", gone)
    # the other villages: kept as they were
    for v, r in ch.drop(index=village).iterrows():
        assert r["codes_new"] == 0 and r["codes_retired"] == 0 and r["households_new"] == 0, v
        assert r["households_moved"] <= 0.05 * r["households"], v


def test_lock_alone_redraws_the_projects_own_plan_and_batch_options_are_refused(plans, capsys):
    d = plans["dir"]
    g = gpd.read_file(plans["first"], layer="grids")
    code = g["code"].iat[1]
    before = _members(plans["first"], code)
    out = d / "locked.gpkg"
    assert main(["partition", str(plans["first"]), "--lock", code, "--out", str(out), *FAST]) == 0
    assert _members(out, code) == before
    again = gpd.read_file(out, layer="grids").set_index("code")
    assert bool(again.loc[code, "locked"])
    assert shapely.symmetric_difference(again.geometry[code], g.set_index("code").geometry[code]).area < 1e-6
    # the lock is carried: redrawing from that output keeps it without --lock
    out2 = d / "locked2.gpkg"
    assert main(["partition", str(plans["raw"]), "--previous", str(out), "--out", str(out2), *FAST]) == 0
    said = capsys.readouterr().out
    assert f"上一版中已锁定的网格仍锁定：{code}" in said and f"锁定网格保持不变（户、楼栋、形状）：{code}" in said
    assert _members(out2, code) == before
    assert main(["partition", str(plans["raw"]), "--previous", str(out), "--workers", "2",
                 "--out", str(d / "x.gpkg"), *FAST]) == 2
    err = capsys.readouterr().err
    assert "--previous" in err and "--workers" in err and "不能" in err
    assert main(["partition", str(plans["raw"]), "--previous", str(out), "--lock", "NO-SUCH",
                 "--out", str(d / "x.gpkg"), *FAST]) == 2
    assert "NO-SUCH" in capsys.readouterr().err


def test_lock_codes_typed_in_full_width_lock_those_grids(plans):
    """An input method left in full-width mode types ５００…－０１ and ；: the codes are the grids'
    all the same, both grids are locked (not refused as unknown codes that look like known ones)."""
    d = plans["dir"]
    codes = gpd.read_file(plans["first"], layer="grids")["code"].iloc[[0, 2]].tolist()
    wide = "；　".join("".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in c) for c in codes)
    assert wide != "; ".join(codes)
    before = [_members(plans["first"], c) for c in codes]
    out = d / "locked-wide.gpkg"
    assert main(["partition", str(plans["first"]), "--lock", wide, "--out", str(out), *FAST]) == 0
    again = gpd.read_file(out, layer="grids").set_index("code")
    assert again.loc[codes, "locked"].astype(bool).all()
    assert [_members(out, c) for c in codes] == before
