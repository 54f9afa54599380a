"""Advice that helps when must-visit places do not fit into the patrol routes.

"Add teams" only helps a place one team could serve on its own; a place whose window closes
before any team can get there from its station needs an earlier start (or a wider window), and a
place too far to reach and come back within the shift needs a longer shift. :func:`fit_advice`
sorts the places that do not fit into these cases from the travel times and says the change that
would make each case fit, with the figure (the start, the shift length).
"""

from __future__ import annotations

import math

import numpy as np

from .shift_windows import clock
from ..plurals import count_en, plural_en


def _alone(m, d: int, j: int, wins, svc: float, limit: float) -> tuple[bool, float, float]:
    """Whether one team from station ``d`` serves stop ``j`` in one of ``wins`` within ``limit``
    (seconds); with how late it arrives after the earliest window closes, and the shortest
    out-and-back time through a window it reaches."""
    go, back = m[d, j], m[j, d]
    if not (np.isfinite(go) and np.isfinite(back)):
        return False, np.inf, np.inf
    late, round_trip = np.inf, np.inf
    for w0, w1 in wins:
        begin = max(go, w0)
        if begin <= w1:
            round_trip = min(round_trip, begin + svc + back)
            if begin + svc + back <= limit:
                return True, 0.0, round_trip
        else:
            late = min(late, go - w1)
    return False, late, round_trip


def teams_needed(crowded, served, tws, nd: int, teams: int) -> int:
    """About how many teams serve the ``crowded`` must-visit stops too: per window, the teams
    scaled by the must-visit stops due then over those the ``teams`` did serve (one more team per
    stop where none was served). "--teams N+1" for thirty schools due at 07:30 sent the officer
    round trial after trial."""
    def key(j):
        return tuple(tws[j - nd] or ())
    need = teams + 1
    for k in {key(j) for j in crowded}:
        left = sum(1 for j in crowded if key(j) == k)
        done = sum(1 for j in served if key(j) == k)
        need = max(need, math.ceil(teams * (left + done) / done) if done else teams + left)
    return need


def fit_advice(m, nd: int, missing, tws, svc, *, depots, limit: float, start: float, shift: float, teams: int,
               max_stops, labels, served=()) -> tuple[str, str, dict]:
    """The changes that make the ``missing`` must-visit stops fit, in Chinese and English.

    Parameters
    ----------
    m : numpy.ndarray
        Travel seconds between the stations (the first ``nd`` rows) and the stops.
    missing : list of int
        Matrix indices of the must-visit stops that do not fit.
    depots : list of int
        The stations (matrix indices) teams start from.
    tws, svc : list
        Per stop (index ``j - nd``): its windows in seconds after the shift start (None: the whole
        shift), and its dwell in seconds.
    limit, start, shift : float
        The route time limit (seconds), and the shift's start and length (minutes).
    teams, max_stops
        The number of teams and the workload limit (None: no limit).
    labels : dict
        Stop index → the place's name for the message.
    served : list of int
        Matrix indices of the must-visit stops the plan did serve (for the number of teams needed).

    Returns
    -------
    fix_zh, fix_en : str
        The advice, one clause per case present.
    late : dict
        Stop index → minutes it arrives too late for its window even alone (those that need an
        earlier start).
    """
    crowded, late, far = [], {}, {}
    for j in missing:
        wins = tws[j - nd] or [(0.0, limit)]
        tries = [_alone(m, d, j, wins, svc[j - nd], limit) for d in depots]
        if any(ok for ok, _, _ in tries):
            crowded.append(j)
        elif min(lt for _, lt, _ in tries) < np.inf and min(rt for _, _, rt in tries) == np.inf:
            late[j] = math.ceil(min(lt for _, lt, _ in tries) / 60)
        else:
            trip = min(rt for _, _, rt in tries)
            far[j] = math.ceil(trip / 60) if np.isfinite(trip) else None
    zh, en = [], []
    if late:
        need = max(late.values())
        names = "、".join(labels[j] for j in late)
        zh.append(f"把 --start 提前到 {clock(start - need)} 或更早（{names} 的时间窗关闭前赶不到），或放宽其时间窗")
        en.append(f"start at {clock(start - need)} or earlier with --start (the team cannot reach "
                  f"{', '.join(labels[j] for j in late)} before the window closes), or widen the windows")
    if far:
        need = max((v for v in far.values() if v is not None), default=None)
        names = "、".join(labels[j] for j in far)
        at_least = f"到 {need} 分钟以上" if need else ""
        at_least_en = f" to {need} min or more" if need else ""
        if limit / 60 < shift - 1e-9:
            zh.append(f"把每队时长上限放宽{at_least}（往返 {names} 需要这么久）")
            en.append(f"raise the time limit per team{at_least_en} (the round trip to those places)")
        else:
            zh.append(f"把 --shift 延长{at_least}（往返 {names} 需要这么久）")
            en.append(f"lengthen the shift{at_least_en} with --shift (the round trip to those places)")
    if crowded:
        more = "提高 --max-stops 或" if max_stops else ""
        need = teams_needed(crowded, served, tws, nd, teams)
        zh.append(f"{more}增加队伍（约需 --teams {need}：{teams} 队排不下 {len(crowded)} 个同一时段要去的必到地点，"
                  f"按已排下的比例估算）")
        en.append(("raise --max-stops or " if max_stops else "") + f"add teams (about --teams {need}: {count_en(teams, 'team')} "
                  f"{plural_en(teams, 'leaves', 'leave')} {count_en(len(crowded), 'must-visit place')} due at the same time; estimated from the "
                  "share they did serve)")
    zh.append("或把部分地点设为可选（必到=否）")
    en.append("or make some of the places optional (must = no)")
    return "；".join(zh) + "。", "; ".join(en) + ".", late
