"""Station siting: choose p sites among candidates to cover the most households within N minutes.

The maximal covering location problem (MCLP), solved exactly as an integer programme by
``spopt.locate.MCLP`` with the CBC solver that PuLP ships (offline), on network travel times.
Existing stations can be kept (``existing``): they count as already chosen. Households are grouped by
the road node they are reached from, so the programme stays small on county-scale rosters.
If CBC is not available or fails, a greedy choice (each step adds the site covering the most
still-uncovered households; within 1 − 1/e of the optimum) is returned and says so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from .circles import _names, reach_seconds
from .graph import RoadGraph
from .snapping import snap


@dataclass
class Siting:
    """Chosen sites and what they cover."""

    chosen: gpd.GeoDataFrame  # candidates chosen (+ covered_hh each, existing flag)
    covered_hh: float
    total_hh: float
    minutes: float
    method: str  # "mclp-cbc (optimal)", "mclp-cbc (time limit)", "greedy"
    notes: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.covered_hh / self.total_hh if self.total_hh else 0.0


def site_stations(
    graph: RoadGraph,
    households: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    p: int,
    minutes: float = 10,
    existing: gpd.GeoDataFrame | None = None,
    max_snap: float = 300.0,
    time_limit: float = 30.0,
) -> Siting:
    """Choose ``p`` new sites among ``candidates`` (points) to cover the most households.

    Parameters
    ----------
    households
        Points or polygons with ``hh`` (households per feature; 1 when missing).
    candidates
        Possible sites (points with ``name``).
    p
        Number of new sites to choose.
    existing
        Stations that stay; the new sites cover what they do not.
    time_limit
        Seconds for CBC; the best solution found by then is used and flagged.
    """
    if p < 1:
        raise ValueError("p must be at least 1")
    if len(candidates) == 0:
        raise ValueError("no candidate sites")
    p = min(p, len(candidates))
    limit = minutes * 60
    hh = (pd.to_numeric(households["hh"], errors="coerce").fillna(1).clip(lower=0).to_numpy()
          if "hh" in households else np.ones(len(households)))
    tg = snap(graph, households.geometry.representative_point().values, max_distance=max_snap)
    sites = candidates if existing is None or len(existing) == 0 else pd.concat(
        [existing.assign(_existing=True), candidates.assign(_existing=False)], ignore_index=True)
    is_existing = (sites["_existing"].to_numpy().astype(bool) if "_existing" in sites
                   else np.zeros(len(sites), dtype=bool))
    sn = snap(graph, sites.geometry, max_distance=max_snap)
    d = reach_seconds(graph, sn, limit=limit)
    # demand groups: households reached through the same (entry node, cost) pair are merged
    cover = np.zeros((len(sites), len(hh)), dtype=bool)
    for y in range(2):
        en = tg.entries[:, y]
        ok = en >= 0
        cover[:, ok] |= (d[:, en[ok]] + tg.entry_cost[ok, y][None, :]) <= limit
    cols, inv = np.unique(cover.T, axis=0, return_inverse=True)
    weights = np.bincount(inv.ravel(), weights=hh, minlength=len(cols))
    a = cols.T  # sites x demand groups
    total = float(hh.sum())
    notes: list[str] = []
    method = "greedy"
    chosen = None
    n_ex = int(is_existing.sum())
    try:
        import pulp
        from spopt.locate import MCLP
        cost = np.where(a.T, 0.0, limit * 10.0)  # demand x sites
        with warnings.catch_warnings():  # PuLP 3 deprecation notices about its own API
            warnings.simplefilter("ignore", DeprecationWarning)
            model = MCLP.from_cost_matrix(cost, weights, service_radius=limit, p_facilities=p + n_ex,
                                          predefined_facilities_arr=is_existing if n_ex else None)
            solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit)
            model = model.solve(solver)
        status = pulp.LpStatus[model.problem.status]
        chosen = np.array([i for i in range(len(sites)) if model.fac_vars[i].value() and
                           model.fac_vars[i].value() > 0.5], dtype=int)
        method = f"mclp-cbc ({'optimal' if status == 'Optimal' else status})"
    except Exception as exc:  # no CBC binary on this machine, or a solver failure
        notes.append(f"CBC unavailable or failed ({exc}); greedy used")
        chosen = None
    if chosen is None:
        covered = np.zeros(a.shape[1], dtype=bool)
        chosen_l = list(np.flatnonzero(is_existing))
        for i in chosen_l:
            covered |= a[i]
        for _ in range(p):
            gain = (a & ~covered[None, :]).astype(float) @ weights
            gain[chosen_l] = -1
            i = int(np.argmax(gain))
            chosen_l.append(i)
            covered |= a[i]
        chosen = np.array(sorted(chosen_l), dtype=int)
    covered = a[chosen].any(axis=0) if len(chosen) else np.zeros(a.shape[1], dtype=bool)
    names = _names(sites, "候选点")
    out = sites.iloc[chosen].copy()
    out["name"] = [names[i] for i in chosen]
    out["existing"] = is_existing[chosen]
    out["covers_hh"] = [float(weights[a[i]].sum()) for i in chosen]
    out = out.drop(columns=[c for c in ("_existing",) if c in out])
    return Siting(chosen=gpd.GeoDataFrame(out, geometry="geometry", crs=graph.crs),
                  covered_hh=float(weights[covered].sum()), total_hh=total, minutes=float(minutes),
                  method=method, notes=notes)
