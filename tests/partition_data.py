"""Generated villages for the partition tests: streets, a river, clustered houses, real names.

Made in CGCS2000 / GK CM 108E metres like the Chongqing township in conftest. Each village is a
rectangle crossed by a street grid (residential lanes, one primary road); an optional river runs
north-south through the middle (a hard barrier); houses cluster along the streets and a few
apartment blocks hold 50–120 households.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point, box

GK108 = "EPSG:4545"
NAMES = [("东方广场社区", "500101001001"), ("乌龙池社区", "500101001002"), ("石门坎村", "500101001003")]


def make_villages(*, n_villages: int = 1, households: int = 1200, river: bool = True,
                  apartments: int = 2, seed: int = 0, width: float = 1200.0,
                  height: float = 900.0) -> dict[str, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    x0, y0 = 480_000.0, 3_265_000.0
    vills, houses, roads, rivers = [], [], [], []
    for v in range(n_villages):
        vx = x0 + v * width
        vills.append({"name": NAMES[v % len(NAMES)][0], "code": NAMES[v % len(NAMES)][1],
                      "geometry": box(vx, y0, vx + width, y0 + height)})
        # Street grid: lanes every ~150 m, one primary road across.
        for x in np.arange(vx + 150, vx + width, 150.0):
            roads.append({"class": "residential", "name": "巷", "geometry":
                          LineString([(x, y0 - 10), (x + rng.normal(0, 5), y0 + height + 10)])})
        for y in np.arange(y0 + 150, y0 + height, 150.0):
            cls = "primary" if abs(y - (y0 + height / 2)) < 75 else "residential"
            roads.append({"class": cls, "name": "路", "geometry":
                          LineString([(vx - 10, y), (vx + width + 10, y + rng.normal(0, 5))])})
        if river:
            rx = vx + width / 2 + 40
            rivers.append({"kind": "river", "name": "小河", "geometry":
                           LineString([(rx, y0 - 50), (rx + 30, y0 + height / 2), (rx, y0 + height + 50)])})
        # Houses in clusters; total households split between houses and apartments.
        n_houses = max(households // 3, 10)
        centres = np.column_stack([vx + 60 + rng.random(12) * (width - 120), y0 + 60 + rng.random(12) * (height - 120)])
        pick = rng.integers(0, len(centres), n_houses)
        xy = centres[pick] + rng.normal(0, 70, (n_houses, 2))
        xy[:, 0] = np.clip(xy[:, 0], vx + 5, vx + width - 5)
        xy[:, 1] = np.clip(xy[:, 1], y0 + 5, y0 + height - 5)
        # Houses clipped onto one corner would be exact copies of a row, which validation refuses
        # (counted twice): each repeat moves half a metre along the diagonal, inward.
        _, first, inverse = np.unique(xy, axis=0, return_index=True, return_inverse=True)
        inverse = np.asarray(inverse).reshape(-1)
        repeat = np.arange(n_houses) - first[inverse]
        if repeat.any():
            nth = np.zeros(n_houses)
            for k in np.flatnonzero(repeat):
                nth[k] = np.sum(inverse[:k] == inverse[k])
            xy += np.sign(np.array([vx + width / 2, y0 + height / 2]) - xy) * 0.5 * nth[:, None]
        apt_hh = rng.integers(50, 121, apartments) if apartments else np.zeros(0, int)
        rest = max(households - int(apt_hh.sum()), n_houses)
        hh = np.ones(n_houses, dtype=int) + rng.multinomial(rest - n_houses, np.ones(n_houses) / n_houses)
        for (x, y), h in zip(xy, hh):
            houses.append({"hh": int(h), "户主姓名": "王某", "geometry": Point(x, y)})
        for h in apt_hh:
            x, y = vx + 100 + rng.random() * (width - 200), y0 + 100 + rng.random() * (height - 200)
            houses.append({"hh": int(h), "户主姓名": "李某", "geometry": box(x, y, x + 30, y + 15)})
    hs = gpd.GeoDataFrame(houses, crs=GK108)
    hs["src_id"] = [f"FID {i}" for i in range(len(hs))]
    out = {"villages": gpd.GeoDataFrame(vills, crs=GK108), "households": hs,
           "roads": gpd.GeoDataFrame(roads, crs=GK108)}
    if rivers:
        out["rivers"] = gpd.GeoDataFrame(rivers, crs=GK108)
    return out


def add_households(layers: dict, fraction: float, seed: int = 1) -> dict:
    """A copy of ``layers`` with ``fraction`` more households (new houses beside existing ones)."""
    rng = np.random.default_rng(seed)
    hs = layers["households"]
    pts = hs[hs.geometry.geom_type == "Point"]
    n = max(1, int(round(fraction * hs["hh"].sum())))
    pick = pts.sample(n=min(n, len(pts)), random_state=seed, replace=len(pts) < n)
    new = pick.copy()
    new["geometry"] = [Point(p.x + rng.normal(0, 6), p.y + rng.normal(0, 6)) for p in pick.geometry]
    new["hh"] = 1
    new["src_id"] = [f"new {i}" for i in range(len(new))]
    out = dict(layers)
    out["households"] = gpd.GeoDataFrame(pd.concat([hs, new], ignore_index=True), crs=hs.crs)
    return out


def run_unguarded_script(folder, body: str) -> list[str]:
    """Run ``body`` as a planner's script without ``if __name__ == "__main__":`` (``plan.py`` in
    ``folder``, this folder importable) and return the lines it printed starting with ``RAN``;
    the script must succeed without a traceback. Spawned worker processes import such a script,
    which is what the tests using this check."""
    import subprocess
    import sys
    from pathlib import Path
    script = Path(folder) / "plan.py"
    here = str(Path(__file__).resolve().parent)
    script.write_text(f"import sys\nsys.path.insert(0, {here!r})\n" + body, encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, cwd=folder)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    return [line for line in out.stdout.splitlines() if line.startswith("RAN")]
