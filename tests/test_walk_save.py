"""``gridtool walk PROJECT`` stores the walk in the project as the app's 网格街巷巡查路线 does
(layers ``walk`` and ``walk_steps``, ``parameters["walk"]``), so that ``gridtool export PROJECT
--walks DIR`` prints it later; ``--no-save`` leaves the project file as it was, a run with a layer
given beside the project does not store its walk (as ``patrol``), a second walk replaces the first,
and a project rewritten by another program meanwhile is not overwritten."""

from __future__ import annotations

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import box

from gridtool import cli
from gridtool.layers import Layer
from gridtool.project import Project

from .patrol_data import patrol_town
from .test_routing_graph import GK108, X0, Y0

CODES = ["500101001001-01", "500101001001-02"]


@pytest.fixture
def project(tmp_path):
    """The walk test town (as tests/test_ui_walk.py): a street grid, two base grids, a station in the first."""
    t = patrol_town()
    proj = Project(name="walktown")
    proj.add_layer(Layer("roads", t["roads"].assign(src_id=[f"FID {i}" for i in range(len(t["roads"]))])))
    grids = gpd.GeoDataFrame({"code": CODES, "hh": [400, 380]},
                             geometry=[box(X0 - 1, Y0 - 1, X0 + 301, Y0 + 201),
                                       box(X0 + 399, Y0 + 399, X0 + 801, Y0 + 801)], crs=GK108)
    proj.add_layer(Layer("grids", grids))
    proj.add_layer(Layer("stations", t["stations"]))
    return proj.save(tmp_path / "walk.gpkg")


def _run(capsys, *argv, lang="zh") -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(["--lang", lang, *argv])
    r = capsys.readouterr()
    return code, r.out, r.err


def test_walk_is_stored_and_export_walks_writes_the_same_files(project, tmp_path, capsys):
    code, out, _ = _run(capsys, "walk", str(project), "--grid", ",".join(CODES), "--walkers", "2",
                        "--start", "7:30", "--out", str(tmp_path / "walk"), lang="both")
    assert code == 0
    assert f"街巷巡查路线已存入项目 {project}" in out and f"gridtool export {project} --walks" in out
    assert f"walk stored in the project {project}" in out
    p = Project.open(project)
    assert {"walk", "walk_steps"} <= set(p.layers)
    assert sorted(set(p.layers["walk"].gdf["grid"])) == CODES and sorted(set(p.layers["walk"].gdf["walker"])) == [1, 2]
    # the app's record: its start as the time box keeps it (HH:MM), which export --walks prints the cards from
    assert p.parameters["walk"] == {"grids": CODES, "walkers": 2, "start": "07:30", "mode": "walk"}

    # the CSV headers follow --lang as the walk's did
    code, out, _ = _run(capsys, "export", str(project), "--walks", str(tmp_path / "later"), lang="both")
    assert code == 0 and "已导出 10 个文件" in out
    for c in CODES:
        stem = f"walk-{c}"
        for sfx in ("-streets.csv", ".kml", ".gpx"):
            assert (tmp_path / "later" / f"{stem}{sfx}").read_bytes() == (tmp_path / "walk" / f"{stem}{sfx}").read_bytes(), sfx
        for layer in ("walk", "walk_steps"):
            a = pyogrio.read_dataframe(tmp_path / "later" / f"{stem}.gpkg", layer=layer)
            b = pyogrio.read_dataframe(tmp_path / "walk" / f"{stem}.gpkg", layer=layer)
            assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
        from pypdf import PdfReader
        text = ["\n".join(pg.extract_text() for pg in PdfReader(d / f"{stem}-card.pdf").pages)
                for d in (tmp_path / "later", tmp_path / "walk")]
        assert text[0] == text[1] and "07:30" in text[0]


def test_no_save_leaves_the_project_file_byte_identical(project, tmp_path, capsys):
    before = project.read_bytes()
    code, out, _ = _run(capsys, "walk", str(project), "--grid", CODES[0], "--no-save", "--out", str(tmp_path / "w"))
    assert code == 0 and (tmp_path / "w" / f"walk-{CODES[0]}-card.pdf").exists()
    assert project.read_bytes() == before and "存入项目" not in out
    # and export --walks still says there is no walk in it, and how to make one
    code, _, err = _run(capsys, "export", str(project), "--walks", str(tmp_path / "e"))
    assert code == 2 and "项目中没有街巷巡查路线" in err and "gridtool walk" in err


def test_a_second_walk_replaces_the_first_as_in_the_app(project, tmp_path, capsys):
    assert _run(capsys, "walk", str(project), "--grid", ",".join(CODES), "--out", str(tmp_path / "a"))[0] == 0
    assert _run(capsys, "walk", str(project), "--grid", CODES[1], "--walkers", "2", "--mode", "bicycle",
                "--out", str(tmp_path / "b"))[0] == 0
    p = Project.open(project)
    assert set(p.layers["walk"].gdf["grid"]) == {CODES[1]} and set(p.layers["walk_steps"].gdf["grid"]) == {CODES[1]}
    assert p.parameters["walk"] == {"grids": [CODES[1]], "walkers": 2, "start": "08:00", "mode": "bicycle"}
    code, out, _ = _run(capsys, "export", str(project), "--walks", str(tmp_path / "e"))
    assert code == 0 and "已导出 5 个文件" in out and not (tmp_path / "e" / f"walk-{CODES[0]}.gpx").exists()
    from pypdf import PdfReader
    card = "\n".join(pg.extract_text() for pg in PdfReader(tmp_path / "e" / f"walk-{CODES[1]}-card.pdf").pages)
    assert "骑行" in card  # the stored mode prints on the card


def test_a_walk_on_roads_given_for_this_run_is_not_stored(project, tmp_path, capsys):
    roads = tmp_path / "修正道路.gpkg"
    pyogrio.write_dataframe(Project.open(project).layers["roads"].gdf, roads, layer="roads")
    before = project.read_bytes()
    code, out, _ = _run(capsys, "walk", str(project), "--grid", CODES[0], "--roads", str(roads),
                        "--out", str(tmp_path / "w"), lang="both")
    assert code == 0 and project.read_bytes() == before
    assert f"街巷巡查路线未存入项目 {project}（本次使用了项目外的图层）" in out
    assert "this run used layers from outside it" in out and (tmp_path / "w" / f"walk-{CODES[0]}.gpx").exists()


def test_a_project_rewritten_meanwhile_is_not_overwritten(project, tmp_path, capsys, monkeypatch):
    from gridtool.routing import walks
    plan = walks.plan_grid_walks

    def planned_while_another_program_saves(*a, **k):
        other = Project.open(project)
        other.name = "改过的项目"
        other.save(project)
        return plan(*a, **k)

    monkeypatch.setattr(walks, "plan_grid_walks", planned_while_another_program_saves)
    code, _, err = _run(capsys, "walk", str(project), "--grid", CODES[0], "--out", str(tmp_path / "w"), lang="both")
    assert code == 2 and "其他程序改写" in err and "rewritten by another program" in err and "Traceback" not in err
    assert f"路线文件已写入 {tmp_path / 'w'}" in err and f"gridtool walk {project}" in err
    p = Project.open(project)
    assert p.name == "改过的项目" and "walk" not in p.layers  # the other program's save is kept whole


def test_more_walkers_than_the_streets_need_is_said(project, tmp_path, capsys):
    """A small grid given more walkers than its streets can be shared between: the summary no
    longer says they all walk; it says how many have a walk and how many none."""
    code, out, _ = _run(capsys, "walk", str(project), "--grid", CODES[0], "--walkers", "20", "--no-save",
                        "--out", str(tmp_path / "w"), lang="both")
    assert code == 0
    walked = pyogrio.read_dataframe(tmp_path / "w" / f"walk-{CODES[0]}.gpkg", layer="walk")
    n = int(walked["walker"].nunique())
    assert 0 < n < 20, n
    assert f"20 人中只需 {n} 人巡查，其余 {20 - n} 人没有路线" in out
    assert f"{n} of the 20 walkers" in out


def test_an_unreadable_start_kept_in_the_project_is_named_as_the_projects(project, tmp_path, capsys):
    """A start time kept in the project that no clock reads (written by another program) was
    reported as a bad --walk-start, an option the user never gave: now named as the project's, with
    --walk-start as the fix; given, it prints the cards."""
    assert _run(capsys, "walk", str(project), "--grid", CODES[0], "--out", str(tmp_path / "w"))[0] == 0
    p = Project.open(project)
    p.parameters["walk"]["start"] = "早上"
    p.save(project)
    code, out, err = _run(capsys, "export", str(project), "--walks", str(tmp_path / "later"))
    assert code == 2
    text = out + err
    assert "项目中记录的街巷巡查开始时间无法识别：早上" in text and "--walk-start 08:00" in text
    assert "--walk-start 应为" not in text
    assert _run(capsys, "export", str(project), "--walks", str(tmp_path / "later"), "--walk-start", "07:30")[0] == 0
