"""What a file holds before any role is chosen (``gridtool info FILE``): its layers with feature
counts, households, CRS and encoding, and the columns that look like village names, division codes,
townships, counties, household counts and line classes.

Built on the readers (:mod:`gridtool.io.vector`, :mod:`gridtool.io.osm`) and the column recognisers
(:mod:`gridtool.column_content`, :mod:`gridtool.lineclasses`), without building a project.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio

from .column_content import Found, candidates, guess, samples_of, text_values
from .columns import find_column
from .errors import GridtoolError
from .io.excel_sheets import SHEET_COLUMN, names_villages
from .io.files import check_geopackage, check_not_in_use
from .io.sniff import ACCEPTS, sniff
from .io.vector import check_exists, check_shapefile_parts, list_layers, read_vector, split_path_layer, suffix_of
from .lineclasses import find as find_line_column


def file_info(path: str) -> dict:
    """Layers of any input file, with counts, households and CRS, without building a project."""
    p, layer = split_path_layer(path)
    sfx = suffix_of(Path(p))
    check_exists(Path(p))
    info = {"name": Path(p).name, "crs": "EPSG:4326" if sfx in (".osm", ".pbf") else "", "layers": {}}
    if sfx in (".osm", ".pbf"):
        from .io.osm import osm_roles_available
        for role, n in osm_roles_available(p).items():
            info["layers"][role] = {"features": n, "crs": "EPSG:4326"}
        return info
    if sfx == ".dxf":  # a CAD drawing: its entities, the text encoding and the CAD layers
        from .io.dxf import dxf_encoding
        raw = read_vector(p, layer=layer)
        enc = dxf_encoding(Path(p))
        cad = raw.gdf["Layer"].fillna("0").value_counts() if "Layer" in raw.gdf else pd.Series(dtype=int)
        info["layers"]["entities"] = {
            "features": len(raw.gdf), "crs": "(none: --crs-in)", "encoding": f"{enc.encoding} ({enc.source})",
            "encoding_sample": [f"{k} ({v})" for k, v in cad.head(20).items()]}
        return info
    if Path(p).is_file():
        kind = sniff(p)
        if kind == "sqlite":
            check_not_in_use(Path(p))
            check_geopackage(Path(p))
        if kind == "empty" or kind not in ACCEPTS.get(sfx, (kind,)) or sfx in (".zip", ".kmz"):
            return _info_as_read(p, layer, info)  # the reader says what the file holds, or reads it as such
        if sfx == ".shp":
            check_shapefile_parts(Path(p))
    try:
        names = [layer] if layer else list_layers(p)
    except GridtoolError:
        raise
    except Exception:  # noqa: BLE001 - a driver's own error: the reader turns it into a plain message
        return _info_as_read(p, layer, info)
    for name in names:
        if sfx in (".csv", ".txt", ".xlsx", ".xls"):
            try:
                raw = read_vector(p, layer=name if sfx in (".xlsx", ".xls") else None)
            except GridtoolError as exc:  # a notes sheet, a table without coordinates
                info["layers"][name] = {"features": 0, "note": exc.format("en").splitlines()[0]}
                continue
            e = {"features": len(raw.gdf), "crs": "(none: lon/lat or --crs-in)",
                 "columns": {k: v for k, v in raw.columns_used.items()}}
            df = raw.gdf
        else:
            try:
                meta = pyogrio.read_info(p, layer=name)
            except Exception:  # noqa: BLE001 - e.g. field names cut mid-character: read as the reader does
                if len(names) > 1:
                    raise
                return _info_as_read(p, layer, info)
            if meta.get("geometry_type") is None:
                continue  # attribute tables such as gridtool_meta
            e = {"features": int(meta["features"]), "crs": meta.get("crs") or "(none)"}
            if sfx == ".shp":
                from .encoding import detect_shapefile_encoding
                enc = detect_shapefile_encoding(p)
                e["encoding"] = f"{enc.encoding} ({enc.source})"
                e["encoding_sample"] = list(enc.sample)
            df = None
            if "hh" in list(meta["fields"]):
                df = pyogrio.read_dataframe(p, layer=name, columns=["hh"], read_geometry=False)
        if df is not None and "hh" in df:
            hh = pd.to_numeric(df["hh"], errors="coerce")
            e["households"] = int(hh[hh.abs() < float("inf")].clip(lower=0).sum())
        try:  # what the columns look like, from the first rows (村名：F1（石柱村、龙潭村…）)
            sample = df if df is not None and len(df.columns) > 1 else (
                raw.gdf if sfx in (".csv", ".txt", ".xlsx", ".xls") else
                pyogrio.read_dataframe(p, layer=name, read_geometry=False, max_features=2000))
            e["columns_detail"] = _table_columns(sample.drop(columns="geometry", errors="ignore"))
        except Exception:  # noqa: BLE001 - a sample that cannot be read only loses this line
            pass
        info["layers"][name] = e
    return info


def _table_columns(df: pd.DataFrame) -> dict[str, dict]:
    """:func:`detect_columns`, told the truth about a merged workbook (``PATH:*``): village names
    in its sheet column come from the sheet names, as the loader takes them (when the sheets are
    not named Sheet1, Sheet2 … and no column is headed 村); otherwise that column is no village."""
    if SHEET_COLUMN not in df:
        return detect_columns(df)
    by_sheet = names_villages(df[SHEET_COLUMN].dropna().unique()) and not find_column(
        [c for c in df.columns if c != SHEET_COLUMN], "village")
    found = detect_columns(df if by_sheet else df.drop(columns=SHEET_COLUMN))
    name = found.get("village_name")
    if name and name.get("column") == SHEET_COLUMN:
        name["by"] = "sheet"
    return found


def _info_as_read(path: str, layer: str | None, info: dict) -> dict:
    """The file read whole by :func:`read_vector`, for files the quick look cannot open: a renamed
    file, a zip, a damaged file (the reader's plain message is raised)."""
    raw = read_vector(path, layer=layer)
    df = raw.gdf
    e = {"features": len(df), "crs": df.crs.to_string() if df.crs is not None else "(none: lon/lat or --crs-in)"}
    if raw.columns_used:
        e["columns"] = dict(raw.columns_used)
    if "hh" in df:
        hh = pd.to_numeric(df["hh"], errors="coerce")
        e["households"] = int(hh[hh.abs() < float("inf")].clip(lower=0).sum())
    try:
        e["columns_detail"] = detect_columns(df.drop(columns="geometry", errors="ignore"))
    except Exception:  # noqa: BLE001 - a sample that cannot be read only loses this line
        pass
    if raw.problems:  # e.g. "named .xlsx but holds plain text; read as such"
        e["note"] = " | ".join(f"{p.zh} / {p.en}" for p in raw.problems[:3])
    info["layers"][raw.layer or Path(path).stem] = e
    return info


def detect_columns(df: pd.DataFrame) -> dict[str, dict]:
    """What ``gridtool info FILE`` shows before any role is chosen: the columns that look like
    village names, division codes, townships, counties, household counts and line classes."""
    out: dict[str, dict] = {}
    used: list[str] = []
    codes = None
    for key in ("code", "name", "township", "county", "hh"):
        col = find_column(df.columns, key, exclude=used)
        if col is not None and len(text_values(df[col])):
            f = Found(key, col, "header", samples_of(df[col]))
        else:
            f = guess(df, key, role="villages", exclude=used, codes=codes)
        if f is None:
            continue
        if key == "name" and f.by == "header" and not len(candidates(df[[f.column]], "name", role="villages")):
            continue  # a name column that holds no village names (a road's name): not shown as 村名
        out["village_name" if key == "name" else key] = f.to_dict()
        used.append(f.column)
        if key == "code":
            codes = text_values(df[f.column], limit=len(df) + 1)
    for what, label in (("tag", "class"), ("dlbm", "dlbm"), ("dlmc", "dlmc"), ("code", "f_code"),
                        ("ref", "ref"), ("width", "width"), ("lanes", "lanes")):
        col = find_line_column(df.columns, what)
        if col is not None and col not in used:
            out[label] = Found(label, col, "header", samples_of(df[col])).to_dict()
            used.append(col)
    return out


__all__ = ["detect_columns", "file_info"]
