"""Project files open in another program: GDAL's own ogrinfo (Debian gdal-bin), as QGIS would read them."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest

from gridtool.project import Project
from gridtool.validate import validate

ogrinfo = shutil.which("ogrinfo")


def test_project_is_a_conformant_geopackage(tmp_path, written):
    out = Project.from_sources(written).save(tmp_path / "p.gpkg")
    with sqlite3.connect(out) as con:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0]: r[1] for r in con.execute("SELECT table_name, data_type FROM gpkg_contents")}
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    assert app_id == 0x47504B47  # "GPKG"
    assert tables["households"] == "features" and tables["gridtool_meta"] == "attributes"
    assert integrity == "ok"


@pytest.mark.skipif(ogrinfo is None, reason="ogrinfo (Debian gdal-bin) not installed; .ci/run installs it")
def test_ogrinfo_reads_the_project_with_chinese_text(tmp_path, written):
    project = Project.from_sources(written)
    validate(project)
    out = project.save(tmp_path / "项目.gpkg")
    run = subprocess.run([ogrinfo, "-so", "-al", str(out)], capture_output=True, text=True, check=True)
    summary = run.stdout
    assert "partially supported" not in run.stderr  # older GDAL/QGIS read it without complaint
    assert "Layer name: households" in summary and "Feature Count: 60" in summary
    assert "Layer name: villages" in summary and "Feature Count: 2" in summary
    assert "CGCS2000" in summary
    feats = subprocess.run([ogrinfo, "-q", str(out), "villages"], capture_output=True, text=True, check=True).stdout
    assert "东方广场社区" in feats and "500101001001" in feats
