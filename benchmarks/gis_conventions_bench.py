"""What the GIS conventions of issue 18 cost, as ratios within one process.

    python benchmarks/gis_conventions_bench.py [--households 500000] [--osm PATH.osm]

- ``styles``: the QGIS ``layer_styles`` table (QML + SLD of every layer, the wall map's grid colouring)
  against the rest of ``Project.save`` on a synthetic county (``synthetic_county.make_county``) with
  a square grid layer (36 × 36 base grids) and its sub-grids (12 per grid).
- ``osmnx`` (when osmnx is installed: ``pip install -e ".[bench]"``): a walking graph of an OSM XML
  extract built by gridtool (``graph_from_osm``: GDAL reads the file) against osmnx 2
  (``graph_from_xml`` + ``project_graph``), and gridtool's adapter ``RoadGraph.from_osmnx`` on
  osmnx's graph. The default extract is Nanjing Xuanwu from the shared data.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHARED = next((p for p in (Path(os.environ.get("GRIDTOOL_SHARED_DATA", "/nonexistent")),
                            Path(__file__).resolve().parents[2] / "shared" / "data", Path("/work/shared/data"))
               if (p / "osm").is_dir()), Path("shared/data"))


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_styles(households: int) -> None:
    import geopandas as gpd
    import pyproj
    import shapely

    from benchmarks.synthetic_county import make_county
    from gridtool.layers import Layer
    from gridtool.maps.qgis import write_layer_styles
    from gridtool.project import Project

    layers = make_county(target_households=households, seed=0)
    crs = layers["households"].crs
    x0, y0, x1, y1 = layers["households"].total_bounds
    n = 36
    xs, ys = np.linspace(x0, x1, n + 1), np.linspace(y0, y1, n + 1)
    boxes = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(n) for j in range(n)]
    grids = gpd.GeoDataFrame({"code": [f"G{k:04d}" for k in range(len(boxes))], "hh": 400}, geometry=boxes, crs=crs)
    sub = []
    for k, b in enumerate(boxes):
        bx0, by0, bx1, by1 = b.bounds
        sx, sy = np.linspace(bx0, bx1, 5), np.linspace(by0, by1, 4)
        sub += [(f"G{k:04d}-{i * 3 + j + 1:02d}", shapely.box(sx[i], sy[j], sx[i + 1], sy[j + 1]))
                for i in range(4) for j in range(3)]
    subgrids = gpd.GeoDataFrame({"code": [c for c, _ in sub], "hh": 33}, geometry=[g for _, g in sub], crs=crs)
    proj = Project(name="county", crs=pyproj.CRS(crs))
    for role, gdf in {**layers, "grids": grids, "subgrids": subgrids}.items():
        proj.layers[role] = Layer(role=role, gdf=gdf, source="")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "county.gpkg"
        t_save = _best(lambda: proj.save(path), repeat=2)
        t_styles = _best(lambda: write_layer_styles(path, {r: lyr.gdf for r, lyr in proj.layers.items()}))
    hh = int(layers["households"]["hh"].sum())
    print(f"styles: county of {hh:,} households, {len(grids):,} grids, {len(subgrids):,} sub-grids: "
          f"Project.save {t_save:.2f} s including the style table {t_styles:.3f} s "
          f"({t_styles / t_save:.1%} of the save)")


def bench_osmnx(osm: Path) -> None:
    try:
        t0 = time.perf_counter()
        import osmnx as ox
        t_import = time.perf_counter() - t0
    except ImportError:
        print("osmnx: not installed (pip install -e '.[bench]'); skipped")
        return
    import warnings

    from gridtool.io import osm as osm_reader
    from gridtool.routing.graph import RoadGraph, graph_from_osm

    warnings.filterwarnings("ignore")

    def ours():
        osm_reader._CACHE.clear()
        return graph_from_osm(osm, mode="walk")

    def theirs():
        return ox.project_graph(ox.graph_from_xml(osm, simplify=True, retain_all=True))

    t_ours, t_theirs = _best(ours), _best(theirs)
    G = ox.graph_from_xml(osm, simplify=True, retain_all=True)
    t_adapt = _best(lambda: RoadGraph.from_osmnx(G, mode="walk"))
    g = ours()
    untagged = sum(1 for *_, d in G.edges(data=True) if "highway" not in d)
    print(f"osmnx {ox.__version__}: {osm.name}: gridtool graph_from_osm {t_ours:.2f} s; osmnx graph_from_xml + "
          f"project_graph {t_theirs:.2f} s ({t_theirs / t_ours:.1f}x gridtool); RoadGraph.from_osmnx on "
          f"osmnx's graph {t_adapt:.2f} s; import osmnx {t_import:.2f} s")
    print(f"  gridtool: {g.n_nodes:,} nodes, {g.length.sum() / 2000:.1f} km of street; osmnx: "
          f"{G.number_of_nodes():,} nodes, {untagged:,} of {G.number_of_edges():,} edges without a highway tag "
          "(graph_from_xml keeps every way)")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=500_000)
    ap.add_argument("--osm", type=Path, default=SHARED / "osm" / "nanjing-xuanwu-2021-06.osm")
    ap.add_argument("--sections", default="styles,osmnx")
    a = ap.parse_args(argv)
    sections = a.sections.split(",")
    if "styles" in sections:
        bench_styles(a.households)
    if "osmnx" in sections:
        bench_osmnx(a.osm)


if __name__ == "__main__":
    main()
