"""The internal-error log: one file per process in the user's cache folder, never a shared /tmp path.

``/tmp/gridtool-error.log`` was written by every process (each run overwrote the last one's
details) at a predictable path in a world-writable folder. Now a process that meets an internal
error writes ``error-<date>-<time>-<pid>-<random>.log`` (created exclusively, readable by the user
only) in

- ``$XDG_CACHE_HOME/gridtool/logs`` (default ``~/.cache/gridtool/logs``) on Linux,
- ``%LOCALAPPDATA%\\gridtool\\logs`` on Windows,
- ``~/Library/Caches/gridtool/logs`` on macOS,

and appends any later error of the same process to the same file. Only the newest 50 logs are
kept. If the cache folder cannot be written, a private temporary file is used instead.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

KEEP = 50
_lock = threading.Lock()
_path: Path | None = None


def log_folder() -> Path:
    """Where the logs of this user go (not created here): ``logs`` in the cache folder of
    :mod:`gridtool.settings` (``$GRIDTOOL_CACHE``, the config file's ``cache_dir``, the platform's)."""
    from . import settings
    try:
        return settings.current().log_dir
    except Exception:  # noqa: BLE001  (a broken config file must not lose the error being logged)
        return settings.default_cache_dir() / "logs"


def _create() -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"error-{stamp}-{os.getpid()}-{secrets.token_hex(3)}.log"
    try:
        folder = log_folder()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        _prune(folder)
        return path
    except OSError:
        fd, tmp = tempfile.mkstemp(prefix="gridtool-error-", suffix=".log")
        os.close(fd)
        return Path(tmp)


def _prune(folder: Path) -> None:
    try:
        logs = sorted(folder.glob("error-*.log"), key=lambda p: p.stat().st_mtime)
        for old in logs[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def write_error(text: str) -> Path:
    """Append ``text`` (a traceback and what was run) to this process's log; return its path."""
    global _path
    with _lock:
        if _path is None:
            _path = _create()
        with open(_path, "a", encoding="utf-8") as fh:
            fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} pid {os.getpid()}\n")
            fh.write(f"command: {' '.join(sys.argv)}\n")
            fh.write(text.rstrip() + "\n\n")
        return _path


__all__ = ["log_folder", "write_error"]
