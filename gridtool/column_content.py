"""Finding a role's key columns by what they hold, when the header says nothing.

Government layers arrive with headers such as ``F1``, ``字段2``, ``Unnamed: 3`` or an
abbreviation the loader has never seen (``VILL_NM``). :func:`gridtool.columns.find_column` knows
headers; this module looks at the values:

- village names end in 村, 社区, 居委会/村委会/…委员会, 组 or 里 (``石柱村``, ``龙潭社区``);
- township names end in 镇, 乡, 街道 or 苏木; county names in 区, 县, 市 or 旗;
- division codes are strings of 9–19 digits that nest: a township code (9 digits, or 12 ending
  ``000``) is the start of its villages' codes (12 digits; 11 in some provinces; 19 in 三调's
  坐落单位代码 ``ZLDWDM``, a 12-digit village code followed by seven digits);
- household counts are small positive whole numbers (only in columns whose header says nothing).

Every choice is returned with a few sample values, so the loader can print
``村名：F1（石柱村、龙潭村…）`` and, when nothing fits, list the candidate columns with their
values and the exact ``--field`` that would choose one. Written by hand: these are the habits of
Chinese administrative data, which no library encodes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .plurals import count_en

#: Keys this module can find by content, with their Chinese and English labels.
LABELS: dict[str, tuple[str, str]] = {
    "name": ("名称", "name"),
    "village_name": ("村名", "village name"),
    "village": ("所属村", "village"),
    "code": ("代码", "code"),
    "township": ("乡镇", "township"),
    "county": ("区县", "county"),
    "hh": ("户数", "households"),
    "category": ("类别", "category"),
    "class": ("等级/类别", "class"),
    "kind": ("类型", "kind"),
    "oneway": ("单行", "oneway"),
    "priority": ("优先级", "priority"),
    "dlbm": ("地类编码", "land-use code"),
    "cad_layer": ("CAD 图层", "CAD layer"),
    "dlmc": ("地类名称", "land-use name"),
    "ref": ("路线编号", "route number"),
    "f_code": ("要素代码", "feature code"),
    "width": ("宽度", "width"),
    "lanes": ("车道数", "lanes"),
    "lon": ("经度", "longitude"),
    "lat": ("纬度", "latitude"),
    "id": ("户编号", "household id"),
    "time": ("时间", "time"),  # incidents: the call's date or date and time
    "clock": ("时刻", "clock time"),  # incidents: the time of day in a column of its own
    "type": ("警情类别", "incident type"),
    "lonlat": ("经纬度", "longitude, latitude"),
    "wkt": ("WKT 几何", "WKT geometry"),
}
#: The village layer's name column is a village name.
VILLAGE_LABELS = {"name": ("村名", "village name")}

_UNINFORMATIVE = re.compile(
    r"^(?:f|fld|field|col|column|c|v|字段|列|属性|attr|attribute|unnamed:?|未命名|new_?field|text|"
    r"value|值|数据|data)?[\s_\-:：]*\d*$", re.IGNORECASE)
_VILLAGE_RE = re.compile(r"(?:村|社区|居委会|村委会|委员会|村民小组|组|里|嘎查)$")
_TOWN_RE = re.compile(r"(?:镇|乡|街道|办事处|苏木)$")
_COUNTY_RE = re.compile(r"(?:区|县|市|旗)$")
_NOT_COUNTY_RE = re.compile(r"(?:社区|小区|园区|景区|片区|校区|厂区|矿区|街区|营区)$")
_DIGITS = re.compile(r"^\d+$")


@dataclass
class Found:
    """One key column: where it came from and what it holds."""

    key: str
    column: str | None
    by: str  # "user", "header", "content", "code" (derived from the division code), "sheet", "default"
    samples: tuple[str, ...] = ()
    note_zh: str = ""
    note_en: str = ""

    def to_dict(self) -> dict:
        return {"column": self.column, "by": self.by, "samples": list(self.samples),
                "note_zh": self.note_zh, "note_en": self.note_en}

    @classmethod
    def from_dict(cls, key: str, d: dict) -> Found:
        return cls(key=key, column=d.get("column"), by=d.get("by", ""), samples=tuple(d.get("samples") or ()),
                   note_zh=d.get("note_zh", ""), note_en=d.get("note_en", ""))


@dataclass
class Candidate:
    column: str
    score: float
    samples: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


def uninformative(header) -> bool:
    """``F1``, ``字段2``, ``Unnamed: 3``, ``col4``: a header that says nothing about the column."""
    return bool(_UNINFORMATIVE.match(str(header).strip()))


def text_values(series: pd.Series, limit: int = 2000) -> pd.Series:
    """Non-empty values as stripped text (numbers read from Excel as 5.00101e+11 back to digits)."""
    s = series.dropna()
    if len(s) > limit:
        s = s.iloc[:: max(1, len(s) // limit)]
    if pd.api.types.is_float_dtype(s):
        whole = np.isfinite(s.to_numpy()) & (np.mod(s.to_numpy(), 1) == 0)
        out = pd.Series([str(int(v)) if w else str(v) for v, w in zip(s.to_numpy(), whole)], index=s.index)
    else:
        out = s.astype(str).str.strip()
    return out[(out != "") & ~out.str.lower().isin(("nan", "none", "null", "<na>"))]


def samples_of(series: pd.Series, n: int = 3) -> tuple[str, ...]:
    """Up to ``n`` distinct values, and a fourth when there are more (shown as "…")."""
    v = text_values(series, limit=500)
    out = tuple(dict.fromkeys(v.tolist()))[:n + 1]
    # Examples are printed and kept in the project: a phone or ID number inside one is masked.
    from .personal import might_hold_personal
    if any(might_hold_personal(s) for s in out):
        from .maps.privacy import mask_text
        out = tuple(mask_text(s) for s in out)
    return out


def _columns(df: pd.DataFrame, exclude=()) -> list[str]:
    skip = {"geometry", "src_id", *exclude}
    return [c for c in df.columns if c not in skip]


def _share(values: pd.Series, pattern: re.Pattern, negative: re.Pattern | None = None) -> float:
    if not len(values):
        return 0.0
    hit = values.str.contains(pattern)
    if negative is not None:
        hit &= ~values.str.contains(negative)
    return float(hit.mean())


def _digit_codes(values: pd.Series) -> tuple[int, float, float] | None:
    """(typical length, share of that length, share unique) for a column of division codes, else None."""
    if not len(values) or not values.str.match(_DIGITS).all():
        return None
    lengths = values.str.len()
    length = int(lengths.mode().iat[0])
    if not 6 <= length <= 19:
        return None
    share = float((lengths == length).mean())
    if share < 0.9:
        return None
    same = values[lengths == length]
    if same.nunique() > 1:
        # Codes of one area nest: they share at least the province (2 digits).
        common = os.path.commonprefix(same.unique().tolist())
        if len(common) < 2:
            return None
    return length, share, float(values.nunique() / len(values))


def village_code_of(code: str) -> str:
    """A 三调 19-digit 坐落/权属单位代码 ending in seven zeros is its 12-digit village code."""
    if len(code) == 19 and code.isdigit() and code.endswith("0000000"):
        return code[:12]
    return code


def township_prefix(code: str) -> str | None:
    """The township part of a village division code: the first 9 digits of 11–19-digit codes
    (6 county + 3 township + village), the first 6 of 9–10-digit codes; None otherwise."""
    if not isinstance(code, str) or not code.isdigit():
        return None
    if len(code) >= 11:
        return code[:9]
    if len(code) >= 9:
        return code[:6]
    return None


def county_prefix(code: str) -> str | None:
    """The county (district) part of a division code of 9 digits or more: its first 6 digits."""
    if isinstance(code, str) and code.isdigit() and len(code) >= 9:
        return code[:6]
    return None


def _trim_code(code: str) -> str:
    """``500101001000`` (a township's 12-digit code) → ``500101001``: trailing zero groups of 3."""
    while len(code) > 6 and code.endswith("000"):
        code = code[:-3]
    return code


# ---------------------------------------------------------------------------------------------
def candidates(df: pd.DataFrame, key: str, *, role: str = "", exclude=(), codes: pd.Series | None = None
               ) -> list[Candidate]:
    """Columns whose values look like ``key``, best first (score 0–1).

    ``codes`` are the layer's village codes (as text), used to recognise township and county
    codes that nest in them.
    """
    from .columns import sensitive_columns
    out: list[Candidate] = []
    n_rows = max(len(df), 1)
    cols = _columns(df, exclude)
    # Mobile and ID numbers are digit strings a code test would take (11 digits, 18), and the
    # guess's samples are printed: such columns are never a key column.
    personal = set(sensitive_columns(df[cols], personal_role=False)) if cols else set()
    for col in cols:
        if col in personal:
            continue
        v = text_values(df[col])
        if not len(v):
            continue
        smp = tuple(dict.fromkeys(v.tolist()))[:4]
        uniq = v.nunique() / len(v)
        if key in ("name", "village") and not pd.api.types.is_numeric_dtype(df[col]):
            share = _share(v, _VILLAGE_RE)
            if share >= 0.5:
                # A village layer's names are (nearly) all different; a roster repeats them.
                score = share * (0.5 + 0.5 * uniq) if role == "villages" else share
                out.append(Candidate(col, score, smp))
        elif key == "township":
            share = _share(v, _TOWN_RE)
            if share >= 0.5 and not pd.api.types.is_numeric_dtype(df[col]):
                out.append(Candidate(col, share * (1.0 if uniq < 1 or n_rows == 1 else 0.6), smp, {"kind": "name"}))
                continue
            nest = _nesting(v, codes, levels=(9, 6)) if codes is not None else 0.0
            if nest >= 0.9 and _digit_codes(v) is not None and v.str.len().mode().iat[0] >= 8:
                out.append(Candidate(col, 0.8 * nest, smp, {"kind": "code"}))
        elif key == "county":
            share = _share(v, _COUNTY_RE, _NOT_COUNTY_RE)
            if share >= 0.5 and not pd.api.types.is_numeric_dtype(df[col]):
                out.append(Candidate(col, share * (1.0 if uniq < 1 or n_rows == 1 else 0.6), smp, {"kind": "name"}))
                continue
            nest = _nesting(v, codes, levels=(6,)) if codes is not None else 0.0
            if nest >= 0.9 and _digit_codes(v) is not None and v.str.len().mode().iat[0] == 6:
                out.append(Candidate(col, 0.8 * nest, smp, {"kind": "code"}))
        elif key == "code":
            dc = _digit_codes(v)
            if dc is None or dc[0] < 9:
                continue
            length, share, unique = dc
            # The village code is unique per village; 12 digits is the national form.
            pref = {12: 1.0, 11: 0.95, 19: 0.9, 9: 0.7}.get(length, 0.8)
            score = share * pref * (unique if role == "villages" else 1.0)
            out.append(Candidate(col, score, smp, {"length": length, "unique": unique}))
        elif key == "hh":
            if not uninformative(col):
                continue
            num = pd.to_numeric(df[col], errors="coerce")
            ok = num.notna().mean()
            x = num.dropna().to_numpy(dtype=float)
            if ok < 0.95 or not len(x) or (np.mod(x, 1) != 0).any() or x.min() < 1 or x.max() > 2000:
                continue
            if np.median(x) > 30:
                continue
            if len(x) > 3 and len(np.unique(x)) == len(x) and (np.diff(x) == 1).all():
                continue  # 1, 2, 3, … is a row number, not a count
            out.append(Candidate(col, 0.6, smp))
        elif key == "category":
            # Only where the header says nothing: a folder or group column (学校市场) is no category.
            if pd.api.types.is_numeric_dtype(df[col]) or not uninformative(col):
                continue
            from .columns import normalise_category
            share = float((v.map(normalise_category) != "other").mean())
            if share >= 0.5:
                out.append(Candidate(col, share * (1.0 if uniq < 0.5 else 0.7), smp))
    out.sort(key=lambda c: -c.score)
    return out


def _nesting(values: pd.Series, codes: pd.Series | None, *, levels: tuple[int, ...]) -> float:
    """Share of rows whose value is a prefix (at a division level) of the row's village code."""
    if codes is None:
        return 0.0
    both = pd.DataFrame({"v": values, "c": codes.reindex(values.index)}).dropna()
    if not len(both):
        return 0.0
    c = both["c"].astype(str)
    t = both["v"].astype(str).map(_trim_code)
    ok = [len(a) in levels and len(b) > len(a) and b.startswith(a) for a, b in zip(t, c)]
    return float(np.mean(ok))


def guess(df: pd.DataFrame, key: str, *, role: str = "", exclude=(), codes: pd.Series | None = None
          ) -> Found | None:
    """The best column for ``key`` by content, or None."""
    cands = candidates(df, key, role=role, exclude=exclude, codes=codes)
    if not cands:
        return None
    best = cands[0]
    note_zh = note_en = ""
    if key == "code":
        note_zh, note_en = f"{best.extra['length']} 位", count_en(best.extra['length'], "digit")
    elif best.extra.get("kind") == "code":
        note_zh, note_en = "区划代码", "division code"
    return Found(key, best.column, "content", best.samples, note_zh, note_en)


def _numeric_column(values: pd.Series) -> bool:
    """Numbers, whether typed as such or read as text (a roster read from Excel is all text)."""
    if pd.api.types.is_numeric_dtype(values):
        return True
    v = values.dropna().astype(str).str.strip()
    v = v[v != ""]
    return bool(len(v)) and bool(pd.to_numeric(v, errors="coerce").notna().mean() > 0.8)


def text_candidates(df: pd.DataFrame, *, exclude=(), numeric: bool = False, limit: int = 6) -> list[Candidate]:
    """Columns a user might mean, with sample values, for a "nothing fits" message."""
    out = []
    for col in _columns(df, exclude):
        is_num = _numeric_column(df[col])
        if is_num != numeric:
            continue
        smp = samples_of(df[col])
        if smp:
            out.append(Candidate(col, 0.0, smp))
    return out[:limit]


def describe(found: Found, lang: str = "zh", *, role: str = "") -> str:
    """``村名：F1（石柱村、龙潭村…，按内容识别）`` / ``village name: F1 (石柱村, 龙潭村…; by content)``."""
    labels = VILLAGE_LABELS if role == "villages" else {}
    zh, en = labels.get(found.key) or LABELS.get(found.key, (found.key, found.key))
    if found.column is None:
        return f"{zh}：未找到" if lang == "zh" else f"{en}: not found"
    sample = ("、" if lang == "zh" else ", ").join(found.samples[:3])
    more = "…" if len(found.samples) > 3 else ""
    by_zh = {"content": "按内容识别", "user": "由 --field 指定", "code": "由区划代码推得",
             "sheet": "取自工作表名", "default": "默认"}.get(found.by, "")
    by_en = {"content": "by content", "user": "given by --field", "code": "from the division code",
             "sheet": "from the sheet names", "default": "default"}.get(found.by, "")
    if lang == "zh":
        extra = "，".join(x for x in (found.note_zh, by_zh) if x)
        inner = sample + more + (("，" + extra) if extra and sample else extra)
        return f"{zh}：{found.column}" + (f"（{inner}）" if inner else "")
    extra = "; ".join(x for x in (found.note_en, by_en) if x)
    inner = sample + more + (("; " + extra) if extra and sample else extra)
    return f"{en}: {found.column}" + (f" ({inner})" if inner else "")


def describe_all(details: dict, lang: str = "zh", *, role: str = "") -> str:
    """One line for a layer: every key column found, in the user's language."""
    parts = []
    for key, d in details.items():
        f = d if isinstance(d, Found) else Found.from_dict(key, d)
        if f.column is None and f.by != "default":
            continue
        parts.append(describe(f, lang, role=role))
    return ("；" if lang == "zh" else "; ").join(parts)
