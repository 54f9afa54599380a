"""New households inside a locked grid's outline join that grid.

A lock keeps a grid's code, outline and members. A building new on this year's roster (or more
households in a building than the previous plan recorded) that stands inside a locked outline is
in that grid in the field's eyes: its 网格员 walks past it. Given to an unlocked neighbour, that
neighbour's outline would reach into the locked one (overlapping grids on the wall map), or the
building would be counted in a grid whose area does not hold it. So a redraw adds such households
to the locked grid (outline unchanged) and says so, with the grid's count against its upper bound.

Households the previous plan put in an unlocked grid stay there even when they lie inside a
locked outline (the previous plan said where they are): only those it did not hold join.
Written by hand: the rule is the plan's; the geometry is shapely's.
"""

from __future__ import annotations

import numpy as np
import shapely

from ..errors import feature_id_zh
from ..plurals import count_en


def new_inside_locked(pv, xy: np.ndarray, hh: np.ndarray, household_block: np.ndarray,
                      block_special: np.ndarray) -> dict[int, list[tuple[int, int]]]:
    """Per locked row of the previous plan, the (feature, households) it takes in: the households
    of each feature the previous plan did not hold whose point lies inside the locked outline.

    Parameters
    ----------
    pv : gridtool.partition.previous.PreviousPlan
        The previous plan matched to today's households.
    xy : numpy.ndarray
        The household points (n × 2, project CRS).
    hh : numpy.ndarray
        Households per feature today.
    household_block, block_special : numpy.ndarray
        Block of each feature (-1: outside every village) and, per block, its special grid (-1
        none): households outside the villages stay unassigned and those of a special grid stay
        in it, as in any partition.

    Returns
    -------
    dict
        Locked row → (feature, households) pairs; a point on the border of two locked grids joins
        the one whose code sorts first.
    """
    out: dict[int, list[tuple[int, int]]] = {}
    if not pv.locked or not len(hh):
        return out
    held = np.fromiter((sum(n for _, n in ps) for ps in pv.parts), dtype=np.int64, count=len(pv.parts))
    rest = np.asarray(hh, dtype=np.int64) - held
    hb = np.asarray(household_block)
    cand = np.flatnonzero((rest > 0) & (hb >= 0))
    cand = cand[np.asarray(block_special)[hb[cand]] < 0]
    for p in sorted(pv.locked, key=lambda r: str(pv.codes[r])):
        if not len(cand):
            break
        geom = shapely.make_valid(pv.gdf.geometry.values[p])
        # On the outline counts as inside (contains_xy would leave a point on the border of two
        # locked grids to an unlocked neighbour squeezed between them): the first code takes it.
        inside = shapely.intersects_xy(geom, xy[cand, 0], xy[cand, 1])
        if inside.any():
            out[p] = [(int(f), int(rest[f])) for f in cand[inside]]
            cand = cand[~inside]
    return out


def joined_entries(joined: dict[int, list[tuple[int, int]]], code_of: dict[int, str], grid_hh: dict[int, int],
                   bounds: dict[int, tuple[int, int]], feature_ids) -> list[dict]:
    """The report's ``joined_locked``: per locked grid that took in new households, ``locked``
    (code as recoded), ``households``, ``buildings`` (the features' ids), ``hh`` (the grid now) and
    ``max_hh`` / ``min_hh`` (its bounds), sorted by code."""
    out = []
    for p, pairs in joined.items():
        lo, hi = bounds[p]
        out.append({"locked": code_of[p], "households": int(sum(n for _, n in pairs)),
                    "buildings": [str(feature_ids[f]) for f, _ in pairs], "hh": int(grid_hh[p]),
                    "min_hh": int(lo), "max_hh": int(hi)})
    return sorted(out, key=lambda e: e["locked"])


def _buildings(ids: list[str], n: int = 5) -> tuple[str, str]:
    zh = "、".join(feature_id_zh(i) for i in ids[:n]) + (f" 等 {len(ids)} 栋" if len(ids) > n else "")
    en = ", ".join(ids[:n]) + (f" and {len(ids) - n} more" if len(ids) > n else "")
    return zh, en


def joined_lines(entries: list[dict]) -> list[tuple[str, str]]:
    """What the console, the app's log and the report say of them (``(zh, en)`` pairs)."""
    out = []
    for e in entries:
        zh, en = _buildings(e["buildings"])
        out.append((f"  锁定网格 {e['locked']} 内新增 {e['households']:,} 户（楼栋 {zh}），已计入该网格"
                    f"（形状不变，现 {e['hh']:,} 户）",
                    f"  locked grid {e['locked']}: {count_en(e['households'], 'new household')} inside it (buildings {en}) "
                    f"counted in it (outline kept; {count_en(e['hh'], 'household')} now)"))
        if e["hh"] > e["max_hh"]:
            out.append((f"    注意：锁定网格 {e['locked']} 现有 {e['hh']:,} 户，超过上限 {e['max_hh']} 户，已标为例外网格。"
                        f"解决办法：解锁该网格（gridtool edit 项目.gpkg --unlock {e['locked']}，或在桌面程序的网格面板中"
                        "点“解锁”）后重绘",
                        f"    note: locked grid {e['locked']} now holds {count_en(e['hh'], 'household')}, above the maximum of "
                        f"{e['max_hh']}: marked exceptional. Fix: unlock it (gridtool edit PROJECT.gpkg --unlock "
                        f"{e['locked']}, or Unlock in the app's grid panel) and redraw"))
    return out


def joined_ledger_text(e: dict) -> str:
    """The ledger's 说明 of one entry (Chinese: the ledger is filed with the township office)."""
    zh, _ = _buildings(e["buildings"], n=10)
    text = f"锁定网格 {e['locked']} 内新增 {e['households']:,} 户（楼栋 {zh}），已计入该网格；形状不变，现 {e['hh']:,} 户"
    if e["hh"] > e["max_hh"]:
        text += f"；超过上限 {e['max_hh']} 户，如需调整，解锁该网格后重绘"
    return text


__all__ = ["joined_entries", "joined_ledger_text", "joined_lines", "new_inside_locked"]
