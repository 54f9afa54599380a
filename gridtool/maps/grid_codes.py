"""One rule for a grid's code as the maps print it: wall map, five-colour map, atlas and HTML map.

A grid code is its village's code and a number within the village (``320102900001-03``). Where the
map names the grid's village (the village names are drawn, and the grid is tied to a named village
whose code begins the grid's), the map prints the number alone, ``03``, and the legend says what it
stands for; elsewhere (no village names on the map, a grid of no named village, a code that does not
begin with its village's) the full code. The ledger, tooltips, popups and the atlas page headers
always carry the full code. Before, the wall map printed whichever of the two fitted, so one sheet
mixed ``990100001002-10`` and ``03``.
"""

from __future__ import annotations

import pandas as pd


def _text(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return ""
    return str(v).strip()


def map_code(code, village_code=None, village=None, *, villages_shown: bool = True) -> str:
    """The grid's code as a map prints it: the number within its village when the map shows the
    village's name, else the full code."""
    code, vcode = _text(code), _text(village_code)
    if not (villages_shown and vcode and _text(village) and code.startswith(vcode)):
        return code
    return code[len(vcode):].lstrip("-") or code


def map_codes(grids: pd.DataFrame, *, villages_shown: bool = True) -> pd.Series:
    """:func:`map_code` of every grid (a Series on the grids' index)."""
    def col(name):
        return grids[name] if name in grids else pd.Series(None, index=grids.index, dtype=object)

    return pd.Series([map_code(c, v, n, villages_shown=villages_shown)
                      for c, v, n in zip(col("code"), col("village_code"), col("village"))],
                     index=grids.index, dtype=object)


def villages_named(project) -> bool:
    """True when the project's maps draw village names (a villages layer with names)."""
    lyr = project.layers.get("villages") if hasattr(project, "layers") else None
    gdf = getattr(lyr, "gdf", None)
    return gdf is not None and "name" in gdf and bool(gdf["name"].map(_text).astype(bool).any())


def code_note(grids: pd.DataFrame, shown: pd.Series) -> tuple[str, str] | None:
    """The legend's and console's words for the rule, with an example from the data
    (``03 = 320102900001-03``), or None when every grid is printed with its full code."""
    full = grids["code"].map(_text) if "code" in grids else pd.Series("", index=grids.index)
    short = shown.reindex(grids.index).fillna("").astype(str) != full
    if not short.any():
        return None
    i = short.to_numpy().nonzero()[0][0]
    s, f = shown.iloc[i], full.iloc[i]
    return (f"网格注村（社区）内序号：{s} 即 {f}（完整编码见台账）",
            f"grids are labelled by their number in the village: {s} is {f} (full codes in the ledger)")
