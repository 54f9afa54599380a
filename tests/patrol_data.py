"""A synthetic town for hot-spot patrols: a 9×9 street grid (100 m blocks), key places, two
stations, and incident records with three planted clusters (each at its own hours of the day)
over an even background."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from .test_routing_graph import GK108, X0, Y0, town

#: (x, y, incidents, peak hour) of the planted clusters, on streets of the grid.
CLUSTERS = [(X0 + 250, Y0 + 300, 25, 15.0), (X0 + 600, Y0 + 700, 18, 16.0), (X0 + 100, Y0 + 650, 12, 17.0)]
BACKGROUND = 60


def patrol_town(seed: int = 0) -> dict:
    t = town(n=9, step=100)
    rng = np.random.default_rng(seed)
    pts, hours, kinds = [], [], []
    for cx, cy, k, hr in CLUSTERS:
        for _ in range(k):
            along_x = abs(cy - round(cy / 100) * 100) < 1  # the street runs east-west
            dx, dy = (rng.normal(0, 15), rng.normal(0, 4)) if along_x else (rng.normal(0, 4), rng.normal(0, 15))
            pts.append(Point(cx + dx, cy + dy))
            hours.append((hr + rng.normal(0, 0.5)) % 24)
            kinds.append(rng.choice(["盗窃", "纠纷", "诈骗"], p=[0.6, 0.3, 0.1]))
    for _ in range(BACKGROUND):
        pts.append(Point(X0 + rng.random() * 800, Y0 + rng.random() * 800))
        hours.append(rng.random() * 24)
        kinds.append(rng.choice(["盗窃", "纠纷", "其他"]))
    day = pd.Timestamp("2024-03-01")
    times = [(day + pd.Timedelta(days=int(rng.integers(0, 90))) + pd.Timedelta(hours=h)).strftime("%Y/%m/%d %H:%M")
             for h in hours]
    incidents = gpd.GeoDataFrame({"报警时间": times, "警情类别": kinds, "报警人": [f"张{i}" for i in range(len(pts))]},
                                 geometry=pts, crs=GK108)
    places = t["places"].iloc[:4].copy()
    places = places.assign(geometry=[Point(X0 + 710, Y0 + 105), Point(X0 + 95, Y0 + 190), Point(X0 + 400, Y0 + 505),
                                     Point(X0 + 705, Y0 + 400)])
    stations = gpd.GeoDataFrame({"name": ["城关派出所", "东街警务室"], "kind": ["police", "police"]},
                                geometry=[Point(X0 + 5, Y0 + 400), Point(X0 + 800, Y0 + 5)], crs=GK108)
    return {"roads": t["roads"], "places": places, "stations": stations, "incidents": incidents}


def write_layers(path, layers: dict) -> dict[str, str]:
    """Each layer into one GeoPackage; returns ``{role: "path:layer"}``."""
    for role, gdf in layers.items():
        gdf.drop(columns=[c for c in ("src_id",) if c in gdf]).to_file(path, layer=role, driver="GPKG")
    return {role: f"{path}:{role}" for role in layers}
