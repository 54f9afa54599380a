"""Joining a table to the grids or sub-grids by code: the grid-worker roster (网格员台账), scores.

Every township keeps a 网格员台账 in Excel — a title row, then 网格编码, 网格员, 联系电话, 职务 …
— and the assessment office a table of scores (考核得分). :func:`join_table` reads such a table
(title rows skipped as for rosters, :func:`gridtool.io.vector.read_table`), matches the column
``on`` against the codes of the base grids (with the special grids) or of the sub-grids, whichever
the codes in that column are, and returns new layers with the table's columns; the command line
(``gridtool join``) saves them into the project atomically, the desktop app as one undoable step.

Rules a planner can rely on:

- rows are named by the spreadsheet row number they see (``第 5 行``);
- a code on two rows is refused, with both rows named: which one is right is the planner's call;
- rows whose code matches no grid are reported, never dropped silently;
- a second join *replaces* the columns it brings (no ``_x``/``_y``): grids absent from the new
  table lose the old value, and the count of such grids is reported;
- ``网格员`` (and aliases) fills ``worker``, the column wall maps, atlas and HTML map show;
  phone columns fill ``worker_phone``; ``网格长`` fills ``head``; the other columns keep their
  headers. Score columns (得分, 分数, 评分 … or all values numbers) become numbers;
- names and phone numbers joined are flagged sensitive, as ``import`` flags them, so exports
  mask them unless ``--include-personal``;
- the partition's own columns (``code``, ``hh``, ``status``, ``note``, ``locked`` …) are never
  overwritten: such a table column is refused with a fix (``--columns``).

Written by hand: a pandas ``merge`` would add ``_x``/``_y`` columns, drop the spreadsheet row
numbers and accept duplicate keys, which are exactly what a planner must not get.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from .columns import sensitive_columns
from .personal import free_text_columns
from .plurals import count_en, plural_en
from .errors import InputFileError, MissingColumnError
from .io.excel_sheets import ALL_SHEETS, SHEET_COLUMN
from .io.vector import Table, header_row_with, read_table, split_path_layer


class JoinError(InputFileError):
    """A table that cannot be joined (duplicate codes, no code matching any grid …)."""


#: Table headers that fill gridtool's own staff columns (compared without spaces, lower case).
JOIN_ALIASES: dict[str, tuple[str, ...]] = {
    "worker": ("网格员", "网格员姓名", "网格员名字", "专职网格员", "网格管理员", "网格员（姓名）", "worker",
               "grid_worker", "gridworker"),
    "worker_phone": ("联系电话", "网格员电话", "网格员联系电话", "网格员手机", "手机", "手机号", "手机号码",
                     "电话", "电话号码", "联系方式", "phone", "mobile", "tel", "telephone", "worker_phone"),
    "head": ("网格长", "网格长姓名"),
    "head_phone": ("网格长电话", "网格长联系电话", "网格长手机"),
}
#: Kinds of personal data of the staff columns (as :attr:`gridtool.layers.Layer.sensitive`).
STAFF_KINDS = {"worker": "name", "head": "name", "worker_phone": "phone", "head_phone": "phone"}
#: A bare 姓名 column names the worker only when the table has no other worker column.
_NAME_FALLBACK = ("姓名", "name")
#: Columns the partition writes; a joined table never overwrites them.
PROTECTED = frozenset({"geometry", "code", "village", "village_code", "hh", "status", "note", "min_hh", "max_hh",
                       "worker_slots", "locked", "area_m2", "polsby_popper", "hard_crossings", "soft_crossings",
                       "max_dist_m", "ridge_m", "places", "place_names", "n_subgrids", "grid", "kind", "n_features",
                       "apartment_parts", "category", "name", "fid", "src_id"})
#: Header words of score columns: these become numbers.
SCORE_WORDS = ("得分", "分数", "评分", "考核", "成绩", "分值", "score", "points", "rating")
#: Columns left out unless named in ``columns``: a row counter is not an attribute of a grid.
SKIPPED = ("序号", "编号", "no", "no.", "序", "行号")

_SPACE = re.compile(r"\s+")


def _squash(name) -> str:
    return _SPACE.sub("", str(name)).lower()


def normalise_code(value) -> str | None:
    """A code cell as text: full-width characters folded, spaces removed, ``5.0e11`` → digits."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    text = _SPACE.sub("", unicodedata.normalize("NFKC", str(value))).upper()
    text = text.replace("—", "-").replace("–", "-").replace("－", "-")
    return text or None


def _cell(value):
    """A table cell as it should be stored: text stripped, integers from Excel without ``.0``,
    dates as ISO text; missing as None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if np.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.date().isoformat() if value == value.normalize() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _number(value) -> float | None:
    """``85``, ``"85.5"``, ``"85分"``, ``"８５"`` → float; anything else None."""
    if value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return None if pd.isna(value) else float(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().rstrip("分").strip()
    return float(text) if _NUMBER.match(text) else None


def _looks_numeric(values: list) -> bool:
    """All filled values are short plain numbers (no leading zero, at most 6 digits): a measure,
    not a code or a phone number."""
    filled = [v for v in values if v is not None]
    if not filled:
        return False
    for v in filled:
        text = unicodedata.normalize("NFKC", str(v)).strip()
        digits = re.sub(r"\D", "", text)
        if _number(v) is None or len(digits) > 6 or (len(digits) > 1 and text.lstrip("+-").startswith("0")
                                                    and not text.lstrip("+-").startswith("0.")):
            return False
    return True


def is_score_header(name: str) -> bool:
    k = _squash(name)
    return any(w in k for w in SCORE_WORDS)


@dataclass
class JoinResult:
    """What a join would do; :meth:`apply_to` puts :attr:`layers` into the project."""

    table: Table
    key: str                       # the table column holding the codes
    target: str                    # "grids" (base and special grids) or "subgrids"
    layers: dict                   # role -> new Layer
    columns: dict[str, str]        # table column -> layer column
    numeric: list[str]             # layer columns stored as numbers
    matched_rows: list[int | str]  # spreadsheet rows: 5, or 石桥村!5 for a workbook read whole (FILE:*)
    unmatched: list[tuple[int | str, str, str]]       # (row, code, why: "" / "subgrid" / "grid")
    empty_rows: list[int | str]    # rows without a code
    not_in_table: list[str]        # codes of target features no row names
    cleared: dict[str, int]        # layer column -> features that had a value and lost it
    not_numbers: dict[str, list[tuple[int, str]]]  # layer column -> (row, value) not a number
    sensitive: dict[str, str]      # layer column -> kind
    guessed: list[tuple[str, str]] = field(default_factory=list)  # what was guessed, in words (zh, en)

    def apply_to(self, project) -> None:
        """Put the joined layers into ``project`` and log the join in its parameters (in memory;
        save the project to keep them)."""
        project.layers.update(self.layers)
        log_join(project.parameters, self)

    def log_entry(self) -> dict:
        """What the project's ``parameters["joins"]`` keeps of this join (the ledger reads the
        joined columns from it)."""
        return {"table": self.table.path, "sheet": self.table.sheet, "on": self.key, "target": self.target,
                "columns": dict(self.columns), "numeric": list(self.numeric),
                "rows_matched": len(self.matched_rows), "rows_unmatched": [r for r, _, _ in self.unmatched],
                "at": datetime.now().isoformat(timespec="seconds")}

    def summary_lines(self, lang: str | None = "zh") -> list[str]:
        """What was joined, in the language asked (``None``: both), for the console and the log."""
        what_zh = {"grids": "基础网格（含专属网格）", "subgrids": "子网格"}[self.target]
        what_en = {"grids": "base grids (and special grids)", "subgrids": "sub-grids"}[self.target]
        n_feat = sum(len(lyr.gdf) for lyr in self.layers.values())
        cols = "、".join(f"{a}→{b}" if a != b else a for a, b in self.columns.items())
        cols_en = ", ".join(f"{a}→{b}" if a != b else a for a, b in self.columns.items())
        out: list[tuple[str, str]] = [
            (f"按“{self.key}”连接到{what_zh}：表中 {len(self.matched_rows)} 行匹配（共 {n_feat} 个网格）；列：{cols}",
             (f"joined on {self.key!r} to the {what_en}: {count_en(len(self.matched_rows), 'row')} matched "
              f"({count_en(n_feat, 'grid')}); columns: {cols_en}"))]
        for p in self.table.problems:  # how the table was read: other sheets left out, sheets merged …
            out.append((f"  {p.zh}" + (f"（{p.fix_zh}）" if p.fix_zh else ""),
                        f"  {p.en}" + (f" ({p.fix_en})" if p.fix_en else "")))
        if self.numeric:
            out.append((f"  数值列：{'、'.join(self.numeric)}", f"  numeric columns: {', '.join(self.numeric)}"))
        for zh, en in self.guessed:
            out.append((f"  {zh}", f"  {en}"))
        if self.unmatched:
            listed = "；".join(f"{row_zh(r)} {c}" + ("（是子网格编码）" if w == "subgrid" else "（是基础网格编码）"
                                                if w == "grid" else "") for r, c, w in self.unmatched[:20])
            listed_en = "; ".join(f"{row_en(r)} {c}" + (" (a sub-grid code)" if w == "subgrid" else " (a base-grid code)"
                                                 if w == "grid" else "") for r, c, w in self.unmatched[:20])
            more = f" …（共 {len(self.unmatched)} 行）" if len(self.unmatched) > 20 else ""
            more_en = f" … ({count_en(len(self.unmatched), 'row')})" if len(self.unmatched) > 20 else ""
            out.append((f"  未匹配的行（编码不在项目中，未连接）：{listed}{more}",
                        f"  rows not matched (code not in the project, not joined): {listed_en}{more_en}"))
        if self.empty_rows:
            rr, rr_en = rows_zh(self.empty_rows[:20]), rows_en(self.empty_rows[:20])
            out.append((f"  编码为空的行（未连接）：{rr}", f"  rows without a code (not joined): {rr_en}"))
        if self.not_in_table:
            more = " …" if len(self.not_in_table) > 10 else ""
            out.append((f"  表中没有的网格 {len(self.not_in_table)} 个：{'、'.join(self.not_in_table[:10])}{more}",
                        f"  {count_en(len(self.not_in_table), 'grid')} not in the table: {', '.join(self.not_in_table[:10])}{more}"))
        for col, n in self.cleared.items():
            if n:
                out.append((f"  “{col}”列：{n} 个网格原有值，本表中没有，已清空",
                            f"  column {col!r}: {count_en(n, 'grid')} had a value and {plural_en(n, 'is')} not in this table; "
                            "cleared"))
        for col, bad in self.not_numbers.items():
            rr = "；".join(f"{row_zh(r)} “{v}”" for r, v in bad[:10])
            rr_en = "; ".join(f"{row_en(r)} {v!r}" for r, v in bad[:10])
            out.append((f"  “{col}”列不是数字、已留空：{rr}", f"  column {col!r}: not a number, left empty: {rr_en}"))
        if self.sensitive:  # a note is personal by its content: say so, it has no personal header
            zh = "、".join(f"{c}（内容：文字中有电话或身份证号）" if k == "text" else c for c, k in self.sensitive.items())
            en = ", ".join(f"{c} (content: phone or ID numbers in the text)" if k == "text" else c
                           for c, k in self.sensitive.items())
            out.append((f"  个人信息列（导出时默认脱敏）：{zh}", f"  personal-data columns (masked in exports): {en}"))
        if lang == "zh":
            return [z for z, _ in out]
        if lang == "en":
            return [e for _, e in out]
        return [x for pair in out for x in pair]


def _find_staff(columns: list[str]) -> dict[str, str]:
    """Table column -> staff column for the columns named like 网格员 / 联系电话 / 网格长."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for target, aliases in JOIN_ALIASES.items():
        keys = [_squash(a) for a in aliases]
        for k in keys:  # most specific alias first
            col = next((c for c in columns if _squash(c) == k and c not in out), None)
            if col is not None:
                out[col] = target
                taken.add(target)
                break
    if "worker" not in taken:
        col = next((c for c in columns if _squash(c) in _NAME_FALLBACK and c not in out), None)
        if col is not None:
            out[col] = "worker"
    return out


def suggest_key_column(project, table: pd.DataFrame, *, codes: set[str] | None = None) -> str | None:
    """The table column whose values match most grid or sub-grid codes of ``project`` (None: none).
    ``codes``: those codes taken beforehand (:func:`grid_codes`), for a worker thread that must not
    read the live project."""
    if codes is None:
        codes = grid_codes(project)
    best, hits = None, 0
    for col in table.columns:
        vals = {normalise_code(v) for v in table[col].tolist()}
        n = len(vals & codes)
        if n > hits:
            best, hits = col, n
    return best


def _row(r) -> int | str:
    """A table row as the planner finds it: its number (5), or ``石桥村!5`` in a workbook read whole."""
    return int(r) if isinstance(r, (int, np.integer)) or str(r).isdigit() else str(r)


def row_zh(r) -> str:
    """``第 5 行``; ``工作表“石桥村”第 5 行`` for a row of a workbook read whole (``FILE:*``)."""
    sheet, _, n = str(r).rpartition("!")
    return f"工作表“{sheet}”第 {n} 行" if sheet else f"第 {r} 行"


def row_en(r) -> str:
    """``row 5``; ``sheet 石桥村 row 5``."""
    sheet, _, n = str(r).rpartition("!")
    return f"sheet {sheet!r} row {n}" if sheet else f"row {r}"


def rows_zh(rows) -> str:
    """``第 4、7 行``; rows of a workbook read whole each with its sheet."""
    rows = list(rows)
    if all(isinstance(r, (int, np.integer)) or str(r).isdigit() for r in rows):
        return f"第 {'、'.join(str(int(r)) for r in rows)} 行"
    return "、".join(map(row_zh, rows))


def rows_en(rows) -> str:
    """``rows 4, 7``; rows of a workbook read whole each with its sheet."""
    rows = list(rows)
    if all(isinstance(r, (int, np.integer)) or str(r).isdigit() for r in rows):
        return f"rows {', '.join(str(int(r)) for r in rows)}"
    return ", ".join(map(row_en, rows))


def grid_codes(project) -> set[str]:
    """Every grid, special-grid and sub-grid code of ``project``, normalised."""
    return _codes(project, "grids") | _codes(project, "subgrids")


def _codes(project, family: str) -> set[str]:
    roles = ("grids", "special_grids") if family == "grids" else ("subgrids",)
    out: set[str] = set()
    for r in roles:
        lyr = project.layers.get(r)
        if lyr is not None and lyr.gdf is not None and "code" in lyr.gdf:
            out |= {c for c in (normalise_code(v) for v in lyr.gdf["code"].tolist()) if c}
    return out


def read_join_table(spec: str, *, on: str | None = None, encoding: str | None = None) -> Table:
    """Read ``FILE.xlsx[:SHEET]`` or ``FILE.csv``; the header is the first row holding ``on``
    (else the first row that looks like a header), so title rows above it are skipped."""
    from .io.vector import guess_header_row

    path, sheet = split_path_layer(spec)
    find = (lambda frame: header_row_with(frame, [on])) if on is not None else guess_header_row
    t = read_table(path, sheet=sheet, encoding=encoding, find_header=find, option="--table")
    if on is not None and on not in t.frame.columns:
        # No row holds ``on``: list the columns of the row that looks like the header.
        t = read_table(path, sheet=sheet, encoding=encoding, find_header=guess_header_row)
        cols = [str(c) for c in t.frame.columns if not re.fullmatch(r"col\d+", str(c))]
        raise MissingColumnError(
            f"表中没有列“{on}”。现有列：{'、'.join(cols)}",
            f"the table has no column {on!r}. Columns: {', '.join(cols)}",
            fix_zh="用 --on 指定上面列出的编码列（表头须与表中完全一致）。",
            fix_en="name the code column with --on, exactly as its header reads.",
            file=t.path, layer=t.sheet, field=on)
    return t


def join_table(project, table: str | Table, *, on: str, columns: Iterable[str] | None = None,
               encoding: str | None = None) -> JoinResult:
    """Join ``table`` to the grids or sub-grids of ``project`` on the code column ``on``.

    Parameters
    ----------
    project
        A partitioned :class:`~gridtool.project.Project`; it is not changed (see
        :meth:`JoinResult.apply_to`).
    table
        ``FILE.xlsx[:SHEET]``, ``FILE.csv`` or a :class:`~gridtool.io.vector.Table` already read.
    on
        The table column with grid or sub-grid codes (e.g. ``网格编码``). The codes decide the
        target: base grids (with special grids) or sub-grids, whichever more of them match.
    columns
        Table columns to join (default all but ``on`` and a row counter such as ``序号``).

    Raises
    ------
    MissingColumnError
        ``on`` or a name in ``columns`` is not a column of the table (the message lists them).
    JoinError
        A code on more than one row (rows named), no code matching any grid, a column that would
        overwrite one the partition writes, or a project without grids.
    """
    from .layers import Layer

    t = table if isinstance(table, Table) else read_join_table(table, on=on, encoding=encoding)
    df = t.frame
    where = dict(file=t.path, layer=t.sheet)
    if on not in df.columns:
        cols = "、".join(map(str, df.columns))
        raise MissingColumnError(f"表中没有列“{on}”。现有列：{cols}", f"the table has no column {on!r}. Columns: {cols}",
                                 fix_zh="用 --on 指定上面列出的编码列。", fix_en="name the code column with --on.",
                                 field=on, **where)
    if "grids" not in project.layers:
        raise JoinError("项目中还没有网格，无法连接表格", "the project has no grids to join a table to",
                        fix_zh="先运行 gridtool partition 划分网格。", fix_en="run gridtool partition first.", **where)
    dup_heads = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
    if dup_heads:
        raise JoinError(f"表头有重复的列名：{'、'.join(dup_heads)}", f"the header repeats column names: {', '.join(dup_heads)}",
                        fix_zh="在表格中给重复的列改名后重试。", fix_en="rename the repeated columns in the table.",
                        field=",".join(dup_heads), **where)
    # -- columns to join --------------------------------------------------------------------------
    if columns is not None:
        wanted = [c.strip() for c in columns if str(c).strip()]
        missing = [c for c in wanted if c not in df.columns]
        if missing:
            cols = "、".join(map(str, df.columns))
            raise MissingColumnError(f"表中没有列：{'、'.join(missing)}。现有列：{cols}",
                                     f"no {plural_en(len(missing), 'column')} {', '.join(missing)} in the table. Columns: {', '.join(map(str, df.columns))}",
                                     fix_zh="检查 --columns 中的列名（须与表头完全一致）。",
                                     fix_en="check the names in --columns against the headers.",
                                     field=",".join(missing), **where)
        wanted = [c for c in wanted if c != on]
    else:
        wanted = [c for c in df.columns if c != on and _squash(c) not in SKIPPED
                  and not (re.fullmatch(r"col\d+", str(c)) and df[c].isna().all())
                  and not (c == SHEET_COLUMN and t.sheet == ALL_SHEETS)]  # the sheet each row came from
    if not wanted:
        raise JoinError("表中除编码列外没有可连接的列", "the table has no column to join besides the code column",
                        fix_zh="检查表头所在行；或用 --columns 指定列。", fix_en="check the header row, or name columns "
                        "with --columns.", **where)
    staff = _find_staff(wanted)
    mapping = {c: staff.get(c, str(c).strip()) for c in wanted}
    clash = [c for c, m in mapping.items() if m in PROTECTED]
    if clash:
        raise JoinError(
            f"表中的列 {'、'.join(clash)} 与网格图层自身的列同名，不能覆盖",
            f"table {plural_en(len(clash), 'column')} {', '.join(clash)} would overwrite the grids layer's own columns",
            fix_zh="用 --columns 只选其他列，或在表中改名（如“备注”改为“台账备注”）后重试。",
            fix_en="choose the other columns with --columns, or rename them in the table.",
            field=",".join(clash), **where)
    dup_targets = pd.Series(list(mapping.values()))
    if dup_targets.duplicated().any():
        d = sorted(set(dup_targets[dup_targets.duplicated()]))
        srcs = "、".join(c for c, m in mapping.items() if m in d)
        raise JoinError(f"表中有多列会写入同一列（{'、'.join(d)}）：{srcs}",
                        f"several table columns would fill the same column ({', '.join(d)}): {srcs}",
                        fix_zh="用 --columns 只保留其中一列。", fix_en="keep one of them with --columns.", **where)
    # -- keys --------------------------------------------------------------------------------------
    keys = df[on].map(normalise_code)
    empty_rows = [_row(r) for r in keys.index[keys.isna()]]
    filled = keys.dropna()
    dups = filled[filled.duplicated(keep=False)]
    if len(dups):
        groups = dups.groupby(dups).groups
        items = [f"{k}：{rows_zh(rows)}" for k, rows in list(groups.items())[:10]]
        items_en = [f"{k}: {rows_en(rows)}" for k, rows in list(groups.items())[:10]]
        more = f" …（共 {len(groups)} 个）" if len(groups) > 10 else ""
        raise JoinError(
            f"“{on}”列有重复编码，无法确定用哪一行：{'；'.join(items)}{more}",
            f"column {on!r} has duplicate codes; which row is right cannot be told: {'; '.join(items_en)}",
            fix_zh="在表格中删除或更正重复的行后重试（每个网格只能有一行）。",
            fix_en="delete or correct the duplicate rows in the table and try again (one row per grid).",
            field=on, **where)
    grid_codes, sub_codes = _codes(project, "grids"), _codes(project, "subgrids")
    in_grids = filled.isin(grid_codes)
    in_subs = filled.isin(sub_codes)
    if not in_grids.any() and not in_subs.any():
        sample_t = "、".join(filled.head(3).tolist()) or "（空）"
        sample_g = "、".join(sorted(grid_codes)[:3])
        raise JoinError(
            f"“{on}”列中没有一个编码与项目的网格或子网格编码相同（表中如 {sample_t}；项目中如 {sample_g}）",
            f"no code in column {on!r} matches a grid or sub-grid code of the project (table: {sample_t}; "
            f"project: {sample_g})",
            fix_zh="确认 --on 指定的是网格编码列，且编码与 gridtool 划分后的编码一致。",
            fix_en="check that --on names the grid-code column and that the codes are gridtool's.",
            field=on, **where)
    target = "grids" if int(in_grids.sum()) >= int(in_subs.sum()) else "subgrids"
    hit = in_grids if target == "grids" else in_subs
    matched_keys = filled[hit]
    unmatched = [(_row(r), k, ("subgrid" if target == "grids" and s else "grid" if target == "subgrids" and g else ""))
                 for r, k, g, s in zip(filled.index[~hit], filled[~hit], in_grids[~hit], in_subs[~hit])]
    # -- values ------------------------------------------------------------------------------------
    numeric: list[str] = []
    not_numbers: dict[str, list[tuple[int, str]]] = {}
    values: dict[str, dict[str, object]] = {}  # layer column -> code -> value
    guessed: list[str] = []
    sens_in = pd.DataFrame({c: df.loc[matched_keys.index, c].map(_cell) for c in wanted})
    sensitive = {mapping[c]: k for c, k in sensitive_columns(sens_in, personal_role=True).items()}
    # a note column with phone or ID numbers inside (备注 "网格员外出，联系 138…"), as import flags it
    taken = [c for c in sens_in if mapping[c] in sensitive or mapping[c] in STAFF_KINDS]
    sensitive.update({mapping[c]: "text" for c in free_text_columns(sens_in, skip=taken)})
    for c, m in mapping.items():
        if m in STAFF_KINDS:
            sensitive[m] = STAFF_KINDS[m]
        raw = df.loc[matched_keys.index, c]
        cells = [_cell(v) for v in raw.tolist()]
        if m not in sensitive and (is_score_header(c) or _looks_numeric(cells)):
            nums = [_number(v) for v in raw.tolist()]
            # A score header makes the column numeric; a text such as 缺考 is reported, left empty.
            bad = [(_row(r), str(v)) for r, v, n in zip(raw.index, cells, nums) if v is not None and n is None]
            numeric.append(m)
            if not is_score_header(c):
                guessed.append((f"“{c}”列的值都是数字，按数值保存", f"column {c!r} holds numbers only: stored as numbers"))
            if bad:
                not_numbers[m] = bad
            values[m] = dict(zip(matched_keys.tolist(), nums))
            continue
        values[m] = dict(zip(matched_keys.tolist(), cells))
    for c, m in mapping.items():
        if m != c:
            what = {"worker": ("网格员，挂图、图册和网页地图显示", "the grid worker wall maps, atlas and HTML map show"),
                    "worker_phone": ("网格员电话", "the grid worker's phone"), "head": ("网格长", "the grid head"),
                    "head_phone": ("网格长电话", "the grid head's phone")}.get(m, ("", ""))
            guessed.append((f"“{c}”列写入 {m}" + (f"（{what[0]}）" if what[0] else ""),
                            f"column {c!r} fills {m}" + (f" ({what[1]})" if what[1] else "")))
    # -- new layers ------------------------------------------------------------------------------------
    roles = ("grids", "special_grids") if target == "grids" else ("subgrids",)
    layers: dict[str, Layer] = {}
    cleared: dict[str, int] = {m: 0 for m in values}
    not_in_table: list[str] = []
    matched_set = set(matched_keys.tolist())
    for role in roles:
        lyr = project.layers.get(role)
        if lyr is None or lyr.gdf is None:
            continue
        gdf = lyr.gdf.copy()
        codes = gdf["code"].map(normalise_code)
        touched = codes.isin(matched_set).any()
        if role == "special_grids" and not touched and not any(m in gdf for m in values):
            continue  # a roster of base grids only: the special grids stay as they are
        not_in_table += sorted(str(c) for c, k in zip(gdf["code"], codes) if k not in matched_set)
        for m, by_code in values.items():
            new = codes.map(by_code)
            if m in numeric:
                new = pd.to_numeric(new, errors="coerce").astype(float)
            else:
                new = new.astype(object).where(new.notna(), None)
            if m in gdf:
                old = gdf[m]
                had = old.notna() & (old.astype(str).str.strip() != "")
                cleared[m] += int((had & new.isna()).sum())
            gdf[m] = new.to_numpy()
        sens = dict(lyr.sensitive or {})
        for m in values:
            sens.pop(m, None)
        sens.update({m: k for m, k in sensitive.items() if m in values})
        layers[role] = replace(lyr, gdf=gdf, sensitive=sens)
    return JoinResult(table=t, key=on, target=target, layers=layers, columns=mapping, numeric=numeric,
                      matched_rows=[_row(r) for r in matched_keys.index], unmatched=unmatched,
                      empty_rows=empty_rows, not_in_table=not_in_table, cleared=cleared,
                      not_numbers=not_numbers, sensitive={m: k for m, k in sensitive.items() if m in values},
                      guessed=guessed)


def join_into_project(project_path: str | Path, table: str, *, on: str, columns: Iterable[str] | None = None,
                      encoding: str | None = None) -> JoinResult:
    """Open the project at ``project_path``, join ``table`` and save the project in place
    (atomically: a failure leaves the previous file as it was)."""
    from .project import Project

    project = Project.open(project_path)
    result = join_table(project, table, on=on, columns=columns, encoding=encoding)
    result.apply_to(project)
    project.save(project_path)
    return result


def log_join(parameters: dict, result: JoinResult, *, keep: int = 50) -> dict:
    """Append ``result`` to ``parameters["joins"]`` (the last ``keep`` joins); returns ``parameters``."""
    joins = list(parameters.get("joins") or [])
    joins.append(result.log_entry())
    parameters["joins"] = joins[-keep:]
    return parameters


__all__ = ["JOIN_ALIASES", "JoinError", "JoinResult", "join_into_project", "join_table", "log_join", "normalise_code",
           "read_join_table", "suggest_key_column"]
