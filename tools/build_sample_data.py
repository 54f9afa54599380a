"""Build gridtool's sample projects from real OpenStreetMap extracts.

    python tools/build_sample_data.py [--shared ../shared/data] [--out gridtool/sample_data]

Writes (all layers EPSG:4326, deterministic with seed 0):

* ``<out>/liechtenstein.gpkg`` from ``osm/liechtenstein-2024-03.osm.pbf``;
* ``<out>/nanjing-xuanwu.gpkg`` from ``osm/nanjing-xuanwu-2021-06.osm``,

each with the layers ``households``, ``villages``, ``roads``, ``rivers``, ``railways``, ``forest``
and ``places`` (see ``sample_data/README.md`` for what they hold and how they were derived).

Household counts are ESTIMATES from building footprints and levels (``gridtool.io.osm``), not
census data. Village codes are synthetic:

* Liechtenstein: ``990100`` (a made-up county: ``99`` is no Chinese province) + township ``001``
  Oberland / ``002`` Unterland + the municipality's Swiss/Liechtenstein BFS number minus 7000
  (Vaduz 7001 -> ``990100001001``); sequential by name when the BFS number is not tagged.
* Nanjing: the 社区 (communities) are derived here, not real boundaries: the data area (convex
  hull of all buildings, buffered 100 m) is cut by trunk/primary/secondary/tertiary roads,
  railways above ground and rivers; blocks with fewer than 1,000 households are merged into the
  neighbour with the longest shared border (preferring neighbours that stay at or below 4,000)
  until every community holds at least 1,000. Codes are ``320102`` (Xuanwu's real district code)
  + ``900`` (a synthetic street) + a sequence numbered north to south, west to east.
  The city centre has no forest or farmland: its ``forest`` layer holds urban green instead
  (parks, gardens, lawns of at least 200 m²) with ``kind="green"``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from gridtool.io import osm  # noqa: E402

SEED = 0
LAYERS = ("households", "villages", "roads", "rivers", "railways", "forest", "places")

LI_FILE = "osm/liechtenstein-2024-03.osm.pbf"
NJ_FILE = "osm/nanjing-xuanwu-2021-06.osm"

# Nanjing: untagged levels of residential blocks (6-storey walk-ups are the common stock of
# 1980s-2000s Chinese city blocks), 80 m² usable per flat; only sheds and huts count as houses.
NJ_RULES = {
    "residential": (6, 100.0, None),
    "apartments": (6, 100.0, None),
    "yes": (6, 100.0, None),
}
NJ_SMALL_FOOTPRINT_M2 = 100.0
NJ_YES_MAX_FOOTPRINT_M2 = 2500.0  # larger untagged buildings are malls, stations, podiums
NJ_YES_MAX_LEVELS = 35  # taller untagged towers in Xinjiekou are offices and hotels
NJ_NON_RESIDENTIAL_LANDUSE = {
    "commercial", "retail", "industrial", "military", "railway", "construction", "religious",
}
NJ_NON_RESIDENTIAL_AMENITY = {
    "school", "university", "college", "kindergarten", "hospital", "clinic", "place_of_worship",
}
NJ_RESIDENTIAL_NAME = re.compile(r"公寓|小区|宿舍|新村|花园|住宅|家园|苑|栋|幢|号楼")
NJ_BARRIER_ROADS = {"trunk", "primary", "secondary", "tertiary"}
NJ_MINOR_ROADS = {"residential", "unclassified", "living_street", "service", "pedestrian",
                  "trunk_link", "primary_link", "secondary_link", "tertiary_link"}
NJ_MIN_HH, NJ_MAX_HH = 1000, 4000
NJ_MIN_LAWN_M2 = 200.0


def log(*a):
    print(*a, flush=True)


def metric(gdf: gpd.GeoDataFrame):
    return gdf.estimate_utm_crs()


def assign(points_of: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, col: str) -> pd.Series:
    """``areas[col]`` of the area containing each feature's representative point (else None)."""
    pts = gpd.GeoDataFrame(geometry=points_of.geometry.representative_point(),
                           index=points_of.index, crs=points_of.crs)
    j = gpd.sjoin(pts, areas[[col, "geometry"]], how="left", predicate="within")
    j = j[~j.index.duplicated(keep="first")]
    return j[col].reindex(points_of.index).astype(object).where(lambda s: s.notna(), None)


def write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    if path.exists():
        path.unlink()
    for name in LAYERS:
        gdf = layers[name]
        assert gdf.crs is not None and gdf.crs.to_epsg() == 4326, name
        kw = {}
        if len(gdf) == 0:
            kw["geometry_type"] = "Polygon" if name == "forest" else "Unknown"
        # no R-tree: it would add ~25 % to the file; GIS programs can add one in a second
        gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio",
                    layer_options={"SPATIAL_INDEX": "NO"}, **kw)


def simplify(gdf: gpd.GeoDataFrame, metres: float) -> gpd.GeoDataFrame:
    """Simplify polygons by ``metres`` (topology preserving per feature); drop empties."""
    crs = metric(gdf)
    out = gdf.copy()
    geom = out.geometry.to_crs(crs).simplify(metres, preserve_topology=True).to_crs(4326)
    out = out.set_geometry(geom)
    return out[~out.geometry.is_empty & out.geometry.notna()].reset_index(drop=True)


def _dp_keep(xy: np.ndarray, keep: np.ndarray, tol: float) -> np.ndarray:
    """Douglas-Peucker between consecutive already-kept vertices; returns the keep mask."""
    fixed = np.flatnonzero(keep)
    stack = list(zip(fixed[:-1], fixed[1:]))
    while stack:
        a, b = stack.pop()
        if b <= a + 1:
            continue
        p, q = xy[a], xy[b]
        seg = q - p
        rel = xy[a + 1:b] - p
        length = float(np.hypot(*seg))
        if length == 0.0:
            d = np.hypot(rel[:, 0], rel[:, 1])
        else:
            d = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / length
        i = int(np.argmax(d))
        if d[i] > tol:
            k = a + 1 + i
            keep[k] = True
            stack += [(a, k), (k, b)]
    return keep


def simplify_network(gdf: gpd.GeoDataFrame, metres: float) -> gpd.GeoDataFrame:
    """Simplify lines by ``metres`` but keep, exactly, every vertex that another line (or this
    line elsewhere) also uses: junctions stay shared, so a graph built by matching coordinates
    stays connected. Kept vertices are the original coordinates, not re-projected ones."""
    from collections import Counter

    src = gdf.geometry.values
    lines = shapely.get_type_id(src) == 1
    use = Counter()
    for g in src[lines]:
        for c in {tuple(c) for c in shapely.get_coordinates(g)}:
            use[c] += 1
    metric_geoms = gdf.geometry.to_crs(metric(gdf)).values
    out = []
    for g, gm, is_line in zip(src, metric_geoms, lines):
        if not is_line:
            out.append(g)
            continue
        cs = shapely.get_coordinates(g)
        keep = np.array([use[tuple(c)] > 1 for c in cs], dtype=bool)
        keep[0] = keep[-1] = True
        keep = _dp_keep(shapely.get_coordinates(gm), keep, metres)
        out.append(shapely.LineString(cs[keep]))
    res = gdf.copy()
    res["geometry"] = out
    return res


# --------------------------------------------------------------------------------------------
# Liechtenstein
# --------------------------------------------------------------------------------------------

def li_village_codes(pbf: Path, villages: gpd.GeoDataFrame) -> pd.Series:
    raw = osm._read_layer(pbf, "multipolygons")
    raw_ids = osm._osm_ids(raw, "multipolygons")
    tags = osm._tags(raw, ("bfs:OBJECTVAL", "ref:bfs_Gemeindenummer", "swisstopo:BFS_NUMMER"))
    bfs_tag = tags["bfs:OBJECTVAL"]
    for k in ("ref:bfs_Gemeindenummer", "swisstopo:BFS_NUMMER"):
        bfs_tag = bfs_tag.where(bfs_tag.notna(), tags[k])
    bfs = pd.Series(bfs_tag.values, index=raw_ids.values)
    bfs = bfs[~bfs.index.duplicated()]
    bfs_num = villages["osm_id"].map(bfs).map(osm._to_float)

    # townships: the two electoral districts (admin_level 6) Oberland 001, Unterland 002
    areas = osm._admin_areas(pbf)
    lv6 = areas[areas["admin_level"] == 6].copy()
    order = {"Oberland": "001", "Unterland": "002"}
    lv6["town"] = [order.get(n, f"{i + 3:03d}") for i, n in enumerate(lv6["name"])]
    town = assign(villages, lv6, "town").fillna("001") if len(lv6) else \
        pd.Series("001", index=villages.index)

    seq = {n: i + 1 for i, n in enumerate(sorted(villages["name"].astype(str)))}
    codes = []
    for idx, row in villages.iterrows():
        b = bfs_num.loc[idx]
        v = int(b) - 7000 if np.isfinite(b) and 7001 <= b <= 7999 else seq[str(row["name"])]
        codes.append(f"990100{town.loc[idx]}{v:03d}")
    return pd.Series(codes, index=villages.index)


def build_liechtenstein(shared: Path) -> dict[str, gpd.GeoDataFrame]:
    pbf = shared / LI_FILE
    layers = {r: osm.read_osm_role(pbf, r, seed=SEED) for r in LAYERS if r != "villages"}
    villages = osm.read_osm_role(pbf, "villages", admin_level=8)
    villages["code"] = li_village_codes(pbf, villages)

    hh = layers["households"]
    hh["village"] = assign(hh, villages, "code")
    n_out = int(hh["village"].isna().sum())
    if n_out:
        log(f"  liechtenstein: dropping {n_out} households outside the 11 municipalities")
        hh = hh[hh["village"].notna()].reset_index(drop=True)
    layers["households"] = hh
    villages["hh"] = villages["code"].map(hh.groupby("village")["hh"].sum()).fillna(0).astype(int)
    layers["villages"] = villages[["code", "name", "admin_level", "hh", "osm_id", "geometry"]] \
        .sort_values("code").reset_index(drop=True)

    # the extract holds whole ways (the Rhine runs on to Lake Constance): keep 1 km around
    # the country
    crs = metric(villages)
    area = gpd.GeoSeries([shapely.union_all(villages.to_crs(crs).geometry.values).buffer(1000)],
                         crs=crs).to_crs(4326).iloc[0]
    for r in ("roads", "rivers", "railways", "forest", "places"):
        layers[r] = clip(layers[r], area)

    # keep the file small: roads and waterways simplified by 1 m keeping every shared vertex
    # (junctions), forest/farmland outlines by 2 m; buildings and boundaries are untouched
    layers["roads"] = simplify_network(layers["roads"], 1.0)
    layers["rivers"] = simplify_network(layers["rivers"], 1.0)
    layers["forest"] = simplify(layers["forest"], 2.0)
    return layers


# --------------------------------------------------------------------------------------------
# Nanjing
# --------------------------------------------------------------------------------------------

def nj_households(path: Path) -> gpd.GeoDataFrame:
    b = osm._buildings(path)
    landuse = osm._landuse(path)
    strict = osm.select_residential(b, landuse)

    mp = osm._read_layer(path, "multipolygons")
    t = osm._tags(mp, ("amenity", "landuse"))
    blockers = mp[t["landuse"].isin(NJ_NON_RESIDENTIAL_LANDUSE)
                  | t["amenity"].isin(NJ_NON_RESIDENTIAL_AMENITY)]
    blockers = gpd.GeoDataFrame({"blk": np.ones(len(blockers), dtype=int)},
                                geometry=blockers.geometry.values, crs=4326)
    in_blocker = assign(b, blockers, "blk").notna()

    no_use_tags = pd.Series(True, index=b.index)
    for k in osm._NON_RESIDENTIAL_KEYS:
        no_use_tags &= b[k].isna()
    name_ok = b["name"].isna() | b["name"].astype(str).str.contains(NJ_RESIDENTIAL_NAME)
    levels_ok = b["levels"].isna() | (b["levels"] <= NJ_YES_MAX_LEVELS)
    dense_yes = (b["building"].eq("yes") & no_use_tags & name_ok & levels_ok & ~in_blocker
                 & (b["area_m2"] >= osm.MIN_YES_FOOTPRINT_M2)
                 & (b["area_m2"] <= NJ_YES_MAX_FOOTPRINT_M2))
    b = b[(strict | dense_yes).values].copy()
    b["hh"] = osm._estimate_households(b, seed=SEED, rules=NJ_RULES,
                                       small_footprint_m2=NJ_SMALL_FOOTPRINT_M2).values
    b["hh_method"] = np.where(b["flats"].notna(), "tagged", "estimated")
    cols = ["osm_id", "building", "levels", "area_m2", "flats", "hh", "hh_method", "geometry"]
    return gpd.GeoDataFrame(b[cols], geometry="geometry", crs=4326).reset_index(drop=True)


def nj_green(path: Path) -> gpd.GeoDataFrame:
    """Parks and gardens, and lawns of at least 200 m², as ``kind="green"`` (城市绿地)."""
    mp = osm._read_layer(path, "multipolygons")
    t = osm._tags(mp, ("leisure", "landuse", "name", "name:zh"))
    park = t["leisure"].isin(["park", "garden"])
    lawn = t["landuse"].isin(["grass", "village_green"]) & ~park
    g = gpd.GeoDataFrame(
        {"osm_id": osm._osm_ids(mp, "multipolygons").values, "kind": "green",
         "landuse": t["leisure"].where(park, t["landuse"]).values, "name": osm._name(t).values},
        geometry=osm._single_polygons(mp.geometry).values, crs=4326)
    big = g.to_crs(metric(g)).area.to_numpy() >= NJ_MIN_LAWN_M2
    return g[(park | (lawn & big)).to_numpy()].reset_index(drop=True)


def nj_area(path: Path) -> shapely.Geometry:
    b = osm._buildings(path)
    crs = metric(b)
    hull = shapely.convex_hull(shapely.union_all(b.geometry.to_crs(crs).values))
    return gpd.GeoSeries([hull.buffer(100)], crs=crs).to_crs(4326).iloc[0]


def _polygonize_within(area, lines) -> list:
    """Faces of ``area`` cut by ``lines`` (dangling line ends are ignored)."""
    pieces = [shapely.intersection(g, area) for g in lines]
    u = shapely.union_all([p for p in pieces if not p.is_empty] + [area.boundary])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(u)))
    return [f for f in faces if f.area > 1.0 and area.contains(f.representative_point())]


def _shared_border(a, b) -> float:
    """Length of ``a``'s outline lying within 0.5 m of ``b`` (robust to extra collinear nodes)."""
    return a.boundary.intersection(b.buffer(0.5)).length


def _merge_small(units: list[tuple], lo: int, hi: int) -> list[tuple]:
    """Merge units ``(geometry, hh)`` holding fewer than ``lo`` households into the neighbour
    with the longest shared border, preferring neighbours that stay at or below ``hi``;
    the smallest unit first (ties: smaller area). Deterministic."""
    geoms = [g for g, _ in units]
    hh = [h for _, h in units]
    alive = set(range(len(geoms)))
    while True:
        small = sorted((i for i in alive if hh[i] < lo), key=lambda i: (hh[i], geoms[i].area, i))
        done = True
        for i in small:
            gi = geoms[i]
            env = gi.buffer(1.0)
            nbrs = []
            for k in sorted(alive):
                if k != i and env.intersects(geoms[k]):
                    border = _shared_border(gi, geoms[k])
                    if border > 1.0:
                        nbrs.append((k, border))
            if not nbrs:
                continue
            fits = [(k, L) for k, L in nbrs if hh[i] + hh[k] <= hi]
            k = max(fits or nbrs, key=lambda kl: (kl[1], -kl[0]))[0]
            geoms[k] = shapely.union(geoms[k], gi)
            hh[k] += hh[i]
            alive.discard(i)
            done = False
            break
        if done:
            return [(geoms[i], hh[i]) for i in sorted(alive)]


def _count(polys: list, pts: gpd.GeoDataFrame) -> list[int]:
    if not polys:
        return []
    tree = shapely.STRtree(polys)
    pi, gi = tree.query(pts.geometry.values, predicate="within")
    sums = np.zeros(len(polys), dtype=np.int64)
    np.add.at(sums, gi, pts["hh"].to_numpy()[pi])
    return [int(v) for v in sums]


def _bisect(geom, pts: gpd.GeoDataFrame, hi: int) -> list:
    """Last resort for a block still above ``hi`` with no mapped road inside: cut it in two
    straight across its longer side at the household-weighted median, recursively."""
    inside = pts[pts.within(geom)]
    total = int(inside["hh"].sum())
    if total <= hi or len(inside) < 2:
        return [geom]
    x0, y0, x1, y1 = geom.bounds
    along_x = (x1 - x0) >= (y1 - y0)
    c = inside.geometry.x.to_numpy() if along_x else inside.geometry.y.to_numpy()
    order = np.argsort(c, kind="stable")
    cum = np.cumsum(inside["hh"].to_numpy()[order])
    m = int(np.searchsorted(cum, total / 2.0))
    m = min(max(m, 0), len(order) - 2)
    cut = (c[order[m]] + c[order[m + 1]]) / 2.0
    if along_x:
        half_a = shapely.box(x0 - 1, y0 - 1, cut, y1 + 1)
        half_b = shapely.box(cut, y0 - 1, x1 + 1, y1 + 1)
    else:
        half_a = shapely.box(x0 - 1, y0 - 1, x1 + 1, cut)
        half_b = shapely.box(x0 - 1, cut, x1 + 1, y1 + 1)
    out = []
    for h in (half_a, half_b):
        part = geom.intersection(h)
        if not part.is_empty:
            out += _bisect(part, pts, hi)
    return out


def nj_communities(area, roads, railways, rivers, households, crs) -> gpd.GeoDataFrame:
    """Communities: blocks between main roads/railways/rivers; blocks over 4,000 households
    are cut by the minor roads inside them; then blocks under 1,000 are merged (see module doc)."""
    area_m = gpd.GeoSeries([area], crs=4326).to_crs(crs).iloc[0]
    pts = gpd.GeoDataFrame({"hh": households["hh"].values},
                           geometry=households.to_crs(crs).representative_point().values, crs=crs)
    rd = roads.to_crs(crs)
    barriers = list(rd[rd["class"].isin(NJ_BARRIER_ROADS) & ~rd["tunnel"]].geometry)
    barriers += list(railways[~railways["tunnel"]].to_crs(crs).geometry)
    barriers += [g if g.geom_type.endswith("LineString") else g.boundary
                 for g in rivers.to_crs(crs).geometry]
    minor = list(rd[rd["class"].isin(NJ_MINOR_ROADS) & ~rd["tunnel"]].geometry)

    blocks = _polygonize_within(area_m, barriers)
    counts = _count(blocks, pts)
    log(f"  nanjing: {len(blocks)} blocks between main roads, rivers and railways; "
        f"{sum(c > NJ_MAX_HH for c in counts)} hold more than {NJ_MAX_HH} households")
    units = []
    for blk, n in zip(blocks, counts):
        if n <= NJ_MAX_HH:
            units.append((blk, n))
            continue
        subs = _polygonize_within(blk, minor) or [blk]
        subs = [s for piece in subs for s in _bisect(piece, pts, NJ_MAX_HH)]
        sub_units = _merge_small(list(zip(subs, _count(subs, pts))), NJ_MIN_HH, NJ_MAX_HH)
        log(f"    block of {n} households -> {len(subs)} pieces -> {len(sub_units)} units")
        units += sub_units
    units = _merge_small(units, NJ_MIN_HH, NJ_MAX_HH)
    return gpd.GeoDataFrame({"hh": [h for _, h in units]},
                            geometry=[shapely.make_valid(g) for g, _ in units], crs=crs)


def _is_cjk(s) -> bool:
    return isinstance(s, str) and any("\u4e00" <= ch <= "\u9fff" for ch in s)


def nj_names(comm: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame,
             points: gpd.GeoDataFrame, crs) -> list[str]:
    """A Chinese name per community: a residential area / neighbourhood inside, else the
    longest named road along its border, + 社区; de-duplicated."""
    named_areas = []
    lu = landuse[(landuse["landuse"] == "residential") & landuse["name"].map(_is_cjk)]
    for _, r in lu.to_crs(crs).iterrows():
        named_areas.append((r.geometry.representative_point(), r["name"], r.geometry.area))
    for _, r in points.to_crs(crs).iterrows():
        named_areas.append((r.geometry, r["name"], 0.0))
    rd = roads[roads["name"].map(_is_cjk)].to_crs(crs)

    def community_name(n: str) -> str:
        n = re.sub(r"(小区|居住区|社区)$", "", n)
        return n + "社区"

    taken: set[str] = set()
    names = []
    for _, c in comm.iterrows():
        cands = [community_name(n) for pt, n, _a in sorted(named_areas, key=lambda t: -t[2])
                 if c.geometry.contains(pt)]
        ring = c.geometry.boundary.buffer(30)
        near = rd[rd.intersects(ring)]
        if len(near):
            lengths = near.geometry.intersection(ring).length.groupby(near["name"]).sum()
            lengths = lengths.sort_values(ascending=False, kind="stable")
            cands += [community_name(n) for n in lengths.index]
        name = next((n for n in cands if n not in taken), None)
        if name is None:
            base = cands[0] if cands else "玄武社区"
            for suffix in ("二", "三", "四", "五", "六", "七", "八", "九"):
                alt = base.replace("社区", f"{suffix}社区")
                if alt not in taken:
                    name = alt
                    break
        taken.add(name)
        names.append(name)
    return names


def nj_order(comm: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Number north to south (600 m bands), west to east within a band."""
    c = comm.geometry.centroid
    band = np.floor((c.y.max() - c.y) / 600.0).astype(int)
    comm = comm.assign(_band=band.values, _x=c.x.values)
    comm = comm.sort_values(["_band", "_x"]).drop(columns=["_band", "_x"])
    return comm.reset_index(drop=True)


def clip(gdf: gpd.GeoDataFrame, area) -> gpd.GeoDataFrame:
    """Features inside ``area`` unchanged; those crossing its edge cut to it (lines keep their
    direction, which carries ``oneway``; pieces of another geometry family are dropped)."""
    if len(gdf) == 0:
        return gdf
    shapely.prepare(area)
    geoms = gdf.geometry.values
    inside = shapely.contains_properly(area, geoms)
    crossing = ~inside & shapely.intersects(area, geoms)
    rows = [gdf[inside]]
    if crossing.any():
        cut = gdf[crossing].copy()
        cut["geometry"] = shapely.intersection(cut.geometry.values, area)
        cut["_orig"] = geoms[crossing]
        cut = cut.explode(index_parts=False)
        fam = cut.geom_type.str.replace("Multi", "")
        orig_fam = cut["_orig"].map(lambda g: g.geom_type.replace("Multi", ""))
        cut = cut[(fam == orig_fam) & ~cut.geometry.is_empty]
        fixed = []
        for g, o in zip(cut.geometry.values, cut["_orig"].values):
            if g.geom_type == "LineString" and o.geom_type == "LineString" and not o.is_closed:
                s0 = o.project(shapely.Point(g.coords[0]))
                s1 = o.project(shapely.Point(g.coords[-1]))
                if s0 > s1:
                    g = shapely.reverse(g)
            fixed.append(g)
        cut["geometry"] = fixed
        rows.append(cut.drop(columns="_orig"))
    out = pd.concat(rows).sort_index(kind="stable")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=gdf.crs).reset_index(drop=True)


def build_nanjing(shared: Path) -> dict[str, gpd.GeoDataFrame]:
    path = shared / NJ_FILE
    area = nj_area(path)
    hh = nj_households(path)
    crs = metric(hh)
    layers = {"households": hh}
    for r in ("roads", "rivers", "railways", "places"):
        layers[r] = clip(osm.read_osm_role(path, r, seed=SEED), area)
    try:
        layers["forest"] = clip(osm.read_osm_role(path, "forest"), area)
    except osm.EmptyLayerError:
        # no forest or farmland in the city centre: urban green stands in (kind "green")
        layers["forest"] = clip(nj_green(path), area)

    comm = nj_communities(area, layers["roads"], layers["railways"], layers["rivers"], hh, crs)
    comm = nj_order(comm)
    landuse = osm._landuse(path)
    pts = osm._read_layer(path, "points")
    pt_tags = osm._tags(pts, ("place", "name", "name:zh"))
    hood = pts[pt_tags["place"].isin(["neighbourhood", "quarter", "suburb"]).values]
    hood = gpd.GeoDataFrame({"name": osm._name(pt_tags)[hood.index].values},
                            geometry=hood.geometry.values, crs=4326)
    hood = hood[hood["name"].map(_is_cjk)]
    comm["name"] = nj_names(comm, layers["roads"], landuse, hood, crs)
    comm["code"] = [f"320102900{i + 1:03d}" for i in range(len(comm))]
    comm = comm.to_crs(4326)
    comm["admin_level"] = 10  # community level in China's OSM convention (synthetic here)
    comm["osm_id"] = None
    layers["villages"] = gpd.GeoDataFrame(
        comm[["code", "name", "admin_level", "hh", "osm_id", "geometry"]], crs=4326)
    layers["villages"]["geometry"] = shapely.set_precision(
        layers["villages"].geometry.values, 1e-7)

    hh["village"] = assign(hh, layers["villages"], "code")
    # the communities were built from these households, so every one should fall in one
    assert hh["village"].notna().all(), hh["village"].isna().sum()
    layers["villages"]["hh"] = layers["villages"]["code"].map(
        hh.groupby("village")["hh"].sum()).fillna(0).astype(int)
    layers["households"] = hh
    return layers


# --------------------------------------------------------------------------------------------

def summary(name: str, layers: dict[str, gpd.GeoDataFrame]) -> None:
    log(f"{name}:")
    for k in LAYERS:
        log(f"  {k:11s} {len(layers[k]):6d} features")
    v = layers["villages"]
    log(f"  households total: {int(layers['households']['hh'].sum())}")
    for _, r in v.iterrows():
        log(f"    {r['code']}  {r['name']:<16s} hh={int(r['hh'])}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data",
                    help="the shared data folder holding osm/ (default: ../shared/data)")
    ap.add_argument("--out", type=Path, default=REPO / "gridtool" / "sample_data",
                    help="output folder (default: gridtool/sample_data, shipped in the wheel)")
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)

    li = build_liechtenstein(a.shared)
    write_gpkg(a.out / "liechtenstein.gpkg", li)
    summary("liechtenstein.gpkg", li)

    nj = build_nanjing(a.shared)
    write_gpkg(a.out / "nanjing-xuanwu.gpkg", nj)
    summary("nanjing-xuanwu.gpkg", nj)
    for f in ("liechtenstein.gpkg", "nanjing-xuanwu.gpkg"):
        log(f"{f}: {(a.out / f).stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
