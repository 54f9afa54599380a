"""Atomic writes for side files (reports, JSON, CSV): a temporary file beside the target, then a
rename, so a crash or a full disk never leaves half a file where a good one was.

Temporary names carry the writing process's id (``.NAME.<pid>.<random>.tmp``), so that the next
write to the same target removes what a killed process left behind (:func:`sweep`), and a failed
write becomes a plain bilingual message (:func:`write_failure`): a full disk, a file-size limit,
a read-only folder — never a page of SQL from the GeoPackage driver.
"""

from __future__ import annotations

import errno
import json
import os
import re
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import CancelledError, GridtoolError

#: How every GeoPackage gridtool writes is created: GeoPackage 1.2. GDAL 3.8+ writes 1.4 by default,
#: which the QGIS/GDAL of many office PCs only "partially supports" (a warning on every open); 1.2
#: holds everything a project needs.
GPKG_OPTIONS = {"VERSION": "1.2"}
#: A leftover whose process still runs is kept, unless it is older than this (a hung writer,
#: or a process id reused).
STALE_S = 24 * 3600


class WriteError(GridtoolError):
    """A file could not be written: the disk is full, the folder is read-only, a size limit."""


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover - no signal 0 there: leftovers go by age (STALE_S)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def temp_prefix(name: str) -> str:
    """``.NAME.<pid>.``: the start of this process's temporary files for the target ``NAME``."""
    return f".{name}.{os.getpid()}."


def sweep(folder: str | Path, name: str, suffix: str, *, everything: bool = False) -> list[Path]:
    """Remove temporary files for the target ``name`` that killed writers left in ``folder``.

    Matches ``.NAME.<pid>.<random><suffix>`` (and SQLite's ``-journal``/``-wal``/``-shm`` beside
    them). A file is removed when its process no longer runs, when it is older than
    :data:`STALE_S`, or with ``everything`` (the caller holds the target's write lock, so no
    other writer of the target can be at work). Returns what was removed.
    """
    pat = re.compile(rf"^\.{re.escape(name)}\.(\d+)\.[A-Za-z0-9_]+{re.escape(suffix)}(-journal|-wal|-shm)?$")
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for e in entries:
        m = pat.match(e.name)
        if not m:
            continue
        pid = int(m.group(1))
        try:
            old = now - e.stat(follow_symlinks=False).st_mtime > STALE_S
        except OSError:
            continue
        if pid == os.getpid() and not old:
            continue
        if everything or old or not _pid_alive(pid):
            try:
                if e.is_dir(follow_symlinks=False):
                    import shutil
                    shutil.rmtree(e.path, ignore_errors=True)
                else:
                    os.unlink(e.path)
                removed.append(Path(e.path))
            except OSError:
                pass
    return removed


_FULL = ("no space left", "disk is full", "disk full", "database or disk is full", "file too large", "sqlite_full",
         "quota exceeded", "disk quota", "not enough space", "write error", "file size limit")
_READONLY = ("read-only file system", "readonly database", "read-only", "permission denied", "access is denied",
             "unable to open database file", "attempt to write a readonly")


def _out_of_room(path: Path) -> bool:
    """Whether the folder of ``path`` is (nearly) full, or this process may not grow a file as
    large as the one it was writing (a file-size limit, ``ulimit -f``)."""
    folder = path.parent if path.parent.exists() else Path(".")
    try:
        import shutil
        if shutil.disk_usage(folder).free < 16 * 2**20:
            return True
    except OSError:
        pass
    try:
        import resource
        soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    except (ImportError, OSError, ValueError):  # Windows has no such limit
        return False
    if soft == resource.RLIM_INFINITY:
        return False
    biggest = 0
    try:
        for e in os.scandir(folder):
            if e.name.startswith(".") and e.is_file(follow_symlinks=False):
                biggest = max(biggest, e.stat().st_size)
            elif e.name.startswith(".") and e.is_dir(follow_symlinks=False):
                for f in os.scandir(e.path):
                    biggest = max(biggest, f.stat().st_size)
    except OSError:
        pass
    return biggest >= soft * 0.9 or soft < 2**20


#: Windows' "sharing violation" and "lock violation": another program holds the file open.
_IN_USE_WINERRORS = (32, 33)
#: Windows' ERROR_FILENAME_EXCED_RANGE: a path past MAX_PATH (260 characters).
_NAME_TOO_LONG_WINERROR = 206


def write_failure(exc: BaseException, path: str | Path, *, replacing: bool = False) -> WriteError | None:
    """A plain :class:`WriteError` for ``exc`` when it means "the disk is full / the file is open in
    another program / the folder cannot be written", else None. The driver's own text (often SQL)
    is not shown.

    ``replacing``: ``exc`` came from putting the finished file in place of an existing ``path``.
    The temporary file beside it could be written, so the folder is writable: a refusal now means
    the old file is held open (Excel and WPS lock the workbook they show) or marked read-only.
    """
    # Only an OSError's errno is an errno (GDAL's CPLE errors carry their own numbers).
    code = exc.errno if isinstance(exc, OSError) else None
    winerror = getattr(exc, "winerror", None)
    text = " ".join(str(a) for a in getattr(exc, "args", ()) if isinstance(a, (str, bytes)))
    text = (text or str(exc)).lower()
    cause = exc.__cause__ or exc.__context__
    if cause is not None:
        if code is None and isinstance(cause, OSError):
            code, winerror = cause.errno, getattr(cause, "winerror", None)
        text += " " + str(cause).lower()
    path = Path(path)
    if code == errno.EISDIR or (replacing and path.is_dir()):
        # Windows refuses a rename over a folder with "access denied", as over a file Excel holds.
        return WriteError(
            f"{path.name} 是一个文件夹，不能用作输出文件；其中的内容未改动",
            f"{path.name} is a folder and cannot be written as an output file; its contents are untouched",
            fix_zh="换一个文件名（带扩展名，如 台账.xlsx），或在该文件夹中选一个文件名。",
            fix_en="choose another file name (with its extension, e.g. ledger.xlsx), or a file name inside that "
                   "folder.", file=str(path))
    missing = getattr(exc, "filename", None) if code in (errno.ENOENT, errno.ENOTDIR, errno.EEXIST) else None
    if missing and path.parent.absolute() in (Path(missing).absolute(), Path(missing).absolute().parent):
        # creating a file (or the folder) there failed: a folder that cannot be made, or a system
        # folder such as /proc that holds no files of ours
        folder = path.parent.absolute()
        return WriteError(
            f"无法在文件夹 {folder} 中创建文件（文件夹不存在且无法创建，或是系统文件夹），{path.name} 未能写入；原有文件未改动",
            f"no file can be created in the folder {folder} (it does not exist and cannot be made, or it is a "
            f"system folder): {path.name} could not be written; any previous file is untouched",
            fix_zh="换一个可写的文件夹保存（如“文档”或桌面）。",
            fix_en="save into a folder you can write to (Documents, the desktop).", file=str(path))
    if code == errno.ENAMETOOLONG or winerror == _NAME_TOO_LONG_WINERROR or (
            winerror == 3 and len(str(path.absolute())) + 24 >= 260):  # the temporary name's tail
        return WriteError(
            f"文件名或路径太长，{path.name} 未能写入；原有文件未改动",
            f"the file name or path is too long: {path.name} could not be written; any previous file is untouched",
            fix_zh="换一个短一些的文件名，或保存到层级浅一些的文件夹（如 D:\\网格）。",
            fix_en="choose a shorter file name, or a folder nearer the top of the drive (e.g. D:\\grids).",
            file=str(path))
    if code in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", -1)) or any(w in text for w in _FULL):
        return WriteError(
            f"磁盘空间不足（或超出了允许的文件大小），{path.name} 未能写入；原有文件未改动",
            f"the disk is full (or a file-size limit was reached): {path.name} could not be written; any "
            "previous file is untouched",
            fix_zh="清理磁盘（或 U 盘）空间，或换一个有足够空间的文件夹后重试。",
            fix_en="free some disk space (or room on the USB stick), or write to a folder on a drive with room, "
                   "and try again.", file=str(path))
    in_use = winerror in _IN_USE_WINERRORS or (replacing and code in (errno.EACCES, errno.EPERM, errno.EBUSY))
    if in_use:
        return WriteError(
            f"{path.name} 无法替换：文件可能正在被 Excel/WPS 或其他程序（QGIS、奥维）打开；原有文件未改动",
            f"{path.name} could not be replaced: the file is probably open in Excel/WPS or another program "
            "(QGIS, Ovital); the previous file is untouched",
            fix_zh="文件可能正在被 Excel/WPS 打开，请关闭后重试；若文件被设为只读，请取消只读或换一个文件名。",
            fix_en="close the file in Excel/WPS (or the other program) and try again; if the file is marked "
                   "read-only, clear that or choose another name.", file=str(path))
    readonly = code in (errno.EROFS, errno.EACCES, errno.EPERM)
    if not readonly and code is None and _out_of_room(path):
        # Drivers often say only "Failed to commit transaction": look at the disk itself.
        return write_failure(OSError(errno.ENOSPC, "no space left"), path)
    readonly = readonly or any(w in text for w in _READONLY)
    if readonly or (code is None and not os.access(path.parent if path.parent.exists() else ".", os.W_OK)):
        return WriteError(
            f"没有写入权限（输出文件夹只读，或文件被占用），{path.name} 未能写入；原有文件未改动",
            f"no permission to write (the output folder is read-only, or the file is in use): {path.name} could "
            "not be written; any previous file is untouched",
            fix_zh="输出文件夹只读，请换一个文件夹（如“文档”或桌面）；网络文件夹请确认有写入权限；"
                   "若文件正被 Excel/WPS、QGIS 打开，请关闭后重试。",
            fix_en="the output folder is read-only: choose another folder (Documents, the desktop); on a network "
                   "folder ask for write permission; if the file is open in Excel/WPS or QGIS, close it and try "
                   "again.", file=str(path))
    return None


def _plain(exc: OSError, path: str | Path, *, replacing: bool = False) -> BaseException:
    """``exc`` as a :class:`WriteError` about ``path`` when it is a write failure, else ``exc``."""
    plain = write_failure(exc, path, replacing=replacing)
    if plain is None:
        return exc
    plain.__cause__ = exc
    return plain


_publishing = threading.local()  # the cancel check of the job running on this thread


@contextmanager
def cancel_publishing(cancelled) -> Iterator[None]:
    """While the block runs, :func:`publish` on this thread raises CancelledError instead of
    moving a file into place once ``cancelled()`` is true.

    The app's job runner wraps every job in it: a Cancel pressed while a writer that never asks
    ``cancelled()`` (a ledger, a GeoPackage) is busy still leaves no new file, and the file an
    earlier export wrote where the new one was going stays as it was.
    """
    before = getattr(_publishing, "cancelled", None)
    _publishing.cancelled = cancelled
    try:
        yield
    finally:
        _publishing.cancelled = before


def publish(tmp: str | Path, dest: str | Path, *, synced: bool = False) -> Path:
    """Move a finished temporary file into place: fsync it (unless ``synced``), give it the
    permissions a new file would get (``mkstemp`` makes it private), rename it over ``dest``
    atomically (``tmp`` is beside ``dest``) and fsync the folder.

    The one rename path of gridtool: side files (:func:`write_bytes_atomic`), GeoPackages
    (:func:`atomic_gpkg`) and files a writer (GDAL, matplotlib) made itself at a temporary path
    (:mod:`gridtool.maps.gis`, :mod:`gridtool.maps.paper`). Raises CancelledError, ``tmp`` left for
    the caller to remove, when the job was cancelled (:func:`cancel_publishing`). A rename that
    fails (the old file open in Excel, a full disk) raises :class:`WriteError` naming ``dest``,
    ``tmp`` removed and ``dest`` as it was. Inside :func:`publish_together` the rename waits for
    the end of the block.
    """
    cancelled = getattr(_publishing, "cancelled", None)
    if cancelled is not None and cancelled():
        raise CancelledError()
    dest = Path(dest)
    if dest.is_file():  # a GeoPackage another program is writing: never replaced under it
        from .io.files import check_not_in_use
        check_not_in_use(dest, writing=True)
    staged = getattr(_publishing, "staged", None)
    replacing = False
    try:
        if not synced:
            with open(tmp, "rb+") as fh:  # Windows flushes only handles open for writing
                os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        if staged is not None:  # beside its target, out of the writer's own temporary folder
            hold = dest.with_name(f".{dest.name}.{os.getpid()}.staged.tmp")
            os.replace(tmp, hold)
            # Written again in the block: the last content waits (its hold replaced the first).
            staged[:] = [(h, d) for h, d in staged if d != dest] + [(hold, dest)]
            return dest
        replacing = dest.exists()
        os.replace(tmp, dest)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _plain(exc, dest, replacing=replacing) from exc
    fsync_dir(dest.parent)
    return dest


def _backup(dest: Path) -> Path | None:
    """A second name for ``dest``'s current content (a hard link: no copy; a copy where the drive
    has no links, a FAT32 stick), so that a set half put in place can be put back. None: no file."""
    if not dest.exists():
        return None
    bak = dest.with_name(f".{dest.name}.{os.getpid()}.old.tmp")
    bak.unlink(missing_ok=True)
    try:
        os.link(dest, bak)
    except OSError:
        import shutil
        try:
            shutil.copy2(dest, bak)
        except OSError as exc:
            bak.unlink(missing_ok=True)
            raise _plain(exc, dest) from exc
    return bak


def _replace_all(pairs: list[tuple[Path, Path]]) -> list[Path]:
    """Rename every ``tmp`` over its ``dest``, or none: when one fails (Excel holds ``dest``), the
    ones already renamed get their old content back (or are removed, when there was none), every
    ``tmp`` is removed, and the failure is raised as :class:`WriteError`."""
    backups: dict[Path, Path | None] = {}
    placed: list[Path] = []
    try:
        for _, dest in pairs:
            sweep(dest.parent, dest.name, ".tmp")  # staged or old copies a killed run left
            backups[dest] = _backup(dest)
        for tmp, dest in pairs:
            try:
                os.replace(tmp, dest)
            except OSError as exc:
                raise _plain(exc, dest, replacing=dest.exists()) from exc
            placed.append(dest)
    except BaseException:
        kept = set()  # old copies that could not be put back: left beside the file, nothing lost
        for dest in reversed(placed):
            bak = backups.get(dest)
            try:
                if bak is None:
                    dest.unlink(missing_ok=True)
                else:
                    os.replace(bak, dest)
            except OSError:
                kept.add(bak)
        for tmp, _ in pairs:
            Path(tmp).unlink(missing_ok=True)
        for bak in backups.values():
            if bak is not None and bak not in kept:
                try:
                    bak.unlink(missing_ok=True)
                except OSError:
                    pass
        raise
    for bak in backups.values():
        if bak is not None:
            bak.unlink(missing_ok=True)
    for folder in {d.parent for _, d in pairs}:
        fsync_dir(folder)
    return [d for _, d in pairs]


def publish_set(pairs) -> list[Path]:
    """Move a set of finished temporary files into place together (a shapefile's .shp/.shx/.dbf,
    a folder of GeoJSON layers): a Cancel (:func:`cancel_publishing`) is heeded once, before the
    first rename, and never between two, so the folder holds the whole old set or the whole new
    one, never new geometry beside old attributes. A rename that fails (ArcGIS or Excel holds the
    ``.dbf``) puts the files already renamed back as they were. ``pairs``: (tmp, dest). Inside
    :func:`publish_together` the set waits, as :func:`publish` does, for the end of the block."""
    pairs = [(Path(t), Path(d)) for t, d in pairs]
    cancelled = getattr(_publishing, "cancelled", None)
    if cancelled is not None and cancelled():
        raise CancelledError()
    try:
        for tmp, dest in pairs:  # all on disk before the first rename
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            if dest.is_file() and dest.suffix.lower() == ".gpkg":
                from .io.files import check_not_in_use
                check_not_in_use(dest, writing=True)
    except OSError as exc:
        raise _plain(exc, dest) from exc
    umask = os.umask(0)
    os.umask(umask)
    for tmp, _ in pairs:
        os.chmod(tmp, 0o666 & ~umask)
    staged = getattr(_publishing, "staged", None)
    if staged is not None:  # inside publish_together: the set waits with the block's other files
        for tmp, dest in pairs:
            hold = dest.with_name(f".{dest.name}.{os.getpid()}.staged.tmp")
            try:
                os.replace(tmp, hold)
            except OSError as exc:
                raise _plain(exc, dest) from exc
            staged[:] = [(h, d) for h, d in staged if d != dest] + [(hold, dest)]
        return [d for _, d in pairs]
    return _replace_all(pairs)


@contextmanager
def publish_together() -> Iterator[None]:
    """Every :func:`publish` on this thread inside the block waits, its file beside the target,
    until the block ends; then all are put in place together (:func:`publish_set`'s all or none).

    For the folders the routing commands write (``patrol.gpkg`` with its GPX, KML, stop list and
    cards): the stop list open in Excel must not leave new routes on the phone beside the old list;
    and for one ``gridtool export`` (or the app's), whose HTML map, ledger and GIS files must agree.
    An error in the block removes the waiting files and changes nothing.
    """
    outer = getattr(_publishing, "staged", None)
    if outer is not None:  # already inside one: the outer block puts everything in place
        start = len(outer)
        try:
            yield
        except BaseException:
            # This block failed: its files must not be put in place with the outer block's, even
            # when the outer block catches the error and goes on.
            for hold, _ in outer[start:]:
                hold.unlink(missing_ok=True)
            del outer[start:]
            raise
        return
    staged: list[tuple[Path, Path]] = []
    _publishing.staged = staged
    try:
        yield
    except BaseException:
        for hold, _ in staged:
            hold.unlink(missing_ok=True)
        raise
    finally:
        _publishing.staged = None
    cancelled = getattr(_publishing, "cancelled", None)
    if cancelled is not None and cancelled():
        for hold, _ in staged:
            hold.unlink(missing_ok=True)
        raise CancelledError()
    _replace_all(staged)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """``data`` into ``path`` through a temporary file beside it (:func:`publish`). A folder that
    cannot be written or a full disk raises :class:`WriteError` naming ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sweep(path.parent, path.name, ".tmp")
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _plain(exc, path) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _plain(exc, path) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    publish(tmp, path, synced=True)
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | Path, obj) -> Path:
    return write_text_atomic(path, json.dumps(obj, ensure_ascii=False, indent=2, default=str))


@contextmanager
def atomic_gpkg(path: str | Path, *, sweep_all: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path`` for GDAL to create a GeoPackage at (it must create the
    file itself, so none exists yet). When the block ends without an error the file is fsynced
    and renamed over ``path``, and the folder fsynced; on any error it and its SQLite journals
    are removed and ``path`` is untouched. Temporary files that killed saves of ``path`` left
    are removed first (all of them with ``sweep_all``, when the caller holds the write lock).
    A full disk or a folder that cannot be written (found by GDAL as it writes) raises
    :class:`WriteError` naming ``path``, not the driver's SQL."""
    path = Path(path)
    if path.is_file():  # QGIS writing to it: replacing it now would lose that work (or fail on Windows)
        from .io.files import check_not_in_use
        check_not_in_use(path, writing=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sweep(path.parent, path.stem, ".tmp.gpkg", everything=sweep_all)
        fd, tmp_name = tempfile.mkstemp(prefix=temp_prefix(path.stem), suffix=".tmp.gpkg", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise _plain(exc, path) from exc
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        yield tmp
        publish(tmp, path)
    except BaseException as exc:
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal"), tmp.with_name(tmp.name + "-wal")):
            leftover.unlink(missing_ok=True)
        if isinstance(exc, OSError) or type(exc).__module__.startswith("pyogrio"):  # the driver's, not a bug
            plain = write_failure(exc, path)
            if plain is not None:
                raise plain from exc
        raise


def check_folder_writable(path: str | Path) -> None:
    """Raise the plain :class:`WriteError` of :func:`write_failure` now when no file can be made
    beside ``path`` (a read-only folder, /proc, a drive that is gone), so that a long command says
    so before it works for minutes, not after. The folder is created when missing, as a save would."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=temp_prefix(path.stem), suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        plain = write_failure(exc, path)
        if plain is None:
            raise
        raise plain from exc


@contextmanager
def unsynced_sqlite() -> Iterator[None]:
    """GDAL's SQLite (GeoPackage) writes without an fsync at every commit while the block runs;
    the previous setting back afterwards, whatever happens.

    Only for a temporary GeoPackage of :func:`atomic_gpkg`: :func:`publish` fsyncs the finished
    file once before the rename, so nothing is less durable, and a crash mid-write leaves only a
    temporary file that is never published. Each layer written is several commits, each an fsync:
    a batch run's chunk files spent most of their write waiting for the disk (8 townships: 3.4–6.4
    s → 1.4–2.5 s wall on a shared machine)."""
    import pyogrio
    before = pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS")
    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "OFF"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": before})


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened: Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open folders; os.replace is atomic there all the same
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
