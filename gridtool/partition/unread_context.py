"""Context features (a road, river, railway, forest, land-use or place) a batch run could not read.

A damaged geometry blob in a roads layer makes every bbox read over it fail, and with it every
township within the margin of that road. :meth:`.chunking.GeoPackageSource.layers` reads such a
layer around the damage (:func:`.unread.read_slices`), so the township is partitioned without the
damaged features; this module says what that costs, per layer: which file, layer and features
(fid), which chunks were partitioned without them, what the grids may then do wrong and the fix,
in Chinese and English, for the console, ``report.json`` (``batch.unread_context``) and the
district summary. A run with any exits 6 (:data:`EXIT_CODE`).
"""

from __future__ import annotations

from ..roles import ROLES
from ..plurals import count_en

#: Exit code of a batch run that partitioned townships without context features it could not
#: read: every household is in the plan, but a grid may cross the road (river …) it did not see.
#: Below 5 (household features lost) and 4 (villages not partitioned) in precedence.
EXIT_CODE = 6

#: What a chunk partitioned without a feature of the role may get wrong (zh, en).
CONSEQUENCE = {
    "roads": ("网格边界可能不沿这些道路、网格可能越过它们", "grid boundaries may not follow these roads and a grid may "
              "cross them"),
    "rivers": ("网格可能跨越这些河流", "a grid may cross these rivers"),
    "railways": ("网格可能跨越这些铁路", "a grid may cross these railways"),
    "forest": ("这些林地/农田可能被当作住区，网格可能跨越它们", "this forest or farmland may be taken for built-up "
               "land and a grid may cross it"),
    "landuse": ("这些地类图斑可能被当作住区，网格可能跨越它们", "these land-use patches may be taken for built-up land "
                "and a grid may cross them"),
    "places": ("这些重点场所未划出专属网格或未计入走廊", "these places get no special grid and no corridor"),
}

_GENERIC = ("网格可能与缺少这些要素时不同", "the grids may differ from those drawn with these features")


def role_zh(role: str) -> str:
    """The role's Chinese name (道路, 河流 …), the role itself when unknown."""
    return ROLES[role].zh if role in ROLES else role


def fix_words(path: str, role: str) -> tuple[str, str]:
    """What to do about features of ``role`` in ``path`` that could not be read."""
    zh = role_zh(role)
    return (f"用 QGIS 打开 {path} 的 {role} 图层，检查报错的要素（见 fid），删除或重画后保存，或重新导入{zh}"
            f"（gridtool import）；然后同一命令加 --resume 重新运行，只重新计算这些分块。",
            f"open the {role} layer of {path} in QGIS and check the features that fail (see fid), delete or redraw "
            f"them and save, or import the {role} again (gridtool import); then rerun the same command with "
            "--resume to compute only these chunks again.")


def report(path: str, unread: dict, chunks: list[dict]) -> list[dict]:
    """``batch.unread_context``: one entry per layer with damaged features.

    Parameters
    ----------
    path : str
        The project file read.
    unread : dict
        ``{role: UnreadRows}`` of the context layers (:class:`.unread.UnreadRows`).
    chunks : list of dict
        Chunks partitioned without features: ``{"chunk", "district", "villages", "layers": {role: fids}}``.

    Returns
    -------
    list of dict
        ``{"file", "layer", "features", "fids" (the first 50), "error", "chunks", "consequence_zh",
        "consequence_en", "fix_zh", "fix_en"}``, in the order of the roles.
    """
    out = []
    for role, u in unread.items():
        if not u.rows:
            continue
        mine = [{k: c[k] for k in ("chunk", "district", "villages")} for c in chunks if role in c["layers"]]
        con = CONSEQUENCE.get(role, _GENERIC)
        fix = fix_words(path, role)
        out.append({"file": path, "layer": role, "features": len(u.rows),
                    "fids": [r + 1 for r in sorted(u.rows)[:50]], "error": u.error, "chunks": mine,
                    "consequence_zh": con[0], "consequence_en": con[1], "fix_zh": fix[0], "fix_en": fix[1]})
    return out


def district_lines(entry: dict) -> tuple[str, str]:
    """One chunk of a district partitioned without context features, for the district summary:
    ``entry`` as kept in ``batch.districts[].unread_context``."""
    what_zh = "、".join(f"{role} 图层 {len(f)} 个要素（fid {'、'.join(map(str, f[:5]))}{'…' if len(f) > 5 else ''}）"
                        for role, f in entry["layers"].items())
    what_en = "; ".join(f"{count_en(len(f), 'feature')} of layer {role} (fid {', '.join(map(str, f[:5]))}"
                        f"{'…' if len(f) > 5 else ''})" for role, f in entry["layers"].items())
    con = [CONSEQUENCE.get(role, _GENERIC) for role in entry["layers"]]
    return (f"    注意：分块 {entry['chunk']}（{'、'.join(entry['villages'])}）按缺少 {what_zh}划分（无法读出，见下方）："
            + "；".join(c[0] for c in con),
            f"    note: chunk {entry['chunk']} ({', '.join(entry['villages'])}) was partitioned without {what_en} "
            "(could not be read, see below): " + "; ".join(c[1] for c in con))
