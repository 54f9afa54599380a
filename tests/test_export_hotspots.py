"""Hot spots a patrol was planned on go into the GIS export with the routes (a station's QGIS or
奥维 shows where the incidents cluster); the incident records themselves only when asked for."""

from __future__ import annotations

import zipfile

import pyogrio

from gridtool import cli

from .patrol_data import patrol_town, write_layers


def test_hotspots_exported_incidents_only_on_request(tmp_path, capsys):
    src = write_layers(tmp_path / "town.gpkg", patrol_town())
    proj = tmp_path / "project.gpkg"
    assert cli.main(["import", *sum(([f"--{k}", v] for k, v in src.items()), []), "--out", str(proj)]) == 0
    assert cli.main(["patrol", str(proj), "--teams", "2", "--start", "14:00", "--time-limit", "0.3",
                     "--out", str(tmp_path / "p")]) == 0
    hot = pyogrio.read_dataframe(proj, layer="hotspots")
    assert len(hot) > 0
    capsys.readouterr()
    assert cli.main(["export", str(proj), "--gpkg", str(tmp_path / "out.gpkg"), "--kml", str(tmp_path / "out.kmz")]) == 0
    layers = {n for n, _ in pyogrio.list_layers(tmp_path / "out.gpkg")}
    assert {"routes", "route_stops", "hotspots"} <= layers and "incidents" not in layers
    out = pyogrio.read_dataframe(tmp_path / "out.gpkg", layer="hotspots")
    assert len(out) == len(hot) and list(out["rank"]) == list(hot["rank"])
    with zipfile.ZipFile(tmp_path / "out.kmz") as zf:
        kml = zf.read("doc.kml").decode("utf-8")
    assert "警情热点" in kml and "警情 incidents" not in kml
    # asked for by name: the incident records too
    assert cli.main(["export", str(proj), "--gpkg", str(tmp_path / "inc.gpkg"), "--layers", "incidents,hotspots"]) == 0
    assert {n for n, _ in pyogrio.list_layers(tmp_path / "inc.gpkg")} >= {"incidents", "hotspots"}
    assert cli.main(["export", str(proj), "--gpkg", str(tmp_path / "x.gpkg"), "--layers", "警情"]) == 2
    assert "incidents" in capsys.readouterr().err
