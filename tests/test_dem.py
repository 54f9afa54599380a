"""Tests of gridtool.io.dem: reading elevation models, sampling them and storing them in a project.

Every input file is made here in ``tmp_path``; the real SRTM tile of Andorra is used when the
shared data directory has it.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import pytest
import rasterio
from affine import Affine
from shapely.geometry import Point

from gridtool.errors import CRSError, EmptyLayerError, InputFileError, UnsupportedFormatError
from gridtool.io.dem import Dem, read_dem, read_dem_gpkg, write_dem_gpkg

UTM31 = "EPSG:32631"
NODATA = -9999.0


def from_origin(west: float, north: float, xsize: float, ysize: float) -> Affine:
    """A north-up transform (rasterio's own from_origin warns under affine 3)."""
    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def _write_tif(path: Path, array: np.ndarray, transform, crs=None, nodata=None) -> Path:
    profile = dict(driver="GTiff", width=array.shape[-1], height=array.shape[-2],
                   count=1 if array.ndim == 2 else array.shape[0], dtype=array.dtype,
                   transform=transform, crs=crs, nodata=nodata)
    with rasterio.open(path, "w", **profile) as dst:
        if array.ndim == 2:
            dst.write(array, 1)
        else:
            dst.write(array)
    return path


@pytest.fixture
def utm_tif(tmp_path: Path) -> Path:
    """A 40 x 50 grid of 30 m cells near Andorra in UTM 31N; value = 1000 + 10 * row + col."""
    rows, cols = np.mgrid[0:40, 0:50]
    arr = (1000.0 + 10.0 * rows + cols).astype("float32")
    arr[3, 4] = NODATA
    arr[20:22, 30:33] = NODATA
    return _write_tif(tmp_path / "dem_utm.tif", arr, from_origin(380000, 4710000, 30, 30),
                      crs=UTM31, nodata=NODATA)


def _srtm_tile(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A synthetic SRTM3 tile N42E001 (1201 x 1201 big-endian int16) zipped as downloaded."""
    rows, cols = np.mgrid[0:1201, 0:1201]
    values = (500 + rows + 2 * cols).astype(">i2")
    values[100:110, 200:205] = -32768
    values[1200, 1200] = -32768
    hgt = tmp_path / "N42E001.hgt"
    hgt.write_bytes(values.tobytes())
    zpath = tmp_path / "N42E001.hgt.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(hgt, "N42E001.hgt")
    hgt.unlink()
    return zpath, values.astype("float32")


# -- reading ------------------------------------------------------------------------------------

def test_geotiff_projected_read_voids_and_sample(utm_tif: Path) -> None:
    dem = read_dem(utm_tif)
    assert dem.array.dtype == np.float32 and dem.array.shape == (40, 50)
    assert pyproj.CRS(UTM31) == dem.crs
    assert dem.source == str(utm_tif)
    assert dem.resolution == (30.0, 30.0)
    assert dem.bounds == (380000.0, 4710000.0 - 1200, 380000.0 + 1500, 4710000.0)
    assert np.isnan(dem.array[3, 4]) and np.isnan(dem.array[20:22, 30:33]).all()
    assert int(np.isnan(dem.array).sum()) == 7

    # Cell centres of (row, col) = (0, 0), (5, 7), (39, 49): value 1000 + 10 row + col.
    x = 380000 + 30 * np.array([0.5, 7.5, 49.5])
    y = 4710000 - 30 * np.array([0.5, 5.5, 39.5])
    for method in ("nearest", "bilinear"):
        np.testing.assert_allclose(dem.sample(x, y, method=method), [1000, 1057, 1439])
    # Halfway between the centres of (5, 7) and (5, 8): interpolated; inside cell: nearest.
    assert dem.sample(380000 + 30 * 8.0, 4710000 - 30 * 5.5) == pytest.approx(1057.5)
    assert dem.sample(380000 + 30 * 8.0 - 1, 4710000 - 30 * 5.5, method="nearest") == 1057
    # Void cells, points outside the grid -> NaN.
    assert np.isnan(dem.sample(380000 + 30 * 4.5, 4710000 - 30 * 3.5))
    assert np.isnan(dem.sample([379000, 380000 + 1600], [4709000, 4709000])).all()


def test_sample_points_given_in_wgs84(utm_tif: Path) -> None:
    dem = read_dem(utm_tif)
    rows = np.array([0, 5, 39, 12])
    cols = np.array([0, 7, 49, 31])
    x = 380000 + 30 * (cols + 0.5)
    y = 4710000 - 30 * (rows + 0.5)
    lon, lat = pyproj.Transformer.from_crs(UTM31, "EPSG:4326", always_xy=True).transform(x, y)
    assert 1.5 < lon.mean() < 1.6 and 42.5 < lat.mean() < 42.6  # near Andorra
    expected = 1000 + 10 * rows + cols
    np.testing.assert_allclose(dem.sample(lon, lat, crs="EPSG:4326"), expected, atol=1e-3)
    np.testing.assert_array_equal(
        dem.sample(lon, lat, crs="EPSG:4326", method="nearest"), expected)
    assert np.isnan(dem.sample(116.4, 39.9, crs="EPSG:4326"))  # Beijing: far outside


def test_summary(utm_tif: Path) -> None:
    s = read_dem(utm_tif).summary()
    assert s["min"] == 1000 and s["max"] == 1439
    assert s["void_share"] == pytest.approx(7 / 2000)
    assert s["cell_size_m"] == (30.0, 30.0)
    assert s["shape"] == (40, 50) and s["crs"] == "EPSG:32631"
    west, south, east, north = s["bounds_wgs84"]
    assert 1.5 < west < east < 1.6 and 42.5 < south < north < 42.6


def test_srtm_zip_tile(tmp_path: Path) -> None:
    zpath, values = _srtm_tile(tmp_path)
    dem = read_dem(zpath)
    assert dem.crs.to_epsg() == 4326
    assert dem.source == str(zpath)
    assert dem.array.shape == (1201, 1201)
    np.testing.assert_allclose(dem.bounds, (0.99958, 41.99958, 2.00042, 43.00042), atol=1e-5)
    void = values == -32768
    assert np.array_equal(np.isnan(dem.array), void)
    assert np.array_equal(dem.array[~void], values[~void])
    # Cell (row 600, col 300) is centred on lon 1.25, lat 42.5.
    assert dem.sample(1.25, 42.5) == pytest.approx(500 + 600 + 600)
    assert np.isnan(dem.sample(1 + 202 / 1200, 43 - 105 / 1200))  # in the void block
    s = dem.summary()
    assert s["cell_size_m"][1] == pytest.approx(92.6, abs=0.5)  # 3 arc-seconds of latitude
    assert s["cell_size_m"][0] == pytest.approx(68.3, abs=0.5)  # ... of longitude at 42.5N


def test_ascii_grid_without_crs_taken_as_lonlat(tmp_path: Path) -> None:
    asc = tmp_path / "village.asc"
    asc.write_text("ncols 3\nnrows 2\nxllcorner 116.3\nyllcorner 39.9\ncellsize 0.001\n"
                   "NODATA_value -9999\n50 51 52\n53 -9999 55\n")
    with pytest.warns(UserWarning, match="EPSG:4326"):
        dem = read_dem(asc)
    assert dem.crs.to_epsg() == 4326
    np.testing.assert_array_equal(dem.array, [[50, 51, 52], [53, np.nan, 55]])


def test_multiband_uses_band_one(tmp_path: Path) -> None:
    arr = np.stack([np.full((4, 5), 7, "int16"), np.full((4, 5), 99, "int16")])
    path = _write_tif(tmp_path / "two.tif", arr, from_origin(500000, 3000000, 5, 5),
                      crs="EPSG:4547")
    dem = read_dem(path)
    assert (dem.array == 7).all() and dem.array.dtype == np.float32


# -- errors -------------------------------------------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="nowhere.tif"):
        read_dem(tmp_path / "nowhere.tif")


def test_text_file_named_tif(tmp_path: Path) -> None:
    bad = tmp_path / "x.tif"
    bad.write_text("this is not an elevation model\n")
    with pytest.raises(UnsupportedFormatError) as err:
        read_dem(bad)
    assert "x.tif" in str(err.value)


def test_no_crs_with_metre_coordinates(tmp_path: Path) -> None:
    path = _write_tif(tmp_path / "local.tif", np.ones((3, 3), "float32"),
                      from_origin(500000, 3500000, 10, 10))
    with pytest.raises(CRSError) as err:
        read_dem(path)
    assert "local.tif" in str(err.value) and "--crs-in" in str(err.value)
    assert read_dem(path, crs="EPSG:4547").crs.to_epsg() == 4547  # the fix works


def test_all_void(tmp_path: Path) -> None:
    path = _write_tif(tmp_path / "void.tif", np.full((3, 3), -32768, "int16"),
                      from_origin(500000, 3500000, 10, 10), crs="EPSG:4547")
    with pytest.raises(EmptyLayerError, match="void.tif"):
        read_dem(path)


# -- GeoPackage ---------------------------------------------------------------------------------

def _points_gpkg(path: Path) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame({"name": ["村委会", "学校"], "hh": [1, 3]},
                           geometry=[Point(380100, 4709900), Point(381000, 4709000)], crs=UTM31)
    pyogrio.write_dataframe(gdf, path, layer="villages", driver="GPKG")
    return gdf


def _assert_same_dem(a: Dem, b: Dem) -> None:
    assert a.array.dtype == b.array.dtype == np.float32
    assert np.array_equal(a.array, b.array, equal_nan=True)
    assert a.transform == b.transform
    assert a.crs == b.crs


def test_gpkg_round_trip_keeps_vector_layer(tmp_path: Path, utm_tif: Path) -> None:
    gpkg = tmp_path / "project.gpkg"
    points = _points_gpkg(gpkg)
    dem = read_dem(utm_tif)
    write_dem_gpkg(dem, gpkg)

    assert [name for name, _ in pyogrio.list_layers(gpkg)] == ["villages"]
    back_points = pyogrio.read_dataframe(gpkg, layer="villages")
    assert list(back_points["name"]) == ["村委会", "学校"]
    assert back_points.geometry.geom_equals(points.geometry).all()

    back = read_dem_gpkg(gpkg)
    assert back is not None
    _assert_same_dem(dem, back)
    assert back.source == str(utm_tif)
    assert read_dem_gpkg(gpkg, table="other") is None

    # Vector layers can still be added afterwards, and the DEM is still there.
    pyogrio.write_dataframe(points, gpkg, layer="places", driver="GPKG")
    assert {name for name, _ in pyogrio.list_layers(gpkg)} == {"villages", "places"}
    _assert_same_dem(dem, read_dem_gpkg(gpkg))


@pytest.mark.filterwarnings("ignore:The filename extension should be 'gpkg'")
def test_gpkg_srtm_round_trip_in_temp_file_then_renamed(tmp_path: Path) -> None:
    zpath, _ = _srtm_tile(tmp_path)
    dem = read_dem(zpath)
    out = tmp_path / "out"
    out.mkdir()
    tmp = out / "plan.gpkg.tmp-1234"
    _points_gpkg(tmp)
    write_dem_gpkg(dem, tmp, table="elevation")
    final = out / "plan.gpkg"
    os.replace(tmp, final)
    assert sorted(os.listdir(out)) == ["plan.gpkg"]  # no journal or .aux.xml left behind

    back = read_dem_gpkg(final, table="elevation")
    _assert_same_dem(dem, back)  # geographic transform bit-exact too
    assert back.source == str(zpath)
    assert read_dem_gpkg(final) is None  # no table "dem"
    assert [name for name, _ in pyogrio.list_layers(final)] == ["villages"]


def test_gpkg_new_file_and_replacing_the_table(tmp_path: Path, utm_tif: Path) -> None:
    gpkg = tmp_path / "new.gpkg"
    dem = read_dem(utm_tif)
    write_dem_gpkg(dem, gpkg)  # the file does not exist yet
    _assert_same_dem(dem, read_dem_gpkg(gpkg))

    _points_gpkg(gpkg)
    higher = Dem(dem.array + 100, dem.transform, dem.crs, dem.source)
    write_dem_gpkg(higher, gpkg)  # same table again: replaced
    _assert_same_dem(higher, read_dem_gpkg(gpkg))
    assert [name for name, _ in pyogrio.list_layers(gpkg)] == ["villages"]


# -- real data ----------------------------------------------------------------------------------

def _shared_srtm() -> Path | None:
    candidates = [Path("/work/shared/data/dem/N42E001.hgt.zip")]
    if os.environ.get("GRIDTOOL_SHARED_DATA"):
        candidates.insert(0, Path(os.environ["GRIDTOOL_SHARED_DATA"]) / "dem" / "N42E001.hgt.zip")
    return next((p for p in candidates if p.is_file()), None)


@pytest.mark.skipif(_shared_srtm() is None, reason="shared SRTM tile N42E001.hgt.zip not found")
def test_real_srtm_tile_andorra() -> None:
    dem = read_dem(_shared_srtm())
    assert dem.crs.to_epsg() == 4326 and dem.array.shape == (1201, 1201)
    lon, lat = np.meshgrid(np.linspace(1.45, 1.70, 26), np.linspace(42.46, 42.62, 17))
    z = dem.sample(lon, lat)
    assert np.isfinite(z).mean() > 0.95
    assert 700 < np.nanmin(z) and np.nanmax(z) < 3100
    assert 1500 < np.nanmedian(z) < 2600


def test_resampled_srtm_voids_below_any_land_are_voids_and_named(tmp_path: Path, written) -> None:
    """An SRTM tile reprojected without -32768 set as nodata carries blurred voids (-32,750 m,
    -16,000 m): they are voids, not pits 33 km deep, and validation says how many there were."""
    from gridtool.project import Project
    from gridtool.validate import validate
    arr = (np.arange(100, dtype=np.float32).reshape(10, 10) + 300.0)
    arr[2, 3], arr[2, 4], arr[7, 7] = -32750.0, -16384.0, -9999.0  # -9999 is the file's own nodata
    path = _write_tif(tmp_path / "warped.tif", arr, from_origin(480_000, 3_266_000, 200, 200),
                      crs="EPSG:4545", nodata=-9999.0)
    dem = read_dem(path)
    assert np.isnan(dem.array[2, 3]) and np.isnan(dem.array[2, 4]) and np.isnan(dem.array[7, 7])
    assert dem.summary()["min"] == pytest.approx(300.0)
    assert dem.below_land == (2, -32750.0)
    problems = [p for p in validate(Project.from_sources(written, dem=str(path))) if p.code == "dem_below_land"]
    assert len(problems) == 1 and problems[0].severity == "warning"
    text = problems[0].format("zh")
    assert "2 个栅格低于 -500 米" in text and "-32,750" in text and "warped.tif" in text
