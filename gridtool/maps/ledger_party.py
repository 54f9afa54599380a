"""The ledger's 党员联户 sheet: one row per party member for the 支部书记 — 党员, 所属党支部, 网格编码,
联系户数, 联系户地址 — with the member's roster row (names are masked by default), members given no households with why and the fix
(roster rows import skipped for want of coordinates too), and below the 合计 row the roster = members
linked + not linked, and households linked + not linked = the plan's household total.

Names, ID and phone numbers of members (and any personal text in the addresses) are masked by
:func:`gridtool.maps.privacy.mask_layer` unless ``include_personal``.
"""

from __future__ import annotations


import pandas as pd

from ..partition.staffing import BRANCH_RE
from .ledger_sheet import Sheet

COLUMNS = ["序号", "党员", "名册行", "所属党支部", "网格编码", "联系户数", "联系户地址", "说明"]


def _text(v) -> str | None:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return None
    s = str(v).strip()
    return s or None


def _row_words(src_id: str) -> str:
    s = str(src_id)
    return f"第 {s[4:]} 行" if s.startswith("row ") else f"要素 {s}"


def party_sheet(project, *, address_col: str | None, total: int, include_personal: bool = False) -> Sheet | None:
    """The 党员联户 sheet, or None without a ``party_links`` layer.

    Parameters
    ----------
    project : gridtool.project.Project
        With ``party_members`` and ``party_links`` (``member_id``, ``household``, ``grid``, ``hh``).
    address_col : str or None
        The households' address column (the 住户名单's); without one a household is named by its row.
    total : int
        The plan's household total, which linked + not linked add up to.
    include_personal : bool
        Keep members' names unmasked.
    """
    from .privacy import mask_layer

    links_l, members_l = project.layers.get("party_links"), project.layers.get("party_members")
    if links_l is None or links_l.gdf is None or members_l is None or members_l.gdf is None:
        return None
    links = links_l.gdf
    members = mask_layer(members_l, include_personal=include_personal)
    ids = members_l.gdf["src_id"].astype(str) if "src_id" in members_l.gdf else pd.Series(dtype=str)
    branch = next((c for c in members.columns if BRANCH_RE.search(str(c))), None)
    hs_l = project.layers["households"]
    hs = mask_layer(hs_l, include_personal=include_personal)
    src = hs_l.gdf["src_id"].astype(str) if "src_id" in hs_l.gdf else pd.Series(dtype=str)
    where = {}
    for s, a in zip(src, hs[address_col] if address_col and address_col in hs else [None] * len(src)):
        where[s] = _text(a) or _row_words(s)
    key = "member_id" if "member_id" in links else "member"
    plan = ((project.parameters.get("partition") or {}).get("plan") or {}).get("party_links") or {}
    why = {m["member_id"]: f"{m['why_zh']}；{m['fix_zh']}" for m in plan.get("members_not_linked") or []}
    lo = plan.get("min_links", 10)
    rows = []
    for i, (mid, (_, m)) in enumerate(zip(ids, members.iterrows())):
        mine = links[links[key].astype(str) == (mid if key == "member_id" else str(members_l.gdf["name"].iloc[i]))]
        n = int(mine["hh"].sum()) if len(mine) else 0
        addr = "、".join(where.get(str(h), _row_words(str(h))) + (f"（{int(k)}户）" if int(k) > 1 else "")
                        for h, k in zip(mine["household"], mine["hh"]))
        note = why.get(mid) or (f"联系户不足 {lo} 户（本网格住户不够）" if n < lo else None)
        rows.append([i + 1, _text(m.get("name")), _row_words(mid), _text(m.get(branch)) if branch else None,
                     "、".join(sorted(set(mine["grid"].astype(str)))) or None, n, addr or None, note])
    # Roster rows import skipped (no coordinates) are members all the same: one row each, by roster row.
    known = set(ids)
    for m in plan.get("members_not_linked") or []:
        if str(m["member_id"]) not in known:
            rows.append([len(rows) + 1, None, _row_words(str(m["member_id"])), None, None, 0, None,
                         f"{m['why_zh']}；{m['fix_zh']}"])
    rows.sort(key=lambda r: (r[4] is None, r[4] or "", r[0]))
    for i, r in enumerate(rows):
        r[0] = i + 1
    linked = int(links["hh"].sum()) if len(links) else 0
    out = len(why)  # the members partition gave no households, each with why (as the console counts)
    footer = [["合计", f"{len(rows)} 名党员", None, None, None, linked],
              [f"党员名册 {len(rows)} 名 = 已联户 {len(rows) - out} + 未联户 {out}（原因见“说明”）"],
              [f"住户 {total:,} 户 = 已联系 {linked:,} + 未联系 {total - linked:,}"]]
    return Sheet("党员联户", COLUMNS, rows, footer)
