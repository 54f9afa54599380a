"""OpenStreetMap extracts (``.osm.pbf`` and ``.osm`` XML) read into gridtool's role layers.

What it does
------------
``read_osm_role(path, role)`` reads one OSM extract with GDAL's OSM driver (through
``pyogrio.read_dataframe(path, layer="points" | "lines" | "multipolygons")``) and returns one role
layer of gridtool's schema (see ``docs/DESIGN.md`` and :mod:`gridtool.roles`), always in EPSG:4326,
with an ``osm_id`` column (``"n123"`` node, ``"w123"`` way, ``"r123"`` relation):

=============  =====================================================================================
role           what is taken from OSM, and the columns
=============  =====================================================================================
households     residential buildings (polygons): ``building``, ``levels``, ``area_m2``, ``flats``,
               ``hh``, ``hh_method``
villages       ``boundary=administrative`` polygons at one ``admin_level``: ``name``, ``code``,
               ``admin_level``
roads          ``highway=*`` lines: ``class``, ``oneway``, ``name``, ``bridge``, ``tunnel``,
               ``maxspeed``
rivers         waterway lines (river, stream, canal, drain, ditch) and river-water polygons:
               ``name``, ``kind``
railways       rail, light_rail, narrow_gauge, subway, tram, funicular: ``name``, ``kind``,
               ``bridge``, ``tunnel``
forest         forest/wood and farmland-like landuse polygons: ``kind`` (``forest`` or
               ``farmland``), ``landuse`` (the OSM value), ``name``
places         points and polygons of schools, hospitals, markets, police, cameras, ...:
               ``category`` (a key of :data:`gridtool.roles.PLACE_CATEGORIES`), ``name``
=============  =====================================================================================

Every tag read here is a column of its own: the extract is opened with gridtool's
``gridtool/io/osmconf.ini`` (GDAL's ``CONFIG_FILE`` open option; GDAL's default polygon rules,
more attributes, no ``other_tags`` hstore string to parse). A tag the reader asks for that the
configuration lacks is an error (``RuntimeError``), never a silent None.

Names prefer ``name:zh`` and fall back to ``name``. Invalid OSM areas (self-crossing or
self-touching rings) are repaired with ``make_valid`` (polygonal parts kept); areas with one part
are plain Polygons.

Residential buildings (:func:`select_residential`)
---------------------------------------------------
A building is residential when ``building`` is one of ``residential, house, apartments, detached,
semidetached_house, terrace, farm, dormitory, bungalow``; or when ``building=yes``, its footprint is
at least 40 m², it carries no amenity/shop/office/tourism/craft/leisure/healthcare tag, and its
representative point lies inside a ``landuse=residential`` polygon (only when the landuse layer is
available). Everything else (garages, sheds, barns, offices, schools, ...) is left out.

Households per building (:func:`estimate_households`) -- an ESTIMATE, not census data
-------------------------------------------------------------------------------------
1. ``building:flats`` tagged: ``hh = flats`` (at least 1), ``hh_method = "tagged"``.
2. Otherwise (``hh_method = "estimated"``)::

       floor area   = footprint (m², in the local UTM zone) × levels
       households x = floor area / (floor area per household of the building type)

   ``levels`` is ``building:levels`` when tagged (used when 1–100), else the type's default.
   The table (:data:`HOUSEHOLD_RULES`) gives the default levels, the gross floor area per
   household (walls and stairs included; the dwelling is a usable share of 0.8 of it) and a cap::

       building                                   levels  m² per household   households
                                                          gross (usable)
       house, detached, semidetached_house, farm  2       300 (240)          1–2
       bungalow                                   1       300 (240)          1–2
       terrace (a row of houses)                  2       125 (100)          >= 1
       apartments, dormitory                      4       100 (80)           >= 1
       residential                                3       100 (80)           >= 1
       yes (inside residential landuse)           2       125 (100)          >= 1
       anything else                              3       100 (80)           >= 1

   ``residential`` or ``yes`` buildings with a footprint under 200 m² and at most 3 tagged
   levels follow the house rule.
   A single-family house is one household, two when it is large (a granny flat); flats are
   80 m² usable, a common size for Chinese apartments; ``building=yes`` is less certain to be
   all homes, hence 100 m².
3. ``x`` is rounded *stochastically* (``floor(x + u)``, ``u`` uniform in [0, 1)) so that totals are
   unbiased; ``u`` is a hash of ``(seed, osm_id)`` (or of the row index when there is no
   ``osm_id``), so the result is deterministic for a seed and does not depend on row order or on
   which other buildings are in the frame. Finally ``hh >= 1``.

Dense Chinese cities have higher blocks: pass your own table to
``_estimate_households(..., rules=...)`` (``tools/build_sample_data.py`` uses 6 levels for
untagged apartment blocks in the Nanjing sample).

Villages and ``admin_level``
----------------------------
``admin_level=None`` picks the most detailed level (the largest number ≤ 10) that has at least two
polygons and whose polygons hold at least half of the data (representative points of the
buildings, or of all areas when there are no buildings). If no level qualifies, the level covering
the most data wins. ``code`` is the first of ``ref``, ``ref:adcode``, ``ref:admin``, other national
code tags (e.g. ``de:amtlicher_gemeindeschluessel``, ``ref:INSEE``), ``ISO3166-2``; else None.

Places
------
A place mapped both as a node and as an area of the same category (a school node inside the school
campus) is kept once, as the area; the area takes the node's name when it has none.

Why hand-written
----------------
osmnx builds road graphs (and fetches features by tag) but does not turn an extract into these
role layers, choose residential buildings or estimate households; no maintained library does.
GDAL's OSM driver (through pyogrio) already reads both .pbf and XML quickly, so this module only
selects, normalises and estimates.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Callable, Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridtool.errors import (EmptyLayerError, InputFileError, MissingColumnError, UnknownRoleError,
                             UnsupportedFormatError)
from gridtool.io.files import check_exists, plain_reason
from gridtool.plurals import plural_en

__all__ = [
    "read_osm_role",
    "osm_roles_available",
    "estimate_households",
    "select_residential",
    "OSM_ROLES",
    "RESIDENTIAL_BUILDINGS",
    "DEFAULT_LEVELS",
    "HOUSEHOLD_RULES",
]

#: Roles this module reads, in the order of :data:`gridtool.roles.VECTOR_ROLES`.
OSM_ROLES = ("households", "villages", "roads", "rivers", "railways", "forest", "places")

#: ``building=*`` values that are residential by themselves.
RESIDENTIAL_BUILDINGS = frozenset({
    "residential", "house", "apartments", "detached", "semidetached_house", "terrace", "farm",
    "dormitory", "bungalow",
})
#: building value -> (default levels, gross floor area m² per household, max households or None).
HOUSEHOLD_RULES: dict[str, tuple[float, float, int | None]] = {
    "house": (2, 300.0, 2), "detached": (2, 300.0, 2), "semidetached_house": (2, 300.0, 2),
    "farm": (2, 300.0, 2), "bungalow": (1, 300.0, 2),
    "terrace": (2, 125.0, None),
    "apartments": (4, 100.0, None), "dormitory": (4, 100.0, None),
    "residential": (3, 100.0, None),
    "yes": (2, 125.0, None),
}
#: Rule for building types missing from the table.
FALLBACK_RULE: tuple[float, float, int | None] = (3, 100.0, None)
#: ``residential``/``yes`` buildings with a smaller footprint follow the ``house`` rule.
SMALL_FOOTPRINT_M2 = 200.0
#: ... unless they have more levels than this tagged (a small tower is flats).
SMALL_MAX_LEVELS = 3
#: Minimum footprint of a ``building=yes`` counted as residential.
MIN_YES_FOOTPRINT_M2 = 40.0
#: Default levels by building type (from :data:`HOUSEHOLD_RULES`).
DEFAULT_LEVELS: dict[str, float] = {k: v[0] for k, v in HOUSEHOLD_RULES.items()}

# Tags that make a building=yes something other than a home.
_NON_RESIDENTIAL_KEYS = ("amenity", "shop", "office", "tourism", "craft", "leisure", "healthcare")

_EXTENSIONS = (".pbf", ".osm")
_TRUE = frozenset({"yes", "true", "1"})

_HIGHWAY_EXCLUDED = frozenset({
    "proposed", "construction", "platform", "raceway", "bus_stop", "abandoned", "disused",
    "razed", "no", "services", "rest_area", "elevator",
})
_WATERWAY_LINES = frozenset({"river", "stream", "canal", "drain", "ditch"})
_RIVER_WATER = frozenset({"river", "canal", "stream", "riverbank"})
_RAILWAYS = frozenset({"rail", "light_rail", "narrow_gauge", "subway", "tram", "funicular"})
_FOREST = frozenset({"forest"})
_FARMLAND = frozenset({"farmland", "meadow", "orchard", "vineyard", "farmyard"})

# (key, value) -> place category
_PLACE_TAGS: dict[tuple[str, str], str] = {
    ("amenity", "school"): "school",
    ("amenity", "kindergarten"): "kindergarten",
    ("amenity", "hospital"): "hospital",
    ("amenity", "clinic"): "clinic",
    ("amenity", "doctors"): "clinic",
    ("amenity", "marketplace"): "market",
    ("amenity", "bank"): "bank",
    ("amenity", "police"): "police",
    ("amenity", "townhall"): "townhall",
    ("shop", "supermarket"): "supermarket",
    ("man_made", "surveillance"): "camera",
}

_ADMIN_CODE_TAGS = (
    "ref", "ref:adcode", "ref:admin", "ref:admin_code", "official_code", "ref:gss",
    "de:amtlicher_gemeindeschluessel", "ref:INSEE", "ref:ine", "ref:bfs_Gemeindenummer",
    "swisstopo:BFS_NUMMER", "ISO3166-2",
)


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------

def _check_path(path) -> Path:
    p = Path(path)
    name = p.name.lower()
    if not name.endswith(_EXTENSIONS):
        raise UnsupportedFormatError(
            f"不是 OpenStreetMap 文件：{p.name}（应为 .osm.pbf 或 .osm）",
            f"not an OpenStreetMap file: {p.name} (expected .osm.pbf or .osm)",
            fix_zh="请提供 .osm.pbf 或 .osm（XML）格式的 OSM 数据；其他格式请用普通矢量文件导入。",
            fix_en="give an .osm.pbf or .osm (XML) extract; import other formats as vector files.",
            file=str(p),
        )
    check_exists(p)
    if not os.access(p, os.R_OK):
        raise InputFileError(
            f"无法读取文件：{p}", f"cannot read file: {p}",
            fix_zh="检查文件权限。", fix_en="check the file's permissions.", file=str(p),
        )
    return p


#: GDAL OSM driver configuration: the tags gridtool reads, each a column (see the file's header).
OSM_CONFIG = Path(__file__).with_name("osmconf.ini")
_CACHE: dict[tuple, gpd.GeoDataFrame] = {}
_CACHE_MAX = 6


def _read_layer(path, layer: str) -> gpd.GeoDataFrame:
    """One layer of the OSM driver (cached per file version), EPSG:4326, no empty geometries."""
    import pyogrio

    p = _check_path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_mtime_ns, st.st_size, layer)
    if key in _CACHE:
        return _CACHE[key].copy()
    try:
        df = pyogrio.read_dataframe(p, layer=layer, CONFIG_FILE=str(OSM_CONFIG))
    except Exception as exc:  # pyogrio raises DataSourceError / DataLayerError and others
        zh, en = plain_reason(exc)
        raise InputFileError(
            f"无法读取 OSM 文件的 {layer} 图层：{zh}",
            f"cannot read layer {layer!r} of the OSM file: {en}",
            fix_zh="文件可能已损坏或不完整，请重新下载 OSM 数据。",
            fix_en="the file may be damaged or truncated; download the extract again.",
            file=str(p), layer=layer,
        ) from exc
    if df.crs is None:
        df = df.set_crs(4326)
    elif not df.crs.equals("EPSG:4326"):
        df = df.to_crs(4326)
    df = df[df.geometry.notna() & ~df.geometry.is_empty].reset_index(drop=True)
    df.attrs["osm_layer"] = layer
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = df
    return df.copy()


def _tags(df: pd.DataFrame, keys: Iterable[str]) -> pd.DataFrame:
    """Tag values (str or None) for ``keys``, from their columns (:data:`OSM_CONFIG` makes one per tag)."""
    keys = list(dict.fromkeys(keys))
    missing = [k for k in keys if k not in df.columns]
    if missing:  # a reader change without its osmconf.ini line: fail loudly, not as all-None
        raise RuntimeError(f"OSM {plural_en(len(missing), 'tag')} {missing} {plural_en(len(missing), 'is')} not columns of the {df.attrs.get('osm_layer', '?')!r} "
                           f"layer: add them to the attributes of that layer in {OSM_CONFIG}")
    out = pd.DataFrame(index=df.index)
    for k in keys:
        out[k] = pd.Series([_str_or_none(v) for v in df[k]], index=df.index, dtype=object)
    return out


def _str_or_none(v) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    return str(v)


def _osm_ids(df: pd.DataFrame, layer: str) -> pd.Series:
    """``n…`` for nodes, ``w…`` for ways, ``r…`` for relations."""
    def fmt(v, prefix):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        s = str(v)
        if s.endswith(".0"):
            s = s[:-2]
        return prefix + s

    if layer == "points":
        return df["osm_id"].map(lambda v: fmt(v, "n"))
    if layer == "lines":
        return df["osm_id"].map(lambda v: fmt(v, "w"))
    if layer == "multipolygons":
        rel = df["osm_id"].map(lambda v: fmt(v, "r")) if "osm_id" in df else None
        way = df["osm_way_id"].map(lambda v: fmt(v, "w")) if "osm_way_id" in df else None
        if rel is None:
            return way
        if way is None:
            return rel
        return rel.where(rel.notna(), way)
    return df["osm_id"].astype(str)


def _name(tags: pd.DataFrame) -> pd.Series:
    zh = tags["name:zh"] if "name:zh" in tags else pd.Series(None, index=tags.index)
    return pd.Series([_str_or_none(z) or _str_or_none(n) for z, n in zip(zh, tags["name"])],
                     index=tags.index, dtype=object)


def _yes(v) -> bool:
    return v is not None and str(v).strip().lower() not in ("no", "false", "0", "")


def _to_float(v) -> float:
    """``"3"``, ``"3.5"``, ``"3;4"`` (first), ``"4 floors"`` -> float; else NaN."""
    if v is None:
        return np.nan
    m = re.match(r"\s*(\d+(?:[.,]\d+)?)", str(v))
    return float(m.group(1).replace(",", ".")) if m else np.nan


def _gdf(data: dict, geometry) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(data, geometry=list(geometry) if geometry is not None else [],
                           crs="EPSG:4326")
    return gdf.reset_index(drop=True)


def _valid_polygons(arr: np.ndarray) -> np.ndarray:
    """Repair invalid (multi)polygons -- OSM has self-touching and self-crossing rings -- keeping
    only their polygonal parts; None where nothing polygonal is left."""
    arr = np.array(arr, dtype=object)
    bad = ~shapely.is_valid(arr) & ~shapely.is_missing(arr)
    for i in np.flatnonzero(bad):
        g = shapely.make_valid(arr[i], method="structure", keep_collapsed=False)
        parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
        parts = [q for p in parts for q in shapely.get_parts(p)]
        arr[i] = (None if not parts else parts[0] if len(parts) == 1
                  else shapely.MultiPolygon(parts))
    return arr


def _single_polygons(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Valid polygons; MultiPolygons with one part become Polygons (the OSM driver makes every
    area a multi)."""
    arr = _valid_polygons(geoms.values)
    parts = shapely.get_num_geometries(arr)
    single = (parts == 1) & (shapely.get_type_id(arr) == 6)
    out = np.array(arr, dtype=object)
    out[single] = shapely.get_geometry(arr[single], 0)
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs)


def _metric_area(gdf: gpd.GeoDataFrame) -> pd.Series:
    if len(gdf) == 0:
        return pd.Series([], dtype=float, index=gdf.index)
    crs = gdf.estimate_utm_crs() if gdf.crs is not None and gdf.crs.is_geographic else gdf.crs
    return gdf.geometry.to_crs(crs).area if crs != gdf.crs else gdf.geometry.area


# --------------------------------------------------------------------------------------------
# households
# --------------------------------------------------------------------------------------------

def _buildings(path) -> gpd.GeoDataFrame:
    """All building polygons with the tags the household rules need."""
    mp = _read_layer(path, "multipolygons")
    btag = _tags(mp, ("building",))["building"]
    keep = btag.notna() & (btag.str.lower() != "no")
    mp = mp[keep]
    tags = _tags(mp, ("building", "building:levels", "building:flats", "name", "name:zh",
                      *_NON_RESIDENTIAL_KEYS))
    out = gpd.GeoDataFrame(
        {
            "osm_id": _osm_ids(mp, "multipolygons").values,
            "building": tags["building"].str.strip().str.lower().values,
            "levels": tags["building:levels"].map(_to_float).values,
            "flats": tags["building:flats"].map(_to_float).values,
            "name": _name(tags).values,
            **{k: tags[k].values for k in _NON_RESIDENTIAL_KEYS},
        },
        geometry=_single_polygons(mp.geometry).values, crs="EPSG:4326",
    )
    out = out[out.geometry.notna()].reset_index(drop=True)
    out["levels"] = out["levels"].where((out["levels"] >= 1) & (out["levels"] <= 100))
    out["flats"] = out["flats"].where(out["flats"] >= 1)
    out["area_m2"] = _metric_area(out).round(1)
    return out


def _landuse(path, values: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    mp = _read_layer(path, "multipolygons")
    tags = _tags(mp, ("landuse", "name", "name:zh", "place"))
    keep = tags["landuse"].notna()
    if values is not None:
        keep &= tags["landuse"].isin(set(values))
    mp, tags = mp[keep], tags[keep]
    return gpd.GeoDataFrame(
        {"osm_id": _osm_ids(mp, "multipolygons").values, "landuse": tags["landuse"].values,
         "name": _name(tags).values},
        geometry=mp.geometry.values, crs="EPSG:4326",
    )


def select_residential(buildings: gpd.GeoDataFrame,
                       landuse: gpd.GeoDataFrame | None = None) -> pd.Series:
    """Boolean mask (aligned to ``buildings``) of the residential buildings.

    ``buildings`` needs a ``building`` column (OSM value); ``area_m2`` is computed when absent;
    columns ``amenity``, ``shop``, ``office``, ``tourism``, ``craft``, ``leisure``, ``healthcare``
    (when present) mark a ``building=yes`` as non-residential. ``landuse``: polygons; when it has a
    ``landuse`` column only ``landuse=residential`` rows count, else every polygon counts as
    residential. Without ``landuse`` only the explicitly residential ``building`` values are kept.
    See the module docstring for the rule.
    """
    if "building" not in buildings.columns:
        raise MissingColumnError(
            "建筑图层缺少 building 列", "the buildings layer has no 'building' column",
            fix_zh="传入由 OSM 读取、带 building 列的建筑面。",
            fix_en="pass building polygons read from OSM, with their 'building' column.",
            field="building",
        )
    btype = buildings["building"].astype(object).map(
        lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).lower())
    mask = btype.isin(RESIDENTIAL_BUILDINGS)
    if landuse is None or len(landuse) == 0 or len(buildings) == 0:
        return pd.Series(mask.values, index=buildings.index, dtype=bool)
    lu = landuse
    if "landuse" in lu.columns:
        lu = lu[lu["landuse"].astype(str) == "residential"]
    if len(lu) == 0:
        return pd.Series(mask.values, index=buildings.index, dtype=bool)
    cand = btype.eq("yes")
    for k in _NON_RESIDENTIAL_KEYS:
        if k in buildings.columns:
            cand &= buildings[k].isna()
    area = buildings["area_m2"] if "area_m2" in buildings.columns else _metric_area(buildings)
    cand &= area >= MIN_YES_FOOTPRINT_M2
    if cand.any():
        sub = buildings[cand.values]
        pts = gpd.GeoDataFrame(geometry=sub.geometry.representative_point().values,
                               index=sub.index, crs=buildings.crs)
        lu = lu.to_crs(buildings.crs) if lu.crs is not None and buildings.crs is not None else lu
        hit = gpd.sjoin(pts, lu[[lu.geometry.name]], how="inner", predicate="within")
        inside = pd.Series(False, index=buildings.index)
        inside.loc[hit.index.unique()] = True
        mask = mask | (cand & inside)
    return pd.Series(mask.values, index=buildings.index, dtype=bool)


def _uniform(keys: Iterable, seed: int) -> np.ndarray:
    """Deterministic uniforms in [0, 1) from ``(seed, key)``: independent of row order."""
    out = []
    for k in keys:
        h = hashlib.blake2b(f"{seed}|{k}".encode(), digest_size=8).digest()
        out.append(int.from_bytes(h, "little") / 2.0**64)
    return np.asarray(out, dtype=float)


def estimate_households(buildings: gpd.GeoDataFrame, *, seed: int = 0) -> pd.Series:
    """Households per building (int ≥ 1), an estimate from footprint, levels and building type.

    Uses the columns ``building``, ``levels`` (NaN = untagged), ``flats`` (``building:flats``),
    ``area_m2`` (computed from the geometry when absent) and ``osm_id`` (for the seeded rounding)
    when present. Deterministic for a ``seed``. The rule is in the module docstring.
    """
    return _estimate_households(buildings, seed=seed)


def _estimate_households(buildings: gpd.GeoDataFrame, *, seed: int = 0,
                         rules: dict[str, tuple[float, float, int | None]] | None = None,
                         small_footprint_m2: float | None = None) -> pd.Series:
    """:func:`estimate_households` with a replaceable rule table (entries override the defaults)."""
    n = len(buildings)
    if n == 0:
        return pd.Series([], dtype="int64", index=buildings.index, name="hh")
    table = dict(HOUSEHOLD_RULES)
    table.update(rules or {})
    small = SMALL_FOOTPRINT_M2 if small_footprint_m2 is None else float(small_footprint_m2)
    btype = (buildings["building"].map(lambda v: (_str_or_none(v) or "yes").lower())
             if "building" in buildings.columns else pd.Series("yes", index=buildings.index))
    if "area_m2" in buildings.columns:
        area = pd.to_numeric(buildings["area_m2"], errors="coerce").fillna(0.0)
    else:
        area = _metric_area(buildings).fillna(0.0)
    levels = (pd.to_numeric(buildings["levels"], errors="coerce")
              if "levels" in buildings.columns else pd.Series(np.nan, index=buildings.index))
    levels = levels.where((levels >= 1) & (levels <= 100))
    as_house = (btype.isin(("yes", "residential")) & (area < small)
                & ~(levels > SMALL_MAX_LEVELS))
    rule_key = btype.where(~as_house, "house")
    rule = rule_key.map(lambda b: table.get(b, FALLBACK_RULE))
    levels = levels.fillna(rule.map(lambda r: float(r[0])))
    per_hh = rule.map(lambda r: float(r[1])).to_numpy(float)
    cap = rule.map(lambda r: np.inf if r[2] is None else float(r[2])).to_numpy(float)
    x = area.to_numpy(float) * levels.to_numpy(float) / per_hh
    x = np.minimum(np.maximum(x, 1.0), cap)
    keys = (buildings["osm_id"].map(str).to_numpy() if "osm_id" in buildings.columns
            else [str(i) for i in buildings.index])
    hh = np.floor(x + _uniform(keys, seed))
    if "flats" in buildings.columns:
        flats = pd.to_numeric(buildings["flats"], errors="coerce").to_numpy(float)
        tagged = np.isfinite(flats) & (flats >= 1)
        hh = np.where(tagged, np.round(flats), hh)
    hh = np.maximum(hh, 1).astype("int64")
    return pd.Series(hh, index=buildings.index, name="hh", dtype="int64")


def _households(path, *, seed: int = 0, **_) -> gpd.GeoDataFrame:
    b = _buildings(path)
    mask = select_residential(b, _landuse(path, ("residential",)))
    b = b[mask.values].copy()
    b["hh"] = _estimate_households(b, seed=seed).values
    b["hh_method"] = np.where(b["flats"].notna(), "tagged", "estimated")
    cols = ["osm_id", "building", "levels", "area_m2", "flats", "hh", "hh_method", "geometry"]
    return gpd.GeoDataFrame(b[cols], geometry="geometry", crs="EPSG:4326").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# villages
# --------------------------------------------------------------------------------------------

def _admin_areas(path) -> gpd.GeoDataFrame:
    mp = _read_layer(path, "multipolygons")
    tags = _tags(mp, ("boundary", "admin_level", "name", "name:zh", *_ADMIN_CODE_TAGS))
    keep = (tags["boundary"] == "administrative") & tags["admin_level"].notna()
    mp, tags = mp[keep], tags[keep]
    code = pd.Series([next((c for c in row if c is not None), None)
                      for row in tags[list(_ADMIN_CODE_TAGS)].itertuples(index=False)],
                     index=tags.index, dtype=object)
    return gpd.GeoDataFrame(
        {"osm_id": _osm_ids(mp, "multipolygons").values, "name": _name(tags).values,
         "code": code.values, "admin_level": tags["admin_level"].map(_to_float).values},
        geometry=_single_polygons(mp.geometry).values, crs="EPSG:4326",
    )


def _data_points(path) -> np.ndarray:
    mp = _read_layer(path, "multipolygons")
    sub = mp[_tags(mp, ("building",))["building"].notna()]
    if len(sub) == 0:
        sub = mp
    return shapely.point_on_surface(sub.geometry.values)


def _choose_admin_level(areas: gpd.GeoDataFrame, points: np.ndarray) -> int | None:
    levels = sorted({int(v) for v in areas["admin_level"].dropna()}, reverse=True)
    if not levels:
        return None
    scores = {}
    for lv in levels:
        sub = areas[areas["admin_level"] == lv]
        if len(points):
            tree = shapely.STRtree(sub.geometry.values)
            idx = tree.query(points, predicate="within")
            covered = len(np.unique(idx[0])) / len(points)
        else:
            covered = 1.0
        scores[lv] = (covered, len(sub))
    for lv in levels:
        if lv <= 10 and scores[lv][1] >= 2 and scores[lv][0] >= 0.5:
            return lv
    # nothing qualifies: most coverage, then most detailed
    return max(levels, key=lambda lv: (scores[lv][0], lv <= 10, lv))


def _villages(path, *, admin_level: int | None = None, **_) -> gpd.GeoDataFrame:
    areas = _admin_areas(path)
    if len(areas) == 0:
        return areas
    if admin_level is None:
        admin_level = _choose_admin_level(areas, _data_points(path))
    out = areas[areas["admin_level"] == float(admin_level)].copy()
    out["admin_level"] = out["admin_level"].astype("int64")
    return out[["osm_id", "name", "code", "admin_level", "geometry"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# lines: roads, rivers, railways
# --------------------------------------------------------------------------------------------

def _oneway(highway: str | None, oneway: str | None, junction: str | None) -> tuple[bool, bool]:
    """(oneway, reverse) for a highway way."""
    v = (oneway or "").strip().lower()
    if v in ("-1", "reverse"):
        return True, True
    if v in _TRUE:
        return True, False
    if v in ("no", "false", "0", "reversible", "alternating"):
        return False, False
    if (junction or "").lower() in ("roundabout", "circular"):
        return True, False
    if highway == "motorway":
        return True, False
    return False, False


def _roads(path, **_) -> gpd.GeoDataFrame:
    ln = _read_layer(path, "lines")
    tags = _tags(ln, ("highway", "name", "name:zh", "oneway", "junction", "bridge", "tunnel",
                      "maxspeed", "area"))
    keep = tags["highway"].notna() & ~tags["highway"].isin(_HIGHWAY_EXCLUDED)
    keep &= ~tags["area"].isin(_TRUE)
    ln, tags = ln[keep], tags[keep]
    ow = [_oneway(h, o, j) for h, o, j in zip(tags["highway"], tags["oneway"], tags["junction"])]
    oneway = np.array([o for o, _ in ow], dtype=bool)
    rev = np.array([r for _, r in ow], dtype=bool)
    geoms = ln.geometry.values.copy()
    if rev.any():
        geoms[rev] = shapely.reverse(geoms[rev])
    return _gdf(
        {"osm_id": _osm_ids(ln, "lines").values, "class": tags["highway"].values,
         "oneway": oneway, "name": _name(tags).values,
         "bridge": tags["bridge"].map(_yes).astype(bool).values,
         "tunnel": tags["tunnel"].map(_yes).astype(bool).values,
         "maxspeed": tags["maxspeed"].values},
        geoms,
    )


def _closed_lines_to_polygons(geoms) -> np.ndarray:
    arr = np.asarray(geoms, dtype=object)
    out = np.array([shapely.Polygon(g.coords) if g.geom_type == "LineString" and g.is_closed
                    and len(g.coords) >= 4 else None for g in arr], dtype=object)
    return out


def _rivers(path, **_) -> gpd.GeoDataFrame:
    ln = _read_layer(path, "lines")
    t = _tags(ln, ("waterway", "name", "name:zh"))
    is_line = t["waterway"].isin(_WATERWAY_LINES)
    parts = [_gdf({"osm_id": _osm_ids(ln[is_line], "lines").values,
                   "name": _name(t[is_line]).values, "kind": t["waterway"][is_line].values},
                  ln.geometry[is_line].values)]
    # closed waterway=riverbank ways come in the lines layer with the default osmconf
    bank = t["waterway"].eq("riverbank")
    if bank.any():
        polys = _closed_lines_to_polygons(ln.geometry[bank].values)
        ok = np.array([p is not None for p in polys], dtype=bool)
        parts.append(_gdf({"osm_id": _osm_ids(ln[bank], "lines").values[ok],
                           "name": _name(t[bank]).values[ok], "kind": "riverbank"}, polys[ok]))
    mp = _read_layer(path, "multipolygons")
    tm = _tags(mp, ("natural", "water", "waterway", "name", "name:zh"))
    water = ((tm["natural"].eq("water") & tm["water"].isin(_RIVER_WATER))
             | tm["waterway"].eq("riverbank"))
    if water.any():
        parts.append(_gdf({"osm_id": _osm_ids(mp[water], "multipolygons").values,
                           "name": _name(tm[water]).values, "kind": "riverbank"},
                          _single_polygons(mp.geometry[water]).values))
    parts = [p for p in parts if len(p)]
    if not parts:
        return _gdf({"osm_id": [], "name": [], "kind": []}, [])
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry",
                            crs="EPSG:4326")


def _railways(path, **_) -> gpd.GeoDataFrame:
    ln = _read_layer(path, "lines")
    t = _tags(ln, ("railway", "name", "name:zh", "disused", "abandoned", "bridge", "tunnel"))
    keep = (t["railway"].isin(_RAILWAYS) & ~t["disused"].map(_yes).astype(bool)
            & ~t["abandoned"].map(_yes).astype(bool))
    ln, t = ln[keep], t[keep]
    return _gdf({"osm_id": _osm_ids(ln, "lines").values, "name": _name(t).values,
                 "kind": t["railway"].values,
                 "bridge": t["bridge"].map(_yes).astype(bool).values,
                 "tunnel": t["tunnel"].map(_yes).astype(bool).values},
                ln.geometry.values)


# --------------------------------------------------------------------------------------------
# forest and places
# --------------------------------------------------------------------------------------------

def _forest(path, **_) -> gpd.GeoDataFrame:
    mp = _read_layer(path, "multipolygons")
    t = _tags(mp, ("landuse", "natural", "name", "name:zh"))
    is_forest = t["landuse"].isin(_FOREST) | t["natural"].eq("wood")
    is_farm = t["landuse"].isin(_FARMLAND) & ~is_forest
    keep = is_forest | is_farm
    landuse = t["landuse"].where(t["landuse"].notna(), t["natural"])
    return _gdf({"osm_id": _osm_ids(mp[keep], "multipolygons").values,
                 "kind": np.where(is_forest[keep], "forest", "farmland"),
                 "landuse": landuse[keep].values, "name": _name(t[keep]).values},
                _single_polygons(mp.geometry[keep]).values)


def _place_category(t: pd.DataFrame) -> pd.Series:
    cat = pd.Series(None, index=t.index, dtype=object)
    for (k, v), c in _PLACE_TAGS.items():
        if k in t:
            cat = cat.where(cat.notna() | (t[k] != v), c)
    return cat


def _places(path, **_) -> gpd.GeoDataFrame:
    keys = ("amenity", "shop", "man_made", "name", "name:zh")
    parts = []
    for layer in ("points", "multipolygons", "lines"):
        df = _read_layer(path, layer)
        t = _tags(df, keys)
        cat = _place_category(t)
        keep = cat.notna()
        if layer == "lines":  # only closed ways that the driver did not make areas
            keep &= df.geometry.is_closed
        if not keep.any():
            continue
        geoms = df.geometry[keep].values
        if layer == "multipolygons":
            geoms = _single_polygons(df.geometry[keep]).values
        elif layer == "lines":
            geoms = _closed_lines_to_polygons(geoms)
        parts.append(_gdf({"osm_id": _osm_ids(df[keep], layer).values,
                           "category": cat[keep].values, "name": _name(t[keep]).values}, geoms))
    if not parts:
        return _gdf({"osm_id": [], "category": [], "name": []}, [])
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry",
                           crs="EPSG:4326")
    out = out[out.geometry.notna()]
    return _dedup_places(out).reset_index(drop=True)


def _dedup_places(places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop a point lying inside an area of the same category; the area inherits its name."""
    is_pt = places.geom_type == "Point"
    pts, areas = places[is_pt], places[~is_pt]
    if len(pts) == 0 or len(areas) == 0:
        return places
    j = gpd.sjoin(pts[["category", "name", "geometry"]],
                  areas[["category", "name", "geometry"]], how="inner", predicate="within")
    j = j[j["category_left"] == j["category_right"]]
    if len(j) == 0:
        return places
    places = places.copy()
    for pt_idx, row in j.iterrows():
        a = row["index_right"]
        if places.at[a, "name"] is None and row["name_left"] is not None:
            places.at[a, "name"] = row["name_left"]
    return places.drop(index=j.index.unique())


# --------------------------------------------------------------------------------------------
# public entry points
# --------------------------------------------------------------------------------------------

_EXTRACTORS: dict[str, Callable[..., gpd.GeoDataFrame]] = {
    "households": _households,
    "villages": _villages,
    "roads": _roads,
    "rivers": _rivers,
    "railways": _railways,
    "forest": _forest,
    "places": _places,
}

def _extract(role: str, path: Path, **kw) -> gpd.GeoDataFrame:
    gdf = _EXTRACTORS[role](path, **kw)
    ok = gdf.geometry.notna() & ~gdf.geometry.is_empty
    return gdf if ok.all() else gdf[ok.to_numpy()].reset_index(drop=True)


_ROLE_ZH = {"households": "住户", "villages": "村（社区）", "roads": "道路",
            "rivers": "河流", "railways": "铁路", "forest": "林地/农田", "places": "重点场所"}


def read_osm_role(path, role: str, *, admin_level: int | None = None,
                  seed: int = 0) -> gpd.GeoDataFrame:
    """Read one role layer (EPSG:4326) from an ``.osm.pbf`` or ``.osm`` extract.

    ``role`` is one of :data:`OSM_ROLES`. ``admin_level`` chooses the villages' level (None:
    automatic, see module docstring); ``seed`` the households' rounding. Raises
    ``UnsupportedFormatError`` (wrong extension), ``InputFileError`` (missing/unreadable file),
    ``EmptyLayerError`` (no feature of that role) and ``ValueError`` (unknown role).
    """
    if role not in _EXTRACTORS:
        raise UnknownRoleError(
            f"OSM 文件不能作为 {role} 图层读取", f"an OSM extract gives no {role} layer",
            fix_zh=f"OSM 文件可用于：{'、'.join(OSM_ROLES)}；{role} 请用其他文件传入。",
            fix_en=f"OSM extracts give: {', '.join(OSM_ROLES)}; give {role} from another file.", file=str(path))
    p = _check_path(path)
    gdf = _extract(role, p, admin_level=admin_level, seed=seed)
    if len(gdf) == 0:
        extra_zh = f"（admin_level={admin_level}）" if role == "villages" and admin_level else ""
        extra_en = f" (admin_level={admin_level})" if role == "villages" and admin_level else ""
        raise EmptyLayerError(
            f"OSM 文件中没有“{_ROLE_ZH[role]}”要素{extra_zh}",
            f"the OSM file has no features for role {role!r}{extra_en}",
            fix_zh="换一个覆盖该内容的 OSM 数据，或从其他文件导入该图层"
                   + ("，或换一个 admin_level" if role == "villages" else "") + "。",
            fix_en="use an extract that covers it, or import this layer from another file"
                   + (", or try another admin_level" if role == "villages" else "") + ".",
            file=str(p), layer=role,
        )
    return gdf


def osm_roles_available(path) -> dict[str, int]:
    """``{role: feature count}`` for every role with at least one feature in the extract."""
    p = _check_path(path)
    out = {}
    for role in _EXTRACTORS:
        n = len(_extract(role, p))
        if n:
            out[role] = n
    return out
