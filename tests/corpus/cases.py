"""The bad-input corpus: hostile files built at test time, each with its own idea of "right".

Families: every input format empty, truncated, random and misnamed; text encodings; XML attacks
(XXE, entity expansion); archives (path traversal, bombs); absurd and non-finite numbers;
duplicates (rows, pasted rosters, ID numbers); broken geometry; layers and DEMs in the wrong
place; scale (100,000 villages, a million rows, a million columns, huge fields).

``cases()`` lists them; ``heavy=True`` marks the few that take minutes (run by
``benchmarks/corpus_bench.py`` and, with ``GRIDTOOL_CORPUS_HEAVY=1``, by the test).
"""

from __future__ import annotations

import random
import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import (
    GeometryCollection,
    LineString,
    MultiPolygon,
    Point,
    Polygon,
    box,
)

from . import data as D
from .runner import Case, Run

TOTAL = D.TOTAL_HH


# -- helpers ------------------------------------------------------------------------------------
def _villages(folder: Path, gdf: gpd.GeoDataFrame | None = None, name: str = "villages.geojson") -> Path:
    return D.write_vector(D.villages_gdf() if gdf is None else gdf, folder / name)


def _std(folder: Path, households: Path, *, villages: Path | None = None, bad: Path | None = None,
         **extra) -> dict:
    spec = {"households": households, "villages": villages or _villages(folder), "bad": bad or households}
    spec.update(extra)
    return spec


def _csv(folder: Path, df: pd.DataFrame, name: str = "roster.csv", encoding: str = "utf-8-sig") -> Path:
    p = folder / name
    p.write_bytes(D.csv_bytes(df, encoding))
    return p


def _bytes(folder: Path, name: str, data: bytes) -> Path:
    p = folder / name
    p.write_bytes(data)
    return p


def _rand(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def _good_file(folder: Path, fmt: str) -> Path:
    """The clean households (or, for dem/hgt, the elevation model) in format ``fmt``."""
    r = D.roster()
    if fmt == "csv":
        return _csv(folder, r)
    if fmt == "xlsx":
        return _bytes(folder, "roster.xlsx", D.xlsx_bytes(r))
    if fmt == "xls":
        return _bytes(folder, "roster.xls", D.xls_roster_bytes(r))
    if fmt in ("shp", "gpkg", "geojson"):
        return D.write_vector(D.households_gdf(), folder / f"households.{fmt}")
    if fmt == "kml":
        return D.write_vector(D.households_gdf()[["户数", "geometry"]], folder / "households.kml")
    if fmt == "kmz":
        kml = D.write_vector(D.households_gdf()[["户数", "geometry"]], folder / "_h.kml")
        return _bytes(folder, "households.kmz", D.kmz_bytes(kml.read_bytes()))
    if fmt == "zip":
        return D.shapefile_zip(D.households_gdf(), folder, "households")
    if fmt == "osm":
        return _bytes(folder, "households.osm", D.osm_xml_bytes())
    if fmt == "tif":
        return D.dem_tiff(folder / "dem.tif")
    if fmt == "hgt":
        return _bytes(folder, "N29E107.hgt", D.hgt_bytes())
    raise ValueError(fmt)


_NAMES = {"csv": "roster.csv", "xlsx": "roster.xlsx", "xls": "roster.xls", "shp": "households.shp",
          "gpkg": "households.gpkg", "geojson": "households.geojson", "kml": "households.kml",
          "kmz": "households.kmz", "zip": "households.zip", "osm": "households.osm",
          "pbf": "households.osm.pbf", "tif": "dem.tif", "hgt": "N29E107.hgt"}


def _as_input(folder: Path, fmt: str, path: Path) -> dict:
    """Options for a households file (or a DEM) of format ``fmt``."""
    if fmt in ("tif", "hgt"):
        return _std(folder, _csv(folder, D.roster()), dem=path, bad=path)
    return _std(folder, path)


# -- families -----------------------------------------------------------------------------------
FORMATS = ("csv", "xlsx", "xls", "shp", "gpkg", "geojson", "kml", "kmz", "zip", "osm", "pbf", "tif", "hgt")


def _empty(fmt: str):
    def make(folder: Path) -> dict:
        p = _bytes(folder, _NAMES[fmt], b"")
        if fmt == "shp":
            for s in (".shx", ".dbf"):
                _bytes(folder, "households" + s, b"")
        return _as_input(folder, fmt, p)
    return make


def _truncated(fmt: str):
    def make(folder: Path) -> dict:
        if fmt == "pbf":
            src = _pbf_source()
            data = src.read_bytes()
            p = _bytes(folder, _NAMES[fmt], data[: len(data) // 2])
            return _as_input(folder, fmt, p)
        p = _good_file(folder, fmt)
        data = p.read_bytes()
        if fmt == "shp":
            p.write_bytes(data[: len(data) // 2])  # the .shp geometry file cut in half
        else:
            p.write_bytes(data[: len(data) // 2])
        return _as_input(folder, fmt, p)
    return make


def _random(fmt: str):
    def make(folder: Path) -> dict:
        p = _bytes(folder, _NAMES[fmt], _rand(50_000, hash(fmt) & 0xFFFF))
        if fmt == "shp":
            _bytes(folder, "households.dbf", _rand(20_000, 2))
            _bytes(folder, "households.shx", _rand(2_000, 3))
        return _as_input(folder, fmt, p)
    return make


def _pbf_source() -> Path:
    from tests.conftest import SHARED
    return SHARED / "osm" / "liechtenstein-2024-03.osm.pbf"


def _csv_cut_mid_row(folder: Path) -> dict:
    r = D.roster()
    text = r.to_csv(index=False)
    lines = text.splitlines()
    last = lines[-1].split(",")
    cut = ",".join(last[:6]) + ","  # ends after 经度: no 纬度, no 户数
    p = folder / "roster.csv"
    p.write_bytes(("\n".join(lines[:-1] + [cut])).encode("utf-8"))
    return _std(folder, p)


def _dbf_cut(folder: Path) -> dict:
    shp = D.write_vector(D.households_gdf(), folder / "households.shp")
    dbf = shp.with_suffix(".dbf")
    data = dbf.read_bytes()
    header_len = struct.unpack("<H", data[8:10])[0]
    rec_len = struct.unpack("<H", data[10:12])[0]
    dbf.write_bytes(data[: header_len + rec_len * 150 + rec_len // 2])  # 150½ of 300 records
    return _std(folder, shp, bad=dbf)


def _shp_missing_dbf(folder: Path) -> dict:
    shp = D.write_vector(D.households_gdf(), folder / "households.shp")
    shp.with_suffix(".dbf").unlink()
    return _std(folder, shp)


# wrong extension: content of one format under another's name
def _misnamed(src_fmt: str, name: str):
    def make(folder: Path) -> dict:
        sub = folder / "_src"
        sub.mkdir(exist_ok=True)
        good = _good_file(sub, src_fmt)
        p = _bytes(folder, name, good.read_bytes())
        if name.endswith((".tif", ".hgt")):
            return _std(folder, _csv(folder, D.roster()), dem=p, bad=p)
        return _std(folder, p)
    return make


def _check_names_decoded(run: Run) -> str | None:
    import pyogrio
    try:
        df = pyogrio.read_dataframe(run.project, layer="households", read_geometry=False)
    except Exception as exc:
        return f"project unreadable: {exc}"
    text = " ".join(map(str, df.get("所属村", pd.Series(dtype=str)).dropna().unique()))
    return None if "东方广场社区" in text else f"village names garbled: {text[:60]!r}"


def _check_village_names(run: Run) -> str | None:
    import pyogrio
    df = pyogrio.read_dataframe(run.project, layer="villages", read_geometry=False)
    names = set(map(str, df["name"]))
    return None if "东方广场社区" in names else f"village names garbled: {sorted(names)[:3]}"


def _enc_csv(encoding: str, name: str = "roster.csv"):
    def make(folder: Path) -> dict:
        return _std(folder, _csv(folder, D.roster(), name, encoding))
    return make


def _gbk_shp_no_cpg(folder: Path) -> dict:
    v = D.write_vector(D.villages_gdf(), folder / "villages.shp", encoding="GBK")
    v.with_suffix(".cpg").unlink(missing_ok=True)
    return _std(folder, _csv(folder, D.roster()), villages=v, bad=v)


def _shp_cpg_lies(folder: Path) -> dict:
    v = D.write_vector(D.villages_gdf(), folder / "villages.shp", encoding="GBK")
    v.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")
    return _std(folder, _csv(folder, D.roster()), villages=v, bad=v)


def _mixed_encoding_csv(folder: Path) -> dict:
    r = D.roster()
    lines = r.to_csv(index=False).splitlines()
    out = [ln.encode("gbk" if i % 2 else "utf-8") for i, ln in enumerate(lines)]
    p = _bytes(folder, "roster.csv", b"\n".join(out) + b"\n")
    return _std(folder, p)


def _kml_wrong_declared_encoding(folder: Path) -> dict:
    data = D.villages_kml_bytes().replace(b'encoding="UTF-8"', b'encoding="GBK"')
    return _std(folder, _csv(folder, D.roster()), villages=_bytes(folder, "villages.kml", data),
                bad=folder / "villages.kml")


def _shp_cut_names(folder: Path) -> dict:
    # GDAL writes 户主姓名 (12 bytes in UTF-8) into dBase's 10-byte names, cutting a character.
    p = D.write_vector(D.households_gdf(), folder / "households.shp")
    return _std(folder, p)


def _html_as_xls(folder: Path) -> dict:
    # Government systems' "Excel" export: an HTML table saved as .xls.
    rows = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>"
                   for r in D.roster().astype(str).itertuples(index=False))
    html = ("<html><head><meta charset='utf-8'></head><body><table><tr>"
            + "".join(f"<th>{c}</th>" for c in D.roster().columns) + "</tr>" + rows + "</table></body></html>")
    return _std(folder, _bytes(folder, "roster.xls", html.encode("utf-8")))


# XML attacks -------------------------------------------------------------------------------
SECRET = "GRIDTOOL-XXE-SECRET-7f3a"


def _xxe(kmz: bool):
    def make(folder: Path) -> dict:
        secret = folder / "secret.txt"
        secret.write_text(SECRET, encoding="utf-8")
        kml = D.villages_kml_bytes().decode("utf-8")
        kml = kml.replace('<?xml version="1.0" encoding="UTF-8"?>\n',
                          f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE kml [<!ENTITY xxe SYSTEM '
                          f'"file://{secret}">]>\n').replace("<name>东方广场社区</name>", "<name>&xxe;</name>")
        data = kml.encode("utf-8")
        p = _bytes(folder, "villages.kmz" if kmz else "villages.kml", D.kmz_bytes(data) if kmz else data)
        spec = _std(folder, _csv(folder, D.roster()), villages=p, bad=p)
        spec["leak_marker"] = SECRET
        return spec
    return make


def _laughs(kind: str):
    def make(folder: Path) -> dict:
        if kind == "billion":
            ents = '<!ENTITY lol "lol">' + "".join(
                f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
            ref = "&lol9;"
        else:  # quadratic blow-up: one 50 KB entity referenced 20,000 times (1 GB)
            ents = f'<!ENTITY big "{"x" * 50_000}">'
            ref = "&big;" * 20_000
        kml = D.villages_kml_bytes().decode("utf-8").replace(
            '<?xml version="1.0" encoding="UTF-8"?>\n',
            f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE kml [{ents}]>\n').replace(
            "<description>500101001001</description>", f"<description>{ref}</description>")
        p = _bytes(folder, "villages.kml", kml.encode("utf-8"))
        return _std(folder, _csv(folder, D.roster()), villages=p, bad=p)
    return make


def _osm_laughs(folder: Path) -> dict:
    ents = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    xml = D.osm_xml_bytes().decode("utf-8").replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n', f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE osm [{ents}]>\n')
    xml = xml.replace('<tag k="building" v="apartments"/>', '<tag k="building" v="apartments"/><tag k="note" v="&lol9;"/>', 1)
    return _std(folder, _bytes(folder, "households.osm", xml.encode("utf-8")))


# archives ------------------------------------------------------------------------------------
def _zip_members(folder: Path, name: str, members: dict[str, bytes]) -> Path:
    p = folder / name
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        for m, b in members.items():
            zf.writestr(m, b)
    return p


def _shp_members(folder: Path) -> dict[str, bytes]:
    src = folder / "_shp"
    src.mkdir(exist_ok=True)
    shp = D.write_vector(D.households_gdf(), src / "households.shp")
    return {f.name: f.read_bytes() for f in sorted(src.iterdir()) if f.stem == shp.stem}


def _zip_traversal(prefix: str):
    def make(folder: Path) -> dict:
        inner = folder / "inner"
        inner.mkdir()
        members = {prefix + k: v for k, v in _shp_members(folder).items()}
        p = _zip_members(inner, "households.zip", members)
        spec = _std(folder, p)
        target = (inner / prefix).resolve() if not prefix.startswith("/") else Path(prefix)
        spec["outside"] = [str(target / "households.shp"), str(folder / "evil.shp"), "/tmp/evil_gridtool.shp"]
        return spec
    return make


def _zip_bomb(size_mb: int, member: str = "households.dbf"):
    def make(folder: Path) -> dict:
        members = _shp_members(folder)
        p = folder / "households.zip"
        with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for m, b in members.items():
                if m != member:
                    zf.writestr(m, b)
            with zf.open(member, "w", force_zip64=True) as fh:
                fh.write(members.get(member, b""))
                chunk = b"\0" * (1 << 20)
                for _ in range(size_mb):
                    fh.write(chunk)
        return _std(folder, p)
    return make


def _kmz_bomb(folder: Path) -> dict:
    p = folder / "villages.kmz"
    kml = D.villages_kml_bytes()
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("doc.kml", "w", force_zip64=True) as fh:
            fh.write(kml.replace(b"</kml>", b""))
            chunk = b" " * (1 << 20)
            for _ in range(300):
                fh.write(chunk)
            fh.write(b"</kml>")
    return _std(folder, _csv(folder, D.roster()), villages=p, bad=p)


def _zip_many_members(folder: Path) -> dict:
    p = folder / "households.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_STORED) as zf:
        for m, b in _shp_members(folder).items():
            zf.writestr(m, b)
        for i in range(60_000):
            zf.writestr(f"junk/{i:05d}.txt", b"")
    return _std(folder, p)


def _zip_nested(folder: Path) -> dict:
    sub = folder / "_n"
    sub.mkdir()
    inner = D.shapefile_zip(D.households_gdf(), sub, "households")
    p = _zip_members(folder, "outer.zip", {"households.zip": inner.read_bytes()})
    return _std(folder, p)


def _zip_encrypted(folder: Path) -> dict:
    # A zip whose members are flagged encrypted (as made by WinRAR with a password).
    members = _shp_members(folder)
    p = _zip_members(folder, "households.zip", members)
    data = bytearray(p.read_bytes())
    # The encryption bit of the general-purpose flags: local headers (offset 6), central directory (8).
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(signature)
        while i >= 0:
            data[i + flags_at] |= 1
            i = data.find(signature, i + 4)
    p.write_bytes(bytes(data))
    return _std(folder, p)


# numbers -------------------------------------------------------------------------------------
def _hh(values, rows=None, *, fmt: str = "csv"):
    """The roster with 户数 replaced (all rows, or the given rows) by ``values`` (text allowed)."""
    def make(folder: Path) -> dict:
        r = D.roster().copy()
        r["户数"] = r["户数"].astype(object)
        idx = list(range(len(r))) if rows is None else list(rows)
        vals = values if isinstance(values, list) else [values] * len(idx)
        for i, v in zip(idx, vals):
            r.at[i, "户数"] = v
        if fmt == "xlsx":
            return _std(folder, _bytes(folder, "roster.xlsx", D.xlsx_bytes(r)))
        return _std(folder, _csv(folder, r))
    return make


def _coords(lon=None, lat=None, rows=(5,), swap: bool = False):
    def make(folder: Path) -> dict:
        r = D.roster().copy()
        r["经度"] = r["经度"].astype(object)
        r["纬度"] = r["纬度"].astype(object)
        if swap:
            r["经度"], r["纬度"] = D.roster()["纬度"].values, D.roster()["经度"].values
        for i in rows:
            if lon is not None:
                r.at[i, "经度"] = lon
            if lat is not None:
                r.at[i, "纬度"] = lat
        return _std(folder, _csv(folder, r))
    return make


# duplicates ----------------------------------------------------------------------------------
def _pasted(times: int, *, with_header: bool = False, fmt: str = "csv"):
    def make(folder: Path) -> dict:
        r = D.roster()
        if fmt == "xlsx":
            frames = [r] * times
            big = pd.concat(frames, ignore_index=True)
            return _std(folder, _bytes(folder, "roster.xlsx", D.xlsx_bytes(big)))
        lines = r.to_csv(index=False).splitlines()
        body = lines[1:]
        out = [lines[0]] + body
        for _ in range(times - 1):
            out += ([lines[0]] if with_header else []) + body
        p = _bytes(folder, "roster.csv", ("\n".join(out) + "\n").encode("utf-8-sig"))
        return _std(folder, p)
    return make


def _identical_rows(n: int):
    def make(folder: Path) -> dict:
        r = D.roster()
        big = pd.concat([r.iloc[:100], pd.DataFrame([r.iloc[100]] * n)], ignore_index=True)
        return _std(folder, _csv(folder, big))
    return make


def _dup_ids(folder: Path) -> dict:
    r = D.roster().copy()
    r.loc[[10, 20, 30], "身份证号"] = r.loc[5, "身份证号"]
    return _std(folder, _csv(folder, r))


def _dup_rows_scattered(folder: Path) -> dict:
    r = D.roster()
    extra = r.iloc[[3, 50, 120, 240]]
    big = pd.concat([r.iloc[:150], extra, r.iloc[150:]], ignore_index=True)
    return _std(folder, _csv(folder, big))


def _dup_village(folder: Path) -> dict:
    v = D.villages_gdf()
    v = pd.concat([v, v.iloc[[1]]], ignore_index=True)
    p = D.write_vector(gpd.GeoDataFrame(v, crs=4326), folder / "villages.geojson")
    return _std(folder, _csv(folder, D.roster()), villages=p, bad=p)


def _same_place_households(folder: Path) -> dict:
    # An apartment block: 120 different households (own names and IDs) at one point.
    r = D.roster().copy()
    r.loc[:119, "经度"] = r.loc[0, "经度"]
    r.loc[:119, "纬度"] = r.loc[0, "纬度"]
    r.loc[:119, "所属村"] = r.loc[0, "所属村"]
    return _std(folder, _csv(folder, r))


# geometry ------------------------------------------------------------------------------------
def _village_geoms(geoms: dict[int, object], fmt: str = "gpkg"):
    def make(folder: Path) -> dict:
        v = D.villages_gdf()
        v["geometry"] = [geoms.get(i, g) for i, g in enumerate(v.geometry)]
        p = D.write_vector(v, folder / f"villages.{fmt}")
        return _std(folder, _csv(folder, D.roster()), villages=p, bad=p)
    return make


_V1 = D.villages_gdf().geometry.iloc[1]
_BOWTIE = Polygon([(_V1.bounds[0], _V1.bounds[1]), (_V1.bounds[2], _V1.bounds[3]),
                   (_V1.bounds[2], _V1.bounds[1]), (_V1.bounds[0], _V1.bounds[3])])
_GC = GeometryCollection([_V1, Point(107.815, 29.5045)])
_FLAT = Polygon([(_V1.bounds[0], _V1.bounds[1]), (_V1.bounds[2], _V1.bounds[1]),
                 ((_V1.bounds[0] + _V1.bounds[2]) / 2, _V1.bounds[1])])


def _lines_as_villages(folder: Path) -> dict:
    p = D.write_vector(D.roads_gdf(), folder / "villages.geojson")
    return _std(folder, _csv(folder, D.roster()), villages=p, bad=p)


def _gpkg_blob(kind: str):
    def make(folder: Path) -> dict:
        p = D.write_vector(D.households_gdf(), folder / "households.gpkg", layer="households")
        blob = D.gpkg_header_point_blob(107.81, 29.505)
        D.geometry_blob_gpkg(p, _rand(60, 9) if kind == "random" else blob[:13], row=7)
        return _std(folder, p)
    return make


def _households_polygons_invalid(folder: Path) -> dict:
    h = D.households_gdf()
    d = 0.00004
    polys = []
    for i, pt in enumerate(h.geometry):
        x, y = pt.x, pt.y
        if i % 10 == 0:  # a bow-tie footprint
            polys.append(Polygon([(x - d, y - d), (x + d, y + d), (x + d, y - d), (x - d, y + d)]))
        else:
            polys.append(box(x - d, y - d, x + d, y + d))
    h["geometry"] = polys
    p = D.write_vector(h, folder / "households.gpkg")
    return _std(folder, p)


def _null_geometries(folder: Path) -> dict:
    h = D.households_gdf()
    h.loc[[2, 4, 8], "geometry"] = None
    p = D.write_vector(h, folder / "households.geojson")
    return _std(folder, p)


def _mixed_geometry_households(folder: Path) -> dict:
    h = D.households_gdf()
    h.loc[[1, 2], "geometry"] = [LineString([(107.801, 29.501), (107.802, 29.502)])] * 2
    p = D.write_vector(h, folder / "households.gpkg")
    return _std(folder, p)


def _overlapping_multipolygon(folder: Path) -> dict:
    a = _V1
    b = box(a.bounds[0] + 0.002, a.bounds[1] + 0.002, a.bounds[2] - 0.002, a.bounds[3] - 0.002)
    return _village_geoms({1: MultiPolygon([a, b])})(folder)


# layout --------------------------------------------------------------------------------------
def _villages_shifted(dlon: float, dlat: float):
    def make(folder: Path) -> dict:
        v = D.villages_gdf()
        v["geometry"] = v.geometry.translate(dlon, dlat)
        p = D.write_vector(v, folder / "villages.geojson")
        return _std(folder, _csv(folder, D.roster()), villages=p, bad=p)
    return make


def _dem_far(folder: Path) -> dict:
    dem = D.dem_tiff(folder / "dem.tif", lon0=D.LON0 + 10, lat0=D.LAT0 + 10)
    return _std(folder, _csv(folder, D.roster()), dem=dem, bad=dem)


def _dem_metres_no_crs(folder: Path) -> dict:
    import rasterio
    from rasterio.transform import from_origin
    p = folder / "dem.tif"
    with rasterio.open(p, "w", driver="GTiff", width=50, height=50, count=1, dtype="float32",
                       transform=from_origin(480_000, 3_266_000, 30, 30)) as dst:
        dst.write(np.full((50, 50), 300, dtype="float32"), 1)
    return _std(folder, _csv(folder, D.roster()), dem=p, bad=p)


def _roads_far(folder: Path) -> dict:
    r = D.roads_gdf()
    r["geometry"] = r.geometry.translate(5, 0)
    p = D.write_vector(r, folder / "roads.geojson")
    spec = _std(folder, _csv(folder, D.roster()), bad=p)
    spec["roads"] = p
    return spec


def _half_outside(folder: Path) -> dict:
    v = D.villages_gdf().iloc[:1]
    p = D.write_vector(v, folder / "villages.geojson")
    return _std(folder, _csv(folder, D.roster()), villages=p, bad=p)


def _all_zero_coords(folder: Path) -> dict:
    r = D.roster().copy()
    r["经度"] = 0.0
    r["纬度"] = 0.0
    return _std(folder, _csv(folder, r))


# scale ---------------------------------------------------------------------------------------
def _many_villages(n: int):
    def make(folder: Path) -> dict:
        side = int(np.ceil(np.sqrt(n)))
        cell = 0.0005
        ix, iy = np.divmod(np.arange(n), side)
        x0, y0 = D.LON0 + ix * cell, D.LAT0 + iy * cell
        v = gpd.GeoDataFrame({"名称": [f"村{i:06d}" for i in range(n)], "区划代码": [f"5001010{i:05d}" for i in range(n)]},
                             geometry=[box(a, b, a + cell, b + cell) for a, b in zip(x0, y0)], crs=4326)
        vp = D.write_vector(v, folder / "villages.gpkg")
        r = pd.DataFrame({"经度": (x0 + cell / 2).round(7), "纬度": (y0 + cell / 2).round(7), "户数": 1})
        return _std(folder, _csv(folder, r), villages=vp, bad=vp)
    return make


def _million_rows(folder: Path) -> dict:
    n = 1_000_000
    rng = np.random.default_rng(1)
    v = rng.integers(0, 3, n)
    r = pd.DataFrame({"序号": np.arange(1, n + 1), "所属村": np.array([x for x, _ in D.VILLAGES])[v],
                      "经度": (D.LON0 + v * D.DX + 0.0005 + rng.random(n) * (D.DX - 0.001)).round(6),
                      "纬度": (D.LAT0 + 0.0005 + rng.random(n) * (D.DY - 0.001)).round(6), "户数": 1})
    return _std(folder, _csv(folder, r))


def _wide_csv(ncols: int):
    def make(folder: Path) -> dict:
        p = folder / "roster.csv"
        r = D.roster().iloc[:50]
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(",".join(list(r.columns) + [f"c{i}" for i in range(ncols)]) + "\n")
            pad = "," * ncols
            for row in r.astype(str).itertuples(index=False):
                fh.write(",".join(row) + pad + "\n")
        return _std(folder, p)
    return make


def _huge_field(folder: Path) -> dict:
    r = D.roster().copy()
    r["备注"] = ""
    r.at[7, "备注"] = "很长的备注" * 40_000  # 200,000 characters, 600 KB
    return _std(folder, _csv(folder, r))


def _unclosed_quote(folder: Path) -> dict:
    r = D.roster().copy()
    r["备注"] = ""
    text = r.to_csv(index=False).splitlines()
    text[12] = text[12] + '"未闭合的引号'  # the rest of the file becomes one field
    p = _bytes(folder, "roster.csv", ("\n".join(text) + "\n").encode("utf-8"))
    return _std(folder, p)


def _big_village(folder: Path) -> dict:
    return _hh(9_999)(folder)  # 300 points × 9,999 = 3 million households in three villages


def _dem_huge(folder: Path) -> dict:
    """A GeoTIFF that declares 30,000 × 30,000 cells (900 million) but stores none (sparse)."""
    import rasterio
    from rasterio.transform import from_origin
    p = folder / "dem.tif"
    with rasterio.open(p, "w", driver="GTiff", width=30_000, height=30_000, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(D.LON0 - 1, D.LAT0 + 1, 0.0001, 0.0001),
                       tiled=True, sparse_ok=True, compress="deflate"):
        pass
    return _std(folder, _csv(folder, D.roster()), dem=p, bad=p)


def _check_total(expected: int):
    def check(run: Run) -> str | None:
        rep = run.report or {}
        got = rep.get("plan", {}).get("households")
        return None if got == expected else f"{got} households, right is {expected}"
    return check


# -- the list -----------------------------------------------------------------------------------
def cases(*, heavy: bool = True) -> list[Case]:
    out: list[Case] = []
    add = out.append
    for fmt in FORMATS:
        add(Case("format:empty", fmt, _empty(fmt)))
    for fmt in FORMATS:
        if fmt == "pbf" and not _pbf_source().exists():
            continue
        if fmt == "csv":
            r = D.roster()
            add(Case("format:truncated", "csv-cut-mid-row", _csv_cut_mid_row, expect="flag",
                     codes=("bad_coordinates",), mentions=("row 301",), then="run",
                     total=TOTAL - int(r["户数"].iloc[-1])))
            continue
        if fmt == "osm":
            add(Case("format:truncated", "osm", _truncated(fmt), expect="refuse_or_flag",
                     codes=("truncated_file",)))
            continue
        add(Case("format:truncated", fmt, _truncated(fmt)))
    add(Case("format:truncated", "dbf-cut-mid-record", _dbf_cut))
    add(Case("format:truncated", "shp-without-dbf", _shp_missing_dbf, mentions=("households.dbf",)))
    for fmt in FORMATS:
        add(Case("format:random", fmt, _random(fmt)))
    for src, name in (("xlsx", "roster.csv"), ("csv", "roster.xlsx"), ("geojson", "households.kml"),
                      ("gpkg", "households.geojson"), ("kml", "households.csv"), ("tif", "N29E107.hgt"),
                      ("csv", "roster.xls"), ("xls", "roster.xlsx")):
        add(Case("format:misnamed", f"{src}-as-{name.split('.', 1)[1]}", _misnamed(src, name),
                 expect="refuse_or_complete", total=TOTAL))
    add(Case("format:misnamed", "tab-separated-txt", lambda f: _std(f, _bytes(
        f, "roster.txt", D.roster().to_csv(index=False, sep="\t").encode("utf-8"))), expect="complete", total=TOTAL))

    add(Case("encoding", "gbk-csv", _enc_csv("gbk"), expect="complete", total=TOTAL, check=_check_names_decoded))
    add(Case("encoding", "gb18030-csv", _enc_csv("gb18030"), expect="complete", total=TOTAL,
             check=_check_names_decoded))
    add(Case("encoding", "utf16-csv", _enc_csv("utf-16"), expect="complete", total=TOTAL,
             check=_check_names_decoded))
    add(Case("encoding", "gbk-shp-no-cpg", _gbk_shp_no_cpg, expect="complete", total=TOTAL,
             check=_check_village_names))
    add(Case("encoding", "shp-cpg-says-utf8-is-gbk", _shp_cpg_lies, expect="refuse_or_complete", total=TOTAL,
             check=_check_village_names))
    add(Case("encoding", "shp-field-names-cut-mid-character", _shp_cut_names, expect="complete",
             codes=("field_names_cut",), total=TOTAL))
    add(Case("format:misnamed", "html-table-as-xls", _html_as_xls, mentions=("Excel",)))
    add(Case("encoding", "mixed-gbk-utf8-csv", _mixed_encoding_csv, expect="refuse_or_complete", total=TOTAL))
    add(Case("encoding", "kml-declares-gbk", _kml_wrong_declared_encoding, expect="refuse_or_complete", total=TOTAL,
             check=_check_village_names))

    add(Case("xml", "kml-xxe", _xxe(False), expect="refuse_or_complete", total=TOTAL))
    add(Case("xml", "kmz-xxe", _xxe(True), expect="refuse_or_complete", total=TOTAL))
    add(Case("xml", "kml-billion-laughs", _laughs("billion"), expect="refuse_or_complete", total=TOTAL))
    add(Case("xml", "kml-quadratic-blowup", _laughs("quadratic"), expect="refuse_or_complete", total=TOTAL))
    add(Case("xml", "osm-billion-laughs", _osm_laughs, expect="refuse_or_complete", total=TOTAL))

    add(Case("archive", "zip-dotdot-traversal", _zip_traversal("../../"), expect="refuse_or_complete", total=TOTAL))
    add(Case("archive", "zip-absolute-path", _zip_traversal("/tmp/"), expect="refuse_or_complete", total=TOTAL))
    add(Case("archive", "zip-bomb-dbf-200MB", _zip_bomb(200)))
    add(Case("archive", "kmz-bomb-300MB", _kmz_bomb))
    add(Case("archive", "zip-60000-members", _zip_many_members, expect="refuse_or_complete", total=TOTAL))
    add(Case("archive", "zip-inside-zip", _zip_nested, expect="refuse_or_complete", total=TOTAL))
    add(Case("archive", "zip-encrypted", _zip_encrypted))
    if heavy:
        add(Case("archive", "zip-bomb-dbf-1GiB", _zip_bomb(1024), heavy=True))

    add(Case("numbers", "hh-text-NaN", _hh("NaN", rows=[3, 4]), expect="flag", codes=("hh_not_numeric",),
             mentions=("row 5",), then="refuse"))
    add(Case("numbers", "hh-empty-cells", _hh("", rows=[9]), expect="flag", codes=("hh_not_numeric",),
             mentions=("row 11",), then="refuse"))
    add(Case("numbers", "hh-inf", _hh("inf", rows=[6]), expect="refuse_or_flag", codes=("hh_not_finite",),
             mentions=("row 8",), then="refuse"))
    add(Case("numbers", "hh-minus-inf", _hh("-inf", rows=[6]), expect="refuse_or_flag", codes=("hh_not_finite",),
             then="refuse"))
    add(Case("numbers", "hh-1e400", _hh("1e400", rows=[6]), expect="refuse_or_flag", codes=("hh_not_finite",),
             then="refuse"))
    add(Case("numbers", "hh-negative", _hh(-3, rows=[2]), expect="flag", codes=("hh_not_positive",),
             mentions=("row 4",), then="refuse"))
    add(Case("numbers", "hh-1e12-one-row", _hh(1e12, rows=[0]), expect="refuse_or_flag", codes=("hh_absurd",),
             mentions=("row 2",), then="refuse"))
    add(Case("numbers", "hh-1e12-every-row", _hh(1e12), expect="refuse_or_flag", codes=("hh_absurd",),
             then="refuse"))
    add(Case("numbers", "hh-1e12-xlsx", _hh(1e12, rows=[0], fmt="xlsx"), expect="refuse_or_flag",
             codes=("hh_absurd",), then="refuse"))
    add(Case("numbers", "hh-3-million-per-village", _big_village, expect="refuse_or_flag",
             codes=("village_too_large",), then="refuse"))
    add(Case("numbers", "hh-fraction", _hh(2.5, rows=[1]), expect="flag", codes=("hh_not_integer",), then="either"))
    add(Case("numbers", "hh-fullwidth-and-units", _hh(["３", "3户", " 2 "], rows=[0, 1, 2]), expect="complete",
             total=TOTAL - int(D.roster()["户数"].iloc[:3].sum()) + 8))
    add(Case("numbers", "coord-NaN", _coords(lon="NaN"), expect="flag", codes=("bad_coordinates",),
             mentions=("row 7",), then="run", total=TOTAL - int(D.roster()["户数"].iloc[5])))
    row7 = TOTAL - int(D.roster()["户数"].iloc[5])
    add(Case("numbers", "coord-inf", _coords(lon="inf"), expect="refuse_or_flag", mentions=("row 7",),
             codes=("bad_coordinates|unprojectable_coordinates",), then="run", total=row7))
    add(Case("numbers", "coord-1e300", _coords(lon=1e300), expect="refuse_or_flag", mentions=("row 7",),
             codes=("stray_coordinates|unprojectable_coordinates",), then="run", total=row7))
    add(Case("numbers", "lat-95", _coords(lat=95.0), expect="refuse_or_flag", mentions=("row 7",),
             codes=("stray_coordinates|unprojectable_coordinates",), then="run", total=row7))
    add(Case("numbers", "lonlat-swapped", _coords(swap=True, rows=()), expect="refuse"))
    add(Case("numbers", "all-coords-zero", _all_zero_coords, expect="refuse_or_flag",
             codes=("layers_far_apart",), then="refuse"))

    add(Case("duplicates", "roster-pasted-twice", _pasted(2), expect="flag", codes=("roster_repeated",),
             mentions=("302",), then="refuse"))
    add(Case("duplicates", "roster-pasted-3x", _pasted(3), expect="flag", codes=("roster_repeated",),
             mentions=("602",), then="refuse"))
    add(Case("duplicates", "roster-pasted-3x-with-headers", _pasted(3, with_header=True), expect="flag",
             codes=("roster_repeated",), then="refuse"))
    add(Case("duplicates", "roster-pasted-twice-xlsx", _pasted(2, fmt="xlsx"), expect="flag",
             codes=("roster_repeated",), mentions=("302",), then="refuse"))
    add(Case("duplicates", "400-identical-rows", _identical_rows(400), expect="flag", codes=("duplicate_rows",),
             then="refuse"))
    add(Case("duplicates", "rows-repeated-scattered", _dup_rows_scattered, expect="flag", codes=("duplicate_rows",),
             mentions=("row 5",), then="refuse"))
    add(Case("duplicates", "duplicate-id-numbers", _dup_ids, expect="flag", codes=("duplicate_id",),
             mentions=("row 7",), then="refuse"))
    add(Case("duplicates", "village-twice", _dup_village, expect="flag", codes=("duplicate_village_name",),
             then="either", total=TOTAL))
    add(Case("duplicates", "apartment-block-one-point", _same_place_households, expect="complete", total=TOTAL))

    add(Case("geometry", "village-geometry-collection", _village_geoms({1: _GC}), expect="refuse_or_flag",
             codes=("wrong_geometry_type",), then="either"))
    add(Case("geometry", "village-self-crossing", _village_geoms({1: _BOWTIE}), expect="flag",
             codes=("invalid_geometry",), then="either"))
    add(Case("geometry", "village-zero-area", _village_geoms({1: _FLAT}), expect="flag",
             codes=("degenerate_geometry",), then="either"))
    add(Case("geometry", "village-multipolygon-overlapping-parts", _overlapping_multipolygon, expect="flag",
             codes=("invalid_geometry",), then="either", total=TOTAL))
    add(Case("geometry", "villages-are-lines", _lines_as_villages))
    add(Case("geometry", "gpkg-random-geometry-blob", _gpkg_blob("random"), expect="refuse_or_flag",
             codes=("empty_geometry",), mentions=("8",), then="either"))
    add(Case("geometry", "gpkg-truncated-geometry-blob", _gpkg_blob("truncated"), expect="refuse_or_flag",
             codes=("empty_geometry",), then="either"))
    add(Case("geometry", "household-footprints-bowtie", _households_polygons_invalid, expect="flag",
             codes=("invalid_geometry",), then="run", total=TOTAL))
    add(Case("geometry", "null-geometries", _null_geometries, expect="flag", codes=("empty_geometry",), then="run",
             total=TOTAL - int(D.roster()["户数"].iloc[[2, 4, 8]].sum())))
    add(Case("geometry", "lines-among-households", _mixed_geometry_households, expect="flag",
             codes=("wrong_geometry_type",), then="run", total=TOTAL - int(D.roster()["户数"].iloc[[1, 2]].sum())))

    add(Case("layout", "villages-5-degrees-away", _villages_shifted(5, 0), expect="refuse_or_flag",
             codes=("layers_far_apart",), then="refuse"))
    add(Case("layout", "roads-500-km-away", _roads_far, expect="flag", codes=("layers_far_apart",), then="either"))
    add(Case("layout", "dem-10-degrees-away", _dem_far, expect="refuse_or_flag", codes=("dem_outside_data",),
             then="either"))
    add(Case("layout", "dem-metres-without-crs", _dem_metres_no_crs))
    add(Case("layout", "households-outside-villages", _half_outside, expect="flag",
             codes=("household_outside_villages",), then="either"))

    add(Case("scale", "field-over-128KB", _huge_field, expect="refuse_or_complete", total=TOTAL, mentions=("row 9",)))
    add(Case("scale", "unclosed-quote", _unclosed_quote, expect="refuse", mentions=("line 13",)))
    add(Case("scale", "csv-10000-columns", _wide_csv(10_000), expect="refuse"))
    add(Case("scale", "dem-900-million-cells", _dem_huge, mentions=("dem_cells",)))
    add(Case("scale", "csv-million-columns", _wide_csv(1_000_000), expect="refuse"))
    if heavy:
        add(Case("scale", "100000-one-household-villages", _many_villages(100_000), expect="flag",
                 codes=("too_many_villages",), then="refuse", heavy=True, timeout=900,
                 partition_args=("--min", "1", "--max", "2", "--no-subgrids")))
        add(Case("scale", "million-row-roster", _million_rows, expect="flag", codes=("village_too_large",),
                 then="refuse", heavy=True, timeout=900))
    return out
