"""The built wheel works on its own: ``pip install`` it into a fresh venv, then ``gridtool demo`` runs
on the sample data shipped inside the package (not the checkout's).

Offline: the wheel is built without build isolation (setuptools and wheel from the test extra), and
the fresh venv sees this test environment's packages through an overlay — every entry of its
site-packages folders except gridtool's own — so ``pip install --no-index --find-links`` resolves
gridtool's ``install_requires`` against them (a missing dependency fails the install) and installs
gridtool itself from the wheel only.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.wheel


def _build_tools_missing() -> str | None:
    if importlib.util.find_spec("wheel") is None:
        return "the 'wheel' package is not installed (it is in the test extra: pip install -e '.[test]')"
    import setuptools
    if int(setuptools.__version__.split(".")[0]) < 68:
        return f"setuptools {setuptools.__version__} < 68 (the test extra has setuptools>=68)"
    return None


def _overlay(dest: Path) -> Path:
    """A folder of links to the entries of every site-packages folder on this interpreter's path,
    gridtool's own (and .pth files, which could bring a checkout back) left out."""
    dest.mkdir()
    roots = dict.fromkeys(Path(p).resolve() for p in sys.path
                          if p and Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir())
    for root in roots:
        for entry in root.iterdir():
            name = entry.name.lower()
            if ("gridtool" in name or name.startswith("__editable__") or name.endswith(".pth")
                    or (dest / entry.name).exists()):
                continue
            (dest / entry.name).symlink_to(entry)
    return dest


def test_wheel_demo_in_a_fresh_venv(tmp_path):
    missing = _build_tools_missing()
    if missing:
        pytest.skip(missing)
    t0 = time.perf_counter()
    # Build from a copy of the sources, so the checkout gets no build/ or egg-info folders.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(REPO / "gridtool", src / "gridtool", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "-w", str(dist), str(src)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(dist.glob("gridtool-*.whl"))
    assert wheel.stat().st_size > 6_000_000  # the font and the two sample GeoPackages are inside
    t_build = time.perf_counter() - t0

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    overlay = _overlay(tmp_path / "deps")
    (site / "zz_test_deps.pth").write_text(f"{overlay}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("GRIDTOOL_SAMPLE_DATA", "PYTHONPATH", "PYTHONHOME")}
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-index",
                              "--find-links", str(dist), "gridtool"], capture_output=True, text=True, timeout=600,
                             cwd=tmp_path, env=env)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-3000:]
    assert "Successfully installed gridtool" in install.stdout, install.stdout[-2000:]
    t_install = time.perf_counter() - t0 - t_build

    where = subprocess.run([str(py), "-c", "import gridtool.samples as d, gridtool.io.osm as o; print(d.__file__); "
                            "print(d.sample_data_dir()); print(sorted(p.name for p in d.sample_data_dir().glob('*.gpkg')));"
                            "print(o.OSM_CONFIG.is_file())"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert where.returncode == 0, where.stderr
    module, samples, names, osmconf = where.stdout.splitlines()
    assert osmconf == "True"  # GDAL's OSM configuration travels with the package too
    assert Path(module).is_relative_to(site) and Path(samples).is_relative_to(site), where.stdout
    assert names == str(["liechtenstein.gpkg", "nanjing-xuanwu.gpkg"])

    out = tmp_path / "demo"
    demo = subprocess.run([str(env_dir / "bin" / "gridtool"), "--lang", "en", "demo", "--out", str(out),
                           "--sample", "nanjing-xuanwu", "--quiet"], capture_output=True, text=True, cwd=tmp_path,
                          env=env, timeout=1800)
    t_demo = time.perf_counter() - t0 - t_build - t_install
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-3000:]
    assert "sample nanjing-xuanwu" in demo.stdout and "base grids" in demo.stdout
    summary = json.loads((out / "nanjing-xuanwu-summary.json").read_text(encoding="utf-8"))
    assert summary["layers"]["households"]["households"] > 1000
    assert (out / "nanjing-xuanwu.gpkg").stat().st_size > 100_000
    print(f"wheel build {t_build:.1f} s, install {t_install:.1f} s, demo {t_demo:.1f} s")
