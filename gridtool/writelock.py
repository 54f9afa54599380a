"""One writer at a time per project, and no write over changes made since the project was opened.

Two guards, both in :meth:`gridtool.project.Project.save`, so that every command and the desktop
app inherit them:

- **A lock file** ``PROJECT.gpkg.lock`` beside the project while it is being saved, holding the
  owner (process id, computer, user, command) and the time. It is locked with the operating
  system's file lock (``flock`` / ``msvcrt.locking``), which is released when the process ends,
  so a lock left behind by a killed process is stale at once and simply taken over. A second
  writer waits (``lock_wait_s`` of :mod:`gridtool.limits`, 15 s) and then refuses with a message
  naming the owner and how long it has held the lock.
- **A change check**: :func:`stamp` records a project's file identity (inode, size, modification
  time) when it is opened or saved; a save over the same path refuses when the file on disk has
  changed since — an import or another partition wrote it meanwhile — instead of silently
  replacing that work.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from . import limits
from .errors import ProjectError


class ProjectLockedError(ProjectError):
    """Another process is writing the project."""


class ProjectChangedError(ProjectError):
    """The project file changed on disk after it was opened; saving would lose those changes."""


def lock_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".lock")


def stamp(path: str | Path) -> tuple[int, int, int] | None:
    """The file's identity (inode, size, modification time in ns), or None when it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _owner_info() -> dict:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some service accounts
        user = ""
    return {"pid": os.getpid(), "host": socket.gethostname(), "user": user, "started": time.time(),
            "command": " ".join(sys.argv)[:300]}


def _read_info(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


if sys.platform == "win32":  # pragma: no cover
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        try:
            os.lseek(fd, 0, 0)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
else:
    import errno
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            return True  # a file system without locks (some network shares): go on unguarded

    def _unlock(fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError:
            pass


def _describe(info: dict) -> tuple[str, str]:
    age = time.time() - float(info.get("started", time.time()))
    who = f"{info.get('user') or '?'}@{info.get('host') or '?'}"
    pid = info.get("pid", "?")
    return (f"进程 {pid}（{who}），已持续 {age:.0f} 秒", f"process {pid} ({who}), for {age:.0f} s")


@contextmanager
def write_lock(path: str | Path, *, wait: float | None = None) -> Iterator[dict]:
    """Hold ``PATH.lock`` while the block runs; yields a dict with ``took_over`` (the owner of a
    stale lock that was taken over, if any)."""
    path = Path(path)
    lock = lock_path(path)
    wait = limits.current().lock_wait_s if wait is None else wait
    deadline = time.monotonic() + max(0.0, wait)
    result: dict = {"took_over": None}
    delay = 0.05
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            # Cannot create a lock beside the project (read-only folder): the save itself will
            # fail with a plain message; do not hide that behind a lock error.
            yield result
            return
        if _try_lock(fd):
            try:
                same = os.path.exists(lock) and os.stat(lock).st_ino == os.fstat(fd).st_ino
            except OSError:
                same = False
            if not same and sys.platform != "win32":
                os.close(fd)  # the holder removed the file as we opened it: take the new one
                continue
            previous = _read_info(lock)
            if previous and previous.get("pid") != os.getpid():
                result["took_over"] = previous  # left by a process that ended without cleaning up
            try:
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, 0)
                os.write(fd, json.dumps(_owner_info(), ensure_ascii=False).encode("utf-8"))
            except OSError:
                pass
            break
        os.close(fd)
        if time.monotonic() >= deadline:
            info = _read_info(lock)
            zh, en = _describe(info)
            raise ProjectLockedError(
                f"另一个 gridtool 程序正在写入这个项目（{zh}），为免互相覆盖，本次未保存",
                f"another gridtool program is writing this project ({en}); nothing was saved, so that "
                "neither overwrites the other",
                fix_zh=f"等它完成后重新运行。若那个程序已经关闭或卡死，结束它，或删除锁文件 {lock.name} 后重试。",
                fix_en=f"run again when it has finished. If that program has closed or hangs, end it, or "
                       f"delete the lock file {lock.name}, and try again.",
                file=str(path))
        time.sleep(delay)
        delay = min(0.5, delay * 1.5)
    try:
        yield result
    finally:
        if sys.platform == "win32":  # pragma: no cover - an open file cannot be removed there
            _unlock(fd)
            os.close(fd)
            try:
                os.unlink(lock)
            except OSError:
                pass
        else:
            try:
                os.unlink(lock)  # while still locked: a waiter that opened it re-checks the inode
            except OSError:
                pass
            _unlock(fd)
            os.close(fd)


def check_unchanged(path: str | Path, known: tuple | None) -> None:
    """Refuse when ``path`` is no longer the file recorded as ``known`` (see :func:`stamp`)."""
    if known is None:
        return
    now = stamp(path)
    if now is None or now == known:
        return  # removed meanwhile: writing it again loses nothing
    when = time.strftime("%H:%M:%S", time.localtime(now[2] / 1e9))
    raise ProjectChangedError(
        f"项目文件在打开之后被其他程序改写过（{when}），保存会丢掉那些修改，因此未保存",
        f"the project file was rewritten by another program after it was opened (at {when}); saving "
        "would lose those changes, so nothing was saved",
        fix_zh="重新运行命令（它会读取最新的项目），或把结果另存为新文件（--out 新文件.gpkg）。",
        fix_en="run the command again (it reads the project as it is now), or save the result under a new "
               "name (--out NEW.gpkg).", file=str(path))


__all__ = ["ProjectChangedError", "ProjectLockedError", "check_unchanged", "lock_path", "stamp", "write_lock"]
