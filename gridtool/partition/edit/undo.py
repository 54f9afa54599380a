"""Undoable commands on a plain-Python stack (the desktop app's undo/redo; no Qt here).

A command has ``do()`` and ``undo()`` and a bilingual ``text``. ``UndoStack.push`` runs it.
A paint stroke is a *macro*: ``begin_macro`` … ``end_macro`` makes everything pushed in between one
undo step, and ``cancel_macro`` (Esc) undoes the stroke so far and drops it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol


class Command(Protocol):
    text: str

    def do(self) -> None: ...

    def undo(self) -> None: ...


@dataclass
class Macro:
    text: str
    commands: list = field(default_factory=list)

    def do(self) -> None:
        for c in self.commands:
            c.do()

    def undo(self) -> None:
        for c in reversed(self.commands):
            c.undo()


class UndoStack:
    """Undo/redo history. ``clean`` tells whether the state equals the last saved one."""

    def __init__(self, limit: int = 500):
        self._done: list = []
        self._undone: list = []
        self._macro: Macro | None = None
        self._clean_index: int | None = 0
        self.limit = limit
        self.listeners: list[Callable[[], None]] = []

    def push(self, command) -> None:
        command.do()
        if self._macro is not None:
            self._macro.commands.append(command)
            return
        self._record(command)

    def _record(self, command) -> None:
        self._done.append(command)
        self._undone.clear()
        if self._clean_index is not None and self._clean_index > len(self._done) - 1:
            self._clean_index = None  # the saved state can no longer be reached by redo
        if len(self._done) > self.limit:
            self._done.pop(0)
            self._clean_index = None if self._clean_index in (None, 0) else self._clean_index - 1
        self._notify()

    def begin_macro(self, text: str) -> None:
        if self._macro is not None:
            raise RuntimeError("a macro is already open")
        self._macro = Macro(text)

    def end_macro(self) -> None:
        m, self._macro = self._macro, None
        if m is not None and m.commands:
            self._record(m)

    def cancel_macro(self) -> None:
        m, self._macro = self._macro, None
        if m is not None:
            m.undo()
            self._notify()

    @property
    def in_macro(self) -> bool:
        return self._macro is not None

    def can_undo(self) -> bool:
        return bool(self._done) and self._macro is None

    def can_redo(self) -> bool:
        return bool(self._undone) and self._macro is None

    def undo(self) -> None:
        if not self.can_undo():
            return
        c = self._done.pop()
        c.undo()
        self._undone.append(c)
        self._notify()

    def redo(self) -> None:
        if not self.can_redo():
            return
        c = self._undone.pop()
        c.do()
        self._done.append(c)
        self._notify()

    def undo_text(self) -> str:
        return self._done[-1].text if self._done else ""

    def redo_text(self) -> str:
        return self._undone[-1].text if self._undone else ""

    def set_clean(self) -> None:
        self._clean_index = len(self._done)
        self._notify()

    @property
    def clean(self) -> bool:
        return self._clean_index == len(self._done) and self._macro is None

    def _notify(self) -> None:
        for f in list(self.listeners):
            f()
