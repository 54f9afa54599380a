"""Sub-grids of a large plan drawn on worker processes, one share of the grids on each core.

The sub-grids of one grid depend only on that grid's households, its outline and the barrier
lines across it (:func:`.subgrid_draw.subgrids_of`), so the grids can be drawn anywhere and collected
in grid order: the plan is the same as on one core, byte for byte
(``tests/test_subgrid_workers.py``). Threads do not help here: most of the work is many small
NumPy, shapely and solver calls that hold the GIL (measured on 150,000 households: 2 threads, the
same wall time and 50 % more CPU). So these are processes, started with ``spawn`` — the same on
Windows and Linux, and safe beside the engine's corridor thread, which ``fork`` is not.

Each task carries a batch of grids: their features, households, positions and outlines (WKB), and
only the barrier lines whose boxes meet those grids (a site-to-site segment inside a grid lies in
its box, so no other line can cross it). The workers are started when the fit begins, so their
start-up (about 1.5 s of imports) overlaps the blocks and grids.

Written by hand because :mod:`concurrent.futures` gives the pool but not the batching, the barrier
subsets, the cancel or the fallback: when the workers cannot start (a process that may not have
children, such as a Dask worker) or break, the grids are drawn in this process and the reason is
kept in :attr:`SubgridWorkers.note`. The workers start without the caller's main script (a
planner's script without ``if __name__ == "__main__":`` is not run again in them); a frozen app
does not start them unless asked.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from typing import Callable

import numpy as np
import shapely

from ..arrays import unique_ints
from ..errors import CancelledError
from .spawning import main_hidden

#: Households from which a fit draws its sub-grids on worker processes by default.
AUTO_MIN_HOUSEHOLDS = 100_000


def auto_processes(households: int, setting: int | None) -> int:
    """How many worker processes a fit of ``households`` uses: ``setting`` when given (1: none),
    else the machine's cores (at most 4) for a plan of :data:`AUTO_MIN_HOUSEHOLDS` or more."""
    if setting is not None:
        return max(1, int(setting))
    if households < AUTO_MIN_HOUSEHOLDS or getattr(sys, "frozen", False):
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


class SubgridWorkers:
    """A pool of ``n`` spawned processes drawing sub-grids (see the module docstring).

    ``note`` is None while the workers serve, else why the grids were drawn here instead."""

    def __init__(self, n: int):
        self.n = int(n)
        self.note: str | None = None
        self.cpu_seconds = 0.0  # the workers' CPU on the batches collected
        self._ex = None
        self._jobs = None
        if multiprocessing.current_process().daemon:  # a Dask or pool worker may not have children
            self.note = "this process may not start others (a batch worker): drawn on one core"
            return
        try:
            from concurrent.futures import ProcessPoolExecutor
            self._ex = ProcessPoolExecutor(max_workers=self.n, mp_context=multiprocessing.get_context("spawn"))
            # Started now (one process per submit), so that their imports overlap the blocks and
            # grids; without the caller's main script, which they do not need (see .spawning).
            with main_hidden():
                self._warm = [self._ex.submit(_ready) for _ in range(self.n)]
        except (OSError, RuntimeError, ValueError) as exc:
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        self.note = f"sub-grid workers unavailable ({type(exc).__name__}: {exc}); drawn in this process"
        self.close()

    def close(self, wait: bool = False) -> None:
        """Stop the workers (``wait``: until they have exited; they are idle after a fit)."""
        if self._ex is not None:
            self._ex.shutdown(wait=wait, cancel_futures=True)
            self._ex = None

    def call(self, fn, *args) -> "_Remote | None":
        """``fn(*args)`` on a worker (``fn`` importable, the arguments picklable), as a job with
        ``result()``, ``seconds`` and ``cpu_seconds`` like the engine's thread jobs; None when the
        workers are unavailable. Used for the corridors and crossing faces, which depend only on
        the inputs: on a worker they do not contend for this process's GIL, as a thread does."""
        if self._ex is None:
            return None
        try:
            return _Remote(self._ex.submit(_timed, fn, *args), fn, args)
        except (OSError, RuntimeError) as exc:
            self._fail(exc)
            return None

    def submit(self, work: tuple[list[int], dict], g_geoms, ctx: dict, bounds: dict) -> None:
        """Hand the grids of :func:`.subgrids.subgrid_work` to the workers now; :meth:`draw`
        collects them."""
        if self._ex is None:
            return
        try:
            self._jobs = (work[0], self._submit(*work, g_geoms, ctx, bounds))
        except (OSError, RuntimeError) as exc:
            self._fail(exc)

    def _submit(self, todo, weights, g_geoms, ctx, bounds) -> "_Jobs":
        # Batches of similar work (households), several per worker so that they finish together.
        hh = np.array([int(weights[gi][1].sum()) for gi in todo], dtype=np.int64)
        target = max(int(hh.sum()) // (self.n * 6), 1)
        batches, cur, acc = [], [], 0
        for gi, h in zip(todo, hh.tolist()):
            cur.append(gi)
            acc += h
            if acc >= target:
                batches.append(cur)
                cur, acc = [], 0
        if cur:
            batches.append(cur)
        return _Jobs(self._ex, batches, weights, g_geoms, ctx, bounds, ahead=2 * self.n)

    def draw(self, todo: list[int], weights: dict, g_geoms, ctx: dict, bounds: dict, stop: Callable[[], bool]):
        """The results of :func:`.subgrid_draw.subgrids_of` for the grids ``todo``, in that order
        (with the outlines dissolved in the workers)."""
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        if self._ex is None:
            raise _Restart()
        try:
            if self._jobs is not None and self._jobs[0] == todo:
                jobs = self._jobs[1]
            else:
                jobs = self._submit(todo, weights, g_geoms, ctx, bounds)
            self._jobs = None
            for i in range(len(jobs.batches)):
                f = jobs.future(i)
                while True:
                    done, _ = wait([f], timeout=0.1, return_when=FIRST_COMPLETED)
                    if done:
                        break
                    if stop():
                        raise CancelledError()
                if stop():
                    raise CancelledError()
                cpu, results = f.result()
                jobs.forget(i)
                self.cpu_seconds += cpu
                yield from results
        except CancelledError:
            self.close()
            raise
        except (BrokenProcessPool, OSError, RuntimeError) as exc:
            self._fail(exc)
            raise _Restart() from exc


class _Remote:
    """A call on a worker; when the workers broke, ``result()`` makes it here instead (the same
    function on the same inputs: the same result)."""

    def __init__(self, fut, fn, args):
        self._fut, self._fn, self._args = fut, fn, args
        self._done = False
        self._out = None
        self.seconds = self.cpu_seconds = 0.0

    def result(self):
        from concurrent.futures.process import BrokenProcessPool
        if not self._done:
            try:
                self._out, self.seconds, self.cpu_seconds = self._fut.result()
            except BrokenProcessPool:
                self._out, self.seconds, self.cpu_seconds = _timed(self._fn, *self._args)
            self._done, self._fn, self._args = True, None, None
        return self._out


def _timed(fn, *args):
    import time
    t, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - t, time.process_time() - c


class _Jobs:
    """The batches of one draw, each sent when it comes within ``ahead`` batches of the one being
    collected: the workers always have the next at hand, and this process does not hold every
    batch's arrays and WKB at once."""

    def __init__(self, ex, batches, weights, g_geoms, ctx, bounds, *, ahead: int):
        self.ex, self.batches, self.weights, self.g_geoms, self.ctx, self.bounds = ex, batches, weights, g_geoms, ctx, bounds
        self.ahead = ahead
        self.futs: dict = {}
        self.sent = 0
        self._top_up(0)

    def _top_up(self, i: int) -> None:
        while self.sent < len(self.batches) and self.sent < i + self.ahead:
            self.futs[self.sent] = self._send(self.batches[self.sent])
            self.sent += 1

    def future(self, i: int):
        self._top_up(i)
        return self.futs[i]

    def forget(self, i: int) -> None:
        self.futs.pop(i, None)
        self._top_up(i + 1)

    def _send(self, b: list[int]):
        xy_all, tree, aff = self.ctx["points_xy"], self.ctx["barriers"], self.ctx["barrier_affinity"]
        w, g_geoms = self.weights, self.g_geoms
        boxes = shapely.box(*shapely.bounds(np.asarray([g_geoms[gi] for gi in b], dtype=object)).T)
        li = unique_ints(tree.query(boxes)[1]) if tree is not None else np.zeros(0, dtype=np.int64)
        if len(aff):  # lines of affinity 1 change no edge (units._site_edges): not sent
            li = li[aff[li] < 1.0]
        lines = shapely.to_wkb(tree.geometries.take(li)) if tree is not None else None
        grids = [(w[gi][0], w[gi][1], xy_all[w[gi][0]], shapely.to_wkb(g_geoms[gi])) for gi in b]
        return self.ex.submit(_draw_batch, grids, lines, aff[li] if len(aff) else aff, self.bounds)


class _Restart(Exception):
    """The workers broke: :func:`draw_with` draws the grids not yet given in this process."""


def draw_with(workers: SubgridWorkers | None, todo, weights, g_geoms, ctx, bounds, stop):
    """:meth:`SubgridWorkers.draw`, or this process when there are none or they break."""
    from .subgrid_draw import draw_one
    given = 0
    if workers is not None:
        try:
            for r in workers.draw(todo, weights, g_geoms, ctx, bounds, stop):
                given += 1
                yield r
            return
        except _Restart:
            pass
    for gi in todo[given:]:
        yield draw_one(gi, weights[gi], g_geoms[gi], ctx, bounds, stop)


def _ready() -> int:
    """Load what a task needs before the first one: the imports and the compiled solver (one
    tiny grid of six houses)."""
    from .subgrid_draw import subgrids_of
    xy = np.array([[0.0, 0.0], [10, 0], [20, 0], [0, 10], [10, 10], [20, 10]])
    subgrids_of(np.arange(6), np.full(6, 10, dtype=np.int64), xy, shapely.box(-5, -5, 25, 15), None,
                np.zeros(0), sub_min=20, sub_max=40, sub_target=30)
    return os.getpid()


def _draw_batch(grids, lines_wkb, affinity, bounds):
    import time

    from .shapes import dissolve_many
    from .subgrid_draw import subgrids_of
    c = time.process_time()
    tree = None
    if lines_wkb is not None and len(lines_wkb):
        geoms = shapely.from_wkb(lines_wkb)
        shapely.prepare(geoms)
        tree = shapely.STRtree(geoms)
    out, groups = [], []
    for uniq, fhh, xy, outline in grids:
        units, parts, status, cells, _, cores = subgrids_of(uniq, fhh, xy, shapely.from_wkb(outline), tree,
                                                            np.asarray(affinity, dtype=float), **bounds)
        # The outlines the sub-grids are numbered on, only where they differ from the drawn ones.
        changed = [i for i, c in enumerate(cores) if c is not None]
        out.append((units, parts, status, len(cells), len(cores), changed))
        groups.extend(cells)
        groups.extend(cores[i] for i in changed)
    # The batch's outlines dissolved together: a few GEOS calls per batch instead of a few per
    # grid; each outline is the same as dissolved alone (:func:`.shapes.dissolve_many`).
    outlines = dissolve_many(groups).tolist()
    at = 0
    for k, (units, parts, status, n, m, changed) in enumerate(out):
        drawn = outlines[at:at + n]
        at += n
        numbered: list = [None] * m
        for i in changed:
            numbered[i] = outlines[at]
            at += 1
        out[k] = (units, parts, status, None, drawn, numbered)
    return time.process_time() - c, out
