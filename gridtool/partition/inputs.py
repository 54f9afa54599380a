"""What a fit starts from: the layers by role (from a :class:`~gridtool.project.Project` or a dict),
with the households and villages layers checked (present, not empty, ``hh`` column, metres)."""

from __future__ import annotations

import geopandas as gpd

from ..errors import EmptyLayerError, MissingColumnError


def layers_of(data) -> dict[str, gpd.GeoDataFrame]:
    if hasattr(data, "layers") and isinstance(data.layers, dict):
        return {r: (l.gdf if hasattr(l, "gdf") else l) for r, l in data.layers.items()}
    if isinstance(data, dict):
        return dict(data)
    raise TypeError("fit() takes a gridtool Project or a dict of GeoDataFrames by role")


def check_inputs(layers):
    for role in ("households", "villages"):
        if role not in layers or layers[role] is None:
            raise MissingColumnError(
                f"划分网格需要“{'住户' if role == 'households' else '村（社区）'}”图层",
                f"partitioning needs a {role} layer",
                fix_zh=f"用 --{role} 文件 指定该图层。", fix_en=f"give it with --{role} FILE.", layer=role)
        if not len(layers[role]):
            raise EmptyLayerError(f"{role} 图层为空", f"the {role} layer is empty",
                                  fix_zh="检查输入文件。", fix_en="check the input file.", layer=role)
    hhg = layers["households"]
    if "hh" not in hhg:
        raise MissingColumnError("住户图层缺少户数字段 hh", "the households layer has no hh column",
                                 fix_zh="用 --field households.hh=户数字段名 指定。",
                                 fix_en="name it with --field households.hh=COLUMN.", layer="households",
                                 field="hh")
    villages = layers["villages"]
    if villages.crs is not None and villages.crs.is_geographic:
        from ..errors import CRSError
        raise CRSError("划分网格需要以米为单位的坐标系", "partitioning needs coordinates in metres",
                       fix_zh="通过项目（gridtool import）加载，图层会自动投影。",
                       fix_en="load through a project (gridtool import), which projects the layers.",
                       layer="villages")
    return hhg.reset_index(drop=True), villages.reset_index(drop=True)
