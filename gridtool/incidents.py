"""Incident records (警情): the time and type columns of an ``incidents`` layer, found and parsed.

A 警情 table exported from a police information system, an Excel sheet kept by a station or a
point layer from a GIS carries, beside its coordinates, when each incident happened (报警时间,
接警时间, 案发时间 …, sometimes a date and a clock time in two columns) and what it was (警情类别,
案由 …). The loader (:func:`gridtool.layers.load_layer`) calls :func:`normalise_incident_columns`,
which adds

* ``time``: the date and time (``datetime64``; NaT where a value cannot be read),
* ``hour``: the hour of day as a number (21.5 = 21:30; NaN without a clock time),
* ``type``: the incident type as text (None without a type column),

and records which source column fed each (``columns_used``), marked ``(by content)`` when the
header did not say and the values did. ``--field incidents.time=COLUMN`` and
``--field incidents.type=COLUMN`` choose them by hand.

Written by hand because pandas' ``to_datetime`` reads one format per column, while these tables mix
``2024-03-05 21:34``, ``2024/3/5 21:34:00``, ``2024年3月5日21时34分``, ``20240305213400``,
Excel date cells and Excel serial numbers (45356.9) in the same column.

A 接处警 system's own summary often writes the date without its year (``11月3日21时``). Such a
value takes the year that puts it nearest the column's dated rows (``12月30日`` in a sheet of
January rows is last year's); with no dated row at all its clock time still counts for the peak
hours and its date stays unknown. :func:`yearless` finds these rows so that the check can say what
was assumed.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from .columns import _key

#: Header names of the time columns, most specific first (compared as in :mod:`gridtool.columns`).
TIME_NAMES = ("time", "datetime", "date_time", "报警时间", "接警时间", "案发时间", "发案时间", "发生时间",
              "受理时间", "立案时间", "警情时间", "事发时间", "报案时间", "时间", "date", "日期", "发生日期",
              "报警日期", "案发日期", "timestamp", "occurred", "occurred_at", "reported")
#: Header names of a separate clock-time column (used with a date column).
CLOCK_NAMES = ("clock", "时刻", "报警时刻", "发生时刻", "时分", "时间点")
#: Header names of the type column.
TYPE_NAMES = ("type", "incident_type", "category", "警情类别", "警情类型", "案件类别", "案件类型", "案由",
              "警情性质", "类别", "类型", "案别", "案件性质", "offense", "offence", "crime_type")

_DATE_RE = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T ]?\s*(\d{1,2})\s*[:：时点]\s*(\d{1,2})?\s*(?:[:：分]\s*(\d{1,2}(?:\.\d+)?)?\s*秒?)?)?\s*$")
_COMPACT_RE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:[ T]?(\d{2})(\d{2})(\d{2})?)?\s*$")
#: A date without its year, as 接处警 summaries write it: ``11月3日21时``, ``11月3日 21:14``.
_MONTH_DAY_RE = re.compile(
    r"^\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"
    r"(?:\s*(\d{1,2})\s*[:：时点]\s*(\d{1,2})?\s*(?:[:：分]\s*(\d{1,2})?\s*秒?)?)?\s*$")
_CLOCK_RE = re.compile(r"^\s*(\d{1,2})\s*[:：时点]\s*(\d{1,2})?\s*(?:[:：分]\s*(\d{1,2})?\s*秒?)?\s*$")
_EXCEL_EPOCH = datetime(1899, 12, 30)


def parse_time(value) -> tuple[datetime | None, bool]:
    """One value → (datetime or None, whether it had a clock time)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None, False
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value, bool(value.hour or value.minute or value.second)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day), False
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        v = float(value)
        if 20_000 < v < 80_000:  # an Excel serial date (1954–2119)
            # to the nearest second: 21:00 is stored as 46097.875 ± 1e-11, and cutting the fraction
            # off read a fifth of a day's minutes one second early (20:59:59, counted in hour 20)
            dt = _EXCEL_EPOCH + timedelta(seconds=round(v * 86400))
            return dt, v != int(v)
        value = str(int(v)) if v == int(v) else str(v)
    text = str(value).strip()
    if not text:
        return None, False
    for rx in (_DATE_RE, _COMPACT_RE):
        m = rx.match(text)
        if m:
            y, mo, d, h, mi, s = m.groups()
            try:
                sec = float(s) if s else 0.0
                dt = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec))
            except ValueError:
                return None, False
            return dt, h is not None
    return None, False


def parse_clock(value) -> float | None:
    """A clock time (``21:34``, ``21时34分``, an Excel time cell or fraction of a day) → hours."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.hour + value.minute / 60 + value.second / 3600
    if isinstance(value, time):
        return value.hour + value.minute / 60 + value.second / 3600
    if isinstance(value, (float, np.floating)) and 0 <= value < 1:
        return float(value) * 24
    m = _CLOCK_RE.match(str(value))
    if not m or int(m.group(1)) > 24 or int(m.group(2) or 0) > 59:
        return None
    return int(m.group(1)) + int(m.group(2) or 0) / 60 + int(m.group(3) or 0) / 3600


def _month_day(value) -> tuple[int, int, int | None, int, int] | None:
    """``11月3日21时14分`` → (11, 3, 21, 14, 0); ``11月3日`` → (11, 3, None, 0, 0); else None."""
    if value is None or not isinstance(value, str):
        return None
    m = _MONTH_DAY_RE.match(value)
    if not m:
        return None
    mo, d, h, mi, s = (int(g) if g else None for g in m.groups())
    try:
        date(2000, mo, d)  # a leap year: 2月29日 is a date, 2月30日 is not
    except ValueError:
        return None
    if h is not None and (h > 23 or (mi or 0) > 59 or (s or 0) > 59):
        return None
    return mo, d, h, mi or 0, s or 0


def _nearest_year(mo: int, d: int, ref: datetime) -> int | None:
    """The year, next to ``ref``'s, that puts month ``mo`` day ``d`` nearest ``ref``."""
    best = None
    for y in (ref.year - 1, ref.year, ref.year + 1):
        try:
            gap = abs((datetime(y, mo, d) - ref).total_seconds())
        except ValueError:  # 2月29日 outside a leap year, 4月31日
            continue
        if best is None or gap < best[0]:
            best = (gap, y)
    return best[1] if best else None


def yearless(values) -> np.ndarray:
    """Which values are dates written without a year (``11月3日21时``): see the module docstring."""
    return np.array([parse_time(v)[0] is None and _month_day(v) is not None for v in values], dtype=bool)


def parse_times(values) -> tuple[pd.Series, pd.Series]:
    """A column → (``datetime64`` with NaT where unreadable, hour of day with NaN where unknown).

    Dates without a year take the one nearest the column's dated rows (see the module docstring)."""
    index = values.index if isinstance(values, pd.Series) else None
    values = list(values)
    parsed = [parse_time(v) for v in values]
    hour_only: dict[int, float] = {}   # year-less rows of a sheet with no dated row: the clock alone
    md = {i: _month_day(v) for i, (v, p) in enumerate(zip(values, parsed)) if p[0] is None}
    md = {i: x for i, x in md.items() if x is not None}
    if md:
        dated = pd.Series([p[0] for p in parsed if p[0] is not None], dtype="datetime64[ns]")
        ref = dated.quantile(0.5).to_pydatetime() if len(dated) else None
        for i, (mo, d, h, mi, s) in md.items():
            y = _nearest_year(mo, d, ref) if ref is not None else None
            if y is not None:
                parsed[i] = (datetime(y, mo, d, h or 0, mi, s), h is not None)
            elif h is not None:
                hour_only[i] = h + mi / 60
    times = pd.Series(pd.to_datetime([p[0] for p in parsed], errors="coerce"), index=index)
    hours = pd.Series([hour_only.get(i, (p[0].hour + p[0].minute / 60) if p[0] is not None and p[1] else np.nan)
                       for i, p in enumerate(parsed)], index=times.index, dtype=float)
    return times, hours


def _by_header(columns, names) -> list[str]:
    """Columns whose header is one of ``names`` (best first), then those containing one (报警时间
    （北京时间）, 警情类别名称)."""
    keys = {_key(c): c for c in reversed(list(columns)) if c != "geometry"}
    out = [keys[_key(n)] for n in names if _key(n) in keys]
    for n in names:
        k = _key(n)
        if not k.isascii():
            out += [c for kk, c in keys.items() if k in kk]
    return list(dict.fromkeys(out))


def _readable_share(series: pd.Series, ok) -> float:
    vals = series.dropna()
    vals = vals[vals.astype(str).str.strip() != ""].head(200)
    if not len(vals):
        return 0.0
    return float(np.mean([ok(v) for v in vals]))


def _is_time(v) -> bool:
    return parse_time(v)[0] is not None or _month_day(v) is not None


def _is_clock(v) -> bool:
    return parse_clock(v) is not None


def find_time_columns(df: pd.DataFrame, fields: dict[str, str] | None = None) -> tuple[str | None, str | None, bool]:
    """(time column, separate clock column, found by content?) of a table."""
    fields = fields or {}
    if fields.get("time"):
        return fields["time"], fields.get("clock"), False
    skip = {"geometry", "src_id", "lon", "lat", "x", "y"}
    cols = [c for c in df.columns if c not in skip]
    # by header, where the values read as dates (a "时间" column of free text such as 晚上 is not)
    col = next((c for c in _by_header(cols, TIME_NAMES) if _readable_share(df[c], _is_time) >= 0.5), None)
    content = False
    if col is None:
        # by content: text or date cells that read as dates (never a numeric column: IDs, counts)
        for c in cols:
            if not pd.api.types.is_numeric_dtype(df[c]) and _readable_share(df[c], _is_time) >= 0.8:
                col, content = c, True
                break
    clock = fields.get("clock")
    if col is not None and clock is None:
        _, hours = parse_times(df[col].head(200))
        if hours.isna().all():  # dates only: a separate clock column?
            clock = next((c for c in _by_header([c for c in cols if c != col], CLOCK_NAMES + ("时间", "time"))
                          if _readable_share(df[c], _is_clock) >= 0.5), None)
    return col, clock, content


def find_type_column(df: pd.DataFrame, fields: dict[str, str] | None = None,
                     exclude=()) -> str | None:
    fields = fields or {}
    if fields.get("type"):
        return fields["type"]
    cols = [c for c in df.columns if c not in ("geometry", "src_id", *exclude)]
    found = _by_header(cols, TYPE_NAMES)
    return found[0] if found else None


def normalise_incident_columns(gdf, fields: dict[str, str], used: dict[str, str]):
    """Add ``time``, ``hour`` and ``type`` to an incidents layer (see the module docstring)."""
    from .errors import MissingColumnError
    gdf = gdf.copy()
    for key in ("time", "clock", "type"):
        if fields.get(key) and fields[key] not in gdf.columns:
            raise MissingColumnError(
                f"图层中没有列“{fields[key]}”", f"no column {fields[key]!r} in the layer",
                fix_zh="现有列：" + ", ".join(c for c in gdf.columns if c != "geometry"),
                fix_en="the columns are: " + ", ".join(c for c in gdf.columns if c != "geometry"),
                field=fields[key])
    tcol, ccol, content = find_time_columns(gdf, fields)
    if tcol is not None:
        times, hours = parse_times(gdf[tcol])
        if ccol is not None:
            clock = pd.Series([parse_clock(v) for v in gdf[ccol]], index=gdf.index, dtype=float)
            times = times.dt.normalize() + pd.to_timedelta((clock.fillna(0) * 3600).round(), unit="s")
            hours = hours.where(hours.notna(), clock)
            used["clock"] = ccol
        used["time"] = f"{tcol} (by content)" if content else tcol
        gdf["time"] = times.values
        gdf["hour"] = hours.values
    else:
        gdf["time"] = pd.NaT
        gdf["hour"] = np.nan
    ycol = find_type_column(gdf, fields, exclude=(tcol, ccol, "time", "hour"))
    if ycol is not None:
        gdf["type"] = gdf[ycol].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                                    else str(v).strip() or None)
        used["type"] = ycol
    elif "type" not in gdf:
        gdf["type"] = None
    return gdf


#: Between a category and its sub-category: 治安-盗窃, 治安/盗窃, 治安－盗窃, 治安>盗窃, 治安·盗窃.
_CATEGORY_SPLIT = re.compile(r"\s*[-/\\>|－／—–＞｜·]+\s*")


def split_category(value) -> tuple[str, str]:
    """``治安-盗窃`` ``治安/盗窃`` → (``治安``, ``盗窃``); ``盗窃`` → (``盗窃``, ``""``); empty → (``""``, ``""``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "", ""
    parts = [p for p in _CATEGORY_SPLIT.split(str(value).strip()) if p]
    if not parts:
        return "", ""
    return parts[0], "-".join(parts[1:])


def category_summary(values, top: int = 3) -> str:
    """The main categories of some incidents, sub-categories grouped under their parent (治安 and
    治安-盗窃 are one type): ``治安 7（盗窃 5）、刑事 2``, the most frequent sub-category in brackets."""
    from collections import Counter
    parents: Counter = Counter()
    children: dict[str, Counter] = {}
    for v in values:
        parent, child = split_category(v)
        if not parent or parent.lower() == "nan":
            continue
        parents[parent] += 1
        if child:
            children.setdefault(parent, Counter())[child] += 1
    out = []
    for parent, n in parents.most_common(top):
        sub = children.get(parent)
        out.append(f"{parent} {n}" + (f"（{sub.most_common(1)[0][0]} {sub.most_common(1)[0][1]}）" if sub else ""))
    return "、".join(out)


def select_categories(values, wanted) -> tuple[np.ndarray, list[str]]:
    """Which incidents are of the ``wanted`` categories (parent names, ``治安``, or full names,
    ``治安-盗窃`` = ``治安/盗窃``), and the names wanted that no incident has.

    Returns
    -------
    (numpy.ndarray of bool, list of str)
    """
    keys = [split_category(w) for w in wanted if str(w).strip()]
    mask = np.zeros(len(values), dtype=bool)
    used = set()
    for i, v in enumerate(values):
        parent, child = split_category(v)
        for k in keys:
            if parent == k[0] and (not k[1] or child == k[1]):
                mask[i] = True
                used.add(k)
    missing = [w for w, k in zip([w for w in wanted if str(w).strip()], keys) if k not in used]
    return mask, missing


__all__ = ["CLOCK_NAMES", "TIME_NAMES", "TYPE_NAMES", "find_time_columns", "find_type_column",
           "normalise_incident_columns", "parse_clock", "parse_time", "parse_times", "category_summary",
           "select_categories", "split_category"]
