"""``gridtool export PROJECT``: every web and GIS output in one call, messages and exit codes."""

from __future__ import annotations

import pyogrio
import pytest

from gridtool.cli import main

from .maps_data import make_project


@pytest.fixture(scope="module")
def project_file(tmp_path_factory):
    return make_project().save(tmp_path_factory.mktemp("proj") / "测试镇.gpkg")


def test_export_everything(project_file, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["export", str(project_file), "--quiet", "--html", str(out / "map.html"), "--gpkg", str(out / "g.gpkg"),
               "--shp", str(out / "shp"), "--encoding", "gbk", "--geojson", str(out / "gj"),
               "--kml", str(out / "g.kml"), "--kmz", str(out / "g.kmz"), "--gpx", str(out / "r.gpx")])
    text = capsys.readouterr().out
    assert rc == 0
    for name in ("map.html", "g.gpkg", "shp/grids.shp", "gj/grids.geojson", "g.kml", "g.kmz", "r.gpx"):
        assert (out / name).exists(), name
        assert str(out / name) in text or name.startswith(("shp/", "gj/"))
    assert "KB)" in text and "已脱敏" in text
    assert (out / "shp" / "grids.cpg").read_text().strip() == "GBK"
    assert pyogrio.read_info(out / "g.gpkg", layer="subgrids")["features"] == 8
    assert "张*丰" in (out / "map.html").read_text(encoding="utf-8")


def test_export_with_personal_data_and_layers(project_file, tmp_path, capsys):
    out = tmp_path / "p"
    rc = main(["--lang", "en", "export", str(project_file), "--quiet", "--include-personal",
               "--html", str(out / "m.html"), "--gpkg", str(out / "g.gpkg"), "--layers", "grids,routes"])
    assert rc == 0
    assert "张三丰" in (out / "m.html").read_text(encoding="utf-8")
    assert [n for n, _ in pyogrio.list_layers(out / "g.gpkg")] == ["grids", "routes", "layer_styles"]  # + QGIS styles
    assert "worker_phone" in pyogrio.read_dataframe(out / "g.gpkg", layer="grids")
    assert "exported 2 files" in capsys.readouterr().out


@pytest.mark.parametrize("args, words", [
    ([], ("nothing to export",)),
    (["--html", "{project}"], ("never overwrites",)),
    (["--gpkg", "{project}"], ("never overwrites",)),
    (["--gpkg", "{tmp}/x.gpkg", "--layers", "grids,nonsense"], ("nonsense",)),
    (["--html", "{tmp}/x.html", "--tiles", "https://example.org/a.png"], ("{z}",)),
])
def test_export_errors(project_file, tmp_path, capsys, args, words):
    before = project_file.read_bytes()
    argv = [a.replace("{project}", str(project_file)).replace("{tmp}", str(tmp_path)) for a in args]
    rc = main(["--lang", "both", "export", str(project_file), "--quiet", *argv])
    err = capsys.readouterr().err
    assert rc == 2
    for w in words:
        assert w in err
    assert "解决办法" in err and "Fix:" in err  # bilingual, with the fix
    assert project_file.read_bytes() == before


def test_export_unwritable_output(project_file, tmp_path, capsys):
    (tmp_path / "a-folder.html").mkdir()
    assert main(["--lang", "en", "export", str(project_file), "--quiet", "--html", str(tmp_path / "a-folder.html")]) == 2
    assert "could not write" in capsys.readouterr().err


def test_export_missing_project(tmp_path, capsys):
    assert main(["--lang", "both", "export", str(tmp_path / "nope.gpkg"), "--html", str(tmp_path / "m.html")]) == 2
    assert "not found" in capsys.readouterr().err


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = capsys.readouterr().out
    for opt in ("--html", "--tiles", "--tiles-attr", "--gpkg", "--shp", "--geojson", "--kml", "--kmz", "--gpx",
                "--encoding", "--include-personal"):
        assert opt in text
    for opt in ("--pdf", "--png", "--svg", "--size", "--atlas", "--route-cards"):
        assert opt in text
