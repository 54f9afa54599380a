"""Deprecated: the editing model moved to :mod:`gridtool.partition.edit`.

``from gridtool.partition.plan import GridPlan`` (the path earlier READMEs showed) keeps working
through this re-export; new code imports ``from gridtool.partition.edit import GridPlan``.
"""

import warnings

from .edit.edits import LockCommand, MergeCommand, MoveCommand, SplitCommand
from .edit.plan import GridPlan, LockedGridError, Movable, OtherVillageError, PlanEditError, parse_grid_parts

warnings.warn("gridtool.partition.plan is deprecated; import from gridtool.partition.edit",
              DeprecationWarning, stacklevel=2)

__all__ = ["GridPlan", "LockCommand", "LockedGridError", "MergeCommand", "Movable", "MoveCommand",
           "OtherVillageError", "PlanEditError", "SplitCommand", "parse_grid_parts"]
