"""The solver core plan_tours: every promise checked on small matrices."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gridtool.routing import InfeasibleError, plan_tours


def euclid(n: int, seed: int = 0, scale: float = 100.0) -> np.ndarray:
    pts = np.random.default_rng(seed).random((n, 2)) * scale
    return np.round(np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0,1)), 1)


def route_cost(m, depot, route) -> float:
    path = [depot] + list(route) + [depot]
    return float(sum(m[a, b] for a, b in zip(path[:-1], path[1:])))


def brute_force(m) -> float:
    n = len(m)
    return min(route_cost(m, 0, p) for p in itertools.permutations(range(1, n)))


def test_single_tour_is_optimal_on_a_small_instance_and_cost_is_the_route_sum():
    m = euclid(8, seed=1)
    plan = plan_tours(m, time_limit=1.0)
    assert sorted(plan.routes[0]) == list(range(1, 8))
    assert plan.cost == pytest.approx(route_cost(m, 0, plan.routes[0]))
    assert plan.cost == pytest.approx(brute_force(m))
    # arrival times follow the route's travel times (no service, no windows)
    t, prev = 0.0, 0
    for stop, arr in zip(plan.routes[0], plan.arrivals[0]):
        t += m[prev, stop]
        assert arr == pytest.approx(t, abs=0.11)
        prev = stop


def test_asymmetric_matrix_is_respected():
    m = euclid(7, seed=2)
    m[np.triu_indices(7, 1)] += 50  # going "up" the index order is expensive
    plan = plan_tours(m, time_limit=0.5)
    assert plan.cost == pytest.approx(brute_force(m))


def test_shift_limit_is_honoured_and_forces_a_second_team():
    m = euclid(10, seed=3)
    single = plan_tours(m, time_limit=0.5, service_times=[0] + [5] * 9)
    limit = single.durations[0] * 0.7
    plan = plan_tours(m, teams=2, max_duration=limit, service_times=[0] + [5] * 9, time_limit=1.0)
    assert sorted(s for r in plan.routes for s in r) == list(range(1, 10))
    assert all(r for r in plan.routes)
    assert max(plan.durations) <= limit + 1e-6
    for t, r in enumerate(plan.routes):
        for k in range(len(r)):
            assert plan.departures[t][k] == pytest.approx(plan.arrivals[t][k] + 5)
    with pytest.raises(InfeasibleError):
        plan_tours(m, teams=1, max_duration=limit, service_times=[0] + [5] * 9, time_limit=0.5)
    loose = plan_tours(m, teams=1, max_duration=limit, service_times=[0] + [5] * 9, time_limit=0.5,
                       strict=False)
    assert not loose.feasible


def test_time_windows_and_alternative_windows_are_honoured():
    m = euclid(9, seed=4)
    tw = [None] * 9
    tw[3] = (200.0, 230.0)                       # must start service inside
    tw[5] = [(0.0, 5.0), (300.0, 320.0)]         # 5 cannot be reached by 5: second window
    plan = plan_tours(m, time_windows=tw, service_times=[0] + [10] * 8, time_limit=1.0)
    r = plan.routes[0]
    assert sorted(r) == list(range(1, 9))
    a3 = plan.arrivals[0][r.index(3)]
    a5 = plan.arrivals[0][r.index(5)]
    assert 200 - 1e-6 <= a3 <= 230 + 1e-6
    assert 300 - 1e-6 <= a5 <= 320 + 1e-6
    assert plan.windows_used[0][r.index(5)] == 1


def test_must_visit_and_optional_prizes():
    m = euclid(8, seed=5)
    far = 7
    m[far, :] += 500
    m[:, far] += 500
    m[far, far] = 0
    prizes = [np.inf] * 8
    prizes[far] = 10.0                           # not worth a 1000-unit detour
    prizes[6] = 1e6                              # worth any detour
    plan = plan_tours(m, prizes=prizes, time_limit=0.5)
    assert far in plan.unvisited and far not in plan.routes[0]
    assert 6 in plan.routes[0]
    assert set(plan.routes[0]) == set(range(1, 7))
    # a must-visit stop is visited however far
    prizes[far] = np.inf
    plan = plan_tours(m, prizes=prizes, time_limit=0.5)
    assert far in plan.routes[0] and not plan.unvisited


def test_capacity_limits_stops_per_team_and_multiple_depots():
    m = euclid(13, seed=6)
    plan = plan_tours(m, teams=[2, 1], depot=[0, 1], demands=[0, 0] + [1] * 11, capacity=4, time_limit=1.0)
    assert len(plan.routes) == 3 and plan.depots == [0, 0, 1]
    assert all(len(r) <= 4 for r in plan.routes)
    assert sorted(s for r in plan.routes for s in r) == list(range(2, 13))
    assert plan.cost == pytest.approx(sum(route_cost(m, d, r) for d, r in zip(plan.depots, plan.routes)))


def test_balance_reduces_the_longest_team():
    m = euclid(16, seed=7)
    plain = plan_tours(m, teams=3, time_limit=0.6)
    even = plan_tours(m, teams=3, time_limit=1.2, balance=True)
    assert sorted(s for r in even.routes for s in r) == list(range(1, 16))
    assert even.makespan <= plain.makespan + 1e-6
    assert even.makespan < plain.makespan or max(plain.durations) - min(plain.durations) < 1e-6


def test_unreachable_must_visit_stop_and_bad_input():
    m = euclid(5, seed=8)
    m[4, :] = np.inf
    m[4, 4] = 0
    with pytest.raises(InfeasibleError, match=r"\[4\]"):
        plan_tours(m, time_limit=0.2)
    with pytest.raises(ValueError):
        plan_tours(np.zeros((3, 4)))
    with pytest.raises(ValueError):
        plan_tours(np.full((3, 3), np.nan))
    with pytest.raises(ValueError):
        plan_tours(-np.ones((3, 3)))
    assert plan_tours(np.zeros((1, 1))).routes == [[]]


def test_float_matrices_are_scaled_not_truncated():
    m = euclid(6, seed=9) / 1000.0  # sub-unit travel times
    plan = plan_tours(m, time_limit=0.3)
    assert plan.cost == pytest.approx(brute_force(m), rel=1e-3)


def test_plain_tsp_path_with_and_without_fast_tsp(monkeypatch):
    # One team, no limits: fast-tsp (when installed) then PyVRP; the same optimum either way, on a
    # matrix whose values exceed fast-tsp's uint16 range (rescaled there, exact in the result).
    m = euclid(25, seed=10) * 1000.0
    fast = plan_tours(m, time_limit=0.6, service_times=[0] + [7] * 24)
    assert sorted(fast.routes[0]) == list(range(1, 25))
    assert fast.cost == pytest.approx(route_cost(m, 0, fast.routes[0]))
    assert fast.durations[0] == pytest.approx(fast.cost + 7 * 24, rel=1e-6)
    assert fast.solver in ("pyvrp", "fast-tsp+pyvrp")
    monkeypatch.setitem(__import__("sys").modules, "fast_tsp", None)  # as if not installed
    plain = plan_tours(m, time_limit=0.6)
    assert sorted(plain.routes[0]) == list(range(1, 25))
    assert fast.cost == pytest.approx(plain.cost, rel=1e-9)
    assert plain.solver == "pyvrp"


def test_fast_tsp_helper_declines_unsuitable_matrices():
    from gridtool.routing.tours import _BIG, _fast_tsp
    pytest.importorskip("fast_tsp")
    im = np.round(euclid(12, seed=11) * 10).astype(np.int64)
    tour = _fast_tsp(im, 3, [i for i in range(12) if i != 3], 0.05)
    assert sorted(tour) == [i for i in range(12) if i != 3]
    asym = im.copy()
    asym[0, 1] += 5
    assert _fast_tsp(asym, 0, list(range(1, 12)), 0.05) is None
    nopath = im.copy()
    nopath[0, 1] = nopath[1, 0] = _BIG
    assert _fast_tsp(nopath, 0, list(range(1, 12)), 0.05) is None


def test_symmetric_matrix_with_no_path_pairs_stays_correct():
    # inf between two stops (but both reachable from the depot): not a job for fast-tsp.
    m = euclid(12, seed=12)
    m[3, 4] = m[4, 3] = np.inf
    plan = plan_tours(m, time_limit=0.4)
    assert plan.solver == "pyvrp"
    r = [0] + plan.routes[0] + [0]
    assert sorted(plan.routes[0]) == list(range(1, 12))
    assert all(np.isfinite(m[a, b]) for a, b in zip(r[:-1], r[1:]))
