"""Coverage of any demand (exact minutes, names, categories), exact siting and sealing exits,
checked against brute force on small cases, and the ``coverage``/``seal`` commands."""

from __future__ import annotations

import csv
import itertools

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from shapely.geometry import LineString, Point

from gridtool import cli
from gridtool.errors import GridtoolError
from gridtool.routing import (
    bottleneck_assignment,
    build_graph,
    household_coverage,
    match_categories,
    max_coverage,
    min_cover,
    seal_exits,
    site_stations,
    snap,
)
from gridtool.routing.demand import times_within
from gridtool.routing.siting import greedy_coverage

from .test_routing_graph import GK108, X0, Y0, town

V = 20 / 3.6  # residential car speed, m/s
W = 4.5 / 3.6  # walking, m/s


def _gdf(rows, **cols):
    return gpd.GeoDataFrame(cols, geometry=[Point(X0 + x, Y0 + y) for x, y in rows], crs=GK108)


# -- exact minutes --------------------------------------------------------------------------------

def line_roads():
    """West lane N0(-400,0)–N1(0,0), main N1–N2(1000,0), east lane N2–N4(2200,0)."""
    return gpd.GeoDataFrame({"class": ["residential"] * 3, "name": ["西巷", "长街", "东巷"]},
                            geometry=[LineString([(X0 - 400, Y0), (X0, Y0)]),
                                      LineString([(X0, Y0), (X0 + 1000, Y0)]),
                                      LineString([(X0 + 1000, Y0), (X0 + 2200, Y0)])], crs=GK108)


def test_minutes_to_station_are_exact_beyond_the_limit():
    """A at 1050 m east of N2 reaches the place (55 m from N2) in 3.38 min; B reaches N1 in 1 min
    but then has the 945 m street to drive (3.89 min). A search cut off at 3 min missed A."""
    g = build_graph(line_roads(), mode="car")
    st = _gdf([(2050, 0), (-330, 0)], name=["甲站", "乙站"])
    pl = _gdf([(945, 5), (300, 5)], name=["十字路口", "长街小学"], category=["intersection", "school"])
    cov = household_coverage(g, st, pl, minutes=3)
    row = cov.households.set_index("name")
    exact_a = (1050 + 55) / V + 5 / W
    assert row.loc["十字路口", "minutes_to_station"] == pytest.approx(exact_a / 60, abs=1e-6)
    assert row.loc["十字路口", "nearest_station"] == "甲站" and not row.loc["十字路口", "covered"]
    # a station on the same street as the place: straight along it, not round by a junction
    st2 = _gdf([(100, 0)], name=["丙站"])
    cov2 = household_coverage(g, st2, pl.iloc[[1]], minutes=3)
    assert cov2.households["minutes_to_station"].iloc[0] == pytest.approx((200 / V + 5 / W) / 60, abs=1e-6)
    # the matrix used by siting and sealing agrees with the nearest-station search
    t = times_within(g, snap(g, st.geometry), snap(g, pl.geometry))
    assert t[0, 0] == pytest.approx(exact_a) and t.min(axis=0)[0] == pytest.approx(exact_a)


# -- categories -----------------------------------------------------------------------------------

def test_categories_match_any_case_and_source_spelling_or_list_what_is_there():
    places = _gdf([(0, 0), (1, 1), (2, 2), (3, 3)], name=["A", "B", "C", "D"],
                  category=["other", "other", "school", "intersection"],
                  category_raw=["Intersection", "路口", "小学", "intersection"])
    assert list(match_categories(places, "INTERSECTION")["name"]) == ["A", "D"]
    assert list(match_categories(places, "学校")["name"]) == ["C"]           # the Chinese label
    assert list(match_categories(places, "路口,school")["name"]) == ["B", "C"]
    assert len(match_categories(places, "places")) == 4
    with pytest.raises(GridtoolError) as exc:
        match_categories(places, "gate", option="--candidates")
    zh, en = exc.value.format("zh"), exc.value.format("en")
    assert "intersection [other] 1" in en and "小学 [school] 1" in en and "intersection 1" in en
    assert "路口 [other] 1" in zh and "--candidates intersection" in en
    assert "现有类别" in zh and "--candidates" in zh and "--candidates" in en


# -- siting against brute force -------------------------------------------------------------------

def _brute_max(cover, w, p):
    return max(w[cover[list(c)].any(axis=0)].sum() for c in itertools.combinations(range(len(cover)), p))


def _brute_fewest(cover):
    need = cover.any(axis=0)
    for r in range(len(cover) + 1):
        for c in itertools.combinations(range(len(cover)), r):
            if (cover[list(c)].any(axis=0) if c else np.zeros_like(need))[need].all():
                return r
    return None


def test_max_coverage_and_set_cover_equal_brute_force_on_random_cases():
    # the textbook trap: greedy takes the big middle set first (5 of 6; then 3 sites to cover all)
    trap = np.zeros((3, 6), dtype=bool)
    trap[0, 1:5] = trap[1, 0:3] = trap[2, 3:6] = True
    assert np.ones(6)[trap[greedy_coverage(trap, np.ones(6), 2)].any(axis=0)].sum() == 5
    sol = max_coverage(trap, np.ones(6), 2)
    assert sorted(sol.chosen) == [1, 2] and sol.covered == 6 and sol.proven
    assert sorted(min_cover(trap).chosen) == [1, 2]
    rng = np.random.default_rng(7)
    for _ in range(40):
        k, g = int(rng.integers(3, 9)), int(rng.integers(4, 20))
        cover = rng.random((k, g)) < rng.uniform(0.1, 0.5)
        w = rng.integers(1, 30, g).astype(float)
        p = int(rng.integers(1, k))
        sol = max_coverage(cover, w, p, time_limit=10)
        assert len(sol.chosen) <= p and sol.proven
        assert w[cover[sol.chosen].any(axis=0)].sum() == pytest.approx(_brute_max(cover, w, p))
        sc = min_cover(cover, time_limit=10)
        assert sc.proven and len(sc.chosen) == _brute_fewest(cover)
        assert cover[sc.chosen].any(axis=0)[cover.any(axis=0)].all()


def test_site_stations_on_a_road_grid_equals_brute_force():
    t = town(n=6, step=100.0)
    roads = t["roads"].iloc[:-1]  # without the lost lane
    g = build_graph(roads, mode="walk")
    rng = np.random.default_rng(3)
    for trial in range(3):
        # candidates and stations at road positions (x or y on the 100 m grid)
        def on_road(n):
            a = rng.integers(0, 6, n) * 100.0
            b = rng.random(n) * 500
            flip = rng.random(n) < 0.5
            return [(x, y) if f else (y, x) for x, y, f in zip(a, b, flip)]
        dem = _gdf([(x, y) for x, y in rng.random((25, 2)) * 500], hh=rng.integers(1, 9, 25))
        cand = _gdf(on_road(7), name=[f"候选{i}" for i in range(7)])
        ex = _gdf(on_road(1), name=["老站"])
        minutes = 3.0
        lim = minutes * 60
        # brute force on an independently computed matrix (snapping's travel_matrix, sites on roads)
        from gridtool.routing import travel_matrix
        sites = snap(g, cand.geometry)
        m = travel_matrix(g, sites, snap(g, dem.geometry))
        cover = m <= lim
        before = travel_matrix(g, snap(g, ex.geometry), snap(g, dem.geometry))[0] <= lim
        w = dem["hh"].to_numpy(float)
        for p in (1, 2, 3):
            res = site_stations(g, dem, cand, p=p, minutes=minutes, existing=ex, time_limit=20)
            best = max(w[before | cover[list(c)].any(axis=0)].sum() for c in itertools.combinations(range(7), p))
            assert res.covered_hh == pytest.approx(best), (trial, p)
            assert res.proven and len(res.new_sites) <= p
            assert res.covered_before == pytest.approx(w[before].sum())
        auto = site_stations(g, dem, cand, p="auto", minutes=minutes, existing=ex, time_limit=20)
        reach = before | cover.any(axis=0)
        fewest = min(r for r in range(8) for c in itertools.combinations(range(7), r)
                     if (before | (cover[list(c)].any(axis=0) if c else False))[reach].all())
        assert len(auto.new_sites) == fewest and auto.proven
        assert auto.covered_hh == pytest.approx(w[reach].sum())
        assert auto.uncoverable_weight == pytest.approx(w[~reach].sum())


def test_siting_never_reuses_a_station_or_a_place_twice():
    t = town()
    g = build_graph(t["roads"], mode="walk")
    dem = _gdf([(400, 400 - 10 * i) for i in range(5)] + [(100 + 10 * i, 0) for i in range(5)], hh=[50] * 5 + [1] * 5)
    station = t["stations"]  # 城关派出所 at (5, 200)
    cand = _gdf([(5, 200), (395, 390), (395, 390), (100, 5)], name=["派出所旧址", "学校", "学校东门", "村委会"])
    res = site_stations(g, dem, cand, p=3, minutes=2, existing=station)
    new = list(res.new_sites["name"])
    assert "派出所旧址" not in new and not {"学校", "学校东门"} <= set(new)
    assert sorted(new) == ["学校", "村委会"] and res.share == 1.0  # two cover all: no third site
    assert any("派出所旧址" in z for z, _ in res.excluded) and any("学校东门" in z for z, _ in res.excluded)
    assert res.notes and "only 2 usable candidate sites for the 3 asked" in res.notes[0][1]
    # with more candidates than needed: the fewest that cover everything, and a note saying so
    wide = _gdf([(395, 390), (100, 5), (105, 0), (300, 300)], name=["学校", "村委会", "村委会北", "公园"])
    res3 = site_stations(g, dem, wide, p=3, minutes=2, existing=station)
    assert len(res3.new_sites) == 2 and res3.share == 1.0
    assert "more would add nothing" in res3.notes[-1][1]
    assert "已证明最优" in res.summary("zh") and "optimum proven" in res.summary("en")


def test_set_cover_needs_four_where_greedy_style_counting_says_three():
    """Six demand clusters along a street, 300 m apart; each candidate reaches its own and the
    next cluster (2 min walking = 150 m) — three candidates cover 6 only if they are perfectly
    spaced; the candidates here are offset so that four are needed (checked by brute force)."""
    roads = gpd.GeoDataFrame({"class": ["residential"]},
                             geometry=[LineString([(X0, Y0), (X0 + 2000, Y0)])], crs=GK108)
    g = build_graph(roads, mode="walk")
    dem = _gdf([(x, 0) for x in (0, 200, 400, 600, 800, 1000, 1200)], hh=[10] * 7)
    cand = _gdf([(x, 0) for x in (100, 300, 500, 700, 900, 1100)], name=[f"点{i}" for i in range(6)])
    cover = times_within(g, snap(g, cand.geometry), snap(g, dem.geometry), 100 / W, covered=True)
    res = site_stations(g, dem, cand, p="auto", minutes=100 / W / 60)
    assert len(res.new_sites) == _brute_fewest(cover) == 4 and res.share == 1.0
    three = site_stations(g, dem, cand, p=3, minutes=100 / W / 60)
    assert three.share < 1.0 and three.proven


# -- sealing ------------------------------------------------------------------------------------

def _brute_seal(c, k):
    ns, ne = c.shape
    slots = np.repeat(np.arange(ne), k)
    best = (np.inf, np.inf)
    for perm in itertools.permutations(range(ns), len(slots)):
        trip = c[list(perm), slots]
        if np.isfinite(trip).all():
            best = min(best, (trip.max(), trip.sum()))
    return best


def test_bottleneck_assignment_equals_brute_force():
    rng = np.random.default_rng(11)
    for _ in range(40):
        k = int(rng.integers(1, 3))
        ne = int(rng.integers(1, 4))
        ns = int(rng.integers(ne * k, min(ne * k + 3, 7) + 1))
        c = rng.integers(1, 40, (ns, ne)).astype(float)
        c[rng.random(c.shape) < 0.15] = np.inf
        want = _brute_seal(c, k)
        if not np.isfinite(want[0]):
            with pytest.raises(ValueError):
                bottleneck_assignment(c, k)
            continue
        a = bottleneck_assignment(c, k)
        assert (a.bottleneck, a.total) == pytest.approx(want)
        assert len(set(a.station)) == ne * k  # a station sends one post
        assert np.bincount(a.exit, minlength=ne).tolist() == [k] * ne
    with pytest.raises(ValueError):
        bottleneck_assignment(np.ones((2, 3)))


def _parser():
    return cli.build_parser()


def _project_files(tmp_path):
    t = town(n=6)
    gpkg = tmp_path / "town.gpkg"
    stations = _gdf([(5, 200), (500, 5), (250, 495), (5, 5)], name=["城关所", "东所", "北所", "西南所"])
    places = _gdf([(100, 95), (300, 305), (495, 500), (205, 0), (400, 200), (5050, 5010)],
                  name=["一号路口", "二号路口", None, "学校", "市场", "孤岛路口"],
                  category=["Intersection", "intersection", "intersection", "school", "market", "intersection"])
    hh = _gdf([(100, 100), (450, 450), (200, 300)], hh=[10, 20, None])
    for role, gdf in {"roads": t["roads"].drop(columns="src_id"), "stations": stations, "places": places,
                      "households": hh}.items():
        gdf.to_file(gpkg, layer=role, driver="GPKG")
    exits = _gdf([(0, 500), (500, 0), (500, 500)], name=["北口", "东口", "东北口"])
    exits.to_file(gpkg, layer="exits", driver="GPKG")
    return gpkg


def test_coverage_command_places_by_category_with_names_and_exact_minutes(tmp_path, capsys):
    gpkg = _project_files(tmp_path)
    roles = [f"--{r}={gpkg}:{r}" for r in ("roads", "stations", "places", "households")]
    args = _parser().parse_args(["--lang", "both", "coverage", *roles, "--minutes", "3", "10", "--mode", "walk",
                                 "--demand", "places:INTERSECTION", "--sites", "auto", "--candidates", "school,market",
                                 "--node-crossings", "auto", "--speed", "residential=5", "--out", str(tmp_path / "c")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "道路拓扑" in out and "road topology" in out and "speeds set by class: residential 5 km/h" in out
    assert "重点场所（INTERSECTION），共 4 处" in out
    assert "孤岛路口" in out and "not reachable" in out  # the cut-off place, by name
    layers = dict(pyogrio.list_layers(tmp_path / "c" / "coverage.gpkg"))
    assert {"circles", "uncovered_3min", "uncovered_10min", "sites"} <= set(layers)
    unc = pyogrio.read_dataframe(tmp_path / "c" / "coverage.gpkg", layer="uncovered_3min")
    assert {"name", "category", "minutes_to_station", "nearest_station"} <= set(unc.columns)
    assert "孤岛路口" in set(unc["name"]) and unc["minutes_to_station"].isna().sum() == 1
    reach = unc[unc["name"] != "孤岛路口"]
    assert (reach["minutes_to_station"] > 3).all() and reach["nearest_station"].notna().all()
    for r in reach.itertuples():  # each uncovered place is listed by name with its exact minutes
        assert f"{r.name} ({r.category}): nearest {r.nearest_station}, {r.minutes_to_station:.2f} min" in out
    sites = pyogrio.read_dataframe(tmp_path / "c" / "coverage.gpkg", layer="sites")
    assert set(sites.loc[~sites["existing"], "name"]) <= {"学校", "市场"}
    # households: counted by hh (a blank count is 0, as the project counts), one total everywhere
    args = _parser().parse_args(["coverage", *roles, "--minutes", "3", "--out", str(tmp_path / "h")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "共 30 户" in out and "/ 30 户" in out
    with open(tmp_path / "h" / "coverage-3min-villages.csv", encoding="utf-8-sig") as fh:
        assert sum(int(r["户数"]) for r in csv.DictReader(fh)) == 30
    # an unknown candidate category: the error lists what is there
    args = _parser().parse_args(["coverage", *roles, "--sites", "2", "--candidates", "gate",
                                 "--demand", "places", "--out", str(tmp_path / "x")])
    with pytest.raises(GridtoolError, match=r"intersection 4、school 1、market 1"):
        args.func(args)


def test_seal_command_and_brute_force_on_the_network(tmp_path, capsys):
    gpkg = _project_files(tmp_path)
    roles = [f"--{r}={gpkg}:{r}" for r in ("roads", "stations")]
    args = _parser().parse_args(["--lang", "en", "seal", *roles, "--exits", f"{gpkg}:exits", "--mode", "walk",
                                 "--out", str(tmp_path / "s")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    raw = (tmp_path / "s" / "seal.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert [k for k in rows[0]][:3] == ["exit", "station", "minutes"]
    assert {r["exit"] for r in rows} == {"北口", "东口", "东北口"}
    longest = max(float(r["minutes"]) for r in rows)
    assert f"all sealed in {longest:.1f} min" in out
    paths = pyogrio.read_dataframe(tmp_path / "s" / "seal.gpkg", layer="seal_paths")
    assert len(paths) == 3 and (paths.length > 0).all()
    # the same against brute force on the network's travel times
    t = town(n=6)
    g = build_graph(t["roads"], mode="walk")
    st = pyogrio.read_dataframe(gpkg, layer="stations")
    ex = pyogrio.read_dataframe(gpkg, layer="exits")
    c = times_within(g, snap(g, st.geometry), snap(g, ex.geometry))
    plan = seal_exits(g, st, ex, posts_per_station=1)  # one post each: the four stations' best split
    assert (plan.longest_minutes * 60, plan.total_minutes * 60) == pytest.approx(_brute_seal(c, 1))
    # no limit (the default): every exit from the station that gets there first
    plan = seal_exits(g, st, ex)
    assert plan.table["minutes"].tolist() == pytest.approx((c.min(axis=0) / 60).tolist())
    assert sorted(zip(plan.table["exit"], plan.table["station"])) == sorted(
        (ex["name"][j], st["name"][int(c[:, j].argmin())]) for j in range(len(ex)))
    assert {r["station"] for r in rows} == set(plan.table["station"])
    # two posts per exit from four stations that send one post each: a clear error
    args = _parser().parse_args(["seal", *roles, "--exits", f"{gpkg}:exits", "--per-exit", "2",
                                 "--posts-per-station", "1", "--out", str(tmp_path / "s2")])
    with pytest.raises(GridtoolError, match="需要 6 个，4 个站点共可派 4 个"):
        args.func(args)


def test_categories_in_the_police_registers_words_name_the_category_the_import_read():
    """金融网点 / 信用社 / 储蓄所 are how a 派出所's register names banks: the import reads every one
    of them as ``bank``, so ``--place-category 金融网点`` (or ``--candidates``) takes all the banks,
    not only the rows spelt 金融网点."""
    places = _gdf([(0, 0), (1, 1), (2, 2), (3, 3)], name=["工行", "农信社", "邮储", "小学"],
                  category=["bank", "bank", "bank", "school"], category_raw=["银行", "信用社", "金融网点", "小学"])
    assert list(match_categories(places, "金融网点")["name"]) == ["工行", "农信社", "邮储"]
    assert list(match_categories(places, "储蓄所,中学")["name"]) == ["工行", "农信社", "邮储", "小学"]
