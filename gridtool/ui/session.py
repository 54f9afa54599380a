"""The open project and everything done to it: the app's model, without Qt.

A :class:`Session` holds the :class:`~gridtool.project.Project`, the editable grid plan (an
:class:`~gridtool.partition.edit.EditState`: the :class:`~gridtool.partition.edit.GridPlan` with its
membership and grid shapes), and one :class:`~gridtool.partition.edit.UndoStack` for every change: hand edits (moves, locks, merges,
splits) and results of background jobs (a partition, a redraw, patrol routes, service circles)
alike, so undo walks back through all of them in order.

While grids are being edited the project's ``grids`` layer is kept up to date after each completed
edit (shapes, totals, locks), and its ``subgrids`` layer shows the sub-grids of the changed grids
drawn again (:mod:`.following_subgrids`); the households' ``grid`` and ``subgrid`` columns are
written when the project is saved or handed to a job (:meth:`Session.materialized`).
"""

from __future__ import annotations

import copy
from dataclasses import replace

import geopandas as gpd

from ..partition.edit import EditState, GridPlan, UndoStack
from ..project import Project
from .events import Signal
from .following_subgrids import FollowingSubgrids, with_subgrid_counts

PARTITION_LAYERS = ("grids", "subgrids", "special_grids", "corridors", "party_links", "changes", "ridges")


#: ``dem`` of :class:`ReplaceLayersCommand`: the project's elevation model left as it is.
KEEP = object()


class ReplaceLayersCommand:
    """Put new layers (and parameters) into the project; undo puts the old ones back.

    The edit state that goes with each side is kept, so hand edits made before and after stay
    undoable in order.
    """

    def __init__(self, session: "Session", layers: dict, *, text: str, parameters: dict | None = None,
                 blocks=None, dem=KEEP):
        self.session = session
        self.layers = layers  # role -> Layer or None (remove)
        self.dem = dem  # the elevation model put in (文件 → 添加/替换图层), or KEEP
        self._dem_before = None
        self.parameters = parameters
        self.text = text
        self.blocks = blocks
        self._before: dict | None = None
        self._params_before = None
        self._edit_before = None
        self._edit_after = None

    def do(self) -> None:
        s = self.session
        p = s.project
        if self._before is None:
            self._before = {r: p.layers.get(r) for r in self.layers}
            self._params_before = copy.deepcopy(p.parameters)
            self._edit_before = s.edit
            self._dem_before = p.dem
        if self.dem is not KEEP:
            p.dem = self.dem
        for r, lyr in self.layers.items():
            if lyr is None:
                p.layers.pop(r, None)
            else:
                p.layers[r] = lyr
        if self.parameters is not None:
            p.parameters = copy.deepcopy(self.parameters)
        touches_plan = bool(set(self.layers) & {"grids", "households"})
        if touches_plan:
            if self._edit_after is None:
                s._make_edit_state(blocks=self.blocks)
                self._edit_after = s.edit
            else:
                s._set_edit_state(self._edit_after)
        s.layers_changed.emit(set(self.layers))
        if touches_plan:
            s.plan_reset.emit()

    def undo(self) -> None:
        s = self.session
        p = s.project
        for r, lyr in self._before.items():
            if lyr is None:
                p.layers.pop(r, None)
            else:
                p.layers[r] = lyr
        p.parameters = copy.deepcopy(self._params_before)
        if self.dem is not KEEP:
            p.dem = self._dem_before
        touches_plan = bool(set(self.layers) & {"grids", "households"})
        if touches_plan:
            s._set_edit_state(self._edit_before)
        s.layers_changed.emit(set(self.layers))
        if touches_plan:
            s.plan_reset.emit()


class Session:
    """The open project, its grid plan and its undo history.

    Signals (plain callbacks, see :class:`~gridtool.ui.events.Signal`):
    ``project_changed()`` a project was opened, created or closed; ``layers_changed(roles)``;
    ``plan_reset()`` a new grid plan (after a partition, a redraw, or their undo);
    ``plan_changed(codes, features)`` an edit changed these grids' totals and these features' grid;
    ``dirty_changed(bool)``; ``message(level, zh, en)`` for the log.
    """

    def __init__(self) -> None:
        self.project: Project | None = None
        self.undo = UndoStack()
        self.edit: EditState | None = None
        self._unsaved = False
        self._pending: set[str] = set()
        #: the sub-grids of the plan as edited, kept per plan state (also what a save writes)
        self.subgrids = FollowingSubgrids(self)
        self.project_changed = Signal()
        self.layers_changed = Signal()
        self.plan_reset = Signal()
        self.plan_changed = Signal()
        self.dirty_changed = Signal()
        self.message = Signal()
        self.undo.listeners.append(self._on_stack)

    # -- project lifecycle ----------------------------------------------------------------------
    def set_project(self, project: Project | None, *, unsaved: bool = False) -> None:
        """Show ``project`` (opened from its file, or new and not yet saved when ``unsaved``)."""
        self.project = project
        self.undo.listeners.remove(self._on_stack)
        self.undo = UndoStack()
        self.undo.listeners.append(self._on_stack)
        self._unsaved = unsaved
        self.edit = None
        if project is not None and "grids" in project.layers and "households" in project.layers:
            self._make_edit_state()
        self.project_changed.emit()
        self._emit_dirty()

    def open(self, path) -> Project:
        project = Project.open(path)
        self.set_project(project)
        return project

    @property
    def path(self) -> str | None:
        return self.project.path if self.project is not None else None

    @property
    def dirty(self) -> bool:
        return self.project is not None and (self._unsaved or not self.undo.clean)

    def materialized(self) -> Project:
        """A shallow copy of the project with the edited plan written into its layers (for saving and
        for jobs; the copy may be read from another thread while the GUI goes on)."""
        p = self.project
        snap = replace(p, layers=dict(p.layers), parameters=copy.deepcopy(p.parameters))
        if self.edit is not None and (len(self.edit.membership.moved_since_base()) or self.edit.plan.edited):
            # The households as edited, and the sub-grids of every grid the edits changed drawn
            # again (as ``gridtool edit`` does), so a saved plan has no sub-grid of households that
            # left its grid and the ledger's sheets agree.
            # Drawn once per state of the plan (the map's sub-grids after the last edit, kept): a
            # save, an autosave tick or an export reuses them instead of drawing them again.
            edited = self.subgrids.layers()
            for role in ("households", "subgrids"):
                if role in edited and role in p.layers:
                    snap.layers[role] = replace(p.layers[role], gdf=edited[role])
            if "subgrids" in edited:  # the grids as edited (locks too) with their sub-grid counts
                snap.layers["grids"] = replace(p.layers["grids"], gdf=with_subgrid_counts(
                    p.layers["grids"].gdf, edited["subgrids"]))
        return snap

    def redraw_inputs(self) -> tuple[Project, gpd.GeoDataFrame | None, list[str]]:
        """What a partition or a redraw starts from: the project with the edited plan written into
        its households (their ``grid``/``grid_parts`` say which grid holds each building), the
        grids as edited (shapes, locks) and the locked codes. The engine keeps each locked grid's
        households, shape and code exactly (:meth:`GridPartitioner.fit`)."""
        snap = self.materialized()
        if self.edit is None or "grids" not in snap.layers:
            return snap, None, []
        return snap, snap.layers["grids"].gdf, sorted(self.edit.plan.locked)

    def mark_saved(self, path) -> None:
        self.project.path = str(path)
        self._unsaved = False
        self.undo.set_clean()
        self._emit_dirty()

    # -- edits ------------------------------------------------------------------------------
    def push(self, command) -> None:
        """Run an undoable command (a GridPlan edit, a layer replacement)."""
        self.undo.push(command)

    def replace_layers(self, layers: dict, *, text: str, parameters: dict | None = None, blocks=None,
                       dem=KEEP) -> None:
        self.push(ReplaceLayersCommand(self, layers, text=text, parameters=parameters, blocks=blocks, dem=dem))

    def apply_partition(self, gp, *, text: str, previous=None) -> None:
        """Put a fitted GridPartitioner's layers into the project as one undoable step; ``previous``
        (:class:`gridtool.io.previous.PreviousLayers`): the other file's plan a redraw started from,
        whose joined ledger columns go to the new grids (as on the command line)."""
        from ..partition.output import apply_to_project
        p = self.project
        scratch = replace(p, layers=dict(p.layers), parameters=copy.deepcopy(p.parameters))
        scratch.layers["households"] = replace(p.layers["households"])  # apply_to_project sets its gdf
        apply_to_project(scratch, gp, previous=previous)
        roles = set(PARTITION_LAYERS) | {"households"}
        layers = {r: scratch.layers.get(r) for r in roles}
        self.replace_layers(layers, text=text, parameters=scratch.parameters, blocks=gp.blocks_)

    def apply_join(self, result, snapshot: Project) -> None:
        """Put a table join (:func:`gridtool.join.join_table` run on ``snapshot``, a
        :meth:`materialized` copy) into the project as one undoable step. The households of the
        snapshot go in too, so hand edits made before the join are kept in the new plan."""
        from ..join import log_join
        layers = dict(result.layers)
        if "households" in snapshot.layers:
            layers["households"] = snapshot.layers["households"]
        params = log_join(copy.deepcopy(self.project.parameters), result)
        name = str(result.table.path).replace("\\", "/").rsplit("/", 1)[-1]
        self.replace_layers(layers, text=f"连接表格 {name} / join table {name}", parameters=params)

    # -- plan ---------------------------------------------------------------------------------
    @property
    def plan(self) -> GridPlan | None:
        return self.edit.plan if self.edit is not None else None

    def partition_parameters(self) -> dict:
        """The parameters of the last partition (defaults when there was none)."""
        if self.project is None:
            return {}
        return dict(self.project.parameters.get("partition", {}).get("parameters", {}))

    def partition_report(self) -> dict:
        return self.project.parameters.get("partition", {}) if self.project is not None else {}

    def _make_edit_state(self, blocks=None) -> None:
        self._set_edit_state(EditState.from_project(self.project, blocks=blocks))

    def _set_edit_state(self, state: EditState | None) -> None:
        if self.edit is not None:
            self.edit.plan.listeners.clear()
        self.edit = state
        self._pending.clear()
        self.subgrids.reset(state)
        if state is not None:
            state.plan.listeners.append(self._on_plan)

    def _on_plan(self, codes: set[str]) -> None:
        feats = self.edit.update(codes)
        self._pending |= set(codes)
        self.plan_changed.emit(set(codes), feats)

    def _on_stack(self) -> None:
        if not self.undo.in_macro and self._pending and self.edit is not None:
            self._pending.clear()
            self._write_grids()
            self.subgrids.follow()
        self._emit_dirty()

    def _emit_dirty(self) -> None:
        self.dirty_changed.emit(self.dirty)

    def _write_grids(self) -> None:
        """The project's grids layer from the plan: shapes, totals, locks (after each completed edit)."""
        old = self.project.layers["grids"]
        grids = self.edit.grids_layer()
        if "subgrids" in self.project.layers:  # counted on the sub-grids shown until they follow
            grids = with_subgrid_counts(grids, self.project.layers["subgrids"].gdf)
        self.project.layers["grids"] = replace(old, gdf=grids)
        self.layers_changed.emit({"grids"})

