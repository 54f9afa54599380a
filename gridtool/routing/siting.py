"""Station siting, exactly: new sites among candidates that cover the most demand within N minutes
(maximal covering, ``p`` = N), or the fewest new sites that cover all demand that can be covered
(set cover, ``p="auto"``), with the existing stations kept.

Both are integer programmes written with PuLP and solved by the CBC binary PuLP ships (offline),
within a time limit; the result says whether CBC proved the optimum. Before the solve the
problem is made small without changing its optimum: demand already covered by an existing station
is left out, demand features with the same set of candidates that reach them become one group
(their weights added up), and a candidate whose groups are a subset of another candidate's is
dropped (swapping it for the larger one never loses coverage). Demand that no existing station and
no candidate reaches is named, not silently counted as a failure of the sites.

A candidate standing on an existing station (within ``min_separation`` metres, or with its
name) or on another candidate is left out and named: a new post there would add nothing.
spopt's ``MCLP``/``LSCP`` were used before; the programme is written here because neither keeps
existing stations fixed in the set cover nor reports whether the optimum was proven. A greedy
choice (within 1 − 1/e of the optimum for maximal covering) remains as the fallback when CBC
cannot run, and says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import EmptyLayerError, OptionError, check_at_least
from ..plurals import count_en, plural_en
from .demand import household_weights, subset, times_within
from .graph import RoadGraph
from .snapping import near_any_road, snap


@dataclass
class CoverSolution:
    """Which candidates (row indices of the cover matrix) a solver chose."""

    chosen: np.ndarray
    covered: float          # weight covered
    proven: bool            # optimum proven by the solver (or by a bound)
    method: str
    seconds: float = 0.0


def _reduce(cover: np.ndarray) -> np.ndarray:
    """Rows worth keeping: drop a candidate that covers nothing, or whose covered set lies inside
    another candidate's (of two equal sets the first stays). The optimum does not change."""
    k = len(cover)
    size = cover.sum(axis=1)
    if k <= 1 or k > 3000:
        return np.flatnonzero(size > 0)
    c = cover.astype(np.float32)
    inter = c @ c.T
    sub = inter >= size[:, None] - 0.5  # i inside j
    np.fill_diagonal(sub, False)
    same = sub & sub.T
    earlier = np.arange(k)[None, :] < np.arange(k)[:, None]
    drop = (sub & ~same).any(axis=1) | (same & earlier).any(axis=1) | (size == 0)
    return np.flatnonzero(~drop)


def greedy_coverage(cover: np.ndarray, weights: np.ndarray, p: int) -> np.ndarray:
    """Greedy maximal covering: ``p`` rows, each adding the most still-uncovered weight."""
    covered = np.zeros(cover.shape[1], dtype=bool)
    chosen: list[int] = []
    for _ in range(min(p, len(cover))):
        gain = (cover & ~covered[None, :]).astype(float) @ weights
        gain[chosen] = -1
        i = int(np.argmax(gain))
        if gain[i] <= 0:
            break
        chosen.append(i)
        covered |= cover[i]
    return np.array(sorted(chosen), dtype=int)


def _var(prob, name: str, low=None, up=None, cat: str = "Continuous"):
    """A variable of ``prob`` (PuLP ≥ 3.3 attaches it to the model; older PuLP builds it alone)."""
    import pulp
    if hasattr(prob, "add_variable"):
        return prob.add_variable(name, low, up, cat=cat)
    return pulp.LpVariable(name, low, up, cat=cat)


def _solve(prob, time_limit: float):
    import warnings

    import pulp
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # no ``threads`` option: with threads=1, CBC 2.10.3 (PuLP's binary) waits 10 s for a worker
        # thread in about 1 solve of 100 and then stops "on time" without proving (measured here)
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=max(1, int(np.ceil(time_limit))), gapRel=0.0)
        prob.solve(solver)
    return pulp.LpStatus[prob.status], prob.sol_status == pulp.LpSolutionOptimal


def max_coverage(cover: np.ndarray, weights: np.ndarray, p: int, *, time_limit: float = 30.0) -> CoverSolution:
    """Exact maximal covering: at most ``p`` rows of ``cover`` covering the most ``weights``.

    Parameters
    ----------
    cover : numpy.ndarray of bool
        Candidates × demand groups: True where the candidate reaches the group.
    weights : numpy.ndarray
        Weight per demand group (households).
    p : int
        Sites to choose at most.
    time_limit : float
        Seconds for CBC; greedy if CBC cannot run.

    Returns
    -------
    CoverSolution
        ``chosen`` (row indices), ``covered`` (weight), ``proven`` (optimal), ``method``.

    Examples
    --------
    >>> cover = np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool)
    >>> s = max_coverage(cover, np.array([10.0, 20.0, 30.0]), 1)
    >>> s.chosen.tolist(), s.covered, s.proven
    ([1], 50.0, True)
    """
    t0 = time.perf_counter()
    cover = np.asarray(cover, dtype=bool)
    w = np.asarray(weights, dtype=float)
    k, g = cover.shape
    if k == 0 or g == 0 or p <= 0:
        return CoverSolution(np.empty(0, int), 0.0, True, "trivial")
    total = float(w[cover.any(axis=0)].sum())
    if p >= k:
        chosen = np.flatnonzero(cover.any(axis=1))
        return CoverSolution(chosen, total, True, "all candidates", time.perf_counter() - t0)
    try:
        import pulp
        prob = pulp.LpProblem("max_coverage", pulp.LpMaximize)
        x = [_var(prob, f"x{i}", cat="Binary") for i in range(k)]
        y = [_var(prob, f"y{j}", 0, 1) for j in range(g)]
        prob += pulp.lpSum(float(w[j]) * y[j] for j in range(g))
        prob += pulp.lpSum(x) <= p
        for j in range(g):
            rows = np.flatnonzero(cover[:, j])
            prob += y[j] <= pulp.lpSum(x[i] for i in rows)
        status, proven = _solve(prob, time_limit)
        chosen = np.array([i for i in range(k) if (x[i].value() or 0) > 0.5], dtype=int)
        if status not in ("Optimal",) or len(chosen) > p:
            raise RuntimeError(f"CBC status {status}")
        covered = float(w[cover[chosen].any(axis=0)].sum()) if len(chosen) else 0.0
        proven = proven or covered >= total - 1e-9
        return CoverSolution(chosen, covered, bool(proven), "mclp-cbc", time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001  (no CBC binary on this machine, or a solver failure)
        chosen = greedy_coverage(cover, w, p)
        covered = float(w[cover[chosen].any(axis=0)].sum()) if len(chosen) else 0.0
        return CoverSolution(chosen, covered, covered >= total - 1e-9, f"greedy ({exc})",
                             time.perf_counter() - t0)


def min_cover(cover: np.ndarray, *, time_limit: float = 30.0) -> CoverSolution:
    """Exact set cover: the fewest rows of ``cover`` covering every column that any row covers.

    Parameters
    ----------
    cover : numpy.ndarray of bool
        Candidates × demand groups: True where the candidate reaches the group.
    time_limit : float
        Seconds for CBC; greedy if CBC cannot run.

    Returns
    -------
    CoverSolution
        ``chosen`` (row indices), ``covered`` (columns covered), ``proven``, ``method``.

    Examples
    --------
    >>> cover = np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool)
    >>> min_cover(cover).chosen.tolist()
    [0, 1]
    """
    t0 = time.perf_counter()
    cover = np.asarray(cover, dtype=bool)
    k, g = cover.shape
    need = np.flatnonzero(cover.any(axis=0))
    if len(need) == 0:
        return CoverSolution(np.empty(0, int), 0.0, True, "trivial")
    try:
        import pulp
        prob = pulp.LpProblem("set_cover", pulp.LpMinimize)
        x = [_var(prob, f"x{i}", cat="Binary") for i in range(k)]
        prob += pulp.lpSum(x)
        for j in need:
            prob += pulp.lpSum(x[i] for i in np.flatnonzero(cover[:, j])) >= 1
        status, proven = _solve(prob, time_limit)
        chosen = np.array([i for i in range(k) if (x[i].value() or 0) > 0.5], dtype=int)
        if status != "Optimal" or not cover[chosen][:, need].any(axis=0).all():
            raise RuntimeError(f"CBC status {status}")
        return CoverSolution(chosen, float(len(need)), bool(proven), "set-cover-cbc", time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001  (as above)
        chosen = greedy_coverage(cover, np.ones(g), k)
        return CoverSolution(chosen, float(len(need)), False, f"greedy ({exc})", time.perf_counter() - t0)


@dataclass
class Siting:
    """Chosen sites and what they cover (weights are households, or places for place demand).

    Attributes
    ----------
    chosen : geopandas.GeoDataFrame
        Existing stations and new sites: ``name``, ``existing``, ``covers``, ``adds``.
    covered_hh, total_hh, covered_before : float
        Demand weight within reach after the new sites, in all, and before them.
    minutes : float
        The time limit.
    method : str
        ``mclp-cbc``, ``set-cover-cbc`` or ``greedy (…)``; ``proven`` says whether optimal.
    requested : int or str
        The number of sites asked for, or ``all``.
    notes, excluded : list of (str, str)
        Notes, and candidates left out with their reasons, in Chinese and English.
    uncoverable : list of str
        Demand no station or candidate reaches, with its weight ``uncoverable_weight``.
    seconds : float
        Solver time.
    """

    chosen: gpd.GeoDataFrame  # existing stations and new sites: name, existing, covers, adds
    covered_hh: float         # demand weight within reach after the new sites
    total_hh: float
    minutes: float
    method: str               # "mclp-cbc", "set-cover-cbc", "greedy (…)"
    notes: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)
    proven: bool = False
    requested: int | str = 0
    covered_before: float = 0.0
    uncoverable: list[str] = field(default_factory=list)  # demand no station or candidate reaches
    uncoverable_weight: float = 0.0
    excluded: list[tuple[str, str]] = field(default_factory=list)  # candidates left out: (zh, en) reasons
    seconds: float = 0.0

    @property
    def share(self) -> float:
        return self.covered_hh / self.total_hh if self.total_hh else 0.0

    @property
    def new_sites(self) -> gpd.GeoDataFrame:
        return self.chosen[~self.chosen["existing"].astype(bool)]

    def summary(self, lang: str = "zh", unit_zh: str = "户", unit_en: str = "households") -> str:
        new = self.new_sites
        names = [str(n) for n in new["name"]]
        auto = self.requested == "auto"
        proof_zh = "已证明最优" if self.proven else "在时限内未证明最优（为目前找到的最好解）"
        proof_en = "optimum proven" if self.proven else "optimum not proven within the time limit (best found)"
        if auto:
            zh = (f"选址（最少新增站点覆盖全部可覆盖对象，{self.method}，{proof_zh}）：需新增 {len(new)} 处"
                  + (f"：{'、'.join(names)}" if names else ""))
            en = (f"siting (fewest new sites covering all coverable demand, {self.method}, {proof_en}): "
                  f"{count_en(len(new), 'new site')}" + (f": {', '.join(names)}" if names else ""))
        else:
            zh = (f"选址（新增 {self.requested} 处最大覆盖，{self.method}，{proof_zh}）：选中 {len(new)} 处"
                  + (f"：{'、'.join(names)}" if names else ""))
            en = (f"siting ({count_en(self.requested, 'new site')}, maximal coverage, {self.method}, {proof_en}): "
                  f"{len(new)} chosen" + (f": {', '.join(names)}" if names else ""))
        zh += (f"\n  {self.minutes:g} 分钟覆盖：现有站点 {self.covered_before:,.0f} / {self.total_hh:,.0f} {unit_zh}"
               f" → 新增后 {self.covered_hh:,.0f}（{self.share:.1%}）")
        en += (f"\n  {self.minutes:g}-minute coverage: existing stations {self.covered_before:,.0f} of "
               f"{self.total_hh:,.0f} {unit_en} → with the new sites {self.covered_hh:,.0f} ({self.share:.1%})")
        if self.uncoverable:
            # The list names demand features (a building holds many households): count them as such,
            # not in the households' unit the weight beside it uses.
            where_zh, where_en = ("个住户要素", "household features") if unit_zh == "户" else ("处", "places")
            shown = self.uncoverable[:20]
            more = len(self.uncoverable) - len(shown)
            zh += (f"\n  任何现有站点或候选点都无法在 {self.minutes:g} 分钟内到达（{self.uncoverable_weight:,.0f} "
                   f"{unit_zh}）：" + "、".join(shown) + (f" 等 {len(self.uncoverable):,} {where_zh}" if more > 0 else ""))
            en += (f"\n  no station or candidate reaches within {self.minutes:g} min ({self.uncoverable_weight:,.0f} "
                   f"{unit_en}): " + ", ".join(shown)
                   + (f" … ({len(self.uncoverable):,} {where_en} in all)" if more > 0 else ""))
        if self.excluded:
            more_zh = f" 等 {len(self.excluded)} 处" if len(self.excluded) > 20 else ""
            more_en = f" … ({len(self.excluded)} in all)" if len(self.excluded) > 20 else ""
            zh += "\n  未作候选：" + "、".join(z for z, _ in self.excluded[:20]) + more_zh
            en += "\n  left out as candidates: " + "; ".join(e for _, e in self.excluded[:20]) + more_en
        for nz, ne in self.notes:
            zh += f"\n  {nz}"
            en += f"\n  {ne}"
        return zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}"


def _label(gdf: gpd.GeoDataFrame, prefix: str) -> list[str]:
    from .demand import feature_names
    return feature_names(gdf, prefix)


def site_stations(
    graph: RoadGraph,
    households: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    p: int | str,
    minutes: float = 10,
    existing: gpd.GeoDataFrame | None = None,
    weights=None,
    names: list[str] | None = None,
    max_snap: float = 300.0,
    time_limit: float = 30.0,
    min_separation: float = 50.0,
) -> Siting:
    """Choose new sites among ``candidates`` (points) for the demand ``households``.

    Parameters
    ----------
    households
        The demand: households (weighted by ``hh`` as the project counts them) or any points or
        polygons, e.g. places (``weights`` 1 each).
    candidates
        Possible sites (points with ``name``).
    p
        ``N``: at most N new sites covering the most demand (maximal covering; if fewer already
        cover everything coverable, the fewest that do). ``"auto"``: the fewest new sites that
        cover all demand any candidate can reach (set cover).
    existing
        Stations that stay; demand they cover needs no new site.
    weights, names
        Per demand feature (defaults: ``hh`` or 1; ``name`` or a numbered label).
    time_limit
        Seconds for CBC in all (the result says whether the optimum was proven).
    min_separation
        Metres: a candidate this close to an existing station is on it and left out.

    Returns
    -------
    Siting
    """
    t0 = time.perf_counter()
    auto = isinstance(p, str)
    if auto and p.strip().lower() != "auto":
        raise OptionError(f"新增站点数应为正整数或 auto：{p}", f"p must be a positive number or 'auto', got {p!r}",
                          fix_zh="例如 --sites 3 或 --sites auto。", fix_en="e.g. --sites 3 or --sites auto.", field="sites")
    if not auto:
        check_at_least(int(p), 1, name="p", zh="新增站点数", flag="--sites", example=3)
    if len(candidates) == 0:
        raise EmptyLayerError("没有候选站点位置", "there are no candidate sites", layer="candidates",
                              fix_zh="候选位置取自道路；检查道路图层是否覆盖服务区域。",
                              fix_en="candidates are taken from the roads; check that the roads cover the area.")
    limit = float(minutes) * 60
    w = household_weights(households) if weights is None else np.asarray(weights, dtype=float)
    dnames = names if names is not None else _label(households, "#")
    tg = snap(graph, households.geometry.representative_point().values, max_distance=max_snap)
    ex = existing if existing is not None else gpd.GeoDataFrame(geometry=[], crs=graph.crs)
    ex_names = _label(ex, "站点")
    cand = candidates.copy()
    cand["geometry"] = cand.geometry.representative_point()
    c_names = _label(cand, "候选点")
    excluded: list[str] = []
    keep = np.ones(len(cand), dtype=bool)
    # candidates on an existing station (by place or by name) or on another candidate
    if len(ex):
        ex_pts = ex.geometry.representative_point().values
        tree = shapely.STRtree(ex_pts)
        ci, ei = tree.query(cand.geometry.values, predicate="dwithin", distance=min_separation)
        dist = shapely.distance(cand.geometry.values[ci], ex_pts[ei])
        for r in np.lexsort((dist, ci)):  # the nearest station of each candidate first
            i, j = ci[r], ei[r]
            if keep[i]:
                keep[i] = False
                if dist[r] < 1.0:
                    excluded.append((f"{c_names[i]}（已是站点 {ex_names[j]}）", f"{c_names[i]} (is station {ex_names[j]})"))
                else:
                    excluded.append((f"{c_names[i]}（距站点 {ex_names[j]} {dist[r]:.0f} 米）",
                                     f"{c_names[i]} ({dist[r]:.0f} m from station {ex_names[j]})"))
        ex_set = {n.strip().lower() for n in ex_names}
        for i in np.flatnonzero(keep):
            if c_names[i].strip().lower() in ex_set:
                keep[i] = False
                excluded.append((f"{c_names[i]}（与现有站点同名）", f"{c_names[i]} (same name as a station)"))
    xy = np.round(shapely.get_coordinates(cand.geometry.values))
    seen: dict[tuple, int] = {}
    for i in np.flatnonzero(keep):
        key = (xy[i, 0], xy[i, 1])
        if key in seen:
            keep[i] = False
            excluded.append((f"{c_names[i]}（与候选点 {c_names[seen[key]]} 同一位置）",
                             f"{c_names[i]} (same place as {c_names[seen[key]]})"))
        else:
            seen[key] = i
    cs = snap(graph, cand.geometry.values, max_distance=max_snap)
    off = np.flatnonzero(keep & ~cs.ok)
    near = near_any_road(graph, cand.geometry.values[off], max_distance=max_snap) if len(off) else []
    for i, cut in zip(off, near):
        keep[i] = False
        if cut:
            excluded.append((f"{c_names[i]}（附近道路与主路网不连通）", f"{c_names[i]} (its road is cut off from the main network)"))
        else:
            excluded.append((f"{c_names[i]}（{max_snap:.0f} 米内无道路）", f"{c_names[i]} (no road within {max_snap:.0f} m)"))
    kept = np.flatnonzero(keep)
    # what the existing stations cover already
    if len(ex):
        es = snap(graph, ex.geometry.representative_point().values, max_distance=max_snap)
        before = times_within(graph, es, tg, limit, covered=True).any(axis=0)
    else:
        before = np.zeros(len(w), dtype=bool)
    cover = times_within(graph, subset(cs, kept), tg, limit, covered=True) if len(kept) else \
        np.zeros((0, len(w)), dtype=bool)
    rest = ~before
    coverable = rest & cover.any(axis=0) if len(kept) else np.zeros(len(w), dtype=bool)
    unc = np.flatnonzero(rest & ~coverable)
    cols, inv = np.unique(cover[:, coverable].T, axis=0, return_inverse=True) if coverable.any() else \
        (np.zeros((0, len(kept)), dtype=bool), np.empty(0, int))
    gw = np.bincount(inv.ravel(), weights=w[coverable], minlength=len(cols))
    a = cols.T  # kept candidates × demand groups
    rows = _reduce(a) if len(a) else np.arange(0)
    a_red = a[rows] if len(a) else a
    notes: list[tuple[str, str]] = []
    if not auto and int(p) > len(kept):
        notes.append((f"只有 {len(kept)} 个可用候选点（要求 {int(p)} 处）",
                      f"only {count_en(len(kept), 'usable candidate site')} for the {int(p)} asked"))
    left = max(1.0, time_limit - (time.perf_counter() - t0))
    if not coverable.any():
        sol = CoverSolution(np.empty(0, int), 0.0, True, "nothing to cover")
    elif auto:
        sol = min_cover(a_red, time_limit=left)
    else:
        sol = max_coverage(a_red, gw, int(p), time_limit=left)
        if sol.covered >= gw.sum() - 1e-9 and len(sol.chosen) > 1:
            # everything coverable is covered: the fewest sites that do it
            fewest = min_cover(a_red, time_limit=max(1.0, time_limit - (time.perf_counter() - t0)))
            if len(fewest.chosen) < len(sol.chosen):
                sol = CoverSolution(fewest.chosen, sol.covered, sol.proven, sol.method,
                                    sol.seconds + fewest.seconds)
        if len(sol.chosen) < min(int(p), len(kept)) and sol.covered >= gw.sum() - 1e-9:
            nz = f"{len(sol.chosen)} 处新站点已覆盖全部可覆盖对象，再多不会增加覆盖"
            ne = (f"{count_en(len(sol.chosen), 'new site')} {plural_en(len(sol.chosen), 'covers', 'cover')} everything coverable; "
                  "more would add nothing")
            notes.append((nz, ne))
    new_idx = kept[rows[sol.chosen]] if len(sol.chosen) else np.empty(0, int)
    new_cover = cover[np.searchsorted(kept, new_idx)] if len(new_idx) else np.zeros((0, len(w)), dtype=bool)
    after = before | new_cover.any(axis=0)
    ex_rows = ex.copy()
    ex_rows["name"] = ex_names
    ex_rows["existing"] = True
    new_rows = cand.iloc[new_idx].copy()
    new_rows["name"] = [c_names[i] for i in new_idx]
    new_rows["existing"] = False
    new_rows["covers"] = [float(w[r].sum()) for r in new_cover]
    new_rows["adds"] = [float(w[r & ~before & ~np.delete(new_cover, k, axis=0).any(axis=0)].sum())
                        for k, r in enumerate(new_cover)]
    if len(ex):
        ecov = times_within(graph, es, tg, limit, covered=True)
        ex_rows["covers"] = [float(w[r].sum()) for r in ecov]
        ex_rows["adds"] = np.nan
    out = pd.concat([ex_rows, new_rows], ignore_index=True) if len(ex) else new_rows.reset_index(drop=True)
    out["covers_hh"] = out["covers"]
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=graph.crs)
    return Siting(chosen=out, covered_hh=float(w[after].sum()), total_hh=float(w.sum()), minutes=float(minutes),
                  method=sol.method, notes=notes, proven=sol.proven, requested="auto" if auto else int(p),
                  covered_before=float(w[before].sum()), uncoverable=[dnames[i] for i in unc],
                  uncoverable_weight=float(w[unc].sum()), excluded=excluded, seconds=time.perf_counter() - t0)
