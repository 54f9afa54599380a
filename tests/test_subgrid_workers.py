"""Sub-grids drawn on worker processes (issue 17): the same plan as on one core, byte for byte;
a cancel stops the workers; workers that die leave the plan to this process, which says so.

Each fit here starts two spawned processes (about 1.5 s of imports each), on the Liechtenstein
sample (28,340 households; forced with ``processes=2``, below the automatic threshold).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

import pytest
import shapely

from gridtool.errors import CancelledError, OptionError
from gridtool.partition import GridPartitioner
from gridtool.partition.subgrid_workers import AUTO_MIN_HOUSEHOLDS, auto_processes


@pytest.fixture(scope="module")
def sample():
    from gridtool.project import Project
    from gridtool.samples import sample_sources
    p = Project.from_sources(sample_sources("liechtenstein"))
    return {role: lyr.gdf.reset_index(drop=True) for role, lyr in p.layers.items()}


@pytest.fixture(scope="module")
def one_core(sample):
    return GridPartitioner(processes=1).fit(sample)


def _same_plan(a: GridPartitioner, b: GridPartitioner) -> None:
    assert a.grids_["code"].tolist() == b.grids_["code"].tolist()
    assert a.grids_["hh"].tolist() == b.grids_["hh"].tolist()
    sa, sb = a.subgrids_, b.subgrids_
    assert sa["code"].tolist() == sb["code"].tolist()
    assert sa["hh"].tolist() == sb["hh"].tolist()
    assert sa["apartment_parts"].tolist() == sb["apartment_parts"].tolist()
    assert (shapely.to_wkb(sa.geometry.values) == shapely.to_wkb(sb.geometry.values)).all()
    assert a.households_["subgrid"].tolist() == b.households_["subgrid"].tolist()
    # Corridors and the crossing faces are made on a worker too: the same corridors and crossings.
    assert a.corridors_["code"].tolist() == b.corridors_["code"].tolist()
    assert (shapely.to_wkb(a.corridors_.geometry.values) == shapely.to_wkb(b.corridors_.geometry.values)).all()
    for col in ("hard_crossings", "soft_crossings", "area_m2", "polsby_popper"):
        assert a.grids_[col].tolist() == b.grids_[col].tolist(), col


def test_workers_draw_the_same_plan(sample, one_core):
    two = GridPartitioner(processes=2).fit(sample)
    t = two.report_["timings"]
    assert t["subgrid_workers"] == 2 and "subgrid_workers_note" not in t
    assert t["subgrid_workers_cpu_s"] > 0  # the sub-grids were drawn there, not here
    assert len(two.corridors_) > 0 and t["corridors_cpu_s"] > 0
    assert one_core.report_["timings"]["subgrid_workers"] == 1
    _same_plan(one_core, two)
    # Every household is in exactly one sub-grid of its grid, as on one core.
    assert int(two.subgrids_["hh"].sum()) == int(two.grids_["hh"].sum())
    assert multiprocessing.active_children() == []  # the workers are gone after the fit


def test_cancel_stops_the_workers(sample):
    seen = []

    def cancelled():
        return bool(seen) and seen[-1] >= 0.88  # once the sub-grids have started

    with pytest.raises(CancelledError):
        GridPartitioner(processes=2).fit(sample, progress=lambda f, m: seen.append(f), cancelled=cancelled)
    # The workers finish the batch in hand (well under a second each) and exit.
    deadline = time.monotonic() + 60
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert multiprocessing.active_children() == [], "sub-grid workers still running after a cancel"


@pytest.mark.skipif(sys.platform.startswith("win"), reason="kills the workers with SIGKILL")
def test_dead_workers_leave_the_plan_to_this_process(sample, one_core, monkeypatch):
    from gridtool.partition import subgrid_workers as sw
    pids = []
    real = sw.SubgridWorkers.__init__

    def spy(self, n):
        real(self, n)
        pids.extend(f.result(timeout=60) for f in self._warm)  # the workers' process ids
        for pid in pids:  # they die before the first sub-grid
            os.kill(pid, signal.SIGKILL)

    monkeypatch.setattr(sw.SubgridWorkers, "__init__", spy)
    gp = GridPartitioner(processes=2).fit(sample)
    assert len(pids) == 2
    t = gp.report_["timings"]
    assert t["subgrid_workers"] == 1 and "drawn in this process" in t["subgrid_workers_note"]
    _same_plan(one_core, gp)


def test_how_many_workers():
    assert auto_processes(AUTO_MIN_HOUSEHOLDS - 1, None) == 1  # a township: no start-up to pay
    assert auto_processes(AUTO_MIN_HOUSEHOLDS, None) == max(1, min(os.cpu_count() or 1, 4))
    assert auto_processes(10, 3) == 3 and auto_processes(10**7, 1) == 1  # the setting wins
    with pytest.raises(OptionError):
        GridPartitioner(processes=0)
    with pytest.raises(OptionError):
        GridPartitioner(processes=1.5)


def test_processes_setting(monkeypatch):
    from gridtool.settings import SettingsError, current
    monkeypatch.setenv("GRIDTOOL_PROCESSES", "3")
    assert current().processes == 3 and current().sources["processes"] == "env"
    for bad in ("0", "two"):
        monkeypatch.setenv("GRIDTOOL_PROCESSES", bad)
        with pytest.raises(SettingsError, match="processes"):
            current()
    monkeypatch.delenv("GRIDTOOL_PROCESSES")
    assert current().processes is None  # automatic


def test_command_line_processes(tmp_path, capsys):
    from gridtool.cli import main
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from partition_data import make_villages
    layers = make_villages(n_villages=2, households=900, seed=6)
    src = tmp_path / "in.gpkg"
    for role, gdf in layers.items():
        gdf.to_file(src, layer=role, driver="GPKG")
    args = ["partition", "--households", f"{src}:households", "--villages", f"{src}:villages",
            "--roads", f"{src}:roads", "--rivers", f"{src}:rivers"]
    assert main(args + ["--out", str(tmp_path / "one.gpkg"), "--processes", "1"]) == 0
    assert main(args + ["--out", str(tmp_path / "two.gpkg"), "--processes", "2"]) == 0
    out = capsys.readouterr().out
    assert "子网格由 2 个进程并行绘制" in out
    import pyogrio
    one = pyogrio.read_dataframe(tmp_path / "one.gpkg", layer="subgrids")
    two = pyogrio.read_dataframe(tmp_path / "two.gpkg", layer="subgrids")
    assert one["code"].tolist() == two["code"].tolist() and one["hh"].tolist() == two["hh"].tolist()
    assert (shapely.to_wkb(one.geometry.values) == shapely.to_wkb(two.geometry.values)).all()
    # A bad count is refused with the fix, exit 2, no traceback.
    assert main(args + ["--out", str(tmp_path / "bad.gpkg"), "--processes", "0"]) == 2
    err = capsys.readouterr()
    assert "processes=2" in err.out + err.err and "Traceback" not in err.out + err.err


def test_a_script_without_a_main_guard_is_not_run_again_in_the_workers(tmp_path):
    """Spawned processes import the parent's main script; a planner's script without
    ``if __name__ == "__main__":`` must not run its partition (and its writes) again in each."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from partition_data import run_unguarded_script
    ran = run_unguarded_script(tmp_path, (
        "from gridtool.project import Project\n"
        "from gridtool.samples import sample_sources\n"
        "from gridtool.partition import GridPartitioner\n"
        "p = Project.from_sources(sample_sources('nanjing-xuanwu'))\n"
        "layers = {r: l.gdf.reset_index(drop=True) for r, l in p.layers.items()}\n"
        "gp = GridPartitioner(processes=2).fit(layers)\n"
        "print('RAN', gp.report_['timings']['subgrid_workers'], len(gp.subgrids_))\n"))
    assert ran == ["RAN 2 1074"], ran  # once, in this process, on 2 workers
