"""The clean township every corpus case starts from, and writers for each input format.

Three villages (real Chongqing names and codes) side by side near 107.8°E 29.5°N, a roster of
300 household rows (816 households) with the columns a township's Excel roster has (序号, 户主姓名,
身份证号, 联系电话, 所属村, 经度, 纬度, 户数), two roads and an elevation model. Every hostile case is
this data broken in one way, so that what "right" means can be stated exactly (e.g. a roster
pasted three times must still come to 816 households or be refused).
"""

from __future__ import annotations

import io
import struct
import zipfile
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, box

from .xls import xls_bytes

LON0, LAT0 = 107.80, 29.50
DX, DY = 0.010, 0.009  # one village: about 970 m × 1000 m
VILLAGES = [("东方广场社区", "500101001001"), ("乌龙池社区", "500101001002"), ("王家坡社区", "500101001003")]
N_ROWS = 300
TOTAL_HH = 816


@lru_cache(maxsize=1)
def roster() -> pd.DataFrame:
    """300 rows, 816 households: hh 1–5, ID-card and phone numbers unique, coordinates inside."""
    rng = np.random.default_rng(20261204)
    hh = rng.integers(1, 6, N_ROWS)
    # Make the total exactly TOTAL_HH (adjust a few rows by ±1 within 1..5).
    i = 0
    while hh.sum() != TOTAL_HH:
        step = 1 if hh.sum() < TOTAL_HH else -1
        if 1 <= hh[i % N_ROWS] + step <= 5:
            hh[i % N_ROWS] += step
        i += 1
    v = rng.integers(0, 3, N_ROWS)
    lon = LON0 + v * DX + 0.0008 + rng.random(N_ROWS) * (DX - 0.0016)
    lat = LAT0 + 0.0008 + rng.random(N_ROWS) * (DY - 0.0016)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "建国秀英桂兰志强春梅海燕德华玉珍红军"
    names = [surnames[k % 20] + given[(k * 7) % 16] + given[(k * 3 + 1) % 16] for k in range(N_ROWS)]
    ids = [f"500101{1950 + k % 60}{1 + k % 12:02d}{1 + k % 28:02d}{k:03d}{k % 10}" for k in range(N_ROWS)]
    phones = [f"139{k:08d}" for k in range(N_ROWS)]
    return pd.DataFrame({"序号": np.arange(1, N_ROWS + 1), "户主姓名": names, "身份证号": ids, "联系电话": phones,
                         "所属村": [VILLAGES[k][0] for k in v], "经度": lon.round(6), "纬度": lat.round(6),
                         "户数": hh})


def households_gdf(df: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    df = roster() if df is None else df
    return gpd.GeoDataFrame(df.drop(columns=["经度", "纬度"]),
                            geometry=gpd.points_from_xy(df["经度"], df["纬度"]), crs=4326)


def villages_gdf() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"名称": [n for n, _ in VILLAGES], "区划代码": [c for _, c in VILLAGES]},
                            geometry=[box(LON0 + k * DX, LAT0, LON0 + (k + 1) * DX, LAT0 + DY) for k in range(3)],
                            crs=4326)


def roads_gdf() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["滨江路", "一号路"], "highway": ["primary", "residential"]},
        geometry=[LineString([(LON0 - 0.001, LAT0 + DY / 2), (LON0 + 3 * DX + 0.001, LAT0 + DY / 2)]),
                  LineString([(LON0 + 1.5 * DX, LAT0 - 0.001), (LON0 + 1.5 * DX, LAT0 + DY + 0.001)])], crs=4326)


# -- writers ------------------------------------------------------------------------------------
def csv_bytes(df: pd.DataFrame, encoding: str = "utf-8-sig") -> bytes:
    return df.to_csv(index=False).encode(encoding)


def xlsx_bytes(df: pd.DataFrame, sheet: str = "花名册") -> bytes:
    buf = io.BytesIO()
    df.to_excel(buf, index=False, sheet_name=sheet)
    return buf.getvalue()


def xls_roster_bytes(df: pd.DataFrame) -> bytes:
    rows = [list(df.columns)] + [[None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in r]
                                 for r in df.itertuples(index=False)]
    return xls_bytes(rows, "花名册")


def write_vector(gdf: gpd.GeoDataFrame, path: Path, *, layer: str | None = None, **kw) -> Path:
    driver = {".gpkg": "GPKG", ".shp": "ESRI Shapefile", ".geojson": "GeoJSON", ".kml": "KML"}[path.suffix]
    gdf.to_file(path, driver=driver, layer=layer, **kw) if layer else gdf.to_file(path, driver=driver, **kw)
    return path


def shapefile_zip(gdf: gpd.GeoDataFrame, folder: Path, stem: str, *, encoding: str = "UTF-8") -> Path:
    """A zipped shapefile set (``stem.shp/.shx/.dbf/.prj/.cpg``) as planners e-mail them."""
    shp = folder / f"_{stem}_src" / f"{stem}.shp"
    shp.parent.mkdir(parents=True, exist_ok=True)
    gdf.to_file(shp, driver="ESRI Shapefile", encoding=encoding)
    out = folder / f"{stem}.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(shp.parent.iterdir()):
            zf.write(f, f.name)
    return out


def kmz_bytes(kml: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", kml)
    return buf.getvalue()


def villages_kml_bytes() -> bytes:
    """Villages as KML polygons (one folder), as exported from 奥维/Google Earth."""
    marks = []
    for (name, code), geom in zip(VILLAGES, villages_gdf().geometry):
        coords = " ".join(f"{x:.6f},{y:.6f}" for x, y in geom.exterior.coords)
        marks.append(f"<Placemark><name>{name}</name><description>{code}</description><Polygon><outerBoundaryIs>"
                      f"<LinearRing><coordinates>{coords}</coordinates></LinearRing></outerBoundaryIs></Polygon>"
                      "</Placemark>")
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">"
            "<Document><name>村界</name><Folder><name>村界</name>" + "".join(marks)
            + "</Folder></Document></kml>\n").encode("utf-8")


def osm_xml_bytes(df: pd.DataFrame | None = None) -> bytes:
    """Households as OSM residential buildings (small squares tagged building:flats), XML."""
    df = roster() if df is None else df
    nodes, ways = [], []
    nid = 1
    d = 0.00005
    for k, r in enumerate(df.itertuples(index=False)):
        ids = []
        for dx, dy in ((-d, -d), (d, -d), (d, d), (-d, d)):
            nodes.append(f'<node id="{nid}" version="1" lat="{r.纬度 + dy:.7f}" lon="{r.经度 + dx:.7f}"/>')
            ids.append(nid)
            nid += 1
        refs = "".join(f'<nd ref="{i}"/>' for i in ids + ids[:1])
        ways.append(f'<way id="{k + 1}" version="1">{refs}<tag k="building" v="apartments"/>'
                    f'<tag k="building:flats" v="{int(r.户数)}"/></way>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="gridtool-corpus">'
            + "".join(nodes) + "".join(ways) + "</osm>\n").encode("utf-8")


def dem_tiff(path: Path, *, lon0: float = LON0 - 0.01, lat0: float = LAT0 + DY + 0.01, size: int = 120,
             cell: float = 0.0005) -> Path:
    """A small GeoTIFF elevation model (WGS84) covering the township (or placed elsewhere)."""
    import rasterio
    from rasterio.transform import from_origin
    z = (300 + 50 * np.sin(np.arange(size)[:, None] / 9.0) + np.arange(size)[None, :]).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(lon0, lat0, cell, cell)) as dst:
        dst.write(z, 1)
    return path


def hgt_bytes() -> bytes:
    """An SRTM3 tile (1201 × 1201 big-endian int16): name it N29E107.hgt to cover the township."""
    z = (300 + (np.arange(1201)[:, None] + np.arange(1201)[None, :]) % 400).astype(">i2")
    return z.tobytes()


def geometry_blob_gpkg(path: Path, blob: bytes, *, row: int = 0) -> Path:
    """Replace the geometry blob of one feature of a written GeoPackage (random or truncated bytes)."""
    import sqlite3
    con = sqlite3.connect(path)
    try:
        table = con.execute("SELECT table_name FROM gpkg_contents WHERE data_type='features'").fetchone()[0]
        col = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name=?", (table,)).fetchone()[0]
        fid = con.execute(f'SELECT fid FROM "{table}" ORDER BY fid LIMIT 1 OFFSET ?', (row,)).fetchone()[0]
        # The R-tree triggers call ST_* functions SQLite lacks here: drop them first.
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
            con.execute(f'DROP TRIGGER "{name}"')
        con.execute(f'UPDATE "{table}" SET "{col}"=? WHERE fid=?', (blob, fid))
        con.commit()
    finally:
        con.close()
    return path


def gpkg_header_point_blob(x: float, y: float) -> bytes:
    """A valid GeoPackage point blob (for building truncated ones)."""
    wkb = struct.pack("<BIdd", 1, 1, x, y)
    return b"GP" + bytes([0, 1]) + struct.pack("<i", 4326) + wkb
