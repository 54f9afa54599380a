"""Bad options reach the user as a GridtoolError: exit 2, the message in Chinese and English with a
fix, never a traceback or "internal error" (issue 18)."""

from __future__ import annotations

import re

import geopandas as gpd
import pytest
from shapely.geometry import Point

from gridtool.cli import main
from gridtool.errors import (ClockTimeError, GridtoolError, HouseholdBoundsError, OptionError, UnknownRoleError,
                             check_at_least, check_positive)

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def sources(tmp_path, township) -> list[str]:
    """The test township (villages, households, roads) with two stations and two places on its roads."""
    path = tmp_path / "township.gpkg"
    for role, gdf in township.items():
        gdf.to_file(path, layer=role, driver="GPKG")
    x0, y0 = 480_000.0, 3_265_000.0
    crs = township["villages"].crs
    gpd.GeoDataFrame({"name": ["城关派出所", "东村警务室"]},
                     geometry=[Point(x0 + 1000, y0 + 200), Point(x0 + 300, y0 + 500)], crs=crs
                     ).to_file(path, layer="stations", driver="GPKG")
    gpd.GeoDataFrame({"name": ["实验小学", "农贸市场"], "category": ["school", "market"]},
                     geometry=[Point(x0 + 1500, y0 + 500), Point(x0 + 1000, y0 + 900)], crs=crs
                     ).to_file(path, layer="places", driver="GPKG")
    return [f"--{role}={path}:{role}" for role in ("villages", "households", "roads", "stations", "places")]


CASES = [
    # (command line after the sources, words the message must hold in each language)
    (["partition", "{src}", "--min", "0", "--out", "{tmp}/p.gpkg"], ("--min", "至少为 1"), ("at least 1",)),
    (["partition", "{src}", "--sub-min", "50", "--sub-max", "10", "--out", "{tmp}/p.gpkg"],
     ("--sub-min 50 大于 --sub-max 10",), ("exceeds",)),
    (["patrol", "{src}", "--teams", "0", "--out", "{tmp}/o"], ("队伍数", "--teams"), ("teams", "at least 1")),
    (["patrol", "{src}", "--start", "25:99", "--out", "{tmp}/o"], ("时:分",), ("HH:MM",)),
    (["patrol", "{src}", "--time-limit", "0", "--out", "{tmp}/o"], ("--time-limit",), ("above 0",)),
    (["coverage", "{src}", "--minutes", "0", "--out", "{tmp}/o"], ("分钟数",), ("minutes",)),
    (["walk", "{proj}", "--grid", "G1", "--walkers", "0", "--out", "{tmp}/o"], ("--walkers",), ("at least 1",)),
    (["import", "{src}", "--field", "nosuch.hh=户数", "--out", "{tmp}/i.gpkg"], ("nosuch", "图层角色"),
     ("unknown role",)),
    (["import", "{src}", "--crs-in", "housholds=gcj02", "--out", "{tmp}/i.gpkg"], ("housholds",), ("unknown role",)),
    (["gui", "--screenshot", "{tmp}/s.png", "--size", "big"], ("宽x高",), ("WxH",)),
]


@pytest.mark.parametrize("argv, zh, en", CASES, ids=[" ".join(c[0][:1] + c[0][2:4]) for c in CASES])
def test_bad_options_exit_2_in_both_languages(sources, tmp_path, capsys, argv, zh, en):
    args = []
    for a in argv:
        if a == "{src}":
            args += sources
        elif a == "{proj}":
            args.append(str(tmp_path / "missing-is-fine-the-option-is-checked-first.gpkg"))
        else:
            args.append(a.replace("{tmp}", str(tmp_path)))
    code = main(["--lang", "both", *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "内部错误" not in err and "internal error" not in err
    for word in zh + en:
        assert word in err, (word, err)
    lines = err.strip().splitlines()
    assert any(HAN.search(line) for line in lines) and any(line.startswith("Fix:") for line in lines)
    assert any(line.startswith("解决办法：") for line in lines)


def test_export_options_exit_2(tmp_path, capsys):
    from .maps_data import make_project
    path = make_project().save(tmp_path / "p.gpkg")
    for args, words in ((["--assessment", "hh", "--classes", "好=#zzz", "--assessment-out", str(tmp_path / "a.pdf")],
                         ("颜色无法识别", "bad colour")),
                        (["--gis-crs", "EPSG:999999", "--gpkg", str(tmp_path / "g.gpkg")],
                         ("无法识别坐标系", "unknown coordinate system"))):
        code = main(["--lang", "both", "export", str(path), "--quiet", *args])
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err and "internal error" not in err, err
        assert all(w in err for w in words), err
    assert not (tmp_path / "g.gpkg").exists()


def test_gis_crs_takes_the_names_users_write(tmp_path, capsys):
    """``--gis-crs gcj02`` (AMap/Tencent coordinates) is read like ``--crs-in``, not handed to PROJ raw."""
    import pyogrio

    from .maps_data import make_project
    project = make_project()
    path = project.save(tmp_path / "p.gpkg")
    out = tmp_path / "g.gpkg"
    assert main(["export", str(path), "--quiet", "--layers", "grids", "--gis-crs", "gcj02", "--gpkg", str(out)]) == 0
    grids = pyogrio.read_dataframe(out, layer="grids")
    plain = project.layers["grids"].gdf.to_crs(4326)
    assert grids.crs.to_epsg() == 4326
    # GCJ-02 is WGS84 shifted by a few hundred metres in China: shifted, not the plain WGS84 coordinates.
    shift = abs(grids.total_bounds[0] - plain.total_bounds[0])
    assert 1e-4 < shift < 0.02


def test_option_errors_are_value_errors_with_both_languages():
    """Callers that caught ValueError before still do; each message names the option and a fix."""
    for cls in (OptionError, UnknownRoleError, HouseholdBoundsError, ClockTimeError):
        assert issubclass(cls, GridtoolError) and issubclass(cls, ValueError)
    with pytest.raises(OptionError) as e:
        check_at_least(0, 1, name="teams", zh="队伍数", flag="--teams", example=2)
    assert e.value.format("zh") == "队伍数（--teams）至少为 1，现为 0（字段：teams）\n解决办法：例如 --teams 2。"
    assert e.value.format("en") == "teams (--teams) must be at least 1, got 0 (field=teams)\nFix: e.g. --teams 2."
    for bad in (0, -1, float("nan"), None, "x"):
        with pytest.raises(ValueError):
            check_positive(bad, name="minutes", zh="分钟数")
    check_positive(0.5, name="minutes", zh="分钟数")
    check_at_least(1, 1, name="teams", zh="队伍数")

    from gridtool.routing.patrol import parse_clock
    from gridtool.routing.tours import plan_tours
    with pytest.raises(ClockTimeError):
        parse_clock("7点半")
    with pytest.raises(OptionError, match="time_limit"):
        plan_tours([[0, 1], [1, 0]], time_limit=0)
