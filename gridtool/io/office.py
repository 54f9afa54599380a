"""Traces of Excel and WPS on a roster: the ``~$`` lock file they keep beside a workbook that is
open, and workbooks saved with a password (an encrypted OLE2 container, whatever the extension).

A planner who picks the lock file in a file dialog, or a workbook with a password, would otherwise
get "unrecognised binary data" or a parser's words about markers and sectors.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputFileError, UnsupportedFormatError
from ..problems import Problem

_OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")


def lock_file_owner(path: Path) -> Path | None:
    """The workbook a ``~$name`` lock file stands for, when ``path`` is one, else None."""
    if not path.name.startswith("~$"):
        return None
    rest = path.name[2:]
    for cand in sorted(path.parent.iterdir()) if path.parent.is_dir() else []:
        # Excel drops the first two characters of long names (~$户表.xlsx for 住户表.xlsx); WPS keeps them.
        if cand != path and not cand.name.startswith("~$") and (cand.name == rest or cand.name.endswith(rest)):
            return cand
    return path.with_name(rest)


def check_not_lock_file(path: Path) -> None:
    """Refuse a ``~$`` lock file given in place of its workbook, naming the workbook."""
    owner = lock_file_owner(path)
    if owner is None:
        return
    raise InputFileError(
        f"{path.name} 是 Excel/WPS 打开 {owner.name} 时生成的临时锁定文件，不是数据",
        f"{path.name} is the lock file Excel/WPS keeps while {owner.name} is open; it holds no data",
        fix_zh=f"改为传入 {owner.name}（先在 Excel/WPS 中保存并关闭它）。",
        fix_en=f"give {owner.name} instead (save and close it in Excel/WPS first).", file=str(path))


def open_in_office(path: Path) -> Problem | None:
    """A warning when a ``~$`` lock file beside ``path`` says it is open in Excel/WPS right now:
    edits not yet saved there are not in what was read."""
    locks = [path.with_name("~$" + path.name), path.with_name("~$" + path.name[2:])]
    if not any(p.is_file() for p in locks if p.name != "~$"):
        return None
    return Problem(
        "warning", "open_in_office", f"{path.name} 正在 Excel/WPS 中打开；读取的是上次保存的内容，未保存的修改不会导入",
        f"{path.name} is open in Excel/WPS; what was read is its last saved state, unsaved edits are not imported",
        fix_zh="在 Excel/WPS 中保存（或关闭）这个文件后重新导入。",
        fix_en="save (or close) it in Excel/WPS and import it again.", file=str(path))


def is_encrypted(path: Path) -> bool:
    """True for an OLE2 container holding an encrypted Office document (a workbook with a password)."""
    with open(path, "rb") as fh:
        head = fh.read(2 << 20)
    if not head.startswith(_OLE2):
        return False
    return any(name.encode("utf-16-le") in head for name in ("EncryptedPackage", "EncryptionInfo"))


def ole2_workbook_error(path: Path, reason_zh: str, reason_en: str) -> UnsupportedFormatError:
    """What to say about an OLE2 "workbook" that does not open: a password, or a damaged file."""
    if is_encrypted(path) or path.suffix.lower() == ".xlsx":
        # An .xlsx is a zip; one that is an OLE2 container is, in practice, one saved with a password.
        sure = is_encrypted(path)
        return UnsupportedFormatError(
            "Excel 文件设置了打开密码（已加密），无法读取" if sure else
            "无法读取 Excel 文件：它不是 .xlsx 格式，而是旧式 OLE2 容器且无法打开；多半设置了打开密码（已加密），或已损坏",
            "the Excel file is protected with a password (encrypted) and cannot be read" if sure else
            "cannot read the Excel file: it is not an .xlsx but an OLE2 container that does not open; most likely "
            "it is protected with a password (encrypted), or damaged",
            fix_zh="在 Excel/WPS 中输入密码打开，取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码；"
                   "WPS：文件→文档加密→密码加密），另存为 .xlsx 后再导入。",
            fix_en="open it in Excel/WPS with its password, remove the password (File → Info → Protect Workbook → "
                   "Encrypt with Password, clear it), save it as .xlsx and import that.", file=str(path))
    return UnsupportedFormatError(
        f"无法读取 Excel 文件：{reason_zh}", f"cannot read the Excel file: {reason_en}",
        fix_zh="在 Excel 中打开后另存为 .xlsx 再试；若打不开，重新获取该文件。",
        fix_en="open it in Excel and save it again as .xlsx; if it does not open, get the file again.",
        file=str(path))


__all__ = ["check_not_lock_file", "is_encrypted", "lock_file_owner", "ole2_workbook_error", "open_in_office"]
