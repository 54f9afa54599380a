"""The yearly redraw from another file's plan (last year's project or a grids layer from the
county's platform): one path for the command line (``gridtool partition NEW --previous LAST``) and
the app (网格 → 按上一版重绘…), so both give the same grids, codes, carried ledger and change report.

:func:`fit_redraw` checks the previous plan against the project and fits the partitioner; the
result goes into a project with :func:`gridtool.partition.output.apply_to_project` given the same
``previous`` (the ledger columns carried by code, the report's ``previous``).
"""

from __future__ import annotations

from typing import Callable, Iterable

from ..io.previous import PreviousLayers, check_previous
from .engine import GridPartitioner


def redraw_locks(prev: PreviousLayers, lock: Iterable[str] = ()) -> list[str]:
    """The codes a redraw keeps exactly: those asked for and those the previous file marks locked."""
    return sorted({str(c) for c in lock} | set(prev.locked))


def fit_redraw(project, prev: PreviousLayers, *, params: dict, lock: Iterable[str] = (),
               processes: int | None = None, progress: Callable[[float, str], None] | None = None,
               cancelled: Callable[[], bool] | None = None) -> GridPartitioner:
    """Redraw ``project``'s grids with minimal change from ``prev`` (:func:`gridtool.io.previous.read_previous`).

    Refuses (:func:`~gridtool.io.previous.check_previous`) codes to lock that ``prev`` lacks and a
    plan overlapping none of the villages. Households are matched to the previous plan's households
    when the file has them, else to the previous polygon they lie in. ``params``: the
    :class:`GridPartitioner` parameters. Returns the fitted partitioner (``project`` untouched).
    """
    vl = project.layers.get("villages")
    lock = [str(c) for c in lock]
    check_previous(prev, vl.gdf if vl is not None else None, lock)
    match = "households" if prev.households is not None else "polygons"
    params = {**params, **({"processes": processes} if processes is not None else {})}
    return GridPartitioner(**params).fit(
        project, previous=prev.grids, locked=redraw_locks(prev, lock), match=match,
        previous_households=prev.households, previous_subgrids=prev.subgrids, previous_merged=prev.merged,
        progress=progress,
        cancelled=cancelled)
