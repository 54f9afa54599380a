"""Where exports may be written: never over the project file or any file it was loaded from.

A planner who types ``gridtool export 村界.gpkg --gpkg 村界.gpkg`` must get an error, not an empty
village layer; the same for shapefile sets whose members would replace an input's ``.shp``/``.dbf``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..errors import OverwriteInputError

# Files that make up one shapefile: writing any of them replaces part of the input.
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qpj", ".sbn", ".sbx")


def input_paths(project) -> set[Path]:
    """The project file and every file its layers came from, resolved (shapefiles with their parts)."""
    out: set[Path] = set()
    sources = [getattr(project, "path", None)]
    sources += project.inputs() if hasattr(project, "inputs") else [lyr.source for lyr in project.layers.values()]
    for src in sources:
        if not src:
            continue
        p = Path(str(src).split("!")[0])  # "archive.zip!村界.shp" → the archive
        try:
            p = p.resolve()
        except (OSError, ValueError):
            continue
        out.add(p)
        if p.suffix.lower() in _SHAPEFILE_PARTS:
            out.update(p.with_suffix(s) for s in _SHAPEFILE_PARTS)
    return out


def check_not_input(project, paths: Iterable[str | Path]) -> None:
    """Raise :class:`OverwriteInputError` when any of ``paths`` is an input file of ``project``."""
    inputs = input_paths(project)
    for path in paths:
        target = Path(path).resolve()
        if target in inputs or target.with_suffix(target.suffix.lower()) in inputs:
            raise OverwriteInputError(
                f"输出文件是输入文件之一，gridtool 不会覆盖输入：{path}",
                f"the output is one of the input files; gridtool never overwrites its inputs: {path}",
                fix_zh="换一个输出文件名或目录。", fix_en="choose another output name or folder.", file=str(path))


__all__ = ["check_not_input", "input_paths"]
