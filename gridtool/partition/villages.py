"""Villages as a partition sees them: names, codes and labels; neighbours; and the plan for each
village (bounds, status, remedies, merges) under the policy for those no grid count fits.

:func:`village_plans` decides, before any cut, which villages are partitioned alone, which are
merged into a neighbour (``merge=``, or ``infeasible="merge"``), whose bounds are relaxed and which
stay one exceptional grid. Each plan records the remedy applied as fields (``remedy``: ``merge``,
``relax`` or ``exception``; ``host``, the village merged into; ``bounds``) and in English words
(``applied``, kept for printing); :func:`remedy_fields` gives the report's fields, which the app,
the command line and the ledgers read instead of parsing the words.
"""

from __future__ import annotations

import numpy as np

from ..errors import MissingColumnError, OptionError
from .feasibility import diagnose, feasible_grid_counts
from ..plurals import count_en


def village_names(villages) -> list[str]:
    """The one display name of every village row, used by the grids, the report and every map.

    A name two villages share (上海路社区 in two 街道) is qualified by the township —
    ``上海路社区（新街口街道）`` — or, when the townships do not tell them apart, by the division
    code (``上海路社区（320102900001）``); names that occur once stay as they are. A village
    without a name is ``村<row>``.
    """
    names = raw_village_names(villages)
    seen: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        seen.setdefault(n, []).append(i)
    clash = [rows for rows in seen.values() if len(rows) > 1]
    if not clash:
        return names
    towns = _townships(villages)
    codes = village_codes(villages)
    out = list(names)
    for rows in clash:
        by_town = [towns[r] for r in rows]
        tags = by_town if all(by_town) and len(set(by_town)) == len(rows) else [codes[r] for r in rows]
        for r, tag in zip(rows, tags):
            out[r] = f"{names[r]}（{tag}）"
    return out


def raw_village_names(villages) -> list[str]:
    """The villages' names as written in the layer (``村<row>`` where empty), before
    :func:`village_names` qualifies the ones that repeat."""
    if "name" in villages:
        names = villages["name"].astype(object).where(villages["name"].notna(), None).tolist()
    else:
        names = [None] * len(villages)
    return [str(n) if n not in (None, "") else f"村{i + 1}" for i, n in enumerate(names)]


def _townships(villages) -> list[str]:
    """Township name per village row ('' where unknown; codes are not names)."""
    towns = villages["township"].tolist() if "township" in villages else [None] * len(villages)
    out = []
    for t in towns:
        t = "" if t is None or (isinstance(t, float) and not np.isfinite(t)) else str(t).strip()
        out.append("" if t.isdigit() or t.lower() in ("nan", "none") else t)
    return out


def village_row(ref: str, vnames: list[str], raw: list[str], codes: list[str]) -> int | None:
    """Row of the village that ``ref`` (a merge=/relax= key) names: by display name, division code,
    or a raw name only one village has. None when unknown; an error when a raw name is shared."""
    for pool in (vnames, codes):
        if ref in pool:
            return pool.index(ref)
    rows = [i for i, n in enumerate(raw) if n == ref]
    if len(rows) > 1:
        raise OptionError(
            f"merge/relax 参数中的“{ref}”对应 {len(rows)} 个村（社区）：{'、'.join(vnames[r] for r in rows)}",
            f"{ref!r} in merge/relax names {count_en(len(rows), 'village')}: {', '.join(vnames[r] for r in rows)}",
            fix_zh=f"改用带乡镇的名称（如“{vnames[rows[0]]}”）或区划代码。",
            fix_en=f"use the qualified name (e.g. {vnames[rows[0]]!r}) or the division code.",
            layer="villages", field="name")
    return rows[0] if rows else None


def village_codes(villages) -> list[str]:
    codes = villages["code"].tolist() if "code" in villages else [None] * len(villages)
    out = []
    for i, c in enumerate(codes):
        if c is None or (isinstance(c, float) and not np.isfinite(c)) or str(c).strip() in ("", "nan", "None"):
            out.append(f"V{i + 1:03d}")
        else:
            s = str(c).strip()
            out.append(s[:-2] if s.endswith(".0") else s)
    return out


def village_labels(villages, vnames, vcodes) -> list[dict]:
    """Per village row: code, township and a label naming all three (``石柱村（500101001001，高笋塘街道）``),
    so that a village is never known by a name that repeats across townships."""
    from ..column_content import township_prefix
    towns = villages["township"].tolist() if "township" in villages else [None] * len(villages)
    out = []
    # The label names code and township itself: the raw name, not the display name's qualifier twice.
    raw = raw_village_names(villages) if len(villages) == len(vnames) else vnames
    for name, code, town, shown in zip(raw, vcodes, towns, vnames):
        if town is None or (isinstance(town, float) and not np.isfinite(town)) or not str(town).strip():
            town = township_prefix(code) or ""
        elif isinstance(town, float) and float(town).is_integer():
            town = str(int(town))
        town = str(town).strip()
        extra = "，".join(x for x in (code if not code.startswith("V") or not code[1:].isdigit() else "", town) if x)
        # A chunk's layer already holds display names (see chunking.prepare_villages).
        for tag in (town, code):
            if tag and name.endswith(f"（{tag}）"):
                name = name[: -len(tag) - 2]
        out.append({"code": code, "township": town, "label": f"{name}（{extra}）" if extra else shown})
    return out


def by_display_name(villages, vnames, vcodes, merge: dict, relax: dict) -> tuple[dict, dict]:
    """``merge`` and ``relax`` keyed by display names (:func:`village_names`); a key that names no
    village is kept as given, so that :func:`village_plans` reports it."""
    raw = raw_village_names(villages)

    def name(ref):
        row = village_row(str(ref), vnames, raw, vcodes)
        return ref if row is None else vnames[row]
    return {name(g): name(h) for g, h in merge.items()}, {name(k): b for k, b in relax.items()}


def village_neighbours(edges, village_of_block, n):
    nb: dict[int, set] = {}
    if not len(edges):
        return nb
    x = edges[edges["cross_village"]]
    va = village_of_block[x["a"].to_numpy()]
    vb = village_of_block[x["b"].to_numpy()]
    for a, b in zip(va.tolist(), vb.tolist()):
        nb.setdefault(a, set()).add(b)
        nb.setdefault(b, set()).add(a)
    return nb


def choose_k(H, lo, hi, target):
    ks = feasible_grid_counts(H, lo, hi)
    return min(ks, key=lambda k: (abs(H / k - target), k)) if ks else 0


def village_plans(vt, vnames, edges, village_of_block, *, min_hh: int, max_hh: int, target: int,
                  infeasible: str, merge: dict, relax: dict) -> list[dict]:
    """For every village: its bounds, status and remedies; merged villages point to their host."""
    name_to_row = {n: i for i, n in enumerate(vnames)}
    plans = [{"village": i, "name": vnames[i], "hh": int(vt[i]), "bounds": (min_hh, max_hh),
              "status": diagnose(int(vt[i]), min_hh, max_hh) if vt[i] > 0 else "empty",
              "host": None, "guests": [], "remedies": {}, "applied": None, "remedy": None}
             for i in range(len(vt))]
    neighbours = village_neighbours(edges, village_of_block, len(vt))
    for p in plans:
        if p["status"] in ("ok", "empty"):
            continue
        p["remedies"] = remedies(p, plans, neighbours, vnames, min_hh=min_hh, max_hh=max_hh, target=target)
    # Explicit choices first, then the default policy.
    for guest, host in merge.items():
        if guest not in name_to_row or host not in name_to_row:
            missing = guest if guest not in name_to_row else host
            raise MissingColumnError(
                f"合并参数中的村（社区）“{missing}”不存在", f"village {missing!r} named in merge= does not exist",
                fix_zh="检查村名是否与村界图层的 name 字段一致。",
                fix_en="check the name against the villages layer's name column.", field="name")
        g, h = name_to_row[guest], name_to_row[host]
        plans[g]["host"] = h
        plans[g]["applied"] = f"merged into {vnames[h]}"
        plans[g]["remedy"] = "merge"
        plans[h]["guests"].append(g)
    for name, (lo, hi) in relax.items():
        if name in name_to_row:
            p = plans[name_to_row[name]]
            p["bounds"] = (lo, hi)
            p["applied"] = f"relaxed to {lo}-{hi}"
            p["remedy"] = "relax"
            typed = diagnose(p["hh"], lo, hi)
            if p["status"] == "ok" and typed != "ok":
                # Bounds typed for a village the defaults fit, which no count of grids fits (1,092
                # households at 600–700): it is kept whole as an exception and reported as infeasible
                # under its bounds, not a grid noted "ok" that no list of problems names.
                p["status"] = typed
                p["remedies"] = remedies(p, plans, neighbours, vnames, min_hh=lo, max_hh=hi, target=(lo + hi) // 2)
    for p in plans:
        if p["status"] in ("ok", "empty") or p["applied"] or p["host"] is not None:
            continue
        if infeasible == "relax":
            lo, hi = p["remedies"]["relax"]
            p["bounds"] = (lo, hi)
            p["applied"] = f"relaxed to {lo}-{hi}"
            p["remedy"] = "relax"
        elif infeasible == "merge" and p["remedies"].get("merge"):
            h = name_to_row[p["remedies"]["merge"][0]["village"]]
            if plans[h]["host"] is None and not plans[p["village"]]["guests"]:
                p["host"] = h
                p["applied"] = f"merged into {vnames[h]}"
                p["remedy"] = "merge"
                plans[h]["guests"].append(p["village"])
        if not p["applied"]:
            p["applied"] = "exception"
            p["remedy"] = "exception"
    return plans


def remedies(p, plans, neighbours, vnames, *, min_hh: int, max_hh: int, target: int) -> dict:
    H = p["hh"]
    lo, hi = min_hh, max_hh
    merge = []
    for nb in sorted(neighbours.get(p["village"], ())):
        tot = H + plans[nb]["hh"]
        if feasible_grid_counts(tot, lo, hi):
            merge.append({"village": vnames[nb], "households": tot,
                          "grids": len(feasible_grid_counts(tot, lo, hi)) and
                          choose_k(tot, lo, hi, target)})
    merge.sort(key=lambda m: (abs(m["households"] / max(m["grids"], 1) - target), m["village"]))
    if H < lo:
        relax = (H, hi)
    else:  # between k·max and (k+1)·min: lower min so k+1 grids fit, or raise max so k do
        k = H // hi
        relax = (H // (k + 1), hi)
    # Every neighbour, named: an empty merge list then says why (no neighbour, or none that fits).
    nbs = [vnames[nb] for nb in sorted(neighbours.get(p["village"], ()))]
    return {"exception": f"one grid of {count_en(H, 'household')}", "merge": merge, "relax": relax, "neighbours": nbs}


def remedy_fields(p: dict, plans: list[dict], labels: list[dict]) -> dict:
    """The remedy applied to village plan ``p`` as report fields (None where they do not apply).

    ``remedy``: ``"merge"``, ``"relax"``, ``"exception"`` (None: partitioned as it is);
    ``merged_into`` / ``merged_into_code``: the name and code of the village it was merged into;
    ``relaxed_to``: ``[min, max]`` of its relaxed bounds. ``labels`` are :func:`village_labels`.
    """
    h = p["host"]
    return {"remedy": p.get("remedy"),
            "merged_into": plans[h]["name"] if h is not None else None,
            "merged_into_code": labels[h]["code"] if h is not None else None,
            "relaxed_to": list(p["bounds"]) if p.get("remedy") == "relax" else None}


def merged_villages(plans: list[dict], labels: list[dict]) -> list[dict]:
    """Every village merged into a neighbour (``merge=``, or ``infeasible="merge"``), as the
    report's ``plan["merged_villages"]``: ``village`` (name), ``code``, ``township``, ``label``,
    ``households``, ``status`` and the host's ``merged_into`` (name) and ``merged_into_code``."""
    return [{"village": p["name"], **labels[p["village"]], "households": int(p["hh"]), "status": p["status"],
             "merged_into": plans[p["host"]]["name"], "merged_into_code": labels[p["host"]]["code"]}
            for p in plans if p["host"] is not None]
