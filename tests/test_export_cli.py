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


def test_english_summary_names_layers_as_the_app_does(project_file, tmp_path, capsys):
    """The English summary line of a GIS file says "special grids 1, sub-grids 8", as the app's
    layer list names them, not the layer keys ``special_grids``, ``subgrids``."""
    out = tmp_path / "en"
    assert main(["--lang", "en", "export", str(project_file), "--quiet", "--gpkg", str(out / "g.gpkg"),
                 "--geojson", str(out / "gj")]) == 0
    text = capsys.readouterr().out
    line = next(t for t in text.splitlines() if "g.gpkg" in t and "GeoPackage: " in t)
    assert "sub-grids 8" in line and "patrol routes" in line
    assert "special grids" in line and "key places" in line
    items = [i.rsplit(" ", 1)[0] for i in line.split("GeoPackage: ")[1].split(", ")]
    assert "service circles" in items and "_" not in "".join(items)
    assert not {"subgrids", "special_grids", "routes", "circles", "places"} & set(items)
    assert "GeoJSON: key places 4" in text and "GeoJSON: special grids" in text  # one line a file, named alike
    # the Chinese summary keeps its names
    assert main(["--lang", "zh", "export", str(project_file), "--quiet", "--force", "--gpkg", str(out / "g.gpkg")]) == 0
    zh = capsys.readouterr().out
    assert "子网格 8" in zh and "专属网格" in zh


def test_layer_words_follow_the_app_layer_names():
    """Every English layer name the summaries use is the app's name of that layer (strings role.*)."""
    from gridtool.maps.style import LAYER_EN
    from gridtool.ui.strings import STRINGS
    for key, en in LAYER_EN.items():
        if f"role.{key}" in STRINGS:
            assert STRINGS[f"role.{key}"][1].lower() == en, key
    from gridtool.commands.export import layer_words
    assert layer_words("places_point", "en") == "key places (points)"  # a shapefile per geometry type
    assert layer_words("places_point", "zh") == "重点场所（点）"
