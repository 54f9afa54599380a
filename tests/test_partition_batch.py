"""City-scale batch partition: chunking, same result on 1 and 2 workers, failures, resume, cancel, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

sys.path.insert(0, str(Path(__file__).parent))
from partition_data import make_villages, run_unguarded_script  # noqa: E402

from gridtool.errors import CancelledError, MissingColumnError  # noqa: E402
from gridtool.layers import Layer  # noqa: E402
from gridtool.partition.batch import BatchPartitioner  # noqa: E402
from gridtool.partition.chunking import ChunkingError, LayersSource, plan_chunks  # noqa: E402
from gridtool.partition.engine import GridPartitioner  # noqa: E402
from gridtool.project import Project  # noqa: E402

CODES = ["500101001001", "500101001002", "500101002001", "500101002002", "500102003001", "500102003002"]
NAMES = ["东方村", "乌龙村", "石门村", "太白村", "龙宝村", "永宁村"]
LAYERS = ("grids", "subgrids", "special_grids", "corridors")


def _city(households: int = 700, seed: int = 5) -> dict[str, gpd.GeoDataFrame]:
    """Six villages in a row: two per township, the last township in another district; a school
    (special grid) and three party members."""
    lay = make_villages(n_villages=6, households=households, seed=seed)
    lay["villages"]["code"] = CODES
    lay["villages"]["name"] = NAMES
    v = lay["villages"].geometry
    c = v.iloc[2].centroid
    lay["places"] = gpd.GeoDataFrame({"category": ["school", "police"], "name": ["石门小学", "派出所"]},
                                     geometry=[Point(c.x - 200, c.y + 150), Point(c.x + 100, c.y)], crs=v.crs)
    lay["party_members"] = gpd.GeoDataFrame(
        {"name": ["党员甲", "党员乙", "党员丙"]},
        geometry=[v.iloc[i].representative_point() for i in (0, 3, 5)], crs=v.crs)
    return lay


@pytest.fixture(scope="module")
def city():
    return _city()


@pytest.fixture(scope="module")
def single(city):
    return BatchPartitioner(workers=1).fit(city)


def _same(a, b) -> None:
    """Two fitted partitioners hold the same plan: geometries bit for bit, every attribute, the
    households' grids and the report (timings aside)."""
    for name in LAYERS:
        x, y = getattr(a, name + "_"), getattr(b, name + "_")
        assert len(x) == len(y), name
        assert list(shapely.to_wkb(x.geometry.values)) == list(shapely.to_wkb(y.geometry.values)), name
        pd.testing.assert_frame_equal(pd.DataFrame(x.drop(columns="geometry")), pd.DataFrame(y.drop(columns="geometry")))
    for col in ("grid", "subgrid", "grid_parts"):
        assert a.households_[col].tolist() == b.households_[col].tolist(), col
    ra = {k: v for k, v in a.report_.items() if k != "timings"}
    rb = {k: v for k, v in b.report_.items() if k != "timings"}
    assert json.dumps(ra, sort_keys=True, default=str) == json.dumps(rb, sort_keys=True, default=str)


# -- chunking ----------------------------------------------------------------------------------
def test_chunks_by_township_district_and_merges(city):
    v = city["villages"]
    chunks = plan_chunks(v, by="township")
    assert [c.key for c in chunks] == ["500101001", "500101002", "500102003"]
    assert [c.district for c in chunks] == ["500101", "500101", "500102"]
    assert chunks[1].names == ("石门村", "太白村") and chunks[1].rows == (2, 3)
    assert len(plan_chunks(v, by="village")) == 6
    # A merge across townships keeps both townships in one chunk; codes work as well as names.
    joined = plan_chunks(v, by="township", merge={"乌龙村": "石门村"})
    assert [c.key for c in joined] == ["500101001+500101002", "500102003"]
    assert joined[0].merge == (("乌龙村", "石门村"),)
    assert plan_chunks(v, by="village", merge={"500101001002": "500101002001"})[1].names == ("乌龙村", "石门村")
    with pytest.raises(MissingColumnError):
        plan_chunks(v, merge={"无此村": "石门村"})
    dup = v.copy()
    dup["name"] = ["东方村", "东方村", *NAMES[2:]]
    with pytest.raises(ChunkingError):
        plan_chunks(dup, merge={"东方村": "石门村"})


def test_a_merge_across_counties_names_the_counties_of_its_chunk(city):
    """乌龙村 (district 500101) merged into 龙宝村 (500102): one chunk, written to the first
    village's district, with both districts and their villages listed for the warning."""
    joined = plan_chunks(city["villages"], by="township", merge={"乌龙村": "龙宝村"})
    mixed = [c for c in joined if c.districts]
    assert [(c.key, c.district, c.districts) for c in mixed] == [
        ("500101001+500102003", "500101", (("500101", 2), ("500102", 2)))]
    assert not [c for c in plan_chunks(city["villages"], by="township") if c.districts or c.split_from]


def test_a_township_named_with_an_at_sign_is_not_fused_with_another_countys_part(city):
    """Township "新华@东" lies in county 500101; township "新华" spans counties 东 and 500102, so its
    part in county 东 is "新华@东" too. They are two townships: two chunks (the later one's file
    name told apart), never one fit over both; a township of one county keeps its plain key."""
    v = city["villages"].copy()
    v["township"] = ["新华@东", "新华@东", "新华", "新华", "新华", "新华"]
    v["county"] = ["500101", "500101", "东", "东", "500102", "500102"]
    chunks = plan_chunks(v, by="township")
    assert [c.rows for c in chunks] == [(0, 1), (2, 3), (4, 5)]
    assert [c.key for c in chunks] == ["新华@东", "新华@东~1", "新华@500102"]
    assert [c.district for c in chunks] == ["500101", "东", "500102"]
    # Keys that differ only in case are one file on Windows: told apart as well.
    v["township"] = ["Xinhua", "Xinhua", "XINHUA", "XINHUA", "Xinhua~1", "Xinhua~1"]
    v["county"] = ["500101"] * 6
    assert [c.key for c in plan_chunks(v, by="township")] == ["Xinhua", "XINHUA~2", "Xinhua~1"]


def test_chunk_inputs_are_whole_features_near_the_villages(city):
    src = LayersSource(city, params={})
    lay = src.layers(src.chunks()[1])
    hs = lay["households"]
    vill = shapely.union_all(lay["villages"].geometry.values)
    assert shapely.intersects(vill, shapely.point_on_surface(hs.geometry.values)).all()
    assert set(hs["_batch_village"]) == {2, 3}
    # Roads are whole source features (never cut), only those near the chunk.
    roads = lay["roads"]
    assert 0 < len(roads) < len(city["roads"])
    src_roads = city["roads"].geometry.values
    assert all(any(shapely.equals_exact(g, s, 0) for s in src_roads) for g in roads.geometry.values[:5])
    assert set(lay["places"]["name"]) == {"石门小学", "派出所"}
    assert list(lay["party_members"]["name"]) == ["党员乙"]


# -- same result ---------------------------------------------------------------------------------
def test_batch_equals_one_fit_per_village(city, single):
    """Villages are independent: the batch gives the codes and households of one run over all."""
    gp = GridPartitioner().fit(city)
    # Grids come out of the solver in another order inside a village (block numbers differ), so
    # they are compared by code: same households, same area.
    a, b = (g.sort_values("code").reset_index(drop=True) for g in (single.grids_, gp.grids_))
    assert a["code"].tolist() == b["code"].tolist() and a["hh"].tolist() == b["hh"].tolist()
    assert shapely.equals(a.geometry.values, b.geometry.values).all()
    a, b = (g.sort_values("code").reset_index(drop=True) for g in (single.subgrids_, gp.subgrids_))
    assert a["code"].tolist() == b["code"].tolist() and a["hh"].tolist() == b["hh"].tolist()
    for col in ("grid", "subgrid", "grid_parts"):
        assert single.households_[col].tolist() == gp.households_[col].tolist()
    assert single.special_grids_["code"].tolist() == gp.special_grids_["code"].tolist() == ["500101002001-Z01"]
    plan_keys = ("villages", "households", "grids", "pct_within_bounds", "subgrids", "special_grids", "corridors")
    assert {k: single.report_["plan"][k] for k in plan_keys} == {k: gp.report_["plan"][k] for k in plan_keys}
    assert len(single.links_) == len(gp.links_) > 0
    assert single.report_["batch"]["chunks"] == 3 and not single.failures_
    t = single.report_["timings"]
    assert t["per_worker"]["local"]["chunks"] == 3 and len(t["slowest_villages"]) == 6


@pytest.fixture(scope="module")
def scheduler():
    """An existing Dask cluster (two worker processes), as ``--scheduler tcp://…`` finds one."""
    distributed = pytest.importorskip("distributed")
    import logging
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                       silence_logs=logging.ERROR)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_two_workers_equal_one(city, single):
    pytest.importorskip("distributed")
    two = BatchPartitioner(workers=2).fit(city)
    _same(single, two)
    assert two.report_["timings"]["workers"] == 2 and two.report_["timings"]["mode"] == "local cluster"
    assert sum(w["chunks"] for w in two.report_["timings"]["per_worker"].values()) == 3


def test_existing_scheduler_equals_one(city, single, scheduler):
    assert scheduler.startswith("tcp://")
    bp = BatchPartitioner(scheduler=scheduler, max_in_flight=1).fit(city)
    _same(single, bp)
    assert bp.report_["timings"]["mode"] == scheduler and bp.report_["timings"]["workers"] == 2


def test_workers_write_their_chunk_files(city, single, scheduler, tmp_path):
    """Streaming on a cluster whose workers share the disk: they write the chunk files, the
    client only gets tables, and the districts come out the same."""
    bp = BatchPartitioner(scheduler=scheduler, write_on_workers=True).fit(city, work_dir=tmp_path / "parts",
                                                                            keep=False)
    assert bp.report_["timings"]["parts_written_by"] == "workers"
    assert bp.report_["plan"] == single.report_["plan"]
    g = Project.open(bp.write_districts(tmp_path / "out")["500102"]).layers["grids"].gdf
    ref = single.grids_[single.grids_["village_code"].str.startswith("500102")]
    assert list(shapely.to_wkb(g.geometry.values)) == list(shapely.to_wkb(ref.geometry.values))


# -- failures, resume, cancel -------------------------------------------------------------------
def _broken(city) -> dict:
    """太白村 has a household whose count is not a number: the engine fails on that village."""
    lay = dict(city)
    hs = city["households"].copy()
    hs["hh"] = hs["hh"].astype(object)
    inside = np.flatnonzero(shapely.within(hs.geometry.values, city["villages"].geometry.iloc[3]))
    hs.iat[int(inside[0]), hs.columns.get_loc("hh")] = "坏"
    lay["households"] = hs
    return lay


def test_failing_village_is_named_and_the_others_complete(city, single):
    bp = BatchPartitioner(workers=1).fit(_broken(city))
    assert [f["villages"] for f in bp.failures_] == [["太白村"]]
    f = bp.failures_[0]
    # The engine refuses the count before partitioning (validate.check_partition_ready).
    assert f["chunk"] == "500101002" and f["codes"] == ["500101002002"] and "non-numeric household count" in f["error"]
    assert bp.report_["batch"]["failed"] == bp.failures_
    assert [r["chunk"] for r in bp.report_["batch"]["refitted_by_village"]] == ["500101002"]
    done = set(bp.grids_["village"])
    assert done == set(NAMES) - {"太白村"}
    # The other village of the failed township is partitioned as before.
    a = bp.grids_[bp.grids_["village"] == "石门村"]
    b = single.grids_[single.grids_["village"] == "石门村"]
    assert a["code"].tolist() == b["code"].tolist() and a["hh"].tolist() == b["hh"].tolist()


def test_resume_skips_finished_chunks_and_redoes_changed_ones(city, single, tmp_path):
    work = tmp_path / "parts"
    first = BatchPartitioner(workers=1).fit(city, work_dir=work)
    assert sorted(p.name for p in work.iterdir()) == sorted(
        f"{k}.{e}" for k in ("500101001", "500101002", "500102003") for e in ("gpkg", "json"))
    fits = []
    again = BatchPartitioner(workers=1).fit(city, work_dir=work, resume=True,
                                            progress=lambda f, m: fits.append(m) if "构建街区" in m else None)
    assert fits == [] and again.report_["timings"]["resumed_chunks"] == 3
    for name in LAYERS:
        assert getattr(again, name + "_")["code"].tolist() == getattr(first, name + "_")["code"].tolist()
    assert again.households_["grid"].tolist() == first.households_["grid"].tolist()
    assert again.report_["plan"] == first.report_["plan"]
    # One household more in 龙宝村: only its township is computed again.
    changed = dict(city)
    hs = city["households"]
    extra = hs.iloc[[int(np.flatnonzero(shapely.within(hs.geometry.values, city["villages"].geometry.iloc[4]))[0])]]
    extra = extra.set_geometry(extra.geometry.translate(1.0, 1.0))  # a new household, not a repeated row
    changed["households"] = gpd.GeoDataFrame(pd.concat([hs, extra], ignore_index=True), crs=hs.crs)
    fits.clear()
    third = BatchPartitioner(workers=1).fit(changed, work_dir=work, resume=True,
                                            progress=lambda f, m: fits.append(m) if "构建街区" in m else None)
    assert fits == ["500102003：构建街区 / building blocks"]
    assert third.report_["timings"]["resumed_chunks"] == 2
    assert third.report_["plan"]["households"] == first.report_["plan"]["households"] + int(extra["hh"].iat[0])
    assert not [p for p in work.iterdir() if p.name.startswith(".")]  # no temporary files left


@pytest.mark.parametrize("workers", [1, 2])
def test_cancel_stops_cleanly(city, tmp_path, workers):
    if workers > 1:
        pytest.importorskip("distributed")
    psutil = pytest.importorskip("psutil")
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    seen = []

    def progress(f, m):
        seen.append(m)

    with pytest.raises(CancelledError):
        BatchPartitioner(workers=workers).fit(city, work_dir=tmp_path / "parts", progress=progress,
                                              cancelled=lambda: any("villages 2/6" in m for m in seen))
    done = sorted(p.name for p in (tmp_path / "parts").iterdir())
    assert done == ["500101001.gpkg", "500101001.json"] or workers > 1 and len(done) <= 6
    assert not any(n.startswith(".") for n in done)
    left = {p.pid for p in psutil.Process().children(recursive=True) if p.is_running()} - before
    assert not left, "worker processes left running"


# -- sources and the command line ------------------------------------------------------------------
def _save_project(layers: dict, path: Path) -> Path:
    crs = layers["villages"].crs
    proj = Project(name="city", crs=crs)
    for role, g in layers.items():
        proj.layers[role] = Layer(role=role, gdf=g.reset_index(drop=True), source="test", format="GPKG")
    proj.save(path)
    return path


def test_project_file_is_streamed_with_the_same_result(city, single, tmp_path, monkeypatch):
    """A project file streamed township by township gives the one-run plan; each chunk's inputs
    are hashed once (not again by the task writing its file) and the city's roster total read once."""
    from gridtool.partition import parts
    from gridtool.partition.chunking import GeoPackageSource
    path = _save_project(city, tmp_path / "city.gpkg")
    calls = {"digests": 0, "total": 0}
    real_digests, real_total = parts.digests, GeoPackageSource.household_total

    def digests(*a, **k):
        calls["digests"] += 1
        return real_digests(*a, **k)

    def total(self):
        calls["total"] += 1
        return real_total(self)
    monkeypatch.setattr(parts, "digests", digests)
    monkeypatch.setattr(GeoPackageSource, "household_total", total)
    bp = BatchPartitioner(workers=1).fit(str(path), work_dir=tmp_path / "parts", keep=False)
    assert bp.grids_ is None and bp.report_["plan"] == single.report_["plan"]
    files = bp.write_districts(tmp_path / "out")
    assert calls == {"digests": len(bp.chunks_), "total": 1}
    from gridtool.values import household_counts
    assert bp.report_["totals"]["imported"] == int(household_counts(city["households"]["hh"]).sum())
    assert sorted(files) == ["500101", "500102"]
    p = Project.open(files["500101"])
    g = p.layers["grids"].gdf
    ref = single.grids_[single.grids_["village_code"].str.startswith("500101")]
    assert g["code"].tolist() == ref["code"].tolist()
    assert shapely.equals_exact(g.geometry.values, ref.geometry.values, 1e-9).all()
    assert set(p.layers) >= {"villages", "households", "grids", "subgrids", "special_grids", "corridors"}
    assert "_batch_row" not in p.layers["households"].gdf
    assert p.parameters["partition"]["plan"]["grids"] == len(g)


def test_cli_batch(city, single, tmp_path):
    from gridtool.cli import main
    path = _save_project(city, tmp_path / "city.gpkg")
    out = tmp_path / "grids.gpkg"
    rc = main(["--lang", "en", "partition", str(path), "--workers", "1", "--out", str(out), "--quiet",
               "--report", str(tmp_path / "r.json")])
    assert rc == 0
    g = Project.open(out).layers["grids"].gdf
    assert g["code"].tolist() == single.grids_["code"].tolist()
    assert json.loads((tmp_path / "r.json").read_text())["batch"]["chunks"] == 3
    assert (tmp_path / "grids.parts" / "500101001.json").exists()
    # Resume: nothing recomputed.
    rc = main(["partition", str(path), "--by", "township", "--resume", "--out", str(out), "--quiet",
               "--report", str(tmp_path / "r2.json")])
    assert rc == 0 and json.loads((tmp_path / "r2.json").read_text())["timings"]["resumed_chunks"] == 3


def test_cli_on_a_cluster_reports_the_broken_village(city, tmp_path, capsys, scheduler):
    from gridtool.cli import main
    path = _save_project(_broken(city), tmp_path / "broken.gpkg")
    rc = main(["--lang", "en", "partition", str(path), "--scheduler", scheduler, "--out-dir", str(tmp_path / "out"),
               "--quiet"])
    assert rc == 4
    err = capsys.readouterr().out
    assert "failed: 太白村 (chunk 500101002)" in err
    rep = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [f["villages"] for f in rep["batch"]["failed"]] == [["太白村"]]
    # The district files, and the list of the households in no grid (太白村's, in English here too:
    # the reasons are printed in the interface's language, the file says them in Chinese).
    assert sorted(p.name for p in (tmp_path / "out").glob("*.gpkg")) == ["500101.gpkg", "500102.gpkg",
                                                                         "未划入网格住户.gpkg"]
    assert rep["batch"]["unassigned"]["by_reason"]["failed"][0] == rep["totals"]["unassigned"] > 0
    assert "its village could not be partitioned" in err
    g = Project.open(tmp_path / "out" / "500101.gpkg").layers["grids"].gdf
    assert "太白村" not in set(g["village"]) and "石门村" in set(g["village"])


def test_infeasible_merge_keeps_the_neighbour_in_the_chunk():
    """A village too small for a grid, on a township border: with infeasible="merge" its
    neighbours across the border come into its chunk, so the engine can pick any of them."""
    lay = _city(seed=9)
    v2 = lay["villages"].geometry.iloc[2]
    hs = lay["households"]
    inside = shapely.within(shapely.point_on_surface(hs.geometry.values), v2)
    keep = ~inside | (np.cumsum(np.where(inside, hs["hh"].to_numpy(), 0)) <= 200)
    lay["households"] = hs[keep].reset_index(drop=True)
    src = LayersSource(lay, params={"infeasible": "merge"})
    assert [c.key for c in src.chunks()] == ["500101001+500101002", "500102003"]
    bp = BatchPartitioner(workers=1, infeasible="merge", subgrids=False).fit(lay)
    gp = GridPartitioner(infeasible="merge", subgrids=False).fit(lay)
    a, b = (g.sort_values("code") for g in (bp.grids_, gp.grids_))
    assert a["code"].tolist() == b["code"].tolist() and a["hh"].tolist() == b["hh"].tolist()
    applied = {v["village"]: v["applied"] for v in bp.report_["plan"]["infeasible_villages"]}
    assert applied["石门村"].startswith("merged into")


def test_core_imports_without_dask():
    code = ("import sys, gridtool.cli, gridtool.partition.batch, gridtool.partition.cluster;"
            "assert 'distributed' not in sys.modules and 'dask' not in sys.modules")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_synthetic_city_uses_real_codes_and_streams_townships():
    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    sys.path.insert(0, str(bench))
    from synthetic_city import SyntheticCity
    city = SyntheticCity(40_000, samples=("nanjing-xuanwu",))
    names = pd.read_csv("/work/shared/data/names/chongqing_villages_china_division.csv", dtype=str)
    ts = city.townships
    assert ts[0].code == "500101001" and ts[0].name == names["street"].iat[0]
    assert city.households_total >= 40_000
    chunks = city.chunks()
    lay = city.layers(chunks[1])
    v = lay["villages"]
    assert list(v["code"]) == list(chunks[1].codes) and set(v["code"].str[:9]) == {chunks[1].key}
    assert set(v["code"]) <= set(names["code"])
    assert int(lay["households"]["hh"].sum()) == ts[1].households
    assert lay["households"]["_batch_row"].iloc[0] == ts[1].first_household
    # The whole city in memory cuts into the same chunks with the same households.
    src = LayersSource(city.to_layers(), params={})
    assert [c.key for c in src.chunks()] == [c.key for c in chunks]
    again = src.layers(src.chunks()[1])
    assert shapely.equals_exact(again["households"].geometry.values, lay["households"].geometry.values, 0).all()
    assert again["households"]["_batch_row"].tolist() == lay["households"]["_batch_row"].tolist()


def test_the_benchmark_city_runs_through_the_batch_partitioner(tmp_path):
    """The issue-17 city benchmark streams a :class:`SyntheticCity` into the batch partitioner; the
    checks after the run (villages too small on their own, households in no village) read the
    source's whole villages layer, which the city did not give: every city run ended in
    NotImplementedError after the last township. Now it finishes, every household counted."""
    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    sys.path.insert(0, str(bench))
    from synthetic_city import SyntheticCity
    city = SyntheticCity(8_000, samples=("nanjing-xuanwu",))
    v = city.villages()
    assert v["code"].tolist() == [c for ch in city.chunks() for c in ch.codes]
    assert v["_batch_vrow"].tolist() == list(range(len(v)))
    assert len(city.outside_villages()) == 0
    bp = BatchPartitioner(min_hh=300, max_hh=500, target=400).fit(city, work_dir=tmp_path / "parts", keep=False)
    assert not bp.failures_
    assert bp.report_["plan"]["households"] == city.households_total


def test_a_script_without_a_main_guard_runs_on_two_workers(tmp_path):
    """Dask's local workers are spawned processes, which import the caller's main script: a
    planner's script without ``if __name__ == "__main__":`` stopped every worker from starting
    ("Nanny failed to start", a page of tracebacks). It now runs once, on both workers."""
    pytest.importorskip("distributed")
    ran = run_unguarded_script(tmp_path, (
        "from test_partition_batch import _city\n"
        "from gridtool.partition.batch import BatchPartitioner\n"
        "bp = BatchPartitioner(workers=2).fit(_city())\n"
        "print('RAN', bp.report_['timings']['workers'], len(bp.grids_), len(bp.failures_))\n"))
    assert len(ran) == 1 and ran[0].split()[1] == "2" and ran[0].split()[3] == "0", ran


def test_batch_timings_add_seconds_but_not_process_counts():
    """A batch report adds each chunk's seconds up, but the sub-grid processes are the most any
    chunk used (the console says "子网格由 N 个进程并行绘制"; summed it said 27 on 27 townships)."""
    from gridtool.partition.batch import _merge_values
    merged = _merge_values([{"blocks_s": 1.5, "subgrid_workers": 2}, {"blocks_s": 2.0, "subgrid_workers": 1},
                            {"blocks_s": 0.5, "subgrid_workers": 2}])
    assert merged == {"blocks_s": 4.0, "subgrid_workers": 2}
