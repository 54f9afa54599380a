"""Relief on printed maps: a hillshade of the project's elevation model under the lines.

A planner in a mountain township reads a wall map by its valleys and ridges; without relief the
grids look like flat-land blocks. When the project has a DEM, :func:`draw_hillshade` resamples it
(any CRS, voids left blank) to the map frame in the project's CRS and draws its shadows as a
translucent grey over the grid fills, so every fill stays recognisable and the sunlit slopes keep
their colour. Light from the north-west at 45°, the cartographic convention. The legend row names
the DEM file; where the DEM covers only part of the frame, the row says how much.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Darkest shadow drawn (alpha of black): deep enough to read a ridge, light enough for labels.
SHADOW_ALPHA = 0.45
#: Largest side of the resampled image (pixels): fine enough for print, bounded in memory.
_MAX_PIXELS = 1600


def hillshade(z: np.ndarray, cell_x: float, cell_y: float, *, azimuth: float = 315.0,
              altitude: float = 45.0) -> np.ndarray:
    """Illumination 0..1 of a height grid (rows north to south, square metres cells), NaN in voids."""
    dzdy, dzdx = np.gradient(z, cell_y, cell_x)
    # rows run southwards: north is -row, so the northward gradient is -dzdy
    slope = np.arctan(np.hypot(dzdx, dzdy))
    aspect = np.arctan2(-dzdx, dzdy)
    az, alt = np.radians(360.0 - azimuth + 90.0), np.radians(altitude)
    shade = np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect)
    return np.clip(shade, 0.0, 1.0)


def draw_hillshade(ax, dem, crs, bbox, *, m_per_mm: float, zorder: float = 2.5):
    """Draw the DEM's hillshade over ``bbox`` (project CRS ``crs``) on ``ax``.

    Returns
    -------
    tuple or None
        ``(legend handle, label)``, or None when the DEM does not reach the frame.
    """
    import rasterio.warp
    from affine import Affine
    from matplotlib.patches import Patch

    x0, y0, x1, y1 = bbox
    cell_m = max(float(max(dem._cell_size_m())) / 2, 0.25 * m_per_mm,
                 max(x1 - x0, y1 - y0) / _MAX_PIXELS)
    w, h = max(2, int(np.ceil((x1 - x0) / cell_m))), max(2, int(np.ceil((y1 - y0) / cell_m)))
    out = np.full((h, w), np.nan, dtype=np.float32)
    rasterio.warp.reproject(dem.array, out, src_transform=dem.transform, src_crs=dem.crs.to_wkt(),
                            src_nodata=np.nan, dst_transform=Affine(cell_m, 0, x0, 0, -cell_m, y1),
                            dst_crs=crs.to_wkt(), dst_nodata=np.nan,
                            resampling=rasterio.warp.Resampling.bilinear)
    known = np.isfinite(out)
    if known.sum() < 4:
        return None
    shade = hillshade(np.where(known, out, np.nanmean(out)), cell_m, cell_m)
    rgba = np.zeros((h, w, 4), dtype=np.float32)
    # shadows only: a slope facing the light keeps the fill's own colour
    rgba[..., 3] = np.where(known, (1.0 - shade / np.sin(np.radians(45.0)).clip(1e-6)).clip(0, 1) * SHADOW_ALPHA, 0)
    ax.imshow(rgba, extent=(x0, x0 + w * cell_m, y1 - h * cell_m, y1), origin="upper", interpolation="bilinear",
              zorder=zorder, aspect="auto")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    share = float(known.mean())
    label = f"地形晕渲（高程：{Path(str(dem.source)).name}）"
    if share < 0.99:
        label += f"，只覆盖图幅 {share:.0%}"
    return Patch(facecolor="#8c8c8c", edgecolor="none", alpha=0.8), label


__all__ = ["SHADOW_ALPHA", "draw_hillshade", "hillshade"]
