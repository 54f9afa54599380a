"""The editing model of a grid plan, shared by the desktop app and API users.

- :class:`GridPlan` (:mod:`.plan`): households assigned to grids with live totals, and every rule of
  editing (locks, village boundaries, special grids, bounds) enforced for everyone;
- the undoable edits (:mod:`.edits`) and the :class:`UndoStack` that runs them (:mod:`.undo`);
- :class:`Membership`, :class:`GridShapes` and :class:`EditState` (:mod:`.membership`,
  :mod:`.grid_shapes`, :mod:`.state`): which grid holds each building, the grids' shapes and the
  ``grids`` layer after edits.

The app (``gridtool.ui``) only draws this model and forwards the user's actions to it.
"""

from .edits import LockCommand, MergeCommand, MoveCommand, SplitCommand
from .grid_shapes import GridShapes
from .membership import Membership
from .plan import ApartGridsError, GridPlan, LockedGridError, Movable, OtherVillageError, PlanEditError, parse_grid_parts
from .state import EDITED_NOTE, EditState
from .undo import Macro, UndoStack

__all__ = ["ApartGridsError", "EDITED_NOTE", "EditState", "GridPlan", "GridShapes", "LockCommand", "LockedGridError", "Macro",
           "MergeCommand", "Membership", "Movable", "MoveCommand", "OtherVillageError", "PlanEditError",
           "SplitCommand", "UndoStack", "parse_grid_parts"]
