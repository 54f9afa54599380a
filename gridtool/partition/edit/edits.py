"""The undoable edits of a grid plan: move buildings, lock, merge, split (:class:`UndoStack` runs them).

Each is made by a :class:`~.plan.GridPlan` method that checks the rules first (locks, village
boundaries, special grids), so a command that exists can always be done and undone. A command has
``do()``, ``undo()`` and a bilingual ``text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # type hints only: plan.py makes these commands
    from .plan import GridPlan


@dataclass
class MoveCommand:
    """Whole buildings into grid ``to`` (made by :meth:`GridPlan.move`)."""

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
    """Lock or unlock a grid (made by :meth:`GridPlan.set_locked`)."""

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
    """All of grid ``other``'s households into ``keep``; ``other`` goes (made by :meth:`GridPlan.merge`)."""

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
    """Some of grid ``code``'s buildings into a new grid ``new_code`` (made by :meth:`GridPlan.split`)."""

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


__all__ = ["LockCommand", "MergeCommand", "MoveCommand", "SplitCommand"]
