"""Clock times and time windows of a patrol shift, across midnight.

A shift starts at a clock time and lasts some minutes, possibly past midnight (22:00 for 240
minutes runs to 02:00). A place's windows are written as clock times (``"07:30-08:00"``; a
window whose end is before its start runs past midnight: ``"23:00-00:48"``). Planning works in
minutes after the shift start: :func:`windows_in_shift` puts each window on that time line on
whichever day it falls in the shift, and keeps only what overlaps the shift for a positive time
(a window that merely touches the shift's start or end is outside it: no team could be there in
that instant after travelling from its station).
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..errors import ClockTimeError

DAY = 24 * 60
_TIME = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*$")


def parse_clock(text: str) -> float:
    """``"07:30"`` → minutes after midnight (``"24:00"`` is 1440, the end of the day)."""
    m = _TIME.match(str(text))
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59 or (int(m.group(1)) == 24 and int(m.group(2))):
        raise ClockTimeError(f"时间应为 时:分（如 07:30）：{text}", f"not a clock time HH:MM: {text!r}",
                             fix_zh="例如 --start 08:00。", fix_en="e.g. --start 08:00.", field="start")
    return int(m.group(1)) * 60 + int(m.group(2))


def clock(minutes: float) -> str:
    """Minutes after midnight (of any day: 1455 is the next day's 00:15) → ``"00:15"``."""
    m = int(round(minutes)) % DAY
    return f"{m // 60:02d}:{m % 60:02d}"


def parse_windows(text) -> list[tuple[float, float]]:
    """``"07:30-08:00;16:30-17:30"`` → [(450, 480), (990, 1050)] (minutes after midnight); a window
    that runs past midnight ends after 1440: ``"23:00-00:48"`` → [(1380, 1488)]."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or str(text).strip() == "":
        return []
    out = []
    for part in re.split(r"[;,，；、]", str(text)):
        if not part.strip():
            continue
        a, _, b = part.replace("—", "-").replace("–", "-").replace("~", "-").replace("至", "-").partition("-")
        lo, hi = parse_clock(a), parse_clock(b)
        out.append((lo, hi + DAY if hi < lo else hi))
    return out


def windows_in_shift(windows, start: float, shift: float) -> list[tuple[float, float]]:
    """The parts of daily ``windows`` that lie in the shift, in minutes after its start.

    Parameters
    ----------
    windows : list of (float, float)
        Windows as :func:`parse_windows` gives them (minutes after midnight, recurring daily).
    start, shift : float
        The shift's start (minutes after midnight) and length (minutes).

    Returns
    -------
    list of (float, float)
        Sorted, each clipped to ``[0, shift]``; a window overlapping the shift for no time (it
        touches the start or end) is left out, but a window written as one instant
        (``"08:30-08:30"``) inside the shift is kept.

    Examples
    --------
    >>> windows_in_shift([(1380, 1488)], 22 * 60, 240)     # 23:00-00:48 in 22:00-02:00
    [(60.0, 168.0)]
    >>> windows_in_shift([(450, 480)], 8 * 60, 240)        # 07:30-08:00 ends as 08:00-12:00 starts
    []
    >>> windows_in_shift([(0, 1440)], 22 * 60, 240)        # all day, in a shift across midnight
    [(0.0, 240.0)]
    """
    out = set()
    for a, b in windows:
        for day in range(-1, int((start + shift) // DAY) + 2):
            lo, hi = a + day * DAY - start, b + day * DAY - start
            clo, chi = max(lo, 0.0), min(hi, float(shift))
            if chi > clo or (a == b and 0 <= lo <= shift):
                out.add((float(clo), float(chi)))
    merged: list[tuple[float, float]] = []
    for a, b in sorted(out):  # one day's window seen on two days (00:00-24:00 in 22:00-02:00) is one
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def shift_words(start: float, shift: float) -> str:
    """``"22:00–02:00（次日）"``: the shift as clock times, saying when it ends the next day."""
    nxt = "（次日）" if start + shift >= DAY else ""
    return f"{clock(start)}–{clock(start + shift)}{nxt}"


def outside_shift_words(text: str, windows, start: float, shift: float) -> tuple[str, str]:
    """Why a place whose ``windows`` (written ``text``) all lie outside the shift is left out, and
    the change of ``--start`` (or ``--shift``) that brings the nearest window into it.

    The suggested start leaves ``lead`` minutes before the window opens to get there (30, or the
    window's length when the shift is shorter); when only a longer shift reaches a window, that
    length is suggested instead.
    """
    span = shift_words(start, shift)
    span_en = f"{clock(start)}–{clock(start + shift)}"
    best = None  # (how far the start moves, new start)
    for a, b in windows:
        lead = min(30.0, max(0.0, shift - (b - a)))
        new = (a - lead) % DAY
        move = min((new - start) % DAY, (start - new) % DAY)
        if best is None or move < best[0]:
            best = (move, new)
    fix_zh, fix_en = "", ""
    if best is not None:
        new = best[1]
        fix_zh = f"；可改 --start {clock(new)}"
        fix_en = f"; try --start {clock(new)}"
        # the window that opens soonest after the shift: reachable by a longer shift too
        later = min(((a - start) % DAY, b - a) for a, b in windows)
        longer = math.ceil(later[0] + later[1])
        if longer < DAY - shift:  # not "a shift of a whole day": only a real lengthening helps
            fix_zh += f" 或 --shift {longer}"
            fix_en += f" or --shift {longer}"
    return (f"时间窗 {text} 不在班次 {span} 内{fix_zh}",
            f"its time window {text} is outside the shift {span_en}{fix_en}")


def wait_words(wait_min, lang: str = "zh") -> str:
    """``"等候 50 分钟"`` for a wait of at least a minute at a stop (the window opens later than the
    team gets there); ``""`` otherwise."""
    try:
        n = int(round(float(wait_min)))
    except (TypeError, ValueError):
        return ""
    if n < 1:
        return ""
    return f"等候 {n} 分钟" if lang == "zh" else f"wait {n} min"
