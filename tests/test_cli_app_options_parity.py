"""Options the command line had and the app did not: each is now a control of the matching dialog,
passed to the same core call, with the same result for the same value.

- 划分网格 → 更多选项: ``--special``, ``--special-radius``, ``--seed``;
- 巡逻路线: ``--depot``, ``--max-stops``, hot spots (``--hotspot-bandwidth``, ``--max-hotspots``,
  ``--category``, ``--no-hotspots``); every routing dialog: ``--speed``, ``--no-maxspeed``;
- 挂图 → 更多选项: ``--subtitle``, ``--date``, ``--coord-grid``; 五色图: ``--classes``, ``--breaks``;
  GIS 文件: ``--gis-crs``.

The app runs offscreen (pytest-qt); skipped without PyQt6 and pytest-qt.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402

from .patrol_data import patrol_town, write_layers  # noqa: E402
from .test_cli_app_parity import _same_plan  # noqa: E402

from gridtool.cli import main  # noqa: E402
from gridtool.layers import Layer  # noqa: E402
from gridtool.project import Project  # noqa: E402

FAST = ["--no-subgrids", "--corridor-width", "0", "--quiet"]


def _open(qtbot, w, path) -> None:
    w.open_project(str(path))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=30000)


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    """Three Liechtenstein villages with a school and a market drawn as areas around two of their houses."""
    d = tmp_path_factory.mktemp("options")
    p = cut_project("liechtenstein")
    hh = p.layers["households"].gdf
    pts = hh.geometry.iloc[[len(hh) // 3, 2 * len(hh) // 3]].centroid
    p.layers["places"] = Layer(role="places", gdf=gpd.GeoDataFrame(
        {"name": ["中心小学", "农贸市场"], "category": ["school", "market"]}, geometry=list(pts.buffer(40)), crs=hh.crs))
    raw = p.save(d / "raw.gpkg")
    return {"dir": d, "raw": raw}


def test_special_categories_radius_and_seed_give_the_plan_the_command_gives(qtbot, window, town):
    d = town["dir"]
    cli = d / "cli.gpkg"
    assert main(["partition", str(town["raw"]), "--out", str(cli), "--special", "market", "--special-radius", "45",
                 "--seed", "7", *FAST]) == 0
    from gridtool.ui.partition_dialog import PartitionDialog
    w = window
    _open(qtbot, w, town["raw"])
    dlg = PartitionDialog(w.session.partition_parameters(), w, categories=["market", "school"])
    assert dlg.special["school"].isChecked() and dlg.special["market"].isChecked()  # the command's default
    assert dlg.special["school"].text() != "school"  # named in Chinese
    dlg.subgrids.setChecked(False)
    dlg.corridor.setValue(0)
    for c, cb in dlg.special.items():
        cb.setChecked(c == "market")
    dlg.special_radius.setValue(45)
    dlg.seed.setValue(7)
    w.run_partition(dlg.params())
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=120000)
    app = d / "app.gpkg"
    w.save_sync(str(app))
    _same_plan(cli, app)
    s1, s2 = (gpd.read_file(f, layer="special_grids") for f in (cli, app))
    assert len(s1) == len(s2) == 1  # the market only, not the school
    assert abs(s1.geometry.area.sum() - s2.geometry.area.sum()) < 1e-3
    assert int(s1["hh"].sum()) == int(s2["hh"].sum()) > 0
    par = [Project.open(f).parameters["partition"]["parameters"] for f in (cli, app)]
    for k in ("special_categories", "special_radius", "seed"):
        assert par[0][k] == par[1][k], k
    assert par[1]["seed"] == 7 and par[1]["special_categories"] == ["market"]
    # the dialog opened again shows the choices of the last partition
    again = PartitionDialog(w.session.partition_parameters(), w, categories=["market", "school"])
    assert not again.special["school"].isChecked() and again.seed.value() == 7


@pytest.fixture(scope="module")
def police(tmp_path_factory):
    d = tmp_path_factory.mktemp("police")
    t = patrol_town()
    src = write_layers(d / "town.gpkg", t)
    out = d / "project.gpkg"
    assert main(["import", *sum(([f"--{k}", v] for k, v in src.items()), []), "--out", str(out), "--quiet"]) == 0
    return out


def _hotspot_table(g: gpd.GeoDataFrame) -> list:
    """The hot spots found (not which team reached them when: the solver's time limit decides that)."""
    cols = [c for c in g.columns if c not in ("geometry", "team", "arrive")]
    return sorted(tuple(str(v) for v in row) for row in g[cols].itertuples(index=False))


def test_depot_stop_limit_and_hot_spot_options_plan_as_the_command(qtbot, window, police, tmp_path, capsys,
                                                                   monkeypatch):
    out = tmp_path / "cli"
    capsys.readouterr()
    assert main(["patrol", str(police), "--teams", "2", "--shift", "600", "--start", "07:00", "--dwell", "6",
                 "--time-limit", "0.5", "--depot", "东街警务室", "--max-stops", "4", "--category", "盗窃",
                 "--hotspot-bandwidth", "120", "--max-hotspots", "3", "--no-save", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    cli_hot = gpd.read_file(out / "patrol.gpkg", layer="hotspots")
    cli_stops = gpd.read_file(out / "patrol.gpkg", layer="route_stops")

    from gridtool.ui.patrol_dialog import PatrolDialog
    w = window
    _open(qtbot, w, police)
    dlg = PatrolDialog(w)
    assert dlg.hot_box is not None and dlg.hot_box.isChecked()  # hot spots whenever there are incidents
    assert set(dlg.incident_cats) == {"盗窃", "纠纷", "诈骗", "其他"}
    assert [dlg.depot.itemData(i) for i in range(1, dlg.depot.count())] == ["城关派出所", "东街警务室"]
    dlg.depot.setCurrentIndex(dlg.depot.findData("东街警务室"))
    dlg.max_stops.setValue(4)
    for c, cb in dlg.incident_cats.items():
        cb.setChecked(c == "盗窃")
    dlg.bandwidth.setValue(120)
    dlg.max_hotspots.setValue(3)
    dlg.dwell.setValue(6)
    dlg.hotspot_dwell.setValue(6)  # --dwell sets both
    from PyQt6.QtCore import QTime
    dlg.start_time.setTime(QTime(7, 0))
    dlg.shift.setValue(600)
    dlg.time_limit.setValue(0.5)
    logged: list[str] = []
    monkeypatch.setattr(w, "log_message", lambda text, level="info": logged.append(text))
    dlg.start()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    p = w.session.project
    assert _hotspot_table(p.layers["hotspots"].gdf.to_crs(cli_hot.crs)) == _hotspot_table(cli_hot)
    app_stops = p.layers["route_stops"].gdf
    for stops in (cli_stops, app_stops):
        per_team = stops[stops["kind"].astype(str).isin(["place", "hotspot"])].groupby("team").size() \
            if "kind" in stops else stops.groupby("team").size()
        assert (per_team <= 4).all()
    # the same lines stated: the filter, the hot spots' count line, the share near the routes
    for key in ("按类别筛选 --category 盗窃", "类别 盗窃：警情", "热点"):
        line = next(ln for ln in printed.splitlines() if key in ln)
        assert line in logged, line
    # the share near the routes is stated too (its figures follow the routes, which a 0.5 s solve may vary)
    share_line = "路线 100 米内的警情（类别 盗窃）："
    assert share_line in printed and any(ln.startswith(share_line) for ln in logged)
    assert set(p.parameters["patrol_incident_share_100m"]) == {"with", "without"}
    assert p.parameters["hotspots"]["category"] == "盗窃"


def test_no_hotspots_box_unticked_plans_places_only(qtbot, window, police):
    from gridtool.ui.patrol_dialog import PatrolDialog
    w = window
    _open(qtbot, w, police)
    dlg = PatrolDialog(w)
    dlg.hot_box.setChecked(False)
    dlg.time_limit.setValue(0.5)
    dlg.start()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    assert "hotspots" not in w.session.project.layers


def test_unticking_every_incident_category_is_said_not_run(qtbot, window, police):
    from gridtool.ui.patrol_dialog import PatrolDialog
    w = window
    _open(qtbot, w, police)
    dlg = PatrolDialog(w)
    for cb in dlg.incident_cats.values():
        cb.setChecked(False)
    dlg._run()
    assert "没有选中警情类别" in dlg.error.text() and not w.jobs.busy


def test_speeds_by_class_build_the_graph_the_command_builds(qtbot, window, police):
    from gridtool.commands.args import routing_graph
    from gridtool.ui.patrol_dialog import PatrolDialog
    w = window
    _open(qtbot, w, police)
    dlg = PatrolDialog(w)
    dlg.mode.setCurrentIndex(dlg.mode.findData("car"))
    dlg.speeds.setText("residential=25，tertiary=40")
    dlg.maxspeed.setChecked(False)
    app = dlg._graph_builder(None)(lambda *a: None, lambda: False)
    args = type("A", (), dict(mode="car", speed=["residential=25", "tertiary=40"], no_maxspeed=True, quiet=True,
                              lang="zh", node_crossings="auto", snap=None))()
    cli = routing_graph(Project.open(police), args)
    plain = dlg.__class__(w)
    plain.mode.setCurrentIndex(plain.mode.findData("car"))
    default = plain._graph_builder(None)(lambda *a: None, lambda: False)
    assert np.allclose(app.time, cli.time)
    assert not np.allclose(app.time, default.time)  # the speeds were used
    assert dlg.speed_lines and "residential 25 公里/小时" in dlg.speed_lines[0][0]
    dlg.speeds.setText("residential=快")
    dlg._run()
    assert "无法识别的速度设置" in dlg.error.text() and not w.jobs.busy


@pytest.fixture(scope="module")
def rated(tmp_path_factory, town):
    """The town partitioned, every grid given a score (考核得分)."""
    d = tmp_path_factory.mktemp("rated")
    plan = d / "plan.gpkg"
    assert main(["partition", str(town["raw"]), "--out", str(plan), *FAST]) == 0
    p = Project.open(plan)
    g = p.layers["grids"].gdf
    p.layers["grids"].gdf = g.assign(考核得分=[55 + (i * 9) % 45 for i in range(len(g))])
    return p.save(d / "rated.gpkg", force=True)


def _svg(path: Path) -> str:
    """The drawing of an SVG file, without its metadata (the time it was written) and with its
    clip-path, hatch and marker ids (matplotlib's random ids) numbered in order."""
    text = re.sub(r"<metadata>.*?</metadata>", "", Path(path).read_text(encoding="utf-8"), flags=re.S)
    ids: dict[str, str] = {}
    return re.sub(r"\b[phm][0-9a-f]{10}\b", lambda m: ids.setdefault(m.group(0), f"clip{len(ids)}"), text)


def _dialog(qtbot, w, cls):
    dlg = cls(w)
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)  # the preview
    return dlg


def _write(dlg, out: Path) -> Path:
    return dlg.job()(dlg.snapshot(), str(out), progress=lambda *a: None, cancelled=lambda: False)


def test_subtitle_date_and_coordinate_grid_print_the_wall_map_the_command_prints(qtbot, window, rated, tmp_path):
    cli = tmp_path / "cli.svg"
    assert main(["export", str(rated), "--svg", str(cli), "--size", "A4", "--subtitle", "二〇二四年度",
                 "--date", "2024年5月", "--coord-grid", "lonlat", "--quiet"]) == 0
    from gridtool.ui.export_dialogs import WallMapDialog
    w = window
    _open(qtbot, w, rated)
    dlg = _dialog(qtbot, w, WallMapDialog)
    dlg.size.setCurrentText("A4")
    dlg.subtitle.setText("二〇二四年度")
    dlg.date.setText("2024年5月")
    dlg.coord_grid.setCurrentIndex(dlg.coord_grid.findData("lonlat"))
    app = _write(dlg, tmp_path / "app.svg")
    assert _svg(app) == _svg(cli)
    # and differs from the defaults: the options are used
    dlg.coord_grid.setCurrentIndex(dlg.coord_grid.findData("none"))
    assert _svg(_write(dlg, tmp_path / "none.svg")) != _svg(cli)
    dlg.reject()


def test_classes_and_breaks_colour_the_five_colour_map_as_the_command(qtbot, window, rated, tmp_path, capsys):
    classes = "优=#1a9850,良=#4a90d9,中=#fee08b,差=#f46d43,劣=#d73027"
    cli = tmp_path / "cli.svg"
    assert main(["export", str(rated), "--assessment", "考核得分", "--assessment-out", str(cli), "--size", "A4",
                 "--classes", classes, "--breaks", "60,70,80,90", "--date", "2024年5月", "--quiet"]) == 0
    from gridtool.ui.export_dialogs import AssessmentDialog
    w = window
    _open(qtbot, w, rated)
    dlg = _dialog(qtbot, w, AssessmentDialog)
    dlg.field.setCurrentIndex(dlg.field.findData("考核得分"))
    dlg.size.setCurrentText("A4")
    dlg.classes.setText(classes)
    dlg.breaks.setText("60，70，80，90")
    dlg.date.setText("2024年5月")
    assert _svg(_write(dlg, tmp_path / "app.svg")) == _svg(cli)
    # a slip is said in the dialog, as the command says it
    capsys.readouterr()
    for bad, words in (("90,80,70,60", "从小到大"), ("60,70,八十,90", "逗号分隔的数字")):
        assert main(["export", str(rated), "--assessment", "考核得分", "--breaks", bad,
                     "--assessment-out", str(tmp_path / "x.svg")]) == 2
        assert words in capsys.readouterr().err
        dlg.breaks.setText(bad)
        dlg._run()
        assert words in dlg.error.text() and not w.jobs.busy
    dlg.breaks.setText("")
    dlg.classes.setText("优=green")
    dlg._run()
    assert "颜色无法识别" in dlg.error.text() and not w.jobs.busy
    dlg.reject()


def test_gis_crs_writes_the_geopackage_the_command_writes(qtbot, window, rated, tmp_path):
    cli = tmp_path / "cli.gpkg"
    assert main(["export", str(rated), "--gpkg", str(cli), "--gis-crs", "EPSG:4326", "--layers", "grids",
                 "--quiet"]) == 0
    from gridtool.ui.export_dialogs import GisDialog
    w = window
    _open(qtbot, w, rated)
    dlg = _dialog(qtbot, w, GisDialog)
    for r, cb in dlg.roles.items():
        cb.setChecked(r == "grids")
    dlg.crs.setText("EPSG:4326")
    app = _write(dlg, tmp_path / "app.gpkg")
    a, b = (gpd.read_file(f, layer="grids") for f in (cli, app[0].path if isinstance(app, list) else app))
    assert a.crs.to_epsg() == b.crs.to_epsg() == 4326
    assert a.drop(columns="geometry").astype(str).equals(b.drop(columns="geometry").astype(str))
    assert all(x.equals_exact(y, 1e-9) for x, y in zip(a.geometry, b.geometry))
    dlg.crs.setText("EPSG:999999")
    dlg._run()
    assert dlg.error.text() and not w.jobs.busy
    dlg.reject()


def _record_writers(monkeypatch) -> list:
    """The atlas and route-card writers replaced by ones that note what they were given."""
    from gridtool.maps import atlas, cards
    calls: list[tuple[str, dict]] = []

    def recorder(name):
        def write(project, out, **kw):
            calls.append((name, {k: kw.get(k) for k in ("date", "title", "township", "unit", "grids")}))
            Path(out).write_bytes(b"%PDF-1.4\n")
            return Path(out)
        return write
    monkeypatch.setattr(atlas, "write_atlas", recorder("atlas"))
    monkeypatch.setattr(cards, "write_route_cards", recorder("cards"))
    return calls


def _same_date_as_the_command(qtbot, w, cls, name, calls, cli, tmp_path) -> None:
    calls.clear()
    dlg = _dialog(qtbot, w, cls)
    dlg.date.setText("2024年5月")
    _write(dlg, tmp_path / f"app-{name}.pdf")
    dlg.date.setText("")  # left empty: the writer's default (today), as without --date
    _write(dlg, tmp_path / f"default-{name}.pdf")
    assert calls == [(name, cli), (name, {**cli, "date": None})]
    dlg.reject()


def test_the_atlas_dialog_prints_the_date_the_command_prints(qtbot, window, rated, tmp_path, monkeypatch):
    """``export --atlas --date``: the app's 图册 dialog (更多选项 → 制图日期) gives the same date to
    the same writer."""
    from gridtool.ui.export_dialogs import AtlasDialog
    calls = _record_writers(monkeypatch)
    assert main(["export", str(rated), "--atlas", str(tmp_path / "a.pdf"), "--date", "2024年5月", "--quiet"]) == 0
    (name, cli), = calls
    assert name == "atlas" and cli["date"] == "2024年5月"
    _open(qtbot, window, rated)
    _same_date_as_the_command(qtbot, window, AtlasDialog, "atlas", calls, cli, tmp_path)


def test_the_atlas_dialog_prints_one_villages_grids_as_atlas_grids(qtbot, window, rated, tmp_path, monkeypatch):
    """``export --atlas --atlas-grids A,B``: the app's 图册 dialog (更多选项 → 图册范围: a village,
    or the codes typed) gives the same grids to the same writer; left at 全部网格, none (every grid)."""
    from gridtool.project import Project
    from gridtool.ui.export_dialogs import AtlasDialog
    g = Project.open(rated).layers["grids"].gdf
    village = str(g["village"].iloc[0])
    codes = g.loc[g["village"].astype(str) == village, "code"].astype(str).tolist()
    calls = _record_writers(monkeypatch)
    assert main(["export", str(rated), "--atlas", str(tmp_path / "a.pdf"), "--atlas-grids", ",".join(codes),
                 "--quiet"]) == 0
    (_, cli), = calls
    assert cli["grids"] == codes
    _open(qtbot, window, rated)
    calls.clear()
    dlg = _dialog(qtbot, window, AtlasDialog)
    assert dlg.scope.currentData() is None and dlg.grid_codes() is None
    dlg.scope.setCurrentIndex(next(i for i in range(dlg.scope.count()) if dlg.scope.itemText(i).startswith(village)))
    assert dlg.codes.text() == ",".join(codes)
    _write(dlg, tmp_path / "app-village.pdf")
    dlg.codes.setText("、".join(codes[:1]))  # typed as a clerk would
    _write(dlg, tmp_path / "app-one.pdf")
    assert [c["grids"] for _, c in calls] == [codes, codes[:1]]
    dlg.codes.setText(f"{codes[0]},NOPE1")  # a typo: said in the dialog, which stays open with the codes
    dlg.path.setText(str(tmp_path / "app-typo.pdf"))
    dlg.buttons.accepted.emit()
    assert "未知的网格编号：NOPE1" in dlg.error.text() and dlg.codes.text() == f"{codes[0]},NOPE1"
    assert len(calls) == 2 and not (tmp_path / "app-typo.pdf").exists()
    dlg.reject()


def test_the_route_card_dialog_prints_the_date_the_command_prints(qtbot, window, police, tmp_path, monkeypatch):
    """``export --route-cards --date``: the app's 路线卡 dialog gives the same date to the same writer."""
    import shutil

    from gridtool.ui.export_dialogs import CardsDialog
    routed = Path(shutil.copy(police, tmp_path / "routed.gpkg"))
    assert main(["patrol", str(routed), "--teams", "2", "--time-limit", "0.5", "--out", str(tmp_path / "patrol"),
                 "--quiet"]) == 0
    calls = _record_writers(monkeypatch)
    assert main(["export", str(routed), "--route-cards", str(tmp_path / "c.pdf"), "--date", "2024年5月",
                 "--quiet"]) == 0
    (name, cli), = calls
    assert name == "cards" and cli["date"] == "2024年5月"
    _open(qtbot, window, routed)
    _same_date_as_the_command(qtbot, window, CardsDialog, "cards", calls, cli, tmp_path)
