"""What a Chinese reader sees in gridtool's output files, and the English left in it.

``visible_texts(path)`` gives ``[(where, text)]`` of one file: xlsx sheet names, headers and cell
values; HTML visible text, the popup/tooltip/label templates and the values of the data layers'
columns the popups show; PDF text (``pdftotext``); CSV headers and cells; KML ``<name>``,
``<description>`` and ``<SimpleData>``; Markdown as it is. ``latin_words(texts, allowed)`` lists the
runs of Latin letters left after the words a Chinese file may hold (units, codes, attribution,
kept layer and column names, place names from the data).
"""

from __future__ import annotations

import csv
import html as htmllib
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

#: Latin words a Chinese file may hold: units, formats, codes, attribution, the product's name.
ALLOWED = frozenset({
    "km", "m", "mm", "cm", "kg", "h", "min", "s", "CGCS", "EPSG", "WGS", "GCJ", "BD", "GK", "CRS", "DEM", "GPS",
    "OpenStreetMap", "OSM", "contributors", "Leaflet", "gridtool", "ID", "No", "FID", "A", "B", "C", "D", "E",
    "N", "S", "W", "PDF", "HTML", "KML", "KMZ", "GPX", "CSV", "Excel", "GeoPackage", "QGIS", "ArcGIS", "way",
    "node", "relation", "http", "https", "www", "org", "osm", "copyright", "px",
    "Polsby", "Popper",  # 紧凑度（Polsby-Popper）: the measure named after its authors, as 高斯-克吕格 is
})

#: A run of Latin letters (accented ones too: "Schüle" is one word), two or more.
WORD = r"[A-Za-zÀ-ɏ][A-Za-zÀ-ɏ_]+"


def _xlsx(path: Path) -> list[tuple[str, str]]:
    from openpyxl import load_workbook
    out = []
    wb = load_workbook(path, read_only=True)
    for ws in wb.worksheets:
        out.append((f"{path.name}:sheet", ws.title))
        for r, row in enumerate(ws.iter_rows(values_only=True), 1):
            out += [(f"{path.name}:{ws.title}:{r}", str(v)) for v in row if isinstance(v, str)]
    return out


def _csv(path: Path) -> list[tuple[str, str]]:
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    return [(f"{path.name}:{r}", v) for r, row in enumerate(csv.reader(io.StringIO(text)), 1) for v in row if v]


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _untag(fragment: str) -> str:
    text = re.sub(r"<[^>]*>", " ", fragment)
    return htmllib.unescape(re.sub(r"\{\w+\}|\[\[|\]\]", " ", text))


def _html(path: Path) -> list[tuple[str, str]]:
    page = path.read_text(encoding="utf-8")
    out = []
    for m in re.finditer(r"gridtool\.addLayer\(\w+, \w+, (\{.*?\})\);\n", page):
        payload = json.loads(m.group(1))
        for key in ("tip", "pop", "label"):
            if isinstance(payload.get(key), str):
                out.append((f"{path.name}:{key}", _untag(payload[key])))
        for col, values in (payload.get("cols") or {}).items():
            out += [(f"{path.name}:{col}", _untag(v)) for v in _strings(values) if v]
    out += [(f"{path.name}:layer", json.loads(f'"{g}"')) for g in re.findall(r'"([^"]+)" : feature_group_\w+', page)]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    out += [(f"{path.name}:page", t) for t in (s.strip() for s in _untag(body).splitlines()) if t]
    out += [(f"{path.name}:attr", v) for v in re.findall(r'(?:title|placeholder)="([^"]*)"', body)]
    return out


def _pdf(path: Path) -> list[tuple[str, str]]:
    text = subprocess.run([shutil.which("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [(path.name, line.strip()) for line in text.splitlines() if line.strip()]


def _kml_text(data: bytes, name: str) -> list[tuple[str, str]]:
    out = []
    for el in ET.fromstring(data).iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag in ("name", "description", "SimpleData", "Data", "value") and el.text and el.text.strip():
            out.append((f"{name}:{tag}", _untag(el.text)))
    return out


def visible_texts(path: Path) -> list[tuple[str, str]]:
    """``[(where, text)]``: the text a reader of ``path`` sees."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _xlsx(path)
    if suffix == ".csv":
        return _csv(path)
    if suffix == ".html":
        return _html(path)
    if suffix == ".pdf":
        return _pdf(path)
    if suffix == ".kml":
        return _kml_text(path.read_bytes(), path.name)
    if suffix == ".kmz":
        with zipfile.ZipFile(path) as z:
            return [t for n in z.namelist() if n.endswith(".kml") for t in _kml_text(z.read(n), path.name)]
    if suffix in (".md", ".txt"):
        return [(path.name, line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return []


def latin_words(texts, allowed=frozenset()) -> dict[str, set[str]]:
    """``{word: {where …}}``: runs of two or more Latin letters not in :data:`ALLOWED` or ``allowed``."""
    keep = ALLOWED | set(allowed)
    out: dict[str, set[str]] = {}
    for where, text in texts:
        text = re.sub(r"https?://\S+|©[^；;\n]*", " ", text)
        for word in re.findall(WORD, text):
            if word not in keep:
                out.setdefault(word, set()).add(where)
    return out


#: Columns holding gridtool's codes (school, too_small, row 5#1/3): their words are gridtool's, not data.
CODE_COLUMNS = frozenset({"category", "status", "note", "kind", "mode", "apartment_parts", "subgrid_parts",
                          "grid_parts", "src_id", "fid", "layer", "role", "corridor", "class", "source"})


def data_words(*sources) -> set[str]:
    """Latin words found in the text columns of ``sources`` (projects, or GeoPackages: every layer;
    OSM names in Liechtenstein): data, not gridtool's words. Columns of codes
    (:data:`CODE_COLUMNS`) are left out."""
    import pandas as pd
    import pyogrio
    words: set[str] = set()
    frames = []
    for src in sources:
        if hasattr(src, "layers"):
            frames += [getattr(layer, "gdf", layer) for layer in src.layers.values()]
        else:
            frames += [pyogrio.read_dataframe(src, layer=str(n), read_geometry=False)
                       for n, _ in pyogrio.list_layers(src)]
    for gdf in frames:
        for col in gdf.columns:
            if col != "geometry" and col not in CODE_COLUMNS and not pd.api.types.is_numeric_dtype(gdf[col]):
                for v in gdf[col].dropna().astype(str).unique():
                    words.update(re.findall(WORD, v))
    return words


def output_files(folder: Path) -> list[Path]:
    """The files a user hands out under ``folder``."""
    return sorted(p for p in Path(folder).rglob("*")
                  if p.suffix.lower() in (".xlsx", ".csv", ".html", ".pdf", ".kml", ".kmz", ".md"))


if __name__ == "__main__":  # python -m tests.zh_text PROJECT.gpkg… DIR…: the English words and where they are
    import sys

    args = sys.argv[1:]
    known = data_words(*[a for a in args if a.endswith(".gpkg")])
    for arg in (a for a in args if not a.endswith(".gpkg")):
        for f in output_files(Path(arg)) if Path(arg).is_dir() else [Path(arg)]:
            words = latin_words(visible_texts(f), known)
            if words:
                print(f"== {f}")
                for w, where in sorted(words.items()):
                    print(f"   {w:<24} {', '.join(sorted(where))[:150]}")
