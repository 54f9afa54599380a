"""One household total for every output: imported = base grids + special grids + exception grids
+ unassigned.

Every output that states how many households a plan holds (console summary, report JSON, wall map,
atlas, five-colour map, HTML map, Excel ledger) takes its figures from :func:`household_totals`, so
they cannot disagree. The parts are disjoint and computed from the households layer itself, feature
by feature, never from a second table that may be stale:

- **imported**: every household feature's ``hh``, rounded to whole households (missing, negative
  or non-numeric counts are 0), as the partition counts them (:func:`household_counts`).
- **special**: households in a special grid (专属网格; the feature's ``grid`` is a code of the
  ``special_grids`` layer).
- **exception**: households in a base grid whose ``status`` is ``exception`` (a village that cannot
  be split, an area enclosed by hard barriers, a part no cut fits, a locked grid outside its bounds).
- **base**: households in every other base grid of the ``grids`` layer.
- **unassigned**: households in no grid (outside every village, or left out by an edit) or in a grid
  code that no layer holds.

A building split between grids (``grid_parts`` = ``"A-01:20;A-02:12"``) counts each part in its
grid; whatever of its households its parts do not cover is unassigned, so the four parts always add
up to the imported total. ``stale`` lists grids whose stored ``hh`` differs from their households
(a grids layer edited outside gridtool, or households imported again after the partition, which
are in no grid yet): outputs still state the households' figures — :func:`with_household_counts`
gives every output the layers with those figures, so no map or table shows a stored count beside
a total that disagrees with it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ..plurals import count_en
from ..values import household_counts
from ..values import parse_grid_parts as _parts


#: The kinds of rows of the ``grids`` layer, as every output names them: ``(Chinese, English singular)``.
GRID_KINDS = {"base": ("基础网格", "base grid"), "exception": ("例外网格", "exception grid")}


def grid_kind(status) -> str:
    """``"exception"`` for a grid whose ``status`` is ``exception``, else ``"base"``: the rule by
    which :func:`household_totals` counts a grid's households and the grid itself."""
    return "exception" if str(status) == "exception" else "base"


@dataclass(frozen=True)
class HouseholdTotals:
    """Households imported and where they are; ``imported == base + special + exception + unassigned``."""

    imported: int
    base: int = 0
    special: int = 0
    exception: int = 0
    unassigned: int = 0
    features: int = 0
    unassigned_features: int = 0
    base_grids: int = 0
    exception_grids: int = 0
    special_grids: int = 0
    partitioned: bool = False
    stale: tuple[str, ...] = field(default_factory=tuple)
    #: households per grid and special grid code, as counted here (not in the report JSON)
    per_grid: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def in_grids(self) -> int:
        """Households in base and exception grids (the ``grids`` layer)."""
        return self.base + self.exception

    def check(self) -> None:
        """Raise AssertionError when the parts do not add up (a bug, never the user's data)."""
        if self.base + self.special + self.exception + self.unassigned != self.imported:
            raise AssertionError(f"household totals do not add up: {self}")

    @classmethod
    def from_dict(cls, d: dict) -> "HouseholdTotals":
        """Back from :meth:`as_dict` (a report's ``totals``)."""
        names = cls.__dataclass_fields__
        return cls(**{k: (tuple(v) if k == "stale" else v) for k, v in d.items() if k in names})

    def as_dict(self) -> dict:
        """The figures for the report JSON (``report["totals"]``)."""
        d = asdict(self)
        d.pop("per_grid", None)
        d["stale"] = list(self.stale)
        return d

    # -- text: the same wording in every Chinese output ------------------------------------------
    def parts_zh(self) -> list[tuple[str, int]]:
        """``[("基础网格", n), ("专属网格", n), ("例外网格", n), ("未划入网格", n)]``."""
        return [("基础网格", self.base), ("专属网格", self.special), ("例外网格", self.exception),
                ("未划入网格", self.unassigned)]

    def text_zh(self) -> str:
        """``住户 14,007 户 = 基础网格 12,150 + 专属网格 557 + 例外网格 1,200 + 未划入网格 100``
        (only ``住户 N 户`` before a partition)."""
        head = f"住户 {self.imported:,} 户"
        if not self.partitioned:
            return head
        return head + " = " + " + ".join(f"{k} {v:,}" for k, v in self.parts_zh())

    def grid_kinds(self) -> list[tuple[str, str, int, int]]:
        """``[("基础网格", "base grid", grids, households), ("例外网格", …)]``: the grids layer's rows
        by kind (the exception kind only when the plan has one)."""
        out = [(*GRID_KINDS["base"], self.base_grids, self.base)]
        if self.exception_grids:
            out.append((*GRID_KINDS["exception"], self.exception_grids, self.exception))
        return out

    def grids_zh(self, unit: str = " 个") -> str:
        """``基础网格 71 个、例外网格 1 个``: the grids layer's rows by kind, in the words of
        :meth:`parts_zh` (an exception grid is not a base grid of 300–500 households); ``unit=""``
        gives ``基础网格 71、例外网格 1`` (a list of layers and their features)."""
        return "、".join(f"{zh} {n}{unit}" for zh, _, n, _ in self.grid_kinds())

    def grids_en(self) -> str:
        return ", ".join(count_en(n, en) for _, en, n, _ in self.grid_kinds())

    def grid_names(self, lang: str = "zh") -> str:
        """The grids layer's name by the kinds it holds: ``基础网格`` or ``基础网格、例外网格``
        (``base grids, exception grids``) — for a layer list or a legend."""
        kinds = self.grid_kinds()
        return "、".join(k[0] for k in kinds) if lang != "en" else ", ".join(f"{k[1]}s" for k in kinds)

    def grids_written(self, n: int, lang: str = "zh", unit: str = "") -> str:
        """An output's count of the ``n`` grids it holds: ``基础网格 71、例外网格 1`` (``unit=" 个"``:
        ``基础网格 71 个、例外网格 1 个``) when they are the plan's grids, split as the totals split
        them; otherwise (a grid left out, a plan not partitioned) ``网格 n`` (``grids n``), never a
        split the output does not hold."""
        if self.partitioned and n == self.base_grids + self.exception_grids:
            return self.grids_zh(unit=unit) if lang != "en" else ", ".join(
                f"{en}s {k}" for _, en, k, _ in self.grid_kinds())
        return f"网格 {n}{unit}" if lang != "en" else f"grids {n}"

    def text_en(self) -> str:
        head = count_en(self.imported, "household")
        if not self.partitioned:
            return head
        return (f"{head} = base grids {self.base:,} + special grids {self.special:,} + exception grids "
                f"{self.exception:,} + unassigned {self.unassigned:,}")


def grid_words(totals: dict | None, n_grids: int) -> tuple[str, str]:
    """``("基础网格 71 个、例外网格 1 个", "71 base grids, 1 exception grid")`` from a report's
    ``totals`` (:meth:`HouseholdTotals.as_dict`); a report without them names ``n_grids`` grids."""
    if not totals:
        return f"网格 {n_grids} 个", count_en(n_grids, "grid")
    t = HouseholdTotals.from_dict(totals)
    return t.grids_zh(), t.grids_en()


def grid_kinds_text(statuses, unit: str = " 个", lang: str = "zh") -> str:
    """``基础网格 3 个、例外网格 1 个`` (``3 base grids, 1 exception grid``): some grids (their
    ``status`` values) by kind, as :meth:`HouseholdTotals.grids_zh` counts a whole plan (an atlas
    of some grids, the app's layer list)."""
    kinds = [grid_kind(s) for s in statuses]
    n = {k: kinds.count(k) for k in GRID_KINDS}
    shown = [k for k in GRID_KINDS if n[k] or k == "base"]
    if lang == "en":
        return ", ".join(count_en(n[k], GRID_KINDS[k][1]) for k in shown)
    return "、".join(f"{GRID_KINDS[k][0]} {n[k]:,}{unit}" for k in shown)


def _per_code(hs, hh: np.ndarray, code_col: str, parts_col: str, known) -> tuple[dict[str, int], int, int]:
    """Households per code of ``known`` from the households layer ``hs``: a whole feature by its
    ``code_col``, a building split between codes by each part of ``parts_col`` (``_parts``); with the
    households and the features left in none (a code no layer holds, or none)."""
    code = hs[code_col].where(hs[code_col].map(lambda v: isinstance(v, str) and v != ""), None)
    parts = (hs[parts_col].where(hs[parts_col].map(lambda v: isinstance(v, str) and v != ""), None)
             if parts_col in hs else pd.Series(None, index=hs.index, dtype=object))
    split = parts.notna().to_numpy()
    per: dict[str, int] = {}
    # Whole features (nearly all): one code each, summed by code.
    whole = pd.DataFrame({"code": code.to_numpy()[~split], "hh": hh[~split]})
    for c, n in whole.dropna(subset=["code"]).groupby("code")["hh"].sum().items():
        if str(c) in known:
            per[str(c)] = per.get(str(c), 0) + int(n)
    inside = whole["code"].map(lambda c: c in known).to_numpy(dtype=bool)
    left = int(whole["hh"].to_numpy()[~inside].sum())
    left_features = int(((~inside) & (whole["hh"].to_numpy() > 0)).sum())
    # Buildings split between codes: each part in its code, the rest in none.
    for gp, n in zip(parts.to_numpy()[split].tolist(), hh[split].tolist()):
        rest = n
        for c, k in _parts(gp):
            if c not in known:
                continue  # a code no layer holds: stays in ``rest``
            k = min(int(k), rest)
            per[c] = per.get(c, 0) + k
            rest -= k
        if rest > 0:
            left += rest
            left_features += 1
    return per, left, left_features


def household_totals(project) -> HouseholdTotals:
    """The household totals of ``project`` (a Project, or ``{role: GeoDataFrame or Layer}``)."""
    layers = getattr(project, "layers", project) or {}

    def frame(role):
        lyr = layers.get(role)
        return getattr(lyr, "gdf", lyr)

    hs = frame("households")
    if hs is None or "hh" not in hs:
        return HouseholdTotals(imported=0)
    hh = household_counts(hs["hh"])
    imported = int(hh.sum())
    grids, special = frame("grids"), frame("special_grids")
    if grids is None:
        return HouseholdTotals(imported=imported, unassigned=imported, features=len(hs),
                               unassigned_features=int((hh > 0).sum()))
    if "grid" not in hs:
        # Households imported again after the partition: the grids are still there but none of
        # these households is in one yet, so every grid holds 0 of them and its stored count is stale.
        hs = hs.assign(grid=None)
    codes = grids["code"].astype(str).tolist() if "code" in grids else []
    status = (grids["status"].astype(str).tolist() if "status" in grids else ["ok"] * len(codes))
    kind = {c: grid_kind(s) for c, s in zip(codes, status)}
    special_codes = set(special["code"].astype(str)) if special is not None and "code" in special else set()
    kind.update({c: "special" for c in special_codes})
    per_grid, left, unassigned_features = _per_code(hs, hh, "grid", "grid_parts", kind)
    sums = {"base": 0, "special": 0, "exception": 0, "unassigned": left}
    for code, n in per_grid.items():
        sums[kind[code]] += n
    stale: list[str] = []
    for tab in (grids, special):
        if tab is not None and "hh" in tab and "code" in tab:
            stored = household_counts(tab["hh"])
            stale += [c for c, s in zip(tab["code"].astype(str), stored.tolist()) if per_grid.get(c, 0) != s]
    out = HouseholdTotals(imported=imported, base=sums["base"], special=sums["special"],
                          exception=sums["exception"], unassigned=sums["unassigned"], features=len(hs),
                          unassigned_features=unassigned_features,
                          base_grids=sum(1 for v in kind.values() if v == "base"),
                          exception_grids=sum(1 for v in kind.values() if v == "exception"),
                          special_grids=len(special_codes), partitioned=True, stale=tuple(stale),
                          per_grid={c: per_grid.get(c, 0) for c in kind})
    out.check()
    return out


def subgrid_counts(project) -> dict[str, int]:
    """Households per sub-grid code, counted from the households layer as :func:`household_totals`
    counts grids (``subgrid``, or each part of ``subgrid_parts`` for a building split between
    sub-grids); a sub-grid none of whose households is left counts 0.

    Parameters
    ----------
    project : gridtool.project.Project
        A partitioned project.

    Returns
    -------
    dict of str to int
        Households per sub-grid code.
    """
    layers = getattr(project, "layers", project) or {}
    hs, subs = (getattr(layers.get(r), "gdf", layers.get(r)) for r in ("households", "subgrids"))
    if subs is None or "code" not in subs:
        return {}
    out = {str(c): 0 for c in subs["code"]}
    if hs is None or "hh" not in hs or "subgrid" not in hs:
        return out
    counted, _, _ = _per_code(hs, household_counts(hs["hh"]), "subgrid", "subgrid_parts", out)
    out.update(counted)
    return out


def with_household_counts(project):
    """``(project, totals, changed)``: ``project`` as every output should draw it — its ``grids``,
    ``special_grids`` and ``subgrids`` with ``hh`` as the households give it (a shallow copy with
    new layers where a stored count differs; the project itself is not changed) — its
    :func:`household_totals`, and per layer the codes whose stored count was stale.

    Parameters
    ----------
    project : gridtool.project.Project
        A partitioned project (its households perhaps imported again since).

    Returns
    -------
    tuple
        ``(project, totals, changed)``: the project to draw, its totals, ``{layer: [code, …]}``.
    """
    import copy

    totals = household_totals(project)
    layers = getattr(project, "layers", None)
    if layers is None or not totals.partitioned:
        return project, totals, {}
    counts = {"grids": totals.per_grid, "special_grids": totals.per_grid, "subgrids": subgrid_counts(project)}
    new_layers, changed = dict(layers), {}
    for role, got in counts.items():
        lyr = layers.get(role)
        gdf = getattr(lyr, "gdf", None)
        if gdf is None or "code" not in gdf or not len(gdf):
            continue
        now = [int(got.get(str(c), 0)) for c in gdf["code"]]
        stored = household_counts(gdf["hh"]).tolist() if "hh" in gdf else [None] * len(gdf)
        bad = [str(c) for c, a, b in zip(gdf["code"], now, stored) if a != b]
        if not bad:
            continue
        changed[role] = bad
        lyr2 = copy.copy(lyr)
        lyr2.gdf = gdf.assign(hh=now)
        new_layers[role] = lyr2
    if not changed:
        return project, totals, {}
    out = copy.copy(project)
    out.layers = new_layers
    return out, totals, changed


__all__ = ["GRID_KINDS", "HouseholdTotals", "grid_kind", "grid_kinds_text", "grid_words", "household_counts",
           "household_totals", "subgrid_counts", "with_household_counts"]
