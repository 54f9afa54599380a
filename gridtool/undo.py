"""Deprecated: the undo stack moved to :mod:`gridtool.partition.edit` (:mod:`gridtool.partition.edit.undo`).

``from gridtool.undo import UndoStack`` (the path earlier READMEs showed) keeps working through
this re-export; new code imports ``from gridtool.partition.edit import UndoStack``.
"""

import warnings

from .partition.edit.undo import Command, Macro, UndoStack

warnings.warn("gridtool.undo is deprecated; import from gridtool.partition.edit", DeprecationWarning, stacklevel=2)

__all__ = ["Command", "Macro", "UndoStack"]
