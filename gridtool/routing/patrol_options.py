"""The patrol options the command line and the app share, worked out once: speeds by road class
(``--speed CLASS=KMH``), the incidents a patrol's hot spots come from (``--category``), the hot spots
(``--hotspot-bandwidth``, ``--max-hotspots``) and the line that compares the routes with and
without incidents.

``gridtool patrol`` prints the ``(zh, en)`` lines these return; the app's patrol dialog writes the
same lines to its log, so both state the same figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import GridtoolError
from ..plurals import count_en, plural_en

Lines = list[tuple[str, str]]


#: A unit typed after the number (``40km/h``, ``40 公里/小时``): km/h is what the box asks for.
_KMH_UNIT = re.compile(r"\s*(?:km/h|kmh|kph|km|公里/小时|公里每小时|公里/时|千米/小时|千米每小时|码)\s*$", re.I)


def parse_speeds(items: Iterable[str] | str | None, mode: str) -> dict | None:
    """``CLASS=KMH`` items (``--speed``, repeatable; the app's box takes them comma-separated) as
    :func:`gridtool.routing.graph.build_graph`'s ``speeds`` for ``mode``; None when there are none.

    A Chinese grade (``县道=40``, ``乡道``, ``村道``, ``次干路``) sets the class import gave those
    roads (:func:`gridtool.lineclasses.road_from_word`: 县道 → ``secondary``), since a project's
    roads carry OSM classes, never the word; :func:`speed_lines` says which class it set. A unit
    after the number (``40km/h``, ``40 公里/小时``) is read as km/h.

    Raises
    ------
    GridtoolError
        An item is not ``CLASS=KMH`` with a positive number.
    """
    if isinstance(items, str):
        items = [items]
    out: dict = {}
    for part in items or []:
        for item in (t for t in re.split(r"[,，;；、]", str(part)) if t.strip()):
            cls, sep, val = re.sub(r"[＝:：]", "=", item).partition("=")
            try:
                kmh = float(_KMH_UNIT.sub("", val).strip())
            except ValueError:
                kmh = float("nan")
            if not sep or not cls.strip() or not kmh > 0:
                raise GridtoolError(f"无法识别的速度设置：{item.strip()}", f"cannot read the speed setting {item.strip()!r}",
                                    fix_zh="写成 等级=公里每小时，例如 residential=25 或 县道=40（命令行 --speed residential=25）。",
                                    fix_en="write CLASS=KMH, e.g. residential=25 or 县道=40 (on the command line "
                                           "--speed residential=25).", field="speed")
            out[road_class_of(cls)] = {mode: kmh}
    return out or None


def road_class_of(word: str) -> str:
    """The road class a ``--speed`` name sets: itself when it is a class of the speed table (or
    no grade word gridtool knows), else the class import gives roads of that grade (县道 →
    ``secondary``)."""
    from ..lineclasses import road_from_word
    from .graph import SPEEDS_KMH
    w = str(word).strip().lower()
    if w in SPEEDS_KMH:
        return w
    return road_from_word(w) or w


def speed_lines(speeds: dict | None, mode: str, items: Iterable[str] | str | None = None) -> Lines:
    """The line saying which speeds were set by class (nothing when none were); with the ``items``
    as typed, a Chinese grade is named with the class it set (县道 → secondary)."""
    if not speeds:
        return []
    words: dict[str, list[str]] = {}
    for part in ([items] if isinstance(items, str) else items or []):
        for item in (t for t in re.split(r"[,，;；、]", str(part)) if t.strip()):
            w = re.sub(r"[＝:：]", "=", item).partition("=")[0].strip().lower()
            c = road_class_of(w)
            if c != w and w not in words.setdefault(c, []):
                words[c].append(w)
    zh = [f"{'、'.join(words[k])}（即 {k}）" if words.get(k) else f"{k} " for k in speeds]
    en = [f"{'/'.join(words[k])} (= {k})" if words.get(k) else k for k in speeds]
    return [("按等级指定速度：" + "，".join(f"{n}{v[mode]:g} 公里/小时" for n, v in zip(zh, speeds.values())),
             "speeds set by class: " + ", ".join(f"{n} {v[mode]:g} km/h" for n, v in zip(en, speeds.values())))]


def incident_categories(layer) -> list[str]:
    """The parent categories of the incidents layer's placed calls (治安, 刑事 …), most calls first:
    the choices the app offers for ``--category``."""
    gdf = getattr(layer, "gdf", None)
    if gdf is None or "type" not in gdf:
        return []
    from ..incidents import split_category
    parents = [p for p in (split_category(v)[0] for v in gdf["type"].dropna()) if p and p.lower() != "nan"]
    counts: dict[str, int] = {}
    for p in parents:
        counts[p] = counts.get(p, 0) + 1
    return sorted(counts, key=lambda p: (-counts[p], p))


def select_incidents(layer, incidents, category: str):
    """The placed incidents of ``category`` (``治安,刑事``: parent or full names,
    :func:`gridtool.incidents.select_categories`); returns ``(kept, label, lines)``, the lines stating
    the filter and what it keeps (incidents in = placed + not placed, for the categories kept).

    Raises
    ------
    GridtoolError
        The layer has no category column, or no incident has any of the categories (the message
        names those present).
    """
    from ..address_match import placed_by_address_count
    from ..incidents import category_summary, select_categories
    from ..incidents_dupes import merged_count
    from .hotspots import unplaced_counts
    wanted = [w.strip() for w in re.split(r"[,，、]", category) if w.strip()]
    present = category_summary(incidents["type"], top=12) if "type" in incidents else ""
    if "type" not in incidents or not present:
        raise GridtoolError(
            f"警情图层没有类别列，不能按 --category {category} 筛选",
            f"the incidents layer has no category column: cannot filter by --category {category}",
            fix_zh="用 --field incidents.type=列名 指定警情类别列（如 警情类别、案由），或去掉 --category。",
            fix_en="name the category column with --field incidents.type=COLUMN, or drop --category.",
            file=layer.source, layer="incidents", field="type")
    mask, missing = select_categories(incidents["type"].tolist(), wanted)
    if not mask.any():
        raise GridtoolError(
            f"没有类别为 {'、'.join(wanted)} 的警情（落图的 {len(incidents)} 条中）",
            f"no incident of the categories {', '.join(wanted)} (among the {len(incidents)} placed)",
            fix_zh=f"现有类别（大类在前）：{present}；--category 写大类（治安）或全名（治安-盗窃）。",
            fix_en=f"the categories present (parents first): {present}; give --category parents (治安) or full "
                   "names (治安-盗窃).", file=layer.source, layer="incidents", field="type")
    kept = incidents[mask]
    wanted_all = wanted
    wanted = [w for w in wanted if w not in missing]  # the line names what it kept
    merged = merged_count(layer.problems)
    total = len(incidents) + sum(unplaced_counts(layer.problems).values()) + merged
    by_address = placed_by_address_count(layer.problems)
    addr_zh = f"（其中按地址 {by_address}）" if by_address else ""
    addr_en = f" ({by_address} by address)" if by_address else ""
    merged_zh = f" + 重复合并 {merged}" if merged else ""
    merged_en = f" + {merged} merged" if merged else ""
    lines: Lines = [(
        f"按类别筛选 --category {category}：警情 {total} 条 = 落图 {len(incidents)}{addr_zh}"
        f"{'' if addr_zh else ' '}+ 未落图 {total - len(incidents) - merged}{merged_zh}；热点只用落图中类别为 {'、'.join(wanted)} "
        f"的 {len(kept)} 条（{category_summary(kept['type'], top=len(wanted) + 2)}），其余 "
        f"{len(incidents) - len(kept)} 条不计",
        f"filter --category {category}: incidents {total} = {len(incidents)} placed{addr_en} + "
        f"{total - len(incidents) - merged} not placed{merged_en}; hot spots from the {len(kept)} placed of categories "
        f"{', '.join(wanted)} only, the other {len(incidents) - len(kept)} are not counted")]
    lines.append(_category_total(layer, kept, wanted_all, "、".join(wanted)))
    if missing:
        lines.append((f"[警告] 没有警情的类别：{'、'.join(missing)}（现有：{present}）",
                      f"[warning] no incident has the categor(ies): {', '.join(missing)} (present: {present})"))
    return kept, "、".join(wanted), lines


def _category_total(layer, kept, wanted: list[str], label: str) -> tuple[str, str]:
    """警情 N 条 = 落图 A + 未落图 C + 重复合并 M for the categories filtered: the calls not placed
    and the rows merged into an earlier row of their incident counted by their category, as saved
    with the project (:mod:`gridtool.incidents_unplaced`, :mod:`gridtool.incidents_dupes`)."""
    from ..incidents import select_categories
    from ..incidents_dupes import merged_rows
    from ..incidents_unplaced import unplaced_rows
    rows = unplaced_rows(layer)
    twins = merged_rows(layer)
    if twins is None:  # a project saved before the merged rows' categories were kept
        from ..incidents_dupes import merged_count
        n = merged_count(layer.problems)
        return (f"  重复合并的 {n} 行不知类别（项目由较早版本保存）：重新 gridtool import 后可按类别计",
                f"  the {n} merged rows have no category here (project saved by an older gridtool): import "
                "again to count them by category")
    if rows is None:  # a project saved before the categories of unplaced calls were kept
        from .hotspots import unplaced_counts
        n = sum(unplaced_counts(layer.problems).values())
        return (f"  未落图的 {n} 条警情不知类别（项目由较早版本保存）：重新 gridtool import 后可按类别计",
                f"  the {count_en(n, 'call')} not placed {plural_en(n, 'has')} no category here (project saved by an older gridtool): import "
                "again to count them by category")
    off = int(select_categories(rows["type"].tolist(), wanted)[0].sum()) if len(rows) else 0
    twin = int(select_categories(twins["type"].tolist(), wanted)[0].sum()) if len(twins) else 0
    total = len(kept) + off + twin
    return (f"  类别 {label}：警情 {total} 条 = 落图 {len(kept)} + 未落图 {off}" + (f" + 重复合并 {twin}" if twin else ""),
            f"  categories {label.replace('、', ', ')}: incidents {total} = {len(kept)} placed + {off} not placed"
            + (f" + {twin} merged" if twin else ""))


def patrol_hotspots(project, graph, *, bandwidth: float = 150.0, max_spots: int = 20, category: str | None = None):
    """The hot spots a patrol visits, from the project's incidents layer (``--category`` kept only);
    returns ``(hotspots, incidents, lines)``: the incidents they came from and the filter's lines
    (the hot spots' own summary is ``hotspots.summary(lang)``)."""
    from ..address_match import placed_by_address_count
    from ..incidents_dupes import merged_count
    from .hotspots import find_hotspots, unplaced_counts
    layer = project.layers["incidents"]
    incidents, label, lines = layer.gdf, "", []
    if category:
        incidents, label, lines = select_incidents(layer, incidents, category)
    hs = find_hotspots(graph, incidents, bandwidth=bandwidth, max_spots=max_spots)
    if label:  # the filter's line gave rows in = placed + not placed; this one counts the kept
        hs.category = label
    else:
        hs.unplaced = unplaced_counts(layer.problems)
        hs.by_address = placed_by_address_count(layer.problems)
        hs.merged = merged_count(layer.problems)
    return hs, incidents, lines


def incident_share_line(graph, stations, places, plan, hotspots, incidents, *, common: dict):
    """The share of the incidents within 100 m of the routes, and (when there are key places) of the
    routes the same teams and shift would drive without incidents (a second plan, ``common`` its
    options); returns ``((zh, en), {"with": …, "without": …})``."""
    import pandas as pd

    from .hotspots import in_shift_hours, incident_share_near
    from .patrol import plan_patrol
    from .shift_windows import clock, parse_clock
    category = hotspots.category
    near = incident_share_near(plan.routes, incidents, metres=100)
    # The calls at the shift's hours of the day are the ones a patrol then can deter: said beside the day's.
    t0, span = parse_clock(plan.start), float(plan.shift_minutes)
    hours = incidents["hour"] if "hour" in incidents else None
    at_shift = (incidents[in_shift_hours(pd.to_numeric(hours, errors="coerce"), t0, span)]
                if hours is not None and span < 24 * 60 else None)
    if at_shift is not None and not len(at_shift):
        at_shift = None
    zh = f"路线 100 米内的警情{f'（类别 {category}）' if category else ''}：{near:.0%}"
    en = f"incidents{f' ({category})' if category else ''} within 100 m of the routes: {near:.0%}"
    if hotspots.unplaced:  # shares of the placed rows: say so, with the rows that are not
        missing = sum(hotspots.unplaced.values())
        zh += f"（占落图的 {hotspots.total} 条；未落图 {missing} 条不计）"
        en += f" (of the {hotspots.total} placed; {missing} not placed are not counted)"
    if at_shift is not None:
        hrs = f"{clock(t0)}–{clock(t0 + span)}"
        zh += f"；其中班次时段 {hrs} 的 {len(at_shift)} 条：{incident_share_near(plan.routes, at_shift, metres=100):.0%}"
        en += (f"; of the {len(at_shift)} at the shift's hours {hrs}: "
               f"{incident_share_near(plan.routes, at_shift, metres=100):.0%}")
    has_places = places is not None and len(places) and (
        "category" not in places or bool((places["category"].astype(str) != "police").any()))
    before = None
    if has_places:
        base = plan_patrol(graph, stations, places, strict=False, **common)
        before = incident_share_near(base.routes, incidents, metres=100)
        zh += f"；同样队伍和班次、不考虑警情时为 {before:.0%}"
        en += f"; {before:.0%} with the same teams and shift planned without incidents"
        if at_shift is not None:
            base_at = incident_share_near(base.routes, at_shift, metres=100)
            zh += f"（班次时段的 {base_at:.0%}）"
            en += f" ({base_at:.0%} of those at the shift's hours)"
    else:
        zh += "（没有重点场所，不考虑警情时无可巡逻的地点）"
        en += " (no key places: without incidents there would be nothing to patrol)"
    return (zh, en), {"with": near, "without": before}


__all__ = ["incident_categories", "incident_share_line", "parse_speeds", "patrol_hotspots", "road_class_of",
           "select_incidents", "speed_lines"]
