"""Sub-grids drawn again inside the base grids a hand edit changed, so that a saved plan never keeps
sub-grids of households that left their grid.

A move, merge or split changes which households a grid holds; the sub-grids of that grid (and of a
grid merged away) no longer describe it: a sub-grid ``A-01-03`` would hold households now in
``A-02``, and the ledger's sub-grid sheet would disagree with its grid sheet. :func:`edited_layers`
draws the sub-grids of exactly the changed grids again, with the engine's own sub-grid drawing
(:func:`gridtool.partition.subgrids.draw_subgrids`, the bounds of the last partition, the same
barriers), and leaves every other grid's sub-grids, codes and households as they were. The command
line (``gridtool edit``) and the desktop app's save both call it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...values import parse_grid_parts
from .state import EditState

#: Sub-grid bounds when the project has no partition parameters (the engine's defaults).
_SUB_DEFAULTS = {"sub_min": 20, "sub_max": 40, "sub_target": 30}


def _frame(layer):
    return getattr(layer, "gdf", layer)


def _barriers(layers: dict, hard) -> tuple:
    """The engine's barrier context: every inner barrier line (village outlines excluded) in an
    STRtree and the lines' affinities."""
    from ..barriers import DEFAULT_HARD, barrier_lines
    frames = {r: _frame(v) for r, v in layers.items() if _frame(v) is not None}
    lines = barrier_lines(frames, hard=hard if hard is not None else DEFAULT_HARD)
    inner = lines[lines["cls"] != "village"] if len(lines) else lines
    if not len(inner):
        return None, np.zeros(0)
    geoms = inner.geometry.values.copy()
    shapely.prepare(geoms)
    return shapely.STRtree(geoms), inner["affinity"].to_numpy(dtype=float)


def edited_layers(state: EditState, layers: dict, parameters: dict | None = None) -> dict[str, gpd.GeoDataFrame]:
    """The ``households``, ``grids`` and ``subgrids`` layers of an edited plan, the sub-grids of the
    grids the edits changed drawn again.

    Parameters
    ----------
    state : EditState
        The plan after its edits (:meth:`EditState.grids_layer` gives the grids' new shapes).
    layers : dict
        The project's layers by role (``Layer`` or GeoDataFrame): the barrier layers (roads,
        rivers, railways, landuse) are read, and ``subgrids`` when the state keeps none
        (:attr:`EditState.subgrids`, the sub-grids the plan was made from).
    parameters : dict, optional
        The last partition's parameters (``sub_min``, ``sub_max``, ``sub_target``,
        ``hard_barriers``); the engine's defaults where absent.

    Returns
    -------
    dict
        ``households`` (``grid``, ``grid_parts``, ``subgrid``, ``subgrid_parts`` as edited),
        ``grids`` (with ``n_subgrids``) and, when the project has sub-grids, ``subgrids``.
    """
    from ..subgrids import draw_subgrids
    params = {**_SUB_DEFAULTS, **(parameters or {})}
    plan = state.plan
    households = plan.to_households()
    grids = state.grids_layer()
    old_subs = state.subgrids if state.subgrids is not None else _frame(layers.get("subgrids"))
    if old_subs is None or "grid" not in old_subs:
        return {"households": households, "grids": grids}
    changed = state.shapes.touched()
    gone = {str(c) for c in old_subs["grid"].astype(str)} - set(plan.codes)
    redo = sorted(c for c in changed if c in plan.bounds and c in set(plan.codes))
    drop = set(redo) | gone | (changed - set(plan.codes))
    if not redo and not drop:
        return {"households": households, "grids": grids, "subgrids": old_subs}
    # The units of the redrawn grids: each (building, grid) share, as the engine's ``assign``.
    index = {c: i for i, c in enumerate(redo)}
    feats, hhs, gidx = [], [], []
    for f, (g, gp, n) in enumerate(zip(households["grid"].tolist(), households["grid_parts"].tolist(),
                                       plan._hh.tolist())):
        parts = parse_grid_parts(gp) or ([(g, n)] if isinstance(g, str) and g else [])
        for c, k in parts:
            if c in index and k > 0:
                feats.append(f)
                hhs.append(int(k))
                gidx.append(index[c])
    assign = pd.DataFrame({"feature": np.asarray(feats, dtype=np.int64), "hh": np.asarray(hhs, dtype=np.int64),
                           "grid_index": np.asarray(gidx, dtype=np.int64)})
    sub_grids = grids[grids["code"].astype(str).isin(index)].copy()
    sub_grids["_order"] = sub_grids["code"].astype(str).map(index)
    sub_grids = sub_grids.sort_values("_order").drop(columns="_order").reset_index(drop=True)
    tree, aff = _barriers(layers, params.get("hard_barriers"))
    ctx = {"points_xy": state.xy, "barriers": tree, "barrier_affinity": aff}  # the plan's own positions
    scratch = households.copy()
    new_subs, _ = draw_subgrids(sub_grids, scratch, assign, ctx, sub_min=int(params["sub_min"]),
                                sub_max=int(params["sub_max"]), sub_target=int(params["sub_target"]),
                                stop=lambda: False)
    # Households: the redrawn grids' buildings take their new sub-grid; a building shared with an
    # unchanged grid keeps its parts there and gets the new ones beside them.
    old_sub = households["subgrid"].tolist() if "subgrid" in households else [None] * len(households)
    old_parts = households["subgrid_parts"].tolist() if "subgrid_parts" in households else [""] * len(households)
    new_sub, new_parts = scratch["subgrid"].tolist(), scratch["subgrid_parts"].tolist()
    sub_grid_of = dict(zip(old_subs["code"].astype(str), old_subs["grid"].astype(str))) if "code" in old_subs else {}
    sub_grid_of.update(zip(new_subs["code"].astype(str), new_subs["grid"].astype(str)))
    touched_feats = set(feats)
    share = pd.Series(hhs, dtype=np.int64).groupby(np.asarray(feats, dtype=np.int64)).sum().to_dict() if feats else {}
    subgrid, subparts = [], []
    for f, g in enumerate(households["grid"].tolist()):
        if f not in touched_feats and not (isinstance(old_sub[f], str) and sub_grid_of.get(old_sub[f]) in drop):
            subgrid.append(old_sub[f])
            subparts.append(old_parts[f] if isinstance(old_parts[f], str) else "")
            continue
        kept = [(c, k) for c, k in parse_grid_parts(old_parts[f]) if sub_grid_of.get(c) not in drop]
        # Held whole by one new sub-grid: its share is the building's households in the redrawn grids.
        fresh = parse_grid_parts(new_parts[f]) or ([(new_sub[f], int(share.get(f, 0)))]
                                                   if isinstance(new_sub[f], str) else [])
        parts = sorted(kept + fresh)
        subgrid.append(new_sub[f] if g in index else (old_sub[f] if sub_grid_of.get(old_sub[f]) not in drop else None))
        subparts.append(";".join(f"{c}:{k}" for c, k in parts) if len(parts) > 1 and all(k for _, k in parts) else "")
    households["subgrid"] = subgrid
    households["subgrid_parts"] = subparts
    keep = old_subs[~old_subs["grid"].astype(str).isin(drop)]
    new_subs = new_subs.to_crs(keep.crs) if keep.crs is not None and new_subs.crs is not None else new_subs
    subs = gpd.GeoDataFrame(pd.concat([keep, new_subs[[c for c in new_subs.columns if c in keep.columns]]],
                                      ignore_index=True), geometry=keep.geometry.name, crs=keep.crs)
    count = subs.groupby(subs["grid"].astype(str)).size()
    grids["n_subgrids"] = grids["code"].astype(str).map(count).fillna(0).astype(int)
    return {"households": households, "grids": grids, "subgrids": subs}


__all__ = ["edited_layers"]
