"""Can a village be split into base grids whose totals all lie within [min, max]?

A village of H households splits into k grids within the bounds only if ``min·k ≤ H ≤ max·k``
for some whole k ≥ 1 (a necessary condition; barriers can still make it impossible, which the
partition engine reports separately). With 300–500: 250 households cannot (too few), 550 cannot
(too many for one grid, too few for two), 650 can (two grids).
"""

from __future__ import annotations

import math

from ..errors import HouseholdBoundsError


def feasible_grid_counts(households: int, min_hh: int = 300, max_hh: int = 500) -> range:
    """Every k for which k grids of ``min_hh``–``max_hh`` households can hold ``households``.

    Parameters
    ----------
    households : int
        The village's total.
    min_hh, max_hh : int
        The bounds per grid (``0 < min_hh <= max_hh``).

    Returns
    -------
    range
        The feasible grid counts; empty when no such k exists (or ``households <= 0``).

    Raises
    ------
    ValueError
        When the bounds are not ``0 < min_hh <= max_hh``.

    Examples
    --------
    >>> list(feasible_grid_counts(1200, 300, 500))
    [3, 4]
    >>> list(feasible_grid_counts(550, 300, 500))
    []
    """
    if min_hh <= 0 or max_hh < min_hh:
        raise HouseholdBoundsError(
            f"网格户数范围 {min_hh}–{max_hh} 无效：最少户数须至少为 1 且不大于最多户数",
            f"bounds must satisfy 0 < min <= max, got {min_hh}-{max_hh}",
            fix_zh="例如 --min 300 --max 500。", fix_en="e.g. --min 300 --max 500.", field="min_hh")
    if households <= 0:
        return range(0)
    lo = math.ceil(households / max_hh)
    hi = households // min_hh
    return range(lo, hi + 1) if lo <= hi else range(0)


def diagnose(households: int, min_hh: int = 300, max_hh: int = 500) -> str:
    """Why a village's total can or cannot be split within the bounds.

    Parameters
    ----------
    households : int
        The village's total.
    min_hh, max_hh : int
        The bounds per grid.

    Returns
    -------
    str
        ``"ok"``, ``"too_small"`` (under ``min_hh``) or ``"gap"`` (between k·max and (k+1)·min).

    Examples
    --------
    >>> diagnose(650), diagnose(250), diagnose(550)
    ('ok', 'too_small', 'gap')
    """
    if feasible_grid_counts(households, min_hh, max_hh):
        return "ok"
    return "too_small" if households < min_hh else "gap"
