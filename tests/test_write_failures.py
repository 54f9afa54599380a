"""An output that cannot be written: the old file open in Excel/WPS (the rename over it is refused),
a read-only folder (no temporary file can be made beside it), a full disk (ENOSPC as the file is
flushed). Every writer says so in Chinese and English, naming the file the user asked for (not a
temporary name) and the likely cause with a fix; the previous file stays as it was, no temporary
file is left, and a set of files (a shapefile, a patrol folder) is replaced whole or not at all.

This machine runs as root (chmod stops nothing): the failures are made with monkeypatch.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from gridtool import atomic, cells
from gridtool.atomic import WriteError, publish_together, write_bytes_atomic
from gridtool.cli import main
from gridtool.maps import gis, ledger
from gridtool.maps.html import write_html
from gridtool.project import ProjectWriteError

from .maps_data import make_project
from .test_routing_siting import _project_files

_real_replace = os.replace


@pytest.fixture(scope="module")
def project():
    return make_project()


@pytest.fixture(scope="module")
def previous(project, tmp_path_factory):
    """A writer's files as its last run left them (written once per writer, copied by each test)."""
    made = {}

    def get(writer: str) -> Path:
        if writer not in made:
            made[writer] = tmp_path_factory.mktemp(writer)
            WRITERS[writer][0](project, made[writer])
        return made[writer]
    return get


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden temporary files too) with a digest of its bytes."""
    return {str(p.relative_to(folder)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


#: writer: (write into folder, the file the message must name)
WRITERS = {
    "project": (lambda p, out: p.save(out / "plan.gpkg", force=True), "plan.gpkg"),
    "ledger": (lambda p, out: ledger.write_ledger_xlsx(p, out / "台账.xlsx"), "台账.xlsx"),
    "ledger-csv": (lambda p, out: ledger.write_ledger_csv(p, out / "csv"), ".csv"),
    "html": (lambda p, out: write_html(p, out / "map.html"), "map.html"),
    "gpkg": (lambda p, out: gis.write_gpkg(p, out / "grids.gpkg"), "grids.gpkg"),
    "shp": (lambda p, out: gis.write_shapefiles(p, out / "shp"), "shp"),
    "geojson": (lambda p, out: gis.write_geojson(p, out / "geojson"), "geojson"),
    "kml": (lambda p, out: gis.write_kml(p, out / "grids.kml"), "grids.kml"),
}


def _excel_holds_it(src, dst, *args, **kwargs):
    """Windows with the old file open in Excel: the rename over it is refused (WinError 32/5 → errno 13)."""
    if Path(dst).exists() and not Path(dst).name.startswith("."):
        raise PermissionError(errno.EACCES, "Permission denied", str(src), None, str(dst))
    return _real_replace(src, dst, *args, **kwargs)


def _no_space(fd):
    raise OSError(errno.ENOSPC, "No space left on device")


def _read_only(*args, **kwargs):
    raise PermissionError(errno.EACCES, "Permission denied", str(kwargs.get("dir", "")))


#: failure: (what to patch, the words the user must see in Chinese and in English)
FAILURES = {
    "excel": ([(os, "replace", _excel_holds_it)], "文件可能正在被 Excel/WPS 打开，请关闭后重试", "open in Excel/WPS"),
    "full": ([(os, "fsync", _no_space)], "磁盘空间不足", "the disk is full"),
    "readonly": ([(tempfile, "mkstemp", _read_only), (tempfile, "mkdtemp", _read_only)],
                 "输出文件夹只读，请换一个文件夹", "the output folder is read-only"),
}


@pytest.mark.parametrize("failure", list(FAILURES))
@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_writer_that_cannot_write_says_why_and_keeps_the_old_file(project, previous, tmp_path, monkeypatch,
                                                                     writer, failure):
    write, name = WRITERS[writer]
    shutil.copytree(previous(writer), tmp_path, dirs_exist_ok=True)  # the previous export, which must survive
    before = _snapshot(tmp_path)
    patches, zh, en = FAILURES[failure]
    with monkeypatch.context() as m:
        for mod, attr, fn in patches:
            m.setattr(mod, attr, fn)
        with pytest.raises(WriteError) as info:
            write(project, tmp_path)
    text = info.value.format()
    assert zh in text and en in text, text
    assert "解决办法" in text and "Fix:" in text
    assert name in text and ".tmp" not in text and "gridtool-export" not in text, text
    assert _snapshot(tmp_path) == before  # the old files whole, no temporary file beside them
    if writer == "project":
        assert isinstance(info.value, ProjectWriteError)


def test_a_shapefile_set_is_not_half_replaced_when_one_member_is_held(project, tmp_path, monkeypatch):
    """ArcGIS or Excel holds the ``.dbf``: the ``.shp`` renamed before it gets its old content back."""
    gis.write_shapefiles(project, tmp_path)
    before = _snapshot(tmp_path)
    held = sorted(p for p in tmp_path.glob("*.dbf"))[-1]

    def replace(src, dst, *args, **kwargs):
        if Path(dst) == held:
            raise PermissionError(errno.EACCES, "Permission denied", str(src), None, str(dst))
        return _real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(WriteError) as info:
        gis.write_shapefiles(project, tmp_path, encoding="gbk")  # other bytes in every member
    assert held.name in str(info.value)
    assert _snapshot(tmp_path) == before


def test_a_ledger_csv_set_is_not_half_replaced_when_one_sheet_is_open_in_excel(project, previous, tmp_path,
                                                                                 monkeypatch):
    shutil.copytree(previous("ledger-csv"), tmp_path, dirs_exist_ok=True)
    before = _snapshot(tmp_path)
    held = tmp_path / "csv" / f"{ledger.SHEETS[-1]}.csv"  # the last sheet written: the others come first

    def replace(src, dst, *args, **kwargs):
        if Path(dst) == held:
            raise PermissionError(errno.EACCES, "Permission denied", str(src), None, str(dst))
        return _real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(cells, "csv_bytes", lambda df: b"changed")  # new content in every sheet
    with pytest.raises(WriteError, match=held.name):
        ledger.write_ledger_csv(project, tmp_path / "csv")
    assert _snapshot(tmp_path) == before


def test_files_published_together_are_all_replaced_or_none(tmp_path, monkeypatch):
    """The patrol folder: the stop list open in Excel leaves the GPX and KML of the last run too."""
    names = ["patrol.gpx", "patrol.kml", "patrol-stops.csv", "patrol-cards.json"]
    for n in names:
        (tmp_path / n).write_bytes(b"old " + n.encode())
    before = _snapshot(tmp_path)

    def replace(src, dst, *args, **kwargs):
        if Path(dst).name == "patrol-stops.csv":
            raise PermissionError(errno.EACCES, "Permission denied", str(src), None, str(dst))
        return _real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(WriteError, match="patrol-stops.csv"):
        with publish_together():
            for n in names:
                write_bytes_atomic(tmp_path / n, b"new")
    assert _snapshot(tmp_path) == before
    monkeypatch.setattr(os, "replace", _real_replace)
    with publish_together():
        for n in names:
            write_bytes_atomic(tmp_path / n, b"new")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {n: b"new" for n in names}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_routing_command_that_cannot_write_exits_2_with_the_message(tmp_path, monkeypatch, capsys, failure):
    """``seal --out`` (patrol and coverage write the same way): exit 2 and the message, not 内部错误 (exit 3)."""
    gpkg = _project_files(tmp_path)
    out = tmp_path / "s"
    args = ["--lang", "both", "seal", f"--roads={gpkg}:roads", f"--stations={gpkg}:stations",
            "--exits", f"{gpkg}:exits", "--mode", "walk", "--out", str(out)]
    assert main(args) == 0
    before = _snapshot(out)
    capsys.readouterr()
    patches, zh, en = FAILURES[failure]
    for mod, attr, fn in patches:
        monkeypatch.setattr(mod, attr, fn)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert zh in err and en in err and "内部错误" not in err and "seal." in err
    assert _snapshot(out) == before


def test_the_windows_sharing_violation_is_told_as_a_file_in_use(tmp_path):
    """WinError 32 (another process has the file open) means "in use", wherever it is raised."""
    exc = PermissionError(errno.EACCES, "The process cannot access the file")
    exc.winerror = 32  # what Windows sets; POSIX OSError has the attribute, always None
    plain = atomic.write_failure(exc, tmp_path / "台账.xlsx")
    assert plain is not None and "Excel/WPS" in plain.zh and "台账.xlsx" in plain.zh


@pytest.mark.parametrize("windows", [False, True])
def test_an_output_name_that_is_a_folder_is_told_as_a_folder_not_excel(tmp_path, monkeypatch, windows):
    """``-o 台账.xlsx`` where a folder of that name exists: Linux says EISDIR, Windows "access denied"
    as for a file Excel holds; either way the message names the folder, never Excel, and the
    folder's contents stay."""
    target = tmp_path / "台账.xlsx"
    target.mkdir()
    (target / "留底.txt").write_bytes(b"keep")
    if windows:
        def replace(src, dst, *args, **kwargs):
            if Path(dst).is_dir():
                raise PermissionError(errno.EACCES, "Access is denied", str(src), None, str(dst))
            return _real_replace(src, dst, *args, **kwargs)
        monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(WriteError) as info:
        write_bytes_atomic(target, b"new")
    text = info.value.format()
    assert "台账.xlsx 是一个文件夹" in text and "is a folder" in text and "Excel/WPS" not in text, text
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["台账.xlsx", "留底.txt"]  # no temporary file left


def test_a_name_too_long_for_the_temporary_file_is_told_plainly(tmp_path):
    """A long Chinese file name (80 characters, 244 bytes: allowed) leaves no room for the temporary
    name beside it: the message says the name is too long, not a raw OSError (内部错误)."""
    target = tmp_path / ("石桥村网格化管理住户台账" * 7 + "汇总表.csv")
    with pytest.raises(WriteError) as info:
        write_bytes_atomic(target, b"x")
    text = info.value.format()
    assert "文件名或路径太长" in text and "too long" in text and "换一个短一些的文件名" in text, text
    assert list(tmp_path.iterdir()) == []


def test_a_file_written_twice_in_a_block_ends_with_its_last_content(tmp_path):
    """A writer that rewrites a file inside publish_together (a list written, then written again
    with one more line) gets the last version, not a raw FileNotFoundError (内部错误)."""
    with publish_together():
        write_bytes_atomic(tmp_path / "patrol-stops.csv", b"first")
        write_bytes_atomic(tmp_path / "patrol-stops.csv", b"second")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"patrol-stops.csv": b"second"}


def test_a_nested_block_that_fails_puts_none_of_its_files_in_place(tmp_path):
    """A job inside a larger export fails and the export goes on: the failed job's half-written
    files are not put in place with the rest, and no temporary file is left."""
    with publish_together():
        write_bytes_atomic(tmp_path / "grids.csv", b"new")
        with pytest.raises(ValueError):
            with publish_together():
                write_bytes_atomic(tmp_path / "patrol.gpx", b"half")
                raise ValueError("the patrol could not be planned")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"grids.csv": b"new"}
