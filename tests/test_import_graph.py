"""The layering of gridtool, read from its import graph (issue 18).

The graph is built statically: every ``.py`` file under ``gridtool/`` parsed with :mod:`ast`,
relative imports resolved, imports inside functions included (a lazy import still makes the
circle or the wrong arrow, only later). Imports under ``if TYPE_CHECKING:`` never run, so they
count for the layering but not for circles.

Edges: ``import a.b.c`` and ``from a.b import c`` (``c`` a submodule) go to that module;
``from a.b import name`` goes to ``a.b`` (its ``__init__``: package re-exports are edges too).
The implicit import of parent packages is left out, so a package ``__init__`` importing its own
submodules is not a circle; a submodule importing back through its package's ``__init__`` is
(``pkg.__init__ -> pkg.x -> pkg.__init__``), because that is the partially-initialised module trap.

The rules (cli → commands → engines → core; ui → engines; nothing back):

- no circles among modules;
- no engine or core module imports the command layer (``gridtool.commands``, ``gridtool.cli``,
  ``gridtool.__main__``) or the app (``gridtool.ui``);
- the app never imports the command layer.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "gridtool"

COMMAND_LAYER = ("gridtool.commands", "gridtool.cli", "gridtool.__main__")
APP = ("gridtool.ui",)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    runtime: bool  # False for imports under ``if TYPE_CHECKING:``


def _modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package ``__init__``)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_pkg)
    return out


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
            if name == "TYPE_CHECKING":
                for sub in node.body:
                    for inner in ast.walk(sub):
                        if hasattr(inner, "lineno"):
                            lines.add(inner.lineno)
    return lines


def _known(name: str, modules: dict) -> str | None:
    """``name`` or its nearest enclosing module that exists in the package."""
    while name not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if name in modules else None


def import_graph(root: Path = ROOT) -> tuple[dict, list[Edge]]:
    """The modules of the package at ``root`` and every import edge between them."""
    package = root.name
    modules = _modules(root)
    edges: list[Edge] = []
    for name, (path, is_pkg) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        typing_only = _type_checking_lines(tree)
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                # ``from pkg import sub`` imports the submodule; ``from pkg import name`` the package.
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names]
            for target in targets:
                if not (target == package or target.startswith(package + ".")):
                    continue
                known = _known(target, modules)
                if known and known != name:
                    edges.append(Edge(name, known, node.lineno, node.lineno not in typing_only))
    return modules, edges


def find_cycle(edges: list[Edge]) -> list[str] | None:
    """One circle of runtime imports as a path ``[a, b, …, a]``, or None (depth-first search)."""
    graph: dict[str, list[str]] = {}
    for e in edges:
        if e.runtime:
            graph.setdefault(e.source, []).append(e.target)
    WHITE, GREY, BLACK = 0, 1, 2
    colour: dict[str, int] = {}
    for start in sorted(graph):
        if colour.get(start, WHITE) != WHITE:
            continue
        stack = [(start, iter(sorted(set(graph.get(start, ())))))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = BLACK
                stack.pop()
                path.pop()
            elif colour.get(child, WHITE) == GREY:
                return path[path.index(child):] + [child]
            elif colour.get(child, WHITE) == WHITE:
                colour[child] = GREY
                stack.append((child, iter(sorted(set(graph.get(child, ()))))))
                path.append(child)
    return None


def _in(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _where(e: Edge) -> str:
    return f"{e.source} -> {e.target} (line {e.line})"


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_the_graph_sees_the_package(graph):
    """Not vacuous: the known arrows of the layering are found, lazy ones included."""
    modules, edges = graph
    assert len(modules) > 100
    pairs = {(e.source, e.target) for e in edges}
    assert ("gridtool.cli", "gridtool.commands") in pairs  # a package re-export
    assert ("gridtool.commands", "gridtool.commands.partition") in pairs  # ``from . import partition``
    assert any(s.startswith("gridtool.ui.") and t.startswith("gridtool.partition.edit") for s, t in pairs)
    assert any(s.startswith("gridtool.commands.") and t.startswith("gridtool.routing.") for s, t in pairs)
    # A circle broken only for type checkers is seen, and not counted as a circle.
    assert any(not e.runtime for e in edges)


def test_no_import_circles(graph):
    _, edges = graph
    cycle = find_cycle(edges)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_engines_and_core_never_import_the_command_layer_or_the_app(graph):
    _, edges = graph
    wrong = [_where(e) for e in edges
             if not _in(e.source, COMMAND_LAYER + APP) and _in(e.target, COMMAND_LAYER + APP)]
    assert not wrong, "engine/core modules importing the command layer or the app:\n" + "\n".join(wrong)


def test_the_app_never_imports_the_command_layer(graph):
    _, edges = graph
    wrong = [_where(e) for e in edges if _in(e.source, APP) and _in(e.target, COMMAND_LAYER)]
    assert not wrong, "the app importing the command layer:\n" + "\n".join(wrong)


def test_the_checks_catch_a_circle_and_a_wrong_arrow(tmp_path):
    """The graph and the circle finder on a made-up package with one circle through a package
    ``__init__``, one lazy circle, and an engine importing the command line."""
    pkg = tmp_path / "gridtool"
    (pkg / "engine").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "cli.py").write_text("from .engine import run\n")
    (pkg / "engine" / "__init__.py").write_text("from .run import run\n")
    (pkg / "engine" / "run.py").write_text("def run():\n    from ..cli import main\n")
    (pkg / "engine" / "a.py").write_text("from gridtool.engine import b\n")
    (pkg / "engine" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    _, edges = import_graph(pkg)
    cycle = find_cycle(edges)
    assert cycle is not None and cycle[0] == cycle[-1]
    assert {"gridtool.cli", "gridtool.engine.run"} <= set(cycle)
    assert ("gridtool.engine.run", "gridtool.cli") in {(e.source, e.target) for e in edges}
    # b -> a is typing only: no circle a <-> b.
    assert not [e for e in edges if e.source == "gridtool.engine.b" and e.runtime]
