"""A grid plan being edited, with what follows each edit: which grid holds each building
(:class:`~.membership.Membership`), the grids' shapes (:class:`~.grid_shapes.GridShapes`) and the
``grids`` layer as edited (:meth:`EditState.grids_layer`: totals, locks, shapes, compactness).

The desktop app keeps one per plan (and the one before and after each partition, for undo); an API
user can use it the same way: ``state = EditState.from_project(project)``, edit ``state.plan`` with
undoable commands, call :meth:`EditState.update` with the codes each edit touched (the plan's
listeners give them), then ``project.layers["grids"]`` from :meth:`EditState.grids_layer` and the
households from ``state.plan.to_households()``.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...spatial import household_points
from .grid_shapes import GridShapes
from .membership import Membership
from .plan import GridPlan

#: The note a grid whose shape an edit changed gets in the ``grids`` layer.
EDITED_NOTE = "edited"


@dataclass
class EditState:
    """A grid plan with the layers it was made from (kept so undo can come back to it).

    Attributes
    ----------
    plan : the :class:`~.plan.GridPlan` being edited.
    membership : which grid holds most of each household feature now.
    shapes : the grids' polygons after the edits.
    households, grids : the layers the plan was made from (``grids`` reset-indexed).
    xy : household feature positions (n×2, project CRS).
    blocks : :class:`gridtool.partition.blocks.Blocks` of these households, when known (painting by block).
    subgrids : the ``subgrids`` layer the plan was made from (None without sub-grids): the edits'
        sub-grids are drawn from it, whatever the project's layer shows meanwhile.
    """

    plan: GridPlan
    membership: Membership
    shapes: GridShapes
    households: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    xy: np.ndarray
    blocks: object | None = None
    subgrids: gpd.GeoDataFrame | None = None

    @classmethod
    def from_project(cls, project, blocks=None) -> "EditState | None":
        """The edit state of a partitioned project; None when it has no grids or its households no
        ``grid`` column. ``blocks`` is dropped unless it belongs to these households."""
        if "grids" not in project.layers or "households" not in project.layers:
            return None
        hh = project.layers["households"].gdf
        if "grid" not in hh:
            return None
        plan = GridPlan.from_project(project)
        grids = plan.grids  # reset_index'ed: positions are row numbers
        m = Membership(plan)
        pts = household_points(hh).values
        xy = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]) if len(hh) else np.zeros((0, 2))
        shapes = GridShapes(grids["code"].astype(str), grids.geometry.values, m, xy)
        if blocks is not None and len(getattr(blocks, "household_block", [])) != len(hh):
            blocks = None
        subs = project.layers["subgrids"].gdf if "subgrids" in project.layers else None
        return cls(plan, m, shapes, hh, grids, xy, blocks, subs)

    def frozen(self) -> "EditState":
        """A copy that later edits do not change, for drawing on a worker thread while the planner
        goes on editing (plan, membership and shape caches copied; layers and positions shared)."""
        plan = self.plan.frozen_copy()
        m = copy.copy(self.membership)
        m.plan, m.codes, m.index, m.of_feature = plan, list(m.codes), dict(m.index), m.of_feature.copy()
        shapes = copy.copy(self.shapes)
        shapes.m, shapes._cache, shapes._cells = m, dict(shapes._cache), dict(shapes._cells)
        return replace(self, plan=plan, membership=m, shapes=shapes)

    def update(self, codes) -> np.ndarray:
        """Bring membership and shapes up to date after an edit that touched ``codes``; returns the
        features whose grid changed."""
        feats = self.membership.update(codes)
        self.shapes.invalidate(codes)
        return feats

    def grids_layer(self) -> gpd.GeoDataFrame:
        """The ``grids`` layer as edited: one row per grid of the plan with its households, lock and
        (for grids whose households changed) its new shape, area, Polsby-Popper and an ``edited``
        note; a grid made by a split takes the attributes of a grid of its village."""
        plan = self.plan
        base = self.grids
        by_code = {str(c): i for i, c in enumerate(base["code"].astype(str))}
        touched = self.shapes.touched()
        rows, geoms = [], []
        for code in plan.codes:
            i = by_code.get(code)
            if i is None:  # made by a split: the attributes of a grid of its village
                v = plan.village.get(code)
                i = next((j for c, j in by_code.items() if plan.village.get(c) == v), 0)
            row = base.iloc[i].drop(labels="geometry").to_dict()
            row["code"] = code
            row["hh"] = int(plan.totals.get(code, 0))
            row["locked"] = code in plan.locked
            if code in touched or code not in by_code:
                # Its households changed: in bounds now or not (a split exception grid of 592 gives
                # 300 + 292), so the totals, ledger and maps count it as what it is now.
                if "status" in row and row.get("status") in ("ok", "exception"):
                    row["status"] = "ok" if plan.state(code) == "ok" else "exception"
                g = self.shapes.geometry(code)
                area = float(shapely.area(g))
                perim = float(shapely.length(g))
                row["area_m2"] = round(area, 1)
                row["polsby_popper"] = round(4 * math.pi * area / perim ** 2, 3) if perim > 0 else 0.0
                if "ridge_m" in row:  # measured on the old households: not known until partitioned again
                    row["ridge_m"] = float("nan")
                note = str(row.get("note") or "")
                row["note"] = note if EDITED_NOTE in note else (f"{note}; {EDITED_NOTE}" if note else EDITED_NOTE)
            else:
                g = base.geometry.iat[i]
            rows.append(row)
            geoms.append(g)
        return gpd.GeoDataFrame(pd.DataFrame(rows, columns=[c for c in base.columns if c != "geometry"]),
                                geometry=gpd.GeoSeries(geoms, crs=base.crs))


__all__ = ["EDITED_NOTE", "EditState"]
