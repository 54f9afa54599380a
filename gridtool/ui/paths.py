"""Where the app keeps its files: the log, autosaved recovery copies and settings.

``$GRIDTOOL_DATA_DIR`` overrides the platform's user data folder (tests use a temporary one).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def data_dir() -> Path:
    """The user's gridtool data folder (created on first use)."""
    env = os.environ.get("GRIDTOOL_DATA_DIR")
    if env:
        d = Path(env)
    elif sys.platform.startswith("win"):
        d = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "gridtool"
    elif sys.platform == "darwin":
        d = Path.home() / "Library" / "Application Support" / "gridtool"
    else:
        d = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "gridtool"
    d.mkdir(parents=True, exist_ok=True)
    return d


def log_path() -> Path:
    return data_dir() / "gridtool-gui.log"


def recovery_dir() -> Path:
    d = data_dir() / "recovery"
    d.mkdir(parents=True, exist_ok=True)
    return d
