"""Cancel while the ledger (Excel), the HTML map and the GIS files are being made: each writer asks
``cancelled()`` as it works (between sheets and every few thousand rows, between layers) and stops at
the first check that says so, leaving no file and no temporary file; never cancelled, the files are
those written without a ``cancelled`` at all.

No timing: ``cancelled`` is a callable that turns true after k checks and counts them.
"""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pyogrio
import pytest

from gridtool.errors import CancelledError
from gridtool.maps import gis, ledger
from gridtool.maps.html import write_html

from .maps_data import make_project


class CancelAfter:
    """``cancelled()`` that answers False ``k`` times, then True (never, for ``k=None``); counts its calls."""

    def __init__(self, k: int | None = None):
        self.k = k
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.k is not None and self.calls > self.k


@pytest.fixture(scope="module")
def project():
    return make_project()


def _files(folder):
    return sorted(str(f.relative_to(folder)) for f in folder.rglob("*") if f.is_file())


def _cancel_at_every_stage(tmp_path, write, n: int) -> None:
    """Cancelled after k checks, for the first, a middle and the last check: CancelledError at
    once (the check that turned true is the last one asked) and nothing in the folder."""
    assert n >= 3
    for k in sorted({0, n // 2, n - 1}):
        out = tmp_path / f"cancel-{k}"
        out.mkdir()
        c = CancelAfter(k)
        with pytest.raises(CancelledError):
            write(out, c)
        assert c.calls == k + 1, f"cancelled after {k} checks, but asked {c.calls} times"
        assert _files(out) == [], f"cancelled after {k} checks left {_files(out)}"


# -- ledger -------------------------------------------------------------------------------------
def _cells(path):
    wb = openpyxl.load_workbook(path)
    return [(ws.title, ws.freeze_panes, [[(c.value, c.number_format, c.font.b) for c in row] for row in ws.iter_rows()])
            for ws in wb.worksheets]


@pytest.mark.parametrize("rows_per_check", [ledger.ROWS_PER_CHECK, 7])
def test_a_cancelled_ledger_stops_at_the_next_check_and_writes_nothing(project, tmp_path, monkeypatch,
                                                                       rows_per_check):
    monkeypatch.setattr(ledger, "ROWS_PER_CHECK", rows_per_check)
    plain = ledger.write_ledger_xlsx(project, tmp_path / "plain.xlsx")
    never = CancelAfter()
    steps = []
    checked = ledger.write_ledger_xlsx(project, tmp_path / "checked.xlsx", cancelled=never,
                                       progress=lambda f, m: steps.append(f))
    assert _cells(checked) == _cells(plain)  # xlsx zips carry timestamps: the cells are compared
    assert steps == sorted(steps) and 0 <= steps[0] and steps[-1] < 1
    n = never.calls
    households = len(ledger.ledger_tables(project).sheet("住户名单").rows)
    if rows_per_check == 7:  # the household list is asked about every 7 rows, not only between sheets
        assert households > 30 and n > households // 7
    _cancel_at_every_stage(tmp_path, lambda out, c: ledger.write_ledger_xlsx(project, out / "ledger.xlsx",
                                                                             cancelled=c), n)


# -- HTML map -----------------------------------------------------------------------------------
def _html(path) -> str:
    """The page with folium's random element ids numbered in order of appearance."""
    text = path.read_text(encoding="utf-8")
    ids: dict[str, str] = {}
    return re.sub(r"_[0-9a-f]{32}(?![0-9a-f])", lambda m: ids.setdefault(m.group(0), f"_id{len(ids)}"), text)


def test_a_cancelled_html_map_stops_at_the_next_check_and_writes_nothing(project, tmp_path):
    plain = write_html(project, tmp_path / "plain.html", embed_font=False)
    never = CancelAfter()
    checked = write_html(project, tmp_path / "checked.html", embed_font=False, cancelled=never)
    assert _html(checked.path) == _html(plain.path)
    assert checked.counts == plain.counts
    n = never.calls
    assert n > 2 * len(plain.counts)  # around every layer's encoding, not only before and after
    _cancel_at_every_stage(tmp_path, lambda out, c: write_html(project, out / "map.html", embed_font=False,
                                                               cancelled=c), n)


# -- GIS ----------------------------------------------------------------------------------------
def _gpkg(path):
    """Every table of the GeoPackage (the QGIS styles without their time of writing)."""
    out = []
    for name, _ in pyogrio.list_layers(path):
        df = pyogrio.read_dataframe(path, layer=name)
        df = df.to_wkt() if hasattr(df, "to_wkt") else df.drop(columns=["update_time"], errors="ignore")
        out.append((name, df.to_dict("list")))
    return out


def _zip(path):
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _bytes(folder):
    return {f: (folder / f).read_bytes() for f in _files(folder)}


GIS = {  # format: (write into a folder, the content to compare)
    "gpkg": (lambda p, out, **kw: gis.write_gpkg(p, out / "grids.gpkg", **kw), lambda out: _gpkg(out / "grids.gpkg")),
    "shp": (lambda p, out, **kw: gis.write_shapefiles(p, out, **kw), _bytes),
    "shp-zip": (lambda p, out, **kw: gis.write_shapefiles(p, out / "grids.zip", **kw),
                lambda out: _zip(out / "grids.zip")),
    "geojson": (lambda p, out, **kw: gis.write_geojson(p, out, **kw), _bytes),
    "kml": (lambda p, out, **kw: gis.write_kml(p, out / "grids.kml", **kw), _bytes),
    "kmz": (lambda p, out, **kw: gis.write_kml(p, out / "grids.kmz", **kw), lambda out: _zip(out / "grids.kmz")),
}


@pytest.mark.parametrize("fmt", list(GIS))
def test_a_cancelled_gis_export_stops_at_the_next_check_and_writes_nothing(project, tmp_path, fmt):
    write, content = GIS[fmt]
    plain, checked = tmp_path / "plain", tmp_path / "checked"
    plain.mkdir()
    checked.mkdir()
    written = write(project, plain)
    never = CancelAfter()
    steps = []
    again = write(project, checked, cancelled=never, progress=lambda f, m: steps.append(f))
    assert [(w.layer, w.features, w.notes) for w in again] == [(w.layer, w.features, w.notes) for w in written]
    assert content(checked) == content(plain)
    layers = {w.layer.split("_")[0] for w in written}
    assert len(layers) >= 2 and steps == sorted(steps) and len(steps) >= len(layers)
    n = never.calls
    assert n > 2 * len(layers)  # while preparing and while writing every layer
    _cancel_at_every_stage(tmp_path, lambda out, c: write(project, out, cancelled=c), n)


def test_a_cancelled_kml_is_asked_about_every_few_thousand_placemarks(project, tmp_path, monkeypatch):
    never = CancelAfter()
    data, counts = gis.kml_document(project, cancelled=never)
    monkeypatch.setattr(gis, "FEATURES_PER_CHECK", 2)
    often = CancelAfter()
    assert gis.kml_document(project, cancelled=often) == (data, counts)
    assert often.calls - never.calls >= sum(n // 2 for n in counts.values()) - len(counts)
    _cancel_at_every_stage(tmp_path, lambda out, c: gis.write_kml(project, out / "grids.kml", cancelled=c),
                           often.calls)
