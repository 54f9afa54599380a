"""Broken and awkward files an office PC really produces: each ends in a plain bilingual message
naming the file and the fix (or is read right), never a traceback or a silently wrong count."""

from __future__ import annotations

import struct
import subprocess
import sys

import pytest

from gridtool.atomic import write_bytes_atomic
from gridtool.cli import main
from gridtool.errors import FileInUseError, InputFileError
from gridtool.layers import load_layer


def _shapefile(tmp_path, township, name="住户"):
    shp = tmp_path / f"{name}.shp"
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
