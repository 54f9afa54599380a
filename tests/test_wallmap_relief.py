"""Relief on the wall map: with a DEM (here in WGS 84, the project in Gauss-Krüger metres) the map
shades the slopes under the grids, says so in the legend, and says when the DEM covers only part."""

from __future__ import annotations

import re

import numpy as np
import pyproj
from affine import Affine
from matplotlib.figure import Figure

from gridtool.io.dem import Dem
from gridtool.maps.wallmap import draw_wall_map

from .maps_data import GK108, X0, Y0, make_project

STEP = 0.0002  # degrees: about 20 m


def _hill_dem(*, height: float, west_half_only: bool) -> Dem:
    """A round hill ``height`` m high over the project's centre (the two villages span
    X0..X0+2000, Y0..Y0+1000), in longitude/latitude; optionally only west of X0+1000."""
    to_ll = pyproj.Transformer.from_crs(GK108, "EPSG:4326", always_xy=True)
    east = X0 + (1000 if west_half_only else 2600)
    lon0, lat0 = to_ll.transform(X0 - 600, Y0 + 1600)
    lon1, lat1 = to_ll.transform(east, Y0 - 600)
    lons = np.arange(lon0, lon1, STEP) + STEP / 2
    lats = np.arange(lat0, lat1, -STEP) - STEP / 2
    to_gk = pyproj.Transformer.from_crs("EPSG:4326", GK108, always_xy=True)
    gx, gy = to_gk.transform(*np.meshgrid(lons, lats))
    r2 = ((gx - (X0 + 800)) ** 2 + (gy - (Y0 + 500)) ** 2) / 400.0 ** 2
    z = (500.0 + height * np.exp(-r2)).astype(np.float32)
    return Dem(z, Affine(STEP, 0, lon0, 0, -STEP, lat0), "EPSG:4326", "/data/N29E107.hgt.zip")


def _draw(dem):
    project = make_project()
    project.dem = dem
    fig = Figure()
    draw_wall_map(fig, project, size="A4", labels=False)
    images = [im for ax in fig.axes for im in ax.images]
    legend = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    return images, legend


def test_a_dem_shades_the_slopes_and_names_its_file_in_the_legend():
    images, legend = _draw(_hill_dem(height=400.0, west_half_only=False))
    assert len(images) == 1
    alpha = np.asarray(images[0].get_array())[..., 3]
    assert alpha.max() > 0.2  # the hill's shadowed side is drawn dark enough to read
    assert (alpha < 0.01).mean() > 0.3  # the lit side and the flat land keep the grid fills' colour
    assert "地形晕渲（高程：N29E107.hgt.zip）" in legend


def test_flat_land_is_not_shaded_and_a_partial_dem_says_how_much_it_covers():
    images, _ = _draw(_hill_dem(height=0.0, west_half_only=False))
    assert np.asarray(images[0].get_array())[..., 3].max() < 0.01
    images, legend = _draw(_hill_dem(height=400.0, west_half_only=True))
    row = [t for t in legend if t.startswith("地形晕渲")]
    assert len(row) == 1 and "只覆盖图幅" in row[0]
    assert 20 <= int(re.search(r"只覆盖图幅 (\d+)%", row[0]).group(1)) <= 80


def test_without_a_dem_the_map_has_no_relief_row():
    images, legend = _draw(None)
    assert images == [] and not any(t.startswith("地形晕渲") for t in legend)
