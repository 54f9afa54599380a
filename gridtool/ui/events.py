"""A minimal signal for the plain-Python models (the Qt view connects to these)."""

from __future__ import annotations

from typing import Callable


class Signal:
    """Callbacks run in order on :meth:`emit` (always on the thread that emits: the GUI thread)."""

    def __init__(self) -> None:
        self._slots: list[Callable] = []

    def connect(self, slot: Callable) -> None:
        if slot not in self._slots:
            self._slots.append(slot)

    def disconnect(self, slot: Callable) -> None:
        if slot in self._slots:
            self._slots.remove(slot)

    def emit(self, *args) -> None:
        for slot in list(self._slots):
            slot(*args)
