"""Turn a bundled OSM sample into the layout a Chinese township office hands out.

    python tools/make_government_layout.py --sample liechtenstein --out /tmp/gov

Writes ``<out>/<sample>-gov.gpkg`` with four layers, none of which carries an OSM tag:

* ``DLTB`` — a 第三次全国国土调查 (三调) land-parcel layer: polygons with ``BSM``, ``DLBM``,
  ``DLMC``, ``QSDWDM``/``QSDWMC`` (19-digit owner unit code and name), ``ZLDWDM``/``ZLDWMC``,
  ``TBMJ``. Parcels are made from the sample's real geometry, by GB/T 21010-2017 codes: road
  land (1003 公路用地 for primary–unclassified outside settlements, 1004 城镇村道路用地 for streets,
  1006 农村道路 for tracks; the roads buffered by a width per class; tunnels left out, bridges kept,
  so road parcels cut the river parcels at bridges as in real data), 1001 railway land, 1101
  河流水面 (river areas and natural waterways), 1107 沟渠 (canals, ditches, drains), 0301 forest,
  0103/0201/0404 fields, orchards and meadows, 0702 rural homesteads (buildings buffered by 15 m);
  priority railway > road > water > the rest; cut along the village boundaries and split into
  single polygons;
* ``DLXX`` — survey roads (lines) with only ``f_code`` (GB/T 13923 medium classes: 42 inter-city
  highways, 43 urban roads, 44 rural roads), ``wid`` (metres, by class with ±15 % deterministic
  noise) and ``name``;
* ``CJDCQ`` — villages with uninformative headers: ``F1`` name, ``F2`` 12-digit code, ``F3``
  township, ``F4`` district, real names and codes of one Chongqing district's townships from
  ``names/chongqing_villages_china_division.csv`` (the sample's municipalities/communities in
  code order take the villages of consecutive townships);
* ``FW`` — the buildings with their households in a column named ``字段1``.

Beside it, ``<out>/<sample>-gov-roads.dxf``: the DLXX roads as a surveyor's CAD drawing, each on
the CAD layer of its GB/T 13923 medium class (公路, 城市道路, 乡村道路), with no grade and no width;
and ``<out>/<sample>-gov-survey.dxf``: a whole survey drawing to give as the rivers — watercourses on
河流/沟渠 among railways (铁路), roads (DLSS), village boundaries (JJ), house outlines (JMD) and
made-up contours (DGX) that a rivers layer must leave out.

Household counts are the sample's estimates; names and codes are real but describe no real place
here. Deterministic (seed 0).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
NAMES = Path("/work/shared/data/names/chongqing_villages_china_division.csv")

ROAD_WIDTH = {"motorway": 26, "trunk": 20, "primary": 14, "secondary": 10, "tertiary": 7, "unclassified": 5,
              "residential": 6, "living_street": 5, "service": 4, "pedestrian": 5, "track": 3,
              "path": 1.5, "footway": 1.5, "cycleway": 2.5, "steps": 1.5, "bridleway": 1.5}
# GB/T 13923 medium classes: 42 inter-city highways, 43 urban roads, 44 rural roads.
ROAD_FCODE = {"motorway": "420101", "trunk": "420101", "primary": "420201", "secondary": "420301",
              "tertiary": "420401", "unclassified": "420401", "residential": "430501", "living_street": "430501",
              "service": "430600", "pedestrian": "430700", "track": "440100", "path": "440200",
              "footway": "440200", "cycleway": "440200", "steps": "440200", "bridleway": "440200"}
WATER_WIDTH = {"river": 30.0, "stream": 3.0, "canal": 8.0, "ditch": 2.0, "drain": 2.0}


def _villages(sample: str, vil: gpd.GeoDataFrame, district: str) -> gpd.GeoDataFrame:
    d = pd.read_csv(NAMES, dtype=str)
    d = d[d["areaCode"] == district].sort_values("code")
    v = vil.sort_values("code").reset_index(drop=True)
    # Consecutive townships, as many villages from each as the sample's own townships have.
    own_towns = v["code"].str[:9]
    towns = list(dict.fromkeys(d["streetCode"]))
    rows, ti = [], 0
    for t, grp in v.groupby(own_towns, sort=True):
        while ti < len(towns) and (d["streetCode"] == towns[ti]).sum() < len(grp):
            ti += 1
        pool = d[d["streetCode"] == towns[ti]].head(len(grp))
        ti += 1
        for (_, src), (_, real) in zip(grp.iterrows(), pool.iterrows()):
            name = _short_name(real["village"])
            rows.append({"F1": name, "F2": real["code"], "F3": real["street"], "F4": real["area"],
                         "geometry": src.geometry, "_src_code": src["code"]})
    return gpd.GeoDataFrame(rows, crs=vil.crs)


def _short_name(full: str) -> str:
    """``东方广场社区居民委员会`` → ``东方广场社区``; ``石柱村民委员会`` → ``石柱村``."""
    import re
    name = re.sub(r"(居民委员会|居委会)$", "", full)
    if name != full:
        return name if name.endswith("社区") else name + "社区"
    name = re.sub(r"(村民委员会|村委会)$", "", full)
    return name if name.endswith("村") else name + "村"


def build(sample: str, out_dir: Path, district: str = "500154") -> Path:
    sys.path.insert(0, str(ROOT))
    from gridtool.samples import sample_sources
    from gridtool.project import Project
    p = Project.from_sources(sample_sources(sample))
    L = {r: lyr.gdf for r, lyr in p.layers.items()}
    crs = p.crs
    rng = np.random.default_rng(0)
    vil = _villages(sample, L["villages"], district)
    vgeom = shapely.union_all(vil.geometry.values)

    roads = L["roads"].copy()
    roads["cls"] = roads["class"].astype(str).str.replace("_link", "", regex=False)
    roads = roads[roads["cls"].isin(list(ROAD_WIDTH))]
    wid = roads["cls"].map(ROAD_WIDTH).to_numpy(dtype=float) * (1 + rng.uniform(-0.15, 0.15, len(roads)))
    dlxx = gpd.GeoDataFrame({"f_code": roads["cls"].map(ROAD_FCODE).to_numpy(),
                             "wid": np.round(wid, 1), "name": roads["name"].to_numpy()},
                            geometry=roads.geometry.values, crs=crs)

    # Road land: tunnels are underground; footpaths under 2 m are not parcels.
    surface = ~roads["tunnel"].fillna(False).astype(bool).to_numpy() & (wid >= 2.5)
    town = shapely.buffer(shapely.union_all(shapely.buffer(L["households"].geometry.values, 40)), -20)
    rg = roads.geometry.values[surface]
    rcls = roads["cls"].to_numpy()[surface]
    buf = shapely.buffer(rg, wid[surface] / 2, cap_style="flat")
    in_town = shapely.intersects(town, shapely.centroid(rg))
    street = np.isin(rcls, ["residential", "living_street", "service", "pedestrian"]) | (
        in_town & np.isin(rcls, ["unclassified"]))
    track = np.isin(rcls, ["track", "path", "footway", "cycleway", "bridleway", "steps"])
    highway = ~street & ~track
    rail = L["railways"]
    rail = rail[~rail["tunnel"].fillna(False).astype(bool)]
    rail_area = shapely.union_all(shapely.buffer(rail.geometry.values, 6, cap_style="flat"))
    layers = [("1001", "铁路用地", rail_area)]
    taken = rail_area
    for sel, code, name in ((highway, "1003", "公路用地"), (street, "1004", "城镇村道路用地"),
                            (track, "1006", "农村道路")):
        a = shapely.difference(shapely.union_all(buf[sel]), taken)
        layers.append((code, name, a))
        taken = shapely.union_all([taken, a])
    riv = L["rivers"]
    poly = shapely.get_type_id(riv.geometry.values) >= 3
    kind = riv["kind"].astype(str).to_numpy()
    natural = np.isin(kind, ["river", "stream", "riverbank"])
    ww = np.array([WATER_WIDTH.get(k, 2.0) for k in kind])
    wgeom = np.where(poly, riv.geometry.values, shapely.buffer(riv.geometry.values, ww / 2, cap_style="flat"))
    for sel, code, name in ((natural | (poly & ~np.isin(kind, ["canal", "ditch", "drain"])), "1101", "河流水面"),
                            (~natural & ~poly, "1107", "沟渠")):
        a = shapely.difference(shapely.union_all(wgeom[sel]), taken)
        layers.append((code, name, a))
        taken = shapely.union_all([taken, a])
    fo = L.get("forest")
    homes = shapely.buffer(shapely.union_all(shapely.buffer(L["households"].geometry.values, 15)), 0)
    a = shapely.difference(homes, taken)
    layers.append(("0702", "农村宅基地", a))
    taken = shapely.union_all([taken, a])
    if fo is not None:
        lu = fo["landuse"].astype(str).to_numpy() if "landuse" in fo else fo["kind"].astype(str).to_numpy()
        for vals, code, name in ((("forest", "wood"), "0301", "乔木林地"), (("farmland", "farmyard"), "0103", "旱地"),
                                 (("orchard", "vineyard"), "0201", "果园"),
                                 (("meadow", "grass", "park", "garden", "green"), "0404", "其他草地")):
            sel = np.isin(lu, vals)
            if sel.any():
                a = shapely.difference(shapely.union_all(shapely.make_valid(fo.geometry.values[sel])), taken)
                layers.append((code, name, a))
                taken = shapely.union_all([taken, a])
    layers.append(("0404", "其他草地", shapely.difference(vgeom, taken)))

    rows = []
    for code, name, area in layers:
        for vi, v in vil.iterrows():
            piece = shapely.intersection(area, v.geometry)
            parts = shapely.get_parts(shapely.make_valid(piece))
            parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 5.0)]
            for g in parts:
                rows.append({"DLBM": code, "DLMC": name, "QSDWDM": v["F2"] + "0000000", "QSDWMC": v["F1"],
                             "ZLDWDM": v["F2"] + "0000000", "ZLDWMC": v["F1"], "geometry": g})
    dltb = gpd.GeoDataFrame(rows, crs=crs)
    dltb.insert(0, "BSM", [f"{i + 1:018d}" for i in range(len(dltb))])
    dltb["TBMJ"] = np.round(shapely.area(dltb.geometry.values), 2)

    hs = L["households"]
    fw = gpd.GeoDataFrame({"字段1": hs["hh"].astype(int).to_numpy()}, geometry=hs.geometry.values, crs=crs)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{sample}-gov.gpkg"
    if path.exists():
        path.unlink()
    for name, gdf in (("DLTB", dltb), ("DLXX", dlxx), ("CJDCQ", vil.drop(columns="_src_code")), ("FW", fw)):
        gdf.to_file(path, layer=name, driver="GPKG")
    cad = gpd.GeoDataFrame({"Layer": dlxx["f_code"].str[:2].map({"42": "公路", "43": "城市道路", "44": "乡村道路"})},
                           geometry=dlxx.geometry.values, crs=crs)
    dxf = out_dir / f"{sample}-gov-roads.dxf"
    if dxf.exists():
        dxf.unlink()
    cad.to_file(dxf, driver="DXF")
    _survey_dxf(L, vil, crs, out_dir / f"{sample}-gov-survey.dxf")
    return path


def _survey_dxf(L: dict, vil: gpd.GeoDataFrame, crs, path: Path) -> None:
    """A surveyor's whole drawing, handed out as "the rivers": watercourses on 河流/沟渠, railways on
    铁路, roads on DLSS, village boundaries on JJ, house outlines on JMD, and contours on DGX. The
    contours are made up (rings 40 m and 80 m around the watercourses, as valley contours run): the
    sample has no elevation; they are there to be left out."""
    riv = L["rivers"]
    lines = riv[shapely.get_type_id(riv.geometry.values) < 3]
    kind = lines["kind"].astype(str).to_numpy()
    water_layer = np.where(np.isin(kind, ["canal", "ditch", "drain"]), "沟渠", "河流")
    water = shapely.union_all(lines.geometry.values)
    contours = [shapely.boundary(shapely.buffer(water, d)) for d in (40.0, 80.0)]
    contours = [g for c in contours for g in shapely.get_parts(shapely.line_merge(c))]
    homes = shapely.buffer(L["households"].geometry.values, 6, cap_style="square")
    parts = [(water_layer, lines.geometry.values), (["铁路"] * len(L["railways"]), L["railways"].geometry.values),
             (["DLSS"] * len(L["roads"]), L["roads"].geometry.values),
             (["JJ"] * len(vil), shapely.boundary(vil.geometry.values)),
             (["JMD"] * len(homes), shapely.boundary(homes)), (["DGX"] * len(contours), contours)]
    layers = np.concatenate([np.asarray(a, dtype=object) for a, _ in parts])
    geoms = np.concatenate([np.asarray(g, dtype=object) for _, g in parts])
    cad = gpd.GeoDataFrame({"Layer": layers}, geometry=geoms, crs=crs).explode(index_parts=False)
    cad = cad[cad.geom_type == "LineString"]
    if path.exists():
        path.unlink()
    cad.to_file(path, driver="DXF")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", default="liechtenstein", choices=("liechtenstein", "nanjing-xuanwu"))
    ap.add_argument("--out", default="gov_layout", type=Path)
    ap.add_argument("--district", default="500154", help="Chongqing district code for names (default 开州区)")
    a = ap.parse_args(argv)
    path = build(a.sample, a.out, a.district)
    print(path)


if __name__ == "__main__":
    main()
