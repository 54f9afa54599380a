"""Household features a batch run could not read, found and counted instead of lost.

A damaged GeoPackage (a corrupt geometry blob, a page the disk cannot read) makes every read that
touches the damaged features fail, and with it the whole township around them. The households of
such a township would otherwise be in no district file, no list and no total but the city's, where
they would pass for households "in no village". :func:`read_slices` reads a layer slice by slice
and, when a slice fails, halves it until the features that cannot be read are found one by one:
the rest is read, the damaged features are named by their feature number (fid, from 1), and their
household counts are read from the attribute table alone when it is intact (:func:`counts_of`).
"""

from __future__ import annotations

from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from ..errors import CancelledError
from ..values import household_counts

#: Single-feature reads that may fail before a failing slice is given up whole: a file damaged
#: throughout is not read one feature at a time over a city's roster.
MAX_FAILED_READS = 500

#: Why a feature read without its geometry is taken for unreadable (the report's ``error``; the
#: console says it in Chinese with :data:`NO_GEOMETRY_ZH`).
NO_GEOMETRY = "geometry could not be read (damaged feature)"
NO_GEOMETRY_ZH = "几何无法读出（要素损坏）"


class UnreadRows:
    """Rows of one layer that could not be read: ``rows`` (0-based, set), the first error, and
    ``met``: how many times reads came upon them (a second read of the same damage counts too)."""

    def __init__(self):
        self.rows: set[int] = set()
        self.error: str | None = None
        self.failed_reads = 0
        self.met = 0

    def add(self, start: int, count: int, exc: BaseException) -> None:
        self.met += 1
        self.rows.update(range(start, start + count))
        if self.error is None:
            self.error = f"{type(exc).__name__}: {exc}"


def read_slices(path: str, layer: str, *, batch: int = 200_000, unread: UnreadRows,
                keep: Callable[[gpd.GeoDataFrame, np.ndarray], gpd.GeoDataFrame | None]) -> list[gpd.GeoDataFrame]:
    """The whole ``layer`` in slices of ``batch`` features, each passed to ``keep(frame, rows)``
    (``rows``: each feature's row in the layer, from 0; what it returns is kept). Slices that fail
    are halved down to single features; those that still fail, and features read without a
    geometry, are added to ``unread``. Raises only when the layer cannot be opened at all."""
    n = pyogrio.read_info(path, layer=layer)["features"]
    kept: list[gpd.GeoDataFrame] = []

    def read(start: int, count: int) -> None:
        try:
            g = pyogrio.read_dataframe(path, layer=layer, skip_features=start, max_features=count)
        except (CancelledError, KeyboardInterrupt, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged feature: found by halving
            if count == 1 or unread.failed_reads >= MAX_FAILED_READS:
                unread.failed_reads += 1
                unread.add(start, count, exc)
                return
            unread.failed_reads += 1
            half = count // 2
            read(start, half)
            read(start + half, count - half)
            return
        rows = np.arange(start, start + len(g), dtype=np.int64)
        # GDAL may also hand a damaged geometry back as none at all: import keeps no feature
        # without a geometry, so in a project's layer that is a feature that could not be read.
        bad = (g.geometry.isna() | g.geometry.is_empty).to_numpy() if len(g) else np.zeros(0, dtype=bool)
        if bad.any():
            unread.met += 1
            unread.rows.update(rows[bad].tolist())
            if unread.error is None:
                unread.error = NO_GEOMETRY
            g, rows = g[~bad], rows[~bad]
        if len(g):
            out = keep(g, rows)
            if out is not None:
                kept.append(out)

    for start in range(0, n, batch):
        read(start, min(batch, n - start))
    return kept


def counts_of(path: str, layer: str, rows) -> tuple[int | None, int]:
    """Households (``hh`` read from the attribute table alone, geometry not read) and features of
    ``rows``; households None when even the attributes of one of them cannot be read."""
    rows = np.asarray(sorted(rows), dtype=np.int64)
    if not len(rows):
        return 0, 0
    total = 0
    # Consecutive rows are one read.
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    for run in np.split(rows, breaks):
        try:
            t = pyogrio.read_dataframe(path, layer=layer, columns=["hh"], read_geometry=False,
                                       skip_features=int(run[0]), max_features=len(run))
        except Exception:  # noqa: BLE001 - the attributes are damaged too: the count is unknown
            return None, len(rows)
        if "hh" not in t or len(t) != len(run):
            return None, len(rows)
        total += int(household_counts(t["hh"]).sum())
    return total, len(rows)


def concat(frames: list[gpd.GeoDataFrame], crs) -> gpd.GeoDataFrame | None:
    """Slices as one frame (None without any)."""
    if not frames:
        return None
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs or crs)
