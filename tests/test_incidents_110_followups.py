"""Follow-ups of the 110 接处警 export probe: the incident number stays readable in exports."""

from __future__ import annotations

import pandas as pd

from gridtool.maps.privacy import mask_frame, mask_layer
from gridtool.personal import is_id_number, is_record_number_header
from gridtool.project import Project
from tests.test_incidents_110_export import write_110_export


def test_incident_number_is_not_masked_as_an_id_card_number(tmp_path):
    """Before: 警情编号 320102202611060001 (18 digits, a date inside) was flagged 身份证号 by content
    and masked in every export (3201022026********), hiding the key the officer looks the call up
    by. Now a number failing the check character is no ID by content, and a column headed as a
    record's number is never one by content (0001 passes the check by chance); a column headed
    身份证号 is masked even with typo'd check characters."""
    path = tmp_path / "警情.xlsx"
    write_110_export(path)
    lyr = Project.from_sources({"incidents": str(path)}, crs_in="bd09").layers["incidents"]
    assert "警情编号" not in lyr.sensitive and lyr.sensitive.get("联系电话") == "phone"
    out = mask_layer(lyr)
    assert out["警情编号"].tolist() == lyr.gdf["警情编号"].tolist()
    assert "320102202611060001" in out["警情编号"].tolist()
    assert not out["联系电话"].astype(str).str.contains("13812340000").any()

    # by content: the check character decides; by header: 身份证号 is masked whatever its digits
    assert not is_id_number("320102202611060002") and is_id_number("11010519491231002X")
    assert is_record_number_header("警情编号") and is_record_number_header("接警 流水号")
    assert not is_record_number_header("身份证编号") and not is_record_number_header("备注")
    df = pd.DataFrame({"案件编号": ["11010519491231002X", "110105194912310029"],
                       "身份证号": ["110101199003071235", "110101199003071236"],
                       "号码": ["11010519491231002X", "11010519491231002X"]})
    masked = mask_frame(df)
    assert masked["案件编号"].tolist() == df["案件编号"].tolist()
    assert not masked["身份证号"].isin(df["身份证号"]).any()
    assert not masked["号码"].isin(df["号码"]).any()  # valid IDs under no header: by content


def _export_with_addresses(tmp_path):
    """The 110 export with two unlocated calls whose 发案地址 a household or a place carries, written
    another way; a roster where 中山路20号 is two doors far apart; the three paths by role."""
    from openpyxl import load_workbook

    from tests.test_incidents_110_export import LAT, LON
    path = tmp_path / "警情.xlsx"
    rows = write_110_export(path)
    wb = load_workbook(path)
    ws = wb.active
    ws[f"E{rows['zero'][0]}"] = "中山路 13 号附近"  # roster: 中山路１３# (full-width, #)
    ws[f"E{rows['empty'][0]}"] = "人民中学门口"  # a key place's name
    ws[f"E{rows['empty'][1]}"] = "中山路20号"  # two households 2 km apart: not placed
    wb.save(path)
    hh = pd.DataFrame({"户主": ["王明", "李强", "赵丽"], "地址": ["中山路１３#", "中山路20号", "中山路20号"], "户数": 1,
                       "经度": [LON + .001, LON + .002, LON + .022], "纬度": [LAT, LAT, LAT]})
    hh.to_csv(tmp_path / "住户.csv", index=False)
    pd.DataFrame({"名称": ["人民中学"], "类别": ["学校"], "经度": [LON - .001], "纬度": [LAT]}).to_csv(
        tmp_path / "场所.csv", index=False)
    return {"incidents": str(path), "households": str(tmp_path / "住户.csv"), "places": str(tmp_path / "场所.csv")}, rows


def test_calls_without_coordinates_are_placed_by_address(tmp_path):
    """Before: every call with empty or 0,0 coordinates stayed off the map although its 发案地址 was
    a household's 地址 or a key place's name. Now those equal once written alike are placed there,
    the rule (地址匹配) and the rows are named, and the one count line says 落图 A（其中按地址 B）."""
    import geopandas as gpd

    from gridtool.address_match import normalise_address, placed_by_address_count
    from gridtool.routing.hotspots import headline, unplaced_counts
    assert normalise_address("中山路 １３# 旁") == normalise_address("中山路13號") == "中山路13号"
    sources, rows = _export_with_addresses(tmp_path)
    p = Project.from_sources(sources, crs_in="bd09")
    lyr = p.layers["incidents"]
    assert len(lyr.gdf) == 13 + 2 and (lyr.gdf["placed_by"] == "地址匹配").sum() == 2
    placed = lyr.gdf[lyr.gdf["placed_by"] == "地址匹配"]
    assert set(placed["src_id"]) == {f"row {rows['zero'][0]}", f"row {rows['empty'][0]}"}
    assert placed["type"].eq("治安-盗窃").all() and placed["hour"].eq(23.75).all()
    school = p.layers["places"].gdf.to_crs(lyr.gdf.crs).geometry.iloc[0]
    assert placed.geometry.distance(school).min() < 1
    by_code = {q.code: q for q in lyr.problems}
    assert by_code["placed_by_address"].features == list(placed["src_id"])
    assert "地址匹配" in by_code["placed_by_address"].zh and "仍有 7 条未落图" in by_code["placed_by_address"].zh
    assert f"row {rows['empty'][1]}" in by_code["bad_coordinates"].features  # 中山路20号: two doors
    assert by_code["bad_coordinates"].zh.startswith("3 行") and by_code["zero_coordinates"].zh.startswith("4 行")
    counts = unplaced_counts(lyr.problems)
    spots = gpd.GeoDataFrame({"incidents": [6]}, geometry=lyr.gdf.geometry[:1].to_numpy(), crs=lyr.gdf.crs)
    zh, en = headline(spots, total=len(lyr.gdf), unplaced=counts, by_address=placed_by_address_count(lyr.problems))
    assert zh.startswith("警情 22 条 = 落图 15（其中按地址 2）+ 未落图 7（坐标为空 3、坐标为 0,0 4"), zh
    assert en.startswith("incidents: 22 = 15 placed (2 by address) + 7 not placed"), en


def test_categories_group_under_their_parent_and_patrol_filters_them(tmp_path, capsys):
    """Before: 治安 and 治安-盗窃 were two types in a hot spot's 主要类别, and hot spots came from every
    call. Now sub-categories (治安-盗窃, 治安/纠纷) count under their parent, and
    ``patrol --category 治安`` makes hot spots from those calls only, stating the filter and the
    count it keeps; a category no call has is an error listing those present."""
    from gridtool import cli
    from gridtool.incidents import category_summary, select_categories, split_category
    from tests.patrol_data import patrol_town, write_layers
    assert split_category("治安/盗窃") == split_category("治安 - 盗窃") == ("治安", "盗窃")
    assert category_summary(["治安", "治安-盗窃", "治安/盗窃", "刑事-诈骗", None]) == "治安 3（盗窃 2）、刑事 1（诈骗 1）"
    mask, missing = select_categories(["治安", "治安-盗窃", "刑事-诈骗", "其他"], ["治安/盗窃", "刑事", "交通"])
    assert mask.tolist() == [False, True, True, False] and missing == ["交通"]

    t = patrol_town()
    renamed = {"盗窃": "治安-盗窃", "纠纷": "治安/纠纷", "诈骗": "刑事-诈骗", "其他": "其他"}
    t["incidents"] = t["incidents"].assign(警情类别=t["incidents"]["警情类别"].map(renamed))
    n_public = int(t["incidents"]["警情类别"].str.startswith("治安").sum())
    src = write_layers(tmp_path / "town.gpkg", t)
    args = sum(([f"--{k}", v] for k, v in src.items()), [])
    code = cli.main(["patrol", *args, "--start", "14:00", "--time-limit", "0.3", "--no-save",
                     "--out", str(tmp_path / "all")])
    out = capsys.readouterr().out
    assert code == 0 and f"警情 {len(t['incidents'])} 条" in out
    assert "治安-盗窃 " not in out and "治安 " in out  # 主要类别 by parent: 治安 n（盗窃 m）
    code = cli.main(["patrol", *args, "--category", "治安", "--start", "14:00", "--time-limit", "0.3",
                     "--no-save", "--out", str(tmp_path / "public")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"按类别筛选 --category 治安：警情 {len(t['incidents'])} 条" in out
    assert f"类别为 治安 的 {n_public} 条" in out and f"其余 {len(t['incidents']) - n_public} 条不计" in out
    assert f"警情（只计类别 治安）{n_public} 条" in out and "刑事" not in out.split("警情（只计类别")[1]
    code = cli.main(["patrol", *args, "--category", "交通", "--out", str(tmp_path / "none")])
    err = capsys.readouterr().err
    assert code == 2 and "交通" in err and "治安" in err and "刑事" in err


def test_crs_fix_names_the_role_and_quiet_patrol_keeps_the_count_line(tmp_path, capsys):
    """Before: metres declared as degrees in a 110 export asked for ``--crs-in Sheet1=EPSG:…`` (the
    sheet, which --crs-in does not take), and ``patrol --quiet`` hid the one count line although
    import, partition and export keep their results under --quiet (it hides progress only). Now
    the fix says ``--crs-in incidents=EPSG:…`` and --quiet hides only the list of hot spots."""
    from gridtool import cli
    from gridtool.errors import CRSError
    from tests.patrol_data import patrol_town, write_layers
    path = tmp_path / "警情.xlsx"
    pd.DataFrame({"警情编号": ["A1", "A2", "A3"], "经度": [480000, 480100, 480200],
                  "纬度": [3265000, 3265100, 3265200]}).to_excel(path, index=False)
    try:
        Project.from_sources({"incidents": str(path)}, crs_in={"incidents": "wgs84"})
    except CRSError as e:
        assert "--crs-in incidents=EPSG:" in e.fix_zh and "--crs-in incidents=EPSG:" in e.fix_en, e.fix_zh
        assert "Sheet" not in e.fix_zh
    else:
        raise AssertionError("metres declared as degrees must fail")

    t = patrol_town()
    src = write_layers(tmp_path / "town.gpkg", t)
    code = cli.main(["patrol", *sum(([f"--{k}", v] for k, v in src.items()), []), "--quiet", "--start", "14:00",
                     "--time-limit", "0.3", "--no-save", "--out", str(tmp_path / "q")])
    out = capsys.readouterr().out
    assert code == 0 and f"警情 {len(t['incidents'])} 条" in out and "热点 3 处" in out
    assert "  1. " not in out  # the list of hot spots is detail, hidden by --quiet


def test_id_numbers_under_a_plain_number_header_are_masked():
    """Found in review: every header with 编号/序号/编码 counted as a call's number, so a roster
    column 编号, 序号 or 党员编号 holding real ID numbers (check characters right) was never an ID
    column with fewer than five rows, and its bare values were never scrubbed: the IDs went out
    whole, where before this round they were masked. Only a call's or a case's number is kept."""
    def with_check(body):
        total = sum(int(d) * w for d, w in zip(body, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
        return body + "10X98765432"[total % 11]

    ids = [with_check(b) for b in ("32010219860209120", "11010519980816667", "51010720000404499")]
    assert all(is_id_number(i) for i in ids)
    for header in ("编号", "序号", "党员编号", "编码"):
        assert not is_record_number_header(header)
        df = pd.DataFrame({"姓名": ["张伟", "李娜", "王强"], header: ids})
        masked = mask_frame(df, personal_role=True)
        assert not masked[header].isin(ids).any(), header
        assert masked[header].str.startswith(tuple(i[:6] for i in ids)).all()  # masked, not dropped
    # a roster of ten where only three IDs are typed right: those three are masked all the same
    typos = [i[:17] + ("0" if i[17] != "0" else "1") for i in ids]
    column = ids + [t for t in typos for _ in range(2)] + typos[:1]
    assert len(column) == 10
    masked = mask_frame(pd.DataFrame({"编号": column}))
    assert not masked["编号"].isin(ids).any()
    # the numbers of calls and cases stay readable, as before
    assert is_record_number_header("警情编号") and is_record_number_header("案件编号")
    calls = pd.DataFrame({"警情编号": ["11010519491231002X", "320102202611060001"]})
    assert mask_frame(calls)["警情编号"].tolist() == calls["警情编号"].tolist()


def test_a_household_address_without_a_door_number_places_no_call(tmp_path):
    """Found in review: a roster row whose 地址 is only its village or road (五老村, 中山路) placed
    every call written 五老村 (or 中山路一带) on that one household's door, although the call names
    no door: a hot spot drawn on a house by a guess. A household's address places a call only when
    it has a door number; a key place's name still places it."""
    from openpyxl import load_workbook

    from tests.test_incidents_110_export import LAT, LON
    path = tmp_path / "警情.xlsx"
    rows = write_110_export(path)
    wb = load_workbook(path)
    ws = wb.active
    ws[f"E{rows['empty'][0]}"] = "五老村"
    ws[f"E{rows['empty'][1]}"] = "中山路一带"
    ws[f"E{rows['empty'][2]}"] = "中山路99号"
    ws[f"E{rows['empty'][3]}"] = "人民中学门口"
    wb.save(path)
    pd.DataFrame({"户主": ["王明", "李强", "赵丽"], "地址": ["五老村", "中山路", "中山路99号"], "户数": 1,
                  "经度": [LON + .001, LON + .002, LON + .003], "纬度": [LAT, LAT, LAT]}).to_csv(
        tmp_path / "住户.csv", index=False)
    pd.DataFrame({"名称": ["人民中学"], "类别": ["学校"], "经度": [LON - .001], "纬度": [LAT]}).to_csv(
        tmp_path / "场所.csv", index=False)
    p = Project.from_sources({"incidents": str(path), "households": str(tmp_path / "住户.csv"),
                              "places": str(tmp_path / "场所.csv")}, crs_in="bd09")
    lyr = p.layers["incidents"]
    placed = set(lyr.gdf.loc[lyr.gdf["placed_by"] == "地址匹配", "src_id"])
    assert placed == {f"row {rows['empty'][2]}", f"row {rows['empty'][3]}"}
    left = {f for q in lyr.problems if q.code == "bad_coordinates" for f in q.features}
    assert {f"row {rows['empty'][0]}", f"row {rows['empty'][1]}"} <= left


def test_unplaced_calls_keep_their_category_in_a_saved_project_and_import_states_the_sheets_total(
        tmp_path, capsys):
    """Before: a saved project kept only the rows of the calls never placed, so ``patrol --category
    治安`` on it could not say how many 治安 calls were off the map, and import's line for the
    incidents layer showed the placed count as if it were the sheet's. Now the category and why of
    each unplaced call are saved, the filtered count is 警情 N = 落图 A + 未落图 C for 治安 both from
    the tables and from the saved project, and import states the sheet's rows with the same equation."""
    from gridtool import cli
    from tests.patrol_data import patrol_town, write_layers
    t = patrol_town()
    renamed = {"盗窃": "治安-盗窃", "纠纷": "治安/纠纷", "诈骗": "刑事-诈骗", "其他": "其他"}
    inc = t.pop("incidents")
    ll = inc.to_crs(4326)
    table = pd.DataFrame({"报警时间": inc["报警时间"].astype(str), "警情类别": inc["警情类别"].map(renamed),
                          "经度": ll.geometry.x, "纬度": ll.geometry.y})
    off = pd.DataFrame({"报警时间": table["报警时间"].iloc[0], "警情类别": ["治安-盗窃"] * 3 + ["刑事-诈骗"] * 2,
                        "经度": [None, None, None, 0, 0], "纬度": [None, None, None, 0, 0]})
    table = pd.concat([table, off], ignore_index=True)
    table.to_csv(tmp_path / "警情.csv", index=False)
    placed_public = int(table["警情类别"].iloc[:len(inc)].str.startswith("治安").sum())
    src = {**write_layers(tmp_path / "town.gpkg", t), "incidents": str(tmp_path / "警情.csv")}
    args = sum(([f"--{k}", v] for k, v in src.items()), [])
    want = f"类别 治安：警情 {placed_public + 3} 条 = 落图 {placed_public} + 未落图 3"
    run = ["--category", "治安", "--start", "14:00", "--time-limit", "0.3", "--no-save"]
    assert cli.main(["patrol", *args, *run, "--out", str(tmp_path / "a")]) == 0
    assert want in capsys.readouterr().out
    # import: the incidents line states the sheet's rows, not only the placed ones
    assert cli.main(["import", *args, "--out", str(tmp_path / "p.gpkg")]) == 0
    out = capsys.readouterr().out
    assert f"警情 {len(table)} 条 = 落图 {len(inc)} + 未落图 5（坐标为空 3、坐标为 0,0 2）" in out
    # the saved project: the same count for 治安 as the run from the tables
    saved = Project.open(tmp_path / "p.gpkg").layers["incidents"].unlocated
    assert sorted(saved["type"]) == ["刑事-诈骗"] * 2 + ["治安-盗窃"] * 3
    assert cli.main(["patrol", str(tmp_path / "p.gpkg"), *run, "--out", str(tmp_path / "b")]) == 0
    assert want in capsys.readouterr().out
    assert cli.main(["patrol", str(tmp_path / "p.gpkg"), *run[:1], "刑事", *run[2:], "--out", str(tmp_path / "c")]) == 0
    assert "未落图 2" in capsys.readouterr().out
