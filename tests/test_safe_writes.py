"""Nothing of the user's is overwritten or lost (issue 16, item 3).

Every writer refuses a file gridtool did not write unless --force; two writers of one project
never both win; a kill -9 in the middle of import, partition or export leaves the old file or
the new one, whole, and the next save removes the leftovers; a full disk (a file-size limit
here) or a read-only folder gives exit 2 and a plain message, never SQL.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyogrio
import pytest

from gridtool import limits
from gridtool.cli import main
from gridtool.ownership import owner
from gridtool.project import Project
from gridtool.writelock import (
    ProjectChangedError,
    ProjectLockedError,
    lock_path,
    write_lock,
)

from .corpus import data as D

REPO = Path(__file__).resolve().parents[1]
PART = ["--min", "100", "--max", "250", "--sub-min", "10", "--sub-max", "40", "--quiet"]


def _gridtool(*args, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONIOENCODING="utf-8")
    env.pop("GRIDTOOL_LANG", None)
    return subprocess.run([sys.executable, "-m", "gridtool", "--lang", "both", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    roster = folder / "roster.csv"
    roster.write_bytes(D.csv_bytes(D.roster()))
    villages = D.write_vector(D.villages_gdf(), folder / "villages.geojson")
    return {"households": roster, "villages": villages}


@pytest.fixture(scope="module")
def plan(tmp_path_factory, inputs) -> Path:
    """A partitioned project (made once, copied by the tests that change it)."""
    out = tmp_path_factory.mktemp("plan") / "plan.gpkg"
    assert main(["import", "--households", str(inputs["households"]), "--villages", str(inputs["villages"]),
                 "--out", str(out), "--quiet"]) == 0
    assert main(["--lang", "both", "partition", str(out), "--out", str(out), *PART]) == 0
    return out


def _import_args(inputs, out) -> list[str]:
    return ["import", "--households", str(inputs["households"]), "--villages", str(inputs["villages"]),
            "--out", str(out), "--quiet"]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.name.endswith(".lock"))


# -- ownership ----------------------------------------------------------------------------------
def test_export_refuses_files_it_did_not_write(tmp_path, plan, capsys):
    user = tmp_path / "村界.gpkg"  # the user's own work, edited in QGIS
    D.villages_gdf().to_file(user, layer="villages", driver="GPKG")
    before = user.read_bytes()
    kml = tmp_path / "奥维.kml"
    kml.write_bytes(D.villages_kml_bytes())
    html = tmp_path / "map.html"
    html.write_text("<html><body>会议材料</body></html>", encoding="utf-8")
    for flag, path in (("--gpkg", user), ("--kml", kml), ("--html", html)):
        assert main(["--lang", "both", "export", str(plan), flag, str(path), "--quiet"]) == 2, flag
        err = capsys.readouterr().err
        assert path.name in err and "--force" in err and "不会覆盖" in err and "not replaced" in err
    assert user.read_bytes() == before and "会议材料" in html.read_text(encoding="utf-8")
    assert owner(user) is None and owner(kml) is None
    # With --force the user said the file may go; the export then carries gridtool's mark.
    assert main(["--lang", "both", "export", str(plan), "--gpkg", str(user), "--kml", str(kml), "--force", "--quiet"]) == 0
    capsys.readouterr()
    assert owner(user) == "export" and owner(kml) == "export"
    assert "grids" in [n for n, _ in pyogrio.list_layers(user)]
    # Its own files are replaced without --force (a rerun of the same export).
    assert main(["--lang", "both", "export", str(plan), "--gpkg", str(user), "--kml", str(kml), "--html", str(tmp_path / "m.html"),
                 "--geojson", str(tmp_path / "gj"), "--shp", str(tmp_path / "shp"), "--quiet"]) == 0
    assert main(["--lang", "both", "export", str(plan), "--html", str(tmp_path / "m.html"), "--geojson", str(tmp_path / "gj"),
                 "--shp", str(tmp_path / "shp"), "--kmz", str(tmp_path / "g.kmz"), "--quiet"]) == 0
    assert main(["--lang", "both", "export", str(plan), "--kmz", str(tmp_path / "g.kmz"), "--quiet"]) == 0
    capsys.readouterr()
    for f in [tmp_path / "m.html", tmp_path / "g.kmz", *(tmp_path / "gj").glob("*.geojson"),
              *(tmp_path / "shp").glob("*.shp"), *(tmp_path / "shp").glob("*.dbf")]:
        assert owner(f) == "export", f


def test_export_never_replaces_a_project_and_import_never_an_export(tmp_path, plan, inputs, capsys):
    other = tmp_path / "其他项目.gpkg"
    other.write_bytes(plan.read_bytes())
    assert main(["--lang", "both", "export", str(plan), "--gpkg", str(other), "--quiet"]) == 2
    assert "gridtool 项目" in capsys.readouterr().err and owner(other) == "project"
    exported = tmp_path / "exported.gpkg"
    assert main(["--lang", "both", "export", str(plan), "--gpkg", str(exported), "--quiet"]) == 0
    assert main(["--lang", "both"] + _import_args(inputs, exported)) == 2
    assert "不是 gridtool 项目" in capsys.readouterr().err and owner(exported) == "export"


def test_a_user_shapefile_set_is_not_replaced(tmp_path, plan, capsys):
    folder = tmp_path / "shp"
    folder.mkdir()
    D.villages_gdf().to_file(folder / "grids.shp")  # the user's own "grids" shapefile
    before = (folder / "grids.dbf").read_bytes()
    assert main(["--lang", "both", "export", str(plan), "--shp", str(folder), "--quiet"]) == 2
    assert "grids" in capsys.readouterr().err
    assert (folder / "grids.dbf").read_bytes() == before


# -- one writer at a time, no lost update -------------------------------------------------------
def test_a_save_over_a_project_changed_since_it_was_opened_is_refused(tmp_path, plan, inputs):
    target = tmp_path / "p.gpkg"
    target.write_bytes(plan.read_bytes())
    mine = Project.open(target)
    # Meanwhile another program (an import rebuilding it: --force, as it holds grids) rewrites the project.
    assert _gridtool(*_import_args(inputs, target), "--force").returncode == 0
    theirs = target.read_bytes()
    mine.name = "my change"
    with pytest.raises(ProjectChangedError) as info:
        mine.save(target)
    assert "其他程序改写" in str(info.value) and "rewritten by another program" in str(info.value)
    assert target.read_bytes() == theirs
    # Its own saves are not mistaken for someone else's: save twice, also through a copy.
    fresh = Project.open(target)
    fresh.save(target)
    from dataclasses import replace
    replace(fresh, name="snapshot").save(target)
    fresh.save(target)
    assert Project.open(target).name == fresh.name


def test_a_second_writer_waits_then_refuses_naming_the_owner(tmp_path, plan):
    target = tmp_path / "p.gpkg"
    target.write_bytes(plan.read_bytes())
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from gridtool.writelock import write_lock
        with write_lock({str(target)!r}):
            print("LOCKED", flush=True)
            time.sleep(60)
    """)], cwd=REPO, stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        assert holder.stdout.readline().strip() == "LOCKED"
        project = Project.open(target)
        t0 = time.monotonic()
        with limits.override(lock_wait_s=1.0), pytest.raises(ProjectLockedError) as info:
            project.save(target)
        assert time.monotonic() - t0 >= 0.9  # it waited
        msg = str(info.value)
        assert f"进程 {holder.pid}" in msg and f"process {holder.pid}" in msg and lock_path(target).name in msg
        # The holder is killed: its lock is stale at once and taken over without waiting.
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        with write_lock(target, wait=0) as held:
            assert held["took_over"]["pid"] == holder.pid
        project.save(target)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert not lock_path(target).exists()


def test_two_partitions_in_place_at_once(tmp_path, plan):
    """Both start from the same file; at most one may write it, the other says why; the file is whole."""
    target = tmp_path / "p.gpkg"
    target.write_bytes(plan.read_bytes())
    procs = [subprocess.Popen([sys.executable, "-m", "gridtool", "--lang", "both", "partition", str(target),
                               "--out", str(target), *PART], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
             for _ in range(2)]
    codes, errs = [], []
    for p in procs:
        _, err = p.communicate(timeout=300)
        codes.append(p.returncode)
        errs.append(err)
    assert sorted(codes) in ([0, 0], [0, 2]), errs
    for code, err in zip(codes, errs):
        if code == 2:
            assert "其他程序改写" in err or "正在写入" in err
            assert "Traceback" not in err
    reopened = Project.open(target)
    assert reopened.layers["grids"].gdf["hh"].sum() == D.TOTAL_HH
    assert _leftovers(tmp_path) == []


# -- kill -9 mid-save ---------------------------------------------------------------------------
def _kill_when(proc: subprocess.Popen, folder: Path, pattern: str, timeout: float = 240) -> bool:
    """SIGKILL ``proc`` as soon as a file matching ``pattern`` appears in ``folder``."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if list(folder.glob(pattern)):
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.002)
    proc.kill()
    return False


@pytest.mark.parametrize("writer", ["import", "partition", "export"])
def test_kill_9_during_each_writer_leaves_old_or_new_file_whole(tmp_path, plan, inputs, writer):
    target = tmp_path / ("out.gpkg" if writer != "partition" else "plan.gpkg")
    if writer == "partition":
        target.write_bytes(plan.read_bytes())
        cmd = ["partition", str(target), "--out", str(target), *PART]
        pattern = ".plan.*.tmp.gpkg*"
    elif writer == "import":
        assert main(["--lang", "both"] + _import_args(inputs, target)) == 0
        cmd = _import_args(inputs, target)
        pattern = ".out.*.tmp.gpkg*"
    else:
        assert main(["--lang", "both", "export", str(plan), "--gpkg", str(target), "--quiet"]) == 0
        cmd = ["export", str(plan), "--gpkg", str(target), "--quiet"]
        pattern = ".gridtool-export.*"
    before = target.read_bytes()
    killed = 0
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-m", "gridtool", *cmd], cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=dict(os.environ, PYTHONPATH=str(REPO)))
        killed += _kill_when(proc, tmp_path, pattern)
        now = target.read_bytes()
        # The old file, untouched (the rename had not happened), or a complete new one.
        if now != before:
            layers = [n for n, _ in pyogrio.list_layers(target)]
            assert "grids" in layers or "households" in layers
        if writer == "export":
            assert owner(target) == "export" and len(pyogrio.read_dataframe(target, layer="grids")) > 0
        else:
            assert Project.open(target).layers["households"].total_households == D.TOTAL_HH
    assert killed >= 1  # the kills did land mid-save
    assert _leftovers(tmp_path)  # killed saves leave temporary files …
    result = _gridtool(*cmd)
    assert result.returncode == 0, result.stderr
    assert _leftovers(tmp_path) == []  # … and the next save removes them


# -- a full disk, a read-only folder ------------------------------------------------------------
def _limit_file_size(nbytes: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return apply


@pytest.mark.parametrize("writer", ["import", "partition", "export"])
def test_disk_full_gives_a_plain_message_and_keeps_the_old_file(tmp_path, plan, inputs, writer):
    target = tmp_path / "target.gpkg"
    if writer == "import":
        assert main(["--lang", "both"] + _import_args(inputs, target)) == 0
        cmd = _import_args(inputs, target)
    elif writer == "partition":
        target.write_bytes(plan.read_bytes())
        cmd = ["partition", str(target), "--out", str(target), *PART]
    else:
        assert main(["--lang", "both", "export", str(plan), "--gpkg", str(target), "--quiet"]) == 0
        cmd = ["export", str(plan), "--gpkg", str(target), "--quiet"]
    before = target.read_bytes()
    # No file may grow past 64 KB: no GeoPackage can be written, as on a full disk.
    result = _gridtool(*cmd, preexec_fn=_limit_file_size(64_000))
    assert result.returncode == 2, result.stderr
    err = result.stderr
    assert "磁盘空间不足" in err and "the disk is full" in err and "解决办法" in err and "Fix:" in err
    assert "target.gpkg" in err
    for raw in ("sqlite", "SQL", "INSERT", "CREATE", "Traceback", "GDAL"):
        assert raw not in err, raw
    assert len(err) < 2000
    assert target.read_bytes() == before
    assert [p for p in _leftovers(tmp_path) if not p.endswith(".lock")] == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_gives_a_plain_message(tmp_path, inputs):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = _gridtool(*_import_args(inputs, folder / "p.gpkg"))
    finally:
        folder.chmod(0o755)
    assert result.returncode == 2
    assert "没有写入权限" in result.stderr and "no permission to write" in result.stderr


def test_error_log_is_per_process_in_the_cache_folder(tmp_path):
    script = "import gridtool.errorlog as e; print(e.write_error('boom'))"
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_CACHE_HOME=str(tmp_path))
    a = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env).stdout.strip()
    b = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env).stdout.strip()
    assert a != b and Path(a).parent == Path(b).parent == tmp_path / "gridtool" / "logs"
    assert "boom" in Path(a).read_text(encoding="utf-8") and oct(Path(a).stat().st_mode & 0o777) == "0o600"


def test_limits_from_options_env_and_override(monkeypatch):
    assert limits.current().hh_per_point == limits.DEFAULT.hh_per_point
    monkeypatch.setenv("GRIDTOOL_LIMITS", "hh_per_point=50, duplicates=warning")
    assert limits.current().hh_per_point == 50 and limits.current().duplicates == "warning"
    with limits.override(hh_per_point=7):
        assert limits.current().hh_per_point == 7
    assert limits.current().hh_per_point == 50
    assert limits.from_options(["hh_per_village=5", "archive_ratio=10"]) == {"hh_per_village": 5.0,
                                                                             "archive_ratio": 10.0}
    from gridtool.errors import GridtoolError
    with pytest.raises(GridtoolError) as info:
        limits.from_options(["households_per_point=5"])
    assert "hh_per_point" in str(info.value)


def test_partition_report_is_marked_and_checked(tmp_path, plan, capsys):
    report = tmp_path / "notes.json"
    report.write_text(json.dumps({"会议": "纪要"}, ensure_ascii=False), encoding="utf-8")
    target = tmp_path / "p.gpkg"
    target.write_bytes(plan.read_bytes())
    assert main(["--lang", "both", "partition", str(target), "--out", str(target), "--report", str(report), *PART]) == 2
    assert "notes.json" in capsys.readouterr().err and "纪要" in report.read_text(encoding="utf-8")
    ok = tmp_path / "report.json"
    assert main(["--lang", "both", "partition", str(target), "--out", str(target), "--report", str(ok), *PART]) == 0
    assert owner(ok) == "export"
    assert main(["--lang", "both", "partition", str(target), "--out", str(target), "--report", str(ok), *PART]) == 0
