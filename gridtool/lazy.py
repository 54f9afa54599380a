"""Names of a package imported from their module on first use (PEP 562), so that importing the
package (``gridtool.partition``, ``gridtool.routing``) does not load its engines."""

from __future__ import annotations

from importlib import import_module
from typing import Callable


def lazy_exports(package: str, where: dict[str, str], namespace: dict) -> tuple[Callable, Callable]:
    """``__getattr__`` and ``__dir__`` for ``package`` whose names ``where`` maps to submodules;
    ``namespace`` is the package's ``globals()`` (a name, once imported, is kept there)."""

    def __getattr__(name: str):
        if name in where:
            value = getattr(import_module(f".{where[name]}", package), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace.get("__all__", ())) | set(namespace))

    return __getattr__, __dir__
