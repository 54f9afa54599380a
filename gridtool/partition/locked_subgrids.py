"""The sub-grids of a locked grid through a redraw: kept, not drawn again.

A planner's sub-grid codes are printed on doorplates and each has its 网格员 / 楼栋长, so a locked
grid keeps the previous plan's sub-grids (code, polygon, buildings) whatever the roster did:

- a sub-grid that lost households keeps its code with fewer (one now outside the sub-grid bounds
  is named, and marked ``exception``, never silently redrawn);
- a sub-grid left without households is retired and its area goes to the kept sub-grid of the
  grid sharing the longest border with it (said);
- households of the locked grid the previous plan put in no sub-grid (a building with more
  households than before, a roster matched by polygons) join the sub-grid they lie in, else the
  nearest (said).

A locked grid whose previous sub-grids are not known (another system's grids, a plan without
sub-grids) has its sub-grids drawn as any grid's. Written by hand: the rules are the plan's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .previous import _scale
from ..plurals import count_en, plural_en


@dataclass
class KeptSubgrid:
    """One previous sub-grid of a locked grid, as kept: ``units`` are (feature, households)."""

    code: str
    geom: object
    units: list[tuple[int, int]] = field(default_factory=list)
    #: the previous row's ``kind``, ``status`` and ``apartment_parts``, for a sub-grid of an
    #: unchanged grid: written as they were (None: made from the units, as for a locked grid)
    attrs: dict | None = None

    @property
    def hh(self) -> int:
        return int(sum(n for _, n in self.units))


def kept_subgrids(locked_rows: dict[int, int], grid_codes: list[str], prev_codes, assign: pd.DataFrame,
                  sub_parts: list[list[tuple[str, int]]], previous_subgrids: gpd.GeoDataFrame | None,
                  xy: np.ndarray, *, crs, sub_min: int, sub_max: int,
                  unchanged: Iterable[int] = ()) -> tuple[dict[int, list[KeptSubgrid]], list[dict]]:
    """The kept sub-grids of each locked grid, and what changed in them.

    Parameters
    ----------
    locked_rows
        Row of each locked grid in the new grids → its row in the previous plan.
    grid_codes, prev_codes
        The new grids' codes (a recoded village's locked grid has a new one) and the previous plan's.
    assign
        The new plan's units: ``feature``, ``hh``, ``grid_index``.
    sub_parts
        Per feature, its previous (sub-grid code, households) (:attr:`.previous.PreviousPlan.sub_parts`).
    previous_subgrids
        The previous plan's sub-grids (``code``, ``grid``, polygons); None: nothing is kept.
    xy
        The household points, to place households without a previous sub-grid.
    crs, sub_min, sub_max
        The project's CRS; the sub-grid bounds.
    unchanged
        Rows of ``locked_rows`` that are grids of a redraw holding exactly what they held (not
        locked): their sub-grids keep also the previous rows' ``kind``, ``status`` and
        ``apartment_parts`` (:attr:`KeptSubgrid.attrs`), so that nothing about them changes.

    Returns
    -------
    kept : dict
        New grid row → its :class:`KeptSubgrid` list (grids with no known sub-grids are absent).
    report : list of dict
        Per locked grid kept: ``grid``, ``subgrids`` (how many kept), ``codes`` (code now → previous
        code: the same but under a recoded village), ``changed`` (``code``,
        ``before``, ``now``), ``outside`` (``code``, ``hh``: outside ``bounds``), ``retired``
        (``code``, ``into``), ``joined`` (code → households placed by position), ``bounds``.
    """
    if previous_subgrids is None or not len(previous_subgrids) or "code" not in previous_subgrids \
            or not locked_rows:
        return {}, []
    ps = previous_subgrids
    if ps.crs is not None and crs is not None:
        ps = ps.to_crs(crs)
    ps = ps[~(ps.geometry.isna() | ps.geometry.is_empty)]
    scodes = ps["code"].astype(str).to_numpy(dtype=object)
    of_grid = ps["grid"].astype(str).to_numpy(dtype=object) if "grid" in ps else None
    before_hh = pd.to_numeric(ps["hh"], errors="coerce").to_numpy() if "hh" in ps else None
    by_grid = assign.groupby("grid_index")
    kept: dict[int, list[KeptSubgrid]] = {}
    report: list[dict] = []
    for r, p in sorted(locked_rows.items()):
        old, new = str(prev_codes[p]), str(grid_codes[r])
        mine = np.flatnonzero(of_grid == old) if of_grid is not None else \
            np.flatnonzero([str(c).startswith(f"{old}-") for c in scodes])
        if not len(mine):
            continue
        # A recoded village's locked grid has a new code: its sub-grids follow it, sequence kept.
        name = {str(scodes[i]): new + str(scodes[i])[len(old):] if str(scodes[i]).startswith(old) else str(scodes[i])
                for i in mine}
        subs = {c: KeptSubgrid(name[c], shapely.make_valid(ps.geometry.values[i]),
                               attrs=_row_attrs(ps, i) if r in unchanged else None)
                for c, i in zip(scodes[mine].tolist(), mine.tolist())}
        before = {name[c]: int(before_hh[i]) for c, i in zip(scodes[mine].tolist(), mine.tolist())
                  if before_hh is not None and np.isfinite(before_hh[i])}
        order = list(subs)
        geoms = np.array([subs[c].geom for c in order], dtype=object)
        joined: dict[str, int] = {}
        if r in by_grid.groups:
            grp = by_grid.get_group(r)
            n_of = grp.groupby("feature")["hh"].sum()
            for f, n in zip(n_of.index.tolist(), n_of.to_numpy(dtype=np.int64).tolist()):
                shares = _scale([(c, m) for c, m in sub_parts[f] if c in subs], int(n)) if f < len(sub_parts) else []
                rest = int(n) - sum(m for _, m in shares)
                if rest > 0:  # not in a sub-grid of this grid before: the one it lies in, else the nearest
                    pt = shapely.points(xy[f])
                    d = shapely.distance(geoms, pt)
                    c = order[int(np.argmin(d))]
                    shares = shares + [(c, rest)]
                    joined[subs[c].code] = joined.get(subs[c].code, 0) + rest
                merged: dict[str, int] = {}
                for c, m in shares:
                    merged[c] = merged.get(c, 0) + int(m)
                for c, m in merged.items():
                    subs[c].units.append((int(f), m))
        alive = [c for c in order if subs[c].hh > 0]
        retired = []
        for c in order:
            if c in alive:
                continue
            if not alive:  # the grid kept its outline but no household: every sub-grid code retires
                retired.append({"code": subs[c].code, "into": None})
                continue
            # Its area goes to the kept sub-grid sharing the longest border (else the nearest).
            g = subs[c].geom
            shared = [shapely.length(shapely.intersection(shapely.boundary(g), shapely.boundary(subs[a].geom)))
                      for a in alive]
            into = alive[int(np.argmax(shared))] if max(shared) > 0 else \
                alive[int(np.argmin([shapely.distance(g, subs[a].geom) for a in alive]))]
            subs[into].geom = shapely.union(subs[into].geom, g)
            retired.append({"code": subs[c].code, "into": subs[into].code})
        kept[r] = [subs[c] for c in alive]
        changed = [{"code": subs[c].code, "before": before[subs[c].code], "now": subs[c].hh} for c in alive
                   if subs[c].code in before and before[subs[c].code] != subs[c].hh]
        outside = [{"code": subs[c].code, "hh": subs[c].hh} for c in alive if not sub_min <= subs[c].hh <= sub_max]
        report.append({"grid": new, "subgrids": len(alive), "codes": {subs[c].code: c for c in alive},
                       "changed": changed, "outside": outside,
                       "retired": retired, "joined": joined, "bounds": [int(sub_min), int(sub_max)]})
    return kept, report


def _row_attrs(ps: gpd.GeoDataFrame, i: int) -> dict:
    """The previous sub-grid row ``i``'s ``kind``, ``status`` and ``apartment_parts`` it states."""
    out = {}
    for col in ("kind", "status", "apartment_parts"):
        if col in ps:
            v = ps[col].iat[i]
            if isinstance(v, str):
                out[col] = v
    return out


def locked_subgrid_lines(entries: list[dict]) -> list[tuple[str, str]]:
    """What the console and the app's log say of the locked grids' sub-grids (``(zh, en)`` pairs)."""
    out = []
    for e in entries:
        lo, hi = e["bounds"]
        was = {c: p for c, p in (e.get("codes") or {}).items() if c != p}
        if not e["subgrids"] and e["retired"]:  # nothing left to keep: not "0 sub-grids kept"
            out.append((f"  锁定网格 {e['grid']} 已没有住户：其 {len(e['retired'])} 个子网格编码撤销（形状保留）",
                        f"  locked grid {e['grid']} has no households left: its {count_en(len(e['retired']), 'sub-grid code')} "
                        f"{plural_en(len(e['retired']), 'is')} retired (its outline is kept)"))
            out.extend((f"    子网格 {x['code']} 已没有住户，撤销该编码", f"    sub-grid {x['code']} has no households "
                        "left: its code is retired") for x in sorted(e["retired"], key=lambda x: x["code"]))
            continue
        if was:  # the grid was renumbered with its village's code: its sub-grids' codes follow it
            old = next(iter(was.values())).rsplit("-", 1)[0]
            out.append((f"  锁定网格 {e['grid']} 的 {e['subgrids']} 个子网格保留楼栋（未重新划分），编码随网格由 "
                        f"{old}-NN 改为 {e['grid']}-NN（顺序号不变）",
                        f"  locked grid {e['grid']}: its {count_en(e['subgrids'], 'sub-grid')} keep their buildings (not redrawn); "
                        f"their codes follow the grid, {old}-NN → {e['grid']}-NN (sequence kept)"))
        else:
            out.append((f"  锁定网格 {e['grid']} 的 {e['subgrids']} 个子网格保留原编码和楼栋（未重新划分）",
                        f"  locked grid {e['grid']}: its {count_en(e['subgrids'], 'sub-grid')} keep their codes and buildings "
                        "(not redrawn)"))
        outside = {x["code"] for x in e["outside"]}
        for x in e["changed"]:
            low = x["code"] in outside and x["now"] < lo
            high = x["code"] in outside and x["now"] > hi
            out.append((f"    子网格 {x['code']}：户数随名册由 {x['before']} 户变为 {x['now']} 户"
                        + (f"，低于子网格下限 {lo} 户（编码保留；如需调整，解锁该网格后重绘或手工移动楼栋）" if low else "")
                        + (f"，超过子网格上限 {hi} 户（编码保留；如需调整，解锁该网格后重绘或手工移动楼栋）" if high else ""),
                        f"    sub-grid {x['code']}: households {x['before']} → {x['now']} as the roster changed"
                        + (f", below the sub-grid minimum of {lo} (code kept; to change it, unlock the grid and "
                           "redraw, or move buildings by hand)" if low else "")
                        + (f", above the sub-grid maximum of {hi} (code kept; to change it, unlock the grid and "
                           "redraw, or move buildings by hand)" if high else "")))
        for x in e["outside"]:
            if x["code"] not in {c["code"] for c in e["changed"]}:
                out.append((f"    子网格 {x['code']}：{x['hh']} 户，不在子网格户数范围 {lo}–{hi} 之内（编码保留）",
                            f"    sub-grid {x['code']}: {count_en(x['hh'], 'household')}, outside the sub-grid bounds {lo}-{hi} "
                            "(code kept)"))
        for x in e["retired"]:
            out.append((f"    子网格 {x['code']} 已没有住户，撤销该编码；其范围并入 {x['into']}",
                        f"    sub-grid {x['code']} has no households left: its code is retired and its area joins "
                        f"{x['into']}"))
        for c, n in sorted(e["joined"].items()):
            out.append((f"    {n} 户上一版不在本网格的子网格中（新增或按位置匹配），归入所在或最近的子网格 {c}",
                        f"    {count_en(n, 'household')} in no sub-grid of this grid before (new, or matched by position) "
                        f"joined the sub-grid they lie in or nearest: {c}"))
    return out


__all__ = ["KeptSubgrid", "kept_subgrids", "locked_subgrid_lines"]
