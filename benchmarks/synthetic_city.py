"""A synthetic municipality of 100 thousand to 10 million households, township by township.

    from benchmarks.synthetic_city import SyntheticCity
    city = SyntheticCity(households=1_000_000, seed=0)       # a plan only: nothing is built yet
    city.townships[:3]                                         # real names and codes, households
    layers = city.township_layers(city.townships[0])           # {role: GeoDataFrame}, one township
    BatchPartitioner(workers=2).fit(city)                      # a ChunkSource: built lazily per chunk
    city.to_layers()                                           # the whole city in memory (small sizes)

**The households are synthetic.** Building shapes, roads, rivers, railways, forest and places are
real OpenStreetMap data (© OpenStreetMap contributors, ODbL 1.0) from four extracts: the bundled
samples Liechtenstein (11 municipalities, alpine valley) and Nanjing Xuanwu (14 derived urban
communities of apartment blocks), and Malta (67 local councils, dense small towns) and Andorra
(7 parishes, steep valleys) read from ``/work/shared/data/osm``. Household counts are *estimates*
from building footprints and levels (``gridtool.io.osm``), scaled per tile by a seeded factor of
±20 % per building; the villages' names and codes are real Chongqing villages and communities
(``/work/shared/data/names/chongqing_villages_china_division.csv``) put on places that are not
theirs. Nothing here describes any real place; the city exists to measure speed and memory.

How it is laid out:

- *Tiles.* The four samples are used in turn (Liechtenstein, Malta, Andorra, Nanjing, …), each
  translated into a cell of a square layout in CGCS2000 / GK CM 108E metres (EPSG:4545, the
  Chongqing zone) with a seeded shift of up to ±100 m and a rotation of up to ±1.5°, so that no
  two tiles are numerically identical. Cells are 2 km wider than the largest sample, so nothing of
  one tile comes near another.
- *Townships.* Chongqing's 1,031 townships are taken in code order (district, township); each
  takes the next ``n`` villages of the current tile in a snake order (bands north to south,
  alternating west→east and east→west, so a township's villages are neighbours), where ``n`` is
  the real township's number of villages; a tile running out ends the township early and the next
  township starts on the next tile. Villages get the real 12-digit code and name (``村民委员会`` /
  ``居民委员会`` dropped); ``township``, ``township_name``, ``district``, ``district_name`` columns
  are added. After the list's 11,270 villages it starts again with ``59`` for ``50`` in the codes.
- *Sizes.* Townships are planned until ``households`` is reached (the last township may pass it).
  Roughly 30,000 households per tile: 100k ≈ 4 tiles, 1M ≈ 33, 10M ≈ 320.
- *Lazily.* Only the plan (names, codes, households per township) is made up front. A township's
  layers are built when asked for (its villages, the households in them, and every other feature
  within the batch margin of them, translated), so a 10-million-household city streams through a
  batch run in constant memory.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from gridtool.partition.chunking import (ROW, VILLAGE, VROW, Chunk, ChunkSource,  # noqa: E402
                                         margin_for, prepare_villages)
from gridtool.spatial import assign_to_polygons, household_points  # noqa: E402

SHARED = Path("/work/shared/data")
NAMES_CSV = SHARED / "names" / "chongqing_villages_china_division.csv"
OSM_EXTRACTS = {"malta": "osm/malta-2018-08.osm.pbf", "andorra": "osm/andorra-2025-01.osm.pbf"}
SAMPLES = ("liechtenstein", "malta", "andorra", "nanjing-xuanwu")
ROLES = ("households", "villages", "roads", "rivers", "railways", "forest", "places")
CONTEXT = ("roads", "rivers", "railways", "forest", "places")
CITY_CRS = "EPSG:4545"  # CGCS2000 / 3-degree Gauss-Kruger CM 108E
ORIGIN = (300_000.0, 3_550_000.0)  # north-west corner of the layout


@dataclass
class Sample:
    """One OSM extract in local metres (origin at the centre of its villages' bounds)."""

    name: str
    layers: dict[str, gpd.GeoDataFrame]
    owner: np.ndarray          # village row of every household (all inside a village)
    order: np.ndarray          # villages in snake reading order
    trees: dict[str, shapely.STRtree]
    width: float
    height: float


@dataclass(frozen=True)
class Township:
    """A planned township: which tile and which villages of its sample, with real names/codes."""

    code: str
    name: str
    district: str
    district_name: str
    tile: int
    sample: str
    villages: tuple[int, ...]  # rows in the sample's villages layer
    codes: tuple[str, ...]
    names: tuple[str, ...]
    households: int
    first_village: int         # global row of its first village
    first_household: int       # global row of its first household feature


def _read_sample(name: str) -> dict[str, gpd.GeoDataFrame]:
    from gridtool.project import Project
    if name in OSM_EXTRACTS:
        from gridtool.io.osm import osm_roles_available
        path = str(SHARED / OSM_EXTRACTS[name])
        have = osm_roles_available(path)
        proj = Project.from_sources({r: path for r in ROLES if r in have})
    else:
        from gridtool.samples import sample_sources
        proj = Project.from_sources(sample_sources(name))
    return {r: lyr.gdf.reset_index(drop=True) for r, lyr in proj.layers.items() if r in ROLES}


def _snake_order(geoms: np.ndarray) -> np.ndarray:
    c = shapely.get_coordinates(shapely.point_on_surface(geoms))
    band = max(math.sqrt(float(np.median(shapely.area(geoms)))), 1.0)
    row = np.floor((c[:, 1].max() - c[:, 1]) / band).astype(int)
    x = np.where(row % 2 == 0, c[:, 0], -c[:, 0])
    return np.lexsort((x, row))


@lru_cache(maxsize=None)
def load_sample(name: str) -> Sample:
    """The sample's layers in local metres; households outside every village dropped."""
    layers = _read_sample(name)
    v = layers["villages"]
    x0, y0, x1, y1 = v.total_bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    out = {}
    for role, g in layers.items():
        g = g.copy()
        g = g.set_geometry(shapely.transform(g.geometry.values, lambda xy: xy - (cx, cy)), crs=None)
        for col in ("osm_id", "src_id"):
            if col in g:
                g[col] = g[col].astype(str)
        out[role] = g
    vgeoms = gpd.GeoSeries(shapely.make_valid(out["villages"].geometry.values))
    owner = assign_to_polygons(household_points(out["households"]), vgeoms)
    keep = owner >= 0
    out["households"] = out["households"][keep].reset_index(drop=True)
    trees = {r: shapely.STRtree(out[r].geometry.values) for r in CONTEXT if r in out and len(out[r])}
    return Sample(name=name, layers=out, owner=owner[keep], order=_snake_order(vgeoms.values), trees=trees,
                  width=x1 - x0, height=y1 - y0)


def _names() -> pd.DataFrame:
    d = pd.read_csv(NAMES_CSV, dtype=str).sort_values("code").reset_index(drop=True)
    d["short"] = d["village"].str.replace(r"(村民委员会|居民委员会|村委会|居委会|工作站)$", "", regex=True)
    return d


class SyntheticCity(ChunkSource):
    """A municipality planned township by township; see the module docstring.

    Parameters
    ----------
    households : int
        Households to reach (the last township may pass it).
    seed : int
        Tile shifts, rotations and household factors.
    samples : tuple of str
        Extracts used in turn for the tiles.
    hh_jitter : float
        Each building's households are multiplied by a factor in ``[1 - j, 1 + j]`` (at least 1).
    params : dict, optional
        Partition parameters, for the margin of context features around a township.
    """

    crs = CITY_CRS

    def __init__(self, households: int = 1_000_000, *, seed: int = 0, samples: tuple[str, ...] = SAMPLES,
                 hh_jitter: float = 0.2, params: dict | None = None):
        self.target = int(households)
        self.seed = int(seed)
        self.samples = tuple(samples)
        self.hh_jitter = float(hh_jitter)
        self.margin = margin_for(params or {})
        loaded = [load_sample(s) for s in self.samples]
        self.cell = max(max(s.width, s.height) for s in loaded) + 2000.0
        self.townships = self._plan()
        n_tiles = (self.townships[-1].tile + 1) if self.townships else 0
        self.ncol = max(1, math.ceil(math.sqrt(n_tiles)))

    # -- plan ------------------------------------------------------------------------------
    def _tile_sample(self, tile: int) -> Sample:
        return load_sample(self.samples[tile % len(self.samples)])

    def tile_households(self, tile: int) -> np.ndarray:
        """Households per building of ``tile`` (the sample's estimates times a seeded factor)."""
        s = self._tile_sample(tile)
        hh = pd.to_numeric(s.layers["households"]["hh"], errors="coerce").fillna(0).to_numpy(dtype=float)
        if self.hh_jitter <= 0:
            return np.rint(hh).astype(np.int64)
        rng = np.random.default_rng([self.seed, tile, 1])
        f = rng.uniform(1 - self.hh_jitter, 1 + self.hh_jitter, len(hh))
        return np.where(hh > 0, np.maximum(1, np.rint(hh * f)), 0).astype(np.int64)

    def _plan(self) -> list[Township]:
        names = _names()
        towns = list(names.groupby("streetCode", sort=True))
        out: list[Township] = []
        tile, used, total, rnd, vrow, frow = 0, 0, 0, 0, 0, 0
        per_village = None
        ti = 0
        while total < self.target:
            if ti == len(towns):  # every real township used: again, with 59 for 50
                ti, rnd = 0, rnd + 1
            tcode, grp = towns[ti]
            ti += 1
            s = self._tile_sample(tile)
            if per_village is None:
                hh = self.tile_households(tile)
                per_village = np.bincount(s.owner, weights=hh, minlength=len(s.layers["villages"])).astype(np.int64)
                n_feat = np.bincount(s.owner, minlength=len(s.layers["villages"]))
            take = s.order[used:used + len(grp)]
            pre = (lambda c: c) if rnd == 0 else (lambda c, r=rnd: f"{50 + 9 * r}{c[2:]}")
            suffix = "" if rnd == 0 else f"（{rnd + 1}）"
            codes = tuple(pre(c) for c in grp["code"].iloc[:len(take)])
            vnames = tuple(n + suffix for n in grp["short"].iloc[:len(take)])
            hh_t = int(per_village[take].sum())
            out.append(Township(code=pre(tcode), name=grp["street"].iat[0] + suffix, district=pre(grp["areaCode"].iat[0]),
                                district_name=grp["area"].iat[0], tile=tile, sample=s.name,
                                villages=tuple(int(x) for x in take), codes=codes, names=vnames, households=hh_t,
                                first_village=vrow, first_household=frow))
            total += hh_t
            vrow += len(take)
            frow += int(n_feat[take].sum())
            used += len(take)
            if used >= len(s.order):
                tile, used, per_village = tile + 1, 0, None
        return out

    @property
    def households_total(self) -> int:
        return sum(t.households for t in self.townships)

    # -- geometry --------------------------------------------------------------------------
    def _mover(self, tile: int):
        r, c = divmod(tile, self.ncol)
        rng = np.random.default_rng([self.seed, tile, 0])
        dx, dy = rng.uniform(-100, 100, size=2)
        ang = math.radians(rng.uniform(-1.5, 1.5))
        ca, sa = math.cos(ang), math.sin(ang)
        tx = ORIGIN[0] + (c + 0.5) * self.cell + dx
        ty = ORIGIN[1] - (r + 0.5) * self.cell + dy

        def move(xy):
            return np.column_stack([ca * xy[:, 0] - sa * xy[:, 1] + tx, sa * xy[:, 0] + ca * xy[:, 1] + ty])
        return move

    def _moved(self, g: gpd.GeoDataFrame, move) -> gpd.GeoDataFrame:
        g = g.copy()
        return g.set_geometry(shapely.transform(g.geometry.values, move), crs=CITY_CRS)

    def _township_villages(self, t: Township) -> gpd.GeoDataFrame:
        s = load_sample(t.sample)
        rows = np.asarray(t.villages)
        v = self._moved(s.layers["villages"].iloc[rows], self._mover(t.tile))
        v["source_name"] = v["name"].astype(str)
        v["name"] = list(t.names)
        v["code"] = list(t.codes)
        v["township"], v["township_name"] = t.code, t.name
        v["district"], v["district_name"] = t.district, t.district_name
        v[VROW] = np.arange(t.first_village, t.first_village + len(rows), dtype=np.int64)
        return v.reset_index(drop=True)

    def township_layers(self, t: Township) -> dict[str, gpd.GeoDataFrame]:
        """One township's inputs ``{role: GeoDataFrame}`` in EPSG:4545, built now.

        Villages carry ``_batch_vrow`` and households ``_batch_row``/``_batch_village`` (global
        rows across the city), as a :class:`~gridtool.partition.chunking.ChunkSource` gives them.
        """
        s = load_sample(t.sample)
        move = self._mover(t.tile)
        rows = np.asarray(t.villages)
        v = self._township_villages(t)
        gvrow = dict(zip(rows.tolist(), v[VROW].tolist()))
        code_of = dict(zip(rows.tolist(), t.codes))
        # Households in the township's villages, in the order of its villages.
        hh_all = self.tile_households(t.tile)
        parts = []
        for r in rows.tolist():
            idx = np.flatnonzero(s.owner == r)
            h = s.layers["households"].iloc[idx].copy()
            h["hh"] = hh_all[idx]
            h["village"] = code_of[r]
            h[VILLAGE] = gvrow[r]
            parts.append(h)
        hs = pd.concat(parts, ignore_index=True)
        hs = self._moved(gpd.GeoDataFrame(hs, geometry=s.layers["households"].geometry.name), move)
        hs[ROW] = np.arange(t.first_household, t.first_household + len(hs), dtype=np.int64)
        if "src_id" in hs:
            hs["src_id"] = f"t{t.tile}:" + hs["src_id"].astype(str)
        out = {"villages": v, "households": hs}
        vloc = s.layers["villages"].geometry.values[rows]
        for role, tree in s.trees.items():
            hit = np.unique(tree.query(vloc, predicate="dwithin", distance=self.margin)[1])
            g = self._moved(s.layers[role].iloc[hit], move).reset_index(drop=True)
            if "src_id" in g:
                g["src_id"] = f"t{t.tile}:" + g["src_id"].astype(str)
            out[role] = g
        return out

    # -- ChunkSource -----------------------------------------------------------------------
    def chunks(self) -> list[Chunk]:
        out = []
        for t in self.townships:
            out.append(Chunk(key=t.code, rows=tuple(range(t.first_village, t.first_village + len(t.villages))),
                             names=t.names, codes=t.codes, district=t.district, households=t.households))
        return out

    def layers(self, chunk: Chunk) -> dict[str, gpd.GeoDataFrame]:
        t = next(t for t in self.townships if t.code == chunk.key)
        return self.township_layers(t)

    def villages(self) -> gpd.GeoDataFrame:
        """The whole villages layer (the batch partitioner's checks after the run read it: villages
        too small on their own, failed chunks), built once; no households are built for it."""
        if getattr(self, "_villages", None) is None:
            v = pd.concat([self._township_villages(t) for t in self.townships], ignore_index=True)
            self._villages = prepare_villages(gpd.GeoDataFrame(v, geometry=v.geometry.name, crs=CITY_CRS))
        return self._villages

    def outside_villages(self) -> gpd.GeoDataFrame:
        """None: a sample's buildings in no village are dropped when it is loaded (:func:`load_sample`)."""
        t = self.townships[0]
        h = load_sample(t.sample).layers["households"].iloc[:0].copy()
        h[ROW] = np.zeros(0, dtype=np.int64)
        return h

    def to_layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The whole city in memory, each feature once (context features shared by townships of
        one tile are not repeated). For small cities: 1M households take a few GB."""
        parts: dict[str, list] = {}
        seen: dict[str, set] = {}
        for t in self.townships:
            for role, g in self.township_layers(t).items():
                if role in CONTEXT and "src_id" in g:
                    s = seen.setdefault(role, set())
                    new = ~g["src_id"].isin(s)
                    s.update(g["src_id"].tolist())
                    g = g[new.to_numpy()]
                parts.setdefault(role, []).append(g)
        out = {}
        for role, ps in parts.items():
            g = pd.concat(ps, ignore_index=True)
            out[role] = gpd.GeoDataFrame(g.drop(columns=[c for c in (ROW, VILLAGE, VROW) if c in g]),
                                         geometry=ps[0].geometry.name, crs=CITY_CRS)
        return out


if __name__ == "__main__":
    import argparse
    import time

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--build", action="store_true", help="build every township once (time and memory)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    city = SyntheticCity(a.households, seed=a.seed)
    ts = city.townships
    print(f"{len(ts)} townships, {sum(len(t.villages) for t in ts)} villages, {city.households_total:,} households "
          f"on {ts[-1].tile + 1} tiles, {len({t.district for t in ts})} districts; planned in "
          f"{time.perf_counter() - t0:.1f}s")
    for t in ts[:5]:
        print(f"  {t.code} {t.district_name}{t.name}: {len(t.villages)} villages ({'、'.join(t.names[:4])}…), "
              f"{t.households:,} households, tile {t.tile} ({t.sample})")
    if a.build:
        import resource
        t1 = time.perf_counter()
        n = 0
        for t in ts:
            n += len(city.township_layers(t)["households"])
        print(f"built {n:,} household features in {time.perf_counter() - t1:.1f}s; peak RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
