"""Excel ledgers (台账) of a plan: grids, sub-grids, special grids, the household list for
door-to-door visits, and exceptions — as an ``.xlsx`` workbook or a folder of CSV files.

Signatures::

    ledger_tables(project, *, include_personal=False, progress=None, cancelled=None) -> Ledger
    write_ledger_xlsx(project, path, *, include_personal=False, progress=None, cancelled=None) -> Path
    write_ledger_csv(project, folder, *, include_personal=False) -> list[Path]

Sheets (Chinese headers; each with a frozen header row, column widths and print titles):

- **网格台账**: one row per base grid — 网格编码, 村（社区）, 乡镇（街道）, 户数, 楼栋数, 子网格数,
  网格员, 联系电话, 面积, 状态, 锁定, 备注, then the columns joined from tables (职务, 考核得分 …);
  a 合计 row, and below it the household and building totals of the whole plan and their parts
  (:mod:`gridtool.partition.totals`, :mod:`gridtool.partition.buildings`), the figures every other
  output states. 户数 and 楼栋数 are counted from the households, as the totals are.
- **子网格**: one row each, with 跨子网格楼栋 (buildings whose households are divided between this
  and another sub-grid) and a 合计 row; a building counts in the 楼栋数 of one sub-grid only, so the
  sub-grids of a grid add up to the grid's 楼栋数. **专属网格**: one row each, with a 合计 row.
- **住户名单**: one row per household point or building (a building split between grids or
  sub-grids: one row per part), with 网格编码, 子网格编码, 走访序号, 户数, 地址, 户主, 联系电话, 来源; sorted by grid,
  sub-grid, then address (natural order: 3号 before 12号) when the roster has addresses, else along a
  short walking path through the sub-grid. Households in no grid come last. Its 户数 add up to the
  imported total.
- **例外与问题**: villages that cannot be split (with what was applied and the remedies), areas
  enclosed by hard barriers, areas no cut fits, locked grids out of bounds, grids out of bounds
  after edits, households in no grid (each named by its row in the roster).
- **党员联户** (with party-member links only): one row per member — 党员, 所属党支部, 网格编码,
  联系户数, 联系户地址, 说明 (why a member has no households, and the fix) — and households linked +
  not linked = the total (:mod:`gridtool.maps.ledger_party`).
- **重绘变化** (after ``gridtool partition --previous`` only): what the redraw changed — villages,
  the old → new code table, retired, new and locked codes, households inside locked grids — and
  last year's households − gone + new = the total above (:mod:`gridtool.maps.ledger_changes`).

Names, phone and ID numbers are masked by :func:`gridtool.maps.privacy.mask_layer` unless
``include_personal``; every cell goes through :func:`gridtool.cells.write_rows` (XLSX) or
:func:`gridtool.cells.csv_bytes` (CSV), so text from the data never runs as a formula.

The walking order is written by hand: fast-tsp (used for patrols) is not deterministic above 20
places and solves smaller ones exactly at up to 0.1 s each, too slow for a county's thousands of
sub-grids; a greedy path from the north-west corner, shortened by 2-opt, is deterministic and
good enough for a list a grid worker walks down.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import feature_id_zh
from ..progress import Progress
from ..ownership import register_csv_header
from ..partition.buildings import BuildingCounts, building_counts
from ..partition.report import remedy_words
from ..partition.totals import HouseholdTotals, household_counts, household_totals
from .ledger_changes import changes_sheet
from .ledger_party import party_sheet
from .ledger_sheet import Sheet
from .paper import check_cancelled
from .plan_words import STATUS_ZH, apartment_parts_zh, note_zh
from ..plurals import count_en

SHEETS = ("网格台账", "子网格", "专属网格", "住户名单", "例外与问题")
#: The fixed first columns of each sheet: a CSV starting so is gridtool's own (``--ledger-csv``
#: replaces it without ``--force``; :func:`gridtool.ownership.register_csv_header`).
SHEET_HEADS = (("序号", "网格编码", "村（社区）"), ("序号", "子网格编码", "所属网格"), ("序号", "专属网格编码"),
               ("网格编码", "子网格编码", "走访序号"), ("类型", "编码或名称", "村（社区）"))
for _head in SHEET_HEADS:
    register_csv_header(_head)
#: openpyxl and Excel stop at 1,048,576 rows.
XLSX_MAX_ROWS = 1_048_576
#: A Cancel is looked at between sheets and every this many rows of a sheet (the household list of
#: a county runs to 500,000 rows).
ROWS_PER_CHECK = 5000

KIND_ZH = {"area": "片区", "apartment part": "楼栋分单元"}
CATEGORY_ZH = {"school": "学校", "kindergarten": "幼儿园", "hospital": "医院", "clinic": "诊所", "market": "市场",
               "supermarket": "超市", "bank": "银行", "police": "派出所", "townhall": "村（居）委会/政府",
               "camera": "监控点", "enterprise": "企业", "other": "其他"}
#: Columns of the grids layers that gridtool itself writes (never shown as "joined" columns).
_OWN = frozenset({"geometry", "code", "village", "village_code", "hh", "status", "note", "min_hh", "max_hh",
                  "worker_slots", "locked", "area_m2", "polsby_popper", "hard_crossings", "soft_crossings",
                  "max_dist_m", "ridge_m", "places", "place_names", "n_subgrids", "grid", "kind", "n_features",
                  "apartment_parts", "category", "name", "worker", "worker_phone", "head", "head_phone", "fid",
                  "src_id"})
_ADDRESS_HEADERS = ("地址", "住址", "详细地址", "家庭住址", "现住址", "居住地址", "门牌地址", "户籍地址", "门牌号",
                    "房屋地址", "address", "addr", "addr:full", "full_address")
_HOLDER_HEADERS = ("户主姓名", "户主", "户主名", "姓名", "居民姓名", "householder", "head_of_household")
_PHONE_HEADERS = ("联系电话", "电话", "手机", "手机号", "手机号码", "户主电话", "户主联系电话", "phone", "mobile", "tel")
_TOWN_HEADERS = ("乡镇", "乡镇名称", "乡镇街道", "乡镇（街道）", "街道", "所属乡镇", "所属街道", "township", "town")


@dataclass
class Ledger:
    """The ledger's sheets in order, the plan's household totals and what was guessed (zh, en)."""

    sheets: list[Sheet]
    totals: HouseholdTotals
    notes: list[tuple[str, str]] = field(default_factory=list)

    def sheet(self, name: str) -> Sheet:
        return next(s for s in self.sheets if s.name == name)


# -- helpers ------------------------------------------------------------------------------------
def _squash(name) -> str:
    return re.sub(r"[\s_\-（）()]+", "", str(name)).lower()


def _find(columns, headers) -> str | None:
    keys = {_squash(c): c for c in columns if c != "geometry"}
    for h in headers:
        if _squash(h) in keys:
            return keys[_squash(h)]
    return None


def _txt(v) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    s = str(v).strip()
    return s or None


def _num(v):
    """A number for a cell (ints stay ints), or None."""
    if v is None or v is pd.NA:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return _txt(v)
    if math.isnan(f):
        return None
    return int(f) if f.is_integer() else f




def _natural_key(text) -> tuple:
    """``石门坎村3组12号`` sorts after ``石门坎村3组4号``: digits compared as numbers."""
    parts = re.split(r"(\d+)", str(text or ""))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p != "")


def walking_order(xy: np.ndarray, *, max_two_opt: int = 200) -> np.ndarray:
    """Order of the points ``xy`` (n × 2, metres) along a short open path: greedy from the
    north-west-most point, then 2-opt (up to ``max_two_opt`` points). Deterministic."""
    n = len(xy)
    if n <= 2:
        return np.argsort(-xy[:, 1] + xy[:, 0] * 1e-9, kind="stable") if n else np.zeros(0, dtype=int)
    start = int(np.argmin(xy[:, 0] - xy[:, 1]))  # north-west: small x, large y
    if n > max_two_opt:  # a very large group: bands from north to south, west to east (serpentine)
        band = np.floor((xy[:, 1].max() - xy[:, 1]) / 60.0).astype(int)
        xkey = np.where(band % 2 == 0, xy[:, 0], -xy[:, 0])
        return np.lexsort((xkey, band))
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    seen = np.zeros(n, dtype=bool)
    path = [start]
    seen[start] = True
    for _ in range(n - 1):
        row = np.where(seen, np.inf, d[path[-1]])
        nxt = int(np.argmin(row))
        path.append(nxt)
        seen[nxt] = True
    p = np.array(path)
    # 2-opt on the open path, all moves scored at once: reversing p[i..j] (1 <= i < j <= n-1) swaps
    # edges (p[i-1], p[i]) and (p[j], p[j+1]) for (p[i-1], p[j]) and (p[i], p[j+1]); the best is made.
    upper = np.triu(np.ones((n - 1, n - 1), dtype=bool), 1)
    for _ in range(4 * n):
        a, b = p[:-1], p[1:]                      # for i = 1..n-1: p[i-1], p[i]
        c = p[1:]                                 # for j = 1..n-1: p[j]
        dn = np.append(p[2:], -1)                 # p[j+1], none for j = n-1
        has = dn >= 0
        dab = d[a, b]
        dcd = np.where(has, d[c, np.maximum(dn, 0)], 0.0)
        dac = d[a[:, None], c[None, :]]
        dbd = np.where(has[None, :], d[b[:, None], np.maximum(dn, 0)[None, :]], 0.0)
        gain = np.where(upper, dab[:, None] + dcd[None, :] - dac - dbd, 0.0)
        k = int(np.argmax(gain))
        if gain.flat[k] <= 1e-6:
            break
        i, j = divmod(k, n - 1)
        p[i + 1:j + 2] = p[i + 1:j + 2][::-1]     # positions i+1..j+1 are p[i]..p[j] of the formula
    return p


def _towns(project, notes) -> dict[str, str]:
    """Village code → township: a township column of the villages layer, else the first 9 digits
    of a 12-digit division code (said in ``notes``)."""
    vil = project.layers.get("villages")
    if vil is None or vil.gdf is None or "code" not in vil.gdf:
        return {}
    g = vil.gdf
    col = _find(g.columns, _TOWN_HEADERS)
    codes = g["code"].map(_txt)
    if col is not None:
        shown = vil.source_column(col) if hasattr(vil, "source_column") else col  # the user's F3, not township
        notes.append((f"乡镇（街道）取自村界图层的“{shown}”列", f"township taken from the villages layer's column {shown!r}"))
        return {c: _txt(t) or "" for c, t in zip(codes, g[col]) if c}
    if codes.dropna().str.fullmatch(r"\d{12}").all() and codes.notna().any():
        notes.append(("乡镇（街道）取自 12 位区划代码的前 9 位（村界图层没有乡镇名称列）",
                      "township: the first 9 digits of the 12-digit division code (no township column in the villages)"))
        return {c: c[:9] for c in codes.dropna()}
    return {}


def _joined_columns(project, role: str, gdf) -> list[str]:
    """Columns joined from tables (``gridtool join``, logged in ``parameters["joins"]``) still in
    ``gdf``, in the order joined; other columns are the engine's or another program's."""
    target = "subgrids" if role == "subgrids" else "grids"
    cols: list[str] = []
    for j in project.parameters.get("joins", []):
        if j.get("target") == target:
            for c in (j.get("columns") or {}).values():
                if c in gdf.columns and c not in _OWN and c not in cols:
                    cols.append(c)
    return cols


def _masked(project, role: str, include_personal: bool):
    from .privacy import mask_layer

    lyr = project.layers.get(role)
    if lyr is None or lyr.gdf is None:
        return None
    return mask_layer(lyr, include_personal=include_personal)


def _phone_col(gdf) -> str | None:
    for c in ("worker_phone", "phone", "联系电话"):
        if c in gdf.columns:
            return c
    return None


# -- sheets -------------------------------------------------------------------------------------
def _grid_sheet(project, grids, totals: HouseholdTotals, hh_in: dict[str, int], buildings: BuildingCounts,
                n_subs: dict[str, int] | None, towns, notes) -> Sheet:
    joined = _joined_columns(project, "grids", grids)
    cols = ["序号", "网格编码", "村（社区）", "乡镇（街道）", "户数", "楼栋数", "子网格数", "网格员", "联系电话",
            "面积（平方千米）", "状态", "锁定", "备注"] + joined
    order = grids.sort_values(["village_code", "code"] if "village_code" in grids else ["code"], kind="stable")
    phone = _phone_col(order)
    rows = []
    area = order.geometry.area.to_numpy() / 1e6 if order.geometry is not None else np.zeros(len(order))
    for i, (_, r) in enumerate(order.iterrows()):
        code = _txt(r.get("code"))
        rows.append([i + 1, code, _txt(r.get("village")), towns.get(_txt(r.get("village_code")) or "", None),
                     hh_in.get(code or "", 0), buildings.per_grid.get(code or "", 0),
                     n_subs.get(code or "", 0) if n_subs is not None else _num(r.get("n_subgrids")) or 0,
                     _txt(r.get("worker")), _txt(r.get(phone)) if phone else None,
                     round(float(area[i]), 3), STATUS_ZH.get(_txt(r.get("status")) or "", _txt(r.get("status"))),
                     "是" if bool(r.get("locked")) and str(r.get("locked")).lower() not in ("0", "false") else "",
                     note_zh(r.get("note"))] + [_num(r.get(c)) if pd.api.types.is_numeric_dtype(grids[c])
                                                else _txt(r.get(c)) for c in joined])
    hh_sum = sum(int(x[4] or 0) for x in rows)
    footer = [["合计", totals.grids_written(len(rows), unit=" 个"), None, None, hh_sum, sum(int(x[5] or 0) for x in rows),
               sum(int(x[6] or 0) for x in rows), None, None, round(float(area.sum()), 3)]]
    # The buildings beside the households: each building counted once, in the grid holding most of it.
    footer += [[], ["住户合计（导入）", None, None, None, totals.imported, buildings.imported, None, None, None, None,
                    totals.text_zh().split(" = ", 1)[-1] if totals.partitioned else ""]]
    in_parts = buildings.parts()
    for k, v in totals.parts_zh():
        see = {"专属网格": "（见“专属网格”表）", "例外网格": "（已含在上表合计中，见“例外与问题”表）",
               "未划入网格": "（见“例外与问题”表）", "基础网格": "（上表合计中状态正常的网格）"}[k]
        footer.append([f"其中：{k}", None, None, None, v, in_parts[k], None, None, None, None, see])
    footer.append(["说明", None, None, None, None, None, None, None, None, None,
                   _buildings_note(buildings.shared_grid_total, "网格")])
    return Sheet("网格台账", cols, rows, footer, {"面积（平方千米）": "0.000"})


def _buildings_note(shared: int, level: str) -> str:
    """How the 楼栋数 column counts a building divided between grids or sub-grids."""
    return (f"楼栋数：住户分在几个{level}的楼栋只计入住户最多的{level}（户数相同时取编码在前者），各级合计一致；"
            f"共 {shared:,} 栋楼的住户分在不同{level}")


def _subgrid_sheet(project, subs, buildings: BuildingCounts) -> Sheet:
    joined = _joined_columns(project, "subgrids", subs)
    cols = ["序号", "子网格编码", "所属网格", "村（社区）", "户数", "楼栋数", "跨子网格楼栋", "类型", "状态", "网格员",
            "联系电话", "楼栋分单元"] + joined
    if subs is None or not len(subs):
        return Sheet("子网格", cols, [], [["合计", "0 个子网格"]])
    order = subs.sort_values(["grid", "code"], kind="stable")
    phone = _phone_col(order)
    rows = []
    for i, (_, r) in enumerate(order.iterrows()):
        code = _txt(r.get("code")) or ""
        rows.append([i + 1, code or None, _txt(r.get("grid")), _txt(r.get("village")), _num(r.get("hh")),
                     buildings.per_subgrid.get(code, 0), buildings.shared_subgrid.get(code, 0),
                     KIND_ZH.get(_txt(r.get("kind")) or "", _txt(r.get("kind"))),
                     STATUS_ZH.get(_txt(r.get("status")) or "", _txt(r.get("status"))), _txt(r.get("worker")),
                     _txt(r.get(phone)) if phone else None, apartment_parts_zh(_txt(r.get("apartment_parts")))]
                    + [_num(r.get(c)) if pd.api.types.is_numeric_dtype(subs[c]) else _txt(r.get(c)) for c in joined])
    # 跨子网格楼栋 counts a divided building in each of its sub-grids: its total counts it once.
    footer = [["合计", f"{len(rows):,} 个子网格", None, None, sum(int(x[4] or 0) for x in rows),
               sum(int(x[5] or 0) for x in rows), buildings.shared_subgrid_total],
              # The note in the last fixed column, which is wide already: the code columns stay narrow.
              ["说明"] + [None] * 10 + [_buildings_note(buildings.shared_subgrid_total, "子网格")
                                         + "；“跨子网格楼栋”是住户分在本子网格和其他子网格的楼栋，合计行每栋只计一次"]]
    return Sheet("子网格", cols, rows, footer)


def _special_sheet(project, special, hh_in: dict[str, int], buildings: BuildingCounts) -> Sheet:
    cols = ["序号", "专属网格编码", "村（社区）", "名称", "类别", "户数", "楼栋数", "网格员", "联系电话"]
    if special is None or not len(special):
        return Sheet("专属网格", cols, [], [["合计", "0 个专属网格", None, None, None, 0, 0]])
    joined = _joined_columns(project, "special_grids", special)
    cols += joined
    order = special.sort_values("code", kind="stable")
    phone = _phone_col(order)
    rows = []
    for i, (_, r) in enumerate(order.iterrows()):
        code = _txt(r.get("code")) or ""
        rows.append([i + 1, code or None, _txt(r.get("village")), _txt(r.get("name")),
                     CATEGORY_ZH.get(_txt(r.get("category")) or "", _txt(r.get("category"))), hh_in.get(code, 0),
                     buildings.per_grid.get(code, 0), _txt(r.get("worker")), _txt(r.get(phone)) if phone else None]
                    + [_num(r.get(c)) if pd.api.types.is_numeric_dtype(special[c]) else _txt(r.get(c)) for c in joined])
    footer = [["合计", f"{len(rows):,} 个专属网格", None, None, None, sum(int(x[5] or 0) for x in rows),
               sum(int(x[6] or 0) for x in rows)]]
    return Sheet("专属网格", cols, rows, footer)


def _household_parts(hs: pd.DataFrame, hh: np.ndarray) -> pd.DataFrame:
    """One row per (feature, grid) part: ``feature``, ``grid``, ``hh``, ``split`` (the grid_parts text)."""
    from ..values import parse_grid_parts

    grid = hs["grid"].tolist() if "grid" in hs else [None] * len(hs)
    parts = hs["grid_parts"].tolist() if "grid_parts" in hs else [None] * len(hs)
    feat, code, n, split = [], [], [], []
    for f, (g, gp) in enumerate(zip(grid, parts)):
        pp = parse_grid_parts(gp)
        if pp:
            left = int(hh[f])
            for c, k in pp:
                feat.append(f)
                code.append(c)
                n.append(min(int(k), left))
                split.append(gp)
                left -= min(int(k), left)
            if left > 0:
                feat.append(f)
                code.append(None)
                n.append(left)
                split.append(gp)
        else:
            feat.append(f)
            code.append(g if isinstance(g, str) and g else None)
            n.append(int(hh[f]))
            split.append(None)
    return pd.DataFrame({"feature": feat, "grid": code, "hh": n, "split": split})


def _subgrid_rows(parts: pd.DataFrame, hs) -> pd.DataFrame:
    """Each grid part of a building divided between sub-grids (``subgrid_parts``) as one row per
    sub-grid of that grid, so that every sub-grid's worker finds the households they visit and the
    list's 户数 per sub-grid are the sub-grid sheet's; ``split`` then says all the building's parts."""
    from ..values import parse_grid_parts

    if "subgrid_parts" not in hs or not len(parts):
        return parts
    sp = hs["subgrid_parts"].to_numpy(dtype=object)
    has = np.array([isinstance(sp[f], str) and sp[f] != "" for f in parts["feature"]], dtype=bool)
    if not has.any():
        return parts
    out = []
    for r in parts[has].to_dict("records"):
        g = r["grid"]
        mine = [(c, k) for c, k in parse_grid_parts(sp[r["feature"]]) if isinstance(g, str) and c.startswith(g + "-")]
        if not mine:
            out.append(r)
            continue
        left, rows = int(r["hh"]), []
        for c, k in mine:
            rows.append(dict(r, subgrid=c, hh=min(int(k), left), split=sp[r["feature"]]))
            left -= rows[-1]["hh"]
        # Households the parts do not name (none when the layers are the engine's) stay in the held one.
        held = next((x for x in rows if x["subgrid"] == r["subgrid"]), rows[0])
        held["hh"] += left
        out.extend([x for x in rows if x["hh"] > 0] or rows[:1])
    return pd.concat([parts[~has], pd.DataFrame(out, columns=parts.columns)], ignore_index=True) \
        .sort_values(["feature"], kind="stable").reset_index(drop=True)


def _household_sheet(project, totals, known_codes: set[str], include_personal, notes,
                     cancelled=None) -> tuple[Sheet, pd.DataFrame]:
    from ..spatial import household_points

    lyr = project.layers["households"]
    hs = lyr.gdf
    masked = _masked(project, "households", include_personal)
    hh = household_counts(hs["hh"]) if "hh" in hs else np.ones(len(hs), dtype=np.int64)
    parts = _household_parts(hs, hh)
    parts["grid"] = parts["grid"].where(parts["grid"].isin(known_codes), None).astype(object)
    sub = hs["subgrid"].tolist() if "subgrid" in hs else [None] * len(hs)
    parts["subgrid"] = [s if isinstance(s, str) and isinstance(g, str) and s.startswith(g + "-") else None
                        for s, g in zip((sub[f] for f in parts["feature"]), parts["grid"])]
    parts = _subgrid_rows(parts, hs)
    cols = hs.columns
    addr_col = _find(cols, _ADDRESS_HEADERS)
    street, number = _find(cols, ("addr:street", "街路巷", "街道名", "路名")), _find(cols, ("addr:housenumber", "门牌"))
    if addr_col is not None:
        address = masked[addr_col].map(_txt)
        notes.append((f"住户名单的地址取自“{addr_col}”列", f"household list: address from column {addr_col!r}"))
    elif street is not None:
        address = (masked[street].map(lambda v: _txt(v) or "") + " " +
                   (masked[number].map(lambda v: _txt(v) or "") if number else "")).str.strip().replace("", None)
        notes.append((f"住户名单的地址由“{street}”" + (f"和“{number}”" if number else "") + "列组成",
                      f"household list: address from {street!r}" + (f" and {number!r}" if number else "")))
    else:
        address = pd.Series([None] * len(hs), index=hs.index)
        notes.append(("住户数据没有地址列：住户名单按步行路线排序（从西北角起的最短路径）",
                      "no address column in the households: the household list follows a short walking path"))
    holder_col = _find(cols, _HOLDER_HEADERS)
    if holder_col is None and "name" in cols and lyr.sensitive.get("name") == "name":
        holder_col = "name"
    phone_col = _find(cols, _PHONE_HEADERS)
    if phone_col is None:
        # A roster's 联系方式, or a phone column import found by its values (字段9): the import recorded
        # it as personal, so the list shows it (masked unless --include-personal) rather than nothing.
        phones = [c for c, kind in (lyr.sensitive or {}).items() if kind == "phone" and c in cols]
        worded = [c for c in phones if any(w in str(c).lower() for w in ("电话", "手机", "联系方式", "phone", "tel"))]
        phone_col = (worded or phones or [None])[0]
        if phone_col is not None:
            notes.append((f"住户名单的联系电话取自“{phone_col}”列", f"household list: phone from column {phone_col!r}"))
    if holder_col is None:
        notes.append(("住户数据没有户主姓名列，住户名单的“户主”列为空",
                      "no householder column in the households: the list's householder column is empty"))
    village = masked["village"].map(_txt) if "village" in masked else pd.Series([None] * len(hs), index=hs.index)
    grid_village = {}
    for role in ("grids", "special_grids"):
        g = project.layers.get(role)
        if g is not None and g.gdf is not None and "village" in g.gdf:
            grid_village.update(zip(g.gdf["code"].astype(str), g.gdf["village"].map(_txt)))
    # The row a planner finds it by, in Chinese (``row 5`` → ``第5行``, as every Chinese message says it).
    src = (hs["src_id"].map(_txt).map(lambda v: feature_id_zh(v) if v else v) if "src_id" in hs
           else pd.Series([f"FID {i}" for i in range(len(hs))], index=hs.index))
    xy = np.column_stack([household_points(hs).x.to_numpy(), household_points(hs).y.to_numpy()]) if len(hs) else \
        np.zeros((0, 2))
    addr_v = address.to_numpy(dtype=object)
    use_address = addr_col is not None or street is not None
    if use_address and len(hs):
        share = float(pd.Series(addr_v).notna().mean())
        if share < 0.8:
            use_address = False
            notes.append((f"只有 {share:.0%} 的住户有地址：住户名单按步行路线排序",
                          f"only {share:.0%} of the households have an address: the list follows a walking path"))
    # Order: grid, sub-grid (unassigned last), then address or walking path within each group.
    parts["_g"] = parts["grid"].fillna("\uffff")
    parts["_s"] = parts["subgrid"].fillna("\uffff")
    seq_all = np.zeros(len(parts), dtype=np.int64)
    done = 0
    for idx in parts.groupby(["_g", "_s"], sort=False).indices.values():
        idx = np.asarray(idx)
        done += len(idx)
        if done >= ROWS_PER_CHECK:  # a county's thousands of sub-grids, each walked in order
            done = 0
            check_cancelled(cancelled)
        f = parts["feature"].to_numpy()[idx]
        if use_address:
            keys = [_natural_key(addr_v[k]) if addr_v[k] is not None else ((2, 0, ""),) for k in f]
            order = sorted(range(len(f)), key=lambda i: (keys[i], i))
        else:
            order = walking_order(xy[f]).tolist()
        seq = np.empty(len(f), dtype=np.int64)
        seq[np.asarray(order, dtype=int)] = np.arange(1, len(f) + 1)
        seq_all[idx] = seq
    parts["seq"] = seq_all
    parts = parts.sort_values(["_g", "_s", "seq"], kind="stable").reset_index(drop=True)
    holder = masked[holder_col].map(_txt).to_numpy(dtype=object) if holder_col else np.full(len(hs), None, object)
    phone = masked[phone_col].map(_txt).to_numpy(dtype=object) if phone_col else np.full(len(hs), None, object)
    hs_village = village.to_numpy(dtype=object)
    src_v = src.to_numpy(dtype=object)
    rows = []
    for i, r in enumerate(parts.itertuples(index=False)):
        if i % ROWS_PER_CHECK == ROWS_PER_CHECK - 1:
            check_cancelled(cancelled)
        f = int(r.feature)
        grid = r.grid if isinstance(r.grid, str) else None
        sub_code = r.subgrid if isinstance(r.subgrid, str) else None
        note = "未划入网格" if grid is None else ""
        if isinstance(r.split, str) and r.split:
            note = (note + "；" if note else "") + "楼栋分属：" + r.split.replace(";", "；")
        rows.append([grid, sub_code, int(r.seq) if grid is not None else None, int(r.hh), addr_v[f],
                     holder[f], phone[f], grid_village.get(grid) or hs_village[f], src_v[f], note or None])
    cols_out = ["网格编码", "子网格编码", "走访序号", "户数", "地址", "户主", "联系电话", "村（社区）", "来源（原表行号/要素）",
                "备注"]
    total = sum(r[3] for r in rows)
    footer = [["合计", f"{len(rows):,} 处", None, total, f"导入的住户共 {totals.imported:,} 户"]]
    return Sheet("住户名单", cols_out, rows, footer), parts


def _problems_sheet(project, grids, subs, totals: HouseholdTotals, parts, include_personal) -> Sheet:
    cols = ["类型", "编码或名称", "村（社区）", "户数", "说明", "建议"]
    rows: list[list] = []
    plan = (project.parameters.get("partition") or {}).get("plan") or {}
    infeasible = plan.get("infeasible_villages") or []
    params = (project.parameters.get("partition") or {}).get("parameters") or {}
    lo_d, hi_d = int(params.get("min_hh", 300)), int(params.get("max_hh", 500))
    listed_villages = set()
    for v in infeasible:
        rem = v.get("remedies") or {}
        merge = "、".join(m["village"] for m in rem.get("merge", [])[:3]) or "无可合并的邻村"
        relax = rem.get("relax") or [None, None]
        applied_zh = remedy_words(v, "zh") or "已保留为一个例外网格"  # from the report's fields
        why = {"too_small": f"户数不足 {lo_d}", "gap": f"户数落在 {lo_d}–{hi_d} 的倍数之间的空档"}.get(
            str(v.get("status")), str(v.get("status")))
        rows.append(["无法划分的村（社区）", v.get("village"), v.get("village"), _num(v.get("households")),
                     f"{why}；{applied_zh}",
                     f"可选：保留为一个例外网格；与邻村合并（{merge}）；放宽为 {relax[0]}–{relax[1]} 户"])
        listed_villages.add(str(v.get("village")))
    if grids is not None and len(grids) and "status" in grids:
        # Households or villages re-imported since the grids were drawn (the status says so).
        st = grids["status"].astype(str)
        for _, r in grids[st == "emptied"].sort_values("code").iterrows():
            rows.append(["重新导入后无住户的网格", _txt(r.get("code")), _txt(r.get("village")), _num(r.get("hh")),
                         "新住户图层中没有住户位于本网格内（户数为划分时的数）", "重新划分（gridtool partition 项目 --redraw）"])
        if (st == "stale").any():
            n = int((st == "stale").sum())
            rows.append(["户数已过时的网格", f"{n:,} 个网格", None, None,
                         "住户或村界已重新导入，网格户数仍为划分时的数", "重新划分（gridtool partition 项目 --redraw）"])
    if grids is not None and len(grids):
        for _, r in grids.sort_values("code").iterrows():
            status, note = _txt(r.get("status")) or "", str(r.get("note") or "")
            if status in ("stale", "emptied"):
                continue  # listed above: its counts are of the old households
            hh = _num(r.get("hh")) or 0
            lo = int(_num(r.get("min_hh")) or lo_d)
            hi = int(_num(r.get("max_hh")) or hi_d)
            locked = bool(r.get("locked")) and str(r.get("locked")).lower() not in ("0", "false")
            tokens = {t.strip() for t in note.split(";")}
            if status == "exception" and tokens & {"pocket", "no_cut", "isolated"}:
                kind = {"pocket": "硬边界围出的片区", "no_cut": "找不到范围内切分的片区",
                        "isolated": "与村（社区）主体分离的片区"}[next(t for t in ("pocket", "no_cut", "isolated")
                                                                 if t in tokens)]
                fix = {"硬边界围出的片区": "可用 --pockets join 跨边界并入邻近网格，或保留为例外网格",
                       "找不到范围内切分的片区": "检查片区内的道路和住户；或放宽户数范围后重新划分",
                       "与村（社区）主体分离的片区": "确认村界；或在程序中把它刷入邻近网格"}[kind]
                rows.append([kind, _txt(r.get("code")), _txt(r.get("village")), hh, note_zh(note), fix])
            elif status == "exception" and (tokens & {"too_small", "gap"}) and str(r.get("village")) not in listed_villages:
                rows.append(["无法划分的村（社区）", _txt(r.get("code")), _txt(r.get("village")), hh, note_zh(note),
                             "保留为例外网格、与邻村合并或放宽户数范围后重新划分"])
            elif status == "exception" and tokens & {"beside_locked", "outside_bounds"}:
                rows.append(["锁定网格以外无法划分的部分", _txt(r.get("code")), _txt(r.get("village")), hh,
                             note_zh(note), "保留为例外网格；或解锁本村（社区）的锁定网格、放宽户数范围后重绘"])
            # listed above, by its own row or its village's
            listed = status == "exception" and bool(tokens & {"pocket", "no_cut", "isolated", "too_small", "gap",
                                                              "beside_locked", "outside_bounds"})
            if locked and not lo <= hh <= hi:
                rows.append(["锁定网格超出户数范围", _txt(r.get("code")), _txt(r.get("village")), hh,
                             f"已锁定，{hh} 户，超出 {lo}–{hi} 户", "解锁后调整，或确认保留"])
            elif not listed and (status == "exception" or not lo <= hh <= hi):
                # A hand edit that leaves a grid out of bounds marks it an exception: the totals count
                # its households under 例外网格, so it must be listed here as those totals say.
                edited = "edited" in tokens
                why = f"{hh} 户，超出 {lo}–{hi} 户" if not lo <= hh <= hi else (note_zh(note) or "标为例外网格")
                rows.append(["网格超出户数范围" if not lo <= hh <= hi else "例外网格", _txt(r.get("code")),
                             _txt(r.get("village")), hh, why + ("（手工调整后）" if edited else ""),
                             "在程序中调整，或运行“重绘未锁定网格”"])
    for code in totals.stale:
        rows.append(["网格户数与住户不一致", code, None, None, "网格图层的户数与其住户之和不同（图层可能在别处被改动）",
                     "重新打开项目并保存，或重新划分"])
    if subs is not None and len(subs) and "hh" in subs:
        s_lo, s_hi = int(params.get("sub_min", 20)), int(params.get("sub_max", 40))
        shh = household_counts(subs["hh"])
        bad = subs[(shh < s_lo) | (shh > s_hi)]
        for _, r in bad.sort_values("code").iterrows():
            rows.append(["子网格户数超出范围", _txt(r.get("code")), _txt(r.get("village")), _num(r.get("hh")),
                         f"{_num(r.get('hh'))} 户，超出 {s_lo}–{s_hi} 户", "检查该网格内的住户分布；楼栋可按单元拆分"])
    if totals.unassigned:
        un = parts[~parts["grid"].map(lambda v: isinstance(v, str))]
        rows.append(["未划入网格的住户", f"{len(un):,} 处", None, totals.unassigned,
                     "不在任何村（社区）边界内，或在编辑中未分配；见“住户名单”末尾", "检查村界或坐标；在程序中把它们刷入网格"])
        hs = project.layers["households"].gdf
        src = hs["src_id"].map(_txt).to_numpy(dtype=object) if "src_id" in hs else None
        for r in un.itertuples(index=False):
            where = feature_id_zh(src[int(r.feature)]) if src is not None else f"FID {int(r.feature)}"
            rows.append(["未划入网格的住户", where, None, int(r.hh), "该住户不在任何网格中", ""])
    # None: said below the header, not a row, so that the sheet's rows count what there is (the
    # console's "例外与问题 1 行" counted this note).
    return Sheet("例外与问题", cols, rows, footer=[] if rows else [["无", None, None, None, "没有例外或问题", None]])


def ledger_tables(project, *, include_personal: bool = False, progress: Progress | None = None,
                  cancelled=None) -> Ledger:
    """The ledger of ``project`` as sheets (see the module docstring); nothing is written.

    ``progress(fraction, message)``; ``cancelled()`` is asked between sheets and every
    :data:`ROWS_PER_CHECK` rows of the household list, and stops with CancelledError once true."""
    from .needs import need_ledger

    def step(f: float, zh: str, en: str) -> None:
        check_cancelled(cancelled)
        if progress:
            progress(f, f"台账：{zh} / ledger: {en}")

    need_ledger(project)
    notes: list[tuple[str, str]] = []
    step(0.0, "统计户数", "counting households")
    totals = household_totals(project)
    grids = _masked(project, "grids", include_personal)
    subs = _masked(project, "subgrids", include_personal)
    special = _masked(project, "special_grids", include_personal)
    known = set(grids["code"].astype(str))
    if special is not None and "code" in special:
        known |= set(special["code"].astype(str))
    towns = _towns(project, notes)
    step(0.1, "住户名单", "household list")
    hs_sheet, parts = _household_sheet(project, totals, known, include_personal, notes, cancelled)
    step(0.6, "网格台账", "grids")
    # Households and buildings per grid from the households themselves (as the totals count them),
    # never from a grids layer that may be stale; sub-grids per grid as the sub-grid sheet lists them.
    hh_in = {str(k): int(v) for k, v in parts.dropna(subset=["grid"]).groupby("grid")["hh"].sum().items()}
    buildings = building_counts(project)
    n_subs = subs.groupby(subs["grid"].astype(str)).size().to_dict() if subs is not None and "grid" in subs else None
    sheets = [_grid_sheet(project, grids, totals, hh_in, buildings, n_subs, towns, notes)]
    step(0.7, "子网格", "sub-grids")
    sheets.append(_subgrid_sheet(project, subs, buildings))
    step(0.75, "专属网格", "special grids")
    sheets += [_special_sheet(project, special, hh_in, buildings), hs_sheet]
    step(0.8, "例外与问题", "exceptions")
    sheets.append(_problems_sheet(project, project.layers["grids"].gdf, subs, totals, parts, include_personal))
    step(0.9, "党员联户", "party members")
    party = party_sheet(project, address_col=_find(project.layers["households"].gdf.columns, _ADDRESS_HEADERS),
                        total=totals.imported, include_personal=include_personal)
    if party is not None:
        sheets.append(party)
    step(0.95, "重绘变化", "redraw changes")
    changes = changes_sheet(project, totals)
    if changes is not None:
        sheets.append(changes)
    check_cancelled(cancelled)
    return Ledger(sheets, totals, notes)


# -- writers ------------------------------------------------------------------------------------
def _display_width(v) -> float:
    s = "" if v is None else (f"{v:,.3f}" if isinstance(v, float) else str(v))
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def write_ledger_xlsx(project, path: str | Path, *, include_personal: bool = False,
                      ledger: Ledger | None = None, force: bool = False, progress: Progress | None = None,
                      cancelled=None) -> Path:
    """Write the ledger workbook to ``path`` atomically; returns the path. An existing file that
    gridtool did not write is refused unless ``force`` (:mod:`gridtool.ownership`).

    ``progress(fraction, message)``; ``cancelled()`` is asked between sheets and every
    :data:`ROWS_PER_CHECK` rows, and once true stops with CancelledError before any file is made."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from ..atomic import write_bytes_atomic
    from ..cells import write_rows
    from .outputs import check_not_input
    from .paper import ExportError

    from ..ownership import check_replace

    path = Path(path)
    check_not_input(project, [path])
    check_replace([path], force=force)
    if path.suffix.lower() != ".xlsx":
        raise ExportError("台账文件须为 .xlsx", "the ledger must be an .xlsx file",
                          fix_zh="把文件名改为 *.xlsx，或用 --ledger-csv 目录 写 CSV。",
                          fix_en="name it *.xlsx, or write CSV with --ledger-csv DIR.", file=str(path))
    if ledger is None:
        half = (lambda f, m: progress(0.5 * f, m)) if progress else None
        ledger = ledger_tables(project, include_personal=include_personal, progress=half, cancelled=cancelled)
    for s in ledger.sheets:
        if len(s.rows) + len(s.footer) + 2 > XLSX_MAX_ROWS:
            raise ExportError(f"“{s.name}”有 {len(s.rows):,} 行，超过 Excel 的上限 {XLSX_MAX_ROWS:,} 行",
                              f"sheet {s.name} has {count_en(len(s.rows), 'row')}, more than Excel's {XLSX_MAX_ROWS:,}",
                              fix_zh="用 --ledger-csv 目录 写 CSV 文件。", fix_en="write CSV with --ledger-csv DIR.",
                              file=str(path))
    wb = Workbook()
    wb.properties.creator = "gridtool"  # gridtool's mark: a later export may replace it (ownership)
    wb.remove(wb.active)
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE6F0")
    thin = Side(style="thin", color="999999")
    for k, s in enumerate(ledger.sheets):
        check_cancelled(cancelled)
        if progress:
            progress(0.5 + 0.4 * k / len(ledger.sheets), f"台账：写出“{s.name}” / ledger: writing {s.name}")
        ws = wb.create_sheet(s.name)
        write_rows(ws, [s.columns])
        for start in range(0, len(s.rows), ROWS_PER_CHECK):
            if start:
                check_cancelled(cancelled)
            write_rows(ws, s.rows[start:start + ROWS_PER_CHECK])
        first_footer = ws.max_row + 1
        if s.footer:
            write_rows(ws, s.footer)
        width = len(s.columns)
        for j, name in enumerate(s.columns, start=1):
            c = ws.cell(row=1, column=j)
            c.font = bold
            c.fill = head_fill
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            c.border = Border(bottom=thin)
            sample = [r[j - 1] for r in s.rows[:2000] + s.footer if j - 1 < len(r)]
            w = max([_display_width(name)] + [_display_width(v) for v in sample])
            ws.column_dimensions[get_column_letter(j)].width = max(6.0, min(w + 2, 44.0))
            fmt = s.number_formats.get(name)
            if fmt:
                for n, row in enumerate(ws.iter_rows(min_row=2, max_row=ws.max_row, min_col=j, max_col=j)):
                    if n % ROWS_PER_CHECK == ROWS_PER_CHECK - 1:
                        check_cancelled(cancelled)
                    for cell in row:
                        if isinstance(cell.value, (int, float)):
                            cell.number_format = fmt
        if s.footer:
            for cell in ws[first_footer][:width]:
                cell.font = bold
                cell.border = Border(top=thin)
            for r in range(first_footer + 1, ws.max_row + 1):
                ws.cell(row=r, column=1).font = bold
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
        ws.page_setup.orientation = "landscape" if width > 7 else "portrait"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"
    check_cancelled(cancelled)
    if progress:
        progress(0.9, "台账：保存 / ledger: saving")
    buf = io.BytesIO()
    wb.save(buf)
    check_cancelled(cancelled)
    return write_bytes_atomic(path, buf.getvalue())


def write_ledger_csv(project, folder: str | Path, *, include_personal: bool = False,
                     ledger: Ledger | None = None, force: bool = False) -> list[Path]:
    """Write each sheet as ``folder/<sheet>.csv`` (UTF-8 with BOM, for Excel); returns the paths.
    An existing CSV of that name that gridtool did not write is refused unless ``force``. The
    sheets are put in place together: one of them open in Excel leaves all as they were."""
    from ..atomic import publish_together, write_bytes_atomic
    from ..cells import csv_bytes
    from ..ownership import check_replace
    from .outputs import check_not_input

    folder = Path(folder)
    paths = [folder / f"{s}.csv" for s in SHEETS]
    check_not_input(project, paths)
    check_replace(paths, force=force)
    ledger = ledger or ledger_tables(project, include_personal=include_personal)
    more = [folder / f"{s.name}.csv" for s in ledger.sheets if s.name not in SHEETS]  # 重绘变化 after a redraw
    check_not_input(project, more)
    check_replace(more, force=force)
    folder.mkdir(parents=True, exist_ok=True)
    with publish_together():
        return [write_bytes_atomic(folder / f"{s.name}.csv", csv_bytes(s.frame())) for s in ledger.sheets]


__all__ = ["Ledger", "SHEETS", "Sheet", "apartment_parts_zh", "ledger_tables", "note_zh", "walking_order", "write_ledger_csv",
           "write_ledger_xlsx"]
