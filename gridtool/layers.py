"""Loading one layer by role: read the file, settle its coordinates, normalise its key columns.

Every role ends up with the columns of ``docs/DESIGN.md`` (``hh`` for households, ``name``/``code``
for villages, ``class``/``oneway`` for roads, ``category`` for places …), the source columns kept
beside them, a ``src_id`` that points back to the feature in the input file, and a record of which
source column fed which key column and which columns hold personal data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from . import column_content
from .columns import (find_column, find_point_name_column, is_grade_header, match_category, normalise_category,
                      oneway_reversed, priority_level, sensitive_columns, to_oneway)
from .crs import (WGS84, CrsSpec, check_fits, crs_zh, gk_plain_metres, gk_zone_epsg, guess_crs, in_china,
                  lonlat_like, lonlat_swapped, offset_to_wgs84, parse_crs, robust_bounds, zone_advice)
from .errors import CRSError, EmptyLayerError, GeometryTypeError, MissingColumnError, UnknownRoleError
from .io.layer_crs import settle_crs as _settle_crs
from .io.excel_sheets import SHEET_COLUMN, names_villages
from .io.table_rows import row_label
from .io.vector import RawLayer, read_vector, split_path_layer, suffix_of
from .personal import ADDRESS_ROLES, address_columns, free_text_columns, name_columns
from .plurals import count_en, plural_en
from .problems import Problem
from .roles import PLACE_CATEGORIES, ROLES, geometry_family
from .values import household_counts


@dataclass
class Layer:
    """A layer of the project: its role, data, and where it came from."""

    role: str
    gdf: gpd.GeoDataFrame
    source: str = ""
    source_layer: str | None = None
    format: str = ""
    crs_in: str = ""  # the CRS the input was in, as declared or detected (exports return to it)
    encoding: str | None = None
    encoding_source: str = ""  # "cpg", "detected", "user" …
    encoding_sample: tuple[str, ...] = ()  # decoded text, to show the user it came out right
    columns_used: dict[str, str] = field(default_factory=dict)
    sensitive: dict[str, str] = field(default_factory=dict)
    # How each personal column was found: {"how": "header" | "content" | "field"}, and for free
    # text ("text") the cells holding personal data, of how many, and what ("phone", …).
    sensitive_how: dict[str, dict] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # How each key column was found (header, content, --field, derived from the code) with
    # sample values: what import/info/validate print ("村名：F1（石柱村、龙潭村…）").
    columns_detail: dict[str, dict] = field(default_factory=dict)
    # Lines and parcels per class and how the classes were found (roads, rivers, railways, landuse).
    class_summary: dict = field(default_factory=dict)
    # Incidents: the rows read without coordinates (key columns added, index = row number), not
    # saved; Project.from_sources places those whose address it finds (gridtool.address_match).
    unlocated: pd.DataFrame | None = None
    # Incidents: the rows merged into an earlier row of the same incident (src_id, type …,
    # gridtool.incidents_dupes), saved as the project's "merged" list: --category counts them.
    merged: pd.DataFrame | None = None
    # Households replacing a partitioned project's: the features that took their building's
    # previous grid by position (Project._carry_plan); None when nothing was carried over.
    plan_carried: int | None = None
    # ... and what the new roster lost against the old one per grid / sub-grid code
    # (partition.previous.households_gone); None when the project had no plan.
    households_gone: dict | None = None

    def source_column(self, column: str) -> str:
        """The user's column that ``column`` of this layer was read from (``township`` ← ``F3``), as
        messages should name it; ``column`` itself when gridtool did not map it."""
        return str((self.columns_used or {}).get(column) or column)

    def meta(self) -> dict:
        return {"role": self.role, "source": self.source, "source_layer": self.source_layer,
                "format": self.format, "crs_in": self.crs_in, "encoding": self.encoding,
                "encoding_source": self.encoding_source,
                "columns_used": self.columns_used, "sensitive": self.sensitive, "sensitive_how": self.sensitive_how,
                "columns_detail": self.columns_detail, "class_summary": self.class_summary,
                "features": int(len(self.gdf)), "problems": [p.to_dict() for p in self.problems],
                **({"unplaced": self._unplaced_meta()} if self.role == "incidents" else {}),
                **({"merged": m} if self.role == "incidents" and (m := self._merged_meta()) is not None else {})}

    def _merged_meta(self) -> list[dict] | None:
        from .incidents_dupes import to_meta
        return to_meta(self)

    def _unplaced_meta(self) -> list[dict]:
        # The calls not placed, with their category: a saved project filters them by --category too.
        from .incidents_unplaced import to_meta
        return to_meta(self)

    @property
    def total_households(self) -> int | None:
        if "hh" not in self.gdf:
            return None
        # Whole households per feature, as the partition and every output count them (inf/NaN are
        # validation errors, not counts).
        return int(household_counts(self.gdf["hh"]).sum())


def _feature_ids(raw: RawLayer) -> pd.Series:
    idx = raw.gdf.index
    if raw.ids is not None:
        return pd.Series(raw.ids.values, index=idx)
    if raw.format in ("CSV", "Excel"):
        return pd.Series([row_label(i) for i in idx], index=idx)
    if raw.format == "OSM" and "osm_id" in raw.gdf:
        return raw.gdf["osm_id"].astype(str)
    return pd.Series([f"FID {i}" for i in idx], index=idx)


def _check_geometry(gdf, role: str, raw: RawLayer, problems: list[Problem], ids) -> gpd.GeoDataFrame:
    allowed = ROLES[role].geometry
    fam = gdf.geometry.geom_type.map(geometry_family)
    wrong = ~fam.isin(allowed)
    if wrong.all():
        found = ", ".join(sorted(set(fam.dropna())))
        raise GeometryTypeError(
            f"“{ROLES[role].zh}”图层应为 {'/'.join(allowed)}，但文件里是 {found}",
            f"a {role} layer needs {'/'.join(allowed)} geometries, the file has {found}",
            fix_zh="检查是否把文件传给了错误的参数（例如把道路线传给了 --villages）。",
            fix_en="check that the file went to the right option (e.g. road lines given as --villages).",
            file=raw.path, layer=raw.layer)
    if wrong.any():
        problems.append(Problem(
            "warning", "wrong_geometry_type",
            f"{int(wrong.sum())} 个要素的几何类型不适合“{ROLES[role].zh}”，已忽略",
            f"{count_en(int(wrong.sum()), 'feature')} {plural_en(int(wrong.sum()), 'has')} a geometry type a {role} layer cannot use; ignored",
            fix_zh=f"该图层只接受 {'/'.join(allowed)}。", fix_en=f"this layer takes {'/'.join(allowed)} only.",
            role=role, file=raw.path, layer=raw.layer, features=ids[wrong].tolist()))
        gdf = gdf[~wrong]
    return gdf


#: ``--field households.hh=1``: each row (feature) is one household, whatever column looks like a
#: count; what ``columns_used["hh"]`` then says.
ONE_PER_ROW = "1"
PER_ROW_LABEL = "(每行一户 / 1 per row)"


def _numeric(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    out = pd.to_numeric(series, errors="coerce")
    slow = out.isna() & series.notna()
    if slow.any():  # "3户", " 2 ", full-width "３" and the like
        text = series[slow].astype(str).map(lambda v: unicodedata.normalize("NFKC", v)).str.strip()
        text = text.str.replace(r"\s*[户套]$", "", regex=True).str.strip()
        out[slow] = pd.to_numeric(text, errors="coerce")
    return out.astype(float)


def _code_text(value) -> str | None:
    """Division codes read as numbers from Excel (5.00101e+11) back to their digits; digits typed
    in groups (``500 154 006 001``) or full width (``５００１５４``) as one run of digits. Text in
    Excel's scientific notation stays as written: :func:`_code_repairs` says what it lost."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if _SPACED_DIGITS.match(text):
        text = re.sub(r"\s+", "", text)
    exact = _sci_digits(text)
    return exact or text or None


_SPACED_DIGITS = re.compile(r"^\d+(\s+\d+)+$")
# What Excel shows (and a CSV saved from it keeps) for a long number: 5.00154E+11.
_SCIENTIFIC = re.compile(r"^(\d)(?:\.(\d+))?[eE]\+?(\d{1,2})$")


def _sci_digits(text: str) -> str | None:
    """``5.00154006001E+11`` → ``500154006001`` when every digit is still there; None otherwise
    (not scientific notation, or digits lost: ``5.00154E+11`` could be any of a million codes)."""
    m = _SCIENTIFIC.match(text)
    if not m:
        return None
    digits = m.group(1) + (m.group(2) or "")
    width = int(m.group(3)) + 1
    # Excel shows six significant digits: fewer than the number has means the rest were dropped
    # (even zeros: 5.00154E+11 may stand for 500154006001 or 500154000000).
    return digits if len(digits) == width else None


def _code_repairs(gdf: gpd.GeoDataFrame, ccol: str, raw: RawLayer, details: dict, where: dict) -> list[Problem]:
    """Village codes Excel turned into scientific notation: the digits it dropped cannot be told, so
    those villages are coded as if they had none (grid codes V001 …) and the file is named to fix;
    codes typed with spaces were joined, and the column summary says so."""
    src = gdf[ccol]
    text = src.map(lambda v: unicodedata.normalize("NFKC", str(v)).strip() if isinstance(v, str) else None)
    # A column with no text at all (numeric codes, some missing) maps to NaN, not None: only strings
    lost = text.map(lambda t: isinstance(t, str) and bool(_SCIENTIFIC.match(t)) and _sci_digits(t) is None).astype(bool)
    spaced = text.map(lambda t: isinstance(t, str) and bool(_SPACED_DIGITS.match(t))).astype(bool)
    note = details.get("code")
    if spaced.any() and note is not None:
        note["note_zh"] = f"{int(spaced.sum())} 个代码中的空格已去掉"
        note["note_en"] = f"spaces removed from {count_en(int(spaced.sum()), 'code')}"
    if not lost.any():
        return []
    gdf["code"] = gdf["code"].astype(object).mask(lost, None)
    examples = "、".join(dict.fromkeys(text[lost].head(3)))
    ids = _feature_ids(raw).reindex(gdf.index[lost]).astype(str).tolist()
    return [Problem(
        "warning", "village_code_scientific",
        f"{int(lost.sum())} 个村（社区）的区划代码是科学计数法（{examples}），后几位已丢失，无法还原；"
        "这些村按没有代码处理，网格编码用 V001、V002…",
        f"{count_en(int(lost.sum()), 'village code')} {plural_en(int(lost.sum()), 'is')} in scientific notation ({examples}): their last digits are "
        "lost and cannot be recovered; these villages are treated as having no code (grid codes V001, V002 …)",
        fix_zh=f"在 Excel 中把“{ccol}”列设为文本格式，重新填入完整的 12 位代码（或从原始数据重新导出）后再导入。",
        fix_en=f"format column {ccol!r} as text in Excel, enter the full 12-digit codes again (or export them "
               "again from the source data) and import again.",
        field=ccol, features=ids, **where)]


def _short_code_warnings(gdf: gpd.GeoDataFrame, used: dict, raw: RawLayer, role: str) -> list[Problem]:
    """Codes Excel shortened (户编号 00123 → 123, a 12-digit village code of 11 digits) in the columns
    that key or join the layer: the household id, the village column, the villages' division code."""
    from .code_digits import short_codes_warning
    where = dict(role=role, file=raw.path, layer=raw.layer)
    ids = _feature_ids(raw)
    checks = ((("id", None, "户编号", "household id"), ("village", "village", "村代码", "village code"),
               ("code", None, "区划代码", "division code"))
              if role == "households" else (("code", "code", "区划代码", "division code"),))
    out, seen = [], set()
    for key, col, zh, en in checks:
        src = used.get(key)
        if not src and key in ("id", "code"):  # a 户编号 or 村代码 column not used here still joins to other records
            src = find_column(gdf.columns, key, exclude=list(seen))
            src = src if src is not None and str(src).strip().lower() not in ("id", "objectid", "uid", "fid") else None
        values = gdf[col] if col and col in gdf else gdf[src] if src in gdf else None
        if not src or src in seen or values is None:
            continue
        seen.add(src)
        warn = short_codes_warning(values, column=src, ids=ids, what_zh=zh, what_en=en, where=where)
        if warn is not None:
            out.append(warn)
    return out


def _has_value(v) -> bool:
    return v is not None and not (isinstance(v, float) and v != v) and bool(str(v).strip())


def _place_categories(gdf: gpd.GeoDataFrame, ccol: str | None, raw: RawLayer, used: dict[str, str],
                      problems: list[Problem]) -> pd.Series:
    """Each place's category: from the source first (the category column, else the KML folder it
    sits in: 学校, 医院, 农贸市场 …; values gridtool does not know are kept as given), from its name
    second (XX小学, XX派出所), and what was guessed from names is reported."""
    src = pd.Series([None] * len(gdf), index=gdf.index, dtype=object)
    if ccol:
        src = gdf[ccol].astype(object).where(gdf[ccol].notna(), None)
    if "kml_folder" in gdf:
        from .io.vector import category_folder, kml_document_names
        docs = kml_document_names(raw.path.split("!")[0])
        folder = gdf["kml_folder"].map(lambda f: category_folder(f, raw.path.split("!")[0], docs))
        empty = ~src.map(_has_value)
        if folder.notna().any():
            src = src.where(~empty, folder)
            if not ccol:
                used["category"] = "(KML folder)"
    has = src.map(_has_value).astype(bool)
    cat = pd.Series(index=gdf.index, dtype=object)
    cat[has] = src[has].map(normalise_category)
    guess = ~has
    if guess.any():
        named = gdf["name"] if "name" in gdf else pd.Series([None] * len(gdf), index=gdf.index)
        cat[guess] = named[guess].map(lambda n: match_category(n) or "other")
        # A register of one kind (学校.xlsx, a layer "schools"): its places whose names say nothing
        # (St. Aloysius College is, 实验中学 says it) are of that kind, not 其他.
        from .columns import category_named_by
        stem = Path(raw.path.split("!")[-1]).stem
        by_file = None if has.any() else (category_named_by(raw.layer) or category_named_by(stem))
        from_file = guess & (cat == "other") if by_file else pd.Series(False, index=gdf.index)
        cat[from_file] = by_file
        if not has.any():
            used["category"] = f"(from name, {raw.layer or stem})" if from_file.any() else "(from name)"
        counts = cat[guess].value_counts()
        zh = "、".join(f"{PLACE_CATEGORIES.get(k, k)} {n}" for k, n in counts.items())
        en = ", ".join(f"{k} {n}" for k, n in counts.items())
        left = gdf.index[guess & (cat == "other")]
        n_file = int(from_file.sum())
        by_layer = bool(category_named_by(raw.layer)) and raw.layer != stem
        told = raw.layer if by_layer else stem
        where_zh = (f"；其中 {n_file} 个名称看不出类别，按{'图层' if by_layer else '文件'}名“{told}”记为"
                    f"{PLACE_CATEGORIES.get(by_file, by_file)}" if n_file else "")
        where_en = (f"; {n_file} whose names say nothing taken as {by_file} from the "
                    f"{'layer' if by_layer else 'file'} name {told!r}" if n_file else "")
        problems.append(Problem(
            "warning", "category_from_name",
            f"{int(guess.sum())} 个重点场所没有类别（类别列或 KML 文件夹），已按名称推断：{zh}{where_zh}",
            f"{count_en(int(guess.sum()), 'place')} {plural_en(int(guess.sum()), 'has')} no category (column or KML folder); guessed from their "
            f"names: {en}{where_en}",
            fix_zh="在类别列（或 KML 文件夹名）中写明类别，如 学校、医院、农贸市场、派出所、企业；"
                   "名称中看不出类别的记为“其他”（列在要素中）。",
            fix_en="give the category in a column (or a KML folder name), e.g. 学校, 医院, 农贸市场, 派出所, "
                   "企业; places whose name says nothing are 'other' (listed as features).",
            role="places", file=raw.path, layer=raw.layer, field=ccol,
            features=_feature_ids(raw).reindex(left).astype(str).tolist()))
    return cat


def _note_category_reading(detail: dict, values: pd.Series, categories: pd.Series, most: int = 8) -> None:
    """Say what each value of the category column was read as (``金融网点→银行 23``) and which
    values gridtool does not know (kept as written, patrolled as 其他): the words differ from one
    register to the next, and a misread one changes which places are must-visit."""
    given = values.map(lambda v: str(v).strip() if _has_value(v) else None)
    pairs = (pd.DataFrame({"raw": given, "cat": categories}).dropna().groupby(["raw", "cat"], sort=False).size()
             .sort_values(ascending=False, kind="stable"))  # most first, ties in the register's order
    read_zh, read_en, kept = [], [], []
    for (text, cat), n in pairs.items():
        if cat in PLACE_CATEGORIES:
            if text != PLACE_CATEGORIES[cat] and text.lower() != cat:
                read_zh.append(f"{text}→{PLACE_CATEGORIES[cat]} {n}")
                read_en.append(f"{text}→{cat} {n}")
        else:
            kept.append(f"{text} {n}")
    zh, en = [], []
    if read_zh:
        zh.append("类别读作：" + "、".join(read_zh[:most]) + ("等" if len(read_zh) > most else ""))
        en.append("read as: " + ", ".join(read_en[:most]) + (" …" if len(read_en) > most else ""))
    if kept:
        zh.append("未识别、按原样保留（巡逻优先级同“其他”）：" + "、".join(kept[:most])
                  + ("等" if len(kept) > most else ""))
        en.append("not recognised, kept as written (patrol priority as 'other'): " + ", ".join(kept[:most])
                  + (" …" if len(kept) > most else ""))
    detail["note_zh"] = "，".join(x for x in (detail.get("note_zh"), *zh) if x)
    detail["note_en"] = "; ".join(x for x in (detail.get("note_en"), *en) if x)


#: Roles of point registers whose features people know by name (重点场所, 派出所): a missing name
#: column is worth a warning.
_POINT_REGISTERS = ("places", "stations")


def _name_candidates(gdf: gpd.GeoDataFrame, used: dict[str, str]) -> list:
    """Text columns that might hold a register's names, most distinct values first; never a column
    of personal data (its samples would be printed), a category, grade or serial number."""
    skip = {*used.values(), *sensitive_columns(gdf, personal_role=False)}
    for key in ("category", "priority", "id", "class", "village", "township", "county"):
        skip.add(find_column(gdf.columns, key))
    cands = column_content.text_candidates(gdf, exclude=[c for c in skip if c], limit=50)
    cands = [c for c in cands if not all(str(v).strip().isdigit() for v in c.samples)]
    cands.sort(key=lambda c: -gdf[c.column].nunique())
    return cands[:6]


def _village_from_sheets_without_it(gdf: gpd.GeoDataFrame, vcol: str, where: dict) -> list[Problem]:
    """A 村 column on some sheets of a merged workbook only: the rows of the sheets without it take
    their sheet's name as their village (when sheets are named for villages), said; else none."""
    empty = gdf["village"].isna().groupby(gdf[SHEET_COLUMN], sort=False).all()
    sheets = [n for n, e in empty.items() if e]
    if not sheets or not names_villages(sheets):
        return []
    rows = gdf[SHEET_COLUMN].isin(sheets)
    gdf.loc[rows, "village"] = gdf.loc[rows, SHEET_COLUMN].astype("string")
    counts = gdf.loc[rows, SHEET_COLUMN].value_counts(sort=False)
    return [Problem(
        "warning", "village_from_sheet",
        f"“{vcol}”列只在部分工作表中有；没有该列的工作表已把工作表名当作村名："
        + "、".join(f"{n}（{c:,} 行）" for n, c in counts.items()),
        f"the column {vcol!r} is on some sheets only; the sheets without it took their names as village names: "
        + ", ".join(f"{n} ({count_en(c, 'row')})" for n, c in counts.items()),
        fix_zh=f"若工作表名不是村名，在这些工作表中也加上“{vcol}”列后再导入。",
        fix_en=f"if the sheet names are not the villages, add the {vcol!r} column to these sheets too and import "
               "again.", **where)]


def _normalise_columns(gdf: gpd.GeoDataFrame, role: str, fields: dict[str, str], raw: RawLayer,
                       used: dict[str, str], loose: dict[str, str],
                       details: dict[str, dict] | None = None,
                       problems: list[Problem] | None = None, rules=None,
                       classes: dict | None = None) -> gpd.GeoDataFrame:
    gdf = gdf.copy()
    details = {} if details is None else details
    problems = [] if problems is None else problems
    where = dict(role=role, file=raw.path, layer=raw.layer)

    def record(key: str, name: str, by: str, note: tuple[str, str] = ("", "")) -> None:
        details[key] = column_content.Found(key, name, by, column_content.samples_of(gdf[name]),
                                            *note).to_dict()

    def pick(key: str, what: str | None = None, *, content: bool = False,
             codes: pd.Series | None = None) -> str | None:
        name = fields.get(key)
        by = "user"
        if not name and loose.get(key) in gdf.columns:
            name = loose[key]  # a column named for every layer: used where the layer has it
        if name:
            if name not in gdf.columns:
                raise MissingColumnError(
                    f"图层中没有列“{name}”", f"no column {name!r} in the layer",
                    fix_zh="现有列：" + ", ".join(c for c in gdf.columns if c != "geometry"),
                    fix_en="the columns are: " + ", ".join(c for c in gdf.columns if c != "geometry"),
                    file=raw.path, layer=raw.layer, field=name)
        else:
            name, by = find_column(gdf.columns, what or key), "header"
            if content and (name is None or not len(column_content.text_values(gdf[name]))):
                # The header says nothing (F1, 字段2) or names an empty column: look at the values.
                found = column_content.guess(gdf, key, role=role, codes=codes,
                                             exclude=[c for k, c in used.items() if k != key])
                if found is not None:
                    used[key] = found.column
                    details[key] = found.to_dict()
                    return found.column
        if name:
            used[key] = name
            record(key, name, by)
        return name

    if role == "households" and fields.get("name"):
        pick("name")  # the householder's name column (--field households.name=户主): flagged personal
    if role == "households" and fields.get("id"):
        pick("id")  # --field households.id=门牌号: the households' ids (src_id), stable across rosters
    if role in ("households", "party_members"):
        chosen = fields.get("hh", loose.get("hh"))
        per_row = role == "households" and chosen == ONE_PER_ROW and ONE_PER_ROW not in gdf.columns
        col = pick("hh", content=True) if role == "households" and not per_row else None
        if per_row:  # --field households.hh=1: buildings or not, every row is one household
            gdf["hh"] = 1.0
            used["hh"] = PER_ROW_LABEL
            details["hh"] = column_content.Found("hh", PER_ROW_LABEL, "user").to_dict()
        elif role == "households":
            if col is None:
                # Candidates among the source's own columns (before the default column is added).
                nums = column_content.text_candidates(gdf, numeric=True)
                gdf["hh"] = 1.0
                used["hh"] = "(default 1)"
                details["hh"] = column_content.Found("hh", "(default 1)", "default").to_dict()
                if nums:
                    problems.append(_not_found_problem(role, "hh", nums, where, severity="warning",
                                                       zh="没有找到户数列，每个要素按 1 户计",
                                                       en="no household-count column found; every "
                                                          "feature counts as 1 household"))
            else:
                gdf["hh"] = _numeric(gdf[col])
        vcol = None
        if (role == "households" and SHEET_COLUMN in gdf and not fields.get("village")
                and loose.get("village") not in gdf.columns and not find_column(gdf.columns, "village")
                and names_villages(gdf[SHEET_COLUMN].unique())):
            # 一村一表 without a 村 column: each sheet is named for its village; guessed, and said.
            vcol = used["village"] = SHEET_COLUMN
            record("village", SHEET_COLUMN, "sheet")
            counts = gdf[SHEET_COLUMN].value_counts(sort=False)
            problems.append(Problem(
                "warning", "village_from_sheet",
                "表中没有村名列，已把工作表名当作村名：" + "、".join(f"{n}（{c:,} 行）" for n, c in counts.items()),
                "no village column in the table; the sheet names were taken as village names: "
                + ", ".join(f"{n} ({count_en(c, 'row')})" for n, c in counts.items()),
                fix_zh="若工作表名不是村名，在表中加一列“村”，或用 --field households.village=列名 指定。",
                fix_en="if the sheet names are not the villages, add a 村 column or name it with "
                       "--field households.village=COLUMN.", **where))
        vcol = vcol or pick("village", content=role == "households")
        if vcol and vcol != "village":
            gdf["village"] = gdf[vcol].astype("string")
        if role == "households" and vcol and vcol != SHEET_COLUMN and SHEET_COLUMN in gdf and not fields.get("village"):
            problems += _village_from_sheets_without_it(gdf, vcol, where)
    if role in ("villages", "roads", "rivers", "railways", "places", "stations", "party_members"):
        ncol = pick("name", {"places": "place_name", "stations": "station_name", "party_members": "member_name"}.get(role),
                    content=role == "villages")
        if ncol is None and role in _POINT_REGISTERS:
            ncol = find_point_name_column(gdf.columns, exclude=list(used.values()))
            if ncol:  # 网吧名称, 宾馆名称: guessed from the header's 名称, and said so
                used["name"] = ncol
                record("name", ncol, "header", ("表头以“名称”结尾", "header ends in 名称"))
        if ncol is None and role in _POINT_REGISTERS:
            problems.append(_not_found_problem(
                role, "name", _name_candidates(gdf, used), where,
                zh=f"没有找到{ROLES[role].zh}的名称列：路线、台账和报告将用“类别（第 N 行）”代替名称",
                en=f"no name column found in the {role}: routes, ledgers and reports show "
                   "'category (row N)' instead of names"))
        if ncol and ncol != "name":
            gdf["name"] = gdf[ncol]
        elif ncol is None:
            gdf["name"] = None
        zcol = None if ncol is None or fields.get("name") or role == "party_members" else \
            find_column([c for c in gdf.columns if c not in (ncol, "name")], "name_zh")
        if zcol is not None:
            # OSM exports carry name (often English or pinyin: Wulaocun Police Station) and name:zh;
            # route cards and ledgers are Chinese: the Chinese name where a row has one.
            zh = gdf[zcol].astype("string").str.strip()
            has = zh.notna() & (zh != "")
            if has.any():
                gdf["name"] = gdf["name"].astype(object).where(~has.to_numpy(), zh.astype(object))
                if "name" in details:  # said where the loader says which column it read
                    details["name"]["note_zh"] = f"有“{zcol}”列中文名的行取中文名，其余取“{ncol}”列"
                    details["name"]["note_en"] = f"the Chinese name in {zcol!r} where a row has one, else {ncol!r}"
    if role == "villages":
        ccol = pick("code", content=True)
        gdf["code"] = gdf[ccol].map(_code_text) if ccol else None
        if ccol:
            problems += _code_repairs(gdf, ccol, raw, details, where)
            codes = gdf["code"].dropna().astype(str)
            if len(codes) and codes.map(lambda c: column_content.village_code_of(c) != c).all():
                # 三调 坐落单位代码: a 12-digit village code followed by seven zeros.
                gdf["code"] = gdf["code"].map(lambda c: column_content.village_code_of(c) if isinstance(c, str) else c)
                details["code"]["note_zh"] = "19 位坐落单位代码，取前 12 位村代码"
                details["code"]["note_en"] = "19-digit unit code; its first 12 digits are the village code"
        if gdf["name"].isna().all() and ccol:
            gdf["name"] = gdf["code"]
        if ncol is None:
            texts = column_content.text_candidates(gdf, exclude=[c for c in used.values()])
            problems.append(_not_found_problem(
                role, "name", texts, where,
                zh="没有找到村名列" + ("，暂用区划代码作名称" if ccol else "，村（社区）将编号为 村1、村2…"),
                en="no village-name column found" + ("; the division codes stand in for names" if ccol
                                                      else "; villages are numbered 村1, 村2 …")))
        if ccol is None:
            texts = column_content.text_candidates(gdf, exclude=[c for c in used.values()])
            texts += column_content.text_candidates(gdf, exclude=[c for c in used.values()], numeric=True)
            problems.append(_not_found_problem(
                role, "code", texts, where,
                zh="没有找到区划代码列，网格编码将用 V001、V002… 代替村代码",
                en="no division-code column found; grid codes use V001, V002 … instead of village codes"))
        codes = gdf["code"].astype("string") if ccol else None
        for key, prefix in (("township", column_content.township_prefix),
                            ("county", column_content.county_prefix)):
            col = pick(key, content=True, codes=codes)
            if col:
                gdf[key] = gdf[col].map(_code_text)
            elif ccol is not None and codes.notna().any() and all(
                    prefix(c) is not None for c in codes.dropna().tolist()):  # (an empty map is a string Series)
                gdf[key] = gdf["code"].map(lambda c, f=prefix: f(c) if isinstance(c, str) else None)
                length = len(str(gdf[key].dropna().iat[0])) if gdf[key].notna().any() else 0
                details[key] = column_content.Found(
                    key, ccol, "code", column_content.samples_of(gdf[key]),
                    f"代码前 {length} 位", f"first {count_en(length, 'digit')} of the code").to_dict()
    if role in ("roads", "rivers", "railways", "landuse"):
        _classify_lines(gdf, role, fields, loose, raw, used, details, problems, rules, classes, where)
    if role == "roads":
        ocol = pick("oneway")
        if ocol:
            rev = gdf[ocol].map(oneway_reversed).astype(bool)
            if rev.any():
                gdf.loc[rev, "geometry"] = shapely.reverse(gdf.geometry[rev].values)
            gdf["oneway"] = gdf[ocol].map(to_oneway).astype(bool)
        else:
            gdf["oneway"] = False
    if role in ("forest", "stations"):
        kcol = pick("kind")
        if kcol and kcol != "kind":
            gdf["kind"] = gdf[kcol]
        elif kcol is None and "kind" not in gdf:
            gdf["kind"] = role if role != "stations" else "police"
    if role == "places":
        ccol = pick("category", content=True)
        if ccol:
            gdf["category_raw"] = gdf[ccol]
        gdf["category"] = _place_categories(gdf, ccol, raw, used, [] if problems is None else problems)
        if ccol and details.get("category", {}).get("column") == ccol:
            _note_category_reading(details["category"], gdf[ccol], gdf["category"])
        pcol = pick("priority")
        if pcol:  # 一级/二级/三级, 高/中/低 or numbers, on the patrol's 1–5 scale
            grade = is_grade_header(pcol)
            gdf["priority"] = gdf[pcol].map(lambda v: priority_level(v, grade=grade)).astype(float)
            if grade:  # a number under 重点等级 is a grade: said, as every guess is
                record("priority", pcol, details["priority"]["by"],
                       ("数字按等级读：1 级最高（必到）", "numbers read as grades: 1 is the highest (must visit)"))
    if role == "incidents":
        from .incidents import normalise_incident_columns
        gdf = normalise_incident_columns(gdf, {**{k: v for k, v in loose.items() if v in gdf.columns}, **fields},
                                         used)
    return gdf


def _classify_lines(gdf, role, fields, loose, raw, used, details, problems, rules, classes, where) -> None:
    """Classes of roads, kinds of watercourses/railways/parcels from whatever schema the layer has
    (:mod:`gridtool.lineclasses`), with how each was found and the layer's class summary."""
    from .lineclasses import classify
    for k in ("class", "kind", "dlbm", "dlmc", "ref", "f_code", "width", "lanes", "tunnel", "bridge"):
        if fields.get(k) and fields[k] not in gdf.columns:
            raise MissingColumnError(
                f"图层中没有列“{fields[k]}”", f"no column {fields[k]!r} in the layer",
                fix_zh="现有列：" + ", ".join(c for c in gdf.columns if c != "geometry"),
                fix_en="the columns are: " + ", ".join(c for c in gdf.columns if c != "geometry"),
                file=raw.path, layer=raw.layer, field=fields[k])
    cf = {**loose, **fields}
    if cf.get("f_code"):
        cf["code"] = cf["f_code"]
    cl = classify(role, gdf, fields=cf, rules=rules, layer_name=raw.layer, where=where)
    key = "class" if role == "roads" else "kind"
    gdf[key] = cl.values.astype(object).to_numpy()
    gdf["class_src"] = cl.how.to_numpy()
    if role == "landuse":
        gdf["class"] = cl.extra["class"].to_numpy()
        gdf["dlbm"] = cl.extra["dlbm"].to_numpy()
    for flag in ("tunnel", "bridge"):
        if flag in cl.extra and (cl.extra[flag].any() or flag in gdf):
            gdf[flag] = cl.extra[flag]
    for what, col in cl.summary["columns"].items():
        label = {"tag": key, "cad_layer": "cad_layer", "dlbm": "dlbm", "dlmc": "dlmc", "ref": "ref", "name": "name", "code": "f_code",
                 "width": "width", "lanes": "lanes"}[what]
        if label not in details:
            used.setdefault(label, col)
            details[label] = column_content.Found(label, col, "header", column_content.samples_of(gdf[col])).to_dict()
    problems.extend(cl.problems)
    if classes is not None:
        classes.update(cl.summary)


def _not_found_problem(role: str, key: str, cands, where: dict, *, zh: str, en: str,
                       severity: str = "warning") -> Problem:
    """A key column that neither its header nor its values gave away: the candidate columns with
    what they hold, and the exact ``--field`` that chooses one."""
    if cands:
        def shown(c, sep):
            return sep.join(c.samples[:3]) + ("…" if len(c.samples) > 3 else "")
        listed_zh = "；".join(f"{c.column}（{shown(c, '、')}）" for c in cands)
        listed_en = "; ".join(f"{c.column} ({shown(c, ', ')})" for c in cands)
        first = cands[0].column
        fix_zh = f"候选列：{listed_zh}。如其中一列就是，用 --field {role}.{key}={first} 这样指定。"
        fix_en = f"candidate columns: {listed_en}. If one of them is it, choose it with --field {role}.{key}={first}."
    else:
        fix_zh = f"在源数据中补上这一列，再用 --field {role}.{key}=列名 指定。"
        fix_en = f"add the column to the source data and name it with --field {role}.{key}=COLUMN."
    return Problem(severity, f"{key}_column_not_found", zh, en, fix_zh=fix_zh, fix_en=fix_en, **where)


def _shareable_sample(raw: RawLayer, role: str) -> tuple[str, ...]:
    """Decoded text to show that the encoding is right, without a household head's name in it."""
    if raw.encoding is None:
        return ()
    if ROLES[role].personal and raw.format == "Shapefile":
        return tuple(c for c in raw.gdf.columns if not c.isascii())[:8]  # field names, not values
    return raw.encoding.sample


_KEY_COLUMNS = ("hh", "village", "name", "code", "township", "county", "class", "class_src", "oneway",
                "kind", "dlbm", "tunnel", "bridge", "category", "category_raw", "priority", "src_id",
                "time", "hour", "type")
_RESERVED = ("fid", "geom")  # GeoPackage's own column names


def _safe_column_names(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GeoPackage (SQLite) column names ignore case: keep ours, rename clashing source columns.

    An ArcGIS shapefile's ``NAME`` or ``HH`` stays beside our ``name``/``hh`` as ``NAME_src``.
    """
    taken = {c.lower() for c in gdf.columns if c in _KEY_COLUMNS or c == "geometry"} | set(_RESERVED)
    renames = {}
    for col in gdf.columns:
        if col in _KEY_COLUMNS or col == "geometry":
            continue
        if col.lower() in taken:
            new, n = f"{col}_src", 2
            while new.lower() in taken or new in gdf.columns:
                new, n = f"{col}_src{n}", n + 1
            renames[col] = new
            taken.add(new.lower())
        else:
            taken.add(col.lower())
    return gdf.rename(columns=renames)


def _default_offset_not_applied(default: CrsSpec | None, own, raw: RawLayer, role: str,
                                problems: list[Problem]) -> None:
    """``--crs-in gcj02`` alone applies to files without a CRS of their own; a KML (WGS84 by its
    standard) or a GeoPackage in lon/lat keeps its own. Say so: 奥维 and web tools also write
    GCJ-02 into such files, and read as WGS84 they lie some 500 m off a GCJ-02 roster."""
    if default is None or not default.offset:
        return
    name = own.name if own.to_epsg() != 4326 else "WGS84"
    off = default.offset.upper().replace("GCJ02", "GCJ-02").replace("BD09", "BD-09")
    problems.append(Problem(
        "warning", "crs_default_not_applied",
        f"--crs-in {default.offset} 只用于没有自带坐标系的文件；本文件自带 {name}，已按 {name} 读取，未做 {off} 纠偏",
        f"--crs-in {default.offset} applies to files without a CRS of their own; this file says {name} and "
        f"was read as {name}, without undoing a {off} offset",
        fix_zh=f"如果坐标是从高德/腾讯/奥维（{off}）取得的，用 --crs-in {role}={default.offset} 对这个图层声明；"
               "若确是 WGS84，可不理会。",
        fix_en=f"if the coordinates were taken in AMap/Tencent/Ovital ({off}), declare --crs-in "
               f"{role}={default.offset} for this layer; if they are WGS84, ignore this.",
        role=role, file=raw.path, layer=raw.layer))


def _offset_from_header(used: dict[str, str], raw: RawLayer, role: str, problems: list[Problem]) -> CrsSpec | None:
    """A sheet without a CRS whose coordinate headers name their map (百度经度/百度纬度, 经度（BD09）,
    高德经度) is read in that map's CRS, said as every assumed CRS is: read as WGS84 the points lay
    hundreds of metres off although the header told."""
    from .columns import header_names_plain, header_offset
    heads = [used[k] for k in ("lon", "lat") if used.get(k)] if used.get("lon") else [used.get("lonlat")]
    off = header_offset(*heads) if heads and all(heads) else None
    if off is None and heads and all(heads) and header_names_plain(*heads):
        # 经度（WGS84）/ GPS经度: the header is the reason, not a guess from the values.
        cols = "、".join(f"“{h}”" for h in heads)
        problems.append(Problem(
            "warning", "crs_from_header",
            f"文件没有坐标系信息，坐标列表头{cols}写明是 WGS84/CGCS2000 经纬度，已按此读入（未做纠偏）",
            f"the file has no CRS; its coordinate {plural_en(len(heads), 'header')} ({', '.join(heads)}) "
            f"{'name' if len(heads) > 1 else 'names'} WGS84/CGCS2000 lon/lat: read as such, without an offset",
            fix_zh=f"如坐标其实取自高德/腾讯或百度地图，用 --crs-in {role}=gcj02 或 bd09 声明。",
            fix_en=f"if the coordinates were in fact picked on AMap/Tencent or Baidu maps, declare --crs-in "
                   f"{role}=gcj02 or bd09.", role=role, file=raw.path, layer=raw.layer))
        return parse_crs("wgs84")
    if off is None:
        return None
    name = {"gcj02": ("GCJ-02（高德/腾讯）", "GCJ-02 (AMap/Tencent)"), "bd09": ("BD-09（百度）", "BD-09 (Baidu)")}[off]
    cols = "、".join(f"“{h}”" for h in heads)
    problems.append(Problem(
        "warning", "crs_from_header",
        f"文件没有坐标系信息，坐标列表头{cols}写明是 {name[0]}，已按此换算",
        f"the file has no CRS; its coordinate {plural_en(len(heads), 'header')} ({', '.join(heads)}) "
        f"{'name' if len(heads) > 1 else 'names'} {name[1]}: converted from {name[1]}",
        fix_zh=f"如坐标其实不是 {name[0]}，用 --crs-in {role}=wgs84（或实际坐标系）声明。",
        fix_en=f"if the coordinates are not {name[1]}, declare --crs-in {role}=wgs84 (or their CRS).",
        role=role, file=raw.path, layer=raw.layer))
    return parse_crs(off)


def guess_count_column(df: pd.DataFrame) -> str | None:
    """The household-count column the loader would take in a roster's attributes ``df``: by header
    (户数, 住户数（户）, 户 数), else by content for a header that says nothing; None: each row
    counts as one household."""
    coords = [c for k in ("lon", "lat", "lonlat", "wkt") for c in [find_column(df.columns, k)] if c]
    name = find_column(df.columns, "hh", exclude=coords)
    if name is not None and len(column_content.text_values(df[name])):
        return name
    found = column_content.guess(df, "hh", role="households", exclude=coords)
    return found.column if found is not None else name


def load_layer(role: str, path: str, *, crs_in: str | CrsSpec | None = None,
               encoding: str | None = None, fields: dict[str, str] | None = None,
               layer: str | None = None, seed: int = 0, crs_default: str | CrsSpec | None = None,
               encoding_default: str | None = None,
               fields_default: dict[str, str] | None = None, context=None, line_classes=None) -> Layer:
    """Load one layer for a role, in its own (true) CRS, with normalised key columns.

    Parameters
    ----------
    role
        One of ``gridtool.roles.VECTOR_ROLES``.
    path
        ``PATH`` or ``PATH:LAYER``.
    crs_in
        The coordinate system the user declares for this layer (``gcj02``, ``bd09``,
        ``EPSG:4490`` …); overrides the file's own.
    crs_default
        The coordinate system for a file that has none of its own (a CSV, a shapefile without
        .prj). Without either, the file's CRS is used, or guessed from the values with a warning.
    encoding, encoding_default
        Text encoding of a shapefile/CSV: over its .cpg and detection, or only where it has no .cpg.
    fields
        Source columns for key columns, e.g. ``{"hh": "户数", "lon": "东经"}``; must exist.
    fields_default
        The same, used only where the layer has such a column (options given for every layer).
    context
        ``(CRS, bounds)`` of the layers loaded before (the project's): a file without a CRS that
        holds Gauss-Krüger metres is taken to be in their zone (with a warning), and fixes name
        the zone of their longitude.
    line_classes
        A ``--line-classes`` mapping file (path) or its rules (:func:`gridtool.lineclasses.read_mapping`):
        classes of roads, watercourses and parcels by column value, over every other source.

    Raises
    ------
    InputFileError, UnsupportedFormatError, LayerNotFoundError, EncodingError
        The file cannot be read as asked.
    CRSError, GeometryTypeError, EmptyLayerError, MissingColumnError
        The data do not fit the role.
    """
    if role not in ROLES:
        raise UnknownRoleError(f"未知的图层角色：{role}", f"unknown role {role!r}",
                               fix_zh="可用角色：" + "、".join(ROLES), fix_en="use one of " + ", ".join(ROLES))
    fields = dict(fields or {})
    loose = {k: v for k, v in (fields_default or {}).items() if k not in fields}
    p, lyr = split_path_layer(path)
    read = dict(path=p, layer=layer or lyr, role=role, encoding=encoding,
                encoding_default=encoding_default, seed=seed)
    coords = {k: loose[k] for k in ("lon", "lat", "lonlat", "wkt") if k in loose}
    if (coords and suffix_of(Path(p)) in (".csv", ".txt", ".xlsx", ".xls")
            and not any(k in fields for k in ("lon", "lat", "lonlat", "wkt"))):
        # Coordinate columns named for every layer: used by each table that has them.
        try:
            raw = read_vector(fields={**fields, **coords}, **read)
        except MissingColumnError:
            raw = read_vector(fields=fields, **read)
    else:
        raw = read_vector(fields=fields, **read)
    problems = list(raw.problems)
    used = dict(raw.columns_used)
    ids = _feature_ids(raw)
    gdf = raw.gdf
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        problems.append(Problem(
            "warning", "empty_geometry", f"{int(empty.sum())} 个要素没有几何，已忽略",
            f"{count_en(int(empty.sum()), 'feature')} {plural_en(int(empty.sum()), 'has')} no geometry; ignored",
            fix_zh="在源数据中补画这些要素或删除它们。", fix_en="draw or delete them in the source data.",
            role=role, file=raw.path, layer=raw.layer, features=ids[empty].tolist()))
        gdf = gdf[~empty]
    if len(gdf) == 0:
        raise EmptyLayerError(
            f"“{ROLES[role].zh}”图层没有要素", f"the {role} layer has no features",
            fix_zh="检查是否选错了文件或图层。", fix_en="check that the right file and layer were given.",
            file=raw.path, layer=raw.layer)
    spec = parse_crs(crs_in)
    from_default = False
    if spec is None and gdf.crs is None:
        spec = parse_crs(crs_default)
        from_default = spec is not None
    elif spec is None and gdf.crs is not None and gdf.crs.is_geographic:
        _default_offset_not_applied(parse_crs(crs_default), gdf.crs, raw, role, problems)
    if spec is None and gdf.crs is None:
        spec = _offset_from_header(used, raw, role, problems)
    gdf, crs_label = _settle_crs(gdf, spec, raw, role, problems, from_default=from_default, context=context)
    gdf = _check_geometry(gdf, role, raw, problems, ids)
    details: dict[str, dict] = {}
    classes: dict = {}
    if isinstance(line_classes, (str, Path)):
        from .lineclasses import read_mapping
        line_classes = read_mapping(line_classes)
    gdf = _normalise_columns(gdf, role, fields, raw, used, loose, details, problems, line_classes, classes)
    if role == "households":
        from .household_ids import ids_from_column, parcel_id_column, row_ids_warning
        parcel = None if fields.get("id") else parcel_id_column(gdf)
        if fields.get("id"):
            ids = ids_from_column(gdf, used["id"], ids)
        elif parcel is not None:  # 不动产单元号 / 宗地代码: stable from year to year, said as every guess is
            col, zh, en = parcel
            ids = ids_from_column(gdf, col, ids)
            used["id"] = col
            details["id"] = column_content.Found(
                "id", col, "content", column_content.samples_of(gdf[col]),
                f"{zh}，每户不同，作住户编号；另有编号列时用 --field households.id=列名 指定",
                f"{en}, one per household, taken as the household id; name another with "
                "--field households.id=COLUMN").to_dict()
        # A GeoPackage's fid is its table's key: deleting a row does not renumber the others.
        elif raw.ids is None and raw.format not in ("GeoPackage", "GPKG") \
                and not (raw.format == "OSM" and "osm_id" in raw.gdf):
            warn = row_ids_warning(gdf, file=raw.path, layer=raw.layer, example=ids.astype(str).head(2).tolist())
            if warn is not None:
                problems.append(warn)
        problems += _short_code_warnings(gdf, used, raw, role)
    elif role == "villages" and "code" in gdf and used.get("code"):
        problems += _short_code_warnings(gdf, used, raw, role)
    gdf["src_id"] = ids.loc[gdf.index].astype(str).values
    gdf = _safe_column_names(gdf).reset_index(drop=True)
    found_by: dict[str, str] = {}
    sens = sensitive_columns(gdf.drop(columns=["src_id"]), personal_role=ROLES[role].personal, how=found_by)
    how = {c: {"how": h} for c, h in found_by.items()}
    if ROLES[role].personal:  # the name column given or used, and columns of names found by content
        for c in [used.get("name")]:
            if c in gdf.columns:
                sens[c] = "name"
                how[c] = {"how": "field" if fields.get("name") else how.get(c, {}).get("how", "header")}
        named = name_columns(gdf, skip=[*sens, *(v for k, v in used.items() if k != "name")])
        sens.update({c: "name" for c in named})
        how.update({c: {"how": "content"} for c in named})
    if role in ADDRESS_ROLES:  # 现居住地址 beside a member's name says who they are
        addr = [c for c in address_columns(gdf.columns) if c not in sens]
        sens.update({c: "address" for c in addr})
        how.update({c: {"how": "header"} for c in addr})
    # Free text (备注, a 字段12 of notes) with phone or ID numbers inside: personal by content too;
    # exports mask the numbers (and the names beside them) and keep the rest of the note.
    for c, f in free_text_columns(gdf, skip=sens).items():
        sens[c] = "text"
        how[c] = {"how": "content", **f}
    unlocated = None
    if role == "incidents" and raw.unlocated is not None and len(raw.unlocated):
        from .incidents import normalise_incident_columns  # the same time and type columns
        picked = {k: v.removesuffix(" (by content)") for k, v in used.items() if k in ("time", "clock", "type")}
        unlocated = pd.DataFrame(normalise_incident_columns(raw.unlocated, picked, {}))
        unlocated["src_id"] = [row_label(i) for i in unlocated.index]
    merged = None
    if role == "incidents":  # one incident on several rows (exported twice, one row per person) counts once
        from .incidents_dupes import merge_incident_rows
        gdf, unlocated, merged = merge_incident_rows(gdf, unlocated, problems, file=raw.path, layer=raw.layer)
    return Layer(role=role, gdf=gdf, source=str(Path(raw.path)) if "!" not in raw.path else raw.path,
                 source_layer=raw.layer, format=raw.format, crs_in=crs_label,
                 encoding=raw.encoding.encoding if raw.encoding else None,
                 encoding_source=raw.encoding.source if raw.encoding else "",
                 encoding_sample=_shareable_sample(raw, role), columns_used=used,
                 sensitive=sens, sensitive_how=how, problems=problems, columns_detail=details, class_summary=classes,
                 unlocated=unlocated, merged=merged)


__all__ = ["ONE_PER_ROW", "PER_ROW_LABEL", "Layer", "guess_count_column", "load_layer", "suffix_of"]
