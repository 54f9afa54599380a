"""Columns of a layer as the HTML map's data carries them: escaped text, whole numbers, raw values,
and the grid each point lies in. Shared by :mod:`.html` and :mod:`.html_incidents` (apart from
both, so neither imports the other).
"""

from __future__ import annotations

import math
from typing import Iterable

import pandas as pd

from .privacy import escape_html


def _text(values: Iterable) -> list[str]:
    """Escaped text per value; missing values (and the texts "nan", "None", "NaT") become ``""``."""
    return ["" if s in ("nan", "None", "NaT") else s for s in map(escape_html, values)]


def _ints(values: Iterable) -> list:
    return [("" if v is None or (isinstance(v, float) and math.isnan(v)) else int(round(float(v))))
            for v in pd.to_numeric(pd.Series(list(values)), errors="coerce").tolist()]


def _col(gdf, name: str, default="") -> list:
    """Escaped text of a column (``default`` for every row when the column is missing)."""
    return _text(gdf[name]) if name in gdf else [default] * len(gdf)


def _raw(gdf, name: str, default="") -> list:
    """The values of a column as they are (``default`` when the column is missing)."""
    return gdf[name].tolist() if name in gdf else [default] * len(gdf)


def _int_col(gdf, name: str) -> list:
    return _ints(gdf[name]) if name in gdf else [""] * len(gdf)


def _grid_index(points, grids) -> list[str]:
    """Code of the grid each point falls in (``""`` outside every grid)."""
    if grids is None or not len(grids) or not len(points):
        return [""] * len(points)
    tree_idx = grids.sindex.query(points, predicate="within")
    out = [""] * len(points)
    codes = grids["code"].astype(str).tolist() if "code" in grids else [""] * len(grids)
    for p, g in zip(*tree_idx):
        if not out[p]:
            out[p] = escape_html(codes[g])
    return out
