"""The core installs, imports and works with Qt absent: only gridtool.ui may import it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import importlib, pkgutil, sys

    class NoQt:
        # Behave as if no Qt binding were installed at all.
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PyQt6", "PyQt5", "PySide6", "PySide2", "qtpy", "sip"):
                raise ImportError(f"{name} is not installed (blocked by the test)")
            return None

    sys.meta_path.insert(0, NoQt())
    import gridtool
    names = [m.name for m in pkgutil.walk_packages(gridtool.__path__, "gridtool.")
             if not m.name.startswith("gridtool.ui") and not m.name.endswith("__main__")]
    for name in names:
        importlib.import_module(name)
    # And real work: build a project from a file made here, validate it, save it.
    import tempfile, pathlib
    import geopandas as gpd
    from shapely.geometry import Point, box
    from gridtool.project import Project
    from gridtool.validate import validate
    tmp = pathlib.Path(tempfile.mkdtemp())
    gpd.GeoDataFrame({"hh": [3, 4]}, geometry=[Point(106.5, 29.5), Point(106.501, 29.501)],
                     crs=4326).to_file(tmp / "a.gpkg", layer="households")
    gpd.GeoDataFrame({"name": ["村"]}, geometry=[box(106.49, 29.49, 106.51, 29.51)],
                     crs=4326).to_file(tmp / "a.gpkg", layer="villages")
    p = Project.from_sources({"households": f"{tmp}/a.gpkg:households",
                              "villages": f"{tmp}/a.gpkg:villages"})
    validate(p)
    p.save(tmp / "p.gpkg")
    qt = [m for m in sys.modules if m.split(".")[0] in ("PyQt6", "PyQt5", "PySide6", "PySide2", "qtpy")]
    print("IMPORTED", len(names), "QT", qt)
""")


def test_core_imports_and_runs_with_qt_absent():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "QT []" in out.stdout
    imported = int(out.stdout.split("IMPORTED")[1].split()[0])
    assert imported >= 10  # every core module was really imported


def test_no_core_module_imports_qt_even_lazily():
    """A Qt import inside a function slips past the import test above; only gridtool/ui may hold one."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "gridtool"
    pattern = re.compile(r"^\s*(from|import)\s+(PyQt[56]|PySide[26]|qtpy|sip)\b", re.M)
    offenders = [str(p.relative_to(root.parent)) for p in root.rglob("*.py")
                 if "ui" not in p.relative_to(root).parts[:1] and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
