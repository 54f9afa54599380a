"""Ridge lines for the batch partition (``--workers``, ``--by``, ``--out-dir``).

The DEM stays in the client: for every chunk it traces the ridges of the chunk's villages
(:func:`.ridgelines.ridge_lines`, with the chunk's own barrier lines for the descents, exactly
what a whole-project fit traces for those villages) and sends them with the chunk's layers as the
input role :data:`RIDGES_INPUT`. Lines are a few kilobytes where a DEM window is megabytes, and
being an input layer they are part of the chunk's digest (:func:`.parts.digests`): a changed
DEM that moves a ridge redoes the chunk under ``--resume``, one that changes nothing there is
skipped. The engine takes them in place of a DEM (:func:`given_ridges`).
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import numpy as np

from .chunking import VROW, GeoPackageSource

#: Input role of a chunk holding its villages' ridge lines (``cls``, ``src``, ``village``, ``dem``).
RIDGES_INPUT = "dem_ridges"


def batch_dem(data):
    """The elevation model of a batch's input (None without one): a Project's ``dem``, or the
    ``dem`` raster of a project GeoPackage (a path or a :class:`.chunking.GeoPackageSource`)."""
    dem = getattr(data, "dem", None)
    if dem is not None:
        return dem
    if isinstance(data, GeoPackageSource):
        data = data.path
    if not isinstance(data, (str, Path)) or Path(data).suffix.lower() != ".gpkg" or not Path(data).is_file():
        return None
    from ..io.dem import read_dem_gpkg
    from ..project import _has_raster
    return read_dem_gpkg(Path(data), table="dem") if _has_raster(Path(data), "dem") else None


def chunk_ridges(layers: dict[str, gpd.GeoDataFrame], dem, label: str, params: dict) -> tuple[gpd.GeoDataFrame, float]:
    """The ridge lines of a chunk's villages, as the input layer :data:`RIDGES_INPUT`.

    Parameters
    ----------
    layers : dict of geopandas.GeoDataFrame
        The chunk's inputs (villages with ``_batch_vrow``).
    dem : gridtool.io.dem.Dem
        The project's elevation model.
    label : str
        The DEM's name, kept on every line (column ``dem``).
    params : dict
        The engine's parameters (``hard_barriers`` decides the barrier lines the descents stop at).

    Returns
    -------
    tuple
        The lines (``cls``, ``src``, ``village`` = row in the chunk, ``dem`` and the village's
        global row ``_batch_vrow``) and the seconds they took.
    """
    from .barriers import DEFAULT_HARD, barrier_lines
    from .ridgelines import ridge_lines
    t = time.perf_counter()
    villages = layers["villages"].reset_index(drop=True)
    lines = barrier_lines(layers, hard=params.get("hard_barriers", DEFAULT_HARD))  # as the chunk's fit draws them
    out = ridge_lines(villages, dem, barriers=lines)
    out["dem"] = np.full(len(out), label, dtype=object)
    rows = out["village"].to_numpy(dtype=np.int64)
    out[VROW] = villages[VROW].to_numpy(dtype=np.int64)[rows] if VROW in villages else rows
    return out, time.perf_counter() - t


def given_ridges(layers: dict, villages: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, str] | None:
    """The ridge lines a batch sent with a chunk, ``village`` renumbered to rows of ``villages``
    (a chunk refitted village by village holds fewer), and the DEM's name; None when none came."""
    given = layers.get(RIDGES_INPUT)
    if given is None:
        return None
    label = str(given["dem"].iloc[0]) if len(given) else str(given.attrs.get("dem", ""))
    if VROW in villages and VROW in given:
        pos = {int(r): i for i, r in enumerate(villages[VROW].to_numpy(dtype=np.int64))}
        vr = given[VROW].to_numpy(dtype=np.int64)
        mine = np.array([int(r) in pos for r in vr], dtype=bool)
        given = given[mine].copy()
        given["village"] = np.array([pos[int(r)] for r in vr[mine]], dtype=np.int64)
    return given[["cls", "src", "village", "geometry"]].reset_index(drop=True), label


__all__ = ["RIDGES_INPUT", "batch_dem", "chunk_ridges", "given_ridges"]
