"""Broken and awkward files an office PC really produces: each ends in a plain bilingual message
naming the file and the fix (or is read right), never a traceback or a silently wrong count."""

from __future__ import annotations

import struct

import pytest

from gridtool.cli import main
from gridtool.errors import InputFileError
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
