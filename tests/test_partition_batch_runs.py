"""A city's batch run from the command line, as a big-data bureau runs it: per-district files
with ``--out-dir``, failing townships, resuming and files that are not gridtool's."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import shapely

sys.path.insert(0, str(Path(__file__).parent))
from test_partition_batch import CODES, _city, _save_project  # noqa: E402

from gridtool.cli import main  # noqa: E402
from gridtool.partition.totals import household_totals  # noqa: E402
from gridtool.project import Project  # noqa: E402
from gridtool.values import household_counts  # noqa: E402


def _bow_tie(layers: dict, row: int) -> dict:
    """Village ``row`` drawn as a bow tie (self-intersecting): GEOS fails on it."""
    lay = dict(layers)
    v = layers["villages"].copy()
    x0, y0, x1, y1 = v.geometry.iloc[row].bounds
    v.loc[v.index[row], "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    lay["villages"] = v
    return lay


def _run_failing_batch(city: dict, tmp_path, capsys):
    """``partition --out-dir`` on ``city`` (one village fails: exit 4): the out folder, the console,
    the report and the list of households in no grid."""
    import pyogrio
    out = tmp_path / "out"
    rc = main(["partition", str(_save_project(city, tmp_path / "city.gpkg")), "--out-dir", str(out),
               "--workers", "1", "--quiet", "--no-subgrids"])
    text = capsys.readouterr().out
    assert rc == 4
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return out, text, rep, pyogrio.read_dataframe(out / "未划入网格住户.gpkg", layer="unassigned_households")


def test_a_failed_village_keeps_its_households_in_the_district_file_and_the_totals(tmp_path, capsys):
    city = _bow_tie(_city(), 3)  # 太白村, township 500101002, district 500101
    path = _save_project(city, tmp_path / "city.gpkg")
    imported = int(household_counts(city["households"]["hh"]).sum())
    out = tmp_path / "out"
    rc = main(["partition", str(path), "--out-dir", str(out), "--workers", "1", "--quiet", "--no-subgrids"])
    text = capsys.readouterr().out
    assert rc == 4  # partial
    # Named with why and the fix, in Chinese: not GEOS's English.
    assert "划分失败：太白村（分块 500101002）：村界无效：太白村（500101002002）" in text
    assert "修复几何图形" in text and "TopologyException" not in text
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rep["totals"]["imported"] == imported
    assert f"住户 {imported:,} 户" in text
    per_file = []
    for name in ("500101.gpkg", "500102.gpkg"):
        per_file.append(household_totals(Project.open(out / name)))
    # Half of the bow tie's box lies in no village: those households are in no district file, and said so.
    outside = rep["totals"]["outside_villages"]
    assert outside > 0 and sum(t.imported for t in per_file) + outside == imported
    assert f"其中 {outside:,} 户" in text
    # 太白村's households are in its district's file, in no grid.
    hs = Project.open(out / "500101.gpkg").layers["households"].gdf
    taibai = shapely.within(hs.geometry.values, city["villages"].geometry.iloc[3])
    assert taibai.any() and hs.loc[taibai, "grid"].isna().all()
    assert per_file[0].unassigned == int(household_counts(hs.loc[taibai, "hh"]).sum()) > 0
    assert rep["totals"]["unassigned"] == per_file[0].unassigned + outside


def test_files_in_the_out_dir_that_are_not_gridtools_are_refused_before_the_run(tmp_path, capsys):
    import geopandas as gpd
    path = _save_project(_city(), tmp_path / "city.gpkg")
    out = tmp_path / "out"
    out.mkdir()
    # A planner's own GeoPackage that happens to carry a district's name, and a report of theirs.
    mine = gpd.GeoDataFrame({"备注": ["重点人员"]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4326")
    mine.to_file(out / "500102.gpkg", layer="mine")
    (out / "report.json").write_text('{"我的": 1}', encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    rc = main(["partition", str(path), "--out-dir", str(out), "--workers", "1", "--quiet", "--no-subgrids"])
    cap = capsys.readouterr()
    text = cap.out + cap.err
    assert rc != 0 and "500102.gpkg" in text and "--force" in text
    # Refused before any work: nothing computed, nothing written, the planner's files as they were.
    assert sorted(p.name for p in out.iterdir()) == sorted(before)
    assert all((out / n).read_bytes() == b for n, b in before.items())
    # Without the GeoPackage, the report of theirs is refused in the same way.
    (out / "500102.gpkg").unlink()
    rc = main(["partition", str(path), "--out-dir", str(out), "--workers", "1", "--quiet", "--no-subgrids"])
    cap = capsys.readouterr()
    assert rc != 0 and "report.json" in cap.out + cap.err
    assert (out / "report.json").read_text(encoding="utf-8") == '{"我的": 1}'
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]
    # gridtool's own files of an earlier run are replaced without --force.
    (out / "report.json").unlink()
    assert main(["partition", str(path), "--out-dir", str(out), "--workers", "1", "--quiet", "--no-subgrids"]) == 0
    assert main(["partition", str(path), "--out-dir", str(out), "--workers", "1", "--quiet", "--no-subgrids"]) == 0


def test_resume_after_a_roster_change_redoes_that_township_and_says_why(tmp_path, capsys):
    city = _city()
    path = _save_project(city, tmp_path / "city.gpkg")
    out = tmp_path / "out"
    args = ["partition", str(path), "--out-dir", str(out), "--workers", "1", "--no-subgrids", "--resume"]
    assert main(args) == 0
    first = json.loads((out / "report.json").read_text(encoding="utf-8"))
    capsys.readouterr()
    # The roster of 龙宝村 (township 500102003) changes: one household more in a home.
    hs = city["households"].copy()
    row = int(shapely.within(hs.geometry.values, city["villages"].geometry.iloc[4]).nonzero()[0][0])
    hs.iat[row, hs.columns.get_loc("hh")] = hs["hh"].iat[row] + 1
    _save_project({**city, "households": hs}, path)
    assert main(args) == 0
    cap = capsys.readouterr()
    text = cap.out + cap.err
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rep["timings"]["resumed_chunks"] == 2
    assert rep["batch"]["recomputed"] == [{"chunk": "500102003", "why": ["households"]}]
    assert "分块 500102003（龙宝村、永宁村）重新计算：住户图层已改变" in text  # progress, as it happens
    assert "续算重新计算 1 个分块（住户图层已改变）：500102003" in text  # and in the summary
    assert rep["totals"]["imported"] == first["totals"]["imported"] + 1


def test_ctrl_c_on_two_workers_stops_without_tracebacks_and_resume_goes_on(tmp_path, capfd):
    """A terminal's Ctrl-C reaches the command and every worker process: the run stops at once
    with no worker's traceback, keeps the chunks it finished, and --resume takes them up."""
    import os
    import signal

    import pytest
    pytest.importorskip("distributed")
    psutil = pytest.importorskip("psutil")
    from gridtool.partition.batch import BatchPartitioner
    city = _city()
    work = tmp_path / "parts"

    def ctrl_c(f, m):
        if "villages 1/6" in m:  # one chunk done: press Ctrl-C, as a terminal sends it to the group
            for p in psutil.Process().children(recursive=True):
                os.kill(p.pid, signal.SIGINT)
            signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        BatchPartitioner(workers=2, by="village", subgrids=False).fit(city, work_dir=work, progress=ctrl_c)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    finished = len(list(work.glob("*.json")))
    assert 1 <= finished < 6
    whole = BatchPartitioner(workers=1, by="village", subgrids=False).fit(city)
    again = BatchPartitioner(workers=1, by="village", subgrids=False).fit(city, work_dir=work, resume=True)
    assert again.report_["timings"]["resumed_chunks"] == finished
    assert again.grids_["code"].tolist() == whole.grids_["code"].tolist()
    assert again.grids_["hh"].tolist() == whole.grids_["hh"].tolist()
    assert again.households_["grid"].tolist() == whole.households_["grid"].tolist()


def test_a_chunk_result_cut_off_between_its_two_files_is_never_taken_for_finished(tmp_path, monkeypatch):
    """Inputs A give a result; inputs B are computed and the run is killed after B's GeoPackage but
    before its JSON; the inputs go back to A: --resume must compute again, not read B's grids as A's."""
    import pytest

    from gridtool.partition import parts
    from gridtool.partition.batch import BatchPartitioner
    city = _city()
    work = tmp_path / "parts"
    first = BatchPartitioner(workers=1, subgrids=False).fit(city, work_dir=work)
    chunk = first.chunks_[0]
    dig_a = parts.digest(chunk, first.source(city).layers(chunk), first.params)
    piece = parts.read(work, chunk.key, parts.done(work, chunk.key, dig_a))
    piece["layers"]["grids"] = piece["layers"]["grids"].iloc[:1]  # another result, from inputs B

    def killed(*a, **k):
        raise KeyboardInterrupt()
    monkeypatch.setattr(parts, "write_json_atomic", killed)
    with pytest.raises(KeyboardInterrupt):
        parts.write(work, chunk.key, "digest-of-B", piece)
    monkeypatch.undo()
    assert parts.done(work, chunk.key, dig_a) is None
    again = BatchPartitioner(workers=1, subgrids=False).fit(city, work_dir=work, resume=True)
    assert again.report_["timings"]["resumed_chunks"] == len(first.chunks_) - 1
    assert again.grids_["code"].tolist() == first.grids_["code"].tolist()


def test_a_chunk_whose_process_died_is_counted_where_it_is_and_resume_computes_it(tmp_path, capsys, monkeypatch):
    """A worker killed under a chunk (out of memory on an office PC): its households are still in
    its district's file and in the totals (not 'outside every village'), the console says what
    happened and that --resume helps, and --resume does compute it."""
    from gridtool.partition import batch
    city = _city()
    path = _save_project(city, tmp_path / "city.gpkg")
    imported = int(household_counts(city["households"]["hh"]).sum())
    out = tmp_path / "out"
    args = ["partition", str(path), "--out-dir", str(out), "--workers", "1", "--no-subgrids", "--quiet"]
    real = batch.run_chunk

    def dies_on_500102003(chunk, *a, **k):
        if chunk.key == "500102003":
            raise RuntimeError("worker process killed")
        return real(chunk, *a, **k)
    monkeypatch.setattr(batch, "run_chunk", dies_on_500102003)
    assert main(args) == 4
    text = capsys.readouterr().out
    assert "分块 500102003（龙宝村、永宁村）的计算进程意外退出" in text and "--resume" in text
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rep["totals"]["imported"] == imported and not rep["totals"].get("outside_villages")
    t = household_totals(Project.open(out / "500102.gpkg"))
    assert t.imported == rep["totals"]["unassigned"] > 0 and t.base == 0
    monkeypatch.undo()
    assert main(args + ["--resume"]) == 0
    text = capsys.readouterr().out
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rep["timings"]["resumed_chunks"] == 2 and rep["totals"]["unassigned"] == 0
    assert "续算重新计算 1 个分块（上次计算进程意外退出）：500102003" in text


def test_a_chunk_whose_inputs_cannot_be_read_lists_its_households_and_resume_computes_it(
        tmp_path, capsys, monkeypatch):
    """A road feature of township 500102003 cannot be read (a damaged file): its villages are not
    partitioned, but their households are in their district's file, in no grid, and in
    未划入网格住户.gpkg as 'its village failed' (not 'in no village'); every figure adds up to the
    roster, the console names the chunk and --resume, and --resume computes it."""
    import pyogrio

    from gridtool.partition.chunking import GeoPackageSource
    city = _city()
    path = _save_project(city, tmp_path / "city.gpkg")
    imported = int(household_counts(city["households"]["hh"]).sum())
    out = tmp_path / "out"
    args = ["partition", str(path), "--out-dir", str(out), "--workers", "1", "--no-subgrids", "--quiet"]
    real = GeoPackageSource.layers

    def broken_roads(self, chunk, roles=None):
        if chunk.key == "500102003" and (roles is None or "roads" in roles):
            raise pyogrio.errors.DataSourceError("roads: feature 17: corrupt geometry blob")
        return real(self, chunk, roles)
    monkeypatch.setattr(GeoPackageSource, "layers", broken_roads)
    assert main(args) == 4
    text = capsys.readouterr().out
    assert "分块 500102003（龙宝村、永宁村）的输入无法读取（DataSourceError: roads: feature 17" in text
    assert "--resume" in text
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    t = rep["totals"]
    assert t["imported"] == imported and not t.get("outside_villages")
    assert t["imported"] == t["base"] + t["special"] + t["exception"] + t["unassigned"]
    # The district of that township has its file, with its households in no grid.
    dt = household_totals(Project.open(out / "500102.gpkg"))
    assert dt.imported == dt.unassigned == t["unassigned"] > 0
    listed = pyogrio.read_dataframe(out / "未划入网格住户.gpkg", layer="unassigned_households")
    assert set(listed["reason"]) == {"failed"} and set(listed["village"]) == {"龙宝村", "永宁村"}
    assert int(listed["hh"].sum()) == t["unassigned"] and len(listed) == t["unassigned_features"]
    # Its party member (党员丙, 永宁村) is named as one whose village failed.
    pl = rep["plan"]["party_links"]
    assert pl["members_total"] == 3 and [m["reason"] for m in pl["members_not_linked"]] == ["village_failed"]
    monkeypatch.undo()
    assert main(args + ["--resume"]) == 0
    text = capsys.readouterr().out
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rep["timings"]["resumed_chunks"] == 2 and rep["totals"]["unassigned"] == 0
    assert "续算重新计算 1 个分块（上次输入无法读取）：500102003" in text


def test_a_damaged_chunk_result_is_computed_again_on_resume(tmp_path, capsys):
    """A chunk file of the work folder cut short (a full disk, a copy that stopped): --resume
    computes that chunk again and says why, instead of stopping with a traceback."""
    city = _city()
    path = _save_project(city, tmp_path / "city.gpkg")
    out = tmp_path / "out"
    args = ["partition", str(path), "--out-dir", str(out), "--workers", "1", "--no-subgrids", "--quiet"]
    assert main(args) == 0
    first = json.loads((out / "report.json").read_text(encoding="utf-8"))["totals"]
    part = out / ".parts" / "500101002.gpkg"
    part.write_bytes(part.read_bytes()[:4096])
    capsys.readouterr()
    assert main(args + ["--resume"]) == 0
    text = capsys.readouterr().out
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rep["timings"]["resumed_chunks"] == 2 and rep["totals"] == first
    assert "续算重新计算 1 个分块（上次的结果文件已损坏）：500101002" in text


_KILL_A_WORKER = """
import os, signal, sys
sys.path.insert(0, {tests!r})
import psutil
from test_partition_batch import _city
from gridtool.partition.batch import BatchPartitioner

killed = []

def kill_a_worker(f, m):
    if "villages 1/6" in m and not killed:  # the kernel's out-of-memory killer, say
        workers = [p for p in psutil.Process().children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]
        killed.append(workers[-1].pid)
        os.kill(workers[-1].pid, signal.SIGKILL)

if __name__ == "__main__":
    city = _city()
    bp = BatchPartitioner(workers=2, by="village", subgrids=False, max_in_flight=6).fit(
        city, work_dir={parts!r}, progress=kill_a_worker)
    assert killed and len(bp.households_) == len(city["households"])
    for f in bp.failures_:
        print(f["error_zh"].splitlines()[0])
"""


def test_a_killed_worker_leaves_no_dask_log_and_its_chunks_are_named(tmp_path):
    """A worker killed mid-run (the out-of-memory killer): the console holds gridtool's words about
    the chunks it had, not Dask's English ERROR lines with timestamps."""
    import subprocess

    import pytest
    pytest.importorskip("distributed")
    pytest.importorskip("psutil")
    script = tmp_path / "kill_a_worker.py"
    script.write_text(_KILL_A_WORKER.format(tests=str(Path(__file__).parent), parts=str(tmp_path / "parts")),
                      encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "ERROR" not in run.stderr and "Traceback" not in run.stderr, run.stderr
    for line in run.stdout.splitlines():
        assert "计算进程意外退出" in line


def test_each_district_file_is_named_with_how_it_was_found_and_its_totals(tmp_path, capsys):
    """Two villages carry a county name (万州区), the others none: those go by their codes' first
    six digits (500101, 500102). The console states every file's figures, as guessed, and they
    add up to the city's."""
    city = _city()
    v = city["villages"].copy()
    v["county"] = ["万州区", "万州区", None, None, None, None]
    city["villages"] = v
    path = _save_project(city, tmp_path / "city.gpkg")
    out = tmp_path / "out"
    assert main(["partition", str(path), "--out-dir", str(out), "--workers", "1", "--quiet", "--no-subgrids"]) == 0
    text = capsys.readouterr().out
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    files = {d["file"]: d for d in rep["batch"]["districts"]}
    assert sorted(files) == sorted(p.name for p in out.glob("*.gpkg")) == ["500101.gpkg", "500102.gpkg", "万州区.gpkg"]
    assert files["万州区.gpkg"]["from"] == "county" and files["500102.gpkg"]["from"] == "code"
    for name, d in files.items():
        t = household_totals(Project.open(out / name))
        assert d["totals"]["imported"] == t.imported and d["totals"]["base"] == t.base
        how = "村图层的区县列" if d["from"] == "county" else "区划代码前 6 位"
        assert (f"区县 {d['district']}（按{how}）→ {name}：{d['villages']} 个村（社区），住户 {t.imported:,} 户 = "
                f"基础网格 {t.base:,} + 专属网格 {t.special:,} + 例外网格 {t.exception:,} + 未划入网格 {t.unassigned:,}") in text
        codes = set(Project.open(out / name).layers["villages"].gdf["code"])
        assert codes == {"万州区.gpkg": set(CODES[:2]), "500101.gpkg": set(CODES[2:4]), "500102.gpkg": set(CODES[4:])}[name]
    assert sum(d["totals"]["imported"] for d in files.values()) == rep["totals"]["imported"]
    assert f"住户 {rep['totals']['imported']:,} 户" in text


def test_district_files_of_an_earlier_run_are_named_not_counted(tmp_path, capsys):
    """The city is run again without the district 500102 (its villages moved out of this run): the
    500102.gpkg of the first run stays as it was, and the console says it is not this run's."""
    city = _city()
    out = tmp_path / "out"
    path = _save_project(city, tmp_path / "city.gpkg")
    assert main(["partition", str(path), "--out-dir", str(out), "--workers", "1", "--quiet", "--no-subgrids"]) == 0
    old = (out / "500102.gpkg").read_bytes()
    keep = city["villages"]["code"].str.startswith("500101").to_numpy()
    smaller = {**city, "villages": city["villages"][keep]}
    path = _save_project(smaller, tmp_path / "smaller.gpkg")
    capsys.readouterr()
    assert main(["partition", str(path), "--out-dir", str(out), "--workers", "1", "--quiet", "--no-subgrids"]) == 0
    text = capsys.readouterr().out
    assert (out / "500102.gpkg").read_bytes() == old
    assert "输出文件夹中还有 1 个不是本次写入的项目文件" in text and "500102.gpkg" in text
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rep["batch"]["other_files"] == ["500102.gpkg"]
    assert [d["file"] for d in rep["batch"]["districts"]] == ["500101.gpkg"]


def test_a_township_name_shared_by_two_counties_goes_to_each_countys_file(tmp_path, capsys):
    """Two counties each have a 城关镇 (the township column holds names): the three villages of
    万州区 go to 万州区.gpkg and the three of 开州区 to 开州区.gpkg, not all six to the first
    village's county, and the console names the township, the counties and their villages."""
    city = _city()
    v = city["villages"].copy()
    v["township"] = ["城关镇"] * 6
    v["county"] = ["万州区"] * 3 + ["开州区"] * 3
    city["villages"] = v
    path = _save_project(city, tmp_path / "city.gpkg")
    out = tmp_path / "out"
    assert main(["partition", str(path), "--out-dir", str(out), "--workers", "1", "--quiet", "--no-subgrids"]) == 0
    text = capsys.readouterr().out
    assert sorted(p.name for p in out.glob("*.gpkg")) == ["万州区.gpkg", "开州区.gpkg"]
    for name, codes in (("万州区.gpkg", CODES[:3]), ("开州区.gpkg", CODES[3:])):
        assert sorted(Project.open(out / name).layers["villages"].gdf["code"]) == codes
    assert "乡镇 城关镇 的村（社区）分属 2 个区县（万州区 3 个、开州区 3 个），已按区县分开划分" in text
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rep["batch"]["townships_split"] == [{"township": "城关镇", "counties": {"万州区": 3, "开州区": 3},
                                                "chunks": ["城关镇@万州区", "城关镇@开州区"]}]
    assert sum(d["totals"]["imported"] for d in rep["batch"]["districts"]) + \
        rep["totals"].get("outside_villages", 0) == rep["totals"]["imported"]



def test_two_districts_whose_names_make_one_file_name_keep_two_files(tmp_path, capsys):
    """Counties 高新区/经开区 and 高新区_经开区 both sanitise to 高新区_经开区.gpkg: the second
    district's file replaced the first's (its 2,800 households gone from the folder, the console
    naming both as written). Each keeps its own file; the files add up to the city."""
    city = _city()
    city["villages"]["county"] = ["高新区/经开区"] * 4 + ["高新区_经开区"] * 2
    path = _save_project(city, tmp_path / "city.gpkg")
    out = tmp_path / "out"
    assert main(["partition", str(path), "--out-dir", str(out), "--workers", "1", "--quiet", "--no-subgrids"]) == 0
    text = capsys.readouterr().out
    assert sorted(p.name for p in out.glob("*.gpkg")) == ["高新区_经开区.gpkg", "高新区_经开区~1.gpkg"]
    assert "→ 高新区_经开区~1.gpkg：2 个村（社区）" in text
    for name, codes in (("高新区_经开区.gpkg", CODES[:4]), ("高新区_经开区~1.gpkg", CODES[4:])):
        assert sorted(Project.open(out / name).layers["villages"].gdf["code"]) == codes
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert sum(d["totals"]["imported"] for d in rep["batch"]["districts"]) == rep["totals"]["imported"]

def test_households_in_no_grid_are_listed_in_one_file_with_why(tmp_path, capsys):
    """太白村 is a bow tie: its households are in no grid (its village failed) and half of its box
    lies in no village (those households are in no district file). Both are listed in
    未划入网格住户.gpkg with their roster feature number, coordinates and why, the outside ones with
    the nearest village and the distance; the figures are the console's; names are masked."""
    city = _bow_tie(_city(), 3)
    hs = city["households"].copy()
    hs["户主姓名"] = ["张伟", "王芳", "李娜", "刘洋"] * (len(hs) // 4) + ["陈静"] * (len(hs) % 4)
    city["households"] = hs
    out, text, rep, listed = _run_failing_batch(city, tmp_path, capsys)
    t, u = rep["totals"], rep["batch"]["unassigned"]
    # One total: the file holds every household the totals call unassigned, no more.
    assert u["file"] == "未划入网格住户.gpkg" and int(listed["hh"].sum()) == u["households"] == t["unassigned"]
    assert len(listed) == u["features"] == t["unassigned_features"]
    outside = listed[listed["reason"] == "outside"]
    failed = listed[listed["reason"] == "failed"]
    assert int(outside["hh"].sum()) == t["outside_villages"] > 0
    assert set(failed["village"]) == {"太白村"} and int(failed["hh"].sum()) == t["unassigned"] - t["outside_villages"]
    assert set(outside["why"]) == {"不在任何村（社区）界内"} and set(failed["why"]) == {"所在村（社区）划分失败"}
    # Outside ones: the nearest village and how far; every row: found again in the roster by its number.
    assert (outside["distance_m"] > 0).all() and set(outside["nearest_village"]) <= set(city["villages"]["name"])
    roster = city["households"]
    for r in listed.itertuples():
        src = roster.iloc[r.fid_in_roster - 1]
        assert int(src["hh"]) == r.hh and src.geometry.equals_exact(r.geometry, 1e-6)
    assert listed["lon"].between(-180, 180).all() and listed["lat"].between(-90, 90).all()
    # Names masked, as in every export.
    assert not set(listed["户主姓名"]) & {"张伟", "王芳", "李娜", "刘洋", "陈静"}
    assert f"未划入网格的 {t['unassigned']:,} 户（{t['unassigned_features']:,} 个住户点）列在 {out / '未划入网格住户.gpkg'}" in text
    assert f"不在任何村（社区）界内 {t['outside_villages']:,} 户" in text
    # A second run replaces its own list; once every household is in a grid the stale list goes.
    rc = main(["partition", str(_save_project(_city(), tmp_path / "fixed.gpkg")), "--out-dir", str(out),
               "--workers", "1", "--quiet", "--no-subgrids"])
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert (rep["batch"]["unassigned"]["households"] == 0) == (not (out / "未划入网格住户.gpkg").exists())


def test_party_members_of_a_failed_village_outside_every_village_or_skipped_at_import_stay_in_the_roster_total(
        tmp_path, capsys):
    """The roster has five rows: 党员甲 (东方村) and 党员丙 (永宁村) are linked, 党员乙 lives in 太白村
    (a bow tie: its village fails), 党员丁 lives in no village, and row 7 import skipped for want of
    coordinates. The batch's 党员名册 counts all five, each one left out named by row with why and fix."""
    import geopandas as gpd

    from gridtool.layers import Layer
    from gridtool.problems import Problem
    city = _bow_tie(_city(), 3)
    m = city["party_members"]
    x0, y0, _, _ = city["villages"].total_bounds
    city["party_members"] = gpd.GeoDataFrame(
        {"name": [*m["name"], "党员丁"], "src_id": ["row 2", "row 3", "row 4", "row 5"]},
        geometry=[*m.geometry, shapely.Point(x0 - 5000, y0 - 5000)], crs=m.crs)
    path = _save_project(city, tmp_path / "city.gpkg")
    proj = Project.open(path)
    proj.layers["party_members"].problems.append(Problem(
        "warning", "bad_coordinates", "第 7 行没有经纬度，已跳过", "row 7 has no coordinates: skipped",
        role="party_members", features=["row 7"]))
    proj.save(path, force=True)
    out = tmp_path / "out"
    rc = main(["partition", str(path), "--out-dir", str(out), "--workers", "1", "--quiet", "--no-subgrids"])
    text = capsys.readouterr().out
    assert rc == 4
    pl = json.loads((out / "report.json").read_text(encoding="utf-8"))["plan"]["party_links"]
    why = {x["member_id"]: x["reason"] for x in pl["members_not_linked"]}
    assert why == {"row 3": "village_failed", "row 5": "outside", "row 7": "no_point"}
    assert pl["members_total"] == 5 == pl["members"] + len(why) and pl["members"] == 2
    assert "党员名册 5 名 = 已联户 2 + 未联户 3" in text
    assert "党员名册第 3 行，所在村（社区）划分失败" in text and "加 --resume 重新运行" in text
    assert "党员名册第 5 行，居住点不在任何基础网格内" in text and "党员名册第 7 行，名册中这一行没有经纬度" in text
    # Households linked + not linked = the city's households (not only those of the villages fitted).
    t = json.loads((out / "report.json").read_text(encoding="utf-8"))["totals"]
    assert pl["households_total"] == t["imported"] == pl["households_linked"] + pl["households_unlinked"]
    assert "联系户不足 10 户" in text  # the minimum, not the chunks' minimums added up
    # The district file of 太白村 lists its member too.
    dp = Project.open(out / "500101.gpkg").parameters["partition"]["plan"]["party_links"]
    assert {x["member_id"] for x in dp["members_not_linked"]} == {"row 3"} and dp["members_total"] == 2


def test_district_files_carry_their_party_members_linked_to_grids_and_masked(tmp_path, capsys):
    """As one run's project keeps the roster, each district file keeps its villages' party members
    (党员甲, 党员乙 in 500101; 党员丙 in 500102), with the personal columns import marked, so that a
    GIS export of the district file shows each member's grid with the name and phone masked; each
    file's roster count is its layer's, and the files add up to the console's roster."""
    import geopandas as gpd
    import pyogrio

    from gridtool.maps.gis import write_gpkg
    city = _city()
    m = city["party_members"]
    city["party_members"] = gpd.GeoDataFrame(
        {"name": list(m["name"]), "称呼": ["张伟", "王芳", "李娜"], "phone": ["13812345678", "13912345678", "13712345678"],
         "src_id": ["row 2", "row 3", "row 4"]}, geometry=list(m.geometry), crs=m.crs)
    path = _save_project(city, tmp_path / "city.gpkg")
    proj = Project.open(path)
    proj.layers["party_members"].sensitive = {"称呼": "name", "phone": "phone"}
    proj.save(path, force=True)
    out = tmp_path / "out"
    assert main(["partition", str(path), "--out-dir", str(out), "--workers", "1", "--quiet", "--no-subgrids"]) == 0
    text = capsys.readouterr().out
    pl = json.loads((out / "report.json").read_text(encoding="utf-8"))["plan"]["party_links"]
    assert f"党员名册 {pl['members_total']} 名" in text and pl["members_total"] == 3
    seen = []
    for name, want in (("500101.gpkg", ["党员甲", "党员乙"]), ("500102.gpkg", ["党员丙"])):
        dp = Project.open(out / name)
        lyr = dp.layers["party_members"]
        assert list(lyr.gdf["name"]) == want and lyr.sensitive == {"称呼": "name", "phone": "phone"}
        assert not {"_batch_row", "_batch_village"} & set(lyr.gdf.columns)
        stated = dp.parameters["partition"]["plan"]["party_links"]
        assert stated["members_total"] == len(lyr.gdf)
        seen += list(lyr.gdf["src_id"])
        write_gpkg(dp, tmp_path / f"export-{name}")
        shown = pyogrio.read_dataframe(tmp_path / f"export-{name}", layer="party_members")
        # Dropped or masked, as in every GIS export: never as the roster has them.
        values = {str(v) for col in ("称呼", "phone") if col in shown for v in shown[col]}
        assert not values & {"张伟", "王芳", "李娜", "13812345678", "13912345678", "13712345678"}
        grids = set(dp.layers["grids"].gdf["code"])
        linked = shown[shown["hh"] > 0]
        assert len(linked) == stated["members"] > 0
        assert all(set(g.split("、")) <= grids for g in linked["grid"])
    assert sorted(seen) == ["row 2", "row 3", "row 4"]


def test_a_failed_villages_buildings_split_by_an_earlier_plan_are_listed_whole_in_the_unassigned_file(
        tmp_path, capsys):
    """A project partitioned before: 太白村's buildings carry last year's grid_parts. When 太白村
    fails, those buildings are in no grid; the list of households in no grid holds them whole,
    so the file adds up to the totals' unassigned and the console states no remainder."""
    city = _bow_tie(_city(), 3)
    hs = city["households"].copy()
    taibai = shapely.within(hs.geometry.values, city["villages"].geometry.iloc[3])
    split = taibai & (household_counts(hs["hh"]) >= 2)
    hs["grid"] = None
    hs["grid_parts"] = ""
    hs.loc[split, "grid"] = "500101002002-01"
    hs.loc[split, "grid_parts"] = [f"500101002002-01:1;500101002002-02:{int(n) - 1}" for n in hs.loc[split, "hh"]]
    city["households"] = hs
    assert split.sum() > 0
    out, text, rep, listed = _run_failing_batch(city, tmp_path, capsys)
    t, u = rep["totals"], rep["batch"]["unassigned"]
    assert int(listed["hh"].sum()) == u["households"] == t["unassigned"]
    assert len(listed) == t["unassigned_features"]
    assert "跨网格拆分的楼栋中未分配的部分" not in text
    # Last year's split is gone from the district file: those buildings are whole, in no grid.
    dh = Project.open(out / "500101.gpkg").layers["households"].gdf
    inside = shapely.within(dh.geometry.values, city["villages"].geometry.iloc[3])
    assert (dh.loc[inside, "grid_parts"].fillna("") == "").all()


def test_the_rest_of_a_split_building_no_grid_holds_is_listed_with_why():
    """A building of 5 households split 2 + 3 between A-01 and Z-09 (a code no layer holds): the
    3 left are listed as 楼栋拆分余数, as the totals count them."""
    import geopandas as gpd

    from gridtool.partition import unassigned
    from gridtool.partition.chunking import ROW, VILLAGE
    villages = gpd.GeoDataFrame({"name": ["东方村"], "code": ["500101001001"]},
                                geometry=[shapely.box(0, 0, 100, 100)], crs="EPSG:32648")
    hs = gpd.GeoDataFrame({"hh": [5, 4], "grid": ["A-01", "A-01"], "grid_parts": ["A-01:2;Z-09:3", ""],
                           ROW: [0, 1], VILLAGE: [0, 0]},
                          geometry=[shapely.Point(10, 10), shapely.Point(20, 20)], crs="EPSG:32648")
    codes = {"A-01"}
    rest = unassigned.split_rest(hs, codes)
    layer = unassigned.unassigned_households(hs.iloc[:0], [hs[unassigned.no_grid(hs, codes)], rest], villages, set())
    assert layer["hh"].tolist() == [3] and layer["fid_in_roster"].tolist() == [1]
    assert layer["reason"].tolist() == ["split_rest"] and "楼栋拆分余数" in layer["why"].iloc[0]
