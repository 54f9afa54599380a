"""An editable grid plan: households (buildings) assigned to grids, with live totals.

This is the model the desktop app paints on. Every edit is an undoable command (:mod:`gridtool.undo`);
totals are kept per grid and updated by the households each move carries (like Districtr's
``Tally``), never recomputed from scratch, so a paint stroke stays cheap at county scale.

A building whose households the partition divided between grids (an apartment block split by
entrance) is held as parts ``(feature, grid, households)``; moving the building moves all its parts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import geopandas as gpd
import numpy as np
import shapely

from ..errors import GridtoolError
from ..problems import Problem
from ..spatial import household_points
from ..values import parse_grid_parts, truthy
from .feasibility import feasible_grid_counts
from .solver import UnitGraph, partition


class LockedGridError(GridtoolError):
    """An edit would change a locked grid."""


class PlanEditError(GridtoolError):
    """An edit that cannot be made (unknown grid, nothing to move …)."""


@dataclass
class _Parts:
    feature: list[int]
    grid: list[str]
    hh: list[int]


class GridPlan:
    """Grids of households with live totals, locks and undoable edits.

    Parameters
    ----------
    households : GeoDataFrame with ``hh`` and ``grid`` (and ``grid_parts`` for split buildings).
    grids : GeoDataFrame with ``code``, ``village`` and optionally ``locked``, ``min_hh``, ``max_hh``.
    min_hh, max_hh : bounds used where a grid has none of its own.
    """

    def __init__(self, households: gpd.GeoDataFrame, grids: gpd.GeoDataFrame, *, min_hh: int = 300,
                 max_hh: int = 500):
        self.households = households
        self.grids = grids.reset_index(drop=True)
        self.min_hh, self.max_hh = int(min_hh), int(max_hh)
        hh = households["hh"].to_numpy(dtype=float)
        self._hh = np.where(np.isfinite(hh) & (hh > 0), np.rint(hh), 0).astype(np.int64)
        # Parts per feature: list of [grid, households].
        self._parts: list[list[list]] = []
        grid_col = households["grid"].tolist() if "grid" in households else [None] * len(households)
        parts_col = households["grid_parts"].tolist() if "grid_parts" in households else [None] * len(households)
        for f, (g, gp) in enumerate(zip(grid_col, parts_col)):
            parts = parse_grid_parts(gp)
            if parts:
                self._parts.append([[c, n] for c, n in parts])
            elif isinstance(g, str) and g:
                self._parts.append([[g, int(self._hh[f])]])
            else:
                self._parts.append([])
        self.codes = self.grids["code"].astype(str).tolist()
        self.village = dict(zip(self.codes, self.grids["village"].astype(str)
                                if "village" in self.grids else [""] * len(self.codes)))
        self.locked = {c for c, lk in zip(self.codes, self.grids["locked"].tolist()
                                          if "locked" in self.grids else [False] * len(self.codes)) if truthy(lk)}
        self.bounds = {c: (int(lo) if _num(lo) else self.min_hh, int(hi) if _num(hi) else self.max_hh)
                       for c, lo, hi in zip(self.codes,
                                            self.grids["min_hh"] if "min_hh" in self.grids else [None] * len(self.codes),
                                            self.grids["max_hh"] if "max_hh" in self.grids else [None] * len(self.codes))}
        self.totals: dict[str, int] = {c: 0 for c in self.codes}
        for parts in self._parts:
            for c, n in parts:
                self.totals[c] = self.totals.get(c, 0) + n
        self.listeners: list[Callable[[set[str]], None]] = []
        self._xy = shapely.get_coordinates(household_points(households).values)
        #: Changes made to which grid holds which households (undos count too): once there is
        #: any, the households layer is written from the plan (``to_households``).
        self.edited = 0

    @classmethod
    def from_project(cls, project) -> "GridPlan":
        if "grids" not in project.layers:
            raise PlanEditError("项目中还没有网格", "the project has no grids yet",
                                fix_zh="先运行“划分网格”（gridtool partition）。", fix_en="run the partition first.")
        params = project.parameters.get("partition", {}).get("parameters", {})
        return cls(project.layers["households"].gdf, project.layers["grids"].gdf,
                   min_hh=params.get("min_hh", 300), max_hh=params.get("max_hh", 500))

    # -- reading ------------------------------------------------------------------------------
    def grid_of(self, feature: int) -> str | None:
        """The grid holding most of a building's households."""
        parts = self._parts[feature]
        return max(parts, key=lambda p: p[1])[0] if parts else None

    def features_of(self, code: str) -> list[int]:
        return [f for f, parts in enumerate(self._parts) if any(c == code for c, _ in parts)]

    def state(self, code: str) -> str:
        """``"under"``, ``"ok"`` or ``"over"`` against the grid's bounds (for the live colouring)."""
        lo, hi = self.bounds.get(code, (self.min_hh, self.max_hh))
        t = self.totals.get(code, 0)
        return "under" if t < lo else "over" if t > hi else "ok"

    # -- edits (each returns a command for an UndoStack) ---------------------------------------
    def move(self, features: Iterable[int], to: str) -> "MoveCommand":
        """Move whole buildings into grid ``to`` (a brush stroke step)."""
        self._check_grid(to)
        feats = sorted({int(f) for f in features})
        for f in feats:
            if not 0 <= f < len(self._parts):
                raise PlanEditError(f"没有第 {f} 个住户要素", f"no household feature {f}",
                                    fix_zh="刷新后重试。", fix_en="refresh and try again.")
        if to in self.locked:
            raise LockedGridError(f"网格 {to} 已锁定，不能修改", f"grid {to} is locked",
                                  fix_zh="先解锁该网格。", fix_en="unlock the grid first.")
        src = {c for f in feats for c, _ in self._parts[f]} - {to}
        locked = sorted(src & self.locked)
        if locked:
            raise LockedGridError(f"网格 {', '.join(locked)} 已锁定，不能移出住户",
                                  f"grid(s) {', '.join(locked)} are locked; households cannot leave them",
                                  fix_zh="先解锁该网格。", fix_en="unlock the grid first.")
        return MoveCommand(self, feats, to)

    def set_locked(self, code: str, locked: bool = True) -> "LockCommand":
        self._check_grid(code)
        return LockCommand(self, code, locked)

    def merge(self, keep: str, other: str) -> "MergeCommand":
        """All of ``other``'s households into ``keep``; ``other`` is removed."""
        self._check_grid(keep)
        self._check_grid(other)
        if keep == other:
            raise PlanEditError("不能把网格与自身合并", "cannot merge a grid with itself",
                                fix_zh="选择另一个网格。", fix_en="choose another grid.")
        for c in (keep, other):
            if c in self.locked:
                raise LockedGridError(f"网格 {c} 已锁定", f"grid {c} is locked",
                                      fix_zh="先解锁该网格。", fix_en="unlock the grid first.")
        return MergeCommand(self, keep, other)

    def split(self, code: str) -> "SplitCommand":
        """Cut a grid in two connected halves, each within bounds when the total allows."""
        self._check_grid(code)
        if code in self.locked:
            raise LockedGridError(f"网格 {code} 已锁定", f"grid {code} is locked",
                                  fix_zh="先解锁该网格。", fix_en="unlock the grid first.")
        feats = [f for f in self.features_of(code) if self._hh[f] > 0]
        if len(feats) < 2:
            raise PlanEditError(f"网格 {code} 的住户太少，无法拆分", f"grid {code} has too few buildings to split",
                                fix_zh="改为合并。", fix_en="merge it instead.")
        g = self._graph(feats)
        H = int(g.w.sum())
        lo, hi = self.bounds[code]
        if not feasible_grid_counts(H, lo, hi) or 2 not in feasible_grid_counts(H, lo, hi):
            lo, hi = max(1, int(H * 0.4)), H - max(1, int(H * 0.4))
        parts = partition(g, range(len(feats)), 2, lo, hi)
        if parts is None:
            order = np.argsort(self._xy[feats, 0], kind="stable")
            cum = np.cumsum(g.w[order])
            cut = int(np.searchsorted(cum, H / 2))
            parts = [order[: cut + 1].tolist(), order[cut + 1:].tolist()]
        half = [feats[i] for i in parts[1]]
        return SplitCommand(self, code, self._new_code(code), half)

    # -- checks ----------------------------------------------------------------------------------
    def validate(self) -> list[Problem]:
        """Bounds, contiguity, unassigned and double-counted households of the plan."""
        out = []
        for c in self.codes:
            s = self.state(c)
            if s != "ok":
                lo, hi = self.bounds[c]
                t = self.totals[c]
                out.append(Problem("warning", f"grid_{s}", f"网格 {c} 有 {t} 户，不在 {lo}–{hi} 之内",
                                   f"grid {c} has {t} households, outside {lo}-{hi}",
                                   fix_zh="从相邻网格移入或移出住户，或合并/拆分。",
                                   fix_en="move households from or to a neighbour, or merge/split.",
                                   role="grids", features=[c], bounds=self._bounds_of(c)))
        lost = [f for f, parts in enumerate(self._parts) if not parts and self._hh[f] > 0]
        if lost:
            out.append(Problem("error", "unassigned_households", f"{len(lost)} 个住户要素不属于任何网格",
                               f"{len(lost)} household feature(s) belong to no grid",
                               fix_zh="把它们刷入相邻网格。", fix_en="paint them into a neighbouring grid.",
                               role="households", features=self._labels(lost)))
        double = [f for f, parts in enumerate(self._parts) if parts and sum(n for _, n in parts) != self._hh[f]]
        if double:
            out.append(Problem("error", "households_counted_twice",
                               f"{len(double)} 个住户要素的户数与所分网格不符（重复或遗漏）",
                               f"{len(double)} feature(s) whose households are counted twice or partly",
                               fix_zh="重新把这些楼栋刷入一个网格。", fix_en="paint these buildings into one grid again.",
                               role="households", features=self._labels(double)))
        # Contiguity: a grid's buildings must be joined through neighbours (Delaunay over every
        # building of the village) that are in the grid too.
        by_village: dict[str, list[int]] = {}
        for f, parts in enumerate(self._parts):
            if parts and self._hh[f] > 0:
                by_village.setdefault(self.village.get(self.grid_of(f), ""), []).append(f)
        split_grids = set()
        for v, feats in by_village.items():
            if len(feats) < 3:
                continue
            g = self._graph(feats, gap_limit=False)
            mine = [self.grid_of(f) for f in feats]
            for c in sorted(set(mine)):
                nodes = [i for i, m in enumerate(mine) if m == c]
                if len(nodes) > 1 and len(g.components(nodes)) > 1:
                    split_grids.add(c)
        for c in self.codes:
            if c in split_grids:
                out.append(Problem("warning", "grid_not_contiguous", f"网格 {c} 不连片",
                                   f"grid {c} is not contiguous", fix_zh="把飞地刷入相邻网格。",
                                   fix_en="paint the detached part into a neighbouring grid.",
                                   role="grids", features=[c], bounds=self._bounds_of(c)))
        return out

    # -- helpers ---------------------------------------------------------------------------------
    def _check_grid(self, code):
        if code not in self.totals:
            raise PlanEditError(f"没有网格 {code}", f"no grid {code}", fix_zh="检查网格编码。",
                                fix_en="check the grid code.")

    def _new_code(self, code: str) -> str:
        stem = code.rsplit("-", 1)[0]
        nums = [int(c.rsplit("-", 1)[1]) for c in self.totals if c.startswith(stem + "-")
                and c.rsplit("-", 1)[1].isdigit()]
        return f"{stem}-{max(nums, default=0) + 1:02d}"

    def _graph(self, feats: Sequence[int], gap_limit: bool = True) -> UnitGraph:
        """Households joined to their Delaunay neighbours among ``feats`` (contiguity and splits)."""
        from .units import _site_edges
        xy = self._xy[list(feats)]
        jitter = np.arange(len(xy))[:, None] * 1e-4  # identical points would merge in the triangulation
        a, b, aff = _site_edges(xy + jitter, None, np.zeros(0))
        # Long edges are gaps between hamlets, not neighbours.
        d = np.hypot(*(xy[a] - xy[b]).T)
        limit = max(4 * float(np.median(d)) if len(d) else 0.0, 150.0)
        keep = d <= limit if gap_limit else np.ones(len(d), dtype=bool)
        return UnitGraph(self._hh[list(feats)], xy, np.ones(len(xy)), a[keep], b[keep], aff[keep])

    def _labels(self, feats):
        if "src_id" in self.households:
            return [str(self.households["src_id"].iat[f]) for f in feats]
        return [str(f) for f in feats]

    def _bounds_of(self, code):
        feats = self.features_of(code)
        if not feats:
            return None
        xy = self._xy[feats]
        return [float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max())]

    def _set_parts(self, feature: int, parts: list[list]) -> set[str]:
        touched = set()
        self.edited += 1
        for c, n in self._parts[feature]:
            self.totals[c] -= n
            touched.add(c)
        self._parts[feature] = [list(p) for p in parts]
        for c, n in self._parts[feature]:
            self.totals[c] = self.totals.get(c, 0) + n
            touched.add(c)
        return touched

    def _changed(self, codes: set[str]) -> None:
        for f in list(self.listeners):
            f(codes)

    def to_households(self) -> gpd.GeoDataFrame:
        """The households layer with ``grid`` and ``grid_parts`` as edited."""
        hs = self.households.copy()
        hs["grid"] = [self.grid_of(f) for f in range(len(self._parts))]
        hs["grid_parts"] = [";".join(f"{c}:{n}" for c, n in p) if len(p) > 1 else "" for p in self._parts]
        return hs


def _num(v) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


# -- commands ----------------------------------------------------------------------------------
@dataclass
class MoveCommand:
    plan: GridPlan
    features: list[int]
    to: str
    before: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return f"移动 {len(self.features)} 栋到 {self.to} / move {len(self.features)} to {self.to}"

    def do(self) -> None:
        touched = set()
        for f in self.features:
            self.before[f] = [list(p) for p in self.plan._parts[f]]
            n = int(self.plan._hh[f])
            touched |= self.plan._set_parts(f, [[self.to, n]] if n or self.before[f] else [])
        self.plan._changed(touched)

    def undo(self) -> None:
        touched = set()
        for f in self.features:
            touched |= self.plan._set_parts(f, self.before[f])
        self.plan._changed(touched)


@dataclass
class LockCommand:
    plan: GridPlan
    code: str
    locked: bool
    was: bool = False

    @property
    def text(self) -> str:
        return f"{'锁定' if self.locked else '解锁'} {self.code} / {'lock' if self.locked else 'unlock'} {self.code}"

    def do(self) -> None:
        self.was = self.code in self.plan.locked
        (self.plan.locked.add if self.locked else self.plan.locked.discard)(self.code)
        self.plan._changed({self.code})

    def undo(self) -> None:
        (self.plan.locked.add if self.was else self.plan.locked.discard)(self.code)
        self.plan._changed({self.code})


@dataclass
class MergeCommand:
    plan: GridPlan
    keep: str
    other: str
    moved: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return f"合并 {self.other} 到 {self.keep} / merge {self.other} into {self.keep}"

    def do(self) -> None:
        p = self.plan
        for f in p.features_of(self.other):
            self.moved[f] = [list(x) for x in p._parts[f]]
            merged: dict[str, int] = {}
            for c, n in p._parts[f]:
                c = self.keep if c == self.other else c
                merged[c] = merged.get(c, 0) + n
            p._set_parts(f, [[c, n] for c, n in merged.items()])
        self._bounds = p.bounds.pop(self.other)
        self._index = p.codes.index(self.other)
        p.codes.remove(self.other)
        p.totals.pop(self.other, None)
        p._changed({self.keep, self.other})

    def undo(self) -> None:
        p = self.plan
        p.codes.insert(self._index, self.other)
        p.bounds[self.other] = self._bounds
        p.totals[self.other] = 0
        for f, parts in self.moved.items():
            p._set_parts(f, parts)
        p._changed({self.keep, self.other})


@dataclass
class SplitCommand:
    plan: GridPlan
    code: str
    new_code: str
    features: list[int]
    before: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return f"拆分 {self.code} → {self.new_code} / split {self.code}"

    def do(self) -> None:
        p = self.plan
        p.codes.append(self.new_code)
        p.bounds[self.new_code] = p.bounds[self.code]
        p.village[self.new_code] = p.village.get(self.code, "")
        p.totals[self.new_code] = 0
        for f in self.features:
            self.before[f] = [list(x) for x in p._parts[f]]
            p._set_parts(f, [[self.new_code if c == self.code else c, n] for c, n in p._parts[f]])
        p._changed({self.code, self.new_code})

    def undo(self) -> None:
        p = self.plan
        for f, parts in self.before.items():
            p._set_parts(f, parts)
        p.codes.remove(self.new_code)
        p.bounds.pop(self.new_code, None)
        p.totals.pop(self.new_code, None)
        p._changed({self.code, self.new_code})
