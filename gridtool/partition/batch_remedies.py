"""The merge remedies of a batch's infeasible villages, over the whole villages layer.

Each chunk is an engine fit that sees only its own villages, so a village too small (or too large)
for any number of grids is offered a merge with the neighbours *in its chunk* only: none at all
with ``--by village``, none across a township's border with ``--by township``; the command line
then printed "与邻村合并（—）". Here every neighbour whose boundary touches the village's (within
a metre, as :func:`.chunking.merge_candidates` keeps villages together) is weighed as the engine
weighs its own (:func:`.villages.remedies`), with the households the chunks counted.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from .feasibility import feasible_grid_counts
from .report import remedy_texts
from .villages import choose_k

#: Boundaries closer than this (metres) are neighbours: digitised borders rarely meet exactly.
TOUCH_M = 1.0


def add_neighbour_merges(plan: dict, villages: gpd.GeoDataFrame, village_reports: list[dict],
                         bounds: tuple[int, int, int]) -> None:
    """Complete ``remedies["merge"]`` of ``plan["infeasible_villages"]`` with the neighbours of
    other chunks, and name every neighbour in ``remedies["neighbours"]`` (so that an empty merge
    list can say why: no neighbour, or none with which a grid count fits). In place.

    ``villages`` is the whole prepared villages layer (``name``, ``code``); ``village_reports`` the
    run's per-village reports (their ``code`` and ``households``); ``bounds`` the engine's
    ``(min_hh, max_hh, target)``."""
    infeasible = plan.get("infeasible_villages") or []
    if not infeasible or villages is None or not len(villages):
        return
    lo, hi, target = (int(b) for b in bounds)
    codes = villages["code"].astype(str).to_numpy()
    names = villages["name"].astype(str).to_numpy()
    row_of = {c: i for i, c in enumerate(codes)}
    hh_of: dict[str, int] = {}
    for r in [*village_reports, *infeasible]:  # guests merged away have no village report of their own
        if r.get("code") is not None and r.get("households") is not None:
            hh_of.setdefault(str(r["code"]), int(r["households"]))
    geoms = shapely.make_valid(np.asarray(villages.geometry.values))
    tree = shapely.STRtree(geoms)
    for v in infeasible:
        i = row_of.get(str(v.get("code")))
        if i is None:
            continue
        near = [int(j) for j in tree.query(geoms[i], predicate="dwithin", distance=TOUCH_M) if int(j) != i]
        rem = v.setdefault("remedies", {})
        merge = list(rem.get("merge") or [])
        have = {m["village"] for m in merge}
        H = int(v["households"])
        for j in sorted(near, key=lambda j: codes[j]):
            tot = H + hh_of.get(codes[j], -H - 1)
            if names[j] in have or tot <= H or not feasible_grid_counts(tot, lo, hi):
                continue  # already offered, households unknown (its chunk failed) or no count fits
            merge.append({"village": names[j], "code": codes[j], "households": tot,
                          "grids": choose_k(tot, lo, hi, target)})
            have.add(names[j])
        merge.sort(key=lambda m: (abs(m["households"] / max(m["grids"], 1) - target), m["village"]))
        rem["merge"] = merge
        rem["neighbours"] = [names[j] for j in sorted(near, key=lambda j: codes[j])]
        v.update(remedy_texts(v))
