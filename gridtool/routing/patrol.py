"""Team patrol routes (常态化治安巡逻) on the road network, built on :func:`plan_tours`.

Places (``places`` role) carry ``name``, ``category`` and optionally ``priority`` (1–5 or 高/中/低),
``must`` (must-visit: 是/否, yes/no, 1/0), ``dwell`` (minutes), ``visits`` (times per shift) and
``window`` ("07:30-08:00", several alternatives "07:30-08:00;16:30-17:30", or past midnight
"23:00-00:48": see :mod:`gridtool.routing.shift_windows`); Chinese column names
are read too (:data:`PLACE_COLUMNS`: 优先级, 必到, 停留分钟, 频次, 时间窗 …). Defaults by category: schools and kindergartens
are must-visit at gate times (护学岗 07:30–08:00 / 16:30–17:30), banks must-visit, markets and
hospitals priority 2, the rest priority 1 (optional, visited when worth the detour).

How the constraints are modelled:

* must-visit: a required client; optional: a client with a prize of ``priority × prize_minutes``
  of travel time (a priority-3 place is worth a 30-minute detour by default);
* a place with several windows: one client per window in a mutually exclusive group (exactly one
  is served);
* ``visits = 2`` (a high-risk place twice a shift): two clients at the same place, the first
  restricted to the first half of the shift and the second to the second half, which keeps the
  two visits apart (at least a moment apart, typically hours);
* workload limit: ``max_stops`` (visits per team, as capacity) and ``max_minutes`` (per team, as
  the route duration limit, like the shift);
* balanced workloads: the longest team's time is reduced by bisecting the duration limit while
  keeping every stop of the first plan, and every team gets a stop where one fits (see
  :func:`plan_tours` ``balance``);
* hot spots (:func:`gridtool.routing.hotspots.find_hotspots`): optional stops of category
  ``hotspot`` worth their share of the incidents (``prize``, minutes), with their own dwell
  (12 minutes by default) and, where incident times are given, a window at their peak hours;
* every place left out is listed in ``unserved`` with its reason: time window, shift, workload
  limit, unreachable, or (optional places) not worth the detour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from ..errors import EmptyLayerError, GridtoolError, check_at_least, check_positive
from ..plurals import count_en
from ..roles import PLACE_CATEGORIES, STOP_CATEGORIES
from .circles import _label, _names
from .graph import MODE_ZH, RoadGraph, UnreachableError
from .snapping import (OFF_ROAD_FIX_EN, OFF_ROAD_FIX_ZH, Snapped, near_any_road, node_path, off_road_words, snap,
                       travel_matrix)
from .patrol_advice import fit_advice
from .shift_windows import clock, outside_shift_words, parse_clock, parse_windows, shift_words, wait_words, windows_in_shift
from .tours import CAPPED_WORDS, ITERATIONS, TourPlan, plan_tours

DEFAULT_PRIORITY = {"school": 3, "kindergarten": 3, "bank": 3, "market": 2, "supermarket": 2,
                    "hospital": 2, "clinic": 1, "camera": 1, "townhall": 1, "enterprise": 1, "other": 1}
DEFAULT_WINDOWS = {"school": "07:30-08:00;16:30-17:30", "kindergarten": "07:30-08:00;16:30-17:30"}
STOP_COLUMNS = ["team", "seq", "place", "category", "station", "visit", "must", "priority", "arrive",
                "depart", "arrive_min", "depart_min", "dwell_min", "wait_min", "window", "src_id", "geometry"]
UNSERVED_COLUMNS = ["place", "src_id", "category", "must", "visit", "reason", "reason_zh", "reason_en"]
ROUTE_COLUMNS = ["team", "station", "stops", "length_km", "minutes", "start", "end", "mode", "geometry"]


@dataclass
class PatrolPlan:
    """Routes, ordered stops, unserved places and the route-card data of a patrol plan (what
    :func:`plan_patrol` returns).

    Attributes
    ----------
    stops : geopandas.GeoDataFrame
        The stops in visiting order per team.
    routes : geopandas.GeoDataFrame
        One line per team along the roads.
    unserved : pandas.DataFrame
        Places no team visits, with the reason code and words (``reason``, ``reason_zh``,
        ``reason_en``).
    tours : TourPlan
        The solver's plan on the travel-time matrix.
    mode, start : str
        The travel mode and the clock time the shift starts (``08:00``).
    shift_minutes : float
        The shift.
    notes : list of (str, str)
        Notes for the planner (Chinese, English), printed with the summary.
    hotspots : geopandas.GeoDataFrame or None
        Hot spots with the team and time of their visit.
    """

    stops: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame
    unserved: pd.DataFrame
    tours: TourPlan
    mode: str
    start: str
    shift_minutes: float
    notes: list[tuple[str, str]] = field(default_factory=list)
    hotspots: gpd.GeoDataFrame | None = None  # hot spots with the team and time of their visit

    def route_cards(self) -> list[dict]:
        """What a printed route card needs, per team: header, totals, and the stop list."""
        cards = []
        for r in self.routes.itertuples():
            st = self.stops[self.stops["team"] == r.team].sort_values("seq")
            cards.append({
                "team": int(r.team), "station": r.station, "mode": self.mode, "mode_zh": MODE_ZH[self.mode],
                "start": r.start, "end": r.end, "minutes": round(float(r.minutes), 1),
                "length_km": round(float(r.length_km), 2),
                "stops": [{"seq": int(s.seq), "place": s.place, "category": s.category,
                           "category_zh": PLACE_CATEGORIES.get(s.category) or STOP_CATEGORIES.get(s.category,
                                                                                                  s.category),
                           "arrive": s.arrive, "depart": s.depart, "dwell_min": round(float(s.dwell_min), 1),
                           "wait_min": round(float(s.wait_min), 1),
                           "must": bool(s.must), "window": s.window} for s in st.itertuples()],
                "bounds": tuple(float(v) for v in r.geometry.bounds) if r.geometry is not None else None,
            })
        return cards

    def summary(self, lang: str = "zh") -> str:
        zh = [f"巡逻方案（{MODE_ZH[self.mode]}，{self.start} 起，班次 {self.shift_minutes:g} 分钟）"]
        en = [f"patrol plan ({self.mode}, from {self.start}, shift {self.shift_minutes:g} min)"]
        for r in self.routes.itertuples():
            st = self.stops[self.stops["team"] == r.team].sort_values("seq")
            waits = [(s.place, s.arrive, s.wait_min) for s in st.itertuples() if wait_words(s.wait_min)]
            total = sum(w for _, _, w in waits)
            wait_zh = (f"；途中等候共 {total:.0f} 分钟（" + "、".join(f"{p} {a} 前{wait_words(w)}" for p, a, w in waits)
                       + "）") if waits else ""
            wait_en = (f"; waiting {total:.0f} min in all (" + ", ".join(f"{wait_words(w, 'en')} before {p} at {a}"
                                                                         for p, a, w in waits) + ")") if waits else ""
            zh.append(f"  第{r.team}队（{r.station}）：{r.stops} 个点，{r.length_km:.1f} 公里，"
                      f"{r.minutes:.0f} 分钟，{r.start}–{r.end}{wait_zh}")
            en.append(f"  team {r.team} ({r.station}): {count_en(r.stops, 'stop')}, {r.length_km:.1f} km, "
                      f"{r.minutes:.0f} min, {r.start}–{r.end}{wait_en}")
        if self.hotspots is not None and len(self.hotspots):
            seen = self.hotspots[self.hotspots["team"] > 0]
            zh.append(f"  警情热点：{len(self.hotspots)} 处，巡到 {len(seen)} 处（占警情 {seen['share'].sum():.0%}）")
            en.append(f"  hot spots: {len(seen)} of {len(self.hotspots)} visited ({seen['share'].sum():.0%} of the "
                      "incidents)")
        for nz, ne in self.notes:
            zh.append(f"  {nz}")
            en.append(f"  {ne}")
        for lz, le, _must in unserved_lines(self.unserved):
            zh.append(f"  {lz}")
            en.append(f"  {le}")
        return "\n".join(zh if lang == "zh" else en if lang == "en" else zh + en)

    def unserved_record(self) -> list[dict]:
        """The places left out as the project keeps them (``parameters["patrol_unserved"]``): the
        routes panel and a reopened project show them, not only the log of the run."""
        cols = [c for c in ("place", "category", "must", "reason_zh", "reason_en") if c in self.unserved]
        return [{k: (bool(v) if k == "must" else str(v)) for k, v in row.items()}
                for row in self.unserved[cols].to_dict(orient="records")]


def unserved_lines(unserved) -> list[tuple[str, str, bool]]:
    """``(zh, en, must)`` per reason for the places no team visits (a DataFrame or the records of
    :meth:`PatrolPlan.unserved_record`): grouped by reason ("16 schools: time window 16:30-17:30",
    not 16 lines), the must-visit places first and called so — mixed in with the optional places an
    officer took 37 schools' gate duty for a detour the plan chose to skip."""
    uns = pd.DataFrame(list(unserved)) if not isinstance(unserved, pd.DataFrame) else unserved
    if not len(uns) or "place" not in uns:
        return []
    uns = uns.assign(reason_zh=uns["reason_zh"] if "reason_zh" in uns else "",
                     reason_en=uns["reason_en"] if "reason_en" in uns else "")
    must = uns["must"].astype(bool) if "must" in uns else pd.Series(False, index=uns.index)
    out = []
    for is_must in (True, False):
        part = uns[must == is_must]
        for (rz, re_), grp in part.groupby(["reason_zh", "reason_en"], sort=False):
            head_zh, head_en = ("必到地点未安排", "must-visit places not served") if is_must else ("未安排", "not served")
            out.append((f"{head_zh} {len(grp)} 处（{rz}）：" + "、".join(grp["place"].astype(str)),
                        f"{head_en}, {len(grp)} ({re_}): " + ", ".join(grp["place"].astype(str)), is_must))
    return out


#: Column names read for each patrol attribute of a place (the first one present is used).
PLACE_COLUMNS = {
    "priority": ("priority", "优先级", "重要性", "等级"),
    "must": ("must", "必到", "是否必到", "必巡"),
    "dwell": ("dwell", "停留", "停留分钟", "停留时间"),
    "visits": ("visits", "频次", "巡查次数", "次数", "每班次数"),
    "window": ("window", "time_window", "时间窗", "巡逻时段", "时段"),
    "prize": ("prize",),  # worth of an optional place in minutes of travel (hot spots set it)
}
_TRUE_WORDS = {"1", "yes", "y", "true", "t", "是", "必到", "必巡", "√"}
_LEVELS = {"高": 3, "中": 2, "低": 1, "high": 3, "medium": 2, "low": 1}


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""


def _col(gdf, name, default):
    col = next((c for c in PLACE_COLUMNS.get(name, (name,)) if c in gdf), None)
    if col is None:
        return [default] * len(gdf)
    return [default if _missing(v) else v for v in gdf[col]]


def _number(v, default):
    if _missing(v):
        return default
    if isinstance(v, str) and v.strip().lower() in _LEVELS:
        return float(_LEVELS[v.strip().lower()])
    m = re.match(r"^\s*(-?\d+(?:\.\d+)?)", str(v))
    return float(m.group(1)) if m else default


def _truthy(v) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return bool(v)
    return str(v).strip().lower() in _TRUE_WORDS


def check_patrol_options(*, teams: int = 1, shift_minutes: float = 240, dwell_minutes: float = 5,
                         hotspot_dwell: float = 12.0, max_stops: int | None = None,
                         iterations: int | None = None, time_limit: float | None = None) -> None:
    """Refuse a patrol option out of range with an :class:`~gridtool.errors.OptionError` naming it.

    :func:`plan_patrol` checks them first; ``gridtool patrol`` calls this before reading the project
    and building the road graph, so a mistyped option is refused at once, not after seconds of work."""
    check_at_least(teams, 1, name="teams", zh="队伍数", flag="--teams", example=2)
    check_positive(shift_minutes, name="shift_minutes", zh="班次分钟", flag="--shift", example=240)
    check_at_least(dwell_minutes, 0, name="dwell_minutes", zh="每点停留分钟", flag="--dwell", example=5)
    check_at_least(hotspot_dwell, 0, name="hotspot_dwell", zh="热点停留分钟", flag="--dwell", example=12)
    if max_stops is not None:
        check_at_least(max_stops, 1, name="max_stops", zh="每队最多点数", flag="--max-stops", example=20)
    if iterations is not None:
        check_at_least(iterations, 1, name="iterations", zh="迭代次数", flag="--iterations", example=ITERATIONS)
    if time_limit is not None:  # plan_tours refuses it too, but only after the graph and the matrix
        check_positive(time_limit, name="time_limit", zh="求解秒数", flag="--time-limit", example=30)


def plan_patrol(
    graph: RoadGraph,
    stations: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame,
    *,
    teams: int = 1,
    shift_minutes: float = 240,
    start: str = "08:00",
    dwell_minutes: float = 5,
    must_priority: int = 3,
    prize_minutes: float = 10,
    max_stops: int | None = None,
    max_minutes: float | None = None,
    balance: bool = True,
    time_limit: float = 30.0,
    seed: int = 0,
    iterations: int | None = None,
    strict: bool = True,
    max_snap: float = 300.0,
    depot: str | None = None,
    hotspots=None,
    hotspot_dwell: float = 12.0,
    hotspot_window_hours: float = 2.0,
    progress=None,
    cancelled=None,
) -> PatrolPlan:
    """Plan patrol routes for ``teams`` teams from ``stations`` through ``places``.

    Parameters
    ----------
    graph
        Road graph of the travel mode.
    stations
        Points (``name``); teams are spread over them (the first stations get the remainder).
    places
        Points or polygons with ``name``, ``category`` and the optional columns described in the
        module docstring. Places of category ``police`` are stations, not stops, and are skipped.
        May be None or empty when ``hotspots`` are given.
    teams, shift_minutes, start
        Number of teams, shift length (minutes) and start time ("HH:MM").
    dwell_minutes
        Default time at each place (a ``dwell`` column overrides it per place).
    must_priority
        Places with at least this priority are must-visit unless ``must`` says otherwise.
    prize_minutes
        Worth of one priority level of an optional place, in minutes of extra travel.
    max_stops, max_minutes
        Workload limit per team: visits, and minutes out (below the shift).
    balance
        Even out the teams' times (see :func:`plan_tours`).
    time_limit, seed, iterations
        As :func:`plan_tours`: the search stops on ``iterations`` (None: the default), so the same
        inputs and seed give the same routes in the app and the CLI; ``time_limit`` (seconds) is a
        safety cap, and a plan it cut short says so in ``notes``.
    strict
        Raise :class:`UnreachableError` naming must-visit places that cannot be reached, and
        :class:`InfeasibleError` naming those that do not fit, each with its reason (time window,
        shift, workload); with False both are listed in ``unserved`` (columns ``reason``: a code
        of :data:`gridtool.routing.tours.REASONS` or ``"outside_shift"``, ``reason_zh``,
        ``reason_en``). (Finding which places do not fit takes a second solve of ``time_limit``
        seconds.)
    depot
        Name of one station: every team starts and ends there. Raises :class:`GridtoolError`
        listing the station names when no station has that name.
    hotspots, hotspot_dwell, hotspot_window_hours
        A :class:`~gridtool.routing.hotspots.HotSpots` (from ``find_hotspots``): each hot spot
        becomes an optional stop worth its share of the incidents, with ``hotspot_dwell`` minutes
        there and a window of ``hotspot_window_hours`` at its peak in the shift (see
        :meth:`HotSpots.patrol_places`).

    Returns
    -------
    PatrolPlan
    """
    check_patrol_options(teams=teams, shift_minutes=shift_minutes, dwell_minutes=dwell_minutes,
                         hotspot_dwell=hotspot_dwell, max_stops=max_stops, iterations=iterations,
                         time_limit=time_limit)
    if len(stations) == 0:
        raise EmptyLayerError("没有站点（派出所、警务室）", "there are no stations", layer="stations",
                              fix_zh="用 --stations 传入站点图层，或在场所图层中标出站点类别。",
                              fix_en="give the stations with --stations, or mark them in the places layer.")
    t_start = parse_clock(start)
    stations = pick_depot(stations, depot)
    if hotspots is not None and len(hotspots.spots):
        hp = hotspots.patrol_places(start_minutes=t_start, shift_minutes=float(shift_minutes), teams=teams,
                                    dwell_minutes=hotspot_dwell, window_hours=hotspot_window_hours,
                                    prize_minutes=prize_minutes)
        if places is None or not len(places):
            places = hp
        else:
            hp = hp.to_crs(places.crs) if places.crs is not None and hp.crs is not None else hp
            places = gpd.GeoDataFrame(pd.concat([places, hp], ignore_index=True), geometry="geometry",
                                      crs=places.crs)
    if places is None or not len(places):
        raise GridtoolError("没有巡逻地点：既无重点场所也无警情热点", "nothing to patrol: no key places and no hot spots",
                            fix_zh="用 --places 传入重点场所，或用 --incidents 传入警情。",
                            fix_en="give key places with --places, or incidents with --incidents.", layer="places")
    cat = [str(c).lower() for c in _col(places, "category", "other")]
    keep = np.array([c != "police" for c in cat])
    places = places.iloc[np.flatnonzero(keep)].reset_index(drop=True)
    cat = [c for c, k in zip(cat, keep) if k]
    pnames = _names(places, "地点", graph)
    snames = _names(stations, "站点", graph)
    prio = [_number(p, float(DEFAULT_PRIORITY.get(c, 1))) for p, c in zip(_col(places, "priority", None), cat)]
    must_col = _col(places, "must", None)
    must = [_truthy(m) if m is not None else p >= must_priority for m, p in zip(must_col, prio)]
    dwell = [max(0.0, _number(d, dwell_minutes)) for d in _col(places, "dwell", dwell_minutes)]
    visits = [max(1, int(_number(v, 1))) for v in _col(places, "visits", 1)]
    win_text = [w if w is not None else DEFAULT_WINDOWS.get(c) for w, c in zip(_col(places, "window", None), cat)]
    worth = [_number(z, None) for z in _col(places, "prize", None)]
    unserved = []

    def unserve(i, zh, en, code, visit=1):
        unserved.append({"place": pnames[i], "src_id": str(places["src_id"].iloc[i]) if "src_id" in places else str(i),
                         "category": cat[i], "must": must[i], "visit": visit, "reason": code,
                         "reason_zh": zh, "reason_en": en})

    # snap and reachability
    pts = places.geometry.values
    st_sn = snap(graph, stations.geometry.values, max_distance=max_snap)
    off_road = [snames[s] for s in np.flatnonzero(~st_sn.ok)]
    if not st_sn.ok.any():
        zh, en = off_road_words(off_road, max_snap, "没有站点可以出发", "no team can set out")
        raise UnreachableError(zh, en, fix_zh=OFF_ROAD_FIX_ZH + "也可换一种出行方式。",
                               fix_en=OFF_ROAD_FIX_EN + " Or try another mode.", layer="stations")
    # A station left out sends no team: said with the plan, or its patrols vanish without a word.
    notes = [off_road_words(off_road, max_snap, f"未派巡逻队。解决办法：{OFF_ROAD_FIX_ZH}",
                            f"they send no team. Fix: {OFF_ROAD_FIX_EN}")] if off_road else []
    pl_sn = snap(graph, pts, max_distance=max_snap)
    all_sn = _concat(st_sn, pl_sn)
    if progress:
        progress(0.05, "计算路网通行时间 / network travel times")
    tm = travel_matrix(graph, all_sn)
    ns = len(stations)
    active_st = [s for s in range(ns) if st_sn.ok[s]]
    reach = np.zeros(len(places), dtype=bool)
    for s in active_st:
        reach |= np.isfinite(tm[s, ns:]) & np.isfinite(tm[ns:, s])
    bad = [i for i in range(len(places)) if not reach[i]]
    if bad and strict and any(must[i] for i in bad):
        names = [_label(places, i, pnames) for i in bad if must[i]]
        raise UnreachableError(
            f"以下必到地点无法从站点经道路到达：{'、'.join(names)}",
            f"these must-visit places cannot be reached from the stations by road ({graph.mode}): {', '.join(names)}",
            fix_zh=f"检查这些地点的位置（{max_snap:.0f} 米内需有道路）、道路是否连通，或将其设为可选（must=否）；"
                   "也可加 --lenient 把它们列为未安排，其余照常排线（桌面程序的巡逻对话框即如此）。",
            fix_en=f"check their positions (a road within {max_snap:.0f} m), that the roads connect, "
                   "or make them optional (must=false); or add --lenient to list them as unplanned and plan "
                   "the rest (as the app's patrol dialog does).", layer="places")
    near = near_any_road(graph, pts, max_distance=max_snap)
    for i in bad:
        far = not pl_sn.ok[i] and not near[i]
        unserve(i, f"{max_snap:.0f} 米内无道路" if far else "附近道路与站点所在路网不连通",
                f"no road within {max_snap:.0f} m" if far else "its roads are not connected to the stations' roads",
                "unreachable")

    # visits -> clients
    shift = float(shift_minutes)
    stops_place, stops_visit, tws, svc, prz = [], [], [], [], []
    for i in range(len(places)):
        if not reach[i]:
            continue
        try:
            written = parse_windows(win_text[i])
        except ValueError:
            raise GridtoolError(
                f"地点 {_label(places, i, pnames)} 的时间窗无法识别：{win_text[i]!r}",
                f"the time window of place {_label(places, i, pnames)} is not understood: {win_text[i]!r}",
                fix_zh="写成 07:30-08:00，多个时段用分号分隔：07:30-08:00;16:30-17:30。",
                fix_en="write it as 07:30-08:00; several as 07:30-08:00;16:30-17:30.",
                layer="places", field="window") from None
        wins = windows_in_shift(written, t_start, shift)  # minutes after the start, on any day of the shift
        if written and not wins:
            unserve(i, *outside_shift_words(str(win_text[i]), written, t_start, shift), "outside_shift")
            continue
        for k in range(visits[i]):
            lo, hi = (shift * k / visits[i], shift * (k + 1) / visits[i]) if visits[i] > 1 else (0.0, shift)
            # a window that only touches this visit's part of the shift leaves no time to be there
            w = [(max(a, lo), min(b, hi)) for a, b in (wins or [(0.0, shift)])]
            w = [(a, b) for (a, b), (wa, wb) in zip(w, wins or [(0.0, shift)]) if a < b or (wa == wb and lo <= wa <= hi)]
            if not w:
                unserve(i, f"第{k + 1}次巡查的时段不在时间窗内", f"visit {k + 1} has no window in its half of the shift",
                        "time_window", k + 1)
                continue
            stops_place.append(i)
            stops_visit.append(k + 1)
            tws.append(None if not wins and visits[i] == 1 else [(a * 60, b * 60) for a, b in w])
            svc.append(dwell[i] * 60)
            prz.append(np.inf if must[i] else (worth[i] if worth[i] is not None else prio[i] * prize_minutes) * 60)
    idx = np.array(active_st + [ns + i for i in stops_place], dtype=int)
    m = tm[np.ix_(idx, idx)]
    nd = len(active_st)
    per = [teams // nd + (1 if k < teams % nd else 0) for k in range(nd)]
    if 0 < teams < nd and stops_place:
        # Fewer teams than stations (a county's 50 stations, 3 teams): the teams set out from the
        # stations nearest the places to patrol (greedy p-median on round trips), not the first
        # ones in the file, which can lie across the island from every stop.
        per = _team_stations(m, nd, teams)
        chosen = [snames[active_st[d]] for d, k in enumerate(per) if k]
        notes.append((f"{nd} 个站点、{teams} 个队：各队从离巡逻点最近的站点出发（{'、'.join(chosen)}，"
                      "按到各巡逻点往返用时之和最小选定）；可用 --depot 站点名 指定出发站点",
                      f"{count_en(nd, 'station')}, {count_en(teams, 'team')}: the teams set out from the stations "
                      f"nearest the places ({', '.join(chosen)}, the least sum of round trips to the stops); "
                      "name one with --depot NAME"))
    kw = {}
    if max_stops:
        kw.update(demands=[0] * nd + [1] * len(stops_place), capacity=int(max_stops))
    limit = min(shift, max_minutes) if max_minutes else shift
    stop_names = [pnames[i] for i in stops_place]
    names = [snames[s] for s in active_st] + stop_names
    plan = plan_tours(
        m, teams=per, depot=list(range(nd)), max_duration=limit * 60,
        service_times=[0.0] * nd + svc, time_windows=[None] * nd + tws,
        prizes=[np.inf] * nd + prz, time_limit=time_limit, seed=seed, iterations=iterations,
        balance=balance and teams > 1, strict=False, names=names, progress=None, cancelled=cancelled, **kw)
    if not plan.feasible:
        # Some must-visit places do not fit: find which by making them optional with a prize far
        # above any detour, so the solver drops as few as it can.
        big = shift * 60 * 2.0  # more than any detour within one shift
        relaxed = plan_tours(
            m, teams=per, depot=list(range(nd)), max_duration=limit * 60,
            service_times=[0.0] * nd + svc, time_windows=[None] * nd + tws,
            prizes=[np.inf] * nd + [big if not np.isfinite(p) else p for p in prz],
            time_limit=time_limit, seed=seed, iterations=iterations, balance=balance and teams > 1,
            balance_share=0.2, strict=False, names=names, cancelled=cancelled, **kw)
        if sum(must[stops_place[j - nd]] for j in relaxed.unvisited) <= sum(
                must[stops_place[j - nd]] for j in plan.unvisited):
            plan = relaxed
    def shown(j):  # the windows that lie in the shift, as clock times
        return ";".join(f"{clock(t_start + a / 60)}-{clock(t_start + b / 60)}" for a, b in (tws[j - nd] or []))
    why = {j: _reason_words(code, shown(j), max_stops, max_minutes, shift) for j, code in plan.reasons.items()}
    missing = [j for j in plan.unvisited if must[stops_place[j - nd]]]
    if missing and strict:
        from .tours import InfeasibleError
        # grouped by reason: thirty schools due at 07:30 read as one list, not thirty clauses
        groups: dict = {}
        for j in missing:
            groups.setdefault(why[j], []).append(_label(places, stops_place[j - nd], pnames))
        listed_zh = "；".join(f"{wz}：{'、'.join(ls)}" for (wz, _), ls in groups.items())
        listed_en = "; ".join(f"{we}: {', '.join(ls)}" for (_, we), ls in groups.items())
        # advice for the case at hand: more teams do not help a window no team can reach in time
        fix_zh, fix_en, _ = fit_advice(
            m, nd, missing, tws, svc, depots=[d for d, k in enumerate(per) if k > 0], limit=limit * 60,
            start=t_start, shift=shift, teams=teams, max_stops=max_stops,
            labels={j: _label(places, stops_place[j - nd], pnames) for j in missing},
            served=[j for r in plan.routes for j in r if must[stops_place[j - nd]]])
        err = InfeasibleError(
            f"有 {len(missing)} 个必到地点排不进巡逻路线（班次 {shift_words(t_start, shift)}）：{listed_zh}",
            f"{count_en(len(missing), 'must-visit place')} cannot be fitted into the patrol routes (shift "
            f"{clock(t_start)}–{clock(t_start + shift)}): {listed_en}",
            fix_zh=fix_zh, fix_en=fix_en, layer="places")
        err.stops = {pnames[stops_place[j - nd]]: plan.reasons[j] for j in missing}
        raise err
    for j in plan.unvisited:
        i = stops_place[j - nd]
        unserve(i, why[j][0], why[j][1], plan.reasons[j], stops_visit[j - nd])
    if progress:
        progress(0.8, "生成路线几何 / route geometry")

    # -- layers -----------------------------------------------------------------------------------
    stop_rows, route_rows = [], []
    for t, route in enumerate(plan.routes):
        d = plan.depots[t]
        s_idx = active_st[d]
        if not route:
            continue
        legs = [idx[d]] + [idx[j] for j in route] + [idx[d]]
        coords: list = []
        for a, b in zip(legs[:-1], legs[1:]):
            c = _leg_coords(graph, all_sn, int(a), int(b))
            coords.extend(c if not coords else c[1:])
        prev, left = d, 0.0
        for k, j in enumerate(route):
            i = stops_place[j - nd]
            arr_min = plan.arrivals[t][k] / 60
            dep_min = plan.departures[t][k] / 60
            # the team gets there early and waits for the window to open
            wait_min = max(0.0, arr_min - left - m[prev, j] / 60)
            prev, left = j, dep_min
            win = tws[j - nd]
            wu = plan.windows_used[t][k] if plan.windows_used else 0
            stop_rows.append({
                "team": t + 1, "seq": k + 1, "place": pnames[i], "category": cat[i],
                "station": snames[s_idx], "visit": stops_visit[j - nd], "must": must[i],
                "priority": prio[i], "arrive": clock(t_start + arr_min), "depart": clock(t_start + dep_min),
                "arrive_min": arr_min, "depart_min": dep_min, "dwell_min": dwell[i], "wait_min": round(wait_min, 1),
                "window": (f"{clock(t_start + win[wu][0] / 60)}-{clock(t_start + win[wu][1] / 60)}"
                           if win and not (win[wu][0] == 0 and win[wu][1] >= shift * 60) else ""),
                "src_id": str(places["src_id"].iloc[i]) if "src_id" in places else str(i),
                "geometry": places.geometry.iloc[i].representative_point()})
        length = float(shapely.length(shapely.linestrings(coords))) if len(coords) >= 2 else 0.0
        route_rows.append({"team": t + 1, "station": snames[s_idx], "stops": len(route),
                           "length_km": length / 1000, "minutes": plan.durations[t] / 60,
                           "start": clock(t_start), "end": clock(t_start + plan.durations[t] / 60),
                           "mode": graph.mode,
                           "geometry": shapely.linestrings(coords) if len(coords) >= 2 else None})
    if plan.time_capped:  # the routes then depend on the machine: never silently
        notes.append(CAPPED_WORDS)
    # A team asked for and given no stop has no route, card or line: said, or it vanishes unexplained
    idle = [(t + 1, snames[active_st[plan.depots[t]]]) for t, route in enumerate(plan.routes) if not route]
    if idle:
        notes.append(("、".join(f"第{t}队（{s}）" for t, s in idle) + "没有排到巡逻点，不出路线"
                      + ("；其余地点已由其他队伍排下" if not len(unserved) else "")
                      + "。可减少 --teams，或让各队同站出发（--depot 站点名）",
                      ", ".join(f"team {t} ({s})" for t, s in idle) + " got no stops and has no route"
                      + ("; the other teams take every place" if not len(unserved) else "")
                      + ". Ask for fewer --teams, or start every team at one station (--depot NAME)"))
    stops = gpd.GeoDataFrame(stop_rows or None, columns=STOP_COLUMNS, geometry="geometry", crs=graph.crs)
    routes = gpd.GeoDataFrame(route_rows or None, columns=ROUTE_COLUMNS, geometry="geometry", crs=graph.crs)
    uns = pd.DataFrame(unserved, columns=UNSERVED_COLUMNS)
    spots = None
    if hotspots is not None:
        spots = hotspots.spots.copy()
        first = stops[stops["category"] == "hotspot"].sort_values(["team", "seq"])
        visit = {p: (int(r.team), r.arrive) for p, r in zip(first["place"], first.itertuples())}
        spots["team"] = [visit.get(n, (0, ""))[0] for n in spots["name"]]
        spots["arrive"] = [visit.get(n, (0, ""))[1] for n in spots["name"]]
        hp_rows = {n: i for i, n in enumerate(pnames) if cat[i] == "hotspot"}
        spots["window"] = [win_text[hp_rows[n]] or "" if n in hp_rows else "" for n in spots["name"]]
        # Why a hot spot was not visited, in the console's words: the layer alone said only team 0.
        why = {str(r.place): str(r.reason_zh) for r in uns.itertuples()} if len(uns) else {}
        spots["not_visited"] = ["" if t else why.get(str(n), "未安排巡逻")
                                for n, t in zip(spots["name"], spots["team"])]
    if progress:
        progress(1.0, "完成 / done")
    return PatrolPlan(stops=stops, routes=routes, unserved=uns, tours=plan, mode=graph.mode,
                      start=clock(t_start), shift_minutes=shift, notes=notes, hotspots=spots)


def _reason_words(code: str, window, max_stops, max_minutes, shift) -> tuple[str, str]:
    """Chinese and English words for why a place is left out, with the limit that binds."""
    from .tours import reason_text
    if code == "time_window":
        w = str(window) if window else ""
        return (f"时间窗 {w} 内排不下（同一时段要去的地点太多或赶不到）" if w else "时间窗内排不下",
                f"does not fit its time window {w} (too many places due then, or too far)" if w
                else "does not fit its time window")
    if code == "workload":
        return (f"超出每队工作量上限（{max_stops} 个点）", f"over the workload limit ({count_en(max_stops, 'stop')} per team)")
    if code == "shift" and max_minutes and max_minutes < shift:
        return (f"超出每队时长上限（{max_minutes:g} 分钟）", f"over the time limit per team ({max_minutes:g} min)")
    if code == "shift":
        return ("班次内排不下", "does not fit in the shift")
    if code == "not_worth":
        return ("可选地点，绕行不划算", "optional; not worth the detour")
    return (reason_text(code, "zh"), reason_text(code, "en"))


def _team_stations(m: np.ndarray, nd: int, teams: int) -> list[int]:
    """Teams per station when there are fewer teams than stations: one team at each of the
    ``teams`` stations that, added one by one, most cut the sum over stops of the round trip from
    the nearest chosen station (the stations are ``m``'s first ``nd`` rows). Deterministic: ties go
    to the station listed first."""
    trip = m[:nd, nd:] + m[nd:, :nd].T  # station → stop → station, seconds
    trip = np.where(np.isfinite(trip), trip, 1e12)
    best = np.full(trip.shape[1], 1e13)
    chosen: list[int] = []
    for _ in range(teams):
        cost = np.minimum(trip, best).sum(axis=1)
        cost[chosen] = np.inf
        pick = int(np.argmin(cost))
        chosen.append(pick)
        best = np.minimum(best, trip[pick])
    return [1 if d in chosen else 0 for d in range(nd)]


def pick_depot(stations: gpd.GeoDataFrame, depot: str | None) -> gpd.GeoDataFrame:
    """The station named ``depot`` (exactly, else the only one whose name contains it), as a
    one-row layer; all stations when ``depot`` is None."""
    if depot is None:
        return stations
    # chosen on the command line: an unnamed station by its id in the file, which is unique
    from .demand import feature_names
    names = feature_names(stations, "站点")
    want = str(depot).strip()
    hit = [i for i, n in enumerate(names) if n == want] or [i for i, n in enumerate(names) if want and want in n]
    if len(hit) != 1:
        listed = "、".join(names[:30]) + ("…" if len(names) > 30 else "")
        listed_en = ", ".join(names[:30]) + ("…" if len(names) > 30 else "")
        what = "有多个站点名称包含" if hit else "没有名为"
        raise GridtoolError(
            f"{what}“{want}”的站点；现有站点：{listed}",
            f"{'several stations match' if hit else 'no station is named'} {want!r}; the stations are: {listed_en}",
            fix_zh="用 --depot 写出上列站点之一的完整名称。", fix_en="give --depot one of the names above, in full.",
            layer="stations", field="name")
    return stations.iloc[hit].reset_index(drop=True)


def _concat(a: Snapped, b: Snapped) -> Snapped:
    return Snapped(*(np.concatenate([getattr(a, f), getattr(b, f)]) for f in
                     ("piece", "t", "dist", "point", "exits", "exit_cost", "entries", "entry_cost")))


def _leg_coords(graph: RoadGraph, sn: Snapped, a: int, b: int) -> list:
    """Coordinates of the fastest road path between snapped features ``a`` and ``b``."""
    pa, pb = sn.point[a], sn.point[b]
    if a == b or (sn.piece[a] == sn.piece[b] and np.allclose(pa, pb)):
        return [tuple(pa)]
    from scipy.sparse.csgraph import dijkstra
    best = (np.inf, None)
    for x in range(2):
        ex = sn.exits[a, x]
        if ex < 0:
            continue
        d = dijkstra(graph.csr(), directed=True, indices=ex)
        for y in range(2):
            en = sn.entries[b, y]
            if en < 0:
                continue
            c = sn.exit_cost[a, x] + d[en] + sn.entry_cost[b, y]
            if c < best[0]:
                best = (c, (x, y))
    p = sn.piece[a]
    if p == sn.piece[b]:
        fe, be = graph.piece_edges[p]
        L = graph.length[fe]
        if sn.t[b] >= sn.t[a] or be >= 0:
            direct = abs(sn.t[b] - sn.t[a]) * graph.time[fe if sn.t[b] >= sn.t[a] else be]
            if direct <= best[0]:
                g = graph.geometry[p]
                if sn.t[b] >= sn.t[a]:
                    return list(map(tuple, shapely.get_coordinates(substring(g, sn.t[a] * L, sn.t[b] * L))))
                return list(map(tuple, shapely.get_coordinates(substring(g, sn.t[b] * L, sn.t[a] * L))[::-1]))
    if best[1] is None:
        return [tuple(pa), tuple(pb)]
    x, y = best[1]
    coords = [tuple(pa)]
    coords += _part(graph, sn.piece[a], sn.t[a], toward_v=(x == 0))
    for e in node_path(graph, int(sn.exits[a, x]), int(sn.entries[b, y])):
        coords += list(map(tuple, shapely.get_coordinates(graph.edge_geometry(e))))[1:]
    tail = _part(graph, sn.piece[b], sn.t[b], toward_v=(y == 1))
    coords += tail[::-1]
    coords.append(tuple(pb))
    return coords


def _part(graph: RoadGraph, p: int, t: float, *, toward_v: bool) -> list:
    """Coordinates from position ``t`` on piece ``p`` to its v end (or u end), excluding ``t``."""
    g = graph.geometry[p]
    L = shapely.length(g)
    if toward_v:
        seg = substring(g, t * L, L)
    else:
        seg = shapely.reverse(substring(g, 0, t * L))
    c = list(map(tuple, shapely.get_coordinates(seg)))
    return c[1:] if len(c) > 1 else c
