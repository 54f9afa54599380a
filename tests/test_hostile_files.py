"""Broken and awkward files an office PC really produces: each ends in a plain bilingual message
naming the file and the fix (or is read right), never a traceback or a silently wrong count."""

from __future__ import annotations

import json
import sqlite3
import struct
import subprocess
import sys
import zipfile

import openpyxl
import pandas as pd
import pytest

from gridtool.atomic import write_bytes_atomic
from gridtool.cli import main
from gridtool.errors import FileInUseError, InputFileError
from gridtool.layers import load_layer


def _shapefile(folder, township, name="住户"):
    shp = folder / f"{name}.shp"
    township["households"].to_file(shp, driver="ESRI Shapefile", encoding="utf-8", engine="pyogrio")
    return shp


def _cut_dbf_to(dbf, keep: int) -> None:
    """A .dbf saved with fewer rows than its .shp has shapes (edited in Excel, or from another copy)."""
    data = bytearray(dbf.read_bytes())
    header, record = struct.unpack("<HH", data[8:12])
    data[4:8] = struct.pack("<I", keep)
    dbf.write_bytes(bytes(data[:header + keep * record]) + b"\x1a")


def test_a_dbf_with_fewer_rows_than_the_shp_is_refused_not_read_short(tmp_path, township, capsys):
    shp = _shapefile(tmp_path, township)
    _cut_dbf_to(shp.with_suffix(".dbf"), 40)
    with pytest.raises(InputFileError) as info:
        load_layer("households", str(shp))
    err = info.value
    assert err.file.endswith("住户.dbf") and "40" in err.en and "60" in err.en and err.fix_zh
    assert main(["validate", "--households", str(shp)]) == 2
    text = capsys.readouterr().err
    assert "属性表与图形对不上" in text and "Traceback" not in text


@pytest.fixture
def held_open(tmp_path):
    """A GeoPackage another program (QGIS mid-edit) holds locked for writing, in another process."""
    procs = []

    def hold(path):
        code = ("import sqlite3, sys, time\n"
                "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                "c.execute('BEGIN EXCLUSIVE'); c.execute('CREATE TABLE IF NOT EXISTS qgis_edit(a)')\n"
                "print('locked', flush=True); sys.stdin.read()\n")
        proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "locked"
        return path

    yield hold
    for proc in procs:
        proc.stdin.close()
        proc.wait()


def test_a_geopackage_locked_by_another_program_is_named_as_such(tmp_path, written, held_open, capsys):
    project = tmp_path / "项目 (最终版).gpkg"
    assert main(["import", f"--villages={written['villages']}", f"--households={written['households']}",
                 "--out", str(project), "--quiet"]) == 0
    capsys.readouterr()
    before = project.read_bytes()
    held_open(project)
    # As input: info, validate and export say "locked", not "internal error" nor "not a GeoPackage".
    for args in (["info", str(project)], ["validate", str(project)],
                 ["validate", "--households", f"{project}:households"],
                 ["export", str(project), "--html", str(tmp_path / "map.html"), "--quiet"]):
        assert main(["--lang", "both", *args]) == 2, args
        err = capsys.readouterr().err
        assert "被锁定" in err and "(locked); it cannot be read" in err and "项目 (最终版).gpkg" in err and "内部错误" not in err
    # As output: not "exists and is not a gridtool project", and never replaced under the other program.
    assert main(["--lang", "both", "import", f"--villages={written['villages']}", "--out", str(project),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "无法写入" in err and "(locked); it cannot be written" in err and "不是 gridtool 项目" not in err
    with pytest.raises(FileInUseError):  # every export's last step (GeoPackage, shapefile zip, wall map)
        write_bytes_atomic(project, b"an export")
    assert project.read_bytes() == before


def test_info_on_renamed_zipped_cut_and_damaged_files_reads_them_or_says_why(tmp_path, township, capsys):
    (tmp_path / "数据 (最终版)").mkdir()
    shp = _shapefile(tmp_path / "数据 (最终版)", township)
    pts = township["households"].to_crs(4326)
    table = pd.DataFrame({"户主姓名": township["households"]["户主姓名"], "户数": township["households"]["户数"],
                          "经度": pts.geometry.x.round(6), "纬度": pts.geometry.y.round(6)})
    csv_as_xlsx = tmp_path / "住户 表.xlsx"
    table.to_csv(csv_as_xlsx, index=False)
    zipped = tmp_path / "住户.zip"  # mailed by a planner: the shapefile in a subfolder
    with zipfile.ZipFile(zipped, "w") as zf:
        for part in shp.parent.glob("住户.*"):
            zf.write(part, f"住户数据/图层/{part.name}")
    read = {shp: 60, csv_as_xlsx: 60, zipped: 60}  # field names cut mid-character by the writer; renamed; zipped
    for path, features in read.items():
        assert main(["info", "--json", str(path)]) == 0, path
        summary = json.loads(capsys.readouterr().out)
        assert [e["features"] for e in summary["layers"].values()] == [features]
    empty_sqlite = tmp_path / "空.gpkg"
    sqlite3.connect(empty_sqlite).execute("CREATE TABLE t(a)").connection.commit()
    no_kml = tmp_path / "标注.kmz"
    with zipfile.ZipFile(no_kml, "w") as zf:
        zf.writestr("files/icon.png", b"\x89PNG")
    short = tmp_path / "short"
    short.mkdir()
    cut = _shapefile(short, township)
    _cut_dbf_to(cut.with_suffix(".dbf"), 40)
    for path in (empty_sqlite, no_kml, cut):
        assert main(["info", str(path)]) == 2, path
        err = capsys.readouterr().err
        assert "解决办法" in err and "内部错误" not in err and "Traceback" not in err


def _roster(tmp_path, township, name="住户.xlsx"):
    pts = township["households"].to_crs(4326)
    table = pd.DataFrame({"户主姓名": township["households"]["户主姓名"], "户数": township["households"]["户数"],
                          "经度": pts.geometry.x.round(6), "纬度": pts.geometry.y.round(6)})
    path = tmp_path / name
    table.to_excel(path, index=False)
    return path


def test_excel_lock_file_and_password_protected_workbook_are_named(tmp_path, township, capsys):
    roster = _roster(tmp_path, township)
    lock = tmp_path / "~$住户.xlsx"  # what WPS/Excel leave beside a workbook while it is open
    lock.write_bytes(b"\x05\x00" + "张三".encode("utf-16-le") + b" " * 150)
    with pytest.raises(InputFileError) as info:
        load_layer("households", str(lock))
    assert "住户.xlsx" in info.value.fix_zh and "lock file" in info.value.en
    # The workbook itself is read, with a warning that unsaved edits in Excel/WPS are not in it.
    lyr = load_layer("households", str(roster))
    assert len(lyr.gdf) == 60 and any(p.code == "open_in_office" for p in lyr.problems)
    secret = tmp_path / "加密 (密码).xlsx"  # an encrypted workbook is an OLE2 container whatever its name
    body = bytearray(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(range(256)) * 12)
    body[1024:1024 + 32] = "EncryptedPackage".encode("utf-16-le")
    secret.write_bytes(bytes(body))
    junk = tmp_path / "损坏.xlsx"
    junk.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(range(256)) * 12)
    for path, says in ((secret, "password (encrypted) and cannot be read"), (junk, "most likely it is protected")):
        assert main(["--lang", "both", "validate", "--households", str(path)]) == 2
        err = capsys.readouterr().err
        assert says in err and "取消密码" in err and path.name in err and "marker" not in err


def test_a_header_merged_over_two_rows_keeps_every_name_and_hidden_rows_count(tmp_path, township):
    pts = township["households"].to_crs(4326)
    hh = township["households"]
    book = openpyxl.Workbook()
    notes = book.active
    notes.title, notes["A1"], notes.sheet_state = "说明", "填表说明", "hidden"
    sheet = book.create_sheet("住户")
    sheet.append(["户编号", "户主信息", None, "户数", "位置", None])
    sheet.append([None, "姓名", "电话", None, "经度", "纬度"])
    for cells in ("A1:A2", "B1:C1", "D1:D2", "E1:F1"):
        sheet.merge_cells(cells)
    for i in range(len(hh)):
        sheet.append([hh["户编号"][i], hh["户主姓名"][i], hh["联系电话"][i], int(hh["户数"][i]),
                      float(pts.geometry.x[i]), float(pts.geometry.y[i])])
    for row in range(5, 10):
        sheet.row_dimensions[row].hidden = True  # hidden, still households
    path = tmp_path / "数据 (最终版)" / "住户 表.xlsx"
    path.parent.mkdir()
    book.save(path)
    lyr = load_layer("households", f"{path}:住户")
    assert len(lyr.gdf) == 60 and lyr.gdf["hh"].sum() == hh["户数"].sum()
    assert lyr.columns_used["hh"] == "户数" and {"户编号", "姓名", "电话"} <= set(lyr.gdf.columns)
    # A title row above the header (one cell) names nothing.
    titled = tmp_path / "标题.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["东方广场社区住户花名册"])
    book.active.append(["户主", None, "经度", "纬度"])
    book.active.append(["张三", 3, float(pts.geometry.x[0]), float(pts.geometry.y[0])])
    book.save(titled)
    assert "东方广场社区住户花名册" not in load_layer("households", str(titled)).gdf.columns


def test_empty_sqlite_gpkg_kmz_without_kml_and_zip_subfolders_are_told_plainly(tmp_path, township, capsys):
    empty = tmp_path / "网格 (最终版).gpkg"  # a database made but never filled, or another program's
    sqlite3.connect(empty).execute("CREATE TABLE t(a)").connection.commit()
    no_kml = tmp_path / "标注.kmz"
    with zipfile.ZipFile(no_kml, "w") as zf:
        zf.writestr("files/icon.png", b"\x89PNG")
    for path, says in ((empty, "not a GeoPackage"), (no_kml, "holds no .kml file")):
        for args in (["validate", "--households", str(path)], ["info", str(path)]):
            assert main(["--lang", "both", *args]) == 2, args
            err = capsys.readouterr().err
            assert says in err and path.name in err and "gpkg_contents, is missing" not in err
            assert "RuntimeWarning" not in err
    (tmp_path / "shp").mkdir()
    shp = _shapefile(tmp_path / "shp", township)  # its field names cut mid-character: a warning
    zipped = tmp_path / "住户.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for part in shp.parent.glob("住户.*"):
            zf.write(part, f"住户数据/{part.name}")
    lyr = load_layer("households", str(zipped))
    assert len(lyr.gdf) == 60
    assert {p.code for p in lyr.problems} >= {"field_names_cut"} and "archive_paths" not in {p.code for p in lyr.problems}
    assert all(p.file is None or p.file.startswith(str(zipped)) for p in lyr.problems)
    escaping = tmp_path / "逃逸.zip"  # a member path that leaves the folder is still told
    with zipfile.ZipFile(escaping, "w") as zf:
        for part in shp.parent.glob("住户.*"):
            zf.write(part, f"../{part.name}")
    assert "archive_paths" in {p.code for p in load_layer("households", str(escaping)).problems}
