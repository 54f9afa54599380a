"""Codes that Excel stored as numbers: leading zeros dropped (户编号 00123 → 123) or a digit lost
(a 12-digit 行政区划代码 that became 11 digits).

Such a code still looks like a code, so it would join to nothing, or to the wrong record (a prefix
of several village codes), without a word. Nothing is repaired here (whether ``123`` was ``00123``
or ``0123`` only the source can tell): the rows are named, with the fix, in a warning.

Told apart by the column as a whole, since one value says nothing:

- some codes keep their leading zero (text cells) and others are shorter: the zeros were dropped
  from the shorter ones;
- most codes have one length of 5 digits or more (12 for division codes) and some are shorter: the
  shorter ones lost digits (a serial 1 … 500, or 1 … 20000 with every number there, is left alone).
"""

from __future__ import annotations

import pandas as pd

from .errors import feature_id_zh
from .plurals import count_en, plural_en
from .problems import Problem


def _text(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    s = str(v).strip()
    return s[:-2] if s.endswith(".0") and s[:-2].isdigit() else s


def short_codes(values: pd.Series) -> tuple[pd.Series, int, bool]:
    """(rows whose code is too short, the full length, whether leading zeros were seen) for a column
    of digit codes; no row flagged when the column shows no sign of lost digits."""
    text = values.map(_text)
    digits = text[text.str.fullmatch(r"\d+")]
    none = pd.Series(False, index=values.index)
    if len(digits) < 2:
        return none, 0, False
    lengths = digits.str.len()
    full = int(lengths.max())
    zeros = bool((digits[lengths == full].str[0] == "0").any())
    if zeros and (lengths < full).any():
        return (lengths < full).reindex(values.index, fill_value=False), full, True
    common = lengths.value_counts()
    width, n = int(common.index[0]), int(common.iloc[0])
    if width >= 5 and n >= 0.5 * len(digits) and (lengths < width).any():
        nums = digits.astype(int)
        if nums.nunique() >= 0.9 * (nums.max() - nums.min() + 1):
            return none, 0, False  # a serial 1 … 20000 of a large roster, every number there: no code
        return (lengths < width).reindex(values.index, fill_value=False), width, False
    return none, 0, False


def short_codes_warning(values: pd.Series, *, column: str, ids: pd.Series, what_zh: str, what_en: str,
                        where: dict) -> Problem | None:
    """The warning for a code column with codes shorter than the rest (see :func:`short_codes`),
    naming the column, example rows and the fix; None when none is short. ``what_en`` is the
    singular word (``village code``): the message counts it."""
    short, width, zeros = short_codes(values)
    if not short.any():
        return None
    rows = ids.reindex(values.index[short]).astype(str).tolist()
    text = values.map(_text)
    longest = text[~short & text.str.len().eq(width)].head(2).tolist()
    ex_zh = "、".join(f"{feature_id_zh(r)}“{text[i]}”" for r, i in zip(rows[:3], values.index[short][:3]))
    ex_en = ", ".join(f"{r} {text[i]!r}" for r, i in zip(rows[:3], values.index[short][:3]))
    why_zh = "开头的 0 被去掉了" if zeros else "少了位数"
    why_en = "their leading zeros were dropped" if zeros else "they lost digits"
    return Problem(
        "warning", "code_digits_lost",
        f"“{column}”列有 {int(short.sum()):,} 个{what_zh}比其他行的 {width} 位短（{ex_zh}；其他行如"
        f"“{'”“'.join(longest)}”）：Excel 把代码当数字存储时{why_zh}，按这些代码连接会连错或连不上，未自动补齐",
        f"{count_en(int(short.sum()), what_en)} in column {column!r} {plural_en(int(short.sum()), 'is')} shorter than the {count_en(width, 'digit')} of the other rows "
        f"({ex_en}; others such as {', '.join(repr(x) for x in longest)}): stored as numbers by Excel, {why_en}; "
        "joins by these codes would fail or pick the wrong record, and they were not padded",
        fix_zh=f"在 Excel 中把“{column}”列设为文本格式，按原始数据重新填入完整的 {width} 位代码（或在代码前加英文单引号 '）"
               "后再导入；不要直接在前面补 0，除非确认原代码就是以 0 开头。",
        fix_en=f"format column {column!r} as text in Excel and enter the full {width}-digit codes again from the "
               "source data (or type an apostrophe ' before each code), then import again; pad with zeros only if "
               "the original codes did begin with 0.",
        field=column, features=rows, **where)


__all__ = ["short_codes", "short_codes_warning"]
