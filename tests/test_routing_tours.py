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
    plain = plan_tours(m, teams=3)
    even = plan_tours(m, teams=3, balance=True)
    assert sorted(s for r in even.routes for s in r) == list(range(1, 16))
    assert even.makespan <= plain.makespan + 1e-6
    assert even.makespan < plain.makespan or max(plain.durations) - min(plain.durations) < 1e-6



def test_balance_keeps_optional_stops_and_puts_every_team_to_work():
    """Before: three teams at the central station and one 40 minutes away, a third of the stops
    optional (worth 6 minutes): balancing stopped at the first tightening that dropped an optional
    stop, so one team walked 200 minutes, three stayed at the station, and a stop that fitted was
    left out. Now every team patrols, no stop is lost, and the longest route is a third as long."""
    rng = np.random.default_rng(3)
    pts = np.vstack([[0, 0], [40, 0], rng.uniform(-12, 12, size=(24, 2))])
    m = np.hypot(*(pts[:, None] - pts[None]).transpose(2, 0, 1))
    prizes = [np.inf, np.inf] + [np.inf if i % 3 == 0 else 6.0 for i in range(24)]
    kw = dict(teams=[3, 1], depot=[0, 1], service_times=[0, 0] + [5.0] * 24, prizes=prizes, max_duration=240,
              seed=0)  # no time_limit: the search stops on iterations, whatever the machine's load
    plain = plan_tours(m, **kw)
    even = plan_tours(m, balance=True, **kw)
    served = sum(len(r) for r in even.routes)
    assert all(even.routes), even.durations
    assert served >= sum(len(r) for r in plain.routes)
    assert set(even.unvisited) <= set(plain.unvisited)
    assert all(even.reasons[s] == "not_worth" for s in even.unvisited)
    assert even.makespan < 0.6 * plain.makespan
    assert max(even.durations) <= 240 and even.feasible


def test_unreachable_must_visit_stop_and_bad_input():
    m = euclid(5, seed=8)
    m[4, :] = np.inf
    m[4, 4] = 0
    with pytest.raises(InfeasibleError, match=r"4 \(卡口\): no path") as exc:
        plan_tours(m, time_limit=0.2, names=["站", "a", "b", "c", "卡口"])
    assert exc.value.stops == {4: "unreachable"}
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


# -- contracts: no stop dropped silently, reasons, named errors, time limits --------------------

def _accounted(plan, n, depots=(0,)):
    routed = [s for r in plan.routes for s in r]
    assert len(routed) == len(set(routed)), "a stop in two routes"
    assert set(routed).isdisjoint(plan.unvisited)
    assert set(routed) | set(plan.unvisited) == set(range(n)) - set(depots)
    assert set(plan.reasons) == set(plan.unvisited)
    assert np.isfinite(plan.cost) and all(np.isfinite(plan.route_costs))


def test_demand_over_capacity_is_listed_or_named_never_dropped():
    m = euclid(8, seed=13)
    dem = [0, 1, 1, 5, 1, 1, 1, 1]                 # stop 3 needs 5, a team carries 4
    loose = plan_tours(m, teams=2, demands=dem, capacity=4, strict=False, time_limit=0.3)
    _accounted(loose, 8)
    assert loose.unvisited == [3] and loose.reasons == {3: "demand_over_capacity"}
    assert not loose.feasible
    with pytest.raises(InfeasibleError, match="3 \\(仓库\\): its demand exceeds") as exc:
        plan_tours(m, teams=2, demands=dem, capacity=4, time_limit=0.3,
                   names=["站", "a", "b", "仓库", "c", "d", "e", "f"])
    assert exc.value.stops == {3: "demand_over_capacity"} and "仓库" in exc.value.zh


def test_unreachable_stop_is_not_routed_with_an_infinite_cost():
    m = euclid(7, seed=14)
    m[5, :] = m[:, 5] = np.inf                       # no path to or from stop 5
    m[5, 5] = 0
    plan = plan_tours(m, strict=False, time_limit=0.3)
    _accounted(plan, 7)
    assert plan.reasons == {5: "unreachable"} and 5 not in plan.routes[0]
    # no direct path between depot 0 and stop 7: served, and never over that missing leg
    m2 = euclid(8, seed=15)
    m2[0, 7] = m2[7, 0] = np.inf
    plan = plan_tours(m2, teams=[1, 1], depot=[0, 1], time_limit=0.5)
    _accounted(plan, 8, depots=(0, 1))
    for d, r in zip(plan.depots, plan.routes):
        path = [d, *r, d]
        assert all(np.isfinite(m2[a, b]) for a, b in zip(path[:-1], path[1:]))
    # optional and unreachable: listed as unreachable, not as "not worth the detour"
    plan = plan_tours(m, prizes=[np.inf] * 5 + [100.0, np.inf], time_limit=0.3)
    assert plan.reasons == {5: "unreachable"} and plan.feasible


def test_window_and_shift_reasons_say_which_limit_binds():
    # six stops 10 apart on a line, service 10 each; a school-gate case: four share one short
    # window, so one team cannot serve them all in it although the shift has room.
    xy = np.array([[0, 0]] + [[10.0 * k, 0] for k in range(1, 7)])
    m = np.abs(xy[:, None, 0] - xy[None, :, 0])
    tw = [None, (60, 80), (60, 80), (60, 80), (60, 80), None, None]
    plan = plan_tours(m, max_duration=400, service_times=[0] + [10] * 6, time_windows=tw, strict=False,
                      time_limit=0.5)
    _accounted(plan, 7)
    served = [s for s in (1, 2, 3, 4) if s in plan.routes[0]]
    assert len(served) in (2, 3)                   # 60, 70, 80 are the only starts that fit
    assert all(plan.reasons[s] == "time_window" for s in (1, 2, 3, 4) if s not in served)
    assert {5, 6} <= set(plan.routes[0])
    with pytest.raises(InfeasibleError, match="does not fit its time window") as exc:
        plan_tours(m, max_duration=400, service_times=[0] + [10] * 6, time_windows=tw, time_limit=0.5)
    assert set(exc.value.stops.values()) == {"time_window"}
    # a window that closes before anyone can get there, and a stop beyond the shift
    tw2 = [None, (0, 5), None, None, None, None, None]   # stop 1 is 10 away
    plan = plan_tours(m, max_duration=100, service_times=[0] + [10] * 6, time_windows=tw2, strict=False,
                      time_limit=0.3)
    _accounted(plan, 7)
    assert plan.reasons[1] == "time_window"
    far = m.copy()
    far[6, :] += 200
    far[:, 6] += 200
    far[6, 6] = 0
    plan = plan_tours(far, max_duration=150, service_times=[0] + [10] * 6, strict=False, time_limit=0.3)
    _accounted(plan, 7)
    assert plan.reasons == {6: "shift"}
    # a full shift: more stops than fit, no windows
    plan = plan_tours(m, max_duration=75, service_times=[0] + [10] * 6, strict=False, time_limit=0.5)
    _accounted(plan, 7)
    assert plan.unvisited and set(plan.reasons.values()) == {"shift"}
    assert max(plan.durations) <= 75 + 1e-9


def test_workload_reason_and_optional_stops_not_worth_it():
    m = euclid(9, seed=16)
    plan = plan_tours(m, teams=2, demands=[0] + [1] * 8, capacity=3, strict=False, time_limit=0.4)
    _accounted(plan, 9)
    assert len(plan.unvisited) == 2 and set(plan.reasons.values()) == {"workload"}
    assert all(len(r) <= 3 for r in plan.routes)
    far = 8
    m2 = m.copy()
    m2[far, :] += 500
    m2[:, far] += 500
    m2[far, far] = 0
    plan = plan_tours(m2, prizes=[np.inf] * 8 + [5.0], time_limit=0.3)
    assert plan.reasons == {far: "not_worth"} and plan.feasible


def test_time_limit_is_kept_on_large_instances():
    """A behaviour, with generous slack (speed is measured in benchmarks/routing_bench.py):
    1,000 stops and 3 teams with a 0.3 s limit took 9 s before PyVRP's unbounded first local
    search and the 2-opt pass were put under the deadline."""
    import time
    rng = np.random.default_rng(17)
    xy = rng.random((1000, 2)) * 10_000
    m = np.floor(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1)) + 0.5)
    t = time.perf_counter()
    plan = plan_tours(m, teams=3, time_limit=0.3)
    assert time.perf_counter() - t < 4.0
    _accounted(plan, 1000)
    assert not plan.unvisited


def test_same_inputs_and_seed_give_the_same_balanced_tours():
    """The search stops on iterations, not on the clock: two runs (several teams, windows,
    optional stops, balancing) return the same routes; another seed may differ."""
    rng = np.random.default_rng(5)
    pts = np.vstack([[0, 0], [30, 0], rng.uniform(-15, 15, size=(30, 2))])
    m = np.hypot(*(pts[:, None] - pts[None]).transpose(2, 0, 1))
    tw = [None, None] + [(0.0, 120.0) if i % 5 == 0 else None for i in range(30)]
    kw = dict(teams=[2, 1], depot=[0, 1], service_times=[0, 0] + [4.0] * 30, time_windows=tw,
              prizes=[np.inf, np.inf] + [np.inf if i % 3 else 8.0 for i in range(30)], max_duration=300,
              balance=True, strict=False, seed=3)
    one, two = plan_tours(m, **kw), plan_tours(m, **kw)
    assert not one.time_capped and not two.time_capped
    assert one.routes == two.routes and one.unvisited == two.unvisited
    assert one.arrivals == two.arrivals and one.cost == two.cost


def test_iterations_must_be_positive():
    from gridtool.errors import OptionError
    with pytest.raises(OptionError, match="iterations"):
        plan_tours(euclid(6, seed=1), iterations=0)
