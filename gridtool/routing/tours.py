"""The tour solver core: teams, shifts, time windows and prizes on a plain travel-time matrix.

:func:`plan_tours` knows nothing about roads or maps: it takes a square matrix (seconds, metres,
anything additive) and returns one ordered list of stops per team. The road-network patrol planner
(:mod:`gridtool.routing.patrol`) builds its matrix from the road graph and calls it.

Solver: PyVRP (iterated local search, MIT licence), alternated with a vectorised 2-opt + Or-opt
pass that PyVRP 0.14 lacks. A plain symmetric TSP (one team, no windows, loads or prizes) is first
solved by fast-tsp (MIT, Rust Or-opt / Lin-Kernighan search) when it is installed, and PyVRP
refines its tour. Measured (``benchmarks/routing_bench.py``, ``docs/ROUTING.md``) against proven
optima: 0.00 % on the TSPLIB/CVRPLIB instances and on random 100/200/300-city TSPs in 2 s (PyVRP
alone: 0.3–1.8 % at 300 cities); OR-Tools' guided local search (2 s) 0–5 %, networkx's
Christofides 9–14 %, VROOM 1–4 % and slower. PyVRP models what patrols need directly: several
depots, per-team shift limits, time windows, service (dwell) times, optional clients with prizes,
and mutually exclusive client groups (a place with two alternative time windows).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..errors import CancelledError, GridtoolError

_INT_MAX = np.iinfo(np.int64).max
_BIG = 2 ** 40  # PyVRP's "unconstrained" values are int64 max; keep sums far from overflow


class InfeasibleError(GridtoolError):
    """The must-visit stops cannot all be served within the shift, windows and capacity given."""


@dataclass
class TourPlan:
    """What :func:`plan_tours` returns.

    Attributes
    ----------
    routes
        One list of matrix indices per team, in visiting order, depot excluded. Teams are
        numbered depot by depot (all teams of ``depot[0]`` first). An unused team has ``[]``.
    cost
        Total travel cost of all routes in matrix units (the sum of ``matrix[a, b]`` over every
        leg, from and back to the depot), without service times and without prizes.
    arrivals, departures
        Per team and stop, the time service starts and ends (matrix units, from 0 = the shift
        start). Service starts at the later of arrival and the window's opening.
    depots
        The depot (matrix index) of each team.
    durations
        Per team: time from leaving the depot to returning, waiting and service included.
    route_costs
        Per team: travel cost of the route.
    unvisited
        Optional stops (finite prize) that were left out, as matrix indices.
    feasible
        False when the best solution found still breaks a shift limit, a time window or a
        capacity (only possible with ``strict=False``).
    windows_used
        Per team and stop: which of the stop's time windows served it (index into its list;
        0 when it had one window or none).
    """

    routes: list[list[int]]
    cost: float
    arrivals: list[list[float]]
    departures: list[list[float]]
    depots: list[int]
    durations: list[float]
    route_costs: list[float]
    unvisited: list[int] = field(default_factory=list)
    feasible: bool = True
    windows_used: list[list[int]] = field(default_factory=list)
    prize_collected: float = 0.0
    solver: str = "pyvrp"   # "fast-tsp+pyvrp" when a plain TSP went to fast-tsp first
    runtime: float = 0.0

    @property
    def makespan(self) -> float:
        """The longest team's duration (what balancing minimises)."""
        return max(self.durations, default=0.0)


def _scale_for(values: np.ndarray) -> int:
    """1 for integer data; else a power of ten that keeps ~7 significant digits in int64."""
    finite = values[np.isfinite(values)]
    if finite.size == 0 or np.allclose(finite, np.round(finite)):
        return 1
    top = float(np.abs(finite).max()) or 1.0
    k = int(math.floor(math.log10(1e7 / top)))
    return 10 ** max(0, min(k, 4))


def _windows(spec, n: int) -> list[list[tuple[float, float]] | None]:
    """Normalise ``time_windows`` to, per index, None or a non-empty list of (early, late)."""
    if spec is None:
        return [None] * n
    if isinstance(spec, np.ndarray) and spec.ndim == 2 and spec.shape == (n, 2):
        spec = [tuple(r) for r in spec]
    if len(spec) != n:
        raise ValueError(f"time_windows needs one entry per matrix row ({n}), got {len(spec)}")
    out: list[list[tuple[float, float]] | None] = []
    for i, w in enumerate(spec):
        if w is None:
            out.append(None)
            continue
        w = list(w)
        if len(w) == 2 and all(np.isscalar(v) for v in w):
            w = [tuple(w)]
        wins = []
        for pair in w:
            a, b = (float(pair[0]), float(pair[1]))
            if not (a <= b):
                raise ValueError(f"time window {pair} of stop {i}: the start is after the end")
            wins.append((a, b))
        out.append(wins or None)
    return out


def plan_tours(
    matrix,
    *,
    teams: int | Sequence[int] = 1,
    depot: int | Sequence[int] = 0,
    max_duration: float | None = None,
    service_times=None,
    demands=None,
    capacity: float | None = None,
    time_windows=None,
    prizes=None,
    time_limit: float = 2.0,
    seed: int = 0,
    balance: bool = False,
    strict: bool = True,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> TourPlan:
    """Plan closed tours for one or more teams over the stops of a travel-time matrix.

    Parameters
    ----------
    matrix
        Square array, ``matrix[a, b]`` = travel time (or distance) from stop ``a`` to stop ``b``;
        may be asymmetric (one-way streets). Floats are scaled to integers internally (exact
        for integer matrices; 7 significant digits otherwise). ``inf`` marks "no path".
    teams
        Number of teams. With several depots: an int is spread over them (the first depots get
        the remainder), or give one count per depot.
    depot
        Matrix index of the depot (the station), or a sequence of them. Every other index is a
        stop to visit.
    max_duration
        Longest a team may be out (the shift), travel + waiting + service, in matrix units.
    service_times
        Per index, time spent at the stop (dwell), in matrix units. Depot entries are ignored.
    demands, capacity
        Per-index load and the team's capacity (e.g. demand 1 per stop and capacity 12 means at
        most 12 stops per team: a workload limit).
    time_windows
        Per index: None (any time), ``(early, late)``, or a list of such pairs meaning
        alternatives (a school gate at 07:30–08:00 *or* 16:30–17:30). Times are measured from the
        shift start (0) in matrix units; service must start inside the window.
    prizes
        None: every stop must be visited. Otherwise per index: ``inf`` (or NaN) for a must-visit
        stop, a finite value for an optional stop worth that much (in matrix units; a stop is
        visited when its prize outweighs the detour).
    time_limit
        Seconds of search. Small instances stop early once the search stalls.
    seed
        Random seed; the same inputs and seed give the same tours when the search stops on
        stalling (small instances). Runs that use the whole budget depend on timing, and a plain
        symmetric TSP's first tour comes from fast-tsp, which has no seed: two runs may return
        different tours (of equal cost in every run measured).
    balance
        Even out the teams: after a first solution, the shift limit is tightened below the
        longest team's duration step by step, keeping the last feasible plan (minimises the
        makespan heuristically, at some cost in total travel).
    strict
        Raise :class:`InfeasibleError` when the must-visit stops cannot all be served within the
        limits; with False, return the best plan found with ``feasible=False``.
    progress, cancelled
        Callables for long jobs (``progress(fraction, message)``, ``cancelled() -> bool``).

    Returns
    -------
    TourPlan
        ``.routes`` (one list of stop indices per team, depot excluded), ``.cost``,
        ``.arrivals`` / ``.departures`` per stop, ``.unvisited`` optional stops.

    Raises
    ------
    ValueError
        Malformed input (not square, negative or NaN times, lengths that do not match).
    InfeasibleError
        With ``strict=True``: some must-visit stop cannot be reached from the depot or the
        limits cannot all be met; the message lists the stops involved.
    """
    t0 = time.perf_counter()  # the budget counts everything, the first import of PyVRP too
    from pyvrp import Client, ClientGroup, Depot, Location, ProblemData, Route, Solution, VehicleType
    from pyvrp.solve import SolveParams, solve
    from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement

    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"matrix must be square, got shape {m.shape}")
    n = m.shape[0]
    if np.isnan(m).any():
        raise ValueError("matrix holds NaN values; use inf for 'no path'")
    if (m < 0).any():
        raise ValueError("matrix holds negative travel times")
    depots = [int(depot)] if np.isscalar(depot) else [int(d) for d in depot]
    if not depots or len(set(depots)) != len(depots) or any(not 0 <= d < n for d in depots):
        raise ValueError(f"depot must be distinct indices in 0..{n - 1}, got {depot}")
    if np.isscalar(teams):
        t = int(teams)
        if t < 1:
            raise ValueError("teams must be at least 1")
        per_depot = [t // len(depots) + (1 if i < t % len(depots) else 0) for i in range(len(depots))]
    else:
        per_depot = [int(x) for x in teams]
        if len(per_depot) != len(depots) or any(x < 0 for x in per_depot) or sum(per_depot) < 1:
            raise ValueError("teams as a sequence needs one non-negative count per depot")

    def vec(v, name):
        if v is None:
            return None
        a = np.asarray(v, dtype=float)
        if a.shape != (n,):
            raise ValueError(f"{name} needs one value per matrix row ({n}), got shape {a.shape}")
        return a

    svc = vec(service_times, "service_times")
    dem = vec(demands, "demands")
    prz = vec(prizes, "prizes")
    if svc is not None and ((svc < 0) | ~np.isfinite(svc)).any():
        raise ValueError("service_times must be finite and non-negative")
    if dem is not None and capacity is None:
        raise ValueError("demands given without capacity")
    wins = _windows(time_windows, n)
    stops = [i for i in range(n) if i not in set(depots)]
    required = [True if prz is None else bool(not np.isfinite(prz[i])) for i in range(n)]

    team_depot = [d for d, k in zip(depots, per_depot) for _ in range(k)]
    if not stops:
        return TourPlan([[] for _ in team_depot], 0.0, [[] for _ in team_depot],
                        [[] for _ in team_depot], team_depot, [0.0] * len(team_depot),
                        [0.0] * len(team_depot), runtime=time.perf_counter() - t0)

    # A stop that no depot can reach and come back from cannot be served by anyone.
    no_path = [i for i in stops if not any(np.isfinite(m[d, i]) and np.isfinite(m[i, d]) for d in depots)]
    if no_path and strict and any(required[i] for i in no_path):
        bad = [i for i in no_path if required[i]]
        raise InfeasibleError(
            f"以下必到点从站点无路可达：{bad}", f"no path between the depot and must-visit stop(s) {bad}",
            fix_zh="检查道路是否连通，或把这些点设为可选。",
            fix_en="check that the roads connect, or make these stops optional.")

    # -- integer data ------------------------------------------------------------------------
    finite = m[np.isfinite(m)]
    others = [finite]
    for a in (svc, prz if prz is None else prz[np.isfinite(prz)], max_duration):
        if a is not None:
            others.append(np.atleast_1d(np.asarray(a, dtype=float)))
    for w in wins:
        if w:
            others.append(np.asarray(w, dtype=float).ravel())
    scale = _scale_for(np.concatenate(others))
    big = int(min(_BIG, (finite.max() if finite.size else 1) * scale * (n + 1) * 4 + 1))
    im = np.where(np.isfinite(m), np.round(m * scale), big).astype(np.int64)
    np.fill_diagonal(im, 0)

    def iv(x: float) -> int:
        return int(round(x * scale))

    locations = [Location(0, 0) for _ in range(n)]
    pv_depots = [Depot(location=d) for d in depots]
    clients, client_stop, client_win, groups = [], [], [], []
    dims = 1 if dem is not None else 0
    for i in stops:
        ws = wins[i] or [None]
        gidx = None
        if len(ws) > 1:
            gidx = len(groups)
            groups.append(ClientGroup(required=required[i]))
        for k, w in enumerate(ws):
            kw = {}
            if w is not None:
                kw.update(tw_early=iv(w[0]), tw_late=iv(w[1]))
            if dims:
                kw["delivery"] = [iv(dem[i]) if scale != 1 else int(round(dem[i]))]
            clients.append(Client(
                location=i, service_duration=iv(svc[i]) if svc is not None else 0,
                prize=0 if required[i] else max(0, iv(prz[i])),
                required=required[i] and gidx is None, group=gidx, **kw))
            if gidx is not None:
                groups[gidx].add_client(len(clients) - 1)
            client_stop.append(i)
            client_win.append(k)
    cap = []
    if dims:
        cap = [int(round(capacity * scale)) if scale != 1 else int(round(capacity))]

    def vehicle_types(limit: int | None):
        out = []
        for di, k in enumerate(per_depot):
            if k == 0:
                continue
            kw = {}
            if limit is not None:
                kw.update(shift_duration=limit, tw_late=limit, start_late=0)
            out.append(VehicleType(num_available=k, capacity=cap, start_depot=di, end_depot=di, **kw))
        return out

    limit0 = iv(max_duration) if max_duration is not None else None

    def make(limit):
        return ProblemData(locations, clients, pv_depots, vehicle_types(limit), [im], [im], groups)

    def stop_rule(seconds: float):
        # Stall detection lets small instances finish early; big ones use the whole budget.
        return MultipleCriteria([MaxRuntime(max(seconds, 0.01)),
                                 NoImprovement(max(20_000, 400 * len(clients)))])

    single = sum(per_depot) == 1
    # PyVRP 0.14 has no intra-route 2-opt; one team's tour is a TSP, where stronger perturbation
    # and alternating with a 2-opt + Or-opt pass (``_local_opt``) close most of the gap
    # (measured, docs/ROUTING.md). Every route without time windows gets that pass.
    params = _tsp_params() if single else SolveParams()
    rounds = _TSP_ROUNDS if single else 2
    has_tw = {c for c, cl in enumerate(clients) if cl.tw_early > 0 or cl.tw_late < _INT_MAX}

    # A plain TSP (one team, one depot, no windows, loads or prizes) on a symmetric finite matrix
    # goes first to fast-tsp's Or-opt / Lin-Kernighan search, which reaches the optimum of
    # 300-city random instances in ~0.1-0.2 s where PyVRP alone stays 0.3-1.1 % above in 2 s
    # (measured, docs/ROUTING.md); PyVRP and the 2-opt + Or-opt pass then refine that tour on the
    # exact integer matrix (a rescaled uint16 matrix cannot make the result worse). A shift limit
    # does not change the problem: without windows the duration is travel + fixed service, so
    # the shortest tour is also the shortest shift (if it breaks the limit, every tour does).
    pure_tsp = (single and len(depots) == 1 and not has_tw and not groups and dem is None
                and prz is None and len(clients) >= 4)

    solvers = ["pyvrp"]

    def run(limit, seconds, init=None):
        data = make(limit)
        best = None
        end = time.perf_counter() + seconds
        if pure_tsp and init is None:
            fast = min(seconds * _FAST_TSP_SHARE, max(0.1, _FAST_TSP_PER_STOP * len(stops)))
            tour = _fast_tsp(im, depots[0], stops, fast, cancelled, no_path=big)
            if tour is not None:
                solvers.append("fast-tsp")
                pos = {s: c for c, s in enumerate(client_stop)}
                init = Solution(data, [Route(data, [pos[s] for s in tour], 0)])
                best = _polish(init, data, im, pv_depots, client_stop, has_tw)
                init = best
        for r in range(rounds):
            if cancelled and cancelled():
                raise CancelledError()
            left = end - time.perf_counter()
            if left <= 0.005 and best is not None:
                break
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = solve(data, stop_rule(left / (rounds - r)), seed=seed + r, collect_stats=False,
                            display=False, params=params, initial_solution=init)
            cand = _polish(res.best, data, im, pv_depots, client_stop, has_tw)
            if best is None or _better(cand, best):
                best = cand
            init = best
            if time.perf_counter() >= end:
                break
        return data, best

    budget = float(time_limit)
    wrap_up = min(0.1, 0.03 * budget)  # the last 2-opt pass and building the plan
    first = max(budget * (0.5 if balance else 1.0) - (time.perf_counter() - t0) - wrap_up, 0.01)
    if progress:
        progress(0.0, "求解巡逻路线 / solving tours")
    data, best = run(limit0, first)
    if balance and best.is_feasible() and sum(per_depot) > 1:
        end = t0 + budget
        while time.perf_counter() < end - 0.02:
            span = max((r.duration() for r in best.routes()), default=0)
            if span <= 0:
                break
            target = int(span * 0.97) if span > 30 else span - 1
            if target <= 0:
                break
            remaining = end - time.perf_counter()
            d2, cand = run(target, min(remaining, max(0.2, budget * 0.15)))
            if not cand.is_feasible() or cand.num_missing_clients() > best.num_missing_clients():
                break
            data, best = d2, cand
            if progress:
                progress(min(0.99, 1 - (end - time.perf_counter()) / budget),
                         "均衡各队工作量 / balancing teams")
    if not best.is_feasible() and not strict:
        best = _repair(best, data)
    if progress:
        progress(1.0, "完成 / done")
    plan = _plan_from(best, data, m, scale, per_depot, depots, client_stop, client_win, stops,
                      required, prz, strict, t0)
    plan.solver = "fast-tsp+pyvrp" if "fast-tsp" in solvers else "pyvrp"
    return plan


_TSP_ROUNDS = 4
_FAST_TSP_SHARE = 0.7      # at most this share of a pure TSP's budget goes to fast-tsp,
_FAST_TSP_PER_STOP = 0.005  # and at most this many seconds per stop (300 stops: 1.4 s of 2 s;
                            # it reaches the optimum of 300-city random TSPs in ~0.1 s)
_UINT16 = 2 ** 16 - 1


def _fast_tsp(im: np.ndarray, depot: int, stops: list[int], seconds: float, cancelled=None,
              no_path: int = _BIG):
    """The stops in visiting order (depot excluded) found by fast-tsp (MIT; Rust Or-opt and
    Lin-Kernighan search with kicks) on the sub-matrix of ``depot`` + ``stops``, or None when the
    package is missing or the matrix does not suit it (asymmetric, or with "no path" entries:
    values ``>= no_path``).

    fast-tsp takes distances up to 65,535; larger matrices are rescaled (rounded), and the caller
    refines the tour on the exact matrix. With ``cancelled``, long budgets run as independent
    pieces of at most a few seconds so that a cancel is seen between them.
    """
    try:
        import fast_tsp
    except ImportError:
        return None
    nodes = np.asarray([depot] + list(stops))
    sub = im[np.ix_(nodes, nodes)]
    if not np.array_equal(sub, sub.T) or sub.max() >= no_path or sub.min() < 0:
        return None
    top = int(sub.max())
    if top > _UINT16:
        sub = np.round(sub * (_UINT16 / top))
    sub = np.ascontiguousarray(sub, dtype=np.int64)
    pieces = 1 if cancelled is None else max(1, int(seconds // 3.0))
    best, best_cost = None, None
    for _ in range(pieces):
        if cancelled and cancelled():
            raise CancelledError()
        try:
            tour = fast_tsp.find_tour(sub, duration_seconds=max(seconds / pieces, 0.01), max_threads=1)
        except (TypeError, ValueError):  # an older fast-tsp (< 0.2.2) or a matrix it refuses
            return None
        cost = int(sub[tour, np.roll(tour, -1)].sum())
        if best is None or cost < best_cost:
            best, best_cost = tour, cost
    k = best.index(0)
    order = best[k + 1:] + best[:k]
    return [int(nodes[i]) for i in order]


def _tsp_params():
    from pyvrp.search import PerturbationParams
    from pyvrp.solve import SolveParams
    return SolveParams(perturbation=PerturbationParams(5, 50))


def _better(a, b) -> bool:
    """Feasible beats infeasible; then fewer missing clients; then lower penalised cost."""
    ka = (not a.is_feasible(), a.num_missing_clients(), a.distance() + a.uncollected_prizes())
    kb = (not b.is_feasible(), b.num_missing_clients(), b.distance() + b.uncollected_prizes())
    return ka < kb


def _two_opt(m: np.ndarray, tour: np.ndarray) -> np.ndarray:
    """Steepest-descent 2-opt of a closed tour (first = last = depot), exact for asymmetric
    matrices (a reversed segment is charged its backward costs). Vectorised: O(n²) per move."""
    t = np.asarray(tour)
    n = len(t)
    if n < 5:
        return t
    i = np.arange(n - 1)[:, None]
    j = np.arange(n - 1)[None, :]
    valid = j > i + 1
    i1 = np.minimum(i + 1, n - 1)
    j1 = np.minimum(j + 1, n - 1)
    for _ in range(10 * n):
        f = m[t[:-1], t[1:]]
        b = m[t[1:], t[:-1]]
        F = np.r_[0, np.cumsum(f)]
        B = np.r_[0, np.cumsum(b)]
        old = f[i] + (F[j] - F[i1]) + f[np.minimum(j, n - 2)]
        new = m[t[i], t[j]] + (B[j] - B[i1]) + m[t[i1], t[j1]]
        gain = np.where(valid, old - new, 0)
        k = int(np.argmax(gain))
        if gain.flat[k] <= 0:
            break
        a, c = divmod(k, n - 1)
        t = np.concatenate([t[:a + 1], t[a + 1:c + 1][::-1], t[c + 1:]])
    return t


def _or_opt(m: np.ndarray, tour: np.ndarray) -> tuple[np.ndarray, bool]:
    """One best Or-opt move (a segment of 1–3 stops moved elsewhere, possibly reversed) of a
    closed tour; vectorised over all segments and positions. Returns (tour, improved)."""
    t = np.asarray(tour)
    n = len(t)
    best = (0.0, None)
    jj = np.arange(n - 1)[None, :]
    for L in (1, 2, 3):
        if n - 2 < L + 1:
            break
        i = np.arange(1, n - L)[:, None]           # segment t[i .. i+L-1], inside the tour
        a, b = t[i], t[i + L - 1]                   # first and last stop of the segment
        prev, nxt = t[i - 1], t[i + L]
        rem = m[prev, a] + m[b, nxt] - m[prev, nxt]
        fwd_in = (np.sum([m[t[i + k], t[i + k + 1]] for k in range(L - 1)], axis=0)
                  if L > 1 else np.zeros_like(rem))
        rev_in = (np.sum([m[t[i + k + 1], t[i + k]] for k in range(L - 1)], axis=0)
                  if L > 1 else np.zeros_like(rem))
        tj, tj1 = t[jj], t[jj + 1]
        base = m[tj, tj1]
        ins_f = m[tj, a] + m[b, tj1] - base
        ins_r = m[tj, b] + m[a, tj1] - base + (rev_in - fwd_in)
        valid = (jj < i - 1) | (jj > i + L - 1)
        for ins, rev in ((ins_f, False), (ins_r, True)):
            gain = np.where(valid, rem - ins, -np.inf)
            k = int(np.argmax(gain))
            if gain.flat[k] > best[0] + 1e-9:
                best = (float(gain.flat[k]), (k // gain.shape[1] + 1, k % gain.shape[1], L, rev))
    if best[1] is None:
        return t, False
    i, j, L, rev = best[1]
    seg = t[i:i + L][::-1] if rev else t[i:i + L]
    rest = np.concatenate([t[:i], t[i + L:]])
    pos = j + 1 if j < i else j + 1 - L             # insert after t[j] in the shortened tour
    return np.concatenate([rest[:pos], seg, rest[pos:]]), True


def _local_opt(m: np.ndarray, tour: np.ndarray) -> np.ndarray:
    """2-opt and Or-opt until neither improves."""
    t = _two_opt(m, tour)
    for _ in range(20 * len(t)):
        t, moved = _or_opt(m, t)
        if not moved:
            break
        t = _two_opt(m, t)
    return t


def _polish(sol, data, im, depots, client_stop, has_tw):
    """2-opt + Or-opt every route without time windows (same stops, so load and prizes are unchanged and
    the duration can only fall); returns a new Solution when anything improved."""
    from pyvrp import Route, Solution
    routes, changed = [], False
    for r in sol.routes():
        clients = [a.idx for a in r if a.is_client()]
        vt = r.vehicle_type()
        if len(clients) >= 3 and not any(c in has_tw for c in clients) and r.num_trips() == 1:
            dloc = depots[r.start_depot()].location
            tour = np.r_[dloc, [client_stop[c] for c in clients], dloc]
            pos = {client_stop[c]: c for c in clients} if len(set(client_stop[c] for c in clients)) == len(clients) else None
            if pos is not None:
                t2 = _local_opt(im, tour)
                if im[t2[:-1], t2[1:]].sum() < im[tour[:-1], tour[1:]].sum():
                    clients = [pos[x] for x in t2[1:-1]]
                    changed = True
        routes.append(Route(data, clients, vt))
    if not changed:
        return sol
    new = Solution(data, routes)
    return new if _better(new, sol) else sol


def _repair(sol, data):
    """Make every route keep its limits by dropping, one at a time, the stop whose removal helps
    most (time warp, excess load, excess distance); the dropped stops are reported missing."""
    from pyvrp import Route, Solution

    def badness(r) -> tuple:
        return (r.time_warp() + sum(r.excess_load()) + r.excess_distance() + r.overtime(), r.duration())

    routes = []
    for r in sol.routes():
        clients = [a.idx for a in r if a.is_client()]
        vt = r.vehicle_type()
        route = Route(data, clients, vt)
        while clients and not route.is_feasible():
            best = None
            for k in range(len(clients)):
                cand = Route(data, clients[:k] + clients[k + 1:], vt)
                if best is None or badness(cand) < badness(best[1]):
                    best = (k, cand)
            clients = clients[:best[0]] + clients[best[0] + 1:]
            route = best[1]
        if clients:
            routes.append(route)
    return Solution(data, routes)


def _plan_from(sol, data, m, scale, per_depot, depots, client_stop, client_win, stops, required,
               prz, strict, t0) -> TourPlan:
    team_depot = [d for d, k in zip(depots, per_depot) for _ in range(k)]
    # vehicle-type index -> teams (in order) of that type
    vt_teams: dict[int, list[int]] = {}
    team = 0
    vt = 0
    for k in per_depot:
        if k == 0:
            continue
        vt_teams[vt] = list(range(team, team + k))
        team += k
        vt += 1
    routes = [[] for _ in team_depot]
    arrivals = [[] for _ in team_depot]
    departures = [[] for _ in team_depot]
    used_w = [[] for _ in team_depot]
    durations = [0.0] * len(team_depot)
    costs = [0.0] * len(team_depot)
    free = {k: list(v) for k, v in vt_teams.items()}
    for r in sol.routes():
        t = free[r.vehicle_type()].pop(0)
        seq = []
        for act in r:
            if act.is_client():
                seq.append((act.idx, act.start_time, act.end_time))  # idx: client index
        routes[t] = [client_stop[c] for c, _, _ in seq]
        arrivals[t] = [s / scale for _, s, _ in seq]
        departures[t] = [e / scale for _, _, e in seq]
        used_w[t] = [client_win[c] for c, _, _ in seq]
        durations[t] = r.duration() / scale
        d = team_depot[t]
        path = [d] + routes[t] + [d]
        costs[t] = float(sum(m[a, b] for a, b in zip(path[:-1], path[1:])))
    visited = {s for r in routes for s in r}
    missing_required = [s for s in stops if required[s] and s not in visited]
    unvisited = [s for s in stops if not required[s] and s not in visited]
    feasible = bool(sol.is_feasible()) and not missing_required and all(np.isfinite(costs))
    if strict and not feasible:
        what = sorted(set(missing_required))
        raise InfeasibleError(
            "在给定班次、时间窗和工作量限制内无法走完所有必到点"
            + (f"（未能安排：{what}）" if what else ""),
            "the must-visit stops cannot all be served within the shift, time windows and workload "
            "limits" + (f" (not served: {what})" if what else ""),
            fix_zh="增加队伍数、延长班次、缩短停留时间，或把部分地点设为可选。",
            fix_en="add teams, lengthen the shift, shorten dwell times, or make some places optional.")
    prize = 0.0
    if prz is not None:
        prize = float(sum(prz[s] for s in visited if np.isfinite(prz[s])))
    return TourPlan(routes=routes, cost=float(sum(costs)), arrivals=arrivals, departures=departures,
                    depots=team_depot, durations=durations, route_costs=costs, unvisited=unvisited,
                    feasible=feasible, windows_used=used_w, prize_collected=prize,
                    runtime=time.perf_counter() - t0)
