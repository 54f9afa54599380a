"""A minimal Excel 97–2003 (.xls, BIFF8) writer, so that the corpus can hold a real .xls roster
(and truncate one) without a writer library: xlwt is unmaintained and not a dependency.

Worksheets (hidden rows and columns as ROW and COLINFO records, hidden sheets in BOUNDSHEET), numbers as NUMBER records and
text as LABEL records, in an OLE2 compound file with 512-byte sectors and no mini stream (the
workbook stream is padded to 4096 bytes). xlrd, pandas, LibreOffice and Excel read it.
"""

from __future__ import annotations

import math
import struct

_END, _FREE, _FATSECT, _NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _rec(rid: int, data: bytes) -> bytes:
    return struct.pack("<HH", rid, len(data)) + data


def _bof(kind: int) -> bytes:
    return _rec(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x06))


def _ustr(text: str, lenlen: int) -> bytes:
    raw = text.encode("utf-16-le")
    return struct.pack("<H" if lenlen == 2 else "<B", len(raw) // 2) + b"\x01" + raw


def _sheet(rows: list[list], hidden_rows=(), hidden_cols=()) -> bytes:
    ncols = max((len(r) for r in rows), default=0)
    out = [_bof(0x0010), _rec(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, ncols, 0))]
    for c in sorted(hidden_cols):  # COLINFO, 1-based as Excel numbers them; flag 1 = hidden
        out.append(_rec(0x007D, struct.pack("<HHHHHH", c - 1, c - 1, 2560, 0, 0x0001, 0)))
    for r in sorted(hidden_rows):  # ROW with fDyZero (0x20): the row is hidden
        out.append(_rec(0x0208, struct.pack("<HHHHHHI", r - 1, 0, ncols, 255, 0, 0, 0x0020 | (15 << 16))))
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                out.append(_rec(0x0203, struct.pack("<HHHd", r, c, 0, float(v))))
            else:
                text = str(v)[:8000]
                out.append(_rec(0x0204, struct.pack("<HHH", r, c, 0) + _ustr(text, 2)))
    out.append(_rec(0x000A, b""))
    return b"".join(out)


def workbook_stream(rows: list[list], sheet: str = "Sheet1") -> bytes:
    return workbook_sheets_stream({sheet: rows})


def workbook_sheets_stream(sheets: dict[str, list[list]], *, hidden_rows: dict | None = None,
                           hidden_cols: dict | None = None, hidden_sheets=()) -> bytes:
    """The workbook stream of ``sheets`` in order; ``hidden_rows``/``hidden_cols`` map a sheet's
    name to the 1-based rows and columns hidden on it; ``hidden_sheets`` are hidden as Excel's
    右键→隐藏 does (BOUNDSHEET visibility 1)."""
    hidden_rows, hidden_cols = hidden_rows or {}, hidden_cols or {}
    head = _bof(0x0005) + _rec(0x0042, struct.pack("<H", 1200))
    names = [_ustr(n, 1) for n in sheets]
    pos = len(head) + sum(4 + 4 + 2 + len(n) for n in names) + 4  # + the globals' EOF record
    bodies, bound = [], b""
    for (name, rows), raw in zip(sheets.items(), names):
        body = _sheet(rows, hidden_rows.get(name, ()), hidden_cols.get(name, ()))
        bound += _rec(0x0085, struct.pack("<IBB", pos, 1 if name in hidden_sheets else 0, 0) + raw)
        bodies.append(body)
        pos += len(body)
    data = head + bound + _rec(0x000A, b"") + b"".join(bodies)
    return data + b"\0" * max(0, 4096 - len(data))


def _dir_entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
    if not name:
        return b"\0" * 64 + struct.pack("<HBBIII", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM) + b"\0" * 36 \
            + struct.pack("<III", 0, 0, 0)
    raw = (name + "\0").encode("utf-16-le")
    return (raw.ljust(64, b"\0") + struct.pack("<HBBIII", len(raw), kind, 1, _NOSTREAM, _NOSTREAM, child)
            + b"\0" * 16 + b"\0" * 4 + b"\0" * 16 + struct.pack("<III", start, size, 0))


def xls_bytes(rows: list[list], sheet: str = "Sheet1") -> bytes:
    """The bytes of a one-sheet .xls holding ``rows`` (lists of numbers, text or None)."""
    return _ole2(workbook_stream(rows, sheet))


def xls_workbook_bytes(sheets: dict[str, list[list]], **hidden) -> bytes:
    """The bytes of an .xls with several sheets, some rows, columns or sheets hidden
    (:func:`workbook_sheets_stream`)."""
    return _ole2(workbook_sheets_stream(sheets, **hidden))


def _ole2(stream: bytes) -> bytes:
    n_w = -(-len(stream) // 512)
    n_f = 1
    while n_f * 128 < n_w + 1 + n_f:
        n_f += 1
    if n_f > 109:
        raise ValueError("workbook too large for this minimal writer")
    fat = [i + 1 for i in range(n_w - 1)] + [_END]  # the workbook chain
    fat += [_END]  # the directory sector
    fat += [_FATSECT] * n_f
    fat += [_FREE] * (n_f * 128 - len(fat))
    dir_sector = n_w
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16
              + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, n_f, dir_sector, 0, 4096, _END, 0, _END, 0)
              + b"".join(struct.pack("<I", n_w + 1 + i) for i in range(n_f))
              + struct.pack("<I", _FREE) * (109 - n_f))
    assert len(header) == 512
    body = stream.ljust(n_w * 512, b"\0")
    directory = (_dir_entry("Root Entry", 5, 1, _END, 0) + _dir_entry("Workbook", 2, _NOSTREAM, 0, len(stream))
                 + _dir_entry("", 0, 0, 0, 0) * 2)
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    return header + body + directory + fat_bytes
