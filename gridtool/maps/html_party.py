"""The party-member links ("1+10", 党员联户) on the HTML map, for the 支部书记: off by default (a
map shown to residents does not start with them), turned on in the layer control.

Two layers: ``党员联户连线``, a thin line from each member to each household they look after (at
town scale each member reads as a small star over their households, and a grid's members as
neighbouring stars; a hull per member would hide the households and overlap its neighbours'), and
``党员``, a dot per member — red when linked, grey when given no households — with a popup of the
member (masked unless ``include_personal``), grid, households linked and why a member has none.
"""

from __future__ import annotations

import shapely

from .html_columns import _col, _int_col, _text
from .party_layers import party_members_shown
from .privacy import escape_html

LINK_COLOUR = "#c62828"
UNLINKED_COLOUR = "#9e9e9e"


def add_party(b) -> None:
    """``party_links`` as thin lines and ``party_members`` as dots, both off until turned on."""
    links = b.layers.get("party_links")
    members = party_members_shown(b.project, include_personal=b.include_personal)
    if members is not None:  # the members layer keeps its input CRS; the map draws in lon/lat
        members = members[~(members.geometry.isna() | members.geometry.is_empty)]
    if links is not None:
        # A member linked to their own building draws no line (under the map's ~1 m step): the
        # member's dot is there. Counted as drawn, so the map's count is the project's.
        own = (links.geometry.length < 1.0).to_numpy()
        lm = b._masked("party_links")[~own]
        links = links[~own]
        b.counts["party_links"] = int(own.sum())
        cols = {"member": _col(lm, "member"), "grid": _col(lm, "grid"), "hh": _int_col(lm, "hh"),
                "m": [f"{float(d):.0f}" if d == d else "" for d in lm.get("distance_m", [float("nan")] * len(lm))]}
        grp = b.group(b.t("党员联户连线", "party-member links"), show=False)
        b.add(grp, "line", links, cols, count_as="party_links",
              style={"color": LINK_COLOUR, "weight": 1, "opacity": 0.55},
              tip=b.tt("<b>党员 {member}</b> 联系 {hh} 户[[ · 相距 {m} 米]]<br>网格 {grid}",
                       "<b>Party member {member}</b>: {hh|household|households}[[ · {m} m]]<br>grid {grid}"))
    if members is not None and len(members):
        pts = members.assign(geometry=shapely.point_on_surface(members.geometry.values))
        linked = [int(h) > 0 for h in members["hh"]]
        cols = {"member": _col(members, "name") if "name" in members else [""] * len(members),
                "grid": _text(members["grid"]), "hh": [int(h) for h in members["hh"]],
                "note": _text(members["note"])}
        grp = b.group(b.t("党员（联户）", "party members (links)"), show=False)
        pop = b.tt("<b>党员 {member}</b><table><tr><th>所在网格</th><td>[[{grid}]]</td></tr>"
                   "<tr><th>联系户数</th><td>{hh} 户</td></tr>[[<tr><th>说明</th><td>{note}</td></tr>]]</table>",
                   "<b>Party member {member}</b><table><tr><th>grid</th><td>[[{grid}]]</td></tr>"
                   "<tr><th>households linked</th><td>{hh}</td></tr>[[<tr><th>note</th><td>{note}</td></tr>]]</table>")
        b.add(grp, "point", pts, cols, count_as="party_members", pal=[LINK_COLOUR, UNLINKED_COLOUR],
              fill=[0 if k else 1 for k in linked],
              style={"color": "#fff", "weight": 1, "fillOpacity": 0.95, "radius": 5},
              tip=b.tt("<b>党员 {member}</b><br>联系 {hh} 户[[ · {grid}]]",
                       "<b>Party member {member}</b><br>{hh|household|households}[[ · {grid}]]"), pop=pop)
    if links is None and members is None:
        return
    b.legend.append(
        f'<div class="gt-group">{b.t("党员联户（图层默认关闭）", "party-member links (off until turned on)")}</div>'
        f'<div class="gt-row"><span class="gt-dot" style="width:9px;height:9px;background:{LINK_COLOUR}"></span>'
        f'{escape_html(b.t("党员（灰色：未安排联系户）", "party member (grey: no households)"))}</div>'
        f'<div class="gt-row"><span class="gt-line" style="border-top:1px solid {LINK_COLOUR}"></span>'
        f'{b.t("党员到所联系住户", "member to the households they look after")}</div>')


__all__ = ["LINK_COLOUR", "UNLINKED_COLOUR", "add_party"]
