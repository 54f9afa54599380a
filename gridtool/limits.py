"""Limits on what gridtool reads and computes, in one place, each refused with a clear message.

A planner's files can be broken or hostile in ways that would otherwise exhaust the machine:
a zip that unpacks to a gigabyte, a CSV with a million columns, a household count of 1e12 that
makes a partition run forever. Every reader and check takes its limit from :func:`current`.

The defaults fit the largest real data a township or city office holds (a county's 三调 land
survey zipped is a few hundred MB; the largest communities have tens of thousands of households).
Change them for one run with ``--limit KEY=VALUE`` (repeatable), for a session with the
environment variable ``GRIDTOOL_LIMITS="KEY=VALUE,KEY=VALUE"``, for good in the ``[limits]`` table
of the user's config file (:mod:`gridtool.settings`), or in Python with :func:`override`::

    with limits.override(hh_per_village=300_000):
        partition_project(project)
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import Iterator

from .errors import GridtoolError
from .plurals import plural_en


@dataclass(frozen=True)
class Limits:
    #: Bytes an archive (.zip, .kmz) may unpack to, all members read together.
    archive_unpacked_mb: float = 4096
    #: Unpacked size / packed size of any member above which it is taken for a zip bomb
    #: (shapefiles compress 3–20×, a .dbf of blanks up to about 100×).
    archive_ratio: float = 200
    #: Members an archive may list.
    archive_members: int = 20_000
    #: Columns a table (CSV, Excel sheet, .dbf) may have.
    table_columns: int = 2_000
    #: Characters one table cell may hold (Excel's own limit is 32,767).
    table_field_chars: int = 32_767
    #: Households one point or building may hold (the largest residential blocks hold a few
    #: thousand; a compound given as one point may hold more).
    hh_per_point: float = 20_000
    #: Households one village or community may hold.
    hh_per_village: float = 100_000
    #: Cells of an elevation model read into memory (float32: 4 bytes each).
    dem_cells: int = 200_000_000
    #: Villages one partition run takes (a city has about 10,000; more goes through the batch:
    #: ``partition --by township --out-dir``).
    villages_per_run: int = 20_000
    #: Seconds a save waits for another gridtool process writing the same project.
    lock_wait_s: float = 15
    #: Duplicate rows and repeated rosters: "error" (partition refuses) or "warning".
    duplicates: str = "error"


DEFAULT = Limits()
_NAMES = {f.name: f for f in fields(Limits)}
_override: list[Limits] = []


def _parse(text: str, source: str) -> dict:
    out = {}
    for item in (p.strip() for p in text.replace(";", ",").split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in _NAMES:
            raise GridtoolError(
                f"{source} 中有未知的限制：{item}", f"unknown limit in {source}: {item!r}",
                fix_zh="可用的限制：" + ", ".join(_NAMES), fix_en="the limits are: " + ", ".join(_NAMES))
        kind = type(getattr(DEFAULT, key))
        try:
            v = kind(value.strip()) if kind is not str else value.strip()
        except ValueError:
            raise GridtoolError(f"{source} 中 {key} 的值不是数字：{value}", f"{key} in {source} is not a number: "
                                f"{value!r}", fix_zh=f"例如 {key}={getattr(DEFAULT, key)}",
                                fix_en=f"e.g. {key}={getattr(DEFAULT, key)}") from None
        if kind is str and key == "duplicates" and v not in ("error", "warning"):
            raise GridtoolError(f"duplicates 只能是 error 或 warning：{v}", f"duplicates takes error or warning: {v!r}",
                                fix_zh="例如 --limit duplicates=warning", fix_en="e.g. --limit duplicates=warning")
        out[key] = v
    return out


def current() -> Limits:
    """The limits in force: an :func:`override` if one is active, else ``GRIDTOOL_LIMITS`` over the
    config file's ``[limits]`` (:mod:`gridtool.settings`) over the defaults."""
    if _override:
        return _override[-1]
    from .settings import config_limits
    source, table = config_limits()
    base = DEFAULT
    if table:
        base = replace(DEFAULT, **_parse(",".join(f"{k}={v}" for k, v in table.items()), source or "config"))
    env = os.environ.get("GRIDTOOL_LIMITS", "")
    return replace(base, **_parse(env, "GRIDTOOL_LIMITS")) if env.strip() else base


@contextmanager
def override(**values) -> Iterator[Limits]:
    """Limits changed for the duration of a block (nested blocks stack)."""
    bad = [k for k in values if k not in _NAMES]
    if bad:
        raise ValueError(f"unknown {plural_en(len(bad), 'limit')} {bad}; limits: {', '.join(_NAMES)}")
    lim = replace(current(), **values)
    _override.append(lim)
    try:
        yield lim
    finally:
        _override.remove(lim)


def from_options(items: list[str]) -> dict:
    """``--limit KEY=VALUE`` options (repeatable; commas allowed) as keyword arguments for :func:`override`."""
    out: dict = {}
    for item in items or []:
        out.update(_parse(item, "--limit"))
    return out


__all__ = ["DEFAULT", "Limits", "current", "from_options", "override"]
