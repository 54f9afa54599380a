"""The bundled samples ``gridtool demo`` runs on (package data: in a checkout and in an installed
wheel alike), by name and by role.
"""

from __future__ import annotations

from pathlib import Path

from . import settings
from .errors import InputFileError

#: The samples in ``gridtool/sample_data``, in the order the demo runs them.
SAMPLES = ("liechtenstein", "nanjing-xuanwu")


def sample_data_dir() -> Path:
    """Where the bundled samples are: ``$GRIDTOOL_SAMPLE_DATA``, else ``gridtool/sample_data`` (package
    data: in a checkout and in an installed wheel alike)."""
    here = settings.current().sample_data
    if not here.is_dir():
        raise InputFileError(
            f"找不到示例数据目录 {here}", f"sample data folder not found: {here}",
            fix_zh="重新安装 gridtool（示例数据随包安装），或设置环境变量 GRIDTOOL_SAMPLE_DATA 指向示例数据目录。",
            fix_en="reinstall gridtool (the samples are installed with it), or set GRIDTOOL_SAMPLE_DATA "
                   "to a folder holding the samples.", file=str(here))
    return here


def sample_sources(name: str) -> dict[str, str]:
    """The layers of a bundled sample, by role (``{"households": ".../x.gpkg:households", …}``)."""
    path = sample_data_dir() / f"{name}.gpkg"
    if not path.exists():
        raise InputFileError(f"找不到示例 {path}", f"sample not found: {path}",
                             fix_zh="运行 python tools/build_sample_data.py 重新生成。",
                             fix_en="rebuild it with python tools/build_sample_data.py.", file=str(path))
    import pyogrio
    layers = [str(n) for n, _ in pyogrio.list_layers(path)]
    roles = ("households", "villages", "roads", "rivers", "railways", "forest", "places")
    return {role: f"{path}:{role}" for role in roles if role in layers}


__all__ = ["SAMPLES", "sample_data_dir", "sample_sources"]
