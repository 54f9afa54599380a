"""The documented public API of ``gridtool.partition`` and ``gridtool.routing``: every name in
``__all__`` imports, is documented numpydoc-style, and the examples in the docstrings run
(doctest), so that what the README and the docstrings show keeps working."""

from __future__ import annotations

import doctest
import importlib
import inspect
import subprocess
import sys

import pytest

PACKAGES = ("gridtool.partition", "gridtool.routing")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _public(pkg_name: str):
    pkg = importlib.import_module(pkg_name)
    return pkg, [(n, getattr(pkg, n)) for n in pkg.__all__]


def _modules(pkg_name: str) -> list:
    """The package and every module defining one of its public names."""
    pkg, items = _public(pkg_name)
    mods = {pkg.__name__: pkg}
    for _, obj in items:
        mod = getattr(obj, "__module__", None)
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and mod and mod.startswith(pkg_name):
            mods[mod] = sys.modules[mod]
    return [mods[k] for k in sorted(mods)]


def test_the_readme_import_works():
    from gridtool.partition import GridPartitioner
    from gridtool.partition.engine import GridPartitioner as same
    assert GridPartitioner is same


@pytest.mark.parametrize("pkg_name", PACKAGES)
def test_importing_the_package_does_not_load_the_engines(pkg_name):
    """``import gridtool.partition`` / ``gridtool.routing`` stay light: the engines (and
    geopandas, SciPy, PyVRP) load on first use of a name."""
    code = (f"import sys, {pkg_name}; heavy = [m for m in ('geopandas', 'scipy', 'pyvrp', "
            f"'{pkg_name}.engine', '{pkg_name}.tours') if m in sys.modules]; assert not heavy, heavy")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


@pytest.mark.parametrize("pkg_name", PACKAGES)
def test_every_public_name_is_documented_numpydoc_style(pkg_name):
    _, items = _public(pkg_name)
    missing = []
    for name, obj in items:
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # constants (MODES, SPEEDS_KMH …)
        doc = inspect.getdoc(obj) or ""
        if not doc.strip():
            missing.append(f"{name}: no docstring")
            continue
        if inspect.isclass(obj) and issubclass(obj, Exception):
            continue  # an error: what it means is enough
        if inspect.isfunction(obj):
            params = [p for p in inspect.signature(obj).parameters.values()]
            if params and "Parameters\n----------" not in doc:
                missing.append(f"{name}: no Parameters section")
            if "Returns\n-------" not in doc and inspect.signature(obj).return_annotation not in (None, "None"):
                missing.append(f"{name}: no Returns section")
        elif not any(s in doc for s in ("Parameters\n----------", "Attributes\n----------")):
            missing.append(f"{name}: no Parameters or Attributes section")
    assert not missing, missing


@pytest.mark.parametrize("pkg_name", PACKAGES)
def test_the_examples_run(pkg_name):
    attempted = 0
    failures = []
    for mod in _modules(pkg_name):
        res = doctest.testmod(mod, optionflags=FLAGS, verbose=False, report=True)
        attempted += res.attempted
        if res.failed:
            failures.append(f"{mod.__name__}: {res.failed} of {res.attempted}")
    assert not failures, failures
    assert attempted >= 5  # the package has runnable examples (partition a village, plan a tour …)


def test_the_editing_model_example_runs():
    import gridtool.partition.edit.plan as plan
    res = doctest.testmod(plan, optionflags=FLAGS)
    assert res.failed == 0 and res.attempted > 0
