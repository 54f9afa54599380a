"""Incident hot spots on the road network (警情热点) and how many incidents a patrol passes.

Hot-spot policing puts patrols on the few street segments where most incidents happen, for short
stops (10–15 minutes: the "Koper curve" of residual deterrence). This module finds those segments
in an ``incidents`` layer and turns them into patrol stops for :func:`plan_patrol`:

1. **Snap.** Each incident goes to the nearest street of the graph's main network within
   ``max_snap`` metres (a position along the street, as for places). Incidents farther away are
   counted and reported, never silently left out of the totals.
2. **Network kernel density** (NKDE). Every street is cut into stretches ("lixels") of at most
   ``lixel`` metres; the density at each stretch's centre is Σ K(d / h) / h over the incidents,
   with d the distance *along the streets* (both ways: an incident is on the street whatever its
   one-way direction) and K the quartic kernel 15/16·(1 − u²)², the kernel of crime-mapping
   practice. This is the "simple" NKDE of Xie & Yan (2008): density is not split at junctions
   (Okabe's equal-split kernel would conserve mass at forks but needs a path enumeration per
   incident); for ranking the densest stretches, which is what patrols need, the two agree.
3. **Bandwidth h = 150 m** by default. Crime-and-place research measures concentration on street
   segments — one block face between two junctions, 100–200 m in Chinese towns — and a patrol stop
   covers about that: 150 m is two minutes' walk, what an officer paces during a 12-minute stop.
   A shorter bandwidth (50 m) splits one block's incidents by geocoding jitter (addresses land
   ±30 m along a street); a longer one (500 m) merges neighbouring blocks into area hot spots
   that one stop cannot cover. Change it with ``bandwidth``.
4. **Hot spots.** The densest stretch becomes hot spot 1; the incidents within ``radius``
   (default h / 2: the 150 m stretch centred on it) along the streets are its incidents; stretches
   within h of it are passed over, so hot spots never overlap; then the next densest, until
   ``max_spots`` or fewer than ``min_incidents`` incidents remain near the next peak. A peak is
   kept only when its count is well above chance: with the incidents spread evenly over the
   streets, its stretch would expect ``expected`` of them; the Poisson probability of seeing as
   many must be below ``significance`` divided by the number of such stretches in the network
   (Bonferroni), so that background noise does not become patrol stops. Each hot spot has its
   ``rank``, ``incidents``, ``share`` of all incidents given, ``expected``, the street, the main
   incident types and, where times are given, its ``peak_hours`` (the ``peak_width_hours``-long
   stretch of the day with most of its incidents).

Why by hand: network kernel density exists in R (spNetwork) and in desktop plugins, not in a
Python library gridtool can ship offline (PySAL's spaghetti has network K-functions, no NKDE);
the computation is a bounded Dijkstra per street piece with incidents (SciPy) and NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.stats import poisson
from shapely.ops import substring

from ..errors import EmptyLayerError, check_positive
from ..plurals import count_en
from ..incidents import category_summary
from .graph import RoadGraph
from .snapping import snap

HOTSPOT_COLUMNS = ["rank", "name", "incidents", "share", "expected", "peak_hours", "peak_incidents", "types",
                   "street", "density_per_km", "geometry"]


#: Why rows of an incidents table were not placed: the loader's problem code → words.
UNPLACED_REASONS = {"bad_coordinates": ("坐标为空", "no coordinates"),
                    "zero_coordinates": ("坐标为 0,0", "coordinates 0,0")}


def unplaced_counts(problems) -> dict[str, int]:
    """Rows of the incidents table left off the map, by reason (the loader's problems, which name
    the rows): ``{"bad_coordinates": 29, "zero_coordinates": 31}``."""
    out: dict[str, int] = {}
    for p in problems or ():
        if p.code in UNPLACED_REASONS:
            out[p.code] = out.get(p.code, 0) + len(p.features)
    return out


def headline(spots, *, total: int, on_network: int | None = None, max_snap: float = 100.0,
             bandwidth: float | None = None, unplaced: dict | None = None, by_address: int = 0,
             category: str = "", merged: int = 0, **_) -> tuple[str, str]:
    """The first line of the hot spots' summary, Chinese and English: incidents, hot spots and the
    incidents they hold. The command line prints it; the HTML map states it from the same figures.

    Parameters
    ----------
    spots
        The hot spots (``incidents`` per spot).
    total
        Incidents given.
    on_network, max_snap, bandwidth
        Incidents within ``max_snap`` metres of a street and the kernel bandwidth; left out of the
        line when None (a project saved before they were recorded).
    unplaced
        Rows of the table not placed, by reason (:func:`unplaced_counts`): the line then states
        rows in = placed + not placed, and the share is of the placed ones.
    by_address
        Of the placed rows, those placed by their address (:mod:`gridtool.address_match`), said
        as ``落图 A（其中按地址 B）``.
    category
        The categories kept (``patrol --category``): the line then counts those only and says so.
    merged
        Rows merged into an earlier row of the same incident (:mod:`gridtool.incidents_dupes`):
        the line then states rows in = placed + not placed + merged.
    """
    held = int(pd.to_numeric(spots["incidents"], errors="coerce").fillna(0).sum()) if len(spots) else 0
    share = held / total if total else 0.0
    near_zh = f"（{on_network} 条在道路 {max_snap:.0f} 米内）" if on_network is not None else ""
    near_en = f" ({on_network} within {max_snap:.0f} m of a street)" if on_network is not None else ""
    zh = f"警情 {total} 条{near_zh}；热点 {len(spots)} 处，含 {held} 条（{share:.0%}）"
    en = f"incidents: {total}{near_en}; {count_en(len(spots), 'hot spot')} holding {held} ({share:.0%})"
    if category:  # a filter: the placed calls of these categories only, said first
        zh = f"警情（只计类别 {category}）{total} 条{near_zh}；热点 {len(spots)} 处，含 {held} 条（{share:.0%}）"
        en = (f"incidents (categories {category} only): {total}{near_en}; {count_en(len(spots), 'hot spot')} holding "
              f"{held} ({share:.0%})")
    missing = sum((unplaced or {}).values())
    if (missing or by_address or merged) and not category:  # one total: rows in = placed + not placed, with why, wherever the line is shown
        why_zh = "、".join(f"{UNPLACED_REASONS[k][0]} {n}" for k, n in (unplaced or {}).items() if k in UNPLACED_REASONS)
        why_en = ", ".join(f"{UNPLACED_REASONS[k][1]} {n}" for k, n in (unplaced or {}).items()
                           if k in UNPLACED_REASONS)
        addr_zh = f"（其中按地址 {by_address}）" if by_address else ""
        addr_en = f" ({by_address} by address)" if by_address else ""
        why_zh = f"（{why_zh}；gridtool validate 列出行号）" if missing else ""
        why_en = f" ({why_en}; gridtool validate lists the rows)" if missing else ""
        merged_zh = f" + 重复合并 {merged}（同一警情的重复行，只计一次）" if merged else ""
        merged_en = f" + {merged} merged (repeated rows of one incident, counted once)" if merged else ""
        zh = (f"警情 {total + missing + merged} 条 = 落图 {total}{addr_zh or ' '}+ 未落图 {missing}{why_zh}{merged_zh}"
              f"{near_zh}；热点 {len(spots)} 处，含 {held} 条（占落图的 {share:.0%}）")
        en = (f"incidents: {total + missing + merged} = {total} placed{addr_en} + {missing} not placed{why_en}"
              f"{merged_en}{near_en}; {count_en(len(spots), 'hot spot')} holding {held} ({share:.0%} of those placed)")
    if bandwidth is not None:
        zh += f"；核密度带宽 {bandwidth:g} 米"
        en += f"; network kernel density, bandwidth {bandwidth:g} m"
    return zh, en


def _kernel(u: np.ndarray) -> np.ndarray:
    """Quartic (biweight) kernel on [0, 1): 15/16 (1 − u²)²; 0 beyond."""
    return np.where(u < 1.0, 15.0 / 16.0 * (1.0 - u * u) ** 2, 0.0)


@dataclass
class HotSpots:
    """What :func:`find_hotspots` returns.

    Attributes
    ----------
    spots : geopandas.GeoDataFrame
        One point per hot spot on its street (``rank``, ``name``, ``incidents``, ``share``,
        ``peak_hours`` such as ``"20:00-22:00"``, ``peak_incidents``, ``types``, ``street``,
        ``density_per_km``).
    streets : geopandas.GeoDataFrame
        The stretch of street of each hot spot (lines, ``rank``).
    incidents : geopandas.GeoDataFrame
        The incidents given, with ``hotspot`` (its rank, 0 for none) and ``snap_m`` (metres to
        the street; NaN when no street was near enough).
    total, on_network, timed : int
        Incidents given, placed on the network, and with an hour.
    bandwidth, radius, max_snap : float
        The parameters used, in metres.
    notes : list of str
        Notes for the planner.
    """

    spots: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    total: int
    on_network: int
    bandwidth: float
    radius: float
    timed: int = 0
    max_snap: float = 100.0
    notes: list[str] = field(default_factory=list)
    unplaced: dict = field(default_factory=dict)  # rows of the table not placed, by reason
    by_address: int = 0  # rows placed by their address (counted in total)
    category: str = ""  # the categories kept (patrol --category), "" for all
    merged: int = 0  # rows merged into an earlier row of the same incident (not in total)

    @property
    def share(self) -> float:
        """Share of all incidents given that lie in a hot spot."""
        return float(self.spots["incidents"].sum()) / self.total if self.total else 0.0

    def record(self) -> dict:
        """The figures the hot spots' summary line needs besides the spots (kept in a project's
        ``parameters["hotspots"]``, so that later maps state the same line)."""
        return {"total": int(self.total), "on_network": int(self.on_network), "max_snap": float(self.max_snap),
                "bandwidth": float(self.bandwidth), "radius": float(self.radius),
                "unplaced": {k: int(v) for k, v in self.unplaced.items()}, "by_address": int(self.by_address),
                "category": self.category, "merged": int(self.merged)}

    def summary(self, lang: str = "zh", top: int = 10) -> str:
        """The count line, then the first ``top`` hot spots (``top=0``: the line alone)."""
        zh, en = headline(self.spots, **self.record())
        lines_zh, lines_en = [zh], [en]
        for s in self.spots.head(top).itertuples():
            peak = f"，高发 {s.peak_hours}" if s.peak_hours else ""
            peak_en = f", peak {s.peak_hours}" if s.peak_hours else ""
            lines_zh.append(f"  {s.rank}. {s.street or '（无名道路）'}：{s.incidents} 条（{s.share:.1%}）{peak}"
                            + (f"；{s.types}" if s.types else ""))
            lines_en.append(f"  {s.rank}. {s.street or '(unnamed street)'}: {s.incidents} ({s.share:.1%}){peak_en}"
                            + (f"; {s.types}" if s.types else ""))
        return "\n".join(lines_zh if lang == "zh" else lines_en if lang == "en" else lines_zh + lines_en)

    def patrol_places(self, *, start_minutes: float, shift_minutes: float, teams: int = 1,
                      dwell_minutes: float = 12.0, window_hours: float = 2.0,
                      prize_minutes: float = 10.0) -> gpd.GeoDataFrame:
        """The hot spots as patrol places for :func:`plan_patrol`.

        Each is optional with a worth (``prize``, minutes of travel) above any optional key place:
        the top of the 1–5 priority scale (``5 × prize_minutes``) plus its share of the incidents
        times the teams' total shift time (a hot spot with 10 % of the incidents is worth
        50 + 48 minutes of detour to two teams on a 4-hour shift). Where incidents have times, the
        share is of those at the shift's hours of the day (:func:`shift_shares`): a night shift
        goes first to the hot spot of night-time fights, not to one whose thefts are all at noon.
        The base, too, counts only as far as the hot spot's calls fall in the shift's hours
        (:func:`shift_presence`): a hot spot with none then is worth the lowest priority level, so
        it ranks below key places like any optional place and a team goes there only on its way.
        Planning from incidents is
        asking for hot-spot patrols: they come before optional places, after must-visit ones.
        ``dwell`` is
        ``dwell_minutes``. Where its incidents have times, its ``window`` is the
        ``window_hours``-long stretch *of the shift* with most of them, if that stretch holds
        at least two and more than 1.5× an even spread would; the stop then starts early enough
        to end its dwell inside the window.
        """
        rows = []
        inc = self.incidents
        shift_end = start_minutes + shift_minutes
        shares = shift_shares(self.spots, inc, start_minutes, shift_minutes)
        presence = shift_presence(self.spots, inc, start_minutes, shift_minutes)
        for s in self.spots.itertuples():
            hours = inc.loc[inc["hotspot"] == s.rank, "hour"].dropna().to_numpy() if "hour" in inc else np.array([])
            window = _shift_window(hours, start_minutes, shift_end, window_hours, dwell_minutes)
            rows.append({"name": s.name, "category": "hotspot", "must": False,
                         # the 5-level base only as far as its calls happen at the shift's hours: an
                         # off-hours hot spot ranks as the lowest optional place, by its in-shift share
                         "prize": max(1.0, 5 * presence[int(s.rank)]) * prize_minutes
                         + shares[int(s.rank)] * shift_minutes * teams,
                         "dwell": dwell_minutes, "window": window, "hotspot": int(s.rank),
                         "src_id": f"hotspot {s.rank}", "geometry": s.geometry})
        return gpd.GeoDataFrame(rows or None, columns=["name", "category", "must", "prize", "dwell", "window",
                                                       "hotspot", "src_id", "geometry"],
                                geometry="geometry", crs=self.spots.crs)


def in_shift_hours(hours, start_minutes: float, shift_minutes: float) -> np.ndarray:
    """Which clock ``hours`` (21.5 = 21:30; NaN = unknown → False) fall in the shift's hours of the
    day, [start, start + shift) minutes after midnight, past midnight too."""
    h = np.asarray(hours, dtype=float)
    if shift_minutes >= 24 * 60:
        return np.isfinite(h)
    with np.errstate(invalid="ignore"):
        return np.isfinite(h) & (((h * 60.0 - start_minutes) % (24 * 60)) < shift_minutes)


def shift_shares(spots: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, start_minutes: float,
                 shift_minutes: float) -> dict[int, float]:
    """Each hot spot's (``rank`` →) share of the incidents that happen at the shift's hours of the
    day. A hot spot is worth what it holds when the team can be there: its share of the whole day
    counts 淮海路's noon thefts as much as 王府大街's 1 a.m. fights on a 23:00 shift. Hot spots
    whose incidents mostly lack a time (fewer than three timed), and all of them when no timed
    incident falls in the shift, keep their share of the day."""
    day = {int(s.rank): float(s.share) for s in spots.itertuples()}
    seen = _timed_in_shift(incidents, start_minutes, shift_minutes)
    if seen is None:
        return day
    inside, rank, timed = seen
    return {r: share if timed.get(r) is None else float((inside & (rank == r)).sum()) / float(inside.sum())
            for r, share in day.items()}


def _timed_in_shift(incidents: gpd.GeoDataFrame, start_minutes: float, shift_minutes: float):
    """``(inside, rank, timed)`` for the shift's hours: which incidents fall in them, each one's hot
    spot, and per hot spot whose times say something of the hour its count of timed incidents (too
    few times — fewer than three, or most untimed — say nothing: absent). None when no timed
    incident falls in the shift."""
    if "hour" not in incidents or not len(incidents):
        return None
    hours = pd.to_numeric(incidents["hour"], errors="coerce").to_numpy(dtype=float)
    inside = in_shift_hours(hours, start_minutes, shift_minutes)
    if not inside.any():
        return None
    rank = incidents["hotspot"].to_numpy() if "hotspot" in incidents else np.zeros(len(incidents), int)
    timed = {}
    for r in np.unique(rank):
        t = np.isfinite(hours[rank == r])
        if t.sum() >= 3 and t.sum() * 2 >= len(t):
            timed[int(r)] = int(t.sum())
    return inside, rank, timed


def shift_presence(spots: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, start_minutes: float,
                   shift_minutes: float) -> dict[int, float]:
    """How much each hot spot (``rank`` →) is one at the shift's hours, 0–1: the share of its timed
    incidents in the shift's hours of the day over the share an even spread over the day would put
    there, at most 1. 0: all its calls are at other hours (淮海路's 1 a.m. fights on a 20:00–24:00
    shift). 1 where the times say nothing, as :func:`shift_shares` keeps the day's share: fewer than
    three timed, most untimed, a whole-day shift or no timed incident of any hot spot in the shift."""
    out = {int(s.rank): 1.0 for s in spots.itertuples()}
    seen = None if shift_minutes >= 24 * 60 else _timed_in_shift(incidents, start_minutes, shift_minutes)
    if seen is None:
        return out
    inside, rank, timed = seen
    even = shift_minutes / (24 * 60)
    for r in out:
        if r in timed:
            out[r] = min(1.0, float((inside & (rank == r)).sum()) / float(timed[r]) / even)
    return out


def _clock(minutes: float) -> str:
    m = int(round(minutes)) % (24 * 60)
    return f"{m // 60:02d}:{m % 60:02d}"


def _shift_window(hours: np.ndarray, start: float, end: float, width_h: float, dwell: float) -> str | None:
    """The busiest ``width_h``-hour stretch of [start, end] (minutes after midnight, end may pass
    midnight) for incidents at ``hours``, as ``"HH:MM-HH:MM"`` of service starts; None when the
    incidents do not concentrate in the shift."""
    if len(hours) < 3 or end - start < width_h * 60:
        return None
    mins = (hours * 60.0) % (24 * 60)
    best = (0, None)
    for a in np.arange(start, end - width_h * 60 + 1e-9, 30.0):
        lo, hi = a % (24 * 60), (a + width_h * 60) % (24 * 60)
        inside = ((mins >= lo) & (mins < hi)) if lo < hi else ((mins >= lo) | (mins < hi))
        c = int(inside.sum())
        if c > best[0]:
            best = (c, a)
    count, a = best
    if a is None or count < 2 or count < 1.5 * len(hours) * width_h / 24.0:
        return None
    late = max(a, a + width_h * 60 - dwell)
    return f"{_clock(a)}-{_clock(late)}"


def peak_hours(hours: np.ndarray, width_h: int = 2) -> tuple[str, int]:
    """The ``width_h``-hour stretch of the day (whole hours, across midnight) with most incidents:
    ``("20:00-22:00", 7)``; ``("", 0)`` with fewer than three timed incidents."""
    h = np.asarray(hours, dtype=float)
    h = h[np.isfinite(h)]
    if len(h) < 3:
        return "", 0
    counts = np.bincount(np.floor(h).astype(int) % 24, minlength=24)
    roll = sum(np.roll(counts, -k) for k in range(width_h))
    a = int(np.argmax(roll))
    return f"{a:02d}:00-{(a + width_h) % 24:02d}:00", int(roll[a])


def _length_csr(graph: RoadGraph, pieces: np.ndarray):
    plen = shapely.length(graph.geometry)
    u, v, w = graph.piece_u[pieces], graph.piece_v[pieces], np.maximum(plen[pieces], 1e-3)
    n = graph.n_nodes
    a = np.concatenate([u, v])
    b = np.concatenate([v, u])
    ww = np.concatenate([w, w])
    key = a.astype(np.int64) * n + b
    order = np.lexsort((ww, key))
    first = np.ones(len(order), bool)
    first[1:] = key[order][1:] != key[order][:-1]
    keep = order[first]
    return sparse.csr_matrix((ww[keep], (a[keep], b[keep])), shape=(n, n)), plen


class _Net:
    """Street pieces of the main network cut into lixels, with what distance queries need."""

    def __init__(self, graph: RoadGraph, lixel: float):
        self.g = graph
        self.main = np.flatnonzero(graph.component[graph.piece_u] == graph.main_component)
        self.csr, self.plen = _length_csr(graph, self.main)
        n_lix = np.maximum(1, np.ceil(self.plen[self.main] / lixel).astype(int))
        self.lix_piece = np.repeat(self.main, n_lix)
        k = np.arange(len(self.lix_piece)) - np.repeat(np.cumsum(n_lix) - n_lix, n_lix)
        step = self.plen[self.lix_piece] / np.repeat(n_lix, n_lix)
        self.lix_x = (k + 0.5) * step          # centre, metres from the piece's u end
        self.lix_half = step / 2
        self.lix_start = np.full(len(graph.geometry), -1)
        self.lix_count = np.zeros(len(graph.geometry), dtype=int)
        self.lix_start[self.main] = np.cumsum(n_lix) - n_lix
        self.lix_count[self.main] = n_lix
        # node -> main pieces touching it
        nodes = np.concatenate([graph.piece_u[self.main], graph.piece_v[self.main]])
        pcs = np.concatenate([self.main, self.main])
        self.node_pieces = sparse.csr_matrix((np.ones(len(nodes)), (nodes, pcs)),
                                             shape=(graph.n_nodes, len(graph.geometry)))

    def lixels_of(self, pieces: np.ndarray) -> np.ndarray:
        pieces = pieces[self.lix_count[pieces] > 0]
        if not len(pieces):
            return np.zeros(0, dtype=int)
        return np.concatenate([np.arange(self.lix_start[p], self.lix_start[p] + self.lix_count[p]) for p in pieces])

    def near_pieces(self, reach_nodes: np.ndarray, own: int) -> np.ndarray:
        sub = self.node_pieces[reach_nodes]
        return np.union1d(np.unique(sub.indices), [own])

    def from_point(self, p: int, x: np.ndarray, du: np.ndarray, dv: np.ndarray, q_piece: np.ndarray,
                   y: np.ndarray) -> np.ndarray:
        """Distances (len(x) × len(y)) from points at ``x`` on piece ``p`` (node distances of its
        ends ``du``, ``dv``) to points at ``y`` on pieces ``q_piece``."""
        g = self.g
        L = self.plen[p]
        a, b = g.piece_u[q_piece], g.piece_v[q_piece]
        Lq = self.plen[q_piece]
        x = np.asarray(x, dtype=float)[:, None]
        da = np.minimum(x + du[a][None, :], (L - x) + dv[a][None, :])
        db = np.minimum(x + du[b][None, :], (L - x) + dv[b][None, :])
        d = np.minimum(da + y[None, :], db + (Lq - y)[None, :])
        same = q_piece == p
        if same.any():
            d[:, same] = np.minimum(d[:, same], np.abs(x - y[same][None, :]))
        return d


def find_hotspots(
    graph: RoadGraph,
    incidents: gpd.GeoDataFrame,
    *,
    bandwidth: float = 150.0,
    radius: float | None = None,
    lixel: float = 10.0,
    max_spots: int = 20,
    min_incidents: int = 3,
    max_snap: float = 100.0,
    peak_width_hours: int = 2,
    significance: float | None = 0.05,
) -> HotSpots:
    """Hot spots of ``incidents`` on the streets of ``graph`` (see the module docstring).

    Parameters
    ----------
    graph
        Road graph (any mode; distances are along the streets, both ways).
    incidents
        Points in the graph's CRS; optional ``hour`` (hour of day, float) and ``type`` columns,
        as the ``incidents`` role provides.
    bandwidth
        Kernel bandwidth h in metres along the streets (default 150: one block face).
    radius
        Metres along the streets around a hot spot's centre whose incidents are its own (default
        ``bandwidth / 2``).
    lixel
        Length of the street stretches the density is evaluated on (metres).
    max_spots, min_incidents
        At most this many hot spots, each with at least this many incidents.
    max_snap
        Incidents farther than this from every street are not placed on the network (counted).
    peak_width_hours
        Width of the peak-hours stretch reported per hot spot.
    significance
        Family-wise level of the test against an even spread (see above); None keeps every peak
        with ``min_incidents``.

    Returns
    -------
    HotSpots
        The hot spots, their streets and the incidents with the hot spot they belong to.

    Raises
    ------
    EmptyLayerError
        No incident is within ``max_snap`` of a street.
    """
    check_positive(bandwidth, name="bandwidth", zh="热点带宽（米）", flag="--hotspot-bandwidth", example=300)
    check_positive(lixel, name="lixel", zh="路段切分长度（米）", example=20)
    radius = bandwidth / 2 if radius is None else float(radius)
    pts = incidents.geometry.values
    pts = np.asarray(shapely.point_on_surface(pts) if len(pts) else pts, dtype=object)
    sn = snap(graph, pts, max_distance=max_snap)
    ok = sn.ok
    total = len(incidents)
    if not ok.any():
        raise EmptyLayerError(
            f"没有一条警情在道路 {max_snap:.0f} 米以内", f"no incident lies within {max_snap:.0f} m of a street",
            fix_zh="检查警情坐标和坐标系，以及道路图层是否覆盖警情所在区域。",
            fix_en="check the incidents' coordinates and CRS, and that the roads cover their area.",
            layer="incidents")
    net = _Net(graph, lixel)
    inc_idx = np.flatnonzero(ok)
    inc_piece = sn.piece[ok]
    inc_x = sn.t[ok] * net.plen[inc_piece]
    density = np.zeros(len(net.lix_piece))
    h = float(bandwidth)
    order = np.argsort(inc_piece, kind="stable")
    src_pieces, first = np.unique(inc_piece[order], return_index=True)
    bounds = np.r_[first, len(order)]
    chunk = max(1, min(64, 4_000_000 // max(1, graph.n_nodes)))
    for c0 in range(0, len(src_pieces), chunk):
        ps = src_pieces[c0:c0 + chunk]
        nodes = np.unique(np.concatenate([graph.piece_u[ps], graph.piece_v[ps]]))
        D = dijkstra(net.csr, directed=False, indices=nodes, limit=h)
        row = {int(n): i for i, n in enumerate(nodes)}
        for k, p in enumerate(ps, start=c0):
            xs = inc_x[order[bounds[k]:bounds[k + 1]]]
            du, dv = D[row[int(graph.piece_u[p])]], D[row[int(graph.piece_v[p])]]
            reach = np.flatnonzero(np.isfinite(du) | np.isfinite(dv))
            lix = net.lixels_of(net.near_pieces(reach, int(p)))
            d = net.from_point(int(p), xs, du, dv, net.lix_piece[lix], net.lix_x[lix])
            density[lix] += _kernel(d / h).sum(axis=0) / h
    density_km = density * 1000.0

    # -- peaks -------------------------------------------------------------------------------
    hours = pd.to_numeric(incidents["hour"], errors="coerce").to_numpy() if "hour" in incidents else \
        np.full(total, np.nan)
    types = incidents["type"].to_numpy(dtype=object) if "type" in incidents else np.full(total, None, dtype=object)
    claimed = np.zeros(total, dtype=bool)
    member_of = np.zeros(total, dtype=int)
    suppressed = np.zeros(len(density), dtype=bool)
    floor = min_incidents * float(_kernel(np.array([radius / h]))[0]) / h  # below it, fewer than
    rows, lines = [], []                                                 # min_incidents within radius
    net_len = float(net.plen[net.main].sum())
    per_m = ok.sum() / net_len if net_len else 0.0
    alpha = None if significance is None else significance / max(1.0, net_len / (2 * radius))
    chance = 0
    for li in np.argsort(-density, kind="stable"):
        if len(rows) >= max_spots or density[li] < floor - 1e-12:
            break
        if suppressed[li]:
            continue
        p, y = int(net.lix_piece[li]), float(net.lix_x[li])
        D = dijkstra(net.csr, directed=False, indices=[graph.piece_u[p], graph.piece_v[p]], limit=h + 1e-6)
        du, dv = D[0], D[1]
        reach = np.flatnonzero(np.isfinite(du) | np.isfinite(dv))
        near = net.near_pieces(reach, p)
        lix = net.lixels_of(near)
        dl = net.from_point(p, np.array([y]), du, dv, net.lix_piece[lix], net.lix_x[lix])[0]
        suppressed[lix[dl <= h]] = True
        cand = inc_idx[np.isin(inc_piece, near) & ~claimed[inc_idx]]
        if len(cand):
            di = net.from_point(p, np.array([y]), du, dv, sn.piece[cand], sn.t[cand] * net.plen[sn.piece[cand]])[0]
            members = cand[di <= radius]
        else:
            members = cand
        if len(members) < min_incidents:
            continue
        sel = lix[dl <= radius]
        expected = per_m * float(2 * net.lix_half[sel].sum())
        if alpha is not None and poisson.sf(len(members) - 1, max(expected, 1e-9)) > alpha:
            chance += 1
            continue
        rank = len(rows) + 1
        claimed[members] = True
        member_of[members] = rank
        ph, pc = peak_hours(hours[members], peak_width_hours)
        street = str(graph.names[p] or "")
        if not street:  # an unnamed lane: the nearest named street it joins
            named = [q for q in near if graph.names[q]]
            street = str(graph.names[named[0]]) if named else ""
        point = shapely.line_interpolate_point(graph.geometry[p], y)
        rows.append({"rank": rank, "name": f"热点{rank}" + (f" {street}" if street else ""),
                     "incidents": int(len(members)), "share": len(members) / total,
                     "expected": round(expected, 2), "peak_hours": ph,
                     "peak_incidents": pc, "types": category_summary(types[members]),
                     "street": street, "density_per_km": float(density_km[li]), "geometry": point})
        segs = [substring(graph.geometry[q], max(0.0, x - hh), min(net.plen[q], x + hh))
                for q, x, hh in zip(net.lix_piece[sel], net.lix_x[sel], net.lix_half[sel])]
        merged = shapely.line_merge(shapely.union_all(segs)) if segs else None
        lines.append({"rank": rank, "name": rows[-1]["name"], "incidents": int(len(members)), "geometry": merged})
    crs = graph.crs
    spots = gpd.GeoDataFrame(rows or None, columns=HOTSPOT_COLUMNS, geometry="geometry", crs=crs)
    streets = gpd.GeoDataFrame(lines or None, columns=["rank", "name", "incidents", "geometry"],
                               geometry="geometry", crs=crs)
    out = incidents.copy()
    out["hotspot"] = member_of
    out["snap_m"] = np.where(ok, sn.dist, np.nan)
    notes = []
    if (~ok).any():
        notes.append(f"{count_en(int((~ok).sum()), 'incident')} farther than {max_snap:.0f} m from a street")
    if chance:
        notes.append(f"{count_en(chance, 'peak')} with {min_incidents}+ incidents not above an even spread (p > {alpha:.2g})")
    return HotSpots(spots=spots, streets=streets, incidents=out, total=total, on_network=int(ok.sum()),
                    bandwidth=h, radius=radius, timed=int(np.isfinite(hours).sum()), max_snap=max_snap, notes=notes)


def incident_share_near(routes: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, *, metres: float = 100.0) -> float:
    """Share of ``incidents`` within ``metres`` (straight line) of any route line: what a patrol
    passes close enough to be seen from.

    Parameters
    ----------
    routes : geopandas.GeoDataFrame
        Route lines (a patrol plan's ``routes``).
    incidents : geopandas.GeoDataFrame
        Incident points, in the routes' CRS.
    metres : float
        The distance.

    Returns
    -------
    float
        The share, 0–1; 0 without routes or incidents.
    """
    if not len(incidents):
        return 0.0
    lines = [g for g in (routes.geometry if len(routes) else []) if g is not None and not g.is_empty]
    if not lines:
        return 0.0
    tree = shapely.STRtree(np.asarray(lines, dtype=object))
    pts = np.asarray(incidents.geometry.values, dtype=object)
    qi, _ = tree.query(pts, predicate="dwithin", distance=metres)
    return len(np.unique(qi)) / len(pts)


__all__ = ["HOTSPOT_COLUMNS", "HotSpots", "find_hotspots", "headline", "in_shift_hours", "incident_share_near",
           "peak_hours", "shift_presence", "shift_shares"]
