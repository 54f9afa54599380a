"""What became of the villages since the previous plan (撤村并居、村改社区、区划调整) and how the grid
codes follow them in a redraw.

A grid code is ``<village division code>-NN`` and is painted on doorplates and wall maps, so the
rule that renumbers grids is told to the planner (:data:`CODE_RULE`):

* a grid whose village code still is its village's code keeps its code (a village renamed
  石桥村 → 石桥社区 with the same code keeps every grid code);
* a grid whose embedded village code is not its village's code any more (the village was recoded,
  merged into another, split off, or the grid now lies in another village) is renumbered under the
  code of the village it lies in. When that code is new to the plan, the old village with the most
  such grids keeps its sequence numbers; the others, and every renumbered grid of a village whose
  code already had grids, are numbered on after the highest number used under the code, in the
  order of their old codes. A code of the previous plan is never given to another grid, and no
  two grids get one code.

:func:`village_changes` names the merges, splits, renames and recodes from where last year's
households are now; :func:`follow_village_codes` does the renumbering.
"""

from __future__ import annotations

import numpy as np

#: The renumbering rule in both languages (said once wherever village changes are listed).
CODE_RULE = (
    "网格编码以所在村（社区）的代码开头：村代码未变的网格保留原编码；原村代码已不存在（或网格已归入另一个村）的网格"
    "改用所在村的代码——新代码下，原网格最多的村顺序号不变，其余村的网格在最大顺序号之后接续编号；旧编码不再使用",
    "a grid code starts with its village's division code: grids whose village code is unchanged keep their "
    "codes; grids whose old village code no longer exists (or that now lie in another village) are renumbered "
    "under their village's code - under a new code the old village with the most grids keeps its sequence "
    "numbers and the others continue after the highest; old codes are not reused")

#: Share of an old village's households that makes a new village its successor, and the share a
#: new village must take for an old village to count as split.
SUCCESSOR_SHARE = 0.5
SPLIT_SHARE = 0.2


def _prefix(code: str) -> tuple[str, str]:
    pre, _, seq = str(code).rpartition("-")
    return pre, seq


def _division(code: str) -> bool:
    return len(code) == 12 and code.isdigit()


def given_code(code: str) -> bool:
    """A code the village layer gave, not the ``V001`` … a village without one is known by (its
    row: the same village may be another row next year, so no code change can be read from it)."""
    code = str(code)
    return bool(code) and not (code.startswith("V") and code[1:].isdigit())


def follow_village_codes(codes: np.ndarray, vcodes: list[str], vnames: list[str],
                         previous_codes) -> list[dict]:
    """Renumber the grids whose code embeds another village code than their village's (see the
    module docstring for the rule); ``codes`` changes in place.

    Parameters
    ----------
    codes : numpy.ndarray
        The new grids' codes as carried over from the previous plan (fresh grids numbered under
        their village's code).
    vcodes, vnames : list of str
        Each grid's village code and name.
    previous_codes : iterable of str
        Every code of the previous plan (never given to another grid).

    Returns
    -------
    list of dict
        One entry per renumbered grid: ``old``, ``new``, ``village``, ``village_code``,
        ``old_village_code`` and ``sequence_kept`` (the number after the dash unchanged).
    """
    prev = {str(c) for c in previous_codes}
    moving: dict[str, list[int]] = {}
    for r, c in enumerate(codes.tolist()):
        pre, seq = _prefix(c)
        vc = str(vcodes[r])
        if pre != vc and _division(pre) and _division(vc) and seq.isdigit():
            moving.setdefault(vc, []).append(r)
    out = []
    for vc, rows in moving.items():
        mine = [r for r in range(len(codes)) if str(vcodes[r]) == vc and r not in rows]
        stay = {str(codes[r]) for r in mine if str(codes[r]) in prev}
        fresh = [r for r in mine if str(codes[r]) not in prev]  # new this year: numbered after the rest
        used = stay | {c for c in prev if _prefix(c)[0] == vc}

        def num(c):
            return int(_prefix(c)[1]) if _prefix(c)[1].isdigit() else 0

        by_old: dict[str, list[int]] = {}
        for r in rows:
            by_old.setdefault(_prefix(codes[r])[0], []).append(r)
        order = sorted(by_old, key=lambda o: (-len(by_old[o]), o))
        first = order[0] if not any(_prefix(c)[0] == vc for c in used) else None
        assigned: dict[int, str] = {}
        if first is not None:
            for r in sorted(by_old[first], key=lambda r: num(codes[r])):
                new = f"{vc}-{_prefix(codes[r])[1]}"
                if new not in used:
                    assigned[r] = new
                    used.add(new)
        nxt = max((num(c) for c in used if _prefix(c)[0] == vc), default=0) + 1
        rest = [r for o in sorted(by_old) for r in sorted(by_old[o], key=lambda r: num(codes[r])) if r not in assigned]
        for r in rest + fresh:
            while f"{vc}-{nxt:02d}" in used:
                nxt += 1
            assigned[r] = f"{vc}-{nxt:02d}"
            used.add(assigned[r])
        for r in rows:
            old = str(codes[r])
            out.append({"old": old, "new": assigned[r], "village": str(vnames[r]), "village_code": vc,
                        "old_village_code": _prefix(old)[0],
                        "sequence_kept": _prefix(assigned[r])[1] == _prefix(old)[1]})
        for r, new in assigned.items():
            codes[r] = new
    return sorted(out, key=lambda e: e["old"])


def _old_villages(gdf) -> tuple[list[str], list[str]]:
    """Village code and name of each previous grid: its ``village_code`` / ``village`` columns
    (gridtool's own plan), else the 12 digits its code starts with (another system's plan)."""
    n = len(gdf)
    codes = [_prefix(c)[0] for c in gdf["code"].astype(str)]
    if "village_code" in gdf:
        given = [str(v).strip() for v in gdf["village_code"].tolist()]
        codes = [g[:-2] if g.endswith(".0") else g if g not in ("", "nan", "None") else c
                 for g, c in zip(given, codes)]
    names = [str(v) if v is not None and str(v) not in ("nan", "None") else ""
             for v in (gdf["village"].tolist() if "village" in gdf else [""] * n)]
    return codes, names


def village_changes(pv, feature_village: np.ndarray, vcodes: list[str], vnames: list[str],
                    grid_codes, grid_vcodes, recoded: list[dict], merged_before=()) -> list[dict]:
    """The villages merged, split, renamed or recoded since the previous plan, from where the
    previous plan's households are now.

    Parameters
    ----------
    pv : gridtool.partition.previous.PreviousPlan
        The previous plan matched to today's households.
    feature_village : numpy.ndarray
        Per household feature, the row of the village it lies in now (-1 none).
    vcodes, vnames : list of str
        Today's villages' codes and names, by row.
    grid_codes, grid_vcodes : sequence of str
        The new grids' codes (as renumbered) and their villages' codes.
    recoded : list of dict
        :func:`follow_village_codes`'s table.
    merged_before : iterable of dict
        The villages the previous plan partitioned with a neighbour (``code``, ``host_code``;
        :func:`gridtool.io.previous.merged_table`): apart again now, they are no split.

    Returns
    -------
    list of dict
        ``kind`` (``merge``, ``merge_planned``: villages still in the layer partitioned together,
        ``merge_ended``: villages the previous plan partitioned together, apart now (the host
        first in ``new``), ``split``, ``rename``, ``recode``, ``rename_recode``), ``old`` and
        ``new`` (lists of ``{"name", "code", "households"}``), and for the new villages the grids:
        ``grids``, ``codes_kept``, ``codes_recoded`` (old → new, with ``sequence_kept``),
        ``codes_new`` and ``locked``.
    """
    ocode, oname = _old_villages(pv.gdf)
    flows: dict[tuple[str, str], int] = {}
    old_name: dict[str, dict[str, int]] = {}
    for f, ps in enumerate(pv.parts):
        v = int(feature_village[f]) if f < len(feature_village) else -1
        if v < 0:
            continue
        for p, n in ps:
            if n <= 0 or not ocode[p]:
                continue
            flows[(ocode[p], vcodes[v])] = flows.get((ocode[p], vcodes[v]), 0) + int(n)
            names = old_name.setdefault(ocode[p], {})
            names[oname[p]] = names.get(oname[p], 0) + int(n)
    if not flows:
        return []
    name_of_old = {o: max(ns, key=lambda k: (ns[k], k)) for o, ns in old_name.items()}
    name_of_new = dict(zip(vcodes[::-1], vnames[::-1]))
    out_of: dict[str, int] = {}
    into: dict[str, int] = {}
    for (o, n), k in flows.items():
        out_of[o] = out_of.get(o, 0) + k
        into[n] = into.get(n, 0) + k
    successor = {o: n for (o, n), k in flows.items() if k >= SUCCESSOR_SHARE * out_of[o]}
    parts_of = {o: sorted(n for (oo, n), k in flows.items() if oo == o and k >= SPLIT_SHARE * out_of[o])
                for o in out_of}
    preds: dict[str, list[str]] = {}
    for o, n in successor.items():
        preds.setdefault(n, []).append(o)

    codes = [str(c) for c in grid_codes]
    gv = [str(c) for c in grid_vcodes]
    prev_codes = {str(c) for c in pv.codes.tolist()}
    locked_prev = set(pv.locked_codes)
    renum = {e["new"]: e for e in recoded}

    def grids_of(news: list[str]) -> dict:
        mine = [c for c, v in zip(codes, gv) if v in news]
        rec = [renum[c] for c in mine if c in renum]
        return {"grids": len(mine), "codes_kept": sum(c in prev_codes for c in mine),
                "codes_recoded": [{"old": e["old"], "new": e["new"], "sequence_kept": e["sequence_kept"]}
                                  for e in sorted(rec, key=lambda e: e["old"])],
                "codes_new": sorted(c for c in mine if c not in prev_codes and c not in renum),
                "locked": sorted(c for c in mine if c in locked_prev
                                 or (c in renum and renum[c]["old"] in locked_prev))}

    def old(o):
        return {"name": name_of_old.get(o, ""), "code": o, "households": out_of[o]}

    def new(n):
        return {"name": name_of_new.get(n, ""), "code": n, "households": into.get(n, 0)}

    changes = []
    # A host whose guests of last year's plan (merge=) are partitioned apart now: no division
    # changed, whatever share of the households each takes. Only when nothing else took a split's
    # share of it (else it is a split as well, and said so).
    guests_of: dict[str, set[str]] = {}
    for m in merged_before or ():
        guests_of.setdefault(str(m["host_code"]), set()).add(str(m["code"]))
    still = set(vcodes)
    ended: dict[str, list[str]] = {}
    for o, gs in sorted(guests_of.items()):
        apart = sorted(n for (oo, n), k in flows.items() if oo == o and n in gs and k > 0)
        if apart and o in still and set(parts_of.get(o, ())) <= {o} | gs:
            ended[o] = apart
    for o, apart in ended.items():
        changes.append({"kind": "merge_ended", "old": [old(o)], "new": [new(o)] + [new(n) for n in apart],
                        **grids_of([o] + apart)})
    split_old = {o for o, ns in parts_of.items() if len(ns) > 1} - set(ended)
    for o in sorted(split_old):
        changes.append({"kind": "split", "old": [old(o)], "new": [new(n) for n in parts_of[o]],
                        **grids_of(parts_of[o])})
    for n in sorted(preds):
        os_ = sorted(preds[n])
        if len(os_) > 1:
            # Old villages all still in the villages layer: partitioned together (merge=), no
            # change of division; their grids take the host's code as any merge's do.
            kind = "merge_planned" if all(o in still for o in os_) else "merge"
            changes.append({"kind": kind, "old": [old(o) for o in os_], "new": [new(n)], **grids_of([n])})
            continue
        o = os_[0]
        if o in split_old or o in ended:
            continue
        renamed = name_of_old.get(o, "") not in ("", name_of_new.get(n, ""))
        if not (given_code(o) and given_code(n)):
            # A code missing on either side (V001 …): not a recode, whatever the row numbers say.
            if not renamed:
                continue
            kind = "rename"
        elif o == n and not renamed:
            continue
        else:
            kind = "rename_recode" if renamed and o != n else "rename" if renamed else "recode"
        changes.append({"kind": kind, "old": [old(o)], "new": [new(n)], **grids_of([n])})
    return changes


__all__ = ["CODE_RULE", "follow_village_codes", "given_code", "village_changes"]
