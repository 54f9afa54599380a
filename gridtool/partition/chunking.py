"""Cutting a city's inputs into chunks that partition independently (one township, or one village).

Villages are independent once their inputs are cut out, except where the engine looks across a
village boundary: a village merged into a neighbour (``merge={guest: host}``, or the neighbour that
``infeasible="merge"`` picks), special places and corridors near a boundary. So:

- villages are grouped by township (a ``township`` column — found by the loader by header or
  content, or chosen with ``--field villages.township=COLUMN`` — else the township part of the
  division code: the first 9 digits of 11–19-digit codes, the first 6 of 9–10-digit ones) or one
  per village (``by="village"``); a chunk's district is the ``county`` column where there is one,
  else the first 6 digits of the code;
- groups joined by a merge are put in one chunk (union-find over the merge pairs; with
  ``infeasible="merge"`` also every village that may be infeasible with all its neighbours, because
  the engine may pick any of them);
- each chunk holds its villages, the households whose point lies in them (a point on a shared
  border goes to the first village, as in the engine), the party members likewise, and every
  road, river, railway, forest and place feature within ``margin`` metres of them *whole* (never cut,
  so blocks inside the villages are the same as in one run over everything; only features of more
  than 20,000 vertices — a Yangtze riverbank — are clipped to the chunk's box plus the margin).

Hand-written because the grouping rules (division codes, merges) and the exact-feature selection
are gridtool's; the spatial work is shapely's STRtree and pyogrio's bbox reads.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ..column_content import county_prefix, township_prefix
from ..errors import CRSError, EmptyLayerError, GridtoolError, MissingColumnError, OptionError
from ..spatial import assign_to_polygons, household_points
from ..values import household_counts
from .feasibility import feasible_grid_counts
from .villages import raw_village_names, village_codes, village_names
from ..plurals import count_en

#: Roles the partition engine reads; others (stations, dem) are never shipped to a worker.
ENGINE_ROLES = ("households", "villages", "roads", "rivers", "railways", "forest", "landuse", "places",
                "party_members")
#: Roles owned by one village (a point in it); the rest are context selected by distance.
OWNED_ROLES = ("households", "party_members")
#: ``_batch_village`` of a party member whose feature could not be read (damaged geometry).
UNREAD_MEMBER = -2
CONTEXT_ROLES = ("roads", "rivers", "railways", "forest", "landuse", "places")
BY_CHOICES = ("township", "village")

#: Columns the batch adds to chunk inputs: global row of the feature and of its village.
ROW, VILLAGE, VROW = "_batch_row", "_batch_village", "_batch_vrow"
BATCH_COLUMNS = (ROW, VILLAGE, VROW)

_CLIP_VERTICES = 20_000
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


class ChunkingError(GridtoolError):
    """The villages cannot be cut into chunks as asked (a merge names an unknown or ambiguous village)."""


@dataclass(frozen=True)
class Chunk:
    """One unit of work: villages partitioned together in one ``GridPartitioner.fit``.

    ``key`` is file-safe (a township code, a village code, or codes joined by ``+``); ``rows`` are
    rows of the villages layer in input order; ``names``/``codes`` as the engine reports them;
    ``district`` the county (区县) of the ``county`` column, else the 6-digit district code
    (``all`` without either); ``merge`` the
    ``(guest, host)`` name pairs inside the chunk; ``households`` an estimate for logs (None when
    unknown before the chunk is read).
    """

    key: str
    rows: tuple[int, ...]
    names: tuple[str, ...]
    codes: tuple[str, ...]
    district: str
    merge: tuple[tuple[str, str], ...] = ()
    households: int | None = None
    #: The township this chunk is one county's part of, when the township's villages carry several
    #: counties (each county's villages are a chunk of their own, written to their county's file).
    split_from: str = ""
    #: ``((district, villages), …)`` when a merge keeps villages of several counties in this chunk
    #: (all are written to ``district``'s file, the first village's); empty otherwise.
    districts: tuple[tuple[str, int], ...] = ()

    @property
    def label(self) -> str:
        """For messages: the key and the first village names."""
        shown = "、".join(self.names[:3]) + ("…" if len(self.names) > 3 else "")
        return f"{self.key}（{shown}）"


@dataclass
class _UnionFind:
    parent: list[int] = field(default_factory=list)

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def margin_for(params: dict) -> float:
    """Metres around a chunk's villages within which context features can change its result:
    special places are buffered by ``special_radius``; corridors reach ``corridor_width / 2`` from
    lines simplified by ``corridor_width / 10``."""
    radius = float(params.get("special_radius", 50.0))
    width = float(params.get("corridor_width", 50.0))
    return max(radius, 0.6 * width) + 10.0


def safe_key(text: str) -> str:
    """A chunk key usable as a file name on every system."""
    s = _UNSAFE.sub("_", str(text)).strip("._") or "chunk"
    return s if len(s) <= 80 else s[:60] + "-" + hashlib.sha1(s.encode()).hexdigest()[:10]


def group_keys(villages: gpd.GeoDataFrame, by: str, codes: list[str]) -> list[str]:
    """The chunk key of every village before merges: its township, or itself."""
    if by not in BY_CHOICES:
        raise OptionError(f"--by 只能是 {' 或 '.join(BY_CHOICES)}：{by}", f"by must be one of {BY_CHOICES}, got {by!r}",
                          fix_zh="例如 --by township。", fix_en="e.g. --by township.", field="by")
    out = []
    town = villages["township"] if by == "township" and "township" in villages else None
    for i, code in enumerate(codes):
        t = town.iat[i] if town is not None else None
        if t is not None and not (isinstance(t, float) and math.isnan(t)) and str(t).strip():
            out.append(_code_or_text(t))
        elif by == "township" and township_prefix(code):
            out.append(township_prefix(code))
        else:
            out.append(code)  # no township known: the village is its own chunk
    return out


def _code_or_text(value) -> str:
    """A township or county value as text: 500101001.0 read from a spreadsheet is 500101001."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def district_of(villages: gpd.GeoDataFrame, row: int, code: str) -> str:
    """The district (区县) of a village row: its ``county`` value, else the code's first 6 digits."""
    if "county" in villages:
        c = villages["county"].iat[row]
        if c is not None and not (isinstance(c, float) and math.isnan(c)) and str(c).strip():
            return _code_or_text(c)
    return county_prefix(code) or "all"


def resolve_village(ref: str, names: list[str], codes: list[str], option: str = "merge",
                    raw: list[str] | None = None) -> int:
    """Row of the village named (display or ``raw`` name) or coded ``ref``; an error naming the fix
    when unknown or ambiguous."""
    rows = ([i for i, c in enumerate(codes) if c == ref] or [i for i, n in enumerate(names) if n == ref]
            or [i for i, n in enumerate(raw or ()) if n == ref])
    if not rows:
        raise MissingColumnError(
            f"{option} 参数中的村（社区）“{ref}”不存在", f"village {ref!r} named in {option}= does not exist",
            fix_zh="检查村名或区划代码是否与村界图层的 name、code 字段一致。",
            fix_en="check the name or code against the villages layer's name and code columns.", field="name")
    if len(rows) > 1:
        raise ChunkingError(
            f"{option} 参数中的“{ref}”对应 {len(rows)} 个村（社区）", f"{ref!r} in {option}= names {count_en(len(rows), 'village')}",
            fix_zh="改用 12 位区划代码，例如 --merge 500101001001=500101001002。",
            fix_en="use the 12-digit division codes instead, e.g. --merge 500101001001=500101001002.",
            field="name")
    return rows[0]


def plan_chunks(villages: gpd.GeoDataFrame, *, by: str = "township", merge: dict[str, str] | None = None,
                joins: list[tuple[int, int]] = (), households: np.ndarray | None = None) -> list[Chunk]:
    """Chunks of ``villages`` in input order.

    Parameters
    ----------
    villages : the villages layer (rows are the engine's village rows).
    by : ``"township"`` or ``"village"``.
    merge : ``{guest: host}`` by name or 12-digit code; both end up in one chunk.
    joins : further pairs of village rows to keep together (see :func:`merge_candidates`).
    households : households per village row, for the chunk estimates.
    """
    names = village_names(villages)
    codes = village_codes(villages)
    keys = group_keys(villages, by, codes)
    dists = [district_of(villages, r, codes[r]) for r in range(len(codes))]
    # A township whose villages carry several counties (a township column of names repeated across
    # counties, or a county column filled in part) is cut by county, so that each village goes to
    # its own county's file. Keys of townships in one county are unchanged (--resume stays valid).
    by_town: dict[str, dict[str, int]] = {}
    for k, d in zip(keys, dists):
        by_town.setdefault(k, {}).setdefault(d, 0)
        by_town[k][d] += 1
    split_from = [""] * len(keys)
    # Villages are grouped by (township, county) pairs, never by their text: a township "A@B" and
    # the part of a township "A" in county "B" are two chunks, not one (their file names, alike, are
    # told apart below).
    groups: list[tuple[str, str | None]] = []
    for r, k in enumerate(keys):
        if len(by_town[k]) > 1:
            split_from[r] = k
        groups.append((k, dists[r] if split_from[r] else None))
    uniq = list(dict.fromkeys(groups))
    gid = {k: i for i, k in enumerate(uniq)}
    uf = _UnionFind(list(range(len(uniq))))
    pairs = []
    for guest, host in (merge or {}).items():
        raw = raw_village_names(villages)
        g, h = resolve_village(guest, names, codes, raw=raw), resolve_village(host, names, codes, raw=raw)
        pairs.append((g, h))
        uf.union(gid[groups[g]], gid[groups[h]])
    for a, b in joins:
        uf.union(gid[groups[a]], gid[groups[b]])
    members: dict[int, list[int]] = {}
    for row, k in enumerate(groups):
        members.setdefault(uf.find(gid[k]), []).append(row)
    chunks = []
    for rows in sorted(members.values(), key=lambda r: r[0]):
        ks = list(dict.fromkeys(_group_label(groups[r]) for r in rows))
        key = safe_key("+".join(ks))
        chunk_names = [names[r] for r in rows]
        inside = set(rows)
        mp = tuple((names[g], names[h]) for g, h in pairs if g in inside)
        if mp and len(set(chunk_names)) < len(chunk_names):
            dup = sorted({n for n in chunk_names if chunk_names.count(n) > 1})
            raise ChunkingError(
                f"合并涉及的乡镇内有同名村（社区）：{'、'.join(dup)}",
                f"villages of the same name in a township with a merge: {', '.join(dup)}",
                fix_zh="给同名村的 name 字段加上区分（如乡镇名），再运行。",
                fix_en="make those names distinct in the villages layer's name column (add the township).",
                layer="villages", field="name")
        district = dists[rows[0]]
        counts: dict[str, int] = {}
        for r in rows:
            counts[dists[r]] = counts.get(dists[r], 0) + 1
        hh = int(sum(households[r] for r in rows)) if households is not None else None
        chunks.append(Chunk(key=key, rows=tuple(rows), names=tuple(chunk_names),
                            codes=tuple(codes[r] for r in rows), district=district, merge=mp, households=hh,
                            split_from="、".join(dict.fromkeys(split_from[r] for r in rows if split_from[r])),
                            districts=tuple(counts.items()) if len(counts) > 1 else ()))
    # Groups whose keys sanitise to one file name get "~1", "~2" … (unique_file_keys).
    keys = unique_file_keys([c.key for c in chunks])
    return [c if key == c.key else Chunk(**{**c.__dict__, "key": key}) for c, key in zip(chunks, keys)]


def district_files(chunks) -> dict[str, str]:
    """The file name of each district of ``chunks`` (``<out_dir>/<name>``), in chunk order: districts
    whose names sanitise to one file name ("高新区/经开区" and "高新区_经开区"; "A" and "a" on
    Windows) get "~1" … rather than one file replacing the other."""
    districts = list(dict.fromkeys(c.district for c in chunks))
    return {d: f"{k}.gpkg" for d, k in zip(districts, unique_file_keys([safe_key(d) for d in districts]))}


def unique_file_keys(keys: list[str]) -> list[str]:
    """File-name keys (already :func:`safe_key`) made unique as a disk sees them: keys alike ("A/B"
    and "A_B" both sanitise to ``A_B``; "A" and "a" on Windows' disks, which ignore case) keep the
    first as it is and give the later ones "~1", "~2" …, never a key another one has; every other
    key is unchanged (so --resume folders stay valid)."""
    taken = {k.casefold() for k in keys}
    seen: set[str] = set()
    out = []
    for k in keys:
        key, n = k, 0
        while key.casefold() in seen or (n and key.casefold() in taken):
            n += 1
            key = f"{k}~{n}"
        seen.add(key.casefold())
        out.append(key)
    return out


def _group_label(group: tuple[str, str | None]) -> str:
    """A village group as its chunk's key says it: the township, or ``TOWNSHIP@COUNTY`` for one
    county's part of a township that spans several (readable; the grouping itself is by pair)."""
    town, county = group
    return town if county is None else f"{town}@{county}"


def merge_candidates(villages: gpd.GeoDataFrame, totals: np.ndarray, special_hh: np.ndarray,
                     params: dict) -> list[tuple[int, int]]:
    """Pairs (village, neighbour) to keep in one chunk under ``infeasible="merge"``.

    A village *may* be infeasible when some total between ``totals - special_hh`` (households in
    special places leave the count) and ``totals`` fits no number of grids; it is kept with every
    village its boundary touches, so the engine sees every neighbour it might choose. Villages
    with a ``relax=`` entry are not merged by the engine and are skipped.
    """
    lo, hi = int(params.get("min_hh", 300)), int(params.get("max_hh", 500))
    relaxed = set((params.get("relax") or {}).keys())
    names = village_names(villages)
    codes = village_codes(villages)
    maybe = []
    for i, (h, s) in enumerate(zip(totals.tolist(), special_hh.tolist())):
        if names[i] in relaxed or codes[i] in relaxed or h <= 0:
            continue
        if any(not feasible_grid_counts(x, lo, hi) for x in range(max(int(h - s), 1), int(h) + 1)):
            maybe.append(i)
    if not maybe:
        return []
    geoms = shapely.make_valid(villages.geometry.values)
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms[np.asarray(maybe)], predicate="dwithin", distance=1.0)
    return [(maybe[i], int(j)) for i, j in zip(a.tolist(), b.tolist()) if maybe[i] != int(j)]


def village_totals(owner: np.ndarray, n_villages: int, hh_points: np.ndarray, hh: np.ndarray,
                   places: gpd.GeoDataFrame | None, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Households per village (``owner``: village row of each household, -1 for none) and an upper
    bound of those in special places."""
    w = np.where(np.isfinite(hh) & (hh > 0), np.rint(hh), 0)
    ok = owner >= 0
    totals = np.bincount(owner[ok], weights=w[ok], minlength=n_villages)
    special = np.zeros(n_villages)
    cats = tuple(params.get("special_categories", ("school", "hospital", "market", "enterprise")))
    if places is not None and len(places) and "category" in places and cats:
        sel = places[places["category"].isin(cats)]
        if len(sel):
            area = shapely.buffer(shapely.make_valid(sel.geometry.values),
                                  float(params.get("special_radius", 50.0)) + 1.0)
            hit = np.unique(shapely.STRtree(area).query(hh_points, predicate="intersects")[0])
            hit = hit[ok[hit]]
            special = np.bincount(owner[hit], weights=w[hit], minlength=n_villages)
    return totals, special


def prepare_villages(villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Villages with the engine's names and codes written in (its fallbacks number rows, which
    differ inside a chunk) and their global row in ``_batch_vrow``."""
    v = villages.reset_index(drop=True).copy()
    v["name"] = village_names(v)
    v["code"] = village_codes(v)
    v[VROW] = np.arange(len(v), dtype=np.int64)
    return v


def _check_metric(villages: gpd.GeoDataFrame) -> None:
    if villages.crs is not None and villages.crs.is_geographic:
        raise CRSError("划分网格需要以米为单位的坐标系", "partitioning needs coordinates in metres",
                       fix_zh="通过项目（gridtool import）加载，图层会自动投影。",
                       fix_en="load through a project (gridtool import), which projects the layers.",
                       layer="villages")


def _clip_big(g: gpd.GeoDataFrame, box: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """Clip only features too large to ship whole; the cut lies outside the villages by the margin."""
    n = shapely.get_num_coordinates(g.geometry.values)
    big = n > _CLIP_VERTICES
    if not big.any():
        return g
    g = g.copy()
    geoms = g.geometry.values.copy()
    geoms[big] = shapely.clip_by_rect(geoms[big], *box)
    g[g.geometry.name] = geoms
    return g[~shapely.is_empty(g.geometry.values)]


def select_context(layer: gpd.GeoDataFrame, tree: shapely.STRtree, vgeoms: np.ndarray,
                   margin: float) -> gpd.GeoDataFrame:
    """Features of ``layer`` within ``margin`` of any of ``vgeoms``, whole, in input order."""
    hit = np.unique(tree.query(vgeoms, predicate="dwithin", distance=margin)[1])
    out = layer.iloc[hit]
    x0, y0, x1, y1 = shapely.total_bounds(vgeoms)
    pad = margin + 50.0
    return _clip_big(out, (x0 - pad, y0 - pad, x1 + pad, y1 + pad))


def cut(layers: dict[str, gpd.GeoDataFrame], vrows, *, margin: float,
        owners: dict[str, np.ndarray] | None = None,
        trees: dict[str, shapely.STRtree] | None = None) -> dict[str, gpd.GeoDataFrame]:
    """The inputs of the villages with global rows ``vrows``.

    ``layers`` are prepared (villages with ``_batch_vrow``); ``owners[role]`` gives the global
    village row of every household / party member (taken from their ``_batch_village`` column when
    not given); ``trees`` caches STRtrees of the context layers.
    """
    v = layers["villages"]
    vr = v[VROW].to_numpy()
    want = np.isin(vr, np.asarray(list(vrows), dtype=np.int64))
    out = {"villages": v[want]}
    vgeoms = out["villages"].geometry.values
    for role in OWNED_ROLES:
        g = layers.get(role)
        if g is None:
            continue
        own = owners[role] if owners and role in owners else g[VILLAGE].to_numpy()
        sel = np.isin(own, vr[want])
        sub = g[sel].copy()
        if VILLAGE not in sub:
            sub[VILLAGE] = own[sel]
            sub[ROW] = np.flatnonzero(sel).astype(np.int64)
        out[role] = sub
    for role in CONTEXT_ROLES:
        g = layers.get(role)
        if g is None or not len(g):
            continue
        tree = trees.get(role) if trees is not None else None
        if tree is None:
            tree = shapely.STRtree(g.geometry.values)
            if trees is not None:
                trees[role] = tree
        out[role] = select_context(g, tree, vgeoms, margin)
    return out


# ----------------------------------------------------------------------------------------------
class ChunkSource:
    """Where chunk inputs come from. ``chunks()`` lists the work (cheap); ``layers(chunk)`` reads
    one chunk's inputs (``{role: GeoDataFrame}``, villages with ``_batch_vrow``, households and
    party members with ``_batch_row`` and ``_batch_village``); ``households()``, when not None,
    is the full households layer (results are written back into it by ``_batch_row``)."""

    crs = None

    def chunks(self) -> list[Chunk]:  # pragma: no cover - interface
        raise NotImplementedError

    def layers(self, chunk: Chunk) -> dict[str, gpd.GeoDataFrame]:  # pragma: no cover - interface
        raise NotImplementedError

    def owned(self, chunk: Chunk) -> dict[str, gpd.GeoDataFrame]:
        """The villages of ``chunk`` and the households and party members in them, without the
        context layers: what still counts and lists a chunk's people when its inputs as a whole
        could not be read (a broken road feature, a worker that died)."""
        return {r: g for r, g in self.layers(chunk).items() if r == "villages" or r in OWNED_ROLES}

    def households(self) -> gpd.GeoDataFrame | None:
        return None

    def household_total(self) -> tuple[int, int] | None:
        """Households and features of the whole households layer, inside a village or not
        (None when unknown): the city's total, which the chunks alone do not give."""
        hs = self.households()
        if hs is None or "hh" not in hs:
            return None
        return int(household_counts(hs["hh"]).sum()), len(hs)

    def party_members(self) -> gpd.GeoDataFrame | None:
        """The whole ``party_members`` layer (None without one), its row in ``_batch_row`` and the
        global village row its point lies in (-1 in none) in ``_batch_village``."""
        return None

    def party_members_layer(self):
        """The imported ``party_members`` :class:`~gridtool.layers.Layer` (its import problems name
        the roster rows skipped), or None."""
        return None

    def sensitive(self, role: str) -> dict[str, str]:
        """The personal columns import found in the ``role`` layer (``Layer.sensitive``: column →
        kind), for the layers of the district files to be masked as the project's are ({} unknown)."""
        return {}

    def unread_features(self) -> int:
        """How many household features could not be read so far (damaged; 0 when all could)."""
        return 0

    def lost_households(self, chunk: Chunk) -> bool:
        """Whether reading the households of ``chunk`` (:meth:`owned`) met features that could not
        be read: some of its households may be among them."""
        return False

    def lost_members(self, chunk: Chunk) -> bool:
        """Whether reading the party members of ``chunk`` met features that could not be read."""
        return False

    def unread_households(self) -> dict | None:
        """Household features that could not be read (damaged), None when all could:
        ``{"file", "layer", "households" (None: unknown), "features", "fids" (the first 50), "error"}``."""
        return None

    def unread_context(self, chunk: Chunk | None = None):
        """Road, river … features that could not be read (damaged): with ``chunk``, ``{role: fids}``
        that chunk was partitioned without; without, ``{role: UnreadRows}`` over the run."""
        return {}

    def villages(self) -> gpd.GeoDataFrame:  # pragma: no cover - interface
        """The whole villages layer (:func:`prepare_villages`)."""
        raise NotImplementedError

    def outside_villages(self) -> gpd.GeoDataFrame:  # pragma: no cover - interface
        """Household features whose point lies in no village (in no chunk), every column kept and
        their row in the households layer in ``_batch_row``."""
        raise NotImplementedError


class LayersSource(ChunkSource):
    """Chunks cut from layers held in memory (a :class:`~gridtool.project.Project` or
    ``{role: GeoDataFrame}``) by STRtree queries; only the chunk is copied out."""

    def __init__(self, data, *, by: str = "township", params: dict | None = None):
        from .inputs import layers_of
        layers = {r: g for r, g in layers_of(data).items() if r in ENGINE_ROLES and g is not None}
        for role in ("households", "villages"):
            if role not in layers or not len(layers[role]):
                raise EmptyLayerError(f"{role} 图层为空或缺失", f"the {role} layer is empty or missing",
                                      fix_zh=f"用 --{role} 文件 指定该图层。", fix_en=f"give it with --{role} FILE.",
                                      layer=role)
        if "hh" not in layers["households"]:
            raise MissingColumnError("住户图层缺少户数字段 hh", "the households layer has no hh column",
                                     fix_zh="用 --field households.hh=户数字段名 指定。",
                                     fix_en="name it with --field households.hh=COLUMN.", layer="households",
                                     field="hh")
        _check_metric(layers["villages"])
        self._project_layers = getattr(data, "layers", None) or {}  # a Project's Layers (their metadata)
        self._members_layer = self._project_layers.get("party_members")
        params = dict(params or {})
        self.params = params
        self.by = by
        self.margin = margin_for(params)
        self._layers = {r: g.reset_index(drop=True) for r, g in layers.items()}
        self._layers["villages"] = prepare_villages(self._layers["villages"])
        self.crs = self._layers["villages"].crs
        vgeoms = gpd.GeoSeries(shapely.make_valid(self._layers["villages"].geometry.values))
        hs = self._layers["households"]
        pts = household_points(hs).values
        self._owners = {"households": assign_to_polygons(gpd.GeoSeries(pts), vgeoms)}
        if "party_members" in self._layers:
            mp = household_points(self._layers["party_members"])
            self._owners["party_members"] = assign_to_polygons(mp, vgeoms)
        hh = pd.to_numeric(hs["hh"], errors="coerce").to_numpy(dtype=float)
        totals, special = village_totals(self._owners["households"], len(vgeoms), pts, hh,
                                         self._layers.get("places"), params)
        joins = merge_candidates(self._layers["villages"], totals, special, params) \
            if params.get("infeasible") == "merge" else []
        self._chunks = plan_chunks(self._layers["villages"], by=by, merge=params.get("merge"), joins=joins,
                                   households=totals)
        self._trees: dict[str, shapely.STRtree] = {}

    def chunks(self) -> list[Chunk]:
        return list(self._chunks)

    def layers(self, chunk: Chunk) -> dict[str, gpd.GeoDataFrame]:
        return cut(self._layers, chunk.rows, margin=self.margin, owners=self._owners, trees=self._trees)

    def owned(self, chunk: Chunk) -> dict[str, gpd.GeoDataFrame]:
        own = {r: g for r, g in self._layers.items() if r == "villages" or r in OWNED_ROLES}
        return cut(own, chunk.rows, margin=0.0, owners=self._owners, trees=self._trees)

    def households(self) -> gpd.GeoDataFrame:
        return self._layers["households"]

    def party_members(self) -> gpd.GeoDataFrame | None:
        g = self._layers.get("party_members")
        if g is None:
            return None
        g = g.copy()
        g[ROW] = np.arange(len(g), dtype=np.int64)
        g[VILLAGE] = self._owners["party_members"]
        return g

    def party_members_layer(self):
        return self._members_layer if hasattr(self._members_layer, "problems") else None

    def sensitive(self, role: str) -> dict[str, str]:
        layer = self._project_layers.get(role)
        return dict(getattr(layer, "sensitive", None) or {})

    def villages(self) -> gpd.GeoDataFrame:
        return self._layers["villages"]

    def outside_villages(self) -> gpd.GeoDataFrame:
        rows = np.flatnonzero(self._owners["households"] < 0)
        out = self._layers["households"].iloc[rows].copy()
        out[ROW] = rows
        return out


class GeoPackageSource(ChunkSource):
    """Chunks read straight from a project GeoPackage (one layer per role) with pyogrio bbox
    reads: only the villages layer is held whole, so a city never sits in the client's memory."""

    def __init__(self, path: str | Path, *, by: str = "township", params: dict | None = None):
        self.path = str(path)
        params = dict(params or {})
        self.params = params
        self.by = by
        self.margin = margin_for(params)
        present = {str(n) for n, _ in pyogrio.list_layers(self.path)}
        self.roles = [r for r in ENGINE_ROLES if r in present]
        for role in ("households", "villages"):
            if role not in present:
                raise EmptyLayerError(f"{self.path} 中没有 {role} 图层", f"{self.path} has no {role} layer",
                                      fix_zh="先用 gridtool import 生成项目。", fix_en="import it first with gridtool import.",
                                      file=self.path, layer=role)
        v = pyogrio.read_dataframe(self.path, layer="villages")
        _check_metric(v)
        self._villages = prepare_villages(v)
        self.crs = self._villages.crs
        self._vgeoms = shapely.make_valid(self._villages.geometry.values)
        base = plan_chunks(self._villages, by=by, merge=params.get("merge"))
        joins = []
        if params.get("infeasible") == "merge":
            # Village totals need the households: one streaming pass, chunk by chunk.
            totals = np.zeros(len(self._villages))
            special = np.zeros(len(self._villages))
            for c in base:
                lay = self.layers(c, roles=("households", "places"))
                hs = lay["households"]
                if not len(hs):
                    continue
                t, s = village_totals(hs[VILLAGE].to_numpy(), len(self._villages), household_points(hs).values,
                                      pd.to_numeric(hs["hh"], errors="coerce").to_numpy(dtype=float),
                                      lay.get("places"), params)
                totals += t
                special += s
            joins = merge_candidates(self._villages, totals, special, params)
        self._chunks = plan_chunks(self._villages, by=by, merge=params.get("merge"), joins=joins) \
            if joins else base

    def chunks(self) -> list[Chunk]:
        return list(self._chunks)

    def household_total(self) -> tuple[int, int] | None:
        # The counts alone, without geometry: one quick pass over a city's households.
        hs = pyogrio.read_dataframe(self.path, layer="households", columns=["hh"], read_geometry=False)
        return int(household_counts(hs["hh"]).sum()), len(hs)

    def villages(self) -> gpd.GeoDataFrame:
        return self._villages

    def party_members(self) -> gpd.GeoDataFrame | None:
        # A roster is thousands of rows, not millions: read whole.
        if "party_members" not in self.roles:
            return None
        g = pyogrio.read_dataframe(self.path, layer="party_members")
        g[ROW] = np.arange(len(g), dtype=np.int64)
        # A member read without a geometry is a damaged feature (import keeps none without one):
        # UNREAD_MEMBER, never taken for a member living in no village.
        bad = (g.geometry.isna() | g.geometry.is_empty).to_numpy() if len(g) else np.zeros(0, dtype=bool)
        own = np.full(len(g), UNREAD_MEMBER, dtype=np.int64)
        if (~bad).any():
            own[~bad] = assign_to_polygons(household_points(g[~bad]), gpd.GeoSeries(self._vgeoms))
        g[VILLAGE] = own
        return g

    def party_members_layer(self):
        from types import SimpleNamespace

        from ..problems import Problem
        lm = self._layer_meta().get("party_members")
        if lm is None:
            return None
        return SimpleNamespace(problems=[Problem.from_dict(p) for p in lm.get("problems", [])])

    def sensitive(self, role: str) -> dict[str, str]:
        return dict((self._layer_meta().get(role) or {}).get("sensitive") or {})

    def _layer_meta(self) -> dict[str, dict]:
        """The project's metadata of each layer by role ({} in a GeoPackage gridtool did not write);
        read once."""
        if getattr(self, "_meta", None) is None:
            import json

            from ..project import META_TABLE
            self._meta = {}
            if META_TABLE in {str(n) for n, _ in pyogrio.list_layers(self.path)}:
                rows = pyogrio.read_dataframe(self.path, layer=META_TABLE)
                meta = {k: v for k, v in zip(rows["key"], rows["value"])}
                self._meta = json.loads(meta.get("layers") or "{}")
        return self._meta

    def outside_villages(self, batch: int = 200_000) -> gpd.GeoDataFrame:
        # The whole layer in slices (a city's roster never sits in memory at once); only the
        # features outside every village are kept. Damaged features are skipped and named
        # (:meth:`unread_households`), never counted as outside.
        from .unread import concat, read_slices

        def outside(g, rows):
            owner = assign_to_polygons(household_points(g), gpd.GeoSeries(self._vgeoms))
            sel = owner < 0
            g = g[sel].copy()
            g[ROW] = rows[sel]
            return g
        kept = read_slices(self.path, "households", batch=batch, unread=self._unread_of("households"), keep=outside)
        if not kept:
            return gpd.GeoDataFrame({ROW: np.zeros(0, dtype=np.int64)}, geometry=gpd.GeoSeries([], crs=self.crs))
        return concat(kept, self.crs)

    def owned(self, chunk: Chunk, batch: int = 200_000) -> dict[str, gpd.GeoDataFrame]:
        try:
            return self.layers(chunk, roles=OWNED_ROLES)
        except Exception:  # noqa: BLE001 - the box read failed (a broken spatial index, a damaged
            pass           # feature …): read in slices, skipping and naming the damaged features
        from .unread import read_slices
        vrows = np.asarray(chunk.rows, dtype=np.int64)
        out = {"villages": self._villages.iloc[vrows]}
        for role in (r for r in OWNED_ROLES if r in self.roles):
            def mine(g, rows):
                owner = assign_to_polygons(household_points(g), gpd.GeoSeries(self._vgeoms))
                sel = np.isin(owner, vrows)
                g = g[sel].copy()
                g[VILLAGE] = owner[sel]
                g[ROW] = rows[sel]
                return g
            unread = self._unread_of(role)
            met = unread.met
            kept = read_slices(self.path, role, batch=batch, unread=unread, keep=mine)
            if unread.met > met:
                # Damaged features met (perhaps already met for another chunk): where they lie is
                # unknown, so every chunk whose read failed on them is named.
                self._mark_lost(role, chunk)
            if kept:
                out[role] = gpd.GeoDataFrame(pd.concat(kept, ignore_index=True), crs=kept[0].crs)
            else:
                out[role] = gpd.GeoDataFrame({ROW: np.zeros(0, dtype=np.int64), VILLAGE: np.zeros(0, dtype=np.int64)},
                                             geometry=gpd.GeoSeries([], crs=self.crs))
        return out

    def _without_damaged(self, role: str, chunk: Chunk, g: gpd.GeoDataFrame, rows: np.ndarray):
        """``g`` without the features GDAL handed back with no geometry (damaged: import keeps none
        without one), which are noted as unread, and ``chunk`` as one that may have held them."""
        from .unread import NO_GEOMETRY
        bad = (g.geometry.isna() | g.geometry.is_empty).to_numpy() if len(g) else np.zeros(0, dtype=bool)
        if not bad.any():
            return g, rows
        unread = self._unread_of(role)
        unread.met += 1
        unread.rows.update(rows[bad].tolist())
        unread.error = unread.error or NO_GEOMETRY
        self._mark_lost(role, chunk)
        return g[~bad], rows[~bad]

    def _context_around_damage(self, role: str, chunk: Chunk, box) -> gpd.GeoDataFrame | None:
        """The features of context layer ``role`` whose bounds meet ``box``, read in slices that skip
        and name the features that cannot be read (a corrupt geometry blob fails every bbox read
        over it), in the order of the bbox read; None when none is left. ``chunk`` is noted as
        partitioned without them (:meth:`unread_context`). Raises when the layer cannot be opened."""
        from .unread import UnreadRows, concat, read_slices
        area = shapely.box(*box)
        found = UnreadRows()  # this read's: every chunk names what it was partitioned without
        kept = read_slices(self.path, role, unread=found,
                           keep=lambda g, rows: g[shapely.intersects(g.geometry.values, area)])
        if found.rows:
            total = self._unread_of(role)
            total.rows |= found.rows
            total.met += found.met
            total.error = total.error or found.error
            lost = getattr(self, "_context_lost", {})
            lost.setdefault(chunk.key, {})[role] = [r + 1 for r in sorted(found.rows)]
            self._context_lost = lost
        return concat(kept, self.crs)

    def unread_context(self, chunk: Chunk | None = None):
        """Context features that could not be read. With ``chunk``: ``{role: fids}`` it was read
        without ({} when none); without: ``{role: UnreadRows}`` over the run."""
        if chunk is not None:
            return dict(getattr(self, "_context_lost", {}).get(chunk.key, {}))
        return {r: u for r, u in getattr(self, "_unread", {}).items() if r not in OWNED_ROLES and u.rows}

    def _mark_lost(self, role: str, chunk: Chunk) -> None:
        """``chunk`` met damaged features of ``role`` (households or party members) when read."""
        attr = "_lost_in" if role == "households" else "_members_lost_in"
        setattr(self, attr, getattr(self, attr, set()) | {chunk.key})

    def _unread_of(self, role: str):
        from .unread import UnreadRows
        if not hasattr(self, "_unread"):
            self._unread = {}
        return self._unread.setdefault(role, UnreadRows())

    def unread_features(self) -> int:
        u = getattr(self, "_unread", {}).get("households")
        return len(u.rows) if u is not None else 0

    def lost_households(self, chunk: Chunk) -> bool:
        return chunk.key in getattr(self, "_lost_in", set())

    def lost_members(self, chunk: Chunk) -> bool:
        return chunk.key in getattr(self, "_members_lost_in", set())

    def unread_households(self) -> dict | None:
        from .unread import counts_of
        u = getattr(self, "_unread", {}).get("households")
        if u is None or not u.rows:
            return None
        hh, n = counts_of(self.path, "households", u.rows)
        return {"file": self.path, "layer": "households", "households": hh, "features": n,
                "fids": [r + 1 for r in sorted(u.rows)[:50]], "error": u.error}

    def _read(self, role: str, box) -> tuple[gpd.GeoDataFrame, np.ndarray]:
        g = pyogrio.read_dataframe(self.path, layer=role, bbox=tuple(box), fid_as_index=True)
        g = g.sort_index()
        rows = g.index.to_numpy(dtype=np.int64) - 1  # GeoPackage FIDs count from 1 in saved order
        g = g.reset_index(drop=True)
        return g, rows

    def layers(self, chunk: Chunk, roles: tuple[str, ...] | None = None) -> dict[str, gpd.GeoDataFrame]:
        vrows = np.asarray(chunk.rows, dtype=np.int64)
        vg = self._vgeoms[vrows]
        x0, y0, x1, y1 = shapely.total_bounds(vg)
        out = {"villages": self._villages.iloc[vrows]}
        for role in self.roles:
            if role == "villages" or (roles is not None and role not in roles):
                continue
            pad = 0.0 if role in OWNED_ROLES else self.margin + 1.0
            box = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
            if role in OWNED_ROLES:  # a failure here is read around by the batch (:meth:`owned`)
                g, rows = self._read(role, box)
            else:
                try:
                    g, rows = self._read(role, box)
                except MemoryError:
                    raise
                except Exception:  # noqa: BLE001 - a damaged road (river …): read around it
                    g = self._context_around_damage(role, chunk, box)
                    if g is None:
                        continue
            if role in OWNED_ROLES:
                g, rows = self._without_damaged(role, chunk, g, rows)
                # First village wins among all villages, as in one run over the whole layer.
                owner = assign_to_polygons(household_points(g), gpd.GeoSeries(self._vgeoms))
                sel = np.isin(owner, vrows)
                g = g[sel].copy()
                g[VILLAGE] = owner[sel]
                g[ROW] = rows[sel]
            else:
                g = select_context(g, shapely.STRtree(g.geometry.values), vg, self.margin) if len(g) else g
            if len(g) or role in OWNED_ROLES:
                out[role] = g
        return out
