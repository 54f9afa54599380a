"""快速封控: with nothing limiting a station's posts, every exit's post comes from the station that
gets there first; the headline is the time by which all exits are sealed, with the mean arrival,
and each station's exits in order of arrival. The console, seal.csv and seal.gpkg say the same
times. ``--posts-per-station fewest`` keeps the even spread (the old default)."""

from __future__ import annotations

import csv
import itertools
import re

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from shapely.geometry import Point

from gridtool import cli
from gridtool.routing import bottleneck_assignment, build_graph, snap
from gridtool.routing.demand import times_within

from .test_routing_graph import GK108, X0, Y0, town

# exits round the north-east corner of the 500 m street grid; 东北所 is 100–200 m from them,
# 西南所 700–900 m
EXITS = [(500, 500), (500, 400), (400, 500), (500, 300), (300, 500)]
EXIT_NAMES = ["东北口", "东口", "北口", "东口 2", "北口 2"]


def _gdf(rows, **cols):
    return gpd.GeoDataFrame(cols, geometry=[Point(X0 + x, Y0 + y) for x, y in rows], crs=GK108)


def _files(tmp_path, **station_cols):
    gpkg = tmp_path / "town.gpkg"
    town(n=6)["roads"].drop(columns="src_id").to_file(gpkg, layer="roads", driver="GPKG")
    _gdf([(400, 400), (0, 100)], name=["东北所", "西南所"], **station_cols).to_file(
        gpkg, layer="stations", driver="GPKG")
    _gdf(EXITS, name=EXIT_NAMES).to_file(gpkg, layer="exits", driver="GPKG")
    return gpkg, ["seal", f"--roads={gpkg}:roads", f"--stations={gpkg}:stations", "--exits", f"{gpkg}:exits",
                  "--mode", "walk"]


def _times(gpkg):
    """Stations × exits walking seconds, as the plan sees them."""
    g = build_graph(town(n=6)["roads"], mode="walk")
    st = pyogrio.read_dataframe(gpkg, layer="stations")
    ex = pyogrio.read_dataframe(gpkg, layer="exits")
    return times_within(g, snap(g, st.geometry), snap(g, ex.geometry))


def _outputs(out_dir):
    with open(out_dir / "seal.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    paths = pyogrio.read_dataframe(out_dir / "seal.gpkg", layer="seal_paths")
    exits = pyogrio.read_dataframe(out_dir / "seal.gpkg", layer="exits")
    return rows, paths, exits


def _station_blocks(out: str) -> dict[str, list[tuple[str, str]]]:
    """The console's station → [(exit, minutes as printed)] in the order printed."""
    blocks, current = {}, None
    for line in out.splitlines():
        m = re.match(r"  (\S+) (?:可派 \d+ 个、)?(?:派出 \d+ 个：|未派出)$", line)
        if m:
            current = blocks.setdefault(m.group(1), [])
            continue
        m = re.match(r"    (.+)：([\d.]+) 分钟，[\d.]+ 公里$", line)
        if m and current is not None:
            current.append((m.group(1), m.group(2)))
    return blocks


def test_every_exit_from_the_station_that_gets_there_first_and_all_outputs_agree(tmp_path, capsys):
    gpkg, seal = _files(tmp_path)
    assert cli.main([*seal, "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    rows, paths, exits = _outputs(tmp_path / "a")
    c = _times(gpkg)
    # the nearby station seals every exit, each at its fastest time (was 3 + 2, spread evenly)
    assert {r["站点"] for r in rows} == {"东北所"} and len(rows) == 5
    fastest = dict(zip(EXIT_NAMES, c.min(axis=0) / 60))
    assert {r.exit: r.minutes for r in paths.itertuples()} == pytest.approx(fastest)
    # the headline: when all exits are sealed (the slowest), the mean arrival and the total
    longest, mean = max(fastest.values()), sum(fastest.values()) / 5
    assert (f"封控 5 个卡口（每个 1 个警力点，步行）：全部封控 {longest:.1f} 分钟" in out
            and f"平均到达 {mean:.1f} 分钟，合计 {sum(fastest.values()):.1f} 分钟" in out)
    assert "每个卡口由最先到达的站点派出" in out
    # each station's exits in order of arrival, with the times the files hold
    blocks = _station_blocks(out)
    assert blocks["西南所"] == [] and "  西南所 未派出" in out
    assert [e for e, _ in blocks["东北所"]] == sorted(EXIT_NAMES, key=lambda e: (fastest[e], EXIT_NAMES.index(e)))
    assert {e: m for e, m in blocks["东北所"]} == {e: f"{t:.1f}" for e, t in fastest.items()}
    assert {r["卡口"]: float(r["分钟"]) for r in rows} == {e: round(t, 2) for e, t in fastest.items()}
    assert dict(zip(exits["name"], exits["minutes"])) == pytest.approx(fastest)
    assert dict(zip(exits["name"], exits["stations"])) == dict.fromkeys(EXIT_NAMES, "东北所")


def test_a_station_out_of_officers_hands_the_rest_to_the_next_fastest(tmp_path, capsys):
    gpkg, seal = _files(tmp_path, 警力=[2, 5])
    assert cli.main([*seal, "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    rows, paths, _ = _outputs(tmp_path / "a")
    c = _times(gpkg)
    assert "东北所 可派 2 个、派出 2 个：" in out and "西南所 可派 5 个、派出 3 个：" in out
    assert "最快的站点警力用完时由次快的站点派出" in out
    # the best plan within the two posts: no plan seals all exits sooner, nor with less travel
    best = min((max(c[s, j] for j, s in enumerate(pick)), sum(c[s, j] for j, s in enumerate(pick)))
               for pick in itertools.product(range(2), repeat=5) if pick.count(0) <= 2)
    assert (paths.minutes.max() * 60, paths.minutes.sum() * 60) == pytest.approx(best)
    assert f"全部封控 {paths.minutes.max():.1f} 分钟" in out
    assert sum(r["站点"] == "东北所" for r in rows) == 2


def test_posts_per_station_fewest_spreads_the_posts_evenly_as_before(tmp_path, capsys):
    gpkg, seal = _files(tmp_path)
    assert cli.main([*seal, "--posts-per-station", "fewest", "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    rows, paths, _ = _outputs(tmp_path / "a")
    assert "按 --posts-per-station fewest 平均分派" in out
    assert "东北所 可派 3 个、派出 3 个：" in out and "西南所 可派 3 个、派出 2 个：" in out
    a = bottleneck_assignment(_times(gpkg), 1, [3, 3])
    assert (paths.minutes.max(), paths.minutes.sum()) == pytest.approx((a.bottleneck / 60, a.total / 60))
    # a word that is neither: the option and what it takes, no traceback
    with pytest.raises(SystemExit):
        cli.main([*seal, "--posts-per-station", "很多", "--out", str(tmp_path / "b")])
    err = capsys.readouterr().err
    assert "--posts-per-station 应为正整数或 fewest" in err and "Traceback" not in err


def test_fastest_assignment_is_the_bottleneck_assignment_without_limits():
    from gridtool.routing import fastest_assignment
    rng = np.random.default_rng(29)
    for _ in range(40):
        k = int(rng.integers(1, 3))
        ns, ne = int(rng.integers(k, 5)), int(rng.integers(1, 5))
        c = rng.integers(1, 40, (ns, ne)).astype(float)
        c[rng.random(c.shape) < 0.2] = np.inf
        if (np.isfinite(c).sum(axis=0) < k).any():
            with pytest.raises(ValueError, match="exits short of reachable stations"):
                fastest_assignment(c, k)
            continue
        a = fastest_assignment(c, k)
        exact = bottleneck_assignment(c, k, np.full(ns, ne))
        assert (a.bottleneck, a.total) == pytest.approx((exact.bottleneck, exact.total))
        for j in range(ne):  # the exit's k fastest stations, all different
            mine = a.station[a.exit == j]
            assert len(set(mine)) == k and sorted(c[mine, j]) == sorted(np.sort(c[:, j])[:k])


def test_many_stations_sending_none_are_one_line_the_senders_in_full():
    """Malta's 50 police stations sealing Tas-Sliema: 48 lines of 未派出 buried the two that go."""
    import geopandas as gpd
    import pandas as pd

    from gridtool.routing.sealing import SealPlan
    names = [f"{c}所" for c in "甲乙丙丁戊己庚辛壬癸"]
    table = pd.DataFrame({"exit": ["北口", "南口"], "exit_no": [1, 2], "station": ["丙所", "丙所"],
                          "minutes": [2.0, 1.0], "km": [0.5, 0.3]})
    posts = pd.DataFrame({"station": names, "posts": [0] * 10, "sent": [2 if n == "丙所" else 0 for n in names]})
    plan = SealPlan(table=table, paths=gpd.GeoDataFrame(geometry=[]), exits=gpd.GeoDataFrame(geometry=[]),
                    longest_minutes=2.0, total_minutes=3.0, per_exit=1, mode="car", posts=posts, posts_from="fastest")
    zh = plan.station_lines("zh")
    assert zh[:3] == ["  丙所 派出 2 个：", "    南口：1.0 分钟，0.30 公里", "    北口：2.0 分钟，0.50 公里"]
    assert zh[3] == "  其余 9 个站点未派出：甲所、乙所、丁所、戊所、己所、庚所、辛所、壬所等" and len(zh) == 4
    assert plan.station_lines("en")[-1].startswith("  the other 9 stations send none: 甲所, 乙所")
    # with a limit each station shows what it could send, so none is folded
    plan.posts_from = "option"
    assert sum("未派出" in line for line in plan.station_lines("zh")) == 9
