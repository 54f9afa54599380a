"""The routing commands (patrol, coverage, seal) never replace a file in ``--out`` that gridtool did
not write: a planner's own ``seal.csv`` or a GeoPackage edited in QGIS stays as it was, the message
names the file and ``--force``; files gridtool wrote itself are replaced on the next run."""

from __future__ import annotations

import geopandas as gpd
import pyogrio
from shapely.geometry import Point

from gridtool import cli

from .patrol_data import patrol_town, write_layers
from .test_routing_siting import _project_files


def test_seal_refuses_a_users_csv_then_replaces_its_own(tmp_path, capsys):
    gpkg = _project_files(tmp_path)
    roles = [f"--{r}={gpkg}:{r}" for r in ("roads", "stations")]
    out = tmp_path / "s"
    out.mkdir()
    mine = "卡口,负责人,电话\r\n北口,张三,13912345678\r\n".encode("utf-8-sig")
    (out / "seal.csv").write_bytes(mine)
    seal = ["seal", *roles, "--exits", f"{gpkg}:exits", "--mode", "walk", "--out", str(out)]
    assert cli.main(seal) == 2
    err = capsys.readouterr().err
    assert "seal.csv" in err and "--force" in err
    assert (out / "seal.csv").read_bytes() == mine and not (out / "seal.gpkg").exists()
    assert cli.main([*seal, "--force"]) == 0
    assert (out / "seal.csv").read_bytes() != mine
    capsys.readouterr()
    assert cli.main(seal) == 0  # its own file: replaced without --force


def test_coverage_refuses_a_geopackage_it_did_not_write(tmp_path, capsys):
    gpkg = _project_files(tmp_path)
    roles = [f"--{r}={gpkg}:{r}" for r in ("roads", "stations", "households")]
    out = tmp_path / "c"
    out.mkdir()
    qgis = gpd.GeoDataFrame({"note": ["我的图层"]}, geometry=[Point(0, 0)], crs=4326)
    pyogrio.write_dataframe(qgis, out / "coverage.gpkg", layer="mine", driver="GPKG")
    before = (out / "coverage.gpkg").read_bytes()
    args = ["coverage", *roles, "--minutes", "3", "--out", str(out)]
    assert cli.main(args) == 2
    assert "coverage.gpkg" in capsys.readouterr().err
    assert (out / "coverage.gpkg").read_bytes() == before
    assert cli.main([*args, "--force"]) == 0
    assert cli.main(args) == 0
    assert {"circles"} <= {n for n, _ in pyogrio.list_layers(out / "coverage.gpkg")}


def test_patrol_keeps_a_users_gpx_and_names_routes_after_the_place(tmp_path, capsys):
    t = patrol_town()
    t["villages"] = gpd.GeoDataFrame({"name": ["一村"], "乡镇": ["东港镇"]},
                                     geometry=[t["roads"].union_all().envelope.buffer(10)], crs=t["roads"].crs)
    src = write_layers(tmp_path / "town.gpkg", {k: t[k] for k in ("roads", "places", "stations", "villages")})
    out = tmp_path / "out"
    out.mkdir()
    track = b'<?xml version="1.0"?><gpx version="1.1" creator="OruxMaps" xmlns="http://www.topografix.com/GPX/1/1"/>'
    (out / "patrol.gpx").write_bytes(track)
    args = ["patrol", *sum(([f"--{k}", v] for k, v in src.items()), []), "--time-limit", "0.3", "--start", "14:00", "--out", str(out)]
    assert cli.main(args) == 2
    assert "patrol.gpx" in capsys.readouterr().err
    assert (out / "patrol.gpx").read_bytes() == track and not (out / "patrol.gpkg").exists()
    assert cli.main([*args, "--force"]) == 0
    gpx = (out / "patrol.gpx").read_text(encoding="utf-8")
    assert "东港镇巡逻路线" in gpx and "project 巡逻路线" not in gpx
    assert cli.main(args) == 0  # the files are gridtool's own now (the cards JSON included)
