"""Cell values as gridtool reads them back from any file: whole households per feature, a
``locked`` flag, the parts of a building split between grids.

The plain helpers that the layers, the partition engine, the editing model and every output share,
so that they count and read alike (one household total everywhere).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def household_counts(values) -> np.ndarray:
    """Whole households per feature, as the partition counts them (``np.rint``; missing, negative
    and non-numeric counts are 0)."""
    hh = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(hh) & (hh > 0), np.rint(hh), 0).astype(np.int64)


def parse_grid_parts(value) -> list[tuple[str, int]]:
    """``"A-01:20;A-02:12"`` → ``[("A-01", 20), ("A-02", 12)]`` (the households layer's ``grid_parts``)."""
    if not isinstance(value, str) or not value:
        return []
    out = []
    for item in value.split(";"):
        code, _, n = item.rpartition(":")
        if code and n.isdigit():
            out.append((code, int(n)))
    return out


def truthy(v) -> bool:
    """A ``locked`` cell as read back from any file: True, 1, "1", "true", "是" (not NaN, 0 or "否")."""
    if v is None or isinstance(v, float) and math.isnan(v):
        return False
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "y", "t", "是", "锁定")
    return bool(v)


__all__ = ["household_counts", "parse_grid_parts", "truthy"]
