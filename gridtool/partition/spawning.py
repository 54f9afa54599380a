"""Starting worker processes from a planner's own script.

A spawned process (``multiprocessing``'s ``spawn``, which the sub-grid workers and Dask's local
cluster both use) imports the parent's main script as ``__mp_main__`` so that functions defined
there can be called. A planner's script without ``if __name__ == "__main__":`` then runs again in
every worker: its whole partition and its file writes (sub-grid workers), or Python refuses to
start the worker at all and Dask prints a page of tracebacks (``Nanny failed to start``).
gridtool's workers only call gridtool's own functions (and Dask pickles anything defined in a
script by value), so the script is hidden from ``multiprocessing`` while they start.

Written by hand: neither :mod:`multiprocessing` nor Dask has an option to start without the main
module.
"""

from __future__ import annotations

import contextlib
import sys


@contextlib.contextmanager
def main_hidden():
    """Start processes inside this block without re-running the caller's script in them (the main
    module's ``__file__`` and ``__spec__`` are taken away and put back right after)."""
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if main is not None and k in main.__dict__}
    try:
        for k in saved:
            if k == "__spec__":
                main.__spec__ = None
            else:
                del main.__dict__[k]
        yield
    finally:
        for k, v in saved.items():
            main.__dict__[k] = v
