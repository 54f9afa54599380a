"""Where the app keeps its files: the log and autosaved recovery copies, in the user's data folder
(:func:`gridtool.settings.data_dir`: ``$GRIDTOOL_DATA``, the config file's ``data_dir``, else the
platform's user data folder; tests use a temporary one).
"""

from __future__ import annotations

from pathlib import Path

from .. import settings


def data_dir() -> Path:
    """The user's gridtool data folder (created on first use)."""
    return settings.data_dir()


def log_path() -> Path:
    return data_dir() / "gridtool-gui.log"


def recovery_dir() -> Path:
    d = data_dir() / "recovery"
    d.mkdir(parents=True, exist_ok=True)
    return d
