"""The partition's coded words in Chinese, for every Chinese output: a grid's ``note``
(``pocket; edited`` → 硬边界围出的片区；已手工调整) and a sub-grid's ``apartment_parts``
(``row 945#1/17`` → 第945行 第1/17部分). The ledger, the atlas, the HTML map, KML and Chinese
shapefiles read them here, so that they say the same words; ``--lang en`` keeps the codes.
"""

from __future__ import annotations

import re

from ..errors import feature_id_zh

#: A grid's or sub-grid's ``status`` (``stale``/``emptied``: households or villages replaced since
#: the grids were drawn, :func:`gridtool.layer_deps.mark_plan_stale`).
STATUS_ZH = {"ok": "正常", "exception": "例外", "relaxed": "放宽范围", "empty": "无住户",
             "emptied": "无住户（住户已重新导入，需重新划分）", "stale": "户数已过时（住户或村界已重新导入，需重新划分）"}
STATUS_EN = {"ok": "ok", "exception": "exception (households out of bounds)", "empty": "no households",
             "emptied": "no households (households re-imported: partition again)",
             "stale": "counts out of date (households or villages re-imported: partition again)"}

NOTE_ZH = {"too_small": "村（社区）户数不足，整村一格", "gap": "村（社区）户数落在区间空档，整村一格",
           "pocket": "硬边界围出的片区", "no_cut": "找不到范围内的切分", "isolated": "与村（社区）主体分离的片区",
           "exclave": "含飞地", "locked": "已锁定", "edited": "已手工调整", "merged": "合并划分",
           # a redraw: the households outside the village's locked grids fit no grid count
           "beside_locked": "锁定网格以外的户数分不出范围内的网格", "outside_bounds": "锁定网格以外的户数分不出范围内的网格"}

#: The same, short, where a line has little room (the atlas page's header line).
NOTE_SHORT_ZH = {**NOTE_ZH, "too_small": "户数不足", "gap": "户数落在两档之间", "no_cut": "无法在范围内切分",
                 "isolated": "孤立片区", "beside_locked": "锁定网格外户数不合范围",
                 "outside_bounds": "锁定网格外户数不合范围"}


def note_zh(note, *, short: bool = False) -> str:
    """The partition's ``note`` in Chinese: ``"pocket; edited"`` → ``硬边界围出的片区；已手工调整``
    (``short``: the words of :data:`NOTE_SHORT_ZH`)."""
    words = NOTE_SHORT_ZH if short else NOTE_ZH
    out = []
    for token in [t.strip() for t in str(note or "").split(";") if t.strip()]:
        m = re.match(r"locked, (\d+) households? outside (\d+)-(\d+)", token)
        if m:
            out.append(f"已锁定，{m.group(1)} 户超出 {m.group(2)}–{m.group(3)} 户")
        else:
            out.append(words.get(token, token))
    return "；".join(out)


def apartment_parts_zh(text) -> str | None:
    """A sub-grid's ``apartment_parts`` in Chinese: ``row 945#1/17`` (part 1 of the 17 parts the
    building at roster row 945 was divided into) → ``第945行 第1/17部分``; consecutive parts of a
    building as one range (``row 945#1/17;row 945#2/17`` → ``第945行 第1–2/17部分``), buildings joined
    by ``；``. Text that is not such a list is returned as it is."""
    runs: list[list] = []  # [label, first, last, of]
    for item in [t.strip() for t in str(text or "").split(";") if t.strip()]:
        label, sep, part = item.rpartition("#")
        m = re.fullmatch(r"(\d+)/(\d+)", part) if sep else None
        if m is None:
            runs.append([item, None, None, None])
            continue
        k, n = int(m.group(1)), int(m.group(2))
        last = runs[-1] if runs else None
        if last and last[0] == label and last[3] == n and last[2] == k - 1:
            last[2] = k
        else:
            runs.append([label, k, k, n])
    words = [label if k is None else f"{feature_id_zh(label)} 第{k}{'' if k == j else f'–{j}'}/{n}部分"
             for label, k, j, n in runs]
    return "；".join(words) or None


__all__ = ["NOTE_SHORT_ZH", "NOTE_ZH", "apartment_parts_zh", "note_zh"]
