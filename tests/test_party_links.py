"""Party-member links ("1+10", 党员联系户) as a township's 组织委员 runs them: a 党员名册 in Excel
with 姓名, 是否流动党员 and 备注, members who must not be given households, and the totals."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).parent))
from partition_data import GK108, make_villages  # noqa: E402

from gridtool.layers import load_layer
from gridtool.partition.engine import GridPartitioner


@pytest.fixture(scope="module")
def plan():
    layers = make_villages(households=1300, river=False, apartments=0, seed=9)
    gp = GridPartitioner(corridor_width=0, subgrids=False).fit(layers)
    return layers, gp


def _roster(tmp_path: Path, gp, rows_extra=()) -> Path:
    """A 党员名册 sheet: two members at households of each grid, located by 经度/纬度."""
    to_ll = Transformer.from_crs(GK108, 4326, always_xy=True)
    rows = []
    for code in gp.grids_["code"]:
        hs = gp.households_[gp.households_["grid"] == code]
        for i in range(2):
            p = hs.geometry.iloc[i * 7].representative_point()
            lon, lat = to_ll.transform(p.x, p.y)
            rows.append({"姓名": "王建国" if i == 0 else f"李{code[-2:]}", "性别": "男", "联系电话": "13800001111",
                         "所属党支部": "第一党支部", "是否流动党员": "否", "备注": "",
                         "现居住地址": f"乌龙池社区3组{code[-2:]}{i}号", "经度": lon, "纬度": lat})
    rows.extend(rows_extra)
    path = tmp_path / "党员名册.xlsx"
    pd.DataFrame(rows).to_excel(path, index=False)
    return path


def test_a_roster_headed_xingming_names_its_members_in_the_links(tmp_path, plan):
    layers, gp = plan
    members = load_layer("party_members", str(_roster(tmp_path, gp)), crs_in="wgs84")
    assert members.gdf["name"].iloc[0] == "王建国" and members.gdf["name"].notna().all()
    assert members.sensitive.get("name") == "name"  # masked in every output
    links = GridPartitioner(corridor_width=0, subgrids=False).fit(
        dict(layers, party_members=members.gdf.to_crs(GK108))).links_
    assert links["member"].notna().all() and "王建国" in set(links["member"])


def test_floating_frail_and_outside_members_get_no_households_and_are_listed_with_why(tmp_path, plan):
    layers, gp = plan
    extra = [{"姓名": "赵流动", "是否流动党员": "是", "经度": None, "纬度": None},
             {"姓名": "钱老", "备注": "年老体弱", "经度": None, "纬度": None},
             {"姓名": "孙外村", "经度": 100.0, "纬度": 30.0}]  # far outside every village
    roster = _roster(tmp_path, gp)
    df = pd.read_excel(roster)
    for e, src in zip(extra, (0, 1)):  # the floating and the frail live in a grid like the others
        if e["经度"] is None:
            e["经度"], e["纬度"] = df.loc[src, "经度"], df.loc[src, "纬度"]
    pd.concat([df, pd.DataFrame(extra)], ignore_index=True).to_excel(roster, index=False)
    members = load_layer("party_members", str(roster), crs_in="wgs84")
    gp2 = GridPartitioner(corridor_width=0, subgrids=False).fit(dict(layers, party_members=members.gdf.to_crs(GK108)))
    links, pl = gp2.links_, gp2.report_["plan"]["party_links"]
    n = len(df)
    assert not {"赵流动", "钱老", "孙外村"} & set(links["member"])
    why = {m["member_id"]: m["reason"] for m in pl["members_not_linked"]}
    assert why == {f"row {n + 2}": "floating", f"row {n + 3}": "frail", f"row {n + 4}": "outside"}
    assert all(m["fix_zh"] and m["why_zh"] for m in pl["members_not_linked"])
    assert pl["members_total"] == n + 3 and pl["members"] == n
    # The grids' first members share one name: each is linked on their own, 10–15 households each.
    per = links.groupby("member_id")["hh"].sum()
    assert len(per) == n and per.between(10, 15).all()
    assert (links["member"] == "王建国").sum() >= len(gp.grids_)
    # One total: linked + not linked = every household.
    assert pl["households_linked"] == int(links["hh"].sum())
    assert pl["households_linked"] + pl["households_unlinked"] == int(gp2.households_["hh"].sum())


def test_the_ledger_has_a_party_sheet_with_masked_members_their_grid_count_and_addresses(tmp_path, plan):
    import openpyxl

    from gridtool.maps.ledger import write_ledger_xlsx

    layers, gp = plan
    roster = _roster(tmp_path, gp, [{"姓名": "钱老", "备注": "年老体弱", "经度": 100.0, "纬度": 30.0}])
    project = _project(layers, load_layer("party_members", str(roster), crs_in="wgs84"))
    hs = project.layers["households"].gdf
    rows = list(openpyxl.load_workbook(write_ledger_xlsx(project, tmp_path / "台账.xlsx"))["党员联户"].values)
    assert rows[0][:7] == ("序号", "党员", "名册行", "所属党支部", "网格编码", "联系户数", "联系户地址")
    body = [r for r in rows[1:] if isinstance(r[0], int)]
    assert len(body) == len(pd.read_excel(roster))
    assert "王建国" not in str(rows) and "13800001111" not in str(rows)  # masked by default
    linked = [r for r in body if r[5]]
    assert all(10 <= r[5] <= 15 and "幸福路" in r[6] and r[4] in set(gp.grids_["code"]) for r in linked)
    frail = next(r for r in body if r[5] == 0)
    assert "年老体弱" in frail[7] and frail[1] == "钱*"
    total = int(hs["hh"].sum())
    linked_hh = sum(r[5] for r in body)
    assert f"住户 {total:,} 户 = 已联系 {linked_hh:,} + 未联系 {total - linked_hh:,}" in str(rows)


def _project(layers, members):
    """A partitioned project of ``layers`` (households with 地址) and the roster layer ``members``."""
    from gridtool.layers import Layer
    from gridtool.partition.output import apply_to_project
    from gridtool.project import Project

    members.gdf = members.gdf.to_crs(GK108)
    project = Project(crs=GK108)
    hs = layers["households"].assign(地址=[f"幸福路{i + 1}号" for i in range(len(layers["households"]))])
    for role, gdf in dict(layers, households=hs).items():
        project.layers[role] = Layer(role=role, gdf=gdf, source="", crs_in=GK108)
    project.layers["party_members"] = members
    apply_to_project(project, GridPartitioner(corridor_width=0, subgrids=False).fit(project))
    return project


def test_a_members_home_address_is_masked_but_the_household_roster_address_is_not(tmp_path, plan):
    from gridtool.maps.gis import write_geojson
    from gridtool.maps.unmasked import unmasked_outputs, warning_lines

    layers, gp = plan
    members = load_layer("party_members", str(_roster(tmp_path, gp)), crs_in="wgs84")
    assert members.sensitive.get("现居住地址") == "address"
    project = _project(layers, members)
    write_geojson(project, tmp_path / "gj", roles=["party_members", "households"])
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "gj").glob("*.geojson"))
    assert "3组010号" not in text and "王建国" not in text and "13800001111" not in text
    assert "幸福路1号" in text  # a household's 地址 places it and names no one: kept
    # --include-personal keeps the address and says so
    warn = "\n".join(warning_lines(unmasked_outputs(project, [("p.geojson", "gis", {"party_members": None})])))
    assert "现居住地址 住址" in warn


def _leaks(data: str) -> set[str]:
    """The roster's names, phone and addresses found in ``data`` (as text or \\u-escaped in JSON)."""
    import json
    words = ("王建国", "13800001111", "3组010号")  # 3组*** is the masked address
    return {w for w in words if w in data or json.dumps(w)[1:-1] in data}


def test_party_links_and_members_are_layers_of_the_html_map_gpkg_and_kml_masked_unless_asked(tmp_path, plan):
    import re
    import sqlite3

    import pyogrio

    from gridtool.maps.gis import write_gpkg, write_kml
    from gridtool.maps.html import build_html

    layers, gp = plan
    roster = _roster(tmp_path, gp, [{"姓名": "钱老", "备注": "年老体弱", "经度": 100.0, "纬度": 30.0}])
    project = _project(layers, load_layer("party_members", str(roster), crs_in="wgs84"))
    links = project.layers["party_links"].gdf
    n_members = len(project.layers["party_members"].gdf)

    # The HTML map: two layers in the control, off until a 支部书记 turns them on; every link counted.
    m = build_html(project, embed_font=False)
    assert m.counts["party_links"] == len(links) and m.counts["party_members"] == n_members
    groups = dict(re.findall(r'"([^"]+)" : (feature_group_\w+)', m.html))
    on = {json_name.encode().decode("unicode_escape"): g for json_name, g in groups.items()}
    for name in ("党员联户连线", "党员（联户）"):
        assert name in on and f"{on[name]}.addTo(" not in m.html
    assert f"{on['基础网格']}.addTo(" in m.html
    assert not _leaks(m.html) and "联系户数" in m.html
    assert _leaks(build_html(project, embed_font=False, include_personal=True).html) >= {"王建国"}

    # The GeoPackage: both layers, styled for QGIS like the others, names and phones dropped.
    gpkg = write_gpkg(project, tmp_path / "网格.gpkg")[0].path
    assert {"party_links", "party_members"} <= set(pyogrio.list_layers(gpkg)[:, 0])
    with sqlite3.connect(gpkg) as db:
        styled = {r[0] for r in db.execute("select f_table_name from layer_styles")}
    assert {"grids", "party_links", "party_members"} <= styled
    pm = pyogrio.read_dataframe(gpkg, layer="party_members")
    assert int(pm["hh"].sum()) == int(links["hh"].sum())  # one total: the links' households
    assert "年老体弱" in set(pm["note"]) or pm["note"].str.contains("年老体弱").any()
    assert not _leaks(gpkg.read_bytes().decode("utf-8", "replace"))

    # KML (Google Earth, 奥维): a folder per layer, masked names in the balloons.
    kml = write_kml(project, tmp_path / "网格.kml")[0].path.read_text(encoding="utf-8")
    assert "党员联户连线 party_links" in kml and "党员 party_members" in kml
    assert not _leaks(kml) and "王*" in kml
    kml_all = write_kml(project, tmp_path / "全部.kml", include_personal=True)[0].path.read_text(encoding="utf-8")
    assert "王建国" in kml_all


def test_a_member_of_one_villages_branch_living_in_another_village_is_listed_not_linked(tmp_path):
    import openpyxl

    from gridtool.maps.ledger import write_ledger_xlsx

    layers = make_villages(n_villages=2, households=900, river=False, apartments=0, seed=4)
    gp = GridPartitioner(corridor_width=0, subgrids=False).fit(layers)
    to_ll = Transformer.from_crs(GK108, 4326, always_xy=True)
    rows = []
    for code, village in zip(gp.grids_["code"], gp.grids_["village"]):
        p = gp.households_[gp.households_["grid"] == code].geometry.iloc[0].representative_point()
        lon, lat = to_ll.transform(p.x, p.y)
        # 东方广场社区's members in 东方广场社区 (named without 社区); 乌龙池社区's branch has one who lives there
        branch = "东方广场党支部" if village == "东方广场社区" else "乌龙池社区党支部"
        rows.append({"姓名": "王建国", "所属党支部": branch, "经度": lon, "纬度": lat})
    away = next(r for r in rows if r["所属党支部"] == "东方广场党支部")
    rows.append({"姓名": "周外住", "所属党支部": "乌龙池社区党支部", "经度": away["经度"], "纬度": away["纬度"]})
    pd.DataFrame(rows).to_excel(tmp_path / "党员名册.xlsx", index=False)
    members = load_layer("party_members", str(tmp_path / "党员名册.xlsx"), crs_in="wgs84")
    project = _project(layers, members)
    pl = project.parameters["partition"]["plan"]["party_links"]
    odd = f"row {len(rows) + 1}"
    listed = {m["member_id"]: m for m in pl["members_not_linked"]}
    assert set(listed) == {odd} and listed[odd]["reason"] == "other_village"
    assert "乌龙池社区" in listed[odd]["why_zh"] and "东方广场社区" in listed[odd]["why_zh"]
    assert "核对住址或所属党支部" in listed[odd]["fix_zh"]
    links = project.layers["party_links"].gdf
    assert odd not in set(links["member_id"]) and links["member_id"].nunique() == len(rows) - 1
    sheet = list(openpyxl.load_workbook(write_ledger_xlsx(project, tmp_path / "台账.xlsx"))["党员联户"].values)
    row = next(r for r in sheet if r[2] == f"第 {len(rows) + 1} 行")
    assert row[5] == 0 and "核对住址或所属党支部" in row[7] and row[1] == "周*住"


def test_roster_rows_skipped_at_import_for_want_of_coordinates_are_in_the_partition_and_ledger_totals(tmp_path, plan):
    import openpyxl

    from gridtool.maps.ledger import write_ledger_xlsx

    layers, gp = plan
    roster = _roster(tmp_path, gp, [{"姓名": "吴无坐标", "经度": None, "纬度": None},
                                    {"姓名": "郑也无", "经度": "不详", "纬度": ""},
                                    {"姓名": "钱老", "备注": "年老体弱", "经度": 100.0, "纬度": 30.0}])
    n = len(pd.read_excel(roster))
    members = load_layer("party_members", str(roster), crs_in="wgs84")
    assert len(members.gdf) == n - 2  # import skips the two rows, with a warning
    project = _project(layers, members)
    pl = project.parameters["partition"]["plan"]["party_links"]
    why = {m["member_id"]: m["reason"] for m in pl["members_not_linked"]}
    assert why == {f"row {n - 1}": "no_point", f"row {n}": "no_point", f"row {n + 1}": "frail"}
    assert pl["members_total"] == n == pl["members"] + len(why)
    rows = list(openpyxl.load_workbook(write_ledger_xlsx(project, tmp_path / "台账.xlsx"))["党员联户"].values)
    body = [r for r in rows[1:] if isinstance(r[0], int)]
    assert len(body) == n
    skipped = [r for r in body if r[2] in (f"第 {n - 1} 行", f"第 {n} 行")]
    assert len(skipped) == 2 and all("没有经纬度" in r[7] and "补全经纬度" in r[7] for r in skipped)
    assert f"党员名册 {n} 名 = 已联户 {n - 3} + 未联户 3（原因见“说明”）" in str(rows)


def test_a_members_door_number_is_masked_before_a_later_place_word():
    """Found in review: a member's address kept everything up to its last place word, so the door
    came out whole when an estate followed it (中山路12号新村3栋 → 中山路12号新村**, 幸福路18号幸福里小区5栋301
    → 幸福路18号幸福里小区*****) and 12号 alone kept its number. The door never stays readable now."""
    import pandas as pd

    from gridtool.maps.privacy import mask_address, mask_frame
    assert mask_address("中山路12号新村3栋") == "中山路*******"
    assert mask_address("幸福路18号幸福里小区5栋301") == "幸福路" + "*" * 13
    assert mask_address("12号") == "***"
    assert mask_address("五老村社区3组12号") == "五老村社区3组***"  # the place stays readable
    assert mask_address("五老村社区") == "五老村社区"
    df = pd.DataFrame({"姓名": ["王建国"], "现居住地址": ["光华路8号阳光小区2幢"]})
    out = mask_frame(df, {"现居住地址": "address"}, personal_role=True)
    assert "8号" not in out["现居住地址"].iloc[0] and out["现居住地址"].iloc[0].startswith("光华路")


def test_a_member_who_looks_after_frail_households_is_not_taken_for_frail():
    """年老体弱 in a member's row takes their households away only when it describes the member:
    "负责联系年老体弱户" (they look after frail households) did too, so the most willing members
    got no households (found in review)."""
    import pandas as pd

    from gridtool.partition.staffing import member_exclusions
    roster = pd.DataFrame({"name": ["甲", "乙", "丙", "丁", "戊"],
                           "备注": ["负责联系年老体弱户", "年老体弱", "本人行动不便", "帮扶卧床老人", None],
                           "身体状况": [None, None, None, None, "体弱"]})
    assert member_exclusions(roster) == [None, "frail", "frail", None, "frail"]


def test_a_member_the_grids_households_ran_out_for_is_not_linked_with_why():
    """Three members in a grid of one household: two get none. They were counted 已联户 in the
    console and the ledger while the HTML map drew them grey ("no households"); now they are
    未联户 with why and fix, and 名册 = 已联户 + 未联户 still holds (found in review)."""
    import shapely

    from gridtool.partition.staffing import party_links
    crs = GK108
    grids = gpd.GeoDataFrame({"code": ["G1"], "village": ["甲村"]}, geometry=[shapely.box(0, 0, 100, 100)], crs=crs)
    households = gpd.GeoDataFrame({"hh": [1], "grid": ["G1"], "src_id": ["row 2"]},
                                  geometry=[shapely.Point(50, 50)], crs=crs)
    members = gpd.GeoDataFrame({"name": ["甲", "乙", "丙"], "src_id": ["row 2", "row 3", "row 4"]},
                               geometry=[shapely.Point(50, 51), shapely.Point(10, 10), shapely.Point(90, 90)], crs=crs)
    links, summary, not_linked = party_links(households, members, grids)
    assert len(links) == 1 and links["member_id"].iat[0] == "row 2"
    assert summary[0]["members"] == 1
    assert [(m["member_id"], m["reason"]) for m in not_linked] == [("row 3", "none_left"), ("row 4", "none_left")]
    assert all(m["why_zh"] and m["fix_zh"] for m in not_linked)
