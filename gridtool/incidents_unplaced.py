"""The 110 calls (警情) import could not place, kept with their category and why.

Import leaves off the map the rows of an incidents table without usable coordinates (empty, or
0,0) that no address placed (:mod:`gridtool.address_match`); the loader's problems name their rows.
Their category (``type``) and reason are saved with the project (:func:`to_meta`, the layer's
``unplaced`` metadata), so that a saved project counts them as the run from the tables does:
``patrol --category 治安`` states 警情 N 条 = 落图 A + 未落图 C for 治安, and ``import``/``info``
state the sheet's rows = placed + not placed (:func:`equation`).
"""

from __future__ import annotations

import pandas as pd

from .address_match import UNLOCATED_CODES, placed_by_address_count
from .incidents_dupes import merged_count
from .routing.hotspots import UNPLACED_REASONS, unplaced_counts


def _reasons(problems) -> dict[str, str]:
    return {str(f): p.code for p in problems or () if p.code in UNLOCATED_CODES for f in p.features}


def unplaced_rows(layer) -> pd.DataFrame | None:
    """The calls of ``layer`` (an incidents :class:`~gridtool.layers.Layer`) not placed: ``src_id``
    (``row N``), ``type`` (None when the table has no category) and ``reason``; None when the layer
    does not know them (a project saved by an older gridtool keeps only their count)."""
    rows = getattr(layer, "unlocated", None)
    reason = _reasons(getattr(layer, "problems", None))
    if rows is None:
        return None if reason else pd.DataFrame({"src_id": [], "type": [], "reason": []})
    ids = rows["src_id"].astype(str) if "src_id" in rows else pd.Series([f"row {i}" for i in rows.index])
    kinds = rows["type"].tolist() if "type" in rows else [None] * len(rows)
    out = pd.DataFrame({"src_id": ids.to_numpy(), "type": kinds,
                        "reason": [reason.get(i, "bad_coordinates") for i in ids]})
    # Only the rows the problems still name (those placed by address have left both).
    return out[out["src_id"].isin(reason)].reset_index(drop=True) if reason else out.iloc[:0]


def to_meta(layer) -> list[dict]:
    """The unplaced calls as saved in the project's metadata (row, category, reason: no personal data)."""
    rows = unplaced_rows(layer)
    if rows is None:
        return []
    return [{"row": r.src_id, "type": None if pd.isna(r.type) else str(r.type), "reason": r.reason}
            for r in rows.itertuples()]


def from_meta(items) -> pd.DataFrame | None:
    """The layer's ``unlocated`` rows again from :func:`to_meta`'s list (None for a project saved
    without it)."""
    if items is None:
        return None
    return pd.DataFrame({"src_id": [i["row"] for i in items], "type": [i.get("type") for i in items]})


def equation(placed: int, problems) -> tuple[str, str] | None:
    """``警情 N 条 = 落图 A（其中按地址 B）+ 未落图 C（坐标为空 x、坐标为 0,0 y）`` and its English,
    or None when every row was placed by its coordinates."""
    by = unplaced_counts(problems)
    missing = sum(by.values())
    by_address = placed_by_address_count(problems)
    merged = merged_count(problems)
    if not missing and not by_address and not merged:
        return None
    addr_zh = f"（其中按地址 {by_address}）" if by_address else " "
    addr_en = f" ({by_address} by address)" if by_address else ""
    why_zh = "、".join(f"{UNPLACED_REASONS[k][0]} {n}" for k, n in by.items())
    why_en = ", ".join(f"{UNPLACED_REASONS[k][1]} {n}" for k, n in by.items())
    zh = f"警情 {placed + missing + merged} 条 = 落图 {placed}{addr_zh}+ 未落图 {missing}" + (
        f"（{why_zh}）" if missing else "") + (f" + 重复合并 {merged}（同一警情的重复行，只计一次）" if merged else "")
    en = f"incidents: {placed + missing + merged} = {placed} placed{addr_en} + {missing} not placed" + (
        f" ({why_en})" if missing else "") + (f" + {merged} merged (repeated rows of one incident, counted once)"
                                              if merged else "")
    return zh, en


__all__ = ["equation", "from_meta", "to_meta", "unplaced_rows"]
