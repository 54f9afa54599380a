"""The app's patrol dialog lets the officer tick which kinds of key places the teams visit; the
command line does the same with ``gridtool patrol --place-category`` (both through
``routing.project_layers.places_to_visit``): the same places visited, the others left out.

The app runs offscreen (pytest-qt); skipped without PyQt6 and pytest-qt."""

from __future__ import annotations

import os

import geopandas as gpd
import pytest
from shapely.geometry import Point

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

from gridtool.cli import main  # noqa: E402

from .patrol_data import patrol_town, write_layers  # noqa: E402
from .test_routing_graph import GK108, X0, Y0  # noqa: E402

SCHOOLS = {"实验小学", "城关中学"}
OTHERS = {"农贸市场", "中心医院"}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    d = tmp_path_factory.mktemp("patrol-places")
    t = patrol_town()
    places = gpd.GeoDataFrame(
        {"name": ["实验小学", "农贸市场", "城关中学", "中心医院"],
         "category": ["school", "market", "school", "hospital"]},
        geometry=[Point(X0 + 710, Y0 + 105), Point(X0 + 95, Y0 + 190), Point(X0 + 400, Y0 + 505),
                  Point(X0 + 705, Y0 + 400)], crs=GK108)
    src = write_layers(d / "town.gpkg", {"roads": t["roads"], "places": places, "stations": t["stations"]})
    out = d / "project.gpkg"
    assert main(["import", *sum(([f"--{k}", v] for k, v in src.items()), []), "--out", str(out), "--quiet"]) == 0
    return out


def _visited(stops: gpd.GeoDataFrame) -> set[str]:
    col = "place" if "place" in stops else "name"
    return {str(v) for v in stops[col]} & (SCHOOLS | OTHERS)


def test_place_category_visits_what_the_app_visits_with_those_boxes_ticked(qtbot, window, project, tmp_path):
    out = tmp_path / "cli"
    assert main(["patrol", str(project), "--place-category", "school", "--teams", "2", "--shift", "600",
                 "--start", "07:00", "--dwell", "5", "--time-limit", "0.5", "--no-hotspots", "--no-save",
                 "--out", str(out), "--quiet"]) == 0
    cli = _visited(gpd.read_file(out / "patrol.gpkg", layer="route_stops"))
    assert cli == SCHOOLS
    # the same by the Chinese name of the category
    out2 = tmp_path / "cli-zh"
    assert main(["patrol", str(project), "--place-category", "学校", "--teams", "2", "--shift", "600",
                 "--start", "07:00", "--time-limit", "0.5", "--no-save", "--out", str(out2), "--quiet"]) == 0
    assert _visited(gpd.read_file(out2 / "patrol.gpkg", layer="route_stops")) == SCHOOLS

    from gridtool.ui.patrol_dialog import PatrolDialog
    w = window
    w.open_project(str(project))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=30000)
    dlg = PatrolDialog(w)
    for c, cb in dlg.cats.items():
        cb.setChecked(c == "school")
    from PyQt6.QtCore import QTime
    dlg.start_time.setTime(QTime(7, 0))
    dlg.shift.setValue(600)
    dlg.time_limit.setValue(0.5)
    dlg.start()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    app = _visited(w.session.project.layers["route_stops"].gdf)
    assert app == cli


def test_place_category_that_matches_nothing_lists_the_categories(project, tmp_path, capsys):
    assert main(["patrol", str(project), "--place-category", "bank", "--no-save", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--place-category" in err and "school 2" in err and "market 1" in err


def test_place_category_without_a_places_layer_is_refused_not_ignored(tmp_path):
    """Asked for schools in a project that has no register of places (hot spots only), the patrol
    went ahead without a word, visiting no school: refused, naming the layer and the fix."""
    from gridtool.errors import GridtoolError
    from gridtool.project import Project
    from gridtool.routing.project_layers import places_to_visit
    bare = Project(name="无场所")
    assert places_to_visit(bare) is None  # nothing asked for: hot spots alone, as before
    with pytest.raises(GridtoolError) as err:
        places_to_visit(bare, "school")
    assert err.value.layer == "places" and "--place-category" in err.value.fix_zh and "school" in err.value.zh
