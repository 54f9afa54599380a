"""A file of 卡口 (the exits of a sealing exercise) read beside a project: ``gridtool seal --exits``
and the app's 封控 dialog both read it here, so the same file with the same coordinate system
gives the same points and the same warnings (a CRS assumed, no name column, a sheet copied from
高德 read as WGS84).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd

from ..how_read import how_zh, one_line
from ..plurals import count_en
from ..problems import Problem

#: Where the app makes the ``--crs-in exits=…`` choice, named in the offset warning's fix.
APP_CRS_CHOICE = ("封控对话框的“卡口坐标系”", "the seal dialog's \"Exits coordinate system\"")


@dataclass
class ExitsSheet:
    """The exits in the project's CRS, the layer they were read from and what the reading found."""

    gdf: gpd.GeoDataFrame
    layer: object  # gridtool.layers.Layer
    problems: list[Problem] = field(default_factory=list)  # the loader's, then the offset check's

    def summary(self) -> tuple[str, str]:
        """``卡口：FILE，8 个，坐标系 EPSG:4326（推定），所用列：name:卡口名称`` and its English."""
        lyr = self.layer
        cols = one_line(", ".join(f"{k}:{v}" for k, v in lyr.columns_used.items() if k != "category"))  # exits need none
        return (f"卡口：{lyr.source}，{len(lyr.gdf)} 个，坐标系 {how_zh(lyr.crs_in)}，所用列：{cols}",
                f"exits: {lyr.source}, {count_en(len(lyr.gdf), 'point')}, CRS {lyr.crs_in}, columns used: {cols}")

    @property
    def offset(self) -> Problem | None:
        """The warning that the sheet's coordinates were most likely picked on 高德/百度, if any."""
        return next((p for p in self.problems if p.code == "lonlat_offset_suspected"), None)


def _as_exits(problem: Problem) -> Problem:
    """A loader's problem with the exits file in the words of ``seal``: the exits are read by the
    rules of key places, but their options are ``--field exits.…`` and the officer calls them 卡口."""

    def zh(t):
        return t.replace("places.", "exits.").replace("重点场所", "卡口")

    def en(t):
        return t.replace("places.", "exits.").replace("key places", "exits").replace("the places", "the exits")
    return replace(problem, role="exits", zh=zh(problem.zh), fix_zh=zh(problem.fix_zh), en=en(problem.en),
                   fix_en=en(problem.fix_en))


def read_exits(project, spec: str, *, crs_in: str | None = None, crs_default: str | None = None,
               encoding: str | None = None, encoding_default: str | None = None,
               fields: dict[str, str] | None = None) -> ExitsSheet:
    """The points of ``spec`` (``PATH`` or ``PATH:LAYER``) as exits of ``project``.

    Parameters
    ----------
    project
        The project whose CRS the points are brought to and whose roads judge a lon/lat sheet.
    spec
        The file, as ``--exits`` takes it.
    crs_in, crs_default, encoding, encoding_default, fields
        As :func:`gridtool.layers.load_layer` takes them (``--crs-in exits=gcj02``, the app's
        coordinate-system choice; ``--field exits.name=…``).

    Returns
    -------
    ExitsSheet
        The points and the problems to show: the loader's in the words of 卡口 (an exit needs no
        category, so that guess is left out), then the offset check's
        (:func:`gridtool.offset_fit.check_sheet`).
    """
    from ..layers import load_layer
    from ..offset_fit import check_sheet
    lyr = load_layer("places", spec, crs_in=crs_in, crs_default=crs_default, encoding=encoding,
                     encoding_default=encoding_default, fields=fields)
    problems = [_as_exits(p) for p in lyr.problems if p.code != "category_from_name"]
    gdf = lyr.gdf
    if project.crs is not None and gdf.crs is not None and not gdf.crs.equals(project.crs):
        gdf = gdf.to_crs(project.crs)
    offset = check_sheet(gdf, lyr, project, role="exits", name_zh="卡口", name_en="exits", app=APP_CRS_CHOICE)
    if offset is not None:
        problems.append(offset)
    return ExitsSheet(gdf=gdf, layer=lyr, problems=problems)
