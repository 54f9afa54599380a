"""Are two partitions the same plan? Dump one run's results, compare two dumps.

    python benchmarks/partition_identity.py dump  OUT.npz [--case sample|county] [--households N]
    python benchmarks/partition_identity.py compare BEFORE.npz AFTER.npz
    python benchmarks/partition_identity.py workers [--households N] [--workers 1 2]

``dump`` runs ``GridPartitioner(min_hh=300, max_hh=500, target=400)`` on the Liechtenstein sample
or the synthetic county (:mod:`synthetic_county`) and stores, per grid, its code, village, status,
note and households, per household feature its grid, ``grid_parts`` and sub-grid, and per grid and
sub-grid the SHA-1 of its WKB (hex, big-endian, so the hashes do not depend on the machine).

``compare`` says whether the codes and the households per grid are identical (what a redraw,
a ledger or a printed wall map would show differently), how many features changed grid or
sub-grid, and how many grid and sub-grid outlines differ byte for byte. Corridors: codes, outlines
(WKB, and per corridor the symmetric difference over its area) and the household features in each;
``--corridor-tol 1e-4`` makes a corridor that moved by more, or gained or lost a household, a
different plan (a change to the corridors stage allowed to move outlines by rounding only).

``workers`` runs :class:`~gridtool.partition.batch.BatchPartitioner` on a small synthetic
municipality (:mod:`synthetic_city`, several townships) with each worker count and compares the
sub-grid and grid WKB between them (they must be byte-identical).

Exit status 1 when a required identity (codes, households per grid; WKB between worker counts)
does not hold.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


#: Per-grid figures a planner reads: compared too (crossings and compactness "reported as now").
METRICS = ("area_m2", "polsby_popper", "hard_crossings", "soft_crossings", "max_dist_m", "places", "n_subgrids")


def _as_multi(geoms) -> np.ndarray:
    """Each polygon as a MultiPolygon: the plan layers are saved as MultiPolygon since the geometry
    types were made consistent (``gridtool.geomtypes``), which changes a one-part outline's WKB but
    not the outline; dumps of either version compare."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    single = shapely.get_type_id(geoms) == 3  # Polygon
    out[single] = [shapely.MultiPolygon([g]) for g in geoms[single]]
    return out


def _hashes(geoms) -> np.ndarray:
    wkb = shapely.to_wkb(_as_multi(geoms), hex=True, byte_order=0)
    return np.array([hashlib.sha1(w.encode()).hexdigest() if w is not None else "" for w in wkb], dtype=object)


def _str(values) -> np.ndarray:
    return np.array(["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in values], dtype=object)


def snapshot(grids, subgrids, households, corridors=None) -> dict[str, np.ndarray]:
    """The arrays :func:`compare_snapshots` compares, from a fitted engine's layers (corridors, when
    given: their codes, the WKB of each and its area)."""
    g = grids.sort_values("code", kind="stable")
    out = {"grid_code": _str(g["code"]), "grid_village": _str(g["village"]), "grid_hh": g["hh"].to_numpy(np.int64),
           "grid_status": _str(g["status"]), "grid_note": _str(g["note"]), "grid_wkb": _hashes(g.geometry.values),
           "hh_grid": _str(households["grid"]), "hh_grid_parts": _str(households["grid_parts"])}
    for col in METRICS:
        if col in g:
            out[f"metric_{col}"] = g[col].to_numpy(dtype=float)
    if subgrids is not None and len(subgrids):
        s = subgrids.sort_values("code", kind="stable")
        out.update(sub_code=_str(s["code"]), sub_hh=s["hh"].to_numpy(np.int64), sub_wkb=_hashes(s.geometry.values),
                   hh_subgrid=_str(households["subgrid"]))
    if corridors is not None and len(corridors):
        c = corridors.sort_values("code", kind="stable")
        cg = c.geometry.values
        # Household features inside each corridor (a point on each), what a corridor's ledger counts.
        pts = shapely.point_on_surface(households.geometry.values)
        ci, _ = shapely.STRtree(pts).query(cg, predicate="intersects")
        out.update(cor_code=_str(c["code"]), cor_wkb=_hashes(cg), cor_area=shapely.area(cg).astype(float),
                   cor_hh=np.bincount(ci, minlength=len(cg)).astype(np.int64),
                   cor_geom=np.array(shapely.to_wkb(cg, byte_order=0), dtype=object))
    return out


def compare_snapshots(a: dict, b: dict, *, label_a: str = "before", label_b: str = "after",
                      corridor_tol: float | None = None) -> tuple[bool, list[str]]:
    """(the grids are the same plan, lines of findings). With ``corridor_tol`` the corridors must
    also keep their households and move by no more than that (symmetric difference over the
    corridor's area, each corridor), for dumps that hold their outlines."""
    lines = []
    same_codes = len(a["grid_code"]) == len(b["grid_code"]) and bool((a["grid_code"] == b["grid_code"]).all())
    lines.append(f"grids: {len(a['grid_code'])} {label_a}, {len(b['grid_code'])} {label_b}; codes identical: {same_codes}")
    ok = same_codes
    if same_codes:
        hh_same = bool((a["grid_hh"] == b["grid_hh"]).all())
        st_same = bool((a["grid_status"] == b["grid_status"]).all() and (a["grid_note"] == b["grid_note"]).all())
        wkb = int((a["grid_wkb"] != b["grid_wkb"]).sum())
        lines.append(f"households per grid identical: {hh_same}; status and note identical: {st_same}; "
                     f"grid outlines differing (WKB): {wkb}")
        ok &= hh_same and st_same
        diff = [f"{c[7:]} {int((~np.isclose(a[c], b[c], rtol=0, atol=0)).sum())}"
                for c in sorted(set(a) & set(b)) if c.startswith("metric_")]
        if diff:
            lines.append("grids whose figures differ: " + ", ".join(diff))
    feat = int((a["hh_grid"] != b["hh_grid"]).sum()) if len(a["hh_grid"]) == len(b["hh_grid"]) else -1
    parts = int((a["hh_grid_parts"] != b["hh_grid_parts"]).sum()) if feat >= 0 else -1
    lines.append(f"household features in another grid: {feat}; with other grid_parts: {parts}")
    ok &= feat == 0 and parts == 0
    if "sub_code" in a and "sub_code" in b:
        same_sub = len(a["sub_code"]) == len(b["sub_code"]) and bool((a["sub_code"] == b["sub_code"]).all())
        msg = f"sub-grids: {len(a['sub_code'])} {label_a}, {len(b['sub_code'])} {label_b}; codes identical: {same_sub}"
        if same_sub:
            msg += (f"; households differing: {int((a['sub_hh'] != b['sub_hh']).sum())}; "
                    f"outlines differing (WKB): {int((a['sub_wkb'] != b['sub_wkb']).sum())}")
        if len(a["hh_subgrid"]) == len(b["hh_subgrid"]):
            msg += f"; household features in another sub-grid: {int((a['hh_subgrid'] != b['hh_subgrid']).sum())}"
        lines.append(msg)
    if "cor_code" in a and "cor_code" in b:
        same_cor = len(a["cor_code"]) == len(b["cor_code"]) and bool((a["cor_code"] == b["cor_code"]).all())
        msg = f"corridors: {len(a['cor_code'])} {label_a}, {len(b['cor_code'])} {label_b}; codes identical: {same_cor}"
        if same_cor:
            rel = np.abs(a["cor_area"] - b["cor_area"]) / np.maximum(a["cor_area"], 1e-9)
            msg += (f"; outlines differing (WKB): {int((a['cor_wkb'] != b['cor_wkb']).sum())}; "
                    f"area difference max {float(rel.max(initial=0)):.1e} of a corridor")
            if "cor_hh" in a and "cor_hh" in b:
                hh_cor = bool((a["cor_hh"] == b["cor_hh"]).all())
                msg += f"; households per corridor identical: {hh_cor}"
                ok &= hh_cor or corridor_tol is None
            if "cor_geom" in a and "cor_geom" in b:
                ga, gb = shapely.from_wkb(a["cor_geom"]), shapely.from_wkb(b["cor_geom"])
                sym = shapely.area(shapely.symmetric_difference(ga, gb)) / np.maximum(shapely.area(ga), 1e-9)
                worst = float(sym.max(initial=0))
                msg += f"; symmetric difference max {worst:.1e} of a corridor (mean {float(sym.mean()):.1e})"
                if corridor_tol is not None:
                    msg += f" (allowed {corridor_tol:.0e})"
                    ok &= worst <= corridor_tol
        lines.append(msg)
        ok &= same_cor
    return ok, lines


def _layers(case: str, households: int):
    from synthetic_county import load_sample, make_county
    sample = load_sample("liechtenstein")
    if case == "sample":
        return sample
    if case == "nanjing":
        return load_sample("nanjing-xuanwu")
    return make_county(households, seed=0, sample=sample)


def cmd_dump(args) -> int:
    from gridtool.partition.engine import GridPartitioner
    layers = _layers(args.case, args.households)
    t = time.perf_counter()
    gp = GridPartitioner(min_hh=300, max_hh=500, target=400).fit(layers)
    print(f"{args.case}: fitted in {time.perf_counter() - t:.1f}s, {len(gp.grids_)} grids, "
          f"{0 if gp.subgrids_ is None else len(gp.subgrids_)} sub-grids")
    np.savez_compressed(args.out, **snapshot(gp.grids_, gp.subgrids_, gp.households_, gp.corridors_))
    return 0


def cmd_compare(args) -> int:
    a = dict(np.load(args.before, allow_pickle=True))
    b = dict(np.load(args.after, allow_pickle=True))
    ok, lines = compare_snapshots(a, b, corridor_tol=args.corridor_tol)
    print("\n".join(lines))
    print("SAME PLAN" if ok else "DIFFERENT PLAN")
    return 0 if ok else 1


def cmd_workers(args) -> int:
    import tempfile

    import pandas as pd
    import pyogrio
    from synthetic_city import SyntheticCity

    from gridtool.partition.batch import BatchPartitioner
    from gridtool.partition.parts import paths
    snaps, per_chunk, keys = {}, {}, []
    for w in args.workers:
        city = SyntheticCity(args.households, seed=0)
        t = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            bp = BatchPartitioner(workers=w).fit(city, work_dir=Path(tmp) / "parts", keep=False)
            # The chunk files as written (by the workers), read back in chunk order.
            got = {lyr: [] for lyr in ("grids", "subgrids", "households")}
            for c in bp.chunks_:
                f = paths(Path(tmp) / "parts", c.key)[0]
                for lyr in got:
                    got[lyr].append(pyogrio.read_dataframe(f, layer=lyr))
            g, s, h = (pd.concat(got[k], ignore_index=True) for k in ("grids", "subgrids", "households"))
            snaps[w] = snapshot(g, s, h)
            per_chunk[w] = [_hashes(x.geometry.values).tolist() for x in got["subgrids"]]
            keys = [c.key for c in bp.chunks_]
        print(f"workers {w}: {time.perf_counter() - t:.1f}s, {bp.report_['batch']['chunks']} chunks, "
              f"{len(g)} grids, {len(s)} sub-grids")
    ok = True
    first = args.workers[0]
    for w in args.workers[1:]:
        a, b = snaps[first], snaps[w]
        same, lines = compare_snapshots(a, b, label_a=f"workers {first}", label_b=f"workers {w}")
        print("\n".join(lines))
        diff_g = int((a["grid_wkb"] != b["grid_wkb"]).sum()) if same else -1
        diff_s = int((a["sub_wkb"] != b["sub_wkb"]).sum()) if len(a["sub_wkb"]) == len(b["sub_wkb"]) else -1
        print(f"workers {first} vs {w}: grid outlines differing {diff_g}, sub-grid outlines differing {diff_s}")
        bad = [(k, sum(x != y for x, y in zip(p, q)), len(p)) for k, p, q in zip(keys, per_chunk[first], per_chunk[w])
               if p != q]
        if bad:
            print("chunks with differing sub-grids (key, differing, of): " + ", ".join(map(str, bad[:20])))
        ok &= same and diff_g == 0 and diff_s == 0
    print("BYTE-IDENTICAL" if ok else "DIFFERENT")
    return 0 if ok else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out")
    d.add_argument("--case", choices=("sample", "nanjing", "county"), default="sample")
    d.add_argument("--households", type=int, default=500_000)
    c = sub.add_parser("compare")
    c.add_argument("before")
    c.add_argument("after")
    c.add_argument("--corridor-tol", type=float, default=None, metavar="FRACTION",
                   help="also require each corridor's households unchanged and its outline moved by at most "
                        "this share of its area (symmetric difference; e.g. 1e-4)")
    w = sub.add_parser("workers")
    w.add_argument("--households", type=int, default=100_000)
    w.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args(argv)
    return {"dump": cmd_dump, "compare": cmd_compare, "workers": cmd_workers}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
