"""One building count for every output: each building (household feature) is counted once at each
level, in the grid and the sub-grid that hold it, even when an apartment block is divided.

A building whose households are divided between sub-grids (an apartment block of more than about
30 households, opened by entrance or floor) is *held* by one sub-grid and *shared* with the others:

- its **grid** is the one the households layer names (``grid``; for a building divided between
  grids, ``grid_parts`` = ``"A-01:20;A-02:12"``, the grid holding most of its households, ties to
  the first code);
- its **sub-grid** is, among the sub-grids of that grid, the one holding most of its households
  (``subgrid_parts`` = ``"A-01-01:20;A-01-02:12"``), ties to the first code. The engine writes
  this sub-grid into ``subgrid`` (:func:`subgrid_homes`). Projects saved before ``subgrid_parts``
  existed name the sub-grids of a divided building in the sub-grids' ``apartment_parts``
  (``"<src_id>#1/3"``); there the sub-grid holding most of its units counts.

So the sub-grids' building counts of one grid add up to the grid's, and the grids', special grids'
and unassigned buildings add up to the buildings imported (:class:`BuildingCounts`), as the
households do in :mod:`.totals`. The ledger, the atlas and the HTML map state these figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..values import parse_grid_parts


def subgrid_homes(sa: pd.DataFrame, home_grid) -> tuple[dict[int, str], dict[int, str]]:
    """The sub-grid holding each feature and the ``subgrid_parts`` text of divided ones.

    Parameters
    ----------
    sa : DataFrame
        The sub-grids' units: ``feature`` (row of the households), ``grid``, ``subgrid``, ``hh``.
    home_grid : sequence
        The grid of each feature (the households' ``grid``), indexed by feature.

    Returns
    -------
    homes : dict
        Feature → the sub-grid of its grid holding most of its households (ties: the first code).
    parts : dict
        Feature → ``"code:hh;code:hh"`` in code order, for features in more than one sub-grid.
    """
    if not len(sa):
        return {}, {}
    agg = sa.groupby(["feature", "grid", "subgrid"], sort=True)["hh"].sum().reset_index()
    feat = agg["feature"].to_numpy(dtype=np.int64)
    home = np.asarray(home_grid, dtype=object)[feat]
    agg["_in"] = (agg["grid"].to_numpy(dtype=object) == home).astype(int)
    # In its grid first, then most households, then the first code: one deterministic choice.
    best = agg.sort_values(["feature", "_in", "hh", "subgrid"], ascending=[True, False, False, True],
                           kind="stable").drop_duplicates("feature")
    homes = dict(zip(best["feature"].tolist(), best["subgrid"].tolist()))
    multi = agg[agg.duplicated("feature", keep=False)]
    lab = multi["subgrid"].astype(str) + ":" + multi["hh"].astype(np.int64).astype(str)
    parts = lab.groupby(multi["feature"].to_numpy(), sort=True).agg(";".join).to_dict()
    return homes, {int(k): v for k, v in parts.items()}


def _most(parts: list[tuple[str, int]]) -> str | None:
    """The code holding most (ties: the first code), or None."""
    if not parts:
        return None
    return sorted(parts, key=lambda p: (-p[1], p[0]))[0][0]


@dataclass(frozen=True)
class BuildingCounts:
    """Buildings (household features) per grid and sub-grid, each counted once per level.

    ``imported == base + special + exception + unassigned``; ``per_grid`` holds base, exception
    and special grids; ``shared_subgrid[code]`` counts the buildings with households in sub-grid
    ``code`` and in another sub-grid too (counted where most of them are); ``shared_subgrid_total``
    counts such buildings once; ``shared_grid`` and ``shared_grid_total`` the same for grids."""

    imported: int = 0
    base: int = 0
    special: int = 0
    exception: int = 0
    unassigned: int = 0
    per_grid: dict[str, int] = field(default_factory=dict)
    per_subgrid: dict[str, int] = field(default_factory=dict)
    shared_grid: dict[str, int] = field(default_factory=dict)
    shared_subgrid: dict[str, int] = field(default_factory=dict)
    shared_grid_total: int = 0
    shared_subgrid_total: int = 0

    def parts(self) -> dict[str, int]:
        """Buildings by the words of :meth:`.totals.HouseholdTotals.parts_zh`."""
        return {"基础网格": self.base, "专属网格": self.special, "例外网格": self.exception, "未划入网格": self.unassigned}


def _frame(layers, role):
    lyr = layers.get(role)
    return getattr(lyr, "gdf", lyr)


def _apartment_units(subs, labels: dict[str, int]) -> dict[int, Counter]:
    """Feature → units per sub-grid, read from the sub-grids' ``apartment_parts`` (older projects)."""
    out: dict[int, Counter] = {}
    if subs is None or "apartment_parts" not in subs or "code" not in subs:
        return out
    for code, txt in zip(subs["code"].astype(str), subs["apartment_parts"].tolist()):
        if not isinstance(txt, str):
            continue
        for item in txt.split(";"):
            lab = item.rsplit("#", 1)[0].strip()
            f = labels.get(lab)
            if item and f is not None:
                out.setdefault(f, Counter())[code] += 1
    return out


def building_counts(project) -> BuildingCounts:
    """The building counts of ``project`` (a Project, or ``{role: GeoDataFrame or Layer}``)."""
    layers = getattr(project, "layers", project) or {}
    hs = _frame(layers, "households")
    if hs is None:
        return BuildingCounts()
    n = len(hs)
    grids, special, subs = _frame(layers, "grids"), _frame(layers, "special_grids"), _frame(layers, "subgrids")
    kind: dict[str, str] = {}
    if grids is not None and "code" in grids:
        status = grids["status"].astype(str).tolist() if "status" in grids else ["ok"] * len(grids)
        kind = {c: ("exception" if s == "exception" else "base") for c, s in zip(grids["code"].astype(str), status)}
    if special is not None and "code" in special:
        kind.update({c: "special" for c in special["code"].astype(str)})
    if "grid" not in hs:
        return BuildingCounts(imported=n, unassigned=n)
    grid_col = hs["grid"].tolist()
    gp_col = hs["grid_parts"].tolist() if "grid_parts" in hs else [None] * n
    home_grid: list[str | None] = []
    shared_grid: Counter = Counter()
    shared_grid_total = 0
    for g, gp in zip(grid_col, gp_col):
        parts = [(c, k) for c, k in parse_grid_parts(gp) if c in kind]
        g = g if isinstance(g, str) and g in kind else None
        if parts and (g is None or g not in {c for c, _ in parts}):
            g = _most(parts)
        home_grid.append(g)
        if len({c for c, _ in parts}) > 1:
            shared_grid_total += 1
            shared_grid.update({c for c, _ in parts})
    sums = Counter(kind[g] if g is not None else "unassigned" for g in home_grid)
    per_grid = Counter(g for g in home_grid if g is not None)
    # Sub-grids: the parts of each building among the sub-grids this project holds.
    sub_codes = set(subs["code"].astype(str)) if subs is not None and "code" in subs else set()
    sub_col = hs["subgrid"].tolist() if "subgrid" in hs else [None] * n
    sp_col = hs["subgrid_parts"].tolist() if "subgrid_parts" in hs else None
    units = {}
    if sp_col is None and sub_codes:
        labels = [str(v) for v in hs["src_id"]] if "src_id" in hs else [str(f) for f in range(n)]
        units = _apartment_units(subs, {lab: f for f, lab in enumerate(labels)})
    per_sub: Counter = Counter()
    shared_sub: Counter = Counter()
    shared_sub_total = 0
    for f in range(n):
        g = home_grid[f]
        if g is None:
            continue
        if sp_col is not None:
            parts = [(c, k) for c, k in parse_grid_parts(sp_col[f]) if c in sub_codes]
        else:
            parts = [(c, k) for c, k in units.get(f, Counter()).items() if c in sub_codes]
        own = sub_col[f] if isinstance(sub_col[f], str) and sub_col[f] in sub_codes else None
        if own is not None and own not in {c for c, _ in parts}:
            parts.append((own, 0))  # whole in its sub-grid, or the rest of a building opened into units
        in_grid = [(c, k) for c, k in parts if c.startswith(g + "-")]
        home = own if own is not None and own.startswith(g + "-") and (sp_col is not None or len(in_grid) < 2) \
            else _most(in_grid)
        if home is not None:
            per_sub[home] += 1
        codes = {c for c, _ in parts}
        if len(codes) > 1:
            shared_sub_total += 1
            shared_sub.update(codes)
    return BuildingCounts(imported=n, base=sums["base"], special=sums["special"], exception=sums["exception"],
                          unassigned=sums["unassigned"], per_grid=dict(per_grid), per_subgrid=dict(per_sub),
                          shared_grid=dict(shared_grid), shared_subgrid=dict(shared_sub),
                          shared_grid_total=shared_grid_total, shared_subgrid_total=shared_sub_total)


__all__ = ["BuildingCounts", "building_counts", "subgrid_homes"]
