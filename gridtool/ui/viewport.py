"""The map view's geometry: which part of the world (project CRS, metres) is on screen, and how big.

Screen y grows downwards, world y (northing) upwards. ``res`` is metres per (device-independent)
pixel; the scale shown to the user is ``res`` over the physical size of a pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_RES = 0.02      # metres per pixel: closer than a door's width is no use to a planner
MAX_RES = 20_000.0  # a whole province on one screen


@dataclass
class Viewport:
    """A view of the world of ``width`` × ``height`` pixels centred on ``(cx, cy)``.

    Parameters
    ----------
    width, height : int
        Size of the view in pixels.
    cx, cy : float
        World coordinates of the view's centre.
    res : float
        Metres per pixel.
    """

    width: int = 800
    height: int = 600
    cx: float = 0.0
    cy: float = 0.0
    res: float = 1.0

    # -- conversions ------------------------------------------------------------------------
    def world_to_screen(self, x, y):
        """Screen coordinates of world points (arrays or scalars)."""
        return ((np.asarray(x) - self.cx) / self.res + self.width / 2,
                (self.cy - np.asarray(y)) / self.res + self.height / 2)

    def screen_to_world(self, sx, sy):
        return ((np.asarray(sx) - self.width / 2) * self.res + self.cx,
                self.cy - (np.asarray(sy) - self.height / 2) * self.res)

    def transform(self) -> tuple[float, float, float, float]:
        """``(m11, m22, dx, dy)`` of the affine map world → screen (for a QTransform)."""
        k = 1.0 / self.res
        return k, -k, self.width / 2 - self.cx * k, self.height / 2 + self.cy * k

    def extent(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` of the world on screen."""
        hw, hh = self.width * self.res / 2, self.height * self.res / 2
        return self.cx - hw, self.cy - hh, self.cx + hw, self.cy + hh

    def scale_denominator(self, dpi: float = 96.0) -> float:
        """N of the map scale 1:N for a screen of ``dpi`` pixels per inch."""
        return self.res / (0.0254 / dpi)

    # -- changes ----------------------------------------------------------------------------
    def resize(self, width: int, height: int) -> None:
        self.width, self.height = max(1, int(width)), max(1, int(height))

    def zoom_to(self, bounds, margin: float = 0.05, min_size: float = 50.0) -> None:
        """Show ``bounds`` (xmin, ymin, xmax, ymax) whole, with a margin; a point gets ``min_size`` metres."""
        x0, y0, x1, y1 = (float(v) for v in bounds)
        if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
            return
        w, h = max(x1 - x0, min_size), max(y1 - y0, min_size)
        self.cx, self.cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.res = _clamp(max(w / self.width, h / self.height) * (1 + 2 * margin))

    def zoom_at(self, factor: float, sx: float, sy: float) -> None:
        """Zoom by ``factor`` (> 1 zooms in) keeping the world point under ``(sx, sy)`` in place."""
        wx, wy = self.screen_to_world(sx, sy)
        self.res = _clamp(self.res / factor)
        nx, ny = self.screen_to_world(sx, sy)
        self.cx += float(wx - nx)
        self.cy += float(wy - ny)

    def pan_pixels(self, dx: float, dy: float) -> None:
        """Move the map with the mouse: the world follows a drag of ``(dx, dy)`` pixels."""
        self.cx -= dx * self.res
        self.cy += dy * self.res

    def copy(self) -> "Viewport":
        return Viewport(self.width, self.height, self.cx, self.cy, self.res)

    def key(self) -> tuple:
        """What a cached rendering depends on."""
        return (self.width, self.height, round(self.cx, 6), round(self.cy, 6), round(self.res, 9))


def _clamp(res: float) -> float:
    return min(max(res, MIN_RES), MAX_RES)
