"""One infeasible village's remedy put into the partition's parameters: the rule both faces use.

The app's grids panel (无法按户数范围划分的村 → 与邻村合并 / 放宽户数范围 / 保留为例外) and
``gridtool partition PROJECT --redraw --merge V=N / --relax V=LO-HI / --keep-exception V`` change
the last partition's ``merge`` and ``relax`` for that village only: the remedies chosen earlier for
other villages stay, and a village has one remedy at a time (a merge replaces its relaxed bounds and
the other way round; keeping it as an exception drops both).
"""

from __future__ import annotations

import copy

from ..errors import OptionError

#: The remedies of one village, as the grids panel and the command line name them.
REMEDY_KINDS = ("merge", "relax", "exception")


class RemedyPolicyError(OptionError):
    """保留为例外 asked for while the partition's policy for infeasible villages is not ``exception``:
    the village would be merged or relaxed by the policy all the same."""


def with_remedy(params: dict, village: str, kind: str, value=None, *, aliases=()) -> dict:
    """``params`` (a partition's parameters, as stored in the project) with ``village``'s remedy
    set to ``kind``; a new dict, ``params`` untouched.

    ``aliases``: the village's other names (its name in the villages layer, its division code), so
    that a remedy stored under one of them is replaced too: ``--keep-exception 320102900001`` drops
    the merge stored as ``上海路社区``, not only one stored under the code.

    ``merge``: ``value`` the neighbour to partition it with; ``relax``: ``value`` its ``(min, max)``
    (none given: its merge and bounds dropped, as ``exception``); ``exception``: its merge and
    relaxed bounds dropped, so that it stays one exceptional grid.

    Parameters
    ----------
    params : dict
        The partition's parameters (``merge``, ``relax``, ``infeasible`` …).
    village : str
        The village, by name or division code.
    kind : {"merge", "relax", "exception"}
        The remedy.
    value : str or tuple of int, optional
        The neighbour (``merge``) or the ``(min, max)`` bounds (``relax``).
    aliases : iterable of str
        The village's other names and its code.

    Returns
    -------
    dict
        The parameters with the remedy set.

    Raises
    ------
    RemedyPolicyError
        ``exception`` while the policy for infeasible villages (``infeasible``) is another one.
    OptionError
        An unknown ``kind``, or a merge without a neighbour.
    """
    if kind not in REMEDY_KINDS:
        raise OptionError(f"未知的处理方式：{kind}", f"unknown remedy: {kind!r}",
                          fix_zh=f"可用：{'、'.join(REMEDY_KINDS)}", fix_en=f"one of {', '.join(REMEDY_KINDS)}")
    village = str(village).strip()
    out = copy.deepcopy(dict(params or {}))
    merge = dict(out.get("merge") or {})
    relax = {k: tuple(v) for k, v in (out.get("relax") or {}).items()}
    for name in {village, *(str(a).strip() for a in aliases if a is not None)}:
        merge.pop(name, None)
        relax.pop(name, None)
    if kind == "merge":
        if not value or not str(value).strip():
            raise OptionError(f"没有给出与 {village} 合并的邻村", f"no neighbour given to merge {village} with",
                              fix_zh=f"例如 --merge {village}=邻村名", fix_en=f"e.g. --merge {village}=NEIGHBOUR")
        merge[village] = str(value).strip()
    elif kind == "relax" and value:
        relax[village] = (int(value[0]), int(value[1]))
    elif kind == "exception" and out.get("infeasible", "exception") != "exception":
        raise RemedyPolicyError(
            f"无法划分的村（社区）的处理方式是“{out['infeasible']}”，不能只把 {village} 保留为例外网格",
            f"the partition's policy for infeasible villages is {out['infeasible']!r}: {village} cannot be kept "
            "as an exception alone", fix_zh="改用 --infeasible exception（桌面程序：在划分对话框中选择“保留为例外”）。",
            fix_en="use --infeasible exception (in the app: choose it in the partition dialog).", field="infeasible")
    out["merge"], out["relax"] = merge, relax
    return out


__all__ = ["REMEDY_KINDS", "RemedyPolicyError", "with_remedy"]
