"""Progress of a command-line job: one tqdm bar with an ETA on a terminal, one line per step otherwise.

The engines report progress through a plain ``progress(fraction, message)`` callable (messages
written ``中文 / English``) and know nothing of terminals; this module is the command side of that
contract, shared by every ``gridtool`` subcommand:

- stderr is a terminal: one `tqdm <https://tqdm.github.io/>`_ bar (percentage, elapsed, remaining
  time) whose description is the current step in the output language;
- stderr is a file or a pipe (CI, a log, ``2> log.txt``): one line per step, ``[ 42.0%] 步骤``, as
  before — no carriage returns in logs;
- ``--quiet``: nothing (the callable is ``None``, which every engine accepts).

Use it as a context manager so that the bar is closed (and the terminal line freed) before the
command prints its summary::

    with command_progress(args) as progress:
        plan = partition_project(project, progress=progress)
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

Progress = Callable[[float, str], None]

#: Resolution of the bar: fractions are reported in thousandths.
_STEPS = 1000


def one_side(message: str, lang: str | None) -> str:
    """A progress message written ``中文 / English`` in the output language (both for ``both``)."""
    zh, sep, en = str(message).partition(" / ")
    if not sep or lang not in ("zh", "en"):
        return str(message)
    return zh if lang == "zh" else en


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def _fixed_size(stream) -> tuple[int, int] | None:
    """``None`` when the terminal reports its size (tqdm follows it), else a fixed (columns, rows):
    tqdm draws nothing on a terminal of size 0×0 (some IDE consoles, ``script``)."""
    try:
        size = os.get_terminal_size(stream.fileno())
        if size.columns > 0 and size.lines > 0:
            return None
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        pass
    return int(os.environ.get("COLUMNS", "") or 0) or 80, 20


class CommandProgress:
    """``progress(fraction, message)`` for a command: a tqdm bar on a terminal, else lines.

    Parameters
    ----------
    lang
        ``"zh"``, ``"en"`` or ``"both"``: which side of ``中文 / English`` messages is shown.
        Default: ``$GRIDTOOL_LANG`` or ``zh``.
    stream
        Where to write (default ``sys.stderr``, looked up when the first step is reported).
    bar
        Force the bar on (``True``) or off (``False``); default: only when ``stream`` is a terminal.
    """

    def __init__(self, lang: str | None = None, *, stream: IO[str] | None = None, bar: bool | None = None):
        if not lang:
            from . import settings
            lang = settings.current().lang
        self.lang = lang
        self._stream = stream
        self._want_bar = bar
        self._bar = None
        self._last = 0

    @property
    def stream(self) -> IO[str]:
        return self._stream if self._stream is not None else sys.stderr

    def __call__(self, fraction: float, message: str) -> None:
        text = one_side(message, self.lang)
        use_bar = self._want_bar if self._want_bar is not None else _is_terminal(self.stream)
        if not use_bar:
            print(f"[{fraction * 100:5.1f}%] {text}", file=self.stream, flush=True)
            return
        if self._bar is None:
            from tqdm import tqdm
            fixed = _fixed_size(self.stream)
            self._bar = tqdm(total=_STEPS, file=self.stream, leave=True, mininterval=0.2,
                             dynamic_ncols=fixed is None, ncols=fixed and fixed[0], nrows=fixed and fixed[1],
                             bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")
        # Engines report forward only, but a sub-step may restart its own count: never move back.
        n = max(self._last, min(_STEPS, int(round(max(0.0, fraction) * _STEPS))))
        self._bar.set_description_str(text, refresh=False)
        self._bar.update(n - self._last)
        self._last = n
        self._bar.refresh()

    def finish(self) -> None:
        """The job is done: the bar shows 100 % (line output prints nothing more)."""
        if self._bar is not None and self._last < _STEPS:
            self._bar.update(_STEPS - self._last)
            self._last = _STEPS

    def close(self) -> None:
        """Finish the bar (a no-op for line output)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@contextmanager
def command_progress(args=None, *, lang: str | None = None, quiet: bool | None = None,
                     stream: IO[str] | None = None) -> Iterator[CommandProgress | None]:
    """The progress callable of a command (``None`` under ``--quiet``), closed when the block ends.

    ``args`` is the command's argparse namespace (its ``lang`` and ``quiet``); ``lang``/``quiet``
    override them.
    """
    lang = lang if lang is not None else getattr(args, "lang", None)
    quiet = quiet if quiet is not None else bool(getattr(args, "quiet", False))
    if quiet:
        yield None
        return
    show = CommandProgress(lang, stream=stream)
    try:
        yield show
        show.finish()
    finally:
        show.close()


__all__ = ["CommandProgress", "Progress", "command_progress", "one_side"]
