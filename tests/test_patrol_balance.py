"""Patrol teams share the work (session 28): on the Nanjing sample at night with four teams, one
team got no stop while two walked about 200 minutes each ("balancing gives up at the first
tightening that drops an optional stop")."""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "nanjing-xuanwu.gpkg"


@pytest.fixture(scope="module")
def xuanwu():
    from gridtool.project import Project
    from gridtool.routing.project_layers import places_to_visit, road_graph, stations_of
    project = Project.from_sources({"households": f"{SAMPLE}:households", "roads": f"{SAMPLE}:roads",
                                    "places": f"{SAMPLE}:places"})
    return road_graph(project, "walk"), stations_of(project, category="police"), places_to_visit(project, None)


@pytest.mark.parametrize("teams", [4, 5])
def test_every_team_patrols_at_night_and_the_longest_route_is_shorter(xuanwu, teams):
    from gridtool.routing.patrol import plan_patrol
    graph, stations, places = xuanwu
    kw = dict(teams=teams, start="22:00", shift_minutes=240, strict=False, seed=0)
    plain = plan_patrol(graph, stations, places, balance=False, **kw)
    even = plan_patrol(graph, stations, places, balance=True, **kw)
    served = sum(len(r) for r in even.tours.routes)
    assert served >= teams and all(even.tours.routes), even.tours.durations
    assert served >= sum(len(r) for r in plain.tours.routes)
    # the schools' gate windows lie outside a night shift; nothing else is left out
    assert set(even.unserved["reason"]) <= {"outside_shift", "not_worth"}
    longest, shortest = max(even.tours.durations), min(even.tours.durations)
    assert longest < 0.85 * max(plain.tours.durations)
    assert shortest > 0.5 * longest  # the work is shared, not one team out for hours and one for minutes
    assert "没有排到巡逻点" not in even.summary("zh")


def test_the_same_plan_twice_gives_the_same_routes(xuanwu):
    """Session 29: ``gridtool patrol nanjing-xuanwu.gpkg --teams 3 --start 08:00 --shift 240`` gave
    13/13/14, 16/12/12 and 15/13/12 stops on three runs: the search and the balancing stopped on
    the clock. They now stop on iterations, so an officer who plans twice (or in the app and the
    CLI) gets the same routes, in the same order, at the same times."""
    from gridtool.routing.patrol import plan_patrol
    graph, stations, places = xuanwu
    kw = dict(teams=3, start="08:00", shift_minutes=240, strict=False, seed=0)
    one = plan_patrol(graph, stations, places, **kw)
    two = plan_patrol(graph, stations, places, **kw)
    assert not one.tours.time_capped and not two.tours.time_capped
    assert one.tours.routes == two.tours.routes and sum(map(len, one.tours.routes)) > 0
    assert one.tours.arrivals == two.tours.arrivals
    assert one.summary("zh") == two.summary("zh")
    assert list(one.stops["place"]) == list(two.stops["place"])


def test_a_plan_cut_short_by_the_time_cap_says_so(xuanwu):
    """The time limit is only a safety cap; when it stops the search, the plan depends on the
    machine, and the summary says so in both languages (an uncapped plan says nothing)."""
    from gridtool.routing.patrol import plan_patrol
    graph, stations, places = xuanwu
    kw = dict(teams=3, start="08:00", shift_minutes=240, strict=False, seed=0)
    cut = plan_patrol(graph, stations, places, time_limit=0.01, iterations=10 ** 7, **kw)
    assert cut.tours.time_capped
    assert "时间上限" in cut.summary("zh") and "time limit" in cut.summary("en")
    assert sum(map(len, cut.tours.routes)) > 0  # still a plan: the best found when the cap struck
    full = plan_patrol(graph, stations, places, iterations=50, **kw)
    assert not full.tours.time_capped and "时间上限" not in full.summary("zh")


def test_fewer_teams_than_stations_set_out_from_the_stations_nearest_the_places():
    """Malta's 50 police stations, 3 teams: the teams went to the first three stations in the file,
    wherever the places were. Now the stations whose round trips to the stops sum least."""
    import numpy as np

    from gridtool.routing.patrol import _team_stations
    # stations 0 (far from everything), 1 (near stops 0–1), 2 (near stops 2–3), then 4 stops
    far, near, mid = 3600.0, 120.0, 900.0
    m = np.zeros((7, 7))
    m[0, 3:] = m[3:, 0] = far
    m[1, 3:] = m[3:, 1] = [near, near, mid, mid]
    m[2, 3:] = m[3:, 2] = [mid, mid, near, near]
    assert _team_stations(m, 3, 1) == [0, 1, 0]  # one team: the first of two equally good, never 0
    assert _team_stations(m, 3, 2) == [0, 1, 1]
    m[1, 4] = np.inf  # a stop station 1 cannot reach: station 2 serves every stop
    assert _team_stations(m, 3, 1) == [0, 0, 1]
