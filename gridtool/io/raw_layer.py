"""What a reader returns: a layer as read, before its coordinates are settled (:mod:`.vector`,
:mod:`.dxf`, :mod:`.osm` …); apart from the readers so that they do not import each other."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from ..encoding import EncodingGuess
from ..problems import Problem


@dataclass
class RawLayer:
    """What was read, before coordinate handling: geometry in the file's own coordinates."""

    gdf: gpd.GeoDataFrame
    path: str
    layer: str | None
    format: str
    encoding: EncodingGuess | None = None
    columns_used: dict[str, str] = field(default_factory=dict)  # e.g. {"lon": "经度"}
    problems: list[Problem] = field(default_factory=list)
    ids: pd.Series | None = None  # how a planner finds each feature in the source (default: FID n)
    # Rows of a table skipped for want of coordinates (empty, 0,0), index = row number: an incident
    # can still be placed by its address (:mod:`gridtool.address_match`).
    unlocated: pd.DataFrame | None = None


__all__ = ["RawLayer"]
