"""Per-chunk result files of a batch run: the work directory that makes ``--resume`` possible.

Each finished chunk is written as ``<work dir>/<chunk key>.gpkg`` (its layers: grids, sub-grids,
special grids, corridors, party links, its households and villages) and ``<chunk key>.json`` (its
report, failures, timing and the *digest* of its inputs and parameters). Both are written
atomically (temporary file, fsync, rename), the JSON last: a chunk counts as done only when its
JSON exists with the digest of the current inputs, so an interrupted write or a changed input
(one household moved, other bounds) is computed again, and everything else is skipped.

Hand-written: the digest (WKB of every geometry and a hash of every attribute column) and the
commit order are what make resuming safe; the files themselves are ordinary GeoPackages that QGIS
opens while the city is still running.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .. import __version__
from ..atomic import atomic_gpkg, unsynced_sqlite, write_json_atomic
from .chunking import BATCH_COLUMNS, Chunk

#: Layers of a chunk result, in the order they are written.
RESULT_LAYERS = ("grids", "subgrids", "special_grids", "corridors", "party_links", "households", "villages",
                 "ridges")


def digest(chunk: Chunk, layers: dict[str, gpd.GeoDataFrame], params: dict) -> str:
    """SHA-256 of what decides a chunk's result: gridtool's version, the parameters, the chunk's
    villages and merges, and every input feature (geometry as WKB, attributes hashed by pandas).
    The batch's own row numbers are left out: rows shifting elsewhere in a file change nothing."""
    return digests(chunk, layers, params)[0]


def digests(chunk: Chunk, layers: dict[str, gpd.GeoDataFrame], params: dict) -> tuple[str, dict[str, str]]:
    """:func:`digest` and the digests of its parts (``version``, ``parameters``, ``chunk`` and
    each input layer by role): kept with a result so that a later ``--resume`` can say *what*
    changed when it computes a chunk again (:func:`changed`)."""
    whole = hashlib.sha256()  # the bytes of the parts in order: the same digest as before parts were kept
    whole.update(json.dumps({"version": __version__, "params": params, "key": chunk.key, "codes": chunk.codes,
                             "names": chunk.names, "merge": chunk.merge}, sort_keys=True, default=str,
                            ensure_ascii=False).encode())
    part_of: dict[str, str] = {}
    for name, value in (("version", __version__), ("parameters", params),
                        ("chunk", {"key": chunk.key, "codes": chunk.codes, "names": chunk.names, "merge": chunk.merge})):
        part_of[name] = hashlib.sha256(json.dumps(value, sort_keys=True, default=str,
                                                  ensure_ascii=False).encode()).hexdigest()
    for role in sorted(layers):
        g = layers[role]
        h = hashlib.sha256()
        pieces = [f"|{role}:{len(g)}|".encode()]
        if len(g):
            pieces.append(b"".join(shapely.to_wkb(g.geometry.values, hex=False, include_srid=False)))
            attrs = pd.DataFrame(g.drop(columns=[g.geometry.name, *[c for c in BATCH_COLUMNS if c in g]]))
            pieces.append("|".join(map(str, attrs.columns)).encode())
            try:
                hv = pd.util.hash_pandas_object(attrs, index=False).to_numpy()
            except TypeError:  # unhashable cells (lists): their text stands in
                hv = pd.util.hash_pandas_object(attrs.astype(str), index=False).to_numpy()
            pieces.append(np.ascontiguousarray(hv).tobytes())
        for b in pieces:
            h.update(b)
            whole.update(b)
        part_of[role] = h.hexdigest()
    return whole.hexdigest(), part_of


def without_unread(dig: str, part_of: dict[str, str], unread: dict[str, list[int]]) -> tuple[str, dict[str, str]]:
    """The digest (and parts) of a chunk read without features that could not be read
    (``{role: fids}``): never that of a complete read, even when the missing features were beyond
    the chunk's margin, so that ``--resume`` after the repair computes it again (the role's part
    differs: "道路图层已改变"), while a rerun on the same damaged file still finds it finished."""
    mark = json.dumps(unread, sort_keys=True)
    part_of = {**part_of, **{role: hashlib.sha256(f"{part_of.get(role, '')}|unread:{json.dumps(fids)}".encode())
                             .hexdigest() for role, fids in unread.items()}}
    return hashlib.sha256(f"{dig}|unread:{mark}".encode()).hexdigest(), part_of


def changed(work_dir: str | Path, key: str, part_of: dict[str, str]) -> list[str]:
    """Why the chunk ``key`` is computed again: ``["new"]`` (no finished result: never computed,
    or the run stopped before it), ``["missing"]`` (its result file is gone), else the parts of
    :func:`digests` that differ (``"households"``, ``"parameters"`` …); ``["unknown"]`` for a
    result of an earlier gridtool that kept no parts, ``["died"]`` for a chunk whose process died,
    ``["unread"]`` for one whose inputs could not be read."""
    gpkg, meta = paths(work_dir, key)
    try:
        m = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ["new"]
    if m.get("layers") and not gpkg.exists():
        return ["missing"]
    if str(m.get("digest", "")).startswith("died:"):  # kept for the district files, never finished
        return ["died"]
    if str(m.get("digest", "")).startswith("unread:"):  # likewise: its inputs could not be read
        return ["unread"]
    old = m.get("parts")
    if not old:  # written before the parts were kept: what changed is not known
        return ["unknown"]
    return [k for k in dict.fromkeys([*part_of, *old]) if old.get(k) != part_of.get(k)] or ["new"]


def paths(work_dir: str | Path, key: str) -> tuple[Path, Path]:
    d = Path(work_dir)
    return d / f"{key}.gpkg", d / f"{key}.json"


def write(work_dir: str | Path, key: str, dig: str, piece: dict, part_of: dict[str, str] | None = None) -> None:
    """Write a chunk result (``piece`` from :func:`gridtool.partition.batch.run_chunk`) atomically;
    ``part_of`` (:func:`digests`) is kept to say later what changed."""
    from ..project import _write_gdf
    gpkg, meta = paths(work_dir, key)
    # The old JSON goes first: a run killed between the two renames below must not leave an earlier
    # result's JSON vouching for this result's GeoPackage (inputs changed back and --resume would
    # take the new layers for the old ones).
    meta.unlink(missing_ok=True)
    present = [n for n in RESULT_LAYERS if piece["layers"].get(n) is not None and len(piece["layers"][n])]
    if present:
        # No fsync per commit: the finished file is fsynced once before it is renamed into place.
        with atomic_gpkg(gpkg) as tmp, unsynced_sqlite():
            for name in present:
                # No R-tree: part files are read back whole (district files get theirs).
                _write_gdf(piece["layers"][name].reset_index(drop=True), tmp, name, spatial_index=False)
    else:
        gpkg.unlink(missing_ok=True)
    crs = next((g.crs for g in piece["layers"].values() if g is not None and g.crs is not None), None)
    write_json_atomic(meta, {"key": key, "digest": dig, "layers": present,
                             "columns": {n: list(piece["layers"][n].columns) for n in present},
                             "crs": crs.to_wkt() if crs is not None else None,
                             "report": piece["report"], "failures": piece["failures"],
                             "village_times": piece["village_times"], "run": piece["run"],
                             "refitted": piece.get("refitted"), "parts": part_of or piece.get("parts")})


def done(work_dir: str | Path, key: str, dig: str) -> dict | None:
    """The stored JSON of a chunk finished with these inputs, else None."""
    gpkg, meta = paths(work_dir, key)
    if not meta.exists():
        return None
    try:
        m = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if m.get("digest") != dig or (m.get("layers") and not gpkg.exists()):
        return None
    return m


def read(work_dir: str | Path, key: str, meta: dict, *, geometry: bool = True,
         layers: tuple[str, ...] = RESULT_LAYERS) -> dict:
    """A stored chunk result as a piece (layers absent from the file are None).

    ``geometry=False`` reads attribute tables only (what the report needs), for streaming runs.
    """
    gpkg, _ = paths(work_dir, key)
    import pyproj
    crs = pyproj.CRS.from_wkt(meta["crs"]) if meta.get("crs") else None
    out = {}
    for name in layers:
        if name not in meta.get("layers", []):
            out[name] = None
            continue
        g = pyogrio.read_dataframe(gpkg, layer=name, read_geometry=geometry)
        if geometry:
            g = g.set_crs(crs, allow_override=True) if crs is not None else g
        else:
            g = pd.DataFrame(g)
        out[name] = g
    return {"layers": out, "report": meta["report"], "failures": meta.get("failures", []),
            "village_times": meta.get("village_times", []), "run": meta.get("run", {}),
            "refitted": meta.get("refitted")}
