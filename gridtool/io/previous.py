"""Reading the plan a redraw starts from (``gridtool partition … --previous PATH[:LAYER]``).

The previous plan may be gridtool's own (the ``grids`` layer of a project or of a GIS export,
with its ``households`` layer when there is one) or any polygon layer with a code column from
another system: a shapefile in GBK without .cpg, in CGCS2000 Gauss-Krüger or lon/lat, with headers
such as ``网格编码``/``WGBM``. The code column is the one the user names
(``--field previous.code=网格编码``), else found by header, else by content (unique, non-empty,
code-like values), and the choice is always reported. The layer is put in a true CRS the same way
role layers are (:func:`gridtool.io.layer_crs.settle_crs`); the engine reprojects it.

Written by hand: which layer and which column hold a previous plan is specific to the files
planners receive; reading is pyogrio's (:func:`gridtool.io.vector.read_vector`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

from ..columns import _key, find_column
from ..errors import GeometryTypeError, LayerNotFoundError, MissingColumnError, OptionError
from ..problems import Problem
from ..values import truthy
from .layer_crs import settle_crs
from .vector import list_layers, read_vector, split_path_layer, suffix_of

#: Headers of a grid code column, most specific first (compared after ``columns._key``).
CODE_HEADERS = ("code", "grid_code", "gridcode", "网格编码", "网格代码", "网格编号", "网格号", "网格id",
                "wgbm", "wgdm", "wgbh", "编码", "代码", "编号", "bm", "dm", "bh")
_CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_\-.#/]*$")


@dataclass
class PreviousLayers:
    """A previous plan as read: ``grids`` (with ``code``, a true CRS), its households when it has
    them (with ``grid``), and where everything came from."""

    grids: gpd.GeoDataFrame
    households: gpd.GeoDataFrame | None
    file: str
    layer: str | None
    code_column: str
    code_found_by: str  # "given", "header" or "content"
    crs: str
    hh_column: str | None = None  # households per grid, when the layer has them
    locked: list[str] = field(default_factory=list)  # codes the file itself marks as locked
    problems: list[Problem] = field(default_factory=list)
    #: gridtool's own project only: its ``gridtool join`` log entries on the grids (网格员, phones …)
    #: and which of the grids' columns are personal data, so a redraw carries the ledger over
    joins: list[dict] = field(default_factory=list)
    sensitive: dict = field(default_factory=dict)
    #: old code → new code of grids the plan's own redraw renumbered under a recoded village
    #: (``plan.redraw.recoded`` of gridtool's project), to say what last year's code is now
    recoded: dict = field(default_factory=dict)
    #: gridtool's own project: its sub-grids (the locked grids keep them, :mod:`gridtool.partition.locked_subgrids`)
    #: and, with a sub-grid ledger (楼长, 网格助理 joined onto the sub-grids), that join log and their
    #: personal columns (:mod:`gridtool.partition.subgrid_ledger`)
    subgrids: gpd.GeoDataFrame | None = None
    subgrid_joins: list[dict] = field(default_factory=list)
    subgrid_sensitive: dict = field(default_factory=dict)
    #: gridtool's own project: the villages its plan partitioned with a neighbour (``--merge``,
    #: ``--infeasible merge``; ``plan.merged_villages``), so villages apart again this year are not
    #: read as a split of the host (:func:`merged_table`)
    merged: list[dict] = field(default_factory=list)

    def describe(self) -> dict:
        return {"file": self.file, "layer": self.layer, "grids": len(self.grids), "code_column": self.code_column,
                "code_found_by": self.code_found_by, "crs": self.crs, "hh_column": self.hh_column,
                "households": None if self.households is None else len(self.households),
                "locked_in_file": self.locked}


def read_previous(spec: str, *, code_field: str | None = None, crs_in=None, crs_default=None,
                  encoding: str | None = None, encoding_default: str | None = None) -> PreviousLayers:
    """Read a previous plan from ``PATH[:LAYER]``.

    Parameters
    ----------
    spec
        ``PATH`` or ``PATH:LAYER``. Without a layer: a file's ``grids`` layer, else its only
        polygon layer.
    code_field
        The column holding grid codes (``--field previous.code=网格编码``); found otherwise.
    crs_in, crs_default
        A CRS declared for this layer (over its own), or for a file without one (.shp without .prj).
    encoding, encoding_default
        Text encoding of a shapefile over its .cpg, or where it has none (detected otherwise).
    """
    from ..crs import parse_crs
    path, layer = split_path_layer(spec)
    p = Path(path)
    layer = layer or _choose_layer(p)
    raw = read_vector(p, layer=layer, encoding=encoding, encoding_default=encoding_default)
    gdf = raw.gdf
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    polys = shapely.get_type_id(gdf.geometry.values)
    if not len(gdf) or not ((polys == 3) | (polys == 6)).all():
        raise GeometryTypeError(
            "上一版网格图层应为面图层", "the previous grids layer must hold polygons",
            fix_zh="指定网格面图层，如 旧网格.shp 或 项目.gpkg:grids。",
            fix_en="name the grids polygon layer, e.g. old_grids.shp or project.gpkg:grids.",
            file=raw.path, layer=raw.layer)
    problems = list(raw.problems)
    spec_crs = parse_crs(crs_in) or (parse_crs(crs_default) if gdf.crs is None else None)
    gdf, crs_label = settle_crs(gdf, spec_crs, raw, "previous", problems)
    col, how = find_code_column(gdf, code_field, file=raw.path, layer=raw.layer)
    grids = gdf.rename(columns={col: "code"}) if col != "code" else gdf.copy()
    if col != "code" and "code" in gdf:
        grids = gdf.drop(columns="code").rename(columns={col: "code"})
    grids["code"] = grids["code"].map(_text)
    grids = grids.reset_index(drop=True)
    # Households per grid as the previous plan counted them (户数 …): new households are counted
    # against it when nothing better matches them.
    hh_col = find_column([c for c in grids.columns if c != "code"], "hh")
    if hh_col is not None and hh_col != "hh":
        grids = grids.drop(columns=[c for c in ("hh",) if c in grids]).rename(columns={hh_col: "hh"})
    locked = []
    if "locked" in grids:
        locked = sorted(c for c, lk in zip(grids["code"], grids["locked"]) if truthy(lk) and c)
    households = _households_of(p, raw.layer, gdf.crs)
    meta = _meta_of(p, raw.layer)
    joins, sensitive = meta.get("joins") or [], meta.get("sensitive") or {}
    if not joins:  # another system's grids (the county's platform): its 网格员 / 电话 columns
        grids, joins, sensitive = _staff_columns(grids, raw.path, col)
    sub_joins = meta.get("subgrid_joins") or []
    return PreviousLayers(grids=grids, households=households, file=raw.path, layer=raw.layer, code_column=col,
                          code_found_by=how, crs=crs_label, hh_column=hh_col, locked=locked, problems=problems,
                          joins=joins, sensitive=sensitive, recoded=meta.get("recoded") or {},
                          subgrids=_subgrids_of(p, raw.layer, gdf.crs), subgrid_joins=sub_joins,
                          subgrid_sensitive=meta.get("subgrid_sensitive") or {}, merged=meta.get("merged") or [])


def previous_columns(spec: str) -> tuple[list[str], str | None, str | None]:
    """The columns of the previous plan's grids layer in ``PATH[:LAYER]`` (the layer
    :func:`read_previous` takes), the code column it would take when none is named and how that was
    found (``header``/``content``; ``None, None`` when no column looks like codes): what the app's
    redraw dialog offers, with the guess shown first."""
    path, layer = split_path_layer(spec)
    raw = read_vector(Path(path), layer=layer or _choose_layer(Path(path)))
    cols = [str(c) for c in raw.gdf.columns if c != raw.gdf.geometry.name]
    try:
        col, how = find_code_column(raw.gdf, file=raw.path, layer=raw.layer)
    except MissingColumnError:
        return cols, None, None
    return cols, str(col), how


def merged_table(parameters: dict) -> list[dict]:
    """The villages a project's plan partitioned with a neighbour: ``{"name", "code", "host",
    "host_code"}`` each (codes as text)."""
    plan = ((parameters or {}).get("partition") or {}).get("plan") or {}
    return [{"name": str(m.get("village") or ""), "code": _text(m.get("code")),
             "host": str(m.get("merged_into") or ""), "host_code": _text(m.get("merged_into_code"))}
            for m in plan.get("merged_villages") or [] if m.get("code") and m.get("merged_into_code")]


def recoded_table(parameters: dict) -> dict:
    """Old code → new code of the grids a project's last redraw renumbered (recoded villages)."""
    red = ((parameters or {}).get("partition") or {}).get("plan") or {}
    return {str(e["old"]): str(e["new"]) for e in (red.get("redraw") or {}).get("recoded") or []
            if e.get("old") and e.get("new")}


def check_previous(prev: PreviousLayers, villages: gpd.GeoDataFrame | None, locked=()) -> None:
    """Refuse a redraw that cannot start from ``prev``: codes to lock that it does not have, or a
    plan lying nowhere near the project's villages (another county's file: every grid would be
    retired and every household counted as new, with nothing said)."""
    codes = set(prev.grids["code"].tolist())
    unknown = sorted({str(c) for c in locked} - codes)
    renamed = {u: prev.recoded[u] for u in unknown if prev.recoded.get(u) in codes}
    if renamed:  # last year's code of a recoded village: name its code now
        pairs_zh = "、".join(f"{o} 现为 {n}" for o, n in renamed.items())
        pairs_en = ", ".join(f"{o} is now {n}" for o, n in renamed.items())
        fixed = ",".join(renamed.get(c, c) for c in sorted({str(c) for c in locked}))
        raise MissingColumnError(
            f"要锁定的网格编码已因村（社区）代码变更而改编：{pairs_zh}",
            f"the grid codes to lock were renumbered when their village's division code changed: {pairs_en}",
            fix_zh=f"改用新编码：--lock {fixed}（新旧编码对照见“重绘变化”图层（changes）的 recoded_codes 列或台账的“重绘变化”表）。",
            fix_en=f"use the new codes: --lock {fixed} (the old → new table is in the changes layer's "
                   "recoded_codes column and the ledger's 重绘变化 sheet).",
            file=prev.file, layer=prev.layer, field=prev.code_column)
    if unknown:
        near = sorted(c for c in codes if any(str(c)[:12] == u[:12] for u in unknown))[:5] or sorted(codes)[:5]
        raise MissingColumnError(
            f"要锁定的网格在上一版中不存在：{'、'.join(unknown)}（上一版编码如 {'、'.join(near)}）",
            f"grids to lock are not in the previous plan: {', '.join(unknown)} (its codes are like "
            f"{', '.join(near)})",
            fix_zh=f"按上一版网格图层的编码字段“{prev.code_column}”改正 --lock 的编码（桌面程序：重绘对话框的“锁定网格”）。",
            fix_en=f"correct the --lock codes after the previous grids' code column {prev.code_column!r} (in the "
                   "app: Grids to lock in the redraw dialog).",
            file=prev.file, layer=prev.layer, field=prev.code_column)
    if villages is None or not len(villages) or not len(prev.grids) or prev.grids.crs is None \
            or villages.crs is None:
        return
    area = shapely.union_all(shapely.make_valid(villages.geometry.values))
    grids = prev.grids.to_crs(villages.crs).geometry.values
    if not shapely.intersects(area, shapely.make_valid(grids)).any():
        raise OptionError(
            f"上一版网格（{len(grids)} 个）与本项目的村（社区）没有任何重叠，可能是别的区县或乡镇的文件",
            f"the previous grids ({len(grids)}) do not overlap any of the project's villages: a plan of "
            "another county or township?",
            fix_zh="检查 --previous 的文件和图层；如坐标系有误，用 --crs-in previous=坐标系 指定。",
            fix_en="check the --previous file and layer; if its CRS is wrong, give it with "
                   "--crs-in previous=CRS.",
            file=prev.file, layer=prev.layer)


def _choose_layer(path: Path) -> str | None:
    if suffix_of(path) not in (".gpkg", ".kml", ".kmz", ".gml", ".fgb") or not path.exists():
        return None  # one layer per file (read_vector says what is wrong with it, if anything)
    try:
        layers = list_layers(path)
    except (pyogrio.errors.DataSourceError, OSError):
        return None
    if len(layers) <= 1:
        return layers[0] if layers else None
    if "grids" in layers:
        return "grids"
    named = [n for n in layers if "网格" in n or "grid" in n.lower()]
    named = [n for n in named if "sub" not in n.lower() and "子网格" not in n and "special" not in n.lower()]
    if len(named) == 1:
        return named[0]
    polygon = []
    for n, geom in pyogrio.list_layers(path):
        if geom and "polygon" in str(geom).lower():
            polygon.append(str(n))
    if len(polygon) == 1:
        return polygon[0]
    raise LayerNotFoundError(
        f"文件有多个图层（{', '.join(layers)}），请指定上一版网格所在的图层",
        f"the file has several layers ({', '.join(layers)}); name the one with the previous grids",
        fix_zh="写成 --previous 文件:图层名。", fix_en="give it as --previous PATH:LAYER.", file=str(path))


def find_code_column(gdf: gpd.GeoDataFrame, given: str | None = None, *, file: str | None = None,
                     layer: str | None = None) -> tuple[str, str]:
    """The column of grid codes and how it was found (``given``, ``header`` or ``content``)."""
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    if given:
        if given not in cols:
            raise MissingColumnError(
                f"上一版网格图层没有字段“{given}”；现有字段：{', '.join(map(str, cols))}",
                f"the previous grids layer has no column {given!r}; its columns: {', '.join(map(str, cols))}",
                fix_zh="检查 --field previous.code= 后的字段名。", fix_en="check the name after --field previous.code=.",
                file=file, layer=layer, field=given)
        return given, "given"
    keys = {_key(c): c for c in reversed(cols)}
    for cand in CODE_HEADERS:
        c = keys.get(_key(cand))
        if c is not None and _code_like(gdf[c]) > 0.5:
            return c, "header"
    best = None
    for c in cols:
        score = _code_like(gdf[c])
        if score > 0.9 and (best is None or score > best[0]):
            best = (score, c)
    if best is not None:
        return best[1], "content"
    raise MissingColumnError(
        f"找不到上一版网格的编码字段；现有字段：{', '.join(map(str, cols))}",
        f"no grid code column found in the previous grids; its columns: {', '.join(map(str, cols))}",
        fix_zh="用 --field previous.code=字段名 指定，例如 --field previous.code=网格编码。",
        fix_en="name it with --field previous.code=COLUMN, e.g. --field previous.code=网格编码.",
        file=file, layer=layer, field="code")


def _code_like(s: pd.Series) -> float:
    """How much a column looks like grid codes: unique, all filled, short tokens with a digit,
    not plain small numbers (household counts) nor names. 0 – 1."""
    v = s.map(_text)
    if not len(v) or (v == "").any() or v.duplicated().any():
        return 0.0
    if pd.api.types.is_float_dtype(s) and not (s.dropna() % 1 == 0).all():
        return 0.0  # areas, scores
    ok = v.map(lambda t: bool(_CODE_RE.match(t)) and any(ch.isdigit() for ch in t) and len(t) <= 40)
    digits_only = v.str.fullmatch(r"\d+")
    if digits_only.all() and v.str.len().max() < 4:
        return 0.2  # 1, 2, 3 …: row numbers or counts rather than codes
    return float(ok.mean())


def _text(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    s = str(v).strip()
    return s[:-2] if s.endswith(".0") and s[:-2].isdigit() else s


def _meta_of(path: Path, grids_layer: str | None) -> dict:
    """Of a gridtool project (its ``gridtool_meta`` table; nothing for other files): the ``gridtool
    join`` log on the grids (``joins``) and on the sub-grids (``subgrid_joins``), the personal columns
    of both layers (``sensitive``, ``subgrid_sensitive``) and the old → new code table of its last
    redraw (``recoded``) and the villages its plan partitioned with a neighbour (``merged``)."""
    import json

    from ..project import META_TABLE
    if suffix_of(path) != ".gpkg" or grids_layer != "grids":
        return {}
    try:
        if META_TABLE not in list_layers(path):
            return {}
        rows = pyogrio.read_dataframe(path, layer=META_TABLE)
        meta = {k: json.loads(v) for k, v in zip(rows["key"], rows["value"])}
    except (pyogrio.errors.DataSourceError, OSError, ValueError, KeyError):
        return {}
    logged = (meta.get("parameters") or {}).get("joins") or []
    layers = meta.get("layers") or {}
    return {"joins": [j for j in logged if j.get("target") == "grids"],
            "subgrid_joins": [j for j in logged if j.get("target") == "subgrids"],
            "sensitive": dict((layers.get("grids") or {}).get("sensitive") or {}),
            "subgrid_sensitive": dict((layers.get("subgrids") or {}).get("sensitive") or {}),
            "recoded": recoded_table(meta.get("parameters") or {}),
            "merged": merged_table(meta.get("parameters") or {})}


def _subgrids_of(path: Path, grids_layer: str | None, crs) -> gpd.GeoDataFrame | None:
    """The previous project's sub-grids layer (its codes, polygons and joined 楼长 / 网格助理 columns),
    when it has one."""
    if suffix_of(path) != ".gpkg" or grids_layer in (None, "subgrids", "households"):
        return None
    try:
        if "subgrids" not in list_layers(path):
            return None
        sg = pyogrio.read_dataframe(path, layer="subgrids")
    except (pyogrio.errors.DataSourceError, OSError):
        return None
    return sg.set_crs(crs) if sg.crs is None and crs is not None else sg


def _staff_columns(grids: gpd.GeoDataFrame, file: str, code_column: str) -> tuple[gpd.GeoDataFrame, list, dict]:
    """A grids file of another system with a 网格员 / 联系电话 / 网格长 column (named as ``gridtool
    join`` names them): those columns become gridtool's staff columns (``worker``, ``worker_phone``
    …), logged as a join from the file itself, so a redraw carries them by code like a ledger."""
    from ..join import PROTECTED, STAFF_KINDS, _find_staff
    staff = {c: t for c, t in _find_staff([str(c) for c in grids.columns if c not in PROTECTED]).items()
             if grids[c].map(lambda v: v is not None and v == v and str(v).strip() != "").any()}
    if not staff:
        return grids, [], {}
    out = grids.drop(columns=[t for c, t in staff.items() if t in grids and t != c])
    out = out.rename(columns={c: t for c, t in staff.items()})
    for t in staff.values():  # as text: a phone read as a number loses nothing but ".0"
        out[t] = [None if v is None or (isinstance(v, float) and v != v) else _text(v) for v in out[t]]
    entry = {"table": file, "sheet": None, "on": code_column, "target": "grids", "columns": dict(staff),
             "numeric": [], "source": "previous"}
    return out, [entry], {t: STAFF_KINDS[t] for t in staff.values()}


def _households_of(path: Path, grids_layer: str | None, crs) -> gpd.GeoDataFrame | None:
    """The previous plan's households (gridtool's own project or export: a ``households`` layer
    with ``grid``) to match today's households by position."""
    if suffix_of(path) != ".gpkg" or grids_layer in (None, "households"):
        return None
    try:
        layers = list_layers(path)
    except (pyogrio.errors.DataSourceError, OSError):
        return None
    if "households" not in layers:
        return None
    hs = pyogrio.read_dataframe(path, layer="households")
    if "grid" not in hs or not len(hs):
        return None
    if hs.crs is None and crs is not None:
        hs = hs.set_crs(crs)
    keep = [c for c in ("hh", "grid", "grid_parts", "subgrid", "subgrid_parts", hs.geometry.name) if c in hs]
    return hs[keep]
