"""An editable grid plan: households (buildings) assigned to grids, with live totals and the rules.

This is the model the desktop app paints on, and what an API user edits with. Every edit is an
undoable command (:mod:`.edits`, run by :class:`~.undo.UndoStack`); totals are kept per grid and
updated by the households each move carries (like Districtr's ``Tally``), never recomputed from
scratch, so a paint stroke stays cheap at county scale.

The rules are enforced here, for the app and API users alike:

- **locks**: a locked grid gains and loses no household, and is not merged or split
  (:class:`LockedGridError`);
- **village boundaries**: grids nest in villages, so households never move into a grid of another
  village and grids of two villages are never merged (:class:`OtherVillageError`);
- **special grids** (专属网格) are carved out of key places by the partition and not edited by hand;
- **bounds**: every grid keeps its household bounds (its own, else the plan's); :meth:`GridPlan.state`
  and :meth:`GridPlan.validate` say which grids are out of them.

A building whose households the partition divided between grids (an apartment block split by
entrance) is held as parts ``(feature, grid, households)``; moving the building moves all its parts.

>>> import geopandas as gpd
>>> from shapely.geometry import Point, box
>>> households = gpd.GeoDataFrame({"hh": [150, 200, 180, 170], "grid": ["V-01", "V-01", "V-02", "V-02"]},
...                               geometry=[Point(0, 0), Point(10, 0), Point(100, 0), Point(110, 0)])
>>> grids = gpd.GeoDataFrame({"code": ["V-01", "V-02"], "village": ["V", "V"]},
...                          geometry=[box(-5, -5, 55, 5), box(55, -5, 115, 5)])
>>> plan = GridPlan(households, grids, min_hh=300, max_hh=500)
>>> plan.totals
{'V-01': 350, 'V-02': 350}
>>> from gridtool.partition.edit import UndoStack
>>> stack = UndoStack()
>>> stack.push(plan.move([2], "V-01"))
>>> plan.totals, plan.state("V-01"), plan.state("V-02")
({'V-01': 530, 'V-02': 170}, 'over', 'under')
>>> stack.undo()
>>> plan.totals
{'V-01': 350, 'V-02': 350}
"""

from __future__ import annotations

import copy
import hashlib
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import geopandas as gpd
import numpy as np
import shapely

from ...errors import GridtoolError
from ...plurals import count_en, plural_en
from ...problems import Problem
from ...spatial import household_points
from ...values import parse_grid_parts, truthy
from ..contiguity import Pieces, grid_pieces, touching
from ..feasibility import feasible_grid_counts
from ..solver import UnitGraph, partition
from .edits import LockCommand, MergeCommand, MoveCommand, SplitCommand


class LockedGridError(GridtoolError):
    """An edit would change a locked grid."""


class PlanEditError(GridtoolError):
    """An edit that cannot be made (unknown grid, a special grid, nothing to move …)."""


class OtherVillageError(PlanEditError):
    """An edit would cross a village boundary (grids nest in villages)."""


class ApartGridsError(PlanEditError):
    """A merge of two grids that do not touch: the merged grid would lie in pieces its village does
    not explain (:mod:`..contiguity`). ``gap_m``: the gap between them; ``touching``: the grids of
    the village that do touch ``keep`` and may be merged into it (the likely intended ones)."""

    def __init__(self, keep: str, other: str, village: str, gap_m: float, touching: list[str]):
        self.keep, self.other, self.gap_m, self.touching = keep, other, float(gap_m), list(touching)
        near_zh = (f"与 {keep} 相邻的同村网格：{'、'.join(touching)}，是不是要合并其中之一？" if touching
                   else f"{village} 没有与 {keep} 相邻、可以合并的网格。")
        near_en = (f"the grids of {village} that touch {keep}: {', '.join(touching)} — did you mean one of them? "
                   if touching else f"no grid of {village} that touches {keep} can be merged into it. ")
        super().__init__(
            f"网格 {other} 与 {keep} 不相连（相距 {gap_m:,.0f} 米），合并后网格 {keep} 的住户将分在互不相连的几块土地上，"
            f"且不是因为{village}本身分成几块",
            f"grids {other} and {keep} do not touch ({gap_m:,.0f} m apart): merged, grid {keep} would lie in "
            f"pieces that its village {village} does not explain",
            fix_zh=f"{near_zh}确需合并不相连的网格：命令行加 --allow-apart，桌面程序中确认“仍要合并”。",
            fix_en=f"{near_en}To merge them anyway: add --allow-apart on the command line, or confirm "
                   "'Merge anyway' in the app.",
            layer="grids", feature=f"{keep}, {other}")


@dataclass
class Movable:
    """What :meth:`GridPlan.movable` found: the buildings that may go into the target grid, and
    those left where they are because their grid is locked or special (``locked``) or of another
    village (``other_village``)."""

    features: list[int] = field(default_factory=list)
    locked: list[int] = field(default_factory=list)
    other_village: list[int] = field(default_factory=list)


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
        #: The village of each grid (grids nest in villages).
        self.village = dict(zip(self.codes, self.grids["village"].astype(str)
                                if "village" in self.grids else [""] * len(self.codes)))
        self.locked = {c for c, lk in zip(self.codes, self.grids["locked"].tolist()
                                          if "locked" in self.grids else [False] * len(self.codes)) if truthy(lk)}
        #: Household bounds of each editable (base) grid; codes outside it are special grids.
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
        #: The grid holding most of each building when the plan was made: the grids' polygons are
        #: of this membership, and the land of an edited grid is rebuilt from it (contiguity).
        self._loaded = [self.grid_of(f) for f in range(len(self._parts))]
        #: The polygon of each grid's village (``from_project`` gives them; a grid in pieces
        #: because its village is in parts is told apart by them).
        self.village_shapes: dict[str, object] = {}

    @classmethod
    def from_project(cls, project) -> "GridPlan":
        """The plan of a partitioned project (its ``households`` and ``grids`` layers, the bounds of
        its last partition)."""
        if "grids" not in project.layers:
            raise PlanEditError("项目中还没有网格", "the project has no grids yet",
                                fix_zh="先运行“划分网格”（gridtool partition）。", fix_en="run the partition first.")
        params = project.parameters.get("partition", {}).get("parameters", {})
        plan = cls(project.layers["households"].gdf, project.layers["grids"].gdf,
                   min_hh=params.get("min_hh", 300), max_hh=params.get("max_hh", 500))
        vl = project.layers.get("villages")
        plan.village_shapes = village_shapes(plan.grids, vl.gdf if vl is not None else None)
        return plan

    # -- reading ------------------------------------------------------------------------------
    def grid_of(self, feature: int) -> str | None:
        """The grid holding most of a building's households."""
        parts = self._parts[feature]
        return max(parts, key=lambda p: p[1])[0] if parts else None

    def features_of(self, code: str) -> list[int]:
        """The household features with households in grid ``code``."""
        return [f for f, parts in enumerate(self._parts) if any(c == code for c, _ in parts)]

    def state(self, code: str) -> str:
        """``"under"``, ``"ok"`` or ``"over"`` against the grid's bounds (for the live colouring)."""
        lo, hi = self.bounds.get(code, (self.min_hh, self.max_hh))
        t = self.totals.get(code, 0)
        return "under" if t < lo else "over" if t > hi else "ok"

    def editable(self, code: str) -> bool:
        """Whether ``code`` is a base grid of the plan (special grids and unknown codes are not)."""
        return code in self.bounds

    def check_target(self, code: str) -> None:
        """Raise unless households may be painted into ``code``: a base grid of the plan
        (:class:`PlanEditError`) that is not locked (:class:`LockedGridError`)."""
        self._check_target(code)
        if code in self.locked:
            raise LockedGridError(f"网格 {code} 已锁定", f"grid {code} is locked",
                                  fix_zh="先解锁该网格。", fix_en="unlock the grid first.")

    # -- edits (each returns a command for an UndoStack) ---------------------------------------
    def movable(self, features: Iterable[int], to: str) -> Movable:
        """Sort ``features`` into those :meth:`move` may put into grid ``to`` and those the rules
        keep where they are: in a locked or special grid, or in a grid of another village than
        ``to``'s. Buildings in no grid may go anywhere. (The app's brush paints the movable ones and
        says how many were left.)"""
        self._check_target(to)
        out = Movable()
        village = self.village.get(to)
        for f in sorted({int(f) for f in features}):
            self._check_feature(f)
            src = {c for c, _ in self._parts[f]} - {to}
            if any(c in self.locked or c not in self.bounds for c in src):
                out.locked.append(f)
            elif any(self.village.get(c) != village for c in src):
                out.other_village.append(f)
            else:
                out.features.append(f)
        return out

    def move(self, features: Iterable[int], to: str) -> MoveCommand:
        """Move whole buildings into grid ``to`` (a brush stroke step).

        Raises
        ------
        LockedGridError
            ``to``, or a grid the buildings are in, is locked.
        OtherVillageError
            A building is in a grid of another village than ``to``'s.
        PlanEditError
            ``to`` is not a base grid of the plan, a building is in a special grid, or a feature
            number is out of range.
        """
        self._check_target(to)
        feats = sorted({int(f) for f in features})
        for f in feats:
            self._check_feature(f)
        if to in self.locked:
            raise LockedGridError(f"网格 {to} 已锁定，不能修改", f"grid {to} is locked",
                                  fix_zh="先解锁该网格。", fix_en="unlock the grid first.")
        src = {c for f in feats for c, _ in self._parts[f]} - {to}
        locked = sorted(src & self.locked)
        if locked:
            raise LockedGridError(f"网格 {', '.join(locked)} 已锁定，不能移出住户",
                                  f"{plural_en(len(locked), 'grid')} {', '.join(locked)} {plural_en(len(locked), 'is')} locked; households cannot leave them",
                                  fix_zh="先解锁该网格。", fix_en="unlock the grid first.")
        special = sorted(c for c in src if c not in self.bounds)
        if special:
            raise PlanEditError(f"{'、'.join(special)} 是专属网格，其住户不能移出",
                                f"{', '.join(special)}: {plural_en(len(special), 'special grid')}; their households are not moved by hand",
                                fix_zh="专属网格由重点场所的范围决定；修改场所图层后重新划分。",
                                fix_en="special grids follow the key places' areas; change the places layer and "
                                       "partition again.", layer="special_grids")
        village = self.village.get(to)
        other = sorted(c for c in src if self.village.get(c) != village)
        if other:
            raise OtherVillageError(
                f"网格 {'、'.join(other)} 属于其他村（社区），其住户不能移入 {village} 的网格 {to}",
                f"{plural_en(len(other), 'grid')} {', '.join(other)} {plural_en(len(other), 'belongs', 'belong')} to another village; their households cannot move into "
                f"grid {to} of {village}",
                fix_zh="网格不跨村（社区）：只在同一村（社区）的网格之间移动住户；如需调整村界，修改村界图层后重新划分。",
                fix_en="grids nest in villages: move households between grids of one village only; to change "
                       "a village boundary, edit the villages layer and partition again.", layer="grids")
        return MoveCommand(self, feats, to)

    def set_locked(self, code: str, locked: bool = True) -> LockCommand:
        """Lock (or unlock) a base grid: a locked grid keeps its households, shape and code through
        edits and redraws."""
        self._check_target(code)
        return LockCommand(self, code, locked)

    def merge(self, keep: str, other: str, *, allow_apart: bool = False,
              land: Callable[[str], object] | None = None) -> MergeCommand:
        """All of ``other``'s households into ``keep``; ``other`` is removed. Both must be unlocked
        base grids of one village, and touch unless ``allow_apart`` (:meth:`merge_gap`; ``land``:
        code -> polygon as edited, default the plan's polygons as edited here).

        Raises
        ------
        ApartGridsError
            The merged grid would lie in pieces the village does not explain (not ``allow_apart``).
        """
        self._check_target(keep)
        self._check_target(other)
        if keep == other:
            raise PlanEditError("不能把网格与自身合并", "cannot merge a grid with itself",
                                fix_zh="选择另一个网格。", fix_en="choose another grid.")
        for c in (keep, other):
            if c in self.locked:
                raise LockedGridError(f"网格 {c} 已锁定", f"grid {c} is locked",
                                      fix_zh="先解锁该网格。", fix_en="unlock the grid first.")
        if self.village.get(keep) != self.village.get(other):
            raise OtherVillageError(
                f"网格 {other}（{self.village.get(other)}）与 {keep}（{self.village.get(keep)}）不属于同一村（社区），不能合并",
                f"grids {other} ({self.village.get(other)}) and {keep} ({self.village.get(keep)}) belong to "
                "different villages and cannot be merged",
                fix_zh="选择同一村（社区）的网格；如需跨村合并，用“与邻村合并后重新划分”。",
                fix_en="choose a grid of the same village; to join two villages, merge them and partition "
                       "again (--merge).", layer="grids")
        if not allow_apart:
            land = land or self._land()
            gap = self.merge_gap(keep, other, land)
            if gap is not None:
                raise ApartGridsError(keep, other, self.village.get(keep, ""), gap, self._touching(keep, land, other))
        return MergeCommand(self, keep, other)

    def merge_gap(self, keep: str, other: str, land: Callable[[str], object] | None = None) -> float | None:
        """The gap in metres between ``keep`` and ``other`` when merging them would put the merged
        grid's households in more pieces of land than the parts of its village explain (the one
        rule of :mod:`..contiguity`); None when the merge keeps it whole, or in pieces only as the
        village is (an exclave of the same village). Pieces either grid already has are not counted
        against the merge."""
        land = land or self._land()
        vshape = self.village_shapes.get(keep)
        lk, lo = land(keep), land(other)
        fk, fo = self._populated(keep), self._populated(other)
        if not fk or not fo or lk is None or lo is None or shapely.is_empty(lk) or shapely.is_empty(lo):
            return None  # a grid with no households or land adds no piece
        both = sorted(set(fk) | set(fo))
        merged = grid_pieces(shapely.union_all([lk, lo]), self._xy[both], vshape)
        before = grid_pieces(lk, self._xy[fk], vshape).split + grid_pieces(lo, self._xy[fo], vshape).split
        if merged.split <= before:
            return None
        return float(shapely.distance(lk, lo))

    def _touching(self, keep: str, land: Callable[[str], object], other: str) -> list[str]:
        """The unlocked base grids of ``keep``'s village whose land touches ``keep``'s."""
        v = self.village.get(keep)
        cands = [c for c in self.codes if c not in (keep, other) and self.village.get(c) == v
                 and c in self.bounds and c not in self.locked]
        if not cands:
            return []
        hit = touching(land(keep), [land(c) for c in cands])
        return sorted(c for c, h in zip(cands, hit) if h)

    def _populated(self, code: str) -> list[int]:
        return [f for f, parts in enumerate(self._parts) if self._hh[f] > 0 and any(c == code for c, _ in parts)]

    def split(self, code: str) -> SplitCommand:
        """Cut a grid in two connected halves, each within bounds when the total allows."""
        self._check_target(code)
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
    def validate(self, land: Callable[[str], object] | None = None) -> list[Problem]:
        """Bounds, contiguity, unassigned and double-counted households of the plan. ``land``: the
        polygon of a grid by code as edited (the app's :class:`~.grid_shapes.GridShapes`)."""
        out = []
        # Households or villages re-imported since the grids were drawn (``status``, set by
        # layer_deps.mark_plan_stale): their counts say nothing until partitioned again.
        status = dict(zip(self.codes, self.grids["status"].astype(str))) if "status" in self.grids else {}
        from ...layer_deps import EMPTY_STATUS, STALE_STATUS
        stale = {c for c, s in status.items() if s in (STALE_STATUS, EMPTY_STATUS)}
        for c in sorted(c for c in stale if status[c] == EMPTY_STATUS):
            v = self.village.get(c, "")
            out.append(Problem("warning", "grid_emptied", f"网格 {c}（{v}）在重新导入住户后没有住户（状态：无住户）",
                               f"grid {c} ({v}) holds no household of the households re-imported (status: emptied)",
                               fix_zh="重新划分（gridtool partition 项目.gpkg --redraw），该网格将并入或删除。",
                               fix_en="partition again (gridtool partition PROJECT.gpkg --redraw); the grid is then "
                                      "merged or dropped.", role="grids", features=[c], bounds=self._bounds_of(c)))
        per_village: dict[str, int] = {}
        for c in self.codes:
            per_village[self.village.get(c, "")] = per_village.get(self.village.get(c, ""), 0) + 1
        for c in self.codes:
            s = self.state(c)
            if s != "ok" and c not in stale:
                lo, hi = self.bounds[c]
                t = self.totals[c]
                v = self.village.get(c, "")
                if v and per_village.get(v) == 1:
                    # The village's only grid (a village of 268 households): no neighbour in the
                    # village to take households from, grids never cross villages.
                    span = f"{t}-{hi}" if t < lo else f"{lo}-{t}"  # as typed on the command line
                    fix_zh = (f"这是{v}唯一的网格，户数由村（社区）本身决定，网格不跨村：保留为例外网格（无需处理），"
                              f"或与邻村合并后重新划分（gridtool partition 项目.gpkg --merge {v}=邻村），"
                              f"或放宽该村户数范围（--relax {v}={span}）。")
                    fix_en = (f"this is the only grid of {v}: its households are the village's, and grids never cross "
                              f"villages: keep it as an exceptional grid (nothing to do), or merge the village with a "
                              f"neighbour and partition again (gridtool partition PROJECT.gpkg --merge {v}=NEIGHBOUR), "
                              f"or relax its bounds (--relax {v}={span}).")
                else:
                    fix_zh = "从相邻网格移入或移出住户，或合并/拆分。"
                    fix_en = "move households from or to a neighbour, or merge/split."
                out.append(Problem("warning", f"grid_{s}", f"网格 {c} 有 {t} 户，不在 {lo}–{hi} 之内",
                                   f"grid {c} has {count_en(t, 'household')}, outside {lo}-{hi}",
                                   fix_zh=fix_zh, fix_en=fix_en,
                                   role="grids", features=[c], bounds=self._bounds_of(c)))
        lost = [f for f, parts in enumerate(self._parts) if not parts and self._hh[f] > 0]
        if lost:
            again = bool(stale)  # re-imported: the partition places them, not the brush
            out.append(Problem("error", "unassigned_households", f"{len(lost)} 个住户要素不属于任何网格",
                               f"{count_en(len(lost), 'household feature')} {plural_en(len(lost), 'belongs', 'belong')} to no grid",
                               fix_zh="重新划分（gridtool partition 项目.gpkg --redraw）。" if again else "把它们刷入相邻网格。",
                               fix_en="partition again (gridtool partition PROJECT.gpkg --redraw)." if again
                               else "paint them into a neighbouring grid.",
                               role="households", features=self._labels(lost)))
        double = [f for f, parts in enumerate(self._parts) if parts and sum(n for _, n in parts) != self._hh[f]]
        if double:
            out.append(Problem("error", "households_counted_twice",
                               f"{len(double)} 个住户要素的户数与所分网格不符（重复或遗漏）",
                               f"{count_en(len(double), 'feature')} whose households are counted twice or partly",
                               fix_zh="重新把这些楼栋刷入一个网格。", fix_en="paint these buildings into one grid again.",
                               role="households", features=self._labels(double)))
        # Contiguity: one rule with the partition's (:mod:`..contiguity`), on each grid's land as
        # edited (``land``: code -> polygon; default rebuilt from the plan's polygons).
        for c, p in self.pieces(land).items():
            v = self.village.get(c, "")
            if p.kind == "split":
                out.append(Problem(
                    "warning", "grid_not_contiguous",
                    f"网格 {c}（{v}）的住户分在 {p.pieces} 块互不相连的土地上，其中 {p.split} 块不是因为村本身分成几块",
                    f"grid {c} ({v}) has its households on {count_en(p.pieces, 'piece')} of land not joined "
                    f"to each other, {p.split} more than the parts of its village explain",
                    fix_zh="把孤立的那块刷入与其相连的相邻网格，或把中间隔开的土地刷入本网格。",
                    fix_en="paint the detached piece into the neighbouring grid it touches, or the land between "
                           "into this grid.",
                    role="grids", features=[c], bounds=self._bounds_of(c)))
            elif p.kind == "village_parts":
                out.append(Problem(
                    "info", "grid_in_village_parts",
                    f"网格 {c}（{v}）的住户分在 {p.pieces} 块土地上，因为村本身不连片：各块分属 {v} 的 "
                    f"{p.village_parts} 个部分（该村共 {p.village_total} 块，含飞地），不是划分错误",
                    f"grid {c} ({v}) has its households on {count_en(p.pieces, 'piece')} of land because the "
                    f"village itself is in parts: they lie in {p.village_parts} of the {count_en(p.village_total, 'part')} "
                    f"of {v} (exclaves), not an error of the grids",
                    fix_zh="无需处理；如需飞地单独成格，可手工拆分该网格。",
                    fix_en="nothing to fix; to give an exclave a grid of its own, split the grid by hand.",
                    role="grids", features=[c], bounds=self._bounds_of(c)))
        return out

    def pieces(self, land: Callable[[str], object] | None = None) -> dict[str, Pieces]:
        """:class:`~..contiguity.Pieces` of every grid with two or more populated buildings, on its
        land (``land``: code -> polygon as edited; default the plan's polygons as edited here)."""
        land = land or self._land()
        feats_of: dict[str, list[int]] = {}
        for f, parts in enumerate(self._parts):
            if self._hh[f] > 0:
                for c in {c for c, _ in parts}:
                    feats_of.setdefault(c, []).append(f)
        return {c: grid_pieces(land(c), self._xy[feats_of[c]], self.village_shapes.get(c))
                for c in self.codes if len(feats_of.get(c, ())) >= 2}

    # -- helpers ---------------------------------------------------------------------------------
    def _land(self) -> Callable[[str], object]:
        """Each grid's polygon as edited: the plan's polygons less the cells of the households that
        left, plus those that joined (:class:`~.grid_shapes.GridShapes`)."""
        from .grid_shapes import GridShapes
        from .membership import Membership
        m = Membership(self)
        m.base = np.array([m.code_index(c) if c else -1 for c in self._loaded], dtype=np.int64)
        # The polygons by the codes they were loaded with: after a merge self.codes has one fewer,
        # and pairing it with the loaded rows gave later grids their neighbours' polygons and the
        # merged-away grid's households no cells (a false 24 块互不相连 after merging two neighbours).
        loaded = self.grids["code"].astype(str).tolist()
        geoms = self.grids.geometry.values if "geometry" in self.grids else [None] * len(loaded)
        return GridShapes(loaded, geoms, m, self._xy).geometry

    def _check_grid(self, code):
        if code not in self.totals:
            raise PlanEditError(f"没有网格 {code}", f"no grid {code}", fix_zh="检查网格编码。",
                                fix_en="check the grid code.")

    def _check_target(self, code):
        """``code`` must be a base grid of the plan (not a special grid)."""
        self._check_grid(code)
        if code not in self.bounds:
            raise PlanEditError(f"{code} 是专属网格，不能手工编辑", f"{code} is a special grid; it is not edited by hand",
                                fix_zh="选择一个基础网格。", fix_en="choose a base grid.", layer="special_grids")

    def _check_feature(self, f: int) -> None:
        if not 0 <= f < len(self._parts):
            raise PlanEditError(f"没有第 {f} 个住户要素", f"no household feature {f}",
                                fix_zh="刷新后重试。", fix_en="refresh and try again.")

    def _new_code(self, code: str) -> str:
        stem = code.rsplit("-", 1)[0]
        nums = [int(c.rsplit("-", 1)[1]) for c in self.totals if c.startswith(stem + "-")
                and c.rsplit("-", 1)[1].isdigit()]
        return f"{stem}-{max(nums, default=0) + 1:02d}"

    def _graph(self, feats: Sequence[int], gap_limit: bool = True) -> UnitGraph:
        """Households joined to their Delaunay neighbours among ``feats`` (contiguity and splits)."""
        from ..units import _site_edges
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

    def frozen_copy(self) -> "GridPlan":
        """A copy that later edits of this plan do not change (read on another thread while the
        planner goes on editing); the layers it was made from are shared, not copied."""
        out = copy.copy(self)
        out._parts = [[list(p) for p in parts] for parts in self._parts]
        out.codes, out.totals, out.bounds = list(self.codes), dict(self.totals), dict(self.bounds)
        out.village, out.locked, out.listeners = dict(self.village), set(self.locked), []
        return out

    def fingerprint(self) -> str:
        """A digest of which households each grid holds (codes, bounds and every building's shares):
        equal for equal plans, so an undo comes back to the digest it left; a lock does not change it."""
        h = hashlib.blake2b(repr((self.codes, sorted(self.bounds.items()))).encode(), digest_size=16)
        for parts in self._parts:  # int(): a share may be a NumPy integer, whose repr differs
            h.update(";".join(f"{c}:{int(n)}" for c, n in parts).encode() + b"|")
        return h.hexdigest()

    def to_households(self) -> gpd.GeoDataFrame:
        """The households layer with ``grid`` and ``grid_parts`` as edited."""
        hs = self.households.copy()
        # A building divided evenly keeps the grid the partition named for it (its sub-grid lies
        # there); only a building whose largest share moved gets another grid.
        was = hs["grid"].tolist() if "grid" in hs else [None] * len(self._parts)
        hs["grid"] = [w if parts and any(c == w and n == max(k for _, k in parts) for c, n in parts)
                      else self.grid_of(f) for f, (w, parts) in enumerate(zip(was, self._parts))]
        hs["grid_parts"] = [";".join(f"{c}:{n}" for c, n in p) if len(p) > 1 else "" for p in self._parts]
        return hs


def _num(v) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


__all__ = ["ApartGridsError", "GridPlan", "LockedGridError", "Movable", "OtherVillageError", "PlanEditError", "parse_grid_parts"]


def village_shapes(grids, villages) -> dict[str, object]:
    """The village polygon of each grid code (``villages``: the villages layer's GeoDataFrame): by
    ``village_code`` where both layers have codes (two villages may share a name), else by name."""
    if villages is None or grids is None or not len(grids):
        return {}
    vg = villages
    if "village_code" in grids and "code" in vg:
        key_g, key_v = grids["village_code"].astype(str), vg["code"].astype(str)
    elif "village" in grids and "name" in vg:
        key_g, key_v = grids["village"].astype(str), vg["name"].astype(str)
    else:
        return {}
    by = dict(zip(key_v, vg.geometry.values))
    return {str(c): by[k] for c, k in zip(grids["code"].astype(str), key_g) if k in by}
