"""The optional elevation model (DEM, 数字高程模型) layer: read, sample, summarise, store in a project.

A township plan can carry one elevation model. It is used to look up the height of villages,
road vertices and patrol stops (slope-aware walking times, flood-prone households) and is shown
in the summary of a project. This module

* reads it from GeoTIFF, SRTM ``.hgt`` tiles (also zipped, ``N42E001.hgt.zip`` as downloaded),
  Esri ASCII grids (``.asc``) and any other single-band raster that rasterio/GDAL opens, into a
  :class:`Dem`: a float32 array in metres with NaN for voids, its affine transform and its CRS;
* samples it at points given in any CRS (:meth:`Dem.sample`) and summarises it for the user
  (:meth:`Dem.summary`);
* stores it as a raster table inside the project GeoPackage, next to the vector layers, and reads
  it back (:func:`write_dem_gpkg`, :func:`read_dem_gpkg`).

Why hand-written glue rather than plain ``rasterio.open``: rasterio gives every format's quirks
back to the caller, and a planner needs them settled once, with messages that say what to do.

* Voids arrive in several forms (SRTM's -32768, a nodata tag, a mask band, scale/offset-encoded
  integers); here they all become NaN in one float32 array in metres.
* Many DEMs handed around in townships have no CRS (``.asc`` without ``.prj``, bare tiles). We
  assume WGS 84 only when the numbers can only be longitude/latitude, and otherwise raise
  :class:`~gridtool.errors.CRSError` naming the file and the ``--crs-in`` fix, instead of letting
  a metre grid be read as degrees.
* Zipped SRTM tiles must be opened through GDAL's ``/vsizip/`` with the member's name, because the
  SRTM driver takes the tile's position from the ``N42E001`` file name.
* Writing into a GeoPackage with ``rasterio.open(path, "w", driver="GPKG")`` *deletes the
  existing file*, vector layers included, unless ``APPEND_SUBDATASET=YES`` is given; a raster
  table of the same name cannot be replaced by GDAL either. Elevations need the GeoPackage 2D
  gridded coverage extension (Float32, TIFF tiles: lossless, NaN kept), and the GeoPackage
  stores the extent in a way that can change the last bits of the transform. The functions here
  take care of all of that, check that the vector layers are still there afterwards, write no
  side-car files (so the project's atomic save -- write a temporary file, then ``os.replace`` --
  stays atomic) and give back exactly the array, transform and CRS that were written.

Errors on bad input are the classes of :mod:`gridtool.errors`; a broken or unwritable project
file raises :class:`~gridtool.errors.ProjectError`.
"""

from __future__ import annotations

import ast
import contextlib
import logging
import math
import os
import re
import sqlite3
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterator
from typing import Any, NoReturn

import numpy as np
import pyproj
import rasterio
import rasterio.crs
import rasterio.errors
from affine import Affine

from gridtool.errors import (
    CRSError,
    EmptyLayerError,
    InputFileError,
    ProjectError,
    UnsupportedFormatError,
)
from gridtool.plurals import count_en, plural_en

__all__ = ["Dem", "read_dem", "write_dem_gpkg", "read_dem_gpkg", "SRTM_VOID"]

PathLike = str | os.PathLike

#: Value SRTM (and many int16 DEMs) use for "no data" (voids).
SRTM_VOID = -32768
#: Values beyond this magnitude are nodata markers (e.g. -3.4e38), never elevations.
_ABSURD = 1.0e20
#: Lower than any dry land (the Dead Sea shore is -430 m): such cells are voids blurred by
#: resampling (an SRTM tile reprojected without its -32768 marked as nodata gives -32,750, -16,000 …).
_BELOW_LAND_M = -500.0
#: Metres per vertical unit for the unit names GDAL reports most often.
_VERTICAL_UNITS = {"m": 1.0, "metre": 1.0, "meter": 1.0, "metres": 1.0, "meters": 1.0,
                   "ft": 0.3048, "foot": 0.3048, "feet": 0.3048, "us-ft": 1200 / 3937,
                   "us survey foot": 1200 / 3937}
#: Members of a zip archive that may hold the elevation model, best first.
_ZIP_MEMBER_SUFFIXES = (".hgt", ".tif", ".tiff", ".asc", ".img", ".bil", ".dem", ".vrt")
#: Data types of the raster tables of a GeoPackage (gpkg_contents.data_type).
_GPKG_RASTER_TYPES = ("tiles", "2d-gridded-coverage")
#: Metadata items write_dem_gpkg stores with the raster table.
_TAG_SOURCE = "GRIDTOOL_SOURCE"
_TAG_TRANSFORM = "GRIDTOOL_TRANSFORM"
_SQLITE_HEADER = b"SQLite format 3\x00"


# --------------------------------------------------------------------------------------------
# The Dem object
# --------------------------------------------------------------------------------------------

@dataclass(eq=False, repr=False)
class Dem:
    """An elevation model in memory.

    Parameters
    ----------
    array
        Elevations in metres, 2-D float32 (rows from north to south), NaN where void/nodata.
    transform
        Affine transform from (column, row) to the CRS's (x, y), as in rasterio.
    crs
        Coordinate reference system of ``transform`` (anything :meth:`pyproj.CRS.from_user_input`
        takes is converted).
    source
        The file it came from (for messages and the project summary).
    """

    array: np.ndarray
    transform: Affine
    crs: pyproj.CRS
    source: str
    #: Cells read below any land and made voids, with the lowest value: ``(count, metres)``.
    below_land: tuple[int, float] = (0, 0.0)

    def __post_init__(self) -> None:
        self.array = np.asarray(self.array, dtype=np.float32)
        if self.array.ndim != 2:
            raise ValueError(f"Dem.array must be 2-D, got shape {self.array.shape}")
        if not isinstance(self.transform, Affine):
            self.transform = Affine(*tuple(self.transform)[:6])
        if not isinstance(self.crs, pyproj.CRS):
            self.crs = pyproj.CRS.from_user_input(self.crs)
        self.source = str(self.source)

    def __repr__(self) -> str:
        h, w = self.array.shape
        return (f"Dem(shape=({h}, {w}), crs={_crs_label(self.crs)!r}, "
                f"bounds={tuple(round(v, 6) for v in self.bounds)}, source={self.source!r})")

    # -- geometry ------------------------------------------------------------------------------

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` of the grid's outer cell edges, in the DEM's CRS."""
        h, w = self.array.shape
        xs, ys = zip(*(_apply(self.transform, c, r) for c, r in ((0, 0), (w, 0), (0, h), (w, h))))
        return (float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys)))

    @property
    def resolution(self) -> tuple[float, float]:
        """Cell size ``(x, y)`` in the units of the DEM's CRS (degrees for geographic CRSs)."""
        t = self.transform
        return (float(math.hypot(t.a, t.d)), float(math.hypot(t.b, t.e)))

    # -- sampling ------------------------------------------------------------------------------

    def sample(self, x: Any, y: Any, *, crs: Any = None, method: str = "bilinear") -> np.ndarray:
        """Elevations at points.

        Parameters
        ----------
        x, y
            Point coordinates: numbers or array-likes of the same (broadcastable) shape; easting/
            longitude first, whatever the CRS's official axis order.
        crs
            CRS of ``x``/``y`` when it is not the DEM's (e.g. ``"EPSG:4326"``); the points are
            transformed with pyproj first.
        method
            ``"bilinear"`` (default): interpolated between the four nearest cell centres, with
            the cells in the outer half of the edge cells taken as they are; voids among the
            neighbours are left out and the weights of the others rescaled. ``"nearest"``: the
            value of the cell the point falls in.

        Returns
        -------
        numpy.ndarray
            float64 elevations in metres, shaped like the broadcast ``x``/``y`` (0-d for
            scalars); NaN for points outside the grid and for points whose cell is void.
        """
        if method not in ("bilinear", "nearest"):
            raise ValueError(f"method must be 'bilinear' or 'nearest', not {method!r}")
        xs, ys = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        shape = xs.shape
        xs, ys = xs.ravel(), ys.ravel()
        if crs is not None:
            src = _to_pyproj(crs, what="crs")
            if not src.equals(self.crs):
                tf = pyproj.Transformer.from_crs(src, self.crs, always_xy=True)
                xs, ys = tf.transform(xs, ys, errcheck=False)
                xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        inv = ~self.transform
        cols = inv.a * xs + inv.b * ys + inv.c
        rows = inv.d * xs + inv.e * ys + inv.f
        h, w = self.array.shape
        inside = (np.isfinite(cols) & np.isfinite(rows)
                  & (cols >= 0) & (cols <= w) & (rows >= 0) & (rows <= h))
        out = np.full(xs.shape, np.nan)
        if not inside.any():
            return out.reshape(shape)
        c, r = cols[inside], rows[inside]
        arr = self.array
        # The cell the point is in (points on the far edges belong to the last cell).
        ci = np.minimum(np.floor(c).astype(np.intp), w - 1)
        ri = np.minimum(np.floor(r).astype(np.intp), h - 1)
        nearest = arr[ri, ci].astype(float)
        if method == "nearest":
            out[inside] = nearest
            return out.reshape(shape)
        fc, fr = c - 0.5, r - 0.5
        c0, r0 = np.floor(fc), np.floor(fr)
        tc, tr = fc - c0, fr - r0
        c0 = c0.astype(np.intp)
        r0 = r0.astype(np.intp)
        total = np.zeros(c.shape)
        weight = np.zeros(c.shape)
        for dr, wr in ((0, 1.0 - tr), (1, tr)):
            rr = np.clip(r0 + dr, 0, h - 1)
            for dc, wc in ((0, 1.0 - tc), (1, tc)):
                cc = np.clip(c0 + dc, 0, w - 1)
                v = arr[rr, cc].astype(float)
                wgt = wr * wc
                ok = ~np.isnan(v) & (wgt > 0)
                total += np.where(ok, v * wgt, 0.0)
                weight += np.where(ok, wgt, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = total / weight
        value[np.isnan(nearest)] = np.nan
        out[inside] = value
        return out.reshape(shape)

    # -- summary -------------------------------------------------------------------------------

    def summary(self) -> dict:
        """Facts about the DEM for the project summary and the command line.

        Returns
        -------
        dict
            ``min``, ``max``, ``mean`` (metres, None if every cell is void), ``void_share``
            (0..1), ``cell_size_m`` (``(x, y)`` in metres; measured on the ellipsoid at the
            centre of the grid for geographic CRSs, so approximate there), ``bounds`` (in the
            DEM's CRS), ``bounds_wgs84`` (``(west, south, east, north)`` in degrees),
            ``shape`` (``(rows, columns)``), ``crs`` (e.g. ``"EPSG:4326"``), ``crs_name`` and
            ``source``.
        """
        a = self.array
        valid = ~np.isnan(a)
        n_valid = int(valid.sum())
        vals = a[valid]
        left, bottom, right, top = self.bounds
        try:
            tf = pyproj.Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
            wgs = tuple(float(v) for v in tf.transform_bounds(left, bottom, right, top,
                                                              densify_pts=21))
        except pyproj.exceptions.ProjError:
            wgs = None
        return {
            "min": float(vals.min()) if n_valid else None,
            "max": float(vals.max()) if n_valid else None,
            "mean": float(vals.mean(dtype=np.float64)) if n_valid else None,
            "void_share": float(1.0 - n_valid / a.size) if a.size else 1.0,
            "cell_size_m": self._cell_size_m(),
            "bounds": self.bounds,
            "bounds_wgs84": wgs,
            "shape": tuple(int(v) for v in a.shape),
            "crs": _crs_label(self.crs),
            "crs_name": self.crs.name,
            "source": self.source,
        }

    def _cell_size_m(self) -> tuple[float, float]:
        rx, ry = self.resolution
        axis = self.crs.axis_info[0] if self.crs.axis_info else None
        factor = axis.unit_conversion_factor if axis is not None else 1.0
        if self.crs.is_geographic:
            deg = factor * 180.0 / math.pi  # degrees per CRS unit (1 for degrees)
            left, bottom, right, top = self.bounds
            lon, lat = (left + right) / 2.0, (bottom + top) / 2.0
            lat = min(max(lat, -89.9), 89.9)
            geod = self.crs.get_geod() or pyproj.Geod(ellps="WGS84")
            _, _, dx = geod.inv(lon, lat, lon + rx * deg, lat)
            _, _, dy = geod.inv(lon, lat - ry * deg / 2.0, lon, lat + ry * deg / 2.0)
            return (float(dx), float(dy))
        return (float(rx * factor), float(ry * factor))


# --------------------------------------------------------------------------------------------
# Reading a DEM file
# --------------------------------------------------------------------------------------------

def read_dem(path: PathLike, *, crs: Any = None) -> Dem:
    """Read an elevation model file.

    Parameters
    ----------
    path
        A GeoTIFF, an SRTM tile (``N42E001.hgt``, also zipped as ``N42E001.hgt.zip``), an Esri
        ASCII grid (``.asc``), a zip holding one of these, or any raster rasterio opens. Of a
        multi-band file, band 1 is used.
    crs
        The CRS of the file's coordinates (e.g. ``"EPSG:4547"``), for files that have none or
        whose CRS is wrong (it wins over the file's, with a warning when they differ). Without
        it, a file with no CRS is taken as WGS 84 (EPSG:4326) only when its coordinates can only
        be longitude/latitude.

    Returns
    -------
    Dem
        Elevations in metres as float32, NaN for voids (SRTM -32768, the file's nodata value or
        mask, non-finite values), north up.

    Raises
    ------
    InputFileError
        The file does not exist or cannot be read.
    UnsupportedFormatError
        The file is not a raster GDAL can read (or a zip without one).
    CRSError
        The file has no CRS and its coordinates are not longitude/latitude, or ``crs`` is not
        a CRS or does not fit the coordinates.
    EmptyLayerError
        Every cell is void.
    """
    name = os.fspath(path)
    label = str(name)
    p = Path(name).expanduser()
    if not p.exists():
        raise InputFileError(
            "高程文件不存在", "the elevation (DEM) file does not exist",
            fix_zh="检查路径和文件名是否正确。", fix_en="check the path and the file name.",
            file=label)
    if p.is_file() and not os.access(p, os.R_OK):
        raise InputFileError(
            "没有读取高程文件的权限", "no permission to read the elevation (DEM) file",
            fix_zh="修改文件权限，或把文件复制到可以读取的位置。",
            fix_en="change the file's permissions or copy it somewhere readable.", file=label)
    user_crs = None if crs is None else _to_pyproj(crs, what="crs", file=label)
    gdal_path = _gdal_path(p, label)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        try:
            with rasterio.open(gdal_path) as src:
                if src.count < 1:
                    subs = list(src.subdatasets or ())
                    _raise_unsupported(label, detail="no raster bands" + (
                        f"; it has {len(subs)} subdatasets, e.g. {subs[0]}" if subs else ""))
                array, below = _read_band(src)
                transform = src.transform
                file_crs = src.crs
                has_georef = transform != Affine.identity()
        except rasterio.errors.RasterioIOError as exc:
            _raise_unsupported(label, detail=str(exc))

    array, transform = _north_up(array, transform)
    if not np.isfinite(array).any():
        raise EmptyLayerError(
            "高程文件中没有有效高程值（全部为空值/无数据）",
            "the elevation (DEM) file has no valid elevations (every cell is void/nodata)",
            fix_zh="检查文件是否下载完整，或换用覆盖本乡镇的高程数据。",
            fix_en="check that the download is complete, or use a DEM that covers the township.",
            file=label)
    if not has_georef:
        raise CRSError(
            "高程文件没有地理坐标（只有像素行列号）",
            "the elevation (DEM) file is not georeferenced (it has pixel rows/columns only)",
            fix_zh="使用带坐标的 GeoTIFF，或在同目录放置对应的坐标文件（如 .tfw、.prj）。",
            fix_en="use a georeferenced GeoTIFF, or put its world file (.tfw) and .prj beside it.",
            file=label)

    file_pcrs = _file_crs(file_crs)
    dem = Dem(array=array, transform=transform, crs=pyproj.CRS("EPSG:4326"), source=label)
    dem.below_land = below
    if user_crs is not None:
        if file_pcrs is not None and not file_pcrs.equals(user_crs, ignore_axis_order=True):
            warnings.warn(
                f"{label}: 文件自带坐标系 {_crs_label(file_pcrs)}，按指定的 "
                f"{_crs_label(user_crs)} 读取 / the file says its CRS is {_crs_label(file_pcrs)};"
                f" reading it as {_crs_label(user_crs)} as asked", stacklevel=2)
        dem.crs = user_crs
    elif file_pcrs is not None:
        dem.crs = file_pcrs
    elif _looks_lonlat(dem.bounds, dem.resolution):
        warnings.warn(
            f"{label}: 文件没有坐标系，坐标像经纬度，按 WGS 84 (EPSG:4326) 读取 / the file has no "
            "CRS and its coordinates look like longitude/latitude; assuming WGS 84 (EPSG:4326)"
            " (pass --crs-in / crs=... if that is wrong)", stacklevel=2)
    else:
        b = ", ".join(f"{v:.6g}" for v in dem.bounds)
        raise CRSError(
            f"高程文件没有坐标系，其坐标（{b}）不是经纬度，无法判断坐标系",
            f"the elevation (DEM) file has no CRS and its coordinates ({b}) are not "
            "longitude/latitude, so its CRS cannot be guessed",
            fix_zh="用 --crs-in（或 crs=\"EPSG:xxxx\"）指定坐标系，例如 CGCS2000 3 度带 EPSG:4527"
                   "–4554，或在文件旁放置 .prj 文件。",
            fix_en="pass --crs-in / crs=\"EPSG:xxxx\" with the file's CRS (e.g. a CGCS2000 "
                   "Gauss-Kruger zone, EPSG:4527-4554), or put a .prj file beside it.",
            file=label)
    _check_fits(dem, label)
    return dem


def _gdal_path(p: Path, label: str) -> str:
    """The name GDAL opens: the file itself, or ``/vsizip/`` + the DEM member of a zip."""
    if not (p.is_file() and p.suffix.lower() == ".zip"):
        return str(p)
    try:
        with zipfile.ZipFile(p) as zf:
            members = [i.filename for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        _raise_unsupported(label, detail=f"not a readable zip archive: {exc}")
    for suffix in _ZIP_MEMBER_SUFFIXES:
        found = [m for m in members if m.lower().endswith(suffix)
                 and not Path(m).name.startswith(("._", "."))]
        if len(found) > 1:
            raise UnsupportedFormatError(
                f"压缩包里有 {len(found)} 个高程文件，无法确定用哪一个",
                f"the zip archive holds {len(found)} elevation files "
                f"({', '.join(found[:4])}{', ...' if len(found) > 4 else ''}); gridtool reads one",
                fix_zh="解压后给出其中一个文件；多个图幅可先用 gdalbuildvrt 拼接成 .vrt 再读取。",
                fix_en="unzip it and give one of them; mosaic several tiles first, e.g. with "
                       "gdalbuildvrt into a .vrt, and give that.",
                file=label)
        if found:
            return f"/vsizip/{p.resolve()}/{found[0]}"
    _raise_unsupported(label, detail="the zip archive holds no .hgt/.tif/.asc raster")


def _read_band(src: Any) -> tuple[np.ndarray, tuple[int, float]]:
    """Band 1 as float32 metres, NaN for masked/nodata/void cells; and the cells found below any land
    (made voids) with the lowest of them, ``(count, metres)``."""
    from gridtool import limits
    cells = int(src.width) * int(src.height)
    if cells > limits.current().dem_cells:
        raise InputFileError(
            f"高程文件有 {cells:,} 个栅格（{src.width}×{src.height}），超过 {limits.current().dem_cells:,} 的上限，"
            "读入会耗尽内存", f"the elevation file has {count_en(cells, 'cell')} ({src.width}×{src.height}), more than the "
            f"limit of {limits.current().dem_cells:,}; reading it would exhaust the memory",
            fix_zh="先在 QGIS 中把高程数据裁剪到本乡镇范围（栅格 → 提取 → 按范围裁剪），或用 --limit dem_cells=数值 提高上限。",
            fix_en="clip the DEM to the township first (QGIS: Raster → Extraction → Clip by extent), or raise "
                   "--limit dem_cells=N.", file=str(getattr(src, "name", "")) or None)
    raw = src.read(1, masked=True)
    mask = np.ma.getmaskarray(raw)
    data = np.ma.getdata(raw)
    arr = data.astype(np.float32)
    void = mask | ~np.isfinite(arr) | (np.abs(arr) > _ABSURD)
    if data.dtype.kind in "iuf":
        void |= data == SRTM_VOID
    scale = src.scales[0] if src.scales else 1.0
    offset = src.offsets[0] if src.offsets else 0.0
    if (scale not in (None, 1.0)) or (offset not in (None, 0.0)):
        arr = (data.astype(np.float64) * (scale or 1.0) + (offset or 0.0)).astype(np.float32)
    unit = (src.units[0] if src.units else "") or ""
    factor = _VERTICAL_UNITS.get(unit.strip().lower())
    if factor not in (None, 1.0):
        arr = (arr.astype(np.float64) * factor).astype(np.float32)
    arr[void] = np.nan
    sunk = np.isfinite(arr) & (arr < _BELOW_LAND_M)
    below = (int(sunk.sum()), float(arr[sunk].min())) if sunk.any() else (0, 0.0)
    arr[sunk] = np.nan
    return arr, below


def _north_up(array: np.ndarray, transform: Affine) -> tuple[np.ndarray, Affine]:
    """Flip south-up / east-to-west grids (no rotation) so rows run north to south, west to east."""
    if transform.b == 0 and transform.d == 0:
        h, w = array.shape
        t = transform
        if t.e > 0:
            array = array[::-1, :]
            t = Affine(t.a, 0.0, t.c, 0.0, -t.e, t.f + t.e * h)
        if t.a < 0:
            array = array[:, ::-1]
            t = Affine(-t.a, 0.0, t.c + t.a * w, 0.0, t.e, t.f)
        transform = t
    return np.ascontiguousarray(array), transform


def _lonlat_extent(bounds: tuple[float, float, float, float], tol: float) -> bool:
    """Whether an extent lies within ±180/±90 (give or take ``tol``)."""
    left, bottom, right, top = bounds
    return left >= -180 - tol and right <= 180 + tol and bottom >= -90 - tol and top <= 90 + tol


def _looks_lonlat(bounds: tuple[float, float, float, float], res: tuple[float, float]) -> bool:
    """Whether a grid's numbers can only be degrees: inside ±180/±90 with cells under 1 unit.

    A metre grid near its CRS's origin with cells under 1 m would pass too; such files are not
    made for townships, and a warning says what was assumed.
    """
    # SRTM-like grids (cell centres on whole degrees) reach half a cell beyond ±180/±90.
    return max(res) < 1.0 and _lonlat_extent(bounds, max(res))


def _check_fits(dem: Dem, label: str) -> None:
    """A geographic CRS must come with coordinates that are longitude/latitude."""
    if dem.crs.is_geographic:
        axis = dem.crs.axis_info[0] if dem.crs.axis_info else None
        deg = (axis.unit_conversion_factor * 180.0 / math.pi) if axis is not None else 1.0
        if abs(deg - 1.0) < 1e-6 and not _lonlat_extent(dem.bounds, max(dem.resolution)):
            b = ", ".join(f"{v:.6g}" for v in dem.bounds)
            raise CRSError(
                f"高程文件的坐标（{b}）不是经纬度，与坐标系 {_crs_label(dem.crs)} 不符",
                f"the elevation (DEM) file's coordinates ({b}) are not longitude/latitude, so "
                f"they do not fit its CRS {_crs_label(dem.crs)}",
                fix_zh="用 --crs-in（或 crs=\"EPSG:xxxx\"）指定正确的投影坐标系。",
                fix_en="pass --crs-in / crs=\"EPSG:xxxx\" with the file's projected CRS.",
                file=label)


def _raise_unsupported(label: str, *, detail: str = "") -> NoReturn:
    raise UnsupportedFormatError(
        "无法作为高程栅格读取此文件（格式不支持或文件已损坏）",
        "this file cannot be read as an elevation raster (unsupported format or damaged file)"
        + (f": {detail}" if detail else ""),
        fix_zh="提供 GeoTIFF (.tif)、SRTM (.hgt/.hgt.zip) 或 ASCII 格网 (.asc) 高程文件；"
               "SRTM 图幅须保留原文件名（如 N42E001.hgt）。",
        fix_en="give a GeoTIFF (.tif), SRTM (.hgt/.hgt.zip) or Esri ASCII grid (.asc) DEM; "
               "SRTM tiles must keep their original names (like N42E001.hgt).",
        file=label)


# --------------------------------------------------------------------------------------------
# The DEM inside the project GeoPackage
# --------------------------------------------------------------------------------------------

def write_dem_gpkg(dem: Dem, gpkg_path: PathLike, *, table: str = "dem") -> None:
    """Store the DEM as a raster table in a GeoPackage, next to its vector layers.

    Parameters
    ----------
    dem
        The elevation model.
    gpkg_path
        An existing GeoPackage (e.g. the project's temporary file during an atomic save, whatever
        its extension) or a path where a new one is created. Its other tables are left alone.
    table
        Name of the raster table. A raster table of that name is replaced; a vector or
        attribute table of that name is an error.

    Notes
    -----
    The table is a GeoPackage 2D gridded coverage (Float32, TIFF tiles): lossless, NaN voids
    kept. The DEM's exact transform and its source are stored as metadata of the table so that
    :func:`read_dem_gpkg` gives back the same ``Dem``. Nothing but the GeoPackage is written (no
    ``.aux.xml``, no journal left), and every handle is closed on return, so the file may be
    renamed or moved right away.

    Raises
    ------
    ProjectError
        The file is not a GeoPackage, the table name is taken by a vector layer, the DEM cannot
        be stored (rotated grid) or GDAL fails to write.
    """
    _check_table_name(table)
    path = Path(os.fspath(gpkg_path)).expanduser().resolve()
    label = os.fspath(gpkg_path)
    t = dem.transform
    if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
        raise ProjectError(
            "高程数据是旋转的格网，无法存入 GeoPackage 工程文件",
            "the DEM is a rotated (or not north-up) grid, which a GeoPackage cannot store",
            fix_zh="先用 gdalwarp 把高程数据重采样为正北朝上的格网。",
            fix_en="resample the DEM to a north-up grid first (e.g. with gdalwarp).",
            file=label, layer=table)

    before: dict[str, str] = {}
    if path.exists():
        before = _gpkg_contents(path, label)
        kind = next((v for k, v in before.items() if k.lower() == table.lower()), None)
        if kind is not None and kind not in _GPKG_RASTER_TYPES:
            raise ProjectError(
                f"工程文件中已有同名的非栅格图层“{table}”，不能用高程数据覆盖",
                f"the project file already has a {kind} layer named '{table}'; the DEM will not "
                "overwrite it",
                fix_zh="为高程表换一个名字。", fix_en="store the DEM under another table name.",
                file=label, layer=table)
        if kind is not None:
            _drop_raster_table(path, table, label)
        elif _sqlite_has_table(path, table, label):
            raise ProjectError(
                f"工程文件中已有名为“{table}”的表", f"the project file already has a table '{table}'",
                fix_zh="为高程表换一个名字。", fix_en="store the DEM under another table name.",
                file=label, layer=table)

    h, w = dem.array.shape
    profile = dict(
        driver="GPKG", width=w, height=h, count=1, dtype="float32",
        crs=rasterio.crs.CRS.from_wkt(dem.crs.to_wkt()), transform=dem.transform,
        # No nodata: NaN cannot be recorded as the coverage's data_null, and Float32 TIFF tiles
        # keep NaN cells as they are.
        # Without APPEND_SUBDATASET=YES, rasterio deletes the existing file first.
        APPEND_SUBDATASET="YES", RASTER_TABLE=table, TILE_FORMAT="TIFF",
        RASTER_IDENTIFIER=table,
        RASTER_DESCRIPTION=f"elevation model (metres) from {Path(dem.source).name}",
    )
    try:
        with _quiet_gdal_extension_warning(), rasterio.Env(GDAL_PAM_ENABLED="NO"), \
                rasterio.open(str(path), "w", **profile) as dst:
            dst.write(np.ascontiguousarray(dem.array, dtype=np.float32), 1)
            dst.update_tags(**{_TAG_SOURCE: dem.source,
                               _TAG_TRANSFORM: repr(tuple(float(v) for v in tuple(t)[:6]))})
    except (rasterio.errors.RasterioError, rasterio.errors.CRSError, OSError) as exc:
        raise ProjectError(
            "无法把高程数据写入工程文件", f"cannot write the DEM into the project file: {exc}",
            fix_zh="检查磁盘空间和写入权限，或另存为新的工程文件。",
            fix_en="check free disk space and write permission, or save as a new project file.",
            file=label, layer=table) from exc

    after = _gpkg_contents(path, label)
    lost = [k for k in before if k.lower() != table.lower() and k not in after]
    if lost or table not in after:
        raise ProjectError(
            "写入高程数据后工程文件中的图层丢失",
            f"after writing the DEM, the project file lacks {plural_en(len(lost or [table]), 'layer')} {lost or [table]}",
            fix_zh="不要使用这个文件；请重新保存工程并报告此问题。",
            fix_en="do not use this file; save the project again and report the problem.",
            file=label, layer=table)


def read_dem_gpkg(gpkg_path: PathLike, *, table: str = "dem") -> Dem | None:
    """Read a DEM stored by :func:`write_dem_gpkg` (or any GeoPackage raster table).

    Parameters
    ----------
    gpkg_path
        The GeoPackage (any extension).
    table
        Name of the raster table (matched without regard to case).

    Returns
    -------
    Dem or None
        The DEM, or None when the GeoPackage has no raster table of that name. ``source`` is
        the file the DEM was first read from when :func:`write_dem_gpkg` recorded it, else
        ``"<gpkg_path>:<table>"``.

    Raises
    ------
    ProjectError
        The file is missing, not a GeoPackage, or the table cannot be read.
    """
    label = os.fspath(gpkg_path)
    path = Path(label).expanduser().resolve()
    if not path.exists():
        raise ProjectError("工程文件不存在", "the project file does not exist",
                           fix_zh="检查路径和文件名是否正确。",
                           fix_en="check the path and the file name.", file=label)
    contents = _gpkg_contents(path, label)
    name = next((k for k, v in contents.items()
                 if k.lower() == table.lower() and v in _GPKG_RASTER_TYPES), None)
    if name is None:
        return None
    try:
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(f"GPKG:{path}:{name}") as src:
            array, _ = _read_band(src)
            transform = src.transform
            crs = _file_crs(src.crs)
            tags = src.tags()
    except rasterio.errors.RasterioError as exc:
        raise ProjectError(
            f"无法读取工程文件中的高程表“{name}”", f"cannot read the DEM table '{name}': {exc}",
            fix_zh="工程文件可能已损坏；请重新导入高程数据。",
            fix_en="the project file may be damaged; import the DEM again.",
            file=label, layer=name) from exc
    if crs is None:
        raise ProjectError(
            f"工程文件中的高程表“{name}”没有坐标系", f"the DEM table '{name}' has no CRS",
            fix_zh="请重新导入高程数据。", fix_en="import the DEM again.", file=label, layer=name)
    stored = _parse_transform(tags.get(_TAG_TRANSFORM))
    if stored is not None and _same_grid(stored, transform, array.shape):
        transform = stored
    return Dem(array=array, transform=transform, crs=crs,
               source=tags.get(_TAG_SOURCE) or f"{label}:{name}")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def _to_pyproj(crs: Any, *, what: str, file: str | None = None) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(crs)
    except (pyproj.exceptions.CRSError, TypeError, ValueError) as exc:
        raise CRSError(
            f"无法识别坐标系 {crs!r}", f"{what} {crs!r} is not a coordinate system gridtool knows"
            f" ({exc})",
            fix_zh="使用 EPSG 代码，例如 \"EPSG:4490\"（CGCS2000 经纬度）或 \"EPSG:4547\"。",
            fix_en="give an EPSG code such as \"EPSG:4490\" (CGCS2000 lon/lat) or "
                   "\"EPSG:4547\".", file=file) from exc


def _file_crs(crs: Any) -> pyproj.CRS | None:
    """A rasterio CRS as pyproj, or None when absent/empty."""
    if not crs:
        return None
    return pyproj.CRS.from_wkt(crs.to_wkt())


def _crs_label(crs: pyproj.CRS) -> str:
    auth = crs.to_authority(min_confidence=90)
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


def _check_table_name(table: str) -> None:
    if not isinstance(table, str) or not table.strip():
        raise ValueError("table must be a non-empty string")
    if re.search(r'[:"\x00]', table) or table.lower().startswith(("gpkg_", "rtree_", "sqlite_")):
        raise ValueError(f"{table!r} cannot be a GeoPackage raster table name")


@contextlib.contextmanager
def _sqlite(path: Path, label: str, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to the GeoPackage, closed on exit; ProjectError if it is not one."""
    try:
        with open(path, "rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise ProjectError("无法打开工程文件", f"cannot open the project file: {exc}",
                           fix_zh="检查文件权限。", fix_en="check the file's permissions.",
                           file=label) from exc
    if header != _SQLITE_HEADER:
        raise ProjectError("此文件不是 GeoPackage 工程文件", "this file is not a GeoPackage",
                           fix_zh="选择 gridtool 保存的 .gpkg 工程文件，或另存为新文件。",
                           fix_en="choose a .gpkg project saved by gridtool, or save to a new "
                                  "file.", file=label)
    uri = path.as_uri() + ("?mode=rw" if write else "?mode=ro")
    con = sqlite3.connect(uri, uri=True)
    try:
        yield con
        if write:
            con.commit()
    except sqlite3.DatabaseError as exc:
        if write:
            con.rollback()
        raise ProjectError("工程文件已损坏或不是 GeoPackage",
                           f"the project file is damaged or not a GeoPackage: {exc}",
                           fix_zh="使用备份或重新保存工程。",
                           fix_en="use a backup or save the project again.", file=label) from exc
    finally:
        con.close()


def _gpkg_contents(path: Path, label: str) -> dict[str, str]:
    """``{table_name: data_type}`` of a GeoPackage's gpkg_contents."""
    with _sqlite(path, label) as con:
        rows = con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall()
    return {str(name): str(kind) for name, kind in rows}


def _sqlite_has_table(path: Path, table: str, label: str) -> bool:
    with _sqlite(path, label) as con:
        row = con.execute("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND "
                          "lower(name) = lower(?)", (table,)).fetchone()
    return row is not None


def _drop_raster_table(path: Path, table: str, label: str) -> None:
    """Remove a raster table and its rows in the GeoPackage's bookkeeping tables."""
    with _sqlite(path, label, write=True) as con:
        existing = {r[0].lower() for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        name = con.execute("SELECT table_name FROM gpkg_contents WHERE lower(table_name) = "
                           "lower(?)", (table,)).fetchone()[0]

        def delete(tab: str, column: str) -> None:
            if tab in existing:
                con.execute(f"DELETE FROM {tab} WHERE lower({column}) = lower(?)", (name,))

        if "gpkg_metadata_reference" in existing:
            ids = [r[0] for r in con.execute(
                "SELECT md_file_id FROM gpkg_metadata_reference WHERE lower(table_name) = "
                "lower(?)", (name,))]
            delete("gpkg_metadata_reference", "table_name")
            if "gpkg_metadata" in existing:
                for md_id in ids:
                    con.execute("DELETE FROM gpkg_metadata WHERE id = ? AND id NOT IN (SELECT "
                                "md_file_id FROM gpkg_metadata_reference)", (md_id,))
        delete("gpkg_2d_gridded_tile_ancillary", "tpudt_name")
        delete("gpkg_2d_gridded_coverage_ancillary", "tile_matrix_set_name")
        delete("gpkg_tile_matrix", "table_name")
        delete("gpkg_tile_matrix_set", "table_name")
        delete("gpkg_extensions", "table_name")
        delete("gpkg_contents", "table_name")
        con.execute('DROP TABLE IF EXISTS "{}"'.format(name.replace('"', '""')))


class _DropExtensionWarning(logging.Filter):
    """Drops GDAL's warning that a GeoPackage's name should end in ``.gpkg``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "filename extension should be 'gpkg'" not in record.getMessage()


@contextlib.contextmanager
def _quiet_gdal_extension_warning() -> Iterator[None]:
    """Silence the extension warning while writing: the project's temporary file (written, then
    renamed by the atomic save) is a GeoPackage with another extension on purpose."""
    logger = logging.getLogger("rasterio._env")
    flt = _DropExtensionWarning()
    logger.addFilter(flt)
    try:
        yield
    finally:
        logger.removeFilter(flt)


def _parse_transform(text: str | None) -> Affine | None:
    if not text:
        return None
    try:
        values = ast.literal_eval(text)
        return Affine(*(float(v) for v in values[:6]))
    except (ValueError, SyntaxError, TypeError):
        return None


def _same_grid(a: Affine, b: Affine, shape: tuple[int, int]) -> bool:
    """Whether two transforms agree to well under a millionth of a cell over the whole grid."""
    h, w = shape
    cell = max(abs(b.a), abs(b.e), 1e-300)
    corners = ((0, 0), (w, 0), (0, h), (w, h))
    return all(math.hypot(*np.subtract(_apply(a, *c), _apply(b, *c))) <= 1e-6 * cell
               for c in corners)


def _apply(t: Affine, col: float, row: float) -> tuple[float, float]:
    """``t * (col, row)``, written out (affine 3 deprecates ``*``, affine 2 lacks ``@``)."""
    return (t.a * col + t.b * row + t.c, t.d * col + t.e * row + t.f)
