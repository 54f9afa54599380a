"""What coverage and siting serve — households or key places of any category — and exact network
travel times from stations to it.

Demand is either the households layer (weighted by its ``hh`` column, so every total equals the
project's household total) or the places layer, all of it or the categories asked for
(``places:intersection``; one unit per place). Categories are matched without regard to case
against the ``category`` column and the category as the source spelled it (``category_src`` or
``category_raw``) and the Chinese label of gridtool's own categories (``学校`` finds ``school``);
when nothing matches, the error lists the categories that are there, with counts.

Travel times are measured on the road graph from a station's road position to the door of each
demand feature (the last metres walked), exactly: the nearest station by one multi-source
Dijkstra without a cut-off, and coverage within N minutes by Dijkstras cut off at N minutes (exact
for the yes/no question). Two features on the same road piece are also joined straight along it,
which the node-to-node search alone would miss. Written by hand because the station → piece →
door model with one-way pieces is gridtool's own (see :mod:`gridtool.routing.snapping`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..columns import match_category
from ..plurals import count_en, plural_en
from ..errors import GridtoolError, feature_id_zh
from ..roles import PLACE_CATEGORIES
from .graph import RoadGraph
from .snapping import Snapped

_SPLIT = re.compile(r"[,，;；、\s]+")
_CATEGORY_COLUMNS = ("category", "category_src", "category_raw")


def _text(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return str(v).strip()


def category_counts(places: gpd.GeoDataFrame) -> list[tuple[str, int]]:
    """The categories of a places layer with how many places each, most frequent first, as the
    user can type them: the source's spelling (case folded: ``Intersection`` and ``intersection``
    are one category, as matching ignores case), with gridtool's category in brackets where the
    import renamed it (``路口 [intersection]``)."""
    if "category" not in places:
        return []
    cat = places["category"].map(_text)
    src = next((places[c].map(_text) for c in ("category_src", "category_raw") if c in places), None)
    labels = []
    for i, c in enumerate(cat):
        s = src.iloc[i] if src is not None else ""
        if s and s.lower() != c.lower():
            labels.append(f"{s.lower()} [{c}]" if c else s.lower())
        else:
            labels.append(c.lower() if c else "(空 / blank)")
    return [(str(k), int(v)) for k, v in pd.Series(labels, dtype=object).value_counts().items()]


def match_categories(places: gpd.GeoDataFrame, spec: str, *, option: str = "--candidates",
                     purpose_zh: str = "候选点", purpose_en: str = "candidate sites") -> gpd.GeoDataFrame:
    """The places whose category is one of ``spec``.

    Parameters
    ----------
    places : geopandas.GeoDataFrame
        The places layer.
    spec : str
        Categories, comma-separated (``places``, ``all`` or ``*`` = every place), matched
        case-insensitively against ``category``, ``category_src`` / ``category_raw`` and the
        Chinese labels of :data:`gridtool.roles.PLACE_CATEGORIES` (``school`` or ``学校``).
    option, purpose_zh, purpose_en : str
        The command-line option and what the places are for, named in the error message.

    Returns
    -------
    geopandas.GeoDataFrame
        The matching places.

    Raises
    ------
    GridtoolError
        Nothing matches: the message lists the categories present with counts.
    """
    words = [w.strip().lower() for w in _SPLIT.split(str(spec or "")) if w.strip()]
    if not words or any(w in ("places", "all", "*", "全部") for w in words):
        if not len(places):
            raise GridtoolError("重点场所图层是空的", "the places layer is empty", layer="places",
                                fix_zh="检查 --places 图层。", fix_en="check the --places layer.")
        return places
    hit = np.zeros(len(places), dtype=bool)
    zh_of = {v.lower(): k for k, v in PLACE_CATEGORIES.items()}
    for col in _CATEGORY_COLUMNS:
        if col in places:
            vals = places[col].map(_text).str.lower().to_numpy(dtype=object)
            hit |= np.isin(vals, words)
            if col == "category":
                # the Chinese label (学校) or a word the import reads as the category (金融网点,
                # 信用社, 储蓄所 → bank: a police register's words for the banks it visits)
                keys = [zh_of.get(w) or match_category(w) for w in words]
                keys = [k for k in keys if k]
                if keys:
                    hit |= np.isin(vals, keys)
    if hit.any():
        return places[hit]
    counts = category_counts(places)
    listed = "、".join(f"{c} {n}" for c, n in counts[:30]) or "（无类别列）"
    listed_en = ", ".join(f"{c} {n}" for c, n in counts[:30]) or "(no category column)"
    example = counts[0][0].split(" [")[0] if counts else "school"
    raise GridtoolError(
        f"重点场所中没有类别为 {spec} 的{purpose_zh}。现有类别及个数：{listed}",
        f"no places of category {spec} for the {purpose_en}. Categories present, with counts: {listed_en}",
        fix_zh=f"用 {option} 指定上面列出的类别之一（不区分大小写，多个用逗号分隔），例如 {option} {example}。",
        fix_en=f"give one of the categories listed above with {option} (any case, several separated by "
               f"commas), e.g. {option} {example}.",
        layer="places", field="category")


@dataclass
class Demand:
    """Features to cover, each with a weight (households, or 1 per place) and a name.

    Attributes
    ----------
    kind : {"households", "places"}
        What is covered.
    features : geopandas.GeoDataFrame
        The features, in the project's CRS.
    weight : numpy.ndarray
        Households per feature, or 1 per place; ``total`` is their sum.
    names : list of str
        A name per feature, for reports.
    category : numpy.ndarray
        The place category per feature (``""`` for households).
    spec : str
        The ``--demand`` value it was made from.
    """

    kind: str                      # "households" or "places"
    features: gpd.GeoDataFrame
    weight: np.ndarray
    names: list[str]
    category: np.ndarray           # place category ("" for households)
    spec: str = "households"

    @property
    def total(self) -> float:
        return float(self.weight.sum())

    @property
    def unit_zh(self) -> str:
        return "户" if self.kind == "households" else "处"

    @property
    def unit_en(self) -> str:
        return "households" if self.kind == "households" else "places"

    @property
    def label_zh(self) -> str:
        return "住户" if self.kind == "households" else f"重点场所（{self.spec.partition(':')[2] or '全部'}）"

    @property
    def label_en(self) -> str:
        return "households" if self.kind == "households" else f"places ({self.spec.partition(':')[2] or 'all'})"

    def points(self):
        return self.features.geometry.representative_point().values


def household_weights(households: gpd.GeoDataFrame) -> np.ndarray:
    """Households per feature, counted as the project counts them (``Layer.total_households``):
    a missing or unreadable ``hh`` counts 0, a layer without ``hh`` 1 per feature."""
    if "hh" not in households:
        return np.ones(len(households))
    return pd.to_numeric(households["hh"], errors="coerce").fillna(0).clip(lower=0).to_numpy(dtype=float)


def feature_names(gdf: gpd.GeoDataFrame, prefix: str = "场所") -> list[str]:
    """A readable label per feature: its ``name``; else its category's Chinese name (or
    ``prefix``) with the feature's id in the source file (``派出所（FID 12）``, ``学校（第3行）`` for
    spreadsheet row 3), never a bare FID."""
    out = []
    n = len(gdf)
    cats = gdf["category"].map(_text) if "category" in gdf else pd.Series([""] * n, index=gdf.index)
    sids = gdf["src_id"].map(_text) if "src_id" in gdf else pd.Series([""] * n, index=gdf.index)
    names = gdf["name"].map(_text) if "name" in gdf else pd.Series([""] * n, index=gdf.index)
    src = next((gdf[c].map(_text) for c in ("category_src", "category_raw") if c in gdf),
               pd.Series([""] * n, index=gdf.index))
    for i, (nm, c, sc, sid) in enumerate(zip(names, cats, src, sids)):
        if nm:
            out.append(nm)
            continue
        head = PLACE_CATEGORIES.get(c, c) if c and c != "other" else (sc or prefix)
        # labels go into Chinese outputs: a spreadsheet's "row 3" reads 第3行 there
        out.append(f"{head}（{feature_id_zh(sid) if sid else f'#{i + 1}'}）")
    return out


_place_names = feature_names

#: How far (m) from an unnamed place a named road still locates it (近 中山东路).
NEAR_ROAD_M = 150.0


def located_names(gdf: gpd.GeoDataFrame, graph: RoadGraph | None, prefix: str = "场所") -> list[str]:
    """As :func:`feature_names`, but an unnamed feature reads as a staffer would find it: its class
    in Chinese, 无名称, and the nearest named road within :data:`NEAR_ROAD_M` (``银行（无名称，近中山东路）``),
    numbered where two such read alike (``…，第2处``). For route cards, stop lists, GPX and service
    circles, which go to the street: the source file's FID means nothing there (error messages
    add it back, :func:`gridtool.routing.circles._label`)."""
    import shapely

    out = feature_names(gdf, prefix)
    n = len(gdf)
    names = gdf["name"].map(_text) if "name" in gdf else pd.Series([""] * n, index=gdf.index)
    blank = np.flatnonzero(~names.astype(bool).to_numpy())
    if not len(blank):
        return out
    cats = gdf["category"].map(_text) if "category" in gdf else pd.Series([""] * n, index=gdf.index)
    src = next((gdf[c].map(_text) for c in ("category_src", "category_raw") if c in gdf),
               pd.Series([""] * n, index=gdf.index))
    near = [""] * n
    if graph is not None and len(graph.names):
        named = np.flatnonzero(np.array([bool(_text(x)) for x in graph.names], dtype=bool))
        geoms = gdf.geometry
        if gdf.crs is not None and graph.crs is not None and not gdf.crs.equals(graph.crs):
            geoms = geoms.to_crs(graph.crs)
        pts = np.asarray(geoms.representative_point().values, dtype=object)[blank]
        ok = ~(shapely.is_missing(pts) | shapely.is_empty(pts))
        if len(named) and ok.any():
            tree = shapely.STRtree(graph.geometry[named])
            qi, ti = tree.query_nearest(pts[ok], max_distance=NEAR_ROAD_M, all_matches=False)
            for q, t in zip(np.flatnonzero(ok)[qi], ti):
                near[blank[q]] = _text(graph.names[named[t]])
    unnamed = set(blank.tolist())
    taken = {out[i] for i in range(n) if i not in unnamed}
    seen: dict[str, int] = {}
    for i in blank:
        c, sc = cats.iloc[i], src.iloc[i]
        head = PLACE_CATEGORIES.get(c, c) if c and c != "other" else (sc or prefix)
        base = f"{head}（无名称，近{near[i]}）" if near[i] else f"{head}（无名称）"
        k = seen.get(base, 0) + 1
        seen[base] = k
        label = base if k == 1 and base not in taken else base[:-1] + f"，第{k}处）"
        out[i] = label
    return out


def _household_names(gdf: gpd.GeoDataFrame, named: dict[str, str] | None = None) -> list[str]:
    # a roster's name column holds the head of household (personal data): never used as a label;
    # a 所属村 given as a division code reads as the village's name (``named``: code → name)
    vil = gdf["village"].map(_text) if "village" in gdf else pd.Series("", index=gdf.index)
    if named:
        vil = vil.map(lambda v: named.get(v, v))
    sids = gdf["src_id"].astype(str) if "src_id" in gdf else pd.Series([f"#{i + 1}" for i in range(len(gdf))],
                                                                           index=gdf.index)
    return [f"{v or '住户'}（{feature_id_zh(s)}）" for v, s in zip(vil, sids)]


def make_demand(project, spec: str = "households") -> Demand:
    """The demand named by ``--demand``: ``households``, ``places`` or ``places:CATEGORY[,…]``.

    Parameters
    ----------
    project : gridtool.project.Project
        The project whose ``households`` or ``places`` layer is covered.
    spec : str
        ``households``, ``places`` or ``places:CATEGORY[,…]`` (see :func:`match_categories`).

    Returns
    -------
    Demand
        The features with their weights and names.
    """
    kind, _, cats = str(spec or "households").strip().partition(":")
    kind = kind.strip().lower()
    if kind in ("households", "household", "hh", "住户"):
        lyr = project.layers.get("households")
        if lyr is None or not len(lyr.gdf):
            raise GridtoolError("没有住户图层", "there is no households layer", layer="households",
                                fix_zh="用 --households 传入住户，或用 --demand places 计算重点场所的覆盖。",
                                fix_en="give --households, or cover places with --demand places.")
        gdf = lyr.gdf
        vl = project.layers.get("villages")
        named = _village_names(vl.gdf if vl is not None else None)
        if named and "village" in gdf:
            # the planner reads village names; the codes stay beside them (village_code)
            code = gdf["village"].map(_text)
            if code.isin(list(named)).any():
                gdf = gdf.copy()
                gdf["village_code"] = code.where(code.isin(list(named)))
                gdf["village"] = code.map(lambda c: named.get(c, c)).where(gdf["village"].notna())
        return Demand("households", gdf, household_weights(gdf), _household_names(gdf),
                      np.full(len(gdf), "", dtype=object), "households")
    if kind in ("places", "place", "重点场所"):
        lyr = project.layers.get("places")
        if lyr is None or not len(lyr.gdf):
            raise GridtoolError("没有重点场所图层", "there is no places layer", layer="places",
                                fix_zh="用 --places 传入重点场所（如路口、学校）。",
                                fix_en="give the places (intersections, schools …) with --places.")
        gdf = match_categories(lyr.gdf, cats or "places", option="--demand places:",
                               purpose_zh="需覆盖的地点", purpose_en="demand")
        cat = gdf["category"].map(_text).to_numpy(dtype=object) if "category" in gdf \
            else np.full(len(gdf), "", dtype=object)
        return Demand("places", gdf, np.ones(len(gdf)), _place_names(gdf), cat,
                      f"places:{cats}" if cats else "places")
    raise GridtoolError(f"无法识别的覆盖对象：{spec}", f"unknown demand: {spec}",
                        fix_zh="写 --demand households、--demand places 或 --demand places:类别。",
                        fix_en="write --demand households, --demand places or --demand places:CATEGORY.")


# -- exact travel times -------------------------------------------------------------------------

def subset(sn: Snapped, idx) -> Snapped:
    """The snapped features ``idx`` only."""
    idx = np.asarray(idx, dtype=int)
    return Snapped(*(getattr(sn, f)[idx] for f in
                     ("piece", "t", "dist", "point", "exits", "exit_cost", "entries", "entry_cost")))


def _source_links(graph: RoadGraph, src: Snapped):
    """Edges from one virtual node per source (numbered after the graph's nodes) to the nodes it
    leaves by, at the time along its piece (the source stands on the road: no walk from a door)."""
    n = graph.n_nodes
    first: dict[tuple[int, int], float] = {}
    for s in np.flatnonzero(src.ok):
        for x in range(2):
            if src.exits[s, x] >= 0 and np.isfinite(src.exit_cost[s, x]):
                key = (n + int(s), int(src.exits[s, x]))
                cost = max(src.exit_cost[s, x] - src.dist[s] / graph.walk_speed, 1e-3)
                first[key] = min(first.get(key, np.inf), cost)  # csr would add duplicates up
    return first


def _big_graph(graph: RoadGraph, src: Snapped):
    from scipy import sparse
    k = len(src.piece)
    n = graph.n_nodes
    links = _source_links(graph, src)
    base = graph.csr().tocoo()
    rows = np.r_[base.row, [r for r, _ in links]].astype(np.int64)
    cols = np.r_[base.col, [c for _, c in links]].astype(np.int64)
    w = np.r_[base.data, list(links.values())]
    return sparse.csr_matrix((w, (rows, cols)), shape=(n + k, n + k))


def _same_piece(graph: RoadGraph, src: Snapped, tgt: Snapped, s_idx: np.ndarray):
    """(source row, target, seconds) straight along a shared road piece, for sources ``s_idx``."""
    by_piece: dict[int, list[int]] = {}
    for j in np.flatnonzero(tgt.piece >= 0):
        by_piece.setdefault(int(tgt.piece[j]), []).append(int(j))
    out = []
    for r, i in enumerate(s_idx):
        p = int(src.piece[i])
        if p < 0 or p not in by_piece:
            continue
        fe, be = graph.piece_edges[p]
        for j in by_piece[p]:
            walk = tgt.dist[j] / graph.walk_speed
            if tgt.t[j] >= src.t[i]:
                out.append((r, j, (tgt.t[j] - src.t[i]) * graph.time[fe] + walk))
            elif be >= 0:
                out.append((r, j, (src.t[i] - tgt.t[j]) * graph.time[be] + walk))
    return out


def _to_targets(d_nodes: np.ndarray, tgt: Snapped) -> np.ndarray:
    """Seconds to each target from node times ``d_nodes`` (rows × nodes): via its entry nodes."""
    out = np.full((d_nodes.shape[0], len(tgt.piece)), np.inf)
    for y in range(2):
        en = tgt.entries[:, y]
        ok = en >= 0
        if ok.any():
            out[:, ok] = np.minimum(out[:, ok], d_nodes[:, en[ok]] + tgt.entry_cost[ok, y][None, :])
    return out


def nearest_times(graph: RoadGraph, src: Snapped, tgt: Snapped) -> tuple[np.ndarray, np.ndarray]:
    """Exact seconds from the nearest source to every target, and which source (-1: none).

    Parameters
    ----------
    graph : RoadGraph
        The road graph.
    src, tgt : Snapped
        Sources (stations) and targets (demand), snapped with :func:`snap`.

    Returns
    -------
    seconds : numpy.ndarray
        Per target, seconds from the nearest source (inf: none reaches it).
    source : numpy.ndarray
        Per target, the index of that source (-1: none).

    Notes
    -----
    One Dijkstra from all sources at once (no cut-off), then the two entry nodes of each target,
    then the shortcut along a shared piece.
    """
    from scipy.sparse.csgraph import dijkstra
    n = graph.n_nodes
    secs = np.full(len(tgt.piece), np.inf)
    which = np.full(len(tgt.piece), -1)
    todo = np.flatnonzero(src.ok)
    if not len(todo) or not len(tgt.piece):
        return secs, which
    big = _big_graph(graph, src)
    d, _, sources = dijkstra(big, directed=True, indices=n + todo, min_only=True, return_predecessors=True)
    dn, sn = d[:n], sources[:n]
    for y in range(2):
        en = tgt.entries[:, y]
        ok = en >= 0
        cand = np.full(len(tgt.piece), np.inf)
        cand[ok] = dn[en[ok]] + tgt.entry_cost[ok, y]
        better = cand < secs
        secs[better] = cand[better]
        which[better] = sn[en[better]] - n
    for r, j, t in _same_piece(graph, src, tgt, todo):
        if t < secs[j]:
            secs[j] = t
            which[j] = todo[r]
    which[~np.isfinite(secs)] = -1
    return secs, which


def times_within(graph: RoadGraph, src: Snapped, tgt: Snapped, limit: float = np.inf, *,
                 covered: bool = False, chunk_cells: float = 4e6) -> np.ndarray:
    """Seconds (inf beyond ``limit``) from every source to every target, exact within ``limit``;
    with ``covered=True`` only whether each is within ``limit`` (a boolean matrix, 8× smaller, for
    siting on county rosters). Sources are searched in chunks so memory stays bounded."""
    from scipy.sparse.csgraph import dijkstra
    n = graph.n_nodes
    k, m = len(src.piece), len(tgt.piece)
    out = np.zeros((k, m), dtype=bool) if covered else np.full((k, m), np.inf)
    todo = np.flatnonzero(src.ok)
    if not len(todo) or not m:
        return out
    big = _big_graph(graph, src)
    step = int(max(1, min(64, chunk_cells // max(n + m, 1))))
    for c in range(0, len(todo), step):
        idx = todo[c:c + step]
        d = dijkstra(big, directed=True, indices=n + idx, limit=limit)[:, :n]
        t = _to_targets(d, tgt)
        for r, j, s in _same_piece(graph, src, tgt, idx):
            t[r, j] = min(t[r, j], s)
        out[idx] = (t <= limit) if covered else np.where(t <= limit, t, np.inf)
    return out


def coverage_by_village(demand, covered, villages):
    """Households per village, covered and not (the households' ``village`` column, else the
    village polygon each falls in): columns ``name``, ``hh``, ``covered_hh``, ``uncovered_hh`` and
    ``share``, least covered first. ``covered`` is a boolean per feature of ``demand``. Where the
    households name their village by division code, ``name`` is the village's name from ``villages``
    and ``code`` the code; whole household counts are integers."""
    hh = demand.features
    note = None
    if "village" in hh and hh["village"].notna().any():
        raw = hh["village"].astype(object)
        if "village_code" in hh:  # make_demand put names in 所属村: count by the codes as written
            raw = hh["village_code"].astype(object).where(hh["village_code"].notna(), raw)
        key = raw.where(raw.notna(), "（不在任何村内）")
        key, note = _shared_names_by_location(key, hh, villages)
    elif villages is not None and len(villages):
        key = _village_by_location(hh, villages).fillna("（不在任何村内）")
    else:
        key = pd.Series("(全部 / all)", index=hh.index)
    df = pd.DataFrame({"name": key.to_numpy(), "hh": demand.weight,
                       "covered_hh": np.where(covered, demand.weight, 0.0)})
    vt = df.groupby("name", sort=True).sum().reset_index()
    vt["uncovered_hh"] = vt["hh"] - vt["covered_hh"]
    vt["share"] = np.where(vt["hh"] > 0, vt["covered_hh"] / vt["hh"], 0.0).round(4)
    named = _village_names(villages)
    if named and vt["name"].astype(str).isin(list(named)).any():
        # The households' 所属村 holds division codes (320102900001): the planner reads names.
        code = vt["name"].astype(str)
        vt.insert(1, "code", code.where(code.isin(list(named))))
        vt["name"] = code.map(lambda c: named.get(c, c))
    whole = np.isclose(demand.weight, np.round(demand.weight)).all() if len(demand.weight) else True
    if whole:  # household counts are whole numbers: 1024, not 1024.0
        for col in ("hh", "covered_hh", "uncovered_hh"):
            vt[col] = vt[col].round().astype("int64")
    vt = vt.sort_values("share", kind="stable").reset_index(drop=True)
    if note:
        vt.attrs["note"] = note
    return vt


def _village_by_location(hh, villages) -> pd.Series:
    """Display name (:func:`~gridtool.partition.villages.village_names`) of the village each
    household lies in; NaN outside every village."""
    from ..partition.villages import village_names
    v = gpd.GeoDataFrame({"_shown": village_names(villages)}, geometry=villages.geometry.values, crs=villages.crs)
    pts = gpd.GeoDataFrame(geometry=hh.geometry.representative_point(), crs=hh.crs)
    j = gpd.sjoin(pts, v, how="left", predicate="within")
    j = j[~j.index.duplicated()]
    return j["_shown"].astype(object).reindex(hh.index)


def _shared_names_by_location(key: pd.Series, hh, villages) -> tuple[pd.Series, tuple[str, str] | None]:
    """Households whose village column holds a name two villages share (上海路社区 in two 街道) are
    counted in the one they lie in, never both under one name; the note says so."""
    if villages is None or not len(villages) or "name" not in villages:
        return key, None
    from ..partition.villages import raw_village_names
    raw = pd.Series(raw_village_names(villages))
    shared = set(raw[raw.duplicated(keep=False)])
    amb = key.astype(str).isin(shared) if shared else pd.Series(False, index=key.index)
    if not amb.any():
        return key, None
    where = _village_by_location(hh[amb.to_numpy()], villages)
    key = key.copy()
    key[amb] = where.where(where.notna(), key[amb])
    names = "、".join(sorted(shared))
    return key, (f"“{names}”是多个村（社区）共用的名称：{int(amb.sum())} 个住户要素按位置归入所在的村（社区）",
                 f"{names!r} is the name of several villages: {count_en(int(amb.sum()), 'household feature')} "
                 f"{plural_en(int(amb.sum()), 'is')} counted "
                 "in the village they lie in")


def _village_names(villages) -> dict[str, str]:
    """Division code → village display name, from the villages layer (empty without codes or names);
    names two villages share carry their township (:func:`~gridtool.partition.villages.village_names`)."""
    if villages is None or not len(villages) or "code" not in villages or "name" not in villages:
        return {}
    from ..partition.villages import village_names
    shown = pd.Series(village_names(villages), index=villages.index)
    ok = villages["code"].notna() & villages["name"].notna()
    return {str(c): str(n) for c, n in zip(villages.loc[ok, "code"], shown[ok]) if str(c) != str(n)}


def village_label(row) -> str:
    """``上海路社区（320102900001）`` for a row of :func:`coverage_by_village`, or its name alone."""
    code = getattr(row, "code", None)
    return f"{row.name}（{code}）" if isinstance(code, str) and code and code != row.name else str(row.name)
