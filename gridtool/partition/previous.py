"""The plan a redraw starts from: which previous grid held each household, and which grids are locked.

A redraw with minimal change (``GridPartitioner.fit(previous=…, locked=…)``) needs, per household
feature (building), the previous grid that held it; for a *locked* grid it needs exactly which
households it holds, because a lock promises that they stay. A polygon says only where a grid was
drawn: a building the planner painted into a grid lies outside that grid's original blocks, and a
grid that the partition cut through a block holds only some of the block's households. So
membership is taken from the households themselves wherever it is known, and from polygons only
when nothing else says it:

``"grid"``
    the households' own ``grid`` / ``grid_parts`` columns name the previous grids (gridtool's own
    plan, as edited in the app or in the project file);
``"households"``
    the previous plan's households layer (with ``grid``) is matched to today's households by
    position, one to one (the same building within ``tolerance`` metres; several roster rows at
    one address are paired in order), so a new roster keeps the old assignment and the households
    new since then are counted exactly;
``"polygons"``
    the previous polygon containing each household (a plan from another system).

Written by hand: joining codes, the one-to-one positional match and the change figures are
specific to this plan model; the geometry work is shapely's and SciPy's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import MissingColumnError, OptionError
from ..spatial import assign_to_polygons, first_containing, household_points

MATCHES = ("auto", "grid", "households", "polygons")
#: Metres within which a household of the previous plan is taken to be the same building.
MATCH_TOLERANCE = 1.0
#: Metres within which a building outside every polygon of another system's plan is taken to be
#: in the nearest one: outlines drawn by hand on a base map (综治 platforms, 奥维) miss buildings
#: by a few metres, and without it each missed building counts as moved or makes a new grid.
SNAP_M = 30.0


#: How far a grid's excess over its recorded households and its neighbour's shortfall may differ
#: and still be read as a building divided between them (:func:`_divide_on_borders`): a fifth of
#: the larger, at least 2 households (households new or gone since the count was taken).
MIRROR_SHARE = 0.2
MIRROR_MIN = 2


def parse_parts(grid, grid_parts) -> list[tuple[str, int | None]]:
    """A household row's grids: ``"A-01:20;A-02:12"`` → ``[("A-01", 20), ("A-02", 12)]``; a plain
    ``grid`` value gives ``[(code, None)]`` (all of the feature's households)."""
    if isinstance(grid_parts, str) and grid_parts:
        out = []
        for item in grid_parts.split(";"):
            code, _, n = item.rpartition(":")
            if code and n.strip().isdigit():
                out.append((code, int(n)))
        if out:
            return out
    if isinstance(grid, str) and grid.strip():
        return [(grid.strip(), None)]
    return []


@dataclass
class PreviousPlan:
    """The previous plan matched to today's households (project CRS, rows reset).

    ``parts[f]``: the (previous row, households) pairs of household feature ``f``; ``prev_hh[f]``:
    the households the previous plan had for the feature (0 for one new since);
    ``inside[f]``: the previous polygon containing it (-1 none), a starting point for features
    without membership.
    """

    gdf: gpd.GeoDataFrame
    codes: np.ndarray
    locked: set[int]
    parts: list[list[tuple[int, int]]]
    prev_hh: np.ndarray
    inside: np.ndarray
    matched_by: str
    #: figures for the report: ``previous_without_code``, ``features_matched`` …
    flags: dict = field(default_factory=dict)
    households_gone: int = 0
    grid_hh_prev: np.ndarray | None = None  # households per previous grid (its hh column), when known
    #: ``sub_parts[f]``: the (previous sub-grid code, households) pairs of feature ``f`` where the
    #: previous plan says (empty otherwise): a locked grid keeps its sub-grids with them
    sub_parts: list[list[tuple[str, int]]] = field(default_factory=list)
    #: previous codes of grids that held households no longer on the roster (buildings gone, or
    #: fewer households in a building): changed grids, locked or not
    gone_codes: set[str] = field(default_factory=set)
    #: households that left the roster per previous code (where known: positions matched, or the
    #: re-import's record), so the redraw says which grids lost how many
    gone_by_code: dict[str, int] = field(default_factory=dict)
    #: per locked row, the (feature, households) it takes in that the plan did not hold: new
    #: households inside its outline (:func:`.new_in_locked.new_inside_locked`)
    joined: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    #: polygons match: the previous polygon each feature was placed in — the one it lies in, the
    #: one holding most of a building on an edge, or the nearest within :data:`SNAP_M` (-1 none)
    placed: np.ndarray | None = None

    @property
    def locked_codes(self) -> list[str]:
        return sorted(self.codes[sorted(self.locked)].tolist())

    def locked_hh(self) -> np.ndarray:
        """Households of each feature held by locked grids (those they take in included)."""
        out = np.zeros(len(self.parts), dtype=np.int64)
        if not self.locked:
            return out
        for f, ps in enumerate(self.parts):
            for p, n in ps:
                if p in self.locked:
                    out[f] += n
        for pairs in self.joined.values():
            for f, n in pairs:
                out[f] += n
        return out

    def locked_members(self) -> dict[int, list[tuple[int, int]]]:
        """Per locked row: its (feature, households) pairs, those it takes in included (one pair
        per feature)."""
        out: dict[int, list[tuple[int, int]]] = {p: [] for p in sorted(self.locked)}
        for f, ps in enumerate(self.parts):
            for p, n in ps:
                if p in self.locked and n > 0:
                    out[p].append((f, n))
        for p, pairs in self.joined.items():
            have = {f: i for i, (f, _) in enumerate(out[p])}
            for f, n in pairs:
                if f in have:  # a building of the grid with more households than recorded
                    out[p][have[f]] = (f, out[p][have[f]][1] + n)
                else:
                    out[p].append((f, n))
        return out

    def free_parts(self, f: int) -> list[tuple[int, int]]:
        return [(p, n) for p, n in self.parts[f] if p not in self.locked and n > 0]

    def start_label(self, f: int) -> int:
        """The unlocked previous grid a redraw starts feature ``f`` in (-1: none)."""
        fp = self.free_parts(f)
        if fp:
            return max(fp, key=lambda pn: (pn[1], -pn[0]))[0]
        if self.parts[f]:  # every recorded household is locked; its other households are new
            lab = -1
        else:
            lab = int(self.inside[f])
        return lab if lab not in self.locked else -1

    def major(self) -> np.ndarray:
        """Per feature, the previous row holding most of it (-1 none)."""
        return np.array([max(ps, key=lambda pn: (pn[1], -pn[0]))[0] if ps else -1 for ps in self.parts],
                        dtype=np.int64)


def match_previous(previous: gpd.GeoDataFrame, households: gpd.GeoDataFrame, hh: np.ndarray, *,
                   crs=None, locked=(), match: str = "auto",
                   previous_households: gpd.GeoDataFrame | None = None,
                   tolerance: float = MATCH_TOLERANCE, village_of: np.ndarray | None = None,
                   snap: float = SNAP_M, left: dict | None = None) -> PreviousPlan:
    """Which previous grid holds each of ``households`` (see the module docstring for ``match``).

    ``previous`` needs a ``code`` column. ``locked`` codes must be among them. ``village_of``
    (today's village row of each household feature, -1 none) keeps the polygons match's
    snapping (``snap`` metres, see :func:`_snap_outside`) within a village. ``left``: the
    households that left the roster since the plan, as the re-import recorded them
    (:func:`households_gone`; the ``grid`` match cannot see them otherwise).
    """
    if match not in MATCHES:
        raise OptionError(f"未知的匹配方式：{match}", f"match must be one of {MATCHES}, got {match!r}",
                          fix_zh="可选：" + "、".join(MATCHES), fix_en="use one of " + ", ".join(MATCHES), field="match")
    if "code" not in previous:
        raise MissingColumnError("上一版网格图层没有网格编码字段 code", "the previous grids layer has no code column",
                                 fix_zh="用 --field previous.code=编码字段名 指定。",
                                 fix_en="name it with --field previous.code=COLUMN.", layer="previous", field="code")
    prev = previous.to_crs(crs) if previous.crs is not None and crs is not None else previous
    prev = prev.reset_index(drop=True)
    flags: dict = {}
    if len(prev):
        blank = prev["code"].map(_code_text) == ""
        bad = prev.geometry.isna() | prev.geometry.is_empty | blank
        if blank.any():
            flags["previous_without_code"] = int(blank.sum())
        prev = prev[~bad].reset_index(drop=True)
    codes = prev["code"].map(_code_text).to_numpy(dtype=object)
    locked = {str(c) for c in locked}
    unknown = sorted(locked - set(codes.tolist()))
    if unknown:
        raise MissingColumnError(
            f"要锁定的网格不存在：{', '.join(unknown)}", f"grids to lock do not exist: {', '.join(unknown)}",
            fix_zh="检查网格编码（上一版网格图层的编码字段）。",
            fix_en="check the codes against the previous grids layer's code column.", field="code")
    dup = pd.Series(codes).duplicated(keep=False)
    if dup.any():
        # Two polygons with one code (a grid drawn in two pieces in another system): one grid.
        prev = _dissolve_codes(prev, codes)
        codes = prev["code"].map(_code_text).to_numpy(dtype=object)
    row_of = {c: i for i, c in enumerate(codes.tolist())}
    pts = household_points(households).values if len(households) else np.array([], dtype=object)
    inside = assign_to_polygons(gpd.GeoSeries(pts), prev.geometry) if len(pts) and len(prev) \
        else np.full(len(households), -1, dtype=np.int64)
    hh = np.asarray(hh, dtype=np.int64)
    n = len(households)
    grid_hh_prev = None
    if "hh" in prev:
        v = pd.to_numeric(prev["hh"], errors="coerce")
        if v.notna().all():
            grid_hh_prev = v.to_numpy(dtype=np.int64)

    if match == "auto":
        if previous_households is not None and len(previous_households):
            match = "households"
        elif _grid_names_previous(households, row_of):
            match = "grid"
        else:
            match = "polygons"

    parts: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    sub_parts: list[list[tuple[str, int]]] = [[] for _ in range(n)]
    prev_hh = np.zeros(n, dtype=np.int64)
    gone = 0
    gone_codes: set[str] = set()
    gone_by: dict[str, int] = {}
    if match == "grid":
        if "grid" not in households:
            raise MissingColumnError("住户图层没有 grid 字段，无法按住户所属网格匹配",
                                     "the households layer has no grid column to match by",
                                     fix_zh="不指定匹配方式（按位置匹配），或先划分网格。",
                                     fix_en="leave the match to position, or partition first.",
                                     layer="households", field="grid")
        gp = households["grid_parts"].tolist() if "grid_parts" in households else [None] * n
        for f, (g, p) in enumerate(zip(households["grid"].tolist(), gp)):
            recorded = parse_parts(g, p)
            parts[f], prev_hh[f] = _known_parts(recorded, row_of, int(hh[f]))
        sub_parts = _sub_parts(households, list(range(n)), hh)
        if left:  # households re-imported since the plan: those that left its grids
            gone_by = {str(c): int(k) for c, k in (left.get("grids") or {}).items() if int(k) > 0}
            gone_codes |= set(gone_by)
            gone = sum(gone_by.values())
            if left.get("previous") is not None:
                flags["households_previous"] = int(left["previous"])
    elif match == "households":
        ph = previous_households
        if "grid" not in ph:
            raise MissingColumnError("上一版住户图层没有 grid 字段", "the previous households layer has no grid column",
                                     fix_zh="使用 gridtool 划分后的项目或导出的住户图层。",
                                     fix_en="use the households layer of a partitioned gridtool project.",
                                     layer="previous households", field="grid")
        ph = ph.to_crs(crs) if ph.crs is not None and crs is not None else ph
        ph = ph.reset_index(drop=True)
        php = shapely.get_coordinates(household_points(ph).values)
        cur = shapely.get_coordinates(pts) if len(pts) else np.zeros((0, 2))
        pairs = match_points(cur, php, tolerance)
        phh = pd.to_numeric(ph["hh"], errors="coerce").fillna(0).to_numpy() if "hh" in ph else np.ones(len(ph))
        phh = np.where(phh > 0, np.rint(phh), 0).astype(np.int64)
        gp = ph["grid_parts"].tolist() if "grid_parts" in ph else [None] * len(ph)
        gcol = ph["grid"].tolist()
        used = np.zeros(len(ph), dtype=bool)
        of_prev = [-1] * n  # the previous household row paired with each feature
        for f, j in pairs:
            used[j] = True
            of_prev[f] = j
            recorded = parse_parts(gcol[j], gp[j])
            ps, had = _known_parts(recorded, row_of, int(phh[j]))
            # The building may hold more or fewer households now: the recorded shares are kept as
            # far as today's count allows; an increase is new households.
            parts[f] = _scale(ps, int(hh[f]))
            prev_hh[f] = had
            if int(hh[f]) < had:  # fewer households: the grids that held the building lost some
                gone_codes |= {c for c, _ in recorded}
                was = [(c, int(phh[j]) if m is None else m) for c, m in recorded]
                kept = dict(_scale(was, int(hh[f])))
                for c, m in was:
                    gone_by[c] = gone_by.get(c, 0) + max(0, m - kept.get(c, 0))
        for j in np.flatnonzero(~used).tolist():  # buildings no longer on the roster
            if phh[j] > 0:
                for c, m in parse_parts(gcol[j], gp[j]):
                    gone_codes.add(c)
                    gone_by[c] = gone_by.get(c, 0) + (int(phh[j]) if m is None else m)
        sub_parts = _sub_parts(ph, of_prev, hh)
        # Gone: buildings no longer on the roster, and fewer households in a building than before.
        dec = sum(max(0, int(phh[j]) - int(hh[f])) for f, j in pairs)
        gone = int(phh[~used].sum()) + dec
        flags.update(features_matched=len(pairs), features=n, previous_features=len(ph),
                     match_tolerance_m=tolerance, households_previous=int(phh.sum()))
    else:  # polygons
        where = np.asarray(inside, dtype=np.int64).copy()
        _largest_overlap(households, where, prev, flags, village_of, hh)
        near = _snap_outside(households, where, prev, hh, village_of, snap)
        if len(near):
            where[near[:, 0]] = near[:, 1]
            flags.update(features_snapped=int(len(near)), households_snapped=int(hh[near[:, 0]].sum()),
                         snap_m=float(snap))
        for f in range(n):
            if where[f] >= 0 and hh[f] > 0:
                parts[f] = [(int(where[f]), int(hh[f]))]
                prev_hh[f] = int(hh[f])
        if grid_hh_prev is not None:
            divided = _divide_on_borders(households, where, prev, hh, grid_hh_prev, village_of, snap, flags)
            for f, ps in divided.items():
                parts[f] = ps
            # Households that went to a neighbour: all but the first part of a divided building,
            # all of one that went whole.
            split = {f: ps for f, ps in divided.items() if ps[0][0] == where[f]}
            whole = {f: ps for f, ps in divided.items() if f not in split}
            if split:
                flags.update(features_divided=len(split),
                             households_divided=int(sum(n for ps in split.values() for _, n in ps[1:])))
            if whole:
                flags.update(features_whole_by_count=len(whole),
                             households_whole_by_count=int(sum(n for ps in whole.values() for _, n in ps)))
        else:  # the polygons say where a building lies, not how its households were divided
            flags["divided_needs_hh"] = True
    placed = where if match == "polygons" else None
    pv = PreviousPlan(gdf=prev, codes=codes, locked={row_of[c] for c in locked}, parts=parts, placed=placed,
                      prev_hh=prev_hh, inside=np.asarray(inside, dtype=np.int64), matched_by=match,
                      flags=flags, households_gone=gone, grid_hh_prev=grid_hh_prev, sub_parts=sub_parts,
                      gone_codes={c for c in gone_codes if c in row_of},
                      gone_by_code={c: k for c, k in gone_by.items() if k > 0})
    return pv


def _best_of(group: np.ndarray, item: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per value of ``group``, the ``item`` of lowest ``score`` (ties to the lower item): the
    groups in increasing order and their items."""
    order = np.lexsort((item, score, group))
    g, i = group[order], item[order]
    first = np.r_[True, np.diff(g) != 0]
    return g[first], i[first]


def _largest_overlap(households: gpd.GeoDataFrame, where: np.ndarray, prev: gpd.GeoDataFrame, flags: dict,
                     village_of: np.ndarray | None = None, hh: np.ndarray | None = None) -> None:
    """A building (a household feature with an outline) that crosses the edge of another
    system's polygons is put in the one holding most of its outline, not the one its point falls
    in: an outline drawn a few metres off moves the point of a building on the edge, and the
    building with it, though most of it is where it was. With ``village_of`` (and ``hh``), only
    among the polygons of the building's own village where it touches one: a building across a
    village border is its village's by its point, as the partition placed it, and the grids of a
    plan end at the border (on the Liechtenstein demo, buildings of Eschen mostly in Gamprin's
    outline put a Gamprin grid in Eschen, and its redraw moved 943 households). ``where`` is
    changed in place."""
    geoms = np.asarray(households.geometry.values, dtype=object)
    poly = np.isin(shapely.get_type_id(geoms), (3, 6))
    if not poly.any() or not len(prev):
        return
    idx = np.flatnonzero(poly)
    pg = shapely.make_valid(np.asarray(prev.geometry.values, dtype=object))
    fi, pi = shapely.STRtree(pg).query(geoms[idx], predicate="intersects")
    if not len(fi):
        return
    many = np.bincount(fi, minlength=len(idx)) > 1  # only buildings on an edge
    sel = many[fi]
    if village_of is not None and hh is not None:
        vo = np.asarray(village_of, dtype=np.int64)[idx[fi]]
        own = (_polygon_village(where, village_of, hh, len(prev))[pi] == vo) & (vo >= 0)
        has_own = np.bincount(fi, weights=own, minlength=len(idx)) > 0
        sel &= own | ~has_own[fi]  # a building touching no polygon of its village: any of them
    fi, pi = fi[sel], pi[sel]
    if not len(fi):
        return
    area = shapely.area(shapely.intersection(shapely.make_valid(geoms[idx[fi]]), pg[pi]))
    fi, p = _best_of(fi, pi, -area)
    f = idx[fi]
    moved = where[f] != p
    where[f] = p
    if moved.any():
        flags["features_by_overlap"] = int(moved.sum())


def _snap_outside(households: gpd.GeoDataFrame, inside: np.ndarray, prev: gpd.GeoDataFrame, hh: np.ndarray,
                  village_of: np.ndarray | None, snap: float) -> np.ndarray:
    """``(feature, previous row)`` for the household features in no previous polygon that lie
    within ``snap`` metres of one (the building's outline, not only its point, when it has one):
    the nearest, among the polygons whose households (those inside it) are mostly of the
    feature's own village when ``village_of`` is given — a building missed by a hand-drawn
    outline at a village border is not handed to the neighbouring village's grid."""
    miss = (inside < 0) & (np.asarray(hh) > 0)
    if village_of is not None:  # -1: outside every village, or a special place's household
        miss &= np.asarray(village_of) >= 0
    miss = np.flatnonzero(miss)
    if not len(miss) or not len(prev) or snap <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    geoms = np.asarray(households.geometry.values, dtype=object)[miss]
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    miss, geoms = miss[ok], geoms[ok]
    pg = shapely.make_valid(np.asarray(prev.geometry.values, dtype=object))
    fi, pi = shapely.STRtree(pg).query(geoms, predicate="dwithin", distance=snap)
    if not len(fi):
        return np.zeros((0, 2), dtype=np.int64)
    if village_of is not None:
        vo = np.asarray(village_of, dtype=np.int64)
        pv = _polygon_village(inside, vo, hh, len(prev))
        keep = pv[pi] == vo[miss[fi]]
        fi, pi = fi[keep], pi[keep]
    if not len(fi):
        return np.zeros((0, 2), dtype=np.int64)
    fi, pi = _best_of(fi, pi, shapely.distance(geoms[fi], pg[pi]))  # the nearest, ties to the lower row
    return np.column_stack([miss[fi], pi]).astype(np.int64)


def _polygon_village(where: np.ndarray, village_of: np.ndarray, hh: np.ndarray, n_prev: int) -> np.ndarray:
    """Each previous polygon's village: the one holding most of the households placed in it
    (-1 none)."""
    vo = np.asarray(village_of, dtype=np.int64)
    inn = np.flatnonzero((where >= 0) & (vo >= 0))
    out = np.full(n_prev, -1, dtype=np.int64)
    if len(inn):
        m = int(vo.max()) + 1
        u, w = np.unique(where[inn] * m + vo[inn], return_inverse=True)
        tot = np.bincount(w, weights=np.asarray(hh)[inn])
        poly, vil = _best_of(u // m, u % m, -tot)
        out[poly] = vil
    return out


def _divide_on_borders(households: gpd.GeoDataFrame, where: np.ndarray, prev: gpd.GeoDataFrame, hh: np.ndarray,
                       grid_hh: np.ndarray, village_of: np.ndarray | None, dist: float,
                       flags: dict) -> dict[int, list[tuple[int, int]]]:
    """Buildings another system's plan divided between two grids, found from its households per
    grid: placed whole in the polygon holding them, such a building leaves that grid over its
    recorded count by the share its neighbour had and the neighbour under by as many, and the
    redraw would move other households to make up for it. So where a grid A is over its ``grid_hh``
    and a neighbour B under, a building of A within ``dist`` metres of B is divided: B takes the
    smaller of the two differences, A keeps the rest. A building no bigger than the differences
    goes to B whole (one across the edge that lies mostly in A's outline but was B's).

    Which building, counts cannot tell; the order: first a building across B's edge that the
    differences take whole (the one most in B's outline first): the overlap or the point put it in
    the wrong outline; then the building the difference divides most evenly (a block divided
    between grids is split by units or floors, rarely by a few households of it; on the Nanjing
    samples the nearest building or the one most in B's outline is often a neighbour of the
    divided one), then the one most in B's outline, then the nearest. Within one village when
    ``village_of`` is given. Only when most grids' counts agree with the households placed in
    them (else ``flags["divided_counts_agree"]`` says how many did). Returns ``{feature: [(A,
    kept), (B, taken), …]}`` (no A part for a building gone whole) for the buildings changed.
    """
    n_prev = len(prev)
    hh = np.asarray(hh, dtype=np.int64)
    ok = (where >= 0) & (hh > 0)
    if village_of is not None:  # a special place's households are its special grid's, not in a grid's hh
        ok &= np.asarray(village_of) >= 0
    if not ok.any() or not n_prev or dist < 0:
        return {}
    diff = np.bincount(where[ok], weights=hh[ok], minlength=n_prev).astype(np.int64) - np.asarray(grid_hh, dtype=np.int64)
    held = np.bincount(where[ok], minlength=n_prev) > 0
    agree = int((diff[held] == 0).sum())
    if 2 * agree < int(held.sum()):
        # Most counts are of another roster (last year's, another system's way of counting): their
        # differences are growth and losses everywhere and would divide buildings at random (on the
        # Liechtenstein demo with every count off by up to 5, 20 buildings, all wrongly).
        flags["divided_counts_agree"] = [agree, int(held.sum())]
        return {}
    over_left, under_left = np.maximum(diff, 0), np.maximum(-diff, 0)
    under = np.flatnonzero(under_left > 0)
    cand = ok & (over_left[np.maximum(where, 0)] > 0)
    if village_of is not None:
        cand &= np.asarray(village_of) >= 0
    cand = np.flatnonzero(cand)
    if not len(cand) or not len(under):
        return {}
    geoms = np.asarray(households.geometry.values, dtype=object)[cand]
    good = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    cand, geoms = cand[good], geoms[good]
    pg = shapely.make_valid(np.asarray(prev.geometry.values, dtype=object)[under])
    fi, bi = shapely.STRtree(pg).query(geoms, predicate="dwithin", distance=dist)
    pf, pb = cand[fi], under[bi]
    if village_of is not None:
        keep = _polygon_village(where, village_of, hh, n_prev)[pb] == np.asarray(village_of, dtype=np.int64)[pf]
        fi, bi, pf, pb = fi[keep], bi[keep], pf[keep], pb[keep]
    if not len(pf):
        return {}
    g = geoms[fi]
    area = shapely.area(g)
    # Share of each building's outline in B's (0 for a point).
    cut = shapely.area(shapely.intersection(shapely.make_valid(g), pg[bi]))
    inside = np.where(area > 0, cut / np.where(area > 0, area, 1.0), 0.0)
    d = shapely.distance(g, pg[bi])
    pa = where[pf]
    rem = hh.copy()  # households each candidate still holds in the grid it was placed in
    taken: dict[int, dict[int, int]] = {}
    while True:
        o, u = over_left[pa], under_left[pb]
        k = np.minimum(np.minimum(o, u), rem[pf])
        # A divided building leaves A over by as many as B is under; differences that do not
        # mirror each other are growth, losses or another way of counting, not a division.
        mirror = np.abs(o - u) <= np.maximum(MIRROR_MIN, MIRROR_SHARE * np.maximum(o, u))
        live = np.flatnonzero((k > 0) & mirror)
        if not len(live):
            break
        even = np.abs(k[live] / hh[pf[live]] - 0.5)
        across = (k[live] == rem[pf[live]]) & (inside[live] > 0)  # across the edge, taken whole
        phase = ~across
        best = live[np.lexsort((pb[live], pf[live], d[live], -inside[live], even, phase))[0]]
        f, a, b, m = int(pf[best]), int(pa[best]), int(pb[best]), int(k[best])
        rem[f] -= m
        over_left[a] -= m
        under_left[b] -= m
        taken.setdefault(f, {})
        taken[f][b] = taken[f].get(b, 0) + m
    return {f: [(int(where[f]), int(rem[f]))] * int(rem[f] > 0) + sorted(t.items()) for f, t in sorted(taken.items())}


def _sub_parts(rows: gpd.GeoDataFrame, of: list[int], hh: np.ndarray) -> list[list[tuple[str, int]]]:
    """Per feature ``f``, the previous sub-grids of the household row ``of[f]`` of ``rows`` (-1:
    none), from its ``subgrid`` / ``subgrid_parts``, cut down to today's ``hh[f]`` households as the
    grid shares are (a feature in one sub-grid has all its households there)."""
    out: list[list[tuple[str, int]]] = [[] for _ in of]
    if "subgrid" not in rows:
        return out
    sg = rows["subgrid"].tolist()
    sp = rows["subgrid_parts"].tolist() if "subgrid_parts" in rows else [None] * len(rows)
    rh = pd.to_numeric(rows["hh"], errors="coerce").fillna(0).to_numpy() if "hh" in rows else np.ones(len(rows))
    for f, j in enumerate(of):
        if j < 0:
            continue
        recorded = [(c, int(rh[j]) if m is None else m) for c, m in parse_parts(sg[j], sp[j])]
        out[f] = _scale([(c, m) for c, m in recorded if m > 0], int(hh[f]))
    return out


def _code_text(v) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return ""
    s = str(v).strip()
    return s[:-2] if s.endswith(".0") and s[:-2].isdigit() else s


def _dissolve_codes(prev: gpd.GeoDataFrame, codes: np.ndarray) -> gpd.GeoDataFrame:
    keep, geoms = [], []
    for c, idx in pd.Series(range(len(prev))).groupby(pd.Series(codes), sort=False):
        keep.append(int(idx.iloc[0]))
        geoms.append(shapely.union_all(prev.geometry.values[idx.to_numpy()]))
    out = prev.iloc[keep].copy()
    out["code"] = [codes[i] for i in keep]
    if "hh" in out:
        hh = pd.to_numeric(prev["hh"], errors="coerce")
        out["hh"] = [hh[pd.Series(codes) == c].sum() for c in out["code"]]
    out = out.set_geometry(gpd.GeoSeries(geoms, crs=prev.crs, index=out.index))
    return out.reset_index(drop=True)


def _grid_names_previous(households, row_of) -> bool:
    """The households' ``grid`` column names the previous grids (gridtool's own plan)."""
    if "grid" not in households or not len(row_of):
        return False
    g = households["grid"].dropna().astype(str)
    if not len(g):
        return False
    parts = households["grid_parts"].dropna().astype(str) if "grid_parts" in households else pd.Series([], dtype=str)
    named = set(g) | {c for v in parts for c, _ in parse_parts(None, v)}
    return len(named & set(row_of)) > 0


def _known_parts(recorded, row_of, hh: int) -> tuple[list[tuple[int, int]], int]:
    """Recorded (code, households) pairs as (previous row, households), capped at the feature's
    households; returns them and how many households the plan recorded for the feature."""
    if not recorded:
        return [], 0
    total = sum(hh if n is None else n for _, n in recorded)
    out = []
    for code, n in recorded:
        r = row_of.get(code)
        if r is not None:
            out.append((r, hh if n is None else int(n)))
    return _scale(out, hh) if sum(n for _, n in out) > hh else out, int(total)


def _scale(parts: list[tuple[int, int]], hh: int) -> list[tuple[int, int]]:
    """Shares cut down to ``hh`` households when a building holds fewer now (largest share first)."""
    tot = sum(n for _, n in parts)
    if tot <= hh:
        return [(p, n) for p, n in parts if n > 0]
    left = hh
    out = []
    for p, n in sorted(parts, key=lambda pn: (-pn[1], pn[0])):
        take = min(n, left)
        if take > 0:
            out.append((p, take))
        left -= take
    return out


def match_points(a: np.ndarray, b: np.ndarray, tolerance: float) -> list[tuple[int, int]]:
    """One-to-one pairs (i, j) of points of ``a`` and ``b`` within ``tolerance``: identical positions
    first, paired in order (several roster rows at one address), then nearest remaining ones."""
    from scipy.spatial import cKDTree
    if not len(a) or not len(b):
        return []
    pairs = []
    used_a = np.zeros(len(a), dtype=bool)
    used_b = np.zeros(len(b), dtype=bool)
    def key(xy):
        return [tuple(r) for r in np.round(xy / 0.01).astype(np.int64).tolist()]
    by_b: dict = {}
    for j, k in enumerate(key(b)):
        by_b.setdefault(k, []).append(j)
    for i, k in enumerate(key(a)):
        js = by_b.get(k)
        if js:
            j = js.pop(0)
            pairs.append((i, j))
            used_a[i] = used_b[j] = True
    ra, rb = np.flatnonzero(~used_a), np.flatnonzero(~used_b)
    if len(ra) and len(rb) and tolerance > 0:
        tree = cKDTree(b[rb])
        kk = min(8, len(rb))
        d, jj = tree.query(a[ra], k=kk, distance_upper_bound=tolerance)
        d, jj = d.reshape(len(ra), kk), jj.reshape(len(ra), kk)
        cand = [(float(d[x, y]), int(ra[x]), int(rb[jj[x, y]])) for x in range(len(ra)) for y in range(kk)
                if np.isfinite(d[x, y])]
        for _, i, j in sorted(cand):
            if not used_a[i] and not used_b[j]:
                used_a[i] = used_b[j] = True
                pairs.append((i, j))
    return sorted(pairs)


def change_figures(pv: PreviousPlan, *, features: np.ndarray, hh: np.ndarray, grid: np.ndarray,
                   grid_codes: np.ndarray, grid_village: np.ndarray, hh_all: np.ndarray,
                   village_of_feature: np.ndarray, renamed: dict | None = None,
                   also_changed=()) -> tuple[dict, list[dict]]:
    """What a redraw changed against the previous plan, in total and per village.

    ``features``, ``hh``, ``grid``: the new plan's assignment rows (a feature's households in a
    base grid); ``grid_codes`` and ``grid_village``: the new grids' codes and village names;
    ``hh_all``: households per feature; ``village_of_feature``: village name of every feature
    ("" outside all villages); ``renamed``: previous codes renumbered under a recoded village's
    code (old → new), counted as ``codes_recoded`` (not kept: the doorplate changes) and listed as
    ``recoded_codes``; ``also_changed``: codes (as
    renamed) of grids changed in ways the rows cannot show, such as a locked grid whose households
    are fewer than its previous ``hh`` (a building gone from the roster).

    A grid that held households no longer on the roster (``pv.gone_codes``) has changed too.
    A household *moved* when its building's share in a grid is smaller than before (counted where
    it is now); *new* households are those the previous plan did not have: features it did not
    hold, or more households in a building than it recorded. Matched by polygons only, a
    building's households cannot be told from last year's, so new households are the growth of
    each previous grid over its recorded ``hh`` (when the layer has one) plus those outside all
    previous grids.
    """
    renamed = renamed or {}
    codes = np.asarray([renamed.get(c, c) for c in pv.codes.tolist()], dtype=object)
    locked_codes = sorted(renamed.get(c, c) for c in pv.locked_codes)
    now = pd.DataFrame({"f": np.asarray(features, dtype=np.int64), "c": np.asarray(grid, dtype=object),
                        "n": np.asarray(hh, dtype=np.int64)})
    now = now.groupby(["f", "c"], sort=False)["n"].sum().reset_index()
    prev_rows = [(f, codes[p], n) for f, ps in enumerate(pv.parts) for p, n in ps]
    prev = pd.DataFrame(prev_rows, columns=["f", "c", "p"]) if prev_rows else \
        pd.DataFrame({"f": pd.Series([], dtype=np.int64), "c": pd.Series([], dtype=object),
                      "p": pd.Series([], dtype=np.int64)})
    both = now.merge(prev, on=["f", "c"], how="left").fillna({"p": 0})
    both["kept"] = np.minimum(both["n"], both["p"])
    per_f = both.groupby("f").agg(n=("n", "sum"), kept=("kept", "sum"))
    f_idx = per_f.index.to_numpy()
    recorded = pv.prev_hh[f_idx]
    if pv.matched_by == "polygons":
        new_f = np.where(recorded > 0, 0, per_f["n"].to_numpy())
    else:
        new_f = np.maximum(0, per_f["n"].to_numpy() - recorded)
    moved_f = np.maximum(0, per_f["n"].to_numpy() - per_f["kept"].to_numpy() - new_f)
    per_f["new"], per_f["moved"] = new_f, moved_f
    # Grids that lost households, or took in households that were in another grid.
    moved_feats = set(f_idx[moved_f > 0].tolist())
    both["lost"] = both["p"] > both["n"]
    lost_prev = prev.merge(now, on=["f", "c"], how="left").fillna({"n": 0})
    changed = set(lost_prev.loc[lost_prev["p"] > lost_prev["n"], "c"].tolist())
    changed |= set(both.loc[(both["n"] > both["p"]) & both["f"].isin(moved_feats), "c"].tolist())
    prev_set = set(codes.tolist())
    # A code renumbered under its village's new code is not kept: the doorplate changes.
    recoded_set = set(renamed.values())
    same = prev_set - recoded_set
    now_set = set(np.asarray(grid_codes, dtype=object).tolist())
    changed |= now_set - prev_set
    changed |= {renamed.get(c, c) for c in pv.gone_codes} | set(also_changed)

    # Villages: of each new grid; of each previous grid, where most of its households are now
    # (else where its polygon lies).
    village_of_code = dict(zip(np.asarray(grid_codes, dtype=object).tolist(), np.asarray(grid_village).tolist()))
    prev_village = {}
    if len(prev):
        pvill = prev.assign(v=np.asarray(village_of_feature, dtype=object)[prev["f"].to_numpy()])
        pvill = pvill[pvill["v"] != ""].groupby(["c", "v"])["p"].sum().reset_index()
        pvill = pvill.sort_values(["c", "p", "v"], ascending=[True, False, True]).drop_duplicates("c")
        prev_village = dict(zip(pvill["c"], pvill["v"]))
    for c in prev_set - set(prev_village):
        prev_village[c] = village_of_code.get(c, "")
    # Last year's households still on the roster that now lie in no village (their village was
    # deleted from the villages layer, or its border moved off them): in no grid now. Counted per
    # previous village, whose retired codes are listed under its previous name, so that the
    # village's line, the changes layer and the totals say where they went.
    from .village_changes import _division, _old_villages
    old_vcode, old_vname = _old_villages(pv.gdf)
    # Another system's code says its village only as a division code at its head (not "RETIRED-01").
    old_vname = [n or (c if "village_code" in pv.gdf or _division(c) else "") for c, n in zip(old_vcode, old_vname)]
    vof_all = np.asarray(village_of_feature, dtype=object)
    in_now = np.zeros(len(vof_all), dtype=bool)
    in_now[f_idx[f_idx < len(in_now)]] = True
    no_village: dict[str, int] = {}
    row_of_code = {c: p for p, c in enumerate(codes.tolist())}
    for f, ps in enumerate(pv.parts):
        if not ps or in_now[f] or vof_all[f] != "":
            continue
        p = max(ps, key=lambda pn: (pn[1], -pn[0]))[0]
        v = prev_village.get(codes[p]) or old_vname[p]
        no_village[v] = no_village.get(v, 0) + min(sum(n for _, n in ps), int(np.asarray(hh_all)[f]))
    for c, v in list(prev_village.items()):
        if not v and c in row_of_code:  # a retired grid of a village no longer in the project
            p = row_of_code[c]
            prev_village[c] = old_vname[p]
    # Polygons only: the net growth of each village's previous grids over the households they
    # recorded (per village, not per grid: a divided building the counts could not place is
    # whole in one polygon, which is no growth), a divided building by its shares.
    growth_by_village: dict[str, int] = {}
    if pv.matched_by == "polygons" and pv.grid_hh_prev is not None:
        hh_all = np.asarray(hh_all, dtype=np.int64)
        vof_ok = np.asarray(village_of_feature, dtype=object) != ""
        inside_now = np.zeros(len(codes), dtype=np.int64)
        for f, ps in enumerate(pv.parts):
            if vof_ok[f]:
                for p, k in ps:
                    inside_now[p] += k
        net: dict[str, int] = {}
        for p in range(len(codes)):
            v = prev_village.get(codes[p], "")
            net[v] = net.get(v, 0) + int(inside_now[p] - pv.grid_hh_prev[p])
        growth_by_village = {v: g for v, g in net.items() if g > 0}
    fv = pd.DataFrame({"v": np.asarray(village_of_feature, dtype=object)[f_idx], "n": per_f["n"].to_numpy(),
                       "moved": moved_f})
    by_v = fv.groupby("v").sum(numeric_only=True)
    # New households wherever they are now (base grids, special grids): all features in villages.
    vof = np.asarray(village_of_feature, dtype=object)
    hh_all = np.asarray(hh_all, dtype=np.int64)
    if pv.matched_by == "polygons":
        # Outside every previous polygon and in a grid now (households of special grids lie
        # outside the grids' polygons of gridtool's own plans without being new).
        in_grid = np.zeros(len(hh_all), dtype=bool)
        in_grid[f_idx] = True
        placed = pv.placed if pv.placed is not None else pv.inside
        new_all = np.where((placed < 0) & in_grid, hh_all, 0)
    else:
        new_all = np.maximum(0, hh_all - pv.prev_hh)
    new_all = np.where(vof != "", new_all, 0)
    new_by_v = pd.Series(new_all).groupby(vof).sum()
    villages = sorted(set(village_of_code.values()) | {v for v in prev_village.values() if v}
                      | {v for v in no_village if v})
    # Households that left the roster, by the grid that lost them (its code as renamed).
    gone_by = {}
    for c, k in pv.gone_by_code.items():
        gone_by[renamed.get(c, c)] = gone_by.get(renamed.get(c, c), 0) + int(k)
    rows = []
    for v in villages:
        now_v = {c for c, vv in village_of_code.items() if vv == v}
        gone_v = {c: k for c, k in sorted(gone_by.items()) if prev_village.get(c) == v}
        prev_v = {c for c, vv in prev_village.items() if vv == v}
        locked_v = sorted(c for c in locked_codes if c in now_v)
        recoded_v = sorted((o, n) for o, n in renamed.items() if n in now_v)
        new_hh = int(new_by_v.get(v, 0)) + growth_by_village.get(v, 0)
        rows.append({"village": v, "households": int(by_v["n"].get(v, 0)),
                     "households_moved": int(by_v["moved"].get(v, 0)), "households_new": new_hh,
                     "households_no_village": int(no_village.get(v, 0)),
                     "households_gone": sum(gone_v.values()),
                     "gone_grids": "、".join(f"{c} 减 {k} 户" for c, k in gone_v.items()),
                     "grids": len(now_v), "grids_changed": len(now_v & changed),
                     "codes_kept": len(now_v & same), "codes_recoded": len(now_v & recoded_set),
                     "codes_new": len(now_v - prev_set),
                     "codes_retired": len(prev_v - now_set), "locked": len(locked_v),
                     "new_codes": "、".join(sorted(now_v - prev_set)),
                     "retired_codes": "、".join(sorted(prev_v - now_set)),
                     "locked_codes": "、".join(locked_v),
                     "recoded_codes": "、".join(f"{o}→{n}" for o, n in recoded_v)})
    total_new = int(new_all.sum()) + sum(growth_by_village.values())
    totals = {"households_moved": int(per_f["moved"].sum()), "households_new": total_new,
              "households_total": int(per_f["n"].sum()), "households_gone": int(pv.households_gone),
              "households_gone_by_grid": dict(sorted(gone_by.items())),
              "households_no_village": int(sum(no_village.values())),
              "grids_changed": len(now_set & changed), "grids": len(now_set),
              "codes_kept": len(now_set & same), "codes_recoded": len(now_set & recoded_set),
              "codes_new": len(now_set - prev_set),
              "codes_retired": len(prev_set - now_set), "retired_codes": sorted(prev_set - now_set),
              "new_codes": sorted(now_set - prev_set)}
    if pv.matched_by == "polygons":
        totals["households_new_basis"] = ("net growth of each village's previous grids over their hh, plus "
                                          "households outside all previous grids" if pv.grid_hh_prev is not None
                                          else "households outside all previous grids")
    return totals, rows


#: The project parameter holding the households that left the roster since the plan, per grid and
#: sub-grid code (:func:`households_gone`), until the next partition reports them.
GONE = "households_gone"

#: A household row's plan columns (gridtool's own plan, as partitioned and edited).
PLAN_COLUMNS = ("grid", "grid_parts", "subgrid", "subgrid_parts")


def carry_plan(previous: gpd.GeoDataFrame, households: gpd.GeoDataFrame, hh, *,
               tolerance: float = MATCH_TOLERANCE) -> tuple[pd.DataFrame, int]:
    """The previous households' grids and sub-grids (:data:`PLAN_COLUMNS`) carried by position
    to ``households`` replacing them (both in one CRS), so that a redraw matches each household to
    its own grid — a building the plan divided between grids included — instead of to the one
    polygon its point lies in, which puts a divided building wholly in one grid and moves other
    households to make room.

    Paired as :func:`match_points` pairs them (the same point within ``tolerance``); the rest by
    a point lying in a previous building's outline (lon/lat roster rows for buildings, several
    rows for one building) or a previous point lying in today's outline. A group's recorded
    households are shared out in order (largest grid first); households beyond them are new and
    keep no grid. Returns the columns (``households``' index; None where nothing was carried) and
    how many features took a grid.
    """
    n = len(households)
    out = pd.DataFrame({c: pd.Series([None] * n, dtype=object) for c in PLAN_COLUMNS}, index=households.index)
    if not n or not len(previous) or "grid" not in previous:
        return out, 0
    ph = previous.reset_index(drop=True)
    hh = np.asarray(hh, dtype=np.int64)
    phh = pd.to_numeric(ph["hh"], errors="coerce").fillna(0).to_numpy() if "hh" in ph else np.ones(len(ph))
    phh = np.where(phh > 0, np.rint(phh), 0).astype(np.int64)
    cur_g = np.asarray(households.geometry.values, dtype=object)
    prev_g = np.asarray(ph.geometry.values, dtype=object)
    cur_p = np.asarray(household_points(households).values, dtype=object)
    prev_p = np.asarray(household_points(ph).values, dtype=object)
    groups: list[tuple[list[int], list[int]]] = [([i], [j]) for i, j in match_points(
        shapely.get_coordinates(cur_p), shapely.get_coordinates(prev_p), tolerance)]
    used_c = np.zeros(n, dtype=bool)
    used_p = np.zeros(len(ph), dtype=bool)
    for cs, ps in groups:
        used_c[cs] = used_p[ps] = True
    # Today's points in a previous outline: every row of one building goes with it.
    by_prev: dict[int, list[int]] = {}
    for i, j in _inside_pairs(cur_p, prev_g, ~used_c, ~used_p):
        by_prev.setdefault(j, []).append(i)
    for j, cs in sorted(by_prev.items()):
        groups.append((sorted(cs), [j]))
        used_c[cs] = used_p[j] = True
    # Previous points in today's outline (last year's roster rows, this year's buildings).
    by_cur: dict[int, list[int]] = {}
    for j, i in _inside_pairs(prev_p, cur_g, ~used_p, ~used_c):
        by_cur.setdefault(i, []).append(j)
    for i, ps in sorted(by_cur.items()):
        groups.append(([i], sorted(ps)))
    cols = {c: (ph[c].tolist() if c in ph else [None] * len(ph)) for c in PLAN_COLUMNS}
    vals = {c: [None] * n for c in PLAN_COLUMNS}
    carried = 0
    for cs, ps in groups:
        grid_pool: dict[str, int] = {}
        sub_pool: dict[str, int] = {}
        for j in ps:
            for code, m in parse_parts(cols["grid"][j], cols["grid_parts"][j]):
                grid_pool[code] = grid_pool.get(code, 0) + (int(phh[j]) if m is None else m)
            for code, m in parse_parts(cols["subgrid"][j], cols["subgrid_parts"][j]):
                sub_pool[code] = sub_pool.get(code, 0) + (int(phh[j]) if m is None else m)
        order = {"grid": list(grid_pool), "subgrid": list(sub_pool)}
        gq = sorted(([c, m] for c, m in grid_pool.items() if m > 0), key=lambda cm: (-cm[1], cm[0]))
        rank = {c: k for k, (c, _) in enumerate(gq)}
        # Sub-grids in their grid's order, so a household's sub-grid is in its grid.
        sq = sorted(([c, m] for c, m in sub_pool.items() if m > 0),
                    key=lambda cm: (min((rank[g] for g in rank if cm[0].startswith(f"{g}-")), default=len(rank)), cm[0]))
        for i in cs:
            for key, queue in (("grid", gq), ("subgrid", sq)):
                # In the order the plan recorded them (the file reads as before).
                got = sorted(_take(queue, int(hh[i])), key=lambda cm: order[key].index(cm[0]))
                if got:
                    vals[key][i] = max(got, key=lambda cm: cm[1])[0]
                    if len(got) > 1 or got[0][1] != int(hh[i]):  # divided, or fewer than it holds now
                        vals[f"{key}_parts"][i] = ";".join(f"{c}:{m}" for c, m in got)
            carried += vals["grid"][i] is not None
    for c in PLAN_COLUMNS:
        out[c] = pd.Series(vals[c], index=households.index, dtype=object)
    return out, int(carried)


def _inside_pairs(pts: np.ndarray, geoms: np.ndarray, pts_free: np.ndarray, geoms_free: np.ndarray) -> list[tuple[int, int]]:
    """(point, outline) pairs of the free points lying in a free polygon (the first one found)."""
    pi = np.flatnonzero(pts_free)
    poly = np.flatnonzero(geoms_free & np.isin(shapely.get_type_id(geoms), (3, 6)))
    if not len(pi) or not len(poly):
        return []
    where = first_containing(pts[pi], geoms[poly])
    ok = where >= 0
    return list(zip(pi[ok].tolist(), poly[where[ok]].tolist()))


def _take(queue: list[list], n: int) -> list[tuple[str, int]]:
    """``n`` households off the front of ``queue`` ([code, households] pairs, used up in place)."""
    got = []
    while n > 0 and queue:
        k = min(n, queue[0][1])
        got.append((queue[0][0], k))
        queue[0][1] -= k
        n -= k
        if queue[0][1] == 0:
            queue.pop(0)
    return got


def code_totals(rows: pd.DataFrame, hh, key: str = "grid") -> dict[str, int]:
    """Households per ``key`` code (``grid`` or ``subgrid``) as ``rows`` record them, a divided
    building by its shares (``{key}_parts``)."""
    out: dict[str, int] = {}
    if key not in rows:
        return out
    hh = np.asarray(hh, dtype=np.int64)
    parts = rows[f"{key}_parts"].tolist() if f"{key}_parts" in rows else [None] * len(rows)
    for g, p, n in zip(rows[key].tolist(), parts, hh.tolist()):
        for code, m in parse_parts(g, p):
            out[code] = out.get(code, 0) + (int(n) if m is None else m)
    return out


def households_gone(old: pd.DataFrame, old_hh, new: pd.DataFrame, new_hh) -> dict:
    """What a new households roster (``new``, its plan columns carried by :func:`carry_plan` or its
    own) lost against the one it replaces (``old``): per grid and sub-grid code, the households
    the old roster had there and the new has not (``{"grids": {code: n}, "subgrids": {…},
    "previous": households of the old roster}``). Households added are not netted against them: a
    grid that lost 12 and took in 5 new ones lost 12."""
    out: dict = {"previous": int(np.asarray(old_hh, dtype=np.int64).sum())}
    for key, name in (("grid", "grids"), ("subgrid", "subgrids")):
        was, now = code_totals(old, old_hh, key), code_totals(new, new_hh, key)
        out[name] = {c: n - now.get(c, 0) for c, n in sorted(was.items()) if n > now.get(c, 0)}
    return out


def add_gone(record: dict | None, more: dict) -> dict:
    """Two re-imports before a redraw: the households gone add up against the plan's roster (the
    first import's ``previous``)."""
    if not record:
        return more
    out = {"previous": record.get("previous", more.get("previous"))}
    for name in ("grids", "subgrids"):
        merged = dict(record.get(name) or {})
        for c, n in (more.get(name) or {}).items():
            merged[c] = merged.get(c, 0) + int(n)
        out[name] = merged
    return out
