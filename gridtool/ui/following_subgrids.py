"""Sub-grids that follow hand edits: after each completed move, merge, split, undo or redo the map
and the grids panel show the sub-grids of the plan as it is now, without Qt.

The sub-grids of exactly the grids the edits changed are drawn again by
:func:`gridtool.partition.edit.redrawn_subgrids.edited_layers`, the function ``gridtool edit`` and
the save use, from the sub-grids the plan was made from (:attr:`EditState.subgrids`). A result is
kept per plan state (:meth:`GridPlan.fingerprint`): an undo shows the sub-grids it left again, the
very frames, and a save reuses the result instead of drawing it again. Drawing takes a few tenths
of a second for one split in a village of 12,000 buildings, so the window hands it to its job
runner (:attr:`FollowingSubgrids.background`); without one it is drawn at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from typing import Callable

import geopandas as gpd

#: Plan states whose sub-grids are kept (undo/redo a few steps back is instant).
KEEP_STATES = 16

#: One drawing at a time in the process. Drawing prepares the plan's shared geometries in place
#: (``shapely.prepare`` of a grid's outline, the barrier lines): a save or an export on the GUI
#: thread drawing while the job runner draws the same plan aborted the process in GEOS (seen in
#: CI: ``save_sync`` during a background redraw, ``Fatal Python error: Aborted``). The GUI thread
#: waits for the runner's drawing instead, a few tenths of a second.
_DRAWING = threading.Lock()


class FollowingSubgrids:
    """The sub-grids of a :class:`~gridtool.ui.session.Session`'s plan, kept up to date.

    Attributes
    ----------
    background : callable, optional
        ``background(draw, done, failed) -> bool`` runs ``draw()`` off the GUI thread and calls
        ``done(layers)`` or ``failed()`` on it; False when it cannot start (then ``draw`` runs now).
    """

    def __init__(self, session):
        self.session = session
        self.background: Callable | None = None
        self._cache: OrderedDict = OrderedDict()  # (id(state), fingerprint) -> (state, layers)
        self._shown: tuple | None = None  # the plan state the project's sub-grids layer belongs to
        self._running: tuple | None = None

    def _key(self, state) -> tuple:
        return id(state), state.plan.fingerprint()

    def reset(self, state) -> None:
        """A new or restored plan: the project's sub-grids layer is its own (a partition's, or the
        layer an undo put back)."""
        self._shown = self._key(state) if state is not None else None
        self._running = None

    @property
    def pending(self) -> bool:
        """True while the sub-grids of the plan as it is now are being drawn in the background."""
        return self._running is not None

    def _get(self, key):
        hit = self._cache.get(key)
        if hit is None or id(hit[0]) != key[0] or hit[0] is not self.session.edit:
            return None
        self._cache.move_to_end(key)
        return hit[1]

    def _put(self, key, state, layers) -> None:
        self._cache[key] = (state, layers)
        self._cache.move_to_end(key)
        while len(self._cache) > KEEP_STATES:
            self._cache.popitem(last=False)

    def _drawer(self, state) -> Callable[[], dict]:
        """``draw()`` of the plan's edited layers, its inputs taken now (it may run on the worker)."""
        from ..partition.edit.redrawn_subgrids import edited_layers
        p = self.session.project
        frozen = state.frozen()  # the planner may go on editing while it is drawn
        layers = dict(p.layers)
        params = dict(p.parameters.get("partition", {}).get("parameters", {}))

        def draw() -> dict:
            with _DRAWING:
                return edited_layers(frozen, layers, params)
        return draw

    def layers(self) -> dict:
        """The ``households``, ``grids`` and ``subgrids`` of the plan as it is now
        (:func:`edited_layers`): the kept result, or drawn now on this thread."""
        state = self.session.edit
        key = self._key(state)
        hit = self._get(key)
        if hit is None:
            hit = self._drawer(state)()
            self._put(key, state, hit)
        return hit

    def follow(self) -> None:
        """After a completed edit, undo or redo: show the sub-grids of the plan as it is now."""
        s = self.session
        state = s.edit
        if state is None or s.project is None or "subgrids" not in s.project.layers:
            return
        key = self._key(state)
        if key == self._shown:
            return
        hit = self._get(key)
        if hit is not None:
            self._show(key, hit)
            return
        if self._running is not None:
            return  # one drawing at a time: when it ends, the plan as it is then is drawn
        draw = self._drawer(state)

        def done(layers) -> None:
            self._running = None
            self._put(key, state, layers)
            if s.edit is state and self._key(state) == key:
                self._show(key, layers)
            else:
                self.follow()  # the plan moved on meanwhile

        def failed() -> None:  # cancelled or failed: drawn at the next edit, or by the save
            self._running = None

        self._running = key
        if self.background is not None and self.background(draw, done, failed):
            return
        self._running = None
        done(draw())

    def _show(self, key, layers) -> None:
        """Put the sub-grids into the project and their count into the grids layer."""
        s = self.session
        p = s.project
        subs = layers.get("subgrids")
        if subs is None or "subgrids" not in p.layers:
            return
        self._shown = key
        p.layers["subgrids"] = replace(p.layers["subgrids"], gdf=subs)
        p.layers["grids"] = replace(p.layers["grids"], gdf=with_subgrid_counts(p.layers["grids"].gdf, subs))
        s.layers_changed.emit({"subgrids", "grids"})


def with_subgrid_counts(grids: gpd.GeoDataFrame, subgrids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``grids`` with ``n_subgrids``, the number of sub-grids of each grid in ``subgrids``."""
    count = subgrids.groupby(subgrids["grid"].astype(str)).size() if "grid" in subgrids else {}
    out = grids.copy()
    out["n_subgrids"] = out["code"].astype(str).map(count).fillna(0).astype(int)
    return out


__all__ = ["FollowingSubgrids", "KEEP_STATES", "with_subgrid_counts"]
