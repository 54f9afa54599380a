"""The party members (``party_members``) as the maps and GIS files show them to a 支部书记: each
member masked like every personal field, with the grid they were linked in, their linked households
(``hh``, summed from ``party_links``) and, for a member given none, why (``note``, the partition's
``members_not_linked`` words).

Shared by the HTML map (:mod:`.html_party`) and the GIS exports (:mod:`.gis`), so both say the
same counts the ledger's 党员联户 sheet says.
"""

from __future__ import annotations

import pandas as pd

from .privacy import mask_layer


def member_links(project, members: pd.DataFrame) -> pd.DataFrame:
    """``members`` (the ``party_members`` layer, masked or not, same rows) with ``grid`` (codes
    of the grids they look after households in), ``hh`` (households linked) and ``note`` (why
    none, in Chinese) added; members are matched to links by ``src_id`` = ``member_id``."""
    out = members.copy()
    links_l = project.layers.get("party_links")
    links = links_l.gdf if links_l is not None and links_l.gdf is not None else None
    ids = out["src_id"].astype(str) if "src_id" in out else pd.Series([""] * len(out), index=out.index)
    hh, grid = {}, {}
    if links is not None and len(links) and "member_id" in links:
        key = links["member_id"].astype(str)
        hh = pd.to_numeric(links["hh"], errors="coerce").fillna(0).groupby(key).sum().astype(int).to_dict()
        grid = links["grid"].astype(str).groupby(key).agg(lambda s: "、".join(sorted(set(s)))).to_dict()
    plan = ((project.parameters.get("partition") or {}).get("plan") or {}).get("party_links") or {}
    why = {str(m["member_id"]): m.get("why_zh", "") for m in plan.get("members_not_linked") or []}
    out["grid"] = [grid.get(i, "") for i in ids]
    out["hh"] = [int(hh.get(i, 0)) for i in ids]
    out["note"] = [why.get(i, "") for i in ids]
    return out


def party_members_shown(project, *, include_personal: bool = False) -> pd.DataFrame | None:
    """The ``party_members`` layer masked (unless ``include_personal``) with :func:`member_links`'s
    columns; None without the layer."""
    lyr = project.layers.get("party_members")
    if lyr is None or lyr.gdf is None or not len(lyr.gdf):
        return None
    return member_links(project, mask_layer(lyr, include_personal=include_personal))


__all__ = ["member_links", "party_members_shown"]
