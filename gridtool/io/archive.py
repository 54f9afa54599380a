"""Opening archives (.zip, .kmz, .xlsx) safely: no path leaves the extraction folder, no bomb
fills the disk or the memory, a password or a broken archive gets a plain message.

Written by hand because :mod:`zipfile` trusts the archive: ``extractall`` strips ``..`` but a
reader that joins member names to a folder does not, and nothing limits what a member unpacks
to. Here every member is checked against :mod:`gridtool.limits` (members, total unpacked size,
unpacked/packed ratio) before anything is read, names are reduced to their last part, and the
bytes actually written are counted while streaming (a forged header cannot lie its way past).
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

from .. import limits
from ..errors import InputFileError, UnsupportedFormatError
from ..plurals import count_en


class ArchiveLimitError(InputFileError):
    """An archive is larger, more compressed or has more members than the limits allow."""


def open_zip(path: Path) -> zipfile.ZipFile:
    """A :class:`zipfile.ZipFile`, or a clear error for files that are not (complete) zips."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise UnsupportedFormatError(
            "压缩包已损坏、不完整或不是 zip 文件", "the archive is damaged, incomplete or not a zip file",
            fix_zh="重新下载或重新压缩该文件；确认扩展名与文件内容一致。",
            fix_en="download or zip the files again; check that the extension matches the content.",
            file=str(path)) from exc


def check_archive(zf: zipfile.ZipFile, path: Path, members: list[zipfile.ZipInfo] | None = None) -> None:
    """Refuse archives over the limits, and encrypted ones, before reading any member."""
    lim = limits.current()
    infos = zf.infolist()
    if len(infos) > lim.archive_members:
        raise ArchiveLimitError(
            f"压缩包有 {len(infos):,} 个文件，超过 {lim.archive_members:,} 个的上限",
            f"the archive lists {count_en(len(infos), 'file')}, more than the limit of {lim.archive_members:,}",
            fix_zh="只压缩需要的数据文件；若确实需要，用 --limit archive_members=数值 提高上限。",
            fix_en="zip only the data files needed; if it must be so, raise --limit archive_members=N.",
            file=str(path))
    chosen = infos if members is None else members
    total = sum(i.file_size for i in chosen)
    cap = lim.archive_unpacked_mb * 1024 * 1024
    if total > cap:
        raise ArchiveLimitError(
            f"压缩包解压后有 {total / 2**20:,.0f} MB，超过 {lim.archive_unpacked_mb:,.0f} MB 的上限",
            f"the archive unpacks to {total / 2**20:,.0f} MB, more than the limit of "
            f"{lim.archive_unpacked_mb:,.0f} MB", fix_zh="先解压到磁盘并检查其中的文件，或用 --limit "
            "archive_unpacked_mb=数值 提高上限。", fix_en="unpack it yourself and check its files, or raise "
            "--limit archive_unpacked_mb=N.", file=str(path))
    for i in chosen:
        if i.flag_bits & 0x1:
            raise InputFileError(
                f"压缩包中的 {PurePosixPath(i.filename).name} 有密码保护，无法读取",
                f"{PurePosixPath(i.filename).name} in the archive is password-protected and cannot be read",
                fix_zh="用压缩软件输入密码解压后，直接传入解压出的文件。",
                fix_en="unpack it with its password in your archive program and give the unpacked files.",
                file=str(path), layer=i.filename)
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > 10 * 2**20 and ratio > lim.archive_ratio:
            raise ArchiveLimitError(
                f"压缩包中的 {PurePosixPath(i.filename).name} 压缩比为 {ratio:,.0f}:1（解压后 "
                f"{i.file_size / 2**20:,.0f} MB），像是“压缩炸弹”，不予解压",
                f"{PurePosixPath(i.filename).name} in the archive is compressed {ratio:,.0f}:1 (unpacking to "
                f"{i.file_size / 2**20:,.0f} MB): it looks like a zip bomb and is not unpacked",
                fix_zh="确认压缩包来源；正常的数据文件压缩比一般在 20:1 以下。若确认无误，用 --limit archive_ratio=数值 放宽。",
                fix_en="check where the archive came from; real data compress less than about 20:1. If it is "
                       "fine, raise --limit archive_ratio=N.", file=str(path), layer=i.filename)


def safe_name(member: str) -> str:
    """The last part of a member's name: never a path outside the extraction folder."""
    name = PurePosixPath(member.replace("\\", "/")).name
    if name in ("", ".", "..") or "\x00" in name:
        raise InputFileError(f"压缩包中有无效的文件名：{member!r}", f"the archive holds an invalid file name: {member!r}",
                             fix_zh="重新压缩这些文件。", fix_en="zip the files again.")
    return name


def extract(zf: zipfile.ZipFile, path: Path, members: list[zipfile.ZipInfo], dest: Path) -> dict[str, Path]:
    """Extract ``members`` flat into ``dest`` (names reduced by :func:`safe_name`), counting the
    bytes written against the limits. Returns member name → extracted path."""
    check_archive(zf, path, members)
    lim = limits.current()
    cap = lim.archive_unpacked_mb * 1024 * 1024
    written = 0
    out: dict[str, Path] = {}
    for info in members:
        target = dest / safe_name(info.filename)
        try:
            with zf.open(info) as src, open(target, "wb") as dst:
                while True:
                    chunk = src.read(1 << 20)
                    if not chunk:
                        break
                    written += len(chunk)
                    if written > cap or written > max(info.file_size, 1) * 2 + (1 << 20):
                        raise ArchiveLimitError(
                            "压缩包解压出的数据比它声明的大得多，不予解压",
                            "the archive unpacks to far more than it declares; not unpacked",
                            fix_zh="确认压缩包来源，重新压缩数据文件。", fix_en="check where it came from; zip the data again.",
                            file=str(path), layer=info.filename)
                    dst.write(chunk)
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            if isinstance(exc, OSError) and getattr(exc, "errno", None) is not None:
                from ..atomic import write_failure
                plain = write_failure(exc, target)
                if plain is not None:
                    raise plain from exc
            raise UnsupportedFormatError(
                f"压缩包中的 {safe_name(info.filename)} 已损坏或使用了不支持的压缩方式",
                f"{safe_name(info.filename)} in the archive is damaged or uses an unsupported compression",
                fix_zh="用压缩软件重新压缩（zip 格式，“标准”压缩）。", fix_en="zip it again (zip format, standard deflate).",
                file=str(path), layer=info.filename) from exc
        out[info.filename] = target
    return out


def check_zip_file(path: Path) -> None:
    """Check a whole archive that another library will read itself (KMZ by GDAL, XLSX by openpyxl)."""
    with open_zip(path) as zf:
        check_archive(zf, path)


__all__ = ["ArchiveLimitError", "check_archive", "check_zip_file", "extract", "open_zip", "safe_name"]
