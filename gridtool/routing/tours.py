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

from ..errors import CancelledError, GridtoolError, check_at_least, check_positive

_INT_MAX = np.iinfo(np.int64).max
_BIG = 2 ** 40  # PyVRP's "unconstrained" values are int64 max; keep sums far from overflow


class InfeasibleError(GridtoolError):
    """The must-visit stops cannot all be served within the shift, windows and capacity given.

    Attributes
    ----------
    stops : dict or None
        ``{matrix index: reason code}`` of the stops named (see :data:`REASONS`).
    """

    stops: dict | None = None  # set where raised


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
        Every stop in no route, as matrix indices: optional stops not worth their detour, and
        (with ``strict=False``) must-visit stops that cannot be served. Each has its reason in
        ``reasons``.
    reasons
        ``{stop: code}`` for every unvisited stop: ``"unreachable"`` (no path to or from a team's
        depot), ``"demand_over_capacity"``, ``"time_window"``, ``"shift"``, ``"workload"`` (the
        capacity), ``"not_worth"`` (optional, its prize is below the detour). Words in both
        languages: :func:`reason_text`.
    feasible
        False when a must-visit stop is left out (only possible with ``strict=False``); the
        routes themselves always keep the shift, windows and capacity.
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
    #: True when the search stopped at ``time_limit`` (the safety cap) before its iterations were
    #: done: the plan then depends on the machine's speed and load (see :data:`CAPPED_WORDS`).
    time_capped: bool = False
    reasons: dict[int, str] = field(default_factory=dict)

    @property
    def makespan(self) -> float:
        """The longest team's duration (what balancing minimises)."""
        return max(self.durations, default=0.0)


def _scale_for(values: np.ndarray, matrix: np.ndarray | None = None, fin: np.ndarray | None = None) -> int:
    """1 for integer data; else a power of ten that keeps ~7 significant digits in int64.

    ``values`` are the small inputs (service times, windows …); ``matrix`` with its finite mask
    ``fin`` is checked row block by row block (no copy of a 200 MB matrix)."""
    finite = values[np.isfinite(values)]
    integer = np.array_equal(finite, np.rint(finite))
    top = float(np.abs(finite).max()) if finite.size else 0.0
    if matrix is not None:
        rows = max(1, 2_000_000 // max(1, matrix.shape[1]))
        for a in range(0, matrix.shape[0], rows):
            block = matrix[a:a + rows][fin[a:a + rows]]
            if integer and not np.array_equal(block, np.rint(block)):
                integer = False
            if block.size:
                top = max(top, float(block.max()))
    if integer:
        return 1
    k = int(math.floor(math.log10(1e7 / (top or 1.0))))
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
    time_limit: float = 30.0,
    seed: int = 0,
    iterations: int | None = None,
    balance: bool = False,
    balance_share: float = 0.5,
    strict: bool = True,
    names: Sequence[str] | None = None,
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
        A safety cap in seconds for the whole call, not the search budget: the call returns
        within ``1.1 × time_limit + 0.2`` seconds at every size. The search stops on
        ``iterations``; when the cap cuts it short the plan has ``time_capped = True`` (it then
        depends on the machine's speed and load; callers say so, :data:`CAPPED_WORDS`).
    seed
        Random seed. The search stops on a count of iterations (and on stalling), never on the
        clock, so the same inputs, seed and ``iterations`` give the same tours on every run and
        machine unless ``time_capped``. Exception: a plain symmetric TSP's first tour comes from
        fast-tsp, which runs on time and has no seed (runs may differ, at equal cost in every run
        measured).
    iterations
        Search work: PyVRP iterated-local-search iterations for the first plan (split over its
        rounds); each balancing step gets a share (``_BALANCE_STEP_SHARE``), at most
        ``_BALANCE_STEPS`` steps. None: :data:`ITERATIONS`.
    balance
        Even out the teams: after a first solution, the shift limit is bisected between a lower
        bound and the longest team's duration, the first plan's stops kept (an optional stop is
        dropped only when no team can fit it, never to meet a tighter limit); a team left without
        a stop then takes one over where the shift and windows allow. Minimises the makespan
        heuristically, at some cost in total travel.
    balance_share
        The share of ``time_limit`` kept for balancing should the cap strike during the first
        plan (which then stops at the rest); no effect on a search that ends on its iterations.
    strict
        Raise :class:`InfeasibleError` naming every must-visit stop that cannot be served, with
        the reason; with False, return the best plan found, with those stops in ``unvisited``
        (and ``reasons``) and ``feasible=False``.
    names
        Optional name per matrix index, used in error messages (``stop 4 (实验小学)``).
    progress, cancelled
        Callables for long jobs (``progress(fraction, message)``, ``cancelled() -> bool``).

    Returns
    -------
    TourPlan
        ``.routes`` (one list of stop indices per team, depot excluded), ``.cost``,
        ``.arrivals`` / ``.departures`` per stop, ``.unvisited`` every stop not routed, with
        ``.reasons`` saying why. No stop is ever dropped silently: every stop is either in a
        route or in ``unvisited``, and no route uses an ``inf`` leg.

    Raises
    ------
    ValueError
        Malformed input (not square, negative or NaN times, lengths that do not match).
    InfeasibleError
        With ``strict=True``: some must-visit stop cannot be served (no path to or from a team's
        depot, demand over the capacity, its time window, the shift, the workload limit); the
        message names each with its reason, and ``.stops`` holds ``{index: reason}``.
    """
    t0 = time.perf_counter()  # the budget counts everything, the first import of PyVRP too
    from pyvrp import Client, ClientGroup, Depot, Location, ProblemData, Route, Solution, VehicleType
    from pyvrp.solve import SolveParams
    from pyvrp.stop import MaxIterations, MultipleCriteria, NoImprovement

    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"matrix must be square, got shape {m.shape}")
    n = m.shape[0]
    if np.isnan(m).any():
        raise ValueError("matrix holds NaN values; use inf for 'no path'")
    if (m < 0).any():
        raise ValueError("matrix holds negative travel times")
    check_positive(time_limit, name="time_limit", zh="求解秒数", flag="--time-limit", example=30)
    if not 0.0 <= balance_share < 1.0:
        raise ValueError(f"balance_share must be at least 0 and below 1, got {balance_share}")
    depots = [int(depot)] if np.isscalar(depot) else [int(d) for d in depot]
    if not depots or len(set(depots)) != len(depots) or any(not 0 <= d < n for d in depots):
        raise ValueError(f"depot must be distinct indices in 0..{n - 1}, got {depot}")
    if np.isscalar(teams):
        t = int(teams)
        check_at_least(t, 1, name="teams", zh="队伍数", flag="--teams", example=2)
        per_depot = [t // len(depots) + (1 if i < t % len(depots) else 0) for i in range(len(depots))]
    else:
        per_depot = [int(x) for x in teams]
        if len(per_depot) != len(depots) or any(x < 0 for x in per_depot) or sum(per_depot) < 1:
            raise ValueError("teams as a sequence needs one non-negative count per depot")
    if names is not None and len(names) != n:
        raise ValueError(f"names needs one entry per matrix row ({n}), got {len(names)}")

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
    depot_set = set(depots)
    stops = [i for i in range(n) if i not in depot_set]
    required = [True if prz is None else bool(not np.isfinite(prz[i])) for i in range(n)]
    svc0 = svc if svc is not None else np.zeros(n)
    limit_f = float(max_duration) if max_duration is not None else np.inf

    budget = float(time_limit)
    iters = ITERATIONS if iterations is None else int(iterations)
    check_at_least(iters, 1, name="iterations", zh="迭代次数", flag="--iterations", example=ITERATIONS)
    search_end = t0 + budget - min(0.1, 0.03 * budget)  # the search stops here
    hard_end = t0 + 1.05 * budget + 0.1                   # explaining what was left out, by here

    team_depot = [d for d, k in zip(depots, per_depot) for _ in range(k)]
    active = [d for d, k in zip(depots, per_depot) if k > 0]

    # -- stops no team can serve, whatever the others do ---------------------------------------
    reasons: dict[int, str] = {}
    usable: dict[int, list[int]] = {}  # stop -> indices of its windows some team can make
    for i in stops:
        trip = [(m[d, i], m[i, d]) for d in active if np.isfinite(m[d, i]) and np.isfinite(m[i, d])]
        if not trip:
            reasons[i] = "unreachable"
            continue
        if dem is not None and dem[i] > capacity + 1e-9:
            reasons[i] = "demand_over_capacity"
            continue
        ok = [k for k, w in enumerate(wins[i] or [None])
              if any((w is None or max(a, w[0]) <= w[1]) and max(a, w[0] if w else 0.0) + svc0[i] + b <= limit_f
                     for a, b in trip)]
        if not ok:
            alone = any(a + svc0[i] + b <= limit_f for a, b in trip)
            reasons[i] = "time_window" if wins[i] and alone else "shift"
            continue
        usable[i] = ok
    if strict and any(required[i] for i in reasons):
        _raise_unserved({i: r for i, r in reasons.items() if required[i]}, names, wins)
    model_stops = [i for i in stops if i not in reasons]

    if not model_stops:
        return _finish(m, [[] for _ in team_depot], None, team_depot, stops, required, prz, reasons,
                       wins, svc0, dem, capacity, limit_f, strict, names, hard_end, t0, "pyvrp")

    # -- integer data ------------------------------------------------------------------------
    fin = np.isfinite(m)
    others = [np.zeros(0)]
    for a in (svc, prz if prz is None else prz[np.isfinite(prz)], max_duration):
        if a is not None:
            others.append(np.atleast_1d(np.asarray(a, dtype=float)))
    for w in wins:
        if w:
            others.append(np.asarray(w, dtype=float).ravel())
    scale = _scale_for(np.concatenate(others), m, fin)
    top = float(m.max(where=fin, initial=0.0))
    big = int(min(_BIG, (top or 1) * scale * (n + 1) * 4 + 1))
    with np.errstate(invalid="ignore"):
        im = (np.rint(m * scale) if scale != 1 else m).astype(np.int64)
    im[~fin] = big
    np.fill_diagonal(im, 0)

    def iv(x: float) -> int:
        return int(round(x * scale))

    locations = [Location(0, 0) for _ in range(n)]
    pv_depots = [Depot(location=d) for d in depots]
    clients, client_stop, client_win, groups, client_kw = [], [], [], [], []
    dims = 1 if dem is not None else 0
    for i in model_stops:
        ws = [(k, (wins[i] or [None])[k]) for k in usable[i]]
        gidx = None
        if len(ws) > 1:
            gidx = len(groups)
            groups.append(ClientGroup(required=required[i]))
        for k, w in ws:
            kw = {}
            if w is not None:
                kw.update(tw_early=iv(w[0]), tw_late=iv(w[1]))
            if dims:
                kw["delivery"] = [iv(dem[i]) if scale != 1 else int(round(dem[i]))]
            kw.update(location=i, service_duration=iv(svc[i]) if svc is not None else 0,
                      prize=0 if required[i] else max(0, iv(prz[i])),
                      required=required[i] and gidx is None, group=gidx)
            clients.append(Client(**kw))
            client_kw.append(kw)
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

    def make(limit, cl=None):
        return ProblemData(locations, cl or clients, pv_depots, vehicle_types(limit), [im], [im], groups)

    single = sum(per_depot) == 1
    large = len(clients) > _LARGE
    # PyVRP 0.14 has no intra-route 2-opt; one team's tour is a TSP, where stronger perturbation
    # and alternating with a 2-opt + Or-opt pass (``_local_opt``) close most of the gap
    # (measured, docs/ROUTING.md). Every route without time windows gets that pass.
    params = _tsp_params() if single else SolveParams()
    if large:
        # PyVRP's exhaustive searches (on the first solution, on every new best) run to the end
        # whatever the time limit: seconds at 1,000 stops, minutes at a few thousand.
        params = _no_exhaustive(params)
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
    cache: dict = {}
    cut: list[float] = []  # searches the clock stopped (then the plan depends on the machine)

    def run(limit, work, init=None, cl=None, patience=None, seed_offset=0, end=search_end):
        # stops on ``work`` iterations (or stalling): the clock (``end``) is only the safety cap
        data = make(limit, cl)
        best = None
        if init is not None:
            init = _rebuild(init, data)
        if pure_tsp and init is None:
            fast = min(budget * _FAST_TSP_SHARE, max(0.1, _FAST_TSP_PER_STOP * len(stops)))
            fast = min(fast, max(0.01, end - time.perf_counter() - 0.05))
            tour = _fast_tsp(im, depots[0], model_stops, fast, cancelled, no_path=big)
            if tour is not None:
                solvers.append("fast-tsp")
                pos = {s: c for c, s in enumerate(client_stop)}
                init = Solution(data, [Route(data, [pos[s] for s in tour], 0)])
        if init is None and large:
            init = _greedy_solution(data, im, per_depot, depots, clients, client_stop, groups)
        if init is not None:
            best = init = _polish(init, data, im, pv_depots, client_stop, has_tw, end)
        for r in range(rounds):
            if cancelled and cancelled():
                raise CancelledError()
            left = end - time.perf_counter()
            if left <= 0.005 and best is not None:
                break
            if "neighbours" not in cache:
                t_nb = time.perf_counter()
                cache["neighbours"] = _neighbours(data, im, client_stop, large)
                left -= time.perf_counter() - t_nb
            stop = MultipleCriteria([MaxIterations(max(1, work // rounds)), _Deadline(end),
                                     NoImprovement(patience or max(20_000, 400 * len(clients)))])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = _ils(data, stop, seed + seed_offset + r, params, init, cache["neighbours"])
            cand = _polish(res, data, im, pv_depots, client_stop, has_tw, end)
            if best is None or _better(cand, best):
                best = cand
            init = best
            if time.perf_counter() >= end:
                break
        if time.perf_counter() >= end:  # the cap, not the iterations, ended this search
            cut.append(end)
        return data, best

    if progress:
        progress(0.0, "求解巡逻路线 / solving tours")
    balancing = balance and sum(per_depot) > 1
    data, best = run(limit0, iters, end=min(search_end, t0 + budget * (1.0 - balance_share)) if balancing
                     else search_end)
    if balancing and best.is_feasible():
        data, best = _balance(best, data, run, clients, client_kw, client_stop, im, pv_depots, per_depot,
                              limit0, search_end, hard_end, max(1, int(iters * _BALANCE_STEP_SHARE)), progress)
    # every deadline up to here is search_end (the safety cap): past it, the plan may depend on timing
    capped = bool(cut) or time.perf_counter() >= search_end
    if not best.is_feasible():
        best = _repair(best, data, hard_end)
    if progress:
        progress(1.0, "完成 / done")
    sched = _schedules(best, scale, per_depot, client_stop, client_win)
    plan = _finish(m, *sched, team_depot, stops, required, prz, reasons, wins, svc0, dem, capacity,
                   limit_f, strict, names, hard_end, t0, "fast-tsp+pyvrp" if "fast-tsp" in solvers else "pyvrp")
    plan.time_capped = capped or time.perf_counter() > hard_end
    return plan


def _visits(route) -> list[int]:
    return [a.idx for a in route if a.is_client()]


def _rebuild(sol, data):
    """The same routes in another ProblemData of the same clients and vehicle types (other limits
    or prizes): a Solution caches its costs, so it cannot simply be handed over."""
    from pyvrp import Route, Solution
    return Solution(data, [Route(data, _visits(r), r.vehicle_type()) for r in sol.routes()])


def _balance(best, data, run, clients, client_kw, client_stop, im, pv_depots, per_depot, limit0, search_end,
             hard_end, step_work, progress):
    """Shorten the longest team's route without serving fewer stops, and give idle teams work.

    The first plan's optional stops are kept worth more than any detour while the shift limit is
    bisected between a lower bound and the longest route: a step that only fits by dropping one
    of them is a failed step (the bound moves up), never the end of balancing, so the teams at a
    farther station are put to work instead. Plans compare by (required stops missing,
    must-visit-like stops served, stops served, prizes, idle teams, longest route, travel). Each
    step has its own seed (``seed`` + 1000 + 7 × step) and ``step_work`` iterations, at most
    ``_BALANCE_STEPS`` steps: the result depends on the inputs and the seed only (``search_end``,
    the clock, is a safety cap)."""
    from pyvrp import Client

    n_teams = sum(per_depot)
    worth = [c.prize for c in clients]
    # an optional stop worth more than a whole shift counts as must-visit (patrol's second solve
    # makes the must-visit places that do not all fit optional with such a prize)
    heavy = [limit0 is not None and w > limit0 for w in worth]

    def key(sol):
        routes = sol.routes()
        visits = [c for r in routes for c in _visits(r)]
        served = len(visits)
        idle = n_teams - len(routes) if served >= n_teams else 0
        span = max((r.duration() for r in routes), default=0)
        return (not sol.is_feasible(), sol.num_missing_clients(), -sum(heavy[c] for c in visits), -served,
                -sum(worth[c] for c in visits), idle, span, sol.distance())

    # the stops of the first plan stay worth more than any route is long: dropping one to meet a
    # tighter limit never pays, so the solver moves it to another team or the step fails
    span0 = max(r.duration() for r in best.routes())
    served_stops = {client_stop[c] for r in best.routes() for c in _visits(r)}
    keep = int(min(_BIG, 4 * max(span0, 1) + 1))
    kept = [Client(**{**kw, "prize": keep}) if not kw["required"] and client_stop[c] in served_stops
            else clients[c] for c, kw in enumerate(client_kw)]

    # lower bound on the longest route: the farthest served stop's round trip from its nearest
    # team (waiting for its window included), and the served dwell shared by all teams
    deps = [pv_depots[di].location for di, k in enumerate(per_depot) if k > 0]
    alone: dict[int, float] = {}
    for c, cl in enumerate(clients):
        st = client_stop[c]
        if st in served_stops:
            trip = min(max(int(im[d, st]), cl.tw_early) + cl.service_duration + int(im[st, d]) for d in deps)
            alone[st] = min(alone.get(st, trip), trip)
    dwell = sum(clients[c].service_duration for r in best.routes() for c in _visits(r))
    lo = max(max(alone.values(), default=0), dwell // n_teams)
    hi = span0
    tol = max(1, hi // 200)  # half a percent of the longest route
    best_key = key(best)
    patience = max(2_000, 40 * len(clients))  # a step whose search stalls ends early (small problems)
    step, bound, improved = 0, lo, False
    while True:
        if hi - lo <= tol:
            # (the lower bound is an estimate: a plan can reach it, or come under it, and then
            # there is nothing left to search below)
            if not improved or hi - bound <= tol:
                break
            # a failed step proves nothing (the search is heuristic): search below the new best
            # again, from it, while the time lasts
            lo, improved = bound, False
        if step >= _BALANCE_STEPS or search_end - time.perf_counter() < 0.05:
            break
        target = (lo + hi) // 2
        # alternate a fresh search (it splits one long route freely) with one from the best plan
        # (it refines): measured better than either alone on 150-300 random stops
        _, cand = run(target, step_work, init=best if step % 2 else None, cl=kept,
                      patience=patience, seed_offset=1000 + 7 * step)
        step += 1
        cand = _rebuild(cand, data)  # judged by the first plan's prizes and shift
        if key(cand) < best_key:
            best, best_key, improved = cand, key(cand), True
            hi = best_key[6]
        if best_key[6] > target:  # the target was not reached
            lo = target
        if progress:
            progress(min(0.99, step / _BALANCE_STEPS), "均衡各队工作量 / balancing teams")
    return data, _fill_idle(best, data, hard_end)


def _fill_idle(sol, data, deadline: float):
    """A team left without a stop takes over one stop from a team with several: the move that
    leaves the longest route shortest (then the least travel), both routes keeping the shift and
    windows. Stops scanning at ``deadline`` (O(stops²) route checks at worst)."""
    from pyvrp import Route, Solution
    routes = [Route(data, _visits(r), r.vehicle_type()) for r in sol.routes()]
    n_vt = data.num_vehicle_types
    if sum(r.num_clients() for r in routes) < sum(data.vehicle_type(v).num_available for v in range(n_vt)):
        return sol
    free = [data.vehicle_type(v).num_available - sum(1 for r in routes if r.vehicle_type() == v) for v in range(n_vt)]
    moved = False
    for v, k in enumerate(free):
        for _ in range(k):
            best = None
            for ri, r in enumerate(routes):
                vis = _visits(r)
                if len(vis) < 2:
                    continue
                others = max((o.duration() for o in routes[:ri] + routes[ri + 1:]), default=0)
                for j, c in enumerate(vis):
                    if time.perf_counter() > deadline:
                        break
                    new = Route(data, [c], v)
                    if not new.is_feasible():
                        continue
                    rest = Route(data, vis[:j] + vis[j + 1:], r.vehicle_type())
                    if not rest.is_feasible():
                        continue
                    score = (max(others, rest.duration(), new.duration()), rest.distance() + new.distance() - r.distance())
                    if best is None or score < best[0]:
                        best = (score, ri, rest, new)
            if best is None:
                continue
            _, ri, rest, new = best
            routes = routes[:ri] + [rest] + routes[ri + 1:] + [new]
            moved = True
    return Solution(data, routes) if moved else sol

_TSP_ROUNDS = 4
#: Default search work of :func:`plan_tours`: PyVRP iterations for the first plan. The patrol
#: demos (40-80 stops) run ~1,000 iterations a second on a loaded 2-core machine; the clock-stopped
#: search this replaces did ~500 per round (2 rounds) and 10-14 balancing steps of 20-200.
ITERATIONS = 1500
_BALANCE_STEPS = 14          # balancing bisection steps at most
_BALANCE_STEP_SHARE = 0.1    # each balancing step's iterations, as a share of ``iterations``
#: What a caller says when :attr:`TourPlan.time_capped` (Chinese, English).
CAPPED_WORDS = ("求解在时间上限（--time-limit）处停止：本次路线取决于电脑快慢与忙闲，同样输入再算可能不同；"
                "可加大 --time-limit 或减小 --iterations 后重算",
                "the solver stopped at the time limit (--time-limit): these routes depend on the "
                "computer's speed and load and may differ when run again; raise --time-limit or "
                "lower --iterations and run again")
_FAST_TSP_SHARE = 0.7      # at most this share of a pure TSP's budget goes to fast-tsp,
_FAST_TSP_PER_STOP = 0.005  # and at most this many seconds per stop (300 stops: 1.4 s of 2 s;
                            # it reaches the optimum of 300-city random TSPs in ~0.1 s)
_UINT16 = 2 ** 16 - 1
_LARGE = 400  # clients: above this, PyVRP gets a first solution and neighbours from us (below)

#: Why a stop is not in any route: code -> (中文, English).
REASONS = {
    "unreachable": ("无路可达（与站点之间不通）", "no path to or from a team's depot"),
    "demand_over_capacity": ("需求超过每队容量", "its demand exceeds a team's capacity"),
    "time_window": ("时间窗内排不下", "does not fit its time window"),
    "shift": ("班次内排不下", "does not fit in the shift"),
    "workload": ("超出每队工作量上限", "over every team's workload limit"),
    "not_worth": ("可选点，绕行不划算", "optional; not worth the detour"),
}


def reason_text(code: str, lang: str = "en") -> str:
    """The words for a reason code of :attr:`TourPlan.reasons`.

    Parameters
    ----------
    code : str
        A reason code (see :data:`REASONS`).
    lang : {"zh", "en"}
        The language.

    Returns
    -------
    str
        The words; the code itself when it is unknown.

    Examples
    --------
    >>> reason_text("shift", "zh"), reason_text("shift")
    ('班次内排不下', 'does not fit in the shift')
    """
    zh, en = REASONS.get(code, (code, code))
    return zh if lang == "zh" else en


class _Deadline:
    """PyVRP stopping criterion: stop at an absolute ``time.perf_counter()`` value."""

    def __init__(self, at: float):
        self.at = at

    def __call__(self, best_cost: float) -> bool:  # noqa: ARG002 (PyVRP's protocol)
        return time.perf_counter() >= self.at


def _no_exhaustive(params):
    from dataclasses import replace

    from pyvrp import IteratedLocalSearchParams
    from pyvrp.solve import SolveParams
    ils = params.ils
    new = IteratedLocalSearchParams(num_iters_no_improvement=ils.num_iters_no_improvement,
                                    history_length=ils.history_length, exhaustive_on_best=False)
    try:
        return replace(params, ils=new)
    except TypeError:  # SolveParams not a dataclass in some release
        return SolveParams(perturbation=params.perturbation, ils=new)


def _ils(data, stop, seed, params, init, neighbours):
    """PyVRP's ``solve`` with the neighbourhood computed once per problem (PyVRP computes it on
    every call: 1 s at 2,400 stops) and, when we give a first solution, without its exhaustive
    search from a random one. Falls back to ``pyvrp.solve`` if its internals move."""
    try:
        from pyvrp import IteratedLocalSearch, PenaltyManager, RandomNumberGenerator
        from pyvrp.search import LocalSearch, PerturbationManager
    except ImportError:
        from pyvrp.solve import solve
        return solve(data, stop, seed=seed, collect_stats=False, display=False, params=params,
                     initial_solution=init).best
    from pyvrp import Solution
    rng = RandomNumberGenerator(seed=seed)
    ls = LocalSearch(data, rng, neighbours, PerturbationManager(params.perturbation))
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    pm = PenaltyManager(params.penalty.midpoint_penalties(data), params.penalty)
    if init is None:
        init = ls(Solution.make_random(data, rng), pm.max_cost_evaluator(), exhaustive=True)
    return IteratedLocalSearch(data, pm, ls, init, params.ils).run(stop, collect_stats=False).best


def _neighbours(data, im, client_stop, large: bool):
    """PyVRP's granular neighbourhood; for large problems the nearest 50 clients by round-trip
    time, computed with NumPy (PyVRP's own takes O(n² log n) in one uninterruptible call)."""
    from pyvrp import Activity, ActivityType
    from pyvrp.search import compute_neighbours
    if not large:
        return compute_neighbours(data)
    loc = np.asarray(client_stop)
    sub = im[np.ix_(loc, loc)].astype(float)
    prox = sub + sub.T
    np.fill_diagonal(prox, np.inf)
    k = min(50, len(loc) - 1)
    near = np.argpartition(prox, k - 1, axis=1)[:, :k] if k > 0 else np.empty((len(loc), 0), int)
    acts = [Activity(ActivityType.CLIENT, c) for c in range(len(loc))]
    return {acts[c]: [acts[j] for j in near[c][np.argsort(prox[c, near[c]])]] for c in range(len(loc))}


def _greedy_solution(data, im, per_depot, depots, clients, client_stop, groups):
    """A quick first solution for large problems: each client to its nearest depot (by round
    trip), one nearest-neighbour tour per depot cut into its teams' equal shares. Windows and
    limits are left to the search (PyVRP penalises what this breaks)."""
    from pyvrp import Route, Solution
    in_group = {c for g in groups for c in g.clients[1:]}  # one client per mutually exclusive group
    active = [di for di, k in enumerate(per_depot) if k > 0]
    vt_of = {di: v for v, di in enumerate(active)}
    cand = [c for c in range(len(clients)) if c not in in_group]
    loc = np.asarray([client_stop[c] for c in cand])
    dl = np.asarray([depots[di] for di in active])
    rt = im[np.ix_(dl, loc)] + im[np.ix_(loc, dl)].T
    owner = np.argmin(rt, axis=0)
    routes = []
    for a, di in enumerate(active):
        mine = np.flatnonzero(owner == a)
        if not len(mine):
            continue
        left = np.ones(len(mine), bool)
        order, lm = [], loc[mine]
        row = im[depots[di], lm]
        for _ in range(len(mine)):
            j = int(np.argmin(np.where(left, row, _INT_MAX)))
            order.append(j)
            left[j] = False
            row = im[lm[j], lm]
        k = per_depot[di]
        for part in np.array_split(np.asarray(order), k):
            if len(part):
                routes.append(Route(data, [cand[mine[j]] for j in part], vt_of[di]))
    return Solution(data, routes)


def _raise_unserved(bad: dict[int, str], names, wins) -> None:
    """InfeasibleError naming every must-visit stop that cannot be served, with its reason."""
    def label(i):
        return f"{i}（{names[i]}）" if names is not None else str(i)

    def label_en(i):
        return f"{i} ({names[i]})" if names is not None else str(i)
    items = sorted(bad.items())
    zh = "；".join(f"{label(i)}：{reason_text(r, 'zh')}" for i, r in items)
    en = "; ".join(f"{label_en(i)}: {reason_text(r, 'en')}" for i, r in items)
    err = InfeasibleError(
        f"以下必到点无法安排（共 {len(items)} 个）：{zh}",
        f"these must-visit stops cannot be served ({len(items)}): {en}",
        fix_zh="增加队伍数、延长班次、放宽时间窗、缩短停留时间、提高工作量上限，或把这些点设为可选。",
        fix_en="add teams, lengthen the shift, widen the time windows, shorten dwell times, raise the "
               "workload limit, or make these stops optional.")
    err.stops = dict(items)
    raise err


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


_BLOCK = 250_000  # matrix cells per vectorised block: the deadline is checked between blocks


def _two_opt(m: np.ndarray, tour: np.ndarray, deadline: float = np.inf) -> np.ndarray:
    """Steepest-descent 2-opt of a closed tour (first = last = depot), exact for asymmetric
    matrices (a reversed segment is charged its backward costs). Vectorised: O(n²) per move, in
    row blocks; at ``deadline`` (a ``time.perf_counter()`` value) it returns the tour as it is
    (a move half-evaluated is dropped), so a 2,400-stop tour overruns by one block, not one move."""
    t = np.asarray(tour)
    n = len(t)
    if n < 5:
        return t
    rows = max(1, _BLOCK // n)
    J = np.arange(n - 1)[None, :]
    j1 = np.minimum(J + 1, n - 1)
    jf = np.minimum(J, n - 2)
    for _ in range(10 * n):
        f = m[t[:-1], t[1:]]
        b = m[t[1:], t[:-1]]
        F = np.r_[0, np.cumsum(f)]
        B = np.r_[0, np.cumsum(b)]
        best, at = 0.0, None
        for i0 in range(0, n - 1, rows):
            if time.perf_counter() > deadline:
                return t
            i = np.arange(i0, min(n - 1, i0 + rows))[:, None]
            i1 = np.minimum(i + 1, n - 1)
            old = f[i] + (F[J] - F[i1]) + f[jf]
            new = m[t[i], t[J]] + (B[J] - B[i1]) + m[t[i1], t[j1]]
            gain = np.where(J > i + 1, old - new, 0)
            k = int(np.argmax(gain))
            if gain.flat[k] > best:
                best, at = float(gain.flat[k]), (i0 + k // (n - 1), k % (n - 1))
        if at is None:
            break
        a, c = at
        t = np.concatenate([t[:a + 1], t[a + 1:c + 1][::-1], t[c + 1:]])
    return t


def _or_opt(m: np.ndarray, tour: np.ndarray, deadline: float = np.inf) -> tuple[np.ndarray, bool]:
    """One best Or-opt move (a segment of 1–3 stops moved elsewhere, possibly reversed) of a
    closed tour; vectorised over all segments and positions, in row blocks (the deadline is
    checked between them). Returns (tour, improved)."""
    t = np.asarray(tour)
    n = len(t)
    best = (0.0, None)
    jj = np.arange(n - 1)[None, :]
    rows = max(1, _BLOCK // max(n, 1))
    for L in (1, 2, 3):
        if n - 2 < L + 1:
            break
        for i0 in range(1, n - L, rows):
            if time.perf_counter() > deadline:
                return t, False
            i = np.arange(i0, min(n - L, i0 + rows))[:, None]   # segment t[i .. i+L-1]
            a, b = t[i], t[i + L - 1]                           # first and last stop of the segment
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
                    best = (float(gain.flat[k]), (i0 + k // gain.shape[1], k % gain.shape[1], L, rev))
    if best[1] is None:
        return t, False
    i, j, L, rev = best[1]
    seg = t[i:i + L][::-1] if rev else t[i:i + L]
    rest = np.concatenate([t[:i], t[i + L:]])
    pos = j + 1 if j < i else j + 1 - L             # insert after t[j] in the shortened tour
    return np.concatenate([rest[:pos], seg, rest[pos:]]), True


def _local_opt(m: np.ndarray, tour: np.ndarray, deadline: float = np.inf) -> np.ndarray:
    """2-opt and Or-opt until neither improves or ``deadline`` passes."""
    t = _two_opt(m, tour, deadline)
    for _ in range(20 * len(t)):
        t, moved = _or_opt(m, t, deadline)
        if not moved:
            break
        t = _two_opt(m, t, deadline)
    return t


def _polish(sol, data, im, depots, client_stop, has_tw, deadline: float = np.inf):
    """2-opt + Or-opt every route without time windows (same stops, so load and prizes are unchanged and
    the duration can only fall), within ``deadline``; returns a new Solution when anything improved."""
    from pyvrp import Route, Solution
    routes, changed = [], False
    for r in sol.routes():
        clients = [a.idx for a in r if a.is_client()]
        vt = r.vehicle_type()
        if len(clients) >= 3 and not any(c in has_tw for c in clients) and r.num_trips() == 1:
            dloc = depots[r.start_depot()].location
            tour = np.r_[dloc, [client_stop[c] for c in clients], dloc]
            pos = {client_stop[c]: c for c in clients} if len(set(client_stop[c] for c in clients)) == len(clients) else None
            if pos is not None and time.perf_counter() < deadline:
                t2 = _local_opt(im, tour, deadline)
                if im[t2[:-1], t2[1:]].sum() < im[tour[:-1], tour[1:]].sum():
                    clients = [pos[x] for x in t2[1:-1]]
                    changed = True
        routes.append(Route(data, clients, vt))
    if not changed:
        return sol
    new = Solution(data, routes)
    return new if _better(new, sol) else sol


def _repair(sol, data, deadline: float = np.inf):
    """Make every route keep its limits by dropping, one at a time, the stop whose removal helps
    most (time warp, excess load, excess distance); the dropped stops are reported missing.
    Past ``deadline`` the last stops of a route are dropped instead (linear, always ends)."""
    from pyvrp import Route, Solution

    def badness(r) -> tuple:
        return (r.time_warp() + sum(r.excess_load()) + r.excess_distance() + r.overtime(), r.duration())

    routes = []
    for r in sol.routes():
        clients = [a.idx for a in r if a.is_client()]
        vt = r.vehicle_type()
        route = Route(data, clients, vt)
        while clients and not route.is_feasible():
            if time.perf_counter() > deadline:
                clients = clients[:-1]
                route = Route(data, clients, vt)
                continue
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


def _schedules(sol, scale, per_depot, client_stop, client_win):
    """Routes (matrix indices, per team) and PyVRP's schedule of a solution."""
    n_teams = sum(per_depot)
    vt_teams: dict[int, list[int]] = {}
    team = vt = 0
    for k in per_depot:
        if k == 0:
            continue
        vt_teams[vt] = list(range(team, team + k))
        team += k
        vt += 1
    routes = [[] for _ in range(n_teams)]
    arrivals = [[] for _ in range(n_teams)]
    departures = [[] for _ in range(n_teams)]
    used_w = [[] for _ in range(n_teams)]
    durations = [0.0] * n_teams
    for r in sol.routes():
        t = vt_teams[r.vehicle_type()].pop(0)
        seq = [(act.idx, act.start_time, act.end_time) for act in r if act.is_client()]
        routes[t] = [client_stop[c] for c, _, _ in seq]
        arrivals[t] = [s / scale for _, s, _ in seq]
        departures[t] = [e / scale for _, _, e in seq]
        used_w[t] = [client_win[c] for c, _, _ in seq]
        durations[t] = r.duration() / scale
    return routes, (arrivals, departures, durations, used_w)


class _Team:
    """One team's route with what an insertion check needs (times from the shift start)."""

    def __init__(self, depot, route, used, m, svc, wins, limit, load):
        self.depot, self.route, self.used, self.load = depot, list(route), list(used), load
        self.m, self.svc, self.wins, self.limit = m, svc, wins, limit
        self.refresh()

    def window(self, s, k):
        w = self.wins[s]
        return w[k] if w else (0.0, np.inf)

    def refresh(self):
        m, svc = self.m, self.svc
        k = len(self.route)
        early = np.array([self.window(s, w)[0] for s, w in zip(self.route, self.used)] + [0.0])
        late = np.array([self.window(s, w)[1] for s, w in zip(self.route, self.used)] + [np.inf])
        start = np.zeros(k)
        t, prev = 0.0, self.depot
        for j, s in enumerate(self.route):
            t = max(t + m[prev, s], early[j])
            start[j] = t
            t += svc[s]
            prev = s
        self.back = t + m[prev, self.depot]
        self.start = start
        nodes = np.array(self.route + [self.depot], dtype=int)
        self.prev = np.array([self.depot] + self.route, dtype=int)
        self.next = nodes
        self.dep = np.r_[0.0, start + svc[np.array(self.route, dtype=int)]] if k else np.zeros(1)
        self.early_next = early

        def latest(limit):
            lat = np.empty(k + 1)
            lat[k] = limit
            for j in range(k - 1, -1, -1):
                s = self.route[j]
                lat[j] = min(late[j], lat[j + 1] - m[s, nodes[j + 1]] - svc[s])
            return lat
        self.latest = latest(self.limit)
        self.latest_free = latest(np.inf) if np.isfinite(self.limit) else self.latest

    def fits(self, x, window, *, free_shift=False):
        """Positions (0..k) where stop ``x`` with ``window`` fits, and their extra travel."""
        a, b = window
        arr = self.dep + self.m[self.prev, x]
        st = np.maximum(arr, a)
        nxt = st + self.svc[x] + self.m[x, self.next]
        lat = self.latest_free if free_shift else self.latest
        ok = np.isfinite(arr) & np.isfinite(nxt) & (st <= b) & (np.maximum(nxt, self.early_next) <= lat)
        extra = self.m[self.prev, x] + self.m[x, self.next] - self.m[self.prev, self.next]
        return ok, extra


def _fits_any(teams, s, dem_s, cap, windows, *, free_shift=False) -> bool:
    return any(tm.load + dem_s <= cap + 1e-9 and tm.fits(s, w, free_shift=free_shift)[0].any()
               for tm in teams for w in windows)


def _finish(m, routes, timing, team_depot, stops, required, prz, reasons, wins, svc, dem, capacity,
            limit, strict, names, hard_end, t0, solver) -> TourPlan:
    """Routes → TourPlan, with every stop accounted for: stops on an ``inf`` leg are taken out,
    must-visit stops that fit somewhere are put back (cheapest feasible position), and every stop
    left out gets its reason from an insertion test (fits as is → optional, not worth it; fits
    without its own window → time window; without the capacity → workload; without the shift
    limit → shift)."""
    n_teams = len(team_depot)
    if timing is None:  # nothing from PyVRP: schedules are computed here
        timing = ([[] for _ in range(n_teams)], [[] for _ in range(n_teams)], [0.0] * n_teams,
                  [[0] * len(r) for r in routes])
        changed = set(range(n_teams))
    else:
        changed = set()
    arrivals, departures, durations, used = (list(x) for x in timing)
    # no leg may be "no path": take out the stops next to one (cannot happen unless PyVRP used a
    # 'big' arc between two depots' areas; then they are placed again below, or explained)
    for t, r in enumerate(routes):
        d = team_depot[t]
        while r:
            path = [d] + r + [d]
            bad = [k for k, (a, b) in enumerate(zip(path[:-1], path[1:])) if not np.isfinite(m[a, b])]
            if not bad:
                break
            k = min(bad[0], len(r) - 1)
            del r[k]
            del used[t][k]
            changed.add(t)
    load = [float(sum(dem[s] for s in r)) if dem is not None else 0.0 for r in routes]
    cap = float(capacity) if capacity is not None else np.inf
    teams = [_Team(team_depot[t], routes[t], used[t], m, svc, wins, limit, load[t]) for t in range(n_teams)]
    visited = {s for r in routes for s in r}
    missing = [s for s in stops if s not in visited and s not in reasons]
    # must-visit first, then optional by prize
    missing.sort(key=lambda s: (not required[s], -(prz[s] if prz is not None and np.isfinite(prz[s]) else 0)))
    for s in missing:
        if time.perf_counter() > hard_end:
            reasons[s] = "time_window" if wins[s] else "shift"  # not examined: out of time
            continue
        dem_s = float(dem[s]) if dem is not None else 0.0
        ws = list(enumerate(wins[s] or [(0.0, np.inf)]))
        best = None
        for t, tm in enumerate(teams):
            if tm.load + dem_s > cap + 1e-9:
                continue
            for k, w in ws:
                ok, extra = tm.fits(s, w)
                if ok.any():
                    pos = int(np.flatnonzero(ok)[np.argmin(extra[ok])])
                    cost = float(extra[pos])
                    if best is None or cost < best[0]:
                        best = (cost, t, pos, k)
        if best is not None and (required[s] or (prz is not None and prz[s] >= best[0])):
            _, t, pos, k = best
            tm = teams[t]
            tm.route.insert(pos, s)
            tm.used.insert(pos, k if wins[s] else 0)
            tm.load += dem_s
            tm.refresh()
            changed.add(t)
            continue
        if best is not None:
            reasons[s] = "not_worth"
            continue

        if wins[s] and _fits_any(teams, s, dem_s, cap, [(0.0, np.inf)]):
            reasons[s] = "time_window"
        elif np.isfinite(cap) and _fits_any(teams, s, 0.0, np.inf, [w for _, w in ws]):
            reasons[s] = "workload"
        elif np.isfinite(limit) and _fits_any(teams, s, dem_s, cap, [w for _, w in ws], free_shift=True):
            reasons[s] = "shift"
        elif wins[s]:
            reasons[s] = "time_window"
        elif all(not np.isfinite(m[tm.depot, s]) or not np.isfinite(m[s, tm.depot]) for tm in teams):
            reasons[s] = "unreachable"
        else:
            reasons[s] = "shift" if np.isfinite(limit) else "workload"
    routes = [tm.route for tm in teams]
    for t in changed:
        tm = teams[t]
        arrivals[t] = [float(x) for x in tm.start]
        departures[t] = [float(x + svc[s]) for x, s in zip(tm.start, tm.route)]
        durations[t] = float(tm.back) if tm.route else 0.0
        used[t] = list(tm.used)
    unvisited = [s for s in stops if s in reasons]
    missing_required = {s: reasons[s] for s in unvisited if required[s]}
    if strict and missing_required:
        _raise_unserved(missing_required, names, wins)
    costs = []
    for t, r in enumerate(routes):
        path = [team_depot[t]] + r + [team_depot[t]]
        costs.append(float(sum(m[a, b] for a, b in zip(path[:-1], path[1:]))) if r else 0.0)
    over = any(d > limit * (1 + 1e-9) + 1e-9 for d in durations)
    prize = float(sum(prz[s] for r in routes for s in r if np.isfinite(prz[s]))) if prz is not None else 0.0
    return TourPlan(routes=routes, cost=float(sum(costs)), arrivals=arrivals, departures=departures,
                    depots=list(team_depot), durations=durations, route_costs=costs, unvisited=unvisited,
                    feasible=not missing_required and not over, windows_used=used, prize_collected=prize,
                    solver=solver, runtime=time.perf_counter() - t0,
                    reasons={s: reasons[s] for s in unvisited})
