"""Party-member links ("1+10", 党员联系户): each party member linked to 10–15 nearby households of
their own grid (地域就近).

Per grid, the households (a building with several counts several times) are matched to member
"slots" (up to ``max_links`` per member) by the Hungarian method on walking-straight-line
distance (scipy's ``linear_sum_assignment``), so the links are the nearest possible in total and
no member takes more than the maximum. Members get at least ``min_links`` whenever the grid has
enough households; a member left short is listed in the report.

Members who are not given households are listed in the summary with why and what to do, never
dropped silently: a 流动党员 (a column 是否流动党员 / 流动党员 saying 是), a member marked
年老体弱 (or 行动不便, 卧床) in any column, a member whose point lies in no base grid (living in
another village, outside the township, or in a special grid), and a member whose branch (所属党支部
五老村社区党支部) names a village other than the one their point lies in: a wrong address or a
member who should be linked by the other village's branch, for the planner to check. Roster rows
import skipped (no coordinates) are listed too (:func:`skipped_members`), so the roster's count is
the partition's. Links carry the member's ``src_id``
(``member_id``): two members of the same name are two members.
"""

from __future__ import annotations

import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.optimize import linear_sum_assignment

from ..spatial import household_points

_FLOATING_HEADERS = ("是否流动党员", "流动党员", "流动", "是否流动")
#: Headers of the member's branch (所属党支部, 党组织): the ledger shows it, and a branch named after a
#: village says which village's households the member looks after.
BRANCH_RE = re.compile(r"党支部|支部|党组织|党小组")
#: Endings a branch may drop from its village's name (五老村党支部 for 五老村社区).
_VILLAGE_ENDINGS = re.compile(r"(?:村民委员会|居民委员会|村委会|居委会|社区|村)$")
_YES = ("是", "y", "yes", "1", "√", "true", "流动", "流动党员")
#: Words in a member's row that say they cannot look after households (年老体弱、行动不便).
_FRAIL_RE = re.compile(r"年老体弱|体弱|行动不便|卧床|失能")

#: Why a member has no households: (zh, en, fix zh, fix en).
REASONS = {
    "floating": ("流动党员，不安排联系户", "a floating (流动) party member: no households",
                 "回村后把“是否流动党员”改为“否”再划分", "set 是否流动党员 to 否 when they are back, and partition again"),
    "frail": ("年老体弱，不安排联系户", "elderly or frail (年老体弱): no households",
              "如本人愿意联户，删去“年老体弱”标注再划分", "remove the 年老体弱 mark if they want households, and partition again"),
    "other_village": ("所属党支部在{branch}，居住点却在{home}", "their branch is in {branch} but their point lies in {home}",
                      "核对住址或所属党支部：住址有误的改正经纬度，确属{home}的由{home}党组织联系",
                      "check the address or the branch (所属党支部): correct the coordinates if wrong, or let "
                      "{home}'s branch link them"),
    "no_point": ("名册中这一行没有经纬度（或读不成坐标），导入时已跳过", "no coordinates in the roster (or none readable): "
                 "skipped at import", "在党员名册中补全经纬度后重新导入（gridtool import）再划分",
                 "fill in the longitude and latitude in the roster, import it again and partition again"),
    "none_left": ("本网格住户已由其他党员联系完，没有余下的住户", "the grid's households all went to other members: "
                  "none left", "本网格党员多于住户所需：可安排到相邻网格联户，或担任网格助理",
                  "more members than the grid's households need: link them in a neighbouring grid, or make them "
                  "grid assistants"),
    "outside": ("居住点不在任何基础网格内（住在其他村、辖区外或专属网格内）",
                "their point lies in no base grid (another village, outside the township, or a special grid)",
                "核对经纬度；住在外村的由所在村党组织联系，或改到本村住址", "check the coordinates; a member living in another "
                "village is linked there, or give their address in this village"),
}


def party_links(households: gpd.GeoDataFrame, members: gpd.GeoDataFrame, grids: gpd.GeoDataFrame, *,
                min_links: int = 10, max_links: int = 15) -> tuple[gpd.GeoDataFrame, list[dict]]:
    """Links from each member to the households they look after, a per-grid summary, and the
    members given no households.

    ``households`` needs ``hh`` and ``grid``; members are points; a member belongs to the grid
    their point lies in. Returns (links as lines member → household with ``member``,
    ``member_id`` (the member's src_id), ``grid``, ``household`` (src_id), ``hh``, ``distance_m``;
    summary rows per grid, whose ``members_under_min`` are member ids; the members not linked, each
    ``member_id``, ``reason`` (a key of :data:`REASONS`), ``why_zh``/``why_en``, ``fix_zh``/``fix_en``).
    """
    crs = grids.crs
    mpts = members.geometry.values
    gi, mi = shapely.STRtree(grids.geometry.values).query(mpts, predicate="within")
    member_grid = np.full(len(members), -1)
    member_grid[gi] = mi
    names = members["name"].astype("string").fillna("").tolist() if "name" in members else [""] * len(members)
    ids = members["src_id"].astype(str).tolist() if "src_id" in members else [f"row {i + 2}" for i in range(len(members))]
    # A member without a name is still a member: named by their row (党员（row 5）).
    names = [n.strip() or f"党员（{i}）" for n, i in zip(names, ids)]
    why = member_exclusions(members)
    home = grids["village"].astype(str).tolist() if "village" in grids else None
    branch = branch_villages(members, sorted(set(home))) if home else [None] * len(members)
    not_linked = []
    for m in range(len(members)):
        reason = why[m] or ("outside" if member_grid[m] < 0 else None)
        words = {}
        if not reason and branch[m] and home[member_grid[m]] not in branch[m]:
            # 五老村社区党支部's member living in 石门坎村: not linked to another village's households
            reason, words = "other_village", {"branch": "、".join(branch[m]), "home": home[member_grid[m]]}
        if reason:
            member_grid[m] = -1
            zh, en, fzh, fen = (w.format(**words) for w in REASONS[reason])
            not_linked.append({"member_id": ids[m], "reason": reason, "why_zh": zh, "why_en": en,
                               "fix_zh": fzh, "fix_en": fen})
    hpts = household_points(households).values
    hxy = shapely.get_coordinates(hpts)
    mxy = shapely.get_coordinates(mpts)
    hh = households["hh"].fillna(0).astype(int).to_numpy()
    hid = households["src_id"].astype(str).tolist() if "src_id" in households else [str(i) for i in range(len(households))]
    grid_of = households["grid"].tolist()
    rows, summary = [], []
    codes = grids["code"].astype(str).tolist()
    by_grid: dict[str, list[int]] = {}
    for f, c in enumerate(grid_of):
        if isinstance(c, str):
            by_grid.setdefault(c, []).append(f)
    for g, code in enumerate(codes):
        ms = np.flatnonzero(member_grid == g)
        if not len(ms):
            continue
        feats = by_grid.get(code, [])
        # One row per household (a building with 3 households gives 3 rows, capped per building).
        unit_f = np.repeat(np.asarray(feats, dtype=int), np.minimum(hh[feats], max_links)) if feats else np.zeros(0, int)
        per = max_links if len(unit_f) >= len(ms) * max_links else max(1, min(max_links, math.ceil(len(unit_f) / len(ms))))
        slot_m = np.repeat(ms, per)
        if len(unit_f) and len(slot_m):
            d = np.hypot(mxy[slot_m, 0][:, None] - hxy[unit_f, 0][None, :],
                         mxy[slot_m, 1][:, None] - hxy[unit_f, 1][None, :])
            r, c = linear_sum_assignment(d)
            pairs = pd.DataFrame({"m": slot_m[r], "f": unit_f[c], "d": d[r, c]})
            agg = pairs.groupby(["m", "f"], sort=True).agg(hh=("d", "size"), d=("d", "first")).reset_index()
        else:
            agg = pd.DataFrame({"m": [], "f": [], "hh": [], "d": []})
        counts = agg.groupby("m")["hh"].sum() if len(agg) else pd.Series(dtype=int)
        for r in agg.itertuples():
            m, f = int(r.m), int(r.f)
            rows.append({"member": names[m], "member_id": ids[m], "grid": code, "household": hid[f], "hh": int(r.hh),
                         "distance_m": round(float(r.d), 1),
                         "geometry": shapely.linestrings([mxy[m], hxy[f]])})
        # A member the grid's households ran out for has none: not linked, with why (the HTML map,
        # the ledger and the console then agree), not one of the grid's linked members.
        none = [m for m in ms if int(counts.get(m, 0)) == 0]
        for m in none:
            zh, en, fzh, fen = REASONS["none_left"]
            not_linked.append({"member_id": ids[m], "reason": "none_left", "why_zh": zh, "why_en": en,
                               "fix_zh": fzh, "fix_en": fen})
        short = [ids[m] for m in ms if 0 < int(counts.get(m, 0)) < min_links]
        summary.append({"grid": code, "members": len(ms) - len(none),
                        "households_linked": int(agg["hh"].sum()) if len(agg) else 0, "members_under_min": short})
    links = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs) if rows else gpd.GeoDataFrame(
        {"member": [], "member_id": [], "grid": [], "household": [], "hh": [], "distance_m": []},
        geometry=gpd.GeoSeries([], crs=crs))
    return links, summary, not_linked


#: Import problems (:class:`gridtool.problems.Problem` codes) that leave a roster row out of the layer.
_SKIPPED_CODES = ("bad_coordinates", "empty_geometry")


def skipped_members(layer) -> list[dict]:
    """The roster rows import left out of the ``party_members`` layer (no or unreadable coordinates),
    as :func:`party_links`'s members not linked (reason ``"no_point"``), so that the roster's total
    is the partition's: 名册 = 已联户 + 未联户. ``layer`` is a :class:`gridtool.layers.Layer` (a bare
    GeoDataFrame, which keeps no import problems, gives none)."""
    zh, en, fzh, fen = REASONS["no_point"]
    rows = dict.fromkeys(str(f) for p in getattr(layer, "problems", None) or () if p.code in _SKIPPED_CODES
                         for f in p.features or ())
    return [{"member_id": r, "reason": "no_point", "why_zh": zh, "why_en": en, "fix_zh": fzh, "fix_en": fen}
            for r in rows]


def branch_villages(members: pd.DataFrame, villages: list[str]) -> list[list[str] | None]:
    """Per member, the villages their branch column (所属党支部 …, :data:`BRANCH_RE`) names —
    ``五老村社区党支部`` and ``五老村党支部`` both name 五老村社区 — or None when it names none
    (第一党支部, 机关党支部, no branch column)."""
    col = next((c for c in members.columns if BRANCH_RE.search(str(c))), None)
    if col is None:
        return [None] * len(members)
    # the longest spelling first, so that 五老村社区 is not also found as 五老村 inside 新五老村
    keys = sorted(((k, v) for v in villages for k in {v, _VILLAGE_ENDINGS.sub("", v)} if len(k) >= 2),
                  key=lambda kv: -len(kv[0]))
    out: list[list[str] | None] = []
    for text in members[col].tolist():
        found: list[str] = []
        rest = text if isinstance(text, str) else ""
        for k, v in keys:
            if k in rest:
                rest = rest.replace(k, "\0")
                found.append(v)
        out.append(sorted(set(found)) or None)
    return out


def member_exclusions(members: pd.DataFrame) -> list[str | None]:
    """Per member, why they get no households by the roster's own words: ``"floating"`` (是否流动党员
    是), ``"frail"`` (年老体弱 … in any text column), else None."""
    out: list[str | None] = [None] * len(members)
    cols = [c for c in members.columns if c not in ("geometry", "name", "src_id")]
    flo = next((c for c in members.columns if str(c).strip() in _FLOATING_HEADERS), None)
    for i, (_, row) in enumerate(members.iterrows()):
        if flo is not None and str(row[flo]).strip().lower() in _YES:
            out[i] = "floating"
        elif any(isinstance(row[c], str) and _says_frail(row[c]) for c in cols if c != flo):
            out[i] = "frail"
    return out


#: Words around 年老体弱 … that make it about other people, not the member: "负责联系年老体弱户"
#: (they look after frail households) must not take their households away.
_OTHERS_AFTER = ("户", "家庭", "人员", "群众", "老人", "对象", "者")
_OTHERS_BEFORE = ("联系", "帮扶", "照顾", "看望", "关爱", "走访", "结对", "服务")


def _says_frail(text: str) -> bool:
    """True when ``text`` marks the member as elderly or frail (年老体弱, 行动不便 …), not when
    it names frail people the member looks after."""
    for m in _FRAIL_RE.finditer(text):
        after = text[m.end():m.end() + 2]
        before = text[max(0, m.start() - 6):m.start()]
        if after.startswith(_OTHERS_AFTER) or any(w in before for w in _OTHERS_BEFORE):
            continue
        return True
    return False
